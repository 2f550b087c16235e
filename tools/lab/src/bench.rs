// SPDX-License-Identifier: GPL-2.0
//! `make bench`: the lab's timings as `name: value unit` lines, every ratio
//! against a baseline measured in the same run.
//!
//! - The empty boot, the floor any boot pays: QEMU starts the lab kernel
//!   (TCG, `-cpu max`, 2 vCPUs, 512 MiB) with an initramfs of a static
//!   busybox and a three-line `/init` that mounts `/proc` and reboots. The
//!   lab's own boot path (its initramfs and init, `lab.run=none`) is timed
//!   separately, as the lab's own minimal boot.
//! - The warm `make test`, three times: its median wall time, and the
//!   median's ratio to the empty boot; the sum of its boots' wall times and
//!   the longest boot.
//! - The stages of the last cold run, from one run (`lab bench --cold` makes
//!   a new one: `.ci/run` in a scratch clone with a scratch cache), naming
//!   its kernel series and the stages it could not measure.
//! - Schedules explored a minute, and how many loads in free timing it
//!   takes to hit the ABBA's deadlock once, against the minimal schedule's
//!   one ([`crate::explore::bench`]).
//! - Then the inspector's own benchmark (throughput against grep).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::boot::{Boot, Record};
use crate::process::output;
use crate::qemu::{Spec, QEMU};
use crate::setup::Setup;
use crate::Error;

fn fig(name: &str, value: impl std::fmt::Display, unit: &str) {
    println!("{name}: {value} {unit}");
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return 0.0;
    }
    v[v.len() / 2]
}

/// Options of `lab bench`.
pub struct Options {
    pub cold: bool,
    pub suite_runs: usize,
    pub inspector: bool,
}

pub fn run(suite: &Setup, opts: &Options) -> Result<bool, Error> {
    if opts.cold {
        cold_run(suite)?;
    }
    print_cold(suite);
    let (empty, empty_cpu) = empty_boots(suite, 5)?;
    fig(
        "boot_empty_wall(tcg, busybox /init, median of 5)",
        format!("{empty:.2}"),
        "s",
    );
    fig(
        "boot_empty_cpu",
        format!("{empty_cpu:.2}"),
        "s (host CPU, median)",
    );
    let lab_boot = lab_boots(suite, 3)?;
    fig(
        "boot_lab_minimal_wall(lab.run=none, median of 3)",
        format!("{:.2}", lab_boot.0),
        "s",
    );
    fig(
        "boot_lab_minimal_to_init",
        format!("{:.2}", lab_boot.1),
        "s",
    );
    fig(
        "boot_lab_minimal_cpu",
        format!("{:.2}", lab_boot.2),
        "s (host CPU, median; its CPUs take turns on one host thread)",
    );
    fig(
        "boot_lab_minimal_vs_empty",
        format!("{:.2}", lab_boot.0 / empty),
        "x",
    );
    let mut ok = true;
    if opts.suite_runs > 0 {
        ok &= warm_suite(suite, opts.suite_runs, empty)?;
    }
    ok &= backoff(suite)?;
    let (figures, explored) = crate::explore::bench::figures(&suite.lab)?;
    for (name, value, unit) in figures {
        fig(&name, value, &unit);
    }
    ok &= explored;
    let inspector = suite.lab.root.join("tools/dmesg-inspect/bench.sh");
    if opts.inspector && inspector.is_file() {
        let status = Command::new(&inspector)
            .status()
            .map_err(|e| Error::new(e.to_string()))?;
        ok &= status.success();
    }
    Ok(ok)
}

