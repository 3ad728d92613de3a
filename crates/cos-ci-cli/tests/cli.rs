//! The `cos-ci` binary against the mock: put/get in parts, ls, cp and rm.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Output;

use cos_ci_mock::MockServer;

struct Cli {
    args: Vec<String>,
    bucket: String,
}

impl Cli {
    fn new(server: &MockServer) -> Self {
        Cli {
            args: vec![
                "--endpoint".into(),
                server.endpoint().to_string(),
                "--region".into(),
                server.region().to_string(),
                "--bucket".into(),
                server.bucket().to_string(),
                "--secret-id".into(),
                server.secret_id().to_string(),
                "--secret-key".into(),
                server.secret_key().to_string(),
            ],
            bucket: server.bucket().to_string(),
        }
    }

    /// Runs `cos-ci <global> <args>` off the runtime (the mock answers on it).
    async fn run(&self, args: &[&str]) -> Output {
        let mut all = self.args.clone();
        all.extend(args.iter().map(|s| s.to_string()));
        tokio::task::spawn_blocking(move || {
            let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cos-ci"));
            for (k, _) in std::env::vars() {
                if k.starts_with("COS_") || k.starts_with("TENCENTCLOUD_") {
                    cmd.env_remove(k);
                }
            }
            cmd.args(all).output().unwrap()
        })
        .await
        .unwrap()
    }

    async fn ok(&self, args: &[&str]) -> (String, String) {
        let out = self.run(args).await;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{args:?} failed:\n{stdout}\n{stderr}");
        (stdout, stderr)
    }

    fn remote(&self, key: &str) -> String {
        format!("cos://{}/{key}", self.bucket)
    }
}

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

