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

mod kthread;
mod lockdep;
mod params;

use core::hint::spin_loop;
use kernel::prelude::*;
use kernel::sync::atomic::{Atomic, Relaxed};
use kernel::sync::{new_spinlock, Arc, SpinLock};
use kthread::{KThread, ThreadContext};
use params::param_in_range;

module! {
    type: DeadlockSpin,
    name: "deadlock_spin",
    authors: ["deadlock-lab developers"],
    description: "ABBA deadlock on two spinlocks (soft lockup), and its fix",
    license: "GPL",
    params: {
        fixed: i64 {
            default: 0,
            description: "Lock order of thread B: 0 = spin2 then spin1, which deadlocks both CPUs for good (unrecoverable: ends in a soft lockup); 1 = spin1 then spin2 (allowed 0..=1)",
        },
    },
}

/// Rounds each thread takes both spinlocks with `fixed=1`.
const ROUNDS: u64 = 100_000;

#[derive(Clone, Copy)]
enum Side {
    A = 0,
    B = 1,
}

impl Side {
    fn name(self) -> &'static CStr {
        match self {
            Side::A => c"deadlock_spin_a",
            Side::B => c"deadlock_spin_b",
        }
    }

    fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
}

#[pin_data]
struct Pair {
    /// The data both locks protect together: changed only with both held.
    #[pin]
    spin1: SpinLock<u64>,
    #[pin]
    spin2: SpinLock<u64>,
    fixed: bool,
    /// Per side, set once that side holds its first spinlock (inverted order only).
    holds_first: [Atomic<bool>; 2],
    /// Set when the module is unloaded, or when loading failed halfway.
    stopping: Atomic<bool>,
    done: [Atomic<u64>; 2],
    errors: Atomic<i32>,
}

impl Pair {
    fn new(fixed: bool) -> impl PinInit<Self> {
        pin_init!(Self {
            spin1 <- new_spinlock!(0, "spin1"),
            spin2 <- new_spinlock!(0, "spin2"),
            fixed,
            holds_first: [Atomic::new(false), Atomic::new(false)],
            stopping: Atomic::new(false),
            done: [Atomic::new(0), Atomic::new(0)],
            errors: Atomic::new(0),
        })
    }

    /// Takes `first` then `second`, as thread `me`: once in the inverted order, which never
    /// returns, or `ROUNDS` times in the fixed one.
    #[inline(always)]
    fn take_in_order(
        &self,
        ctx: &ThreadContext,
        me: Side,
        first: &SpinLock<u64>,
        second: &SpinLock<u64>,
    ) {
        let name = me.name();
        let mut done = 0;
        while done < ROUNDS && !ctx.should_stop() && !self.stopping.load(Relaxed) {
            let mut a = first.lock();
            if !self.fixed && !self.meet(me) {
                return;
            }
            let mut b = second.lock();
            if *a != *b {
                pr_err!("!!! {name}: spin1 and spin2 disagree\n");
                self.errors.fetch_add(1, Relaxed);
            }
            *a += 1;
            *b += 1;
            drop(b);
            drop(a);
            done += 1;
            self.done[me as usize].store(done, Relaxed);
        }
        pr_info!("{name}: finished {done} rounds\n");
    }

    /// The rendezvous that makes the inverted order deadlock every time: each thread holds its
    /// first spinlock before either reaches for its second. A spinlock holder must not sleep, so
    /// this spins too. Returns `false` if the module gave up on the rendezvous.
    fn meet(&self, me: Side) -> bool {
        let name = me.name();
        self.holds_first[me as usize].store(true, Relaxed);
        while !self.holds_first[me.other() as usize].load(Relaxed) {
            if self.stopping.load(Relaxed) {
                return false;
            }
            spin_loop();
        }
        pr_info!("{name}: holding my first spinlock, spinning for my second; both CPUs will spin for good\n");
        true
    }
}

/// Thread A: `spin1`, then `spin2`, in both modes.
#[inline(never)]
fn thread_a(pair: &Pair, ctx: &ThreadContext) {
    pair.take_in_order(ctx, Side::A, &pair.spin1, &pair.spin2);
}

/// Thread B: `spin2`, then `spin1` (the inversion), or `spin1`, then `spin2` once fixed.
#[inline(never)]
fn thread_b(pair: &Pair, ctx: &ThreadContext) {
    if pair.fixed {
        pair.take_in_order(ctx, Side::B, &pair.spin1, &pair.spin2);
    } else {
        pair.take_in_order(ctx, Side::B, &pair.spin2, &pair.spin1);
    }
}

struct DeadlockSpin {
    pair: Arc<Pair>,
    threads: KVec<KThread>,
}

impl DeadlockSpin {
    fn spawn(&mut self, side: Side, body: fn(&Pair, &ThreadContext)) -> Result {
        let pair = self.pair.clone();
        let thread = KThread::spawn_on_cpu(side.name(), side as u32, move |ctx| body(&pair, ctx))?;
        self.threads.push(thread, GFP_KERNEL)?;
        Ok(())
    }
}

impl kernel::Module for DeadlockSpin {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let fixed = param_in_range("fixed", module_parameters::fixed.value(), 0, 1)? == 1;
        let mode = if fixed {
            "fixed order: both threads take spin1 then spin2"
        } else {
            "inverted order: A takes spin1 then spin2, B takes spin2 then spin1; this cannot be undone"
        };
        pr_info!("loading: {mode} (fixed={})\n", fixed as i32);
        let mut this = DeadlockSpin {
            pair: Arc::pin_init(Pair::new(fixed), GFP_KERNEL)?,
            threads: KVec::with_capacity(2, GFP_KERNEL)?,
        };
        // If B cannot start, dropping `this` releases A from the rendezvous and stops it.
        this.spawn(Side::A, thread_a)?;
        this.spawn(Side::B, thread_b)?;
        let (pid_a, pid_b) = (this.threads[0].pid(), this.threads[1].pid());
        pr_info!(
            "started: deadlock_spin_a (pid {pid_a}) on CPU 0, deadlock_spin_b (pid {pid_b}) on CPU 1\n"
        );
        Ok(this)
    }
}

impl Drop for DeadlockSpin {
    /// Unloading, or a failed load. After a deadlock this never runs: no CPU is free to run it.
    fn drop(&mut self) {
        let pair = &*self.pair;
        pair.stopping.store(true, Relaxed);
        self.threads.clear();
        let (a, b) = (pair.done[0].load(Relaxed), pair.done[1].load(Relaxed));
        let errors = pair.errors.load(Relaxed);
        let debug_locks = lockdep::debug_locks() as i32;
        pr_info!("threads stopped: deadlock_spin_a={a} rounds, deadlock_spin_b={b} rounds\n");
        if pair.fixed && errors == 0 && debug_locks == 1 && a == ROUNDS && b == ROUNDS {
            pr_info!("End of test: SUCCESS: fixed order, {} rounds in all, lockdep silent (debug_locks=1)\n", a + b);
        } else {
            pr_err!(
                "End of test: FAILURE: fixed={}, {errors} error(s), debug_locks={debug_locks}\n",
                pair.fixed as i32
            );
        }
    }
}
