// SPDX-License-Identifier: GPL-2.0

//! An interrupt-disabling spinlock, for kernels whose Rust crate has none (7.2).
//!
//! The same `spinlock_t` as [`kernel::sync::SpinLock`], taken with interrupts off on the local
//! CPU, so that it may be taken in hard-interrupt context and in process context alike.
//! `src/Kbuild` builds this only where the kernel crate has no `kernel::sync::SpinLockIrq`; the
//! names and `lock()` are the same, so the scenario reads the same on every kernel.
//!
//! Guards may be dropped in any order. C's `spin_lock_irqsave()` hands each holder the
//! interrupt state it found, and `spin_unlock_irqrestore()` puts it back: dropped out of order
//! (`let a = x.lock(); let b = y.lock(); drop(a);`), the first guard would turn interrupts back on
//! while the second still holds its lock, and an interrupt handler that takes it would spin on
//! its own CPU for good. So, as the kernel crate's `SpinLockIrq` does with
//! `local_interrupt_disable()`, each CPU counts the guards of these locks that it holds, the
//! outermost saves the interrupt state it found, and only the last one dropped puts it back.
//!
//! The count is this module's own: it does not see the kernel's `local_irq_save()` sections,
//! which nest properly on their own, nor the guards of another module's copy of this file.

// On PREEMPT_RT a `spinlock_t` is a sleeping lock, which must not be taken with interrupts off:
// this lock would be wrong there, whoever builds it.
#[cfg(CONFIG_PREEMPT_RT)]
compile_error!("lab/irqsave.rs takes a spinlock_t with interrupts off, which PREEMPT_RT forbids (its spinlocks sleep); build against a kernel without CONFIG_PREEMPT_RT");

use kernel::bindings;
use kernel::cpu::CpuId;
use kernel::ffi::{c_char, c_ulong};
use kernel::sync::atomic::Atomic;
use kernel::sync::atomic::Relaxed;
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

/// How one CPU's interrupts were disabled by the guards of [`SpinLockIrq`]s.
///
/// # Invariants
///
/// Only code running on the CPU itself, with its interrupts off, reads or writes its entry: while
/// `depth` is above 0, interrupts stay off on that CPU and `flags` is the state the outermost
/// guard found.
struct Disabled {
    /// Guards of this CPU's tasks (or interrupt handlers) that are alive.
    depth: Atomic<u32>,
    /// The interrupt state the outermost of them found, to put back when the last one goes.
    flags: Atomic<u64>,
}

impl Disabled {
    const fn new() -> Self {
        Disabled {
            depth: Atomic::new(0),
            flags: Atomic::new(0),
        }
    }

    /// The entry of the CPU the caller runs on. With interrupts off, the caller stays there.
    fn here() -> &'static Disabled {
        // A CPU's number is below `nr_cpu_ids`, which is at most `NR_CPUS`.
        &DISABLED[CpuId::current().as_u32() as usize]
    }

    /// One guard more, with interrupts off since the lock was taken; `flags` is the state before.
    fn enter(&self, flags: c_ulong) {
        if self.depth.fetch_add(1, Relaxed) == 0 {
            self.flags.store(flags as u64, Relaxed);
        }
    }

    /// One guard less: the state to put back if it was the last one.
    fn exit(&self) -> Option<c_ulong> {
        match self.depth.fetch_sub(1, Relaxed) {
            1 => Some(self.flags.load(Relaxed) as c_ulong),
            _ => None,
        }
    }
}

/// Every CPU's entry. Atomics, although each entry is only ever touched from its own CPU with
/// interrupts off, so that a shared `static` needs no `unsafe`; relaxed ones cost what plain
/// accesses do.
static DISABLED: [Disabled; bindings::NR_CPUS as usize] =
    [const { Disabled::new() }; bindings::NR_CPUS as usize];

/// C's `spin_lock_irqsave()` on a `spinlock_t`, with the interrupt state counted per CPU.
pub(crate) struct IrqSaveBackend;

// SAFETY: `_raw_spin_lock_irqsave()` gives the same mutual exclusion as `spin_lock()` on the same
// `spinlock_t`, with interrupts off on the local CPU from before the lock is taken. `unlock`
// releases it with `spin_unlock()`, which leaves interrupts as they are, unless it is this CPU's
// last guard, which releases it with `_raw_spin_unlock_irqrestore()` and the state the outermost
// guard found: interrupts stay off until no guard of these locks is left on the CPU, whatever
// order the guards go in. The default `relock` takes the lock as `lock` does.
unsafe impl Backend for IrqSaveBackend {
    type State = bindings::spinlock_t;
    type GuardState = ();

    unsafe fn init(ptr: *mut Self::State, name: *const c_char, key: *mut bindings::lock_class_key) {
        // SAFETY: The caller guarantees that `ptr` is valid for writes and that `name` and `key`
        // stay valid for reads for as long as the lock exists.
        unsafe { bindings::__spin_lock_init(ptr, name, key) }
    }

    unsafe fn lock(ptr: *mut Self::State) -> Self::GuardState {
        // `spinlock_t` begins with the `raw_spinlock_t` that `spin_lock_irqsave()` takes (C's
        // `spinlock_check()`), so the cast pointer points to it.
        // SAFETY: The caller guarantees that `ptr` points to an initialised `spinlock_t`.
        let flags = unsafe { bindings::_raw_spin_lock_irqsave(ptr.cast()) };
        // INVARIANT: Interrupts are off on this CPU from here until the last guard goes, so
        // nothing else runs on it and the task stays on it.
        Disabled::here().enter(flags);
    }

    unsafe fn unlock(ptr: *mut Self::State, _guard_state: &Self::GuardState) {
        // INVARIANT: Interrupts are still off, as this guard's `lock` left them.
        // `ptr` is held as `lock` took it, as a `raw_spinlock_t` (the cast, as there); `flags` is
        // the state the CPU's outermost guard found, and no other guard of this CPU is left.
        match Disabled::here().exit() {
            // SAFETY: The caller guarantees that `ptr` points to an initialised `spinlock_t` that
            // this task holds; `flags` are the outermost guard's (see above).
            Some(flags) => unsafe { bindings::_raw_spin_unlock_irqrestore(ptr.cast(), flags) },
            // SAFETY: As above; another guard of this CPU keeps interrupts off.
            None => unsafe { bindings::spin_unlock(ptr) },
        }
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
