// SPDX-License-Identifier: GPL-2.0
//! Turning a raw record into the kernel's message text.
//!
//! Handles terminal escape sequences and the line prefixes added by the
//! various ways of capturing a kernel log:
//!
//! * `dmesg` / console: `[    1.234567] text`, with `CONFIG_PRINTK_CALLER`
//!   also `[    1.234567][   T42] text`
//! * `dmesg -r` and `/proc/kmsg`: `<4>[    1.234567] text`
//! * `dmesg -x`: `kern  :warn  : [    1.234567] text`
//! * `dmesg -T`: `[Sun Nov 22 00:21:53 2026] text`
//! * `dmesg --time-format iso` and `journalctl -o short-iso`:
//!   `2026-11-22T00:21:53,123456+00:00 text`
//! * `journalctl -k` and syslog files: `Nov 22 00:21:53 host kernel: text`
//! * `/dev/kmsg`: `4,1234,5678901,-;text`
//!
//! Prefixes can be stacked (a syslog line may carry a kernel timestamp), so
//! stripping is repeated a few times. Exactly one separating space is removed
//! after a prefix: the indentation that follows belongs to the message and is
//! significant for some report layouts.

use std::borrow::Cow;
use std::sync::LazyLock;

use crate::re::Re;

/// A message with its capture prefix removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    /// Message text, leading indentation preserved, trailing blanks removed.
    pub text: &'a str,
    /// `CONFIG_PRINTK_CALLER` context such as `T42` or `C1`, if printed.
    pub caller: Option<&'a str>,
}

/// Removes ANSI/VT100 escape sequences and other C0 control characters
/// (except TAB). Returns the input unchanged when there is nothing to remove.
pub fn clean(bytes: &[u8]) -> Cow<'_, [u8]> {
    // A non-short-circuiting fold: the compiler vectorises it, and almost
    // every record takes this exit.
    let dirty = bytes.iter().fold(false, |acc, &b| {
        acc | ((b < 0x20) & (b != b'\t')) | (b == 0x7f)
    });
    if !dirty {
        return Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == 0x1b {
            i += 1;
            match bytes.get(i) {
                // CSI: ESC [ parameters intermediates final(0x40..=0x7e)
                Some(b'[') => {
                    i += 1;
                    while i < bytes.len() && !(0x40..=0x7e).contains(&bytes[i]) {
                        i += 1;
                    }
                    i += 1;
                }
                // OSC / DCS / APC / PM / SOS: terminated by BEL or ESC \
                Some(b']' | b'P' | b'_' | b'^' | b'X') => {
                    i += 1;
                    while i < bytes.len() {
                        if bytes[i] == 0x07 {
                            i += 1;
                            break;
                        }
                        if bytes[i] == 0x1b && bytes.get(i + 1) == Some(&b'\\') {
                            i += 2;
                            break;
                        }
                        i += 1;
                    }
                }
                // Character set designation: ESC ( B and friends.
                Some(b'(' | b')' | b'*' | b'+' | b'-' | b'.' | b'/' | b'#' | b'%') => i += 2,
                // Two-byte sequences: ESC c, ESC 7, ESC =, ...
                Some(_) => i += 1,
                None => {}
            }
            continue;
        }
        if (b < 0x20 && b != b'\t') || b == 0x7f {
            i += 1;
            continue;
        }
        out.push(b);
        i += 1;
    }
    Cow::Owned(out)
}

/// Converts bytes to text, replacing invalid UTF-8.
pub fn to_text(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

static DMESG_T: LazyLock<Re> = LazyLock::new(|| {
    Re::new(r"^\[[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]?[0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}\] ?")
});

static ISO_TS: LazyLock<Re> = LazyLock::new(|| {
    Re::new(
        r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:[.,][0-9]+)?(?:Z|[+-][0-9]{2}:?[0-9]{2})? ?",
    )
});

static SYSLOG_TS: LazyLock<Re> = LazyLock::new(|| {
    Re::new(r"^[A-Z][a-z]{2} [ 0-9]?[0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)? ?")
});

static HOST_KERNEL: LazyLock<Re> = LazyLock::new(|| Re::new(r"^[^ ]+ kernel(?:\[[0-9]+\])?: ?"));

static DMESG_X: LazyLock<Re> = LazyLock::new(|| Re::new(r"^[a-z]{2,8} *:[a-z]{3,6} *: ?"));

static KMSG: LazyLock<Re> = LazyLock::new(|| Re::new(r"^[0-9]+,[0-9]+,[0-9]+,[^;]{0,16};"));

