// SPDX-License-Identifier: GPL-2.0
//! One finding under construction.
//!
//! A [`Builder`] is the report's [`Common`] part (what every report has:
//! its extent in the log, tasks, locks, notes, stacks, kernel release) and
//! the state of its [`Family`], which interprets the lines in between.
//! Every line is first filtered here (another context's output, size
//! bounds, blank lines); while the report is incomplete its family reads
//! it, and once the final part has been seen only trailers are taken (see
//! [`Common::trailer`]) until a line arrives that cannot belong to it.

use super::hung::Hung;
use super::lockdep::Lockdep;
use super::locks::HeldList;
use super::lockup::Lockup;
use super::other::{self, Other};
use super::preamble::is_register_line;
use super::trace::{Sink, Stacks, Trace};
use super::{is_banner, Take, MAX_FOREIGN_RUN, MAX_LOCKS, MAX_NOTES, MAX_REPORT_LINES};
use super::{MAX_OTHER_STACKS, MAX_TASKS, MAX_TRAILING_FOREIGN};
use crate::culprit::Evidence;
use crate::model::{Finding, Kind, Lock, Stack, Task};
use crate::prefix::Message;
use crate::symbols::{demangle_text, strip_suffixes, Frame};
use crate::table::ReportDef;

/// What every report has, whatever its family.
pub(super) struct Common {
    pub(super) def: &'static ReportDef,
    /// The start line, demangled.
    pub(super) header: String,
    /// The printk caller id of the start line, if the log has them.
    caller: Option<String>,
    /// Other callers whose lines belong to the report too (the CPUs a
    /// lockup report asked for an NMI backtrace).
    pub(super) callers_too: Vec<String>,
    pub(super) start_line: u64,
    pub(super) end_line: u64,
    /// `end_line` before the last line was taken.
    pub(super) end_before_last: u64,
    /// Lines seen since the start, taken or not.
    pub(super) lines: u32,
    /// Consecutive lines that did not belong to the report.
    foreign_run: u32,
    /// The report's final part has been seen.
    pub(super) complete: bool,
    /// The final part is the end of the main stack (for all reports but
    /// `held_lock_return`, which ends with its held-lock list).
    pub(super) ends_with_stack: bool,
    /// A panic was absorbed into this report: its trailer may follow.
    pub(super) panic_tail: bool,
    pub(super) lockdep_off: bool,
    pub(super) tasks: Vec<Task>,
    pub(super) locks: Vec<Lock>,
    pub(super) notes: Vec<String>,
    /// The interrupted instruction of the first register dump.
    pub(super) rip: Option<Frame>,
    pub(super) kernel_version: Option<String>,
    pub(super) taint: Option<String>,
    pub(super) trace: Trace,
    /// The held-locks list being read.
    pub(super) held: Option<HeldList>,
}

/// The state of a report's family, which reads the lines between the start
/// line and the final part.
enum Family {
    Lockdep(Lockdep),
    Hung(Hung),
    Lockup(Lockup),
    Other(Other),
}

/// A finding under construction: see the module documentation.
pub(super) struct Builder {
    pub(super) common: Common,
    family: Family,
}

/// Lines after which nothing can belong to the previous report any more
/// (a banner, a `[ cut here ]` line, a magic SysRq command).
fn is_report_boundary(t: &str) -> bool {
    is_banner(t) || t.contains("[ cut here ]") || t.starts_with("sysrq: ")
}

impl Common {
    pub(super) fn note(&mut self, s: String) {
        if self.notes.len() < MAX_NOTES && !self.notes.contains(&s) {
            self.notes.push(s);
        }
    }

    pub(super) fn add_task(&mut self, name: &str, pid: Option<u32>) {
        if name.is_empty() {
            return;
        }
        if let Some(t) = self
            .tasks
            .iter_mut()
            .find(|t| t.name == name && (t.pid == pid || t.pid.is_none() || pid.is_none()))
        {
            if t.pid.is_none() {
                t.pid = pid;
            }
            return;
        }
        if self.tasks.len() < MAX_TASKS {
            self.tasks.push(Task::new(name, pid));
        }
    }

    pub(super) fn add_lock(&mut self, lock: Lock) {
        if let Some(l) = self.locks.iter_mut().find(|l| {
            l.class == lock.class
                && l.instance == lock.instance
                && l.at == lock.at
                && l.role == lock.role
        }) {
            if l.holder.is_none() {
                l.holder = lock.holder;
            }
            return;
        }
        if self.locks.len() < MAX_LOCKS {
            self.locks.push(lock);
        }
    }

