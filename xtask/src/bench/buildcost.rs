//! Build cost: the clean debug build of `cos-ci-client` with today's spec and with a synthetic
//! spec of 100 operations, each in its own copy of the workspace with a fresh target directory;
//! and the generator's own run on both.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{Ctx, proc};

/// Operations in the synthetic spec (today's, plus synthetic ones up to this count).
pub const SYNTHETIC_OPERATIONS: usize = 100;

/// The figures of one spec.
#[derive(Clone, Debug, Default)]
pub struct Build {
    /// Operations in the spec.
    pub operations: usize,
    /// Lines of generated Rust in cos-ci-validate and cos-ci-client.
    pub generated_lines: usize,
    /// load + generate + apply, in this (debug) xtask.
    pub generator: Option<Duration>,
    /// The clean build (or check, in a quick run) of cos-ci-client.
    pub clean: Option<Duration>,
    /// Its CPU time (user + sys of every process), seconds: less sensitive to other load.
    pub clean_cpu: Option<f64>,
    /// The rebuild of the workspace's own crates once the dependencies are built.
    pub crates_only: Option<Duration>,
}

/// Issue 9's baseline: the generated lines (cos-ci-validate + cos-ci-client) of the fifteen
/// operations the spec had when the issue was filed (bench/RESULTS.md of that day).
pub const ISSUE9_BASELINE_LINES: usize = 4316;

/// Those fifteen operations, by file stem.
const FIRST_FIFTEEN: [&str; 15] = [
    "ai-body-recognition",
    "ai-enhance-image",
    "ai-game-rec",
    "ai-image-coloring",
    "ai-image-crop",
    "ai-license-rec",
    "ai-object-detect",
    "ai-pic-matting",
    "ai-portrait-matting",
    "ai-super-resolution",
    "assess-quality",
    "detect-face",
    "goods-matting",
    "image-repair",
    "recognize-logo",
];

/// What the build section measured.
#[derive(Default)]
pub struct BuildCost {
    /// `build` or `check`.
    pub command: &'static str,
    /// Generated lines of today's generator for issue 9's fifteen operations (their files of
    /// today), to compare with [`ISSUE9_BASELINE_LINES`].
    pub first_fifteen_lines: Option<usize>,
    /// Today's spec.
    pub today: Build,
    /// The synthetic spec.
    pub synthetic: Build,
}

/// Writes `<work>/synthetic-spec`: today's spec plus synthetic operations up to 100.
pub fn write_synthetic_spec(ctx: &Ctx) -> Result<PathBuf, String> {
    let dir = ctx.work.join("synthetic-spec");
    let ops_dir = dir.join("operations");
    std::fs::create_dir_all(&ops_dir).map_err(|e| format!("{}: {e}", ops_dir.display()))?;
    let spec = ctx.root.join("spec");
    copy_file(&spec.join("service.yaml"), &dir.join("service.yaml"))?;
    let mut today = 0;
    for entry in std::fs::read_dir(spec.join("operations")).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if let Some(name) = path.file_name() {
            copy_file(&path, &ops_dir.join(name))?;
            today += 1;
        }
    }
    for i in 0..SYNTHETIC_OPERATIONS.saturating_sub(today) {
        let (name, file) = synthetic_name(i);
        std::fs::write(
            ops_dir.join(format!("{file}.yaml")),
            synthetic_operation(i, &name),
        )
        .map_err(|e| format!("{file}.yaml: {e}"))?;
    }
    Ok(dir)
}

fn copy_file(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| format!("copy {} -> {}: {e}", from.display(), to.display()))
}

/// `SynthOpAa`, `SynthOpAb`, … and their file stems `synth-op-aa`, …
fn synthetic_name(i: usize) -> (String, String) {
    let a = (b'a' + (i / 26) as u8) as char;
    let b = (b'a' + (i % 26) as u8) as char;
    (
        format!("SynthOp{}{b}", a.to_ascii_uppercase()),
        format!("synth-op-{a}{b}"),
    )
}

