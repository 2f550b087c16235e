// SPDX-License-Identifier: GPL-2.0

//! Two locks of one level: taking the second while holding the first does not build, since a
//! level does not follow itself. (Two nodes of one kind, each taken inside the other by two tasks,
//! are an ABBA just the same.) Its twin takes them one at a time.
//!
//! expect-error: E0277
//! expect-message: the trait bound `Node: LockAfter<Node>` is not satisfied
//! expect-message: required by a bound in `Locked::<'_, L>::down`

mod lab;

use kernel::prelude::*;
use lab::order::Locked;
use lab::order::Unlocked;
use lab::prelude::*;

lock_order!(Unlocked => Node);

ordered_case! {
    Pair, "compile_fail_same_level", "Compile-fail case: two locks of one level of the typed lock order",
    locks: { left: Node, right: Node },
    round: round,
}

fn round(pair: &Pair, _me: &Thread<Pair>, none: &mut Locked<'_, Unlocked>) {
    // lab:broken
    let (_held_left, mut at_left) = none.down(&pair.left);
    let (_held_right, _at_right) = at_left.down(&pair.right);
    // lab:fixed
    let (held_left, _at_left) = none.down(&pair.left);
    drop(held_left);
    let (_held_right, _at_right) = none.down(&pair.right);
    // lab:end
}
