//! The client's object-store calls and large transfers against the mock: listing, copy,
//! batch delete, multipart upload (abort, retry, resume) and parallel ranged download.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cos_ci_client::{
    Cleanup, Client, CopyOptions, CopySource, Credentials, ListEntry, ListObjects,
    MetadataDirective, Progress, RetryPolicy, TransferOptions,
};
use cos_ci_mock::{Fault, MockServer};
use futures_util::TryStreamExt;

const MIB: usize = 1024 * 1024;

fn client_with(server: &MockServer, retry: RetryPolicy) -> Client {
    Client::builder()
        .region(server.region())
        .bucket(server.bucket())
        .credentials(Credentials::new(server.secret_id(), server.secret_key()))
        .endpoint(server.endpoint())
        .scheme("http")
        .retry(retry)
        .build()
        .unwrap()
}

fn client(server: &MockServer) -> Client {
    client_with(
        server,
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            max_elapsed: Duration::from_secs(10),
        },
    )
}

/// Bytes that differ from part to part, so a misplaced part shows.
fn data(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

fn md5_hex(b: &[u8]) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::digest(b))
}

/// COS's multipart ETag: the MD5 of the parts' binary MD5s, a dash, the part count.
fn multipart_etag(bytes: &[u8], part: usize) -> String {
    use md5::Digest;
    let mut all = Vec::new();
    for chunk in bytes.chunks(part) {
        all.extend_from_slice(&md5::Md5::digest(chunk));
    }
    format!("\"{}-{}\"", md5_hex(&all), bytes.len().div_ceil(part))
}

fn part_requests(server: &MockServer) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| r.method == "PUT" && r.query.contains("partNumber="))
        .count()
}

fn options(part: usize) -> TransferOptions {
    TransferOptions {
        multipart_threshold: part as u64,
        part_size: part as u64,
        concurrency: 3,
        ..TransferOptions::default()
    }
}

async fn uploads_in_progress(client: &Client, prefix: &str) -> usize {
    client
        .list_multipart_uploads(prefix, None, None)
        .await
        .unwrap()
        .uploads
        .len()
}

#[tokio::test]
async fn multipart_upload_of_26_mib_matches_byte_for_byte_with_progress() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let dir = tempfile::tempdir().unwrap();
    let bytes = data(26 * MIB);
    let src = dir.path().join("big.bin");
    std::fs::write(&src, &bytes).unwrap();

    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let opts = TransferOptions {
        progress: Some(Progress::new(move |done, total| {
            s.lock().unwrap().push((done, total))
        })),
        ..options(5 * MIB)
    };
    let out = client.upload_file(&src, "big/a.bin", &opts).await.unwrap();
    assert_eq!(out.parts, 6);
    assert_eq!(out.parts_sent, 6);
    assert_eq!(part_requests(&server), 6);
    assert_eq!(
        out.etag.as_deref(),
        Some(multipart_etag(&bytes, 5 * MIB).as_str())
    );

    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.len() > 6,
        "progress moves within parts: {} reports",
        seen.len()
    );
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "monotonic");
    assert!(seen.iter().all(|&(_, t)| t == bytes.len() as u64));
    assert_eq!(seen.last().map(|s| s.0), Some(bytes.len() as u64));

    let dest = dir.path().join("back.bin");
    let down = client
        .download_file("big/a.bin", &dest, &options(4 * MIB))
        .await
        .unwrap();
    assert_eq!(down.ranges, 7);
    assert!(
        std::fs::read(&dest).unwrap() == bytes,
        "the object differs from the file"
    );
    assert_eq!(uploads_in_progress(&client, "big/").await, 0);
}

#[tokio::test]
async fn a_part_that_keeps_failing_aborts_the_upload() {
    let server = MockServer::start().await.unwrap();
    let client = client_with(&server, RetryPolicy::none());
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("f.bin");
    std::fs::write(&src, data(3 * MIB)).unwrap();
    server.inject_fault(Fault::error(Some("UploadPart"), 500, "InternalError").times(100));
    let err = client
        .upload_file(&src, "fail/f.bin", &options(MIB))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InternalError"));
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.method == "DELETE" && r.query.contains("uploadId=")),
        "an abort was sent"
    );
    assert_eq!(uploads_in_progress(&client, "fail/").await, 0);
    assert!(client.head_object("fail/f.bin").await.is_err());
}

