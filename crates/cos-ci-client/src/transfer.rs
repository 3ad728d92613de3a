//! Large transfers: files uploaded in one PUT or in parallel multipart parts (retried one by
//! one, aborted on failure or when dropped, resumable), and downloaded in parallel ranges
//! into a temporary file renamed into place.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use crate::answer::{bare_etag, md5_hex};
use crate::body::Body;
use crate::client::{Client, Limits, header, request_id, required_key, stream};
use crate::error::Error;
use crate::multipart::{CompletedPart, MAX_PART_SIZE, MAX_PARTS, MIN_PART_SIZE, PartInfo};
use crate::progress::{Progress, Tracker, Unit};
use crate::request::RequestParts;

/// Chunk size of the bodies sent, and so the step of the progress reports.
const CHUNK: usize = 64 * 1024;

/// How a file transfer is cut up.
#[derive(Clone, Debug)]
pub struct TransferOptions {
    /// Files at least this large go up in multipart parts, and objects at least this large
    /// come down in parallel ranges. Smaller uploads are read into memory and sent in one
    /// (retried) PUT, so this is also that memory budget. Default 16 MiB.
    pub multipart_threshold: u64,
    /// Part (and range) size; 1 MiB to 5 GiB. Grown when a file would need more than
    /// 10 000 parts. Default 8 MiB.
    pub part_size: u64,
    /// Parts or ranges in flight at once; memory used is about `part_size × concurrency`.
    /// Default 4.
    pub concurrency: usize,
    /// Content-Type of an upload.
    pub content_type: Option<String>,
    /// Where progress goes.
    pub progress: Option<Progress>,
    /// Abort the multipart upload when the transfer fails (default). Without it the parts
    /// stay, and [`Client::resume_upload_file`] continues later.
    pub abort_on_failure: bool,
    /// Collects the aborts a dropped transfer starts, so a program about to exit can wait
    /// for them ([`Cleanup::wait`]).
    pub cleanup: Option<Cleanup>,
}

impl Default for TransferOptions {
    fn default() -> Self {
        TransferOptions {
            multipart_threshold: 16 * 1024 * 1024,
            part_size: 8 * 1024 * 1024,
            concurrency: 4,
            content_type: None,
            progress: None,
            abort_on_failure: true,
            cleanup: None,
        }
    }
}

impl TransferOptions {
    fn check(&self) -> Result<(), Error> {
        if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&self.part_size) {
            return Err(Error::InvalidArgument {
                argument: "part_size",
                reason: format!(
                    "part_size is {} bytes; COS parts are {MIN_PART_SIZE} to {MAX_PART_SIZE} bytes",
                    self.part_size
                ),
            });
        }
        if self.concurrency == 0 {
            return Err(Error::InvalidArgument {
                argument: "concurrency",
                reason: "concurrency must be at least 1".into(),
            });
        }
        Ok(())
    }

    /// The part size used for `len` bytes: at least `part_size`, and large enough for
    /// [`MAX_PARTS`] parts.
    fn part_size_for(&self, len: u64) -> u64 {
        self.part_size.max(len.div_ceil(u64::from(MAX_PARTS)))
    }
}

/// Aborts started by dropped transfers, for a program to wait on before it exits (a
/// runtime that shuts down cancels them).
#[derive(Clone, Debug, Default)]
pub struct Cleanup {
    pending: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Cleanup {
    /// An empty set.
    pub fn new() -> Self {
        Cleanup::default()
    }

    fn push(&self, handle: tokio::task::JoinHandle<()>) {
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(handle);
    }

    /// Waits up to `timeout` for every pending abort; returns whether all finished.
    pub async fn wait(&self, timeout: Duration) -> bool {
        let handles: Vec<_> =
            std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        tokio::time::timeout(timeout, futures_util::future::join_all(handles))
            .await
            .is_ok()
    }
}

/// What an upload did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadOutput {
    /// The object's ETag.
    pub etag: Option<String>,
    /// Bytes stored.
    pub size: u64,
    /// The multipart upload id; `None` for a single PUT.
    pub upload_id: Option<String>,
    /// Parts in the object (0 for a single PUT).
    pub parts: u32,
    /// Parts sent by this call (a resumed upload skips those already there).
    pub parts_sent: u32,
}

