//! Multipart uploads over either backend: an upload's parts are stored apart from the
//! objects until completion streams them, in order, into one object.

use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

use super::{Backend, ObjectAttrs, ObjectBody, ObjectMeta, Storage, StorageError};

/// Longest upload id accepted; ids name directories, so they are bounded and hex only.
const MAX_UPLOAD_ID_LEN: usize = 64;

/// An unfinished multipart upload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadInfo {
    /// The id COS answers in `UploadId`.
    pub upload_id: String,
    /// The bucket.
    pub bucket: String,
    /// The key the object will have.
    pub key: String,
    /// When the upload was initiated, whole seconds.
    pub initiated: SystemTime,
    /// The attributes the object will have.
    pub attrs: ObjectAttrs,
}

/// One uploaded part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartMeta {
    /// Its number, 1 to 10000.
    pub part_number: u32,
    /// Its length in bytes.
    pub size: u64,
    /// Quoted lower-hex MD5 of its bytes.
    pub etag: String,
    /// When it was uploaded.
    pub last_modified: SystemTime,
}

/// The ETag COS gives a multipart object: `"<md5 of the parts' binary MD5s>-<count>"`.
/// `None` if an ETag is not a quoted (or bare) 32-digit hex MD5.
pub fn multipart_etag(part_etags: &[&str]) -> Option<String> {
    let mut md5 = Md5::new();
    for etag in part_etags {
        let raw = hex::decode(etag.trim_matches('"')).ok()?;
        if raw.len() != 16 {
            return None;
        }
        md5.update(&raw);
    }
    Some(format!(
        "\"{}-{}\"",
        hex::encode(md5.finalize()),
        part_etags.len()
    ))
}

/// A fresh id: the time (so ids sort roughly by age) and 128 random bits, in hex.
fn new_upload_id() -> String {
    let secs = super::now_whole_seconds()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("{secs:x}{:032x}", crate::random::u128())
}

/// Whether `id` could be one of ours; anything else is `NoSuchUpload` before any lookup.
pub(super) fn is_upload_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_UPLOAD_ID_LEN
        && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `"abc"` and `abc` name the same ETag; clients send either.
fn same_etag(a: &str, b: &str) -> bool {
    a.trim_matches('"')
        .eq_ignore_ascii_case(b.trim_matches('"'))
}

impl Storage {
    /// Starts a multipart upload of `key` in `bucket`.
    pub async fn create_upload(
        &self,
        bucket: &str,
        key: &str,
        attrs: ObjectAttrs,
    ) -> Result<UploadInfo, StorageError> {
        let info = UploadInfo {
            upload_id: new_upload_id(),
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            initiated: super::now_whole_seconds(),
            attrs,
        };
        match &*self.backend {
            Backend::Memory(m) => m.create_upload(info.clone()),
            Backend::Disk(d) => d.create_upload(&info).await?,
        }
        Ok(info)
    }

