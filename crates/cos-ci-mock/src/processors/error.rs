//! The error every processor answers with: a COS error code and a human message.

/// A processing failure, carrying the COS error code the server puts in its error XML.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ProcessError {
    /// The COS error code, one of the `ProcessError::*` constants.
    pub code: &'static str,
    /// A human-readable explanation.
    pub message: String,
}

impl ProcessError {
    /// Not an image, an unsupported format, or truncated / corrupt data.
    pub const INVALID_IMAGE_FORMAT: &'static str = "InvalidImageFormat";
    /// The input is larger in bytes than the operation accepts.
    pub const IMAGE_TOO_LARGE: &'static str = "ImageTooLarge";
    /// Width, height or pixel count (of input or output) is over the limits.
    pub const IMAGE_RESOLUTION_EXCEED: &'static str = "ImageResolutionExceed";
    /// A value a stand-in cannot work with (e.g. one that makes an empty image).
    pub const INVALID_ARGUMENT: &'static str = "InvalidArgument";
    /// Something that input validation should have made impossible (e.g. an encoder failure).
    pub const INTERNAL_ERROR: &'static str = "InternalError";

    /// Builds an error with the given code and message.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// An `InvalidImageFormat` error.
    pub fn invalid_format(message: impl Into<String>) -> Self {
        Self::new(Self::INVALID_IMAGE_FORMAT, message)
    }

    /// An `ImageTooLarge` error.
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(Self::IMAGE_TOO_LARGE, message)
    }

    /// An `ImageResolutionExceed` error.
    pub fn resolution(message: impl Into<String>) -> Self {
        Self::new(Self::IMAGE_RESOLUTION_EXCEED, message)
    }

    /// An `InvalidArgument` error.
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(Self::INVALID_ARGUMENT, message)
    }

    /// An `InternalError` error.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(Self::INTERNAL_ERROR, message)
    }
}
