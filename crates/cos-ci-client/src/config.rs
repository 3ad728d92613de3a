//! Client configuration: where to send requests, as whom, and how patiently.

use std::time::Duration;

use crate::Error;
use crate::retry::RetryPolicy;

/// Environment variables [`ClientBuilder::from_env`] reads.
pub mod env {
    /// SecretId.
    pub const SECRET_ID: &str = "COS_SECRET_ID";
    /// SecretKey.
    pub const SECRET_KEY: &str = "COS_SECRET_KEY";
    /// Security token of temporary credentials (optional).
    pub const SECURITY_TOKEN: &str = "COS_SECURITY_TOKEN";
    /// Region, e.g. `ap-guangzhou`.
    pub const REGION: &str = "COS_REGION";
    /// Bucket, `<name>-<APPID>`.
    pub const BUCKET: &str = "COS_BUCKET";
    /// Endpoint override, e.g. `http://127.0.0.1:9000` (optional).
    pub const ENDPOINT: &str = "COS_ENDPOINT";
}

/// A SecretId / SecretKey pair, with a security token for temporary credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// SecretId.
    pub secret_id: String,
    /// SecretKey.
    pub secret_key: String,
    /// `x-cos-security-token` of temporary credentials.
    pub token: Option<String>,
}

impl Credentials {
    /// Permanent credentials.
    pub fn new(secret_id: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Credentials {
            secret_id: secret_id.into(),
            secret_key: secret_key.into(),
            token: None,
        }
    }

    /// Temporary credentials with their security token.
    #[must_use]
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("secret_id", &self.secret_id)
            .field("secret_key", &"<hidden>")
            .field("token", &self.token.as_ref().map(|_| "<hidden>"))
            .finish()
    }
}

/// Where signing times come from: the system clock, or a fixed instant (tests, snapshots).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// The system clock.
    System,
    /// Always this Unix time in seconds.
    Fixed(u64),
}

impl Clock {
    /// Now, in Unix seconds.
    pub fn now(self) -> u64 {
        match self {
            Clock::System => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            Clock::Fixed(t) => t,
        }
    }
}

/// Everything a [`Client`](crate::Client) needs; build it with [`ClientBuilder`].
#[derive(Clone, Debug)]
pub struct Config {
    /// Region, e.g. `ap-guangzhou`.
    pub region: String,
    /// Bucket, `<name>-<APPID>`.
    pub bucket: String,
    /// Credentials.
    pub credentials: Credentials,
    /// `https` (default) or `http`.
    pub scheme: String,
    /// Connect here instead of the bucket host, keeping the virtual-hosted `Host` header
    /// (what the official SDKs' IP mode does), e.g. `http://127.0.0.1:9000`.
    pub endpoint: Option<String>,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Timeout of one attempt.
    pub request_timeout: Duration,
    /// Retries.
    pub retry: RetryPolicy,
    /// How long signatures stay valid.
    pub signature_validity: Duration,
    /// Largest answer buffered in memory (streaming calls are not bounded).
    pub max_response_bytes: u64,
    /// Signing clock.
    pub clock: Clock,
}

/// Builds a [`Client`](crate::Client).
///
/// ```
/// use cos_ci_client::{Client, Credentials};
///
/// let client = Client::builder()
///     .region("ap-guangzhou")
///     .bucket("examplebucket-1250000000")
///     .credentials(Credentials::new("AKIDEXAMPLE", "example-secret"))
///     .endpoint("http://127.0.0.1:9000")
///     .build()
///     .unwrap();
/// assert_eq!(client.host(), "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com");
/// ```
#[derive(Clone, Debug, Default)]
pub struct ClientBuilder {
    region: Option<String>,
    bucket: Option<String>,
    credentials: Option<Credentials>,
    scheme: Option<String>,
    endpoint: Option<String>,
    connect_timeout: Option<Duration>,
    request_timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    signature_validity: Option<Duration>,
    max_response_bytes: Option<u64>,
    clock: Option<Clock>,
}

