//! Operations loaded from YAML at run time (feature `runtime-spec`): the generator's checked
//! model turned into [`OpSpec`]s, so the mock and the CLI can serve and call operations they
//! have no generated code for.
//!
//! An [`OpSpec`] is `&'static` data; the loaded strings and tables are leaked to make them so.
//! Operations are loaded once per process (at start-up), so the leak is bounded by the size
//! of the files read.
//!
//! ```no_run
//! let ops = cos_ci_validate::runtime::load_operations(&["my-ops"]).map_err(|e| e.to_string())?;
//! for spec in &ops {
//!     println!("{} from {}", spec.name, spec.source());
//! }
//! # Ok::<(), String>(())
//! ```

use std::path::Path;

use cos_ci_codegen::ir;
pub use cos_ci_codegen::{Diagnostic, Diagnostics};

use crate::spec::{Limits, OpSpec, Output, ParamKind, ParamSpec, Processor, XmlNode, XmlType};

/// Why operation files could not be loaded: every problem found, each as
/// `file:line:col: message` where the position is known.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{diagnostics}")]
pub struct Error {
    /// The problems, in file order.
    pub diagnostics: Diagnostics,
}

/// Loads the operation files (`*.yaml`) in each of `dirs` (or in its `operations/` folder when
/// it has one, as a spec folder does), checked as `cargo xtask codegen`
/// checks the built-in ones (against the built-in `service.yaml`).
///
/// An operation whose name (or file name) is one of the built-in operations', or another
/// loaded file's, is refused, naming both files.
pub fn load_operations<P: AsRef<Path>>(dirs: &[P]) -> Result<Vec<&'static OpSpec>, Error> {
    // A spec folder (as `cos-ci-codegen --spec` takes) holds its operations in `operations/`.
    let dirs: Vec<std::path::PathBuf> = dirs
        .iter()
        .map(|dir| {
            let nested = dir.as_ref().join("operations");
            if nested.is_dir() {
                nested
            } else {
                dir.as_ref().to_path_buf()
            }
        })
        .collect();
    let dirs: Vec<&Path> = dirs.iter().map(std::path::PathBuf::as_path).collect();
    let ops = cos_ci_codegen::load_operations(cos_ci_codegen::BUILTIN_SERVICE, &dirs)
        .map_err(|diagnostics| Error { diagnostics })?;
    let mut problems = Vec::new();
    for op in &ops {
        let builtin = crate::OPERATIONS.iter().find(|b| {
            b.name.eq_ignore_ascii_case(&op.name) || b.file.eq_ignore_ascii_case(&op.file)
        });
        if let Some(b) = builtin {
            problems.push(Diagnostic {
                file: op.source.clone(),
                position: None,
                key_path: "name".to_string(),
                message: format!(
                    "the operation `{}` is also defined in {} (built in); every operation needs its own name",
                    op.name, b.source()
                ),
            });
        }
    }
    if !problems.is_empty() {
        return Err(Error {
            diagnostics: Diagnostics(problems),
        });
    }
    ops.iter()
        .map(|op| spec(op).map(|s| &*Box::leak(Box::new(s))))
        .collect::<Result<Vec<_>, Diagnostic>>()
        .map_err(|d| Error {
            diagnostics: Diagnostics(vec![d]),
        })
}

fn leak(text: &str) -> &'static str {
    Box::leak(text.to_owned().into_boxed_str())
}

fn leak_slice<T>(items: Vec<T>) -> &'static [T] {
    Box::leak(items.into_boxed_slice())
}

