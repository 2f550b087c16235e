// SPDX-License-Identifier: GPL-2.0
//! `make test`: the host tests, then the scenarios, booted in parallel,
//! as one KTAP document in the declared order, ending with
//! `N passed, N failed`.
//!
//! Scenarios share boots as [`crate::plan`] groups them. If a shared boot
//! shows a report that the scenario whose part of the log holds it does not
//! declare, that scenario fails and the others of the boot are not judged
//! (reported as failed, never as passed).

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use crate::boot::Boot;
use crate::decl::Driver;
use crate::hosttests;
use crate::jobs::{Job, Panicked, Pool, Post};
use crate::judge::{BootOutcome, Judge};
use crate::ktap::{self, TestResult};
use crate::plan::{plan_boots, Timings};
use crate::qemu::{self, Accel};
use crate::setup::Setup;
use crate::{interrupt, note, Error};

/// What a job of the suite posts: a boot's outcome (under `boot:N`), or a
/// host test's result (under its name).
#[derive(Clone)]
enum Done {
    Boot(Box<BootOutcome>),
    Host(TestResult),
    Panicked(String),
}

impl Panicked for Done {
    fn panicked(message: &str) -> Done {
        Done::Panicked(message.to_string())
    }
}

fn boot_key(i: usize, run: usize) -> String {
    format!("boot:{i}:{run}")
}

/// Options of one run.
pub struct Options {
    pub tests: Vec<String>,
    pub jobs: usize,
    pub share: usize,
    /// How many times each selected scenario runs (its boot, that is).
    pub repeat: usize,
}

