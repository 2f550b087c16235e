// SPDX-License-Identifier: GPL-2.0
//! The table of recognised kernel reports.
//!
//! Modelled on syzkaller's `pkg/report` (`linux.go`): every entry names the
//! line that starts a report, the kind it maps to, and how the title is
//! formed from the report. Titles follow syzkaller's formats so that a
//! finding can be matched against syzbot reports; the function in the title
//! is chosen the way syzkaller chooses it (see [`Culprit`]).
//!
//! Entries are tried in order; the first whose start pattern matches wins.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;

use crate::model::Kind;

/// How the function named in the title is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Culprit {
    /// The `at:` site of the first lock printed after the header (the lock
    /// being acquired, taken, released or changing state), taken verbatim
    /// as syzkaller's report regexps do. The lock is being acquired right
    /// now, so a site in a Rust binding shim (`rust_helper_*`, a C function
    /// that only forwards to the kernel's lock functions) is replaced by
    /// the frame that called the shim in the report's own stack.
    FirstLockSite,
    /// The `at:` site of the first lock printed, verbatim: the lock was
    /// taken earlier (held-lock reports), so the report's stack says
    /// nothing about who took it.
    HeldLockSite,
    /// Circular dependencies: the first function among the `at:` site of
    /// the lock being acquired (a `rust_helper_*` shim resolved as for
    /// [`Culprit::FirstLockSite`]), the `at:` site of the held lock and the
    /// frames of the dependency chain that is not on the skip list, plus
    /// the workqueue functions syzkaller skips for this report.
    LockSitesThenChain,
    /// Hung tasks: syzkaller's hang extractor over the task's stack
    /// (anchor frames first, then a hang-specific skip list).
    HungTask,
    /// Stalls (soft lockups): syzkaller's stall extractor over the `RIP:`
    /// frame and the stack, non-skipped frames only: the frame just above
    /// the first dispatcher frame (`kthread`, `ret_from_fork`, syscall
    /// entry, ...), else the first frame.
    Stall,
    /// First reliable, non-skipped frame of the report's stack (the RIP
    /// frame first). Only used for the `culprit` field of `other` findings;
    /// their title is the header line.
    FirstFrame,
}

