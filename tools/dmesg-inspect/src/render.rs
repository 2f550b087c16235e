// SPDX-License-Identifier: GPL-2.0
//! Output: the readable summary and the streamed JSON array.

use std::io::{self, Write};

use crate::graph::locks::cycle_line;
use crate::graph::waits::WaitFor;
use crate::model::{Finding, Kind, Summary};

/// Frames shown per stack in the readable summary.
const SHOWN_FRAMES: usize = 12;

/// Writes findings as one JSON array, element by element, producing exactly
/// what `serde_json::to_string_pretty` gives for the whole array plus a
/// final newline.
pub struct JsonArrayWriter<W: Write> {
    out: W,
    first: bool,
}

impl<W: Write> JsonArrayWriter<W> {
    pub fn new(out: W) -> Self {
        JsonArrayWriter { out, first: true }
    }

    pub fn write(&mut self, f: &Finding) -> io::Result<()> {
        let body = serde_json::to_string_pretty(f).map_err(io::Error::other)?;
        self.out
            .write_all(if self.first { b"[\n" } else { b",\n" })?;
        self.first = false;
        for (i, line) in body.lines().enumerate() {
            if i > 0 {
                self.out.write_all(b"\n")?;
            }
            self.out.write_all(b"  ")?;
            self.out.write_all(line.as_bytes())?;
        }
        Ok(())
    }

    pub fn finish(mut self) -> io::Result<W> {
        self.out
            .write_all(if self.first { b"[]\n" } else { b"\n]\n" })?;
        self.out.flush()?;
        Ok(self.out)
    }
}

fn field(out: &mut impl Write, name: &str, value: &str) -> io::Result<()> {
    writeln!(out, "  {name:<10}{value}")
}

fn more(out: &mut impl Write, value: &str) -> io::Result<()> {
    writeln!(out, "  {:<10}{value}", "")
}

fn frames_block(out: &mut impl Write, name: &str, frames: &[String]) -> io::Result<()> {
    let shown: Vec<&String> = frames.iter().filter(|f| !f.starts_with("? ")).collect();
    for (i, f) in shown.iter().take(SHOWN_FRAMES).enumerate() {
        if i == 0 {
            field(out, name, f)?;
        } else {
            more(out, f)?;
        }
    }
    if shown.len() > SHOWN_FRAMES {
        more(out, &format!("... {} more", shown.len() - SHOWN_FRAMES))?;
    }
    Ok(())
}

/// lockdep's own frames at the top of a dependency's stack.
fn is_lockdep_internal(func: &str) -> bool {
    func.starts_with("check_")
        || func.starts_with("validate_chain")
        || func.starts_with("mark_lock")
        || func.starts_with("print_")
}

