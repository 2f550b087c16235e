// SPDX-License-Identifier: GPL-2.0
//! `make explore SCHEDULE="a.1 b.1" [PARAMS=fixed=0]`: one schedule
//! replayed and told like `make run`: the steps as they happened, what each
//! detector saw, the picture, and the outcome.

use crate::setup::Setup;
use crate::story::show::{self, Log};
use crate::story::{follow, Ctx};
use crate::Error;

use super::schedule::Schedule;
use super::space::{self, Config, MODULE};

/// Replays `words` of `deadlock_lab` loaded with `params`; whether it went
/// as its declaration allows (the guest's checks passed, and it finished
/// or deadlocked).
pub fn replay(setup: Setup, words: &str, params: &str) -> Result<bool, Error> {
    let shape = space::shape_of(params).map_err(|e| Error::new(format!("PARAMS={params}: {e}")))?;
    let schedule = Schedule::parse(words, &shape).map_err(|e| {
        Error::new(format!("SCHEDULE={words}: {e}")).hint(format!(
            "name each step as THREAD.N, each thread's in order: the threads are {}",
            shape.threads.join(" ")
        ))
    })?;
    let config = Config {
        label: params.to_string(),
        params: params.to_string(),
        shape: shape.clone(),
        schedules: vec![schedule.clone()],
        shared: false,
        sampled: None,
    };
    let p = super::run::prepare(setup, std::slice::from_ref(&config), &[])?;
    let name = &p.names[0][0];
    let ctx = Ctx {
        suite: &p.setup,
        accel: p.accel.clone(),
    };
    let load = space::load_params(params, &schedule);
    show::title(&format!(
        "{MODULE} {params}, following {}",
        schedule.words(&shape)
    ));
    show::para(&format!(
        "insmod {MODULE} {load}: before each lock step a thread waits at a gate until the schedule says it is its turn, and the gate moves on once the step has settled (the lock taken, or the thread about to sleep for it). The steps after the schedule run freely."
    ));
    let started = ctx.start(name)?;
    follow(&started);
    let log: Log = ctx.finished(started)?;
    show::title("the steps as they happened");
    log.module_lines("schedule.*");
    let booted = crate::suite::Booted(Ok((log.boot.clone(), None)));
    let row = super::run::row(&p.judge(), &schedule, name, &booted);
    show::title("what each detector saw");
    match log.findings.iter().find(|f| f.kind.is_lockdep()) {
        Some(f) => println!("  lockdep: {} ({})", f.header.trim(), f.title),
        None => println!(
            "  lockdep: no lockdep report (debug_locks={} after the unload: it was watching)",
            row.debug_locks.map_or("?".into(), |d| d.to_string())
        ),
    }
    match row.hung.is_empty() {
        true => println!("  the hung-task detector: no hung task"),
        false => println!("  the hung-task detector: {} blocked", row.hung.join(", ")),
    }
    println!(
        "  ps: {} of the module's threads in D before the unload",
        row.in_d
    );
    if log.has_findings() {
        log.picture();
    }
    if let Some(v) = &row.verdict {
        println!(
            "  the module: {} ({} thread(s) asleep in down() at the unload)",
            if v.success { &v.what } else { "FAILURE" },
            v.asleep
        );
    }
    if let Some(step) = row.infeasible {
        println!("  infeasible: the threads could not follow step {step}; the rest ran freely");
    }
    if !row.judged {
        println!("  not as declared: {}", row.failed.join("; "));
    }
    println!("  full log: {}", log.console_path().display());
    println!(
        "outcome: {}",
        row.outcome
            .map_or("none (the boot did not get that far)".into(), |o| o
                .to_string())
    );
    Ok(row.judged)
}
