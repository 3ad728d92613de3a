//! Installing the load generator and the peers: wrk from Debian, s3s-fs from crates.io into
//! `<target>/bench-tools`, the official Python SDK and moto from PyPI into a virtualenv there.
//! Whatever cannot be installed is recorded as a problem, and the run goes on without it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::{Ctx, Options, proc};

/// The official SDK the Rust client is measured against.
pub const SDK_REQUIREMENT: &str = "cos-python-sdk-v5==1.9.44";
/// moto's S3 server.
pub const MOTO_REQUIREMENT: &str = "moto[server]==5.2.5";

/// What is there to run.
#[derive(Default)]
pub struct Installed {
    /// wrk and its version line.
    pub wrk: Option<(PathBuf, String)>,
    /// The virtualenv's python, with the SDK, and the SDK's version.
    pub python: Option<(PathBuf, String)>,
    /// moto_server and moto's version.
    pub moto: Option<(PathBuf, String)>,
    /// s3s-fs and its version.
    pub s3s_fs: Option<(PathBuf, String)>,
}

/// Installs what the chosen sections need.
pub fn install(ctx: &mut Ctx, options: &Options) -> Installed {
    let mut installed = Installed::default();
    if options.load {
        installed.wrk = wrk(ctx);
        installed.s3s_fs = s3s_fs(ctx);
    }
    if options.micro || options.load {
        let venv = venv(ctx);
        if let Some(python) = &venv {
            if options.micro {
                installed.python = sdk(ctx, python).map(|v| (python.clone(), v));
            }
            if options.load {
                installed.moto = moto(ctx, python);
            }
        }
    }
    installed
}

fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

fn wrk(ctx: &mut Ctx) -> Option<(PathBuf, String)> {
    if on_path("wrk").is_none() {
        println!("installing wrk: apt-get install -y wrk");
        let log = ctx.work.join("logs/apt-wrk");
        let mut ok = install_apt(ctx, &log);
        if !ok {
            println!("retrying after apt-get update");
            let update = proc::run(
                Command::new("apt-get").arg("update"),
                &ctx.work.join("logs/apt-update"),
                ctx.timeout(Duration::from_secs(300)),
            );
            if matches!(&update, Ok(f) if f.ok) {
                ok = install_apt(ctx, &log);
            }
        }
        if !ok {
            ctx.problem(format!(
                "wrk could not be installed with `apt-get install -y wrk` (see {}); \
                 the load benchmarks are skipped",
                log.with_extension("err").display()
            ));
            return None;
        }
    }
    let path = on_path("wrk")?;
    // `wrk -v` prints its version and exits non-zero.
    let version = Command::new(&path)
        .arg("-v")
        .output()
        .map(|o| {
            let text = String::from_utf8_lossy(&o.stdout).to_string()
                + &String::from_utf8_lossy(&o.stderr);
            text.split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "wrk".to_string());
    ctx.note(format!(
        "Load generator: {version} from Debian (`apt-get install -y wrk`), one thread (`-t1`), \
         with bench/wrk/report.lua printing the figures."
    ));
    Some((path, version))
}

fn install_apt(ctx: &Ctx, log: &Path) -> bool {
    let finished = proc::run(
        Command::new("apt-get")
            .args(["install", "-y", "wrk"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
        log,
        ctx.timeout(Duration::from_secs(600)),
    );
    matches!(finished, Ok(f) if f.ok) && on_path("wrk").is_some()
}

fn s3s_fs(ctx: &mut Ctx) -> Option<(PathBuf, String)> {
    let bin = ctx.tools.join("bin").join("s3s-fs");
    if !bin.is_file() {
        println!(
            "installing s3s-fs: cargo install s3s-fs --locked --features binary (a few minutes, once)"
        );
        let mut version: Option<String> = None;
        for _ in 0..2 {
            let mut command = ctx.cargo();
            command
                .args([
                    "install",
                    "s3s-fs",
                    "--locked",
                    "--features",
                    "binary",
                    "--root",
                ])
                .arg(&ctx.tools)
                .env("CARGO_TARGET_DIR", ctx.tools.join("cargo-target"));
            if let Some(v) = &version {
                command.args(["--version", v]);
            }
            let finished = match proc::run(
                &mut command,
                &ctx.work.join("logs/cargo-install-s3s-fs"),
                ctx.timeout(Duration::from_secs(1200)),
            ) {
                Ok(f) => f,
                Err(e) => {
                    ctx.problem(format!("s3s-fs: {e}"));
                    return None;
                }
            };
            if finished.ok {
                break;
            }
            // The newest release may need a newer rustc; cargo names one that fits.
            let suggested = finished
                .stderr
                .lines()
                .find(|l| l.contains("supports rustc"))
                .and_then(|l| l.split('`').nth(1))
                .and_then(|s| s.strip_prefix("s3s-fs "))
                .map(str::to_string);
            match suggested {
                Some(v) if version.is_none() => {
                    println!("the newest s3s-fs needs a newer rustc; installing s3s-fs {v}");
                    version = Some(v);
                }
                _ => {
                    ctx.problem(format!(
                        "s3s-fs could not be installed ({}): {}; it is left out of the comparisons",
                        finished.status,
                        finished.tail(5)
                    ));
                    return None;
                }
            }
        }
        // The build directory is only needed once.
        let _ = std::fs::remove_dir_all(ctx.tools.join("cargo-target"));
    }
    if !bin.is_file() {
        ctx.problem("s3s-fs: cargo install reported success but the binary is missing");
        return None;
    }
    let version = Command::new(&bin)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|_| "s3s-fs".to_string());
    ctx.note(format!(
        "s3s-fs: {version} from crates.io (`cargo install s3s-fs --locked --features binary \
         --root <target>/bench-tools`; newer releases need rustc 1.96), run as \
         `s3s-fs --host 127.0.0.1 --port PORT DIR` with no access key, so it takes anonymous \
         requests; path-style URLs; the bucket is created first with `PUT /bench`; objects \
         are files in DIR (a fresh directory under the target dir). It writes a GET answer as \
         two writes, headers then body, on sockets without TCP_NODELAY (seen with strace), so \
         its GET latency under wrk includes delayed-ACK waits of up to 40 ms."
    ));
    Some((bin, version))
}

/// `<tools>/venv`, created when missing; returns its python.
fn venv(ctx: &mut Ctx) -> Option<PathBuf> {
    let venv = ctx.tools.join("venv");
    let python = venv.join("bin").join("python");
    if !python.is_file() {
        let base = std::env::var_os("PYTHON")
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "python3".into());
        println!(
            "creating {} with {}",
            venv.display(),
            base.to_string_lossy()
        );
        let finished = proc::run(
            Command::new(&base).arg("-m").arg("venv").arg(&venv),
            &ctx.work.join("logs/venv"),
            ctx.timeout(Duration::from_secs(300)),
        );
        match finished {
            Ok(f) if f.ok => {}
            Ok(f) => {
                ctx.problem(format!(
                    "python -m venv failed ({}): {} (on Debian the venv module is in \
                     python3-venv); the Python SDK and moto are left out",
                    f.status,
                    f.tail(3)
                ));
                return None;
            }
            Err(e) => {
                ctx.problem(format!(
                    "python -m venv: {e}; the Python SDK and moto are left out"
                ));
                return None;
            }
        }
    }
    Some(python)
}

/// Installs `requirement` into the virtualenv unless its stamp says it is there.
fn pip(ctx: &mut Ctx, python: &Path, requirement: &str, stamp: &str) -> Result<(), String> {
    let stamp = ctx.tools.join("venv").join(stamp);
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(requirement) {
        return Ok(());
    }
    println!("pip install {requirement}");
    let finished = proc::run(
        Command::new(python).args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "-q",
            requirement,
        ]),
        &ctx.work
            .join(format!("logs/pip-{}", stamp_name(requirement))),
        ctx.timeout(Duration::from_secs(600)),
    )?;
    if !finished.ok {
        return Err(format!("{} {}", finished.status, finished.tail(5)));
    }
    std::fs::write(&stamp, requirement).map_err(|e| e.to_string())
}

