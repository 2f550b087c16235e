// SPDX-License-Identifier: GPL-2.0
//! Regular expressions over log text, compiled without Unicode classes.
//!
//! Every pattern of the crate is ASCII: kernel report lines are printed by
//! `printk` formats whose literal parts are ASCII, and what varies (task
//! and lock names, symbols) is matched by `.`, `[^x]` or `\S`. Compiled as
//! Unicode classes, each of these builds a UTF-8 automaton, which made
//! compiling the crate's patterns the largest fixed cost of a run (several
//! milliseconds, as much as scanning 20 MB of log). Compiled over bytes
//! with Unicode off, they match the same lines: the text is valid UTF-8
//! and every group of a pattern is delimited by ASCII or by the ends of
//! the text, so a group always starts and ends on a character boundary.
//! (A bounded repetition such as `.{1,20}` counts bytes, as the kernel's
//! `%.20s` does.)

use std::ops::Range;

use regex::bytes::{Regex, RegexBuilder};

/// A compiled pattern (see the module documentation).
pub struct Re(Regex);

impl Re {
    /// Compiles `pattern`. Panics on an invalid pattern: every pattern is
    /// a constant of the crate, checked by its tests.
    pub fn new(pattern: &str) -> Re {
        Re(RegexBuilder::new(pattern)
            .unicode(false)
            .build()
            .unwrap_or_else(|e| panic!("invalid pattern {pattern:?}: {e}")))
    }

    /// Whether the pattern matches anywhere in `text`.
    pub fn is_match(&self, text: &str) -> bool {
        self.0.is_match(text.as_bytes())
    }

    /// Byte range of the leftmost-first match in `text`.
    pub fn find(&self, text: &str) -> Option<Range<usize>> {
        self.0.find(text.as_bytes()).map(|m| m.range())
    }

    /// The groups of the leftmost-first match in `text`.
    pub fn captures<'t>(&self, text: &'t str) -> Option<Caps<'t>> {
        let caps = self.0.captures(text.as_bytes())?;
        Some(Caps { text, caps })
    }
}

/// The groups of one match.
pub struct Caps<'t> {
    text: &'t str,
    caps: regex::bytes::Captures<'t>,
}

impl<'t> Caps<'t> {
    /// The text of the group called `name`, if it took part in the match.
    pub fn name(&self, name: &str) -> Option<&'t str> {
        // `get` rather than indexing: never panics, even if a group were
        // to end inside a character (see the module documentation).
        self.caps.name(name).and_then(|m| self.text.get(m.range()))
    }
}

/// A list of unanchored regular expressions, any of which may match, such
/// as syzkaller's frame lists. Most entries are plain names, at most
/// anchored with `^` or `$`, or alternatives of such names
/// (`k?v?(?:m|z|c)alloc`); those are compared as strings, and only the
/// others are compiled, into one alternation. A list of a few hundred
/// names thus costs almost nothing to build, where compiling it whole
/// took milliseconds, for lists consulted a few dozen times per report.
pub struct PatternList {
    /// `(name, anchored at the start, anchored at the end)`.
    literals: Vec<(String, bool, bool)>,
    rest: Option<Re>,
}

/// Most strings one pattern of a [`PatternList`] is expanded to.
const MAX_EXPANSION: usize = 64;

impl PatternList {
    pub fn new(patterns: &[&str]) -> PatternList {
        let mut literals = Vec::new();
        let mut rest = Vec::new();
        for &p in patterns {
            match expand(p) {
                Some(names) => literals.extend(names),
                None => rest.push(p),
            }
        }
        PatternList {
            literals,
            rest: (!rest.is_empty()).then(|| Re::new(&rest.join("|"))),
        }
    }

    /// Whether any pattern of the list matches `text`.
    pub fn is_match(&self, text: &str) -> bool {
        self.literals
            .iter()
            .any(|(lit, start, end)| match (start, end) {
                (false, false) => text.contains(lit.as_str()),
                (true, false) => text.starts_with(lit.as_str()),
                (false, true) => text.ends_with(lit.as_str()),
                (true, true) => text == lit,
            })
            || self.rest.as_ref().is_some_and(|re| re.is_match(text))
    }
}

/// The strings `pattern` matches, each with whether it is anchored at the
/// start and at the end, if `pattern` is made only of ASCII text, groups
/// (`(...)`, `(?:...)`), alternatives (`|`), optional parts (`?`) and
/// anchors at the ends of an alternative; `None` otherwise.
fn expand(pattern: &str) -> Option<Vec<(String, bool, bool)>> {
    let (alts, rest) = alternation(pattern.as_bytes())?;
    if !rest.is_empty() {
        return None;
    }
    alts.into_iter()
        .map(|a| {
            let (start, body) = a.strip_prefix('^').map_or((false, &*a), |b| (true, b));
            let (end, body) = body.strip_suffix('$').map_or((false, body), |b| (true, b));
            (!body.contains(['^', '$'])).then(|| (body.to_string(), start, end))
        })
        .collect()
}

