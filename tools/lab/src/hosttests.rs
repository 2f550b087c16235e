// SPDX-License-Identifier: GPL-2.0
//! The suite's tests that need no boot: the host tools' own tests, the
//! modules' formatting and clippy, their `modinfo`, and last, the suite's
//! KTAP as the kernel's parser reads it.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::ktap::TestResult;
use crate::process::output;
use crate::setup::Setup;

/// A test of the suite that runs on the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostTest {
    Inspector,
    ModuleRustfmt,
    ModuleClippy,
    Modinfo,
    CompileFail,
    Doctor,
    Actionlint,
    OutsideErrors,
    Interrupt,
}

/// In the order the suite runs them.
pub const ALL: [HostTest; 9] = [
    HostTest::Inspector,
    HostTest::ModuleRustfmt,
    HostTest::ModuleClippy,
    HostTest::Modinfo,
    HostTest::CompileFail,
    HostTest::Doctor,
    HostTest::Actionlint,
    HostTest::OutsideErrors,
    HostTest::Interrupt,
];

impl HostTest {
    pub fn name(self) -> &'static str {
        match self {
            HostTest::Inspector => "inspector",
            HostTest::ModuleRustfmt => "module_rustfmt",
            HostTest::ModuleClippy => "module_clippy",
            HostTest::Modinfo => "modinfo",
            HostTest::CompileFail => "compile_fail",
            HostTest::Doctor => "doctor",
            HostTest::Actionlint => "actionlint",
            HostTest::OutsideErrors => "outside_errors",
            HostTest::Interrupt => "interrupt",
        }
    }

    /// Runs the test: whether it passed, and its diagnostics.
    pub fn run(self, suite: &Setup) -> (bool, Vec<String>) {
        match self {
            HostTest::Inspector => host_tools(suite),
            HostTest::ModuleRustfmt => rustfmt(suite),
            HostTest::ModuleClippy => clippy(suite),
            HostTest::Modinfo => modinfo(suite),
            HostTest::CompileFail => compile_fail(suite),
            HostTest::Doctor => doctor(suite),
            HostTest::Actionlint => actionlint(suite),
            HostTest::OutsideErrors => outside_errors(suite),
            HostTest::Interrupt => interrupt(suite),
        }
    }
}

/// The host tools' unit, fixture and property tests (the inspector's, and
/// this program's own, on recorded boots).
fn host_tools(suite: &Setup) -> (bool, Vec<String>) {
    let (ok, text) = output(Command::new("cargo").args(["test", "--quiet", "--workspace"]).current_dir(&suite.lab.root));
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
    cmd.args(["--check", "--color", "never", "--edition", "2021", "--config-path"]).arg(&config).args(&roots);
    let (ok, text) = output(&mut cmd);
    let mut diags: Vec<String> = vec![format!("{} crate root(s) checked", roots.len())];
    diags.extend(text.lines().take(40).map(str::to_string));
    (ok, diags)
}

/// The crate roots of the modules: `src/*.rs`, and any under `tests/`.
pub fn crate_roots(root: &Path) -> Vec<std::path::PathBuf> {
    let mut roots = Vec::new();
    let mut dirs = vec![root.join("src")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "rs") {
                roots.push(p);
            }
        }
    }
    let tests = root.join("tests");
    let mut stack = vec![tests];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            // A case's `lab` is a link to src/lab, whose files are no crate roots.
            if e.file_type().is_ok_and(|t| t.is_symlink()) {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                roots.push(p);
            }
        }
    }
    roots.sort();
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
        return (false, vec![format!("no {}: run make setup", driver.display())]);
    }
    let version = |p: &Path| output(Command::new(p).arg("--version")).1.trim().to_string();
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
    let key = hash(&key_parts);
    let stamp = k.cache().join("clippy-clean").join(&key);
    if let Ok(when) = std::fs::read_to_string(&stamp) {
        diags.push(format!("unchanged since a clean clippy build at {} (key {key})", when.trim()));
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
    std::fs::read_dir(dir).into_iter().flatten().flatten().map(|e| e.path()).filter(|p| p.is_file()).collect()
}

