//! `cargo xtask bench [--quick] [--only SECTIONS] [--out FILE] [--budget-minutes N]`:
//! cos-ci measured against its peers and floors, in one run, written to `bench/RESULTS.md`.
//!
//! Sections, in the order they run:
//!
//! * `micro`: the criterion benches (request preparation per operation, XML, the generator,
//!   the processing floor) and the official Python SDK doing the same work (`bench/python`).
//! * `load`: wrk on loopback against `cos-ci-mock`, s3s-fs and moto (GET / PUT of a small
//!   object at 1, 16 and 64 connections), the mock's processing latency against its in-process
//!   floor, and peak memory under 64 concurrent 5 MiB uploads. With `--baseline-mock FILE`, a
//!   cos-ci-mock binary built from an earlier commit runs beside today's as one more peer of
//!   the object runs (`--baseline-commit REV` names that commit in the report).
//! * `transfer`: 256 MiB uploaded through `cos_ci_client` to the release mock on loopback, as a
//!   multipart upload (`Client::upload_file`, default part size and concurrency) and as one
//!   streamed PUT (`put_object`), with the mock's peak memory during each (a fresh mock each
//!   time, objects in memory, then with `--data-dir`).
//! * `batch`: the client's batch bench: 200 small PNGs processed in the cloud against the
//!   in-process mock at concurrency 8 against 1, and the credential cache's per-request cost
//!   against the floor of cloning the credentials.
//! * `build`: the clean debug build of `cos-ci-client` with today's spec and with a synthetic
//!   spec of 100 operations, each in a copy of the workspace with its own target directory.
//!
//! Peers and tools are installed by the run itself (wrk with apt-get, s3s-fs with cargo install
//! into `<target>/bench-tools`, the Python SDK and moto with pip into a virtualenv there); one
//! that cannot be installed is reported, and the rest still runs. Every load run has a fixed
//! duration, every process started is killed when its part ends, and the whole run has a time
//! budget (25 minutes; 10 with `--quick`): a part that no longer fits is skipped and reported.
//! `--quick` is a smoke run (short measurements, `cargo check` instead of clean builds) that
//! writes `<target>/bench/RESULTS-quick.md` unless `--out` says otherwise.

mod batch;
mod buildcost;
mod load;
mod micro;
mod proc;
mod report;
mod tools;
mod transfer;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

pub const USAGE: &str = "cargo xtask bench [--quick] [--only micro,load,transfer,batch,build] [--out FILE] \
     [--budget-minutes N] [--baseline-mock FILE [--baseline-commit REV]]";

/// What `cargo xtask bench` was asked to do.
pub struct Options {
    /// A smoke run: short measurements, checks instead of clean builds.
    pub quick: bool,
    /// Which sections run.
    pub micro: bool,
    /// The load section.
    pub load: bool,
    /// The build-cost section.
    pub build: bool,
    /// The transfer section (multipart upload against a single PUT).
    pub transfer: bool,
    /// The batch section (batch processing, the credential cache).
    pub batch: bool,
    /// A cos-ci-mock binary from an earlier commit, run as one more peer of the object runs.
    pub baseline_mock: Option<PathBuf>,
    /// The commit that binary was built from, as given (named in the report).
    pub baseline_commit: Option<String>,
    /// Where the report goes (relative to the workspace root).
    pub out: Option<PathBuf>,
    /// The time budget of the whole run.
    pub budget: Duration,
}

