//! The client: object transfer and the generic processing calls the generated per-operation
//! methods delegate to.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use cos_ci_validate::{
    CloudMode, DownloadMode, ErrorDocument, HostKind, Input, Mode, OpSpec, Operation,
    PIC_OPERATIONS_HEADER, ParamValues, PicOperations, UploadMode, UploadResult, XmlDocument,
};
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};
use tokio::time::Instant;
use tracing::Instrument;

use crate::body::{Body, Data};
use crate::config::{ClientBuilder, Config, Timeouts};
use crate::credentials::{Credentials, CredentialsCache};
use crate::error::{Error, ServiceCode, ServiceError, Timeout, TimeoutKind};
use crate::request::{PreparedRequest, RequestParts};

/// `User-Agent` of the default HTTP client.
pub const USER_AGENT: &str = concat!("cos-ci/", env!("CARGO_PKG_VERSION"));

/// Chunk size in-memory bodies are sent in, so the read timeout sees their progress.
const SEND_CHUNK: usize = 64 * 1024;

/// Largest error document read from an answer.
const MAX_ERROR_BODY: u64 = 64 * 1024;

/// Where a download-processing call takes its image from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// An object in the bucket.
    Key(String),
    /// Any URL the service can fetch (`detect-url`).
    Url(String),
    /// No input: the bucket itself (`GET /?ci-process=…`), for operations that make their
    /// answer from their parameters alone (`source: { none: true }`, e.g. qrcode-generate).
    /// Their generated methods take no source and pass this.
    Bucket,
}

impl Source {
    /// An object in the bucket.
    pub fn key(key: impl Into<String>) -> Self {
        Source::Key(key.into())
    }

    /// A URL the service fetches (`detect-url`).
    pub fn url(url: impl Into<String>) -> Self {
        Source::Url(url.into())
    }
}

impl From<&str> for Source {
    fn from(key: &str) -> Self {
        Source::Key(key.to_string())
    }
}

impl From<String> for Source {
    fn from(key: String) -> Self {
        Source::Key(key)
    }
}

impl From<&String> for Source {
    fn from(key: &String) -> Self {
        Source::Key(key.clone())
    }
}

/// A processed image, buffered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessedImage {
    /// The image bytes.
    pub bytes: Bytes,
    /// Its Content-Type, e.g. `image/png`.
    pub content_type: String,
    /// The request id of the answer.
    pub request_id: Option<String>,
}

/// A processed image (or object), streamed.
pub struct ImageStream {
    /// Its Content-Type.
    pub content_type: String,
    /// Its length, when the answer says.
    pub content_length: Option<u64>,
    /// The request id of the answer.
    pub request_id: Option<String>,
    stream: BoxStream<'static, Result<Bytes, Error>>,
}

impl ImageStream {
    /// The next chunk, or `None` at the end.
    pub async fn next_chunk(&mut self) -> Option<Result<Bytes, Error>> {
        self.stream.next().await
    }

    /// Buffers the rest, at most `max` bytes.
    pub async fn collect(mut self, max: u64) -> Result<Bytes, Error> {
        let mut out = Vec::new();
        while let Some(chunk) = self.next_chunk().await {
            let chunk = chunk?;
            if (out.len() + chunk.len()) as u64 > max {
                return Err(too_large(max, self.request_id));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(out))
    }
}

impl futures_util::Stream for ImageStream {
    type Item = Result<Bytes, Error>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.stream.poll_next_unpin(cx)
    }
}

impl std::fmt::Debug for ImageStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageStream")
            .field("content_type", &self.content_type)
            .field("content_length", &self.content_length)
            .field("request_id", &self.request_id)
            .finish_non_exhaustive()
    }
}

/// What HEAD Object tells about an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Size in bytes.
    pub size: u64,
    /// ETag, quoted as COS sends it.
    pub etag: Option<String>,
    /// Content-Type.
    pub content_type: Option<String>,
    /// Last-Modified, as sent.
    pub last_modified: Option<String>,
    /// The request id of the answer.
    pub request_id: Option<String>,
}

/// An object, buffered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Object {
    /// The bytes.
    pub bytes: Bytes,
    /// Its metadata.
    pub info: ObjectInfo,
}

/// The answer to PUT Object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PutObjectOutput {
    /// The new object's ETag.
    pub etag: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
}

