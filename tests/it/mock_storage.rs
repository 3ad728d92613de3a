//! Storage: objects persist across a restart with `--data-dir`, parallel writers to one key
//! leave one whole version, and killing the mock binary during a burst of writes loses no
//! acknowledged object and tears none.

// Helpers outside #[test] functions too: a panic is how they report a failure.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use cos_ci_client::ai_image_coloring::AiImageColoring;
use cos_ci_client::ai_super_resolution::AiSuperResolution;
use cos_ci_client::{Client, Credentials, RetryPolicy};
use cos_ci_mock::config::{DEFAULT_BUCKET, DEFAULT_REGION, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY};
use cos_ci_mock::{Config, MockServer};
use cos_ci_tests::{dimensions, sample_jpeg, sample_png};

use crate::mock_support::{Req, STEP, bounded, config, owner, service};

/// Deterministic bytes, different for every `seed`, `len` long.
fn payload(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut out = seed.to_le_bytes().to_vec();
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Files under `dir` whose names end in `.tmp` (what an unfinished write would leave).
fn temp_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(temp_files(&path));
        } else if path.to_string_lossy().ends_with(".tmp") {
            found.push(path);
        }
    }
    found
}

fn disk_config(dir: &Path) -> Config {
    Config {
        data_dir: Some(dir.to_path_buf()),
        ..config()
    }
}

#[tokio::test]
async fn objects_and_results_persist_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let png = sample_png(20, 10);
    let jpeg = sample_jpeg(16, 8);
    let objects: Vec<(&str, Vec<u8>)> = vec![
        ("photos/a b+c.png", png.clone()),
        ("目录/ünï.jpg", jpeg.clone()),
        ("empty.bin", Vec::new()),
        ("deep/er/../x.bin", payload(7, 300_000)),
    ];
    let mut seen = HashMap::new();
    {
        let server = MockServer::start_with(disk_config(dir.path()))
            .await
            .unwrap();
        let client = owner(&server);
        for (key, bytes) in &objects {
            client.put_object(key, bytes.clone()).await.unwrap();
        }
        client
            .upload_with(
                "up/in.png",
                png.clone(),
                "big.png",
                &AiSuperResolution::new(),
            )
            .await
            .unwrap();
        client
            .cloud_with("目录/ünï.jpg", "/cloud/colour.jpg", &AiImageColoring::new())
            .await
            .unwrap();
        client.put_object("gone.bin", payload(1, 10)).await.unwrap();
        client.delete_object("gone.bin").await.unwrap();
        for key in server.storage().list_keys(server.bucket()).await.unwrap() {
            let head = client.head_object(&key).await.unwrap();
            let bytes = client.get_object(&key).await.unwrap().bytes;
            seen.insert(key, (head, bytes));
        }
    }
    assert_eq!(seen.len(), 7);

    let server = MockServer::start_with(disk_config(dir.path()))
        .await
        .unwrap();
    let client = owner(&server);
    let mut keys = server.storage().list_keys(server.bucket()).await.unwrap();
    keys.sort();
    let mut expected: Vec<&String> = seen.keys().collect();
    expected.sort();
    assert_eq!(keys.iter().collect::<Vec<_>>(), expected);
    for (key, (head, bytes)) in &seen {
        let got = client.get_object(key).await.unwrap();
        assert!(got.bytes == *bytes, "{key}");
        assert_eq!(got.info.etag, head.etag, "{key}");
        assert_eq!(got.info.content_type, head.content_type, "{key}");
        assert_eq!(got.info.last_modified, head.last_modified, "{key}");
        assert_eq!(got.info.size, head.size, "{key}");
    }
    for (key, bytes) in &objects {
        assert_eq!(
            client.get_object(key).await.unwrap().bytes.as_ref(),
            bytes.as_slice()
        );
    }
    let big = client.get_object("up/big.png").await.unwrap();
    assert_eq!(dimensions(&big.bytes).map(|d| (d.0, d.1)), Some((40, 20)));
    let err = client.get_object("gone.bin").await.unwrap_err();
    assert_eq!(service(&err), (404, "NoSuchKey"));
    // Range reads work on what was persisted.
    let answer = Req::new(&server, "GET", "deep/er/../x.bin")
        .header("Range", "bytes=299990-")
        .send(&server)
        .await;
    assert_eq!(answer.status, 206);
    assert_eq!(answer.body, &payload(7, 300_000)[299_990..]);

    // A deletion persists too.
    client.delete_object("empty.bin").await.unwrap();
    drop(server);
    let server = MockServer::start_with(disk_config(dir.path()))
        .await
        .unwrap();
    let err = owner(&server).head_object("empty.bin").await.unwrap_err();
    assert_eq!(err.service().map(|e| e.status), Some(404));
    assert_eq!(
        server
            .storage()
            .list_keys(server.bucket())
            .await
            .unwrap()
            .len(),
        6
    );
    assert!(temp_files(dir.path()).is_empty());

    // A reset empties the data directory for good.
    server.reset().await.unwrap();
    drop(server);
    let server = MockServer::start_with(disk_config(dir.path()))
        .await
        .unwrap();
    assert_eq!(
        server.storage().list_keys(server.bucket()).await.unwrap(),
        Vec::<String>::new()
    );
    let err = owner(&server).get_object("up/big.png").await.unwrap_err();
    assert_eq!(service(&err), (404, "NoSuchKey"));
}

