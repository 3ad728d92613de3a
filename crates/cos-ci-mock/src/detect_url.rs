//! Fetching a `detect-url` source: a server-side request, so only to hosts the configuration
//! allows (none by default), only to the addresses checked, bounded in size and time, and
//! never following redirects.

//!
//! Without the `detect-url` feature nothing is fetched: such a request answers 501
//! NotImplemented, and the crate needs no HTTP client.

#[cfg(feature = "detect-url")]
use std::collections::HashMap;
#[cfg(feature = "detect-url")]
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
#[cfg(feature = "detect-url")]
use std::sync::{Arc, Mutex};
#[cfg(feature = "detect-url")]
use std::time::Duration;

use cos_ci_validate::ErrorCode;
#[cfg(feature = "detect-url")]
use futures_util::StreamExt;

#[cfg(feature = "detect-url")]
use crate::config::Config;
use crate::error::ApiError;
use crate::state::MockState;

/// Most rounds of percent-decoding a detect-url gets: the form decoding every query value
/// gets, then these. The Python SDK's docstrings encode a URL three times, which needs two.
pub const MAX_DECODE_ROUNDS: usize = 3;

/// Longest detect-url accepted, in bytes, checked before any decoding.
pub const MAX_DETECT_URL_BYTES: usize = 8 * 1024;

/// Decodes the detect-url value as clients send it: form-decoded once already; a value that
/// is still percent-encoded (`http%3A…`) is decoded again, at most [`MAX_DECODE_ROUNDS`]
/// times (iteratively, so no input can deepen the stack). The Python SDK's docstrings tell
/// callers to pass `http%25253A%25252F…`, which is still `http%253A…` after the first
/// decoding, so `%25` (an encoded `%`) after the scheme counts too.
pub fn normalize(value: &str) -> Result<String, ApiError> {
    if value.len() > MAX_DETECT_URL_BYTES {
        return Err(ApiError::new(
            ErrorCode::InvalidArgument,
            format!(
                "detect-url is {} bytes; at most {MAX_DETECT_URL_BYTES} are accepted",
                value.len()
            ),
        ));
    }
    let still_encoded = |v: &str| {
        let lower = v.get(..8).unwrap_or(v).to_ascii_lowercase();
        ["http%3a", "https%3a", "http%25", "https%25"]
            .iter()
            .any(|prefix| lower.starts_with(prefix))
    };
    let mut value = value.to_string();
    for _ in 0..MAX_DECODE_ROUNDS {
        if !still_encoded(&value) {
            return Ok(value);
        }
        match cos_ci_sign::decode_path(&value) {
            Ok(decoded) => value = decoded,
            // Not decodable: the URL check reports it as it is.
            Err(_) => return Ok(value),
        }
    }
    if still_encoded(&value) {
        return Err(ApiError::new(
            ErrorCode::InvalidImageSource,
            format!(
                "detect-url is still percent-encoded after {MAX_DECODE_ROUNDS} rounds of decoding \
                 (MAX_DECODE_ROUNDS); send it encoded once"
            ),
        ));
    }
    Ok(value)
}

#[cfg(feature = "detect-url")]
/// Whether `ip` is an address anyone may be sent to: not loopback, private, link-local
/// (169.254.169.254, the cloud metadata service, included), shared, unspecified, broadcast,
/// multicast, documentation or reserved; IPv4-mapped and -compatible IPv6 addresses count
/// as their IPv4 address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let seg = v6.segments();
            // ::a.b.c.d (deprecated IPv4-compatible) and 64:ff9b::/96 (NAT64) embed an IPv4 address.
            if seg[..6] == [0; 6] || seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                let [.., a, b] = seg;
                let v4 = Ipv4Addr::from((u32::from(a) << 16) | u32::from(b));
                if seg[..6] == [0; 6] && (v6.is_loopback() || v6.is_unspecified()) {
                    return false;
                }
                return is_public_v4(v4);
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (seg[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (seg[0] & 0xffc0) == 0xfec0 // site-local fec0::/10
                || (seg[0] == 0x2001 && seg[1] == 0x0db8)) // documentation
        }
    }
}

