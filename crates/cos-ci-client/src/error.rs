//! One error type for every call: refused before sending, failed in transit, or answered
//! with a COS error document.

use std::time::Duration;

use cos_ci_validate::{ErrorCode, PicOperationsError, ValidationError};

use crate::credentials::CredentialsError;

/// The `<Code>` of a COS error answer: one the spec knows, or any other the service sends.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ServiceCode {
    /// A code from the spec's list.
    Known(ErrorCode),
    /// A code the spec does not list, as sent.
    Unknown(String),
}

impl ServiceCode {
    /// The code of `text`.
    pub fn parse(text: &str) -> Self {
        match ErrorCode::from_code(text) {
            Some(code) => ServiceCode::Known(code),
            None => ServiceCode::Unknown(text.to_string()),
        }
    }

    /// The code as COS writes it.
    pub fn as_str(&self) -> &str {
        match self {
            ServiceCode::Known(code) => code.as_str(),
            ServiceCode::Unknown(text) => text,
        }
    }

    /// The spec's code, when it is one.
    pub fn known(&self) -> Option<ErrorCode> {
        match self {
            ServiceCode::Known(code) => Some(*code),
            ServiceCode::Unknown(_) => None,
        }
    }

    /// The code as one of `spec`'s own error codes (its file's `errors:`, e.g.
    /// `FailedOperation.NoObjectDetected`), with its documented status and message; the
    /// operation's module also has them as an enum (`DetectPetError::from_code`).
    pub fn operation_error(
        &self,
        spec: &'static cos_ci_validate::OpSpec,
    ) -> Option<&'static cos_ci_validate::OpError> {
        match self {
            ServiceCode::Known(_) => None,
            ServiceCode::Unknown(text) => spec.error(text),
        }
    }
}

impl From<ErrorCode> for ServiceCode {
    fn from(code: ErrorCode) -> Self {
        ServiceCode::Known(code)
    }
}

impl PartialEq<ErrorCode> for ServiceCode {
    fn eq(&self, other: &ErrorCode) -> bool {
        self.known() == Some(*other)
    }
}

impl PartialEq<str> for ServiceCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ServiceCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Display for ServiceCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A COS error answer: status and the `<Error>` document's fields.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServiceError {
    /// HTTP status.
    pub status: u16,
    /// `<Code>`, e.g. `SignatureDoesNotMatch`.
    pub code: ServiceCode,
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

/// Which timeout fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// No connection within [`Config::connect_timeout`](crate::Config::connect_timeout).
    Connect,
    /// No byte moved for [`Timeouts::read`](crate::Timeouts::read): a stalled transfer.
    Read,
    /// The call (retries included) outlived [`Timeouts::deadline`](crate::Timeouts::deadline)
    /// or [`Timeouts::transfer_deadline`](crate::Timeouts::transfer_deadline).
    Deadline,
    /// A timeout of an HTTP client passed with
    /// [`ClientBuilder::http_client`](crate::ClientBuilder::http_client).
    HttpClient,
}

/// A timeout that fired: which, and its limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeout {
    /// Which timeout.
    pub kind: TimeoutKind,
    /// Its configured limit, when known.
    pub limit: Option<Duration>,
}

impl std::fmt::Display for Timeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let limit = self.limit.map(|d| format!(" of {d:?}")).unwrap_or_default();
        match self.kind {
            TimeoutKind::Connect => write!(f, "no connection within the connect timeout{limit}"),
            TimeoutKind::Read => write!(f, "no data moved within the read timeout{limit}"),
            TimeoutKind::Deadline => write!(f, "the call outlived its deadline{limit}"),
            TimeoutKind::HttpClient => f.write_str("the HTTP client's own timeout fired"),
        }
    }
}

