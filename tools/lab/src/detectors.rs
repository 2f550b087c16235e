// SPDX-License-Identifier: GPL-2.0
//! `make detectors`: which of the kernel's detectors saw what, one row per
//! scenario of the lab, written to `docs/detectors.md`.
//!
//! No cell is written by hand. The rows are the declarations
//! (`tests/scenarios/*.expect.json`); each cell is what the scenario's
//! part of the kernel log and its guest lines held in the last run
//! (`out/logs/latest-NAME`), read by the inspector, and the last column is
//! the host's verdict on the scenario in the last `make test`
//! (`out/test-results.ktap`). Where the declaration judges a detector that
//! reported nothing (lockdep, when it forbids other findings and says
//! lockdep stays on), the cell says `silent`, a measured absence; a
//! detector that nobody judged and that said nothing is `-`.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use dmesg_inspect::expect::Others;
use dmesg_inspect::{Finding, Kind};

use crate::decl::Declaration;
use crate::paths::Lab;
use crate::Error;

/// Where the table goes, in the checkout.
pub const PAGE: &str = "docs/detectors.md";

/// The columns, after the scenario's name.
const COLUMNS: [&str; 7] = [
    "lockdep",
    "hung-task detector",
    "its blocker line",
    "soft lockups",
    "lock_stat",
    "kmemleak",
    "last make test",
];

/// One scenario's last run: the kernel's part of the log, the guest's
/// lines, and the host's verdict.
struct LastRun {
    findings: Vec<Finding>,
    guest: String,
}

/// The page: an introduction and the table.
pub fn page(lab: &Lab, decls: &[Declaration]) -> String {
    let ktap = std::fs::read_to_string(lab.out.join("test-results.ktap")).unwrap_or_default();
    let mut s = String::new();
    s.push_str("# Which detector sees which deadlock\n\n");
    s.push_str("<!-- written by `make detectors` from tests/scenarios/*.expect.json and the last run (out/logs/latest-*, out/test-results.ktap); do not edit -->\n\n");
    s.push_str("One row per scenario of the lab. Each cell is what that scenario's last run showed, read from its part of the kernel log by the inspector (lockdep's reports, the hung-task detector's reports and blocker lines, soft lockups) and from the guest's own lines (whether it read `/proc/lock_stat` or kmemleak). `silent` means the scenario's declaration judges the detector and it reported nothing; `-`, that nobody judged it and it said nothing. The last column is the host's verdict in the last `make test`; `not run` where that run did not include the scenario. Regenerate with `make test` and then `make detectors`.\n\n");
    let _ = writeln!(s, "| scenario | {} |", COLUMNS.join(" | "));
    let _ = writeln!(s, "|---{}|", "|---".repeat(COLUMNS.len()));
    for d in decls {
        // Only a scenario of the last `make test`: its logs are of that run.
        let verdict = verdict(&ktap, &d.name);
        let run = (verdict != "not run")
            .then(|| last_run(lab, &d.name))
            .flatten();
        let cells = row(d, run.as_ref(), verdict);
        let _ = writeln!(s, "| `{}` | {} |", d.name, cells.join(" | "));
    }
    s
}

/// Writes the page into the checkout.
pub fn write(lab: &Lab, decls: &[Declaration]) -> Result<(), Error> {
    let path = lab.root.join(PAGE);
    std::fs::write(&path, page(lab, decls))
        .map_err(|e| Error::new(format!("{}: {e}", path.display())))
}

/// What the last run of scenario `name` left, if it ran.
fn last_run(lab: &Lab, name: &str) -> Option<LastRun> {
    let dir = lab.logs_dir().join(format!("latest-{name}"));
    let kernel = std::fs::read(dir.join(format!("{name}.dmesg.txt"))).ok()?;
    let guest = std::fs::read_to_string(dir.join("lab.log"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.split_whitespace().nth(1) == Some(name))
        .collect::<Vec<_>>()
        .join("\n");
    Some(LastRun {
        findings: dmesg_inspect::parse_bytes(&kernel).findings,
        guest,
    })
}

/// The host's verdict on `name` in a KTAP report: its top-level result.
fn verdict(ktap: &str, name: &str) -> &'static str {
    for l in ktap.lines() {
        let (ok, rest) = match l.strip_prefix("not ok ") {
            Some(r) => (false, r),
            None => match l.strip_prefix("ok ") {
                Some(r) => (true, r),
                None => continue,
            },
        };
        let mut words = rest.split_whitespace();
        if words.next().is_some_and(|n| n.parse::<u32>().is_ok()) && words.next() == Some(name) {
            return if ok { "passed" } else { "FAILED" };
        }
    }
    "not run"
}

