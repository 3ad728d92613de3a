//! Section 9: batch processing and the credential cache, from the client's criterion bench
//! `crates/cos-ci-client/benches/batch.rs` (200 small PNGs processed in the cloud against the
//! in-process mock at concurrency 1 and 8; `Client::load_credentials` once cached, against the
//! floor of cloning the credentials).

use std::time::Duration;

use super::micro::{Estimate, estimate};
use super::{Ctx, proc};

/// Criterion's group and function names (as directory names: `:` becomes `_`).
const CREDENTIALS: &str = "credentials";
const BATCH: &str = "batch_200_pngs_cloud";

/// What the section measured.
#[derive(Default)]
pub struct Batch {
    /// `(case, floor, cached)`: a static pair, and a provider's pair with an expiry.
    pub credentials: Vec<(&'static str, Option<Estimate>, Option<Estimate>)>,
    /// The batch of 200 at concurrency 1 and 8.
    pub one: Option<Estimate>,
    /// See `one`.
    pub eight: Option<Estimate>,
}

/// Runs the bench and reads its estimates.
pub fn run(ctx: &mut Ctx) -> Batch {
    let home = ctx.work.join("criterion-batch");
    let args: &[&str] = if ctx.quick {
        &[
            "--warm-up-time",
            "0.1",
            "--measurement-time",
            "0.3",
            "--noplot",
        ]
    } else {
        &["--warm-up-time", "1", "--measurement-time", "3", "--noplot"]
    };
    println!("cargo bench -p cos-ci-client --bench batch");
    let mut command = ctx.cargo();
    command
        .args(["bench", "-p", "cos-ci-client", "--bench", "batch", "--"])
        .args(args)
        .env("CRITERION_HOME", &home);
    let log = ctx.work.join("logs/bench-batch");
    match proc::run(&mut command, &log, ctx.timeout(Duration::from_secs(1200))) {
        Ok(f) if f.ok => println!("  done in {}s", f.elapsed.as_secs()),
        Ok(f) => ctx.problem(format!(
            "cargo bench -p cos-ci-client --bench batch failed ({}): {}",
            f.status,
            f.tail(8)
        )),
        Err(e) => ctx.problem(format!("cargo bench -p cos-ci-client --bench batch: {e}")),
    }
    Batch {
        credentials: vec![
            (
                "a static pair",
                estimate(&home, CREDENTIALS, "floor_ clone a static pair"),
                estimate(&home, CREDENTIALS, "cached static pair"),
            ),
            (
                "a provider's pair with an expiry",
                estimate(&home, CREDENTIALS, "floor_ clone a temporary pair"),
                estimate(&home, CREDENTIALS, "cached provider pair with expiry"),
            ),
        ],
        one: estimate(&home, BATCH, "concurrency 1"),
        eight: estimate(&home, BATCH, "concurrency 8"),
    }
}
