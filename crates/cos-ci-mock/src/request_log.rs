//! The request log behind `GET /_mock/requests` and [`MockServer::requests`]: what each request
//! asked for and what it got. Signatures, security tokens and other secrets are redacted
//! whenever entries are read (a short salted fingerprint keeps requests apart), long values are
//! cut, and the oldest entries go first to stay within an entry count and a byte budget.
//!
//! [`MockServer::requests`]: crate::MockServer::requests

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

use crate::config::Config;

/// One request the mock received, as the test-support API reports it. Secrets are redacted:
/// the `q-signature` of an `Authorization` header or a pre-signed URL, `x-cos-security-token`
/// (header or query), cookies and any header or parameter named like a token, secret or
/// password read `redacted:<fingerprint>`, where the fingerprint is 8 hex digits of a salted
/// SHA-1 (equal values give equal fingerprints within one server). Values longer than
/// `request_log_max_value_bytes` end in `…[N more bytes]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// The request id the mock answered with.
    pub request_id: String,
    /// HTTP method.
    pub method: String,
    /// The raw path, percent-encoded as received.
    pub path: String,
    /// The raw query string (secrets redacted).
    pub query: String,
    /// Request headers as received (names lower-case; secrets redacted).
    pub headers: Vec<(String, String)>,
    /// The addressed bucket.
    pub bucket: String,
    /// The addressed key.
    pub key: String,
    /// The COS action: `GetObject`, `PutObject`, `HeadObject`, `DeleteObject`, `CiProcess`
    /// (download processing) or `ImageProcess` (cloud processing).
    pub action: String,
    /// The ci-process operations involved.
    pub operations: Vec<String>,
    /// The processing mode, for processing requests.
    pub mode: Option<String>,
    /// The status answered.
    pub status: u16,
    /// The error code answered, if any.
    pub error_code: Option<String>,
}

/// What replaces a secret: `redacted:` and the fingerprint.
pub const REDACTED: &str = "redacted:";

/// The header that stands in for the headers of an entry too large for the whole budget.
pub const DROPPED_HEADERS: &str = "x-mock-log-headers-dropped";

/// Fixed cost counted per entry and per header on top of their text, so that entries of empty
/// strings still count against the byte budget.
const ENTRY_OVERHEAD: u64 = 256;
const HEADER_OVERHEAD: u64 = 32;

/// The request log: redacted, cut, bounded in entries and bytes.
#[derive(Debug)]
pub struct RequestLog {
    inner: Mutex<Inner>,
    max_entries: usize,
    max_bytes: u64,
    max_value_bytes: usize,
    salt: [u8; 16],
}

#[derive(Debug, Default)]
struct Inner {
    /// Entries, oldest first, with the size counted for each.
    entries: VecDeque<(Arc<RecordedRequest>, u64)>,
    /// The sum of the sizes.
    bytes: u64,
    /// Entries evicted since the last clear.
    dropped: u64,
}

impl RequestLog {
    /// A log with the limits of `config` (`request_log_max_entries`, `request_log_max_bytes`,
    /// `request_log_max_value_bytes`).
    pub fn new(config: &Config) -> Self {
        RequestLog {
            inner: Mutex::new(Inner::default()),
            max_entries: usize::try_from(config.request_log_max_entries).unwrap_or(usize::MAX),
            max_bytes: config.request_log_max_bytes,
            max_value_bytes: usize::try_from(config.request_log_max_value_bytes)
                .unwrap_or(usize::MAX),
            salt: crate::random::bytes(),
        }
    }

