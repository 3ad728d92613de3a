//! The HTTP pieces every handler shares: the parsed request ([`Ctx`]), the 200 answer, and
//! reading request bodies within their deadlines. A leaf: it imports none of the handlers, so
//! they and the router (`server`) depend on it and never on each other.

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use cos_ci_validate::{CI_PROCESS, ErrorCode, Mode, OpSpec, PIC_OPERATIONS_HEADER, PicOperations};
use futures_util::{Stream, StreamExt};
use http::{HeaderValue, Method, header};

use crate::addressing::Target;
use crate::error::ApiError;
use crate::state::MockState;

/// What a request asks for, decided from method, query and headers alone.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// `GET ?ci-process=<an operation the server serves>`.
    Download(&'static OpSpec),
    /// `GET ?ci-process=<unknown>`.
    UnknownProcess,
    /// `PUT` with Pic-Operations.
    Upload,
    /// `PUT /<key>?ci-process=<an operation the server serves>` without Pic-Operations: the
    /// body is stored and the operation's answer returned.
    UploadQuery(&'static OpSpec),
    /// `POST ?image_process`.
    Cloud,
    /// Plain object operations.
    Get,
    /// HEAD Object.
    Head,
    /// PUT Object.
    Put,
    /// DELETE Object.
    Delete,
    /// GET Service (list buckets): `GET /` on a COS service endpoint.
    GetService,
    /// GET Bucket (list objects).
    GetBucket,
    /// HEAD Bucket.
    HeadBucket,
    /// PUT Bucket.
    PutBucket,
    /// DELETE Bucket.
    DeleteBucket,
    /// `POST ?delete`: delete multiple objects.
    DeleteObjects,
    /// PUT Object with `x-cos-copy-source`.
    CopyObject,
    /// `POST <key>?uploads`.
    InitiateUpload,
    /// `PUT <key>?partNumber&uploadId`, copying when `x-cos-copy-source` is given.
    UploadPart {
        /// Whether the part is copied from an object.
        copy: bool,
    },
    /// `POST <key>?uploadId`.
    CompleteUpload,
    /// `DELETE <key>?uploadId`.
    AbortUpload,
    /// `GET <key>?uploadId`.
    ListParts,
    /// `GET /?uploads`.
    ListUploads,
    /// Anything else.
    Unsupported,
}

impl Kind {
    /// The COS action name used in logs and fault matching.
    pub fn action(self) -> &'static str {
        match self {
            Kind::Download(_) | Kind::UnknownProcess | Kind::UploadQuery(_) => "CiProcess",
            Kind::Upload | Kind::Put => "PutObject",
            Kind::Cloud => "ImageProcess",
            Kind::Get => "GetObject",
            Kind::Head => "HeadObject",
            Kind::Delete => "DeleteObject",
            Kind::GetService => "GetService",
            Kind::GetBucket => "GetBucket",
            Kind::HeadBucket => "HeadBucket",
            Kind::PutBucket => "PutBucket",
            Kind::DeleteBucket => "DeleteBucket",
            Kind::DeleteObjects => "DeleteMultipleObjects",
            Kind::CopyObject => "PutObjectCopy",
            Kind::InitiateUpload => "InitiateMultipartUpload",
            Kind::UploadPart { copy: false } => "UploadPart",
            Kind::UploadPart { copy: true } => "UploadPartCopy",
            Kind::CompleteUpload => "CompleteMultipartUpload",
            Kind::AbortUpload => "AbortMultipartUpload",
            Kind::ListParts => "ListParts",
            Kind::ListUploads => "ListMultipartUploads",
            Kind::Unsupported => "Unsupported",
        }
    }

    /// The processing mode, for processing requests.
    pub fn mode(self) -> Option<Mode> {
        match self {
            Kind::Download(_) | Kind::UnknownProcess => Some(Mode::Download),
            Kind::UploadQuery(_) => Some(Mode::UploadQuery),
            Kind::Upload => Some(Mode::Upload),
            Kind::Cloud => Some(Mode::Cloud),
            _ => None,
        }
    }
}

/// One request, parsed once.
pub struct Ctx {
    /// The id answered in `x-cos-request-id`.
    pub request_id: String,
    /// HTTP method.
    pub method: Method,
    /// The raw path.
    pub raw_path: String,
    /// The raw query.
    pub raw_query: String,
    /// Form-decoded query pairs.
    pub query: Vec<(String, String)>,
    /// Headers with lower-case names.
    pub headers: Vec<(String, String)>,
    /// Bucket and key.
    pub target: Target,
    /// What the request asks for.
    pub kind: Kind,
}

