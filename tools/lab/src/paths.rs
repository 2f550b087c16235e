// SPDX-License-Identifier: GPL-2.0
//! Where the lab's things are: the checkout, its output directory, the
//! cache, and the lab kernel's settings (`out/lab.env`, written by
//! `scripts/build-kernel.sh`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::Error;

/// The checkout and its output directory.
#[derive(Debug, Clone)]
pub struct Lab {
    /// The checkout (the folder with `Kbuild` and `tests/`).
    pub root: PathBuf,
    /// `LAB_OUT`, default `out/` in the checkout: modules, images, logs.
    pub out: PathBuf,
}

impl Lab {
    /// The checkout this program was built in (or `LAB_ROOT`), and
    /// `LAB_OUT`.
    pub fn locate() -> Result<Lab, Error> {
        let root = match std::env::var_os("LAB_ROOT") {
            Some(r) => PathBuf::from(r),
            None => find_root()?,
        };
        let out = std::env::var_os("LAB_OUT")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("out"));
        Ok(Lab { root, out })
    }

    /// A lab rooted at `root` with its output in `out`, for tests.
    pub fn at(root: &Path, out: &Path) -> Lab {
        Lab {
            root: root.to_path_buf(),
            out: out.to_path_buf(),
        }
    }

    pub fn scenarios_dir(&self) -> PathBuf {
        self.root.join("tests/scenarios")
    }
    pub fn logs_dir(&self) -> PathBuf {
        self.out.join("logs")
    }
    pub fn modules_dir(&self) -> PathBuf {
        self.out.join("module/src")
    }
    /// The guest's image (uncompressed: the kernel copies it at once, where
    /// gunzip under TCG took a tenth of a second a boot).
    pub fn initramfs(&self) -> PathBuf {
        self.out.join("initramfs.cpio")
    }
    /// The same image followed by an archive of perf and its libraries.
    pub fn initramfs_perf(&self) -> PathBuf {
        self.out.join("initramfs-perf.cpio")
    }
    pub fn inspector(&self) -> PathBuf {
        self.root.join("target/release/dmesg-inspect")
    }

    /// The lab kernel's settings; fails with what to run if it is not built.
    pub fn kernel(&self) -> Result<KernelEnv, Error> {
        KernelEnv::read(&self.out.join("lab.env"))
    }
}

fn find_root() -> Result<PathBuf, Error> {
    let mut starts = Vec::new();
    if let Ok(exe) = std::env::current_exe() {
        starts.push(exe);
    }
    starts.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    if let Ok(cwd) = std::env::current_dir() {
        starts.push(cwd);
    }
    for start in starts {
        for dir in start.ancestors() {
            if dir.join("Kbuild").is_file() && dir.join("tests/scenarios").is_dir() {
                return Ok(dir.to_path_buf());
            }
        }
    }
    Err(Error::new("cannot find the deadlock-lab checkout")
        .hint("run from the checkout, or set LAB_ROOT"))
}

/// The lab kernel's settings, as `make lab-env` prints them.
#[derive(Debug, Clone, Default)]
pub struct KernelEnv {
    pub vars: BTreeMap<String, String>,
}

impl KernelEnv {
    pub fn read(path: &Path) -> Result<KernelEnv, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::new(format!(
                "cannot read the lab kernel's settings {}: {e}",
                path.display()
            ))
            .hint("run: make kernel")
        })?;
        Ok(KernelEnv::parse(&text))
    }

    pub fn parse(text: &str) -> KernelEnv {
        let vars = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), v.trim().trim_matches('"').to_string()))
            .collect();
        KernelEnv { vars }
    }

    /// One setting; a missing one is an empty string.
    pub fn get(&self, key: &str) -> &str {
        self.vars.get(key).map(String::as_str).unwrap_or("")
    }
    pub fn path(&self, key: &str) -> PathBuf {
        PathBuf::from(self.get(key))
    }
    pub fn version(&self) -> &str {
        self.get("KERNEL_VERSION")
    }
    pub fn kdir(&self) -> PathBuf {
        self.path("KDIR")
    }
    pub fn cache(&self) -> PathBuf {
        self.path("LAB_CACHE")
    }
    /// The kernel's own KTAP parser.
    pub fn kunit_py(&self) -> PathBuf {
        self.path("KERNEL_SRC").join("tools/testing/kunit/kunit.py")
    }
}

/// A short hash of byte strings, for cache keys.
pub fn cache_key(parts: &[Vec<u8>]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The files under `dir` named `*.ext`, sorted: in `dir` itself, or at any
/// depth (`deep`). Symbolic links are not followed: a case's `lab` links to
/// `src/lab`.
pub fn files_with_ext(dir: &Path, ext: &str, deep: bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() && deep => stack.push(p),
                Ok(t) if t.is_file() && p.extension().is_some_and(|x| x == ext) => out.push(p),
                _ => {}
            }
        }
    }
    out.sort();
    out
}
