//! Bucket-level operations: GET Service (list buckets), PUT, HEAD and DELETE Bucket, and
//! GET Bucket (list objects, v1) with prefix, delimiter, marker and max-keys.

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use cos_ci_validate::ErrorCode;
use http::{HeaderValue, StatusCode};

use crate::auth::{On, authorize};
use crate::config::{Account, bucket_appid};
use crate::error::ApiError;
use crate::http::{Ctx, ok};
use crate::state::MockState;
use crate::storage::ObjectMeta;
use crate::xml::{XmlOut, iso8601};

/// Most keys one GET Bucket answers, and its default.
pub const MAX_KEYS: usize = 1000;

/// Whether the bucket a request addresses exists (configured buckets are registered at
/// start, others by PUT Bucket).
pub async fn exists(state: &MockState, bucket: &str) -> Result<bool, ApiError> {
    Ok(state.storage.bucket_exists(bucket).await?)
}

/// The CAM resource bucket-level actions are checked on: `<bucket>/*`.
fn on_bucket(bucket: &str) -> On<'_> {
    On::Object { bucket, key: "*" }
}

/// GET Service: every bucket, as `ListAllMyBucketsResult`.
pub async fn list_buckets(state: &Arc<MockState>, account: &Account) -> Result<Response, ApiError> {
    // GET Service is checked on the resource `*` (it names no bucket).
    if !account.is_allowed("cos:GetService", "*") {
        let who = account.name.as_deref().unwrap_or(&account.secret_id);
        return Err(ApiError::new(
            ErrorCode::AccessDenied,
            format!("{who} is not allowed cos:GetService on *"),
        ));
    }
    let buckets = state.storage.list_buckets().await?;
    let owner = buckets
        .first()
        .and_then(|b| bucket_appid(&b.name))
        .unwrap_or_default()
        .to_string();
    let mut x = XmlOut::new("ListAllMyBucketsResult");
    x.open("Owner")
        .field("ID", format!("qcs::cam::uin/{owner}:uin/{owner}"))
        .field("DisplayName", &owner)
        .close("Owner");
    x.open("Buckets");
    for b in &buckets {
        x.open("Bucket")
            .field("Name", &b.name)
            .field("Location", &state.config.region)
            .field("CreationDate", iso8601(b.created))
            .field("BucketType", "cos")
            .close("Bucket");
    }
    x.close("Buckets");
    x.field("IsTruncated", "false");
    Ok(ok(
        "application/xml",
        x.finish("ListAllMyBucketsResult"),
        "tencent-cos",
    ))
}

/// PUT Bucket: registers a new bucket (`BucketAlreadyExists` if it is there).
pub async fn put(
    state: &Arc<MockState>,
    ctx: &Ctx,
    account: &Account,
) -> Result<Response, ApiError> {
    let bucket = &ctx.target.bucket;
    if !cos_ci_validate::is_bucket_name(bucket) {
        return Err(ApiError::new(
            ErrorCode::InvalidBucketName,
            format!("{bucket:?} is not a bucket name of the form <name>-<APPID>"),
        ));
    }
    authorize(state, account, &["cos:PutBucket"], on_bucket(bucket))?;
    if !state.storage.create_bucket(bucket).await? {
        return Err(ApiError::new(
            ErrorCode::BucketAlreadyExists,
            format!("the bucket {bucket:?} already exists"),
        ));
    }
    Ok(empty(StatusCode::OK))
}

/// HEAD Bucket: 200 with the region when it exists (the caller checked that).
pub async fn head(
    state: &Arc<MockState>,
    ctx: &Ctx,
    account: &Account,
) -> Result<Response, ApiError> {
    authorize(
        state,
        account,
        &["cos:HeadBucket"],
        on_bucket(&ctx.target.bucket),
    )?;
    let mut response = empty(StatusCode::OK);
    if let Ok(v) = HeaderValue::from_str(&state.config.region) {
        response.headers_mut().insert("x-cos-bucket-region", v);
    }
    Ok(response)
}

/// DELETE Bucket: 204, or `BucketNotEmpty` while it holds objects.
pub async fn delete(
    state: &Arc<MockState>,
    ctx: &Ctx,
    account: &Account,
) -> Result<Response, ApiError> {
    let bucket = &ctx.target.bucket;
    authorize(state, account, &["cos:DeleteBucket"], on_bucket(bucket))?;
    state.storage.delete_bucket(bucket).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

/// What a GET Bucket asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListParams {
    /// Only keys starting with this.
    pub prefix: String,
    /// Groups keys by the text up to the first delimiter after the prefix.
    pub delimiter: Option<String>,
    /// Only keys (and groups) after this one, in byte order.
    pub marker: String,
    /// At most this many keys and groups together.
    pub max_keys: usize,
    /// `encoding-type=url`: key-like texts are percent-encoded in the answer.
    pub url_encoded: bool,
}

