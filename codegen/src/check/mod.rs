//! Semantic checks over the typed model, producing the IR the emitters use.
//!
//! Every check records a diagnostic and goes on, so one run reports every problem. One module
//! per part of the spec: `service.yaml`, an operation file, its parameters, node trees and
//! examples; the Rust names they derive come from `crate::naming`.

mod example;
mod nodes;
mod op_errors;
mod operation;
mod param;
mod relations;
mod service;
mod shapes;
mod upload_result;

use indexmap::IndexMap;
use serde_norway::Value;

use crate::diagnostic::Diagnostic;
use crate::ir::{self, HostKind, Mode, Scalar};
use crate::locate::Locator;
use crate::model;
use crate::naming::{
    self, KEYWORDS, NOT_RAW, RESERVED_MODULES, is_field_name, is_type_ident, rust_field,
    type_name_problem, variant_name,
};

use example::example;
use nodes::{json_tree, tree};
use op_errors::op_errors;
pub use operation::operation;
use param::param;
use relations::relations;
use service::limits;
pub use service::service;
use shapes::{node_shape, param_shape, same_nodes};

/// Collects diagnostics for one file.
pub struct Checker<'a> {
    file: &'a str,
    locator: &'a Locator,
    /// Problems found so far.
    pub diagnostics: Vec<Diagnostic>,
}

impl<'a> Checker<'a> {
    /// A checker for `file` whose keys `locator` knows.
    pub fn new(file: &'a str, locator: &'a Locator) -> Self {
        Checker {
            file,
            locator,
            diagnostics: Vec::new(),
        }
    }

    /// Records a problem at a known position (serde_norway's own errors).
    pub fn error_at(&mut self, position: Option<(usize, usize)>, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic {
            file: self.file.to_string(),
            position,
            key_path: String::new(),
            message: message.into(),
        });
    }

    /// Records a problem at key path `path` (dot separated).
    pub fn error(&mut self, path: &str, message: impl Into<String>) {
        let segments = self.locator.split(path);
        self.diagnostics.push(Diagnostic {
            file: self.file.to_string(),
            position: self.locator.find(&segments),
            key_path: path.to_string(),
            message: message.into(),
        });
    }
}

/// A YAML value as the spec writes it, for messages.
fn show(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Sequence(_) => "a list".to_string(),
        Value::Mapping(_) => "a map".to_string(),
        Value::Tagged(t) => format!("{}", t.tag),
    }
}

/// A scalar YAML value in wire form: booleans become 1/0.
fn wire_value(v: &Value) -> Option<String> {
    match v {
        Value::Bool(b) => Some(if *b { "1" } else { "0" }.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// A parameter value as the spec writes it (a default or an example's) in wire form: a
/// list's words may be a YAML list, joined here by the list's separator.
fn param_wire(kind: &ir::Kind, v: &Value) -> Option<String> {
    match (kind, v) {
        (ir::Kind::List { separator, .. }, Value::Sequence(items)) => {
            let words: Option<Vec<String>> = items.iter().map(scalar_text).collect();
            Some(words?.join(&separator.to_string()))
        }
        _ => wire_value(v),
    }
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// Whether `wire` is an allowed value of `kind`, parsed and checked by the runtime's own
/// code (cos-ci-core); the message says why not (`is not an integer in 0..=5`).
///
/// A text is given as itself, not in its wire encoding (an example's `MaskPoly` is the JSON,
/// its `query` the base64), so it is checked as a value rather than parsed.
fn fits(kind: &ir::Kind, wire: &str) -> Result<(), String> {
    kind.with_core(|k| {
        let checked = match k {
            cos_ci_core::ParamKind::Text { .. } => {
                k.check(&cos_ci_core::Value::Text(wire.to_string()))
            }
            _ => k.parse(wire).map(drop),
        };
        checked.map_err(|why| k.explain(why))
    })
}

/// The allowed values of `kind`, for messages and documentation.
fn describe(kind: &ir::Kind) -> String {
    kind.with_core(|k| k.allowed())
}

fn is_xml_name(name: &str) -> bool {
    name.starts_with(|ch: char| ch.is_ascii_alphabetic() || ch == '_')
        && name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-' || ch == '.')
}