/// How the start line is recognised.
pub enum Start {
    /// Literal text anywhere in the message.
    Contains(&'static str),
    /// Regular expression over the message text.
    Pattern(&'static str),
}

/// One row of the table.
pub struct ReportDef {
    pub kind: Kind,
    pub start: Start,
    /// Title format: `{}` is replaced by the culprit function and `{level}`
    /// by the header's leading `WARNING`/`BUG` (older kernels print these
    /// lockdep reports as `BUG:`, and syzkaller titles follow the header).
    /// `None` means the title is the header line itself.
    pub title: Option<&'static str>,
    pub culprit: Culprit,
}

/// Only messages that contain at least one of these strings can start a
/// report or be otherwise noticed outside a report. Used as a fast filter
/// over the raw input; it must be a superset of every start pattern.
pub const TRIGGERS: &[&str] = &[
    "BUG",
    "WARNING:",
    "INFO:",
    "Oops",
    "general protection fault",
    "Kernel panic",
    "=====",
    "cut here",
    "Unable to handle kernel",
    "divide error:",
    "invalid opcode:",
    "UBSAN:",
    "PANIC: double fault",
    "stack segment:",
];

/// The report table (see module documentation).
pub static TABLE: &[ReportDef] = &[
    ReportDef {
        kind: Kind::Circular,
        start: Start::Pattern(r"^(?:WARNING|INFO): possible circular locking dependency detected"),
        title: Some("possible deadlock in {}"),
        culprit: Culprit::LockSitesThenChain,
    },
    ReportDef {
        kind: Kind::Recursive,
        start: Start::Pattern(r"^(?:WARNING|INFO): possible recursive locking detected"),
        title: Some("possible deadlock in {}"),
        culprit: Culprit::FirstLockSite,
    },
    ReportDef {
        kind: Kind::Inconsistent,
        start: Start::Pattern(r"^(?:WARNING|INFO): inconsistent lock state"),
        title: Some("inconsistent lock state in {}"),
        culprit: Culprit::FirstLockSite,
    },
    ReportDef {
        kind: Kind::IrqInversion,
        start: Start::Pattern(
            r"^(?:WARNING|INFO): possible irq lock inversion dependency detected",
        ),
        title: Some("possible deadlock in {}"),
        culprit: Culprit::FirstLockSite,
    },
    ReportDef {
        kind: Kind::IrqInversion,
        start: Start::Pattern(
            r"^(?:WARNING|INFO): [A-Z]+-safe -> [A-Z]+-unsafe lock order detected",
        ),
        title: Some("possible deadlock in {}"),
        culprit: Culprit::FirstLockSite,
    },
    ReportDef {
        kind: Kind::BadUnlock,
        start: Start::Pattern(r"^(?:WARNING|BUG): bad unlock balance detected!"),
        title: Some("{level}: bad unlock balance in {}"),
        culprit: Culprit::FirstLockSite,
    },
    ReportDef {
        kind: Kind::HeldLockFreed,
        start: Start::Pattern(r"^(?:WARNING|BUG): held lock freed!"),
        title: Some("{level}: held lock freed in {}"),
        culprit: Culprit::HeldLockSite,
    },
    ReportDef {
        kind: Kind::HeldLockReturn,
        start: Start::Pattern(r"^(?:WARNING|BUG): lock held when returning to user space!"),
        title: Some("{level}: lock held when returning to user space in {}"),
        culprit: Culprit::HeldLockSite,
    },
    ReportDef {
        kind: Kind::HeldLockExit,
        start: Start::Pattern(r"^(?:WARNING|BUG): .+/[0-9]+ still has locks held!"),
        title: Some("{level}: still has locks held in {}"),
        culprit: Culprit::HeldLockSite,
    },
    ReportDef {
        kind: Kind::HungTask,
        start: Start::Pattern(
            r"^INFO: task .+:[0-9]+ blocked(?: in I/O wait)? for more than [0-9]+ seconds",
        ),
        title: Some("INFO: task hung in {}"),
        culprit: Culprit::HungTask,
    },
    ReportDef {
        kind: Kind::SoftLockup,
        start: Start::Pattern(
            r"^(?:[a-z_]+: |NMI watchdog: )?BUG: soft lockup - CPU#[0-9]+ stuck for [0-9]+s!",
        ),
        title: Some("BUG: soft lockup in {}"),
        culprit: Culprit::Stall,
    },
    // Everything below is reported as kind `other`, titled by its header.
    ReportDef {
        kind: Kind::Other,
        start: Start::Pattern(r"^(?:[a-z_]+: )?BUG: "),
        title: None,
        culprit: Culprit::FirstFrame,
    },
    ReportDef {
        kind: Kind::Other,
        start: Start::Pattern(r"^(?:[a-z_]+: )?WARNING: "),
        title: None,
        culprit: Culprit::FirstFrame,
    },
    ReportDef {
        kind: Kind::Other,
        start: Start::Pattern(
            r"^(?:[a-z_]+: )?INFO: (?:task .+ can't die|rcu_[a-z]+ (?:self-)?detected (?:expedited )?stall|trying to register non-static key|suspicious RCU usage)",
        ),
        title: None,
        culprit: Culprit::FirstFrame,
    },
    ReportDef {
        kind: Kind::Other,
        start: Start::Pattern(
            r"^Oops(?::| -)|^(?:Oops: )?general protection fault|^(?:Oops: )?stack segment: |^(?:Oops: )?divide error: |^(?:Oops: )?invalid opcode: ",
        ),
        title: None,
        culprit: Culprit::FirstFrame,
    },
    ReportDef {
        kind: Kind::Other,
        start: Start::Pattern(r"^Kernel panic - not syncing"),
        title: None,
        culprit: Culprit::FirstFrame,
    },
    ReportDef {
        kind: Kind::Other,
        start: Start::Pattern(
            r"^(?:kernel BUG at |Kernel BUG |Unable to handle kernel |PANIC: double fault|UBSAN: )",
        ),
        title: None,
        culprit: Culprit::FirstFrame,
    },
];

struct Compiled {
    /// Per-entry compiled start pattern (`None` for `Contains`).
    patterns: Vec<Option<Regex>>,
}

static COMPILED: LazyLock<Compiled> = LazyLock::new(|| Compiled {
    patterns: TABLE
        .iter()
        .map(|d| match d.start {
            Start::Contains(_) => None,
            Start::Pattern(p) => Some(Regex::new(p).expect("valid start pattern")),
        })
        .collect(),
});

/// Automaton over [`TRIGGERS`], used to skip uninteresting input quickly.
/// Leftmost-first semantics let the crate use its vectorised multi-literal
/// searcher, an order of magnitude faster here than standard semantics.
pub static TRIGGER_AC: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostFirst)
        .build(TRIGGERS)
        .expect("valid trigger set")
});

