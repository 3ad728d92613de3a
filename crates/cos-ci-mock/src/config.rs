//! The mock's configuration file (`cos-ci-mock --config FILE`).
//!
//! The file is JSON; `//` line comments and `/* */` block comments are allowed (they are
//! blanked out before parsing, so reported positions stay exact). Every field is optional;
//! unknown fields are rejected. `examples/config.json` in this crate is a documented example.
//!
//! Errors found while reading the file carry its `line:column`: field-level checks (bucket
//! names, unique secret ids, policy version, …) run during deserialization so that serde_json
//! can place them. [`Config::validate`] repeats every check for configurations built in code.

use std::collections::HashSet;
use std::fmt;
use std::io::Read;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};

use crate::policy::Policy;

/// Default listen address: `127.0.0.1:9000`.
pub const DEFAULT_LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 9000);
/// Default region.
pub const DEFAULT_REGION: &str = "ap-guangzhou";
/// Default (and default-default) bucket.
pub const DEFAULT_BUCKET: &str = "examplebucket-1250000000";
/// SecretId of the default development account (the bucket owner).
pub const DEFAULT_SECRET_ID: &str = "AKIDEXAMPLE";
/// SecretKey of the default development account.
pub const DEFAULT_SECRET_KEY: &str = "example-secret";
/// Default allowed clock skew of signed requests, in seconds.
pub const DEFAULT_MAX_CLOCK_SKEW_SECS: u64 = 900;
/// Default size limit of a fetched detect-url source, in bytes (32 MiB).
pub const DEFAULT_DETECT_URL_MAX_BYTES: u64 = 32 * 1024 * 1024;
/// Default timeout of a detect-url fetch, in milliseconds.
pub const DEFAULT_DETECT_URL_TIMEOUT_MS: u64 = 10_000;
/// Default size limit of a stored object, in bytes (256 MiB).
pub const DEFAULT_MAX_OBJECT_BYTES: u64 = 256 * 1024 * 1024;
/// Default smallest size of a multipart part other than the last, in bytes (1 MiB, as COS).
pub const DEFAULT_MIN_PART_BYTES: u64 = 1024 * 1024;
/// Default size limit of an XML request body (Complete Multipart Upload, multi-delete), in
/// bytes (4 MiB: 10000 parts or 1000 keys of 850 bytes fit).
pub const DEFAULT_MAX_XML_BODY_BYTES: u64 = 4 * 1024 * 1024;
/// The largest configuration file [`Config::load`] reads (1 MiB).
pub const MAX_CONFIG_FILE_BYTES: u64 = 1024 * 1024;

/// The mock's configuration.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on (default `127.0.0.1:9000`; port 0 picks a free port).
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Region of the emulated service (default `ap-guangzhou`).
    #[serde(default = "default_region", deserialize_with = "de_region")]
    pub region: String,
    /// Buckets as `<name>-<APPID>` (default `["examplebucket-1250000000"]`); the first is the
    /// default bucket for Host names that carry none.
    #[serde(default = "default_buckets", deserialize_with = "de_buckets")]
    pub buckets: Vec<String>,
    /// Accounts (default: `AKIDEXAMPLE` / `example-secret`, the bucket owner).
    #[serde(default = "default_accounts", deserialize_with = "de_accounts")]
    pub accounts: Vec<Account>,
    /// Whether request signatures are verified (default `true`).
    #[serde(default = "default_true")]
    pub verify_signatures: bool,
    /// Largest accepted difference between a signature's start time and the clock, in seconds (default 900).
    #[serde(default = "default_max_clock_skew_secs")]
    pub max_clock_skew_secs: u64,
    /// Hosts (`"host"`: any port, or `"host:port"`) a detect-url may be fetched from (default none).
    #[serde(default, deserialize_with = "de_detect_url_hosts")]
    pub detect_url_hosts: Vec<String>,
    /// Size limit of a fetched detect-url source, in bytes (default 32 MiB).
    #[serde(
        default = "default_detect_url_max_bytes",
        deserialize_with = "de_detect_url_max_bytes"
    )]
    pub detect_url_max_bytes: u64,
    /// Timeout of a detect-url fetch, in milliseconds (default 10000).
    #[serde(
        default = "default_detect_url_timeout_ms",
        deserialize_with = "de_detect_url_timeout_ms"
    )]
    pub detect_url_timeout_ms: u64,
    /// Size limit of a stored object, in bytes (default 256 MiB).
    #[serde(
        default = "default_max_object_bytes",
        deserialize_with = "de_max_object_bytes"
    )]
    pub max_object_bytes: u64,
    /// Smallest size of a multipart part other than the last, in bytes (default 1 MiB;
    /// completing with a smaller one answers `EntityTooSmall`).
    #[serde(default = "default_min_part_bytes")]
    pub min_part_bytes: u64,
    /// Size limit of an XML request body (Complete Multipart Upload, multi-delete), in bytes
    /// (default 4 MiB).
    #[serde(
        default = "default_max_xml_body_bytes",
        deserialize_with = "de_max_xml_body_bytes"
    )]
    pub max_xml_body_bytes: u64,
    /// Directory objects are persisted in; in memory when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
}

