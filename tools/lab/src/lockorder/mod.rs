// SPDX-License-Identifier: GPL-2.0
//! A lock-order contract from lockdep's own graph.
//!
//! Lockdep records, for each lock class, the classes taken while it was
//! held (`/proc/lockdep`: a class's line, then one ` -> [KEY] NAME` line
//! per direct dependency). The guest prints that graph for the module's
//! own classes, those whose key lies in the module area (a module's locks
//! are keyed by its statics), before it unloads the module (which drops
//! them): `lockdep_graph` in the scenarios' library, whose lines the
//! protocol carries as `@lockdep-class NAME` and `@lockdep-edge FROM TO`.
//! The keys print as addresses only with `no_hash_pointers`, which a boot
//! that reads the graph gets. A semaphore's own inner spinlock does not
//! count: every `down()` and `up()` takes it, so every class would lead to
//! it; the kernel names it `semaphore->lock` (`sema_init`) or `(NAME).lock`
//! (`DEFINE_SEMAPHORE(NAME)`), and classes of those names are left out.
//!
//! `make lock-order` writes the graph the scenarios that expect no lockdep
//! report showed, as a file of the lab's format:
//!
//! ```text
//! {"classes": ["c_sem1", "c_sem2"], "edges": [{"from": "c_sem1", "to": "c_sem2"}]}
//! ```
//!
//! and a declaration's `"lock_order": "FILE"` holds its scenario to one: it
//! fails on any edge lockdep recorded between the module's classes that the
//! file lacks, before any cycle has to close. A file whose edges form a
//! cycle, or name a class it does not list, is refused before any boot.

mod run;

pub use run::run;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::Error;

/// One dependency: `to` was taken while `from` was held.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edge {
    pub from: String,
    pub to: String,
}

/// A lock order: the classes, and the edges allowed between them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockOrder {
    pub classes: Vec<String>,
    pub edges: Vec<Edge>,
}

impl LockOrder {
    /// Reads and checks a lock-order file.
    pub fn load(path: &Path) -> Result<LockOrder, Error> {
        let at = |e: String| Error::new(format!("{}: {e}", path.display()));
        let text = std::fs::read_to_string(path).map_err(|e| at(e.to_string()))?;
        let order: LockOrder = serde_json::from_str(&text).map_err(|e| at(e.to_string()))?;
        order.check().map_err(at)?;
        Ok(order)
    }

    /// Every edge names a listed class, and the edges form no cycle.
    pub fn check(&self) -> Result<(), String> {
        for e in &self.edges {
            for c in [&e.from, &e.to] {
                if !self.classes.contains(c) {
                    return Err(format!(
                        "the edge {} -> {} names {c:?}, which \"classes\" does not list",
                        e.from, e.to
                    ));
                }
            }
        }
        match self.cycle() {
            Some(c) => Err(format!(
                "the edges form a cycle, {}: a lock order has none",
                c.join(" -> ")
            )),
            None => Ok(()),
        }
    }

    /// A cycle of the edges, as the classes along it (the first again at
    /// the end), if there is one.
    pub fn cycle(&self) -> Option<Vec<String>> {
        let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for e in &self.edges {
            next.entry(&e.from).or_default().push(&e.to);
        }
        // Depth first, with the path so far: a class met again on the path
        // closes a cycle.
        fn walk<'a>(
            at: &'a str,
            next: &BTreeMap<&'a str, Vec<&'a str>>,
            path: &mut Vec<&'a str>,
            done: &mut BTreeSet<&'a str>,
        ) -> Option<Vec<String>> {
            if let Some(i) = path.iter().position(|p| *p == at) {
                let mut c: Vec<String> = path[i..].iter().map(|s| s.to_string()).collect();
                c.push(at.to_string());
                return Some(c);
            }
            if !done.insert(at) {
                return None;
            }
            path.push(at);
            for n in next.get(at).into_iter().flatten() {
                if let Some(c) = walk(n, next, path, done) {
                    return Some(c);
                }
            }
            path.pop();
            None
        }
        let mut done = BTreeSet::new();
        for c in &self.classes {
            if let Some(cy) = walk(c, &next, &mut Vec::new(), &mut done) {
                return Some(cy);
            }
        }
        None
    }

    /// Whether a class is a semaphore's inner spinlock (see the module's
    /// documentation).
    pub fn is_semaphore_internal(class: &str) -> bool {
        class == "semaphore->lock"
            || class
                .strip_prefix('(')
                .and_then(|r| r.strip_suffix(").lock"))
                .is_some_and(|n| !n.contains(['(', ')']))
    }

    /// The order without semaphores' inner spinlocks.
    pub fn without_semaphore_internals(&self) -> LockOrder {
        let keep = |c: &String| !LockOrder::is_semaphore_internal(c);
        LockOrder {
            classes: self.classes.iter().filter(|c| keep(c)).cloned().collect(),
            edges: self
                .edges
                .iter()
                .filter(|e| keep(&e.from) && keep(&e.to))
                .cloned()
                .collect(),
        }
    }

    /// Adds what another observation saw.
    pub fn merge(&mut self, other: &LockOrder) {
        for c in &other.classes {
            if !self.classes.contains(c) {
                self.classes.push(c.clone());
            }
        }
        for e in &other.edges {
            if !self.edges.contains(e) {
                self.edges.push(e.clone());
            }
        }
        self.classes.sort();
        self.edges.sort();
    }

    /// The edges `observed` has that this order lacks.
    pub fn missing<'a>(&self, observed: &'a LockOrder) -> Vec<&'a Edge> {
        observed
            .edges
            .iter()
            .filter(|e| !self.edges.contains(e))
            .collect()
    }

    /// As a Graphviz graph.
    pub fn dot(&self, title: &str) -> String {
        let mut s = format!(
            "digraph \"{}\" {{\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n",
            title.replace('"', "'")
        );
        for c in &self.classes {
            s.push_str(&format!("  \"{c}\";\n"));
        }
        for e in &self.edges {
            s.push_str(&format!("  \"{}\" -> \"{}\";\n", e.from, e.to));
        }
        s.push_str("}\n");
        s
    }
}

