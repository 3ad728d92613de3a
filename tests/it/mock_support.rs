//! The mock's test-support API (request log, reset, injected faults), addressing, Range GET,
//! error documents, the `Server` header, ignore-error, and detect-url fetching — plus the raw
//! HTTP helpers the other `mock_*` modules share.

// Helpers outside #[test] functions too: a panic is how they report a failure.
#![allow(clippy::unwrap_used)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cos_ci_client::ai_enhance_image::AiEnhanceImage;
use cos_ci_client::ai_super_resolution::AiSuperResolution;
use cos_ci_client::{Client, Credentials, Error, OpSpec, ParamValues, RetryPolicy, Source};
use cos_ci_mock::{Config, Fault, MockServer, RecordedRequest};
use cos_ci_sign::{KeyTime, SignInput, Signer};
use cos_ci_tests::{dimensions, sample_png};
use cos_ci_validate::{ErrorDocument, ParamKind, Value, XmlDocument};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The virtual-hosted Host of `server`'s default bucket.
pub(crate) fn bucket_host(server: &MockServer) -> String {
    format!("{}.cos.{}.myqcloud.com", server.bucket(), server.region())
}

// ---- shared helpers ----

/// The longest any single step of these tests may take.
pub(crate) const STEP: Duration = Duration::from_secs(60);

/// Awaits `f`, failing the test instead of hanging past [`STEP`].
pub(crate) async fn bounded<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(STEP, f)
        .await
        .expect("a step of the test took longer than 60 s")
}

/// A configuration on a free loopback port.
pub(crate) fn config() -> Config {
    Config {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        ..Config::default()
    }
}

/// A client of the default bucket signing as `id` / `key`, without retries.
pub(crate) fn client_as(server: &MockServer, id: &str, key: &str) -> Client {
    Client::builder()
        .region(server.region())
        .bucket(server.bucket())
        .credentials(Credentials::new(id, key))
        .endpoint(server.endpoint())
        .scheme("http")
        .retry(RetryPolicy::none())
        .request_timeout(STEP)
        .build()
        .unwrap()
}

/// A client signing as the bucket owner, without retries.
pub(crate) fn owner(server: &MockServer) -> Client {
    client_as(server, server.secret_id(), server.secret_key())
}

/// The service error of a failed call: `(status, code)`.
pub(crate) fn service(err: &Error) -> (u16, &str) {
    match err.service() {
        Some(e) => (e.status, e.code.as_str()),
        None => panic!("expected a service error, got {err}"),
    }
}

/// A plain reqwest client that never uses a proxy.
pub(crate) fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(STEP)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// An answer read whole.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    async fn read(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.unwrap().to_vec();
        Answer {
            status,
            headers,
            body,
        }
    }

    /// The value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The `<Error>` document of the answer.
    pub fn error(&self) -> ErrorDocument {
        ErrorDocument::from_xml(&self.text())
            .unwrap_or_else(|e| panic!("not an error document ({e}): {}", self.text()))
    }

    /// Asserts a COS error answer with `status` and `code`, and returns its document.
    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str) -> ErrorDocument {
        assert_eq!(
            (self.status, self.error().code.as_str()),
            (status, code),
            "{}",
            self.text()
        );
        self.error()
    }
}

/// A hand-built request: any Host, raw path, query and headers, signed (or not) with the
/// same algorithm as the SDKs.
pub(crate) struct Req {
    method: String,
    host: String,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    creds: Option<(String, String)>,
    key_time: Option<KeyTime>,
}

impl Req {
    /// `method` on `key` of the server's default bucket, virtual-hosted, signed as the owner.
    pub fn new(server: &MockServer, method: &str, key: &str) -> Self {
        Req {
            method: method.to_string(),
            host: bucket_host(server),
            path: cos_ci_sign::encode_key_path(key),
            query: Vec::new(),
            headers: Vec::new(),
            body: Vec::new(),
            creds: Some((
                server.secret_id().to_string(),
                server.secret_key().to_string(),
            )),
            key_time: None,
        }
    }

    /// The Host header sent.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = host.into();
        self
    }

    /// The raw (percent-encoded) path sent.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: &str, value: &str) -> Self {
        self.query.push((name.to_string(), value.to_string()));
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// The body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Signs with these credentials.
    pub fn creds(mut self, id: &str, key: &str) -> Self {
        self.creds = Some((id.to_string(), key.to_string()));
        self
    }

    /// Sends no signature at all.
    pub fn anonymous(mut self) -> Self {
        self.creds = None;
        self
    }

    /// Sends the request to `server` and reads the answer.
    pub async fn send(self, server: &MockServer) -> Answer {
        let mut headers = vec![("Host".to_string(), self.host.clone())];
        headers.extend(self.headers.iter().cloned());
        if let Some((id, key)) = &self.creds {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs();
            let signed = cos_ci_sign::signable_headers(&headers);
            let path = cos_ci_sign::decode_path(&self.path).unwrap_or_else(|_| self.path.clone());
            let auth = Signer {
                secret_id: id,
                secret_key: key,
            }
            .sign(
                self.key_time
                    .unwrap_or_else(|| KeyTime::new(now - 60, now + 3600)),
                &SignInput {
                    method: &self.method,
                    path: &path,
                    params: &self.query,
                    headers: &signed,
                },
            );
            headers.push(("Authorization".to_string(), auth.to_header_value()));
        }
        let mut url = format!("{}{}", server.endpoint(), self.path);
        if !self.query.is_empty() {
            let pairs: Vec<String> = self
                .query
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}={}",
                        cos_ci_sign::form_encode(k),
                        cos_ci_sign::form_encode(v)
                    )
                })
                .collect();
            url = format!("{url}?{}", pairs.join("&"));
        }
        let method = reqwest::Method::from_bytes(self.method.as_bytes()).unwrap();
        let mut request = http().request(method, &url);
        for (k, v) in &headers {
            request = request.header(k.as_str(), v.as_str());
        }
        let response = bounded(request.body(self.body).send()).await.unwrap();
        bounded(Answer::read(response)).await
    }
}

