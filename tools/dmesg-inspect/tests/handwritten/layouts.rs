// SPDX-License-Identifier: GPL-2.0
//! Stack and register layouts other than x86's current one:
//!
//! - `arm_stacks`: 32-bit ARM's unwinder, which prints no `Call Trace:`
//!   line and names each frame with its caller, in its three forms
//!   (` func from caller+0x1c/0x24` of 5.x and later, `[<pc>] (func) from
//!   [<pc>] (caller+...)` before, `[<pc>] (func+0x0/0x138) from ...` of
//!   3.x), its exception stack dump after a syscall's frames, and an arm64
//!   hung task with `Call trace:`;
//! - `x86_old_layouts`: x86-64 of 4.4, a warning in NMI context whose stack
//!   leaves the NMI stack with `<<EOE>>` and enters the interrupt stack on
//!   the same line (`<<EOE>>  <IRQ>  [<addr>] ? frame`), and a general
//!   protection fault with the summary `__die()` printed after the stack
//!   until 4.9 (`RIP  [<addr>] func+...`, ` RSP <addr>`).

use super::eras::{extent, want};
use super::*;

#[test]
fn arm_unwinder_stacks() {
    let r = parse("arm_stacks");
    assert_eq!(r.findings.len(), 5);
    let f = &r.findings;
    // 6.1 on a Raspberry Pi: `func from caller+off/size`; the frame is
    // the function before "from", printed without its offset.
    want(
        Kind::Circular,
        "possible deadlock in gpx_set_value",
        Some("gpx_set_value"),
        &["kworker/2:1/88"],
        &[
            "&gpio->lock acquiring",
            "&gpio->irq_lock held (kworker/2:1/88)",
        ],
    )
    .check(&f[0]);
    // The exception stack dump after the last frame belongs to the report.
    extent(&f[0], Some("6.1.21-v7+"), 2, 63);
    assert_eq!(f[0].frames.len(), 13);
    assert_eq!(f[0].frames[0], "unwind_backtrace");
    assert_eq!(f[0].frames[8], "gpx_set_value [gpx]");
    assert_eq!(f[0].frames[12], "kthread");
    // A hung task's stack follows its `task:` line directly; the hang
    // extractor reads the frames as on x86.
    want(
        Kind::HungTask,
        "INFO: task hung in gpx_read_raw",
        Some("gpx_read_raw"),
        &["gpxd/611"],
        &["rcu_read_lock held (khungtaskd/34)"],
    )
    .check(&f[1]);
    extent(&f[1], Some("6.1.21-v7+"), 67, 88);
    assert_eq!(f[1].frames.len(), 8);
    // 4.19: `[<pc>] (func) from [<pc>] (caller+off/size)`; the at: site.
    want(
        Kind::Recursive,
        "possible deadlock in spi_sync",
        Some("spi_sync"),
        &["spidev_test/902"],
        &[
            "&spi->bus_lock_mutex acquiring",
            "&spi->bus_lock_mutex held (spidev_test/902)",
        ],
    )
    .check(&f[2]);
    extent(&f[2], Some("4.19.66-v7+"), 91, 131);
    assert_eq!(f[2].frames.len(), 12);
    assert_eq!(f[2].frames[8], "spx_transfer [spx]");
    // 3.4: both functions with their offsets; `[ INFO: ]` takes the site
    // after `takes:`.
    want(
        Kind::Inconsistent,
        "inconsistent lock state in nlx_flush",
        Some("nlx_flush"),
        &["netd/412"],
        &["&(&tbl->lock)->rlock acquiring"],
    )
    .check(&f[3]);
    extent(&f[3], Some("3.4.0-perf-g7d5c1a2"), 134, 176);
    assert_eq!(f[3].frames[0], "unwind_backtrace+0x0/0x138");
    assert_eq!(f[3].frames.len(), 10);
    // arm64: `Call trace:`; `__switch_to` only shows how the task sleeps.
    want(
        Kind::HungTask,
        "INFO: task hung in mmcx_claim_host",
        Some("mmcx_claim_host"),
        &["kworker/u8:3/1147"],
        &[],
    )
    .check(&f[4]);
    extent(&f[4], Some("5.10.110-arm64"), 177, 195);
    assert_eq!(f[4].frames.len(), 13);
}

