//! Multipart upload: initiate, upload part, complete, abort, list parts and list uploads,
//! with the XML answers and error codes COS gives.

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use cos_ci_validate::ErrorCode;
use cos_ci_validate::xml::Element;
use http::{HeaderValue, StatusCode, header};

use crate::auth::{On, authorize};
use crate::bucket::empty;
use crate::config::{Account, bucket_appid};
use crate::digest::{Checked, content_md5};
use crate::error::ApiError;
use crate::http::{Ctx, ok, read_body, watched_body};
use crate::object::attrs;
use crate::state::MockState;
use crate::storage::UploadInfo;
use crate::xml::{XmlOut, iso8601};

/// Highest part number COS accepts.
pub const MAX_PART_NUMBER: u32 = 10_000;
/// Most parts or uploads one listing answers, and its default.
const MAX_LISTED: usize = 1000;

/// The object resource a multipart action is checked on.
fn on_object(ctx: &Ctx) -> On<'_> {
    On::Object {
        bucket: &ctx.target.bucket,
        key: &ctx.target.key,
    }
}

fn upload_id(ctx: &Ctx) -> &str {
    ctx.param("uploadId").unwrap_or_default()
}

/// `partNumber`, 1 to 10000.
pub fn part_number(ctx: &Ctx) -> Result<u32, ApiError> {
    let text = ctx.param("partNumber").unwrap_or_default();
    text.parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_PART_NUMBER).contains(n))
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidArgument,
                format!("partNumber {text:?} is not an integer from 1 to {MAX_PART_NUMBER}"),
            )
        })
}

/// A count parameter (`max-parts`, `max-uploads`), at most 1000.
fn max_param(ctx: &Ctx, name: &str) -> Result<usize, ApiError> {
    match ctx.param(name) {
        None => Ok(MAX_LISTED),
        Some(text) => text
            .trim()
            .parse::<u64>()
            .map(|n| n.min(MAX_LISTED as u64) as usize)
            .map_err(|_| {
                ApiError::new(
                    ErrorCode::InvalidArgument,
                    format!("{name} {text:?} is not a non-negative integer"),
                )
            }),
    }
}

/// Whether `encoding-type=url` was asked for (anything else is `InvalidArgument`).
fn url_encoded(ctx: &Ctx) -> Result<bool, ApiError> {
    match ctx.param("encoding-type") {
        None => Ok(false),
        Some(e) if e.eq_ignore_ascii_case("url") => Ok(true),
        Some(other) => Err(ApiError::new(
            ErrorCode::InvalidArgument,
            format!("encoding-type {other:?} is not supported; use url"),
        )),
    }
}

fn owner(x: &mut XmlOut, element: &str, bucket: &str) {
    let id = bucket_appid(bucket).unwrap_or_default();
    x.open(element)
        .field("ID", format!("qcs::cam::uin/{id}:uin/{id}"))
        .field("DisplayName", id)
        .close(element);
}

/// `POST <key>?uploads`: `InitiateMultipartUploadResult` with a new upload id.
pub async fn initiate(
    state: &Arc<MockState>,
    ctx: &Ctx,
    account: &Account,
) -> Result<Response, ApiError> {
    authorize(
        state,
        account,
        &["cos:InitiateMultipartUpload"],
        on_object(ctx),
    )?;
    let info = state
        .storage
        .create_upload(&ctx.target.bucket, &ctx.target.key, attrs(ctx)?)
        .await?;
    let mut x = XmlOut::new("InitiateMultipartUploadResult");
    x.field("Bucket", &info.bucket)
        .field("Key", &info.key)
        .field("UploadId", &info.upload_id);
    Ok(ok(
        "application/xml",
        x.finish("InitiateMultipartUploadResult"),
        "tencent-cos",
    ))
}

/// `PUT <key>?partNumber&uploadId`: stores the part, answers its ETag.
pub async fn upload_part(
    state: &Arc<MockState>,
    ctx: &Ctx,
    account: &Account,
    body: Body,
) -> Result<Response, ApiError> {
    authorize(state, account, &["cos:UploadPart"], on_object(ctx))?;
    let number = part_number(ctx)?;
    let (body, watch) = watched_body(body);
    let (body, checked) = Checked::wrap(body, content_md5(ctx)?);
    let part = state
        .storage
        .put_part(
            &ctx.target.bucket,
            &ctx.target.key,
            upload_id(ctx),
            number,
            body,
            state.config.max_object_bytes,
        )
        .await
        .map_err(|e| watch.error(checked.error(e)))?;
    let mut response = empty(StatusCode::OK);
    if let Ok(v) = HeaderValue::from_str(&part.etag) {
        response.headers_mut().insert(header::ETAG, v);
    }
    Ok(response)
}

