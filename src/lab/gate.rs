// SPDX-License-Identifier: GPL-2.0

//! Schedules: the order in which the threads' lock steps may begin within one round.
//!
//! An ABBA deadlocks only in some interleavings of its threads' lock steps. The [`Rendezvous`]
//! forces one of them; a [`Gate`] follows any: before each lock step a thread waits at the gate
//! until the schedule says it is its turn, and the gate moves on only once the step has settled
//! (the lock taken, or the thread about to sleep for it), so that a schedule replays the same way
//! on every load.
//!
//! A thread's steps keep their order, so a schedule is the sequence of the threads whose step
//! comes next. The `schedule` parameter holds it as hexadecimal digits, first step first, each the
//! thread's index plus one: `0x1212` is `a.1 b.1 a.2 b.2` (step `k` of the thread whose name
//! ends in `a` is `a.k`). A schedule may be a prefix: the steps after it run freely, once it is
//! done. A schedule the threads cannot follow (its next step is a thread's that has no step left,
//! or that sleeps for a lock while every other thread waits at the gate or sleeps too, so that
//! nobody can release it) is infeasible: the gate says so and opens, and the rest runs freely.
//!
//! Waiting threads sleep interruptibly (state `S`, which the hung-task detector ignores), or spin
//! where they may hold a spinlock.
//!
//! [`Rendezvous`]: super::rendezvous::Rendezvous

use kernel::fmt;
use kernel::prelude::*;
use kernel::sync::atomic::{Acquire, Atomic, Full, Relaxed, Release};

/// Most steps a schedule holds: 15 hexadecimal digits, within an `i64`'s 63 bits.
pub(crate) const MAX_STEPS: usize = 15;
/// Most threads a schedule can name: one hexadecimal digit each, 0 being none.
pub(crate) const MAX_THREADS: usize = 15;

/// A schedule, decoded: the thread of each step.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Schedule {
    order: [u8; MAX_STEPS],
    len: usize,
}

/// Why a `schedule` value is no schedule of this load.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Malformed {
    /// Negative, or longer than [`MAX_STEPS`] steps.
    OutOfRange,
    /// A 0 digit between steps.
    Gap { step: usize },
    /// A digit that names no thread of the load.
    NoThread {
        step: usize,
        thread: u32,
        threads: u32,
    },
    /// A thread named more often than it has steps.
    TooManySteps {
        step: usize,
        thread: u32,
        steps: u32,
    },
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Malformed::OutOfRange => f.write_fmt(fmt!(
                "a schedule holds at most 15 steps, one hex digit each"
            )),
            Malformed::Gap { step } => f.write_fmt(fmt!("step {step} is 0, which names no thread")),
            Malformed::NoThread {
                step,
                thread,
                threads,
            } => f.write_fmt(fmt!(
                "step {step} names thread {thread}, but the load has threads 1 to {threads}"
            )),
            Malformed::TooManySteps {
                step,
                thread,
                steps,
            } => f.write_fmt(fmt!(
                "step {step} is step {} of thread {thread}, which takes {steps}",
                steps + 1
            )),
        }
    }
}

impl Schedule {
    /// Decodes `value` for a load of `threads` threads, thread `i` taking `steps(i)` steps in a
    /// round; 0 is no schedule.
    pub(crate) fn decode(
        value: i64,
        threads: u32,
        steps: impl Fn(u32) -> u32,
    ) -> core::result::Result<Option<Schedule>, Malformed> {
        if value == 0 {
            return Ok(None);
        }
        if value < 0 || value >> (4 * MAX_STEPS) != 0 {
            return Err(Malformed::OutOfRange);
        }
        let mut digits = [0u8; MAX_STEPS];
        let mut len = 0;
        let mut v = value;
        while v != 0 {
            digits[len] = (v & 0xf) as u8;
            v >>= 4;
            len += 1;
        }
        let mut order = [0u8; MAX_STEPS];
        let mut taken = [0u32; MAX_THREADS];
        for (n, slot) in order.iter_mut().take(len).enumerate() {
            let digit = digits[len - 1 - n];
            let step = n + 1;
            if digit == 0 {
                return Err(Malformed::Gap { step });
            }
            let thread = u32::from(digit);
            if thread > threads.min(MAX_THREADS as u32) {
                return Err(Malformed::NoThread {
                    step,
                    thread,
                    threads,
                });
            }
            let t = (digit - 1) as usize;
            taken[t] += 1;
            if taken[t] > steps(thread - 1) {
                return Err(Malformed::TooManySteps {
                    step,
                    thread,
                    steps: steps(thread - 1),
                });
            }
            *slot = digit - 1;
        }
        Ok(Some(Schedule { order, len }))
    }

