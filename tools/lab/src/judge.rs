// SPDX-License-Identifier: GPL-2.0
//! Judging one scenario from its boot's folder.
//!
//! The guest observes, the host judges. A scenario passes only if the
//! guest reported every check its declaration names, each once, all ok,
//! and nothing it does not name; its script exited 0 (or, if it ends in a
//! panic, the kernel panicked before the script could end); the console
//! matched every declared pattern; the driver's own checks passed; and its
//! part of the kernel log shows what the declaration says: the findings
//! `dmesg-inspect` reads, every declared log line, the module's verdict,
//! and kunit.py's reading of the KUnit results. Its plan (the number of
//! subtests) is known before the boot: [`subtest_count`].
//!
//! [`Judge::scenario`] is the one composition of these: the suite, the
//! stories and the runner's tests on recorded boots all judge through it.

use std::path::Path;

use dmesg_inspect::expect::Evaluator;

use crate::boot::{Analysis, Ending};
use crate::decl::Declaration;
use crate::ktap::{Line, TestResult};
use crate::logfacts::Scope;
use crate::protocol::ScenarioLog;
use crate::Error;

/// What one boot came back with: its folder's analysis and its driver's
/// checks, or why there was no boot.
pub type BootOutcome = Result<(Analysis, Option<DriverChecks>), Error>;

/// The declarations a verdict may need (those of the other scenarios of
/// a shared boot among them), and kunit.py.
pub struct Judge<'a> {
    pub decls: &'a [Declaration],
    pub kunit_py: &'a Path,
}

impl Judge<'_> {
    fn decl(&self, name: &str) -> Option<&Declaration> {
        self.decls.iter().find(|d| d.name == name)
    }

    /// Judges scenario `name` of a boot: everything its declaration says,
    /// then whether a report of another scenario of its boot leaves it not
    /// judged, then, for an exercise's skeleton, whether it failed as
    /// stated.
    pub fn scenario(&self, name: &str, outcome: &BootOutcome) -> TestResult {
        let Some(decl) = self.decl(name) else {
            return TestResult::plain(name, false, 0.0, vec![format!("no declaration of {name}")]);
        };
        match outcome {
            Err(e) => TestResult {
                name: name.to_string(),
                ok: false,
                directive: Some(format!("no boot: {}", e.message)),
                seconds: 0.0,
                diags: std::iter::once(e.to_string()).collect(),
                subtests: None,
            },
            Ok((analysis, driver)) => {
                let mut r = judge(decl, analysis, driver.as_ref(), self.kunit_py);
                shared_boot(&mut r, analysis, &|n| self.decl(n));
                if decl.must_fail.is_empty() {
                    r
                } else {
                    fails_as_stated(r, &decl.must_fail)
                }
            }
        }
    }
}

/// The subtests a scenario reports: its checks, one per console pattern,
/// the driver's checks, how the script ended, the inspector's verdict, one
/// per declared log fact, the module's verdict if declared, and kunit.py's
/// if the kernel log holds KUnit results.
pub fn subtest_count(decl: &Declaration, driver_checks: usize) -> usize {
    decl.plan.checks.len()
        + decl.scenario.console.len()
        + driver_checks
        + 2
        + decl.plan.log.len()
        + usize::from(decl.verdict.is_some())
        + usize::from(decl.scenario.kunit)
}

/// What a driver checked on the host, in its declared number.
#[derive(Debug, Clone, Default)]
pub struct DriverChecks {
    pub names: Vec<&'static str>,
    pub results: Vec<bool>,
}

