//! The test-support API under hostile use (issue 12, findings 2 and 3): each test sends the
//! request that used to wipe, leak or hang the mock, over real HTTP.

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use cos_ci_mock::config::AdminToken;
use cos_ci_mock::{Config, Fault, MockServer, RecordedRequest};
use cos_ci_sign::{KeyTime, SignInput, Signer};
use cos_ci_tests::sample_png;
use reqwest::Method;

use crate::mock_support::{Answer, Req, bounded, bucket_host, config, http, owner, service};

/// `method` on `path_and_query` of the server at `addr`, with exactly these extra headers
/// (a `Host` among them replaces the default).
async fn call(
    addr: SocketAddr,
    method: Method,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    let url = format!("http://127.0.0.1:{}{path_and_query}", addr.port());
    let mut request = http().request(method, url).body(body.to_string());
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = bounded(request.send()).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = bounded(response.bytes()).await.unwrap().to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

/// Stores `key` and says whether it is still there afterwards.
async fn stored(server: &MockServer, key: &str) -> bool {
    server
        .storage()
        .get(server.bucket(), key, None)
        .await
        .is_ok()
}

// ---- who may use /_mock/ ----

#[tokio::test]
async fn admin_off_answers_mock_paths_as_cos_would() {
    let server = MockServer::start_with(Config {
        admin: Some(false),
        ..config()
    })
    .await
    .unwrap();
    assert!(!server.admin_enabled());
    owner(&server)
        .put_object("keep.png", sample_png(4, 4))
        .await
        .unwrap();
    // Unsigned, /_mock/… gets exactly what any other unsigned path gets.
    for (method, path) in [
        (Method::GET, "health"),
        (Method::GET, "requests"),
        (Method::POST, "reset"),
        (Method::POST, "faults"),
    ] {
        let mocked = call(
            server.addr(),
            method.clone(),
            &format!("/_mock/{path}"),
            &[],
            r#"{"delay_ms": 1}"#,
        )
        .await;
        let plain = call(
            server.addr(),
            method.clone(),
            &format!("/_other/{path}"),
            &[],
            r#"{"delay_ms": 1}"#,
        )
        .await;
        assert_eq!(mocked.status, plain.status, "{method} {path}");
        assert_eq!(mocked.error().code, plain.error().code, "{method} {path}");
        assert_eq!(
            mocked.error().message,
            plain.error().message,
            "{method} {path}"
        );
    }
    // Signed, it is an ordinary key of the default bucket.
    Req::new(&server, "GET", "_mock/requests")
        .send(&server)
        .await
        .expect_error(404, "NoSuchKey");
    assert!(stored(&server, "keep.png").await, "nothing was reset");
    // The Rust API keeps full access.
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.path == "/_mock/reset" && r.status == 403)
    );
    server.inject_fault(Fault::error(Some("GetObject"), 503, "SlowDown"));
    let err = owner(&server).get_object("keep.png").await.unwrap_err();
    assert_eq!(service(&err), (503, "SlowDown"));
    server.reset().await.unwrap();
    assert!(!stored(&server, "keep.png").await);
}

#[tokio::test]
async fn admin_defaults_to_off_on_a_non_loopback_address() {
    let server = MockServer::start_with(Config {
        listen: SocketAddr::from(([0, 0, 0, 0], 0)),
        ..Config::default()
    })
    .await
    .unwrap();
    assert!(!server.admin_enabled());
    let answer = call(server.addr(), Method::GET, "/_mock/health", &[], "").await;
    answer.expect_error(403, "AccessDenied");
    assert!(MockServer::start().await.unwrap().admin_enabled());
}

