// SPDX-License-Identifier: GPL-2.0
//! The lock graph of one lockdep finding.
//!
//! - `circular`: the lock classes of the report; an edge `A -> B` for every
//!   dependency (`B` taken while `A` was held), labelled with the function
//!   that recorded it. The new dependency (held -> acquiring) is labelled
//!   with the acquiring lock's `at:` site; a chain entry `-> #N (B)` is the
//!   dependency from entry `#N-1`'s class to `B`, labelled with the first
//!   function of its stack that is not locking plumbing; entry `#0` is the
//!   acquiring lock itself. When the chain was not printed in full, the
//!   `Chain exists of:` line fills the gap with dashed edges.
//! - `recursive`: the lock with a self-loop, labelled with both sites.
//! - `inconsistent`: the lock with its two conflicting usages, each an
//!   edge from the function that used the lock that way.
//! - `irq_inversion`: the irq-safe and the irq-unsafe lock, the dependency
//!   between them and the interrupt that closes the cycle.
//! - `held_lock_*` and `bad_unlock`: the task and the locks it holds, frees
//!   or releases.
//!
//! Other kinds have no lock graph (hung tasks have the wait-for graph of
//! [`super::waits`]).

use crate::model::{ChainEntry, Finding, Kind, Lock};

use super::{acquiring_site, frame_func, stack_site, Graph, Line, NodeKind};

/// The lock graph of `f`, with its cycle edges marked; `None` for kinds
/// without one, or when the report was cut before its locks.
pub fn graph(f: &Finding) -> Option<Graph> {
    let mut g = Graph::default();
    match f.kind {
        Kind::Circular => circular(f, &mut g),
        Kind::Recursive => recursive(f, &mut g),
        Kind::Inconsistent => inconsistent(f, &mut g),
        Kind::IrqInversion => irq_inversion(f, &mut g),
        Kind::HeldLockExit | Kind::HeldLockReturn | Kind::HeldLockFreed | Kind::BadUnlock => {
            task_locks(f, &mut g)
        }
        Kind::HungTask | Kind::SoftLockup | Kind::Other => {}
    }
    if g.nodes.is_empty() {
        return None;
    }
    g.mark_cycles();
    Some(g)
}

/// The `cycle` line of the readable summary: the cycle of the finding's
/// lock graph, from the held lock (circular), the lock (recursive) or the
/// irq-safe lock (irq inversion). `None` when no cycle is known.
pub fn cycle_line(f: &Finding) -> Option<String> {
    graph(f)?.cycle_text()
}

fn with_role<'a>(f: &'a Finding, role: &str) -> Option<&'a Lock> {
    f.locks.iter().find(|l| l.role == role)
}

/// Function of a lock's `at:` site as printed.
fn at_func(lock: &Lock) -> Option<String> {
    lock.at.as_deref().and_then(frame_func)
}

fn circular(f: &Finding, g: &mut Graph) {
    let held = with_role(f, "held");
    let acquiring = with_role(f, "acquiring");
    let entry = |n: u32| f.chain.iter().find(|e| e.index == n);
    let top = f.chain.iter().max_by_key(|e| e.index);
    // The held lock is the chain's last class, the acquiring one its #0.
    let held_class = held.map(|l| &l.class).or(top.map(|e| &e.class));
    let acq_class = acquiring.map(|l| &l.class).or(entry(0).map(|e| &e.class));
    if let Some(h) = held_class {
        g.start = Some(g.lock(h));
    }
    if let (Some(h), Some(a)) = (held_class, acq_class) {
        let (h, a) = (g.lock(h), g.lock(a));
        // The new dependency: where the acquiring lock is being taken, or
        // else the first telling frame of the current stack (entry #0).
        let site = acquiring
            .and_then(|l| acquiring_site(f, l))
            .or_else(|| entry(0).and_then(|e| stack_site(&e.frames)));
        g.edge(h, a, site);
    }
    // In cycle order: from the acquiring lock (#0) back to the held one.
    let mut chain: Vec<&ChainEntry> = f.chain.iter().collect();
    chain.sort_by_key(|e| e.index);
    for e in chain {
        let to = g.lock(&e.class);
        if let Some(prev) = e.index.checked_sub(1).and_then(entry) {
            let from = g.lock(&prev.class);
            g.edge(from, to, stack_site(&e.frames));
        }
    }
    let summary = f.scenario.iter().flat_map(|s| &s.chain_exists_of);
    let classes: Vec<usize> = summary.map(|c| g.lock(c)).collect();
    g.mark_cycles();
    if !g.has_cycle() {
        for w in classes.windows(2) {
            g.edge(w[0], w[1], None).line = Line::Dashed;
        }
    }
}

