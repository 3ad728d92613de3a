//! Object bodies handed out by `get`: shared bytes (memory) or an open file (disk).

use bytes::{Bytes, BytesMut};
use futures_util::stream::{self, BoxStream, StreamExt};
use tokio::io::AsyncReadExt;

use super::StorageError;

/// Largest chunk `ObjectBody::into_stream` yields.
pub const CHUNK_SIZE: usize = 64 * 1024;

/// The (possibly range-limited) body of an object being read.
pub enum ObjectBody {
    /// The bytes themselves (memory mode).
    Bytes(Bytes),
    /// Several runs of bytes served one after another (memory mode: an object completed from
    /// multipart parts keeps the parts' buffers instead of copying them into one).
    Segments(Vec<Bytes>),
    /// An open file positioned at the first byte to serve; exactly `len`
    /// bytes are to be read from it. Holding the handle keeps serving the
    /// version that was opened even if the key is overwritten meanwhile.
    File {
        /// The open file, already seeked to the start of the served bytes.
        file: tokio::fs::File,
        /// Number of bytes to read from `file`.
        len: u64,
    },
}

impl std::fmt::Debug for ObjectBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Bytes(b) => f.debug_tuple("Bytes").field(&b.len()).finish(),
            Self::Segments(s) => f.debug_tuple("Segments").field(&s.len()).finish(),
            Self::File { len, .. } => f.debug_struct("File").field("len", len).finish(),
        }
    }
}

impl ObjectBody {
    /// Number of bytes this body yields.
    pub fn len(&self) -> u64 {
        match self {
            Self::Bytes(b) => b.len() as u64,
            Self::Segments(s) => s.iter().map(|b| b.len() as u64).sum(),
            Self::File { len, .. } => *len,
        }
    }

    /// Whether the body yields no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Turns the body into a stream of chunks of at most 64 KiB, suitable
    /// for an HTTP response body. A file that turns out shorter than
    /// promised ends the stream with an `UnexpectedEof` error.
    pub fn into_stream(self) -> BoxStream<'static, std::io::Result<Bytes>> {
        match self {
            Self::Bytes(b) => {
                // Slicing `Bytes` is zero-copy; only the chunk boundaries are new.
                let chunks = (0..b.len())
                    .step_by(CHUNK_SIZE)
                    .map(move |at| Ok(b.slice(at..(at + CHUNK_SIZE).min(b.len()))));
                stream::iter(chunks).boxed()
            }
            Self::Segments(segments) => stream::iter(segments)
                .flat_map(|b| Self::Bytes(b).into_stream())
                .boxed(),
            Self::File { file, len } => stream::unfold(Some((file, len)), |state| async move {
                let (mut file, remaining) = state?;
                if remaining == 0 {
                    return None;
                }
                let want = usize::try_from(remaining)
                    .unwrap_or(usize::MAX)
                    .min(CHUNK_SIZE);
                let mut buf = BytesMut::zeroed(want);
                match file.read(&mut buf).await {
                    Ok(0) => Some((Err(std::io::ErrorKind::UnexpectedEof.into()), None)),
                    Ok(n) => {
                        buf.truncate(n);
                        Some((Ok(buf.freeze()), Some((file, remaining - n as u64))))
                    }
                    // Stop after the first error: retrying a failed read is pointless here.
                    Err(e) => Some((Err(e), None)),
                }
            })
            .boxed(),
        }
    }

    /// Reads the whole body into memory, refusing (`TooLarge`) if it is
    /// longer than `max` bytes — checked before anything is read.
    pub async fn into_bytes(self, max: u64) -> Result<Bytes, StorageError> {
        let len = self.len();
        if len > max {
            return Err(StorageError::TooLarge { limit: max });
        }
        match self {
            Self::Bytes(b) => Ok(b),
            Self::Segments(s) => Ok(s.concat().into()),
            Self::File { mut file, .. } => {
                let n = usize::try_from(len).map_err(|_| StorageError::TooLarge { limit: max })?;
                let mut buf = BytesMut::zeroed(n);
                file.read_exact(&mut buf).await?;
                Ok(buf.freeze())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::TryStreamExt;
    use tokio::io::{AsyncSeekExt, AsyncWriteExt};

    async fn collect(body: ObjectBody) -> (Vec<usize>, Vec<u8>) {
        let chunks: Vec<Bytes> = body.into_stream().try_collect().await.unwrap();
        (chunks.iter().map(Bytes::len).collect(), chunks.concat())
    }

    #[tokio::test]
    async fn bytes_stream_in_bounded_chunks() {
        let data: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
        let (sizes, all) = collect(ObjectBody::Bytes(Bytes::from(data.clone()))).await;
        assert_eq!(
            sizes,
            vec![CHUNK_SIZE, CHUNK_SIZE, CHUNK_SIZE, 200_000 - 3 * CHUNK_SIZE]
        );
        assert_eq!(all, data);
        assert_eq!(
            collect(ObjectBody::Bytes(Bytes::new())).await.0,
            Vec::<usize>::new()
        );
    }

    #[tokio::test]
    async fn file_stream_reads_exactly_len() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let data: Vec<u8> = (0..150_000u32).map(|i| (i % 251) as u8).collect();
        tokio::fs::File::create(&path)
            .await
            .unwrap()
            .write_all(&data)
            .await
            .unwrap();

        let mut file = tokio::fs::File::open(&path).await.unwrap();
        file.seek(std::io::SeekFrom::Start(10)).await.unwrap();
        let body = ObjectBody::File { file, len: 100_000 };
        assert_eq!(body.len(), 100_000);
        let (sizes, all) = collect(body).await;
        assert!(sizes.iter().all(|&n| n > 0 && n <= CHUNK_SIZE));
        assert_eq!(all, &data[10..100_010]);

        // Promising more than the file holds surfaces as an error, not a hang or panic.
        let file = tokio::fs::File::open(&path).await.unwrap();
        let res: std::io::Result<Vec<Bytes>> = ObjectBody::File { file, len: 200_000 }
            .into_stream()
            .try_collect()
            .await;
        assert_eq!(res.unwrap_err().kind(), std::io::ErrorKind::UnexpectedEof);
    }

    #[tokio::test]
    async fn into_bytes_honours_max() {
        let b = ObjectBody::Bytes(Bytes::from_static(b"hello"));
        assert!(matches!(
            b.into_bytes(4).await,
            Err(StorageError::TooLarge { limit: 4 })
        ));
        let b = ObjectBody::Bytes(Bytes::from_static(b"hello"));
        assert_eq!(b.into_bytes(5).await.unwrap(), Bytes::from_static(b"hello"));

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        tokio::fs::write(&path, b"0123456789").await.unwrap();
        let mut file = tokio::fs::File::open(&path).await.unwrap();
        file.seek(std::io::SeekFrom::Start(3)).await.unwrap();
        let body = ObjectBody::File { file, len: 4 };
        assert_eq!(&body.into_bytes(4).await.unwrap()[..], b"3456");
    }
}
