// SPDX-License-Identifier: GPL-2.0
//! How the function blamed by a report (its culprit, named in the title) is
//! chosen.
//!
//! Every row of the report table ([`crate::table`]) names one of the
//! [`Culprit`] rules; the parser gathers what the report offers
//! ([`Evidence`]: lock sites, the stack, the dependency chain, the `RIP:`
//! frame) and [`Culprit::choose`] applies the rule. The rules follow
//! syzkaller's `pkg/report`: its skip lists and the anchors of its hang and
//! stall extractors are in `lists.rs`; Rust frames are judged by what they
//! are rather than by those substring lists (`rust.rs`).

mod lists;
mod rust;

use std::sync::LazyLock;

use crate::re::PatternList;

use crate::symbols::Frame;

pub use lists::{
    CIRCULAR_SKIP, HUNG_ANCHORS, HUNG_SKIP, SKIP_PATTERNS, STALL_ANCHORS, STALL_SKIP,
    STRIP_PREFIXES,
};
pub use rust::{
    is_rust_helper, is_rust_path, is_rust_plumbing, RUST_PLUMBING_CRATES, RUST_TRAMPOLINE_SEGMENTS,
};

use crate::symbols::strip_suffixes;

/// How the function named in the title is chosen. syzkaller takes it
/// either verbatim from a line its report pattern names (a lock's `at:`
/// site), or as the first frame not on its skip list from a sequence of
/// lines (`at:` sites, then stack traces); some reports changed from one
/// to the other between the `INFO:` headers of old kernels and the
/// `WARNING:` headers of new ones, and the rules follow both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Culprit {
    /// The `at:` site of the first lock printed after the header (the lock
    /// being acquired, taken, or changing state), verbatim. The lock is
    /// being acquired right now, so a site in a Rust binding shim
    /// (`rust_helper_*`, a C function that only forwards to the kernel's
    /// lock functions) is replaced by the frame that called the shim in the
    /// report's own stack.
    FirstLockSite,
    /// The `at:` site of the first lock printed, verbatim: the lock was
    /// taken earlier (held-lock reports), so the report's stack says
    /// nothing about who took it.
    HeldLockSite,
    /// Circular dependencies. `WARNING:`: the first function not on the
    /// skip list (nor a workqueue function) among the `at:` site of the
    /// lock being acquired (a shim resolved as for
    /// [`Culprit::FirstLockSite`]), the `at:` site of the held lock and the
    /// frames of the dependency chain. `INFO:`: the acquiring site,
    /// verbatim.
    Circular,
    /// Inconsistent lock state. `WARNING:`: the first function of the
    /// report's stack not on the skip list. `INFO:`: the `at:` site of the
    /// lock after `takes:`, verbatim.
    Inconsistent,
    /// Safe -> unsafe lock order. `WARNING:`: the first function not on
    /// the skip list among the frames printed after `... which became
    /// X-irq-safe at:`. `INFO:`: the acquiring site, verbatim, for the
    /// `SOFTIRQ` form only; syzkaller knows no other, so those are titled
    /// by their header.
    SafeToUnsafe,
    /// Bad unlock balance: the first function not on the skip list among
    /// the release site and the report's stack.
    ReleaseSiteThenStack,
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

/// What a report offers to the culprit rules. Functions are demangled and
/// still carry compiler suffixes (`.isra.0`); the caller removes those.
#[derive(Debug, Default)]
pub struct Evidence<'a> {
    /// The report's start line (`INFO: ...`, `WARNING: ...`).
    pub header: &'a str,
    /// The interrupted instruction of the report's register dump (`RIP:`).
    pub rip: Option<&'a Frame>,
    /// The report's own stack.
    pub stack: &'a [Frame],
    /// Function of the `at:` site of the first lock printed, or of the
    /// release site of a bad unlock.
    pub first_site: Option<&'a str>,
    /// Function of the `at:` site of the lock being acquired.
    pub acquiring_site: Option<&'a str>,
    /// Function of the `at:` site of the first lock already held.
    pub held_site: Option<&'a str>,
    /// Stacks of the dependency chain, in print order.
    pub chain: Vec<&'a [Frame]>,
    /// Frames printed after `... which became X-irq-safe at:`, in order.
    pub became: &'a [Frame],
}

