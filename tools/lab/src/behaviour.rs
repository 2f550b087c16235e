// SPDX-License-Identifier: GPL-2.0
//! The suite's host tests of this program's own behaviour, each run as a
//! user would meet it: `make doctor` on a tree that cannot build the lab,
//! an outside module's mistakes caught before any boot, an outside folder
//! built where it stands, and Ctrl-C.

use std::process::{Command, Stdio};

use crate::process::output;
use crate::setup::Setup;

/// The doctor passes the lab's own tree, and on a headers-only copy of it
/// (what the kernel's `scripts/package/install-extmod-build` installs, the
/// shape of a distribution's headers package: no Rust metadata) both `make
/// doctor KDIR=...` and `make KDIR=...` stop naming the missing metadata,
/// before Kbuild's own error.
pub fn doctor(suite: &Setup) -> (bool, Vec<String>) {
    let k = &suite.kernel;
    let mut diags = Vec::new();
    let own = crate::doctor::examine(&crate::doctor::Tree {
        kdir: k.kdir(),
        llvm: k.get("LLVM").into(),
        rustc: k.get("RUSTC").into(),
        fragment: Some(suite.lab.root.join("scripts/lab.config")),
    });
    let own_ok = !own.iter().any(|f| f.level == crate::doctor::Level::Fail);
    diags.push(format!(
        "the lab's tree: {}",
        if own_ok { "no problem" } else { "PROBLEMS" }
    ));
    diags.extend(
        own.iter()
            .filter(|f| f.level == crate::doctor::Level::Fail)
            .map(|f| format!("  {}", f.what)),
    );
    let Ok(copy) = crate::qemu::tempdir("headers") else {
        return (false, vec!["no temporary directory".into()]);
    };
    let src = k.path("KERNEL_SRC");
    let clang = format!(
        "clang{}",
        if k.get("LLVM") == "1" {
            ""
        } else {
            k.get("LLVM")
        }
    );
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
    for (what, target) in [
        ("make doctor KDIR=<headers-only copy>", Some("doctor")),
        ("make KDIR=<headers-only copy>", None),
    ] {
        let (passed, text) = make(target);
        let named = text.contains("the Rust metadata is missing");
        let kbuild = text.contains("error[E0463]");
        diags.push(format!(
            "{what}: {}, {}, {}",
            if passed {
                "passed (it must not)"
            } else {
                "failed"
            },
            if named {
                "naming the missing Rust metadata"
            } else {
                "NOT naming the Rust metadata"
            },
            if kbuild {
                "with Kbuild's E0463 (too late)"
            } else {
                "before Kbuild"
            }
        ));
        ok &= !passed && named && !kbuild;
    }
    let _ = std::fs::remove_dir_all(&copy);
    (ok, diags)
}

