// SPDX-License-Identifier: GPL-2.0
//! lockdep reports (`kernel/locking/lockdep.c`): circular and recursive
//! locking, inconsistent lock state, irq lock inversion and safe -> unsafe
//! lock order, bad unlock balance, held lock freed, lock held when
//! returning to user space, and a task exiting with locks held.
//!
//! They share one layout: a banner, the header, the kernel identification,
//! then what the task is doing (`NAME/PID is trying to acquire lock:`,
//! `... takes:`, `... just changed the state of lock:`, ...) followed by
//! the lock it concerns (`print_lock()`), further locks announced by a
//! sentence (`but task is already holding lock:`, ...), the dependency
//! chain (`-> #N (class){usage}-{o:i}:` entries with their stacks),
//! lockdep's usage traces and shortest dependency paths (`-> (class){..}
//! {` blocks), the scenario table (`scenario.rs`), the held-lock list and
//! `stack backtrace:` with the task's stack. Each report prints a subset;
//! one reader takes them all, guided by what the last sentence announced
//! ([`Expect`]).

use std::sync::LazyLock;

use crate::re::Re;

use super::locks::LockLine;
use super::report::Common;
use super::scenario::ScenarioReader;
use super::trace::{push_bounded, Sink, Stacks};
use super::{cap, cap_num, is_banner, Take, MAX_CHAIN};
use crate::culprit::Evidence;
use crate::model::{ChainEntry, Finding, Kind, Lock};
use crate::symbols::{parse_frame, Frame};

// Task actions printed by lockdep ("%s/%d ...").
re!(
    RE_TASK_ACTION,
    r"^(?P<name>.+)/(?P<pid>[0-9]+)(?: \[HC[0-9]+\[[0-9]+\]:SC[0-9]+\[[0-9]+\]:HE[0-9]+:SE[0-9]+\])? (?P<what>is trying to acquire lock:|is trying to acquire:|takes:|just changed the state of lock:|is freeing memory \S+, with a lock still held there!|is leaving the kernel with locks still held!|is exiting with locks still held!|is trying to release lock \((?P<rel>.*)\) at:|is trying to contend lock \((?P<con>.*)\) at:|is trying to lock:)$"
);
// print_lock_name() alone: " (name){usage}-{o:i}".
re!(
    RE_CLASS_ONLY,
    r"^\((?P<class>.*)\)\{(?P<usage>[^}]*)\}(?:-\{[0-9]+:[0-9]+\})?$"
);
re!(
    RE_CHAIN_ENTRY,
    r"^-> #(?P<idx>[0-9]+) \((?P<class>.*)\)\{(?P<usage>[^}]*)\}(?:-\{[0-9]+:[0-9]+\})?:$"
);
re!(
    RE_DEP_ENTRY,
    r"^-> \((?P<class>.*)\)\{(?P<usage>[^}]*)\}(?:-\{[0-9]+:[0-9]+\})?(?: ops: [0-9]+)? \{$"
);
// print_held_locks_bug(): "WARNING: %s/%d still has locks held!".
re!(
    RE_HELD_EXIT_START,
    r"^(?:WARNING|BUG): (?P<name>.+)/(?P<pid>[0-9]+) still has locks held!"
);

