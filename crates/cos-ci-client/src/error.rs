//! One error type for every call: refused before sending, failed in transit, or answered
//! with a COS error document.

use cos_ci_validate::{PicOperationsError, ValidationError};

/// A COS error answer: status and the `<Error>` document's fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceError {
    /// HTTP status.
    pub status: u16,
    /// `<Code>`, e.g. `SignatureDoesNotMatch`.
    pub code: String,
    /// `<Message>`.
    pub message: String,
    /// `<RequestId>` (or the `x-cos-request-id` header).
    pub request_id: Option<String>,
    /// `<TraceId>` (or the `x-cos-trace-id` header).
    pub trace_id: Option<String>,
    /// `<Resource>`.
    pub resource: Option<String>,
}

impl std::fmt::Display for ServiceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (HTTP {}): {}", self.code, self.status, self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " [request id {id}")?;
            if let Some(trace) = &self.trace_id {
                write!(f, ", trace id {trace}")?;
            }
            if let Some(resource) = &self.resource {
                write!(f, ", resource {resource}")?;
            }
            f.write_str("]")?;
        }
        Ok(())
    }
}

/// Everything that can go wrong in a call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Parameters out of range: refused before anything was sent.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// A Pic-Operations header that cannot be sent.
    #[error(transparent)]
    PicOperations(#[from] PicOperationsError),
    /// The service answered with an error.
    #[error("{0}")]
    Service(Box<ServiceError>),
    /// The request did not complete: connection refused or reset, DNS, TLS…
    #[error("transport error: {0}")]
    Transport(#[source] reqwest::Error),
    /// The request or the whole call (with retries) took longer than allowed.
    #[error("timed out: {0}")]
    Timeout(String),
    /// The answer could not be understood.
    #[error("cannot decode the answer{}: {detail}", request_id.as_ref().map(|id| format!(" (request id {id})")).unwrap_or_default())]
    Decode {
        /// What was wrong.
        detail: String,
        /// The request id, if the answer had one.
        request_id: Option<String>,
    },
    /// The client configuration is not usable.
    #[error("configuration: {0}")]
    Config(String),
    /// A local file could not be read or written.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// Whether trying the same request again may succeed: connection failures, timeouts,
    /// 5xx answers and SlowDown. A 4xx answer never is.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Service(e) => e.status >= 500 || e.code == "SlowDown",
            Error::Transport(e) => !e.is_builder() && !e.is_redirect() && !e.is_decode(),
            Error::Timeout(_) => true,
            _ => false,
        }
    }

    /// The COS error code, for service errors.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Service(e) => Some(&e.code),
            Error::Validation(e) => Some(e.code().as_str()),
            Error::PicOperations(e) => Some(e.code().as_str()),
            _ => None,
        }
    }

    /// The request id, when the service answered.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Service(e) => e.request_id.as_deref(),
            Error::Decode { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// The service error, if this is one.
    pub fn service(&self) -> Option<&ServiceError> {
        match self {
            Error::Service(e) => Some(e.as_ref()),
            _ => None,
        }
    }
}
