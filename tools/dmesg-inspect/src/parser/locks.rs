// SPDX-License-Identifier: GPL-2.0
//! Lock lines and held-lock lists.
//!
//! lockdep prints a lock with `print_lock()`: `ADDR (class){usage}-{o:i},
//! at: SITE` (4.15 and later; the wait-type suffix `-{o:i}` since 5.7),
//! or ` (class){usage}, at: [<ADDR>] SITE` with no instance address and six
//! usage characters before 4.14 (four in 4.14), alone (the lock a report is about) or as an entry `#N: ...`
//! of a held-locks list headed by `locks held by NAME/PID: N, last CPU#C:`
//! (`lockdep_print_held_locks()`; older kernels print `N locks held by
//! NAME/PID:` and `no locks held by NAME/PID.`). Lockdep reports print
//! both; a hung-task report prints the held-lock lists of the whole system
//! after its stacks, and some other reports print one too.

use std::sync::LazyLock;

use crate::re::{Caps, Re};

use super::report::Common;
use super::{cap, cap_num, Take};
use crate::model::{Lock, Task};
use crate::symbols::{demangle_text, parse_site};

// print_lock(): "%px (name){usage}-{o:i}, at: %pS", or before 4.15
// " (name){usage}, at: [<%p>] %pS"; held-list items add " #N: ".
re!(
    RE_LOCK,
    r"^(?:#(?P<idx>[0-9]+): +)?(?:(?P<inst>[0-9a-f]{8,16}|\(_*ptrval_*\)) ?)?\((?P<class>.*)\)\{(?P<usage>[^}]*)\}(?:-\{[0-9]+:[0-9]+\})?, at: (?P<at>.*)$"
);
re!(
    RE_HELD_HDR,
    r"^(?:locks held by (?P<name>.+)/(?P<pid>[0-9]+): (?P<n>[0-9]+), (?:on|last) CPU#[0-9]+:?|(?P<n2>[0-9]+) locks? held by (?P<name2>.+)/(?P<pid2>[0-9]+):|no locks held by (?P<name3>.+)/(?P<pid3>[0-9]+)\.)$"
);

/// The held-locks list being read.
pub(super) struct HeldList {
    holder: Task,
    remaining: u32,
}

/// What [`Common::feed_lock_line`] made of a lock line. The lock itself has
/// been added to the report's locks.
pub(super) enum LockLine {
    /// An entry of a held-locks list (role `held`, with its holder): the
    /// function of its `at:` site, and whether it was the list's last entry.
    Held {
        site: Option<String>,
        list_done: bool,
    },
    /// A lock printed on its own, with the role the caller expected: the
    /// function of its `at:` site.
    Single {
        role: &'static str,
        site: Option<String>,
    },
    /// A lock printed on its own where the caller expected none; not kept.
    Unexpected,
}

impl LockLine {
    /// Whether the line belongs to the report.
    pub(super) fn take(&self) -> Take {
        match self {
            LockLine::Unexpected => Take::Ignored,
            _ => Take::Used,
        }
    }
}

/// Builds a lock from a lock-line match; also returns the demangled
/// function of its `at:` site.
fn lock_from(c: &Caps, role: &str, holder: Option<Task>) -> (Lock, Option<String>) {
    let parsed = cap(c, "at").map(|a| match parse_site(a) {
        Some((text, func)) => (text, func),
        None => (demangle_text(a.trim()).into_owned(), None),
    });
    let (at, func) = match parsed {
        Some((t, f)) => (Some(t), f),
        None => (None, None),
    };
    let lock = Lock {
        class: cap(c, "class").unwrap_or("").to_string(),
        instance: cap(c, "inst").map(str::to_string),
        at,
        role: role.to_string(),
        usage: cap(c, "usage").map(str::to_string),
        holder,
    };
    (lock, func)
}

impl Common {
    /// Takes a lock line: an entry of the held-locks list being read, or a
    /// lock on its own, kept with `role` if the caller expects one. Returns
    /// `None` if `t` is not a lock line.
    pub(super) fn feed_lock_line(
        &mut self,
        t: &str,
        role: Option<&'static str>,
    ) -> Option<LockLine> {
        if !t.contains("){") {
            return None;
        }
        let c = RE_LOCK.captures(t)?;
        if c.name("idx").is_some() {
            let holder = self.held.as_ref().map(|h| h.holder.clone());
            let (lock, site) = lock_from(&c, "held", holder);
            self.add_lock(lock);
            let mut list_done = false;
            if let Some(h) = self.held.as_mut() {
                h.remaining = h.remaining.saturating_sub(1);
                if h.remaining == 0 {
                    self.held = None;
                    list_done = true;
                }
            }
            return Some(LockLine::Held { site, list_done });
        }
        let Some(role) = role else {
            return Some(LockLine::Unexpected);
        };
        let (lock, site) = lock_from(&c, role, None);
        self.add_lock(lock);
        Some(LockLine::Single { role, site })
    }

    /// Takes the header of a held-locks list and starts reading the list.
    /// The holder is one of the report's tasks unless the list is part of
    /// a dump of the whole system (`in_dump`). Returns whether the list is
    /// empty (nothing follows), or `None` if `t` is not such a header.
    pub(super) fn feed_held_header(&mut self, t: &str, in_dump: bool) -> Option<bool> {
        if !t.contains(" held by ") {
            return None;
        }
        let c = RE_HELD_HDR.captures(t)?;
        let name = cap(&c, "name")
            .or(cap(&c, "name2"))
            .or(cap(&c, "name3"))
            .unwrap_or("");
        let pid = cap_num(&c, "pid")
            .or(cap_num(&c, "pid2"))
            .or(cap_num(&c, "pid3"));
        let n: u32 = cap_num(&c, "n").or(cap_num(&c, "n2")).unwrap_or(0);
        if !in_dump {
            self.add_task(name, pid);
        }
        if n == 0 {
            self.held = None;
        } else {
            self.held = Some(HeldList {
                holder: Task::new(name, pid),
                remaining: n,
            });
        }
        Some(n == 0)
    }
}
