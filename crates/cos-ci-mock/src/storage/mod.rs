//! Object storage behind the mock's COS API: in memory by default, or in a
//! data directory that persists across restarts (see `disk` for the on-disk
//! format and its atomicity guarantees).

mod body;
mod disk;
mod memory;
mod multipart;
mod range;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

pub use body::{CHUNK_SIZE, ObjectBody};
pub use multipart::{PartMeta, UploadInfo, multipart_etag};
pub use range::ByteRange;

/// COS's limit on the length of an object key, in UTF-8 bytes. Not enforced
/// here (any key works in both modes); the request layer validates it.
pub const MAX_KEY_LEN: usize = 850;

/// What is known about a stored object besides its bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectMeta {
    /// The object key, exactly as given to `put_*`.
    pub key: String,
    /// Body length in bytes.
    pub size: u64,
    /// Quoted lower-hex MD5 of the body, e.g. `"9e107d9d372bb6826bd81d3542a419d6"` with the quotes.
    pub etag: String,
    /// The `Content-Type` given at upload.
    pub content_type: String,
    /// Time of the upload, truncated to whole seconds.
    pub last_modified: SystemTime,
    /// Other headers given at upload and answered on GET and HEAD (`Cache-Control`,
    /// `Content-Disposition`, `x-cos-meta-*`, ...), names lower-case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    /// The storage class given at upload; `None` means `STANDARD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
}

/// What an uploader says about an object besides its bytes; kept with it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectAttrs {
    /// The `Content-Type`.
    pub content_type: String,
    /// Other headers to answer with (names lower-case).
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// The storage class; `None` means `STANDARD`.
    #[serde(default)]
    pub storage_class: Option<String>,
}

impl ObjectAttrs {
    /// Just a content type.
    pub fn typed(content_type: &str) -> Self {
        ObjectAttrs {
            content_type: content_type.to_owned(),
            ..Self::default()
        }
    }
}

/// A bucket created through the API or from the configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketInfo {
    /// `<name>-<APPID>`.
    pub name: String,
    /// When it was created, whole seconds.
    pub created: SystemTime,
}

impl ObjectMeta {
    /// `last_modified` as an HTTP date (`Last-Modified` header value).
    pub fn last_modified_http(&self) -> String {
        httpdate::fmt_http_date(self.last_modified)
    }
}

/// The result of a `get`: metadata plus the (possibly range-limited) body.
#[derive(Debug)]
pub struct Object {
    /// Metadata of the whole object (`size` is the full size, not the range's).
    pub meta: ObjectMeta,
    /// The bytes to serve: the whole object, or just the resolved range.
    pub body: ObjectBody,
    /// The inclusive `(start, end)` range served, if a range was requested.
    pub range: Option<(u64, u64)>,
}

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// No object under that bucket and key.
    #[error("the specified key does not exist")]
    NoSuchKey,
    /// The requested range lies outside the object.
    #[error("the requested range is not satisfiable")]
    InvalidRange,
    /// The body is longer than the allowed maximum; nothing was stored.
    #[error("object exceeds the maximum allowed size of {limit} bytes")]
    TooLarge {
        /// The maximum that was exceeded, in bytes.
        limit: u64,
    },
    /// The request body stream failed; nothing was stored.
    #[error("reading the request body failed: {0}")]
    Body(String),
    /// The data directory could not be read or written.
    #[error("storage I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// No multipart upload with that id for that bucket and key.
    #[error("the specified multipart upload does not exist")]
    NoSuchUpload,
    /// A part named in a completion does not exist or has another ETag.
    #[error("{0}")]
    InvalidPart(String),
    /// The parts named in a completion are not in ascending order.
    #[error("the list of parts was not in ascending order")]
    InvalidPartOrder,
    /// A part other than the last is smaller than the minimum part size.
    #[error(
        "part {part} is {size} bytes, smaller than the minimum of {min} bytes for all but the last part"
    )]
    PartTooSmall {
        /// The part number.
        part: u32,
        /// Its size.
        size: u64,
        /// The minimum.
        min: u64,
    },
    /// The bucket does not exist.
    #[error("the specified bucket does not exist")]
    NoSuchBucket,
    /// The bucket still holds objects.
    #[error("the bucket still holds {objects} objects")]
    BucketNotEmpty {
        /// How many.
        objects: usize,
    },
}

/// Handle to the object store; cheap to clone, all clones share the objects.
#[derive(Clone)]
pub struct Storage {
    backend: Arc<Backend>,
}

