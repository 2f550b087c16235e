// SPDX-License-Identifier: GPL-2.0

//! A lock order that the compiler checks.
//!
//! Each lock of the order has a level, a type with a number ([`Level::LEVEL`]);
//! `lock_order!(Unlocked => Sem1 => Sem2)` declares the whole order once, numbering its levels from
//! first to last and saying which level may follow which ([`LockAfter`]). A task walks the order
//! with a token, [`Locked`], that proves which level it holds: taking an [`Ordered`] lock of level
//! `M` needs the token of a level `M` may follow, and borrows it for as long as the new lock's
//! guard and the new level's token live. Taking `sem1` while holding `sem2` is then no deadlock
//! waiting to happen but a type error (E0277: the trait bound `Sem1: LockAfter<Sem2>` is not
//! satisfied), found before the module is ever loaded; so is taking a second lock of the level
//! held.
//!
//! The order is acyclic by construction, not by convention: every acquisition through a token
//! asserts at compile time that the new level's number is above the held one's, so a
//! [`LockAfter`] written by hand that points back down the order (closing a cycle) fails the
//! build where it is used (E0080), whatever it promises.
//!
//! The first token of a walk comes only from the harness, which hands one to each round of a
//! thread that asks for it ([`Thread::ordered`](super::harness::Thread::ordered)), at the top of the
//! round, when the thread holds none of the order's locks. Code outside the lab's library cannot
//! call the constructor, not even from an `unsafe` block: [`Locked::new`] is private to the
//! library. Lockdep still sees every acquisition: an [`Ordered`] lock is a [`Semaphore`] with its
//! own lockdep class.
//!
//! This is the scheme of Fuchsia's `lock_order` (netstack3), on `core` alone. Like it, the types
//! cannot stop everything; what remains possible:
//!
//! - `core::mem::forget` of a guard leaves its lock held while the token it borrowed is free
//!   again, so the same task may take that lock again (and sleep on itself) or take a lock of a
//!   lower level while still holding it. Forgetting a guard is a bug the types do not see.
//! - [`Ordered::untyped`] hands out the semaphore itself, for orders no type can check (one chosen
//!   at load time, or a wrong one on purpose); what is taken through it is outside the order.
//! - An `unsafe impl LockAfter` written by hand adds an edge to the order. It cannot close a cycle
//!   (the level check above refuses that), but its `// SAFETY:` comment is all that says that the
//!   untyped code taking the same locks follows it too.
//! - `unsafe` code can forge a token out of nothing (`core::mem::zeroed()` of a [`Locked`]),
//!   breaking its invariant as it could any type's.
//! - Locks outside the order, and waits for anything that is not a lock (a completion, the
//!   rendezvous), are not seen at all.

use super::semaphore::{Semaphore, SemaphoreGuard};
use core::marker::PhantomData;
use kernel::prelude::*;
use kernel::types::NotThreadSafe;

/// A level of a lock order: a task takes locks only at ever higher levels.
///
/// `lock_order!` implements it for the levels it declares; a level written by hand is only a
/// number, and no choice of numbers can make an order cyclic.
pub(crate) trait Level {
    /// The level's place in the order; [`Unlocked`] is 0.
    const LEVEL: u32;
}

/// `Self` may be taken while the task holds locks up to level `A`.
///
/// The acquisition itself checks that `Self` is above `A` ([`Locked::down`]), so no impl can make
/// the order cyclic. `lock_order!` writes the impls of a declared order.
///
/// # Safety
///
/// Implementing it adds the edge "`A`, then `Self`" to the lock order, which the compiler then
/// enforces for acquisitions through a [`Locked`] token only: no code, typed or untyped, may take
/// a lock of level `A` while it holds a lock of level `Self`.
pub(crate) unsafe trait LockAfter<A: Level>: Level {}

/// The level of a task that holds none of the order's locks.
pub(crate) enum Unlocked {}

impl Level for Unlocked {
    const LEVEL: u32 = 0;
}

