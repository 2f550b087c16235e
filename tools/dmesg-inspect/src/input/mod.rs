// SPDX-License-Identifier: GPL-2.0
//! Bounded, streaming access to the records of a kernel log.
//!
//! A *record* is a maximal run of bytes containing neither `\n` nor `\r`.
//! Line numbers count `\n` only, so they agree with `grep -n`, `sed -n` and
//! editors, while a lone carriage return (common in serial captures and in
//! firmware progress output) still separates two records. Empty records are
//! never returned, which also makes `\r\n` and `\r\r\n` behave like `\n`.
//!
//! Every record is cut to [`MAX_RECORD`] bytes; the rest of an over-long
//! record is discarded without being buffered. The reader owns one buffer of
//! fixed size, so memory use does not depend on the input.
//!
//! A regular file is read through that buffer like any other input, not
//! mapped: on a machine shared with other work, setting up and tearing down
//! a map's page tables cost as much as the copy it saves, and a file cut
//! short while mapped kills the reader with `SIGBUS` instead of ending its
//! input.

use std::io::{self, Read};

use aho_corasick::AhoCorasick;

mod scan;

pub use scan::count_newlines;
use scan::{previous_record, record_start};

/// Longest record handed to the parser, in bytes.
pub const MAX_RECORD: usize = 4096;

/// Size of the read buffer. Must be well above [`MAX_RECORD`].
const BUF_SIZE: usize = 1 << 20;

/// Most bytes searched for triggers at once (see
/// [`RecordReader::skip_to_trigger`]): well within a core's L2 cache, well
/// above [`MAX_RECORD`].
const SCAN_WINDOW: usize = 128 << 10;

/// One record of the input.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// 1-based line number (counting `\n`) on which the record starts.
    pub line: u64,
    /// The record's bytes, at most [`MAX_RECORD`] of them.
    pub bytes: &'a [u8],
    /// Whether the record was longer than [`MAX_RECORD`] and got cut.
    pub cut: bool,
}

/// Streaming record reader over any [`Read`].
pub struct RecordReader<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    /// Line number of `buf[start]`.
    line: u64,
    /// Holds the head of a record that did not fit in the buffer window.
    long: Vec<u8>,
}

impl<R: Read> RecordReader<R> {
    pub fn new(inner: R) -> Self {
        RecordReader {
            inner,
            buf: vec![0; BUF_SIZE],
            start: 0,
            end: 0,
            eof: false,
            line: 1,
            long: Vec::with_capacity(MAX_RECORD),
        }
    }

