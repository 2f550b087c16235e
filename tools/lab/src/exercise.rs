// SPDX-License-Identifier: GPL-2.0
//! Exercises with a grader: `tests/exercises/N-NAME/` holds one crate root
//! (the solution, its task stated at the top, its bug and its fix in marked
//! regions, see [`crate::regions`]), its `Kbuild`, and `grade.expect.json`,
//! the declaration it is graded by (through the generic flow, or a
//! `grade.sh` of its own). The skeleton a student gets is the broken text,
//! generated from the same file, so the two cannot drift.
//!
//! - `make exercise N=1 DIR=path` writes the skeleton and its `Kbuild`;
//! - `make grade N=1 DIR=path` builds the student's file from there, boots
//!   it as a module from outside the lab, judges it with the exercise's
//!   declaration, and gives a score: checks passed out of checks declared;
//! - `make test` checks that every solution passes its grader, and that
//!   every untouched skeleton fails it for the reason its header states
//!   (`//! skeleton-fails: SUBTEST`), after it built and loaded.

use std::path::{Path, PathBuf};

use crate::paths::Lab;
use crate::regions::{header, variant, Variant};
use crate::Error;

/// One exercise.
#[derive(Debug, Clone)]
pub struct Exercise {
    pub number: u32,
    /// Its folder's name, `N-NAME`.
    pub name: String,
    pub dir: PathBuf,
    /// The crate root's file name, `NAME.rs`.
    pub file: String,
    pub source: String,
    /// The subtests the skeleton fails.
    pub skeleton_fails: Vec<String>,
}

/// The note that replaces the broken text's marker in a skeleton.
fn todo(n: u32) -> String {
    format!("TODO (exercise {n}): this is the code to change; see the task at the top of the file.")
}

/// Every exercise, by number.
pub fn list(lab: &Lab) -> Result<Vec<Exercise>, Error> {
    let root = lab.root.join("tests/exercises");
    let mut out = Vec::new();
    for e in std::fs::read_dir(&root)
        .map_err(|e| Error::new(format!("{}: {e}", root.display())))?
        .flatten()
    {
        let dir = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(number) = name.split('-').next().and_then(|n| n.parse().ok()) else {
            continue;
        };
        let rs: Vec<PathBuf> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "rs"))
            .collect();
        let [root_file] = &rs[..] else {
            return Err(Error::new(format!(
                "{} must hold exactly one crate root (*.rs)",
                dir.display()
            )));
        };
        let source = std::fs::read_to_string(root_file).map_err(|e| Error::new(e.to_string()))?;
        let skeleton_fails = header(&source, "skeleton-fails")
            .into_iter()
            .map(str::to_string)
            .collect();
        let file = root_file
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        out.push(Exercise {
            number,
            name,
            dir,
            file,
            source,
            skeleton_fails,
        });
    }
    out.sort_by_key(|e| e.number);
    Ok(out)
}

pub fn find(lab: &Lab, n: u32) -> Result<Exercise, Error> {
    let all = list(lab)?;
    let numbers: Vec<String> = all
        .iter()
        .map(|e| format!("{} ({})", e.number, e.name))
        .collect();
    all.into_iter().find(|e| e.number == n).ok_or_else(|| {
        Error::new(format!("no exercise {n}")).hint(format!("exercises: {}", numbers.join(", ")))
    })
}

impl Exercise {
    /// The student's starting point: the broken text, with a note where to
    /// work and without the grader's notes.
    pub fn skeleton(&self) -> Result<String, Error> {
        let text = variant(&self.source, Variant::Broken, Some(&todo(self.number)))
            .map_err(|e| Error::new(format!("{}/{}: {e}", self.dir.display(), self.file)))?;
        let mut kept: Vec<&str> = Vec::new();
        for l in text.lines() {
            if l.starts_with("//! skeleton-fails:") {
                // The blank doc line before it goes too.
                if kept.last() == Some(&"//!") {
                    kept.pop();
                }
                continue;
            }
            kept.push(l);
        }
        Ok(kept.iter().flat_map(|l| [*l, "\n"]).collect())
    }

    pub fn solution(&self) -> Result<String, Error> {
        variant(&self.source, Variant::Fixed, None)
            .map_err(|e| Error::new(format!("{}/{}: {e}", self.dir.display(), self.file)))
    }

    /// Writes the skeleton and the exercise's `Kbuild` into `dest`.
    pub fn write_skeleton(&self, dest: &Path) -> Result<(), Error> {
        let io = |e: std::io::Error| Error::new(format!("{}: {e}", dest.display()));
        std::fs::create_dir_all(dest).map_err(io)?;
        std::fs::write(dest.join(&self.file), self.skeleton()?).map_err(io)?;
        std::fs::copy(self.dir.join("Kbuild"), dest.join("Kbuild")).map_err(io)?;
        Ok(())
    }

    /// A directory to grade `source` (the student's file, or a text of the
    /// exercise's own) in: the file, the exercise's `Kbuild`, its grader's
    /// declaration (and script, if it has one). `mod lab;` finds the lab's
    /// library through the outside module's build tree.
    pub fn grading_dir(&self, at: &Path, source: &str) -> Result<PathBuf, Error> {
        let io = |e: std::io::Error| Error::new(format!("{}: {e}", at.display()));
        let _ = std::fs::remove_dir_all(at);
        std::fs::create_dir_all(at).map_err(io)?;
        std::fs::write(at.join(&self.file), source).map_err(io)?;
        for f in ["Kbuild", "grade.expect.json", "grade.sh"] {
            if self.dir.join(f).is_file() {
                std::fs::copy(self.dir.join(f), at.join(f)).map_err(io)?;
            }
        }
        Ok(at.to_path_buf())
    }
}
