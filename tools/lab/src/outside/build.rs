// SPDX-License-Identifier: GPL-2.0
//! Building an outside directory where it stands.
//!
//! Kbuild's external-module build with its output elsewhere (`make -C KDIR
//! M=DIR MO=OUT`, Linux >= 6.13): the folder stays untouched, its relative
//! includes (`#include "../../common.h"`) resolve as in the author's own
//! build, and Kbuild alone decides what to rebuild, so an edit to a header
//! outside the folder rebuilds too. The one exception is a Rust crate root
//! that says `mod lab;` in a folder without a `lab` of its own: rustc finds
//! a module beside its crate root only, so that folder is built from a tree
//! of links to its files and the lab's library under `out/`, where paths
//! out of the folder do not resolve; a `lab` link in the folder (what `make
//! exercise` writes) builds it in place.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::paths::{KernelEnv, Lab};
use crate::process::output;
use crate::Error;

/// What a folder needs before Kbuild can build it elsewhere.
pub fn check_buildable(dir: &Path) -> Result<(), Error> {
    if dir.join("modules.order").is_file() {
        return Err(Error::new(format!(
            "MODULE_DIR={}: the folder was built in place before (its modules.order is there), and Kbuild builds it elsewhere only from a clean source tree",
            dir.display()
        ))
        .hint(format!("clean it first: make -C <your kernel tree> M={} clean", dir.display())));
    }
    Ok(())
}

/// The `lab::PART`s its Rust sources name (`src/Kbuild`'s rule: `--cfg
/// lab_PART` for each), and whether a crate root needs a `lab` it lacks.
fn rust_needs(dir: &Path, entries: &[PathBuf]) -> (Vec<String>, bool) {
    let word = regex::Regex::new(r"lab::([a-z_]+)").expect("a valid pattern");
    let mut parts: Vec<String> = Vec::new();
    let mut uses_lab = false;
    for p in entries
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
    {
        let text = std::fs::read_to_string(p).unwrap_or_default();
        uses_lab |= text.lines().any(|l| l.trim() == "mod lab;");
        for c in word.captures_iter(&text) {
            if !parts.contains(&c[1].to_string()) {
                parts.push(c[1].to_string());
            }
        }
    }
    (parts, uses_lab && !dir.join("lab").exists())
}

/// Builds `dir`'s modules into `build` (under `out`); the `.ko` files it
/// built, from Kbuild's own list (`modules.order`).
pub fn build(
    lab: &Lab,
    kernel: &KernelEnv,
    dir: &Path,
    entries: &[PathBuf],
    out: &Path,
) -> Result<Vec<PathBuf>, Error> {
    let io = |e: std::io::Error| Error::new(format!("{}: {e}", out.display()));
    let build = out.join("build");
    std::fs::create_dir_all(&build).map_err(io)?;
    let (parts, needs_links) = rust_needs(dir, entries);
    let source = if needs_links {
        let tree = out.join("tree");
        let _ = std::fs::remove_dir_all(&tree);
        std::fs::create_dir_all(&tree).map_err(io)?;
        for p in entries {
            if let Some(f) = p.file_name() {
                std::os::unix::fs::symlink(p, tree.join(f)).map_err(io)?;
            }
        }
        std::os::unix::fs::symlink(lab.root.join("src/lab"), tree.join("lab")).map_err(io)?;
        crate::note(format!(
            "{}: built from links in {} (its crate says `mod lab;` without a lab folder; add one to build it in place: ln -s {} {})",
            dir.display(),
            tree.display(),
            lab.root.join("src/lab").display(),
            dir.join("lab").display()
        ));
        tree
    } else {
        dir.to_path_buf()
    };
    let flags: Vec<String> = parts.iter().map(|p| format!("--cfg lab_{p}")).collect();
    let (ok, log) = output(
        Command::new("make")
            .arg("-C")
            .arg(kernel.kdir())
            .arg(format!("M={}", source.display()))
            .arg(format!("MO={}", build.display()))
            .arg(format!("LLVM={}", kernel.get("LLVM")))
            .arg(format!("RUSTC={}", kernel.get("RUSTC")))
            .arg(format!("KRUSTFLAGS={}", flags.join(" ")))
            .arg("modules"),
    );
    let _ = std::fs::write(out.join("build.log"), &log);
    if !ok {
        let first: Vec<&str> = log
            .lines()
            .skip_while(|l| !(l.contains("error") || l.contains("Error")))
            .take(8)
            .collect();
        return Err(Error::new(format!("the build of {} failed", dir.display()))
            .hints(first.iter().map(|l| l.to_string()))
            .hint(format!(
                "the whole log: {}",
                out.join("build.log").display()
            )));
    }
    let order = std::fs::read_to_string(build.join("modules.order")).unwrap_or_default();
    let kos: Vec<PathBuf> = order
        .lines()
        .filter_map(|l| l.strip_suffix(".o"))
        .map(|m| build.join(format!("{m}.ko")))
        .filter(|p| p.is_file())
        .collect();
    if kos.is_empty() {
        return Err(
            Error::new(format!("{} built no module (.ko)", dir.display()))
                .hint("its Kbuild needs an obj-m line, for example: obj-m += my_module.o"),
        );
    }
    Ok(kos)
}