/// The [`OpSpec`] of a checked operation: the same facts the generator writes as a `SPEC`
/// constant. Fails only when the operation names a stand-in this build of the crate was not
/// generated with (the built-in service.yaml changed without regenerating).
fn spec(op: &ir::Op) -> Result<OpSpec, Diagnostic> {
    let strs = |v: &[String]| leak_slice(v.iter().map(|s| leak(s)).collect());
    let kind = crate::ProcessorKind::from_name(&op.processor).ok_or_else(|| Diagnostic {
        file: op.source.clone(),
        position: None,
        key_path: "mock.processor".to_string(),
        message: format!(
            "cos-ci-validate was generated without the processor `{}`; regenerate it",
            op.processor
        ),
    })?;
    Ok(OpSpec {
        name: leak(&op.name),
        file: leak(&op.file),
        source_path: Some(leak(&op.source)),
        module: leak(&op.module),
        summary: leak(&op.summary),
        doc_url: op.doc_url.as_deref().map(leak),
        modes: leak_slice(op.modes.clone()),
        input: op.input,
        detect_url: op.detect_url,
        hosts: leak_slice(op.hosts.clone()),
        permissions: leak_slice(
            op.permissions
                .iter()
                .map(|(m, actions)| (*m, strs(actions)))
                .collect(),
        ),
        permission_aliases: leak_slice(
            op.permission_aliases
                .iter()
                .map(|(action, aliases)| (leak(action), strs(aliases)))
                .collect(),
        ),
        params: leak_slice(op.params.iter().map(param).collect()),
        output: match &op.output {
            ir::Output::Xml(tree) => Output::Xml {
                root: leak(&tree.root),
                nodes: nodes(&tree.nodes),
            },
            ir::Output::Json(tree) => Output::Json {
                nodes: nodes(&tree.nodes),
            },
            ir::Output::Image { png } => Output::Image { png: *png },
        },
        alias_query: op.alias_query.as_deref().map(leak),
        limits: Limits {
            max_input_bytes: op.limits.max_input_bytes,
            max_width: op.limits.max_width,
            max_height: op.limits.max_height,
            max_pixels: op.limits.max_pixels,
        },
        processor: Processor {
            kind,
            inputs: leak_slice(
                op.processor_inputs
                    .iter()
                    .map(|b| (leak(&b.input), leak(&b.param)))
                    .collect(),
            ),
            flat_image_error: op.flat_image_error.as_deref().map(leak),
        },
        errors: leak_slice(
            op.errors
                .iter()
                .map(|e| crate::OpError {
                    code: leak(&e.code),
                    status: e.status,
                    message: leak(&e.message),
                })
                .collect(),
        ),
        rule_form: op.rule_form,
        upload_result: op.upload_result.as_ref().map(|u| crate::UploadAdditions {
            object: nodes(&u.object),
            root: nodes(&u.root),
        }),
        max_rules: op.max_rules as usize,
        relations: leak_slice(op.relations.iter().map(relation).collect()),
    })
}

fn relation(r: &ir::Relation) -> crate::Relation {
    let strs = |v: &[String]| leak_slice(v.iter().map(|s| leak(s)).collect());
    match r {
        ir::Relation::KeyOrDetectUrl => crate::Relation::KeyOrDetectUrl,
        ir::Relation::AtLeastOne { params, wins } => crate::Relation::AtLeastOne {
            params: strs(params),
            wins: wins.as_deref().map(leak),
        },
        ir::Relation::RequiredWhen {
            param,
            other,
            values,
        } => crate::Relation::RequiredWhen {
            param: leak(param),
            other: leak(other),
            values: strs(values),
        },
        ir::Relation::AppliesWhen {
            param,
            other,
            values,
        } => crate::Relation::AppliesWhen {
            param: leak(param),
            other: leak(other),
            values: strs(values),
        },
    }
}

