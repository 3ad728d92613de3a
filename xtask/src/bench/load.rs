//! wrk on loopback: object GET / PUT against the mock and its peers, the mock's processing
//! against its in-process floor, and peak memory under concurrent large uploads.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::micro::{Estimate, Micro};
use super::proc::{self, Server};
use super::tools::Installed;
use super::{Ctx, step};

/// Connection counts of the object runs.
pub const CONNECTIONS: [u32; 3] = [1, 16, 64];
/// Size of the small object.
pub const SMALL_BYTES: usize = 4096;
/// Size of each upload of the memory run.
pub const BIG_BYTES: usize = 5 * 1024 * 1024;
/// Concurrent uploads of the memory run.
pub const BIG_CONNECTIONS: u32 = 64;
/// The processing runs: (operation, its parameters as NAME=VALUE).
pub const PROCESSING: [(&str, &[&str]); 2] = [
    ("AISuperResolution", &["magnify=2"]),
    ("AIEnhanceImage", &[]),
];
/// The square inputs of the processing runs (written by the processors bench).
pub const SIDES: [u32; 2] = [256, 1024];

/// The figures of one wrk run.
#[derive(Clone, Debug)]
pub struct Run {
    /// Completed requests (answered, whatever the status).
    pub requests: u64,
    /// Successful (2xx) answers per second.
    pub rps: f64,
    /// Mean latency, µs.
    pub mean_us: f64,
    /// Median latency, µs.
    pub p50_us: f64,
    /// 99th percentile, µs.
    pub p99_us: f64,
    /// Socket errors, timeouts and non-2xx answers.
    pub errors: u64,
}

/// One object run: server, method, connections, figures.
pub struct ObjectRun {
    /// Server name.
    pub server: String,
    /// GET or PUT.
    pub method: &'static str,
    /// Connections.
    pub conns: u32,
    /// The figures, when the run worked (the medians, over rounds).
    pub run: Option<Run>,
    /// Throughput of each round that worked (one round unless the baseline takes part).
    pub rps_rounds: Vec<f64>,
}

/// One processing run.
pub struct ProcessingRun {
    /// Operation.
    pub operation: &'static str,
    /// Side of the square input.
    pub side: u32,
    /// Input size in bytes.
    pub input_bytes: u64,
    /// The server's figures at one connection.
    pub run: Option<Run>,
    /// The in-process floor.
    pub floor: Option<Estimate>,
}

/// One memory run.
pub struct MemoryRun {
    /// Server name.
    pub server: String,
    /// VmHWM before the load, bytes.
    pub before: u64,
    /// VmHWM after it, bytes.
    pub peak: u64,
    /// The wrk figures of the uploads.
    pub run: Run,
}

/// What the load section measured.
#[derive(Default)]
pub struct Load {
    /// Seconds per wrk run.
    pub seconds: u64,
    /// Seconds per memory run.
    pub memory_seconds: u64,
    /// Object GET / PUT runs.
    pub object: Vec<ObjectRun>,
    /// Processing runs.
    pub processing: Vec<ProcessingRun>,
    /// Memory runs.
    pub memory: Vec<MemoryRun>,
    /// The servers that took part.
    pub servers: Vec<String>,
    /// The baseline mock, when one took part.
    pub baseline: Option<Baseline>,
    /// Rounds of the mock's and the baseline's object runs.
    pub baseline_rounds: usize,
}

/// A cos-ci-mock binary built from an earlier commit (`--baseline-mock FILE`).
#[derive(Clone, Debug)]
pub struct Baseline {
    /// The binary.
    pub file: PathBuf,
    /// The commit as given with `--baseline-commit`, resolved in this checkout when it can be:
    /// `abc1234 (2026-11-24, "subject")`.
    pub commit: Option<String>,
    /// Its `--version` line.
    pub version: Option<String>,
}