    /// Counts line `line` as part of the report.
    fn take(&mut self, line: u64) {
        self.lines += 1;
        self.foreign_run = 0;
        self.end_before_last = self.end_line;
        self.end_line = line;
    }

    /// Counts a line that does not belong to the report; too many in a row
    /// close it.
    fn ignored(&mut self) -> Take {
        self.foreign_run += 1;
        self.lines += 1;
        if self.foreign_run > MAX_FOREIGN_RUN {
            Take::Close
        } else {
            Take::Ignored
        }
    }

    /// What the report offers to its culprit rule: the `RIP:` frame and
    /// the main stack (lockdep reports add their lock sites and chain).
    pub(super) fn evidence(&self) -> Evidence<'_> {
        Evidence {
            header: &self.header,
            rip: self.rip.as_ref(),
            stack: &self.trace.main,
            ..Evidence::default()
        }
    }

    /// Lines any report may contain before its final part: stack traces,
    /// `stack backtrace:` (lockdep's announcement of the main stack) and
    /// the dump_stack() preamble.
    pub(super) fn feed_common(&mut self, fam: &mut impl Stacks, t: &str) -> Option<Take> {
        if let Some(r) = self.feed_trace(fam, t) {
            return Some(r);
        }
        if t == "stack backtrace:" {
            self.set_sink(Sink::Main);
            return Some(Take::Used);
        }
        self.feed_preamble(t)
    }

    /// Lines that may follow any complete report: the rest of a panic it
    /// absorbed (register dump, stack, trailer) and lockdep's closing
    /// remarks.
    pub(super) fn trailer(&mut self, fam: &mut impl Stacks, t: &str) -> Option<Take> {
        if self.panic_tail {
            if is_register_line(t) {
                // The register dump inside a panic's stack (the
                // interrupted context of the panicking CPU).
                return Some(Take::Used);
            }
            if let Some(r) = self.feed_trace(fam, t) {
                return Some(r);
            }
            if t.starts_with("CPU: ")
                || t.starts_with("Hardware name:")
                || t.starts_with("Tainted: [")
                || t.starts_with("Kernel Offset:")
                || t.starts_with("Rebooting in")
                || t.starts_with("---[ end Kernel panic")
                || t.starts_with("Shutting down cpus with NMI")
            {
                return Some(Take::Used);
            }
        }
        if t.starts_with("turning off the locking correctness validator")
            || t.starts_with("Disabling lock debugging due to kernel taint")
            || t.starts_with("Please attach the output of /proc/lock_stat")
        {
            return Some(Take::Used);
        }
        None
    }
}

impl Family {
    fn new(c: &mut Common, header: &str) -> Self {
        match c.def.kind {
            Kind::HungTask => Family::Hung(Hung::new(c, header)),
            Kind::SoftLockup => Family::Lockup(Lockup::new(c, header)),
            Kind::Other => Family::Other(Other::new(c, header)),
            kind => Family::Lockdep(Lockdep::new(c, kind, header)),
        }
    }
}

impl Builder {
    pub(super) fn new(
        def: &'static ReportDef,
        header: &str,
        msg: &Message,
        line: u64,
        start_line: u64,
    ) -> Self {
        let mut common = Common {
            def,
            header: demangle_text(header).into_owned(),
            caller: msg.caller.map(str::to_string),
            callers_too: Vec::new(),
            start_line,
            end_line: line,
            end_before_last: line,
            lines: 1,
            foreign_run: 0,
            complete: false,
            ends_with_stack: def.kind != Kind::HeldLockReturn,
            panic_tail: false,
            lockdep_off: false,
            tasks: Vec::new(),
            locks: Vec::new(),
            notes: Vec::new(),
            rip: None,
            kernel_version: None,
            taint: None,
            trace: Trace::new(),
            held: None,
        };
        let family = Family::new(&mut common, header);
        Builder { common, family }
    }

    pub(super) fn kind(&self) -> Kind {
        self.common.def.kind
    }

    /// Offers one line (`t` is the message with leading blanks removed).
    pub(super) fn feed(&mut self, line: u64, msg: &Message, t: &str) -> Take {
        let c = &mut self.common;
        if let (Some(mine), Some(theirs)) = (c.caller.as_deref(), msg.caller) {
            if mine != theirs && !c.callers_too.iter().any(|o| o == theirs) {
                return c.ignored();
            }
        }
        if c.lines >= MAX_REPORT_LINES {
            c.note(format!("report longer than {MAX_REPORT_LINES} lines; cut"));
            return Take::Close;
        }
        if t.is_empty() {
            // Blank lines carry nothing and never end a report.
            return Take::Ignored;
        }
        let r = if c.complete {
            match self.after(t) {
                Take::Close
                    if self.common.foreign_run < MAX_TRAILING_FOREIGN
                        && !self.round_over()
                        && !is_report_boundary(t) =>
                {
                    Take::Ignored
                }
                r => r,
            }
        } else {
            self.body(msg, t)
        };
        match r {
            Take::Used => {
                self.common.take(line);
                Take::Used
            }
            Take::Ignored => self.common.ignored(),
            Take::Close => Take::Close,
        }
    }