/// The `(PartNumber, ETag)` list of a `CompleteMultipartUpload` document.
pub fn parse_complete(xml: &str) -> Result<Vec<(u32, String)>, ApiError> {
    let malformed = |why: String| ApiError::new(ErrorCode::MalformedXML, why);
    let root = Element::parse_root(xml, "CompleteMultipartUpload")
        .map_err(|e| malformed(e.to_string()))?;
    let mut parts = Vec::new();
    for part in root.children.iter().filter(|c| c.name == "Part") {
        let number = part
            .child("PartNumber")
            .map(|n| n.text.trim())
            .ok_or_else(|| malformed("a <Part> has no <PartNumber>".into()))?;
        let number = number
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_PART_NUMBER).contains(n))
            .ok_or_else(|| malformed(format!("<PartNumber> {number:?} is not 1 to 10000")))?;
        let etag = part
            .child("ETag")
            .map(|e| e.text.trim().to_string())
            .ok_or_else(|| malformed(format!("part {number} has no <ETag>")))?;
        parts.push((number, etag));
    }
    if parts.is_empty() {
        return Err(malformed(
            "<CompleteMultipartUpload> names no <Part>".into(),
        ));
    }
    Ok(parts)
}

/// `POST <key>?uploadId`: checks the part list and publishes the object.
pub async fn complete(
    state: &Arc<MockState>,
    ctx: &Ctx,
    account: &Account,
    body: Body,
) -> Result<Response, ApiError> {
    authorize(
        state,
        account,
        &["cos:CompleteMultipartUpload"],
        on_object(ctx),
    )?;
    let (bucket, key) = (&ctx.target.bucket, &ctx.target.key);
    // An unknown upload is answered before the body is judged, as COS does.
    state
        .storage
        .upload_info(bucket, key, upload_id(ctx))
        .await?;
    let body = read_body(body, state.config.max_xml_body_bytes).await?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::new(ErrorCode::MalformedXML, "the body is not UTF-8"))?;
    let wanted = parse_complete(text)?;
    let meta = state
        .storage
        .complete_upload(
            bucket,
            key,
            upload_id(ctx),
            &wanted,
            state.config.min_part_bytes,
            state.config.max_object_bytes,
        )
        .await?;
    let mut x = XmlOut::new("CompleteMultipartUploadResult");
    x.field("Location", state.location(bucket, key))
        .field("Bucket", bucket)
        .field("Key", key)
        .field("ETag", &meta.etag);
    let mut response = ok(
        "application/xml",
        x.finish("CompleteMultipartUploadResult"),
        "tencent-cos",
    );
    if let Ok(v) = HeaderValue::from_str(&meta.etag) {
        response.headers_mut().insert(header::ETAG, v);
    }
    Ok(response)
}

/// `DELETE <key>?uploadId`: 204.
pub async fn abort(
    state: &Arc<MockState>,
    ctx: &Ctx,
    account: &Account,
) -> Result<Response, ApiError> {
    authorize(
        state,
        account,
        &["cos:AbortMultipartUpload"],
        on_object(ctx),
    )?;
    state
        .storage
        .abort_upload(&ctx.target.bucket, &ctx.target.key, upload_id(ctx))
        .await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

/// `GET <key>?uploadId`: `ListPartsResult`, paged by `part-number-marker` and `max-parts`.
pub async fn list_parts(
    state: &Arc<MockState>,
    ctx: &Ctx,
    account: &Account,
) -> Result<Response, ApiError> {
    authorize(state, account, &["cos:ListParts"], on_object(ctx))?;
    let max = max_param(ctx, "max-parts")?;
    let marker_text = ctx.param("part-number-marker").unwrap_or("0");
    let marker: u32 = marker_text.trim().parse().map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidArgument,
            format!("part-number-marker {marker_text:?} is not a non-negative integer"),
        )
    })?;
    let encoded = url_encoded(ctx)?;
    let (info, parts) = state
        .storage
        .list_parts(&ctx.target.bucket, &ctx.target.key, upload_id(ctx))
        .await?;
    let after: Vec<_> = parts
        .into_iter()
        .filter(|p| p.part_number > marker)
        .collect();
    let truncated = after.len() > max;
    let shown = &after[..after.len().min(max)];
    let mut x = XmlOut::new("ListPartsResult");
    x.field("Bucket", &info.bucket);
    if encoded {
        x.field("EncodingType", "url");
    }
    x.field(
        "Key",
        if encoded {
            cos_ci_sign::encode(&info.key)
        } else {
            info.key.clone()
        },
    )
    .field("UploadId", &info.upload_id);
    owner(&mut x, "Initiator", &info.bucket);
    owner(&mut x, "Owner", &info.bucket);
    x.field("PartNumberMarker", marker);
    for part in shown {
        x.open("Part")
            .field("PartNumber", part.part_number)
            .field("LastModified", iso8601(part.last_modified))
            .field("ETag", &part.etag)
            .field("Size", part.size)
            .close("Part");
    }
    if let Some(last) = shown.last() {
        x.field("NextPartNumberMarker", last.part_number);
    }
    x.field(
        "StorageClass",
        info.attrs.storage_class.as_deref().unwrap_or("STANDARD"),
    )
    .field("MaxParts", max)
    .field("IsTruncated", truncated);
    Ok(ok(
        "application/xml",
        x.finish("ListPartsResult"),
        "tencent-cos",
    ))
}

