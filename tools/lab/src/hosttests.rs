// SPDX-License-Identifier: GPL-2.0
//! The suite's tests that need no boot: the host tools' own tests, their
//! formatting and clippy, the modules' formatting, clippy, `modinfo` and
//! compile-fail cases, the workflow's lint, the host-guest contract, this
//! program's own behaviour (`behaviour.rs`), and last, the suite's KTAP as
//! the kernel's parser reads it.

use std::path::Path;
use std::process::Command;

use crate::ktap::TestResult;
use crate::process::output;
use crate::setup::Setup;

/// A test of the suite that runs on the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostTest {
    Inspector,
    HostRustfmt,
    HostClippy,
    ModuleRustfmt,
    ModuleClippy,
    Modinfo,
    CompileFail,
    Doctor,
    Actionlint,
    OutsideErrors,
    OutsideInPlace,
    Interrupt,
    Contract,
    Docs,
    LockOrders,
}

/// In the order the suite runs them.
pub const ALL: [HostTest; 15] = [
    HostTest::Inspector,
    HostTest::HostRustfmt,
    HostTest::HostClippy,
    HostTest::ModuleRustfmt,
    HostTest::ModuleClippy,
    HostTest::Modinfo,
    HostTest::CompileFail,
    HostTest::Doctor,
    HostTest::Actionlint,
    HostTest::OutsideErrors,
    HostTest::OutsideInPlace,
    HostTest::Interrupt,
    HostTest::Contract,
    HostTest::Docs,
    HostTest::LockOrders,
];

impl HostTest {
    pub fn name(self) -> &'static str {
        match self {
            HostTest::Inspector => "inspector",
            HostTest::HostRustfmt => "host_rustfmt",
            HostTest::HostClippy => "host_clippy",
            HostTest::ModuleRustfmt => "module_rustfmt",
            HostTest::ModuleClippy => "module_clippy",
            HostTest::Modinfo => "modinfo",
            HostTest::CompileFail => "compile_fail",
            HostTest::Doctor => "doctor",
            HostTest::Actionlint => "actionlint",
            HostTest::OutsideErrors => "outside_errors",
            HostTest::OutsideInPlace => "outside_in_place",
            HostTest::Interrupt => "interrupt",
            HostTest::Contract => "contract",
            HostTest::Docs => "docs",
            HostTest::LockOrders => "lock_orders",
        }
    }

    /// Runs the test: whether it passed, and its diagnostics.
    pub fn run(self, suite: &Setup) -> Ran {
        match self {
            HostTest::HostRustfmt => cargo_gate(suite, "fmt", &["fmt", "--all", "--check"]),
            HostTest::HostClippy => cargo_gate(
                suite,
                "clippy",
                &[
                    "clippy",
                    "--quiet",
                    "--workspace",
                    "--all-targets",
                    "--",
                    "-D",
                    "warnings",
                ],
            ),
            other => other.run_plain(suite).into(),
        }
    }

    fn run_plain(self, suite: &Setup) -> (bool, Vec<String>) {
        match self {
            HostTest::HostRustfmt | HostTest::HostClippy => unreachable!("run by HostTest::run"),
            HostTest::LockOrders => lock_orders(suite),
            HostTest::Docs => {
                let p = crate::docs::problems(&suite.lab.root);
                match p.is_empty() {
                    true => (true, vec!["the script interface is the library's, and every make target the docs name exists".into()]),
                    false => (false, p),
                }
            }
            HostTest::Contract => match crate::contract::spelled_elsewhere(&suite.lab.root) {
                Ok(found) if found.is_empty() => (
                    true,
                    vec!["no file but tools/lab/src/contract.rs spells out the contract's names and paths".into()],
                ),
                Ok(found) => (false, found),
                Err(e) => (false, vec![e]),
            },
            HostTest::Inspector => host_tools(suite),
            HostTest::ModuleRustfmt => rustfmt(suite),
            HostTest::ModuleClippy => clippy(suite),
            HostTest::Modinfo => modinfo(suite),
            HostTest::CompileFail => compile_fail(suite),
            HostTest::Doctor => crate::behaviour::doctor(suite),
            HostTest::Actionlint => actionlint(suite),
            HostTest::OutsideErrors => crate::behaviour::outside_errors(suite),
            HostTest::OutsideInPlace => crate::behaviour::outside_in_place(suite),
            HostTest::Interrupt => crate::behaviour::interrupt(suite),
        }
    }
}

