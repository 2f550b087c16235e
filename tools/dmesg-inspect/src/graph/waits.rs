// SPDX-License-Identifier: GPL-2.0
//! The wait-for graph of the hung tasks of a log.
//!
//! With `CONFIG_DETECT_HUNG_TASK_BLOCKER` the hung-task detector says what
//! a task is blocked on and which task likely holds it (`blocked on a
//! semaphore likely last held by task NAME:PID`). Every such line adds the
//! edges task -> lock -> holder; all hung tasks of the log together show
//! who waits for whom, and a deadlock as a cycle. A hung task without a
//! blocker line that sleeps in `wait_for_completion()` waits on a
//! completion: a node with no holder, since a completion has no owner for
//! the kernel to name (whoever would signal it is not recorded anywhere).
//!
//! The lock is named by its class when lockdep's held-lock lists of the
//! hung-task rounds show it: the last lock listed for the waiting task
//! (lockdep lists a lock while it is being acquired) when the holder holds
//! that class too (the same instance, when both addresses are printed).
//! Failing that, by what the waiting task said of itself: a lockdep report's
//! own lines (the task is trying to acquire one lock and holds others), and
//! the [`Claim`]s of the log (`TASK: waiting for LOCK`, `TASK: holding
//! LOCK`): the lock it waits for (of several, the one its holder said it
//! holds). Lockdep
//! turns itself off after its first report and prints no held locks after
//! it, so these are often all there is. Otherwise the lock is known only by
//! its primitive (`semaphore`), one node per holder. A holder that later reported exiting with locks held
//! (`held_lock_exit`) is marked as such, and the waits that lead to it are
//! highlighted as a cycle is: nothing it holds will be released by it.
//!
//! Memory is bounded: the first [`MAX_WAITS`] waiting tasks and the
//! held-lock lists of the first [`MAX_TASKS`] tasks are kept.

use crate::model::{BlockedOn, Claim, Finding, Kind, Task};

use super::{Graph, NodeKind};

/// A class without lockdep's `/subclass` suffix.
fn base_class(c: &str) -> &str {
    match c.rsplit_once('/') {
        Some((b, n)) if !b.is_empty() && n.bytes().all(|x| x.is_ascii_digit()) => b,
        _ => c,
    }
}

/// What a hung task in `wait_for_completion()` waits on. The kernel prints
/// no blocker line for it: a completion has no owner to name.
pub const COMPLETION: &str = "completion";

/// Whether a hung task without a blocker line sleeps in a wait for a
/// completion (`wait_for_completion()` and its variants, on the reliable
/// part of its stack).
fn waits_for_completion(f: &Finding) -> bool {
    f.frames
        .iter()
        .filter(|fr| !fr.starts_with("? "))
        .any(|fr| {
            super::frame_func(fr).is_some_and(|func| {
                func.starts_with("wait_for_completion") || func == "__wait_for_common"
            })
        })
}

/// Waiting tasks kept.
pub const MAX_WAITS: usize = 256;
/// Tasks whose held-lock lists (or locks held at exit) are kept.
pub const MAX_TASKS: usize = 256;
/// Finding numbers kept for the graph's label.
const MAX_NUMBERS: usize = 8;

/// One blocker line.
#[derive(Debug, Clone)]
struct Wait {
    waiter: Task,
    primitive: String,
    holder: Option<Task>,
    waiting_as: Option<String>,
    held_as: Option<String>,
}

/// Locks listed for one task: `(class, instance)`.
type HeldList = (Task, Vec<(String, Option<String>)>);

/// What the graph says of a wait whose holder is not named.
fn no_holder(w: &Wait) -> &'static str {
    match w.primitive == COMPLETION {
        true => "no holder: a completion has no owner",
        false => "holder not found",
    }
}

/// The wait-for graph, built finding by finding.
#[derive(Debug, Clone, Default)]
pub struct WaitFor {
    waits: Vec<Wait>,
    held: Vec<HeldList>,
    exited: Vec<(Task, Vec<String>)>,
    numbers: Vec<u64>,
    findings: u64,
    /// What tasks said they hold (true) or wait for, by task name.
    claims: Vec<(String, String, bool)>,
}

