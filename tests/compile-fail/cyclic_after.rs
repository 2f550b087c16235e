// SPDX-License-Identifier: GPL-2.0

//! A `LockAfter` written by hand cannot close a cycle: `Sem1` after `Sem2`, against the declared
//! order, fails the level check of every acquisition through it (the levels are numbered by the
//! one declaration, and a lock's level must be above the one held). Its twin adds an edge that
//! goes up the levels, `Sem2` after `Log` (a level of an order of its own), and uses it.
//!
//! expect-error: E0080
//! expect-message: evaluation panicked: a `LockAfter` impl points back down the lock order
//! expect-message: the above error was encountered while instantiating

mod lab;

use kernel::prelude::*;
use lab::order::LockAfter;
use lab::order::Locked;
use lab::order::Unlocked;
use lab::prelude::*;

lock_order!(Unlocked => Sem1 => Sem2);
lock_order!(Unlocked => Log);

// lab:broken
// SAFETY: It is not: `sem1` after `sem2` inverts the declared order, which is what this case
// shows the level check refuses.
unsafe impl LockAfter<Sem2> for Sem1 {}
// lab:fixed
// SAFETY: No code takes `log` while it holds `sem2`: the case's only round takes `log` first.
unsafe impl LockAfter<Log> for Sem2 {}
// lab:end

ordered_case! {
    Pair, "compile_fail_cyclic_after", "Compile-fail case: a hand-written LockAfter that closes a cycle",
    locks: { sem1: Sem1, sem2: Sem2, log: Log },
    round: round,
}

fn round(pair: &Pair, _me: &Thread<Pair>, none: &mut Locked<'_, Unlocked>) {
    // lab:broken
    let (_held2, mut at2) = none.down(&pair.sem2);
    let (_held1, _at1) = at2.down(&pair.sem1);
    // lab:fixed
    let (_held_log, mut at_log) = none.down(&pair.log);
    let (_held2, _at2) = at_log.down(&pair.sem2);
    // lab:end
}
