// SPDX-License-Identifier: GPL-2.0

//! A kernel thread that takes the same lock twice, and how to do without.
//!
//! `insert()` takes the table's lock, then calls `grow()`, a helper that takes the same lock
//! again (the default, `fixed=0`). The lock is a semaphore of count 1, which is not recursive:
//! the second `down()` waits for a unit that only the waiting thread itself could give back, so
//! it sleeps in state `D` forever. Lockdep sees the second acquisition of a class the task
//! already holds and reports "possible recursive locking detected" before the thread blocks;
//! the hung-task detector then finds it, blocked on a semaphore last held by itself. Unloading
//! adds a unit from outside, which lets the thread finish.
//!
//! With `fixed=1` the code is restructured: `insert()` takes the lock once and hands the guard
//! to `grow_locked()`, which needs the proof that the caller holds it and takes nothing. The
//! same mode also shows the legitimate case that looks like recursion to lockdep: a parent and
//! a child node whose locks share one lock class, taken one inside the other, with the inner one
//! annotated as a nested subclass. Lockdep stays silent for both.

mod kthread;
mod lockdep;
mod params;
mod semaphore;

use kernel::prelude::*;
use kernel::sync::atomic::{Atomic, Relaxed};
use kernel::sync::Arc;
use kthread::{KThread, ThreadContext};
use params::param_in_range;
use semaphore::{Semaphore, SemaphoreGuard};

module! {
    type: DeadlockRecursive,
    name: "deadlock_recursive",
    authors: ["deadlock-lab developers"],
    description: "A non-recursive lock taken twice by one thread, and its fix",
    license: "GPL",
    params: {
        fixed: i64 {
            default: 0,
            description: "0 = insert() calls a helper that takes the table lock again, which deadlocks; 1 = the helper gets the held guard instead, and a parent/child pair of one lock class is nested with a subclass (allowed 0..=1)",
        },
    },
}

/// Rounds of `insert()` and `move_entry()` with `fixed=1`.
const ROUNDS: u64 = 1000;

/// Lockdep subclass of the inner lock when two locks of one class nest (C's
/// `SINGLE_DEPTH_NESTING`).
const SINGLE_DEPTH_NESTING: u32 = 1;

/// A semaphore for one node; every node's lock is of the same lock class.
///
/// This is what a C `struct node` with a lock initialised in one place gives: one class for all
/// instances, so that lockdep learns one rule for all nodes.
fn node_lock(name: &'static CStr) -> impl PinInit<Semaphore> {
    Semaphore::new(1, name, kernel::sync::static_lock_class!())
}

#[pin_data]
struct Table {
    #[pin]
    lock: Semaphore,
    #[pin]
    parent: Semaphore,
    #[pin]
    child: Semaphore,
    fixed: bool,
    /// Changed only with `lock` held; an atomic only because the lock is not a Rust `Lock<T>`.
    entries: Atomic<u64>,
    /// Set once `grow()` is about to take the lock its caller holds.
    recursing: Atomic<bool>,
    /// Set if that second acquisition really had to wait.
    blocked: Atomic<bool>,
    rounds: Atomic<u64>,
    stopping: Atomic<bool>,
    errors: Atomic<i32>,
}

impl Table {
    fn new(fixed: bool) -> impl PinInit<Self> {
        pin_init!(Self {
            lock <- new_semaphore!(1, "table_lock"),
            parent <- node_lock(c"node_lock"),
            child <- node_lock(c"node_lock"),
            fixed,
            entries: Atomic::new(0),
            recursing: Atomic::new(false),
            blocked: Atomic::new(false),
            rounds: Atomic::new(0),
            stopping: Atomic::new(false),
            errors: Atomic::new(0),
        })
    }
}

/// The broken form: takes the table lock, then calls a helper that takes it again.
#[inline(never)]
fn insert(table: &Table) {
    let _held = table.lock.down();
    pr_info!("insert: holding table_lock, calling grow(), which takes table_lock again\n");
    table.recursing.store(true, Relaxed);
    grow(table);
    table.entries.fetch_add(1, Relaxed);
}

