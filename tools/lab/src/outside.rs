// SPDX-License-Identifier: GPL-2.0
//! A module from outside the lab (`make test MODULE_DIR=path`), built
//! against the lab kernel, put into the guest, and judged like the lab's
//! own scenarios.
//!
//! The directory holds the module's source with its own `Kbuild` or
//! `Makefile` (C or Rust; a Rust crate root may say `mod lab;` and use the
//! lab's library) and at least one scenario declaration `NAME.expect.json`
//! in the lab's format. `NAME.sh`, a guest script, is needed only for checks
//! of its own: without one the scenario runs the lab's generic flow
//! (`tests/scenarios/lib-generic.sh`). Its scenarios are named
//! `DIR.NAME` in the suite. Everything it makes goes to `out/outside/DIR/`:
//! the build tree (links to the directory's files, and `lab` to the
//! library), the build, and the initramfs, the lab's with one more archive
//! of the directory's modules, scripts and environments.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::decl::{Declaration, SUFFIX};
use crate::modules::{Facts, Module};
use crate::paths::{KernelEnv, Lab};
use crate::process::output;
use crate::Error;

/// The lab's generic guest flow: its load, and its unload, which a
/// scenario that ends in a kernel panic never reaches.
pub const GENERIC: &str = "tests/scenarios/lib-generic.sh";
pub const GENERIC_UNLOAD: &str = "tests/scenarios/lib-generic-unload.sh";

/// An outside directory, built and ready to boot.
#[derive(Debug, Clone)]
pub struct Outside {
    /// The directory's name, the prefix of its scenarios.
    pub name: String,
    pub dir: PathBuf,
    pub decls: Vec<Declaration>,
    pub facts: Facts,
    /// The lab's initramfs with the archive of the directory's modules and
    /// scenarios after it.
    pub image: PathBuf,
    /// That archive alone, for a boot shared with other directories.
    pub extra: PathBuf,
    /// The key of everything the build and the image come from.
    pub key: String,
}

