// SPDX-License-Identifier: GPL-2.0

//! A spinlock shared with a hard-interrupt handler, taken with interrupts enabled, and the fix.
//!
//! An hrtimer callback runs in hard-interrupt context (every mode but the `*_SOFT` ones) and
//! takes `stats_lock`, a plain [`SpinLock`]. A kernel thread takes the same lock in process
//! context without disabling interrupts (the default, `fixed=0`). If the timer fires on the CPU
//! of the thread while the thread holds the lock, the interrupt spins forever on a lock that
//! only the interrupted thread can release: a deadlock of one CPU with itself.
//!
//! Lockdep does not need to see that happen. It records that the lock class was taken in
//! hard-interrupt context (`IN-HARDIRQ-W`), and when the thread takes it with interrupts
//! enabled (`HARDIRQ-ON-W`) it reports "inconsistent lock state". The thread waits until the
//! one-shot timer has run before it takes the lock, so the report always comes in that order
//! and the real deadlock cannot happen in this demonstration.
//!
//! With `fixed=1` the lock is a [`SpinLockIrq`], which disables interrupts on the local CPU while
//! it is held (the C `spin_lock_irqsave()`): the timer fires every millisecond while the thread
//! takes the lock thousands of times, and lockdep stays silent.

mod kthread;
mod lockdep;
mod params;

use kernel::prelude::*;
use kernel::sync::atomic::{Atomic, Relaxed};
use kernel::sync::{
    new_spinlock, new_spinlock_irq, Arc, ArcBorrow, Completion, SpinLock, SpinLockIrq,
};
use kernel::time::hrtimer::{
    ArcHrTimerHandle, HrTimer, HrTimerCallback, HrTimerCallbackContext, HrTimerPointer,
    HrTimerRestart, RelativeMode,
};
use kernel::time::{Delta, Monotonic};
use kthread::{KThread, ThreadContext};
use params::param_in_range;

module! {
    type: DeadlockIrq,
    name: "deadlock_irq",
    authors: ["deadlock-lab developers"],
    description: "A spinlock shared with a hard-interrupt handler and taken with interrupts on, and its fix",
    license: "GPL",
    params: {
        fixed: i64 {
            default: 0,
            description: "0 = the thread takes the lock the hrtimer callback takes, with interrupts enabled (plain SpinLock); 1 = it disables interrupts while holding it (SpinLockIrq) (allowed 0..=1)",
        },
    },
}

/// Rounds the thread takes the lock with `fixed=1`.
const ROUNDS: u64 = 20_000;

/// The timer's period with `fixed=1`, and its delay in both modes.
const PERIOD: Delta = Delta::from_millis(1);

/// What the lock protects: how often each side updated it.
#[derive(Default)]
struct Counts {
    timer: u64,
    thread: u64,
}

#[pin_data]
struct Shared {
    #[pin]
    timer: HrTimer<Self>,
    /// The broken form's lock: leaves interrupts enabled while held.
    #[pin]
    stats_lock: SpinLock<Counts>,
    /// The fixed form's lock: disables interrupts on the local CPU while held.
    #[pin]
    stats_lock_irq: SpinLockIrq<Counts>,
    /// Completed each time the timer callback has run.
    #[pin]
    fired: Completion,
    fixed: bool,
    stopping: Atomic<bool>,
}

impl Shared {
    fn new(fixed: bool) -> impl PinInit<Self> {
        pin_init!(Self {
            timer <- HrTimer::new(),
            stats_lock <- new_spinlock!(Counts::default(), "stats_lock"),
            stats_lock_irq <- new_spinlock_irq!(Counts::default(), "stats_lock_irq"),
            fired <- Completion::new(),
            fixed,
            stopping: Atomic::new(false),
        })
    }

    fn counts(&self) -> (u64, u64) {
        if self.fixed {
            let g = self.stats_lock_irq.lock();
            (g.timer, g.thread)
        } else {
            let g = self.stats_lock.lock();
            (g.timer, g.thread)
        }
    }
}

kernel::impl_has_hr_timer! {
    impl HasHrTimer<Self> for Shared {
        mode: RelativeMode<Monotonic>,
        field: self.timer
    }
}

impl HrTimerCallback for Shared {
    type Pointer<'a> = Arc<Self>;