impl ClientBuilder {
    /// Starts from the environment variables in [`env`]; anything missing can still be set.
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let credentials = match (var(env::SECRET_ID), var(env::SECRET_KEY)) {
            (Some(id), Some(key)) => Some(Credentials {
                secret_id: id,
                secret_key: key,
                token: var(env::SECURITY_TOKEN),
            }),
            _ => None,
        };
        ClientBuilder {
            region: var(env::REGION),
            bucket: var(env::BUCKET),
            endpoint: var(env::ENDPOINT),
            credentials,
            ..ClientBuilder::default()
        }
    }

    /// The region.
    #[must_use]
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The bucket, `<name>-<APPID>`.
    #[must_use]
    pub fn bucket(mut self, bucket: impl Into<String>) -> Self {
        self.bucket = Some(bucket.into());
        self
    }

    /// The credentials.
    #[must_use]
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// `https` (default) or `http`.
    #[must_use]
    pub fn scheme(mut self, scheme: impl Into<String>) -> Self {
        self.scheme = Some(scheme.into());
        self
    }

    /// Connects to `endpoint` (e.g. `http://127.0.0.1:9000`) but keeps the bucket's `Host`.
    #[must_use]
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Connect timeout (default 10 s).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Timeout of one attempt (default 120 s).
    #[must_use]
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]).
    #[must_use]
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// How long request signatures stay valid (default 1 hour).
    #[must_use]
    pub fn signature_validity(mut self, validity: Duration) -> Self {
        self.signature_validity = Some(validity);
        self
    }

    /// Largest answer buffered in memory (default 256 MiB).
    #[must_use]
    pub fn max_response_bytes(mut self, max: u64) -> Self {
        self.max_response_bytes = Some(max);
        self
    }

    /// Signs as if it were always `unix_seconds` (tests and snapshots).
    #[must_use]
    pub fn fixed_time(mut self, unix_seconds: u64) -> Self {
        self.clock = Some(Clock::Fixed(unix_seconds));
        self
    }

    /// The configuration, checked.
    pub fn config(self) -> Result<Config, Error> {
        let missing = |what: &str, var: &str| {
            Error::Config(format!("no {what}: set it on the builder or in {var}"))
        };
        let region = self.region.ok_or_else(|| missing("region", env::REGION))?;
        let bucket = self.bucket.ok_or_else(|| missing("bucket", env::BUCKET))?;
        let credentials = self.credentials.ok_or_else(|| {
            missing(
                "credentials",
                &format!("{} / {}", env::SECRET_ID, env::SECRET_KEY),
            )
        })?;
        if region.is_empty()
            || !region
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(Error::Config(format!(
                "region {region:?} is not a region name"
            )));
        }
        if !cos_ci_validate::is_bucket_name(&bucket) {
            return Err(Error::Config(format!(
                "bucket {bucket:?} is not <name>-<APPID>"
            )));
        }
        let scheme = self.scheme.unwrap_or_else(|| "https".to_string());
        if scheme != "https" && scheme != "http" {
            return Err(Error::Config(format!(
                "scheme {scheme:?} is not http or https"
            )));
        }
        let endpoint = match self.endpoint {
            Some(e) => {
                let url = reqwest::Url::parse(&e)
                    .map_err(|err| Error::Config(format!("endpoint {e:?}: {err}")))?;
                if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                    return Err(Error::Config(format!(
                        "endpoint {e:?} is not an http(s) URL"
                    )));
                }
                Some(e.trim_end_matches('/').to_string())
            }
            None => None,
        };
        Ok(Config {
            region,
            bucket,
            credentials,
            scheme,
            endpoint,
            connect_timeout: self.connect_timeout.unwrap_or(Duration::from_secs(10)),
            request_timeout: self.request_timeout.unwrap_or(Duration::from_secs(120)),
            retry: self.retry.unwrap_or_default(),
            signature_validity: self.signature_validity.unwrap_or(Duration::from_secs(3600)),
            max_response_bytes: self.max_response_bytes.unwrap_or(256 * 1024 * 1024),
            clock: self.clock.unwrap_or(Clock::System),
        })
    }

    /// The client.
    pub fn build(self) -> Result<crate::Client, Error> {
        crate::Client::new(self.config()?)
    }
}
