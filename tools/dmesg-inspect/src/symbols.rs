// SPDX-License-Identifier: GPL-2.0
//! Symbol handling: Rust demangling and stack frame parsing.

use std::borrow::Cow;

/// Byte that may occur in a mangled symbol (v0 and legacy Rust schemes, plus
/// the `.llvm.NNN`/`.cold` style suffixes the toolchain appends).
#[inline]
fn is_sym_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b == b'.'
}

/// Demangles one symbol if it is a Rust symbol (`_R...` or `_ZN...E`),
/// dropping crate disambiguators and legacy hashes. A `__pfx_` or `__cfi_`
/// prefix (added by the kernel's function padding and CFI) is kept in front
/// of the demangled name. Symbols that do not parse, for instance because
/// kallsyms cut them at `KSYM_NAME_LEN`, are returned unchanged.
pub fn demangle_symbol(sym: &str) -> Cow<'_, str> {
    let (pfx, core) = ["__pfx_", "__cfi_"]
        .iter()
        .find_map(|p| sym.strip_prefix(p).map(|rest| (*p, rest)))
        .unwrap_or(("", sym));
    if !(core.starts_with("_R") || core.starts_with("_ZN")) {
        return Cow::Borrowed(sym);
    }
    match rustc_demangle::try_demangle(core) {
        Ok(d) => {
            let s = format!("{d:#}");
            if s.is_empty() || s.contains("{invalid syntax}") || s.contains("{recursion limit") {
                Cow::Borrowed(sym)
            } else {
                Cow::Owned(format!("{pfx}{s}"))
            }
        }
        Err(_) => Cow::Borrowed(sym),
    }
}

/// Demangles every Rust symbol found in free text.
pub fn demangle_text(text: &str) -> Cow<'_, str> {
    if !text.contains("_R") && !text.contains("_ZN") {
        return Cow::Borrowed(text);
    }
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut i = 0;
    let mut changed = false;
    while i < b.len() {
        if is_sym_byte(b[i]) && (i == 0 || !is_sym_byte(b[i - 1])) {
            let mut j = i;
            while j < b.len() && is_sym_byte(b[j]) {
                j += 1;
            }
            let tok = &text[i..j];
            if tok.contains("_R") || tok.contains("_ZN") {
                if let Cow::Owned(d) = demangle_symbol(tok) {
                    out.push_str(&text[last..i]);
                    out.push_str(&d);
                    last = j;
                    changed = true;
                }
            }
            i = j;
        } else {
            i += 1;
        }
    }
    if !changed {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[last..]);
    Cow::Owned(out)
}

/// One stack frame as printed by `%pS`/`%pB`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Demangled frame text without any `? ` marker, e.g.
    /// `deadlock_lab::thread_a+0x85/0x12d [deadlock_lab]`.
    pub text: String,
    /// Demangled function name without offset, e.g. `deadlock_lab::thread_a`,
    /// or `None` when only an address was printed.
    pub func: Option<String>,
    /// `false` for frames the unwinder marked with `? `.
    pub reliable: bool,
}

