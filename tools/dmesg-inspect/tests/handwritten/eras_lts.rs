// SPDX-License-Identifier: GPL-2.0
//! Reports of the long-term kernels people still run, written from the
//! printing code of each (`kernel/locking/lockdep.c`, `kernel/hung_task.c`,
//! `sched_show_task()` in `kernel/sched/core.c`, `lib/dump_stack.c`,
//! `arch/x86/kernel/dumpstack.c`):
//!
//! - `era_4.4`: bracketed `[ INFO: ... ]` headers, six usage characters,
//!   locks without an instance and sites behind an address column,
//!   `[<addr>] ? func` frames, `<IRQ>  [<addr>] frame` and `<EOI>` on the
//!   frame's line, the raw stack words before `Call Trace:`, hung tasks as
//!   `NAME  D <saved pc>  0  PID  PPID 0x...` with their `Workqueue:` line
//!   and the held-locks dump;
//! - `era_4.19`: `WARNING:` headers, hashed instances (`00000000...`),
//!   four usage characters, `? func` frames, hung tasks as
//!   `NAME  D    0  PID  PPID 0x...`;
//! - `era_6.1`: raw instances and wait types, `<TASK>` markers, an
//!   interrupt handler's report with `<IRQ>`/`</IRQ>` and the interrupted
//!   context's registers inside `<TASK>`, `task:NAME state:D stack:0
//!   pid:N ppid:N flags:...` hung tasks (no blocker line yet: those came
//!   with 6.16);
//! - `era_6.12`: `CPU: N UID: N PID:` and the verbose `Tainted: [O]=...`
//!   line, `tgid:` in `sched_show_task()`.

use super::eras::{extent, want};
use super::*;

#[test]
fn linux_4_4() {
    let r = parse("era_4.4");
    assert_eq!(r.findings.len(), 3);
    let f = &r.findings;
    let v = Some("4.4.0-116-generic");
    // [ INFO: ... ] circular: syzkaller takes the acquiring site verbatim.
    want(
        Kind::Circular,
        "possible deadlock in frob_retire_work_handler",
        Some("frob_retire_work_handler"),
        &["kworker/1:2/1208"],
        &[
            "&dev->struct_mutex acquiring",
            "(&(&priv->retire_work)->work) held (kworker/1:2/1208)",
            "\"events\" held (kworker/1:2/1208)",
        ],
    )
    .check(&f[0]);
    extent(&f[0], v, 3, 68);
    assert_eq!(
        f[0].header,
        "INFO: possible circular locking dependency detected ]"
    );
    assert_eq!(
        chain(&f[0]),
        ["(&(&priv->retire_work)->work)", "&dev->struct_mutex"]
    );
    assert_eq!(f[0].chain[0].frames[1], "flush_work+0x51/0x280");
    assert_eq!(f[0].locks[0].usage.as_deref(), Some("+.+.+."));
    assert_eq!(f[0].locks[0].instance, None);
    assert_eq!(
        f[0].locks[0].at.as_deref(),
        Some("frob_retire_work_handler+0x2e/0x70 [frob]")
    );
    // The raw stack words are not frames; `[<addr>] ? func` frames are
    // kept, marked.
    assert_eq!(f[0].frames[0], "dump_stack+0x63/0x90");
    assert_eq!(
        f[0].frames[4],
        "? frob_retire_work_handler+0x2e/0x70 [frob]"
    );
    assert_eq!(f[0].frames.len(), 12);
    // [ INFO: inconsistent lock state ]: the site after `takes:`.
    want(
        Kind::Inconsistent,
        "inconsistent lock state in nicx_tx_timeout",
        Some("nicx_tx_timeout"),
        &["swapper/0/0"],
        &[
            "&(&np->tx_lock)->rlock acquiring",
            "((&dev->watchdog_timer)) held (swapper/0/0)",
        ],
    )
    .check(&f[1]);
    extent(&f[1], v, 70, 133);
    assert_eq!(labels(&f[1]), ["{SOFTIRQ-ON-W} state was registered at"]);
    // `<IRQ>  [<...>] frame` and `<EOI>  [<...>] ? frame`: the marker and
    // the frame on one line; the stack runs on after `<EOI>`.
    assert_eq!(f[1].frames[0], "dump_stack+0x63/0x90");
    assert!(f[1]
        .frames
        .contains(&"? native_safe_halt+0xa/0x10".to_string()));
    assert_eq!(
        f[1].frames.last().map(String::as_str),
        Some("start_kernel+0x48a/0x4ab")
    );
    // The hang extractor passes over the sleeping, waiting and locking
    // frames down to the journal.
    want(
        Kind::HungTask,
        "INFO: task hung in do_get_write_access",
        Some("do_get_write_access"),
        &["kworker/u16:2/4193"],
        &[
            "\"writeback\" held (kworker/u16:2/4193)",
            "(&(&wb->dwork)->work) held (kworker/u16:2/4193)",
            "&type->s_umount_key#31 held (kworker/u16:2/4193)",
            "jbd2_handle held (kworker/u16:2/4193)",
            "tasklist_lock held (khungtaskd/39)",
        ],
    )
    .check(&f[2]);
    extent(&f[2], v, 134, 177);
    assert_eq!(f[2].timeout_secs, Some(120));
    assert_eq!(f[2].frames.len(), 24);
    assert_eq!(f[2].blocked_on, None);
}