/// An account: a key pair and, for a sub-user, its policy.
#[derive(Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// The SecretId requests are signed with (`q-ak`).
    #[serde(deserialize_with = "de_secret_id")]
    pub secret_id: String,
    /// The SecretKey.
    #[serde(deserialize_with = "de_secret_key")]
    pub secret_key: String,
    /// A name for logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The account's policy; `None` means the bucket owner, allowed everything.
    #[serde(
        default,
        deserialize_with = "de_policy",
        skip_serializing_if = "Option::is_none"
    )]
    pub policy: Option<Policy>,
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("secret_id", &self.secret_id)
            .field("secret_key", &"<redacted>")
            .field("name", &self.name)
            .field("policy", &self.policy)
            .finish()
    }
}

impl Account {
    /// Whether this account may perform `action` on `resource` (no policy: always).
    pub fn is_allowed(&self, action: &str, resource: &str) -> bool {
        self.policy
            .as_ref()
            .is_none_or(|p| p.is_allowed(action, resource))
    }
}

/// Why a configuration was rejected.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_CONFIG_FILE_BYTES`].
    #[error("config file {} is larger than {limit} bytes", .path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit, in bytes.
        limit: u64,
    },
    /// The file is not UTF-8.
    #[error("config file {} is not valid UTF-8", .path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
    },
    /// Malformed JSON, an unknown or mistyped field, or a field whose value failed its check.
    #[error("{}:{line}:{column}: {message}", origin(.path))]
    Parse {
        /// The file, when read from one.
        path: Option<PathBuf>,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong, naming the field.
        message: String,
    },
    /// A semantic check failed in [`Config::validate`].
    #[error("invalid config field `{field}`: {message}")]
    Invalid {
        /// The field, as a path such as `accounts[1].secret_id`.
        field: String,
        /// What is wrong.
        message: String,
    },
}

fn origin(path: &Option<PathBuf>) -> String {
    path.as_ref()
        .map_or_else(|| "config".to_owned(), |p| p.display().to_string())
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: default_listen(),
            region: default_region(),
            buckets: default_buckets(),
            accounts: default_accounts(),
            verify_signatures: true,
            max_clock_skew_secs: DEFAULT_MAX_CLOCK_SKEW_SECS,
            detect_url_hosts: Vec::new(),
            detect_url_max_bytes: DEFAULT_DETECT_URL_MAX_BYTES,
            detect_url_timeout_ms: DEFAULT_DETECT_URL_TIMEOUT_MS,
            max_object_bytes: DEFAULT_MAX_OBJECT_BYTES,
            min_part_bytes: DEFAULT_MIN_PART_BYTES,
            max_xml_body_bytes: DEFAULT_MAX_XML_BODY_BYTES,
            data_dir: None,
        }
    }
}

