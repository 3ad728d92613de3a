//! Plain object operations: PUT, GET (with Range), HEAD and DELETE.

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use cos_ci_validate::ErrorCode;
use http::{HeaderValue, StatusCode, header};

use crate::auth::{On, authorize};
use crate::config::Account;
use crate::digest::{Checked, content_md5};
use crate::error::ApiError;
use crate::http::{Ctx, watched_body};
use crate::state::MockState;
use crate::storage::{ByteRange, ObjectAttrs, ObjectMeta};

/// Headers kept with an object and answered on GET and HEAD, besides `x-cos-meta-*`.
const KEPT_HEADERS: [&str; 5] = [
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
];

/// The storage classes COS knows.
const STORAGE_CLASSES: [&str; 8] = [
    "STANDARD",
    "STANDARD_IA",
    "ARCHIVE",
    "DEEP_ARCHIVE",
    "INTELLIGENT_TIERING",
    "MAZ_STANDARD",
    "MAZ_STANDARD_IA",
    "MAZ_INTELLIGENT_TIERING",
];

/// The attributes an upload gives an object: `Content-Type` (else guessed from the key's
/// extension), the kept headers, `x-cos-meta-*` and `x-cos-storage-class`.
pub fn attrs(ctx: &Ctx) -> Result<ObjectAttrs, ApiError> {
    let content_type = ctx
        .header("content-type")
        .filter(|t| !t.trim().is_empty())
        .map_or_else(|| guess_type(&ctx.target.key).to_string(), str::to_string);
    let headers = ctx
        .headers
        .iter()
        .filter(|(k, _)| KEPT_HEADERS.contains(&k.as_str()) || k.starts_with("x-cos-meta-"))
        .cloned()
        .collect();
    let storage_class = match ctx.header("x-cos-storage-class") {
        None => None,
        Some(class) => {
            let upper = class.trim().to_ascii_uppercase();
            if !STORAGE_CLASSES.contains(&upper.as_str()) {
                return Err(ApiError::new(
                    ErrorCode::InvalidArgument,
                    format!("x-cos-storage-class {class:?} is not a storage class"),
                ));
            }
            Some(upper).filter(|c| c != "STANDARD")
        }
    };
    Ok(ObjectAttrs {
        content_type,
        headers,
        storage_class,
    })
}

/// The Content-Type of a key without one, from its extension.
pub fn guess_type(key: &str) -> &'static str {
    let ext = key
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "bmp" => "image/bmp",
        "heic" | "heif" => "image/heif",
        "svg" => "image/svg+xml",
        "txt" => "text/plain",
        "html" | "htm" => "text/html",
        "css" => "text/css",
        "js" => "application/javascript",
        "json" => "application/json",
        "xml" => "application/xml",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "mp4" => "video/mp4",
        "mp3" => "audio/mpeg",
        _ => "application/octet-stream",
    }
}

fn require_key(ctx: &Ctx) -> Result<(), ApiError> {
    if ctx.target.key.is_empty() {
        return Err(ApiError::new(
            ErrorCode::NotImplemented,
            "bucket-level operations are not emulated; name an object key",
        ));
    }
    Ok(())
}

/// PUT Object: streams the body into storage.
pub async fn put(
    state: &Arc<MockState>,
    ctx: &Ctx,
    account: &Account,
    body: Body,
) -> Result<Response, ApiError> {
    require_key(ctx)?;
    let (bucket, key) = (&ctx.target.bucket, &ctx.target.key);
    authorize(
        state,
        account,
        &["cos:PutObject"],
        On::Object { bucket, key },
    )?;
    let attrs = attrs(ctx)?;
    let (body, watch) = watched_body(body);
    let (body, checked) = Checked::wrap(body, content_md5(ctx)?);
    let meta = state
        .storage
        .put_object(bucket, key, &attrs, body, state.config.max_object_bytes)
        .await
        .map_err(|e| watch.error(checked.error(e)))?;
    let mut response = Response::new(Body::empty());
    insert(&mut response, header::ETAG, &meta.etag);
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(0));
    Ok(response)
}

