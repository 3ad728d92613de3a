//! The test-support API under `/_mock/` (a path no bucket name can take, since bucket names
//! have no `_`): the request log, reset, and injected faults.
//!
//! | request | effect |
//! |---|---|
//! | `GET /_mock/health` | `ok` |
//! | `GET /_mock/requests[?since=ID][&limit=N]` | the request log as compact JSON, oldest first |
//! | `POST /_mock/reset` | forget every object, the log and the faults |
//! | `GET /_mock/faults` | the pending faults |
//! | `POST /_mock/faults` | add a fault (JSON [`Fault`](crate::Fault)) |
//! | `DELETE /_mock/faults` | drop every pending fault |
//!
//! It is served only while `admin` is on (by default: while the server listens on loopback);
//! otherwise `/_mock/…` is an ordinary object key, answered exactly as COS would. Who may use
//! it ([`gate`]): no request with an `Origin` header or a cross-site `Sec-Fetch-Site` (what
//! browsers add, so that a web page cannot drive it); with `admin_token` set, only requests
//! with `Authorization: Bearer TOKEN`; without one, only requests whose `Host` is loopback (so
//! that a DNS name rebound to 127.0.0.1 cannot reach it from a page either).

use axum::body::Body;
use axum::response::Response;
use http::request::Parts;
use http::{HeaderMap, Method, StatusCode, header};
use subtle::ConstantTimeEq;

use crate::config::{Config, is_loopback};
use crate::http::read_body;
use crate::request_log::Entries;
use crate::state::{Fault, MockState};

/// The path prefix of the test-support API.
pub const PREFIX: &str = "/_mock/";

/// Largest fault description accepted.
const MAX_BODY: u64 = 64 * 1024;

/// The header that says how many log entries were evicted (by the entry cap or byte budget).
const DROPPED_HEADER: &str = "x-mock-requests-dropped";
/// The header that says how many bytes the retained entries count against `request_log_max_bytes`.
const BYTES_HEADER: &str = "x-mock-requests-bytes";

/// Serves one test-support request.
pub async fn handle(state: &MockState, parts: &Parts, body: Body) -> Response {
    if let Some(refusal) = gate(&state.config, parts) {
        return refusal;
    }
    let path = parts.uri.path();
    match (&parts.method, path.trim_end_matches('/')) {
        (&Method::GET, "/_mock/health") => text(StatusCode::OK, "ok"),
        (&Method::GET, "/_mock/requests") => requests(state, parts.uri.query().unwrap_or("")),
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
            let fault = match serde_json::from_slice::<Fault>(&bytes) {
                Ok(fault) => fault,
                Err(e) => return text(StatusCode::BAD_REQUEST, &format!("not a fault: {e}")),
            };
            if let Err(why) = check_fault(&state.config, &fault) {
                return text(StatusCode::BAD_REQUEST, &why);
            }
            match state.try_inject(fault, state.config.max_pending_faults) {
                Ok(()) => text(StatusCode::OK, "added"),
                Err(pending) => text(
                    StatusCode::BAD_REQUEST,
                    &format!(
                        "{pending} faults are pending, the limit (config `max_pending_faults`); \
                         DELETE /_mock/faults drops them"
                    ),
                ),
            }
        }
        _ => text(
            StatusCode::NOT_FOUND,
            "unknown test-support path; see GET /_mock/health, /_mock/requests, /_mock/faults, POST /_mock/reset",
        ),
    }
}

/// The refusal of requests a web page could have sent, and callers without the token (or, without a
/// token, from a non-loopback Host); `None` lets the request through.
fn gate(config: &Config, parts: &Parts) -> Option<Response> {
    let headers = &parts.headers;
    if headers.contains_key(header::ORIGIN) {
        return Some(text(
            StatusCode::FORBIDDEN,
            "the test API refuses requests with an Origin header: browsers add it, and a web page must not drive /_mock/",
        ));
    }
    // Browsers send Sec-Fetch-Site even where they omit Origin; "none" is a URL typed by hand.
    if headers
        .get("sec-fetch-site")
        .is_some_and(|site| site.as_bytes() != b"none")
    {
        return Some(text(
            StatusCode::FORBIDDEN,
            "the test API refuses requests a web page started (Sec-Fetch-Site is not \"none\")",
        ));
    }
    match &config.admin_token {
        Some(token) => {
            if !bearer_matches(headers, token.expose()) {
                let mut refusal = text(
                    StatusCode::UNAUTHORIZED,
                    "the test API needs `Authorization: Bearer <token>` with the token given by --admin-token (config `admin_token`)",
                );
                refusal.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    http::HeaderValue::from_static("Bearer realm=\"cos-ci-mock test API\""),
                );
                return Some(refusal);
            }
        }
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .or_else(|| parts.uri.host());
            if let Some(host) = host.filter(|h| !is_loopback_host(h)) {
                return Some(text(
                    StatusCode::FORBIDDEN,
                    &format!(
                        "the test API without a token answers only requests to a loopback Host \
                         (localhost, 127.0.0.1, [::1]), not {host:?}; set --admin-token TOKEN \
                         (config `admin_token`) to use it from elsewhere"
                    ),
                ));
            }
        }
    }
    None
}

/// Whether `Authorization` is `Bearer <token>` (scheme case-insensitive), compared in constant
/// time so that the answer's timing does not reveal how much of a guess was right.
fn bearer_matches(headers: &HeaderMap, token: &str) -> bool {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return false;
    };
    let value = value.as_bytes();
    let Some((scheme, given)) = value.split_at_checked(7) else {
        return false;
    };
    scheme.eq_ignore_ascii_case(b"bearer ") && bool::from(given.ct_eq(token.as_bytes()))
}

