// SPDX-License-Identifier: GPL-2.0
//! `dmesg-inspect`: report what the kernel's detectors said in a log.
//!
//! Exit status: 0 no findings (or expectation met), 1 findings (or
//! expectation not met), 2 usage error, unreadable input or malformed
//! expectation file.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser as ClapParser;

use dmesg_inspect::dot::DotDocument;
use dmesg_inspect::expect::{Evaluator, Expectation};
use dmesg_inspect::graph::waits::WaitFor;
use dmesg_inspect::render::{self, JsonArrayWriter};
use dmesg_inspect::{parse_stream, Finding};

#[derive(ClapParser, Debug)]
#[command(
    name = "dmesg-inspect",
    version,
    about = "Report lockdep, hung-task and other kernel reports found in a kernel log",
    after_help = "Exit status: 0 no findings / expectation met, 1 findings / expectation not met, \
                  2 usage error, unreadable input or malformed expectation file.\n\n\
                  Examples:\n  dmesg | dmesg-inspect\n  journalctl -k -b -1 | dmesg-inspect\n  \
                  dmesg-inspect --json console.log\n  dmesg-inspect --expect tests/abba.expect.json console.log\n  \
                  dmesg-inspect --dot console.log | dot -Tsvg -o console.svg"
)]
struct Cli {
    /// Log to read: a file, or `-` / nothing for standard input.
    log: Option<PathBuf>,

    /// Print the findings as a JSON array instead of the readable summary.
    #[arg(long, conflicts_with_all = ["expect", "expect_none"])]
    json: bool,

    /// Check the log against an expectation file (see README); exit 0 when
    /// it matches, 1 otherwise.
    #[arg(long, value_name = "FILE", conflicts_with = "expect_none")]
    expect: Option<PathBuf>,

    /// Shorthand for an expectation of no findings at all.
    #[arg(long)]
    expect_none: bool,

    /// Print nothing; only set the exit status.
    #[arg(short, long)]
    quiet: bool,

    /// Copy the log to standard output with every Rust symbol demangled,
    /// and report nothing (exit 0; kallsyms prints Rust symbols mangled).
    #[arg(long, conflicts_with_all = ["json", "expect", "expect_none", "quiet"])]
    demangle: bool,

    /// Print the findings as one Graphviz DOT graph: the lock dependencies
    /// of each lockdep report and the wait-for graph of the hung tasks,
    /// cycles in red (exit status as for the summary).
    #[arg(long, conflicts_with_all = ["json", "expect", "expect_none", "quiet", "demangle"])]
    dot: bool,
}

const EXIT_FINDINGS: u8 = 1;
const EXIT_ERROR: u8 = 2;

fn open_input(path: &Option<PathBuf>) -> io::Result<Box<dyn Read>> {
    match path {
        None => Ok(Box::new(io::stdin().lock())),
        Some(p) if p.as_os_str() == "-" => Ok(Box::new(io::stdin().lock())),
        Some(p) => Ok(Box::new(std::fs::File::open(p)?)),
    }
}

fn input_name(path: &Option<PathBuf>) -> String {
    match path {
        Some(p) if p.as_os_str() != "-" => p.display().to_string(),
        _ => "standard input".to_string(),
    }
}

fn is_broken_pipe(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::BrokenPipe
}