/// What a download did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DownloadOutput {
    /// Bytes written.
    pub size: u64,
    /// The object's ETag.
    pub etag: Option<String>,
    /// Ranges fetched (1 for a single GET).
    pub ranges: u32,
}

/// Aborts the upload when dropped while armed: a failed or cancelled transfer leaves no
/// parts behind. Drop cannot wait, so the abort is spawned on the current runtime.
struct AbortGuard {
    client: Client,
    key: String,
    upload_id: String,
    armed: bool,
    cleanup: Option<Cleanup>,
}

impl Drop for AbortGuard {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let client = self.client.clone();
        let key = std::mem::take(&mut self.key);
        let upload_id = std::mem::take(&mut self.upload_id);
        let handle = runtime.spawn(async move {
            if let Err(e) = client.abort_multipart_upload(&key, &upload_id).await {
                tracing::warn!(%key, %upload_id, error = %e, "cannot abort the multipart upload");
            }
        });
        if let Some(cleanup) = &self.cleanup {
            cleanup.push(handle);
        }
    }
}

/// One part of a file: its number, where it starts, how long it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Piece {
    number: u32,
    offset: u64,
    len: u64,
}

/// `len` bytes cut into `part_size` pieces (one empty piece for an empty file).
fn pieces(len: u64, part_size: u64) -> Vec<Piece> {
    let count = len.div_ceil(part_size).max(1);
    (0..count)
        .map(|i| {
            let offset = i * part_size;
            Piece {
                number: u32::try_from(i + 1).unwrap_or(u32::MAX),
                offset,
                len: part_size.min(len - offset),
            }
        })
        .collect()
}

impl Client {
    /// Uploads the file at `path` to `key`: one PUT below `options.multipart_threshold`,
    /// else a multipart upload with `options.concurrency` parts in flight, each retried on
    /// its own under the client's retry policy. On failure (or when the future is dropped)
    /// the upload is aborted, unless `abort_on_failure` is off.
    pub async fn upload_file(
        &self,
        path: impl AsRef<Path>,
        key: &str,
        options: &TransferOptions,
    ) -> Result<UploadOutput, Error> {
        options.check()?;
        let path = path.as_ref();
        let len = tokio::fs::metadata(path).await?.len();
        let tracker = Tracker::new(len, options.progress.clone());
        if len < options.multipart_threshold {
            let data = read_piece(path, 0, len).await?;
            let parts =
                crate::client::upload_parts(key, Some(len), options.content_type.clone(), None)?;
            let answer = self.send_replayable(parts, data, tracker.unit()).await?;
            return Ok(UploadOutput {
                etag: answer.etag,
                size: len,
                upload_id: None,
                parts: 0,
                parts_sent: 0,
            });
        }
        let upload_id = self
            .create_multipart_upload(key, options.content_type.as_deref())
            .await?;
        self.upload_parts(path, key, upload_id, len, Vec::new(), options, tracker)
            .await
    }

