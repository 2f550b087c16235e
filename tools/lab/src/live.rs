// SPDX-License-Identifier: GPL-2.0
//! A running boot, shown as it happens: the kernel's console lines and the
//! guest's diagnostics, two streams merged by the guest's clock (the
//! kernel's `[    2.345678]` stamps, the protocol's uptime), filtered and
//! with Rust symbols demangled.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::protocol::{parse_line, Event};

/// How long a line may wait for a line of the other stream that came
/// before it.
const HOLD: Duration = Duration::from_millis(400);

/// One stream of a boot's folder, read as it grows.
struct Tail {
    path: PathBuf,
    offset: u64,
    partial: String,
}

impl Tail {
    fn new(path: PathBuf) -> Tail {
        Tail {
            path,
            offset: 0,
            partial: String::new(),
        }
    }

    /// The complete lines added since the last call.
    fn lines(&mut self) -> Vec<String> {
        let Ok(mut f) = File::open(&self.path) else {
            return vec![];
        };
        if f.seek(SeekFrom::Start(self.offset)).is_err() {
            return vec![];
        }
        let mut buf = Vec::new();
        let n = f.read_to_end(&mut buf).unwrap_or(0);
        self.offset += n as u64;
        self.partial.push_str(&String::from_utf8_lossy(&buf));
        let mut out = Vec::new();
        while let Some(i) = self.partial.find('\n') {
            let line: String = self.partial.drain(..=i).collect();
            out.push(line.trim_end_matches(['\r', '\n']).to_string());
        }
        out
    }
}

/// A line to show, and when it happened in the guest.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    pub uptime: f64,
    pub text: String,
}

/// What of a boot the story shows live: the modules' own lines and the
/// detectors' reports of the kernel, and the guest's diagnostics.
pub fn kernel_line_shown(text: &str) -> bool {
    static SHOWN: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"deadlock_[a-z]+:|WARNING:|INFO: task|blocked on a|is trying to acquire|inconsistent|soft lockup|Kernel panic",
        )
        .unwrap()
    });
    SHOWN.is_match(text)
}

/// The guest time of a kernel console line.
pub fn kernel_uptime(line: &str) -> Option<f64> {
    let rest = line.strip_prefix('[')?;
    let (stamp, _) = rest.split_once(']')?;
    stamp.trim().parse().ok()
}

/// Follows a boot's folder, printing what is shown, until `over` says the
/// boot is over (then prints the rest).
pub struct Follower {
    console: Tail,
    lab: Tail,
    pending: Vec<(Shown, Instant)>,
    seen: (f64, f64),
}

impl Follower {
    pub fn new(dir: &Path) -> Follower {
        Follower {
            console: Tail::new(dir.join("console.log")),
            lab: Tail::new(dir.join("lab.log")),
            pending: Vec::new(),
            seen: (0.0, 0.0),
        }
    }

    /// Reads what is new; returns the lines that may be shown now, in the
    /// order they happened. `all`: the boot is over, show everything.
    pub fn poll(&mut self, all: bool) -> Vec<Shown> {
        let now = Instant::now();
        for l in self.console.lines() {
            if let Some(t) = kernel_uptime(&l) {
                self.seen.0 = self.seen.0.max(t);
                if kernel_line_shown(&l) {
                    self.pending.push((Shown { uptime: t, text: l }, now));
                }
            }
        }
        for l in self.lab.lines() {
            let Some(rec) = parse_line(&l) else { continue };
            self.seen.1 = self.seen.1.max(rec.uptime);
            let text = match (&rec.event, &rec.scenario) {
                (Event::Say(s), _) => format!("# {s}"),
                (Event::Start, Some(n)) => format!("# scenario {n} starts"),
                (Event::Exit { status }, Some(n)) => format!("# scenario {n} exits {status}"),
                _ => continue,
            };
            self.pending.push((
                Shown {
                    uptime: rec.uptime,
                    text,
                },
                now,
            ));
        }
        let both = self.seen.0.min(self.seen.1);
        let (mut ready, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|(s, at)| all || s.uptime <= both || at.elapsed() >= HOLD);
        self.pending = keep;
        ready.sort_by(|a, b| a.0.uptime.total_cmp(&b.0.uptime));
        ready
            .into_iter()
            .map(|(mut s, _)| {
                s.text = dmesg_inspect::symbols::demangle_text(&s.text).into_owned();
                s
            })
            .collect()
    }
}
