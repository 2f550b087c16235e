// SPDX-License-Identifier: GPL-2.0
//! Reports of kind `other`: BUG, WARNING, Oops, general protection fault,
//! panic, RCU stall and the like. Their title is the start line; the
//! parser only keeps the task, the registers and the stack, and knows
//! where the report ends: at `---[ end trace ... ]---`, after the stack,
//! or after [`OTHER_NO_TRACE_LINES`] lines without one.
//!
//! Soft lockups (`lockup.rs`) read their body the same way.

use std::sync::LazyLock;

use crate::re::Re;

use super::preamble::is_register_line;
use super::report::Common;
use super::trace::{Sink, Stacks};
use super::{cap, cap_num, Take};

/// Lines an `other` report may run without a stack trace before it is
/// considered complete.
const OTHER_NO_TRACE_LINES: u32 = 60;

re!(
    RE_SOFTLOCKUP,
    r"stuck for [0-9]+s! \[(?P<name>.+):(?P<pid>[0-9]+)\]$"
);
// __warn(): "WARNING: file:line at func+off/size, CPU#N: NAME/PID".
re!(RE_WARN_TASK, r"CPU#[0-9]+: (?P<name>.+)/(?P<pid>[0-9]+)$");

/// The `other` family keeps no state of its own.
pub(super) struct Other;

impl Stacks for Other {}

impl Other {
    /// Reads the task a start line names (a `WARNING:` with its task, a
    /// lockup warning).
    pub(super) fn new(c: &mut Common, header: &str) -> Self {
        if let Some(m) = RE_SOFTLOCKUP
            .captures(header)
            .or_else(|| RE_WARN_TASK.captures(header))
        {
            c.add_task(cap(&m, "name").unwrap_or(""), cap_num(&m, "pid"));
        }
        Other
    }
}

/// Lines before the report's final part. Any line is taken, since the
/// layout of these reports varies; held-lock lists are kept (e.g. a task
/// exiting with locks held on older kernels).
pub(super) fn body(c: &mut Common, fam: &mut impl Stacks, t: &str) -> Take {
    if let Some(r) = c.feed_common(fam, t) {
        return r;
    }
    if c.feed_held_header(t, false).is_none() {
        let _ = c.feed_lock_line(t, None);
    }
    if t.starts_with("---[ end ") {
        c.end_trace();
        c.complete = true;
        return Take::Used;
    }
    if c.trace.main.is_empty() && c.trace.sink == Sink::None && c.lines >= OTHER_NO_TRACE_LINES {
        c.complete = true;
        return Take::Close;
    }
    Take::Used
}

/// Lines after the final part: the common trailers, the end marker, and
/// what the oops code prints after the stack (modules, irq event stamps,
/// the registers again).
pub(super) fn after(c: &mut Common, fam: &mut impl Stacks, t: &str) -> Take {
    if let Some(r) = c.trailer(fam, t).or_else(|| c.feed_oops_summary(t)) {
        return r;
    }
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
    Take::Close
}
