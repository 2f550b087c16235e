// SPDX-License-Identifier: GPL-2.0
//! A scenario run several times (`make test REPEAT=N`): a real ABBA meets
//! in some interleavings and not in others, so one run says little; N runs
//! say how often each outcome happens. Each run is judged as usual; the
//! scenario passes if every run does, and its result says which outcome
//! each run had, with a line per scenario:
//!
//! ```text
//! # outcomes: c-spin.inverted finished=4 locked_up=2 (6 runs)
//! ```

use crate::judge::{BootOutcome, Judge};
use crate::ktap::{Line, TestResult};
use crate::outcome::{self, Outcome};

/// The line of the outcomes of `name` over its runs.
pub fn outcomes_line(name: &str, seen: &[Option<Outcome>]) -> String {
    format!(
        "outcomes: {name} {} ({} runs)",
        outcome::counts(seen),
        seen.len()
    )
}

/// Scenario `name` judged over its runs: one subtest per run.
pub fn judged(judge: &Judge, name: &str, runs: &[BootOutcome]) -> TestResult {
    let mut lines = Vec::new();
    let mut seen = Vec::new();
    let mut seconds = 0.0;
    for (k, run) in runs.iter().enumerate() {
        let r = judge.scenario(name, run);
        let o = run.as_ref().ok().and_then(|(a, _)| Outcome::of(a, name));
        seen.push(o);
        seconds = f64::max(seconds, r.seconds);
        let failed: Vec<String> = r
            .subtests
            .iter()
            .flat_map(|(_, l)| l)
            .filter_map(|l| match l {
                Line::Test { ok: false, name } => Some(name.clone()),
                _ => None,
            })
            .chain(r.directive.clone())
            .collect();
        let dir = run
            .as_ref()
            .map(|(a, _)| a.dir.display().to_string())
            .unwrap_or_else(|e| e.to_string());
        lines.push(Line::Diag(format!("run {}: {dir}", k + 1)));
        for f in &failed {
            lines.push(Line::Diag(format!("  not ok {f}")));
        }
        lines.push(Line::Test {
            ok: r.ok,
            name: format!(
                "run {}: {}",
                k + 1,
                o.map_or("no outcome".to_string(), |o| o.to_string())
            ),
        });
    }
    let line = outcomes_line(name, &seen);
    TestResult {
        name: name.to_string(),
        ok: lines
            .iter()
            .all(|l| !matches!(l, Line::Test { ok: false, .. })),
        directive: None,
        seconds,
        diags: vec![line],
        subtests: Some((runs.len(), lines)),
    }
}
