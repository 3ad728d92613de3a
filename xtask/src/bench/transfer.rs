//! 256 MiB through `cos_ci_client` to the release mock on loopback: a multipart upload
//! (`Client::upload_file` with the default part size and concurrency) against one streamed PUT
//! (`put_object` with `Body::from_file`), and the mock's peak memory during each. Every upload
//! goes to a freshly started mock, so each peak (VmHWM) belongs to that one upload.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::Ctx;
use super::load::{self, Bins};
use super::proc::{self, Server};

/// Size of the uploaded file.
pub const BYTES: u64 = 256 * 1024 * 1024;
/// What multipart throughput over single-PUT throughput should reach (issue 13).
pub const TARGET_RATIO: f64 = 0.70;

/// How the uploaded object is stored by the mock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Storage {
    /// In memory (the mock's default): the stored object itself is resident.
    Memory,
    /// `--data-dir`: parts and object on disk.
    Disk,
}

impl Storage {
    /// As the report names it.
    pub fn label(self) -> &'static str {
        match self {
            Storage::Memory => "in memory",
            Storage::Disk => "`--data-dir`",
        }
    }
}

/// One upload to a fresh mock.
#[derive(Clone, Debug)]
pub struct Upload {
    /// Multipart (`true`) or one PUT.
    pub multipart: bool,
    /// Where the mock keeps objects.
    pub storage: Storage,
    /// Wall time of the upload call, seconds.
    pub seconds: f64,
    /// Parts sent (0 for a PUT).
    pub parts: u64,
    /// The mock's VmHWM before the upload, bytes.
    pub before: u64,
    /// The highest VmHWM sampled during and right after the upload, bytes.
    pub peak: u64,
}

impl Upload {
    /// MiB per second.
    pub fn mib_per_s(&self) -> f64 {
        load::mib(BYTES) / self.seconds
    }
}

/// What the transfer section measured.
#[derive(Default)]
pub struct Transfer {
    /// The client's default part size, bytes.
    pub part_size: u64,
    /// The client's default concurrency (parts in flight).
    pub concurrency: u64,
    /// Rounds of (multipart, single) in memory.
    pub rounds: usize,
    /// Every upload, in the order run.
    pub uploads: Vec<Upload>,
}

impl Transfer {
    /// The bound the mock's memory is held to: 2 × part size × concurrency, bytes.
    pub fn bound(&self) -> u64 {
        2 * self.part_size * self.concurrency
    }

    /// The uploads of one kind.
    pub fn of(&self, multipart: bool, storage: Storage) -> Vec<&Upload> {
        self.uploads
            .iter()
            .filter(|u| u.multipart == multipart && u.storage == storage)
            .collect()
    }
}

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    })
}

/// Runs the transfer section.
pub fn run(ctx: &mut Ctx) -> Transfer {
    let mut transfer = Transfer {
        rounds: if ctx.quick { 1 } else { 3 },
        ..Transfer::default()
    };
    // Each upload: a mock start, 256 MiB on loopback (seconds), a HEAD.
    let need = Duration::from_secs((2 * transfer.rounds as u64 + 2) * 30 + 30);
    if !ctx.fits("the transfer section", need) {
        return transfer;
    }
    let bins = match load::build(ctx) {
        Ok(bins) => bins,
        Err(e) => {
            ctx.problem(format!("transfer: {e}"));
            return transfer;
        }
    };
    let file = ctx.work.join("out").join("transfer-256MiB.bin");
    if let Err(e) = write_file(&file) {
        ctx.problem(format!("transfer: cannot write {}: {e}", file.display()));
        return transfer;
    }
    // Multipart and single alternate, the order swapped every round, so that a change in the
    // machine's load touches both; then one of each with `--data-dir`.
    let mut plan = Vec::new();
    for round in 0..transfer.rounds {
        let pair = if round % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        plan.extend(pair.map(|m| (m, Storage::Memory)));
    }
    plan.extend([(true, Storage::Disk), (false, Storage::Disk)]);
    for (i, (multipart, storage)) in plan.into_iter().enumerate() {
        let what = format!(
            "{} upload, objects {}",
            if multipart { "multipart" } else { "single-PUT" },
            storage.label()
        );
        if !ctx.fits(&what, Duration::from_secs(60)) {
            continue;
        }
        match upload(ctx, &bins, &file, multipart, storage, i) {
            Ok((u, part_size, concurrency)) => {
                println!(
                    "  {:<10} {:<12} {:>6.2} s  {:>7.1} MiB/s  mock VmHWM {:>6.1} MiB (before {:>4.1} MiB)",
                    if multipart { "multipart" } else { "single PUT" },
                    storage.label().trim_matches('`'),
                    u.seconds,
                    u.mib_per_s(),
                    load::mib(u.peak),
                    load::mib(u.before)
                );
                if multipart {
                    transfer.part_size = part_size;
                    transfer.concurrency = concurrency;
                }
                transfer.uploads.push(u);
            }
            Err(e) => ctx.problem(format!("transfer, {what}: {e}")),
        }
    }
    let _ = std::fs::remove_file(&file);
    transfer
}

