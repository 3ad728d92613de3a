//! The in-memory backend (the default): objects live in a map for the
//! lifetime of the process.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::SystemTime;

use bytes::{Bytes, BytesMut};
use futures_util::Stream;
use md5::{Digest, Md5};

use super::{
    BucketInfo, ByteRange, Object, ObjectAttrs, ObjectBody, ObjectMeta, PartMeta, StorageError,
    UploadInfo,
};

/// One stored version; shared so readers never copy or block writers for long.
struct Entry {
    meta: ObjectMeta,
    /// The body: one buffer, or the parts of a completed multipart upload in order.
    data: Vec<Bytes>,
}

/// An unfinished multipart upload and its parts.
struct MemUpload {
    info: UploadInfo,
    parts: BTreeMap<u32, (PartMeta, Bytes)>,
}

/// bucket -> key -> object; the `BTreeMap` keeps listings sorted for free.
#[derive(Default)]
pub(super) struct MemoryStore {
    buckets: RwLock<HashMap<String, BTreeMap<String, Arc<Entry>>>>,
    /// The registered buckets and their creation times.
    registry: Mutex<BTreeMap<String, SystemTime>>,
    /// upload id -> upload.
    uploads: Mutex<HashMap<String, MemUpload>>,
}

/// Reads a whole body into memory, at most `max_bytes` of it, and its ETag (`etag` when
/// given: the body is then not hashed).
async fn collect<S, E>(
    mut body: S,
    max_bytes: u64,
    etag: Option<String>,
) -> Result<(Bytes, String, u64), StorageError>
where
    S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
    E: std::fmt::Display,
{
    let mut md5 = etag.is_none().then(Md5::new);
    let mut buf = BytesMut::new();
    let mut size = 0u64;
    while let Some(chunk) = super::next_chunk(&mut body).await? {
        // Checked before buffering, so an oversized upload costs at most `max_bytes`.
        size = super::grow(size, &chunk, max_bytes)?;
        if let Some(md5) = md5.as_mut() {
            md5.update(&chunk);
        }
        buf.extend_from_slice(&chunk);
    }
    let etag = etag.or_else(|| md5.map(super::etag_of)).unwrap_or_default();
    Ok((buf.freeze(), etag, size))
}

/// `range` (inclusive offsets) of the runs `data`, without copying.
fn slice(data: &[Bytes], range: Option<(u64, u64)>) -> ObjectBody {
    let (start, end) = match (range, data) {
        (None, [one]) => return ObjectBody::Bytes(one.clone()),
        (None, _) => return ObjectBody::Segments(data.to_vec()),
        (Some((start, end)), _) => (start, end + 1),
    };
    let mut out = Vec::new();
    let mut at = 0u64;
    for run in data {
        let len = run.len() as u64;
        let (from, to) = (start.max(at), end.min(at + len));
        if from < to {
            // Offsets are within `run`, so the casts can't truncate.
            out.push(run.slice((from - at) as usize..(to - at) as usize));
        }
        at += len;
    }
    match <[Bytes; 1]>::try_from(out) {
        Ok([one]) => ObjectBody::Bytes(one),
        Err(runs) => ObjectBody::Segments(runs),
    }
}