/// The empty boot of the definition above, `n` times: the median wall time
/// and the median host CPU time.
fn empty_boots(suite: &Setup, n: usize) -> Result<(f64, f64), Error> {
    let dir = crate::qemu::tempdir("empty-boot").map_err(|e| Error::new(e.to_string()))?;
    let initrd = empty_initramfs(suite, &dir)?;
    let k = &suite.kernel;
    let mut times = Vec::new();
    let mut cpus = Vec::new();
    for _ in 0..n {
        let t0 = Instant::now();
        let cpu0 = children_cpu();
        let args = Spec::bare(&initrd).args(k, "tcg", "null", "null");
        let (ok, text) = output(Command::new("timeout").arg("60").arg(QEMU).args(&args));
        if !ok {
            return Err(Error::new(format!("the empty boot failed: {text}")));
        }
        times.push(t0.elapsed().as_secs_f64());
        cpus.push(children_cpu() - cpu0);
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok((median(times), median(cpus)))
}

/// The CPU time (user and system) of this program's children that have
/// ended, in seconds.
fn children_cpu() -> f64 {
    use nix::sys::resource::{getrusage, UsageWho};
    getrusage(UsageWho::RUSAGE_CHILDREN)
        .map(|u| {
            let t = |v: nix::sys::time::TimeVal| v.tv_sec() as f64 + v.tv_usec() as f64 / 1e6;
            t(u.user_time()) + t(u.system_time())
        })
        .unwrap_or(0.0)
}

/// An initramfs of a static busybox and a three-line `/init`.
fn empty_initramfs(suite: &Setup, dir: &Path) -> Result<PathBuf, Error> {
    let init = dir.join("init");
    std::fs::write(
        &init,
        "#!/bin/busybox sh\n/bin/busybox mount -t proc proc /proc\n/bin/busybox reboot -f\n",
    )
    .map_err(|e| Error::new(e.to_string()))?;
    let spec = dir.join("spec");
    std::fs::write(
        &spec,
        format!(
            "dir /dev 755 0 0\nnod /dev/console 600 0 0 c 5 1\ndir /bin 755 0 0\ndir /proc 755 0 0\n\
             file /bin/busybox /bin/busybox 755 0 0\nfile /init {} 755 0 0\n",
            init.display()
        ),
    )
    .map_err(|e| Error::new(e.to_string()))?;
    let out = dir.join("empty.cpio");
    crate::process::gen_init_cpio(&suite.kernel, &spec, &out)?;
    Ok(out)
}

/// The lab's own boot with nothing to run, `n` times: the median wall time,
/// the median time to its init's first word, and the median host CPU time.
fn lab_boots(suite: &Setup, n: usize) -> Result<(f64, f64, f64), Error> {
    let initrd = suite.lab.initramfs();
    let accel = crate::qemu::Accel {
        name: "tcg".into(),
        why: "the benchmark's baseline is TCG".into(),
    };
    let (mut walls, mut inits, mut cpus) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        let mut spec = Spec::new("none", &initrd);
        spec.timeout = Duration::from_secs(60);
        let t0 = Instant::now();
        let a = Boot::start(&suite.kernel, &suite.lab.logs_dir(), spec, &accel)?.wait()?;
        walls.push(t0.elapsed().as_secs_f64());
        inits.push(a.record.to_init_secs.unwrap_or(0.0));
        cpus.push(a.record.cpu_secs.unwrap_or(0.0));
    }
    Ok((median(walls), median(inits), median(cpus)))
}

/// The warm `make test`, `runs` times.
fn warm_suite(suite: &Setup, runs: usize, empty: f64) -> Result<bool, Error> {
    let mut walls = Vec::new();
    let mut boots = Vec::new();
    let mut ok = true;
    let mut failed_logs = Vec::new();
    for i in 0..runs {
        let log = suite.lab.out.join(format!("bench-suite-{}.log", i + 1));
        let since = std::time::SystemTime::now();
        let t0 = Instant::now();
        let (passed, text) = output(
            Command::new("make")
                .arg("-s")
                .arg("-C")
                .arg(&suite.lab.root)
                .arg("test"),
        );
        let wall = t0.elapsed().as_secs_f64();
        let _ = std::fs::write(&log, &text);
        if !passed {
            failed_logs.push(log.display().to_string());
        }
        let result = text
            .lines()
            .rev()
            .find(|l| l.ends_with(" failed"))
            .unwrap_or("no summary")
            .to_string();
        fig(
            &format!("warm_make_test_wall[{}]", i + 1),
            format!("{wall:.1}"),
            &format!("s ({result})"),
        );
        ok &= passed;
        walls.push(wall);
        boots.push(records_since(&suite.lab.logs_dir(), since));
    }
    let med = median(walls.clone());
    fig("warm_make_test_wall(median)", format!("{med:.1}"), "s");
    fig(
        "warm_make_test_vs_empty_boot",
        format!("{:.1}", med / empty),
        "x",
    );
    // The boots of the median run.
    let i = walls.iter().position(|w| *w == med).unwrap_or(0);
    let records = &boots[i];
    let sum: f64 = records.iter().map(|r| r.1.wall_secs).sum();
    let cpu: f64 = records.iter().filter_map(|r| r.1.cpu_secs).sum();
    fig("warm_suite_boots", records.len(), "boots");
    fig("warm_suite_boot_wall_sum", format!("{sum:.1}"), "s");
    fig(
        "warm_suite_boot_cpu_sum",
        format!("{cpu:.1}"),
        "s (host CPU of the boots' QEMUs)",
    );
    if let Some((name, r)) = records
        .iter()
        .max_by(|a, b| a.1.wall_secs.total_cmp(&b.1.wall_secs))
    {
        fig(
            &format!("warm_suite_longest_boot({name})"),
            format!("{:.1}", r.wall_secs),
            "s",
        );
    }
    if !ok {
        eprintln!("# a suite run failed; its log: {}", failed_logs.join(", "));
    }
    Ok(ok)
}