/// What a host test came back with: passed or not, its diagnostics, and
/// why it did not run, for a test whose tool the machine lacks (a KTAP
/// SKIP, which names what to install).
#[derive(Debug, Clone)]
pub struct Ran {
    pub ok: bool,
    pub diags: Vec<String>,
    pub skip: Option<String>,
}

impl From<(bool, Vec<String>)> for Ran {
    fn from((ok, diags): (bool, Vec<String>)) -> Ran {
        Ran {
            ok,
            diags,
            skip: None,
        }
    }
}

/// The host crates held to the module's standard: `cargo fmt --check` and
/// `cargo clippy -D warnings` on the whole workspace, skipped (with what to
/// install) where cargo lacks the tool.
fn cargo_gate(suite: &Setup, tool: &str, args: &[&str]) -> Ran {
    let (has, version) = output(Command::new("cargo").args([tool, "--version"]));
    if !has {
        return Ran {
            ok: true,
            diags: vec![version.trim().to_string()],
            skip: Some(format!(
                "cargo {tool} is missing: install it (rustup component add {}, or Debian's rust-{})",
                if tool == "fmt" { "rustfmt" } else { "clippy" },
                if tool == "fmt" { "fmt" } else { "clippy" }
            )),
        };
    }
    let (ok, text) = output(
        Command::new("cargo")
            .args(args)
            .current_dir(&suite.lab.root),
    );
    let mut diags = vec![version.trim().to_string()];
    diags.extend(text.lines().take(60).map(str::to_string));
    Ran {
        ok,
        diags,
        skip: None,
    }
}

/// The host tools' unit, fixture and property tests (the inspector's, and
/// this program's own, on recorded boots).
fn host_tools(suite: &Setup) -> (bool, Vec<String>) {
    let (ok, text) = output(
        Command::new("cargo")
            .args(["test", "--quiet", "--workspace"])
            .current_dir(&suite.lab.root),
    );
    let diags = text
        .lines()
        .filter(|l| l.starts_with("test result:") || l.contains("FAILED") || l.contains("panicked"))
        .map(str::to_string)
        .collect();
    (ok, diags)
}

/// Every crate root of `src/` (rustfmt follows their `mod lab;` into
/// `src/lab/`) and of `tests/`, formatted as the kernel's rustfmt
/// configuration says.
fn rustfmt(suite: &Setup) -> (bool, Vec<String>) {
    let config = suite.kernel.path("KERNEL_SRC").join(".rustfmt.toml");
    let roots = crate_roots(&suite.lab.root);
    let mut cmd = Command::new("rustfmt");
    cmd.args([
        "--check",
        "--color",
        "never",
        "--edition",
        "2021",
        "--config-path",
    ])
    .arg(&config)
    .args(&roots);
    let (ok, text) = output(&mut cmd);
    let mut diags: Vec<String> = vec![format!("{} crate root(s) checked", roots.len())];
    diags.extend(text.lines().take(40).map(str::to_string));
    (ok, diags)
}

/// The crate roots of the modules: `src/*.rs`, and any under `tests/`.
pub fn crate_roots(root: &Path) -> Vec<std::path::PathBuf> {
    let mut roots = crate::paths::files_with_ext(&root.join("src"), "rs", false);
    roots.extend(crate::paths::files_with_ext(
        &root.join("tests"),
        "rs",
        true,
    ));
    roots
}

