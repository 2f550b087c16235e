// SPDX-License-Identifier: GPL-2.0
//! Which scenarios share which boot, and in what order the boots start.
//!
//! Scenarios of one boot class share boots (at most `LAB_SHARE`, default 6,
//! to a boot, and about 20 guest seconds): those that expect no report of
//! any kind anywhere in a boot, and one that expects reports at its end
//! (see [`Sharing`]). Boots start longest first, from the last runs' times
//! kept in the cache ([`Timings`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::decl::{BootClass, Sharing};
use crate::paths::KernelEnv;
use crate::setup::Setup;

/// Guest seconds a shared boot is filled up to (a scenario longer than that
/// has its boot alone).
const SHARE_SECS: f64 = 20.0;

/// How many scenarios share a boot at most, unless `LAB_SHARE` says.
pub const SHARE: usize = 6;

/// A scheduled boot: the scenarios it runs.
#[derive(Debug, Clone)]
pub struct Planned {
    pub names: Vec<String>,
    pub estimate: f64,
}

/// Groups `names` into boots, longest first: each scenario that expects
/// reports ends a boot of its class, and the silent ones, longest first, go
/// to the boot of their class with the least guest time that has room for
/// them (a new one if none has).
pub fn plan_boots(setup: &Setup, names: &[String], share: usize, last: &Timings) -> Vec<Planned> {
    let secs = |n: &String| {
        last.guest_secs(n)
            .unwrap_or(setup.decl(n).unwrap().scenario.timeout as f64 / 4.0)
    };
    struct Group {
        class: BootClass,
        silent: Vec<String>,
        last: Option<String>,
        secs: f64,
    }
    let mut groups: Vec<Group> = Vec::new();
    let mut silent: Vec<&String> = Vec::new();
    for n in names {
        let d = setup.decl(n).expect("a selected scenario is declared");
        match d.sharing() {
            Sharing::Alone => groups.push(Group {
                class: d.boot_class(),
                silent: Vec::new(),
                last: Some(n.clone()),
                secs: f64::INFINITY,
            }),
            Sharing::Last => groups.push(Group {
                class: d.boot_class(),
                silent: Vec::new(),
                last: Some(n.clone()),
                secs: secs(n),
            }),
            Sharing::Silent => silent.push(n),
        }
    }
    silent.sort_by(|a, b| secs(b).total_cmp(&secs(a)));
    for n in silent {
        let class = setup.decl(n).unwrap().boot_class();
        let t = secs(n);
        let fits = |g: &Group| {
            let members: Vec<&str> = g
                .silent
                .iter()
                .chain(&g.last)
                .map(String::as_str)
                .chain([n.as_str()])
                .collect();
            g.class == class
                && members.len() <= share.max(1)
                && g.secs + t <= SHARE_SECS
                && setup.can_share(&members)
        };
        match groups
            .iter_mut()
            .filter(|g| fits(g))
            .min_by(|a, b| a.secs.total_cmp(&b.secs))
        {
            Some(g) => {
                g.silent.push(n.clone());
                g.secs += t;
            }
            None => groups.push(Group {
                class,
                silent: vec![n.clone()],
                last: None,
                secs: t,
            }),
        }
    }
    let mut boots: Vec<Planned> = groups
        .into_iter()
        .map(|g| {
            let names: Vec<String> = g.silent.into_iter().chain(g.last).collect();
            let estimate = 4.0 + names.iter().map(secs).sum::<f64>();
            Planned { names, estimate }
        })
        .collect();
    boots.sort_by(|a, b| b.estimate.total_cmp(&a.estimate));
    boots
}

/// The seconds of each test in the last runs (a scenario's in the guest, a
/// host test's on the host; each the mean of its last time and the time
/// known before it), kept in the cache. A cache without them (a new
/// machine, a new cache) plans from `tests/suite-timings.json`, the same
/// figures of a run on the reference machine, kept in the checkout.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Timings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
    pub guest: BTreeMap<String, f64>,
    /// Where they came from, for the run's first note.
    #[serde(skip)]
    pub source: String,
}

/// The checkout's timings, for a cache without its own.
pub const DEFAULT_TIMINGS: &str = "tests/suite-timings.json";