/// What back-off costs against the fixed order, from one boot of the
/// `backoff` scenario: the same load (its declared rounds and hold_us) with
/// `fixed=1`, then `fixed=2`; each thread's rounds per second, and how often
/// thread B backed off.
fn backoff(suite: &Setup) -> Result<bool, Error> {
    let Some(d) = suite.decl("backoff") else {
        return Ok(true);
    };
    let accel = crate::accel::choose(&suite.kernel, &suite.initrd(d))?;
    let a = Boot::start(
        &suite.kernel,
        &suite.lab.logs_dir(),
        suite.spec(&["backoff".to_string()]),
        &accel,
    )?
    .wait()?;
    let line = a.guest.scenario("backoff").and_then(|s| {
        s.lines
            .iter()
            .find_map(|(_, l)| l.strip_prefix("# back-off figures: ").map(str::to_string))
    });
    let Some(line) = line else {
        eprintln!(
            "# the backoff boot printed no figures; its log: {}",
            a.dir.join("console.log").display()
        );
        return Ok(false);
    };
    let get = |k: &str| -> f64 {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    };
    let rounds: f64 = d
        .scenario
        .params
        .split_whitespace()
        .find_map(|p| p.strip_prefix("rounds="))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    let per_s = |ms: f64| if ms > 0.0 { rounds * 1000.0 / ms } else { 0.0 };
    let params = d.scenario.params.replace("fixed=2 ", "");
    for (label, key) in [
        ("fixed_order_a", "fixed_a_ms"),
        ("fixed_order_b", "fixed_b_ms"),
        ("backoff_a", "backoff_a_ms"),
        ("backoff_b", "backoff_b_ms"),
    ] {
        fig(
            &format!("{label}_rounds_per_s({params})"),
            format!("{:.0}", per_s(get(key))),
            "rounds/s",
        );
    }
    fig("backoff_b_backoffs", get("backoffs_b"), "back-offs");
    fig(
        "backoff_b_vs_fixed_b",
        format!(
            "{:.2}",
            per_s(get("backoff_b_ms")) / per_s(get("fixed_b_ms")).max(1e-9)
        ),
        "x (rounds/s)",
    );
    fig(
        "backoff_a_vs_backoff_b",
        format!(
            "{:.2}",
            per_s(get("backoff_a_ms")) / per_s(get("backoff_b_ms")).max(1e-9)
        ),
        "x (A's rounds/s over B's: B's starvation)",
    );
    Ok(true)
}

/// The boot records written under `logs` since `since`.
fn records_since(logs: &Path, since: std::time::SystemTime) -> Vec<(String, Record)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(logs).into_iter().flatten().flatten() {
        // Not the latest-NAME links: each points at a boot already counted.
        if e.file_type().map(|t| t.is_symlink()).unwrap_or(true) {
            continue;
        }
        let p = e.path().join("boot.json");
        let Ok(meta) = std::fs::metadata(&p) else {
            continue;
        };
        if meta.modified().map(|m| m < since).unwrap_or(true) {
            continue;
        }
        if let Some(r) = std::fs::read_to_string(&p)
            .ok()
            .and_then(|t| serde_json::from_str::<Record>(&t).ok())
        {
            out.push((r.run.clone(), r));
        }
    }
    out
}

