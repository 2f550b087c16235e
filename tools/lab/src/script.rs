// SPDX-License-Identifier: GPL-2.0
//! Guest scripts as the host reads them before a boot: the checks a script
//! runs (its `check NAME ...` lines), and the rule that the guest observes
//! while the host judges: no check may read the kernel log. A check that
//! calls `dmesg`, or a function that does (of the script, the scenarios'
//! library or the contract, followed through the functions they call), is
//! refused with the function's name; the script may still read the log to
//! pace itself (`wait_log`) or to show it (`say`).

use std::collections::{BTreeMap, BTreeSet};

/// The words that read the kernel log themselves.
const READS_LOG: [&str; 2] = ["dmesg", "/dev/kmsg"];

/// The literal names of `check NAME ...` lines in a guest script.
pub fn literal_checks(script: &str) -> Vec<String> {
    check_lines(script)
        .filter_map(|rest| {
            let word = rest.split_whitespace().next().unwrap_or("");
            valid_name(word).then(|| word.to_string())
        })
        .collect()
}

fn valid_name(word: &str) -> bool {
    !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.:-".contains(c))
}

/// What follows `check ` on each check line (continued lines joined).
fn check_lines(script: &str) -> impl Iterator<Item = String> {
    script
        .replace("\\\n", " ")
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("check ").map(str::to_string))
        .collect::<Vec<_>>()
        .into_iter()
}

/// The shell functions `text` defines, each with its body.
fn functions(text: &str) -> BTreeMap<String, String> {
    let def = regex::Regex::new(r"^(\s*)([A-Za-z_][A-Za-z0-9_]*)\(\)\s*\{(.*)$").expect("valid");
    let mut out = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(c) = def.captures(line) else {
            continue;
        };
        let (indent, name, rest) = (&c[1], c[2].to_string(), c[3].to_string());
        let mut body = rest.clone();
        // A one-line function closes on its own line.
        if !rest.trim_end().ends_with('}') {
            for l in lines.by_ref() {
                if l.trim() == "}" && l.starts_with(indent) && l[indent.len()..].starts_with('}') {
                    break;
                }
                body.push('\n');
                body.push_str(l);
            }
        }
        out.insert(name, body);
    }
    out
}

/// The words of a line of shell, split at blanks, quotes and the
/// characters that start or end a command.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c.is_whitespace() || "\"'`$();|&<>!{}=".contains(c))
        .filter(|w| !w.is_empty())
}

/// What a check line runs: the text after its name and its description.
fn command_of(rest: &str) -> &str {
    let rest = rest.trim_start();
    let after_name = rest
        .find(char::is_whitespace)
        .map_or("", |i| rest[i..].trim_start());
    let mut chars = after_name.char_indices();
    let end = match chars.next() {
        Some((_, q @ ('"' | '\''))) => {
            let mut escaped = false;
            chars
                .find(|&(_, c)| {
                    let close = c == q && !escaped;
                    escaped = c == '\\' && !escaped;
                    close
                })
                .map_or(after_name.len(), |(i, _)| i + 1)
        }
        _ => after_name
            .find(char::is_whitespace)
            .unwrap_or(after_name.len()),
    };
    &after_name[end..]
}

/// The functions of `sources` that read the kernel log, directly or through
/// other functions.
pub fn log_readers(sources: &[&str]) -> BTreeSet<String> {
    let mut defs = BTreeMap::new();
    for s in sources {
        defs.extend(functions(s));
    }
    let mut readers: BTreeSet<String> = defs
        .iter()
        .filter(|(_, body)| READS_LOG.iter().any(|r| body.contains(r)))
        .map(|(n, _)| n.clone())
        .collect();
    loop {
        let more: Vec<String> = defs
            .iter()
            .filter(|(n, body)| !readers.contains(*n) && words(body).any(|w| readers.contains(w)))
            .map(|(n, _)| n.clone())
            .collect();
        if more.is_empty() {
            return readers;
        }
        readers.extend(more);
    }
}

/// The checks of `script` that read the kernel log, as `(check, what reads
/// it)`; `library` is the text of what the script runs with (the
/// scenarios' library and the contract).
pub fn checks_reading_log(script: &str, library: &[&str]) -> Vec<(String, String)> {
    let mut sources = library.to_vec();
    sources.push(script);
    let readers = log_readers(&sources);
    let mut out = Vec::new();
    for rest in check_lines(script) {
        let rest = rest.as_str();
        let name = rest.split_whitespace().next().unwrap_or("").to_string();
        if let Some(w) =
            words(command_of(rest)).find(|w| readers.contains(*w) || READS_LOG.contains(w))
        {
            out.push((name, w.to_string()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIB: &str = "klog() { dmesg | sed -n '/x/,$p'; }\n\
        wait_log() {\n\tlocal s=$1\n\twait_until \"$s\" klog_has \"$2\"\n}\n\
        klog_has() { klog | grep -q -- \"$1\"; }\n\
        in_state() { find_task \"$1\" && [ \"$TASK_STATE\" = \"$2\" ]; }\n\
        wait_until() {\n\tlocal end\n\twhile :; do \"$@\" && return 0; done\n}\n";

    #[test]
    fn readers_are_followed_through_calls() {
        let r = log_readers(&[LIB]);
        assert_eq!(
            r.into_iter().collect::<Vec<_>>(),
            ["klog", "klog_has", "wait_log"]
        );
    }

    #[test]
    fn a_check_that_reads_the_log_is_named() {
        let script = "mine() {\n\tklog | grep -c x\n}\n\
            check ok \"a live check\" wait_until 5 in_state t D\n\
            check bad \"reads it\" wait_until 5 klog_has \"deadlocked:\"\n\
            check worse \"through a function of its own\" equals \"$(mine)\" 1\n\
            check raw \"directly\" sh -c 'dmesg | grep -q x'\n\
            check cont \"continued\" \\\n\tequals \"$(klog | wc -l)\" 3\n\
            check said \"the description may say \\\"dmesg\\\" and klog_has\" true\n\
            wait_log 10 \"deadlocked:\"\n";
        assert_eq!(
            checks_reading_log(script, &[LIB]),
            [
                ("bad".to_string(), "klog_has".to_string()),
                ("worse".to_string(), "mine".to_string()),
                ("raw".to_string(), "dmesg".to_string()),
                ("cont".to_string(), "klog".to_string()),
            ]
        );
        assert_eq!(
            literal_checks(script),
            ["ok", "bad", "worse", "raw", "cont", "said"]
        );
    }
}
