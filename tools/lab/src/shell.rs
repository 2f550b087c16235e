// SPDX-License-Identifier: GPL-2.0
//! `make shell`: a shell in the guest, its console relayed through the
//! streaming demangler, so that stack traces and `/proc/PID/stack` read as
//! `deadlock_lab::thread_a`, not `_RNvCs..._12deadlock_lab8thread_a`.
//!
//! QEMU reads the terminal itself (its `mon:stdio` serial port, so Ctrl-A X
//! and the monitor work); the terminal is in raw mode, so Ctrl-C reaches the
//! guest as a byte, and is restored however the session ends. What QEMU
//! writes comes here, through [`crate::relay::Demangler`], and as it came
//! into the boot's `console.log`.

use std::io::{IsTerminal, Read, Write};
use std::os::fd::AsFd;
use std::process::{Command, Stdio};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::termios::{self, SetArg, Termios};

use crate::qemu::{Spec, QEMU};
use crate::relay::Demangler;
use crate::setup::Setup;
use crate::{note, Error};

/// How long a held word waits for the rest of itself, in milliseconds.
const HOLD_MS: u8 = 30;

/// The terminal's settings before the session; put back when dropped.
struct RawMode(Option<Termios>);

impl RawMode {
    fn enter() -> RawMode {
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            return RawMode(None);
        }
        let Ok(saved) = termios::tcgetattr(stdin.as_fd()) else {
            return RawMode(None);
        };
        let mut raw = saved.clone();
        termios::cfmakeraw(&mut raw);
        let _ = termios::tcsetattr(stdin.as_fd(), SetArg::TCSANOW, &raw);
        RawMode(Some(saved))
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if let Some(saved) = &self.0 {
            let _ = termios::tcsetattr(std::io::stdin().as_fd(), SetArg::TCSANOW, saved);
        }
    }
}

/// Runs the guest shell until QEMU exits.
pub fn run(suite: &Setup, image: Option<std::path::PathBuf>) -> Result<bool, Error> {
    let initrd = image.unwrap_or_else(|| suite.lab.initramfs());
    crate::qemu::preflight(&suite.kernel, &initrd)?;
    let accel = crate::accel::choose(&suite.kernel, &initrd)?;
    let dir = crate::boot::new_dir(&suite.lab.logs_dir(), "shell")?;
    let spec = Spec::new("shell", &initrd);
    let args = spec.args(
        &suite.kernel,
        &accel.name,
        "mon:stdio",
        &format!("file:{}", dir.join("lab.log").display()),
    );
    note(format!(
        "accelerator: {} ({}); log {}; leave the guest shell with 'exit', or Ctrl-A X",
        accel.name,
        accel.why,
        dir.join("console.log").display()
    ));
    let mut child = Command::new(QEMU)
        .args(&args)
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| Error::new(format!("cannot start {QEMU}: {e}")).hint("run: make setup"))?;
    let _registered = crate::interrupt::register(child.id());
    let raw = RawMode::enter();
    let mut from = child.stdout.take().expect("piped");
    let mut console =
        std::fs::File::create(dir.join("console.log")).map_err(|e| Error::new(e.to_string()))?;
    let mut out = std::io::stdout().lock();
    relay(&mut from, &mut out, &mut console);
    drop(raw);
    let status = child.wait().map_err(|e| Error::new(e.to_string()))?;
    Ok(status.success())
}

/// Copies `from` to `to` through the demangler, and unchanged to `copy`,
/// until `from` ends.
pub fn relay<R: Read + AsFd>(from: &mut R, to: &mut impl Write, copy: &mut impl Write) {
    let mut d = Demangler::new();
    let mut buf = [0u8; 4096];
    loop {
        let timeout = if d.holding() {
            PollTimeout::from(HOLD_MS)
        } else {
            PollTimeout::NONE
        };
        let ready = {
            let mut fds = [PollFd::new(from.as_fd(), PollFlags::POLLIN)];
            poll(&mut fds, timeout).unwrap_or(1)
        };
        if ready == 0 {
            let _ = to.write_all(&d.flush());
            let _ = to.flush();
            continue;
        }
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let _ = copy.write_all(&buf[..n]);
                let _ = to.write_all(&d.feed(&buf[..n]));
                let _ = to.flush();
            }
        }
    }
    let _ = to.write_all(&d.flush());
    let _ = to.flush();
}
