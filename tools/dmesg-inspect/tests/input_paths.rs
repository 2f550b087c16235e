// SPDX-License-Identifier: GPL-2.0
//! The ways a log is read give the same findings: a file, a stream read
//! through the reader's buffer in reads of any size, and the trigger
//! search's windows and the line it hands over before each trigger line.

use std::fs;
use std::io::{self, Read};
use std::path::Path;

use dmesg_inspect::{parse_stream, Finding};

fn fixtures_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Every fixture, each behind a run of quiet log lines of a different
/// length, so that the reports fall at every distance from the reader's
/// buffer and window edges; several megabytes in all.
fn big_log() -> Vec<u8> {
    let mut names: Vec<_> = fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    names.sort();
    let mut log = Vec::new();
    for (i, path) in names.iter().enumerate() {
        for j in 0..(i * 131 % 3000) {
            let line = format!("[ {j:5}.000000] virtio_net virtio0 eth0: quiet line {i}\n");
            log.extend_from_slice(line.as_bytes());
        }
        log.extend_from_slice(&fs::read(path).unwrap());
        log.push(b'\n');
    }
    log
}

/// A reader whose reads return at most `chunk` bytes.
struct Trickle {
    data: Vec<u8>,
    pos: usize,
    chunk: usize,
}

impl Read for Trickle {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = (self.data.len() - self.pos).min(out.len()).min(self.chunk);
        out[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn json(findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .map(|f| serde_json::to_string(f).unwrap())
        .collect()
}

#[test]
fn files_and_streams_give_the_same_findings() {
    let log = big_log();
    assert!(log.len() > 3 << 20, "{} bytes", log.len());
    let path = std::env::temp_dir().join(format!("dmesg-inspect-paths-{}.log", std::process::id()));
    fs::write(&path, &log).unwrap();

    let mut from_file = Vec::new();
    let file = fs::File::open(&path).unwrap();
    let summary = parse_stream(file, |f| from_file.push(f)).unwrap();
    fs::remove_file(&path).unwrap();
    assert!(from_file.len() > 50, "{} findings", from_file.len());

    for chunk in [1 << 20, 65536, 4093] {
        let mut streamed = Vec::new();
        let reader = Trickle {
            data: log.clone(),
            pos: 0,
            chunk,
        };
        let s = parse_stream(reader, |f| streamed.push(f)).unwrap();
        assert_eq!(json(&streamed), json(&from_file), "reads of {chunk} bytes");
        assert_eq!(s, summary);
    }
}