/// Builds `dir` and checks its declarations, before any boot: every problem
/// is an error that names it.
pub fn prepare(lab: &Lab, kernel: &KernelEnv, dir: &Path) -> Result<Outside, Error> {
    // As given, made absolute: a link from a path Kbuild can take to one it
    // cannot is a way round a space.
    let given = dir;
    let dir = std::path::absolute(dir)
        .map_err(|e| Error::new(format!("MODULE_DIR={}: {e}", given.display())))?;
    if !dir.is_dir() {
        return Err(Error::new(format!(
            "MODULE_DIR={}: no such folder",
            given.display()
        )));
    }
    if dir.to_string_lossy().chars().any(char::is_whitespace) {
        return Err(Error::new(format!(
            "MODULE_DIR={}: the path holds a space, which Kbuild cannot take",
            dir.display()
        ))
        .hint("move the folder, or link to it from a path without spaces (ln -s)"));
    }
    let name = dir
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .replace(['.', ' '], "-");
    let entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| Error::new(format!("{}: {e}", dir.display())))?
        .flatten()
        .map(|e| e.path())
        .collect();
    if entries.is_empty() {
        return Err(Error::new(format!("{} is empty", dir.display()))
            .hint("it needs the module's source, a Kbuild or Makefile, and a NAME.expect.json (see README: Your own module)"));
    }
    if !dir.join("Kbuild").is_file() && !dir.join("Makefile").is_file() {
        return Err(
            Error::new(format!("{} has no Kbuild or Makefile", dir.display())).hint(
                "add a Kbuild with the module's obj-m line, for example: obj-m += my_module.o",
            ),
        );
    }
    let generic_path = lab.root.join(GENERIC);
    let read = |f: &str| {
        std::fs::read_to_string(lab.root.join(f)).map_err(|e| Error::new(format!("{f}: {e}")))
    };
    let (generic, unload) = (read(GENERIC)?, read(GENERIC_UNLOAD)?);
    let mut decls = Vec::new();
    let mut stems: Vec<String> = entries
        .iter()
        .filter_map(|p| {
            p.file_name()?
                .to_str()?
                .strip_suffix(SUFFIX)
                .map(str::to_string)
        })
        .collect();
    stems.sort();
    if stems.is_empty() {
        return Err(Error::new(format!(
            "{} has no scenario declaration (NAME{SUFFIX})",
            dir.display()
        ))
        .hint("see README: Your own module, for a declaration to start from"));
    }
    for stem in &stems {
        let mut d = Declaration::load(&dir, stem)?;
        if !d.script.is_file() {
            d.use_generic(&generic_path, &generic, &unload)?;
        }
        d.require_checks()?;
        d.name = format!("{name}.{stem}");
        decls.push(d);
    }
    let out = lab.out.join("outside").join(&name);
    let build = out.join("build");
    let image = out.join("initramfs.cpio");
    let extra = out.join("staged/extra.cpio");
    // Built and packed before from the same inputs: nothing to do again.
    let key = inputs_key(lab, kernel, &entries, &generic);
    let fresh = std::fs::read_to_string(out.join("key")).is_ok_and(|k| k == key)
        && image.is_file()
        && extra.is_file();
    if !fresh {
        let _ = std::fs::remove_file(out.join("key"));
        build_tree(lab, kernel, &dir, &entries, &out, &build)?;
    }
    let mut facts = Facts::default();
    for ko in crate::paths::files_with_ext(&build, "ko", true) {
        facts.modules.push(Module::read(&ko)?);
    }
    let library = crate::guest::library(&lab.root)?;
    for d in &mut decls {
        d.prepare(&facts)?;
        crate::guest::check(d, &facts, &library)
            .map_err(|e| e.hint(format!("{} built: {}", dir.display(), built_names(&facts))))?;
    }
    if !fresh {
        pack(lab, kernel, &out, &decls, &facts, &image)?;
        std::fs::write(out.join("key"), &key)
            .map_err(|e| Error::new(format!("{}: {e}", out.display())))?;
    }
    for d in &mut decls {
        d.image = Some(image.clone());
    }
    Ok(Outside {
        name,
        dir,
        decls,
        facts,
        image,
        extra,
        key,
    })
}

fn built_names(facts: &Facts) -> String {
    let built: Vec<&str> = facts.modules.iter().map(|m| m.name.as_str()).collect();
    if built.is_empty() {
        "nothing".into()
    } else {
        built.join(", ")
    }
}

