//! The README's "Use it from your own crate" section shows parts of this crate: every Rust and
//! TOML snippet there follows a `<!-- snippet: examples/downstream/FILE -->` line and must be
//! a verbatim run of lines of FILE, so each one compiles (and the tests among them run).

use std::path::Path;

const SECTION: &str = "## Use it from your own crate";
const MARKER: &str = "<!-- snippet: examples/downstream/";

/// The section of the README, up to the next `## ` heading.
fn section(readme: &str) -> &str {
    let start = readme.find(SECTION).expect("the README has the section");
    let rest = &readme[start + SECTION.len()..];
    &rest[..rest.find("\n## ").unwrap_or(rest.len())]
}

/// Each fenced block of the section: (its language, its body, the file its marker names).
fn snippets(section: &str) -> Vec<(String, String, Option<String>)> {
    let mut out = Vec::new();
    let mut lines = section.lines().peekable();
    let mut marker: Option<String> = None;
    while let Some(line) = lines.next() {
        if let Some(rest) = line.strip_prefix(MARKER) {
            marker = rest.strip_suffix(" -->").map(str::to_string);
            continue;
        }
        if let Some(lang) = line.strip_prefix("```") {
            let mut body = String::new();
            for inner in lines.by_ref() {
                if inner == "```" {
                    break;
                }
                body.push_str(inner);
                body.push('\n');
            }
            out.push((lang.to_string(), body, marker.take()));
        } else if !line.trim().is_empty() {
            marker = None;
        }
    }
    out
}

#[test]
fn every_readme_snippet_is_part_of_this_crate() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(crate_dir.join("../../README.md")).expect("README.md");
    let snippets = snippets(section(&readme));
    let checked = snippets
        .iter()
        .filter(|(lang, ..)| lang == "rust" || lang == "toml")
        .count();
    assert!(checked >= 4, "found {checked} Rust/TOML snippets");
    for (lang, body, file) in &snippets {
        if lang != "rust" && lang != "toml" {
            continue;
        }
        let file = file
            .as_ref()
            .unwrap_or_else(|| panic!("a {lang} snippet has no `{MARKER}FILE -->` line:\n{body}"));
        let text =
            std::fs::read_to_string(crate_dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        // Whole lines only: the snippet starts at a line start of the file.
        let found = text.starts_with(body.as_str()) || text.contains(&format!("\n{body}"));
        assert!(found, "the README's snippet is not in {file}:\n{body}");
    }
}

#[test]
fn the_readme_commands_are_the_ones_the_freshness_test_names() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(crate_dir.join("../../README.md")).expect("README.md");
    let section = section(&readme);
    assert!(section.contains("cos-ci-codegen --spec spec --out src/generated --check"));
    assert!(section.contains("cos-ci-codegen --spec spec --out src/generated "));
}
