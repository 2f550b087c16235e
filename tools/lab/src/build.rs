// SPDX-License-Identifier: GPL-2.0
//! Building crate roots that are not modules of the suite (compile-fail
//! cases, exercises) with Kbuild, against the lab kernel, exactly as the
//! suite's modules are built: in a scratch tree laid out like the lab's,
//! whose `src/Kbuild` is the lab's own (so the same rule gives each root its
//! `--cfg` parts) and whose `src/lab` is the lab's library.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::paths::{KernelEnv, Lab};
use crate::process::output;
use crate::Error;

/// A scratch tree of crate roots.
pub struct Scratch {
    pub dir: PathBuf,
}

impl Scratch {
    /// A tree holding `roots` (name, source) as `src/NAME.rs`.
    pub fn new(lab: &Lab, what: &str, roots: &[(String, String)]) -> Result<Scratch, Error> {
        let io = |e: std::io::Error| Error::new(format!("scratch tree: {e}"));
        let dir = crate::qemu::tempdir(what).map_err(io)?;
        std::fs::create_dir_all(dir.join("src")).map_err(io)?;
        std::fs::write(dir.join("Kbuild"), "obj-m += src/\n").map_err(io)?;
        std::os::unix::fs::symlink(lab.root.join("src/Kbuild"), dir.join("src/Kbuild"))
            .map_err(io)?;
        std::os::unix::fs::symlink(lab.root.join("src/lab"), dir.join("src/lab")).map_err(io)?;
        for (name, text) in roots {
            std::fs::write(dir.join(format!("src/{name}.rs")), text).map_err(io)?;
        }
        Ok(Scratch { dir })
    }

    /// Builds every root, going on past failures (`make -k`); whether all
    /// built, and the log.
    pub fn build(&self, kernel: &KernelEnv) -> (bool, String) {
        output(
            Command::new("make")
                .arg("-k")
                .arg(format!(
                    "-j{}",
                    std::thread::available_parallelism()
                        .map(|n| n.get())
                        .unwrap_or(2)
                ))
                .arg("-C")
                .arg(kernel.kdir())
                .arg(format!("M={}", self.dir.display()))
                .arg(format!("LLVM={}", kernel.get("LLVM")))
                .arg(format!("RUSTC={}", kernel.get("RUSTC")))
                .arg("modules"),
        )
    }

    /// Whether root `name` compiled. (The object: with `make -k`, Kbuild links
    /// no module at all once one root failed.)
    pub fn built(&self, name: &str) -> bool {
        self.dir.join(format!("src/{name}.o")).is_file()
    }

    pub fn root_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("src/{name}.rs"))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The compiler's errors in a build log that point into `file`: each one's
/// first line and the lines of its message, up to the next diagnostic.
pub fn errors_in(log: &str, file: &Path) -> Vec<String> {
    // Kbuild's rustc names the file relative to the tree: src/NAME.rs.
    let name = format!(
        "src/{}",
        file.file_name().unwrap_or_default().to_string_lossy()
    );
    let mut out = Vec::new();
    let mut block: Vec<&str> = Vec::new();
    let flush = |block: &mut Vec<&str>, out: &mut Vec<String>| {
        if block.first().is_some_and(|l| l.starts_with("error"))
            && block.iter().any(|l| l.contains(&*name))
        {
            out.push(block.join("\n"));
        }
        block.clear();
    };
    for line in log.lines() {
        let starts =
            line.starts_with("error") || line.starts_with("warning") || line.starts_with("make");
        if starts {
            flush(&mut block, &mut out);
        }
        block.push(line);
    }
    flush(&mut block, &mut out);
    out
}
