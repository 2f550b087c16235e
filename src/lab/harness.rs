// SPDX-License-Identifier: GPL-2.0

//! The harness every lab module runs on.
//!
//! A scenario is a type that implements [`Scenario`]: its state (the locks), the functions its
//! threads run, and a declaration of what the kernel must show ([`Expect`]). [`Harness`] is the
//! module itself: it starts the threads and runs their rounds; at unload it stops them, lets the
//! scenario wake what its bug left asleep, and prints the module's one verdict line,
//! `End of test: SUCCESS` or `End of test: FAILURE`, from what it measured while the module was
//! loaded:
//!
//! - whether lockdep reported: `debug_locks` was 1 at load and is 0 at unload;
//! - how many tasks were asleep on a lock when the exit path began;
//! - how many rounds each thread finished, and the errors the threads counted.
//!
//! A scenario never decides its own verdict.

use super::kthread::{KThread, ThreadContext};
#[cfg(lab_order)]
use super::order::Locked;
#[cfg(lab_order)]
use super::order::Unlocked;
use super::params::Mode;
use core::ops::RangeInclusive;
use kernel::fmt;
use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::atomic::{Atomic, Relaxed};
use kernel::sync::{Arc, Completion};
use kernel::time::{Instant, Monotonic};

/// Most threads one scenario may start.
pub(crate) const MAX_THREADS: usize = 64;

/// What lockdep must do while the module is loaded.
pub(crate) enum Lockdep {
    /// Report a problem: `debug_locks` is 1 at load and 0 at unload.
    Reports,
    /// Stay silent: `debug_locks` is 1 at load and still 1 at unload.
    Silent,
}

/// What one form of a scenario's code does, and what the kernel must show for it: the
/// scenario's declaration.
pub(crate) struct Expect {
    /// What the code does, for the `loading:` line.
    pub(crate) does: &'static str,
    /// What a success demonstrates, for the verdict line ("inverted order deadlocked and
    /// recovered").
    pub(crate) what: &'static str,
    pub(crate) lockdep: Lockdep,
    /// How many tasks may be asleep on a lock when the exit path begins. If none may, every
    /// thread must have finished all its rounds (or, if it runs until unload, at least one).
    pub(crate) blocked: RangeInclusive<u32>,
}

impl Expect {
    /// Code whose bug lockdep reports, leaving `blocked` tasks asleep on a lock.
    pub(crate) const fn reports(does: &'static str, what: &'static str, blocked: u32) -> Self {
        Expect {
            does,
            what,
            lockdep: Lockdep::Reports,
            blocked: blocked..=blocked,
        }
    }

    /// Code that gives lockdep nothing to report and leaves nobody blocked.
    pub(crate) const fn silent(does: &'static str, what: &'static str) -> Self {
        Expect {
            does,
            what,
            lockdep: Lockdep::Silent,
            blocked: 0..=0,
        }
    }
}