/// A client configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No region.
    #[error("no region: set it on the builder or in TENCENTCLOUD_REGION / COS_REGION")]
    MissingRegion,
    /// No bucket.
    #[error("no bucket: set it on the builder or in COS_BUCKET")]
    MissingBucket,
    /// No credentials and no credentials provider.
    #[error(
        "no credentials: set them on the builder, in TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY (or COS_SECRET_ID / COS_SECRET_KEY), or in the credentials file"
    )]
    MissingCredentials,
    /// The region is not a region name.
    #[error("region {region:?} is not a region name")]
    InvalidRegion {
        /// As given.
        region: String,
    },
    /// The bucket is not `<name>-<APPID>`.
    #[error("bucket {bucket:?} is not <name>-<APPID>")]
    InvalidBucket {
        /// As given.
        bucket: String,
    },
    /// The scheme is neither http nor https.
    #[error("scheme {scheme:?} is not http or https")]
    InvalidScheme {
        /// As given.
        scheme: String,
    },
    /// The endpoint is not an http(s) URL.
    #[error("endpoint {endpoint:?}: {reason}")]
    InvalidEndpoint {
        /// As given.
        endpoint: String,
        /// Why.
        reason: String,
    },
    /// The custom domain is not a host name.
    #[error("domain {domain:?} is not a host name")]
    InvalidDomain {
        /// As given.
        domain: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    HttpClient(#[source] reqwest::Error),
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
    /// An argument of a call cannot be used (an empty object key, a detect-url for an
    /// operation that takes none…): refused before anything was sent.
    #[error("{argument}: {reason}")]
    InvalidArgument {
        /// Which argument.
        argument: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The service answered with an error.
    #[error("{0}")]
    Service(Box<ServiceError>),
    /// The request did not complete: connection refused or reset, DNS, TLS…
    #[error("transport error: {0}")]
    Transport(#[source] reqwest::Error),
    /// A timeout fired.
    #[error("timed out: {0}")]
    Timeout(Timeout),
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
    Config(#[from] ConfigError),
    /// No credentials to sign with.
    #[error("credentials: {0}")]
    Credentials(#[from] CredentialsError),
    /// A local file could not be read or written.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// Whether trying the same request again may succeed: connection failures, timeouts
    /// of one attempt, 5xx answers and SlowDown. A 4xx answer never is, nor an exceeded
    /// deadline.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Service(e) => e.status >= 500 || e.code == ErrorCode::SlowDown,
            Error::Transport(e) => !e.is_builder() && !e.is_redirect() && !e.is_decode(),
            Error::Timeout(t) => t.kind != TimeoutKind::Deadline,
            _ => false,
        }
    }

    /// The COS error code, for service errors and requests refused before sending.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Service(e) => Some(e.code.as_str()),
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

    /// The timeout that fired, if this is one.
    pub fn timeout(&self) -> Option<Timeout> {
        match self {
            Error::Timeout(t) => Some(*t),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_the_spec_lists_are_known_others_kept_as_sent() {
        let known = ServiceCode::parse("SlowDown");
        assert_eq!(known, ErrorCode::SlowDown);
        assert_eq!(known.known(), Some(ErrorCode::SlowDown));
        let unknown = ServiceCode::parse("QuotaExceeded");
        assert_eq!(unknown, ServiceCode::Unknown("QuotaExceeded".into()));
        assert_eq!(unknown, "QuotaExceeded");
        assert_eq!(unknown.known(), None);
        assert_eq!(unknown.to_string(), "QuotaExceeded");
    }

    #[test]
    fn retryable_by_status_and_code_not_after_the_deadline() {
        let service = |status, code: &str| {
            Error::Service(Box::new(ServiceError {
                status,
                code: ServiceCode::parse(code),
                message: String::new(),
                request_id: None,
                trace_id: None,
                resource: None,
            }))
        };
        assert!(service(503, "ServiceUnavailable").is_retryable());
        assert!(service(503, "SomethingNew").is_retryable());
        assert!(service(400, "SlowDown").is_retryable());
        assert!(!service(400, "SomethingNew").is_retryable());
        let timeout = |kind| {
            Error::Timeout(Timeout {
                kind,
                limit: Some(Duration::from_secs(1)),
            })
        };
        assert!(timeout(TimeoutKind::Read).is_retryable());
        assert!(timeout(TimeoutKind::Connect).is_retryable());
        assert!(!timeout(TimeoutKind::Deadline).is_retryable());
        assert!(
            timeout(TimeoutKind::Read)
                .to_string()
                .contains("read timeout of 1s")
        );
    }
}