/// `GET /?uploads`: `ListMultipartUploadsResult`, filtered by `prefix`, paged by
/// `key-marker` / `upload-id-marker` and `max-uploads`.
pub async fn list_uploads(
    state: &Arc<MockState>,
    ctx: &Ctx,
    account: &Account,
) -> Result<Response, ApiError> {
    let bucket = &ctx.target.bucket;
    authorize(
        state,
        account,
        &["cos:ListMultipartUploads"],
        On::Object { bucket, key: "*" },
    )?;
    let max = max_param(ctx, "max-uploads")?;
    let encoded = url_encoded(ctx)?;
    let enc = |s: &str| {
        if encoded {
            cos_ci_sign::encode(s)
        } else {
            s.to_string()
        }
    };
    let prefix = ctx.param("prefix").unwrap_or_default();
    let key_marker = ctx.param("key-marker").unwrap_or_default();
    let id_marker = ctx.param("upload-id-marker").unwrap_or_default();
    let uploads: Vec<UploadInfo> = state
        .storage
        .list_uploads(bucket)
        .await?
        .into_iter()
        .filter(|u| u.key.starts_with(prefix))
        // After the key marker; within the marker's key, after the upload-id marker.
        .filter(|u| {
            u.key.as_str() > key_marker
                || (!id_marker.is_empty()
                    && u.key == key_marker
                    && u.upload_id.as_str() > id_marker)
        })
        .collect();
    let truncated = uploads.len() > max;
    let shown = &uploads[..uploads.len().min(max)];
    let mut x = XmlOut::new("ListMultipartUploadsResult");
    x.field("Bucket", bucket);
    if encoded {
        x.field("EncodingType", "url");
    }
    x.field("KeyMarker", enc(key_marker))
        .field("UploadIdMarker", id_marker);
    if truncated {
        if let Some(last) = shown.last() {
            x.field("NextKeyMarker", enc(&last.key))
                .field("NextUploadIdMarker", &last.upload_id);
        }
    }
    x.field("MaxUploads", max)
        .field("IsTruncated", truncated)
        .field("Prefix", enc(prefix));
    for u in shown {
        x.open("Upload")
            .field("Key", enc(&u.key))
            .field("UploadId", &u.upload_id)
            .field(
                "StorageClass",
                u.attrs.storage_class.as_deref().unwrap_or("STANDARD"),
            );
        owner(&mut x, "Initiator", bucket);
        owner(&mut x, "Owner", bucket);
        x.field("Initiated", iso8601(u.initiated)).close("Upload");
    }
    Ok(ok(
        "application/xml",
        x.finish("ListMultipartUploadsResult"),
        "tencent-cos",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complete_documents_parse_in_order() {
        let xml = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"a\"</ETag></Part>\
                   <Part><ETag>b</ETag><PartNumber> 3 </PartNumber></Part></CompleteMultipartUpload>";
        assert_eq!(
            parse_complete(xml).unwrap(),
            vec![(1, "\"a\"".to_string()), (3, "b".to_string())]
        );
    }

    #[test]
    fn bad_complete_documents_are_malformed_xml() {
        for xml in [
            "",
            "<CompleteMultipartUpload>",
            "<Other/>",
            "<CompleteMultipartUpload/>",
            "<CompleteMultipartUpload><Part><ETag>x</ETag></Part></CompleteMultipartUpload>",
            "<CompleteMultipartUpload><Part><PartNumber>0</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>",
            "<CompleteMultipartUpload><Part><PartNumber>10001</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>",
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>",
        ] {
            assert_eq!(
                parse_complete(xml).unwrap_err().code,
                "MalformedXML",
                "{xml}"
            );
        }
    }
}
