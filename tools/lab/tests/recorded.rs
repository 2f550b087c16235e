// SPDX-License-Identifier: GPL-2.0
//! The runner on recorded boots, as kunit_tool_test.py tests kunit.py: real
//! boot folders from real runs (`tests/boots/NAME`: the console, the
//! protocol line, `boot.json`), judged with the declarations they ran
//! under (`tests/boots/decls`), no QEMU needed.
//!
//! - `pass`: `fixed`, as it should be.
//! - `early-exit`: `fixed.sh` with `exit 0` after its first check.
//! - `crash`: a kernel crash (sysrq-c) after the second check.
//! - `no-exit`: the guest rebooted mid-script: no exit record.
//! - `timeout`: the script slept past an 8 s boot timeout.
//! - `interrupted`: SIGINT to `lab boot` mid-scenario.
//! - `panic`: `spin`, whose boot ends in a panic by design.
//! - `shared-report`: `fixed` and then `inverted` in one boot.
//! - `script-error`: `c-abba.inverted`, the generic flow dying on a shell
//!   error (an uptime under a second read as octal).
//! - `hung-again`: `inverted-pairs` with blocked threads reported again at
//!   the next scan of the hung-task detector.
//! - `early-unload`: `cmdline-lockdep1` unloading the module right after
//!   lockdep's report, before the second thread slept.
//! - `not-found`: `backoff` (beside `lock-stat`) whose script still called a
//!   log predicate the library no longer has: the shell said "not found"
//!   at every poll, the wait ran out, and everything else passed.
//!
//! - `locked-up`: `c-spin.inverted`, the example whose pinned threads met on
//!   their spinlocks: both CPUs spun, the shell never ran again, and the
//!   host ended the boot soon after the first soft-lockup report.
//!
//! - `generic-panic`: an outside module without a script of its own,
//!   declared to end in a panic (`cspin-panic.panic`, declared in
//!   `decls/c-spin-panic`): the generic flow's checks before the load
//!   count.
//!
//! - `tests/gdb/symbolized-register.txt`: a gdb session (not a boot folder)
//!   whose register check failed on how gdb named a value, not on the value.
//!
//! The last five but one are judged with the lab's declarations as they
//! are now.

use std::path::{Path, PathBuf};

use lab::boot::{Analysis, Boot, Ending};
use lab::decl::Declaration;
use lab::judge::{self, subtest_count, Judge};
use lab::ktap::{self, Line, TestResult};
use lab::modules::Facts;

fn here() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/boots")
}

fn boot(name: &str) -> Analysis {
    Boot::analyse(&here().join(name)).unwrap()
}

fn decl(name: &str) -> Declaration {
    let mut d = unprepared(name);
    d.prepare(&Facts::default()).unwrap();
    d
}

