// SPDX-License-Identifier: GPL-2.0
//! `make run`: the article's deadlock told from real boots of the lab
//! kernel, with what each of the kernel's detectors said, a picture of each
//! cycle, and the fix. A story's boots run side by side, and the first is
//! shown live. The stories use the suite's scenarios and their
//! declarations: a declaration with a `story` title is a story of its own
//! (with its `NAME-fixed` twin beside it, where there is one).

mod abba;
mod cpu;
mod outside;
mod prevent;
pub mod show;
mod waits;

use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::boot::{Analysis, Boot, Ending};
use crate::live::Follower;
use crate::qemu::Accel;
use crate::setup::Setup;
use crate::Error;

pub use outside::tell_outside;
pub use show::Log;

/// The stories told in code; every declaration with a `story` title adds
/// one.
const TOLD: [&str; 5] = ["abba", "prevent", "completion", "cpu", "gdb"];

/// The story names, in the order `all` tells them.
pub fn names(suite: &Setup) -> Vec<String> {
    let mut names: Vec<String> = vec!["abba".into(), "prevent".into(), "completion".into()];
    names.extend(
        suite
            .decls
            .iter()
            .filter(|d| d.scenario.story.is_some())
            .map(|d| d.name.clone()),
    );
    names.push("cpu".into());
    names.push("gdb".into());
    names
}

/// Tells story `what` (default `abba`).
pub fn tell(suite: &Setup, what: Option<&str>) -> Result<bool, Error> {
    let what = what.unwrap_or("abba");
    let names = names(suite);
    if what != "all" && !names.iter().any(|n| n == what) {
        return Err(Error::new(format!("no story called '{what}'"))
            .hint(format!("choose one of: {} all", names.join(" "))));
    }
    if crate::qemu::which("dot").is_none() {
        return Err(Error::new("dot (Graphviz) is missing").hint("run: make setup"));
    }
    let initrd = suite.lab.initramfs();
    crate::qemu::preflight(&suite.kernel, &initrd)?;
    let accel = choose_accel(suite, &initrd)?;
    if what == "all" {
        for n in &names {
            tell_one(suite, n, &accel)?;
        }
        return Ok(true);
    }
    tell_one(suite, what, &accel)?;
    Ok(true)
}

/// The accelerator of a run's boots, chosen once, and why said once: every
/// boot of the run uses it.
fn choose_accel(suite: &Setup, initrd: &std::path::Path) -> Result<Accel, Error> {
    let accel = crate::accel::choose(&suite.kernel, initrd)?;
    crate::note(format!("boots on {} ({})", accel.name, accel.why));
    Ok(accel)
}

fn tell_one(suite: &Setup, what: &str, accel: &Accel) -> Result<(), Error> {
    let ctx = Ctx {
        suite,
        accel: accel.clone(),
    };
    match what {
        "abba" => abba::tell(&ctx),
        "prevent" => prevent::tell(&ctx),
        "completion" => waits::tell(&ctx),
        "cpu" => cpu::tell(&ctx),
        "gdb" => gdb(&ctx),
        name if !TOLD.contains(&name) => generic(&ctx, name),
        _ => unreachable!("every story in TOLD is matched"),
    }
}

/// What a story needs.
pub struct Ctx<'a> {
    pub suite: &'a Setup,
    pub accel: Accel,
}

/// A boot started for a story, running in the background.
pub struct Started {
    pub name: String,
    pub dir: PathBuf,
    handle: JoinHandle<Result<Analysis, Error>>,
}