/// GET Object (or HEAD with `head`): the stored bytes, a Range of them, or just headers.
pub async fn get(
    state: &Arc<MockState>,
    ctx: &Ctx,
    account: &Account,
    head: bool,
) -> Result<Response, ApiError> {
    require_key(ctx)?;
    let (bucket, key) = (&ctx.target.bucket, &ctx.target.key);
    let names: &[&str] = if head {
        &["cos:HeadObject", "cos:GetObject"]
    } else {
        &["cos:GetObject"]
    };
    authorize(state, account, names, On::Object { bucket, key })?;
    // A Range that does not parse is ignored, as HTTP says.
    let range = ctx.header("range").and_then(ByteRange::parse);
    let object = state
        .storage
        .get(bucket, key, if head { None } else { range })
        .await?;
    if let Some(response) = preconditions(ctx, &object.meta)? {
        return Ok(response);
    }
    let len = object.body.len();
    let mut response = if head {
        Response::new(Body::empty())
    } else {
        Response::new(Body::from_stream(object.body.into_stream()))
    };
    headers(&mut response, &object.meta);
    response.headers_mut().insert(
        header::CONTENT_LENGTH,
        HeaderValue::from(if head { object.meta.size } else { len }),
    );
    if let Some((start, end)) = object.range {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        insert(
            &mut response,
            header::CONTENT_RANGE,
            &format!("bytes {start}-{end}/{}", object.meta.size),
        );
    }
    Ok(response)
}

/// DELETE Object: 204 whether or not the key existed, as COS answers.
pub async fn delete(
    state: &Arc<MockState>,
    ctx: &Ctx,
    account: &Account,
) -> Result<Response, ApiError> {
    require_key(ctx)?;
    let (bucket, key) = (&ctx.target.bucket, &ctx.target.key);
    authorize(
        state,
        account,
        &["cos:DeleteObject"],
        On::Object { bucket, key },
    )?;
    state.storage.delete(bucket, key).await?;
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    Ok(response)
}

/// The object headers every GET and HEAD answer carries.
pub fn headers(response: &mut Response, meta: &ObjectMeta) {
    insert(response, header::CONTENT_TYPE, &meta.content_type);
    insert(response, header::ETAG, &meta.etag);
    insert(response, header::LAST_MODIFIED, &meta.last_modified_http());
    insert(response, header::ACCEPT_RANGES, "bytes");
    for (name, value) in &meta.headers {
        if let (Ok(name), Ok(value)) = (
            header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    // COS names the class only when it is not STANDARD.
    if let Some(class) = &meta.storage_class {
        if let Ok(v) = HeaderValue::from_str(class) {
            response.headers_mut().insert("x-cos-storage-class", v);
        }
    }
}

/// Whether an `If-Match` / `If-None-Match` list names `etag` (`*` names any).
fn etag_listed(list: &str, etag: &str) -> bool {
    list.split(',').map(str::trim).any(|candidate| {
        candidate == "*"
            || candidate.trim_start_matches("W/").trim_matches('"') == etag.trim_matches('"')
    })
}

/// The conditional headers of RFC 9110 §13.2.2, in its order: `PreconditionFailed` (412), a
/// 304 answer, or `None` to serve the object. Dates that do not parse are ignored, as HTTP says.
pub fn preconditions(ctx: &Ctx, meta: &ObjectMeta) -> Result<Option<Response>, ApiError> {
    let since = |name: &str| {
        ctx.header(name)
            .and_then(|v| httpdate::parse_http_date(v).ok())
    };
    let failed = || {
        ApiError::new(
            ErrorCode::PreconditionFailed,
            "the object does not meet the precondition of the request",
        )
    };
    if let Some(list) = ctx.header("if-match") {
        if !etag_listed(list, &meta.etag) {
            return Err(failed());
        }
    } else if since("if-unmodified-since").is_some_and(|t| meta.last_modified > t) {
        return Err(failed());
    }
    let not_modified = match ctx.header("if-none-match") {
        Some(list) => etag_listed(list, &meta.etag),
        None => since("if-modified-since").is_some_and(|t| meta.last_modified <= t),
    };
    if !not_modified {
        return Ok(None);
    }
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NOT_MODIFIED;
    insert(&mut response, header::ETAG, &meta.etag);
    insert(
        &mut response,
        header::LAST_MODIFIED,
        &meta.last_modified_http(),
    );
    Ok(Some(response))
}

fn insert(response: &mut Response, name: header::HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, v);
    }
}
