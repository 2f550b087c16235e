// SPDX-License-Identifier: GPL-2.0

//! A reader that takes a rw-semaphore for read again while a writer waits: `mmap_lock`'s classic.
//!
//! The reader's `page_fault()` takes `map_lock` for read and calls `find_vma()`, which takes it
//! for read again (the default, `fixed=0`). Between the two, the writer's `mmap()` asks for
//! `map_lock` for write: the reader waits until the writer sleeps in `down_write()`'s queue
//! (not spinning on the owner, which `RWSEM_SPIN_ON_OWNER` lets it do for a while), and only
//! then reads again. A rw-semaphore with a writer queued lets no new reader in, so the second
//! read queues behind the writer, which waits for the first read: both sleep in state `D` for
//! good. Lockdep reports the second read of a class the task holds as "possible recursive
//! locking" before the reader blocks; the hung-task detector reports both, the reader waiting
//! as a reader and the writer as a writer, each on `map_lock` owned by the reader. Unloading
//! releases the reader's first read on its behalf, once: the writer gets the semaphore, then the
//! reader, which pays the released read off with one of its guards.
//!
//! With `fixed=1` `find_vma_locked()` gets the reader's guard and takes nothing: the reader
//! keeps its first read while the writer waits, and releases it when done.

mod lab;

use kernel::prelude::*;
use kernel::sync::atomic::{Atomic, Relaxed};
use kernel::sync::Completion;
use kernel::time::delay::fsleep;
use kernel::time::Delta;
use lab::prelude::*;
use lab::rwsem::{ReadGuard, RwSemaphore};

lab_module! {
    Mm, "deadlock_rwsem", "A rw-semaphore taken for read twice while a writer waits, and its fix",
    params: {
        fixed: "0 = page_fault() holds map_lock for read and calls find_vma(), which reads it again after the writer queued; 1 = find_vma_locked() gets the held read instead (allowed 0..=1)",
    },
    broken: Expect::reports("broken: the reader takes map_lock for read again while the writer waits for it", "a read taken twice deadlocked with the writer and recovered", 2),
    fixed: Expect::silent("fixed: the reader keeps its first read of map_lock and does not take it again", "fixed, every round done"),
}

/// How long the reader waits for the writer to queue, at most, in steps of [`STEP`].
const QUEUE_STEPS: u32 = 5000;
/// One step of the reader's wait for the writer to queue.
const STEP: Delta = Delta::from_millis(1);

#[pin_data]
struct Mm {
    #[pin]
    map_lock: RwSemaphore,
    /// Signalled once the reader holds its first read, so that the writer comes second.
    #[pin]
    reading: Completion,
    mode: Mode,
    /// Set once the reader is about to read again: its first read is the one to release.
    rereads: Atomic<bool>,
    /// Set by the exit path: the reader waits for the writer no more.
    unloading: Atomic<bool>,
    /// Lookups made, and the writer's changes.
    lookups: Atomic<u64>,
    changes: Atomic<u64>,
    /// The writer never queued.
    errors: Atomic<u32>,
}

/// Waits until the writer sleeps in the semaphore's queue; `false` if it never did (or the module
/// is unloading, say after a load whose writer never started).
fn writer_queued(s: &Mm, me: &Thread<Mm>) -> bool {
    for _ in 0..QUEUE_STEPS {
        if s.unloading.load(Relaxed) {
            return false;
        }
        if s.map_lock.has_waiters() {
            pr_info!("{me}: the writer is queued on {}\n", s.map_lock.name());
            return true;
        }
        fsleep(STEP);
    }
    pr_err!("!!! the writer did not queue on map_lock\n");
    s.errors.fetch_add(1, Relaxed);
    false
}

/// The broken form: a helper that takes the lock for read again.
#[inline(never)]
fn find_vma(s: &Mm, me: &Thread<Mm>) {
    s.rereads.store(true, Relaxed);
    pr_info!("{me}: reading {} again\n", s.map_lock.name());
    pr_info!("{me}: waiting for {}\n", s.map_lock.name());
    let _again = s.map_lock.read();
    s.lookups.fetch_add(1, Relaxed);
}

/// The fixed form: the helper gets the read its caller holds.
#[inline(never)]
fn find_vma_locked(s: &Mm, _held: &ReadGuard<'_>) {
    s.lookups.fetch_add(1, Relaxed);
}

/// The reader: holds `map_lock` for read across the lookup.
#[inline(never)]
fn page_fault(s: &Mm, me: &Thread<Mm>) {
    let held = s.map_lock.read();
    pr_info!("{me}: holding {}\n", s.map_lock.name());
    s.reading.complete_all();
    if !writer_queued(s, me) {
        return;
    }
    match s.mode {
        Mode::Broken => find_vma(s, me),
        Mode::Fixed(_) => find_vma_locked(s, &held),
    }
}

/// The writer: takes `map_lock` for write once the reader holds it.
#[inline(never)]
fn mmap(s: &Mm, me: &Thread<Mm>) {
    s.reading.wait_for_completion();
    pr_info!("{me}: writing {}\n", s.map_lock.name());
    pr_info!("{me}: waiting for {}\n", s.map_lock.name());
    let _held = s.map_lock.write();
    s.changes.fetch_add(1, Relaxed);
}

impl Scenario for Mm {
    fn setup(mode: Mode) -> Result<impl PinInit<Self, Error>> {
        Ok(try_pin_init!(Self {
            map_lock <- new_rwsem!("map_lock"),
            reading <- Completion::new(),
            mode,
            rereads: Atomic::new(false),
            unloading: Atomic::new(false),
            lookups: Atomic::new(0),
            changes: Atomic::new(0),
            errors: Atomic::new(0),
        }))
    }

    fn threads(&self, threads: &mut Threads<'_, Self>) -> Result {
        threads.start(Thread::of(c"deadlock_reader", page_fault))?;
        threads.start(Thread::of(c"deadlock_writer", mmap))
    }

    /// The rw-semaphore's waits are not killable (the hung-task detector would skip them): the
    /// exit path releases the reader's first read on its behalf, which the wrapper lets happen
    /// once. The writer gets the semaphore, then the reader.
    fn unblock(&self, _mode: Mode) -> u32 {
        self.unloading.store(true, Relaxed);
        self.reading.complete_all();
        let asleep = self.map_lock.waiting();
        if self.rereads.load(Relaxed) && asleep > 0 {
            pr_info!("unloading: releasing the reader's first read of map_lock on its behalf\n");
            if !self.map_lock.release_read_for_reader() {
                pr_err!("!!! no read of map_lock was left to release\n");
                self.errors.fetch_add(1, Relaxed);
            }
        }
        asleep
    }

    fn errors(&self) -> u32 {
        self.errors.load(Relaxed)
    }

    fn report(&self) {
        pr_info!(
            "stopped: {} lookups, {} changes\n",
            self.lookups.load(Relaxed),
            self.changes.load(Relaxed)
        );
    }
}