/// A short hash of byte strings, for cache keys.
pub fn hash(parts: &[Vec<u8>]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// `modinfo` documents every parameter of every module with its allowed
/// range, every module of the harness has `fixed`, and the license is GPL.
fn modinfo(suite: &Setup) -> (bool, Vec<String>) {
    let mut ok = true;
    let mut diags = Vec::new();
    for m in &suite.facts.modules {
        diags.push(format!("{}: license {}", m.name, m.get("license").unwrap_or("none")));
        if m.get("license") != Some("GPL") {
            ok = false;
            diags.push(format!("{}: the license must be GPL, or lockdep turns itself off", m.name));
        }
        for p in &m.params {
            diags.push(format!("  parm {}: {} ({})", p.name, p.description, p.ty));
            match p.range {
                Some((lo, hi)) if lo <= hi => {}
                _ => {
                    ok = false;
                    diags.push(format!("{}: parameter {} states no allowed range \"(allowed MIN..=MAX)\"", m.name, p.name));
                }
            }
        }
        let harness = m.get("author").is_some_and(|a| a == "deadlock-lab developers") && !m.name.ends_with("_kunit");
        if harness && !m.has_fixed() {
            ok = false;
            diags.push(format!("{}: a module of the lab's harness has no fixed parameter", m.name));
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
            (Some(e), false) => diags.push(format!("{name}: fails as stated: {}", e.lines().next().unwrap_or(""))),
            (_, true) => {
                ok = false;
                diags.push(format!("{name}: the broken text built; it must fail with {code}"));
            }
            (None, false) => {
                ok = false;
                diags.push(format!("{name}: fails, but not with {code} and {messages:?}; its errors:"));
                diags.extend(errors.iter().take(3).flat_map(|e| e.lines().take(6).map(str::to_string)));
            }
        }
        if scratch.built(&format!("{name}_fixed")) {
            diags.push(format!("{name}: its fixed twin builds"));
        } else {
            ok = false;
            diags.push(format!("{name}: its fixed twin does not build:"));
            for e in crate::build::errors_in(&log, &scratch.root_path(&format!("{name}_fixed"))).iter().take(2) {
                diags.extend(e.lines().take(8).map(str::to_string));
            }
        }
    }
    (ok, diags)
}

/// The doctor passes the lab's own tree, and on a headers-only copy of it
/// (what the kernel's `scripts/package/install-extmod-build` installs, the
/// shape of a distribution's headers package: no Rust metadata) both `make
/// doctor KDIR=...` and `make KDIR=...` stop naming the missing metadata,
/// before Kbuild's own error.
fn doctor(suite: &Setup) -> (bool, Vec<String>) {
    let k = &suite.kernel;
    let mut diags = Vec::new();
    let own = crate::doctor::examine(&crate::doctor::Tree {
        kdir: k.kdir(),
        llvm: k.get("LLVM").into(),
        rustc: k.get("RUSTC").into(),
        fragment: Some(suite.lab.root.join("scripts/lab.config")),
    });
    let own_ok = !own.iter().any(|f| f.level == crate::doctor::Level::Fail);
    diags.push(format!("the lab's tree: {}", if own_ok { "no problem" } else { "PROBLEMS" }));
    diags.extend(own.iter().filter(|f| f.level == crate::doctor::Level::Fail).map(|f| format!("  {}", f.what)));
    let Ok(copy) = crate::qemu::tempdir("headers") else { return (false, vec!["no temporary directory".into()]) };
    let src = k.path("KERNEL_SRC");
    let clang = format!("clang{}", if k.get("LLVM") == "1" { "" } else { k.get("LLVM") });
    let (made, text) = output(
        Command::new("sh")
            .arg(src.join("scripts/package/install-extmod-build"))
            .arg(&copy)
            .current_dir(k.kdir())
            .env("srctree", &src)
            .env("SRCARCH", "x86")
            .env("CC", &clang)
            .env("HOSTCC", &clang)
            .env("MAKE", "make"),
    );
    let _ = std::fs::copy(k.kdir().join(".config"), copy.join(".config"));
    if !made {
        let _ = std::fs::remove_dir_all(&copy);
        return (false, vec![format!("install-extmod-build failed: {text}")]);
    }
    let make = |target: Option<&str>| {
        let mut cmd = Command::new("make");
        cmd.arg("-s").arg("-C").arg(&suite.lab.root);
        cmd.args(target);
        cmd.arg(format!("KDIR={}", copy.display()))
            .arg(format!("LLVM={}", k.get("LLVM")))
            .arg(format!("RUSTC={}", k.get("RUSTC")))
            .arg(format!("LAB_OUT={}", copy.join("out").display()));
        output(&mut cmd)
    };
    let mut ok = own_ok;
    for (what, target) in [("make doctor KDIR=<headers-only copy>", Some("doctor")), ("make KDIR=<headers-only copy>", None)] {
        let (passed, text) = make(target);
        let named = text.contains("the Rust metadata is missing");
        let kbuild = text.contains("error[E0463]");
        diags.push(format!(
            "{what}: {}, {}, {}",
            if passed { "passed (it must not)" } else { "failed" },
            if named { "naming the missing Rust metadata" } else { "NOT naming the Rust metadata" },
            if kbuild { "with Kbuild's E0463 (too late)" } else { "before Kbuild" }
        ));
        ok &= !passed && named && !kbuild;
    }
    let _ = std::fs::remove_dir_all(&copy);
    (ok, diags)
}

/// Every workflow of `.github/workflows/` passes actionlint (installed into
/// the cache by `make setup`).
fn actionlint(suite: &Setup) -> (bool, Vec<String>) {
    let bin = suite.kernel.cache().join("tools/actionlint/bin/actionlint");
    if !bin.is_file() {
        return (false, vec![format!("no {}: run make setup", bin.display())]);
    }
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(suite.lab.root.join(".github/workflows"))
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
    let (ok, text) = output(Command::new(&bin).arg("-no-color").args(&files).current_dir(&suite.lab.root));
    let mut diags = vec![format!("{} workflow(s): {}", files.len(), output(Command::new(&bin).arg("--version")).1.lines().next().unwrap_or(""))];
    diags.extend(text.lines().take(40).map(str::to_string));
    (ok, diags)
}

/// A broken outside directory (`make test MODULE_DIR=...`) is refused
/// before any boot, with a message that names what is wrong: an empty one,
/// one without Kbuild, a misspelt key in its declaration, a compile error,
/// a declaration naming a module that was not built. Each is made from the
/// C example of `tests/examples/c-abba`.
fn outside_errors(suite: &Setup) -> (bool, Vec<String>) {
    let example = suite.lab.root.join("tests/examples/c-abba");
    let read = |f: &str| std::fs::read_to_string(example.join(f)).unwrap_or_default();
    let (source, kbuild, decl) = (read("c_abba.c"), read("Kbuild"), read("fixed.expect.json"));
    let cases: Vec<(&str, Vec<(&str, String)>, &str)> = vec![
        ("an empty directory", vec![], "is empty"),
        ("no Kbuild or Makefile", vec![("c_abba.c", source.clone()), ("fixed.expect.json", decl.clone())], "has no Kbuild or Makefile"),
        (
            "a misspelt key in its declaration",
            vec![("c_abba.c", source.clone()), ("Kbuild", kbuild.clone()), ("fixed.expect.json", decl.replace("\"params\"", "\"parms\""))],
            "unknown field `parms`",
        ),
        (
            "a compile error",
            vec![("c_abba.c", source.replace("static int fixed;", "static int fixed")), ("Kbuild", kbuild.clone()), ("fixed.expect.json", decl.clone())],
            "failed",
        ),
        (
            "a declaration naming a module that was not built",
            vec![("c_abba.c", source.clone()), ("Kbuild", kbuild.clone()), ("fixed.expect.json", decl.replace("\"c_abba\"", "\"c_abbb\""))],
            "module \"c_abbb\" was not built",
        ),
    ];
    let mut ok = true;
    let mut diags = Vec::new();
    for (what, files, want) in cases {
        let Ok(dir) = crate::qemu::tempdir("outside") else { return (false, vec!["no temporary directory".into()]) };
        for (name, text) in &files {
            let _ = std::fs::write(dir.join(name), text);
        }
        let r = crate::outside::prepare(&suite.lab, &suite.kernel, &dir);
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_dir_all(suite.lab.out.join("outside").join(dir.file_name().unwrap_or_default()));
        match r {
            Err(e) if e.to_string().contains(want) => {
                diags.push(format!("{what}: refused: {}", e.to_string().lines().take(2).collect::<Vec<_>>().join(" / ")))
            }
            Err(e) => {
                ok = false;
                diags.push(format!("{what}: refused, but not saying {want:?}: {e}"));
            }
            Ok(_) => {
                ok = false;
                diags.push(format!("{what}: accepted (it must be refused)"));
            }
        }
    }
    (ok, diags)
}

/// Ctrl-C works: SIGINT to the process group of a `lab test` whose boot is
/// running ends it within 5 s, non-zero, with no QEMU left and a KTAP that
/// says it was interrupted. The run is this program's own, on the suite's
/// `fixed` scenario, in an output directory of its own.
fn interrupt(suite: &Setup) -> (bool, Vec<String>) {
    use std::os::unix::process::CommandExt;
    use std::time::{Duration, Instant};
    let mut diags = Vec::new();
    let Ok(out) = crate::qemu::tempdir("interrupt") else { return (false, vec!["no temporary directory".into()]) };
    for f in ["lab.env", "module", "initramfs.cpio", "initramfs-perf.cpio"] {
        let _ = std::os::unix::fs::symlink(suite.lab.out.join(f), out.join(f));
    }
    let exe = std::env::current_exe().unwrap_or_else(|_| suite.lab.root.join("target/release/lab"));
    let child = Command::new(exe)
        .args(["test", "fixed"])
        .env("LAB_OUT", &out)
        .env("LAB_ROOT", &suite.lab.root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn();
    let Ok(mut child) = child else { return (false, vec!["cannot start lab test".into()]) };
    let _registered = crate::interrupt::register(child.id());
    // Wait until its boot runs: the guest init spoke.
    let started = Instant::now();
    let booted = loop {
        let logs = std::fs::read_dir(out.join("logs")).into_iter().flatten().flatten();
        if logs.map(|e| e.path().join("lab.log")).any(|p| std::fs::metadata(p).map(|m| m.len() > 0).unwrap_or(false)) {
            break true;
        }
        if started.elapsed() > Duration::from_secs(60) || matches!(child.try_wait(), Ok(Some(_))) {
            break false;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let pgid = nix::unistd::Pid::from_raw(child.id() as i32);
    let _ = nix::sys::signal::killpg(pgid, nix::sys::signal::Signal::SIGINT);
    let sent = Instant::now();
    let status = loop {
        if let Ok(Some(s)) = child.try_wait() {
            break Some(s);
        }
        if sent.elapsed() > Duration::from_secs(5) {
            let _ = nix::sys::signal::killpg(pgid, nix::sys::signal::Signal::SIGKILL);
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let secs = sent.elapsed().as_secs_f64();
    let (_, ps) = output(Command::new("pgrep").arg("-f").arg(format!("qemu-system.*{}", out.display())));
    let ktap = std::fs::read_to_string(out.join("test-results.ktap")).unwrap_or_default();
    let says = ktap.contains("# interrupted by SIGINT:") && ktap.contains("not ok 1 fixed # interrupted by SIGINT");
    diags.push(format!(
        "boot running: {booted}; exited after {secs:.1} s with {status:?}; QEMU left: {}; KTAP says interrupted: {says}",
        if ps.trim().is_empty() { "none" } else { ps.trim() }
    ));
    let ok = booted && status.is_some_and(|s| !s.success()) && ps.trim().is_empty() && says;
    let _ = std::fs::remove_dir_all(&out);
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
    let want = (results.iter().filter(|r| r.ok).count() as u64, results.iter().filter(|r| !r.ok).count() as u64);
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
