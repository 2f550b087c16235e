// SPDX-License-Identifier: GPL-2.0

//! Exercise 2: let lockdep see the semaphores.
//!
//! Two kernel threads take two semaphores in opposite orders and deadlock, and lockdep says
//! nothing: a `struct semaphore` carries no lockdep map, so lockdep never learns in which order
//! tasks take them. Only the hung-task detector notices, after the threads hang. The lab's
//! `Semaphore` can carry a map of its own class, as the kernel annotates `console_sem`; made
//! with `new_semaphore!(1, "sem1", false)` it is the plain C semaphore.
//!
//! Task: make lockdep see both semaphores, and do not fix the deadlock: this time the grader
//! wants lockdep's report. It loads the module, waits, and unloads it; it passes when lockdep
//! reported the circular dependency of sem1 and sem2 (and the hung-task detector both threads).
//!
//! skeleton-fails: dmesg findings match

mod lab;

use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::time::{delay::fsleep, Delta};
use lab::kthread::KThread;
use lab::semaphore::Semaphore;

module! {
    type: Exercise,
    name: "ex_annotate",
    authors: ["deadlock-lab developers"],
    description: "Exercise 2: let lockdep see the semaphores",
    license: "GPL",
}

/// How long each thread holds its first semaphore, so that the two overlap.
const HOLD: Delta = Delta::from_millis(500);

#[pin_data]
struct Locks {
    #[pin]
    sem1: Semaphore,
    #[pin]
    sem2: Semaphore,
}

/// Thread A: `sem1`, then `sem2`.
fn thread_a(locks: &Locks) {
    let _one = locks.sem1.down();
    fsleep(HOLD);
    let _two = locks.sem2.down();
}

/// Thread B: `sem2`, then `sem1`.
fn thread_b(locks: &Locks) {
    let _two = locks.sem2.down();
    fsleep(HOLD);
    let _one = locks.sem1.down();
}

struct Exercise {
    locks: Arc<Locks>,
    threads: KVec<KThread>,
}

impl kernel::Module for Exercise {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let locks = Arc::pin_init(
            try_pin_init!(Locks {
                // lab:broken
                sem1 <- new_semaphore!(1, "sem1", false),
                sem2 <- new_semaphore!(1, "sem2", false),
                // lab:fixed
                sem1 <- new_semaphore!(1, "sem1", true),
                sem2 <- new_semaphore!(1, "sem2", true),
                // lab:end
            }),
            GFP_KERNEL,
        )?;
        let mut threads = KVec::new();
        let (a, b) = (locks.clone(), locks.clone());
        threads.push(
            KThread::spawn(c"ex_annotate_a", None, move |_| thread_a(&a))?,
            GFP_KERNEL,
        )?;
        threads.push(
            KThread::spawn(c"ex_annotate_b", None, move |_| thread_b(&b))?,
            GFP_KERNEL,
        )?;
        Ok(Exercise { locks, threads })
    }
}

impl Drop for Exercise {
    /// Whatever the threads did, the module unloads: a semaphore has no owner, so two more units
    /// of each wake any thread asleep on it, and then every thread is stopped and joined.
    fn drop(&mut self) {
        self.locks.sem1.up_unowned(2);
        self.locks.sem2.up_unowned(2);
        self.threads.clear();
    }
}
