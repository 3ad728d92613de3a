//! `load` never panics, whatever the YAML: random text, and the fixture spec with lines
//! mangled, keys and values replaced by awkward ones. When a mangled spec still loads,
//! `generate` must turn it into code that parses (and not panic either).

use std::path::{Path, PathBuf};

use proptest::prelude::*;

const FILES: [&str; 3] = [
    "service.yaml",
    "operations/image-tune.yaml",
    "operations/image-inspect.yaml",
];

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spec")
}

fn fixture_text(file: &str) -> String {
    std::fs::read_to_string(fixture().join(file)).expect("read the fixture")
}

/// Keys, values and fragments that have tripped (or could trip) a generator: keywords, names
/// of the runtime's types, empty and odd identifiers, YAML specials, extreme numbers.
const TOKENS: &[&str] = &[
    "",
    "_",
    "__",
    "type",
    "Self",
    "self",
    "crate",
    "super",
    "mod",
    "r#x",
    "1x",
    "-",
    "+",
    "a-b",
    "a_b",
    "a.b",
    "x y",
    "é",
    "Mode",
    "Value",
    "Operation",
    "ParamValues",
    "Limits",
    "OpSpec",
    "ErrorCode",
    "service",
    "ImageTune",
    "image-tune",
    ".inf",
    "-.inf",
    ".nan",
    "1e400",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "4294967296",
    "0x10",
    "-1",
    "0",
    "1",
    "2.5",
    "~",
    "null",
    "true",
    "false",
    "[]",
    "{}",
    "[1, 2]",
    "[2, 1]",
    "[a, b]",
    "[1, 1]",
    "{ a: 1 }",
    "{ type: string }",
    "{ nodes: {} }",
    "'quoted'",
    "\"q\\u0000\"",
    "*a",
    "&a x",
    "!!str 5",
    "!custom x",
    "|",
    ">",
    "? x",
    "---",
    "...",
    "%YAML 1.2",
    "\t",
    "#",
    ":",
    "- ",
    "integer",
    "number",
    "flag",
    "text",
    "pair",
    "string",
    "boolean",
    "xml",
    "image",
    "png",
    "download",
    "upload",
    "cloud",
    "X",
    "V",
    "x",
    "cos:GetObject",
    "ci:X",
    "tune",
    "passthrough",
];

