// SPDX-License-Identifier: GPL-2.0
//! Three answers to a deadlock, side by side: prevented at compile time
//! (the lock order as a type), avoided at run time (back-off), detected at
//! run time (lockdep).

use dmesg_inspect::Kind;

use super::show::{para, title};
use super::{follow, Ctx};
use crate::regions::{variant, Variant};
use crate::Error;

/// The compile-fail case this story builds.
const CASE: &str = "tests/compile-fail/inverted_order.rs";

pub fn tell(ctx: &Ctx) -> Result<(), Error> {
    let lab = &ctx.suite.lab;
    title("Prevent, avoid, detect: three answers to the ABBA deadlock");
    para("Detection (lockdep, the hung-task detector) tells you after the fact. Two other answers keep the deadlock from happening: prevention, where the order is a type and the compiler refuses the inverted one, and avoidance, where a thread never waits for its second lock while holding its first. Two boots run while the compiler works: the back-off (fixed=2) and the inverted order (fixed=0).");
    let mut boots = ctx.start_all(&["backoff", "inverted"])?.into_iter();
    let (backoff, inverted) = (boots.next().unwrap(), boots.next().unwrap());

    title("1. Prevented at compile time: the lock order as a type (fixed=1)");
    para("src/lab/order.rs gives each semaphore a level (lock_order!(Unlocked => Sem1 => Sem2)), and taking a lock needs the token of a level it may follow. deadlock_lab's fixed order is written against it. The same code in the inverted order, from tests/compile-fail/inverted_order.rs, built with Kbuild against the lab kernel:");
    let text = std::fs::read_to_string(lab.root.join(CASE))
        .map_err(|e| Error::new(format!("{CASE}: {e}")))?;
    let roots = vec![
        (
            "inverted_order".to_string(),
            variant(&text, Variant::Broken, None).map_err(Error::new)?,
        ),
        (
            "fixed_order".to_string(),
            variant(&text, Variant::Fixed, None).map_err(Error::new)?,
        ),
    ];
    let scratch = crate::build::Scratch::new(lab, "prevent", &roots)?;
    let (_, log) = scratch.build(&ctx.suite.kernel);
    for e in crate::build::errors_in(&log, &scratch.root_path("inverted_order"))
        .iter()
        .take(1)
    {
        for l in e.lines().take(14) {
            println!("  {l}");
        }
    }
    println!(
        "  the fixed order: {}",
        if scratch.built("fixed_order") {
            "builds"
        } else {
            "does NOT build (see make test TESTS=compile_fail)"
        }
    );
    para("The ABBA cannot be written: the error names the trait, Sem1: LockAfter<Sem2>, before the module exists. What the type cannot check is an order chosen at load time (the ring of locks=N), or a wrong order written on purpose: those take the semaphores untyped.");

    title("2. Avoided at run time: back-off (fixed=2)");
    para("Thread B keeps the inverted order, sem2 then sem1, but only tries sem1; if it is taken, B gives sem2 back, waits a random moment and starts again. Nobody ever waits while holding what another waits for.");
    follow(&backoff);
    let backoff = ctx.finished(backoff)?;
    backoff.module_lines("backed off|threads stopped|End of test");
    for d in backoff
        .boot
        .guest
        .scenario("backoff")
        .into_iter()
        .flat_map(|s| s.lines.iter())
    {
        if let Some(f) = d.1.strip_prefix("# back-off figures: ") {
            println!("  what it cost, 200 rounds with hold_us=20 (milliseconds per thread): {f}");
        }
    }
    backoff.summary(Some("Lockdep stayed silent: it records no dependency for a trylock, so the inverted order left no edge to close a cycle with. That is right here, and it is also what lockdep cannot tell you: whether a back-off scheme starves a thread, or livelocks if both sides back off."));

    title("3. Detected at run time: the inverted order (fixed=0)");
    let inverted = ctx.finished(inverted)?;
    inverted.excerpt(
        Kind::Circular,
        Some("which lock already depends on the new lock"),
    );
    inverted.module_lines("deadlocked:|End of test");

    title("Summary");
    println!(
        "  {:<34} the inverted order does not build",
        "prevention (the type)"
    );
    println!(
        "  {:<34} {} back-off(s), {} lockdep report(s)",
        "avoidance (back-off)",
        backoff
            .kernel
            .lines()
            .filter_map(|l| l.split("backed off ").nth(1))
            .filter_map(|r| r.split(' ').next()?.parse::<u64>().ok())
            .sum::<u64>(),
        backoff.count(Kind::Circular)
    );
    println!(
        "  {:<34} {} lockdep report(s), {} hung task(s)",
        "detection (lockdep)",
        inverted.count(Kind::Circular),
        inverted.count(Kind::HungTask)
    );
    Ok(())
}
