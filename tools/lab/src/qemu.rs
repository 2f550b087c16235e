// SPDX-License-Identifier: GPL-2.0
//! QEMU: the one place that puts a boot's command line together, and the
//! choice of accelerator.
//!
//! The kernel's console is the first serial port (`ttyS0`, `console.log`);
//! the guest's protocol is the second (`ttyS1`, `lab.log`; see
//! [`crate::protocol`]). A KVM guest on some hosts stalls right after the
//! firmware, so KVM is probed once per machine with a short boot, the answer
//! kept in the cache, and TCG used otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::paths::KernelEnv;
use crate::Error;

pub const QEMU: &str = "qemu-system-x86_64";
/// Guest memory, MiB.
const MEMORY: u32 = 512;

/// The arguments every boot of the lab kernel gets, before its own.
///
/// Expedited RCU grace periods: each module load and unload waits for
/// several, and under TCG a normal one costs tens of milliseconds (a
/// fault-injection sweep of 25 loads took 1.39 s with them, 0.52 s
/// without). The kernel's own KUnit suites would run, and taint, every boot:
/// only the lab's run, when its KUnit module loads.
pub const KERNEL_ARGS: &str = "console=ttyS0 panic=-1 rcupdate.rcu_expedited=1 kunit.filter_glob=deadlock_lab*";

/// The accelerator a boot runs on, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accel {
    pub name: String,
    pub why: String,
}

/// What to boot.
#[derive(Debug, Clone)]
pub struct Spec {
    /// `lab.run=`: scenario names, `shell` or `none`.
    pub run: String,
    pub cpus: u32,
    /// More kernel arguments.
    pub append: String,
    pub initrd: PathBuf,
    pub gdb_port: Option<u16>,
    pub timeout: Duration,
}

impl Spec {
    pub fn new(run: &str, initrd: &Path) -> Spec {
        Spec {
            run: run.to_string(),
            cpus: 2,
            append: String::new(),
            initrd: initrd.to_path_buf(),
            gdb_port: None,
            timeout: Duration::from_secs(120),
        }
    }

    /// The kernel command line.
    pub fn cmdline(&self) -> String {
        let mut s = format!("{KERNEL_ARGS} lab.run={}", self.run);
        if !self.append.is_empty() {
            s.push(' ');
            s.push_str(&self.append);
        }
        s
    }

    /// QEMU's arguments, with the two serial ports given as `serial0` and
    /// `serial1` (`file:PATH`, `mon:stdio`, `null`).
    pub fn args(&self, kernel: &KernelEnv, accel: &str, serial0: &str, serial1: &str) -> Vec<String> {
        let cpu = if accel == "kvm" { "host" } else { "max" };
        // Sockets, not cores: the lab kernel has no ACPI and finds its CPUs in
        // SeaBIOS's MP table, which lists only the first CPU of each package;
        // with plain "-smp 2" the guest booted with one CPU.
        let n = self.cpus;
        let mut a: Vec<String> = vec![
            "-accel".into(),
            accel.into(),
            "-cpu".into(),
            cpu.into(),
            "-smp".into(),
            format!("{n},sockets={n},cores=1,threads=1"),
            "-m".into(),
            MEMORY.to_string(),
        ];
        for s in ["-nodefaults", "-no-reboot", "-display", "none", "-kernel", kernel.get("BZIMAGE"), "-initrd"] {
            a.push(s.into());
        }
        a.push(self.initrd.to_string_lossy().into_owned());
        a.push("-append".into());
        a.push(self.cmdline());
        for s in ["-serial", serial0, "-serial", serial1] {
            a.push(s.into());
        }
        if let Some(port) = self.gdb_port {
            a.push("-gdb".into());
            a.push(format!("tcp:127.0.0.1:{port}"));
        }
        a
    }
}

/// Fails with what to run if QEMU or the lab's images are missing.
pub fn preflight(kernel: &KernelEnv, initrd: &Path) -> Result<(), Error> {
    if which(QEMU).is_none() {
        return Err(Error::new(format!("{QEMU} is missing")).hint("run: make setup"));
    }
    let bz = kernel.path("BZIMAGE");
    if !bz.is_file() {
        return Err(Error::new(format!("no lab kernel at {}", bz.display())).hint("run: make kernel"));
    }
    if !initrd.is_file() {
        return Err(Error::new(format!("no initramfs at {}", initrd.display())).hint("run: make initramfs"));
    }
    Ok(())
}

pub fn which(cmd: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(cmd))
        .find(|p| p.is_file())
}

