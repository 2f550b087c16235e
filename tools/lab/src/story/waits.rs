// SPDX-License-Identifier: GPL-2.0
//! What lockdep cannot see: a lock held across a wait for an event that
//! needs the lock, told from two boots side by side: the plain wait, whose
//! only witness is the hung-task detector, and the same wait annotated as
//! the kernel annotates `flush_work()`, which lockdep predicts without
//! anything blocking.

use dmesg_inspect::Kind;

use super::show::{para, title, Log};
use super::{follow, Ctx};
use crate::Error;

/// The scenarios the story boots: the plain wait, then the annotated one.
const BOOTS: [&str; 2] = ["completion", "completion-annotated"];

pub fn tell(ctx: &Ctx) -> Result<(), Error> {
    title("What lockdep cannot see: a lock held across a wait for an event");
    para("deadlock_cmp_a takes sem1 and waits for a completion; deadlock_cmp_b signals the completion only after it has taken sem1. Lockdep tracks acquisitions, not waits: since cross-release was removed, complete_acquire() is an empty stub. Two boots run side by side: the plain wait (annotate=0), and the same wait annotated as the kernel annotates flush_work() (annotate=1).");
    let mut boots = ctx.start_all(&BOOTS)?.into_iter();
    let (plain, annotated) = (boots.next().unwrap(), boots.next().unwrap());

    title("1. The plain wait (annotate=0): the hung-task detector is the only witness");
    follow(&plain);
    let plain = ctx.finished(plain)?;
    para(&lockdep_words(&plain));
    para("Both threads sleep in D for good. The hung-task detector reports both, and its blocker line names a holder only where the kernel records one: sem1's last holder for deadlock_cmp_b, nothing for deadlock_cmp_a, whose completion has no owner:");
    for l in plain
        .kernel
        .lines()
        .filter(|l| l.contains("blocked for more than") || l.contains("blocked on a"))
    {
        println!("  {}", super::show::strip_stamp(l));
    }
    plain.picture();

    title("2. The annotated wait (annotate=1): lockdep predicts the cycle");
    para("deadlock_cmp_b holds the completion's lockdep map around its work, as a worker holds a work's map; deadlock_cmp_a acquires the map with sem1 held before it waits, as flush_work() does. The completer's round runs first and the waiter's after it, so nothing blocks, and lockdep still sees both orders:");
    let annotated = ctx.finished(annotated)?;
    para(&lockdep_words(&annotated));
    annotated.excerpt(Kind::Circular, Some("*** DEADLOCK ***"));
    annotated.picture();

    title("Summary");
    let logs = [&plain, &annotated];
    let row = |label: &str, f: &dyn Fn(&Log) -> String| {
        println!("  {:<30} {:<18} {}", label, f(logs[0]), f(logs[1]));
    };
    row("", &|l| match l.name.as_str() {
        "completion" => "plain wait".into(),
        _ => "annotated wait".into(),
    });
    row("lockdep reports", &|l| lockdep_reports(l).to_string());
    row("hung-task reports", &|l| {
        l.count(Kind::HungTask).to_string()
    });
    row("threads in D state (ps)", &|l| l.in_d().to_string());
    row("debug_locks at load -> unload", &|l| match l.verdict() {
        Some(v) => format!("{} -> {}", v.debug_locks.0, v.debug_locks.1),
        None => "?".into(),
    });
    row("module's verdict", &|l| l.verdict_word().into());
    println!();
    println!("  full logs: {}", plain.console_path().display());
    println!("             {}", annotated.console_path().display());
    Ok(())
}

/// Lockdep's findings in a log.
fn lockdep_reports(l: &Log) -> usize {
    l.findings.iter().filter(|f| f.kind.is_lockdep()).count()
}

/// What lockdep said in a boot, in words, from what the inspector found and
/// the module's verdict.
fn lockdep_words(l: &Log) -> String {
    let debug_locks = match l.verdict() {
        Some(v) => format!("debug_locks {} -> {}", v.debug_locks.0, v.debug_locks.1),
        None => "no verdict".into(),
    };
    match lockdep_reports(l) {
        0 => format!("Lockdep reported nothing: no lockdep report in this boot's part of the log ({debug_locks})."),
        n => format!("Lockdep reported {n} problem(s) ({debug_locks})."),
    }
}