#[test]
fn linux_4_19() {
    let r = parse("era_4.19");
    assert_eq!(r.findings.len(), 3);
    let f = &r.findings;
    let v = Some("4.19.0-25-amd64");
    // WARNING: circular: the acquiring site is module code, not skipped.
    want(
        Kind::Circular,
        "possible deadlock in qux_apply_config",
        Some("qux_apply_config"),
        &["quxctl/2741"],
        &[
            "&qdev->cfg_lock acquiring",
            "&qdev->state_rwsem held (quxctl/2741)",
        ],
    )
    .check(&f[0]);
    extent(&f[0], v, 2, 70);
    assert_eq!(f[0].taint.as_deref(), Some("Tainted: G OE"));
    // Instances hashed by %p, as 4.15 to 4.19 print them.
    assert_eq!(f[0].locks[0].instance.as_deref(), Some("00000000a5c6f7e2"));
    assert_eq!(f[0].locks[0].usage.as_deref(), Some("+.+."));
    assert_eq!(f[0].locks[1].usage.as_deref(), Some("++++"));
    assert_eq!(chain(&f[0]), ["&qdev->state_rwsem", "&qdev->cfg_lock"]);
    assert_eq!(f[0].chain[0].frames[0], "down_read+0x3b/0x90");
    want(
        Kind::Recursive,
        "possible deadlock in qux_port_flush",
        Some("qux_port_flush"),
        &["kworker/1:3/2810"],
        &[
            "&port->lock acquiring",
            "&port->lock held (kworker/1:3/2810)",
            "(wq_completion)\"events\" held (kworker/1:3/2810)",
            "(work_completion)(&qdev->reset_work) held (kworker/1:3/2810)",
        ],
    )
    .check(&f[1]);
    extent(&f[1], v, 75, 122);
    // `NAME  D    0  PID  PPID 0x...`; the rwsem slow path is passed over.
    want(
        Kind::HungTask,
        "INFO: task hung in qux_set_state",
        Some("qux_set_state"),
        &["quxctl/2755"],
        &[
            "rcu_read_lock held (khungtaskd/47)",
            "&qdev->state_rwsem held (quxctl/2741)",
        ],
    )
    .check(&f[2]);
    extent(&f[2], v, 123, 153);
    assert_eq!(f[2].frames[0], "__schedule+0x29f/0x840");
    assert_eq!(f[2].frames.len(), 14);
}

