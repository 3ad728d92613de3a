//! The diagnostics of broken specs, snapshotted.
//!
//! Every folder in `tests/broken/` (but `_base`) is one case: the valid spec in
//! `tests/broken/_base/spec` with the case's own files laid over it (same relative paths). The
//! case's diagnostics are rendered exactly as `cargo xtask codegen` prints them.

use std::path::{Path, PathBuf};

fn broken_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/broken")
}

/// Copies every file under `from` into `to`, keeping relative paths.
fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read case folder") {
        let path = entry.expect("read entry").path();
        let target = to.join(path.file_name().expect("file name"));
        if path.is_dir() {
            std::fs::create_dir_all(&target).expect("create folder");
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy file");
        }
    }
}

/// The spec of case `name`, laid out in a temporary workspace root.
fn case_root(name: &str) -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("tempdir");
    copy_tree(&broken_dir().join("_base"), root.path());
    copy_tree(&broken_dir().join(name), root.path());
    root
}

/// Loads case `name`; it must fail.
fn diagnostics(name: &str) -> cos_ci_codegen::Diagnostics {
    let root = case_root(name);
    match cos_ci_codegen::load(&root.path().join("spec")) {
        Ok(_) => panic!("case `{name}` loads without a problem"),
        Err(d) => d,
    }
}

/// Snapshots the rendered diagnostics of a case that has exactly one defect, which must be
/// reported once, with its file and line:col.
fn single(name: &str) {
    let d = diagnostics(name);
    let rendered = d.to_string();
    assert_eq!(d.0.len(), 1, "case `{name}`:\n{rendered}");
    let only = &d.0[0];
    assert!(only.position.is_some(), "no position: {only}");
    assert!(
        only.file.starts_with("spec/"),
        "not a relative path: {only}"
    );
    insta::assert_snapshot!(name, rendered);
}

#[test]
fn the_base_is_valid() {
    let root = case_root("_base");
    if let Err(d) = cos_ci_codegen::load(&root.path().join("spec")) {
        panic!("the base spec of the broken cases has problems:\n{d}");
    }
}

#[test]
fn every_case_has_a_test() {
    let mut cases: Vec<String> = std::fs::read_dir(broken_dir())
        .expect("read tests/broken")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n != "_base")
        .collect();
    cases.sort();
    let source = include_str!("diagnostics.rs");
    for case in cases {
        assert!(
            source.contains(&format!("\n    {case},\n"))
                || source.contains(&format!("(\"{case}\"")),
            "tests/broken/{case} has no test in diagnostics.rs"
        );
    }
}

/// Snapshots a case with several defects, every one reported with a position.
fn several(name: &str, count: usize) {
    let d = diagnostics(name);
    let rendered = d.to_string();
    assert_eq!(d.0.len(), count, "case `{name}`:\n{rendered}");
    for one in &d.0 {
        assert!(one.position.is_some(), "no position: {one}");
    }
    insta::assert_snapshot!(name, rendered);
}

#[test]
fn several_problems() {
    several("several_problems", 16);
}

#[test]
fn service_problems() {
    several("service_problems", 10);
}

#[test]
fn problems_in_every_file() {
    several("problems_in_every_file", 3);
}

#[test]
fn operation_file_yml() {
    // A problem with the file, not inside it: no position, the file alone.
    let d = diagnostics("operation_file_yml");
    assert_eq!(d.0.len(), 1, "{d}");
    assert_eq!(d.0[0].position, None);
    insta::assert_snapshot!("operation_file_yml", d.to_string());
}

macro_rules! single_defect {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                single(stringify!($name));
            }
        )*
    };
}

single_defect!(
    unknown_key,
    default_out_of_range,
    missing_type,
    duplicate_operation_name,
    duplicate_param,
    range_out_of_order,
    example_out_of_range,
    error_example_valid,
    unknown_mode,
    malformed_permission,
    permission_implied,
    node_without_type,
    node_with_type_and_nodes,
    unknown_processor,
    file_name_mismatch,
    yaml_syntax_error,
    wrong_value_type,
    number_range_not_finite,
    example_lacks_required,
    text_values_same_variant,
    duplicate_rust_field,
    rust_type_clash,
    multiple_documents,
    empty_operation,
    wrong_range_length,
    tab_indentation,
    unknown_encoding,
    unknown_host_kind,
    spelling_not_boolean,
    alias_reads_sibling,
    shape_written_inline,
    shape_nodes_written_inline,
    unknown_input,
    unknown_input_param,
    input_type_mismatch,
    input_without_default,
    input_not_fed,
    image_answered_by_xml,
    base64_with_example,
    json_answer_with_root,
    number_or_string_in_xml,
    op_error_bad_code,
    op_error_service_code,
    op_max_rules_too_high,
    flat_image_error_not_declared,
    exactly_one_without_detect_url,
    at_least_one_unknown_param,
    required_when_unknown_value,
    list_word_holds_separator,
    json_member_unknown_type,
    asked_by_unknown_member,
    upload_query_undeclared,
    upload_query_image_answer,
    json_answer_with_shape,
    unknown_operation_host,
    unknown_empty_values,
    present_when_not_a_list,
    rust_name_clash,
    rust_name_not_snake_case,
    source_none_with_upload,
    rule_form_without_upload,
    upload_result_without_upload,
    upload_result_node_clash,
    upload_result_type_differs,
);
