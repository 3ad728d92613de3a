//! Request bodies: bytes (replayable, so retried) or a stream of known length (sent once).

use bytes::Bytes;
use futures_util::stream::BoxStream;

/// The body of a PUT, with an optional Content-Type.
pub struct Body {
    pub(crate) data: Data,
    pub(crate) content_type: Option<String>,
}

pub(crate) enum Data {
    Bytes(Bytes),
    Stream {
        stream: BoxStream<'static, std::io::Result<Bytes>>,
        len: u64,
    },
}

impl Body {
    /// A body of `len` bytes read from `stream`. COS needs the length up front; a stream
    /// cannot be replayed, so a request with one is never retried.
    pub fn from_stream(len: u64, stream: BoxStream<'static, std::io::Result<Bytes>>) -> Self {
        Body {
            data: Data::Stream { stream, len },
            content_type: None,
        }
    }

    /// A body streamed from the file at `path`.
    pub async fn from_file(path: impl AsRef<std::path::Path>) -> std::io::Result<Self> {
        let file = tokio::fs::File::open(path).await?;
        let len = file.metadata().await?.len();
        let stream = tokio_util_stream(file);
        Ok(Body::from_stream(len, stream))
    }

    /// Sets the Content-Type sent (and signed) with the body.
    #[must_use]
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// The body's length in bytes.
    pub fn len(&self) -> u64 {
        match &self.data {
            Data::Bytes(b) => b.len() as u64,
            Data::Stream { len, .. } => *len,
        }
    }

    /// Whether the body is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes, when the body is in memory.
    pub fn as_bytes(&self) -> Option<&Bytes> {
        match &self.data {
            Data::Bytes(b) => Some(b),
            Data::Stream { .. } => None,
        }
    }
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Body")
            .field("len", &self.len())
            .field("content_type", &self.content_type)
            .finish_non_exhaustive()
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Self {
        Body {
            data: Data::Bytes(b),
            content_type: None,
        }
    }
}

impl From<Vec<u8>> for Body {
    fn from(v: Vec<u8>) -> Self {
        Bytes::from(v).into()
    }
}

impl From<&'static [u8]> for Body {
    fn from(v: &'static [u8]) -> Self {
        Bytes::from_static(v).into()
    }
}

impl From<String> for Body {
    fn from(v: String) -> Self {
        Bytes::from(v).into()
    }
}

/// Reads a file in 64 KiB chunks.
fn tokio_util_stream(file: tokio::fs::File) -> BoxStream<'static, std::io::Result<Bytes>> {
    use tokio::io::AsyncReadExt;
    Box::pin(futures_util::stream::unfold(
        Some(file),
        |file| async move {
            let mut file = file?;
            let mut buf = vec![0u8; 64 * 1024];
            match file.read(&mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((Ok(Bytes::from(buf)), Some(file)))
                }
                Err(e) => Some((Err(e), None)),
            }
        },
    ))
}