/// Functions of the reliable frames of `frames`, in order.
fn reliable_funcs<'a>(
    frames: impl IntoIterator<Item = &'a Frame>,
) -> impl Iterator<Item = &'a str> {
    frames
        .into_iter()
        .filter(|f| f.reliable)
        .filter_map(|f| f.func.as_deref())
}

/// The name syzkaller gives a frame it blames: without the syscall prefix
/// ([`STRIP_PREFIXES`]) that makes it shortest. Rust paths are kept.
pub fn canonical(func: &str) -> String {
    if is_rust_path(func) {
        return func.to_string();
    }
    STRIP_PREFIXES
        .iter()
        .filter_map(|p| func.strip_prefix(p))
        .filter(|rest| !rest.is_empty())
        .min_by_key(|rest| rest.len())
        .unwrap_or(func)
        .to_string()
}

/// The first function of `funcs` that is neither [`skipped`] nor contains
/// one of `extra`, by its canonical name.
fn first_kept<'a>(funcs: impl Iterator<Item = &'a str>, extra: &[&str]) -> Option<String> {
    funcs
        .filter(|f| !skipped(f) && !extra.iter().any(|s| f.contains(s)))
        .map(canonical)
        .next()
}

impl Culprit {
    /// Applies the rule to what the report offers; `None` when no function
    /// qualifies (the title is then the report's header line).
    pub fn choose(self, ev: &Evidence) -> Option<String> {
        let old_header = ev.header.starts_with("INFO:");
        match self {
            Culprit::FirstLockSite => resolve_helper(ev.first_site, ev.stack),
            Culprit::HeldLockSite => ev.first_site.map(str::to_string),
            Culprit::Circular if old_header => resolve_helper(ev.acquiring_site, ev.stack),
            Culprit::Circular => {
                let acquiring = resolve_helper(ev.acquiring_site, ev.stack);
                let chain = ev.chain.iter().flat_map(|frames| reliable_funcs(*frames));
                let sites = acquiring.as_deref().into_iter().chain(ev.held_site);
                first_kept(sites.chain(chain), CIRCULAR_SKIP)
            }
            Culprit::Inconsistent if old_header => resolve_helper(ev.first_site, ev.stack),
            Culprit::Inconsistent => first_kept(reliable_funcs(ev.stack), &[]),
            Culprit::SafeToUnsafe if old_header => ev
                .header
                .starts_with("INFO: SOFTIRQ-safe")
                .then(|| resolve_helper(ev.acquiring_site, ev.stack))
                .flatten(),
            Culprit::SafeToUnsafe => first_kept(reliable_funcs(ev.became), &[]),
            Culprit::ReleaseSiteThenStack => first_kept(
                ev.first_site.into_iter().chain(reliable_funcs(ev.stack)),
                &[],
            ),
            Culprit::HungTask => {
                let frames: Vec<String> = reliable_funcs(ev.stack)
                    .filter(|f| !skipped(f))
                    .map(canonical)
                    .collect();
                for f in &frames {
                    for (anchor, repl) in HUNG_ANCHORS {
                        if f.contains(anchor) {
                            return Some(
                                if repl.is_empty() { f.as_str() } else { repl }.to_string(),
                            );
                        }
                    }
                }
                frames.into_iter().find(|f| !hung_skipped(f))
            }
            Culprit::Stall => {
                let frames: Vec<String> = reliable_funcs(ev.rip.into_iter().chain(ev.stack))
                    .filter(|f| !stall_skipped(f))
                    .map(canonical)
                    .collect();
                let mut prev = frames.first()?;
                for f in &frames {
                    if stall_anchor(f) {
                        // syzkaller names cross-CPU calls by the dispatcher.
                        if f.contains("smp_call_function") {
                            return Some("smp_call_function".to_string());
                        }
                        return Some(prev.to_string());
                    }
                    prev = f;
                }
                frames.first().cloned()
            }
            Culprit::FirstFrame => {
                first_kept(reliable_funcs(ev.rip.into_iter().chain(ev.stack)), &[])
            }
        }
    }
}

