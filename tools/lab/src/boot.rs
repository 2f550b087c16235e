// SPDX-License-Identifier: GPL-2.0
//! One boot of the lab kernel, and the folder it leaves.
//!
//! Every boot gets a folder `out/logs/DATE-TIME-NAME+NAME` holding
//!
//! - `console.log`: the kernel's console (`ttyS0`), the kernel's alone;
//! - `lab.log`: the guest's protocol (`ttyS1`, see [`crate::protocol`]);
//! - `qemu.out`: what QEMU itself printed;
//! - `boot.json`: how the boot was made and how it ended ([`Record`]);
//!
//! and, derived from those once the boot is over, `dmesg.txt` (the kernel
//! log: the console's kernel lines), and per scenario NAME:
//! `NAME.dmesg.txt` (its part of the kernel log), `NAME.checks` (its
//! checks, `ok ID DESCRIPTION`), `NAME.exit` and `NAME.seconds`. The link
//! `out/logs/latest-NAME` points at the last boot of each scenario.
//! [`Boot::analyse`] reads such a folder; it needs nothing but the files,
//! so a recorded folder can be judged without QEMU.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::interrupt;
use crate::paths::KernelEnv;
use crate::protocol::GuestLog;
use crate::qemu::{Accel, Spec, QEMU};
use crate::Error;

/// How a boot ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    /// QEMU exited after the guest said it was done.
    Finished,
    /// QEMU exited before that, and the kernel had panicked.
    Panicked,
    /// QEMU exited before that, with no panic on the console.
    Died,
    /// The guest did not finish within the timeout; QEMU was killed.
    TimedOut,
    /// The guest's CPUs stopped running user space (see [`crate::lockup`]);
    /// QEMU was killed.
    LockedUp,
    /// SIGINT or SIGTERM: QEMU was ended.
    Interrupted,
}

/// `boot.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub run: String,
    pub cmdline: String,
    pub qemu: Vec<String>,
    pub accel: String,
    pub accel_why: String,
    pub timeout_secs: u64,
    /// Wall time from QEMU's start to its end.
    pub wall_secs: f64,
    /// Wall time from QEMU's start to the guest init's first record.
    pub to_init_secs: Option<f64>,
    /// Host CPU time QEMU used (user and system, all its threads): what a
    /// boot costs the machine, where wall time depends on what ran beside it.
    #[serde(default)]
    pub cpu_secs: Option<f64>,
    pub ending: Ending,
    pub qemu_status: Option<i32>,
    /// Why the boot was taken for locked up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lockup: Option<String>,
}

/// A boot that is running.
pub struct Boot {
    pub dir: PathBuf,
    pub spec: Spec,
    child: Child,
    _registered: interrupt::Registered,
    started: Instant,
    to_init: Option<f64>,
    cpu: Option<f64>,
    accel: Accel,
    args: Vec<String>,
}

impl Boot {
    /// Starts QEMU for `spec`, in a new folder under `logs`.
    pub fn start(
        kernel: &KernelEnv,
        logs: &Path,
        spec: Spec,
        accel: &Accel,
    ) -> Result<Boot, Error> {
        let dir = new_dir(logs, &spec.run)?;
        let console = dir.join("console.log");
        let lab = dir.join("lab.log");
        fs::write(&console, "").map_err(|e| Error::new(format!("{}: {e}", console.display())))?;
        fs::write(&lab, "").map_err(|e| Error::new(format!("{}: {e}", lab.display())))?;
        let args = spec.args(
            kernel,
            &accel.name,
            &format!("file:{}", console.display()),
            &format!("file:{}", lab.display()),
        );
        let out = fs::File::create(dir.join("qemu.out")).map_err(|e| Error::new(e.to_string()))?;
        let err = out.try_clone().map_err(|e| Error::new(e.to_string()))?;
        use std::os::unix::process::CommandExt;
        let child = Command::new(QEMU)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .map_err(|e| Error::new(format!("cannot start {QEMU}: {e}")).hint("run: make setup"))?;
        let registered = interrupt::register(child.id());
        Ok(Boot {
            dir,
            spec,
            child,
            _registered: registered,
            started: Instant::now(),
            to_init: None,
            cpu: None,
            accel: accel.clone(),
            args,
        })
    }

    /// The guest's protocol so far.
    pub fn guest_log(&self) -> GuestLog {
        GuestLog::parse(&fs::read_to_string(self.dir.join("lab.log")).unwrap_or_default())
    }