/// Finds the table entry whose start pattern matches `text` (trimmed
/// message). Returns the entry and the text from the start of the match.
pub fn match_start(text: &str) -> Option<(&'static ReportDef, &str)> {
    if !TRIGGER_AC.is_match(text) {
        return None;
    }
    for (def, re) in TABLE.iter().zip(COMPILED.patterns.iter()) {
        match (&def.start, re) {
            (Start::Contains(lit), _) => {
                if let Some(p) = text.find(lit) {
                    return Some((def, &text[p..]));
                }
            }
            (Start::Pattern(_), Some(re)) => {
                if let Some(m) = re.find(text) {
                    return Some((def, &text[m.start()..]));
                }
            }
            (Start::Pattern(_), None) => {}
        }
    }
    None
}

/// Frames syzkaller never blames (its `linuxStackParams.skipPatterns`),
/// matched as unanchored regular expressions against the function name.
pub const SKIP_PATTERNS: &[&str] = &[
    "__sanitizer",
    "__asan",
    "kasan",
    "__msan",
    "kmsan",
    "check_memory_region",
    "read_word_at_a_time",
    "print_address_description",
    "panic",
    "invalid_op",
    "report_bug",
    "fixup_bug",
    "do_error",
    "_trap",
    "dump_stack",
    "warn_slowpath",
    "warn_alloc",
    "__warn",
    "debug_object",
    "timer_is_static_object",
    "work_is_static_object",
    "lockdep",
    "perf_trace",
    "lock_acquire",
    "lock_release",
    "lock_class",
    "reacquire_held_locks",
    "spin_lock",
    "spin_trylock",
    "spin_unlock",
    "raw_read_lock",
    "raw_read_trylock",
    "raw_write_lock",
    "raw_write_trylock",
    "down",
    "down_read",
    "down_write",
    "down_read_trylock",
    "down_write_trylock",
    "up_read",
    "up_write",
    "mutex_lock",
    "mutex_trylock",
    "mutex_unlock",
    "mutex_remove_waiter",
    "osq_lock",
    "osq_unlock",
    "__wake_up",
    "refcount_add",
    "refcount_sub",
    "refcount_inc",
    "refcount_dec",
    "refcount_set",
    "refcount_read",
    "memcpy",
    "memcmp",
    "memset",
    "memchr",
    "memmove",
    "strcmp",
    "strncmp",
    "strcpy",
    "strlcpy",
    "strncpy",
    "strscpy",
    "strlen",
    "strnstr",
    "strnlen",
    "strchr",
    "copy_to_user",
    "copy_from_user",
    "put_user",
    "get_user",
    "might_fault",
    "might_sleep",
    "list_add",
    "list_del",
    "list_replace",
    "list_move",
    "list_splice",
    "_indirect_thunk_",
    "string",
    "pointer",
    "snprintf",
    "scnprintf",
    "kasprintf",
    "kvasprintf",
    "printk",
    "va_format",
    "dev_info",
    "dev_notice",
    "dev_warn",
    "dev_err",
    "dev_alert",
    "dev_crit",
    "dev_emerg",
    "program_check_exception",
    "program_check_common",
    "del_timer",
    "flush_work",
    "__cancel_work_timer",
    "cancel_work_sync",
    "try_to_grab_pending",
    "flush_workqueue",
    "drain_workqueue",
    "destroy_workqueue",
    "finish_wait",
    "kthread_stop",
    "kobject_del",
    "kobject_put",
    "kobject_uevent_env",
    "add_uevent_var",
    "get_device_parent",
    "device_add",
    "device_del",
    "device_unregister",
    "device_destroy",
    "device_release",
    "devres_release_all",
    "hwrng_unregister",
    "i2c_del_adapter",
    "__unregister_client",
    "device_for_each_child",
    "rollback_registered",
    "unregister_netdev",
    "sysfs_remove",
    "device_remove_file",
    "tty_unregister_device",
    "dummy_urb_enqueue",
    "usb_kill_urb",
    "usb_kill_anchored_urbs",
    "usb_control_msg",
    "usb_hcd_submit_urb",
    "usb_submit_urb",
    "^complete$",
    "wait_for_completion",
    "^kfree$",
    "kfree_skb",
];

