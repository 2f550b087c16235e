// SPDX-License-Identifier: GPL-2.0
//! Writes a large synthetic kernel log for benchmarking: ordinary boot and
//! runtime noise with kernel reports (taken from the test fixtures)
//! sprinkled in.
//!
//! Usage: `genlog OUTPUT SIZE_MB [REPORTS_PER_100MB]`

use std::fs::File;
use std::io::{BufWriter, Write};

const REPORTS: &[&str] = &[
    include_str!("../tests/fixtures/circular.log"),
    include_str!("../tests/fixtures/hung_task.log"),
    include_str!("../tests/fixtures/soft_lockup.log"),
    include_str!("../tests/fixtures/warning.log"),
    include_str!("../tests/fixtures/recursive.log"),
    include_str!("../tests/fixtures/bad_unlock.log"),
];

const DEVICES: &[&str] = &[
    "eth0", "enp0s3", "vda", "vdb", "sda", "ttyS0", "virtio0", "virtio1", "input3",
];

/// Message templates; `{d}` is a device, `{n}` a number, `{x}` a hex word.
const NOISE: &[&str] = &[
    "usb 1-1: new high-speed USB device number {n} using ehci-pci",
    "virtio_net virtio0 {d}: renamed from eth0",
    "EXT4-fs ({d}): mounted filesystem with ordered data mode. Quota mode: none.",
    "systemd[1]: Started systemd-udevd.service - Rule-based Manager for Device Events and Files.",
    "audit: type=1400 audit({n}.{n}:{n}): apparmor=\"STATUS\" operation=\"profile_load\" profile=\"unconfined\" name=\"lsb_release\" pid={n} comm=\"apparmor_parser\"",
    "pci 0000:00:0{n}.0: [8086:100e] type 00 class 0x020000 conventional PCI endpoint",
    "e1000: {d} NIC Link is Up 1000 Mbps Full Duplex, Flow Control: RX",
    "IPv6: ADDRCONF(NETDEV_CHANGE): {d}: link becomes ready",
    "random: crng reseeded on system resumption",
    "deadlock_lab: worker {n} iteration {n} took {n} us",
    "clocksource: tsc: mask: 0xffffffffffffffff max_cycles: 0x{x}, max_idle_ns: {n} ns",
    "ACPI: PCI Interrupt Link [LNK{d}] enabled at IRQ {n}",
    "blk_update_request: I/O error, dev {d}, sector {n} op 0x0:(READ) flags 0x0 phys_seg 1 prio class 0",
    "memory: {n}K/{n}K available ({n}K kernel code, {n}K rwdata, {n}K rodata, {n}K init, {n}K bss)",
    "sd 0:0:0:0: [{d}] {n} 512-byte logical blocks: ({n} GB/{n} GiB)",
    "tun: Universal TUN/TAP device driver, 1.6",
    "NET: Registered PF_PACKET protocol family",
    "input: AT Translated Set 2 keyboard as /devices/platform/i8042/serio0/input/{d}",
    "rtc_cmos 00:00: setting system clock to 2026-11-22T00:21:{n} UTC ({n})",
    "page_pool: {d} released {n} pages, {n} in flight",
];

/// Lines that contain trigger words without being reports.
const DECOYS: &[&str] = &[
    "Spectre V2 : WARNING: Unprivileged eBPF is enabled with eIBRS on, data leaks possible via Spectre v2 BHB attacks!",
    "DEBUG: trampoline mapped at 0x{x}",
    "INFO: NMI handler (perf_event_nmi_handler) took too long to run: {n}.{n} msecs",
    "==================== lab self-test ====================",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn expand(out: &mut Vec<u8>, tmpl: &str, rng: &mut Rng) {
    let mut rest = tmpl;
    while let Some(p) = rest.find('{') {
        out.extend_from_slice(&rest.as_bytes()[..p]);
        let key = &rest[p..(p + 3).min(rest.len())];
        match key {
            "{d}" => out.extend_from_slice(DEVICES[rng.below(DEVICES.len())].as_bytes()),
            "{n}" => out.extend_from_slice((rng.next() % 100_000).to_string().as_bytes()),
            "{x}" => {
                out.extend_from_slice(format!("{:x}", rng.next() & 0xffff_ffff_ffff).as_bytes())
            }
            _ => {
                out.push(b'{');
                rest = &rest[p + 1..];
                continue;
            }
        }
        rest = &rest[p + 3..];
    }
    out.extend_from_slice(rest.as_bytes());
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: genlog OUTPUT SIZE_MB [REPORTS_PER_100MB]");
        std::process::exit(2);
    }
    let size: u64 = args[2].parse::<u64>().expect("SIZE_MB must be a number") << 20;
    let per_100mb: u64 = args
        .get(3)
        .map_or(20, |s| s.parse().expect("REPORTS_PER_100MB"));
    let report_every = (100u64 << 20).checked_div(per_100mb).unwrap_or(u64::MAX);
    let mut out = BufWriter::with_capacity(1 << 20, File::create(&args[1])?);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut written: u64 = 0;
    let mut next_report = report_every / 2;
    let mut usecs: u64 = 0;
    let mut line = Vec::with_capacity(512);
    let mut reports = 0u64;
    let mut lines = 0u64;
    while written < size {
        usecs += 50 + rng.next() % 2000;
        if written >= next_report {
            next_report += report_every;
            let r = REPORTS[rng.below(REPORTS.len())];
            out.write_all(r.as_bytes())?;
            written += r.len() as u64;
            lines += r.lines().count() as u64;
            reports += 1;
            continue;
        }
        line.clear();
        line.extend_from_slice(
            format!("[{:5}.{:06}] ", usecs / 1_000_000, usecs % 1_000_000).as_bytes(),
        );
        let tmpl = if rng.below(5000) == 0 {
            DECOYS[rng.below(DECOYS.len())]
        } else {
            NOISE[rng.below(NOISE.len())]
        };
        expand(&mut line, tmpl, &mut rng);
        line.push(b'\n');
        out.write_all(&line)?;
        written += line.len() as u64;
        lines += 1;
    }
    out.flush()?;
    eprintln!("genlog: wrote {written} bytes, {lines} lines, {reports} report blocks");
    Ok(())
}
