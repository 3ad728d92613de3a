//! The client against small local servers: keys on the wire, error documents, retries.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use cos_ci_client::{Client, Credentials, Error, ErrorCode, RetryPolicy};
use proptest::prelude::*;

const SECRET: &str = "example-secret";

/// Serves `app` on a free loopback port; returns the endpoint.
async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

fn client(endpoint: &str, retry: RetryPolicy) -> Client {
    Client::builder()
        .region("ap-guangzhou")
        .bucket("examplebucket-1250000000")
        .credentials(Credentials::new("AKIDEXAMPLE", SECRET))
        .endpoint(endpoint)
        .retry(retry)
        .build()
        .unwrap()
}

fn fast_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        max_elapsed: Duration::from_secs(10),
    }
}

/// Verifies the signature as a COS server would and answers the decoded path.
async fn echo_key(request: Request) -> Response {
    {
        let raw_path = request.uri().path().to_string();
        let query = cos_ci_sign::parse_query(request.uri().query().unwrap_or(""));
        let headers: Vec<(String, String)> = request
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let auth = headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .unwrap()
            .1
            .clone();
        let auth = cos_ci_sign::Authorization::parse(&auth).unwrap();
        let verified = cos_ci_sign::verify(
            &auth,
            SECRET,
            request.method().as_str(),
            &raw_path,
            &query,
            &headers,
        );
        let decoded = cos_ci_sign::decode_path(&raw_path).unwrap_or_default();
        let status = if verified.is_ok() { 200 } else { 403 };
        let mut response = Response::new(Body::from(decoded));
        *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
        response
    }
}

fn key_strategy() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        Just(".".to_string()),
        Just("..".to_string()),
        "[a-zA-Z0-9 +%?#&=;:@!$'()*,~_.-]{1,12}",
        "\\PC{1,6}",
    ];
    prop::collection::vec(segment, 1..5)
        .prop_map(|segments| segments.join("/"))
        .prop_filter("a key does not start with / and fits COS's limit", |k| {
            !k.starts_with('/') && k.len() <= 850 && !k.contains('\0') && k != "." && k != ".."
        })
}

#[tokio::test]
async fn dot_keys_are_refused_before_sending() {
    let client = client("http://127.0.0.1:9", RetryPolicy::none());
    for key in [".", "..", "", "/"] {
        let err = client.get_object(key).await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidArgument {
                    argument: "key",
                    ..
                }
            ),
            "{key:?}: {err}"
        );
    }
}

#[test]
fn arbitrary_keys_reach_the_server_intact_and_signed() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let endpoint = rt.block_on(serve(axum::Router::new().fallback(echo_key)));
    let client = client(&endpoint, RetryPolicy::none());
    proptest!(ProptestConfig::with_cases(128), |(key in key_strategy())| {
        let result = rt.block_on(client.get_object(&key));
        let object = result.map_err(|e| TestCaseError::fail(format!("{key:?}: {e}")))?;
        prop_assert_eq!(String::from_utf8_lossy(&object.bytes), format!("/{key}"));
    });
}

/// Answers the error document of the code named by the path's last segment.
async fn error_for_code(request: Request) -> Response {
    {
        let code = request
            .uri()
            .path()
            .rsplit('/')
            .next()
            .unwrap_or("")
            .to_string();
        let code = ErrorCode::from_code(&code).unwrap();
        let xml = format!(
            "<?xml version='1.0' encoding='utf-8' ?><Error><Code>{}</Code><Message>{} &amp; more</Message><Resource>examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/x</Resource><RequestId>req-{}</RequestId><TraceId>trace-1</TraceId></Error>",
            code.as_str(),
            code.message(),
            code.as_str()
        );
        let mut response = Response::new(Body::from(xml));
        *response.status_mut() = http::StatusCode::from_u16(code.status()).unwrap();
        response
    }
}

#[tokio::test]
async fn every_error_code_becomes_a_service_error() {
    let endpoint = serve(axum::Router::new().fallback(error_for_code)).await;
    let client = client(&endpoint, RetryPolicy::none());
    for code in ErrorCode::ALL {
        let err = client
            .get_object(&format!("k/{}", code.as_str()))
            .await
            .unwrap_err();
        let Error::Service(e) = &err else {
            panic!("{code}: {err}")
        };
        assert_eq!(e.code, *code);
        assert_eq!(e.code, code.as_str());
        assert_eq!(e.status, code.status());
        assert_eq!(e.message, format!("{} & more", code.message()));
        assert_eq!(
            e.request_id.as_deref(),
            Some(format!("req-{}", code.as_str()).as_str())
        );
        assert_eq!(e.trace_id.as_deref(), Some("trace-1"));
        let shown = err.to_string();
        assert!(
            shown.contains(code.as_str()) && shown.contains("req-"),
            "{shown}"
        );
        assert_eq!(
            err.is_retryable(),
            code.status() >= 500 || code.as_str() == "SlowDown",
            "{code}"
        );
    }
}

#[derive(Clone)]
struct Flaky {
    failures: u32,
    status: u16,
    calls: Arc<AtomicU32>,
}

/// Fails the first `failures` calls with `status`, then answers 200.
async fn flaky(State(s): State<Flaky>) -> Response {
    {
        let n = s.calls.fetch_add(1, Ordering::SeqCst);
        let mut response = Response::new(Body::from(if n < s.failures { "" } else { "done" }));
        if n < s.failures {
            *response.status_mut() = http::StatusCode::from_u16(s.status).unwrap();
        }
        response
    }
}

async fn flaky_server(failures: u32, status: u16) -> (String, Arc<AtomicU32>) {
    let calls = Arc::new(AtomicU32::new(0));
    let state = Flaky {
        failures,
        status,
        calls: calls.clone(),
    };
    let endpoint = serve(axum::Router::new().fallback(flaky).with_state(state)).await;
    (endpoint, calls)
}

#[tokio::test]
async fn retries_5xx_until_success() {
    let (endpoint, calls) = flaky_server(2, 503).await;
    let object = client(&endpoint, fast_retries(3))
        .get_object("k")
        .await
        .unwrap();
    assert_eq!(object.bytes.as_ref(), b"done");
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn gives_up_after_max_attempts() {
    let (endpoint, calls) = flaky_server(10, 500).await;
    let err = client(&endpoint, fast_retries(4))
        .get_object("k")
        .await
        .unwrap_err();
    assert_eq!(err.service().map(|e| e.status), Some(500));
    assert_eq!(calls.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn never_retries_4xx() {
    let (endpoint, calls) = flaky_server(1, 404).await;
    let err = client(&endpoint, fast_retries(5))
        .get_object("k")
        .await
        .unwrap_err();
    assert_eq!(err.service().map(|e| e.status), Some(404));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn never_retries_a_streamed_body() {
    let (endpoint, calls) = flaky_server(1, 503).await;
    let stream = futures_util::stream::iter([Ok(bytes::Bytes::from_static(b"abc"))]);
    let body = cos_ci_client::Body::from_stream(3, Box::pin(stream));
    let err = client(&endpoint, fast_retries(5))
        .put_object("k", body)
        .await
        .unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // The same request with bytes is replayed.
    let (endpoint, calls) = flaky_server(1, 503).await;
    client(&endpoint, fast_retries(5))
        .put_object("k", b"abc".to_vec())
        .await
        .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn connection_refused_is_a_retryable_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = client(&endpoint, fast_retries(2))
        .get_object("k")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err}");
    assert!(err.is_retryable());
}
