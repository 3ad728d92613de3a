//! One xtask binary, two checkouts: with a shared `CARGO_TARGET_DIR`, `cargo xtask` in either
//! checkout runs the same binary, and each run must regenerate its own tree (the one
//! `cargo run` names in `CARGO_MANIFEST_DIR`), never the tree the binary was built in.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const XTASK: &str = env!("CARGO_BIN_EXE_xtask");
const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// A checkout holding what codegen reads and writes: `spec/` and each crate's `src/generated/`.
fn checkout(into: &Path) -> PathBuf {
    let repo = Path::new(REPO);
    copy_dir(&repo.join("spec"), &into.join("spec"));
    for krate in ["cos-ci-validate", "cos-ci-client", "cos-ci-mock"] {
        let generated = Path::new("crates").join(krate).join("src/generated");
        copy_dir(&repo.join(&generated), &into.join(&generated));
    }
    fs::create_dir_all(into.join("xtask")).unwrap();
    into.to_path_buf()
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Runs the xtask binary as `cargo xtask` would from `checkout`.
fn xtask(checkout: &Path, args: &[&str]) -> std::process::Output {
    Command::new(XTASK)
        .args(args)
        .env("CARGO_MANIFEST_DIR", checkout.join("xtask"))
        .current_dir(checkout)
        .output()
        .unwrap()
}

#[test]
fn each_checkout_regenerates_its_own_tree() {
    let temp = tempfile::tempdir().unwrap();
    let a = checkout(&temp.path().join("a"));
    let b = checkout(&temp.path().join("b"));
    // Checkout b drops an operation: its generated module is now extra, a's is not.
    let yaml = b.join("spec/operations/ai-image-coloring.yaml");
    fs::remove_file(&yaml).unwrap();
    let b_module = b.join("crates/cos-ci-validate/src/generated/ai_image_coloring.rs");
    let a_module = a.join("crates/cos-ci-validate/src/generated/ai_image_coloring.rs");

    let check_a = xtask(&a, &["codegen", "--check"]);
    assert!(
        check_a.status.success(),
        "checkout a is up to date: {}",
        String::from_utf8_lossy(&check_a.stderr)
    );
    let check_b = xtask(&b, &["codegen", "--check"]);
    assert!(!check_b.status.success(), "checkout b is stale");
    assert!(
        String::from_utf8_lossy(&check_b.stderr).contains("ai_image_coloring.rs"),
        "{}",
        String::from_utf8_lossy(&check_b.stderr)
    );

    let apply_b = xtask(&b, &["codegen"]);
    assert!(
        apply_b.status.success(),
        "{}",
        String::from_utf8_lossy(&apply_b.stderr)
    );
    assert!(!b_module.exists(), "b's extra module is removed");
    assert!(a_module.exists(), "a is untouched");
    assert!(
        xtask(&a, &["codegen", "--check"]).status.success(),
        "a is still up to date"
    );
    assert!(
        xtask(&b, &["codegen", "--check"]).status.success(),
        "b is now up to date"
    );
}
