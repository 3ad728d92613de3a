//! The data-directory backend: objects survive restarts.
//!
//! Layout: `<root>/<md5(bucket)>/<md5(bucket "\0" key)>.obj`. Names are
//! derived from hashes only, never from key text, so no key (`../`, `\`,
//! 850 bytes of multi-byte UTF-8, ...) can name a path outside the root or
//! exceed file-name limits.
//!
//! An object file is `[body][metadata JSON][u32 LE JSON length][MAGIC]`. The
//! metadata goes *after* the body because the size and MD5 are only known once
//! the body has streamed through; one file means one rename publishes data and
//! metadata together.
//!
//! A put streams into `<bucket dir>/.<name>.<random>.tmp`, fsyncs it, renames
//! it over the final name and fsyncs the directory, so readers and crashes
//! see the old version or the new one, never a torn one. Temp names never
//! match the object-name pattern, so they are invisible, and `open` deletes
//! leftovers from a crash.
//!
//! Buckets created through the API carry `<bucket dir>/bucket.json`. A multipart upload
//! lives in `<root>/uploads/<upload id>/`: `upload.json` (written like an object: temp file,
//! fsync, rename) and one `<part number>.part` per part in the object file format. Removing
//! an upload first renames its directory to a dot name (one atomic step), so a crash leaves
//! the whole upload or none of it; `open` deletes dot names and directories without
//! `upload.json`. Completion publishes the object before it removes the upload, so a crash in
//! between loses nothing (the upload can be completed or aborted again).
//!
//! MD5 is treated as collision-free for file naming (this is a test mock and
//! keys are not adversarial); the stored key is still checked on every read,
//! so a collision could at worst lose an object, never serve the wrong one.

use std::io::{self, SeekFrom};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::Stream;
use md5::{Digest, Md5};
use tokio::fs::{self, File, OpenOptions};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt, BufWriter};

use super::multipart::is_upload_id;
use super::{
    BucketInfo, ByteRange, CHUNK_SIZE, Object, ObjectAttrs, ObjectBody, ObjectMeta, PartMeta,
    StorageError, UploadInfo,
};

/// Identifies an object file and the format version of its trailer.
const MAGIC: &[u8; 8] = b"COSCIOB1";
/// JSON length (4 bytes) + magic (8 bytes).
const TRAILER_LEN: u64 = 12;
/// Bound on the metadata read back, so a corrupt length can't trigger a huge allocation.
const MAX_META_LEN: u32 = 1 << 20;
const OBJECT_SUFFIX: &str = ".obj";
const TEMP_SUFFIX: &str = ".tmp";
const PART_SUFFIX: &str = ".part";
const UPLOADS_DIR: &str = "uploads";
const UPLOAD_FILE: &str = "upload.json";
const BUCKET_FILE: &str = "bucket.json";

pub(super) struct DiskStore {
    root: PathBuf,
}

fn md5_hex(parts: &[&[u8]]) -> String {
    let mut md5 = Md5::new();
    for part in parts {
        md5.update(part);
    }
    hex::encode(md5.finalize())
}

fn bucket_dir_name(bucket: &str) -> String {
    md5_hex(&[bucket.as_bytes()])
}

/// The NUL separator keeps ("ab", "c") and ("a", "bc") apart; bucket names can't hold NUL.
fn object_file_name(bucket: &str, key: &str) -> String {
    format!(
        "{}{OBJECT_SUFFIX}",
        md5_hex(&[bucket.as_bytes(), b"\0", key.as_bytes()])
    )
}

fn is_hex32(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn is_object_file_name(name: &str) -> bool {
    name.strip_suffix(OBJECT_SUFFIX).is_some_and(is_hex32)
}

fn is_temp_file_name(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(TEMP_SUFFIX)
}

fn corrupt(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("corrupt object file: {what}"),
    )
}

