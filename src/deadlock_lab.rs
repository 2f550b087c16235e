// SPDX-License-Identifier: GPL-2.0

//! An ABBA deadlock between kernel threads on two semaphores, its fixes, and the ring it is the
//! smallest case of.
//!
//! Thread A takes `sem1` then `sem2`. Thread B takes `sem2` then `sem1` (the default, `fixed=0`),
//! which deadlocks every time; with `fixed=1` it takes `sem1` then `sem2`, the same order as A,
//! and with `fixed=2` it keeps its inverted order but only tries `sem1`, and if that is taken it
//! releases `sem2`, waits a moment and starts again. The semaphores carry lockdep maps, so lockdep
//! reports the inverted order as a possible circular locking dependency and stays silent for the
//! fixes; the stuck threads sleep in `down()` in state `D`, where the hung-task detector finds
//! them. Unloading always works: in the inverted order the exit path breaks the deadlock first.
//!
//! Three answers to a deadlock, side by side: `fixed=1` prevents it, and with two semaphores its
//! order is checked by the compiler (the typed lock order of `lab/order.rs`: the inverted order
//! would not build); `fixed=2` avoids it at run time (back-off); `fixed=0` is detected (lockdep,
//! the hung-task detector).
//!
//! `locks=N` makes a ring of N semaphores: thread i takes `sem`i then `sem`i+1, and the last thread
//! closes the ring back to `sem1`; every fix changes only the last thread. `annotate=0` makes the
//! semaphores plain, as the C `DEFINE_SEMAPHORE` gives them: lockdep cannot see them, and only the
//! hung-task detector notices the deadlock. `overlap=0` starts the last thread of each ring only
//! after the others finished their rounds: nothing blocks, yet lockdep, which judges the order
//! and not the timing, still reports the inversion; `overlap=2` lets the threads run together
//! with nothing to make them meet, in free timing.
//!
//! `schedule=S` (with `rounds=1`) makes the threads follow a schedule instead of meeting: the
//! order in which their lock steps may begin (`lab/gate.rs`). Step `k` of the thread whose name
//! ends in `a` is `a.k`; each thread takes two steps (its first and its second semaphore), and
//! with back-off (`fixed=2`) the last thread of the ring up to four: its first semaphore and a try
//! of the second, twice, the retries the schedule covers. A schedule of an ABBA is its threads in
//! step order as hex digits, each the thread's index plus one: `0x1212` is `a.1 b.1 a.2 b.2`.

mod lab;

use kernel::prelude::*;
use kernel::sync::atomic::{Atomic, Full, Relaxed};
use kernel::time::{delay::fsleep, Delta};
use lab::backoff;
use lab::gate::{Gate, Schedule, Step, Stuck};
use lab::harness::{Declaration, Lockdep, MAX_THREADS};
use lab::order::{Locked, Ordered, Unlocked};
use lab::prelude::*;
use lab::rendezvous::Rendezvous;
use lab::semaphore::{Semaphore, SemaphoreGuard};

