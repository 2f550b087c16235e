// SPDX-License-Identifier: GPL-2.0
//! The graphs of `--dot` and the `cycle`/`wait-for` lines, pinned by hand
//! for the real deadlock-lab logs and for hand-written reports of other
//! code: every node, every edge with its label, and which edges lie on the
//! cycle.

use std::fs;
use std::path::Path;

use dmesg_inspect::graph::waits::WaitFor;
use dmesg_inspect::graph::{locks, Graph, Line};
use dmesg_inspect::{parse_bytes, Finding, Kind, Report};

fn parse(name: &str) -> Report {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format!("{name}.log"));
    parse_bytes(&fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// `label (detail; ...)` of every node, in order.
fn nodes(g: &Graph) -> Vec<String> {
    g.nodes
        .iter()
        .map(|n| match n.detail.is_empty() {
            true => n.label.clone(),
            false => format!("{} ({})", n.label, n.detail.join("; ")),
        })
        .collect()
}

/// `from -> to [label] dashed|dotted cycle|highlight` of every edge, with
/// the label's lines joined by ` / `.
fn edges(g: &Graph) -> Vec<String> {
    g.edges
        .iter()
        .map(|e| {
            let mut s = format!("{} -> {}", g.nodes[e.from].label, g.nodes[e.to].label);
            if let Some(t) = e.text() {
                s.push_str(&format!(" [{}]", t.replace('\n', " / ")));
            }
            match e.line {
                Line::Solid => {}
                Line::Dashed => s.push_str(" dashed"),
                Line::Dotted => s.push_str(" dotted"),
            }
            if e.cycle {
                s.push_str(" cycle");
            }
            if e.highlight {
                s.push_str(" highlight");
            }
            s
        })
        .collect()
}

fn lock_graph(f: &Finding) -> Graph {
    locks::graph(f).unwrap_or_else(|| panic!("no graph for {f:#?}"))
}

fn wait_for(r: &Report) -> WaitFor {
    let mut w = WaitFor::default();
    for (i, f) in r.findings.iter().enumerate() {
        w.add(i as u64 + 1, f);
    }
    w
}

#[test]
fn inverted_abba_and_its_hung_tasks() {
    let r = parse("real_inverted");
    let g = lock_graph(&r.findings[0]);
    assert_eq!(nodes(&g), ["sem1", "sem2"]);
    assert_eq!(
        edges(&g),
        [
            "sem1 -> sem2 [deadlock_lab::thread_a] cycle",
            "sem2 -> sem1 [deadlock_lab::thread_b] cycle",
        ]
    );
    assert_eq!(
        locks::cycle_line(&r.findings[0]).unwrap(),
        "sem1 --thread_a--> sem2 --thread_b--> sem1"
    );
    // Both hung tasks: a 2-task cycle. lockdep was off, so no held-lock
    // list names the semaphores; lockdep's own report says what
    // deadlock_lab_a was acquiring (sem2), and the module's lines name the
    // other.
    assert!(r.findings[1..].iter().all(|f| f.kind == Kind::HungTask));
    assert!(locks::graph(&r.findings[1]).is_none());
    let mut w = wait_for(&r);
    assert_eq!(w.findings(), (&[2, 3][..], 2));
    assert_eq!(
        nodes(&w.graph().unwrap()),
        [
            "deadlock_lab_a/60 (hung task)",
            "sem2 (semaphore)",
            "deadlock_lab_b/61 (hung task)",
            "semaphore",
        ]
    );
    w.claims(&r.summary.claims);
    let g = w.graph().unwrap();
    assert_eq!(
        nodes(&g),
        [
            "deadlock_lab_a/60 (hung task)",
            "sem2 (semaphore)",
            "deadlock_lab_b/61 (hung task)",
            "sem1 (semaphore)",
        ]
    );
    assert_eq!(
        edges(&g),
        [
            "deadlock_lab_a/60 -> sem2 [waits] cycle",
            "sem2 -> deadlock_lab_b/61 [last held by] cycle",
            "deadlock_lab_b/61 -> sem1 [waits] cycle",
            "sem1 -> deadlock_lab_a/60 [last held by] cycle",
        ]
    );
    assert_eq!(
        w.lines(),
        ["deadlock_lab_a/60 -> sem2 (held by deadlock_lab_b/61) -> sem1 (held by deadlock_lab_a/60)"]
    );
}

#[test]
fn recursive_self_loop_and_self_wait() {
    let r = parse("real_recursive");
    let g = lock_graph(&r.findings[0]);
    assert_eq!(nodes(&g), ["table_lock"]);
    assert_eq!(
        edges(&g),
        ["table_lock -> table_lock [taken at deadlock_recursive::insert / again at deadlock_recursive::grow] cycle"]
    );
    assert_eq!(
        locks::cycle_line(&r.findings[0]).unwrap(),
        "table_lock --grow--> table_lock"
    );
    let w = wait_for(&r);
    assert_eq!(
        edges(&w.graph().unwrap()),
        [
            "deadlock_rec/63 -> table_lock [waits] cycle",
            "table_lock -> deadlock_rec/63 [last held by] cycle",
        ]
    );
    // Named by lockdep's own report: the task acquires table_lock and holds it.
    assert_eq!(
        w.lines(),
        ["deadlock_rec/63 -> table_lock (held by deadlock_rec/63)"]
    );
}

#[test]
fn inconsistent_irq_usages() {
    let r = parse("real_irq");
    let f = &r.findings[0];
    let g = lock_graph(f);
    assert_eq!(
        nodes(&g),
        [
            "stats_lock",
            "deadlock_irq::timer_tick",
            "deadlock_irq::update_irqs_on",
        ]
    );
    // The shim `rust_helper_spin_lock` gives way to its caller.
    assert_eq!(
        edges(&g),
        [
            "deadlock_irq::timer_tick -> stats_lock [IN-HARDIRQ-W] highlight",
            "deadlock_irq::update_irqs_on -> stats_lock [HARDIRQ-ON-W] highlight",
        ]
    );
    assert_eq!(locks::cycle_line(f), None);
    assert!(wait_for(&r).graph().is_none());
    // The hand-written report the other way round.
    let r = parse("inconsistent");
    assert_eq!(
        edges(&lock_graph(&r.findings[0])),
        [
            "deadlock_lab::thread_a -> lab_spin [HARDIRQ-ON-W] highlight",
            "deadlock_lab::timer_fn -> lab_spin [IN-HARDIRQ-W] highlight",
        ]
    );
}

#[test]
fn spinlock_abba_through_rust_shims() {
    let r = parse("real_spin");
    let g = lock_graph(&r.findings[0]);
    assert_eq!(nodes(&g), ["spin2", "spin1"]);
    assert_eq!(
        edges(&g),
        [
            "spin2 -> spin1 [deadlock_spin::thread_b] cycle",
            "spin1 -> spin2 [deadlock_spin::thread_a] cycle",
        ]
    );
    assert_eq!(
        locks::cycle_line(&r.findings[0]).unwrap(),
        "spin2 --thread_b--> spin1 --thread_a--> spin2"
    );
    // The soft lockup has no lock graph.
    assert_eq!(r.findings[1].kind, Kind::SoftLockup);
    assert!(locks::graph(&r.findings[1]).is_none());
}

#[test]
fn leaked_lock_waited_for() {
    let r = parse("real_leak");
    let w = wait_for(&r);
    assert_eq!(w.findings(), (&[1][..], 1));
    let g = w.graph().unwrap();
    // The held-lock lists show the class: the waiter lists the lock it is
    // acquiring, the leaker holds the same instance.
    assert_eq!(
        nodes(&g),
        [
            "deadlock_waiter/59 (hung task)",
            "store_lock (semaphore)",
            "deadlock_leaker/58 (exited with locks held: store_lock)",
        ]
    );
    assert_eq!(
        edges(&g),
        [
            "deadlock_waiter/59 -> store_lock [waits] highlight",
            "store_lock -> deadlock_leaker/58 [last held by] highlight",
        ]
    );
    assert_eq!(
        w.lines(),
        ["deadlock_waiter/59 -> store_lock (held by deadlock_leaker/58, exited with locks held)"]
    );
    let exit = &r.findings[1];
    assert_eq!(exit.kind, Kind::HeldLockExit);
    let g = lock_graph(exit);
    assert_eq!(
        nodes(&g),
        ["deadlock_leaker/58 (exited with locks held)", "store_lock"]
    );
    assert_eq!(
        edges(&g),
        ["deadlock_leaker/58 -> store_lock [holds / taken at deadlock_leak::update_leaky]"]
    );
    assert_eq!(locks::cycle_line(exit), None);
}

#[test]
fn three_lock_chain_of_a_driver() {
    let r = parse("circular_chain3");
    let f = &r.findings[0];
    let g = lock_graph(f);
    assert_eq!(
        nodes(&g),
        ["&demo->cfg_lock", "demo_list_mutex", "&demo->io_lock"]
    );
    // mutex_lock_nested and __mutex_lock are plumbing; the chain's
    // `Chain exists of:` summary is not needed.
    assert_eq!(
        edges(&g),
        [
            "&demo->cfg_lock -> demo_list_mutex [demo_rescan] cycle",
            "demo_list_mutex -> &demo->io_lock [demo_add_device] cycle",
            "&demo->io_lock -> &demo->cfg_lock [demo_apply_cfg] cycle",
        ]
    );
    assert_eq!(
        locks::cycle_line(f).unwrap(),
        "&demo->cfg_lock --demo_rescan--> demo_list_mutex --demo_add_device--> &demo->io_lock --demo_apply_cfg--> &demo->cfg_lock"
    );
}

#[test]
fn chain_summary_fills_a_cut_chain() {
    let r = parse("circular_chain3");
    let mut f = r.findings[0].clone();
    // Cut after the chain's first entry: the dependencies from the
    // acquiring lock to the held one are known only from `Chain exists of:`.
    f.chain.truncate(1);
    let g = lock_graph(&f);
    assert_eq!(
        edges(&g),
        [
            "&demo->cfg_lock -> demo_list_mutex [demo_rescan] cycle",
            "demo_list_mutex -> &demo->io_lock dashed cycle",
            "&demo->io_lock -> &demo->cfg_lock dashed cycle",
        ]
    );
    assert_eq!(
        locks::cycle_line(&f).unwrap(),
        "&demo->cfg_lock --demo_rescan--> demo_list_mutex --> &demo->io_lock --> &demo->cfg_lock"
    );
    // Without the summary, no cycle is known and no line is printed.
    f.scenario = None;
    assert_eq!(
        edges(&lock_graph(&f)),
        ["&demo->cfg_lock -> demo_list_mutex [demo_rescan]"]
    );
    assert_eq!(locks::cycle_line(&f), None);
}

#[test]
fn irq_inversions() {
    // An inversion: lab_spin became irq-safe after taking lab_inner.
    let r = parse("irq_inversion");
    let f = &r.findings[0];
    assert_eq!(
        edges(&lock_graph(f)),
        [
            "lab_spin -> lab_inner [deadlock_lab::thread_a] cycle",
            "lab_inner -> lab_spin [interrupt / IN-HARDIRQ-W at deadlock_lab::timer_fn] dotted cycle",
        ]
    );
    assert_eq!(
        locks::cycle_line(f).unwrap(),
        "lab_spin --thread_a--> lab_inner --interrupt--> lab_spin"
    );
    // A safe -> unsafe order: the new dependency itself.
    let r = parse("irq_safe_unsafe");
    assert_eq!(
        edges(&lock_graph(&r.findings[0])),
        [
            "lab_spin -> lab_inner [deadlock_lab::thread_a] cycle",
            "lab_inner -> lab_spin [interrupt / IN-HARDIRQ-W at deadlock_lab::timer_fn] dotted cycle",
        ]
    );
}

#[test]
fn held_locks_freed_released_returned() {
    let g = lock_graph(&parse("held_lock_freed").findings[0]);
    assert_eq!(
        edges(&g),
        ["deadlock_lab_a/42 -> &obj->sem [frees it while held / taken at deadlock_lab::thread_a]"]
    );
    let g = lock_graph(&parse("bad_unlock").findings[0]);
    assert_eq!(
        edges(&g),
        ["deadlock_lab_a/42 -> sem1 [releases it, not held / at deadlock_lab::thread_a]"]
    );
    let g = lock_graph(&parse("held_lock_return").findings[0]);
    assert_eq!(
        nodes(&g),
        [
            "lab_ctl/97 (returned to user space with locks held)",
            "sem1"
        ]
    );
}

#[test]
fn wait_chains_and_missing_holders() {
    let r = parse("hung_task_mutex_rwsem");
    let g = wait_for(&r).graph().unwrap();
    assert_eq!(
        edges(&g),
        [
            "lab_worker/51 -> mutex [waits]",
            "mutex -> lab_owner/50 [owned by]",
            "lab_reader/52 -> rw-semaphore [waits as reader]",
            "rw-semaphore -> lab_writer/53 [owned as writer by]",
            "lab_writer/53 -> semaphore [waits]",
        ]
    );
    assert!(nodes(&g).contains(&"semaphore (holder not found)".to_string()));
    // One step says no more than the finding's own `waits on` line; two do.
    assert_eq!(
        wait_for(&r).lines(),
        ["lab_reader/52 -> rw-semaphore as reader (held by lab_writer/53 as writer) -> semaphore (holder not found)"]
    );
}

#[test]
fn hung_rounds_are_merged() {
    // The same two tasks reported in two rounds: one cycle, drawn once.
    let r = parse("real_inverted");
    let mut w = wait_for(&r);
    for (i, f) in r.findings.iter().enumerate() {
        w.add(i as u64 + 4, f);
    }
    assert_eq!(w.findings(), (&[2, 3, 5, 6][..], 4));
    assert_eq!(w.graph().unwrap().edges.len(), 4);
    assert_eq!(w.lines().len(), 1);
}

#[test]
fn findings_without_a_lock_graph() {
    for name in ["soft_lockup", "gpf", "rcu_stall", "warning"] {
        for f in &parse(name).findings {
            assert!(locks::graph(f).is_none(), "{name}: {}", f.kind);
        }
    }
}

#[test]
fn a_wait_for_a_completion_has_no_holder() {
    // deadlock_completion: A holds sem1 and waits for a completion that B
    // signals after taking sem1. No blocker line for A: the completion is
    // a node of its own, named by what A said it waits for.
    let r = parse("real_completion");
    let mut w = wait_for(&r);
    w.claims(&r.summary.claims);
    let g = w.graph().unwrap();
    assert_eq!(
        edges(&g),
        [
            "deadlock_cmp_a/72 -> (completion)done [waits]",
            "deadlock_cmp_b/73 -> sem1 [waits]",
            "sem1 -> deadlock_cmp_a/72 [last held by]",
        ]
    );
    assert!(nodes(&g)
        .contains(&"(completion)done (completion; no holder: a completion has no owner)".into()));
    assert_eq!(
        w.lines(),
        ["deadlock_cmp_b/73 -> sem1 (held by deadlock_cmp_a/72) -> (completion)done (no holder: a completion has no owner)"]
    );
}

#[test]
fn a_read_taken_twice_names_the_reader_and_the_writer() {
    // deadlock_rwsem: the reader reads map_lock again while the writer is
    // queued. Lockdep's report shows the lock twice, for the reader alone;
    // the blocker lines say which side each task waits on.
    let r = parse("real_rwsem-read");
    let mut w = wait_for(&r);
    w.claims(&r.summary.claims);
    let g = w.graph().unwrap();
    assert_eq!(
        edges(&g),
        [
            "deadlock_reader/62 -> map_lock [waits as reader] cycle",
            "map_lock -> deadlock_reader/62 [owned as reader by] cycle",
            "deadlock_writer/63 -> map_lock [waits as writer]",
        ]
    );
    assert_eq!(
        w.lines(),
        [
            "deadlock_reader/62 -> map_lock as reader (held by deadlock_reader/62 as reader)",
            "deadlock_writer/63 -> map_lock as writer (held by deadlock_reader/62 as reader) -> map_lock as reader (held by deadlock_reader/62 as reader)",
        ]
    );
}
