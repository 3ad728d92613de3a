//! The client: object transfer and the generic processing calls the generated per-operation
//! methods delegate to.

use std::time::{Duration, Instant};

use bytes::Bytes;
use cos_ci_validate::{
    ErrorDocument, HostKind, OpSpec, Operation, PIC_OPERATIONS_HEADER, ParamValues, PicOperations,
    UploadResult, XmlDocument,
};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use crate::body::{Body, Data};
use crate::config::{ClientBuilder, Config};
use crate::error::{Error, ServiceError};
use crate::request::{PreparedRequest, RequestParts};

/// Largest error document read from an answer.
const MAX_ERROR_BODY: u64 = 64 * 1024;

/// Where a download-processing call takes its image from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// An object in the bucket.
    Key(String),
    /// Any URL the service can fetch (`detect-url`).
    Url(String),
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
/// let stored = client.ai_super_resolution_cloud("photos/in.png", "big/out.png", &params).await?;
/// // A URL anyone can fetch for an hour.
/// let url = client.ai_super_resolution_url(Source::key("photos/in.png"), &params, std::time::Duration::from_secs(3600))?;
/// # let _ = (image, stored, url); Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    config: Config,
    http: reqwest::Client,
}

impl Client {
    /// A builder; see [`ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client for `config`.
    pub fn new(config: Config) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client { config, http })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The bucket's COS host name, sent as `Host`.
    pub fn host(&self) -> String {
        self.config.host_name(HostKind::Cos)
    }

    // ---- request preparation (pure) ----

    /// The signed request that runs `params` during download on `source`.
    pub fn prepare_download<O: Operation>(
        &self,
        source: &Source,
        params: &O,
    ) -> Result<PreparedRequest, Error> {
        let values = params.to_values();
        Ok(self
            .config
            .prepare(&self.download_parts(O::SPEC, &values, source)?))
    }

    /// The signed download request for dynamic `values` of `spec` (as the CLI builds them).
    pub fn prepare_download_values(
        &self,
        spec: &OpSpec,
        values: &ParamValues,
        source: &Source,
    ) -> Result<PreparedRequest, Error> {
        Ok(self
            .config
            .prepare(&self.download_parts(spec, values, source)?))
    }

    /// The signed upload request storing a `len`-byte body at `key` with `ops`.
    pub fn prepare_upload(
        &self,
        key: &str,
        len: u64,
        ops: &PicOperations,
    ) -> Result<PreparedRequest, Error> {
        Ok(self
            .config
            .prepare(&upload_parts(key, Some(len), None, Some(ops))?))
    }

    /// The signed cloud-processing request for `key` with `ops`.
    pub fn prepare_cloud(&self, key: &str, ops: &PicOperations) -> Result<PreparedRequest, Error> {
        Ok(self.config.prepare(&cloud_parts(key, ops)?))
    }

    fn download_parts(
        &self,
        spec: &OpSpec,
        values: &ParamValues,
        source: &Source,
    ) -> Result<RequestParts, Error> {
        spec.check(values)?;
        let mut query: Vec<(String, String)> = spec
            .encode_pairs(values)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        let (host, key) = match source {
            Source::Key(key) => {
                if key.trim_start_matches('/').is_empty() {
                    return Err(Error::Config(format!("{} needs an object key", spec.name)));
                }
                (HostKind::Cos, key.clone())
            }
            Source::Url(url) => {
                let Some(host) = spec.detect_url else {
                    return Err(Error::Config(format!(
                        "{} does not take a detect-url",
                        spec.name
                    )));
                };
                query.push(("detect-url".to_string(), url.clone()));
                (host, String::new())
            }
        };
        Ok(RequestParts {
            method: "GET",
            host,
            key,
            query,
            headers: Vec::new(),
            content_length: None,
        })
    }

    // ---- processing during download ----

    /// Runs any operation during download and buffers the image.
    pub async fn process<O: Operation>(
        &self,
        source: Source,
        params: &O,
    ) -> Result<ProcessedImage, Error> {
        self.process_values(O::SPEC, &params.to_values(), &source)
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
        let response = self.send(parts, None).await?;
        let content_type = header(&response, "content-type").unwrap_or_default();
        let request_id = request_id(&response);
        let bytes = read_limited(response, self.config.max_response_bytes, &request_id).await?;
        Ok(ProcessedImage {
            bytes,
            content_type,
            request_id,
        })
    }

    /// Runs any operation during download and streams the image.
    pub async fn process_stream<O: Operation>(
        &self,
        source: Source,
        params: &O,
    ) -> Result<ImageStream, Error> {
        let parts = self.download_parts(O::SPEC, &params.to_values(), &source)?;
        let response = self.send(parts, None).await?;
        Ok(stream(response))
    }

    /// Runs an operation whose answer is an XML document and parses it.
    pub async fn process_xml<O: Operation, R: XmlDocument>(
        &self,
        source: Source,
        params: &O,
    ) -> Result<R, Error> {
        let image = self.process(source, params).await?;
        parse_xml(&image.bytes, image.request_id)
    }

    /// A pre-signed URL that runs `params` on `source` when fetched.
    pub fn presign_process<O: Operation>(
        &self,
        source: Source,
        params: &O,
        expires: Duration,
    ) -> Result<String, Error> {
        self.presign_values(O::SPEC, &params.to_values(), &source, expires)
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
        Ok(self.config.presign(&parts, expires.as_secs().max(1)))
    }

    // ---- processing upon upload and in the cloud ----

    /// Uploads `body` to `key` and stores one processing result at `fileid`.
    pub async fn upload_with<O: Operation>(
        &self,
        key: &str,
        body: Body,
        fileid: &str,
        params: &O,
    ) -> Result<UploadResult, Error> {
        let ops = PicOperations::new().with_rule(fileid, params)?;
        self.put_object_with(key, body, &ops).await
    }

    /// Runs one rule on the stored `key` and stores the result at `fileid`.
    pub async fn cloud_with<O: Operation>(
        &self,
        key: &str,
        fileid: &str,
        params: &O,
    ) -> Result<UploadResult, Error> {
        let ops = PicOperations::new().with_rule(fileid, params)?;
        self.image_process(key, &ops).await
    }

    /// Uploads `body` to `key` with a whole Pic-Operations header (up to five rules of any
    /// operations, other buckets, `is_pic_info`).
    pub async fn put_object_with(
        &self,
        key: &str,
        body: Body,
        ops: &PicOperations,
    ) -> Result<UploadResult, Error> {
        let content_type = body.content_type.clone();
        let parts = upload_parts(key, Some(body.len()), content_type, Some(ops))?;
        let response = self.send(parts, Some(body)).await?;
        upload_result(response, self.config.max_response_bytes).await
    }

    /// Runs a whole Pic-Operations header on the stored `key` (`POST ?image_process`).
    pub async fn image_process(
        &self,
        key: &str,
        ops: &PicOperations,
    ) -> Result<UploadResult, Error> {
        let parts = cloud_parts(key, ops)?;
        let response = self.send(parts, None).await?;
        upload_result(response, self.config.max_response_bytes).await
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
        let response = self.send(parts, Some(body)).await?;
        Ok(PutObjectOutput {
            etag: header(&response, "etag"),
            request_id: request_id(&response),
        })
    }

    /// Fetches `key`, buffered.
    pub async fn get_object(&self, key: &str) -> Result<Object, Error> {
        let response = self.send(object_parts("GET", key)?, None).await?;
        let info = object_info(&response);
        let bytes =
            read_limited(response, self.config.max_response_bytes, &info.request_id).await?;
        Ok(Object { bytes, info })
    }

    /// Fetches `key` as a stream.
    pub async fn get_object_stream(&self, key: &str) -> Result<ImageStream, Error> {
        let response = self.send(object_parts("GET", key)?, None).await?;
        Ok(stream(response))
    }

    /// The metadata of `key`.
    pub async fn head_object(&self, key: &str) -> Result<ObjectInfo, Error> {
        let response = self.send(object_parts("HEAD", key)?, None).await?;
        Ok(object_info(&response))
    }

    /// Deletes `key` (no error when it does not exist).
    pub async fn delete_object(&self, key: &str) -> Result<(), Error> {
        self.send(object_parts("DELETE", key)?, None).await?;
        Ok(())
    }

    /// A pre-signed GET URL of `key`.
    pub fn presign_get_object(&self, key: &str, expires: Duration) -> Result<String, Error> {
        Ok(self
            .config
            .presign(&object_parts("GET", key)?, expires.as_secs().max(1)))
    }

    /// A pre-signed PUT URL of `key`: any HTTP client can upload to it (with any body and
    /// Content-Type; only the method, the path and `Host` are signed).
    pub fn presign_put_object(&self, key: &str, expires: Duration) -> Result<String, Error> {
        Ok(self
            .config
            .presign(&object_parts("PUT", key)?, expires.as_secs().max(1)))
    }

    // ---- transport ----

    /// Sends with retries; a non-2xx answer becomes [`Error::Service`]. A streamed body is
    /// sent once: it cannot be replayed.
    pub(crate) async fn send(
        &self,
        parts: RequestParts,
        body: Option<Body>,
    ) -> Result<reqwest::Response, Error> {
        let policy = self.config.retry;
        let started = Instant::now();
        let (bytes, mut stream) = match body.map(|b| b.data) {
            Some(Data::Bytes(b)) => (Some(b), None),
            Some(Data::Stream { stream, .. }) => (None, Some(stream)),
            None => (None, None),
        };
        let replayable = stream.is_none();
        let method = reqwest::Method::from_bytes(parts.method.as_bytes())
            .map_err(|e| Error::Config(format!("method {}: {e}", parts.method)))?;
        let mut attempt = 1;
        loop {
            // Signed afresh on every attempt, so a retry never carries a stale signature.
            let prepared = self.config.prepare(&parts);
            let mut request = self.http.request(method.clone(), &prepared.url);
            for (k, v) in &prepared.headers {
                request = request.header(k.as_str(), v.as_str());
            }
            if let Some(b) = &bytes {
                request = request.body(b.clone());
            } else if let Some(s) = stream.take() {
                request = request.body(reqwest::Body::wrap_stream(s));
            }
            let error = match request.send().await {
                Ok(response) if response.status().is_success() => return Ok(response),
                Ok(response) => service_error(response).await,
                Err(e) => transport(e),
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
        host: HostKind::Cos,
        key: required_key(key)?,
        query: Vec::new(),
        headers: Vec::new(),
        content_length: None,
    })
}