impl Baseline {
    /// Describes `file` (relative to the workspace root unless absolute) and the commit given.
    pub fn describe(root: &Path, file: &Path, commit: Option<&str>) -> Baseline {
        let file = root.join(file);
        let commit = commit.map(|rev| {
            let out = Command::new("git")
                .current_dir(root)
                .args(["log", "-1", "--format=%h (%ad, \"%s\")", "--date=short"])
                .arg(format!("{rev}^{{commit}}"))
                .arg("--")
                .output();
            match out {
                Ok(o) if o.status.success() => {
                    let line = String::from_utf8_lossy(&o.stdout).trim().to_string();
                    if line.is_empty() {
                        rev.to_string()
                    } else {
                        line
                    }
                }
                _ => format!("{rev} (not found in this checkout)"),
            }
        });
        let version = Command::new(&file)
            .arg("--version")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
        Baseline {
            file,
            commit,
            version,
        }
    }
}

/// The servers measured.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Peer {
    /// cos-ci-mock, objects in memory (its default).
    Mock,
    /// cos-ci-mock with `--data-dir` (objects on disk, as s3s-fs keeps them).
    MockDisk,
    /// cos-ci-mock built from an earlier commit (`--baseline-mock`), objects in memory.
    Baseline,
    S3sFs,
    Moto,
}

impl Peer {
    fn name(self) -> &'static str {
        match self {
            Peer::Mock => "cos-ci-mock",
            Peer::MockDisk => "cos-ci-mock --data-dir",
            Peer::Baseline => BASELINE,
            Peer::S3sFs => "s3s-fs",
            Peer::Moto => "moto",
        }
    }
}

/// The baseline mock's name in the report.
pub const BASELINE: &str = "cos-ci-mock baseline";

/// Binaries of this workspace the load and transfer sections need.
pub struct Bins {
    /// The release mock.
    pub mock: PathBuf,
    /// `examples/presign_urls`.
    pub presign: PathBuf,
    /// `examples/transfer_upload`.
    pub transfer: PathBuf,
    /// The baseline mock, when given and runnable.
    pub baseline: Option<PathBuf>,
}

/// A started server with the URLs of its small and big objects.
struct Started {
    server: Server,
    /// GET and PUT URLs of `key`, by key.
    urls: Vec<(String, String, String)>,
    /// A header every request carries (moto's unverified Authorization).
    header: Option<String>,
}

impl Started {
    fn url(&self, key: &str, method: &str) -> Option<&str> {
        self.urls
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, get, put)| {
                if method == "PUT" {
                    put.as_str()
                } else {
                    get.as_str()
                }
            })
    }
}

const SMALL_KEY: &str = "bench/small.bin";
/// A well-formed SigV4 Authorization header that moto parses but does not verify.
const MOTO_AUTHORIZATION: &str = "Authorization: AWS4-HMAC-SHA256 \
Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, \
Signature=0000000000000000000000000000000000000000000000000000000000000000";
const BIG_KEY: &str = "bench/big.bin";

