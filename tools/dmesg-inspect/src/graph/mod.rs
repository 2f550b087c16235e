// SPDX-License-Identifier: GPL-2.0
//! Findings as graphs: what `--dot` draws and what the `cycle` and
//! `wait-for` lines of the readable summary spell out.
//!
//! A lockdep finding becomes a small graph of lock classes ([`locks`]): an
//! edge `A -> B` says that `B` was taken while `A` was held, labelled with
//! the function that did it. The hung tasks of a whole log become one
//! wait-for graph ([`waits`]): task -> lock -> holder. Edges on a cycle are
//! marked ([`Graph::mark_cycles`]), so that the DOT writer can highlight
//! them and [`Graph::cycle_text`] can follow them.

pub mod locks;
pub mod waits;

use crate::culprit::{skipped, Culprit, Evidence};
use crate::model::{Finding, Lock};
use crate::symbols::{strip_suffixes, Frame};

/// What a node stands for; the DOT writer gives each its own shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// A lock class, or a lock known only by its primitive (`semaphore`).
    Lock,
    /// A task.
    Task,
    /// A function where a lock was used (the two usages of an inconsistent
    /// lock state).
    Site,
}

/// A node of a graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Identity within the graph, e.g. `lock:sem1` or `task:deadlock_lab_a/60`.
    pub key: String,
    pub kind: NodeKind,
    /// What the node is: lock class, task, function.
    pub label: String,
    /// Further lines under the label (`semaphore`, `hung task`, ...).
    pub detail: Vec<String>,
}

/// How an edge is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    /// A dependency or wait the log shows, with the site that recorded it.
    Solid,
    /// A dependency the log only summarises (`Chain exists of:`), or a path
    /// of dependencies between two locks of an irq inversion.
    Dashed,
    /// An interrupt taking a lock on the CPU that holds another one.
    Dotted,
}

/// An edge of a graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    /// Function that recorded the dependency, for the text rendering.
    pub func: Option<String>,
    /// Text drawn on the edge; `None` draws [`Edge::func`].
    pub label: Option<String>,
    pub line: Line,
    /// The edge lies on a cycle (set by [`Graph::mark_cycles`]).
    pub cycle: bool,
    /// The edge is part of the reported problem without being on a cycle
    /// (the two conflicting usages of an inconsistent lock state).
    pub highlight: bool,
}

impl Edge {
    /// Text drawn on the edge.
    pub fn text(&self) -> Option<&str> {
        self.label.as_deref().or(self.func.as_deref())
    }
}

/// A small directed graph; nodes and edges keep the order they were added
/// in, so that output is deterministic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    /// Node from which [`Graph::cycle_text`] starts (the held lock of a
    /// circular dependency, the first hung task of a wait-for cycle).
    pub start: Option<usize>,
}