lab_module! {
    Lab, "deadlock_lab", "ABBA deadlock on lockdep-visible semaphores, a ring of them, and their fixes",
    params: {
        fixed: "The last thread's order (thread B's, with two semaphores): 0 = semN then sem1, closing the ring (B: sem2 then sem1), which deadlocks; 1 = sem1 then semN, ascending like the others, checked by the compiler for two semaphores; 2 = semN then only a try of sem1, backing off if it is taken (allowed 0..=2)",
        rounds: "Rounds each thread takes its two semaphores; 0 = until unload (allowed 0..=10000000)" = 1000,
        hold_us: "Microseconds each thread holds both semaphores per round (allowed 0..=100000)" = 0,
        annotate: "1 = the semaphores carry lockdep maps, so lockdep sees their order; 0 = plain semaphores, as DEFINE_SEMAPHORE makes them, which lockdep cannot see (allowed 0..=1)" = 1,
        overlap: "1 = the threads run together and meet holding their first semaphore; 0 = the last thread of each ring starts only after the others finished their rounds, so nothing blocks; 2 = the threads run together with nothing to make them meet, in free timing (allowed 0..=2)" = 1,
        threads: "Threads, at least one per semaphore: one per semaphore in ring order (deadlock_lab_a, deadlock_lab_b, ...), then more rings (deadlock_lab_a1, ...) (allowed 2..=64)" = 2,
        locks: "Semaphores in the ring, sem1 to semN: thread i takes sem(i) then sem(i+1), the last thread closes the ring back to sem1; 2 = the ABBA (allowed 2..=8)" = 2,
        schedule: "With rounds=1, the order in which the threads' lock steps begin: each hex digit a thread (1 = deadlock_lab_a, 2 = _b, ...), first step first, 0x1212 = a.1 b.1 a.2 b.2; a prefix leaves the rest free; 0 = no schedule; not every number in the range is a schedule (allowed 0..=1152921504606846975)" = 0,
    },
    broken: Expect::reports("inverted order: A takes sem1 then sem2, B takes sem2 then sem1", "inverted order deadlocked and recovered", 2),
    fixed: Expect::silent("fixed order: both threads take sem1 then sem2", "fixed order, every round done"),
}

lock_order!(Unlocked => Sem1 => Sem2);

/// Most semaphores in the ring.
const MAX_LOCKS: usize = 8;

/// The threads' names, by their place in the ring.
const NAMES: [&CStr; MAX_LOCKS] = [
    c"deadlock_lab_a",
    c"deadlock_lab_b",
    c"deadlock_lab_c",
    c"deadlock_lab_d",
    c"deadlock_lab_e",
    c"deadlock_lab_f",
    c"deadlock_lab_g",
    c"deadlock_lab_h",
];

/// What the threads share.
#[pin_data]
struct Lab {
    /// The first two semaphores carry their level in the typed lock order.
    #[pin]
    sem1: Ordered<Sem1>,
    #[pin]
    sem2: Ordered<Sem2>,
    #[pin]
    sem3: Semaphore,
    #[pin]
    sem4: Semaphore,
    #[pin]
    sem5: Semaphore,
    #[pin]
    sem6: Semaphore,
    #[pin]
    sem7: Semaphore,
    #[pin]
    sem8: Semaphore,
    /// Where the threads of the first ring meet, each holding its first semaphore.
    #[pin]
    meet: Rendezvous,
    /// The schedule the threads follow, if given.
    gate: Gate,
    /// The `schedule` parameter, for the log.
    schedule: i64,
    mode: Mode,
    annotate: bool,
    overlap: Overlap,
    /// Semaphores in the ring.
    locks: u32,
    threads: u32,
    rounds: u64,
    hold_us: i64,
    /// Set by the exit path before it releases the semaphores.
    unblocked: Atomic<bool>,
    /// Set once a thread said the threads deadlocked.
    told: Atomic<bool>,
    /// Threads in a critical section of each semaphore: more than one is an error.
    inside: [Atomic<u32>; MAX_LOCKS],
    errors: Atomic<u32>,
    /// Acquisitions that found the semaphore taken and had to sleep.
    waits: Atomic<u64>,
    /// Back-offs, by thread.
    backoffs: [Atomic<u64>; MAX_THREADS],
    /// Steps begun in the round, by thread, for the schedule's log.
    begun: [Atomic<u32>; MAX_THREADS],
}

/// A step's thread part: a thread's name after `deadlock_lab_` (`a`, `b`, `a1`).
struct Suffix<'t>(&'t Thread<Lab>);

impl kernel::fmt::Display for Suffix<'_> {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        let name = self.0.name.to_str().unwrap_or("");
        let short = name.strip_prefix("deadlock_lab_").unwrap_or(name);
        match self.0.number {
            0 => f.write_fmt(fmt!("{short}")),
            n => f.write_fmt(fmt!("{short}{n}")),
        }
    }
}

/// Steps thread `i` of a load takes in a round: its two semaphores, and with back-off the last
/// thread of a ring twice that, the retry a schedule covers.
fn steps_of(mode: Mode, locks: u32, i: u32) -> u32 {
    let last = i.checked_rem(locks).unwrap_or(0) + 1 == locks;
    match mode {
        Mode::Fixed(2) if last => 4,
        _ => 2,
    }
}