/// A lock site in a Rust binding shim (`rust_helper_spin_lock`) names the
/// shim, not the code taking the lock: use the first non-skipped reliable
/// frame below the shim in the report's stack instead. Left as is when the
/// shim is not on the stack.
fn resolve_helper(site: Option<&str>, stack: &[Frame]) -> Option<String> {
    let func = site?;
    if !is_rust_helper(func) {
        return Some(func.to_string());
    }
    let mut frames = reliable_funcs(stack);
    if frames.any(|f| f == func) {
        if let Some(caller) = frames.find(|f| !skipped(f)) {
            return Some(caller.to_string());
        }
    }
    Some(func.to_string())
}

static SKIP_RE: LazyLock<PatternList> = LazyLock::new(|| PatternList::new(SKIP_PATTERNS));

static STALL_ANCHOR_RE: LazyLock<PatternList> = LazyLock::new(|| PatternList::new(STALL_ANCHORS));

/// Whether a frame is never blamed. C functions: syzkaller's skip list.
/// Demangled Rust paths: only runtime plumbing ([`is_rust_plumbing`]);
/// syzkaller's substring lists describe C kernel internals and would
/// otherwise hit module functions such as `deadlock_leak::waiter` or
/// `my_driver::shutdown`.
///
/// syzkaller matches names without their compiler suffixes, and so does
/// this. Rust binding shims (`rust_helper_*`) only forward to the kernel's
/// functions and are skipped as well.
pub fn skipped(func: &str) -> bool {
    if is_rust_path(func) {
        is_rust_plumbing(func)
    } else {
        is_rust_helper(func) || SKIP_RE.is_match(strip_suffixes(func))
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
    !is_rust_path(func) && STALL_ANCHOR_RE.is_match(strip_suffixes(func))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(func: &str) -> Frame {
        Frame {
            text: format!("{func}+0x1/0x2"),
            func: Some(func.to_string()),
            reliable: true,
        }
    }

    #[test]
    fn lists_match_as_syzkaller_s_regular_expressions() {
        // The lists are matched partly as strings (see `PatternList`); the
        // result must be that of the whole alternation, as syzkaller has it.
        let skip = crate::re::Re::new(&SKIP_PATTERNS.join("|"));
        let anchors = crate::re::Re::new(&STALL_ANCHORS.join("|"));
        for name in [
            "down",
            "__down",
            "down_read",
            "up",
            "mutex_lock_nested",
            "__mutex_lock",
            "rt_mutex_slowlock",
            "my_mutex_x",
            "kfree",
            "kvfree",
            "kfree_rcu_work",
            "readl",
            "readl_poll",
            "crc32c",
            "x_crc32",
            "iput",
            "iput_final",
            "ihold_x",
            "kthread",
            "__kthread_parkme",
            "call_mmap",
            "x_call_mmap",
            "sys_connect",
            "connect",
            "__sys_connect",
            "page_fault",
            "do_page_fault",
            "lock_page",
            "unlock_page",
            "atomic64_inc",
            "test_bit",
            "_trap",
            "do_trap",
            "handle_trap",
            "el1h_64_sync",
            "kmalloc",
            "vzalloc",
            "xas_load",
            "schedule",
            "ret_from_fork_asm",
            "setsockopt",
            "deadlock_lab_thread_a",
        ] {
            assert_eq!(SKIP_RE.is_match(name), skip.is_match(name), "skip {name}");
            assert_eq!(
                STALL_ANCHOR_RE.is_match(name),
                anchors.is_match(name),
                "anchor {name}"
            );
        }
    }

    #[test]
    fn c_frames_follow_syzkaller() {
        assert!(skipped("lock_acquire"));
        assert!(skipped("down"));
        assert!(skipped("print_usage_bug.part.0"));
        assert!(skipped("mutex_lock_nested"));
        // The current list anchors `down` and the mutex functions.
        assert!(!skipped("__down_common"));
        assert!(!skipped("shutdown_work"));
        assert_eq!(canonical("__x64_sys_ioctl"), "sys_ioctl");
        assert_eq!(canonical("SyS_ioctl"), "ioctl");
        assert_eq!(canonical("__do_sys_futex"), "futex");
        assert_eq!(canonical("do_sys_open"), "do_sys_open");
        assert!(skipped("kfree"));
        assert!(!skipped("kfree_rcu_work"));
        assert!(!skipped("deadlock_lab::thread_a"));
        assert!(stall_anchor("kthread"));
        assert!(!stall_anchor("__kthread_parkme"));
        assert!(stall_anchor("ret_from_fork_asm"));
        assert!(stall_skipped("asm_sysvec_apic_timer_interrupt"));
        assert!(stall_skipped("queued_spin_lock_slowpath"));
        assert!(hung_skipped("schedule_timeout"));
        assert!(hung_skipped("kthread"));
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
    }

    #[test]
    fn helper_sites_give_way_to_their_caller() {
        let stack = [
            frame("_raw_spin_lock"),
            frame("rust_helper_spin_lock"),
            frame("kernel::sync::lock::spinlock::lock"),
            frame("deadlock_irq::update_irqs_on"),
        ];
        let ev = Evidence {
            first_site: Some("rust_helper_spin_lock"),
            stack: &stack,
            ..Evidence::default()
        };
        assert_eq!(
            Culprit::FirstLockSite.choose(&ev).as_deref(),
            Some("deadlock_irq::update_irqs_on")
        );
        // A held lock was taken earlier: its site is kept as printed.
        assert_eq!(
            Culprit::HeldLockSite.choose(&ev).as_deref(),
            Some("rust_helper_spin_lock")
        );
    }

    #[test]
    fn release_site_on_the_skip_list_gives_way_to_the_stack() {
        let stack = [
            frame("dump_stack"),
            frame("print_unlock_imbalance_bug.cold"),
            frame("lock_release"),
            frame("up_read"),
            frame("__x64_sys_foo"),
        ];
        let ev = Evidence {
            first_site: Some("up_read"),
            stack: &stack,
            ..Evidence::default()
        };
        assert_eq!(
            Culprit::ReleaseSiteThenStack.choose(&ev).as_deref(),
            Some("sys_foo")
        );
    }

    #[test]
    fn header_form_picks_the_rule() {
        let became = [
            frame("lock_acquire"),
            frame("_raw_spin_lock"),
            frame("bar_irq"),
        ];
        let mut ev = Evidence {
            header: "WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected",
            acquiring_site: Some("bar_read"),
            became: &became,
            ..Evidence::default()
        };
        assert_eq!(
            Culprit::SafeToUnsafe.choose(&ev).as_deref(),
            Some("bar_irq")
        );
        ev.header = "INFO: SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected ]";
        assert_eq!(
            Culprit::SafeToUnsafe.choose(&ev).as_deref(),
            Some("bar_read")
        );
        ev.header = "INFO: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected ]";
        assert_eq!(Culprit::SafeToUnsafe.choose(&ev), None);
    }

    #[test]
    fn stall_blames_the_frame_above_the_dispatcher() {
        let stack = [
            frame("asm_sysvec_apic_timer_interrupt"),
            frame("spin_fn"),
            frame("worker_fn"),
            frame("kthread"),
            frame("ret_from_fork"),
        ];
        let ev = Evidence {
            stack: &stack,
            ..Evidence::default()
        };
        assert_eq!(Culprit::Stall.choose(&ev).as_deref(), Some("worker_fn"));
        assert_eq!(
            Culprit::FirstFrame.choose(&ev).as_deref(),
            Some("asm_sysvec_apic_timer_interrupt")
        );
    }
}
