// SPDX-License-Identifier: GPL-2.0
//! The report state machine.
//!
//! [`Parser`] receives message texts one at a time (already stripped of
//! their capture prefix, see [`crate::prefix`]). Outside a report it only
//! looks for start lines from [`crate::table::TABLE`] and for the
//! `INFO: lockdep is turned off.` note. Inside a report, a [`Builder`]
//! interprets every line; the report is closed when its last part has been
//! seen and a line arrives that cannot belong to it, when another report
//! starts, when too many unrelated lines pass, or at the end of the input.
//!
//! Finished findings are held back by one report so that a later
//! `INFO: lockdep is turned off.` can still be attached to them, then handed
//! to the sink. While a soft-lockup finding is held, up to [`MAX_HELD`]
//! findings are held so that the watchdog's repeated warnings for the same
//! CPU and task can be merged into it (see [`same_lockup`]). Everything a
//! builder stores is bounded.

use std::collections::VecDeque;
use std::sync::LazyLock;

use regex::{Captures, Regex};

use crate::culprit::Evidence;
use crate::model::{BlockedOn, ChainEntry, Finding, Kind, Lock, Scenario, Stack, Summary, Task};
use crate::prefix::Message;
use crate::symbols::{demangle_text, parse_frame, parse_symbol_ref, strip_suffixes, Frame};
use crate::table::{self, ReportDef};

/// Most frames kept per stack.
pub const MAX_FRAMES: usize = 128;
/// Most chain entries kept per finding.
pub const MAX_CHAIN: usize = 64;
/// Most locks kept per finding.
pub const MAX_LOCKS: usize = 128;
/// Most tasks kept per finding.
pub const MAX_TASKS: usize = 64;
/// Most secondary stacks kept per finding.
pub const MAX_OTHER_STACKS: usize = 16;
/// Most scenario rows kept.
pub const MAX_ROWS: usize = 32;
/// Most notes kept per finding.
pub const MAX_NOTES: usize = 16;
/// Most lines one report may span before it is closed.
pub const MAX_REPORT_LINES: u32 = 20_000;
/// Consecutive lines that do not fit a report before it is closed.
pub const MAX_FOREIGN_RUN: u32 = 64;
/// Consecutive unrelated lines tolerated after a report's final part
/// before it is closed (trailers such as a hung task's blocker line may be
/// separated from the report by output from elsewhere).
pub const MAX_TRAILING_FOREIGN: u32 = 8;
/// Most findings held back while a soft lockup may still be repeated.
pub const MAX_HELD: usize = 16;
/// Lines an `other` report may run without a stack trace before it is
/// considered complete.
const OTHER_NO_TRACE_LINES: u32 = 60;

macro_rules! re {
    ($name:ident, $pat:expr) => {
        static $name: LazyLock<Regex> = LazyLock::new(|| Regex::new($pat).unwrap());
    };
}

// Task actions printed by lockdep ("%s/%d ...").
re!(
    RE_TASK_ACTION,
    r"^(?P<name>.+)/(?P<pid>[0-9]+)(?: \[HC[0-9]+\[[0-9]+\]:SC[0-9]+\[[0-9]+\]:HE[0-9]+:SE[0-9]+\])? (?P<what>is trying to acquire lock:|is trying to acquire:|takes:|just changed the state of lock:|is freeing memory \S+, with a lock still held there!|is leaving the kernel with locks still held!|is trying to release lock \((?P<rel>.*)\) at:|is trying to contend lock \((?P<con>.*)\) at:|is trying to lock:)$"
);
// print_lock(): "%px (name){usage}-{o:i}, at: %pS"; held-list items add " #N: ".
re!(
    RE_LOCK,
    r"^(?:#(?P<idx>[0-9]+): )?(?P<inst>[0-9a-f]{8,16}|\(_*ptrval_*\)) \((?P<class>.*)\)\{(?P<usage>[^}]*)\}(?:-\{[0-9]+:[0-9]+\})?, at: (?P<at>.*)$"
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
re!(
    RE_HELD_HDR,
    r"^(?:locks held by (?P<name>.+)/(?P<pid>[0-9]+): (?P<n>[0-9]+), (?:on|last) CPU#[0-9]+:?|(?P<n2>[0-9]+) locks? held by (?P<name2>.+)/(?P<pid2>[0-9]+):|no locks held by (?P<name3>.+)/(?P<pid3>[0-9]+)\.)$"
);
re!(
    RE_CPU,
    r"^CPU: [0-9]+ (?:UID: [0-9]+ )?PID: (?P<pid>[0-9]+) Comm: (?P<comm>.{1,20}?) (?:Kdump: loaded )?(?P<taint>Not tainted|Tainted: [A-Z ]+?) +(?P<rel>[0-9][^ ]*) #"
);
re!(
    RE_IDENT,
    r"^(?P<rel>[0-9][^ ]*) #[^ ]+ (?P<taint>Not tainted|Tainted: [A-Z ]*)$"
);
re!(
    RE_HUNG_TAINT,
    r"^(?P<taint>Not tainted|Tainted: [A-Z ]+?) +(?P<rel>[0-9][^ ]*) #"
);
re!(
    RE_HUNG_START,
    r"^INFO: task (?P<name>.+):(?P<pid>[0-9]+) blocked(?: in I/O wait)? for more than (?P<secs>[0-9]+) seconds"
);
re!(
    RE_BLOCKER,
    r"^INFO: task (?P<name>.+?):(?P<pid>[0-9]+) (?:<(?P<as>reader|writer)> )?(?:is )?blocked on an? (?P<prim>semaphore|mutex|rw-semaphore)(?:,? but the (?:last holder|owner) is not found\.?| likely (?:last held by|owned by) task (?P<oname>.+):(?P<opid>[0-9]+)(?: <(?P<oas>reader|writer)>)?\.?)$"
);
re!(
    RE_SCHED_TASK,
    r"^task:(?P<name>.+?) +state:\S(?:.* pid:(?P<pid>[0-9]+))?"
);
re!(
    RE_SOFTLOCKUP,
    r"stuck for [0-9]+s! \[(?P<name>.+):(?P<pid>[0-9]+)\]$"
);
// watchdog_timer_fn(): "BUG: soft lockup - CPU#%d stuck for %us! [%s:%d]".
re!(
    RE_SOFTLOCKUP_START,
    r"CPU#(?P<cpu>[0-9]+) stuck for (?P<secs>[0-9]+)s!(?: \[(?P<name>.+):(?P<pid>[0-9]+)\])?$"
);
// print_held_locks_bug(): "WARNING: %s/%d still has locks held!".
re!(
    RE_HELD_EXIT_START,
    r"^(?:WARNING|BUG): (?P<name>.+)/(?P<pid>[0-9]+) still has locks held!"
);
// nmi_cpu_backtrace(): "NMI backtrace for cpu %d[ skipped: idling at %pS]".
re!(
    RE_NMI_BT,
    r"^NMI backtrace for cpu (?P<cpu>[0-9]+)(?P<skipped> skipped: idling at .*)?$"
);
re!(RE_WARN_TASK, r"CPU#[0-9]+: (?P<name>.+)/(?P<pid>[0-9]+)$");
re!(
    RE_REGS,
    r"^(?:R[A-Z0-9]{1,2}|[A-Z]S|CR[0-9]|DR[0-9]|EFLAGS|PKRU|Code|ORIG_RAX|FS|GS|ES|CS|ss|RIP|RSP|RAX|RBX|RCX|RDX|RSI|RDI|RBP|R8|R9|R10|R11|R12|R13|R14|R15|pc|lr|sp|x[0-9]+)(?::| :| =)"
);

fn cap<'t>(c: &Captures<'t>, name: &str) -> Option<&'t str> {
    c.name(name).map(|m| m.as_str())
}

fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Where frame lines currently go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sink {
    /// Frame lines are not expected; they are treated as unrelated.
    None,
    /// The report's main stack.
    Main,
    /// Stack of chain entry `n` (index into `Builder::chain`).
    Chain(usize),
    /// Stack of the task a hung task waits for.
    Blocker,
    /// Secondary stack `n` (index into `Builder::other_stacks`).
    Other(usize),
    /// A stack that is not kept (a panic's stack, stacks beyond the bounds).
    Discard,
}

/// What the next structured line is expected to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
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

/// Result of offering a line to a builder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Take {
    /// The line belongs to the report.
    Used,
    /// The line does not belong to the report but does not end it.
    Ignored,
    /// The report is over; the line must be handled by the caller.
    Close,
}

struct HeldList {
    holder: Task,
    remaining: u32,
}

/// A finding under construction.
struct Builder {
    def: &'static ReportDef,
    kind: Kind,
    header: String,
    caller: Option<String>,
    start_line: u64,
    end_line: u64,
    end_before_last: u64,
    lines: u32,
    foreign_run: u32,
    complete: bool,

    tasks: Vec<Task>,
    locks: Vec<Lock>,
    chain: Vec<(ChainEntry, Vec<Frame>)>,
    scenario: Option<Scenario>,
    scenario_done: bool,
    blocked_on: Option<BlockedOn>,
    timeout_secs: Option<u64>,
    main_frames: Vec<Frame>,
    other_stacks: Vec<(String, Vec<Frame>)>,
    /// Class of the dependency block being read (`-> (class){..} {`).
    dep_class: Option<String>,
    rip: Option<Frame>,
    kernel_version: Option<String>,
    taint: Option<String>,
    lockdep_off: bool,
    notes: Vec<String>,

    /// Function of the first lock's `at:` site, and of the acquiring and
    /// held locks (culprit candidates).
    first_site: Option<Option<String>>,
    acquiring_site: Option<Option<String>>,
    held_site: Option<Option<String>>,

    sink: Sink,
    /// Open `<IRQ>`/`<TASK>`/... markers of the trace being read.
    marker_depth: u32,
    /// Frames were read into the current sink.
    sink_has_frames: bool,
    main_done: bool,
    expect: Expect,
    held: Option<HeldList>,
    /// Inside "Showing all locks held in the system:".
    show_all: bool,
    /// A hung task's blocker has been named; its stack may follow.
    blocker_named: bool,
    blocker_task_line: bool,
    /// A panic was absorbed into this report: its trailer may follow.
    panic_tail: bool,
    /// Soft lockups: the stuck CPU.
    cpu: Option<u32>,
    /// Soft lockups: secondary stack of the NMI backtrace being read,
    /// until its `Call Trace:` line.
    nmi_stack: Option<usize>,
    /// Hung tasks: the round of reports is over (the held-locks dump or
    /// `INFO: lockdep is turned off.` was printed); nothing else belongs.
    round_over: bool,
}

