//! Behaviour tests run against both backends, plus disk-only tests
//! (persistence, containment, crash leftovers, streaming).

use super::*;
use futures_util::{TryStreamExt, stream};
use std::collections::HashSet;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

const FOX: &[u8] = b"The quick brown fox jumps over the lazy dog";
const FOX_ETAG: &str = "\"9e107d9d372bb6826bd81d3542a419d6\"";

fn md5_etag(data: &[u8]) -> String {
    format!("\"{}\"", hex::encode(Md5::digest(data)))
}

/// A request-body-like stream of `data` in `chunk`-sized pieces.
fn chunked(
    data: &[u8],
    chunk: usize,
) -> impl Stream<Item = Result<Bytes, io::Error>> + Send + Unpin + use<> {
    let data = Bytes::copy_from_slice(data);
    let pieces: Vec<_> = (0..data.len())
        .step_by(chunk.max(1))
        .map(|at| Ok(data.slice(at..(at + chunk).min(data.len()))))
        .collect();
    stream::iter(pieces)
}

async fn read_all(obj: Object) -> Vec<u8> {
    let chunks: Vec<Bytes> = obj.body.into_stream().try_collect().await.unwrap();
    assert!(chunks.iter().all(|c| c.len() <= CHUNK_SIZE));
    chunks.concat()
}

async fn get_all(s: &Storage, bucket: &str, key: &str) -> Vec<u8> {
    read_all(s.get(bucket, key, None).await.unwrap()).await
}

/// Every regular file below `dir`, recursively.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let ty = entry.file_type().unwrap();
        assert!(!ty.is_symlink(), "unexpected symlink {:?}", entry.path());
        if ty.is_dir() {
            out.extend(walk(&entry.path()));
        } else {
            out.push(entry.path());
        }
    }
    out
}

fn temp_files(dir: &Path) -> Vec<PathBuf> {
    walk(dir)
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect()
}

/// Checks run after every disk-mode test: nothing escaped the data dir and no temp file survived.
fn assert_disk_invariants(scratch: &Path, data: &Path) {
    let data = data.canonicalize().unwrap();
    for file in walk(scratch) {
        let file = file.canonicalize().unwrap();
        assert!(file.starts_with(&data), "{file:?} is outside {data:?}");
    }
    assert_eq!(temp_files(&data), Vec::<PathBuf>::new());
}

/// Generates `memory_mode::name` and `disk_mode::name` tests from `async fn name(Storage)`.
macro_rules! both_modes {
    ($($name:ident),* $(,)?) => {
        mod memory_mode {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(super::Storage::memory()).await;
                }
            )*
        }
        mod disk_mode {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let scratch = tempfile::tempdir().unwrap();
                    let data = scratch.path().join("data");
                    let storage = super::Storage::open_dir(&data).await.unwrap();
                    assert_eq!(storage.data_dir(), Some(data.as_path()));
                    super::$name(storage).await;
                    super::assert_disk_invariants(scratch.path(), &data);
                }
            )*
        }
    };
}

both_modes!(
    put_get_head_delete,
    overwrite_replaces_previous_version,
    ranges_resolve,
    etag_is_md5_of_body,
    awkward_keys_roundtrip,
    buckets_are_isolated_and_listing_sorted,
    clear_removes_everything,
    failing_stream_stores_nothing,
    oversized_stream_stores_nothing,
    cancelled_put_stores_nothing,
    concurrent_writers_leave_one_whole_version,
    open_reader_survives_overwrite_and_delete,
    large_bodies_stream_in_chunks,
    last_modified_is_whole_seconds,
    into_bytes_respects_limit,
    list_objects_filters_by_prefix_in_byte_order,
    bucket_registry,
    multipart_roundtrip,
    multipart_completion_checks_parts,
    multipart_uploads_are_separate_and_abortable,
    attributes_are_kept,
);

async fn list_objects_filters_by_prefix_in_byte_order(s: Storage) {
    for key in ["中", "z", "é", "Z", "a/1", "a/2", "a", "ab"] {
        s.put_bytes("b-125", key, "", Bytes::from(key))
            .await
            .unwrap();
    }
    let keys = |metas: Vec<ObjectMeta>| metas.into_iter().map(|m| m.key).collect::<Vec<_>>();
    // U+00E9 is 0xC3 0xA9, after 'z' (0x7A) and before U+4E2D (0xE4 ...), in bytes.
    assert_eq!(
        keys(s.list_objects("b-125", "").await.unwrap()),
        ["Z", "a", "a/1", "a/2", "ab", "z", "é", "中"]
    );
    assert_eq!(
        keys(s.list_objects("b-125", "a/").await.unwrap()),
        ["a/1", "a/2"]
    );
    assert!(s.list_objects("b-125", "nope").await.unwrap().is_empty());
    let meta = &s.list_objects("b-125", "ab").await.unwrap()[0];
    assert_eq!(meta.size, 2);
    assert_eq!(meta.etag, md5_etag(b"ab"));
}

