//! The `cos-ci` binary against the mock: put/get in parts, ls, cp and rm.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Output;

use cos_ci_mock::MockServer;

struct Cli {
    args: Vec<String>,
    bucket: String,
    env: Vec<(String, String)>,
    /// XDG_CONFIG_HOME and HOME of the run: no config or credentials file of the machine
    /// leaks in.
    home: tempfile::TempDir,
}

impl Cli {
    fn new(server: &MockServer) -> Self {
        let mut cli = Cli::bare();
        cli.args = vec![
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
        ];
        cli.bucket = server.bucket().to_string();
        cli
    }

    /// No settings at all: flags, environment and config file empty.
    fn bare() -> Self {
        Cli {
            args: Vec::new(),
            bucket: String::new(),
            env: Vec::new(),
            home: tempfile::tempdir().unwrap(),
        }
    }

    fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    /// The default config file of the run.
    fn config_file(&self) -> std::path::PathBuf {
        self.home.path().join("cos-ci").join("config.toml")
    }

    /// Runs `cos-ci <global> <args>` off the runtime (the mock answers on it).
    async fn run(&self, args: &[&str]) -> Output {
        let mut all = self.args.clone();
        all.extend(args.iter().map(|s| s.to_string()));
        let env = self.env.clone();
        let home = self.home.path().to_path_buf();
        tokio::task::spawn_blocking(move || {
            let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cos-ci"));
            for (k, _) in std::env::vars() {
                if k.starts_with("COS_") || k.starts_with("TENCENTCLOUD_") {
                    cmd.env_remove(k);
                }
            }
            cmd.env("XDG_CONFIG_HOME", &home).env("HOME", &home);
            cmd.envs(env);
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

    /// Runs `args`, expects exit status `code`; returns (stdout, stderr).
    async fn fails(&self, args: &[&str], code: i32) -> (String, String) {
        let out = self.run(args).await;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?}:\n{stdout}\n{stderr}"
        );
        (stdout, stderr)
    }

    /// Runs `args` with `--json`; every stdout line is one JSON object.
    async fn json(&self, args: &[&str]) -> Vec<serde_json::Value> {
        let mut all = vec!["--json"];
        all.extend(args);
        let (stdout, _) = self.ok(&all).await;
        stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
            .collect()
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

fn png(w: u32, h: u32) -> Vec<u8> {
    let img =
        image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 8) as u8, (y * 8) as u8, 128]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

/// The settings `config show --json` reports: key -> (value, source).
async fn shown(cli: &Cli, args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.extend(["config", "show"]);
    let out = cli.json(&all).await;
    assert_eq!(out.len(), 1);
    out[0]["Settings"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_are_selected_and_flags_beat_env_beat_profile_beat_defaults() {
    let server = MockServer::start().await.unwrap();
    let cli = Cli::bare();
    let endpoint = server.endpoint().to_string();
    for (k, v) in [
        ("endpoint", endpoint.as_str()),
        ("region", server.region()),
        ("bucket", server.bucket()),
        ("secret_id", server.secret_id()),
        ("secret_key", server.secret_key()),
    ] {
        cli.ok(&["--profile", "mock", "config", "set", k, v]).await;
    }
    // The default profile is empty: nothing to connect with.
    let (_, stderr) = cli.fails(&["ls"], 3).await;
    assert!(stderr.contains("no region"), "{stderr}");
    cli.ok(&["--profile", "mock", "ls"]).await;
    let by_env = Cli::bare().env("COS_CI_PROFILE", "mock");
    std::fs::create_dir_all(by_env.config_file().parent().unwrap()).unwrap();
    std::fs::copy(cli.config_file(), by_env.config_file()).unwrap();
    by_env.ok(&["ls"]).await;
    let (_, stderr) = cli.fails(&["--profile", "nope", "ls"], 3).await;
    assert!(
        stderr.contains("\"nope\"") && stderr.contains("mock"),
        "{stderr}"
    );

    // flag > env > profile > default, setting by setting.
    let env = Cli::bare()
        .env("COS_CI_PROFILE", "mock")
        .env("COS_REGION", "ap-env");
    std::fs::create_dir_all(env.config_file().parent().unwrap()).unwrap();
    std::fs::copy(cli.config_file(), env.config_file()).unwrap();
    let s = shown(&env, &["--region", "ap-flag"]).await;
    assert_eq!(s["region"]["Value"], "ap-flag");
    assert_eq!(s["region"]["Source"], "flag");
    let s = shown(&env, &[]).await;
    assert_eq!(s["region"]["Value"], "ap-env");
    assert_eq!(s["region"]["Source"], "env:COS_REGION");
    assert_eq!(s["bucket"]["Source"], "profile");
    assert_eq!(s["scheme"]["Value"], "https");
    assert_eq!(s["scheme"]["Source"], "default");
    assert_eq!(s["part_size"]["Source"], "default");
    let s = shown(&env, &["--read-timeout", "7"]).await;
    assert_eq!(s["read_timeout"]["Value"], "7");

    // Credentials come whole from the environment before the profile: a wrong pair there
    // is used (and refused by the service), not mixed with the profile's.
    let wrong = Cli::bare()
        .env("COS_CI_PROFILE", "mock")
        .env("TENCENTCLOUD_SECRET_ID", "AKIDwrong")
        .env("TENCENTCLOUD_SECRET_KEY", "wrong");
    std::fs::create_dir_all(wrong.config_file().parent().unwrap()).unwrap();
    std::fs::copy(cli.config_file(), wrong.config_file()).unwrap();
    let s = shown(&wrong, &[]).await;
    assert_eq!(s["secret_id"]["Source"], "env:TENCENTCLOUD_SECRET_ID");
    assert_eq!(s["secret_key"]["Source"], "env:TENCENTCLOUD_SECRET_ID");
    wrong.fails(&["ls"], 4).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_set_show_and_path() {
    let cli = Cli::bare();
    let (stdout, _) = cli.ok(&["config", "path"]).await;
    assert_eq!(stdout.trim(), cli.config_file().to_str().unwrap());
    let other = cli.home.path().join("elsewhere").join("c.toml");
    let other = other.to_str().unwrap();
    let (stdout, _) = cli.ok(&["--config", other, "config", "path"]).await;
    assert_eq!(stdout.trim(), other);
    let by_env = Cli::bare().env("COS_CI_CONFIG", other);
    let (stdout, _) = by_env.ok(&["config", "path"]).await;
    assert_eq!(stdout.trim(), other);

    cli.ok(&["--config", other, "config", "set", "secret_id", "AKIDshown"])
        .await;
    cli.ok(&[
        "--config",
        other,
        "config",
        "set",
        "secret_key",
        "TOPSECRETVALUE",
    ])
    .await;
    cli.ok(&["--config", other, "config", "set", "read_timeout", "30"])
        .await;
    cli.ok(&[
        "--config",
        other,
        "--profile",
        "p2",
        "config",
        "set",
        "part_size",
        "16M",
    ])
    .await;
    let text = std::fs::read_to_string(other).unwrap();
    assert!(
        text.contains("[default]") && text.contains("[profile.p2]"),
        "{text}"
    );
    assert!(text.contains("read_timeout = 30"), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(other).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let (stdout, stderr) = cli.ok(&["--config", other, "config", "show"]).await;
    assert!(!stdout.contains("TOPSECRETVALUE") && !stderr.contains("TOPSECRETVALUE"));
    assert!(
        stdout.contains("AKIDshown") && stdout.contains("********"),
        "{stdout}"
    );
    let s = shown(&cli, &["--config", other]).await;
    assert_eq!(s["secret_key"]["Value"], "********");
    assert_eq!(s["read_timeout"]["Value"], "30");
    assert_eq!(s["read_timeout"]["Source"], "profile");
    let s = shown(&cli, &["--config", other, "--profile", "p2"]).await;
    assert_eq!(s["part_size"]["Value"], "16M");
    assert!(s["secret_id"]["Value"].is_null(), "profiles do not inherit");

    cli.fails(&["--config", other, "config", "set", "regoin", "x"], 2)
        .await;
    cli.fails(&["--config", other, "config", "set", "concurrency", "0"], 2)
        .await;
    cli.ok(&["--config", other, "config", "unset", "read_timeout"])
        .await;
    let s = shown(&cli, &["--config", other]).await;
    assert_eq!(s["read_timeout"]["Source"], "default");

    // A file that is not a config file is a configuration error.
    std::fs::write(other, "[prod]\nregion = \"x\"\n").unwrap();
    let (_, stderr) = cli.fails(&["--config", other, "ls"], 3).await;
    assert!(stderr.contains("[profile.NAME]"), "{stderr}");
    cli.fails(&["--config", "/nonexistent/c.toml", "ls"], 3)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_speaks_json() {
    let server = MockServer::start().await.unwrap();
    let cli = Cli::new(&server);
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("in.png");
    std::fs::write(&src, png(32, 32)).unwrap();
    let size = std::fs::metadata(&src).unwrap().len();
    let src = src.to_str().unwrap();

    let out = cli.json(&["put", src, "j/in.png"]).await;
    assert_eq!(out.len(), 1);
    assert_eq!(out[0]["Key"], "j/in.png");
    assert_eq!(out[0]["Size"], size);

    let back = dir.path().join("back.png");
    let out = cli.json(&["get", "j/in.png", back.to_str().unwrap()]).await;
    assert_eq!(out[0]["Size"], size);
    assert_eq!(out[0]["File"], back.to_str().unwrap());

    let out = cli.json(&["head", "j/in.png"]).await;
    assert_eq!(out[0]["Size"], size);
    assert!(out[0]["ETag"].is_string());
    let out = cli.json(&["info", &cli.remote("j/in.png")]).await;
    assert_eq!(out[0]["Key"], "j/in.png");

    let out = cli
        .json(&["cp", &cli.remote("j/in.png"), &cli.remote("j/copy.png")])
        .await;
    assert!(out[0]["ETag"].is_string(), "{out:?}");
    assert_eq!(out[0]["Destination"], cli.remote("j/copy.png"));

    let out = cli.json(&["ls", "--recursive", "j/"]).await;
    assert_eq!(out.len(), 2);

    let processed = dir.path().join("big.png");
    let out = cli
        .json(&[
            "process",
            "ai-super-resolution",
            "j/in.png",
            "-o",
            processed.to_str().unwrap(),
            "-p",
            "magnify=2",
        ])
        .await;
    assert_eq!(out[0]["Operation"], "AISuperResolution");
    assert_eq!(out[0]["Size"], std::fs::metadata(&processed).unwrap().len());

    let out = cli
        .json(&[
            "cloud",
            "AIEnhanceImage",
            "j/in.png",
            "--fileid",
            "/j/enh.png",
        ])
        .await;
    assert_eq!(out.len(), 1, "UploadResult on one line");
    assert!(out[0]["ProcessResults"]["Object"].is_array());

    let out = cli
        .json(&["presign", "AIImageColoring", "j/in.png", "--expires", "60"])
        .await;
    assert!(
        out[0]["Url"]
            .as_str()
            .unwrap()
            .contains("ci-process=AIImageColoring")
    );

    let out = cli.json(&["rm", "--dry-run", "--recursive", "j/"]).await;
    assert_eq!(out.len(), 3);
    assert!(out.iter().all(|o| o["DryRun"] == true));
    let out = cli.json(&["rm", "--recursive", "j/"]).await;
    assert_eq!(out.len(), 3);
    assert!(out.iter().all(|o| o["Deleted"] == true));

    let out = cli.json(&["ops"]).await;
    assert!(out.iter().any(|o| o["Name"] == "AISuperResolution"));
    let out = cli.json(&["config", "show"]).await;
    assert_eq!(out[0]["Settings"]["bucket"]["Source"], "flag");
    let out = cli.json(&["config", "path"]).await;
    assert_eq!(out[0]["Exists"], false);
}

/// `process` runs an operation in each of its answering modes: a download of a stored key,
/// and `--upload FILE` (`PUT /<KEY>?ci-process=…`), which also stores the file at KEY. A JSON
/// parameter is given as its text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn process_runs_download_and_upload_query() {
    let server = MockServer::start().await.unwrap();
    let cli = Cli::new(&server);
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("card.png");
    std::fs::write(&src, png(40, 20)).unwrap();
    let answer = dir.path().join("answer.xml");
    let answer_path = answer.to_str().unwrap();
    cli.ok(&["put", src.to_str().unwrap(), "ids/card.png"])
        .await;
    let config = r#"Config={"CropIdCard":true}"#;
    let out = cli
        .json(&[
            "process",
            "IDCardOCR",
            "ids/card.png",
            "-o",
            answer_path,
            "-p",
            config,
        ])
        .await;
    assert_eq!(out[0]["ContentType"], "application/xml");
    let text = std::fs::read_to_string(&answer).unwrap();
    assert!(
        text.contains("<IdCard>") && !text.contains("<Portrait>"),
        "{text}"
    );

    let out = cli
        .json(&[
            "process",
            "id-card-ocr",
            "ids/up.png",
            "--upload",
            src.to_str().unwrap(),
            "-o",
            answer_path,
        ])
        .await;
    assert_eq!(out[0]["Operation"], "IDCardOCR");
    let text = std::fs::read_to_string(&answer).unwrap();
    assert!(
        text.contains("<Response>") && !text.contains("<IdCard>"),
        "{text}"
    );
    let back = dir.path().join("back.png");
    cli.ok(&["get", "ids/up.png", back.to_str().unwrap()]).await;
    assert_eq!(std::fs::read(&back).unwrap(), std::fs::read(&src).unwrap());

    // A bad JSON text is a usage error, refused before anything is sent.
    cli.fails(
        &[
            "process",
            "IDCardOCR",
            "ids/card.png",
            "-o",
            answer_path,
            "-p",
            "Config={x",
        ],
        2,
    )
    .await;
    let out = cli.json(&["ops"]).await;
    let op = out
        .iter()
        .find(|o| o["Name"] == "IDCardOCR")
        .expect("listed");
    assert_eq!(op["Modes"], serde_json::json!(["download", "upload_query"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes_say_what_failed() {
    let server = MockServer::start().await.unwrap();
    let cli = Cli::new(&server);
    let dir = tempfile::tempdir().unwrap();

    // 2: usage, from clap and from the operation's spec; JSON when asked.
    cli.fails(&["--bogus"], 2).await;
    let (_, stderr) = cli.fails(&["--json", "--bogus"], 2).await;
    let e: serde_json::Value = serde_json::from_str(stderr.trim()).unwrap();
    assert_eq!(e["ExitCode"], 2);
    assert_eq!(e["Kind"], "usage");
    let out = dir.path().join("o.png");
    let out = out.to_str().unwrap();
    cli.fails(
        &[
            "process",
            "ai-super-resolution",
            "k",
            "-o",
            out,
            "-p",
            "magnify=3",
        ],
        2,
    )
    .await;
    cli.fails(&["process", "no-such-op", "k", "-o", out], 2)
        .await;

    // 3: configuration.
    let (_, stderr) = Cli::bare().fails(&["--json", "ls"], 3).await;
    let e: serde_json::Value = serde_json::from_str(stderr.trim()).unwrap();
    assert_eq!(e["Kind"], "config");

    // 4: the service, its code in the message and the JSON.
    let (_, stderr) = cli
        .fails(
            &["process", "ai-super-resolution", "missing.png", "-o", out],
            4,
        )
        .await;
    assert!(stderr.contains("NoSuchKey"), "{stderr}");
    let (_, stderr) = cli
        .fails(
            &[
                "--json",
                "process",
                "ai-super-resolution",
                "missing.png",
                "-o",
                out,
            ],
            4,
        )
        .await;
    let e: serde_json::Value = serde_json::from_str(stderr.trim()).unwrap();
    assert_eq!(e["ExitCode"], 4);
    assert_eq!(e["Code"], "NoSuchKey");
    assert_eq!(e["HttpStatus"], 404);
    assert!(e["Message"].as_str().unwrap().contains("NoSuchKey"));
    assert!(e["RequestId"].is_string(), "{e}");
    cli.fails(&["head", "missing.png"], 4).await;

    // 5: local files.
    let (_, stderr) = cli
        .fails(&["put", "/nonexistent/file.png", "k.png"], 5)
        .await;
    assert!(stderr.contains("/nonexistent/file.png"), "{stderr}");
    let src = dir.path().join("in.png");
    std::fs::write(&src, png(16, 16)).unwrap();
    cli.ok(&["put", src.to_str().unwrap(), "in.png"]).await;
    cli.fails(
        &[
            "process",
            "ai-super-resolution",
            "in.png",
            "-o",
            "/nonexistent/dir/out.png",
            "-p",
            "magnify=2",
        ],
        5,
    )
    .await;

    // 6: the network.
    let unreachable = Cli::bare();
    let (_, stderr) = unreachable
        .fails(
            &[
                "--json",
                "--endpoint",
                "http://127.0.0.1:1",
                "--region",
                "ap-guangzhou",
                "--bucket",
                "examplebucket-1250000000",
                "--secret-id",
                "AKIDEXAMPLE",
                "--secret-key",
                "example-secret",
                "--max-attempts",
                "1",
                "head",
                "k",
            ],
            6,
        )
        .await;
    let e: serde_json::Value = serde_json::from_str(stderr.trim()).unwrap();
    assert_eq!(e["Kind"], "network");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completions_for_every_shell() {
    let cli = Cli::bare();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (stdout, _) = cli.ok(&["completions", shell]).await;
        assert!(stdout.len() > 100, "{shell}");
        assert!(stdout.contains("cos-ci"), "{shell}");
    }
    cli.fails(&["completions", "tcsh"], 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_logs_each_call_but_never_a_secret() {
    const SECRET: &str = "Sx9-very-secret-key-3b1f";
    let mut config = cos_ci_mock::Config {
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        ..cos_ci_mock::Config::default()
    };
    config.set_owner("AKIDdebugowner", SECRET);
    let server = MockServer::start_with(config).await.unwrap();
    let base = [
        "--endpoint".to_string(),
        server.endpoint().to_string(),
        "--region".to_string(),
        server.region().to_string(),
        "--bucket".to_string(),
        server.bucket().to_string(),
    ];
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("f");
    std::fs::write(&src, b"hello").unwrap();

    // The secret from the environment, then as a flag.
    let by_env = Cli::bare()
        .env("TENCENTCLOUD_SECRET_ID", "AKIDdebugowner")
        .env("TENCENTCLOUD_SECRET_KEY", SECRET);
    let mut by_flag = Cli::bare();
    by_flag.args = vec![
        "--secret-id".into(),
        "AKIDdebugowner".into(),
        "--secret-key".into(),
        SECRET.into(),
    ];
    for cli in [&by_env, &by_flag] {
        let mut args: Vec<&str> = base.iter().map(String::as_str).collect();
        args.extend(["--debug", "put", src.to_str().unwrap(), "d/f"]);
        let (stdout, stderr) = cli.ok(&args).await;
        assert!(
            !stdout.contains(SECRET) && !stderr.contains(SECRET),
            "{stderr}"
        );
        for field in ["operation", "key=d/f", "attempt=1", "request_id"] {
            assert!(stderr.contains(field), "no {field} in:\n{stderr}");
        }
        let mut args: Vec<&str> = base.iter().map(String::as_str).collect();
        args.extend(["-vv", "--json", "config", "show"]);
        let (stdout, stderr) = cli.ok(&args).await;
        assert!(
            !stdout.contains(SECRET) && !stderr.contains(SECRET),
            "{stdout}"
        );
        let mut args: Vec<&str> = base.iter().map(String::as_str).collect();
        args.extend(["-v", "ls"]);
        let (stdout, stderr) = cli.ok(&args).await;
        assert!(
            !stdout.contains(SECRET) && !stderr.contains(SECRET),
            "{stderr}"
        );
        assert!(
            stderr.contains("secret_key"),
            "-v lists the settings: {stderr}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clients_credentials_file_still_works() {
    let server = MockServer::start().await.unwrap();
    let cli = Cli::bare().env("COS_CI_PROFILE", "ci");
    let creds = cli.home.path().join("cos-ci").join("credentials");
    std::fs::create_dir_all(creds.parent().unwrap()).unwrap();
    std::fs::write(
        &creds,
        format!(
            "[ci]\nsecret_id = \"{}\"\nsecret_key = \"{}\"\n",
            server.secret_id(),
            server.secret_key()
        ),
    )
    .unwrap();
    let endpoint = server.endpoint().to_string();
    let args = [
        "--endpoint",
        endpoint.as_str(),
        "--region",
        server.region(),
        "--bucket",
        server.bucket(),
    ];
    let mut ls = args.to_vec();
    ls.push("ls");
    cli.ok(&ls).await;
    let mut show = args.to_vec();
    show.extend(["--json", "config", "show"]);
    let (stdout, _) = cli.ok(&show).await;
    assert!(stdout.contains("credentials-file:"), "{stdout}");
}