/// 32-bit ARM's oops names the faulting instruction `PC is at func+...`:
/// it is the report's `RIP`, as syzkaller reads it.
#[test]
fn arm_oops_pc_is_the_rip() {
    let log = "\
[   88.120000] Unable to handle kernel NULL pointer dereference at virtual address 00000000
[   88.120010] pgd = c1a2c000
[   88.120020] Internal error: Oops: 17 [#1] SMP ARM
[   88.120030] Modules linked in: gpx
[   88.120040] CPU: 1 PID: 611 Comm: gpxd Not tainted 4.19.66-v7+ #1253
[   88.120050] Hardware name: BCM2835
[   88.120060] PC is at gpx_read_raw+0x18/0xa0 [gpx]
[   88.120070] LR is at gpx_ioctl+0x94/0x140 [gpx]
[   88.120080] pc : [<7f2a10d8>]    lr : [<7f2a1348>]    psr: 60000013
[   88.120090] sp : b6e3de40  ip : 00000000  fp : b6e3de5c
[   88.120100] r10: 00000000  r9 : b6e3c000  r8 : 00000003
[   88.120110] [<7f2a10d8>] (gpx_read_raw [gpx]) from [<7f2a1348>] (gpx_ioctl+0x94/0x140 [gpx])
[   88.120120] [<7f2a1348>] (gpx_ioctl [gpx]) from [<802b5c8c>] (do_vfs_ioctl+0xb0/0x7d8)
[   88.120130] ---[ end trace 5c1d2e3f4a5b6c7d ]---
";
    let r = parse_bytes(log.as_bytes());
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    let f = &r.findings[0];
    assert_eq!(f.kind, Kind::Other);
    assert_eq!(
        f.title,
        "Unable to handle kernel NULL pointer dereference at virtual address 00000000"
    );
    assert_eq!(f.culprit.as_deref(), Some("gpx_read_raw"));
    assert_eq!(labels(f), ["RIP"]);
    assert_eq!(f.other_stacks[0].frames, ["gpx_read_raw+0x18/0xa0 [gpx]"]);
    assert_eq!(f.end_line, 14);
}

#[test]
fn x86_64_exception_stacks_and_the_oops_summary() {
    let r = parse("x86_old_layouts");
    assert_eq!(r.findings.len(), 2);
    let f = &r.findings;
    let v = Some("4.4.0-116-generic");
    want(
        Kind::Other,
        "WARNING: CPU: 2 PID: 0 at arch/x86/kernel/cpu/perf_event_intel.c:1963 intel_pmu_handle_irq+0x3a4/0x4b0()",
        Some("intel_pmu_handle_irq"),
        &["swapper/2/0"],
        &[],
    )
    .check(&f[0]);
    extent(&f[0], v, 1, 30);
    // `<NMI>  [<addr>] frame` ... `<<EOE>>  <IRQ>  [<addr>] ? frame` ...
    // `<EOI>  [<addr>] ? frame`: every frame of the three stacks, in order.
    assert_eq!(f[0].frames.len(), 19);
    assert_eq!(f[0].frames[0], "dump_stack+0x63/0x90");
    assert_eq!(f[0].frames[10], "? irq_exit+0x6e/0x100");
    assert_eq!(f[0].frames[13], "? native_safe_halt+0xa/0x10");
    assert_eq!(f[0].frames[18], "start_secondary+0x154/0x190");
    want(
        Kind::Other,
        "general protection fault: 0000 [#1] SMP",
        Some("frob_lookup"),
        &["frobctl/5120"],
        &[],
    )
    .check(&f[1]);
    extent(&f[1], v, 31, 59);
    assert_eq!(f[1].frames.len(), 5);
    // Without its `RIP: 0010:` line, the oops is still blamed on the
    // faulting function: the summary after the stack names it.
    let log = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/x86_old_layouts.log"),
    )
    .unwrap();
    let cut: String = log
        .lines()
        .filter(|l| !l.contains("RIP: 0010:"))
        .map(|l| format!("{l}\n"))
        .collect();
    let r = parse_bytes(cut.as_bytes());
    assert_eq!(r.findings[1].culprit.as_deref(), Some("frob_lookup"));
    assert_eq!(
        r.findings[1].other_stacks[0].frames,
        ["frob_lookup+0x1e/0x60 [frob]"]
    );
}