#[tokio::test]
async fn a_failed_part_is_retried_on_its_own() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let dir = tempfile::tempdir().unwrap();
    let bytes = data(3 * MIB + 5);
    let src = dir.path().join("f.bin");
    std::fs::write(&src, &bytes).unwrap();
    server.inject_fault(Fault::error(Some("UploadPart"), 503, "SlowDown").times(2));
    let out = client
        .upload_file(&src, "retry/f.bin", &options(MIB))
        .await
        .unwrap();
    assert_eq!(out.parts, 4);
    assert_eq!(
        part_requests(&server),
        4 + 2,
        "two parts sent again, not the upload"
    );
    let dest = dir.path().join("back");
    client
        .download_file("retry/f.bin", &dest, &TransferOptions::default())
        .await
        .unwrap();
    assert!(std::fs::read(&dest).unwrap() == bytes);
}

#[tokio::test]
async fn a_dropped_upload_is_aborted() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("f.bin");
    std::fs::write(&src, data(3 * MIB)).unwrap();
    // Parts hang long enough for the caller to give up first.
    let mut slow = Fault::error(Some("UploadPart"), 500, "InternalError");
    slow.status = None;
    slow.delay_ms = Some(3_000);
    server.inject_fault(slow.times(100));
    let cleanup = Cleanup::new();
    let opts = TransferOptions {
        cleanup: Some(cleanup.clone()),
        ..options(MIB)
    };
    let upload = client.upload_file(&src, "drop/f.bin", &opts);
    assert!(
        tokio::time::timeout(Duration::from_millis(500), upload)
            .await
            .is_err()
    );
    assert!(
        cleanup.wait(Duration::from_secs(20)).await,
        "the abort finished"
    );
    assert_eq!(uploads_in_progress(&client, "drop/").await, 0);
}

#[tokio::test]
async fn resume_sends_only_the_missing_or_different_parts() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let dir = tempfile::tempdir().unwrap();
    let bytes = data(5 * MIB + 100);
    let src = dir.path().join("f.bin");
    std::fs::write(&src, &bytes).unwrap();
    let key = "resume/f.bin";
    // A first run that "crashed" after parts 1 and 2, and sent a wrong part 4.
    let id = client.create_multipart_upload(key, None).await.unwrap();
    for n in 1..=2usize {
        let part = bytes[(n - 1) * MIB..n * MIB].to_vec();
        client.upload_part(key, &id, n as u32, part).await.unwrap();
    }
    client
        .upload_part(key, &id, 4, vec![0u8; MIB])
        .await
        .unwrap();
    assert_eq!(
        client.find_upload(key).await.unwrap().as_deref(),
        Some(id.as_str())
    );
    let before = part_requests(&server);

    let out = client
        .resume_upload_file(&src, key, &id, &options(MIB))
        .await
        .unwrap();
    assert_eq!(out.parts, 6);
    assert_eq!(out.parts_sent, 4, "parts 3, 4 (different), 5 and 6");
    assert_eq!(part_requests(&server) - before, 4);
    assert_eq!(
        out.etag.as_deref(),
        Some(multipart_etag(&bytes, MIB).as_str())
    );
    let dest = dir.path().join("back");
    client
        .download_file(key, &dest, &options(MIB))
        .await
        .unwrap();
    assert!(std::fs::read(&dest).unwrap() == bytes);
}

#[tokio::test]
async fn ranged_download_equals_the_object_and_leaves_no_temporary_file() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let bytes = data(3 * MIB + 7);
    client.put_object("dl/x.bin", bytes.clone()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("x.bin");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let opts = TransferOptions {
        progress: Some(Progress::new(move |d, _| s.lock().unwrap().push(d))),
        concurrency: 4,
        ..options(MIB)
    };
    let out = client
        .download_file("dl/x.bin", &dest, &opts)
        .await
        .unwrap();
    assert_eq!(out.ranges, 4);
    assert_eq!(out.size, bytes.len() as u64);
    assert!(std::fs::read(&dest).unwrap() == bytes);
    let ranged = server
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.headers.iter().any(|(k, _)| k == "range"))
        .count();
    assert_eq!(ranged, 4);
    let seen = seen.lock().unwrap().clone();
    assert!(seen.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(seen.last().copied(), Some(bytes.len() as u64));
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 1, "only the downloaded file");

    // A missing object: an error, and neither the file nor a temporary one.
    let missing = dir.path().join("missing.bin");
    let err = client
        .download_file("dl/none", &missing, &opts)
        .await
        .unwrap_err();
    // HEAD answers a missing key with a bare 404.
    assert_eq!(err.service().map(|e| e.status), Some(404));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[tokio::test]