/// Runs the load section.
pub fn run(
    ctx: &mut Ctx,
    installed: &Installed,
    micro: Option<&Micro>,
    baseline: Option<&Baseline>,
) -> Load {
    let mut load = Load {
        seconds: if ctx.quick { 1 } else { 5 },
        memory_seconds: if ctx.quick { 2 } else { 5 },
        ..Load::default()
    };
    let Some((wrk, _)) = &installed.wrk else {
        ctx.problem("no wrk: the load benchmarks did not run");
        return load;
    };
    if !ctx.fits("the load benchmarks", Duration::from_secs(120)) {
        return load;
    }
    let mut bins = match build(ctx) {
        Ok(bins) => bins,
        Err(e) => {
            ctx.problem(format!("load: {e}"));
            return load;
        }
    };
    let out = ctx.work.join("out");
    let small = out.join("small.bin");
    let big = out.join("big.bin");
    if let Err(e) = std::fs::create_dir_all(&out)
        .and_then(|()| std::fs::write(&small, pattern(SMALL_BYTES)))
        .and_then(|()| std::fs::write(&big, pattern(BIG_BYTES)))
    {
        ctx.problem(format!("load: cannot write the bodies: {e}"));
        return load;
    }

    let mut peers = vec![Peer::Mock];
    if let Some(baseline) = baseline {
        if baseline.version.is_some() {
            bins.baseline = Some(baseline.file.clone());
            load.baseline = Some(baseline.clone());
            peers.push(Peer::Baseline);
            ctx.note(format!(
                "{BASELINE}: `{}` ({}), built from commit {}, run exactly as today's mock \
                 (`--listen 127.0.0.1:0`, default credentials, objects in memory) with URLs \
                 pre-signed the same way.",
                baseline.file.display(),
                baseline.version.as_deref().unwrap_or("cos-ci-mock"),
                baseline
                    .commit
                    .as_deref()
                    .unwrap_or("not stated (--baseline-commit)")
            ));
        } else {
            ctx.problem(format!(
                "--baseline-mock {}: it does not run (`--version` failed); the baseline is left out",
                baseline.file.display()
            ));
        }
    }
    if installed.s3s_fs.is_some() {
        peers.push(Peer::S3sFs);
    }
    if installed.moto.is_some() {
        peers.push(Peer::Moto);
    }
    load.servers = peers.iter().map(|p| p.name().to_string()).collect();

    // 1. Small object GET / PUT. The mock and its baseline run side by side, cell by cell
    // (the order swapped every other cell), so that a change in the machine's load between
    // cells touches both; the other peers run one after the other.
    step("object GET / PUT (4 KiB) at 1, 16, 64 connections");
    let mut groups: Vec<Vec<Peer>> = vec![
        peers
            .iter()
            .copied()
            .filter(|p| matches!(p, Peer::Mock | Peer::Baseline))
            .collect(),
    ];
    groups.extend(
        peers
            .iter()
            .copied()
            .filter(|p| !matches!(p, Peer::Mock | Peer::Baseline))
            .map(|p| vec![p]),
    );
    for group in groups {
        let names: Vec<&str> = group.iter().map(|p| p.name()).collect();
        let rounds = rounds_of(&group, ctx.quick) as u64;
        if group.contains(&Peer::Baseline) {
            load.baseline_rounds = rounds as usize;
        }
        let need = Duration::from_secs(group.len() as u64 * rounds * (6 * (load.seconds + 2) + 10));
        if !ctx.fits(&format!("object runs of {}", names.join(" and ")), need) {
            continue;
        }
        let mut started = Vec::new();
        for &peer in &group {
            match start(ctx, peer, installed, &bins, &small, "object") {
                Ok(s) => started.push((peer, s)),
                Err(e) => ctx.problem(format!(
                    "{}: {e}; its object runs are left out",
                    peer.name()
                )),
            }
        }
        // (peer, method, connections) -> the runs of every round.
        let mut cells: Vec<(Peer, &'static str, u32, Vec<Option<Run>>)> = Vec::new();
        let mut cell = 0;
        for round in 0..rounds_of(&group, ctx.quick) {
            for method in ["GET", "PUT"] {
                for conns in CONNECTIONS {
                    let mut order: Vec<&(Peer, Started)> = started.iter().collect();
                    if cell % 2 == 1 {
                        order.reverse();
                    }
                    cell += 1;
                    if round > 0 {
                        println!("  (round {})", round + 1);
                    }
                    for (peer, started) in order {
                        let run =
                            object_run(ctx, wrk, *peer, started, &small, method, conns, &load);
                        match cells
                            .iter_mut()
                            .find(|c| c.0 == *peer && c.1 == method && c.2 == conns)
                        {
                            Some(c) => c.3.push(run),
                            None => cells.push((*peer, method, conns, vec![run])),
                        }
                    }
                }
            }
        }
        drop(started);
        for (peer, method, conns, runs) in cells {
            let rps_rounds: Vec<f64> = runs.iter().flatten().map(|r| r.rps).collect();
            load.object.push(ObjectRun {
                server: peer.name().to_string(),
                method,
                conns,
                run: median_run(&runs),
                rps_rounds,
            });
        }
    }

    // 2. Processing: the server against the in-process floor.
    step("processing during download: server vs in-process floor");
    processing(ctx, wrk, &bins, micro, &small, &mut load);

    // 3. Peak memory under 64 concurrent 5 MiB uploads.
    step("peak memory under 64 concurrent 5 MiB uploads");
    let mut memory_peers = vec![Peer::Mock, Peer::MockDisk];
    memory_peers.extend(
        peers
            .iter()
            .copied()
            .filter(|p| !matches!(p, Peer::Mock | Peer::Baseline)),
    );
    for peer in memory_peers {
        let need = Duration::from_secs(load.memory_seconds + 40);
        if !ctx.fits(&format!("memory run of {}", peer.name()), need) {
            continue;
        }
        match memory(
            ctx,
            wrk,
            peer,
            installed,
            &bins,
            &small,
            &big,
            load.memory_seconds,
        ) {
            Ok(m) => {
                println!(
                    "  {:<24} VmHWM {:>6.1} MiB (before {:>5.1} MiB), {} uploads, {} errors",
                    m.server,
                    mib(m.peak),
                    mib(m.before),
                    m.run.requests,
                    m.run.errors
                );
                load.memory.push(m);
            }
            Err(e) => ctx.problem(format!("memory run of {}: {e}", peer.name())),
        }
    }
    load
}

/// Rounds of the object runs of a group: 3 when the mock is compared with its baseline (a
/// 10% question on a shared machine needs more than one 5 s sample), else 1.
fn rounds_of(group: &[Peer], quick: bool) -> usize {
    if group.contains(&Peer::Baseline) && !quick {
        3
    } else {
        1
    }
}

/// The runs that worked, as one: medians of throughput and latencies, summed counts.
fn median_run(runs: &[Option<Run>]) -> Option<Run> {
    let ok: Vec<&Run> = runs.iter().flatten().collect();
    if ok.is_empty() {
        return None;
    }
    let median = |f: &dyn Fn(&Run) -> f64| {
        super::transfer::median(ok.iter().map(|r| f(r)).collect()).unwrap_or(f64::NAN)
    };
    Some(Run {
        requests: ok.iter().map(|r| r.requests).sum(),
        rps: median(&|r| r.rps),
        mean_us: median(&|r| r.mean_us),
        p50_us: median(&|r| r.p50_us),
        p99_us: median(&|r| r.p99_us),
        errors: ok.iter().map(|r| r.errors).sum(),
    })
}

/// One wrk run of a small-object cell against a started server, printed and checked.
#[allow(clippy::too_many_arguments)]
fn object_run(
    ctx: &mut Ctx,
    wrk: &Path,
    peer: Peer,
    started: &Started,
    small: &Path,
    method: &'static str,
    conns: u32,
    load: &Load,
) -> Option<Run> {
    let url = started
        .url(SMALL_KEY, method)
        .unwrap_or_default()
        .to_string();
    let body = (method == "PUT").then_some(small);
    let log = ctx.work.join(format!(
        "logs/wrk-{}-{method}-{conns}",
        peer.name().replace([' ', '-'], "_")
    ));
    let shot = Shot {
        url: &url,
        method,
        header: started.header.as_deref(),
        body,
        conns,
        seconds: load.seconds,
    };
    match wrk_run(ctx, wrk, &shot, &log) {
        Ok(run) => {
            println!(
                "  {:<24} {method} c={conns:<3} {:>9.0} req/s  p50 {:>8.0} µs  p99 {:>8.0} µs{}",
                peer.name(),
                run.rps,
                run.p50_us,
                run.p99_us,
                if run.errors > 0 {
                    format!("  {} errors", run.errors)
                } else {
                    String::new()
                }
            );
            if run.errors > 0 {
                ctx.problem(format!(
                    "{} {method} at {conns} connections: {} of {} requests failed \
                     (socket errors, timeouts or non-2xx){}",
                    peer.name(),
                    run.errors,
                    run.requests,
                    started
                        .server
                        .common_error()
                        .map(|e| format!("; its log, most often: {e}"))
                        .unwrap_or_default()
                ));
            }
            Some(run)
        }
        Err(e) => {
            ctx.problem(format!(
                "{} {method} at {conns} connections: {e}",
                peer.name()
            ));
            None
        }
    }
}

pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Deterministic bytes that do not compress.
pub fn pattern(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Builds the release mock, the URL pre-signer and the upload timer.
pub fn build(ctx: &mut Ctx) -> Result<Bins, String> {
    for args in [
        ["-p", "cos-ci-mock", "--bin", "cos-ci-mock"],
        ["-p", "cos-ci-client", "--example", "presign_urls"],
        ["-p", "cos-ci-client", "--example", "transfer_upload"],
    ] {
        println!("cargo build --release {}", args.join(" "));
        let f = proc::run(
            ctx.cargo().args(["build", "--release"]).args(args),
            &ctx.work.join(format!("logs/build-release-{}", args[3])),
            ctx.timeout(Duration::from_secs(1200)),
        )?;
        if !f.ok {
            return Err(format!(
                "cargo build --release {} failed ({}): {}",
                args.join(" "),
                f.status,
                f.tail(8)
            ));
        }
    }
    let release = ctx.target.join("release");
    Ok(Bins {
        mock: release.join("cos-ci-mock"),
        presign: release.join("examples").join("presign_urls"),
        transfer: release.join("examples").join("transfer_upload"),
        baseline: None,
    })
}

/// Pre-signed URLs from the client (`examples/presign_urls.rs`), one per request.
fn presign(bins: &Bins, endpoint: &str, requests: &[Vec<String>]) -> Result<Vec<String>, String> {
    let mut command = Command::new(&bins.presign);
    command.args(["--endpoint", endpoint, "--expires", "7200"]);
    for (i, request) in requests.iter().enumerate() {
        if i > 0 {
            command.arg(",");
        }
        command.args(request);
    }
    let out = command
        .output()
        .map_err(|e| format!("cannot run presign_urls: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "presign_urls failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let urls: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    if urls.len() != requests.len() {
        return Err(format!(
            "presign_urls printed {} URLs for {}",
            urls.len(),
            requests.len()
        ));
    }
    Ok(urls)
}

fn words(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| s.to_string()).collect()
}

/// Starts `peer` fresh, creates its bucket and stores the small object.
fn start(
    ctx: &Ctx,
    peer: Peer,
    installed: &Installed,
    bins: &Bins,
    small: &Path,
    purpose: &str,
) -> Result<Started, String> {
    let tag = format!("{}-{purpose}", peer.name().replace([' ', '-'], "_"));
    let log = ctx.work.join(format!("logs/server-{tag}"));
    let started = match peer {
        Peer::Mock | Peer::MockDisk | Peer::Baseline => {
            let bin = if peer == Peer::Baseline {
                bins.baseline.as_ref().ok_or("no baseline mock")?
            } else {
                &bins.mock
            };
            let mut command = Command::new(bin);
            command.args(["--listen", "127.0.0.1:0"]);
            if peer == Peer::MockDisk {
                let dir = fresh_dir(&ctx.work.join(format!("data-{tag}")))?;
                command.arg("--data-dir").arg(dir);
            }
            let server =
                Server::start(peer.name(), &mut command, &log, None, Some("listening on "))?;
            let urls = presign(
                bins,
                &server.endpoint(),
                &[
                    words(&["get", SMALL_KEY]),
                    words(&["put", SMALL_KEY]),
                    words(&["get", BIG_KEY]),
                    words(&["put", BIG_KEY]),
                ],
            )?;
            Started {
                server,
                urls: vec![
                    (SMALL_KEY.to_string(), urls[0].clone(), urls[1].clone()),
                    (BIG_KEY.to_string(), urls[2].clone(), urls[3].clone()),
                ],
                header: None,
            }
        }
        Peer::S3sFs | Peer::Moto => {
            let port = proc::free_port()?;
            let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
            let mut command = if peer == Peer::S3sFs {
                let (bin, _) = installed.s3s_fs.as_ref().ok_or("s3s-fs is not installed")?;
                let dir = fresh_dir(&ctx.work.join(format!("data-{tag}")))?;
                let mut c = Command::new(bin);
                c.args(["--host", "127.0.0.1", "--port", &port.to_string()])
                    .arg(dir);
                c
            } else {
                let (bin, _) = installed.moto.as_ref().ok_or("moto is not installed")?;
                let mut c = Command::new(bin);
                c.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
                c
            };
            let server = Server::start(peer.name(), &mut command, &log, Some(addr), None)?;
            let endpoint = server.endpoint();
            // moto verifies no signature, but refuses a GET without an Authorization header
            // (anonymous) unless the object is public: a fixed, well-formed one is replayed.
            let header = (peer == Peer::Moto).then(|| MOTO_AUTHORIZATION.to_string());
            let headers: Vec<String> = header.iter().cloned().collect();
            proc::http_ok("PUT", &format!("{endpoint}/bench"), &headers, b"")
                .map_err(|e| format!("creating the bucket: {e}"))?;
            let url = |key: &str| format!("{endpoint}/{key}");
            Started {
                server,
                urls: vec![
                    (SMALL_KEY.to_string(), url(SMALL_KEY), url(SMALL_KEY)),
                    (BIG_KEY.to_string(), url(BIG_KEY), url(BIG_KEY)),
                ],
                header,
            }
        }
    };
    let body = std::fs::read(small).map_err(|e| e.to_string())?;
    let put = started.url(SMALL_KEY, "PUT").unwrap_or_default();
    let headers: Vec<String> = started.header.iter().cloned().collect();
    proc::http_ok("PUT", put, &headers, &body)
        .map_err(|e| format!("storing the small object: {e}"))?;
    let get = started.url(SMALL_KEY, "GET").unwrap_or_default();
    let (status, answer) = proc::http("GET", get, &headers, b"")?;
    if status != 200 || answer != body {
        return Err(format!(
            "reading the small object back gave {status} and {} bytes",
            answer.len()
        ));
    }
    Ok(started)
}

pub fn fresh_dir(dir: &Path) -> Result<PathBuf, String> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir.to_path_buf())
}

/// What one wrk run sends.
struct Shot<'a> {
    url: &'a str,
    method: &'a str,
    header: Option<&'a str>,
    body: Option<&'a Path>,
    conns: u32,
    seconds: u64,
}

