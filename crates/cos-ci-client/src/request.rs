//! Building and signing requests: pure, so tests can snapshot exactly what goes on the wire.

use cos_ci_sign::{KeyTime, SignInput, Signer};
use cos_ci_validate::{HostKind, bucket_host};

use crate::config::{Config, Domain};
use crate::credentials::Credentials;

/// A signed request ready to send (or to show): method, URL and headers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreparedRequest {
    /// HTTP method.
    pub method: &'static str,
    /// The URL connected to (the endpoint override, or the bucket host).
    pub url: String,
    /// Headers, `Host` and `Authorization` included.
    pub headers: Vec<(String, String)>,
}

impl PreparedRequest {
    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl std::fmt::Display for PreparedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{} {}", self.method, self.url)?;
        for (k, v) in &self.headers {
            writeln!(f, "{k}: {v}")?;
        }
        Ok(())
    }
}

/// What a request is made of before signing.
#[derive(Clone, Debug)]
pub(crate) struct RequestParts {
    pub method: &'static str,
    /// The operation, for tracing: `GetObject`, `PutObject`, a ci-process name…
    pub operation: &'static str,
    /// The processing mode, for tracing.
    pub mode: Option<&'static str>,
    pub host: HostKind,
    /// The object key; empty for the bucket root.
    pub key: String,
    /// Query pairs in wire order (decoded).
    pub query: Vec<(String, String)>,
    /// Extra headers (signed when signable).
    pub headers: Vec<(String, String)>,
    /// Content-Length, for requests with a body.
    pub content_length: Option<u64>,
}

impl Config {
    /// The host name of the bucket for `kind`, by [`Domain`]. The persistence (`pic`) host
    /// that detect-url requests go to is `<bucket>.pic.<region>.myqcloud.com` in every style,
    /// as the official Python SDK's default `EndpointPic`; the `ci` host likewise (no other
    /// style of it is documented).
    pub(crate) fn host_name(&self, kind: HostKind) -> String {
        match (&self.domain, kind) {
            (Domain::MyQcloud, _) | (_, HostKind::Pic | HostKind::Ci) => {
                bucket_host(kind, &self.bucket, &self.region)
            }
            (Domain::TencentCos, HostKind::Cos) => {
                format!("{}.cos.{}.tencentcos.cn", self.bucket, self.region)
            }
            (Domain::Accelerate, HostKind::Cos) => {
                format!("{}.cos.accelerate.myqcloud.com", self.bucket)
            }
            (Domain::Custom(domain), HostKind::Cos) => domain.clone(),
        }
    }

    /// `scheme://host` connected to for `kind`.
    pub(crate) fn base_url(&self, kind: HostKind) -> String {
        match &self.endpoint {
            Some(endpoint) => endpoint.clone(),
            None => format!("{}://{}", self.scheme, self.host_name(kind)),
        }
    }

    fn key_time(&self) -> KeyTime {
        let now = self.clock.now();
        // Start a minute early to absorb clock skew, as the official SDKs do.
        KeyTime::new(
            now.saturating_sub(60),
            now + self.signature_validity.as_secs(),
        )
    }

    /// Signs `parts`: every query parameter and every signable header, Host included.
    pub(crate) fn prepare(
        &self,
        parts: &RequestParts,
        credentials: &Credentials,
    ) -> PreparedRequest {
        let host = self.host_name(parts.host);
        let mut headers = vec![("Host".to_string(), host)];
        if let Some(len) = parts.content_length {
            headers.push(("Content-Length".to_string(), len.to_string()));
        }
        headers.extend(parts.headers.iter().cloned());
        if let Some(token) = &credentials.token {
            headers.push(("x-cos-security-token".to_string(), token.clone()));
        }
        let signed = cos_ci_sign::signable_headers(&headers);
        let path = cos_ci_sign::key_to_path(&parts.key);
        let auth = signer(credentials).sign(
            self.key_time(),
            &SignInput {
                method: parts.method,
                path: &path,
                params: &parts.query,
                headers: &signed,
            },
        );
        headers.push(("Authorization".to_string(), auth.to_header_value()));
        PreparedRequest {
            method: parts.method,
            url: format!(
                "{}{}",
                self.base_url(parts.host),
                wire_target(&parts.key, &parts.query)
            ),
            headers,
        }
    }

    /// A pre-signed GET URL for `parts`, valid for `expires` seconds. With an endpoint
    /// override the URL's own host is signed, since a plain HTTP client sends that.
    pub(crate) fn presign(
        &self,
        parts: &RequestParts,
        expires: u64,
        credentials: &Credentials,
    ) -> String {
        let base = self.base_url(parts.host);
        let host = base
            .split_once("://")
            .map_or(base.as_str(), |(_, h)| h)
            .to_string();
        let now = self.clock.now();
        let key_time = KeyTime::new(now.saturating_sub(60), now + expires);
        let path = cos_ci_sign::key_to_path(&parts.key);
        let auth = signer(credentials).sign(
            key_time,
            &SignInput {
                method: parts.method,
                path: &path,
                params: &parts.query,
                headers: &[("host".to_string(), host)],
            },
        );
        let mut url = format!(
            "{base}{}?{}",
            cos_ci_sign::encode_key_path(&parts.key),
            auth.to_presigned_query(&parts.query)
        );
        // Temporary credentials need the token on the URL; it is not signed (as the Node SDK).
        if let Some(token) = &credentials.token {
            url.push_str("&x-cos-security-token=");
            url.push_str(&cos_ci_sign::encode(token));
        }
        url
    }
}

fn signer(credentials: &Credentials) -> Signer<'_> {
    Signer {
        secret_id: &credentials.secret_id,
        secret_key: &credentials.secret_key,
    }
}

/// `/<encoded key>?<encoded query>`; a parameter with an empty value is sent bare (`?image_process`).
fn wire_target(key: &str, query: &[(String, String)]) -> String {
    let mut target = cos_ci_sign::encode_key_path(key);
    for (i, (k, v)) in query.iter().enumerate() {
        target.push(if i == 0 { '?' } else { '&' });
        target.push_str(&cos_ci_sign::encode(k));
        if !v.is_empty() {
            target.push('=');
            target.push_str(&cos_ci_sign::encode(v));
        }
    }
    target
}
