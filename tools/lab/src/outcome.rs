// SPDX-License-Identifier: GPL-2.0
//! Outcomes: what happened in a boot of a scenario whose result depends on
//! timing, as a real ABBA does (the two threads meet in some interleavings
//! and not in others).
//!
//! A declaration may say, instead of `findings`, what the kernel must show
//! in each outcome it allows:
//!
//! ```text
//! "outcomes": {
//!   "finished":  {"findings": [{"kind": "circular"}], "others": "forbid"},
//!   "locked_up": {"findings": [{"kind": "soft_lockup", "min": 1}], "others": "allow"}
//! }
//! ```
//!
//! The outcome of a boot is read from how it ended and from its part of the
//! kernel log ([`Outcome::of`]); the scenario passes if that outcome is one
//! it declares and the kernel showed what that outcome asks. Not every
//! declared outcome has to occur: `make test REPEAT=N` counts which did.

use std::collections::BTreeMap;
use std::fmt;

use dmesg_inspect::expect::Expectation;
use dmesg_inspect::Kind;
use serde::Deserialize;

use crate::boot::{Analysis, Ending};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The module's threads finished or went idle, and the guest unloaded it.
    Finished,
    /// Its threads sleep in D and the hung-task detector reported them; the
    /// guest still answers.
    Deadlocked,
    /// The guest stopped answering: its CPUs no longer run user space.
    LockedUp,
    /// The kernel panicked.
    Panicked,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [
        Outcome::Finished,
        Outcome::Deadlocked,
        Outcome::LockedUp,
        Outcome::Panicked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Finished => "finished",
            Outcome::Deadlocked => "deadlocked",
            Outcome::LockedUp => "locked_up",
            Outcome::Panicked => "panicked",
        }
    }

    /// The outcome of scenario `name` in `boot`, if the boot got as far as
    /// one (a timeout or an interrupt has none).
    pub fn of(boot: &Analysis, name: &str) -> Option<Outcome> {
        match boot.record.ending {
            Ending::LockedUp => Some(Outcome::LockedUp),
            Ending::Panicked => Some(Outcome::Panicked),
            Ending::Finished => {
                let part = boot.kernel_part(name);
                let report = dmesg_inspect::parse_bytes(part.as_bytes());
                let hung = report.findings.iter().any(|f| f.kind == Kind::HungTask);
                Some(if hung {
                    Outcome::Deadlocked
                } else {
                    Outcome::Finished
                })
            }
            Ending::Died | Ending::TimedOut | Ending::Interrupted => None,
        }
    }

    /// Whether the guest's checks after this outcome's moment can run (the
    /// guest still answers).
    pub fn guest_answers(self) -> bool {
        matches!(self, Outcome::Finished | Outcome::Deadlocked)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `outcomes` table: each outcome's expectation, in dmesg-inspect's
/// format (`findings`, `others`, `lockdep_off`).
pub fn parse(value: serde_json::Value) -> Result<BTreeMap<Outcome, Expectation>, String> {
    let map: BTreeMap<String, serde_json::Value> =
        serde_json::from_value(value).map_err(|e| format!("in \"outcomes\": {e}"))?;
    if map.is_empty() {
        return Err("\"outcomes\" is empty: declare at least one".into());
    }
    let mut out = BTreeMap::new();
    for (name, v) in map {
        let outcome = Outcome::ALL
            .into_iter()
            .find(|o| o.as_str() == name)
            .ok_or_else(|| {
                format!(
                    "in \"outcomes\": unknown outcome {name:?} (use {})",
                    Outcome::ALL.map(|o| o.as_str()).join(", ")
                )
            })?;
        let text = v.to_string();
        let e =
            Expectation::from_json(&text).map_err(|e| format!("in \"outcomes\".{name}: {e}"))?;
        if e.scenario.is_some() {
            return Err(format!(
                "in \"outcomes\".{name}: \"scenario\" belongs at the top"
            ));
        }
        out.insert(outcome, e);
    }
    Ok(out)
}

/// The counts of each outcome over repeated runs, as the suite prints them:
/// `finished=4 locked_up=2`.
pub fn counts(seen: &[Option<Outcome>]) -> String {
    let mut n: BTreeMap<String, usize> = BTreeMap::new();
    for o in seen {
        *n.entry(o.map_or("none".to_string(), |o| o.to_string()))
            .or_default() += 1;
    }
    n.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_are_named_or_refused() {
        let v = serde_json::json!({"finished": {"findings": []}, "locked_up": {"others": "allow"}});
        let m = parse(v).unwrap();
        assert_eq!(
            m.keys().copied().collect::<Vec<_>>(),
            [Outcome::Finished, Outcome::LockedUp]
        );
        let e = parse(serde_json::json!({"hung": {}})).unwrap_err();
        assert!(
            e.contains("unknown outcome \"hung\"") && e.contains("locked_up"),
            "{e}"
        );
        assert!(parse(serde_json::json!({})).is_err());
        assert!(parse(serde_json::json!({"finished": {"findngs": []}})).is_err());
    }

    #[test]
    fn counted() {
        let seen = [
            Some(Outcome::Finished),
            Some(Outcome::LockedUp),
            Some(Outcome::Finished),
            None,
        ];
        assert_eq!(counts(&seen), "finished=2 locked_up=1 none=1");
    }
}
