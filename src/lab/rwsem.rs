// SPDX-License-Identifier: GPL-2.0

//! A reader-writer semaphore: many readers or one writer.
//!
//! C header: [`include/linux/rwsem.h`](srctree/include/linux/rwsem.h)
//!
//! The kernel crate of 7.3 has no `rw_semaphore` abstraction; [`RwSemaphore`] is a small one
//! for the lab. Unlike `struct semaphore`, a `struct rw_semaphore` carries its own lockdep map:
//! `down_read()` and `down_write()` report their acquisitions themselves, in the lock class the
//! semaphore was initialised with. Lockdep takes `down_read()` as a non-recursive read: a task
//! that takes the semaphore for read a second time is reported as recursive locking, because
//! a writer that queued between the two reads makes the second wait for the writer, which waits
//! for the first.
//!
//! A deadlocked rwsem has an owner, but nothing can wake its waiters: the lab's waits are the
//! uninterruptible ones, as killable waits would end the deadlock on a signal but are skipped by
//! the hung-task detector. The way out is to release a read on the reader's behalf
//! ([`RwSemaphore::release_read_for_reader`]), and that must happen exactly once: the reader's
//! own guards still stand for all its reads. So the wrapper keeps, in one atomic word, how many
//! read guards are alive and how many of their reads were released for them; a release for a
//! reader is refused unless a guard's read is still unreleased, and the next read guard to drop
//! pays one off instead of releasing the semaphore again.

use kernel::bindings;
use kernel::prelude::*;
use kernel::sync::atomic::{Atomic, Full, Relaxed};
use kernel::sync::LockClassKey;
use kernel::types::{NotThreadSafe, Opaque};

/// `RWSEM_FLAG_WAITERS` of `kernel/locking/rwsem.c`: the count's bit that says the wait queue is
/// not empty (not in a header, so not in the bindings).
const RWSEM_FLAG_WAITERS: i64 = 1 << 1;

/// Creates a [`RwSemaphore`] initialiser with the given name, and a new lock class.
#[macro_export]
macro_rules! new_rwsem {
    ($name:literal) => {
        $crate::lab::rwsem::RwSemaphore::new(
            kernel::c_str!($name),
            kernel::sync::static_lock_class!(),
        )
    };
}

/// A `struct rw_semaphore`, in its own lock class.
///
/// # Invariants
///
/// `inner` is initialised by `__init_rwsem` with a static lock class key and never moves (the
/// type is pinned).
#[pin_data]
pub(crate) struct RwSemaphore {
    #[pin]
    inner: Opaque<bindings::rw_semaphore>,
    name: &'static CStr,
    /// The read guards alive (high half) and how many of their reads were released on their
    /// behalf (low half); the second is never above the first.
    reads: Atomic<u64>,
    /// Tasks inside `down_read()` or `down_write()`.
    waiting: Atomic<u32>,
}

/// One read guard in [`RwSemaphore::reads`].
const GUARD: u64 = 1 << 32;
/// One read released on a guard's behalf in [`RwSemaphore::reads`].
const RELEASED: u64 = 1;

// SAFETY: A `struct rw_semaphore` may be used from any task.
unsafe impl Send for RwSemaphore {}

// SAFETY: Every operation on a `struct rw_semaphore` is atomic or serialised by its wait lock.
unsafe impl Sync for RwSemaphore {}

impl RwSemaphore {
    /// Creates a semaphore initialiser named `name`, in the lock class of `key`. Use
    /// [`new_rwsem!`].
    pub(crate) fn new(name: &'static CStr, key: Pin<&'static LockClassKey>) -> impl PinInit<Self> {
        pin_init!(Self {
            // INVARIANT: `__init_rwsem` initialises every field (the count, the owner, the wait
            // lock and queue, the debug magic and the lockdep map) with the static key.
            inner <- Opaque::ffi_init(move |slot: *mut bindings::rw_semaphore| {
                // SAFETY: `slot` is valid for writes of a `struct rw_semaphore`; `name` and `key`
                // are static, as lockdep keeps both pointers.
                unsafe { bindings::__init_rwsem(slot, name.as_char_ptr(), key.as_ptr()) }
            }),
            name,
            reads: Atomic::new(0),
            waiting: Atomic::new(0),
        })
    }

