//! `cos-ci batch` against the mock: 200 PNGs, the process interrupted with SIGINT half-way
//! (exit 130, journal on disk) and rerun with the same journal — each object processed
//! exactly once per the mock's request log — and a dry run that processes nothing.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use cos_ci_client::{Client, Credentials};
use cos_ci_mock::{Fault, MockServer};
use futures_util::{StreamExt, TryStreamExt};

/// A 6 x 5 RGB PNG.
const PNG: [u8; 122] = [
    137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 6, 0, 0, 0, 5, 8, 2, 0,
    0, 0, 233, 58, 10, 177, 0, 0, 0, 65, 73, 68, 65, 84, 120, 218, 99, 96, 96, 96, 208, 208, 208,
    8, 8, 8, 168, 168, 168, 88, 176, 96, 193, 137, 19, 39, 24, 68, 68, 68, 108, 108, 108, 82, 82,
    82, 122, 122, 122, 182, 108, 217, 114, 231, 206, 29, 116, 37, 31, 62, 124, 96, 64, 83, 194,
    194, 194, 194, 128, 166, 68, 66, 66, 2, 0, 87, 112, 43, 57, 204, 209, 250, 107, 0, 0, 0, 0, 73,
    69, 78, 68, 174, 66, 96, 130,
];

fn command(server: &MockServer, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cos-ci"));
    for (k, _) in std::env::vars() {
        if k.starts_with("COS_") || k.starts_with("TENCENTCLOUD_") {
            cmd.env_remove(k);
        }
    }
    cmd.args([
        "--endpoint",
        &server.endpoint(),
        "--region",
        server.region(),
        "--bucket",
        server.bucket(),
        "--secret-id",
        server.secret_id(),
        "--secret-key",
        server.secret_key(),
    ]);
    cmd.args(args);
    cmd
}

/// Runs `cos-ci <args>` off the runtime (the mock answers on it).
async fn run(server: &MockServer, args: &[&str]) -> Output {
    let mut cmd = command(server, args);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

async fn put_pngs(server: &MockServer, n: usize) -> Vec<String> {
    let client = Client::builder()
        .region(server.region())
        .bucket(server.bucket())
        .credentials(Credentials::new(server.secret_id(), server.secret_key()))
        .endpoint(server.endpoint())
        .scheme("http")
        .build()
        .unwrap();
    let keys: Vec<String> = (0..n).map(|i| format!("in/{i:03}.png")).collect();
    futures_util::stream::iter(keys.clone())
        .map(|key| {
            let client = client.clone();
            async move { client.put_object(&key, PNG.to_vec()).await.map(|_| ()) }
        })
        .buffer_unordered(16)
        .try_collect::<Vec<()>>()
        .await
        .unwrap();
    keys
}

fn processed(server: &MockServer) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for r in server.requests() {
        if r.action == "ImageProcess" && r.status == 200 {
            *counts.entry(r.key).or_insert(0) += 1;
        }
    }
    counts
}

fn done_lines(journal: &Path) -> usize {
    std::fs::read_to_string(journal)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("D "))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_batch_resumes_from_its_journal_processing_each_object_once() {
    let server = MockServer::start().await.unwrap();
    let keys = put_pngs(&server, 200).await;
    // Slow processing down so that the interruption lands half-way.
    let mut slow = Fault::error(Some("ImageProcess"), 500, "InternalError")
        .times(10_000)
        .delay(Duration::from_millis(25));
    slow.status = None;
    slow.code = None;
    server.inject_fault(slow);
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("batch.journal");
    let journal_arg = journal.to_str().unwrap().to_string();
    let args = [
        "batch",
        "ai-enhance-image",
        "--prefix",
        "in/",
        "--fileid",
        "out/{stem}.{ext}",
        "-p",
        "denoise=1",
        "--concurrency",
        "4",
        "--journal",
        &journal_arg,
    ];

    let child = command(&server, &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while done_lines(&journal) < 60 {
        assert!(started.elapsed() < Duration::from_secs(60), "no progress");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let pid = child.id().to_string();
    let killed = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(killed.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("(stopped)"), "{stderr}");
    assert!(stderr.contains("same --journal"), "{stderr}");
    // Requests the killed process left behind are over before the rerun looks.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let first = processed(&server).len();
    assert!((60..200).contains(&first), "{first}");

    let out = run(&server, &args).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("{} done", 200 - first)),
        "{first} were done first: {stderr}"
    );
    let counts = processed(&server);
    for key in &keys {
        assert_eq!(counts.get(key), Some(&1), "{key}: {stderr}");
    }
    assert_eq!(counts.len(), 200);

    // A dry run now has nothing to do, and a dry run of another target sends no processing.
    let before = server.requests().len();
    let out = run(
        &server,
        &[
            "batch",
            "AIEnhanceImage",
            "--prefix",
            "in/",
            "--fileid",
            "/other/{name}",
            "--dry-run",
        ],
    )
    .await;
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 200);
    assert!(stdout.contains("in/007.png -> other/007.png"), "{stdout}");
    assert!(
        server.requests()[before..]
            .iter()
            .all(|r| r.action != "ImageProcess"),
        "a dry run processes nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_named_with_their_reason_and_fail_the_command() {
    let server = MockServer::start().await.unwrap();
    put_pngs(&server, 3).await;
    server.inject_fault(Fault::error(Some("ImageProcess"), 403, "AccessDenied"));
    let out = run(
        &server,
        &[
            "batch",
            "AIEnhanceImage",
            "--prefix",
            "in/",
            "--fileid",
            "out/{name}",
            "--concurrency",
            "1",
        ],
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(4),
        "a failed object is a service failure (exit 4)\n{stderr}"
    );
    assert!(stderr.contains("2 done"), "{stderr}");
    assert!(stderr.contains("1 failed"), "{stderr}");
    assert!(stderr.contains("failed: in/000.png"), "{stderr}");
    assert!(stderr.contains("AccessDenied"), "{stderr}");

    // --fileid and --out exclude each other; one is required.
    let out = run(&server, &["batch", "AIEnhanceImage", "--prefix", "in/"]).await;
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_gives_one_line_per_object_and_the_summary_last() {
    let server = MockServer::start().await.unwrap();
    put_pngs(&server, 3).await;
    server.inject_fault(Fault::error(Some("ImageProcess"), 403, "AccessDenied"));
    let out = run(
        &server,
        &[
            "--json",
            "batch",
            "AIEnhanceImage",
            "--prefix",
            "in/",
            "--fileid",
            "out/{name}",
            "--concurrency",
            "1",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(4));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    let outcome = |key: &str| {
        lines
            .iter()
            .find(|l| l["Key"] == key)
            .map(|l| l["Outcome"].as_str().unwrap_or_default().to_string())
    };
    assert_eq!(outcome("in/000.png").as_deref(), Some("failed"));
    assert_eq!(outcome("in/001.png").as_deref(), Some("done"));
    let done = lines.iter().find(|l| l["Key"] == "in/002.png").unwrap();
    assert_eq!(done["Output"], "out/002.png");
    let summary = &lines[3]["Summary"];
    assert_eq!(
        (summary["Done"].as_u64(), summary["Failed"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(summary["Failures"][0]["Key"], "in/000.png");
    assert_eq!(summary["Stopped"], false);
}
