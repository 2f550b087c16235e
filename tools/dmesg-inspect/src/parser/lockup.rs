// SPDX-License-Identifier: GPL-2.0
//! Soft lockups: `watchdog: BUG: soft lockup - CPU#N stuck for Ns!
//! [NAME:PID]` (`watchdog_timer_fn()`), then the modules, the irq trace
//! events, the registers and the stack of the interrupted context, read as
//! an `other` report's body (`other.rs`).
//!
//! With `kernel.softlockup_all_cpu_backtrace` the watchdog then prints
//! `Sending NMI from CPU N to CPUs M:` and one `NMI backtrace for cpu M`
//! (`nmi_cpu_backtrace()`: CPU line, registers, stack) per other CPU. These
//! belong to the report: each is a secondary stack labelled with its line,
//! the interrupted instruction (`RIP:`) first, and its task joins the
//! report's tasks. Repeated warnings for the same CPU and task are merged
//! by the stream (`stream.rs`).

use std::sync::LazyLock;

use crate::re::Re;

use super::other;
use super::preamble::rip_frame;
use super::report::Common;
use super::trace::{Sink, Stacks};
use super::{cap, cap_num, Take};
use crate::model::Finding;
use crate::symbols::demangle_text;

// watchdog_timer_fn(): "BUG: soft lockup - CPU#%d stuck for %us! [%s:%d]".
re!(
    RE_SOFTLOCKUP_START,
    r"CPU#(?P<cpu>[0-9]+) stuck for (?P<secs>[0-9]+)s!(?: \[(?P<name>.+):(?P<pid>[0-9]+)\])?$"
);
// nmi_cpu_backtrace(): "NMI backtrace for cpu %d[ skipped: idling at %pS]".
re!(
    RE_NMI_BT,
    r"^NMI backtrace for cpu (?P<cpu>[0-9]+)(?P<skipped> skipped: idling at .*)?$"
);

/// State of a soft-lockup report.
pub(super) struct Lockup {
    /// The stuck CPU.
    cpu: Option<u32>,
    /// How long it has been stuck, in seconds.
    secs: Option<u64>,
    /// Secondary stack of the NMI backtrace being read, until its
    /// `Call Trace:` line.
    nmi_stack: Option<usize>,
}

impl Stacks for Lockup {}

impl Lockup {
    pub(super) fn new(c: &mut Common, header: &str) -> Self {
        let mut s = Lockup {
            cpu: None,
            secs: None,
            nmi_stack: None,
        };
        if let Some(m) = RE_SOFTLOCKUP_START.captures(header) {
            s.cpu = cap_num(&m, "cpu");
            s.secs = cap_num(&m, "secs");
            c.add_task(cap(&m, "name").unwrap_or(""), cap_num(&m, "pid"));
        }
        s
    }

    pub(super) fn body(&mut self, c: &mut Common, t: &str) -> Take {
        other::body(c, self, t)
    }

    /// Lines after the stuck CPU's stack: the NMI backtraces, then what
    /// may follow an `other` report.
    pub(super) fn after(&mut self, c: &mut Common, t: &str) -> Take {
        if !c.panic_tail {
            if let Some(r) = self.feed_nmi(c, t) {
                return r;
            }
        }
        other::after(c, self, t)
    }

    /// The NMI backtraces of the other CPUs (see the module documentation).
    fn feed_nmi(&mut self, c: &mut Common, t: &str) -> Option<Take> {
        if let Some(i) = self.nmi_stack {
            if t == "Call Trace:" || t == "Call trace:" {
                self.nmi_stack = None;
                c.set_sink(Sink::Other(i));
                return Some(Take::Used);
            }
        }
        if matches!(c.trace.sink, Sink::Other(_) | Sink::Discard) {
            if let Some(r) = c.feed_trace(self, t) {
                return Some(r);
            }
        }
        if t.starts_with("Sending NMI from CPU ")
            || t.starts_with("After ") && t.contains("haven't responded to the NMI")
        {
            // The CPUs asked print their own backtraces: with printk caller
            // ids, their lines carry theirs (`[    C0]`), and belong here.
            if let Some(list) = t.split(" to CPUs ").nth(1) {
                for cpu in cpu_list(list.trim_end_matches(':')) {
                    c.callers_too.push(format!("C{cpu}"));
                }
            }
            c.note(t.to_string());
            return Some(Take::Used);
        }
        if let Some(m) = t
            .starts_with("NMI backtrace for cpu ")
            .then(|| RE_NMI_BT.captures(t))
            .flatten()
        {
            if m.name("skipped").is_some() {
                c.note(demangle_text(t).into_owned());
                self.nmi_stack = None;
            } else {
                c.open_other_stack(format!(
                    "NMI backtrace for cpu {}",
                    cap(&m, "cpu").unwrap_or("")
                ));
                self.nmi_stack = match c.trace.sink {
                    Sink::Other(i) => Some(i),
                    _ => None,
                };
                // Frames only after its "Call Trace:".
                c.set_sink(if self.nmi_stack.is_some() {
                    Sink::None
                } else {
                    Sink::Discard
                });
            }
            return Some(Take::Used);
        }
        if let Some(i) = self.nmi_stack {
            if let Some(rest) = t.strip_prefix("RIP: ") {
                if let Some(frame) = rip_frame(rest) {
                    if let Some((_, frames)) = c.trace.others.get_mut(i) {
                        frames.push(frame);
                    }
                }
                return Some(Take::Used);
            }
            if let Some(r) = c.feed_preamble(t) {
                return Some(r);
            }
        }
        None
    }

    pub(super) fn finish(self, f: &mut Finding) {
        f.cpu = self.cpu;
        f.timeout_secs = self.secs;
    }
}

/// The CPUs of a list as the kernel prints a CPU mask (`%*pbl`): `0`,
/// `0-3`, `0,2-3`; at most 64 of them.
fn cpu_list(list: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for part in list.split(',') {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        if let (Ok(a), Ok(b)) = (a.trim().parse::<u32>(), b.trim().parse::<u32>()) {
            out.extend((a..=b.min(a.saturating_add(63))).take(64 - out.len().min(64)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn cpu_lists() {
        assert_eq!(super::cpu_list("0"), [0]);
        assert_eq!(super::cpu_list("0,2-3"), [0, 2, 3]);
        assert_eq!(super::cpu_list("junk"), Vec::<u32>::new());
    }
}