    /// The semaphore's name, as lockdep prints it.
    pub(crate) fn name(&self) -> &'static CStr {
        self.name
    }

    /// Takes the semaphore for read, sleeping uninterruptibly (state `D`) while a writer holds
    /// it or waits for it.
    #[inline(always)]
    pub(crate) fn read(&self) -> ReadGuard<'_> {
        kernel::task::might_sleep();
        self.waiting.fetch_add(1, Relaxed);
        // SAFETY: By the type invariant `inner` is an initialised rw_semaphore.
        unsafe { bindings::down_read(self.inner.get()) };
        self.waiting.fetch_sub(1, Relaxed);
        self.reads.fetch_add(GUARD, Full);
        // INVARIANT: The current task just took one read.
        ReadGuard {
            sem: self,
            _not_send: NotThreadSafe,
        }
    }

    /// Takes the semaphore for write, sleeping uninterruptibly (state `D`) while anyone holds it.
    #[inline(always)]
    pub(crate) fn write(&self) -> WriteGuard<'_> {
        kernel::task::might_sleep();
        self.waiting.fetch_add(1, Relaxed);
        // SAFETY: By the type invariant `inner` is an initialised rw_semaphore.
        unsafe { bindings::down_write(self.inner.get()) };
        self.waiting.fetch_sub(1, Relaxed);
        // INVARIANT: The current task just took the semaphore for write.
        WriteGuard {
            sem: self,
            _not_send: NotThreadSafe,
        }
    }

    /// Whether a task waits in the semaphore's queue (it found the semaphore taken, gave up
    /// spinning, and sleeps, or is about to).
    pub(crate) fn has_waiters(&self) -> bool {
        // SAFETY: `count` is an `atomic_long_t` of the initialised, pinned semaphore (the type
        // invariant), which the C side changes only with atomic operations.
        let count = unsafe { Atomic::from_ptr(&raw mut (*self.inner.get()).count.counter) };
        count.load(Relaxed) & RWSEM_FLAG_WAITERS != 0
    }

    /// How many tasks are inside a `read()` or `write()` now: asleep in it, or about to be.
    pub(crate) fn waiting(&self) -> u32 {
        self.waiting.load(Relaxed)
    }

    /// Releases one read on behalf of a reader that cannot, the exit path's way out of a
    /// deadlock: returns `false`, and releases nothing, unless a read guard's read is still
    /// unreleased. That guard's task, or another reader's, does not release it again.
    pub(crate) fn release_read_for_reader(&self) -> bool {
        if !self.update_reads(|r| (r >> 32 > r & (GUARD - 1)).then_some(r + RELEASED)) {
            return false;
        }
        // The update above counted one guard's read as released, and only if one was unreleased:
        // a reader holds the read released here, and its guard will not release it
        // (`ReadGuard::drop`). `up_read_non_owner` does not tell lockdep, which never saw this
        // task take it.
        // SAFETY: `inner` is initialised (type invariant), and a read of it is held, unreleased.
        unsafe { bindings::up_read_non_owner(self.inner.get()) };
        true
    }

    /// Changes [`RwSemaphore::reads`] by `f`, atomically; `false` if `f` refused.
    fn update_reads(&self, mut f: impl FnMut(u64) -> Option<u64>) -> bool {
        let mut now = self.reads.load(Relaxed);
        loop {
            let Some(new) = f(now) else {
                return false;
            };
            match self.reads.cmpxchg(now, new, Full) {
                Ok(_) => return true,
                Err(seen) => now = seen,
            }
        }
    }
}

/// One read of a [`RwSemaphore`], held until the guard is dropped.
///
/// Not [`Send`]: lockdep records the read as the task's, and its release must come from the
/// same task.
///
/// # Invariants
///
/// The guard stands for one read its task took with `down_read()`.
#[must_use = "the read is released as soon as the guard is dropped"]
pub(crate) struct ReadGuard<'a> {
    sem: &'a RwSemaphore,
    _not_send: NotThreadSafe,
}

impl Drop for ReadGuard<'_> {
    fn drop(&mut self) {
        // One guard fewer; if a read was released on a guard's behalf, this one is paid off.
        let mut paid = false;
        self.sem.update_reads(|r| {
            paid = r & (GUARD - 1) > 0;
            Some(r - GUARD - u64::from(paid) * RELEASED)
        });
        if paid {
            // The exit path released a read for this task: only lockdep is told.
            forget_read(self.sem);
            return;
        }
        // SAFETY: By the type invariants the semaphore is initialised and this guard stands for
        // a read its task holds, which nobody released on its behalf.
        unsafe { bindings::up_read(self.sem.inner.get()) };
    }
}

/// Tells lockdep that the current task no longer holds the read of `sem` its guard stood for,
/// which the exit path already released on its behalf. Lockdep's `at:` line names this function.
#[inline(never)]
fn forget_read(sem: &RwSemaphore) {
    #[cfg(CONFIG_DEBUG_LOCK_ALLOC)]
    // SAFETY: By the type invariant the semaphore, with its lockdep map, is initialised; lockdep
    // checks itself that the current task holds the map it releases.
    unsafe {
        bindings::lock_release(
            &raw mut (*sem.inner.get()).dep_map,
            forget_read as *const () as usize as kernel::ffi::c_ulong,
        )
    };
    #[cfg(not(CONFIG_DEBUG_LOCK_ALLOC))]
    let _ = sem;
}

/// A [`RwSemaphore`] held for write until the guard is dropped.
///
/// # Invariants
///
/// The guard stands for the write lock its task took with `down_write()`.
#[must_use = "the write lock is released as soon as the guard is dropped"]
pub(crate) struct WriteGuard<'a> {
    sem: &'a RwSemaphore,
    _not_send: NotThreadSafe,
}

impl Drop for WriteGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: By the type invariants the semaphore is initialised and this task holds it for
        // write.
        unsafe { bindings::up_write(self.sem.inner.get()) };
    }
}
