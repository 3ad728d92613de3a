//! `cargo xtask deps`: the counting of `cargo tree` output, the probe's manifest, and one run
//! over this checkout (needs the registry's index cached, compiles nothing).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../src/deps.rs"]
#[allow(dead_code)]
mod deps;

use std::path::Path;
use std::process::Command;

const TREE: &str = "\
cos-ci-downstream-probe v0.0.0 (/tmp/x)
cos-ci-client v0.1.0 (/work/crates/cos-ci-client)
bytes v1.11.0
tokio v1.48.0
bytes v1.11.0
pin-project-lite v0.2.16
cos-ci-mock v0.1.0 (/work/crates/cos-ci-mock)
tokio v1.48.0 (*)
syn v2.0.110
syn v1.0.109
serde_derive v1.0.228 (proc-macro)

cos-ci-client v0.1.0 (/work/crates/cos-ci-client) (*)
";

#[test]
fn each_name_and_version_counts_once_without_the_probe() {
    let crates = deps::crates_in_tree(TREE);
    let names: Vec<&str> = crates.iter().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "bytes v1.11.0",
            "cos-ci-client v0.1.0",
            "cos-ci-mock v0.1.0",
            "pin-project-lite v0.2.16",
            "serde_derive v1.0.228",
            "syn v1.0.109",
            "syn v2.0.110",
            "tokio v1.48.0",
        ]
    );
}

#[test]
fn options_default_to_the_budget_and_reject_garbage() {
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let o = deps::Options::parse(&[]).unwrap();
    assert_eq!(
        (o.max, o.list, o.mock_default_features),
        (110, false, false)
    );
    let o = deps::Options::parse(&args(&["--max", "90", "--list"])).unwrap();
    assert_eq!((o.max, o.list), (90, true));
    assert!(deps::Options::parse(&args(&["--max"])).is_err());
    assert!(deps::Options::parse(&args(&["--max", "many"])).is_err());
    assert!(deps::Options::parse(&args(&["--frobnicate"])).is_err());
}

#[test]
fn the_probe_turns_the_mock_defaults_off() {
    let manifest = deps::probe_manifest(Path::new("/r"), false, true);
    assert!(manifest.contains("cos-ci-client = { path = \"/r/crates/cos-ci-client\" }"));
    assert!(
        manifest.contains(
            "cos-ci-mock = { path = \"/r/crates/cos-ci-mock\", default-features = false }"
        )
    );
    assert!(deps::probe_manifest(Path::new("/r"), true, true).contains("default-features = true"));
    // The gated figure is the mock's alone.
    assert!(!deps::probe_manifest(Path::new("/r"), false, false).contains("cos-ci-client"));
}

#[test]
fn the_command_counts_this_checkout_and_enforces_max() {
    let xtask = env!("CARGO_BIN_EXE_xtask");
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let run = |max: &str| {
        Command::new(xtask)
            .args(["deps", "--max", max])
            .env("CARGO_MANIFEST_DIR", concat!(env!("CARGO_MANIFEST_DIR")))
            .current_dir(root)
            .output()
            .unwrap()
    };
    let ok = run("100000");
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(
        ok.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let count: usize = stdout
        .split(" compiles ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect(&stdout);
    // The client alone needs tokio, reqwest, rustls and more: a tiny count is a parse bug.
    assert!(count > 30, "{stdout}");
    let over = run(&(count - 1).to_string());
    assert!(
        !over.status.success(),
        "{}",
        String::from_utf8_lossy(&over.stdout)
    );
}
