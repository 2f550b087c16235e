// SPDX-License-Identifier: GPL-2.0
//! Explore's reading of a schedule's boot, on real boot folders recorded
//! from `make explore SCHEDULE=...` (`tests/boots/explore-*`), judged with
//! the declaration explore makes for them, no QEMU needed.
//!
//! - `explore-deadlock`: `fixed=0` following `a.1 b.1`, the minimal
//!   deadlocking schedule: both threads hung, lockdep's report.
//! - `explore-infeasible`: `fixed=2` following `a.1 a.2 b.1 b.2 b.3 b.4`,
//!   whose back-off's try succeeded, so that its retry steps never came:
//!   the schedule the gate once called "followed to its end".

use std::path::{Path, PathBuf};

use lab::boot::Boot;
use lab::explore::run::{declare, row, Row};
use lab::explore::schedule::Schedule;
use lab::explore::space::{load_params, shape_of};
use lab::judge::Judge;
use lab::modules::Facts;
use lab::outcome::Outcome;
use lab::outside::{Generic, GENERIC, GENERIC_RUN};
use lab::suite::Booted;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The row explore makes of the recorded boot `dir`, which ran `words` of
/// `deadlock_lab` loaded with `params`, as scenario `name`.
fn explored(dir: &str, name: &str, params: &str, words: &str) -> Row {
    let read = |f: &str| std::fs::read_to_string(repo().join(f)).unwrap();
    let generic = Generic {
        path: repo().join(GENERIC),
        start: read(GENERIC),
        run: read(GENERIC_RUN),
    };
    let shape = shape_of(params).unwrap();
    let schedule = Schedule::parse(words, &shape).unwrap();
    let tmp = std::env::temp_dir().join(format!("lab-explored-{}-{dir}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let d = declare(
        &tmp,
        &generic,
        &Facts::default(),
        name,
        &load_params(params, &schedule),
        "recorded",
    )
    .unwrap();
    let _ = std::fs::remove_dir_all(&tmp);
    let judge = Judge {
        decls: std::slice::from_ref(&d),
        kunit_py: Path::new("kunit.py"),
    };
    let boot = Boot::analyse(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/boots")
            .join(dir),
    )
    .unwrap();
    row(&judge, &schedule, name, &Booted(Ok((boot, None))))
}

#[test]
fn the_minimal_schedule_deadlocks_and_every_detector_says_so() {
    let r = explored(
        "explore-deadlock",
        "explore-fixed0-1-0x12",
        "fixed=0",
        "a.1 b.1",
    );
    assert!(r.judged, "{:?}", r.failed);
    assert_eq!(r.outcome, Some(Outcome::Deadlocked));
    assert!(r.feasible());
    assert_eq!(r.lockdep, 1);
    assert_eq!(r.hung, ["deadlock_lab_a", "deadlock_lab_b"]);
    assert_eq!(r.in_d, 2);
    assert_eq!(r.verdict.map(|v| (v.success, v.asleep)), Some((true, 2)));
    assert_eq!(r.debug_locks, Some(0));
}

#[test]
fn a_back_off_whose_retry_never_came_is_infeasible() {
    let r = explored(
        "explore-infeasible",
        "explore-fixed2-1-0x112222",
        "fixed=2",
        "a.1 a.2 b.1 b.2 b.3 b.4",
    );
    assert!(r.judged, "{:?}", r.failed);
    assert_eq!(r.outcome, Some(Outcome::Finished));
    assert_eq!(r.infeasible, Some(5));
    assert!(!r.feasible());
    assert_eq!((r.lockdep, r.in_d), (0, 0));
    assert!(r.hung.is_empty());
    assert_eq!(r.debug_locks, Some(1), "lockdep was still watching");
}