/// Declares a lock order, from first to last: the levels after the first, each numbered one above
/// the one before it, and the impls of [`LockAfter`] by which every level may follow each one
/// before it.
///
/// ```ignore
/// lock_order!(Unlocked => Sem1 => Sem2);
/// ```
#[macro_export]
macro_rules! lock_order {
    ($first:ident => $($level:ident)=>+) => {
        $crate::lock_order!(@levels $first $($level)+);
        $crate::lock_order!(@after [$first] $($level)+);
    };
    (@levels $below:ident $level:ident $($rest:ident)*) => {
        /// A level of the lock order.
        pub(crate) enum $level {}

        impl $crate::lab::order::Level for $level {
            const LEVEL: u32 = <$below as $crate::lab::order::Level>::LEVEL + 1;
        }

        $crate::lock_order!(@levels $level $($rest)*);
    };
    (@levels $below:ident) => {};
    (@after [$($before:ident)+] $level:ident $($rest:ident)*) => {
        $(
            // SAFETY: This is the order's one declaration, from first to last: each level follows
            // every level declared before it, and no edge declared here goes back down.
            unsafe impl $crate::lab::order::LockAfter<$before> for $level {}
        )+
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
/// A token of [`Unlocked`] exists only where the current task holds no lock taken through a
/// token (leaked guards aside), and is the task's only live token that is not borrowed: it is
/// made by the harness alone, one per round ([`Locked::new`]). The token of a later level exists only while the task
/// holds the lock of that level and borrows the token of the level below: it is made by
/// [`Locked::down`] alone. No token is [`Send`].
pub(crate) struct Locked<'a, L> {
    _level: Marker<'a, L>,
    _not_send: NotThreadSafe,
}

impl Locked<'static, Unlocked> {
    /// The start of a walk through the order: the token the harness hands to a round.
    ///
    /// # Safety
    ///
    /// For as long as the returned token lives, the current task must have no other token of
    /// [`Unlocked`], and must hold no lock taken through a token but one whose guard it leaked
    /// with `core::mem::forget` (which the order does not claim to cover, see above).
    pub(in crate::lab) unsafe fn new() -> Self {
        // INVARIANT: The caller guarantees that the task holds no lock of the order (leaked
        // guards aside) and that this is its only token.
        Locked {
            _level: PhantomData,
            _not_send: NotThreadSafe,
        }
    }
}

/// Fails to build (E0080) where the lock of level `$m` may not follow level `$l`, which only a
/// [`LockAfter`] written by hand could have allowed.
macro_rules! above {
    ($l:ident, $m:ident) => {
        const {
            assert!(
                $m::LEVEL > $l::LEVEL,
                "a `LockAfter` impl points back down the lock order: the order has a cycle"
            )
        }
    };
}

impl<L: Level> Locked<'_, L> {
    /// Takes `lock`, of a level that may follow `L`: its guard, and the token of its level, both
    /// of which borrow this token until they are dropped.
    ///
    /// Fails to build (E0080) if `M` is not above `L`, which only a [`LockAfter`] written by hand
    /// could have allowed.
    #[inline(always)]
    #[cfg_attr(
        lab_gate,
        allow(
            dead_code,
            reason = "a module that follows schedules may take every lock with down_then, the gate's hook"
        )
    )]
    pub(crate) fn down<'b, M: LockAfter<L>>(
        &'b mut self,
        lock: &'b Ordered<M>,
    ) -> (SemaphoreGuard<'b>, Locked<'b, M>) {
        // Checked here too, so that the error points at the caller's `down`.
        above!(L, M);
        self.down_then(lock, || ())
    }

    /// As [`Locked::down`], calling `before_sleep` first if the task must wait for `lock`
    /// ([`Semaphore::down_then`]).
    #[inline(always)]
    pub(crate) fn down_then<'b, M: LockAfter<L>>(
        &'b mut self,
        lock: &'b Ordered<M>,
        before_sleep: impl FnOnce(),
    ) -> (SemaphoreGuard<'b>, Locked<'b, M>) {
        above!(L, M);
        // INVARIANT: The task now holds `lock`, of level `M`, and this token is borrowed.
        (
            lock.sem.down_then(before_sleep),
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
    /// or a wrong one on purpose). What is taken through it is outside the order.
    pub(crate) fn untyped(&self) -> &Semaphore {
        &self.sem
    }
}
