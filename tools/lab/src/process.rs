// SPDX-License-Identifier: GPL-2.0
//! Running the host's other programs (cargo, make, gdb, kunit.py): a child
//! that an interrupt ends along with this program.

use std::path::Path;
use std::process::{Command, Stdio};

/// Runs a command; its status and its output, standard error after
/// standard output. A command that cannot start fails.
pub fn output(cmd: &mut Command) -> (bool, String) {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let child = match child {
        Ok(c) => c,
        Err(e) => return (false, format!("cannot run {:?}: {e}", cmd.get_program())),
    };
    let _registered = crate::interrupt::register(child.id());
    match child.wait_with_output() {
        Ok(o) => (
            o.status.success(),
            String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
        ),
        Err(e) => (false, e.to_string()),
    }
}

/// The kernel's `gen_init_cpio` of the lab kernel's tree: packs the
/// initramfs described by `spec` into `out`, its output written straight to
/// the file (no shell between: no path is ever parsed as shell text).
pub fn gen_init_cpio(
    kernel: &crate::paths::KernelEnv,
    spec: &Path,
    out: &Path,
) -> Result<(), crate::Error> {
    let gen = kernel.kdir().join("usr/gen_init_cpio");
    let io = |e: std::io::Error| crate::Error::new(format!("{}: {e}", out.display()));
    let file = std::fs::File::create(out).map_err(io)?;
    let run = Command::new(&gen)
        .arg(spec)
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| {
            crate::Error::new(format!("cannot run {}: {e}", gen.display())).hint("run: make kernel")
        })?;
    if !run.status.success() {
        return Err(crate::Error::new(format!(
            "{} could not pack {}: {}",
            gen.display(),
            out.display(),
            String::from_utf8_lossy(&run.stderr).trim()
        )));
    }
    Ok(())
}
