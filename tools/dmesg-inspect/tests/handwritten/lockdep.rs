// SPDX-License-Identifier: GPL-2.0
//! lockdep reports: circular (in three capture formats, cut, interrupted,
//! followed by its hung tasks), recursive, inconsistent lock state, irq
//! inversion, bad unlock, held lock freed, lock held when returning to user
//! space, task exiting with locks held.

use super::*;

/// The ABBA circular report of deadlock_lab_b (`circular.log` and its
/// captures in other formats).
#[track_caller]
fn circular_b(f: &Finding, truncated: bool) {
    Want {
        kind: Kind::Circular,
        title: "possible deadlock in deadlock_lab::thread_b",
        culprit: Some("deadlock_lab::thread_b"),
        tasks: &["deadlock_lab_b/43"],
        locks: &["sem1 acquiring", "sem2 held (deadlock_lab_b/43)"],
        truncated,
        lockdep_off: false,
    }
    .check(f);
    assert_eq!(chain(f), ["sem2", "sem1"]);
    assert!(f.chain[0].frames[1].starts_with("deadlock_lab::thread_a+0x85/"));
    assert_eq!(f.kernel_version.as_deref(), Some("7.3.4"));
    assert_eq!(f.taint.as_deref(), Some("Tainted: G O"));
}

/// The recursive report of `recursive.log` (a `_ZN` legacy-mangled site).
#[track_caller]
pub(super) fn recursive_sem1(f: &Finding) {
    Want {
        kind: Kind::Recursive,
        title: "possible deadlock in deadlock_lab::relock",
        culprit: Some("deadlock_lab::relock"),
        tasks: &["deadlock_lab_a/42"],
        locks: &["sem1 acquiring", "sem1 held (deadlock_lab_a/42)"],
        truncated: false,
        lockdep_off: false,
    }
    .check(f);
    let s = f.scenario.as_ref().unwrap();
    assert_eq!(s.columns, ["CPU0"]);
    assert_eq!(s.rows, [["lock(sem1);"], ["lock(sem1);"]]);
}

#[track_caller]
fn bad_unlock_sem1(r: &Report) {
    assert_eq!(r.findings.len(), 1);
    let f = &r.findings[0];
    Want {
        kind: Kind::BadUnlock,
        title: "WARNING: bad unlock balance in deadlock_lab::thread_a",
        culprit: Some("deadlock_lab::thread_a"),
        tasks: &["deadlock_lab_a/42"],
        locks: &["sem1 releasing"],
        truncated: false,
        lockdep_off: false,
    }
    .check(f);
    // The release site is the frame printed after the header.
    assert_eq!(
        f.locks[0].at.as_deref(),
        Some("deadlock_lab::thread_a+0xd3/0x12d [deadlock_lab]")
    );
}

#[track_caller]
fn held_lock_freed(r: &Report) {
    assert_eq!(r.findings.len(), 1);
    Want {
        kind: Kind::HeldLockFreed,
        title: "WARNING: held lock freed in deadlock_lab::thread_a",
        culprit: Some("deadlock_lab::thread_a"),
        tasks: &["deadlock_lab_a/42"],
        locks: &["&obj->sem freed", "&obj->sem held (deadlock_lab_a/42)"],
        truncated: false,
        lockdep_off: false,
    }
    .check(&r.findings[0]);
}

#[test]
fn circular_in_every_capture_format() {
    for name in ["circular", "dmesg_T", "printk_caller"] {
        let r = parse(name);
        assert_eq!(r.findings.len(), 1, "{name}");
        circular_b(&r.findings[0], false);
        let s = r.findings[0].scenario.as_ref().unwrap();
        assert_eq!(s.columns, ["CPU0", "CPU1"]);
        assert_eq!(s.rows.len(), 4);
        assert!(!r.summary.lockdep_off);
    }
}

/// A driver's report, not the lab's: a chain of three mutexes with its
/// `Chain exists of:` line and a longer held-locks list.
#[test]
fn circular_with_a_three_lock_chain() {
    let r = parse("circular_chain3");
    assert_eq!(r.findings.len(), 1);
    let f = &r.findings[0];
    Want {
        kind: Kind::Circular,
        title: "possible deadlock in demo_rescan",
        culprit: Some("demo_rescan"),
        tasks: &["bash/1423"],
        locks: &[
            "demo_list_mutex acquiring",
            "&demo->cfg_lock held (bash/1423)",
            "sb_writers#5 held (bash/1423)",
            "&of->mutex held (bash/1423)",
            "kn->active#48 held (bash/1423)",
        ],
        truncated: false,
        lockdep_off: false,
    }
    .check(f);
    assert_eq!(
        chain(f),
        ["&demo->cfg_lock", "&demo->io_lock", "demo_list_mutex"]
    );
    let s = f.scenario.as_ref().unwrap();
    assert_eq!(
        s.chain_exists_of,
        ["demo_list_mutex", "&demo->io_lock", "&demo->cfg_lock"]
    );
    assert_eq!(s.rows.len(), 4);
    assert_eq!(f.kernel_version.as_deref(), Some("6.12.9"));
}