/// An async client for one bucket: object transfer and CI image processing in every mode.
///
/// ```no_run
/// use cos_ci_client::{Client, Source, ai_super_resolution::{AiSuperResolution, Magnify}};
///
/// # async fn run() -> Result<(), cos_ci_client::Error> {
/// let client = Client::builder()
///     .region("ap-guangzhou")
///     .bucket("examplebucket-1250000000")
///     .credentials(cos_ci_client::Credentials::new("AKIDEXAMPLE", "example-secret"))
///     .build()?;
/// let params = AiSuperResolution::new().with_magnify(Magnify::X4);
/// // During download: the processed image comes back.
/// let image = client.ai_super_resolution("photos/in.png", &params).await?;
/// // Upon upload and in the cloud: the result is stored, UploadResult comes back.
/// let stored = client.cloud_with("photos/in.png", "big/out.png", &params).await?;
/// // A URL anyone can fetch for an hour.
/// let url = client.presign_process(Source::key("photos/in.png"), &params, std::time::Duration::from_secs(3600))?;
/// # let _ = (image, stored, url); Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    config: Arc<Config>,
    http: reqwest::Client,
    credentials: Arc<CredentialsCache>,
    timeouts: Timeouts,
}

impl Client {
    /// A builder; see [`ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client for `config`.
    pub fn new(config: Config) -> Result<Self, Error> {
        let http = match &config.http_client {
            Some(http) => http.clone(),
            // Read timeouts and deadlines are the client's own (per call); reqwest's would
            // be one fixed floor for every call.
            None => reqwest::Client::builder()
                .connect_timeout(config.connect_timeout)
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(USER_AGENT)
                .build()
                .map_err(crate::ConfigError::HttpClient)?,
        };
        let credentials = Arc::new(CredentialsCache::new(
            config.credentials.clone(),
            config.credentials_refresh_before,
        ));
        Ok(Client {
            timeouts: config.timeouts,
            config: Arc::new(config),
            http,
            credentials,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The timeouts calls through this client use.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// This client with other timeouts, for the calls made through the copy: it shares the
    /// connections, the credentials and everything else.
    ///
    /// ```no_run
    /// # async fn run(client: cos_ci_client::Client) -> Result<(), cos_ci_client::Error> {
    /// use std::time::Duration;
    /// // A big download: at most 10 s without a byte, at most an hour in all.
    /// let patient = client.with_timeouts(
    ///     client
    ///         .timeouts()
    ///         .with_read(Some(Duration::from_secs(10)))
    ///         .with_transfer_deadline(Some(Duration::from_secs(3600))),
    /// );
    /// let stream = patient.get_object_stream("videos/big.mp4").await?;
    /// # let _ = stream; Ok(()) }
    /// ```
    #[must_use]
    pub fn with_timeouts(&self, timeouts: Timeouts) -> Client {
        Client {
            timeouts,
            ..self.clone()
        }
    }

    /// The credentials requests are signed with now, fetched from the provider if none are
    /// cached or they are due for refresh. Pre-signing is synchronous: with an asynchronous
    /// provider, call this once before the first `*_url` or `prepare_*` call.
    pub async fn load_credentials(&self) -> Result<Credentials, Error> {
        Ok(self.credentials.get().await?.as_ref().clone())
    }

    fn credentials_now(&self) -> Result<Arc<Credentials>, Error> {
        Ok(self.credentials.now()?)
    }

    /// The bucket's COS host name, sent as `Host`.
    pub fn host(&self) -> String {
        self.config.host_name(HostKind::Cos)
    }

    // ---- request preparation (pure) ----

    /// The signed request that runs `params` during download on `source`.
    pub fn prepare_download<O: DownloadMode>(
        &self,
        source: &Source,
        params: &O,
    ) -> Result<PreparedRequest, Error> {
        let values = params.to_values();
        let parts = self.download_parts(O::SPEC, &values, source)?;
        Ok(self.config.prepare(&parts, &*self.credentials_now()?))
    }

    /// The signed download request for dynamic `values` of `spec` (as the CLI builds them).
    pub fn prepare_download_values(
        &self,
        spec: &OpSpec,
        values: &ParamValues,
        source: &Source,
    ) -> Result<PreparedRequest, Error> {
        let parts = self.download_parts(spec, values, source)?;
        Ok(self.config.prepare(&parts, &*self.credentials_now()?))
    }

    /// The signed upload request storing a `len`-byte body at `key` with `ops`.
    pub fn prepare_upload(
        &self,
        key: &str,
        len: u64,
        ops: &PicOperations,
    ) -> Result<PreparedRequest, Error> {
        let parts = upload_parts(key, Some(len), None, Some(ops))?;
        Ok(self.config.prepare(&parts, &*self.credentials_now()?))
    }

    /// The signed request that uploads a `len`-byte body to `key` and runs dynamic `values` of
    /// `spec` on it (`PUT /<key>?ci-process=…`, mode `upload_query`).
    pub fn prepare_upload_query(
        &self,
        spec: &OpSpec,
        values: &ParamValues,
        key: &str,
        len: u64,
    ) -> Result<PreparedRequest, Error> {
        let parts = Self::upload_query_parts(spec, values, key, len, None)?;
        Ok(self.config.prepare(&parts, &*self.credentials_now()?))
    }

    /// The signed cloud-processing request for `key` with `ops`.
    pub fn prepare_cloud(&self, key: &str, ops: &PicOperations) -> Result<PreparedRequest, Error> {
        let parts = cloud_parts(key, ops)?;
        Ok(self.config.prepare(&parts, &*self.credentials_now()?))
    }

    fn download_parts(
        &self,
        spec: &OpSpec,
        values: &ParamValues,
        source: &Source,
    ) -> Result<RequestParts, Error> {
        // An operation without a download mode (a Pic-Operations rule only) is refused here,
        // not by the server.
        if !spec.supports(Mode::Download) {
            return Err(Error::InvalidArgument {
                argument: "OP",
                reason: format!(
                    "{} has no download mode; it runs as a Pic-Operations rule (upload_with, cloud_with)",
                    spec.name
                ),
            });
        }
        spec.check(values)?;
        let mut query: Vec<(String, String)> = spec
            .encode_pairs(values)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        if spec.input == Input::None && *source != Source::Bucket {
            return Err(Error::InvalidArgument {
                argument: "source",
                reason: format!(
                    "{} takes no input object or detect-url; it runs on the bucket",
                    spec.name
                ),
            });
        }
        let (host, key) = match source {
            Source::Bucket => {
                if spec.input != Input::None {
                    return Err(Error::InvalidArgument {
                        argument: "source",
                        reason: format!("{} needs an object key", spec.name),
                    });
                }
                (HostKind::Cos, String::new())
            }
            Source::Key(key) => {
                if key.trim_start_matches('/').is_empty() {
                    return Err(Error::InvalidArgument {
                        argument: "source",
                        reason: format!("{} needs an object key", spec.name),
                    });
                }
                // The operation's own host (`hosts:` in its spec; `.cos.` for most).
                (spec.host(), key.clone())
            }
            Source::Url(url) => {
                let Some(host) = spec.detect_url else {
                    return Err(Error::InvalidArgument {
                        argument: "source",
                        reason: format!("{} does not take a detect-url", spec.name),
                    });
                };
                query.push(("detect-url".to_string(), url.clone()));
                (host, String::new())
            }
        };
        Ok(RequestParts {
            method: "GET",
            operation: spec.name,
            mode: Some("download"),
            host,
            key,
            query,
            headers: Vec::new(),
            content_length: None,
        })
    }

    // ---- processing during download ----

    /// Runs any operation during download and buffers the image. Each operation's own method
    /// (`client.ai_enhance_image(…)`) also decodes an XML or JSON answer.
    pub async fn process<O: DownloadMode>(
        &self,
        source: impl Into<Source>,
        params: &O,
    ) -> Result<ProcessedImage, Error> {
        self.process_values(O::SPEC, &params.to_values(), &source.into())
            .await
    }

    /// Runs the operation `spec` with dynamic `values` (as the CLI does).
    pub async fn process_values(
        &self,
        spec: &OpSpec,
        values: &ParamValues,
        source: &Source,
    ) -> Result<ProcessedImage, Error> {
        let parts = self.download_parts(spec, values, source)?;
        let max = self.config.max_response_bytes;
        self.call(parts, None, true, |response, limits| async move {
            let content_type = header(&response, "content-type").unwrap_or_default();
            let request_id = request_id(&response);
            let bytes = read_limited(response, max, &request_id, limits).await?;
            Ok(ProcessedImage {
                bytes,
                content_type,
                request_id,
            })
        })
        .await
    }

    /// Runs any operation during download and streams the image instead of buffering it.
    pub async fn process_stream<O: DownloadMode>(
        &self,
        source: impl Into<Source>,
        params: &O,
    ) -> Result<ImageStream, Error> {
        let parts = self.download_parts(O::SPEC, &params.to_values(), &source.into())?;
        self.call(parts, None, true, |response, limits| async move {
            Ok(stream(response, limits))
        })
        .await
    }

    /// Runs an operation whose answer is an XML document and parses it.
    pub async fn process_xml<O: DownloadMode, R: XmlDocument>(
        &self,
        source: impl Into<Source>,
        params: &O,
    ) -> Result<R, Error> {
        let image = self.process(source, params).await?;
        parse_xml(&image.bytes, image.request_id)
    }

    /// Runs an operation whose download answer is a JSON document and decodes it.
    pub async fn process_json<O: DownloadMode, R: cos_ci_validate::json::JsonDocument>(
        &self,
        source: impl Into<Source>,
        params: &O,
    ) -> Result<R, Error> {
        let answer = self.process(source, params).await?;
        let request_id = answer.request_id;
        let text = std::str::from_utf8(&answer.bytes).map_err(|e| Error::Decode {
            detail: format!("the answer is not UTF-8: {e}"),
            request_id: request_id.clone(),
        })?;
        R::from_json(text).map_err(|e| Error::Decode {
            detail: format!("the JSON answer does not match the spec: {e}"),
            request_id,
        })
    }

    /// A pre-signed URL that runs `params` on `source` during download when fetched, valid for
    /// `expires`.
    pub fn presign_process<O: DownloadMode>(
        &self,
        source: impl Into<Source>,
        params: &O,
        expires: Duration,
    ) -> Result<String, Error> {
        self.presign_values(O::SPEC, &params.to_values(), &source.into(), expires)
    }

    /// A pre-signed processing URL from dynamic values.
    pub fn presign_values(
        &self,
        spec: &OpSpec,
        values: &ParamValues,
        source: &Source,
        expires: Duration,
    ) -> Result<String, Error> {
        let parts = self.download_parts(spec, values, source)?;
        Ok(self
            .config
            .presign(&parts, expires.as_secs().max(1), &*self.credentials_now()?))
    }

    // ---- processing upon upload, answered like a download ----

    /// The request that uploads a `len`-byte body to `key` and runs `values` of `spec` on it
    /// (`PUT /<key>?ci-process=…`, no Pic-Operations).
    fn upload_query_parts(
        spec: &OpSpec,
        values: &ParamValues,
        key: &str,
        len: u64,
        content_type: Option<String>,
    ) -> Result<RequestParts, Error> {
        if !spec.supports(Mode::UploadQuery) {
            return Err(Error::InvalidArgument {
                argument: "operation",
                reason: format!("{} has no {} mode", spec.name, Mode::UploadQuery),
            });
        }
        spec.check(values)?;
        let query = spec
            .encode_pairs(values)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        let mut parts = upload_parts(key, Some(len), content_type, None)?;
        parts.operation = spec.name;
        parts.mode = Some(Mode::UploadQuery.as_str());
        parts.query = query;
        Ok(parts)
    }

    /// Uploads `body` to `key` running dynamic `values` of `spec` on it (`PUT
    /// /<key>?ci-process=…`): COS stores the body and answers the operation's result, which
    /// is buffered. The body is streamed as it is given.
    pub async fn upload_query_values(
        &self,
        spec: &OpSpec,
        values: &ParamValues,
        key: &str,
        body: Body,
    ) -> Result<ProcessedImage, Error> {
        let parts =
            Self::upload_query_parts(spec, values, key, body.len(), body.content_type.clone())?;
        let max = self.config.max_response_bytes;
        self.call(parts, Some(body), true, |response, limits| async move {
            let content_type = header(&response, "content-type").unwrap_or_default();
            let request_id = request_id(&response);
            let bytes = read_limited(response, max, &request_id, limits).await?;
            Ok(ProcessedImage {
                bytes,
                content_type,
                request_id,
            })
        })
        .await
    }

    /// Uploads `body` to `key` running an operation whose answer is an XML document on it,
    /// and parses the answer.
    pub async fn upload_query_xml<O: Operation, R: XmlDocument>(
        &self,
        key: &str,
        body: Body,
        params: &O,
    ) -> Result<R, Error> {
        let answer = self
            .upload_query_values(O::SPEC, &params.to_values(), key, body)
            .await?;
        parse_xml(&answer.bytes, answer.request_id)
    }

    // ---- processing upon upload and in the cloud ----

    /// Uploads `body` to `key` and stores the result of one operation at `fileid` (absolute
    /// with a leading `/`, else relative to `key`'s folder). Use
    /// [`Client::put_object_with`] for several rules or another bucket.
    pub async fn upload_with<O: UploadMode>(
        &self,
        key: &str,
        body: impl Into<Body>,
        fileid: &str,
        params: &O,
    ) -> Result<O::Answer, Error> {
        let ops = PicOperations::new().with_rule(fileid, params)?;
        self.put_object_with_as(key, body.into(), &ops).await
    }

    /// Runs one operation on the stored object `key` (`POST ?image_process`) and stores the
    /// result at `fileid`. Use [`Client::image_process`] for several rules.
    pub async fn cloud_with<O: CloudMode>(
        &self,
        key: &str,
        fileid: &str,
        params: &O,
    ) -> Result<O::Answer, Error> {
        let ops = PicOperations::new().with_rule(fileid, params)?;
        self.image_process_as(key, &ops).await
    }

    /// Uploads `body` to `key` with a whole Pic-Operations header (up to five rules of any
    /// operations, other buckets, `is_pic_info`).
    pub async fn put_object_with(
        &self,
        key: &str,
        body: Body,
        ops: &PicOperations,
    ) -> Result<UploadResult, Error> {
        self.put_object_with_as(key, body, ops).await
    }

    /// Runs a whole Pic-Operations header on the stored `key` (`POST ?image_process`).
    pub async fn image_process(
        &self,
        key: &str,
        ops: &PicOperations,
    ) -> Result<UploadResult, Error> {
        self.image_process_as(key, ops).await
    }

    /// [`Client::put_object_with`], the answer read as `R`: an operation's own
    /// `<Op>UploadResult` with the nodes it adds, or [`cos_ci_validate::xml::Element`]-based
    /// documents of your own.
    pub async fn put_object_with_as<R: XmlDocument>(
        &self,
        key: &str,
        body: Body,
        ops: &PicOperations,
    ) -> Result<R, Error> {
        let content_type = body.content_type.clone();
        let parts = upload_parts(key, Some(body.len()), content_type, Some(ops))?;
        let max = self.config.max_response_bytes;
        self.call(parts, Some(body), true, |response, limits| {
            upload_result(response, max, limits)
        })
        .await
    }

    /// [`Client::image_process`], the answer read as `R` (see [`Client::put_object_with_as`]).
    pub async fn image_process_as<R: XmlDocument>(
        &self,
        key: &str,
        ops: &PicOperations,
    ) -> Result<R, Error> {
        let parts = cloud_parts(key, ops)?;
        let max = self.config.max_response_bytes;
        self.call(parts, None, false, |response, limits| {
            upload_result(response, max, limits)
        })
        .await
    }

    // ---- objects ----

    /// Stores `body` at `key`.
    pub async fn put_object(
        &self,
        key: &str,
        body: impl Into<Body>,
    ) -> Result<PutObjectOutput, Error> {
        let body = body.into();
        let parts = upload_parts(key, Some(body.len()), body.content_type.clone(), None)?;
        self.call(parts, Some(body), true, |response, _| async move {
            Ok(PutObjectOutput {
                etag: header(&response, "etag"),
                request_id: request_id(&response),
            })
        })
        .await
    }

    /// Fetches `key`, buffered.
    pub async fn get_object(&self, key: &str) -> Result<Object, Error> {
        let max = self.config.max_response_bytes;
        let parts = object_parts("GET", key)?;
        self.call(parts, None, true, |response, limits| async move {
            let info = object_info(&response);
            let bytes = read_limited(response, max, &info.request_id, limits).await?;
            Ok(Object { bytes, info })
        })
        .await
    }

    /// Fetches `key` as a stream.
    pub async fn get_object_stream(&self, key: &str) -> Result<ImageStream, Error> {
        let parts = object_parts("GET", key)?;
        self.call(parts, None, true, |response, limits| async move {
            Ok(stream(response, limits))
        })
        .await
    }

    /// The metadata of `key`.
    pub async fn head_object(&self, key: &str) -> Result<ObjectInfo, Error> {
        let parts = object_parts("HEAD", key)?;
        self.call(parts, None, false, |response, _| async move {
            Ok(object_info(&response))
        })
        .await
    }

    /// Deletes `key` (no error when it does not exist).
    pub async fn delete_object(&self, key: &str) -> Result<(), Error> {
        let parts = object_parts("DELETE", key)?;
        self.call(parts, None, false, |_, _| async { Ok(()) }).await
    }

    /// A pre-signed GET URL of `key`.
    pub fn presign_get_object(&self, key: &str, expires: Duration) -> Result<String, Error> {
        let parts = object_parts("GET", key)?;
        Ok(self
            .config
            .presign(&parts, expires.as_secs().max(1), &*self.credentials_now()?))
    }

    /// A pre-signed PUT URL of `key`: any HTTP client can upload to it (with any body and
    /// Content-Type; only the method, the path and `Host` are signed).
    pub fn presign_put_object(&self, key: &str, expires: Duration) -> Result<String, Error> {
        let parts = object_parts("PUT", key)?;
        Ok(self
            .config
            .presign(&parts, expires.as_secs().max(1), &*self.credentials_now()?))
    }

    // ---- transport ----

    /// One call: signs and sends it (with retries), then reads the answer with `read`, all
    /// under the call's deadline and inside its tracing span (operation, mode, key, and the
    /// attempt and request id as they become known).
    pub(crate) async fn call<T, F, Fut>(
        &self,
        parts: RequestParts,
        body: Option<Body>,
        transfer: bool,
        read: F,
    ) -> Result<T, Error>
    where
        F: FnOnce(reqwest::Response, Limits) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let limits = Limits::start(&self.timeouts, transfer);
        let span = tracing::info_span!(
            "cos_ci",
            operation = parts.operation,
            mode = parts.mode.unwrap_or("-"),
            key = %parts.key,
            attempt = tracing::field::Empty,
            request_id = tracing::field::Empty,
        );
        let work = async {
            let response = self.send(parts, body, limits).await?;
            read(response, limits).await
        };
        limits.bounded(work).instrument(span).await
    }

    /// One call whose answer is an XML document with root `root` (bucket, copy, delete and
    /// multipart calls): the document and the request id.
    pub(crate) async fn call_xml(
        &self,
        parts: RequestParts,
        body: Option<Body>,
        root: &'static str,
    ) -> Result<(cos_ci_validate::xml::Element, Option<String>), Error> {
        let max = self.config.max_response_bytes;
        self.call(parts, body, false, move |response, limits| {
            crate::answer::read_xml(response, root, max, limits)
        })
        .await
    }

    /// Sends with retries; a non-2xx answer becomes [`Error::Service`]. A streamed body is
    /// sent once: it cannot be replayed. Every attempt signs with the credentials current
    /// at its start.
    pub(crate) async fn send(
        &self,
        parts: RequestParts,
        body: Option<Body>,
        limits: Limits,
    ) -> Result<reqwest::Response, Error> {
        let policy = self.config.retry;
        let started = Instant::now();
        let (bytes, mut stream) = match body.map(|b| b.data) {
            Some(Data::Bytes(b)) => (Some(b), None),
            Some(Data::Stream { stream, .. }) => (None, Some(stream)),
            None => (None, None),
        };
        let replayable = stream.is_none();
        let method = reqwest::Method::from_bytes(parts.method.as_bytes()).map_err(|e| {
            Error::InvalidArgument {
                argument: "method",
                reason: e.to_string(),
            }
        })?;
        let span = tracing::Span::current();
        let mut attempt: u32 = 1;
        loop {
            span.record("attempt", attempt);
            let credentials = self.credentials.get().await?;
            // Signed afresh on every attempt, so a retry never carries a stale signature.
            let prepared = self.config.prepare(&parts, &credentials);
            let mut request = self.http.request(method.clone(), &prepared.url);
            for (k, v) in &prepared.headers {
                request = request.header(k.as_str(), v.as_str());
            }
            // The default client connects within connect_timeout; the wait for the first
            // byte starts after that.
            let grace = match self.config.http_client {
                None => self.config.connect_timeout,
                Some(_) => Duration::ZERO,
            };
            let progress = Progress::new(grace);
            if let Some(b) = &bytes {
                request = request.body(reqwest::Body::wrap_stream(progress.track(chunks(b))));
            } else if let Some(s) = stream.take() {
                request = request.body(reqwest::Body::wrap_stream(progress.track(s)));
            }
            let sent = match limits.read {
                Some(read) => tokio::select! {
                    sent = request.send() => sent.map_err(|e| self.transport(e)),
                    () = progress.stalled(read) => Err(timeout(TimeoutKind::Read, read)),
                },
                None => request.send().await.map_err(|e| self.transport(e)),
            };
            let error = match sent {
                Ok(response) => {
                    if let Some(id) = request_id(&response) {
                        span.record("request_id", id.as_str());
                    }
                    if response.status().is_success() {
                        return Ok(response);
                    }
                    service_error(response, limits).await
                }
                Err(e) => e,
            };
            let out_of_time = started.elapsed() >= policy.max_elapsed;
            if !replayable || attempt >= policy.max_attempts || out_of_time || !error.is_retryable()
            {
                return Err(error);
            }
            let delay = policy.backoff(attempt);
            tracing::debug!(attempt, ?delay, %error, "retrying");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    fn transport(&self, e: reqwest::Error) -> Error {
        if !e.is_timeout() {
            return Error::Transport(e);
        }
        match (&self.config.http_client, e.is_connect()) {
            (None, true) => timeout(TimeoutKind::Connect, self.config.connect_timeout),
            _ => Error::Timeout(Timeout {
                kind: TimeoutKind::HttpClient,
                limit: None,
            }),
        }
    }
}

fn timeout(kind: TimeoutKind, limit: Duration) -> Error {
    Error::Timeout(Timeout {
        kind,
        limit: Some(limit),
    })
}

/// The read timeout and the deadline of one call.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    read: Option<Duration>,
    /// When the call must be over, and the limit that says so.
    deadline: Option<(Instant, Duration)>,
}

impl Limits {
    fn start(timeouts: &Timeouts, transfer: bool) -> Self {
        Limits {
            read: timeouts.read,
            deadline: timeouts
                .deadline_for(transfer)
                .map(|d| (Instant::now() + d, d)),
        }
    }

    /// `work`, cut short at the deadline.
    async fn bounded<T>(self, work: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
        match self.deadline {
            Some((at, limit)) => tokio::time::timeout_at(at, work)
                .await
                .unwrap_or_else(|_| Err(timeout(TimeoutKind::Deadline, limit))),
            None => work.await,
        }
    }

    /// The next item of `stream`, within the read timeout and the deadline.
    async fn next<S, T>(self, stream: &mut S) -> Option<Result<T, Error>>
    where
        S: Stream<Item = Result<T, Error>> + Unpin,
    {
        let next = async {
            match self.read {
                Some(read) => tokio::time::timeout(read, stream.next())
                    .await
                    .unwrap_or_else(|_| Some(Err(timeout(TimeoutKind::Read, read)))),
                None => stream.next().await,
            }
        };
        match self.deadline {
            Some((at, limit)) => tokio::time::timeout_at(at, next)
                .await
                .unwrap_or_else(|_| Some(Err(timeout(TimeoutKind::Deadline, limit)))),
            None => next.await,
        }
    }
}

/// When a request body last moved, for the read timeout while sending.
#[derive(Clone)]
struct Progress {
    base: Instant,
    /// Milliseconds after `base` of the last chunk handed to the connection.
    last: Arc<AtomicU64>,
}

impl Progress {
    /// Progress as if the last byte moved `grace` from now.
    fn new(grace: Duration) -> Self {
        Progress {
            base: Instant::now(),
            last: Arc::new(AtomicU64::new(millis(grace))),
        }
    }

    fn last(&self) -> Instant {
        self.base + Duration::from_millis(self.last.load(Ordering::Relaxed))
    }

    /// `stream`, stamping the time each chunk is taken.
    fn track<S, E>(&self, stream: S) -> impl Stream<Item = Result<Bytes, E>> + Send + 'static
    where
        S: Stream<Item = Result<Bytes, E>> + Send + 'static,
    {
        let progress = self.clone();
        stream.inspect(move |_| {
            let now = millis(progress.base.elapsed());
            progress.last.fetch_max(now, Ordering::Relaxed);
        })
    }

    /// Resolves once nothing has moved for `read`.
    async fn stalled(&self, read: Duration) {
        loop {
            let due = self.last() + read;
            if Instant::now() >= due {
                return;
            }
            tokio::time::sleep_until(due).await;
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// An in-memory body as a stream of chunks (cheap: slices of one buffer).
fn chunks(bytes: &Bytes) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let bytes = bytes.clone();
    let count = bytes.len().div_ceil(SEND_CHUNK);
    futures_util::stream::iter((0..count).map(move |i| {
        let end = ((i + 1) * SEND_CHUNK).min(bytes.len());
        Ok(bytes.slice(i * SEND_CHUNK..end))
    }))
}

pub(crate) fn upload_parts(
    key: &str,
    len: Option<u64>,
    content_type: Option<String>,
    ops: Option<&PicOperations>,
) -> Result<RequestParts, Error> {
    let mut headers = Vec::new();
    if let Some(ct) = content_type {
        headers.push(("Content-Type".to_string(), ct));
    }
    if let Some(ops) = ops {
        headers.push((PIC_OPERATIONS_HEADER.to_string(), ops.to_json()));
    }
    Ok(RequestParts {
        method: "PUT",
        operation: if ops.is_some() {
            "PicOperations"
        } else {
            "PutObject"
        },
        mode: ops.map(|_| "upload"),
        host: HostKind::Cos,
        key: required_key(key)?,
        query: Vec::new(),
        headers,
        content_length: len,
    })
}

fn cloud_parts(key: &str, ops: &PicOperations) -> Result<RequestParts, Error> {
    Ok(RequestParts {
        method: "POST",
        operation: "ImageProcess",
        mode: Some("cloud"),
        host: HostKind::Cos,
        key: required_key(key)?,
        query: vec![("image_process".to_string(), String::new())],
        headers: vec![(PIC_OPERATIONS_HEADER.to_string(), ops.to_json())],
        content_length: Some(0),
    })
}

fn object_parts(method: &'static str, key: &str) -> Result<RequestParts, Error> {
    Ok(RequestParts {
        method,
        operation: match method {
            "GET" => "GetObject",
            "PUT" => "PutObject",
            "HEAD" => "HeadObject",
            _ => "DeleteObject",
        },
        mode: None,
        host: HostKind::Cos,
        key: required_key(key)?,
        query: Vec::new(),
        headers: Vec::new(),
        content_length: None,
    })
}

pub(crate) fn required_key(key: &str) -> Result<String, Error> {
    let invalid = |reason: String| Error::InvalidArgument {
        argument: "key",
        reason,
    };
    if key.trim_start_matches('/').is_empty() {
        return Err(invalid("an object key is required".to_string()));
    }
    // URLs normalise a path that is only a dot segment away; no encoding survives it.
    if matches!(key.trim_start_matches('/'), "." | "..") {
        return Err(invalid(format!(
            "the key {key:?} cannot be addressed over HTTP"
        )));
    }
    if key.len() > cos_ci_validate::MAX_KEY_BYTES {
        return Err(invalid(format!(
            "the key is {} bytes; COS keys are at most {}",
            key.len(),
            cos_ci_validate::MAX_KEY_BYTES
        )));
    }
    Ok(key.to_string())
}

pub(crate) fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

pub(crate) fn request_id(response: &reqwest::Response) -> Option<String> {
    header(response, "x-cos-request-id").or_else(|| header(response, "x-ci-request-id"))
}

pub(crate) fn object_info(response: &reqwest::Response) -> ObjectInfo {
    ObjectInfo {
        // The header, not the body's size hint: a HEAD answer has no body.
        size: header(response, "content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        etag: header(response, "etag"),
        content_type: header(response, "content-type"),
        last_modified: header(response, "last-modified"),
        request_id: request_id(response),
    }
}

fn too_large(max: u64, request_id: Option<String>) -> Error {
    Error::Decode {
        detail: format!("the answer is larger than {max} bytes; use a streaming call"),
        request_id,
    }
}

pub(crate) async fn read_limited(
    response: reqwest::Response,
    max: u64,
    request_id: &Option<String>,
    limits: Limits,
) -> Result<Bytes, Error> {
    if response.content_length().is_some_and(|n| n > max) {
        return Err(too_large(max, request_id.clone()));
    }
    let mut body = body_stream(response);
    let mut out = Vec::new();
    while let Some(chunk) = limits.next(&mut body).await {
        let chunk = chunk?;
        if (out.len() + chunk.len()) as u64 > max {
            return Err(too_large(max, request_id.clone()));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(out))
}

fn body_stream(response: reqwest::Response) -> BoxStream<'static, Result<Bytes, Error>> {
    Box::pin(response.bytes_stream().map(|r| r.map_err(Error::Transport)))
}

/// A streamed answer; every chunk within the read timeout and the call's deadline, and the
/// stream ends after the first error.
pub(crate) fn stream(response: reqwest::Response, limits: Limits) -> ImageStream {
    let content_type = header(&response, "content-type").unwrap_or_default();
    let content_length = response.content_length();
    let request_id = request_id(&response);
    let body = body_stream(response);
    let guarded = futures_util::stream::unfold(Some(body), move |body| async move {
        let mut body = body?;
        match limits.next(&mut body).await? {
            Ok(chunk) => Some((Ok(chunk), Some(body))),
            Err(e) => Some((Err(e), None)),
        }
    });
    ImageStream {
        content_type,
        content_length,
        request_id,
        stream: Box::pin(guarded),
    }
}

fn parse_xml<R: XmlDocument>(bytes: &[u8], request_id: Option<String>) -> Result<R, Error> {
    let text = std::str::from_utf8(bytes).map_err(|e| Error::Decode {
        detail: format!("the answer is not UTF-8: {e}"),
        request_id: request_id.clone(),
    })?;
    R::from_xml(text).map_err(|e| Error::Decode {
        detail: e.to_string(),
        request_id,
    })
}

async fn upload_result<R: XmlDocument>(
    response: reqwest::Response,
    max: u64,
    limits: Limits,
) -> Result<R, Error> {
    let request_id = request_id(&response);
    let bytes = read_limited(response, max, &request_id, limits).await?;
    parse_xml(&bytes, request_id)
}

/// Reads a COS error answer: the `<Error>` document, falling back to headers.
async fn service_error(response: reqwest::Response, limits: Limits) -> Error {
    let status = response.status().as_u16();
    let header_id = request_id(&response);
    let header_trace =
        header(&response, "x-cos-trace-id").or_else(|| header(&response, "x-ci-trace-id"));
    let body = read_limited(response, MAX_ERROR_BODY, &header_id, limits)
        .await
        .unwrap_or_default();
    let doc = std::str::from_utf8(&body)
        .ok()
        .and_then(|t| ErrorDocument::from_xml(t).ok());
    let non_empty = |s: String| (!s.is_empty()).then_some(s);
    let error = match doc {
        Some(doc) => ServiceError {
            status,
            code: ServiceCode::parse(&doc.code),
            message: doc.message,
            request_id: non_empty(doc.request_id).or(header_id),
            trace_id: doc.trace_id.and_then(non_empty).or(header_trace),
            resource: doc.resource.and_then(non_empty),
        },
        None => ServiceError {
            status,
            code: ServiceCode::parse(
                &reqwest::StatusCode::from_u16(status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("UnknownError")
                    .replace(' ', ""),
            ),
            message: String::from_utf8_lossy(&body)
                .trim()
                .chars()
                .take(200)
                .collect(),
            request_id: header_id,
            trace_id: header_trace,
            resource: None,
        },
    };
    Error::Service(Box::new(error))
}