impl Ctx<'_> {
    /// Boots scenario `name` in the background.
    pub fn start(&self, name: &str) -> Result<Started, Error> {
        let mut spec = self.suite.spec(&[name.to_string()]);
        spec.timeout = spec.timeout.max(Duration::from_secs(180));
        let boot = Boot::start(
            &self.suite.kernel,
            &self.suite.lab.logs_dir(),
            spec,
            &self.accel,
        )?;
        let dir = boot.dir.clone();
        let handle = std::thread::spawn(move || boot.wait());
        Ok(Started {
            name: name.to_string(),
            dir,
            handle,
        })
    }

    /// Boots each of `names`, side by side.
    pub fn start_all(&self, names: &[&str]) -> Result<Vec<Started>, Error> {
        names.iter().map(|n| self.start(n)).collect()
    }

    /// Waits for a boot: its analysis, or an error if it did not finish (a
    /// boot that ends in a kernel panic by design counts as finished).
    pub fn finished(&self, s: Started) -> Result<Log, Error> {
        let a = s
            .handle
            .join()
            .map_err(|_| Error::new("a boot's thread panicked"))??;
        let by_design = a.record.ending == Ending::Panicked
            && self.suite.decl(&s.name).is_some_and(|d| d.panics());
        if a.record.ending != Ending::Finished && !by_design {
            return Err(Error::new(format!(
                "the {} boot did not finish: {:?} at {}",
                s.name,
                a.record.ending,
                a.stage()
            ))
            .hint(format!("its log: {}", a.dir.join("console.log").display())));
        }
        let module = self
            .suite
            .decl(&s.name)
            .map(|d| d.scenario.module.clone())
            .unwrap_or_default();
        Ok(Log::new(a, &s.name, &module))
    }
}

/// Shows a started boot as it happens, up to the guest's dump of its log.
pub fn follow(s: &Started) {
    let mut f = Follower::new(&s.dir);
    loop {
        let over = s.handle.is_finished();
        for line in f.poll(over) {
            println!("  {}", line.text);
        }
        if over {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A scenario with a `story` title, and its `NAME-fixed` twin if declared.
fn generic(ctx: &Ctx, name: &str) -> Result<(), Error> {
    let d = ctx.suite.decl(name).unwrap();
    let title = d.scenario.story.clone().unwrap_or_default();
    let twin = format!("{name}-fixed");
    let has_twin = ctx.suite.decl(&twin).is_some();
    show::title(&format!("{name}: {title}"));
    show::para(&d.scenario.about);
    let names: Vec<&str> = if has_twin {
        vec![name, &twin]
    } else {
        vec![name]
    };
    let mut started = ctx.start_all(&names)?.into_iter();
    let first = started.next().unwrap();
    if has_twin {
        show::title(&format!("{name}, broken (fixed=0)"));
    }
    follow(&first);
    let broken = ctx.finished(first)?;
    broken.summary(None);
    if broken.has_findings() {
        broken.picture();
    }
    broken.module_lines("threads stopped|contended|End of test");
    let Some(second) = started.next() else {
        println!("  full log: {}", broken.console_path().display());
        return Ok(());
    };
    show::title(&format!("{name}, fixed (fixed=1)"));
    let fixed = ctx.finished(second)?;
    fixed.summary(Some("none: no lockdep report, no hung task, no lockup."));
    show::title(&format!("Summary: {name}"));
    println!("  {:<24} {:<18} fixed", "finding kind", "broken");
    for k in dmesg_inspect::Kind::ALL {
        let (b, f) = (broken.count(k), fixed.count(k));
        if b + f > 0 || matches!(k, dmesg_inspect::Kind::HungTask) {
            println!("  {:<24} {:<18} {}", k.to_string(), b, f);
        }
    }
    println!(
        "  {:<24} {:<18} {}",
        "threads in D state (ps)",
        broken.in_d(),
        fixed.in_d()
    );
    println!("  full logs: {}", broken.console_path().display());
    println!("             {}", fixed.console_path().display());
    Ok(())
}

/// gdb on the live guest: the ABBA threads, seen from outside.
fn gdb(ctx: &Ctx) -> Result<(), Error> {
    show::title("gdb on the live guest: the ABBA threads, seen from outside");
    let suite = ctx.suite;
    let spec = suite.spec(&["gdb-abba".to_string()]);
    let (a, checks) = crate::gdb::drive(suite, spec, &ctx.accel)?;
    let text = std::fs::read_to_string(a.dir.join("gdb.txt")).unwrap_or_default();
    for l in text.lines() {
        println!("  {l}");
    }
    for (i, name) in checks.names.iter().enumerate() {
        let ok = checks.results.get(i).copied().unwrap_or(false);
        println!("  {} {name}", if ok { "ok" } else { "not ok" });
    }
    println!("  gdb session: {}", a.dir.join("gdb.txt").display());
    Ok(())
}
