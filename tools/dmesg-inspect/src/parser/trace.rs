// SPDX-License-Identifier: GPL-2.0
//! Stack traces: `Call Trace:` lines, the `<IRQ>`/`<TASK>`/... markers
//! around the parts of a trace, and the frames themselves.
//!
//! A report may print several stacks: its own (the main stack), further
//! stacks of its own (lockdep's usage traces, the NMI backtraces of other
//! CPUs, a `Call Trace:` after the main one) and stacks that belong to its
//! family (the stacks of a lockdep dependency chain, the stack of the task
//! a hung task waits for). Frames go to the current [`Sink`]; the family
//! keeps the frames of its own stacks ([`Stacks`]).

use super::lockdep;
use super::preamble::{is_register_line, rip_frame};
use super::report::Common;
use super::{Take, MAX_FRAMES, MAX_OTHER_STACKS};
use crate::symbols::{parse_frame, Frame};

/// Where frame lines currently go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sink {
    /// Frame lines are not expected; they are treated as unrelated.
    None,
    /// The report's main stack.
    Main,
    /// Stack of lockdep chain entry `n`. These stacks have no markers;
    /// they end at the next structural line of the report.
    Chain(usize),
    /// Stack of the task a hung task waits for.
    Blocker,
    /// Secondary stack `n` (index into [`Trace::others`]).
    Other(usize),
    /// A stack that is not kept (a panic's stack, stacks beyond the bounds).
    Discard,
}

/// The stacks of a report and the state of the trace being read.
pub(super) struct Trace {
    /// The report's main stack.
    pub(super) main: Vec<Frame>,
    /// Secondary stacks with their labels.
    pub(super) others: Vec<(String, Vec<Frame>)>,
    pub(super) sink: Sink,
    /// Open `<IRQ>`/`<TASK>`/... markers of the trace being read.
    pub(super) marker_depth: u32,
    /// Frames were read into the current sink.
    pub(super) has_frames: bool,
    /// The main stack has been read to its end.
    main_done: bool,
}

impl Trace {
    pub(super) fn new() -> Self {
        Trace {
            main: Vec::new(),
            others: Vec::new(),
            sink: Sink::None,
            marker_depth: 0,
            has_frames: false,
            main_done: false,
        }
    }
}

/// The stacks a report family keeps itself.
pub(super) trait Stacks {
    /// Stores a frame read while the sink is one of the family's stacks
    /// ([`Sink::Chain`], [`Sink::Blocker`]).
    fn push_frame(&mut self, _sink: Sink, _frame: Frame) {}

    /// Sees every frame of a secondary or chain stack, in print order,
    /// before it is stored (lockdep's safe -> unsafe reports are titled by
    /// the frames printed after a given line, whatever stack they are in).
    fn observe(&mut self, _frame: &Frame) {}

    /// The family's stack that a `Call Trace:` line starts, when it is not
    /// the report's main stack.
    fn pending_stack(&self) -> Option<Sink> {
        None
    }
}