impl Graph {
    /// Index of the node with `key`.
    pub fn find(&self, key: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.key == key)
    }

    /// Index of the node with `key`, added with `kind` and `label` if new.
    pub fn node(&mut self, key: &str, kind: NodeKind, label: &str) -> usize {
        if let Some(i) = self.find(key) {
            return i;
        }
        self.nodes.push(Node {
            key: key.to_string(),
            kind,
            label: label.to_string(),
            detail: Vec::new(),
        });
        self.nodes.len() - 1
    }

    /// A lock-class node (key `lock:CLASS`).
    pub fn lock(&mut self, class: &str) -> usize {
        self.node(&format!("lock:{class}"), NodeKind::Lock, class)
    }

    /// Adds a solid edge, or returns the existing edge between the same
    /// nodes with the same function.
    pub fn edge(&mut self, from: usize, to: usize, func: Option<String>) -> &mut Edge {
        let i = match self
            .edges
            .iter()
            .position(|e| e.from == from && e.to == to && e.func == func)
        {
            Some(i) => i,
            None => {
                self.edges.push(Edge {
                    from,
                    to,
                    func,
                    label: None,
                    line: Line::Solid,
                    cycle: false,
                    highlight: false,
                });
                self.edges.len() - 1
            }
        };
        &mut self.edges[i]
    }

    /// Whether `to` can be reached from `from` (a node reaches itself).
    fn reaches(&self, from: usize, to: usize) -> bool {
        let mut seen = vec![false; self.nodes.len()];
        let mut todo = vec![from];
        while let Some(n) = todo.pop() {
            if n == to {
                return true;
            }
            if std::mem::replace(&mut seen[n], true) {
                continue;
            }
            todo.extend(self.edges.iter().filter(|e| e.from == n).map(|e| e.to));
        }
        false
    }

    /// Marks every edge that lies on a cycle: `u -> v` does when `u` can be
    /// reached from `v`.
    pub fn mark_cycles(&mut self) {
        for i in 0..self.edges.len() {
            let (from, to) = (self.edges[i].from, self.edges[i].to);
            self.edges[i].cycle = self.reaches(to, from);
        }
    }

    /// Whether some edge lies on a cycle.
    pub fn has_cycle(&self) -> bool {
        self.edges.iter().any(|e| e.cycle)
    }

    /// The edges of one cycle through `start`, in order, following marked
    /// edges in the order they were added.
    pub fn cycle_from(&self, start: usize) -> Option<Vec<&Edge>> {
        let mut path: Vec<&Edge> = Vec::new();
        let mut on_path = vec![false; self.nodes.len()];
        self.extend_cycle(start, start, &mut path, &mut on_path)
            .then_some(path)
    }

    fn extend_cycle<'a>(
        &'a self,
        at: usize,
        start: usize,
        path: &mut Vec<&'a Edge>,
        on_path: &mut [bool],
    ) -> bool {
        on_path[at] = true;
        for e in self.edges.iter().filter(|e| e.cycle && e.from == at) {
            path.push(e);
            if e.to == start || !on_path[e.to] && self.extend_cycle(e.to, start, path, on_path) {
                return true;
            }
            path.pop();
        }
        false
    }

    /// The cycle through [`Graph::start`] as one line of text:
    /// `sem1 --thread_a--> sem2 --thread_b--> sem1`. Functions are
    /// shortened by [`short_func`]; an edge without one is `-->`.
    pub fn cycle_text(&self) -> Option<String> {
        let start = self.start?;
        let cycle = self.cycle_from(start)?;
        let mut s = self.nodes[start].label.clone();
        for e in cycle {
            match &e.func {
                Some(f) => s.push_str(&format!(" --{}--> ", short_func(f))),
                None => s.push_str(" --> "),
            }
            s.push_str(&self.nodes[e.to].label);
        }
        Some(s)
    }
}

/// The function of a frame as a finding stores it
/// (`? deadlock_lab::thread_a+0xfa/0x30f [deadlock_lab]`), without the
/// unreliable marker, offset, module and compiler suffixes. `None` for a
/// bare address.
pub fn frame_func(frame: &str) -> Option<String> {
    let frame = frame.strip_prefix("? ").unwrap_or(frame);
    let func = &frame[..frame.find("+0x")?];
    (!func.is_empty()).then(|| strip_suffixes(func).to_string())
}

/// The function worth naming for a stack: the first reliable frame that is
/// not locking, scheduler or lockdep plumbing (the frame the readable
/// summary shows for a chain entry), passing over bare addresses.
pub fn stack_site(frames: &[String]) -> Option<String> {
    let mut rest = frames;
    while let Some(fr) = crate::render::readable_frame(rest) {
        if let Some(func) = frame_func(fr) {
            return Some(func);
        }
        let at = rest.iter().position(|f| std::ptr::eq(f, fr))?;
        rest = &rest[at + 1..];
    }
    None
}