impl Frame {
    /// Text as shown in reports: unreliable frames keep their `? ` marker.
    pub fn display(&self) -> String {
        if self.reliable {
            self.text.clone()
        } else {
            format!("? {}", self.text)
        }
    }
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Parses `SYM+0xOFF/0xSIZE [module]` or a bare `0xADDR`. `s` must already
/// be trimmed and have no `? `/`[<addr>]` decoration.
pub fn parse_symbol_ref(s: &str) -> Option<(String, Option<String>)> {
    let s = s.trim();
    if let Some(hex) = s.strip_prefix("0x") {
        let end = hex
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(hex.len());
        if end >= 4 && hex[end..].trim().is_empty() {
            return Some((s.to_string(), None));
        }
        return None;
    }
    let plus = s.find("+0x")?;
    let sym = &s[..plus];
    // Kernel symbols are ASCII, but a damaged log may carry replacement
    // characters; accept any symbol without blanks or brackets.
    if sym.is_empty() || sym.contains(|c: char| c.is_whitespace() || "[]()<>{},;:".contains(c)) {
        return None;
    }
    let rest = &s[plus + 3..];
    let slash = rest.find("/0x")?;
    let off = &rest[..slash];
    let after = &rest[slash + 3..];
    let size_end = after
        .find(|c: char| !c.is_ascii_hexdigit())
        .unwrap_or(after.len());
    if !is_hex(off) || size_end == 0 {
        return None;
    }
    let tail = after[size_end..].trim();
    // Optional module annotation: "[mod]" or "[mod buildid]"; symbolizers
    // may also append "file.c:123" or "[inline]".
    if !(tail.is_empty() || tail.starts_with('[') || tail.contains(':')) {
        return None;
    }
    let func = demangle_symbol(sym).into_owned();
    let text = format!(
        "{func}+0x{off}/0x{}{}{}",
        &after[..size_end],
        if tail.is_empty() { "" } else { " " },
        tail
    );
    Some((text, Some(func)))
}

/// Removes up to two leading address columns, `[<ffffffff81234567>] `, as
/// printed by `print_ip_sym()` and by x86 stack dumps before 4.10 (an
/// oops's `RIP: 0010:[<...>]  [<...>] func` has two). Returns `None` when a
/// column is malformed.
pub fn strip_address_columns(mut s: &str) -> Option<&str> {
    s = s.trim_start();
    for _ in 0..2 {
        if let Some(rest) = s.strip_prefix("[<") {
            let close = rest.find(">]")?;
            if !is_hex(&rest[..close]) {
                return None;
            }
            s = rest[close + 2..].trim_start();
        }
    }
    Some(s)
}

/// Parses a symbol reference that may carry address columns (a lock's
/// `at:` site in kernels before 4.15: `[<ffffffff81234567>] func+0x1/0x2`).
pub fn parse_site(s: &str) -> Option<(String, Option<String>)> {
    parse_symbol_ref(strip_address_columns(s)?)
}

/// Parses a stack frame line (message text, indentation allowed). Accepts
/// ` func+0x1/0x2 [mod]`, ` ? func+0x1/0x2`, `[<ffffffff81000000>] func+...`,
/// ` [<ffffffff81000000>] ? func+...` and bare addresses.
pub fn parse_frame(line: &str) -> Option<Frame> {
    let mut s = strip_address_columns(line)?;
    if s.is_empty() {
        return None;
    }
    let mut reliable = true;
    if let Some(rest) = s.strip_prefix("? ") {
        reliable = false;
        s = rest.trim_start();
    }
    let (text, func) = parse_symbol_ref(s).or_else(|| arm_frame(s))?;
    Some(Frame {
        text,
        func,
        reliable,
    })
}

/// A frame of 32-bit ARM's unwinder, which names the function a frame is
/// in and the caller it returns to, in one of three forms:
///
/// - ` func from caller+0x1c/0x24` (`%ps from %pS`, the default since 5.x);
/// - `[<c0110a6c>] (func) from [<c010c6b4>] (caller+0x10/0x14)`
///   (`CONFIG_BACKTRACE_VERBOSE`, and every kernel before);
/// - `[<c0014b54>] (func+0x0/0x138) from [<c00a0e28>] (caller+0x24c/0x2a0)`
///   (kernels before 3.x printed the offset of both).
///
/// The frame is the first function; the caller is the next line's. A
/// module follows the name inside the parentheses (`(func [mod])`). The
/// caller must read as a symbol reference, so that text with a "from" in
/// it is not taken for a frame. Called with the address column removed.
fn arm_frame(s: &str) -> Option<(String, Option<String>)> {
    let unwrap = |x: &'_ str| {
        x.strip_prefix('(')
            .and_then(|x| x.strip_suffix(')'))
            .map_or(x.to_string(), str::to_string)
    };
    let (head, caller) = s.split_once(" from ")?;
    parse_symbol_ref(&unwrap(strip_address_columns(caller)?))?;
    let head = unwrap(head);
    if let Some(r) = parse_symbol_ref(&head) {
        return Some(r);
    }
    let (name, module) = match head.split_once(' ') {
        Some((n, m)) if m.starts_with('[') && m.ends_with(']') => (n, Some(m)),
        Some(_) => return None,
        None => (head.as_str(), None),
    };
    let plain = |c: char| c.is_ascii_alphanumeric() || "_.$".contains(c);
    if name.is_empty() || !name.chars().all(plain) {
        return None;
    }
    let func = demangle_symbol(name).into_owned();
    let text = match module {
        Some(m) => format!("{func} {m}"),
        None => func.clone(),
    };
    Some((text, Some(func)))
}