/// The parameter kinds the synthetic operations draw from: (name, YAML body, wire example).
const PARAMS: [(&str, &str, Option<&str>); 9] = [
    (
        "level",
        "type: integer\n    range: [0, 100]\n    default: 50\n    doc: Strength of the effect.",
        Some("10"),
    ),
    (
        "scale",
        "type: integer\n    values: [2, 4, 8]\n    variant_prefix: X\n    default: 2\n    doc: Magnification.",
        None,
    ),
    (
        "ratio",
        "type: number\n    range: [0.1, 10]\n    doc: Aspect ratio of the result.",
        None,
    ),
    (
        "keep-alpha",
        "type: flag\n    doc: With 1, the alpha channel is kept.",
        None,
    ),
    (
        "label",
        "type: text\n    max_len: 256\n    doc: A label stored with the result.",
        None,
    ),
    (
        "quality-mode",
        "type: text\n    values: [fast, balanced, best]\n    doc: Speed against quality.",
        None,
    ),
    (
        "padding",
        // The service's shared shape: an inline copy of it is an error (issue 9).
        "type: PaddingLayout\n    doc: Padding, <dx>x<dy>.",
        None,
    ),
    (
        "ignore-error",
        "type: flag\n    ignore_error: true\n    doc: With 1, a failure returns the original image.",
        None,
    ),
    (
        "width",
        "type: integer\n    range: [1, 9999]\n    required: true\n    doc: Width of the result in pixels.",
        Some("100"),
    ),
];

/// One synthetic operation: 3 to 7 parameters of varied kinds; every fourth answers XML.
fn synthetic_operation(i: usize, name: &str) -> String {
    let count = 3 + i % 5;
    let mut chosen: Vec<usize> = (0..count).map(|k| (i + k * 2) % PARAMS.len()).collect();
    chosen.sort_unstable();
    chosen.dedup();
    let xml = i % 4 == 3;
    let mut y = format!(
        "# Synthetic operation {i} of cargo xtask bench (build cost with a 100-operation spec).\n\
         name: {name}\nsummary: Synthetic operation {i} for the build-cost benchmark.\n"
    );
    if xml {
        y.push_str(&format!(
            "modes: [download]\nsource:\n  detect_url: true\npermissions:\n  download: [ci:Create{name}Job]\n"
        ));
    } else {
        y.push_str(&format!(
            "modes: [download, upload, cloud]\nsource:\n  detect_url: true\npermissions:\n  \
             download: [ci:Create{name}Job]\n"
        ));
    }
    y.push_str("params:\n");
    for &k in &chosen {
        let (param, body, _) = PARAMS[k];
        // XML answers have nothing to return on failure.
        if xml && param == "ignore-error" {
            continue;
        }
        y.push_str(&format!("  {param}:\n    {body}\n"));
    }
    if xml {
        y.push_str(&format!(
            "output:\n  download: xml\n  response:\n    root: Response\n    rust_name: {name}Response\n    \
             nodes:\n      Score: {{ type: integer, example: 90 }}\n      \
             Label: {{ type: string, example: cat }}\n      Boxes:\n        repeated: true\n        \
             rust_name: {name}Box\n        nodes:\n          X: {{ type: integer, example: 0 }}\n          \
             Y: {{ type: integer, example: 0 }}\n          W: {{ type: integer, example: 1 }}\nmock:\n  \
             processor: xml\n"
        ));
    } else {
        y.push_str("output:\n  download: image\nmock:\n  processor: passthrough\n");
    }
    // An example with the integer parameters (required ones included) and its exact query.
    let mut params = Vec::new();
    let mut query = format!("ci-process={name}");
    for &k in &chosen {
        if let (param, _, Some(wire)) = PARAMS[k] {
            params.push(format!("{param}: {wire}"));
            query.push_str(&format!("&{param}={wire}"));
        }
    }
    y.push_str(&format!(
        "examples:\n  - params: {{ {} }}\n    query: {query}\n",
        params.join(", ")
    ));
    if !xml {
        y.push_str(&format!("    rule: {query}\n"));
    }
    y
}