/// One wrk run of `shot.seconds` against a loopback URL.
fn wrk_run(ctx: &Ctx, wrk: &Path, shot: &Shot<'_>, log: &Path) -> Result<Run, String> {
    if !shot.url.starts_with("http://127.0.0.1:") {
        return Err(format!(
            "refusing a URL that is not on loopback: {}",
            shot.url
        ));
    }
    let mut command = Command::new(wrk);
    command
        .args([
            "-t1",
            &format!("-c{}", shot.conns),
            &format!("-d{}s", shot.seconds),
        ])
        .args(["--timeout", "30s", "-s"])
        .arg(ctx.root.join("bench/wrk/report.lua"))
        .arg(shot.url)
        .env("BENCH_METHOD", shot.method)
        .env("BENCH_HEADER", shot.header.unwrap_or_default())
        .env(
            "BENCH_BODY_FILE",
            shot.body.map(Path::as_os_str).unwrap_or_default(),
        );
    let f = proc::run(&mut command, log, Duration::from_secs(shot.seconds + 60))?;
    if !f.ok {
        return Err(format!("wrk failed ({}): {}", f.status, f.tail(5)));
    }
    let line = f
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("BENCH_JSON "))
        .ok_or_else(|| format!("wrk printed no figures: {}", f.tail(5)))?;
    let json: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("wrk figures: {e}: {line}"))?;
    let n = |key: &str| json.get(key).and_then(|v| v.as_f64()).unwrap_or(0.0);
    let requests = n("requests") as u64;
    let duration_s = n("duration_us") / 1e6;
    if requests == 0 || duration_s <= 0.0 {
        return Err(format!("no request completed: {line}"));
    }
    let errors = [
        "connect_errors",
        "read_errors",
        "write_errors",
        "status_errors",
        "timeouts",
    ]
    .iter()
    .map(|k| n(k) as u64)
    .sum();
    // Throughput counts the answers that succeeded; wrk counts non-2xx answers as requests.
    let succeeded = requests.saturating_sub(n("status_errors") as u64);
    Ok(Run {
        requests,
        rps: succeeded as f64 / duration_s,
        mean_us: n("latency_mean_us"),
        p50_us: n("latency_p50_us"),
        p99_us: n("latency_p99_us"),
        errors,
    })
}

