// SPDX-License-Identifier: GPL-2.0

//! An interrupt-disabling spinlock, for kernels whose Rust crate has none (7.2).
//!
//! The same `spinlock_t` as [`kernel::sync::SpinLock`], taken as C's `spin_lock_irqsave()`
//! takes it: interrupts go off on the local CPU before the lock is taken, and the guard gives the
//! saved interrupt state back when it unlocks (`spin_unlock_irqrestore()`), so it may be taken in
//! hard-interrupt context and in process context alike. `src/Kbuild` builds this only where the
//! kernel crate has no `kernel::sync::SpinLockIrq`; the names and `lock()` are the same, so the
//! scenario reads the same on every kernel.

use kernel::bindings;
use kernel::ffi::{c_char, c_ulong};
use kernel::sync::lock::{Backend, Lock};

/// A spinlock that keeps interrupts disabled on the local CPU while it is held.
pub(crate) type SpinLockIrq<T> = Lock<T, IrqSaveBackend>;

/// Creates a [`SpinLockIrq`] initialiser with the given name and a new lock class.
macro_rules! new_spinlock_irq {
    ($inner:expr, $name:literal) => {
        $crate::lab::irqsave::SpinLockIrq::new(
            $inner,
            ::kernel::optional_name!($name),
            ::kernel::static_lock_class!(),
        )
    };
}
pub(crate) use new_spinlock_irq;

/// C's `spin_lock_irqsave()` and `spin_unlock_irqrestore()` on a `spinlock_t`.
pub(crate) struct IrqSaveBackend;

// SAFETY: `_raw_spin_lock_irqsave()` gives the same mutual exclusion as `spin_lock()` on the same
// `spinlock_t`, and returns the interrupt state it found, which the guard keeps and `unlock`
// hands to `_raw_spin_unlock_irqrestore()`. The default `relock` saves the state anew.
unsafe impl Backend for IrqSaveBackend {
    type State = bindings::spinlock_t;
    type GuardState = c_ulong;

    unsafe fn init(ptr: *mut Self::State, name: *const c_char, key: *mut bindings::lock_class_key) {
        // SAFETY: The caller guarantees that `ptr` is valid for writes and that `name` and `key`
        // stay valid for reads for as long as the lock exists.
        unsafe { bindings::__spin_lock_init(ptr, name, key) }
    }

    unsafe fn lock(ptr: *mut Self::State) -> Self::GuardState {
        // `spinlock_t` begins with the `raw_spinlock_t` that `spin_lock_irqsave()` takes (C's
        // `spinlock_check()`), so the cast pointer points to it.
        // SAFETY: The caller guarantees that `ptr` points to an initialised `spinlock_t`.
        unsafe { bindings::_raw_spin_lock_irqsave(ptr.cast()) }
    }

    unsafe fn unlock(ptr: *mut Self::State, flags: &Self::GuardState) {
        // SAFETY: The caller guarantees that `ptr` points to an initialised `spinlock_t` that this
        // task holds; `flags` is what `lock` returned for this hold.
        unsafe { bindings::_raw_spin_unlock_irqrestore(ptr.cast(), *flags) }
    }

    /// Never takes the lock. C's `spin_trylock_irqsave()` is inline code (`local_irq_save()`
    /// then a try) that a 7.2 kernel offers Rust no binding for, and taking the lock before
    /// disabling interrupts would open the very window this lock exists to close. Failing to
    /// acquire is always allowed to a try; the lab never tries.
    unsafe fn try_lock(_ptr: *mut Self::State) -> Option<Self::GuardState> {
        None
    }

    unsafe fn assert_is_held(ptr: *mut Self::State) {
        // SAFETY: The caller guarantees that `ptr` points to an initialised `spinlock_t`.
        unsafe { bindings::spin_assert_is_held(ptr) }
    }
}
