//! The server's shared state: configuration, storage, the request log and injected faults.

#[cfg(feature = "detect-url")]
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use cos_ci_validate::Mode;
use serde::{Deserialize, Serialize};

use crate::config::Config;
#[cfg(feature = "detect-url")]
use crate::detect_url::{self, Pins};
use crate::processing::JobBudget;
use crate::request_log::RequestLog;
use crate::route::Routes;
use crate::storage::Storage;

pub use crate::request_log::RecordedRequest;

/// A fault to inject into the next `times` requests that match.
///
/// Added through `POST /_mock/faults`, `times`, `delay_ms` and the number of pending faults
/// are capped (config `max_fault_times`, `max_fault_delay_ms`, `max_pending_faults`) and
/// `status` must be 400–599; [`MockServer::inject_fault`](crate::MockServer::inject_fault)
/// takes any values, as the test that calls it decides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// Matches this action (`PutObject`, `CiProcess`, …) or ci-process name; all when absent.
    #[serde(default)]
    pub operation: Option<String>,
    /// Matches this processing mode (`download`, `upload`, `cloud`); all when absent.
    #[serde(default)]
    pub mode: Option<String>,
    /// How many matching requests it applies to.
    #[serde(default = "one")]
    pub times: u32,
    /// Answer with this status (with `code`); only delay when absent.
    #[serde(default)]
    pub status: Option<u16>,
    /// The error code to answer with (default `InternalError`).
    #[serde(default)]
    pub code: Option<String>,
    /// The error message.
    #[serde(default)]
    pub message: Option<String>,
    /// Wait this long before answering.
    #[serde(default)]
    pub delay_ms: Option<u64>,
}

fn one() -> u32 {
    1
}

impl Fault {
    /// A fault answering `status` with `code` on the next request matching `operation`.
    pub fn error(operation: Option<&str>, status: u16, code: &str) -> Self {
        Fault {
            operation: operation.map(str::to_string),
            mode: None,
            times: 1,
            status: Some(status),
            code: Some(code.to_string()),
            message: None,
            delay_ms: None,
        }
    }

    /// Applies to the next `n` matching requests.
    pub fn times(mut self, n: u32) -> Self {
        self.times = n;
        self
    }

    /// Waits `delay` before answering.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay_ms = Some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX));
        self
    }

    fn matches(&self, action: &str, operations: &[String], mode: Option<Mode>) -> bool {
        let op_ok = match &self.operation {
            None => true,
            Some(o) => o == action || operations.iter().any(|name| name == o),
        };
        let mode_ok = match &self.mode {
            None => true,
            Some(m) => mode.is_some_and(|mode| mode.as_str() == m),
        };
        op_ok && mode_ok
    }
}

/// State shared by every request.
#[derive(Debug)]
pub struct MockState {
    /// The configuration.
    pub config: Config,
    /// The objects.
    pub storage: Storage,
    /// The client that fetches detect-url sources.
    #[cfg(feature = "detect-url")]
    pub http: reqwest::Client,
    /// The addresses that client may connect to, checked per fetch.
    #[cfg(feature = "detect-url")]
    pub detect_pins: Arc<Pins>,
    /// The processing budget: concurrent jobs and decoded memory.
    pub jobs: JobBudget,
    /// Whether `/_mock/` is served (decided from the bound address when `admin` is unset).
    pub admin_enabled: bool,
    /// The operations served: the built-ins and those registered on the builder.
    pub(crate) routes: Routes,
    log: RequestLog,
    faults: Mutex<Vec<Fault>>,
    counter: AtomicU64,
    instance: u64,
}

impl MockState {
    /// State for `config` over `storage`; fails when the detect-url client cannot be built
    /// (no fallback: a default client would follow redirects and honour proxies).
    pub(crate) fn new(
        config: Config,
        storage: Storage,
        routes: Routes,
    ) -> Result<Self, crate::MockError> {
        #[cfg(feature = "detect-url")]
        let detect_pins = Arc::new(Pins::default());
        #[cfg(feature = "detect-url")]
        let http = detect_url::client(&config, detect_pins.clone())
            .map_err(|e| crate::MockError::DetectUrlClient(Box::new(e)))?;
        let jobs = JobBudget::new(&config);
        Ok(MockState {
            admin_enabled: config.admin_enabled_on(config.listen),
            log: RequestLog::new(&config),
            config,
            storage,
            routes,
            #[cfg(feature = "detect-url")]
            http,
            #[cfg(feature = "detect-url")]
            detect_pins,
            jobs,
            faults: Mutex::new(Vec::new()),
            counter: AtomicU64::new(0),
            instance: crate::random::u64(),
        })
    }

    /// A new request id, unique in this process, shaped like COS's (base64-like text).
    pub fn next_request_id(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format!(
            "NjM{:012x}_{:08x}_mock",
            self.instance & 0xffff_ffff_ffff,
            n
        )
    }

    /// Appends a request to the log (redacted, cut and within the log's budgets).
    pub fn record(&self, request: RecordedRequest) {
        self.log.record(request);
    }

    /// Every logged request, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.log.snapshot().iter().map(|r| (**r).clone()).collect()
    }

    /// The request log.
    pub fn request_log(&self) -> &RequestLog {
        &self.log
    }

    /// Adds a fault.
    pub fn inject(&self, fault: Fault) {
        let mut faults = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        faults.push(fault);
    }

    /// Adds a fault unless `max_pending` faults are pending already; then answers how many are.
    pub fn try_inject(&self, fault: Fault, max_pending: u64) -> Result<(), usize> {
        let mut faults = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        if faults.len() as u64 >= max_pending {
            return Err(faults.len());
        }
        faults.push(fault);
        Ok(())
    }

    /// The injected faults still pending.
    pub fn faults(&self) -> Vec<Fault> {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Takes one use of the first fault matching a request.
    pub fn take_fault(
        &self,
        action: &str,
        operations: &[String],
        mode: Option<Mode>,
    ) -> Option<Fault> {
        let mut faults = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        let i = faults
            .iter()
            .position(|f| f.times > 0 && f.matches(action, operations, mode))?;
        let fault = faults[i].clone();
        faults[i].times -= 1;
        if faults[i].times == 0 {
            faults.remove(i);
        }
        Some(fault)
    }

    /// Drops every pending fault.
    pub fn clear_faults(&self) {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Forgets the log and the faults.
    pub fn clear(&self) {
        self.log.clear();
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Whether `bucket` is one of the configured buckets.
    pub fn has_bucket(&self, bucket: &str) -> bool {
        self.config.buckets.iter().any(|b| b == bucket)
    }

    /// The `Location` of an object: `<bucket>.cos.<region>.myqcloud.com/<key>`.
    pub fn location(&self, bucket: &str, key: &str) -> String {
        format!(
            "{}/{key}",
            cos_ci_validate::bucket_host(
                cos_ci_validate::HostKind::Cos,
                bucket,
                &self.config.region
            )
        )
    }
}