/// One round of a thread's work.
pub(crate) enum Body<S> {
    /// A round that takes no lock of a typed order.
    Plain(fn(&S, &Thread<S>)),
    /// A round that walks a typed lock order ([`super::order`]) from the token the harness
    /// hands it.
    #[cfg(lab_order)]
    Ordered(fn(&S, &Thread<S>, &mut Locked<'_, Unlocked>)),
}

impl<S> Clone for Body<S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for Body<S> {}

/// One thread of a scenario. Start from [`Thread::of`] (or [`Thread::ordered`]) and change what
/// differs.
pub(crate) struct Thread<S> {
    /// The thread's name, as `ps`, lockdep and the hung-task detector print it.
    pub(crate) name: &'static CStr,
    /// Appended to the name if not 0 (`deadlock_lab_a1`), for scenarios with many threads.
    pub(crate) number: u32,
    /// The thread's place in start order (0, 1, ...), for a body that many threads share; the
    /// harness sets it when it starts the thread.
    pub(crate) index: u32,
    /// One round of the thread's work: the scenario's lock-taking code. It is given its own
    /// thread's description, whose `Display` is the thread's name.
    pub(crate) body: Body<S>,
    /// Rounds to run; 0 runs until the module is unloaded.
    pub(crate) rounds: u64,
    /// The only CPU the thread may run on, if it matters.
    pub(crate) cpu: Option<u32>,
    /// Whether the thread starts its rounds only once every thread that is not `later` has
    /// finished its own.
    pub(crate) later: bool,
    /// Whether the exit path stops this thread before it wakes anyone, so that the thread ends
    /// with whatever it still holds.
    pub(crate) stopped_first: bool,
}

impl<S> Thread<S> {
    /// A thread called `name` that runs `body` once, at once, on any CPU.
    pub(crate) fn of(name: &'static CStr, body: fn(&S, &Thread<S>)) -> Self {
        Thread {
            name,
            number: 0,
            index: 0,
            body: Body::Plain(body),
            rounds: 1,
            cpu: None,
            later: false,
            stopped_first: false,
        }
    }

    /// A thread called `name` whose rounds take locks of a typed order: each round of `body` is
    /// handed a new token of [`Unlocked`], the only way to start a walk through the order.
    /// Otherwise as [`Thread::of`].
    #[cfg(lab_order)]
    pub(crate) fn ordered(
        name: &'static CStr,
        body: fn(&S, &Thread<S>, &mut Locked<'_, Unlocked>),
    ) -> Self {
        // The rest as `Thread::of` sets it, whose plain body this one replaces.
        Thread {
            body: Body::Ordered(body),
            ..Thread::of(name, |_, _| ())
        }
    }
}

impl<S> Clone for Thread<S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for Thread<S> {}

impl<S> fmt::Display for Thread<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.number {
            0 => f.write_fmt(fmt!("{}", self.name)),
            n => f.write_fmt(fmt!("{}{n}", self.name)),
        }
    }
}

/// What a lab module declares in [`lab_module!`]: what the kernel must show with the bug and
/// without it, and its `fixed` parameter.
pub(crate) trait Declaration {
    /// The declaration for the code with the bug (`fixed=0`).
    const BROKEN: Expect;
    /// The declaration for the code without it (`fixed=1`).
    const FIXED: Expect;
    /// The `fixed` parameter of this load, checked against its range.
    fn mode() -> Result<Mode>;
}

/// Declares a lab module: its `module!`, with its parameters, and its [`Declaration`].
///
/// Every parameter is an `i64` whose description ends with its allowed range, `(allowed
/// MIN..=MAX)`: `modinfo` shows the description, and the range check is compiled from it, so the
/// range is written once. `param::NAME()` returns a parameter's value, or `EINVAL` and a line
/// naming the parameter and its range. Every lab module has `fixed`, first and without a default
/// of its own: it is 0, the bug, so that a plain `insmod` shows what the module is about.
///
/// ```ignore
/// lab_module! {
///     Pair, "deadlock_spin", "ABBA deadlock on two spinlocks, and its fix",
///     params: {
///         fixed: "Lock order of thread B: 0 = ...; 1 = ... (allowed 0..=1)",
///         rounds: "Rounds each thread runs (allowed 1..=1000)" = 10,
///     },
///     broken: Expect::reports("what the broken code does", "what its success shows", 0),
///     fixed: Expect::silent("what the fixed code does", "what its success shows"),
/// }
/// ```
#[macro_export]
macro_rules! lab_module {
    (
        $ty:ident, $name:literal, $description:literal,
        params: {
            fixed: $fixed_doc:literal
            $(, $param:ident: $doc:literal = $default:literal)* $(,)?
        },
        broken: $broken:expr,
        fixed: $fixed_expect:expr $(,)?
    ) => {
        $crate::lab_module!(
            @declare $ty, $name, $description,
            [fixed: $fixed_doc = 0 $(, $param: $doc = $default)*],
            $broken, $fixed_expect
        );
    };
    (
        @declare $ty:ident, $name:literal, $description:literal,
        [$($param:ident: $doc:literal = $default:literal),+],
        $broken:expr, $fixed_expect:expr
    ) => {
        ::kernel::prelude::module! {
            type: Harness<$ty>,
            name: $name,
            authors: ["deadlock-lab developers"],
            description: $description,
            license: "GPL",
            params: {
                $($param: i64 {
                    default: $default,
                    description: $doc,
                },)+
            },
        }

        /// The module's parameters, each checked against the range its description states.
        mod param {
            $(
                #[doc = $doc]
                pub(crate) fn $param() -> ::kernel::error::Result<i64> {
                    const RANGE: (i64, i64) = $crate::lab::params::allowed($doc);
                    $crate::lab::params::checked(
                        stringify!($param),
                        $crate::module_parameters::$param.value(),
                        RANGE,
                    )
                }
            )+
        }

        impl $crate::lab::harness::Declaration for $ty {
            const BROKEN: Expect = $broken;
            const FIXED: Expect = $fixed_expect;
            fn mode() -> Result<Mode> {
                Mode::from_fixed(param::fixed()?)
            }
        }
    };
}

/// Declares a module for code whose point is whether it builds (`tests/compile-fail/`): one
/// thread whose one round is `round`, handed a token of the typed order, on a state of semaphores
/// at the order's levels, each its own lock class named after its field. It is never loaded, so
/// its declaration of what the kernel must show is a placeholder.
///
/// ```ignore
/// lock_order!(Unlocked => Sem1 => Sem2);
///
/// ordered_case! {
///     Pair, "compile_fail_inverted_order", "Compile-fail case: the inverted order",
///     locks: { sem1: Sem1, sem2: Sem2 },
///     round: round,
/// }
/// ```
#[cfg(lab_order)]
#[macro_export]
macro_rules! ordered_case {
    (
        $ty:ident, $name:literal, $description:literal,
        locks: { $($lock:ident: $level:ident),+ $(,)? },
        round: $round:path $(,)?
    ) => {
        $crate::lab_module! {
            $ty, $name, $description,
            params: {
                fixed: "Unused (allowed 0..=1)",
            },
            broken: Expect::reports("a round of the case", "the case ran", 0),
            fixed: Expect::silent("a round of the case", "the case ran"),
        }

        /// The case's semaphores, each at its level of the order.
        #[pin_data]
        struct $ty {
            $(
                #[pin]
                $lock: $crate::lab::order::Ordered<$level>,
            )+
        }

        impl Scenario for $ty {
            fn setup(_mode: Mode) -> Result<impl PinInit<Self, Error>> {
                Ok(try_pin_init!($ty {
                    $(
                        $lock <- $crate::lab::order::Ordered::new(
                            $crate::lab::semaphore::Semaphore::new(
                                1,
                                ::kernel::c_str!(stringify!($lock)),
                                ::kernel::sync::static_lock_class!(),
                                true,
                            ),
                        ),
                    )+
                }))
            }

            fn threads(&self, threads: &mut Threads<'_, Self>) -> Result {
                threads.start(Thread::ordered(c"compile_fail", $round))
            }

            fn unblock(&self, _mode: Mode) -> u32 {
                0
            }
        }
    };
}

/// A deadlock scenario: its state, its threads, and what the kernel must show.
pub(crate) trait Scenario: Declaration + Send + Sync + Sized + 'static {
    /// Reads the module's other parameters and makes the state for `mode`.
    fn setup(mode: Mode) -> Result<impl PinInit<Self, Error>>;

