// SPDX-License-Identifier: GPL-2.0
//! Declared facts about the kernel log (a declaration's `log` key), judged
//! on the host from the scenario's own part of the log.
//!
//! Each fact is one subtest, named by its `about`, and says one of
//!
//! ```text
//! {"about": "...", "has": RE}              some line matches RE
//! {"about": "...", "lacks": RE}            no line matches RE
//! {"about": "...", "count": RE, "min": 2}  how many lines match RE
//! {"about": "...", "number": RE, "min": 1} the number RE's one group captures
//!                                          in the last line that matches it
//! {"about": "...", "numbers": RE, "count_of": 6, "rising": true}
//!                                          every number it captures, in order
//! ```
//!
//! `count`, `number` and `numbers` take bounds: `is`, `min`, `max`, each a
//! number or the name of a number the guest measured (`measure NAME VALUE`
//! in its script, for a log figure checked against live state) (for
//! `numbers`, each value's; `count_of`, how many values; `rising`, the
//! median of the second half above the median of the first). A fact may be
//! narrowed to the lines after the first one matching `after` (at most
//! `within` of them), and to those before the first that matches `until`, or
//! widened to the whole boot's log (`"scope":
//! "boot"`, for what the kernel printed while booting). Patterns are Rust
//! regular expressions, matched against each line without its timestamp.
//! Placeholders (`{module}`, `{param}`, `{min}`, `{max}`, `{below}`,
//! `{above}`) expand as in check names ([`crate::modules::Facts`]): one
//! fact for each harness module, or each ranged parameter of one.

use std::collections::BTreeMap;

use regex::Regex;
use serde::Deserialize;

use crate::modules::Facts;

/// Which log a fact reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The scenario's own part.
    #[default]
    Scenario,
    /// The whole boot's.
    Boot,
}

/// A bound: a number, or the name of a number the guest measured.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Bound {
    Number(i64),
    Measured(String),
}

impl Bound {
    fn value(&self, measures: &BTreeMap<String, i64>) -> Result<i64, String> {
        match self {
            Bound::Number(n) => Ok(*n),
            Bound::Measured(name) => measures
                .get(name)
                .copied()
                .ok_or_else(|| format!("the guest measured no {name:?}")),
        }
    }
    fn words(&self) -> String {
        match self {
            Bound::Number(n) => n.to_string(),
            Bound::Measured(name) => format!("the guest's {name}"),
        }
    }
}

/// One entry of `log`, as declared.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogFact {
    pub about: String,
    pub has: Option<String>,
    pub lacks: Option<String>,
    pub count: Option<String>,
    pub number: Option<String>,
    pub numbers: Option<String>,
    #[serde(rename = "is")]
    pub exactly: Option<Bound>,
    pub min: Option<Bound>,
    pub max: Option<Bound>,
    pub count_of: Option<usize>,
    #[serde(default)]
    pub rising: bool,
    pub after: Option<String>,
    pub within: Option<usize>,
    pub until: Option<String>,
    #[serde(default)]
    pub scope: Scope,
}

/// What a fact asks of the lines it reads.
#[derive(Debug, Clone)]
enum Ask {
    Has,
    Lacks,
    Count,
    Number,
    Numbers,
}

/// A fact ready to judge: placeholders expanded, patterns compiled.
#[derive(Debug, Clone)]
pub struct Fact {
    pub about: String,
    ask: Ask,
    re: Regex,
    bounds: (Option<Bound>, Option<Bound>),
    count_of: Option<usize>,
    rising: bool,
    after: Option<Regex>,
    within: Option<usize>,
    until: Option<Regex>,
    pub scope: Scope,
}

impl LogFact {
    fn strings(&self) -> impl Iterator<Item = &String> {
        [
            &self.has,
            &self.lacks,
            &self.count,
            &self.number,
            &self.numbers,
            &self.after,
            &self.until,
        ]
        .into_iter()
        .flatten()
        .chain([&self.about])
    }

    /// The facts this entry stands for, placeholders expanded.
    pub fn expand(&self, facts: &Facts) -> Result<Vec<Fact>, String> {
        let all: String = self
            .strings()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\n");
        let mut out = Vec::new();
        for binding in facts.bindings(&all)? {
            let sub = |s: &Option<String>| s.as_ref().map(|s| binding.apply(s));
            let one = LogFact {
                about: binding.apply(&self.about),
                has: sub(&self.has),
                lacks: sub(&self.lacks),
                count: sub(&self.count),
                number: sub(&self.number),
                numbers: sub(&self.numbers),
                after: sub(&self.after),
                until: sub(&self.until),
                ..self.clone()
            };
            out.push(one.compile()?);
        }
        Ok(out)
    }

