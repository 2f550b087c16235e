// SPDX-License-Identifier: GPL-2.0
//! `make doctor [KDIR=...]`: is this kernel tree one the lab's modules can
//! be built against, and what will they be able to show on it? Every
//! finding is reported, not just the first, each with what to do.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::process::output;
use crate::Error;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Ok,
    /// The modules build, but something cannot be shown.
    Warn,
    /// The modules cannot be built (or must not be).
    Fail,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub level: Level,
    pub what: String,
    pub todo: Option<String>,
}

fn f(level: Level, what: impl Into<String>, todo: Option<String>) -> Finding {
    Finding {
        level,
        what: what.into(),
        todo,
    }
}

/// What the doctor is given.
pub struct Tree {
    pub kdir: PathBuf,
    /// `LLVM=` as for the kernel (empty: the tree's default, gcc).
    pub llvm: String,
    /// `RUSTC=` (empty: `rustc` on PATH).
    pub rustc: String,
    /// The lab's own config fragment, when the tree is the lab's kernel.
    pub fragment: Option<PathBuf>,
}

/// The options the lab's detectors need, what is lost without each, and
/// what the modules still show.
const DETECTORS: &[(&str, &str)] = &[
    ("CONFIG_PROVE_LOCKING", "lockdep's reports (circular, recursive, inconsistent, held locks at exit): the broken modes' verdicts say \"lockdep absent, cannot judge\"; the deadlocks themselves, ps D-state, /proc/PID/stack and sysrq-w still show"),
    ("CONFIG_DETECT_HUNG_TASK", "the hung-task detector's reports of the stuck threads"),
    ("CONFIG_DETECT_HUNG_TASK_BLOCKER", "the hung-task report's line naming the semaphore's last holder"),
    ("CONFIG_SOFTLOCKUP_DETECTOR", "the soft-lockup report of deadlock_spin"),
    ("CONFIG_LOCK_STAT", "/proc/lock_stat, what the fix costs"),
    ("CONFIG_KUNIT", "the library's KUnit suites (deadlock_lab_kunit is not built)"),
    ("CONFIG_DEBUG_KMEMLEAK", "the kmemleak check"),
    ("CONFIG_MAGIC_SYSRQ", "sysrq-w, the list of blocked tasks on demand"),
];

/// The packages that hold a distribution's Rust metadata for its kernels.
fn metadata_package(release: &str) -> String {
    let os = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    let id = os
        .lines()
        .find_map(|l| l.strip_prefix("ID="))
        .unwrap_or("")
        .trim_matches('"')
        .to_string();
    match id.as_str() {
        "ubuntu" => format!("install linux-lib-rust-{release} (Ubuntu ships the metadata apart from the headers)"),
        "arch" => "reinstall linux-headers: Arch's headers package includes rust/*.rmeta".into(),
        "debian" => "Debian's linux-headers packages ship no Rust metadata, and no package does: build a kernel tree yourself, or leave KDIR unset to use the lab's kernel".into(),
        _ => "your distribution's headers package may not ship it: build the kernel tree yourself (make ... modules_prepare leaves rust/*.rmeta), or leave KDIR unset to use the lab's kernel".into(),
    }
}

/// Examines a tree; the findings, in order.
pub fn examine(t: &Tree) -> Vec<Finding> {
    let mut out = Vec::new();
    let kdir = &t.kdir;
    let config = std::fs::read_to_string(kdir.join(".config")).unwrap_or_default();
    if config.is_empty() || !kdir.join("Module.symvers").is_file() {
        out.push(f(
            Level::Fail,
            format!("{} is not a built kernel tree (it needs .config and Module.symvers)", kdir.display()),
            Some("build it with make -C SOURCE O=DIR ... modules_prepare modules, or leave KDIR unset to use the lab's kernel".into()),
        ));
        return out;
    }
    let on = |opt: &str| config.lines().any(|l| l == format!("{opt}=y"));
    let value = |opt: &str| {
        config
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{opt}=")))
            .map(|v| v.trim_matches('"').to_string())
    };
    let release =
        std::fs::read_to_string(kdir.join("include/config/kernel.release")).unwrap_or_default();
    let release = release.trim();
    out.push(f(
        Level::Ok,
        format!("a built kernel tree: Linux {release}"),
        None,
    ));
    if !on("CONFIG_RUST") {
        out.push(f(
            Level::Fail,
            "CONFIG_RUST is off: the modules are written in Rust",
            Some("use a kernel built with CONFIG_RUST=y".into()),
        ));
    } else {
        let rust = kdir.join("rust");
        let missing: Vec<&str> = ["libcore.rmeta", "libkernel.rmeta", "libmacros.so"]
            .into_iter()
            .filter(|m| !rust.join(m).is_file())
            .collect();
        if missing.is_empty() {
            out.push(f(
                Level::Ok,
                "CONFIG_RUST=y, and the Rust metadata is there (rust/*.rmeta, libmacros.so)",
                None,
            ));
        } else {
            out.push(f(
                Level::Fail,
                format!(
                    "CONFIG_RUST=y, but the Rust metadata is missing (rust/{}): no Rust module can be built against this tree (rustc: E0463, can't find crate)",
                    missing.join(", rust/")
                ),
                Some(metadata_package(release)),
            ));
        }
        rustc_matches(t, value("CONFIG_RUSTC_VERSION_TEXT"), &mut out);
    }
    compiler_matches(t, &config, value("CONFIG_CC_VERSION_TEXT"), &mut out);
    if on("CONFIG_PREEMPT_RT") {
        out.push(f(
            Level::Fail,
            "CONFIG_PREEMPT_RT=y: spinlocks sleep there, so deadlock_spin and deadlock_irq cannot show what they are for (src/Kbuild refuses the build)",
            Some("use a kernel without PREEMPT_RT".into()),
        ));
    } else {
        out.push(f(Level::Ok, "PREEMPT_RT is off", None));
    }
    for (opt, lost) in DETECTORS {
        if on(opt) {
            out.push(f(Level::Ok, format!("{opt}=y"), None));
        } else {
            out.push(f(Level::Warn, format!("{opt} is off: no {lost}"), None));
        }
    }
    if let Some(fragment) = &t.fragment {
        let dropped = dropped_options(fragment, &config);
        match dropped.is_empty() {
            true => out.push(f(
                Level::Ok,
                format!(
                    "every option of {} survived olddefconfig",
                    fragment.display()
                ),
                None,
            )),
            false => out.push(f(
                Level::Fail,
                format!(
                    "options of {} that Kconfig dropped: {}",
                    fragment.display(),
                    dropped.join(", ")
                ),
                Some("see each option's 'depends on' (make menuconfig, then '/')".into()),
            )),
        }
    }
    out.push(f(
        Level::Warn,
        "before loading these modules on a real machine: deadlock_spin fixed=0 stops two CPUs for good (only a reboot ends it), and every broken mode deadlocks its threads until rmmod; use a VM (make run, make shell)",
        None,
    ));
    out
}

