//! A local emulator of Tencent Cloud COS + Cloud Infinite (CI) image processing, generated
//! from the cos-ci spec, for tests.
//!
//! It serves objects (PUT, GET with Range, HEAD, DELETE) and every `ci-process` operation in
//! the spec in all three modes — during download, upon upload (`Pic-Operations`) and in the
//! cloud (`POST ?image_process`) — with real, deterministic pixel work standing in for the AI.
//! Requests are signature-checked and permission-checked by default, exactly as the official
//! SDKs sign them, so they can be pointed at it unmodified.
//!
//! ```no_run
//! # async fn run() -> Result<(), cos_ci_mock::MockError> {
//! let server = cos_ci_mock::MockServer::start().await?;
//! println!("{} bucket {} as {}", server.endpoint(), server.bucket(), server.secret_id());
//! // ... point a client at server.endpoint() ...
//! assert!(server.requests().iter().all(|r| r.status < 500));
//! # Ok(()) }
//! ```
//!
//! # In a downstream test
//!
//! A test that only starts [`MockServer`] needs neither the `cos-ci-mock` command (`bin`:
//! clap, tracing-subscriber) nor the detect-url fetcher (`detect-url`: an HTTP client; without
//! it a `detect-url` request answers 501 NotImplemented naming the feature):
//!
//! ```toml
//! [dev-dependencies]
//! cos-ci-mock = { version = "0.1", default-features = false }
//!
//! # The image stand-ins are generic code, ~25x slower unoptimised: without this one
//! # AISuperResolution x2 of a 1024 px image takes seconds in a debug test, not a fraction.
//! [profile.dev.package."*"]
//! opt-level = 1
//! ```
//!
//! `bench/RESULTS.md` section 10 has the measured figures (`examples/debug_timing.rs`).

mod addressing;
mod admin;
mod auth;
mod bucket;
mod builder;
pub mod config;
mod copy;
mod delete_objects;
mod detect_url;
mod digest;
mod error;
mod exposure;
#[cfg(test)]
mod fuzz_tests;
mod generic;
mod http;
#[rustfmt::skip]
mod generated;
mod listen;
mod modes;
mod multipart;
mod object;
pub mod policy;
mod processing;
pub mod processors;
mod random;
mod request_log;
pub mod route;
mod server;
mod state;
pub mod storage;
mod xml;

use std::net::SocketAddr;
use std::sync::Arc;