impl Options {
    /// Parses the arguments after `bench`.
    pub fn parse(args: &[String]) -> Result<Self, String> {
        let mut options = Options {
            quick: false,
            micro: true,
            load: true,
            build: true,
            transfer: true,
            batch: true,
            baseline_mock: None,
            baseline_commit: None,
            out: None,
            budget: Duration::ZERO,
        };
        let mut budget_minutes = None;
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            match arg.as_str() {
                "--quick" => options.quick = true,
                "--only" => {
                    let list = rest.next().ok_or("--only needs a list")?;
                    options.micro = false;
                    options.load = false;
                    options.build = false;
                    options.transfer = false;
                    options.batch = false;
                    for section in list.split(',') {
                        match section.trim() {
                            "micro" => options.micro = true,
                            "load" => options.load = true,
                            "build" => options.build = true,
                            "transfer" => options.transfer = true,
                            "batch" => options.batch = true,
                            other => return Err(format!("unknown section {other:?}")),
                        }
                    }
                }
                "--out" => {
                    options.out = Some(PathBuf::from(rest.next().ok_or("--out needs a file")?));
                }
                "--baseline-mock" => {
                    let file = rest.next().ok_or("--baseline-mock needs a file")?;
                    options.baseline_mock = Some(PathBuf::from(file));
                }
                "--baseline-commit" => {
                    let rev = rest.next().ok_or("--baseline-commit needs a commit")?;
                    options.baseline_commit = Some(rev.clone());
                }
                "--budget-minutes" => {
                    let n: u64 = rest
                        .next()
                        .ok_or("--budget-minutes needs a number")?
                        .parse()
                        .map_err(|e| format!("--budget-minutes: {e}"))?;
                    budget_minutes = Some(n);
                }
                other => return Err(format!("unknown argument {other:?}\nusage: {USAGE}")),
            }
        }
        if options.baseline_commit.is_some() && options.baseline_mock.is_none() {
            return Err("--baseline-commit names the commit of --baseline-mock FILE".into());
        }
        let minutes = budget_minutes.unwrap_or(if options.quick { 10 } else { 25 });
        options.budget = Duration::from_secs(minutes * 60);
        Ok(options)
    }
}

/// Everything the sections share: paths, the clock, and what went wrong.
pub struct Ctx {
    /// The workspace root.
    pub root: PathBuf,
    /// The cargo target directory.
    pub target: PathBuf,
    /// Scratch space of this run: `<target>/bench`.
    pub work: PathBuf,
    /// Installed tools, kept between runs: `<target>/bench-tools`.
    pub tools: PathBuf,
    /// Smoke run.
    pub quick: bool,
    started: Instant,
    budget: Duration,
    /// Problems, in the order met; each is reported.
    pub problems: Vec<String>,
    /// How each peer was set up and run; reported.
    pub notes: Vec<String>,
}

impl Ctx {
    /// Time left in the budget.
    pub fn remaining(&self) -> Duration {
        self.budget.saturating_sub(self.started.elapsed())
    }

    /// Whether `need` still fits in the budget; if not, records why `what` is skipped.
    pub fn fits(&mut self, what: &str, need: Duration) -> bool {
        if self.remaining() >= need {
            return true;
        }
        self.problem(format!(
            "{what}: skipped, the time budget has {}s left and it needs about {}s",
            self.remaining().as_secs(),
            need.as_secs()
        ));
        false
    }

    /// Records a problem (and says it now).
    pub fn problem(&mut self, message: impl Into<String>) {
        let message = message.into();
        eprintln!("bench: problem: {message}");
        self.problems.push(message);
    }

    /// Records how something was set up.
    pub fn note(&mut self, message: impl Into<String>) {
        self.notes.push(message.into());
    }

    /// A timeout for a command: `cap`, or what is left of the budget.
    pub fn timeout(&self, cap: Duration) -> Duration {
        cap.min(self.remaining()).max(Duration::from_secs(1))
    }

    /// `cargo` as cargo itself names it for xtask, in the workspace root.
    pub fn cargo(&self) -> std::process::Command {
        let mut command =
            std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        command.current_dir(&self.root);
        command.env("CARGO_TARGET_DIR", &self.target);
        command
    }

