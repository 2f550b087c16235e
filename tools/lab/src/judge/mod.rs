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

mod guest;
mod kernel;

use crate::boot::{Analysis, Ending};
use crate::decl::Declaration;
use crate::ktap::{Line, TestResult};
use crate::logfacts::Scope;
use crate::outcome::Outcome;
use crate::protocol::ScenarioLog;
use crate::Error;

pub use kernel::{kunit_verdict, reported};

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
        + usize::from(decl.outcomes.is_some())
        + usize::from(decl.lock_order.is_some())
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
    // For a declaration of outcomes: the one that happened.
    let outcome = decl.outcomes.as_ref().and(Outcome::of(boot, name));
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
        match outcome {
            // A dead guest cannot report the rest: its checks count up to
            // the lockup or the panic.
            Some(o) if !o.guest_answers() => lines.push(Line::Skip {
                name: format!("check {id}"),
                why: format!("not reached: the outcome is {o}"),
            }),
            _ => lines.push(Line::Test {
                ok: false,
                name: format!("check {id} never ran"),
            }),
        }
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
    let reached = match outcome {
        Some(o) if !o.guest_answers() => &[][..],
        _ => &missing[..],
    };
    lines.push(guest::ended(
        decl,
        outcome,
        boot,
        log,
        reached,
        &undeclared,
        &twice,
    ));
    let part = boot.kernel_part(name);
    if boot.record.ending == Ending::LockedUp {
        lines.push(Line::Diag("the guest locked up:".into()));
        lines.extend(
            kernel::lockup_story(&part)
                .into_iter()
                .map(|l| Line::Diag(format!("  {l}"))),
        );
    }
    if let Some(declared) = &decl.outcomes {
        let names: Vec<&str> = declared.keys().map(|o| o.as_str()).collect();
        let (ok, what) = match outcome {
            Some(o) if declared.contains_key(&o) => (true, o.to_string()),
            Some(o) => (false, format!("{o}, which it does not declare")),
            None => (
                false,
                format!("none: the boot ended {}", ending_words(boot)),
            ),
        };
        lines.push(Line::Test {
            ok,
            name: format!("outcome: {what} (declared: {})", names.join(", ")),
        });
    }
    lines.extend(kernel::inspect(decl, decl.expectation(outcome), &part));
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
    if let Some((file, order)) = &decl.lock_order {
        let file = file.file_name().unwrap_or_default().to_string_lossy();
        let (ok, diags) = match &log.graph {
            None => (
                false,
                vec![
                    "the guest printed no lockdep graph (lockdep_graph, before the unload)"
                        .to_string(),
                ],
            ),
            Some(g) => {
                let g = &g.without_semaphore_internals();
                let extra = order.missing(g);
                let mut d = vec![format!(
                    "lockdep's graph: {} class(es), edges: {}",
                    g.classes.len(),
                    if g.edges.is_empty() {
                        "none".into()
                    } else {
                        g.edges
                            .iter()
                            .map(|e| e.words())
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                )];
                d.extend(
                    extra
                        .iter()
                        .map(|e| format!("lockdep saw {}, which {file} lacks", e.words())),
                );
                (extra.is_empty(), d)
            }
        };
        lines.extend(
            diags
                .into_iter()
                .map(|d| Line::Diag(format!("lock order: {d}"))),
        );
        lines.push(Line::Test {
            ok,
            name: format!("lockdep's graph of the module keeps to {file}"),
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

pub fn ending_words(boot: &Analysis) -> String {
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
        Ending::LockedUp => format!(
            "the guest locked up, QEMU killed ({})",
            boot.record.lockup.as_deref().unwrap_or("no heartbeat")
        ),
    }
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
        kernel::reported(&part)
            && !decl_of(o).is_some_and(|d| {
                let e = d.expectation(Outcome::of(boot, o).filter(|_| d.outcomes.is_some()));
                e.is_some_and(|e| !e.findings.is_empty() && kernel::evaluate(e, &part).2.is_empty())
            })
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
            Line::Diag(_) | Line::Skip { .. } => None,
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
