// SPDX-License-Identifier: GPL-2.0
//! The table of recognised kernel reports.
//!
//! Modelled on syzkaller's `pkg/report` (`linux.go`): every entry names the
//! line that starts a report, the kind it maps to, and how the title is
//! formed from the report. Titles follow syzkaller's formats so that a
//! finding can be matched against syzbot reports; the function in the title
//! is chosen the way syzkaller chooses it (see [`crate::culprit`]).
//!
//! Entries are tried in order; the first whose start pattern matches wins.

use std::sync::{LazyLock, OnceLock};

use crate::re::Re;
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use crate::culprit::Culprit;
use crate::model::Kind;

/// How the start line is recognised.
pub enum Start {
    /// Literal text anywhere in the message.
    Contains(&'static str),
    /// Regular expression over the message text.
    Pattern(&'static str),
}

/// One row of the table.
pub struct ReportDef {
    pub kind: Kind,
    pub start: Start,
    /// Strings of which every start line of the entry contains at least
    /// one: the entry's pattern is compiled and tried only on lines that
    /// contain one, so that a log compiles only the patterns of the
    /// reports it may hold.
    pub needles: &'static [&'static str],
    /// Title format: `{}` is replaced by the culprit function and `{level}`
    /// by the header's leading `WARNING`/`BUG` (older kernels print these
    /// lockdep reports as `BUG:`, and syzkaller titles follow the header).
    /// `None` means the title is the header line itself.
    pub title: Option<&'static str>,
    pub culprit: Culprit,
}

/// Only messages that contain at least one of these strings can start a
/// report or be otherwise noticed outside a report. Used as a fast filter
/// over the raw input; it must be a superset of every start pattern.
///
/// The set is kept small and distinctive: the searcher's cost grows with
/// the number of strings and with how often their first bytes occur in
/// ordinary log text. The x86 oops headers (`general protection fault`,
/// `divide error:`, `invalid opcode:`, `stack segment:`) are all printed by
/// `__die()` as `HEADER: 0000 [#N] ...`, so the die counter ` [#` stands
/// for all of them. The banner in front of a header (`=====...`,
/// `------------[ cut here ]------------`) needs no trigger: the reader
/// hands over the line before every trigger line too
/// ([`crate::input::RecordReader::skip_to_trigger`]). A task's claim
/// (`TASK: holding LOCK`, [`crate::model::Claim`]) is found by its verb
/// alone: with the `: ` in front, the searcher's filter on the first bytes
/// would stop at every `NAME: w...` of ordinary log lines.
pub const TRIGGERS: &[&str] = &[
    "BUG",
    "WARNING:",
    "INFO:",
    "Oops",
    " [#",
    "Kernel panic",
    "Unable to handle",
    "UBSAN:",
    "PANIC:",
    "holding ",
    "waiting for ",
];

/// The report table (see module documentation).
///
/// lockdep's headers changed twice: until 4.12 they were bracketed and
/// used `INFO:` for what lockdep suspects and `BUG:` for what it knows
/// (`[ INFO: possible circular locking dependency detected ]`,
/// `[ BUG: bad unlock balance detected! ]`); 4.13 dropped the brackets and
/// 4.15 made them all `WARNING:`. The patterns accept every form; the
/// header keeps the closing ` ]` (a title made of the header is the one
/// syzkaller gives such a report) and the rules of [`Culprit`] follow
/// syzkaller's separate formats for the `INFO:` and `WARNING:` forms.
pub static TABLE: &[ReportDef] = &[
    ReportDef {
        kind: Kind::Circular,
        start: Start::Pattern(
            r"^(?:\[ )?(?:WARNING|INFO): possible circular locking dependency detected",
        ),
        needles: &["possible circular locking dependency detected"],
        title: Some("possible deadlock in {}"),
        culprit: Culprit::Circular,
    },
    ReportDef {
        kind: Kind::Recursive,
        start: Start::Pattern(r"^(?:\[ )?(?:WARNING|INFO): possible recursive locking detected"),
        needles: &["possible recursive locking detected"],
        title: Some("possible deadlock in {}"),
        culprit: Culprit::FirstLockSite,
    },
    ReportDef {
        kind: Kind::Inconsistent,
        start: Start::Pattern(r"^(?:\[ )?(?:WARNING|INFO): inconsistent lock state"),
        needles: &["inconsistent lock state"],
        title: Some("inconsistent lock state in {}"),
        culprit: Culprit::Inconsistent,
    },
    ReportDef {
        kind: Kind::IrqInversion,
        start: Start::Pattern(
            r"^(?:\[ )?(?:WARNING|INFO): possible irq lock inversion dependency detected",
        ),
        needles: &["possible irq lock inversion dependency detected"],
        title: Some("possible deadlock in {}"),
        culprit: Culprit::FirstLockSite,
    },
    ReportDef {
        kind: Kind::IrqInversion,
        start: Start::Pattern(
            r"^(?:\[ )?(?:WARNING|INFO): [A-Z_]+-safe -> [A-Z_]+-unsafe lock order detected",
        ),
        needles: &["-unsafe lock order detected"],
        title: Some("possible deadlock in {}"),
        culprit: Culprit::SafeToUnsafe,
    },
    ReportDef {
        kind: Kind::BadUnlock,
        start: Start::Pattern(r"^(?:\[ )?(?:WARNING|BUG): bad unlock balance detected!"),
        needles: &["bad unlock balance detected!"],
        title: Some("{level}: bad unlock balance in {}"),
        culprit: Culprit::ReleaseSiteThenStack,
    },
    ReportDef {
        kind: Kind::HeldLockFreed,
        start: Start::Pattern(r"^(?:\[ )?(?:WARNING|BUG): held lock freed!"),
        needles: &["held lock freed!"],
        title: Some("{level}: held lock freed in {}"),
        culprit: Culprit::HeldLockSite,
    },
    ReportDef {
        kind: Kind::HeldLockReturn,
        start: Start::Pattern(r"^(?:\[ )?(?:WARNING|BUG): lock held when returning to user space!"),
        needles: &["lock held when returning to user space!"],
        title: Some("{level}: lock held when returning to user space in {}"),
        culprit: Culprit::HeldLockSite,
    },
    ReportDef {
        kind: Kind::HeldLockExit,
        start: Start::Pattern(r"^(?:\[ )?(?:WARNING|BUG): .+/[0-9]+ still has locks held!"),
        needles: &[" still has locks held!"],
        title: Some("{level}: still has locks held in {}"),
        culprit: Culprit::HeldLockSite,
    },
    // debug_check_no_locks_held() before 3.9; syzkaller has no format for
    // it, so the title is the header.
    ReportDef {
        kind: Kind::HeldLockExit,
        start: Start::Pattern(r"^(?:\[ )?BUG: lock held at task exit time!"),
        needles: &["BUG: lock held at task exit time!"],
        title: None,
        culprit: Culprit::HeldLockSite,
    },
    ReportDef {
        kind: Kind::HungTask,
        start: Start::Pattern(
            r"^INFO: task .+:[0-9]+ blocked(?: in I/O wait)? for more than [0-9]+ seconds",
        ),
        needles: &[" for more than "],
        title: Some("INFO: task hung in {}"),
        culprit: Culprit::HungTask,
    },
    ReportDef {
        kind: Kind::SoftLockup,
        start: Start::Pattern(
            r"^(?:[a-z_]+: |NMI watchdog: )?BUG: soft lockup - CPU#[0-9]+ stuck for [0-9]+s!",
        ),
        needles: &["BUG: soft lockup - CPU#"],
        title: Some("BUG: soft lockup in {}"),
        culprit: Culprit::Stall,
    },
    // Everything below is reported as kind `other`, titled by its header.
    ReportDef {
        kind: Kind::Other,
        start: Start::Pattern(r"^(?:[a-z_]+: )?BUG: "),
        needles: &["BUG: "],
        title: None,
        culprit: Culprit::FirstFrame,
    },
    ReportDef {
        kind: Kind::Other,
        start: Start::Pattern(r"^(?:[a-z_]+: )?WARNING: "),
        needles: &["WARNING: "],
        title: None,
        culprit: Culprit::FirstFrame,
    },
    ReportDef {
        kind: Kind::Other,
        start: Start::Pattern(
            r"^(?:[a-z_]+: )?INFO: (?:task .+ can't die|rcu_[a-z]+ (?:self-)?detected (?:expedited )?stall|trying to register non-static key|suspicious RCU usage)",
        ),
        needles: &["INFO: "],
        title: None,
        culprit: Culprit::FirstFrame,
    },
    ReportDef {
        kind: Kind::Other,
        start: Start::Pattern(
            r"^Oops(?::| -)|^(?:general protection fault|stack segment: |divide error: |invalid opcode: ).* \[#",
        ),
        needles: &["Oops", " [#"],
        title: None,
        culprit: Culprit::FirstFrame,
    },
    ReportDef {
        kind: Kind::Other,
        start: Start::Pattern(r"^Kernel panic - not syncing"),
        needles: &["Kernel panic - not syncing"],
        title: None,
        culprit: Culprit::FirstFrame,
    },
    ReportDef {
        kind: Kind::Other,
        start: Start::Pattern(
            r"^(?:kernel BUG at |Kernel BUG |Unable to handle kernel |PANIC: double fault|UBSAN: )",
        ),
        needles: &[
            "kernel BUG at ",
            "Kernel BUG ",
            "Unable to handle kernel ",
            "PANIC: double fault",
            "UBSAN: ",
        ],
        title: None,
        culprit: Culprit::FirstFrame,
    },
];

/// The start pattern of every entry, compiled on first use.
static COMPILED: LazyLock<Vec<OnceLock<Re>>> =
    LazyLock::new(|| TABLE.iter().map(|_| OnceLock::new()).collect());

/// Automaton over [`TRIGGERS`], used to skip uninteresting input quickly.
/// Leftmost-first semantics let the crate use its vectorised multi-literal
/// searcher, an order of magnitude faster here than standard semantics.
/// That searcher finds the candidates; a contiguous NFA only confirms them,
/// and builds in a fraction of the time a DFA takes (this runs once per
/// process, which counts on short logs).
pub static TRIGGER_AC: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostFirst)
        .kind(Some(AhoCorasickKind::ContiguousNFA))
        .build(TRIGGERS)
        .expect("valid trigger set")
});

