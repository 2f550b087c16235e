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
//! With `fixed=1` the code is restructured: `insert_fixed()` takes the lock once and hands the
//! proof that it holds it to `grow_locked()`, which takes nothing. The same mode also shows the
//! legitimate case that looks like recursion to lockdep: a parent and a child node whose locks
//! share one lock class, taken one inside the other, with the inner one annotated as a nested
//! subclass. Lockdep stays silent for both.

mod lab;

use kernel::prelude::*;
use kernel::sync::atomic::{Atomic, Relaxed};
use lab::prelude::*;
use lab::semaphore::{Semaphore, SemaphoreGuard};

lab_module! {
    Table, "deadlock_recursive", "A non-recursive lock taken twice by one thread, and its fix",
    params: {
        fixed: "0 = insert() calls a helper that takes the table lock again, which deadlocks; 1 = the helper gets the held guard instead, and a parent/child pair of one lock class is nested with a subclass (allowed 0..=1)",
    },
    broken: Expect::reports("broken: insert() holds table_lock and calls grow(), which takes it again", "recursive locking deadlocked and recovered", 1),
    fixed: Expect::silent("fixed: the lock is taken once, the helper gets the guard; nested node locks use a subclass", "fixed, every round done"),
}

/// Rounds of `insert_fixed()` and `move_entry()` with `fixed=1`.
const ROUNDS: u64 = 1000;

/// Lockdep subclass of the inner lock when two locks of one class nest (C's
/// `SINGLE_DEPTH_NESTING`).
const SINGLE_DEPTH_NESTING: u32 = 1;

#[pin_data]
struct Table {
    #[pin]
    lock: Semaphore,
    /// Two nodes' locks, of one lock class, as a C `struct node` with its lock initialised in
    /// one place gives them: lockdep learns one rule for all nodes.
    #[pin]
    parent: Semaphore,
    #[pin]
    child: Semaphore,
    mode: Mode,
    /// Changed only with `lock` held; an atomic only because the lock is not a Rust `Lock<T>`.
    entries: Atomic<u64>,
}

/// A node's lock. Every call returns a lock of the same class, made in this one place.
fn node_lock() -> impl PinInit<Semaphore> {
    new_semaphore!(1, "node_lock")
}

/// Proof that its holder took `table_lock`; the lock is released when it is dropped.
struct TableLocked<'a> {
    _held: SemaphoreGuard<'a>,
}

/// The broken form: takes the table lock, then calls a helper that takes it again.
#[inline(never)]
fn insert(table: &Table, _me: &Thread<Table>) {
    let _held = table.lock.down();
    pr_info!("insert: holding table_lock, calling grow(), which takes table_lock again\n");
    grow(table);
    table.entries.fetch_add(1, Relaxed);
}

/// Takes the table lock, whoever calls it: fine on its own, a self-deadlock under `insert()`.
#[inline(never)]
fn grow(table: &Table) {
    let held = table.lock.down_then(|| {
        let name = table.lock.name();
        pr_info!("grow: {name} is taken, by this very thread: sleeping in down() (state D)\n");
    });
    if held.waited() {
        pr_info!("grow: got table_lock after the exit path added a unit\n");
    }
    table.entries.fetch_add(1, Relaxed);
}

/// The fixed form: takes the table lock once and lends the proof to the helper, then moves an
/// entry between two nodes.
#[inline(never)]
fn insert_fixed(table: &Table, _me: &Thread<Table>) {
    let held = TableLocked {
        _held: table.lock.down(),
    };
    grow_locked(table, &held);
    table.entries.fetch_add(1, Relaxed);
    drop(held);
    move_entry(table);
}

/// Grows the table; only a caller that holds the table lock can call it.
#[inline(never)]
fn grow_locked(table: &Table, _held: &TableLocked<'_>) {
    table.entries.fetch_add(1, Relaxed);
}

/// Two locks of one class, one inside the other: the inner one is a nested subclass.
#[inline(never)]
fn move_entry(table: &Table) {
    let _parent = table.parent.down();
    let _child = table.child.down_nested(SINGLE_DEPTH_NESTING);
    table.entries.fetch_add(1, Relaxed);
}

impl Scenario for Table {
    fn setup(mode: Mode) -> Result<impl PinInit<Self, Error>> {
        Ok(try_pin_init!(Self {
            lock <- new_semaphore!(1, "table_lock"),
            parent <- node_lock(),
            child <- node_lock(),
            mode,
            entries: Atomic::new(0),
        }))
    }

    fn threads(&self, threads: &mut Threads<'_, Self>) -> Result {
        threads.start(self.mode.pick(
            Thread::of(c"deadlock_rec", insert),
            Thread {
                rounds: ROUNDS,
                ..Thread::of(c"deadlock_rec", insert_fixed)
            },
        ))
    }

    /// A semaphore has no owner, so the exit path may add the unit the thread waits for.
    fn unblock(&self, mode: Mode) -> u32 {
        if mode != Mode::Broken {
            return 0;
        }
        let asleep = self.lock.sleepers();
        pr_info!("unloading: up(table_lock) from the exit path, to wake deadlock_rec\n");
        self.lock.up_unowned(1);
        asleep
    }
}