#[test]
fn circular_cut_by_the_end_of_input() {
    let r = parse("truncated_mid_stack");
    assert_eq!(r.findings.len(), 1);
    let f = &r.findings[0];
    circular_b(f, true);
    assert_eq!(f.notes, ["input ended inside the report"]);
}

#[test]
fn circular_interrupted_by_a_hung_task() {
    let r = parse("report_interrupted");
    assert_eq!(r.findings.len(), 2);
    let c = &r.findings[0];
    Want {
        kind: Kind::Circular,
        title: "possible deadlock in deadlock_lab::thread_b",
        culprit: Some("deadlock_lab::thread_b"),
        tasks: &["deadlock_lab_b/43"],
        // Cut before its held-locks list.
        locks: &["sem1 acquiring", "sem2 held"],
        truncated: true,
        lockdep_off: false,
    }
    .check(c);
    assert_eq!(c.notes, ["another report started before this one ended"]);
    let h = &r.findings[1];
    hung::HUNG_A.check(h);
    assert_eq!(c.end_line + 1, h.start_line);
}

#[test]
fn abba_then_hung_tasks_then_panic() {
    let r = parse("abba_full");
    assert_eq!(r.findings.len(), 3);
    let c = &r.findings[0];
    Want {
        kind: Kind::Circular,
        title: "possible deadlock in deadlock_lab::thread_a",
        culprit: Some("deadlock_lab::thread_a"),
        tasks: &["deadlock_lab_a/42"],
        locks: &["sem2 acquiring", "sem1 held (deadlock_lab_a/42)"],
        truncated: false,
        lockdep_off: false,
    }
    .check(c);
    assert_eq!(chain(c), ["sem1", "sem2"]);
    hung::HUNG_A.check(&r.findings[1]);
    // The round ends with "INFO: lockdep is turned off." instead of the
    // held-locks dump; the hung_task_panic panic is a note of its report.
    let h = &r.findings[2];
    Want {
        kind: Kind::HungTask,
        title: "INFO: task hung in deadlock_lab::thread_b",
        culprit: Some("deadlock_lab::thread_b"),
        tasks: &["deadlock_lab_b/43", "deadlock_lab_a/42"],
        locks: &[],
        truncated: false,
        lockdep_off: true,
    }
    .check(h);
    assert_eq!(
        blocked_on(h).as_deref(),
        Some("semaphore deadlock_lab_a/42")
    );
    assert_eq!(
        h.notes,
        ["Kernel panic - not syncing: hung_task: blocked tasks"]
    );
    assert_eq!(h.end_line, 137);
    assert!(r.summary.lockdep_off);
}

#[test]
fn recursive_in_every_capture_format() {
    for name in ["recursive", "serial_console"] {
        let r = parse(name);
        assert_eq!(r.findings.len(), 1, "{name}");
        recursive_sem1(&r.findings[0]);
    }
}

#[test]
fn inconsistent_lock_state_in_a_timer() {
    let r = parse("inconsistent");
    assert_eq!(r.findings.len(), 1);
    let f = &r.findings[0];
    Want {
        kind: Kind::Inconsistent,
        title: "inconsistent lock state in deadlock_lab::timer_fn",
        culprit: Some("deadlock_lab::timer_fn"),
        tasks: &["swapper/1/0"],
        locks: &["lab_spin acquiring"],
        truncated: false,
        lockdep_off: false,
    }
    .check(f);
    assert_eq!(
        f.notes,
        ["inconsistent {HARDIRQ-ON-W} -> {IN-HARDIRQ-W} usage."]
    );
    assert_eq!(labels(f), ["{HARDIRQ-ON-W} state was registered at"]);
    // The timer interrupted the idle task: the `RIP:` printed inside
    // `<TASK>` is the innermost frame of the interrupted context, in its
    // place after the interrupt entry.
    let at = |name: &str| f.frames.iter().position(|fr| fr.starts_with(name));
    let entry = at("asm_sysvec_apic_timer_interrupt+").unwrap();
    assert_eq!(f.frames[entry + 1], "pv_native_safe_halt+0xf/0x20");
    assert_eq!(at("default_idle+"), Some(entry + 2));
    assert!(f.other_stacks[0]
        .frames
        .iter()
        .any(|fr| fr.starts_with("deadlock_lab::thread_a+")));
    let s = f.scenario.as_ref().unwrap();
    assert_eq!(s.columns, ["CPU0"]);
    assert_eq!(
        s.rows,
        [["lock(lab_spin);"], ["<Interrupt>"], ["lock(lab_spin);"]]
    );
}