    /// Continues the multipart upload `upload_id` of the file at `path` to `key`: parts
    /// already there whose size and ETag (MD5) match the file are kept, only the rest are
    /// sent, then the upload is completed. The part size is the one of the uploaded part 1
    /// when there is one, else `options.part_size`.
    pub async fn resume_upload_file(
        &self,
        path: impl AsRef<Path>,
        key: &str,
        upload_id: &str,
        options: &TransferOptions,
    ) -> Result<UploadOutput, Error> {
        options.check()?;
        let path = path.as_ref();
        let len = tokio::fs::metadata(path).await?.len();
        let existing = self.list_parts(key, upload_id).await?;
        let tracker = Tracker::new(len, options.progress.clone());
        self.upload_parts(
            path,
            key,
            upload_id.to_string(),
            len,
            existing,
            options,
            tracker,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn upload_parts(
        &self,
        path: &Path,
        key: &str,
        upload_id: String,
        len: u64,
        existing: Vec<PartInfo>,
        options: &TransferOptions,
        tracker: Arc<Tracker>,
    ) -> Result<UploadOutput, Error> {
        let mut guard = AbortGuard {
            client: self.clone(),
            key: key.to_string(),
            upload_id: upload_id.clone(),
            armed: options.abort_on_failure,
            cleanup: options.cleanup.clone(),
        };
        let part_size = existing
            .iter()
            .find(|p| p.number == 1 && p.size >= MIN_PART_SIZE)
            .map_or_else(|| options.part_size_for(len), |p| p.size);
        let plan = pieces(len, part_size);
        if plan.len() > MAX_PARTS as usize {
            return Err(Error::InvalidArgument {
                argument: "part_size",
                reason: format!(
                    "{len} bytes in {part_size}-byte parts is more than {MAX_PARTS} parts"
                ),
            });
        }
        let existing: HashMap<u32, PartInfo> =
            existing.into_iter().map(|p| (p.number, p)).collect();
        let sent = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let results = futures_util::stream::iter(plan.iter().copied())
            .map(|piece| {
                let unit = tracker.unit();
                let have = existing.get(&piece.number).cloned();
                let sent = sent.clone();
                let upload_id = upload_id.as_str();
                async move {
                    let data = read_piece(path, piece.offset, piece.len).await?;
                    if let Some(have) = have {
                        if have.size == piece.len && bare_etag(&have.etag) == md5_hex(&data) {
                            unit.reached(piece.len);
                            return Ok(CompletedPart {
                                number: piece.number,
                                etag: have.etag,
                            });
                        }
                    }
                    let parts = self.part_parts(key, upload_id, piece.number, piece.len)?;
                    let answer = self.send_replayable(parts, data, unit).await?;
                    sent.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let etag = answer.etag.ok_or_else(|| Error::Decode {
                        detail: format!("UploadPart {} answered without an ETag", piece.number),
                        request_id: answer.request_id,
                    })?;
                    Ok::<_, Error>(CompletedPart {
                        number: piece.number,
                        etag,
                    })
                }
            })
            .buffer_unordered(options.concurrency)
            .try_collect::<Vec<_>>()
            .await;
        let mut completed = match results {
            Ok(parts) => parts,
            Err(e) => {
                // Abort here rather than in the guard, so the caller sees it done.
                if guard.armed {
                    guard.armed = false;
                    let _ = self.abort_multipart_upload(key, &upload_id).await;
                }
                return Err(e);
            }
        };
        completed.sort_by_key(|p| p.number);
        let parts = u32::try_from(completed.len()).unwrap_or(MAX_PARTS);
        let output = self
            .complete_multipart_upload(key, &upload_id, &completed)
            .await;
        let output = match output {
            Ok(output) => output,
            Err(e) => {
                if guard.armed {
                    guard.armed = false;
                    let _ = self.abort_multipart_upload(key, &upload_id).await;
                }
                return Err(e);
            }
        };
        guard.armed = false;
        Ok(UploadOutput {
            etag: output.etag,
            size: len,
            upload_id: Some(upload_id),
            parts,
            parts_sent: sent.load(std::sync::atomic::Ordering::SeqCst),
        })
    }

    /// Sends `data` with the request `parts`, retried under the client's policy; each
    /// attempt streams the bytes in chunks so that `unit` sees them go.
    async fn send_replayable(
        &self,
        parts: RequestParts,
        data: Bytes,
        unit: Unit,
    ) -> Result<Sent, Error> {
        let len = data.len() as u64;
        // A stream body is sent once by `send`: the retries are this loop's.
        let sent = self
            .config()
            .retry
            .run(|| {
                let body = Body::from_stream(len, counted_chunks(data.clone(), unit.clone()));
                self.call(parts.clone(), Some(body), true, |response, _| async move {
                    Ok(Sent {
                        etag: header(&response, "etag"),
                        request_id: request_id(&response),
                    })
                })
            })
            .await?;
        unit.reached(len);
        Ok(sent)
    }

    /// Downloads `key` to the file `dest`: through a temporary file in the same folder (no
    /// name collision, removed on failure or when the future is dropped) renamed into place
    /// once complete and of the object's size. Objects of `options.multipart_threshold` or
    /// more come in `options.part_size` ranges, `options.concurrency` at once, each pinned
    /// to the object's ETag (`If-Match`) and retried on its own.
    pub async fn download_file(
        &self,
        key: &str,
        dest: impl AsRef<Path>,
        options: &TransferOptions,
    ) -> Result<DownloadOutput, Error> {
        options.check()?;
        let dest = dest.as_ref();
        let info = self.head_object(key).await?;
        let size = info.size;
        let tracker = Tracker::new(size, options.progress.clone());
        let tmp = temp_file_for(dest)?;
        tmp.as_file().set_len(size)?;
        let ranged = size >= options.multipart_threshold && size > 0;
        let plan = if ranged {
            pieces(size, options.part_size)
        } else {
            vec![Piece {
                number: 1,
                offset: 0,
                len: size,
            }]
        };
        let path = tmp.path().to_path_buf();
        let etag = info.etag.clone();
        futures_util::stream::iter(plan.iter().copied())
            .map(|piece| {
                let unit = tracker.unit();
                let path = path.clone();
                let etag = etag.clone();
                async move {
                    self.fetch_range(key, &path, piece, ranged, etag.as_deref(), unit)
                        .await
                }
            })
            .buffer_unordered(options.concurrency)
            .try_collect::<Vec<()>>()
            .await?;
        let written = tokio::fs::metadata(tmp.path()).await?.len();
        if written != size {
            return Err(Error::Decode {
                detail: format!("downloaded {written} bytes of {key}, expected {size}"),
                request_id: info.request_id,
            });
        }
        tmp.as_file().sync_all()?;
        tmp.persist(dest).map_err(|e| Error::Io(e.error))?;
        Ok(DownloadOutput {
            size,
            etag,
            ranges: u32::try_from(plan.len()).unwrap_or(u32::MAX),
        })
    }

    /// Fetches one range into `path` at its offset, retrying the whole range on a retryable
    /// failure (mid-body ones included).
    async fn fetch_range(
        &self,
        key: &str,
        path: &Path,
        piece: Piece,
        ranged: bool,
        etag: Option<&str>,
        unit: Unit,
    ) -> Result<(), Error> {
        self.config()
            .retry
            .run(|| self.fetch_range_once(key, path, piece, ranged, etag, &unit))
            .await
    }

    async fn fetch_range_once(
        &self,
        key: &str,
        path: &Path,
        piece: Piece,
        ranged: bool,
        etag: Option<&str>,
        unit: &Unit,
    ) -> Result<(), Error> {
        let mut headers = Vec::new();
        if ranged {
            let last = piece.offset + piece.len - 1;
            headers.push((
                "Range".to_string(),
                format!("bytes={}-{last}", piece.offset),
            ));
        }
        if let Some(etag) = etag {
            // The object must not change between ranges: a new version fails with 412.
            headers.push(("If-Match".to_string(), etag.to_string()));
        }
        let parts = RequestParts {
            method: "GET",
            operation: "GetObject",
            mode: None,
            host: cos_ci_validate::HostKind::Cos,
            key: required_key(key)?,
            query: Vec::new(),
            headers,
            content_length: None,
        };
        self.call(parts, None, true, |response, limits| {
            write_range(response, limits, key, path, piece, ranged, unit)
        })
        .await
    }
}

/// What an upload answered.
struct Sent {
    etag: Option<String>,
    request_id: Option<String>,
}

/// Writes the answer to one range into `path` at its offset, checking it is that range.
async fn write_range(
    response: reqwest::Response,
    limits: Limits,
    key: &str,
    path: &Path,
    piece: Piece,
    ranged: bool,
    unit: &Unit,
) -> Result<(), Error> {
    let id = request_id(&response);
    if ranged {
        // A server ignoring Range answers 200 with the whole object: written at an
        // offset it would corrupt the file.
        let expected = format!("bytes {}-{}/", piece.offset, piece.offset + piece.len - 1);
        let content_range = header(&response, "content-range").unwrap_or_default();
        if response.status().as_u16() != 206 || !content_range.starts_with(&expected) {
            return Err(Error::Decode {
                detail: format!(
                    "asked for {expected}…, got HTTP {} with Content-Range {content_range:?}",
                    response.status().as_u16()
                ),
                request_id: id,
            });
        }
    }
    let mut file = tokio::fs::OpenOptions::new().write(true).open(path).await?;
    file.seek(std::io::SeekFrom::Start(piece.offset)).await?;
    let mut got = 0u64;
    let mut body = stream(response, limits);
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        got += chunk.len() as u64;
        if got > piece.len {
            return Err(Error::Decode {
                detail: format!("{key}: more than the {} bytes expected", piece.len),
                request_id: id,
            });
        }
        file.write_all(&chunk).await?;
        unit.reached(got);
    }
    file.flush().await?;
    if got != piece.len {
        return Err(Error::Decode {
            detail: format!(
                "{key}: {got} bytes at offset {}, expected {}",
                piece.offset, piece.len
            ),
            request_id: id,
        });
    }
    Ok(())
}

/// A temporary file beside `dest`, with a unique name: removed when dropped unless persisted.
fn temp_file_for(dest: &Path) -> Result<tempfile::NamedTempFile, Error> {
    let dir = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "download".to_string());
    Ok(tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".cos-ci-partial")
        .tempfile_in(dir)?)
}