async fn listing_follows_markers_with_small_pages() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let keys = [
        "l/a.png",
        "l/b c.png",
        "l/dir/1",
        "l/dir/2",
        "l/e&f",
        "l/z/9",
        "l/腾讯.png",
        "m/outside",
    ];
    for k in keys {
        client.put_object(k, k.as_bytes().to_vec()).await.unwrap();
    }
    let all: Vec<ListEntry> = client
        .list_objects(ListObjects::new().with_prefix("l/").with_max_keys(2))
        .try_collect()
        .await
        .unwrap();
    let names: Vec<String> = all
        .iter()
        .map(|e| match e {
            ListEntry::Object(o) => {
                assert_eq!(o.size, o.key.len() as u64);
                o.key.clone()
            }
            ListEntry::Prefix(p) => panic!("no delimiter, yet a prefix {p}"),
        })
        .collect();
    assert_eq!(names, &keys[..7]);
    let pages = server
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.key.is_empty() && r.query.contains("max-keys=2"))
        .count();
    assert_eq!(pages, 4);

    let folders: Vec<ListEntry> = client
        .list_objects(
            ListObjects::new()
                .with_prefix("l/")
                .with_delimiter("/")
                .with_max_keys(1),
        )
        .try_collect()
        .await
        .unwrap();
    let shown: Vec<String> = folders
        .iter()
        .map(|e| match e {
            ListEntry::Object(o) => o.key.clone(),
            ListEntry::Prefix(p) => format!("PRE {p}"),
        })
        .collect();
    assert_eq!(
        shown,
        [
            "l/a.png",
            "l/b c.png",
            "PRE l/dir/",
            "l/e&f",
            "PRE l/z/",
            "l/腾讯.png"
        ]
    );
    let err = client
        .list_objects_page(&ListObjects::new().with_max_keys(1001))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("max_keys"));
}

#[tokio::test]
async fn delete_objects_reports_each_key_and_quiet_reports_none() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let keys: Vec<String> = (0..5).map(|i| format!("d/{i} <&>")).collect();
    for k in &keys {
        client.put_object(k, b"x".to_vec()).await.unwrap();
    }
    let out = client.delete_objects(&keys[..3], false).await.unwrap();
    assert_eq!(out.deleted, &keys[..3]);
    assert!(out.errors.is_empty());
    let quiet = client.delete_objects(&keys[3..], true).await.unwrap();
    assert!(quiet.deleted.is_empty() && quiet.errors.is_empty());
    let left: Vec<ListEntry> = client
        .list_objects(ListObjects::new().with_prefix("d/"))
        .try_collect()
        .await
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test]
async fn copy_and_head_bucket() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    assert!(client.head_bucket().await.is_ok());
    client
        .put_object("c/src.txt", b"hello".to_vec())
        .await
        .unwrap();
    let copied = client
        .copy_object(
            &CopySource::key("c/src.txt"),
            "c/dst.txt",
            &CopyOptions {
                directive: MetadataDirective::Replaced,
                content_type: Some("text/x-copied".into()),
                metadata: vec![("who".into(), "test".into())],
            },
        )
        .await
        .unwrap();
    assert!(copied.etag.is_some());
    let got = client.get_object("c/dst.txt").await.unwrap();
    assert_eq!(got.bytes.as_ref(), b"hello");
    assert_eq!(got.info.content_type.as_deref(), Some("text/x-copied"));
    let err = client
        .copy_object(&CopySource::key("c/none"), "c/x", &CopyOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NoSuchKey"));

    let other = Client::builder()
        .region(server.region())
        .bucket("nosuchbucket-1250000000")
        .credentials(Credentials::new(server.secret_id(), server.secret_key()))
        .endpoint(server.endpoint())
        .scheme("http")
        .build()
        .unwrap();
    let err = other.head_bucket().await.unwrap_err();
    assert_eq!(err.service().map(|e| e.status), Some(404));
}
