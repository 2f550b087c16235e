// SPDX-License-Identifier: GPL-2.0

//! The ABBA deadlock of `deadlock_lab` on spinlocks, and its fix.
//!
//! Thread A, bound to CPU 0, takes `spin1` then `spin2`; thread B, bound to CPU 1, takes `spin2`
//! then `spin1` (the default, `fixed=0`). Each holds its first spinlock before either reaches
//! for its second, so they deadlock every time. Unlike the semaphore version, nobody sleeps:
//! a task holding a spinlock runs with preemption disabled, and a task waiting for one spins. Both
//! CPUs are busy at 100% for good, nothing else can run on them, and the soft-lockup detector
//! reports each CPU stuck. Lockdep reports the circular dependency earlier, when the second
//! thread asks for its second lock, before it starts spinning. There is no way back: no task
//! can run to unload the module, so the demonstration ends in a soft-lockup panic when
//! `kernel.softlockup_panic` is set.
//!
//! With `fixed=1` both threads take `spin1` then `spin2`, round after round, contending for
//! real, and finish.

mod lab;

use kernel::prelude::*;
use kernel::sync::atomic::{Atomic, Relaxed};
use kernel::sync::{new_spinlock, SpinLock};
use lab::prelude::*;
use lab::rendezvous::Rendezvous;

lab_module! {
    Pair, "deadlock_spin", "ABBA deadlock on two spinlocks (soft lockup), and its fix",
    params: {
        fixed: "Lock order of thread B: 0 = spin2 then spin1, which deadlocks both CPUs for good (unrecoverable: ends in a soft lockup); 1 = spin1 then spin2 (allowed 0..=1)",
    },
    broken: Expect::reports("inverted order: A takes spin1 then spin2, B takes spin2 then spin1; this cannot be undone", "inverted order, stopped before the threads met (a deadlock is never judged: no CPU is left to unload the module)", 0),
    fixed: Expect::silent("fixed order: both threads take spin1 then spin2", "fixed order, every round done"),
}

/// Rounds each thread takes both spinlocks with `fixed=1`.
const ROUNDS: u64 = 20_000;

/// The two locks; the counter each protects must always agree with the other.
#[pin_data]
struct Pair {
    #[pin]
    spin1: SpinLock<u64>,
    #[pin]
    spin2: SpinLock<u64>,
    /// A spinlock holder must not sleep, so the threads spin while they wait here.
    #[pin]
    meet: Rendezvous,
    mode: Mode,
    errors: Atomic<u32>,
}

/// Thread A: `spin1`, then `spin2`, in both modes.
#[inline(never)]
fn thread_a(pair: &Pair, me: &Thread<Pair>) {
    pair.take(me, &pair.spin1, &pair.spin2);
}

/// Thread B: `spin2`, then `spin1` (the inversion), or `spin1`, then `spin2` once fixed.
#[inline(never)]
fn thread_b(pair: &Pair, me: &Thread<Pair>) {
    let (first, second) = pair
        .mode
        .pick((&pair.spin2, &pair.spin1), (&pair.spin1, &pair.spin2));
    pair.take(me, first, second);
}

impl Pair {
    /// One round: `first`, then `second`; in the inverted order this never returns.
    #[inline(always)]
    fn take(&self, me: &Thread<Self>, first: &SpinLock<u64>, second: &SpinLock<u64>) {
        let mut a = first.lock();
        if self.mode == Mode::Broken {
            self.meet.meet();
            pr_info!("{me}: holding my first spinlock, spinning for my second; both CPUs will spin for good\n");
        }
        let mut b = second.lock();
        if *a != *b {
            pr_err!("!!! {me}: spin1 and spin2 disagree\n");
            self.errors.fetch_add(1, Relaxed);
        }
        *a += 1;
        *b += 1;
    }
}

impl Scenario for Pair {
    fn setup(mode: Mode) -> Result<impl PinInit<Self, Error>> {
        Ok(try_pin_init!(Self {
            spin1 <- new_spinlock!(0, "spin1"),
            spin2 <- new_spinlock!(0, "spin2"),
            meet <- Rendezvous::new(2, true),
            mode,
            errors: Atomic::new(0),
        }))
    }

    fn threads(&self, threads: &mut Threads<'_, Self>) -> Result {
        let on = |name, body, cpu| Thread {
            rounds: ROUNDS,
            cpu: Some(cpu),
            ..Thread::of(name, body)
        };
        threads.start(on(c"deadlock_spin_a", thread_a, 0))?;
        threads.start(on(c"deadlock_spin_b", thread_b, 1))
    }

    fn unblock(&self, _mode: Mode) -> u32 {
        self.meet.release();
        0
    }

    fn errors(&self) -> u32 {
        self.errors.load(Relaxed)
    }
}