/// The record of one cold run, kept in the cache.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ColdRun {
    pub date: String,
    pub series: String,
    pub total_secs: f64,
    pub result: String,
    /// Each stage and its seconds, in order.
    pub stages: Vec<(String, f64)>,
    /// Stages that had nothing to do (what the machine had already).
    pub not_measured: Vec<String>,
}

fn cold_file(suite: &Setup) -> PathBuf {
    suite.kernel.cache().join("cold-run.json")
}

/// The stages every cold run has, by the start of their header.
const COLD_STAGES: [&str; 8] = [
    "Host packages",
    "bindgen",
    "Looking for linux-source",
    "Fetching linux-source",
    "Unpacking linux-source",
    "Configuring Linux",
    "Building Linux",
    "Building the host programs",
];

/// `.ci/run` in a scratch clone of HEAD with an empty cache.
fn cold_run(suite: &Setup) -> Result<(), Error> {
    let scratch = crate::qemu::tempdir("cold").map_err(|e| Error::new(e.to_string()))?;
    eprintln!(
        "# cold run: a clone of HEAD and an empty cache in {}",
        scratch.display()
    );
    let clone = scratch.join("clone");
    let (ok, text) = output(
        Command::new("git")
            .arg("clone")
            .arg("-q")
            .arg(&suite.lab.root)
            .arg(&clone),
    );
    if !ok {
        return Err(Error::new(format!("git clone failed: {text}")));
    }
    let cache = scratch.join("cache");
    let t0 = Instant::now();
    let (_, log) = output(
        Command::new("bash")
            .arg(".ci/run")
            .current_dir(&clone)
            .env("CI", "true")
            .env("DEADLOCK_LAB_CACHE", &cache),
    );
    let total = t0.elapsed().as_secs_f64();
    // The run's whole output outlives the scratch clone.
    let kept = suite.lab.out.join("bench-cold-run.log");
    let _ = std::fs::write(&kept, &log);
    eprintln!("# cold run: {total:.0} s; its output: {}", kept.display());
    let timings = std::fs::read_to_string(cache.join("timings.log")).unwrap_or_default();
    let mut stages = Vec::new();
    for l in timings.lines() {
        let f: Vec<&str> = l.split('\t').collect();
        if let [_, name, secs] = f[..] {
            stages.push((name.to_string(), secs.parse().unwrap_or(0.0)));
        }
    }
    // A stage that had nothing to do prints no line, but for the packages,
    // whose check always runs (a fraction of a second when all are in).
    let not_measured = COLD_STAGES
        .iter()
        .filter(|s| {
            !stages
                .iter()
                .any(|(n, secs)| n.starts_with(*s) && (*s != &"Host packages" || *secs >= 1.0))
        })
        .map(|s| s.to_string())
        .collect();
    let series = log
        .lines()
        .find_map(|l| l.split("lab kernel: Linux ").nth(1))
        .map(|v| v.split([',', ' ']).next().unwrap_or("").to_string())
        .unwrap_or_default();
    let run = ColdRun {
        date: chrono::Local::now().to_rfc3339(),
        series,
        total_secs: total,
        result: log
            .lines()
            .rev()
            .find(|l| l.ends_with(" failed"))
            .unwrap_or("no summary")
            .to_string(),
        stages,
        not_measured,
    };
    let _ = std::fs::write(
        cold_file(suite),
        serde_json::to_string_pretty(&run).unwrap_or_default(),
    );
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}

/// The last cold run's figures.
fn print_cold(suite: &Setup) {
    let Some(run) = std::fs::read_to_string(cold_file(suite))
        .ok()
        .and_then(|t| serde_json::from_str::<ColdRun>(&t).ok())
    else {
        println!("cold_run: none recorded (lab bench --cold measures one: about 9 min)");
        return;
    };
    fig(
        "cold_run_total",
        format!("{:.0}", run.total_secs),
        &format!("s (Linux {}, {}, {})", run.series, run.date, run.result),
    );
    for (name, secs) in &run.stages {
        fig(&format!("cold_stage: {name}"), format!("{secs:.1}"), "s");
    }
    for s in &run.not_measured {
        fig(
            &format!("cold_stage_not_measured: {s}"),
            "-",
            "(nothing to do: the machine had it already)",
        );
    }
}
