// SPDX-License-Identifier: GPL-2.0

//! An ABBA deadlock between two kernel threads on two semaphores, and its fix.
//!
//! Thread A takes `sem1` then `sem2`. Thread B takes `sem2` then `sem1` (the default,
//! `fixed=0`), which deadlocks every time, or `sem1` then `sem2` (`fixed=1`), which does not.
//! The semaphores carry lockdep maps, so lockdep reports the inverted order as a possible
//! circular locking dependency and stays silent for the fixed one; the stuck threads sleep in
//! `down()` in state `D`, where the hung-task detector finds them. Unloading the module always
//! works: in the inverted order the exit path breaks the deadlock first.

mod kthread;
mod lockdep;
mod params;
mod semaphore;

use kernel::prelude::*;
use kernel::sync::atomic::{Atomic, Relaxed};
use kernel::sync::{Arc, Completion};
use kernel::time::{delay::fsleep, Delta};
use kthread::{KThread, ThreadContext};
use params::param_in_range;
use semaphore::Semaphore;

module! {
    type: DeadlockLab,
    name: "deadlock_lab",
    authors: ["deadlock-lab developers"],
    description: "ABBA deadlock on two lockdep-visible semaphores, and its fix",
    license: "GPL",
    params: {
        fixed: i64 {
            default: 0,
            description: "Lock order of thread B: 0 = sem2 then sem1, the inverted order that deadlocks; 1 = sem1 then sem2, the same order as thread A (allowed 0..=1)",
        },
        rounds: i64 {
            default: 1000,
            description: "Rounds each thread takes both semaphores with fixed=1; 0 = until unload (allowed 0..=10000000)",
        },
        hold_us: i64 {
            default: 0,
            description: "Microseconds each thread holds both semaphores per round (allowed 0..=100000)",
        },
    },
}

/// The two workers. Their names are what `ps`, lockdep and the hung-task detector print.
#[derive(Clone, Copy)]
enum Side {
    A = 0,
    B = 1,
}

impl Side {
    fn name(self) -> &'static CStr {
        match self {
            Side::A => c"deadlock_lab_a",
            Side::B => c"deadlock_lab_b",
        }
    }

    fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
}

/// What both threads and the module share.
#[pin_data]
struct Lab {
    #[pin]
    sem1: Semaphore,
    #[pin]
    sem2: Semaphore,
    /// One per side, completed once that side holds its first semaphore (inverted order only).
    #[pin]
    holds_first: [Completion; 2],
    fixed: bool,
    rounds: u64,
    hold_us: i64,
    /// Set by the exit path; the threads finish their round and return.
    stopping: Atomic<bool>,
    /// How many threads are waiting for their second semaphore.
    waiting: Atomic<i32>,
    /// Set once both threads waited for each other's semaphore at the same time.
    deadlocked: Atomic<bool>,
    /// How many threads are in the critical section; more than one is a bug.
    inside: Atomic<i32>,
    errors: Atomic<i32>,
    done: [Atomic<u64>; 2],
    /// Per side, how many acquisitions found the semaphore taken and had to wait.
    waits: [Atomic<u64>; 2],
}

impl Lab {
    fn new(fixed: bool, rounds: u64, hold_us: i64) -> impl PinInit<Self> {
        pin_init!(Self {
            sem1 <- new_semaphore!(1, "sem1"),
            sem2 <- new_semaphore!(1, "sem2"),
            holds_first <- pin_init::pin_init_array_from_fn(|_| Completion::new()),
            fixed,
            rounds,
            hold_us,
            stopping: Atomic::new(false),
            waiting: Atomic::new(0),
            deadlocked: Atomic::new(false),
            inside: Atomic::new(0),
            errors: Atomic::new(0),
            done: [Atomic::new(0), Atomic::new(0)],
            waits: [Atomic::new(0), Atomic::new(0)],
        })
    }

    fn stop_requested(&self, ctx: &ThreadContext) -> bool {
        ctx.should_stop() || self.stopping.load(Relaxed)
    }

    /// Takes `first` then `second`, round after round, as thread `me`.
    ///
    /// Inlined into `thread_a` and `thread_b`, so that lockdep's `at:` lines name them.
    #[inline(always)]
    fn take_in_order(&self, ctx: &ThreadContext, me: Side, first: &Semaphore, second: &Semaphore) {
        let name = me.name();
        let mut done = 0;
        while !self.stop_requested(ctx) {
            if self.rounds != 0 && done == self.rounds {
                let waits = self.waits[me as usize].load(Relaxed);
                pr_info!("{name}: finished {done} rounds, waited for a semaphore {waits} times\n");
                return;
            }
            let held_first = first.down();
            if !self.fixed {
                self.meet(me, first, second);
            }
            let held_second = second.down();
            if !self.fixed {
                self.waiting.fetch_sub(1, Relaxed);
                pr_info!(
                    "{name}: got {} after the exit path released one\n",
                    second.name()
                );
            }
            self.critical_section(name);
            let waits = held_first.waited() as u64 + held_second.waited() as u64;
            drop(held_second);
            drop(held_first);
            self.waits[me as usize].fetch_add(waits, Relaxed);
            done += 1;
            self.done[me as usize].store(done, Relaxed);
        }
    }

    /// The rendezvous that makes the inverted order deadlock every time: each thread holds its
    /// first semaphore before either reaches for its second.
    fn meet(&self, me: Side, first: &Semaphore, second: &Semaphore) {
        let name = me.name();
        pr_info!("{name}: holding {}\n", first.name());
        self.holds_first[me as usize].complete_all();
        self.holds_first[me.other() as usize].wait_for_completion();
        pr_info!("{name}: waiting for {}\n", second.name());
        if self.waiting.fetch_add(1, Relaxed) == 1 && !self.stopping.load(Relaxed) {
            self.deadlocked.store(true, Relaxed);
            pr_info!(
                "deadlocked: deadlock_lab_a holds sem1 and waits for sem2, deadlock_lab_b holds sem2 and waits for sem1; both sleep in down() (state D) until rmmod deadlock_lab\n"
            );
        }
    }

