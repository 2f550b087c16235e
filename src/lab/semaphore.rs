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
//! report, naming the semaphores and the functions that took them. A semaphore made without the
//! annotation is the plain C one, exactly what `DEFINE_SEMAPHORE` gives, and lockdep never hears
//! of it.
//!
//! Lockdep models exclusive locks: only a semaphore of one unit, used as a lock, is annotated. A
//! counting semaphore may be held by several tasks at once, by one task several times, and
//! released by another; told of it, lockdep would report a task taking its second unit as
//! recursive locking.

use super::lockdep::{this_ip, LockStat, LockdepMap};
use kernel::bindings;
use kernel::prelude::*;
use kernel::sync::atomic::{Atomic, Full, Relaxed};
use kernel::sync::LockClassKey;
use kernel::types::{NotThreadSafe, Opaque};

/// Creates a [`Semaphore`] initialiser with the given count and name, and a new lock class.
///
/// Every use of the macro is its own lock class, named after the semaphore in lockdep's
/// reports. A third argument `false` makes a plain semaphore that lockdep does not see.
#[macro_export]
macro_rules! new_semaphore {
    ($count:expr, $name:literal) => {
        $crate::new_semaphore!($count, $name, true)
    };
    ($count:expr, $name:literal, $annotated:expr) => {
        $crate::lab::semaphore::Semaphore::new(
            $count,
            kernel::c_str!($name),
            kernel::sync::static_lock_class!(),
            $annotated,
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
    /// Whether acquisitions and releases are reported to lockdep: asked for, and one unit.
    annotated: bool,
    /// Tasks inside `down()` that found no free unit and sleep, or are about to.
    sleepers: Atomic<u32>,
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
        annotated: bool,
    ) -> impl PinInit<Self> {
        pin_init!(Self {
            // INVARIANT: The semaphore is initialised here, the equivalent of `sema_init()`,
            // which is `static inline` in C and so not reachable from Rust.
            inner <- Opaque::ffi_init(move |slot: *mut bindings::semaphore| {
                // Every field by name, as `__SEMAPHORE_INITIALIZER` sets them: a change of the C
                // layout (6.x kept waiters in a `list_head`) breaks the build here instead of
                // leaving a field with a wrong value. An unlocked raw spinlock is all zeroes;
                // with spinlock debugging, its debug state is set below.
                let sem = bindings::semaphore {
                    // SAFETY: A `raw_spinlock_t` is plain integers (and, with lockdep, a map of
                    // pointers that `__raw_spin_lock_init` sets), for which zero is valid.
                    lock: unsafe { core::mem::zeroed() },
                    count,
                    first_waiter: core::ptr::null_mut(),
                    #[cfg(CONFIG_DETECT_HUNG_TASK_BLOCKER)]
                    last_holder: 0,
                };
                // SAFETY: `slot` points to memory valid for writes of a `struct semaphore`.
                unsafe { slot.write(sem) };
                #[cfg(CONFIG_DEBUG_SPINLOCK)]
                // SAFETY: `slot` is valid and its spinlock is not in use yet; the key is static,
                // shared by every semaphore's internal spinlock as in `sema_init()`.
                unsafe {
                    bindings::__raw_spin_lock_init(
                        &raw mut (*slot).lock,
                        c"semaphore->lock".as_char_ptr(),
                        kernel::sync::static_lock_class!().as_ptr(),
                        bindings::lockdep_wait_type_LD_WAIT_SPIN as kernel::ffi::c_short,
                    )
                };
            }),
            // Initialising the map registers nothing: lockdep learns the class at the first
            // acquisition, which a plain semaphore never reports.
            dep_map <- LockdepMap::new(name, key),
            name,
            annotated: annotated && count == 1,
            sleepers: Atomic::new(0),
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
        self.down_nested(0)
    }

    /// Like [`Semaphore::down`], but calls `before_sleep` first if no unit is free, so that the
    /// caller can say that it is about to sleep, and why.
    #[inline(always)]
    pub(crate) fn down_then(&self, before_sleep: impl FnOnce()) -> SemaphoreGuard<'_> {
        self.down_as(0, this_ip(), before_sleep)
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
        self.down_as(subclass, this_ip(), || ())
    }

    #[inline(always)]
    fn down_as(&self, subclass: u32, ip: usize, before_sleep: impl FnOnce()) -> SemaphoreGuard<'_> {
        // As C's `down()`: taking a semaphore may sleep, even when a unit is free.
        kernel::task::might_sleep();
        if self.annotated {
            self.dep_map.acquire(subclass, false, ip);
        }
        // SAFETY: By the type invariant `inner` is an initialised semaphore.
        let waited = unsafe { bindings::down_trylock(self.inner.get()) } != 0;
        if waited {
            if self.annotated {
                self.dep_map.lock_stat(LockStat::Contended, ip);
            }
            // A full barrier: a task that counts itself here and then reads another
            // semaphore's count sees every sleeper that counted itself before.
            self.sleepers.fetch_add(1, Full);
            before_sleep();
            // SAFETY: As above.
            unsafe { bindings::down(self.inner.get()) };
            self.sleepers.fetch_sub(1, Relaxed);
        }
        if self.annotated {
            self.dep_map.lock_stat(LockStat::Acquired, ip);
        }
        SemaphoreGuard::new(self, waited)
    }

    /// Takes one unit if one is free, without waiting: `None` if none is.
    ///
    /// Lockdep hears of the acquisition only once it succeeded, and as a trylock, from which it
    /// records no dependency: a task that backs off instead of waiting cannot be part of a cycle
    /// of waits, whatever order it takes its locks in.
    #[cfg(lab_backoff)]
    #[inline(always)]
    pub(crate) fn try_down(&self) -> Option<SemaphoreGuard<'_>> {
        // SAFETY: By the type invariant `inner` is an initialised semaphore.
        if unsafe { bindings::down_trylock(self.inner.get()) } != 0 {
            return None;
        }
        if self.annotated {
            let ip = this_ip();
            self.dep_map.acquire(0, true, ip);
            self.dep_map.lock_stat(LockStat::Acquired, ip);
        }
        Some(SemaphoreGuard::new(self, false))
    }

    /// How many tasks found no free unit in `down()` and sleep there now (or are about to).
    pub(crate) fn sleepers(&self) -> u32 {
        self.sleepers.load(Relaxed)
    }

    /// Adds `units` units without having taken any: wakes as many waiters, if there are, which
    /// then hold them.
    ///
    /// A semaphore has no owner, so any task may do this; it is how a task that is not part of
    /// a deadlock can break one. Lockdep is not told, because a task that wakes up already
    /// reported its acquisition before it started waiting. A woken task may release other
    /// semaphores at once: count their sleepers first.
    pub(crate) fn up_unowned(&self, units: u32) {
        for _ in 0..units {
            // SAFETY: By the type invariant `inner` is an initialised semaphore.
            unsafe { bindings::up(self.inner.get()) };
        }
    }
}

