//! Bringing the generated folders in line with the spec: write what changed, delete what no
//! operation owns any more, or (check mode) only report the difference.

use std::path::Path;

use crate::emit::{GENERATED_DIRS, GeneratedFile};

/// How a file on disk differs from what the spec generates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Drift {
    /// Its contents differ.
    Stale(String),
    /// It should exist and does not.
    Missing(String),
    /// It is in a generated folder but no part of the spec makes it.
    Extra(String),
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Drift::Stale(p) => write!(f, "stale:   {p}"),
            Drift::Missing(p) => write!(f, "missing: {p}"),
            Drift::Extra(p) => write!(f, "extra:   {p}"),
        }
    }
}

/// Compares `files` with the generated folders under `root`; nothing is written.
pub fn diff(root: &Path, files: &[GeneratedFile]) -> std::io::Result<Vec<Drift>> {
    diff_in(root, &GENERATED_DIRS, files)
}

/// Compares `files` with what is under `root`, an extra file being one in `dirs` (relative to
/// `root`; `""` is `root` itself) that no part of the spec makes.
pub(crate) fn diff_in(
    root: &Path,
    dirs: &[&str],
    files: &[GeneratedFile],
) -> std::io::Result<Vec<Drift>> {
    let mut drift = Vec::new();
    for file in files {
        match std::fs::read_to_string(root.join(&file.path)) {
            // Line endings may be changed by a checkout; content may not.
            Ok(current) if current.replace("\r\n", "\n") == file.contents => {}
            Ok(_) => drift.push(Drift::Stale(file.path.clone())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                drift.push(Drift::Missing(file.path.clone()))
            }
            Err(e) => return Err(e),
        }
    }
    for existing in existing_files(root, dirs)? {
        if !files.iter().any(|f| f.path == existing) {
            drift.push(Drift::Extra(existing));
        }
    }
    Ok(drift)
}

/// Writes every stale or missing file and deletes extra ones; returns what changed.
pub fn apply(root: &Path, files: &[GeneratedFile]) -> std::io::Result<Vec<Drift>> {
    apply_in(root, &GENERATED_DIRS, files)
}

/// [`apply`] with the folders of [`diff_in`].
pub(crate) fn apply_in(
    root: &Path,
    dirs: &[&str],
    files: &[GeneratedFile],
) -> std::io::Result<Vec<Drift>> {
    let drift = diff_in(root, dirs, files)?;
    for d in &drift {
        match d {
            Drift::Stale(path) | Drift::Missing(path) => {
                let target = root.join(path);
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                let contents = files
                    .iter()
                    .find(|f| &f.path == path)
                    .map(|f| f.contents.as_str())
                    .unwrap_or_default();
                std::fs::write(target, contents)?;
            }
            Drift::Extra(path) => std::fs::remove_file(root.join(path))?,
        }
    }
    Ok(drift)
}

/// Every file in the generated folders, as `/`-separated paths relative to `root`.
fn existing_files(root: &Path, dirs: &[&str]) -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    for dir in dirs {
        let mut stack = vec![root.join(dir)];
        while let Some(current) = stack.pop() {
            let entries = match std::fs::read_dir(&current) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            for entry in entries {
                let path = entry?.path();
                if path.is_dir() {
                    stack.push(path);
                } else if let Ok(relative) = path.strip_prefix(root) {
                    out.push(relative.to_string_lossy().replace('\\', "/"));
                }
            }
        }
    }
    out.sort();
    Ok(out)
}