fn unprepared(name: &str) -> Declaration {
    match name {
        // The lab's own declarations as they are now, for the boots recorded
        // to pin them: an outside module's through the generic flow.
        "inverted-pairs" | "cmdline-lockdep1" | "backoff" | "lock-stat" => {
            Declaration::load(&repo().join("tests/scenarios"), name).unwrap()
        }
        "cspin-panic.panic" => {
            let mut d = Declaration::load(&here().join("decls"), "c-spin-panic").unwrap();
            let read = |f: &str| std::fs::read_to_string(repo().join(f)).unwrap();
            let flow = repo().join(lab::outside::GENERIC);
            d.use_generic(
                &flow,
                &read(lab::outside::GENERIC),
                &read(lab::outside::GENERIC_RUN),
            )
            .unwrap();
            d.name = name.to_string();
            d
        }
        "c-spin.inverted" => {
            let mut d =
                Declaration::load(&repo().join("tests/examples/c-spin"), "inverted").unwrap();
            let read = |f: &str| std::fs::read_to_string(repo().join(f)).unwrap();
            let flow = repo().join(lab::outside::GENERIC);
            d.use_generic(
                &flow,
                &read(lab::outside::GENERIC),
                &read(lab::outside::GENERIC_RUN),
            )
            .unwrap();
            d.scenario.module = d.scenario.module.replace('-', "_");
            d.name = name.to_string();
            d
        }
        "c-abba.inverted" => {
            let mut d =
                Declaration::load(&repo().join("tests/examples/c-abba"), "inverted").unwrap();
            let read = |f: &str| std::fs::read_to_string(repo().join(f)).unwrap();
            let flow = repo().join(lab::outside::GENERIC);
            d.use_generic(
                &flow,
                &read(lab::outside::GENERIC),
                &read(lab::outside::GENERIC_RUN),
            )
            .unwrap();
            d.name = name.to_string();
            d
        }
        _ => Declaration::load(&here().join("decls"), name).unwrap(),
    }
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Judges scenario `name` of recorded boot `dir`.
fn judged(dir: &str, name: &str) -> TestResult {
    judged_among(dir, name, decl)
}

/// The same, with the declarations of the boot's scenarios from `decl_of`.
fn judged_among(dir: &str, name: &str, decl_of: impl Fn(&str) -> Declaration) -> TestResult {
    let b = boot(dir);
    let mut decls: Vec<Declaration> = b.names.iter().map(|n| decl_of(n)).collect();
    if !decls.iter().any(|d| d.name == name) {
        decls.push(decl_of(name));
    }
    let judge = Judge {
        decls: &decls,
        kunit_py: Path::new("/no/kunit.py"),
    };
    judge.scenario(name, &Ok((b, None)))
}

fn tests(r: &TestResult) -> Vec<(bool, String)> {
    let (_, lines) = r.subtests.as_ref().unwrap();
    lines
        .iter()
        .filter_map(|l| match l {
            Line::Test { ok, name } => Some((*ok, name.clone())),
            Line::Skip { name, why } => Some((true, format!("{name} # SKIP {why}"))),
            Line::Diag(_) => None,
        })
        .collect()
}

fn failed(r: &TestResult) -> Vec<String> {
    tests(r)
        .into_iter()
        .filter(|(ok, _)| !ok)
        .map(|(_, n)| n)
        .collect()
}

/// Every result has as many subtests as its plan said before the boot.
fn plan_holds(r: &TestResult, name: &str) {
    let d = decl(name);
    let (count, _) = r.subtests.as_ref().unwrap();
    assert_eq!(*count, subtest_count(&d, 0));
    assert_eq!(tests(r).len(), *count, "{:?}", tests(r));
}

#[test]
fn a_pass() {
    let r = judged("pass", "fixed");
    assert!(r.ok, "{:?}", failed(&r));
    plan_holds(&r, "fixed");
    assert!(tests(&r)
        .iter()
        .any(|(_, n)| n == "the guest ran its 12 declared checks and exited 0"));
    assert!(tests(&r)
        .iter()
        .any(|(_, n)| n == "dmesg findings match fixed.expect.json"));
    assert!(r.seconds > 0.0 && r.seconds < 5.0, "{}", r.seconds);
}

#[test]
fn an_early_exit_fails_on_the_checks_that_never_ran() {
    let r = judged("early-exit", "fixed");
    assert!(!r.ok);
    plan_holds(&r, "fixed");
    let f = failed(&r);
    assert!(f.contains(&"check a-rounds never ran".to_string()), "{f:?}");
    assert!(
        f.iter()
            .any(|n| n.contains("the guest reported 1 of its 12 declared checks")),
        "{f:?}"
    );
    // The script itself exited 0: only the plan catches it.
    assert!(!f.iter().any(|n| n.contains("exited 0 ")));
}

#[test]
fn a_crash_mid_way_fails_and_says_where() {
    let b = boot("crash");
    assert_eq!(b.record.ending, Ending::Panicked);
    assert!(
        b.stage().starts_with("running scenario 'fixed'"),
        "{}",
        b.stage()
    );
    let r = judged("crash", "fixed");
    assert!(!r.ok);
    plan_holds(&r, "fixed");
    let f = failed(&r);
    assert!(
        f.iter()
            .any(|n| n.contains("the guest script never ended (boot: in a kernel panic)")),
        "{f:?}"
    );
    // The inspector sees the crash in the scenario's part of the log.
    assert!(
        f.contains(&"dmesg findings match fixed.expect.json".to_string()),
        "{f:?}"
    );
}

#[test]
fn a_missing_exit_line_fails() {
    let b = boot("no-exit");
    assert_eq!(b.record.ending, Ending::Died);
    assert_eq!(b.guest.scenario("fixed").unwrap().exit, None);
    let r = judged("no-exit", "fixed");
    assert!(!r.ok);
    let f = failed(&r);
    assert!(
        f.iter().any(|n| n
            .contains("the guest script never ended (boot: QEMU exited before the guest finished")),
        "{f:?}"
    );
}

#[test]
fn a_timeout_names_the_stage() {
    let b = boot("timeout");
    assert_eq!(b.record.ending, Ending::TimedOut);
    assert_eq!(
        b.stage(),
        "running scenario 'fixed' (last line: # waiting for nothing)"
    );
    let r = judged("timeout", "fixed");
    assert!(!r.ok);
    let f = failed(&r);
    assert!(
        f.iter()
            .any(|n| n
                .contains("timeout after 8 s, QEMU killed (stopped at: running scenario 'fixed'")),
        "{f:?}"
    );
}

#[test]
fn an_interrupted_boot_says_so() {
    let b = boot("interrupted");
    assert_eq!(b.record.ending, Ending::Interrupted);
    let r = judged("interrupted", "fixed");
    assert!(!r.ok);
    assert!(failed(&r)
        .iter()
        .any(|n| n.contains("interrupted (stopped at: running scenario 'fixed'")));
}

#[test]
fn a_deliberate_panic_passes_with_its_checks_before_it() {
    let b = boot("panic");
    assert_eq!(b.record.ending, Ending::Panicked);
    // The protocol survived the panic: everything up to the flush arrived.
    let s = b.guest.scenario("spin").unwrap();
    assert_eq!(s.checks.len(), 5);
    assert!(s.flushed.is_some());
    let r = judged("panic", "spin");
    assert!(r.ok, "{:?}", failed(&r));
    plan_holds(&r, "spin");
    assert!(tests(&r)
        .iter()
        .any(|(_, n)| n == "the guest ran its 5 declared checks and the kernel panicked"));
}

#[test]
fn a_panic_that_was_not_declared_fails_a_declaration_that_wants_one() {
    // The crash boot judged as spin: the wrong checks, and a panic, but not
    // spin's console.
    let r = judged("crash", "spin");
    assert!(!r.ok);
    assert!(failed(&r).iter().any(|n| n.starts_with("console shows: ")));
}

#[test]
fn a_report_in_a_shared_boot_is_its_scenarios_own() {
    let b = boot("shared-report");
    assert!(judge::reported(&b.kernel_part("inverted")));
    assert!(!judge::reported(&b.kernel_part("fixed")));
    // The boot's own lines belong to the first scenario.
    assert!(b.kernel_part("fixed").contains("Linux version"));
    let inverted = judged("shared-report", "inverted");
    assert!(inverted.ok, "{:?}", failed(&inverted));
    // inverted declares its reports, and they came as declared: fixed,
    // which ran before it, is judged on its own part.
    let fixed = judged("shared-report", "fixed");
    assert!(
        fixed.ok && fixed.directive.is_none(),
        "{:?} {:?}",
        failed(&fixed),
        fixed.directive
    );
}

#[test]
fn an_unload_before_the_deadlock_fails_on_the_modules_verdict() {
    // Lockdep reports as the second thread starts to wait; the script
    // unloaded 20 ms later, before thread A slept, and the module's exit
    // path counted one task asleep where two were declared. The script now
    // waits for both in D first: the recorded boot never ran that check.
    let b = boot("early-unload");
    assert!(b.kernel_part("cmdline-lockdep1").contains("End of test: FAILURE: inverted order deadlocked and recovered: not as many tasks as declared were asleep on a lock at unload"));
    let r = judged("early-unload", "cmdline-lockdep1");
    assert!(!r.ok);
    let f = failed(&r);
    assert!(
        f.contains(
            &"deadlock_lab's verdict: SUCCESS: inverted order deadlocked and recovered".to_string()
        ),
        "{f:?}"
    );
    assert!(
        f.contains(&"check both-in-d never ran".to_string()),
        "{f:?}"
    );
}

/// `fixed` of the shared-report boot, as if `inverted` had been declared
/// silent: its reports are unexplained, and could be a late effect of fixed.
fn fixed_beside_an_undeclared_report() -> TestResult {
    judged_among("shared-report", "fixed", |n| {
        let mut d = decl("fixed");
        d.name = n.to_string();
        d
    })
}

#[test]
fn a_report_nobody_declared_leaves_the_others_of_its_boot_not_judged() {
    let fixed = fixed_beside_an_undeclared_report();
    assert!(!fixed.ok);
    assert!(
        failed(&fixed).is_empty(),
        "fixed passed every check of its own"
    );
    assert_eq!(
        fixed.directive.as_deref(),
        Some("not judged: its boot was shared with inverted, whose part of the log holds a kernel report")
    );
}

#[test]
fn a_guest_script_error_fails_and_shows_the_shells_message() {
    // The generic flow under a second of uptime: uptime_cs gave "098", which
    // the shell's arithmetic refused as a bad octal number, and the script
    // died before its last two checks.
    let r = judged("script-error", "c-abba.inverted");
    assert!(!r.ok);
    plan_holds(&r, "c-abba.inverted");
    let f = failed(&r);
    assert!(f.contains(&"check rmmod never ran".to_string()), "{f:?}");
    assert!(
        f.iter().any(|n| n.contains("the guest script exited 2")),
        "{f:?}"
    );
    let (_, lines) = r.subtests.as_ref().unwrap();
    assert!(
        lines
            .iter()
            .any(|l| matches!(l, Line::Diag(d) if d.ends_with("line 48: arithmetic syntax error"))),
        "the shell's own message is among the diagnostics"
    );
}

#[test]
fn a_hung_task_reported_again_at_each_scan_still_matches() {
    // The first scan named four of the six threads, the next named those
    // four again and the last pair: ten reports, each thread named. The
    // declaration asks for every thread, not for a number of reports.
    let b = boot("hung-again");
    assert_eq!(
        b.kernel_part("inverted-pairs")
            .matches("blocked for more than")
            .count(),
        10
    );
    let r = judged("hung-again", "inverted-pairs");
    assert!(
        tests(&r)
            .iter()
            .any(|(ok, n)| *ok && n == "dmesg findings match inverted-pairs.expect.json"),
        "{:?}",
        failed(&r)
    );
    // The guest's shell of that run counted reports (exactly six), which
    // never held: the ten came in two scans, and its script failed. The log
    // is the host's to judge now: the declaration's facts about it hold,
    // and what fails is only the script of that day, whose log checks are
    // no longer declared.
    assert!(
        tests(&r)
            .iter()
            .any(|(ok, n)| *ok && n == "lockdep reported exactly once"),
        "{:?}",
        tests(&r)
    );
    let f = failed(&r);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].starts_with("the guest ran its declared checks: the guest script exited 1; it ran checks its declaration does not name: first-pair-deadlocks, hung-task-reports"),
        "{f:?}"
    );
}