fn rustc_matches(t: &Tree, want: Option<String>, out: &mut Vec<Finding>) {
    let rustc = if t.rustc.is_empty() {
        "rustc".to_string()
    } else {
        t.rustc.clone()
    };
    let (_, have) = output(Command::new(&rustc).arg("--version"));
    let have = have.trim().to_string();
    match want {
        Some(w) if w == have => out.push(f(
            Level::Ok,
            format!("the rustc is the tree's: {have}"),
            None,
        )),
        Some(w) => out.push(f(
            Level::Fail,
            format!("the tree was built with '{w}', but {rustc} is '{have}'"),
            Some("pass the kernel's compiler: RUSTC=/path/to/rustc".into()),
        )),
        None => out.push(f(
            Level::Fail,
            "the tree's .config names no rustc (CONFIG_RUSTC_VERSION_TEXT)",
            None,
        )),
    }
}

fn compiler_matches(t: &Tree, config: &str, want: Option<String>, out: &mut Vec<Finding>) {
    let clang = config.lines().any(|l| l == "CONFIG_CC_IS_CLANG=y");
    let want = want.unwrap_or_default();
    if clang && t.llvm.is_empty() {
        out.push(f(
            Level::Fail,
            format!("the tree was built with clang ({want}), and no LLVM= was given"),
            Some("pass LLVM=1, or LLVM=-NN for a versioned clang".into()),
        ));
        return;
    }
    if !clang && !t.llvm.is_empty() {
        out.push(f(
            Level::Fail,
            format!(
                "the tree was built with gcc ({want}), but LLVM={} asks for clang",
                t.llvm
            ),
            Some("leave LLVM unset".into()),
        ));
        return;
    }
    let cc = if clang {
        let suffix = if t.llvm == "1" {
            String::new()
        } else {
            t.llvm.clone()
        };
        format!("clang{suffix}")
    } else {
        "gcc".to_string()
    };
    let (_, have) = output(Command::new(&cc).arg("--version"));
    let first = have.lines().next().unwrap_or("").trim().to_string();
    if !want.is_empty() && first == want {
        out.push(f(
            Level::Ok,
            format!("the C compiler is the tree's: {first}"),
            None,
        ));
    } else {
        out.push(f(
            Level::Fail,
            format!("the tree was built with '{want}', but {cc} is '{first}'"),
            Some(format!(
                "pass the kernel's compiler ({})",
                if clang { "LLVM=" } else { "CC=" }
            )),
        ));
    }
}

/// The options of `fragment` the `.config` does not hold as asked.
pub fn dropped_options(fragment: &Path, config: &str) -> Vec<String> {
    let text = std::fs::read_to_string(fragment).unwrap_or_default();
    let lines: Vec<&str> = config.lines().collect();
    text.lines()
        .map(str::trim)
        .filter(|l| l.starts_with("CONFIG_"))
        .filter(|l| match l.strip_suffix("=n") {
            Some(name) => lines
                .iter()
                .any(|c| *c == format!("{name}=y") || *c == format!("{name}=m")),
            None => !lines.contains(l),
        })
        .map(str::to_string)
        .collect()
}

/// Prints the findings; an error if any is a failure.
pub fn report(t: &Tree, findings: &[Finding]) -> Result<bool, Error> {
    println!("doctor: {}", t.kdir.display());
    for x in findings {
        let tag = match x.level {
            Level::Ok => "ok  ",
            Level::Warn => "warn",
            Level::Fail => "FAIL",
        };
        println!("  {tag} {}", x.what);
        if let Some(todo) = &x.todo {
            println!("       what to do: {todo}");
        }
    }
    let fails = findings.iter().filter(|x| x.level == Level::Fail).count();
    let warns = findings.iter().filter(|x| x.level == Level::Warn).count();
    println!("doctor: {fails} problem(s), {warns} warning(s)");
    if fails > 0 {
        let first = findings.iter().find(|x| x.level == Level::Fail).unwrap();
        return Err(Error::new(format!("{}: {}", t.kdir.display(), first.what))
            .hints(first.todo.clone())
            .hint("(every finding above; make doctor KDIR=... runs this check alone)"));
    }
    Ok(true)
}
