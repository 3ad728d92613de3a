//! `cargo xtask downstream [--packaged]`: build and test `examples/downstream/` (a crate with its
//! own workspace that depends on cos-ci's crates by version, as a user's crate does) against
//! this repository's crates, through `[patch.crates-io]` given on the command line:
//!
//! - without `--packaged`, the sources under `crates/` and `codegen/` (local development);
//! - with `--packaged`, what `cargo package` unpacked under `$CARGO_TARGET_DIR/package/`, so
//!   the example sees exactly the files a `.crate` ships (run `cargo package` first).
//!
//! It runs `cargo fmt --check`, `cargo clippy --all-targets -D warnings` and `cargo test`
//! there, with its own target dir (`<target>/downstream`) so its lock file never mixes with
//! the workspace's builds.

use std::path::{Path, PathBuf};
use std::process::Command;

pub const USAGE: &str = "cargo xtask downstream [--packaged]";

/// The example's path, relative to the workspace root.
const EXAMPLE: &str = "examples/downstream";

/// The crates the example uses (directly or through each other) and their folders.
const CRATES: [(&str, &str); 6] = [
    ("cos-ci-core", "crates/cos-ci-core"),
    ("cos-ci-sign", "crates/cos-ci-sign"),
    ("cos-ci-validate", "crates/cos-ci-validate"),
    ("cos-ci-client", "crates/cos-ci-client"),
    ("cos-ci-mock", "crates/cos-ci-mock"),
    ("cos-ci-codegen", "codegen"),
];

pub fn main(root: &Path, args: &[String]) -> Result<(), String> {
    let packaged = match args {
        [] => false,
        [flag] if flag == "--packaged" => true,
        _ => return Err(format!("usage: {USAGE}")),
    };
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|t| if t.is_absolute() { t } else { root.join(t) })
        .unwrap_or_else(|| root.join("target"));
    let version = env!("CARGO_PKG_VERSION");
    let mut patches = Vec::new();
    for (name, dir) in CRATES {
        let path = if packaged {
            target.join("package").join(format!("{name}-{version}"))
        } else {
            root.join(dir)
        };
        if !path.join("Cargo.toml").is_file() {
            let hint = if packaged {
                " (run `cargo package --workspace --exclude xtask --exclude cos-ci-tests` first)"
            } else {
                ""
            };
            return Err(format!("{} has no Cargo.toml{hint}", path.display()));
        }
        // A TOML string: the path quoted, backslashes and quotes escaped.
        let quoted = format!(
            "\"{}\"",
            path.display()
                .to_string()
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
        );
        patches.push(format!("patch.crates-io.{name}.path={quoted}"));
    }
    let example = root.join(EXAMPLE);
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // The example's CLI test runs `cos-ci --spec`: the binary built from this checkout (its
    // packaged sources are the same files, verified by `cargo package`).
    println!("==> cargo build -p cos-ci-cli --bin cos-ci");
    let built = Command::new(&cargo)
        .args(["build", "-p", "cos-ci-cli", "--bin", "cos-ci"])
        .current_dir(root)
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !built.success() {
        return Err("`cargo build -p cos-ci-cli` failed".into());
    }
    let cli = target
        .join("debug")
        .join(format!("cos-ci{}", std::env::consts::EXE_SUFFIX));
    let run = |args: &[&str], with_patches: bool| -> Result<(), String> {
        let (subcommand, rest) = args.split_first().ok_or("no cargo subcommand")?;
        let mut command = Command::new(&cargo);
        command.arg(subcommand);
        // `--config` right after the subcommand: `cargo clippy` hands what follows it (up to
        // `--`) to the cargo it runs, but not global options given before it.
        if with_patches {
            for patch in &patches {
                command.arg("--config").arg(patch);
            }
        }
        command
            .args(rest)
            .current_dir(&example)
            .env("CARGO_TARGET_DIR", target.join("downstream"))
            .env("COS_CI_BIN", &cli)
            // cargo run sets these for xtask; the example is another package.
            .env_remove("CARGO_MANIFEST_DIR")
            .env_remove("CARGO_PKG_NAME");
        println!("==> cargo {} ({})", args.join(" "), EXAMPLE);
        let status = command
            .status()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("`cargo {}` in {EXAMPLE} failed", args.join(" ")))
        }
    };
    run(&["fmt", "--", "--check"], false)?;
    run(&["clippy", "--all-targets", "--", "-D", "warnings"], true)?;
    run(&["test"], true)?;
    Ok(())
}
