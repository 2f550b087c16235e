// SPDX-License-Identifier: GPL-2.0

//! A lock acquired and not released on an error path, and the fix.
//!
//! The leaker thread updates a store three times under `store_lock`; the last update fails
//! validation. In the broken form (the default, `fixed=0`) the error path returns without
//! releasing the lock, as a C function that returns `-EINVAL` before its `up()` does. A Rust guard
//! releases its lock on every return, so the leak has to be spelled out: the error path
//! `core::mem::forget`s the guard. The waiter thread then takes `store_lock` and sleeps in state
//! `D` for good. Lockdep sees nothing wrong while the leaker lives: holding a lock is not a bug.
//! The hung-task detector reports the waiter and names the leaker as the semaphore's last
//! holder, and its list of held locks shows where the leaker took it. When the module is
//! unloaded the leaker is stopped first and ends with the lock still held, and lockdep reports a
//! task exiting with locks held (from the check `KThread` runs as the thread's last act); then the
//! exit path adds a unit so the waiter can finish.
//!
//! With `fixed=1` the update returns its error with `?` and the guard releases the lock on that
//! path too: the waiter gets the lock at once and nothing is reported.

mod lab;

use kernel::prelude::*;
use kernel::sync::atomic::{Atomic, Relaxed};
use lab::prelude::*;
use lab::semaphore::Semaphore;

lab_module! {
    Store, "deadlock_leak", "A lock not released on an error path, and its fix",
    params: {
        fixed: "0 = the failing update returns with store_lock held (the guard is forgotten); 1 = it returns with ? and the guard releases the lock (allowed 0..=1)",
    },
    broken: Expect::reports("broken: the failing update returns with store_lock held", "leaked store_lock, the waiter hung until unload", 1),
    fixed: Expect::silent("fixed: the failing update returns with ?, the guard releases store_lock", "fixed, the failed update released store_lock"),
}

/// Updates the leaker makes; the last one fails validation.
const UPDATES: u64 = 3;

#[pin_data]
struct Store {
    #[pin]
    store_lock: Semaphore,
    mode: Mode,
    /// The number of the next update.
    next: Atomic<u64>,
    /// Changed only with `store_lock` held.
    values: Atomic<u64>,
    /// Set when an error path returned with the lock held.
    leaked: Atomic<bool>,
}

/// The check the last update fails.
fn validate(update: u64) -> Result {
    if update == UPDATES - 1 {
        return Err(EINVAL);
    }
    Ok(())
}

/// The broken form: the error path returns with the lock held.
#[inline(never)]
fn update_leaky(store: &Store, update: u64) -> Result {
    let held = store.store_lock.down();
    if let Err(e) = validate(update) {
        // What C's `return -EINVAL;` before `up(&store_lock)` does. Without the forget, the
        // guard would release the lock here like on any other return.
        core::mem::forget(held);
        store.leaked.store(true, Relaxed);
        return Err(e);
    }
    store.values.fetch_add(1, Relaxed);
    drop(held);
    Ok(())
}

/// The fixed form: the guard is dropped on every return, the `?` included.
#[inline(never)]
fn update(store: &Store, update: u64) -> Result {
    let _held = store.store_lock.down();
    validate(update)?;
    store.values.fetch_add(1, Relaxed);
    Ok(())
}

/// One update per round.
#[inline(never)]
fn leaker(store: &Store, me: &Thread<Store>) {
    let n = store.next.fetch_add(1, Relaxed);
    let (update, what): (fn(&Store, u64) -> Result, _) = store.mode.pick(
        (update_leaky, "returned with store_lock still held"),
        (update, "the guard released store_lock on the way out"),
    );
    let result = update(store, n);
    if let Err(e) = result {
        pr_info!("{me}: update {n} failed with {}; {what}\n", e.to_errno());
    }
}

/// Starts once the leaker made all its updates.
#[inline(never)]
fn waiter(store: &Store, me: &Thread<Store>) {
    let lock = &store.store_lock;
    pr_info!("{me}: taking {}\n", lock.name());
    let held = lock.down_then(|| {
        pr_info!(
            "{me}: {} is taken: sleeping in down() (state D)\n",
            lock.name()
        )
    });
    if held.waited() {
        pr_info!("{me}: got store_lock after the exit path added a unit\n");
    } else {
        pr_info!("{me}: got store_lock\n");
    }
    store.values.fetch_add(1, Relaxed);
}

impl Scenario for Store {
    fn setup(mode: Mode) -> Result<impl PinInit<Self, Error>> {
        Ok(try_pin_init!(Self {
            store_lock <- new_semaphore!(1, "store_lock"),
            mode,
            next: Atomic::new(0),
            values: Atomic::new(0),
            leaked: Atomic::new(false),
        }))
    }

    /// The leaker is stopped first at unload: with the leak, it ends holding store_lock, which
    /// lockdep reports from the thread's own exit check.
    fn threads(&self, threads: &mut Threads<'_, Self>) -> Result {
        threads.start(Thread {
            rounds: UPDATES,
            stopped_first: true,
            ..Thread::of(c"deadlock_leaker", leaker)
        })?;
        threads.start(Thread {
            later: true,
            ..Thread::of(c"deadlock_waiter", waiter)
        })
    }

    /// A semaphore has no owner, so the exit path may add the unit the waiter waits for.
    fn unblock(&self, _mode: Mode) -> u32 {
        if !self.leaked.load(Relaxed) {
            return 0;
        }
        pr_info!("unloading: deadlock_leaker exited holding store_lock; up(store_lock) from the exit path, to wake deadlock_waiter\n");
        let asleep = self.store_lock.sleepers();
        self.store_lock.up_unowned(1);
        asleep
    }

    fn report(&self) {
        let values = self.values.load(Relaxed);
        pr_info!(
            "stopped: {values} values stored, leaked={}\n",
            i32::from(self.leaked.load(Relaxed))
        );
    }
}