#[test]
fn linux_6_1() {
    let r = parse("era_6.1");
    assert_eq!(r.findings.len(), 3);
    let f = &r.findings;
    let v = Some("6.1.0-13-amd64");
    // A three-lock chain ("Chain exists of:").
    want(
        Kind::Circular,
        "possible deadlock in sens_fw_reload",
        Some("sens_fw_reload"),
        &["kworker/u16:4/3312"],
        &[
            "&sdev->fw_mutex acquiring",
            "&sdev->irq_mutex held (kworker/u16:4/3312)",
            "(wq_completion)sensd_wq held (kworker/u16:4/3312)",
            "(work_completion)(&sdev->reset_work) held (kworker/u16:4/3312)",
        ],
    )
    .check(&f[0]);
    extent(&f[0], v, 2, 89);
    assert_eq!(
        chain(&f[0]),
        ["&sdev->irq_mutex", "&sdev->buf_lock", "&sdev->fw_mutex"]
    );
    assert_eq!(f[0].locks[0].instance.as_deref(), Some("ffff9a1c4d2e0c10"));
    // The wait types (`-{3:3}`) are not part of the usage.
    assert_eq!(f[0].locks[0].usage.as_deref(), Some("+.+."));
    // A hard-irq handler's report: the first frame of the stack not on
    // the skip list, in the `<IRQ>` part.
    want(
        Kind::Inconsistent,
        "inconsistent lock state in sens_hardirq",
        Some("sens_hardirq"),
        &["swapper/3/0"],
        &["&sdev->evt_lock acquiring"],
    )
    .check(&f[1]);
    extent(&f[1], v, 91, 163);
    // The interrupted idle loop: its `RIP:` inside `<TASK>` is a frame,
    // its other registers are not.
    let entry = f[1]
        .frames
        .iter()
        .position(|fr| fr == "asm_common_interrupt+0x22/0x40")
        .unwrap();
    assert_eq!(f[1].frames[entry + 1], "cpuidle_enter_state+0xde/0x420");
    assert_eq!(f[1].frames[entry + 2], "? cpuidle_enter_state+0xd1/0x420");
    assert_eq!(f[1].frames.len(), 21);
    // No blocker line in 6.1; the held-locks dump names the owner.
    want(
        Kind::HungTask,
        "INFO: task hung in sens_read_config",
        Some("sens_read_config"),
        &["sensctl/4410"],
        &[
            "rcu_read_lock held (khungtaskd/58)",
            "(wq_completion)sensd_wq held (kworker/u16:4/3312)",
            "(work_completion)(&sdev->reset_work) held (kworker/u16:4/3312)",
            "&sdev->irq_mutex held (kworker/u16:4/3312)",
            "&sdev->fw_mutex held (sensctl/4402)",
        ],
    )
    .check(&f[2]);
    extent(&f[2], v, 164, 201);
    assert_eq!(blocked_on(&f[2]), None);
    // The user-space `RIP:` of the syscall carries no frame.
    assert_eq!(f[2].frames.len(), 12);
}

#[test]
fn linux_6_12() {
    let r = parse("era_6.12");
    assert_eq!(r.findings.len(), 3);
    let f = &r.findings;
    let v = Some("6.12.12-amd64");
    want(
        Kind::Recursive,
        "possible deadlock in hubx_port_flush",
        Some("hubx_port_flush"),
        &["kworker/1:3/2810"],
        &[
            "&hub->port_lock acquiring",
            "&hub->port_lock held (kworker/1:3/2810)",
            "(wq_completion)events held (kworker/1:3/2810)",
            "(work_completion)(&hub->reset_work) held (kworker/1:3/2810)",
        ],
    )
    .check(&f[0]);
    extent(&f[0], v, 2, 54);
    // `CPU: 1 UID: 0 PID: 2810 Comm: ...` and the verbose taint line.
    assert_eq!(f[0].taint.as_deref(), Some("Tainted: G OE"));
    want(
        Kind::BadUnlock,
        "WARNING: bad unlock balance in hubx_unlock_cfg",
        Some("hubx_unlock_cfg"),
        &["hubctl/3107"],
        &["&hub->cfg_mutex releasing"],
    )
    .check(&f[1]);
    extent(&f[1], v, 56, 90);
    // `task:NAME state:D stack:0 pid:N tgid:N ppid:N flags:...`.
    want(
        Kind::HungTask,
        "INFO: task hung in hubx_get_status",
        Some("hubx_get_status"),
        &["hubctl/3122"],
        &[
            "rcu_read_lock held (khungtaskd/64)",
            "&hub->cfg_mutex held (hubctl/3118)",
        ],
    )
    .check(&f[2]);
    extent(&f[2], v, 91, 124);
    assert_eq!(f[2].timeout_secs, Some(122));
    assert_eq!(blocked_on(&f[2]), None);
}
