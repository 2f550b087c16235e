// SPDX-License-Identifier: GPL-2.0

//! Prevention: the inverted order, written against the typed lock order, does not build, since
//! `sem1` may not be taken while `sem2` is held. Its twin, the fixed order, builds.
//!
//! expect-error: E0277
//! expect-message: the trait bound `Sem1: LockAfter<Sem2>` is not satisfied

mod lab;

use kernel::prelude::*;
use lab::order::{Locked, Ordered, Unlocked};
use lab::prelude::*;

lab_module! {
    Pair, "compile_fail_inverted_order", "Compile-fail case: the inverted order against the typed lock order",
    params: {
        fixed: "Unused (allowed 0..=1)",
    },
    broken: Expect::reports("a round of the case", "the case ran", 0),
    fixed: Expect::silent("a round of the case", "the case ran"),
}

lock_order!(Unlocked => Sem1 => Sem2);

#[pin_data]
struct Pair {
    #[pin]
    sem1: Ordered<Sem1>,
    #[pin]
    sem2: Ordered<Sem2>,
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

impl Scenario for Pair {
    fn setup(_mode: Mode) -> Result<impl PinInit<Self, Error>> {
        Ok(try_pin_init!(Pair {
            sem1 <- Ordered::new(new_semaphore!(1, "sem1")),
            sem2 <- Ordered::new(new_semaphore!(1, "sem2")),
        }))
    }

    fn threads(&self, threads: &mut Threads<'_, Self>) -> Result {
        threads.start(Thread::ordered(c"compile_fail", round))
    }

    fn unblock(&self, _mode: Mode) -> u32 {
        0
    }
}
