// SPDX-License-Identifier: GPL-2.0

//! The lab's library: the harness every module runs on, and the small wrappers around the C
//! APIs it needs.
//!
//! Each module's crate root includes this folder with `mod lab;` and compiles only the parts it
//! uses: `src/Kbuild` passes `--cfg lab_PART` to every module whose source names `lab::PART`
//! (`semaphore`, `rendezvous`, `irqsave`, ...), and `irqsave` is left out where the kernel crate
//! has its own `SpinLockIrq` (`--cfg kernel_spinlock_irq`). A part brings what it needs along: the
//! harness (and its `prelude`) the kernel thread and the parameters, the semaphore and the event
//! (`event`, a completion whose waits lockdep sees) their lockdep map, the typed order and the
//! back-off the semaphore, the back-off the semaphore's try operation, the exercises' module
//! (`exercise`, for `tests/exercises/`) the kernel thread and the semaphore, and a schedule's
//! gate (`gate`) the kernel thread's nap; the rw-semaphore (`rwsem`) needs nothing else, as the C
//! one has a lockdep map of its own. The harness hands tokens of the typed order to a thread's
//! rounds (`Thread::ordered`) only in a module that names `lab::order`. So every part a module
//! compiles is used, and the compiler's dead-code check holds for the whole library.

#[cfg(lab_backoff)]
pub(crate) mod backoff;
#[cfg(lab_event)]
pub(crate) mod event;
#[cfg(lab_exercise)]
pub(crate) mod exercise;
#[cfg(lab_gate)]
pub(crate) mod gate;
#[cfg(any(lab_prelude, lab_harness))]
pub(crate) mod harness;
#[cfg(all(lab_irqsave, not(kernel_spinlock_irq)))]
pub(crate) mod irqsave;
#[cfg(any(lab_prelude, lab_harness, lab_kthread, lab_exercise, lab_gate))]
pub(crate) mod kthread;
#[cfg(any(lab_semaphore, lab_order, lab_backoff, lab_exercise, lab_event))]
pub(crate) mod lockdep;
#[cfg(lab_order)]
pub(crate) mod order;
#[cfg(any(lab_prelude, lab_harness, lab_params))]
pub(crate) mod params;
#[cfg(lab_rendezvous)]
pub(crate) mod rendezvous;
#[cfg(lab_rwsem)]
pub(crate) mod rwsem;
#[cfg(any(lab_semaphore, lab_order, lab_backoff, lab_exercise))]
pub(crate) mod semaphore;

/// What a scenario's crate root needs of the library.
#[cfg(any(lab_prelude, lab_harness))]
pub(crate) mod prelude {
    pub(crate) use super::harness::{Expect, Harness, Scenario, Thread, Threads};
    pub(crate) use super::params::Mode;
}
