// SPDX-License-Identifier: GPL-2.0
//! `--dot`: the findings of a log as one Graphviz graph.
//!
//! The document is a single `digraph` with one `subgraph cluster_N` per
//! drawn finding (`N` is the finding's number, as in the readable summary)
//! and one `subgraph cluster_wait` for the wait-for graph of all hung
//! tasks, placed at its first hung task. One graph renders as one picture
//! (`dot -Tsvg`, `dot -Tpng`); several `digraph`s in one file would not.
//! What each kind draws is described in [`crate::graph::locks`] and
//! [`crate::graph::waits`]; findings without a graph (soft lockups, other
//! reports, hung tasks without a blocker line) are listed in the graph's
//! label. Edges on a cycle, the two usages of an inconsistent lock state
//! and the waits for a task that exited with locks held are red.
//!
//! Findings arrive one by one; only their small graphs are kept, for the
//! first [`MAX_DRAWN`] findings that have one.

use std::io::{self, Write};

use crate::graph::waits::WaitFor;
use crate::graph::{locks, Graph, Line, NodeKind};
use crate::model::Finding;

/// Findings drawn at the most; the others are only counted.
pub const MAX_DRAWN: usize = 64;
/// Findings listed by name as not drawn.
const MAX_LISTED: usize = 8;

/// A cluster waiting to be written: the number that places it, its label
/// and its graph.
type Cluster = (u64, String, Graph);

/// The DOT document of a log, built finding by finding.
#[derive(Debug, Default)]
pub struct DotDocument {
    title: String,
    clusters: Vec<Cluster>,
    waits: WaitFor,
    first_wait: Option<u64>,
    not_drawn: Vec<String>,
    not_drawn_total: u64,
    findings: u64,
}

impl DotDocument {
    /// An empty document; `title` names the log in the graph's label.
    pub fn new(title: &str) -> Self {
        DotDocument {
            title: title.to_string(),
            ..DotDocument::default()
        }
    }

    /// Takes the log's claims of which task holds or waits for which lock,
    /// which name the locks of the wait-for graph (see
    /// [`crate::graph::waits`]).
    pub fn claims(&mut self, claims: &[crate::model::Claim]) {
        self.waits.claims(claims);
    }

    /// Takes finding number `n` (1-based, in log order).
    pub fn add(&mut self, n: u64, f: &Finding) {
        self.findings += 1;
        if self.waits.add(n, f) {
            self.first_wait.get_or_insert(n);
            return;
        }
        match locks::graph(f) {
            Some(g) if self.clusters.len() < MAX_DRAWN => {
                let label = format!(
                    "[{n}] {}: {}\nlines {}-{}",
                    f.kind, f.title, f.start_line, f.end_line
                );
                self.clusters.push((n, label, g));
            }
            _ => {
                self.not_drawn_total += 1;
                if self.not_drawn.len() < MAX_LISTED {
                    self.not_drawn.push(format!("[{n}] {}", f.kind));
                }
            }
        }
    }

    /// Writes the document.
    pub fn write(&self, out: &mut impl Write) -> io::Result<()> {
        writeln!(out, "digraph \"dmesg-inspect\" {{")?;
        writeln!(
            out,
            "  graph [fontname=\"Helvetica\", fontsize=12, nodesep=0.8];"
        )?;
        writeln!(out, "  node [fontname=\"Helvetica\", fontsize=11];")?;
        writeln!(out, "  edge [fontname=\"Helvetica\", fontsize=10];")?;
        let wait = self.waits.graph().map(|g| {
            let (numbers, total) = self.waits.findings();
            let mut list: Vec<String> = numbers.iter().map(u64::to_string).collect();
            if total > numbers.len() as u64 {
                list.push("...".into());
            }
            let label = format!("[{}] hung_task: wait-for graph", list.join(", "));
            (self.first_wait.unwrap_or(0), label, g)
        });
        let mut clusters: Vec<(&Cluster, String, String)> = self
            .clusters
            .iter()
            .map(|c| (c, format!("cluster_{}", c.0), format!("f{}", c.0)))
            .collect();
        if let Some(w) = &wait {
            clusters.push((w, "cluster_wait".into(), "w".into()));
        }
        clusters.sort_by_key(|((n, _, _), _, _)| *n);
        for ((_, label, g), name, prefix) in clusters {
            write_cluster(out, &name, &prefix, label, g)?;
        }
        writeln!(out, "  label={};", quote(&self.label()))?;
        writeln!(out, "  labelloc=t;")?;
        writeln!(out, "}}")
    }

