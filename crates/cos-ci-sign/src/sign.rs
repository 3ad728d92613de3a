//! Signing: canonical lists, HttpString, StringToSign, SignKey and signature.

use std::fmt;

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha1::{Digest, Sha1};

use crate::{Authorization, KeyTime, encode};

type HmacSha1 = Hmac<Sha1>;

/// Headers the Python SDK's `filter_headers` (and the Node SDK's `getSignHeaderObj`) sign besides
/// every `x-cos-*` / `x-ci-*` header.
pub const SIGNABLE_HEADERS: [&str; 17] = [
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-type",
    "content-md5",
    "content-length",
    "expect",
    "expires",
    "host",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-unmodified-since",
    "origin",
    "range",
    "transfer-encoding",
    "pic-operations",
];

/// Whether a header is signed by the official SDKs: the Python `filter_headers` list
/// ([`SIGNABLE_HEADERS`]) plus every `x-cos-*` and `x-ci-*` header, compared case-insensitively.
///
/// ```
/// use cos_ci_sign::is_signable_header;
/// assert!(is_signable_header("Host"));
/// assert!(is_signable_header("Pic-Operations"));
/// assert!(is_signable_header("X-COS-Security-Token"));
/// assert!(is_signable_header("x-ci-foo"));
/// assert!(!is_signable_header("User-Agent"));
/// assert!(!is_signable_header("Date"));
/// ```
pub fn is_signable_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SIGNABLE_HEADERS.contains(&lower.as_str())
        || lower.starts_with("x-cos-")
        || lower.starts_with("x-ci-")
}

/// The headers among `headers` that [`is_signable_header`] accepts, in their original order.
pub fn signable_headers(headers: &[(String, String)]) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| is_signable_header(name))
        .cloned()
        .collect()
}

/// What gets signed for one request.
#[derive(Clone, Copy, Debug)]
pub struct SignInput<'a> {
    /// HTTP method, any case (it is lower-cased).
    pub method: &'a str,
    /// The decoded path with its leading `/` (see [`key_to_path`](crate::key_to_path)); hashed
    /// as UTF-8, not percent-encoded.
    pub path: &'a str,
    /// Decoded query parameters to sign (names any case; an empty name is never signed).
    pub params: &'a [(String, String)],
    /// Headers to sign, exactly these (filter with [`is_signable_header`] /
    /// [`signable_headers`] to behave like the SDKs). An empty name is never signed.
    pub headers: &'a [(String, String)],
}

/// The credentials that sign a request.
#[derive(Clone, Copy)]
pub struct Signer<'a> {
    /// SecretId, sent as `q-ak`.
    pub secret_id: &'a str,
    /// SecretKey, never sent.
    pub secret_key: &'a str,
}

impl fmt::Debug for Signer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("secret_id", &self.secret_id)
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

/// Every intermediate value of one signature, for logging and tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignDebug {
    /// `method\npath\nparams\nheaders\n`.
    pub http_string: String,
    /// `sha1\n<sign time>\n<sha1 hex of http_string>\n`.
    pub string_to_sign: String,
    /// Lower-case hex HMAC-SHA1(SecretKey, key time).
    pub sign_key: String,
    /// Lower-case hex HMAC-SHA1(sign_key as hex text, string_to_sign).
    pub signature: String,
}

/// A canonical list: `name=value` pairs joined by `&`, and the distinct names in order.
pub(crate) struct Canonical {
    pub(crate) joined: String,
    pub(crate) names: Vec<String>,
}

/// Encode names (`enc(name).lower()`) and values (`enc(value)`), drop empty names, sort by
/// (name, value) and join.
fn canonicalize(pairs: &[(String, String)]) -> Canonical {
    let mut entries: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| !k.is_empty())
        .map(|(k, v)| (encode(k).to_ascii_lowercase(), encode(v)))
        .collect();
    entries.sort();
    let mut names: Vec<String> = entries.iter().map(|(k, _)| k.clone()).collect();
    names.dedup();
    Canonical {
        joined: join_pairs(&entries),
        names,
    }
}

/// `a=1&b=2` from already encoded pairs.
pub(crate) fn join_pairs(entries: &[(String, String)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in entries.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

fn hmac_sha1_hex(key: &[u8], msg: &[u8]) -> String {
    // HMAC zero-pads keys up to the 64-byte block and hashes longer ones (RFC 2104); doing it
    // here makes construction infallible.
    let mut block = [0u8; 64];
    if key.len() > block.len() {
        let digest = Sha1::digest(key);
        for (dst, src) in block.iter_mut().zip(digest.iter()) {
            *dst = *src;
        }
    } else {
        for (dst, src) in block.iter_mut().zip(key.iter()) {
            *dst = *src;
        }
    }
    let mut mac = <HmacSha1 as KeyInit>::new(&block.into());
    mac.update(msg);
    hex::encode(mac.finalize().into_bytes())
}

/// `method\npath\nparams\nheaders\n`.
pub(crate) fn http_string(method: &str, path: &str, params: &str, headers: &str) -> String {
    format!(
        "{}\n{}\n{}\n{}\n",
        method.to_lowercase(),
        path,
        params,
        headers
    )
}

/// SignKey, StringToSign and signature for an HttpString.
pub(crate) fn compute(
    secret_key: &str,
    sign_time: KeyTime,
    key_time: KeyTime,
    http_string: String,
) -> SignDebug {
    let sign_key = hmac_sha1_hex(secret_key.as_bytes(), key_time.to_string().as_bytes());
    let string_to_sign = format!(
        "sha1\n{}\n{}\n",
        sign_time,
        hex::encode(Sha1::digest(http_string.as_bytes()))
    );
    let signature = hmac_sha1_hex(sign_key.as_bytes(), string_to_sign.as_bytes());
    SignDebug {
        http_string,
        string_to_sign,
        sign_key,
        signature,
    }
}

impl Signer<'_> {
    fn run(
        &self,
        key_time: KeyTime,
        input: &SignInput<'_>,
    ) -> (SignDebug, Vec<String>, Vec<String>) {
        let params = canonicalize(input.params);
        let headers = canonicalize(input.headers);
        let hs = http_string(input.method, input.path, &params.joined, &headers.joined);
        (
            compute(self.secret_key, key_time, key_time, hs),
            headers.names,
            params.names,
        )
    }

    /// Sign a request; `q-sign-time` and `q-key-time` are both `key_time` (as in both SDKs).
    ///
    /// Params and headers are canonicalised as `enc(name).lower()=enc(value)`, sorted by the
    /// encoded name (then value) and joined by `&`; the lists hold the distinct encoded names.
    pub fn sign(&self, key_time: KeyTime, input: &SignInput<'_>) -> Authorization {
        let (debug, header_list, url_param_list) = self.run(key_time, input);
        Authorization {
            secret_id: self.secret_id.to_string(),
            sign_time: key_time,
            key_time,
            header_list,
            url_param_list,
            signature: debug.signature,
        }
    }

    /// The intermediate values of [`sign`](Self::sign) (HttpString, StringToSign, SignKey,
    /// signature).
    pub fn debug(&self, key_time: KeyTime, input: &SignInput<'_>) -> SignDebug {
        self.run(key_time, input).0
    }
}
