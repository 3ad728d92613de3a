//! Client configuration: where to send requests, as whom, and how patiently.

use std::sync::Arc;
use std::time::Duration;

use crate::credentials::{
    self, Credentials, EnvironmentProvider, ProfileFileProvider, ProvideCredentials,
    SharedCredentialsProvider,
};
use crate::error::{ConfigError, Error};
use crate::retry::RetryPolicy;

/// Environment variables [`ClientBuilder::from_env`] reads; the credential variables are in
/// [`credentials::env`].
pub mod env {
    pub use crate::credentials::env::*;
    /// Region, e.g. `ap-guangzhou` (Tencent Cloud's name).
    pub const TENCENTCLOUD_REGION: &str = "TENCENTCLOUD_REGION";
    /// Region, cos-ci's older name (read when [`TENCENTCLOUD_REGION`] is unset).
    pub const REGION: &str = "COS_REGION";
    /// Bucket, `<name>-<APPID>`.
    pub const BUCKET: &str = "COS_BUCKET";
    /// Endpoint override, e.g. `http://127.0.0.1:9000` (optional).
    pub const ENDPOINT: &str = "COS_ENDPOINT";
    /// Domain style: `myqcloud` (default), `tencentcos`, `accelerate`, or a custom domain name.
    pub const DOMAIN: &str = "COS_DOMAIN";
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

/// The host names a bucket is reached at, as the official SDKs build them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Domain {
    /// `<bucket>.cos.<region>.myqcloud.com` (the default).
    #[default]
    MyQcloud,
    /// `<bucket>.cos.<region>.tencentcos.cn`.
    TencentCos,
    /// Global acceleration: `<bucket>.cos.accelerate.myqcloud.com`.
    Accelerate,
    /// A custom domain bound to the bucket, e.g. `images.example.com`: sent (and signed) as
    /// `Host`, and connected to unless an endpoint is set.
    Custom(String),
}

impl Domain {
    /// Reads `myqcloud`, `tencentcos`, `accelerate`, or anything else as a custom domain.
    pub fn parse(text: &str) -> Self {
        match text.trim().to_ascii_lowercase().as_str() {
            "" | "myqcloud" | "myqcloud.com" => Domain::MyQcloud,
            "tencentcos" | "tencentcos.cn" => Domain::TencentCos,
            "accelerate" => Domain::Accelerate,
            _ => Domain::Custom(text.trim().to_string()),
        }
    }
}

/// How long a call may wait, overridable per call with
/// [`Client::with_timeouts`](crate::Client::with_timeouts).
///
/// A call is a *transfer* when it moves an object or an image: uploads, downloads, processing
/// during download and upon upload. Transfers have no overall deadline by default, so a large
/// object takes the time it needs; the read timeout still stops one that stalls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Longest wait for the next byte, in either direction, and for the answer's headers
    /// after the request is sent (default 60 s). `None`: wait for ever.
    pub read: Option<Duration>,
    /// Deadline of a call that is not a transfer (HEAD, DELETE, cloud processing), retries
    /// included (default 120 s). `None`: no deadline.
    pub deadline: Option<Duration>,
    /// Deadline of a transfer, retries and reading a streamed answer included (default
    /// `None`).
    pub transfer_deadline: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            read: Some(Duration::from_secs(60)),
            deadline: Some(Duration::from_secs(120)),
            transfer_deadline: None,
        }
    }
}

impl Timeouts {
    /// Sets [`Timeouts::read`].
    #[must_use]
    pub fn with_read(mut self, read: Option<Duration>) -> Self {
        self.read = read;
        self
    }

    /// Sets [`Timeouts::deadline`].
    #[must_use]
    pub fn with_deadline(mut self, deadline: Option<Duration>) -> Self {
        self.deadline = deadline;
        self
    }

    /// Sets [`Timeouts::transfer_deadline`].
    #[must_use]
    pub fn with_transfer_deadline(mut self, deadline: Option<Duration>) -> Self {
        self.transfer_deadline = deadline;
        self
    }

    /// The deadline of a call, by whether it is a transfer.
    pub(crate) fn deadline_for(&self, transfer: bool) -> Option<Duration> {
        if transfer {
            self.transfer_deadline
        } else {
            self.deadline
        }
    }
}

