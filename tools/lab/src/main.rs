// SPDX-License-Identifier: GPL-2.0
//! `lab`: boots the lab kernel in QEMU for the Makefile's targets. See
//! `lab --help`, and the crate's documentation for the path of a request.

use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use lab::paths::Lab;
use lab::setup::Setup;
use lab::suite;
use lab::Error;

#[derive(Parser)]
#[command(
    name = "lab",
    about = "Boots deadlock-lab's kernel in QEMU: the suite, the stories, gdb, the shell"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// The test suite (make test): KTAP, ending with "N passed, N failed".
    Test {
        /// Tests to run (default: all).
        tests: Vec<String>,
        /// Boots at once (default: the number of CPUs).
        #[arg(short, long, env = "J")]
        jobs: Option<String>,
        /// A module from outside the lab: build, boot and judge only its
        /// scenarios (make test MODULE_DIR=path).
        #[arg(long, env = "MODULE_DIR")]
        module_dir: Option<std::path::PathBuf>,
        /// Runs each selected scenario this many times, and counts the
        /// outcomes (make test REPEAT=N).
        #[arg(long, env = "REPEAT")]
        repeat: Option<String>,
    },
    /// The lock order lockdep observed, as a contract (make lock-order).
    LockOrder {
        /// A module from outside the lab (default: the lab's own).
        #[arg(long, env = "MODULE_DIR")]
        module_dir: Option<std::path::PathBuf>,
    },
    /// The guest script interface, as Markdown, from the scenarios' library
    /// (the generated part of docs/guest-scripts.md).
    GuestApi {
        /// Rewrite the generated part of docs/guest-scripts.md instead.
        #[arg(long)]
        write: bool,
    },
    /// Writes docs/detectors.md: which detector saw what in each scenario,
    /// from the declarations and the last run.
    Detectors,
    /// Checks the declarations against the built modules and writes the
    /// guest's files (protocol, facts, scenario environments) into DIR.
    GuestFiles { dir: std::path::PathBuf },
    /// Boots once, running the scenarios given (comma-separated), and
    /// prints the log folder.
    Boot {
        run: String,
        #[arg(long, default_value_t = 120)]
        timeout: u64,
    },
    /// A shell in the guest (make shell), Rust symbols demangled.
    Shell {
        /// With a module from outside the lab among the guest's modules.
        #[arg(long, env = "MODULE_DIR")]
        module_dir: Option<std::path::PathBuf>,
    },
    /// gdb on the stuck ABBA threads (make gdb).
    Gdb,
    /// The demo's stories (make run [SCENARIO=...]).
    Run {
        #[arg(env = "SCENARIO")]
        story: Option<String>,
        /// A module from outside the lab: its scenarios' story.
        #[arg(long, env = "MODULE_DIR")]
        module_dir: Option<std::path::PathBuf>,
        /// For a module from outside the lab: runs each scenario this many
        /// times, and counts the outcomes (make run REPEAT=N).
        #[arg(long, env = "REPEAT")]
        repeat: Option<String>,
    },
    /// Every interleaving of a round of deadlock_lab, booted and judged
    /// (make explore); or one schedule replayed as a story (make explore
    /// SCHEDULE="a.1 b.1" [PARAMS=fixed=0]).
    Explore {
        /// Replay this schedule (its steps as THREAD.N, first step first).
        #[arg(long, env = "SCHEDULE")]
        schedule: Option<String>,
        /// The module's parameters for a replay (default: fixed=0).
        #[arg(long, env = "PARAMS")]
        params: Option<String>,
        /// Only these configurations (fixed=0 fixed=1 fixed=2 locks=3 locks=RING).
        #[arg(long, env = "CONFIGS")]
        configs: Option<String>,
        /// The larger ring sampled (4 to 8 semaphores).
        #[arg(long, env = "RING", default_value_t = 8)]
        ring: usize,
        /// How many schedules of it to draw.
        #[arg(long, env = "SAMPLES", default_value_t = 8)]
        samples: usize,
        /// The seed of the draw (default: from the clock; printed).
        #[arg(long, env = "SEED")]
        seed: Option<u64>,
        /// Boots at once (default: one more than the CPUs).
        #[arg(short, long, env = "J")]
        jobs: Option<String>,
    },
    /// The lab's timings (make bench).
    Bench {
        /// First measure a new cold run: .ci/run in a scratch clone and cache.
        #[arg(long)]
        cold: bool,
        /// How many warm make test runs to time (their median counts).
        #[arg(long, default_value_t = 3)]
        suite_runs: usize,
        /// Leave out the inspector's throughput benchmark.
        #[arg(long)]
        no_inspector: bool,
    },
    /// Writes exercise N's skeleton (make exercise N=1 [DIR=path]).
    Exercise {
        n: u32,
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
    },
    /// Grades the file of exercise N in DIR (make grade N=1 [DIR=path]).
    Grade {
        n: u32,
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
    },
    /// The suite on every kernel series Debian offers (make test-matrix).
    Matrix { series: Vec<String> },
    /// Checks a kernel tree (default: the lab's) before anything is built
    /// against it (make doctor [KDIR=...]).
    Doctor {
        #[arg(long)]
        kdir: Option<std::path::PathBuf>,
        #[arg(long, default_value = "")]
        llvm: String,
        #[arg(long, default_value = "")]
        rustc: String,
        /// Print only the problems (for make KDIR=..., before its build).
        #[arg(long)]
        problems: bool,
    },
}

