// SPDX-License-Identifier: GPL-2.0

//! KUnit tests of the lab's library: the semaphore, the kernel-thread handle, the rendezvous,
//! a schedule's gate, the parameter checks, the harness (its verdict, and the typed lock order it hands each round),
//! and the interrupt-disabling spinlock.
//!
//! The suites run when this module is loaded (the module loader runs every suite in a module's
//! `.kunit_test_suites` section) and print their results as KTAP in the kernel log. The module
//! itself does nothing. Built only when the kernel has `CONFIG_KUNIT=y`.
//!
//! A failed KUnit assertion aborts the test's thread, which skips every destructor: a test that
//! failed an `assert!` while it held a lock would leave it held, and one that failed with a thread
//! alive would leave that thread running module code after unload. So a test first records what
//! it saw, releases its locks and stops its threads, and only then asserts; while a thread runs,
//! it checks with [`check`], which returns an error and lets the destructors run.

mod lab;

use kernel::prelude::*;

module! {
    type: LabKunit,
    name: "deadlock_lab_kunit",
    authors: ["deadlock-lab developers"],
    description: "KUnit tests of the deadlock-lab library (semaphore, kernel thread, rendezvous, gate, parameters, harness, typed lock order, interrupt-disabling spinlock)",
    license: "GPL",
}

/// The module: its suites are the point.
struct LabKunit;

impl kernel::Module for LabKunit {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(LabKunit)
    }
}

/// A check in a test whose threads still run: a failure returns an error, so that the test's
/// destructors stop and join its threads. (A failed KUnit assertion aborts the test's thread, which
/// skips every destructor, and could leave a thread running module code after unload.)
fn check(cond: bool) -> Result {
    if cond {
        Ok(())
    } else {
        Err(EINVAL)
    }
}

/// Waits up to `ms` milliseconds for `cond`, polling every 10 ms (a shorter sleep costs several
/// times its length under emulation).
fn within(ms: i64, cond: impl Fn() -> bool) -> bool {
    use kernel::time::{delay::fsleep, Delta, Instant, Monotonic};
    let start = Instant::<Monotonic>::now();
    while start.elapsed() < Delta::from_millis(ms) {
        if cond() {
            return true;
        }
        fsleep(Delta::from_millis(10));
    }
    cond()
}

/// Waits up to a second for `cond`.
fn eventually(cond: impl Fn() -> bool) -> bool {
    within(1000, cond)
}

/// Whether interrupts are enabled on the local CPU: the interrupt flag of EFLAGS, read as the
/// kernel's `native_save_fl()` reads it (`irqs_disabled()` is a C macro, with no binding).
#[cfg(target_arch = "x86_64")]
fn irqs_enabled() -> bool {
    let flags: u64;
    // SAFETY: `pushfq` then `pop` copy EFLAGS into a register through the stack, which they leave
    // as they found it; nothing else is read or written, and the flags are not changed.
    unsafe { core::arch::asm!("pushfq", "pop {}", out(reg) flags, options(preserves_flags)) };
    flags & (1 << kernel::bindings::X86_EFLAGS_IF_BIT) != 0
}

#[cfg(not(target_arch = "x86_64"))]
compile_error!("irqs_enabled() reads x86's EFLAGS; the lab builds for x86_64 only");

#[kunit_tests(deadlock_lab_semaphore)]
mod semaphore {
    use super::{check, eventually};
    use crate::lab::backoff;
    use crate::lab::harness::debug_locks;
    use crate::lab::kthread::KThread;
    use crate::new_semaphore;
    use kernel::prelude::*;
    use kernel::sync::atomic::{Atomic, Relaxed};
    use kernel::sync::Arc;

    fn fails_holding(sem: &crate::lab::semaphore::Semaphore) -> Result {
        let _held = sem.down();
        Err(EINVAL)?;
        Ok(())
    }

    #[test]
    fn guard_gives_the_unit_back_on_every_path() -> Result {
        let sem = KBox::pin_init(new_semaphore!(1, "kunit_sem"), GFP_KERNEL)?;
        let failed = fails_holding(&sem);
        let mut slept = false;
        let held = sem.down_then(|| slept = true);
        let waited = held.waited();
        drop(held);
        let again = sem.down();
        let waited_again = again.waited();
        drop(again);
        assert_eq!(failed, Err(EINVAL));
        assert!(!slept);
        assert!(sem.name() == c"kunit_sem");
        assert!(!waited);
        assert!(!waited_again);
        Ok(())
    }

