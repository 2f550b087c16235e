// SPDX-License-Identifier: GPL-2.0
//! Schedules booted and judged. Each schedule is a scenario of its own,
//! declared here in the lab's format and run by the lab's generic flow
//! (load, wait until the threads are idle or hung and reported, snapshot,
//! unload), then judged by the suite's one judge; what each detector said
//! is read from the schedule's own part of the log.
//!
//! Lockdep reports once a boot and then turns itself off, so a schedule
//! whose lockdep verdict counts boots alone. The schedules of a
//! configuration expected silent share one boot: there the guest's
//! `debug_locks` after each unload says lockdep was still watching, so its
//! silence counts for every schedule.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use dmesg_inspect::Kind;

use crate::decl::{Declaration, SUFFIX};
use crate::judge::Judge;
use crate::modules::Facts;
use crate::outcome::Outcome;
use crate::outside::Generic;
use crate::qemu::Accel;
use crate::setup::Setup;
use crate::story::show::Log;
use crate::suite::Booted;
use crate::verdict::Verdict;
use crate::Error;

use super::schedule::Schedule;
use super::space::{load_params, Config, MODULE};

/// How long the generic flow waits for a schedule to settle (a deadlock
/// is reported by the hung-task detector a second after it blocks).
const WAIT_SECS: u64 = 10;

/// One schedule, as the kernel showed it.
#[derive(Debug, Clone)]
pub struct Row {
    pub schedule: Schedule,
    /// The scenario it ran as.
    pub name: String,
    pub outcome: Option<Outcome>,
    /// Lockdep's reports in its part of the log.
    pub lockdep: usize,
    /// The tasks the hung-task detector reported.
    pub hung: Vec<String>,
    /// The module's threads `ps` showed in D before the unload.
    pub in_d: usize,
    pub verdict: Option<Verdict>,
    /// The step the module found it could not follow.
    pub infeasible: Option<u32>,
    /// `debug_locks` after the unload: 1 if lockdep still watched.
    pub debug_locks: Option<u8>,
    /// Passed its judge: the guest's checks ran and passed, and the outcome
    /// is one its declaration allows.
    pub judged: bool,
    /// What failed, if it did not.
    pub failed: Vec<String>,
    pub log: PathBuf,
}

impl Row {
    pub fn deadlocked(&self) -> bool {
        self.outcome == Some(Outcome::Deadlocked)
    }

    pub fn feasible(&self) -> bool {
        self.infeasible.is_none()
    }
}

/// The scenarios of a run of `explore`, declared and packed into an image
/// of their own (the lab's, with their environments and scripts after it).
pub struct Prepared {
    pub setup: Arc<Setup>,
    pub accel: Accel,
    /// Each configuration's scenario names, one per schedule.
    pub names: Vec<Vec<String>>,
    kunit_py: PathBuf,
}

impl Prepared {
    /// The suite's judge, over these scenarios among the lab's.
    pub fn judge(&self) -> Judge<'_> {
        Judge {
            decls: &self.setup.decls,
            kunit_py: &self.kunit_py,
        }
    }
}

/// A scenario name for a schedule of a configuration: `fixed0-0x1212`.
fn name_of(label: &str, k: usize, schedule: &Schedule) -> String {
    let label: String = label
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    format!("explore-{label}-{k}-{schedule}")
}

/// Declares one scenario of the generic flow in `dir`: `MODULE` loaded with
/// `params`, finishing or deadlocking.
pub fn declare(
    dir: &Path,
    generic: &Generic,
    facts: &Facts,
    name: &str,
    params: &str,
    about: &str,
) -> Result<Declaration, Error> {
    let any = serde_json::json!({"others": "allow"});
    let json = serde_json::json!({
        "scenario": {
            "about": about,
            "module": MODULE,
            "params": params,
            "wait": WAIT_SECS,
            "timeout": WAIT_SECS + 20,
        },
        "outcomes": {"finished": any, "deadlocked": any},
    });
    let file = dir.join(format!("{name}{SUFFIX}"));
    std::fs::write(&file, json.to_string())
        .map_err(|e| Error::new(format!("{}: {e}", file.display())))?;
    let mut d = Declaration::load(dir, name)?;
    generic.apply(&mut d)?;
    d.prepare(facts)?;
    Ok(d)
}

