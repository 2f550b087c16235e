// SPDX-License-Identifier: GPL-2.0
//! Expectation mode: checking a log against a JSON description of the
//! findings it must (and must not) contain. The format is documented in the
//! crate README and is a stable interface.

use serde::Deserialize;

use crate::model::{Finding, Kind, Summary};

/// Upper bound on mismatch lines kept (the rest are counted).
const MAX_MISMATCHES: usize = 200;
/// Findings listed in the report of a failed check.
const MAX_LISTED: usize = 50;

/// Whether findings that no matcher of `findings` selects are acceptable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Others {
    #[default]
    Forbid,
    Allow,
}

/// One entry of `findings`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Matcher {
    /// Selects findings of this kind.
    pub kind: Kind,
    /// Also selects on a substring of the title.
    pub title: Option<String>,
    /// Exact number of selected findings.
    pub count: Option<u64>,
    /// Lower bound on selected findings (default: 1, or 0 when only `max`
    /// is given).
    pub min: Option<u64>,
    /// Upper bound on selected findings.
    pub max: Option<u64>,
    /// Lock classes every selected finding must mention.
    #[serde(default)]
    pub locks: Vec<String>,
    /// Substrings that must each occur in some frame or `at:` site of every
    /// selected finding.
    #[serde(default)]
    pub frames: Vec<String>,
    /// Task names that must occur in the union of the selected findings.
    #[serde(default)]
    pub tasks: Vec<String>,
    /// Hung tasks: primitive every selected finding is blocked on.
    pub blocked_on: Option<String>,
    /// Substring of every selected finding's culprit.
    pub culprit: Option<String>,
    /// Required `truncated` value of every selected finding.
    pub truncated: Option<bool>,
    /// Free text, ignored.
    #[serde(default)]
    pub comment: Option<serde_json::Value>,
}

/// A whole expectation file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    #[serde(default)]
    pub findings: Vec<Matcher>,
    #[serde(default)]
    pub others: Others,
    /// Whether `INFO: lockdep is turned off.` must (true) or must not
    /// (false) appear; not checked when absent.
    pub lockdep_off: Option<bool>,
    /// The test scenario's declaration (boot, module, plan), read by the
    /// project's test runner; ignored here.
    #[serde(default)]
    pub scenario: Option<serde_json::Value>,
    /// Free text, ignored.
    #[serde(default)]
    pub comment: Option<serde_json::Value>,
}

impl Matcher {
    fn bounds(&self) -> (u64, Option<u64>) {
        match (self.count, self.min, self.max) {
            (Some(c), _, _) => (c, Some(c)),
            // Without any bound the finding must occur; with only an upper
            // bound, absence is fine.
            (None, min, max) => (min.unwrap_or(if max.is_some() { 0 } else { 1 }), max),
        }
    }

    fn describe(&self) -> String {
        match &self.title {
            Some(t) => format!("{} (title containing {t:?})", self.kind),
            None => self.kind.to_string(),
        }
    }

    fn selects(&self, f: &Finding) -> bool {
        f.kind == self.kind
            && self
                .title
                .as_ref()
                .is_none_or(|t| f.title.contains(t.as_str()))
    }
}

impl Expectation {
    /// Parses and validates an expectation document.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let e: Expectation = serde_json::from_str(text).map_err(|e| e.to_string())?;
        for (i, m) in e.findings.iter().enumerate() {
            let at = format!("findings[{i}] ({})", m.kind);
            if m.count.is_some() && (m.min.is_some() || m.max.is_some()) {
                return Err(format!(
                    "{at}: \"count\" cannot be combined with \"min\"/\"max\""
                ));
            }
            if let (Some(a), Some(b)) = (m.min, m.max) {
                if a > b {
                    return Err(format!("{at}: \"min\" ({a}) is greater than \"max\" ({b})"));
                }
            }
            if m.blocked_on.is_some() && m.kind != Kind::HungTask {
                return Err(format!(
                    "{at}: \"blocked_on\" only applies to kind \"hung_task\""
                ));
            }
            if let Some(p) = &m.blocked_on {
                if !["semaphore", "mutex", "rw-semaphore"].contains(&p.as_str()) {
                    return Err(format!(
                        "{at}: \"blocked_on\" must be \"semaphore\", \"mutex\" or \"rw-semaphore\", not {p:?}"
                    ));
                }
            }
        }
        Ok(e)
    }

    /// The expectation used by `--expect-none`: no findings at all.
    pub fn none() -> Self {
        Expectation::default()
    }
}