/// The function that takes `lock`, which the report's task is acquiring
/// right now: its `at:` site, with a Rust binding shim replaced by its
/// caller on the report's stack (as for titles, [`Culprit::FirstLockSite`]).
/// `None` when the site is itself locking plumbing (`__flush_work`).
pub fn acquiring_site(f: &Finding, lock: &Lock) -> Option<String> {
    let at = frame_func(lock.at.as_deref()?)?;
    let stack: Vec<Frame> = f
        .frames
        .iter()
        .map(|s| Frame {
            text: s.trim_start_matches("? ").to_string(),
            func: frame_func(s),
            reliable: !s.starts_with("? "),
        })
        .collect();
    let ev = Evidence {
        first_site: Some(&at),
        stack: &stack,
        ..Evidence::default()
    };
    Culprit::FirstLockSite
        .choose(&ev)
        .filter(|func| !skipped(func))
}

/// A function as the text rendering names it: a plain Rust path
/// (`deadlock_lab::thread_a`) by its last segment; C functions and Rust
/// paths with generics or closures as they are.
pub fn short_func(func: &str) -> &str {
    let plain = func
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
    match func.rsplit_once("::") {
        Some((_, last)) if plain && !last.is_empty() => last,
        _ => func,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(classes: &[&str]) -> Graph {
        let mut g = Graph::default();
        let ids: Vec<usize> = classes.iter().map(|c| g.lock(c)).collect();
        for (i, &a) in ids.iter().enumerate() {
            let b = ids[(i + 1) % ids.len()];
            g.edge(a, b, Some(format!("m::f{i}")));
        }
        g
    }

    #[test]
    fn frames_give_their_function() {
        assert_eq!(
            frame_func("? deadlock_lab::thread_a+0xfa/0x30f [deadlock_lab]").as_deref(),
            Some("deadlock_lab::thread_a")
        );
        assert_eq!(frame_func("foo.isra.0+0x1/0x2").as_deref(), Some("foo"));
        assert_eq!(frame_func("0xffffffffc0001234"), None);
        assert_eq!(
            stack_site(&[
                "lock_acquire+0xda/0x1e0".into(),
                "_raw_spin_lock+0x2f/0x40".into(),
                "rust_helper_spin_lock+0xd/0x10".into(),
                "deadlock_irq::timer_tick+0x57/0xb1 [deadlock_irq]".into(),
            ])
            .as_deref(),
            Some("deadlock_irq::timer_tick")
        );
        assert_eq!(
            stack_site(&["0xffffffffc0001234".into(), "foo+0x1/0x2".into()]).as_deref(),
            Some("foo")
        );
        assert_eq!(short_func("deadlock_lab::thread_a"), "thread_a");
        assert_eq!(short_func("process_one_work"), "process_one_work");
        assert_eq!(
            short_func("<deadlock_lab::DeadlockLab>::spawn::{closure#0}"),
            "<deadlock_lab::DeadlockLab>::spawn::{closure#0}"
        );
    }

    #[test]
    fn cycles_are_marked_and_followed() {
        let mut g = ring(&["a", "b", "c"]);
        let d = g.lock("d");
        g.edge(0, d, None);
        g.mark_cycles();
        let marked: Vec<bool> = g.edges.iter().map(|e| e.cycle).collect();
        assert_eq!(marked, [true, true, true, false]);
        g.start = Some(1);
        assert_eq!(g.cycle_text().unwrap(), "b --f1--> c --f2--> a --f0--> b");
    }

    #[test]
    fn no_cycle_no_text() {
        let mut g = Graph::default();
        let (a, b) = (g.lock("a"), g.lock("b"));
        g.edge(a, b, None);
        g.mark_cycles();
        g.start = Some(a);
        assert!(!g.has_cycle());
        assert_eq!(g.cycle_text(), None);
        // A self-loop is a cycle.
        g.edge(b, b, Some("f".into()));
        g.mark_cycles();
        g.start = Some(b);
        assert_eq!(g.cycle_text().unwrap(), "b --f--> b");
    }
}