impl Builder {
    fn new(
        def: &'static ReportDef,
        header: &str,
        msg: &Message,
        line: u64,
        start_line: u64,
    ) -> Self {
        let mut b = Builder {
            def,
            kind: def.kind,
            header: demangle_text(header).into_owned(),
            caller: msg.caller.map(str::to_string),
            start_line,
            end_line: line,
            end_before_last: line,
            lines: 1,
            foreign_run: 0,
            complete: false,
            tasks: Vec::new(),
            locks: Vec::new(),
            chain: Vec::new(),
            scenario: None,
            scenario_done: false,
            blocked_on: None,
            timeout_secs: None,
            main_frames: Vec::new(),
            other_stacks: Vec::new(),
            dep_class: None,
            rip: None,
            kernel_version: None,
            taint: None,
            lockdep_off: false,
            notes: Vec::new(),
            first_site: None,
            acquiring_site: None,
            held_site: None,
            sink: Sink::None,
            marker_depth: 0,
            sink_has_frames: false,
            main_done: false,
            expect: Expect::Nothing,
            held: None,
            show_all: false,
            blocker_named: false,
            blocker_task_line: false,
            panic_tail: false,
            cpu: None,
            nmi_stack: None,
            round_over: false,
        };
        b.parse_start(header);
        b
    }

    fn parse_start(&mut self, header: &str) {
        match self.kind {
            Kind::HungTask => {
                if let Some(c) = RE_HUNG_START.captures(header) {
                    let pid = cap(&c, "pid").and_then(|p| p.parse().ok());
                    self.add_task(cap(&c, "name").unwrap_or(""), pid);
                    self.timeout_secs = cap(&c, "secs").and_then(|s| s.parse().ok());
                }
            }
            Kind::SoftLockup => {
                if let Some(c) = RE_SOFTLOCKUP_START.captures(header) {
                    self.cpu = cap(&c, "cpu").and_then(|p| p.parse().ok());
                    self.timeout_secs = cap(&c, "secs").and_then(|s| s.parse().ok());
                    let pid = cap(&c, "pid").and_then(|p| p.parse().ok());
                    self.add_task(cap(&c, "name").unwrap_or(""), pid);
                }
            }
            Kind::HeldLockExit => {
                if let Some(c) = RE_HELD_EXIT_START.captures(header) {
                    let pid = cap(&c, "pid").and_then(|p| p.parse().ok());
                    self.add_task(cap(&c, "name").unwrap_or(""), pid);
                }
            }
            Kind::Other => {
                if let Some(c) = RE_SOFTLOCKUP
                    .captures(header)
                    .or_else(|| RE_WARN_TASK.captures(header))
                {
                    let pid = cap(&c, "pid").and_then(|p| p.parse().ok());
                    self.add_task(cap(&c, "name").unwrap_or(""), pid);
                }
            }
            _ => {}
        }
    }

    fn note(&mut self, s: String) {
        if self.notes.len() < MAX_NOTES && !self.notes.contains(&s) {
            self.notes.push(s);
        }
    }