fn main() -> ExitCode {
    lab::interrupt::watch();
    let cli = Cli::parse();
    match run(cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn jobs(j: Option<String>) -> Result<usize, Error> {
    match j.as_deref() {
        // One boot more than cores: a guest spends much of its time asleep
        // (waiting for a detector), and the host tests take a slot too; more
        // than that only makes the boots take turns.
        None | Some("") => Ok(std::thread::available_parallelism()
            .map(|n| n.get() + 1)
            .unwrap_or(3)),
        Some(s) => match s.parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(Error::new(format!(
                "J={s}: the number of boots at once must be at least 1"
            ))),
        },
    }
}

/// `REPEAT=N`: at least 1 (default 1).
fn repeat(r: Option<String>) -> Result<usize, Error> {
    match r.as_deref().map(str::trim) {
        None | Some("") => Ok(1),
        Some(s) => match s.parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(Error::new(format!(
                "REPEAT={s}: the number of runs of each scenario must be a whole number, at least 1"
            ))),
        },
    }
}

fn run(cli: Cli) -> Result<bool, Error> {
    let lab = Lab::locate()?;
    match cli.command {
        Cmd::Test {
            tests,
            jobs: j,
            module_dir,
            repeat: r,
        } => {
            // Bad input stops here, before anything is built or booted.
            let (jobs, repeat) = (jobs(j)?, repeat(r)?);
            let mut setup = Setup::load(lab)?;
            let mut tests = tests;
            match module_dir.filter(|d| !d.as_os_str().is_empty()) {
                Some(dir) => {
                    let o = setup.add_outside(&dir)?;
                    if tests.is_empty() {
                        tests = o
                            .decls
                            .iter()
                            .map(|d| d.name.clone())
                            .chain(["ktap".to_string()])
                            .collect();
                    }
                }
                // The examples and the exercises are modules from outside the
                // lab; their scenarios' names hold a dot (DIR.NAME).
                None if tests.is_empty() || tests.iter().any(|t| t.contains('.')) => {
                    setup.add_examples()?;
                    setup.add_exercises()?;
                }
                None => {}
            }
            let suite = Arc::new(setup);
            let share = std::env::var("LAB_SHARE")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(lab::plan::SHARE);
            Ok(suite::run(
                suite,
                suite::Options {
                    tests,
                    jobs,
                    share,
                    repeat,
                },
            )?
            .0)
        }
        Cmd::LockOrder { module_dir } => {
            let mut setup = Setup::load(lab)?;
            let names: Vec<String> = match module_dir.filter(|d| !d.as_os_str().is_empty()) {
                Some(d) => setup
                    .add_outside(&d)?
                    .decls
                    .iter()
                    .filter(|d| {
                        d.outcomes.is_none()
                            && !d.expect.findings.iter().any(|m| m.kind.is_lockdep())
                    })
                    .map(|d| d.name.clone())
                    .collect(),
                None => setup
                    .decls
                    .iter()
                    .filter(|d| d.lock_order.is_some())
                    .map(|d| d.name.clone())
                    .collect(),
            };
            lab::lockorder::run(setup, names)
        }
        Cmd::GuestApi { write } => {
            let lib = std::fs::read_to_string(lab.root.join(lab::guest::LIB_SH))
                .map_err(|e| Error::new(format!("{}: {e}", lab::guest::LIB_SH)))?;
            let api = lab::docs::guest_api(&lib);
            if write {
                lab::docs::write_page(&lab.root, &api)?;
            } else {
                print!("{api}");
            }
            Ok(true)
        }
        Cmd::Detectors => {
            let decls = lab::decl::load_dir(&lab.scenarios_dir())?;
            lab::detectors::write(&lab, &decls)?;
            println!("wrote {}", lab.root.join(lab::detectors::PAGE).display());
            Ok(true)
        }
        Cmd::GuestFiles { dir } => {
            let suite = Setup::load(lab)?;
            lab::guest::write_files(&dir, &suite.lab.root, &suite.decls, &suite.facts)?;
            Ok(true)
        }
        Cmd::Boot { run, timeout } => {
            let suite = Setup::load(lab)?;
            let names: Vec<String> = run.split(',').map(str::to_string).collect();
            let mut spec = match names.iter().all(|n| suite.decl(n).is_some()) {
                true => suite.spec(&names),
                false => lab::qemu::Spec::new(&run, &suite.lab.initramfs()),
            };
            spec.timeout = std::time::Duration::from_secs(timeout);
            let accel = lab::accel::choose(&suite.kernel, &spec.initrd)?;
            let boot = lab::boot::Boot::start(&suite.kernel, &suite.lab.logs_dir(), spec, &accel)?;
            let a = boot.wait()?;
            eprintln!(
                "   boot: {} ({:?}, {:.1} s), stopped at: {}",
                a.dir.display(),
                a.record.ending,
                a.record.wall_secs,
                a.stage()
            );
            println!("{}", a.dir.display());
            Ok(a.record.ending == lab::boot::Ending::Finished)
        }
        Cmd::Bench {
            cold,
            suite_runs,
            no_inspector,
        } => {
            let opts = lab::bench::Options {
                cold,
                suite_runs,
                inspector: !no_inspector,
            };
            lab::bench::run(&Setup::load(lab)?, &opts)
        }
        Cmd::Explore {
            schedule,
            params,
            configs,
            ring,
            samples,
            seed,
            jobs: j,
        } => {
            let jobs = jobs(j)?;
            if !(4..=8).contains(&ring) {
                return Err(Error::new(format!(
                    "RING={ring}: the sampled ring has 4 to 8 semaphores"
                )));
            }
            let params = params.filter(|p| !p.trim().is_empty());
            match schedule.filter(|s| !s.trim().is_empty()) {
                Some(words) => lab::explore::replay::replay(
                    Setup::load(lab)?,
                    &words,
                    params.as_deref().unwrap_or("fixed=0"),
                ),
                None if params.is_some() => Err(Error::new(
                    "PARAMS= goes with SCHEDULE=: make explore explores its own configurations",
                )
                .hint("make explore SCHEDULE=\"a.1 b.1\" PARAMS=fixed=1, or CONFIGS=fixed=1 to explore one")),
                None => {
                    let seed = seed.unwrap_or_else(|| {
                        std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .map_or(1, |d| d.as_secs())
                    });
                    let opts = lab::explore::Options {
                        only: configs
                            .unwrap_or_default()
                            .split_whitespace()
                            .map(str::to_string)
                            .collect(),
                        ring,
                        samples,
                        seed,
                        jobs,
                    };
                    Ok(lab::explore::explore(&lab, &opts)?.ok())
                }
            }
        }
        Cmd::Matrix { series } => {
            let series: Vec<String> = series
                .iter()
                .flat_map(|s| s.split_whitespace().map(str::to_string))
                .collect();
            lab::matrix::run(&lab, &series)
        }
        Cmd::Doctor {
            kdir,
            llvm,
            rustc,
            problems,
        } => {
            let tree = match kdir {
                Some(kdir) => lab::doctor::Tree {
                    kdir,
                    llvm,
                    rustc,
                    fragment: None,
                },
                None => {
                    let k = lab.kernel()?;
                    lab::doctor::Tree {
                        kdir: k.kdir(),
                        llvm: k.get("LLVM").to_string(),
                        rustc: k.get("RUSTC").to_string(),
                        fragment: Some(lab.root.join("scripts/lab.config")),
                    }
                }
            };
            let mut findings = lab::doctor::examine(&tree);
            if problems {
                findings.retain(|f| f.level == lab::doctor::Level::Fail);
                if findings.is_empty() {
                    return Ok(true);
                }
            }
            lab::doctor::report(&tree, &findings)
        }
        Cmd::Exercise { n, dir } => {
            let ex = lab::exercise::find(&lab, n)?;
            let dest = dir.unwrap_or_else(|| lab.out.join("exercises").join(&ex.name));
            ex.write_skeleton(&dest)?;
            println!(
                "exercise {n}: {}/{} (and its Kbuild)",
                dest.display(),
                ex.file
            );
            println!("grade it with: make grade N={n} DIR={}", dest.display());
            Ok(true)
        }
        Cmd::Grade { n, dir } => {
            let ex = lab::exercise::find(&lab, n)?;
            let from = dir.unwrap_or_else(|| lab.out.join("exercises").join(&ex.name));
            let file = from.join(&ex.file);
            let source = std::fs::read_to_string(&file).map_err(|e| {
                Error::new(format!("{}: {e}", file.display())).hint(format!(
                    "write it first: make exercise N={n} DIR={}",
                    from.display()
                ))
            })?;
            let mut setup = Setup::load(lab)?;
            let at = ex.grading_dir(&setup.lab.out.join("grade").join(&ex.name), &source)?;
            let names: Vec<String> = setup
                .add_outside(&at)?
                .decls
                .iter()
                .map(|d| d.name.clone())
                .collect();
            let suite = Arc::new(setup);
            let (ok, results) = suite::run(
                suite,
                suite::Options {
                    tests: names,
                    jobs: jobs(None)?,
                    share: lab::plan::SHARE,
                    repeat: 1,
                },
            )?;
            let (mut passed, mut declared) = (0, 0);
            for r in &results {
                if let Some((n, lines)) = &r.subtests {
                    declared += n;
                    passed += lines
                        .iter()
                        .filter(|l| matches!(l, lab::ktap::Line::Test { ok: true, .. }))
                        .count();
                }
            }
            println!(
                "score: {passed} of {declared} checks passed{}",
                if ok { ": solved" } else { "" }
            );
            Ok(ok)
        }
        Cmd::Shell { module_dir } => {
            let mut setup = Setup::load(lab)?;
            let image = match module_dir.filter(|d| !d.as_os_str().is_empty()) {
                Some(d) => Some(setup.add_outside(&d)?.image.clone()),
                None => None,
            };
            lab::shell::run(&setup, image)
        }
        Cmd::Gdb => lab::story::tell(&Setup::load(lab)?, Some("gdb")),
        Cmd::Run {
            story,
            module_dir,
            repeat: r,
        } => {
            let repeat = repeat(r)?;
            let mut setup = Setup::load(lab)?;
            match module_dir.filter(|d| !d.as_os_str().is_empty()) {
                Some(d) => {
                    let name = setup.add_outside(&d)?.name.clone();
                    lab::story::tell_outside(&Arc::new(setup), &name, repeat)
                }
                None => lab::story::tell(&setup, story.as_deref().filter(|s| !s.is_empty())),
            }
        }
    }
}
