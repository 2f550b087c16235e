// SPDX-License-Identifier: GPL-2.0
//! Scenario declarations: `tests/scenarios/NAME.expect.json`.
//!
//! One file per scenario. Its `scenario` table says how to boot it, which
//! module it loads, and the checks its guest script (`NAME.sh`) runs, by
//! name: the live state the guest observes. The rest of the file is what
//! the kernel log must show, judged on the host: `findings`, `others` and
//! `lockdep_off` are what `dmesg-inspect` must find in the scenario's part
//! of the log; `log`, declared lines ([`crate::logfacts`]); `verdict`, the
//! module's verdict line ([`crate::verdict::Expected`]). Every key is
//! typed, and an unknown one is an error that names the file and the key,
//! before anything boots.
//!
//! A check's name may hold a placeholder, expanded from what the lab built
//! (see [`Facts`]): `{module}` for every module of the suite that has a
//! `fixed` parameter, `{module}.{param}` for every parameter with an
//! allowed range of those modules, `{kunit_case}` for every KUnit case of
//! the KUnit crate roots. The plan of a scenario is therefore computed
//! before its boot, never typed in.

use std::path::{Path, PathBuf};

use dmesg_inspect::expect::Expectation;
use serde::Deserialize;

use std::collections::BTreeMap;

use crate::contract::ScenarioEnv;
use crate::lockorder::LockOrder;
use crate::logfacts::{Fact, LogFact};
use crate::modules::Facts;
use crate::outcome::Outcome;
use crate::script::literal_checks;
use crate::verdict;
use crate::Error;

/// How a boot of the scenario must end, if not by the guest's reboot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    /// The kernel panics on purpose; the checks before the panic count.
    Panic,
}

/// A host program that drives the boot and adds checks of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Driver {
    /// gdb on QEMU's stub while the guest waits (`make gdb`).
    Gdb,
}

/// The initramfs a boot uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Initrd {
    /// The image that also carries perf and its libraries.
    Perf,
}

fn default_timeout() -> u64 {
    60
}
fn default_cpus() -> u32 {
    2
}

/// The `scenario` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// What the scenario shows, in a sentence or three.
    pub about: String,
    /// The module under test (the guest's `$LAB_MODULE`).
    pub module: String,
    /// Its parameters for the main load (the guest's `$LAB_PARAMS`).
    #[serde(default)]
    pub params: String,
    /// The checks the guest script runs, by name, in order (up to the panic,
    /// for a scenario that ends in one). An outside module's scenario
    /// without a script of its own runs the lab's generic flow, whose
    /// checks these are.
    #[serde(default)]
    pub checks: Vec<String>,
    /// The most seconds the generic flow waits after loading the module
    /// (default 5); it goes on once the module's threads are all idle (S), gone, or in D and
    /// reported by the hung-task detector.
    pub wait: Option<u64>,
    /// Seconds the scenario may take in the guest.
    #[serde(default = "default_timeout")]
    pub timeout: u64,
    pub ends: Option<Ending>,
    /// Extended regular expressions the kernel's console must match.
    #[serde(default)]
    pub console: Vec<String>,
    pub driver: Option<Driver>,
    /// The kernel log holds KUnit results, which the kernel's kunit.py parses.
    #[serde(default)]
    pub kunit: bool,
    /// More kernel command-line arguments for its boot.
    #[serde(default)]
    pub append: String,
    #[serde(default = "default_cpus")]
    pub cpus: u32,
    pub initrd: Option<Initrd>,
    /// Its figures need the guest's CPUs to run at the same instant (under
    /// TCG: QEMU's multi-threaded TCG, which costs more host CPU; see
    /// `Spec::accel_arg`).
    #[serde(default)]
    pub parallel: bool,
    /// `make run SCENARIO=NAME` tells this scenario (with `NAME-fixed`
    /// beside it, if declared), under this title.
    pub story: Option<String>,
}

/// What the host knows a scenario must report before its boot: the checks
/// its guest script runs, and the facts about the kernel log it judges
/// itself, placeholders expanded.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub checks: Vec<String>,
    pub log: Vec<Fact>,
    /// For a KUnit scenario: how many suites the built modules carry.
    pub kunit_suites: usize,
}

