// SPDX-License-Identifier: GPL-2.0
//! The choice of accelerator. A KVM guest on some hosts stalls right after
//! the firmware, so KVM is probed once per machine with a short boot, the
//! answer and its reason kept in the cache, and TCG used otherwise. Every
//! boot records which ran, and why (`boot.json`, and the KTAP).

use std::path::Path;
use std::time::Duration;

use crate::boot::Boot;
use crate::paths::KernelEnv;
use crate::qemu::{tempdir, Accel, Spec};
use crate::Error;

/// How long the KVM probe's boot may take.
const PROBE_SECS: u64 = 15;
/// How long a KVM guest may stay silent: one that works prints its first
/// kernel line within a second; the guests that stall do so before the
/// kernel prints anything, and waiting the whole timeout for them cost a
/// new machine 15 s.
const SILENT_SECS: u64 = 5;

/// The accelerator: `LAB_ACCEL=kvm|tcg`, or what the probe found on this
/// machine (remembered in the cache), probing now if it never ran here.
pub fn choose(kernel: &KernelEnv, initrd: &Path) -> Result<Accel, Error> {
    match std::env::var("LAB_ACCEL").as_deref() {
        Ok(name @ ("kvm" | "tcg")) => {
            return Ok(Accel {
                name: name.to_string(),
                why: format!("LAB_ACCEL={name}"),
            });
        }
        Ok("auto") | Ok("") | Err(_) => {}
        Ok(other) => {
            return Err(Error::new(format!(
                "LAB_ACCEL={other}: use auto, kvm or tcg"
            )))
        }
    }
    let machine = std::fs::read_to_string("/etc/machine-id")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into());
    let release = nix::sys::utsname::uname()
        .map(|u| u.release().to_string_lossy().into_owned())
        .unwrap_or_default();
    let memo = kernel.cache().join(format!("accel-{machine}-{release}"));
    if let Ok(text) = std::fs::read_to_string(&memo) {
        let mut lines = text.lines();
        let name = lines.next().unwrap_or("tcg").to_string();
        let why = lines.next().unwrap_or("the probe's answer").to_string();
        return Ok(Accel {
            name,
            why: format!(
                "{why}; remembered, delete {} to probe again",
                memo.display()
            ),
        });
    }
    let accel = probe(kernel, initrd);
    crate::note(format!("KVM probe: {}", accel.why));
    let _ = std::fs::create_dir_all(kernel.cache());
    let _ = std::fs::write(&memo, format!("{}\n{}\n", accel.name, accel.why));
    Ok(accel)
}

/// A short boot with KVM: did the guest init get to its end?
fn probe(kernel: &KernelEnv, initrd: &Path) -> Accel {
    let tcg = |why: String| Accel {
        name: "tcg".into(),
        why,
    };
    if std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
        .is_err()
    {
        return tcg("/dev/kvm is missing or not usable: TCG".into());
    }
    let Ok(dir) = tempdir("kvm-probe") else {
        return tcg("no temporary directory for the KVM probe: TCG".into());
    };
    let mut spec = Spec::new("none", initrd);
    spec.timeout = Duration::from_secs(PROBE_SECS);
    let kvm = Accel {
        name: "kvm".into(),
        why: "the KVM probe".into(),
    };
    let mut silent = false;
    let mut qemu_said = String::new();
    let result = Boot::start(kernel, &dir, spec, &kvm).and_then(|mut b| {
        let mut running = true;
        while running && b.elapsed() < Duration::from_secs(SILENT_SECS) {
            std::thread::sleep(Duration::from_millis(50));
            running = b.poll();
        }
        silent = running
            && std::fs::metadata(b.dir.join("console.log"))
                .map(|m| m.len() == 0)
                .unwrap_or(true);
        if silent {
            // Ends it now.
            b.spec.timeout = Duration::ZERO;
        }
        let a = b.wait()?;
        qemu_said = std::fs::read_to_string(a.dir.join("qemu.out")).unwrap_or_default();
        Ok(a)
    });
    let _ = std::fs::remove_dir_all(&dir);
    match result {
        Ok(_) if silent => tcg(format!(
            "a KVM guest printed nothing in {SILENT_SECS} s: TCG"
        )),
        Ok(a) if a.record.ending == crate::boot::Ending::Died && a.console.trim().is_empty() => {
            tcg(format!(
                "QEMU with KVM exited before the kernel printed anything ({}): TCG",
                qemu_said.lines().next().unwrap_or("it said nothing")
            ))
        }
        Ok(a) if a.guest.done.is_some() => Accel {
            name: "kvm".into(),
            why: format!(
                "a KVM guest booted in the probe in {:.1} s",
                a.record.wall_secs
            ),
        },
        Ok(a) => tcg(format!(
            "a KVM guest did not boot in {PROBE_SECS} s (stopped at: {}): TCG",
            a.stage()
        )),
        Err(e) => tcg(format!("the KVM probe could not boot: {}: TCG", e.message)),
    }
}
