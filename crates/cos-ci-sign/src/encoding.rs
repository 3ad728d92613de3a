//! Percent-encoding helpers: the COS `enc()`, the form encoding of pre-signed URLs, path decoding
//! and query parsing.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::SignError;

/// Everything except the RFC 3986 unreserved set `A-Z a-z 0-9 - _ . ~` is encoded.
const COS_ENCODE_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

const UPPER_HEX: &[u8; 16] = b"0123456789ABCDEF";

/// COS percent-encoding of UTF-8: only `A-Z a-z 0-9 - _ . ~` stay literal, every other byte becomes
/// `%XX` with upper-case hex (space is `%20`, `/` is `%2F`).
///
/// This is the `enc()` of the signature (Python `quote(s, safe='-_.~')`, Node
/// `encodeURIComponent` plus `!'()*`).
///
/// ```
/// assert_eq!(cos_ci_sign::encode("a b/c+(腾)"), "a%20b%2Fc%2B%28%E8%85%BE%29");
/// assert_eq!(cos_ci_sign::encode("A-z_0.9~"), "A-z_0.9~");
/// ```
pub fn encode(s: &str) -> String {
    utf8_percent_encode(s, COS_ENCODE_SET).to_string()
}

/// Form-style encoding exactly as Python's `urllib.parse.quote_plus` (used by `urlencode`): only
/// `A-Z a-z 0-9 - _ . ~` stay literal, space becomes `+`, every other byte `%XX` (upper-case hex).
///
/// This is how the Python SDK writes the seven auth fields and the parameters of a pre-signed URL.
///
/// ```
/// assert_eq!(cos_ci_sign::form_encode("1;2"), "1%3B2");
/// assert_eq!(cos_ci_sign::form_encode("a b.jpg?x=1"), "a+b.jpg%3Fx%3D1");
/// ```
pub fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if is_unreserved(b) {
            out.push(char::from(b));
        } else if b == b' ' {
            out.push('+');
        } else {
            push_pct(&mut out, b);
        }
    }
    out
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

fn push_pct(out: &mut String, b: u8) {
    out.push('%');
    out.push(char::from(UPPER_HEX[usize::from(b >> 4)]));
    out.push(char::from(UPPER_HEX[usize::from(b & 0x0f)]));
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decode a raw request path (plain decoding: `+` stays `+`).
///
/// Every `%` must be followed by two hex digits ([`SignError::InvalidPercentEncoding`] otherwise)
/// and the decoded bytes must be UTF-8 ([`SignError::InvalidUtf8`] otherwise). The result is the
/// path that goes into the HttpString.
///
/// ```
/// assert_eq!(cos_ci_sign::decode_path("/a/.%2Fb/c%20d+e.png").unwrap(), "/a/./b/c d+e.png");
/// assert!(cos_ci_sign::decode_path("/100%.png").is_err());
/// assert!(cos_ci_sign::decode_path("/%FF").is_err());
/// ```
pub fn decode_path(raw: &str) -> Result<String, SignError> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = bytes.get(i + 1).copied().and_then(hex_val);
            let lo = bytes.get(i + 2).copied().and_then(hex_val);
            match (hi, lo) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 3;
                }
                _ => return Err(SignError::InvalidPercentEncoding { position: i }),
            }
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| SignError::InvalidUtf8)
}

/// Split a raw query string (without the leading `?`) on `&` and the first `=`, decoding each
/// piece form-style (`+` becomes a space, `%XX` is decoded, invalid UTF-8 is replaced by U+FFFD).
///
/// Order and duplicates are kept; a name without `=` has the value `""`; empty pieces (`a&&b`)
/// are skipped.
///
/// ```
/// let q = cos_ci_sign::parse_query("image_process&detect-url=a+b%2Bc&x=1=2");
/// assert_eq!(q, vec![
///     ("image_process".to_string(), "".to_string()),
///     ("detect-url".to_string(), "a b+c".to_string()),
///     ("x".to_string(), "1=2".to_string()),
/// ]);
/// ```
pub fn parse_query(raw: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The decoded path that is signed for an object key: the key with a `/` put in front unless it
/// already starts with one (the Python SDK's `CosS3Auth` rule). The empty key gives `/`.
///
/// ```
/// assert_eq!(cos_ci_sign::key_to_path("input/photo.png"), "/input/photo.png");
/// assert_eq!(cos_ci_sign::key_to_path("/"), "/");
/// assert_eq!(cos_ci_sign::key_to_path(""), "/");
/// ```
pub fn key_to_path(key: &str) -> String {
    if key.starts_with('/') {
        key.to_string()
    } else {
        format!("/{key}")
    }
}

fn is_dot_segment(seg: &str) -> bool {
    seg == "." || seg == ".."
}

/// Encode an object key for the wire path.
///
/// One leading `/` of the key is dropped (as the Python SDK does) and a `/` is put in front. Each
/// `/`-separated segment is [`encode`]d and the `/` kept, except that the slash next to a `.` or
/// `..` segment is sent as `%2F` so that no HTTP stack normalises the dot segment away: the slash
/// after it (`a/./b` → `/a/.%2Fb`, like the Python SDK), or, for a trailing dot segment, the slash
/// before it (`a/..` → `/a%2F..`). A key that is only `.` or `..` cannot be protected.
///
/// [`decode_path`] of the result gives [`key_to_path`] of the key.
///
/// ```
/// use cos_ci_sign::{decode_path, encode_key_path, key_to_path};
/// assert_eq!(encode_key_path("a/./b/../c d.png"), "/a/.%2Fb/..%2Fc%20d.png");
/// assert_eq!(encode_key_path("目录/x+y.png"), "/%E7%9B%AE%E5%BD%95/x%2By.png");
/// assert_eq!(encode_key_path("/"), "/");
/// let key = "dir/../a?b#c%d";
/// assert_eq!(decode_path(&encode_key_path(key)).unwrap(), key_to_path(key));
/// ```
pub fn encode_key_path(key: &str) -> String {
    let key = key.strip_prefix('/').unwrap_or(key);
    let segments: Vec<&str> = key.split('/').collect();
    let last = segments.len().saturating_sub(1);
    let mut out = String::with_capacity(key.len() + 1);
    out.push('/');
    for (i, seg) in segments.iter().enumerate() {
        out.push_str(&encode(seg));
        if i < last {
            let next_is_trailing_dot =
                i + 1 == last && segments.get(last).is_some_and(|s| is_dot_segment(s));
            if is_dot_segment(seg) || next_is_trailing_dot {
                out.push_str("%2F");
            } else {
                out.push('/');
            }
        }
    }
    out
}
