// SPDX-License-Identifier: GPL-2.0
//! The module's verdict line, as `src/lab/harness.rs` prints it at unload:
//!
//! ```text
//! deadlock_lab: End of test: SUCCESS: WHAT (FACTS)
//! deadlock_lab: End of test: FAILURE: WHAT: WHY (FACTS)
//! FACTS = debug_locks A -> B, N task(s) asleep on a lock at unload (declared X..=Y), E error(s)
//! ```
//!
//! This is its one reader. A declaration's `verdict` key ([`Expected`])
//! says which verdict its module must give; the judge compares it with the
//! verdicts in the scenario's part of the kernel log.

/// What every verdict line holds after the module's `NAME: `.
pub const PREFIX: &str = "End of test: ";

/// One verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub module: String,
    pub success: bool,
    /// What a success demonstrates.
    pub what: String,
    /// Why it failed.
    pub why: Option<String>,
    pub debug_locks: (u8, u8),
    pub asleep: u32,
    pub declared: (u32, u32),
    pub errors: u32,
}

/// Reads one kernel log line (with or without its timestamp).
pub fn parse_line(line: &str) -> Option<Verdict> {
    let at = line.find(PREFIX)?;
    let module = line[..at]
        .trim_end()
        .strip_suffix(':')?
        .rsplit([' ', ']'])
        .next()?
        .to_string();
    let rest = &line[at + PREFIX.len()..];
    let (status, rest) = rest.split_once(": ")?;
    let success = match status {
        "SUCCESS" => true,
        "FAILURE" => false,
        _ => return None,
    };
    let open = rest.rfind(" (debug_locks ")?;
    let (head, facts) = (&rest[..open], rest[open + 2..].strip_suffix(')')?);
    let (what, why) = match success {
        true => (head.to_string(), None),
        false => match head.rsplit_once(": ") {
            Some((w, y)) => (w.to_string(), Some(y.to_string())),
            None => (head.to_string(), None),
        },
    };
    // debug_locks A -> B, N task(s) asleep on a lock at unload (declared X..=Y), E error(s)
    let nums: Vec<u32> = facts
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect();
    let [a, b, asleep, lo, hi, errors] = nums[..] else {
        return None;
    };
    Some(Verdict {
        module,
        success,
        what,
        why,
        debug_locks: (a as u8, b as u8),
        asleep,
        declared: (lo, hi),
        errors,
    })
}

/// A declaration's `verdict`: what the module's verdict line must say.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    /// `SUCCESS` or `FAILURE`.
    pub status: Status,
    /// What the verdict demonstrates, exactly as the module words it.
    pub what: String,
    /// For a failure, how its reason begins.
    pub why: Option<String>,
    /// The tasks asleep on a lock at unload.
    pub asleep: Option<u32>,
    /// `debug_locks` at load and at unload.
    pub debug_locks: Option<(u8, u8)>,
    /// How many verdicts the module gives in the scenario (one per load);
    /// each must be as declared. Without it, the last one counts.
    pub count: Option<usize>,
    /// The module, if not the scenario's.
    pub module: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub enum Status {
    #[serde(rename = "SUCCESS")]
    Success,
    #[serde(rename = "FAILURE")]
    Failure,
}

impl Expected {
    /// The subtest's name.
    pub fn about(&self, module: &str) -> String {
        let status = match self.status {
            Status::Success => "SUCCESS",
            Status::Failure => "FAILURE",
        };
        let module = self.module.as_deref().unwrap_or(module);
        let mut s = format!("{module}'s verdict: {status}: {}", self.what);
        if let Some(w) = &self.why {
            s.push_str(&format!(": {w}"));
        }
        if let Some(n) = self.asleep {
            s.push_str(&format!(", {n} task(s) asleep at unload"));
        }
        if let Some(n) = self.count {
            s.push_str(&format!(", in each of {n} loads"));
        }
        s
    }