    /// Appends `request`, evicting the oldest entries over the budgets. Redacting and cutting
    /// happen when entries are read ([`page`](Self::page)): most entries are never read, and
    /// the mock's throughput pays for this on every request. Nothing reads an entry unredacted.
    pub fn record(&self, request: RecordedRequest) {
        let mut entry = self.cut_values(request);
        let mut size = entry_size(&entry);
        if size > self.max_bytes && !entry.headers.is_empty() {
            // Alone over the whole budget: keep what tells the request apart, not its headers.
            let n = entry.headers.len();
            entry.headers = vec![(
                DROPPED_HEADERS.to_string(),
                format!("{n} headers dropped: the entry is over request_log_max_bytes"),
            )];
            size = entry_size(&entry);
        }
        let mut evicted = Vec::new();
        {
            let mut inner = self.lock();
            inner.entries.push_back((Arc::new(entry), size));
            inner.bytes += size;
            while inner.entries.len() > self.max_entries || inner.bytes > self.max_bytes {
                let Some((old, old_size)) = inner.entries.pop_front() else {
                    break;
                };
                inner.bytes -= old_size;
                inner.dropped += 1;
                evicted.push(old);
            }
        }
        // Freed after the lock is released.
        drop(evicted);
    }

    /// Retained entries, oldest first, redacted and cut, for reading forward: those after the
    /// entry with request id `since` (from the oldest retained when absent or no longer
    /// retained), at most `limit` of them. Only `Arc`s are copied under the lock.
    pub fn page(&self, since: Option<&str>, limit: Option<usize>) -> Vec<Arc<RecordedRequest>> {
        let raw: Vec<Arc<RecordedRequest>> = {
            let inner = self.lock();
            let start = since
                .and_then(|id| inner.entries.iter().rposition(|(r, _)| r.request_id == id))
                .map_or(0, |i| i + 1);
            inner
                .entries
                .iter()
                .skip(start)
                .take(limit.unwrap_or(usize::MAX))
                .map(|(r, _)| r.clone())
                .collect()
        };
        raw.into_iter()
            .map(|r| Arc::new(self.redact(Arc::unwrap_or_clone(r))))
            .collect()
    }

    /// Every retained entry, oldest first.
    pub fn snapshot(&self) -> Vec<Arc<RecordedRequest>> {
        self.page(None, None)
    }

    /// How many entries were evicted since the last clear.
    pub fn dropped(&self) -> u64 {
        self.lock().dropped
    }

    /// The bytes counted for the retained entries.
    pub fn bytes(&self) -> u64 {
        self.lock().bytes
    }

