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
/// Default of the most names `q-header-list` / `q-url-param-list` may each hold (and of the
/// received values they may match): cos-ci-sign's default.
pub const DEFAULT_MAX_SIGNED_NAMES: usize = cos_ci_sign::DEFAULT_MAX_SIGNED_NAMES;
/// Default size limit of a fetched detect-url source, in bytes (32 MiB).
pub const DEFAULT_DETECT_URL_MAX_BYTES: u64 = 32 * 1024 * 1024;
/// Default timeout of a detect-url fetch, in milliseconds.
pub const DEFAULT_DETECT_URL_TIMEOUT_MS: u64 = 10_000;
/// Default size limit of a stored object, in bytes (256 MiB).
pub const DEFAULT_MAX_OBJECT_BYTES: u64 = 256 * 1024 * 1024;
// ---- network and processing budgets ----
/// Default time a client has to send a complete request head, in milliseconds.
pub const DEFAULT_HEADER_READ_TIMEOUT_MS: u64 = 30_000;
/// Default time a connection may sit with no request in progress and no bytes moving, in ms.
pub const DEFAULT_IDLE_TIMEOUT_MS: u64 = 60_000;
/// Default largest number of connections served at once.
pub const DEFAULT_MAX_CONNECTIONS: u64 = 512;
/// Default deadline of a whole request body, in milliseconds (10 minutes).
pub const DEFAULT_BODY_TIMEOUT_MS: u64 = 600_000;
/// Default longest wait for the next chunk of a request body, in milliseconds.
pub const DEFAULT_BODY_IDLE_TIMEOUT_MS: u64 = 30_000;
/// Default budget of decoded image memory shared by all running jobs, in bytes (2 GiB).
pub const DEFAULT_PROCESSING_MEMORY_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// Default smallest size of a multipart part other than the last, in bytes (1 MiB, as COS).
pub const DEFAULT_MIN_PART_BYTES: u64 = 1024 * 1024;
/// Default size limit of an XML request body (Complete Multipart Upload, multi-delete), in
/// bytes (4 MiB: 10000 parts or 1000 keys of 850 bytes fit).
pub const DEFAULT_MAX_XML_BODY_BYTES: u64 = 4 * 1024 * 1024;
/// The largest configuration file [`Config::load`] reads (1 MiB).
pub const MAX_CONFIG_FILE_BYTES: u64 = 1024 * 1024;