#[derive(Clone, Debug)]
enum Mutation {
    /// Replace what follows the first `: ` on a line.
    Value {
        line: usize,
        token: usize,
    },
    /// Replace the key before the first `:` on a line (keeping its indentation).
    Key {
        line: usize,
        token: usize,
    },
    DeleteLine {
        line: usize,
    },
    DuplicateLine {
        line: usize,
    },
    SwapLines {
        a: usize,
        b: usize,
    },
    /// Insert text at a byte offset (at a char boundary at or after it).
    Insert {
        at: usize,
        text: String,
    },
    /// Delete a byte range (at char boundaries).
    Cut {
        at: usize,
        len: usize,
    },
    /// Change a line's indentation.
    Indent {
        line: usize,
        spaces: usize,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let n = TOKENS.len();
    prop_oneof![
        3 => (any::<usize>(), 0..n).prop_map(|(line, token)| Mutation::Value { line, token }),
        2 => (any::<usize>(), 0..n).prop_map(|(line, token)| Mutation::Key { line, token }),
        1 => any::<usize>().prop_map(|line| Mutation::DeleteLine { line }),
        1 => any::<usize>().prop_map(|line| Mutation::DuplicateLine { line }),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines { a, b }),
        1 => (any::<usize>(), "[ -~\t\n]{0,8}").prop_map(|(at, text)| Mutation::Insert { at, text }),
        1 => (any::<usize>(), 0usize..40).prop_map(|(at, len)| Mutation::Cut { at, len }),
        1 => (any::<usize>(), 0usize..9).prop_map(|(line, spaces)| Mutation::Indent { line, spaces }),
    ]
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if lines.is_empty() {
        lines.push(String::new());
    }
    let pick = |i: usize| i % lines.len();
    match m {
        Mutation::Value { line, token } => {
            let i = pick(*line);
            if let Some(colon) = lines[i].find(": ") {
                lines[i] = format!("{}: {}", &lines[i][..colon], TOKENS[*token]);
            } else if let Some(dash) = lines[i].find("- ") {
                lines[i] = format!("{}- {}", &lines[i][..dash], TOKENS[*token]);
            }
        }
        Mutation::Key { line, token } => {
            let i = pick(*line);
            if let Some(colon) = lines[i].find(':') {
                let indent = lines[i].len() - lines[i].trim_start().len();
                lines[i] = format!(
                    "{}{}{}",
                    &lines[i][..indent],
                    TOKENS[*token],
                    &lines[i][colon..]
                );
            }
        }
        Mutation::DeleteLine { line } => {
            let i = pick(*line);
            lines.remove(i);
        }
        Mutation::DuplicateLine { line } => {
            let i = pick(*line);
            let copy = lines[i].clone();
            lines.insert(i, copy);
        }
        Mutation::SwapLines { a, b } => {
            let (a, b) = (pick(*a), pick(*b));
            lines.swap(a, b);
        }
        Mutation::Indent { line, spaces } => {
            let i = pick(*line);
            lines[i] = format!("{}{}", " ".repeat(*spaces), lines[i].trim_start());
        }
        Mutation::Insert { at, text: insert } => {
            let mut out = text.to_string();
            let at = floor_boundary(&out, at % (out.len() + 1));
            out.insert_str(at, insert);
            return out;
        }
        Mutation::Cut { at, len } => {
            let mut out = text.to_string();
            let start = floor_boundary(&out, at % (out.len() + 1));
            let end = floor_boundary(&out, start.saturating_add(*len));
            out.replace_range(start..end, "");
            return out;
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// Writes the fixture spec with `replace` (file, text) laid over it, and loads it; if it
/// loads, generates. `Ok(None)`: the spec has problems (properly reported).
fn load_with(
    replace: &[(&str, String)],
) -> Result<Option<Vec<cos_ci_codegen::GeneratedFile>>, String> {
    let root = tempfile::tempdir().map_err(|e| e.to_string())?;
    let spec = root.path().join("spec");
    std::fs::create_dir_all(spec.join("operations")).map_err(|e| e.to_string())?;
    for file in FILES {
        let text = replace
            .iter()
            .find(|(f, _)| *f == file)
            .map(|(_, t)| t.clone())
            .unwrap_or_else(|| fixture_text(file));
        std::fs::write(spec.join(file), text).map_err(|e| e.to_string())?;
    }
    match cos_ci_codegen::load(&spec) {
        Err(diagnostics) => {
            // Every problem names its file, relative to the root.
            for d in &diagnostics.0 {
                prop_assert_ok(d.file.starts_with("spec/"), &d.to_string())?;
                prop_assert_ok(!d.message.is_empty(), &d.to_string())?;
            }
            prop_assert_ok(!diagnostics.0.is_empty(), "an error without diagnostics")?;
            Ok(None)
        }
        Ok(checked) => match cos_ci_codegen::generate(&checked) {
            Ok(files) => Ok(Some(files)),
            Err(e) => Err(format!("a spec that loads does not generate: {e}")),
        },
    }
}

trait Contains {
    fn contains_path(&self, text: &str) -> bool;
}

impl Contains for cos_ci_codegen::GeneratedFile {
    fn contains_path(&self, text: &str) -> bool {
        self.contents.contains(text)
    }
}

fn prop_assert_ok(ok: bool, what: &str) -> Result<(), String> {
    if ok { Ok(()) } else { Err(what.to_string()) }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mangled_fixture_files(
        file in 0..FILES.len(),
        mutations in proptest::collection::vec(mutation(), 1..5),
    ) {
        let mut text = fixture_text(FILES[file]);
        for m in &mutations {
            text = apply(&text, m);
        }
        let result = load_with(&[(FILES[file], text.clone())]);
        prop_assert!(result.is_ok(), "{}\n--- {} ---\n{}", result.unwrap_err(), FILES[file], text);
    }

    #[test]
    fn random_text_as_an_operation(text in "[ -~\t\n]{0,400}") {
        let result = load_with(&[("operations/image-tune.yaml", text.clone())]);
        prop_assert!(result.is_ok(), "{}\n{}", result.unwrap_err(), text);
    }

    #[test]
    fn random_yamlish_text(
        parts in proptest::collection::vec(
            prop_oneof![
                (0..TOKENS.len()).prop_map(|i| TOKENS[i].to_string()),
                Just("\n".to_string()),
                Just("  ".to_string()),
                Just(": ".to_string()),
                Just("- ".to_string()),
            ],
            0..80,
        )
    ) {
        let text = parts.concat();
        let result = load_with(&[("service.yaml", text.clone())]);
        prop_assert!(result.is_ok(), "{}\n{}", result.unwrap_err(), text);
        let result = load_with(&[("operations/image-inspect.yaml", text.clone())]);
        prop_assert!(result.is_ok(), "{}\n{}", result.unwrap_err(), text);
    }
}

#[test]
fn deep_nesting_and_alias_bombs_are_refused_quickly() {
    for text in [
        "[".repeat(100_000),
        "{a: ".repeat(50_000),
        (0..2_000)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect::<String>(),
        format!(
            "params:\n  x:\n    type: integer\n    range: {}",
            "[".repeat(300)
        ),
        // Aliases that expand to ten billion items, where the model takes any value.
        (1..10).fold(
            "name: ImageTune\nexamples:\n  - params:\n      a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
                .to_string(),
            |text, i| {
                let p = i - 1;
                let items = vec![format!("*a{p}"); 10].join(", ");
                format!("{text}      a{i}: &a{i} [{items}]\n")
            },
        ),
    ] {
        let result = load_with(&[("operations/image-tune.yaml", text)]);
        assert!(result.is_ok(), "{result:?}");
    }
}

#[test]
fn hostile_but_valid_names_generate_code_that_parses() {
    // Parameters named after Rust keywords and after the runtime's own types, XML nodes
    // named like them too: all of it must load and give code that parses.
    let op = fixture_text("operations/image-tune.yaml")
        .replace("  level:\n", "  self:\n")
        .replace("level: -5, ", "self: -5, ")
        .replace("&level=-5&", "&self=-5&")
        .replace(
            "{ type: photo, level: 11 }\n    error: level",
            "{ type: photo, self: 11 }\n    error: self",
        )
        .replace("  scale:\n", "  mode:\n")
        .replace("scale: 4, ", "mode: 4, ")
        .replace("&scale=4&", "&mode=4&")
        .replace("factor: scale", "factor: mode")
        .replace("  label:\n", "  box:\n")
        .replace("label: hello, ", "box: hello, ")
        .replace("&label=hello&", "&box=hello&");
    assert!(op.contains("  self:\n") && op.contains("  mode:\n") && op.contains("  box:\n"));
    let inspect = fixture_text("operations/image-inspect.yaml")
        .replace("      Valid:", "      Value:")
        .replace("rust_name: FaceBox", "rust_name: Operation");
    let root = tempfile::tempdir().expect("tempdir");
    let spec = root.path().join("spec");
    std::fs::create_dir_all(spec.join("operations")).expect("mkdir");
    std::fs::write(spec.join("service.yaml"), fixture_text("service.yaml")).expect("write");
    std::fs::write(spec.join("operations/image-tune.yaml"), op).expect("write");
    std::fs::write(spec.join("operations/image-inspect.yaml"), inspect).expect("write");
    let checked = match cos_ci_codegen::load(&spec) {
        Ok(checked) => checked,
        Err(d) => panic!("{d}"),
    };
    let files = cos_ci_codegen::generate(&checked).expect("generate");
    let tune = files
        .iter()
        .find(|f| {
            f.path
                .ends_with("cos-ci-validate/src/generated/image_tune.rs")
        })
        .expect("the operation module");
    // The parameter `mode` declares `enum Mode`, so the runtime's types go by full paths.
    assert!(tune.contains_path("pub enum Mode"), "{}", tune.contents);
    assert!(
        tune.contains_path("cos_ci_validate::Mode::Download"),
        "{}",
        tune.contents
    );
    assert!(
        tune.contains_path("pub self_: Option<i64>"),
        "{}",
        tune.contents
    );
    assert!(tune.contains_path("pub r#box:"), "{}", tune.contents);
}

#[test]
fn a_text_value_starting_with_a_digit_gets_a_prefixed_variant() {
    // It gave the variant `2k`, which is no identifier.
    let text = fixture_text("operations/image-tune.yaml").replacen(
        "values: [photo, line-art]",
        "values: [photo, line-art, 2k]",
        1,
    );
    let files = match load_with(&[("operations/image-tune.yaml", text)]) {
        Ok(Some(files)) => files,
        other => panic!("{other:?}"),
    };
    let tune = files
        .iter()
        .find(|f| {
            f.path
                .ends_with("cos-ci-validate/src/generated/image_tune.rs")
        })
        .expect("the operation module");
    assert!(tune.contains_path("V2k,"), "{}", tune.contents);
    assert!(
        tune.contains_path("\"2k\" => Some(Type::V2k)"),
        "{}",
        tune.contents
    );
}

/// Specs that made the generator panic or emit code that does not parse, before the checks
/// caught them: each is now either reported or generated.
#[test]
fn former_panics_are_reported() {
    let cases: &[(&str, &str, &str)] = &[
        // An XML node `_` gave an empty field name.
        (
            "operations/image-inspect.yaml",
            "      Valid: {",
            "      _: {",
        ),
        // A NaN bound was printed as a float literal.
        (
            "operations/image-tune.yaml",
            "range: [0.5, 2.5]",
            "range: [.nan, 2.5]",
        ),
        (
            "operations/image-inspect.yaml",
            "example: 0.75",
            "example: .nan",
        ),
        // Names that are no Rust identifiers.
        (
            "operations/image-inspect.yaml",
            "rust_name: FaceBox",
            "rust_name: Face Box",
        ),
        ("service.yaml", "field: etag", "field: e tag"),
        (
            "operations/image-tune.yaml",
            "variant_prefix: X",
            "variant_prefix: \"\"",
        ),
        (
            "operations/image-tune.yaml",
            "names: [dx, dy]",
            "names: [type, dy]",
        ),
        (
            "operations/image-tune.yaml",
            "names: [dx, dy]",
            "names: [dx, dx]",
        ),
        ("service.yaml", "InternalError: {", "500: {"),
        (
            "service.yaml",
            "rust_name: ProcessedObject",
            "rust_name: Limits",
        ),
        // A positive example without the required `type` had no value for `new`.
        (
            "operations/image-tune.yaml",
            "  - params: { type: photo }\n",
            "  - params: {}\n",
        ),
        // Two response containers with one type name, a container named like a parameter type.
        (
            "operations/image-inspect.yaml",
            "rust_name: FaceBox",
            "rust_name: InspectAnswer",
        ),
    ];
    for (file, from, to) in cases {
        let text = fixture_text(file);
        assert!(text.contains(from), "{file}: `{from}`");
        let result = load_with(&[(file, text.replacen(from, to, 1))]);
        match result {
            Ok(None) => {}
            Ok(Some(_)) => panic!("{file}: `{to}` was accepted"),
            Err(e) => panic!("{file}: `{to}`: {e}"),
        }
    }
}