    /// The upload `upload_id` of `key` in `bucket`, or `NoSuchUpload`.
    pub async fn upload_info(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<UploadInfo, StorageError> {
        if !is_upload_id(upload_id) {
            return Err(StorageError::NoSuchUpload);
        }
        let info = match &*self.backend {
            Backend::Memory(m) => m.upload(upload_id),
            Backend::Disk(d) => d.upload(upload_id).await?,
        };
        info.filter(|u| u.bucket == bucket && u.key == key)
            .ok_or(StorageError::NoSuchUpload)
    }

    /// Stores one part (replacing an earlier part with the same number), like `put_stream`.
    pub async fn put_part<S, E>(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: u32,
        body: S,
        max_bytes: u64,
    ) -> Result<PartMeta, StorageError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: std::fmt::Display,
    {
        self.upload_info(bucket, key, upload_id).await?;
        match &*self.backend {
            Backend::Memory(m) => m.put_part(upload_id, part_number, body, max_bytes).await,
            Backend::Disk(d) => d.put_part(upload_id, part_number, body, max_bytes).await,
        }
    }

    /// The upload and its parts, by part number.
    pub async fn list_parts(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<(UploadInfo, Vec<PartMeta>), StorageError> {
        let info = self.upload_info(bucket, key, upload_id).await?;
        let mut parts = match &*self.backend {
            Backend::Memory(m) => m.parts(upload_id)?,
            Backend::Disk(d) => d.parts(upload_id).await?,
        };
        parts.sort_by_key(|p| p.part_number);
        Ok((info, parts))
    }

    /// Every unfinished upload in `bucket`, by key, then age, then id.
    pub async fn list_uploads(&self, bucket: &str) -> Result<Vec<UploadInfo>, StorageError> {
        let mut uploads = match &*self.backend {
            Backend::Memory(m) => m.uploads(),
            Backend::Disk(d) => d.uploads().await?,
        };
        uploads.retain(|u| u.bucket == bucket);
        uploads.sort_by(|a, b| {
            (&a.key, a.initiated, &a.upload_id).cmp(&(&b.key, b.initiated, &b.upload_id))
        });
        Ok(uploads)
    }

    /// Drops an upload and its parts.
    pub async fn abort_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<(), StorageError> {
        self.upload_info(bucket, key, upload_id).await?;
        match &*self.backend {
            Backend::Memory(m) => {
                m.remove_upload(upload_id);
                Ok(())
            }
            Backend::Disk(d) => d.remove_upload(upload_id).await,
        }
    }

    /// Completes an upload from the parts named in `wanted` (number and ETag, ascending):
    /// checks them, streams them into the object (published atomically, like a put) and then
    /// drops the upload. Every part but the last must hold at least `min_part_bytes`.
    pub async fn complete_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        wanted: &[(u32, String)],
        min_part_bytes: u64,
        max_bytes: u64,
    ) -> Result<ObjectMeta, StorageError> {
        let (info, parts) = self.list_parts(bucket, key, upload_id).await?;
        if wanted.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Err(StorageError::InvalidPartOrder);
        }
        let mut chosen = Vec::with_capacity(wanted.len());
        for (number, etag) in wanted {
            let part = parts
                .iter()
                .find(|p| p.part_number == *number)
                .ok_or_else(|| {
                    StorageError::InvalidPart(format!("part {number} has not been uploaded"))
                })?;
            if !same_etag(&part.etag, etag) {
                return Err(StorageError::InvalidPart(format!(
                    "part {number} has ETag {}, not {etag}",
                    part.etag
                )));
            }
            chosen.push(part.clone());
        }
        if let Some((_, but_last)) = chosen.split_last() {
            if let Some(small) = but_last.iter().find(|p| p.size < min_part_bytes) {
                return Err(StorageError::PartTooSmall {
                    part: small.part_number,
                    size: small.size,
                    min: min_part_bytes,
                });
            }
        }
        let total = chosen
            .iter()
            .try_fold(0u64, |sum, p| sum.checked_add(p.size))
            .filter(|&total| total <= max_bytes)
            .ok_or(StorageError::TooLarge { limit: max_bytes })?;
        let etags: Vec<&str> = chosen.iter().map(|p| p.etag.as_str()).collect();
        let etag = multipart_etag(&etags)
            .ok_or_else(|| StorageError::InvalidPart("a part has a malformed ETag".into()))?;

        if let Backend::Memory(m) = &*self.backend {
            let numbers: Vec<u32> = chosen.iter().map(|p| p.part_number).collect();
            let meta = super::new_meta(key, total, etag, &info.attrs);
            m.complete_upload(bucket, upload_id, &numbers, meta.clone())?;
            return Ok(meta);
        }
        // Parts are opened one at a time as the stream reaches them, so a 10000-part upload
        // holds one part file open, not all of them.
        let backend = Arc::clone(&self.backend);
        let id = upload_id.to_owned();
        let body = futures_util::stream::iter(chosen.into_iter().map(|p| p.part_number))
            .then(move |number| {
                let backend = Arc::clone(&backend);
                let id = id.clone();
                async move { part_body(&backend, &id, number).await }
            })
            .map_ok(|body| body.into_stream().map_err(StorageError::from))
            .try_flatten();
        let meta = self
            .put_with_etag(bucket, key, &info.attrs, Box::pin(body), total, Some(etag))
            .await?;
        match &*self.backend {
            Backend::Memory(m) => m.remove_upload(upload_id),
            Backend::Disk(d) => d.remove_upload(upload_id).await?,
        }
        Ok(meta)
    }
}

async fn part_body(
    backend: &Backend,
    upload_id: &str,
    number: u32,
) -> Result<ObjectBody, StorageError> {
    match backend {
        Backend::Memory(m) => m.part_body(upload_id, number),
        Backend::Disk(d) => d.part_body(upload_id, number).await,
    }
}
