// SPDX-License-Identifier: GPL-2.0
//! The guest's protocol: what the guest tells the host, on a serial line of
//! its own (`ttyS1`), so that the kernel's console (`ttyS0`) is the kernel's
//! alone and no kernel line can split a message.
//!
//! Every line is a record `UPTIME SOURCE TEXT`: the guest's uptime in
//! seconds, then `lab` for the guest init's own events or the name of the
//! scenario whose output the line is. Init's events are
//!
//! ```text
//! 2.31 lab booted inverted,fixed      the run it was given
//! 2.32 lab start inverted             a scenario's script starts
//! 2.33 lab missing nope               no script for a scenario
//! 7.80 lab exit inverted 0            it ended, with this status
//! 7.81 lab done                       the guest is about to reboot
//! 3.00 lab beat                       the guest's user space still runs
//! ```
//!
//! The heartbeat comes every second from the guest init's own loop, beside
//! the scenarios: when it stops, the guest's CPUs no longer run user space
//! (see [`crate::boot`], which ends such a boot).
//!
//! and a scenario's script prints `# TEXT` (a diagnostic), `@check ok ID
//! DESCRIPTION` or `@check fail ID DESCRIPTION` (one check), `@ready WHAT`
//! (the script waits for the host, e.g. for gdb), `@flush` (everything so far
//! must reach the host: the next step may panic the kernel), `@measure NAME
//! VALUE` (a number the guest measured, which a declared log fact may
//! compare with the log), `@lockdep-class NAME` and `@lockdep-edge FROM TO`
//! (lockdep's graph of the module's classes, [`crate::lockorder`]);
//! anything else it prints (a command's error message, say) is kept as
//! plain output.
//!
//! [`guest_functions`] writes the guest's side of this definition as shell
//! functions, into the guest's copy of the contract ([`crate::contract`]).

use std::fmt::Write as _;

/// The guest's device for the protocol, and QEMU's second serial port.
pub const GUEST_TTY: &str = "/dev/ttyS1";
/// The source field of the guest init's own events.
pub const INIT: &str = "lab";

/// One thing the guest said.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Booted {
        run: String,
    },
    Start,
    Missing,
    Exit {
        status: i32,
    },
    Done,
    Beat,
    Say(String),
    Check {
        ok: bool,
        id: String,
        description: String,
    },
    Ready(String),
    Flush,
    Measure {
        name: String,
        value: i64,
    },
    LockdepClass(String),
    LockdepEdge {
        from: String,
        to: String,
    },
    Output(String),
}

/// A record: when, from which scenario (`None`: the guest init), what.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub uptime: f64,
    pub scenario: Option<String>,
    pub event: Event,
}

/// Parses one line of the protocol. A line that is not a record (a broken
/// or truncated one) is `None`.
pub fn parse_line(line: &str) -> Option<Record> {
    let line = line.trim_end_matches(['\r', '\n']);
    let (up, rest) = line.split_once(' ')?;
    let uptime: f64 = up.parse().ok()?;
    let (source, text) = rest.split_once(' ').unwrap_or((rest, ""));
    if source.is_empty() {
        return None;
    }
    if source == INIT {
        let mut words = text.split(' ');
        let verb = words.next()?;
        let arg = words.next();
        let event = match (verb, arg) {
            ("booted", run) => Event::Booted {
                run: run.unwrap_or("").to_string(),
            },
            ("start", Some(name)) => return Some(Record::of(uptime, name, Event::Start)),
            ("missing", Some(name)) => return Some(Record::of(uptime, name, Event::Missing)),
            ("exit", Some(name)) => {
                let status = words.next()?.parse().ok()?;
                return Some(Record::of(uptime, name, Event::Exit { status }));
            }
            ("done", _) => Event::Done,
            ("beat", _) => Event::Beat,
            _ => return None,
        };
        return Some(Record {
            uptime,
            scenario: None,
            event,
        });
    }
    Some(Record::of(uptime, source, scenario_event(text)))
}

/// What a line of a scenario's own output says.
fn scenario_event(text: &str) -> Event {
    if let Some(d) = text
        .strip_prefix("# ")
        .or(if text == "#" { Some("") } else { None })
    {
        return Event::Say(d.to_string());
    }
    if let Some(rest) = text.strip_prefix("@check ") {
        let mut parts = rest.splitn(3, ' ');
        let status = parts.next().unwrap_or("");
        let id = parts.next().unwrap_or("");
        if (status == "ok" || status == "fail") && !id.is_empty() {
            return Event::Check {
                ok: status == "ok",
                id: id.to_string(),
                description: parts.next().unwrap_or("").to_string(),
            };
        }
    }
    if let Some(what) = text.strip_prefix("@ready ") {
        return Event::Ready(what.to_string());
    }
    if text == "@flush" {
        return Event::Flush;
    }
    if let Some(name) = text.strip_prefix("@lockdep-class ") {
        return Event::LockdepClass(name.to_string());
    }
    if let Some((from, to)) = text
        .strip_prefix("@lockdep-edge ")
        .and_then(|r| r.split_once(' '))
    {
        return Event::LockdepEdge {
            from: from.to_string(),
            to: to.to_string(),
        };
    }
    if let Some((name, value)) = text
        .strip_prefix("@measure ")
        .and_then(|r| r.split_once(' '))
    {
        if let Ok(value) = value.trim().parse() {
            return Event::Measure {
                name: name.to_string(),
                value,
            };
        }
    }
    Event::Output(text.to_string())
}

