//! Hostile requests against the mock's budgets (issue 12): a detect-url that once overflowed
//! the stack, connections that never finish their head, trickling bodies, more connections
//! than the cap, bodies larger than the operation takes, jobs over the memory budget,
//! jobs whose clients leave, and detect-url names that lead somewhere private.
//! Every budget is set small here so the tests stay fast; the bounds are "does not hang".

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cos_ci_client::Source;
use cos_ci_client::ai_super_resolution::AiSuperResolution;
use cos_ci_mock::{Config, MockServer};
use cos_ci_sign::{KeyTime, SignInput, Signer};
use cos_ci_tests::{dimensions, sample_png};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::mock_support::{Req, Serve, bounded, bucket_host, config, origin, owner, service};

// ---- raw HTTP helpers ----

/// An owner's `Authorization` for `method` on `path` (decoded) with `query`, signing Host.
fn authorization(server: &MockServer, method: &str, path: &str, query: &[(&str, &str)]) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let headers = vec![("Host".to_string(), bucket_host(server))];
    let signed = cos_ci_sign::signable_headers(&headers);
    let params: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Signer {
        secret_id: server.secret_id(),
        secret_key: server.secret_key(),
    }
    .sign(
        KeyTime::new(now - 60, now + 3600),
        &SignInput {
            method,
            path,
            params: &params,
            headers: &signed,
        },
    )
    .to_header_value()
}

/// A signed request head (no body) for `method` on `/<key>` with `query` and `extra` headers.
fn signed_head(
    server: &MockServer,
    method: &str,
    key: &str,
    query: &[(&str, &str)],
    extra: &[(&str, &str)],
) -> String {
    let auth = authorization(server, method, &format!("/{key}"), query);
    let query: Vec<String> = query
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                cos_ci_sign::form_encode(k),
                cos_ci_sign::form_encode(v)
            )
        })
        .collect();
    let target = if query.is_empty() {
        format!("/{key}")
    } else {
        format!("/{key}?{}", query.join("&"))
    };
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {}\r\nAuthorization: {auth}\r\n",
        bucket_host(server)
    );
    for (k, v) in extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    head
}

/// A plain unsigned GET head on the default bucket, keeping the connection open.
fn get_head(server: &MockServer, key: &str) -> String {
    format!(
        "GET /{key} HTTP/1.1\r\nHost: {}\r\n\r\n",
        bucket_host(server)
    )
}

async fn connect(server: &MockServer) -> TcpStream {
    bounded(TcpStream::connect(server.addr())).await.unwrap()
}

/// Reads one HTTP answer: its status and body (by Content-Length).
async fn read_answer<R: tokio::io::AsyncRead + Unpin>(stream: &mut R) -> (u16, String) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed before an answer: {buf:?}");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {head}"));
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed inside the body");
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buf[head_end..head_end + length]).to_string();
    (status, body)
}