#[cfg(feature = "detect-url")]
fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space 100.64/10
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || a >= 240) // reserved
}

#[cfg(feature = "detect-url")]
/// The fetch client's name resolution: only the addresses [`fetch`] checked for a name
/// (pinned there just before the request), never a fresh lookup that could answer otherwise.
#[derive(Debug, Default)]
pub struct Pins(Mutex<HashMap<String, Vec<SocketAddr>>>);

#[cfg(feature = "detect-url")]
impl Pins {
    fn pin(&self, name: &str, addrs: Vec<SocketAddr>) {
        let mut pins = self.0.lock().unwrap_or_else(|e| e.into_inner());
        // Names are from the allowlist, so the map stays as small as the configuration.
        pins.insert(name.to_ascii_lowercase(), addrs);
    }
}

#[cfg(feature = "detect-url")]
impl reqwest::dns::Resolve for Pins {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let found = self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&name.as_str().to_ascii_lowercase())
            .cloned();
        Box::pin(async move {
            match found {
                Some(addrs) => Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs),
                None => Err(format!("{} was not checked before the fetch", name.as_str()).into()),
            }
        })
    }
}

#[cfg(feature = "detect-url")]
/// The client detect-url sources are fetched with: no redirects, no proxy, the configured
/// timeout, and names resolved only to the addresses `pins` holds. Failing to build it is a
/// startup error: a fallback client would follow redirects and honour proxies.
pub fn client(config: &Config, pins: Arc<Pins>) -> Result<reqwest::Client, reqwest::Error> {
    let timeout = Duration::from_millis(config.detect_url_timeout_ms);
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(pins)
        .build()
}