/// Judges `decl`'s part of the boot in `boot`.
fn judge(
    decl: &Declaration,
    boot: &Analysis,
    driver: Option<&DriverChecks>,
    kunit_py: &Path,
) -> TestResult {
    let name = &decl.name;
    let plan = &decl.plan.checks;
    let mut lines = vec![Line::Diag(format!(
        "boot: {} on {}, {:.1} s, ended: {}",
        boot.record.run,
        boot.record.accel,
        boot.record.wall_secs,
        ending_words(boot)
    ))];
    let empty = ScenarioLog::default();
    let log = boot.guest.scenario(name).unwrap_or(&empty);
    // The guest's diagnostics and checks, in the order they came.
    let mut seen: Vec<&str> = Vec::new();
    let mut undeclared = Vec::new();
    let mut twice = Vec::new();
    let mut diags = log.lines.iter().peekable();
    for c in &log.checks {
        while let Some((_, d)) = diags.next_if(|(t, _)| *t <= c.uptime) {
            lines.push(Line::Diag(strip_hash(d)));
        }
        if !plan.contains(&c.id) {
            undeclared.push(c.id.clone());
            lines.push(Line::Diag(format!(
                "not declared: check {} ({})",
                c.id, c.description
            )));
        } else if seen.contains(&c.id.as_str()) {
            twice.push(c.id.clone());
            lines.push(Line::Diag(format!(
                "reported again: check {} ({})",
                c.id, c.description
            )));
        } else {
            seen.push(&c.id);
            lines.push(Line::Test {
                ok: c.ok,
                name: c.description.clone(),
            });
        }
    }
    for (_, d) in diags {
        lines.push(Line::Diag(strip_hash(d)));
    }
    let missing: Vec<&String> = plan
        .iter()
        .filter(|id| !seen.contains(&id.as_str()))
        .collect();
    for id in &missing {
        lines.push(Line::Test {
            ok: false,
            name: format!("check {id} never ran"),
        });
    }
    for re in &decl.scenario.console {
        let ok = regex::Regex::new(re)
            .map(|r| r.is_match(&boot.console))
            .unwrap_or(false);
        lines.push(Line::Test {
            ok,
            name: format!("console shows: {re}"),
        });
    }
    if let Some(d) = driver {
        for (i, n) in d.names.iter().enumerate() {
            let ok = d.results.get(i).copied().unwrap_or(false);
            let name = if i < d.results.len() {
                n.to_string()
            } else {
                format!("{n} (never ran)")
            };
            lines.push(Line::Test { ok, name });
        }
    }
    lines.push(ended(decl, plan, boot, log, &missing, &undeclared, &twice));
    let part = boot.kernel_part(name);
    lines.extend(inspect(decl, &part));
    let whole = boot.kernel_log();
    for f in &decl.plan.log {
        let (ok, diag) = f.judge(
            if f.scope == Scope::Boot {
                &whole
            } else {
                &part
            },
            &log.measures,
        );
        lines.push(Line::Diag(format!("log: {diag}")));
        lines.push(Line::Test {
            ok,
            name: f.about.clone(),
        });
    }
    if let Some(v) = &decl.verdict {
        let (ok, diag) = v.judge(&part, &decl.scenario.module);
        lines.push(Line::Diag(format!("verdict: {diag}")));
        lines.push(Line::Test {
            ok,
            name: v.about(&decl.scenario.module),
        });
    }
    if decl.scenario.kunit {
        let (ok, diags) = kunit_verdict(kunit_py, &part, decl.plan.kunit_suites);
        lines.extend(
            diags
                .into_iter()
                .map(|d| Line::Diag(format!("kunit.py: {d}"))),
        );
        lines.push(Line::Test {
            ok,
            name: format!(
                "kunit.py parses the KUnit results in the kernel log: all {} suites ran, every case passed",
                decl.plan.kunit_suites
            ),
        });
    }
    lines.push(Line::Diag(format!(
        "log: {}",
        boot.dir.join("console.log").display()
    )));
    let count = subtest_count(decl, driver.map(|d| d.names.len()).unwrap_or(0));
    let ok = lines
        .iter()
        .all(|l| !matches!(l, Line::Test { ok: false, .. }));
    let seconds = log.seconds().unwrap_or(boot.record.wall_secs);
    TestResult {
        name: name.clone(),
        ok,
        directive: None,
        seconds,
        diags: vec![],
        subtests: Some((count, lines)),
    }
}

