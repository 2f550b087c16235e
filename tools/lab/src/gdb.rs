// SPDX-License-Identifier: GPL-2.0
//! gdb on the ABBA deadlock (`make gdb`, and the `gdb-abba` scenario's
//! driver): boot with QEMU's gdb stub, wait until the guest says the threads
//! are stuck (`@ready gdb`), attach gdb with `vmlinux` and the kernel's own
//! gdb scripts, run `scripts/gdb-abba.py` (lx-ps, lx-lsmod, lx-dmesg,
//! lx-symbols, a backtrace of each stuck thread from its saved stack), then
//! let the guest go on. The session is kept in the boot's `gdb.txt`.

use std::net::TcpListener;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::boot::{Analysis, Boot};
use crate::judge::DriverChecks;
use crate::qemu::{Accel, Spec};
use crate::setup::Setup;
use crate::Error;

/// The host's checks of a gdb session, in order.
pub const CHECKS: [&str; 8] = [
    "gdb: lx-ps lists deadlock_lab_a and deadlock_lab_b",
    "gdb: lx-lsmod lists deadlock_lab",
    "gdb: lx-dmesg shows the deadlock line",
    "gdb: lx-symbols loaded the module's symbols",
    "gdb: deadlock_lab_a sleeps in down(): __down_common, down, then thread_a",
    "gdb: deadlock_lab_b sleeps in down(): __down_common, down, then thread_b",
    "gdb: the vCPU's registers are as before the walks",
    "gdb: released the guest and detached",
];

/// How long gdb may take.
const GDB_SECS: u64 = 120;

/// Boots `spec` with the gdb stub and runs the session; the boot's
/// analysis and the host's checks.
pub fn drive(
    suite: &Setup,
    mut spec: Spec,
    accel: &Accel,
) -> Result<(Analysis, DriverChecks), Error> {
    let k = &suite.kernel;
    if crate::qemu::which("gdb").is_none() {
        return Err(Error::new("gdb is missing").hint("run: make setup"));
    }
    if !k.kdir().join("vmlinux-gdb.py").is_file() {
        return Err(
            Error::new(format!("no {}/vmlinux-gdb.py", k.kdir().display()))
                .hint("the lab kernel needs CONFIG_GDB_SCRIPTS=y"),
        );
    }
    // A port no one listens on, so that parallel runs do not clash.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| Error::new(format!("no free local port for gdb: {e}")))?;
    spec.gdb_port = Some(port);
    let deadline = Instant::now() + spec.timeout;
    let mut boot = Boot::start(k, &suite.lab.logs_dir(), spec, accel)?;
    let mut ready = false;
    while boot.poll() && Instant::now() < deadline && !crate::interrupt::interrupted() {
        if boot
            .guest_log()
            .scenarios
            .iter()
            .any(|s| s.ready.iter().any(|r| r == "gdb"))
        {
            ready = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let mut checks = DriverChecks {
        names: CHECKS.to_vec(),
        results: vec![],
    };
    if ready {
        let text = session(suite, &boot, port);
        checks.results = judge(&text);
    }
    let analysis = boot.wait()?;
    Ok((analysis, checks))
}

/// Runs gdb against the stub on `port`; its output, also in `gdb.txt`.
fn session(suite: &Setup, boot: &Boot, port: u16) -> String {
    let k = &suite.kernel;
    let t0 = Instant::now();
    let script = suite.lab.root.join("scripts/gdb-abba.py");
    let mut cmd = Command::new("timeout");
    cmd.args(["-k", "5", &GDB_SECS.to_string(), "gdb", "-batch", "-nx"]);
    for ex in [
        "set pagination off".to_string(),
        "set confirm off".to_string(),
        format!("add-auto-load-safe-path {}", k.kdir().display()),
        format!("file {}", k.get("VMLINUX")),
        format!("target remote 127.0.0.1:{port}"),
        format!("source {}", script.display()),
        format!("abba-show {}", suite.lab.modules_dir().display()),
        format!("abba-release {}", crate::contract::RELEASE_VALUE),
        "detach".to_string(),
    ] {
        cmd.arg("-ex").arg(ex);
    }
    let (_, text) = crate::process::output(&mut cmd);
    let _ = std::fs::write(boot.dir.join("gdb.txt"), &text);
    let _ = std::fs::write(
        boot.dir.join("gdb-seconds"),
        format!("{:.1}\n", t0.elapsed().as_secs_f64()),
    );
    text
}

/// The lines of a gdb session from `=== NAME` to the next `===`.
fn section<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    let head = format!("=== {name}");
    let mut inside = false;
    let mut out = Vec::new();
    for l in text.lines() {
        if l.starts_with("=== ") {
            inside = l.starts_with(&head);
            continue;
        }
        if inside {
            out.push(l);
        }
    }
    out
}

/// Whether the vCPU's registers after the walks are those before them: the
/// script says so (`restored: yes`), or the values it printed after `restored:
/// NO, now:` are the same, told apart only by how gdb named a value (it may
/// name one after a module symbol once the module's symbols are loaded).
fn registers_restored(lines: &[&str]) -> bool {
    let reg = regex::Regex::new(r"^(rip|rsp|rbp)\s+(0x[0-9a-f]+)").expect("a valid pattern");
    let values = |part: &[&str]| -> Vec<(String, String)> {
        part.iter()
            .filter_map(|l| reg.captures(l))
            .map(|c| (c[1].to_string(), c[2].to_string()))
            .collect()
    };
    match lines.iter().position(|l| l.starts_with("restored:")) {
        Some(i) if lines[i] == "restored: yes" => true,
        Some(i) => {
            let (before, after) = (values(&lines[..i]), values(&lines[i + 1..]));
            before.len() == 3 && before == after
        }
        None => false,
    }
}

/// The host's checks of a session's text, in the order of [`CHECKS`].
pub fn judge(text: &str) -> Vec<bool> {
    let has = |sec: &str, pat: &str| section(text, sec).iter().any(|l| l.contains(pat));
    let lsmod = regex::Regex::new(r"^0x[0-9a-f]* *deadlock_lab ").unwrap();
    let walked = |t: &str| {
        let sec = format!("backtrace of deadlock_lab_{t}");
        has(&sec, " __down_common ")
            && has(&sec, " down (")
            && has(&sec, &format!("deadlock_lab::thread_{t}"))
    };
    vec![
        has("lx-ps", "deadlock_lab_a") && has("lx-ps", "deadlock_lab_b"),
        section(text, "lx-lsmod").iter().any(|l| lsmod.is_match(l)),
        has("lx-dmesg", "deadlock_lab: deadlocked:"),
        has("lx-symbols", "deadlock_lab.ko"),
        walked("a"),
        walked("b"),
        registers_restored(&section(text, "registers of the current vCPU")),
        text.lines()
            .any(|l| l.starts_with("=== released the guest"))
            && text.contains("detached"),
    ]
}
