//! Credentials and where they come from: a static pair, the environment, a profile file, or
//! any async source (an STS call) behind [`ProvideCredentials`], cached by the client and
//! refreshed ahead of expiry.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use cos_ci_client::{Client, Credentials, credentials::provide_credentials_fn};
//!
//! // Temporary credentials from your own STS call, fetched again before they expire.
//! let provider = provide_credentials_fn(|| async {
//!     let expires = SystemTime::now() + Duration::from_secs(1800);
//!     Ok::<_, std::io::Error>(
//!         Credentials::new("AKIDtemporary", "secret").with_token("token").with_expiry(expires),
//!     )
//! });
//! let client = Client::builder()
//!     .region("ap-guangzhou")
//!     .bucket("examplebucket-1250000000")
//!     .credentials_provider(provider)
//!     .build()
//!     .unwrap();
//! # let _ = client;
//! ```

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

/// Environment variables the [`EnvironmentProvider`] and
/// [`ClientBuilder::from_env`](crate::ClientBuilder::from_env) read, Tencent's names first.
pub mod env {
    /// SecretId (Tencent Cloud's name, also read by tccli and the official SDKs).
    pub const SECRET_ID: &str = "TENCENTCLOUD_SECRET_ID";
    /// SecretKey.
    pub const SECRET_KEY: &str = "TENCENTCLOUD_SECRET_KEY";
    /// Security token of temporary credentials.
    pub const SESSION_TOKEN: &str = "TENCENTCLOUD_SESSION_TOKEN";
    /// Security token, tccli's name.
    pub const TOKEN: &str = "TENCENTCLOUD_TOKEN";
    /// SecretId, cos-ci's older name (read when [`SECRET_ID`] is unset).
    pub const COS_SECRET_ID: &str = "COS_SECRET_ID";
    /// SecretKey, cos-ci's older name.
    pub const COS_SECRET_KEY: &str = "COS_SECRET_KEY";
    /// Security token, cos-ci's older name.
    pub const COS_SECURITY_TOKEN: &str = "COS_SECURITY_TOKEN";
    /// Path of the credentials profile file (default `~/.config/cos-ci/credentials`).
    pub const CREDENTIALS_FILE: &str = "COS_CI_CREDENTIALS_FILE";
    /// Profile read from the credentials file (default `default`).
    pub const PROFILE: &str = "COS_CI_PROFILE";
}

/// A SecretId / SecretKey pair, with a security token and an expiry for temporary credentials.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Credentials {
    /// SecretId.
    pub secret_id: String,
    /// SecretKey.
    pub secret_key: String,
    /// `x-cos-security-token` of temporary credentials.
    pub token: Option<String>,
    /// When temporary credentials stop working; `None` for permanent ones.
    pub expires_at: Option<SystemTime>,
}

impl Credentials {
    /// Permanent credentials.
    pub fn new(secret_id: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Credentials {
            secret_id: secret_id.into(),
            secret_key: secret_key.into(),
            token: None,
            expires_at: None,
        }
    }

