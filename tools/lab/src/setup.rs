// SPDX-License-Identifier: GPL-2.0
//! What the lab built and declared, read once before anything boots: the
//! lab kernel's settings, the modules, the scenarios' declarations and
//! their plans. Every command that boots starts from a [`Setup`].

use std::path::PathBuf;
use std::time::Duration;

use crate::decl::Declaration;
use crate::modules::Facts;
use crate::paths::{KernelEnv, Lab};
use crate::qemu::Spec;
use crate::Error;

/// Seconds of boot a boot adds to its scenarios' timeouts.
const BOOT_SECS: u64 = 30;

/// Everything known before the first boot.
pub struct Setup {
    pub lab: Lab,
    pub kernel: KernelEnv,
    pub facts: Facts,
    /// Every scenario's declaration, its plan prepared.
    pub decls: Vec<Declaration>,
    /// Modules from outside the lab, and their scenarios (among `decls`).
    pub outside: Vec<crate::outside::Outside>,
}

impl Setup {
    /// Reads the lab's declarations and what it built; any problem with a
    /// declaration stops here, before a boot.
    pub fn load(lab: Lab) -> Result<Setup, Error> {
        let kernel = lab.kernel()?;
        let kunit = std::fs::read_to_string(kernel.kdir().join(".config"))
            .map(|c| c.lines().any(|l| l == "CONFIG_KUNIT=y"))
            .unwrap_or(false);
        let facts = Facts::gather(&lab.root.join("src"), &lab.modules_dir(), kunit)?;
        let mut decls = crate::decl::load_dir(&lab.scenarios_dir())?;
        let library = crate::guest::library(&lab.root)?;
        for d in &mut decls {
            d.prepare(&facts)?;
            crate::guest::check(d, &facts, &library)?;
        }
        Ok(Setup {
            lab,
            kernel,
            facts,
            decls,
            outside: Vec::new(),
        })
    }

    /// Adds the scenarios of a module from outside the lab, built and
    /// checked (see [`crate::outside`]).
    pub fn add_outside(
        &mut self,
        dir: &std::path::Path,
    ) -> Result<&crate::outside::Outside, Error> {
        let o = crate::outside::prepare(&self.lab, &self.kernel, dir)?;
        for d in &o.decls {
            if self.decl(&d.name).is_some() {
                return Err(Error::new(format!("two scenarios are called {}", d.name)));
            }
            self.decls.push(d.clone());
        }
        self.outside.push(o);
        Ok(self.outside.last().unwrap())
    }

    /// Every exercise twice, as modules from outside the lab: its solution,
    /// which must pass its grader, and its skeleton, which must fail it for
    /// the stated reason.
    pub fn add_exercises(&mut self) -> Result<(), Error> {
        let base = self.lab.out.join("exercises-test");
        for ex in crate::exercise::list(&self.lab)? {
            let sol =
                ex.grading_dir(&base.join(format!("{}-solution", ex.name)), &ex.solution()?)?;
            self.add_outside(&sol)?;
            let skel =
                ex.grading_dir(&base.join(format!("{}-skeleton", ex.name)), &ex.skeleton()?)?;
            let names: Vec<String> = self
                .add_outside(&skel)?
                .decls
                .iter()
                .map(|d| d.name.clone())
                .collect();
            for d in self.decls.iter_mut().filter(|d| names.contains(&d.name)) {
                d.must_fail = ex.skeleton_fails.clone();
                if d.must_fail.is_empty() {
                    return Err(Error::new(format!(
                        "{}/{}: no \"//! skeleton-fails:\" line says why its skeleton fails",
                        ex.dir.display(),
                        ex.file
                    )));
                }
            }
        }
        Ok(())
    }

