// SPDX-License-Identifier: GPL-2.0

//! What every exercise runs on: two semaphores, and two kernel threads that take them.
//!
//! An exercise (`tests/exercises/`) is one crate root whose student changes one function: thread
//! B, or how the semaphores are made. [`exercise_module!`] declares the module around it, a
//! [`TwoThreads`]: at load it makes the semaphores and starts thread A and thread B, called
//! `NAME_a` and `NAME_b` after the module; at unload, whatever the threads did, it gives each
//! semaphore two more units, which wakes any thread asleep on it (a semaphore has no owner), and
//! then stops and joins both threads.
//!
//! Unlike a module of the harness ([`lab_module!`](crate::lab_module)), an exercise has no
//! `fixed` parameter and prints no verdict: it has one form, the student's, and the grader judges
//! it by what the kernel reported.

use super::kthread::KThread;
use super::semaphore::Semaphore;
use core::marker::PhantomData;
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::time::delay::fsleep;
use kernel::time::Delta;

/// How long each thread holds its first semaphore, so that the two overlap.
pub(crate) const HOLD: Delta = Delta::from_millis(500);

/// The two semaphores the threads share.
#[pin_data]
pub(crate) struct Locks {
    #[pin]
    pub(crate) sem1: Semaphore,
    #[pin]
    pub(crate) sem2: Semaphore,
}

/// Thread A of every exercise: `sem1`, then `sem2`, holding `sem1` for [`HOLD`] first.
pub(crate) fn sem1_then_sem2(locks: &Locks) {
    let _one = locks.sem1.down();
    fsleep(HOLD);
    let _two = locks.sem2.down();
}

/// An exercise's own code, which [`exercise_module!`] names.
pub(crate) trait Exercise: 'static {
    /// Thread A's name, then thread B's.
    const NAMES: [&'static CStr; 2];
    /// Thread A's code, then thread B's.
    const THREADS: [fn(&Locks); 2];

    /// Makes the semaphores: unless the exercise is about them, two of one unit, each of its
    /// own lock class, which lockdep sees.
    fn locks() -> impl PinInit<Locks, Error> {
        try_pin_init!(Locks {
            sem1 <- crate::new_semaphore!(1, "sem1"),
            sem2 <- crate::new_semaphore!(1, "sem2"),
        })
    }
}

/// Declares an exercise's module: its `module!`, whose type is [`TwoThreads`], and the functions
/// it runs. `locks` is optional: without it the semaphores are made as [`Exercise::locks`] makes
/// them. The crate root names `lab::exercise` (its thread B takes a `&Locks`), and that is what
/// builds this part of the library (`lab/mod.rs`).
///
/// ```ignore
/// exercise_module! {
///     "ex_order", "Exercise 1: fix the ABBA order",
///     thread_a: lab::exercise::sem1_then_sem2,
///     thread_b: thread_b,
/// }
/// ```
#[macro_export]
macro_rules! exercise_module {
    (
        $name:literal, $description:literal,
        $(locks: $locks:path,)?
        thread_a: $a:path,
        thread_b: $b:path $(,)?
    ) => {
        ::kernel::prelude::module! {
            type: $crate::lab::exercise::TwoThreads<ThisExercise>,
            name: $name,
            authors: ["deadlock-lab developers"],
            description: $description,
            license: "GPL",
        }

        /// What the module runs.
        struct ThisExercise;

        impl $crate::lab::exercise::Exercise for ThisExercise {
            const NAMES: [&'static ::kernel::prelude::CStr; 2] = [
                ::kernel::c_str!(concat!($name, "_a")),
                ::kernel::c_str!(concat!($name, "_b")),
            ];
            const THREADS: [fn(&$crate::lab::exercise::Locks); 2] = [$a, $b];
            $(
                fn locks() -> impl ::kernel::prelude::PinInit<
                    $crate::lab::exercise::Locks,
                    ::kernel::error::Error,
                > {
                    $locks()
                }
            )?
        }
    };
}

/// An exercise's module: its semaphores, and its two threads.
pub(crate) struct TwoThreads<E> {
    locks: Arc<Locks>,
    threads: KVec<KThread>,
    _exercise: PhantomData<fn() -> E>,
}

impl<E: Exercise> kernel::Module for TwoThreads<E> {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let locks = Arc::pin_init(E::locks(), GFP_KERNEL)?;
        let mut threads = KVec::new();
        for (name, code) in E::NAMES.into_iter().zip(E::THREADS) {
            let shared = locks.clone();
            threads.push(
                KThread::spawn(name, None, move |_| code(&shared))?,
                GFP_KERNEL,
            )?;
        }
        Ok(TwoThreads {
            locks,
            threads,
            _exercise: PhantomData,
        })
    }
}

impl<E> Drop for TwoThreads<E> {
    /// Whatever the threads did, the module unloads: a semaphore has no owner, so two more units
    /// of each wake any thread asleep on it, and then every thread is stopped and joined.
    fn drop(&mut self) {
        self.locks.sem1.up_unowned(2);
        self.locks.sem2.up_unowned(2);
        self.threads.clear();
    }
}
