// SPDX-License-Identifier: GPL-2.0
//! Running the host's other programs (cargo, make, gdb, kunit.py): a child
//! that an interrupt ends along with this program.

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