const PARTS: [&str; 6] = [
    "--multipart-threshold",
    "1M",
    "--part-size",
    "1M",
    "--concurrency",
    "3",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_comes_in_parallel_ranges_through_a_temporary_file() {
    let server = MockServer::start().await.unwrap();
    let cli = Cli::new(&server);
    let dir = tempfile::tempdir().unwrap();
    let bytes = data(3 * 1024 * 1024 + 11);
    let src = dir.path().join("src.bin");
    std::fs::write(&src, &bytes).unwrap();
    // Below the default threshold: one PUT.
    let (_, stderr) = cli.ok(&["put", src.to_str().unwrap(), "big/src.bin"]).await;
    assert!(!stderr.contains("parts"), "{stderr}");

    let dest = dir.path().join("back.bin");
    let mut args = vec!["get", "big/src.bin", dest.to_str().unwrap()];
    args.extend(PARTS);
    cli.ok(&args).await;
    assert!(std::fs::read(&dest).unwrap() == bytes);
    let ranged = server
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.headers.iter().any(|(k, _)| k == "range"))
        .count();
    assert_eq!(ranged, 4);
    assert_eq!(
        entries(dir.path()),
        ["back.bin", "src.bin"],
        "no temporary file left"
    );

    // A failed download leaves neither the file nor a temporary one.
    let missing = dir.path().join("missing.bin");
    let out = cli
        .run(&["get", "big/none", missing.to_str().unwrap()])
        .await;
    assert!(!out.status.success());
    // HEAD answers a missing key with a bare 404.
    assert!(String::from_utf8_lossy(&out.stderr).contains("HTTP 404"));
    assert_eq!(entries(dir.path()), ["back.bin", "src.bin"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_goes_in_parts_and_round_trips() {
    let server = MockServer::start().await.unwrap();
    let cli = Cli::new(&server);
    let dir = tempfile::tempdir().unwrap();
    let bytes = data(3 * 1024 * 1024 + 11);
    let src = dir.path().join("src.bin");
    std::fs::write(&src, &bytes).unwrap();
    let mut args = vec!["put", src.to_str().unwrap(), "big/src.bin"];
    args.extend(PARTS);
    let (_, stderr) = cli.ok(&args).await;
    assert!(stderr.contains("in 4 parts"), "{stderr}");
    let parts = server
        .requests()
        .iter()
        .filter(|r| r.method == "PUT" && r.query.contains("partNumber="))
        .count();
    assert_eq!(parts, 4);
    let dest = dir.path().join("back.bin");
    cli.ok(&["get", "big/src.bin", dest.to_str().unwrap()])
        .await;
    assert!(std::fs::read(&dest).unwrap() == bytes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ls_shows_folders_sizes_and_json() {
    let server = MockServer::start().await.unwrap();
    let cli = Cli::new(&server);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f");
    for (key, len) in [("l/a.txt", 3), ("l/sub/b.txt", 5), ("l/sub/c.txt", 7)] {
        std::fs::write(&file, data(len)).unwrap();
        cli.ok(&["put", file.to_str().unwrap(), key]).await;
    }
    let (stdout, _) = cli.ok(&["ls", "l/"]).await;
    let lines: Vec<Vec<&str>> = stdout
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(lines[0].first(), Some(&"3"));
    assert_eq!(lines[0].last(), Some(&"l/a.txt"));
    assert_eq!(lines[1], ["PRE", "l/sub/"]);

    let (stdout, _) = cli.ok(&["ls", "--recursive", "--json", "l/"]).await;
    let objects: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let pairs: Vec<(String, u64)> = objects
        .iter()
        .map(|o| {
            (
                o["Key"].as_str().unwrap().to_string(),
                o["Size"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        [
            ("l/a.txt".to_string(), 3),
            ("l/sub/b.txt".to_string(), 5),
            ("l/sub/c.txt".to_string(), 7)
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cp_goes_up_across_and_down() {
    let server = MockServer::start().await.unwrap();
    let cli = Cli::new(&server);
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("photo.bin");
    std::fs::write(&src, data(1000)).unwrap();
    cli.ok(&["cp", src.to_str().unwrap(), &cli.remote("in/")])
        .await;
    cli.ok(&["cp", &cli.remote("in/photo.bin"), &cli.remote("copy/p.bin")])
        .await;
    let down = dir.path().join("down");
    std::fs::create_dir(&down).unwrap();
    cli.ok(&["cp", &cli.remote("copy/p.bin"), down.to_str().unwrap()])
        .await;
    assert_eq!(std::fs::read(down.join("p.bin")).unwrap(), data(1000));

    let out = cli
        .run(&["cp", src.to_str().unwrap(), "elsewhere.bin"])
        .await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cos://"));
    let out = cli
        .run(&["cp", src.to_str().unwrap(), "cos://nobucket/x"])
        .await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a bucket name"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rm_dry_run_deletes_nothing_and_recursive_deletes_the_prefix() {
    let server = MockServer::start().await.unwrap();
    let cli = Cli::new(&server);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f");
    std::fs::write(&file, b"x").unwrap();
    for key in ["r/a", "r/b/c", "keep/d"] {
        cli.ok(&["put", file.to_str().unwrap(), key]).await;
    }
    let (stdout, _) = cli.ok(&["rm", "--recursive", "--dry-run", "r/"]).await;
    assert_eq!(stdout, "would delete r/a\nwould delete r/b/c\n");
    let (listed, _) = cli.ok(&["ls", "--recursive", "r/"]).await;
    assert_eq!(listed.lines().count(), 2);

    let (stdout, _) = cli.ok(&["rm", "--recursive", "r/"]).await;
    assert_eq!(stdout, "deleted r/a\ndeleted r/b/c\n");
    let (listed, _) = cli.ok(&["ls", "--recursive", ""]).await;
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(listed.contains("keep/d"));

    let (stdout, _) = cli.ok(&["rm", "keep/d"]).await;
    assert_eq!(stdout, "deleted keep/d\n");
    let out = cli.run(&["rm", &cli.remote("")]).await;
    assert!(!out.status.success(), "an empty key needs --recursive");
}