    fn critical_section(&self, name: &CStr) {
        let inside = self.inside.fetch_add(1, Relaxed) + 1;
        // After the exit path released extra units, two threads may overlap while stopping.
        if inside != 1 && !self.stopping.load(Relaxed) {
            pr_err!("!!! {name}: {inside} threads in the critical section\n");
            self.errors.fetch_add(1, Relaxed);
        }
        if self.hold_us > 0 {
            fsleep(Delta::from_micros(self.hold_us));
        }
        self.inside.fetch_sub(1, Relaxed);
    }
}

/// Thread A: `sem1`, then `sem2`, in both modes.
#[inline(never)]
fn thread_a(lab: &Lab, ctx: &ThreadContext) {
    lab.take_in_order(ctx, Side::A, &lab.sem1, &lab.sem2);
}

/// Thread B: `sem2`, then `sem1` (the inversion), or `sem1`, then `sem2` once fixed.
#[inline(never)]
fn thread_b(lab: &Lab, ctx: &ThreadContext) {
    if lab.fixed {
        lab.take_in_order(ctx, Side::B, &lab.sem1, &lab.sem2);
    } else {
        lab.take_in_order(ctx, Side::B, &lab.sem2, &lab.sem1);
    }
}

struct DeadlockLab {
    lab: Arc<Lab>,
    threads: KVec<KThread>,
}

impl DeadlockLab {
    fn spawn(&mut self, side: Side, body: fn(&Lab, &ThreadContext)) -> Result {
        let lab = self.lab.clone();
        let thread = KThread::spawn(side.name(), move |ctx| body(&lab, ctx))?;
        self.threads.push(thread, GFP_KERNEL)?;
        Ok(())
    }
}

impl kernel::Module for DeadlockLab {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let fixed = param_in_range("fixed", module_parameters::fixed.value(), 0, 1)? == 1;
        let rounds = param_in_range("rounds", module_parameters::rounds.value(), 0, 10_000_000)?;
        let hold_us = param_in_range("hold_us", module_parameters::hold_us.value(), 0, 100_000)?;

        let mode = if fixed {
            "fixed order: both threads take sem1 then sem2"
        } else {
            "inverted order: A takes sem1 then sem2, B takes sem2 then sem1"
        };
        pr_info!(
            "loading: {mode} (fixed={}), rounds={rounds}, hold_us={hold_us}\n",
            fixed as i32
        );
        let mut this = DeadlockLab {
            lab: Arc::pin_init(Lab::new(fixed, rounds as u64, hold_us), GFP_KERNEL)?,
            threads: KVec::with_capacity(2, GFP_KERNEL)?,
        };
        // If B cannot start, dropping `this` stops A through the same path as unloading.
        this.spawn(Side::A, thread_a)?;
        this.spawn(Side::B, thread_b)?;
        let (pid_a, pid_b) = (this.threads[0].pid(), this.threads[1].pid());
        pr_info!("started: deadlock_lab_a (pid {pid_a}), deadlock_lab_b (pid {pid_b})\n");
        Ok(this)
    }
}

impl Drop for DeadlockLab {
    /// The one cleanup path, for unloading and for a failed load: break the deadlock if there is
    /// one, stop and join both threads, then report.
    fn drop(&mut self) {
        let lab = &*self.lab;
        lab.stopping.store(true, Relaxed);
        if !lab.fixed {
            // Nobody may wait for a rendezvous that will not happen.
            for c in &lab.holds_first {
                c.complete_all();
            }
            // A semaphore has no owner: unlike a mutex, any task may call up() on it. One extra
            // unit on each semaphore wakes whichever thread waits for it; that thread finishes
            // its round, releases what it holds, and so frees the other.
            pr_info!(
                "unloading: {}breaking the deadlock: up(sem1) and up(sem2) from the exit path (a semaphore has no owner, so any task may release it)\n",
                if lab.deadlocked.load(Relaxed) { "" } else { "not deadlocked yet; " }
            );
            lab.sem1.up_unowned();
            lab.sem2.up_unowned();
        }
        // Dropping each handle stops its thread and waits until it has exited.
        self.threads.clear();
        let (a, b) = (lab.done[0].load(Relaxed), lab.done[1].load(Relaxed));
        let waits = lab.waits[0].load(Relaxed) + lab.waits[1].load(Relaxed);
        pr_info!(
            "threads stopped: deadlock_lab_a={a} rounds, deadlock_lab_b={b} rounds, {waits} contended acquisitions\n"
        );
        let debug_locks = lockdep::debug_locks() as i32;
        let errors = lab.errors.load(Relaxed);
        if lab.fixed {
            if errors == 0 && debug_locks == 1 {
                pr_info!("End of test: SUCCESS: fixed order, {} rounds in all, lockdep silent (debug_locks=1)\n", a + b);
            } else {
                pr_err!("End of test: FAILURE: fixed order, {errors} error(s), debug_locks={debug_locks}\n");
            }
        } else if lab.deadlocked.load(Relaxed) {
            pr_info!("recovered: both threads finished their round and exited\n");
            pr_info!("End of test: SUCCESS: inverted order deadlocked and recovered (debug_locks={debug_locks})\n");
        } else {
            pr_err!("End of test: FAILURE: unloaded before the deadlock formed (debug_locks={debug_locks})\n");
        }
    }
}
