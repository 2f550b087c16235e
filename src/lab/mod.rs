// SPDX-License-Identifier: GPL-2.0

//! The lab's library: the harness every module runs on, and the small wrappers around the C
//! APIs it needs.
//!
//! Each module's crate root includes this folder with `mod lab;` and compiles only the parts it
//! uses: `src/Kbuild` passes `--cfg lab_semaphore` to the modules whose locks are semaphores and
//! `--cfg lab_rendezvous` to those whose threads meet before they deadlock, and `--cfg
//! lab_irqsave` to a module that needs an interrupt-disabling spinlock on a kernel whose crate
//! has none. Everything else is used by every module, so the compiler's dead-code check holds
//! for the whole library.

pub(crate) mod harness;
#[cfg(lab_irqsave)]
pub(crate) mod irqsave;
pub(crate) mod kthread;
#[cfg(lab_semaphore)]
pub(crate) mod lockdep;
pub(crate) mod params;
#[cfg(lab_rendezvous)]
pub(crate) mod rendezvous;
#[cfg(lab_semaphore)]
pub(crate) mod semaphore;

/// What a scenario's crate root needs of the library.
pub(crate) mod prelude {
    pub(crate) use super::harness::{Expect, Harness, Scenario, Thread, Threads};
    pub(crate) use super::params::Mode;
}
