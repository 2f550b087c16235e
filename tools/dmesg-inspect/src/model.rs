// SPDX-License-Identifier: GPL-2.0
//! Findings and their JSON representation.
//!
//! Field names are part of the tool's interface (README, `--json`): do not
//! rename them. New optional fields may be added.

use serde::{Deserialize, Serialize};

/// Kind of a finding. Serialised in snake case (`circular`, `hung_task`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// lockdep: possible circular locking dependency detected
    Circular,
    /// lockdep: possible recursive locking detected
    Recursive,
    /// lockdep: inconsistent lock state
    Inconsistent,
    /// lockdep: possible irq lock inversion dependency / X-safe -> X-unsafe
    IrqInversion,
    /// hung task detector: task blocked for more than N seconds
    HungTask,
    /// lockdep: bad unlock balance detected
    BadUnlock,
    /// lockdep: held lock freed
    HeldLockFreed,
    /// lockdep: lock held when returning to user space
    HeldLockReturn,
    /// lockdep: a task exiting (or a kernel thread ending) with locks held
    HeldLockExit,
    /// soft-lockup detector: a CPU stuck in kernel code
    SoftLockup,
    /// any other kernel report (BUG, WARNING, Oops, panic, stalls, ...)
    Other,
}

impl Kind {
    pub const ALL: [Kind; 11] = [
        Kind::Circular,
        Kind::Recursive,
        Kind::Inconsistent,
        Kind::IrqInversion,
        Kind::HungTask,
        Kind::BadUnlock,
        Kind::HeldLockFreed,
        Kind::HeldLockReturn,
        Kind::HeldLockExit,
        Kind::SoftLockup,
        Kind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Circular => "circular",
            Kind::Recursive => "recursive",
            Kind::Inconsistent => "inconsistent",
            Kind::IrqInversion => "irq_inversion",
            Kind::HungTask => "hung_task",
            Kind::BadUnlock => "bad_unlock",
            Kind::HeldLockFreed => "held_lock_freed",
            Kind::HeldLockReturn => "held_lock_return",
            Kind::HeldLockExit => "held_lock_exit",
            Kind::SoftLockup => "soft_lockup",
            Kind::Other => "other",
        }
    }

    /// Whether the kind comes from lockdep.
    pub fn is_lockdep(self) -> bool {
        !matches!(self, Kind::HungTask | Kind::SoftLockup | Kind::Other)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A task named by the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// `comm` of the task (up to 15 characters, may contain `/` or spaces).
    pub name: String,
    /// PID, when printed.
    pub pid: Option<u32>,
}

impl Task {
    pub fn new(name: &str, pid: Option<u32>) -> Self {
        Task {
            name: name.to_string(),
            pid,
        }
    }
}

impl std::fmt::Display for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.pid {
            Some(p) => write!(f, "{}/{}", self.name, p),
            None => f.write_str(&self.name),
        }
    }
}

/// A lock named by the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lock {
    /// Lock class as printed by lockdep, including any `#N` name version and
    /// `/N` subclass suffix (`sem1`, `&sem->lock`, `&p->lock#2`, `sem1/1`).
    pub class: String,
    /// Address of the lock instance (`%px`), when printed.
    pub instance: Option<String>,
    /// Acquisition site (`at:`), demangled, with offset and module.
    pub at: Option<String>,
    /// Why the lock is listed: `acquiring`, `held`, `releasing`, `freed`,
    /// `dependency`, `irq_safe` or `irq_unsafe`.
    pub role: String,
    /// Usage bits between the braces, e.g. `+.+.`.
    pub usage: Option<String>,
    /// Task that holds the lock, for entries of a held-locks list.
    pub holder: Option<Task>,
}

/// One entry of a lockdep dependency chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainEntry {
    /// The `N` of `-> #N`, or the position in a shortest-dependency path.
    pub index: u32,
    /// Lock class of the entry.
    pub class: String,
    /// Stack where the dependency was recorded (demangled).
    pub frames: Vec<String>,
}

/// A secondary stack trace of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stack {
    /// What the kernel printed in front of the stack, without the colon:
    /// `{HARDIRQ-ON-W} state was registered at`,
    /// `lab_spin: IN-HARDIRQ-W at`, `... which became HARDIRQ-irq-safe at`,
    /// `Call Trace` (a further stack dump within the report), `RIP` (the
    /// instruction pointer of a register dump, one frame).
    pub label: String,
    /// The stack (demangled; `? ` marks unreliable frames).
    pub frames: Vec<String>,
}

/// lockdep's "Possible unsafe locking scenario" table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scenario {
    /// Column headers, e.g. `["CPU0", "CPU1"]`.
    pub columns: Vec<String>,
    /// Rows in print order; each row has one cell per column (empty string
    /// for an empty cell), e.g. `["", "lock(sem1);"]`.
    pub rows: Vec<Vec<String>>,
    /// Classes of the "Chain exists of:" line, when printed.
    pub chain_exists_of: Vec<String>,
}

/// What a hung task is blocked on (`CONFIG_DETECT_HUNG_TASK_BLOCKER`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockedOn {
    /// `semaphore`, `mutex` or `rw-semaphore`.
    pub primitive: String,
    /// Likely owner (mutex, rw-semaphore) or last holder (semaphore);
    /// `null` when the kernel said it was not found.
    pub task: Option<Task>,
    /// For rw-semaphores: how the hung task waits (`reader`/`writer`).
    pub waiting_as: Option<String>,
    /// For rw-semaphores: how the owner holds it (`reader`/`writer`).
    pub held_as: Option<String>,
    /// Stack of the owner, printed when the owner is not hung itself.
    pub frames: Vec<String>,
}

