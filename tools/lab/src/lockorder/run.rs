// SPDX-License-Identifier: GPL-2.0
//! `make lock-order [MODULE_DIR=DIR]`: the lock order lockdep observed,
//! written as a contract. It boots the scenarios that expect no lockdep
//! report (an outside directory's; for the lab's own modules, those that
//! declare a `lock_order`), each with `no_hash_pointers`, collects the
//! graph each guest printed before its unload, and writes, per module,
//! `out/lock-order/NAME.json` with its picture beside it (`.dot`, and
//! `.svg` where Graphviz is installed).

use std::collections::BTreeMap;

use crate::setup::Setup;
use crate::suite::Booted;
use crate::Error;

use super::LockOrder;

/// Runs the scenarios `names` of `setup` and writes each module's observed
/// order; whether every boot printed a graph.
pub fn run(setup: Setup, names: Vec<String>) -> Result<bool, Error> {
    if names.is_empty() {
        return Err(Error::new("no scenario to read a lock order from").hint(
            "a scenario that expects no lockdep report (its findings name no lockdep kind)",
        ));
    }
    let mut setup = setup;
    for d in setup.decls.iter_mut().filter(|d| names.contains(&d.name)) {
        if !d
            .scenario
            .append
            .split_whitespace()
            .any(|w| w == "no_hash_pointers")
        {
            d.scenario.append = format!("{} no_hash_pointers", d.scenario.append)
                .trim()
                .to_string();
        }
    }
    let setup = std::sync::Arc::new(setup);
    let initrd = setup.lab.initramfs();
    crate::qemu::preflight(&setup.kernel, &initrd)?;
    let accel = crate::accel::choose(&setup.kernel, &initrd)?;
    let slots = std::thread::available_parallelism().map_or(2, |n| n.get() + 1);
    let boots = names.iter().map(|n| (n.clone(), vec![n.clone()])).collect();
    let pool = crate::suite::boots(&setup, boots, &accel, slots);
    let mut per_module: BTreeMap<String, LockOrder> = BTreeMap::new();
    let mut ok = true;
    for n in &names {
        let decl = setup.decl(n).expect("a selected scenario");
        let Booted(r) = pool.wait(n);
        let graph = match &r {
            Ok((a, _)) => a
                .guest
                .scenario(n)
                .and_then(|s| s.graph.as_ref())
                .map(LockOrder::without_semaphore_internals),
            Err(e) => {
                crate::note(format!("{n}: no boot: {e}"));
                None
            }
        };
        match graph {
            Some(g) => {
                crate::note(format!(
                    "{n}: lockdep saw {} class(es), {} edge(s)",
                    g.classes.len(),
                    g.edges.len()
                ));
                per_module
                    .entry(decl.scenario.module.clone())
                    .or_default()
                    .merge(&g);
            }
            None => {
                ok = false;
                crate::note(format!("{n}: the guest printed no lockdep graph"));
            }
        }
    }
    let dir = setup.lab.out.join("lock-order");
    std::fs::create_dir_all(&dir).map_err(|e| Error::new(format!("{}: {e}", dir.display())))?;
    for (module, order) in &per_module {
        let json = dir.join(format!("{module}.json"));
        let text = serde_json::to_string_pretty(order).unwrap_or_default() + "\n";
        std::fs::write(&json, text).map_err(|e| Error::new(format!("{}: {e}", json.display())))?;
        let dot = json.with_extension("dot");
        let _ = std::fs::write(&dot, order.dot(module));
        if crate::qemu::which("dot").is_some() {
            let svg = json.with_extension("svg");
            let _ = crate::process::output(
                std::process::Command::new("dot")
                    .arg("-Tsvg")
                    .arg("-o")
                    .arg(&svg)
                    .arg(&dot),
            );
        }
        if let Some(c) = order.cycle() {
            crate::note(format!(
                "{module}: the observed edges form a cycle, {}",
                c.join(" -> ")
            ));
        }
        for e in &order.edges {
            println!("  {module}: {}", e.words());
        }
        println!("lock order: {}", json.display());
    }
    Ok(ok)
}