#[tokio::test]
async fn a_web_page_cannot_reset_or_read_the_log() {
    let server = MockServer::start().await.unwrap();
    owner(&server)
        .put_object("keep.png", sample_png(4, 4))
        .await
        .unwrap();
    // What a page's fetch or form sends: no preflight for text/plain, but an Origin.
    let page = [
        ("Origin", "http://evil.example"),
        ("Content-Type", "text/plain"),
    ];
    let answer = call(server.addr(), Method::POST, "/_mock/reset", &page, "").await;
    assert_eq!(answer.status, 403, "{}", answer.text());
    assert!(answer.text().contains("Origin"), "{}", answer.text());
    assert!(stored(&server, "keep.png").await, "the reset was refused");
    let fault = r#"{"status": 500, "times": 1}"#;
    let answer = call(server.addr(), Method::POST, "/_mock/faults", &page, fault).await;
    assert_eq!(answer.status, 403);
    let listed = call(server.addr(), Method::GET, "/_mock/faults", &[], "").await;
    assert_eq!(listed.text(), "[]", "no fault was added");
    let null_origin = [("Origin", "null")];
    let answer = call(
        server.addr(),
        Method::GET,
        "/_mock/requests",
        &null_origin,
        "",
    )
    .await;
    assert_eq!(answer.status, 403);
    // A cross-site GET without Origin (a <script src>) still carries Sec-Fetch-Site.
    let cross = [("Sec-Fetch-Site", "cross-site")];
    let answer = call(server.addr(), Method::GET, "/_mock/requests", &cross, "").await;
    assert_eq!(answer.status, 403, "{}", answer.text());
    assert!(answer.text().contains("Sec-Fetch-Site"));
    // A URL typed into the address bar is fine.
    let typed = [("Sec-Fetch-Site", "none")];
    let answer = call(server.addr(), Method::GET, "/_mock/health", &typed, "").await;
    assert_eq!((answer.status, answer.text().trim()), (200, "ok"));
    assert!(
        server
            .requests()
            .iter()
            .all(|r| !r.path.starts_with("/_mock/")),
        "test-support requests are not logged"
    );
}

#[tokio::test]
async fn a_rebound_host_name_cannot_reach_the_api_without_a_token() {
    let server = MockServer::start().await.unwrap();
    owner(&server)
        .put_object("keep.png", sample_png(4, 4))
        .await
        .unwrap();
    let port = server.addr().port();
    for host in [
        format!("evil.example:{port}"),
        "127.0.0.1.nip.io".to_string(),
        format!("10.0.0.1:{port}"),
    ] {
        let answer = call(
            server.addr(),
            Method::POST,
            "/_mock/reset",
            &[("Host", &host)],
            "",
        )
        .await;
        assert_eq!(answer.status, 403, "{host}: {}", answer.text());
        assert!(answer.text().contains("--admin-token"), "{}", answer.text());
    }
    assert!(stored(&server, "keep.png").await);
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
    ] {
        let answer = call(
            server.addr(),
            Method::GET,
            "/_mock/health",
            &[("Host", &host)],
            "",
        )
        .await;
        assert_eq!(answer.status, 200, "{host}: {}", answer.text());
    }
}

