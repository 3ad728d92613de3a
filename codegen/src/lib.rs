//! The cos-ci generator: reads `spec/`, checks it, and emits the generated modules of
//! `cos-ci-validate`, `cos-ci-client` and `cos-ci-mock` — or, for a crate of your own, one
//! module per operation of your own spec folder ([`Generator`] with [`Target::Downstream`],
//! or the `cos-ci-codegen --spec DIR --out DIR [--check]` command).
//!
//! ```no_run
//! let root = std::path::Path::new(".");
//! let spec = cos_ci_codegen::load(&root.join("spec")).map_err(|d| d.to_string())?;
//! let files = cos_ci_codegen::generate(&spec)?;
//! let drift = cos_ci_codegen::diff(root, &files).map_err(|e| e.to_string())?;
//! assert!(drift.is_empty(), "run `cargo xtask codegen`");
//! # Ok::<(), String>(())
//! ```

mod check;
mod diagnostic;
mod emit;
mod files;
mod generator;
pub mod ir;
mod load;
mod locate;
mod model;
mod naming;
mod processors;

pub use diagnostic::{Diagnostic, Diagnostics};
pub use emit::{GENERATED_DIRS, GeneratedFile, generate, header};
pub use files::{Drift, apply, diff};
pub use generator::{BUILTIN_SERVICE, Error, Generator, Target};
pub use load::{BUILTIN_SERVICE_FILE, load, load_operations, load_with};
