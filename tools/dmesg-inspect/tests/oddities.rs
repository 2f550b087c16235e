// SPDX-License-Identifier: GPL-2.0
//! Input oddities: line endings, escapes, encodings, huge lines, cut and
//! interleaved reports, bounded memory.

use std::fs;
use std::io::Read;
use std::path::Path;

use dmesg_inspect::input::MAX_RECORD;
use dmesg_inspect::model::Kind;
use dmesg_inspect::parser::{MAX_FRAMES, MAX_HELD, MAX_REPORT_LINES};
use dmesg_inspect::{parse_bytes, parse_stream, Finding};

fn fixture(name: &str) -> Vec<u8> {
    fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

/// The parts of a finding that do not depend on how the log was captured.
fn essence(f: &Finding) -> String {
    let mut f = f.clone();
    f.start_line = 0;
    f.end_line = 0;
    serde_json::to_string(&f).unwrap()
}

fn essences(data: &[u8]) -> Vec<String> {
    parse_bytes(data).findings.iter().map(essence).collect()
}

#[test]
fn empty_input() {
    let r = parse_bytes(b"");
    assert!(r.findings.is_empty());
    assert_eq!(r.summary.lines, 0);
    assert!(parse_bytes(b"\n\n\r\n\r").findings.is_empty());
}

#[test]
fn crlf_and_lone_cr_give_the_same_findings() {
    let lf = fixture("circular.log");
    let want = essences(&lf);
    assert_eq!(want.len(), 1);

    let crlf: Vec<u8> = String::from_utf8(lf.clone())
        .unwrap()
        .replace('\n', "\r\n")
        .into_bytes();
    assert_eq!(essences(&crlf), want);
    let r = parse_bytes(&crlf);
    assert_eq!((r.findings[0].start_line, r.findings[0].end_line), (9, 76));

    let crcrlf: Vec<u8> = String::from_utf8(lf.clone())
        .unwrap()
        .replace('\n', "\r\r\n")
        .into_bytes();
    assert_eq!(essences(&crcrlf), want);

    let cr: Vec<u8> = lf
        .iter()
        .map(|&b| if b == b'\n' { b'\r' } else { b })
        .collect();
    assert_eq!(essences(&cr), want);
}

#[test]
fn ansi_escapes_are_ignored() {
    let lf = String::from_utf8(fixture("circular.log")).unwrap();
    let want = essences(lf.as_bytes());
    let mut noisy = String::from("\x1bc\x1b[2J\x1b[H");
    for (i, line) in lf.lines().enumerate() {
        match i % 3 {
            0 => noisy.push_str("\x1b[0m"),
            1 => noisy.push_str("\x1b[1;31m"),
            _ => noisy.push_str("\x1b]0;console\x07"),
        }
        noisy.push_str(line);
        noisy.push_str("\x1b[0m\n");
    }
    assert_eq!(essences(noisy.as_bytes()), want);
}

#[test]
fn invalid_utf8_is_replaced() {
    let mut data = b"\xff\xfe\xfd\n\x80abc\xc3\n".to_vec();
    data.extend_from_slice(&fixture("hung_task.log"));
    data.extend_from_slice(b"\xed\xa0\x80 surrogate\n\xf8\x88\x80\x80\x80\n");
    let r = parse_bytes(&data);
    assert_eq!(r.findings.len(), 2);
    assert_eq!(
        r.findings[0].title,
        "INFO: task hung in deadlock_lab::thread_a"
    );
    assert_eq!(r.findings[0].start_line, 4);
}

#[test]
fn megabyte_lines_are_cut_and_do_not_break_line_numbers() {
    let big = vec![b'x'; 1 << 20];
    let mut data = Vec::new();
    data.extend_from_slice(&big);
    data.push(b'\n');
    data.extend_from_slice(&fixture("circular.log"));
    let r = parse_bytes(&data);
    assert_eq!(r.findings.len(), 1);
    assert_eq!(r.findings[0].start_line, 10);
    assert_eq!(r.findings[0].end_line, 77);

    // A huge line that starts a report: the header is cut to the bound.
    let mut data = b"[    1.000000] WARNING: ".to_vec();
    data.extend_from_slice(&big);
    data.extend_from_slice(b"\n[    1.000001] next\n");
    let r = parse_bytes(&data);
    assert_eq!(r.findings.len(), 1);
    assert!(r.findings[0].header.len() <= MAX_RECORD);
    assert_eq!(r.summary.lines, 2);

    // A huge line inside a report is treated as output from elsewhere.
    let text = String::from_utf8(fixture("circular.log")).unwrap();
    let mut data = Vec::new();
    for line in text.lines() {
        data.extend_from_slice(line.as_bytes());
        data.push(b'\n');
        if line.ends_with("lock_acquire+0xd1/0x2e0") {
            data.extend_from_slice(&big);
            data.push(b'\n');
        }
    }
    let r = parse_bytes(&data);
    assert_eq!(r.findings.len(), 1);
    assert!(!r.findings[0].truncated);
    assert_eq!(
        r.findings[0].title,
        "possible deadlock in deadlock_lab::thread_b"
    );

    // No newline at all.
    let r = parse_bytes(&big);
    assert!(r.findings.is_empty());
    assert_eq!(r.summary.lines, 0);
}

#[test]
fn report_cut_at_every_line() {
    let text = String::from_utf8(fixture("circular.log")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.contains("WARNING: possible circular"))
        .unwrap();
    let end = lines.iter().position(|l| l.contains("</TASK>")).unwrap();
    for cut in 0..=lines.len() {
        let data = lines[..cut].join("\n");
        let r = parse_bytes(data.as_bytes());
        if cut <= header {
            assert!(r.findings.is_empty(), "cut {cut}");
            continue;
        }
        assert_eq!(r.findings.len(), 1, "cut {cut}");
        let f = &r.findings[0];
        assert_eq!(f.kind, Kind::Circular);
        assert_eq!(f.truncated, cut <= end, "cut {cut}");
        assert!(f.end_line as usize <= cut, "cut {cut}");
    }
}

#[test]
fn another_report_interrupts() {
    let r = parse_bytes(&fixture("report_interrupted.log"));
    assert_eq!(r.findings.len(), 2);
    assert!(r.findings[0].truncated);
    assert_eq!(r.findings[0].end_line + 1, r.findings[1].start_line);
    assert!(!r.findings[1].truncated);
}

#[test]
fn interleaved_lines_are_skipped() {
    let clean = essences(&fixture("hung_task.log"));
    let mixed = essences(&fixture("interleaved.log"));
    assert_eq!(clean, mixed);
    let clean = essences(&fixture("circular.log"));
    let caller = essences(&fixture("printk_caller.log"));
    assert_eq!(clean, caller);
}

#[test]
fn all_capture_formats_agree() {
    let base = essences(&fixture("circular.log"));
    assert_eq!(essences(&fixture("dmesg_T.log")), base);
    assert_eq!(
        essences(&fixture("hung_task.log")),
        essences(&fixture("journalctl.log"))
    );
    assert_eq!(
        essences(&fixture("bad_unlock.log")),
        essences(&fixture("level_prefix.log"))
    );
    assert_eq!(
        essences(&fixture("held_lock_freed.log")),
        essences(&fixture("dmesg_x.log"))
    );
    assert_eq!(
        essences(&fixture("recursive.log")),
        essences(&fixture("serial_console.log"))
    );
}

#[test]
fn truncated_symbols_are_kept_raw() {
    let text = String::from_utf8(fixture("circular.log")).unwrap().replace(
        "_RNvCs5QVKzhqvFJh_12deadlock_lab8thread_b+0x6e",
        "_RNvCs5QVKzhqvFJh_12deadlock_lab8thr+0x6e",
    );
    let r = parse_bytes(text.as_bytes());
    let f = &r.findings[0];
    assert_eq!(
        f.locks[0].at.as_deref(),
        Some("_RNvCs5QVKzhqvFJh_12deadlock_lab8thr+0x6e/0x120 [deadlock_lab]")
    );
    assert_eq!(
        f.title,
        "possible deadlock in _RNvCs5QVKzhqvFJh_12deadlock_lab8thr"
    );
}

#[test]
fn lockdep_off_attaches_to_previous_finding() {
    let mut data = fixture("circular.log");
    data.extend_from_slice(
        b"[    9.000000] some unrelated line\n"
            .repeat(20)
            .as_slice(),
    );
    data.extend_from_slice(b"[    9.100000] INFO: lockdep is turned off.\n");
    let r = parse_bytes(&data);
    assert!(r.summary.lockdep_off);
    assert_eq!(r.summary.lockdep_off_line, Some(98));
    assert!(r.findings[0].lockdep_off);
    let r = parse_bytes(&fixture("lockdep_off_only.log"));
    assert!(r.findings.is_empty());
    assert!(r.summary.lockdep_off);
}

/// A reader that produces `n` copies of a line without holding them.
struct Repeat {
    head: Vec<u8>,
    line: &'static [u8],
    left: u64,
    pos: usize,
}

impl Read for Repeat {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0;
        while n < buf.len() {
            if !self.head.is_empty() {
                let k = self.head.len().min(buf.len() - n);
                buf[n..n + k].copy_from_slice(&self.head[..k]);
                self.head.drain(..k);
                n += k;
                continue;
            }
            if self.left == 0 {
                break;
            }
            let k = (self.line.len() - self.pos).min(buf.len() - n);
            buf[n..n + k].copy_from_slice(&self.line[self.pos..self.pos + k]);
            self.pos += k;
            n += k;
            if self.pos == self.line.len() {
                self.pos = 0;
                self.left -= 1;
            }
        }
        Ok(n)
    }
}