    /// How many steps it holds.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The thread of step `i` (from 0).
    pub(crate) fn thread_of(&self, i: usize) -> u32 {
        u32::from(self.order[i])
    }

    /// The place in the schedule of thread `thread`'s step `k` (from 0), if it holds it.
    fn place_of(&self, thread: u32, k: u32) -> Option<usize> {
        let mut seen = 0;
        for (i, t) in self.order[..self.len].iter().enumerate() {
            if u32::from(*t) == thread {
                if seen == k {
                    return Some(i);
                }
                seen += 1;
            }
        }
        None
    }
}

/// A step a thread began: its place in the schedule, or `None` for a step that runs freely.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Step(Option<usize>);

impl Step {
    /// The step's number in the schedule (from 1), if scheduled.
    pub(crate) fn number(self) -> Option<usize> {
        self.0.map(|i| i + 1)
    }
}

/// Why a schedule could not be followed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Stuck {
    /// The thread of the next step sleeps for a lock.
    Sleeps,
    /// The thread of the next step has no step left.
    Finished,
}

/// The gate the threads of a round pass through, one step at a time.
pub(crate) struct Gate {
    schedule: Option<Schedule>,
    /// The next step of the schedule.
    next: Atomic<u32>,
    /// Open for good: the schedule is done, could not be followed, or the module is going away.
    opened: Atomic<bool>,
    /// The step at which the schedule could not be followed, plus one (0: it could).
    stuck_at: Atomic<u32>,
    /// Whether its thread had no step left then (else it slept).
    stuck_finished: Atomic<bool>,
    /// Threads of the round that run between two steps: not at the gate, not asleep for a lock,
    /// not finished. Only they can release a lock.
    outside: Atomic<u32>,
    /// Per thread: steps begun, whether it sleeps for a lock, whether it has no step left.
    begun: [Atomic<u32>; MAX_THREADS],
    sleeping: [Atomic<bool>; MAX_THREADS],
    finished: [Atomic<bool>; MAX_THREADS],
    /// Whether waiters spin instead of sleeping: a task holding a spinlock must not sleep.
    spin: bool,
}

impl Gate {
    /// A gate for `schedule` (`None`: every step runs freely); waiters sleep, or spin if `spin`.
    pub(crate) fn new(schedule: Option<Schedule>, spin: bool) -> Self {
        Gate {
            schedule,
            next: Atomic::new(0),
            opened: Atomic::new(schedule.is_none()),
            stuck_at: Atomic::new(0),
            stuck_finished: Atomic::new(false),
            outside: Atomic::new(0),
            begun: core::array::from_fn(|_| Atomic::new(0)),
            sleeping: core::array::from_fn(|_| Atomic::new(false)),
            finished: core::array::from_fn(|_| Atomic::new(false)),
            spin,
        }
    }

    /// Whether a schedule is being followed.
    pub(crate) fn scheduled(&self) -> bool {
        self.schedule.is_some()
    }

    /// Thread `thread` begins its round.
    pub(crate) fn start(&self, _thread: u32) {
        self.outside.fetch_add(1, Full);
    }

    /// Waits until thread `thread` may begin its next step, and begins it. `nap` sleeps a moment,
    /// interruptibly (it is not called if the gate spins).
    pub(crate) fn begin(&self, thread: u32, nap: impl Fn()) -> Step {
        self.outside.fetch_sub(1, Full);
        let step = self.wait_turn(thread, nap);
        self.outside.fetch_add(1, Full);
        step
    }