impl Config {
    /// Parses a configuration from JSON (comments allowed) and [validates](Config::validate) it.
    /// Errors carry `line:column`.
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        let text = strip_comments(text)?;
        let config: Config = serde_json::from_str(&text).map_err(|e| {
            let (line, column) = (e.line(), e.column());
            let full = e.to_string();
            let suffix = format!(" at line {line} column {column}");
            let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
            ConfigError::Parse {
                path: None,
                line,
                column,
                message,
            }
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Reads (at most [`MAX_CONFIG_FILE_BYTES`]) and parses a configuration file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let io = |source| ConfigError::Io {
            path: path.to_owned(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let mut bytes = Vec::new();
        file.take(MAX_CONFIG_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        if bytes.len() as u64 > MAX_CONFIG_FILE_BYTES {
            return Err(ConfigError::TooLarge {
                path: path.to_owned(),
                limit: MAX_CONFIG_FILE_BYTES,
            });
        }
        let text = String::from_utf8(bytes).map_err(|_| ConfigError::NotUtf8 {
            path: path.to_owned(),
        })?;
        Config::from_json(&text).map_err(|e| match e {
            ConfigError::Parse {
                path: None,
                line,
                column,
                message,
            } => ConfigError::Parse {
                path: Some(path.to_owned()),
                line,
                column,
                message,
            },
            other => other,
        })
    }

    /// Checks every field: region and bucket names well-formed, buckets unique, at least one
    /// bucket and one account, secret ids non-empty and unique, policies valid (version 2.0,
    /// no conditions), detect-url host entries well-formed, size and time limits non-zero.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |field: String, message: String| ConfigError::Invalid { field, message };
        check_region(&self.region).map_err(|m| invalid("region".into(), m))?;
        for (i, b) in self.buckets.iter().enumerate() {
            check_bucket_name(b).map_err(|m| invalid(format!("buckets[{i}]"), m))?;
        }
        check_buckets(&self.buckets).map_err(|m| invalid("buckets".into(), m))?;
        for (i, a) in self.accounts.iter().enumerate() {
            check_secret(&a.secret_id)
                .map_err(|m| invalid(format!("accounts[{i}].secret_id"), m))?;
            check_secret(&a.secret_key)
                .map_err(|m| invalid(format!("accounts[{i}].secret_key"), m))?;
            if let Some(p) = &a.policy {
                p.validate()
                    .map_err(|e| invalid(format!("accounts[{i}].policy"), e.to_string()))?;
            }
        }
        check_accounts(&self.accounts).map_err(|m| invalid("accounts".into(), m))?;
        for (i, h) in self.detect_url_hosts.iter().enumerate() {
            parse_host_entry(h).map_err(|m| invalid(format!("detect_url_hosts[{i}]"), m))?;
        }
        for (field, v) in [
            ("detect_url_max_bytes", self.detect_url_max_bytes),
            ("detect_url_timeout_ms", self.detect_url_timeout_ms),
            ("max_object_bytes", self.max_object_bytes),
            ("max_xml_body_bytes", self.max_xml_body_bytes),
        ] {
            check_nonzero(v).map_err(|m| invalid(field.into(), m))?;
        }
        Ok(())
    }

    /// The default bucket: the first configured one.
    pub fn default_bucket(&self) -> &str {
        self.buckets.first().map_or(DEFAULT_BUCKET, String::as_str)
    }

    /// The account with this SecretId.
    pub fn account(&self, secret_id: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.secret_id == secret_id)
    }

    /// Whether a detect-url on `host` (brackets around an IPv6 address optional) and `port`
    /// (the URL's effective port) may be fetched: an entry `"host"` allows any port, an entry
    /// `"host:port"` only that port. Host names compare case-insensitively.
    pub fn detect_url_allowed(&self, host: &str, port: Option<u16>) -> bool {
        let host = normalize_host(host);
        self.detect_url_hosts
            .iter()
            .any(|entry| match parse_host_entry(entry) {
                Ok((h, p)) => {
                    normalize_host(h).eq_ignore_ascii_case(host) && (p.is_none() || p == port)
                }
                Err(_) => false,
            })
    }
}

/// The bucket's APPID: the digits after its last `-` (the one check, in cos-ci-validate).
pub use cos_ci_validate::bucket_appid;

// ---- defaults ----

fn default_listen() -> SocketAddr {
    DEFAULT_LISTEN
}
fn default_region() -> String {
    DEFAULT_REGION.to_owned()
}
fn default_buckets() -> Vec<String> {
    vec![DEFAULT_BUCKET.to_owned()]
}
fn default_accounts() -> Vec<Account> {
    vec![Account {
        secret_id: DEFAULT_SECRET_ID.to_owned(),
        secret_key: DEFAULT_SECRET_KEY.to_owned(),
        name: None,
        policy: None,
    }]
}
fn default_true() -> bool {
    true
}
fn default_max_clock_skew_secs() -> u64 {
    DEFAULT_MAX_CLOCK_SKEW_SECS
}
fn default_detect_url_max_bytes() -> u64 {
    DEFAULT_DETECT_URL_MAX_BYTES
}
fn default_detect_url_timeout_ms() -> u64 {
    DEFAULT_DETECT_URL_TIMEOUT_MS
}
fn default_max_object_bytes() -> u64 {
    DEFAULT_MAX_OBJECT_BYTES
}
fn default_min_part_bytes() -> u64 {
    DEFAULT_MIN_PART_BYTES
}
fn default_max_xml_body_bytes() -> u64 {
    DEFAULT_MAX_XML_BODY_BYTES
}

// ---- checks (shared by deserialization and `validate`) ----

fn check_region(region: &str) -> Result<(), String> {
    let ok = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid region {region:?}: expected lowercase letters, digits and '-'"
        ))
    }
}

/// `^[a-z0-9-]+-\d+$`.
fn check_bucket_name(bucket: &str) -> Result<(), String> {
    if cos_ci_validate::is_bucket_name(bucket) {
        Ok(())
    } else {
        Err(format!(
            "invalid bucket name {bucket:?}: expected <name>-<APPID>, lowercase letters, digits and '-' \
             followed by '-' and the numeric APPID, e.g. \"examplebucket-1250000000\""
        ))
    }
}

fn check_buckets(buckets: &[String]) -> Result<(), String> {
    if buckets.is_empty() {
        return Err("at least one bucket is required".into());
    }
    let mut seen = HashSet::new();
    for b in buckets {
        if !seen.insert(b.as_str()) {
            return Err(format!("bucket {b:?} is listed twice"));
        }
    }
    Ok(())
}

fn check_secret(s: &str) -> Result<(), String> {
    if s.is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(())
    }
}

fn check_accounts(accounts: &[Account]) -> Result<(), String> {
    if accounts.is_empty() {
        return Err("at least one account is required".into());
    }
    let mut seen = HashSet::new();
    for a in accounts {
        if !seen.insert(a.secret_id.as_str()) {
            return Err(format!(
                "secret_id {:?} is used by more than one account",
                a.secret_id
            ));
        }
    }
    Ok(())
}