/// `--demangle`: the input, line by line, with Rust symbols demangled.
fn demangle_stream(input: Box<dyn Read>, out: &mut impl Write) -> io::Result<()> {
    let mut reader = io::BufReader::with_capacity(1 << 16, input);
    let mut line = Vec::new();
    loop {
        line.clear();
        if io::BufRead::read_until(&mut reader, b'\n', &mut line)? == 0 {
            return out.flush();
        }
        let text = String::from_utf8_lossy(&line);
        out.write_all(dmesg_inspect::symbols::demangle_text(&text).as_bytes())?;
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();

    let expectation = if let Some(path) = &cli.expect {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!(
                    "dmesg-inspect: cannot read expectation file {}: {e}",
                    path.display()
                );
                return ExitCode::from(EXIT_ERROR);
            }
        };
        match Expectation::from_json(&text) {
            Ok(e) => Some(e),
            Err(e) => {
                eprintln!(
                    "dmesg-inspect: malformed expectation file {}: {e}",
                    path.display()
                );
                return ExitCode::from(EXIT_ERROR);
            }
        }
    } else if cli.expect_none {
        Some(Expectation::none())
    } else {
        None
    };

    let input = match open_input(&cli.log) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("dmesg-inspect: cannot open {}: {e}", input_name(&cli.log));
            return ExitCode::from(EXIT_ERROR);
        }
    };

    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());

    if cli.demangle {
        return match demangle_stream(input, &mut out) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("dmesg-inspect: {}: {e}", input_name(&cli.log));
                ExitCode::from(EXIT_ERROR)
            }
        };
    }

    if let Some(exp) = expectation {
        let mut ev = Evaluator::new(&exp);
        let summary = match parse_stream(input, |f| ev.feed(&f)) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("dmesg-inspect: error reading {}: {e}", input_name(&cli.log));
                return ExitCode::from(EXIT_ERROR);
            }
        };
        let (listed, total) = {
            let (l, t) = ev.listed();
            (l.to_vec(), t)
        };
        let mismatches = ev.finish(&summary);
        if cli.quiet {
            return ExitCode::from(if mismatches.is_empty() {
                0
            } else {
                EXIT_FINDINGS
            });
        }
        let res = (|| -> io::Result<()> {
            if mismatches.is_empty() {
                writeln!(
                    out,
                    "ok: {} matches the expectation ({} finding{})",
                    input_name(&cli.log),
                    total,
                    if total == 1 { "" } else { "s" }
                )?;
            } else {
                for m in &mismatches {
                    writeln!(out, "mismatch: {m}")?;
                }
                writeln!(out, "findings in {} ({total}):", input_name(&cli.log))?;
                for l in &listed {
                    writeln!(out, "  {l}")?;
                }
                if total > listed.len() as u64 {
                    writeln!(out, "  ... {} more", total - listed.len() as u64)?;
                }
            }
            out.flush()
        })();
        if let Err(e) = res {
            if !is_broken_pipe(&e) {
                eprintln!("dmesg-inspect: cannot write output: {e}");
                return ExitCode::from(EXIT_ERROR);
            }
        }
        return ExitCode::from(if mismatches.is_empty() {
            0
        } else {
            EXIT_FINDINGS
        });
    }

    if cli.dot {
        let mut doc = DotDocument::new(&input_name(&cli.log));
        let mut n: u64 = 0;
        match parse_stream(input, |f| {
            n += 1;
            doc.add(n, &f);
        }) {
            Ok(summary) => doc.claims(&summary.claims),
            Err(e) => {
                eprintln!("dmesg-inspect: error reading {}: {e}", input_name(&cli.log));
                return ExitCode::from(EXIT_ERROR);
            }
        }
        return match doc.write(&mut out).and_then(|()| out.flush()) {
            Err(e) if !is_broken_pipe(&e) => {
                eprintln!("dmesg-inspect: cannot write output: {e}");
                ExitCode::from(EXIT_ERROR)
            }
            _ => ExitCode::from(if n == 0 { 0 } else { EXIT_FINDINGS }),
        };
    }

    // Plain and JSON output are written as findings complete, so memory
    // use does not grow with the number of findings.
    let mut write_err: Option<io::Error> = None;
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut waits = WaitFor::default();
    let mut n: u64 = 0;
    let result = if cli.json && !cli.quiet {
        let mut w = JsonArrayWriter::new(&mut out);
        let r = parse_stream(input, |f: Finding| {
            n += 1;
            if write_err.is_none() {
                if let Err(e) = w.write(&f) {
                    write_err = Some(e);
                }
            }
        });
        if write_err.is_none() {
            if let Err(e) = w.finish() {
                write_err = Some(e);
            }
        }
        r
    } else {
        let quiet = cli.quiet;
        let out_ref = &mut out;
        parse_stream(input, |f: Finding| {
            n += 1;
            *counts.entry(f.kind.to_string()).or_default() += 1;
            waits.add(n, &f);
            if !quiet && write_err.is_none() {
                if let Err(e) = render::write_finding(out_ref, n, &f) {
                    write_err = Some(e);
                }
            }
        })
    };
    let summary = match result {
        Ok(s) => s,
        Err(e) => {
            let _ = out.flush();
            eprintln!("dmesg-inspect: error reading {}: {e}", input_name(&cli.log));
            return ExitCode::from(EXIT_ERROR);
        }
    };
    waits.claims(&summary.claims);
    if !cli.json && !cli.quiet && write_err.is_none() {
        let counts: Vec<(String, u64)> = counts.into_iter().collect();
        if let Err(e) = render::write_wait_for(&mut out, &waits)
            .and_then(|()| render::write_summary(&mut out, &summary, &counts))
        {
            write_err = Some(e);
        }
    }
    if write_err.is_none() {
        if let Err(e) = out.flush() {
            write_err = Some(e);
        }
    }
    if let Some(e) = write_err {
        if !is_broken_pipe(&e) {
            eprintln!("dmesg-inspect: cannot write output: {e}");
            return ExitCode::from(EXIT_ERROR);
        }
    }
    ExitCode::from(if n == 0 { 0 } else { EXIT_FINDINGS })
}