    /// Whether QEMU is still running; notes the time the guest init started,
    /// and the CPU time QEMU has used so far.
    pub fn poll(&mut self) -> bool {
        if self.to_init.is_none()
            && fs::metadata(self.dir.join("lab.log"))
                .map(|m| m.len() > 0)
                .unwrap_or(false)
        {
            self.to_init = Some(self.started.elapsed().as_secs_f64());
        }
        // Read before the exit is collected: an exited QEMU's record still
        // holds the time of all its threads.
        self.cpu = cpu_secs(self.child.id()).or(self.cpu);
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Waits for QEMU to end (killing it at the timeout, or on an
    /// interrupt), writes `boot.json` and the derived files, and returns the
    /// folder's analysis.
    pub fn wait(mut self) -> Result<Analysis, Error> {
        let mut timed_out = false;
        let mut lockup = None;
        let mut watch = crate::lockup::Watch::new(&self.dir);
        let mut polls = 0u32;
        while self.poll() {
            let stop = if self.started.elapsed() >= self.spec.timeout {
                timed_out = true;
                true
            } else if self.spec.watch_lockup && polls.is_multiple_of(10) {
                lockup = watch.locked_up();
                lockup.is_some()
            } else {
                false
            };
            if stop {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(self.child.id() as i32),
                    nix::sys::signal::Signal::SIGTERM,
                );
                std::thread::sleep(Duration::from_millis(500));
                let _ = self.child.kill();
            }
            polls += 1;
            std::thread::sleep(Duration::from_millis(50));
        }
        let status = self.child.wait().ok();
        let wall = self.started.elapsed().as_secs_f64();
        let console = fs::read_to_string(self.dir.join("console.log")).unwrap_or_default();
        let guest = self.guest_log();
        let ending = if interrupt::interrupted() && guest.done.is_none() {
            Ending::Interrupted
        } else if timed_out {
            Ending::TimedOut
        } else if lockup.is_some() {
            Ending::LockedUp
        } else if guest.done.is_some() {
            Ending::Finished
        } else if console.contains("Kernel panic - not syncing") {
            Ending::Panicked
        } else {
            Ending::Died
        };
        let record = Record {
            run: self.spec.run.clone(),
            cmdline: self.spec.cmdline(),
            qemu: std::iter::once(QEMU.to_string())
                .chain(self.args.iter().cloned())
                .collect(),
            accel: self.accel.name.clone(),
            accel_why: self.accel.why.clone(),
            timeout_secs: self.spec.timeout.as_secs(),
            wall_secs: (wall * 10.0).round() / 10.0,
            to_init_secs: self.to_init.map(|t| (t * 100.0).round() / 100.0),
            cpu_secs: self.cpu.map(|t| (t * 10.0).round() / 10.0),
            ending,
            qemu_status: status.and_then(|s| s.code()),
            lockup,
        };
        let json = serde_json::to_string_pretty(&record).unwrap_or_default();
        fs::write(self.dir.join("boot.json"), json + "\n")
            .map_err(|e| Error::new(e.to_string()))?;
        let analysis = Boot::analyse(&self.dir)?;
        analysis.write_parts()?;
        Ok(analysis)
    }

    /// Reads a boot's folder: its record, the console and the protocol.
    pub fn analyse(dir: &Path) -> Result<Analysis, Error> {
        let read = |f: &str| fs::read_to_string(dir.join(f));
        let record: Record = serde_json::from_str(
            &read("boot.json")
                .map_err(|e| Error::new(format!("{}: no boot.json: {e}", dir.display())))?,
        )
        .map_err(|e| Error::new(format!("{}/boot.json: {e}", dir.display())))?;
        let console = read("console.log").unwrap_or_default().replace('\r', "");
        let guest = GuestLog::parse(&read("lab.log").unwrap_or_default());
        let names: Vec<String> = record.run.split(',').map(str::to_string).collect();
        Ok(Analysis {
            dir: dir.to_path_buf(),
            record,
            console,
            guest,
            names,
        })
    }
}

/// What a finished boot's folder says.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub dir: PathBuf,
    pub record: Record,
    pub console: String,
    pub guest: GuestLog,
    /// The scenarios it ran, in order.
    pub names: Vec<String>,
}

impl Analysis {
    /// The boot's kernel log: the kernel's lines of its console (every line
    /// the kernel logged: the boot has `ignore_loglevel`).
    pub fn kernel_log(&self) -> String {
        self.console
            .lines()
            .filter(|l| is_kernel_line(l))
            .flat_map(|l| [l, "\n"])
            .collect()
    }

