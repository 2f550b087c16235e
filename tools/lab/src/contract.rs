// SPDX-License-Identifier: GPL-2.0
//! The contract between the host and the guest: every name and path that
//! both sides use, written here once.
//!
//! The guest gets its copy as one shell file, [`CONTRACT_SH`], that
//! [`guest_side`] writes from these definitions (with the protocol's
//! functions, [`crate::protocol::guest_functions`]); the guest init
//! sources it, and runs every scenario script with it and the scenarios'
//! library (`tests/scenarios/lib.sh`) already sourced. The one path the
//! guest knows before the contract is where the contract lies: the guest
//! init names [`CONTRACT_SH`] on its first lines, and the `contract` host
//! test checks that no other file of the checkout spells out a name or path
//! of this module.
//!
//! A scenario's own environment, from its declaration, is [`ScenarioEnv`];
//! the lab's facts about what it built ([`crate::modules::Facts`]) come as
//! [`FACTS_SH`].

use std::fmt::Write as _;

/// Where the host's files for the guest lie (`lib/lab` in the initramfs).
pub const GUEST_LIB: &str = "/lib/lab";
/// The guest's copy of this contract.
pub const CONTRACT_SH: &str = "/lib/lab/contract.sh";
/// The lab's facts about what it built: the harness modules, their
/// parameters' ranges.
pub const FACTS_SH: &str = "/lib/lab/facts.sh";
/// The modules (`NAME.ko`): the folder where modprobe and perf look for
/// them too (under it, the running kernel's release links to them).
pub const MODULES_DIR: &str = "/lib/modules";
/// The scenario scripts (`NAME.sh`), their environments (`NAME.env`) and
/// the scenarios' library (`lib.sh`, and the generic flow).
pub const SCENARIOS_DIR: &str = "/scenarios";
/// The kernel settings a scenario changed, `NAME VALUE` per line, with the
/// values from before its first change: the guest init puts them back
/// before the next scenario of the boot.
pub const RESTORE_FILE: &str = "/tmp/lab-restore";
/// The kernel log line the guest init writes before each scenario,
/// `deadlock-lab: scenario NAME start`: the start of that scenario's part
/// of the log ([`start_line`]).
pub const START_MARK: &str = "deadlock-lab: scenario";
/// The sysctl a host driver writes into guest memory to let a waiting
/// scenario go on, and what it writes (gdb's session, [`crate::gdb`]).
pub const RELEASE_SYSCTL: &str = "kernel/domainname";
pub const RELEASE_VALUE: &str = "gdb-done";
/// How the names of every kernel thread of the lab's own modules begin.
pub const THREAD_PREFIX: &str = "deadlock_";

/// The names of the guest's environment variables, each with what it holds.
pub mod var {
    /// The scenario's name.
    pub const SCENARIO: &str = "LAB_SCENARIO";
    /// The module under test.
    pub const MODULE: &str = "LAB_MODULE";
    /// Its parameters for the main load, as declared (words).
    pub const PARAMS: &str = "LAB_PARAMS";
    /// How many checks the script must report.
    pub const PLAN: &str = "LAB_PLAN";
    /// The generic flow's longest wait after the load, in seconds.
    pub const WAIT: &str = "LAB_WAIT";
    /// `panic` for a scenario that ends in a kernel panic.
    pub const ENDS: &str = "LAB_ENDS";
    /// The harness modules, by name.
    pub const MODULES: &str = "LAB_MODULES";
    /// `MODULE.PARAM=MIN..=MAX` for each parameter with a range.
    pub const RANGES: &str = "LAB_RANGES";
    /// `MODULE.PARAM` of each parameter whose range holds numbers it does not take.
    pub const SPARSE: &str = "LAB_SPARSE";
}

/// The kernel log line that starts scenario `name`'s part of the log.
pub fn start_line(name: &str) -> String {
    format!("{START_MARK} {name} start")
}

/// The scenario whose part of the kernel log starts at `line` (a kernel log
/// line, with or without its timestamp), if it is such a start line.
pub fn started_by(line: &str) -> Option<&str> {
    let at = line.find(START_MARK)?;
    line[at + START_MARK.len()..]
        .strip_prefix(' ')?
        .strip_suffix(" start")
}

/// `value` as one word of the guest's shell, literally: in single quotes,
/// each `'` closed, escaped and opened again. Nothing in it is expanded.
pub fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// `NAME=VALUE` lines for a shell to source, each value quoted.
pub fn assignments<'a>(vars: impl IntoIterator<Item = (&'a str, String)>) -> String {
    let mut s = String::new();
    for (name, value) in vars {
        let _ = writeln!(s, "{name}={}", shell_quote(&value));
    }
    s
}

/// A scenario's own environment in the guest, from its declaration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScenarioEnv {
    pub scenario: String,
    pub module: String,
    pub params: String,
    pub plan: usize,
    pub wait: Option<u64>,
    pub panics: bool,
}

impl ScenarioEnv {
    /// As the shell assignments of `SCENARIOS_DIR/NAME.env`.
    pub fn to_shell(&self) -> String {
        let mut vars = vec![
            (var::SCENARIO, self.scenario.clone()),
            (var::MODULE, self.module.clone()),
            (var::PARAMS, self.params.clone()),
            (var::PLAN, self.plan.to_string()),
        ];
        if let Some(w) = self.wait {
            vars.push((var::WAIT, w.to_string()));
        }
        if self.panics {
            vars.push((var::ENDS, "panic".to_string()));
        }
        assignments(vars)
    }
}

