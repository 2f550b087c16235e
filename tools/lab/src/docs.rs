// SPDX-License-Identifier: GPL-2.0
//! The documentation kept true by the code: the guest script interface of
//! `docs/guest-scripts.md` is written from the scenarios' library itself
//! (`lab guest-api`), and the `docs` host test fails when the page and the
//! library drift apart, or when the README or a page names a `make` target
//! the Makefile does not have.

use std::path::Path;

/// The markers of the page's generated part.
pub const BEGIN: &str = "<!-- begin: written by `lab guest-api` from tests/scenarios/lib.sh -->";
pub const END: &str = "<!-- end: written by `lab guest-api` -->";
/// The page that holds it.
pub const PAGE: &str = "docs/guest-scripts.md";

/// The functions of the scenarios' library, as Markdown: each section of
/// `lib.sh` (its `# --- NAME ---` lines), each comment block with the
/// functions it documents.
pub fn guest_api(lib: &str) -> String {
    let def = regex::Regex::new(r"^([a-z_][a-z0-9_]*)\(\)\s*\{").expect("a valid pattern");
    let mut out = String::new();
    let mut comment: Vec<String> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let flush = |out: &mut String, comment: &mut Vec<String>, names: &mut Vec<String>| {
        if !names.is_empty() {
            let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            out.push_str(&format!("- {}", list.join(", ")));
            if !comment.is_empty() {
                out.push_str(": ");
                out.push_str(&comment.join(" "));
            }
            out.push('\n');
        }
        comment.clear();
        names.clear();
    };
    // The file's own header, up to its first blank line, is the page's
    // prose, not an entry.
    let body = lib.split_once("\n\n").map_or(lib, |(_, b)| b);
    for line in body.lines() {
        if let Some(section) = line.strip_prefix("# --- ") {
            flush(&mut out, &mut comment, &mut names);
            let title = section.trim_end_matches(['-', ' ']);
            out.push_str(&format!(
                "\n### {}{}\n\n",
                title[..1].to_uppercase(),
                &title[1..]
            ));
        } else if let Some(text) = line.strip_prefix('#') {
            if !names.is_empty() {
                flush(&mut out, &mut comment, &mut names);
            }
            comment.push(text.trim().to_string());
        } else if let Some(c) = def.captures(line) {
            let name = c[1].to_string();
            // A function the comment above does not name is an entry of
            // its own.
            let said = comment.iter().any(|l| {
                l.split(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
                    .any(|w| w == name)
            });
            if !names.is_empty() && !said {
                flush(&mut out, &mut comment, &mut names);
            }
            names.push(name);
        } else if line.trim().is_empty() {
            flush(&mut out, &mut comment, &mut names);
        }
    }
    flush(&mut out, &mut comment, &mut names);
    out.trim_start().to_string()
}

/// Rewrites the generated part of the page with `api`.
pub fn write_page(root: &Path, api: &str) -> Result<(), crate::Error> {
    let path = root.join(PAGE);
    let page =
        std::fs::read_to_string(&path).map_err(|e| crate::Error::new(format!("{PAGE}: {e}")))?;
    let (Some(a), Some(b)) = (page.find(BEGIN), page.find(END)) else {
        return Err(crate::Error::new(format!(
            "{PAGE}: no part between {BEGIN} and {END}"
        )));
    };
    let text = format!("{}{BEGIN}\n{api}{}", &page[..a], &page[b..]);
    std::fs::write(&path, text).map_err(|e| crate::Error::new(format!("{PAGE}: {e}")))
}

/// What is wrong with the docs of the checkout at `root`, one line each.
pub fn problems(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let read = |f: &str| std::fs::read_to_string(root.join(f)).unwrap_or_default();
    let page = read(PAGE);
    let want = guest_api(&read("tests/scenarios/lib.sh"));
    match (page.find(BEGIN), page.find(END)) {
        (Some(a), Some(b)) if a < b => {
            if page[a + BEGIN.len()..b].trim() != want.trim() {
                out.push(format!(
                    "{PAGE}: the script interface differs from tests/scenarios/lib.sh; rewrite it with: target/release/lab guest-api --write"
                ));
            }
        }
        _ => out.push(format!("{PAGE}: no part between {BEGIN} and {END}")),
    }
    let makefile = read("Makefile");
    let target = regex::Regex::new(r"(?m)^([a-z][a-z0-9-]*):").expect("a valid pattern");
    let targets: Vec<&str> = target
        .captures_iter(&makefile)
        .map(|c| c.get(1).map_or("", |m| m.as_str()))
        .collect();
    let named = regex::Regex::new(r"`make ([a-z][a-z0-9-]*)").expect("a valid pattern");
    let mut pages = vec!["README.md".to_string()];
    pages.extend(
        crate::paths::files_with_ext(&root.join("docs"), "md", false)
            .iter()
            .filter_map(|p| p.strip_prefix(root).ok().map(|p| p.display().to_string())),
    );
    for p in &pages {
        for c in named.captures_iter(&read(p)) {
            let t = &c[1];
            if !targets.contains(&t) {
                out.push(format!(
                    "{p}: names `make {t}`, which the Makefile does not have"
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_library_as_a_list() {
        let lib = "# header\n# more\n\nMODULE=x\n# --- predicates ----\n\n# load: insmod it.\nload() {\n\tinsmod x\n}\nloaded() { :; }\n# a VALUE, b VALUE:\n# numbers.\na() { :; }\nb() { :; }\n\n# --- waiting ---\n# nap SECS.\nnap() { :; }\n";
        assert_eq!(
            guest_api(lib),
            "### Predicates\n\n- `load`: load: insmod it.\n- `loaded`\n- `a`, `b`: a VALUE, b VALUE: numbers.\n\n### Waiting\n\n- `nap`: nap SECS.\n"
        );
    }
}