/// 256 MiB that do not compress: one MiB of the load section's pattern, each copy with its
/// own first eight bytes.
fn write_file(path: &Path) -> std::io::Result<()> {
    use std::io::Write as _;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut block = load::pattern(1024 * 1024);
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for i in 0..BYTES / (1024 * 1024) {
        block[..8].copy_from_slice(&i.to_le_bytes());
        out.write_all(&block)?;
    }
    out.flush()
}

/// One upload to a fresh mock: (figures, part size, concurrency as the client reported them).
fn upload(
    ctx: &mut Ctx,
    bins: &Bins,
    file: &Path,
    multipart: bool,
    storage: Storage,
    index: usize,
) -> Result<(Upload, u64, u64), String> {
    let tag = format!(
        "{}-{}-{index}",
        if multipart { "multipart" } else { "single" },
        if storage == Storage::Disk {
            "disk"
        } else {
            "memory"
        }
    );
    let mut command = Command::new(&bins.mock);
    command.args(["--listen", "127.0.0.1:0"]);
    let data: Option<PathBuf> = match storage {
        Storage::Disk => {
            let dir = load::fresh_dir(&ctx.work.join(format!("data-transfer-{tag}")))?;
            command.arg("--data-dir").arg(&dir);
            Some(dir)
        }
        Storage::Memory => None,
    };
    let log = ctx.work.join(format!("logs/server-transfer-{tag}"));
    let server = Server::start(
        "cos-ci-mock",
        &mut command,
        &log,
        None,
        Some("listening on "),
    )?;
    let before = server.vm_hwm().ok_or("cannot read VmHWM from /proc")?;
    let mut peak = before;
    let mut client = Command::new(&bins.transfer);
    client
        .args([
            "--endpoint",
            &server.endpoint(),
            "--key",
            "bench/transfer.bin",
        ])
        .arg("--file")
        .arg(file)
        .arg(if multipart { "--multipart" } else { "--single" });
    let finished = proc::run_sampled(
        &mut client,
        &ctx.work.join(format!("logs/transfer-{tag}")),
        ctx.timeout(Duration::from_secs(300)),
        &mut || {
            if let Some(now) = server.vm_hwm() {
                peak = peak.max(now);
            }
        },
    );
    if let Some(now) = server.vm_hwm() {
        peak = peak.max(now);
    }
    let server_log = server.log_tail(3);
    drop(server);
    if let Some(dir) = data {
        let _ = std::fs::remove_dir_all(dir);
    }
    let finished = finished?;
    if !finished.ok {
        return Err(format!(
            "transfer_upload failed ({}): {}{}",
            finished.status,
            finished.tail(3),
            if server_log.is_empty() {
                String::new()
            } else {
                format!("; the mock's log: {server_log}")
            }
        ));
    }
    let line = finished
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("TRANSFER_JSON "))
        .ok_or_else(|| format!("transfer_upload printed no figures: {}", finished.tail(3)))?;
    let json: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("transfer figures: {e}: {line}"))?;
    let n = |key: &str| json.get(key).and_then(serde_json::Value::as_f64);
    let seconds = n("seconds").filter(|s| *s > 0.0).ok_or("no time")?;
    if n("bytes") != Some(BYTES as f64) {
        return Err(format!("uploaded {:?} bytes, not {BYTES}", n("bytes")));
    }
    let upload = Upload {
        multipart,
        storage,
        seconds,
        parts: n("parts").unwrap_or(0.0) as u64,
        before,
        peak,
    };
    Ok((
        upload,
        n("part_size").unwrap_or(0.0) as u64,
        n("concurrency").unwrap_or(0.0) as u64,
    ))
}
