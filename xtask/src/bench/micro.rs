//! The criterion benches, then the official Python SDK doing the same work.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::tools::Installed;
use super::{Ctx, proc};

/// One criterion figure: nanoseconds per iteration.
#[derive(Clone, Copy, Debug)]
pub struct Estimate {
    /// Median of the samples' per-iteration times.
    pub median_ns: f64,
}

/// What the micro section measured.
#[derive(Default)]
pub struct Micro {
    /// Rust: `prepare_download/<op>` and `presign/<op>`, in spec order.
    pub prepare: Vec<(String, Option<Estimate>, Option<Estimate>)>,
    /// Rust: `xml/<case>`.
    pub xml: BTreeMap<String, Estimate>,
    /// Rust: `codegen/<case>`.
    pub codegen: BTreeMap<String, Estimate>,
    /// Rust: `process/<op>_<side>` (the floor of the load benchmark's processing runs).
    pub process: BTreeMap<String, Estimate>,
    /// The Python SDK: `prepare/<op>`, `presign/<op>`, `xml/<case>`, in ns.
    pub python: BTreeMap<String, f64>,
    /// The SDK's version line.
    pub python_version: Option<String>,
    /// Where the benches wrote their inputs (requests.json, xml/, png/).
    pub out: PathBuf,
}

/// glibc malloc settings of the processing floor: freed memory stays in the process. A bench
/// loop on the main thread otherwise hands its multi-megabyte buffers back to the kernel
/// every iteration and faults them in again (25 ms becomes 30 ms at 1024 px), which the
/// server's worker threads, whose arenas keep their memory, do not pay: the floor would not
/// be the least the work costs.
pub const FLOOR_MALLOC: &str =
    "glibc.malloc.trim_threshold=1073741824:glibc.malloc.mmap_threshold=1073741824";

/// The criterion benches of the workspace: (package, bench target).
const BENCHES: [(&str, &str); 4] = [
    ("cos-ci-client", "prepare"),
    ("cos-ci-validate", "xml"),
    ("cos-ci-codegen", "generate"),
    ("cos-ci-mock", "processors"),
];

/// Runs every bench, then the Python peer.
pub fn run(ctx: &mut Ctx, installed: &Installed, synthetic: Option<&Path>) -> Micro {
    let out = ctx.work.join("out");
    let criterion_home = ctx.work.join("criterion");
    let mut micro = Micro {
        out: out.clone(),
        ..Micro::default()
    };
    let args: &[&str] = if ctx.quick {
        &[
            "--warm-up-time",
            "0.1",
            "--measurement-time",
            "0.3",
            "--sample-size",
            "10",
            "--noplot",
        ]
    } else {
        &["--warm-up-time", "1", "--measurement-time", "2", "--noplot"]
    };
    for (package, bench) in BENCHES {
        // Compiling the benches in release takes a few minutes the first time.
        let need = Duration::from_secs(if ctx.quick { 60 } else { 120 });
        if !ctx.fits(&format!("criterion bench {package}/{bench}"), need) {
            continue;
        }
        println!("cargo bench -p {package} --bench {bench}");
        let mut command = ctx.cargo();
        command
            .args(["bench", "-p", package, "--bench", bench, "--"])
            .args(args)
            .env("CRITERION_HOME", &criterion_home)
            .env("COS_CI_BENCH_OUT", &out);
        if let Some(dir) = synthetic {
            command.env("COS_CI_BENCH_SYNTHETIC_SPEC", dir);
        }
        if package == "cos-ci-mock" {
            command.env("GLIBC_TUNABLES", FLOOR_MALLOC);
        }
        let log = ctx.work.join(format!("logs/bench-{bench}"));
        match proc::run(&mut command, &log, ctx.timeout(Duration::from_secs(1200))) {
            Ok(f) if f.ok => println!("  done in {}s", f.elapsed.as_secs()),
            Ok(f) => ctx.problem(format!(
                "cargo bench -p {package} --bench {bench} failed ({}): {}",
                f.status,
                f.tail(8)
            )),
            Err(e) => ctx.problem(format!("cargo bench -p {package}: {e}")),
        }
    }

    let ops = operation_names(&out.join("requests.json"));
    for op in &ops {
        micro.prepare.push((
            op.clone(),
            estimate(&criterion_home, "prepare_download", op),
            estimate(&criterion_home, "presign", op),
        ));
    }
    for (group, into) in [
        ("xml", &mut micro.xml),
        ("codegen", &mut micro.codegen),
        ("process", &mut micro.process),
    ] {
        for name in functions(&criterion_home.join(group)) {
            if let Some(e) = estimate(&criterion_home, group, &name) {
                into.insert(name, e);
            }
        }
    }

    match &installed.python {
        Some((python, version)) if !ops.is_empty() => {
            micro.python_version = Some(version.clone());
            python_peer(ctx, python, &out, &mut micro.python);
        }
        Some(_) => ctx.problem("the Python SDK peer did not run: the Rust bench wrote no requests"),
        None => {}
    }
    micro
}

fn python_peer(ctx: &mut Ctx, python: &Path, out: &Path, into: &mut BTreeMap<String, f64>) {
    if !ctx.fits("the Python SDK peer", Duration::from_secs(60)) {
        return;
    }
    println!("python bench/python/peer.py");
    let mut command = std::process::Command::new(python);
    command
        .arg(ctx.root.join("bench/python/peer.py"))
        .arg("--requests")
        .arg(out.join("requests.json"))
        .arg("--xml-dir")
        .arg(out.join("xml"))
        .env("PYTHONDONTWRITEBYTECODE", "1");
    if ctx.quick {
        command.arg("--quick");
    }
    let finished = match proc::run(
        &mut command,
        &ctx.work.join("logs/python-peer"),
        ctx.timeout(Duration::from_secs(600)),
    ) {
        Ok(f) => f,
        Err(e) => return ctx.problem(format!("Python SDK peer: {e}")),
    };
    if !finished.ok {
        return ctx.problem(format!(
            "Python SDK peer failed ({}): {}",
            finished.status,
            finished.tail(8)
        ));
    }
    let json: serde_json::Value = match serde_json::from_str(finished.stdout.trim()) {
        Ok(v) => v,
        Err(e) => return ctx.problem(format!("Python SDK peer printed no JSON: {e}")),
    };
    for section in ["prepare", "presign", "xml"] {
        if let Some(map) = json.get(section).and_then(|v| v.as_object()) {
            for (name, ns) in map {
                if let Some(ns) = ns.as_f64() {
                    into.insert(format!("{section}/{name}"), ns);
                }
            }
        }
    }
    println!("  done in {}s", finished.elapsed.as_secs());
}

/// The operations the client bench prepared, in spec order.
fn operation_names(requests: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(requests) else {
        return Vec::new();
    };
    let Ok(serde_json::Value::Array(list)) = serde_json::from_str(&text) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|r| {
            r.get("operation")
                .and_then(|o| o.as_str())
                .map(str::to_string)
        })
        .collect()
}

/// The benchmark names under a criterion group directory.
fn functions(group: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(group)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.path().join("new/estimates.json").is_file())
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// `<home>/<group>/<function>/new/estimates.json`.
pub fn estimate(home: &Path, group: &str, function: &str) -> Option<Estimate> {
    let path = home
        .join(group)
        .join(function)
        .join("new")
        .join("estimates.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    let point = |key: &str| json.get(key)?.get("point_estimate")?.as_f64();
    Some(Estimate {
        median_ns: point("median")?,
    })
}