impl ListParams {
    /// Reads and checks the query of a GET Bucket.
    pub fn from_ctx(ctx: &Ctx) -> Result<Self, ApiError> {
        let max_keys = match ctx.param("max-keys") {
            None => MAX_KEYS,
            Some(text) => text
                .trim()
                .parse::<u64>()
                .map_err(|_| {
                    ApiError::new(
                        ErrorCode::InvalidArgument,
                        format!("max-keys {text:?} is not a non-negative integer"),
                    )
                })?
                // COS answers at most 1000 whatever is asked.
                .min(MAX_KEYS as u64) as usize,
        };
        let url_encoded = match ctx.param("encoding-type") {
            None => false,
            Some(e) if e.eq_ignore_ascii_case("url") => true,
            Some(other) => {
                return Err(ApiError::new(
                    ErrorCode::InvalidArgument,
                    format!("encoding-type {other:?} is not supported; use url"),
                ));
            }
        };
        Ok(ListParams {
            prefix: ctx.param("prefix").unwrap_or_default().to_string(),
            delimiter: ctx
                .param("delimiter")
                .filter(|d| !d.is_empty())
                .map(str::to_string),
            marker: ctx.param("marker").unwrap_or_default().to_string(),
            max_keys,
            url_encoded,
        })
    }
}

/// One page of a listing.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Page {
    /// The objects, in key order.
    pub contents: Vec<ObjectMeta>,
    /// The groups (prefix up to and including the delimiter), in order.
    pub common_prefixes: Vec<String>,
    /// Whether more keys follow.
    pub truncated: bool,
    /// Where the next page starts (the last key or group answered), when truncated.
    pub next_marker: Option<String>,
}

/// Pages `objects` (sorted by key, all starting with the prefix) as `params` asks.
pub fn page(objects: Vec<ObjectMeta>, params: &ListParams) -> Page {
    let mut out = Page::default();
    let mut last: Option<String> = None;
    let mut count = 0usize;
    for meta in objects {
        if meta.key.as_str() <= params.marker.as_str() || !meta.key.starts_with(&params.prefix) {
            continue;
        }
        let group = params.delimiter.as_deref().and_then(|d| {
            meta.key[params.prefix.len()..]
                .find(d)
                .map(|at| meta.key[..params.prefix.len() + at + d.len()].to_string())
        });
        match group {
            Some(group) => {
                // A group at or before the marker was answered on an earlier page.
                if group.as_str() <= params.marker.as_str()
                    || out.common_prefixes.last() == Some(&group)
                {
                    continue;
                }
                if count == params.max_keys {
                    out.truncated = params.max_keys > 0;
                    break;
                }
                last = Some(group.clone());
                out.common_prefixes.push(group);
            }
            None => {
                if count == params.max_keys {
                    out.truncated = params.max_keys > 0;
                    break;
                }
                last = Some(meta.key.clone());
                out.contents.push(meta);
            }
        }
        count += 1;
    }
    if out.truncated {
        out.next_marker = last;
    }
    out
}

/// GET Bucket (list objects, v1) as `ListBucketResult`.
pub async fn list_objects(
    state: &Arc<MockState>,
    ctx: &Ctx,
    account: &Account,
) -> Result<Response, ApiError> {
    let bucket = &ctx.target.bucket;
    authorize(state, account, &["cos:GetBucket"], on_bucket(bucket))?;
    let params = ListParams::from_ctx(ctx)?;
    let objects = state.storage.list_objects(bucket, &params.prefix).await?;
    let page = page(objects, &params);
    let enc = |s: &str| {
        if params.url_encoded {
            cos_ci_sign::encode(s)
        } else {
            s.to_string()
        }
    };
    let owner = bucket_appid(bucket).unwrap_or_default();
    let mut x = XmlOut::new("ListBucketResult");
    x.field("Name", bucket);
    if params.url_encoded {
        x.field("EncodingType", "url");
    }
    x.field("Prefix", enc(&params.prefix))
        .field("Marker", enc(&params.marker))
        .field("MaxKeys", params.max_keys);
    if let Some(d) = &params.delimiter {
        x.field("Delimiter", enc(d));
    }
    x.field("IsTruncated", page.truncated);
    if let Some(next) = &page.next_marker {
        x.field("NextMarker", enc(next));
    }
    for group in &page.common_prefixes {
        x.open("CommonPrefixes")
            .field("Prefix", enc(group))
            .close("CommonPrefixes");
    }
    for meta in &page.contents {
        x.open("Contents")
            .field("Key", enc(&meta.key))
            .field("LastModified", iso8601(meta.last_modified))
            .field("ETag", &meta.etag)
            .field("Size", meta.size)
            .open("Owner")
            .field("ID", owner)
            .field("DisplayName", owner)
            .close("Owner")
            .field(
                "StorageClass",
                meta.storage_class.as_deref().unwrap_or("STANDARD"),
            )
            .close("Contents");
    }
    Ok(ok(
        "application/xml",
        x.finish("ListBucketResult"),
        "tencent-cos",
    ))
}