    fn compile(&self) -> Result<Fact, String> {
        let at = |what: String| format!("log fact {:?}: {what}", self.about);
        let asks: Vec<(Ask, &String)> = [
            (Ask::Has, &self.has),
            (Ask::Lacks, &self.lacks),
            (Ask::Count, &self.count),
            (Ask::Number, &self.number),
            (Ask::Numbers, &self.numbers),
        ]
        .into_iter()
        .filter_map(|(a, s)| s.as_ref().map(|s| (a, s)))
        .collect();
        let [(ask, pattern)] = &asks[..] else {
            return Err(at(
                "say exactly one of \"has\", \"lacks\", \"count\", \"number\", \"numbers\"".into(),
            ));
        };
        let re = Regex::new(pattern).map_err(|e| at(format!("pattern {pattern:?}: {e}")))?;
        let bounds = match &self.exactly {
            Some(_) if self.min.is_some() || self.max.is_some() => {
                return Err(at("\"is\" cannot go with \"min\" or \"max\"".into()))
            }
            Some(n) => (Some(n.clone()), Some(n.clone())),
            None => (self.min.clone(), self.max.clone()),
        };
        let bounded = bounds != (None, None);
        match ask {
            Ask::Has | Ask::Lacks if bounded || self.count_of.is_some() || self.rising => {
                return Err(at("\"has\" and \"lacks\" take no bounds".into()))
            }
            Ask::Count | Ask::Number if !bounded => {
                return Err(at("give a bound: \"is\", \"min\" or \"max\"".into()))
            }
            Ask::Count | Ask::Number if self.count_of.is_some() || self.rising => {
                return Err(at("\"count_of\" and \"rising\" are for \"numbers\"".into()))
            }
            Ask::Numbers if !bounded && self.count_of.is_none() && !self.rising => {
                return Err(at("give \"count_of\", \"rising\" or a bound".into()))
            }
            _ => {}
        }
        if matches!(ask, Ask::Number | Ask::Numbers) && re.captures_len() != 2 {
            return Err(at(format!(
                "pattern {pattern:?} needs exactly one group, (...)"
            )));
        }
        if let (Some(Bound::Number(lo)), Some(Bound::Number(hi))) = &bounds {
            if lo > hi {
                return Err(at(format!("\"min\" {lo} is above \"max\" {hi}")));
            }
        }
        if self.within.is_some() && self.after.is_none() {
            return Err(at("\"within\" counts the lines after \"after\"".into()));
        }
        let compile = |p: &Option<String>| match p {
            Some(a) => Regex::new(a)
                .map(Some)
                .map_err(|e| at(format!("pattern {a:?}: {e}"))),
            None => Ok(None),
        };
        let (after, until) = (compile(&self.after)?, compile(&self.until)?);
        Ok(Fact {
            about: self.about.clone(),
            ask: ask.clone(),
            re,
            bounds,
            count_of: self.count_of,
            rising: self.rising,
            after,
            within: self.within,
            until,
            scope: self.scope,
        })
    }
}

/// A kernel log line without its `[    1.234567]` timestamp and the
/// caller field after it (`[  T164]`, with `CONFIG_PRINTK_CALLER`).
pub fn text_of(line: &str) -> &str {
    let Some((stamp, rest)) = line.strip_prefix('[').and_then(|r| r.split_once(']')) else {
        return line;
    };
    if stamp.trim().is_empty()
        || !stamp
            .trim()
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.')
    {
        return line;
    }
    let rest = match rest.strip_prefix('[').and_then(|r| r.split_once(']')) {
        Some((caller, after)) if caller.trim().starts_with(['T', 'C']) => after,
        _ => rest,
    };
    rest.strip_prefix(' ').unwrap_or(rest)
}

