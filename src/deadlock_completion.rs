// SPDX-License-Identifier: GPL-2.0

//! A thread that holds a lock while it waits for an event that needs the lock: the deadlock
//! lockdep cannot see, and the annotation that lets it.
//!
//! Thread A takes `sem1` and waits for the event `done`; thread B takes `sem1`, then signals
//! `done` (the default, `fixed=0 annotate=0`). B sleeps in `down()` behind A, and A sleeps in
//! `wait_for_completion()` for B, both in state `D`, for good. Lockdep reports nothing: it saw
//! one lock, `sem1`, taken by each thread in turn, and nothing of the wait, as lockdep tracks
//! acquisitions, not waits. The hung-task detector reports both threads, but names a holder only
//! for B (the semaphore's last holder, A): a completion has none. Unloading adds a unit to `sem1`
//! from the exit path: B takes it and signals `done`, which lets A finish.
//!
//! With `annotate=1` the wait is annotated as the kernel annotates `flush_work()`: A acquires
//! the event's lockdep map before it waits, and B holds it around its work. The threads run one
//! after the other, B's round first, so that nothing blocks: lockdep records `(completion)done`
//! -> `sem1` from B and then `sem1` -> `(completion)done` from A, and reports the circular
//! dependency before A's wait returns at once.
//!
//! With `fixed=1` A releases `sem1` before it waits: B takes it and signals `done`, annotated or
//! not, and lockdep stays silent.

mod lab;

use kernel::prelude::*;
use kernel::sync::atomic::{Atomic, Relaxed};
use kernel::sync::Completion;
use lab::event::Event;
use lab::harness::{Declaration, Lockdep};
use lab::prelude::*;
use lab::semaphore::Semaphore;

lab_module! {
    Waits, "deadlock_completion", "A lock held across a wait for an event that needs it, and the wait's lockdep annotation",
    params: {
        fixed: "0 = thread A holds sem1 while it waits for the event that thread B signals after taking sem1; 1 = A releases sem1 before it waits (allowed 0..=1)",
        annotate: "0 = a plain completion, which lockdep never hears of; 1 = the wait and the completer's work are annotated with a lockdep map, as flush_work() does, and the completer runs first (allowed 0..=1)" = 0,
    },
    broken: Expect {
        does: "broken: A holds sem1 and waits for done, which B signals after taking sem1",
        what: "the wait for an event deadlocked unseen by lockdep and recovered",
        lockdep: Lockdep::Silent,
        blocked: 2..=2,
    },
    fixed: Expect::silent("fixed: A releases sem1 before it waits for done", "fixed, every round done"),
}

#[pin_data]
struct Waits {
    #[pin]
    sem1: Semaphore,
    /// The event A waits for and B signals.
    #[pin]
    done: Event,
    /// Signalled once A holds `sem1`, so that B takes it second.
    #[pin]
    holding: Completion,
    mode: Mode,
    annotate: bool,
    /// Changed only with `sem1` held.
    work: Atomic<u64>,
}

/// Thread A, broken: waits for `done` with `sem1` held.
#[inline(never)]
fn wait_holding(s: &Waits, me: &Thread<Waits>) {
    let _held = s.sem1.down();
    pr_info!("{me}: holding sem1\n");
    s.holding.complete_all();
    pr_info!("{me}: waiting for {}\n", s.done.name());
    s.done.wait();
    s.work.fetch_add(1, Relaxed);
}

/// Thread A, fixed: its work under `sem1` is over before it waits for `done`.
#[inline(never)]
fn wait_released(s: &Waits, me: &Thread<Waits>) {
    let held = s.sem1.down();
    s.work.fetch_add(1, Relaxed);
    s.holding.complete_all();
    drop(held);
    pr_info!("{me}: released sem1, waiting for {}\n", s.done.name());
    s.done.wait();
}

/// Thread B: takes `sem1` (second, unless it runs first), then signals `done`.
#[inline(never)]
fn complete_under_sem1(s: &Waits, me: &Thread<Waits>) {
    if !s.annotate || s.mode != Mode::Broken {
        s.holding.wait_for_completion();
    }
    s.done.complete_after(|| {
        let sem1 = &s.sem1;
        let held = sem1.down_then(|| pr_info!("{me}: waiting for {}\n", sem1.name()));
        if held.waited() {
            pr_info!(
                "{me}: got {} after the exit path added a unit\n",
                sem1.name()
            );
        }
        s.work.fetch_add(1, Relaxed);
    });
    pr_info!("{me}: signalled {}\n", s.done.name());
}

impl Scenario for Waits {
    fn setup(mode: Mode) -> Result<impl PinInit<Self, Error>> {
        let annotate = param::annotate()? == 1;
        Ok(try_pin_init!(Self {
            sem1 <- new_semaphore!(1, "sem1"),
            done <- new_event!("(completion)done", annotate),
            holding <- Completion::new(),
            mode,
            annotate,
            work: Atomic::new(0),
        }))
    }

    fn expect(&self, mode: Mode) -> Expect {
        match mode {
            Mode::Broken if self.annotate => Expect::reports(
                "annotated: B takes sem1 inside done's map, then A waits for done with sem1 held, one after the other",
                "lockdep predicted the wait's deadlock, nothing blocked",
                0,
            ),
            _ => mode.pick(Self::BROKEN, Self::FIXED),
        }
    }

    /// Annotated, the completer's round comes first and the waiter's after it, so that lockdep
    /// sees both orders and nobody waits.
    fn threads(&self, threads: &mut Threads<'_, Self>) -> Result {
        let first = self.annotate && self.mode == Mode::Broken;
        let waiter: fn(&Self, &Thread<Self>) = self.mode.pick(wait_holding, wait_released);
        threads.start(Thread {
            later: first,
            ..Thread::of(c"deadlock_cmp_a", waiter)
        })?;
        threads.start(Thread::of(c"deadlock_cmp_b", complete_under_sem1))
    }

    /// A semaphore has no owner: the exit path may add the unit B waits for, and B then signals
    /// `done`, which wakes A. The exit path signals `done` too, for an A whose B never started (a
    /// load that failed half way).
    fn unblock(&self, _mode: Mode) -> u32 {
        self.holding.complete_all();
        let (waiting, asleep) = (self.done.waiters(), self.sem1.sleepers());
        if asleep > 0 {
            pr_info!("unloading: up(sem1) from the exit path, to wake deadlock_cmp_b\n");
            self.sem1.up_unowned(asleep);
        }
        self.done.complete_unowned();
        waiting + asleep
    }

    fn report(&self) {
        pr_info!("stopped: {} pieces of work done\n", self.work.load(Relaxed));
    }
}
