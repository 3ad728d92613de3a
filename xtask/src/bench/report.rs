//! `bench/RESULTS.md`: the machine, then every figure as a ratio to its peer or floor with the
//! raw numbers beside it, then how the peers ran and what went wrong.

use std::fmt::Write as _;
use std::process::Command;

use super::Ctx;
use super::batch::Batch;
use super::buildcost::{Build, BuildCost};
use super::load::{self, Load, Run};
use super::micro::Micro;
use super::tools::Installed;
use super::transfer::{self, Storage, Transfer};

/// What the sections measured.
#[derive(Default)]
pub struct Results {
    /// Criterion and the Python SDK.
    pub micro: Option<Micro>,
    /// wrk.
    pub load: Option<Load>,
    /// Build cost.
    pub build: Option<BuildCost>,
    /// Multipart upload against a single PUT.
    pub transfer: Option<Transfer>,
    /// Batch processing and the credential cache.
    pub batch: Option<Batch>,
}

/// The machine the run is on.
pub struct Machine {
    nproc: String,
    cpu: String,
    memory: String,
    rustc: String,
    date: String,
    kernel: String,
    load_average: String,
}

fn command_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

impl Machine {
    /// Reads /proc and asks rustc and date.
    pub fn read(ctx: &Ctx) -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map_or("unknown".to_string(), |(_, v)| v.trim().to_string());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory = meminfo
            .lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or("unknown".to_string(), |kb| {
                format!("{:.1} GiB", kb / (1024.0 * 1024.0))
            });
        let rustc = {
            let mut c = Command::new("rustc");
            c.arg("--version").current_dir(&ctx.root);
            c.output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                .unwrap_or_else(|| "unknown".to_string())
        };
        Machine {
            nproc: std::thread::available_parallelism()
                .map(|n| n.to_string())
                .unwrap_or_else(|_| "unknown".to_string()),
            cpu,
            memory,
            rustc,
            date: command_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|s| s.trim().to_string())
                .unwrap_or_else(|_| "unknown".to_string()),
            load_average: std::fs::read_to_string("/proc/loadavg")
                .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
                .unwrap_or_else(|_| "unknown".to_string()),
        }
    }
}

/// `1.23 µs`-style time from nanoseconds.
fn time_ns(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn ms(us: f64) -> String {
    if us >= 100_000.0 {
        format!("{:.0} ms", us / 1000.0)
    } else {
        format!("{:.2} ms", us / 1000.0)
    }
}

/// `a / b` as `0.12×`, or `n/a`.
fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 && a.is_finite() => {
            let r = a / b;
            if r >= 100.0 {
                format!("{r:.0}×")
            } else if r >= 10.0 {
                format!("{r:.1}×")
            } else if r >= 0.1 {
                format!("{r:.2}×")
            } else if r >= 0.01 {
                format!("{r:.3}×")
            } else {
                format!("{r:.4}×")
            }
        }
        _ => "n/a".to_string(),
    }
}

fn or_na(v: Option<String>) -> String {
    v.unwrap_or_else(|| "n/a".to_string())
}

fn geomean(values: &[f64]) -> Option<f64> {
    let values: Vec<f64> = values.iter().copied().filter(|v| *v > 0.0).collect();
    if values.is_empty() {
        return None;
    }
    Some((values.iter().map(|v| v.ln()).sum::<f64>() / values.len() as f64).exp())
}

fn secs(d: Option<std::time::Duration>) -> Option<f64> {
    d.map(|d| d.as_secs_f64())
}