    /// Takes a line that would start a report but belongs to this one (an
    /// oops's own headers, a panic).
    pub(super) fn absorb(&mut self, line: u64, hdr: &str) {
        self.common.note(demangle_text(hdr).into_owned());
        if hdr.starts_with("Kernel panic") {
            self.common.panic_tail = true;
        }
        self.common.take(line);
    }

    /// Lines of a report that has not reached its final part yet.
    fn body(&mut self, msg: &Message, t: &str) -> Take {
        let c = &mut self.common;
        match &mut self.family {
            Family::Lockdep(l) => l.body(c, msg.text, t),
            Family::Hung(h) => h.body(c, t),
            Family::Lockup(s) => s.body(c, t),
            Family::Other(o) => other::body(c, o, t),
        }
    }

    /// Lines after the report's final part: only known trailers are taken.
    fn after(&mut self, t: &str) -> Take {
        let c = &mut self.common;
        if t.contains("INFO: lockdep is turned off") {
            c.lockdep_off = true;
            if let Family::Hung(h) = &mut self.family {
                h.lockdep_said_off();
            }
            return Take::Used;
        }
        match &mut self.family {
            Family::Lockdep(l) => l.after(c, t),
            Family::Hung(h) => h.after(c, t),
            Family::Lockup(s) => s.after(c, t),
            Family::Other(o) => other::after(c, o, t),
        }
    }

    /// Hung tasks: the round of reports is over, nothing else belongs.
    fn round_over(&self) -> bool {
        matches!(&self.family, Family::Hung(h) if h.round_over())
    }

    pub(super) fn finish(mut self, reason: Option<&str>) -> Finding {
        let c = &mut self.common;
        // A stack whose markers are still open was cut off: do not let
        // ending it mark the report complete.
        if !(c.trace.sink == Sink::Main && c.trace.marker_depth > 0) {
            c.end_trace();
        }
        let truncated = !c.complete;
        if truncated {
            if let Some(r) = reason {
                c.note(r.to_string());
            }
        }
        let culprit = match &self.family {
            Family::Lockdep(l) => c.def.culprit.choose(&l.evidence(c)),
            _ => c.def.culprit.choose(&c.evidence()),
        };
        let c = self.common;
        let mut other_stacks = c.trace.others;
        if let Some(rip) = &c.rip {
            // The interrupted instruction, for reports that print registers.
            if other_stacks.len() < MAX_OTHER_STACKS {
                other_stacks.insert(0, ("RIP".to_string(), vec![rip.clone()]));
            }
        }
        let title = match (c.def.title, &culprit) {
            (Some(fmt), Some(func)) => {
                let level = if c.header.starts_with("BUG") {
                    "BUG"
                } else {
                    "WARNING"
                };
                fmt.replace("{level}", level)
                    .replace("{}", strip_suffixes(func))
            }
            _ => c.header.clone(),
        };
        let mut f = Finding {
            kind: c.def.kind,
            title,
            header: c.header,
            culprit: culprit.map(|c| strip_suffixes(&c).to_string()),
            tasks: c.tasks,
            locks: c.locks,
            chain: Vec::new(),
            scenario: None,
            blocked_on: None,
            timeout_secs: None,
            cpu: None,
            frames: c.trace.main.iter().map(Frame::display).collect(),
            other_stacks: other_stacks
                .into_iter()
                .map(|(label, frames)| Stack {
                    label,
                    frames: frames.iter().map(Frame::display).collect(),
                })
                .collect(),
            kernel_version: c.kernel_version,
            taint: c.taint,
            start_line: c.start_line,
            end_line: c.end_line,
            truncated,
            lockdep_off: c.lockdep_off,
            repeats: 1,
            notes: c.notes,
        };
        // The parts only one family has: the chain and the scenario, what a
        // hung task waits on, the stuck CPU, the timeout.
        match self.family {
            Family::Lockdep(l) => l.finish(&mut f),
            Family::Hung(h) => h.finish(&mut f),
            Family::Lockup(s) => s.finish(&mut f),
            Family::Other(_) => {}
        }
        f
    }
}
