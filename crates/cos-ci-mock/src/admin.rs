//! The test-support API under `/_mock/` (a path no bucket name can take, since bucket names
//! have no `_`): the request log, reset, and injected faults.
//!
//! | request | effect |
//! |---|---|
//! | `GET /_mock/health` | `ok` |
//! | `GET /_mock/requests` | the request log as JSON, oldest first |
//! | `POST /_mock/reset` | forget every object, the log and the faults |
//! | `GET /_mock/faults` | the pending faults |
//! | `POST /_mock/faults` | add a fault (JSON [`Fault`](crate::Fault)) |
//! | `DELETE /_mock/faults` | drop every pending fault |

use axum::body::Body;
use axum::response::Response;
use http::request::Parts;
use http::{Method, StatusCode, header};

use crate::server::read_body;
use crate::state::{Fault, MockState};

/// The path prefix of the test-support API.
pub const PREFIX: &str = "/_mock/";

/// Largest fault description accepted.
const MAX_BODY: u64 = 64 * 1024;

/// Serves one test-support request.
pub async fn handle(state: &MockState, parts: &Parts, body: Body) -> Response {
    let path = parts.uri.path();
    match (&parts.method, path.trim_end_matches('/')) {
        (&Method::GET, "/_mock/health") => text(StatusCode::OK, "ok"),
        (&Method::GET, "/_mock/requests") => json(&state.requests()),
        (&Method::POST, "/_mock/reset") => match state.storage.clear().await {
            Ok(()) => {
                state.clear();
                text(StatusCode::OK, "reset")
            }
            Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
        },
        (&Method::GET, "/_mock/faults") => json(&state.faults()),
        (&Method::DELETE, "/_mock/faults") => {
            state.clear_faults();
            text(StatusCode::OK, "cleared")
        }
        (&Method::POST, "/_mock/faults") => {
            let bytes = match read_body(body, MAX_BODY).await {
                Ok(bytes) => bytes,
                Err(e) => return text(StatusCode::BAD_REQUEST, &e.message),
            };
            match serde_json::from_slice::<Fault>(&bytes) {
                Ok(fault) if fault.times == 0 => text(
                    StatusCode::BAD_REQUEST,
                    "a fault needs `times` of at least 1",
                ),
                Ok(fault) => {
                    state.inject(fault);
                    text(StatusCode::OK, "added")
                }
                Err(e) => text(StatusCode::BAD_REQUEST, &format!("not a fault: {e}")),
            }
        }
        _ => text(
            StatusCode::NOT_FOUND,
            "unknown test-support path; see GET /_mock/health, /_mock/requests, /_mock/faults, POST /_mock/reset",
        ),
    }
}

fn text(status: StatusCode, body: &str) -> Response {
    let mut response = Response::new(Body::from(format!("{body}\n")));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn json<T: serde::Serialize>(value: &T) -> Response {
    match serde_json::to_string_pretty(value) {
        Ok(body) => {
            let mut response = Response::new(Body::from(body));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            );
            response
        }
        Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}