/// How the threads of a ring run together.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Overlap {
    /// The last thread starts once the others finished (`overlap=0`).
    Apart,
    /// They meet, each holding its first semaphore (`overlap=1`).
    Meet,
    /// Nothing makes them meet (`overlap=2`), or a schedule orders their steps.
    Free,
}

/// Every thread of the ring but the last: `sem`i, then `sem`i+1, in every mode.
#[inline(never)]
fn thread_a(lab: &Lab, me: &Thread<Lab>, none: &mut Locked<'_, Unlocked>) {
    lab.gate.start(me.index);
    let (first, second) = lab.pair(me);
    if lab.locks == 2 && lab.mode == Mode::Fixed(1) {
        lab.in_order(me, none);
    } else {
        lab.take(me, first, second);
    }
    lab.gate.finished(me.index);
}

/// The last thread of the ring (thread B of the ABBA): `sem`N, then `sem1`, closing the ring;
/// `sem1` then `sem`N once fixed; or `sem`N then a try of `sem1`, with back-off.
#[inline(never)]
fn thread_b(lab: &Lab, me: &Thread<Lab>, none: &mut Locked<'_, Unlocked>) {
    lab.gate.start(me.index);
    let (first, second) = lab.pair(me);
    match lab.mode {
        Mode::Broken => lab.take(me, first, second),
        // The order the type forbids cannot be written with it: the broken and the back-off
        // orders take the semaphores untyped. So does a ring of more than two, whose order is
        // chosen at load time.
        Mode::Fixed(1) if lab.locks == 2 => lab.in_order(me, none),
        Mode::Fixed(1) => lab.take(me, second, first),
        Mode::Fixed(_) if lab.gate.scheduled() => lab.back_off_scheduled(me, first, second),
        Mode::Fixed(_) => lab.back_off(me, first, second),
    }
    lab.gate.finished(me.index);
}

impl Lab {
    /// Semaphore `i` (0 is `sem1`).
    fn sem(&self, i: u32) -> &Semaphore {
        match i {
            0 => self.sem1.untyped(),
            1 => self.sem2.untyped(),
            2 => &self.sem3,
            3 => &self.sem4,
            4 => &self.sem5,
            5 => &self.sem6,
            6 => &self.sem7,
            _ => &self.sem8,
        }
    }

    /// The two semaphores of `me`'s place in the ring, in the ring's order.
    fn pair(&self, me: &Thread<Self>) -> (&Semaphore, &Semaphore) {
        let place = self.place(me.index);
        (self.sem(place), self.sem(self.place(place + 1)))
    }

    /// One round in the order the compiler checks: `sem1`, then `sem2`, from the token the
    /// harness handed the round. Taking them the other way round here does not build (see
    /// `tests/compile-fail/`).
    #[inline(always)]
    fn in_order(&self, me: &Thread<Self>, none: &mut Locked<'_, Unlocked>) {
        let step = self.begin(me, self.sem1.untyped(), "takes");
        let (held1, mut at1) =
            none.down_then(&self.sem1, || self.sleeps(me, step, self.sem1.untyped()));
        self.settled(me, step, &held1);
        let step = self.begin(me, self.sem2.untyped(), "takes");
        let (held2, _at2) =
            at1.down_then(&self.sem2, || self.sleeps(me, step, self.sem2.untyped()));
        self.settled(me, step, &held2);
        self.critical(
            me,
            [self.sem1.untyped(), self.sem2.untyped()],
            [&held1, &held2],
        );
    }