    /// What the kernel must show for this load; a scenario whose other parameters change that
    /// says so here.
    fn expect(&self, mode: Mode) -> Expect {
        mode.pick(Self::BROKEN, Self::FIXED)
    }

    /// Starts what runs beside the threads, such as a timer; the harness drops it first at
    /// unload.
    fn start(_this: &Arc<Self>) -> Result<Option<KBox<dyn Send + Sync>>> {
        Ok(None)
    }

    /// Starts the scenario's threads, through `threads`.
    fn threads(&self, threads: &mut Threads<'_, Self>) -> Result;

    /// The exit path's part: wakes the tasks the scenario's bug left waiting, and lets no thread
    /// wait any more. Returns how many tasks were asleep on a lock when it began.
    fn unblock(&self, mode: Mode) -> u32;

    /// Invariant violations the threads saw (each one logged with `!!!`).
    fn errors(&self) -> u32 {
        0
    }

    /// Logs the scenario's own counters once its threads have stopped.
    fn report(&self) {}
}

/// A started thread, and what the verdict needs to know of it.
struct Running<S> {
    /// `None` once stopped.
    handle: Option<KThread>,
    spec: Thread<S>,
}

/// The state the harness shares with the threads.
#[pin_data]
struct Common {
    stopping: Atomic<bool>,
    /// Rounds each thread finished, by start order.
    done: [Atomic<u64>; MAX_THREADS],
    /// Threads that are not `later` and still run their rounds, plus one while threads are
    /// being started.
    first_running: Atomic<u32>,
    /// Completed when `first_running` reaches 0, or at unload.
    #[pin]
    first_done: Completion,
}

impl Common {
    fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            stopping: Atomic::new(false),
            done: core::array::from_fn(|_| Atomic::new(0)),
            first_running: Atomic::new(1),
            first_done <- Completion::new(),
        })
    }

    /// One thread of the first phase (or the starter) is done.
    fn first_one_done(&self) {
        if self.first_running.fetch_sub(1, Relaxed) == 1 {
            self.first_done.complete_all();
        }
    }
}

/// Starts a scenario's threads; given to [`Scenario::threads`].
pub(crate) struct Threads<'a, S: Scenario> {
    harness: &'a mut Harness<S>,
}

