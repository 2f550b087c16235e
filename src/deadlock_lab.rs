// SPDX-License-Identifier: GPL-2.0

//! An ABBA deadlock between kernel threads on two semaphores, and its fix.
//!
//! Thread A takes `sem1` then `sem2`. Thread B takes `sem2` then `sem1` (the default, `fixed=0`),
//! which deadlocks every time, or `sem1` then `sem2` (`fixed=1`), which does not. The semaphores
//! carry lockdep maps, so lockdep reports the inverted order as a possible circular locking
//! dependency and stays silent for the fixed one; the stuck threads sleep in `down()` in state
//! `D`, where the hung-task detector finds them. Unloading always works: in the inverted order
//! the exit path breaks the deadlock first.
//!
//! `annotate=0` makes the semaphores plain, as the C `DEFINE_SEMAPHORE` gives them: lockdep
//! cannot see them, and only the hung-task detector notices the deadlock. `overlap=0` starts
//! thread B only after thread A finished its rounds: nothing blocks, yet lockdep, which judges
//! the order and not the timing, still reports the inversion. `threads=N` runs N threads, pairs of
//! A and B.

mod lab;

use kernel::prelude::*;
use kernel::sync::atomic::{Atomic, Full, Relaxed};
use kernel::time::{delay::fsleep, Delta};
use lab::harness::{Declaration, Lockdep};
use lab::prelude::*;
use lab::rendezvous::Rendezvous;
use lab::semaphore::Semaphore;

lab_module! {
    Lab, "deadlock_lab", "ABBA deadlock on two lockdep-visible semaphores, and its fix",
    params: {
        fixed: "Lock order of thread B: 0 = sem2 then sem1, the inverted order that deadlocks; 1 = sem1 then sem2, the same order as thread A (allowed 0..=1)" = 0,
        rounds: "Rounds each thread takes both semaphores; 0 = until unload (allowed 0..=10000000)" = 1000,
        hold_us: "Microseconds each thread holds both semaphores per round (allowed 0..=100000)" = 0,
        annotate: "1 = the semaphores carry lockdep maps, so lockdep sees their order; 0 = plain semaphores, as DEFINE_SEMAPHORE makes them, which lockdep cannot see (allowed 0..=1)" = 1,
        overlap: "1 = the threads run together and meet holding their first semaphore; 0 = the B threads start only after every A thread finished its rounds, so nothing blocks (allowed 0..=1)" = 1,
        threads: "Threads: deadlock_lab_a, deadlock_lab_b, then more pairs (deadlock_lab_a1, deadlock_lab_b1, ...) (allowed 2..=64)" = 2,
    },
    broken: Expect::reports("inverted order: A takes sem1 then sem2, B takes sem2 then sem1", "inverted order deadlocked and recovered", 2),
    fixed: Expect::silent("fixed order: both threads take sem1 then sem2", "fixed order, every round done"),
}

/// What the threads share.
#[pin_data]
struct Lab {
    #[pin]
    sem1: Semaphore,
    #[pin]
    sem2: Semaphore,
    /// Where the first A and the first B meet, each holding its first semaphore.
    #[pin]
    meet: Rendezvous,
    mode: Mode,
    annotate: bool,
    overlap: bool,
    threads: u32,
    rounds: u64,
    hold_us: i64,
    /// Set by the exit path before it releases the semaphores.
    unblocked: Atomic<bool>,
    /// Set once a thread said the threads deadlocked.
    told: Atomic<bool>,
    /// Threads in the critical section: more than one is an error.
    inside: Atomic<u32>,
    errors: Atomic<u32>,
    /// Acquisitions that found the semaphore taken and had to sleep.
    waits: Atomic<u64>,
}

/// Thread A: `sem1`, then `sem2`, in both modes.
#[inline(never)]
fn thread_a(lab: &Lab, me: &Thread<Lab>) {
    lab.take(me, &lab.sem1, &lab.sem2);
}

/// Thread B: `sem2`, then `sem1` (the inversion), or `sem1`, then `sem2` once fixed.
#[inline(never)]
fn thread_b(lab: &Lab, me: &Thread<Lab>) {
    let (first, second) = lab
        .mode
        .pick((&lab.sem2, &lab.sem1), (&lab.sem1, &lab.sem2));
    lab.take(me, first, second);
}

impl Lab {
    /// One round: `first`, then `second`. Inlined, so that lockdep's `at:` lines name
    /// `thread_a` and `thread_b`.
    #[inline(always)]
    fn take(&self, me: &Thread<Self>, first: &Semaphore, second: &Semaphore) {
        let held_first = first.down();
        if self.mode == Mode::Broken && self.overlap {
            pr_info!("{me}: holding {}\n", first.name());
            self.meet.meet();
            pr_info!("{me}: waiting for {}\n", second.name());
        }
        let held_second = second.down_then(|| self.about_to_sleep(me, first, second));
        if held_second.waited() && self.unblocked.load(Relaxed) {
            pr_info!(
                "{me}: got {} after the exit path released one\n",
                second.name()
            );
        }
        let inside = self.inside.fetch_add(1, Relaxed) + 1;
        // Once the exit path has added units, threads may overlap on their way out.
        if inside != 1 && !self.unblocked.load(Relaxed) {
            pr_err!("!!! {me}: {inside} threads in the critical section\n");
            self.errors.fetch_add(1, Relaxed);
        }
        if self.hold_us > 0 {
            fsleep(Delta::from_micros(self.hold_us));
        }
        self.inside.fetch_sub(1, Relaxed);
        let waited = u64::from(held_first.waited()) + u64::from(held_second.waited());
        self.waits.fetch_add(waited, Relaxed);
    }