/// A test-support request: `method` on `/_mock/<path>`.
pub(crate) async fn admin(
    server: &MockServer,
    method: reqwest::Method,
    path: &str,
    body: &str,
) -> Answer {
    let url = format!("{}/_mock/{path}", server.endpoint());
    let response = bounded(http().request(method, url).body(body.to_string()).send())
        .await
        .unwrap();
    bounded(Answer::read(response)).await
}

/// Values for `spec` with every required parameter set to its smallest allowed value; the
/// rest are left to their defaults.
pub(crate) fn required_values(spec: &OpSpec) -> ParamValues {
    let mut values = ParamValues::new();
    for p in spec.params.iter().filter(|p| p.required) {
        let value = match p.kind {
            ParamKind::Integer { min, .. } => Value::Int(min),
            ParamKind::IntegerSet(set) => Value::Int(set[0]),
            ParamKind::Number { min, .. } => Value::Number(min),
            ParamKind::Flag => Value::Flag(false),
            ParamKind::Text { values, .. } => {
                Value::Text(values.first().unwrap_or(&"x").to_string())
            }
            ParamKind::Pair { min, .. } => Value::Pair(min, min),
            // Every word, so each answer part a word asks for is there to check.
            ParamKind::List { values, .. } => Value::list(values.iter().copied()),
            // No member set: `{}`, the smallest object.
            ParamKind::Json { .. } => Value::Json(Vec::new()),
        };
        values.set(p.name, value);
    }
    satisfy_relations(spec, &mut values);
    values
}

/// A valid value of `p`: the smallest allowed one, the first of a set.
pub(crate) fn some_value(p: &cos_ci_validate::ParamSpec) -> Value {
    match p.kind {
        ParamKind::Integer { min, .. } => Value::Int(min),
        ParamKind::IntegerSet(set) => Value::Int(set[0]),
        ParamKind::Number { min, .. } => Value::Number(min),
        ParamKind::Flag => Value::Flag(false),
        ParamKind::Text { values, .. } => Value::Text(values.first().unwrap_or(&"x").to_string()),
        ParamKind::Pair { min, .. } => Value::Pair(min, min),
        ParamKind::List { values, .. } => Value::list(values.iter().copied()),
        ParamKind::Json { .. } => Value::Json(Vec::new()),
    }
}

/// Adds what the operation's relations require and `values` lacks: one parameter of each
/// `at_least_one` set (the last, so the winner's precedence is not what makes it pass), and
/// each parameter another one's value requires.
pub(crate) fn satisfy_relations(spec: &OpSpec, values: &mut ParamValues) {
    for relation in spec.relations {
        let wanted = match *relation {
            cos_ci_validate::Relation::AtLeastOne { params, .. } => {
                if params.iter().any(|p| values.get(p).is_some()) {
                    continue;
                }
                params.last().copied()
            }
            cos_ci_validate::Relation::RequiredWhen { param, .. } => Some(param),
            _ => None,
        };
        let Some(p) = wanted.and_then(|name| spec.param(name)) else {
            continue;
        };
        if values.get(p.name).is_none() {
            values.set(p.name, some_value(p));
        }
    }
}

