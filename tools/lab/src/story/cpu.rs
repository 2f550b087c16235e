// SPDX-License-Identifier: GPL-2.0
//! CPU usage: a deadlock that sleeps and one that burns, side by side.

use super::show::{para, title, Log};
use super::{follow, Ctx};
use crate::Error;

pub fn tell(ctx: &Ctx) -> Result<(), Error> {
    title("CPU usage: a deadlock that sleeps and one that burns");
    para("The article says deadlocks show as high CPU utilization. That holds for spinlocks, not for semaphores. Two boots, side by side: the semaphore ABBA (2 CPUs) and the spinlock ABBA (3 CPUs: the two spinning ones and one to watch from). Busy percentages per CPU from /proc/stat, over one second each; perf record -a during each deadlock.");
    let mut boots = ctx
        .start_all(&["cpu-usage-perf-sem", "cpu-usage-perf-spin"])?
        .into_iter();
    let (sem, spin) = (boots.next().unwrap(), boots.next().unwrap());
    follow(&sem);
    let sem = ctx.finished(sem)?;
    let spin = ctx.finished(spin)?;
    title("Busy per CPU (%)");
    for l in [&sem, &spin] {
        for d in diags(l)
            .iter()
            .filter_map(|d| d.strip_prefix("# cpu-usage: "))
        {
            println!("  {d}");
        }
    }
    title("perf report during each deadlock (top symbols)");
    let top = regex::Regex::new(r"^#   +[0-9.]+%").unwrap();
    for (label, l) in [("semaphore deadlock:", &sem), ("spinlock deadlock:", &spin)] {
        println!("  {label}");
        for d in diags(l).iter().filter(|d| top.is_match(d)).take(5) {
            println!("  {}", dmesg_inspect::symbols::demangle_text(&d[1..]));
        }
    }
    para("A sleeping deadlock leaves the CPUs idle and perf sees the idle loop: look for tasks in D (ps, the hung-task detector), not for CPU load. A spinning one burns its CPUs in the spinlock's slow path: the soft-lockup detector and perf see it.");
    Ok(())
}

/// The guest's diagnostics of a scenario.
fn diags(l: &Log) -> Vec<String> {
    l.boot
        .guest
        .scenario(&l.name)
        .map(|s| s.lines.iter().map(|(_, t)| t.clone()).collect())
        .unwrap_or_default()
}
