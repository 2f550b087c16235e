// SPDX-License-Identifier: GPL-2.0
//! How a story shows a boot: titles and paragraphs, the inspector's
//! findings (a report's own lines, a summary, a picture), the module's own
//! lines and verdict.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::Command;

use dmesg_inspect::{Finding, Kind};

use crate::boot::Analysis;

/// A section's title.
pub fn title(text: &str) {
    let (on, off) = if std::io::stdout().is_terminal() {
        ("\x1b[1m", "\x1b[0m")
    } else {
        ("", "")
    };
    println!("\n{on}== {text} =={off}");
}

/// A paragraph, folded at 78 columns.
pub fn para(text: &str) {
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > 78 {
            println!("{line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        println!("{line}");
    }
}

/// One scenario's part of a finished boot, with what the inspector found
/// in it.
pub struct Log {
    pub boot: Analysis,
    pub name: String,
    /// The module the scenario loads.
    pub module: String,
    pub kernel: String,
    pub findings: Vec<Finding>,
}

impl Log {
    pub fn new(boot: Analysis, name: &str, module: &str) -> Log {
        let kernel = boot.kernel_part(name);
        let findings = dmesg_inspect::parse_bytes(kernel.as_bytes()).findings;
        Log {
            boot,
            name: name.to_string(),
            module: module.to_string(),
            kernel,
            findings,
        }
    }

    pub fn console_path(&self) -> PathBuf {
        self.boot.dir.join("console.log")
    }

    pub fn has_findings(&self) -> bool {
        !self.findings.is_empty()
    }

    pub fn count(&self, kind: Kind) -> usize {
        self.findings.iter().filter(|f| f.kind == kind).count()
    }

    /// The kernel's own lines of the first finding of `kind`, demangled,
    /// without timestamps and unreliable (`?`) frames, up to the first line
    /// that contains `until`.
    pub fn excerpt(&self, kind: Kind, until: Option<&str>) {
        let Some(f) = self.findings.iter().find(|f| f.kind == kind) else {
            return;
        };
        let lines: Vec<&str> = self.kernel.lines().collect();
        let (a, b) = (f.start_line as usize, f.end_line as usize);
        for l in lines.iter().take(b).skip(a.saturating_sub(1)) {
            let text = strip_stamp(l);
            if text.trim_start().starts_with("? ") {
                continue;
            }
            println!("  {}", dmesg_inspect::symbols::demangle_text(text));
            if until.is_some_and(|u| text.contains(u)) {
                break;
            }
        }
    }

    /// The inspector's summary of the findings; `none` instead, if given and
    /// there are none.
    pub fn summary(&self, none: Option<&str>) {
        if let (Some(text), false) = (none, self.has_findings()) {
            para(&format!("  {text}"));
            return;
        }
        for l in self.inspector_text().lines() {
            println!("  {l}");
        }
    }

    /// The inspector's readable report of this part of the log.
    fn inspector_text(&self) -> String {
        let mut out = Vec::new();
        let mut waits = dmesg_inspect::graph::waits::WaitFor::default();
        let mut counts = std::collections::BTreeMap::<String, u64>::new();
        for (i, f) in self.findings.iter().enumerate() {
            let n = i as u64 + 1;
            waits.add(n, f);
            *counts.entry(f.kind.to_string()).or_default() += 1;
            let _ = dmesg_inspect::render::write_finding(&mut out, n, f);
        }
        let summary = dmesg_inspect::parse_bytes(self.kernel.as_bytes()).summary;
        waits.claims(&summary.claims);
        let counts: Vec<(String, u64)> = counts.into_iter().collect();
        let _ = dmesg_inspect::render::write_wait_for(&mut out, &waits);
        let _ = dmesg_inspect::render::write_summary(&mut out, &summary, &counts);
        String::from_utf8_lossy(&out).into_owned()
    }

    /// The findings drawn with Graphviz (DOT, SVG and PNG beside the boot's
    /// logs), and the same cycle as text for a terminal.
    pub fn picture(&self) {
        let mut doc = dmesg_inspect::dot::DotDocument::new(&format!("{}.dmesg.txt", self.name));
        for (i, f) in self.findings.iter().enumerate() {
            doc.add(i as u64 + 1, f);
        }
        doc.claims(
            &dmesg_inspect::parse_bytes(self.kernel.as_bytes())
                .summary
                .claims,
        );
        let file = |ext: &str| self.boot.dir.join(format!("{}.{ext}", self.name));
        let dot = file("dot");
        let mut text = Vec::new();
        if doc.write(&mut text).is_err() || std::fs::write(&dot, &text).is_err() {
            return;
        }
        for fmt in ["svg", "png"] {
            let _ = Command::new("dot")
                .arg(format!("-T{fmt}"))
                .arg(&dot)
                .arg("-o")
                .arg(file(fmt))
                .status();
        }
        for l in self.inspector_text().lines() {
            let t = l.trim_start();
            if t.starts_with("cycle") || t.starts_with("wait-for") {
                println!("  {t}");
            }
        }
        println!("  picture: {} (and .png)", file("svg").display());
    }

    /// The module's own lines whose text after `MODULE: ` matches `pattern`.
    pub fn module_lines(&self, pattern: &str) {
        let re = regex::Regex::new(&format!("{}: ({pattern})", self.module)).unwrap();
        for l in self.kernel.lines().filter(|l| re.is_match(l)) {
            println!("  {}", strip_stamp(l));
        }
    }

    /// How many lab threads `ps` showed in state D, in the guest's
    /// diagnostics.
    pub fn in_d(&self) -> usize {
        let re = regex::Regex::new(r"^#\s+[0-9]+ D\S*\s+deadlock_").unwrap();
        self.boot
            .guest
            .scenario(&self.name)
            .map(|s| s.lines.iter().filter(|(_, l)| re.is_match(l)).count())
            .unwrap_or(0)
    }

    /// The module's last verdict in a word: `SUCCESS`, `FAILURE` or `none`.
    pub fn verdict_word(&self) -> &'static str {
        match self.verdict() {
            Some(v) if v.success => "SUCCESS",
            Some(_) => "FAILURE",
            None => "none",
        }
    }

    /// The module's last verdict.
    pub fn verdict(&self) -> Option<crate::verdict::Verdict> {
        self.kernel
            .lines()
            .rev()
            .find_map(crate::verdict::parse_line)
    }
}

/// A kernel line without its `[    1.234567]` stamp and its `[  T42]` caller, if printed.
pub fn strip_stamp(line: &str) -> &str {
    let mut rest = line;
    for _ in 0..2 {
        match rest.strip_prefix('[').and_then(|r| r.split_once(']')) {
            Some((_, r)) => rest = r,
            None => break,
        }
    }
    if rest.len() == line.len() {
        line
    } else {
        rest.strip_prefix(' ').unwrap_or(rest)
    }
}