#[test]
fn a_command_the_script_does_not_have_fails_it() {
    let r = judged("not-found", "backoff");
    let f = failed(&r);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].contains("the script ran commands that do not exist: tasks_finished"),
        "{f:?}"
    );
    assert!(
        judged("not-found", "lock-stat").ok,
        "the other scenario of the boot is not touched"
    );
}

#[test]
fn a_guest_that_locked_up_is_one_outcome_of_a_real_abba() {
    let b = boot("locked-up");
    assert_eq!(b.record.ending, Ending::LockedUp);
    assert!(
        b.record
            .lockup
            .as_deref()
            .is_some_and(|w| w.contains("BUG: soft lockup - CPU#0")),
        "{:?}",
        b.record.lockup
    );
    // The host ended it a few seconds after the first report, not at the
    // timeout.
    assert!(
        b.record.wall_secs < 15.0 && b.record.timeout_secs > 30,
        "{:?}",
        b.record
    );
    let r = judged("locked-up", "c-spin.inverted");
    assert!(r.ok, "{:?}", failed(&r));
    plan_holds(&r, "c-spin.inverted");
    let t = tests(&r);
    assert!(
        t.iter()
            .any(|(ok, n)| *ok && n == "outcome: locked_up (declared: finished, locked_up)"),
        "{t:?}"
    );
    assert!(
        t.iter()
            .any(|(_, n)| n == "check rmmod # SKIP not reached: the outcome is locked_up"),
        "{t:?}"
    );
    let (_, lines) = r.subtests.as_ref().unwrap();
    let diags: Vec<&str> = lines
        .iter()
        .filter_map(|l| match l {
            Line::Diag(d) => Some(d.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        diags.contains(&"  CPU#0: c_spin_a:66 spins in queued_spin_lock_slowpath, called from run"),
        "{diags:?}"
    );
    assert!(
        diags.contains(&"  the locks, as lockdep named them: lock_a, lock_b"),
        "{diags:?}"
    );
    // Judged as if it had declared only the outcome "finished": the same
    // boot fails, naming the outcome it had.
    let r = judged_among("locked-up", "c-spin.inverted", |n| {
        let mut d = decl(n);
        d.outcomes
            .as_mut()
            .unwrap()
            .remove(&lab::outcome::Outcome::LockedUp);
        d
    });
    assert!(
        failed(&r).contains(
            &"outcome: locked_up, which it does not declare (declared: finished)".to_string()
        ),
        "{:?}",
        failed(&r)
    );
}

#[test]
fn the_generic_flow_ends_in_a_panic_when_declared() {
    let b = boot("generic-panic");
    assert_eq!(b.record.ending, Ending::Panicked);
    let d = decl("cspin-panic.panic");
    assert_eq!(
        d.plan.checks,
        ["module-there"],
        "the flow's checks before the panic"
    );
    let r = judged("generic-panic", "cspin-panic.panic");
    assert!(r.ok, "{:?}", failed(&r));
    plan_holds(&r, "cspin-panic.panic");
    assert!(tests(&r)
        .iter()
        .any(|(_, n)| n == "the guest ran its 1 declared checks and the kernel panicked"));
}

/// The KTAP of a suite of these results: well formed, plans kept, the
/// directive on the result line.
#[test]
fn the_ktap_and_junit_the_runner_writes() {
    let results = vec![
        TestResult::plain("inspector", true, 1.0, vec!["test result: ok.".into()]),
        judged("pass", "fixed"),
        judged("early-exit", "fixed"),
        fixed_beside_an_undeclared_report(),
    ];
    let mut doc = ktap::header(results.len());
    for (i, r) in results.iter().enumerate() {
        doc.push_str(&ktap::render(i + 1, r));
    }
    doc.push_str(&ktap::summary(&results));
    check_ktap(&doc);
    assert!(doc.contains("\nok 1 inspector\n"));
    assert!(doc.contains("\nok 2 fixed\n"));
    assert!(doc.contains("\nnot ok 3 fixed\n"));
    assert!(doc.contains("\nnot ok 4 fixed # not judged: its boot was shared with inverted"));
    assert!(doc.ends_with("2 passed, 2 failed\n"));

    let xml = ktap::junit(&results);
    let tree = roxmltree::Document::parse(&xml).unwrap();
    let suites: Vec<_> = tree
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 4, "three scenarios and the host tests");
    let failures = tree
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .count();
    // The early exit's 11 missing checks and its end, and the not-judged one.
    assert!(failures >= 13, "{failures}");
}

/// A structural check of a KTAP document: each (sub)test document's plan
/// matches the results at its level, numbered from 1.
fn check_ktap(doc: &str) {
    let mut stack: Vec<(usize, usize, usize)> = Vec::new(); // (indent, plan, seen)
    for line in doc.lines() {
        let indent = line.len() - line.trim_start().len();
        let t = line.trim_start();
        if t == "KTAP version 1" {
            stack.push((indent, 0, 0));
        } else if let Some(n) = t.strip_prefix("1..") {
            stack.last_mut().unwrap().1 = n.parse().unwrap();
        } else if t.starts_with("ok ") || t.starts_with("not ok ") {
            while stack.last().unwrap().0 > indent {
                let (_, plan, seen) = stack.pop().unwrap();
                assert_eq!(plan, seen, "a subtest's plan");
            }
            let top = stack.last_mut().unwrap();
            top.2 += 1;
            let n: usize = t
                .trim_start_matches("not ")
                .split(' ')
                .nth(1)
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(n, top.2, "numbering at {line:?}");
        }
    }
    let (_, plan, seen) = stack.pop().unwrap();
    assert_eq!(plan, seen, "the top-level plan");
}

/// A real gdb session whose vCPU registers were restored, yet printed
/// differently after the walks: gdb named the value 0x1 after a module
/// symbol once lx-symbols had loaded the module's. The values count, not
/// gdb's names for them.
#[test]
fn a_register_gdb_names_differently_is_still_restored() {
    let text = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/gdb/symbolized-register.txt"),
    )
    .unwrap();
    assert!(text.contains("restored: NO, now:"));
    let checks = lab::gdb::judge(&text);
    let i = lab::gdb::CHECKS
        .iter()
        .position(|c| c.contains("registers"))
        .unwrap();
    assert!(checks[i], "{:?}", checks);
    let changed = text.replacen("rsp            0xfffffe0000002fd0  0xfffffe0000002fd0\nrbp            0x1                 0x1 <", "rsp            0xfffffe0000002fd8  0xfffffe0000002fd8\nrbp            0x1                 0x1 <", 1);
    assert!(
        !lab::gdb::judge(&changed)[i],
        "a value that really changed fails"
    );
}
