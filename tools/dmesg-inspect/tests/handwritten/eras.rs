// SPDX-License-Identifier: GPL-2.0
//! Reports as older kernels print them, written from the printing code of
//! each era (`kernel/lockdep.c` / `kernel/locking/lockdep.c`,
//! `kernel/hung_task.c`, `sched_show_task()`, x86 `dump_stack()`):
//!
//! - `era_2.6.32`: bracketed `[ INFO: ... ]` / `[ BUG: ... ]` headers,
//!   `print_kernel_version()` without taint, locks without an instance and
//!   with six usage characters and an address column before the site,
//!   `Pid: N, comm: X`, `[<addr>]` stacks with `? ` frames and markers on
//!   the frame's line, hung tasks with the saved PC and raw stack words;
//! - `era_3.10`: `CPU: ... Comm:` and `print_kernel_ident()`, the scenario
//!   table, `still has locks held!` and `lock held when returning to user
//!   space!` under `BUG:`;
//! - `era_4.14`: unbracketed `WARNING:` headers, four usage characters,
//!   sites still behind an address column, stacks without addresses,
//!   `<IRQ>`/`</IRQ>`, the `D23560` layout of `sched_show_task()`;
//! - `era_5.10`: instances and wait types on every lock, `task:NAME
//!   state:D` hung tasks without `<TASK>` markers;
//! - `not_lock_reports`: lines that only mention locks or deadlocks, and
//!   reports of other kinds (KASAN, RCU stall, general protection fault,
//!   sleeping in atomic context, scheduling while atomic, spinlock
//!   recursion, lockdep's own limits, a non-static key).
//!
//! Titles follow syzkaller's rules for each header form (see
//! `src/culprit/mod.rs`).

use super::*;

/// `kernel_version` and the lines of a finding.
#[track_caller]
pub(super) fn extent(f: &Finding, version: Option<&str>, start: u64, end: u64) {
    assert_eq!(f.kernel_version.as_deref(), version, "{f:#?}");
    assert_eq!((f.start_line, f.end_line), (start, end), "{}", f.title);
}

pub(super) fn want(
    kind: Kind,
    title: &'static str,
    culprit: Option<&'static str>,
    tasks: &'static [&'static str],
    locks: &'static [&'static str],
) -> Want {
    Want {
        kind,
        title,
        culprit,
        tasks,
        locks,
        truncated: false,
        lockdep_off: false,
    }
}

