// SPDX-License-Identifier: GPL-2.0

//! A lock order that the compiler checks.
//!
//! Each lock of the order has a level, a type; `lock_order!(Unlocked => Sem1 => Sem2)` says which
//! level may follow which ([`LockAfter`]). A task walks the order with a token, [`Locked`], that
//! proves which level it holds: taking an [`Ordered`] lock of level `M` needs the token of a level
//! `M` may follow, and borrows it for as long as the new level's token lives. Taking `sem1` while
//! holding `sem2` is then no deadlock waiting to happen but a type error (E0277: the trait bound
//! `Sem1: LockAfter<Sem2>` is not satisfied), found before the module is ever loaded.
//!
//! This is the scheme of Fuchsia's `lock_order` (netstack3), on `core` alone. Lockdep still sees
//! every acquisition: an [`Ordered`] lock is a [`Semaphore`] with its own lockdep class.

use super::semaphore::{Semaphore, SemaphoreGuard};
use core::marker::PhantomData;
use kernel::prelude::*;
use kernel::types::NotThreadSafe;

/// `Self` may be taken while the task holds locks up to level `A`.
pub(crate) trait LockAfter<A> {}

/// The level of a task that holds none of the order's locks.
pub(crate) enum Unlocked {}

/// Declares the levels of a lock order, from first to last: every level may follow each one
/// before it.
///
/// ```ignore
/// lock_order!(Unlocked => Sem1 => Sem2);
/// ```
#[macro_export]
macro_rules! lock_order {
    ($first:ident => $($level:ident)=>+) => {
        $(
            /// A level of the lock order.
            pub(crate) enum $level {}
        )+
        $crate::lock_order!(@after [$first] $($level)+);
    };
    (@after [$($before:ident)+] $level:ident $($rest:ident)*) => {
        $(impl $crate::lab::order::LockAfter<$before> for $level {})+
        $crate::lock_order!(@after [$($before)+ $level] $($rest)*);
    };
    (@after [$($before:ident)+]) => {};
}

/// What a token holds of its level and of the token it borrows: nothing at run time.
type Marker<'a, L> = PhantomData<(&'a mut (), fn() -> L)>;

/// Proof that the current task holds locks up to level `L`, and none after it.
///
/// # Invariants
///
/// The token of a level after [`Unlocked`] exists only while the task holds the lock of that level
/// and borrows the token of the level it holds below: it is made by [`Locked::down`] alone, and
/// is not [`Send`].
pub(crate) struct Locked<'a, L> {
    _level: Marker<'a, L>,
    _not_send: NotThreadSafe,
}

impl Locked<'static, Unlocked> {
    /// The start of a walk through the order, for a task that holds none of its locks (at the
    /// top of a thread's round, say).
    pub(crate) fn start() -> Self {
        Locked {
            _level: PhantomData,
            _not_send: NotThreadSafe,
        }
    }
}

impl<L> Locked<'_, L> {
    /// Takes `lock`, of a level that may follow `L`: its guard, and the token of its level, which
    /// borrows this one until it is dropped.
    #[inline(always)]
    pub(crate) fn down<'b, M: LockAfter<L>>(
        &'b mut self,
        lock: &'b Ordered<M>,
    ) -> (SemaphoreGuard<'b>, Locked<'b, M>) {
        // INVARIANT: The task now holds `lock`, of level `M`, and this token is borrowed.
        (
            lock.sem.down(),
            Locked {
                _level: PhantomData,
                _not_send: NotThreadSafe,
            },
        )
    }
}

/// A semaphore at level `L` of a lock order.
#[pin_data]
pub(crate) struct Ordered<L> {
    #[pin]
    sem: Semaphore,
    _level: PhantomData<fn() -> L>,
}

impl<L> Ordered<L> {
    /// Puts a semaphore (made with `new_semaphore!`) at level `L`.
    pub(crate) fn new(sem: impl PinInit<Semaphore>) -> impl PinInit<Self> {
        pin_init!(Self {
            sem <- sem,
            _level: PhantomData,
        })
    }

    /// The semaphore itself, for code whose order no type can check (one chosen at load time,
    /// or a wrong one on purpose).
    pub(crate) fn untyped(&self) -> &Semaphore {
        &self.sem
    }
}