/// Pushes `frame` onto `frames` unless the stack is full.
pub(super) fn push_bounded(frames: &mut Vec<Frame>, frame: Frame) {
    if frames.len() < MAX_FRAMES {
        frames.push(frame);
    }
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

/// Splits `<IRQ>  [<ffffffff8104f3c5>] func+0x1/0x2` into its marker and
/// the rest of the line, which is a frame or, when an exception stack
/// ended on the interrupt stack, another marker and a frame
/// (`<<EOE>>  <IRQ>  [<...>] func+...`, see [`marker_name`]).
fn split_marker(t: &str) -> Option<(&str, &str)> {
    if !t.starts_with('<') {
        return None;
    }
    let close = if t.starts_with("<<") {
        t.find(">>")? + 1
    } else {
        t.find('>')?
    };
    let (marker, rest) = (t.get(..=close)?, t.get(close + 1..)?.trim_start());
    let fits = !rest.is_empty() && marker_name(marker).is_some();
    fits.then_some((marker, rest))
}

/// The name inside a marker line of a trace (`<IRQ>` -> `IRQ`, `</IRQ>`
/// -> `/IRQ`): upper-case letters, or an exception stack's `#DB`, `#DF`,
/// `#MC`. Until 4.9 x86-64 closed an exception stack with `<<EOE>>`
/// (`"<%s>"` around the name `<EOE>`), which gives `EOE`.
fn marker_name(t: &str) -> Option<&str> {
    if t.len() > 12 || t.contains(' ') {
        return None;
    }
    let inner = t.strip_prefix("<<").and_then(|i| i.strip_suffix(">>"));
    let inner = inner.or_else(|| t.strip_prefix('<')?.strip_suffix('>'))?;
    let name = inner.strip_prefix('/').unwrap_or(inner);
    let name = name.strip_prefix('#').unwrap_or(name);
    (!name.is_empty() && name.bytes().all(|b| b.is_ascii_uppercase())).then_some(inner)
}

/// The registers 32-bit ARM's frame-pointer unwinder prints between two
/// frames (`dump_backtrace_stm()`): ` r10:c1234567 r9:00000000 r8:...`.
fn is_arm_saved_regs(t: &str) -> bool {
    t.split_whitespace().all(|w| {
        w.strip_prefix('r')
            .and_then(|w| w.split_once(':'))
            .is_some_and(|(n, v)| {
                (1..=2).contains(&n.len())
                    && n.bytes().all(|b| b.is_ascii_digit())
                    && v.len() == 8
                    && v.bytes().all(|b| b.is_ascii_hexdigit())
            })
    }) && t.starts_with('r')
}

impl Common {
    /// A stack printed without a `Call Trace:` line in front (32-bit ARM's
    /// unwinder prints none) starts after the line that announces it (a
    /// hung task's `task:` line), unless the main stack was read already.
    pub(super) fn expect_main_stack(&mut self) {
        if self.trace.main.is_empty() && !self.trace.main_done && self.trace.sink == Sink::None {
            self.set_sink(Sink::Main);
        }
    }

    /// The registers of the context an interrupt or exception interrupted,
    /// which x86 prints inside the part of the trace that context's frames
    /// are in (`show_regs_if_on_stack()`: `<TASK>`, then
    /// `asm_sysvec_apic_timer_interrupt`, then `RIP: 0010:func+...`, `Code:`,
    /// `RSP:`, ... and the interrupted frames). They belong to the trace:
    /// the `RIP:` of kernel code is the innermost interrupted frame and is
    /// kept in its place, as syzkaller reads it; the other lines, and the
    /// `RIP:` of user space, carry no frame.
    fn interrupted_regs(&mut self, fam: &mut impl Stacks, t: &str) -> Option<Take> {
        if let Some(rest) = t.strip_prefix("RIP: ") {
            if let Some(frame) = rip_frame(rest).filter(|f| f.func.is_some()) {
                self.push_frame(fam, frame);
            }
            return Some(Take::Used);
        }
        is_register_line(t).then_some(Take::Used)
    }

    fn push_frame(&mut self, fam: &mut impl Stacks, frame: Frame) {
        if matches!(self.trace.sink, Sink::Other(_) | Sink::Chain(_)) {
            fam.observe(&frame);
        }
        match self.trace.sink {
            Sink::Main => push_bounded(&mut self.trace.main, frame),
            Sink::Other(i) => {
                if let Some((_, frames)) = self.trace.others.get_mut(i) {
                    push_bounded(frames, frame);
                }
            }
            sink @ (Sink::Chain(_) | Sink::Blocker) => fam.push_frame(sink, frame),
            Sink::Discard | Sink::None => {}
        }
        self.trace.has_frames = true;
    }

    /// Starts a secondary stack; further stacks beyond the bound are read
    /// and dropped.
    pub(super) fn open_other_stack(&mut self, label: String) {
        if self.trace.others.len() < MAX_OTHER_STACKS {
            self.trace.others.push((label, Vec::new()));
            self.set_sink(Sink::Other(self.trace.others.len() - 1));
        } else {
            self.set_sink(Sink::Discard);
        }
    }

    pub(super) fn set_sink(&mut self, sink: Sink) {
        self.end_trace();
        self.trace.sink = sink;
        self.trace.marker_depth = 0;
        self.trace.has_frames = false;
    }

    /// Ends the trace being read, if any. The end of the main stack is the
    /// end of the report unless its final part comes later.
    pub(super) fn end_trace(&mut self) {
        if self.trace.sink == Sink::Main && self.trace.has_frames {
            self.trace.main_done = true;
            if self.ends_with_stack {
                self.complete = true;
            }
        }
        self.trace.sink = Sink::None;
    }

    /// Handles trace structure lines. Returns `None` if `t` is not one.
    pub(super) fn feed_trace(&mut self, fam: &mut impl Stacks, t: &str) -> Option<Take> {
        // `Backtrace:` is 32-bit ARM's frame-pointer unwinder.
        if t == "Call Trace:" || t == "Call trace:" || t.starts_with("Backtrace:") {
            let sink = if self.panic_tail {
                // The stack of a panic that ended this report.
                Sink::Discard
            } else if self.trace.main.is_empty() && !self.trace.main_done {
                Sink::Main
            } else if let Some(sink) = fam.pending_stack() {
                sink
            } else {
                self.open_other_stack("Call Trace".to_string());
                return Some(Take::Used);
            };
            self.set_sink(sink);
            return Some(Take::Used);
        }
        // Before 4.10 x86 printed a marker and the first frame of its part
        // on one line: ` <IRQ>  [<ffffffff8104f3c5>] ? foo+0x35/0x60`.
        if let Some((marker, rest)) = split_marker(t) {
            let more = parse_frame(rest).is_some() || split_marker(rest).is_some();
            if self.trace.sink != Sink::None && more {
                self.feed_trace(fam, marker);
                return self.feed_trace(fam, rest);
            }
        }
        if let Some(inner) = marker_name(t) {
            if let Some(name) = inner.strip_prefix('/') {
                if self.trace.sink == Sink::None {
                    return Some(Take::Ignored);
                }
                self.trace.marker_depth = self.trace.marker_depth.saturating_sub(1);
                if name == "TASK"
                    || self.trace.marker_depth == 0
                        && name != "IRQ"
                        && name != "NMI"
                        && name != "SOFTIRQ"
                {
                    self.end_trace();
                }
                return Some(Take::Used);
            }
            if self.trace.sink == Sink::None {
                return Some(Take::Ignored);
            }
            if inner == "EOI" || inner == "EOE" {
                // Older kernels: end of the interrupt or exception stack.
                self.trace.marker_depth = self.trace.marker_depth.saturating_sub(1);
            } else {
                self.trace.marker_depth += 1;
            }
            return Some(Take::Used);
        }
        if self.trace.sink != Sink::None {
            if let Some(f) = parse_frame(t) {
                self.push_frame(fam, f);
                return Some(Take::Used);
            }
            if self.trace.marker_depth > 0 {
                if let Some(r) = self.interrupted_regs(fam, t) {
                    return Some(r);
                }
            }
            if is_arm_saved_regs(t) {
                return Some(Take::Used);
            }
            // A non-frame line inside a trace. With markers open it is most
            // likely output from elsewhere; without markers the trace is
            // over (architectures that print no markers, chain stacks).
            let in_chain = matches!(self.trace.sink, Sink::Chain(_));
            if in_chain && !lockdep::is_structure(t) {
                // Chain stacks have no markers; they end at the next
                // structural line of the report.
                return Some(Take::Ignored);
            } else if self.trace.has_frames && self.trace.marker_depth == 0 {
                self.end_trace();
            } else if self.trace.marker_depth > 0 && !is_section_line(t) {
                return Some(Take::Ignored);
            }
        }
        None
    }
}