/// A PNG of noise: it does not compress, so its size is about `3 * w * h` bytes.
pub(crate) fn noise_png(w: u32, h: u32) -> Vec<u8> {
    let mut state: u32 = 0x9e37_79b9;
    let img = image::RgbImage::from_fn(w, h, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [a, b, c, _] = state.to_le_bytes();
        image::Rgb([a, b, c])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

/// What the detect-url origin answers.
pub(crate) enum Serve {
    /// 200 with this body and its Content-Length.
    Body(Vec<u8>),
    /// 200 with this body and no Content-Length (the end is the connection's close).
    Unsized(Vec<u8>),
    /// Reads the request and never answers.
    Silent,
    /// 302 to this location.
    Redirect(String),
}

/// A tiny HTTP/1.1 server on a loopback port standing in for a detect-url origin.
pub(crate) struct Origin {
    pub addr: SocketAddr,
    pub hits: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Origin {
    /// A URL on this origin.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Connections accepted so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for Origin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts an origin answering every request with `serve`.
pub(crate) async fn origin(serve: Serve) -> Origin {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let serve = Arc::new(serve);
    let task = tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let serve = serve.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut chunk = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 16 * 1024 {
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&chunk[..n]),
                    }
                }
                let (head, body): (String, &[u8]) = match &*serve {
                    Serve::Body(b) => (
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            b.len()
                        ),
                        b,
                    ),
                    Serve::Unsized(b) => (
                        "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nConnection: close\r\n\r\n"
                            .to_string(),
                        b,
                    ),
                    Serve::Redirect(to) => (
                        format!(
                            "HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        ),
                        &[],
                    ),
                    Serve::Silent => {
                        tokio::time::sleep(STEP).await;
                        return;
                    }
                };
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(body).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    Origin { addr, hits, task }
}

// ---- request log and reset ----

#[tokio::test]
async fn request_log_records_every_request_and_reset_forgets() {
    let server = MockServer::start().await.unwrap();
    let client = owner(&server);
    let png = sample_png(16, 12);
    client.put_object("log/in.png", png.clone()).await.unwrap();
    let got = client.get_object("log/in.png").await.unwrap();
    client
        .ai_super_resolution("log/in.png", &AiSuperResolution::new())
        .await
        .unwrap();
    client
        .upload_with(
            "log/up.png",
            png.clone(),
            "r.png",
            &AiSuperResolution::new(),
        )
        .await
        .unwrap();
    client
        .cloud_with("log/in.png", "e.png", &AiEnhanceImage::new())
        .await
        .unwrap();
    let err = client.get_object("log/missing.png").await.unwrap_err();

    let log = server.requests();
    assert_eq!(log.len(), 6, "{log:#?}");
    // (method, action, key, mode, status, error code)
    type Row<'a> = (
        &'a str,
        &'a str,
        &'a str,
        Option<&'a str>,
        u16,
        Option<&'a str>,
    );
    let summary: Vec<Row> = log
        .iter()
        .map(|r| {
            (
                r.method.as_str(),
                r.action.as_str(),
                r.key.as_str(),
                r.mode.as_deref(),
                r.status,
                r.error_code.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("PUT", "PutObject", "log/in.png", None, 200, None),
            ("GET", "GetObject", "log/in.png", None, 200, None),
            (
                "GET",
                "CiProcess",
                "log/in.png",
                Some("download"),
                200,
                None
            ),
            ("PUT", "PutObject", "log/up.png", Some("upload"), 200, None),
            (
                "POST",
                "ImageProcess",
                "log/in.png",
                Some("cloud"),
                200,
                None
            ),
            (
                "GET",
                "GetObject",
                "log/missing.png",
                None,
                404,
                Some("NoSuchKey")
            ),
        ]
    );
    assert!(log.iter().all(|r| r.bucket == server.bucket()));
    assert_eq!(log[2].operations, ["AISuperResolution"]);
    assert_eq!(log[3].operations, ["AISuperResolution"]);
    assert_eq!(log[4].operations, ["AIEnhanceImage"]);
    assert!(log[2].query.contains("ci-process=AISuperResolution"));
    assert!(
        log[0]
            .headers
            .iter()
            .any(|(k, v)| k == "authorization" && v.starts_with("q-sign-algorithm=sha1"))
    );
    // The log names the request ids the answers carried.
    assert_eq!(
        Some(log[1].request_id.as_str()),
        got.info.request_id.as_deref()
    );
    assert_eq!(Some(log[5].request_id.as_str()), err.request_id());

    // Over HTTP: the same log, and the test-support requests themselves are not in it.
    let answer = admin(&server, reqwest::Method::GET, "requests", "").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    let over_http: Vec<RecordedRequest> = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(over_http, log);
    assert_eq!(server.requests().len(), 6);

    // reset() forgets objects, the log and pending faults.
    server.inject_fault(Fault::error(Some("GetObject"), 500, "InternalError"));
    server.reset().await.unwrap();
    assert!(server.requests().is_empty());
    assert!(
        server
            .storage()
            .list_keys(server.bucket())
            .await
            .unwrap()
            .is_empty()
    );
    let err = client.get_object("log/in.png").await.unwrap_err();
    assert_eq!(service(&err), (404, "NoSuchKey"), "the fault went too");
    assert_eq!(server.requests().len(), 1);

    // POST /_mock/reset does the same.
    client.put_object("again.png", png).await.unwrap();
    server.inject_fault(Fault::error(None, 503, "SlowDown"));
    let answer = admin(&server, reqwest::Method::POST, "reset", "").await;
    assert_eq!((answer.status, answer.text().trim()), (200, "reset"));
    assert!(server.requests().is_empty());
    let answer = admin(&server, reqwest::Method::GET, "faults", "").await;
    assert_eq!(
        serde_json::from_slice::<Vec<Fault>>(&answer.body).unwrap(),
        []
    );
    let err = client.get_object("again.png").await.unwrap_err();
    assert_eq!(service(&err), (404, "NoSuchKey"));
}

// ---- injected faults ----

#[tokio::test]
async fn faults_answer_the_next_n_matching_requests() {
    let server = MockServer::start().await.unwrap();
    let client = owner(&server);
    let png = sample_png(16, 12);
    server.inject_fault(Fault::error(Some("GetObject"), 503, "SlowDown").times(2));

    // A PUT does not match a GetObject fault.
    client.put_object("f/in.png", png.clone()).await.unwrap();
    for _ in 0..2 {
        let err = client.get_object("f/in.png").await.unwrap_err();
        assert_eq!(service(&err), (503, "SlowDown"));
        let e = err.service().unwrap();
        assert_eq!(e.message, "injected fault");
        assert!(e.request_id.is_some() && e.trace_id.is_some());
        assert!(err.is_retryable());
    }
    assert_eq!(
        client.get_object("f/in.png").await.unwrap().bytes.as_ref(),
        png.as_slice(),
        "the fault applied twice only"
    );
    assert!(server.requests().iter().filter(|r| r.status == 503).count() == 2);

    // By operation name and mode: only upload-time super-resolution is hit.
    server.inject_fault(Fault {
        operation: Some("AISuperResolution".into()),
        mode: Some("upload".into()),
        times: 1,
        status: Some(500),
        code: Some("InternalError".into()),
        message: Some("upload broke".into()),
        delay_ms: None,
    });
    let out = client
        .ai_super_resolution("f/in.png", &AiSuperResolution::new())
        .await
        .unwrap();
    assert_eq!(dimensions(&out.bytes).map(|d| (d.0, d.1)), Some((32, 24)));
    client
        .upload_with("f/e.png", png.clone(), "e2.png", &AiEnhanceImage::new())
        .await
        .unwrap();
    let err = client
        .upload_with(
            "f/sr.png",
            png.clone(),
            "sr2.png",
            &AiSuperResolution::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(service(&err), (500, "InternalError"));
    assert_eq!(err.service().unwrap().message, "upload broke");
    // A faulted request never reached the handler: nothing was stored.
    let err = client.get_object("f/sr.png").await.unwrap_err();
    assert_eq!(service(&err), (404, "NoSuchKey"));
    client
        .upload_with("f/sr.png", png, "sr2.png", &AiSuperResolution::new())
        .await
        .unwrap();

    // Delay only: the answer is the real one, after the delay. A client that gives up sooner
    // times out; the fault is then used up.
    server.inject_fault(
        Fault {
            operation: Some("HeadObject".into()),
            mode: None,
            times: 1,
            status: None,
            code: None,
            message: None,
            delay_ms: None,
        }
        .delay(Duration::from_secs(5)),
    );
    client.put_object("d.png", sample_png(4, 4)).await.unwrap();
    let impatient = Client::builder()
        .region(server.region())
        .bucket(server.bucket())
        .credentials(Credentials::new(server.secret_id(), server.secret_key()))
        .endpoint(server.endpoint())
        .retry(RetryPolicy::none())
        .request_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let err = bounded(impatient.head_object("d.png")).await.unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err}");
    let admin_faults = admin(&server, reqwest::Method::GET, "faults", "").await;
    assert_eq!(
        serde_json::from_slice::<Vec<Fault>>(&admin_faults.body).unwrap(),
        []
    );
    let head = bounded(impatient.head_object("d.png")).await.unwrap();
    assert!(head.size > 0);
}

#[tokio::test]
async fn faults_over_http() {
    let server = MockServer::start().await.unwrap();
    let client = owner(&server);
    use reqwest::Method;

    let health = admin(&server, Method::GET, "health", "").await;
    assert_eq!((health.status, health.text().trim()), (200, "ok"));

    let fault = r#"{"operation": "PutObject", "times": 2, "status": 503, "code": "SlowDown", "message": "busy", "delay_ms": 10}"#;
    let added = admin(&server, Method::POST, "faults", fault).await;
    assert_eq!(added.status, 200, "{}", added.text());
    server.inject_fault(Fault::error(Some("DeleteObject"), 500, "InternalError"));
    let listed = admin(&server, Method::GET, "faults", "").await;
    let faults: Vec<Fault> = serde_json::from_slice(&listed.body).unwrap();
    assert_eq!(faults.len(), 2);
    assert_eq!(
        (
            faults[0].operation.as_deref(),
            faults[0].times,
            faults[0].status
        ),
        (Some("PutObject"), 2, Some(503))
    );
    assert_eq!(faults[0].delay_ms, Some(10));
    assert_eq!(faults[1].code.as_deref(), Some("InternalError"));

    // The error document of an injected fault is a complete COS error.
    let answer = Req::new(&server, "PUT", "x.png")
        .body(sample_png(4, 4))
        .send(&server)
        .await;
    let doc = answer.expect_error(503, "SlowDown");
    assert_eq!(doc.message, "busy");
    assert_eq!(
        doc.resource.clone().unwrap_or_default(),
        format!("{}.cos.ap-guangzhou.myqcloud.com/x.png", server.bucket())
    );
    assert_eq!(
        Some(doc.request_id.as_str()),
        answer.header("x-cos-request-id")
    );
    let listed = admin(&server, Method::GET, "faults", "").await;
    let faults: Vec<Fault> = serde_json::from_slice(&listed.body).unwrap();
    assert_eq!(faults[0].times, 1, "one use taken");

    // DELETE drops every pending fault.
    let cleared = admin(&server, Method::DELETE, "faults", "").await;
    assert_eq!(cleared.status, 200);
    let listed = admin(&server, Method::GET, "faults", "").await;
    assert_eq!(
        serde_json::from_slice::<Vec<Fault>>(&listed.body).unwrap(),
        []
    );
    client.put_object("x.png", sample_png(4, 4)).await.unwrap();
    client.delete_object("x.png").await.unwrap();

    // Bad fault descriptions and unknown paths are refused clearly.
    for bad in [
        "not json",
        r#"{"operation": "GetObject", "colour": "red"}"#,
        r#"{"status": "five hundred"}"#,
    ] {
        let answer = admin(&server, Method::POST, "faults", bad).await;
        assert_eq!(answer.status, 400, "{bad}");
        assert!(answer.text().contains("not a fault"), "{}", answer.text());
    }
    let listed = admin(&server, Method::GET, "faults", "").await;
    assert_eq!(
        serde_json::from_slice::<Vec<Fault>>(&listed.body).unwrap(),
        []
    );
    let unknown = admin(&server, Method::GET, "nothing-here", "").await;
    assert_eq!(unknown.status, 404);
    assert!(
        unknown.text().contains("/_mock/health"),
        "{}",
        unknown.text()
    );
    let wrong_method = admin(&server, Method::PUT, "reset", "").await;
    assert_eq!(wrong_method.status, 404);
}

// ---- addressing ----

#[tokio::test]
async fn addressing_takes_the_bucket_from_host_or_path() {
    let other = "otherbucket-1250000000";
    let server = MockServer::start_with(Config {
        buckets: vec!["examplebucket-1250000000".into(), other.into()],
        ..config()
    })
    .await
    .unwrap();
    let default = server.bucket().to_string();
    let ip_host = server.addr().to_string();
    let cases: Vec<(String, &str, &str, &str)> = vec![
        // (Host, raw path, bucket stored in, key stored as)
        (
            format!("{other}.cos.ap-guangzhou.myqcloud.com"),
            "/v.txt",
            other,
            "v.txt",
        ),
        (
            format!("{default}.cos.ap-guangzhou.myqcloud.com:9000"),
            "/port.txt",
            &default,
            "port.txt",
        ),
        (
            format!("{other}.pic.ap-guangzhou.myqcloud.com"),
            "/pic.txt",
            other,
            "pic.txt",
        ),
        (ip_host.clone(), "/ip/a.txt", &default, "ip/a.txt"),
        ("localhost".into(), "/local.txt", &default, "local.txt"),
        (
            ip_host.clone(),
            "/otherbucket-1250000000/path/style.txt",
            other,
            "path/style.txt",
        ),
        (
            ip_host.clone(),
            "/examplebucket-1250000000/p2.txt",
            &default,
            "p2.txt",
        ),
    ];
    for (i, (host, path, _, _)) in cases.iter().enumerate() {
        let answer = Req::new(&server, "PUT", "")
            .host(host.as_str())
            .path(*path)
            .body(format!("body {i}"))
            .send(&server)
            .await;
        assert_eq!(answer.status, 200, "{host} {path}: {}", answer.text());
    }
    for (i, (host, path, bucket, key)) in cases.iter().enumerate() {
        let stored = server.storage().get(bucket, key, None).await;
        let stored = stored.unwrap_or_else(|e| panic!("{host} {path}: {e}"));
        let bytes = stored.body.into_bytes(1024).await.unwrap();
        assert_eq!(
            bytes.as_ref(),
            format!("body {i}").as_bytes(),
            "{host} {path}"
        );
    }
    assert_eq!(
        server.storage().list_keys(other).await.unwrap(),
        ["path/style.txt", "pic.txt", "v.txt"]
    );
    assert_eq!(
        server.storage().list_keys(&default).await.unwrap(),
        ["ip/a.txt", "local.txt", "p2.txt", "port.txt"]
    );

    // Read back through another style than the one that wrote.
    let answer = Req::new(&server, "GET", "")
        .host(ip_host.as_str())
        .path("/otherbucket-1250000000/v.txt")
        .send(&server)
        .await;
    assert_eq!((answer.status, answer.text()), (200, "body 0".to_string()));
    let answer = Req::new(&server, "GET", "ip/a.txt").send(&server).await;
    assert_eq!((answer.status, answer.text()), (200, "body 3".to_string()));

    // A virtual-hosted bucket that does not exist.
    let answer = Req::new(&server, "GET", "v.txt")
        .host("nosuchbucket-1250000000.cos.ap-guangzhou.myqcloud.com")
        .send(&server)
        .await;
    let doc = answer.expect_error(404, "NoSuchBucket");
    assert!(
        doc.message.contains("nosuchbucket-1250000000"),
        "{}",
        doc.message
    );
    assert_eq!(
        doc.resource.clone().unwrap_or_default(),
        "nosuchbucket-1250000000.cos.ap-guangzhou.myqcloud.com/v.txt"
    );
    let answer = Req::new(&server, "PUT", "v.txt")
        .host("nosuchbucket-1250000000.cos.ap-guangzhou.myqcloud.com:80")
        .body("x")
        .send(&server)
        .await;
    answer.expect_error(404, "NoSuchBucket");
    // A path whose first segment is not a configured bucket is a key in the default bucket.
    let answer = Req::new(&server, "GET", "")
        .host(ip_host.as_str())
        .path("/nosuchbucket-1250000000/v.txt")
        .send(&server)
        .await;
    answer.expect_error(404, "NoSuchKey");
}

// ---- Range ----

#[tokio::test]
async fn range_get_answers_206_or_416() {
    let server = MockServer::start().await.unwrap();
    let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
    owner(&server)
        .put_object("range.bin", data.clone())
        .await
        .unwrap();
    for (range, start, end) in [
        ("bytes=0-9", 0usize, 9usize),
        ("bytes=990-", 990, 999),
        ("bytes=-4", 996, 999),
        ("bytes=995-5000", 995, 999),
        ("bytes=500-500", 500, 500),
    ] {
        let answer = Req::new(&server, "GET", "range.bin")
            .header("Range", range)
            .send(&server)
            .await;
        assert_eq!(answer.status, 206, "{range}");
        assert_eq!(
            answer.header("content-range"),
            Some(format!("bytes {start}-{end}/1000").as_str()),
            "{range}"
        );
        assert_eq!(answer.body, &data[start..=end], "{range}");
        assert_eq!(
            answer.header("content-length"),
            Some((end - start + 1).to_string().as_str())
        );
        assert!(answer.header("x-cos-request-id").is_some());
    }
    for range in ["bytes=1000-", "bytes=5000-6000", "bytes=-0"] {
        let answer = Req::new(&server, "GET", "range.bin")
            .header("Range", range)
            .send(&server)
            .await;
        let doc = answer.expect_error(416, "InvalidRange");
        assert!(!doc.request_id.is_empty(), "{range}");
    }
    // A Range that does not parse is ignored: the whole object.
    for range in ["bytes=abc", "items=0-1", "bytes=9-3", "bytes=0-1,5-6"] {
        let answer = Req::new(&server, "GET", "range.bin")
            .header("Range", range)
            .send(&server)
            .await;
        assert_eq!((answer.status, answer.body.len()), (200, 1000), "{range}");
        assert_eq!(answer.header("content-range"), None);
    }
    let answer = Req::new(&server, "GET", "range.bin").send(&server).await;
    assert_eq!(answer.header("accept-ranges"), Some("bytes"));
    // A Range on a missing object is still NoSuchKey.
    let answer = Req::new(&server, "GET", "nothing.bin")
        .header("Range", "bytes=0-1")
        .send(&server)
        .await;
    answer.expect_error(404, "NoSuchKey");
}

// ---- error documents, request ids, Server ----

#[tokio::test]
async fn every_answer_has_a_request_id_and_errors_a_full_document() {
    let server = MockServer::start().await.unwrap();
    let png = sample_png(8, 8);
    let mut ids = Vec::new();

    let ops = r#"{"rules":[{"fileid":"o.png","rule":"ci-process=AIImageColoring"}]}"#;
    let successes = [
        Req::new(&server, "PUT", "e/in.png").body(png.clone()),
        Req::new(&server, "GET", "e/in.png"),
        Req::new(&server, "HEAD", "e/in.png"),
        Req::new(&server, "GET", "e/in.png").header("Range", "bytes=0-3"),
        Req::new(&server, "GET", "e/in.png").query("ci-process", "AIImageColoring"),
        Req::new(&server, "PUT", "e/up.png")
            .header("Pic-Operations", ops)
            .body(png.clone()),
        Req::new(&server, "POST", "e/in.png")
            .query("image_process", "")
            .header("Pic-Operations", ops),
        Req::new(&server, "DELETE", "e/up.png"),
    ];
    for req in successes {
        let answer = req.send(&server).await;
        assert!(answer.status < 300, "{}", answer.text());
        let id = answer.header("x-cos-request-id").expect("x-cos-request-id");
        assert!(!id.is_empty());
        ids.push(id.to_string());
        assert_eq!(
            answer.header("x-cos-trace-id"),
            None,
            "only errors carry a trace id"
        );
        assert!(answer.header("date").is_some());
    }

    let failures = [
        (
            Req::new(&server, "GET", "e/missing.png"),
            404,
            "NoSuchKey",
            "e/missing.png",
        ),
        (
            Req::new(&server, "GET", "e/in.png").query("ci-process", "NoSuchThing"),
            400,
            "InvalidArgument",
            "e/in.png",
        ),
        (
            Req::new(&server, "PATCH", "e/in.png"),
            405,
            "MethodNotAllowed",
            "e/in.png",
        ),
        (
            Req::new(&server, "GET", "e/in.png").creds("AKIDNOBODY", "x"),
            403,
            "InvalidAccessKeyId",
            "e/in.png",
        ),
    ];
    for (req, status, code, key) in failures {
        let answer = req.send(&server).await;
        let doc = answer.expect_error(status, code);
        assert_eq!(answer.header("content-type"), Some("application/xml"));
        assert!(!doc.message.is_empty(), "{code}");
        assert_eq!(
            doc.resource.clone().unwrap_or_default(),
            format!("{}.cos.ap-guangzhou.myqcloud.com/{key}", server.bucket())
        );
        assert_eq!(
            Some(doc.request_id.as_str()),
            answer.header("x-cos-request-id")
        );
        let trace = doc.trace_id.clone().expect("TraceId");
        assert!(!trace.is_empty());
        assert_eq!(Some(trace.as_str()), answer.header("x-cos-trace-id"));
        assert!(answer.text().starts_with("<?xml"), "{}", answer.text());
        ids.push(doc.request_id);
    }
    // HEAD errors have no body but the same headers.
    let answer = Req::new(&server, "HEAD", "e/missing.png")
        .send(&server)
        .await;
    assert_eq!(answer.status, 404);
    assert!(answer.body.is_empty());
    ids.push(answer.header("x-cos-request-id").unwrap().to_string());
    assert!(answer.header("x-cos-trace-id").is_some());

    let unique: std::collections::HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "request ids repeat: {ids:?}");
    let logged: Vec<String> = server
        .requests()
        .into_iter()
        .map(|r| r.request_id)
        .collect();
    assert_eq!(logged, ids);
}

#[tokio::test]
async fn processing_answers_say_server_tencent_ci() {
    let server = MockServer::start().await.unwrap();
    let png = sample_png(8, 8);
    let ops = r#"{"rules":[{"fileid":"o.png","rule":"ci-process=AISuperResolution"}]}"#;
    let put = Req::new(&server, "PUT", "s/in.png")
        .body(png.clone())
        .send(&server)
        .await;
    assert_eq!(put.header("server"), Some("tencent-cos"));
    let get = Req::new(&server, "GET", "s/in.png").send(&server).await;
    assert_eq!(get.header("server"), Some("tencent-cos"));
    for (req, what) in [
        (
            Req::new(&server, "GET", "s/in.png").query("ci-process", "AISuperResolution"),
            "download",
        ),
        (
            Req::new(&server, "PUT", "s/up.png")
                .header("Pic-Operations", ops)
                .body(png.clone()),
            "upload",
        ),
        (
            Req::new(&server, "POST", "s/in.png")
                .query("image_process", "")
                .header("Pic-Operations", ops),
            "cloud",
        ),
    ] {
        let answer = req.send(&server).await;
        assert_eq!(answer.status, 200, "{what}: {}", answer.text());
        assert_eq!(answer.header("server"), Some("tencent-ci"), "{what}");
    }
    let download = Req::new(&server, "GET", "s/in.png")
        .query("ci-process", "AISuperResolution")
        .send(&server)
        .await;
    assert_eq!(download.header("content-type"), Some("image/png"));
    assert_eq!(
        dimensions(&download.body).map(|d| (d.0, d.1)),
        Some((16, 16))
    );
}

// ---- ignore-error ----

#[tokio::test]
async fn ignore_error_answers_the_original_of_an_oversized_image() {
    let server = MockServer::start().await.unwrap();
    let client = owner(&server);
    // Over AIEnhanceImage's 5 MiB limit, within every pixel limit.
    let big = noise_png(1400, 1400);
    assert!(big.len() > 5 * 1024 * 1024, "{}", big.len());
    let body = cos_ci_client::Body::from(big.clone()).content_type("image/png");
    client.put_object("big/in.png", body).await.unwrap();

    let err = client
        .ai_enhance_image("big/in.png", &AiEnhanceImage::new())
        .await
        .unwrap_err();
    assert_eq!(service(&err), (400, "ImageTooLarge"));

    let lenient = AiEnhanceImage::new().with_ignore_error(true);
    let out = client
        .ai_enhance_image("big/in.png", &lenient)
        .await
        .unwrap();
    assert_eq!(out.content_type, "image/png");
    assert!(out.bytes.as_ref() == big.as_slice(), "not the original");
    let raw = Req::new(&server, "GET", "big/in.png")
        .query("ci-process", "AIEnhanceImage")
        .query("ignore-error", "1")
        .send(&server)
        .await;
    assert_eq!(raw.status, 200);
    assert_eq!(
        raw.header("content-length"),
        Some(big.len().to_string().as_str())
    );
    assert_eq!(raw.header("server"), Some("tencent-ci"));

    // In the cloud the stored result is the original too; without the flag nothing is stored.
    let err = client
        .cloud_with("big/in.png", "strict.png", &AiEnhanceImage::new())
        .await
        .unwrap_err();
    assert_eq!(service(&err), (400, "ImageTooLarge"));
    assert_eq!(
        service(&client.get_object("big/strict.png").await.unwrap_err()),
        (404, "NoSuchKey")
    );
    let result = client
        .cloud_with("big/in.png", "kept.png", &lenient)
        .await
        .unwrap();
    let object = &result.process_results.unwrap().object[0];
    assert_eq!(object.size, big.len() as i64);
    let stored = client.get_object("big/kept.png").await.unwrap();
    assert!(stored.bytes.as_ref() == big.as_slice());
}

// ---- detect-url ----

fn detect_config(hosts: &[&str]) -> Config {
    Config {
        detect_url_hosts: hosts.iter().map(|h| h.to_string()).collect(),
        ..config()
    }
}

#[tokio::test]
async fn detect_url_is_refused_unless_its_host_is_allowed() {
    let origin = origin(Serve::Body(sample_png(20, 10))).await;
    let params = AiSuperResolution::new();

    let server = MockServer::start().await.unwrap();
    let err = owner(&server)
        .ai_super_resolution(Source::url(origin.url("/a.png")), &params)
        .await
        .unwrap_err();
    assert_eq!(service(&err), (403, "AccessDenied"));
    let message = &err.service().unwrap().message;
    assert!(
        message.contains("127.0.0.1") && message.contains("detect_url_hosts"),
        "{message}"
    );
    assert_eq!(origin.hits(), 0, "a refused host is never contacted");
    // Another port of an allowed host is refused when the entry names a port.
    let port_bound = MockServer::start_with(detect_config(&["127.0.0.1:1"]))
        .await
        .unwrap();
    let err = owner(&port_bound)
        .ai_super_resolution(Source::url(origin.url("/a.png")), &params)
        .await
        .unwrap_err();
    assert_eq!(service(&err), (403, "AccessDenied"));
    assert_eq!(origin.hits(), 0);

    // An entry without a port allows only the scheme's default port, not the origin's.
    let default_port_only = MockServer::start_with(detect_config(&["127.0.0.1"]))
        .await
        .unwrap();
    let err = owner(&default_port_only)
        .ai_super_resolution(Source::url(origin.url("/a.png")), &params)
        .await
        .unwrap_err();
    assert_eq!(service(&err), (403, "AccessDenied"));
    assert_eq!(origin.hits(), 0);

    {
        let server = MockServer::start_with(detect_config(&[&origin.addr.to_string()]))
            .await
            .unwrap();
        let out = owner(&server)
            .ai_super_resolution(Source::url(origin.url("/a.png")), &params)
            .await
            .unwrap();
        assert_eq!(dimensions(&out.bytes).map(|d| (d.0, d.1)), Some((40, 20)));
        // A still-encoded URL (as some SDK docs show it) works as well.
        let encoded = cos_ci_sign::encode(&origin.url("/b.png"));
        let out = owner(&server)
            .ai_super_resolution(Source::url(encoded), &params)
            .await
            .unwrap();
        assert_eq!(dimensions(&out.bytes).map(|d| (d.0, d.1)), Some((40, 20)));
    }
    assert_eq!(origin.hits(), 2);
}

#[tokio::test]
async fn detect_url_size_time_and_redirects_are_bounded() {
    let big = noise_png(64, 64);
    assert!(big.len() > 4096);
    let sized = origin(Serve::Body(big.clone())).await;
    let chunked = origin(Serve::Unsized(big)).await;
    let silent = origin(Serve::Silent).await;
    let redirect = origin(Serve::Redirect(sized.url("/elsewhere.png"))).await;
    let text = origin(Serve::Body(b"<html>not an image</html>".to_vec())).await;
    let fine = origin(Serve::Unsized(sample_png(30, 20))).await;
    // An entry without a port allows only port 80, so each origin is listed with its own.
    let hosts: Vec<String> = [&sized, &chunked, &silent, &redirect, &text, &fine]
        .iter()
        .map(|o| o.addr.to_string())
        .collect();
    let hosts: Vec<&str> = hosts.iter().map(String::as_str).collect();
    let server = MockServer::start_with(Config {
        detect_url_max_bytes: 4096,
        detect_url_timeout_ms: 500,
        ..detect_config(&hosts)
    })
    .await
    .unwrap();
    let client = owner(&server);
    let params = AiSuperResolution::new();

    for origin in [&sized, &chunked] {
        let err = bounded(client.ai_super_resolution(Source::url(origin.url("/big.png")), &params))
            .await
            .unwrap_err();
        assert_eq!(service(&err), (400, "ImageTooLarge"));
        assert!(err.service().unwrap().message.contains("4096"));
    }

    let err = bounded(client.ai_super_resolution(Source::url(silent.url("/slow.png")), &params))
        .await
        .unwrap_err();
    assert_eq!(service(&err), (400, "InvalidImageSource"));
    assert_eq!(silent.hits(), 1);

    let hits_before = sized.hits();
    let err = bounded(client.ai_super_resolution(Source::url(redirect.url("/r.png")), &params))
        .await
        .unwrap_err();
    assert_eq!(service(&err), (400, "InvalidImageSource"));
    assert!(err.service().unwrap().message.contains("302"));
    assert_eq!(sized.hits(), hits_before, "redirects are not followed");

    let err = bounded(client.ai_super_resolution(Source::url(text.url("/t.png")), &params))
        .await
        .unwrap_err();
    assert_eq!(service(&err), (400, "InvalidImageFormat"));

    for url in ["ftp://127.0.0.1/a.png", "not a url"] {
        let err = bounded(client.ai_super_resolution(Source::url(url), &params))
            .await
            .unwrap_err();
        assert_eq!(service(&err), (400, "InvalidImageSource"), "{url}");
    }

    // Small enough, fast enough: served.
    let out = bounded(client.ai_super_resolution(Source::url(fine.url("/ok.png")), &params))
        .await
        .unwrap();
    assert_eq!(dimensions(&out.bytes).map(|d| (d.0, d.1)), Some((60, 40)));
}

/// Where a download of `spec` takes its input: the object `key`, or the bucket itself for an
/// operation without an input (`source: { none: true }`).
pub fn source_of(spec: &cos_ci_client::OpSpec, key: &str) -> Source {
    match spec.input {
        cos_ci_client::Input::Object => Source::key(key),
        cos_ci_client::Input::None => Source::Bucket,
    }
}