/// A guest diagnostic as the KTAP shows it: without its `# `, Rust symbols
/// demangled.
fn strip_hash(d: &str) -> String {
    dmesg_inspect::symbols::demangle_text(d.strip_prefix("# ").unwrap_or(d)).into_owned()
}

fn ending_words(boot: &Analysis) -> String {
    match boot.record.ending {
        Ending::Finished => "the guest finished".into(),
        Ending::Panicked => "in a kernel panic".into(),
        Ending::Died => format!(
            "QEMU exited before the guest finished (stopped at: {})",
            boot.stage()
        ),
        Ending::TimedOut => format!(
            "timeout after {} s, QEMU killed (stopped at: {})",
            boot.record.timeout_secs,
            boot.stage()
        ),
        Ending::Interrupted => format!("interrupted (stopped at: {})", boot.stage()),
    }
}

/// The subtest that says how the guest script ended.
fn ended(
    decl: &Declaration,
    plan: &[String],
    boot: &Analysis,
    log: &ScenarioLog,
    missing: &[&String],
    undeclared: &[String],
    twice: &[String],
) -> Line {
    let mut why = Vec::new();
    if decl.panics() {
        if boot.record.ending != Ending::Panicked {
            why.push(format!(
                "the boot must end in a kernel panic, but it ended {}",
                ending_words(boot)
            ));
        }
        if let Some((status, _)) = log.exit {
            why.push(format!(
                "the guest script exited ({status}) instead of the kernel panicking"
            ));
        }
    } else {
        match log.exit {
            None if log.missing => why.push("the guest has no script for it".to_string()),
            None if log.start.is_none() => why.push(format!(
                "the guest never started it (boot: {})",
                ending_words(boot)
            )),
            None => why.push(format!(
                "the guest script never ended (boot: {})",
                ending_words(boot)
            )),
            Some((0, _)) => {}
            Some((status, _)) => why.push(format!("the guest script exited {status}")),
        }
    }
    let mut unknown: Vec<&str> = log
        .lines
        .iter()
        .filter_map(|(_, l)| shell_not_found(l))
        .collect();
    unknown.sort_unstable();
    unknown.dedup();
    if !unknown.is_empty() {
        why.push(format!(
            "the script ran commands that do not exist: {}",
            unknown.join(", ")
        ));
    }
    if !missing.is_empty() {
        why.push(format!(
            "the guest reported {} of its {} declared checks",
            plan.len() - missing.len(),
            plan.len()
        ));
    }
    if !undeclared.is_empty() {
        why.push(format!(
            "it ran checks its declaration does not name: {}",
            undeclared.join(", ")
        ));
    }
    if !twice.is_empty() {
        why.push(format!("it reported checks twice: {}", twice.join(", ")));
    }
    let how = if decl.panics() {
        "the kernel panicked"
    } else {
        "exited 0"
    };
    match why.is_empty() {
        true => Line::Test {
            ok: true,
            name: format!("the guest ran its {} declared checks and {how}", plan.len()),
        },
        false => Line::Test {
            ok: false,
            name: format!("the guest ran its declared checks: {}", why.join("; ")),
        },
    }
}

/// The command of a shell's "not found" error (`x.sh: line 4: tasks_done:
/// not found`): a script that calls what neither it nor the
/// library defines has a bug, even if it exits 0.
fn shell_not_found(line: &str) -> Option<&str> {
    let rest = line.strip_suffix(": not found")?;
    let (head, command) = rest.rsplit_once(": ")?;
    head.contains(": line ").then_some(command)
}