/// Runs the build-cost section.
pub fn run(ctx: &mut Ctx, synthetic: Option<&Path>) -> BuildCost {
    let mut cost = BuildCost {
        command: if ctx.quick { "check" } else { "build" },
        ..BuildCost::default()
    };
    match first_fifteen_lines(ctx) {
        Ok(lines) => cost.first_fifteen_lines = Some(lines),
        Err(e) => ctx.problem(format!("build cost: the first fifteen operations: {e}")),
    }
    let Some(synthetic) = synthetic else {
        ctx.problem("build cost: no synthetic spec, so only today's spec is built");
        cost.today = one(ctx, "today", None, cost.command);
        return cost;
    };
    cost.today = one(ctx, "today", None, cost.command);
    cost.synthetic = one(ctx, "synthetic", Some(synthetic), cost.command);
    cost
}

/// Generates issue 9's fifteen operations (today's files, today's service.yaml) in memory and
/// counts the lines the two crates get, as [`one`] counts them for a whole spec.
fn first_fifteen_lines(ctx: &Ctx) -> Result<usize, String> {
    // Named `spec` like the workspace's, so the files name their sources as it does.
    let dir = ctx.work.join("first-fifteen").join("spec");
    let ops = dir.join("operations");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&ops).map_err(|e| format!("{}: {e}", ops.display()))?;
    let spec = ctx.root.join("spec");
    copy_file(&spec.join("service.yaml"), &dir.join("service.yaml"))?;
    for stem in FIRST_FIFTEEN {
        let file = format!("{stem}.yaml");
        copy_file(&spec.join("operations").join(&file), &ops.join(&file))?;
    }
    let files = cos_ci_codegen::load(&dir)
        .map_err(|d| d.to_string())
        .and_then(|spec| cos_ci_codegen::generate(&spec))?;
    Ok(files
        .iter()
        .filter(|f| {
            f.path.starts_with("crates/cos-ci-validate/src/generated/")
                || f.path.starts_with("crates/cos-ci-client/src/generated/")
        })
        .map(|f| f.contents.lines().count())
        .sum())
}

