//! `cargo xtask codegen [--check]`: regenerate the generated modules from `spec/`, or (with
//! `--check`) fail naming every stale, missing or extra file without writing anything.
//!
//! `cargo xtask test`: the Rust tests, then the official Python SDK against the mock
//! (see `test.rs`).

mod bench;
mod test;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask codegen [--check]\n       cargo xtask test [--python-only] [-- PYTEST_ARGS...]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("bench") {
        return bench::main(&workspace_root(), &args[1..]);
    }
    if args.first().map(String::as_str) == Some("test") {
        let result = test::Options::parse(&args[1..])
            .and_then(|options| test::run(&workspace_root(), &options));
        return match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("xtask test: {message}");
                ExitCode::FAILURE
            }
        };
    }
    let check = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["codegen"] => false,
        ["codegen", "--check"] => true,
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match codegen(&workspace_root(), check) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    // xtask lives in <root>/xtask.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn codegen(root: &Path, check: bool) -> Result<(), String> {
    let spec = cos_ci_codegen::load(&root.join("spec")).map_err(|d| d.to_string())?;
    let files = cos_ci_codegen::generate(&spec)?;
    if check {
        let drift = cos_ci_codegen::diff(root, &files).map_err(|e| e.to_string())?;
        if drift.is_empty() {
            println!("generated code is up to date ({} files)", files.len());
            return Ok(());
        }
        let list: Vec<String> = drift.iter().map(|d| format!("  {d}")).collect();
        return Err(format!(
            "generated code is out of date with spec/:\n{}\nrun `cargo xtask codegen` and commit the result",
            list.join("\n")
        ));
    }
    let changed = cos_ci_codegen::apply(root, &files).map_err(|e| e.to_string())?;
    for d in &changed {
        println!("{d}");
    }
    println!("{} generated files, {} changed", files.len(), changed.len());
    Ok(())
}
