// SPDX-License-Identifier: GPL-2.0

//! Module parameters: each one's allowed range, read at compile time from the `(allowed
//! MIN..=MAX)` its description ends with, and the `fixed` parameter every lab module has.
//!
//! The description is the one place a range is written: `modinfo` shows it, the range check
//! is compiled from it ([`allowed`]), and the lab's tests read it from `modinfo`.

use core::borrow::Borrow;
use kernel::prelude::*;

/// The range `(allowed MIN..=MAX)` at the end of a parameter's description.
///
/// Evaluated at compile time (see `lab_module!`): a description without a range, or with a
/// malformed one, fails the build.
pub(crate) const fn allowed(description: &str) -> (i64, i64) {
    let b = description.as_bytes();
    let key = b"(allowed ";
    // The last "(allowed ".
    let mut at = b.len();
    let mut i = 0;
    while i + key.len() <= b.len() {
        let mut j = 0;
        while j < key.len() && b[i + j] == key[j] {
            j += 1;
        }
        if j == key.len() {
            at = i + key.len();
        }
        i += 1;
    }
    assert!(
        at < b.len(),
        "a parameter's description must end with (allowed MIN..=MAX)"
    );
    let (min, at) = number(b, at);
    assert!(
        at + 3 < b.len() && b[at] == b'.' && b[at + 1] == b'.' && b[at + 2] == b'=',
        "expected ..= in (allowed MIN..=MAX)"
    );
    let (max, at) = number(b, at + 3);
    assert!(
        at < b.len() && b[at] == b')',
        "expected ) after (allowed MIN..=MAX"
    );
    assert!(min <= max, "(allowed MIN..=MAX) needs MIN <= MAX");
    (min, max)
}

/// A decimal number, perhaps negative, at `b[at..]`, and where it ends.
const fn number(b: &[u8], mut at: usize) -> (i64, usize) {
    let negative = at < b.len() && b[at] == b'-';
    if negative {
        at += 1;
    }
    let start = at;
    let mut n: i64 = 0;
    while at < b.len() && b[at].is_ascii_digit() {
        n = n * 10 + (b[at] - b'0') as i64;
        at += 1;
    }
    assert!(at > start, "expected a number in (allowed MIN..=MAX)");
    (if negative { -n } else { n }, at)
}

/// A parameter's value, or `EINVAL` and a line naming the parameter and its allowed range.
///
/// `value` is what `module_parameters::NAME.value()` returns: the value itself on Linux 7.3, a
/// reference to it on 7.2; both borrow as an `i64`.
pub(crate) fn checked(name: &str, value: impl Borrow<i64>, (min, max): (i64, i64)) -> Result<i64> {
    let value = *value.borrow();
    if (min..=max).contains(&value) {
        return Ok(value);
    }
    pr_err!("invalid parameter: {name}={value}, allowed range {min}..={max}\n");
    Err(EINVAL)
}

/// Which form of its code a module runs: the bug, or a fix.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Mode {
    /// `fixed=0`: the code with the bug.
    Broken,
    /// `fixed=N`, N >= 1: the code without it; N picks the fix where a module has more than one.
    Fixed(u8),
}

impl Mode {
    /// The mode for the `fixed` parameter's value, already checked against its range.
    pub(crate) fn from_fixed(value: i64) -> Result<Self> {
        Ok(match value {
            0 => Mode::Broken,
            n => Mode::Fixed(u8::try_from(n).map_err(|_| EINVAL)?),
        })
    }

    /// `broken` for the code with the bug, `fixed` for the code without it.
    pub(crate) fn pick<T>(self, broken: T, fixed: T) -> T {
        match self {
            Mode::Broken => broken,
            Mode::Fixed(_) => fixed,
        }
    }

    /// The value of `fixed`, as the log lines say it (`fixed=1`).
    pub(crate) fn value(self) -> u8 {
        match self {
            Mode::Broken => 0,
            Mode::Fixed(n) => n,
        }
    }
}
