//! Helpers shared by the integration tests: loading the vendored conformance data.

#![allow(dead_code)]

use std::path::PathBuf;

/// Directory holding the vendored conformance data.
pub const CONFORMANCE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/conformance");

pub fn conformance_path(rel: &str) -> PathBuf {
    PathBuf::from(CONFORMANCE_DIR).join(rel)
}

pub fn load_json(rel: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(conformance_path(rel))
        .unwrap_or_else(|e| panic!("read {rel}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {rel}: {e}"))
}

pub fn s(v: &serde_json::Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

/// `[[name, value], ...]` as owned pairs.
pub fn pairs(v: &serde_json::Value) -> Vec<(String, String)> {
    v.as_array()
        .expect("array of pairs")
        .iter()
        .map(|p| (s(&p[0]).to_string(), s(&p[1]).to_string()))
        .collect()
}

pub fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// `target` → (raw path, raw query).
pub fn split_target(target: &str) -> (&str, &str) {
    target.split_once('?').unwrap_or((target, ""))
}

/// `scheme://host/path?query` → (host, raw path, raw query).
pub fn split_url(url: &str) -> (&str, &str, &str) {
    let rest = url.split_once("://").expect("scheme").1;
    let slash = rest.find('/').expect("path");
    let (host, target) = rest.split_at(slash);
    let (path, query) = split_target(target);
    (host, path, query)
}

/// A captured raw HTTP request.
#[derive(Clone, Debug)]
pub struct Capture {
    pub name: String,
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
}

impl Capture {
    pub fn raw_path(&self) -> &str {
        split_target(&self.target).0
    }

    pub fn raw_query(&self) -> &str {
        split_target(&self.target).1
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Parse a `*.http` capture: request line, `Name: value` header lines (CRLF), blank line, body
/// placeholder. Header values are trimmed of surrounding whitespace, as an HTTP server does.
pub fn parse_capture(name: &str, text: &str) -> Capture {
    let head = text.split("\r\n\r\n").next().expect("head");
    let mut lines = head.split("\r\n");
    let request_line = lines.next().expect("request line");
    let mut parts = request_line.split(' ');
    let method = parts.next().expect("method").to_string();
    let target = parts.next().expect("target").to_string();
    assert_eq!(parts.next(), Some("HTTP/1.1"), "{name}: {request_line}");
    let headers = lines
        .map(|line| {
            let (k, v) = line
                .split_once(':')
                .unwrap_or_else(|| panic!("{name}: bad header line {line:?}"));
            (k.to_string(), v.trim().to_string())
        })
        .collect();
    Capture {
        name: name.to_string(),
        method,
        target,
        headers,
    }
}

/// Every capture: `captures/*.http` (Python) then `captures/node/*.http` (Node), sorted by name.
pub fn load_captures() -> Vec<Capture> {
    let mut out = Vec::new();
    for dir in ["captures", "captures/node"] {
        let mut files: Vec<_> = std::fs::read_dir(conformance_path(dir))
            .expect("captures dir")
            .map(|e| e.expect("dir entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "http"))
            .collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).expect("read capture");
            let name = format!(
                "{dir}/{}",
                f.file_name().expect("file name").to_string_lossy()
            );
            out.push(parse_capture(&name, &text));
        }
    }
    out
}