async fn bucket_registry(s: Storage) {
    assert!(!s.bucket_exists("new-125").await.unwrap());
    assert!(s.create_bucket("new-125").await.unwrap());
    assert!(!s.create_bucket("new-125").await.unwrap());
    assert!(s.create_bucket("another-125").await.unwrap());
    assert!(s.bucket_exists("new-125").await.unwrap());
    let names: Vec<String> = s
        .list_buckets()
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert_eq!(names, ["another-125", "new-125"]);
    s.put_bytes("new-125", "k", "", Bytes::from_static(b"x"))
        .await
        .unwrap();
    assert!(matches!(
        s.delete_bucket("new-125").await,
        Err(StorageError::BucketNotEmpty { objects: 1 })
    ));
    s.delete("new-125", "k").await.unwrap();
    let upload = s
        .create_upload("new-125", "u", ObjectAttrs::default())
        .await
        .unwrap();
    s.delete_bucket("new-125").await.unwrap();
    assert!(!s.bucket_exists("new-125").await.unwrap());
    // Its unfinished uploads went with it.
    assert!(matches!(
        s.upload_info("new-125", "u", &upload.upload_id).await,
        Err(StorageError::NoSuchUpload)
    ));
    assert!(matches!(
        s.delete_bucket("new-125").await,
        Err(StorageError::NoSuchBucket)
    ));
    // Clearing objects keeps buckets.
    s.clear().await.unwrap();
    assert!(s.bucket_exists("another-125").await.unwrap());
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

async fn multipart_roundtrip(s: Storage) {
    let attrs = ObjectAttrs {
        content_type: "image/jpeg".into(),
        headers: vec![("x-cos-meta-a".into(), "1".into())],
        storage_class: None,
    };
    let up = s.create_upload("b", "big", attrs.clone()).await.unwrap();
    let (one, two, three) = (pattern(100, 1), pattern(100, 2), pattern(30, 3));
    // Out of order, and part 2 uploaded twice: the later one counts.
    let p3 = s
        .put_part("b", "big", &up.upload_id, 3, chunked(&three, 7), 1000)
        .await
        .unwrap();
    s.put_part("b", "big", &up.upload_id, 2, chunked(b"stale", 2), 1000)
        .await
        .unwrap();
    let p2 = s
        .put_part("b", "big", &up.upload_id, 2, chunked(&two, 64), 1000)
        .await
        .unwrap();
    let p1 = s
        .put_part("b", "big", &up.upload_id, 1, chunked(&one, 13), 1000)
        .await
        .unwrap();
    assert_eq!(p1.etag, md5_etag(&one));
    assert_eq!(p2.size, 100);
    let (info, parts) = s.list_parts("b", "big", &up.upload_id).await.unwrap();
    assert_eq!(info, up);
    assert_eq!(
        parts.iter().map(|p| p.part_number).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(parts[1], p2);
    assert_eq!(s.list_uploads("b").await.unwrap(), vec![up.clone()]);

    let wanted = vec![
        (1, p1.etag.clone()),
        (2, p2.etag.trim_matches('"').to_string()),
        (3, p3.etag.clone()),
    ];
    let meta = s
        .complete_upload("b", "big", &up.upload_id, &wanted, 100, 1000)
        .await
        .unwrap();
    let expected_etag = {
        let mut md5 = Md5::new();
        for part in [&one, &two, &three] {
            md5.update(Md5::digest(part));
        }
        format!("\"{}-3\"", hex::encode(md5.finalize()))
    };
    assert_eq!(meta.etag, expected_etag);
    assert_eq!(meta.size, 230);
    assert_eq!(meta.content_type, "image/jpeg");
    assert_eq!(meta.headers, attrs.headers);
    assert_eq!(get_all(&s, "b", "big").await, [one, two, three].concat());
    assert_eq!(s.head("b", "big").await.unwrap(), meta);
    // The upload is gone once completed.
    assert!(matches!(
        s.list_parts("b", "big", &up.upload_id).await,
        Err(StorageError::NoSuchUpload)
    ));
    assert!(s.list_uploads("b").await.unwrap().is_empty());
}

async fn multipart_completion_checks_parts(s: Storage) {
    let up = s
        .create_upload("b", "k", ObjectAttrs::default())
        .await
        .unwrap();
    let id = up.upload_id.as_str();
    let p1 = s
        .put_part("b", "k", id, 1, chunked(&pattern(10, 1), 4), 100)
        .await
        .unwrap();
    let p2 = s
        .put_part("b", "k", id, 2, chunked(&pattern(4, 2), 4), 100)
        .await
        .unwrap();
    let p3 = s
        .put_part("b", "k", id, 3, chunked(&pattern(10, 3), 4), 100)
        .await
        .unwrap();
    let e = |p: &PartMeta| p.etag.clone();
    let complete = |wanted: Vec<(u32, String)>, min: u64, max: u64| {
        let s = s.clone();
        let id = id.to_string();
        async move { s.complete_upload("b", "k", &id, &wanted, min, max).await }
    };
    assert!(matches!(
        complete(vec![(2, e(&p2)), (1, e(&p1))], 0, 100).await,
        Err(StorageError::InvalidPartOrder)
    ));
    assert!(matches!(
        complete(vec![(1, e(&p1)), (1, e(&p1))], 0, 100).await,
        Err(StorageError::InvalidPartOrder)
    ));
    assert!(matches!(
        complete(vec![(1, e(&p1)), (4, e(&p1))], 0, 100).await,
        Err(StorageError::InvalidPart(_))
    ));
    assert!(matches!(
        complete(vec![(1, e(&p2))], 0, 100).await,
        Err(StorageError::InvalidPart(_))
    ));
    // Part 2 (4 bytes) is below the minimum of 5 when it is not the last...
    assert!(matches!(
        complete(vec![(1, e(&p1)), (2, e(&p2)), (3, e(&p3))], 5, 100).await,
        Err(StorageError::PartTooSmall {
            part: 2,
            size: 4,
            min: 5
        })
    ));
    assert!(matches!(
        complete(vec![(1, e(&p1)), (3, e(&p3))], 5, 15).await,
        Err(StorageError::TooLarge { limit: 15 })
    ));
    // Nothing was published and the upload is intact after refusals.
    assert!(matches!(
        s.head("b", "k").await,
        Err(StorageError::NoSuchKey)
    ));
    assert_eq!(s.list_parts("b", "k", id).await.unwrap().1.len(), 3);
    // ...but may be the last; parts left out are dropped.
    let meta = complete(vec![(1, e(&p1)), (2, e(&p2))], 5, 100)
        .await
        .unwrap();
    assert_eq!(meta.size, 14);
    assert_eq!(
        get_all(&s, "b", "k").await,
        [pattern(10, 1), pattern(4, 2)].concat()
    );
}

async fn multipart_uploads_are_separate_and_abortable(s: Storage) {
    let a = s
        .create_upload("b", "k", ObjectAttrs::default())
        .await
        .unwrap();
    let b = s
        .create_upload("b", "k", ObjectAttrs::default())
        .await
        .unwrap();
    let other = s
        .create_upload("c", "k", ObjectAttrs::default())
        .await
        .unwrap();
    assert_ne!(a.upload_id, b.upload_id);
    // The id only works with its own bucket and key.
    for (bucket, key) in [("b", "other"), ("c", "k")] {
        assert!(matches!(
            s.upload_info(bucket, key, &a.upload_id).await,
            Err(StorageError::NoSuchUpload)
        ));
    }
    for bad in ["", "../x", "ZZ", &"a".repeat(65)] {
        assert!(matches!(
            s.put_part("b", "k", bad, 1, chunked(b"x", 1), 10).await,
            Err(StorageError::NoSuchUpload)
        ));
    }
    s.put_part("b", "k", &a.upload_id, 1, chunked(b"aaa", 1), 10)
        .await
        .unwrap();
    assert!(matches!(
        s.put_part("b", "k", &b.upload_id, 1, chunked(b"too long", 1), 3)
            .await,
        Err(StorageError::TooLarge { limit: 3 })
    ));
    assert!(
        s.list_parts("b", "k", &b.upload_id)
            .await
            .unwrap()
            .1
            .is_empty()
    );
    assert_eq!(s.list_uploads("b").await.unwrap().len(), 2);
    s.abort_upload("b", "k", &a.upload_id).await.unwrap();
    assert!(matches!(
        s.abort_upload("b", "k", &a.upload_id).await,
        Err(StorageError::NoSuchUpload)
    ));
    assert!(matches!(
        s.put_part("b", "k", &a.upload_id, 2, chunked(b"x", 1), 10)
            .await,
        Err(StorageError::NoSuchUpload)
    ));
    assert_eq!(s.list_uploads("b").await.unwrap(), vec![b]);
    assert_eq!(s.list_uploads("c").await.unwrap(), vec![other]);
    s.clear().await.unwrap();
    assert!(s.list_uploads("b").await.unwrap().is_empty());
    assert!(s.list_uploads("c").await.unwrap().is_empty());
}

async fn attributes_are_kept(s: Storage) {
    let attrs = ObjectAttrs {
        content_type: "text/plain".into(),
        headers: vec![
            ("cache-control".into(), "max-age=60".into()),
            ("x-cos-meta-owner".into(), "名前".into()),
        ],
        storage_class: Some("STANDARD_IA".into()),
    };
    let meta = s
        .put_object("b", "k", &attrs, chunked(FOX, 5), 1000)
        .await
        .unwrap();
    assert_eq!(meta.headers, attrs.headers);
    assert_eq!(meta.storage_class.as_deref(), Some("STANDARD_IA"));
    assert_eq!(s.head("b", "k").await.unwrap(), meta);
    assert_eq!(s.list_objects("b", "").await.unwrap(), vec![meta]);
}

async fn put_get_head_delete(s: Storage) {
    assert!(matches!(
        s.get("b", "k", None).await,
        Err(StorageError::NoSuchKey)
    ));
    assert!(matches!(
        s.head("b", "k").await,
        Err(StorageError::NoSuchKey)
    ));

    let meta = s
        .put_bytes("b", "k", "text/plain", Bytes::from_static(FOX))
        .await
        .unwrap();
    assert_eq!(meta.key, "k");
    assert_eq!(meta.size, FOX.len() as u64);
    assert_eq!(meta.content_type, "text/plain");
    assert_eq!(s.head("b", "k").await.unwrap(), meta);

    let obj = s.get("b", "k", None).await.unwrap();
    assert_eq!(obj.meta, meta);
    assert_eq!(obj.range, None);
    assert_eq!(obj.body.len(), FOX.len() as u64);
    assert_eq!(read_all(obj).await, FOX);
    assert_eq!(s.list_keys("b").await.unwrap(), vec!["k".to_owned()]);

    s.delete("b", "k").await.unwrap();
    assert!(matches!(
        s.get("b", "k", None).await,
        Err(StorageError::NoSuchKey)
    ));
    assert!(s.list_keys("b").await.unwrap().is_empty());
    // Deleting what isn't there is fine (COS answers 204).
    s.delete("b", "k").await.unwrap();
    s.delete("never-seen-bucket", "k").await.unwrap();

    // Empty objects are objects too.
    let meta = s.put_bytes("b", "empty", "", Bytes::new()).await.unwrap();
    assert_eq!(meta.size, 0);
    let obj = s.get("b", "empty", None).await.unwrap();
    assert!(obj.body.is_empty());
    assert_eq!(read_all(obj).await, b"");
}

async fn overwrite_replaces_previous_version(s: Storage) {
    s.put_bytes("b", "k", "text/plain", Bytes::from_static(b"first version"))
        .await
        .unwrap();
    let meta = s
        .put_stream("b", "k", "image/png", chunked(b"second", 2), 100)
        .await
        .unwrap();
    assert_eq!(s.head("b", "k").await.unwrap(), meta);
    assert_eq!(meta.content_type, "image/png");
    assert_eq!(get_all(&s, "b", "k").await, b"second");
    assert_eq!(s.list_keys("b").await.unwrap(), vec!["k".to_owned()]);
}

async fn ranges_resolve(s: Storage) {
    let data: Vec<u8> = (0..=255u8).collect();
    s.put_bytes("b", "k", "", Bytes::from(data.clone()))
        .await
        .unwrap();
    let cases = [
        (ByteRange::FromTo(0, 9), (0, 9)),
        (ByteRange::FromTo(250, 1000), (250, 255)),
        (ByteRange::From(200), (200, 255)),
        (ByteRange::Suffix(6), (250, 255)),
        (ByteRange::Suffix(1000), (0, 255)),
    ];
    for (range, (start, end)) in cases {
        let obj = s.get("b", "k", Some(range)).await.unwrap();
        assert_eq!(obj.range, Some((start, end)), "{range}");
        assert_eq!(obj.meta.size, 256, "meta keeps the full size");
        assert_eq!(obj.body.len(), end - start + 1);
        assert_eq!(
            read_all(obj).await,
            &data[start as usize..=end as usize],
            "{range}"
        );
    }
    for range in [
        ByteRange::FromTo(256, 300),
        ByteRange::From(256),
        ByteRange::Suffix(0),
    ] {
        assert!(
            matches!(
                s.get("b", "k", Some(range)).await,
                Err(StorageError::InvalidRange)
            ),
            "{range}"
        );
    }
    s.put_bytes("b", "empty", "", Bytes::new()).await.unwrap();
    assert!(matches!(
        s.get("b", "empty", Some(ByteRange::Suffix(1))).await,
        Err(StorageError::InvalidRange)
    ));
    // A range on a missing key is NoSuchKey, not InvalidRange.
    assert!(matches!(
        s.get("b", "nope", Some(ByteRange::From(0))).await,
        Err(StorageError::NoSuchKey)
    ));
}

async fn etag_is_md5_of_body(s: Storage) {
    assert_eq!(
        s.put_bytes("b", "fox", "", Bytes::from_static(FOX))
            .await
            .unwrap()
            .etag,
        FOX_ETAG
    );
    let streamed = s
        .put_stream("b", "fox2", "", chunked(FOX, 5), 1000)
        .await
        .unwrap();
    assert_eq!(streamed.etag, FOX_ETAG);
    let empty = s
        .put_stream("b", "e", "", stream::empty::<Result<Bytes, io::Error>>(), 0)
        .await
        .unwrap();
    assert_eq!(empty.etag, "\"d41d8cd98f00b204e9800998ecf8427e\"");
    assert_eq!(s.head("b", "fox").await.unwrap().etag, FOX_ETAG);
}

fn awkward_keys() -> Vec<String> {
    vec![
        "é".repeat(MAX_KEY_LEN / 2),       // 850 bytes of 2-byte chars
        format!("{}a", "日".repeat(283)),  // 850 bytes, 3-byte chars
        format!("{}ab", "🦀".repeat(212)), // 850 bytes, 4-byte chars
        "../../etc/passwd".to_owned(),
        "../../../../../../../../tmp/escape".to_owned(),
        "a/./b".to_owned(),
        "a/b".to_owned(),
        "a//b".to_owned(),
        "..\\x".to_owned(),
        "..\\..\\windows\\system32".to_owned(),
        "./".to_owned(),
        "..".to_owned(),
        ".".to_owned(),
        "/".to_owned(),
        "/abs/path".to_owned(),
        "C:\\evil".to_owned(),
        "con".to_owned(),
        "x.tmp".to_owned(),
        ".hidden.tmp".to_owned(),
        "tab\tnew\nline\u{1}".to_owned(),
        " ".to_owned(),
        String::new(),
    ]
}

async fn awkward_keys_roundtrip(s: Storage) {
    let keys = awkward_keys();
    assert!(keys[..3].iter().all(|k| k.len() == MAX_KEY_LEN));
    for (i, key) in keys.iter().enumerate() {
        let body = format!("body #{i} for {key}");
        let meta = s
            .put_bytes("b", key, "text/plain", Bytes::from(body.clone()))
            .await
            .unwrap();
        assert_eq!(&meta.key, key);
    }
    for (i, key) in keys.iter().enumerate() {
        assert_eq!(
            get_all(&s, "b", key).await,
            format!("body #{i} for {key}").as_bytes(),
            "{key:?}"
        );
        assert_eq!(&s.head("b", key).await.unwrap().key, key);
    }
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(s.list_keys("b").await.unwrap(), sorted);
    // Awkward bucket names are just as harmless.
    s.put_bytes("../..", "../x", "", Bytes::from_static(b"z"))
        .await
        .unwrap();
    assert_eq!(get_all(&s, "../..", "../x").await, b"z");
}

async fn buckets_are_isolated_and_listing_sorted(s: Storage) {
    for key in ["zeta", "alpha", "Mid", "a/b", "a"] {
        s.put_bytes("one-125", key, "", Bytes::from(key))
            .await
            .unwrap();
    }
    s.put_bytes("two-125", "alpha", "", Bytes::from_static(b"other"))
        .await
        .unwrap();
    assert_eq!(
        s.list_keys("one-125").await.unwrap(),
        ["Mid", "a", "a/b", "alpha", "zeta"]
    );
    assert_eq!(s.list_keys("two-125").await.unwrap(), ["alpha"]);
    assert!(s.list_keys("three-125").await.unwrap().is_empty());
    assert_eq!(get_all(&s, "one-125", "alpha").await, b"alpha");
    assert_eq!(get_all(&s, "two-125", "alpha").await, b"other");
    s.delete("two-125", "alpha").await.unwrap();
    assert_eq!(get_all(&s, "one-125", "alpha").await, b"alpha");
}

async fn clear_removes_everything(s: Storage) {
    for bucket in ["a", "b"] {
        for key in ["1", "2"] {
            s.put_bytes(bucket, key, "", Bytes::from_static(b"x"))
                .await
                .unwrap();
        }
    }
    s.clear().await.unwrap();
    for bucket in ["a", "b"] {
        assert!(s.list_keys(bucket).await.unwrap().is_empty());
        assert!(matches!(
            s.head(bucket, "1").await,
            Err(StorageError::NoSuchKey)
        ));
    }
    // Still usable afterwards.
    s.put_bytes("a", "1", "", Bytes::from_static(b"y"))
        .await
        .unwrap();
    assert_eq!(get_all(&s, "a", "1").await, b"y");
    s.clear().await.unwrap();
}

async fn failing_stream_stores_nothing(s: Storage) {
    let failing = || {
        stream::iter([
            Ok(Bytes::from(vec![1u8; 100_000])),
            Ok(Bytes::from(vec![2u8; 100_000])),
            Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "client went away",
            )),
            Ok(Bytes::from_static(b"never read")),
        ])
    };
    match s.put_stream("b", "new", "", failing(), u64::MAX).await {
        Err(StorageError::Body(msg)) => assert!(msg.contains("client went away"), "{msg}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        s.head("b", "new").await,
        Err(StorageError::NoSuchKey)
    ));

    // A failed overwrite keeps the previous version intact.
    s.put_bytes("b", "old", "", Bytes::from_static(b"keep me"))
        .await
        .unwrap();
    assert!(matches!(
        s.put_stream("b", "old", "", failing(), u64::MAX).await,
        Err(StorageError::Body(_))
    ));
    assert_eq!(get_all(&s, "b", "old").await, b"keep me");
    assert_eq!(s.list_keys("b").await.unwrap(), ["old"]);
}