/// Runs the suite; returns whether everything passed.
pub fn run(suite: Arc<Setup>, opts: Options) -> Result<(bool, Vec<TestResult>), Error> {
    let scenario_names: Vec<String> = suite.decls.iter().map(|d| d.name.clone()).collect();
    let host: Vec<&str> = hosttests::ALL.iter().map(|t| t.name()).collect();
    let all: Vec<String> = host
        .iter()
        .map(|s| s.to_string())
        .chain(scenario_names.iter().cloned())
        .chain(["ktap".to_string()])
        .collect();
    let mut selected: Vec<String> = Vec::new();
    let asked = if opts.tests.is_empty() {
        all.clone()
    } else {
        opts.tests.clone()
    };
    for t in &asked {
        if !all.contains(t) {
            return Err(Error::new(format!("no test named '{t}'"))
                .hint(format!("tests: {}", all.join(" "))));
        }
        if t != "ktap" && !selected.contains(t) {
            selected.push(t.clone());
        }
    }
    // The KTAP check reads the results of every test before it: it comes last.
    if asked.iter().any(|t| t == "ktap") {
        selected.push("ktap".into());
    }
    let scenarios: Vec<String> = selected
        .iter()
        .filter(|t| scenario_names.contains(t))
        .cloned()
        .collect();
    let timings = Timings::load(&suite.kernel, &suite.lab.root);
    let boots = plan_boots(&suite, &scenarios, opts.share, &timings);
    let mut boot_of = HashMap::new();
    for (i, b) in boots.iter().enumerate() {
        for n in &b.names {
            boot_of.insert(n.clone(), i);
        }
    }
    for b in &boots {
        suite.image_of(&b.names)?;
    }
    let accel = if boots.is_empty() {
        None
    } else {
        qemu::preflight(&suite.kernel, &suite.lab.initramfs())?;
        Some(crate::accel::choose(&suite.kernel, &suite.lab.initramfs())?)
    };
    if let Some(accel) = &accel {
        note(format!(
            "{} boot(s), {} at once, on {} ({}); planned from {}",
            boots.len(),
            opts.jobs,
            accel.name,
            accel.why,
            timings.source
        ));
    }
    // The host tests take a slot as a boot does, scheduled by their time in
    // the last run like the boots: never in the way of the longest boot.
    let host_tests: Vec<hosttests::HostTest> = hosttests::ALL
        .iter()
        .copied()
        .filter(|h| selected.iter().any(|t| t == h.name()))
        .collect();
    let mut jobs: Vec<(Job<Done>, f64)> = Vec::new();
    for run in 0..opts.repeat {
        for (i, b) in boots.iter().enumerate() {
            let (suite, accel, names) = (suite.clone(), accel.clone(), b.names.clone());
            let key = boot_key(i, run);
            let job = Job::new(vec![key.clone()], move |post: &Post<Done>| {
                let outcome = match (&accel, interrupt::interrupted()) {
                    (_, true) => Err(Error::new("interrupted before it started")),
                    (Some(accel), false) => one_boot(&suite, &names, accel),
                    (None, false) => Err(Error::new("no accelerator was chosen")),
                };
                post.put(&key, Done::Boot(Box::new(outcome)));
            });
            jobs.push((job, b.estimate));
        }
    }
    if !host_tests.is_empty() {
        let e = host_tests
            .iter()
            .map(|h| timings.guest_secs(h.name()).unwrap_or(20.0))
            .sum();
        let keys = host_tests.iter().map(|h| h.name().to_string()).collect();
        let suite = suite.clone();
        let job = Job::new(keys, move |post: &Post<Done>| {
            for h in host_tests {
                let t0 = Instant::now();
                let ran = if interrupt::interrupted() {
                    (false, vec!["interrupted before it started".to_string()]).into()
                } else {
                    h.run(&suite)
                };
                let mut r =
                    TestResult::plain(h.name(), ran.ok, t0.elapsed().as_secs_f64(), ran.diags);
                r.directive = ran.skip.map(|why| format!("SKIP {why}"));
                post.put(h.name(), Done::Host(r));
            }
        });
        jobs.push((job, e));
    }
    jobs.sort_by(|a, b| b.1.total_cmp(&a.1));
    let pool = Pool::start(jobs.into_iter().map(|(j, _)| j).collect(), opts.jobs);
    let judge = Judge {
        decls: &suite.decls,
        kunit_py: &suite.kernel.kunit_py(),
    };

    let started = Instant::now();
    let ktap_path = suite.lab.out.join("test-results.ktap");
    let mut out = Tee::new(&ktap_path)?;
    out.write(&ktap::header(selected.len()));
    let mut results: Vec<TestResult> = Vec::new();
    let mut new_timings = timings.clone();
    for t in &selected {
        if interrupt::interrupted() {
            break;
        }
        let result = if t == "ktap" {
            hosttests::ktap_check(&suite, &out.text, &results)
        } else if hosttests::ALL.iter().any(|h| h.name() == t) {
            let r = match pool.wait(t) {
                Done::Host(r) => r,
                Done::Panicked(m) => {
                    TestResult::plain(t, false, 0.0, vec![format!("the test panicked: {m}")])
                }
                Done::Boot(_) => unreachable!("a host test's key holds its result"),
            };
            new_timings.record(t, r.seconds);
            r
        } else {
            let runs: Vec<BootOutcome> = (0..opts.repeat)
                .map(|run| match pool.wait(&boot_key(boot_of[t], run)) {
                    Done::Boot(o) => *o,
                    Done::Panicked(m) => Err(Error::new(format!("its boot's job panicked: {m}"))),
                    Done::Host(_) => unreachable!("a boot's key holds its outcome"),
                })
                .collect();
            let r = match &runs[..] {
                [one] => judge.scenario(t, one),
                _ => crate::repeat::judged(&judge, t, &runs),
            };
            // A boot that failed to start says 0 s: no time of the scenario.
            if r.seconds > 0.0 {
                new_timings.record(t, r.seconds);
            }
            r
        };
        if interrupt::interrupted() && !result.ok {
            break;
        }
        out.write(&ktap::render(results.len() + 1, &result));
        results.push(result);
    }
    if interrupt::interrupted() {
        let not_run: Vec<&String> = selected.iter().skip(results.len()).collect();
        out.write(&format!(
            "# interrupted by {}: {} test(s) did not run: {}\n",
            interrupt::signal_name(),
            not_run.len(),
            not_run
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        ));
        for name in not_run {
            let r = TestResult {
                name: name.clone(),
                ok: false,
                directive: Some(format!(
                    "interrupted by {}: did not run",
                    interrupt::signal_name()
                )),
                seconds: 0.0,
                diags: vec![],
                subtests: None,
            };
            out.write(&ktap::render(results.len() + 1, &r));
            results.push(r);
        }
    } else {
        // A run of every test also forgets the times of tests that are gone.
        let known: Option<&[String]> = if opts.tests.is_empty() {
            Some(&all)
        } else {
            None
        };
        new_timings.save(&suite.kernel, known);
    }
    out.write(&format!(
        "# suite: {:.1} s, {} boot(s), {} at once\n",
        started.elapsed().as_secs_f64(),
        boots.len(),
        opts.jobs
    ));
    out.write(&ktap::summary(&results));
    let junit = suite.lab.out.join("test-results.xml");
    std::fs::write(&junit, ktap::junit(&results))
        .map_err(|e| Error::new(format!("{}: {e}", junit.display())))?;
    note(format!(
        "KTAP: {}; JUnit XML: {}",
        ktap_path.display(),
        junit.display()
    ));
    Ok((
        results.iter().all(|r| r.ok) && !interrupt::interrupted(),
        results,
    ))
}