/// Removes compiler-generated suffixes (`.isra.0`, `.constprop.0`, `.cold`,
/// `.part.1`, `.llvm.123`) from a function name, as syzkaller's `{{FUNC}}`
/// pattern does by stopping at the first dot of a C symbol.
pub fn strip_suffixes(func: &str) -> &str {
    if !func.contains("::") {
        return func.split('.').next().unwrap_or(func);
    }
    // Demangled Rust paths can legitimately contain dots only in suffixes.
    match func.find('.') {
        Some(p) => &func[..p],
        None => func,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demangles_v0_and_legacy() {
        assert_eq!(
            demangle_symbol("_RNvCs5QVKzhqvFJh_12deadlock_lab8thread_a"),
            "deadlock_lab::thread_a"
        );
        assert_eq!(
            demangle_symbol("_ZN12deadlock_lab8thread_a17h0123456789abcdefE"),
            "deadlock_lab::thread_a"
        );
        assert_eq!(
            demangle_symbol("__pfx__RNvCs5QVKzhqvFJh_12deadlock_lab8thread_a"),
            "__pfx_deadlock_lab::thread_a"
        );
        // Cut at KSYM_NAME_LEN: left alone.
        assert_eq!(
            demangle_symbol("_RNvCs5QVKzhqvFJh_12deadlock_lab8thr"),
            "_RNvCs5QVKzhqvFJh_12deadlock_lab8thr"
        );
        assert_eq!(demangle_symbol("lock_acquire"), "lock_acquire");
    }

    #[test]
    fn arm_unwinder_frames() {
        let f = |l: &str| parse_frame(l).map(|f| (f.text, f.func));
        let owned = |t: &str, fun: &str| Some((t.to_string(), Some(fun.to_string())));
        assert_eq!(
            f(" __mutex_lock from mutex_lock_nested+0x2c/0x34"),
            owned("__mutex_lock", "__mutex_lock")
        );
        assert_eq!(
            f(" gpx_set_value [gpx] from gpx_irq_work+0x58/0xb8 [gpx]"),
            owned("gpx_set_value [gpx]", "gpx_set_value")
        );
        assert_eq!(
            f("[<80111e94>] (unwind_backtrace) from [<8010d46c>] (show_stack+0x20/0x24)"),
            owned("unwind_backtrace", "unwind_backtrace")
        );
        assert_eq!(
            f("[<7f2a1190>] (spx_transfer [spx]) from [<7f2a1348>] (spx_ioctl+0x84/0x120 [spx])"),
            owned("spx_transfer [spx]", "spx_transfer")
        );
        assert_eq!(
            f("[<c0014b54>] (unwind_backtrace+0x0/0x138) from [<c00a0e28>] (print_usage_bug+0x24c/0x2a0)"),
            owned("unwind_backtrace+0x0/0x138", "unwind_backtrace")
        );
        // A caller that is no symbol: not a frame.
        assert_eq!(f(" Booting from ROM"), None);
        assert_eq!(f(" switching from idle to busy"), None);
        assert_eq!(f(" (a b) from c+0x1/0x2"), None);
    }

    #[test]
    fn demangles_in_text() {
        assert_eq!(
            demangle_text(
                "at: _RNvCs5QVKzhqvFJh_12deadlock_lab8thread_a+0x85/0x12d [deadlock_lab]"
            ),
            "at: deadlock_lab::thread_a+0x85/0x12d [deadlock_lab]"
        );
        assert!(matches!(demangle_text("no symbols here"), Cow::Borrowed(_)));
    }

    #[test]
    fn parses_frames() {
        let f = parse_frame(" _RNvCs5QVKzhqvFJh_12deadlock_lab8thread_a+0x85/0x12d [deadlock_lab]")
            .unwrap();
        assert_eq!(f.text, "deadlock_lab::thread_a+0x85/0x12d [deadlock_lab]");
        assert_eq!(f.func.as_deref(), Some("deadlock_lab::thread_a"));
        assert!(f.reliable);
        let f = parse_frame(" ? __pfx_kthread+0x10/0x10").unwrap();
        assert!(!f.reliable);
        assert_eq!(f.func.as_deref(), Some("__pfx_kthread"));
        let f = parse_frame("[<ffffffffc00011f3>] foo.isra.0+0xd3/0x12d [m 0123abcd]").unwrap();
        assert_eq!(f.text, "foo.isra.0+0xd3/0x12d [m 0123abcd]");
        assert_eq!(strip_suffixes(f.func.as_deref().unwrap()), "foo");
        assert!(parse_frame(" 0xffffffffc0001234").is_some());
        // 2.6 to 4.9 x86 stacks: an address column, then `? ` if unreliable.
        let f = parse_frame(" [<ffffffff8104f3c5>] ? warn_slowpath_common+0x85/0xc0").unwrap();
        assert!(!f.reliable);
        assert_eq!(f.func.as_deref(), Some("warn_slowpath_common"));
        assert_eq!(
            parse_site("[<ffffffff81234567>] might_fault+0x5c/0xb0")
                .unwrap()
                .0,
            "might_fault+0x5c/0xb0"
        );
        assert!(parse_frame("Call Trace:").is_none());
        assert!(parse_frame("random: crng init done").is_none());
        assert!(parse_frame("usb 1-1: new high-speed USB device number 2 using ehci").is_none());
    }
}