/// Strips `[  123.456789]` and an optional caller field. Hand-written because
/// it is by far the most common prefix.
fn strip_monotonic(s: &str) -> Option<(&str, Option<&str>)> {
    let b = s.as_bytes();
    if b.first() != Some(&b'[') {
        return None;
    }
    let mut i = 1;
    while i < b.len() && b[i] == b' ' {
        i += 1;
    }
    let d0 = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == d0 || b.get(i) != Some(&b'.') {
        return None;
    }
    i += 1;
    let f0 = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == f0 || b.get(i) != Some(&b']') {
        return None;
    }
    i += 1;
    let mut caller = None;
    if b.get(i) == Some(&b'[') {
        let mut j = i + 1;
        while j < b.len() && b[j] == b' ' {
            j += 1;
        }
        if j < b.len() && (b[j] == b'T' || b[j] == b'C') {
            let c0 = j;
            j += 1;
            let n0 = j;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if j > n0 && b.get(j) == Some(&b']') {
                caller = Some(&s[c0..j]);
                i = j + 1;
            }
        }
    }
    if b.get(i) == Some(&b' ') {
        i += 1;
    }
    Some((&s[i..], caller))
}

/// Strips a `<N>` syslog level.
fn strip_level(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    if b.first() != Some(&b'<') {
        return None;
    }
    let mut i = 1;
    while i < b.len() && i < 5 && b[i].is_ascii_digit() {
        i += 1;
    }
    if i > 1 && b.get(i) == Some(&b'>') {
        Some(&s[i + 1..])
    } else {
        None
    }
}

fn strip_once<'a>(s: &'a str, caller: &mut Option<&'a str>) -> Option<&'a str> {
    let first = *s.as_bytes().first()?;
    match first {
        b'[' => {
            if let Some((rest, c)) = strip_monotonic(s) {
                if c.is_some() {
                    *caller = c;
                }
                return Some(rest);
            }
            DMESG_T.find(s).map(|m| &s[m.end..])
        }
        b'<' => strip_level(s),
        b'0'..=b'9' => {
            if let Some(m) = ISO_TS.find(s) {
                let rest = &s[m.end..];
                return Some(HOST_KERNEL.find(rest).map_or(rest, |h| &rest[h.end..]));
            }
            KMSG.find(s).map(|m| &s[m.end..])
        }
        b'A'..=b'Z' => {
            let m = SYSLOG_TS.find(s)?;
            let rest = &s[m.end..];
            Some(HOST_KERNEL.find(rest).map_or(rest, |h| &rest[h.end..]))
        }
        b'a'..=b'z' => DMESG_X.find(s).map(|m| &s[m.end..]),
        _ => None,
    }
}

/// Splits the capture prefix off a record's text.
pub fn split(text: &str) -> Message<'_> {
    let mut s = text;
    let mut caller = None;
    for _ in 0..4 {
        match strip_once(s, &mut caller) {
            Some(rest) if rest.len() < s.len() => s = rest,
            _ => break,
        }
    }
    Message {
        text: s.trim_end(),
        caller,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> &str {
        split(s).text
    }

    #[test]
    fn strips_common_prefixes() {
        assert_eq!(t("[   12.345678] hello"), "hello");
        assert_eq!(
            t("[   12.345678]        lock_acquire+0x1/0x2"),
            "       lock_acquire+0x1/0x2"
        );
        assert_eq!(t("<4>[    1.200000] hello"), "hello");
        assert_eq!(t("<4>hello"), "hello");
        assert_eq!(t("kern  :warn  : [    1.234567] hello"), "hello");
        assert_eq!(t("[Sun Nov 22 00:21:53 2026] hello"), "hello");
        assert_eq!(t("Nov 22 00:21:53 vm kernel: hello"), "hello");
        assert_eq!(t("Nov  2 00:21:53 vm kernel: [   1.5] hello"), "hello");
        assert_eq!(t("2026-11-22T00:21:53,123456+00:00 hello"), "hello");
        assert_eq!(t("2026-11-22T00:21:53+0000 vm kernel: hello"), "hello");
        assert_eq!(t("6,339,5140900,-;hello"), "hello");
        assert_eq!(t("plain text "), "plain text");
        assert_eq!(
            t("               but task is"),
            "               but task is"
        );
    }

    #[test]
    fn extracts_caller() {
        let m = split("[   12.345678][   T43] text");
        assert_eq!(m.text, "text");
        assert_eq!(m.caller, Some("T43"));
        let m = split("[   12.345678][    C1] text");
        assert_eq!(m.caller, Some("C1"));
    }

    #[test]
    fn removes_escapes() {
        assert_eq!(&*clean(b"\x1b[2J\x1b[0mabc\x1bcdef\x1b(Bg"), b"abcdefg");
        assert_eq!(&*clean(b"a\x1b]0;title\x07b"), b"ab");
        assert_eq!(&*clean(b"a\x00b\x08c\td"), b"abc\td");
        assert!(matches!(clean(b"plain"), Cow::Borrowed(_)));
    }
}