#[test]
fn linux_2_6_32() {
    let r = parse("era_2.6.32");
    assert_eq!(r.findings.len(), 9);
    let f = &r.findings;
    let v = Some("2.6.32-431.el6.x86_64");
    // [ INFO: ... ] circular: syzkaller takes the acquiring site verbatim.
    want(
        Kind::Circular,
        "possible deadlock in deactivate_super",
        Some("deactivate_super"),
        &["umount/4213"],
        &[
            "&type->s_umount_key#21 acquiring",
            "&sb->s_type->i_mutex_key#9 held (umount/4213)",
        ],
    )
    .check(&f[0]);
    extent(&f[0], v, 3, 52);
    assert_eq!(
        f[0].header,
        "INFO: possible circular locking dependency detected ]"
    );
    assert_eq!(f[0].taint.as_deref(), Some("Not tainted"));
    assert_eq!(
        chain(&f[0]),
        ["&sb->s_type->i_mutex_key#9", "&type->s_umount_key#21"]
    );
    assert_eq!(f[0].chain[0].frames[3], "vfs_readdir+0x6e/0xd0");
    assert_eq!(f[0].locks[0].usage.as_deref(), Some("++++.."));
    assert_eq!(f[0].locks[0].instance, None);
    assert_eq!(
        f[0].locks[0].at.as_deref(),
        Some("deactivate_super+0x5b/0x80")
    );
    // Unreliable `? ` frames are kept, marked.
    assert_eq!(f[0].frames[0], "? print_circular_bug+0xf6/0x100");
    want(
        Kind::Recursive,
        "possible deadlock in foo_attach",
        Some("foo_attach"),
        &["modprobe/2871"],
        &["&dev->mutex acquiring", "&dev->mutex held (modprobe/2871)"],
    )
    .check(&f[1]);
    extent(&f[1], v, 55, 79);
    // [ INFO: inconsistent lock state ]: the site after `takes:`.
    want(
        Kind::Inconsistent,
        "inconsistent lock state in neigh_update",
        Some("neigh_update"),
        &["ip/3301"],
        &[
            "&(&tbl->lock)->rlock acquiring",
            "rtnl_mutex held (ip/3301)",
        ],
    )
    .check(&f[2]);
    extent(&f[2], v, 81, 119);
    assert_eq!(labels(&f[2]), ["{IN-SOFTIRQ-W} state was registered at"]);
    want(
        Kind::IrqInversion,
        "possible deadlock in ata_bmdma_interrupt",
        Some("ata_bmdma_interrupt"),
        &["swapper/0"],
        &[
            "&(&host->lock)->rlock acquiring",
            "&(&ap->stats_lock)->rlock dependency",
        ],
    )
    .check(&f[3]);
    extent(&f[3], v, 121, 167);
    // `<IRQ>  [<...>] ? frame` and `<EOI>  [<...>] frame`: marker and frame
    // on one line.
    assert_eq!(f[3].frames[0], "? print_irq_inversion_bug+0x10e/0x120");
    assert!(f[3].frames.contains(&"cpu_idle+0xb6/0x110".to_string()));
    // syzkaller has no format for an INFO: HARDIRQ-safe -> HARDIRQ-unsafe
    // report: the title is its header, bracket included.
    want(
        Kind::IrqInversion,
        "INFO: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected ]",
        None,
        &["bar_poll/2209"],
        &[
            "&priv->stat_lock acquiring",
            "&priv->irq_lock held (bar_poll/2209)",
            "&priv->irq_lock irq_safe",
            "&priv->stat_lock irq_unsafe",
        ],
    )
    .check(&f[4]);
    extent(&f[4], v, 169, 210);
    want(
        Kind::BadUnlock,
        "BUG: bad unlock balance in foo_release",
        Some("foo_release"),
        &["foo_daemon/1771"],
        &["&priv->lock releasing"],
    )
    .check(&f[5]);
    extent(&f[5], v, 212, 232);
    assert_eq!(
        f[5].locks[0].at.as_deref(),
        Some("foo_release+0x5e/0x90 [foo]")
    );
    // debug_check_no_locks_held() before 3.9: no syzkaller format, header
    // title; the culprit is still the held lock's site.
    want(
        Kind::HeldLockExit,
        "BUG: lock held at task exit time! ]",
        Some("foo_work"),
        &["foo_worker/2214"],
        &["&priv->mutex held (foo_worker/2214)"],
    )
    .check(&f[6]);
    extent(&f[6], v, 234, 248);
    // Hung tasks: saved PC and stack words before `Call Trace:`, `? `
    // frames skipped by the hang extractor.
    want(
        Kind::HungTask,
        "INFO: task hung in sync_buffer",
        Some("sync_buffer"),
        &["jbd2/dm-0-8/412"],
        &[],
    )
    .check(&f[7]);
    extent(&f[7], None, 249, 273);
    assert_eq!(f[7].timeout_secs, Some(120));
    assert_eq!(f[7].frames.len(), 18);
    // The hung task's own held locks follow its stack.
    want(
        Kind::HungTask,
        "INFO: task hung in do_truncate",
        Some("do_truncate"),
        &["syz-executor0/6102"],
        &["&sb->s_type->i_mutex_key#12 held (syz-executor0/6102)"],
    )
    .check(&f[8]);
    extent(&f[8], None, 274, 288);
}

