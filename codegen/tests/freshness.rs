//! The generated code checked into the workspace is what the spec generates, and `diff` /
//! `apply` (what `cargo xtask codegen [--check]` runs) name and fix exactly what a spec edit
//! makes stale, missing or extra.
//!
//! Every test works on a copy of `spec/` and the three generated folders in a temporary
//! folder, so nothing in the workspace is ever written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use cos_ci_codegen::{Drift, GENERATED_DIRS};

fn workspace() -> PathBuf {
    let codegen = Path::new(env!("CARGO_MANIFEST_DIR"));
    codegen.parent().unwrap_or(codegen).to_path_buf()
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("read folder") {
        let path = entry.expect("read entry").path();
        let target = to.join(path.file_name().expect("file name"));
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy file");
        }
    }
}

/// A temporary workspace root holding copies of `spec/` and the generated folders.
fn copy_of_workspace() -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("tempdir");
    let from = workspace();
    copy_tree(&from.join("spec"), &root.path().join("spec"));
    for dir in GENERATED_DIRS {
        copy_tree(&from.join(dir), &root.path().join(dir));
    }
    root
}

fn generate(root: &Path) -> Vec<cos_ci_codegen::GeneratedFile> {
    let spec = match cos_ci_codegen::load(&root.join("spec")) {
        Ok(spec) => spec,
        Err(d) => panic!("the spec does not load:\n{d}"),
    };
    cos_ci_codegen::generate(&spec).expect("generate")
}

fn diff(root: &Path) -> Vec<Drift> {
    cos_ci_codegen::diff(root, &generate(root)).expect("diff")
}

/// Replaces `from` (which must occur once) with `to` in the spec file `file`.
fn edit(root: &Path, file: &str, from: &str, to: &str) {
    let path = root.join("spec").join(file);
    let text = std::fs::read_to_string(&path).expect("read spec file");
    assert_eq!(text.matches(from).count(), 1, "`{from}` in {file}");
    std::fs::write(&path, text.replace(from, to)).expect("write spec file");
}

/// Every file under `root` with its modification time and contents.
fn tree_state(root: &Path) -> BTreeMap<PathBuf, (SystemTime, Vec<u8>)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let modified = std::fs::metadata(&path)
                    .and_then(|m| m.modified())
                    .expect("mtime");
                let contents = std::fs::read(&path).expect("read");
                out.insert(path, (modified, contents));
            }
        }
    }
    out
}

fn stale(paths: &[&str]) -> Vec<Drift> {
    paths.iter().map(|p| Drift::Stale(p.to_string())).collect()
}

fn sorted(mut drift: Vec<Drift>) -> Vec<Drift> {
    drift.sort_by_key(ToString::to_string);
    drift
}

/// Applies, then checks the generated folders match the spec again.
fn apply_fixes(root: &Path, expected: &[Drift]) {
    let files = generate(root);
    let changed = cos_ci_codegen::apply(root, &files).expect("apply");
    assert_eq!(sorted(changed), sorted(expected.to_vec()));
    assert_eq!(diff(root), Vec::new(), "apply left drift behind");
    for file in &files {
        let on_disk = std::fs::read_to_string(root.join(&file.path)).expect("generated file");
        assert_eq!(on_disk, file.contents, "{}", file.path);
    }
}

#[test]
fn checked_in_generated_code_is_fresh() {
    let root = copy_of_workspace();
    let drift = diff(root.path());
    let list: Vec<String> = drift.iter().map(ToString::to_string).collect();
    assert!(
        drift.is_empty(),
        "the generated code is out of date with spec/:\n{}\nrun `cargo xtask codegen`",
        list.join("\n")
    );
}

#[test]
fn a_changed_summary_makes_every_file_that_shows_it_stale() {
    let root = copy_of_workspace();
    edit(
        root.path(),
        "operations/ai-enhance-image.yaml",
        "summary: Denoise and sharpen an image.",
        "summary: Denoise and then sharpen an image.",
    );
    let expected = stale(&[
        "crates/cos-ci-validate/src/generated/ai_enhance_image.rs",
        "crates/cos-ci-client/src/generated/ai_enhance_image.rs",
    ]);
    assert_eq!(sorted(diff(root.path())), sorted(expected.clone()));
    apply_fixes(root.path(), &expected);
}

#[test]
fn a_changed_default_makes_the_operation_module_stale() {
    let root = copy_of_workspace();
    edit(
        root.path(),
        "operations/ai-enhance-image.yaml",
        "range: [0, 5]\n    default: 3\n    doc: Noise",
        "range: [0, 5]\n    default: 2\n    doc: Noise",
    );
    let expected = stale(&["crates/cos-ci-validate/src/generated/ai_enhance_image.rs"]);
    assert_eq!(diff(root.path()), expected);
    apply_fixes(root.path(), &expected);
}

#[test]
fn a_changed_range_makes_the_operation_module_stale() {
    let root = copy_of_workspace();
    edit(
        root.path(),
        "operations/detect-face.yaml",
        "range: [1, 120]",
        "range: [1, 200]",
    );
    // The error example (`max-face-num: 121`) is inside the new range.
    edit(
        root.path(),
        "operations/detect-face.yaml",
        "max-face-num: 121",
        "max-face-num: 201",
    );
    let expected = stale(&["crates/cos-ci-validate/src/generated/detect_face.rs"]);
    assert_eq!(diff(root.path()), expected);
    apply_fixes(root.path(), &expected);
}