#[test]
fn endless_report_stays_bounded() {
    let head = b"[    1.0] INFO: task a:1 blocked for more than 2 seconds.\n[    1.0] Call Trace:\n[    1.0]  <TASK>\n".to_vec();
    let reader = Repeat {
        head,
        line: b"[    1.0]  frame_fn+0x10/0x20\n",
        left: 500_000,
        pos: 0,
    };
    let mut n = 0;
    let summary = parse_stream(reader, |f| {
        n += 1;
        assert!(f.frames.len() <= MAX_FRAMES);
        assert!(f.truncated);
        assert!(f.end_line <= u64::from(MAX_REPORT_LINES) + 3);
    })
    .unwrap();
    assert_eq!(n, 1);
    assert_eq!(summary.lines, 500_003);
}

#[test]
fn many_reports_stream_through_the_sink() {
    let head = Vec::new();
    let reader = Repeat {
        head,
        line: b"[    1.0] BUG: sleeping function called from invalid context at kernel/locking/rwsem.c:1\n[    1.0] Call Trace:\n[    1.0]  <TASK>\n[    1.0]  sleepy_fn+0x1/0x2\n[    1.0]  </TASK>\n",
        left: 20_000,
        pos: 0,
    };
    let mut n = 0u64;
    let summary = parse_stream(reader, |f| {
        n += 1;
        assert_eq!(f.kind, Kind::Other);
        assert_eq!(f.end_line - f.start_line, 4);
    })
    .unwrap();
    assert_eq!(n, 20_000);
    assert_eq!(summary.findings, 20_000);
}