/// Makes renames/unlinks in `dir` durable; a rename alone may be lost on power failure.
#[cfg(unix)]
async fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir).await?.sync_all().await
}

/// Directories can't be opened for fsync this way off Unix; NTFS journals renames itself.
#[cfg(not(unix))]
async fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// Deletes the temp file unless disarmed, covering errors *and* a dropped
/// (cancelled) put future, e.g. when the client disconnects mid-upload.
struct TempGuard(Option<PathBuf>);

impl TempGuard {
    fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            // Drop can't await; one unlink syscall is cheap enough to do inline.
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Reads and validates the trailer, leaving the cursor somewhere after the body.
async fn read_meta(file: &mut File) -> io::Result<ObjectMeta> {
    let file_len = file.metadata().await?.len();
    if file_len < TRAILER_LEN {
        return Err(corrupt("shorter than its trailer"));
    }
    let mut trailer = [0u8; TRAILER_LEN as usize];
    file.seek(SeekFrom::Start(file_len - TRAILER_LEN)).await?;
    file.read_exact(&mut trailer).await?;
    let (len_bytes, magic) = trailer.split_at(4);
    if magic != MAGIC {
        return Err(corrupt("bad magic"));
    }
    let mut len_le = [0u8; 4];
    len_le.copy_from_slice(len_bytes);
    let meta_len = u32::from_le_bytes(len_le);
    if meta_len > MAX_META_LEN || u64::from(meta_len) > file_len - TRAILER_LEN {
        return Err(corrupt("bad metadata length"));
    }
    let body_len = file_len - TRAILER_LEN - u64::from(meta_len);
    let mut json = vec![0u8; meta_len as usize];
    file.seek(SeekFrom::Start(body_len)).await?;
    file.read_exact(&mut json).await?;
    let meta: ObjectMeta = serde_json::from_slice(&json).map_err(|e| corrupt(&e.to_string()))?;
    if meta.size != body_len {
        return Err(corrupt("size does not match body"));
    }
    Ok(meta)
}

/// Streams `body` into `<dir>/<name>` in the object file format (body, metadata from
/// `make_meta(size, md5)`, trailer): temp file, fsync, rename, fsync of the directory.
async fn write_object_file<S, E>(
    dir: &Path,
    name: &str,
    mut body: S,
    max_bytes: u64,
    make_meta: impl FnOnce(u64, Md5) -> ObjectMeta,
) -> Result<ObjectMeta, StorageError>
where
    S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
    E: std::fmt::Display,
{
    let temp_path = dir.join(format!(
        ".{name}.{:016x}{TEMP_SUFFIX}",
        crate::random::u64()
    ));
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp_path)
        .await?;
    let mut guard = TempGuard(Some(temp_path.clone()));
    // Declared after the guard so it is dropped (closed) before the unlink.
    let mut out = BufWriter::with_capacity(CHUNK_SIZE, file);

    // One chunk at a time: memory stays at one chunk plus the write buffer.
    let mut md5 = Md5::new();
    let mut size = 0u64;
    while let Some(chunk) = super::next_chunk(&mut body).await? {
        size = super::grow(size, &chunk, max_bytes)?;
        md5.update(&chunk);
        out.write_all(&chunk).await?;
    }

    let meta = make_meta(size, md5);
    let json = serde_json::to_vec(&meta).map_err(io::Error::other)?;
    let json_len = u32::try_from(json.len())
        .ok()
        .filter(|&n| n <= MAX_META_LEN)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "object metadata too large"))?;
    out.write_all(&json).await?;
    out.write_all(&json_len.to_le_bytes()).await?;
    out.write_all(MAGIC).await?;
    out.flush().await?;
    let file = out.into_inner();
    file.sync_all().await?;
    drop(file);

    fs::rename(&temp_path, dir.join(name)).await?;
    guard.disarm();
    sync_dir(dir).await?;
    Ok(meta)
}

