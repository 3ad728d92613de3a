//! The builder API: a spec folder in, an output folder out, for this workspace's crates or for
//! a crate of one's own.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostics;
use crate::emit::{self, GENERATED_DIRS, GeneratedFile};
use crate::files::{self, Drift};

/// The `service.yaml` built into the generator (a copy of this workspace's
/// `spec/service.yaml`), used when a spec folder has none of its own.
pub const BUILTIN_SERVICE: &str = include_str!("../builtin/service.yaml");

/// What the generator writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Target {
    /// A crate of one's own: one module per operation in the output folder, plus `mod.rs`.
    /// Paths are absolute (`::cos_ci_validate::…`), and the client methods are an extension
    /// trait `<Op>Ext` implemented for `cos_ci_client::Client`.
    #[default]
    Downstream,
    /// This workspace: the output folder is the workspace root, and the generated modules of
    /// `cos-ci-validate`, `cos-ci-client` and `cos-ci-mock` are written under it.
    Workspace,
}

/// Generates code from a spec folder into an output folder.
///
/// ```no_run
/// use cos_ci_codegen::{Generator, Target};
///
/// // In a build script or a test of your crate: spec/operations/*.yaml -> src/generated/.
/// let generator = Generator::new("spec", "src/generated").with_target(Target::Downstream);
/// generator.check()?; // or .write() to bring the folder up to date
/// # Ok::<(), cos_ci_codegen::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Generator {
    spec_dir: PathBuf,
    out_dir: PathBuf,
    target: Target,
}

impl Generator {
    /// A generator reading `spec_dir` (`operations/*.yaml`, and `service.yaml` if present, else
    /// the built-in one) and writing into `out_dir`, for [`Target::Downstream`].
    pub fn new(spec_dir: impl Into<PathBuf>, out_dir: impl Into<PathBuf>) -> Self {
        Generator {
            spec_dir: spec_dir.into(),
            out_dir: out_dir.into(),
            target: Target::default(),
        }
    }

    /// Sets what to generate.
    #[must_use]
    pub fn with_target(mut self, target: Target) -> Self {
        self.target = target;
        self
    }

    /// The spec folder.
    pub fn spec_dir(&self) -> &Path {
        &self.spec_dir
    }

    /// The output folder.
    pub fn out_dir(&self) -> &Path {
        &self.out_dir
    }

    /// The target.
    pub fn target(&self) -> Target {
        self.target
    }

    /// Every file the spec generates, paths relative to the output folder; nothing is read
    /// from or written to the output folder.
    pub fn files(&self) -> Result<Vec<GeneratedFile>, Error> {
        match self.target {
            Target::Workspace => {
                let spec = crate::load(&self.spec_dir).map_err(Error::Spec)?;
                emit::generate(&spec).map_err(Error::Generate)
            }
            Target::Downstream => {
                let spec = crate::load::load_with(&self.spec_dir, Some(BUILTIN_SERVICE))
                    .map_err(Error::Spec)?;
                emit::downstream::files(&spec).map_err(Error::Generate)
            }
        }
    }

    /// How the output folder differs from what the spec generates; nothing is written.
    pub fn diff(&self) -> Result<Vec<Drift>, Error> {
        let files = self.files()?;
        files::diff_in(&self.out_dir, &self.dirs(), &files).map_err(|e| self.io(e))
    }

    /// Brings the output folder up to date (writes stale and missing files, deletes extra
    /// ones) and returns what changed.
    pub fn write(&self) -> Result<Vec<Drift>, Error> {
        let files = self.files()?;
        files::apply_in(&self.out_dir, &self.dirs(), &files).map_err(|e| self.io(e))
    }

    /// `Ok(number of files)` when the output folder is up to date, else
    /// [`Error::Stale`] naming every stale, missing or extra file.
    pub fn check(&self) -> Result<usize, Error> {
        let files = self.files()?;
        let drift = files::diff_in(&self.out_dir, &self.dirs(), &files).map_err(|e| self.io(e))?;
        if drift.is_empty() {
            Ok(files.len())
        } else {
            Err(Error::Stale(drift))
        }
    }

    /// The folders whose every file the generator owns, relative to the output folder.
    fn dirs(&self) -> Vec<&'static str> {
        match self.target {
            Target::Workspace => GENERATED_DIRS.to_vec(),
            Target::Downstream => vec![""],
        }
    }

    fn io(&self, source: std::io::Error) -> Error {
        Error::Io {
            path: self.out_dir.clone(),
            source,
        }
    }
}

/// Why generating failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The spec has problems, each at `file:line:col`.
    Spec(Diagnostics),
    /// The spec loaded but code could not be generated from it (a generator bug).
    Generate(String),
    /// The output folder could not be read or written.
    Io {
        /// The output folder.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// [`Generator::check`]: the output folder is not what the spec generates.
    Stale(Vec<Drift>),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Spec(d) => write!(f, "{d}"),
            Error::Generate(message) => write!(f, "cannot generate: {message}"),
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Stale(drift) => {
                writeln!(f, "generated code is out of date with the spec:")?;
                for d in drift {
                    writeln!(f, "  {d}")?;
                }
                write!(f, "regenerate it and commit the result")
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Spec(d) => Some(d),
            Error::Io { source, .. } => Some(source),
            Error::Generate(_) | Error::Stale(_) => None,
        }
    }
}
