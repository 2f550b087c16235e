// SPDX-License-Identifier: GPL-2.0

//! Prevention: the inverted order, written against the typed lock order, does not build, since
//! `sem1` may not be taken while `sem2` is held. Its twin, the fixed order, builds.
//!
//! expect-error: E0277
//! expect-message: the trait bound `Sem1: LockAfter<Sem2>` is not satisfied

mod lab;

use kernel::prelude::*;
use lab::order::{Locked, Ordered, Unlocked};

module! {
    type: Case,
    name: "compile_fail_inverted_order",
    authors: ["deadlock-lab developers"],
    description: "Compile-fail case: the inverted order against the typed lock order",
    license: "GPL",
}

lock_order!(Unlocked => Sem1 => Sem2);

#[pin_data]
struct Pair {
    #[pin]
    sem1: Ordered<Sem1>,
    #[pin]
    sem2: Ordered<Sem2>,
}

fn round(pair: &Pair) {
    let mut none = Locked::start();
    // lab:broken
    let (_held2, mut at2) = none.down(&pair.sem2);
    let (_held1, _at1) = at2.down(&pair.sem1);
    // lab:fixed
    let (_held1, mut at1) = none.down(&pair.sem1);
    let (_held2, _at2) = at1.down(&pair.sem2);
    // lab:end
}

struct Case;

impl kernel::Module for Case {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let pair = KBox::pin_init(
            try_pin_init!(Pair {
                sem1 <- Ordered::new(new_semaphore!(1, "sem1")),
                sem2 <- Ordered::new(new_semaphore!(1, "sem2")),
            }),
            GFP_KERNEL,
        )?;
        round(&pair);
        Ok(Case)
    }
}