    /// Each scenario's part of the kernel log: from its start line to the
    /// next scenario's. The boot's own lines belong to the first scenario,
    /// so that every kernel line is judged.
    pub fn kernel_part(&self, name: &str) -> String {
        let log = self.kernel_log();
        let mut owner = self.names.first().cloned().unwrap_or_default();
        let mut out = String::new();
        for line in log.lines() {
            if let Some(n) = crate::contract::started_by(line) {
                owner = n.to_string();
            }
            if owner == name {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }

    /// How far the boot got, in words.
    pub fn stage(&self) -> String {
        stage_of(&self.console, &self.guest)
    }

    /// Writes the derived files (see the module's header) and the
    /// `latest-NAME` links.
    pub fn write_parts(&self) -> Result<(), Error> {
        let w = |f: String, text: &str| {
            fs::write(self.dir.join(&f), text)
                .map_err(|e| Error::new(format!("{}/{f}: {e}", self.dir.display())))
        };
        w("dmesg.txt".to_string(), &self.kernel_log())?;
        for name in &self.names {
            w(format!("{name}.dmesg.txt"), &self.kernel_part(name))?;
            if let Some(s) = self.guest.scenario(name) {
                let checks: String = s
                    .checks
                    .iter()
                    .map(|c| {
                        format!(
                            "{} {} {}\n",
                            if c.ok { "ok" } else { "not ok" },
                            c.id,
                            c.description
                        )
                    })
                    .collect();
                w(format!("{name}.checks"), &checks)?;
                if let Some((status, _)) = s.exit {
                    w(format!("{name}.exit"), &format!("{status}\n"))?;
                }
                if let Some(secs) = s.seconds() {
                    w(format!("{name}.seconds"), &format!("{secs:.2}\n"))?;
                }
            }
            if let (Some(logs), Some(base)) = (self.dir.parent(), self.dir.file_name()) {
                let link = logs.join(format!("latest-{name}"));
                let _ = fs::remove_file(&link);
                let _ = std::os::unix::fs::symlink(base, &link);
            }
        }
        Ok(())
    }
}

/// The CPU time (user and system) process `pid` and its threads have used,
/// from `/proc/PID/stat`.
fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name, which is in parentheses: utime and
    // stime are the 14th and 15th of the line, the 12th and 13th after it.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    let hz = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK).ok()??;
    Some(ticks as f64 / hz as f64)
}

/// A line the kernel printed: `[    1.234567] ...`.
pub fn is_kernel_line(line: &str) -> bool {
    let Some(rest) = line.strip_prefix('[') else {
        return false;
    };
    let Some((stamp, _)) = rest.split_once(']') else {
        return false;
    };
    let s = stamp.trim();
    !s.is_empty()
        && s.split_once('.').is_some_and(|(a, b)| {
            a.bytes().all(|c| c.is_ascii_digit()) && b.bytes().all(|c| c.is_ascii_digit())
        })
}

/// How far a boot got, from its console and its protocol.
pub fn stage_of(console: &str, guest: &GuestLog) -> String {
    if guest.done.is_some() {
        return "finished".into();
    }
    if let Some(s) = guest
        .scenarios
        .iter()
        .rev()
        .find(|s| s.start.is_some() && s.exit.is_none())
    {
        let last = s
            .lines
            .last()
            .map(|(_, l)| l.clone())
            .or_else(|| s.checks.last().map(|c| format!("check {}", c.id)))
            .or_else(|| {
                console
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .map(str::to_string)
            })
            .unwrap_or_default();
        let last: String = last.chars().take(100).collect();
        return format!("running scenario '{}' (last line: {last})", s.name);
    }
    if guest.booted.is_some() {
        return "guest init running".into();
    }
    if console.contains("Run /init as init process") {
        "kernel started /init".into()
    } else if console.contains("Linux version") {
        "kernel booting (no /init yet)".into()
    } else if !console.trim().is_empty() {
        "firmware (the kernel printed nothing)".into()
    } else {
        "QEMU started, nothing on the console".into()
    }
}

/// A new folder for a boot of `run`; boots of the same second get a number.
pub fn new_dir(logs: &Path, run: &str) -> Result<PathBuf, Error> {
    fs::create_dir_all(logs).map_err(|e| Error::new(format!("{}: {e}", logs.display())))?;
    let now = local_time();
    let base = logs.join(format!("{now}-{}", dir_name(run)));
    let mut dir = base.clone();
    let mut n = 1;
    loop {
        match fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                n += 1;
                dir = PathBuf::from(format!("{}.{n}", base.display()));
            }
            Err(e) => return Err(Error::new(format!("{}: {e}", dir.display()))),
        }
    }
}

/// The part of a log folder's name that names the boot of `run` (its
/// scenarios, comma-separated): all of them, or, for a boot of many, the
/// first and how many more, so that the name stays within what a file
/// system takes (255 bytes).
fn dir_name(run: &str) -> String {
    const MOST: usize = 120;
    let all = run.replace(',', "+");
    if all.len() <= MOST {
        return all;
    }
    let names: Vec<&str> = run.split(',').collect();
    let first: String = names[0].chars().take(MOST).collect();
    match names.len() {
        1 => first,
        n => format!("{first}+{}-more", n - 1),
    }
}

/// The local time as `YYYYMMDD-HHMMSS`.
fn local_time() -> String {
    chrono::Local::now().format("%Y%m%d-%H%M%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::dir_name;

    #[test]
    fn a_boot_of_many_scenarios_has_a_name_a_file_system_takes() {
        assert_eq!(dir_name("inverted,fixed"), "inverted+fixed");
        let many: Vec<String> = (1..=15)
            .map(|k| format!("explore-fixed2-{k}-0x122221"))
            .collect();
        let name = dir_name(&many.join(","));
        assert_eq!(name, "explore-fixed2-1-0x122221+14-more");
        assert!(dir_name(&"x".repeat(400)).len() <= 120);
    }
}
