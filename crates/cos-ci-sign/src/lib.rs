//! The COS request signature (`q-sign-algorithm=sha1`, HMAC-SHA1): the one implementation used by
//! the client to sign and by the mock server to verify.
//!
//! The algorithm (official-sdks.md §1, COS doc 436/7778):
//!
//! 1. `SignKey = hex(HMAC-SHA1(SecretKey, "<start>;<end>"))` (the key time).
//! 2. `HttpString = method.lower() \n path \n params \n headers \n`, where `path` is the decoded
//!    key with a leading `/`, and params / headers are `enc(name).lower()=enc(value)` sorted and
//!    joined by `&` ([`encode`] is the `enc()`).
//! 3. `StringToSign = "sha1\n" + sign_time + "\n" + hex(SHA1(HttpString)) + "\n"`.
//! 4. `Signature = hex(HMAC-SHA1(SignKey as hex text, StringToSign))`.
//!
//! The result is sent as seven fields ([`Authorization`]) in the `Authorization` header or, for
//! a pre-signed URL, in the query.
//!
//! # Example: sign a request, then verify it as the server would
//!
//! ```
//! use cos_ci_sign::{
//!     encode_key_path, is_signable_header, key_to_path, parse_query, verify, Authorization,
//!     KeyTime, SignInput, Signer, VerifyError,
//! };
//!
//! // Client side.
//! let key = "input/my photo.png";
//! let params = vec![
//!     ("ci-process".to_string(), "AISuperResolution".to_string()),
//!     ("magnify".to_string(), "2".to_string()),
//! ];
//! let all_headers = vec![
//!     ("Host".to_string(), "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com".to_string()),
//!     ("User-Agent".to_string(), "cos-ci".to_string()),
//! ];
//! let signed_headers: Vec<_> =
//!     all_headers.iter().filter(|(n, _)| is_signable_header(n)).cloned().collect();
//! let path = key_to_path(key);
//! let signer = Signer { secret_id: "AKIDEXAMPLE", secret_key: "example-secret" };
//! let auth = signer.sign(
//!     KeyTime { start: 1699999940, end: 1700003600 },
//!     &SignInput { method: "GET", path: &path, params: &params, headers: &signed_headers },
//! );
//! let header_value = auth.to_header_value();
//! assert!(header_value.starts_with("q-sign-algorithm=sha1&q-ak=AKIDEXAMPLE&q-sign-time="));
//! let wire_path = encode_key_path(key); // "/input/my%20photo.png"
//! let wire_query = "ci-process=AISuperResolution&magnify=2";
//!
//! // Server side.
//! let received = Authorization::parse(&header_value)?;
//! let query = parse_query(wire_query);
//! verify(&received, "example-secret", "GET", &wire_path, &query, &all_headers)?;
//!
//! // Any change to a signed part is detected.
//! let tampered = parse_query("ci-process=AISuperResolution&magnify=4");
//! let err = verify(&received, "example-secret", "GET", &wire_path, &tampered, &all_headers);
//! assert!(matches!(err, Err(VerifyError::SignatureDoesNotMatch { .. })));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod auth;
mod encoding;
mod error;
mod sign;
mod time;
mod verify;

pub use auth::{ALGORITHM, AUTH_FIELDS, Authorization};
pub use encoding::{decode_path, encode, encode_key_path, form_encode, key_to_path, parse_query};
pub use error::{SignError, VerifyError};
pub use sign::{
    SIGNABLE_HEADERS, SignDebug, SignInput, Signer, is_signable_header, signable_headers,
};
pub use time::{KeyTime, TimeError, check_time};
pub use verify::{DEFAULT_MAX_SIGNED_NAMES, verify, verify_limited};