async fn oversized_stream_stores_nothing(s: Storage) {
    let data = vec![7u8; 10_000];
    match s
        .put_stream("b", "big", "", chunked(&data, 1000), 9_999)
        .await
    {
        Err(StorageError::TooLarge { limit }) => assert_eq!(limit, 9_999),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        s.head("b", "big").await,
        Err(StorageError::NoSuchKey)
    ));
    // One oversized chunk is caught as well, and exactly the limit is allowed.
    assert!(matches!(
        s.put_stream("b", "big", "", chunked(&data, 10_000), 10)
            .await,
        Err(StorageError::TooLarge { limit: 10 })
    ));
    assert!(s.list_keys("b").await.unwrap().is_empty());
    let meta = s
        .put_stream("b", "big", "", chunked(&data, 1000), 10_000)
        .await
        .unwrap();
    assert_eq!(meta.size, 10_000);
}

async fn cancelled_put_stores_nothing(s: Storage) {
    // The client sends a little and then stalls; the server drops the request.
    let stalled =
        stream::iter([Ok::<_, io::Error>(Bytes::from_static(b"partial"))]).chain(stream::pending());
    let put = s.put_stream("b", "k", "", stalled, u64::MAX);
    assert!(
        tokio::time::timeout(Duration::from_millis(50), put)
            .await
            .is_err()
    );
    assert!(matches!(
        s.head("b", "k").await,
        Err(StorageError::NoSuchKey)
    ));
    assert!(s.list_keys("b").await.unwrap().is_empty());
}