#[test]
fn linux_3_10() {
    let r = parse("era_3.10");
    assert_eq!(r.findings.len(), 5);
    let f = &r.findings;
    let v = Some("3.10.0-957.el7.x86_64");
    // The acquiring site is on syzkaller's skip list, but the INFO: format
    // takes it verbatim.
    want(
        Kind::Circular,
        "possible deadlock in might_fault",
        Some("might_fault"),
        &["trinity-c3/9031"],
        &[
            "&mm->mmap_sem acquiring",
            "&pipe->mutex/1 held (trinity-c3/9031)",
        ],
    )
    .check(&f[0]);
    extent(&f[0], v, 2, 56);
    let s = f[0].scenario.as_ref().unwrap();
    assert_eq!(s.columns, ["CPU0", "CPU1"]);
    assert_eq!(s.rows.len(), 4);
    // INFO: SOFTIRQ-safe -> SOFTIRQ-unsafe: the acquiring site.
    want(
        Kind::IrqInversion,
        "possible deadlock in baz_flush",
        Some("baz_flush"),
        &["kworker/1:2/812"],
        &[
            "&(&q->lock)->rlock acquiring",
            "&(&dev->tx_lock)->rlock held (kworker/1:2/812)",
            "&(&dev->tx_lock)->rlock irq_safe",
            "&(&q->lock)->rlock irq_unsafe",
        ],
    )
    .check(&f[1]);
    extent(&f[1], v, 58, 98);
    want(
        Kind::HeldLockExit,
        "BUG: still has locks held in ext4_writepages",
        Some("ext4_writepages"),
        &["kworker/u8:2/1340"],
        &["&sbi->s_writepages_rwsem held (kworker/u8:2/1340)"],
    )
    .check(&f[2]);
    extent(&f[2], v, 100, 114);
    want(
        Kind::HeldLockReturn,
        "BUG: lock held when returning to user space in qux_ioctl",
        Some("qux_ioctl"),
        &["qux_tool/8812"],
        &["&qdev->cfg_mutex held (qux_tool/8812)"],
    )
    .check(&f[3]);
    extent(&f[3], v, 116, 122);
    want(
        Kind::HungTask,
        "INFO: task hung in blk_execute_rq",
        Some("blk_execute_rq"),
        &["kworker/3:1/1822"],
        &[],
    )
    .check(&f[4]);
    extent(&f[4], None, 123, 142);
}

#[test]
fn linux_4_14() {
    let r = parse("era_4.14");
    assert_eq!(r.findings.len(), 4);
    let f = &r.findings;
    let v = Some("4.14.0+");
    // WARNING: circular: the acquiring site (__might_fault) is skipped,
    // the held lock's site is not.
    want(
        Kind::Circular,
        "possible deadlock in pipe_lock",
        Some("pipe_lock"),
        &["syz-executor3/3141"],
        &[
            "&mm->mmap_sem acquiring",
            "&pipe->mutex/1 held (syz-executor3/3141)",
        ],
    )
    .check(&f[0]);
    extent(&f[0], v, 2, 56);
    assert_eq!(f[0].locks[0].usage.as_deref(), Some("++++"));
    // WARNING: inconsistent lock state: the first frame of the stack not on
    // the skip list, not the `takes:` site (__queue_work, whose caller
    // queue_work_on is skipped too).
    want(
        Kind::Inconsistent,
        "inconsistent lock state in quux_timeout",
        Some("quux_timeout"),
        &["swapper/1/0"],
        &[
            "&(&pool->lock)->rlock acquiring",
            "(&q->timer) held (swapper/1/0)",
        ],
    )
    .check(&f[1]);
    extent(&f[1], v, 58, 110);
    assert_eq!(
        f[1].locks[0].at.as_deref(),
        Some("__queue_work+0x2a4/0x1000")
    );
    want(
        Kind::HeldLockFreed,
        "WARNING: held lock freed in sctp_close",
        Some("sctp_close"),
        &["syz-executor2/3154"],
        &[
            "sk_lock-AF_INET6 freed",
            "sk_lock-AF_INET6 held (syz-executor2/3154)",
        ],
    )
    .check(&f[2]);
    extent(&f[2], v, 115, 132);
    want(
        Kind::HungTask,
        "INFO: task hung in vm_mmap_pgoff",
        Some("vm_mmap_pgoff"),
        &["syz-executor0/6102"],
        &[
            "rcu_read_lock held (khungtaskd/751)",
            "tasklist_lock held (khungtaskd/751)",
            "&mm->mmap_sem held (syz-executor0/6102)",
        ],
    )
    .check(&f[3]);
    extent(&f[3], v, 133, 161);
}