/// Extra frames skipped for circular dependencies: workqueue functions take
/// locks associated with work items.
pub const CIRCULAR_SKIP: &[&str] = &[
    "process_one_work",
    "flush_workqueue",
    "drain_workqueue",
    "destroy_workqueue",
];

/// Hung tasks: frames that name the bucket directly, with the name to use.
pub const HUNG_ANCHORS: &[(&str, &str)] = &[
    ("rtnl_lock", ""),
    ("synchronize_rcu", "synchronize_rcu"),
    ("synchronize_srcu", "synchronize_rcu"),
    ("synchronize_net", "synchronize_rcu"),
    ("synchronize_sched", "synchronize_rcu"),
];

/// Hung tasks: substrings of frames that only show how the task sleeps.
pub const HUNG_SKIP: &[&str] = &[
    "sched",
    "_lock",
    "_slowlock",
    "down",
    "rwsem",
    "completion",
    "kthread",
    "wait",
    "synchronize",
    "context_switch",
    "__switch_to",
    "cancel_delayed_work",
];

/// Stalls: frames at which the stall extractor stops (syzkaller's
/// `linuxStallAnchorFrames`): generic dispatchers and the entry points of
/// the work they run. The culprit is the frame just above the first one.
pub const STALL_ANCHORS: &[&str] = &[
    "process_one_work",
    "do_syscall_",
    "do_fast_syscall_",
    "sysenter_dispatch",
    "tracesys_phase2",
    "el0_svc_handler",
    "invoke_syscall",
    "ret_fast_syscall",
    "netif_receive_skb",
    "do_softirq",
    "call_timer_fn",
    "_run_timers",
    "run_timer_softirq",
    "hrtimer_run",
    "run_ksoftirqd",
    "smpboot_thread_fn",
    "^kthread$",
    "start_secondary",
    "cpu_startup_entry",
    "ret_from_fork",
    "vfs_write",
    "vfs_read",
    "vfs_iter_read",
    "vfs_iter_write",
    "do_iter_read",
    "do_iter_write",
    "call_read_iter",
    "call_write_iter",
    "new_sync_read",
    "new_sync_write",
    "vfs_ioctl",
    "ksys_ioctl",
    "compat_ioctl",
    "compat_sys_ioctl",
    "blkdev_driver_ioctl",
    "blkdev_ioctl",
    "do_iter_readv_writev",
    "^call_mmap",
    "mmap_region",
    "do_mmap",
    "do_dentry_open",
    "vfs_open",
    "^sock_sendmsg",
    "^sock_recvmsg",
    "^sock_release",
    "^__sock_release",
    "^setsockopt$",
    "kernel_setsockopt",
    "sock_common_setsockopt",
    "^listen$",
    "kernel_listen",
    "sk_common_release",
    "^sock_mmap",
    "^accept$",
    "kernel_accept",
    "^sock_do_ioctl",
    "^sock_ioctl",
    "^compat_sock_ioctl",
    "^nfnetlink_rcv_msg",
    "^rtnetlink_rcv_msg",
    "^netlink_dump",
    "^(sys_)?(socketpair|connect|ioctl)",
    "__do_fault",
    "do_page_fault",
    "^page_fault$",
    "__fput",
    "task_work_run",
    "exit_to_usermode",
    "smp_call_function",
    "tasklet_action",
    "tasklet_hi_action",
];

/// Stalls: interrupt entry frames, which only show how the watchdog
/// interrupted the stuck code (syzkaller skips `apic_timer_interrupt` for
/// RCU stalls for the same reason).
pub const STALL_SKIP: &[&str] = &[
    "apic_timer_interrupt",
    "sysvec_",
    "irqentry_",
    "common_interrupt",
];

static SKIP_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&SKIP_PATTERNS.join("|")).expect("valid skip list"));

static STALL_ANCHOR_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&STALL_ANCHORS.join("|")).expect("valid anchor list"));

/// Crates whose frames are runtime plumbing of Rust kernel code: the
/// kernel crate's bindings (locks, condition variables, thread and timer
/// glue), the standard library crates and the compiler's builtins.
pub const RUST_PLUMBING_CRATES: &[&str] = &["kernel", "core", "alloc", "std", "compiler_builtins"];

/// Path segments (outside generic arguments) that mark a generic thread
/// entry point, e.g. `deadlock_lab::kthread::trampoline::<...>`: it only
/// calls the thread's closure.
pub const RUST_TRAMPOLINE_SEGMENTS: &[&str] = &["kthread", "trampoline"];

