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
use kernel::time::delay::fsleep;
use lab::exercise::Locks;
use lab::exercise::HOLD;

/// The two semaphores.
fn locks() -> impl PinInit<Locks, Error> {
    try_pin_init!(Locks {
        // lab:broken
        sem1 <- new_semaphore!(1, "sem1", false),
        sem2 <- new_semaphore!(1, "sem2", false),
        // lab:fixed
        sem1 <- new_semaphore!(1, "sem1", true),
        sem2 <- new_semaphore!(1, "sem2", true),
        // lab:end
    })
}

/// Thread B: `sem2`, then `sem1`.
fn thread_b(locks: &Locks) {
    let _two = locks.sem2.down();
    fsleep(HOLD);
    let _one = locks.sem1.down();
}

exercise_module! {
    "ex_annotate", "Exercise 2: let lockdep see the semaphores",
    locks: locks,
    thread_a: lab::exercise::sem1_then_sem2,
    thread_b: thread_b,
}