impl Fact {
    /// Judges the fact on `log` (the kernel log part it reads), with the
    /// numbers the guest measured: whether it holds, and what was found,
    /// for a diagnostic.
    pub fn judge(&self, log: &str, measures: &BTreeMap<String, i64>) -> (bool, String) {
        let lo = self
            .bounds
            .0
            .as_ref()
            .map(|b| b.value(measures))
            .transpose();
        let hi = self
            .bounds
            .1
            .as_ref()
            .map(|b| b.value(measures))
            .transpose();
        let (lo, hi) = match (lo, hi) {
            (Ok(lo), Ok(hi)) => (lo, hi),
            (Err(e), _) | (_, Err(e)) => return (false, e),
        };
        let within_bounds = |n: i64| lo.is_none_or(|lo| n >= lo) && hi.is_none_or(|hi| n <= hi);
        let lines: Vec<&str> = log.lines().map(text_of).collect();
        let mut lines: &[&str] = &lines;
        if let Some(a) = &self.after {
            match lines.iter().position(|l| a.is_match(l)) {
                Some(i) => {
                    lines = &lines[i + 1..];
                    lines = &lines[..self.within.unwrap_or(lines.len()).min(lines.len())];
                }
                None => return (false, format!("no line matches {:?}", a.as_str())),
            }
        }
        if let Some(u) = &self.until {
            lines = &lines[..lines
                .iter()
                .position(|l| u.is_match(l))
                .unwrap_or(lines.len())];
        }
        let re = self.re.as_str();
        let matching: Vec<&&str> = lines.iter().filter(|l| self.re.is_match(l)).collect();
        match self.ask {
            Ask::Has => match matching.first() {
                Some(l) => (true, format!("found: {l}")),
                None => (false, format!("no line matches {re:?}")),
            },
            Ask::Lacks => match matching.first() {
                None => (true, format!("no line matches {re:?}")),
                Some(l) => (
                    false,
                    format!("{} line(s) match {re:?}, the first: {l}", matching.len()),
                ),
            },
            Ask::Count => {
                let n = matching.len() as i64;
                (
                    within_bounds(n),
                    format!("{n} line(s) match {re:?}{}", self.bounds_words()),
                )
            }
            Ask::Number => match matching.last().and_then(|l| self.captured(l)) {
                Some(n) => (
                    within_bounds(n),
                    format!(
                        "{n}{}, from: {}",
                        self.bounds_words(),
                        matching.last().unwrap()
                    ),
                ),
                None => (
                    false,
                    format!("no line matches {re:?} with a number in its group"),
                ),
            },
            Ask::Numbers => {
                let values: Vec<i64> = matching.iter().filter_map(|l| self.captured(l)).collect();
                let mut why = Vec::new();
                if let Some(c) = self.count_of {
                    if values.len() != c {
                        why.push(format!("{} value(s), not {c}", values.len()));
                    }
                }
                if let Some(v) = values.iter().find(|v| !within_bounds(**v)) {
                    why.push(format!("{v} is out of bounds{}", self.bounds_words()));
                }
                if self.rising {
                    let (a, b) = values.split_at(values.len() / 2);
                    match (median(a), median(b)) {
                        (Some(x), Some(y)) if y > x => {}
                        (x, y) => why.push(format!(
                            "the second half's median ({y:?}) is not above the first's ({x:?})"
                        )),
                    }
                }
                let text = format!("values of {re:?}: {values:?}");
                match why.is_empty() {
                    true => (true, text),
                    false => (false, format!("{text}: {}", why.join("; "))),
                }
            }
        }
    }

    fn captured(&self, line: &str) -> Option<i64> {
        self.re.captures(line)?.get(1)?.as_str().parse().ok()
    }

    fn bounds_words(&self) -> String {
        match &self.bounds {
            (Some(a), Some(b)) if a == b => format!(" (declared {})", a.words()),
            (Some(a), Some(b)) => format!(" (declared {}..={})", a.words(), b.words()),
            (Some(a), None) => format!(" (declared at least {})", a.words()),
            (None, Some(b)) => format!(" (declared at most {})", b.words()),
            (None, None) => String::new(),
        }
    }
}