    /// Temporary credentials with their security token.
    #[must_use]
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// When these credentials expire; the client fetches new ones before then.
    #[must_use]
    pub fn with_expiry(mut self, expires_at: SystemTime) -> Self {
        self.expires_at = Some(expires_at);
        self
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("secret_id", &self.secret_id)
            .field("secret_key", &"<hidden>")
            .field("token", &self.token.as_ref().map(|_| "<hidden>"))
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Why no credentials could be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// The environment has no SecretId / SecretKey pair.
    #[error(
        "no credentials in the environment: set {} and {} (or {} and {})",
        env::SECRET_ID,
        env::SECRET_KEY,
        env::COS_SECRET_ID,
        env::COS_SECRET_KEY
    )]
    NotInEnvironment,
    /// The profile file could not be read or parsed.
    #[error("credentials file {path}: {reason}")]
    InvalidProfileFile {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// The profile file has no such profile, or it lacks a key.
    #[error("credentials file {path}: profile [{profile}] {reason}")]
    InvalidProfile {
        /// The file.
        path: PathBuf,
        /// The profile.
        profile: String,
        /// What was wrong.
        reason: String,
    },
    /// The credentials have expired and no fresh ones could be fetched.
    #[error("the credentials of {secret_id} have expired")]
    Expired {
        /// Whose.
        secret_id: String,
    },
    /// Credentials are not loaded yet and cannot be had without waiting: a pre-signed URL or a
    /// prepared request needs [`Client::load_credentials`](crate::Client::load_credentials)
    /// first when the provider is asynchronous.
    #[error("credentials are not loaded yet; await Client::load_credentials() before presigning")]
    NotLoaded,
    /// A provider (e.g. an STS call in a closure) failed.
    #[error("credentials provider failed: {0}")]
    Provider(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// What [`ProvideCredentials::provide_credentials`] returns.
pub type ProvideFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Credentials, CredentialsError>> + Send + 'a>>;

/// A source of credentials. The client caches what it returns and asks again only when the
/// cached credentials come within the refresh window of their expiry
/// ([`ClientBuilder::credentials_refresh_before`](crate::ClientBuilder::credentials_refresh_before));
/// concurrent callers share one refresh.
pub trait ProvideCredentials: Send + Sync + std::fmt::Debug {
    /// Fetches credentials.
    fn provide_credentials(&self) -> ProvideFuture<'_>;

    /// Credentials available at once, without I/O that may wait (static pairs, the
    /// environment): what pre-signing uses before the first request. `None` by default.
    fn credentials_now(&self) -> Option<Result<Credentials, CredentialsError>> {
        None
    }
}

/// A static pair never changes: the cache keeps it for ever.
impl ProvideCredentials for Credentials {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        let credentials = self.clone();
        Box::pin(async move { Ok(credentials) })
    }

    fn credentials_now(&self) -> Option<Result<Credentials, CredentialsError>> {
        Some(Ok(self.clone()))
    }
}

/// Credentials from the environment: `TENCENTCLOUD_SECRET_ID` / `TENCENTCLOUD_SECRET_KEY` /
/// `TENCENTCLOUD_SESSION_TOKEN` (or tccli's `TENCENTCLOUD_TOKEN`), else the `COS_*` names.
/// A pair is taken whole from one family, never mixed.
#[derive(Clone, Copy, Debug, Default)]
pub struct EnvironmentProvider;

impl EnvironmentProvider {
    /// The credentials in the environment now.
    pub fn load(&self) -> Result<Credentials, CredentialsError> {
        let tencent = pair(env::SECRET_ID, env::SECRET_KEY)
            .map(|c| with_token(c, &[env::SESSION_TOKEN, env::TOKEN]));
        let cos = || {
            pair(env::COS_SECRET_ID, env::COS_SECRET_KEY)
                .map(|c| with_token(c, &[env::COS_SECURITY_TOKEN]))
        };
        tencent
            .or_else(cos)
            .ok_or(CredentialsError::NotInEnvironment)
    }
}

pub(crate) fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn pair(id: &str, key: &str) -> Option<Credentials> {
    Some(Credentials::new(var(id)?, var(key)?))
}

fn with_token(mut credentials: Credentials, names: &[&str]) -> Credentials {
    credentials.token = names.iter().find_map(|n| var(n));
    credentials
}

impl ProvideCredentials for EnvironmentProvider {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        let result = self.load();
        Box::pin(async move { result })
    }

    fn credentials_now(&self) -> Option<Result<Credentials, CredentialsError>> {
        Some(self.load())
    }
}

/// Largest credentials file read.
const MAX_PROFILE_FILE_BYTES: u64 = 64 * 1024;

/// Credentials from a profile file: TOML with one table per profile.
///
/// ```toml
/// [default]
/// secret_id = "AKIDEXAMPLE"
/// secret_key = "example-secret"
///
/// [temporary]
/// secret_id = "AKIDtemp"
/// secret_key = "temp-secret"
/// token = "security-token"   # optional
/// ```
///
/// The file is `$COS_CI_CREDENTIALS_FILE`, else `$XDG_CONFIG_HOME/cos-ci/credentials`, else
/// `~/.config/cos-ci/credentials`; the profile is `$COS_CI_PROFILE`, else `default`.
#[derive(Clone, Debug)]
pub struct ProfileFileProvider {
    path: PathBuf,
    profile: String,
}

