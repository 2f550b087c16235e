// SPDX-License-Identifier: GPL-2.0
//! The shell's streaming demangler on a recorded byte stream: what QEMU
//! wrote to the terminal in a real `make shell` session (`insmod
//! deadlock_lab`, `cat /proc/PID/stack`, the kernel's reports, the
//! prompts), fed in pieces of every size.

use lab::relay::Demangler;

fn recorded() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/relay/shell-console.bin"
    ))
    .unwrap()
}

/// The stream fed in `size`-byte reads, flushing only at the end.
fn relayed(input: &[u8], size: usize) -> (Vec<u8>, Vec<Vec<u8>>) {
    let mut d = Demangler::new();
    let mut out = Vec::new();
    let mut pieces = Vec::new();
    for chunk in input.chunks(size) {
        let o = d.feed(chunk);
        out.extend_from_slice(&o);
        pieces.push(o);
    }
    out.extend_from_slice(&d.flush());
    (out, pieces)
}

#[test]
fn no_mangled_symbol_reaches_the_terminal_whatever_the_reads() {
    let input = recorded();
    assert!(
        input.windows(4).any(|w| w == b"_RNv"),
        "the recording has mangled symbols"
    );
    let (whole, _) = relayed(&input, input.len());
    for size in [1, 2, 3, 7, 64, 1000] {
        let (out, _) = relayed(&input, size);
        assert_eq!(out, whole, "reads of {size} bytes");
    }
    let text = String::from_utf8_lossy(&whole);
    assert!(!text.contains("_RNv"), "a mangled symbol got through");
    assert!(
        text.contains("deadlock_lab::thread_a+0x"),
        "the stack names thread_a"
    );
}

#[test]
fn a_symbol_split_across_reads_is_demangled() {
    let input = recorded();
    let at = input.windows(4).position(|w| w == b"_RNv").unwrap() + 9;
    let mut d = Demangler::new();
    let mut out = d.feed(&input[..at]);
    assert!(d.holding(), "the start of a symbol is held back");
    out.extend(d.feed(&input[at..]));
    out.extend(d.flush());
    let text = String::from_utf8_lossy(&out);
    assert!(!text.contains("_RNv"));
}

#[test]
fn a_prompt_without_newline_and_escapes_pass_at_once() {
    let input = recorded();
    // The last prompt: "/ # " and busybox's cursor-position query, ESC [6n.
    let prompt = b"/ # \x1b[6n";
    let at = input
        .windows(prompt.len())
        .rposition(|w| w == prompt)
        .unwrap();
    let mut d = Demangler::new();
    let mut out = d.feed(&input[..at]);
    let shown = d.feed(prompt);
    assert_eq!(shown, prompt.to_vec(), "shown at once, unchanged");
    out.extend(shown);
    assert!(!d.holding());
    // A keystroke's echo, too.
    assert_eq!(d.feed(b"l"), b"l".to_vec());
    assert_eq!(d.feed(b"s"), b"s".to_vec());
    // Bytes that are not ASCII pass unchanged.
    assert_eq!(d.feed("é\r\n".as_bytes()), "é\r\n".as_bytes().to_vec());
}

#[test]
fn what_could_start_a_symbol_waits_only_for_a_flush() {
    let mut d = Demangler::new();
    assert_eq!(d.feed(b"echo a_"), b"echo ".to_vec());
    assert!(d.holding());
    assert_eq!(d.flush(), b"a_".to_vec());
    assert!(!d.holding());
}
