// SPDX-License-Identifier: GPL-2.0

//! Exercise 1: fix the ABBA order.
//!
//! Two kernel threads take two semaphores, `sem1` and `sem2`, and hold the first for half a
//! second before they reach for the second. Thread A (the lab's `sem1_then_sem2`) takes `sem1`,
//! then `sem2`. Thread B takes them the other way round, so the two deadlock: lockdep reports a
//! possible circular locking dependency, and the hung-task detector reports both threads asleep
//! in `down()`.
//!
//! Task: change thread B, and only thread B, so that the two can never deadlock. The grader
//! (`make grade N=1`) loads the module, waits, looks at what the kernel reported, and unloads
//! it: it passes when no detector reported anything and the module unloaded.
//!
//! skeleton-fails: dmesg findings match

mod lab;

use kernel::time::delay::fsleep;
use lab::exercise::Locks;
use lab::exercise::HOLD;

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

exercise_module! {
    "ex_order", "Exercise 1: fix the ABBA order",
    thread_a: lab::exercise::sem1_then_sem2,
    thread_b: thread_b,
}
