//! One tracing span per call, with the attempt and request id recorded as they become known.

#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use cos_ci_client::{Client, Credentials, RetryPolicy};
use tracing_subscriber::fmt::format::FmtSpan;

/// A writer tests read back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// 503 on the first request, then 200; each answer names its request id.
async fn flaky(State(count): State<Arc<AtomicU32>>) -> Response {
    let n = count.fetch_add(1, Ordering::SeqCst) + 1;
    let status = if n == 1 { 503 } else { 200 };
    Response::builder()
        .status(status)
        .header("x-cos-request-id", format!("req-{n}"))
        .body(Body::from("ok"))
        .unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn a_call_has_a_span_with_operation_key_attempt_and_request_id() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .fallback(flaky)
        .with_state(Arc::new(AtomicU32::new(0)));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let client = Client::builder()
        .region("ap-guangzhou")
        .bucket("examplebucket-1250000000")
        .credentials(Credentials::new("AKIDEXAMPLE", "example-secret"))
        .endpoint(endpoint)
        .retry(RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            max_elapsed: Duration::from_secs(10),
        })
        .build()
        .unwrap();
    let object = client.get_object("photos/a.png").await.unwrap();
    assert_eq!(object.info.request_id.as_deref(), Some("req-2"));

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let close = text
        .lines()
        .find(|l| l.contains("close"))
        .unwrap_or_else(|| panic!("no span closed:\n{text}"));
    for field in [
        "operation=\"GetObject\"",
        "mode=\"-\"",
        "key=photos/a.png",
        "attempt=2",
        "request_id=\"req-2\"",
    ] {
        assert!(close.contains(field), "{field} missing from {close}");
    }
}
