// SPDX-License-Identifier: GPL-2.0
//! The story of a module from outside the lab (`make run MODULE_DIR=...`):
//! each of its scenarios booted side by side (the first shown live), what
//! was loaded, what each detector said, which outcome happened, and how it
//! ended; with `REPEAT=N`, each scenario N times and the outcomes counted.

use crate::judge::Judge;
use crate::outcome::Outcome;
use crate::setup::Setup;
use crate::suite::Booted;
use crate::Error;

use super::{follow, show, Ctx, Log};

pub fn tell_outside(
    suite: &std::sync::Arc<Setup>,
    name: &str,
    repeat: usize,
) -> Result<bool, Error> {
    let o = suite
        .outside
        .iter()
        .find(|o| o.name == name)
        .expect("an added outside module");
    let accel = super::choose_accel(suite, &o.image)?;
    let ctx = Ctx { suite, accel };
    show::title(&format!(
        "{}: a module from outside the lab",
        o.dir.display()
    ));
    for m in &o.facts.modules {
        show::para(&format!(
            "{}: {}",
            m.name,
            m.get("description").unwrap_or("(no description)")
        ));
        for p in &m.params {
            println!("  parameter {}: {}", p.name, p.description);
        }
    }
    let names: Vec<&str> = o.decls.iter().map(|d| d.name.as_str()).collect();
    let mut started = ctx.start_all(&names)?.into_iter();
    // The other runs of each scenario, beside the first ones, a few at once.
    let mut boots = Vec::new();
    for d in &o.decls {
        for run in 1..repeat {
            boots.push((format!("{}:{run}", d.name), vec![d.name.clone()]));
        }
    }
    let slots = std::thread::available_parallelism().map_or(2, |n| n.get());
    let pool = crate::suite::boots(suite, boots, &ctx.accel, slots);
    let judge = Judge {
        decls: &suite.decls,
        kunit_py: &suite.kernel.kunit_py(),
    };
    let mut all_ok = true;
    for (i, d) in o.decls.iter().enumerate() {
        let s = started.next().expect("one boot per scenario");
        show::title(&format!(
            "{}: insmod {} {}",
            d.name, d.scenario.module, d.scenario.params
        ));
        show::para(&d.scenario.about);
        if i == 0 {
            follow(&s);
        }
        let a = s
            .handle
            .join()
            .map_err(|_| Error::new("a boot's thread panicked"))??;
        let log = Log::new(a, &d.name, &d.scenario.module);
        log.summary(Some(
            "No detector reported anything: no lockdep report, no hung task, no lockup.",
        ));
        if log.has_findings() {
            log.picture();
        }
        let result = judge.scenario(&d.name, &Ok((log.boot.clone(), None)));
        all_ok &= result.ok;
        let outcome = Outcome::of(&log.boot, &d.name);
        println!(
            "  outcome: {}",
            outcome.map_or("none (the boot did not get that far)".into(), |o| o
                .to_string())
        );
        println!(
            "  how it ended: {}; {} of its {} checks passed, and the kernel showed {} ({})",
            crate::judge::ending_words(&log.boot),
            log.boot
                .guest
                .scenario(&d.name)
                .map(|s| s.checks.iter().filter(|c| c.ok).count())
                .unwrap_or(0),
            d.plan.checks.len(),
            if result.ok {
                "what its declaration expects"
            } else {
                "something else than its declaration expects"
            },
            d.file.file_name().unwrap_or_default().to_string_lossy()
        );
        println!("  full log: {}", log.console_path().display());
        if repeat > 1 {
            let mut seen = vec![outcome];
            for run in 1..repeat {
                let Booted(r) = pool.wait(&format!("{}:{run}", d.name));
                let o = r.as_ref().ok().and_then(|(a, _)| Outcome::of(a, &d.name));
                let ok = judge.scenario(&d.name, &r).ok;
                all_ok &= ok;
                println!(
                    "  run {}: {}, {}",
                    run + 1,
                    o.map_or("no outcome".to_string(), |o| o.to_string()),
                    if ok { "as declared" } else { "not as declared" }
                );
                seen.push(o);
            }
            println!("  {}", crate::repeat::outcomes_line(&d.name, &seen));
        }
    }
    Ok(all_ok)
}
