//! COS error answers: the full `<Error>` document that the official SDKs need (Code,
//! Message, Resource, RequestId and TraceId all non-empty), with its HTTP status.

use cos_ci_validate::{ErrorCode, ErrorDocument, XmlDocument};

/// An error the mock answers with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// The COS code.
    pub code: String,
    /// The HTTP status.
    pub status: u16,
    /// The message.
    pub message: String,
}

impl ApiError {
    /// An error with the code's status and a specific message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code: code.as_str().to_string(),
            status: code.status(),
            message: message.into(),
        }
    }

    /// An error with the code's default message.
    pub fn code(code: ErrorCode) -> Self {
        Self::new(code, code.message())
    }

    /// An injected fault: any status and code.
    pub fn custom(status: u16, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            code: code.to_string(),
            status,
            message: message.into(),
        }
    }

    /// The `<Error>` document.
    pub fn to_xml(&self, resource: &str, request_id: &str, trace_id: &str) -> String {
        let mut doc = ErrorDocument::default();
        doc.code = self.code.clone();
        doc.message = self.message.clone();
        doc.resource = Some(resource.to_string());
        doc.request_id = request_id.to_string();
        doc.trace_id = Some(trace_id.to_string());
        doc.to_xml()
    }
}

impl From<cos_ci_validate::ValidationError> for ApiError {
    fn from(e: cos_ci_validate::ValidationError) -> Self {
        ApiError::new(e.code(), e.to_string())
    }
}

impl From<cos_ci_validate::PicOperationsError> for ApiError {
    fn from(e: cos_ci_validate::PicOperationsError) -> Self {
        ApiError::new(e.code(), e.to_string())
    }
}

impl From<crate::processors::ProcessError> for ApiError {
    fn from(e: crate::processors::ProcessError) -> Self {
        match ErrorCode::from_code(e.code) {
            Some(code) => ApiError::new(code, e.message),
            None => ApiError::new(ErrorCode::InternalError, e.to_string()),
        }
    }
}

impl From<crate::storage::StorageError> for ApiError {
    fn from(e: crate::storage::StorageError) -> Self {
        use crate::storage::StorageError as S;
        match e {
            S::NoSuchKey => ApiError::code(ErrorCode::NoSuchKey),
            S::InvalidRange => ApiError::code(ErrorCode::InvalidRange),
            S::TooLarge { limit } => ApiError::new(
                ErrorCode::EntityTooLarge,
                format!("the body is larger than {limit} bytes"),
            ),
            S::Body(reason) => ApiError::new(
                ErrorCode::IncompleteBody,
                format!("the request body could not be read: {reason}"),
            ),
            S::Io(e) => ApiError::new(ErrorCode::InternalError, format!("storage: {e}")),
            S::NoSuchUpload => ApiError::code(ErrorCode::NoSuchUpload),
            S::InvalidPart(why) => ApiError::new(ErrorCode::InvalidPart, why),
            S::InvalidPartOrder => ApiError::code(ErrorCode::InvalidPartOrder),
            e @ S::PartTooSmall { .. } => ApiError::new(ErrorCode::EntityTooSmall, e.to_string()),
            S::NoSuchBucket => ApiError::code(ErrorCode::NoSuchBucket),
            e @ S::BucketNotEmpty { .. } => ApiError::new(ErrorCode::BucketNotEmpty, e.to_string()),
        }
    }
}