    /// The graph's label: the log, the number of findings, those not drawn.
    fn label(&self) -> String {
        let mut s = match self.findings {
            0 => format!("{}: no kernel reports found", self.title),
            1 => format!("{}: 1 finding", self.title),
            n => format!("{}: {n} findings", self.title),
        };
        if self.not_drawn_total > 0 {
            s.push_str(&format!("\nnot drawn: {}", self.not_drawn.join(", ")));
            let more = self.not_drawn_total - self.not_drawn.len() as u64;
            if more > 0 {
                s.push_str(&format!(" and {more} more"));
            }
        }
        s
    }
}

/// Writes one cluster; its nodes are `PREFIX_I` (`f1_0`, `w_2`), so that
/// ids are unique in the document.
fn write_cluster(
    out: &mut impl Write,
    name: &str,
    prefix: &str,
    label: &str,
    g: &Graph,
) -> io::Result<()> {
    let id = |i: usize| format!("{prefix}_{i}");
    writeln!(out, "  subgraph {name} {{")?;
    writeln!(out, "    label={};", quote(label))?;
    writeln!(out, "    labeljust=l;")?;
    for (i, n) in g.nodes.iter().enumerate() {
        let mut text = n.label.clone();
        for d in &n.detail {
            text.push('\n');
            text.push_str(d);
        }
        let shape = match n.kind {
            NodeKind::Lock => "shape=box, style=rounded",
            NodeKind::Task => "shape=ellipse",
            NodeKind::Site => "shape=note",
        };
        writeln!(out, "    {} [label={}, {shape}];", id(i), quote(&text))?;
    }
    for e in &g.edges {
        let mut attrs = Vec::new();
        if let Some(t) = e.text() {
            attrs.push(format!("label={}", quote(t)));
        }
        match e.line {
            Line::Solid => {}
            Line::Dashed => attrs.push("style=dashed".into()),
            Line::Dotted => attrs.push("style=dotted".into()),
        }
        if e.cycle || e.highlight {
            attrs.push("color=red, fontcolor=red, penwidth=2".into());
        }
        let attrs = if attrs.is_empty() {
            String::new()
        } else {
            format!(" [{}]", attrs.join(", "))
        };
        writeln!(out, "    {} -> {}{attrs};", id(e.from), id(e.to))?;
    }
    writeln!(out, "  }}")
}

/// A DOT double-quoted string. Inside one, `\"` is a quote and a label
/// reads `\\` as a backslash and `\n` as a line break; other control
/// characters are dropped. Graphviz also reads HTML entities in labels
/// (`&lt;`), so `&` is written `&amp;`: a task name is free text.
pub fn quote(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            '&' => q.push_str("&amp;"),
            c if c.is_control() => {}
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        assert_eq!(quote("sem1"), "\"sem1\"");
        assert_eq!(quote("a\"b\\c\nd\te"), "\"a\\\"b\\\\c\\nde\"");
        assert_eq!(quote("&sb->lock &lt;"), "\"&amp;sb->lock &amp;lt;\"");
        assert_eq!(
            quote("<deadlock_lab::DeadlockLab>::spawn::{closure#0}"),
            "\"<deadlock_lab::DeadlockLab>::spawn::{closure#0}\""
        );
    }

    #[test]
    fn an_empty_log_is_an_empty_graph() {
        let mut out = Vec::new();
        DotDocument::new("x.log").write(&mut out).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.starts_with("digraph \"dmesg-inspect\" {\n"));
        assert!(s.contains("label=\"x.log: no kernel reports found\";"));
        assert!(!s.contains("subgraph"));
    }
}