    /// One round: `first`, then `second`. Inlined, so that lockdep's `at:` lines name the
    /// thread functions.
    #[inline(always)]
    fn take(&self, me: &Thread<Self>, first: &Semaphore, second: &Semaphore) {
        let step = self.begin(me, first, "takes");
        let held_first = first.down_then(|| self.sleeps(me, step, first));
        self.settled(me, step, &held_first);
        if self.mode == Mode::Broken && self.overlap == Overlap::Meet {
            pr_info!("{me}: holding {}\n", first.name());
            self.meet.meet();
            pr_info!("{me}: waiting for {}\n", second.name());
        }
        let step = self.begin(me, second, "takes");
        let held_second = second.down_then(|| {
            self.sleeps(me, step, second);
            self.about_to_sleep(me, first, second)
        });
        self.settled(me, step, &held_second);
        if held_second.waited() && self.unblocked.load(Relaxed) {
            pr_info!(
                "{me}: got {} after the exit path released one\n",
                second.name()
            );
        }
        self.critical(me, [first, second], [&held_first, &held_second]);
    }

    /// One round with back-off: `first`, then only a try of `second` (`lab/backoff.rs`).
    #[inline(always)]
    fn back_off(&self, me: &Thread<Self>, first: &Semaphore, second: &Semaphore) {
        let mut backoffs = 0;
        let held = backoff::take_both(first, second, &mut backoffs, || {
            self.unblocked.load(Relaxed)
        });
        self.backoffs[me.index as usize].fetch_add(backoffs, Relaxed);
        if let Some((held_first, held_second)) = held {
            self.critical(me, [first, second], [&held_first, &held_second]);
        }
    }

    /// One round with back-off, following a schedule: `first`, then a try of `second`, each a
    /// step, twice at most as the schedule goes (after that, `back_off`'s way, freely).
    #[inline(always)]
    fn back_off_scheduled(&self, me: &Thread<Self>, first: &Semaphore, second: &Semaphore) {
        for _ in 0..2 {
            let step = self.begin(me, first, "takes");
            let held_first = first.down_then(|| self.sleeps(me, step, first));
            self.settled(me, step, &held_first);
            let step = self.begin(me, second, "tries");
            let held_second = second.try_down();
            self.gate.settled(me.index, step, false);
            match held_second {
                Some(held_second) => {
                    self.critical(me, [first, second], [&held_first, &held_second]);
                    return;
                }
                None => {
                    if let Some(n) = step.number() {
                        pr_info!(
                            "schedule: step {n}: {} is taken: {me} backs off\n",
                            second.name()
                        );
                    }
                    self.backoffs[me.index as usize].fetch_add(1, Relaxed);
                }
            }
        }
        self.back_off(me, first, second);
    }

    /// Waits at the gate for `me`'s next step, on `sem`, and says it began.
    fn begin(&self, me: &Thread<Self>, sem: &Semaphore, how: &str) -> Step {
        let step = self.gate.begin(me.index, lab::kthread::nap);
        if let Some(n) = step.number() {
            let k = self.steps_begun(me);
            pr_info!(
                "schedule: step {n} ({}.{k}): {me} {how} {}\n",
                self.suffix(me),
                sem.name()
            );
        }
        step
    }

    /// `me` must sleep for `sem` in step `step`: the gate may move on.
    fn sleeps(&self, me: &Thread<Self>, step: Step, sem: &Semaphore) {
        if let Some(n) = step.number() {
            pr_info!("schedule: step {n}: {} is taken: {me} sleeps\n", sem.name());
        }
        self.gate.settled(me.index, step, true);
    }

    /// `me`'s step `step` settled with `held`: if it did not sleep, the gate moves on now; if it
    /// did, it moved on before the sleep, and `me` is awake again.
    fn settled(&self, me: &Thread<Self>, step: Step, held: &SemaphoreGuard<'_>) {
        match held.waited() {
            false => self.gate.settled(me.index, step, false),
            true => self.gate.woke(me.index),
        }
    }

    /// How many steps `me` began in the round (counted by the gate's caller, for the log).
    fn steps_begun(&self, me: &Thread<Self>) -> u32 {
        self.begun[me.index as usize].fetch_add(1, Relaxed) + 1
    }