impl Record {
    fn of(uptime: f64, scenario: &str, event: Event) -> Record {
        Record {
            uptime,
            scenario: Some(scenario.to_string()),
            event,
        }
    }
}

/// What one scenario's script did, as the guest reported it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScenarioLog {
    pub name: String,
    pub start: Option<f64>,
    pub missing: bool,
    /// Exit status and when.
    pub exit: Option<(i32, f64)>,
    pub checks: Vec<Check>,
    /// Its diagnostics and other output, in order, with their uptime.
    pub lines: Vec<(f64, String)>,
    /// What the script waited for the host for (`@ready`).
    pub ready: Vec<String>,
    /// The last `@flush` it reached.
    pub flushed: Option<f64>,
    /// What it measured, by name (the last value of each).
    pub measures: std::collections::BTreeMap<String, i64>,
    /// Lockdep's graph of the module's classes, if the script printed it.
    pub graph: Option<crate::lockorder::LockOrder>,
}

/// One check as the guest reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub uptime: f64,
    pub ok: bool,
    pub id: String,
    pub description: String,
}

impl ScenarioLog {
    /// Seconds the script ran, if it ended.
    pub fn seconds(&self) -> Option<f64> {
        Some(self.exit?.1 - self.start?)
    }
}

/// The whole of a boot's protocol stream.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GuestLog {
    pub booted: Option<(f64, String)>,
    pub scenarios: Vec<ScenarioLog>,
    pub done: Option<f64>,
    /// Lines that were no record (a torn last line, noise).
    pub unparsed: Vec<String>,
    /// The last record, for saying where a boot stopped (heartbeats aside).
    pub last: Option<Record>,
    /// When the last heartbeat came, in the guest's uptime.
    pub last_beat: Option<f64>,
}

impl GuestLog {
    /// Reads a protocol stream.
    pub fn parse(text: &str) -> GuestLog {
        let mut log = GuestLog::default();
        for line in text.split_inclusive('\n') {
            let Some(rec) = parse_line(line) else {
                if !line.trim().is_empty() {
                    log.unparsed.push(line.trim_end().to_string());
                }
                continue;
            };
            if rec.event == Event::Beat {
                log.last_beat = Some(rec.uptime);
                continue;
            }
            log.apply(&rec);
            log.last = Some(rec);
        }
        log
    }

    fn apply(&mut self, rec: &Record) {
        let t = rec.uptime;
        let Some(name) = &rec.scenario else {
            match &rec.event {
                Event::Booted { run } => self.booted = Some((t, run.clone())),
                Event::Done => self.done = Some(t),
                _ => {}
            }
            return;
        };
        let s = self.scenario_mut(name);
        match &rec.event {
            Event::Start => s.start = Some(t),
            Event::Missing => s.missing = true,
            Event::Exit { status } => s.exit = Some((*status, t)),
            Event::Check {
                ok,
                id,
                description,
            } => s.checks.push(Check {
                uptime: t,
                ok: *ok,
                id: id.clone(),
                description: description.clone(),
            }),
            Event::Say(text) => s.lines.push((t, format!("# {text}"))),
            Event::Output(text) => s.lines.push((t, text.clone())),
            Event::Ready(what) => s.ready.push(what.clone()),
            Event::Flush => s.flushed = Some(t),
            Event::Measure { name, value } => {
                s.measures.insert(name.clone(), *value);
            }
            Event::LockdepClass(name) => {
                let g = s.graph.get_or_insert_with(Default::default);
                g.merge(&crate::lockorder::LockOrder {
                    classes: vec![name.clone()],
                    edges: vec![],
                });
            }
            Event::LockdepEdge { from, to } => {
                let g = s.graph.get_or_insert_with(Default::default);
                g.merge(&crate::lockorder::LockOrder {
                    classes: vec![from.clone(), to.clone()],
                    edges: vec![crate::lockorder::Edge {
                        from: from.clone(),
                        to: to.clone(),
                    }],
                });
            }
            Event::Booted { .. } | Event::Done | Event::Beat => {}
        }
    }

    fn scenario_mut(&mut self, name: &str) -> &mut ScenarioLog {
        if let Some(i) = self.scenarios.iter().position(|s| s.name == name) {
            return &mut self.scenarios[i];
        }
        self.scenarios.push(ScenarioLog {
            name: name.to_string(),
            ..Default::default()
        });
        self.scenarios.last_mut().unwrap()
    }

    pub fn scenario(&self, name: &str) -> Option<&ScenarioLog> {
        self.scenarios.iter().find(|s| s.name == name)
    }
}

