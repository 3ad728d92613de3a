//! The in-memory backend (the default): objects live in a map for the
//! lifetime of the process.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use bytes::{Bytes, BytesMut};
use futures_util::Stream;
use md5::{Digest, Md5};

use super::{ByteRange, Object, ObjectBody, ObjectMeta, StorageError};

/// One stored version; shared so readers never copy or block writers for long.
struct Entry {
    meta: ObjectMeta,
    data: Bytes,
}

/// bucket -> key -> object; the `BTreeMap` keeps listings sorted for free.
#[derive(Default)]
pub(super) struct MemoryStore {
    buckets: RwLock<HashMap<String, BTreeMap<String, Arc<Entry>>>>,
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
        content_type: &str,
        mut body: S,
        max_bytes: u64,
    ) -> Result<ObjectMeta, StorageError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: std::fmt::Display,
    {
        let mut md5 = Md5::new();
        let mut buf = BytesMut::new();
        let mut size = 0u64;
        while let Some(chunk) = super::next_chunk(&mut body).await? {
            // Checked before buffering, so an oversized upload costs at most `max_bytes`.
            size = super::grow(size, &chunk, max_bytes)?;
            md5.update(&chunk);
            buf.extend_from_slice(&chunk);
        }
        let meta = super::new_meta(key, size, md5, content_type);
        self.insert(bucket, meta.clone(), buf.freeze());
        Ok(meta)
    }

    pub(super) fn put_bytes(
        &self,
        bucket: &str,
        key: &str,
        content_type: &str,
        data: Bytes,
    ) -> ObjectMeta {
        let mut md5 = Md5::new();
        md5.update(&data);
        let meta = super::new_meta(key, data.len() as u64, md5, content_type);
        self.insert(bucket, meta.clone(), data);
        meta
    }

    fn insert(&self, bucket: &str, meta: ObjectMeta, data: Bytes) {
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
        let data = match range {
            // Offsets are < size == data.len(), so the casts can't truncate.
            Some((start, end)) => entry.data.slice(start as usize..=end as usize),
            None => entry.data.clone(),
        };
        Ok(Object {
            meta: entry.meta.clone(),
            body: ObjectBody::Bytes(data),
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

    pub(super) fn clear(&self) {
        self.write().clear();
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
            ObjectBody::File { .. } => panic!("memory mode served a file"),
        }
    }
}
