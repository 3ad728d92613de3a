//! No operation's wire name, default or range appears in the mock's hand-written code: the
//! stand-ins take typed inputs, and which parameter feeds each input, with its default and
//! range, is the spec's (`mock.inputs` in `spec/operations/*.yaml`), so an operation changed
//! in YAML needs no change here.
//!
//! The scan covers `src/` without `src/generated/` and without test code (the tests build
//! stand-ins with inputs of their own). It finds what hand-written parameter handling looks
//! like: a quoted wire name (`"magnify"`), a constant named after a parameter
//! (`DEFAULT_MAGNIFY`, `MAX_MAGNIFY`), and the spec's ranges and sets as Rust writes them
//! (`0..=5`, `[2, 4]`). A bare number cannot be told from any other number.

use std::path::{Path, PathBuf};

use cos_ci_validate::{OPERATIONS, ParamKind};

/// One thing hand-written code must not say, and why.
struct Needle {
    text: String,
    what: String,
}

fn needles() -> Vec<Needle> {
    let mut out = Vec::new();
    let mut push = |text: String, what: String| out.push(Needle { text, what });
    for spec in OPERATIONS {
        for p in spec.params {
            let of = format!("`{}` of {}", p.name, spec.name);
            push(format!("\"{}\"", p.name), format!("the wire name of {of}"));
            let constant = p.name.to_ascii_uppercase().replace('-', "_");
            for prefix in ["DEFAULT_", "MAX_", "MIN_"] {
                push(
                    format!("{prefix}{constant}"),
                    format!("a constant for the default or range of {of}"),
                );
            }
            // A number, or the text `true`/`false` of a flag written as words, cannot be told
            // from any other literal; every other textual default can.
            let telling = |d: &&str| {
                !d.chars().all(|c| c.is_ascii_digit()) && !matches!(*d, "true" | "false")
            };
            if let Some(default) = p.default.filter(telling) {
                push(format!("\"{default}\""), format!("the default of {of}"));
            }
            let range =
                |min: String, max: String| [format!("{min}..={max}"), format!("[{min}, {max}]")];
            let forms: Vec<String> = match p.kind {
                ParamKind::Integer { min, max } => range(min.to_string(), max.to_string()).into(),
                ParamKind::Pair { min, max, .. } => range(min.to_string(), max.to_string()).into(),
                ParamKind::IntegerSet(values) => {
                    let list: Vec<String> = values.iter().map(i64::to_string).collect();
                    vec![format!("[{}]", list.join(", ")), list.join(" | ")]
                }
                _ => Vec::new(),
            };
            for form in forms {
                push(form, format!("the range of {of}"));
            }
        }
    }
    out
}

/// `source` without its test code: every `#[cfg(test)]` item (a `mod x { .. }` to its
/// closing brace, or a one-line declaration).
fn without_tests(source: &str) -> String {
    let mut out = String::new();
    let mut lines = source.lines();
    while let Some(line) = lines.next() {
        if line.trim() != "#[cfg(test)]" {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let mut depth = 0i64;
        let mut opened = false;
        for item in lines.by_ref() {
            depth += braces(item);
            opened |= item.contains('{');
            if (opened && depth <= 0) || (!opened && item.trim_end().ends_with(';')) {
                break;
            }
        }
    }
    out
}

/// Opening minus closing braces outside string and char literals (enough for this crate).
fn braces(line: &str) -> i64 {
    let mut n = 0;
    let mut in_str = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if in_str => {
                chars.next();
            }
            '"' => in_str = !in_str,
            '\'' if !in_str => {
                // A char literal such as '{' is skipped; a lifetime is not closed by a quote.
                let rest: String = chars.clone().take(3).collect();
                if rest.chars().nth(1) == Some('\'') {
                    chars.nth(1);
                }
            }
            '/' if !in_str && chars.peek() == Some(&'/') => break,
            '{' if !in_str => n += 1,
            '}' if !in_str => n -= 1,
            _ => {}
        }
    }
    n
}

fn hand_written_sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("src/ is readable")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if name != "generated" {
                hand_written_sources(&path, out);
            }
        } else if name.ends_with(".rs") && !TEST_FILES.contains(&name) {
            out.push(path);
        }
    }
}

/// Files that are test code as a whole (declared `#[cfg(test)] mod …;`).
const TEST_FILES: [&str; 3] = ["tests.rs", "test_support.rs", "fuzz_tests.rs"];

/// Whether `needle` occurs in `line` as a whole token: `0..=5` is not in `400..=599`, nor
/// `MAX_LEVEL` in `MAX_LEVELS`.
fn contains_token(line: &str, needle: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    line.match_indices(needle).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = line[at + needle.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

/// Every needle found in `source`: (needle, its reason, line number).
fn findings<'a>(source: &str, needles: &'a [Needle]) -> Vec<(&'a str, &'a str, usize)> {
    let code = without_tests(source);
    let mut found = Vec::new();
    for (i, line) in code.lines().enumerate() {
        for n in needles {
            if contains_token(line, &n.text) {
                found.push((n.text.as_str(), n.what.as_str(), i + 1));
            }
        }
    }
    found
}

#[test]
fn no_operation_s_wire_name_default_or_range_is_in_hand_written_code() {
    let needles = needles();
    assert!(needles.len() > 40, "only {} needles", needles.len());
    let mut files = Vec::new();
    hand_written_sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    assert!(files.len() > 30, "only {} files scanned", files.len());
    let mut problems = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file).expect("readable");
        for (text, what, line) in findings(&source, &needles) {
            problems.push(format!(
                "{}:{line} (outside tests): `{text}` is {what}",
                file.display()
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "the spec says these, not the mock:\n{}",
        problems.join("\n")
    );
}

/// The scan finds what the mock's processors said before they took typed inputs, and skips
/// test code.
#[test]
fn the_scan_catches_hand_written_parameter_handling() {
    let needles = needles();
    let before = r#"
fn parse(params: &dyn ParamSource) -> Result<Op, ProcessError> {
    Ok(Op::SuperResolution {
        magnify: int_in(params, "magnify", DEFAULT_MAGNIFY, 1..=MAX_MAGNIFY)?,
    })
}
const LAYOUT: &str = "0x0";
fn pad(v: u32) -> bool { (0..=1000).contains(&v) }

#[cfg(test)]
mod tests {
    fn t() { let _ = ("magnify", '{'); }
}
"#;
    let found: Vec<&str> = findings(before, &needles)
        .iter()
        .map(|(text, ..)| *text)
        .collect();
    for expected in [
        "\"magnify\"",
        "DEFAULT_MAGNIFY",
        "MAX_MAGNIFY",
        "\"0x0\"",
        "0..=1000",
    ] {
        assert!(
            found.contains(&expected),
            "{expected} not found in {found:?}"
        );
    }
    assert!(findings("(400..=599).contains(s)", &needles).is_empty());
    let lines: Vec<usize> = findings(before, &needles).iter().map(|f| f.2).collect();
    assert!(
        lines.iter().all(|&l| l < 10),
        "test code was scanned: {lines:?}"
    );
}
