//! `cargo xtask deps [--max N] [--list] [--mock-default-features] [--with-client]`: how many
//! crates a downstream test of the mock compiles. A throwaway crate in a temporary directory
//! has this checkout's `cos-ci-mock` (default features off unless `--mock-default-features`)
//! as a dev-dependency, and with `--with-client` depends on `cos-ci-client` too (its TLS stack
//! and URL parsing are what any crate that talks to COS compiles anyway); the distinct crates (name and version) of
//! its `cargo tree -e normal,dev,build` are counted, the throwaway crate itself not included.
//! This checkout's `Cargo.lock` is copied in, so the count uses the versions tested here
//! and needs no fresh resolution. Fails when the count is above `--max` (default 110).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The budget issue 11 sets for a downstream test.
pub const DEFAULT_MAX: usize = 110;

/// The throwaway crate's name, left out of the count.
pub const PROBE: &str = "cos-ci-downstream-probe";

const USAGE: &str =
    "usage: cargo xtask deps [--max N] [--list] [--mock-default-features] [--with-client]";

/// What `cargo xtask deps` was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Fail above this many crates.
    pub max: usize,
    /// Print every crate counted.
    pub list: bool,
    /// Keep the mock's default features (`bin`, `detect-url`).
    pub mock_default_features: bool,
    /// Depend on `cos-ci-client` too.
    pub with_client: bool,
}

impl Options {
    /// Parses the arguments after `deps`.
    pub fn parse(args: &[String]) -> Result<Options, String> {
        let mut options = Options {
            max: DEFAULT_MAX,
            list: false,
            mock_default_features: false,
            with_client: false,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--list" => options.list = true,
                "--mock-default-features" => options.mock_default_features = true,
                "--with-client" => options.with_client = true,
                "--max" => {
                    let value = args
                        .next()
                        .ok_or_else(|| format!("--max needs a number\n{USAGE}"))?;
                    options.max = value
                        .parse()
                        .map_err(|_| format!("--max {value:?} is not a number\n{USAGE}"))?;
                }
                other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
            }
        }
        Ok(options)
    }
}

/// The distinct crates (`name vVERSION`) in `cargo tree --prefix none` output, without the
/// probe. Lines read `name vX.Y.Z [(path)] [(proc-macro)] [(*)]`; a crate listed again
/// (`(*)`) or reached through several edges counts once, two versions of a crate twice.
pub fn crates_in_tree(tree: &str) -> BTreeSet<String> {
    tree.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let name = words.next()?;
            let version = words.next().filter(|v| v.starts_with('v'))?;
            (name != PROBE).then(|| format!("{name} {version}"))
        })
        .collect()
}

/// The throwaway crate's manifest: path dependencies on the crates under `root`.
pub fn probe_manifest(root: &Path, mock_default_features: bool, with_client: bool) -> String {
    let path = |krate: &str| {
        // TOML basic strings: escape what a path may hold.
        let p = root.join("crates").join(krate);
        p.display()
            .to_string()
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
    };
    format!(
        "[package]\nname = \"{PROBE}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\n{client}\n\
         [dev-dependencies]\ncos-ci-mock = {{ path = \"{mock}\", default-features = {mock_default_features} }}\n\n\
         # not part of any workspace around the temporary directory\n[workspace]\n",
        client = if with_client {
            format!(
                "cos-ci-client = {{ path = \"{}\" }}\n",
                path("cos-ci-client")
            )
        } else {
            String::new()
        },
        mock = path("cos-ci-mock"),
    )
}

/// Builds the probe in a temporary directory and returns its crates.
pub fn measure(
    root: &Path,
    mock_default_features: bool,
    with_client: bool,
) -> Result<BTreeSet<String>, String> {
    let dir = TempDir::new()?;
    let io = |what: &str, e: std::io::Error| format!("{what}: {e}");
    std::fs::create_dir_all(dir.0.join("src")).map_err(|e| io("probe src/", e))?;
    std::fs::write(dir.0.join("src/lib.rs"), "//! probe\n").map_err(|e| io("probe lib.rs", e))?;
    std::fs::write(
        dir.0.join("Cargo.toml"),
        probe_manifest(root, mock_default_features, with_client),
    )
    .map_err(|e| io("probe Cargo.toml", e))?;
    // The checkout's versions; cargo drops the entries the probe does not use.
    std::fs::copy(root.join("Cargo.lock"), dir.0.join("Cargo.lock"))
        .map_err(|e| io("copying Cargo.lock", e))?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "tree",
            "-e",
            "normal,dev,build",
            "--prefix",
            "none",
            "--manifest-path",
        ])
        .arg(dir.0.join("Cargo.toml"))
        .output()
        .map_err(|e| io("running cargo tree", e))?;
    if !output.status.success() {
        return Err(format!(
            "cargo tree failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(crates_in_tree(&String::from_utf8_lossy(&output.stdout)))
}

/// `cargo xtask deps`.
pub fn main(root: &Path, args: &[String]) -> ExitCode {
    let options = match Options::parse(args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("xtask deps: {message}");
            return ExitCode::from(2);
        }
    };
    let crates = match measure(root, options.mock_default_features, options.with_client) {
        Ok(crates) => crates,
        Err(message) => {
            eprintln!("xtask deps: {message}");
            return ExitCode::FAILURE;
        }
    };
    if options.list {
        for krate in &crates {
            println!("{krate}");
        }
    }
    let features = if options.mock_default_features {
        "default features"
    } else {
        "default-features = false"
    };
    let client = if options.with_client {
        "cos-ci-client, "
    } else {
        ""
    };
    println!(
        "a downstream test ({client}dev-dependency cos-ci-mock with {features}) compiles {} crates (at most {})",
        crates.len(),
        options.max
    );
    if crates.len() > options.max {
        eprintln!(
            "xtask deps: {} crates is more than --max {}; `cargo xtask deps --list` names them",
            crates.len(),
            options.max
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// A fresh directory under the system's temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<TempDir, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir =
            std::env::temp_dir().join(format!("cos-ci-deps-{}-{nanos:08x}", std::process::id()));
        std::fs::create_dir(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
