//! `cargo xtask test`: every test the project has, stopping at the first failure.
//!
//! 1. `cargo test --workspace`.
//! 2. A virtualenv at `<root>/.venv` with `tests/python/requirements.txt` installed (pip runs
//!    only when the requirements changed since the last install).
//! 3. `tests/node/node_modules` from `tests/node/package-lock.json` (`npm ci` runs only when
//!    the lock file changed since the last install).
//! 4. The mock binary (`cargo build -p cos-ci-mock --bin cos-ci-mock`), then
//!    `.venv/bin/python -m pytest tests/python -q` and `node --test` in `tests/node`, both
//!    with `COS_CI_MOCK_BIN` pointing at it: the official Python and Node SDKs against the
//!    mock, in their IP and Domain modes.
//!
//! `--python-only` runs only the Python suite, `--node-only` only the Node suite (both flags:
//! both suites, no `cargo test`); arguments after `--` go to pytest, or to `node --test` with
//! `--node-only` alone.

use std::ffi::OsString;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const USAGE: &str =
    "cargo xtask test [--python-only] [--node-only] [-- PYTEST_OR_NODE_ARGS...]";

/// Where pip's last successful install is recorded: the requirements it installed.
const STAMP: &str = ".cos-ci-requirements";
const REQUIREMENTS: &str = "tests/python/requirements.txt";
/// The Node suite's directory, and where `npm ci`'s last successful install is recorded (inside
/// `node_modules`, which `npm ci` deletes first, so a stale stamp cannot outlive its install).
const NODE_DIR: &str = "tests/node";
const NODE_LOCK: &str = "tests/node/package-lock.json";
const NODE_STAMP: &str = "node_modules/.cos-ci-package-lock.json";

/// What `cargo xtask test` was asked to do.
pub struct Options {
    /// Run the Python SDK suite only (with `node_only`: both SDK suites).
    pub python_only: bool,
    /// Run the Node SDK suite only (with `python_only`: both SDK suites).
    pub node_only: bool,
    /// Extra arguments for pytest, or for `node --test` when only the Node suite runs.
    pub pytest_args: Vec<String>,
}

impl Options {
    fn workspace(&self) -> bool {
        !self.python_only && !self.node_only
    }

    fn python(&self) -> bool {
        self.python_only || !self.node_only
    }

    fn node(&self) -> bool {
        self.node_only || !self.python_only
    }

    /// The extra arguments go to node only when node is the only runner.
    fn node_args(&self) -> &[String] {
        if self.python() {
            &[]
        } else {
            &self.pytest_args
        }
    }

    fn python_args(&self) -> &[String] {
        if self.python() {
            &self.pytest_args
        } else {
            &[]
        }
    }
}

impl Options {
    /// Parses the arguments after `test`.
    pub fn parse(args: &[String]) -> Result<Self, String> {
        let mut options = Options {
            python_only: false,
            node_only: false,
            pytest_args: Vec::new(),
        };
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            match arg.as_str() {
                "--python-only" => options.python_only = true,
                "--node-only" => options.node_only = true,
                "--" => {
                    options.pytest_args = rest.cloned().collect();
                    break;
                }
                other => return Err(format!("unknown argument {other:?}\nusage: {USAGE}")),
            }
        }
        Ok(options)
    }
}

/// Runs the steps in order; the first failure ends the run with its message.
pub fn run(root: &Path, options: &Options) -> Result<(), String> {
    if options.workspace() {
        step("cargo test --workspace");
        run_checked(
            cargo(root).args(["test", "--workspace"]),
            "cargo test --workspace",
        )?;
    }
    let python = if options.python() {
        step("python virtualenv");
        Some(virtualenv(root)?)
    } else {
        None
    };
    let node = if options.node() {
        step("node modules (tests/node)");
        Some(node_modules(root)?)
    } else {
        None
    };
    step("cos-ci-mock binary");
    run_checked(
        cargo(root).args(["build", "-p", "cos-ci-mock", "--bin", "cos-ci-mock"]),
        "cargo build -p cos-ci-mock",
    )?;
    let mock = target_dir(root)
        .join("debug")
        .join(format!("cos-ci-mock{}", std::env::consts::EXE_SUFFIX));
    if !mock.is_file() {
        return Err(format!("the mock binary is not at {}", mock.display()));
    }
    if let Some(python) = python {
        step("official Python SDK against cos-ci-mock (tests/python)");
        run_checked(
            Command::new(&python)
                .args(["-m", "pytest", "tests/python", "-q"])
                .args(options.python_args())
                .current_dir(root)
                .env("COS_CI_MOCK_BIN", &mock)
                // Keep __pycache__ out of the source tree.
                .env("PYTHONDONTWRITEBYTECODE", "1"),
            "pytest tests/python",
        )?;
    }
    if let Some(node) = node {
        step("official Node SDK against cos-ci-mock (tests/node)");
        run_checked(
            Command::new(&node)
                .arg("--test")
                .args(options.node_args())
                .current_dir(root.join(NODE_DIR))
                .env("COS_CI_MOCK_BIN", &mock),
            "node --test (tests/node)",
        )?;
    }
    println!("xtask test: all passed");
    Ok(())
}

