// SPDX-License-Identifier: GPL-2.0
//! Results, as KTAP (`Documentation/dev-tools/ktap.rst`) and JUnit XML.
//!
//! The suite is one KTAP document: a plan, then one result per test; a
//! scenario's result carries its own subtests, nested and indented by four
//! spaces, as KUnit prints suites. Diagnostics are `#` lines.

use std::fmt::Write as _;

/// One line of a scenario's subtest document.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    Diag(String),
    Test {
        ok: bool,
        name: String,
    },
    /// A subtest that could not run, and why: KTAP's `ok N NAME # SKIP WHY`.
    Skip {
        name: String,
        why: String,
    },
}

/// One top-level result.
#[derive(Debug, Clone, PartialEq)]
pub struct TestResult {
    pub name: String,
    pub ok: bool,
    /// A KTAP directive (`# SKIP ...`, or why it counts as failed).
    pub directive: Option<String>,
    pub seconds: f64,
    /// Diagnostics printed before the result line, at the top level.
    pub diags: Vec<String>,
    /// Its subtests' plan and lines, for a scenario.
    pub subtests: Option<(usize, Vec<Line>)>,
}

impl TestResult {
    pub fn plain(name: &str, ok: bool, seconds: f64, diags: Vec<String>) -> TestResult {
        TestResult {
            name: name.to_string(),
            ok,
            directive: None,
            seconds,
            diags,
            subtests: None,
        }
    }
}

/// A description may not hold `#`, which would start a directive.
pub fn clean(name: &str) -> String {
    name.replace('#', "").replace('\n', " ")
}

/// KTAP's header for `n` tests.
pub fn header(n: usize) -> String {
    format!("KTAP version 1\n1..{n}\n")
}

/// One result, numbered `number`, as KTAP text.
pub fn render(number: usize, r: &TestResult) -> String {
    let mut s = String::new();
    if let Some((plan, lines)) = &r.subtests {
        let _ = writeln!(s, "    KTAP version 1");
        let _ = writeln!(s, "    # Subtest: {}", r.name);
        let _ = writeln!(s, "    1..{plan}");
        let mut k = 0;
        for l in lines {
            match l {
                Line::Diag(d) => {
                    for part in d.lines() {
                        let _ = writeln!(s, "    # {part}");
                    }
                }
                Line::Test { ok, name } => {
                    k += 1;
                    let _ = writeln!(
                        s,
                        "    {}ok {k} {}",
                        if *ok { "" } else { "not " },
                        clean(name)
                    );
                }
                Line::Skip { name, why } => {
                    k += 1;
                    let _ = writeln!(s, "    ok {k} {} # SKIP {}", clean(name), clean(why));
                }
            }
        }
    }
    for d in &r.diags {
        for part in d.lines() {
            let _ = writeln!(s, "# {part}");
        }
    }
    let _ = writeln!(s, "# {}: {:.1} s", r.name, r.seconds);
    let directive = r
        .directive
        .as_ref()
        .map(|d| format!(" # {}", clean(d)))
        .unwrap_or_default();
    let _ = writeln!(
        s,
        "{}ok {number} {}{directive}",
        if r.ok { "" } else { "not " },
        r.name
    );
    s
}

/// The last line of the suite.
pub fn summary(results: &[TestResult]) -> String {
    let passed = results.iter().filter(|r| r.ok).count();
    format!("{passed} passed, {} failed\n", results.len() - passed)
}

/// The results as JUnit XML: one test suite per scenario, whose cases are
/// its subtests, and one, `host`, for the other tests.
pub fn junit(results: &[TestResult]) -> String {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut report = Report::new("deadlock-lab");
    let mut host = TestSuite::new("host");
    for r in results {
        let status = |ok: bool, message: &str| {
            if ok {
                TestCaseStatus::success()
            } else {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(message.to_string());
                s
            }
        };
        match &r.subtests {
            None => {
                let mut case = TestCase::new(
                    r.name.clone(),
                    status(r.ok, r.directive.as_deref().unwrap_or("failed")),
                );
                case.set_time(std::time::Duration::from_secs_f64(r.seconds.max(0.0)));
                if !r.diags.is_empty() {
                    case.set_system_out(r.diags.join("\n"));
                }
                host.add_test_case(case);
            }
            Some((_, lines)) => {
                let mut suite = TestSuite::new(r.name.clone());
                suite.set_time(std::time::Duration::from_secs_f64(r.seconds.max(0.0)));
                let mut out = Vec::new();
                for l in lines {
                    match l {
                        Line::Diag(d) => out.push(d.clone()),
                        Line::Test { ok, name } => {
                            let mut case = TestCase::new(clean(name), status(*ok, "failed"));
                            if !out.is_empty() {
                                case.set_system_out(out.join("\n"));
                                out.clear();
                            }
                            suite.add_test_case(case);
                        }
                        Line::Skip { name, why } => {
                            let mut case = TestCase::new(clean(name), TestCaseStatus::skipped());
                            case.set_system_out(why.clone());
                            suite.add_test_case(case);
                        }
                    }
                }
                if let Some(d) = &r.directive {
                    let mut case =
                        TestCase::new(format!("{} (as a whole)", r.name), status(false, d));
                    case.set_system_out(d.clone());
                    if !r.ok {
                        suite.add_test_case(case);
                    }
                }
                report.add_test_suite(suite);
            }
        }
    }
    if !host.test_cases.is_empty() {
        report.add_test_suite(host);
    }
    report.to_string().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scenario_nests_its_subtests() {
        let r = TestResult {
            name: "fixed".into(),
            ok: false,
            directive: None,
            seconds: 4.3,
            diags: vec![],
            subtests: Some((
                2,
                vec![
                    Line::Diag("boot: tcg".into()),
                    Line::Test {
                        ok: true,
                        name: "insmod # works".into(),
                    },
                    Line::Test {
                        ok: false,
                        name: "rmmod".into(),
                    },
                ],
            )),
        };
        let text = render(3, &r);
        assert_eq!(
            text,
            "    KTAP version 1\n    # Subtest: fixed\n    1..2\n    # boot: tcg\n    ok 1 insmod  works\n    not ok 2 rmmod\n# fixed: 4.3 s\nnot ok 3 fixed\n"
        );
        let xml = junit(&[r]);
        assert!(
            xml.contains("<testsuite name=\"fixed\"") && xml.contains("<failure"),
            "{xml}"
        );
    }
}
