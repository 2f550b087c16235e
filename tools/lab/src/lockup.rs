// SPDX-License-Identifier: GPL-2.0
//! A running boot watched for a guest that locked up: its CPUs no longer
//! run user space (the heartbeat of [`crate::protocol`] stopped), while the
//! kernel reports soft lockups or RCU stalls, or says nothing at all.
//!
//! A real ABBA on spinlocks, with a thread pinned to each CPU, leaves no
//! CPU for the guest's shell: without this, the boot would wait out its
//! timeout. The rule: a lockup report on the console, the protocol silent
//! for [`QUIET`] and the console, once the report's stack is printed, for
//! [`CONSOLE_QUIET`] (a kernel still printing, a panic's backtraces say,
//! may yet end the boot by itself; and under TCG the console can pause for
//! a second in the middle of a report); or the report [`REPORT_AGE`] old
//! while the protocol is silent (the watchdog may keep printing reports
//! for good); or, with no report (interrupts off
//! on every CPU: the lab kernel has no hard-lockup detector), both silent
//! for [`SILENCE`].

use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The kernel lines that say a CPU is stuck.
const REPORTS: [&str; 4] = [
    "BUG: soft lockup",
    "detected stalls on CPUs",
    "self-detected stall on CPU",
    "Watchdog detected hard LOCKUP",
];

/// The line that ends a report's stack (x86 prints the task's frames
/// between `<TASK>` and `</TASK>`).
const STACK_END: &str = "</TASK>";

/// How long the protocol stays silent after a lockup report before the
/// boot is ended: three missed heartbeats.
pub const QUIET: Duration = Duration::from_secs(3);
/// How long the console must be silent too.
pub const CONSOLE_QUIET: Duration = Duration::from_secs(1);
/// How old the first report may grow while the protocol is silent.
pub const REPORT_AGE: Duration = Duration::from_secs(8);
/// How long both may be silent without any report.
pub const SILENCE: Duration = Duration::from_secs(15);

/// One file watched for growth.
struct Grows {
    path: PathBuf,
    len: u64,
    at: Instant,
}

impl Grows {
    fn new(path: PathBuf) -> Grows {
        Grows {
            path,
            len: 0,
            at: Instant::now(),
        }
    }

    /// What was appended since the last call.
    fn fresh(&mut self) -> String {
        let Ok(mut f) = fs::File::open(&self.path) else {
            return String::new();
        };
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        if len <= self.len {
            return String::new();
        }
        let mut buf = Vec::new();
        if f.seek(SeekFrom::Start(self.len)).is_ok() {
            let _ = f.take(len - self.len).read_to_end(&mut buf);
        }
        self.len = len;
        self.at = Instant::now();
        String::from_utf8_lossy(&buf).into_owned()
    }
}

/// A boot's watch.
pub struct Watch {
    console: Grows,
    protocol: Grows,
    /// The part of a console line not yet ended.
    partial: String,
    /// The first lockup report, when it came.
    report: Option<(String, Instant)>,
    /// Whether its stack has been printed to its end.
    complete: bool,
}

impl Watch {
    pub fn new(dir: &Path) -> Watch {
        Watch {
            console: Grows::new(dir.join("console.log")),
            protocol: Grows::new(dir.join("lab.log")),
            partial: String::new(),
            report: None,
            complete: false,
        }
    }

