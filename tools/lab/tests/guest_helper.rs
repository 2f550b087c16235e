// SPDX-License-Identifier: GPL-2.0
//! The guest's copy of the contract is written from its definition
//! (`contract::guest_side`); here it runs in busybox's shell, as in the
//! guest, and what its protocol functions write is read back by the host's
//! parser. So do the scenarios' library helpers that need no kernel, and
//! the environment a declaration gives a scenario.

use std::process::Command;

use lab::protocol::{Event, GuestLog};

#[test]
fn the_generated_helper_speaks_the_protocol_the_host_reads() {
    let dir = std::env::temp_dir().join(format!("lab-helper-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let helper = dir.join("protocol.sh");
    std::fs::write(&helper, lab::contract::guest_side()).unwrap();
    let tty = dir.join("tty");
    let script = format!(
        r##". {helper}
LAB_TTY={tty}
: >"$LAB_TTY"
tcdrain() {{ :; }}
lab_event booted demo
lab_event start demo
(
	echo "# a diagnostic"
	lab_check ok first "the first check"
	lab_check fail second "the second, with  two spaces"
	echo "insmod: can't insert"
	lab_flush
) | lab_stamp demo
lab_event exit demo 3
lab_event done
"##,
        helper = helper.display(),
        tty = tty.display()
    );
    let shell = if std::path::Path::new("/bin/busybox").exists() {
        vec!["/bin/busybox", "sh"]
    } else {
        vec!["sh"]
    };
    let status = Command::new(shell[0])
        .args(&shell[1..])
        .arg("-c")
        .arg(&script)
        .status()
        .unwrap();
    assert!(status.success());
    let text = std::fs::read_to_string(&tty).unwrap();
    let log = GuestLog::parse(&text);
    assert!(log.unparsed.is_empty(), "{text}");
    assert_eq!(log.booted.as_ref().map(|b| b.1.as_str()), Some("demo"));
    let s = log.scenario("demo").unwrap();
    assert_eq!(s.checks.len(), 2);
    assert!(
        s.checks[0].ok && s.checks[0].id == "first" && s.checks[0].description == "the first check"
    );
    assert!(!s.checks[1].ok && s.checks[1].description == "the second, with  two spaces");
    assert_eq!(
        s.lines.iter().map(|(_, l)| l.as_str()).collect::<Vec<_>>(),
        ["# a diagnostic", "insmod: can't insert"]
    );
    assert!(s.flushed.is_some());
    assert_eq!(s.exit.map(|e| e.0), Some(3));
    assert!(log.done.is_some());
    assert!(matches!(
        log.last.as_ref().map(|r| &r.event),
        Some(Event::Done)
    ));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The scenarios' library's `uptime_cs`, run in busybox's shell on uptimes
/// as `/proc/uptime` gives them: under a second too, where removing the
/// point left a leading zero that the shell's arithmetic took for octal.
#[test]
fn uptime_in_hundredths_has_no_octal_trap() {
    let lib = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/scenarios/lib.sh"
    ))
    .unwrap();
    let start = lib
        .find("\nuptime_cs() {")
        .expect("lib.sh defines uptime_cs")
        + 1;
    let end = start + lib[start..].find("\n}\n").unwrap() + 3;
    let dir = std::env::temp_dir().join(format!("lab-uptime-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fake = dir.join("uptime");
    let function = lib[start..end].replace("/proc/uptime", &fake.to_string_lossy());
    let shell = if std::path::Path::new("/bin/busybox").exists() {
        vec!["/bin/busybox", "sh"]
    } else {
        vec!["sh"]
    };
    for (uptime, cs) in [
        ("0.98 1.50", "98"),
        ("0.05 0.09", "5"),
        ("0.00 0.00", "0"),
        ("7.09 13.10", "709"),
        ("123.40 200.00", "12340"),
    ] {
        std::fs::write(&fake, format!("{uptime}\n")).unwrap();
        let out = Command::new(shell[0])
            .args(&shell[1..])
            .arg("-c")
            .arg(format!("{function}\nuptime_cs"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{uptime}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            cs,
            "uptime {uptime}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A declaration's `params` reaches `insmod` as words, each exactly as
/// written: quotes, `$(...)`, backquotes and patterns are never run or
/// expanded, on the way through the scenario's environment file and the
/// library's `load`.
#[test]
fn params_reach_insmod_literally() {
    let dir = std::env::temp_dir().join(format!("lab-params-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let params = r#"fixed=0 name='it''s' cmd=$(touch ran) tick=`touch ran` glob=* "x y""#;
    let env = lab::contract::ScenarioEnv {
        scenario: "demo".into(),
        module: "deadlock_lab".into(),
        params: params.into(),
        plan: 1,
        wait: None,
        panics: false,
    };
    let env_file = dir.join("demo.env");
    std::fs::write(&env_file, env.to_shell()).unwrap();
    std::fs::write(dir.join("contract.sh"), lab::contract::guest_side()).unwrap();
    let lib = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/scenarios/lib.sh");
    let script = format!(
        r#"cd {dir}
set -a
. ./contract.sh
. ./demo.env
set +a
. {lib}
insmod() {{ printf '<%s>\n' "$@"; }}
load
"#,
        dir = dir.display(),
    );
    let shell = if std::path::Path::new("/bin/busybox").exists() {
        vec!["/bin/busybox", "sh"]
    } else {
        vec!["sh"]
    };
    let out = Command::new(shell[0])
        .args(&shell[1..])
        .arg("-c")
        .arg(&script)
        .current_dir(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let words: Vec<&str> = text.lines().collect();
    let module = format!("<{}/deadlock_lab.ko>", lab::contract::MODULES_DIR);
    assert_eq!(
        words,
        [
            module.as_str(),
            "<fixed=0>",
            "<name='it''s'>",
            "<cmd=$(touch>",
            "<ran)>",
            "<tick=`touch>",
            "<ran`>",
            "<glob=*>",
            "<\"x>",
            "<y\">"
        ],
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !dir.join("ran").exists(),
        "nothing in the parameters was run"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `{kallsyms:NAME}` in a scenario's parameters becomes NAME's address, as
/// the library's `load` expands it just before `insmod`; a symbol that is
/// absent or named twice stops the load, naming it.
#[test]
fn kallsyms_placeholders_become_addresses() {
    let dir = std::env::temp_dir().join(format!("lab-kallsyms-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fake = dir.join("kallsyms");
    std::fs::write(
        &fake,
        "ffffffff81001000 T sched_setaffinity\nffffffffa0000010 t helper\t[m1]\nffffffffa0001010 t helper\t[m2]\n",
    )
    .unwrap();
    let lib = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/scenarios/lib.sh"
    ))
    .unwrap()
    .replace("/proc/kallsyms", &fake.to_string_lossy());
    std::fs::write(dir.join("lib.sh"), lib).unwrap();
    std::fs::write(dir.join("contract.sh"), lab::contract::guest_side()).unwrap();
    let shell = if std::path::Path::new("/bin/busybox").exists() {
        vec!["/bin/busybox", "sh"]
    } else {
        vec!["sh"]
    };
    let run = |params: &str| {
        let script = format!(
            ". ./contract.sh\nLAB_MODULE=m LAB_PARAMS='{params}'\n. ./lib.sh\ninsmod() {{ printf '<%s>\\n' \"$@\"; }}\nload\necho \"rc=$?\"\n"
        );
        let out = Command::new(shell[0])
            .args(&shell[1..])
            .arg("-c")
            .arg(&script)
            .current_dir(&dir)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
    };
    let ok = run("lock_ooo=1 func_ptr={kallsyms:sched_setaffinity}");
    assert!(
        ok.contains("<lock_ooo=1>\n<func_ptr=0xffffffff81001000>\nrc=0"),
        "{ok}"
    );
    let twice = run("p={kallsyms:helper}");
    assert!(
        twice.contains("names helper 2 times, not once") && twice.contains("rc=1"),
        "{twice}"
    );
    let absent = run("p={kallsyms:nothing_here}");
    assert!(
        absent.contains("names nothing_here 0 times") && !absent.contains("<p="),
        "{absent}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
