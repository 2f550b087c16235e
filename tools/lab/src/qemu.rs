// SPDX-License-Identifier: GPL-2.0
//! QEMU: the one place that puts a boot's command line together.
//!
//! The kernel's console is the first serial port (`ttyS0`, `console.log`);
//! the guest's protocol is the second (`ttyS1`, `lab.log`; see
//! [`crate::protocol`]). Which accelerator runs it: [`crate::accel`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::paths::KernelEnv;
use crate::Error;

pub const QEMU: &str = "qemu-system-x86_64";
/// Guest memory, MiB.
const MEMORY: u32 = 512;

/// The arguments every boot of the lab kernel gets, before its own.
///
/// `ignore_loglevel`: the console prints every line the kernel logs, debug
/// ones too, so that the console is the whole kernel log and the guest need
/// not dump it at the end over a serial line, which costs an interrupt a
/// byte. Expedited RCU grace periods: each module load and unload waits for
/// several, and under TCG a normal grace period costs tens of
/// milliseconds, which sweeps of many loads pay again and again. The
/// kernel's own KUnit suites would run, and taint, every boot: only the
/// lab's run, when its KUnit module loads.
pub const KERNEL_ARGS: &str =
    "console=ttyS0 ignore_loglevel panic=-1 rcupdate.rcu_expedited=1 kunit.filter_glob=deadlock_lab*";

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
    /// Under TCG, each guest CPU on a host thread of its own (QEMU's
    /// multi-threaded TCG), for figures that depend on two CPUs running at
    /// the same instant; otherwise the guest's CPUs take turns on one host
    /// thread (see [`Spec::accel_arg`]).
    pub parallel: bool,
    /// The kernel alone, none of the lab's arguments: the baseline boot of
    /// `make bench`.
    pub bare: bool,
    /// End the boot once the guest locked up ([`crate::lockup`]); off for a
    /// boot that must end in a panic, or that a debugger holds still.
    pub watch_lockup: bool,
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
            parallel: false,
            bare: false,
            watch_lockup: true,
        }
    }

    /// The boot of the kernel with nothing of the lab's: its console only,
    /// TCG's own default threading, and `initrd` (the benchmark's empty
    /// busybox image).
    pub fn bare(initrd: &Path) -> Spec {
        Spec {
            parallel: true,
            bare: true,
            ..Spec::new("", initrd)
        }
    }

    /// QEMU's `-accel` value. TCG runs the guest's CPUs in turn on one host
    /// thread unless the boot asks for parallel CPUs: with several boots at
    /// once on a machine of few cores, the multi-threaded TCG spends more
    /// host CPU on the same work (each guest CPU's thread is preempted while
    /// the other waits for it: TLB shootdowns at every module load and
    /// unload, spinlocks), and the suite is CPU-bound. What changes
    /// for the guest is the grain of the interleaving: a thread holding a
    /// lock may lose its CPU for a whole turn, so contention no longer grows
    /// with the hold time, which `lock-stat` measures.
    pub fn accel_arg(&self, accel: &str) -> String {
        match accel {
            "tcg" if !self.parallel => "tcg,thread=single".to_string(),
            other => other.to_string(),
        }
    }

    /// The kernel command line.
    pub fn cmdline(&self) -> String {
        if self.bare {
            return "console=ttyS0 panic=-1".to_string();
        }
        let mut s = format!("{KERNEL_ARGS} lab.run={}", self.run);
        if !self.append.is_empty() {
            s.push(' ');
            s.push_str(&self.append);
        }
        s
    }

    /// QEMU's arguments, with the two serial ports given as `serial0` and
    /// `serial1` (`file:PATH`, `mon:stdio`, `null`).
    pub fn args(
        &self,
        kernel: &KernelEnv,
        accel: &str,
        serial0: &str,
        serial1: &str,
    ) -> Vec<String> {
        let cpu = if accel == "kvm" { "host" } else { "max" };
        // Sockets, not cores: the lab kernel has no ACPI and finds its CPUs in
        // SeaBIOS's MP table, which lists only the first CPU of each package;
        // with plain "-smp 2" the guest booted with one CPU.
        let n = self.cpus;
        let mut a: Vec<String> = vec![
            "-accel".into(),
            self.accel_arg(accel),
            "-cpu".into(),
            cpu.into(),
            "-smp".into(),
            format!("{n},sockets={n},cores=1,threads=1"),
            "-m".into(),
            MEMORY.to_string(),
        ];
        for s in [
            "-nodefaults",
            "-no-reboot",
            "-display",
            "none",
            "-kernel",
            kernel.get("BZIMAGE"),
            "-initrd",
        ] {
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
        return Err(
            Error::new(format!("no lab kernel at {}", bz.display())).hint("run: make kernel")
        );
    }
    if !initrd.is_file() {
        return Err(
            Error::new(format!("no initramfs at {}", initrd.display())).hint("run: make initramfs")
        );
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
        let mut s = Spec::new("inverted,fixed", Path::new("/o/initramfs.cpio"));
        s.append = "kmemleak=on".into();
        s.cpus = 3;
        let a = s.args(&k, "tcg", "file:/l/console.log", "file:/l/lab.log");
        let joined = a.join(" ");
        assert!(
            joined.starts_with(
                "-accel tcg,thread=single -cpu max -smp 3,sockets=3,cores=1,threads=1 -m 512"
            ),
            "{joined}"
        );
        assert!(joined.contains("-serial file:/l/console.log -serial file:/l/lab.log"));
        let i = a.iter().position(|x| x == "-append").unwrap();
        assert_eq!(
            a[i + 1],
            format!("{KERNEL_ARGS} lab.run=inverted,fixed kmemleak=on")
        );
        assert!(!joined.contains("-gdb"));
        s.gdb_port = Some(4321);
        let kvm = s.args(&k, "kvm", "null", "null").join(" ");
        assert!(
            kvm.starts_with("-accel kvm -cpu host ") && kvm.ends_with("-gdb tcp:127.0.0.1:4321"),
            "{kvm}"
        );
        s.parallel = true;
        let bare = Spec::bare(Path::new("/e.cpio")).args(&k, "tcg", "null", "null");
        let bare = bare.join(" ");
        assert!(bare.starts_with("-accel tcg -cpu max "), "{bare}");
        assert!(
            bare.ends_with("-append console=ttyS0 panic=-1 -serial null -serial null"),
            "{bare}"
        );
        assert!(s
            .args(&k, "tcg", "null", "null")
            .join(" ")
            .starts_with("-accel tcg -cpu max "));
    }
}