    /// Number of the line the reader is positioned on (1-based).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Moves unread bytes to the front of the buffer and reads more.
    /// Returns the number of bytes read (0 at end of input).
    fn refill(&mut self) -> io::Result<usize> {
        if self.eof {
            return Ok(0);
        }
        let buf = &mut self.buf;
        if self.start > 0 {
            buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == buf.len() {
            // Cannot happen while callers keep partial records shorter than
            // the buffer, but never spin if it does.
            return Ok(0);
        }
        loop {
            match self.inner.read(&mut buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(0);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Consumes record separators at the read position.
    fn skip_breaks(&mut self) {
        while self.start < self.end {
            match self.buf[self.start] {
                b'\n' => self.line += 1,
                b'\r' => {}
                _ => break,
            }
            self.start += 1;
        }
    }

    /// Discards bytes up to (not including) the next record separator.
    fn discard_rest_of_record(&mut self) -> io::Result<()> {
        loop {
            let hay = &self.buf[self.start..self.end];
            if let Some(i) = memchr::memchr2(b'\n', b'\r', hay) {
                self.start += i;
                return Ok(());
            }
            self.start = self.end;
            if self.refill()? == 0 {
                return Ok(());
            }
        }
    }

    /// Returns the next non-empty record, or `None` at end of input.
    pub fn next_record(&mut self) -> io::Result<Option<Record<'_>>> {
        loop {
            self.skip_breaks();
            if self.start == self.end {
                if self.refill()? == 0 {
                    return Ok(None);
                }
                continue;
            }
            let hay = &self.buf[self.start..self.end];
            match memchr::memchr2(b'\n', b'\r', hay) {
                Some(i) => {
                    let s = self.start;
                    self.start += i;
                    let cut = i > MAX_RECORD;
                    let e = s + i.min(MAX_RECORD);
                    return Ok(Some(Record {
                        line: self.line,
                        bytes: &self.buf[s..e],
                        cut,
                    }));
                }
                None if hay.len() > MAX_RECORD => {
                    // The record runs past what is buffered and is already
                    // too long: keep its head, drop the rest as it streams by.
                    self.long.clear();
                    self.long.extend_from_slice(&hay[..MAX_RECORD]);
                    self.start = self.end;
                    self.discard_rest_of_record()?;
                    return Ok(Some(Record {
                        line: self.line,
                        bytes: &self.long,
                        cut: true,
                    }));
                }
                None => {
                    if self.eof {
                        let s = self.start;
                        self.start = self.end;
                        return Ok(Some(Record {
                            line: self.line,
                            bytes: &self.buf[s..self.end],
                            cut: false,
                        }));
                    }
                    self.refill()?;
                }
            }
        }
    }

    /// Advances to the start of the next record that contains one of the
    /// trigger strings within its first [`MAX_RECORD`] bytes (or may contain
    /// one: the caller re-checks the record), or to the record before it if
    /// that one was skipped on the way: a report's header is often preceded
    /// by a banner line (`=====...`, `------------[ cut here ]------------`)
    /// that belongs to the report, and handing it over keeps such lines out
    /// of the trigger set, where they were the most frequent hits. Records
    /// skipped on the way are only counted. Returns `false` at end of input.
    ///
    /// The search covers at most [`SCAN_WINDOW`] bytes at a time, so that
    /// the bytes it brought into the cache are still there when their
    /// newlines are counted.
    pub fn skip_to_trigger(&mut self, triggers: &AhoCorasick) -> io::Result<bool> {
        loop {
            self.skip_breaks();
            let limit = self.end.min(self.start + SCAN_WINDOW);
            let last = limit == self.end;
            let hay = &self.buf[self.start..limit];
            if let Some(m) = triggers.find(hay) {
                let rec = record_start(hay, m.start());
                let from = previous_record(hay, rec).unwrap_or(rec);
                self.line += count_newlines(&hay[..from]);
                self.start += from;
                return Ok(true);
            }
            if last && self.eof {
                self.line += count_newlines(hay);
                self.start = self.end;
                return Ok(false);
            }
            // Keep the trailing partial record, in which a trigger may
            // straddle the end of the window, and the record before it.
            match memchr::memrchr2(b'\n', b'\r', hay) {
                Some(p) => {
                    // Always move on: a window holding only the two kept
                    // records ends in a record too long to be searched on.
                    let keep = previous_record(hay, p + 1).filter(|&k| k > 0);
                    let keep = keep.unwrap_or(p);
                    self.line += count_newlines(&hay[..keep]);
                    self.start += keep;
                }
                None if hay.len() > MAX_RECORD => {
                    // A long record with no trigger in its head: drop it.
                    self.start = limit;
                    self.discard_rest_of_record()?;
                    continue;
                }
                None => {}
            }
            if last && self.refill()? == 0 && !self.eof {
                return Ok(false);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(input: &[u8]) -> Vec<(u64, String, bool)> {
        let mut r = RecordReader::new(input);
        let mut out = Vec::new();
        while let Some(rec) = r.next_record().unwrap() {
            out.push((
                rec.line,
                String::from_utf8_lossy(rec.bytes).into_owned(),
                rec.cut,
            ));
        }
        out
    }

    #[test]
    fn splits_on_lf_crlf_and_lone_cr() {
        let got = records(b"a\nb\r\nc\rd\r\r\ne\n\nf");
        let want = vec![
            (1, "a".to_string(), false),
            (2, "b".to_string(), false),
            (3, "c".to_string(), false),
            (3, "d".to_string(), false),
            (4, "e".to_string(), false),
            (6, "f".to_string(), false),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn cuts_long_records() {
        let mut input = vec![b'x'; 3 * BUF_SIZE + 17];
        input.extend_from_slice(b"\nnext\n");
        let got = records(&input);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1.len(), MAX_RECORD);
        assert!(got[0].2);
        assert_eq!(got[1], (2, "next".to_string(), false));
    }

    #[test]
    fn trigger_skip_keeps_line_numbers() {
        let ac = AhoCorasick::new(["BUG:"]).unwrap();
        let mut input = Vec::new();
        for i in 0..100_000 {
            input.extend_from_slice(format!("[ {i}.000000] noise line\n").as_bytes());
        }
        input.extend_from_slice(b"[ 1.0] BUG: here\n");
        let mut r = RecordReader::new(&input[..]);
        // The line in front of the trigger line comes first.
        assert!(r.skip_to_trigger(&ac).unwrap());
        let rec = r.next_record().unwrap().unwrap();
        assert_eq!(rec.line, 100_000);
        assert_eq!(rec.bytes, b"[ 99999.000000] noise line");
        assert!(r.skip_to_trigger(&ac).unwrap());
        let rec = r.next_record().unwrap().unwrap();
        assert_eq!(rec.line, 100_001);
        assert_eq!(rec.bytes, b"[ 1.0] BUG: here");
        assert!(!r.skip_to_trigger(&ac).unwrap());
        assert_eq!(r.line(), 100_002);
    }

    /// Every record [`RecordReader::skip_to_trigger`] stops at, with the
    /// record after it, read from a stream through a buffer whose reads
    /// return at most `chunk` bytes.
    fn stops(input: &[u8], chunk: usize) -> Vec<(u64, String)> {
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(out.len()).min(self.1);
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let ac = AhoCorasick::new(["BUG:"]).unwrap();
        let mut r = RecordReader::new(Trickle(input, chunk));
        let mut out = Vec::new();
        while r.skip_to_trigger(&ac).unwrap() {
            for _ in 0..2 {
                if let Some(rec) = r.next_record().unwrap() {
                    out.push((rec.line, String::from_utf8_lossy(rec.bytes).into_owned()));
                }
            }
        }
        out
    }

    #[test]
    fn the_line_before_a_trigger_survives_refills_and_windows() {
        // Reports at every distance from the buffer and window edges.
        let mut input = Vec::new();
        let mut want = Vec::new();
        let mut line = 1;
        for i in 0..4000u64 {
            let noise = format!(
                "[ {i}.000000] noise line {}\n",
                "x".repeat((i * 37 % 300) as usize)
            );
            input.extend_from_slice(noise.as_bytes());
            line += 1;
            if i % 97 == 0 {
                input.extend_from_slice(b"=====\r\n\nBUG: one\n");
                want.push((line, "=====".to_string()));
                want.push((line + 2, "BUG: one".to_string()));
                line += 3;
            }
        }
        for chunk in [BUF_SIZE, 4096, 1000] {
            assert_eq!(stops(&input, chunk), want, "reads of {chunk} bytes");
        }
    }

    #[test]
    fn a_record_longer_than_the_window_is_skipped_whole() {
        let mut input = b"head\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', SCAN_WINDOW * 3));
        input.extend_from_slice(b" BUG: in the tail\nlast\nBUG: here\n");
        let want = vec![(3, "last".to_string()), (4, "BUG: here".to_string())];
        assert_eq!(stops(&input, BUF_SIZE), want);
    }
}
