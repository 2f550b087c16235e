// SPDX-License-Identifier: GPL-2.0
//! The stream of reports: [`Parser`] opens a report when a start line from
//! [`crate::table`] arrives, feeds it the following lines, and closes it.
//!
//! Finished findings are held back by one report so that a later
//! `INFO: lockdep is turned off.` can still be attached to them, then handed
//! to the sink. While a soft-lockup finding is held, up to [`MAX_HELD`]
//! findings are held so that the watchdog's repeated warnings for the same
//! CPU and task can be merged into it (see [`same_lockup`]). A panic that
//! is the consequence of a report, or that interrupts it, is absorbed into
//! that report rather than starting one of its own.

use std::collections::VecDeque;

use super::report::Builder;
use super::{is_banner, Take, MAX_HELD, MAX_NOTES, MAX_TASKS};
use crate::model::{Claim, Finding, Kind, Summary};
use crate::prefix::Message;
use crate::symbols::demangle_text;
use crate::table::{self, ReportDef};

/// Panic reasons that are the consequence of the report just printed
/// (syzkaller treats reports titled by them as corrupted, i.e. as the tail
/// of another report).
const CONSEQUENCE_PANICS: &[&str] = &[
    "Fatal exception",
    "hung_task: blocked tasks",
    "panic_on_warn set",
    "softlockup: hung tasks",
    "RCU Stall",
    "Hard LOCKUP",
    "hard LOCKUP",
];

/// Whether a report start line seen while `b` is open belongs to `b`
/// rather than starting a report of its own. An oops prints its own
/// headers ("Oops: ...", "invalid opcode: ...") after a BUG line; a panic
/// either interrupts a report still being printed (panic_on_warn) or is the
/// configured consequence of the report (hung_task_panic, panic after an
/// oops). syzkaller does not start a new report on these either.
fn absorbs(b: &Builder, hdr: &str) -> bool {
    if let Some(reason) = hdr.strip_prefix("Kernel panic - not syncing") {
        return !b.common.complete || CONSEQUENCE_PANICS.iter().any(|r| reason.contains(r));
    }
    let secondary = hdr.starts_with("Oops:") || hdr.starts_with("invalid opcode:");
    !b.common.complete && secondary && b.kind() == Kind::Other
}

/// Whether soft-lockup finding `f` repeats `prev`: the watchdog prints a
/// new warning every threshold period while a CPU stays stuck. Same CPU,
/// same task, and a stuck time that did not go down (a smaller one means
/// the CPU was released and got stuck again).
fn same_lockup(prev: &Finding, f: &Finding) -> bool {
    prev.kind == Kind::SoftLockup
        && f.kind == Kind::SoftLockup
        && prev.cpu.is_some()
        && prev.cpu == f.cpu
        && !prev.tasks.is_empty()
        && prev.tasks.first() == f.tasks.first()
        && f.timeout_secs >= prev.timeout_secs
}

/// Merges a repeated soft-lockup warning into the first one: the count,
/// the latest stuck time, a note with its lines, and what it adds to the
/// task list, the notes and the lockdep state.
fn merge_repeat(prev: &mut Finding, f: Finding) {
    prev.repeats = prev.repeats.saturating_add(f.repeats);
    prev.timeout_secs = f.timeout_secs.or(prev.timeout_secs);
    prev.lockdep_off |= f.lockdep_off;
    for t in f.tasks {
        if prev.tasks.len() < MAX_TASKS && !prev.tasks.contains(&t) {
            prev.tasks.push(t);
        }
    }
    let secs = f
        .timeout_secs
        .map(|s| format!(", stuck for {s}s"))
        .unwrap_or_default();
    let note = format!("repeated at lines {}-{}{secs}", f.start_line, f.end_line);
    // The repeat's own notes too: the panic that softlockup_panic asks
    // for may come with a later warning.
    for n in std::iter::once(note).chain(f.notes) {
        if prev.notes.len() < MAX_NOTES && !prev.notes.contains(&n) {
            prev.notes.push(n);
        }
    }
}

/// Streaming parser; see the module documentation.
pub struct Parser<F: FnMut(Finding)> {
    sink: F,
    current: Option<Builder>,
    /// Finished findings not yet handed to the sink, in log order.
    held: VecDeque<Finding>,
    summary: Summary,
    last_banner: Option<u64>,
}

impl<F: FnMut(Finding)> Parser<F> {
    pub fn new(sink: F) -> Self {
        Parser {
            sink,
            current: None,
            held: VecDeque::new(),
            summary: Summary::default(),
            last_banner: None,
        }
    }

    /// `true` while no report is open: the driver may then skip input that
    /// contains no trigger string.
    pub fn is_idle(&self) -> bool {
        self.current.is_none()
    }

