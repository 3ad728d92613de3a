//! The HTTP front: one handler that resolves bucket and key, verifies the signature, applies
//! injected faults, dispatches by method and query, and answers every error as COS does. It
//! only routes; what the handlers share is in `http`.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use cos_ci_validate::{CI_PROCESS, ErrorCode, MAX_KEY_BYTES, Mode, PIC_OPERATIONS_HEADER};
use http::{HeaderValue, Method, StatusCode, header};

use crate::addressing;
use crate::auth::{self, Signed};
use crate::error::ApiError;
use crate::http::{Ctx, Kind};
use crate::route::Routes;
use crate::state::{MockState, RecordedRequest};
use crate::{admin, bucket, copy, delete_objects, modes, multipart, object};

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
    let has_header = |name: &str| headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
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
        // `GET /<key>?imageInspect`: an operation's bare alias word asks for its download.
        Method::GET => match process.or_else(|| {
            query
                .iter()
                .find_map(|(k, _)| routes.find_alias(k))
                .filter(|_| !root)
                .map(|r| r.spec.name)
        }) {
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
        Method::PUT if has_header(PIC_OPERATIONS_HEADER) && !has("partNumber") => Kind::Upload,
        // `PUT /<key>?ci-process=…` without Pic-Operations: upload answered by the operation.
        Method::PUT if !root && !has("partNumber") && process.is_some() => process
            .and_then(|name| routes.find(name))
            .map_or(Kind::UnknownProcess, |r| Kind::UploadQuery(r.spec)),
        Method::PUT if root && plain_root => Kind::PutBucket,
        Method::PUT if root => Kind::Unsupported,
        Method::PUT if has("partNumber") && has("uploadId") => Kind::UploadPart {
            copy: has_header("x-cos-copy-source"),
        },
        Method::PUT if has_header(PIC_OPERATIONS_HEADER) => Kind::Upload,
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

/// Whether a request announces a body (lower-case header names, as `Ctx` keeps them).
fn carries_body(headers: &[(String, String)]) -> bool {
    headers
        .iter()
        .any(|(k, v)| (k == "content-length" && v.trim() != "0") || k == "transfer-encoding")
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
    // An error may leave the request's body unread, and then the connection is closed after
    // the answer: say so, or a client reusing it (the Python SDK's pool) finds it dead.
    if error_code.is_some() && carries_body(&ctx.headers) {
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
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
        Kind::UploadQuery(spec) => modes::upload_query(state, ctx, account, spec, body).await,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `GET /<key>?<alias>` asks for the same download as `?ci-process=<name>`, for every
    /// operation whose spec gives an `alias_query`; a bucket's root is never one.
    #[test]
    fn an_alias_query_word_asks_for_its_operations_download() {
        let routes = Routes::new(Vec::new()).expect("the built-ins are served");
        let aliased: Vec<_> = cos_ci_validate::OPERATIONS
            .iter()
            .filter_map(|s| s.alias_query.map(|word| (s.name, word)))
            .collect();
        assert!(!aliased.is_empty(), "no operation has an alias_query");
        for (name, word) in aliased {
            let query = vec![(word.to_string(), String::new())];
            match classify(&routes, &Method::GET, &query, &[], false, false) {
                Kind::Download(spec) => assert_eq!(spec.name, name),
                other => panic!("?{word} is {other:?}"),
            }
            let at_root = classify(&routes, &Method::GET, &query, &[], true, false);
            assert!(!matches!(at_root, Kind::Download(_)), "{word} at the root");
        }
    }
}