    /// What a step's name starts with: `me`'s name after `deadlock_lab_` (`a`, `b`, `a1`).
    fn suffix<'t>(&self, me: &'t Thread<Self>) -> Suffix<'t> {
        Suffix(me)
    }

    /// Inside both semaphores: no other thread may be inside either.
    fn critical(&self, me: &Thread<Self>, sems: [&Semaphore; 2], held: [&SemaphoreGuard<'_>; 2]) {
        let places = sems.map(|s| self.place_of(s));
        for p in places {
            let inside = self.inside[p].fetch_add(1, Relaxed) + 1;
            // Once the exit path has added units, threads may overlap on their way out.
            if inside != 1 && !self.unblocked.load(Relaxed) {
                pr_err!(
                    "!!! {me}: {inside} threads hold {}\n",
                    self.sem(p as u32).name()
                );
                self.errors.fetch_add(1, Relaxed);
            }
        }
        if self.hold_us > 0 {
            fsleep(Delta::from_micros(self.hold_us));
        }
        for p in places {
            self.inside[p].fetch_sub(1, Relaxed);
        }
        let waited = held.iter().filter(|h| h.waited()).count();
        self.waits.fetch_add(waited as u64, Relaxed);
    }

    /// Where `sem` is in the ring.
    fn place_of(&self, sem: &Semaphore) -> usize {
        (0..self.locks)
            .find(|&i| core::ptr::eq(self.sem(i), sem))
            .unwrap_or(0) as usize
    }

    /// `me` holds `first` and must sleep for `second`. If every other thread of the ring already
    /// sleeps, each waits for what the next one holds: say so, once.
    fn about_to_sleep(&self, me: &Thread<Self>, first: &Semaphore, second: &Semaphore) {
        let asleep: u32 = (0..self.locks).map(|i| self.sem(i).sleepers()).sum();
        if self.mode == Mode::Broken
            && asleep + 1 >= self.locks
            && first.sleepers() > 0
            && !self.told.xchg(true, Full)
        {
            let (a, b, n) = (first.name(), second.name(), self.locks);
            match n {
                2 => pr_info!("deadlocked: {me} holds {a} and sleeps in down({b}), while a task sleeps in down({a}); they stay in state D until rmmod deadlock_lab\n"),
                _ => pr_info!("deadlocked: {me} holds {a} and sleeps in down({b}), and each of the ring's {n} threads sleeps for the semaphore the next one holds; they stay in state D until rmmod deadlock_lab\n"),
            }
        }
    }

    /// Where thread `i` is in its ring. (A checked remainder: objtool's list of Rust functions
    /// that never return misses `panic_const_rem_by_zero`, and a `%` of a run-time divisor calls
    /// it.)
    fn place(&self, i: u32) -> u32 {
        i.checked_rem(self.locks).unwrap_or(0)
    }

    /// Whether thread `i` is the last of its ring, which closes it.
    fn closes_ring(&self, i: u32) -> bool {
        self.place(i) + 1 == self.locks
    }

    /// The name of thread `i`.
    fn name_of(&self, i: u32) -> (&'static CStr, u32) {
        (
            NAMES[self.place(i) as usize],
            i.checked_div(self.locks).unwrap_or(0),
        )
    }
}

/// The schedule's steps by name, as the log shows them (`a.1 b.1 a.2 b.2`).
struct Names<'a>(&'a Lab);

impl kernel::fmt::Display for Names<'_> {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        let lab = self.0;
        let mut taken = [0u32; MAX_THREADS];
        let mut v = lab.schedule;
        let mut digits = [0u8; lab::gate::MAX_STEPS];
        let mut len = 0;
        while v != 0 && len < digits.len() {
            digits[len] = (v & 0xf) as u8;
            v >>= 4;
            len += 1;
        }
        for (n, d) in digits[..len].iter().rev().enumerate() {
            let t = u32::from(*d).saturating_sub(1);
            let k = taken.get_mut(t as usize).map_or(0, |c| {
                *c += 1;
                *c
            });
            let (name, number) = lab.name_of(t);
            let name = name.to_str().unwrap_or("");
            let short = name.strip_prefix("deadlock_lab_").unwrap_or(name);
            let sep = if n == 0 { "" } else { " " };
            match number {
                0 => f.write_fmt(fmt!("{sep}{short}.{k}"))?,
                r => f.write_fmt(fmt!("{sep}{short}{r}.{k}"))?,
            }
        }
        Ok(())
    }
}