fn stamp_name(requirement: &str) -> String {
    requirement
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

fn python_says(python: &Path, code: &str) -> Option<String> {
    let out = Command::new(python).args(["-c", code]).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn sdk(ctx: &mut Ctx, python: &Path) -> Option<String> {
    if let Err(e) = pip(ctx, python, SDK_REQUIREMENT, ".cos-ci-bench-sdk") {
        ctx.problem(format!(
            "pip install {SDK_REQUIREMENT} failed: {e}; the SDK comparisons are left out"
        ));
        return None;
    }
    let version = python_says(
        python,
        "import platform; from importlib.metadata import version as v; \
         print('cos-python-sdk-v5 ' + v('cos-python-sdk-v5') + ' on Python ' + platform.python_version())",
    )?;
    ctx.note(format!(
        "Python peer: {version}, in a virtualenv at <target>/bench-tools/venv \
         (`pip install {SDK_REQUIREMENT}`); bench/python/peer.py times it without network."
    ));
    Some(version)
}

fn moto(ctx: &mut Ctx, python: &Path) -> Option<(PathBuf, String)> {
    if let Err(e) = pip(ctx, python, MOTO_REQUIREMENT, ".cos-ci-bench-moto") {
        ctx.problem(format!(
            "pip install {MOTO_REQUIREMENT} failed: {e}; moto is left out of the comparisons"
        ));
        return None;
    }
    let bin = python.with_file_name("moto_server");
    if !bin.is_file() {
        ctx.problem("moto_server is not in the virtualenv after pip install; moto is left out");
        return None;
    }
    let version = python_says(python, "import moto; print('moto ' + moto.__version__)")
        .unwrap_or_else(|| "moto".to_string());
    ctx.note(format!(
        "moto: {version} from PyPI (`pip install '{MOTO_REQUIREMENT}'` in the same \
         virtualenv), run as `moto_server -H 127.0.0.1 -p PORT` (Werkzeug, threaded, in \
         memory); path-style URLs; the bucket is created first with `PUT /bench`. moto \
         verifies no signature, but answers 403 to a GET without an Authorization header \
         (anonymous, private object), so every request carries one fixed, well-formed SigV4 \
         Authorization header that moto parses and does not check."
    ));
    Some((bin, version))
}
