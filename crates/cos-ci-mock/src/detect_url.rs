//! Fetching a `detect-url` source: a server-side request, so only to hosts the configuration
//! allows (none by default), bounded in size and time, and never following redirects.

use cos_ci_validate::ErrorCode;
use futures_util::StreamExt;

use crate::error::ApiError;
use crate::state::MockState;

/// Decodes the detect-url value as clients send it: form-decoded once already; a value that
/// is still percent-encoded (`http%3A…`) is decoded again, as often as it takes. The Python
/// SDK's docstrings tell callers to pass `http%25253A%25252F…`, which is still `http%253A…`
/// after the first decoding, so `%25` (an encoded `%`) after the scheme counts too.
pub fn normalize(value: &str) -> String {
    let lower = value.to_ascii_lowercase();
    let encoded = ["http%3a", "https%3a", "http%25", "https%25"];
    if encoded.iter().any(|prefix| lower.starts_with(prefix)) {
        if let Ok(decoded) = cos_ci_sign::decode_path(value) {
            return normalize(&decoded);
        }
    }
    value.to_string()
}

/// Fetches `url` if the configuration allows its host; at most `max` bytes.
pub async fn fetch(state: &MockState, url: &str, max: u64) -> Result<Vec<u8>, ApiError> {
    let source = |msg: String| ApiError::new(ErrorCode::InvalidImageSource, msg);
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| source(format!("detect-url {url:?} is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(source(format!(
            "detect-url scheme {:?} is not http or https",
            parsed.scheme()
        )));
    }
    let host = parsed.host_str().unwrap_or_default();
    if !state
        .config
        .detect_url_allowed(host, parsed.port_or_known_default())
    {
        return Err(ApiError::new(
            ErrorCode::AccessDenied,
            format!(
                "detect-url host {host:?} is not allowed; add it to detect_url_hosts in the mock's configuration"
            ),
        ));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_values_that_are_still_encoded() {
        assert_eq!(normalize("http://a/b.png"), "http://a/b.png");
        assert_eq!(normalize("http%3A%2F%2Fa%2Fb.png"), "http://a/b.png");
        assert_eq!(
            normalize("http%253A%252F%252Fa%252Fb.png"),
            "http://a/b.png"
        );
    }
}
