//! An async client for Tencent Cloud COS "Cloud Infinite" (CI) image processing, generated
//! from the cos-ci spec: every operation in every mode it supports, signed requests,
//! pre-signed URLs, retries, and one error type.
//!
//! Each operation has one method, its download (`client.<op>(source, &params)`, the answer
//! decoded); every mode and form takes the same typed parameters through a generic method,
//! which a marker trait limits to the operations that have the mode:
//!
//! | mode | request | method |
//! |---|---|---|
//! | during download | `GET /<key>?ci-process=X` | `client.<op>(source, &params)` → image or answer; `client.process_stream(source, &params)` → stream |
//! | upon upload | `PUT /<key>` + `Pic-Operations` | `client.upload_with(key, body, fileid, &params)` → `UploadResult` |
//! | in the cloud | `POST /<key>?image_process` + `Pic-Operations` | `client.cloud_with(key, fileid, &params)` → `UploadResult` |
//! | pre-signed | a URL that processes when fetched | `client.presign_process(source, &params, expires)` |
//!
//! Parameters are checked by `cos-ci-validate` before anything is sent, so an out-of-range
//! value is an [`Error::Validation`] naming the parameter and its range:
//!
//! ```
//! use cos_ci_client::{Client, Credentials, Error, ai_enhance_image::AiEnhanceImage};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let client = Client::builder()
//!     .region("ap-guangzhou")
//!     .bucket("examplebucket-1250000000")
//!     .credentials(Credentials::new("AKIDEXAMPLE", "example-secret"))
//!     .endpoint("http://127.0.0.1:9") // nothing listens there: nothing is sent
//!     .build()
//!     .unwrap();
//! let err = client.ai_enhance_image("in.png", &AiEnhanceImage::new().with_denoise(7)).await.unwrap_err();
//! assert!(matches!(err, Error::Validation(_)));
//! assert!(err.to_string().contains("denoise"));
//! # }
//! ```
//!
//! Several rules, operations and buckets go in one [`PicOperations`]:
//!
//! ```no_run
//! use cos_ci_client::{Client, PicOperations};
//! use cos_ci_client::{ai_image_coloring::AiImageColoring, ai_pic_matting::{AiPicMatting, PaddingLayout}};
//!
//! # async fn run(client: Client, png: Vec<u8>) -> Result<(), cos_ci_client::Error> {
//! let ops = PicOperations::new()
//!     .with_pic_info(true)
//!     .with_rule("colored.png", &AiImageColoring::new())?
//!     .with_rule("/cutouts/a.png", &AiPicMatting::new().with_padding_layout(PaddingLayout::new(20, 10)))?;
//! let result = client.put_object_with("photos/a.png", png.into(), &ops).await?;
//! for object in result.process_results.map(|r| r.object).unwrap_or_default() {
//!     println!("{} {:?}x{:?}", object.key, object.width, object.height);
//! }
//! # Ok(()) }
//! ```
//!
//! Credentials come from a static pair or any [`ProvideCredentials`] (the environment, a
//! profile file, an STS call: see [`credentials`]), cached and refreshed ahead of expiry;
//! region, bucket and the rest can come from the environment too: see [`config::env`].
//! Timeouts fit transfers — a read timeout between bytes, deadlines off for transfers by
//! default, all overridable per call with [`Client::with_timeouts`] — and every call runs in
//! a `tracing` span `cos_ci` with its operation, mode, key, attempt and request id.
//!
//! # Features: TLS
//!
//! HTTPS needs one TLS feature (several may be on; reqwest then prefers native-tls):
//!
//! | feature | TLS |
//! |---|---|
//! | `rustls-webpki-roots` (default) | rustls, trusting the Mozilla root certificates compiled in |
//! | `rustls-native-roots` | rustls, trusting the operating system's root certificates |
//! | `native-tls` | the platform's library: OpenSSL on Linux, Security.framework, SChannel |
//!
//! ```toml
//! cos-ci-client = { version = "0.1", default-features = false, features = ["native-tls"] }
//! ```
//!
//! With none of them only `http://` endpoints (the mock, a local proxy) can be reached.

// Generated code may name this crate by its absolute path (`::cos_ci_client::…`), as the
// downstream target of cos-ci-codegen does, and still compile inside it.
extern crate self as cos_ci_client;

mod answer;
mod batch;
mod body;
mod bucket;
mod client;
pub mod config;
mod copy;
pub mod credentials;
mod delete;
mod error;
mod multipart;
mod progress;
mod transfer;
#[rustfmt::skip]
mod generated;
mod request;
mod retry;

pub use batch::{
    Batch, BatchItem, BatchOptions, BatchOutcome, BatchSummary, BatchTarget, FileIdTemplate,
    SkipReason,
};
pub use body::Body;
pub use bucket::{BucketInfo, ListEntry, ListObjects, ListPage, MAX_KEYS, ObjectSummary};
pub use client::{
    Client, ImageStream, Object, ObjectInfo, ProcessedImage, PutObjectOutput, Source, USER_AGENT,
};
pub use config::{ClientBuilder, Clock, Config, Domain, Timeouts};
pub use copy::{CopyObjectOutput, CopyOptions, CopySource, MetadataDirective};
pub use cos_ci_validate::{
    ErrorCode, Input, Mode, OpSpec, Operation, ParamValues, PicOperations, PicRule, UploadResult,
    ValidationError, find_operation,
};
pub use credentials::{Credentials, CredentialsError, ProvideCredentials};
pub use delete::{DeleteError, DeleteObjectsOutput, MAX_DELETE_KEYS};
pub use error::{ConfigError, Error, ServiceCode, ServiceError, Timeout, TimeoutKind};
pub use generated::*;
pub use multipart::{
    CompleteOutput, CompletedPart, MAX_PART_SIZE, MAX_PARTS, MIN_PART_SIZE, PartInfo,
    UploadSummary, UploadsPage,
};
pub use progress::Progress;
pub use request::PreparedRequest;
pub use retry::RetryPolicy;
pub use transfer::{Cleanup, DownloadOutput, TransferOptions, UploadOutput};

/// Every operation the client knows, from the spec.
pub use cos_ci_validate::OPERATIONS;
