// SPDX-License-Identifier: GPL-2.0

//! Range checks for module parameters, and the `fixed` parameter every lab module has.

use core::borrow::Borrow;
use kernel::prelude::*;

/// A parameter's value, or `EINVAL` and a line naming the parameter and its allowed range.
///
/// `value` is what `module_parameters::NAME.value()` returns: the value itself on Linux 7.3, a
/// reference to it on 7.2; both borrow as an `i64`.
pub(crate) fn param_in_range(
    name: &str,
    value: impl Borrow<i64>,
    min: i64,
    max: i64,
) -> Result<i64> {
    let value = *value.borrow();
    if (min..=max).contains(&value) {
        return Ok(value);
    }
    pr_err!("invalid parameter: {name}={value}, allowed range {min}..={max}\n");
    Err(EINVAL)
}

/// Which form of its code a module runs: the bug, or its fix.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `fixed=0`: the code with the bug.
    Broken,
    /// `fixed=1`: the code without it.
    Fixed,
}

impl Mode {
    /// The mode for the `fixed` parameter's value, which must be 0 or 1.
    pub(crate) fn from_fixed(value: impl Borrow<i64>) -> Result<Self> {
        Ok(match param_in_range("fixed", value, 0, 1)? {
            0 => Mode::Broken,
            _ => Mode::Fixed,
        })
    }

    /// `broken` for the code with the bug, `fixed` for the code without it.
    pub(crate) fn pick<T>(self, broken: T, fixed: T) -> T {
        match self {
            Mode::Broken => broken,
            Mode::Fixed => fixed,
        }
    }

    /// `fixed=0` or `fixed=1`, as the log lines say it.
    pub(crate) fn param(self) -> &'static str {
        match self {
            Mode::Broken => "fixed=0",
            Mode::Fixed => "fixed=1",
        }
    }
}