/// Declares every schedule of `configs` (and `extra`, named loads of the
/// module: `(name, params)`) and packs them.
pub fn prepare(
    mut setup: Setup,
    configs: &[Config],
    extra: &[(String, String)],
) -> Result<Prepared, Error> {
    let out = setup.lab.out.join("explore");
    let dir = out.join("scenarios");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| Error::new(format!("{}: {e}", dir.display())))?;
    let generic = Generic::read(&setup.lab)?;
    let library = crate::guest::library(&setup.lab.root)?;
    let mut decls = Vec::new();
    let mut names = Vec::new();
    for c in configs {
        let mut these = Vec::new();
        for (k, s) in c.schedules.iter().enumerate() {
            let name = name_of(&c.label, k + 1, s);
            let about = format!("{MODULE} {} following {}", c.label, s.words(&c.shape));
            let params = load_params(&c.params, s);
            decls.push(declare(
                &dir,
                &generic,
                &setup.facts,
                &name,
                &params,
                &about,
            )?);
            these.push(name);
        }
        names.push(these);
    }
    for (name, params) in extra {
        let about = format!("{MODULE} {params}");
        decls.push(declare(&dir, &generic, &setup.facts, name, params, &about)?);
    }
    for d in &decls {
        crate::guest::check(d, &setup.facts, &library)?;
    }
    let image = out.join("initramfs.cpio");
    crate::outside::pack::pack(
        &setup.lab,
        &setup.kernel,
        &out,
        &decls,
        &Facts::default(),
        &image,
    )?;
    for mut d in decls {
        d.image = Some(image.clone());
        setup.decls.push(d);
    }
    crate::qemu::preflight(&setup.kernel, &image)?;
    let accel = crate::accel::choose(&setup.kernel, &image)?;
    Ok(Prepared {
        kunit_py: setup.kernel.kunit_py(),
        setup: Arc::new(setup),
        accel,
        names,
    })
}

/// What the kernel showed of scenario `name`, schedule `schedule`, in
/// `booted`, judged by `judge`.
pub fn row(judge: &Judge, schedule: &Schedule, name: &str, booted: &Booted) -> Row {
    let result = judge.scenario(name, &booted.0);
    let failed: Vec<String> = result
        .subtests
        .iter()
        .flat_map(|(_, l)| l)
        .filter_map(|l| match l {
            crate::ktap::Line::Test { ok: false, name } => Some(name.clone()),
            _ => None,
        })
        .chain(result.directive.clone())
        .chain(result.diags.iter().filter(|_| !result.ok).cloned())
        .collect();
    let mut row = Row {
        schedule: schedule.clone(),
        name: name.to_string(),
        outcome: None,
        lockdep: 0,
        hung: Vec::new(),
        in_d: 0,
        verdict: None,
        infeasible: None,
        debug_locks: None,
        judged: result.ok,
        failed,
        log: PathBuf::new(),
    };
    let Ok((a, _)) = &booted.0 else {
        return row;
    };
    row.log = a.dir.join("console.log");
    row.outcome = Outcome::of(a, name);
    let log = Log::new(a.clone(), name, MODULE);
    row.lockdep = log.findings.iter().filter(|f| f.kind.is_lockdep()).count();
    row.hung = log
        .findings
        .iter()
        .filter(|f| f.kind == Kind::HungTask)
        .flat_map(|f| f.tasks.iter().map(|t| t.name.clone()))
        .collect();
    row.hung.sort();
    row.hung.dedup();
    row.in_d = log.in_d();
    row.verdict = log.verdict();
    let infeasible = regex::Regex::new(&format!(r"{MODULE}: schedule: infeasible at step (\d+)"))
        .expect("a valid pattern");
    row.infeasible = log
        .kernel
        .lines()
        .find_map(|l| infeasible.captures(l)?[1].parse().ok());
    let locks = regex::Regex::new(r"lockdep: debug_locks=(\d)").expect("a valid pattern");
    row.debug_locks = a.guest.scenario(name).and_then(|s| {
        s.lines
            .iter()
            .find_map(|(_, l)| locks.captures(l)?[1].parse().ok())
    });
    row
}