fn step(name: &str) {
    println!("\n==> {name}");
}

/// `cargo` as cargo itself names it for xtask, in the workspace root.
fn cargo(root: &Path) -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(root);
    command
}

/// `CARGO_TARGET_DIR` (relative to the workspace root, where cargo runs) or `<root>/target`.
fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    }
}

/// Runs `command` with inherited stdio; a non-zero exit is an error naming `what`.
fn run_checked(command: &mut Command, what: &str) -> Result<(), String> {
    let status = command
        .status()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

/// Creates `<root>/.venv` if needed and installs the requirements when they changed;
/// returns the virtualenv's python.
fn virtualenv(root: &Path) -> Result<PathBuf, String> {
    let venv = root.join(".venv");
    let python = if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    };
    if !python.is_file() {
        let base = base_python()?;
        println!(
            "creating {} with {}",
            venv.display(),
            base.to_string_lossy()
        );
        run_checked(
            Command::new(&base).arg("-m").arg("venv").arg(&venv),
            "python3 -m venv .venv",
        )
        .map_err(|e| {
            format!("{e}\n(on Debian and Ubuntu the venv module is in the python3-venv package)")
        })?;
    }
    let requirements = fs::read_to_string(root.join(REQUIREMENTS))
        .map_err(|e| format!("cannot read {REQUIREMENTS}: {e}"))?;
    let stamp = venv.join(STAMP);
    if fs::read_to_string(&stamp).ok().as_deref() == Some(requirements.as_str()) {
        println!("requirements already installed ({REQUIREMENTS} unchanged)");
        return Ok(python);
    }
    // A failed install must not leave a stamp that claims success.
    let _ = fs::remove_file(&stamp);
    run_checked(
        Command::new(&python)
            .args(["-m", "pip", "install", "--disable-pip-version-check", "-r"])
            .arg(REQUIREMENTS)
            .current_dir(root),
        "pip install -r tests/python/requirements.txt",
    )?;
    fs::write(&stamp, requirements)
        .map_err(|e| format!("cannot write {}: {e}", stamp.display()))?;
    Ok(python)
}

/// The interpreter that makes the virtualenv: `$PYTHON`, else `python3` (`python` on Windows).
fn base_python() -> Result<OsString, String> {
    let python = std::env::var_os("PYTHON")
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| if cfg!(windows) { "python" } else { "python3" }.into());
    match Command::new(&python).arg("--version").output() {
        Ok(out) if out.status.success() => Ok(python),
        Ok(out) => Err(format!(
            "{} --version failed ({}): the Python tests need Python 3.10 or newer with venv",
            python.to_string_lossy(),
            out.status
        )),
        Err(e) if e.kind() == ErrorKind::NotFound => Err(format!(
            "{} was not found: the Python tests (the official COS SDK against the mock) need \
             Python 3.10 or newer with the venv module; install it, or set PYTHON to an interpreter",
            python.to_string_lossy()
        )),
        Err(e) => Err(format!("cannot run {}: {e}", python.to_string_lossy())),
    }
}

/// Installs `tests/node/node_modules` with `npm ci` when the lock file changed since the last
/// install; returns the `node` to run the suite with.
fn node_modules(root: &Path) -> Result<OsString, String> {
    let node = tool(
        "NODE",
        "node",
        "the Node tests need Node.js 18 or newer (node and npm)",
    )?;
    let dir = root.join(NODE_DIR);
    let lock = fs::read_to_string(root.join(NODE_LOCK))
        .map_err(|e| format!("cannot read {NODE_LOCK}: {e}"))?;
    let stamp = dir.join(NODE_STAMP);
    if fs::read_to_string(&stamp).ok().as_deref() == Some(lock.as_str()) {
        println!("node modules already installed ({NODE_LOCK} unchanged)");
        return Ok(node);
    }
    let npm = tool(
        "NPM",
        if cfg!(windows) { "npm.cmd" } else { "npm" },
        "the Node tests install the official COS Node SDK with npm (it comes with Node.js)",
    )?;
    // `npm ci` installs exactly the lock file and removes node_modules first, stamp included.
    run_checked(
        Command::new(&npm)
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir),
        "npm ci (tests/node)",
    )?;
    fs::write(&stamp, lock).map_err(|e| format!("cannot write {}: {e}", stamp.display()))?;
    Ok(node)
}

/// `$VAR` or `default`, checked with `--version`; a missing tool is an error saying why it
/// is needed.
fn tool(var: &str, default: &str, why: &str) -> Result<OsString, String> {
    let program = std::env::var_os(var)
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| default.into());
    let name = program.to_string_lossy().into_owned();
    match Command::new(&program).arg("--version").output() {
        Ok(out) if out.status.success() => Ok(program),
        Ok(out) => Err(format!("{name} --version failed ({}): {why}", out.status)),
        Err(e) if e.kind() == ErrorKind::NotFound => Err(format!(
            "{name} was not found: {why}; install it, or set {var} to its path"
        )),
        Err(e) => Err(format!("cannot run {name}: {e}")),
    }
}