/// `sequence ('|' sequence)*`: the strings of every alternative, and the
/// input after them.
fn alternation(p: &[u8]) -> Option<(Vec<String>, &[u8])> {
    let (mut out, mut rest) = sequence(p)?;
    while let [b'|', tail @ ..] = rest {
        let (more, r) = sequence(tail)?;
        out.extend(more);
        rest = r;
    }
    (out.len() <= MAX_EXPANSION).then_some((out, rest))
}

/// Whether `c` stands for itself in a pattern.
fn plain(c: u8) -> bool {
    c.is_ascii()
        && !matches!(
            c,
            b'\\' | b'.' | b'*' | b'+' | b'?' | b'[' | b']' | b'{' | b'}' | b'(' | b')' | b'|'
        )
}

/// A run of characters and groups, each optionally followed by `?`, up to
/// a `|`, a `)` or the end.
fn sequence(mut p: &[u8]) -> Option<(Vec<String>, &[u8])> {
    let mut out = vec![String::new()];
    loop {
        let (mut atom, rest) = match p {
            [] | [b'|' | b')', ..] => return Some((out, p)),
            [b'(', tail @ ..] => {
                let tail = tail.strip_prefix(b"?:").unwrap_or(tail);
                let (alts, r) = alternation(tail)?;
                (alts, r.strip_prefix(b")")?)
            }
            [c, ..] if plain(*c) => {
                // A run of plain characters is one atom, but for its last
                // character if a `?` applies to that one alone.
                let mut n = p.iter().position(|&c| !plain(c)).unwrap_or(p.len());
                if n > 1 && p.get(n) == Some(&b'?') {
                    n -= 1;
                }
                let run = std::str::from_utf8(&p[..n]).ok()?;
                (vec![run.to_string()], &p[n..])
            }
            _ => return None,
        };
        p = match rest {
            [b'?', r @ ..] => {
                atom.push(String::new());
                r
            }
            _ => rest,
        };
        if out.len() * atom.len() > MAX_EXPANSION {
            return None;
        }
        out = out
            .iter()
            .flat_map(|head| {
                atom.iter().map(move |tail| {
                    let mut s = String::with_capacity(head.len() + tail.len());
                    s.push_str(head);
                    s.push_str(tail);
                    s
                })
            })
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_of_non_ascii_text_are_whole_characters() {
        let re = Re::new(r"^(?P<name>.+)/(?P<pid>[0-9]+) (?P<rest>\S+)$");
        let c = re.captures("kworker/ü:1/42 Σx").unwrap();
        assert_eq!(c.name("name"), Some("kworker/ü:1"));
        assert_eq!(c.name("pid"), Some("42"));
        assert_eq!(c.name("rest"), Some("Σx"));
        assert_eq!(c.name("none"), None);
        assert_eq!(re.find("a/1 b"), Some(0..5));
        assert!(!re.is_match("no pid here"));
    }

    #[test]
    fn pattern_lists_match_as_their_alternation() {
        let pats = [
            "^down$",
            "kasan",
            "^mutex_",
            "readb$",
            "(set|clear)_bit",
            "^crc\\d+",
            "k?v?(?:m|z)alloc",
            "_trap$|do_trap",
            "^(un)?lock_page",
            "(read|write)_once_.*nocheck",
            "(?P<x>y)",
        ];
        let list = PatternList::new(&pats);
        let whole = Re::new(&pats.join("|"));
        // Everything but `\d`, `.*` and the named group.
        assert_eq!(list.literals.len(), 4 + 2 + 8 + 2 + 2);
        assert!(expand("a??").is_none());
        assert!(expand("a|(b").is_none());
        let names = [
            "down",
            "__down",
            "down_read",
            "kasan_report",
            "mutex_lock",
            "__mutex_lock",
            "ioreadb",
            "readb_x",
            "set_bit",
            "test_bit",
            "crc32",
            "crc",
            "x_crc32",
            "kvzalloc",
            "kmalloc",
            "valloc",
            "kalloc",
            "handle_trap",
            "do_trap_x",
            "trap",
            "unlock_page",
            "lock_page_x",
            "x_lock_page",
            "read_once_x_nocheck",
            "b",
        ];
        for name in names {
            assert_eq!(list.is_match(name), whole.is_match(name), "{name}");
        }
    }

    #[test]
    fn bounded_repetitions_count_bytes() {
        // "%.20s" cuts a comm at 20 bytes, not 20 characters.
        let re = Re::new(r"^Comm: (?P<comm>.{1,4}) #");
        assert_eq!(re.captures("Comm: éé #").unwrap().name("comm"), Some("éé"));
        assert!(re.captures("Comm: ééé #").is_none());
    }
}
