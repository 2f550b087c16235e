// SPDX-License-Identifier: GPL-2.0
//! Hung tasks: the ABBA pair in three capture formats, blockers of every
//! kind, and a hung task whose name and stack carry invalid UTF-8.

use super::*;

/// deadlock_lab_a hung on sem2, which deadlock_lab_b holds: the first
/// report of the ABBA round.
pub(super) const HUNG_A: Want = Want {
    kind: Kind::HungTask,
    title: "INFO: task hung in deadlock_lab::thread_a",
    culprit: Some("deadlock_lab::thread_a"),
    tasks: &["deadlock_lab_a/42", "deadlock_lab_b/43"],
    locks: &[],
    truncated: false,
    lockdep_off: false,
};

/// Both hung tasks of the ABBA deadlock, each blocked on the semaphore the
/// other holds; the held-locks dump goes to the last one of the round.
#[track_caller]
pub(super) fn hung_pair(a: &Finding, b: &Finding) {
    HUNG_A.check(a);
    assert_eq!(
        blocked_on(a).as_deref(),
        Some("semaphore deadlock_lab_b/43")
    );
    assert_eq!(a.timeout_secs, Some(20));
    Want {
        kind: Kind::HungTask,
        title: "INFO: task hung in deadlock_lab::thread_b",
        culprit: Some("deadlock_lab::thread_b"),
        tasks: &["deadlock_lab_b/43", "deadlock_lab_a/42"],
        locks: &[
            "rcu_read_lock held (khungtaskd/34)",
            "sem1 held (deadlock_lab_a/42)",
            "sem2 held (deadlock_lab_b/43)",
        ],
        truncated: false,
        lockdep_off: false,
    }
    .check(b);
    assert_eq!(
        blocked_on(b).as_deref(),
        Some("semaphore deadlock_lab_a/42")
    );
    // Both owners are hung themselves: their stacks are not printed twice.
    assert!(a.blocked_on.as_ref().unwrap().frames.is_empty());
    assert!(b.blocked_on.as_ref().unwrap().frames.is_empty());
}

#[test]
fn hung_tasks_in_every_capture_format() {
    for name in ["hung_task", "interleaved", "journalctl"] {
        let r = parse(name);
        assert_eq!(r.findings.len(), 2, "{name}");
        hung_pair(&r.findings[0], &r.findings[1]);
        assert!(!r.summary.lockdep_off);
    }
}

#[test]
fn hung_tasks_on_a_mutex_an_rwsem_and_a_semaphore() {
    let r = parse("hung_task_mutex_rwsem");
    assert_eq!(r.findings.len(), 3);
    let m = &r.findings[0];
    Want {
        kind: Kind::HungTask,
        title: "INFO: task hung in lab_work_fn",
        culprit: Some("lab_work_fn"),
        tasks: &["lab_worker/51", "lab_owner/50"],
        locks: &[],
        truncated: false,
        lockdep_off: false,
    }
    .check(m);
    assert_eq!(blocked_on(m).as_deref(), Some("mutex lab_owner/50"));
    // The owner is not hung: its stack follows the blocker line.
    let owner = &m.blocked_on.as_ref().unwrap().frames;
    assert!(owner.iter().any(|fr| fr.starts_with("lab_owner_fn+")));
    let rw = &r.findings[1];
    Want {
        kind: Kind::HungTask,
        title: "INFO: task hung in lab_reader_fn",
        culprit: Some("lab_reader_fn"),
        tasks: &["lab_reader/52", "lab_writer/53"],
        locks: &[],
        truncated: false,
        lockdep_off: false,
    }
    .check(rw);
    let b = rw.blocked_on.as_ref().unwrap();
    assert_eq!(
        blocked_on(rw).as_deref(),
        Some("rw-semaphore lab_writer/53")
    );
    assert_eq!(b.waiting_as.as_deref(), Some("reader"));
    assert_eq!(b.held_as.as_deref(), Some("writer"));
    let s = &r.findings[2];
    Want {
        kind: Kind::HungTask,
        title: "INFO: task hung in lab_writer_fn",
        culprit: Some("lab_writer_fn"),
        tasks: &["lab_writer/53"],
        locks: &[],
        truncated: false,
        lockdep_off: false,
    }
    .check(s);
    assert_eq!(blocked_on(s).as_deref(), Some("semaphore -"));
    assert_eq!(s.notes, ["further hung task reports suppressed"]);
    for f in &r.findings {
        assert_eq!(f.timeout_secs, Some(20));
        assert_eq!(f.taint.as_deref(), Some("Not tainted"));
    }
}

#[test]
fn invalid_utf8_is_replaced_in_names_and_frames() {
    let r = parse("invalid_utf8");
    assert_eq!(r.findings.len(), 1);
    let f = &r.findings[0];
    Want {
        kind: Kind::HungTask,
        title: "INFO: task hung in _RNvCs5QVKzhqvFJh_12deadlock_lab8thread_\u{fffd}",
        culprit: Some("_RNvCs5QVKzhqvFJh_12deadlock_lab8thread_\u{fffd}"),
        tasks: &["lab_\u{fffd}\u{fffd}/44"],
        locks: &[],
        truncated: false,
        lockdep_off: false,
    }
    .check(f);
    assert_eq!(f.start_line, 4);
}