/// One profile of the file.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Profile {
    secret_id: Option<String>,
    secret_key: Option<String>,
    token: Option<String>,
}

impl ProfileFileProvider {
    /// Profile `profile` of the file at `path`.
    pub fn new(path: impl Into<PathBuf>, profile: impl Into<String>) -> Self {
        ProfileFileProvider {
            path: path.into(),
            profile: profile.into(),
        }
    }

    /// The file and profile the environment names (see the type's documentation); `None`
    /// when no file path can be made (no `HOME`).
    pub fn from_env() -> Option<Self> {
        let path = var(env::CREDENTIALS_FILE).map(PathBuf::from).or_else(|| {
            let config = var("XDG_CONFIG_HOME")
                .map(PathBuf::from)
                .or_else(|| var("HOME").map(|h| Path::new(&h).join(".config")))?;
            Some(config.join("cos-ci").join("credentials"))
        })?;
        let profile = var(env::PROFILE).unwrap_or_else(|| "default".to_string());
        Some(ProfileFileProvider::new(path, profile))
    }

    /// The file read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The profile read.
    pub fn profile(&self) -> &str {
        &self.profile
    }

    /// Reads the profile now.
    pub fn load(&self) -> Result<Credentials, CredentialsError> {
        use std::io::Read;
        let file_error = |reason: String| CredentialsError::InvalidProfileFile {
            path: self.path.clone(),
            reason,
        };
        let file = std::fs::File::open(&self.path).map_err(|e| file_error(e.to_string()))?;
        let mut text = String::new();
        // Bounded: a credentials file is a few lines; anything larger is not one.
        file.take(MAX_PROFILE_FILE_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(|e| file_error(e.to_string()))?;
        if text.len() as u64 > MAX_PROFILE_FILE_BYTES {
            return Err(file_error(format!(
                "larger than {MAX_PROFILE_FILE_BYTES} bytes"
            )));
        }
        let mut profiles: std::collections::BTreeMap<String, Profile> =
            toml::from_str(&text).map_err(|e| file_error(e.message().to_string()))?;
        let profile_error = |reason: &str| CredentialsError::InvalidProfile {
            path: self.path.clone(),
            profile: self.profile.clone(),
            reason: reason.to_string(),
        };
        let profile = profiles
            .remove(&self.profile)
            .ok_or_else(|| profile_error("is not in the file"))?;
        let id = profile
            .secret_id
            .filter(|v| !v.is_empty())
            .ok_or_else(|| profile_error("has no secret_id"))?;
        let key = profile
            .secret_key
            .filter(|v| !v.is_empty())
            .ok_or_else(|| profile_error("has no secret_key"))?;
        let mut credentials = Credentials::new(id, key);
        credentials.token = profile.token.filter(|v| !v.is_empty());
        Ok(credentials)
    }
}

impl ProvideCredentials for ProfileFileProvider {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        let result = self.load();
        Box::pin(async move { result })
    }

    fn credentials_now(&self) -> Option<Result<Credentials, CredentialsError>> {
        Some(self.load())
    }
}

/// A provider over an async closure, e.g. an STS call returning temporary credentials with
/// their expiry; made by [`provide_credentials_fn`].
pub struct ProvideCredentialsFn<F> {
    f: F,
}

impl<F> std::fmt::Debug for ProvideCredentialsFn<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProvideCredentialsFn")
    }
}

/// A provider calling `f` whenever the client needs fresh credentials. An error it returns
/// becomes [`CredentialsError::Provider`].
pub fn provide_credentials_fn<F, Fut, E>(f: F) -> ProvideCredentialsFn<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<Credentials, E>> + Send + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    ProvideCredentialsFn { f }
}