    /// `me` holds `first` and must sleep for `second`. If a task already sleeps waiting for
    /// `first`, each waits for what the other holds: say so, once.
    fn about_to_sleep(&self, me: &Thread<Self>, first: &Semaphore, second: &Semaphore) {
        if self.mode == Mode::Broken && first.sleepers() > 0 && !self.told.xchg(true, Full) {
            let (a, b) = (first.name(), second.name());
            pr_info!("deadlocked: {me} holds {a} and sleeps in down({b}), while a task sleeps in down({a}); they stay in state D until rmmod deadlock_lab\n");
        }
    }
}

impl Scenario for Lab {
    fn setup(mode: Mode) -> Result<impl PinInit<Self, Error>> {
        let annotate = param::annotate()? == 1;
        Ok(try_pin_init!(Self {
            sem1 <- new_semaphore!(1, "sem1", annotate),
            sem2 <- new_semaphore!(1, "sem2", annotate),
            meet <- Rendezvous::new(2, false),
            mode,
            annotate,
            overlap: param::overlap()? == 1,
            threads: param::threads()? as u32,
            rounds: param::rounds()? as u64,
            hold_us: param::hold_us()?,
            unblocked: Atomic::new(false),
            told: Atomic::new(false),
            inside: Atomic::new(0),
            errors: Atomic::new(0),
            waits: Atomic::new(0),
        }))
    }

    /// Plain semaphores hide the order from lockdep; without overlap nothing blocks.
    fn expect(&self, mode: Mode) -> Expect {
        if mode != Mode::Broken {
            return Self::FIXED;
        }
        let base = Self::BROKEN;
        let (what, lockdep, blocked) = match (self.annotate, self.overlap) {
            (true, true) => (base.what, Lockdep::Reports, 2..=self.threads),
            (false, true) => ("inverted order on plain semaphores deadlocked and recovered: lockdep could not see it, the hung-task detector can", Lockdep::Silent, 2..=self.threads),
            (true, false) => ("inverted order never overlapped, nothing blocked, and lockdep still predicted the deadlock", Lockdep::Reports, 0..=0),
            (false, false) => ("inverted order on plain semaphores never overlapped: nothing blocked, nothing was reported", Lockdep::Silent, 0..=0),
        };
        Expect {
            what,
            lockdep,
            blocked,
            ..base
        }
    }

    fn threads(&self, threads: &mut Threads<'_, Self>) -> Result {
        let (rounds, hold_us, n) = (self.rounds, self.hold_us, self.threads);
        let (annotate, overlap) = (i32::from(self.annotate), i32::from(self.overlap));
        pr_info!("starting {n} threads: rounds={rounds}, hold_us={hold_us}, annotate={annotate}, overlap={overlap}\n");
        for i in 0..n {
            let (name, body): (_, fn(&Self, &Thread<Self>)) = match i % 2 {
                0 => (c"deadlock_lab_a", thread_a),
                _ => (c"deadlock_lab_b", thread_b),
            };
            // Spread over the CPUs, so that the threads contend from all of them at once. (A
            // checked remainder: objtool's list of Rust functions that never return misses
            // `panic_const_rem_by_zero`, and a `%` of a run-time divisor calls it.)
            threads.start(Thread {
                number: i / 2,
                rounds,
                cpu: i.checked_rem(kernel::cpu::nr_cpu_ids()),
                later: i % 2 == 1 && !self.overlap,
                ..Thread::of(name, body)
            })?;
        }
        Ok(())
    }

    /// A semaphore has no owner: unlike a mutex, any task may call up() on it. One unit per
    /// thread on each semaphore lets every thread finish its round, release what it holds and
    /// exit.
    fn unblock(&self, mode: Mode) -> u32 {
        self.unblocked.store(true, Relaxed);
        self.meet.release();
        // Contention in the fixed order ends by itself.
        if mode != Mode::Broken {
            return 0;
        }
        let asleep = self.sem1.sleepers() + self.sem2.sleepers();
        let units = self.threads;
        pr_info!("unloading: up(sem1) and up(sem2) {units} times each from the exit path (a semaphore has no owner, so any task may release it)\n");
        self.sem1.up_unowned(units);
        self.sem2.up_unowned(units);
        asleep
    }

    fn errors(&self) -> u32 {
        self.errors.load(Relaxed)
    }

    fn report(&self) {
        pr_info!("contended acquisitions: {}\n", self.waits.load(Relaxed));
    }
}
