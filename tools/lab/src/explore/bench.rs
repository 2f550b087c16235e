// SPDX-License-Identifier: GPL-2.0
//! Explore's figures in `make bench`: how many schedules a minute it
//! explores, with a boot each and sharing a boot, and how many loads in
//! free timing (`overlap=2`: the threads run together, nothing makes them
//! meet and no schedule orders them) it takes to hit the ABBA's deadlock
//! once, against one load with the minimal deadlocking schedule.

use std::time::Instant;

use crate::paths::Lab;
use crate::setup::Setup;
use crate::Error;

use super::schedule::Schedule;
use super::space::{configs, MODULE};

/// Loads in free timing, in each of two boots side by side.
const FREE_LOADS: usize = 15;

/// A figure: its name, value and unit, as `make bench` prints them.
pub type Figure = (String, String, String);

fn fig(out: &mut Vec<Figure>, name: &str, value: impl std::fmt::Display, unit: &str) {
    out.push((name.to_string(), value.to_string(), unit.to_string()));
}

/// The figures, and whether every schedule and load went as declared.
pub fn figures(lab: &Lab) -> Result<(Vec<Figure>, bool), Error> {
    let mut out = Vec::new();
    let jobs = std::thread::available_parallelism().map_or(3, |n| n.get() + 1);
    let mut ok = true;
    let mut rates = Vec::new();
    for label in ["fixed=0", "fixed=1"] {
        let c: Vec<_> = configs(4, 0, 0)
            .into_iter()
            .filter(|c| c.label == label)
            .collect();
        let how = if c[0].shared {
            "sharing one boot"
        } else {
            "a boot each"
        };
        let t0 = Instant::now();
        let (explored, boots) = super::explore_configs(Setup::load(lab.clone())?, c, jobs)?;
        let secs = t0.elapsed().as_secs_f64();
        let rows = &explored[0].1;
        ok &= rows.iter().all(|r| r.judged);
        let rate = rows.len() as f64 * 60.0 / secs;
        rates.push(rate);
        fig(
            &mut out,
            &format!(
                "explore_{}_schedules_per_minute({how}, {boots} boot(s), {jobs} at once)",
                label.replace('=', "")
            ),
            format!("{rate:.1}"),
            &format!("schedules/min ({} in {secs:.1} s)", rows.len()),
        );
    }
    fig(
        &mut out,
        "explore_shared_vs_alone",
        format!("{:.2}", rates[1] / rates[0]),
        "x (schedules a minute, silent schedules sharing a boot against a boot each)",
    );
    ok &= free_timing(lab, jobs, &mut out)?;
    Ok((out, ok))
}

/// Loads of the ABBA in free timing, until each boot has run its loads:
/// how often they deadlocked.
fn free_timing(lab: &Lab, jobs: usize, out: &mut Vec<Figure>) -> Result<bool, Error> {
    let extra: Vec<(String, String)> = (0..2 * FREE_LOADS)
        .map(|k| {
            (
                format!("free-{}-{}", k / FREE_LOADS + 1, k % FREE_LOADS + 1),
                "fixed=0 rounds=1 overlap=2".to_string(),
            )
        })
        .collect();
    let p = super::run::prepare(Setup::load(lab.clone())?, &[], &extra)?;
    let boots: Vec<(String, Vec<String>)> = extra
        .chunks(FREE_LOADS)
        .enumerate()
        .map(|(i, c)| {
            (
                format!("free:{i}"),
                c.iter().map(|(n, _)| n.clone()).collect(),
            )
        })
        .collect();
    let names = boots.clone();
    let pool = crate::suite::boots(&p.setup, boots, &p.accel, jobs);
    let mut deadlocked = 0;
    let mut first = Vec::new();
    let mut ok = true;
    for (key, names) in names {
        let booted = pool.wait(&key);
        let mut at = None;
        for (k, n) in names.iter().enumerate() {
            let row = super::run::row(&p.judge(), &Schedule(Vec::new()), n, &booted);
            ok &= row.judged;
            if row.deadlocked() {
                deadlocked += 1;
                at.get_or_insert(k + 1);
            }
        }
        first.push(at.map_or(format!("none in {FREE_LOADS}"), |k| k.to_string()));
    }
    let loads = 2 * FREE_LOADS;
    fig(
        out,
        &format!("free_timing_deadlocked({MODULE} fixed=0 rounds=1 overlap=2)"),
        deadlocked,
        &format!("of {loads} loads"),
    );
    fig(
        out,
        "free_timing_first_deadlock",
        first.join(", "),
        &format!("(the load of each boot's {FREE_LOADS} that deadlocked first)"),
    );
    let per = match deadlocked {
        0 => format!("more than {loads}"),
        d => format!("{:.1}", loads as f64 / d as f64),
    };
    fig(
        out,
        "free_timing_loads_per_deadlock",
        &per,
        "loads (against 1 with the minimal schedule, a.1 b.1)",
    );
    if deadlocked > 0 {
        fig(
            out,
            "free_timing_vs_minimal_schedule",
            format!("{:.1}", loads as f64 / deadlocked as f64),
            "x the loads to hit the deadlock once",
        );
    }
    Ok(ok)
}
