// SPDX-License-Identifier: GPL-2.0
//! The module's verdict line, as `src/lab/harness.rs` prints it at unload:
//!
//! ```text
//! deadlock_lab: End of test: SUCCESS: WHAT (FACTS)
//! deadlock_lab: End of test: FAILURE: WHAT: WHY (FACTS)
//! FACTS = debug_locks A -> B, N task(s) asleep on a lock at unload (declared X..=Y), E error(s)
//! ```
//!
//! This is its one reader on the host; the guest's `lab_verdict` (written
//! into its protocol helper from [`PREFIX`]) finds the same line.

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

/// The last verdict of `module` in a kernel log.
pub fn last(log: &str, module: &str) -> Option<Verdict> {
    log.lines()
        .rev()
        .filter_map(parse_line)
        .find(|v| v.module == module)
}

/// The guest's side: a shell function for the protocol helper.
pub fn guest_helper() -> String {
    format!(
        r#"# lab_verdicts MODULE: every verdict line MODULE logged in this scenario's
# part of the kernel log, each from its status on ("SUCCESS: ..."); and
# lab_verdict MODULE, the last one.
lab_verdicts() {{
	klog | sed -n "s/.*$1: {PREFIX}//p"
}}
lab_verdict() {{ lab_verdicts "$1" | tail -n 1; }}
"#
    )
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
        assert_eq!(parse_line("deadlock_lab: End of test: MAYBE: x (debug_locks 1 -> 1, 0 task(s) asleep on a lock at unload (declared 0..=0), 0 error(s))"), None);
    }
}