fn check_nonzero(v: u64) -> Result<(), String> {
    if v == 0 {
        Err("must be greater than 0".into())
    } else {
        Ok(())
    }
}

/// Splits a detect-url host entry into host and optional port: `host`, `host:port`,
/// `[v6]`, `[v6]:port` or a bare IPv6 address.
fn parse_host_entry(entry: &str) -> Result<(&str, Option<u16>), String> {
    let bad = |why: &str| Err(format!("invalid host entry {entry:?}: {why}"));
    let (host, port) = if let Some(rest) = entry.strip_prefix('[') {
        let Some((v6, after)) = rest.split_once(']') else {
            return bad("missing ']'");
        };
        if v6.parse::<Ipv6Addr>().is_err() {
            return bad("not an IPv6 address inside brackets");
        }
        match after {
            "" => (v6, None),
            _ => match after.strip_prefix(':') {
                Some(p) => (v6, Some(p)),
                None => return bad("expected ':port' after ']'"),
            },
        }
    } else if entry.bytes().filter(|&b| b == b':').count() > 1 {
        if entry.parse::<Ipv6Addr>().is_err() {
            return bad("expected host, host:port or [IPv6]:port");
        }
        (entry, None)
    } else {
        let (h, p) = match entry.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (entry, None),
        };
        let host_ok = !h.is_empty()
            && h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
        if !host_ok {
            return bad("expected a host name or IP address (letters, digits, '-', '.', '_')");
        }
        (h, p)
    };
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Some(n),
            _ => return bad("port must be a number from 1 to 65535"),
        },
    };
    Ok((host, port))
}

/// Strips IPv6 brackets and one trailing dot of a fully qualified name.
fn normalize_host(host: &str) -> &str {
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    host.strip_suffix('.').unwrap_or(host)
}

// ---- deserializers that check as they go, so serde_json can report positions ----

fn de_region<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    check_region(&s).map_err(|m| D::Error::custom(format!("region: {m}")))?;
    Ok(s)
}

struct BucketName(String);

impl<'de> Deserialize<'de> for BucketName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        check_bucket_name(&s).map_err(|m| D::Error::custom(format!("buckets: {m}")))?;
        Ok(BucketName(s))
    }
}

fn de_buckets<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v: Vec<String> = Vec::<BucketName>::deserialize(d)?
        .into_iter()
        .map(|b| b.0)
        .collect();
    check_buckets(&v).map_err(|m| D::Error::custom(format!("buckets: {m}")))?;
    Ok(v)
}

fn de_accounts<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Account>, D::Error> {
    let v = Vec::<Account>::deserialize(d)?;
    check_accounts(&v).map_err(|m| D::Error::custom(format!("accounts: {m}")))?;
    Ok(v)
}

fn de_secret_id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    check_secret(&s).map_err(|m| D::Error::custom(format!("secret_id {m}")))?;
    Ok(s)
}

fn de_secret_key<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    check_secret(&s).map_err(|m| D::Error::custom(format!("secret_key {m}")))?;
    Ok(s)
}

fn de_policy<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Policy>, D::Error> {
    let p = Option::<Policy>::deserialize(d)?;
    if let Some(p) = &p {
        p.validate()
            .map_err(|e| D::Error::custom(format!("policy: {e}")))?;
    }
    Ok(p)
}

struct HostEntry(String);

impl<'de> Deserialize<'de> for HostEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_host_entry(&s).map_err(|m| D::Error::custom(format!("detect_url_hosts: {m}")))?;
        Ok(HostEntry(s))
    }
}

fn de_detect_url_hosts<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Vec::<HostEntry>::deserialize(d)?
        .into_iter()
        .map(|h| h.0)
        .collect())
}

fn de_nonzero<'de, D: Deserializer<'de>>(d: D, field: &str) -> Result<u64, D::Error> {
    let v = u64::deserialize(d)?;
    check_nonzero(v).map_err(|m| D::Error::custom(format!("{field} {m}")))?;
    Ok(v)
}

fn de_detect_url_max_bytes<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    de_nonzero(d, "detect_url_max_bytes")
}

fn de_detect_url_timeout_ms<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    de_nonzero(d, "detect_url_timeout_ms")
}

fn de_max_object_bytes<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    de_nonzero(d, "max_object_bytes")
}

fn de_max_xml_body_bytes<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    de_nonzero(d, "max_xml_body_bytes")
}

// ---- comments ----