/// One declaration file.
#[derive(Debug, Clone)]
pub struct Declaration {
    pub name: String,
    pub file: PathBuf,
    pub script: PathBuf,
    pub scenario: Scenario,
    pub expect: Expectation,
    /// Declared lines of the kernel log.
    pub log: Vec<LogFact>,
    /// The module's verdict.
    pub verdict: Option<verdict::Expected>,
    /// What the kernel must show in each outcome allowed, instead of
    /// `expect` ([`crate::outcome`]).
    pub outcomes: Option<BTreeMap<Outcome, Expectation>>,
    /// The lock order lockdep's graph of the module must keep to
    /// (`"lock_order": "FILE"`, [`crate::lockorder`]), and its file.
    pub lock_order: Option<(PathBuf, LockOrder)>,
    /// Its plan, once [`Declaration::prepare`] knows what the lab built.
    pub plan: Plan,
    /// Its script is the lab's generic flow, whose checks are its own.
    pub generic: bool,
    /// The initramfs of an outside module's scenario (None: the lab's own).
    pub image: Option<PathBuf>,
    /// For an exercise's skeleton: the subtests its grader must fail (the
    /// scenario passes when it fails exactly for those reasons).
    pub must_fail: Vec<String>,
}

/// What a boot must be like for a scenario: scenarios of one class may
/// share a boot (see [`Sharing`]). The initramfs is the class's base image,
/// with the archives of the outside modules of the boot after it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BootClass {
    pub append: String,
    pub cpus: u32,
    pub initrd: Option<Initrd>,
    pub parallel: bool,
}

/// How a scenario may share its boot with others of its class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing {
    /// It expects no report of any kind: anywhere in a boot.
    Silent,
    /// It expects reports (lockdep's among them, which turn lockdep off for
    /// the rest of the boot): last in a boot, after silent ones, so that
    /// every report of its kind comes in its part of the log, with lockdep
    /// as fresh as at boot.
    Last,
    /// A boot of its own: a host driver, a deliberate panic, or a skeleton
    /// that must fail its grader (its reports are unexpected by design).
    Alone,
}

/// The suffix of a declaration file.
pub const SUFFIX: &str = ".expect.json";

impl Declaration {
    /// Reads and checks `dir/NAME.expect.json` and that `dir/NAME.sh` exists.
    pub fn load(dir: &Path, name: &str) -> Result<Declaration, Error> {
        let file = dir.join(format!("{name}{SUFFIX}"));
        let text = std::fs::read_to_string(&file)
            .map_err(|e| Error::new(format!("cannot read {}: {e}", file.display())))?;
        Declaration::parse(name, &file, &text)
    }

    pub fn parse(name: &str, file: &Path, text: &str) -> Result<Declaration, Error> {
        let at = |what: String| Error::new(format!("{}: {what}", file.display()));
        let mut top: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(text).map_err(|e| at(e.to_string()))?;
        // The lab's own keys; the rest is dmesg-inspect's expectation format.
        let log: Vec<LogFact> = match top.remove("log") {
            Some(v) => serde_json::from_value(v).map_err(|e| at(format!("in \"log\": {e}")))?,
            None => Vec::new(),
        };
        let verdict: Option<verdict::Expected> = match top.remove("verdict") {
            Some(v) => {
                Some(serde_json::from_value(v).map_err(|e| at(format!("in \"verdict\": {e}")))?)
            }
            None => None,
        };
        let lock_order = match top.remove("lock_order") {
            Some(serde_json::Value::String(f)) => {
                let path = file.with_file_name(&f);
                let order = LockOrder::load(&path)
                    .map_err(|e| at(format!("\"lock_order\": {}", e.message)))?;
                Some((path, order))
            }
            Some(other) => {
                return Err(at(format!(
                    "\"lock_order\" names a file beside the declaration, not {other}"
                )))
            }
            None => None,
        };
        let outcomes = match top.remove("outcomes") {
            Some(v) => {
                if let Some(k) = ["findings", "others", "lockdep_off", "verdict"]
                    .iter()
                    .find(|k| top.contains_key(**k))
                {
                    return Err(at(format!(
                        "\"{k}\" beside \"outcomes\": each outcome says what the kernel must show then"
                    )));
                }
                Some(crate::outcome::parse(v).map_err(at)?)
            }
            None => None,
        };
        let expect =
            Expectation::from_json(&serde_json::Value::Object(top).to_string()).map_err(at)?;
        let value = expect
            .scenario
            .clone()
            .ok_or_else(|| at("no \"scenario\" table".to_string()))?;
        let scenario: Scenario =
            serde_json::from_value(value).map_err(|e| at(format!("in \"scenario\": {e}")))?;
        for re in &scenario.console {
            regex::Regex::new(re).map_err(|e| at(format!("console pattern {re:?}: {e}")))?;
        }
        for id in &scenario.checks {
            if id.is_empty()
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.:-{}".contains(c))
            {
                return Err(at(format!(
                    "check name {id:?}: use letters, digits and _ . : - only"
                )));
            }
        }
        check_kallsyms(&scenario.params).map_err(at)?;
        if outcomes.is_some() && scenario.ends.is_some() {
            return Err(at(
                "\"ends\" beside \"outcomes\": declare \"panicked\" among the outcomes instead"
                    .into(),
            ));
        }
        if name == crate::protocol::INIT {
            return Err(at(format!(
                "\"{name}\" is the guest init's own name; pick another"
            )));
        }
        let script = file.with_file_name(format!("{name}.sh"));
        let d = Declaration {
            name: name.to_string(),
            file: file.to_path_buf(),
            script,
            scenario,
            expect,
            log,
            verdict,
            outcomes,
            lock_order,
            plan: Plan::default(),
            generic: false,
            image: None,
            must_fail: Vec::new(),
        };
        // Placeholders aside, every fact must be well formed before a boot.
        for f in &d.log {
            f.expand(&Facts::default()).map_err(at)?;
        }
        Ok(d)
    }