    #[test]
    fn a_count_above_one_admits_that_many_holders() -> Result {
        let sem = KBox::pin_init(new_semaphore!(3, "kunit_sem3"), GFP_KERNEL)?;
        let (a, b, c) = (sem.down(), sem.down(), sem.down());
        let waited = a.waited() || b.waited() || c.waited();
        let sleepers = sem.sleepers();
        drop((a, b, c));
        assert!(!waited);
        assert_eq!(sleepers, 0);
        Ok(())
    }

    #[test]
    fn waited_is_true_only_when_the_unit_was_taken() -> Result {
        let sem = Arc::pin_init(new_semaphore!(1, "kunit_sem_wait"), GFP_KERNEL)?;
        let waited = Arc::new(Atomic::new(0u32), GFP_KERNEL)?;
        let held = sem.down();
        let (s, w) = (sem.clone(), waited.clone());
        let thread = KThread::spawn(c"kunit_waiter", None, move |_| {
            let guard = s.down();
            w.store(1 + u32::from(guard.waited()), Relaxed);
        })?;
        // The thread waits for `held`: give it back before any early return joins the thread.
        let asleep = eventually(|| sem.sleepers() == 1);
        drop(held);
        check(asleep)?;
        check(eventually(|| waited.load(Relaxed) != 0))?;
        check(waited.load(Relaxed) == 2)?;
        drop(thread);
        Ok(())
    }

    #[test]
    fn up_unowned_wakes_a_sleeper() -> Result {
        let sem = Arc::pin_init(new_semaphore!(1, "kunit_sem_up"), GFP_KERNEL)?;
        let done = Arc::new(Atomic::new(false), GFP_KERNEL)?;
        let held = sem.down();
        let (s, d) = (sem.clone(), done.clone());
        let thread = KThread::spawn(c"kunit_sleeper", None, move |_| {
            let _unit = s.down();
            d.store(true, Relaxed);
        })?;
        // The unit wakes the thread, so that any early return can join it.
        let asleep = eventually(|| sem.sleepers() == 1);
        sem.up_unowned(1);
        check(asleep)?;
        check(eventually(|| done.load(Relaxed)))?;
        check(sem.sleepers() == 0)?;
        drop(thread);
        drop(held);
        Ok(())
    }

    #[test]
    fn try_down_takes_a_free_unit_and_nothing_else() -> Result {
        let sem = KBox::pin_init(new_semaphore!(1, "kunit_sem_try"), GFP_KERNEL)?;
        let held = sem.try_down();
        let took = held.as_ref().is_some_and(|g| !g.waited());
        // Each `let` drops what its try took, if anything, at its end.
        let refused_while_held = sem.try_down().is_none();
        drop(held);
        let took_again = sem.try_down().is_some();
        assert!(took);
        assert!(refused_while_held);
        assert!(took_again);
        Ok(())
    }

    #[test]
    fn back_off_takes_both_when_both_are_free() -> Result {
        let a = KBox::pin_init(new_semaphore!(1, "kunit_backoff_a"), GFP_KERNEL)?;
        let b = KBox::pin_init(new_semaphore!(1, "kunit_backoff_b"), GFP_KERNEL)?;
        let mut backoffs = 0;
        let took_both = backoff::take_both(&a, &b, &mut backoffs, || true).is_some();
        let backoffs_free = backoffs;
        // With the second taken, it backs off once and, told to, gives up holding nothing.
        let held = b.down();
        let gave_up = backoff::take_both(&a, &b, &mut backoffs, || true).is_none();
        let first_free = a.try_down().is_some();
        drop(held);
        assert!(took_both);
        assert_eq!(backoffs_free, 0);
        assert!(gave_up);
        assert_eq!(backoffs, 1);
        assert!(first_free);
        Ok(())
    }