// ---- test-support API and request log defaults ----
/// Default longest `delay_ms` of a fault added over HTTP: 60 s.
pub const DEFAULT_MAX_FAULT_DELAY_MS: u64 = 60_000;
/// Default largest `times` of a fault added over HTTP.
pub const DEFAULT_MAX_FAULT_TIMES: u64 = 10_000;
/// Default most faults pending at once after additions over HTTP.
pub const DEFAULT_MAX_PENDING_FAULTS: u64 = 1_000;
/// Default most requests kept in the request log.
pub const DEFAULT_REQUEST_LOG_MAX_ENTRIES: u64 = 10_000;
/// Default byte budget of the request log (8 MiB: about 10,000 typical signed requests).
pub const DEFAULT_REQUEST_LOG_MAX_BYTES: u64 = 8 * 1024 * 1024;
/// Default longest value kept in a request log entry.
pub const DEFAULT_REQUEST_LOG_MAX_VALUE_BYTES: u64 = 2048;

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
    /// Whether request signatures are verified (default `true`). When `false`, neither the
    /// time window, `max_signed_names`, `strict_signing` nor `session_tokens` is checked.
    #[serde(default = "default_true")]
    pub verify_signatures: bool,
    /// Largest accepted difference between a signature's start time and the clock, in seconds (default 900).
    /// It only tolerates a start in the future: a signature's end time is strict.
    #[serde(default = "default_max_clock_skew_secs")]
    pub max_clock_skew_secs: u64,
    /// The most names `q-header-list` and `q-url-param-list` may each hold, and the most received
    /// headers (parameters) they may match (default 64); a request over it is refused with a
    /// message naming this field.
    #[serde(
        default = "default_max_signed_names",
        deserialize_with = "de_max_signed_names"
    )]
    pub max_signed_names: usize,
    /// Refuse (403 AccessDenied) a signed request whose signature does not cover the `Host`
    /// header, or that carries a `Pic-Operations` header its signature does not cover
    /// (default `false`: the Node SDK signs neither Pic-Operations nor, optionally, Host).
    #[serde(default)]
    pub strict_signing: bool,
    /// Hosts (`"host"`: the scheme's default port, or `"host:port"`) a detect-url may be fetched
    /// from (default none). Names must resolve to public addresses; a loopback, private or
    /// link-local address is fetched only when listed as that IP literal.
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
    // ---- network and processing budgets ----
    /// Time a client has to send a complete request head, in milliseconds (default 30000);
    /// on a kept-alive connection it runs from the end of the previous answer.
    #[serde(
        default = "default_header_read_timeout_ms",
        deserialize_with = "de_header_read_timeout_ms"
    )]
    pub header_read_timeout_ms: u64,
    /// A connection with no request in progress and no bytes moving for this long is closed,
    /// in milliseconds (default 60000).
    #[serde(
        default = "default_idle_timeout_ms",
        deserialize_with = "de_idle_timeout_ms"
    )]
    pub idle_timeout_ms: u64,
    /// Most connections served at once (default 512); further ones wait, unaccepted, until
    /// one closes.
    #[serde(
        default = "default_max_connections",
        deserialize_with = "de_max_connections"
    )]
    pub max_connections: u64,
    /// Deadline of a whole request body from the end of its head, in milliseconds
    /// (default 600000); past it the request fails with RequestTimeout.
    #[serde(
        default = "default_body_timeout_ms",
        deserialize_with = "de_body_timeout_ms"
    )]
    pub body_timeout_ms: u64,
    /// Longest wait for the next chunk of a request body, in milliseconds (default 30000).
    #[serde(
        default = "default_body_idle_timeout_ms",
        deserialize_with = "de_body_idle_timeout_ms"
    )]
    pub body_idle_timeout_ms: u64,
    /// Most processing jobs running at once (default: the number of CPUs); more wait.
    #[serde(
        default = "default_max_concurrent_jobs",
        deserialize_with = "de_max_concurrent_jobs"
    )]
    pub max_concurrent_jobs: u64,
    /// Decoded image memory all running jobs may use together, in bytes (default 2 GiB);
    /// jobs wait until their estimate fits, and one larger than the whole budget fails.
    #[serde(
        default = "default_processing_memory_bytes",
        deserialize_with = "de_processing_memory_bytes"
    )]
    pub processing_memory_bytes: u64,
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

    // ---- test-support API, request log, public exposure ----
    /// Whether the test-support API under `/_mock/` is served (`true`/`false`, or `"on"`/`"off"`);
    /// absent (the default) means on only while the server listens on a loopback address.
    #[serde(
        default,
        deserialize_with = "de_admin",
        skip_serializing_if = "Option::is_none"
    )]
    pub admin: Option<bool>,
    /// A token every `/_mock/` request must present as `Authorization: Bearer TOKEN`
    /// (default none).
    #[serde(
        default,
        deserialize_with = "de_admin_token",
        skip_serializing_if = "Option::is_none"
    )]
    pub admin_token: Option<AdminToken>,
    /// Longest `delay_ms` of a fault added through `POST /_mock/faults`, in ms (default 60000).
    #[serde(
        default = "default_max_fault_delay_ms",
        deserialize_with = "de_max_fault_delay_ms"
    )]
    pub max_fault_delay_ms: u64,
    /// Largest `times` of a fault added through `POST /_mock/faults` (default 10000).
    #[serde(
        default = "default_max_fault_times",
        deserialize_with = "de_max_fault_times"
    )]
    pub max_fault_times: u64,
    /// Most faults pending at once after `POST /_mock/faults` (default 1000).
    #[serde(
        default = "default_max_pending_faults",
        deserialize_with = "de_max_pending_faults"
    )]
    pub max_pending_faults: u64,
    /// Most requests kept in the request log; the oldest go first (default 10000).
    #[serde(
        default = "default_request_log_max_entries",
        deserialize_with = "de_request_log_max_entries"
    )]
    pub request_log_max_entries: u64,
    /// Byte budget of the request log (the text its entries hold); the oldest go first
    /// (default 8 MiB).
    #[serde(
        default = "default_request_log_max_bytes",
        deserialize_with = "de_request_log_max_bytes"
    )]
    pub request_log_max_bytes: u64,
    /// Longest path, query or header value kept in a log entry; longer ones are cut
    /// (default 2048).
    #[serde(
        default = "default_request_log_max_value_bytes",
        deserialize_with = "de_request_log_max_value_bytes"
    )]
    pub request_log_max_value_bytes: u64,
    /// Start on a non-loopback address even while the public development key is an account or
    /// `/_mock/` is on without a token (`cos-ci-mock --i-know-this-is-public`; default false).
    #[serde(default)]
    pub allow_public: bool,
}

