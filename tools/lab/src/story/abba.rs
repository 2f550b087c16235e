// SPDX-License-Identifier: GPL-2.0
//! The main story: the article's code as written (two plain semaphores),
//! the same code annotated for lockdep, and the fix, side by side.

use dmesg_inspect::Kind;

use super::show::{para, title, Log};
use super::{follow, Ctx};
use crate::Error;

pub fn tell(ctx: &Ctx) -> Result<(), Error> {
    let version = ctx.suite.kernel.version().to_string();
    title("deadlock-lab: the article's ABBA deadlock, the detectors that see it, and its fix");
    para(&format!(
        "Linux {version} with lockdep and the hung-task detector, in QEMU. Two kernel threads take two \
         semaphores, sem1 and sem2: deadlock_lab_a in the order sem1, sem2; deadlock_lab_b in the order \
         sem2, sem1 (fixed=0) or sem1, sem2 (fixed=1). Three boots run side by side: the article's code as \
         written, the same code with lockdep annotations, and the fix."
    ));
    let mut boots = ctx
        .start_all(&["inverted-plain", "inverted", "fixed"])?
        .into_iter();
    let (plain, inv, fix) = (
        boots.next().unwrap(),
        boots.next().unwrap(),
        boots.next().unwrap(),
    );

    title("1. The article's code: two plain semaphores (annotate=0)");
    follow(&plain);
    let plain = ctx.finished(plain)?;
    para("Both threads sleep in down() in state D, for good. The hung-task detector (after 1 s here) reports each and names the task that last took the semaphore it waits for:");
    plain.excerpt(Kind::HungTask, None);
    plain.picture();

    title("What the article got wrong");
    para(&format!(
        "The article says lockdep will flag this code. It cannot: lockdep only sees locks that carry a \
         struct lockdep_map (spinlocks, mutexes, rw-semaphores), and struct semaphore has none. In this \
         boot lockdep printed nothing, debug_locks is still {}, and /proc/lockdep never learned a class \
         called sem1 or sem2. Enabling lockdep (CONFIG_PROVE_LOCKING, not a boot parameter) is not enough: \
         the semaphores must be annotated, as the kernel does for console_sem. The lab's Semaphore wrapper \
         does that (annotate=1, the default).",
        debug_locks_after(&plain)
    ));

    title("2. The same code, annotated for lockdep (annotate=1)");
    let inv = ctx.finished(inv)?;
    para("Each thread told lockdep which semaphore it held when it reached for the other. The second closed the cycle sem1 -> sem2 -> sem1, and lockdep reported it at that moment, before the thread blocked:");
    inv.excerpt(Kind::Circular, Some("*** DEADLOCK ***"));
    inv.picture();
    para("Recovery, rmmod deadlock_lab: a semaphore has no owner, so the exit path may give each one units back; the threads wake, finish their round and exit. The module's verdict comes from what it measured:");
    inv.module_lines("unloading|.*got sem|threads stopped|End of test");

    title("3. The fixed order (fixed=1): both threads take sem1, then sem2");
    let fix = ctx.finished(fix)?;
    fix.module_lines("threads stopped|contended|End of test");
    para("What the fix costs, in lock_stat's figures for the two semaphores (/proc/lock_stat, read before the unload): how often a thread found one taken (contentions) and how long it waited in all (waittime-total, in microseconds), beside how often each was taken (acquisitions). The fixed order serialises the threads on sem1: it is correct, not free.");
    for d in fix
        .boot
        .guest
        .scenario("fixed")
        .into_iter()
        .flat_map(|s| s.lines.iter())
    {
        if let Some(l) = d.1.strip_prefix("# lock_stat:") {
            println!("  {}", l.trim());
        }
    }
    fix.summary(Some(
        "The inspector found nothing: lockdep stayed silent (debug_locks 1), no task hung.",
    ));

    title("Summary");
    let logs = [&plain, &inv, &fix];
    let row = |label: &str, f: &dyn Fn(&Log) -> String| {
        println!(
            "  {:<26} {:<18} {:<18} {}",
            label,
            f(logs[0]),
            f(logs[1]),
            f(logs[2])
        );
    };
    row("", &|l| match l.name.as_str() {
        "inverted-plain" => "plain (article)".into(),
        "inverted" => "annotated".into(),
        _ => "fixed".into(),
    });
    row("lockdep circular reports", &|l| {
        l.count(Kind::Circular).to_string()
    });
    row("hung-task reports", &|l| {
        l.count(Kind::HungTask).to_string()
    });
    row("threads in D state (ps)", &|l| l.in_d().to_string());
    row("debug_locks at the end", &debug_locks_after);
    row("module's verdict", &|l| l.verdict_word().into());
    println!();
    println!("  full logs: {}", plain.console_path().display());
    println!("             {}", inv.console_path().display());
    println!("             {}", fix.console_path().display());
    let others: Vec<String> = super::names(ctx.suite)
        .into_iter()
        .filter(|n| n != "abba")
        .collect();
    println!(
        "  explore:   make run SCENARIO={}, make shell, make test",
        others.join("|")
    );
    Ok(())
}

/// `debug_locks` when the module was unloaded, from its verdict.
fn debug_locks_after(l: &Log) -> String {
    l.verdict()
        .map(|v| v.debug_locks.1.to_string())
        .unwrap_or_else(|| "?".into())
}