impl<S: Scenario> Threads<'_, S> {
    /// Starts `spec`'s thread.
    pub(crate) fn start(&mut self, mut spec: Thread<S>) -> Result {
        let h = &mut *self.harness;
        let index = h.threads.len();
        if index == MAX_THREADS {
            return Err(EINVAL);
        }
        spec.index = index as u32;
        h.threads.reserve(1, GFP_KERNEL)?;
        let name = CString::try_from_fmt(fmt!("{spec}"))?;
        let (scenario, common) = (h.scenario.clone(), h.common.clone());
        if !spec.later {
            common.first_running.fetch_add(1, Relaxed);
        }
        let started = KThread::spawn(&name, spec.cpu, move |ctx| {
            run(&*scenario, &common, spec, ctx)
        });
        let handle = match started {
            Ok(handle) => handle,
            Err(e) => {
                if !spec.later {
                    h.common.first_one_done();
                }
                return Err(e);
            }
        };
        match spec.cpu {
            Some(cpu) => pr_info!("started: {spec} (pid {}) on CPU {cpu}\n", handle.pid()),
            None => pr_info!("started: {spec} (pid {})\n", handle.pid()),
        }
        h.threads.push(
            Running {
                handle: Some(handle),
                spec,
            },
            GFP_KERNEL,
        )?;
        Ok(())
    }
}

/// The body of every thread: `spec.rounds` rounds of `spec.body`, or fewer if stopped.
#[inline(always)]
fn run<S: Scenario>(s: &S, c: &Common, spec: Thread<S>, ctx: &ThreadContext) {
    if spec.later {
        c.first_done.wait_for_completion();
    }
    let started = Instant::<Monotonic>::now();
    let mut done = 0;
    while !ctx.should_stop()
        && !c.stopping.load(Relaxed)
        && (spec.rounds == 0 || done < spec.rounds)
    {
        match spec.body {
            Body::Plain(body) => body(s, &spec),
            #[cfg(lab_order)]
            Body::Ordered(body) => {
                // This is the top of a round, on the thread's own task, and the token lives only
                // for the round. The previous round's token was dropped when that round returned,
                // and with it everything taken through it: a guard taken through a token borrows
                // it, so no guard of the order outlives its round but a leaked one.
                // SAFETY: The task holds no lock taken through a token (leaked guards aside), and
                // this is its one token (see above).
                let mut none = unsafe { Locked::new() };
                body(s, &spec, &mut none);
            }
        }
        done += 1;
        c.done[spec.index as usize].store(done, Relaxed);
    }
    if spec.rounds != 0 && done == spec.rounds && !c.stopping.load(Relaxed) {
        let ms = started.elapsed().as_millis();
        pr_info!("{spec}: finished {done} rounds in {ms} ms\n");
    }
    if !spec.later {
        c.first_one_done();
    }
}

/// Whether lockdep is still checking: `false` once it has reported a problem (or is not built).
pub(crate) fn debug_locks() -> bool {
    // SAFETY: `debug_locks` is an `int` that lives as long as the kernel, written only with
    // atomic operations (`xchg` in `__debug_locks_off()`), so an atomic load of it is sound.
    let flag = unsafe { Atomic::from_ptr(&raw mut kernel::bindings::debug_locks) };
    flag.load(Relaxed) != 0
}

/// A lab module: one scenario and its threads.
pub(crate) struct Harness<S: Scenario> {
    scenario: Arc<S>,
    common: Arc<Common>,
    threads: KVec<Running<S>>,
    beside: Option<KBox<dyn Send + Sync>>,
    mode: Mode,
    debug_locks_at_load: bool,
    /// Whether `init` succeeded; a failed load stops its threads and judges nothing.
    loaded: bool,
    /// Whether [`Harness::finish`] ran.
    finished: bool,
}

impl<S: Scenario> kernel::Module for Harness<S> {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Self::start()
    }
}

impl<S: Scenario> Harness<S> {
    /// Starts the scenario and its threads: the module's `init`.
    pub(crate) fn start() -> Result<Self> {
        let debug_locks_at_load = debug_locks();
        let mode = S::mode()?;
        let scenario = Arc::pin_init(S::setup(mode)?, GFP_KERNEL)?;
        let does = scenario.expect(mode).does;
        pr_info!("loading: {does} (fixed={})\n", mode.value());
        let mut this = Harness {
            scenario,
            mode,
            common: Arc::pin_init(Common::new(), GFP_KERNEL)?,
            threads: KVec::new(),
            beside: None,
            debug_locks_at_load,
            loaded: false,
            finished: false,
        };
        // On an error, dropping `this` stops what was started, through the unload path.
        this.beside = S::start(&this.scenario)?;
        let scenario = this.scenario.clone();
        scenario.threads(&mut Threads { harness: &mut this })?;
        this.common.first_one_done();
        this.loaded = true;
        Ok(this)
    }