/// One unit of a [`Semaphore`], held until the guard is dropped.
///
/// The guard is not [`Send`]: dropping it tells lockdep that the current task released the lock,
/// and lockdep reports a release by a task that never took it (and turns itself off). The exit
/// path that breaks a deadlock releases units with [`Semaphore::up_unowned`] instead.
///
/// # Invariants
///
/// The guard stands for one unit that its task took from `sem` (with `down()` or a successful
/// `down_trylock()`), and that nothing else will give back.
#[must_use = "the semaphore is released as soon as the guard is dropped"]
pub(crate) struct SemaphoreGuard<'a> {
    sem: &'a Semaphore,
    waited: bool,
    _not_send: NotThreadSafe,
}

impl<'a> SemaphoreGuard<'a> {
    /// The guard of a unit the current task just took from `sem`.
    fn new(sem: &'a Semaphore, waited: bool) -> Self {
        // INVARIANT: Only the acquisitions above make guards, right after they took a unit.
        SemaphoreGuard {
            sem,
            waited,
            _not_send: NotThreadSafe,
        }
    }

    /// Whether the unit was not free at once, so the task had to sleep for it.
    pub(crate) fn waited(&self) -> bool {
        self.waited
    }
}

impl Drop for SemaphoreGuard<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        if self.sem.annotated {
            self.sem.dep_map.release(this_ip());
        }
        // SAFETY: By the type invariant `inner` is an initialised semaphore, and this guard
        // stands for the unit its `down()` took.
        unsafe { bindings::up(self.sem.inner.get()) };
    }
}