    /// Why the guest has locked up, once it has.
    pub fn locked_up(&mut self) -> Option<String> {
        let text = self.partial.clone() + &self.console.fresh();
        let (lines, rest) = match text.rfind('\n') {
            Some(i) => (&text[..i], &text[i + 1..]),
            None => ("", text.as_str()),
        };
        // The first report, and then the end of its stack.
        for l in lines.lines() {
            if self.report.is_none() {
                if REPORTS.iter().any(|r| l.contains(r)) {
                    let l = crate::logfacts::text_of(l.trim_end_matches('\r')).to_string();
                    self.report = Some((l, Instant::now()));
                }
            } else if l.contains(STACK_END) {
                self.complete = true;
            }
        }
        self.partial = rest.to_string();
        let _ = self.protocol.fresh();
        // The guest init has not spoken yet: the kernel is still booting.
        if self.protocol.len == 0 {
            return None;
        }
        let quiet = self.protocol.at.elapsed();
        let console_quiet = self.console.at.elapsed();
        match &self.report {
            Some((line, at))
                if quiet >= QUIET
                    && ((self.complete && console_quiet >= CONSOLE_QUIET)
                        || at.elapsed() >= REPORT_AGE) =>
            {
                Some(format!(
                    "no heartbeat for {} s after the kernel reported: {line}",
                    quiet.as_secs()
                ))
            }
            None if quiet >= SILENCE && console_quiet >= SILENCE => Some(format!(
                "no heartbeat and no kernel line for {} s",
                quiet.as_secs()
            )),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_and_silence_make_a_lockup() {
        let dir = crate::qemu::tempdir("watch").unwrap();
        fs::write(dir.join("lab.log"), "1.0 lab booted x\n").unwrap();
        fs::write(dir.join("console.log"), "[    1.0] Linux version\n").unwrap();
        let mut w = Watch::new(&dir);
        assert_eq!(w.locked_up(), None);
        fs::write(
            dir.join("console.log"),
            "[    1.0] Linux version\n[    5.0] watchdog: BUG: soft lockup - CPU#0 stuck for 2s! [t:5]\n[    5.0]  </TASK>\n",
        )
        .unwrap();
        assert_eq!(w.locked_up(), None, "the protocol spoke just now");
        w.protocol.at -= QUIET;
        w.console.at -= CONSOLE_QUIET;
        let why = w.locked_up().unwrap();
        assert!(
            why.ends_with("watchdog: BUG: soft lockup - CPU#0 stuck for 2s! [t:5]"),
            "{why}"
        );
        let _ = fs::remove_dir_all(&dir);
    }

    /// The first lines of a real soft-lockup report (c-spin.inverted under
    /// TCG), after which the console paused for over a second before the
    /// stack: ending the boot then cut the report, and with it the culprit
    /// its declaration names.
    const CUT: &str = "[    4.534256][    C0] watchdog: BUG: soft lockup - CPU#0 stuck for 3s! [c_spin_a:67]
[    4.534256][    C0] Modules linked in: c_spin(O)
[    4.534256][    C0] irq event stamp: 15
[    4.534256][    C0] hardirqs last  enabled at (15): [<ffffffff812e98a1>] irqentry_exit+0x201/0x330
[    4.534256][    C0] hardirqs last disabled at (14): [<ffffffff812e8ce3>] sysvec_call_function_single+0x13/0x80
[    4.534256][    C0] softirqs last  enabled at (0): [<ffffffff810520a9>] copy_process+0x3f9/0x10a0
[    4.534256][    C0] softirqs last disabled at (0): [<0000000000000000>] 0x0
";

    #[test]
    fn a_report_whose_stack_is_still_coming_is_waited_for() {
        let dir = crate::qemu::tempdir("watch").unwrap();
        fs::write(dir.join("lab.log"), "1.0 lab booted x\n").unwrap();
        fs::write(dir.join("console.log"), CUT).unwrap();
        let mut w = Watch::new(&dir);
        assert_eq!(w.locked_up(), None);
        w.protocol.at -= QUIET;
        w.console.at -= CONSOLE_QUIET;
        assert_eq!(w.locked_up(), None, "the stack is not printed yet");
        let stack = "[    5.9][    C0] Call Trace:\n[    5.9][    C0]  <TASK>\n[    5.9][    C0]  run+0x1d/0x40 [c_spin]\n[    5.9][    C0]  </TASK>\n";
        fs::write(dir.join("console.log"), format!("{CUT}{stack}")).unwrap();
        assert_eq!(w.locked_up(), None, "the console spoke just now");
        w.console.at -= CONSOLE_QUIET;
        assert!(
            w.locked_up().is_some(),
            "the report is whole and all is quiet"
        );
        // A report that never ends is cut at its age.
        let mut w = Watch::new(&dir);
        fs::write(dir.join("console.log"), CUT).unwrap();
        assert_eq!(w.locked_up(), None);
        w.protocol.at -= QUIET;
        w.report.as_mut().unwrap().1 -= REPORT_AGE;
        assert!(w.locked_up().is_some());
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn silence_alone_takes_longer() {
        let dir = crate::qemu::tempdir("watch").unwrap();
        fs::write(dir.join("lab.log"), "1.0 lab booted x\n").unwrap();
        let mut w = Watch::new(&dir);
        assert_eq!(w.locked_up(), None);
        w.protocol.at -= QUIET;
        w.console.at -= QUIET;
        assert_eq!(
            w.locked_up(),
            None,
            "no report: a few quiet seconds are no lockup"
        );
        w.protocol.at -= SILENCE;
        w.console.at -= SILENCE;
        assert!(w.locked_up().is_some());
        let _ = fs::remove_dir_all(&dir);
    }
}
