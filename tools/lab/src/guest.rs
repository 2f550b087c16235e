// SPDX-License-Identifier: GPL-2.0
//! The files the guest gets from this program, for `scripts/build-initramfs.sh`
//! to pack: the guest's side of the protocol, the facts the scenarios read
//! (which modules there are, each parameter's range), and each scenario's
//! environment from its declaration.

use std::fs;
use std::path::Path;

use crate::decl::Declaration;
use crate::modules::Facts;
use crate::Error;

/// Where the guest finds them (paths inside the initramfs).
pub const PROTOCOL_SH: &str = "lib/lab/protocol.sh";
pub const FACTS_SH: &str = "lib/lab/facts.sh";

/// Checks every declaration against what was built and writes the guest's
/// files under `dir` (`lib/lab/*.sh`, `scenarios/NAME.env`).
pub fn write_files(dir: &Path, decls: &[Declaration], facts: &Facts) -> Result<(), Error> {
    let io = |e: std::io::Error| Error::new(format!("{}: {e}", dir.display()));
    fs::create_dir_all(dir.join("lib/lab")).map_err(io)?;
    fs::create_dir_all(dir.join("scenarios")).map_err(io)?;
    fs::write(dir.join(PROTOCOL_SH), crate::protocol::guest_helper()).map_err(io)?;
    fs::write(dir.join(FACTS_SH), facts.guest_env()).map_err(io)?;
    for d in decls {
        let plan = check(d, facts)?;
        fs::write(
            dir.join(format!("scenarios/{}.env", d.name)),
            d.guest_env(&plan),
        )
        .map_err(io)?;
    }
    Ok(())
}

/// Everything about a declaration that can be known before a boot: its
/// module was built, its placeholders expand, and its script runs exactly
/// the checks it declares. Returns its plan.
pub fn check(d: &Declaration, facts: &Facts) -> Result<Vec<String>, Error> {
    if facts.module(&d.scenario.module).is_none() {
        let built: Vec<&str> = facts.modules.iter().map(|m| m.name.as_str()).collect();
        return Err(Error::new(format!(
            "{}: module {:?} was not built",
            d.file.display(),
            d.scenario.module
        ))
        .hint(format!("built: {}", built.join(", "))));
    }
    let plan = d.plan(facts)?;
    let script = fs::read_to_string(&d.script)
        .map_err(|e| Error::new(format!("cannot read {}: {e}", d.script.display())))?;
    d.lint_script(&script)?;
    Ok(plan)
}