/// A boot's outcome as a job posts it (a job that panicked posts an error
/// with the panic's message).
#[derive(Clone)]
pub struct Booted(pub BootOutcome);

impl Panicked for Booted {
    fn panicked(message: &str) -> Booted {
        Booted(Err(Error::new(format!(
            "the boot's job panicked: {message}"
        ))))
    }
}

/// Boots of `suite`, each of the scenarios under its key, `slots` at once,
/// as the suite boots them ([`one_boot`]).
pub fn boots(
    suite: &std::sync::Arc<Setup>,
    boots: Vec<(String, Vec<String>)>,
    accel: &Accel,
    slots: usize,
) -> Pool<Booted> {
    let jobs = boots
        .into_iter()
        .map(|(key, names)| {
            let (suite, accel) = (suite.clone(), accel.clone());
            Job::new(vec![key.clone()], move |post: &Post<Booted>| {
                post.put(&key, Booted(one_boot(&suite, &names, &accel)));
            })
        })
        .collect();
    Pool::start(jobs, slots)
}

/// One boot of the suite, with its driver if it has one.
pub fn one_boot(suite: &Setup, names: &[String], accel: &Accel) -> BootOutcome {
    let spec = suite.spec(names);
    let decl = suite.decl(&names[0]).unwrap();
    match decl.scenario.driver {
        Some(Driver::Gdb) => crate::gdb::drive(suite, spec, accel).map(|(a, d)| (a, Some(d))),
        None => {
            let boot = Boot::start(&suite.kernel, &suite.lab.logs_dir(), spec, accel)?;
            Ok((boot.wait()?, None))
        }
    }
}

/// Standard output, copied to the KTAP file, and kept.
struct Tee {
    file: std::fs::File,
    text: String,
}

impl Tee {
    fn new(path: &std::path::Path) -> Result<Tee, Error> {
        if let Some(p) = path.parent() {
            let _ = std::fs::create_dir_all(p);
        }
        let file = std::fs::File::create(path)
            .map_err(|e| Error::new(format!("{}: {e}", path.display())))?;
        Ok(Tee {
            file,
            text: String::new(),
        })
    }
    fn write(&mut self, s: &str) {
        print!("{s}");
        let _ = std::io::stdout().flush();
        let _ = self.file.write_all(s.as_bytes());
        self.text.push_str(s);
    }
}
