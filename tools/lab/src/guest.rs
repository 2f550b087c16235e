// SPDX-License-Identifier: GPL-2.0
//! The files the guest gets from this program, for `scripts/build-initramfs.sh`
//! and [`crate::outside`] to pack: the guest's copy of the contract (with
//! the protocol's functions), the facts the scenarios read (which modules
//! there are, each parameter's range), each scenario's environment from its
//! declaration, and where each goes in the image.

use std::fs;
use std::path::{Path, PathBuf};

use crate::contract::{
    self, in_image, CONTRACT_SH, FACTS_SH, GUEST_LIB, MODULES_DIR, SCENARIOS_DIR,
};
use crate::decl::Declaration;
use crate::modules::Facts;
use crate::Error;

/// The scenarios' library, which the guest init sources for every script.
pub const LIB_SH: &str = "tests/scenarios/lib.sh";

/// Checks every declaration against what was built and writes the guest's
/// files under `dir`: `contract.sh`, `facts.sh`, `NAME.env` for each
/// scenario, and `layout.sh`, the image's folders for the initramfs script.
pub fn write_files(
    dir: &Path,
    root: &Path,
    decls: &[Declaration],
    facts: &Facts,
) -> Result<(), Error> {
    let io = |e: std::io::Error| Error::new(format!("{}: {e}", dir.display()));
    fs::create_dir_all(dir).map_err(io)?;
    let library = library(root)?;
    fs::write(dir.join("contract.sh"), contract::guest_side()).map_err(io)?;
    fs::write(dir.join("facts.sh"), facts.guest_env()).map_err(io)?;
    for d in decls {
        check(d, facts, &library)?;
        fs::write(dir.join(format!("{}.env", d.name)), d.guest_env()).map_err(io)?;
    }
    let layout = contract::assignments([
        ("LAB_GUEST_LIB", in_image(GUEST_LIB).to_string()),
        ("LAB_GUEST_CONTRACT", in_image(CONTRACT_SH).to_string()),
        ("LAB_GUEST_FACTS", in_image(FACTS_SH).to_string()),
        ("LAB_GUEST_MODULES", in_image(MODULES_DIR).to_string()),
        ("LAB_GUEST_SCENARIOS", in_image(SCENARIOS_DIR).to_string()),
    ]);
    fs::write(dir.join("layout.sh"), layout).map_err(io)?;
    Ok(())
}

/// Where a scenario's script, environment, or a module go in the image.
pub fn scenario_file(file: &str) -> String {
    format!("{SCENARIOS_DIR}/{file}")
}
pub fn module_file(name: &str) -> String {
    format!("{MODULES_DIR}/{name}.ko")
}

/// What every guest script runs with, as text: the scenarios' library and
/// the contract's functions.
pub fn library(root: &Path) -> Result<Vec<String>, Error> {
    let lib: PathBuf = root.join(LIB_SH);
    let text =
        fs::read_to_string(&lib).map_err(|e| Error::new(format!("{}: {e}", lib.display())))?;
    Ok(vec![text, contract::guest_side()])
}

/// Everything about a declaration that can be known before a boot: its
/// module was built, its placeholders expanded (its plan, see
/// [`Declaration::prepare`]), and its script runs exactly the checks it
/// declares, none reading the kernel log.
pub fn check(d: &Declaration, facts: &Facts, library: &[String]) -> Result<(), Error> {
    if facts.module(&d.scenario.module).is_none() {
        let built: Vec<&str> = facts.modules.iter().map(|m| m.name.as_str()).collect();
        return Err(Error::new(format!(
            "{}: module {:?} was not built",
            d.file.display(),
            d.scenario.module
        ))
        .hint(format!(
            "built: {}",
            if built.is_empty() {
                "nothing".to_string()
            } else {
                built.join(", ")
            }
        )));
    }
    let script = fs::read_to_string(&d.script)
        .map_err(|e| Error::new(format!("cannot read {}: {e}", d.script.display())))?;
    let library: Vec<&str> = library.iter().map(String::as_str).collect();
    d.lint_script(&script, &library)
}
