// SPDX-License-Identifier: GPL-2.0
//! Reads a Linux kernel log and reports what the kernel's detectors said:
//! lockdep reports, hung tasks and other kernel reports, as structured
//! [`Finding`]s.
//!
//! The input is processed as a stream with bounded memory: see
//! [`input`] for how lines are split and bounded, [`prefix`] for the log
//! formats understood, [`table`] for the recognised reports, [`parser`]
//! for how a report is followed and [`culprit`] for the function a title
//! blames; [`graph`] and [`dot`] draw findings as graphs.

pub mod culprit;
pub mod dot;
pub mod expect;
pub mod graph;
pub mod input;
pub mod model;
pub mod parser;
pub mod prefix;
pub mod re;
pub mod render;
pub mod symbols;
pub mod table;

use std::io::{self, Read};

pub use model::{Finding, Kind, Summary};

use input::RecordReader;
use parser::Parser;

/// Parses a log from `reader`, handing each finding to `sink` as soon as it
/// is known to be complete. Returns whole-log facts.
pub fn parse_stream<R: Read>(reader: R, sink: impl FnMut(Finding)) -> io::Result<Summary> {
    parse_records(RecordReader::new(reader), sink)
}

fn parse_records<R: Read>(
    mut rd: RecordReader<R>,
    sink: impl FnMut(Finding),
) -> io::Result<Summary> {
    let mut parser = Parser::new(sink);
    let triggers = &*table::TRIGGER_AC;
    loop {
        if parser.is_idle() && !rd.skip_to_trigger(triggers)? {
            break;
        }
        let Some(rec) = rd.next_record()? else {
            break;
        };
        let line = rec.line;
        let cleaned = prefix::clean(rec.bytes);
        let text = prefix::to_text(&cleaned);
        let msg = prefix::split(&text);
        parser.feed(line, &msg);
    }
    // `line()` is the number of the line after the last newline; a final
    // line without newline counts as a line too.
    Ok(parser.finish(rd.line().saturating_sub(1)))
}

/// All findings of a log together with the whole-log facts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub summary: Summary,
}

/// Convenience wrapper around [`parse_stream`] for in-memory input.
pub fn parse_bytes(data: &[u8]) -> Report {
    let mut findings = Vec::new();
    let summary =
        parse_stream(data, |f| findings.push(f)).expect("reading from memory cannot fail");
    Report { findings, summary }
}
