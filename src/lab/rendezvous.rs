// SPDX-License-Identifier: GPL-2.0

//! The point where the threads of an ABBA meet.
//!
//! Two threads that take two locks in opposite orders deadlock only if each takes its first
//! lock before the other takes its second; left to the scheduler, that happens now and then.
//! Each thread waits at the [`Rendezvous`] holding its first lock, so that the inverted order
//! deadlocks on every load.

use kernel::prelude::*;
use kernel::sync::atomic::{Atomic, Relaxed};
use kernel::sync::Completion;

/// A one-shot meeting point for a number of threads.
#[pin_data]
pub(crate) struct Rendezvous {
    parties: u32,
    arrived: Atomic<u32>,
    /// Set once the waiting is over for good: all parties met, or the module is going away.
    #[pin]
    open: Completion,
    opened: Atomic<bool>,
    /// Whether waiters spin instead of sleeping: a task holding a spinlock must not sleep.
    spin: bool,
}

impl Rendezvous {
    /// A rendezvous of `parties` threads; they sleep while they wait, or spin if `spin`.
    pub(crate) fn new(parties: u32, spin: bool) -> impl PinInit<Self> {
        pin_init!(Self {
            parties,
            arrived: Atomic::new(0),
            open <- Completion::new(),
            opened: Atomic::new(false),
            spin,
        })
    }

    /// Waits until `parties` threads have arrived. Threads that come later pass at once.
    pub(crate) fn meet(&self) {
        if self.arrived.fetch_add(1, Relaxed) + 1 >= self.parties {
            self.release();
        } else if self.spin {
            while !self.opened.load(Relaxed) {
                core::hint::spin_loop();
            }
        } else {
            self.open.wait_for_completion();
        }
    }

    /// Lets every waiter go, and every later one pass, whether or not all parties arrived: the
    /// module is being unloaded, or could not start all its threads.
    pub(crate) fn release(&self) {
        self.opened.store(true, Relaxed);
        self.open.complete_all();
    }
}
