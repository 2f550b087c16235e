// SPDX-License-Identifier: GPL-2.0
//! `make test-matrix`: the suite against every kernel series the lab
//! supports that Debian offers (`scripts/fetch-kernel.sh --list`), one after
//! the other, each with its own kernel in the cache and its own output
//! directory (`out/series-7.N`). Prints KTAP: one result per series, with
//! that series' suite nested in it, and ends with `N passed, N failed`.

use std::process::Command;
use std::time::Instant;

use crate::ktap::{self, Line, TestResult};
use crate::paths::Lab;
use crate::process::output;
use crate::{interrupt, note, Error};

/// The series to run: those given, or every one Debian offers.
pub fn series(lab: &Lab, given: &[String]) -> Result<Vec<String>, Error> {
    if !given.is_empty() {
        return Ok(given.to_vec());
    }
    let (ok, text) = output(Command::new(lab.root.join("scripts/fetch-kernel.sh")).arg("--list"));
    let list: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with("7."))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    if !ok || list.is_empty() {
        return Err(Error::new("Debian offers no supported kernel series")
            .hint("see: scripts/fetch-kernel.sh --list"));
    }
    Ok(list)
}

pub fn run(lab: &Lab, given: &[String]) -> Result<bool, Error> {
    let series = series(lab, given)?;
    print!("{}", ktap::header(series.len()));
    let mut results = Vec::new();
    for s in &series {
        if interrupt::interrupted() {
            break;
        }
        let out = lab.root.join(format!("out/series-{s}"));
        let _ = std::fs::create_dir_all(&out);
        let log = out.join("matrix.log");
        note(format!(
            "series {s}: make test LAB_SERIES={s} LAB_OUT={} (log: {})",
            out.display(),
            log.display()
        ));
        let _ = std::fs::remove_file(out.join("test-results.ktap"));
        let t0 = Instant::now();
        let (ok, text) = output(
            Command::new("make")
                .arg("-s")
                .arg("-C")
                .arg(&lab.root)
                .arg("test")
                .arg(format!("LAB_SERIES={s}"))
                .arg(format!("LAB_OUT={}", out.display())),
        );
        let _ = std::fs::write(&log, &text);
        // The series' suite, nested: its KTAP as the runner wrote it.
        let nested = std::fs::read_to_string(out.join("test-results.ktap")).unwrap_or_default();
        let mut lines = Vec::new();
        if nested.is_empty() {
            lines.push(Line::Diag(format!(
                "no KTAP: the kernel or modules did not build; last lines of {}:",
                log.display()
            )));
            for l in text
                .lines()
                .rev()
                .take(5)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
            {
                lines.push(Line::Diag(l.to_string()));
            }
        }
        let summary = text
            .lines()
            .rev()
            .find(|l| l.ends_with(" failed"))
            .unwrap_or("no summary")
            .to_string();
        let r = TestResult {
            name: format!("linux-{s}"),
            ok,
            directive: None,
            seconds: t0.elapsed().as_secs_f64(),
            diags: vec![format!("series {s}: {summary}")],
            subtests: None,
        };
        for l in nested.lines() {
            println!("    {l}");
        }
        for l in &lines {
            if let Line::Diag(d) = l {
                println!("    # {d}");
            }
        }
        print!("{}", ktap::render(results.len() + 1, &r));
        results.push(r);
    }
    print!("{}", ktap::summary(&results));
    Ok(results.iter().all(|r| r.ok) && results.len() == series.len())
}