/// Removes generic arguments (`<...>`, nested) from a demangled path,
/// keeping the leading qualified-path bracket's first type: for
/// `<a::B as c::D>::f` it gives `a::B::f`.
fn strip_generics(func: &str) -> String {
    let mut out = String::with_capacity(func.len());
    let mut rest = func;
    // `<Type as Trait>::method`: keep `Type`, drop ` as Trait`.
    if let Some(inner) = rest.strip_prefix('<') {
        let mut depth = 1u32;
        let mut end = None;
        let mut as_at = None;
        for (i, c) in inner.char_indices() {
            match c {
                '<' => depth += 1,
                '>' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(i);
                        break;
                    }
                }
                ' ' if depth == 1 && as_at.is_none() && inner[i..].starts_with(" as ") => {
                    as_at = Some(i)
                }
                _ => {}
            }
        }
        if let Some(e) = end {
            out.push_str(&strip_generics(&inner[..as_at.unwrap_or(e)]));
            rest = &inner[e + 1..];
        }
    }
    let mut depth = 0u32;
    for c in rest.chars() {
        match c {
            '<' => depth += 1,
            '>' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.replace("::::", "::").trim_end_matches("::").to_string()
}

/// Whether `func` is a demangled Rust path (`crate::item`, `<T as Tr>::m`).
pub fn is_rust_path(func: &str) -> bool {
    func.contains("::")
}

/// Whether a demangled Rust path is runtime plumbing rather than the
/// module's own code: a frame of one of [`RUST_PLUMBING_CRATES`], or a
/// generic thread trampoline (a path segment in
/// [`RUST_TRAMPOLINE_SEGMENTS`] outside generic arguments). Closures of the
/// module (`...::init::{closure#0}`) are the module's code.
pub fn is_rust_plumbing(func: &str) -> bool {
    let path = strip_generics(func);
    let mut segs = path.split("::");
    let krate = segs.next().unwrap_or("");
    RUST_PLUMBING_CRATES.contains(&krate) || segs.any(|seg| RUST_TRAMPOLINE_SEGMENTS.contains(&seg))
}

/// Whether a frame is never blamed. C functions: syzkaller's skip list.
/// Demangled Rust paths: only runtime plumbing ([`is_rust_plumbing`]);
/// syzkaller's substring lists describe C kernel internals and would
/// otherwise hit module functions such as `deadlock_leak::waiter` or
/// `my_driver::shutdown`.
pub fn skipped(func: &str) -> bool {
    if is_rust_path(func) {
        is_rust_plumbing(func)
    } else {
        SKIP_RE.is_match(func)
    }
}

/// Hung tasks: whether a (not [`skipped`]) frame only shows how the task
/// sleeps. C functions: [`HUNG_SKIP`] substrings, as syzkaller; module
/// code in Rust is never such a frame.
pub fn hung_skipped(func: &str) -> bool {
    !is_rust_path(func) && HUNG_SKIP.iter().any(|s| func.contains(s))
}

/// Stalls: whether a frame is dropped before the anchor search.
pub fn stall_skipped(func: &str) -> bool {
    skipped(func) || !is_rust_path(func) && STALL_SKIP.iter().any(|s| func.contains(s))
}

/// Stalls: whether a frame is a dispatcher ([`STALL_ANCHORS`]).
pub fn stall_anchor(func: &str) -> bool {
    !is_rust_path(func) && STALL_ANCHOR_RE.is_match(func)
}

/// A C shim of the Rust bindings that forwards to a kernel function
/// (`rust_helper_spin_lock`, `rust_helper_mutex_lock`, ...).
pub fn is_rust_helper(func: &str) -> bool {
    func.starts_with("rust_helper_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_start_pattern_is_covered_by_a_trigger() {
        let samples = [
            "WARNING: possible circular locking dependency detected",
            "WARNING: possible recursive locking detected",
            "WARNING: inconsistent lock state",
            "WARNING: possible irq lock inversion dependency detected",
            "WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected",
            "WARNING: bad unlock balance detected!",
            "WARNING: held lock freed!",
            "WARNING: lock held when returning to user space!",
            "WARNING: deadlock_leaker/57 still has locks held!",
            "INFO: task deadlock_lab_a:42 blocked for more than 122 seconds.",
            "watchdog: BUG: soft lockup - CPU#0 stuck for 26s! [deadlock_lab_a:42]",
            "rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:",
            "Oops: general protection fault, probably for non-canonical address 0xdffffc0000000000: 0000 [#1] SMP KASAN NOPTI",
            "Oops: 0000 [#1] SMP NOPTI",
            "Kernel panic - not syncing: hung_task: blocked tasks",
            "kernel BUG at mm/slub.c:123!",
            "BUG: kernel NULL pointer dereference, address: 0000000000000000",
            "WARNING: kernel/foo.c:12 at bar+0x1/0x2, CPU#0: baz/1",
        ];
        for s in samples {
            assert!(TRIGGER_AC.is_match(s), "no trigger for {s}");
            assert!(match_start(s).is_some(), "no table entry for {s}");
        }
    }

    #[test]
    fn non_reports_do_not_start() {
        for s in [
            "INFO: lockdep is turned off.",
            "INFO: task deadlock_lab_a:42 blocked on a semaphore likely last held by task deadlock_lab_b:43",
            "deadlock_lab: WARNING is just a word here",
            "======================================================",
            "DEBUG: something",
        ] {
            assert!(match_start(s).is_none(), "{s}");
        }
    }

    #[test]
    fn kinds_and_skips() {
        let (d, _) = match_start("INFO: task a:1 blocked for more than 2 seconds.").unwrap();
        assert_eq!(d.kind, Kind::HungTask);
        let (d, h) =
            match_start("watchdog: BUG: soft lockup - CPU#1 stuck for 3s! [deadlock_spin_b:54]")
                .unwrap();
        assert_eq!(d.kind, Kind::SoftLockup);
        assert!(h.starts_with("watchdog: BUG: soft lockup"));
        // Kernels before 4.15 print the watchdog's prefix as "NMI watchdog".
        let (d, _) =
            match_start("NMI watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [a:1]").unwrap();
        assert_eq!(d.kind, Kind::SoftLockup);
        let (d, _) = match_start("WARNING: deadlock_leaker/57 still has locks held!").unwrap();
        assert_eq!(d.kind, Kind::HeldLockExit);
        let (d, _) = match_start("BUG: a b/c/9 still has locks held!").unwrap();
        assert_eq!(d.kind, Kind::HeldLockExit);
        let (d, _) = match_start("BUG: spinlock lockup suspected on CPU#0, a/1").unwrap();
        assert_eq!(d.kind, Kind::Other);
        assert!(skipped("lock_acquire"));
        assert!(skipped("__down_common"));
        assert!(skipped("kfree"));
        assert!(!skipped("kfree_rcu_work"));
        assert!(!skipped("deadlock_lab::thread_a"));
    }

    #[test]
    fn rust_frames() {
        // Module code is never skipped, whatever its name contains.
        for f in [
            "deadlock_leak::waiter",
            "deadlock_x::shutdown",
            "<deadlock_irq::Shared as kernel::time::hrtimer::HrTimerCallback>::run",
            "<deadlock_lab::DeadlockLab>::spawn::{closure#0}",
        ] {
            assert!(!skipped(f), "{f}");
            assert!(!hung_skipped(f), "{f}");
        }
        // Plumbing: the kernel crate, core, thread trampolines.
        for f in [
            "kernel::print::call_printk",
            "core::ptr::drop_in_place::<deadlock_leak::DeadlockLeak>",
            "<kernel::sync::lock::Lock<(), kernel::sync::lock::mutex::MutexBackend>>::lock",
            "deadlock_leak::kthread::trampoline::<<deadlock_leak::DeadlockLeak as kernel::module::Module>::init::{closure#1}>",
            "deadlock_lab::kthread::drop_box::<<deadlock_lab::DeadlockLab>::spawn::{closure#0}>",
        ] {
            assert!(skipped(f), "{f}");
        }
        assert_eq!(strip_generics("<a::B<c::D> as e::F>::g::<h::I>"), "a::B::g");
        assert!(is_rust_helper("rust_helper_spin_lock"));
        assert!(stall_anchor("kthread"));
        assert!(!stall_anchor("__kthread_parkme"));
        assert!(stall_anchor("ret_from_fork_asm"));
        assert!(stall_skipped("asm_sysvec_apic_timer_interrupt"));
        assert!(stall_skipped("queued_spin_lock_slowpath"));
        // C functions keep syzkaller's substring rules.
        assert!(hung_skipped("schedule_timeout"));
        assert!(hung_skipped("kthread"));
    }
}
