// SPDX-License-Identifier: GPL-2.0
//! A streaming demangler for an interactive console: bytes in, the same
//! bytes out with every Rust symbol demangled.
//!
//! It holds back only what could still be (the start of) a Rust symbol at
//! the end of what it was given: a word that holds `_R` or `_ZN`, or ends in
//! `_` or `_Z`. Everything else (a prompt without a newline, the echo of a
//! keystroke, terminal escapes, any byte that is not ASCII) passes at once,
//! unchanged. Whoever feeds it calls [`Demangler::flush`] when no more
//! bytes came for a moment, so a held word never waits for long.

use dmesg_inspect::symbols::demangle_symbol;

/// A byte that may occur in a mangled symbol.
fn is_sym(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b == b'.'
}

/// The relay's state: the bytes held back.
#[derive(Debug, Default)]
pub struct Demangler {
    held: Vec<u8>,
}

fn could_be_symbol(word: &[u8]) -> bool {
    let has = |pat: &[u8]| word.windows(pat.len()).any(|w| w == pat);
    has(b"_R") || has(b"_ZN") || word.ends_with(b"_") || word.ends_with(b"_Z")
}

/// Copies `bytes` to `out`, each word that is a Rust symbol demangled.
fn demangle_into(bytes: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < bytes.len() {
        if !is_sym(bytes[i]) {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let j = bytes[i..]
            .iter()
            .position(|&b| !is_sym(b))
            .map_or(bytes.len(), |k| i + k);
        // Symbol bytes are ASCII.
        let word = std::str::from_utf8(&bytes[i..j]).unwrap_or("");
        out.extend_from_slice(demangle_symbol(word).as_bytes());
        i = j;
    }
}

impl Demangler {
    pub fn new() -> Demangler {
        Demangler::default()
    }

    /// What can be shown of `input` now (and of what was held before).
    pub fn feed(&mut self, input: &[u8]) -> Vec<u8> {
        let mut buf = std::mem::take(&mut self.held);
        buf.extend_from_slice(input);
        // The last word, if it reaches the end, may go on in the next read.
        let tail = buf.iter().rposition(|&b| !is_sym(b)).map_or(0, |p| p + 1);
        let cut = if tail < buf.len() && could_be_symbol(&buf[tail..]) {
            tail
        } else {
            buf.len()
        };
        self.held = buf.split_off(cut);
        let mut out = Vec::with_capacity(buf.len());
        demangle_into(&buf, &mut out);
        out
    }

    /// Everything held, now: no more input came for a while.
    pub fn flush(&mut self) -> Vec<u8> {
        let held = std::mem::take(&mut self.held);
        let mut out = Vec::with_capacity(held.len());
        demangle_into(&held, &mut out);
        out
    }

    /// Whether anything is held back.
    pub fn holding(&self) -> bool {
        !self.held.is_empty()
    }
}
