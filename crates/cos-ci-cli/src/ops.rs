//! `cos-ci ops`: the operations and their parameters, straight from the spec.

use std::fmt::Write;
use std::path::PathBuf;
use std::sync::OnceLock;

use cos_ci_client::{OPERATIONS, OpSpec};

/// The operations of `--spec DIR`, loaded once at start.
static LOADED: OnceLock<Vec<&'static OpSpec>> = OnceLock::new();

/// Loads the operations of every `--spec DIR` (once per process); a spec problem is a
/// usage error listing every `file:line:col: message`.
pub fn load(dirs: &[PathBuf]) -> Result<(), String> {
    if dirs.is_empty() {
        return Ok(());
    }
    let specs =
        cos_ci_validate::runtime::load_operations(dirs).map_err(|e| format!("--spec: {e}"))?;
    let _ = LOADED.set(specs);
    Ok(())
}

/// Every operation known: the built-in ones, then those of `--spec`.
fn all() -> impl Iterator<Item = &'static OpSpec> {
    OPERATIONS
        .iter()
        .copied()
        .chain(LOADED.get().into_iter().flatten().copied())
}

/// Finds an operation by ci-process name or file name (case-insensitive).
pub fn find(name: &str) -> Result<&'static OpSpec, String> {
    all()
        .find(|s| s.name.eq_ignore_ascii_case(name) || s.file.eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            let names: Vec<&str> = all().map(|s| s.name).collect();
            format!("unknown operation {name:?}; known: {}", names.join(", "))
        })
}

/// The listing `cos-ci ops --json` prints: one JSON object per operation, one a line.
pub fn describe_json() -> String {
    let mut out = String::new();
    for spec in all() {
        let modes: Vec<&str> = spec.modes.iter().map(|m| m.as_str()).collect();
        let params: Vec<serde_json::Value> = spec
            .params
            .iter()
            .map(|p| {
                serde_json::json!({
                    "Name": p.name,
                    "Allowed": p.kind.allowed(),
                    "Default": p.default,
                    "Required": p.required,
                    "Doc": p.doc,
                })
            })
            .collect();
        let value = serde_json::json!({
            "Name": spec.name,
            "File": spec.file,
            "Summary": spec.summary,
            "Modes": modes,
            "DetectUrl": spec.detect_url.is_some(),
            "Params": params,
        });
        let _ = writeln!(out, "{value}");
    }
    out
}

/// The listing `cos-ci ops` prints.
pub fn describe() -> String {
    let mut out = String::new();
    for spec in all() {
        let modes: Vec<&str> = spec.modes.iter().map(|m| m.as_str()).collect();
        let _ = writeln!(out, "{} ({})", spec.name, spec.file);
        let _ = writeln!(out, "  {}", spec.summary);
        let _ = writeln!(out, "  modes: {}", modes.join(", "));
        if spec.detect_url.is_some() {
            let _ = writeln!(out, "  source: object key or --detect-url");
        }
        if spec.params.is_empty() {
            let _ = writeln!(out, "  parameters: none");
        }
        for p in spec.params {
            let default = p
                .default
                .map(|d| format!(", default {d}"))
                .unwrap_or_default();
            let required = if p.required { ", required" } else { "" };
            let _ = writeln!(
                out,
                "  -p {}=<{}{default}{required}>",
                p.name,
                p.kind.allowed()
            );
            let _ = writeln!(out, "      {}", p.doc);
        }
        let _ = writeln!(out);
    }
    out
}
