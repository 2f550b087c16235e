// SPDX-License-Identifier: GPL-2.0
//! Golden tests: every `tests/fixtures/NAME.log` is parsed and the findings
//! are compared with `tests/fixtures/NAME.expected.json`, which holds exactly
//! what `dmesg-inspect --json NAME.log` prints.
//!
//! Adding a fixture: drop `NAME.log` into the directory and run
//! `UPDATE_EXPECT=1 cargo test -p dmesg-inspect --test fixtures` to write
//! `NAME.expected.json`; review it, and pin the findings' key facts by hand
//! in `tests/handwritten/` (or `tests/real_logs.rs` for a real log), since
//! an expected file only says what the parser printed when it was written.

use std::fs;
use std::path::{Path, PathBuf};

use dmesg_inspect::parse_bytes;

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn logs() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(fixture_dir())
        .expect("fixture directory")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    v.sort();
    v
}

fn expected_path(log: &Path) -> PathBuf {
    let stem = log.file_stem().unwrap().to_string_lossy().into_owned();
    log.with_file_name(format!("{stem}.expected.json"))
}

fn render(log: &Path) -> String {
    let data = fs::read(log).expect("read fixture");
    let report = parse_bytes(&data);
    let mut s = serde_json::to_string_pretty(&report.findings).expect("serialise");
    s.push('\n');
    s
}

#[test]
fn fixtures_match_expected_output() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v != "0" && !v.is_empty());
    let logs = logs();
    assert!(
        logs.len() >= 20,
        "fixtures missing from {}",
        fixture_dir().display()
    );
    let mut failures = Vec::new();
    for log in &logs {
        let got = render(log);
        let exp_path = expected_path(log);
        if update {
            let old = fs::read_to_string(&exp_path).ok();
            if old.as_deref() != Some(got.as_str()) {
                fs::write(&exp_path, &got).expect("write expected file");
                eprintln!("updated {}", exp_path.display());
            }
            continue;
        }
        let Ok(want) = fs::read_to_string(&exp_path) else {
            failures.push(format!(
                "{}: no {} (run UPDATE_EXPECT=1 cargo test to create it)",
                log.display(),
                exp_path.display()
            ));
            continue;
        };
        let got_v: serde_json::Value = serde_json::from_str(&got).unwrap();
        let want_v: serde_json::Value = match serde_json::from_str(&want) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{}: invalid JSON: {e}", exp_path.display()));
                continue;
            }
        };
        if got_v != want_v {
            failures.push(format!(
                "{}: output differs from {}\n--- got ---\n{got}",
                log.display(),
                exp_path.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixture(s) failed (set UPDATE_EXPECT=1 to accept new output):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_expected_file_has_a_log() {
    for e in fs::read_dir(fixture_dir()).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".expected.json") {
            assert!(
                p.with_file_name(format!("{stem}.log")).exists(),
                "{name} has no matching .log"
            );
        }
    }
}
