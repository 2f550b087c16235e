// SPDX-License-Identifier: GPL-2.0
//! What `make explore` prints: a summary line per configuration, its
//! infeasible schedules, a table of every schedule and what each detector
//! said, and the explored space as a tree of steps (text, and SVG through
//! Graphviz), the deadlocking paths marked.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::run::Row;
use super::space::{Config, MODULE};

/// The summary line, exactly: `explore: MODULE PARAMS: S schedules, D
/// deadlocked, L lockdep reports`, over the feasible schedules.
pub fn summary(config: &Config, rows: &[Row]) -> String {
    let feasible: Vec<&Row> = rows.iter().filter(|r| r.feasible()).collect();
    format!(
        "explore: {MODULE} {}: {} schedules, {} deadlocked, {} lockdep reports",
        config.label,
        feasible.len(),
        feasible.iter().filter(|r| r.deadlocked()).count(),
        feasible.iter().filter(|r| r.lockdep > 0).count()
    )
}

/// The line of the schedules the threads could not follow.
pub fn infeasible(rows: &[Row]) -> String {
    let n = rows.iter().filter(|r| !r.feasible()).count();
    format!(
        "infeasible: {n} schedule(s), counted apart (the module found a step it could not follow and let the rest run freely)"
    )
}

/// How a configuration was explored, in words.
pub fn how(config: &Config) -> String {
    let boots = if config.shared {
        "sharing one boot (nothing to report; lockdep's debug_locks checked after each)"
    } else {
        "a boot each (lockdep reports once a boot)"
    };
    match config.sampled {
        Some(s) => format!(
            "  {} of its {} schedules drawn as PCT draws them (depth {}, seed {}; SEED={} draws them again), {boots}",
            config.schedules.len(),
            s.of,
            super::space::DEPTH,
            s.seed,
            s.seed
        ),
        None => format!("  every schedule of one round, {boots}"),
    }
}

/// One schedule's row of the table.
fn cells(config: &Config, r: &Row) -> [String; 6] {
    let outcome = match (r.infeasible, r.outcome) {
        (Some(step), Some(o)) => format!("{o} (infeasible at step {step})"),
        (_, Some(o)) => o.to_string(),
        (_, None) => "no outcome".into(),
    };
    let lockdep = match (r.lockdep, r.debug_locks) {
        (0, Some(1)) => "silent, watching".to_string(),
        (0, _) => "silent".to_string(),
        (n, _) => format!("{n} report(s)"),
    };
    let hung = if r.hung.is_empty() {
        "-".to_string()
    } else {
        r.hung.join(" ")
    };
    let verdict = match &r.verdict {
        Some(v) if v.success => format!("asleep {}", v.asleep),
        Some(v) => format!("FAILURE: {}", v.why.clone().unwrap_or_default()),
        None => "no verdict".into(),
    };
    let judged = if r.judged {
        "ok".to_string()
    } else {
        format!("NOT OK: {}", r.failed.join("; "))
    };
    [
        r.schedule.words(&config.shape),
        outcome,
        lockdep,
        format!("{hung} / in D: {}", r.in_d),
        verdict,
        judged,
    ]
}

/// The table of a configuration's schedules.
pub fn table(config: &Config, rows: &[Row]) -> String {
    let head = [
        "schedule",
        "outcome",
        "lockdep",
        "hung-task / ps",
        "module's verdict",
        "judged",
    ];
    let body: Vec<[String; 6]> = rows.iter().map(|r| cells(config, r)).collect();
    let mut width = head.map(str::len);
    for row in &body {
        for (w, c) in width.iter_mut().zip(row) {
            *w = (*w).max(c.len());
        }
    }
    let mut out = String::new();
    let line = |cells: &[&str]| {
        let mut l = String::from("  ");
        for (i, c) in cells.iter().enumerate() {
            let pad = if i + 1 == cells.len() { 0 } else { width[i] };
            let _ = write!(l, "{c:pad$}  ");
        }
        l.trim_end().to_string() + "\n"
    };
    out.push_str(&line(&head));
    for row in &body {
        out.push_str(&line(&row.each_ref().map(String::as_str)));
    }
    out
}

/// A node of the tree of schedules: a prefix, and what its schedules did.
#[derive(Default)]
struct Node {
    children: BTreeMap<String, Node>,
    deadlocked: usize,
    total: usize,
}

fn tree(config: &Config, rows: &[Row]) -> Node {
    let mut root = Node::default();
    for r in rows.iter().filter(|r| r.feasible()) {
        let mut at = &mut root;
        at.total += 1;
        at.deadlocked += r.deadlocked() as usize;
        for step in r.schedule.words(&config.shape).split(' ') {
            at = at.children.entry(step.to_string()).or_default();
            at.total += 1;
            at.deadlocked += r.deadlocked() as usize;
        }
    }
    root
}

/// What the schedules through a step did.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mark {
    Deadlocks,
    Finishes,
    Either,
}

impl Mark {
    fn of(n: &Node) -> Mark {
        match (n.deadlocked, n.total) {
            (0, _) => Mark::Finishes,
            (d, t) if d == t => Mark::Deadlocks,
            _ => Mark::Either,
        }
    }