/// Many writers and readers on one key; every read and the final state are one whole version.
async fn parallel_writers(server: &MockServer) {
    const WRITERS: u64 = 8;
    const WRITES: u64 = 5;
    const READERS: usize = 3;
    let key = "hot/key.bin";
    let first = payload(0, 1000);
    let client = owner(server);
    let etag = client
        .put_object(key, first.clone())
        .await
        .unwrap()
        .etag
        .unwrap();
    let written = Arc::new(Mutex::new(HashMap::from([(etag, first)])));
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let (client, written) = (client.clone(), written.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..WRITES {
                let seed = 1 + w * WRITES + i;
                let body = payload(seed, 1_000 + (seed as usize * 37_813) % 250_000);
                let put = client.put_object(key, body.clone()).await.unwrap();
                written.lock().unwrap().insert(put.etag.unwrap(), body);
            }
            Vec::new()
        }));
    }
    for _ in 0..READERS {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let mut reads = Vec::new();
            for _ in 0..10 {
                let got = client.get_object(key).await.unwrap();
                reads.push((got.info.etag.unwrap(), got.info.size, got.bytes));
            }
            reads
        }));
    }
    let mut reads = Vec::new();
    for task in tasks {
        reads.extend(bounded(task).await.unwrap());
    }
    let written = written.lock().unwrap().clone();
    assert_eq!(
        written.len() as u64,
        WRITERS * WRITES + 1,
        "every write has its own ETag"
    );
    assert_eq!(reads.len(), READERS * 10);
    for (etag, size, bytes) in &reads {
        let body = written
            .get(etag)
            .unwrap_or_else(|| panic!("a read saw ETag {etag} that no write made"));
        assert!(bytes.as_ref() == body.as_slice(), "a torn read of {etag}");
        assert_eq!(*size, body.len() as u64);
    }
    let last = client.get_object(key).await.unwrap();
    let body = &written[last.info.etag.as_deref().unwrap()];
    assert!(last.bytes.as_ref() == body.as_slice());
    let head = client.head_object(key).await.unwrap();
    assert_eq!((head.size, head.etag), (body.len() as u64, last.info.etag));

    // Parallel processing results into one destination: one whole result.
    let mut tasks = Vec::new();
    for (i, side) in [8u32, 12, 16, 20].into_iter().enumerate() {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let src = format!("hot/src{i}.png");
            client
                .upload_with(
                    &src,
                    sample_png(side, side),
                    "/hot/result.png",
                    &AiSuperResolution::new(),
                )
                .await
                .unwrap();
        }));
    }
    for task in tasks {
        bounded(task).await.unwrap();
    }
    let result = client.get_object("hot/result.png").await.unwrap();
    let (w, h, _) = dimensions(&result.bytes).expect("a whole image");
    assert!(w == h && [16, 24, 32, 40].contains(&w), "{w}x{h}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_writers_to_one_key_in_memory() {
    let server = MockServer::start().await.unwrap();
    parallel_writers(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_writers_to_one_key_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let server = MockServer::start_with(disk_config(dir.path()))
        .await
        .unwrap();
    parallel_writers(&server).await;
    assert!(
        temp_files(dir.path()).is_empty(),
        "{:?}",
        temp_files(dir.path())
    );
    // And what is on disk is what was served.
    let served = owner(&server).get_object("hot/key.bin").await.unwrap();
    drop(server);
    let server = MockServer::start_with(disk_config(dir.path()))
        .await
        .unwrap();
    let reread = owner(&server).get_object("hot/key.bin").await.unwrap();
    assert!(reread.bytes == served.bytes);
    assert_eq!(reread.info.etag, served.info.etag);
}

// ---- the real binary ----

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The `cos-ci-mock` binary, built once per test run.
pub(crate) fn mock_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| built_binary("cos-ci-mock", "cos-ci-mock"))
}