enum Backend {
    Memory(memory::MemoryStore),
    Disk(disk::DiskStore),
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &*self.backend {
            Backend::Memory(_) => f.write_str("Storage::Memory"),
            Backend::Disk(d) => f.debug_tuple("Storage::Disk").field(&d.root()).finish(),
        }
    }
}

impl Storage {
    /// An empty store that lives only as long as the process.
    pub fn memory() -> Self {
        Self {
            backend: Arc::new(Backend::Memory(memory::MemoryStore::default())),
        }
    }

    /// Opens (creating if needed) a persistent store in `path`, deleting temp
    /// files a crash may have left behind.
    pub async fn open_dir(path: impl Into<PathBuf>) -> Result<Self, StorageError> {
        let store = disk::DiskStore::open(path.into()).await?;
        Ok(Self {
            backend: Arc::new(Backend::Disk(store)),
        })
    }

    /// The data directory, or `None` in memory mode.
    pub fn data_dir(&self) -> Option<&Path> {
        match &*self.backend {
            Backend::Memory(_) => None,
            Backend::Disk(d) => Some(d.root()),
        }
    }

    /// Stores `body` under `bucket`/`key`, replacing any previous version
    /// atomically. In disk mode the body is streamed to a temp file, never
    /// buffered whole. More than `max_bytes` gives `TooLarge`, a failing
    /// stream gives `Body`; in both cases nothing is stored and the previous
    /// version (if any) stays.
    pub async fn put_stream<S, E>(
        &self,
        bucket: &str,
        key: &str,
        content_type: &str,
        body: S,
        max_bytes: u64,
    ) -> Result<ObjectMeta, StorageError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: std::fmt::Display,
    {
        self.put_object(
            bucket,
            key,
            &ObjectAttrs::typed(content_type),
            body,
            max_bytes,
        )
        .await
    }

    /// `put_stream` with every attribute of the object.
    pub async fn put_object<S, E>(
        &self,
        bucket: &str,
        key: &str,
        attrs: &ObjectAttrs,
        body: S,
        max_bytes: u64,
    ) -> Result<ObjectMeta, StorageError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: std::fmt::Display,
    {
        self.put_with_etag(bucket, key, attrs, body, max_bytes, None)
            .await
    }

    /// The one way objects are written; `etag` replaces the body's MD5 (multipart objects).
    async fn put_with_etag<S, E>(
        &self,
        bucket: &str,
        key: &str,
        attrs: &ObjectAttrs,
        body: S,
        max_bytes: u64,
        etag: Option<String>,
    ) -> Result<ObjectMeta, StorageError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: std::fmt::Display,
    {
        match &*self.backend {
            Backend::Memory(m) => {
                m.put_stream(bucket, key, attrs, body, max_bytes, etag)
                    .await
            }
            Backend::Disk(d) => {
                d.put_stream(bucket, key, attrs, body, max_bytes, etag)
                    .await
            }
        }
    }

    /// Stores an in-memory body (no size limit), like `put_stream`.
    pub async fn put_bytes(
        &self,
        bucket: &str,
        key: &str,
        content_type: &str,
        data: Bytes,
    ) -> Result<ObjectMeta, StorageError> {
        let body = futures_util::stream::iter([Ok::<_, std::convert::Infallible>(data)]);
        self.put_object(
            bucket,
            key,
            &ObjectAttrs::typed(content_type),
            body,
            u64::MAX,
        )
        .await
    }

    /// Reads an object, or just `range` of it (`InvalidRange` if unsatisfiable).
    pub async fn get(
        &self,
        bucket: &str,
        key: &str,
        range: Option<ByteRange>,
    ) -> Result<Object, StorageError> {
        match &*self.backend {
            Backend::Memory(m) => m.get(bucket, key, range),
            Backend::Disk(d) => d.get(bucket, key, range).await,
        }
    }

    /// Reads an object's metadata only.
    pub async fn head(&self, bucket: &str, key: &str) -> Result<ObjectMeta, StorageError> {
        match &*self.backend {
            Backend::Memory(m) => m.head(bucket, key),
            Backend::Disk(d) => d.head(bucket, key).await,
        }
    }

    /// Removes an object; a missing key is not an error (COS answers 204).
    pub async fn delete(&self, bucket: &str, key: &str) -> Result<(), StorageError> {
        match &*self.backend {
            Backend::Memory(m) => {
                m.delete(bucket, key);
                Ok(())
            }
            Backend::Disk(d) => d.delete(bucket, key).await,
        }
    }

    /// All keys in `bucket`, sorted (byte order); for tests and admin endpoints.
    pub async fn list_keys(&self, bucket: &str) -> Result<Vec<String>, StorageError> {
        match &*self.backend {
            Backend::Memory(m) => Ok(m.list_keys(bucket)),
            Backend::Disk(d) => d.list_keys(bucket).await,
        }
    }