impl<F, Fut, E> ProvideCredentials for ProvideCredentialsFn<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<Credentials, E>> + Send + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        let future = (self.f)();
        Box::pin(async move {
            future
                .await
                .map_err(|e| CredentialsError::Provider(e.into()))
        })
    }
}

/// A provider shared between clients.
pub type SharedCredentialsProvider = Arc<dyn ProvideCredentials>;

/// The client's cache in front of a provider: answers from memory while the credentials are
/// outside the refresh window, refreshes once for all concurrent callers when they are not.
#[derive(Debug)]
pub(crate) struct CredentialsCache {
    provider: SharedCredentialsProvider,
    refresh_before: Duration,
    current: Mutex<Option<Arc<Credentials>>>,
    /// Held by the one caller refreshing (single flight).
    refreshing: tokio::sync::Mutex<()>,
}

impl CredentialsCache {
    pub(crate) fn new(provider: SharedCredentialsProvider, refresh_before: Duration) -> Self {
        CredentialsCache {
            provider,
            refresh_before,
            current: Mutex::new(None),
            refreshing: tokio::sync::Mutex::new(()),
        }
    }

    fn cached(&self) -> Option<Arc<Credentials>> {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn store(&self, credentials: Credentials) -> Arc<Credentials> {
        let credentials = Arc::new(credentials);
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = Some(credentials.clone());
        credentials
    }

    /// Whether `c` should be replaced now: inside the refresh window of its expiry.
    fn stale(&self, c: &Credentials) -> bool {
        c.expires_at
            .is_some_and(|at| SystemTime::now() + self.refresh_before >= at)
    }

    fn expired(c: &Credentials) -> bool {
        c.expires_at.is_some_and(|at| SystemTime::now() >= at)
    }

    /// Credentials without waiting: the cached ones while unexpired, else what the provider
    /// has at once (pre-signing and request preparation are synchronous).
    pub(crate) fn now(&self) -> Result<Arc<Credentials>, CredentialsError> {
        if let Some(c) = self.cached().filter(|c| !self.stale(c)) {
            return Ok(c);
        }
        match self.provider.credentials_now() {
            Some(result) => Ok(self.store(result?)),
            None => match self.cached() {
                Some(c) if !Self::expired(&c) => Ok(c),
                Some(c) => Err(CredentialsError::Expired {
                    secret_id: c.secret_id.clone(),
                }),
                None => Err(CredentialsError::NotLoaded),
            },
        }
    }

    /// The credentials to sign with now, refreshed first if they are due.
    pub(crate) async fn get(&self) -> Result<Arc<Credentials>, CredentialsError> {
        let cached = match self.cached() {
            // The hot path of every request: handed on as is, no second reference count.
            Some(c) if !self.stale(&c) => return Ok(c),
            cached => cached,
        };
        // Still valid but due: whoever is already refreshing will replace them; the rest go
        // on with the current ones instead of queueing behind the provider.
        let guard = match (&cached, self.refreshing.try_lock()) {
            (_, Ok(guard)) => guard,
            (Some(c), Err(_)) if !Self::expired(c) => return Ok(c.clone()),
            (_, Err(_)) => self.refreshing.lock().await,
        };
        // Someone may have refreshed while this caller waited for the lock.
        if let Some(c) = self.cached() {
            if !self.stale(&c) {
                return Ok(c);
            }
        }
        let result = self.provider.provide_credentials().await;
        drop(guard);
        match result {
            // Signing with a pair already expired would only earn an ExpiredToken answer.
            Ok(fresh) if Self::expired(&fresh) => Err(CredentialsError::Expired {
                secret_id: fresh.secret_id,
            }),
            Ok(fresh) => Ok(self.store(fresh)),
            Err(error) => match self.cached() {
                // A failed refresh ahead of expiry is not fatal: the old pair still works.
                Some(c) if !Self::expired(&c) => {
                    tracing::warn!(%error, "credentials refresh failed; using the current ones until they expire");
                    Ok(c)
                }
                _ => Err(error),
            },
        }
    }
}