/// Where a file the host writes for the guest lies in the initramfs, for
/// `gen_init_cpio` (without the leading `/`).
pub fn in_image(path: &str) -> &str {
    path.trim_start_matches('/')
}

/// The guest's copy of the contract: its names and paths as shell
/// variables, the protocol's functions, and the few functions that use the
/// names (the start line, the restore file).
pub fn guest_side() -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r#"# SPDX-License-Identifier: GPL-2.0
# The contract between the lab's host program and its guest: the names and
# paths both use. Written from tools/lab/src/contract.rs into the initramfs;
# edit that file, not this one.
"#
    );
    s.push_str(&assignments([
        ("LAB_CONTRACT", CONTRACT_SH.to_string()),
        ("LAB_FACTS", FACTS_SH.to_string()),
        ("LAB_MODULES_DIR", MODULES_DIR.to_string()),
        ("LAB_SCENARIOS_DIR", SCENARIOS_DIR.to_string()),
        ("LAB_RESTORE", RESTORE_FILE.to_string()),
        ("LAB_START_MARK", START_MARK.to_string()),
        ("LAB_RELEASE_SYSCTL", RELEASE_SYSCTL.to_string()),
        ("LAB_RELEASE_VALUE", RELEASE_VALUE.to_string()),
        ("LAB_THREAD_PREFIX", THREAD_PREFIX.to_string()),
    ]));
    let _ = write!(
        s,
        r#"
# lab_mark NAME: the kernel log line that starts scenario NAME's part.
lab_mark() {{ echo "$LAB_START_MARK $1 start" >/dev/kmsg; }}
# lab_klog: the kernel log from the current scenario's start line on.
lab_klog() {{ dmesg | sed -n "/$LAB_START_MARK ${scenario} start\$/,\$p"; }}
"#,
        scenario = var::SCENARIO,
    );
    s.push_str(&crate::protocol::guest_functions());
    s
}

/// The names and paths no other file may spell out, each with how many
/// times the guest init may (the bootstrap: where the contract lies).
const UNIQUE: [(&str, usize); 7] = [
    (CONTRACT_SH, 1),
    (FACTS_SH, 0),
    (GUEST_LIB, 1),
    (MODULES_DIR, 0),
    (SCENARIOS_DIR, 0),
    (RESTORE_FILE, 0),
    (START_MARK, 0),
];

/// Where the files of the checkout (`root`, its tracked files) spell out a
/// name or path of the contract: `FILE:LINE: TEXT` for each. The contract
/// itself, documentation (`*.md`), recorded logs and the one bootstrap
/// line of the guest init are not counted.
pub fn spelled_elsewhere(root: &std::path::Path) -> Result<Vec<String>, String> {
    let (ok, files) = crate::process::output(
        std::process::Command::new("git")
            .arg("-C")
            .arg(root)
            .args(["ls-files", "-z"]),
    );
    if !ok {
        return Err(format!("git ls-files: {files}"));
    }
    let words: Vec<(regex::Regex, &str, usize)> = UNIQUE
        .iter()
        .chain([(RELEASE_VALUE, 0)].iter())
        .map(|(lit, allowed)| {
            let re = format!(r"(^|[^\w./-]){}($|[^\w-])", regex::escape(lit));
            (
                regex::Regex::new(&re).expect("a valid pattern"),
                *lit,
                *allowed,
            )
        })
        .collect();
    let mut out = Vec::new();
    for file in files.split('\0').filter(|f| !f.is_empty()) {
        let recorded = [
            "/tests/boots/",
            "/tests/fixtures/",
            "/tests/relay/",
            "/tests/gdb/",
        ];
        if file == "tools/lab/src/contract.rs"
            || file.ends_with(".md")
            || recorded.iter().any(|r| file.contains(r))
        {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(root.join(file)) else {
            continue;
        };
        for (re, lit, allowed) in &words {
            let hits: Vec<(usize, &str)> = text
                .lines()
                .enumerate()
                .filter(|(_, l)| re.is_match(l))
                .collect();
            let allowed = if file == "scripts/guest-init.sh" {
                *allowed
            } else {
                0
            };
            if hits.len() > allowed {
                for (n, l) in hits {
                    out.push(format!("{file}:{}: {lit}: {}", n + 1, l.trim()));
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_lines_both_ways() {
        let l = start_line("c-abba.inverted");
        assert_eq!(l, "deadlock-lab: scenario c-abba.inverted start");
        assert_eq!(
            started_by(&format!("[    3.100000] {l}")),
            Some("c-abba.inverted")
        );
        assert_eq!(started_by("deadlock-lab: scenario x end"), None);
        assert_eq!(started_by("nothing"), None);
    }

    #[test]
    fn quoting_keeps_every_byte() {
        assert_eq!(shell_quote("fixed=1"), "'fixed=1'");
        assert_eq!(shell_quote("a'b"), r"'a'\''b'");
        let env = ScenarioEnv {
            scenario: "x".into(),
            module: "m".into(),
            params: "p='$(reboot)' `id`".into(),
            plan: 3,
            wait: Some(5),
            panics: true,
        };
        let text = env.to_shell();
        assert!(
            text.contains("LAB_PARAMS='p='\\''$(reboot)'\\'' `id`'\n"),
            "{text}"
        );
        assert!(text.contains("LAB_WAIT='5'\nLAB_ENDS='panic'\n"), "{text}");
    }
}