/// Copies the workspace, puts `spec` in it, runs the generator and builds `cos-ci-client`.
fn one(ctx: &mut Ctx, label: &str, spec: Option<&Path>, command: &str) -> Build {
    let mut build = Build::default();
    let need = Duration::from_secs(if ctx.quick { 120 } else { 300 });
    if !ctx.fits(&format!("build cost ({label} spec)"), need) {
        return build;
    }
    let base = ctx.work.join("build");
    let copy = base.join(label);
    let target = base.join(format!("{label}-target"));
    let _ = std::fs::remove_dir_all(&copy);
    let _ = std::fs::remove_dir_all(&target);
    println!("copying the workspace to {}", copy.display());
    if let Err(e) = copy_tree(&ctx.root, &copy, &ctx.target) {
        ctx.problem(format!(
            "build cost ({label}): cannot copy the workspace: {e}"
        ));
        return build;
    }
    if let Some(spec) = spec {
        let _ = std::fs::remove_dir_all(copy.join("spec"));
        if let Err(e) = copy_tree(spec, &copy.join("spec"), &ctx.target) {
            ctx.problem(format!("build cost ({label}): cannot copy the spec: {e}"));
            return build;
        }
    }
    build.operations = std::fs::read_dir(copy.join("spec/operations"))
        .map(|d| d.count())
        .unwrap_or(0);

    // The generator, through the cos_ci_codegen library, into the copy.
    let started = Instant::now();
    let generated = cos_ci_codegen::load(&copy.join("spec"))
        .map_err(|d| d.to_string())
        .and_then(|spec| cos_ci_codegen::generate(&spec))
        .and_then(|files| {
            cos_ci_codegen::apply(&copy, &files)
                .map(|_| ())
                .map_err(|e| e.to_string())
        });
    match generated {
        Ok(()) => build.generator = Some(started.elapsed()),
        Err(e) => {
            ctx.problem(format!("build cost ({label}): the generator failed: {e}"));
            return build;
        }
    }
    build.generated_lines = [
        "crates/cos-ci-validate/src/generated",
        "crates/cos-ci-client/src/generated",
    ]
    .iter()
    .map(|d| count_lines(&copy.join(d)))
    .sum();

    println!(
        "cargo {command} -p cos-ci-client ({label}: {} operations, fresh target dir)",
        build.operations
    );
    let cargo = |ctx: &Ctx, args: &[&str]| {
        // bash's `time` reports the CPU time of the whole process tree.
        let mut c = std::process::Command::new("bash");
        c.arg("-c")
            .arg("TIMEFORMAT='BENCH_CPU %U %S'; time \"$@\"")
            .arg("bash")
            .arg(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .current_dir(&copy)
            .env("CARGO_TARGET_DIR", &target)
            .args(args);
        proc::run(
            &mut c,
            &ctx.work
                .join(format!("logs/buildcost-{label}-{}", args.join("_"))),
            ctx.timeout(Duration::from_secs(1500)),
        )
    };
    match cargo(ctx, &[command, "-p", "cos-ci-client"]) {
        Ok(f) if f.ok => {
            println!("  {}s", f.elapsed.as_secs());
            build.clean = Some(f.elapsed);
            build.clean_cpu = f
                .stderr
                .lines()
                .rev()
                .find_map(|l| l.strip_prefix("BENCH_CPU "))
                .and_then(|t| {
                    let mut it = t.split_whitespace().map(|v| v.parse::<f64>().ok());
                    Some(it.next()?? + it.next()??)
                });
        }
        Ok(f) => ctx.problem(format!(
            "build cost ({label}): cargo {command} -p cos-ci-client failed ({}): {}",
            f.status,
            f.tail(8)
        )),
        Err(e) => ctx.problem(format!("build cost ({label}): {e}")),
    }
    if build.clean.is_some() {
        let cleaned = cargo(
            ctx,
            &[
                "clean",
                "-p",
                "cos-ci-client",
                "-p",
                "cos-ci-validate",
                "-p",
                "cos-ci-sign",
                "-p",
                "cos-ci-core",
            ],
        );
        match cleaned {
            Ok(f) if f.ok => match cargo(ctx, &[command, "-p", "cos-ci-client"]) {
                Ok(f) if f.ok => {
                    println!("  workspace crates only: {}s", f.elapsed.as_secs());
                    build.crates_only = Some(f.elapsed);
                }
                Ok(f) => ctx.problem(format!(
                    "build cost ({label}): the rebuild of the workspace crates failed: {}",
                    f.tail(5)
                )),
                Err(e) => ctx.problem(format!("build cost ({label}): {e}")),
            },
            Ok(f) => ctx.problem(format!(
                "build cost ({label}): cargo clean -p failed: {}",
                f.tail(5)
            )),
            Err(e) => ctx.problem(format!("build cost ({label}): {e}")),
        }
    }
    // The copies' target directories are large and of no further use.
    let _ = std::fs::remove_dir_all(&target);
    build
}

/// Copies `from` to `to`, leaving out build output, git and virtualenvs.
fn copy_tree(from: &Path, to: &Path, target: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    let target = target.canonicalize().ok();
    for entry in std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let path = entry.path();
        let name = entry.file_name();
        if matches!(
            name.to_str(),
            Some("target" | ".git" | ".venv" | "__pycache__")
        ) {
            continue;
        }
        if target.is_some() && path.canonicalize().ok() == target {
            continue;
        }
        let kind = entry.file_type().map_err(|e| e.to_string())?;
        if kind.is_dir() {
            copy_tree(
                &path,
                &to.join(&name),
                target.as_deref().unwrap_or(Path::new("")),
            )?;
        } else if kind.is_file() {
            copy_file(&path, &to.join(&name))?;
        }
    }
    Ok(())
}

fn count_lines(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
                .map(|e| {
                    std::fs::read_to_string(e.path())
                        .map(|t| t.lines().count())
                        .unwrap_or(0)
                })
                .sum()
        })
        .unwrap_or(0)
}
