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

mod lab;

use kernel::prelude::*;
use kernel::sync::{new_spinlock, Arc, ArcBorrow, Completion, SpinLock};
use kernel::time::hrtimer::{
    HrTimer, HrTimerCallback, HrTimerCallbackContext, HrTimerPointer, HrTimerRestart, RelativeMode,
};
use kernel::time::{Delta, Monotonic};
use lab::prelude::*;

// The fixed form's lock: the kernel crate's `SpinLockIrq` where it has one (7.3 on), else the
// lab's (`src/lab/irqsave.rs`, 7.2); `src/Kbuild` probes the kernel tree. `modinfo` says which
// (its `variant:` line).
#[cfg(kernel_spinlock_irq)]
use kernel::sync::{new_spinlock_irq, SpinLockIrq};
#[cfg(not(kernel_spinlock_irq))]
use lab::irqsave::{new_spinlock_irq, SpinLockIrq};

#[cfg(all(MODULE, kernel_spinlock_irq))]
#[link_section = ".modinfo"]
#[used]
static VARIANT: [u8; 48] = *b"variant=fixed=1 takes kernel::sync::SpinLockIrq\0";
#[cfg(all(MODULE, not(kernel_spinlock_irq)))]
#[link_section = ".modinfo"]
#[used]
static VARIANT: [u8; 92] =
    *b"variant=fixed=1 takes the lab's SpinLockIrq (spin_lock_irqsave), this kernel crate has none\0";

lab_module! {
    Irq, "deadlock_irq", "A spinlock shared with a hard-interrupt handler and taken with interrupts on, and its fix",
    params: {
        fixed: "0 = the thread takes the lock the hrtimer callback takes, with interrupts enabled (plain SpinLock); 1 = it disables interrupts while holding it (SpinLockIrq) (allowed 0..=1)",
    },
    broken: Expect::reports("broken: the thread takes stats_lock (SpinLock) with interrupts enabled, and an hrtimer callback takes it in hard-interrupt context", "stats_lock was taken in hard-interrupt context and with interrupts enabled, and lockdep reported it", 0),
    fixed: Expect::silent("fixed: the thread takes stats_lock_irq (SpinLockIrq) with interrupts disabled, and an hrtimer callback takes it in hard-interrupt context", "fixed, both contexts took stats_lock_irq, every round done"),
}

/// Rounds the thread takes the lock with `fixed=1`.
const ROUNDS: u64 = 20_000;

/// The timer's period with `fixed=1`, and its delay in both modes.
const PERIOD: Delta = Delta::from_millis(1);

/// What the lock protects: how often each side updated it, and the CPU the timer last ran on.
#[derive(Default)]
struct Counts {
    timer: u64,
    thread: u64,
    timer_cpu: u32,
}

impl Counts {
    /// One tick of the timer, in hard-interrupt context.
    fn tick(&mut self) {
        self.timer += 1;
        self.timer_cpu = kernel::cpu::CpuId::current().as_u32();
    }
}

#[pin_data]
struct Irq {
    #[pin]
    timer: HrTimer<Self>,
    /// The broken form's lock: leaves interrupts enabled while held.
    #[pin]
    stats_lock: SpinLock<Counts>,
    /// The fixed form's lock: disables interrupts on the local CPU while held.
    #[pin]
    stats_lock_irq: SpinLockIrq<Counts>,
    /// Completed once the timer callback has run.
    #[pin]
    fired: Completion,
    mode: Mode,
}

kernel::impl_has_hr_timer! {
    impl HasHrTimer<Self> for Irq {
        mode: RelativeMode<Monotonic>,
        field: self.timer
    }
}

impl HrTimerCallback for Irq {
    type Pointer<'a> = Arc<Self>;

    fn run(this: ArcBorrow<'_, Self>, mut ctx: HrTimerCallbackContext<'_, Self>) -> HrTimerRestart {
        timer_tick(&this);
        match this.mode {
            Mode::Broken => HrTimerRestart::NoRestart,
            Mode::Fixed(_) => {
                ctx.forward_now(PERIOD);
                HrTimerRestart::Restart
            }
        }
    }
}

/// The interrupt side, in hard-interrupt context: takes the lock like any interrupt handler.
#[inline(never)]
fn timer_tick(irq: &Irq) {
    match irq.mode {
        Mode::Broken => irq.stats_lock.lock().tick(),
        // Interrupts are off already; `lock()` only nests another disable.
        Mode::Fixed(_) => irq.stats_lock_irq.lock().tick(),
    }
    irq.fired.complete_all();
}

/// The process side: once the timer took the lock, takes it too.
#[inline(never)]
fn update(irq: &Irq, me: &Thread<Irq>) {
    irq.fired.wait_for_completion();
    match irq.mode {
        Mode::Broken => update_irqs_on(irq, me),
        Mode::Fixed(_) => update_irqs_off(irq),
    }
}

/// The broken process side: the timer may interrupt it while it holds the lock.
#[inline(never)]
fn update_irqs_on(irq: &Irq, me: &Thread<Irq>) {
    pr_info!("{me}: the timer took stats_lock in hard-interrupt context; now taking it with interrupts enabled\n");
    irq.stats_lock.lock().thread += 1;
}

/// The fixed process side: no interrupt can come in on this CPU while the lock is held.
#[inline(never)]
fn update_irqs_off(irq: &Irq) {
    irq.stats_lock_irq.lock().thread += 1;
}

impl Scenario for Irq {
    fn setup(mode: Mode) -> Result<impl PinInit<Self, Error>> {
        Ok(try_pin_init!(Self {
            timer <- HrTimer::new(),
            stats_lock <- new_spinlock!(Counts::default(), "stats_lock"),
            stats_lock_irq <- new_spinlock_irq!(Counts::default(), "stats_lock_irq"),
            fired <- Completion::new(),
            mode,
        }))
    }

    /// The timer; dropping its handle cancels it and waits for a running callback.
    fn start(this: &Arc<Self>) -> Result<Option<KBox<dyn Send + Sync>>> {
        Ok(Some(KBox::new(this.clone().start(PERIOD), GFP_KERNEL)?))
    }

    fn threads(&self, threads: &mut Threads<'_, Self>) -> Result {
        threads.start(Thread {
            rounds: self.mode.pick(1, ROUNDS),
            ..Thread::of(c"deadlock_irq", update)
        })
    }

    /// The timer is cancelled by now; a thread still waiting for its first tick goes.
    fn unblock(&self, _mode: Mode) -> u32 {
        self.fired.complete_all();
        0
    }

    fn report(&self) {
        let (timer, cpu, thread) = match self.mode {
            Mode::Broken => {
                let c = self.stats_lock.lock();
                (c.timer, c.timer_cpu, c.thread)
            }
            Mode::Fixed(_) => {
                let c = self.stats_lock_irq.lock();
                (c.timer, c.timer_cpu, c.thread)
            }
        };
        pr_info!("stopped: the timer ran {timer} times, on CPU {cpu}; the thread took the lock {thread} times\n");
    }
}