/// A key of everything a build and its image come from: the directory's
/// files, the lab's library, the kernel tree and compilers, the lab's
/// initramfs and its generic flow.
fn inputs_key(lab: &Lab, kernel: &KernelEnv, entries: &[PathBuf], generic: &str) -> String {
    let mut parts: Vec<Vec<u8>> = Vec::new();
    let mut files: Vec<PathBuf> = entries.to_vec();
    files.extend(
        std::fs::read_dir(lab.root.join("src/lab"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path()),
    );
    files.push(kernel.kdir().join(".config"));
    files.push(kernel.kdir().join("Module.symvers"));
    files.push(lab.out.join("initramfs.cpio.key"));
    files.sort();
    for f in files {
        parts.push(f.to_string_lossy().into_owned().into_bytes());
        parts.push(std::fs::read(&f).unwrap_or_default());
    }
    parts.push(format!("{} {}", kernel.get("LLVM"), kernel.get("RUSTC")).into_bytes());
    parts.push(generic.as_bytes().to_vec());
    crate::paths::cache_key(&parts)
}

/// Builds the directory's modules in a tree of links to its files.
fn build_tree(
    lab: &Lab,
    kernel: &KernelEnv,
    dir: &Path,
    entries: &[PathBuf],
    out: &Path,
    build: &Path,
) -> Result<(), Error> {
    let io = |e: std::io::Error| Error::new(format!("{}: {e}", out.display()));
    let tree = out.join("tree");
    let _ = std::fs::remove_dir_all(&tree);
    std::fs::create_dir_all(&tree).map_err(io)?;
    std::fs::create_dir_all(build).map_err(io)?;
    let mut parts: Vec<String> = Vec::new();
    let word = regex::Regex::new(r"lab::([a-z_]+)").unwrap();
    let mut uses_lab = false;
    for p in entries {
        let Some(f) = p.file_name() else { continue };
        std::os::unix::fs::symlink(p, tree.join(f)).map_err(io)?;
        if p.extension().is_some_and(|x| x == "rs") {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            uses_lab |= text.lines().any(|l| l.trim() == "mod lab;");
            // The rule of src/Kbuild: --cfg lab_PART for every lab::PART named.
            for c in word.captures_iter(&text) {
                if !parts.contains(&c[1].to_string()) {
                    parts.push(c[1].to_string());
                }
            }
        }
    }
    if uses_lab && !tree.join("lab").exists() {
        std::os::unix::fs::symlink(lab.root.join("src/lab"), tree.join("lab")).map_err(io)?;
    }
    let flags: Vec<String> = parts.iter().map(|p| format!("--cfg lab_{p}")).collect();
    let (ok, log) = output(
        Command::new("make")
            .arg("-C")
            .arg(kernel.kdir())
            .arg(format!("M={}", tree.display()))
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
    if crate::paths::files_with_ext(build, "ko", true).is_empty() {
        return Err(
            Error::new(format!("{} built no module (.ko)", dir.display()))
                .hint("its Kbuild needs an obj-m line, for example: obj-m += my_module.o"),
        );
    }
    Ok(())
}

/// The lab's initramfs with one more archive: the directory's modules
/// (without their debug info), each scenario's script and environment.
fn pack(
    lab: &Lab,
    kernel: &KernelEnv,
    out: &Path,
    decls: &[Declaration],
    facts: &Facts,
    image: &Path,
) -> Result<(), Error> {
    let io = |e: std::io::Error| Error::new(format!("{}: {e}", out.display()));
    let staged = out.join("staged");
    let _ = std::fs::remove_dir_all(&staged);
    std::fs::create_dir_all(&staged).map_err(io)?;
    let strip = format!(
        "llvm-strip{}",
        if kernel.get("LLVM") == "1" {
            ""
        } else {
            kernel.get("LLVM")
        }
    );
    let mut spec = String::new();
    for m in &facts.modules {
        let dest = staged.join(format!("{}.ko", m.name));
        let (ok, text) = output(
            Command::new(&strip)
                .arg("--strip-debug")
                .arg("-o")
                .arg(&dest)
                .arg(&m.path),
        );
        if !ok {
            return Err(Error::new(format!("{strip} {}: {text}", m.path.display())));
        }
        let file = crate::guest::module_file(&m.name);
        spec.push_str(&format!("file {file} {} 644 0 0\n", dest.display()));
    }
    for d in decls {
        let env = staged.join(format!("{}.env", d.name));
        std::fs::write(&env, d.guest_env()).map_err(io)?;
        for (file, from) in [
            (format!("{}.env", d.name), &env),
            (format!("{}.sh", d.name), &d.script),
        ] {
            spec.push_str(&format!(
                "file {} {} 644 0 0\n",
                crate::guest::scenario_file(&file),
                from.display()
            ));
        }
    }
    let spec_file = staged.join("spec");
    std::fs::write(&spec_file, spec).map_err(io)?;
    let extra = staged.join("extra.cpio");
    crate::process::gen_init_cpio(kernel, &spec_file, &extra)?;
    let base = std::fs::read(lab.initramfs())
        .map_err(|e| Error::new(format!("the lab's initramfs: {e}")).hint("run: make initramfs"))?;
    let mut all = base;
    all.extend(std::fs::read(&extra).map_err(io)?);
    std::fs::write(image, all).map_err(io)?;
    Ok(())
}