    #[test]
    fn balanced_use_keeps_lockdep_on() -> Result {
        let outer = KBox::pin_init(new_semaphore!(1, "kunit_outer"), GFP_KERNEL)?;
        let inner = KBox::pin_init(new_semaphore!(1, "kunit_inner"), GFP_KERNEL)?;
        let plain = KBox::pin_init(new_semaphore!(1, "kunit_plain", false), GFP_KERNEL)?;
        let before = debug_locks();
        for _ in 0..100 {
            let _o = outer.down();
            let _i = inner.down_nested(1);
            let _p = plain.down();
        }
        assert!(before);
        assert!(debug_locks());
        Ok(())
    }
}

#[kunit_tests(deadlock_lab_kthread)]
mod kthread {
    use super::{check, eventually};
    use crate::lab::kthread::KThread;
    use kernel::prelude::*;
    use kernel::sync::atomic::{Atomic, Relaxed};
    use kernel::sync::{Arc, Completion};

    /// Counts its drops: a closure that owns one is freed exactly once.
    struct Token(Arc<Atomic<u32>>);

    impl Drop for Token {
        fn drop(&mut self) {
            self.0.add(1, Relaxed);
        }
    }

    #[test]
    fn a_thread_stopped_at_once_frees_its_closure_once() -> Result {
        for _ in 0..20 {
            let drops = Arc::new(Atomic::new(0u32), GFP_KERNEL)?;
            let token = Token(drops.clone());
            // Stopped as soon as it starts, or before: the closure may or may not have run.
            drop(KThread::spawn(c"kunit_early", None, move |_| drop(token))?);
            assert_eq!(drops.load(Relaxed), 1);
        }
        Ok(())
    }

    #[test]
    fn a_thread_whose_closure_returned_is_stopped() -> Result {
        let ran = Arc::pin_init(Completion::new(), GFP_KERNEL)?;
        let r = ran.clone();
        let thread = KThread::spawn(c"kunit_returns", None, move |_| r.complete_all())?;
        ran.wait_for_completion();
        let pid = thread.pid();
        drop(thread);
        assert!(pid > 0);
        Ok(())
    }

    #[test]
    fn a_bound_thread_runs_on_its_cpu() -> Result {
        let cpu = Arc::new(Atomic::new(u32::MAX), GFP_KERNEL)?;
        let c = cpu.clone();
        let thread = KThread::spawn(c"kunit_bound", Some(0), move |_| {
            c.store(kernel::cpu::CpuId::current().as_u32(), Relaxed)
        })?;
        check(eventually(|| cpu.load(Relaxed) != u32::MAX))?;
        check(cpu.load(Relaxed) == 0)?;
        drop(thread);
        Ok(())
    }

    #[test]
    fn a_cpu_that_does_not_exist_is_refused() {
        let cpu = kernel::cpu::nr_cpu_ids();
        // A thread started by mistake is stopped as the `let` ends, before the assertion.
        let refused = KThread::spawn(c"kunit_nowhere", Some(cpu), |_| ()).is_err();
        assert!(refused);
    }
}

#[kunit_tests(deadlock_lab_rendezvous)]
mod rendezvous {
    use super::{check, eventually};
    use crate::lab::kthread::KThread;
    use crate::lab::rendezvous::Rendezvous;
    use kernel::prelude::*;
    use kernel::sync::atomic::{Atomic, Relaxed};
    use kernel::sync::Arc;

    /// One thread meets at `meet`, then sets a flag; returns its handle and the flag.
    fn meets(meet: &Arc<Rendezvous>) -> Result<(KThread, Arc<Atomic<bool>>)> {
        let passed = Arc::new(Atomic::new(false), GFP_KERNEL)?;
        let (m, p) = (meet.clone(), passed.clone());
        let thread = KThread::spawn(c"kunit_meets", None, move |_| {
            m.meet();
            p.store(true, Relaxed);
        })?;
        Ok((thread, passed))
    }

    #[test]
    fn two_threads_meet_sleeping_or_spinning() -> Result {
        for spin in [false, true] {
            let meet = Arc::pin_init(Rendezvous::new(2, spin), GFP_KERNEL)?;
            let (thread, passed) = meets(&meet)?;
            meet.meet();
            check(eventually(|| passed.load(Relaxed)))?;
            drop(thread);
        }
        Ok(())
    }