    /// Elapsed since the run started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

/// Prints a step header.
pub fn step(name: &str) {
    println!("\n==> {name}");
}

/// `cargo xtask bench ...`.
pub fn main(root: &Path, args: &[String]) -> ExitCode {
    let options = match Options::parse(args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("xtask bench: {message}");
            return ExitCode::from(2);
        }
    };
    match run(root, &options) {
        Ok(path) => {
            println!("\nxtask bench: wrote {}", path.display());
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("xtask bench: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(root: &Path, options: &Options) -> Result<PathBuf, String> {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    };
    let work = target.join("bench");
    let tools = target.join("bench-tools");
    // A fresh scratch directory: nothing from an earlier run can be mistaken for this one's.
    if work.exists() {
        std::fs::remove_dir_all(&work)
            .map_err(|e| format!("cannot clear {}: {e}", work.display()))?;
    }
    for dir in [&work, &tools] {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut ctx = Ctx {
        root: root.to_path_buf(),
        target,
        work,
        tools,
        quick: options.quick,
        started: Instant::now(),
        budget: options.budget,
        problems: Vec::new(),
        notes: Vec::new(),
    };
    let machine = report::Machine::read(&ctx);
    println!(
        "bench: {} mode, budget {} min, scratch {}",
        if ctx.quick { "quick" } else { "full" },
        options.budget.as_secs() / 60,
        ctx.work.display()
    );

    step("tools and peers");
    let installed = tools::install(&mut ctx, options);

    // The synthetic spec is written first: the generator bench and the build cost both use it.
    let synthetic = if options.micro || options.build {
        match buildcost::write_synthetic_spec(&ctx) {
            Ok(dir) => Some(dir),
            Err(e) => {
                ctx.problem(format!("synthetic spec: {e}"));
                None
            }
        }
    } else {
        None
    };

    let baseline = options
        .baseline_mock
        .as_ref()
        .map(|file| load::Baseline::describe(root, file, options.baseline_commit.as_deref()));
    let mut results = report::Results::default();
    if options.micro {
        step("micro benchmarks (criterion) and the Python SDK");
        results.micro = Some(micro::run(&mut ctx, &installed, synthetic.as_deref()));
    }
    if options.load {
        step("load on loopback (wrk)");
        results.load = Some(load::run(
            &mut ctx,
            &installed,
            results.micro.as_ref(),
            baseline.as_ref(),
        ));
    }
    if options.transfer {
        step("transfer: multipart upload against a single PUT (256 MiB)");
        results.transfer = Some(transfer::run(&mut ctx));
    }
    if options.batch {
        step("batch: 200 images at concurrency 8 against 1; the credential cache");
        results.batch = Some(batch::run(&mut ctx));
    }
    if options.build {
        step("build cost");
        results.build = Some(buildcost::run(&mut ctx, synthetic.as_deref()));
    }

    let out = match &options.out {
        Some(path) => root.join(path),
        None if ctx.quick => ctx.target.join("bench").join("RESULTS-quick.md"),
        None => root.join("bench").join("RESULTS.md"),
    };
    let text = report::render(&ctx, &machine, &installed, &results);
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::write(&out, text).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    println!(
        "bench: done in {}s with {} problem(s)",
        ctx.elapsed().as_secs(),
        ctx.problems.len()
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, String> {
        Options::parse(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn only_accepts_the_transfer_section() {
        let o = parse(&["--only", "load,transfer"]).unwrap();
        assert!(o.load && o.transfer);
        assert!(!o.micro && !o.build);
        let all = parse(&[]).unwrap();
        assert!(all.micro && all.load && all.transfer && all.batch && all.build);
        let o = parse(&["--only", "batch"]).unwrap();
        assert!(o.batch && !o.transfer && !o.micro);
        assert!(parse(&["--only", "tranfser"]).is_err());
    }

    #[test]
    fn the_baseline_mock_is_optional_and_its_commit_needs_it() {
        assert!(parse(&[]).unwrap().baseline_mock.is_none());
        let o = parse(&[
            "--baseline-mock",
            "old/cos-ci-mock",
            "--baseline-commit",
            "7a21fb4",
        ])
        .unwrap();
        assert_eq!(o.baseline_mock, Some(PathBuf::from("old/cos-ci-mock")));
        assert_eq!(o.baseline_commit.as_deref(), Some("7a21fb4"));
        assert!(parse(&["--baseline-mock"]).is_err());
        assert!(parse(&["--baseline-commit", "7a21fb4"]).is_err());
    }
}
