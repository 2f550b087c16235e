// SPDX-License-Identifier: GPL-2.0

//! Avoiding a deadlock at run time: take the first semaphore, only try the second, and if it is
//! taken, give the first back, wait a random moment and start again.
//!
//! A task that backs off never waits while holding what another task waits for, so no cycle of
//! waits can form, whatever order the locks are taken in. Lockdep agrees, for a reason of its
//! own: it records no dependency for a trylock ([`Semaphore::try_down`]), so the inverted order
//! leaves no edge to close a cycle with. What back-off costs is fairness: one-sided, it cannot
//! livelock, but the task that backs off can be starved by one that never does.

use super::semaphore::{Semaphore, SemaphoreGuard};
use kernel::bindings;
use kernel::time::{delay::fsleep, Delta};

/// Longest wait of a back-off, in microseconds.
const MAX_WAIT_US: u32 = 50;

/// Both semaphores, `first` taken and `second` tried, backing off until both are held; `None`
/// if `give_up` said so after a back-off. Counts the back-offs in `backoffs`.
#[inline(always)]
pub(crate) fn take_both<'a>(
    first: &'a Semaphore,
    second: &'a Semaphore,
    backoffs: &mut u64,
    give_up: impl Fn() -> bool,
) -> Option<(SemaphoreGuard<'a>, SemaphoreGuard<'a>)> {
    loop {
        let held_first = first.down();
        if let Some(held_second) = second.try_down() {
            return Some((held_first, held_second));
        }
        drop(held_first);
        *backoffs += 1;
        if give_up() {
            return None;
        }
        fsleep(Delta::from_micros(i64::from(1 + random_below(MAX_WAIT_US))));
    }
}

/// A random number below `n` (0 if `n` is 0).
fn random_below(n: u32) -> u32 {
    // SAFETY: `get_random_u32()` may be called from any context once the generator is set up,
    // which it is long before a module loads.
    let r = unsafe { bindings::get_random_u32() };
    r.checked_rem(n).unwrap_or(0)
}