/// Lock class without lockdep's `/subclass` and `#version` suffixes.
fn base_class(c: &str) -> &str {
    let mut s = c;
    for sep in ['/', '#'] {
        if let Some(p) = s.rfind(sep) {
            if p > 0 && !s[p + 1..].is_empty() && s[p + 1..].bytes().all(|b| b.is_ascii_digit()) {
                s = &s[..p];
            }
        }
    }
    s
}

/// Class named by a scenario cell such as `lock(sem1);`.
fn cell_class(cell: &str) -> Option<&str> {
    let open = cell.find('(')?;
    let inner = cell[open + 1..].strip_suffix(");")?;
    Some(inner)
}

fn mentions_class(f: &Finding, want: &str) -> bool {
    f.mentioned_classes().any(|c| {
        let c = cell_class(c).unwrap_or(c);
        c == want || base_class(c) == want
    })
}

fn finding_ref(f: &Finding) -> String {
    format!(
        "{} at lines {}-{} ({:?})",
        f.kind, f.start_line, f.end_line, f.title
    )
}

/// Streaming checker: feed every finding, then call [`Evaluator::finish`].
pub struct Evaluator<'a> {
    exp: &'a Expectation,
    counts: Vec<u64>,
    /// Per matcher, per required task: seen in a selected finding.
    tasks_seen: Vec<Vec<bool>>,
    /// Per matcher: task names seen (bounded), for messages.
    tasks_named: Vec<Vec<String>>,
    mismatches: Vec<String>,
    dropped: u64,
    listed: Vec<String>,
    total: u64,
}

impl<'a> Evaluator<'a> {
    pub fn new(exp: &'a Expectation) -> Self {
        Evaluator {
            exp,
            counts: vec![0; exp.findings.len()],
            tasks_seen: exp
                .findings
                .iter()
                .map(|m| vec![false; m.tasks.len()])
                .collect(),
            tasks_named: vec![Vec::new(); exp.findings.len()],
            mismatches: Vec::new(),
            dropped: 0,
            listed: Vec::new(),
            total: 0,
        }
    }

    fn mismatch(&mut self, s: String) {
        if self.mismatches.len() < MAX_MISMATCHES {
            self.mismatches.push(s);
        } else {
            self.dropped += 1;
        }
    }

    pub fn feed(&mut self, f: &Finding) {
        self.total += 1;
        if self.listed.len() < MAX_LISTED {
            self.listed.push(finding_ref(f));
        }
        let exp = self.exp;
        let mut selected = false;
        for (i, m) in exp.findings.iter().enumerate() {
            if !m.selects(f) {
                continue;
            }
            selected = true;
            self.counts[i] += 1;
            for (j, want) in m.tasks.iter().enumerate() {
                if f.tasks.iter().any(|t| &t.name == want) {
                    self.tasks_seen[i][j] = true;
                }
            }
            for t in &f.tasks {
                if self.tasks_named[i].len() < 32 && !self.tasks_named[i].contains(&t.name) {
                    self.tasks_named[i].push(t.name.clone());
                }
            }
            for want in &m.locks {
                if !mentions_class(f, want) {
                    let have: Vec<&str> = f.locks.iter().map(|l| l.class.as_str()).collect();
                    self.mismatch(format!(
                        "{}: lock class {want:?} not mentioned (locks: {})",
                        finding_ref(f),
                        if have.is_empty() {
                            "none".to_string()
                        } else {
                            have.join(", ")
                        }
                    ));
                }
            }
            for want in &m.frames {
                if !f.all_frames().any(|fr| fr.contains(want.as_str())) {
                    self.mismatch(format!(
                        "{}: no frame or lock site contains {want:?}",
                        finding_ref(f)
                    ));
                }
            }
            if let Some(p) = &m.blocked_on {
                let got = f.blocked_on.as_ref().map(|b| b.primitive.as_str());
                if got != Some(p.as_str()) {
                    self.mismatch(format!(
                        "{}: expected to be blocked on a {p}, {}",
                        finding_ref(f),
                        match got {
                            Some(g) => format!("is blocked on a {g}"),
                            None => "no blocker was printed".to_string(),
                        }
                    ));
                }
            }
            if let Some(c) = &m.culprit {
                if !f
                    .culprit
                    .as_deref()
                    .is_some_and(|fc| fc.contains(c.as_str()))
                {
                    self.mismatch(format!(
                        "{}: culprit {:?} does not contain {c:?}",
                        finding_ref(f),
                        f.culprit.as_deref().unwrap_or("")
                    ));
                }
            }
            if let Some(t) = m.truncated {
                if f.truncated != t {
                    self.mismatch(format!(
                        "{}: expected truncated={t}, got truncated={}",
                        finding_ref(f),
                        f.truncated
                    ));
                }
            }
        }
        if !selected && exp.others == Others::Forbid {
            let hint = if exp.findings.iter().any(|m| m.kind == f.kind) {
                "no matcher of its kind selects its title"
            } else {
                "list its kind in \"findings\" or set \"others\": \"allow\""
            };
            self.mismatch(format!("unexpected finding: {} ({hint})", finding_ref(f)));
        }
    }