impl Scenario for Lab {
    fn setup(mode: Mode) -> Result<impl PinInit<Self, Error>> {
        let annotate = param::annotate()? == 1;
        let locks = param::locks()? as u32;
        let threads = (param::threads()? as u32).max(locks);
        let schedule = param::schedule()?;
        let decoded = Schedule::decode(schedule, threads, |i| steps_of(mode, locks, i))
            .inspect_err(|why| pr_err!("invalid parameter: schedule={schedule:#x}, {why}\n"))
            .map_err(|_| EINVAL)?;
        let rounds = param::rounds()? as u64;
        if decoded.is_some() && rounds != 1 {
            pr_err!("invalid parameter: schedule={schedule:#x}, a schedule orders one round: load it with rounds=1\n");
            return Err(EINVAL);
        }
        let overlap = match (decoded, param::overlap()?) {
            (Some(_), _) | (None, 2) => Overlap::Free,
            (None, 0) => Overlap::Apart,
            (None, _) => Overlap::Meet,
        };
        Ok(try_pin_init!(Self {
            sem1 <- Ordered::new(new_semaphore!(1, "sem1", annotate)),
            sem2 <- Ordered::new(new_semaphore!(1, "sem2", annotate)),
            sem3 <- new_semaphore!(1, "sem3", annotate),
            sem4 <- new_semaphore!(1, "sem4", annotate),
            sem5 <- new_semaphore!(1, "sem5", annotate),
            sem6 <- new_semaphore!(1, "sem6", annotate),
            sem7 <- new_semaphore!(1, "sem7", annotate),
            sem8 <- new_semaphore!(1, "sem8", annotate),
            meet <- Rendezvous::new(locks, false),
            gate: Gate::new(decoded, false),
            schedule,
            mode,
            annotate,
            overlap,
            locks,
            threads,
            rounds,
            hold_us: param::hold_us()?,
            unblocked: Atomic::new(false),
            told: Atomic::new(false),
            inside: core::array::from_fn(|_| Atomic::new(0)),
            errors: Atomic::new(0),
            waits: Atomic::new(0),
            backoffs: core::array::from_fn(|_| Atomic::new(0)),
            begun: core::array::from_fn(|_| Atomic::new(0)),
        }))
    }

    /// Plain semaphores hide the order from lockdep; without overlap nothing blocks; back-off
    /// never blocks; followed by a schedule, or in free timing, the inverted order may or may
    /// not deadlock, and lockdep reports it either way.
    fn expect(&self, mode: Mode) -> Expect {
        let base = Self::BROKEN;
        let ring = self.locks > 2;
        match mode {
            Mode::Broken if self.overlap == Overlap::Free => {
                let scheduled = self.gate.scheduled();
                return Expect {
                    does: match scheduled {
                        true => "inverted order, its steps in the order of a schedule",
                        false => "inverted order in free timing: nothing makes the threads meet",
                    },
                    what: match scheduled {
                        true => "inverted order followed its schedule",
                        false => "inverted order ran in free timing",
                    },
                    lockdep: match self.annotate {
                        true => Lockdep::Reports,
                        false => Lockdep::Silent,
                    },
                    blocked: 0..=self.threads,
                };
            }
            Mode::Fixed(1) if ring => {
                return Expect::silent(
                    "fixed ring: every thread takes its two semaphores in ascending order",
                    "fixed ring, every round done",
                )
            }
            Mode::Fixed(1) => return Self::FIXED,
            Mode::Fixed(_) => {
                return Expect::silent(
                    "back-off: the last thread takes its first semaphore, then only tries the second, and backs off if it is taken",
                    "back-off, every round done",
                )
            }
            Mode::Broken => {}
        }
        let does = match ring {
            true => {
                "inverted ring: each thread takes sem(i) then sem(i+1), the last one semN then sem1"
            }
            false => base.does,
        };
        let (what, lockdep, blocked) = match (self.annotate, self.overlap == Overlap::Meet, ring) {
            (true, true, false) => (base.what, Lockdep::Reports, 2..=self.threads),
            (true, true, true) => ("inverted ring deadlocked and recovered", Lockdep::Reports, self.locks..=self.threads),
            (false, true, _) => ("inverted order on plain semaphores deadlocked and recovered: lockdep could not see it, the hung-task detector can", Lockdep::Silent, self.locks..=self.threads),
            (true, false, _) => ("inverted order never overlapped, nothing blocked, and lockdep still predicted the deadlock", Lockdep::Reports, 0..=0),
            (false, false, _) => ("inverted order on plain semaphores never overlapped: nothing blocked, nothing was reported", Lockdep::Silent, 0..=0),
        };
        Expect {
            does,
            what,
            lockdep,
            blocked,
        }
    }

