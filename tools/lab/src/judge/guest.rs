// SPDX-License-Identifier: GPL-2.0
//! What the guest reported of a scenario: how its script ended.

use crate::boot::{Analysis, Ending};
use crate::decl::Declaration;
use crate::ktap::Line;
use crate::outcome::Outcome;
use crate::protocol::ScenarioLog;

use super::ending_words;

/// The subtest that says how the guest script ended.
pub(super) fn ended(
    decl: &Declaration,
    outcome: Option<Outcome>,
    boot: &Analysis,
    log: &ScenarioLog,
    missing: &[&String],
    undeclared: &[String],
    twice: &[String],
) -> Line {
    let plan = &decl.plan.checks;
    let mut why = Vec::new();
    if let Some(o) = outcome.filter(|o| !o.guest_answers()) {
        if let Some((status, _)) = log.exit {
            why.push(format!(
                "the guest script exited ({status}), yet the outcome is {o}"
            ));
        }
    } else if decl.panics() {
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
    let how = match outcome {
        Some(o) if !o.guest_answers() => format!("then the guest stopped ({o})"),
        _ if decl.panics() => "the kernel panicked".to_string(),
        _ => "exited 0".to_string(),
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
