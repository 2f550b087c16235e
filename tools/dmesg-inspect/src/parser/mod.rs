// SPDX-License-Identifier: GPL-2.0
//! The report parser.
//!
//! [`Parser`] receives message texts one at a time (already stripped of
//! their capture prefix, see [`crate::prefix`]). Outside a report it only
//! looks for start lines from [`crate::table::TABLE`] and for the
//! `INFO: lockdep is turned off.` note. Inside a report, a builder
//! interprets every line; the report is closed when its last part has been
//! seen and a line arrives that cannot belong to it, when another report
//! starts, when too many unrelated lines pass, or at the end of the input.
//!
//! The files of this module:
//!
//! - `stream.rs`: the [`Parser`]: opening and closing reports, holding
//!   finished findings back (see there) and merging repeated soft lockups;
//! - `report.rs`: the builder of one finding: what every report has (its
//!   lines, tasks, locks, notes, stacks), the trailers any report may have,
//!   and the hand-over of each line to the state of the report's family;
//! - `trace.rs`: stack traces (`Call Trace:`, `<IRQ>`/`<TASK>` markers,
//!   frames) and where their frames go;
//! - `preamble.rs`: the dump_stack() preamble (`CPU:`, `Hardware name:`,
//!   kernel identification, registers, irq event stamps);
//! - `locks.rs`: lock lines and held-lock lists, which several families
//!   print;
//! - one file per family, each owning its state and line handling:
//!   `lockdep.rs` (lockdep reports, with the scenario table in
//!   `scenario.rs`), `hung.rs` (hung tasks), `lockup.rs` (soft lockups and
//!   the NMI backtraces of other CPUs) and `other.rs` (BUG, WARNING, Oops,
//!   panic, RCU stall, ...).
//!
//! The function a title blames is chosen by [`crate::culprit`]. Everything
//! a builder stores is bounded.

use crate::re::Caps;

/// Compiles a regular expression once, on first use.
macro_rules! re {
    ($name:ident, $pat:expr) => {
        static $name: LazyLock<Re> = LazyLock::new(|| Re::new($pat));
    };
}

mod hung;
mod lockdep;
mod locks;
mod lockup;
mod other;
mod preamble;
mod report;
mod scenario;
mod stream;
mod trace;

pub use stream::Parser;

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

/// Result of offering a line to a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Take {
    /// The line belongs to the report.
    Used,
    /// The line does not belong to the report but does not end it.
    Ignored,
    /// The report is over; the line must be handled by the caller.
    Close,
}

fn cap<'t>(c: &Caps<'t>, name: &str) -> Option<&'t str> {
    c.name(name)
}

/// A PID (or other number) captured as `name`, if it parses.
fn cap_num<T: std::str::FromStr>(c: &Caps, name: &str) -> Option<T> {
    cap(c, name).and_then(|p| p.parse().ok())
}

fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A line of `=` signs: the banner above and below lockdep's headers and
/// at the end of a held-locks dump.
fn is_banner(t: &str) -> bool {
    t.len() >= 5 && t.bytes().all(|b| b == b'=')
}
