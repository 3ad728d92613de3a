//! `cargo xtask codegen [--check]`: regenerate the generated modules from `spec/`, or (with
//! `--check`) fail naming every stale, missing or extra file without writing anything.
//!
//! `cargo xtask test`: the Rust tests, then the official Python and Node SDKs against the
//! mock (see `test.rs`).
//!
//! `cargo xtask deps [--max N] [--list]`: how many crates a downstream test compiles (see
//! `deps.rs`).
//!
//! `cargo xtask downstream [--packaged]`: build and test `examples/downstream/` against this
//! repository's crates (see `downstream.rs`).

mod bench;
mod deps;
mod downstream;
mod test;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask codegen [--check]\n       cargo xtask test [--python-only] [--node-only] [-- PYTEST_OR_NODE_ARGS...]\n       cargo xtask deps [--max N] [--list] [--mock-default-features]\n       cargo xtask downstream [--packaged]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = match workspace_root() {
        Ok(root) => root,
        Err(message) => {
            eprintln!("xtask: {message}");
            return ExitCode::FAILURE;
        }
    };
    if args.first().map(String::as_str) == Some("bench") {
        return bench::main(&root, &args[1..]);
    }
    if args.first().map(String::as_str) == Some("deps") {
        return deps::main(&root, &args[1..]);
    }
    if args.first().map(String::as_str) == Some("downstream") {
        return match downstream::main(&root, &args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("xtask downstream: {message}");
                ExitCode::FAILURE
            }
        };
    }
    if args.first().map(String::as_str) == Some("test") {
        let result =
            test::Options::parse(&args[1..]).and_then(|options| test::run(&root, &options));
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
    match codegen(&root, check) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// The checkout to work on, found at run time: with a shared `CARGO_TARGET_DIR` one xtask
/// binary serves several checkouts, so the path compiled into it may name another tree.
/// `cargo run` (what `cargo xtask` is) sets `CARGO_MANIFEST_DIR` to this checkout's `xtask/`;
/// without it, `cargo locate-project --workspace` from the current directory.
fn workspace_root() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("CARGO_MANIFEST_DIR") {
        let xtask = PathBuf::from(dir);
        return xtask.parent().map(Path::to_path_buf).ok_or_else(|| {
            format!(
                "CARGO_MANIFEST_DIR {} has no parent directory",
                xtask.display()
            )
        });
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = std::process::Command::new(cargo)
        .args(["locate-project", "--workspace", "--message-format", "plain"])
        .output()
        .map_err(|e| format!("cannot run `cargo locate-project`: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cannot find the workspace: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let manifest = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    manifest
        .parent()
        .map(Path::to_path_buf)
        .ok_or_else(|| format!("{} has no parent directory", manifest.display()))
}

fn codegen(root: &Path, check: bool) -> Result<(), String> {
    let generator = cos_ci_codegen::Generator::new(root.join("spec"), root)
        .with_target(cos_ci_codegen::Target::Workspace);
    if check {
        return match generator.check() {
            Ok(count) => {
                println!("generated code is up to date ({count} files)");
                Ok(())
            }
            Err(cos_ci_codegen::Error::Stale(drift)) => {
                let list: Vec<String> = drift.iter().map(|d| format!("  {d}")).collect();
                Err(format!(
                    "generated code is out of date with spec/:\n{}\nrun `cargo xtask codegen` and commit the result",
                    list.join("\n")
                ))
            }
            Err(e) => Err(e.to_string()),
        };
    }
    let count = generator.files().map_err(|e| e.to_string())?.len();
    let changed = generator.write().map_err(|e| e.to_string())?;
    for d in &changed {
        println!("{d}");
    }
    println!("{count} generated files, {} changed", changed.len());
    Ok(())
}