    /// Judges the verdicts `module` (the scenario's, unless declared) gave
    /// in `log`: whether they are as declared, and what they said.
    pub fn judge(&self, log: &str, module: &str) -> (bool, String) {
        let module = self.module.as_deref().unwrap_or(module);
        let all: Vec<Verdict> = log
            .lines()
            .filter_map(parse_line)
            .filter(|v| v.module == module)
            .collect();
        let judged: &[Verdict] = match self.count {
            Some(n) if all.len() != n => {
                return (
                    false,
                    format!("{} verdict(s) of {module}, declared {n}", all.len()),
                )
            }
            Some(_) => &all,
            None => all.last().map(std::slice::from_ref).unwrap_or(&[]),
        };
        if judged.is_empty() {
            return (false, format!("{module} gave no verdict (\"{PREFIX}...\")"));
        }
        for v in judged {
            let mut wrong = Vec::new();
            if v.success != (self.status == Status::Success) {
                wrong.push("its status");
            }
            if v.what != self.what {
                wrong.push("what it demonstrates");
            }
            if let Some(w) = &self.why {
                if !v.why.as_deref().is_some_and(|y| y.starts_with(w.as_str())) {
                    wrong.push("its reason");
                }
            }
            if self.asleep.is_some_and(|n| n != v.asleep) {
                wrong.push("the tasks asleep at unload");
            }
            if self.debug_locks.is_some_and(|d| d != v.debug_locks) {
                wrong.push("debug_locks");
            }
            if !wrong.is_empty() {
                return (false, format!("{} differs: {}", wrong.join(", "), v.text()));
            }
        }
        (true, judged.last().map(Verdict::text).unwrap_or_default())
    }
}

impl Verdict {
    /// The verdict as the module printed it, from its status on.
    pub fn text(&self) -> String {
        let status = if self.success { "SUCCESS" } else { "FAILURE" };
        let why = self
            .why
            .as_ref()
            .map(|w| format!(": {w}"))
            .unwrap_or_default();
        format!(
            "{status}: {}{why} (debug_locks {} -> {}, {} task(s) asleep on a lock at unload (declared {}..={}), {} error(s))",
            self.what, self.debug_locks.0, self.debug_locks.1, self.asleep, self.declared.0, self.declared.1, self.errors
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms() {
        let ok = parse_line("[   12.5] deadlock_lab: End of test: SUCCESS: fixed order, every round done (debug_locks 1 -> 1, 0 task(s) asleep on a lock at unload (declared 0..=0), 0 error(s))").unwrap();
        assert_eq!(ok.module, "deadlock_lab");
        assert!(ok.success);
        assert_eq!(ok.what, "fixed order, every round done");
        assert_eq!(
            (ok.debug_locks, ok.asleep, ok.declared, ok.errors),
            ((1, 1), 0, (0, 0), 0)
        );
        let bad = parse_line("deadlock_lab: End of test: FAILURE: inverted order deadlocked and recovered: lockdep did not report (debug_locks still 1) (debug_locks 1 -> 1, 2 task(s) asleep on a lock at unload (declared 2..=2), 0 error(s))").unwrap();
        assert!(!bad.success);
        assert_eq!(
            bad.why.as_deref(),
            Some("lockdep did not report (debug_locks still 1)")
        );
        assert_eq!(bad.asleep, 2);
        assert_eq!(
            parse_line(&format!("deadlock_lab: {PREFIX}{}", bad.text())),
            Some(bad.clone())
        );
        assert_eq!(parse_line("deadlock_lab: End of test: MAYBE: x (debug_locks 1 -> 1, 0 task(s) asleep on a lock at unload (declared 0..=0), 0 error(s))"), None);
    }

    #[test]
    fn declared_verdicts() {
        let log = "[ 1.0] deadlock_lab: End of test: SUCCESS: fixed order, every round done (debug_locks 1 -> 1, 0 task(s) asleep on a lock at unload (declared 0..=0), 0 error(s))\n\
                   [ 2.0] deadlock_lab: End of test: FAILURE: inverted order deadlocked and recovered: lockdep did not report (debug_locks 1 -> 1, 2 task(s) asleep on a lock at unload (declared 2..=2), 0 error(s))\n";
        let e = |json: &str| serde_json::from_str::<Expected>(json).unwrap();
        let last = e(
            r#"{"status": "FAILURE", "what": "inverted order deadlocked and recovered", "why": "lockdep did not", "asleep": 2}"#,
        );
        assert!(last.judge(log, "deadlock_lab").0);
        assert!(
            !last.judge(log, "deadlock_spin").0,
            "another module gave none"
        );
        let wrong =
            e(r#"{"status": "SUCCESS", "what": "inverted order deadlocked and recovered"}"#);
        assert!(!wrong.judge(log, "deadlock_lab").0);
        let each =
            e(r#"{"status": "SUCCESS", "what": "fixed order, every round done", "count": 2}"#);
        let (ok, why) = each.judge(log, "deadlock_lab");
        assert!(!ok && why.contains("its status"), "{why}");
        assert!(
            !e(r#"{"status": "SUCCESS", "what": "fixed order, every round done", "count": 1}"#)
                .judge(log, "deadlock_lab")
                .0
        );
        assert!(serde_json::from_str::<Expected>(r#"{"status": "MAYBE", "what": "x"}"#).is_err());
    }
}
