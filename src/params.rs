// SPDX-License-Identifier: GPL-2.0

//! Range checks for module parameters, shared by the lab modules.

use kernel::prelude::*;

/// A parameter's value, or `EINVAL` and a line naming the parameter and its allowed range.
pub(crate) fn param_in_range(name: &str, value: i64, min: i64, max: i64) -> Result<i64> {
    if (min..=max).contains(&value) {
        return Ok(value);
    }
    pr_err!("invalid parameter: {name}={value}, allowed range {min}..={max}\n");
    Err(EINVAL)
}
