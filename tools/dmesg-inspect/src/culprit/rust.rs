// SPDX-License-Identifier: GPL-2.0
//! How frames of Rust kernel code are judged. syzkaller's lists are
//! substrings of C kernel function names; applied to demangled Rust paths
//! they would hit module code (`deadlock_leak::waiter` contains `wait`, a
//! `...::shutdown` contains `down`), so a Rust path is judged by what it is
//! instead: runtime plumbing (the `kernel`, `core`, `alloc` and `std`
//! crates, generic thread trampolines) or the module's own code.

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

/// A C shim of the Rust bindings that forwards to a kernel function
/// (`rust_helper_spin_lock`, `rust_helper_mutex_lock`, ...).
pub fn is_rust_helper(func: &str) -> bool {
    func.starts_with("rust_helper_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generics_are_stripped() {
        assert_eq!(strip_generics("<a::B<c::D> as e::F>::g::<h::I>"), "a::B::g");
        assert_eq!(strip_generics("a::b::<c::D>::e"), "a::b::e");
    }

    #[test]
    fn plumbing_and_module_code() {
        assert!(is_rust_plumbing("kernel::print::call_printk"));
        assert!(is_rust_plumbing(
            "deadlock_lab::kthread::drop_box::<<deadlock_lab::DeadlockLab>::spawn::{closure#0}>"
        ));
        assert!(!is_rust_plumbing(
            "<deadlock_lab::DeadlockLab>::spawn::{closure#0}"
        ));
        assert!(!is_rust_plumbing("deadlock_leak::waiter"));
        assert!(is_rust_helper("rust_helper_spin_lock"));
        assert!(!is_rust_path("rust_helper_spin_lock"));
    }
}