    /// Forgets every entry.
    pub fn clear(&self) {
        let old = std::mem::take(&mut *self.lock());
        drop(old);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Cuts the long values (allocating only for those).
    fn cut_values(&self, mut r: RecordedRequest) -> RecordedRequest {
        let max = self.max_value_bytes;
        for value in [&mut r.query, &mut r.path, &mut r.key, &mut r.bucket] {
            *value = cut(std::mem::take(value), max);
        }
        for (name, value) in &mut r.headers {
            *value = cut(std::mem::take(value), max);
            *name = cut(std::mem::take(name), max);
        }
        r
    }

    /// Redacts the secrets of an entry cut by [`cut_values`](Self::cut_values). A cut never
    /// hides a secret from this: a cut value keeps its name, and a marker (`q-signature`)
    /// that is cut through has none of the secret after it.
    fn redact(&self, mut r: RecordedRequest) -> RecordedRequest {
        let max = self.max_value_bytes;
        r.query = cut(self.redact_query(&r.query), max);
        for (name, value) in &mut r.headers {
            if let Some(redacted) = self.redact_header(name, value) {
                *value = cut(redacted, max);
            }
        }
        r
    }

    /// `redacted:` and 8 hex digits of SHA-1 over this log's salt and `value`.
    fn fingerprint(&self, value: &str) -> String {
        let mut hash = Sha1::new();
        hash.update(self.salt);
        hash.update(value.as_bytes());
        let digest = hash.finalize();
        format!("{REDACTED}{}", hex::encode(&digest[..4]))
    }

    /// The value to log for header `name` (lower-case), or `None` to log it as received.
    fn redact_header(&self, name: &str, value: &str) -> Option<String> {
        if name == "authorization" || name == "proxy-authorization" {
            return Some(self.redact_authorization(value));
        }
        if is_secret_name(name) || carries_secret(value) {
            return Some(self.fingerprint(value));
        }
        None
    }

    /// A COS signature keeps its fields but `q-signature` (so `q-ak`, the times and the
    /// signed lists stay readable); any other scheme keeps only its name.
    fn redact_authorization(&self, value: &str) -> String {
        if value.trim().is_empty() {
            return value.to_string();
        }
        let is_cos = value
            .split('&')
            .any(|part| part.trim_start().starts_with("q-sign-algorithm="));
        if is_cos {
            return value
                .split('&')
                .map(|part| match part.split_once('=') {
                    Some((k, _)) if k.trim().eq_ignore_ascii_case("q-ak") => part.to_string(),
                    Some((k, v)) if is_secret_name(&k.trim().to_ascii_lowercase()) => {
                        format!("{k}={}", self.fingerprint(v))
                    }
                    _ if carries_secret(part) => self.fingerprint(part),
                    _ => part.to_string(),
                })
                .collect::<Vec<_>>()
                .join("&");
        }
        match value.trim().split_once(' ') {
            Some((scheme, credentials)) if !scheme.is_empty() => {
                format!("{scheme} {}", self.fingerprint(credentials.trim()))
            }
            _ => self.fingerprint(value),
        }
    }

    /// The raw query with the value of every secret parameter (`q-signature`,
    /// `x-cos-security-token`, `sign`, …) and of every parameter that carries one (a
    /// pre-signed URL in `detect-url`) redacted; everything else as received.
    fn redact_query(&self, raw: &str) -> String {
        if raw.is_empty() {
            return String::new();
        }
        raw.split('&')
            .map(|part| {
                let (k, v) = part.split_once('=').unwrap_or((part, ""));
                let name = cos_ci_sign::parse_query(k)
                    .into_iter()
                    .next()
                    .map_or_else(|| k.to_ascii_lowercase(), |(n, _)| n.to_ascii_lowercase());
                if is_secret_name(&name) || carries_secret(v) {
                    format!("{k}={}", self.fingerprint(v))
                } else {
                    part.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Names of headers and parameters whose whole value is a secret.
fn is_secret_name(name: &str) -> bool {
    matches!(name, "q-signature" | "sign" | "signature" | "cookie")
        || ["token", "secret", "password", "customer-key"]
            .iter()
            .any(|part| name.contains(part))
}

/// A value with a signature or token inside (a pre-signed URL), in any percent-encoding: the
/// markers have no characters that encoding changes.
fn carries_secret(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    lower.contains("q-signature") || lower.contains("security-token")
}

/// `s`, cut to at most `max` bytes on a character boundary with `…[N more bytes]` appended.
fn cut(s: String, max: usize) -> String {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…[{} more bytes]", &s[..end], s.len() - end)
}

/// The bytes an entry counts against the budget: its text plus a fixed overhead.
fn entry_size(r: &RecordedRequest) -> u64 {
    let text = r.request_id.len()
        + r.method.len()
        + r.path.len()
        + r.query.len()
        + r.bucket.len()
        + r.key.len()
        + r.action.len()
        + r.operations.iter().map(String::len).sum::<usize>()
        + r.mode.as_ref().map_or(0, String::len)
        + r.error_code.as_ref().map_or(0, String::len)
        + r.headers
            .iter()
            .map(|(k, v)| k.len() + v.len())
            .sum::<usize>();
    text as u64 + ENTRY_OVERHEAD + HEADER_OVERHEAD * r.headers.len() as u64
}

/// Serializes log entries as a JSON array without copying them.
pub struct Entries<'a>(pub &'a [Arc<RecordedRequest>]);

impl Serialize for Entries<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|r| &**r))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const SIGNATURE: &str = "d267faf9d8b9c4d6435e554eaaf0fb165286cd36";
    const TOKEN: &str = "tok-0123456789abcdef";

    fn log_with(entries: u64, bytes: u64, value: u64) -> RequestLog {
        RequestLog::new(&Config {
            request_log_max_entries: entries,
            request_log_max_bytes: bytes,
            request_log_max_value_bytes: value,
            ..Config::default()
        })
    }

    fn request(id: &str) -> RecordedRequest {
        RecordedRequest {
            request_id: id.to_string(),
            method: "GET".into(),
            path: "/a.png".into(),
            query: String::new(),
            headers: vec![("host".into(), "localhost".into())],
            bucket: "examplebucket-1250000000".into(),
            key: "a.png".into(),
            action: "GetObject".into(),
            operations: Vec::new(),
            mode: None,
            status: 200,
            error_code: None,
        }
    }

    fn ids(log: &RequestLog) -> Vec<String> {
        log.snapshot()
            .iter()
            .map(|r| r.request_id.clone())
            .collect()
    }

    #[test]
    fn signatures_and_tokens_are_redacted_but_requests_stay_apart() {
        let log = log_with(100, 1 << 20, 4096);
        let auth = format!(
            "q-sign-algorithm=sha1&q-ak=AKIDEXAMPLE&q-sign-time=1699999940;1700003600&q-key-time=1699999940;1700003600&q-header-list=host&q-url-param-list=ci-process&q-signature={SIGNATURE}"
        );
        let presigned = format!(
            "q-sign-algorithm=sha1&q-ak=AKIDEXAMPLE&q-sign-time=1%3B2&q-key-time=1%3B2&q-header-list=host&q-url-param-list=&q-signature={SIGNATURE}&x-cos-security-token={TOKEN}&ci-process=AIEnhanceImage&detect-url=https%3A%2F%2Fb.cos.x.myqcloud.com%2Fa%3Fq-signature%3D{SIGNATURE}"
        );
        let mut r = request("1");
        r.query = presigned;
        r.headers = vec![
            ("authorization".into(), auth.clone()),
            ("x-cos-security-token".into(), TOKEN.into()),
            ("cookie".into(), "session=abc".into()),
            (
                "x-cos-server-side-encryption-customer-key".into(),
                "a2V5".into(),
            ),
            (
                "referer".into(),
                format!("http://x/?q-signature={SIGNATURE}"),
            ),
            ("content-type".into(), "image/png".into()),
        ];
        log.record(r.clone());
        let mut other = r.clone();
        other.request_id = "2".into();
        other.headers[0].1 = auth.replace(SIGNATURE, &"0".repeat(40));
        log.record(other);

        let entries = log.snapshot();
        let text = serde_json::to_string(&Entries(&entries)).unwrap();
        for secret in [SIGNATURE, TOKEN, "session=abc", "a2V5"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        let logged_auth = &entries[0].headers[0].1;
        assert!(
            logged_auth.starts_with(
                "q-sign-algorithm=sha1&q-ak=AKIDEXAMPLE&q-sign-time=1699999940;1700003600&q-key-time=1699999940;1700003600&q-header-list=host&q-url-param-list=ci-process&q-signature=redacted:"
            ),
            "{logged_auth}"
        );
        // Different signatures, different fingerprints; the same one, the same fingerprint.
        assert_ne!(logged_auth, &entries[1].headers[0].1);
        let fp = logged_auth.rsplit('=').next().unwrap();
        assert_eq!(fp.len(), REDACTED.len() + 8);
        assert!(entries[0].query.contains(&format!("q-signature={fp}")));
        assert!(entries[0].query.contains("q-ak=AKIDEXAMPLE"));
        assert!(entries[0].query.contains("ci-process=AIEnhanceImage"));
        assert!(entries[0].query.contains("x-cos-security-token=redacted:"));
        assert!(entries[0].query.contains("detect-url=redacted:"));
        assert_eq!(entries[0].headers[5].1, "image/png");
        assert_eq!(entries[0].headers[0].0, "authorization");

        // Another server salts differently: a fingerprint cannot be matched across servers.
        let elsewhere = log_with(100, 1 << 20, 4096);
        elsewhere.record(r);
        assert_ne!(elsewhere.snapshot()[0].headers[0].1, *logged_auth);
    }

    #[test]
    fn other_schemes_keep_only_their_name() {
        let log = log_with(10, 1 << 20, 4096);
        let mut r = request("1");
        r.headers = vec![
            ("authorization".into(), "Bearer hunter2".into()),
            ("proxy-authorization".into(), "hunter3".into()),
            ("authorization".into(), String::new()),
        ];
        log.record(r);
        let headers = &log.snapshot()[0].headers;
        assert!(headers[0].1.starts_with("Bearer redacted:"), "{headers:?}");
        assert!(headers[1].1.starts_with("redacted:"), "{headers:?}");
        assert_eq!(
            headers[2].1, "",
            "an empty (anonymous) Authorization stays empty"
        );
    }

    #[test]
    fn long_values_are_cut_on_a_character_boundary() {
        let log = log_with(10, 1 << 20, 16);
        let mut r = request("1");
        r.path = format!("/{}", "é".repeat(100));
        r.headers = vec![("x-long".into(), "v".repeat(1000))];
        log.record(r);
        let got = &log.snapshot()[0];
        // 1 + 7 × 2 bytes fit in 16; the 8th "é" would not.
        assert_eq!(got.path, format!("/{}…[186 more bytes]", "é".repeat(7)));
        assert_eq!(
            got.headers[0].1,
            format!("{}…[984 more bytes]", "v".repeat(16))
        );
    }

    #[test]
    fn the_oldest_go_first_past_the_entry_cap_or_the_byte_budget() {
        let log = log_with(3, 1 << 20, 4096);
        for i in 0..5 {
            log.record(request(&i.to_string()));
        }
        assert_eq!(ids(&log), ["2", "3", "4"]);
        assert_eq!(log.dropped(), 2);

        let one = entry_size(&request("0"));
        let log = log_with(1000, 3 * one + one / 2, 4096);
        for i in 0..10 {
            log.record(request(&i.to_string()));
        }
        assert_eq!(ids(&log), ["7", "8", "9"]);
        assert!(log.bytes() <= 3 * one + one / 2);
        log.clear();
        assert!(log.snapshot().is_empty());
        assert_eq!((log.bytes(), log.dropped()), (0, 0));
    }

    #[test]
    fn an_entry_over_the_whole_budget_keeps_its_summary_without_headers() {
        let log = log_with(10, 1000, 4096);
        let mut r = request("big");
        r.headers = (0..20)
            .map(|i| (format!("x-h{i}"), "v".repeat(200)))
            .collect();
        log.record(r);
        let got = log.snapshot();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].headers.len(), 1);
        assert_eq!(got[0].headers[0].0, DROPPED_HEADERS);
        assert!(got[0].headers[0].1.starts_with("20 headers dropped"));
        assert!(log.bytes() <= 1000);
    }

    #[test]
    fn pages_by_since_and_limit() {
        let log = log_with(100, 1 << 20, 4096);
        for i in 0..6 {
            log.record(request(&i.to_string()));
        }
        let page = |since: Option<&str>, limit: Option<usize>| -> Vec<String> {
            log.page(since, limit)
                .iter()
                .map(|r| r.request_id.clone())
                .collect()
        };
        assert_eq!(page(None, Some(2)), ["0", "1"]);
        assert_eq!(page(Some("2"), None), ["3", "4", "5"]);
        assert_eq!(page(Some("2"), Some(2)), ["3", "4"]);
        assert_eq!(page(Some("5"), None), Vec::<String>::new());
        assert_eq!(page(Some("gone"), Some(10)).len(), 6);
        assert_eq!(page(None, Some(0)), Vec::<String>::new());
    }
}