#[tokio::test]
async fn a_configured_token_is_required() {
    let server = MockServer::start_with(Config {
        admin_token: Some(AdminToken::new("s3cret-t0ken")),
        ..config()
    })
    .await
    .unwrap();
    owner(&server)
        .put_object("keep.png", sample_png(4, 4))
        .await
        .unwrap();
    for auth in [
        None,
        Some("Bearer s3cret-t0ke"),
        Some("Bearer s3cret-t0ken2"),
        Some("Basic s3cret-t0ken"),
        Some("s3cret-t0ken"),
        Some("q-sign-algorithm=sha1&q-ak=AKIDEXAMPLE&q-signature=00"),
    ] {
        let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", *a)).collect();
        let answer = call(server.addr(), Method::POST, "/_mock/reset", &headers, "").await;
        assert_eq!(answer.status, 401, "{auth:?}: {}", answer.text());
        assert!(answer.text().contains("--admin-token"), "{}", answer.text());
        assert_eq!(
            answer.header("www-authenticate"),
            Some("Bearer realm=\"cos-ci-mock test API\"")
        );
    }
    assert!(stored(&server, "keep.png").await);
    let bearer = ("Authorization", "Bearer s3cret-t0ken");
    // A page that knows the token still cannot use it.
    let answer = call(
        server.addr(),
        Method::GET,
        "/_mock/requests",
        &[bearer, ("Origin", "http://evil.example")],
        "",
    )
    .await;
    assert_eq!(answer.status, 403);
    // The token proves the caller, so any Host will do (a server shared by its IP).
    let answer = call(
        server.addr(),
        Method::GET,
        "/_mock/health",
        &[bearer, ("Host", "mock.ci.example:9000")],
        "",
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let answer = call(server.addr(), Method::POST, "/_mock/reset", &[bearer], "").await;
    assert_eq!((answer.status, answer.text().trim()), (200, "reset"));
    assert!(!stored(&server, "keep.png").await);
}

// ---- faults ----

#[tokio::test]
async fn endless_faults_are_refused_with_their_limit() {
    let server = MockServer::start_with(Config {
        max_pending_faults: 3,
        ..config()
    })
    .await
    .unwrap();
    let cases = [
        (
            r#"{"delay_ms": 18446744073709551615, "times": 4294967295}"#,
            "max_fault_times",
        ),
        (
            r#"{"delay_ms": 18446744073709551615}"#,
            "max_fault_delay_ms",
        ),
        (r#"{"delay_ms": 60001}"#, "max_fault_delay_ms"),
        (r#"{"times": 10001, "status": 503}"#, "max_fault_times"),
        (r#"{"status": 200}"#, "400 to 599"),
    ];
    for (fault, limit) in cases {
        let answer = call(server.addr(), Method::POST, "/_mock/faults", &[], fault).await;
        assert_eq!(answer.status, 400, "{fault}: {}", answer.text());
        assert!(answer.text().contains(limit), "{fault}: {}", answer.text());
    }
    let listed = call(server.addr(), Method::GET, "/_mock/faults", &[], "").await;
    assert_eq!(
        serde_json::from_slice::<Vec<Fault>>(&listed.body).unwrap(),
        []
    );
    // Later requests are answered at once (bounded by the test's step timeout).
    owner(&server)
        .put_object("a.png", sample_png(4, 4))
        .await
        .unwrap();

    let at_limit =
        r#"{"operation": "HeadObject", "delay_ms": 60000, "times": 10000, "status": 503}"#;
    for _ in 0..3 {
        let answer = call(server.addr(), Method::POST, "/_mock/faults", &[], at_limit).await;
        assert_eq!(answer.status, 200, "{}", answer.text());
    }
    let answer = call(server.addr(), Method::POST, "/_mock/faults", &[], at_limit).await;
    assert_eq!(answer.status, 400);
    assert!(
        answer.text().contains("max_pending_faults") && answer.text().contains('3'),
        "{}",
        answer.text()
    );
    let answer = call(server.addr(), Method::DELETE, "/_mock/faults", &[], "").await;
    assert_eq!(answer.status, 200);
    let answer = call(server.addr(), Method::POST, "/_mock/faults", &[], at_limit).await;
    assert_eq!(answer.status, 200);
    // The Rust API is not capped: the test calling it decides.
    server.inject_fault(Fault::error(None, 503, "SlowDown").times(u32::MAX));
    let listed = call(server.addr(), Method::GET, "/_mock/faults", &[], "").await;
    let listed: Vec<Fault> = serde_json::from_slice(&listed.body).unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[1].times, u32::MAX);
}

// ---- the request log ----

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn the_log_never_shows_signatures_or_tokens() {
    let server = MockServer::start().await.unwrap();
    let key_path = "/secret.png";
    owner(&server)
        .put_object("secret.png", sample_png(4, 4))
        .await
        .unwrap();
    let host = bucket_host(&server);
    let signer = Signer {
        secret_id: server.secret_id(),
        secret_key: server.secret_key(),
    };
    let token = "temporary-session-token-0123456789";
    // A signed GET with a security token header.
    let headers = vec![("host".to_string(), host.clone())];
    let auth = signer.sign(
        KeyTime::new(now() - 60, now() + 3600),
        &SignInput {
            method: "GET",
            path: key_path,
            params: &[],
            headers: &headers,
        },
    );
    let answer = call(
        server.addr(),
        Method::GET,
        key_path,
        &[
            ("Host", &host),
            ("Authorization", &auth.to_header_value()),
            ("x-cos-security-token", token),
        ],
        "",
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    // A pre-signed URL with the token in the query.
    let presigned = signer.sign(
        KeyTime::new(now() - 60, now() + 300),
        &SignInput {
            method: "GET",
            path: key_path,
            params: &[],
            headers: &headers,
        },
    );
    assert_ne!(presigned.signature, auth.signature);
    let url = format!(
        "{key_path}?{}&x-cos-security-token={token}",
        presigned.to_query()
    );
    let answer = call(server.addr(), Method::GET, &url, &[("Host", &host)], "").await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    // A rejected request (wrong key) is logged too, and redacted the same way.
    Req::new(&server, "GET", "secret.png")
        .creds(server.secret_id(), "not-the-key")
        .header("x-cos-security-token", token)
        .send(&server)
        .await
        .expect_error(403, "SignatureDoesNotMatch");

    let answer = call(server.addr(), Method::GET, "/_mock/requests", &[], "").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    let text = answer.text();
    assert!(!text.contains("\n "), "compact JSON, not pretty-printed");
    for secret in [
        auth.signature.as_str(),
        presigned.signature.as_str(),
        token,
        server.secret_key(),
    ] {
        assert!(!text.contains(secret), "{secret} is in the log: {text}");
    }
    let log: Vec<RecordedRequest> = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(log, server.requests(), "the Rust API sees the same entries");
    assert_eq!(log.len(), 4);
    // Enough is kept to tell requests apart: q-ak, the times, a fingerprint per signature.
    let header_auth = |r: &RecordedRequest| {
        r.headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let logged = header_auth(&log[1]);
    let sign_time = auth.sign_time.to_string();
    assert!(
        logged.contains(&format!("q-ak={}&", server.secret_id()))
            && logged.contains(&format!("q-sign-time={sign_time}&")),
        "{logged}"
    );
    let fingerprint = logged.rsplit("q-signature=").next().unwrap();
    assert!(
        fingerprint.starts_with("redacted:") && fingerprint.len() == 17,
        "{logged}"
    );
    assert_ne!(logged, header_auth(&log[3]), "different signatures differ");
    assert!(
        log[2].query.contains("q-signature=redacted:"),
        "{}",
        log[2].query
    );
    assert!(log[2].query.contains("x-cos-security-token=redacted:"));
    assert!(
        log[2]
            .query
            .contains(&format!("q-ak={}", server.secret_id()))
    );
    let logged_token = |r: &RecordedRequest| {
        r.headers
            .iter()
            .find(|(k, _)| k == "x-cos-security-token")
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        logged_token(&log[1]),
        logged_token(&log[3]),
        "the same token has the same fingerprint"
    );
    assert_eq!(log[3].error_code.as_deref(), Some("SignatureDoesNotMatch"));
}

#[tokio::test]
async fn the_log_keeps_to_its_byte_budget() {
    let server = MockServer::start_with(Config {
        request_log_max_bytes: 64 * 1024,
        request_log_max_value_bytes: 256,
        ..config()
    })
    .await
    .unwrap();
    let big = "x".repeat(7 * 1024);
    let mut last_id = String::new();
    for i in 0..60 {
        let answer = Req::new(&server, "GET", &format!("big/{i}/{big}"))
            .header("x-padding", &big)
            .header("x-more-padding", &big)
            .send(&server)
            .await;
        answer
            .expect_error(400, "KeyTooLong")
            .request_id
            .clone_into(&mut last_id);
    }
    let answer = call(server.addr(), Method::GET, "/_mock/requests", &[], "").await;
    assert_eq!(answer.status, 200);
    let bytes: u64 = answer
        .header("x-mock-requests-bytes")
        .unwrap()
        .parse()
        .unwrap();
    let dropped: u64 = answer
        .header("x-mock-requests-dropped")
        .unwrap()
        .parse()
        .unwrap();
    assert!(bytes <= 64 * 1024, "{bytes}");
    assert!(dropped > 0);
    assert!(answer.body.len() < 2 * 64 * 1024, "{}", answer.body.len());
    let log: Vec<RecordedRequest> = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(log.len() as u64 + dropped, 60);
    assert_eq!(
        log.last().unwrap().request_id,
        last_id,
        "the newest are kept"
    );
    let padding = &log[0]
        .headers
        .iter()
        .find(|(k, _)| k == "x-padding")
        .unwrap()
        .1;
    assert!(
        padding.ends_with(&format!("…[{} more bytes]", 7 * 1024 - 256)),
        "{padding}"
    );
    assert!(log[0].path.contains("more bytes]"), "{}", log[0].path);

    // Paging: after a request id, at most `limit` entries.
    let first = &log[0].request_id;
    let page = call(
        server.addr(),
        Method::GET,
        &format!("/_mock/requests?since={first}&limit=2"),
        &[],
        "",
    )
    .await;
    let page: Vec<RecordedRequest> = serde_json::from_slice(&page.body).unwrap();
    assert_eq!(page, log[1..3]);
    let bad = call(
        server.addr(),
        Method::GET,
        "/_mock/requests?limit=many",
        &[],
        "",
    )
    .await;
    assert_eq!(bad.status, 400);
    assert!(bad.text().contains("limit"), "{}", bad.text());
}

#[tokio::test]
async fn the_log_keeps_to_its_entry_cap() {
    let server = MockServer::start_with(Config {
        request_log_max_entries: 500,
        ..config()
    })
    .await
    .unwrap();
    for _ in 0..520 {
        Req::new(&server, "GET", "nothing").send(&server).await;
    }
    assert_eq!(server.requests().len(), 500);
    let log = call(server.addr(), Method::GET, "/_mock/requests", &[], "").await;
    assert_eq!(log.status, 200);
    assert_eq!(log.header("x-mock-requests-dropped"), Some("20"));
    let log: Vec<RecordedRequest> = serde_json::from_slice(&log.body).unwrap();
    assert_eq!(log, server.requests());
}
