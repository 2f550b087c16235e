// SPDX-License-Identifier: GPL-2.0
//! `--dot` and the `cycle`/`wait-for` lines of the readable summary, from
//! the command line. When Graphviz's `dot` is installed, every fixture's
//! document must render to SVG; without it that check is skipped.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dmesg-inspect"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dmesg-inspect");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

/// `--dot` (or other options) on a fixture: exit code and standard output.
fn inspect(args: &[&str], name: &str) -> (i32, String) {
    let path = fixture(name);
    let mut all = args.to_vec();
    all.push(path.to_str().unwrap());
    let o = run(&all, b"");
    let out = String::from_utf8(o.stdout).expect("UTF-8 output");
    (o.status.code().expect("exit code"), out)
}

#[test]
fn dot_document_of_the_inverted_run() {
    let (code, out) = inspect(&["--dot"], "real_inverted.log");
    assert_eq!(code, 1, "findings: exit 1 as for the summary");
    assert!(out.starts_with("digraph \"dmesg-inspect\" {\n"), "{out}");
    assert!(out.ends_with("}\n"));
    let circular = r#"  subgraph cluster_1 {
    label="[1] circular: possible deadlock in deadlock_lab::thread_a\nlines 177-254";
    labeljust=l;
    f1_0 [label="sem1", shape=box, style=rounded];
    f1_1 [label="sem2", shape=box, style=rounded];
    f1_0 -> f1_1 [label="deadlock_lab::thread_a", color=red, fontcolor=red, penwidth=2];
    f1_1 -> f1_0 [label="deadlock_lab::thread_b", color=red, fontcolor=red, penwidth=2];
  }
"#;
    assert!(out.contains(circular), "{out}");
    assert!(
        out.contains("  subgraph cluster_wait {\n    label=\"[2, 3] hung_task: wait-for graph\";")
    );
    assert!(out.contains("    w_3 -> w_0 [label=\"last held by\", color=red"));
    assert!(out.contains("real_inverted.log: 3 findings\";"));
}

/// The example of the README is what the tool prints.
#[test]
fn readme_example_is_current() {
    let readme = include_str!("../README.md");
    let start = readme
        .find("```dot\n")
        .expect("a dot example in the README")
        + 7;
    let example = &readme[start..start + readme[start..].find("```").unwrap()];
    let o = Command::new(env!("CARGO_BIN_EXE_dmesg-inspect"))
        .args(["--dot", "real_inverted.log"])
        .current_dir(fixture(""))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(o.stdout).unwrap(), example);
}

#[test]
fn dot_document_lists_what_it_does_not_draw() {
    let (code, out) = inspect(&["--dot"], "real_spin.log");
    assert_eq!(code, 1);
    assert!(out.contains("subgraph cluster_1 {"));
    assert!(!out.contains("cluster_2"));
    assert!(
        out.contains("2 findings\\nnot drawn: [2] soft_lockup\";"),
        "{out}"
    );
    // A clean log: exit 0 and an empty graph.
    let (code, out) = inspect(&["--dot"], "clean_boot.log");
    assert_eq!(code, 0);
    assert!(!out.contains("subgraph"));
    assert!(out.contains("no kernel reports found"));
}

#[test]
fn dot_escapes_what_the_log_prints() {
    // A lock class and a task name with a quote, a backslash and `&`.
    let log = "\
WARNING: possible recursive locking detected
7.3.4 #1 Not tainted
--------------------------------------------
we\"ird&x/7 is trying to acquire lock:
ffffffffc0002010 (&q\\\"lock){+.+.}-{4:4}, at: grab+0x2c/0x60
\n\
but task is already holding lock:
ffffffffc0002010 (&q\\\"lock){+.+.}-{4:4}, at: hold+0x4f/0x12d
";
    let o = run(&["--dot"], log.as_bytes());
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(
        out.contains(r#"f1_0 [label="&amp;q\\\"lock", shape=box, style=rounded];"#),
        "{out}"
    );
    assert!(
        out.contains(r#"label="taken at hold\nagain at grab""#),
        "{out}"
    );
    if let Some(svg) = render_svg(&out) {
        assert!(svg.contains("&amp;q\\&quot;lock"), "{svg}");
    }
}

#[test]
fn dot_does_not_combine_with_other_modes() {
    for other in ["--json", "--quiet", "--expect-none", "--demangle"] {
        let (code, _) = inspect(&["--dot", other], "circular.log");
        assert_eq!(code, 2, "--dot {other}");
    }
}

#[test]
fn summary_spells_out_cycles_and_waits() {
    let (code, out) = inspect(&[], "real_inverted.log");
    assert_eq!(code, 1);
    assert!(
        out.contains("\n  cycle     sem1 --thread_a--> sem2 --thread_b--> sem1\n"),
        "{out}"
    );
    assert!(out.contains(
        "\nwait-for: deadlock_lab_a/60 -> sem2 (held by deadlock_lab_b/61) \
         -> sem1 (held by deadlock_lab_a/60)\n3 findings (circular: 1, hung_task: 2)"
    ));
    let (_, out) = inspect(&[], "real_leak.log");
    assert!(out.contains(
        "\nwait-for: deadlock_waiter/59 -> store_lock (held by deadlock_leaker/58, \
         exited with locks held)\n"
    ));
    assert!(!out.contains("  cycle "));
    // No graph, no lines.
    let (_, out) = inspect(&[], "real_irq.log");
    assert!(!out.contains("cycle") && !out.contains("wait-for"));
}

/// `dot -Tsvg` of a document, or `None` when Graphviz is not installed.
fn render_svg(doc: &str) -> Option<String> {
    let mut child = match Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(_) => {
            eprintln!("dot (Graphviz) not found: rendering not checked");
            return None;
        }
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(doc.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(
        o.status.success() && o.stderr.is_empty(),
        "dot -Tsvg rejected the document:\n{}\n{doc}",
        String::from_utf8_lossy(&o.stderr)
    );
    Some(String::from_utf8(o.stdout).unwrap())
}

#[test]
fn every_fixture_renders_with_graphviz() {
    let mut logs: Vec<PathBuf> = fs::read_dir(fixture(""))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    logs.sort();
    for log in logs {
        let name = log.file_name().unwrap().to_str().unwrap();
        let (code, doc) = inspect(&["--dot"], name);
        assert!(code == 0 || code == 1, "{name}: exit {code}");
        let Some(svg) = render_svg(&doc) else {
            return;
        };
        assert!(svg.contains("<svg"), "{name}");
    }
}