/// An account: a key pair and, for a sub-user, its policy.
#[derive(Clone, Default, Deserialize, Serialize, PartialEq)]
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
    /// Temporary credentials: the security tokens (`x-cos-security-token`) this key pair is
    /// valid with, each until its expiry. When any is declared, every signed request of the
    /// account must carry one of them, unexpired (otherwise `InvalidAccessKeyId` /
    /// `ExpiredToken`); when none is declared (the default) any token, or none, is accepted.
    #[serde(
        default,
        deserialize_with = "de_session_tokens",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub session_tokens: Vec<SessionToken>,
}

/// A security token of temporary credentials (see [`Account::session_tokens`]).
#[derive(Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SessionToken {
    /// The token, as sent in `x-cos-security-token` (header, or query of a pre-signed URL).
    pub token: String,
    /// The last second it is valid, in Unix seconds (strict, no clock skew).
    pub expires_at: u64,
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionToken")
            .field("token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("secret_id", &self.secret_id)
            .field("secret_key", &"<redacted>")
            .field("name", &self.name)
            .field("policy", &self.policy)
            .field("session_tokens", &self.session_tokens)
            .finish()
    }
}

impl Account {
    /// Whether this is the published development key pair (`AKIDEXAMPLE` / `example-secret`),
    /// which anyone can sign with.
    pub fn uses_published_key(&self) -> bool {
        self.secret_id == DEFAULT_SECRET_ID && self.secret_key == DEFAULT_SECRET_KEY
    }

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
            max_signed_names: DEFAULT_MAX_SIGNED_NAMES,
            strict_signing: false,
            detect_url_hosts: Vec::new(),
            detect_url_max_bytes: DEFAULT_DETECT_URL_MAX_BYTES,
            detect_url_timeout_ms: DEFAULT_DETECT_URL_TIMEOUT_MS,
            max_object_bytes: DEFAULT_MAX_OBJECT_BYTES,
            header_read_timeout_ms: DEFAULT_HEADER_READ_TIMEOUT_MS,
            idle_timeout_ms: DEFAULT_IDLE_TIMEOUT_MS,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            body_timeout_ms: DEFAULT_BODY_TIMEOUT_MS,
            body_idle_timeout_ms: DEFAULT_BODY_IDLE_TIMEOUT_MS,
            max_concurrent_jobs: default_max_concurrent_jobs(),
            processing_memory_bytes: DEFAULT_PROCESSING_MEMORY_BYTES,
            min_part_bytes: DEFAULT_MIN_PART_BYTES,
            max_xml_body_bytes: DEFAULT_MAX_XML_BODY_BYTES,
            data_dir: None,

