// SPDX-License-Identifier: GPL-2.0

//! An event a task waits for, whose wait lockdep can see.
//!
//! C header: [`include/linux/completion.h`](srctree/include/linux/completion.h)
//!
//! Lockdep tracks acquisitions, not waits: since cross-release was removed, `complete_acquire()`
//! is an empty stub, and a task that holds a lock while it waits for a completion that another
//! task signals only after it took the same lock deadlocks without a word from lockdep. The
//! kernel answers this by hand where it can: `flush_work()` acquires and releases the work's
//! `lockdep_map` before it waits, and the worker holds the same map around the work
//! (`process_one_work()` in `kernel/workqueue.c`). Lockdep then sees "holds X, waits for work
//! that takes X" as a cycle between X and the map, before anything blocks.
//!
//! [`Event`] is that annotation around a [`Completion`]: [`Event::wait`] acquires and releases
//! the event's map before it waits, and [`Event::complete_after`] holds the map around the
//! completer's work, then signals the event. An event made without the annotation is the plain
//! completion, and lockdep never hears of it.
//!
//! No `unsafe` is needed here: the map's calls are [`LockdepMap`]'s, whose soundness rests on
//! the map being initialised and pinned. What the annotation itself needs is that lockdep sees
//! every acquisition of the map released by the same task, with nothing of it left held when
//! the function returns: both methods acquire and release the map within one call, on the
//! calling task, so no path can leave it held or release it from another task.

use super::lockdep::{this_ip, LockdepMap};
use kernel::prelude::*;
use kernel::sync::atomic::{Atomic, Full, Relaxed};
use kernel::sync::{Completion, LockClassKey};

/// Creates an [`Event`] initialiser with the given name, and a new lock class for its map.
///
/// A second argument `false` makes a plain completion that lockdep does not see.
#[macro_export]
macro_rules! new_event {
    ($name:literal) => {
        $crate::new_event!($name, true)
    };
    ($name:literal, $annotated:expr) => {
        $crate::lab::event::Event::new(
            kernel::c_str!($name),
            kernel::sync::static_lock_class!(),
            $annotated,
        )
    };
}

/// A completion whose waits and whose completer's work are reported to lockdep as one lock.
#[pin_data]
pub(crate) struct Event {
    #[pin]
    done: Completion,
    #[pin]
    dep_map: LockdepMap,
    name: &'static CStr,
    annotated: bool,
    /// Tasks inside [`Event::wait`].
    waiters: Atomic<u32>,
}

impl Event {
    /// Creates an event initialiser; `name` is its map's lock class, as lockdep prints it. Use
    /// [`new_event!`].
    pub(crate) fn new(
        name: &'static CStr,
        key: Pin<&'static LockClassKey>,
        annotated: bool,
    ) -> impl PinInit<Self> {
        pin_init!(Self {
            done <- Completion::new(),
            dep_map <- LockdepMap::new(name, key),
            name,
            annotated,
            waiters: Atomic::new(0),
        })
    }

    /// The event's name.
    pub(crate) fn name(&self) -> &'static CStr {
        self.name
    }

    /// Waits uninterruptibly (task state `D`) until the event is signalled.
    ///
    /// Annotated, it first acquires and releases the event's map, as `__flush_work()` does with
    /// the work's: lockdep records that every lock the task holds is held while it waits.
    #[inline(always)]
    pub(crate) fn wait(&self) {
        kernel::task::might_sleep();
        if self.annotated {
            let ip = this_ip();
            self.dep_map.acquire(0, false, ip);
            self.dep_map.release(ip);
        }
        // A full barrier: the exit path that reads the count and then signals the event sees
        // every waiter that counted itself before.
        self.waiters.fetch_add(1, Full);
        self.done.wait_for_completion();
        self.waiters.fetch_sub(1, Relaxed);
    }

    /// Runs `work`, then signals the event: its waiters wake, and later waits return at once.
    ///
    /// Annotated, the event's map is held around `work`, as a worker holds a work's map around
    /// its function: lockdep records every lock `work` takes as taken inside the event.
    #[inline(always)]
    pub(crate) fn complete_after<R>(&self, work: impl FnOnce() -> R) -> R {
        let ip = this_ip();
        if self.annotated {
            self.dep_map.acquire(0, false, ip);
        }
        let result = work();
        if self.annotated {
            self.dep_map.release(ip);
        }
        self.done.complete_all();
        result
    }

    /// Signals the event without running anything: the exit path's way to wake its waiters.
    /// Lockdep is not told, as the waiters reported their waits before they slept.
    pub(crate) fn complete_unowned(&self) {
        self.done.complete_all();
    }

    /// How many tasks wait for the event now.
    pub(crate) fn waiters(&self) -> u32 {
        self.waiters.load(Relaxed)
    }
}
