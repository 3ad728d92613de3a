//! Plain object operations: PUT, GET (with Range), HEAD and DELETE.

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use cos_ci_validate::ErrorCode;
use futures_util::StreamExt;
use http::{HeaderValue, StatusCode, header};

use crate::auth::{On, authorize};
use crate::config::Account;
use crate::error::ApiError;
use crate::server::{Ctx, body_stream};
use crate::state::MockState;
use crate::storage::{ByteRange, ObjectMeta};

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
    let content_type = ctx
        .header("content-type")
        .unwrap_or("application/octet-stream");
    // A body deadline is RequestTimeout, not the IncompleteBody storage reports for any
    // broken stream, so the stream remembers it.
    let timed_out = Arc::new(std::sync::Mutex::new(None::<ApiError>));
    let seen = timed_out.clone();
    let stream = body_stream(body).inspect(move |chunk| {
        if let Err(e) = chunk {
            if e.timeout {
                *seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_api());
            }
        }
    });
    let meta = state
        .storage
        .put_stream(
            bucket,
            key,
            content_type,
            stream,
            state.config.max_object_bytes,
        )
        .await
        .map_err(|e| {
            let timeout = timed_out.lock().unwrap_or_else(|p| p.into_inner()).take();
            timeout.unwrap_or_else(|| e.into())
        })?;
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
}

fn insert(response: &mut Response, name: header::HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, v);
    }
}