/// Everything a [`Client`](crate::Client) needs; build it with [`ClientBuilder`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Config {
    /// Region, e.g. `ap-guangzhou`.
    pub region: String,
    /// Bucket, `<name>-<APPID>`.
    pub bucket: String,
    /// Where credentials come from; the client caches them.
    pub credentials: SharedCredentialsProvider,
    /// Cached credentials are refreshed when they expire within this (default 5 min).
    pub credentials_refresh_before: Duration,
    /// `https` (default) or `http`.
    pub scheme: String,
    /// The bucket's host names.
    pub domain: Domain,
    /// Connect here instead of the bucket host, keeping the virtual-hosted `Host` header
    /// (what the official SDKs' IP mode does), e.g. `http://127.0.0.1:9000`.
    pub endpoint: Option<String>,
    /// Connect timeout of the default HTTP client (default 10 s); a client passed with
    /// [`ClientBuilder::http_client`] keeps its own.
    pub connect_timeout: Duration,
    /// Read timeout and deadlines.
    pub timeouts: Timeouts,
    /// Retries.
    pub retry: RetryPolicy,
    /// How long signatures stay valid.
    pub signature_validity: Duration,
    /// Largest answer buffered in memory (streaming calls are not bounded).
    pub max_response_bytes: u64,
    /// Signing clock.
    pub clock: Clock,
    /// The HTTP client to use instead of the default one.
    pub http_client: Option<reqwest::Client>,
}

/// Builds a [`Client`](crate::Client).
///
/// ```
/// use std::time::Duration;
/// use cos_ci_client::{Client, Credentials, Domain};
///
/// let client = Client::builder()
///     .region("ap-guangzhou")
///     .bucket("examplebucket-1250000000")
///     .credentials(Credentials::new("AKIDEXAMPLE", "example-secret"))
///     .read_timeout(Duration::from_secs(30))
///     .build()
///     .unwrap();
/// assert_eq!(client.host(), "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com");
///
/// let accelerated = Client::builder()
///     .region("ap-guangzhou")
///     .bucket("examplebucket-1250000000")
///     .credentials(Credentials::new("AKIDEXAMPLE", "example-secret"))
///     .domain(Domain::Accelerate)
///     .build()
///     .unwrap();
/// assert_eq!(accelerated.host(), "examplebucket-1250000000.cos.accelerate.myqcloud.com");
/// ```
#[derive(Clone, Debug, Default)]
pub struct ClientBuilder {
    region: Option<String>,
    bucket: Option<String>,
    credentials: Option<SharedCredentialsProvider>,
    credentials_refresh_before: Option<Duration>,
    scheme: Option<String>,
    domain: Option<Domain>,
    endpoint: Option<String>,
    connect_timeout: Option<Duration>,
    timeouts: Timeouts,
    retry: Option<RetryPolicy>,
    signature_validity: Option<Duration>,
    max_response_bytes: Option<u64>,
    clock: Option<Clock>,
    http_client: Option<reqwest::Client>,
}

impl ClientBuilder {
    /// Starts from the environment (see [`env`](mod@env)): region from `TENCENTCLOUD_REGION` or
    /// `COS_REGION`, bucket, endpoint and domain from `COS_BUCKET`, `COS_ENDPOINT` and
    /// `COS_DOMAIN`; credentials from the environment ([`EnvironmentProvider`]), else from
    /// the credentials file when it exists ([`ProfileFileProvider`]). Anything missing can
    /// still be set.
    pub fn from_env() -> Self {
        let var = credentials::var;
        let credentials: Option<SharedCredentialsProvider> = match EnvironmentProvider.load() {
            Ok(c) => Some(Arc::new(c)),
            Err(_) => ProfileFileProvider::from_env()
                .filter(|p| p.path().is_file())
                .map(|p| Arc::new(p) as SharedCredentialsProvider),
        };
        ClientBuilder {
            region: var(env::TENCENTCLOUD_REGION).or_else(|| var(env::REGION)),
            bucket: var(env::BUCKET),
            endpoint: var(env::ENDPOINT),
            domain: var(env::DOMAIN).map(|d| Domain::parse(&d)),
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

    /// Static credentials.
    #[must_use]
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(Arc::new(credentials));
        self
    }

    /// A credentials provider ([`crate::credentials`]): asked when the client has none
    /// cached or they are about to expire.
    #[must_use]
    pub fn credentials_provider(mut self, provider: impl ProvideCredentials + 'static) -> Self {
        self.credentials = Some(Arc::new(provider));
        self
    }

    /// A credentials provider shared with other clients.
    #[must_use]
    pub fn shared_credentials_provider(mut self, provider: SharedCredentialsProvider) -> Self {
        self.credentials = Some(provider);
        self
    }

    /// Refresh cached credentials when they expire within `window` (default 5 min).
    #[must_use]
    pub fn credentials_refresh_before(mut self, window: Duration) -> Self {
        self.credentials_refresh_before = Some(window);
        self
    }

    /// `https` (default) or `http`.
    #[must_use]
    pub fn scheme(mut self, scheme: impl Into<String>) -> Self {
        self.scheme = Some(scheme.into());
        self
    }

    /// The bucket's host names (default [`Domain::MyQcloud`]).
    #[must_use]
    pub fn domain(mut self, domain: Domain) -> Self {
        self.domain = Some(domain);
        self
    }

    /// Connects to `endpoint` (e.g. `http://127.0.0.1:9000`) but keeps the bucket's `Host`.
    #[must_use]
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Connect timeout of the default HTTP client (default 10 s).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Longest wait for the next byte (default 60 s); see [`Timeouts::read`].
    #[must_use]
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.read = Some(timeout);
        self
    }