fn processing(
    ctx: &mut Ctx,
    wrk: &Path,
    bins: &Bins,
    micro: Option<&Micro>,
    small: &Path,
    load: &mut Load,
) {
    let Some(micro) = micro else {
        ctx.problem(
            "processing runs skipped: they need the floor and the inputs of the micro section \
             (run without --only, or with --only micro,load)",
        );
        return;
    };
    let need = Duration::from_secs(4 * (load.seconds + 10) + 10);
    if !ctx.fits("processing runs", need) {
        return;
    }
    let installed = Installed::default();
    let started = match start(ctx, Peer::Mock, &installed, bins, small, "processing") {
        Ok(s) => s,
        Err(e) => return ctx.problem(format!("processing runs: {e}")),
    };
    let endpoint = started.server.endpoint();
    for side in SIDES {
        let png = micro.out.join("png").join(format!("{side}.png"));
        let Ok(bytes) = std::fs::read(&png) else {
            ctx.problem(format!(
                "processing runs at {side}x{side}: {} is missing (the processors bench did not run)",
                png.display()
            ));
            continue;
        };
        let key = format!("bench/{side}.png");
        let mut requests = vec![words(&["put", &key])];
        for (op, params) in PROCESSING {
            let mut r = words(&[op, &key]);
            r.extend(words(params));
            requests.push(r);
        }
        let urls = match presign(bins, &endpoint, &requests) {
            Ok(urls) => urls,
            Err(e) => return ctx.problem(format!("processing runs: {e}")),
        };
        if let Err(e) = proc::http_ok("PUT", &urls[0], &[], &bytes) {
            ctx.problem(format!("processing runs: uploading {key}: {e}"));
            continue;
        }
        for (i, (op, _)) in PROCESSING.iter().enumerate() {
            let url = &urls[i + 1];
            // The floor again, right before the server's run: on a shared machine, figures
            // taken minutes apart are not comparable. The micro section's figure is the
            // fallback.
            let floor = adjacent_floor(ctx, op, side)
                .or_else(|| micro.process.get(&format!("{op}_{side}")).copied());
            let run = match proc::http("GET", url, &[], b"") {
                Ok((200, answer)) if answer.starts_with(b"\x89PNG") => {
                    let log = ctx.work.join(format!("logs/wrk-process-{op}-{side}"));
                    let shot = Shot {
                        url,
                        method: "GET",
                        header: None,
                        body: None,
                        conns: 1,
                        seconds: load.seconds,
                    };
                    wrk_run(ctx, wrk, &shot, &log)
                }
                Ok((status, answer)) => Err(format!(
                    "the first request answered {status}: {}",
                    String::from_utf8_lossy(&answer)
                        .chars()
                        .take(200)
                        .collect::<String>()
                )),
                Err(e) => Err(e),
            };
            let run = match run {
                Ok(run) => {
                    println!(
                        "  {op:<18} {side:>4}px  server p50 {:>8.1} ms, floor {:>8.1} ms",
                        run.p50_us / 1000.0,
                        floor.map_or(f64::NAN, |f| f.median_ns / 1e6)
                    );
                    if run.errors > 0 {
                        ctx.problem(format!("{op} {side}px: {} failed requests", run.errors));
                    }
                    Some(run)
                }
                Err(e) => {
                    ctx.problem(format!("processing {op} at {side}px: {e}"));
                    None
                }
            };
            load.processing.push(ProcessingRun {
                operation: op,
                side,
                input_bytes: bytes.len() as u64,
                run,
                floor,
            });
        }
    }
}

