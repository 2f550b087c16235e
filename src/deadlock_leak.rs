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

mod kthread;
mod lockdep;
mod params;
mod semaphore;

use kernel::prelude::*;
use kernel::sync::atomic::{Atomic, Relaxed};
use kernel::sync::{Arc, Completion};
use kthread::KThread;
use params::param_in_range;
use semaphore::Semaphore;

module! {
    type: DeadlockLeak,
    name: "deadlock_leak",
    authors: ["deadlock-lab developers"],
    description: "A lock not released on an error path, and its fix",
    license: "GPL",
    params: {
        fixed: i64 {
            default: 0,
            description: "0 = the failing update returns with store_lock held (the guard is forgotten); 1 = it returns with ? and the guard releases the lock (allowed 0..=1)",
        },
    },
}

/// Updates the leaker makes; the last one fails validation.
const UPDATES: u64 = 3;

#[pin_data]
struct Store {
    #[pin]
    store_lock: Semaphore,
    /// Completed once the leaker made all its updates.
    #[pin]
    updated: Completion,
    fixed: bool,
    /// Changed only with `store_lock` held.
    values: Atomic<u64>,
    failures: Atomic<u64>,
    /// Set when an error path returned with the lock held.
    leaked: Atomic<bool>,
    /// Set when the waiter had to wait for the lock, and when it got it.
    waiter_blocked: Atomic<bool>,
    waiter_done: Atomic<bool>,
}

impl Store {
    fn new(fixed: bool) -> impl PinInit<Self> {
        pin_init!(Self {
            store_lock <- new_semaphore!(1, "store_lock"),
            updated <- Completion::new(),
            fixed,
            values: Atomic::new(0),
            failures: Atomic::new(0),
            leaked: Atomic::new(false),
            waiter_blocked: Atomic::new(false),
            waiter_done: Atomic::new(false),
        })
    }
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

#[inline(never)]
fn leaker(store: &Store) {
    for n in 0..UPDATES {
        let result = if store.fixed {
            update(store, n)
        } else {
            update_leaky(store, n)
        };
        if let Err(e) = result {
            store.failures.fetch_add(1, Relaxed);
            let what = if store.fixed {
                "the guard released store_lock on the way out"
            } else {
                "returned with store_lock still held"
            };
            let errno = e.to_errno();
            pr_info!("deadlock_leaker: update {n} failed with {errno}; {what}\n");
        }
    }
    store.updated.complete_all();
    // The thread now idles, alive, until the module is unloaded; then it exits.
}

#[inline(never)]
fn waiter(store: &Store) {
    store.updated.wait_for_completion();
    pr_info!("deadlock_waiter: taking store_lock\n");
    let held = store.store_lock.down();
    if held.waited() {
        store.waiter_blocked.store(true, Relaxed);
        pr_info!("deadlock_waiter: got store_lock after the exit path added a unit\n");
    } else {
        pr_info!("deadlock_waiter: got store_lock\n");
    }
    store.values.fetch_add(1, Relaxed);
    drop(held);
    store.waiter_done.store(true, Relaxed);
}

struct DeadlockLeak {
    store: Arc<Store>,
    leaker: Option<KThread>,
    waiter: Option<KThread>,
}

impl kernel::Module for DeadlockLeak {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let fixed = param_in_range("fixed", module_parameters::fixed.value(), 0, 1)? == 1;
        let mode = if fixed {
            "fixed: the failing update returns with ?, the guard releases store_lock"
        } else {
            "broken: the failing update returns with store_lock held"
        };
        pr_info!("loading: {mode} (fixed={})\n", fixed as i32);
        let mut this = DeadlockLeak {
            store: Arc::pin_init(Store::new(fixed), GFP_KERNEL)?,
            leaker: None,
            waiter: None,
        };
        let store = this.store.clone();
        let leaker = KThread::spawn(c"deadlock_leaker", move |_| leaker(&store))?;
        let store = this.store.clone();
        this.leaker = Some(leaker);
        let waiter = KThread::spawn(c"deadlock_waiter", move |_| waiter(&store))?;
        this.waiter = Some(waiter);
        let pid = |t: &Option<KThread>| t.as_ref().map_or(0, |t| t.pid());
        pr_info!(
            "started: deadlock_leaker (pid {}), deadlock_waiter (pid {})\n",
            pid(&this.leaker),
            pid(&this.waiter)
        );
        Ok(this)
    }
}

impl Drop for DeadlockLeak {
    fn drop(&mut self) {
        let store = &*self.store;
        // No waiting for updates that will not come if the module is unloaded early.
        store.updated.complete_all();
        // The leaker is stopped first; with the leak, it ends holding store_lock, which lockdep
        // reports from the thread's own exit check before `kthread_stop()` returns here.
        self.leaker = None;
        let leaked = store.leaked.load(Relaxed);
        if leaked {
            // A semaphore has no owner, so the exit path may add the unit the waiter waits for.
            pr_info!("unloading: deadlock_leaker exited holding store_lock; up(store_lock) from the exit path to wake deadlock_waiter\n");
            store.store_lock.up_unowned();
        }
        self.waiter = None;
        let debug_locks = lockdep::debug_locks() as i32;
        let values = store.values.load(Relaxed);
        let failures = store.failures.load(Relaxed);
        let blocked = store.waiter_blocked.load(Relaxed);
        let done = store.waiter_done.load(Relaxed);
        pr_info!(
            "stopped: {values} updates stored, {failures} failed, waiter blocked={}, done={}\n",
            blocked as i32,
            done as i32
        );
        if store.fixed {
            if failures == 1 && !leaked && done && debug_locks == 1 {
                pr_info!("End of test: SUCCESS: fixed, the failed update released store_lock, lockdep silent (debug_locks=1)\n");
            } else {
                pr_err!("End of test: FAILURE: fixed, failures={failures}, leaked={}, waiter done={}, debug_locks={debug_locks}\n", leaked as i32, done as i32);
            }
        } else if leaked && blocked && done {
            pr_info!("recovered: deadlock_waiter got store_lock and exited\n");
            pr_info!("End of test: SUCCESS: leaked store_lock, the waiter hung until unload (debug_locks={debug_locks})\n");
        } else {
            pr_err!("End of test: FAILURE: leaked={}, waiter blocked={}, done={} (debug_locks={debug_locks})\n", leaked as i32, blocked as i32, done as i32);
        }
    }
}
