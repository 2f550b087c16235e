// SPDX-License-Identifier: GPL-2.0
//! Console logs of real deadlock-lab runs (QEMU, Linux 7.3.4 with lockdep):
//! `tests/fixtures/real_<scenario>.log`. `fixtures.rs` compares their whole
//! output with the `.expected.json` files; this file pins, by hand, the
//! fields a reader relies on (kind, title, culprit, tasks, locks, what a
//! hung task waits on, the stuck CPU), so that a regression cannot slip
//! through an `UPDATE_EXPECT=1` run.

use std::fs;
use std::path::Path;

use dmesg_inspect::{parse_bytes, Finding, Kind, Report};

fn parse(name: &str) -> Report {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format!("real_{name}.log"));
    parse_bytes(&fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

fn tasks(f: &Finding) -> Vec<String> {
    f.tasks.iter().map(|t| t.to_string()).collect()
}

/// `class role` of every lock of the report itself (not of a held-locks
/// dump of the whole system).
fn locks(f: &Finding) -> Vec<String> {
    f.locks
        .iter()
        .map(|l| format!("{} {}", l.class, l.role))
        .collect()
}

fn blocked_on(f: &Finding) -> Option<String> {
    f.blocked_on.as_ref().map(|b| {
        format!(
            "{} {}",
            b.primitive,
            b.task.as_ref().map(|t| t.to_string()).unwrap_or_default()
        )
    })
}

/// Checks the parts of a finding every consumer of the tool relies on, in a
/// log of Linux 7.3.4.
#[track_caller]
fn check(f: &Finding, kind: Kind, title: &str, culprit: &str, task_list: &[&str]) {
    check_on("7.3.4", f, kind, title, culprit, task_list);
}

/// `check`, for a log of the kernel `version`.
#[track_caller]
fn check_on(
    version: &str,
    f: &Finding,
    kind: Kind,
    title: &str,
    culprit: &str,
    task_list: &[&str],
) {
    assert_eq!(f.kind, kind, "{f:#?}");
    assert_eq!(f.title, title);
    assert_eq!(f.culprit.as_deref(), Some(culprit));
    assert_eq!(tasks(f), task_list);
    assert!(!f.truncated, "{f:#?}");
    assert_eq!(f.repeats, 1);
    assert_eq!(f.kernel_version.as_deref(), Some(version));
}

#[test]
fn clean_runs_have_no_findings() {
    for name in [
        "fixed",
        "invalid-params",
        "cycles",
        "endless",
        "recursive-fixed",
        "irq-fixed",
        "leak-fixed",
        "spin-fixed",
    ] {
        let r = parse(name);
        assert!(r.findings.is_empty(), "{name}: {:#?}", r.findings);
        assert!(!r.summary.lockdep_off, "{name}");
    }
}

#[test]
fn inverted_abba_on_semaphores() {
    let r = parse("inverted");
    assert_eq!(r.findings.len(), 3);
    let c = &r.findings[0];
    check(
        c,
        Kind::Circular,
        "possible deadlock in deadlock_lab::thread_a",
        "deadlock_lab::thread_a",
        &["deadlock_lab_a/60"],
    );
    assert_eq!(locks(c), ["sem2 acquiring", "sem1 held"]);
    let chain: Vec<&str> = c.chain.iter().map(|e| e.class.as_str()).collect();
    assert_eq!(chain, ["sem1", "sem2"]);
    assert!(c.chain[0].frames[0].starts_with("deadlock_lab::thread_b+"));
    assert!(!c.lockdep_off);
    for (f, me, me_task, other_task) in [
        (
            &r.findings[1],
            "a",
            "deadlock_lab_a/60",
            "deadlock_lab_b/61",
        ),
        (
            &r.findings[2],
            "b",
            "deadlock_lab_b/61",
            "deadlock_lab_a/60",
        ),
    ] {
        check(
            f,
            Kind::HungTask,
            &format!("INFO: task hung in deadlock_lab::thread_{me}"),
            &format!("deadlock_lab::thread_{me}"),
            &[me_task, other_task],
        );
        assert_eq!(
            blocked_on(f).as_deref(),
            Some(&*format!("semaphore {other_task}"))
        );
        assert_eq!(f.timeout_secs, Some(3));
        // The SysRq dump after the circular report belongs to nobody.
        assert!(f.other_stacks.is_empty());
    }
    // The hung-task round ends with lockdep saying it is off.
    assert!(r.findings[2].lockdep_off);
    assert!(r.summary.lockdep_off);
}

/// `deadlock_lab locks=3`, on a kernel with `CONFIG_PRINTK_CALLER`: one
/// circular report whose chain holds the whole ring, one hung task per
/// thread, and the module's own holding/waiting lines kept as claims.
#[test]
fn ring_of_three_semaphores() {
    let r = parse("ring");
    assert_eq!(r.findings.len(), 4);
    let c = &r.findings[0];
    check(
        c,
        Kind::Circular,
        "possible deadlock in deadlock_lab::thread_a",
        "deadlock_lab::thread_a",
        &["deadlock_lab_a/54"],
    );
    assert_eq!(locks(c), ["sem2 acquiring", "sem1 held"]);
    let chain: Vec<&str> = c.chain.iter().map(|e| e.class.as_str()).collect();
    assert_eq!(chain, ["sem1", "sem3", "sem2"]);
    for (f, me, next) in [
        (&r.findings[1], "deadlock_lab_a/54", "deadlock_lab_b/55"),
        (&r.findings[2], "deadlock_lab_b/55", "deadlock_lab_c/56"),
        (&r.findings[3], "deadlock_lab_c/56", "deadlock_lab_a/54"),
    ] {
        assert_eq!(f.kind, Kind::HungTask);
        assert_eq!(tasks(f)[..2], [me.to_string(), next.to_string()]);
        assert_eq!(
            blocked_on(f).as_deref(),
            Some(&*format!("semaphore {next}"))
        );
    }
    let claims: Vec<String> = r
        .summary
        .claims
        .iter()
        .map(|c| {
            format!(
                "{} {} {}",
                c.task,
                if c.holds { "holds" } else { "waits for" },
                c.lock
            )
        })
        .collect();
    assert_eq!(
        claims,
        [
            "deadlock_lab_a holds sem1",
            "deadlock_lab_b holds sem2",
            "deadlock_lab_c holds sem3",
            "deadlock_lab_c waits for sem1",
            "deadlock_lab_b waits for sem3",
            "deadlock_lab_a waits for sem2",
        ]
    );
}

#[test]
fn gdb_abba_stops_before_the_hung_tasks() {
    let r = parse("gdb-abba");
    assert_eq!(r.findings.len(), 1);
    let c = &r.findings[0];
    check(
        c,
        Kind::Circular,
        "possible deadlock in deadlock_lab::thread_a",
        "deadlock_lab::thread_a",
        &["deadlock_lab_a/46"],
    );
    assert_eq!(locks(c), ["sem2 acquiring", "sem1 held"]);
    assert!(!r.summary.lockdep_off);
}

#[test]
fn recursive_semaphore() {
    let r = parse("recursive");
    assert_eq!(r.findings.len(), 2);
    let f = &r.findings[0];
    check(
        f,
        Kind::Recursive,
        "possible deadlock in deadlock_recursive::grow",
        "deadlock_recursive::grow",
        &["deadlock_rec/63"],
    );
    assert_eq!(locks(f), ["table_lock acquiring", "table_lock held"]);
    assert!(f.locks[1]
        .at
        .as_deref()
        .unwrap()
        .starts_with("deadlock_recursive::insert+"));
    let h = &r.findings[1];
    check(
        h,
        Kind::HungTask,
        "INFO: task hung in deadlock_recursive::grow",
        "deadlock_recursive::grow",
        &["deadlock_rec/63"],
    );
    assert_eq!(blocked_on(h).as_deref(), Some("semaphore deadlock_rec/63"));
    assert!(h.lockdep_off);
    // The SysRq dump after the round is not part of the report.
    assert_eq!(h.end_line, 254);
    assert!(h.other_stacks.is_empty());
}

#[test]
fn irq_inconsistent_state_names_the_rust_caller() {
    let r = parse("irq");
    assert_eq!(r.findings.len(), 1);
    let f = &r.findings[0];
    // The lock site is the C shim rust_helper_spin_lock; the title names
    // the Rust function that called it.
    check(
        f,
        Kind::Inconsistent,
        "inconsistent lock state in deadlock_irq::update_irqs_on",
        "deadlock_irq::update_irqs_on",
        &["deadlock_irq/47"],
    );
    assert_eq!(locks(f), ["stats_lock acquiring"]);
    assert_eq!(
        f.locks[0].at.as_deref(),
        Some("rust_helper_spin_lock+0xd/0x10")
    );
    assert_eq!(
        f.other_stacks[0].label,
        "{IN-HARDIRQ-W} state was registered at"
    );
    assert!(f.other_stacks[0]
        .frames
        .iter()
        .any(|fr| fr.starts_with("deadlock_irq::timer_tick+")));
    // print_usage_bug() turned lockdep off, but nothing asked lockdep for
    // held locks afterwards, so it never said so.
    assert!(!f.lockdep_off);
    assert!(!r.summary.lockdep_off);
}

/// The leak scenario's log on each supported series: `real_leak.log` (7.3.4)
/// and `real_7.2_leak.log` (7.2.12). 7.2 heads a held-locks list "1 lock held
/// by NAME/PID:", 7.3 "locks held by NAME/PID: 1, on CPU#0:"; both must give
/// the same findings.
#[test]
fn leak_hung_waiter_then_exit_with_lock_held() {
    for (name, version, leaker, waiter) in [
        ("leak", "7.3.4", "deadlock_leaker/58", "deadlock_waiter/59"),
        (
            "7.2_leak",
            "7.2.12",
            "deadlock_leaker/64",
            "deadlock_waiter/65",
        ),
    ] {
        let r = parse(name);
        assert_eq!(r.findings.len(), 2, "{name}");
        let h = &r.findings[0];
        // deadlock_leak::waiter, not ret_from_fork: a module function whose
        // name contains "wait" is not a scheduler frame, and the thread
        // trampoline is skipped.
        check_on(
            version,
            h,
            Kind::HungTask,
            "INFO: task hung in deadlock_leak::waiter",
            "deadlock_leak::waiter",
            &[waiter, leaker],
        );
        assert_eq!(
            blocked_on(h).as_deref(),
            Some(format!("semaphore {leaker}").as_str())
        );
        // The leaker's stack, printed because it is not hung itself.
        assert!(h
            .blocked_on
            .as_ref()
            .unwrap()
            .frames
            .iter()
            .any(|fr| fr.starts_with("schedule_timeout_interruptible+")));
        let store: Vec<String> = h
            .locks
            .iter()
            .filter(|l| l.class == "store_lock")
            .map(|l| format!("{}", l.holder.as_ref().unwrap()))
            .collect();
        assert_eq!(store, [leaker, waiter], "{name}");
        assert!(h.other_stacks.is_empty());

        let x = &r.findings[1];
        check_on(
            version,
            x,
            Kind::HeldLockExit,
            "WARNING: still has locks held in deadlock_leak::update_leaky",
            "deadlock_leak::update_leaky",
            &[leaker],
        );
        assert_eq!(locks(x), ["store_lock held"]);
        // Reported from do_exit() (the older log) or, since the lab's
        // threads check for themselves, from their trampoline.
        assert!(x
            .frames
            .iter()
            .any(|fr| fr.starts_with("debug_check_no_locks_held+")));
        assert!(!r.summary.lockdep_off);
    }
    assert_eq!(parse("leak").findings[0].end_line, 229);
}

/// The spinlock ABBA on a kernel with `CONFIG_PRINTK_CALLER`: the soft
/// lockup is printed by the stuck CPU (`[    C1]`), the other CPU's NMI
/// backtrace by that CPU (`[    C0]`). Its lines belong to the report
/// although their caller differs: the report named only the task of CPU 1
/// until the CPUs that "Sending NMI from CPU 1 to CPUs 0:" asks were
/// accepted (a real suite run failed on it).
#[test]
fn spin_with_printk_caller_ids_keeps_the_nmi_backtrace() {
    let r = parse("spin-caller");
    assert_eq!(r.findings.len(), 2);
    assert_eq!(r.findings[0].kind, Kind::Circular);
    let s = &r.findings[1];
    check(
        s,
        Kind::SoftLockup,
        "BUG: soft lockup in deadlock_spin::thread_b",
        "deadlock_spin::thread_b",
        &["deadlock_spin_b/64", "deadlock_spin_a/63"],
    );
    assert_eq!(s.cpu, Some(1));
    assert_eq!(s.other_stacks[1].label, "NMI backtrace for cpu 0");
    assert!(s.other_stacks[1]
        .frames
        .iter()
        .any(|fr| fr.starts_with("deadlock_spin::thread_a+")));
    assert_eq!(
        s.notes,
        [
            "Sending NMI from CPU 1 to CPUs 0:",
            "Kernel panic - not syncing: softlockup: hung tasks"
        ]
    );
}

#[test]
fn spin_abba_on_spinlocks_ends_in_a_soft_lockup_panic() {
    for (name, reporter, acquiring, held, stuck, rip) in [
        (
            "spin",
            "deadlock_spin_b/55",
            "spin1",
            "spin2",
            ["deadlock_spin_a/54", "deadlock_spin_b/55"],
            "queued_spin_lock_slowpath+",
        ),
        (
            "spin-softirq",
            "deadlock_spin_a/53",
            "spin2",
            "spin1",
            ["deadlock_spin_a/53", "deadlock_spin_b/54"],
            // The watchdog interrupted a softirq run at interrupt exit on
            // top of the spinning thread.
            "sched_balance_softirq+",
        ),
    ] {
        let r = parse(name);
        assert_eq!(r.findings.len(), 2, "{name}");
        let c = &r.findings[0];
        let thread = if reporter.starts_with("deadlock_spin_a") {
            "deadlock_spin::thread_a"
        } else {
            "deadlock_spin::thread_b"
        };
        // Both sites are rust_helper_spin_lock: the acquiring one is
        // resolved through the report's stack to the reporting thread.
        check(
            c,
            Kind::Circular,
            &format!("possible deadlock in {thread}"),
            thread,
            &[reporter],
        );
        assert_eq!(
            locks(c),
            [format!("{acquiring} acquiring"), format!("{held} held")]
        );

        let s = &r.findings[1];
        check(
            s,
            Kind::SoftLockup,
            "BUG: soft lockup in deadlock_spin::thread_a",
            "deadlock_spin::thread_a",
            &stuck,
        );
        assert_eq!(s.cpu, Some(0), "{name}");
        assert_eq!(s.timeout_secs, Some(3), "{name}");
        assert_eq!(s.other_stacks[0].label, "RIP");
        assert!(s.other_stacks[0].frames[0].starts_with(rip), "{name}");
        // The other CPU's NMI backtrace and the panic belong to the report.
        assert_eq!(s.other_stacks[1].label, "NMI backtrace for cpu 1");
        assert!(s.other_stacks[1].frames[0].starts_with("queued_spin_lock_slowpath+"));
        assert!(s.other_stacks[1]
            .frames
            .iter()
            .any(|fr| fr.starts_with("deadlock_spin::thread_b+")));
        assert_eq!(
            s.notes,
            [
                "Sending NMI from CPU 0 to CPUs 1:",
                "Kernel panic - not syncing: softlockup: hung tasks"
            ]
        );
        assert!(!r.summary.lockdep_off);
    }
}

#[test]
fn completion_wait_names_no_holder() {
    let r = parse("completion");
    assert_eq!(r.findings.len(), 2);
    let (a, b) = (&r.findings[0], &r.findings[1]);
    check(
        a,
        Kind::HungTask,
        "INFO: task hung in deadlock_completion::wait_holding",
        "deadlock_completion::wait_holding",
        &["deadlock_cmp_a/72"],
    );
    // A completion has no owner: no blocker line.
    assert_eq!(blocked_on(a), None);
    assert!(a
        .frames
        .iter()
        .any(|f| f.starts_with("wait_for_completion+")));
    check(
        b,
        Kind::HungTask,
        "INFO: task hung in deadlock_completion::complete_under_sem1",
        "deadlock_completion::complete_under_sem1",
        &["deadlock_cmp_b/73", "deadlock_cmp_a/72"],
    );
    assert_eq!(
        blocked_on(b).as_deref(),
        Some("semaphore deadlock_cmp_a/72")
    );
    assert!(!r.summary.lockdep_off);
}

#[test]
fn rwsem_read_twice_with_a_writer_queued() {
    let r = parse("rwsem-read");
    assert_eq!(r.findings.len(), 3);
    let f = &r.findings[0];
    check(
        f,
        Kind::Recursive,
        "possible deadlock in deadlock_rwsem::find_vma",
        "deadlock_rwsem::find_vma",
        &["deadlock_reader/62"],
    );
    assert_eq!(locks(f), ["map_lock acquiring", "map_lock held"]);
    let sides = |f: &Finding| {
        let b = f.blocked_on.as_ref().unwrap();
        (b.waiting_as.clone(), b.held_as.clone())
    };
    let (reader, writer) = (&r.findings[1], &r.findings[2]);
    check(
        reader,
        Kind::HungTask,
        "INFO: task hung in deadlock_rwsem::find_vma",
        "deadlock_rwsem::find_vma",
        &["deadlock_reader/62"],
    );
    assert_eq!(
        blocked_on(reader).as_deref(),
        Some("rw-semaphore deadlock_reader/62")
    );
    assert_eq!(
        sides(reader),
        (Some("reader".into()), Some("reader".into()))
    );
    check(
        writer,
        Kind::HungTask,
        "INFO: task hung in deadlock_rwsem::mmap",
        "deadlock_rwsem::mmap",
        &["deadlock_writer/63", "deadlock_reader/62"],
    );
    assert_eq!(
        sides(writer),
        (Some("writer".into()), Some("reader".into()))
    );
    assert!(writer.lockdep_off);
}