    #[test]
    fn release_lets_a_lone_waiter_go() -> Result {
        let meet = Arc::pin_init(Rendezvous::new(2, false), GFP_KERNEL)?;
        let (thread, passed) = meets(&meet)?;
        // Alone, it waits: still waiting after 100 ms.
        check(!super::within(100, || passed.load(Relaxed)))?;
        meet.release();
        check(eventually(|| passed.load(Relaxed)))?;
        drop(thread);
        Ok(())
    }
}

#[kunit_tests(deadlock_lab_gate)]
mod gate {
    use crate::lab::gate::{Gate, Malformed, Schedule, Stuck};

    /// Two threads of two steps each.
    fn two(value: i64) -> core::result::Result<Option<Schedule>, Malformed> {
        Schedule::decode(value, 2, |_| 2)
    }

    #[test]
    fn a_schedule_is_its_threads_in_step_order() {
        let s = two(0x1212).unwrap().unwrap();
        assert_eq!(s.len(), 4);
        assert_eq!([0, 1, 2, 3].map(|i| s.thread_of(i)), [0, 1, 0, 1]);
        assert!(two(0).unwrap().is_none());
    }

    #[test]
    fn a_malformed_schedule_is_named() {
        assert_eq!(
            two(0x13),
            Err(Malformed::NoThread {
                step: 2,
                thread: 3,
                threads: 2
            })
        );
        assert_eq!(
            two(0x111),
            Err(Malformed::TooManySteps {
                step: 3,
                thread: 1,
                steps: 2
            })
        );
        assert_eq!(two(0x102), Err(Malformed::Gap { step: 2 }));
        assert_eq!(two(-1), Err(Malformed::OutOfRange));
    }

    #[test]
    fn the_gate_lets_each_step_begin_in_its_turn() {
        // a.1 b.1 a.2 b.2, taken in turn by one task on the threads' behalf.
        let gate = Gate::new(two(0x1212).unwrap(), true);
        gate.start(0);
        gate.start(1);
        let mut numbers = [0; 4];
        for (i, t) in [0, 1, 0, 1].into_iter().enumerate() {
            let step = gate.begin(t, || ());
            numbers[i] = step.number().unwrap_or(0);
            gate.settled(t, step, false);
        }
        assert_eq!(numbers, [1, 2, 3, 4]);
        assert!(gate.stuck().is_none());
        assert!(gate.followed());
        // The schedule is done: later steps run freely.
        assert_eq!(gate.begin(0, crate::lab::kthread::nap).number(), None);
        assert!(gate.scheduled());
        assert!(!Gate::new(None, false).scheduled());
    }

    #[test]
    fn a_step_of_a_thread_with_none_left_is_infeasible() {
        // b.1 a.1 b.2 a.2, where b woke from its first step and finished after it.
        let gate = Gate::new(two(0x2121).unwrap(), true);
        gate.start(0);
        gate.start(1);
        let b1 = gate.begin(1, || ());
        gate.settled(1, b1, true);
        gate.woke(1);
        gate.finished(1);
        let a1 = gate.begin(0, || ());
        gate.settled(0, a1, false);
        assert_eq!(gate.begin(0, || ()).number(), None);
        assert_eq!(gate.stuck(), Some((3, 1, Stuck::Finished)));
    }

    #[test]
    fn a_thread_that_finishes_with_its_step_due_ends_the_schedule() {
        // a.1 a.2 b.1 b.2, where b's first step did all it had to do (a try that succeeded):
        // nobody is left at the gate to see b.2 never come.
        let gate = Gate::new(two(0x1122).unwrap(), true);
        gate.start(0);
        gate.start(1);
        for t in [0, 0, 1] {
            let step = gate.begin(t, || ());
            gate.settled(t, step, false);
        }
        gate.finished(0);
        assert!(gate.stuck().is_none());
        assert!(!gate.followed());
        gate.finished(1);
        assert_eq!(gate.stuck(), Some((4, 1, Stuck::Finished)));
    }

    #[test]
    fn an_opened_gate_lets_every_step_run_freely() {
        let gate = Gate::new(two(0x21).unwrap(), true);
        gate.start(0);
        gate.open();
        // a.1 is not due (b.1 is), yet it runs: the module is going away.
        assert_eq!(gate.begin(0, || ()).number(), None);
        assert!(gate.stuck().is_none());
    }

