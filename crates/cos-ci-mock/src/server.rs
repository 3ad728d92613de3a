//! The HTTP front: one handler that resolves bucket and key, verifies the signature, applies
//! injected faults, dispatches by method and query, and answers every error as COS does.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use bytes::Bytes;
use cos_ci_validate::{CI_PROCESS, ErrorCode, MAX_KEY_BYTES, Mode, OpSpec, PicOperations};
use futures_util::{Stream, StreamExt};
use http::{HeaderValue, Method, StatusCode, header};

use crate::addressing::{self, Target};
use crate::auth::{self, Signed};
use crate::error::ApiError;
use crate::route::Routes;
use crate::state::{MockState, RecordedRequest};
use crate::{admin, bucket, copy, delete_objects, modes, multipart, object};

/// What a request asks for, decided from method, query and headers alone.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// `GET ?ci-process=<an operation the server serves>`.
    Download(&'static OpSpec),
    /// `GET ?ci-process=<unknown>`.
    UnknownProcess,
    /// `PUT` with Pic-Operations.
    Upload,
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
            Kind::Download(_) | Kind::UnknownProcess => "CiProcess",
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
    /// The first header called `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
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
    fn operations(&self) -> Vec<String> {
        match self.kind {
            Kind::Download(spec) => vec![spec.name.to_string()],
            Kind::UnknownProcess => self
                .param(CI_PROCESS)
                .map(str::to_string)
                .into_iter()
                .collect(),
            Kind::Upload | Kind::Cloud => self
                .header("pic-operations")
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

/// Bucket sub-resources of COS that the mock does not emulate.
const BUCKET_SUBRESOURCES: [&str; 24] = [
    "acl",
    "cors",
    "policy",
    "lifecycle",
    "tagging",
    "versioning",
    "versions",
    "website",
    "referer",
    "logging",
    "inventory",
    "replication",
    "encryption",
    "domain",
    "origin",
    "intelligenttiering",
    "location",
    "object-lock",
    "accelerate",
    "list-type",
    "notification",
    "restore",
    "append",
    "select",
];

/// Decides what a request asks for. `root` is a request for `/` of a bucket (no key);
/// `service` one for `/` of a COS service endpoint (GET Service).
fn classify(
    routes: &Routes,
    method: &Method,
    query: &[(String, String)],
    headers: &[(String, String)],
    root: bool,
    service: bool,
) -> Kind {
    let has = |name: &str| query.iter().any(|(k, _)| k == name);
    let has_header = |name: &str| headers.iter().any(|(k, _)| k == name);
    let process = query
        .iter()
        .find(|(k, _)| k == CI_PROCESS)
        .map(|(_, v)| v.as_str());
    // Bucket sub-resources the mock does not emulate (`?acl`, `?cors`, ...) stay unsupported
    // rather than being answered as a listing or a bucket creation.
    let plain_root = root
        && !query
            .iter()
            .any(|(k, _)| BUCKET_SUBRESOURCES.contains(&k.as_str()));
    match *method {
        Method::GET => match process {
            Some(name) => routes
                .find(name)
                .map_or(Kind::UnknownProcess, |r| Kind::Download(r.spec)),
            None if root && has("uploads") => Kind::ListUploads,
            None if root && service && plain_root => Kind::GetService,
            None if root && plain_root => Kind::GetBucket,
            None if root => Kind::Unsupported,
            None if has("uploadId") => Kind::ListParts,
            None => Kind::Get,
        },
        // Processing on upload keeps its own answer for a missing key.
        Method::PUT if has_header("pic-operations") && !has("partNumber") => Kind::Upload,
        Method::PUT if root && plain_root => Kind::PutBucket,
        Method::PUT if root => Kind::Unsupported,
        Method::PUT if has("partNumber") && has("uploadId") => Kind::UploadPart {
            copy: has_header("x-cos-copy-source"),
        },
        Method::PUT if has_header("pic-operations") => Kind::Upload,
        Method::PUT if has_header("x-cos-copy-source") => Kind::CopyObject,
        Method::PUT => Kind::Put,
        Method::POST if has("image_process") => Kind::Cloud,
        Method::POST if root && has("delete") => Kind::DeleteObjects,
        Method::POST if !root && has("uploads") => Kind::InitiateUpload,
        Method::POST if !root && has("uploadId") => Kind::CompleteUpload,
        Method::HEAD if root && plain_root => Kind::HeadBucket,
        Method::HEAD if root => Kind::Unsupported,
        Method::HEAD => Kind::Head,
        Method::DELETE if root && plain_root => Kind::DeleteBucket,
        Method::DELETE if root => Kind::Unsupported,
        Method::DELETE if has("uploadId") => Kind::AbortUpload,
        Method::DELETE => Kind::Delete,
        _ => Kind::Unsupported,
    }
}

/// Answers one request; `listen` serves every connection with it.
pub(crate) async fn handle(State(state): State<Arc<MockState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    // With the test API off, `/_mock/…` is an ordinary key: nothing hints that it exists.
    if state.admin_enabled && parts.uri.path().starts_with(admin::PREFIX) {
        return admin::handle(&state, &parts, body).await;
    }
    let request_id = state.next_request_id();
    let raw_path = parts.uri.path().to_string();
    let raw_query = parts.uri.query().unwrap_or("").to_string();
    let query = cos_ci_sign::parse_query(&raw_query);
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let host = headers
        .iter()
        .find(|(k, _)| k == "host")
        .map(|(_, v)| v.clone())
        .or_else(|| parts.uri.host().map(str::to_string));
    let decoded = cos_ci_sign::decode_path(&raw_path);
    let target = addressing::resolve(
        host.as_deref(),
        decoded.as_deref().unwrap_or(&raw_path),
        &state.config.buckets,
    );
    // `/` of an IP or custom Host is the default bucket's root (the SDKs' Domain mode lists
    // objects that way); only a COS service endpoint lists buckets.
    let service = target.key.is_empty()
        && matches!(decoded.as_deref(), Ok("/" | ""))
        && host.as_deref().is_some_and(addressing::is_service_host);
    let kind = classify(
        &state.routes,
        &parts.method,
        &query,
        &headers,
        target.key.is_empty(),
        service,
    );
    let ctx = Ctx {
        request_id,
        method: parts.method.clone(),
        raw_path,
        raw_query,
        query,
        headers,
        target,
        kind,
    };
    let operations = ctx.operations();

    let result = dispatch(&state, &ctx, body, decoded.is_ok(), &operations).await;
    let (mut response, error_code) = match result {
        Ok(response) => (response, None),
        Err(error) => (error_response(&state, &ctx, &error), Some(error.code)),
    };
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&ctx.request_id) {
        headers.insert("x-cos-request-id", v);
    }
    if !headers.contains_key(header::SERVER) {
        headers.insert(header::SERVER, HeaderValue::from_static("tencent-cos"));
    }
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(std::time::SystemTime::now())) {
        headers.insert(header::DATE, v);
    }
    let status = response.status().as_u16();
    tracing::info!(
        request_id = %ctx.request_id,
        method = %ctx.method,
        bucket = %ctx.target.bucket,
        key = %ctx.target.key,
        action = kind.action(),
        status,
        code = error_code.as_deref().unwrap_or(""),
    );
    state.record(RecordedRequest {
        request_id: ctx.request_id,
        method: ctx.method.to_string(),
        path: ctx.raw_path,
        query: ctx.raw_query,
        headers: ctx.headers,
        bucket: ctx.target.bucket,
        key: ctx.target.key,
        action: kind.action().to_string(),
        operations,
        mode: kind.mode().map(|m| m.as_str().to_string()),
        status,
        error_code,
    });
    response
}

async fn dispatch(
    state: &Arc<MockState>,
    ctx: &Ctx,
    body: Body,
    path_ok: bool,
    operations: &[String],
) -> Result<Response, ApiError> {
    if !path_ok {
        return Err(ApiError::new(
            ErrorCode::InvalidURI,
            "the request path is not valid percent-encoded UTF-8",
        ));
    }
    // GET Service names no bucket; PUT Bucket names one that is not there yet.
    if !matches!(ctx.kind, Kind::GetService | Kind::PutBucket)
        && !bucket::exists(state, &ctx.target.bucket).await?
    {
        return Err(ApiError::new(
            ErrorCode::NoSuchBucket,
            format!("the bucket {:?} does not exist", ctx.target.bucket),
        ));
    }
    if ctx.target.key.len() > MAX_KEY_BYTES {
        return Err(ApiError::code(ErrorCode::KeyTooLong));
    }
    let account = auth::authenticate(
        state,
        &Signed {
            method: ctx.method.as_str(),
            raw_path: &ctx.raw_path,
            query: &ctx.query,
            headers: &ctx.headers,
        },
    )?;
    // Faults are taken only now, so that a request the mock refuses anyway (bad signature,
    // unknown bucket) does not use up a fault meant for a real client's request.
    if let Some(fault) = state.take_fault(ctx.kind.action(), operations, ctx.kind.mode()) {
        if let Some(ms) = fault.delay_ms {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        if let Some(status) = fault.status {
            return Err(ApiError::custom(
                status,
                fault.code.as_deref().unwrap_or("InternalError"),
                fault
                    .message
                    .unwrap_or_else(|| "injected fault".to_string()),
            ));
        }
    }
    match ctx.kind {
        Kind::Download(spec) => modes::download(state, ctx, account, spec).await,
        Kind::UnknownProcess => Err(ApiError::new(
            ErrorCode::InvalidArgument,
            format!(
                "ci-process {:?} is not an operation this server knows",
                ctx.param(CI_PROCESS).unwrap_or_default()
            ),
        )),
        Kind::Upload => modes::persist(state, ctx, account, Mode::Upload, Some(body)).await,
        Kind::Cloud => modes::persist(state, ctx, account, Mode::Cloud, None).await,
        Kind::Get => object::get(state, ctx, account, false).await,
        Kind::Head => object::get(state, ctx, account, true).await,
        Kind::Put => object::put(state, ctx, account, body).await,
        Kind::Delete => object::delete(state, ctx, account).await,
        Kind::GetService => bucket::list_buckets(state, account).await,
        Kind::GetBucket => bucket::list_objects(state, ctx, account).await,
        Kind::HeadBucket => bucket::head(state, ctx, account).await,
        Kind::PutBucket => bucket::put(state, ctx, account).await,
        Kind::DeleteBucket => bucket::delete(state, ctx, account).await,
        Kind::DeleteObjects => delete_objects::handle(state, ctx, account, body).await,
        Kind::CopyObject => copy::copy_object(state, ctx, account).await,
        Kind::InitiateUpload => multipart::initiate(state, ctx, account).await,
        Kind::UploadPart { copy: false } => multipart::upload_part(state, ctx, account, body).await,
        Kind::UploadPart { copy: true } => copy::upload_part_copy(state, ctx, account).await,
        Kind::CompleteUpload => multipart::complete(state, ctx, account, body).await,
        Kind::AbortUpload => multipart::abort(state, ctx, account).await,
        Kind::ListParts => multipart::list_parts(state, ctx, account).await,
        Kind::ListUploads => multipart::list_uploads(state, ctx, account).await,
        Kind::Unsupported => Err(ApiError::code(ErrorCode::MethodNotAllowed)),
    }
}

/// The COS error answer: the `<Error>` document (no body for HEAD) and `x-cos-trace-id`.
fn error_response(state: &MockState, ctx: &Ctx, error: &ApiError) -> Response {
    let trace_id = format!("{}-trace", ctx.request_id);
    let body = if ctx.method == Method::HEAD {
        Body::empty()
    } else {
        Body::from(error.to_xml(&ctx.resource(state), &ctx.request_id, &trace_id))
    };
    let mut response = Response::new(body);
    *response.status_mut() =
        StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    if let Ok(v) = HeaderValue::from_str(&trace_id) {
        headers.insert("x-cos-trace-id", v);
    }
    response
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
            let timeout = inner.downcast_ref::<crate::listen::BodyTimeout>().is_some();
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
