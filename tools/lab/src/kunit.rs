// SPDX-License-Identifier: GPL-2.0
//! The kernel's own KTAP parser (`tools/testing/kunit/kunit.py parse`), the
//! outside judge of both the KUnit results in a kernel log and the suite's
//! own KTAP.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::Error;

/// What kunit.py read.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub tests: u64,
    pub passed: u64,
    pub crashed: u64,
    pub errors: u64,
    /// Its "Testing complete. ..." line.
    pub summary: String,
    pub json: Value,
}

/// Runs `kunit.py parse --json` on `ktap`.
pub fn parse(kunit_py: &Path, ktap: &str) -> Result<Parsed, Error> {
    if !kunit_py.is_file() {
        return Err(Error::new(format!("no {}", kunit_py.display())).hint("run: make kernel"));
    }
    let dir = crate::qemu::tempdir("kunit").map_err(|e| Error::new(e.to_string()))?;
    let (input, output) = (dir.join("in.ktap"), dir.join("out.json"));
    std::fs::write(&input, ktap).map_err(|e| Error::new(e.to_string()))?;
    let run = Command::new("python3")
        .arg(kunit_py)
        .arg("parse")
        .arg(format!("--json={}", output.display()))
        .arg(&input)
        .output()
        .map_err(|e| Error::new(format!("cannot run python3 {}: {e}", kunit_py.display())));
    let json = std::fs::read_to_string(&output);
    let _ = std::fs::remove_dir_all(&dir);
    let run = run?;
    let text =
        String::from_utf8_lossy(&run.stdout).into_owned() + &String::from_utf8_lossy(&run.stderr);
    let summary = text
        .lines()
        .find(|l| l.contains("Testing complete"))
        .map(|l| l.split_once("] ").map(|(_, r)| r).unwrap_or(l).to_string())
        .unwrap_or_else(|| text.lines().last().unwrap_or("").to_string());
    let json: Value = json
        .ok()
        .and_then(|j| serde_json::from_str(&j).ok())
        .ok_or_else(|| Error::new(format!("kunit.py wrote no JSON: {summary}")))?;
    let misc = &json["misc"];
    let n = |k: &str| misc[k].as_u64().unwrap_or(0);
    Ok(Parsed {
        tests: n("tests"),
        passed: n("passed"),
        crashed: n("crashed"),
        errors: n("errors"),
        summary,
        json,
    })
}

/// kunit.py's top-level results of the suite's KTAP: plain tests, then one
/// group per scenario. The JSON has no status of a group's own: its counts
/// hold its cases' failures, or its own.
pub fn top_level(p: &Parsed) -> (u64, u64) {
    let mut ok = 0;
    let mut bad = 0;
    for c in p.json["test_cases"].as_array().into_iter().flatten() {
        match c["status"].as_str() {
            Some("PASS") | Some("SKIP") => ok += 1,
            _ => bad += 1,
        }
    }
    for g in p.json["sub_groups"].as_array().into_iter().flatten() {
        let m = &g["misc"];
        if m["failed"].as_u64().unwrap_or(0) + m["crashed"].as_u64().unwrap_or(0) > 0 {
            bad += 1;
        } else {
            ok += 1;
        }
    }
    (ok, bad)
}

/// Each suite kunit.py read, with each of its cases and their status
/// (`PASS`, `FAIL`, `SKIP`, ...).
pub fn suites(p: &Parsed) -> Vec<(String, Vec<(String, String)>)> {
    fn walk(group: &Value, out: &mut Vec<(String, Vec<(String, String)>)>) {
        for g in group["sub_groups"].as_array().into_iter().flatten() {
            let cases: Vec<(String, String)> = g["test_cases"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| {
                    let s = |k: &str| c[k].as_str().unwrap_or("?").to_string();
                    (s("name"), s("status"))
                })
                .collect();
            if !cases.is_empty() {
                out.push((g["name"].as_str().unwrap_or("?").to_string(), cases));
            }
            walk(g, out);
        }
    }
    let mut out = Vec::new();
    walk(&p.json, &mut out);
    out
}