    /// Completes the check. Returns the mismatch lines (empty = match).
    pub fn finish(mut self, summary: &Summary) -> Vec<String> {
        let exp = self.exp;
        for (i, m) in exp.findings.iter().enumerate() {
            let n = self.counts[i];
            let (lo, hi) = m.bounds();
            let ok = n >= lo && hi.is_none_or(|h| n <= h);
            if !ok {
                let want = match (lo, hi) {
                    (a, Some(b)) if a == b => format!("exactly {a}"),
                    (0, Some(b)) => format!("at most {b}"),
                    (a, None) => format!("at least {a}"),
                    (a, Some(b)) => format!("between {a} and {b}"),
                };
                self.mismatch(format!(
                    "{}: expected {want} finding(s), found {n}",
                    m.describe()
                ));
            }
            if n > 0 {
                for (j, want) in m.tasks.iter().enumerate() {
                    if !self.tasks_seen[i][j] {
                        let named = &self.tasks_named[i];
                        self.mismatch(format!(
                            "{}: task {want:?} not named by any matching finding (tasks: {})",
                            m.describe(),
                            if named.is_empty() {
                                "none".to_string()
                            } else {
                                named.join(", ")
                            }
                        ));
                    }
                }
            }
        }
        if let Some(want) = exp.lockdep_off {
            if want != summary.lockdep_off {
                self.mismatch(if want {
                    "lockdep_off: expected \"INFO: lockdep is turned off.\" but it was not printed".to_string()
                } else {
                    format!(
                        "lockdep_off: \"INFO: lockdep is turned off.\" was printed (line {}) but not expected",
                        summary.lockdep_off_line.unwrap_or(0)
                    )
                });
            }
        }
        if self.dropped > 0 {
            let d = self.dropped;
            self.mismatches.push(format!("... and {d} more mismatches"));
        }
        self.mismatches
    }

    /// One line per finding seen (bounded), for explaining a mismatch.
    pub fn listed(&self) -> (&[String], u64) {
        (&self.listed, self.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_classes() {
        assert_eq!(base_class("sem1/1"), "sem1");
        assert_eq!(base_class("&p->lock#2"), "&p->lock");
        assert_eq!(base_class("&p->lock#2/1"), "&p->lock");
        assert_eq!(base_class("sem1"), "sem1");
        assert_eq!(
            base_class("(work_completion)(&w->work)"),
            "(work_completion)(&w->work)"
        );
        assert_eq!(cell_class("lock(sem1);"), Some("sem1"));
        assert_eq!(cell_class("<Interrupt>"), None);
    }

    #[test]
    fn validates() {
        assert!(
            Expectation::from_json(r#"{"findings":[{"kind":"circular","count":1,"min":1}]}"#)
                .is_err()
        );
        assert!(
            Expectation::from_json(r#"{"findings":[{"kind":"circular","min":3,"max":1}]}"#)
                .is_err()
        );
        assert!(Expectation::from_json(r#"{"findings":[{"kind":"nope"}]}"#).is_err());
        assert!(Expectation::from_json(r#"{"findings":[],"extra":1}"#).is_err());
        assert!(Expectation::from_json(
            r#"{"findings":[{"kind":"circular","blocked_on":"mutex"}]}"#
        )
        .is_err());
        assert!(Expectation::from_json(r#"{"others":"sometimes"}"#).is_err());
        let e = Expectation::from_json(r#"{"findings":[{"kind":"hung_task","min":2,"max":2,"blocked_on":"semaphore"}],"others":"allow","lockdep_off":true}"#).unwrap();
        assert_eq!(e.others, Others::Allow);
    }
}
