// SPDX-License-Identifier: GPL-2.0
//! Feeds arbitrary bytes to the parser and checks basic invariants.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let report = dmesg_inspect::parse_bytes(data);
    for f in &report.findings {
        assert!(f.start_line >= 1 && f.start_line <= f.end_line);
        assert!(f.end_line <= report.summary.lines.max(1));
        assert!(f.frames.len() <= dmesg_inspect::parser::MAX_FRAMES);
    }
});