async fn concurrent_writers_leave_one_whole_version(s: Storage) {
    const WRITERS: usize = 32;
    const LEN: usize = 96 * 1024 + 17;
    let bodies: Vec<Bytes> = (0..WRITERS)
        .map(|i| {
            let mut body = vec![i as u8; LEN];
            body[..8].copy_from_slice(&(i as u64).to_le_bytes());
            Bytes::from(body)
        })
        .collect();
    let tasks: Vec<_> = bodies
        .iter()
        .cloned()
        .map(|body| {
            let s = s.clone();
            tokio::spawn(async move {
                // Small chunks with yields in between interleave the writers as much as possible.
                let pieces = chunked(&body, 4096).then(|chunk| async move {
                    tokio::task::yield_now().await;
                    chunk
                });
                s.put_stream(
                    "b",
                    "contended",
                    "application/octet-stream",
                    Box::pin(pieces),
                    u64::MAX,
                )
                .await
            })
        })
        .collect();
    let mut metas = Vec::new();
    for task in tasks {
        metas.push(task.await.unwrap().unwrap());
    }

    let obj = s.get("b", "contended", None).await.unwrap();
    let meta = obj.meta.clone();
    let data = read_all(obj).await;
    let winner = bodies
        .iter()
        .position(|b| b[..] == data[..])
        .expect("final object is one of the written bodies");
    assert_eq!(
        meta.etag,
        md5_etag(&bodies[winner]),
        "metadata belongs to the same version as the data"
    );
    assert_eq!(meta.size, LEN as u64);
    assert!(metas.contains(&meta));
    let distinct: HashSet<_> = metas.iter().map(|m| m.etag.clone()).collect();
    assert_eq!(distinct.len(), WRITERS, "every writer got its own etag");
    assert_eq!(s.list_keys("b").await.unwrap(), ["contended"]);
}

