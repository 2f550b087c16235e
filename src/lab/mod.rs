// SPDX-License-Identifier: GPL-2.0

//! The lab's library: the harness every module runs on, and the small wrappers around the C
//! APIs it needs.
//!
//! Each module's crate root includes this folder with `mod lab;` and compiles only the parts it
//! uses: `src/Kbuild` passes `--cfg lab_PART` to every module whose source names `lab::PART`
//! (`semaphore`, `rendezvous`, `irqsave`, ...), and `irqsave` is left out where the kernel crate
//! has its own `SpinLockIrq` (`--cfg kernel_spinlock_irq`). The lockdep map comes with the
//! semaphore, the semaphore with the typed order and the back-off built on it, and the
//! semaphore's try operation with the back-off alone. Everything else is used by every module, so the compiler's dead-code check holds
//! for the whole library.

#[cfg(lab_backoff)]
pub(crate) mod backoff;
pub(crate) mod harness;
#[cfg(all(lab_irqsave, not(kernel_spinlock_irq)))]
pub(crate) mod irqsave;
pub(crate) mod kthread;
#[cfg(any(lab_semaphore, lab_order, lab_backoff))]
pub(crate) mod lockdep;
#[cfg(lab_order)]
pub(crate) mod order;
pub(crate) mod params;
#[cfg(lab_rendezvous)]
pub(crate) mod rendezvous;
#[cfg(any(lab_semaphore, lab_order, lab_backoff))]
pub(crate) mod semaphore;

/// What a scenario's crate root needs of the library.
pub(crate) mod prelude {
    pub(crate) use super::harness::{Expect, Harness, Scenario, Thread, Threads};
    pub(crate) use super::params::Mode;
}