    #[test]
    fn a_step_of_a_thread_that_sleeps_is_infeasible() {
        // a.1 b.1 b.2 a.2: b.1 sleeps (for what a holds), then a asks for a.2 while b.2 is due.
        let gate = Gate::new(two(0x1221).unwrap(), true);
        gate.start(0);
        gate.start(1);
        let a1 = gate.begin(0, || ());
        gate.settled(0, a1, false);
        let b1 = gate.begin(1, || ());
        gate.settled(1, b1, true);
        let a2 = gate.begin(0, || ());
        // The gate opened.
        assert_eq!(a2.number(), None);
        assert_eq!(gate.stuck(), Some((3, 1, Stuck::Sleeps)));
    }
}

#[kunit_tests(deadlock_lab_params)]
mod params {
    use crate::lab::params::{allowed, checked, Mode};
    use kernel::prelude::*;

    #[test]
    fn a_range_is_read_from_the_description() {
        assert_eq!(allowed("Threads (allowed 2..=64)"), (2, 64));
        assert_eq!(
            allowed("Offset, (allowed in a note) (allowed -5..=5)"),
            (-5, 5)
        );
    }

    #[test]
    fn a_range_admits_its_bounds_and_nothing_beyond() {
        assert_eq!(checked("kunit_p", 2, (2, 64)), Ok(2));
        assert_eq!(checked("kunit_p", 64, (2, 64)), Ok(64));
        assert_eq!(checked("kunit_p", 1, (2, 64)), Err(EINVAL));
        assert_eq!(checked("kunit_p", 65, (2, 64)), Err(EINVAL));
    }

    #[test]
    fn fixed_is_a_mode() {
        assert!(Mode::from_fixed(0) == Ok(Mode::Broken));
        assert!(Mode::from_fixed(1) == Ok(Mode::Fixed(1)));
        assert!(Mode::from_fixed(2) == Ok(Mode::Fixed(2)));
        assert_eq!(Mode::Broken.pick(1, 2), 1);
        assert_eq!(Mode::Fixed(2).pick(1, 2), 2);
        assert_eq!(Mode::Fixed(2).value(), 2);
    }
}

#[kunit_tests(deadlock_lab_harness)]
mod harness {
    use super::{check, eventually};
    use crate::lab::harness::Declaration;
    use crate::lab::order::Locked;
    use crate::lab::order::Ordered;
    use crate::lab::order::Unlocked;
    use crate::lab::prelude::*;
    use crate::new_semaphore;
    use kernel::prelude::*;
    use kernel::sync::atomic::{Atomic, Relaxed};

    /// The next test scenario's mode, and its thread's rounds; the tests run one at a time.
    static FIXED: Atomic<bool> = Atomic::new(true);
    static ROUNDS: Atomic<u64> = Atomic::new(0);

    /// The declaration of both test scenarios: `FIXED` picks the one that declares silence.
    macro_rules! declare {
        ($ty:ty) => {
            impl Declaration for $ty {
                const BROKEN: Expect =
                    Expect::reports("counts, and declares a report", "reported", 0);
                const FIXED: Expect = Expect::silent("counts, and declares silence", "silent");
                fn mode() -> Result<Mode> {
                    Mode::from_fixed(i64::from(FIXED.load(Relaxed)))
                }
            }
        };
    }

    /// A scenario with one thread that counts ten rounds and takes no lock.
    #[pin_data]
    struct Counter {}

    fn count(_c: &Counter, _me: &Thread<Counter>) {
        ROUNDS.add(1, Relaxed);
    }

    declare!(Counter);

    impl Scenario for Counter {
        fn setup(_mode: Mode) -> Result<impl PinInit<Self, Error>> {
            Ok(try_pin_init!(Self {}))
        }

        fn threads(&self, threads: &mut Threads<'_, Self>) -> Result {
            threads.start(Thread {
                rounds: 10,
                ..Thread::of(c"kunit_counter", count)
            })
        }

        fn unblock(&self, _mode: Mode) -> u32 {
            0
        }
    }

    crate::lock_order!(Unlocked => First => Second);

    /// A scenario with one thread that walks a typed order of two semaphores, ten rounds, each
    /// from the token the harness hands it.
    #[pin_data]
    struct Walk {
        #[pin]
        first: Ordered<First>,
        #[pin]
        second: Ordered<Second>,
    }

