// SPDX-License-Identifier: GPL-2.0
//! The lines that dump_stack() and the register dump print around a stack,
//! whatever the report: `CPU: N UID: U PID: P Comm: NAME ...` (the task;
//! `Pid: P, comm: NAME ...` before 3.10), lockdep's kernel identification
//! (`7.3.4 #1 Not tainted`; `2.6.32 #1` before 3.0), the raw stack words
//! x86 printed before its call trace until 4.9,
//! `Hardware name:`, `Tainted: [O]=...`, `Workqueue:`, `Modules linked
//! in:`, the registers (`RIP:` names the interrupted instruction) and the
//! irq event stamps.

use std::sync::LazyLock;

use crate::re::Re;

use super::report::Common;
use super::{cap, cap_num, collapse_ws, Take};
use crate::symbols::{parse_site, Frame};

re!(
    RE_CPU,
    r"^CPU: [0-9]+ (?:UID: [0-9]+ )?PID: (?P<pid>[0-9]+) Comm: (?P<comm>.{1,20}?) (?:Kdump: loaded )?(?P<taint>Not tainted|Tainted: [A-Z ]+?) +(?P<rel>[0-9][^ ]*) #"
);
// dump_stack() before 3.10: "Pid: %d, comm: %.20s %s %s %.*s".
re!(
    RE_PID_COMM,
    r"^Pid: (?P<pid>[0-9]+), comm: (?P<comm>.{1,20}?) (?P<taint>Not tainted|Tainted: [A-Z ]+?) +(?P<rel>[0-9][^ ]*)"
);
// print_kernel_ident(): "%s %.*s %s"; print_kernel_version() before 3.0
// has no taint.
re!(
    RE_IDENT,
    r"^(?P<rel>[0-9][^ ]*) #[^ ]+(?: (?P<taint>Not tainted|Tainted: [A-Z ]*))?$"
);
re!(
    RE_REGS,
    r"^(?:R[A-Z0-9]{1,2}|[A-Z]S|CR[0-9]|DR[0-9]|EFLAGS|PKRU|Code|ORIG_RAX|FS|GS|ES|CS|ss|RIP|RSP|RAX|RBX|RCX|RDX|RSI|RDI|RBP|R8|R9|R10|R11|R12|R13|R14|R15|pc|lr|sp|x[0-9]+)(?::| :| =)"
);

/// Register dump lines (`RIP: ...`, `RAX: ...`, `Code: ...`, `x0 : ...`).
pub(super) fn is_register_line(t: &str) -> bool {
    let head = &t.as_bytes()[..t.len().min(9)];
    head.contains(&b':') && RE_REGS.is_match(t)
}

/// The raw stack words x86 printed before its call trace until 4.9
/// (` ffff88003d9a3c88 ffffffff815fae3c ...`, up to four a row) and the
/// `Stack:` line some architectures put in front of them.
pub(super) fn is_stack_words(t: &str) -> bool {
    t == "Stack:"
        || t.as_bytes().first().is_some_and(u8::is_ascii_hexdigit)
            && t.split(' ').all(|w| {
                (w.len() == 8 || w.len() == 16) && w.bytes().all(|b| b.is_ascii_hexdigit())
            })
}

/// A row of 32-bit ARM's memory dump (`dump_mem()`, the exception stack
/// after a syscall's frames): `dfa0: 00000003 00000000 ...`, the address
/// of the row in four hex digits and up to eight words.
pub(super) fn is_mem_dump(t: &str) -> bool {
    t.split_once(':').is_some_and(|(addr, words)| {
        addr.len() == 4
            && addr.bytes().all(|b| b.is_ascii_hexdigit())
            && !words.trim().is_empty()
            && words
                .split_whitespace()
                .all(|w| w.len() == 8 && w.bytes().all(|b| b.is_ascii_hexdigit()))
    })
}