/// The accelerator: `LAB_ACCEL=kvm|tcg`, or what the probe found on this
/// machine (remembered in the cache), probing now if it never ran here.
pub fn choose_accel(kernel: &KernelEnv, initrd: &Path) -> Result<Accel, Error> {
    match std::env::var("LAB_ACCEL").as_deref() {
        Ok("kvm") | Ok("tcg") => {
            let name = std::env::var("LAB_ACCEL").unwrap();
            return Ok(Accel { why: format!("LAB_ACCEL={name}"), name });
        }
        Ok("auto") | Err(_) => {}
        Ok(other) => return Err(Error::new(format!("LAB_ACCEL={other}: use auto, kvm or tcg"))),
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
        let why = lines.next().map(str::to_string).unwrap_or_else(|| "remembered".into());
        return Ok(Accel { name, why: format!("{why} (probed before; {} forgets it)", memo.display()) });
    }
    let accel = probe_kvm(kernel, initrd);
    eprintln!("   KVM probe: {}", accel.why);
    let _ = std::fs::create_dir_all(kernel.cache());
    let _ = std::fs::write(&memo, format!("{}\n{}\n", accel.name, accel.why));
    Ok(accel)
}

/// How long the KVM probe's boot may take.
const PROBE_SECS: u64 = 15;

fn probe_kvm(kernel: &KernelEnv, initrd: &Path) -> Accel {
    let kvm = Path::new("/dev/kvm");
    let usable = std::fs::OpenOptions::new().read(true).write(true).open(kvm).is_ok();
    if !usable {
        return Accel { name: "tcg".into(), why: "/dev/kvm is missing or not usable: TCG".into() };
    }
    let dir = match tempdir("kvm-probe") {
        Ok(d) => d,
        Err(_) => return Accel { name: "tcg".into(), why: "no temporary directory for the KVM probe: TCG".into() },
    };
    let mut spec = Spec::new("none", initrd);
    spec.timeout = Duration::from_secs(PROBE_SECS);
    let console = dir.join("console.log");
    let lab = dir.join("lab.log");
    let args = spec.args(
        kernel,
        "kvm",
        &format!("file:{}", console.display()),
        &format!("file:{}", lab.display()),
    );
    let booted = Command::new(QEMU)
        .args(&args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()
        .map(|mut child| {
            use wait_timeout::ChildExt;
            if child.wait_timeout(spec.timeout).ok().flatten().is_none() {
                let _ = child.kill();
                let _ = child.wait();
            }
            let log = std::fs::read_to_string(&lab).unwrap_or_default();
            crate::protocol::GuestLog::parse(&log).done.is_some()
        })
        .unwrap_or(false);
    let stage = crate::boot::stage_of(
        &std::fs::read_to_string(&console).unwrap_or_default(),
        &crate::protocol::GuestLog::parse(&std::fs::read_to_string(&lab).unwrap_or_default()),
    );
    let _ = std::fs::remove_dir_all(&dir);
    if booted {
        Accel { name: "kvm".into(), why: "a KVM guest booted in the probe".into() }
    } else {
        Accel {
            name: "tcg".into(),
            why: format!("a KVM guest did not boot in {PROBE_SECS} s (stopped at: {stage}): TCG"),
        }
    }
}

/// A new empty directory under the system's temporary directory.
pub fn tempdir(what: &str) -> std::io::Result<PathBuf> {
    let base = std::env::temp_dir();
    for n in 0..1000 {
        let d = base.join(format!("deadlock-lab-{what}-{}-{n}", std::process::id()));
        match std::fs::create_dir(&d) {
            Ok(()) => return Ok(d),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("no free temporary directory name"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line() {
        let k = KernelEnv::parse("BZIMAGE=/k/bzImage\n");
        let mut s = Spec::new("inverted,fixed", Path::new("/o/initramfs.cpio.gz"));
        s.append = "kmemleak=on".into();
        s.cpus = 3;
        let a = s.args(&k, "tcg", "file:/l/console.log", "file:/l/lab.log");
        let joined = a.join(" ");
        assert!(joined.starts_with("-accel tcg -cpu max -smp 3,sockets=3,cores=1,threads=1 -m 512"), "{joined}");
        assert!(joined.contains("-serial file:/l/console.log -serial file:/l/lab.log"));
        let i = a.iter().position(|x| x == "-append").unwrap();
        assert_eq!(a[i + 1], format!("{KERNEL_ARGS} lab.run=inverted,fixed kmemleak=on"));
        assert!(!joined.contains("-gdb"));
        s.gdb_port = Some(4321);
        assert!(s.args(&k, "kvm", "null", "null").join(" ").ends_with("-gdb tcp:127.0.0.1:4321"));
    }
}