/// Like the map locks: every critical section is one map operation, so poison is harmless.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl MemoryStore {
    // Every critical section is a single map operation, so a panic elsewhere
    // can't leave the map half-updated: recovering from poison is safe.
    fn read(&self) -> RwLockReadGuard<'_, HashMap<String, BTreeMap<String, Arc<Entry>>>> {
        self.buckets.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, HashMap<String, BTreeMap<String, Arc<Entry>>>> {
        self.buckets.write().unwrap_or_else(|e| e.into_inner())
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
        let (data, etag, size) = collect(body, max_bytes, etag).await?;
        let meta = super::new_meta(key, size, etag, attrs);
        self.insert(bucket, meta.clone(), vec![data]);
        Ok(meta)
    }

    #[cfg(test)]
    pub(super) fn put_bytes(
        &self,
        bucket: &str,
        key: &str,
        content_type: &str,
        data: Bytes,
    ) -> ObjectMeta {
        let mut md5 = Md5::new();
        md5.update(&data);
        let meta = super::new_meta(
            key,
            data.len() as u64,
            super::etag_of(md5),
            &ObjectAttrs::typed(content_type),
        );
        self.insert(bucket, meta.clone(), vec![data]);
        meta
    }

    fn insert(&self, bucket: &str, meta: ObjectMeta, data: Vec<Bytes>) {
        let entry = Arc::new(Entry { meta, data });
        self.write()
            .entry(bucket.to_owned())
            .or_default()
            .insert(entry.meta.key.clone(), entry);
    }

    fn lookup(&self, bucket: &str, key: &str) -> Result<Arc<Entry>, StorageError> {
        self.read()
            .get(bucket)
            .and_then(|objects| objects.get(key))
            .cloned()
            .ok_or(StorageError::NoSuchKey)
    }

    pub(super) fn get(
        &self,
        bucket: &str,
        key: &str,
        range: Option<ByteRange>,
    ) -> Result<Object, StorageError> {
        let entry = self.lookup(bucket, key)?;
        let range = super::resolve(range, entry.meta.size)?;
        Ok(Object {
            meta: entry.meta.clone(),
            body: slice(&entry.data, range),
            range,
        })
    }

    pub(super) fn head(&self, bucket: &str, key: &str) -> Result<ObjectMeta, StorageError> {
        Ok(self.lookup(bucket, key)?.meta.clone())
    }

    pub(super) fn delete(&self, bucket: &str, key: &str) {
        let mut buckets = self.write();
        if let Some(objects) = buckets.get_mut(bucket) {
            objects.remove(key);
            // Drop empty buckets so a long-running mock doesn't accumulate them.
            if objects.is_empty() {
                buckets.remove(bucket);
            }
        }
    }

    pub(super) fn list_keys(&self, bucket: &str) -> Vec<String> {
        self.read()
            .get(bucket)
            .map(|objects| objects.keys().cloned().collect())
            .unwrap_or_default()
    }

    pub(super) fn list_objects(&self, bucket: &str, prefix: &str) -> Vec<ObjectMeta> {
        self.read()
            .get(bucket)
            .map(|objects| {
                objects
                    .range::<str, _>((
                        std::ops::Bound::Included(prefix),
                        std::ops::Bound::Unbounded,
                    ))
                    .take_while(|(k, _)| k.starts_with(prefix))
                    .map(|(_, e)| e.meta.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(super) fn clear(&self) {
        self.write().clear();
        lock(&self.uploads).clear();
    }

    pub(super) fn create_bucket(&self, bucket: &str) -> bool {
        let mut registry = lock(&self.registry);
        if registry.contains_key(bucket) {
            return false;
        }
        registry.insert(bucket.to_owned(), super::now_whole_seconds());
        true
    }

    pub(super) fn bucket_exists(&self, bucket: &str) -> bool {
        lock(&self.registry).contains_key(bucket)
    }

    pub(super) fn list_buckets(&self) -> Vec<BucketInfo> {
        lock(&self.registry)
            .iter()
            .map(|(name, created)| BucketInfo {
                name: name.clone(),
                created: *created,
            })
            .collect()
    }

    pub(super) fn delete_bucket(&self, bucket: &str) {
        lock(&self.registry).remove(bucket);
    }

    pub(super) fn create_upload(&self, info: UploadInfo) {
        lock(&self.uploads).insert(
            info.upload_id.clone(),
            MemUpload {
                info,
                parts: BTreeMap::new(),
            },
        );
    }

    pub(super) fn upload(&self, upload_id: &str) -> Option<UploadInfo> {
        lock(&self.uploads).get(upload_id).map(|u| u.info.clone())
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
        let (data, etag, size) = collect(body, max_bytes, None).await?;
        let part = PartMeta {
            part_number,
            size,
            etag,
            last_modified: super::now_whole_seconds(),
        };
        // The upload may have been completed or aborted while the body streamed in.
        let mut uploads = lock(&self.uploads);
        let upload = uploads
            .get_mut(upload_id)
            .ok_or(StorageError::NoSuchUpload)?;
        upload.parts.insert(part_number, (part.clone(), data));
        Ok(part)
    }

    pub(super) fn parts(&self, upload_id: &str) -> Result<Vec<PartMeta>, StorageError> {
        lock(&self.uploads)
            .get(upload_id)
            .map(|u| u.parts.values().map(|(meta, _)| meta.clone()).collect())
            .ok_or(StorageError::NoSuchUpload)
    }

    pub(super) fn part_body(
        &self,
        upload_id: &str,
        part_number: u32,
    ) -> Result<ObjectBody, StorageError> {
        lock(&self.uploads)
            .get(upload_id)
            .and_then(|u| u.parts.get(&part_number))
            .map(|(_, data)| ObjectBody::Bytes(data.clone()))
            .ok_or_else(|| StorageError::InvalidPart(format!("part {part_number} is gone")))
    }

    pub(super) fn uploads(&self) -> Vec<UploadInfo> {
        lock(&self.uploads)
            .values()
            .map(|u| u.info.clone())
            .collect()
    }

    /// Publishes the parts `numbers` (checked by the caller) of `upload_id` as `meta`'s object
    /// and drops the upload: the parts' buffers become the object's, nothing is copied.
    pub(super) fn complete_upload(
        &self,
        bucket: &str,
        upload_id: &str,
        numbers: &[u32],
        meta: ObjectMeta,
    ) -> Result<(), StorageError> {
        let mut uploads = lock(&self.uploads);
        let upload = uploads.get(upload_id).ok_or(StorageError::NoSuchUpload)?;
        let data = numbers
            .iter()
            .map(|n| {
                upload
                    .parts
                    .get(n)
                    .map(|(_, data)| data.clone())
                    .ok_or_else(|| StorageError::InvalidPart(format!("part {n} is gone")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        uploads.remove(upload_id);
        drop(uploads);
        self.insert(bucket, meta, data);
        Ok(())
    }

    pub(super) fn remove_upload(&self, upload_id: &str) {
        lock(&self.uploads).remove(upload_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn buckets_are_separate_and_pruned() {
        let store = MemoryStore::default();
        store.put_bytes("a", "k", "text/plain", Bytes::from_static(b"1"));
        store.put_bytes("b", "k", "text/plain", Bytes::from_static(b"22"));
        assert_eq!(store.head("a", "k").unwrap().size, 1);
        assert_eq!(store.head("b", "k").unwrap().size, 2);
        store.delete("a", "k");
        assert!(store.read().get("a").is_none());
        assert!(matches!(store.head("a", "k"), Err(StorageError::NoSuchKey)));
        assert_eq!(store.list_keys("b"), vec!["k".to_owned()]);
    }

    #[tokio::test]
    async fn range_slices_share_the_stored_bytes() {
        let store = MemoryStore::default();
        store.put_bytes("b", "k", "", Bytes::from_static(b"0123456789"));
        let obj = store.get("b", "k", Some(ByteRange::FromTo(2, 4))).unwrap();
        assert_eq!(obj.range, Some((2, 4)));
        match obj.body {
            ObjectBody::Bytes(b) => assert_eq!(&b[..], b"234"),
            other => panic!("a range of one buffer is one slice: {other:?}"),
        }
    }

    #[test]
    fn ranges_across_parts_are_sliced_not_copied() {
        let runs = [
            Bytes::from_static(b"0123"),
            Bytes::from_static(b"45"),
            Bytes::from_static(b"6789"),
        ];
        let bytes = |body: ObjectBody| match body {
            ObjectBody::Bytes(b) => vec![b],
            ObjectBody::Segments(s) => s,
            ObjectBody::File { .. } => panic!("memory mode served a file"),
        };
        let whole = bytes(slice(&runs, None));
        assert_eq!(whole.concat(), b"0123456789");
        for (start, end) in [(0, 9), (3, 6), (4, 5), (5, 5), (2, 3), (9, 9), (0, 0)] {
            let got = bytes(slice(&runs, Some((start, end))));
            assert_eq!(
                got.concat(),
                &b"0123456789"[start as usize..=end as usize],
                "{start}-{end}"
            );
            assert!(
                got.iter().all(|b| !b.is_empty()),
                "{start}-{end}: no empty runs"
            );
            // Slices of the stored runs, not copies.
            let stored = runs.iter().map(|r| r.as_ptr_range()).collect::<Vec<_>>();
            for b in &got {
                assert!(
                    stored.iter().any(|r| r.contains(&b.as_ptr())),
                    "{start}-{end}"
                );
            }
        }
    }
}