    /// Every object in `bucket` whose key starts with `prefix`, sorted by key (byte order).
    pub async fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Vec<ObjectMeta>, StorageError> {
        match &*self.backend {
            Backend::Memory(m) => Ok(m.list_objects(bucket, prefix)),
            Backend::Disk(d) => d.list_objects(bucket, prefix).await,
        }
    }

    /// Registers a bucket; `false` if it already existed (nothing changes then).
    pub async fn create_bucket(&self, bucket: &str) -> Result<bool, StorageError> {
        match &*self.backend {
            Backend::Memory(m) => Ok(m.create_bucket(bucket)),
            Backend::Disk(d) => d.create_bucket(bucket).await,
        }
    }

    /// Whether a bucket is registered.
    pub async fn bucket_exists(&self, bucket: &str) -> Result<bool, StorageError> {
        match &*self.backend {
            Backend::Memory(m) => Ok(m.bucket_exists(bucket)),
            Backend::Disk(d) => d.bucket_exists(bucket).await,
        }
    }

    /// Every registered bucket, sorted by name.
    pub async fn list_buckets(&self) -> Result<Vec<BucketInfo>, StorageError> {
        let mut buckets = match &*self.backend {
            Backend::Memory(m) => m.list_buckets(),
            Backend::Disk(d) => d.list_buckets().await?,
        };
        buckets.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(buckets)
    }

    /// Unregisters an empty bucket (`BucketNotEmpty` while it holds objects) and drops
    /// its unfinished multipart uploads.
    pub async fn delete_bucket(&self, bucket: &str) -> Result<(), StorageError> {
        if !self.bucket_exists(bucket).await? {
            return Err(StorageError::NoSuchBucket);
        }
        let objects = self.list_keys(bucket).await?.len();
        if objects > 0 {
            return Err(StorageError::BucketNotEmpty { objects });
        }
        for upload in self.list_uploads(bucket).await? {
            self.abort_upload(bucket, &upload.key, &upload.upload_id)
                .await?;
        }
        match &*self.backend {
            Backend::Memory(m) => {
                m.delete_bucket(bucket);
                Ok(())
            }
            Backend::Disk(d) => d.delete_bucket(bucket).await,
        }
    }

    /// Removes every object in every bucket and every unfinished multipart upload (the
    /// mock's reset); buckets stay.
    pub async fn clear(&self) -> Result<(), StorageError> {
        match &*self.backend {
            Backend::Memory(m) => {
                m.clear();
                Ok(())
            }
            Backend::Disk(d) => d.clear().await,
        }
    }
}

/// Pulls the next chunk, turning a stream error into `StorageError::Body`.
/// The error value is converted before any further await, so a non-`Send`
/// `E` doesn't make the put future non-`Send`.
async fn next_chunk<S, E>(body: &mut S) -> Result<Option<Bytes>, StorageError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    match body.next().await {
        None => Ok(None),
        Some(Ok(chunk)) => Ok(Some(chunk)),
        Some(Err(e)) => Err(StorageError::Body(e.to_string())),
    }
}

/// Adds a chunk to a running size, failing once it passes `max`.
fn grow(size: u64, chunk: &Bytes, max: u64) -> Result<u64, StorageError> {
    size.checked_add(chunk.len() as u64)
        .filter(|&total| total <= max)
        .ok_or(StorageError::TooLarge { limit: max })
}

/// Builds the metadata of a freshly written body; `etag` replaces the MD5 one.
/// The ETag of a body with digest `md5`: its hex, quoted.
fn etag_of(md5: Md5) -> String {
    format!("\"{}\"", hex::encode(md5.finalize()))
}

fn new_meta(key: &str, size: u64, etag: String, attrs: &ObjectAttrs) -> ObjectMeta {
    ObjectMeta {
        key: key.to_owned(),
        size,
        etag,
        content_type: attrs.content_type.clone(),
        last_modified: now_whole_seconds(),
        headers: attrs.headers.clone(),
        storage_class: attrs.storage_class.clone(),
    }
}

/// HTTP dates have one-second resolution; storing sub-seconds would make
/// `If-Modified-Since: <our own Last-Modified>` look older than the object.
fn now_whole_seconds() -> SystemTime {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// Resolves an optional requested range against the object size.
fn resolve(range: Option<ByteRange>, size: u64) -> Result<Option<(u64, u64)>, StorageError> {
    range
        .map(|r| r.resolve(size).ok_or(StorageError::InvalidRange))
        .transpose()
}

#[cfg(test)]
mod tests;