            admin: None,
            admin_token: None,
            max_fault_delay_ms: DEFAULT_MAX_FAULT_DELAY_MS,
            max_fault_times: DEFAULT_MAX_FAULT_TIMES,
            max_pending_faults: DEFAULT_MAX_PENDING_FAULTS,
            request_log_max_entries: DEFAULT_REQUEST_LOG_MAX_ENTRIES,
            request_log_max_bytes: DEFAULT_REQUEST_LOG_MAX_BYTES,
            request_log_max_value_bytes: DEFAULT_REQUEST_LOG_MAX_VALUE_BYTES,
            allow_public: false,
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
            check_session_tokens(&a.session_tokens)
                .map_err(|m| invalid(format!("accounts[{i}].session_tokens"), m))?;
        }
        check_accounts(&self.accounts).map_err(|m| invalid("accounts".into(), m))?;
        for (i, h) in self.detect_url_hosts.iter().enumerate() {
            parse_host_entry(h).map_err(|m| invalid(format!("detect_url_hosts[{i}]"), m))?;
        }
        for (field, v) in [
            ("detect_url_max_bytes", self.detect_url_max_bytes),
            ("detect_url_timeout_ms", self.detect_url_timeout_ms),
            ("max_object_bytes", self.max_object_bytes),
            ("max_signed_names", self.max_signed_names as u64),
            ("header_read_timeout_ms", self.header_read_timeout_ms),
            ("idle_timeout_ms", self.idle_timeout_ms),
            ("max_connections", self.max_connections),
            ("body_timeout_ms", self.body_timeout_ms),
            ("body_idle_timeout_ms", self.body_idle_timeout_ms),
            ("max_concurrent_jobs", self.max_concurrent_jobs),
            ("processing_memory_bytes", self.processing_memory_bytes),
            ("max_xml_body_bytes", self.max_xml_body_bytes),
        ] {
            check_nonzero(v).map_err(|m| invalid(field.into(), m))?;
        }
        self.validate_test_support()?;
        Ok(())
    }

    /// The default bucket: the first configured one.
    pub fn default_bucket(&self) -> &str {
        self.buckets.first().map_or(DEFAULT_BUCKET, String::as_str)
    }

    /// Makes `secret_id` / `secret_key` the bucket owner (the first account, no policy).
    ///
    /// Own credentials replace the published development account (`AKIDEXAMPLE` /
    /// `example-secret`, see [`Account::uses_published_key`]) and any account with the same
    /// SecretId; other accounts (sub-users of a config file) stay. This is what
    /// `cos-ci-mock --secret-id --secret-key` does.
    pub fn set_owner(&mut self, secret_id: impl Into<String>, secret_key: impl Into<String>) {
        let secret_id = secret_id.into();
        self.accounts
            .retain(|a| a.secret_id != secret_id && !a.uses_published_key());
        self.accounts.insert(
            0,
            Account {
                secret_id,
                secret_key: secret_key.into(),
                name: Some("owner".to_string()),
                ..Account::default()
            },
        );
    }

    /// The account with this SecretId.
    pub fn account(&self, secret_id: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.secret_id == secret_id)
    }

    /// Whether a detect-url on `host` (brackets around an IPv6 address optional) and `port`
    /// (the URL's effective port; `default_port` is its scheme's) may be fetched: an entry
    /// `"host"` allows only the scheme's default port, an entry `"host:port"` only that port.
    /// Host names compare case-insensitively, IP addresses as addresses. Where the name
    /// leads is checked when the fetch resolves it.
    pub fn detect_url_allowed(&self, host: &str, port: u16, default_port: u16) -> bool {
        let host = normalize_host(host);
        let ip = host.parse::<std::net::IpAddr>().ok();
        self.detect_url_hosts
            .iter()
            .any(|entry| match parse_host_entry(entry) {
                Ok((h, p)) => {
                    let h = normalize_host(h);
                    let same_host = match (ip, h.parse::<std::net::IpAddr>()) {
                        (Some(a), Ok(b)) => a == b,
                        _ => h.eq_ignore_ascii_case(host),
                    };
                    same_host && p.unwrap_or(default_port) == port
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
        session_tokens: Vec::new(),
    }]
}
fn default_true() -> bool {
    true
}
fn default_max_clock_skew_secs() -> u64 {
    DEFAULT_MAX_CLOCK_SKEW_SECS
}
fn default_max_signed_names() -> usize {
    DEFAULT_MAX_SIGNED_NAMES
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
fn default_header_read_timeout_ms() -> u64 {
    DEFAULT_HEADER_READ_TIMEOUT_MS
}
fn default_idle_timeout_ms() -> u64 {
    DEFAULT_IDLE_TIMEOUT_MS
}
fn default_max_connections() -> u64 {
    DEFAULT_MAX_CONNECTIONS
}
fn default_body_timeout_ms() -> u64 {
    DEFAULT_BODY_TIMEOUT_MS
}
fn default_body_idle_timeout_ms() -> u64 {
    DEFAULT_BODY_IDLE_TIMEOUT_MS
}
/// One job per CPU: processing is CPU-bound, so more would only share the same cores.
pub fn default_max_concurrent_jobs() -> u64 {
    std::thread::available_parallelism().map_or(1, |n| n.get() as u64)
}
fn default_processing_memory_bytes() -> u64 {
    DEFAULT_PROCESSING_MEMORY_BYTES
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

/// Tokens non-empty and listed once.
fn check_session_tokens(tokens: &[SessionToken]) -> Result<(), String> {
    let mut seen = HashSet::new();
    for (i, t) in tokens.iter().enumerate() {
        if t.token.is_empty() {
            return Err(format!("[{i}].token must not be empty"));
        }
        if !seen.insert(t.token.as_str()) {
            return Err(format!("[{i}].token is listed twice"));
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

fn de_max_signed_names<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    let v = usize::deserialize(d)?;
    check_nonzero(v as u64).map_err(|m| D::Error::custom(format!("max_signed_names {m}")))?;
    Ok(v)
}

fn de_session_tokens<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<SessionToken>, D::Error> {
    let v = Vec::<SessionToken>::deserialize(d)?;
    check_session_tokens(&v).map_err(|m| D::Error::custom(format!("session_tokens{m}")))?;
    Ok(v)
}

fn de_header_read_timeout_ms<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    de_nonzero(d, "header_read_timeout_ms")
}

fn de_idle_timeout_ms<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    de_nonzero(d, "idle_timeout_ms")
}

fn de_max_connections<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    de_nonzero(d, "max_connections")
}

fn de_body_timeout_ms<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    de_nonzero(d, "body_timeout_ms")
}

fn de_body_idle_timeout_ms<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    de_nonzero(d, "body_idle_timeout_ms")
}