/// A scenario's cells.
fn row(d: &Declaration, run: Option<&LastRun>, verdict: &str) -> Vec<String> {
    let Some(run) = run else {
        let mut cells = vec!["not run".to_string(); COLUMNS.len() - 1];
        cells.push(verdict.to_string());
        return cells;
    };
    let of = |k: Kind| run.findings.iter().filter(move |f| f.kind == k);
    vec![
        lockdep(d, &run.findings),
        match of(Kind::HungTask).count() {
            0 => "-".into(),
            _ => format!("{} task(s)", tasks(of(Kind::HungTask)).len()),
        },
        blockers(of(Kind::HungTask)),
        match of(Kind::SoftLockup).count() {
            0 => "-".into(),
            n => format!("{n} CPU report(s)"),
        },
        read_by_guest(&run.guest, "lock_stat"),
        read_by_guest(&run.guest, "kmemleak"),
        verdict.to_string(),
    ]
}

/// Lockdep's reports by kind, or whether its silence was judged.
fn lockdep(d: &Declaration, findings: &[Finding]) -> String {
    let kinds: BTreeSet<&str> = findings
        .iter()
        .filter(|f| f.kind.is_lockdep())
        .map(|f| f.kind.as_str())
        .collect();
    if !kinds.is_empty() {
        return kinds.into_iter().collect::<Vec<_>>().join(", ");
    }
    let e = d.expectation(None);
    let judged = e.is_some_and(|e| {
        e.others == Others::Forbid
            && e.lockdep_off == Some(false)
            && !e.findings.iter().any(|m| m.kind.is_lockdep())
    });
    if judged { "silent" } else { "-" }.into()
}

/// The distinct tasks the findings are about (their first task).
fn tasks<'a>(findings: impl Iterator<Item = &'a Finding>) -> BTreeSet<String> {
    findings
        .filter_map(|f| f.tasks.first())
        .map(|t| t.name.clone())
        .collect()
}

/// What the hung-task detector's blocker lines said, one entry per kind of
/// wait: the primitive and whether a holder was named, or no line at all.
fn blockers<'a>(hung: impl Iterator<Item = &'a Finding>) -> String {
    let said: BTreeSet<String> = hung
        .map(|f| match &f.blocked_on {
            Some(b) if b.task.is_some() => format!("{}, holder named", b.primitive),
            Some(b) => format!("{}, no holder found", b.primitive),
            None => "none printed".into(),
        })
        .collect();
    match said.is_empty() {
        true => "-".into(),
        false => said.into_iter().collect::<Vec<_>>().join("; "),
    }
}

/// Whether the scenario's guest lines show that it read `what`.
fn read_by_guest(guest: &str, what: &str) -> String {
    match guest.contains(what) {
        true => "read".into(),
        false => "-".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_come_from_the_top_level_results() {
        let ktap = "KTAP version 1\n1..2\n    ok 1 completion\nok 1 completion\nnot ok 2 rwsem-read # SKIP x\n";
        assert_eq!(verdict(ktap, "completion"), "passed");
        assert_eq!(verdict(ktap, "rwsem-read"), "FAILED");
        assert_eq!(verdict(ktap, "rwsem"), "not run");
        assert_eq!(verdict("", "completion"), "not run");
    }

    #[test]
    fn guest_lines_say_what_was_read() {
        assert_eq!(
            read_by_guest("2.1 fixed # lock_stat: sem1", "lock_stat"),
            "read"
        );
        assert_eq!(read_by_guest("2.1 fixed # lockdep", "kmemleak"), "-");
    }
}
