// SPDX-License-Identifier: GPL-2.0
//! Marked regions: one source that holds two texts of the same code, the
//! broken one and the fixed one, so that the two cannot drift apart.
//!
//! ```text
//! // lab:broken
//! ...the code with the bug...
//! // lab:fixed
//! ...the code without it...
//! // lab:end
//! ```
//!
//! A compile-fail case is such a file: its broken text must fail to build
//! for the reason its header states, its fixed text must build. An
//! exercise is another: its skeleton is the broken text, its solution the
//! fixed one.

/// Which text of each region to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Broken,
    Fixed,
}

/// Where in a region a line is.
#[derive(PartialEq)]
enum In {
    Outside,
    Broken,
    Fixed,
}

fn marker(line: &str) -> Option<&str> {
    line.trim_start().strip_prefix("// lab:").map(str::trim_end)
}

/// The text of `source` with each region's `variant` kept and the
/// markers gone; `note`, if given, replaces the marker before a kept
/// broken text (an exercise's "TODO"). An unbalanced region is an error.
pub fn variant(source: &str, variant: Variant, note: Option<&str>) -> Result<String, String> {
    let mut out = String::new();
    let mut at = In::Outside;
    let mut regions = 0;
    for (n, line) in source.split_inclusive('\n').enumerate() {
        let indent: String = line
            .chars()
            .take_while(|c| c.is_whitespace() && *c != '\n')
            .collect();
        match (marker(line), &at) {
            (Some("broken"), In::Outside) => {
                at = In::Broken;
                regions += 1;
                if let (Variant::Broken, Some(note)) = (variant, note) {
                    out.push_str(&format!("{indent}// {note}\n"));
                }
            }
            (Some("fixed"), In::Broken) => at = In::Fixed,
            (Some("end"), In::Fixed) => at = In::Outside,
            (Some(m), _) if ["broken", "fixed", "end"].contains(&m) => {
                return Err(format!("line {}: \"// lab:{m}\" out of place", n + 1));
            }
            _ => {
                let keep = match at {
                    In::Outside => true,
                    In::Broken => variant == Variant::Broken,
                    In::Fixed => variant == Variant::Fixed,
                };
                if keep {
                    out.push_str(line);
                }
            }
        }
    }
    if at != In::Outside {
        return Err("a region is not closed with \"// lab:end\"".into());
    }
    if regions == 0 {
        return Err("no \"// lab:broken\" region".into());
    }
    Ok(out)
}

/// The values of a header's `//! KEY: VALUE` lines.
pub fn header<'a>(source: &'a str, key: &str) -> Vec<&'a str> {
    let prefix = format!("//! {key}: ");
    source
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .map(str::trim)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str =
        "a\n    // lab:broken\n    bad();\n    // lab:fixed\n    good();\n    // lab:end\nz\n";

    #[test]
    fn both_texts() {
        assert_eq!(
            variant(SRC, Variant::Broken, None).unwrap(),
            "a\n    bad();\nz\n"
        );
        assert_eq!(
            variant(SRC, Variant::Fixed, None).unwrap(),
            "a\n    good();\nz\n"
        );
        assert_eq!(
            variant(SRC, Variant::Broken, Some("TODO: fix")).unwrap(),
            "a\n    // TODO: fix\n    bad();\nz\n"
        );
    }

    #[test]
    fn unbalanced_regions_are_refused() {
        assert!(variant("// lab:broken\nx\n", Variant::Fixed, None).is_err());
        assert!(variant("// lab:fixed\nx\n// lab:end\n", Variant::Fixed, None).is_err());
        assert!(variant("plain\n", Variant::Fixed, None).is_err());
    }
}
