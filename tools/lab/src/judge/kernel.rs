// SPDX-License-Identifier: GPL-2.0
//! What the kernel log shows of a scenario: the inspector's findings
//! against the declaration, kunit.py's reading of KUnit's results, and, for
//! a guest that locked up, which CPUs were stuck where.

use std::path::Path;

use dmesg_inspect::expect::{Evaluator, Expectation};

use crate::decl::Declaration;
use crate::ktap::Line;

/// The inspector's verdict on the scenario's part of the kernel log.
pub(super) fn inspect(decl: &Declaration, expect: Option<&Expectation>, part: &str) -> Vec<Line> {
    let file = decl
        .file
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let test = |ok: bool| Line::Test {
        ok,
        name: format!("dmesg findings match {file}"),
    };
    let Some(expect) = expect else {
        return vec![test(false)];
    };
    if part.trim().is_empty() {
        return vec![
            Line::Diag(format!("no kernel log was captured for {}", decl.name)),
            test(false),
        ];
    }
    let (listed, total, mismatches) = evaluate(expect, part);
    let mut lines: Vec<Line> = vec![Line::Diag(format!("dmesg-inspect: {total} finding(s)"))];
    lines.extend(listed.iter().map(|l| Line::Diag(format!("  {l}"))));
    if mismatches.is_empty() {
        lines.push(Line::Diag("dmesg-inspect: expectation met".into()));
    }
    lines.extend(
        mismatches
            .iter()
            .map(|m| Line::Diag(format!("mismatch: {m}"))),
    );
    lines.push(test(mismatches.is_empty()));
    lines
}

/// The inspector on a part of the kernel log against an expectation: the
/// findings as listed, their number, and what did not match.
pub(super) fn evaluate(expect: &Expectation, part: &str) -> (Vec<String>, u64, Vec<String>) {
    let report = dmesg_inspect::parse_bytes(part.as_bytes());
    let mut ev = Evaluator::new(expect);
    for f in &report.findings {
        ev.feed(f);
    }
    let (listed, total) = ev.listed();
    let listed = listed.to_vec();
    let mismatches = ev.finish(&report.summary);
    (listed, total, mismatches)
}

/// Whether a part of the kernel log holds any kernel report.
pub fn reported(part: &str) -> bool {
    !dmesg_inspect::parse_bytes(part.as_bytes())
        .findings
        .is_empty()
}

/// kunit.py's reading of the last KTAP document in `log`: `suites` suites
/// ran, and every case passed, with no error and no crash; one diagnostic
/// per case.
pub fn kunit_verdict(kunit_py: &Path, log: &str, suites: usize) -> (bool, Vec<String>) {
    // The boot prints an empty KTAP ("1..0") before the lab's run.
    let lines: Vec<&str> = log.lines().collect();
    let Some(start) = lines
        .iter()
        .rposition(|l| l.ends_with("] KTAP version 1") || *l == "KTAP version 1")
    else {
        return (false, vec!["no KTAP in the kernel log".into()]);
    };
    match crate::kunit::parse(kunit_py, &lines[start..].join("\n")) {
        Ok(p) => {
            let ran = crate::kunit::suites(&p);
            let mut diags = vec![p.summary.clone()];
            for (suite, cases) in &ran {
                for (case, status) in cases {
                    diags.push(format!("{suite}: {case}: {status}"));
                }
            }
            if ran.len() != suites {
                diags.push(format!(
                    "{} suite(s) ran; the built modules carry {suites}",
                    ran.len()
                ));
            }
            let ok = ran.len() == suites
                && p.tests > 0
                && p.passed == p.tests
                && p.errors == 0
                && p.crashed == 0;
            (ok, diags)
        }
        Err(e) => (false, vec![e.to_string()]),
    }
}

/// For a guest that locked up: each stuck CPU's task and the function it
/// spins in (the soft-lockup reports' own), and the locks lockdep named, if
/// it reported; one diagnostic each.
pub(super) fn lockup_story(part: &str) -> Vec<String> {
    use dmesg_inspect::Kind;
    let report = dmesg_inspect::parse_bytes(part.as_bytes());
    let mut out = Vec::new();
    let mut cpus: Vec<u32> = Vec::new();
    for f in report
        .findings
        .iter()
        .filter(|f| f.kind == Kind::SoftLockup)
    {
        let Some(cpu) = f.cpu else { continue };
        if cpus.contains(&cpu) {
            continue;
        }
        cpus.push(cpu);
        let task = f
            .tasks
            .first()
            .map(|t| format!("{}:{}", t.name, t.pid.unwrap_or(0)));
        let spins = f
            .other_stacks
            .iter()
            .find(|s| s.label == "RIP")
            .and_then(|s| s.frames.first())
            .or(f.frames.first())
            .map(|fr| fr.split('+').next().unwrap_or(fr).to_string());
        out.push(format!(
            "CPU#{cpu}: {} spins in {}{}",
            task.unwrap_or_else(|| "a task".into()),
            spins.unwrap_or_else(|| "an unknown function".into()),
            f.culprit
                .as_ref()
                .map(|c| format!(", called from {c}"))
                .unwrap_or_default()
        ));
    }
    let mut locks: Vec<String> = Vec::new();
    for f in report.findings.iter().filter(|f| f.kind.is_lockdep()) {
        for l in &f.locks {
            if !locks.contains(&l.class) {
                locks.push(l.class.clone());
            }
        }
    }
    if !locks.is_empty() {
        out.push(format!(
            "the locks, as lockdep named them: {}",
            locks.join(", ")
        ));
    }
    if out.is_empty() {
        out.push(
            "the kernel named no stuck CPU (interrupts off everywhere: nothing reports)".into(),
        );
    }
    out
}