    /// Counts the round if it held both semaphores at once, neither of which it had to wait for.
    fn walk(w: &Walk, _me: &Thread<Walk>, none: &mut Locked<'_, Unlocked>) {
        let (held1, mut at1) = none.down(&w.first);
        let (held2, _at2) = at1.down(&w.second);
        let first_held = w.first.untyped().try_down().is_none();
        if first_held && !held1.waited() && !held2.waited() {
            ROUNDS.add(1, Relaxed);
        }
    }

    declare!(Walk);

    impl Scenario for Walk {
        fn setup(_mode: Mode) -> Result<impl PinInit<Self, Error>> {
            Ok(try_pin_init!(Self {
                first <- Ordered::new(new_semaphore!(1, "kunit_first")),
                second <- Ordered::new(new_semaphore!(1, "kunit_second")),
            }))
        }

        fn threads(&self, threads: &mut Threads<'_, Self>) -> Result {
            threads.start(Thread {
                rounds: 10,
                ..Thread::ordered(c"kunit_walk", walk)
            })
        }

        fn unblock(&self, _mode: Mode) -> u32 {
            0
        }
    }

    /// Loads `S` as a module would, waits for its ten rounds, and unloads it.
    fn load_and_unload<S: Scenario>(fixed: bool) -> Result<Harness<S>> {
        FIXED.store(fixed, Relaxed);
        ROUNDS.store(0, Relaxed);
        let harness = Harness::<S>::start()?;
        check(eventually(|| ROUNDS.load(Relaxed) == 10))?;
        Ok(harness)
    }

    #[test]
    fn a_silent_scenario_that_ran_its_rounds_succeeds() -> Result {
        // The harness, its threads stopped by `finish()`, is dropped as the `let` ends.
        let verdict = load_and_unload::<Counter>(true)?.finish();
        assert_eq!(verdict, Some(true));
        Ok(())
    }

    #[test]
    fn a_report_that_lockdep_never_made_fails() -> Result {
        let verdict = load_and_unload::<Counter>(false)?.finish();
        assert_eq!(verdict, Some(false));
        Ok(())
    }

    #[test]
    fn a_verdict_is_given_once() -> Result {
        let mut harness = load_and_unload::<Counter>(true)?;
        let (first, second) = (harness.finish(), harness.finish());
        drop(harness);
        assert_eq!(first, Some(true));
        assert_eq!(second, None);
        Ok(())
    }

    #[test]
    fn each_round_walks_the_typed_order_from_its_own_token() -> Result {
        let verdict = load_and_unload::<Walk>(true)?.finish();
        assert_eq!(verdict, Some(true));
        Ok(())
    }
}

#[kunit_tests(deadlock_lab_spinlock_irq)]
mod spinlock_irq {
    use super::irqs_enabled;
    use kernel::prelude::*;

    // The lock `deadlock_irq` takes: the kernel crate's where it has one (7.3 on), else the lab's
    // (`src/lab/irqsave.rs`), the same probe and the same names.
    #[cfg(not(kernel_spinlock_irq))]
    use crate::lab::irqsave::new_spinlock_irq;
    #[cfg(kernel_spinlock_irq)]
    use kernel::sync::new_spinlock_irq;

    #[test]
    fn guards_dropped_out_of_order_keep_interrupts_off_until_the_last() -> Result {
        let x = KBox::pin_init(new_spinlock_irq!(0u32, "kunit_irq_x"), GFP_KERNEL)?;
        let y = KBox::pin_init(new_spinlock_irq!(0u32, "kunit_irq_y"), GFP_KERNEL)?;
        let before = irqs_enabled();
        let a = x.lock();
        let b = y.lock();
        let with_both = irqs_enabled();
        drop(a);
        let with_second = irqs_enabled();
        drop(b);
        let after = irqs_enabled();
        // In order, too: the inner guard goes first and leaves interrupts off for the outer one.
        let a = x.lock();
        let b = y.lock();
        drop(b);
        let with_first = irqs_enabled();
        drop(a);
        let after_in_order = irqs_enabled();
        assert!(before);
        assert!(!with_both);
        assert!(!with_second);
        assert!(after);
        assert!(!with_first);
        assert!(after_in_order);
        Ok(())
    }
}
