// SPDX-License-Identifier: GPL-2.0
//! `make explore`: every interleaving of a round, by name.
//!
//! `deadlock_lab` loaded with `rounds=1 schedule=S` makes its threads take
//! their lock steps in the order S names (`src/lab/gate.rs`). Explore
//! enumerates every schedule of one round of the ABBA as it is (`fixed=0`),
//! fixed (`fixed=1`), backing off (`fixed=2`, its one retry a schedule
//! covers) and of a ring of 3 (`locks=3`), and draws seeded PCT samples of
//! a larger ring; boots each ([`run`]), judges each with the suite's judge,
//! and prints what each detector said ([`report`]). Then it finds the
//! shortest prefix after which every schedule of `fixed=0` deadlocked and
//! replays it. `make explore SCHEDULE="a.1 b.1"` replays one schedule as a
//! story ([`replay`]).

pub mod bench;
pub mod replay;
pub mod report;
pub mod run;
pub mod schedule;
pub mod space;

use std::time::Instant;

use crate::setup::Setup;
use crate::suite::Booted;
use crate::Error;

use run::Row;
use schedule::Schedule;
use space::Config;

/// How many times the minimal deadlocking schedule is replayed.
pub const REPLAYS: usize = 3;

/// Options of `lab explore`.
pub struct Options {
    /// The configurations to explore, by label (all if empty).
    pub only: Vec<String>,
    pub ring: usize,
    pub samples: usize,
    pub seed: u64,
    pub jobs: usize,
}

/// What an exploration found, for `make bench` as well.
pub struct Explored {
    pub configs: Explorations,
    pub minimal: Option<(Schedule, Vec<Row>)>,
    pub boots: usize,
    pub seconds: f64,
}

impl Explored {
    /// Every schedule judged as declared, and the minimal one replayed to a
    /// deadlock every time.
    pub fn ok(&self) -> bool {
        self.configs.iter().flat_map(|(_, r)| r).all(|r| r.judged)
            && self
                .minimal
                .as_ref()
                .is_none_or(|(_, r)| r.iter().all(|r| r.judged && r.deadlocked()))
    }
}

/// The boots of `configs`: one per schedule, or one per configuration
/// whose schedules share a boot; `(key, scenarios)`.
fn boots_of(configs: &[Config], names: &[Vec<String>]) -> Vec<(String, Vec<String>)> {
    let mut boots = Vec::new();
    for (c, names) in configs.iter().zip(names) {
        if c.shared {
            boots.push((c.label.clone(), names.clone()));
        } else {
            boots.extend(names.iter().map(|n| (n.clone(), vec![n.clone()])));
        }
    }
    boots
}

/// Each configuration and the rows of its schedules.
pub type Explorations = Vec<(Config, Vec<Row>)>;

/// Boots and judges every schedule of `configs`, saying each as it is
/// judged.
pub fn explore_configs(
    setup: Setup,
    configs: Vec<Config>,
    jobs: usize,
) -> Result<(Explorations, usize), Error> {
    let p = run::prepare(setup, &configs, &[])?;
    let boots = boots_of(&configs, &p.names);
    let count = boots.len();
    let total: usize = configs.iter().map(|c| c.schedules.len()).sum();
    crate::note(format!(
        "exploring {total} schedule(s) of {} in {count} boot(s), {jobs} at once",
        configs
            .iter()
            .map(|c| c.label.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let pool = crate::suite::boots(&p.setup, boots, &p.accel, jobs);
    let t0 = Instant::now();
    let mut out = Vec::new();
    let mut done = 0;
    for (c, names) in configs.into_iter().zip(&p.names) {
        let mut rows = Vec::new();
        let mut shared: Option<Booted> = None;
        for (s, name) in c.schedules.iter().zip(names) {
            let booted = match c.shared {
                true => shared.get_or_insert_with(|| pool.wait(&c.label)).clone(),
                false => pool.wait(name),
            };
            let row = run::row(&p.judge(), s, name, &booted);
            done += 1;
            crate::note(format!(
                "[{done}/{total}] {} {}: {}{} ({:.0} s in)",
                c.label,
                s.words(&c.shape),
                row.outcome
                    .map_or("no outcome".to_string(), |o| o.to_string()),
                if row.judged { "" } else { ", NOT as declared" },
                t0.elapsed().as_secs_f64()
            ));
            rows.push(row);
        }
        out.push((c, rows));
    }
    Ok((out, count))
}

/// `make explore`: every configuration, the summaries, tables and
/// pictures, and the minimal deadlocking schedule replayed.
pub fn explore(lab: &crate::paths::Lab, opts: &Options) -> Result<Explored, Error> {
    let t0 = Instant::now();
    let configs: Vec<Config> = space::configs(opts.ring, opts.samples, opts.seed)
        .into_iter()
        .filter(|c| opts.only.is_empty() || opts.only.contains(&c.label))
        .collect();
    if configs.is_empty() {
        return Err(
            Error::new(format!("no configuration called {}", opts.only.join(", ")))
                .hint("the configurations: fixed=0 fixed=1 fixed=2 locks=3 locks=RING"),
        );
    }
    let (explored, mut boots) = explore_configs(Setup::load(lab.clone())?, configs, opts.jobs)?;
    let dir = lab.out.join("explore");
    for (c, rows) in &explored {
        println!("{}", report::summary(c, rows));
        println!("{}", report::infeasible(rows));
        println!("{}", report::how(c));
        print!("{}", report::table(c, rows));
        if c.sampled.is_none() && rows.len() <= 15 {
            println!("  the schedules as paths through the steps:");
            print!("{}", report::tree_text(c, rows));
        }
        if let Some(svg) = report::picture(&dir, c, rows) {
            println!("  picture: {}", svg.display());
        }
        println!();
    }
    let mut minimal = None;
    if let Some((c, rows)) = explored.iter().find(|(c, _)| c.label == "fixed=0") {
        let runs: Vec<(Schedule, bool)> = rows
            .iter()
            .filter(|r| r.feasible())
            .map(|r| (r.schedule.clone(), r.deadlocked()))
            .collect();
        match schedule::minimal_deadlock(&runs) {
            Some(m) => {
                println!(
                    "explore: minimal deadlocking schedule: {}",
                    m.words(&c.shape)
                );
                let again = Config {
                    label: c.label.clone(),
                    schedules: vec![m.clone(); REPLAYS],
                    shared: false,
                    sampled: None,
                    ..c.clone()
                };
                let (mut replayed, n) =
                    explore_configs(Setup::load(lab.clone())?, vec![again], opts.jobs)?;
                boots += n;
                let rows = replayed.pop().map(|(_, r)| r).unwrap_or_default();
                let dead = rows.iter().filter(|r| r.deadlocked()).count();
                println!(
                    "  replayed {REPLAYS} times (schedule={m}, the rest free): deadlocked {dead} of {REPLAYS}"
                );
                minimal = Some((m, rows));
            }
            None => println!("explore: no prefix of fixed=0 deadlocked whatever followed"),
        }
    }
    let e = Explored {
        configs: explored,
        minimal,
        boots,
        seconds: t0.elapsed().as_secs_f64(),
    };
    let schedules: usize = e.configs.iter().map(|(_, r)| r.len()).sum();
    println!(
        "explore: {schedules} schedules in {} boots, {:.0} s ({:.1} schedules a minute); files: {}",
        e.boots,
        e.seconds,
        schedules as f64 * 60.0 / e.seconds.max(1.0),
        dir.display()
    );
    Ok(e)
}