fn recursive(f: &Finding, g: &mut Graph) {
    let Some(acquiring) = with_role(f, "acquiring") else {
        return;
    };
    let a = g.lock(&acquiring.class);
    let site = acquiring_site(f, acquiring).or_else(|| at_func(acquiring));
    let held = with_role(f, "held");
    let h = held.map_or(a, |l| g.lock(&l.class));
    g.start = Some(h);
    let held_site = held.and_then(at_func);
    let label = match (&held_site, &site) {
        (Some(h), Some(a)) => Some(format!("taken at {h}\nagain at {a}")),
        _ => None,
    };
    g.edge(h, a, site).label = label;
}

/// `(previous, new)` usage of an inconsistent lock state, from the
/// `inconsistent {PREV} -> {NEW} usage.` line the parser keeps as a note,
/// else the previous one from the label of its usage trace.
fn usages(f: &Finding) -> (Option<String>, Option<String>) {
    let braced = |s: &str| -> Option<String> {
        let s = s.trim().strip_prefix('{')?;
        Some(s[..s.find('}')?].to_string())
    };
    for n in &f.notes {
        if let Some((prev, new)) = n
            .strip_prefix("inconsistent ")
            .and_then(|s| s.split_once(" -> "))
        {
            return (braced(prev), braced(new));
        }
    }
    let prev = f.other_stacks.first().and_then(|s| braced(&s.label));
    (prev, None)
}

fn inconsistent(f: &Finding, g: &mut Graph) {
    let Some(lock) = with_role(f, "acquiring") else {
        return;
    };
    let l = g.lock(&lock.class);
    let (prev, new) = usages(f);
    let prev_site = f.other_stacks.first().and_then(|s| stack_site(&s.frames));
    let new_site = acquiring_site(f, lock).or_else(|| stack_site(&f.frames));
    for (key, usage, site) in [("site:prev", prev, prev_site), ("site:new", new, new_site)] {
        let Some(usage) = usage else { continue };
        let site = site.unwrap_or_else(|| "(site not printed)".to_string());
        let s = g.node(key, NodeKind::Site, &site);
        let e = g.edge(s, l, None);
        e.label = Some(usage);
        e.highlight = true;
    }
}

/// Class of the first `lock(CLASS);` cell of a scenario row.
fn locked_class(row: &[String]) -> Option<&str> {
    row.iter().find_map(|c| {
        c.trim()
            .strip_prefix("lock(")
            .and_then(|c| c.strip_suffix(");"))
    })
}

/// `(irq-safe, irq-unsafe)` classes of an irq inversion: the `irq_safe` and
/// `irq_unsafe` locks of a safe -> unsafe report; for an inversion report,
/// the scenario: the unsafe lock is taken first, the safe one after
/// `<Interrupt>`.
fn safe_unsafe(f: &Finding) -> Option<(String, String)> {
    if let (Some(s), Some(u)) = (with_role(f, "irq_safe"), with_role(f, "irq_unsafe")) {
        return Some((s.class.clone(), u.class.clone()));
    }
    let rows = &f.scenario.as_ref()?.rows;
    let unsafe_class = rows.iter().find_map(|r| locked_class(r))?;
    let irq = rows
        .iter()
        .position(|r| r.iter().any(|c| c.trim() == "<Interrupt>"))?;
    let safe_class = rows[irq + 1..].iter().find_map(|r| locked_class(r))?;
    Some((safe_class.to_string(), unsafe_class.to_string()))
}