    fn add_task(&mut self, name: &str, pid: Option<u32>) {
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

    fn add_lock(&mut self, lock: Lock) {
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

    fn push_frame(&mut self, f: Frame) {
        match self.sink {
            Sink::Main => {
                if self.main_frames.len() < MAX_FRAMES {
                    self.main_frames.push(f);
                }
            }
            Sink::Chain(i) => {
                if let Some((_, frames)) = self.chain.get_mut(i) {
                    if frames.len() < MAX_FRAMES {
                        frames.push(f);
                    }
                }
            }
            Sink::Blocker => {
                if let Some(b) = self.blocked_on.as_mut() {
                    if b.frames.len() < MAX_FRAMES {
                        b.frames.push(f.display());
                    }
                }
            }
            Sink::Other(i) => {
                if let Some((_, frames)) = self.other_stacks.get_mut(i) {
                    if frames.len() < MAX_FRAMES {
                        frames.push(f);
                    }
                }
            }
            Sink::Discard | Sink::None => {}
        }
        self.sink_has_frames = true;
    }

    /// Starts a secondary stack; further stacks beyond the bound are read
    /// and dropped.
    fn open_other_stack(&mut self, label: String) {
        if self.other_stacks.len() < MAX_OTHER_STACKS {
            self.other_stacks.push((label, Vec::new()));
            self.set_sink(Sink::Other(self.other_stacks.len() - 1));
        } else {
            self.set_sink(Sink::Discard);
        }
    }

    fn set_sink(&mut self, sink: Sink) {
        self.end_trace();
        self.sink = sink;
        self.marker_depth = 0;
        self.sink_has_frames = false;
    }

    /// Ends the trace being read, if any.
    fn end_trace(&mut self) {
        if self.sink == Sink::Main && self.sink_has_frames {
            self.main_done = true;
            if matches!(self.kind, Kind::HungTask | Kind::SoftLockup | Kind::Other)
                || self.kind.is_lockdep() && self.kind != Kind::HeldLockReturn
            {
                self.complete = true;
            }
        }
        self.sink = Sink::None;
    }

    fn set_version(&mut self, rel: Option<&str>, taint: Option<&str>) {
        if self.kernel_version.is_none() {
            self.kernel_version = rel.map(str::to_string);
        }
        if self.taint.is_none() {
            self.taint = taint.map(collapse_ws);
        }
    }

    /// Builds a lock from a lock-line match; also returns the demangled
    /// function of its `at:` site.
    fn lock_from(c: &Captures, role: &str, holder: Option<Task>) -> (Lock, Option<String>) {
        let parsed = cap(c, "at").map(|a| match parse_symbol_ref(a) {
            Some((text, func)) => (text, func),
            None => (demangle_text(a.trim()).into_owned(), None),
        });
        let (at, func) = match parsed {
            Some((t, f)) => (Some(t), f),
            None => (None, None),
        };
        let lock = Lock {
            class: cap(c, "class").unwrap_or("").to_string(),
            instance: cap(c, "inst").map(str::to_string),
            at,
            role: role.to_string(),
            usage: cap(c, "usage").map(str::to_string),
            holder,
        };
        (lock, func)
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

    /// Offers one line (`t` is the message with leading blanks removed).
    fn feed(&mut self, line: u64, msg: &Message, t: &str) -> Take {
        if let (Some(mine), Some(theirs)) = (self.caller.as_deref(), msg.caller) {
            if mine != theirs {
                return self.ignored();
            }
        }
        if self.lines >= MAX_REPORT_LINES {
            self.note(format!("report longer than {MAX_REPORT_LINES} lines; cut"));
            return Take::Close;
        }
        if t.is_empty() {
            // Blank lines carry nothing and never end a report.
            return Take::Ignored;
        }
        let r = if self.complete {
            match self.feed_after(t) {
                Take::Close
                    if self.foreign_run < MAX_TRAILING_FOREIGN
                        && !self.round_over
                        && !is_report_boundary(t) =>
                {
                    Take::Ignored
                }
                r => r,
            }
        } else {
            self.feed_body(msg, t)
        };
        match r {
            Take::Used => {
                self.lines += 1;
                self.foreign_run = 0;
                self.end_before_last = self.end_line;
                self.end_line = line;
                Take::Used
            }
            Take::Ignored => self.ignored(),
            Take::Close => Take::Close,
        }
    }

    /// Takes a line that would start a report but belongs to this one
    /// (see [`absorbs`]).
    fn absorb(&mut self, line: u64, hdr: &str) {
        self.note(demangle_text(hdr).into_owned());
        if hdr.starts_with("Kernel panic") {
            self.panic_tail = true;
        }
        self.lines += 1;
        self.foreign_run = 0;
        self.end_before_last = self.end_line;
        self.end_line = line;
    }

    fn ignored(&mut self) -> Take {
        self.foreign_run += 1;
        self.lines += 1;
        if self.foreign_run > MAX_FOREIGN_RUN {
            Take::Close
        } else {
            Take::Ignored
        }
    }

    /// Handles trace structure lines. Returns `None` if `t` is not one.
    fn feed_trace(&mut self, t: &str) -> Option<Take> {
        if t == "Call Trace:" || t == "Call trace:" {
            let sink = if self.panic_tail {
                // The stack of a panic that ended this report.
                Sink::Discard
            } else if self.main_frames.is_empty() && !self.main_done {
                Sink::Main
            } else if self.blocker_named
                && self
                    .blocked_on
                    .as_ref()
                    .is_some_and(|b| b.frames.is_empty())
            {
                Sink::Blocker
            } else {
                self.open_other_stack("Call Trace".to_string());
                return Some(Take::Used);
            };
            self.set_sink(sink);
            return Some(Take::Used);
        }
        if t.starts_with('<') && t.ends_with('>') && t.len() <= 12 && !t.contains(' ') {
            let inner = &t[1..t.len() - 1];
            if let Some(name) = inner.strip_prefix('/') {
                if self.sink == Sink::None {
                    return Some(Take::Ignored);
                }
                self.marker_depth = self.marker_depth.saturating_sub(1);
                if name == "TASK"
                    || self.marker_depth == 0 && name != "IRQ" && name != "NMI" && name != "SOFTIRQ"
                {
                    self.end_trace();
                }
                return Some(Take::Used);
            }
            if inner.chars().all(|c| c.is_ascii_uppercase()) && !inner.is_empty() {
                if self.sink == Sink::None {
                    return Some(Take::Ignored);
                }
                if inner == "EOI" {
                    // Older kernels: end of the interrupt stack.
                    self.marker_depth = self.marker_depth.saturating_sub(1);
                } else {
                    self.marker_depth += 1;
                }
                return Some(Take::Used);
            }
        }
        if self.sink != Sink::None {
            if let Some(f) = parse_frame(t) {
                self.push_frame(f);
                return Some(Take::Used);
            }
            // A non-frame line inside a trace. With markers open it is most
            // likely output from elsewhere; without markers the trace is
            // over (architectures that print no markers, chain stacks).
            let in_chain = matches!(self.sink, Sink::Chain(_));
            if in_chain && !is_lockdep_structure(t) {
                // Chain stacks have no markers; they end at the next
                // structural line of the report.
                return Some(Take::Ignored);
            } else if self.sink_has_frames && self.marker_depth == 0 {
                self.end_trace();
            } else if self.marker_depth > 0 && !is_section_line(t) {
                return Some(Take::Ignored);
            }
        }
        None
    }

    /// Lines common to all report kinds: the dump_stack() preamble,
    /// kernel identification, registers.
    fn feed_common(&mut self, t: &str) -> Option<Take> {
        if let Some(c) = t.starts_with("CPU: ").then(|| RE_CPU.captures(t)).flatten() {
            let pid = cap(&c, "pid").and_then(|p| p.parse().ok());
            let comm = cap(&c, "comm").unwrap_or("").to_string();
            if !(self.kind == Kind::HungTask && self.complete) {
                self.add_task(&comm, pid);
            }
            self.set_version(cap(&c, "rel"), cap(&c, "taint"));
            return Some(Take::Used);
        }
        let digit = t.as_bytes().first().is_some_and(u8::is_ascii_digit);
        if let Some(c) = digit.then(|| RE_IDENT.captures(t)).flatten() {
            self.set_version(cap(&c, "rel"), cap(&c, "taint"));
            return Some(Take::Used);
        }
        if t.starts_with("Hardware name:")
            || t.starts_with("Tainted: [")
            || t.starts_with("Workqueue:")
            || t.starts_with("Modules linked in:")
        {
            return Some(Take::Used);
        }
        if let Some(rest) = t.strip_prefix("RIP: ") {
            let sym = rest.split_once(':').map_or(rest, |(_, s)| s);
            if self.rip.is_none() {
                self.rip = parse_symbol_ref(sym).map(|(text, func)| Frame {
                    text,
                    func,
                    reliable: true,
                });
            }
            return Some(Take::Used);
        }
        if is_register_line(t)
            || t.starts_with("irq event stamp:")
            || t.starts_with("hardirqs last")
            || t.starts_with("softirqs last")
        {
            return Some(Take::Used);
        }
        None
    }

    fn feed_lock_line(&mut self, t: &str) -> Option<Take> {
        if !t.contains("){") {
            return None;
        }
        let c = RE_LOCK.captures(t)?;
        let is_item = c.name("idx").is_some();
        if is_item {
            let holder = self.held.as_ref().map(|h| h.holder.clone());
            let (lock, func) = Self::lock_from(&c, "held", holder);
            if !self.show_all {
                self.record_site("held", func);
            }
            self.add_lock(lock);
            if let Some(h) = self.held.as_mut() {
                h.remaining = h.remaining.saturating_sub(1);
                if h.remaining == 0 {
                    self.held = None;
                    if self.kind == Kind::HeldLockReturn {
                        self.complete = true;
                    }
                }
            }
            return Some(Take::Used);
        }
        let role = match self.expect {
            Expect::Lock(role) => role,
            _ => return Some(Take::Ignored),
        };
        self.expect = Expect::Nothing;
        let (lock, func) = Self::lock_from(&c, role, None);
        self.record_site(role, func);
        self.add_lock(lock);
        Some(Take::Used)
    }

    fn feed_held_header(&mut self, t: &str) -> Option<Take> {
        if !t.contains(" held by ") {
            return None;
        }
        let c = RE_HELD_HDR.captures(t)?;
        let name = cap(&c, "name")
            .or(cap(&c, "name2"))
            .or(cap(&c, "name3"))
            .unwrap_or("");
        let pid = cap(&c, "pid")
            .or(cap(&c, "pid2"))
            .or(cap(&c, "pid3"))
            .and_then(|p| p.parse().ok());
        let n: u32 = cap(&c, "n")
            .or(cap(&c, "n2"))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        if !self.show_all {
            self.add_task(name, pid);
        }
        if n == 0 {
            self.held = None;
            if self.kind == Kind::HeldLockReturn {
                self.complete = true;
            }
        } else {
            self.held = Some(HeldList {
                holder: Task::new(name, pid),
                remaining: n,
            });
        }
        Some(Take::Used)
    }

    fn feed_scenario(&mut self, text: &str, t: &str) -> Option<Take> {
        if t.starts_with("Possible unsafe locking scenario")
            || t.starts_with("Possible interrupt unsafe locking scenario")
        {
            let chain = self
                .scenario
                .take()
                .map(|s| s.chain_exists_of)
                .unwrap_or_default();
            self.scenario = Some(Scenario {
                columns: Vec::new(),
                rows: Vec::new(),
                chain_exists_of: chain,
            });
            self.scenario_done = false;
            self.set_sink(Sink::None);
            return Some(Take::Used);
        }
        if t == "Chain exists of:" {
            self.expect = Expect::ChainExistsOf;
            return Some(Take::Used);
        }
        if self.expect == Expect::ChainExistsOf {
            self.expect = Expect::Nothing;
            let classes = t.split(" --> ").map(|s| s.trim().to_string()).collect();
            self.scenario
                .get_or_insert_with(Scenario::default)
                .chain_exists_of = classes;
            return Some(Take::Used);
        }
        if t == "*** DEADLOCK ***" {
            self.scenario_done = true;
            return Some(Take::Used);
        }
        if t.starts_with("May be due to missing lock nesting notation") {
            return Some(Take::Used);
        }
        let s = self.scenario.as_mut()?;
        if self.scenario_done {
            return None;
        }
        if t.starts_with("CPU0") {
            s.columns = t.split_whitespace().map(str::to_string).collect();
            return Some(Take::Used);
        }
        if t.bytes().all(|b| b == b'-' || b == b' ') {
            return Some(Take::Used);
        }
        let is_cell = t.ends_with(");") || t == "<Interrupt>";
        if is_cell && s.rows.len() < MAX_ROWS {
            let ncols = s.columns.len().max(1);
            let indent = text.len() - text.trim_start().len();
            let col = if indent >= 16 { 1.min(ncols - 1) } else { 0 };
            let mut row = vec![String::new(); ncols];
            row[col] = t.to_string();
            s.rows.push(row);
            return Some(Take::Used);
        }
        None
    }

    /// Lines of a report that has not reached its final part yet.
    fn feed_body(&mut self, msg: &Message, t: &str) -> Take {
        // Release site: print_ip_sym() right after "is trying to release lock".
        if self.expect == Expect::ReleaseSite {
            if let Some(f) = parse_frame(t) {
                self.expect = Expect::Nothing;
                if let Some(l) = self.locks.iter_mut().rev().find(|l| l.role == "releasing") {
                    l.at = Some(f.text.clone());
                }
                self.first_site = Some(f.func.clone());
                return Take::Used;
            }
        }
        if let Some(r) = self.feed_trace(t) {
            return r;
        }
        if t == "stack backtrace:" {
            self.set_sink(Sink::Main);
            return Take::Used;
        }
        if let Some(r) = self.feed_common(t) {
            return r;
        }
        if matches!(self.kind, Kind::Other | Kind::SoftLockup) {
            // Some reports of kind `other` list held locks (e.g. a task
            // exiting with locks held on older kernels); keep them, accept
            // everything else.
            if self.feed_held_header(t).is_none() {
                let _ = self.feed_lock_line(t);
            }
            return self.feed_other(t);
        }
        if let Some(r) = self.feed_lock_line(t) {
            return r;
        }
        if let Some(r) = self.feed_held_header(t) {
            return r;
        }
        if let Some(r) = self.feed_scenario(msg.text, t) {
            return r;
        }
        if self.kind == Kind::HungTask {
            return self.feed_hung(t);
        }
        self.feed_lockdep(t)
    }

    fn feed_lockdep(&mut self, t: &str) -> Take {
        if let Some(c) = t
            .contains('/')
            .then(|| RE_TASK_ACTION.captures(t))
            .flatten()
        {
            let pid = cap(&c, "pid").and_then(|p| p.parse().ok());
            self.add_task(cap(&c, "name").unwrap_or(""), pid);
            let what = cap(&c, "what").unwrap_or("");
            self.expect = if let Some(class) = cap(&c, "rel").or(cap(&c, "con")) {
                self.add_lock(Lock {
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
            } else if what.starts_with("is leaving the kernel") {
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
            if let Some(c) = RE_CLASS_ONLY.captures(t) {
                self.expect = Expect::Nothing;
                self.add_lock(Lock {
                    class: cap(&c, "class").unwrap_or("").to_string(),
                    instance: None,
                    at: None,
                    role: role.to_string(),
                    usage: cap(&c, "usage").map(str::to_string),
                    holder: None,
                });
                return Take::Used;
            }
        }
        if let Some(c) = t
            .starts_with("-> #")
            .then(|| RE_CHAIN_ENTRY.captures(t))
            .flatten()
        {
            if self.chain.len() < MAX_CHAIN {
                self.chain.push((
                    ChainEntry {
                        index: cap(&c, "idx").and_then(|i| i.parse().ok()).unwrap_or(0),
                        class: cap(&c, "class").unwrap_or("").to_string(),
                        frames: Vec::new(),
                    },
                    Vec::new(),
                ));
                self.set_sink(Sink::Chain(self.chain.len() - 1));
            } else {
                self.set_sink(Sink::Discard);
            }
            return Take::Used;
        }
        if let Some(c) = t
            .starts_with("-> (")
            .then(|| RE_DEP_ENTRY.captures(t))
            .flatten()
        {
            if self.chain.len() < MAX_CHAIN {
                let index = self.chain.len() as u32;
                self.chain.push((
                    ChainEntry {
                        index,
                        class: cap(&c, "class").unwrap_or("").to_string(),
                        frames: Vec::new(),
                    },
                    Vec::new(),
                ));
            }
            self.dep_class = cap(&c, "class").map(str::to_string);
            self.set_sink(Sink::Discard);
            return Take::Used;
        }
        if t.starts_with("... acquired at:") {
            let sink = if self.chain.is_empty() {
                Sink::Discard
            } else {
                Sink::Chain(self.chain.len() - 1)
            };
            self.set_sink(sink);
            return Take::Used;
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
            let what = t.trim_end_matches(':');
            let label = match &self.dep_class {
                Some(class) if !t.starts_with("...") && !t.starts_with('{') => {
                    format!("{class}: {what}")
                }
                _ => what.to_string(),
            };
            self.open_other_stack(label);
            return Take::Used;
        }
        if t == "..." && matches!(self.sink, Sink::Other(_)) && !self.sink_has_frames {
            // print_bad_irq_dependency() prints "..." before the trace.
            return Take::Used;
        }
        if t == "}" || t.starts_with("... key") || t == "..." {
            if t == "}" {
                self.dep_class = None;
            }
            self.set_sink(Sink::None);
            return Take::Used;
        }
        if t.starts_with("inconsistent {") {
            self.note(t.to_string());
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
            self.set_sink(Sink::None);
            return Take::Used;
        }
        Take::Ignored
    }

    fn feed_hung(&mut self, t: &str) -> Take {
        let taint_line = t.starts_with("Not tainted") || t.starts_with("Tainted: ");
        if let Some(c) = taint_line.then(|| RE_HUNG_TAINT.captures(t)).flatten() {
            self.set_version(cap(&c, "rel"), cap(&c, "taint"));
            return Take::Used;
        }
        if t.starts_with("\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\"") {
            return Take::Used;
        }
        if t == "Blocked by coredump." {
            self.note("blocked by coredump".to_string());
            return Take::Used;
        }
        if is_sched_task_line(t) {
            return Take::Used;
        }
        if let Some(r) = self.feed_hung_tail(t) {
            return r;
        }
        Take::Ignored
    }

    /// Parts of a hung-task report that may follow its stack.
    fn feed_hung_tail(&mut self, t: &str) -> Option<Take> {
        let blocker_line = t.starts_with("INFO: task ") && t.contains("blocked on a");
        if let Some(c) = blocker_line.then(|| RE_BLOCKER.captures(t)).flatten() {
            let owner = cap(&c, "oname")
                .map(|n| Task::new(n, cap(&c, "opid").and_then(|p| p.parse().ok())));
            if let Some(o) = &owner {
                self.add_task(&o.name, o.pid);
            }
            if self.blocked_on.is_none() {
                self.blocked_on = Some(BlockedOn {
                    primitive: cap(&c, "prim").unwrap_or("").to_string(),
                    task: owner,
                    waiting_as: cap(&c, "as").map(str::to_string),
                    held_as: cap(&c, "oas").map(str::to_string),
                    frames: Vec::new(),
                });
                self.blocker_named = true;
            }
            self.set_sink(Sink::None);
            return Some(Take::Used);
        }
        if self.blocker_named && is_sched_task_line(t) {
            self.blocker_task_line = true;
            return Some(Take::Used);
        }
        if t.starts_with("Showing all locks held in the system") {
            self.show_all = true;
            self.set_sink(Sink::None);
            return Some(Take::Used);
        }
        if self.show_all {
            if is_banner(t) {
                self.show_all = false;
                if self.kind == Kind::HungTask {
                    self.round_over = true;
                }
                return Some(Take::Used);
            }
            if let Some(r) = self.feed_held_header(t) {
                return Some(r);
            }
            if let Some(r) = self.feed_lock_line(t) {
                return Some(r);
            }
        }
        if t.starts_with("Future hung task reports are suppressed") {
            self.note("further hung task reports suppressed".to_string());
            return Some(Take::Used);
        }
        None
    }

    fn feed_other(&mut self, t: &str) -> Take {
        if t.starts_with("---[ end ") {
            self.end_trace();
            self.complete = true;
            return Take::Used;
        }
        if self.main_frames.is_empty()
            && self.sink == Sink::None
            && self.lines >= OTHER_NO_TRACE_LINES
        {
            self.complete = true;
            return Take::Close;
        }
        Take::Used
    }

    /// Soft lockups: the parts that follow the stuck CPU's stack when
    /// `softlockup_all_cpu_backtrace` is set: `Sending NMI from CPU N to
    /// CPUs M:` and one `NMI backtrace for cpu M` (CPU line, registers,
    /// stack) per other CPU, kept as secondary stacks labelled with that
    /// line, the interrupted instruction (`RIP:`) first.
    fn feed_nmi(&mut self, t: &str) -> Option<Take> {
        if let Some(i) = self.nmi_stack {
            if t == "Call Trace:" || t == "Call trace:" {
                self.nmi_stack = None;
                self.set_sink(Sink::Other(i));
                return Some(Take::Used);
            }
        }
        if matches!(self.sink, Sink::Other(_) | Sink::Discard) {
            if let Some(r) = self.feed_trace(t) {
                return Some(r);
            }
        }
        if t.starts_with("Sending NMI from CPU ")
            || t.starts_with("After ") && t.contains("haven't responded to the NMI")
        {
            self.note(t.to_string());
            return Some(Take::Used);
        }
        if let Some(c) = t
            .starts_with("NMI backtrace for cpu ")
            .then(|| RE_NMI_BT.captures(t))
            .flatten()
        {
            if c.name("skipped").is_some() {
                self.note(demangle_text(t).into_owned());
                self.nmi_stack = None;
            } else {
                self.open_other_stack(format!(
                    "NMI backtrace for cpu {}",
                    cap(&c, "cpu").unwrap_or("")
                ));
                self.nmi_stack = match self.sink {
                    Sink::Other(i) => Some(i),
                    _ => None,
                };
                // Frames only after its "Call Trace:".
                self.set_sink(if self.nmi_stack.is_some() {
                    Sink::None
                } else {
                    Sink::Discard
                });
            }
            return Some(Take::Used);
        }
        if let Some(i) = self.nmi_stack {
            if let Some(rest) = t.strip_prefix("RIP: ") {
                let sym = rest.split_once(':').map_or(rest, |(_, s)| s);
                if let Some((text, func)) = parse_symbol_ref(sym) {
                    if let Some((_, frames)) = self.other_stacks.get_mut(i) {
                        frames.push(Frame {
                            text,
                            func,
                            reliable: true,
                        });
                    }
                }
                return Some(Take::Used);
            }
            if let Some(r) = self.feed_common(t) {
                return Some(r);
            }
        }
        None
    }

    /// Lines after the report's final part: only known trailers are taken.
    fn feed_after(&mut self, t: &str) -> Take {
        if t.contains("INFO: lockdep is turned off") {
            self.lockdep_off = true;
            if self.kind == Kind::HungTask {
                // debug_show_all_locks() printed this instead of the
                // held-locks dump: the hung-task round is over.
                self.round_over = true;
            }
            return Take::Used;
        }
        if self.round_over && !self.panic_tail {
            return Take::Close;
        }
        if self.kind == Kind::SoftLockup && !self.panic_tail {
            if let Some(r) = self.feed_nmi(t) {
                return r;
            }
        }
        if self.panic_tail && is_register_line(t) {
            // The register dump inside a panic's stack (the interrupted
            // context of the panicking CPU).
            return Take::Used;
        }
        if self.panic_tail {
            if let Some(r) = self.feed_trace(t) {
                return r;
            }
            if t.starts_with("CPU: ")
                || t.starts_with("Hardware name:")
                || t.starts_with("Tainted: [")
                || t.starts_with("Kernel Offset:")
                || t.starts_with("Rebooting in")
                || t.starts_with("---[ end Kernel panic")
                || t.starts_with("Shutting down cpus with NMI")
            {
                return Take::Used;
            }
        }
        if t.starts_with("turning off the locking correctness validator")
            || t.starts_with("Disabling lock debugging due to kernel taint")
            || t.starts_with("Please attach the output of /proc/lock_stat")
        {
            return Take::Used;
        }
        if self.kind == Kind::HungTask {
            if self.sink == Sink::Blocker || self.blocker_task_line {
                if let Some(r) = self.feed_trace(t) {
                    if self.sink == Sink::None {
                        self.blocker_task_line = false;
                    }
                    return r;
                }
            }
            if let Some(r) = self.feed_hung_tail(t) {
                return r;
            }
            if self.blocker_task_line
                && (t.starts_with("Workqueue:") || t.starts_with("Call Trace:"))
            {
                return Take::Used;
            }
            return Take::Close;
        }
        if matches!(self.kind, Kind::Other | Kind::SoftLockup) {
            if t.starts_with("---[ end ")
                || t.starts_with("Kernel Offset:")
                || t.starts_with("Rebooting in")
                || t.starts_with("Modules linked in:")
                || t.starts_with("irq event stamp:")
                || t.starts_with("hardirqs last")
                || t.starts_with("softirqs last")
                || is_register_line(t)
            {
                return Take::Used;
            }
            return Take::Close;
        }
        Take::Close
    }

    fn finish(mut self, reason: Option<&str>) -> Finding {
        // A stack whose markers are still open was cut off: do not let
        // ending it mark the report complete.
        if !(self.sink == Sink::Main && self.marker_depth > 0) {
            self.end_trace();
        }
        let truncated = !self.complete;
        if truncated {
            if let Some(r) = reason {
                self.note(r.to_string());
            }
        }
        let culprit = self.def.culprit.choose(&self.evidence());
        if let Some(rip) = &self.rip {
            // The interrupted instruction, for reports that print registers.
            if self.other_stacks.len() < MAX_OTHER_STACKS {
                self.other_stacks
                    .insert(0, ("RIP".to_string(), vec![rip.clone()]));
            }
        }
        let title = match (self.def.title, &culprit) {
            (Some(fmt), Some(func)) => {
                let level = if self.header.starts_with("BUG") {
                    "BUG"
                } else {
                    "WARNING"
                };
                fmt.replace("{level}", level)
                    .replace("{}", strip_suffixes(func))
            }
            _ => self.header.clone(),
        };
        let chain = self
            .chain
            .into_iter()
            .map(|(mut e, frames)| {
                e.frames = frames.iter().map(Frame::display).collect();
                e
            })
            .collect();
        Finding {
            kind: self.kind,
            title,
            header: self.header,
            culprit: culprit.map(|c| strip_suffixes(&c).to_string()),
            tasks: self.tasks,
            locks: self.locks,
            chain,
            scenario: self.scenario,
            blocked_on: self.blocked_on,
            timeout_secs: self.timeout_secs,
            cpu: self.cpu,
            frames: self.main_frames.iter().map(Frame::display).collect(),
            other_stacks: self
                .other_stacks
                .into_iter()
                .map(|(label, frames)| Stack {
                    label,
                    frames: frames.iter().map(Frame::display).collect(),
                })
                .collect(),
            kernel_version: self.kernel_version,
            taint: self.taint,
            start_line: self.start_line,
            end_line: self.end_line,
            truncated,
            lockdep_off: self.lockdep_off,
            repeats: 1,
            notes: self.notes,
        }
    }

    /// What the report offers to its culprit rule.
    fn evidence(&self) -> Evidence<'_> {
        fn site(s: &Option<Option<String>>) -> Option<&str> {
            s.as_ref().and_then(|f| f.as_deref())
        }
        Evidence {
            rip: self.rip.as_ref(),
            stack: &self.main_frames,
            first_site: site(&self.first_site),
            acquiring_site: site(&self.acquiring_site),
            held_site: site(&self.held_site),
            chain: self
                .chain
                .iter()
                .map(|(_, frames)| frames.as_slice())
                .collect(),
        }
    }
}

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
        return !b.complete || CONSEQUENCE_PANICS.iter().any(|r| reason.contains(r));
    }
    let secondary = hdr.starts_with("Oops:") || hdr.starts_with("invalid opcode:");
    !b.complete && secondary && b.kind == Kind::Other
}

/// Lines after which nothing can belong to the previous report any more
/// (a banner, a `[ cut here ]` line, a magic SysRq command).
fn is_report_boundary(t: &str) -> bool {
    is_banner(t) || t.contains("[ cut here ]") || t.starts_with("sysrq: ")
}

fn is_banner(t: &str) -> bool {
    t.len() >= 5 && t.bytes().all(|b| b == b'=')
}

/// `sched_show_task()` header: `task:NAME state:D ...`.
fn is_sched_task_line(t: &str) -> bool {
    t.starts_with("task:") && RE_SCHED_TASK.is_match(t)
}

/// Register dump lines (`RIP: ...`, `RAX: ...`, `Code: ...`, `x0 : ...`).
fn is_register_line(t: &str) -> bool {
    let head = &t.as_bytes()[..t.len().min(9)];
    head.contains(&b':') && RE_REGS.is_match(t)
}

/// Lines that structure the middle part of a lockdep report.
fn is_lockdep_structure(t: &str) -> bool {
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

/// Lines that structure a report and must never be taken for output from
/// elsewhere while a trace is open.
fn is_section_line(t: &str) -> bool {
    t == "stack backtrace:"
        || t == "other info that might help us debug this:"
        || t.starts_with("INFO: task ")
        || t.starts_with("-> ")
        || t.starts_with("Showing all locks held")
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
                b.end_line = e;
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
                        && b.end_line + 1 == line)
                        .then_some(b.end_before_last);
                    self.close(Some("another report started before this one ended"), end);
                    self.start(def, hdr, msg, line);
                    return;
                }
            }
            if lockdep_off {
                b.lockdep_off = true;
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