/// What the next structured line is expected to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Expect {
    Nothing,
    /// The next lock line has this role.
    Lock(&'static str),
    /// The next bare class line has this role.
    Class(&'static str),
    /// The next frame line is where the released lock was released.
    ReleaseSite,
    /// The next line is "A --> B --> C".
    ChainExistsOf,
    /// The next line is the new dependency "(a){..} -> (b){..}"; ignored.
    NewDependency,
}

/// Lines that structure the middle part of a lockdep report (they end a
/// chain entry's stack, which has no markers).
pub(super) fn is_structure(t: &str) -> bool {
    t.starts_with("-> ")
        || t.starts_with("...")
        || t == "}"
        || t.ends_with(" at:")
        || t.starts_with("other info")
        || t.starts_with("stack backtrace")
        || t.starts_with("the ")
        || t.starts_with("and ")
        || t.contains("locks held by")
        || t.contains("lock held by")
        || t.starts_with("Chain exists of")
        || t.starts_with("Possible ")
        || is_banner(t)
}

/// State of a lockdep report.
pub(super) struct Lockdep {
    kind: Kind,
    expect: Expect,
    /// Chain entries and their stacks.
    chain: Vec<(ChainEntry, Vec<Frame>)>,
    scenario: ScenarioReader,
    /// Class of the dependency block being read (`-> (class){..} {`).
    dep_class: Option<String>,
    /// Function of the first lock's `at:` site (or of the release site),
    /// and of the first acquiring and held locks: culprit candidates.
    /// `Some(None)` is a lock whose site names no function.
    first_site: Option<Option<String>>,
    acquiring_site: Option<Option<String>>,
    held_site: Option<Option<String>>,
    /// `... which became X-irq-safe at:` was printed: the frames after it
    /// are collected (see [`Culprit::SafeToUnsafe`](crate::culprit::Culprit)).
    became_seen: bool,
    became: Vec<Frame>,
}

impl Stacks for Lockdep {
    fn push_frame(&mut self, sink: Sink, frame: Frame) {
        if let Sink::Chain(i) = sink {
            if let Some((_, frames)) = self.chain.get_mut(i) {
                push_bounded(frames, frame);
            }
        }
    }

    fn observe(&mut self, frame: &Frame) {
        if self.became_seen {
            push_bounded(&mut self.became, frame.clone());
        }
    }
}

impl Lockdep {
    pub(super) fn new(c: &mut Common, kind: Kind, header: &str) -> Self {
        if kind == Kind::HeldLockExit {
            if let Some(m) = RE_HELD_EXIT_START.captures(header) {
                c.add_task(cap(&m, "name").unwrap_or(""), cap_num(&m, "pid"));
            }
        }
        Lockdep {
            kind,
            expect: Expect::Nothing,
            chain: Vec::new(),
            scenario: ScenarioReader::default(),
            dep_class: None,
            first_site: None,
            acquiring_site: None,
            held_site: None,
            became_seen: false,
            became: Vec::new(),
        }
    }

    fn record_site(&mut self, role: &str, f: Option<String>) {
        if self.first_site.is_none() {
            self.first_site = Some(f.clone());
        }
        match role {
            "acquiring" if self.acquiring_site.is_none() => self.acquiring_site = Some(f),
            "held" if self.held_site.is_none() => self.held_site = Some(f),
            _ => {}
        }
    }

    /// The held-lock list has been read: it is the final part of a
    /// `held_lock_return` report, which prints no stack.
    fn list_done(&self, c: &mut Common) {
        if self.kind == Kind::HeldLockReturn {
            c.complete = true;
        }
    }

    /// Lines up to the end of the report's stack.
    pub(super) fn body(&mut self, c: &mut Common, text: &str, t: &str) -> Take {
        // Release site: print_ip_sym() right after "is trying to release lock".
        if self.expect == Expect::ReleaseSite {
            if let Some(f) = parse_frame(t) {
                self.expect = Expect::Nothing;
                if let Some(l) = c.locks.iter_mut().rev().find(|l| l.role == "releasing") {
                    l.at = Some(f.text.clone());
                }
                self.first_site = Some(f.func.clone());
                return Take::Used;
            }
        }
        if let Some(r) = c.feed_common(self, t) {
            return r;
        }
        if let Some(r) = self.feed_locks(c, t) {
            return r;
        }
        if let Some(r) = self.scenario.feed(c, &mut self.expect, text, t) {
            return r;
        }
        self.feed_structure(c, t)
    }

    /// Lines after the stack: only the common trailers.
    pub(super) fn after(&mut self, c: &mut Common, t: &str) -> Take {
        c.trailer(self, t).unwrap_or(Take::Close)
    }

    /// Lock lines and held-lock lists.
    fn feed_locks(&mut self, c: &mut Common, t: &str) -> Option<Take> {
        let role = match self.expect {
            Expect::Lock(role) => Some(role),
            _ => None,
        };
        if let Some(l) = c.feed_lock_line(t, role) {
            match l {
                LockLine::Held { site, list_done } => {
                    self.record_site("held", site);
                    if list_done {
                        self.list_done(c);
                    }
                }
                LockLine::Single { role, site } => {
                    self.expect = Expect::Nothing;
                    self.record_site(role, site);
                }
                LockLine::Unexpected => return Some(Take::Ignored),
            }
            return Some(Take::Used);
        }
        if c.feed_held_header(t, false)? {
            self.list_done(c);
        }
        Some(Take::Used)
    }

    /// The sentences and entries between the locks: what the task does,
    /// what the next lines are, the dependency chain and the usage traces.
    fn feed_structure(&mut self, c: &mut Common, t: &str) -> Take {
        if let Some(m) = t
            .contains('/')
            .then(|| RE_TASK_ACTION.captures(t))
            .flatten()
        {
            c.add_task(cap(&m, "name").unwrap_or(""), cap_num(&m, "pid"));
            let what = cap(&m, "what").unwrap_or("");
            self.expect = if let Some(class) = cap(&m, "rel").or(cap(&m, "con")) {
                c.add_lock(Lock {
                    class: class.to_string(),
                    instance: None,
                    at: None,
                    role: "releasing".to_string(),
                    usage: None,
                    holder: None,
                });
                Expect::ReleaseSite
            } else if what.starts_with("is freeing memory") {
                Expect::Lock("freed")
            } else if what.starts_with("is leaving the kernel") || what.starts_with("is exiting") {
                Expect::Nothing
            } else {
                Expect::Lock("acquiring")
            };
            return Take::Used;
        }
        if t == "but task is already holding lock:" || t == "and this task is already holding:" {
            self.expect = Expect::Lock("held");
            return Take::Used;
        }
        if t == "which would create a new lock dependency:" {
            self.expect = Expect::NewDependency;
            return Take::Used;
        }
        if self.expect == Expect::NewDependency {
            self.expect = Expect::Nothing;
            return Take::Used;
        }
        if t.starts_with("but this lock took another,")
            || t.starts_with("but this lock was taken by another,")
        {
            self.expect = Expect::Class("dependency");
            return Take::Used;
        }
        if t.starts_with("but this new dependency connects a ") {
            self.expect = Expect::Class("irq_safe");
            return Take::Used;
        }
        if t.starts_with("to a ") && t.ends_with("-irq-unsafe lock:") {
            self.expect = Expect::Class("irq_unsafe");
            return Take::Used;
        }
        if let Expect::Class(role) = self.expect {
            if let Some(m) = RE_CLASS_ONLY.captures(t) {
                self.expect = Expect::Nothing;
                c.add_lock(Lock {
                    class: cap(&m, "class").unwrap_or("").to_string(),
                    instance: None,
                    at: None,
                    role: role.to_string(),
                    usage: cap(&m, "usage").map(str::to_string),
                    holder: None,
                });
                return Take::Used;
            }
        }
        if let Some(r) = self.feed_chain(c, t) {
            return r;
        }
        if t.ends_with(" at:")
            && (t.starts_with('{')
                || t.starts_with("IN-")
                || t.starts_with("HARDIRQ")
                || t.starts_with("SOFTIRQ")
                || t.starts_with("INITIAL")
                || t.starts_with("... which became"))
        {
            // Usage traces: "{HARDIRQ-ON-W} state was registered at:",
            // "IN-HARDIRQ-W at:", "... which became HARDIRQ-irq-safe at:".
            self.became_seen |= t.starts_with("... which became");
            let what = t.trim_end_matches(':');
            let label = match &self.dep_class {
                Some(class) if !t.starts_with("...") && !t.starts_with('{') => {
                    format!("{class}: {what}")
                }
                _ => what.to_string(),
            };
            c.open_other_stack(label);
            return Take::Used;
        }
        if t == "..." && matches!(c.trace.sink, Sink::Other(_)) && !c.trace.has_frames {
            // print_bad_irq_dependency() prints "..." before the trace.
            return Take::Used;
        }
        if t == "}" || t.starts_with("... key") || t == "..." {
            if t == "}" {
                self.dep_class = None;
            }
            c.set_sink(Sink::None);
            return Take::Used;
        }
        if t.starts_with("inconsistent {") {
            c.note(t.to_string());
            return Take::Used;
        }
        if t == "other info that might help us debug this:"
            || t == "which lock already depends on the new lock."
            || t == "the existing dependency chain (in reverse order) is:"
            || t == "but there are no more locks to release!"
            || t == "and interrupts could create inverse lock ordering between them."
            || t.starts_with("the shortest dependencies between")
            || t.starts_with("the dependencies between")
            || t.starts_with(" and ")
            || t.starts_with("and the lock comparison function returns")
            || t.starts_with("Showing all locks held in the system")
            || is_banner(t)
        {
            c.set_sink(Sink::None);
            return Take::Used;
        }
        Take::Ignored
    }

    /// Entries of the dependency chain (`-> #N (class){..}:`), of a
    /// shortest dependency path (`-> (class){..} {`), and the `... acquired
    /// at:` stack of the latter.
    fn feed_chain(&mut self, c: &mut Common, t: &str) -> Option<Take> {
        if let Some(m) = t
            .starts_with("-> #")
            .then(|| RE_CHAIN_ENTRY.captures(t))
            .flatten()
        {
            if self.chain.len() < MAX_CHAIN {
                self.push_entry(cap_num(&m, "idx").unwrap_or(0), cap(&m, "class"));
                c.set_sink(Sink::Chain(self.chain.len() - 1));
            } else {
                c.set_sink(Sink::Discard);
            }
            return Some(Take::Used);
        }
        if let Some(m) = t
            .starts_with("-> (")
            .then(|| RE_DEP_ENTRY.captures(t))
            .flatten()
        {
            if self.chain.len() < MAX_CHAIN {
                self.push_entry(self.chain.len() as u32, cap(&m, "class"));
            }
            self.dep_class = cap(&m, "class").map(str::to_string);
            c.set_sink(Sink::Discard);
            return Some(Take::Used);
        }
        if t.starts_with("... acquired at:") {
            let sink = if self.chain.is_empty() {
                Sink::Discard
            } else {
                Sink::Chain(self.chain.len() - 1)
            };
            c.set_sink(sink);
            return Some(Take::Used);
        }
        None
    }

    fn push_entry(&mut self, index: u32, class: Option<&str>) {
        self.chain.push((
            ChainEntry {
                index,
                class: class.unwrap_or("").to_string(),
                frames: Vec::new(),
            },
            Vec::new(),
        ));
    }

    /// What the report offers to its culprit rule.
    pub(super) fn evidence<'a>(&'a self, c: &'a Common) -> Evidence<'a> {
        fn site(s: &Option<Option<String>>) -> Option<&str> {
            s.as_ref().and_then(|f| f.as_deref())
        }
        Evidence {
            first_site: site(&self.first_site),
            acquiring_site: site(&self.acquiring_site),
            held_site: site(&self.held_site),
            chain: self.chain.iter().map(|(_, f)| f.as_slice()).collect(),
            became: &self.became,
            ..c.evidence()
        }
    }

    pub(super) fn finish(self, f: &mut Finding) {
        f.chain = self
            .chain
            .into_iter()
            .map(|(mut e, frames)| {
                e.frames = frames.iter().map(Frame::display).collect();
                e
            })
            .collect();
        f.scenario = self.scenario.finish();
    }
}