/// Replaces `//` and `/* */` comments outside strings with spaces (newlines kept), so that
/// serde_json's line and column numbers refer to the original text. Written here because
/// json-strip-comments blanks the newlines inside block comments, which shifts every line after.
fn strip_comments(text: &str) -> Result<std::borrow::Cow<'_, str>, ConfigError> {
    if !text.contains('/') {
        return Ok(std::borrow::Cow::Borrowed(text));
    }
    enum State {
        Code,
        Str { escaped: bool },
        Line,
        Block { line: usize, column: usize },
    }
    let mut out = String::with_capacity(text.len());
    let mut state = State::Code;
    let (mut line, mut column) = (1usize, 1usize);
    let mut chars = text.chars().peekable();
    let blank = |out: &mut String, c: char| {
        if c == '\n' || c == '\r' {
            out.push(c);
        } else {
            out.extend(std::iter::repeat_n(' ', c.len_utf8()));
        }
    };
    while let Some(c) = chars.next() {
        let (start_line, start_column) = (line, column);
        let mut advance = |c: char| {
            if c == '\n' {
                line += 1;
                column = 1;
            } else {
                column += c.len_utf8();
            }
        };
        advance(c);
        state = match state {
            State::Code => match (c, chars.peek()) {
                ('"', _) => {
                    out.push(c);
                    State::Str { escaped: false }
                }
                ('/', Some('/')) => {
                    chars.next();
                    advance('/');
                    out.push_str("  ");
                    State::Line
                }
                ('/', Some('*')) => {
                    chars.next();
                    advance('*');
                    out.push_str("  ");
                    State::Block {
                        line: start_line,
                        column: start_column,
                    }
                }
                _ => {
                    out.push(c);
                    State::Code
                }
            },
            State::Str { escaped } => {
                out.push(c);
                match c {
                    '"' if !escaped => State::Code,
                    '\\' => State::Str { escaped: !escaped },
                    _ => State::Str { escaped: false },
                }
            }
            State::Line => {
                blank(&mut out, c);
                if c == '\n' { State::Code } else { State::Line }
            }
            State::Block {
                line: l,
                column: col,
            } => {
                if c == '*' && chars.peek() == Some(&'/') {
                    chars.next();
                    advance('/');
                    out.push_str("  ");
                    State::Code
                } else {
                    blank(&mut out, c);
                    State::Block {
                        line: l,
                        column: col,
                    }
                }
            }
        };
    }
    if let State::Block { line, column } = state {
        return Err(ConfigError::Parse {
            path: None,
            line,
            column,
            message: "unterminated /* comment".into(),
        });
    }
    Ok(std::borrow::Cow::Owned(out))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::policy::{ci_resource, cos_resource};
    use proptest::prelude::*;

    const EXAMPLE: &str = include_str!("../examples/config.json");

    /// The error of `from_json`, expected to be a positioned parse error.
    fn parse_err(text: &str) -> (usize, usize, String) {
        match Config::from_json(text).unwrap_err() {
            ConfigError::Parse {
                path: None,
                line,
                column,
                message,
            } => (line, column, message),
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let c = Config::default();
        assert_eq!(c.listen, "127.0.0.1:9000".parse::<SocketAddr>().unwrap());
        assert_eq!(c.region, "ap-guangzhou");
        assert_eq!(c.buckets, vec!["examplebucket-1250000000".to_owned()]);
        assert_eq!(c.default_bucket(), "examplebucket-1250000000");
        assert_eq!(c.accounts.len(), 1);
        let owner = c.account("AKIDEXAMPLE").unwrap();
        assert_eq!(owner.secret_key, "example-secret");
        assert!(owner.policy.is_none());
        assert!(owner.is_allowed("cos:DeleteObject", "*"));
        assert!(c.verify_signatures);
        assert_eq!(c.max_clock_skew_secs, 900);
        assert!(c.detect_url_hosts.is_empty());
        assert!(!c.detect_url_allowed("127.0.0.1", Some(80)));
        assert_eq!(c.detect_url_max_bytes, 33_554_432);
        assert_eq!(c.detect_url_timeout_ms, 10_000);
        assert_eq!(c.max_object_bytes, 268_435_456);
        assert_eq!(c.data_dir, None);
        c.validate().unwrap();
        assert_eq!(Config::from_json("{}").unwrap(), c);
        assert_eq!(
            Config::from_json(" // nothing set\n{ /* at all */ }\n").unwrap(),
            c
        );
    }

    #[test]
    fn round_trips_through_json() {
        let mut c = Config::from_json(EXAMPLE).unwrap();
        c.data_dir = Some(PathBuf::from("/tmp/data"));
        let json = serde_json::to_string_pretty(&c).unwrap();
        assert_eq!(Config::from_json(&json).unwrap(), c);
        let json = serde_json::to_string(&Config::default()).unwrap();
        assert!(json.contains(r#""listen":"127.0.0.1:9000""#), "{json}");
        assert_eq!(Config::from_json(&json).unwrap(), Config::default());
    }

    #[test]
    fn example_config_parses_and_means_what_it_says() {
        let c = Config::from_json(EXAMPLE).unwrap();
        assert_eq!(
            c.buckets,
            vec![
                "examplebucket-1250000000".to_owned(),
                "archivebucket-1250000000".to_owned()
            ]
        );
        assert_eq!(c.default_bucket(), "examplebucket-1250000000");
        assert_eq!(c.accounts.len(), 3);
        assert!(c.account("AKIDEXAMPLE").unwrap().policy.is_none());
        assert!(c.account("nobody").is_none());

        let (region, appid) = (c.region.as_str(), "1250000000");
        let (main, archive) = ("examplebucket-1250000000", "archivebucket-1250000000");
        let reader = c.account("AKIDREADEREXAMPLE").unwrap();
        assert_eq!(reader.name.as_deref(), Some("reader"));
        assert!(reader.is_allowed(
            "cos:GetObject",
            &cos_resource(region, appid, main, "photos/a.png")
        ));
        assert!(reader.is_allowed(
            "ci:CreateAIImageColoringJob",
            &ci_resource(region, appid, main)
        ));
        assert!(!reader.is_allowed(
            "ci:CreateAIEnhanceImageJob",
            &ci_resource(region, appid, main)
        ));
        assert!(!reader.is_allowed(
            "cos:GetObject",
            &cos_resource(region, appid, main, "docs/a.png")
        ));
        assert!(!reader.is_allowed(
            "cos:GetObject",
            &cos_resource(region, appid, archive, "photos/a.png")
        ));
        assert!(!reader.is_allowed(
            "cos:PutObject",
            &cos_resource(region, appid, main, "photos/a.png")
        ));

        let uploader = c.account("AKIDUPLOADEREXAMPLE").unwrap();
        assert!(uploader.is_allowed(
            "cos:PutObject",
            &cos_resource(region, appid, main, "any/key")
        ));
        assert!(uploader.is_allowed("cos:PutObject", &cos_resource(region, appid, archive, "x")));
        assert!(!uploader.is_allowed(
            "cos:GetObject",
            &cos_resource(region, appid, main, "any/key")
        ));
        assert!(!uploader.is_allowed(
            "ci:CreateAIImageColoringJob",
            &ci_resource(region, appid, main)
        ));

        assert!(c.detect_url_allowed("127.0.0.1", Some(8080)));
        assert!(c.detect_url_allowed("127.0.0.1", None));
        assert!(!c.detect_url_allowed("localhost", Some(8080)));
        assert!(format!("{:?}", uploader).contains("<redacted>"));
        assert!(!format!("{c:?}").contains("uploader-secret"));
    }

    #[test]
    fn unknown_fields_carry_position() {
        let (line, column, message) =
            parse_err("{\n  \"listen\": \"127.0.0.1:0\",\n  \"lisen\": 1\n}");
        assert_eq!(line, 3);
        assert!(column > 1);
        assert!(message.starts_with("unknown field `lisen`"), "{message}");
        let err = Config::from_json(
            "{\n\n \"accounts\": [{\"secret_id\": \"a\", \"secret_key\": \"b\", \"role\": 1}]}",
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("config:3:") && msg.contains("unknown field `role`"),
            "{msg}"
        );
        let (line, _, message) = parse_err("{\n\"verify_signatures\": \"yes\"}");
        assert_eq!(line, 2);
        assert!(message.contains("expected a boolean"), "{message}");
        let (line, _, message) = parse_err("{\"listen\": \"localhost\"}");
        assert_eq!(line, 1);
        assert!(message.contains("socket address"), "{message}");
        let (line, _, _) = parse_err("{\n\"region\": \"ap-guangzhou\",\n");
        assert_eq!(line, 3, "EOF position");
    }

    #[test]
    fn bucket_checks_carry_position() {
        for bad in [
            "ExampleBucket-1250000000",
            "examplebucket",
            "examplebucket-",
            "-1250000000",
            "a_b-1",
            "bucket-12a",
        ] {
            let (line, column, message) =
                parse_err(&format!("{{\n\"buckets\": [\"ok-1\",\n \"{bad}\"]}}"));
            assert_eq!(line, 3, "{bad}");
            assert!(column > 1, "{bad}");
            assert!(
                message.contains("buckets")
                    && message.contains("invalid bucket name")
                    && message.contains(bad),
                "{message}"
            );
        }
        let (line, _, message) = parse_err("{\"buckets\": [\"a-1\", \"b-1\",\n\"a-1\"]}");
        assert_eq!(line, 2);
        assert!(message.contains("listed twice"), "{message}");
        let (_, _, message) = parse_err(r#"{"buckets": []}"#);
        assert!(message.contains("at least one bucket"), "{message}");
        Config::from_json(r#"{"buckets": ["a-1", "b--c-0042", "x-y-z-1250000000"]}"#).unwrap();
    }

    #[test]
    fn account_checks_carry_position() {
        let (_, _, message) = parse_err(r#"{"accounts": []}"#);
        assert!(message.contains("at least one account"), "{message}");
        let (line, _, message) = parse_err(
            "{\"accounts\": [\n{\"secret_id\": \"A\", \"secret_key\": \"1\"},\n{\"secret_id\": \"A\", \"secret_key\": \"2\"}\n]}",
        );
        assert_eq!(line, 4);
        assert!(
            message.contains("secret_id \"A\"") && message.contains("more than one account"),
            "{message}"
        );
        let (line, _, message) =
            parse_err("{\"accounts\": [\n{\"secret_id\": \"\", \"secret_key\": \"1\"}]}");
        assert_eq!(line, 2);
        assert!(message.contains("secret_id must not be empty"), "{message}");
        let (_, _, message) = parse_err(r#"{"accounts": [{"secret_id": "A"}]}"#);
        assert!(message.contains("missing field `secret_key`"), "{message}");
    }

    #[test]
    fn policy_checks_carry_position() {
        let policy = |p: &str| {
            format!(
                "{{\"accounts\": [\n{{\"secret_id\": \"A\", \"secret_key\": \"1\",\n\"policy\": {p}}}]}}"
            )
        };
        let (line, _, message) = parse_err(&policy(
            r#"{"version": "1.0", "statement": [{"effect": "allow", "action": "*", "resource": "*"}]}"#,
        ));
        assert_eq!(line, 3);
        assert!(
            message.contains("policy")
                && message.contains("\"1.0\"")
                && message.contains("\"2.0\""),
            "{message}"
        );
        let (line, _, message) = parse_err(&policy(
            r#"{"version": "2.0", "statement": [{"effect": "allow", "action": "*", "resource": "*", "condition": {"ip_equal": {}}}]}"#,
        ));
        assert_eq!(line, 3);
        assert!(
            message.contains("statement[0].condition") && message.contains("not supported"),
            "{message}"
        );
        let (line, _, message) = parse_err(&policy(
            r#"{"version": "2.0", "statement": [{"effect": "allow", "action": "*", "resource": "*", "principal": "x"}]}"#,
        ));
        assert_eq!(line, 3);
        assert!(message.contains("unknown field `principal`"), "{message}");
    }

    #[test]
    fn limit_and_host_checks() {
        for field in [
            "max_object_bytes",
            "detect_url_max_bytes",
            "detect_url_timeout_ms",
        ] {
            let (_, _, message) = parse_err(&format!("{{\"{field}\": 0}}"));
            assert!(
                message.contains(field) && message.contains("greater than 0"),
                "{message}"
            );
        }
        let (_, _, message) = parse_err(r#"{"max_object_bytes": -1}"#);
        assert!(message.contains("invalid value"), "{message}");
        for bad in [
            "http://example.com",
            "",
            "host:",
            "host:0",
            "host:70000",
            "host:+80",
            "[::1",
            "[nope]:80",
            "a b",
            "1::2::3",
        ] {
            let (_, _, message) = parse_err(&format!(
                r#"{{"detect_url_hosts": [{}]}}"#,
                serde_json::to_string(bad).unwrap()
            ));
            assert!(
                message.contains("detect_url_hosts") && message.contains("invalid host entry"),
                "{bad}: {message}"
            );
        }
        let (_, _, message) = parse_err(r#"{"region": "AP Guangzhou"}"#);
        assert!(message.contains("region"), "{message}");
    }

    #[test]
    fn detect_url_hosts_match_host_and_port() {
        let c = Config::from_json(
            r#"{"detect_url_hosts": ["127.0.0.1", "Images.Example.com:8080", "[::1]:9000", "fe80::1", "[::2]"]}"#,
        )
        .unwrap();
        assert!(c.detect_url_allowed("127.0.0.1", Some(1)));
        assert!(c.detect_url_allowed("images.example.COM", Some(8080)));
        assert!(c.detect_url_allowed("images.example.com.", Some(8080)));
        assert!(!c.detect_url_allowed("images.example.com", Some(80)));
        assert!(!c.detect_url_allowed("images.example.com", None));
        assert!(!c.detect_url_allowed("evil.images.example.com", Some(8080)));
        assert!(c.detect_url_allowed("[::1]", Some(9000)));
        assert!(c.detect_url_allowed("::1", Some(9000)));
        assert!(!c.detect_url_allowed("::1", Some(9001)));
        assert!(c.detect_url_allowed("[fe80::1]", Some(443)));
        assert!(c.detect_url_allowed("::2", None));
        assert!(!c.detect_url_allowed("", None));
    }

    #[test]
    fn validate_checks_configs_built_in_code() {
        let invalid_field = |c: &Config| match c.validate().unwrap_err() {
            ConfigError::Invalid { field, message } => format!("{field}: {message}"),
            other => panic!("{other:?}"),
        };
        let mut c = Config::default();
        c.buckets.push("Bad".into());
        assert!(invalid_field(&c).starts_with("buckets[1]: invalid bucket name"));
        c.buckets = vec!["a-1".into(), "a-1".into()];
        assert!(invalid_field(&c).starts_with("buckets: bucket \"a-1\" is listed twice"));
        c.buckets.clear();
        assert!(invalid_field(&c).contains("at least one bucket"));
        assert_eq!(
            c.default_bucket(),
            DEFAULT_BUCKET,
            "no panic on an invalid config"
        );

        let mut c = Config::default();
        c.accounts.push(c.accounts[0].clone());
        assert!(invalid_field(&c).starts_with("accounts: secret_id \"AKIDEXAMPLE\""));
        c.accounts.truncate(1);
        c.accounts[0].secret_key.clear();
        assert_eq!(
            invalid_field(&c),
            "accounts[0].secret_key: must not be empty"
        );
        c.accounts[0].secret_key = "k".into();
        c.accounts[0].policy = Some(Policy {
            version: "1.0".into(),
            statement: vec![],
        });
        let msg = c.validate().unwrap_err().to_string();
        assert!(
            msg.contains("`accounts[0].policy`") && msg.contains("\"2.0\""),
            "{msg}"
        );
        c.accounts.clear();
        assert!(invalid_field(&c).contains("at least one account"));

        let mut c = Config::default();
        c.detect_url_hosts.push("x:y".into());
        assert!(invalid_field(&c).starts_with("detect_url_hosts[0]: invalid host entry"));
        let mut c = Config {
            max_object_bytes: 0,
            ..Config::default()
        };
        assert_eq!(
            invalid_field(&c),
            "max_object_bytes: must be greater than 0"
        );
        c.max_object_bytes = 1;
        c.region = String::new();
        assert!(invalid_field(&c).starts_with("region: invalid region"));
    }

    #[test]
    fn bucket_appid_is_the_trailing_digits() {
        assert_eq!(bucket_appid("examplebucket-1250000000"), Some("1250000000"));
        assert_eq!(bucket_appid("a-b-7"), Some("7"));
        assert_eq!(bucket_appid("examplebucket"), None);
        assert_eq!(bucket_appid("examplebucket-"), None);
        assert_eq!(bucket_appid("examplebucket-12x"), None);
        assert_eq!(bucket_appid(""), None);
    }

    #[test]
    fn comments_keep_positions_and_spare_strings() {
        let text = "/* a\n   block */ {\n  // line comment with \"quote\"\n  \"data_dir\": \"/tmp//x/*y*/\", /* 注释 */ \"oops\": 1\n}";
        let (line, column, message) = parse_err(text);
        assert_eq!(
            (line, message.starts_with("unknown field `oops`")),
            (4, true),
            "{message}"
        );
        let expected_col = "  \"data_dir\": \"/tmp//x/*y*/\", /* 注释 */ \"oops\"".len();
        assert_eq!(column, expected_col);
        let c = Config::from_json("{\"data_dir\": \"/tmp//x/*y*/\\\"//\" // end\n}").unwrap();
        assert_eq!(c.data_dir, Some(PathBuf::from("/tmp//x/*y*/\"//")));
        let (line, column, message) = parse_err("{\n  /* never closed\n}");
        assert_eq!((line, column), (2, 3));
        assert!(message.contains("unterminated"), "{message}");
        assert!(Config::from_json("{} / 1").is_err());
    }

    #[test]
    fn load_reads_files_and_names_them() {
        let dir =
            std::env::temp_dir().join(format!("cos-ci-mock-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.json");
        std::fs::write(&good, EXAMPLE).unwrap();
        assert_eq!(
            Config::load(&good).unwrap(),
            Config::from_json(EXAMPLE).unwrap()
        );

        let bad = dir.join("bad.json");
        std::fs::write(&bad, "{\n \"nope\": 1}").unwrap();
        let msg = Config::load(&bad).unwrap_err().to_string();
        assert!(
            msg.starts_with(&format!("{}:2:", bad.display())) && msg.contains("nope"),
            "{msg}"
        );

        let big = dir.join("big.json");
        let mut text = String::from("{\"region\": \"ap-guangzhou\"}");
        text.push_str(&" ".repeat(MAX_CONFIG_FILE_BYTES as usize));
        std::fs::write(&big, text).unwrap();
        assert!(matches!(
            Config::load(&big),
            Err(ConfigError::TooLarge { .. })
        ));

        let binary = dir.join("binary.json");
        std::fs::write(&binary, [0xff, 0xfe, b'{', b'}']).unwrap();
        assert!(matches!(
            Config::load(&binary),
            Err(ConfigError::NotUtf8 { .. })
        ));

        let missing = dir.join("missing.json");
        let err = Config::load(&missing).unwrap_err();
        assert!(matches!(err, ConfigError::Io { .. }));
        assert!(err.to_string().contains("missing.json"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    proptest! {
        #[test]
        fn from_json_never_panics(text in "\\PC{0,300}") {
            let _ = Config::from_json(&text);
        }

        #[test]
        fn comment_stripping_keeps_lengths_and_lines(text in "[{}\"/*\\\\\na é]{0,80}") {
            if let Ok(out) = strip_comments(&text) {
                prop_assert_eq!(out.len(), text.len());
                let lines = |s: &str| s.match_indices('\n').map(|(i, _)| i).collect::<Vec<_>>();
                prop_assert_eq!(lines(&out), lines(&text));
            }
        }

        #[test]
        fn bucket_check_matches_regex(name in "[a-z0-9A-Z_-]{0,6}", appid in "[0-9a]{0,4}") {
            let bucket = format!("{name}-{appid}");
            // ^[a-z0-9-]+-\d+$, spelled out.
            let expected = !appid.is_empty() && appid.bytes().all(|b| b.is_ascii_digit())
                && !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            prop_assert_eq!(check_bucket_name(&bucket).is_ok(), expected);
        }
    }
}
