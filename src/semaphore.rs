// SPDX-License-Identifier: GPL-2.0

//! A counting semaphore that lockdep can see.
//!
//! C header: [`include/linux/semaphore.h`](srctree/include/linux/semaphore.h)
//!
//! `struct semaphore` carries no lockdep map, so lockdep never learns in which order tasks take
//! semaphores and cannot warn about an inversion. [`Semaphore`] pairs the C semaphore with a
//! [`LockdepMap`] of its own lock class: each `down()` is reported to lockdep as an acquisition of
//! a sleeping lock before the task waits, each release as a release. An ABBA order between two
//! such semaphores then produces lockdep's "possible circular locking dependency detected"
//! report, naming the semaphores and the functions that took them.
//!
//! Several lab modules share this file, and not every one uses every item.

// Each crate root includes this file as its own module; items one of them does not use are
// not dead in the others.
#![allow(dead_code)]

use crate::lockdep::{this_ip, LockdepMap};
use kernel::prelude::*;
use kernel::sync::LockClassKey;
use kernel::{bindings, types::Opaque};

/// Creates a [`Semaphore`] initialiser with the given count and name, and a new lock class.
///
/// Every use of the macro is its own lock class, named after the semaphore in lockdep's
/// reports.
#[macro_export]
macro_rules! new_semaphore {
    ($count:expr, $name:literal) => {
        $crate::semaphore::Semaphore::new(
            $count,
            kernel::c_str!($name),
            kernel::sync::static_lock_class!(),
        )
    };
}

/// A counting semaphore whose acquisitions and releases are reported to lockdep.
///
/// # Invariants
///
/// `inner` is an initialised `struct semaphore` that never moves (the type is pinned).
#[pin_data]
pub(crate) struct Semaphore {
    #[pin]
    inner: Opaque<bindings::semaphore>,
    #[pin]
    dep_map: LockdepMap,
    name: &'static CStr,
}

// SAFETY: A `struct semaphore` may be used from any task; it has no owner.
unsafe impl Send for Semaphore {}

// SAFETY: All operations on a `struct semaphore` are serialised by its internal spinlock.
unsafe impl Sync for Semaphore {}

impl Semaphore {
    /// Creates a semaphore initialiser with `count` free units. Use [`new_semaphore!`].
    pub(crate) fn new(
        count: u32,
        name: &'static CStr,
        key: Pin<&'static LockClassKey>,
    ) -> impl PinInit<Self> {
        pin_init!(Self {
            // INVARIANT: The semaphore is initialised here, the equivalent of `sema_init()`,
            // which is `static inline` in C and so not reachable from Rust.
            inner <- Opaque::ffi_init(move |slot: *mut bindings::semaphore| {
                // An all-zero semaphore is an unlocked spinlock with no waiters and no last
                // holder (Linux 7.x keeps waiters in `first_waiter`, NULL when empty); only the
                // count and, with spinlock debugging, the spinlock's debug state need setting.
                // SAFETY: `slot` points to memory valid for writes of a `struct semaphore`.
                unsafe {
                    core::ptr::write_bytes(slot, 0, 1);
                    (*slot).count = count;
                }
                #[cfg(CONFIG_DEBUG_SPINLOCK)]
                // SAFETY: `slot` is valid and its spinlock is not in use yet; the key is static,
                // shared by every semaphore's internal spinlock as in `sema_init()`.
                unsafe {
                    bindings::__raw_spin_lock_init(
                        &raw mut (*slot).lock,
                        c"semaphore->lock".as_char_ptr(),
                        kernel::sync::static_lock_class!().as_ptr(),
                        bindings::lockdep_wait_type_LD_WAIT_SPIN as _,
                    )
                };
            }),
            dep_map <- LockdepMap::new(name, key),
            name,
        })
    }

    /// The semaphore's name, as lockdep prints it.
    pub(crate) fn name(&self) -> &'static CStr {
        self.name
    }

    /// Takes one unit, sleeping uninterruptibly (task state `D`) until one is free.
    ///
    /// The unit is given back when the returned guard is dropped.
    #[inline(always)]
    pub(crate) fn down(&self) -> SemaphoreGuard<'_> {
        self.down_as(0, this_ip())
    }

    /// Like [`Semaphore::down`], for a task that may already hold another semaphore of the same
    /// lock class, as lockdep subclass `subclass` (below 8).
    ///
    /// Two instances of one class, say a parent and a child node of the same type, taken one
    /// inside the other look to lockdep like one lock taken twice: "possible recursive locking
    /// detected". The subclass tells lockdep the inner one is a different level of the same
    /// kind of lock, the equivalent of C's `mutex_lock_nested()` or `down_read_nested()`. It is a
    /// promise that the levels are always taken in the same order, not a way to silence a real
    /// recursion.
    #[inline(always)]
    pub(crate) fn down_nested(&self, subclass: u32) -> SemaphoreGuard<'_> {
        self.down_as(subclass, this_ip())
    }

    #[inline(always)]
    fn down_as(&self, subclass: u32, ip: usize) -> SemaphoreGuard<'_> {
        self.dep_map.acquire_nested(subclass, ip);
        // SAFETY: By the type invariant `inner` is an initialised semaphore.
        let waited = unsafe { bindings::down_trylock(self.inner.get()) } != 0;
        if waited {
            // SAFETY: As above.
            unsafe { bindings::down(self.inner.get()) };
        }
        SemaphoreGuard { sem: self, waited }
    }

    /// Adds one unit without having taken one: wakes a waiter, if any, which then holds it.
    ///
    /// A semaphore has no owner, so any task may do this; it is how a task that is not part of
    /// a deadlock can break one. Lockdep is not told, because the task that wakes up already
    /// reported its acquisition before it started waiting.
    pub(crate) fn up_unowned(&self) {
        // SAFETY: By the type invariant `inner` is an initialised semaphore.
        unsafe { bindings::up(self.inner.get()) };
    }
}

/// One unit of a [`Semaphore`], held until the guard is dropped.
#[must_use = "the semaphore is released as soon as the guard is dropped"]
pub(crate) struct SemaphoreGuard<'a> {
    sem: &'a Semaphore,
    waited: bool,
}

impl<'a> SemaphoreGuard<'a> {
    /// Whether the unit was not free at once, so the task had to wait for it.
    pub(crate) fn waited(&self) -> bool {
        self.waited
    }

    /// The semaphore this guard holds a unit of.
    pub(crate) fn semaphore(&self) -> &'a Semaphore {
        self.sem
    }
}

impl Drop for SemaphoreGuard<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        self.sem.dep_map.release(this_ip());
        // SAFETY: By the type invariant `inner` is an initialised semaphore, and this guard
        // stands for the unit its `down()` took.
        unsafe { bindings::up(self.sem.inner.get()) };
    }
}