    fn wait_turn(&self, thread: u32, nap: impl Fn()) -> Step {
        let Some(s) = self.schedule.filter(|_| (thread as usize) < MAX_THREADS) else {
            return Step(None);
        };
        let t = thread as usize;
        let k = self.begun[t].fetch_add(1, Full);
        let mine = s.place_of(thread, k);
        loop {
            if self.opened.load(Acquire) {
                return Step(None);
            }
            let next = self.next.load(Acquire) as usize;
            if next >= s.len() {
                self.opened.store(true, Release);
                return Step(None);
            }
            if mine == Some(next) {
                return Step(Some(next));
            }
            // Not this thread's turn: can the thread whose turn it is take it?
            let whose = s.thread_of(next) as usize;
            let asleep = self.sleeping[whose].load(Acquire) && self.outside.load(Acquire) == 0;
            let finished = self.finished[whose].load(Acquire);
            if asleep || finished {
                if self.stuck_at.cmpxchg(0, next as u32 + 1, Full).is_ok() {
                    self.stuck_finished.store(finished, Release);
                }
                self.opened.store(true, Release);
                return Step(None);
            }
            if self.spin {
                core::hint::spin_loop();
            } else {
                nap();
            }
        }
    }

    /// Thread `thread`'s step `step` has settled: the lock is taken, or, if `sleeps`, the thread
    /// is about to sleep for it. The gate moves on.
    pub(crate) fn settled(&self, thread: u32, step: Step, sleeps: bool) {
        if let Some(slot) = self.sleeping.get(thread as usize) {
            slot.store(sleeps, Release);
        }
        if sleeps {
            self.outside.fetch_sub(1, Full);
        }
        if let Some(i) = step.0 {
            self.next.store(i as u32 + 1, Release);
        }
    }

    /// Thread `thread` got the lock it slept for.
    pub(crate) fn woke(&self, thread: u32) {
        if let Some(slot) = self.sleeping.get(thread as usize) {
            slot.store(false, Release);
        }
        self.outside.fetch_add(1, Full);
    }

    /// Thread `thread` has no step left in the round. If the schedule's next step is a finished
    /// thread's, the schedule cannot be followed; no waiter may be left to notice.
    pub(crate) fn finished(&self, thread: u32) {
        if let Some(slot) = self.finished.get(thread as usize) {
            slot.store(true, Release);
        }
        self.outside.fetch_sub(1, Full);
        let Some(s) = self.schedule else {
            return;
        };
        let next = self.next.load(Acquire) as usize;
        if next >= s.len() || self.opened.load(Acquire) {
            return;
        }
        let whose = s.thread_of(next) as usize;
        if self.finished.get(whose).is_some_and(|f| f.load(Acquire)) {
            if self.stuck_at.cmpxchg(0, next as u32 + 1, Full).is_ok() {
                self.stuck_finished.store(true, Release);
            }
            self.opened.store(true, Release);
        }
    }

    /// Whether every step of the schedule has begun.
    pub(crate) fn followed(&self) -> bool {
        self.schedule
            .is_none_or(|s| self.next.load(Acquire) as usize >= s.len())
    }

    /// Opens the gate for good: every waiter goes on, and every later step runs freely. The
    /// module is being unloaded.
    pub(crate) fn open(&self) {
        self.opened.store(true, Release);
    }

    /// Where and why the schedule could not be followed, if it could not: the step's number
    /// (from 1), its thread, and why.
    pub(crate) fn stuck(&self) -> Option<(usize, u32, Stuck)> {
        let at = self.stuck_at.load(Relaxed) as usize;
        let s = self.schedule?;
        if at == 0 {
            return None;
        }
        let whose = s.thread_of(at - 1);
        let why = match self.stuck_finished.load(Relaxed) {
            true => Stuck::Finished,
            false => Stuck::Sleeps,
        };
        Some((at, whose, why))
    }
}
