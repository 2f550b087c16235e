// SPDX-License-Identifier: GPL-2.0
//! Hung tasks (`check_hung_task()` in `kernel/hung_task.c`): `INFO: task
//! NAME:PID blocked for more than N seconds.`, the taint line, the hint
//! how to disable the message, `sched_show_task()` (`task:NAME state:D
//! ...` and the stack), then:
//!
//! - with `CONFIG_DETECT_HUNG_TASK_BLOCKER`, the blocker line `INFO: task
//!   NAME:PID blocked on a semaphore likely last held by task NAME:PID`
//!   (or a mutex or rw-semaphore, or "... but the owner is not found."),
//!   followed by the owner's `sched_show_task()` when the owner is not
//!   hung itself;
//! - after the last hung task of a round, `debug_show_all_locks()`:
//!   `Showing all locks held in the system:`, the held-lock lists and a
//!   banner, or `INFO: lockdep is turned off.` in their place. Either ends
//!   the round: nothing after it belongs to the report.
//!
//! The held-lock lists of that dump are attached to the last hung task of
//! the round, with their holders.

use std::sync::LazyLock;

use crate::re::Re;

use super::report::Common;
use super::trace::{Sink, Stacks};
use super::{cap, cap_num, is_banner, Take, MAX_FRAMES};
use crate::model::{BlockedOn, Finding, Task};
use crate::symbols::Frame;

re!(
    RE_HUNG_START,
    r"^INFO: task (?P<name>.+):(?P<pid>[0-9]+) blocked(?: in I/O wait)? for more than (?P<secs>[0-9]+) seconds"
);
re!(
    RE_HUNG_TAINT,
    r"^(?P<taint>Not tainted|Tainted: [A-Z ]+?) +(?P<rel>[0-9][^ ]*) #"
);
re!(
    RE_BLOCKER,
    r"^INFO: task (?P<name>.+?):(?P<pid>[0-9]+) (?:<(?P<as>reader|writer)> )?(?:is )?blocked on an? (?P<prim>semaphore|mutex|rw-semaphore)(?:,? but the (?:last holder|owner) is not found\.?| likely (?:last held by|owned by) task (?P<oname>.+):(?P<opid>[0-9]+)(?: <(?P<oas>reader|writer)>)?\.?)$"
);
re!(
    RE_SCHED_TASK,
    r"^task:(?P<name>.+?) +state:\S(?:.* pid:(?P<pid>[0-9]+))?"
);

// sched_show_task() before 5.8: "%-15.15s %c" (13 wide before 3.0), the
// saved PC " %016lx " until 4.12 (none after it, so the free stack size
// follows the state letter: "D23560"), then "%5lu %5d %6d 0x%08lx".
re!(
    RE_OLD_SCHED_TASK,
    r"^\S.* [A-Z] ?(?:[0-9a-f]{16} +|running task +)?[0-9]+ +[0-9]+ +[0-9]+ 0x[0-9a-f]{8}$"
);

/// `sched_show_task()` header: `task:NAME state:D ...`, or the older
/// `NAME  D ffff88003a1c0f00     0  6102   6101 0x00000000` form.
fn is_sched_task_line(t: &str) -> bool {
    if t.starts_with("task:") {
        RE_SCHED_TASK.is_match(t)
    } else {
        t.ends_with(|c: char| c.is_ascii_hexdigit()) && RE_OLD_SCHED_TASK.is_match(t)
    }
}

/// State of a hung-task report.
pub(super) struct Hung {
    /// How long the task has been blocked, in seconds.
    secs: Option<u64>,
    /// What the task is blocked on, once the blocker line was read.
    blocked_on: Option<BlockedOn>,
    /// The owner's `task:` line was read; its stack may follow.
    blocker_task_line: bool,
    /// Inside `Showing all locks held in the system:`.
    show_all: bool,
    /// The round of reports is over (the held-locks dump or
    /// `INFO: lockdep is turned off.` was printed); nothing else belongs.
    round_over: bool,
}

impl Stacks for Hung {
    fn push_frame(&mut self, sink: Sink, frame: Frame) {
        if let (Sink::Blocker, Some(b)) = (sink, self.blocked_on.as_mut()) {
            if b.frames.len() < MAX_FRAMES {
                b.frames.push(frame.display());
            }
        }
    }

    /// The owner's stack, after its blocker line.
    fn pending_stack(&self) -> Option<Sink> {
        self.blocked_on
            .as_ref()
            .is_some_and(|b| b.frames.is_empty())
            .then_some(Sink::Blocker)
    }
}

impl Hung {
    pub(super) fn new(c: &mut Common, header: &str) -> Self {
        let mut h = Hung {
            secs: None,
            blocked_on: None,
            blocker_task_line: false,
            show_all: false,
            round_over: false,
        };
        if let Some(m) = RE_HUNG_START.captures(header) {
            c.add_task(cap(&m, "name").unwrap_or(""), cap_num(&m, "pid"));
            h.secs = cap_num(&m, "secs");
        }
        h
    }

