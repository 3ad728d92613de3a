//! PUT Object copy and Upload Part copy: the source named by `x-cos-copy-source` is streamed
//! from storage into the destination, never buffered whole.

use std::sync::Arc;

use axum::response::Response;
use cos_ci_validate::ErrorCode;
use futures_util::TryStreamExt;
use http::{HeaderValue, header};

use crate::addressing;
use crate::auth::{On, authorize};
use crate::config::Account;
use crate::error::ApiError;
use crate::http::{Ctx, ok};
use crate::multipart::part_number;
use crate::object::attrs;
use crate::state::MockState;
use crate::storage::{ByteRange, ObjectAttrs};
use crate::xml::{XmlOut, iso8601};

/// Bucket and key of a copy source.
#[derive(Debug, PartialEq, Eq)]
pub struct Source {
    /// The bucket.
    pub bucket: String,
    /// The decoded key.
    pub key: String,
}

/// Parses `x-cos-copy-source`: `<bucket>.cos.<region>.myqcloud.com/<percent-encoded key>`,
/// optionally with a scheme in front and `?versionId=` behind (versions are not emulated).
pub fn parse_source(value: &str) -> Result<Source, ApiError> {
    let invalid = |why: &str| {
        ApiError::new(
            ErrorCode::InvalidArgument,
            format!("x-cos-copy-source {value:?} {why}"),
        )
    };
    let text = value.trim();
    let text = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .unwrap_or(text);
    let text = text.split_once('?').map_or(text, |(path, _)| path);
    let (host, path) = text
        .split_once('/')
        .ok_or_else(|| invalid("has no /<key> after the bucket host"))?;
    let bucket = addressing::bucket_from_host(host)
        .or_else(|| cos_ci_validate::is_bucket_name(host).then(|| host.to_string()))
        .ok_or_else(|| invalid("does not name a bucket as <bucket>.cos.<region>.myqcloud.com"))?;
    let key = cos_ci_sign::decode_path(&format!("/{path}"))
        .map_err(|_| invalid("has a key that is not valid percent-encoded UTF-8"))?;
    let key = key.trim_start_matches('/').to_string();
    if key.is_empty() {
        return Err(invalid("names no key"));
    }
    Ok(Source { bucket, key })
}

/// Finds the source and checks that the account may read it.
async fn source(state: &Arc<MockState>, ctx: &Ctx, account: &Account) -> Result<Source, ApiError> {
    let source = parse_source(ctx.header("x-cos-copy-source").unwrap_or_default())?;
    if !state.storage.bucket_exists(&source.bucket).await? {
        return Err(ApiError::new(
            ErrorCode::NoSuchBucket,
            format!("the copy source bucket {:?} does not exist", source.bucket),
        ));
    }
    authorize(
        state,
        account,
        &["cos:GetObject"],
        On::Object {
            bucket: &source.bucket,
            key: &source.key,
        },
    )?;
    Ok(source)
}

/// The `<ETag>`/`<LastModified>` answer of both copies.
fn answer(root: &str, etag: &str, modified: std::time::SystemTime) -> Response {
    let mut x = XmlOut::new(root);
    x.field("ETag", etag)
        .field("LastModified", iso8601(modified));
    let mut response = ok("application/xml", x.finish(root), "tencent-cos");
    if let Ok(v) = HeaderValue::from_str(etag) {
        response.headers_mut().insert(header::ETAG, v);
    }
    response
}

/// PUT Object copy: `x-cos-metadata-directive: Copy` (default) keeps the source's metadata,
/// `Replaced` takes the request's.
pub async fn copy_object(
    state: &Arc<MockState>,
    ctx: &Ctx,
    account: &Account,
) -> Result<Response, ApiError> {
    let (bucket, key) = (&ctx.target.bucket, &ctx.target.key);
    authorize(
        state,
        account,
        &["cos:PutObject"],
        On::Object { bucket, key },
    )?;
    let source = source(state, ctx, account).await?;
    let replace = match ctx.header("x-cos-metadata-directive") {
        None => false,
        Some(d) if d.eq_ignore_ascii_case("copy") => false,
        Some(d) if d.eq_ignore_ascii_case("replaced") => true,
        Some(other) => {
            return Err(ApiError::new(
                ErrorCode::InvalidArgument,
                format!("x-cos-metadata-directive {other:?} is neither Copy nor Replaced"),
            ));
        }
    };
    let object = state.storage.get(&source.bucket, &source.key, None).await?;
    let requested = attrs(ctx)?;
    let attrs = if replace {
        requested
    } else {
        ObjectAttrs {
            content_type: object.meta.content_type.clone(),
            headers: object.meta.headers.clone(),
            // The class is the request's when it names one, as COS does for copies.
            storage_class: if ctx.header("x-cos-storage-class").is_some() {
                requested.storage_class
            } else {
                object.meta.storage_class.clone()
            },
        }
    };
    let body = object.body.into_stream().map_err(|e| e.to_string());
    let meta = state
        .storage
        .put_object(bucket, key, &attrs, body, state.config.max_object_bytes)
        .await?;
    Ok(answer("CopyObjectResult", &meta.etag, meta.last_modified))
}

/// Upload Part copy: the part is the source, or `x-cos-copy-source-range` of it.
pub async fn upload_part_copy(
    state: &Arc<MockState>,
    ctx: &Ctx,
    account: &Account,
) -> Result<Response, ApiError> {
    let (bucket, key) = (&ctx.target.bucket, &ctx.target.key);
    authorize(
        state,
        account,
        &["cos:UploadPart"],
        On::Object { bucket, key },
    )?;
    let number = part_number(ctx)?;
    let source = source(state, ctx, account).await?;
    let range = match ctx.header("x-cos-copy-source-range") {
        None => None,
        Some(text) => Some(match ByteRange::parse(text) {
            Some(range @ ByteRange::FromTo(..)) => range,
            _ => {
                return Err(ApiError::new(
                    ErrorCode::InvalidArgument,
                    format!("x-cos-copy-source-range {text:?} is not bytes=<first>-<last>"),
                ));
            }
        }),
    };
    let object = state
        .storage
        .get(&source.bucket, &source.key, range)
        .await?;
    let body = object.body.into_stream().map_err(|e| e.to_string());
    let part = state
        .storage
        .put_part(
            bucket,
            key,
            ctx.param("uploadId").unwrap_or_default(),
            number,
            body,
            state.config.max_object_bytes,
        )
        .await?;
    Ok(answer("CopyPartResult", &part.etag, part.last_modified))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_as_the_sdks_write_them() {
        for (value, bucket, key) in [
            (
                "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/a/b%20c.jpg",
                "examplebucket-1250000000",
                "a/b c.jpg",
            ),
            (
                "http://other-1250000000.cos.ap-beijing.myqcloud.com/%E4%B8%AD.png?versionId=x",
                "other-1250000000",
                "中.png",
            ),
            (
                "examplebucket-1250000000/k",
                "examplebucket-1250000000",
                "k",
            ),
        ] {
            assert_eq!(
                parse_source(value).unwrap(),
                Source {
                    bucket: bucket.into(),
                    key: key.into()
                },
                "{value}"
            );
        }
    }

    #[test]
    fn bad_sources_are_invalid_argument() {
        for value in [
            "",
            "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com",
            "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/",
            "127.0.0.1:9000/key",
            "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/%FF",
        ] {
            assert_eq!(
                parse_source(value).unwrap_err().code,
                "InvalidArgument",
                "{value}"
            );
        }
    }
}