#[cfg(feature = "detect-url")]
/// Fetches `url` if the configuration allows its host and port and the host leads to an
/// address it may; at most `max` bytes.
pub async fn fetch(state: &MockState, url: &str, max: u64) -> Result<Vec<u8>, ApiError> {
    let source = |msg: String| ApiError::new(ErrorCode::InvalidImageSource, msg);
    let denied = |msg: String| ApiError::new(ErrorCode::AccessDenied, msg);
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| source(format!("detect-url {url:?} is not a URL: {e}")))?;
    let default_port = match parsed.scheme() {
        "http" => 80,
        "https" => 443,
        other => {
            return Err(source(format!(
                "detect-url scheme {other:?} is not http or https"
            )));
        }
    };
    let host = parsed.host_str().unwrap_or_default().to_string();
    let port = parsed.port().unwrap_or(default_port);
    if !state.config.detect_url_allowed(&host, port, default_port) {
        return Err(denied(format!(
            "detect-url host {host:?} port {port} is not allowed; add it to detect_url_hosts in \
             the mock's configuration (an entry without a port allows only port {default_port})"
        )));
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
        // Listed as this very address (detect_url_allowed compared it), so any address goes.
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => {
            let timeout = Duration::from_millis(state.config.detect_url_timeout_ms);
            let found = tokio::time::timeout(timeout, tokio::net::lookup_host((bare, port)))
                .await
                .map_err(|_| {
                    source(format!(
                        "resolving {host:?} took longer than detect_url_timeout_ms = {} ms",
                        state.config.detect_url_timeout_ms
                    ))
                })?
                .map_err(|e| source(format!("cannot resolve detect-url host {host:?}: {e}")))?
                .collect::<Vec<_>>();
            if let Some(bad) = found.iter().find(|a| !is_public(a.ip())) {
                return Err(denied(format!(
                    "detect-url host {host:?} resolves to {}, a loopback, private, link-local or \
                     otherwise non-public address; only an IP-literal entry in detect_url_hosts \
                     allows such an address",
                    bad.ip()
                )));
            }
            if found.is_empty() {
                return Err(source(format!("detect-url host {host:?} has no address")));
            }
            found
        }
    };
    let own = state.config.listen;
    if let Some(me) = addrs.iter().find(|a| {
        a.port() == own.port()
            && (!is_public(a.ip()) || a.ip() == own.ip() || own.ip().is_unspecified())
    }) {
        return Err(denied(format!(
            "detect-url {me} is the mock's own listen address; it never fetches from itself"
        )));
    }
    if bare.parse::<IpAddr>().is_err() {
        state.detect_pins.pin(bare, addrs);
    }
    let response = state
        .http
        .get(parsed)
        .send()
        .await
        .map_err(|e| source(format!("fetching detect-url failed: {e}")))?;
    if !response.status().is_success() {
        return Err(source(format!("detect-url answered {}", response.status())));
    }
    let limit = max.min(state.config.detect_url_max_bytes);
    if response.content_length().is_some_and(|n| n > limit) {
        return Err(ApiError::new(
            ErrorCode::ImageTooLarge,
            format!("detect-url body is larger than {limit} bytes"),
        ));
    }
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| source(format!("reading detect-url failed: {e}")))?;
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(ApiError::new(
                ErrorCode::ImageTooLarge,
                format!("detect-url body is larger than {limit} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Without the `detect-url` feature: the answer a detect-url request gets instead of a fetch.
#[cfg(not(feature = "detect-url"))]
pub async fn fetch(_state: &MockState, url: &str, _max: u64) -> Result<Vec<u8>, ApiError> {
    Err(ApiError::new(
        ErrorCode::NotImplemented,
        format!(
            "this cos-ci-mock was built without its `detect-url` feature, so it fetches no \
             detect-url source ({url:?}); enable the feature to process images from URLs"
        ),
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn decodes_values_that_are_still_encoded() {
        assert_eq!(normalize("http://a/b.png").unwrap(), "http://a/b.png");
        assert_eq!(
            normalize("http%3A%2F%2Fa%2Fb.png").unwrap(),
            "http://a/b.png"
        );
        assert_eq!(
            normalize("http%253A%252F%252Fa%252Fb.png").unwrap(),
            "http://a/b.png"
        );
        assert_eq!(
            normalize("http%25253A%25252F%25252Fa%25252Fb.png").unwrap(),
            "http://a/b.png"
        );
    }

    #[test]
    fn deep_encoding_is_refused_without_recursion() {
        // The request that once overflowed the stack: 30,000 levels of %25.
        let deep = format!("http%{}3A%2F%2Fa%2Fb.png", "25".repeat(30_000));
        let err = normalize(&deep).unwrap_err();
        assert_eq!(err.code, "InvalidArgument", "{}", err.message);
        assert!(err.message.contains("8192"), "{}", err.message);
        // Under the length limit but more levels than allowed.
        let deep = format!(
            "http%{}3A%2F%2Fa%2Fb.png",
            "25".repeat(MAX_DECODE_ROUNDS + 1)
        );
        let err = normalize(&deep).unwrap_err();
        assert_eq!(err.code, "InvalidImageSource");
        assert!(err.message.contains("MAX_DECODE_ROUNDS"), "{}", err.message);
    }

    #[cfg(not(feature = "detect-url"))]
    #[tokio::test]
    async fn without_the_feature_a_detect_url_is_not_implemented() {
        let state = MockState::new(
            crate::Config::default(),
            crate::Storage::memory(),
            crate::route::Routes::new(Vec::new()).unwrap(),
        )
        .unwrap();
        let err = fetch(&state, "http://a/b.png", 1024).await.unwrap_err();
        assert_eq!(
            (err.code.as_str(), err.status),
            ("NotImplemented", 501),
            "{}",
            err.message
        );
        assert!(
            err.message.contains("`detect-url` feature"),
            "{}",
            err.message
        );
    }

    #[test]
    #[cfg(feature = "detect-url")]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "127.8.9.10",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "0.1.2.3",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "::1",
            "::",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "2001:db8::1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "1.1.1.1",
            "8.8.8.8",
            "203.0.114.1",
            "2606:4700::1111",
            "::ffff:1.1.1.1",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }
}
