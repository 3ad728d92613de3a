//! Problems found in the spec, reported as `path:line:col: message`.

use std::fmt;

/// One problem in one spec file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file, relative to the workspace root where possible.
    pub file: String,
    /// 1-based line and column, when known.
    pub position: Option<(usize, usize)>,
    /// The key path inside the file (`params.denoise.default`), when there is no position.
    pub key_path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, col)) => write!(f, "{}:{line}:{col}: {}", self.file, self.message),
            None if self.key_path.is_empty() => write!(f, "{}: {}", self.file, self.message),
            None => write!(f, "{}: {}: {}", self.file, self.key_path, self.message),
        }
    }
}

/// Every problem found in one run, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "error: {d}")?;
        }
        write!(f, "{} problem(s) in the spec", self.0.len())
    }
}

impl std::error::Error for Diagnostics {}