/// The guest's side of the protocol, as shell functions for busybox ash,
/// for the guest's copy of the contract ([`crate::contract::guest_side`]).
pub fn guest_functions() -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r#"
# The protocol (tools/lab/src/protocol.rs). Records go to {tty}, one per
# line: "UPTIME SOURCE TEXT". Only shell builtins run per line: a fork costs
# milliseconds under emulation.
LAB_TTY={tty}

# lab_uptime: sets LAB_UP to the uptime in seconds.
lab_uptime() {{ read -r LAB_UP _ </proc/uptime; }}

# lab_nap SECS: sleeps SECS seconds (fractions too) without starting a
# process: a read that times out on a FIFO nobody writes to.
lab_nap() {{
	[ -p /tmp/lab-nap ] || mkfifo /tmp/lab-nap
	read -r -t "$1" _ <>/tmp/lab-nap
	return 0
}}

# lab_heartbeat: a "beat" event every second, for good (run it in the
# background): the host knows from it that user space still runs.
lab_heartbeat() {{
	while :; do
		lab_event beat
		lab_nap 1
	done
}}

# lab_event VERB [ARGS...]: one of the init's own events.
lab_event() {{
	lab_uptime
	echo "$LAB_UP {init} $*" >>"$LAB_TTY"
}}

# lab_stamp NAME: copies standard input to the protocol line, each line
# stamped as output of scenario NAME. After a "@flush" line it waits until
# the line has sent everything, then creates /tmp/lab-flushed.
lab_stamp() {{
	while IFS= read -r line; do
		lab_uptime
		echo "$LAB_UP $1 $line"
		if [ "$line" = @flush ]; then
			tcdrain "$LAB_TTY"
			: >/tmp/lab-flushed
		fi
	done >>"$LAB_TTY"
}}

# In a scenario (its output goes through lab_stamp):
# lab_check ok|fail ID DESCRIPTION: one check's result.
lab_check() {{ echo "@check $1 $2 $3"; }}
# lab_ready WHAT: the script now waits for the host (for example: gdb).
lab_ready() {{ echo "@ready $1"; }}
# lab_measure NAME VALUE: a number the guest measured.
lab_measure() {{ echo "@measure $1 $2"; }}
# lab_flush: returns once everything printed so far has reached the host;
# for the step before one that may panic the kernel.
lab_flush() {{
	rm -f /tmp/lab-flushed
	echo @flush
	while [ ! -e /tmp/lab-flushed ]; do sleep 0.05; done
}}
"#,
        tty = GUEST_TTY,
        init = INIT
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records() {
        assert_eq!(
            parse_line("2.31 lab booted inverted,fixed\n"),
            Some(Record {
                uptime: 2.31,
                scenario: None,
                event: Event::Booted {
                    run: "inverted,fixed".into()
                }
            })
        );
        assert_eq!(
            parse_line("7.80 lab exit inverted 3").unwrap().event,
            Event::Exit { status: 3 }
        );
        let c = parse_line("3.0 fixed @check fail insmod insmod deadlock_lab fixed=1 succeeds")
            .unwrap();
        assert_eq!(c.scenario.as_deref(), Some("fixed"));
        assert_eq!(
            c.event,
            Event::Check {
                ok: false,
                id: "insmod".into(),
                description: "insmod deadlock_lab fixed=1 succeeds".into()
            }
        );
        assert_eq!(
            parse_line("3.0 fixed # hello").unwrap().event,
            Event::Say("hello".into())
        );
        assert_eq!(
            parse_line("3.0 fixed insmod: can't").unwrap().event,
            Event::Output("insmod: can't".into())
        );
        assert_eq!(
            parse_line("3.0 fixed @check maybe x"),
            Some(Record::of(
                3.0,
                "fixed",
                Event::Output("@check maybe x".into())
            ))
        );
        assert_eq!(
            parse_line("3.0 irq @measure timer-climbed 17")
                .unwrap()
                .event,
            Event::Measure {
                name: "timer-climbed".into(),
                value: 17
            }
        );
        assert_eq!(
            parse_line("3.0 irq @measure x many").unwrap().event,
            Event::Output("@measure x many".into())
        );
        assert_eq!(parse_line("4.0 lab beat").unwrap().event, Event::Beat);
        assert_eq!(parse_line("garbage"), None);
        assert_eq!(parse_line("3.0 lab exit inverted"), None);
        assert_eq!(parse_line(""), None);
    }

    #[test]
    fn a_whole_stream() {
        let text = "1.0 lab booted a\n1.1 lab start a\n1.2 a # hi\n1.3 a @check ok one the first\n\
                    1.4 lab beat\n1.5 lab exit a 0\n1.8 lab done\n";
        let log = GuestLog::parse(text);
        let a = log.scenario("a").unwrap();
        assert_eq!(a.checks.len(), 1);
        assert_eq!(a.exit, Some((0, 1.5)));
        assert!((a.seconds().unwrap() - 0.4).abs() < 1e-9);
        assert_eq!(log.done, Some(1.8));
        assert_eq!(log.last_beat, Some(1.4));
    }
}