/// One kernel report found in the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: Kind,
    /// syzkaller-compatible title, e.g. `possible deadlock in foo`.
    pub title: String,
    /// The report's first line as printed by the kernel.
    pub header: String,
    /// Function the title blames (demangled, no offset), if one was found.
    pub culprit: Option<String>,
    /// Tasks named by the report.
    pub tasks: Vec<Task>,
    /// Locks named by the report.
    pub locks: Vec<Lock>,
    /// Dependency chain (circular: `-> #N` entries; irq inversion: the
    /// shortest dependency paths), in print order.
    pub chain: Vec<ChainEntry>,
    /// Possible unsafe locking scenario, if printed.
    pub scenario: Option<Scenario>,
    /// Hung tasks: what the task is blocked on, if printed.
    pub blocked_on: Option<BlockedOn>,
    /// Hung tasks: seconds the task has been blocked; soft lockups:
    /// seconds the CPU has been stuck (at the last merged warning).
    pub timeout_secs: Option<u64>,
    /// Soft lockups: the stuck CPU (`CPU#N` of the header).
    pub cpu: Option<u32>,
    /// Main stack trace of the report (demangled; `? ` marks unreliable
    /// frames).
    pub frames: Vec<String>,
    /// Secondary stacks: lockdep usage traces (where a lock was used in
    /// the conflicting irq state) and further stack dumps of the report.
    pub other_stacks: Vec<Stack>,
    /// Kernel release from the report, e.g. `7.3.4`.
    pub kernel_version: Option<String>,
    /// Taint state as printed, whitespace collapsed: `Not tainted` or
    /// `Tainted: G O`.
    pub taint: Option<String>,
    /// First line of the report in the input (1-based, counting `\n`).
    pub start_line: u64,
    /// Last line of the report in the input.
    pub end_line: u64,
    /// The report stopped before its final part (end of input, another
    /// report started, or a size bound was hit).
    pub truncated: bool,
    /// `INFO: lockdep is turned off.` was printed inside this report or
    /// after it and before the next one.
    pub lockdep_off: bool,
    /// Number of kernel reports this finding stands for: 1, or for a soft
    /// lockup the number of warnings printed for the same CPU and task
    /// that were merged into it.
    pub repeats: u32,
    /// Informational remarks (free text; not a stable interface).
    pub notes: Vec<String>,
}

impl Finding {
    /// All lock classes the finding mentions (locks, chain, scenario).
    pub fn mentioned_classes(&self) -> impl Iterator<Item = &str> {
        let scen = self.scenario.iter().flat_map(|s| {
            s.chain_exists_of
                .iter()
                .map(String::as_str)
                .chain(s.rows.iter().flatten().map(String::as_str))
        });
        self.locks
            .iter()
            .map(|l| l.class.as_str())
            .chain(self.chain.iter().map(|c| c.class.as_str()))
            .chain(scen)
    }

    /// All frame-like strings of the finding: stack, chain stacks, lock
    /// acquisition sites, secondary stacks and the blocker's stack.
    pub fn all_frames(&self) -> impl Iterator<Item = &str> {
        self.frames
            .iter()
            .map(String::as_str)
            .chain(
                self.chain
                    .iter()
                    .flat_map(|c| c.frames.iter().map(String::as_str)),
            )
            .chain(self.locks.iter().filter_map(|l| l.at.as_deref()))
            .chain(
                self.other_stacks
                    .iter()
                    .flat_map(|s| s.frames.iter().map(String::as_str)),
            )
            .chain(
                self.blocked_on
                    .iter()
                    .flat_map(|b| b.frames.iter().map(String::as_str)),
            )
    }
}

/// Whole-log facts that are not tied to one finding.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of findings.
    pub findings: u64,
    /// `INFO: lockdep is turned off.` was seen anywhere.
    pub lockdep_off: bool,
    /// Line of the first `INFO: lockdep is turned off.`.
    pub lockdep_off_line: Option<u64>,
    /// Number of lines read.
    pub lines: u64,
    /// What tasks said they hold or wait for, outside any report (the
    /// first [`Claim::MAX`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<Claim>,
}

/// A line in which a task says which lock it holds or waits for, in the
/// form `TASK: holding LOCK` or `TASK: waiting for LOCK` (after any prefix
/// of its own, such as a module's `NAME: `), as the lab's modules print
/// them. The wait-for graph names a lock by them where no report does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// The task's name (`comm`).
    pub task: String,
    pub lock: String,
    /// `holding` (true) or `waiting for` (false).
    pub holds: bool,
    pub line: u64,
}

impl Claim {
    /// Claims kept per log.
    pub const MAX: usize = 256;

    /// The claim a message makes, if it makes one.
    pub fn of(text: &str, line: u64) -> Option<Claim> {
        let (head, last) = text.trim_end().rsplit_once(": ")?;
        let (holds, lock) = match last.strip_prefix("holding ") {
            Some(l) => (true, l),
            None => (false, last.strip_prefix("waiting for ")?),
        };
        let task = head.rsplit(": ").next()?;
        let word = |s: &str| !s.is_empty() && !s.contains(char::is_whitespace);
        (word(task) && word(lock)).then(|| Claim {
            task: task.to_string(),
            lock: lock.to_string(),
            holds,
            line,
        })
    }
}
