// SPDX-License-Identifier: GPL-2.0

//! KUnit tests of the lab's library: the semaphore, the kernel-thread handle, the rendezvous,
//! the parameter checks and the harness's verdict.
//!
//! The suites run when this module is loaded (the module loader runs every suite in a module's
//! `.kunit_test_suites` section) and print their results as KTAP in the kernel log. The module
//! itself does nothing. Built only when the kernel has `CONFIG_KUNIT=y`.

mod lab;

use kernel::prelude::*;

module! {
    type: LabKunit,
    name: "deadlock_lab_kunit",
    authors: ["deadlock-lab developers"],
    description: "KUnit tests of the deadlock-lab library (semaphore, kernel thread, rendezvous, parameters, harness)",
    license: "GPL",
}

/// The module: its suites are the point.
struct LabKunit;

impl kernel::Module for LabKunit {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(LabKunit)
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

#[kunit_tests(deadlock_lab_semaphore)]
mod semaphore {
    use super::eventually;
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
        assert_eq!(fails_holding(&sem), Err(EINVAL));
        let mut slept = false;
        let held = sem.down_then(|| slept = true);
        assert!(!slept);
        assert!(sem.name() == c"kunit_sem");
        assert!(!held.waited());
        drop(held);
        let again = sem.down();
        assert!(!again.waited());
        Ok(())
    }

    #[test]
    fn a_count_above_one_admits_that_many_holders() -> Result {
        let sem = KBox::pin_init(new_semaphore!(3, "kunit_sem3"), GFP_KERNEL)?;
        let (a, b, c) = (sem.down(), sem.down(), sem.down());
        assert!(!a.waited() && !b.waited() && !c.waited());
        assert_eq!(sem.sleepers(), 0);
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
        assert!(eventually(|| sem.sleepers() == 1));
        drop(held);
        assert!(eventually(|| waited.load(Relaxed) != 0));
        assert_eq!(waited.load(Relaxed), 2);
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
        assert!(eventually(|| sem.sleepers() == 1));
        sem.up_unowned(1);
        assert!(eventually(|| done.load(Relaxed)));
        assert_eq!(sem.sleepers(), 0);
        drop(thread);
        drop(held);
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
    use super::eventually;
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
        assert!(thread.pid() > 0);
        drop(thread);
        Ok(())
    }

    #[test]
    fn a_bound_thread_runs_on_its_cpu() -> Result {
        let cpu = Arc::new(Atomic::new(u32::MAX), GFP_KERNEL)?;
        let c = cpu.clone();
        let thread = KThread::spawn(c"kunit_bound", Some(0), move |_| {
            c.store(kernel::cpu::CpuId::current().as_u32(), Relaxed)
        })?;
        assert!(eventually(|| cpu.load(Relaxed) != u32::MAX));
        assert_eq!(cpu.load(Relaxed), 0);
        drop(thread);
        Ok(())
    }

    #[test]
    fn a_cpu_that_does_not_exist_is_refused() {
        let cpu = kernel::cpu::nr_cpu_ids();
        assert!(KThread::spawn(c"kunit_nowhere", Some(cpu), |_| ()).is_err());
    }
}

#[kunit_tests(deadlock_lab_rendezvous)]
mod rendezvous {
    use super::eventually;
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
            assert!(eventually(|| passed.load(Relaxed)));
            drop(thread);
        }
        Ok(())
    }

    #[test]
    fn release_lets_a_lone_waiter_go() -> Result {
        let meet = Arc::pin_init(Rendezvous::new(2, false), GFP_KERNEL)?;
        let (thread, passed) = meets(&meet)?;
        // Alone, it waits: still waiting after 100 ms.
        assert!(!super::within(100, || passed.load(Relaxed)));
        meet.release();
        assert!(eventually(|| passed.load(Relaxed)));
        drop(thread);
        Ok(())
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
    use super::eventually;
    use crate::lab::harness::Declaration;
    use crate::lab::prelude::*;
    use kernel::prelude::*;
    use kernel::sync::atomic::{Atomic, Relaxed};

    /// The next test scenario's mode, and its thread's rounds; the tests run one at a time.
    static FIXED: Atomic<bool> = Atomic::new(true);
    static ROUNDS: Atomic<u64> = Atomic::new(0);

    /// A scenario with one thread that counts ten rounds and takes no lock.
    #[pin_data]
    struct Counter {}

    fn count(_c: &Counter, _me: &Thread<Counter>) {
        ROUNDS.add(1, Relaxed);
    }

    impl Declaration for Counter {
        const BROKEN: Expect = Expect::reports("counts, and declares a report", "reported", 0);
        const FIXED: Expect = Expect::silent("counts, and declares silence", "silent");
        fn mode() -> Result<Mode> {
            Mode::from_fixed(i64::from(FIXED.load(Relaxed)))
        }
    }

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

    /// Loads `Counter` as a module would, waits for its rounds, and unloads it.
    fn load_and_unload(fixed: bool) -> Result<Harness<Counter>> {
        FIXED.store(fixed, Relaxed);
        ROUNDS.store(0, Relaxed);
        let harness = Harness::<Counter>::start()?;
        assert!(eventually(|| ROUNDS.load(Relaxed) == 10));
        Ok(harness)
    }

    #[test]
    fn a_silent_scenario_that_ran_its_rounds_succeeds() -> Result {
        assert_eq!(load_and_unload(true)?.finish(), Some(true));
        Ok(())
    }

    #[test]
    fn a_report_that_lockdep_never_made_fails() -> Result {
        assert_eq!(load_and_unload(false)?.finish(), Some(false));
        Ok(())
    }

    #[test]
    fn a_verdict_is_given_once() -> Result {
        let mut harness = load_and_unload(true)?;
        assert_eq!(harness.finish(), Some(true));
        assert_eq!(harness.finish(), None);
        Ok(())
    }
}