/// `localhost` or a loopback IP address, with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split_once(']').map_or(rest, |(ip, _)| ip),
        None if host.bytes().filter(|&b| b == b':').count() == 1 => {
            host.split_once(':').map_or(host, |(h, _)| h)
        }
        None => host,
    };
    let name = name.strip_suffix('.').unwrap_or(name);
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<std::net::IpAddr>().is_ok_and(is_loopback)
}

/// The caps on a fault added over HTTP, each named by its config field.
fn check_fault(config: &Config, fault: &Fault) -> Result<(), String> {
    if fault.times == 0 {
        return Err("a fault needs `times` of at least 1".into());
    }
    if u64::from(fault.times) > config.max_fault_times {
        return Err(format!(
            "`times` {} is over the limit of {} (config `max_fault_times`)",
            fault.times, config.max_fault_times
        ));
    }
    if let Some(ms) = fault.delay_ms.filter(|&ms| ms > config.max_fault_delay_ms) {
        return Err(format!(
            "`delay_ms` {ms} is over the limit of {} ms (config `max_fault_delay_ms`)",
            config.max_fault_delay_ms
        ));
    }
    if let Some(status) = fault.status.filter(|s| !(400..=599).contains(s)) {
        return Err(format!(
            "`status` {status} is not an error status: a fault answers 400 to 599 with a COS error document"
        ));
    }
    Ok(())
}

/// `GET /_mock/requests[?since=ID][&limit=N]`: the entries are `Arc`s taken under the log's
/// lock and serialized after it is released.
fn requests(state: &MockState, query: &str) -> Response {
    let mut since = None;
    let mut limit = None;
    for (k, v) in cos_ci_sign::parse_query(query) {
        match k.as_str() {
            "since" => since = Some(v),
            "limit" => match v.parse::<usize>() {
                Ok(n) => limit = Some(n),
                Err(_) => {
                    return text(
                        StatusCode::BAD_REQUEST,
                        &format!("`limit` must be a whole number, not {v:?}"),
                    );
                }
            },
            _ => {
                return text(
                    StatusCode::BAD_REQUEST,
                    &format!(
                        "unknown parameter {k:?}: /_mock/requests takes `since` (a request id) and `limit`"
                    ),
                );
            }
        }
    }
    let log = state.request_log();
    let entries = log.page(since.as_deref(), limit);
    let mut response = json(&Entries(&entries));
    let headers = response.headers_mut();
    headers.insert(DROPPED_HEADER, http::HeaderValue::from(log.dropped()));
    headers.insert(BYTES_HEADER, http::HeaderValue::from(log.bytes()));
    response
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

/// Compact JSON: reading the log must not cost more than the log itself.
fn json<T: serde::Serialize>(value: &T) -> Response {
    match serde_json::to_vec(value) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for host in [
            "localhost",
            "LOCALHOST:9000",
            "localhost.",
            "127.0.0.1",
            "127.0.0.1:9000",
            "127.1.2.3:1",
            "[::1]",
            "[::1]:9000",
            "::1",
            "[::ffff:127.0.0.1]:80",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "",
            "evil.example",
            "localhost.evil.example",
            "127.0.0.1.nip.io",
            "10.0.0.1:9000",
            "0.0.0.0",
            "[::]:9000",
            "[::2]",
            "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn bearer_tokens_compare_exactly() {
        let with = |value: &str| {
            let mut h = HeaderMap::new();
            h.insert(
                header::AUTHORIZATION,
                value.parse().unwrap_or_else(|_| unreachable!()),
            );
            h
        };
        assert!(bearer_matches(&with("Bearer s3cret"), "s3cret"));
        assert!(bearer_matches(&with("bearer s3cret"), "s3cret"));
        for wrong in [
            "Bearer s3cre",
            "Bearer s3cret2",
            "Basic s3cret",
            "s3cret",
            "Bearer",
            "",
        ] {
            assert!(!bearer_matches(&with(wrong), "s3cret"), "{wrong}");
        }
        assert!(!bearer_matches(&HeaderMap::new(), "s3cret"));
    }

    #[test]
    fn fault_caps_name_their_limit() {
        let config = Config::default();
        let fault = |times: u32, delay: Option<u64>, status: Option<u16>| Fault {
            operation: None,
            mode: None,
            times,
            status,
            code: None,
            message: None,
            delay_ms: delay,
        };
        assert!(check_fault(&config, &fault(10_000, Some(60_000), Some(503))).is_ok());
        assert!(check_fault(&config, &fault(1, None, None)).is_ok());
        let err = check_fault(&config, &fault(u32::MAX, None, None)).unwrap_err();
        assert!(
            err.contains("max_fault_times") && err.contains("10000"),
            "{err}"
        );
        let err = check_fault(&config, &fault(1, Some(u64::MAX), None)).unwrap_err();
        assert!(
            err.contains("max_fault_delay_ms") && err.contains("60000"),
            "{err}"
        );
        let err = check_fault(&config, &fault(0, None, None)).unwrap_err();
        assert!(err.contains("at least 1"), "{err}");
        for status in [0, 100, 200, 302, 600, 999] {
            let err = check_fault(&config, &fault(1, None, Some(status))).unwrap_err();
            assert!(err.contains("400 to 599"), "{status}: {err}");
        }
        let tight = Config {
            max_fault_times: 2,
            max_fault_delay_ms: 5,
            ..Config::default()
        };
        assert!(check_fault(&tight, &fault(3, None, None)).is_err());
        assert!(check_fault(&tight, &fault(2, Some(6), None)).is_err());
        assert!(check_fault(&tight, &fault(2, Some(5), None)).is_ok());
    }
}