impl Ctx {
    /// The first header called `name` (in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first query parameter called `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `<bucket>.cos.<region>.myqcloud.com/<key>`, the `<Resource>` of errors.
    pub fn resource(&self, state: &MockState) -> String {
        state.location(&self.target.bucket, &self.target.key)
    }

    /// The ci-process operations a request involves.
    pub fn operations(&self) -> Vec<String> {
        match self.kind {
            Kind::Download(spec) | Kind::UploadQuery(spec) => vec![spec.name.to_string()],
            Kind::UnknownProcess => self
                .param(CI_PROCESS)
                .map(str::to_string)
                .into_iter()
                .collect(),
            Kind::Upload | Kind::Cloud => self
                .header(PIC_OPERATIONS_HEADER)
                .and_then(|h| serde_json::from_str::<PicOperations>(h).ok())
                .map(|ops| {
                    ops.rules
                        .iter()
                        .filter_map(|r| {
                            cos_ci_validate::rule_operation(&r.rule).map(str::to_string)
                        })
                        .collect()
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }
}

/// A 200 answer with a complete body.
pub fn ok(content_type: &str, body: impl Into<Bytes>, server: &'static str) -> Response {
    let body: Bytes = body.into();
    let len = body.len();
    let mut response = Response::new(Body::from(body));
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    headers.insert(header::SERVER, HeaderValue::from_static(server));
    response
}

/// Why a request body could not be read.
#[derive(Debug)]
pub struct BodyError {
    /// The client was too slow (`body_timeout_ms` / `body_idle_timeout_ms`): COS answers
    /// RequestTimeout; otherwise the body broke off (IncompleteBody).
    pub timeout: bool,
    /// What happened, naming the budget when one was exceeded.
    pub message: String,
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl BodyError {
    /// The COS error for it.
    pub fn to_api(&self) -> ApiError {
        if self.timeout {
            ApiError::new(ErrorCode::RequestTimeout, self.message.clone())
        } else {
            ApiError::new(
                ErrorCode::IncompleteBody,
                format!("the request body could not be read: {}", self.message),
            )
        }
    }
}

/// The request body as a stream; its deadlines (set where connections are served) surface
/// as a `BodyError` with `timeout` set.
pub fn body_stream(
    body: Body,
) -> impl Stream<Item = Result<Bytes, BodyError>> + Send + Unpin + 'static {
    body.into_data_stream().map(|chunk| {
        chunk.map_err(|e| {
            let inner = e.into_inner();
            let timeout = inner.downcast_ref::<BodyTimeout>().is_some();
            BodyError {
                timeout,
                message: inner.to_string(),
            }
        })
    })
}

/// The request body as a stream, and a watch that remembers a body deadline: storage reports
/// any broken stream as IncompleteBody, while a deadline must answer RequestTimeout.
pub fn watched_body(
    body: Body,
) -> (
    impl Stream<Item = Result<Bytes, BodyError>> + Send + Unpin + 'static,
    BodyWatch,
) {
    let watch = BodyWatch::default();
    let seen = watch.0.clone();
    let stream = body_stream(body).inspect(move |chunk| {
        if let Err(e) = chunk
            && e.timeout
        {
            *seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_api());
        }
    });
    (stream, watch)
}

/// What [`watched_body`] saw of the body's deadlines.
#[derive(Default)]
pub struct BodyWatch(Arc<std::sync::Mutex<Option<ApiError>>>);

impl BodyWatch {
    /// RequestTimeout when a body deadline passed, else `error`.
    pub fn error(&self, error: ApiError) -> ApiError {
        let timeout = self.0.lock().unwrap_or_else(|p| p.into_inner()).take();
        timeout.unwrap_or(error)
    }
}

/// Reads a whole request body of at most `max` bytes.
pub async fn read_body(body: Body, max: u64) -> Result<Bytes, ApiError> {
    let mut stream = body_stream(body);
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| e.to_api())?;
        if (out.len() + chunk.len()) as u64 > max {
            return Err(ApiError::new(
                ErrorCode::EntityTooLarge,
                format!("the body is larger than {max} bytes"),
            ));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(out))
}

/// Why a request body was cut off: it took longer than `body_timeout_ms` in all, or its next
/// chunk longer than `body_idle_timeout_ms` (set where connections are served, in `listen`).
/// Answered as COS's RequestTimeout.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct BodyTimeout(pub String);