/// `cos_ci_mock::processors::process` on the same input, measured by its criterion bench
/// (`process/<op>_<side>` only), now.
fn adjacent_floor(ctx: &mut Ctx, op: &str, side: u32) -> Option<Estimate> {
    let id = format!("{op}_{side}");
    let home = ctx.work.join("criterion");
    let mut command = ctx.cargo();
    command
        .args(["bench", "-p", "cos-ci-mock", "--bench", "processors", "--"])
        .args(["--exact", &format!("process/{id}"), "--noplot"])
        .args(["--measurement-time", if ctx.quick { "0.3" } else { "3" }])
        .env("CRITERION_HOME", &home)
        .env("COS_CI_BENCH_OUT", ctx.work.join("out"))
        .env("GLIBC_TUNABLES", super::micro::FLOOR_MALLOC);
    let log = ctx.work.join(format!("logs/bench-floor-{id}"));
    match proc::run(&mut command, &log, ctx.timeout(Duration::from_secs(300))) {
        Ok(f) if f.ok => super::micro::estimate(&home, "process", &id),
        Ok(f) => {
            ctx.problem(format!("floor of {id}: {}", f.tail(5)));
            None
        }
        Err(e) => {
            ctx.problem(format!("floor of {id}: {e}"));
            None
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn memory(
    ctx: &mut Ctx,
    wrk: &Path,
    peer: Peer,
    installed: &Installed,
    bins: &Bins,
    small: &Path,
    big: &Path,
    seconds: u64,
) -> Result<MemoryRun, String> {
    let started = start(ctx, peer, installed, bins, small, "memory")?;
    let before = started
        .server
        .vm_hwm()
        .ok_or("cannot read VmHWM from /proc")?;
    let url = started.url(BIG_KEY, "PUT").unwrap_or_default().to_string();
    let log = ctx.work.join(format!(
        "logs/wrk-memory-{}",
        peer.name().replace([' ', '-'], "_")
    ));
    let shot = Shot {
        url: &url,
        method: "PUT",
        header: started.header.as_deref(),
        body: Some(big),
        conns: BIG_CONNECTIONS,
        seconds,
    };
    let run = wrk_run(ctx, wrk, &shot, &log)?;
    let peak = started
        .server
        .vm_hwm()
        .ok_or("cannot read VmHWM from /proc after the load")?;
    if run.errors > 0 {
        ctx.problem(format!(
            "memory run of {}: {} of {} uploads failed{}",
            peer.name(),
            run.errors,
            run.requests,
            started
                .server
                .common_error()
                .map(|e| format!("; its log, most often: {e}"))
                .unwrap_or_default()
        ));
    }
    Ok(MemoryRun {
        server: peer.name().to_string(),
        before,
        peak,
        run,
    })
}