fn median(v: &[i64]) -> Option<i64> {
    let mut v = v.to_vec();
    v.sort_unstable();
    v.get(v.len() / 2).copied().filter(|_| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(json: &str) -> Fact {
        let f: LogFact = serde_json::from_str(json).unwrap();
        let mut v = f.expand(&Facts::default()).unwrap();
        assert_eq!(v.len(), 1);
        v.remove(0)
    }

    fn none() -> BTreeMap<String, i64> {
        BTreeMap::new()
    }

    const LOG: &str = "[    1.000000] deadlock_lab: deadlocked: a holds sem1\n\
        [    1.100000] deadlock_lab: contended acquisitions: 3\n\
        [    1.200000] sysrq: Show Blocked State\n\
        [    1.300000] task:deadlock_lab_a  state:D stack:0\n\
        [    1.400000] deadlock_lab: contended acquisitions: 7\n";

    #[test]
    fn each_ask_can_fail() {
        assert!(
            fact(r#"{"about": "x", "has": "deadlocked:"}"#)
                .judge(LOG, &none())
                .0
        );
        assert!(
            !fact(r#"{"about": "x", "has": "finished"}"#)
                .judge(LOG, &none())
                .0
        );
        assert!(
            fact(r#"{"about": "x", "lacks": "INFO: task"}"#)
                .judge(LOG, &none())
                .0
        );
        assert!(
            !fact(r#"{"about": "x", "lacks": "^deadlock_lab:"}"#)
                .judge(LOG, &none())
                .0
        );
        assert!(
            fact(r#"{"about": "x", "count": "contended", "is": 2}"#)
                .judge(LOG, &none())
                .0
        );
        assert!(
            !fact(r#"{"about": "x", "count": "contended", "min": 3}"#)
                .judge(LOG, &none())
                .0
        );
        let n = fact(r#"{"about": "x", "number": "contended acquisitions: (\\d+)", "min": 5}"#);
        assert_eq!(
            n.judge(LOG, &none()),
            (
                true,
                "7 (declared at least 5), from: deadlock_lab: contended acquisitions: 7".into()
            )
        );
        assert!(
            !fact(r#"{"about": "x", "number": "acquisitions: (\\d+)", "max": 5}"#)
                .judge(LOG, &none())
                .0
        );
        assert!(fact(r#"{"about": "x", "numbers": "acquisitions: (\\d+)", "count_of": 2, "rising": true}"#).judge(LOG, &none()).0);
        assert!(
            !fact(r#"{"about": "x", "numbers": "acquisitions: (\\d+)", "count_of": 3}"#)
                .judge(LOG, &none())
                .0
        );
        let after = r#"{"about": "x", "has": "task:deadlock_lab_a +state:D", "after": "Show Blocked State", "within": 1}"#;
        assert!(fact(after).judge(LOG, &none()).0);
        assert!(
            !fact(&after.replace("Show Blocked", "contended acquisitions: 7"))
                .judge(LOG, &none())
                .0
        );
        let until = r#"{"about": "x", "has": "acquisitions: 7", "after": "Show Blocked State", "until": "task:"}"#;
        assert!(!fact(until).judge(LOG, &none()).0);
        assert!(
            fact(&until.replace("task:", "nothing"))
                .judge(LOG, &none())
                .0
        );
    }

    #[test]
    fn a_bound_the_guest_measured() {
        let f = fact(r#"{"about": "x", "number": "acquisitions: (\\d+)", "max": "climbed"}"#);
        let m = |v: i64| BTreeMap::from([("climbed".to_string(), v)]);
        assert!(f.judge(LOG, &m(7)).0);
        assert!(!f.judge(LOG, &m(6)).0);
        assert_eq!(
            f.judge(LOG, &none()),
            (false, "the guest measured no \"climbed\"".into())
        );
    }

    #[test]
    fn bad_facts_are_refused() {
        for bad in [
            r#"{"about": "x"}"#,
            r#"{"about": "x", "has": "a", "lacks": "b"}"#,
            r#"{"about": "x", "has": "a", "min": 1}"#,
            r#"{"about": "x", "count": "a"}"#,
            r#"{"about": "x", "number": "a", "min": 1}"#,
            r#"{"about": "x", "count": "a", "is": 1, "min": 1}"#,
            r#"{"about": "x", "has": "(", "min": 1}"#,
            r#"{"about": "x", "has": "a", "within": 3}"#,
            r#"{"about": "x", "has": "{nope}"}"#,
        ] {
            let f: LogFact = serde_json::from_str(bad).unwrap();
            assert!(f.expand(&Facts::default()).is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<LogFact>(r#"{"about": "x", "hass": "a"}"#).is_err());
    }

    #[test]
    fn timestamps_are_not_text() {
        assert_eq!(text_of("[   12.500000] deadlock_lab: x"), "deadlock_lab: x");
        assert_eq!(
            text_of("[    4.740240][  T164] deadlock_lab: x"),
            "deadlock_lab: x"
        );
        assert_eq!(
            text_of("[    4.740240][   C1] deadlock_lab: x"),
            "deadlock_lab: x"
        );
        assert_eq!(text_of("deadlock_lab: x"), "deadlock_lab: x");
        assert_eq!(text_of("[ok] x"), "[ok] x");
    }
}