/// The `cos-ci` binary, built once per test run.
pub(crate) fn cli_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| built_binary("cos-ci-cli", "cos-ci"))
}

/// The binary `bin` of `package` beside this test's profile directory, built (or brought up
/// to date) with `cargo build -p PACKAGE --bin BIN`: cargo builds another package's binaries
/// for its own integration tests only.
fn built_binary(package: &str, bin: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // <target>/<profile>/deps/it-<hash>
    let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    let target_dir = profile_dir.parent().unwrap().to_path_buf();
    let log = target_dir.join(format!("{bin}-build.log"));
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command
        .current_dir(workspace_root())
        .args(["build", "-p", package, "--bin", bin, "--target-dir"])
        .arg(&target_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        command.arg("--release");
    }
    let mut child = command.spawn().expect("cannot run cargo");
    let deadline = Instant::now() + Duration::from_secs(1500);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("cargo build -p {package} took longer than 25 minutes");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        status.success(),
        "cargo build -p {package} failed:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    let binary = profile_dir.join(format!("{bin}{}", std::env::consts::EXE_SUFFIX));
    assert!(binary.is_file(), "no {bin} binary at {}", binary.display());
    binary
}

/// A running `cos-ci-mock --data-dir DIR`, killed when dropped.
struct MockProcess {
    child: Child,
    endpoint: String,
}

impl MockProcess {
    fn start(data_dir: &Path) -> Self {
        let binary = mock_binary();
        let mut child = Command::new(binary)
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut process = MockProcess {
            child,
            endpoint: String::new(),
        };
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            // Keep reading so the mock never writes into a closed pipe.
            for _ in lines {}
        });
        let line = match rx.recv_timeout(STEP) {
            Ok(Some(Ok(line))) => line,
            other => panic!("the mock did not say where it listens: {other:?}"),
        };
        process.endpoint = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        process
    }

    fn client(&self) -> Client {
        Client::builder()
            .region(DEFAULT_REGION)
            .bucket(DEFAULT_BUCKET)
            .credentials(Credentials::new(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY))
            .endpoint(self.endpoint.clone())
            .retry(RetryPolicy::none())
            .request_timeout(STEP)
            .build()
            .unwrap()
    }

    /// SIGKILL (on Unix): no chance to flush or clean up.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for MockProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

#[tokio::test]
async fn the_binary_keeps_objects_across_a_kill_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let png = sample_png(24, 12);
    let mut mock = MockProcess::start(dir.path());
    let client = mock.client();
    let put = bounded(client.put_object("keep/a.png", png.clone()))
        .await
        .unwrap();
    let result = bounded(client.upload_with(
        "keep/b.png",
        png.clone(),
        "b-big.png",
        &AiSuperResolution::new(),
    ))
    .await
    .unwrap();
    let big_etag = result.process_results.unwrap().object[0].etag.clone();
    mock.kill();
    assert!(
        bounded(client.get_object("keep/a.png")).await.is_err(),
        "it is down"
    );

    let mock = MockProcess::start(dir.path());
    let client = mock.client();
    let got = bounded(client.get_object("keep/a.png")).await.unwrap();
    assert_eq!(got.bytes.as_ref(), png.as_slice());
    assert_eq!(got.info.etag, put.etag);
    let got = bounded(client.get_object("keep/b.png")).await.unwrap();
    assert_eq!(got.bytes.as_ref(), png.as_slice());
    let big = bounded(client.get_object("keep/b-big.png")).await.unwrap();
    assert_eq!(big.info.etag.as_deref(), Some(big_etag.as_str()));
    assert_eq!(dimensions(&big.bytes).map(|d| (d.0, d.1)), Some((48, 24)));
}

