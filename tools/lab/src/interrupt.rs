// SPDX-License-Identifier: GPL-2.0
//! Ctrl-C and SIGTERM: the program stops within a moment, ends every QEMU
//! it started, and keeps the logs of what ran.
//!
//! QEMU runs in a process group of its own, so that the terminal's SIGINT
//! reaches only this program; [`watch`] then ends each registered child:
//! SIGTERM, and SIGKILL a second later if it is still there. Whoever waits
//! for a child sees it end and asks [`interrupted`] why.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static SIGNAL: AtomicI32 = AtomicI32::new(0);
static CHILDREN: Mutex<Vec<i32>> = Mutex::new(Vec::new());

/// Starts the watcher thread; call once, early.
pub fn watch() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        return;
    };
    std::thread::spawn(move || {
        for sig in signals.forever() {
            SIGNAL.store(sig, Ordering::SeqCst);
            INTERRUPTED.store(true, Ordering::SeqCst);
            end_children();
        }
    });
}

/// Whether a SIGINT or SIGTERM arrived.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// The signal's name, once one arrived.
pub fn signal_name() -> &'static str {
    match SIGNAL.load(Ordering::SeqCst) {
        signal_hook::consts::SIGINT => "SIGINT",
        signal_hook::consts::SIGTERM => "SIGTERM",
        _ => "a signal",
    }
}

/// A child to end on an interrupt, until it is dropped.
pub struct Registered(i32);

pub fn register(pid: u32) -> Registered {
    let pid = pid as i32;
    CHILDREN.lock().unwrap().push(pid);
    if interrupted() {
        let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
    }
    Registered(pid)
}

impl Drop for Registered {
    fn drop(&mut self) {
        CHILDREN.lock().unwrap().retain(|&p| p != self.0);
    }
}

fn end_children() {
    let pids: Vec<i32> = CHILDREN.lock().unwrap().clone();
    for &p in &pids {
        let _ = kill(Pid::from_raw(p), Signal::SIGTERM);
    }
    std::thread::sleep(Duration::from_secs(1));
    for p in CHILDREN.lock().unwrap().iter() {
        let _ = kill(Pid::from_raw(*p), Signal::SIGKILL);
    }
}