/// Writes one finding as a readable block.
pub fn write_finding(out: &mut impl Write, n: u64, f: &Finding) -> io::Result<()> {
    writeln!(out, "[{n}] {}: {}", f.kind, f.title)?;
    let mut lines = format!("{}-{}", f.start_line, f.end_line);
    if f.truncated {
        lines.push_str(" (truncated)");
    }
    field(out, "lines", &lines)?;
    if f.header != f.title {
        field(out, "header", &f.header)?;
    }
    match (&f.kernel_version, &f.taint) {
        (Some(v), Some(t)) => field(out, "kernel", &format!("{v}, {t}"))?,
        (Some(v), None) => field(out, "kernel", v)?,
        (None, Some(t)) => field(out, "kernel", t)?,
        (None, None) => {}
    }
    if !f.tasks.is_empty() {
        let tasks: Vec<String> = f.tasks.iter().map(|t| t.to_string()).collect();
        field(out, "tasks", &tasks.join(", "))?;
    }
    if let Some(c) = f.cpu {
        field(out, "cpu", &c.to_string())?;
    }
    if let Some(t) = f.timeout_secs {
        let name = if f.kind == Kind::SoftLockup {
            "stuck"
        } else {
            "blocked"
        };
        field(out, name, &format!("{t} s"))?;
    }
    if f.repeats > 1 {
        field(out, "repeats", &format!("{} warnings", f.repeats))?;
    }
    if let Some(b) = &f.blocked_on {
        let mut s = b.primitive.clone();
        if let Some(w) = &b.waiting_as {
            s.push_str(&format!(" (as {w})"));
        }
        match &b.task {
            Some(t) => s.push_str(&format!(", held by {t}")),
            None => s.push_str(", holder not found"),
        }
        if let Some(h) = &b.held_as {
            s.push_str(&format!(" (as {h})"));
        }
        field(out, "waits on", &s)?;
    }
    if let Some(c) = &f.culprit {
        field(out, "culprit", c)?;
    }
    if let Some(c) = cycle_line(f) {
        field(out, "cycle", &c)?;
    }
    for (i, l) in f.locks.iter().enumerate() {
        let mut s = format!("{:<10} {}", l.role, l.class);
        if let Some(inst) = &l.instance {
            s.push_str(&format!(" @{inst}"));
        }
        if let Some(at) = &l.at {
            s.push_str(&format!(" at {at}"));
        }
        if let Some(h) = &l.holder {
            s.push_str(&format!(" (held by {h})"));
        }
        if i == 0 {
            field(out, "locks", &s)?;
        } else {
            more(out, &s)?;
        }
    }
    for (i, c) in f.chain.iter().enumerate() {
        let site = readable_frame(&c.frames)
            .map(|s| format!(" <- {s}"))
            .unwrap_or_default();
        let s = format!("#{} {}{}", c.index, c.class, site);
        if i == 0 {
            field(out, "chain", &s)?;
        } else {
            more(out, &s)?;
        }
    }
    if let Some(sc) = &f.scenario {
        if !sc.chain_exists_of.is_empty() {
            field(out, "chain of", &sc.chain_exists_of.join(" --> "))?;
        }
        let width = sc
            .rows
            .iter()
            .filter_map(|r| r.first())
            .map(|c| c.len())
            .chain(sc.columns.first().map(|c| c.len()))
            .max()
            .unwrap_or(0)
            .max(20);
        let fmt_row = |cells: &[String]| -> String {
            let mut s = String::new();
            for (i, c) in cells.iter().enumerate() {
                if i + 1 < cells.len() {
                    s.push_str(&format!("{c:<width$}  "));
                } else {
                    s.push_str(c);
                }
            }
            s.trim_end().to_string()
        };
        field(out, "scenario", &fmt_row(&sc.columns))?;
        for r in &sc.rows {
            more(out, &fmt_row(r))?;
        }
    }
    for (i, st) in f.other_stacks.iter().enumerate() {
        // The first frame worth reading, else the first reliable one (a
        // `RIP` inside a spinlock is still worth showing).
        let site = readable_frame(&st.frames)
            .or_else(|| st.frames.iter().find(|fr| !fr.starts_with("? ")))
            .map(|s| format!(" {s}"))
            .unwrap_or_default();
        let s = format!("{}:{}", st.label, site);
        if i == 0 {
            field(out, "traces", &s)?;
        } else {
            more(out, &s)?;
        }
    }
    frames_block(out, "stack", &f.frames)?;
    if let Some(b) = &f.blocked_on {
        frames_block(out, "holder", &b.frames)?;
    }
    if f.lockdep_off {
        field(out, "lockdep", "turned off")?;
    }
    for (i, n) in f.notes.iter().enumerate() {
        if i == 0 {
            field(out, "notes", n)?;
        } else {
            more(out, n)?;
        }
    }
    writeln!(out)
}

/// Writes one `wait-for:` line per cycle (or telling chain) of the hung
/// tasks' wait-for graph, before the closing summary.
pub fn write_wait_for(out: &mut impl Write, w: &WaitFor) -> io::Result<()> {
    for l in w.lines() {
        writeln!(out, "wait-for: {l}")?;
    }
    Ok(())
}

/// Writes the closing summary line(s) of the readable output.
pub fn write_summary(
    out: &mut impl Write,
    s: &Summary,
    counts: &[(String, u64)],
) -> io::Result<()> {
    if s.findings == 0 {
        writeln!(out, "no kernel reports found ({} lines read)", s.lines)?;
    } else {
        let parts: Vec<String> = counts.iter().map(|(k, n)| format!("{k}: {n}")).collect();
        writeln!(
            out,
            "{} finding{} ({}) in {} lines",
            s.findings,
            if s.findings == 1 { "" } else { "s" },
            parts.join(", "),
            s.lines
        )?;
    }
    if let Some(l) = s.lockdep_off_line {
        writeln!(out, "lockdep reported itself turned off (line {l})")?;
    }
    Ok(())
}

/// The first reliable frame of a stack that is not a locking, scheduler or
/// lockdep-internal function: the one worth showing as a site.
pub(crate) fn readable_frame(frames: &[String]) -> Option<&String> {
    frames.iter().find(|fr| {
        !fr.starts_with("? ")
            && fr
                .split('+')
                .next()
                .is_some_and(|func| !crate::culprit::skipped(func) && !is_lockdep_internal(func))
    })
}