/// What one writer did: keys acknowledged with their bytes and ETag, and the one write (if
/// any) that was in flight when the server died.
#[derive(Default)]
struct Written {
    acked: Vec<(String, Vec<u8>, String)>,
    in_flight: Option<(String, Vec<u8>)>,
    shared: Vec<Vec<u8>>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_binary_during_a_burst_keeps_every_acknowledged_object_whole() {
    const WRITERS: u64 = 6;
    const MAX_WRITES: u64 = 300;
    const KILL_AFTER: usize = 40;
    let dir = tempfile::tempdir().unwrap();
    let mut mock = MockProcess::start(dir.path());
    let client = mock.client();
    let acked = Arc::new(AtomicUsize::new(0));
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let (client, acked) = (client.clone(), acked.clone());
        writers.push(tokio::spawn(async move {
            let mut written = Written::default();
            for i in 0..MAX_WRITES {
                let seed = 1000 * (w + 1) + i;
                // Every fifth write overwrites one shared key; the rest are new keys.
                let key = if i % 5 == 4 {
                    "burst/shared.bin".to_string()
                } else {
                    format!("burst/w{w}/{i}.bin")
                };
                let body = payload(seed, 512 + (seed as usize * 7919) % 400_000);
                if i % 5 == 4 {
                    written.shared.push(body.clone());
                }
                match client.put_object(&key, body.clone()).await {
                    Ok(put) => {
                        written.acked.push((key, body, put.etag.unwrap()));
                        acked.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(_) => {
                        written.in_flight = Some((key, body));
                        break;
                    }
                }
            }
            written
        }));
    }
    let deadline = Instant::now() + STEP;
    while acked.load(Ordering::SeqCst) < KILL_AFTER {
        assert!(Instant::now() < deadline, "the burst did not get going");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    mock.kill();
    let mut all = Vec::new();
    for writer in writers {
        all.push(bounded(writer).await.unwrap());
    }
    let total_acked: usize = all.iter().map(|w| w.acked.len()).sum();
    assert!(total_acked >= KILL_AFTER);
    assert!(
        all.iter().any(|w| w.in_flight.is_some()),
        "the kill came after the burst had ended"
    );

    let mock = MockProcess::start(dir.path());
    let client = mock.client();
    assert!(
        temp_files(dir.path()).is_empty(),
        "a restart clears unfinished writes"
    );
    let mut shared_acked = false;
    for written in &all {
        for (key, body, etag) in &written.acked {
            if key == "burst/shared.bin" {
                shared_acked = true;
                continue;
            }
            let got = bounded(client.get_object(key))
                .await
                .unwrap_or_else(|e| panic!("acknowledged {key} was lost: {e}"));
            assert!(got.bytes.as_ref() == body.as_slice(), "{key} is not whole");
            assert_eq!(got.info.etag.as_deref(), Some(etag.as_str()), "{key}");
        }
        // A write cut short by the kill is either absent or whole.
        if let Some((key, body)) = &written.in_flight {
            match bounded(client.get_object(key)).await {
                Ok(got) => assert!(
                    got.bytes.as_ref() == body.as_slice()
                        || (key == "burst/shared.bin"
                            && all.iter().any(|w| w.shared.iter().any(|s| s == &got.bytes))),
                    "{key} is torn"
                ),
                Err(e) => assert_eq!(service(&e), (404, "NoSuchKey"), "{key}"),
            }
        }
    }
    // The shared key holds one whole version of those written to it.
    match bounded(client.get_object("burst/shared.bin")).await {
        Ok(got) => assert!(
            all.iter().any(|w| w.shared.iter().any(|s| s == &got.bytes)),
            "burst/shared.bin is torn"
        ),
        Err(e) => {
            assert!(!shared_acked, "acknowledged burst/shared.bin was lost: {e}");
            assert_eq!(service(&e), (404, "NoSuchKey"));
        }
    }
    // And the restarted server takes writes again.
    bounded(client.put_object("burst/after.bin", payload(1, 10)))
        .await
        .unwrap();
}