    /// The examples of outside modules the suite runs through the same path
    /// as `make test MODULE_DIR=...`: every folder of `tests/examples/`.
    pub fn add_examples(&mut self) -> Result<(), Error> {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(self.lab.root.join("tests/examples"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        for d in dirs {
            self.add_outside(&d)?;
        }
        Ok(())
    }

    pub fn decl(&self, name: &str) -> Option<&Declaration> {
        self.decls.iter().find(|d| d.name == name)
    }

    /// The outside directory a scenario comes from (None: the lab's own).
    pub fn outside_of(&self, name: &str) -> Option<&crate::outside::Outside> {
        self.outside
            .iter()
            .find(|o| o.decls.iter().any(|d| d.name == name))
    }

    /// Whether `names` (of one class) can run in one boot: each outside
    /// directory adds its modules to the lab's image, so no two of them may
    /// bring a module of the same name, and none may bring one of the lab's
    /// own when a lab scenario is among them.
    pub fn can_share(&self, names: &[&str]) -> bool {
        let mut dirs: Vec<&crate::outside::Outside> = Vec::new();
        let mut lab = false;
        for n in names {
            match self.outside_of(n) {
                Some(o) if !dirs.iter().any(|d| d.name == o.name) => dirs.push(o),
                Some(_) => {}
                None => lab = true,
            }
        }
        let mut seen: Vec<&str> = if lab {
            self.facts.modules.iter().map(|m| m.name.as_str()).collect()
        } else {
            Vec::new()
        };
        for o in dirs {
            for m in &o.facts.modules {
                if seen.contains(&m.name.as_str()) {
                    return false;
                }
                seen.push(&m.name);
            }
        }
        true
    }

    /// The initramfs of a boot of `names`: the class's base image, or an
    /// outside directory's, or for several directories the lab's image with
    /// each one's archive after it (the kernel unpacks them in turn), made
    /// once per set of inputs.
    pub fn image_of(&self, names: &[String]) -> Result<PathBuf, Error> {
        let mut dirs: Vec<&crate::outside::Outside> = Vec::new();
        for n in names {
            if let Some(o) = self.outside_of(n) {
                if !dirs.iter().any(|d| d.name == o.name) {
                    dirs.push(o);
                }
            }
        }
        match dirs[..] {
            [] => return Ok(self.initrd(self.decl(&names[0]).unwrap())),
            [one] => return Ok(one.image.clone()),
            _ => {}
        }
        let base = self.lab.initramfs();
        let mut parts = vec![std::fs::read(base.with_extension("cpio.key")).unwrap_or_default()];
        parts.extend(dirs.iter().map(|d| d.key.clone().into_bytes()));
        let image = self
            .lab
            .out
            .join("outside")
            .join(format!("combined-{}.cpio", crate::paths::cache_key(&parts)));
        if !image.is_file() {
            let io = |e: std::io::Error| Error::new(format!("{}: {e}", image.display()));
            let mut all = std::fs::read(&base).map_err(|e| {
                Error::new(format!("the lab's initramfs: {e}")).hint("run: make initramfs")
            })?;
            for d in &dirs {
                all.extend(std::fs::read(&d.extra).map_err(io)?);
            }
            let tmp = image.with_extension(format!("tmp{}", std::process::id()));
            std::fs::write(&tmp, all).map_err(io)?;
            std::fs::rename(&tmp, &image).map_err(io)?;
        }
        Ok(image)
    }

    /// The boot of `names`, as the suite makes it.
    pub fn spec(&self, names: &[String]) -> Spec {
        let first = self.decl(&names[0]).unwrap();
        let initrd = self.image_of(names).unwrap_or_else(|_| self.initrd(first));
        let mut spec = Spec::new(&names.join(","), &initrd);
        spec.cpus = first.scenario.cpus;
        spec.append = first.append();
        // A boot that must end in a panic goes quiet before it panics, and
        // one a debugger holds still is quiet by design.
        spec.watch_lockup = !names
            .iter()
            .filter_map(|n| self.decl(n))
            .any(|d| d.panics() || d.scenario.driver.is_some());
        spec.parallel = first.scenario.parallel;
        spec.timeout = Duration::from_secs(
            BOOT_SECS
                + names
                    .iter()
                    .map(|n| self.decl(n).unwrap().scenario.timeout)
                    .sum::<u64>(),
        );
        spec
    }

    pub fn initrd(&self, d: &Declaration) -> PathBuf {
        if let Some(image) = &d.image {
            return image.clone();
        }
        match d.scenario.initrd {
            Some(crate::decl::Initrd::Perf) => self.lab.initramfs_perf(),
            None => self.lab.initramfs(),
        }
    }
}
