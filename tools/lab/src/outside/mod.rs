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
//! `DIR.NAME` in the suite. The folder is built where it stands
//! ([`build`]) and nothing is written into it: everything the lab makes
//! goes to `out/outside/DIR/`: the build, and the initramfs, the lab's with
//! one more archive of the directory's modules, scripts and environments
//! ([`pack`]).

mod build;
pub mod pack;

use std::path::{Path, PathBuf};

use crate::decl::{Declaration, SUFFIX};
use crate::modules::{Facts, Module};
use crate::paths::{KernelEnv, Lab};
use crate::Error;

/// The lab's generic guest flow: its start, and its run (load, wait,
/// snapshot, unload), which a scenario that ends in a kernel panic never
/// reaches.
pub const GENERIC: &str = "tests/scenarios/lib-generic.sh";
pub const GENERIC_RUN: &str = "tests/scenarios/lib-generic-run.sh";

/// The generic flow's two scripts, read.
pub struct Generic {
    pub path: PathBuf,
    pub start: String,
    pub run: String,
}

impl Generic {
    pub fn read(lab: &Lab) -> Result<Generic, Error> {
        let read = |f: &str| {
            std::fs::read_to_string(lab.root.join(f)).map_err(|e| Error::new(format!("{f}: {e}")))
        };
        Ok(Generic {
            path: lab.root.join(GENERIC),
            start: read(GENERIC)?,
            run: read(GENERIC_RUN)?,
        })
    }

    /// Makes `d` run the generic flow.
    pub fn apply(&self, d: &mut Declaration) -> Result<(), Error> {
        d.use_generic(&self.path, &self.start, &self.run)
    }
}

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
            .hint("it needs the module's source, a Kbuild or Makefile, and a NAME.expect.json (see docs/own-module.md)"));
    }
    if !dir.join("Kbuild").is_file() && !dir.join("Makefile").is_file() {
        return Err(
            Error::new(format!("{} has no Kbuild or Makefile", dir.display())).hint(
                "add a Kbuild with the module's obj-m line, for example: obj-m += my_module.o",
            ),
        );
    }
    let generic = Generic::read(lab)?;
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
        .hint("see docs/own-module.md, for a declaration to start from"));
    }
    for stem in &stems {
        let mut d = Declaration::load(&dir, stem)?;
        // Kbuild and modprobe take - and _ in a module's name alike; the
        // built module's name (modinfo, /proc/modules) has _.
        d.scenario.module = d.scenario.module.replace('-', "_");
        if !d.script.is_file() {
            generic.apply(&mut d)?;
        }
        d.require_checks()?;
        d.name = format!("{name}.{stem}");
        decls.push(d);
    }
    let out = lab.out.join("outside").join(&name);
    let image = out.join("initramfs.cpio");
    let extra = out.join("staged/extra.cpio");
    build::check_buildable(&dir)?;
    let kos = build::build(lab, kernel, &dir, &entries, &out)?;
    let mut facts = Facts::default();
    for ko in &kos {
        facts.modules.push(Module::read(ko)?);
    }
    let library = crate::guest::library(&lab.root)?;
    for d in &mut decls {
        d.prepare(&facts)?;
        crate::guest::check(d, &facts, &library)
            .map_err(|e| e.hint(format!("{} built: {}", dir.display(), built_names(&facts))))?;
    }
    // Packed before from the same modules and scripts: nothing to do again.
    let key = image_key(lab, &kos, &decls, &[&generic.start, &generic.run]);
    let fresh = std::fs::read_to_string(out.join("key")).is_ok_and(|k| k == key)
        && image.is_file()
        && extra.is_file();
    if !fresh {
        let _ = std::fs::remove_file(out.join("key"));
        pack::pack(lab, kernel, &out, &decls, &facts, &image)?;
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

/// A key of everything the image comes from: the built modules, the
/// declarations and their scripts, the generic flow, the lab's initramfs.
fn image_key(lab: &Lab, kos: &[PathBuf], decls: &[Declaration], texts: &[&str]) -> String {
    let mut files: Vec<PathBuf> = kos.to_vec();
    for d in decls {
        files.push(d.file.clone());
        files.push(d.script.clone());
    }
    files.push(lab.out.join("initramfs.cpio.key"));
    let mut parts: Vec<Vec<u8>> = Vec::new();
    for f in files {
        parts.push(f.to_string_lossy().into_owned().into_bytes());
        parts.push(std::fs::read(&f).unwrap_or_default());
    }
    parts.extend(texts.iter().map(|t| t.as_bytes().to_vec()));
    crate::paths::cache_key(&parts)
}