#[test]
fn a_changed_shape_makes_every_operation_using_it_stale() {
    let root = copy_of_workspace();
    edit(
        root.path(),
        "service.yaml",
        "range: [0, 1000]",
        "range: [0, 2000]",
    );
    // The error example of AIPicMatting (`padding-layout: 1001x0`) is inside the new range.
    edit(
        root.path(),
        "operations/ai-pic-matting.yaml",
        "padding-layout: 1001x0",
        "padding-layout: 2001x0",
    );
    // Every operation of the shape checks the new range.
    let expected = stale(&[
        "crates/cos-ci-validate/src/generated/ai_pic_matting.rs",
        "crates/cos-ci-validate/src/generated/ai_portrait_matting.rs",
        "crates/cos-ci-validate/src/generated/goods_matting.rs",
    ]);
    assert_eq!(sorted(diff(root.path())), expected);
    apply_fixes(root.path(), &expected);
}

#[test]
fn a_comment_changes_nothing() {
    let root = copy_of_workspace();
    edit(
        root.path(),
        "operations/ai-enhance-image.yaml",
        "name: AIEnhanceImage\n",
        "# A comment.\nname: AIEnhanceImage\n",
    );
    assert_eq!(diff(root.path()), Vec::new());
}

#[test]
fn a_deleted_operation_loses_its_files_everywhere() {
    let root = copy_of_workspace();
    std::fs::remove_file(root.path().join("spec/operations/ai-pic-matting.yaml"))
        .expect("delete the operation");
    let mut expected = stale(&[
        "crates/cos-ci-validate/src/generated/mod.rs",
        "crates/cos-ci-client/src/generated/mod.rs",
    ]);
    // An image operation has no file in the mock: its route is its SPEC.
    let extra = [
        "crates/cos-ci-validate/src/generated/ai_pic_matting.rs",
        "crates/cos-ci-client/src/generated/ai_pic_matting.rs",
    ];
    expected.extend(extra.iter().map(|p| Drift::Extra(p.to_string())));
    assert_eq!(sorted(diff(root.path())), sorted(expected.clone()));
    apply_fixes(root.path(), &expected);
    for path in extra {
        assert!(!root.path().join(path).exists(), "{path} is still there");
    }
    let index = std::fs::read_to_string(
        root.path()
            .join("crates/cos-ci-validate/src/generated/mod.rs"),
    )
    .expect("index");
    assert!(!index.contains("ai_pic_matting"), "{index}");
}

#[test]
fn a_deleted_generated_file_is_missing_and_restored() {
    let root = copy_of_workspace();
    let path = "crates/cos-ci-client/src/generated/ai_super_resolution.rs";
    let before = std::fs::read(root.path().join(path)).expect("read");
    std::fs::remove_file(root.path().join(path)).expect("delete");
    let expected = vec![Drift::Missing(path.to_string())];
    assert_eq!(diff(root.path()), expected);
    apply_fixes(root.path(), &expected);
    assert_eq!(std::fs::read(root.path().join(path)).expect("read"), before);
}

#[test]
fn a_stray_file_in_a_generated_folder_is_extra() {
    let root = copy_of_workspace();
    let path = "crates/cos-ci-mock/src/generated/old_operation.rs";
    std::fs::write(root.path().join(path), "// left over\n").expect("write");
    let expected = vec![Drift::Extra(path.to_string())];
    assert_eq!(diff(root.path()), expected);
    apply_fixes(root.path(), &expected);
}

#[test]
fn diff_never_writes() {
    let root = copy_of_workspace();
    // Something stale, something missing and something extra at once.
    edit(
        root.path(),
        "operations/ai-enhance-image.yaml",
        "summary: Denoise and sharpen an image.",
        "summary: Sharpen.",
    );
    std::fs::remove_file(root.path().join("spec/operations/ai-image-coloring.yaml"))
        .expect("delete the operation");
    std::fs::remove_file(
        root.path()
            .join("crates/cos-ci-validate/src/generated/ai_super_resolution.rs"),
    )
    .expect("delete a generated file");
    let before = tree_state(root.path());
    let drift = diff(root.path());
    assert!(
        drift.iter().any(|d| matches!(d, Drift::Stale(_))),
        "{drift:?}"
    );
    assert!(
        drift.iter().any(|d| matches!(d, Drift::Missing(_))),
        "{drift:?}"
    );
    assert!(
        drift.iter().any(|d| matches!(d, Drift::Extra(_))),
        "{drift:?}"
    );
    let again = diff(root.path());
    assert_eq!(drift, again);
    assert!(tree_state(root.path()) == before, "diff changed the tree");
}

#[test]
fn drift_names_the_file_and_what_is_wrong() {
    let shown: Vec<String> = [
        Drift::Stale("a.rs".to_string()),
        Drift::Missing("b.rs".to_string()),
        Drift::Extra("c.rs".to_string()),
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    assert_eq!(shown, ["stale:   a.rs", "missing: b.rs", "extra:   c.rs"]);
}