/// The levels of the typed lock order a crate root declares
/// (`lock_order!(Unlocked => Sem1 => Sem2)`), as the lock classes they
/// stand for (`sem1`, `sem2`: a level is named after its lock), first to
/// last; `Unlocked`, which holds no lock, left out.
pub fn typed_levels(source: &str) -> Option<Vec<String>> {
    let at = source.find("lock_order!(")?;
    let inner = source[at + "lock_order!(".len()..].split(')').next()?;
    Some(
        inner
            .split("=>")
            .map(|l| l.trim())
            .filter(|l| *l != "Unlocked" && !l.is_empty())
            .map(|l| l.to_lowercase())
            .collect(),
    )
}

/// Where a typed order and a contract disagree: an edge of the contract
/// between two typed levels that goes down the order, or two consecutive
/// levels the contract does not connect.
pub fn typed_disagreement(levels: &[String], order: &LockOrder) -> Vec<String> {
    let mut out = Vec::new();
    let level = |c: &str| levels.iter().position(|l| l == c);
    for e in &order.edges {
        if let (Some(a), Some(b)) = (level(&e.from), level(&e.to)) {
            if a >= b {
                out.push(format!(
                    "{} goes down the typed order {}",
                    e.words(),
                    levels.join(" => ")
                ));
            }
        }
    }
    for w in levels.windows(2) {
        let e = Edge {
            from: w[0].clone(),
            to: w[1].clone(),
        };
        if !order.edges.contains(&e) {
            out.push(format!(
                "the typed order takes {}, which the contract lacks",
                e.words()
            ));
        }
    }
    out
}

impl Edge {
    pub fn words(&self) -> String {
        format!("{} -> {}", self.from, self.to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(edges: &[(&str, &str)]) -> LockOrder {
        let mut o = LockOrder::default();
        for (a, b) in edges {
            o.merge(&LockOrder {
                classes: vec![a.to_string(), b.to_string()],
                edges: vec![Edge {
                    from: a.to_string(),
                    to: b.to_string(),
                }],
            });
        }
        o
    }

    #[test]
    fn cycles_are_named() {
        assert!(order(&[("a", "b"), ("b", "c")]).check().is_ok());
        let e = order(&[("a", "b"), ("b", "c"), ("c", "a")])
            .check()
            .unwrap_err();
        assert!(e.contains("cycle, a -> b -> c -> a"), "{e}");
        let mut unknown = order(&[("a", "b")]);
        unknown.classes.retain(|c| c != "b");
        assert!(unknown.check().unwrap_err().contains("names \"b\""));
    }

    #[test]
    fn a_typed_order_against_a_contract() {
        let src = "use x;\nlock_order!(Unlocked => Sem1 => Sem2);\n";
        let levels = typed_levels(src).unwrap();
        assert_eq!(levels, ["sem1", "sem2"]);
        assert!(
            typed_disagreement(&levels, &order(&[("sem1", "sem2"), ("sem2", "sem3")])).is_empty()
        );
        let d = typed_disagreement(&levels, &order(&[("sem2", "sem1")]));
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(typed_levels("no order here").is_none());
    }

    #[test]
    fn what_the_contract_lacks() {
        let contract = order(&[("c_sem1", "c_sem2")]);
        let seen = order(&[("c_sem1", "c_sem2"), ("c_sem2", "c_sem3")]);
        let m: Vec<String> = contract.missing(&seen).iter().map(|e| e.words()).collect();
        assert_eq!(m, ["c_sem2 -> c_sem3"]);
        assert!(contract.missing(&contract).is_empty());
        let with_inner = order(&[
            ("c_sem1", "c_sem2"),
            ("c_sem1", "(sem1).lock"),
            ("sem1", "semaphore->lock"),
        ]);
        let plain = with_inner.without_semaphore_internals();
        assert_eq!(plain.classes, ["c_sem1", "c_sem2", "sem1"]);
        assert_eq!(plain.edges, order(&[("c_sem1", "c_sem2")]).edges);
    }
}