/// Takes the table lock, whoever calls it: fine on its own, a self-deadlock under `insert()`.
#[inline(never)]
fn grow(table: &Table) {
    let held = table.lock.down();
    if held.waited() {
        table.blocked.store(true, Relaxed);
        pr_info!("grow: got table_lock after the exit path added a unit\n");
    }
    table.entries.fetch_add(1, Relaxed);
}

/// The fixed form: takes the table lock once and lends the guard to the helper.
#[inline(never)]
fn insert_fixed(table: &Table) {
    let held = table.lock.down();
    grow_locked(table, &held);
    table.entries.fetch_add(1, Relaxed);
}

/// Grows the table; the caller proves with `held` that it holds the table lock.
#[inline(never)]
fn grow_locked(table: &Table, held: &SemaphoreGuard<'_>) {
    if !core::ptr::eq(held.semaphore(), &table.lock) {
        pr_err!("grow_locked: called with a guard of another lock\n");
        table.errors.fetch_add(1, Relaxed);
        return;
    }
    table.entries.fetch_add(1, Relaxed);
}

/// Two locks of one class, one inside the other: the inner one is a nested subclass.
#[inline(never)]
fn move_entry(table: &Table) {
    let _parent = table.parent.down();
    let _child = table.child.down_nested(SINGLE_DEPTH_NESTING);
    table.entries.fetch_add(1, Relaxed);
}

#[inline(never)]
fn worker(table: &Table, ctx: &ThreadContext) {
    if !table.fixed {
        insert(table);
        return;
    }
    let mut done = 0;
    while done < ROUNDS && !ctx.should_stop() {
        insert_fixed(table);
        move_entry(table);
        done += 1;
        table.rounds.store(done, Relaxed);
    }
    pr_info!("deadlock_rec: finished {done} rounds of insert and move_entry\n");
}

struct DeadlockRecursive {
    table: Arc<Table>,
    thread: Option<KThread>,
}

impl kernel::Module for DeadlockRecursive {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let fixed = param_in_range("fixed", module_parameters::fixed.value(), 0, 1)? == 1;
        let mode = if fixed {
            "fixed: the lock is taken once, the helper gets the guard; nested node locks use a subclass"
        } else {
            "broken: insert() holds table_lock and calls grow(), which takes it again"
        };
        pr_info!("loading: {mode} (fixed={})\n", fixed as i32);
        let mut this = DeadlockRecursive {
            table: Arc::pin_init(Table::new(fixed), GFP_KERNEL)?,
            thread: None,
        };
        let table = this.table.clone();
        let thread = KThread::spawn(c"deadlock_rec", move |ctx| worker(&table, ctx))?;
        pr_info!("started: deadlock_rec (pid {})\n", thread.pid());
        this.thread = Some(thread);
        Ok(this)
    }
}

impl Drop for DeadlockRecursive {
    fn drop(&mut self) {
        let table = &*self.table;
        table.stopping.store(true, Relaxed);
        if !table.fixed {
            // A semaphore has no owner, so the exit path may add the unit the thread waits for.
            pr_info!("unloading: up(table_lock) from the exit path to wake deadlock_rec\n");
            table.lock.up_unowned();
        }
        self.thread = None;
        let debug_locks = lockdep::debug_locks() as i32;
        let errors = table.errors.load(Relaxed);
        if table.fixed {
            let rounds = table.rounds.load(Relaxed);
            if rounds == ROUNDS && errors == 0 && debug_locks == 1 {
                pr_info!("End of test: SUCCESS: fixed, {rounds} rounds, lockdep silent (debug_locks=1)\n");
            } else {
                pr_err!("End of test: FAILURE: fixed, {rounds} rounds, {errors} error(s), debug_locks={debug_locks}\n");
            }
        } else if table.blocked.load(Relaxed) {
            pr_info!("recovered: deadlock_rec got its own lock back and exited\n");
            pr_info!("End of test: SUCCESS: recursive locking deadlocked and recovered (debug_locks={debug_locks})\n");
        } else {
            pr_err!("End of test: FAILURE: unloaded before the second down() blocked (recursing={}, debug_locks={debug_locks})\n", table.recursing.load(Relaxed) as i32);
        }
    }
}
