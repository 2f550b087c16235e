// SPDX-License-Identifier: GPL-2.0
//! Command-line behaviour: exit codes, output modes and expectation mode.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dmesg-inspect"))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run dmesg-inspect")
}

fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Writes an expectation document to a fresh temporary file.
fn expectation(json: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!("dmesg-inspect-cli-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let p = dir.join(format!("exp{}.json", N.fetch_add(1, Ordering::SeqCst)));
    fs::write(&p, json).unwrap();
    p
}

fn expect(json: &str, log: &str) -> Output {
    let e = expectation(json);
    run(&[
        "--expect",
        e.to_str().unwrap(),
        fixture(log).to_str().unwrap(),
    ])
}

#[test]
fn exit_0_without_findings() {
    let o = run(&[fixture("clean_boot.log").to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("no kernel reports found"));
}

#[test]
fn exit_1_with_findings() {
    let o = run(&[fixture("circular.log").to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert!(
        out.contains("circular: possible deadlock in deadlock_lab::thread_b"),
        "{out}"
    );
    assert!(out.contains("1 finding (circular: 1)"), "{out}");
}

#[test]
fn exit_2_on_bad_input_or_usage() {
    assert_eq!(code(&run(&["/nonexistent/dmesg.log"])), 2);
    assert_eq!(code(&run(&["--no-such-flag"])), 2);
    assert_eq!(code(&run(&["a.log", "b.log"])), 2);
    // A directory opens but cannot be read.
    assert_eq!(code(&run(&[env!("CARGO_MANIFEST_DIR")])), 2);
    let e = expectation(r#"{"findings": []}"#);
    assert_eq!(
        code(&run(&["--json", "--expect", e.to_str().unwrap(), "x"])),
        2
    );
    assert_eq!(
        code(&run(&["--expect-none", "--expect", e.to_str().unwrap()])),
        2
    );
    let o = run(&["/nonexistent/dmesg.log"]);
    assert!(stderr(&o).contains("cannot open"), "{}", stderr(&o));
}

#[test]
fn help_and_version_exit_0() {
    let o = run(&["--help"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("--expect"));
    assert_eq!(code(&run(&["--version"])), 0);
}

#[test]
fn reads_stdin() {
    let data = fs::read(fixture("hung_task.log")).unwrap();
    let o = run_stdin(&[], &data);
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).contains("INFO: task hung in deadlock_lab::thread_a"));
    let o = run_stdin(&["-", "--json"], &data);
    assert_eq!(code(&o), 1);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
    let o = run_stdin(&[], b"");
    assert_eq!(code(&o), 0);
}

#[test]
fn json_output_matches_library_and_expected_file() {
    for name in ["abba_full", "circular", "empty", "hung_task_mutex_rwsem"] {
        let o = run(&["--json", fixture(&format!("{name}.log")).to_str().unwrap()]);
        let data = fs::read(fixture(&format!("{name}.log"))).unwrap();
        let lib = dmesg_inspect::parse_bytes(&data);
        let mut want = serde_json::to_string_pretty(&lib.findings).unwrap();
        want.push('\n');
        assert_eq!(stdout(&o), want, "{name}");
        let expected = fs::read_to_string(fixture(&format!("{name}.expected.json"))).unwrap();
        assert_eq!(stdout(&o), expected, "{name}");
        assert_eq!(code(&o), if lib.findings.is_empty() { 0 } else { 1 });
    }
    let o = run(&["--json", fixture("empty.log").to_str().unwrap()]);
    assert_eq!(stdout(&o), "[]\n");
}

#[test]
fn json_field_names_are_stable() {
    let o = run(&["--json", fixture("abba_full.log").to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let f = &v[0];
    for key in [
        "kind",
        "title",
        "header",
        "culprit",
        "tasks",
        "locks",
        "chain",
        "scenario",
        "blocked_on",
        "timeout_secs",
        "cpu",
        "frames",
        "other_stacks",
        "kernel_version",
        "taint",
        "start_line",
        "end_line",
        "truncated",
        "lockdep_off",
        "repeats",
        "notes",
    ] {
        assert!(f.get(key).is_some(), "missing field {key}");
    }
    assert_eq!(f["kind"], "circular");
    assert_eq!(f["locks"][0]["class"], "sem2");
    assert_eq!(f["locks"][0]["role"], "acquiring");
    assert_eq!(f["chain"][0]["index"], 1);
    assert_eq!(f["scenario"]["columns"][1], "CPU1");
    assert_eq!(v[1]["blocked_on"]["primitive"], "semaphore");
    assert_eq!(v[1]["blocked_on"]["task"]["name"], "deadlock_lab_b");
    assert_eq!(v[1]["timeout_secs"], 20);
}

#[test]
fn quiet_prints_nothing() {
    let o = run(&["-q", fixture("circular.log").to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    assert!(o.stdout.is_empty());
    let o = run(&[
        "--quiet",
        "--json",
        fixture("circular.log").to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1);
    assert!(o.stdout.is_empty());
}

const ABBA: &str = r#"{
  "findings": [
    {"kind": "circular", "count": 1, "locks": ["sem1", "sem2"], "frames": ["deadlock_lab"], "tasks": ["deadlock_lab_a"]},
    {"kind": "hung_task", "min": 2, "max": 2, "blocked_on": "semaphore", "tasks": ["deadlock_lab_a", "deadlock_lab_b"]}
  ],
  "others": "forbid",
  "lockdep_off": true
}"#;

#[test]
fn expectation_passes() {
    let o = expect(ABBA, "abba_full.log");
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).starts_with("ok: "), "{}", stdout(&o));
}

#[test]
fn expectation_frames_include_usage_traces() {
    // The function that took the lock with interrupts enabled is only in
    // lockdep's usage trace, not in the report's own stack.
    let o = expect(
        r#"{"findings":[{"kind":"inconsistent","count":1,"locks":["lab_spin"],"frames":["deadlock_lab::thread_a"],"tasks":["swapper/1"]}]}"#,
        "inconsistent.log",
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}

#[test]
fn expect_none() {
    let o = run(&["--expect-none", fixture("clean_boot.log").to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let o = run(&[
        "--expect-none",
        fixture("lockdep_off_only.log").to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let o = run(&["--expect-none", fixture("circular.log").to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o).contains("mismatch: unexpected finding: circular at lines 9-76"),
        "{}",
        stdout(&o)
    );
}

/// Each kind of mismatch gives exit 1 and one readable line.
#[test]
fn expectation_mismatches() {
    let cases: &[(&str, &str, &str)] = &[
        (
            r#"{"findings":[{"kind":"circular","count":2}],"others":"allow"}"#,
            "abba_full.log",
            "circular: expected exactly 2 finding(s), found 1",
        ),
        (
            r#"{"findings":[{"kind":"hung_task","min":3}],"others":"allow"}"#,
            "abba_full.log",
            "hung_task: expected at least 3 finding(s), found 2",
        ),
        (
            r#"{"findings":[{"kind":"hung_task","max":1}],"others":"allow"}"#,
            "abba_full.log",
            "hung_task: expected at most 1 finding(s), found 2",
        ),
        (
            r#"{"findings":[{"kind":"circular","count":0}],"others":"allow"}"#,
            "abba_full.log",
            "circular: expected exactly 0 finding(s), found 1",
        ),
        (
            r#"{"findings":[{"kind":"recursive"}],"others":"allow"}"#,
            "abba_full.log",
            "recursive: expected at least 1 finding(s), found 0",
        ),
        (
            r#"{"findings":[{"kind":"circular","locks":["sem3"]}],"others":"allow"}"#,
            "abba_full.log",
            "lock class \"sem3\" not mentioned",
        ),
        (
            r#"{"findings":[{"kind":"circular","frames":["other_module"]}],"others":"allow"}"#,
            "abba_full.log",
            "no frame or lock site contains \"other_module\"",
        ),
        (
            r#"{"findings":[{"kind":"circular","tasks":["deadlock_lab_b"]}],"others":"allow"}"#,
            "abba_full.log",
            "task \"deadlock_lab_b\" not named by any matching finding",
        ),
        (
            r#"{"findings":[{"kind":"hung_task","blocked_on":"mutex"}],"others":"allow"}"#,
            "abba_full.log",
            "expected to be blocked on a mutex, is blocked on a semaphore",
        ),
        (
            r#"{"findings":[{"kind":"hung_task","title":"thread_c"}],"others":"allow"}"#,
            "abba_full.log",
            "hung_task (title containing \"thread_c\"): expected at least 1 finding(s), found 0",
        ),
        (
            r#"{"findings":[{"kind":"circular","culprit":"thread_b"}],"others":"allow"}"#,
            "abba_full.log",
            "culprit \"deadlock_lab::thread_a\" does not contain \"thread_b\"",
        ),
        (
            r#"{"findings":[{"kind":"circular","truncated":false}]}"#,
            "report_interrupted.log",
            "expected truncated=false, got truncated=true",
        ),
        (
            r#"{"findings":[{"kind":"circular"}]}"#,
            "abba_full.log",
            "unexpected finding: hung_task at lines 74-95",
        ),
        (
            r#"{"findings":[{"kind":"circular"},{"kind":"hung_task","title":"thread_b"}]}"#,
            "abba_full.log",
            "unexpected finding: hung_task at lines 74-95 (\"INFO: task hung in deadlock_lab::thread_a\") (no matcher of its kind selects its title)",
        ),
        (
            r#"{"findings":[{"kind":"circular"}],"others":"allow","lockdep_off":false}"#,
            "abba_full.log",
            "lockdep_off: \"INFO: lockdep is turned off.\" was printed (line 118) but not expected",
        ),
        (
            r#"{"findings":[{"kind":"circular"}],"lockdep_off":true}"#,
            "circular.log",
            "lockdep_off: expected \"INFO: lockdep is turned off.\" but it was not printed",
        ),
    ];
    for (exp, log, want) in cases {
        let o = expect(exp, log);
        let out = stdout(&o);
        assert_eq!(code(&o), 1, "{exp}: {out}");
        assert!(out.contains("mismatch: "), "{exp}: {out}");
        assert!(out.contains(want), "{exp}\nwanted: {want}\ngot:\n{out}");
        assert!(out.contains("findings in "), "{out}");
    }
}

#[test]
fn expectation_others_allow() {
    let o = expect(
        r#"{"findings":[{"kind":"circular","count":1}],"others":"allow"}"#,
        "abba_full.log",
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let o = expect(
        r#"{"findings":[{"kind":"circular","count":0}],"others":"allow"}"#,
        "hung_task.log",
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}

#[test]
fn malformed_expectation_exits_2() {
    for bad in [
        "not json",
        r#"{"findings":[{"kind":"deadlock"}]}"#,
        r#"{"findings":[{"kind":"circular","count":1,"max":2}]}"#,
        r#"{"findings":[{"kind":"circular","min":2,"max":1}]}"#,
        r#"{"findings":[{"kind":"circular","unknown":1}]}"#,
        r#"{"findings":[{"kind":"circular","blocked_on":"semaphore"}]}"#,
        r#"{"findings":[{"kind":"hung_task","blocked_on":"spinlock"}]}"#,
        r#"{"others":"maybe"}"#,
        r#"{"lockdep_off":"yes"}"#,
        r#"[]"#,
    ] {
        let o = expect(bad, "circular.log");
        assert_eq!(code(&o), 2, "{bad}: {}", stdout(&o));
        assert!(
            stderr(&o).contains("malformed expectation file"),
            "{bad}: {}",
            stderr(&o)
        );
    }
    let o = run(&[
        "--expect",
        "/nonexistent/exp.json",
        fixture("circular.log").to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
}

#[test]
fn expectation_comment_fields_are_allowed() {
    let o = expect(
        r#"{"comment":"ABBA scenario","findings":[{"kind":"circular","comment":"sem1 vs sem2","locks":["sem1/1"]}],"others":"allow"}"#,
        "abba_full.log",
    );
    // "sem1/1" is not the class printed ("sem1"): a subclass must be named
    // exactly, while a plain name also matches subclassed classes.
    assert_eq!(code(&o), 1, "{}", stdout(&o));
}

#[test]
fn expectation_with_soft_lockup_and_held_lock_exit() {
    let spin = r#"{
      "findings": [
        {"kind": "circular", "count": 1, "locks": ["spin1", "spin2"], "frames": ["deadlock_spin::thread_"]},
        {"kind": "soft_lockup", "min": 1, "max": 2, "frames": ["deadlock_spin::thread_"], "tasks": ["deadlock_spin_a", "deadlock_spin_b"]},
        {"kind": "other", "title": "detected stall", "min": 0}
      ],
      "others": "forbid",
      "lockdep_off": false
    }"#;
    for log in ["real_spin.log", "real_spin-softirq.log"] {
        let o = expect(spin, log);
        assert_eq!(code(&o), 0, "{log}: {}", stdout(&o));
    }
    let leak = r#"{
      "findings": [
        {"kind": "hung_task", "count": 1, "blocked_on": "semaphore", "culprit": "deadlock_leak::waiter"},
        {"kind": "held_lock_exit", "count": 1, "tasks": ["deadlock_leaker"], "locks": ["store_lock"], "culprit": "deadlock_leak::update_leaky"}
      ]
    }"#;
    let o = expect(leak, "real_leak.log");
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    // The old way of naming these reports no longer matches.
    let o = expect(
        r#"{"findings": [{"kind": "other", "title": "soft lockup"}], "others": "allow"}"#,
        "real_spin.log",
    );
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o).contains(
            "other (title containing \"soft lockup\"): expected at least 1 finding(s), found 0"
        ),
        "{}",
        stdout(&o)
    );
}

#[test]
fn demangle_copies_the_log_with_rust_symbols_demangled() {
    let log = b"[    6.880387]  down+0x5b/0x60\r\n\
[    6.880387]  _RNvCslqxcMnMQqJJ_12deadlock_lab8thread_a+0x130/0x30f [deadlock_lab]\n\
no newline at the end \xff";
    let o = run_stdin(&["--demangle"], log);
    assert_eq!(code(&o), 0);
    assert_eq!(
        stdout(&o),
        "[    6.880387]  down+0x5b/0x60\r\n\
[    6.880387]  deadlock_lab::thread_a+0x130/0x30f [deadlock_lab]\n\
no newline at the end \u{fffd}"
    );
}

#[test]
fn demangle_does_not_combine_with_other_modes() {
    let o = run(&[
        "--demangle",
        "--json",
        fixture("circular.log").to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
}