    /// Stops the threads that match `first`, in start order.
    fn stop(&mut self, first: bool) {
        for t in self
            .threads
            .iter_mut()
            .filter(|t| t.spec.stopped_first == first)
        {
            t.handle = None;
        }
    }

    /// Logs how many rounds each thread finished; returns whether each finished all of its own
    /// (or, if it runs until unload, at least one).
    fn rounds(&self) -> bool {
        let done = |i: usize| self.common.done[i].load(Relaxed);
        let mut all = true;
        let mut total = 0;
        for (i, t) in self.threads.iter().enumerate() {
            total += done(i);
            all &= match t.spec.rounds {
                0 => done(i) > 0,
                rounds => done(i) == rounds,
            };
        }
        match &self.threads[..] {
            [a] => pr_info!("threads stopped: {}={} rounds\n", a.spec, done(0)),
            [a, b] => pr_info!(
                "threads stopped: {}={} rounds, {}={} rounds\n",
                a.spec,
                done(0),
                b.spec,
                done(1)
            ),
            t => pr_info!(
                "threads stopped: {} threads, {total} rounds in all\n",
                t.len()
            ),
        }
        all
    }
}

/// What the harness measured, for the verdict line.
struct Facts {
    debug_locks: (bool, bool),
    blocked: u32,
    declared_blocked: RangeInclusive<u32>,
    errors: u32,
}

impl fmt::Display for Facts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Facts {
            debug_locks: (before, after),
            blocked,
            declared_blocked,
            errors,
        } = self;
        f.write_fmt(fmt!(
            "debug_locks {} -> {}, {blocked} task(s) asleep on a lock at unload (declared {}..={}), {errors} error(s)",
            i32::from(*before),
            i32::from(*after),
            declared_blocked.start(),
            declared_blocked.end()
        ))
    }
}

impl<S: Scenario> Drop for Harness<S> {
    fn drop(&mut self) {
        self.finish();
    }
}

impl<S: Scenario> Harness<S> {
    /// The one exit path, for unloading and for a failed load: stops the threads, lets the
    /// scenario wake what its bug left asleep, and prints the verdict. Returns the verdict (`None`
    /// for a failed load, or if it already ran).
    pub(crate) fn finish(&mut self) -> Option<bool> {
        if core::mem::replace(&mut self.finished, true) {
            return None;
        }
        self.common.stopping.store(true, Relaxed);
        // No thread may wait any more for others that will not come.
        self.common.first_done.complete_all();
        self.beside = None;
        self.stop(true);
        let blocked = self.scenario.unblock(self.mode);
        self.stop(false);
        if !self.loaded {
            pr_info!("load failed: every thread it started has stopped\n");
            return None;
        }
        let all_rounds = self.rounds();
        self.scenario.report();
        let expect = self.scenario.expect(self.mode);
        let (before, after) = (self.debug_locks_at_load, debug_locks());
        let errors = self.scenario.errors();
        let unmet = if !cfg!(CONFIG_PROVE_LOCKING) && matches!(expect.lockdep, Lockdep::Reports) {
            Some("lockdep absent (the kernel has no CONFIG_PROVE_LOCKING), cannot judge")
        } else if !before {
            Some("lockdep was off before the load (debug_locks 0), so it could not judge it")
        } else if matches!(expect.lockdep, Lockdep::Reports) && after {
            Some("lockdep did not report (debug_locks still 1)")
        } else if matches!(expect.lockdep, Lockdep::Silent) && !after {
            Some("lockdep reported a problem (debug_locks 1 -> 0)")
        } else if !expect.blocked.contains(&blocked) {
            Some("not as many tasks as declared were asleep on a lock at unload")
        } else if *expect.blocked.end() == 0 && !all_rounds {
            Some("not every thread finished its rounds")
        } else if errors > 0 {
            Some("the threads counted errors")
        } else {
            None
        };
        let facts = Facts {
            debug_locks: (before, after),
            blocked,
            declared_blocked: expect.blocked.clone(),
            errors,
        };
        match unmet {
            None => pr_info!("End of test: SUCCESS: {} ({facts})\n", expect.what),
            Some(why) => pr_err!("End of test: FAILURE: {}: {why} ({facts})\n", expect.what),
        }
        Some(unmet.is_none())
    }
}
