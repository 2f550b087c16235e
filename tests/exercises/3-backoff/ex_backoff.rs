// SPDX-License-Identifier: GPL-2.0

//! Exercise 3: avoid the deadlock by backing off.
//!
//! The ABBA of exercise 1, where thread B takes `sem2`, then `sem1`. This time thread B must
//! keep its order: fix it by avoidance instead. A thread that never waits for its second lock
//! while it holds its first cannot be part of a cycle of waits: let B take `sem2`, then only try
//! `sem1` (`Semaphore::try_down` returns `None` if it is taken), and if it is taken, give `sem2`
//! back, wait a moment (`fsleep`) and start again. `lab::backoff::take_both` does just that.
//!
//! Task: make thread B back off instead of waiting for `sem1`. The grader loads the module,
//! waits, and unloads it: it passes when no detector reported anything (lockdep records no
//! dependency for a lock taken with a try) and the module unloaded.
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
    name: "ex_backoff",
    authors: ["deadlock-lab developers"],
    description: "Exercise 3: avoid the deadlock by backing off",
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
    // lab:broken
    let _two = locks.sem2.down();
    fsleep(HOLD);
    let _one = locks.sem1.down();
    // lab:fixed
    let mut backoffs = 0;
    let held = lab::backoff::take_both(&locks.sem2, &locks.sem1, &mut backoffs, || false);
    pr_info!("thread B backed off {backoffs} times\n");
    drop(held);
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
            KThread::spawn(c"ex_backoff_a", None, move |_| thread_a(&a))?,
            GFP_KERNEL,
        )?;
        threads.push(
            KThread::spawn(c"ex_backoff_b", None, move |_| thread_b(&b))?,
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
