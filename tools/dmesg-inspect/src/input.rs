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

use std::io::{self, Read};

use aho_corasick::AhoCorasick;

/// Longest record handed to the parser, in bytes.
pub const MAX_RECORD: usize = 4096;

/// Size of the read buffer. Must be well above [`MAX_RECORD`].
const BUF_SIZE: usize = 1 << 20;

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

/// Where the reader's bytes live: its own buffer, filled by `read()`, or
/// a read-only map of a whole regular file (see [`RecordReader::mapped`]).
enum Store {
    Owned(Vec<u8>),
    Mapped(memmap2::Mmap),
}

impl std::ops::Deref for Store {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Store::Owned(v) => v,
            Store::Mapped(m) => m,
        }
    }
}

/// A mapped file's pages already read are handed back to the kernel in
/// steps of this size, so that the process does not keep the whole file
/// resident.
const RELEASE_STEP: usize = 8 << 20;

/// Streaming record reader over any [`Read`].
pub struct RecordReader<R> {
    inner: R,
    buf: Store,
    /// Mapped input: bytes before this offset were handed back.
    released: usize,
    start: usize,
    end: usize,
    eof: bool,
    /// Line number of `buf[start]`.
    line: u64,
    /// Holds the head of a record that did not fit in the buffer window.
    long: Vec<u8>,
}

/// Counts `\n` bytes. Written as a plain loop over fixed-size blocks so that
/// the compiler vectorises it; this runs over every byte that the trigger
/// search skips and is the largest per-byte cost of a clean log.
#[inline]
pub fn count_newlines(hay: &[u8]) -> u64 {
    let mut total: u64 = 0;
    let mut chunks = hay.chunks_exact(256);
    for chunk in &mut chunks {
        let mut n: u8 = 0;
        for &b in chunk {
            n = n.wrapping_add((b == b'\n') as u8);
        }
        // A 256-byte block may consist only of newlines: 256 wraps to 0.
        total += if n == 0 && chunk[0] == b'\n' {
            256
        } else {
            n as u64
        };
    }
    for &b in chunks.remainder() {
        total += (b == b'\n') as u64;
    }
    total
}

impl<R: Read> RecordReader<R> {
    pub fn new(inner: R) -> Self {
        RecordReader {
            inner,
            buf: Store::Owned(vec![0; BUF_SIZE]),
            released: 0,
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
        let Store::Owned(buf) = &mut self.buf else {
            // A mapped file is complete from the start (`eof` is set).
            return Ok(0);
        };
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
    /// one: the caller re-checks the record). Records skipped on the way are
    /// only counted. Returns `false` at end of input.
    pub fn skip_to_trigger(&mut self, triggers: &AhoCorasick) -> io::Result<bool> {
        self.release_read_pages();
        loop {
            self.skip_breaks();
            let hay = &self.buf[self.start..self.end];
            if let Some(m) = triggers.find(hay) {
                let rec_start = memchr::memrchr2(b'\n', b'\r', &hay[..m.start()])
                    .map(|p| p + 1)
                    .unwrap_or(0);
                self.line += count_newlines(&hay[..rec_start]);
                self.start += rec_start;
                return Ok(true);
            }
            if self.eof {
                self.line += count_newlines(hay);
                self.start = self.end;
                return Ok(false);
            }
            // Keep the trailing partial record: a trigger may straddle the
            // end of the buffered data.
            match memchr::memrchr2(b'\n', b'\r', hay) {
                Some(p) => {
                    self.line += count_newlines(&hay[..p]);
                    self.start += p;
                }
                None if hay.len() > MAX_RECORD => {
                    // A long record with no trigger in its head: drop it.
                    self.start = self.end;
                    self.discard_rest_of_record()?;
                    continue;
                }
                None => {}
            }
            if self.refill()? == 0 && !self.eof {
                return Ok(false);
            }
        }
    }
}

impl RecordReader<io::Empty> {
    /// A reader over a read-only map of a regular file: its bytes are
    /// searched where the kernel keeps them, without being copied into a
    /// buffer first. Pages already read are handed back as reading goes
    /// on, so memory use stays bounded.
    ///
    /// The file must not shrink while it is read (a mapped page past the
    /// new end cannot be read); the caller maps only regular files.
    pub fn mapped(map: memmap2::Mmap) -> Self {
        let end = map.len();
        RecordReader {
            inner: io::empty(),
            buf: Store::Mapped(map),
            released: 0,
            start: 0,
            end,
            eof: true,
            line: 1,
            long: Vec::with_capacity(MAX_RECORD),
        }
    }
}

impl<R> RecordReader<R> {
    /// Mapped input: hands the pages before the read position back to the
    /// kernel once [`RELEASE_STEP`] bytes have been read past the last
    /// release. No record borrowed from them is alive (`&mut self`).
    fn release_read_pages(&mut self) {
        let Store::Mapped(map) = &self.buf else {
            return;
        };
        if self.start < self.released + RELEASE_STEP {
            return;
        }
        let page = 4096;
        let upto = self.start / page * page;
        // Only the resident pages go: the file's data stays in the page
        // cache and the map stays valid; a later read of these bytes (none
        // is made) would fault them in again.
        // SAFETY: the map is read-only and shared with the file, so
        // dropping its pages loses nothing; no reference into the range is
        // alive while `self` is borrowed mutably.
        let _ = unsafe {
            map.unchecked_advise_range(
                memmap2::UncheckedAdvice::DontNeed,
                self.released,
                upto - self.released,
            )
        };
        self.released = upto;
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
    fn counts_newlines_in_full_blocks() {
        let v = vec![b'\n'; 1000];
        assert_eq!(count_newlines(&v), 1000);
        let mut w = vec![b'a'; 1000];
        w[255] = b'\n';
        w[256] = b'\n';
        assert_eq!(count_newlines(&w), 2);
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
        assert!(r.skip_to_trigger(&ac).unwrap());
        let rec = r.next_record().unwrap().unwrap();
        assert_eq!(rec.line, 100_001);
        assert_eq!(rec.bytes, b"[ 1.0] BUG: here");
        assert!(!r.skip_to_trigger(&ac).unwrap());
        assert_eq!(r.line(), 100_002);
    }
}