impl Timings {
    fn file(kernel: &KernelEnv) -> PathBuf {
        kernel.cache().join("suite-timings.json")
    }
    pub fn load(kernel: &KernelEnv, root: &Path) -> Timings {
        let read = |p: &Path| {
            std::fs::read_to_string(p)
                .ok()
                .and_then(|t| serde_json::from_str::<Timings>(&t).ok())
        };
        if let Some(t) = read(&Timings::file(kernel)) {
            return Timings {
                source: "the last runs' times".into(),
                ..t
            };
        }
        match read(&root.join(DEFAULT_TIMINGS)) {
            Some(t) => Timings {
                source: format!(
                    "the reference times of {DEFAULT_TIMINGS} (the cache has none yet)"
                ),
                ..t
            },
            None => Timings {
                source: "the declared timeouts (no times known)".into(),
                ..Timings::default()
            },
        }
    }
    /// Keeps the times (to a hundredth) in the cache: of the tests in
    /// `known` only, if given.
    pub fn save(&self, kernel: &KernelEnv, known: Option<&[String]>) {
        let guest = self
            .guest
            .iter()
            .filter(|(n, _)| known.is_none_or(|k| k.contains(n)))
            .map(|(n, t)| (n.clone(), (t * 100.0).round() / 100.0))
            .collect();
        let kept = Timings {
            about: None,
            guest,
            source: String::new(),
        };
        let _ = std::fs::create_dir_all(kernel.cache());
        let _ = std::fs::write(
            Timings::file(kernel),
            serde_json::to_string_pretty(&kept).unwrap_or_default() + "\n",
        );
    }
    /// Takes in a test's time of this run: the mean of it and the time
    /// known before, so that one slow or fast run does not change the plan
    /// of the next much.
    pub fn record(&mut self, name: &str, secs: f64) {
        let t = self.guest.entry(name.to_string()).or_insert(secs);
        *t = (*t + secs) / 2.0;
    }
    pub fn guest_secs(&self, name: &str) -> Option<f64> {
        self.guest.get(name).copied()
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::decl::Declaration;
    use crate::modules::{Facts, Module};
    use crate::outside::Outside;
    use crate::paths::Lab;

    /// A declaration: silent, or with a report ("last"), or alone (a panic),
    /// with more scenario keys if given.
    fn decl(name: &str, kind: &str, more: &str) -> Declaration {
        let findings = if kind == "silent" {
            ""
        } else {
            r#"{"kind": "circular"}"#
        };
        let ends = if kind == "alone" {
            r#""ends": "panic","#
        } else {
            ""
        };
        let text = format!(
            r#"{{"scenario": {{"about": "x", "module": "m", "checks": ["a"], {ends} {more} "timeout": 60}}, "findings": [{findings}], "others": "forbid"}}"#
        );
        Declaration::parse(name, Path::new("t/x.expect.json"), &text).unwrap()
    }

    fn module(name: &str) -> Module {
        Module {
            name: name.into(),
            path: PathBuf::new(),
            info: vec![],
            params: vec![],
            kunit_suites: 0,
        }
    }

    fn setup(decls: Vec<Declaration>, outside: Vec<Outside>) -> Setup {
        let facts = Facts {
            modules: vec![module("deadlock_lab")],
        };
        Setup {
            lab: Lab::at(Path::new("/lab"), Path::new("/lab/out")),
            kernel: KernelEnv::parse(""),
            facts,
            decls,
            outside,
        }
    }

    fn outside(name: &str, scenario: &str, modules: &[&str]) -> Outside {
        Outside {
            name: name.into(),
            dir: PathBuf::from(name),
            decls: vec![decl(scenario, "silent", "")],
            facts: Facts {
                modules: modules.iter().map(|m| module(m)).collect(),
            },
            image: PathBuf::new(),
            extra: PathBuf::new(),
            key: String::new(),
        }
    }

    fn plan(s: &Setup, secs: &[(&str, f64)]) -> Vec<Vec<String>> {
        let names: Vec<String> = s.decls.iter().map(|d| d.name.clone()).collect();
        let last = Timings {
            guest: secs.iter().map(|(n, t)| (n.to_string(), *t)).collect(),
            ..Timings::default()
        };
        let mut boots: Vec<Vec<String>> = plan_boots(s, &names, 6, &last)
            .into_iter()
            .map(|b| b.names)
            .collect();
        boots.sort();
        boots
    }

    #[test]
    fn a_report_ends_a_boot_and_silent_ones_fill_the_least_full() {
        let s = setup(
            vec![
                decl("r1", "last", ""),
                decl("r2", "last", ""),
                decl("a", "silent", ""),
                decl("b", "silent", ""),
                decl("c", "silent", ""),
                decl("p", "alone", ""),
                decl("x", "silent", r#""append": "kmemleak=on","#),
            ],
            vec![],
        );
        let secs = [
            ("r1", 2.0),
            ("r2", 2.5),
            ("a", 5.0),
            ("b", 3.0),
            ("c", 1.0),
            ("p", 1.0),
            ("x", 1.0),
        ];
        // a to r1 (2 s), b to r2 (2.5 s), c to the lighter r2 (5.5 against
        // 7); p alone; x, of another class, in a boot of its own.
        assert_eq!(
            plan(&s, &secs),
            [vec!["a", "r1"], vec!["b", "c", "r2"], vec!["p"], vec!["x"]]
        );
    }

    #[test]
    fn a_boot_keeps_to_its_guest_seconds() {
        let s = setup(
            vec![
                decl("r", "last", ""),
                decl("a", "silent", ""),
                decl("b", "silent", ""),
            ],
            vec![],
        );
        // 12 + 9 would pass SHARE_SECS with r's 2: b starts a boot of its own.
        assert_eq!(
            plan(&s, &[("r", 2.0), ("a", 12.0), ("b", 9.0)]),
            [vec!["a", "r"], vec!["b"]]
        );
    }

    #[test]
    fn outside_directories_share_only_without_a_common_module() {
        let mut decls = vec![decl("r", "last", "")];
        let dirs = vec![
            outside("one", "one.s", &["ex_order"]),
            outside("two", "two.s", &["ex_order"]),
            outside("three", "three.s", &["deadlock_lab"]),
        ];
        decls.extend(dirs.iter().flat_map(|o| o.decls.clone()));
        let s = setup(decls, dirs);
        assert!(s.can_share(&["r", "one.s"]));
        assert!(!s.can_share(&["one.s", "two.s"]), "both bring ex_order");
        assert!(
            !s.can_share(&["r", "three.s"]),
            "three's deadlock_lab would stand in for the lab's"
        );
        assert!(s.can_share(&["three.s"]));
        let boots = plan(
            &s,
            &[("r", 1.0), ("one.s", 1.0), ("two.s", 1.0), ("three.s", 1.0)],
        );
        for b in &boots {
            let names: Vec<&str> = b.iter().map(String::as_str).collect();
            assert!(s.can_share(&names), "{boots:?}");
        }
        assert_eq!(boots.len(), 2, "{boots:?}");
    }
}