    /// A scenario whose guest script is the lab's generic flow: its checks
    /// are that flow's, those of its start (`start`, the text of its
    /// script) and, unless the scenario ends in a panic before it, of its
    /// run (`run`). Declared checks of its own are an error, since no script
    /// of its own would run them.
    pub fn use_generic(&mut self, script: &Path, start: &str, run: &str) -> Result<(), Error> {
        if !self.scenario.checks.is_empty() {
            return Err(Error::new(format!(
                "{}: \"checks\" names checks, but there is no guest script {} to run them",
                self.file.display(),
                self.script.display()
            ))
            .hint("drop \"checks\" to use the lab's generic flow, or write the script"));
        }
        self.scenario.checks = literal_checks(start);
        if !self.panics() {
            self.scenario.checks.extend(literal_checks(run));
        }
        self.script = script.to_path_buf();
        self.generic = true;
        Ok(())
    }

    /// What the guest must have besides the declaration: a script with at
    /// least one check.
    pub fn require_checks(&self) -> Result<(), Error> {
        if self.scenario.checks.is_empty() {
            return Err(Error::new(format!(
                "{}: \"checks\" is empty: a scenario runs at least one check",
                self.file.display()
            )));
        }
        Ok(())
    }

    /// Computes the plan from what the lab built: the checks the guest
    /// script must report, in order, and the log facts, placeholders
    /// expanded.
    pub fn prepare(&mut self, facts: &Facts) -> Result<(), Error> {
        let at = |e: String| Error::new(format!("{}: {e}", self.file.display()));
        let mut plan = Plan::default();
        for id in &self.scenario.checks {
            for one in facts.expand(id).map_err(at)? {
                if plan.checks.contains(&one) {
                    return Err(at(format!("check {one:?} is declared twice")));
                }
                plan.checks.push(one);
            }
        }
        for f in &self.log {
            plan.log.extend(f.expand(facts).map_err(at)?);
        }
        if self.scenario.kunit {
            plan.kunit_suites = facts.kunit_suites();
        }
        self.plan = plan;
        Ok(())
    }

    /// The kernel arguments its boot adds: the declared ones, and
    /// `no_hash_pointers` for a scenario that reads lockdep's graph (its
    /// keys print as addresses only then).
    pub fn append(&self) -> String {
        let a = &self.scenario.append;
        match &self.lock_order {
            Some(_) if !a.split_whitespace().any(|w| w == "no_hash_pointers") => {
                format!("{a} no_hash_pointers").trim_start().to_string()
            }
            _ => a.clone(),
        }
    }

    pub fn boot_class(&self) -> BootClass {
        let s = &self.scenario;
        BootClass {
            append: self.append(),
            cpus: s.cpus,
            initrd: s.initrd,
            parallel: s.parallel,
        }
    }

    pub fn sharing(&self) -> Sharing {
        let s = &self.scenario;
        let reports = |e: &Expectation| !e.findings.is_empty() || e.lockdep_off == Some(true);
        match &self.outcomes {
            _ if s.ends.is_some() || s.driver.is_some() || !self.must_fail.is_empty() => {
                Sharing::Alone
            }
            // A boot may end with it: nothing can come after it.
            Some(o) if o.keys().any(|o| !o.guest_answers()) => Sharing::Alone,
            Some(o) if o.values().any(reports) => Sharing::Last,
            Some(_) => Sharing::Silent,
            None if reports(&self.expect) => Sharing::Last,
            None => Sharing::Silent,
        }
    }