async fn open_reader_survives_overwrite_and_delete(s: Storage) {
    let v1 = vec![1u8; 300_000];
    s.put_bytes("b", "k", "", Bytes::from(v1.clone()))
        .await
        .unwrap();
    let reading = s.get("b", "k", None).await.unwrap();
    let ranged = s
        .get("b", "k", Some(ByteRange::FromTo(10, 19)))
        .await
        .unwrap();
    s.put_bytes("b", "k", "", Bytes::from(vec![2u8; 1000]))
        .await
        .unwrap();
    assert_eq!(read_all(reading).await, v1);
    s.delete("b", "k").await.unwrap();
    assert_eq!(read_all(ranged).await, vec![1u8; 10]);
}

async fn large_bodies_stream_in_chunks(s: Storage) {
    let data: Vec<u8> = (0..1_000_003u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let meta = s
        .put_stream("b", "big", "", chunked(&data, 10_007), u64::MAX)
        .await
        .unwrap();
    assert_eq!(meta.etag, md5_etag(&data));
    let chunks: Vec<Bytes> = s
        .get("b", "big", None)
        .await
        .unwrap()
        .body
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert!(
        chunks
            .iter()
            .all(|c| !c.is_empty() && c.len() <= CHUNK_SIZE)
    );
    assert!(chunks.len() >= data.len() / CHUNK_SIZE);
    assert_eq!(chunks.concat(), data);
    let tail = s
        .get("b", "big", Some(ByteRange::Suffix(70_000)))
        .await
        .unwrap();
    assert_eq!(read_all(tail).await, &data[data.len() - 70_000..]);
}

async fn last_modified_is_whole_seconds(s: Storage) {
    let before = SystemTime::now();
    let meta = s
        .put_bytes("b", "k", "", Bytes::from_static(b"x"))
        .await
        .unwrap();
    let since_epoch = meta.last_modified.duration_since(UNIX_EPOCH).unwrap();
    assert_eq!(since_epoch.subsec_nanos(), 0);
    assert!(meta.last_modified <= SystemTime::now());
    assert!(meta.last_modified + Duration::from_secs(1) > before);
    let http = meta.last_modified_http();
    assert!(http.ends_with(" GMT"), "{http}");
    assert_eq!(
        httpdate::parse_http_date(&http).unwrap(),
        meta.last_modified
    );
}

async fn into_bytes_respects_limit(s: Storage) {
    s.put_bytes("b", "k", "", Bytes::from_static(FOX))
        .await
        .unwrap();
    let body = s.get("b", "k", None).await.unwrap().body;
    assert!(matches!(
        body.into_bytes(10).await,
        Err(StorageError::TooLarge { limit: 10 })
    ));
    let body = s
        .get("b", "k", Some(ByteRange::FromTo(4, 8)))
        .await
        .unwrap()
        .body;
    assert_eq!(&body.into_bytes(5).await.unwrap()[..], b"quick");
}

// ---- disk-only ------------------------------------------------------------

async fn open(scratch: &tempfile::TempDir) -> (Storage, PathBuf) {
    let data = scratch.path().join("data");
    (Storage::open_dir(&data).await.unwrap(), data)
}

#[tokio::test]
async fn disk_persists_across_reopen() {
    let scratch = tempfile::tempdir().unwrap();
    let (s, data) = open(&scratch).await;
    let keys = awkward_keys();
    let mut metas = Vec::new();
    for key in &keys {
        metas.push(
            s.put_bytes("b", key, "image/jpeg", Bytes::from(format!("v:{key}")))
                .await
                .unwrap(),
        );
    }
    s.put_bytes("b", "gone", "", Bytes::from_static(b"x"))
        .await
        .unwrap();
    s.delete("b", "gone").await.unwrap();
    drop(s);

    let s = Storage::open_dir(&data).await.unwrap();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(s.list_keys("b").await.unwrap(), sorted);
    for (key, meta) in keys.iter().zip(&metas) {
        assert_eq!(&s.head("b", key).await.unwrap(), meta);
        assert_eq!(get_all(&s, "b", key).await, format!("v:{key}").as_bytes());
    }
    assert!(matches!(
        s.head("b", "gone").await,
        Err(StorageError::NoSuchKey)
    ));
    assert_disk_invariants(scratch.path(), &data);
}

#[tokio::test]
async fn disk_uploads_buckets_and_parts_survive_reopen() {
    let scratch = tempfile::tempdir().unwrap();
    let (s, data) = open(&scratch).await;
    s.create_bucket("kept-125").await.unwrap();
    let attrs = ObjectAttrs::typed("image/png");
    let up = s.create_upload("b", "k", attrs).await.unwrap();
    let p1 = s
        .put_part("b", "k", &up.upload_id, 1, chunked(&pattern(50, 1), 8), 100)
        .await
        .unwrap();
    let p2 = s
        .put_part("b", "k", &up.upload_id, 2, chunked(&pattern(20, 2), 8), 100)
        .await
        .unwrap();
    let doomed = s
        .create_upload("b", "gone", ObjectAttrs::default())
        .await
        .unwrap();
    s.abort_upload("b", "gone", &doomed.upload_id)
        .await
        .unwrap();
    drop(s);

    let s = Storage::open_dir(&data).await.unwrap();
    assert!(s.bucket_exists("kept-125").await.unwrap());
    assert_eq!(s.list_uploads("b").await.unwrap(), vec![up.clone()]);
    let (_, parts) = s.list_parts("b", "k", &up.upload_id).await.unwrap();
    assert_eq!(parts, vec![p1.clone(), p2.clone()]);
    let meta = s
        .complete_upload(
            "b",
            "k",
            &up.upload_id,
            &[(1, p1.etag), (2, p2.etag)],
            10,
            100,
        )
        .await
        .unwrap();
    assert_eq!(meta.content_type, "image/png");
    drop(s);
    let s = Storage::open_dir(&data).await.unwrap();
    assert_eq!(
        get_all(&s, "b", "k").await,
        [pattern(50, 1), pattern(20, 2)].concat()
    );
    assert!(s.list_uploads("b").await.unwrap().is_empty());
    assert_disk_invariants(scratch.path(), &data);
}

#[tokio::test]
async fn disk_open_removes_upload_crash_leftovers() {
    let scratch = tempfile::tempdir().unwrap();
    let (s, data) = open(&scratch).await;
    let up = s
        .create_upload("b", "k", ObjectAttrs::default())
        .await
        .unwrap();
    s.put_part("b", "k", &up.upload_id, 1, chunked(b"part", 2), 100)
        .await
        .unwrap();
    drop(s);
    let uploads = data.join("uploads");
    // A part write cut short, an upload removed halfway, one created halfway.
    std::fs::write(
        uploads.join(&up.upload_id).join(".00002.part.1.tmp"),
        b"half",
    )
    .unwrap();
    std::fs::create_dir(uploads.join(".abc.0.tmp")).unwrap();
    std::fs::write(uploads.join(".abc.0.tmp/00001.part"), b"x").unwrap();
    std::fs::create_dir(uploads.join("abcdef")).unwrap();
    let s = Storage::open_dir(&data).await.unwrap();
    assert!(!uploads.join(".abc.0.tmp").exists());
    assert!(!uploads.join("abcdef").exists());
    assert_eq!(temp_files(&data), Vec::<PathBuf>::new());
    assert_eq!(
        s.list_parts("b", "k", &up.upload_id).await.unwrap().1.len(),
        1
    );
}

#[tokio::test]
async fn disk_keys_cannot_escape_the_data_dir() {
    let scratch = tempfile::tempdir().unwrap();
    let (s, data) = open(&scratch).await;
    let keys = awkward_keys();
    for key in &keys {
        s.put_bytes("b", key, "", Bytes::from_static(b"payload"))
            .await
            .unwrap();
    }
    // The scratch dir holds nothing but the data dir, and the data dir
    // exactly one file per object, all hash-named.
    let top: Vec<_> = std::fs::read_dir(scratch.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(top, ["data"]);
    let files = walk(&data);
    assert_eq!(files.len(), keys.len());
    for file in &files {
        let name = file.file_name().unwrap().to_str().unwrap();
        assert_eq!(name.len(), 32 + ".obj".len(), "{name}");
        assert_eq!(file.parent().unwrap().parent().unwrap(), data);
    }
    assert_disk_invariants(scratch.path(), &data);
}

#[tokio::test]
async fn disk_stale_temp_files_are_removed_on_open() {
    let scratch = tempfile::tempdir().unwrap();
    let (s, data) = open(&scratch).await;
    s.put_bytes("b", "real", "", Bytes::from_static(b"kept"))
        .await
        .unwrap();
    let bucket_dir = walk(&data)[0].parent().unwrap().to_path_buf();

    // What a crash mid-put leaves behind: a temp file, complete or torn.
    let object = walk(&data)[0].clone();
    let object_name = object.file_name().unwrap().to_str().unwrap().to_owned();
    let complete = bucket_dir.join(format!(".{object_name}.00000000deadbeef.tmp"));
    std::fs::copy(&object, &complete).unwrap();
    let torn = bucket_dir.join(".0123456789abcdef0123456789abcdef.obj.feedfacecafebeef.tmp");
    std::fs::write(&torn, b"half an obj").unwrap();
    assert_eq!(
        s.list_keys("b").await.unwrap(),
        ["real"],
        "temp files are never listed"
    );
    drop(s);

    let s = Storage::open_dir(&data).await.unwrap();
    assert!(!complete.exists());
    assert!(!torn.exists());
    assert_eq!(s.list_keys("b").await.unwrap(), ["real"]);
    assert_eq!(get_all(&s, "b", "real").await, b"kept");
    assert_disk_invariants(scratch.path(), &data);
}

/// A chunk that counts how many of its kind are alive.
struct Tracked {
    live: Arc<AtomicUsize>,
    data: Vec<u8>,
}

impl AsRef<[u8]> for Tracked {
    fn as_ref(&self) -> &[u8] {
        &self.data
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.live.fetch_sub(1, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disk_streamed_put_of_20_mb_is_not_buffered() {
    const CHUNKS: usize = 320;
    const TOTAL: u64 = (CHUNKS * CHUNK_SIZE) as u64; // 20 MiB
    let scratch = tempfile::tempdir().unwrap();
    let (s, data) = open(&scratch).await;

    let live = Arc::new(AtomicUsize::new(0));
    let max_live = Arc::new(AtomicUsize::new(0));
    let max_lag = Arc::new(AtomicUsize::new(0));
    let expected = Arc::new(std::sync::Mutex::new(Md5::new()));
    let body = {
        let (live, max_live, max_lag, expected, data) = (
            live.clone(),
            max_live.clone(),
            max_lag.clone(),
            expected.clone(),
            data.clone(),
        );
        stream::iter(0..CHUNKS).map(move |i| {
            // Structural checks, sampled as the body is pulled: earlier chunks
            // have been released, and their bytes are already in the temp file.
            if i % 8 == 0 {
                let on_disk: u64 = temp_files(&data)
                    .iter()
                    .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
                    .sum();
                let sent = (i * CHUNK_SIZE) as u64;
                max_lag.fetch_max(sent.saturating_sub(on_disk) as usize, Ordering::SeqCst);
            }
            let chunk: Vec<u8> = (0..CHUNK_SIZE)
                .map(|j| ((i * 31 + j * 7) % 251) as u8)
                .collect();
            expected.lock().unwrap().update(&chunk);
            let now = live.fetch_add(1, Ordering::SeqCst) + 1;
            max_live.fetch_max(now, Ordering::SeqCst);
            Ok::<_, io::Error>(Bytes::from_owner(Tracked {
                live: live.clone(),
                data: chunk,
            }))
        })
    };
    let meta = s
        .put_stream("b", "big", "application/octet-stream", body, TOTAL)
        .await
        .unwrap();

    assert_eq!(meta.size, TOTAL);
    assert_eq!(
        max_live.load(Ordering::SeqCst),
        1,
        "a chunk is released before the next is pulled"
    );
    assert_eq!(live.load(Ordering::SeqCst), 0);
    // Writer buffer + one in-flight write + slack: a few chunks, never megabytes.
    let lag = max_lag.load(Ordering::SeqCst);
    assert!(
        lag <= 4 * CHUNK_SIZE,
        "body lagged {lag} bytes behind the temp file"
    );
    let md5 = std::mem::take(&mut *expected.lock().unwrap());
    assert_eq!(meta.etag, format!("\"{}\"", hex::encode(md5.finalize())));

    let obj = s.get("b", "big", None).await.unwrap();
    assert!(
        matches!(obj.body, ObjectBody::File { len, .. } if len == TOTAL),
        "disk reads are streamed from the file"
    );
    let mut md5 = Md5::new();
    let mut chunks = obj.body.into_stream();
    while let Some(chunk) = chunks.try_next().await.unwrap() {
        assert!(chunk.len() <= CHUNK_SIZE);
        md5.update(&chunk);
    }
    assert_eq!(meta.etag, format!("\"{}\"", hex::encode(md5.finalize())));
    assert_disk_invariants(scratch.path(), &data);
}

#[test]
fn put_future_is_send() {
    fn assert_send<T: Send>(_: T) {}
    let s = Storage::memory();
    assert_send(s.put_stream("b", "k", "", chunked(b"x", 1), 1));
    assert_send(s.put_bytes("b", "k", "", Bytes::new()));
    assert_send(s.get("b", "k", None));
    assert_send(s.clear());
    assert_send(Storage::open_dir("/nonexistent"));
}

#[test]
fn errors_display_usefully() {
    assert_eq!(
        StorageError::TooLarge { limit: 5 }.to_string(),
        "object exceeds the maximum allowed size of 5 bytes"
    );
    assert!(
        StorageError::Body("reset".into())
            .to_string()
            .contains("reset")
    );
    let meta = ObjectMeta {
        key: "k".into(),
        size: 1,
        etag: FOX_ETAG.into(),
        content_type: "a/b".into(),
        last_modified: UNIX_EPOCH,
        headers: vec![("cache-control".into(), "no-cache".into())],
        storage_class: Some("STANDARD_IA".into()),
    };
    assert_eq!(meta.last_modified_http(), "Thu, 01 Jan 1970 00:00:00 GMT");
    let json = serde_json::to_string(&meta).unwrap();
    assert_eq!(serde_json::from_str::<ObjectMeta>(&json).unwrap(), meta);
}