    fn emit(&mut self, f: Finding) {
        if f.kind == Kind::SoftLockup {
            if let Some(prev) = self.held.iter_mut().rev().find(|p| same_lockup(p, &f)) {
                merge_repeat(prev, f);
                return;
            }
        }
        self.summary.findings += 1;
        self.held.push_back(f);
        self.release(false);
    }

    /// Hands held findings to the sink: all of them at the end of the
    /// input; otherwise all but the last one, or all but the last
    /// [`MAX_HELD`] while a soft lockup is among them.
    fn release(&mut self, all: bool) {
        loop {
            let keep = if all {
                0
            } else if self.held.iter().any(|f| f.kind == Kind::SoftLockup) {
                MAX_HELD
            } else {
                1
            };
            if self.held.len() <= keep {
                break;
            }
            if let Some(f) = self.held.pop_front() {
                (self.sink)(f);
            }
        }
    }

    /// The panic a finished report asked for (`softlockup_panic`,
    /// `hung_task_panic`, ...), printed when the report had already been
    /// closed: a note on that report rather than a finding of its own.
    fn panic_of_last(&mut self, hdr: &str) -> bool {
        let Some(reason) = hdr.strip_prefix("Kernel panic - not syncing") else {
            return false;
        };
        let Some(last) = self.held.back_mut() else {
            return false;
        };
        let caused = match last.kind {
            Kind::SoftLockup => reason.contains("softlockup: hung tasks"),
            Kind::HungTask => reason.contains("hung_task: blocked tasks"),
            Kind::Other => {
                reason.contains("Fatal exception")
                    || reason.contains("panic_on_warn set")
                    || reason.contains("RCU Stall") && last.header.contains("detected stall")
                    || reason.contains("LOCKUP") && last.header.contains("LOCKUP")
            }
            _ => reason.contains("panic_on_warn set"),
        };
        if caused && last.notes.len() < MAX_NOTES {
            let note = demangle_text(hdr).into_owned();
            if !last.notes.contains(&note) {
                last.notes.push(note);
            }
        }
        caused
    }

    fn close(&mut self, reason: Option<&str>, end_override: Option<u64>) {
        if let Some(mut b) = self.current.take() {
            if let Some(e) = end_override {
                b.common.end_line = e;
            }
            let f = b.finish(reason);
            self.emit(f);
        }
    }

    /// Feeds one message. `line` is its 1-based line number.
    pub fn feed(&mut self, line: u64, msg: &Message) {
        let text = msg.text;
        let t = text.trim_start();
        self.summary.lines = self.summary.lines.max(line);
        let lockdep_off = t.contains("INFO: lockdep is turned off");
        if lockdep_off {
            self.summary.lockdep_off = true;
            self.summary.lockdep_off_line.get_or_insert(line);
        }

        if let Some(b) = self.current.as_mut() {
            if let Some((def, hdr)) = table::match_start(t) {
                if absorbs(b, hdr) {
                    b.absorb(line, hdr);
                    return;
                } else {
                    // The banner line in front of the new header belongs to
                    // the new report.
                    let end = (self.last_banner == Some(line.wrapping_sub(1))
                        && b.common.end_line + 1 == line)
                        .then_some(b.common.end_before_last);
                    self.close(Some("another report started before this one ended"), end);
                    self.start(def, hdr, msg, line);
                    return;
                }
            }
            if lockdep_off {
                b.common.lockdep_off = true;
            }
            match b.feed(line, msg, t) {
                Take::Used | Take::Ignored => {
                    if is_banner(t) || t.contains("[ cut here ]") {
                        self.last_banner = Some(line);
                    }
                    return;
                }
                Take::Close => self.close(Some("report ended before its stack trace"), None),
            }
        }

        if is_banner(t) || t.contains("[ cut here ]") {
            self.last_banner = Some(line);
            return;
        }
        if let Some((def, hdr)) = table::match_start(t) {
            if !self.panic_of_last(hdr) {
                self.start(def, hdr, msg, line);
            }
            return;
        }
        if self.summary.claims.len() < Claim::MAX {
            if let Some(c) = Claim::of(t, line) {
                self.summary.claims.push(c);
                return;
            }
        }
        if lockdep_off {
            if let Some(p) = self.held.back_mut() {
                p.lockdep_off = true;
            }
        }
    }

    fn start(&mut self, def: &'static ReportDef, header: &str, msg: &Message, line: u64) {
        let start_line = match self.last_banner {
            Some(b) if b + 1 == line => b,
            _ => line,
        };
        self.current = Some(Builder::new(def, header, msg, line, start_line));
    }

    /// Ends the input: closes an open report and flushes the last finding.
    pub fn finish(mut self, lines: u64) -> Summary {
        self.summary.lines = self.summary.lines.max(lines);
        self.close(Some("input ended inside the report"), None);
        self.release(true);
        self.summary
    }
}