fn de_max_concurrent_jobs<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    de_nonzero(d, "max_concurrent_jobs")
}

fn de_processing_memory_bytes<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    de_nonzero(d, "processing_memory_bytes")
}

// ---- test-support API, request log, public exposure ----

/// The `/_mock/` bearer token; its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AdminToken(String);

impl AdminToken {
    /// A token; [`Config::validate`] checks it is non-empty visible ASCII.
    pub fn new(token: impl Into<String>) -> Self {
        AdminToken(token.into())
    }

    /// The token itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdminToken(<redacted>)")
    }
}

/// Non-empty visible ASCII, so that it can travel in a header and be compared byte for byte.
fn check_admin_token(token: &str) -> Result<(), String> {
    if token.is_empty() {
        Err("must not be empty".into())
    } else if !token.bytes().all(|b| b.is_ascii_graphic()) {
        Err("must be visible ASCII without spaces (it travels in an Authorization header)".into())
    } else {
        Ok(())
    }
}

impl Config {
    /// The checks of the test-support and request-log fields (part of [`Config::validate`]).
    fn validate_test_support(&self) -> Result<(), ConfigError> {
        let invalid = |field: &str, message: String| ConfigError::Invalid {
            field: field.into(),
            message,
        };
        if let Some(token) = &self.admin_token {
            check_admin_token(token.expose()).map_err(|m| invalid("admin_token", m))?;
        }
        for (field, v) in [
            ("max_fault_delay_ms", self.max_fault_delay_ms),
            ("max_fault_times", self.max_fault_times),
            ("max_pending_faults", self.max_pending_faults),
            ("request_log_max_entries", self.request_log_max_entries),
            ("request_log_max_bytes", self.request_log_max_bytes),
            (
                "request_log_max_value_bytes",
                self.request_log_max_value_bytes,
            ),
        ] {
            check_nonzero(v).map_err(|m| invalid(field, m))?;
        }
        Ok(())
    }

    /// Whether `/_mock/` is served by a server bound to `addr`: the `admin` setting, or
    /// when it is absent, whether `addr` is a loopback address.
    pub fn admin_enabled_on(&self, addr: SocketAddr) -> bool {
        self.admin.unwrap_or_else(|| is_loopback(addr.ip()))
    }
}