    fn words(self) -> &'static str {
        match self {
            Mark::Deadlocks => "DEADLOCKS",
            Mark::Finishes => "finishes",
            Mark::Either => "either",
        }
    }

    fn color(self) -> &'static str {
        match self {
            Mark::Deadlocks => "#d62728",
            Mark::Finishes => "#2ca02c",
            Mark::Either => "#7f7f7f",
        }
    }
}

/// The explored space as text: each step a branch, each leaf marked with
/// what its schedule did, each prefix after which every schedule
/// deadlocked marked so.
pub fn tree_text(config: &Config, rows: &[Row]) -> String {
    fn walk(n: &Node, depth: usize, forced: bool, out: &mut String) {
        for (step, child) in &n.children {
            let leaf = child.children.is_empty();
            let forces = !forced && !leaf && Mark::of(child) == Mark::Deadlocks;
            let note = match (leaf, forces) {
                (true, _) => format!("  {}", Mark::of(child).words()),
                (false, true) => "  => deadlocks, whatever follows".to_string(),
                (false, false) => String::new(),
            };
            let _ = writeln!(out, "  {}{step}{note}", "  ".repeat(depth));
            walk(child, depth + 1, forced || forces, out);
        }
    }
    let mut out = String::new();
    walk(&tree(config, rows), 0, false, &mut out);
    out
}

/// The explored space for Graphviz: a node per prefix, the deadlocking
/// leaves red, the finishing ones green.
pub fn dot(config: &Config, rows: &[Row]) -> String {
    fn walk(n: &Node, id: &str, out: &mut String) {
        for (k, (step, child)) in n.children.iter().enumerate() {
            let cid = format!("{id}_{k}");
            let color = Mark::of(child).color();
            let shape = if child.children.is_empty() {
                "box"
            } else {
                "ellipse"
            };
            let _ = writeln!(
                out,
                "  {cid} [label=\"{step}\", shape={shape}, color=\"{color}\", fontcolor=\"{color}\"];\n  {id} -> {cid} [color=\"{color}\"];"
            );
            walk(child, &cid, out);
        }
    }
    let mut out = format!(
        "digraph explore {{\n  rankdir=LR;\n  node [fontname=\"monospace\"];\n  n [label=\"{MODULE} {}\\nred: every schedule through it deadlocks\\ngreen: every one finishes; grey: either\", shape=plaintext];\n",
        config.label
    );
    walk(&tree(config, rows), "n", &mut out);
    out.push_str("}\n");
    out
}

/// Writes the picture of a configuration beside the explore's files:
/// `.dot`, and `.svg` where Graphviz is installed; the SVG's path, if made.
pub fn picture(dir: &Path, config: &Config, rows: &[Row]) -> Option<PathBuf> {
    let stem: String = config
        .label
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let dot_file = dir.join(format!("{stem}.dot"));
    std::fs::write(&dot_file, dot(config, rows)).ok()?;
    crate::qemu::which("dot")?;
    let svg = dot_file.with_extension("svg");
    let (ok, _) = crate::process::output(
        std::process::Command::new("dot")
            .arg("-Tsvg")
            .arg("-o")
            .arg(&svg)
            .arg(&dot_file),
    );
    ok.then_some(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Outcome;

    /// The rows of `fixed=0`'s schedules, the first two deadlocking as the
    /// kernel showed (`a.1 b.1 ...` and `b.1 a.1 ...`), every one reported.
    fn abba() -> (Config, Vec<Row>) {
        let c = super::super::space::configs(4, 0, 0).remove(0);
        let rows = c
            .schedules
            .iter()
            .map(|s| {
                let w = s.words(&c.shape);
                let dead = w.starts_with("a.1 b.1") || w.starts_with("b.1 a.1");
                Row {
                    schedule: s.clone(),
                    name: w.clone(),
                    outcome: Some(if dead {
                        Outcome::Deadlocked
                    } else {
                        Outcome::Finished
                    }),
                    lockdep: 1,
                    hung: Vec::new(),
                    in_d: 0,
                    verdict: None,
                    infeasible: None,
                    debug_locks: Some(0),
                    judged: true,
                    failed: Vec::new(),
                    log: PathBuf::new(),
                }
            })
            .collect();
        (c, rows)
    }

    #[test]
    fn the_summary_line_is_exactly_as_promised() {
        let (c, mut rows) = abba();
        assert_eq!(
            summary(&c, &rows),
            "explore: deadlock_lab fixed=0: 6 schedules, 4 deadlocked, 6 lockdep reports"
        );
        rows[0].infeasible = Some(3);
        assert!(
            summary(&c, &rows).contains(": 5 schedules,"),
            "infeasible apart"
        );
        assert!(infeasible(&rows).starts_with("infeasible: 1 schedule(s)"));
    }

    #[test]
    fn the_tree_marks_where_the_deadlock_becomes_certain() {
        let (c, rows) = abba();
        let tree = tree_text(&c, &rows);
        assert_eq!(tree.matches("=> deadlocks, whatever follows").count(), 2);
        assert!(tree.contains("\n    b.1  => deadlocks"), "{tree}");
        assert_eq!(tree.matches("finishes").count(), 2);
        let dot = dot(&c, &rows);
        // Ten steps red (below a.1 b.1 and b.1 a.1), each node, label and
        // edge coloured.
        assert_eq!(dot.matches(Mark::Deadlocks.color()).count(), 10 * 3);
    }
}