impl WaitFor {
    /// Takes what finding number `n` says about waiting and holding tasks.
    /// Returns whether the finding is part of the wait-for graph (a hung
    /// task with a blocker line).
    pub fn add(&mut self, n: u64, f: &Finding) -> bool {
        match f.kind {
            Kind::HungTask => {
                for l in f.locks.iter().filter(|l| l.role == "held") {
                    if let Some(h) = &l.holder {
                        let i = match self.held.iter().position(|(t, _)| t == h) {
                            Some(i) => i,
                            None if self.held.len() < MAX_TASKS => {
                                self.held.push((h.clone(), Vec::new()));
                                self.held.len() - 1
                            }
                            None => continue,
                        };
                        let entry = (l.class.clone(), l.instance.clone());
                        if !self.held[i].1.contains(&entry) {
                            self.held[i].1.push(entry);
                        }
                    }
                }
                let Some(waiter) = f.tasks.first() else {
                    return false;
                };
                let completion;
                let b = match &f.blocked_on {
                    Some(b) => b,
                    None if waits_for_completion(f) => {
                        completion = BlockedOn {
                            primitive: COMPLETION.to_string(),
                            task: None,
                            waiting_as: None,
                            held_as: None,
                            frames: Vec::new(),
                        };
                        &completion
                    }
                    None => return false,
                };
                self.findings += 1;
                if self.numbers.len() < MAX_NUMBERS {
                    self.numbers.push(n);
                }
                if self.waits.len() < MAX_WAITS && !self.waits.iter().any(|w| &w.waiter == waiter) {
                    self.waits.push(Wait {
                        waiter: waiter.clone(),
                        primitive: b.primitive.clone(),
                        holder: b.task.clone(),
                        waiting_as: b.waiting_as.clone(),
                        held_as: b.held_as.clone(),
                    });
                }
                true
            }
            Kind::Circular | Kind::Recursive => {
                // The reporting task waits for the lock it is acquiring and
                // holds the others it lists.
                if let Some(t) = f.tasks.first() {
                    for l in &f.locks {
                        match l.role.as_str() {
                            "acquiring" => self.claim(&t.name, &l.class, false),
                            "held" if l.holder.as_ref().is_none_or(|h| h == t) => {
                                self.claim(&t.name, &l.class, true)
                            }
                            _ => {}
                        }
                    }
                }
                false
            }
            Kind::HeldLockExit => {
                if let Some(t) = f.tasks.first() {
                    if self.exited.len() < MAX_TASKS && !self.exited.iter().any(|(e, _)| e == t) {
                        let classes = f.locks.iter().map(|l| l.class.clone()).collect();
                        self.exited.push((t.clone(), classes));
                    }
                }
                false
            }
            _ => false,
        }
    }

    /// Takes the log's claims (see [`Claim`]).
    pub fn claims(&mut self, claims: &[Claim]) {
        for c in claims {
            self.claim(&c.task, &c.lock, c.holds);
        }
    }

    fn claim(&mut self, task: &str, lock: &str, holds: bool) {
        let entry = (task.to_string(), base_class(lock).to_string(), holds);
        if self.claims.len() < MAX_TASKS * 4 && !self.claims.contains(&entry) {
            self.claims.push(entry);
        }
    }

    /// Numbers of the findings the graph was built from (the first few),
    /// and how many there were.
    pub fn findings(&self) -> (&[u64], u64) {
        (&self.numbers, self.findings)
    }

    fn held_by(&self, t: &Task) -> &[(String, Option<String>)] {
        self.held
            .iter()
            .find(|(h, _)| h == t)
            .map_or(&[], |(_, l)| l.as_slice())
    }

    /// Class of the lock `w` waits for, when the held-lock lists show it, or
    /// else what the waiter and the holder said.
    fn class(&self, w: &Wait) -> Option<&str> {
        self.listed_class(w).or_else(|| self.claimed_class(w))
    }

    /// The lock the waiter said it waits for (the blocker line says who holds
    /// that one); of several, the one the holder said it holds.
    fn claimed_class(&self, w: &Wait) -> Option<&str> {
        let waited: Vec<&String> = self
            .claims
            .iter()
            .filter(|(t, _, holds)| *t == w.waiter.name && !holds)
            .map(|(_, l, _)| l)
            .collect();
        let held = |l: &&String| {
            w.holder.as_ref().is_some_and(|h| {
                self.claims
                    .iter()
                    .any(|(t, c, holds)| *t == h.name && *holds && c == *l)
            })
        };
        match waited[..] {
            [one] => Some(one.as_str()),
            _ => waited.into_iter().find(held).map(String::as_str),
        }
    }

    fn listed_class(&self, w: &Wait) -> Option<&str> {
        let (class, inst) = self.held_by(&w.waiter).last()?;
        let same = |(c, i): &(String, Option<String>)| {
            c == class && (i.is_none() || inst.is_none() || i == inst)
        };
        self.held_by(w.holder.as_ref()?)
            .iter()
            .any(same)
            .then_some(class.as_str())
    }

    fn exited(&self, t: &Task) -> Option<&[String]> {
        self.exited
            .iter()
            .find(|(e, _)| e == t)
            .map(|(_, l)| l.as_slice())
    }

    fn task(&self, g: &mut Graph, t: &Task) -> usize {
        let i = g.node(&format!("task:{t}"), NodeKind::Task, &t.to_string());
        if g.nodes[i].detail.is_empty() {
            if let Some(locks) = self.exited(t) {
                let s = format!("exited with locks held: {}", locks.join(", "));
                g.nodes[i].detail.push(s);
            }
        }
        i
    }