/// The whole report.
pub fn render(ctx: &Ctx, machine: &Machine, installed: &Installed, results: &Results) -> String {
    let mut s = String::new();
    let mode = if ctx.quick {
        "`--quick`: a smoke run with short measurements and `cargo check` instead of clean \
         builds, not for quoting"
    } else {
        "a full run"
    };
    let _ = writeln!(s, "# cos-ci benchmarks\n");
    let _ = writeln!(
        s,
        "Written by `cargo xtask bench` ({mode}). Every figure is a ratio to a peer or to a floor (the \
         work itself, done outside the system), measured in the same run on the same machine, with the \
         raw numbers beside it. For times, a ratio below 1 means cos-ci takes less time; for \
         throughput, above 1 means cos-ci serves more. The machine is shared and small: treat ratios \
         within ±20% as equal.\n"
    );
    let _ = writeln!(s, "## Machine\n");
    let _ = writeln!(s, "| | |\n|---|---|");
    for (k, v) in [
        ("date", &machine.date),
        ("nproc", &machine.nproc),
        ("CPU", &machine.cpu),
        ("memory", &machine.memory),
        ("rustc", &machine.rustc),
        ("kernel", &machine.kernel),
        (
            "load average at start (1, 5, 15 min)",
            &machine.load_average,
        ),
    ] {
        let _ = writeln!(s, "| {k} | {v} |");
    }
    let _ = writeln!(s, "| run time | {} s |", ctx.elapsed().as_secs());
    let peers: Vec<String> = [
        installed.python.as_ref().map(|(_, v)| v.clone()),
        installed.s3s_fs.as_ref().map(|(_, v)| v.clone()),
        installed.moto.as_ref().map(|(_, v)| v.clone()),
        installed.wrk.as_ref().map(|(_, v)| v.clone()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let _ = writeln!(
        s,
        "| peers and tools | {} |\n",
        if peers.is_empty() {
            "none".to_string()
        } else {
            peers.join(", ")
        }
    );

    if let Some(micro) = &results.micro {
        render_micro(&mut s, micro);
    }
    if let Some(load) = &results.load {
        render_load(&mut s, load);
    }
    if let Some(build) = &results.build {
        render_build(&mut s, build, results.micro.as_ref());
    }
    if let Some(transfer) = &results.transfer {
        render_transfer(&mut s, transfer);
    }
    if let Some(batch) = &results.batch {
        render_batch(&mut s, batch);
    }

    let _ = writeln!(s, "## How the peers ran\n");
    for note in &ctx.notes {
        let _ = writeln!(s, "- {note}");
    }
    let _ = writeln!(
        s,
        "- Every server listens on 127.0.0.1 only; every process the run starts is killed when \
         its part ends. Each load run lasts a fixed time; wrk counts a non-2xx answer as an error, \
         and errors are listed below.\n\
         - cos-ci-mock: the release binary, `cos-ci-mock --listen 127.0.0.1:0`, default \
         configuration: signatures verified, objects in memory (`--data-dir` where said). Its \
         requests are pre-signed URLs from `Client::presign_get_object` / `presign_put_object` / \
         `presign_values` (crates/cos-ci-client/examples/presign_urls.rs), so every request is \
         signature-checked.\n"
    );
    let _ = writeln!(s, "## Problems\n");
    if ctx.problems.is_empty() {
        let _ = writeln!(s, "None: every part ran.");
    } else {
        for p in &ctx.problems {
            let _ = writeln!(s, "- {}", p.replace('\n', " "));
        }
    }
    s
}

fn render_micro(s: &mut String, micro: &Micro) {
    let sdk = micro
        .python_version
        .clone()
        .unwrap_or_else(|| "the Python SDK (not run)".to_string());
    let _ = writeln!(s, "## 1. Preparing a download-processing request\n");
    let _ = writeln!(
        s,
        "Per operation of the spec, one request with every parameter set: build the values, \
         validate, encode, sign, write the URL. cos-ci: `Client::prepare_download_values` (signed \
         headers) and `presign_values` (pre-signed URL), criterion medians. Peer: {sdk}, the same \
         method, bucket, key and query: `CosS3Auth` + `requests.Request(...).prepare()` as its \
         `ci_*_process` methods do before sending, and `get_presigned_url`, medians of 20 \
         timed batches.\n"
    );
    let _ = writeln!(
        s,
        "| operation | cos-ci prepare | SDK prepare | **ratio** | cos-ci presign | SDK presign | **ratio** |\n|---|---:|---:|---:|---:|---:|---:|"
    );
    let (mut rp, mut rs) = (Vec::new(), Vec::new());
    for (op, prepare, presign) in &micro.prepare {
        let py_prepare = micro.python.get(&format!("prepare/{op}")).copied();
        let py_presign = micro.python.get(&format!("presign/{op}")).copied();
        let a = prepare.map(|e| e.median_ns);
        let b = presign.map(|e| e.median_ns);
        if let (Some(a), Some(p)) = (a, py_prepare) {
            rp.push(a / p);
        }
        if let (Some(b), Some(p)) = (b, py_presign) {
            rs.push(b / p);
        }
        let _ = writeln!(
            s,
            "| {op} | {} | {} | **{}** | {} | {} | **{}** |",
            or_na(a.map(time_ns)),
            or_na(py_prepare.map(time_ns)),
            ratio(a, py_prepare),
            or_na(b.map(time_ns)),
            or_na(py_presign.map(time_ns)),
            ratio(b, py_presign),
        );
    }
    let _ = writeln!(
        s,
        "| **geometric mean** | | | **{}** | | | **{}** |\n",
        ratio(geomean(&rp), Some(1.0)),
        ratio(geomean(&rs), Some(1.0))
    );

    let size = |name: &str| {
        std::fs::metadata(micro.out.join("xml").join(name))
            .map(|m| format!("{:.1} KB", m.len() as f64 / 1000.0))
            .unwrap_or_else(|_| "size unknown".to_string())
    };
    let _ = writeln!(s, "## 2. XML: UploadResult and the error document\n");
    let _ = writeln!(
        s,
        "cos-ci: `cos_ci_validate::{{UploadResult, ErrorDocument}}` through `XmlDocument::from_xml` / \
         `to_xml` (a 2-rule UploadResult with OriginalInfo, {}; an error document, {}). Peer: the \
         SDK's own readers and writer, `xml_to_dict` (how `ci_put_object` reads UploadResult), \
         `digest_xml` (how `CosServiceError` reads an error) and `format_xml`. Floor: quick-xml \
         reading the same document event by event, text unescaped, nothing built.\n",
        size("upload_result.xml"),
        size("error.xml")
    );
    let _ = writeln!(
        s,
        "| document | work | cos-ci | SDK | **ratio to SDK** | floor | **ratio to floor** |\n|---|---|---:|---:|---:|---:|---:|"
    );
    for (doc, key, floor) in [
        (
            "UploadResult",
            "upload_result",
            Some("floor_scan_upload_result"),
        ),
        ("Error", "error", Some("floor_scan_error")),
    ] {
        for (work, prefix) in [("parse", "parse"), ("write", "write")] {
            let name = format!("{prefix}_{key}");
            let rust = micro.xml.get(&name).map(|e| e.median_ns);
            let py = micro.python.get(&format!("xml/{name}")).copied();
            let fl = if work == "parse" {
                floor.and_then(|f| micro.xml.get(f)).map(|e| e.median_ns)
            } else {
                None
            };
            let _ = writeln!(
                s,
                "| {doc} | {work} | {} | {} | **{}** | {} | {} |",
                or_na(rust.map(time_ns)),
                or_na(py.map(time_ns)),
                ratio(rust, py),
                fl.map_or("—".to_string(), time_ns),
                if fl.is_some() {
                    format!("**{}**", ratio(rust, fl))
                } else {
                    "—".to_string()
                },
            );
        }
    }
    let _ = writeln!(s);

    let _ = writeln!(s, "## 3. The generator over the whole spec\n");
    let _ = writeln!(
        s,
        "`cos_ci_codegen::load` + `generate` (read, check, emit and format every generated file), \
         criterion medians. Floor: reading every YAML file of the spec and parsing it into \
         `serde_norway::Value`, nothing more. The synthetic spec is today's operations plus synthetic \
         ones up to 100 (section 7).\n"
    );
    let _ = writeln!(
        s,
        "| spec | load + generate | floor: read + parse YAML | **ratio to floor** |\n|---|---:|---:|---:|"
    );
    for (label, key) in [
        ("today", "today"),
        ("synthetic, 100 operations", "synthetic100"),
    ] {
        let g = micro
            .codegen
            .get(&format!("load_generate_{key}"))
            .map(|e| e.median_ns);
        let f = micro
            .codegen
            .get(&format!("floor_parse_{key}"))
            .map(|e| e.median_ns);
        let _ = writeln!(
            s,
            "| {label} | {} | {} | **{}** |",
            or_na(g.map(time_ns)),
            or_na(f.map(time_ns)),
            ratio(g, f)
        );
    }
    let _ = writeln!(s);
}

fn run_cell(run: Option<&Run>) -> String {
    match run {
        Some(r) => format!(
            "{:.0} req/s · {} · {}{}",
            r.rps,
            ms(r.p50_us),
            ms(r.p99_us),
            if r.errors > 0 {
                format!(" · {} errors", r.errors)
            } else {
                String::new()
            }
        ),
        None => "n/a".to_string(),
    }
}

fn render_load(s: &mut String, load: &Load) {
    let _ = writeln!(s, "## 4. Object GET and PUT under load\n");
    let _ = writeln!(
        s,
        "A {} KiB object, path-style, on loopback; wrk with one thread for {} s per cell. Cells: \
         throughput (2xx answers per second) · p50 · p99 latency, and failed requests if any. Ratios: cos-ci-mock's throughput over the peer's (above 1: \
         the mock serves more) and its p99 over the peer's (below 1: the mock's tail is shorter). \
         The mock verifies a signature on every request; s3s-fs and moto take anonymous \
         requests and check none.\n",
        load::SMALL_BYTES / 1024,
        load.seconds
    );
    if let Some(baseline) = &load.baseline {
        let _ = writeln!(
            s,
            "**Baseline**: \"{}\" is cos-ci-mock built from commit {} (the binary `{}`{}), \
             started and driven exactly as today's mock (objects in memory, pre-signed URLs, \
             signatures verified). The two run side by side, cell by cell, the order swapped \
             every other cell, so a change in the machine's load touches both. \
             **throughput vs baseline** is today's mock over the baseline (issue 12: at least \
             0.90×, within 10%); **p99 vs baseline** is today's p99 over the baseline's (below 1: \
             shorter tail). Each cell of these two is the median of {} round(s) of {} s (throughput, \
             p50 and p99 each the median; the range of the rounds' throughput in brackets).\n",
            load::BASELINE,
            baseline
                .commit
                .as_deref()
                .unwrap_or("(not stated: pass --baseline-commit)"),
            baseline.file.display(),
            baseline
                .version
                .as_deref()
                .map(|v| format!(", `--version`: {v}"))
                .unwrap_or_default(),
            load.baseline_rounds,
            load.seconds
        );
    }
    let peers: Vec<&String> = load
        .servers
        .iter()
        .filter(|s| *s != "cos-ci-mock")
        .collect();
    let mut header = "| request | connections | cos-ci-mock |".to_string();
    let mut rule = "|---|---:|---|".to_string();
    for p in &peers {
        let _ = write!(header, " {p} |");
        rule.push_str("---|");
    }
    for p in &peers {
        let label = if p.as_str() == load::BASELINE {
            "baseline"
        } else {
            p.as_str()
        };
        let _ = write!(header, " **throughput vs {label}** | **p99 vs {label}** |");
        rule.push_str("---:|---:|");
    }
    let _ = writeln!(s, "{header}\n{rule}");
    let find = |server: &str, method: &str, conns: u32| {
        load.object
            .iter()
            .find(|r| r.server == server && r.method == method && r.conns == conns)
            .and_then(|r| r.run.as_ref())
    };
    // A cell, with the range of its rounds' throughput when there were several.
    let cell = |server: &str, method: &str, conns: u32| {
        let object = load
            .object
            .iter()
            .find(|r| r.server == server && r.method == method && r.conns == conns);
        let mut text = run_cell(object.and_then(|r| r.run.as_ref()));
        if let Some(o) = object.filter(|o| o.rps_rounds.len() > 1) {
            let lo = o.rps_rounds.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = o.rps_rounds.iter().copied().fold(0.0, f64::max);
            let _ = write!(text, " ({lo:.0}–{hi:.0})");
        }
        text
    };
    let mut means: Vec<(Vec<f64>, Vec<f64>)> = vec![(Vec::new(), Vec::new()); peers.len()];
    for method in ["GET", "PUT"] {
        for conns in load::CONNECTIONS {
            let mock = find("cos-ci-mock", method, conns);
            let mut row = format!(
                "| {method} | {conns} | {} |",
                cell("cos-ci-mock", method, conns)
            );
            for p in &peers {
                let _ = write!(row, " {} |", cell(p, method, conns));
            }
            for (i, p) in peers.iter().enumerate() {
                let peer = find(p, method, conns);
                if let (Some(m), Some(q)) = (mock, peer) {
                    if q.rps > 0.0 && q.p99_us > 0.0 {
                        means[i].0.push(m.rps / q.rps);
                        means[i].1.push(m.p99_us / q.p99_us);
                    }
                }
                let _ = write!(
                    row,
                    " **{}** | **{}** |",
                    ratio(mock.map(|r| r.rps), peer.map(|r| r.rps)),
                    ratio(mock.map(|r| r.p99_us), peer.map(|r| r.p99_us))
                );
            }
            let _ = writeln!(s, "{row}");
        }
    }
    if !peers.is_empty() {
        let mut row = format!("| **geometric mean** | |{}", " |".repeat(peers.len() + 1));
        for (throughput, p99) in &means {
            let _ = write!(
                row,
                " **{}** | **{}** |",
                ratio(geomean(throughput), Some(1.0)),
                ratio(geomean(p99), Some(1.0))
            );
        }
        let _ = writeln!(s, "{row}");
    }
    let _ = writeln!(s);

    let _ = writeln!(
        s,
        "## 5. Processing during download: the server against the floor\n"
    );
    let _ = writeln!(
        s,
        "`GET /<key>?ci-process=…` on a stored PNG, one connection, {} s per row (pre-signed URL: \
         signature check, storage read, processing on the blocking pool, answer). Floor: the same \
         decode, process and encode in-process, `cos_ci_mock::processors::process`, criterion \
         median, measured right before the server's run, with glibc malloc keeping freed memory \
         (`GLIBC_TUNABLES` trim and mmap thresholds at 1 GiB): a bench loop on the main thread \
         would otherwise return its buffers to the kernel and fault them in again every \
         iteration, which the server's worker threads do not pay. Ratio: the server's median latency over the floor; the overhead column is the \
         difference.\n",
        load.seconds
    );
    let _ = writeln!(
        s,
        "| operation | input | floor (in-process) | server p50 | server mean | server p99 | server req/s | **ratio p50 / floor** | overhead |\n|---|---|---:|---:|---:|---:|---:|---:|---:|"
    );
    for p in &load.processing {
        let floor_us = p.floor.map(|f| f.median_ns / 1e3);
        let p50 = p.run.as_ref().map(|r| r.p50_us);
        let _ = writeln!(
            s,
            "| {}{} | {}×{} PNG, {:.0} KB | {} | {} | {} | {} | {} | **{}** | {} |",
            p.operation,
            if p.operation == "AISuperResolution" {
                " ×2"
            } else {
                ""
            },
            p.side,
            p.side,
            p.input_bytes as f64 / 1000.0,
            or_na(floor_us.map(ms)),
            or_na(p50.map(ms)),
            or_na(p.run.as_ref().map(|r| ms(r.mean_us))),
            or_na(p.run.as_ref().map(|r| ms(r.p99_us))),
            or_na(p.run.as_ref().map(|r| format!("{:.1}", r.rps))),
            ratio(p50, floor_us),
            match (p50, floor_us) {
                (Some(a), Some(b)) => ms(a - b),
                _ => "n/a".to_string(),
            }
        );
    }
    let _ = writeln!(s);

    let _ = writeln!(
        s,
        "## 6. Peak memory under {} concurrent {} MiB uploads\n",
        load::BIG_CONNECTIONS,
        load::BIG_BYTES / (1024 * 1024)
    );
    let in_flight = (load::BIG_CONNECTIONS as u64) * (load::BIG_BYTES as u64);
    let _ = writeln!(
        s,
        "wrk PUTs a {} MiB body on {} connections for {} s against a freshly started server; \
         VmHWM (peak resident set) from /proc/<pid>/status after the run. Payload in flight: {} × \
         {} MiB = {} MiB.\n",
        load::BIG_BYTES / (1024 * 1024),
        load::BIG_CONNECTIONS,
        load.memory_seconds,
        load::BIG_CONNECTIONS,
        load::BIG_BYTES / (1024 * 1024),
        in_flight / (1024 * 1024)
    );
    let s3s = load
        .memory
        .iter()
        .find(|m| m.server == "s3s-fs")
        .map(|m| m.peak as f64);
    let _ = writeln!(
        s,
        "| server | VmHWM | VmHWM before the load | uploads completed | **ratio to payload in flight** | **ratio to s3s-fs** |\n|---|---:|---:|---:|---:|---:|"
    );
    for m in &load.memory {
        let _ = writeln!(
            s,
            "| {} | {:.1} MiB | {:.1} MiB | {}{} | **{}** | **{}** |",
            m.server,
            m.peak as f64 / 1048576.0,
            m.before as f64 / 1048576.0,
            m.run.requests,
            if m.run.errors > 0 {
                format!(" ({} errors)", m.run.errors)
            } else {
                String::new()
            },
            ratio(Some(m.peak as f64), Some(in_flight as f64)),
            ratio(Some(m.peak as f64), s3s)
        );
    }
    let _ = writeln!(s);
}

fn render_build(s: &mut String, build: &BuildCost, micro: Option<&Micro>) {
    let _ = writeln!(s, "## 7. Build cost: today's spec against 100 operations\n");
    let _ = writeln!(
        s,
        "Each spec in its own copy of the workspace with a fresh target directory (dev profile as \
         configured in Cargo.toml). The synthetic spec keeps today's {} operations and adds \
         synthetic ones up to 100, with varied parameter kinds (integer ranges and sets, numbers, \
         flags, free and closed texts, pairs, a required integer, ignore-error) and every fourth \
         answering XML; the generator writes them into the copy through the cos_ci_codegen library. \
         \"Workspace crates only\": after `cargo clean -p cos-ci-client -p cos-ci-validate -p \
         cos-ci-sign`, dependencies still built. Ratio: 100 operations over today.\n",
        build.today.operations
    );
    let _ = writeln!(
        s,
        "| | today ({} operations) | synthetic ({} operations) | **ratio** |\n|---|---:|---:|---:|",
        build.today.operations, build.synthetic.operations
    );
    let row = |s: &mut String,
               label: &str,
               f: &dyn Fn(&Build) -> Option<f64>,
               unit: &dyn Fn(f64) -> String| {
        let a = f(&build.today);
        let b = f(&build.synthetic);
        let _ = writeln!(
            s,
            "| {label} | {} | {} | **{}** |",
            or_na(a.map(unit)),
            or_na(b.map(unit)),
            ratio(b, a)
        );
    };
    let seconds = |v: f64| format!("{v:.1} s");
    row(
        s,
        &format!("clean `cargo {} -p cos-ci-client` (debug)", build.command),
        &|b| secs(b.clean),
        &seconds,
    );
    row(
        s,
        "CPU time of that build (user + sys, all processes)",
        &|b| b.clean_cpu,
        &seconds,
    );
    row(
        s,
        &format!("`cargo {}` of the workspace crates only", build.command),
        &|b| secs(b.crates_only),
        &seconds,
    );
    row(
        s,
        "generated lines (cos-ci-validate + cos-ci-client)",
        &|b| (b.generated_lines > 0).then_some(b.generated_lines as f64),
        &|v| format!("{v:.0}"),
    );
    if let Some(micro) = micro {
        let today = micro
            .codegen
            .get("load_generate_today")
            .map(|e| e.median_ns);
        let synth = micro
            .codegen
            .get("load_generate_synthetic100")
            .map(|e| e.median_ns);
        let _ = writeln!(
            s,
            "| generator: load + generate (release, criterion) | {} | {} | **{}** |",
            or_na(today.map(time_ns)),
            or_na(synth.map(time_ns)),
            ratio(synth, today)
        );
    }
    row(
        s,
        "generator: load + generate + apply (debug xtask, one run)",
        &|b| secs(b.generator),
        &|v| format!("{:.0} ms", v * 1000.0),
    );
    let _ = writeln!(s);
    if let Some(lines) = build.first_fifteen_lines {
        let baseline = super::buildcost::ISSUE9_BASELINE_LINES;
        let _ = writeln!(
            s,
            "Issue 9's fifteen operations (their files of today) generate {lines} lines in \
             cos-ci-validate + cos-ci-client with today's generator, against {baseline} when the \
             issue was filed: **{}** (issue 9: at most 0.67×, a third fewer).\n",
            ratio(Some(lines as f64), Some(baseline as f64))
        );
    }
}

fn render_batch(s: &mut String, b: &Batch) {
    let _ = writeln!(s, "## 9. Batch processing and the credential cache\n");
    let _ = writeln!(
        s,
        "`cargo bench -p cos-ci-client --bench batch` (crates/cos-ci-client/benches/batch.rs), \
         criterion medians. Batch: 200 PNGs of 6 × 5 px under one prefix, `Client::batch` with \
         AIEnhanceImage in the cloud (`out/{{stem}}.{{ext}}`) against the in-process mock on a \
         2-thread runtime, no journal; ratio: the time at concurrency 1 over the time at 8 (above \
         1: concurrency helps). Client and mock share the machine's cores, so the ratio is bounded \
         by them, not by 8. Credential cache: `Client::load_credentials` once the credentials are \
         cached, against the floor of cloning the same `Credentials` (which it does last); the \
         difference is what the cache adds to each request (issue 14: below 100 ns).\n"
    );
    let ns = |e: &Option<super::micro::Estimate>| e.as_ref().map(|e| e.median_ns);
    let show = |v: Option<f64>| v.map_or_else(|| "—".to_string(), time_ns);
    let _ = writeln!(
        s,
        "| batch of 200 | concurrency 1 | concurrency 8 | **speed-up** |\n|---|---:|---:|---:|\n\
         | cloud, AIEnhanceImage | {} | {} | **{}** |\n",
        show(ns(&b.one)),
        show(ns(&b.eight)),
        ratio(ns(&b.one), ns(&b.eight))
    );
    let _ = writeln!(
        s,
        "| credentials | floor: clone | cached `load_credentials` | **overhead** |\n|---|---:|---:|---:|"
    );
    for (case, floor, cached) in &b.credentials {
        let overhead = match (ns(floor), ns(cached)) {
            (Some(f), Some(c)) => format!("**{}**", time_ns((c - f).max(0.0))),
            _ => "—".to_string(),
        };
        let _ = writeln!(
            s,
            "| {case} | {} | {} | {overhead} |",
            show(ns(floor)),
            show(ns(cached))
        );
    }
    let _ = writeln!(s);
}

fn render_transfer(s: &mut String, t: &Transfer) {
    let mib = |b: u64| b as f64 / 1048576.0;
    let _ = writeln!(s, "## 8. Multipart upload against a single PUT\n");
    let _ = writeln!(
        s,
        "{:.0} MiB from a file through `cos_ci_client` to the release mock on loopback \
         (crates/cos-ci-client/examples/transfer_upload.rs): a multipart upload, \
         `Client::upload_file` with `TransferOptions::default()` — parts of {:.0} MiB, {} in \
         flight, each read into memory and sent from there — against one PUT of the same file, \
         `put_object` with `Body::from_file` (streamed in 64 KiB chunks). Time: the upload \
         call only, from before the first request to the answer of the last (for multipart: \
         initiate, {} parts, complete). Each upload goes to a freshly started mock; {} round(s) \
         in memory, multipart and single alternating, the order swapped every round; medians. \
         Ratio: multipart throughput over single-PUT throughput (issue 13: at least {:.2}×).\n",
        mib(transfer::BYTES),
        mib(t.part_size),
        t.concurrency,
        t.uploads
            .iter()
            .find(|u| u.multipart)
            .map_or_else(|| "n/a".to_string(), |u| u.parts.to_string()),
        t.rounds,
        transfer::TARGET_RATIO
    );
    let _ = writeln!(
        s,
        "| mock storage | multipart | single PUT | **throughput ratio multipart / single** |\n|---|---:|---:|---:|"
    );
    for storage in [Storage::Memory, Storage::Disk] {
        let cell = |multipart: bool| {
            let ups = t.of(multipart, storage);
            let secs = transfer::median(ups.iter().map(|u| u.seconds).collect());
            (
                secs,
                secs.map(|v| {
                    format!(
                        "{:.2} s · {:.0} MiB/s{}",
                        v,
                        mib(transfer::BYTES) / v,
                        if ups.len() > 1 {
                            format!(
                                " (median of {}: {})",
                                ups.len(),
                                ups.iter()
                                    .map(|u| format!("{:.2}", u.seconds))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        } else {
                            String::new()
                        }
                    )
                }),
            )
        };
        let (m, m_text) = cell(true);
        let (p, p_text) = cell(false);
        let _ = writeln!(
            s,
            "| {} | {} | {} | **{}** |",
            storage.label(),
            or_na(m_text),
            or_na(p_text),
            // Throughput ratio = single time over multipart time.
            ratio(p, m)
        );
    }
    let _ = writeln!(s);
    let bound = t.bound();
    let _ = writeln!(
        s,
        "The mock's peak memory during each upload: VmHWM (peak resident set) of the fresh mock \
         process from /proc/<pid>/status, sampled every 50 ms while the upload ran and once \
         after it; the highest value is reported (VmHWM never decreases). Bound: 2 × part size \
         × concurrency = 2 × {:.0} MiB × {} = {:.0} MiB (issue 13: peak / bound at most 1). With \
         objects in memory, the mock necessarily holds the stored {:.0} MiB object itself, so \
         the figure held to the bound is the peak minus those {:.0} MiB; with `--data-dir` it is \
         the peak itself. Both include the process's resident set before the upload (column \
         \"before\"). The single PUT is not bound by parts; its row is there for comparison.\n",
        mib(t.part_size),
        t.concurrency,
        mib(bound),
        mib(transfer::BYTES),
        mib(transfer::BYTES)
    );
    let _ = writeln!(
        s,
        "| upload | mock storage | VmHWM before | peak VmHWM | held to the bound | **ratio to the bound** |\n|---|---|---:|---:|---:|---:|"
    );
    for storage in [Storage::Memory, Storage::Disk] {
        for multipart in [true, false] {
            let ups = t.of(multipart, storage);
            let Some(u) = ups.iter().max_by_key(|u| u.peak) else {
                continue;
            };
            let held = match storage {
                Storage::Memory => u.peak.saturating_sub(transfer::BYTES),
                Storage::Disk => u.peak,
            };
            let _ = writeln!(
                s,
                "| {} | {} | {:.1} MiB | {:.1} MiB{} | {:.1} MiB{} | **{}** |",
                if multipart { "multipart" } else { "single PUT" },
                storage.label(),
                mib(u.before),
                mib(u.peak),
                if ups.len() > 1 {
                    format!(" (highest of {})", ups.len())
                } else {
                    String::new()
                },
                mib(held),
                if storage == Storage::Memory {
                    " (peak − object)"
                } else {
                    ""
                },
                if multipart && bound > 0 {
                    ratio(Some(held as f64), Some(bound as f64))
                } else {
                    "—".to_string()
                }
            );
        }
    }
    let _ = writeln!(s);
}