/// A broken outside directory (`make test MODULE_DIR=...`) is refused
/// before any boot, with a message that names what is wrong: an empty one,
/// one without Kbuild, a misspelt key in its declaration, a compile error,
/// a declaration naming a module that was not built. Each is made from the
/// C example of `tests/examples/c-abba`.
pub fn outside_errors(suite: &Setup) -> (bool, Vec<String>) {
    let example = suite.lab.root.join("tests/examples/c-abba");
    let read = |f: &str| std::fs::read_to_string(example.join(f)).unwrap_or_default();
    let (source, kbuild, decl) = (read("c_abba.c"), read("Kbuild"), read("fixed.expect.json"));
    // What a case is: its name, the files of its directory, the error
    // expected, and the directory's own name.
    type Case<'a> = (&'a str, Vec<(&'a str, String)>, &'a str, &'a str);
    let whole = || {
        vec![
            ("c_abba.c", source.clone()),
            ("Kbuild", kbuild.clone()),
            ("fixed.expect.json", decl.clone()),
        ]
    };
    let cases: Vec<Case> = vec![
        (
            "a lock-order file whose edges form a cycle",
            {
                let mut f = whole();
                f[2].1 = decl.replacen('{', "{\"lock_order\": \"order.json\",", 1);
                f.push((
                    "order.json",
                    r#"{"classes": ["a", "b"], "edges": [{"from": "a", "to": "b"}, {"from": "b", "to": "a"}]}"#.to_string(),
                ));
                f
            },
            "form a cycle, a -> b -> a",
            "m",
        ),
        (
            "a folder built in place before",
            {
                let mut f = whole();
                f.push(("modules.order", "c_abba.o\n".to_string()));
                f
            },
            "was built in place before",
            "m",
        ),
        (
            "a path with a space, which Kbuild cannot take",
            whole(),
            "holds a space",
            "my module",
        ),
        ("an empty directory", vec![], "is empty", "m"),
        (
            "no Kbuild or Makefile",
            vec![
                ("c_abba.c", source.clone()),
                ("fixed.expect.json", decl.clone()),
            ],
            "has no Kbuild or Makefile",
            "m",
        ),
        (
            "a misspelt key in its declaration",
            vec![
                ("c_abba.c", source.clone()),
                ("Kbuild", kbuild.clone()),
                ("fixed.expect.json", decl.replace("\"params\"", "\"parms\"")),
            ],
            "unknown field `parms`",
            "m",
        ),
        (
            "a compile error",
            vec![
                (
                    "c_abba.c",
                    source.replace("static int fixed;", "static int fixed"),
                ),
                ("Kbuild", kbuild.clone()),
                ("fixed.expect.json", decl.clone()),
            ],
            "failed",
            "m",
        ),
        (
            "a declaration naming a module that was not built",
            vec![
                ("c_abba.c", source.clone()),
                ("Kbuild", kbuild.clone()),
                (
                    "fixed.expect.json",
                    decl.replace("\"c_abba\"", "\"c_abbb\""),
                ),
            ],
            "module \"c_abbb\" was not built",
            "m",
        ),
    ];
    let mut ok = true;
    let mut diags = Vec::new();
    // Accepted: a scenario that ends in a panic, without a script of its
    // own, runs the generic flow up to the load.
    let panics = decl.replace("\"wait\"", "\"ends\": \"panic\", \"wait\"");
    let files = vec![
        ("c_abba.c", source.clone()),
        ("Kbuild", kbuild.clone()),
        ("fixed.expect.json", panics),
    ];
    match with_dir(&files, "m", |dir| {
        crate::outside::prepare(&suite.lab, &suite.kernel, dir)
    }) {
        Some(Ok(o)) if o.decls[0].plan.checks == ["module-there"] => diags.push(
            "a panic ending without a script: accepted, the generic flow's checks up to the load"
                .into(),
        ),
        Some(Ok(o)) => {
            ok = false;
            diags.push(format!(
                "a panic ending without a script: its checks are {:?}",
                o.decls[0].plan.checks
            ));
        }
        Some(Err(e)) => {
            ok = false;
            diags.push(format!("a panic ending without a script: refused: {e}"));
        }
        None => return (false, vec!["no temporary directory".into()]),
    }
    for (what, files, want, name) in cases {
        let Ok(top) = crate::qemu::tempdir("outside") else {
            return (false, vec!["no temporary directory".into()]);
        };
        let dir = top.join(name);
        let _ = std::fs::create_dir_all(&dir);
        for (name, text) in &files {
            let _ = std::fs::write(dir.join(name), text);
        }
        let r = crate::outside::prepare(&suite.lab, &suite.kernel, &dir);
        let _ = std::fs::remove_dir_all(&top);
        let _ = std::fs::remove_dir_all(
            suite
                .lab
                .out
                .join("outside")
                .join(dir.file_name().unwrap_or_default()),
        );
        match r {
            Err(e) if e.to_string().contains(want) => diags.push(format!(
                "{what}: refused: {}",
                e.to_string()
                    .lines()
                    .take(2)
                    .collect::<Vec<_>>()
                    .join(" / ")
            )),
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
pub fn interrupt(suite: &Setup) -> (bool, Vec<String>) {
    use std::os::unix::process::CommandExt;
    use std::time::{Duration, Instant};
    let mut diags = Vec::new();
    let Ok(out) = crate::qemu::tempdir("interrupt") else {
        return (false, vec!["no temporary directory".into()]);
    };
    for f in ["lab.env", "module", "initramfs.cpio", "initramfs-perf.cpio"] {
        let _ = std::os::unix::fs::symlink(suite.lab.out.join(f), out.join(f));
    }
    // This very program, or, if it was rebuilt while it ran (its old file
    // gone), the one built in its place.
    let exe = std::env::current_exe()
        .ok()
        .filter(|p| p.is_file())
        .unwrap_or_else(|| suite.lab.root.join("target/release/lab"));
    let child = Command::new(&exe)
        .args(["test", "fixed"])
        .env("LAB_OUT", &out)
        .env("LAB_ROOT", &suite.lab.root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            return (
                false,
                vec![format!("cannot start {} test: {e}", exe.display())],
            )
        }
    };
    let _registered = crate::interrupt::register(child.id());
    // Wait until its boot runs: the guest init spoke.
    let started = Instant::now();
    let booted = loop {
        let logs = std::fs::read_dir(out.join("logs"))
            .into_iter()
            .flatten()
            .flatten();
        if logs
            .map(|e| e.path().join("lab.log"))
            .any(|p| std::fs::metadata(p).map(|m| m.len() > 0).unwrap_or(false))
        {
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
    let (_, ps) = output(
        Command::new("pgrep")
            .arg("-f")
            .arg(format!("qemu-system.*{}", out.display())),
    );
    let ktap = std::fs::read_to_string(out.join("test-results.ktap")).unwrap_or_default();
    let says = ktap.contains("# interrupted by SIGINT:")
        && ktap.contains("not ok 1 fixed # interrupted by SIGINT");
    diags.push(format!(
        "boot running: {booted}; exited after {secs:.1} s with {status:?}; QEMU left: {}; KTAP says interrupted: {says}",
        if ps.trim().is_empty() { "none" } else { ps.trim() }
    ));
    let ok = booted && status.is_some_and(|s| !s.success()) && ps.trim().is_empty() && says;
    let _ = std::fs::remove_dir_all(&out);
    (ok, diags)
}

/// An outside folder is built where it stands, as its author would build
/// it: a C file whose name has a `-` (the module's name has `_`, and the
/// declaration may say either), including a header from the folder above,
/// builds; nothing is written into the folder; and an edit of that header
/// alone rebuilds the module.
pub fn outside_in_place(suite: &Setup) -> (bool, Vec<String>) {
    let example = suite.lab.root.join("tests/examples/c-abba");
    let read = |f: &str| std::fs::read_to_string(example.join(f)).unwrap_or_default();
    let Ok(top) = crate::qemu::tempdir("in-place") else {
        return (false, vec!["no temporary directory".into()]);
    };
    let dir = top.join("book").join("ch13");
    let _ = std::fs::create_dir_all(&dir);
    let header = top.join("book/common.h");
    let source = read("c_abba.c").replacen(
        "#include <linux/atomic.h>",
        "#include \"../common.h\"\n#include <linux/atomic.h>",
        1,
    );
    let write = |p: &std::path::Path, t: &str| std::fs::write(p, t).is_ok();
    let decl = read("fixed.expect.json").replace("\"c_abba\"", "\"c-abba\"");
    let ok_files = write(&header, "#define BOOK_COMMON 1\n")
        && write(&dir.join("c-abba.c"), &source)
        && write(&dir.join("Kbuild"), "obj-m += c-abba.o\n")
        && write(&dir.join("fixed.expect.json"), &decl);
    if !ok_files {
        return (false, vec![format!("cannot write {}", dir.display())]);
    }
    let listing = |d: &std::path::Path| -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = std::fs::read_dir(d)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| {
                let len = e.metadata().map(|m| m.len()).unwrap_or(0);
                (e.file_name().to_string_lossy().into_owned(), len)
            })
            .collect();
        v.sort();
        v
    };
    let before = listing(&dir);
    let mut diags = Vec::new();
    let mut ok = true;
    // The module's name, and when Kbuild last wrote its .ko.
    let ko_of = |o: &crate::outside::Outside| {
        o.facts.modules.first().map(|m| {
            let when = std::fs::metadata(&m.path).and_then(|md| md.modified()).ok();
            (m.name.clone(), when)
        })
    };
    let first = crate::outside::prepare(&suite.lab, &suite.kernel, &dir);
    let first_ko = match &first {
        Ok(o) => {
            diags.push(format!(
                "built {} where it stands (a header from the folder above included)",
                dir.display()
            ));
            ko_of(o)
        }
        Err(e) => {
            ok = false;
            diags.push(format!("the build failed: {e}"));
            None
        }
    };
    if let Some((name, _)) = &first_ko {
        ok &= name == "c_abba";
        diags.push(format!(
            "c-abba.c built the module {name} (declared as c-abba)"
        ));
    }
    let after = listing(&dir);
    if after != before {
        ok = false;
        diags.push(format!("the folder changed: {before:?} -> {after:?}"));
    } else {
        diags.push("nothing was written into the folder".into());
    }
    let _ = write(
        &header,
        "#define BOOK_COMMON 2\nstatic const int book_common_edited = BOOK_COMMON;\n",
    );
    match crate::outside::prepare(&suite.lab, &suite.kernel, &dir).map(|o| ko_of(&o)) {
        Ok(Some((_, ko))) if first_ko.as_ref().is_some_and(|(_, k)| *k != ko) => {
            diags.push("an edit of the header outside the folder rebuilt the module".into())
        }
        Ok(again) => {
            ok = false;
            diags.push(format!(
                "the header changed, but the module was not rebuilt ({first_ko:?}, then {again:?})"
            ));
        }
        Err(e) => {
            ok = false;
            diags.push(format!("the second build failed: {e}"));
        }
    }
    let _ = std::fs::remove_dir_all(&top);
    let _ = std::fs::remove_dir_all(suite.lab.out.join("outside/ch13"));
    (ok, diags)
}

/// Runs `f` on a new folder called `name` holding `files`, then removes it
/// and what the lab built of it.
fn with_dir<T>(
    files: &[(&str, String)],
    name: &str,
    f: impl FnOnce(&std::path::Path) -> T,
) -> Option<T> {
    let top = crate::qemu::tempdir("outside").ok()?;
    let dir = top.join(name);
    let _ = std::fs::create_dir_all(&dir);
    for (file, text) in files {
        let _ = std::fs::write(dir.join(file), text);
    }
    let r = f(&dir);
    let _ = std::fs::remove_dir_all(&top);
    Some(r)
}