/// One soft-lockup warning for `cpu`/`pid`, five lines.
fn soft_lockup(cpu: u32, pid: u32, secs: u32) -> String {
    format!(
        "[    1.0] watchdog: BUG: soft lockup - CPU#{cpu} stuck for {secs}s! [spin:{pid}]\n\
         [    1.0] Call Trace:\n[    1.0]  <TASK>\n[    1.0]  spin_fn+0x1/0x2\n[    1.0]  </TASK>\n"
    )
}

#[test]
fn repeated_soft_lockups_are_merged() {
    // The watchdog repeats its warning while the CPU stays stuck: one
    // finding per CPU and task, with the count and the last stuck time.
    let reader = Repeat {
        head: Vec::new(),
        line: b"[    1.0] watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [spin:7]\n[    1.0] Call Trace:\n[    1.0]  <TASK>\n[    1.0]  spin_fn+0x1/0x2\n[    1.0]  </TASK>\n",
        left: 5_000,
        pos: 0,
    };
    let mut got = Vec::new();
    let summary = parse_stream(reader, |f| got.push(f)).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(summary.findings, 1);
    let f = &got[0];
    assert_eq!(f.kind, Kind::SoftLockup);
    assert_eq!(f.repeats, 5_000);
    assert_eq!(f.title, "BUG: soft lockup in spin_fn");
    assert_eq!((f.start_line, f.end_line), (1, 5));
    assert!(f.notes.len() <= 16);

    // Growing stuck time, another CPU in between, an RCU stall in
    // between: still the same lockup.
    let mut log = soft_lockup(0, 7, 22);
    log += &soft_lockup(1, 8, 22);
    log += &String::from_utf8(fixture("rcu_stall.log")).unwrap();
    log += &soft_lockup(0, 7, 48);
    log += &soft_lockup(1, 8, 48);
    let r = parse_bytes(log.as_bytes());
    let kinds: Vec<(Kind, u32, Option<u64>)> = r
        .findings
        .iter()
        .map(|f| (f.kind, f.repeats, f.timeout_secs))
        .collect();
    assert_eq!(
        kinds,
        [
            (Kind::SoftLockup, 2, Some(48)),
            (Kind::SoftLockup, 2, Some(48)),
            (Kind::Other, 1, None)
        ]
    );
    assert_eq!(r.findings[0].cpu, Some(0));
    assert_eq!(r.findings[1].cpu, Some(1));
    assert!(r.findings[0].notes[0].starts_with("repeated at lines "));
    assert_eq!(r.summary.findings, 3);

    // The panic that comes with a later warning stays visible.
    let log = soft_lockup(0, 7, 22)
        + &soft_lockup(0, 7, 48)
        + "[    1.2] Kernel panic - not syncing: softlockup: hung tasks\n";
    let r = parse_bytes(log.as_bytes());
    assert_eq!(r.findings.len(), 1);
    assert_eq!(
        r.findings[0].notes,
        [
            "repeated at lines 6-11, stuck for 48s",
            "Kernel panic - not syncing: softlockup: hung tasks"
        ]
    );

    // A smaller stuck time: the CPU was released and got stuck again.
    let log = soft_lockup(0, 7, 48) + &soft_lockup(0, 7, 22);
    let r = parse_bytes(log.as_bytes());
    assert_eq!(r.findings.len(), 2);
    // Another task on the same CPU is another lockup.
    let log = soft_lockup(0, 7, 22) + &soft_lockup(0, 9, 48);
    assert_eq!(parse_bytes(log.as_bytes()).findings.len(), 2);
}

