// SPDX-License-Identifier: GPL-2.0
//! Robustness: the parser must terminate without panicking on any input,
//! and its findings must stay consistent. Runs a bounded number of
//! property-test cases plus a time-boxed random splicing loop.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use dmesg_inspect::dot::DotDocument;
use dmesg_inspect::graph::locks::cycle_line;
use dmesg_inspect::model::Kind;
use dmesg_inspect::parser::{MAX_CHAIN, MAX_FRAMES, MAX_LOCKS, MAX_TASKS};
use dmesg_inspect::{parse_bytes, Report};
use proptest::prelude::*;

fn fixtures() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut names: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    names.sort();
    names.into_iter().map(|p| fs::read(p).unwrap()).collect()
}

fn check(data: &[u8]) -> Report {
    let r = parse_bytes(data);
    let lines = r.summary.lines.max(1);
    let mut prev_start = 0;
    for f in &r.findings {
        assert!(Kind::ALL.contains(&f.kind));
        assert!(!f.title.is_empty() || f.header.is_empty());
        assert!(f.start_line >= 1, "{f:?}");
        assert!(f.start_line <= f.end_line, "{f:?}");
        assert!(f.end_line <= lines, "{} > {lines}", f.end_line);
        assert!(f.start_line >= prev_start, "findings out of order");
        prev_start = f.start_line;
        assert!(f.frames.len() <= MAX_FRAMES);
        assert!(f.chain.len() <= MAX_CHAIN);
        assert!(f.locks.len() <= MAX_LOCKS);
        assert!(f.tasks.len() <= MAX_TASKS);
        serde_json::to_string(f).unwrap();
    }
    assert_eq!(r.summary.findings, r.findings.len() as u64);
    // Whatever was found can be drawn.
    let mut doc = DotDocument::new("log");
    for (i, f) in r.findings.iter().enumerate() {
        doc.add(i as u64 + 1, f);
        cycle_line(f);
    }
    let mut dot = Vec::new();
    doc.write(&mut dot).unwrap();
    assert!(dot.starts_with(b"digraph ") && dot.ends_with(b"}\n"));
    r
}

/// Applies one edit to `data`, driven by `(op, a, b)`.
fn mutate(data: &mut Vec<u8>, other: &[u8], op: u8, a: usize, b: usize, byte: u8) {
    let len = data.len().max(1);
    let i = a % len;
    let j = (i + b % 512).min(data.len());
    match op % 8 {
        0 if !data.is_empty() => {
            let at = i.min(data.len() - 1);
            data[at] = byte;
        }
        1 => {
            data.drain(i.min(data.len())..j);
        }
        2 => {
            let chunk = data[i.min(data.len())..j].to_vec();
            let at = (b % len).min(data.len());
            data.splice(at..at, chunk);
        }
        3 => data.truncate(i),
        4 if !other.is_empty() => {
            let s = a % other.len();
            let e = (s + b % 2048).min(other.len());
            let at = i.min(data.len());
            data.splice(at..at, other[s..e].iter().copied());
        }
        5 => {
            let at = i.min(data.len());
            data.insert(
                at,
                [b'\n', b'\r', 0x1b, b'[', b'\xff', b' ', b'#', b'-'][byte as usize % 8],
            );
        }
        6 => {
            // Swap two line-sized regions.
            let k = (b % 200).min(data.len() / 2);
            if k > 0 && data.len() >= 2 * k {
                let x = a % (data.len() - k + 1);
                let y = b % (data.len() - k + 1);
                if x + k <= y || y + k <= x {
                    for t in 0..k {
                        data.swap(x + t, y + t);
                    }
                }
            }
        }
        _ => {
            let at = i.min(data.len());
            data.splice(
                at..at,
                b"INFO: task x:1 blocked for more than 1 seconds.\n"
                    .iter()
                    .copied(),
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
        check(&data);
    }

    #[test]
    fn arbitrary_text_lines(lines in proptest::collection::vec("[ -~]{0,80}", 0..60)) {
        check(lines.join("\n").as_bytes());
    }

    #[test]
    fn mutated_fixtures(
        idx in any::<usize>(),
        other in any::<usize>(),
        edits in proptest::collection::vec((any::<u8>(), any::<usize>(), any::<usize>(), any::<u8>()), 1..12),
    ) {
        let fx = fixtures();
        let mut data = fx[idx % fx.len()].clone();
        let donor = &fx[other % fx.len()];
        for (op, a, b, byte) in edits {
            mutate(&mut data, donor, op, a, b, byte);
        }
        check(&data);
    }

    #[test]
    fn spliced_fixture_lines(picks in proptest::collection::vec((any::<usize>(), any::<usize>()), 1..200)) {
        let fx = fixtures();
        let all: Vec<Vec<&[u8]>> = fx.iter().map(|d| d.split(|&b| b == b'\n').collect()).collect();
        let mut data = Vec::new();
        for (f, l) in picks {
            let lines = &all[f % all.len()];
            data.extend_from_slice(lines[l % lines.len()]);
            data.push(b'\n');
        }
        check(&data);
    }
}

/// Small deterministic generator, so the time-boxed loop needs no seed file.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn time_boxed_splicing() {
    let fx = fixtures();
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut rounds = 0u32;
    while Instant::now() < deadline && rounds < 20_000 {
        let mut data = fx[rng.next() as usize % fx.len()].clone();
        for _ in 0..(rng.next() % 16) {
            let donor = &fx[rng.next() as usize % fx.len()];
            mutate(
                &mut data,
                donor,
                rng.next() as u8,
                rng.next() as usize,
                rng.next() as usize,
                rng.next() as u8,
            );
        }
        check(&data);
        rounds += 1;
    }
    assert!(rounds > 0);
}

#[test]
fn concatenated_fixtures_find_everything() {
    // Every report of every fixture is still found when all fixtures are
    // read as one log (reports are separated by at least one line).
    let fx = fixtures();
    let mut all = Vec::new();
    let mut expected = 0;
    for d in &fx {
        expected += parse_bytes(d).findings.len();
        all.extend_from_slice(d);
        if !all.ends_with(b"\n") {
            all.push(b'\n');
        }
        all.extend_from_slice(b"[  100.000000] ---- next capture ----\n");
    }
    let r = check(&all);
    assert_eq!(r.findings.len(), expected);
}