#[test]
fn irq_lock_inversion() {
    let r = parse("irq_inversion");
    assert_eq!(r.findings.len(), 1);
    let f = &r.findings[0];
    Want {
        kind: Kind::IrqInversion,
        title: "possible deadlock in deadlock_lab::timer_fn",
        culprit: Some("deadlock_lab::timer_fn"),
        tasks: &["swapper/0/0"],
        locks: &["lab_spin acquiring", "lab_inner dependency"],
        truncated: false,
        lockdep_off: false,
    }
    .check(f);
    // The shortest dependency path, second lock first.
    assert_eq!(chain(f), ["lab_inner", "lab_spin"]);
    assert_eq!(
        labels(f),
        [
            "lab_inner: HARDIRQ-ON-W at",
            "lab_inner: INITIAL USE at",
            "lab_spin: IN-HARDIRQ-W at",
            "lab_spin: INITIAL USE at"
        ]
    );
}

#[test]
fn irq_safe_to_unsafe_lock_order() {
    let r = parse("irq_safe_unsafe");
    assert_eq!(r.findings.len(), 1);
    let f = &r.findings[0];
    // syzkaller titles it by the first frame after "... which became
    // HARDIRQ-irq-safe at:": the interrupt handler that made the lock
    // irq-safe, not the site of the lock being acquired.
    Want {
        kind: Kind::IrqInversion,
        title: "possible deadlock in deadlock_lab::timer_fn",
        culprit: Some("deadlock_lab::timer_fn"),
        tasks: &["deadlock_lab_a/42"],
        locks: &[
            "lab_inner acquiring",
            "lab_spin held (deadlock_lab_a/42)",
            "lab_spin irq_safe",
            "lab_inner irq_unsafe",
        ],
        truncated: false,
        lockdep_off: false,
    }
    .check(f);
    assert_eq!(chain(f), ["lab_spin", "lab_inner"]);
    assert_eq!(
        &labels(f)[..2],
        [
            "... which became HARDIRQ-irq-safe at",
            "... which became HARDIRQ-irq-unsafe at"
        ]
    );
}

#[test]
fn bad_unlock_balance() {
    bad_unlock_sem1(&parse("bad_unlock"));
    bad_unlock_sem1(&parse("level_prefix"));
}

#[test]
fn held_lock_freed_in_both_formats() {
    held_lock_freed(&parse("held_lock_freed"));
    held_lock_freed(&parse("dmesg_x"));
}

#[test]
fn lock_held_when_returning_to_user_space() {
    let r = parse("held_lock_return");
    assert_eq!(r.findings.len(), 1);
    let f = &r.findings[0];
    Want {
        kind: Kind::HeldLockReturn,
        title: "WARNING: lock held when returning to user space in deadlock_lab::lab_write",
        culprit: Some("deadlock_lab::lab_write"),
        tasks: &["lab_ctl/97"],
        locks: &["sem1 held (lab_ctl/97)"],
        truncated: false,
        lockdep_off: false,
    }
    .check(f);
    // No stack: the report ends with its held-lock list.
    assert!(f.frames.is_empty());
    assert_eq!((f.start_line, f.end_line), (3, 9));
}

#[test]
fn task_exiting_with_locks_held() {
    let r = parse("locks_held_at_exit");
    assert_eq!(r.findings.len(), 1);
    let f = &r.findings[0];
    Want {
        kind: Kind::HeldLockExit,
        title: "WARNING: still has locks held in deadlock_leak::leaker",
        culprit: Some("deadlock_leak::leaker"),
        tasks: &["deadlock_leaker/61"],
        locks: &["store_lock held (deadlock_leaker/61)"],
        truncated: false,
        lockdep_off: false,
    }
    .check(f);
    assert!(f.frames.iter().any(|fr| fr.starts_with("do_exit+")));
}