    /// Deadline of calls that are not transfers (default 120 s); see [`Timeouts::deadline`].
    #[must_use]
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.timeouts.deadline = Some(deadline);
        self
    }

    /// Deadline of transfers (default none); see [`Timeouts::transfer_deadline`].
    #[must_use]
    pub fn transfer_deadline(mut self, deadline: Duration) -> Self {
        self.timeouts.transfer_deadline = Some(deadline);
        self
    }

    /// One deadline for every call, transfers included: sets both
    /// [`deadline`](Self::deadline) and [`transfer_deadline`](Self::transfer_deadline).
    #[must_use]
    pub fn request_timeout(self, timeout: Duration) -> Self {
        self.deadline(timeout).transfer_deadline(timeout)
    }

    /// All of [`Timeouts`] at once.
    #[must_use]
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
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

    /// Sends through `client` (proxies, custom CA, a pool shared with the application)
    /// instead of the default one. The client should not follow redirects; its own
    /// timeouts and User-Agent apply, [`connect_timeout`](Self::connect_timeout) does not.
    #[must_use]
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// The configuration, checked.
    pub fn config(self) -> Result<Config, ConfigError> {
        let region = self.region.ok_or(ConfigError::MissingRegion)?;
        let bucket = self.bucket.ok_or(ConfigError::MissingBucket)?;
        let credentials = self.credentials.ok_or(ConfigError::MissingCredentials)?;
        if region.is_empty()
            || !region
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(ConfigError::InvalidRegion { region });
        }
        if !cos_ci_validate::is_bucket_name(&bucket) {
            return Err(ConfigError::InvalidBucket { bucket });
        }
        let scheme = self.scheme.unwrap_or_else(|| "https".to_string());
        if scheme != "https" && scheme != "http" {
            return Err(ConfigError::InvalidScheme { scheme });
        }
        let domain = self.domain.unwrap_or_default();
        if let Domain::Custom(name) = &domain {
            let ok = !name.is_empty()
                && name.len() <= 253
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':'));
            if !ok {
                return Err(ConfigError::InvalidDomain {
                    domain: name.clone(),
                });
            }
        }
        let endpoint = match self.endpoint {
            Some(e) => {
                let invalid = |reason: String| ConfigError::InvalidEndpoint {
                    endpoint: e.clone(),
                    reason,
                };
                let url = reqwest::Url::parse(&e).map_err(|err| invalid(err.to_string()))?;
                if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                    return Err(invalid("not an http(s) URL".to_string()));
                }
                Some(e.trim_end_matches('/').to_string())
            }
            None => None,
        };
        Ok(Config {
            region,
            bucket,
            credentials,
            credentials_refresh_before: self
                .credentials_refresh_before
                .unwrap_or(Duration::from_secs(300)),
            scheme,
            domain,
            endpoint,
            connect_timeout: self.connect_timeout.unwrap_or(Duration::from_secs(10)),
            timeouts: self.timeouts,
            retry: self.retry.unwrap_or_default(),
            signature_validity: self.signature_validity.unwrap_or(Duration::from_secs(3600)),
            max_response_bytes: self.max_response_bytes.unwrap_or(256 * 1024 * 1024),
            clock: self.clock.unwrap_or(Clock::System),
            http_client: self.http_client,
        })
    }

    /// The client.
    pub fn build(self) -> Result<crate::Client, Error> {
        crate::Client::new(self.config()?)
    }
}