    fn run(this: ArcBorrow<'_, Self>, mut ctx: HrTimerCallbackContext<'_, Self>) -> HrTimerRestart {
        timer_tick(&this);
        if this.fixed && !this.stopping.load(Relaxed) {
            ctx.forward_now(PERIOD);
            HrTimerRestart::Restart
        } else {
            HrTimerRestart::NoRestart
        }
    }
}

/// The interrupt side, in hard-interrupt context: takes the lock like any interrupt handler.
#[inline(never)]
fn timer_tick(shared: &Shared) {
    if shared.fixed {
        // Interrupts are off already; `lock()` only nests another disable.
        shared.stats_lock_irq.lock().timer += 1;
    } else {
        shared.stats_lock.lock().timer += 1;
    }
    shared.fired.complete_all();
}

/// The broken process side: the timer may interrupt it while it holds the lock.
#[inline(never)]
fn update_irqs_on(shared: &Shared) {
    pr_info!("deadlock_irq: the timer took stats_lock in hard-interrupt context; now taking it with interrupts enabled\n");
    shared.stats_lock.lock().thread += 1;
}

/// The fixed process side: no interrupt can come in on this CPU while the lock is held.
#[inline(never)]
fn update_irqs_off(shared: &Shared) {
    shared.stats_lock_irq.lock().thread += 1;
}

fn worker(shared: &Shared, ctx: &ThreadContext) {
    shared.fired.wait_for_completion();
    if !shared.fixed {
        update_irqs_on(shared);
        return;
    }
    let mut done = 0;
    while done < ROUNDS && !ctx.should_stop() {
        update_irqs_off(shared);
        done += 1;
    }
    let (timer, _) = shared.counts();
    pr_info!("deadlock_irq: finished {done} rounds; the timer ran {timer} times meanwhile\n");
}

struct DeadlockIrq {
    shared: Arc<Shared>,
    timer: Option<ArcHrTimerHandle<Shared>>,
    thread: Option<KThread>,
}

impl kernel::Module for DeadlockIrq {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let fixed = param_in_range("fixed", module_parameters::fixed.value(), 0, 1)? == 1;
        let mode = if fixed {
            "fixed: the thread takes stats_lock_irq (SpinLockIrq) with interrupts disabled"
        } else {
            "broken: the thread takes stats_lock (SpinLock) with interrupts enabled"
        };
        pr_info!(
            "loading: {mode} (fixed={}); an hrtimer callback takes it in hard-interrupt context\n",
            fixed as i32
        );
        let mut this = DeadlockIrq {
            shared: Arc::pin_init(Shared::new(fixed), GFP_KERNEL)?,
            timer: None,
            thread: None,
        };
        this.timer = Some(this.shared.clone().start(PERIOD));
        let shared = this.shared.clone();
        let thread = KThread::spawn(c"deadlock_irq", move |ctx| worker(&shared, ctx))?;
        pr_info!("started: deadlock_irq (pid {})\n", thread.pid());
        this.thread = Some(thread);
        Ok(this)
    }
}

impl Drop for DeadlockIrq {
    fn drop(&mut self) {
        let shared = &*self.shared;
        shared.stopping.store(true, Relaxed);
        // Dropping the handle cancels the timer and waits for a running callback.
        self.timer = None;
        // The thread may still wait for a first tick if the module is unloaded at once.
        shared.fired.complete_all();
        self.thread = None;
        let (timer, thread) = shared.counts();
        let debug_locks = lockdep::debug_locks() as i32;
        pr_info!("stopped: the timer ran {timer} times, the thread took the lock {thread} times\n");
        if shared.fixed {
            if thread == ROUNDS && timer > 0 && debug_locks == 1 {
                pr_info!("End of test: SUCCESS: fixed, both contexts took stats_lock_irq, lockdep silent (debug_locks=1)\n");
            } else {
                pr_err!("End of test: FAILURE: fixed, timer={timer}, thread={thread}, debug_locks={debug_locks}\n");
            }
        } else if timer > 0 && thread > 0 {
            pr_info!("End of test: SUCCESS: stats_lock was taken in hard-interrupt context and with interrupts enabled (debug_locks={debug_locks})\n");
        } else {
            pr_err!("End of test: FAILURE: unloaded before both contexts took stats_lock (timer={timer}, thread={thread})\n");
        }
    }
}
