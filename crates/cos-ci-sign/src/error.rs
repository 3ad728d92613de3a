//! Error types.

/// Errors while parsing an authorization, a key time or a request path.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The authorization value is not seven well-formed `q-*` fields (the text says what is
    /// wrong). A server answers `403 AccessDenied` or `400`.
    #[error("malformed authorization: {0}")]
    MalformedAuthorization(String),
    /// `q-sign-algorithm` is not `sha1`.
    #[error("unsupported q-sign-algorithm {0:?} (only sha1)")]
    UnsupportedAlgorithm(String),
    /// A `q-sign-time` / `q-key-time` value is not `start;end` with `start <= end`.
    #[error("invalid key time {0:?} (expected <start>;<end> in Unix seconds)")]
    InvalidKeyTime(String),
    /// A `%` in a path is not followed by two hex digits.
    #[error("invalid percent-encoding at byte {position}")]
    InvalidPercentEncoding {
        /// Byte offset of the offending `%`.
        position: usize,
    },
    /// The percent-decoded path is not UTF-8.
    #[error("percent-decoded path is not valid UTF-8")]
    InvalidUtf8,
}

/// Why [`verify`](crate::verify) rejected a request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The recomputed signature differs from `q-signature`. `string_to_sign` is the server's
    /// StringToSign (real COS returns it in the error body). A server answers
    /// `403 SignatureDoesNotMatch`.
    #[error("the request signature does not match (server StringToSign {string_to_sign:?})")]
    SignatureDoesNotMatch {
        /// The StringToSign the server computed (for its first attempt).
        string_to_sign: String,
    },
    /// A header named in `q-header-list` is not in the request.
    #[error("header {0:?} is named in q-header-list but missing from the request")]
    MissingSignedHeader(String),
    /// A parameter named in `q-url-param-list` is not in the request.
    #[error("parameter {0:?} is named in q-url-param-list but missing from the request")]
    MissingSignedParam(String),
    /// `q-header-list` or `q-url-param-list` names more names than the limit
    /// ([`DEFAULT_MAX_SIGNED_NAMES`](crate::DEFAULT_MAX_SIGNED_NAMES) unless configured).
    #[error(
        "{list} names {count} names; at most {limit} are accepted (limit max_signed_names = {limit})"
    )]
    TooManySignedNames {
        /// `q-header-list` or `q-url-param-list`.
        list: &'static str,
        /// How many names it holds.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// More received headers or parameters match the names of `list` than the limit (the same
    /// name may be sent many times, and every copy is signed).
    #[error(
        "{count} request values match the names in {list}; at most {limit} signed values are \
         accepted (limit max_signed_names = {limit})"
    )]
    TooManySignedValues {
        /// `q-header-list` or `q-url-param-list`.
        list: &'static str,
        /// How many received pairs match.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// The raw request path cannot be percent-decoded.
    #[error("invalid request path: {0}")]
    InvalidPath(SignError),
}
