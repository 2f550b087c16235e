// SPDX-License-Identifier: GPL-2.0

//! A round has one token, handed to it by the harness: no code outside the lab's library can make
//! another, not even with `unsafe`, so a round cannot start a second walk through the order to
//! take `sem1` while it holds `sem2`. The constructor the harness uses is private to the library.
//! Its twin takes both through the token it was handed, in order.
//!
//! expect-error: E0624
//! expect-message: associated function `new` is private
//! expect-message: private associated function

mod lab;

use kernel::prelude::*;
use lab::order::Locked;
use lab::order::Unlocked;
use lab::prelude::*;

lock_order!(Unlocked => Sem1 => Sem2);

ordered_case! {
    Pair, "compile_fail_second_token", "Compile-fail case: a second token of the typed lock order",
    locks: { sem1: Sem1, sem2: Sem2 },
    round: round,
}

fn round(pair: &Pair, _me: &Thread<Pair>, none: &mut Locked<'_, Unlocked>) {
    // lab:broken
    let (_held2, _at2) = none.down(&pair.sem2);
    // SAFETY: It is not: a second token, made to take `sem1` while `sem2` is held, which is what
    // this case shows the library refuses even to `unsafe` code.
    let mut again = unsafe { Locked::new() };
    let (_held1, _at1) = again.down(&pair.sem1);
    // lab:fixed
    let (_held1, mut at1) = none.down(&pair.sem1);
    let (_held2, _at2) = at1.down(&pair.sem2);
    // lab:end
}
