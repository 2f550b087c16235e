// SPDX-License-Identifier: GPL-2.0
//! An outside directory's image: the lab's initramfs with one more archive
//! of the directory's modules, scripts and environments.

use std::path::Path;
use std::process::Command;

use crate::decl::Declaration;
use crate::modules::Facts;
use crate::paths::{KernelEnv, Lab};
use crate::process::output;
use crate::Error;

/// The lab's initramfs with one more archive: the directory's modules
/// (without their debug info), each scenario's script and environment.
pub fn pack(
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
