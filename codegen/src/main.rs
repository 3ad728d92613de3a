//! `cos-ci-codegen --spec DIR --out DIR [--check] [--workspace]`: generate a crate's operations
//! from its spec folder, or (with `--check`) fail naming every stale, missing or extra file —
//! the "commit the generated code, check it in CI" workflow.
//!
//! Exit status: 0 done or up to date, 1 out of date (`--check`), 2 usage, 3 problems in the
//! spec (each as `file:line:col: message`) or a folder that cannot be read or written.

use std::path::PathBuf;
use std::process::ExitCode;

use cos_ci_codegen::{Error, Generator, Target};

const USAGE: &str = "usage: cos-ci-codegen --spec DIR --out DIR [--check] [--workspace]

  --spec DIR     the spec folder: operations/<kebab-name>.yaml (service.yaml optional)
  --out DIR      the folder to generate into (one module per operation, and mod.rs)
  --check        write nothing; exit 1 naming every stale, missing or extra file
  --workspace    generate the cos-ci workspace's own crates (--out is the workspace root)";

struct Options {
    spec: PathBuf,
    out: PathBuf,
    check: bool,
    target: Target,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let (mut spec, mut out, mut check, mut target) = (None, None, false, Target::Downstream);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next().cloned())
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .ok_or_else(|| format!("{name} needs a folder"))
        };
        match flag {
            "--spec" => spec = Some(value("--spec")?),
            "--out" => out = Some(value("--out")?),
            "--check" if inline.is_none() => check = true,
            "--workspace" if inline.is_none() => target = Target::Workspace,
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    Ok(Options {
        spec: spec.ok_or("--spec DIR is required")?,
        out: out.ok_or("--out DIR is required")?,
        check,
        target,
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let options = match parse(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("cos-ci-codegen: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let generator = Generator::new(&options.spec, &options.out).with_target(options.target);
    let result = if options.check {
        generator.check().map(|count| {
            println!("generated code is up to date ({count} files)");
        })
    } else {
        generator.write().map(|changed| {
            for d in &changed {
                println!("{d}");
            }
            println!("{} changed", changed.len());
        })
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e @ Error::Stale(_)) => {
            eprintln!(
                "{e}: run `cos-ci-codegen --spec {} --out {}`",
                options.spec.display(),
                options.out.display()
            );
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(3)
        }
    }
}