fn param(p: &ir::Param) -> ParamSpec {
    let kind = match &p.kind {
        ir::Kind::Integer { min, max } => ParamKind::Integer {
            min: *min,
            max: *max,
        },
        ir::Kind::IntegerSet { values, .. } => ParamKind::IntegerSet(leak_slice(values.clone())),
        ir::Kind::Number { min, max } => ParamKind::Number {
            min: *min,
            max: *max,
        },
        ir::Kind::Flag => ParamKind::Flag,
        ir::Kind::Text {
            values,
            max_len,
            encoding,
        } => ParamKind::Text {
            values: leak_slice(values.iter().map(|v| leak(v)).collect()),
            max_len: *max_len,
            encoding: *encoding,
        },
        ir::Kind::Json { fields, max_len } => ParamKind::Json {
            fields: leak_slice(
                fields
                    .iter()
                    .map(|f| crate::JsonField {
                        name: leak(&f.name),
                        ty: f.ty,
                    })
                    .collect(),
            ),
            max_len: *max_len,
        },
        ir::Kind::Pair {
            separator,
            min,
            max,
            names: [a, b],
        } => ParamKind::Pair {
            separator: *separator,
            min: *min,
            max: *max,
            names: [leak(a), leak(b)],
        },
        ir::Kind::List { values, separator } => ParamKind::List {
            values: leak_slice(values.iter().map(|v| leak(v)).collect()),
            separator: *separator,
        },
    };
    ParamSpec {
        name: leak(&p.name),
        doc: leak(&p.doc),
        kind,
        default: p.default.as_deref().map(leak),
        required: p.required,
        ignore_error: p.ignore_error,
    }
}

fn nodes(nodes: &[ir::Node]) -> &'static [XmlNode] {
    leak_slice(
        nodes
            .iter()
            .map(|n| XmlNode {
                name: leak(&n.name),
                ty: match n.scalar {
                    Some(ir::Scalar::Integer) => XmlType::Integer,
                    Some(ir::Scalar::Number) => XmlType::Number,
                    Some(ir::Scalar::Boolean) => XmlType::Boolean,
                    Some(ir::Scalar::String) => XmlType::String,
                    Some(ir::Scalar::Base64) => XmlType::Base64,
                    None => XmlType::Container,
                },
                optional: n.optional,
                repeated: n.repeated,
                example: n.example.as_deref().map(leak),
                spelling: n.spelling.as_ref().map(|[yes, no]| [leak(yes), leak(no)]),
                number_or_string: n.number_or_string,
                asked_by: n
                    .asked_by
                    .as_ref()
                    .map(|(param, member)| (leak(param), leak(member))),
                crop: n.crop,
                present_when: n
                    .present_when
                    .as_ref()
                    .map(|(param, word)| (leak(param), leak(word))),
                children: self::nodes(&n.nodes),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The runtime path must give exactly what the generator writes: load the built-in spec
    /// files as if they were the user's and compare with the generated constants.
    #[test]
    fn loading_the_builtin_files_gives_the_generated_specs() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/operations");
        if !dir.is_dir() {
            return; // packaged crate: the spec is not beside it
        }
        let ops = cos_ci_codegen::load_operations(cos_ci_codegen::BUILTIN_SERVICE, &[&dir])
            .expect("the built-in files load");
        assert_eq!(ops.len(), crate::OPERATIONS.len());
        for op in &ops {
            let builtin = crate::find_operation(&op.name).expect("built in");
            let loaded = spec(op).expect("a built-in processor");
            assert_eq!(
                OpSpec {
                    source_path: builtin.source_path,
                    ..loaded
                },
                *builtin,
                "{}",
                op.name
            );
        }
    }

    #[test]
    fn a_builtin_name_is_refused_naming_both_files() {
        let dir = std::env::temp_dir().join(format!("cos-ci-runtime-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let src =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/operations/detect-face.yaml");
        let Ok(text) = std::fs::read_to_string(&src) else {
            return;
        };
        std::fs::write(dir.join("detect-face.yaml"), text).expect("write");
        let err = load_operations(&[&dir]).unwrap_err().to_string();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            err.contains("detect-face.yaml: name: the operation `DetectFace`"),
            "{err}"
        );
        assert!(
            err.contains("spec/operations/detect-face.yaml (built in)"),
            "{err}"
        );
    }
}