/// Writes a small file atomically: temp file, fsync, rename, fsync of the directory.
async fn write_small_file(dir: &Path, name: &str, data: &[u8]) -> io::Result<()> {
    let temp_path = dir.join(format!(
        ".{name}.{:016x}{TEMP_SUFFIX}",
        crate::random::u64()
    ));
    let mut guard = TempGuard(Some(temp_path.clone()));
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp_path)
        .await?;
    file.write_all(data).await?;
    file.sync_all().await?;
    drop(file);
    fs::rename(&temp_path, dir.join(name)).await?;
    guard.disarm();
    sync_dir(dir).await
}

/// Reads a small JSON file; `None` if it does not exist.
async fn read_small_json<T: serde::de::DeserializeOwned>(path: &Path) -> io::Result<Option<T>> {
    let file = match File::open(path).await {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut json = Vec::new();
    // Bounded like object metadata, so a huge or corrupt file can't exhaust memory.
    file.take(u64::from(MAX_META_LEN) + 1)
        .read_to_end(&mut json)
        .await?;
    if json.len() > MAX_META_LEN as usize {
        return Err(corrupt("metadata file too large"));
    }
    serde_json::from_slice(&json)
        .map(Some)
        .map_err(|e| corrupt(&e.to_string()))
}

fn part_file_name(part_number: u32) -> String {
    format!("{part_number:05}{PART_SUFFIX}")
}

/// The part number a file name stands for, if it is a part file.
fn part_number_of(name: &str) -> Option<u32> {
    let digits = name.strip_suffix(PART_SUFFIX)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

impl DiskStore {
    /// Creates the root if needed and deletes temp files left by a crash.
    pub(super) async fn open(root: PathBuf) -> Result<Self, StorageError> {
        fs::create_dir_all(&root).await?;
        let store = Self { root };
        for dir in store.bucket_dirs().await? {
            let mut entries = fs::read_dir(&dir).await?;
            while let Some(entry) = entries.next_entry().await? {
                if entry.file_name().to_str().is_some_and(is_temp_file_name) {
                    match fs::remove_file(entry.path()).await {
                        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e.into()),
                        _ => {}
                    }
                }
            }
        }
        store.clean_uploads().await?;
        Ok(store)
    }

    /// Deletes what a crash may leave among the uploads: removed (dot-named) or half-created
    /// (no `upload.json`) upload directories, and temp files in the others.
    async fn clean_uploads(&self) -> io::Result<()> {
        let mut entries = match fs::read_dir(self.uploads_root()).await {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        while let Some(entry) = entries.next_entry().await? {
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if !entry.file_type().await?.is_dir() {
                continue;
            }
            let dead = name
                .strip_prefix('.')
                .is_some_and(|rest| rest.ends_with(TEMP_SUFFIX));
            let complete =
                is_upload_id(&name) && fs::try_exists(entry.path().join(UPLOAD_FILE)).await?;
            if dead || (is_upload_id(&name) && !complete) {
                remove_dir_all_lenient(&entry.path()).await?;
            } else if complete {
                let mut files = fs::read_dir(entry.path()).await?;
                while let Some(file) = files.next_entry().await? {
                    if file.file_name().to_str().is_some_and(is_temp_file_name) {
                        match fs::remove_file(file.path()).await {
                            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                            _ => {}
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn uploads_root(&self) -> PathBuf {
        self.root.join(UPLOADS_DIR)
    }

    fn upload_dir(&self, upload_id: &str) -> PathBuf {
        self.uploads_root().join(upload_id)
    }

    pub(super) async fn create_upload(&self, info: &UploadInfo) -> Result<(), StorageError> {
        let uploads = self.uploads_root();
        match fs::create_dir(&uploads).await {
            Ok(()) => sync_dir(&self.root).await?,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e.into()),
        }
        let dir = self.upload_dir(&info.upload_id);
        fs::create_dir(&dir).await?;
        sync_dir(&uploads).await?;
        let json = serde_json::to_vec(info).map_err(io::Error::other)?;
        write_small_file(&dir, UPLOAD_FILE, &json).await?;
        Ok(())
    }

    pub(super) async fn upload(&self, upload_id: &str) -> Result<Option<UploadInfo>, StorageError> {
        let info: Option<UploadInfo> =
            read_small_json(&self.upload_dir(upload_id).join(UPLOAD_FILE)).await?;
        Ok(info.filter(|u| u.upload_id == upload_id))
    }

    pub(super) async fn put_part<S, E>(
        &self,
        upload_id: &str,
        part_number: u32,
        body: S,
        max_bytes: u64,
    ) -> Result<PartMeta, StorageError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: std::fmt::Display,
    {
        let dir = self.upload_dir(upload_id);
        let written = write_object_file(
            &dir,
            &part_file_name(part_number),
            body,
            max_bytes,
            |size, md5| {
                super::new_meta(
                    &part_number.to_string(),
                    size,
                    super::etag_of(md5),
                    &ObjectAttrs::default(),
                )
            },
        )
        .await;
        match written {
            Ok(meta) => Ok(part_meta(part_number, &meta)),
            // The upload was completed or aborted before or while the part streamed in.
            Err(StorageError::Io(e)) if e.kind() == io::ErrorKind::NotFound => {
                Err(StorageError::NoSuchUpload)
            }
            Err(e) => Err(e),
        }
    }

    pub(super) async fn parts(&self, upload_id: &str) -> Result<Vec<PartMeta>, StorageError> {
        let mut entries = match fs::read_dir(self.upload_dir(upload_id)).await {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(StorageError::NoSuchUpload);
            }
            Err(e) => return Err(e.into()),
        };
        let mut parts = Vec::new();
        while let Some(entry) = entries.next_entry().await? {
            let Some(number) = entry.file_name().to_str().and_then(part_number_of) else {
                continue;
            };
            let mut file = match File::open(entry.path()).await {
                Ok(file) => file,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e.into()),
            };
            match read_meta(&mut file).await {
                Ok(meta) if meta.key == number.to_string() => parts.push(part_meta(number, &meta)),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::InvalidData => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(parts)
    }

    pub(super) async fn part_body(
        &self,
        upload_id: &str,
        part_number: u32,
    ) -> Result<ObjectBody, StorageError> {
        let path = self.upload_dir(upload_id).join(part_file_name(part_number));
        let mut file = match File::open(path).await {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(StorageError::InvalidPart(format!(
                    "part {part_number} is gone"
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let meta = read_meta(&mut file).await?;
        file.seek(SeekFrom::Start(0)).await?;
        Ok(ObjectBody::File {
            file,
            len: meta.size,
        })
    }

    pub(super) async fn uploads(&self) -> Result<Vec<UploadInfo>, StorageError> {
        let mut entries = match fs::read_dir(self.uploads_root()).await {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut uploads = Vec::new();
        while let Some(entry) = entries.next_entry().await? {
            let Some(id) = entry
                .file_name()
                .to_str()
                .filter(|n| is_upload_id(n))
                .map(str::to_owned)
            else {
                continue;
            };
            match self.upload(&id).await {
                Ok(Some(info)) => uploads.push(info),
                Ok(None) => {}
                Err(StorageError::Io(e)) if e.kind() == io::ErrorKind::InvalidData => {}
                Err(e) => return Err(e),
            }
        }
        Ok(uploads)
    }

    /// Renames the upload's directory to a dead name first (atomic), then deletes it.
    pub(super) async fn remove_upload(&self, upload_id: &str) -> Result<(), StorageError> {
        let uploads = self.uploads_root();
        let dead = uploads.join(format!(
            ".{upload_id}.{:016x}{TEMP_SUFFIX}",
            crate::random::u64()
        ));
        match fs::rename(self.upload_dir(upload_id), &dead).await {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        sync_dir(&uploads).await?;
        remove_dir_all_lenient(&dead).await?;
        Ok(())
    }

    pub(super) async fn create_bucket(&self, bucket: &str) -> Result<bool, StorageError> {
        if self.bucket_exists(bucket).await? {
            return Ok(false);
        }
        let dir = self.ensure_bucket_dir(bucket).await?;
        let info = BucketInfo {
            name: bucket.to_owned(),
            created: super::now_whole_seconds(),
        };
        let json = serde_json::to_vec(&info).map_err(io::Error::other)?;
        write_small_file(&dir, BUCKET_FILE, &json).await?;
        Ok(true)
    }

    pub(super) async fn bucket_exists(&self, bucket: &str) -> Result<bool, StorageError> {
        Ok(self
            .bucket_info(&self.bucket_dir(bucket))
            .await?
            .is_some_and(|b| b.name == bucket))
    }

    async fn bucket_info(&self, dir: &Path) -> Result<Option<BucketInfo>, StorageError> {
        match read_small_json::<BucketInfo>(&dir.join(BUCKET_FILE)).await {
            Ok(info) => Ok(info),
            // A corrupt marker is no bucket; the objects in the directory stay untouched.
            Err(e) if e.kind() == io::ErrorKind::InvalidData => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub(super) async fn list_buckets(&self) -> Result<Vec<BucketInfo>, StorageError> {
        let mut buckets = Vec::new();
        for dir in self.bucket_dirs().await? {
            if let Some(info) = self.bucket_info(&dir).await? {
                if dir.file_name().and_then(|n| n.to_str())
                    == Some(bucket_dir_name(&info.name).as_str())
                {
                    buckets.push(info);
                }
            }
        }
        Ok(buckets)
    }

    pub(super) async fn delete_bucket(&self, bucket: &str) -> Result<(), StorageError> {
        let dir = self.bucket_dir(bucket);
        match fs::remove_file(dir.join(BUCKET_FILE)).await {
            Ok(()) => sync_dir(&dir).await?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        // Fails harmlessly while a put's temp file is still in it.
        if fs::remove_dir(&dir).await.is_ok() {
            sync_dir(&self.root).await?;
        }
        Ok(())
    }

    /// The root this store lives in.
    pub(super) fn root(&self) -> &Path {
        &self.root
    }

    /// Existing bucket directories; anything else in the root is left alone.
    async fn bucket_dirs(&self) -> io::Result<Vec<PathBuf>> {
        let mut dirs = Vec::new();
        let mut entries = fs::read_dir(&self.root).await?;
        while let Some(entry) = entries.next_entry().await? {
            if entry.file_name().to_str().is_some_and(is_hex32) && entry.file_type().await?.is_dir()
            {
                dirs.push(entry.path());
            }
        }
        Ok(dirs)
    }

    fn bucket_dir(&self, bucket: &str) -> PathBuf {
        self.root.join(bucket_dir_name(bucket))
    }

    fn object_path(&self, bucket: &str, key: &str) -> PathBuf {
        self.bucket_dir(bucket).join(object_file_name(bucket, key))
    }

    async fn ensure_bucket_dir(&self, bucket: &str) -> io::Result<PathBuf> {
        let dir = self.bucket_dir(bucket);
        match fs::create_dir(&dir).await {
            // A new directory entry in the root must be durable before objects in it are.
            Ok(()) => sync_dir(&self.root).await?,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        Ok(dir)
    }

    pub(super) async fn put_stream<S, E>(
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
        let dir = self.ensure_bucket_dir(bucket).await?;
        let name = object_file_name(bucket, key);
        write_object_file(&dir, &name, body, max_bytes, |size, md5| {
            super::new_meta(
                key,
                size,
                etag.unwrap_or_else(|| super::etag_of(md5)),
                attrs,
            )
        })
        .await
    }

    /// Opens the object once; later reads use this handle, so a concurrent
    /// overwrite (a rename) can't mix two versions.
    async fn open_object(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<(File, ObjectMeta), StorageError> {
        let mut file = match File::open(self.object_path(bucket, key)).await {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(StorageError::NoSuchKey),
            Err(e) => return Err(e.into()),
        };
        let meta = read_meta(&mut file).await?;
        if meta.key != key {
            return Err(StorageError::NoSuchKey);
        }
        Ok((file, meta))
    }

    pub(super) async fn get(
        &self,
        bucket: &str,
        key: &str,
        range: Option<ByteRange>,
    ) -> Result<Object, StorageError> {
        let (mut file, meta) = self.open_object(bucket, key).await?;
        let range = super::resolve(range, meta.size)?;
        let (start, len) = match range {
            Some((start, end)) => (start, end - start + 1),
            None => (0, meta.size),
        };
        file.seek(SeekFrom::Start(start)).await?;
        Ok(Object {
            meta,
            body: ObjectBody::File { file, len },
            range,
        })
    }

    pub(super) async fn head(&self, bucket: &str, key: &str) -> Result<ObjectMeta, StorageError> {
        Ok(self.open_object(bucket, key).await?.1)
    }

    pub(super) async fn delete(&self, bucket: &str, key: &str) -> Result<(), StorageError> {
        let dir = self.bucket_dir(bucket);
        match fs::remove_file(dir.join(object_file_name(bucket, key))).await {
            Ok(()) => Ok(sync_dir(&dir).await?),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    pub(super) async fn list_keys(&self, bucket: &str) -> Result<Vec<String>, StorageError> {
        Ok(self
            .list_objects(bucket, "")
            .await?
            .into_iter()
            .map(|m| m.key)
            .collect())
    }

    pub(super) async fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Vec<ObjectMeta>, StorageError> {
        let mut entries = match fs::read_dir(self.bucket_dir(bucket)).await {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut objects = Vec::new();
        while let Some(entry) = entries.next_entry().await? {
            let Some(name) = entry
                .file_name()
                .to_str()
                .filter(|n| is_object_file_name(n))
                .map(str::to_owned)
            else {
                continue;
            };
            let mut file = match File::open(entry.path()).await {
                Ok(file) => file,
                // Deleted between read_dir and open: simply no longer listed.
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e.into()),
            };
            match read_meta(&mut file).await {
                // A file under a name its key doesn't hash to isn't that object; skip it.
                Ok(meta) if object_file_name(bucket, &meta.key) == name => {
                    if meta.key.starts_with(prefix) {
                        objects.push(meta);
                    }
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::InvalidData => {}
                Err(e) => return Err(e.into()),
            }
        }
        objects.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        Ok(objects)
    }

    /// Removes published objects only: temp files of puts in flight stay, so
    /// those puts still complete (they are simply ordered after the clear).
    pub(super) async fn clear(&self) -> Result<(), StorageError> {
        for dir in self.bucket_dirs().await? {
            let mut entries = fs::read_dir(&dir).await?;
            while let Some(entry) = entries.next_entry().await? {
                if entry.file_name().to_str().is_some_and(is_object_file_name) {
                    match fs::remove_file(entry.path()).await {
                        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e.into()),
                        _ => {}
                    }
                }
            }
            sync_dir(&dir).await?;
        }
        for upload in self.uploads().await? {
            self.remove_upload(&upload.upload_id).await?;
        }
        Ok(())
    }
}

fn part_meta(part_number: u32, meta: &ObjectMeta) -> PartMeta {
    PartMeta {
        part_number,
        size: meta.size,
        etag: meta.etag.clone(),
        last_modified: meta.last_modified,
    }
}

/// `remove_dir_all` that treats an already missing directory as removed.
async fn remove_dir_all_lenient(dir: &Path) -> io::Result<()> {
    match fs::remove_dir_all(dir).await {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::stream;
    use std::convert::Infallible;

    fn once(data: &'static [u8]) -> impl Stream<Item = Result<Bytes, Infallible>> + Send + Unpin {
        stream::iter([Ok(Bytes::from_static(data))])
    }

    #[test]
    fn file_names_are_hashes_only() {
        for key in ["../../etc/passwd", "a/./b", "..\\x", "", "/", "\u{10FFFF}"] {
            let name = object_file_name("bucket-125", key);
            assert!(is_object_file_name(&name), "{name}");
            assert!(!is_temp_file_name(&name));
        }
        assert_ne!(object_file_name("ab", "c"), object_file_name("a", "bc"));
        assert!(is_hex32(&bucket_dir_name("../..")));
    }

    #[tokio::test]
    async fn object_file_layout_is_body_then_trailer() {
        let tmp = tempfile::tempdir().unwrap();
        let store = DiskStore::open(tmp.path().join("d")).await.unwrap();
        store
            .put_stream(
                "b",
                "k",
                &ObjectAttrs::typed("text/plain"),
                once(b"hello"),
                100,
                None,
            )
            .await
            .unwrap();
        let raw = std::fs::read(store.object_path("b", "k")).unwrap();
        assert_eq!(&raw[..5], b"hello");
        assert_eq!(&raw[raw.len() - 8..], MAGIC);
    }

    #[tokio::test]
    async fn corrupt_files_error_instead_of_panicking_and_are_not_listed() {
        let tmp = tempfile::tempdir().unwrap();
        let store = DiskStore::open(tmp.path().join("d")).await.unwrap();
        store
            .put_stream("b", "good", &ObjectAttrs::typed(""), once(b"ok"), 100, None)
            .await
            .unwrap();
        let dir = store.ensure_bucket_dir("b").await.unwrap();

        let garbage: [&[u8]; 5] = [
            b"",
            b"short",
            b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            b"\xff\xff\xff\xffCOSCIOB1",
            b"{\"not\":\"meta\"}\x0e\x00\x00\x00COSCIOB1",
        ];
        for (i, bytes) in garbage.iter().enumerate() {
            let key = format!("bad{i}");
            std::fs::write(dir.join(object_file_name("b", &key)), bytes).unwrap();
            match store.get("b", &key, None).await {
                Err(StorageError::Io(e)) => assert_eq!(e.kind(), io::ErrorKind::InvalidData),
                other => panic!("{key}: {other:?}"),
            }
        }
        assert_eq!(store.list_keys("b").await.unwrap(), vec!["good".to_owned()]);
    }

    #[tokio::test]
    async fn misplaced_file_is_not_served_under_another_key() {
        // Simulates an MD5 collision: the file at k2's name holds k1.
        let tmp = tempfile::tempdir().unwrap();
        let store = DiskStore::open(tmp.path().join("d")).await.unwrap();
        store
            .put_stream("b", "k1", &ObjectAttrs::typed(""), once(b"one"), 100, None)
            .await
            .unwrap();
        std::fs::rename(store.object_path("b", "k1"), store.object_path("b", "k2")).unwrap();
        assert!(matches!(
            store.head("b", "k2").await,
            Err(StorageError::NoSuchKey)
        ));
        assert!(matches!(
            store.head("b", "k1").await,
            Err(StorageError::NoSuchKey)
        ));
        assert!(store.list_keys("b").await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn open_leaves_foreign_files_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("d");
        std::fs::create_dir_all(root.join("not-a-bucket")).unwrap();
        std::fs::write(root.join("not-a-bucket/.x.tmp"), b"").unwrap();
        std::fs::write(root.join("README"), b"hi").unwrap();
        let store = DiskStore::open(root.clone()).await.unwrap();
        store.clear().await.unwrap();
        assert!(root.join("README").exists());
        assert!(root.join("not-a-bucket/.x.tmp").exists());
        assert_eq!(store.root(), root);
    }
}