pub(crate) fn required_key(key: &str) -> Result<String, Error> {
    if key.trim_start_matches('/').is_empty() {
        return Err(Error::Config("an object key is required".to_string()));
    }
    // URLs normalise a path that is only a dot segment away; no encoding survives it.
    if matches!(key.trim_start_matches('/'), "." | "..") {
        return Err(Error::Config(format!(
            "the key {key:?} cannot be addressed over HTTP"
        )));
    }
    if key.len() > cos_ci_validate::MAX_KEY_BYTES {
        return Err(Error::Config(format!(
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
    mut response: reqwest::Response,
    max: u64,
    request_id: &Option<String>,
) -> Result<Bytes, Error> {
    if response.content_length().is_some_and(|n| n > max) {
        return Err(too_large(max, request_id.clone()));
    }
    let mut out = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if (out.len() + chunk.len()) as u64 > max {
            return Err(too_large(max, request_id.clone()));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(out))
}

pub(crate) fn transport(e: reqwest::Error) -> Error {
    if e.is_timeout() {
        Error::Timeout(e.to_string())
    } else {
        Error::Transport(e)
    }
}

fn stream(response: reqwest::Response) -> ImageStream {
    ImageStream {
        content_type: header(&response, "content-type").unwrap_or_default(),
        content_length: response.content_length(),
        request_id: request_id(&response),
        stream: Box::pin(response.bytes_stream().map(|r| r.map_err(transport))),
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

async fn upload_result(response: reqwest::Response, max: u64) -> Result<UploadResult, Error> {
    let request_id = request_id(&response);
    let bytes = read_limited(response, max, &request_id).await?;
    parse_xml(&bytes, request_id)
}

/// Reads a COS error answer: the `<Error>` document, falling back to headers.
async fn service_error(response: reqwest::Response) -> Error {
    let status = response.status().as_u16();
    let header_id = request_id(&response);
    let header_trace =
        header(&response, "x-cos-trace-id").or_else(|| header(&response, "x-ci-trace-id"));
    let body = read_limited(response, MAX_ERROR_BODY, &header_id)
        .await
        .unwrap_or_default();
    let doc = std::str::from_utf8(&body)
        .ok()
        .and_then(|t| ErrorDocument::from_xml(t).ok());
    let non_empty = |s: String| (!s.is_empty()).then_some(s);
    let error = match doc {
        Some(doc) => ServiceError {
            status,
            code: doc.code,
            message: doc.message,
            request_id: non_empty(doc.request_id).or(header_id),
            trace_id: doc.trace_id.and_then(non_empty).or(header_trace),
            resource: doc.resource.and_then(non_empty),
        },
        None => ServiceError {
            status,
            code: reqwest::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("UnknownError")
                .replace(' ', ""),
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