pub use builder::{MockOperation, MockServerBuilder};
pub use config::{Account, Config, ConfigError};
#[doc(hidden)]
pub use processing::JobCounts;
pub use request_log::RecordedRequest;
pub use route::{StandInFn, StandInInput};
pub use state::Fault;
use state::MockState;
pub use storage::Storage;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum MockError {
    /// The configuration is not valid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The data directory could not be opened.
    #[error("data directory: {0}")]
    Storage(#[from] storage::StorageError),
    /// The client that fetches detect-url sources could not be built (boxed, so the HTTP
    /// client's error type is no part of this API and the variant exists with or without the
    /// `detect-url` feature).
    #[error("cannot build the detect-url client: {0}")]
    DetectUrlClient(Box<dyn std::error::Error + Send + Sync>),
    /// An operation registered on the builder cannot be served: its name is taken, or its
    /// stand-in is not one the mock has.
    #[error("operation: {0}")]
    Operation(String),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// A running mock server; it stops when dropped.
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    state: Arc<MockState>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl MockServer {
    /// Starts a server with the default configuration (the development credentials, bucket
    /// `examplebucket-1250000000`, memory storage) on a free loopback port.
    pub async fn start() -> Result<Self, MockError> {
        let config = Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            ..Config::default()
        };
        Self::start_with(config).await
    }

    /// Starts a server with `config` (its `listen` address may use port 0).
    pub async fn start_with(config: Config) -> Result<Self, MockError> {
        let listener = bind(&config).await?;
        Self::serve(config, listener).await
    }

    /// A builder: the configuration and operations of the user's own besides the built-in
    /// ones ([`MockOperation`]).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), cos_ci_mock::MockError> {
    /// let spec = cos_ci_validate::find_operation("DetectFace").unwrap();
    /// let server = cos_ci_mock::MockServer::builder()
    ///     .operation(cos_ci_mock::MockOperation::with_stand_in(spec, |_| Ok(b"<Response/>".to_vec())))
    ///     .start()
    ///     .await;
    /// // DetectFace is built in: a second operation of one name is refused.
    /// assert!(matches!(server, Err(cos_ci_mock::MockError::Operation(_))));
    /// # Ok(()) }
    /// ```
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::default()
    }

    /// Starts a server with `config` on an already bound listener.
    pub async fn serve(
        config: Config,
        listener: tokio::net::TcpListener,
    ) -> Result<Self, MockError> {
        Self::serve_routes(
            config,
            listener,
            route::Routes::new(Vec::new()).map_err(MockError::Operation)?,
        )
        .await
    }

    /// Starts a server with `config` serving `routes` on an already bound listener.
    async fn serve_routes(
        config: Config,
        listener: tokio::net::TcpListener,
        routes: route::Routes,
    ) -> Result<Self, MockError> {
        config.validate()?;
        let storage = match &config.data_dir {
            Some(dir) => Storage::open_dir(dir.clone()).await?,
            None => Storage::memory(),
        };
        // The configured buckets exist from the start (again after a DELETE Bucket and a
        // restart: the configuration says so).
        for bucket in &config.buckets {
            storage.create_bucket(bucket).await?;
        }
        let addr = listener.local_addr().map_err(|source| MockError::Bind {
            addr: config.listen,
            source,
        })?;
        // The address actually bound (port 0 resolved), so detect-url can refuse the mock itself
        // and `/_mock/` is decided from it.
        let config = Config {
            listen: addr,
            ..config
        };
        let state = Arc::new(MockState::new(config, storage, routes)?);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(listen::run(listener, state.clone(), rx));
        Ok(MockServer {
            addr,
            state,
            shutdown: Some(tx),
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every operation the server serves: the built-ins, then those registered on its
    /// builder.
    pub fn operations(&self) -> Vec<&'static cos_ci_validate::OpSpec> {
        self.state.routes.specs()
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.state.config
    }

    /// The default bucket.
    pub fn bucket(&self) -> &str {
        self.state.config.default_bucket()
    }

    /// The region.
    pub fn region(&self) -> &str {
        &self.state.config.region
    }

    /// The SecretId of the first account.
    pub fn secret_id(&self) -> &str {
        self.state
            .config
            .accounts
            .first()
            .map_or("", |a| a.secret_id.as_str())
    }

    /// The SecretKey of the first account.
    pub fn secret_key(&self) -> &str {
        self.state
            .config
            .accounts
            .first()
            .map_or("", |a| a.secret_key.as_str())
    }

    /// The objects, for direct inspection in tests.
    pub fn storage(&self) -> &Storage {
        &self.state.storage
    }

    /// Every request still in the log, oldest first: the same entries as `GET /_mock/requests`
    /// (secrets redacted, long values cut, the oldest evicted past `request_log_max_entries`
    /// or `request_log_max_bytes`), whether or not the HTTP test API is on.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests()
    }

    /// Whether the HTTP test API under `/_mock/` is served (this type's methods work either
    /// way).
    pub fn admin_enabled(&self) -> bool {
        self.state.admin_enabled
    }

    /// Injects a fault into the next matching requests. Unlike `POST /_mock/faults`, any
    /// `times`, `delay_ms`, `status` and number of pending faults are accepted: the test
    /// calling this decides.
    pub fn inject_fault(&self, fault: Fault) {
        self.state.inject(fault);
    }

    /// Processing jobs started, finished and stopped by cancellation so far (test support).
    #[doc(hidden)]
    pub fn job_counts(&self) -> processing::JobCounts {
        self.state.jobs.counts()
    }

    /// Forgets every object, the request log and pending faults.
    pub async fn reset(&self) -> Result<(), storage::StorageError> {
        self.state.storage.clear().await?;
        self.state.clear();
        Ok(())
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Binds `config.listen`.
pub async fn bind(config: &Config) -> Result<tokio::net::TcpListener, MockError> {
    tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| MockError::Bind {
            addr: config.listen,
            source,
        })
}
