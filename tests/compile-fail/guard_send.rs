// SPDX-License-Identifier: GPL-2.0

//! A semaphore's guard may not go to another task: dropping it tells lockdep that the current
//! task released the lock, and a release by a task that never took it makes lockdep report a
//! bad unlock and turn itself off. The guard is not `Send`, asserted directly (through a thread
//! spawn, the case would fail on a lifetime first and prove nothing). Its twin asserts that the
//! semaphore itself is `Send`.
//!
//! The messages below are the compiler's own notes, which no line of the case contains: that the
//! guard is not `Send` because of the raw pointer of its `NotThreadSafe` marker (an alias of
//! `PhantomData<*mut ()>`, which is why the notes name the pointer and not the alias).
//!
//! expect-error: E0277
//! expect-message: within `SemaphoreGuard<'static>`, the trait `Send` is not implemented for `*mut ()`
//! expect-message: required because it appears within the type `SemaphoreGuard<'static>`

mod lab;

use kernel::prelude::*;
#[expect(unused_imports, reason = "each variant uses one of the two")]
use lab::semaphore::{Semaphore, SemaphoreGuard};

module! {
    type: Case,
    name: "compile_fail_guard_send",
    authors: ["deadlock-lab developers"],
    description: "Compile-fail case: a semaphore guard sent to another task",
    license: "GPL",
}

fn assert_send<T: Send>() {}

struct Case;

impl kernel::Module for Case {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // lab:broken
        assert_send::<SemaphoreGuard<'static>>();
        // lab:fixed
        assert_send::<Semaphore>();
        // lab:end
        Ok(Case)
    }
}