#[test]
fn late_softlockup_panic_is_a_note() {
    // The panic softlockup_panic asks for, printed after the report was
    // closed by unrelated output, is a note of the soft lockup.
    let mut log = soft_lockup(1, 7, 22);
    for i in 0..12 {
        log += &format!("[    1.1] unrelated output {i}\n");
    }
    log += "[    1.2] Kernel panic - not syncing: softlockup: hung tasks\n";
    log += "[    1.2] Call Trace:\n[    1.2]  <IRQ>\n[    1.2]  panic+0x1/0x2\n[    1.2]  </IRQ>\n";
    let r = parse_bytes(log.as_bytes());
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    assert_eq!(r.findings[0].kind, Kind::SoftLockup);
    assert_eq!(
        r.findings[0].notes,
        ["Kernel panic - not syncing: softlockup: hung tasks"]
    );
    // Another panic reason is a finding of its own.
    let log = soft_lockup(1, 7, 22)
        + &"[    1.1] unrelated output\n".repeat(12)
        + "[    1.2] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000009\n";
    let r = parse_bytes(log.as_bytes());
    assert_eq!(r.findings.len(), 2);
    assert_eq!(r.findings[1].kind, Kind::Other);
}

/// Counts the bytes handed out, so the sink can see how far the reader is.
struct Counting<R> {
    inner: R,
    read: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

#[test]
fn distinct_soft_lockups_stream_with_bounded_delay() {
    // Findings are held back while a soft lockup may still repeat, but
    // never more than MAX_HELD of them.
    let mut data = String::new();
    // About 1.8 MB: well beyond the reader's 1 MiB window.
    let n = 12_000u32;
    // Byte offset of the end of each warning.
    let mut ends = Vec::new();
    for pid in 0..n {
        data += &soft_lockup(pid % 2, pid, 22);
        ends.push(data.len() as u64);
    }
    let block = soft_lockup(0, 0, 22).len() as u64;
    let read = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let reader = Counting {
        inner: data.as_bytes(),
        read: read.clone(),
    };
    let mut got = 0u64;
    parse_stream(reader, |f| {
        assert_eq!(f.kind, Kind::SoftLockup);
        assert_eq!(f.repeats, 1);
        got += 1;
        // Delivered no later than MAX_HELD findings (plus the reader's
        // 1 MiB window) after its own text was read.
        let end = ends[(f.end_line / 5 - 1) as usize];
        let slack = (MAX_HELD as u64 + 2) * (block + 8) + (1 << 20);
        assert!(read.get() <= end + slack, "finding {got} held too long");
    })
    .unwrap();
    assert_eq!(got, u64::from(n));
}

#[test]
fn older_kernel_formats() {
    // Pre-7.x held-lock headers, no UID in the CPU line, no wait-type
    // suffix on lock classes, a class with name version and subclass.
    let log = "\
[   10.000000] ======================================================
[   10.000001] WARNING: possible circular locking dependency detected
[   10.000002] 6.1.0 #1 Not tainted
[   10.000003] ------------------------------------------------------
[   10.000004] worker/9 is trying to acquire lock:
[   10.000005] ffff888003a1c0f0 (&p->lock#2/1){+.+.}, at: take_b+0x1a/0x40
[   10.000006] 
[   10.000006] but task is already holding lock:
[   10.000007] ffff888003a1c0a0 ((work_completion)(&w->work)){+.+.}, at: process_one_work+0x1f0/0x5c0
[   10.000008] 
[   10.000008] the existing dependency chain (in reverse order) is:
[   10.000009] 
[   10.000009] -> #1 (&p->lock#2/1){+.+.}:
[   10.000010]        lock_acquire+0xd1/0x2e0
[   10.000011]        take_b+0x1a/0x40
[   10.000012] 
[   10.000012] -> #0 ((work_completion)(&w->work)){+.+.}:
[   10.000013]        lock_acquire+0xd1/0x2e0
[   10.000014]        take_a+0x2a/0x40
[   10.000015] 
[   10.000015] other info that might help us debug this:
[   10.000016] 2 locks held by worker/9:
[   10.000017]  #0: ffff888003a1c0a0 ((work_completion)(&w->work)){+.+.}, at: process_one_work+0x1f0/0x5c0
[   10.000018]  #1: ffff888003a1c0f0 (&p->lock#2/1){+.+.}, at: take_b+0x1a/0x40
[   10.000019] 
[   10.000019] stack backtrace:
[   10.000020] CPU: 1 PID: 9 Comm: worker Not tainted 6.1.0 #1
[   10.000021] Call Trace:
[   10.000022]  <TASK>
[   10.000023]  dump_stack_lvl+0x7d/0xa0
[   10.000024]  take_b+0x1a/0x40
[   10.000025]  </TASK>
";
    let r = parse_bytes(log.as_bytes());
    assert_eq!(r.findings.len(), 1);
    let f = &r.findings[0];
    assert!(!f.truncated);
    assert_eq!(f.title, "possible deadlock in take_b");
    assert_eq!(f.kernel_version.as_deref(), Some("6.1.0"));
    assert_eq!(f.taint.as_deref(), Some("Not tainted"));
    let classes: Vec<&str> = f.locks.iter().map(|l| l.class.as_str()).collect();
    assert_eq!(
        classes,
        [
            "&p->lock#2/1",
            "(work_completion)(&w->work)",
            "&p->lock#2/1"
        ]
    );
    assert_eq!(f.locks[2].holder.as_ref().unwrap().name, "worker");
    assert_eq!(f.chain[1].class, "(work_completion)(&w->work)");
    assert_eq!(f.tasks.len(), 1);
    assert_eq!(f.tasks[0].pid, Some(9));
}

#[test]
fn hung_task_titles_follow_syzkaller_buckets() {
    let mk = |frames: &[&str]| {
        let mut s = String::from(
            "INFO: task ip:77 blocked for more than 143 seconds.\n      Not tainted 7.3.4 #1\nCall Trace:\n <TASK>\n",
        );
        for f in frames {
            s.push(' ');
            s.push_str(f);
            s.push('\n');
        }
        s.push_str(" </TASK>\n");
        parse_bytes(s.as_bytes()).findings.remove(0)
    };
    let f = mk(&[
        "__schedule+0x1/0x2",
        "__mutex_lock+0x1/0x2",
        "rtnl_lock+0x15/0x20",
        "devinet_ioctl+0x1/0x2",
    ]);
    assert_eq!(f.title, "INFO: task hung in rtnl_lock");
    let f = mk(&[
        "__schedule+0x1/0x2",
        "__wait_rcu_gp+0x1/0x2",
        "synchronize_rcu_normal+0x1/0x2",
        "foo_exit+0x1/0x2",
    ]);
    assert_eq!(f.title, "INFO: task hung in synchronize_rcu");
    let f = mk(&[
        "__schedule+0x1/0x2",
        "schedule+0x1/0x2",
        "io_schedule+0x1/0x2",
        "? wait_on_page_bit+0x1/0x2",
        "folio_wait_bit_common+0x1/0x2",
        "filemap_fault+0x1/0x2",
    ]);
    assert_eq!(f.title, "INFO: task hung in filemap_fault");
    assert_eq!(f.timeout_secs, Some(143));
    let f = mk(&["__schedule+0x1/0x2", "schedule+0x1/0x2", "kthread+0x1/0x2"]);
    assert_eq!(f.culprit, None);
    assert_eq!(
        f.title,
        "INFO: task ip:77 blocked for more than 143 seconds."
    );
}

#[test]
fn reports_straddling_the_read_buffer() {
    // The reader works on 1 MiB windows: place the report header so that
    // it crosses the first window boundary at every offset around it.
    let report = fixture("circular.log");
    let want = essences(&report);
    let window = 1usize << 20;
    let header = report.windows(8).position(|w| w == b"WARNING:").unwrap();
    let around_header = (0..64).map(|k| window - header - 32 + k);
    let around_start = [0usize, 1, 2, 97, 4095, 4096, 4097].map(|k| window - k);
    for target in around_header.chain(around_start) {
        let shift = window as i64 - target as i64;
        let mut data = Vec::with_capacity(target + report.len());
        let mut lines = 0u64;
        while data.len() < target {
            let room = target - data.len();
            let line_len = room.min(120);
            if line_len < 2 {
                data.extend(std::iter::repeat_n(b'\n', room));
                lines += room as u64;
                break;
            }
            data.extend(std::iter::repeat_n(b'n', line_len - 1));
            data.push(b'\n');
            lines += 1;
        }
        data.extend_from_slice(&report);
        let r = parse_bytes(&data);
        assert_eq!(
            r.findings.iter().map(essence).collect::<Vec<_>>(),
            want,
            "shift {shift}"
        );
        assert_eq!(r.findings[0].start_line, lines + 9, "shift {shift}");
    }
}

#[test]
fn foreign_lines_inside_chain_stacks() {
    let text = String::from_utf8(fixture("circular.log")).unwrap();
    let mut noisy = String::new();
    for line in text.lines() {
        noisy.push_str(line);
        noisy.push('\n');
        if line.ends_with("       lock_acquire+0xd1/0x2e0") {
            noisy.push_str("[    2.351091] virtio_net virtio0 enp0s3: renamed from eth0\n");
            noisy.push_str("[    2.351092] systemd[1]: Started systemd-journald.service.\n");
        }
    }
    assert_eq!(essences(noisy.as_bytes()), essences(text.as_bytes()));
}

#[test]
fn lockdep_off_inside_an_unfinished_report() {
    let text = String::from_utf8(fixture("circular.log")).unwrap();
    let mut data = String::new();
    for line in text.lines() {
        data.push_str(line);
        data.push('\n');
        if line.contains("the existing dependency chain") {
            data.push_str("[    2.351084] INFO: lockdep is turned off.\n");
        }
    }
    let r = parse_bytes(data.as_bytes());
    assert_eq!(r.findings.len(), 1);
    assert!(r.findings[0].lockdep_off);
    assert!(!r.findings[0].truncated);
}
