// SPDX-License-Identifier: GPL-2.0
//! Soft lockups and reports of kind `other`: oopses, BUG, WARNING, RCU
//! stall.

use super::*;

#[test]
fn soft_lockup() {
    let r = parse("soft_lockup");
    assert_eq!(r.findings.len(), 1);
    let f = &r.findings[0];
    Want {
        kind: Kind::SoftLockup,
        title: "BUG: soft lockup in deadlock_lab::thread_a",
        culprit: Some("deadlock_lab::thread_a"),
        tasks: &["deadlock_lab_a/42"],
        locks: &[],
        truncated: false,
        lockdep_off: false,
    }
    .check(f);
    assert_eq!(f.cpu, Some(1));
    assert_eq!(f.timeout_secs, Some(26));
    assert_eq!(labels(f), ["RIP"]);
    assert!(f.other_stacks[0].frames[0].starts_with("deadlock_lab::spin+0x12/"));
}

#[test]
fn oopses_and_bugs() {
    let r = parse("gpf");
    assert_eq!(r.findings.len(), 1);
    let f = &r.findings[0];
    Want {
        kind: Kind::Other,
        title: "Oops: general protection fault, probably for non-canonical address 0xdead000000000122: 0000 [#1] SMP NOPTI",
        // The RIP frame is list debugging, on the skip list.
        culprit: Some("deadlock_lab::drop_waiter"),
        tasks: &["deadlock_lab_b/43"],
        locks: &[],
        truncated: false,
        lockdep_off: false,
    }
    .check(f);
    assert!(f.other_stacks[0].frames[0].starts_with("__list_del_entry_valid_or_report+"));

    let r = parse("kernel_bug");
    assert_eq!(r.findings.len(), 1);
    let f = &r.findings[0];
    Want {
        kind: Kind::Other,
        title: "kernel BUG at kernel/locking/semaphore.c:260!",
        culprit: Some("up"),
        tasks: &["deadlock_lab_a/42"],
        locks: &[],
        truncated: false,
        lockdep_off: false,
    }
    .check(f);
    // The oops header after the BUG line belongs to it.
    assert_eq!(f.notes, ["Oops: invalid opcode: 0000 [#1] SMP NOPTI"]);

    let r = parse("oops_null");
    assert_eq!(r.findings.len(), 1);
    let f = &r.findings[0];
    Want {
        kind: Kind::Other,
        title: "BUG: kernel NULL pointer dereference, address: 0000000000000008",
        culprit: Some("deadlock_lab::deref_obj"),
        tasks: &["deadlock_lab_a/42"],
        locks: &[],
        truncated: false,
        lockdep_off: false,
    }
    .check(f);
    // The oops and the panic it causes are part of the report.
    assert_eq!(
        f.notes,
        [
            "Oops: Oops: 0000 [#1] SMP NOPTI",
            "Kernel panic - not syncing: Fatal exception"
        ]
    );
    assert_eq!(f.end_line, 33);
}

#[test]
fn warnings() {
    let r = parse("warning");
    assert_eq!(r.findings.len(), 1);
    warning_in_cleanup(&r.findings[0]);

    // Lines separated by lone CRs: one line for the line count.
    let r = parse("lone_cr");
    assert_eq!(r.findings.len(), 1);
    let f = &r.findings[0];
    Want {
        kind: Kind::Other,
        title: "WARNING: src/lab.rs:201 at lab_check+0x1a/0x40 [deadlock_lab], CPU#0: deadlock_lab_a/42",
        culprit: Some("lab_check"),
        tasks: &["deadlock_lab_a/42"],
        locks: &[],
        truncated: false,
        lockdep_off: false,
    }
    .check(f);
    assert_eq!((f.start_line, f.end_line), (1, 1));
}

#[track_caller]
pub(super) fn warning_in_cleanup(f: &Finding) {
    Want {
        kind: Kind::Other,
        title: "WARNING: src/lab.rs:118 at deadlock_lab::cleanup+0x3a/0x90 [deadlock_lab], CPU#0: rmmod/88",
        culprit: Some("deadlock_lab::cleanup"),
        tasks: &["rmmod/88"],
        locks: &[],
        truncated: false,
        lockdep_off: false,
    }
    .check(f);
}

#[test]
fn rcu_stall() {
    let r = parse("rcu_stall");
    assert_eq!(r.findings.len(), 1);
    Want {
        kind: Kind::Other,
        title: "rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:",
        culprit: Some("deadlock_lab::spin"),
        tasks: &["deadlock_lab_a/42"],
        locks: &[],
        truncated: false,
        lockdep_off: false,
    }
    .check(&r.findings[0]);
}
