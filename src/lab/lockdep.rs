// SPDX-License-Identifier: GPL-2.0

//! A lockdep map for a lock that lockdep does not track by itself.
//!
//! Lockdep only sees the primitives that carry a `struct lockdep_map`: spinlocks, mutexes,
//! rw-semaphores and a few others. `struct semaphore` has none, so an ABBA deadlock on two
//! plain semaphores goes unnoticed until the tasks hang. The kernel's answer for such waits (see
//! `console_sem` in `kernel/printk/printk.c`) is an explicit map whose acquire and release are
//! reported around the real operation; [`LockdepMap`] is that map. Without `CONFIG_LOCKDEP` it
//! is empty and every call compiles away.

use kernel::prelude::*;
use kernel::sync::LockClassKey;

use kernel::bindings;
#[cfg(CONFIG_LOCKDEP)]
use kernel::types::Opaque;

/// Returns an address inside the calling function, for lockdep's `at:` lines.
///
/// This is the equivalent of C's `_THIS_IP_`. It must be inlined into the function whose address
/// is wanted, which is why every function on the path to it is `#[inline(always)]`.
#[inline(always)]
pub(crate) fn this_ip() -> usize {
    #[cfg(CONFIG_X86_64)]
    {
        let ip: usize;
        // SAFETY: The instruction only computes the address of itself into a register; it
        // reads no memory, touches no stack and leaves the flags alone.
        unsafe {
            core::arch::asm!("lea {}, [rip]", out(reg) ip, options(nomem, nostack, preserves_flags))
        };
        ip
    }
    #[cfg(not(CONFIG_X86_64))]
    {
        this_ip as usize
    }
}

/// One lock instance as lockdep sees it: a name and a lock class.
///
/// # Invariants
///
/// With `CONFIG_LOCKDEP`, `map` is initialised by `lockdep_init_map_type` with a static lock class
/// key and stays at the same address (the type is pinned) for as long as lockdep may refer to it.
#[pin_data]
pub(crate) struct LockdepMap {
    #[cfg(CONFIG_LOCKDEP)]
    #[pin]
    map: Opaque<bindings::lockdep_map>,
}

// SAFETY: Lockdep serialises all access to a map's state internally; the map may be used from
// any task.
unsafe impl Send for LockdepMap {}

// SAFETY: As above, concurrent `lock_acquire`/`lock_release` calls on one map are allowed.
unsafe impl Sync for LockdepMap {}

impl LockdepMap {
    /// Creates a map for a sleeping lock named `name`, in the class of `key`.
    #[cfg(CONFIG_LOCKDEP)]
    pub(crate) fn new(name: &'static CStr, key: Pin<&'static LockClassKey>) -> impl PinInit<Self> {
        pin_init!(Self {
            // INVARIANT: The map is initialised here, with a static key, and it is pinned.
            map <- Opaque::ffi_init(move |slot: *mut bindings::lockdep_map| {
                // SAFETY: `slot` is valid for writes; `name` and `key` are static, as lockdep
                // keeps both pointers.
                unsafe {
                    bindings::lockdep_init_map_type(
                        slot,
                        name.as_char_ptr(),
                        key.as_ptr(),
                        0,
                        bindings::lockdep_wait_type_LD_WAIT_SLEEP as u8,
                        bindings::lockdep_wait_type_LD_WAIT_INV as u8,
                        bindings::lockdep_lock_type_LD_LOCK_NORMAL as u8,
                    )
                }
            }),
        })
    }

    /// Creates a map for a sleeping lock named `name` (lockdep is off: nothing to record).
    #[cfg(not(CONFIG_LOCKDEP))]
    pub(crate) fn new(
        _name: &'static CStr,
        _key: Pin<&'static LockClassKey>,
    ) -> impl PinInit<Self> {
        pin_init!(Self {})
    }

    /// Tells lockdep the current task takes this lock, called from `ip`, as lockdep subclass
    /// `subclass` of the map's class (0 unless two locks of one class nest).
    ///
    /// For a blocking acquisition (`trylock` false) this comes before the task waits: lockdep
    /// checks the new dependency here, so an inversion is reported even when the task is about to
    /// hang. A `trylock` acquisition is reported only once it succeeded; lockdep records no
    /// dependency for it (`validate_chain()` skips trylocks), since a task that cannot get the
    /// lock does not wait for it. Lockdep treats each subclass as a class of its own, so a task
    /// may hold a lock of subclass 0 and take another instance of the same class as subclass 1
    /// without a recursion report.
    #[inline(always)]
    pub(crate) fn acquire(&self, subclass: u32, trylock: bool, ip: usize) {
        #[cfg(CONFIG_LOCKDEP)]
        // SAFETY: By the type invariant the map is initialised and pinned; lockdep checks that
        // `subclass` is below `MAX_LOCKDEP_SUBCLASSES` and reports it otherwise.
        unsafe {
            bindings::lock_acquire(
                self.map.get(),
                subclass,
                i32::from(trylock),
                0,
                1,
                core::ptr::null_mut(),
                ip as kernel::ffi::c_ulong,
            )
        };
        #[cfg(not(CONFIG_LOCKDEP))]
        let _ = (subclass, trylock, ip);
    }

    /// Tells lock_stat of an acquisition the current task reported with [`LockdepMap::acquire`],
    /// as the kernel's `LOCK_CONTENDED()` does: [`LockStat::Contended`] when it found the lock
    /// taken and is about to wait, [`LockStat::Acquired`] once it holds it. Without them
    /// `/proc/lock_stat` shows acquisitions, never contention.
    #[inline(always)]
    pub(crate) fn lock_stat(&self, event: LockStat, ip: usize) {
        #[cfg(CONFIG_LOCK_STAT)]
        {
            let hook = match event {
                LockStat::Contended => bindings::lock_contended,
                LockStat::Acquired => bindings::lock_acquired,
            };
            // SAFETY: By the type invariant the map is initialised and pinned, and the current
            // task reported the acquisition the event is about.
            unsafe { hook(self.map.get(), ip as kernel::ffi::c_ulong) };
        }
        #[cfg(not(CONFIG_LOCK_STAT))]
        let _ = (event, ip);
    }

    /// Tells lockdep the current task released this lock, called from `ip`.
    #[inline(always)]
    pub(crate) fn release(&self, ip: usize) {
        #[cfg(CONFIG_LOCKDEP)]
        // SAFETY: By the type invariant the map is initialised and pinned.
        unsafe {
            bindings::lock_release(self.map.get(), ip as kernel::ffi::c_ulong)
        };
        #[cfg(not(CONFIG_LOCKDEP))]
        let _ = ip;
    }
}

/// What lock_stat hears of an acquisition, besides the acquisition itself.
#[derive(Clone, Copy)]
pub(crate) enum LockStat {
    /// The task found the lock taken and is about to wait for it.
    Contended,
    /// The task now holds the lock; lock_stat counts how long it waited, if it did.
    Acquired,
}
