//! `Content-MD5` on PUT Object and Upload Part: the header is parsed up front
//! (`InvalidDigest`) and the body checked as it streams, so a mismatch (`BadDigest`) stores
//! nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use base64::Engine as _;
use bytes::Bytes;
use cos_ci_validate::ErrorCode;
use futures_util::{Stream, StreamExt};
use md5::{Digest, Md5};

use crate::error::ApiError;
use crate::http::Ctx;
use crate::storage::StorageError;

/// The request's `Content-MD5` as 16 bytes; `InvalidDigest` if it is not base64 of 16 bytes.
pub fn content_md5(ctx: &Ctx) -> Result<Option<[u8; 16]>, ApiError> {
    let Some(value) = ctx.header("content-md5") else {
        return Ok(None);
    };
    base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .ok()
        .and_then(|raw| <[u8; 16]>::try_from(raw.as_slice()).ok())
        .map(Some)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidDigest,
                format!("Content-MD5 {value:?} is not the base64 of a 16-byte MD5"),
            )
        })
}

/// A body stream that fails at its end when its MD5 is not `expected`; the flag tells a
/// digest failure apart from other body errors.
pub struct Checked {
    flag: Arc<AtomicBool>,
}

impl Checked {
    /// Wraps `body`; with no expected digest the body passes unchanged.
    pub fn wrap<S, E>(
        body: S,
        expected: Option<[u8; 16]>,
    ) -> (
        impl Stream<Item = Result<Bytes, String>> + Send + Unpin + 'static,
        Checked,
    )
    where
        S: Stream<Item = Result<Bytes, E>> + Send + Unpin + 'static,
        E: std::fmt::Display,
    {
        let flag = Arc::new(AtomicBool::new(false));
        let mismatch = Arc::clone(&flag);
        // Hash only when there is something to compare: storage already hashes for the ETag.
        let md5 = expected.map(|_| Md5::new());
        let stream = futures_util::stream::unfold(Some((body, md5)), move |state| {
            let mismatch = Arc::clone(&mismatch);
            async move {
                let (mut body, mut md5) = state?;
                match body.next().await {
                    Some(Ok(chunk)) => {
                        if let Some(md5) = md5.as_mut() {
                            md5.update(&chunk);
                        }
                        Some((Ok(chunk), Some((body, md5))))
                    }
                    Some(Err(e)) => Some((Err(e.to_string()), None)),
                    None => match (expected, md5) {
                        (Some(want), Some(md5)) if md5.clone().finalize().as_slice() != want => {
                            mismatch.store(true, Ordering::SeqCst);
                            Some((Err("the body does not match Content-MD5".to_string()), None))
                        }
                        _ => None,
                    },
                }
            }
        });
        (Box::pin(stream), Checked { flag })
    }

    /// Turns a storage failure into `BadDigest` when the digest was the cause.
    pub fn error(&self, e: StorageError) -> ApiError {
        if self.flag.load(Ordering::SeqCst) {
            ApiError::new(
                ErrorCode::BadDigest,
                "the Content-MD5 you specified did not match what was received",
            )
        } else {
            e.into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::TryStreamExt;

    fn body(
        parts: &[&'static [u8]],
    ) -> impl Stream<Item = Result<Bytes, String>> + Send + Unpin + 'static {
        futures_util::stream::iter(
            parts
                .iter()
                .map(|p| Ok(Bytes::from_static(p)))
                .collect::<Vec<_>>(),
        )
    }

    fn md5_of(data: &[u8]) -> [u8; 16] {
        Md5::digest(data).into()
    }

    #[tokio::test]
    async fn matching_digest_passes_the_body_through() {
        let (s, checked) = Checked::wrap(body(&[b"hel", b"lo"]), Some(md5_of(b"hello")));
        let all: Vec<Bytes> = s.try_collect().await.unwrap();
        assert_eq!(all.concat(), b"hello");
        assert!(!checked.flag.load(Ordering::SeqCst));
    }

    #[tokio::test]
    async fn mismatch_fails_at_the_end_and_is_bad_digest() {
        let (s, checked) = Checked::wrap(body(&[b"hel", b"lo"]), Some(md5_of(b"hellO")));
        let got: Result<Vec<Bytes>, String> = s.try_collect().await;
        assert!(got.is_err());
        assert_eq!(
            checked.error(StorageError::Body("x".into())).code,
            "BadDigest"
        );
    }

    #[tokio::test]
    async fn other_failures_keep_their_code() {
        let (s, checked) = Checked::wrap(
            futures_util::stream::iter([Err::<Bytes, String>("reset".into())]),
            Some(md5_of(b"")),
        );
        let got: Result<Vec<Bytes>, String> = s.try_collect().await;
        assert!(got.is_err());
        assert_eq!(
            checked.error(StorageError::Body("reset".into())).code,
            "IncompleteBody"
        );
    }
}