    /// The expectation of the kernel log in `outcome` (the one expectation
    /// of a declaration without outcomes), if declared.
    pub fn expectation(&self, outcome: Option<Outcome>) -> Option<&Expectation> {
        match (&self.outcomes, outcome) {
            (None, _) => Some(&self.expect),
            (Some(o), Some(k)) => o.get(&k),
            (Some(_), None) => None,
        }
    }

    /// Whether a boot of this scenario must end in a kernel panic.
    pub fn panics(&self) -> bool {
        self.scenario.ends == Some(Ending::Panic)
    }

    /// The guest's environment for this scenario, as shell assignments.
    pub fn guest_env(&self) -> String {
        ScenarioEnv {
            scenario: self.name.clone(),
            module: self.scenario.module.clone(),
            params: self.scenario.params.clone(),
            plan: self.plan.checks.len(),
            wait: self.scenario.wait,
            panics: self.panics(),
        }
        .to_shell()
    }

    /// Compares the script's literal check names with the declaration:
    /// a declared name the script never uses, or a name the script uses
    /// that is not declared, is found here, before a boot; so is a check
    /// that reads the kernel log (`library`: what the script runs with).
    pub fn lint_script(&self, script: &str, library: &[&str]) -> Result<(), Error> {
        if self.generic {
            return Ok(());
        }
        let used = literal_checks(script);
        let mut problems = Vec::new();
        for (check, reader) in crate::script::checks_reading_log(script, library) {
            problems.push(format!(
                "{}: check {check:?} reads the kernel log ({reader}): the guest observes live state; declare what the log must show in {} (\"log\", \"verdict\", \"findings\")",
                self.script.display(),
                self.file.display()
            ));
        }
        for id in &self.scenario.checks {
            if !id.contains('{') && !used.contains(id) {
                problems.push(format!(
                    "check {id:?} is declared, but {} never runs it",
                    self.script.display()
                ));
            }
        }
        for id in &used {
            if !self.scenario.checks.contains(id) {
                problems.push(format!(
                    "{} runs check {id:?}, which {} does not declare",
                    self.script.display(),
                    self.file.display()
                ));
            }
        }
        match problems.is_empty() {
            true => Ok(()),
            false => Err(Error::new(problems.remove(0)).hints(problems)),
        }
    }
}

/// A `params` value's `{kallsyms:NAME}` placeholders, which the guest
/// expands just before `insmod`: each must name a symbol.
fn check_kallsyms(params: &str) -> Result<(), String> {
    let mut rest = params;
    while let Some(at) = rest.find("{kallsyms:") {
        let after = &rest[at + "{kallsyms:".len()..];
        let name = after.split('}').next().unwrap_or("");
        if !after.contains('}')
            || name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.$".contains(c))
        {
            return Err(format!(
                "params {params:?}: {{kallsyms:NAME}} needs the name of a symbol, as /proc/kallsyms lists it (for example {{kallsyms:sched_setaffinity}})"
            ));
        }
        rest = &after[name.len() + 1..];
    }
    Ok(())
}