/// A fresh build of the modules with the kernel's clippy configuration
/// (`make CLIPPY=1`, the clippy-driver of the kernel's rustc) prints no
/// warning: neither rustc's, clippy's, objtool's nor modpost's. Like the
/// kernel's build, a clean result is kept in the cache under a key of
/// everything that goes into it; any change builds and checks again.
fn clippy(suite: &Setup) -> (bool, Vec<String>) {
    let k = &suite.kernel;
    let driver = k.path("CLIPPY_DRIVER");
    if !driver.is_file() {
        return (
            false,
            vec![format!("no {}: run make setup", driver.display())],
        );
    }
    let version = |p: &Path| {
        output(Command::new(p).arg("--version"))
            .1
            .trim()
            .to_string()
    };
    let mut diags = vec![version(&driver)];
    let mut key_parts: Vec<Vec<u8>> = Vec::new();
    let mut files = crate_roots(&suite.lab.root);
    files.extend(walk(&suite.lab.root.join("src/lab")));
    files.push(suite.lab.root.join("Kbuild"));
    files.push(suite.lab.root.join("src/Kbuild"));
    files.push(k.kdir().join(".config"));
    files.push(k.kdir().join("Module.symvers"));
    files.sort();
    files.dedup();
    for f in &files {
        key_parts.push(f.to_string_lossy().as_bytes().to_vec());
        key_parts.push(std::fs::read(f).unwrap_or_default());
    }
    key_parts.push(version(&k.path("RUSTC")).into_bytes());
    key_parts.push(version(&driver).into_bytes());
    let key = crate::paths::cache_key(&key_parts);
    let stamp = k.cache().join("clippy-clean").join(&key);
    if let Ok(when) = std::fs::read_to_string(&stamp) {
        diags.push(format!(
            "unchanged since a clean clippy build at {} (key {key})",
            when.trim()
        ));
        return (true, diags);
    }
    let Ok(dir) = crate::qemu::tempdir("clippy") else {
        return (false, vec!["no temporary directory".into()]);
    };
    let (built, log) = output(
        Command::new("make")
            .arg("-s")
            .arg("-C")
            .arg(k.kdir())
            .arg(format!("M={}", suite.lab.root.display()))
            .arg(format!("MO={}", dir.display()))
            .arg(format!("LLVM={}", k.get("LLVM")))
            .arg(format!("RUSTC={}", k.get("RUSTC")))
            .arg("CLIPPY=1")
            .arg(format!("CLIPPY_DRIVER={}", driver.display()))
            .arg("modules"),
    );
    let _ = std::fs::remove_dir_all(&dir);
    // rustc's and clippy's warnings start their line; objtool's and
    // modpost's follow the object's name.
    let warn = regex::Regex::new(r"(^|: )(warning|error)").unwrap();
    let lines: Vec<&str> = log.lines().collect();
    let mut shown = 0;
    for (i, l) in lines.iter().enumerate() {
        if warn.is_match(l) && shown < 60 {
            for x in lines.iter().skip(i).take(5) {
                diags.push(x.to_string());
                shown += 1;
            }
        }
    }
    let ok = built && !lines.iter().any(|l| warn.is_match(l));
    if ok {
        let _ = std::fs::create_dir_all(stamp.parent().unwrap());
        let _ = std::fs::write(&stamp, chrono::Local::now().to_rfc3339());
    }
    (ok, diags)
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect()
}

/// `modinfo` documents every parameter of every module with its allowed
/// range, every module of the harness has `fixed`, and the license is GPL.
fn modinfo(suite: &Setup) -> (bool, Vec<String>) {
    let mut ok = true;
    let mut diags = Vec::new();
    for m in &suite.facts.modules {
        diags.push(format!(
            "{}: license {}",
            m.name,
            m.get("license").unwrap_or("none")
        ));
        if m.get("license") != Some("GPL") {
            ok = false;
            diags.push(format!(
                "{}: the license must be GPL, or lockdep turns itself off",
                m.name
            ));
        }
        for p in &m.params {
            diags.push(format!("  parm {}: {} ({})", p.name, p.description, p.ty));
            match p.range {
                Some((lo, hi)) if lo <= hi => {}
                _ => {
                    ok = false;
                    diags.push(format!(
                        "{}: parameter {} states no allowed range \"(allowed MIN..=MAX)\"",
                        m.name, p.name
                    ));
                }
            }
        }
        let harness = m
            .get("author")
            .is_some_and(|a| a == "deadlock-lab developers")
            && !m.name.ends_with("_kunit");
        if harness && !m.has_fixed() {
            ok = false;
            diags.push(format!(
                "{}: a module of the lab's harness has no fixed parameter",
                m.name
            ));
        }
    }
    (ok, diags)
}