/// Reads `len` bytes of `path` from `offset` (at most one part: the memory budget).
async fn read_piece(path: &Path, offset: u64, len: u64) -> Result<Bytes, Error> {
    let mut file = tokio::fs::File::open(path).await?;
    file.seek(std::io::SeekFrom::Start(offset)).await?;
    let cap = usize::try_from(len).map_err(|_| Error::InvalidArgument {
        argument: "part_size",
        reason: format!("a {len}-byte part does not fit in memory"),
    })?;
    let mut buf = Vec::with_capacity(cap);
    file.take(len).read_to_end(&mut buf).await?;
    if buf.len() as u64 != len {
        return Err(Error::Io(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!(
                "{} changed while uploading: {} bytes at offset {offset}, expected {len}",
                path.display(),
                buf.len()
            ),
        )));
    }
    Ok(Bytes::from(buf))
}

/// `data` as a stream of chunks that tells `unit` how far it got.
fn counted_chunks(
    data: Bytes,
    unit: Unit,
) -> futures_util::stream::BoxStream<'static, std::io::Result<Bytes>> {
    let len = data.len();
    let starts = (0..len).step_by(CHUNK);
    Box::pin(futures_util::stream::iter(starts).map(move |start| {
        let end = (start + CHUNK).min(len);
        unit.reached(end as u64);
        Ok(data.slice(start..end))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_cover_the_file_once() {
        let p = pieces(25, 10);
        assert_eq!(
            p,
            [
                Piece {
                    number: 1,
                    offset: 0,
                    len: 10
                },
                Piece {
                    number: 2,
                    offset: 10,
                    len: 10
                },
                Piece {
                    number: 3,
                    offset: 20,
                    len: 5
                },
            ]
        );
        assert_eq!(pieces(20, 10).len(), 2);
        assert_eq!(
            pieces(0, 10),
            [Piece {
                number: 1,
                offset: 0,
                len: 0
            }]
        );
    }

    #[test]
    fn part_size_grows_to_fit_ten_thousand_parts() {
        let o = TransferOptions::default();
        let len = 200 * 1024 * 1024 * 1024u64;
        let size = o.part_size_for(len);
        assert!(size > o.part_size);
        assert!(pieces(len, size).len() <= MAX_PARTS as usize);
    }

    #[test]
    fn bad_part_sizes_and_concurrency_are_named() {
        let small = TransferOptions {
            part_size: 1000,
            ..TransferOptions::default()
        };
        assert!(small.check().unwrap_err().to_string().contains("part_size"));
        let none = TransferOptions {
            concurrency: 0,
            ..TransferOptions::default()
        };
        assert!(
            none.check()
                .unwrap_err()
                .to_string()
                .contains("concurrency")
        );
    }

    #[test]
    fn temp_files_beside_the_target_do_not_collide() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.bin");
        let a = temp_file_for(&dest).unwrap();
        let b = temp_file_for(&dest).unwrap();
        assert_ne!(a.path(), b.path());
        assert_eq!(a.path().parent(), Some(dir.path()));
        let path = a.path().to_path_buf();
        drop(a);
        assert!(!path.exists(), "a dropped temporary file is removed");
    }
}