    fn threads(&self, threads: &mut Threads<'_, Self>) -> Result {
        let (rounds, hold_us, n, locks) = (self.rounds, self.hold_us, self.threads, self.locks);
        let annotate = i32::from(self.annotate);
        let overlap = match self.overlap {
            Overlap::Apart => 0,
            Overlap::Meet => 1,
            Overlap::Free => 2,
        };
        pr_info!("starting {n} threads on {locks} semaphores: rounds={rounds}, hold_us={hold_us}, annotate={annotate}, overlap={overlap}\n");
        if self.gate.scheduled() {
            pr_info!("schedule {:#x}: {}\n", self.schedule, Names(self));
        }
        for i in 0..n {
            let last = self.closes_ring(i);
            let body: fn(&Self, &Thread<Self>, &mut Locked<'_, Unlocked>) =
                if last { thread_b } else { thread_a };
            let (name, number) = self.name_of(i);
            // Spread over the CPUs, so that the threads contend from all of them at once. (A
            // checked remainder: objtool's list of Rust functions that never return misses
            // `panic_const_rem_by_zero`, and a `%` of a run-time divisor calls it.)
            threads.start(Thread {
                number,
                rounds,
                cpu: i.checked_rem(kernel::cpu::nr_cpu_ids()),
                later: last && self.overlap == Overlap::Apart,
                ..Thread::ordered(name, body)
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
        self.gate.open();
        // Contention in a fixed order ends by itself.
        if mode != Mode::Broken {
            return 0;
        }
        let asleep = (0..self.locks).map(|i| self.sem(i).sleepers()).sum();
        let units = self.threads;
        pr_info!("unloading: up() {units} times on each of sem1..sem{} from the exit path (a semaphore has no owner, so any task may release it)\n", self.locks);
        for i in 0..self.locks {
            self.sem(i).up_unowned(units);
        }
        asleep
    }

    fn errors(&self) -> u32 {
        self.errors.load(Relaxed)
    }

    fn report(&self) {
        pr_info!("contended acquisitions: {}\n", self.waits.load(Relaxed));
        if let Some((n, t, why)) = self.gate.stuck() {
            let (name, number) = self.name_of(t);
            let why = match why {
                Stuck::Sleeps => "sleeps for a semaphore while no other thread can release it",
                Stuck::Finished => "has no step left",
            };
            match number {
                0 => pr_info!("schedule: infeasible at step {n}: its thread {name} {why}; the rest ran freely\n"),
                k => pr_info!("schedule: infeasible at step {n}: its thread {name}{k} {why}; the rest ran freely\n"),
            }
        } else if self.gate.scheduled() && !self.gate.followed() {
            pr_info!("schedule: unloaded before its end: its next step never began\n");
        } else if self.gate.scheduled() {
            pr_info!("schedule: followed to its end\n");
        }
        if self.mode == Mode::Fixed(2) {
            for i in (0..self.threads).filter(|&i| self.closes_ring(i)) {
                let (name, number) = self.name_of(i);
                let n = self.backoffs[i as usize].load(Relaxed);
                match number {
                    0 => pr_info!("{name}: backed off {n} times\n"),
                    k => pr_info!("{name}{k}: backed off {n} times\n"),
                }
            }
        }
    }
}