    /// The graph: hung task -> lock -> holder for every blocker line, with
    /// its cycles marked; `None` without blocker lines.
    pub fn graph(&self) -> Option<Graph> {
        if self.waits.is_empty() {
            return None;
        }
        let mut g = Graph::default();
        for w in &self.waits {
            let t = self.task(&mut g, &w.waiter);
            if !g.nodes[t].detail.iter().any(|d| d == "hung task") {
                g.nodes[t].detail.insert(0, "hung task".into());
            }
            let holder = w.holder.as_ref().map_or("-".to_string(), Task::to_string);
            let l = match self.class(w) {
                Some(c) => {
                    let l = g.lock(c);
                    if g.nodes[l].detail.is_empty() {
                        g.nodes[l].detail.push(w.primitive.clone());
                        if w.holder.is_none() {
                            g.nodes[l].detail.push(no_holder(w).into());
                        }
                    }
                    l
                }
                None => {
                    let key = match &w.holder {
                        Some(_) => format!("{}:{holder}", w.primitive),
                        None => format!("{}:waited by {}", w.primitive, w.waiter),
                    };
                    let l = g.node(&key, NodeKind::Lock, &w.primitive);
                    if w.holder.is_none() && g.nodes[l].detail.is_empty() {
                        g.nodes[l].detail.push(no_holder(w).into());
                    }
                    l
                }
            };
            // A lock whose holder exited will not be released by it: the
            // waits that lead there are the problem, as a cycle would be.
            let leaked = w.holder.as_ref().is_some_and(|h| self.exited(h).is_some());
            let e = g.edge(t, l, None);
            e.label = Some(match &w.waiting_as {
                Some(how) => format!("waits as {how}"),
                None => "waits".into(),
            });
            e.highlight = leaked;
            if let Some(h) = &w.holder {
                let h = self.task(&mut g, h);
                let verb = if w.primitive == "semaphore" {
                    "last held"
                } else {
                    "owned"
                };
                let e = g.edge(l, h, None);
                e.label = Some(match &w.held_as {
                    Some(how) => format!("{verb} as {how} by"),
                    None => format!("{verb} by"),
                });
                e.highlight = leaked;
            }
        }
        g.mark_cycles();
        g.start = g.edges.iter().find(|e| e.cycle).map(|e| e.from);
        Some(g)
    }

    /// The waits that follow `w` (the holder's own wait, and so on), and
    /// whether they lead back to `w`'s task.
    fn walk<'a>(&'a self, w: &'a Wait) -> (Vec<&'a Wait>, bool) {
        let mut path = vec![w];
        let mut cur = w;
        while let Some(h) = &cur.holder {
            if h == &w.waiter {
                return (path, true);
            }
            match self.waits.iter().find(|n| &n.waiter == h) {
                Some(n) if !path.iter().any(|p| p.waiter == n.waiter) => {
                    path.push(n);
                    cur = n;
                }
                _ => break,
            }
        }
        (path, false)
    }

    /// One step of a text line: `semaphore (held by deadlock_lab_b/61)`, or
    /// for a rw-semaphore `map_lock as writer (held by reader/62 as reader)`:
    /// which side each task is on.
    fn step(&self, w: &Wait) -> String {
        let lock = self.class(w).unwrap_or(&w.primitive);
        let side =
            |how: &Option<String>| how.as_ref().map_or(String::new(), |a| format!(" as {a}"));
        let (waits, held) = (side(&w.waiting_as), side(&w.held_as));
        match &w.holder {
            Some(h) if self.exited(h).is_some() => {
                format!("{lock}{waits} (held by {h}{held}, exited with locks held)")
            }
            Some(h) => format!("{lock}{waits} (held by {h}{held})"),
            None => format!("{lock}{waits} ({})", no_holder(w)),
        }
    }

    /// The `wait-for` lines of the readable summary: every cycle, from its
    /// first hung task; and every chain from a task nobody waits for that
    /// tells more than the task's own `waits on` line (two steps or more,
    /// or a holder that exited with locks held).
    pub fn lines(&self) -> Vec<String> {
        let line = |path: &[&Wait]| {
            let steps: Vec<String> = path.iter().map(|w| self.step(w)).collect();
            format!("{} -> {}", path[0].waiter, steps.join(" -> "))
        };
        let mut out = Vec::new();
        let mut on_cycle: Vec<&Task> = Vec::new();
        for w in &self.waits {
            if on_cycle.contains(&&w.waiter) {
                continue;
            }
            let (path, cycle) = self.walk(w);
            if cycle {
                on_cycle.extend(path.iter().map(|p| &p.waiter));
                out.push(line(&path));
            }
        }
        for w in &self.waits {
            let waited_for = self
                .waits
                .iter()
                .any(|o| o.holder.as_ref() == Some(&w.waiter));
            if on_cycle.contains(&&w.waiter) || waited_for {
                continue;
            }
            let (path, _) = self.walk(w);
            let last = path[path.len() - 1];
            let exited = last
                .holder
                .as_ref()
                .is_some_and(|h| self.exited(h).is_some());
            if path.len() > 1 || exited {
                out.push(line(&path));
            }
        }
        out
    }
}
