//! Server-side verification (official-sdks.md §1.9).

use subtle::ConstantTimeEq;

use crate::sign::{compute, http_string, join_pairs};
use crate::{Authorization, VerifyError, decode_path, encode};

/// One received name/value matched to a listed name.
struct Matched {
    /// Position of the listed name in the (deduplicated) list.
    group: usize,
    /// The listed (encoded, lower-cased) name.
    name: String,
    /// The received, decoded value.
    value: String,
}

/// For each distinct name in `list`, every received pair whose `enc(name).lower()` equals it.
/// `Err(name)` for the first listed name nothing matches.
fn gather(list: &[String], received: &[(String, String)]) -> Result<Vec<Matched>, String> {
    let received: Vec<(String, &str)> = received
        .iter()
        .map(|(k, v)| (encode(k).to_ascii_lowercase(), v.as_str()))
        .collect();
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for name in list {
        if seen.contains(&name.as_str()) {
            continue;
        }
        let group = seen.len();
        seen.push(name);
        let before = out.len();
        out.extend(
            received
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| Matched {
                    group,
                    name: name.clone(),
                    value: (*v).to_string(),
                }),
        );
        if out.len() == before {
            return Err(name.clone());
        }
    }
    Ok(out)
}

/// The canonical strings to try for a matched list: in the order of the list (how every SDK
/// builds both the list and the string; Node sorts raw names, Python encoded ones) and fully
/// sorted by encoded name (the documented rule). Duplicates removed.
fn renderings(matched: &[Matched], map_value: impl Fn(&Matched) -> String) -> Vec<String> {
    let encoded: Vec<(usize, String, String)> = matched
        .iter()
        .map(|m| (m.group, m.name.clone(), encode(&map_value(m))))
        .collect();
    let mut list_order = encoded.clone();
    list_order.sort_by(|a, b| (a.0, &a.2).cmp(&(b.0, &b.2)));
    let mut sorted = encoded;
    sorted.sort_by(|a, b| (&a.1, &a.2).cmp(&(&b.1, &b.2)));
    let strip = |v: Vec<(usize, String, String)>| -> Vec<(String, String)> {
        v.into_iter().map(|(_, k, v)| (k, v)).collect()
    };
    let first = join_pairs(&strip(list_order));
    let second = join_pairs(&strip(sorted));
    if first == second {
        vec![first]
    } else {
        vec![first, second]
    }
}

/// `host:port` → `host` (also `[v6]:port` → `[v6]`); `None` when there is no numeric port.
fn strip_port(host: &str) -> Option<&str> {
    let (head, port) = host.rsplit_once(':')?;
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if head.contains(':') && !head.ends_with(']') {
        return None; // a bare IPv6 address, not a port
    }
    Some(head)
}

/// Verify a received request against its authorization (official-sdks.md §1.9).
///
/// * `raw_path`: the raw (percent-encoded) request path; it is decoded with [`decode_path`].
/// * `query`: the [`parse_query`](crate::parse_query) pairs of the raw query. Only the
///   parameters named in `q-url-param-list` are signed; others (the `q-*` fields of a pre-signed
///   URL, an unsigned `x-cos-security-token`) are ignored. A listed name matches every request
///   parameter whose `enc(name).lower()` equals it.
/// * `headers`: the received headers (matched the same way, so case-insensitively). For `host`
///   the value as received is tried first, then without its `:port` (the Python SDK signs the
///   host without the port in Domain mode and for pre-signed URLs).
///
/// The HttpString is rebuilt in the order of the lists (and, if different, fully sorted), the
/// signature recomputed with `secret_key` (SignKey from `q-key-time`, StringToSign with
/// `q-sign-time`) and compared in constant time. The time window is not checked here; see
/// [`check_time`](crate::check_time). The caller has already looked up `secret_key` for
/// `auth.secret_id`.
pub fn verify(
    auth: &Authorization,
    secret_key: &str,
    method: &str,
    raw_path: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
) -> Result<(), VerifyError> {
    let path = decode_path(raw_path).map_err(VerifyError::InvalidPath)?;
    let params = gather(&auth.url_param_list, query).map_err(VerifyError::MissingSignedParam)?;
    let hdrs = gather(&auth.header_list, headers).map_err(VerifyError::MissingSignedHeader)?;

    let param_strings = renderings(&params, |m| m.value.clone());
    let mut header_strings = renderings(&hdrs, |m| m.value.clone());
    let has_port = hdrs
        .iter()
        .any(|m| m.name == "host" && strip_port(&m.value).is_some());
    if has_port {
        for s in renderings(&hdrs, |m| {
            if m.name == "host" {
                strip_port(&m.value).unwrap_or(&m.value).to_string()
            } else {
                m.value.clone()
            }
        }) {
            if !header_strings.contains(&s) {
                header_strings.push(s);
            }
        }
    }

    let mut first_string_to_sign = None;
    for h in &header_strings {
        for p in &param_strings {
            let hs = http_string(method, &path, p, h);
            let debug = compute(secret_key, auth.sign_time, auth.key_time, hs);
            let ok: bool = debug
                .signature
                .as_bytes()
                .ct_eq(auth.signature.as_bytes())
                .into();
            if ok {
                return Ok(());
            }
            first_string_to_sign.get_or_insert(debug.string_to_sign);
        }
    }
    Err(VerifyError::SignatureDoesNotMatch {
        string_to_sign: first_string_to_sign.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::strip_port;

    #[test]
    fn strip_port_cases() {
        assert_eq!(strip_port("127.0.0.1:9000"), Some("127.0.0.1"));
        assert_eq!(strip_port("[::1]:9000"), Some("[::1]"));
        assert_eq!(strip_port("example.com"), None);
        assert_eq!(strip_port("example.com:"), None);
        assert_eq!(strip_port("::1"), None);
        assert_eq!(strip_port("[::1]"), None);
        assert_eq!(strip_port("a:b"), None);
    }
}