/// Loopback, IPv4-mapped IPv6 loopback included.
pub(crate) fn is_loopback(ip: std::net::IpAddr) -> bool {
    ip.to_canonical().is_loopback()
}

fn default_max_fault_delay_ms() -> u64 {
    DEFAULT_MAX_FAULT_DELAY_MS
}
fn default_max_fault_times() -> u64 {
    DEFAULT_MAX_FAULT_TIMES
}
fn default_max_pending_faults() -> u64 {
    DEFAULT_MAX_PENDING_FAULTS
}
fn default_request_log_max_entries() -> u64 {
    DEFAULT_REQUEST_LOG_MAX_ENTRIES
}
fn default_request_log_max_bytes() -> u64 {
    DEFAULT_REQUEST_LOG_MAX_BYTES
}
fn default_request_log_max_value_bytes() -> u64 {
    DEFAULT_REQUEST_LOG_MAX_VALUE_BYTES
}

fn de_admin<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Switch {
        Bool(bool),
        Word(String),
    }
    match Option::<Switch>::deserialize(d)? {
        None => Ok(None),
        Some(Switch::Bool(b)) => Ok(Some(b)),
        Some(Switch::Word(w)) if w == "on" => Ok(Some(true)),
        Some(Switch::Word(w)) if w == "off" => Ok(Some(false)),
        Some(Switch::Word(w)) => Err(D::Error::custom(format!(
            "admin: expected true, false, \"on\" or \"off\", found {w:?}"
        ))),
    }
}

fn de_admin_token<'de, D: Deserializer<'de>>(d: D) -> Result<Option<AdminToken>, D::Error> {
    let token = Option::<String>::deserialize(d)?;
    if let Some(t) = &token {
        check_admin_token(t).map_err(|m| D::Error::custom(format!("admin_token {m}")))?;
    }
    Ok(token.map(AdminToken))
}