/// Each case of `tests/compile-fail/` (a file of marked regions, see
/// [`crate::regions`]) built with Kbuild against the lab kernel: its broken
/// text fails with the error code and the message its header names
/// (`//! expect-error:`, `//! expect-message:`), pointing into the case
/// itself; its fixed twin builds.
fn compile_fail(suite: &Setup) -> (bool, Vec<String>) {
    use crate::regions::{header, variant, Variant};
    let dir = suite.lab.root.join("tests/compile-fail");
    let mut cases: Vec<(String, String)> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let p = e.path();
            let name = p.file_stem()?.to_str()?.to_string();
            (p.extension()? == "rs").then(|| std::fs::read_to_string(&p).ok().map(|t| (name, t)))?
        })
        .collect();
    cases.sort();
    if cases.is_empty() {
        return (false, vec![format!("no case in {}", dir.display())]);
    }
    let mut roots = Vec::new();
    let mut diags = Vec::new();
    for (name, text) in &cases {
        for (v, suffix) in [(Variant::Broken, "broken"), (Variant::Fixed, "fixed")] {
            match variant(text, v, None) {
                Ok(t) => roots.push((format!("{name}_{suffix}"), t)),
                Err(e) => return (false, vec![format!("tests/compile-fail/{name}.rs: {e}")]),
            }
        }
    }
    let scratch = match crate::build::Scratch::new(&suite.lab, "compile-fail", &roots) {
        Ok(s) => s,
        Err(e) => return (false, vec![e.to_string()]),
    };
    let (_, log) = scratch.build(&suite.kernel);
    let mut ok = true;
    for (name, text) in &cases {
        let (code, messages) = (header(text, "expect-error"), header(text, "expect-message"));
        let broken = format!("{name}_broken");
        let errors = crate::build::errors_in(&log, &scratch.root_path(&broken));
        let code = code.first().copied().unwrap_or("(no expect-error)");
        let matching = errors.iter().find(|e| {
            e.starts_with(&format!("error[{code}]")) && messages.iter().all(|m| e.contains(m))
        });
        match (matching, scratch.built(&broken)) {
            (Some(e), false) => diags.push(format!(
                "{name}: fails as stated: {}",
                e.lines().next().unwrap_or("")
            )),
            (_, true) => {
                ok = false;
                diags.push(format!(
                    "{name}: the broken text built; it must fail with {code}"
                ));
            }
            (None, false) => {
                ok = false;
                diags.push(format!(
                    "{name}: fails, but not with {code} and {messages:?}; its errors:"
                ));
                diags.extend(
                    errors
                        .iter()
                        .take(3)
                        .flat_map(|e| e.lines().take(6).map(str::to_string)),
                );
            }
        }
        if scratch.built(&format!("{name}_fixed")) {
            diags.push(format!("{name}: its fixed twin builds"));
        } else {
            ok = false;
            diags.push(format!("{name}: its fixed twin does not build:"));
            for e in crate::build::errors_in(&log, &scratch.root_path(&format!("{name}_fixed")))
                .iter()
                .take(2)
            {
                diags.extend(e.lines().take(8).map(str::to_string));
            }
        }
    }
    (ok, diags)
}