/// Finds the table entry whose start pattern matches `text` (trimmed
/// message). Returns the entry and the text from the start of the match.
pub fn match_start(text: &str) -> Option<(&'static ReportDef, &str)> {
    if !TRIGGER_AC.is_match(text) {
        return None;
    }
    for (def, re) in TABLE.iter().zip(COMPILED.iter()) {
        if !def.needles.iter().any(|n| text.contains(n)) {
            continue;
        }
        match def.start {
            Start::Contains(lit) => {
                if let Some(p) = text.find(lit) {
                    return Some((def, &text[p..]));
                }
            }
            Start::Pattern(p) => {
                if let Some(m) = re.get_or_init(|| Re::new(p)).find(text) {
                    // The bracket of an old lockdep header is not part of it.
                    let hdr = &text[m.start..];
                    return Some((def, hdr.strip_prefix("[ ").unwrap_or(hdr)));
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_start_pattern_is_covered_by_a_trigger() {
        let samples = [
            "WARNING: possible circular locking dependency detected",
            "WARNING: possible recursive locking detected",
            "WARNING: inconsistent lock state",
            "WARNING: possible irq lock inversion dependency detected",
            "WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected",
            "WARNING: bad unlock balance detected!",
            "WARNING: held lock freed!",
            "WARNING: lock held when returning to user space!",
            "WARNING: deadlock_leaker/57 still has locks held!",
            "INFO: task deadlock_lab_a:42 blocked for more than 122 seconds.",
            "watchdog: BUG: soft lockup - CPU#0 stuck for 26s! [deadlock_lab_a:42]",
            "rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:",
            "Oops: general protection fault, probably for non-canonical address 0xdffffc0000000000: 0000 [#1] SMP KASAN NOPTI",
            "Oops: 0000 [#1] SMP NOPTI",
            "general protection fault: 0000 [#1] SMP",
            "divide error: 0000 [#1] SMP",
            "invalid opcode: 0000 [#1] PREEMPT SMP KASAN",
            "stack segment: 0000 [#1] SMP",
            "Unable to handle kernel NULL pointer dereference at virtual address 00000000",
            "PANIC: double fault, error_code: 0x0",
            "UBSAN: array-index-out-of-bounds in foo.c:12:3",
            "Kernel panic - not syncing: hung_task: blocked tasks",
            "kernel BUG at mm/slub.c:123!",
            "BUG: kernel NULL pointer dereference, address: 0000000000000000",
            "WARNING: kernel/foo.c:12 at bar+0x1/0x2, CPU#0: baz/1",
        ];
        for s in samples {
            assert!(TRIGGER_AC.is_match(s), "no trigger for {s}");
            assert!(match_start(s).is_some(), "no table entry for {s}");
        }
    }

    /// Every line of every fixture, as the parser sees it.
    fn fixture_lines() -> Vec<String> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
        let mut lines = Vec::new();
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            if path.extension().is_some_and(|x| x == "log") {
                let data = std::fs::read(&path).unwrap();
                for rec in data.split(|&b| b == b'\n' || b == b'\r') {
                    let cleaned = crate::prefix::clean(rec);
                    let text = crate::prefix::to_text(&cleaned);
                    lines.push(crate::prefix::split(&text).text.trim_start().to_string());
                }
            }
        }
        lines
    }

    #[test]
    fn every_start_line_holds_a_needle_of_its_entry() {
        let compiled: Vec<_> = TABLE
            .iter()
            .filter_map(|d| match d.start {
                Start::Pattern(p) => Some((d, p, Re::new(p))),
                Start::Contains(_) => None,
            })
            .collect();
        for line in fixture_lines() {
            for (def, p, re) in &compiled {
                if re.is_match(&line) {
                    assert!(
                        def.needles.iter().any(|n| line.contains(n)),
                        "{line:?} matches {p:?} without a needle"
                    );
                }
            }
        }
    }

    #[test]
    fn every_claim_is_covered_by_a_trigger() {
        let mut claims = 0;
        for line in fixture_lines() {
            if crate::model::Claim::of(&line, 1).is_some() {
                claims += 1;
                assert!(TRIGGER_AC.is_match(&line), "no trigger for {line:?}");
            }
        }
        assert!(claims > 0, "the fixtures hold no claim");
    }

    #[test]
    fn non_reports_do_not_start() {
        for s in [
            "INFO: lockdep is turned off.",
            "INFO: task deadlock_lab_a:42 blocked on a semaphore likely last held by task deadlock_lab_b:43",
            "deadlock_lab: WARNING is just a word here",
            "======================================================",
            "DEBUG: something",
        ] {
            assert!(match_start(s).is_none(), "{s}");
        }
    }

    #[test]
    fn kinds() {
        let (d, _) = match_start("INFO: task a:1 blocked for more than 2 seconds.").unwrap();
        assert_eq!(d.kind, Kind::HungTask);
        let (d, h) =
            match_start("watchdog: BUG: soft lockup - CPU#1 stuck for 3s! [deadlock_spin_b:54]")
                .unwrap();
        assert_eq!(d.kind, Kind::SoftLockup);
        assert!(h.starts_with("watchdog: BUG: soft lockup"));
        // Kernels before 4.15 print the watchdog's prefix as "NMI watchdog".
        let (d, _) =
            match_start("NMI watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [a:1]").unwrap();
        assert_eq!(d.kind, Kind::SoftLockup);
        let (d, _) = match_start("WARNING: deadlock_leaker/57 still has locks held!").unwrap();
        assert_eq!(d.kind, Kind::HeldLockExit);
        let (d, _) = match_start("BUG: a b/c/9 still has locks held!").unwrap();
        assert_eq!(d.kind, Kind::HeldLockExit);
        let (d, _) = match_start("BUG: spinlock lockup suspected on CPU#0, a/1").unwrap();
        assert_eq!(d.kind, Kind::Other);
    }
}
