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

use kernel::time::delay::fsleep;
use lab::exercise::Locks;
use lab::exercise::HOLD;

/// Thread B: `sem2`, then `sem1`.
fn thread_b(locks: &Locks) {
    // lab:broken
    let _two = locks.sem2.down();
    fsleep(HOLD);
    let _one = locks.sem1.down();
    // lab:fixed
    let mut backoffs = 0;
    let held = lab::backoff::take_both(&locks.sem2, &locks.sem1, &mut backoffs, || false);
    kernel::pr_info!("thread B backed off {backoffs} times\n");
    drop(held);
    // lab:end
}

exercise_module! {
    "ex_backoff", "Exercise 3: avoid the deadlock by backing off",
    thread_a: lab::exercise::sem1_then_sem2,
    thread_b: thread_b,
}