#[test]
fn linux_5_10() {
    let r = parse("era_5.10");
    assert_eq!(r.findings.len(), 5);
    let f = &r.findings;
    let v = Some("5.10.0-28-amd64");
    want(
        Kind::Recursive,
        "possible deadlock in corge_reset",
        Some("corge_reset"),
        &["kworker/2:1/188"],
        &[
            "&ctx->lock acquiring",
            "&ctx->lock held (kworker/2:1/188)",
            "(wq_completion)events held (kworker/2:1/188)",
            "(work_completion)(&ctx->work) held (kworker/2:1/188)",
        ],
    )
    .check(&f[0]);
    extent(&f[0], v, 2, 43);
    assert_eq!(f[0].taint.as_deref(), Some("Tainted: G OE"));
    want(
        Kind::BadUnlock,
        "WARNING: bad unlock balance in grault_unlock_dev",
        Some("grault_unlock_dev"),
        &["grault_ctl/2302"],
        &["&gdev->mutex releasing"],
    )
    .check(&f[1]);
    extent(&f[1], v, 45, 67);
    want(
        Kind::HeldLockReturn,
        "WARNING: lock held when returning to user space in grault_ioctl",
        Some("grault_ioctl"),
        &["grault_ctl/2311"],
        &["&gdev->mutex held (grault_ctl/2311)"],
    )
    .check(&f[2]);
    extent(&f[2], v, 69, 75);
    // syzkaller strips the syscall prefix `__x64_` from the frame it blames.
    want(
        Kind::HungTask,
        "INFO: task hung in sys_msync",
        Some("sys_msync"),
        &["syz-executor.3/6102"],
        &[],
    )
    .check(&f[3]);
    extent(&f[3], v, 76, 89);
    assert_eq!(f[3].timeout_secs, Some(143));
    want(
        Kind::HungTask,
        "INFO: task hung in grault_ioctl",
        Some("grault_ioctl"),
        &["grault_ctl/2318"],
        &[
            "rcu_read_lock held (khungtaskd/63)",
            "&gdev->mutex held (grault_ctl/2311)",
        ],
    )
    .check(&f[4]);
    extent(&f[4], v, 91, 112);
}

/// Lines that mention locks, deadlocks or lockdep's own wording outside a
/// report header (a quoted header, a blocker line without its report),
/// and reports of other kinds, about locking too (sleeping in atomic
/// context, spinlock debugging, lockdep's own limits, a non-static key):
/// no lock finding.
#[test]
fn no_lock_findings_in_other_reports() {
    let r = parse("not_lock_reports");
    let titles: Vec<(Kind, &str)> = r
        .findings
        .iter()
        .map(|f| (f.kind, f.title.as_str()))
        .collect();
    assert_eq!(
        titles,
        [
            (
                Kind::Other,
                "BUG: KASAN: use-after-free in lock_sock_nested+0x2a6/0x2f0"
            ),
            (Kind::Other, "INFO: rcu_sched self-detected stall on CPU"),
            (Kind::Other, "general protection fault: 0000 [#1] SMP PTI"),
            (
                Kind::Other,
                "BUG: sleeping function called from invalid context at kernel/locking/mutex.c:580"
            ),
            (
                Kind::Other,
                "BUG: scheduling while atomic: frobd/712/0x00000002"
            ),
            (Kind::Other, "BUG: spinlock recursion on CPU#0, frobd/712"),
            (Kind::Other, "BUG: MAX_LOCKDEP_KEYS too low!"),
            (Kind::Other, "INFO: trying to register non-static key."),
        ]
    );
    // Reports about locking that are not lockdep's lock-order reports: a
    // held-lock list is kept, the kind stays `other`.
    let sleeping = &r.findings[3];
    assert_eq!(locks(sleeping), ["&fdev->lock held (frobd/712)"]);
    assert_eq!(sleeping.culprit.as_deref(), Some("frob_poll"));
    assert_eq!((sleeping.start_line, sleeping.end_line), (63, 80));
    // The spinlock debug line (` lock: 0x..., .magic: ...`) is no lock.
    assert!(r.findings[5].locks.is_empty());
    assert_eq!(r.findings[7].end_line, 126);
    // The GPF of a 3.10 kernel: `RIP: 0010:[<addr>]  [<addr>] func`.
    assert_eq!(r.findings[2].culprit.as_deref(), Some("lock_stat_show"));
    assert_eq!(r.findings[2].end_line, 54);
    assert!(r.summary.lockdep_off);
}