/// The inspector's verdict on the scenario's part of the kernel log.
fn inspect(decl: &Declaration, part: &str) -> Vec<Line> {
    let file = decl
        .file
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let test = |ok: bool| Line::Test {
        ok,
        name: format!("dmesg findings match {file}"),
    };
    if part.trim().is_empty() {
        return vec![
            Line::Diag(format!("no kernel log was captured for {}", decl.name)),
            test(false),
        ];
    }
    let (listed, total, mismatches) = evaluate(decl, part);
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

/// The inspector on a part of the kernel log against a declaration: the
/// findings as listed, their number, and what did not match.
fn evaluate(decl: &Declaration, part: &str) -> (Vec<String>, u64, Vec<String>) {
    let report = dmesg_inspect::parse_bytes(part.as_bytes());
    let mut ev = Evaluator::new(&decl.expect);
    for f in &report.findings {
        ev.feed(f);
    }
    let (listed, total) = ev.listed();
    let listed = listed.to_vec();
    let mismatches = ev.finish(&report.summary);
    (listed, total, mismatches)
}

/// A scenario that passed on its own in a boot it shared: not judged, if
/// another scenario's part of the boot's kernel log holds a report that
/// scenario does not declare (or not as it declares it): a report that
/// nobody expected may be a late effect of any scenario before it. Reports
/// that the scenario of their part declares, found as declared, are its
/// own.
fn shared_boot<'a>(
    r: &mut TestResult,
    boot: &Analysis,
    decl_of: &dyn Fn(&str) -> Option<&'a Declaration>,
) {
    if !r.ok || boot.names.len() < 2 {
        return;
    }
    let unexplained = |o: &str| {
        let part = boot.kernel_part(o);
        reported(&part)
            && !decl_of(o)
                .is_some_and(|d| !d.expect.findings.is_empty() && evaluate(d, &part).2.is_empty())
    };
    if let Some(o) = boot.names.iter().find(|o| **o != r.name && unexplained(o)) {
        r.ok = false;
        r.directive = Some(format!(
            "not judged: its boot was shared with {o}, whose part of the log holds a kernel report"
        ));
    }
}

/// An exercise's skeleton judged by its grader: it passes when the grader
/// failed it, it loaded, and the failing subtests include every one stated
/// (`stated`, parts of their names). The grader's subtests stay as
/// diagnostics: a skeleton's expected failures are no failures of the suite.
fn fails_as_stated(graded: TestResult, stated: &[String]) -> TestResult {
    let lines = graded
        .subtests
        .as_ref()
        .map(|(_, l)| l.clone())
        .unwrap_or_default();
    let tests: Vec<(bool, String)> = lines
        .iter()
        .filter_map(|l| match l {
            Line::Test { ok, name } => Some((*ok, name.clone())),
            Line::Diag(_) => None,
        })
        .collect();
    let loaded = tests.iter().any(|(ok, n)| *ok && n.starts_with("insmod "));
    let failing: Vec<&String> = tests.iter().filter(|(ok, _)| !ok).map(|(_, n)| n).collect();
    let missing: Vec<&String> = stated
        .iter()
        .filter(|s| !failing.iter().any(|f| f.contains(s.as_str())))
        .collect();
    let mut diags = vec![format!(
        "the skeleton, graded: {} of {} subtests passed; it must load and fail: {}",
        tests.iter().filter(|(ok, _)| *ok).count(),
        tests.len(),
        stated.join("; ")
    )];
    diags.extend(
        tests
            .iter()
            .map(|(ok, n)| format!("  {} {n}", if *ok { "ok" } else { "not ok" })),
    );
    let ok = !graded.ok && loaded && missing.is_empty();
    if !loaded {
        diags.push("it did not load: a skeleton must build and load".into());
    }
    if graded.ok {
        diags.push("the grader passed it: the skeleton has no bug to fix".into());
    }
    for m in missing {
        diags.push(format!("it did not fail the stated subtest {m:?}"));
    }
    TestResult {
        name: graded.name,
        ok,
        directive: None,
        seconds: graded.seconds,
        diags,
        subtests: None,
    }
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