/// Reads until the server closes the connection (EOF or reset); what it sent first is ignored.
async fn closed_by_server(stream: &mut TcpStream) {
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// `<Code>` of an error document.
fn code(body: &str) -> &str {
    body.split("<Code>")
        .nth(1)
        .and_then(|rest| rest.split("</Code>").next())
        .unwrap_or("")
}

/// The server still answers an ordinary request.
async fn still_serves(server: &MockServer) {
    let client = owner(server);
    client
        .put_object("alive.txt", b"ok".to_vec())
        .await
        .unwrap();
    let got = client.get_object("alive.txt").await.unwrap();
    assert_eq!(got.bytes.as_ref(), b"ok");
}

// ---- finding 1: detect-url decoding ----

#[tokio::test]
async fn deeply_encoded_detect_url_is_refused_and_the_server_lives() {
    let server = MockServer::start().await.unwrap();
    // On the wire: detect-url=http%2525…(30,000 × 25)…3A…, as in the report.
    let value = format!("http%{}3A%2F%2Fexample.com%2Fa.png", "25".repeat(29_999));
    let answer = Req::new(&server, "GET", "")
        .query("ci-process", "AIPicMatting")
        .query("detect-url", &value)
        .send(&server)
        .await;
    let doc = answer.expect_error(400, "InvalidArgument");
    assert!(doc.message.contains("8192"), "{}", doc.message);
    // Short enough, but encoded more often than any client does.
    let value = format!("http%{}3A%2F%2Fexample.com%2Fa.png", "25".repeat(5));
    let answer = Req::new(&server, "GET", "")
        .query("ci-process", "AIPicMatting")
        .query("detect-url", &value)
        .send(&server)
        .await;
    let doc = answer.expect_error(400, "InvalidImageSource");
    assert!(doc.message.contains("MAX_DECODE_ROUNDS"), "{}", doc.message);
    still_serves(&server).await;
}

// ---- finding 7: header, idle and body timeouts, connection cap ----

#[tokio::test]
async fn half_a_request_head_is_closed_after_header_read_timeout() {
    let server = MockServer::start_with(Config {
        header_read_timeout_ms: 300,
        ..config()
    })
    .await
    .unwrap();
    let mut stream = connect(&server).await;
    stream
        .write_all(b"GET /a.txt HTTP/1.1\r\nHost: x\r\nX-Half: ")
        .await
        .unwrap();
    bounded(closed_by_server(&mut stream)).await;
    still_serves(&server).await;
}

#[tokio::test]
async fn idle_keep_alive_connection_is_closed_after_idle_timeout() {
    let server = MockServer::start_with(Config {
        idle_timeout_ms: 300,
        ..config()
    })
    .await
    .unwrap();
    let mut stream = connect(&server).await;
    stream
        .write_all(get_head(&server, "missing.txt").as_bytes())
        .await
        .unwrap();
    // Anonymous: refused, but answered, and the connection is kept alive.
    let (status, _) = bounded(read_answer(&mut stream)).await;
    assert!(status >= 400, "{status}");
    // The default header_read_timeout_ms (30 s) would take longer than this bound allows
    // for both steps together; the idle timeout closes it well before.
    tokio::time::timeout(Duration::from_secs(20), closed_by_server(&mut stream))
        .await
        .expect("an idle connection stays open past idle_timeout_ms");
}

#[tokio::test]
async fn trickling_body_is_cut_off_with_request_timeout() {
    let server = MockServer::start_with(Config {
        body_timeout_ms: 600,
        ..config()
    })
    .await
    .unwrap();
    let mut stream = connect(&server).await;
    let head = signed_head(
        &server,
        "PUT",
        "slow.bin",
        &[],
        &[("Content-Length", "1000")],
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // One byte every 50 ms: every chunk comes in time, the whole body never does.
    let (mut read, mut write) = stream.into_split();
    let trickle = tokio::spawn(async move {
        for _ in 0..1000 {
            if write.write_all(b"x").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let (status, text) = bounded(read_answer(&mut read)).await;
    trickle.abort();
    assert_eq!((status, code(&text)), (400, "RequestTimeout"), "{text}");
    assert!(text.contains("body_timeout_ms"), "{text}");
    assert!(
        server
            .storage()
            .get(server.bucket(), "slow.bin", None)
            .await
            .is_err()
    );

    // A body that stops: the per-chunk wait.
    let server = MockServer::start_with(Config {
        body_idle_timeout_ms: 300,
        ..config()
    })
    .await
    .unwrap();
    let mut stream = connect(&server).await;
    let head = signed_head(
        &server,
        "PUT",
        "stalled.bin",
        &[],
        &[("Content-Length", "10")],
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(b"abc").await.unwrap();
    let (status, body) = bounded(read_answer(&mut stream)).await;
    assert_eq!((status, code(&body)), (400, "RequestTimeout"), "{body}");
    assert!(body.contains("body_idle_timeout_ms"), "{body}");
    still_serves(&server).await;
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_until_one_closes() {
    let server = MockServer::start_with(Config {
        max_connections: 1,
        ..config()
    })
    .await
    .unwrap();
    let mut first = connect(&server).await;
    first
        .write_all(get_head(&server, "a.txt").as_bytes())
        .await
        .unwrap();
    let (status, _) = bounded(read_answer(&mut first)).await;
    assert!(status >= 400, "{status}");

    // The kernel completes the handshake, but the mock does not accept it yet.
    let mut second = connect(&server).await;
    second
        .write_all(get_head(&server, "b.txt").as_bytes())
        .await
        .unwrap();
    let early = tokio::time::timeout(Duration::from_millis(500), read_answer(&mut second)).await;
    assert!(
        early.is_err(),
        "a connection over max_connections was served"
    );

    drop(first);
    let (status, _) = bounded(read_answer(&mut second)).await;
    assert!(status >= 400, "{status}");
}

// ---- finding 8: processing budget ----

/// A Pic-Operations header with one AIEnhanceImage rule.
const ENHANCE_RULE: &str =
    r#"{"is_pic_info":0,"rules":[{"fileid":"out.png","rule":"ci-process=AIEnhanceImage"}]}"#;

#[tokio::test]
async fn oversize_content_length_is_refused_before_the_body_is_read() {
    let server = MockServer::start().await.unwrap();
    let mut stream = connect(&server).await;
    // 100 MB declared, not a byte sent: the answer comes anyway.
    let head = signed_head(
        &server,
        "PUT",
        "huge.png",
        &[],
        &[
            ("Content-Length", "100000000"),
            ("Pic-Operations", ENHANCE_RULE),
        ],
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let (status, body) = bounded(read_answer(&mut stream)).await;
    assert_eq!((status, code(&body)), (400, "ImageTooLarge"), "{body}");
    assert!(
        body.contains("AIEnhanceImage") && body.contains("5242880") && body.contains("100000000"),
        "{body}"
    );
    assert!(
        server
            .storage()
            .get(server.bucket(), "huge.png", None)
            .await
            .is_err()
    );

    // Without a Content-Length (chunked), the read stops at the limit.
    let mut stream = connect(&server).await;
    let head = signed_head(
        &server,
        "PUT",
        "huge.png",
        &[],
        &[
            ("Transfer-Encoding", "chunked"),
            ("Pic-Operations", ENHANCE_RULE),
        ],
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b'x'; 1 << 20];
    let (mut read, mut write) = stream.into_split();
    let writer = tokio::spawn(async move {
        for _ in 0..64 {
            let frame = format!("{:x}\r\n", chunk.len());
            if write.write_all(frame.as_bytes()).await.is_err()
                || write.write_all(&chunk).await.is_err()
                || write.write_all(b"\r\n").await.is_err()
            {
                return;
            }
        }
    });
    let (status, text) = bounded(read_answer(&mut read)).await;
    writer.abort();
    assert_eq!((status, code(&text)), (400, "ImageTooLarge"), "{text}");
    still_serves(&server).await;
}

#[tokio::test]
async fn jobs_queue_under_a_tiny_memory_budget_and_both_succeed() {
    let input = sample_png(200, 150);
    // The estimate: 8 + 4 bytes per input pixel, 4 per output pixel, plus the input.
    let one_job = 200 * 150 * 16 + input.len() as u64;
    let server = MockServer::start_with(Config {
        processing_memory_bytes: one_job + one_job / 2,
        max_concurrent_jobs: 4,
        ..config()
    })
    .await
    .unwrap();
    let client = owner(&server);
    client.put_object("in.png", input).await.unwrap();
    let params = cos_ci_client::ai_enhance_image::AiEnhanceImage::new();
    let (a, b) = bounded(async {
        tokio::join!(
            client.ai_enhance_image("in.png", &params),
            client.ai_enhance_image("in.png", &params)
        )
    })
    .await;
    for out in [a.unwrap(), b.unwrap()] {
        assert_eq!(dimensions(&out.bytes).map(|d| (d.0, d.1)), Some((200, 150)));
    }
    let counts = server.job_counts();
    assert_eq!((counts.started, counts.finished, counts.waiting), (2, 2, 0));

    // A job larger than the whole budget can never run: it fails, naming the budget.
    let tiny = MockServer::start_with(Config {
        processing_memory_bytes: 4096,
        ..config()
    })
    .await
    .unwrap();
    let client = owner(&tiny);
    client
        .put_object("in.png", sample_png(200, 150))
        .await
        .unwrap();
    let err = client
        .ai_enhance_image("in.png", &params)
        .await
        .unwrap_err();
    assert_eq!(service(&err), (400, "ImageResolutionExceed"));
    let message = &err.service().unwrap().message;
    assert!(
        message.contains("processing_memory_bytes") && message.contains("4096"),
        "{message}"
    );
    assert_eq!(tiny.job_counts().started, 0);
}

/// Polls `check` until it holds, failing the test past the step bound.
async fn until(mut check: impl FnMut() -> bool) {
    bounded(async {
        while !check() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn jobs_of_clients_that_left_stop_or_never_start() {
    let server = MockServer::start_with(Config {
        max_concurrent_jobs: 1,
        ..config()
    })
    .await
    .unwrap();
    // Large enough that the stand-in's work takes a while.
    owner(&server)
        .put_object("big.png", sample_png(2400, 2400))
        .await
        .unwrap();
    let query = [
        ("ci-process", "AIEnhanceImage"),
        ("denoise", "5"),
        ("sharpen", "5"),
    ];
    let running_head = signed_head(&server, "GET", "big.png", &query, &[]);
    let mut running = connect(&server).await;
    running.write_all(running_head.as_bytes()).await.unwrap();
    until(|| server.job_counts().started == 1).await;

    // A second job waits for the only slot; its client leaves before it gets it.
    let mut queued = connect(&server).await;
    queued.write_all(running_head.as_bytes()).await.unwrap();
    until(|| server.job_counts().waiting == 1).await;
    drop(queued);
    until(|| server.job_counts().waiting == 0).await;

    // The running job's client leaves: it stops at its next checkpoint.
    drop(running);
    until(|| {
        let c = server.job_counts();
        c.cancelled + c.finished == 1
    })
    .await;
    let counts = server.job_counts();
    assert_eq!(
        (counts.started, counts.cancelled),
        (1, 1),
        "the running job ran to its end: {counts:?}"
    );

    // The slot is free again, and the queued job never started.
    owner(&server)
        .put_object("small.png", sample_png(20, 10))
        .await
        .unwrap();
    let out = owner(&server)
        .ai_enhance_image(
            "small.png",
            &cos_ci_client::ai_enhance_image::AiEnhanceImage::new(),
        )
        .await
        .unwrap();
    assert_eq!(dimensions(&out.bytes).map(|d| (d.0, d.1)), Some((20, 10)));
    let counts = server.job_counts();
    assert_eq!((counts.started, counts.finished), (2, 1), "{counts:?}");
}

// ---- finding 10: detect-url addresses and ports ----

#[tokio::test]
async fn detect_url_names_leading_to_private_addresses_are_refused() {
    let origin = origin(Serve::Body(sample_png(20, 10))).await;
    let port = origin.addr.port();
    let params = AiSuperResolution::new();
    // "localhost" is allowed by name, but resolves to loopback.
    let server = MockServer::start_with(Config {
        detect_url_hosts: vec![format!("localhost:{port}"), format!("127.0.0.1:{port}")],
        ..config()
    })
    .await
    .unwrap();
    let err = owner(&server)
        .ai_super_resolution(
            Source::url(format!("http://localhost:{port}/a.png")),
            &params,
        )
        .await
        .unwrap_err();
    assert_eq!(service(&err), (403, "AccessDenied"));
    let message = &err.service().unwrap().message;
    assert!(message.contains("resolves to"), "{message}");
    // The same loopback address spelled as IPv4-mapped IPv6 is not the listed literal.
    let err = owner(&server)
        .ai_super_resolution(
            Source::url(format!("http://[::ffff:127.0.0.1]:{port}/a.png")),
            &params,
        )
        .await
        .unwrap_err();
    assert_eq!(service(&err), (403, "AccessDenied"));
    assert_eq!(origin.hits(), 0, "nothing private was contacted");
    // Listed as the IP literal itself, it is fetched.
    let out = owner(&server)
        .ai_super_resolution(Source::url(origin.url("/a.png")), &params)
        .await
        .unwrap();
    assert_eq!(dimensions(&out.bytes).map(|d| (d.0, d.1)), Some((40, 20)));
    assert_eq!(origin.hits(), 1);
}

#[tokio::test]
async fn detect_url_never_fetches_from_the_mock_itself() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let own: SocketAddr = listener.local_addr().unwrap();
    let server = MockServer::serve(
        Config {
            detect_url_hosts: vec![own.to_string()],
            ..config()
        },
        listener,
    )
    .await
    .unwrap();
    owner(&server)
        .put_object("a.png", sample_png(20, 10))
        .await
        .unwrap();
    let requests_before = server.requests().len();
    let err = owner(&server)
        .ai_super_resolution(
            Source::url(format!("http://{own}/a.png")),
            &AiSuperResolution::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(service(&err), (403, "AccessDenied"));
    assert!(
        err.service()
            .unwrap()
            .message
            .contains("own listen address"),
        "{}",
        err.service().unwrap().message
    );
    // Only the refused request itself reached the mock.
    assert_eq!(server.requests().len(), requests_before + 1);
}