/// Every declaration in `dir`, in name order.
pub fn load_dir(dir: &Path) -> Result<Vec<Declaration>, Error> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| Error::new(format!("cannot read {}: {e}", dir.display())))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(SUFFIX)
                .map(str::to_string)
        })
        .collect();
    names.sort();
    let mut decls = Vec::new();
    for n in names {
        let d = Declaration::load(dir, &n)?;
        if !d.script.is_file() {
            return Err(Error::new(format!(
                "no guest script {} for {}",
                d.script.display(),
                d.file.display()
            )));
        }
        d.require_checks()?;
        decls.push(d);
    }
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        let Some(stem) = p
            .file_name()
            .and_then(|f| f.to_str())
            .and_then(|f| f.strip_suffix(".sh"))
        else {
            continue;
        };
        if !stem.starts_with("lib") && !decls.iter().any(|d| d.name == stem) {
            return Err(Error::new(format!("{} has no declaration", p.display()))
                .hint(format!("write {}/{stem}{SUFFIX}", dir.display())));
        }
    }
    Ok(decls)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"scenario": {"about": "x", "module": "deadlock_lab", "checks": ["a", "b"]},
        "findings": [], "others": "forbid"}"#;

    #[test]
    fn a_misspelt_key_is_named() {
        let bad = GOOD.replace("\"checks\"", "\"timout\": 3, \"checks\"");
        let e = Declaration::parse("x", Path::new("t/x.expect.json"), &bad).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("t/x.expect.json") && msg.contains("timout"),
            "{msg}"
        );
        let top = GOOD.replace("\"others\"", "\"lockdep_of\": true, \"others\"");
        let msg = Declaration::parse("x", Path::new("t/x.expect.json"), &top)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("lockdep_of"), "{msg}");
    }

    #[test]
    fn defaults_and_classes() {
        let d = Declaration::parse("x", Path::new("t/x.expect.json"), GOOD).unwrap();
        assert_eq!(d.scenario.timeout, 60);
        assert_eq!(d.scenario.cpus, 2);
        assert_eq!(
            d.boot_class(),
            BootClass {
                append: String::new(),
                cpus: 2,
                initrd: None,
                parallel: false
            }
        );
        assert_eq!(d.sharing(), Sharing::Silent);
        let last = GOOD.replace("\"findings\": []", r#""findings": [{"kind": "circular"}]"#);
        let mut d = Declaration::parse("x", Path::new("t/x.expect.json"), &last).unwrap();
        assert_eq!(d.sharing(), Sharing::Last);
        d.must_fail = vec!["dmesg findings match".into()];
        assert_eq!(d.sharing(), Sharing::Alone);
        let panics = GOOD.replace("\"checks\"", r#""ends": "panic", "checks""#);
        assert_eq!(
            Declaration::parse("x", Path::new("t/x.expect.json"), &panics)
                .unwrap()
                .sharing(),
            Sharing::Alone
        );
    }

    #[test]
    fn the_script_and_the_declaration_agree() {
        let d = Declaration::parse("x", Path::new("t/x.expect.json"), GOOD).unwrap();
        assert!(d
            .lint_script("check a \"one\" true\n\tcheck b \"two\" true\n", &[])
            .is_ok());
        let e = d
            .lint_script("check a \"one\" true\ncheck c \"three\" true\n", &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"b\"") && e.contains("\"c\""), "{e}");
        let lib = "klog() { dmesg; }\n";
        let e = d
            .lint_script("check a \"one\" true\ncheck b \"two\" klog\n", &[lib])
            .unwrap_err()
            .to_string();
        assert!(e.contains("check \"b\" reads the kernel log (klog)"), "{e}");
    }

    #[test]
    fn kallsyms_placeholders_name_a_symbol() {
        assert!(check_kallsyms("fixed=0 func_ptr={kallsyms:sched_setaffinity}").is_ok());
        assert!(check_kallsyms("a={kallsyms:x} b={kallsyms:y.z}").is_ok());
        for bad in ["p={kallsyms:}", "p={kallsyms:x", "p={kallsyms:a b}"] {
            assert!(
                check_kallsyms(bad)
                    .unwrap_err()
                    .contains("needs the name of a symbol"),
                "{bad}"
            );
        }
    }

    #[test]
    fn outcomes_replace_findings() {
        let o = r#"{"scenario": {"about": "x", "module": "m", "checks": ["a"]},
            "outcomes": {"finished": {"findings": []}, "locked_up": {"others": "allow"}}}"#;
        let d = Declaration::parse("x", Path::new("t/x.expect.json"), o).unwrap();
        assert_eq!(d.sharing(), Sharing::Alone, "a lockup may end its boot");
        for (bad, says) in [
            (
                o.replace("\"outcomes\"", "\"findings\": [], \"outcomes\""),
                "\"findings\" beside \"outcomes\"",
            ),
            (o.replace("locked_up", "stuck"), "unknown outcome \"stuck\""),
            (
                o.replace("\"checks\"", "\"ends\": \"panic\", \"checks\""),
                "\"ends\" beside \"outcomes\"",
            ),
        ] {
            let e = Declaration::parse("x", Path::new("t/x.expect.json"), &bad)
                .unwrap_err()
                .to_string();
            assert!(e.contains(says), "{e}");
        }
    }

    #[test]
    fn the_labs_own_keys() {
        let with = GOOD.replace(
            "\"others\"",
            r#""log": [{"about": "a line", "has": "x"}], "verdict": {"status": "SUCCESS", "what": "w"}, "others""#,
        );
        let d = Declaration::parse("x", Path::new("t/x.expect.json"), &with).unwrap();
        assert_eq!(d.log.len(), 1);
        assert_eq!(d.verdict.as_ref().map(|v| v.what.as_str()), Some("w"));
        let bad = GOOD.replace(
            "\"others\"",
            r#""log": [{"about": "a line", "has": "("}], "others""#,
        );
        let msg = Declaration::parse("x", Path::new("t/x.expect.json"), &bad)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("t/x.expect.json") && msg.contains("a line"),
            "{msg}"
        );
        let typo = GOOD.replace(
            "\"others\"",
            r#""verdict": {"status": "SUCCESS", "waht": "w"}, "others""#,
        );
        assert!(Declaration::parse("x", Path::new("t/x.expect.json"), &typo).is_err());
    }
}
