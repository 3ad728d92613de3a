//! Server-side verification (official-sdks.md §1.9).

use std::collections::HashMap;

use subtle::ConstantTimeEq;

use crate::sign::{compute, http_string, join_pairs};
use crate::{Authorization, VerifyError, decode_path, encode};

/// Default of the most names `q-header-list` or `q-url-param-list` may hold, and of the most
/// received headers or parameters one list may match (the mock's `max_signed_names`). Far above
/// what any SDK signs (a handful of headers, the operation's few parameters).
pub const DEFAULT_MAX_SIGNED_NAMES: usize = 64;

/// One received name/value matched to a listed name.
struct Matched {
    /// Position of the listed name in the (deduplicated) list.
    group: usize,
    /// The listed (encoded, lower-cased) name.
    name: String,
    /// The received, decoded value.
    value: String,
}

/// For each distinct name in `list` (the field called `field`), every received pair whose
/// `enc(name).lower()` equals it.
///
/// Linear in the list and the received pairs: the distinct listed names are indexed once and
/// each received name is encoded and looked up once. At most `max` names may be listed and at
/// most `max` received pairs may match them.
fn gather(
    field: &'static str,
    list: &[String],
    received: &[(String, String)],
    max: usize,
    missing: fn(String) -> VerifyError,
) -> Result<Vec<Matched>, VerifyError> {
    if list.len() > max {
        return Err(VerifyError::TooManySignedNames {
            list: field,
            count: list.len(),
            limit: max,
        });
    }
    let mut groups: HashMap<&str, usize> = HashMap::with_capacity(list.len());
    let mut names: Vec<&str> = Vec::with_capacity(list.len());
    for name in list {
        if !groups.contains_key(name.as_str()) {
            groups.insert(name, names.len());
            names.push(name);
        }
    }
    let mut found = vec![false; names.len()];
    let mut out = Vec::new();
    let mut matched = 0usize;
    for (k, v) in received {
        let Some(&group) = groups.get(encode(k).to_ascii_lowercase().as_str()) else {
            continue;
        };
        matched += 1;
        if matched > max {
            // Keep counting (cheaply) so that the error can say how many there were.
            continue;
        }
        if let Some(f) = found.get_mut(group) {
            *f = true;
        }
        out.push(Matched {
            group,
            name: names.get(group).copied().unwrap_or_default().to_string(),
            value: v.clone(),
        });
    }
    if matched > max {
        return Err(VerifyError::TooManySignedValues {
            list: field,
            count: matched,
            limit: max,
        });
    }
    if let Some(first) = found.iter().position(|f| !f) {
        return Err(missing(
            names.get(first).copied().unwrap_or_default().to_string(),
        ));
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
///
/// Each list may name at most [`DEFAULT_MAX_SIGNED_NAMES`] names and match at most as many
/// received pairs ([`VerifyError::TooManySignedNames`], [`VerifyError::TooManySignedValues`]);
/// [`verify_limited`] takes another limit. The work is linear in the size of the request.
pub fn verify(
    auth: &Authorization,
    secret_key: &str,
    method: &str,
    raw_path: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
) -> Result<(), VerifyError> {
    verify_limited(
        auth,
        secret_key,
        method,
        raw_path,
        query,
        headers,
        DEFAULT_MAX_SIGNED_NAMES,
    )
}

/// [`verify`] with `max_signed_names` instead of [`DEFAULT_MAX_SIGNED_NAMES`]: the most names
/// `q-header-list` and `q-url-param-list` may each hold, and the most received headers
/// (parameters) the header (parameter) list may match.
pub fn verify_limited(
    auth: &Authorization,
    secret_key: &str,
    method: &str,
    raw_path: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
    max_signed_names: usize,
) -> Result<(), VerifyError> {
    let path = decode_path(raw_path).map_err(VerifyError::InvalidPath)?;
    let params = gather(
        "q-url-param-list",
        &auth.url_param_list,
        query,
        max_signed_names,
        VerifyError::MissingSignedParam,
    )?;
    let hdrs = gather(
        "q-header-list",
        &auth.header_list,
        headers,
        max_signed_names,
        VerifyError::MissingSignedHeader,
    )?;

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
