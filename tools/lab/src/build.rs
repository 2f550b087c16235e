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
    /// built, and the log. Each root's compiler output stays together
    /// (`--output-sync=target`), never interleaved with another root's.
    pub fn build(&self, kernel: &KernelEnv) -> (bool, String) {
        output(
            Command::new("make")
                .arg("-k")
                .arg("--output-sync=target")
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
/// first line and the lines of its message, with the notes that belong to
/// it. rustc may print warnings between an error and its closing note (`note:
/// the above error was encountered while instantiating ...`, the line that
/// names the root of a post-monomorphization error), so a note at the start
/// of a line goes with the last error before it.
pub fn errors_in(log: &str, file: &Path) -> Vec<String> {
    // Kbuild's rustc names the file relative to the tree: src/NAME.rs.
    let name = format!(
        "src/{}",
        file.file_name().unwrap_or_default().to_string_lossy()
    );
    // Each diagnostic's lines, errors marked; a note's lines join the last
    // error's.
    let mut blocks: Vec<(bool, Vec<&str>)> = Vec::new();
    let mut last_error: Option<usize> = None;
    let mut into: Option<usize> = None;
    for line in log.lines() {
        if line.starts_with("note:") && last_error.is_some() {
            into = last_error;
        } else if line.starts_with("error")
            || line.starts_with("warning")
            || line.starts_with("make")
        {
            let error = line.starts_with("error");
            blocks.push((error, Vec::new()));
            into = Some(blocks.len() - 1);
            if error {
                last_error = into;
            }
        }
        if let Some(i) = into {
            blocks[i].1.push(line);
        }
    }
    blocks
        .into_iter()
        .filter(|(error, lines)| *error && lines.iter().any(|l| l.contains(&*name)))
        .map(|(_, lines)| lines.join("\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real build log's order (a compile-fail case in a full run): rustc
    /// printed a warning between the error and the note naming the root.
    const SPLIT: &str = "  RUSTC [M] src/cyclic_after_broken.o
error[E0080]: evaluation panicked: a `LockAfter` impl points back down the lock order: the order has a cycle
   --> src/lab/order.rs:151:13
    |
151 | /             assert!(
warning: method `untyped` is never used
   --> src/lab/order.rs:221:19
    |
210 | impl<L> Ordered<L> {
note: the above error was encountered while instantiating `fn Locked::<'_, Sem2>::down::<Sem1>`
  --> src/cyclic_after_broken.rs:35:26
   |
35 |     let (_held1, _at1) = at2.down(&pair.sem1);
error: aborting due to 1 previous error
make[5]: *** [scripts/Makefile.build:366: src/cyclic_after_broken.o] Error 1
";

    #[test]
    fn a_note_after_a_warning_still_belongs_to_its_error() {
        let errors = errors_in(SPLIT, Path::new("/x/src/cyclic_after_broken.rs"));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("error[E0080]"));
        assert!(errors[0].contains("the above error was encountered while instantiating"));
        assert!(
            !errors[0].contains("is never used"),
            "the warning stays apart"
        );
        assert!(errors_in(SPLIT, Path::new("/x/src/other.rs")).is_empty());
    }
}
