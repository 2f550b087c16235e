// SPDX-License-Identifier: GPL-2.0

//! Exercise 1: fix the ABBA order.
//!
//! Two kernel threads take two semaphores, `sem1` and `sem2`, and hold the first for half a
//! second before they reach for the second. Thread A takes `sem1`, then `sem2`. Thread B takes
//! them the other way round, so the two deadlock: lockdep reports a possible circular locking
//! dependency, and the hung-task detector reports both threads asleep in `down()`.
//!
//! Task: change thread B, and only thread B, so that the two can never deadlock. The grader
//! (`make grade N=1`) loads the module, waits, looks at what the kernel reported, and unloads
//! it: it passes when no detector reported anything and the module unloaded.
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
    name: "ex_order",
    authors: ["deadlock-lab developers"],
    description: "Exercise 1: fix the ABBA order",
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

/// Thread B.
fn thread_b(locks: &Locks) {
    // lab:broken
    let _two = locks.sem2.down();
    fsleep(HOLD);
    let _one = locks.sem1.down();
    // lab:fixed
    let _one = locks.sem1.down();
    fsleep(HOLD);
    let _two = locks.sem2.down();
    // lab:end
}

struct Exercise {
    locks: Arc<Locks>,
    threads: KVec<KThread>,
}

impl kernel::Module for Exercise {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let locks = Arc::pin_init(
            try_pin_init!(Locks {
                sem1 <- new_semaphore!(1, "sem1"),
                sem2 <- new_semaphore!(1, "sem2"),
            }),
            GFP_KERNEL,
        )?;
        let mut threads = KVec::new();
        let (a, b) = (locks.clone(), locks.clone());
        threads.push(
            KThread::spawn(c"ex_order_a", None, move |_| thread_a(&a))?,
            GFP_KERNEL,
        )?;
        threads.push(
            KThread::spawn(c"ex_order_b", None, move |_| thread_b(&b))?,
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