fn irq_inversion(f: &Finding, g: &mut Graph) {
    let Some((safe, unsafe_)) = safe_unsafe(f) else {
        for l in &f.locks {
            g.lock(&l.class);
        }
        return;
    };
    let (s, u) = (g.lock(&safe), g.lock(&unsafe_));
    g.start = Some(s);
    match (with_role(f, "held"), with_role(f, "acquiring")) {
        // safe -> unsafe order detected: the new dependency, and the
        // dependencies that lead from the safe lock to it and from it to
        // the unsafe lock.
        (Some(held), Some(acquiring)) if with_role(f, "irq_safe").is_some() => {
            let (h, a) = (g.lock(&held.class), g.lock(&acquiring.class));
            g.edge(h, a, acquiring_site(f, acquiring));
            if s != h {
                g.edge(s, h, None).line = Line::Dashed;
            }
            if a != u {
                g.edge(a, u, None).line = Line::Dashed;
            }
        }
        // Inversion: the shortest path between the two locks, printed from
        // the other lock to the one that changed state; each entry's stack
        // recorded the dependency between it and the next entry.
        _ => path(g, &f.chain, s, u),
    }
    let e = g.edge(u, s, Some("interrupt".into()));
    e.line = Line::Dotted;
    e.label = Some(match irq_usage(f, &safe) {
        Some((usage, Some(site))) => format!("interrupt\n{usage} at {site}"),
        Some((usage, None)) => format!("interrupt\n{usage}"),
        None => "interrupt".into(),
    });
}

/// Dependency edges of an irq inversion's shortest path.
fn path(g: &mut Graph, chain: &[ChainEntry], s: usize, u: usize) {
    let ids: Vec<usize> = chain.iter().map(|e| g.lock(&e.class)).collect();
    if ids.len() < 2 {
        g.edge(s, u, None).line = Line::Dashed;
        return;
    }
    // The path runs from the unsafe lock back to the safe one when it
    // starts at the unsafe lock (a forward search from the safe lock), and
    // from the safe lock on otherwise.
    let backwards = ids[0] == u;
    for (i, e) in chain.iter().enumerate().take(ids.len() - 1) {
        let (from, to) = if backwards {
            (ids[i + 1], ids[i])
        } else {
            (ids[i], ids[i + 1])
        };
        g.edge(from, to, stack_site(&e.frames));
    }
}

/// How the irq-safe lock was used in interrupt context, and where:
/// `IN-HARDIRQ-W` and its site from a `CLASS: IN-HARDIRQ-W at` trace, else
/// `HARDIRQ-irq-safe` from a `... which became HARDIRQ-irq-safe at` trace.
fn irq_usage(f: &Finding, safe: &str) -> Option<(String, Option<String>)> {
    let traces = || {
        f.other_stacks
            .iter()
            .filter_map(|st| Some((st.label.strip_suffix(" at")?, st)))
    };
    let in_irq = traces().find_map(|(label, st)| {
        let usage = label.strip_prefix(safe)?.strip_prefix(": ")?;
        usage.starts_with("IN-").then_some((usage, st))
    });
    let (usage, st) = in_irq.or_else(|| {
        traces().find_map(|(label, st)| {
            let usage = label.strip_prefix("... which became ")?;
            usage.ends_with("-irq-safe").then_some((usage, st))
        })
    })?;
    Some((usage.to_string(), stack_site(&st.frames)))
}

fn task_locks(f: &Finding, g: &mut Graph) {
    let Some(task) = f.tasks.first() else {
        return;
    };
    let t = g.node(&format!("task:{task}"), NodeKind::Task, &task.to_string());
    let detail = match f.kind {
        Kind::HeldLockExit => "exited with locks held",
        Kind::HeldLockReturn => "returned to user space with locks held",
        _ => "",
    };
    if !detail.is_empty() {
        g.nodes[t].detail.push(detail.into());
    }
    let own = |l: &&Lock| l.holder.as_ref().is_none_or(|h| h == task);
    for lock in f.locks.iter().filter(own) {
        let (verb, site) = match lock.role.as_str() {
            "held" => ("holds", "taken at"),
            "freed" => ("frees it while held", "taken at"),
            "releasing" => ("releases it, not held", "at"),
            _ => continue,
        };
        let l = g.lock(&lock.class);
        let label = match at_func(lock) {
            Some(func) => format!("{verb}\n{site} {func}"),
            None => verb.to_string(),
        };
        let e = g.edge(t, l, None);
        e.label.get_or_insert(label);
    }
}
