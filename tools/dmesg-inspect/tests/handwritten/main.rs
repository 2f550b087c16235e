// SPDX-License-Identifier: GPL-2.0
//! The hand-written fixtures (`tests/fixtures/*.log` other than `real_*`),
//! pinned by hand: for every fixture the findings' kind, title, culprit,
//! tasks and locks (class, role and holder), and where they matter what a
//! hung task waits on, the stuck CPU, whether the report was cut, whether
//! lockdep said it is off, and the notes. `fixtures.rs` compares the whole
//! output with the `.expected.json` files, which `UPDATE_EXPECT=1`
//! rewrites; these facts do not move with them. The real logs are pinned
//! by `real_logs.rs`, and [`every_fixture_is_pinned_by_hand`] keeps the
//! two lists complete. The tests are grouped as the parser's families are:
//! `lockdep.rs`, `hung.rs`, `other.rs` (soft lockups and `other`).

use std::fs;
use std::path::Path;

use dmesg_inspect::{parse_bytes, Finding, Kind, Report};

mod eras;
mod eras_lts;
mod hung;
mod layouts;
mod lockdep;
mod other;

fn parse(name: &str) -> Report {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format!("{name}.log"));
    parse_bytes(&fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// The fixtures these tests pin.
const HANDWRITTEN: &[&str] = &[
    "abba_full",
    "arm_stacks",
    "bad_unlock",
    "circular",
    "circular_chain3",
    "clean_boot",
    "dmesg_T",
    "dmesg_x",
    "empty",
    "era_2.6.32",
    "era_3.10",
    "era_4.14",
    "era_4.19",
    "era_4.4",
    "era_5.10",
    "era_6.1",
    "era_6.12",
    "gpf",
    "held_lock_freed",
    "held_lock_return",
    "hung_task",
    "hung_task_mutex_rwsem",
    "inconsistent",
    "interleaved",
    "invalid_utf8",
    "irq_inversion",
    "irq_safe_unsafe",
    "journalctl",
    "kernel_bug",
    "level_prefix",
    "lockdep_off_only",
    "locks_held_at_exit",
    "lone_cr",
    "not_lock_reports",
    "oops_null",
    "printk_caller",
    "rcu_stall",
    "recursive",
    "report_interrupted",
    "serial_console",
    "soft_lockup",
    "truncated_mid_stack",
    "two_reports",
    "warning",
    "x86_old_layouts",
];

/// What a finding must say. Every field is checked.
struct Want {
    kind: Kind,
    title: &'static str,
    culprit: Option<&'static str>,
    /// `NAME/PID` in order.
    tasks: &'static [&'static str],
    /// `class role`, with ` (NAME/PID)` for an entry of a held-locks list.
    locks: &'static [&'static str],
    truncated: bool,
    lockdep_off: bool,
}

impl Want {
    #[track_caller]
    fn check(&self, f: &Finding) {
        assert_eq!(f.kind, self.kind, "{f:#?}");
        assert_eq!(f.title, self.title);
        assert_eq!(f.culprit.as_deref(), self.culprit);
        assert_eq!(tasks(f), self.tasks);
        assert_eq!(locks(f), self.locks);
        assert_eq!(f.truncated, self.truncated, "truncated");
        assert_eq!(f.lockdep_off, self.lockdep_off, "lockdep_off");
        // Only soft lockups are ever merged.
        assert_eq!(f.repeats, 1);
    }
}

fn tasks(f: &Finding) -> Vec<String> {
    f.tasks.iter().map(|t| t.to_string()).collect()
}

fn locks(f: &Finding) -> Vec<String> {
    f.locks
        .iter()
        .map(|l| match &l.holder {
            Some(h) => format!("{} {} ({h})", l.class, l.role),
            None => format!("{} {}", l.class, l.role),
        })
        .collect()
}

/// `primitive owner` of a hung task's blocker line (`-` for no owner).
fn blocked_on(f: &Finding) -> Option<String> {
    f.blocked_on.as_ref().map(|b| {
        let owner = b.task.as_ref().map_or("-".to_string(), |t| t.to_string());
        format!("{} {owner}", b.primitive)
    })
}

fn chain(f: &Finding) -> Vec<&str> {
    f.chain.iter().map(|e| e.class.as_str()).collect()
}

fn labels(f: &Finding) -> Vec<&str> {
    f.other_stacks.iter().map(|s| s.label.as_str()).collect()
}

#[test]
fn logs_without_reports() {
    for name in ["clean_boot", "empty", "lockdep_off_only"] {
        let r = parse(name);
        assert!(r.findings.is_empty(), "{name}: {:#?}", r.findings);
        assert_eq!(r.summary.findings, 0);
    }
    assert!(!parse("clean_boot").summary.lockdep_off);
    assert_eq!(parse("empty").summary.lines, 0);
    // SysRq asked for the held locks after lockdep had turned itself off.
    let r = parse("lockdep_off_only");
    assert!(r.summary.lockdep_off);
    assert_eq!(r.summary.lockdep_off_line, Some(4));
}

#[test]
fn two_reports_then_a_hung_round() {
    let r = parse("two_reports");
    assert_eq!(r.findings.len(), 4);
    lockdep::recursive_sem1(&r.findings[0]);
    other::warning_in_cleanup(&r.findings[1]);
    hung::hung_pair(&r.findings[2], &r.findings[3]);
}

/// A fixture without hand-written assertions would be pinned only by its
/// `.expected.json`: every hand-written fixture must be in
/// [`HANDWRITTEN`] (and checked by a test here), and every real log must
/// be named in `real_logs.rs`.
#[test]
fn every_fixture_is_pinned_by_hand() {
    let real_tests = include_str!("../real_logs.rs");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut seen = Vec::new();
    for e in fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let Some(stem) = p
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".log"))
        else {
            continue;
        };
        match stem.strip_prefix("real_") {
            Some(scenario) => assert!(
                real_tests.contains(&format!("\"{scenario}\"")),
                "{stem}.log is not checked in real_logs.rs"
            ),
            None => {
                assert!(
                    HANDWRITTEN.contains(&stem),
                    "{stem}.log is not checked in tests/handwritten/"
                );
                seen.push(stem.to_string());
            }
        }
    }
    assert_eq!(seen.len(), HANDWRITTEN.len(), "a listed fixture is missing");
}