fn de_max_fault_delay_ms<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    de_nonzero(d, "max_fault_delay_ms")
}
fn de_max_fault_times<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    de_nonzero(d, "max_fault_times")
}
fn de_max_pending_faults<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    de_nonzero(d, "max_pending_faults")
}
fn de_request_log_max_entries<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    de_nonzero(d, "request_log_max_entries")
}
fn de_request_log_max_bytes<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    de_nonzero(d, "request_log_max_bytes")
}
fn de_request_log_max_value_bytes<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    de_nonzero(d, "request_log_max_value_bytes")
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
        assert_eq!(c.max_signed_names, 64);
        assert!(!c.strict_signing);
        assert!(owner.session_tokens.is_empty());
        assert!(owner.uses_published_key());
        assert!(c.detect_url_hosts.is_empty());
        assert!(!c.detect_url_allowed("127.0.0.1", 80, 80));
        assert_eq!(c.detect_url_max_bytes, 33_554_432);
        assert_eq!(c.detect_url_timeout_ms, 10_000);
        assert_eq!(c.max_object_bytes, 268_435_456);
        assert_eq!(c.header_read_timeout_ms, 30_000);
        assert_eq!(c.idle_timeout_ms, 60_000);
        assert_eq!(c.max_connections, 512);
        assert_eq!(c.body_timeout_ms, 600_000);
        assert_eq!(c.body_idle_timeout_ms, 30_000);
        assert_eq!(c.max_concurrent_jobs, default_max_concurrent_jobs());
        assert!(c.max_concurrent_jobs >= 1);
        assert_eq!(c.processing_memory_bytes, 2 << 30);
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
        assert_eq!(c.accounts.len(), 4);
        let temporary = c.account("AKIDTEMPORARYEXAMPLE").unwrap();
        assert_eq!(temporary.session_tokens.len(), 1);
        assert_eq!(temporary.session_tokens[0].expires_at, 4_102_444_800);
        assert!(!format!("{temporary:?}").contains("example-session-token"));
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

        assert!(c.detect_url_allowed("127.0.0.1", 80, 80));
        assert!(
            !c.detect_url_allowed("127.0.0.1", 8080, 80),
            "no port: default only"
        );
        assert!(!c.detect_url_allowed("localhost", 80, 80));
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
            "header_read_timeout_ms",
            "idle_timeout_ms",
            "max_connections",
            "body_timeout_ms",
            "body_idle_timeout_ms",
            "max_concurrent_jobs",
            "processing_memory_bytes",
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
        assert!(c.detect_url_allowed("127.0.0.1", 80, 80));
        assert!(c.detect_url_allowed("127.0.0.1", 443, 443));
        assert!(
            !c.detect_url_allowed("127.0.0.1", 1, 80),
            "no port: default only"
        );
        assert!(c.detect_url_allowed("images.example.COM", 8080, 80));
        assert!(c.detect_url_allowed("images.example.com.", 8080, 443));
        assert!(!c.detect_url_allowed("images.example.com", 80, 80));
        assert!(!c.detect_url_allowed("evil.images.example.com", 8080, 80));
        assert!(c.detect_url_allowed("[::1]", 9000, 80));
        assert!(c.detect_url_allowed("::1", 9000, 80));
        assert!(
            c.detect_url_allowed("0:0::1", 9000, 80),
            "addresses compare as addresses"
        );
        assert!(!c.detect_url_allowed("::1", 9001, 80));
        assert!(c.detect_url_allowed("[fe80::1]", 443, 443));
        assert!(!c.detect_url_allowed("[fe80::1]", 8443, 443));
        assert!(c.detect_url_allowed("::2", 80, 80));
        assert!(!c.detect_url_allowed("", 80, 80));
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
    fn set_owner_replaces_the_published_key_and_keeps_sub_users() {
        let mut c = Config::from_json(EXAMPLE).unwrap();
        c.set_owner("AKIDMINE", "mine");
        assert_eq!(c.accounts[0].secret_id, "AKIDMINE");
        assert_eq!(c.accounts[0].name.as_deref(), Some("owner"));
        assert!(c.accounts[0].policy.is_none());
        assert!(c.account(DEFAULT_SECRET_ID).is_none());
        assert!(c.account("AKIDREADEREXAMPLE").is_some());
        assert_eq!(c.accounts.len(), 4);
        c.validate().unwrap();
        // Again with the same id: replaced, not duplicated.
        c.set_owner("AKIDMINE", "other");
        assert_eq!(c.accounts.len(), 4);
        assert_eq!(c.account("AKIDMINE").unwrap().secret_key, "other");
        // The published id with another secret is not the published key, and stays.
        let mut c = Config::default();
        c.accounts[0].secret_key = "not-published".into();
        c.set_owner("AKIDMINE", "mine");
        assert!(c.account(DEFAULT_SECRET_ID).is_some());
        let mut c = Config::default();
        c.set_owner(DEFAULT_SECRET_ID, "changed");
        assert_eq!(c.accounts.len(), 1);
        assert!(!c.accounts[0].uses_published_key());
    }

    #[test]
    fn signing_fields_are_checked() {
        let (_, _, message) = parse_err(r#"{"max_signed_names": 0}"#);
        assert!(
            message.contains("max_signed_names") && message.contains("greater than 0"),
            "{message}"
        );
        let c = Config::from_json(r#"{"max_signed_names": 5, "strict_signing": true}"#).unwrap();
        assert_eq!((c.max_signed_names, c.strict_signing), (5, true));
        let (line, _, message) = parse_err(
            "{\"accounts\": [{\"secret_id\": \"A\", \"secret_key\": \"k\",\n\"session_tokens\": [{\"token\": \"\", \"expires_at\": 1}]}]}",
        );
        assert_eq!(line, 2);
        assert!(message.contains("session_tokens[0].token"), "{message}");
        let (_, _, message) = parse_err(
            r#"{"accounts": [{"secret_id": "A", "secret_key": "k", "session_tokens": [{"token": "t"}]}]}"#,
        );
        assert!(message.contains("missing field `expires_at`"), "{message}");
        let mut c = Config::default();
        c.accounts[0].session_tokens = vec![SessionToken::default()];
        let msg = c.validate().unwrap_err().to_string();
        assert!(msg.contains("accounts[0].session_tokens"), "{msg}");
        c.accounts[0].session_tokens.clear();
        c.max_signed_names = 0;
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("max_signed_names")
        );
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