/// The frame of a `RIP: 0010:func+0x1/0x2` line, also in the forms before
/// 4.10 (`RIP: 0010:[<ffffffff81234567>]  [<ffffffff81234567>] func+...`)
/// and before 2.6.25 / on 32-bit (`IP: [<c1234567>] func+...`).
pub(super) fn rip_frame(rest: &str) -> Option<Frame> {
    let sym = match rest.split_once(':') {
        Some((seg, s)) if seg.bytes().all(|b| b.is_ascii_hexdigit()) => s,
        _ => rest,
    };
    parse_site(sym).map(|(text, func)| Frame {
        text,
        func,
        reliable: true,
    })
}

impl Common {
    /// Takes the preamble lines; returns `None` if `t` is not one.
    pub(super) fn feed_preamble(&mut self, t: &str) -> Option<Take> {
        if let Some(c) = t.starts_with("CPU: ").then(|| RE_CPU.captures(t)).flatten() {
            self.add_task(cap(&c, "comm").unwrap_or(""), cap_num(&c, "pid"));
            self.set_version(cap(&c, "rel"), cap(&c, "taint"));
            return Some(Take::Used);
        }
        if let Some(c) = t
            .starts_with("Pid: ")
            .then(|| RE_PID_COMM.captures(t))
            .flatten()
        {
            self.add_task(cap(&c, "comm").unwrap_or(""), cap_num(&c, "pid"));
            self.set_version(cap(&c, "rel"), cap(&c, "taint"));
            return Some(Take::Used);
        }
        let digit = t.as_bytes().first().is_some_and(u8::is_ascii_digit);
        if let Some(c) = digit.then(|| RE_IDENT.captures(t)).flatten() {
            self.set_version(cap(&c, "rel"), cap(&c, "taint"));
            return Some(Take::Used);
        }
        if t.starts_with("Hardware name:")
            || t.starts_with("Tainted: [")
            || t.starts_with("Workqueue:")
            || t.starts_with("Modules linked in:")
        {
            return Some(Take::Used);
        }
        if let Some(r) = self.feed_oops_summary(t) {
            return Some(r);
        }
        // The interrupted instruction: x86 `RIP:`/`IP:`, 32-bit ARM
        // `PC is at func+...`, arm64 `pc : func+...`.
        let rip = t.strip_prefix("RIP: ").or_else(|| t.strip_prefix("IP: "));
        let rip = rip.or_else(|| t.strip_prefix("PC is at "));
        if let Some(rest) = rip.or_else(|| t.strip_prefix("pc : ")) {
            if self.rip.is_none() {
                self.rip = rip_frame(rest);
            }
            return Some(Take::Used);
        }
        if is_register_line(t)
            || is_stack_words(t)
            || is_mem_dump(t)
            || t.starts_with("LR is at ")
            || t.starts_with("Exception stack(")
            || t.starts_with("irq event stamp:")
            || t.starts_with("hardirqs last")
            || t.starts_with("softirqs last")
        {
            return Some(Take::Used);
        }
        None
    }

    /// The summary x86-64 printed after an oops's stack until 4.9, in case
    /// the oops scrolled away: `RIP  [<ffffffff8128ab1e>] func+...` and
    /// ` RSP <ffff88003a5b7c28>`. Its `RIP` stands for the `RIP:` line if
    /// that one was lost.
    pub(super) fn feed_oops_summary(&mut self, t: &str) -> Option<Take> {
        if let Some(rest) = t.strip_prefix("RIP  [<") {
            if self.rip.is_none() {
                self.rip = rip_frame(&format!("[<{rest}"));
            }
            return Some(Take::Used);
        }
        t.starts_with("RSP <").then_some(Take::Used)
    }

    /// Records the kernel release and taint state, the first time they are
    /// printed.
    pub(super) fn set_version(&mut self, rel: Option<&str>, taint: Option<&str>) {
        if self.kernel_version.is_none() {
            self.kernel_version = rel.map(str::to_string);
        }
        if self.taint.is_none() {
            self.taint = taint.map(collapse_ws);
        }
    }
}