/// An answer without a body.
pub fn empty(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(http::header::CONTENT_LENGTH, HeaderValue::from(0));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn objects(keys: &[&str]) -> Vec<ObjectMeta> {
        let mut keys: Vec<&str> = keys.to_vec();
        keys.sort_unstable();
        keys.into_iter()
            .map(|k| ObjectMeta {
                key: k.to_string(),
                size: k.len() as u64,
                etag: String::new(),
                content_type: String::new(),
                last_modified: UNIX_EPOCH,
                headers: Vec::new(),
                storage_class: None,
            })
            .collect()
    }

    fn keys(page: &Page) -> Vec<&str> {
        page.contents.iter().map(|m| m.key.as_str()).collect()
    }

    fn params(prefix: &str, delimiter: Option<&str>, marker: &str, max_keys: usize) -> ListParams {
        ListParams {
            prefix: prefix.into(),
            delimiter: delimiter.map(Into::into),
            marker: marker.into(),
            max_keys,
            url_encoded: false,
        }
    }

    #[test]
    fn delimiter_groups_after_the_prefix() {
        let all = objects(&[
            "a.txt",
            "photos/1.jpg",
            "photos/2.jpg",
            "photos/x/3.jpg",
            "z",
        ]);
        let p = page(all.clone(), &params("", Some("/"), "", 1000));
        assert_eq!(keys(&p), ["a.txt", "z"]);
        assert_eq!(p.common_prefixes, ["photos/"]);
        assert!(!p.truncated);
        let p = page(
            all.iter()
                .filter(|m| m.key.starts_with("photos/"))
                .cloned()
                .collect(),
            &params("photos/", Some("/"), "", 1000),
        );
        assert_eq!(keys(&p), ["photos/1.jpg", "photos/2.jpg"]);
        assert_eq!(p.common_prefixes, ["photos/x/"]);
    }

    #[test]
    fn pages_with_markers_visit_every_key_and_group_once() {
        let all = objects(&["a/1", "a/2", "b", "c/1", "c/2", "c/3", "d", "e/9"]);
        for max in 1..=4 {
            let mut seen = Vec::new();
            let mut marker = String::new();
            loop {
                let p = page(all.clone(), &params("", Some("/"), &marker, max));
                assert!(p.contents.len() + p.common_prefixes.len() <= max);
                seen.extend(p.contents.iter().map(|m| m.key.clone()));
                seen.extend(p.common_prefixes.iter().cloned());
                if !p.truncated {
                    assert_eq!(p.next_marker, None);
                    break;
                }
                marker = p.next_marker.unwrap();
            }
            seen.sort();
            assert_eq!(seen, ["a/", "b", "c/", "d", "e/"], "max-keys {max}");
        }
    }

    #[test]
    fn truncation_and_next_marker_without_delimiter() {
        let all = objects(&["k1", "k2", "k3"]);
        let p = page(all.clone(), &params("", None, "", 2));
        assert_eq!(keys(&p), ["k1", "k2"]);
        assert!(p.truncated);
        assert_eq!(p.next_marker.as_deref(), Some("k2"));
        let p = page(all.clone(), &params("", None, "k2", 2));
        assert_eq!(keys(&p), ["k3"]);
        assert!(!p.truncated);
        // Exactly max-keys left: not truncated.
        let p = page(all.clone(), &params("", None, "", 3));
        assert!(!p.truncated);
        let p = page(all, &params("", None, "", 0));
        assert!(p.contents.is_empty() && !p.truncated);
    }
}