/// Every workflow of `.github/workflows/` passes actionlint (installed into
/// the cache by `make setup`).
fn actionlint(suite: &Setup) -> (bool, Vec<String>) {
    let bin = suite.kernel.cache().join("tools/actionlint/bin/actionlint");
    if !bin.is_file() {
        return (false, vec![format!("no {}: run make setup", bin.display())]);
    }
    let mut files: Vec<std::path::PathBuf> =
        std::fs::read_dir(suite.lab.root.join(".github/workflows"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
            .collect();
    files.sort();
    if files.is_empty() {
        return (false, vec!["no workflow in .github/workflows".into()]);
    }
    let (ok, text) = output(
        Command::new(&bin)
            .arg("-no-color")
            .args(&files)
            .current_dir(&suite.lab.root),
    );
    let mut diags = vec![format!(
        "{} workflow(s): {}",
        files.len(),
        output(Command::new(&bin).arg("--version"))
            .1
            .lines()
            .next()
            .unwrap_or("")
    )];
    diags.extend(text.lines().take(40).map(str::to_string));
    (ok, diags)
}

/// Each lab module that carries a lock-order contract and declares a typed
/// order in its crate root: the two agree (every contract edge between
/// typed levels goes up the order; the order's steps are in the contract).
fn lock_orders(suite: &Setup) -> (bool, Vec<String>) {
    let mut ok = true;
    let mut diags = Vec::new();
    let mut seen: Vec<(String, std::path::PathBuf)> = Vec::new();
    for d in &suite.decls {
        let Some((file, order)) = &d.lock_order else {
            continue;
        };
        if seen
            .iter()
            .any(|(m, f)| *m == d.scenario.module && f == file)
        {
            continue;
        }
        seen.push((d.scenario.module.clone(), file.clone()));
        let src = suite
            .lab
            .root
            .join("src")
            .join(format!("{}.rs", d.scenario.module));
        let text = std::fs::read_to_string(&src).unwrap_or_default();
        let shown = file.file_name().unwrap_or_default().to_string_lossy();
        match crate::lockorder::typed_levels(&text) {
            None => diags.push(format!(
                "{}: no typed order; {shown} has {} edge(s)",
                d.scenario.module,
                order.edges.len()
            )),
            Some(levels) => {
                let bad = crate::lockorder::typed_disagreement(&levels, order);
                ok &= bad.is_empty();
                diags.push(format!(
                    "{}: typed order {} and {shown}: {}",
                    d.scenario.module,
                    levels.join(" => "),
                    if bad.is_empty() {
                        "agree".to_string()
                    } else {
                        bad.join("; ")
                    }
                ));
            }
        }
    }
    if seen.is_empty() {
        return (false, vec!["no declaration names a lock order".into()]);
    }
    (ok, diags)
}

/// The KTAP printed so far, as the kernel's own parser reads it: no error,
/// no crash, and the same results as the runner counted.
pub fn ktap_check(suite: &Setup, so_far: &str, results: &[TestResult]) -> TestResult {
    let t0 = std::time::Instant::now();
    // The plan counts this test too: the document so far has one test fewer.
    let n = results.len();
    let mut text = String::new();
    for (i, line) in so_far.lines().enumerate() {
        if i == 1 && line.starts_with("1..") {
            text.push_str(&format!("1..{n}\n"));
        } else {
            text.push_str(line);
            text.push('\n');
        }
    }
    let want = (
        results.iter().filter(|r| r.ok).count() as u64,
        results.iter().filter(|r| !r.ok).count() as u64,
    );
    let (ok, diags) = match crate::kunit::parse(&suite.kernel.kunit_py(), &text) {
        Ok(p) => {
            let got = crate::kunit::top_level(&p);
            (
                got == want && p.errors == 0 && p.crashed == 0,
                vec![
                    p.summary.clone(),
                    format!(
                        "kunit.py: top level {} passed, {} failed (runner: {} passed, {} failed); errors {}, crashed {}",
                        got.0, got.1, want.0, want.1, p.errors, p.crashed
                    ),
                ],
            )
        }
        Err(e) => (false, vec![e.to_string()]),
    };
    TestResult::plain("ktap", ok, t0.elapsed().as_secs_f64(), diags)
}
