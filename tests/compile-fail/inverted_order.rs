// SPDX-License-Identifier: GPL-2.0

//! Prevention: the inverted order, written against the typed lock order, does not build, since
//! `sem1` may not be taken while `sem2` is held. Its twin, the fixed order, builds.
//!
//! expect-error: E0277
//! expect-message: the trait bound `Sem1: LockAfter<Sem2>` is not satisfied

mod lab;

use kernel::prelude::*;
use lab::order::Locked;
use lab::order::Unlocked;
use lab::prelude::*;

lock_order!(Unlocked => Sem1 => Sem2);

ordered_case! {
    Pair, "compile_fail_inverted_order", "Compile-fail case: the inverted order against the typed lock order",
    locks: { sem1: Sem1, sem2: Sem2 },
    round: round,
}

fn round(pair: &Pair, _me: &Thread<Pair>, none: &mut Locked<'_, Unlocked>) {
    // lab:broken
    let (_held2, mut at2) = none.down(&pair.sem2);
    let (_held1, _at1) = at2.down(&pair.sem1);
    // lab:fixed
    let (_held1, mut at1) = none.down(&pair.sem1);
    let (_held2, _at2) = at1.down(&pair.sem2);
    // lab:end
}
