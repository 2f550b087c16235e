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
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use crate::boot::{Analysis, Boot};
use crate::decl::Driver;
use crate::hosttests;
use crate::judge::{self, DriverChecks};
use crate::ktap::{self, TestResult};
use crate::plan::{plan_boots, Planned, Timings};

use crate::qemu::{self, Accel};
use crate::setup::Setup;
use crate::{interrupt, note, Error};

/// What one boot came back with.
type BootOutcome = Result<(Analysis, Option<DriverChecks>), Error>;

/// The jobs running in the background (the boots, and the host tests,
/// which take one of the slots like a boot); `results` fills as they end.
#[derive(Default)]
struct Running {
    results: Mutex<Results>,
    done: Condvar,
}

#[derive(Default)]
struct Results {
    boots: HashMap<usize, BootOutcome>,
    host: HashMap<String, TestResult>,
}

impl Running {
    fn wait_for<T: Clone>(&self, get: impl Fn(&Results) -> Option<T>) -> T {
        let mut r = self.results.lock().unwrap();
        loop {
            if let Some(v) = get(&r) {
                return v;
            }
            r = self.done.wait(r).unwrap();
        }
    }
    fn wait(&self, i: usize) -> BootOutcome {
        self.wait_for(|r| r.boots.get(&i).cloned())
    }
    fn host(&self, name: &str) -> TestResult {
        self.wait_for(|r| r.host.get(name).cloned())
    }
}

/// Something the suite runs in one of its slots.
#[derive(Debug, Clone)]
enum Job {
    Boot(usize, Planned),
    /// The host tests, one after the other.
    Host(Vec<hosttests::HostTest>),
}

/// Options of one run.
pub struct Options {
    pub tests: Vec<String>,
    pub jobs: usize,
    pub share: usize,
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
    let running = Arc::new(Running::default());
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
    let mut jobs: Vec<(Job, f64)> = boots
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, b)| {
            let e = b.estimate;
            (Job::Boot(i, b), e)
        })
        .collect();
    if !host_tests.is_empty() {
        let e = host_tests
            .iter()
            .map(|h| timings.guest_secs(h.name()).unwrap_or(20.0))
            .sum();
        jobs.push((Job::Host(host_tests), e));
    }
    jobs.sort_by(|a, b| b.1.total_cmp(&a.1));
    start_jobs(
        suite.clone(),
        jobs.into_iter().map(|(j, _)| j).collect(),
        opts.jobs,
        accel.clone(),
        running.clone(),
    );

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
            let r = running.host(t);
            new_timings.record(t, r.seconds);
            r
        } else {
            let i = boot_of[t];
            let r = judge_scenario(&suite, t, &running.wait(i));
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

/// Judges scenario `name` of a finished boot; a shared boot in which
/// another scenario's part holds a report leaves it not judged.
fn judge_scenario(suite: &Setup, name: &str, outcome: &BootOutcome) -> TestResult {
    let decl = suite.decl(name).unwrap();
    let plan = &suite.plans[name];
    match outcome {
        Err(e) => TestResult {
            name: name.to_string(),
            ok: false,
            directive: Some(format!("no boot: {}", e.message)),
            seconds: 0.0,
            diags: std::iter::once(e.to_string()).collect(),
            subtests: None,
        },
        Ok((analysis, driver)) => {
            let mut r = judge::judge(
                decl,
                plan,
                analysis,
                driver.as_ref(),
                &suite.kernel.kunit_py(),
            );
            judge::shared_boot(&mut r, analysis, &|n| suite.decl(n));
            if decl.must_fail.is_empty() {
                r
            } else {
                judge::fails_as_stated(r, &decl.must_fail)
            }
        }
    }
}

/// Starts the jobs in the background, at most `slots` at once, in order.
fn start_jobs(
    suite: Arc<Setup>,
    jobs: Vec<Job>,
    slots: usize,
    accel: Option<Accel>,
    running: Arc<Running>,
) {
    std::thread::spawn(move || {
        let free = Arc::new((Mutex::new(0usize), Condvar::new()));
        for job in jobs {
            {
                let (n, cv) = &*free;
                let mut n = n.lock().unwrap();
                while *n >= slots.max(1) {
                    n = cv.wait(n).unwrap();
                }
                *n += 1;
            }
            let (suite, accel, running, free) =
                (suite.clone(), accel.clone(), running.clone(), free.clone());
            std::thread::spawn(move || {
                match job {
                    Job::Boot(i, b) => {
                        let outcome = match (&accel, interrupt::interrupted()) {
                            (_, true) => Err(Error::new("interrupted before it started")),
                            (Some(accel), false) => one_boot(&suite, &b.names, accel),
                            (None, false) => Err(Error::new("no accelerator was chosen")),
                        };
                        running.results.lock().unwrap().boots.insert(i, outcome);
                        running.done.notify_all();
                    }
                    Job::Host(tests) => {
                        for h in tests {
                            let t0 = Instant::now();
                            let (ok, diags) = if interrupt::interrupted() {
                                (false, vec!["interrupted before it started".to_string()])
                            } else {
                                h.run(&suite)
                            };
                            let r =
                                TestResult::plain(h.name(), ok, t0.elapsed().as_secs_f64(), diags);
                            running
                                .results
                                .lock()
                                .unwrap()
                                .host
                                .insert(h.name().to_string(), r);
                            running.done.notify_all();
                        }
                    }
                }
                let (n, cv) = &*free;
                *n.lock().unwrap() -= 1;
                cv.notify_all();
            });
        }
    });
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