    pub(super) fn round_over(&self) -> bool {
        self.round_over
    }

    /// `INFO: lockdep is turned off.` after the report: debug_show_all_locks()
    /// printed it instead of the held-locks dump, so the round is over.
    pub(super) fn lockdep_said_off(&mut self) {
        self.round_over = true;
    }

    /// Lines up to the end of the hung task's stack.
    pub(super) fn body(&mut self, c: &mut Common, t: &str) -> Take {
        if let Some(r) = c.feed_common(self, t) {
            return r;
        }
        if let Some(r) = self.feed_locks(c, t) {
            return r;
        }
        let taint_line = t.starts_with("Not tainted") || t.starts_with("Tainted: ");
        if let Some(m) = taint_line.then(|| RE_HUNG_TAINT.captures(t)).flatten() {
            c.set_version(cap(&m, "rel"), cap(&m, "taint"));
            return Take::Used;
        }
        if t.starts_with("\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\"") {
            return Take::Used;
        }
        if t == "Blocked by coredump." {
            c.note("blocked by coredump".to_string());
            return Take::Used;
        }
        if is_sched_task_line(t) {
            c.expect_main_stack();
            return Take::Used;
        }
        self.tail(c, t).unwrap_or(Take::Ignored)
    }

    /// Lines after the hung task's stack: the blocker and its stack, the
    /// held-locks dump, the panic `hung_task_panic` asks for.
    pub(super) fn after(&mut self, c: &mut Common, t: &str) -> Take {
        if self.round_over && !c.panic_tail {
            return Take::Close;
        }
        if let Some(r) = c.trailer(self, t) {
            return r;
        }
        if c.trace.sink == Sink::Blocker || self.blocker_task_line {
            if let Some(r) = c.feed_trace(self, t) {
                if c.trace.sink == Sink::None {
                    self.blocker_task_line = false;
                }
                return r;
            }
        }
        if let Some(r) = self.tail(c, t) {
            return r;
        }
        if self.blocker_task_line && (t.starts_with("Workqueue:") || t.starts_with("Call Trace:")) {
            return Take::Used;
        }
        Take::Close
    }

    /// Lock lines and held-lock lists; the holders of the lists of the
    /// system-wide dump are not tasks of the report.
    fn feed_locks(&mut self, c: &mut Common, t: &str) -> Option<Take> {
        if let Some(l) = c.feed_lock_line(t, None) {
            return Some(l.take());
        }
        c.feed_held_header(t, self.show_all).map(|_| Take::Used)
    }

    /// Parts of a hung-task report that may follow its stack.
    fn tail(&mut self, c: &mut Common, t: &str) -> Option<Take> {
        let blocker_line = t.starts_with("INFO: task ") && t.contains("blocked on a");
        if let Some(m) = blocker_line.then(|| RE_BLOCKER.captures(t)).flatten() {
            let owner = cap(&m, "oname").map(|n| Task::new(n, cap_num(&m, "opid")));
            if let Some(o) = &owner {
                c.add_task(&o.name, o.pid);
            }
            if self.blocked_on.is_none() {
                self.blocked_on = Some(BlockedOn {
                    primitive: cap(&m, "prim").unwrap_or("").to_string(),
                    task: owner,
                    waiting_as: cap(&m, "as").map(str::to_string),
                    held_as: cap(&m, "oas").map(str::to_string),
                    frames: Vec::new(),
                });
            }
            c.set_sink(Sink::None);
            return Some(Take::Used);
        }
        if self.blocked_on.is_some() && is_sched_task_line(t) {
            self.blocker_task_line = true;
            return Some(Take::Used);
        }
        if t.starts_with("Showing all locks held in the system") {
            self.show_all = true;
            c.set_sink(Sink::None);
            return Some(Take::Used);
        }
        if self.show_all {
            if is_banner(t) {
                self.show_all = false;
                self.round_over = true;
                return Some(Take::Used);
            }
            if let Some(r) = self.feed_locks(c, t) {
                return Some(r);
            }
        }
        // debug_show_held_locks() of the hung task itself (before 4.x, in
        // place of the system-wide dump).
        if !self.show_all && c.trace.sink == Sink::None {
            if let Some(r @ Take::Used) = self.feed_locks(c, t) {
                return Some(r);
            }
        }
        if t.starts_with("Future hung task reports are suppressed") {
            c.note("further hung task reports suppressed".to_string());
            return Some(Take::Used);
        }
        None
    }

    pub(super) fn finish(self, f: &mut Finding) {
        f.timeout_secs = self.secs;
        f.blocked_on = self.blocked_on;
    }
}
