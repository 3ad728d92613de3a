//! The HTTP/1 accept loop, with response header names spelled as COS spells them.
//!
//! `axum::serve` writes every header name in lower case. HTTP says case does not matter, but
//! the official Python SDK copies the response headers into a plain `dict` and looks some up
//! case-sensitively: `ci_process` (and so every `cos_ai_*` download helper) returns an empty
//! body unless `'Content-Type' in response`, and callers write `response['ETag']` after
//! `put_object`. So the mock serves connections itself with hyper, writing the names COS
//! sends in COS's spelling (`ETag`, `x-cos-request-id`) and every other name title-cased.
//!
//! The network budgets live here too: at most `max_connections` connections (further ones
//! are not accepted until one closes), `header_read_timeout_ms` for a request head,
//! `idle_timeout_ms` for a connection that does nothing, and a request body's whole-body
//! deadline (`body_timeout_ms`) and per-chunk wait (`body_idle_timeout_ms`).
//!
//! The two connection budgets are kept by one watchdog per connection rather than by hyper's
//! header-read timer: hyper arms and drops a timer for every request head, which cost the
//! mock a tenth of its keep-alive throughput (bench/RESULTS.md section 4), while the watchdog
//! reads two atomics and sleeps until the nearer deadline.

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use bytes::Bytes;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, oneshot, watch};
use tokio::time::{Instant, Sleep};

use crate::http::BodyTimeout;
use crate::server;
use crate::state::MockState;

/// Response header names in the spelling real COS uses on the wire.
const COS_SPELLING: &[&str] = &[
    "Accept-Ranges",
    "Content-Length",
    "Content-Range",
    "Content-Type",
    "Date",
    "ETag",
    "Last-Modified",
    "Server",
    "x-cos-request-id",
    "x-cos-trace-id",
];

/// Serves `listener` until `shutdown` fires (or its sender is dropped), then lets each open
/// connection finish its current request.
pub async fn run(listener: TcpListener, state: Arc<MockState>, shutdown: oneshot::Receiver<()>) {
    let spelling = cos_spelling().await;
    let (stop_tx, stop_rx) = watch::channel(());
    let config = &state.config;
    // Over the cap the mock waits instead of accepting and closing: new connections queue in
    // the kernel's backlog and are served as soon as one closes, so a burst of honest
    // clients slows down instead of seeing resets, while no one can hold more than the cap.
    let max_connections = usize::try_from(config.max_connections)
        .unwrap_or(usize::MAX)
        .clamp(1, Semaphore::MAX_PERMITS);
    let slots = Arc::new(Semaphore::new(max_connections));
    let budget = Budget {
        header_read: Duration::from_millis(config.header_read_timeout_ms),
        idle: Duration::from_millis(config.idle_timeout_ms),
        body: Duration::from_millis(config.body_timeout_ms),
        body_idle: Duration::from_millis(config.body_idle_timeout_ms),
    };
    tokio::pin!(shutdown);
    loop {
        if slots.available_permits() == 0 {
            tracing::warn!(
                max_connections,
                "max_connections reached; new connections wait until one closes"
            );
        }
        let permit = tokio::select! {
            _ = &mut shutdown => break,
            permit = slots.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let state = state.clone();
        let spelling = spelling.clone();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            // Held for the connection's life: the slot frees when it closes.
            let _permit = permit;
            let activity = Arc::new(Activity::new());
            let in_service = activity.clone();
            let service = service_fn(move |request: http::Request<Incoming>| {
                let state = state.clone();
                let spelling = spelling.clone();
                let busy = Busy::new(in_service.clone());
                async move {
                    let _busy = busy;
                    let request = request.map(|body| Body::new(Deadline::new(body, budget)));
                    let mut response = server::handle(State(state), request).await;
                    if let Some(spelling) = spelling {
                        response.extensions_mut().extend(spelling);
                    }
                    Ok::<_, Infallible>(response)
                }
            });
            let conn = http1::Builder::new()
                .title_case_headers(true)
                .serve_connection(Io::hyper(stream, Some(activity.clone())), service);
            tokio::pin!(conn);
            let result = tokio::select! {
                result = conn.as_mut() => result,
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    conn.as_mut().await
                }
                expired = activity.watch(budget.header_read, budget.idle) => {
                    match expired {
                        Expired::Head => tracing::info!(
                            header_read_timeout_ms = budget.header_read.as_millis() as u64,
                            "connection closed: no complete request head within \
                             header_read_timeout_ms"
                        ),
                        Expired::Idle => tracing::info!(
                            idle_timeout_ms = budget.idle.as_millis() as u64,
                            "connection closed: no request and no bytes moving for \
                             idle_timeout_ms"
                        ),
                    }
                    Ok(())
                }
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    // Wakes every connection task into its graceful shutdown.
    drop(stop_tx);
}

/// The per-connection time budgets.
#[derive(Clone, Copy, Debug)]
struct Budget {
    header_read: Duration,
    idle: Duration,
    body: Duration,
    body_idle: Duration,
}

/// What a connection is doing: when bytes last moved, when the server last wrote, when the
/// last request left service, and how many requests are in service.
#[derive(Debug)]
struct Activity {
    start: Instant,
    /// Milliseconds from `start` to the last read or write that moved bytes.
    last: AtomicU64,
    /// Milliseconds from `start` to the last write (a response still streaming).
    last_write: AtomicU64,
    /// Milliseconds from `start` to when the last request left service.
    free_since: AtomicU64,
    busy: AtomicUsize,
}

/// Which connection budget ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expired {
    /// `header_read_timeout_ms`: a request head was not complete in time.
    Head,
    /// `idle_timeout_ms`: nothing moved.
    Idle,
}

impl Activity {
    fn new() -> Self {
        Activity {
            start: Instant::now(),
            last: AtomicU64::new(0),
            last_write: AtomicU64::new(0),
            free_since: AtomicU64::new(0),
            busy: AtomicUsize::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn touch(&self) -> u64 {
        let now = self.now_ms();
        self.last.store(now, Ordering::Relaxed);
        now
    }

    fn at(&self, ms: &AtomicU64) -> Instant {
        later(
            self.start,
            Duration::from_millis(ms.load(Ordering::Relaxed)),
        )
    }

    /// Resolves with the budget that ran out while no request was in service: the next
    /// request head not complete `head` after the connection opened or the last response
    /// was written (as hyper's header-read timeout counts), or nothing moving for `idle`.
    async fn watch(&self, head: Duration, idle: Duration) -> Expired {
        loop {
            let now = Instant::now();
            if self.busy.load(Ordering::SeqCst) > 0 {
                // A request in service is bounded by its own budgets; look again later.
                tokio::time::sleep_until(now + head.min(idle).min(Duration::from_secs(1))).await;
                continue;
            }
            let waiting_since = self.at(&self.free_since).max(self.at(&self.last_write));
            let head_deadline = later(waiting_since, head);
            let idle_deadline = later(self.at(&self.last), idle);
            if now >= head_deadline {
                return Expired::Head;
            }
            if now >= idle_deadline {
                return Expired::Idle;
            }
            // A request that starts and ends meanwhile only moves the deadlines later.
            tokio::time::sleep_until(head_deadline.min(idle_deadline)).await;
        }
    }
}

/// Counts a request in service while it lives.
struct Busy(Arc<Activity>);

impl Busy {
    fn new(activity: Arc<Activity>) -> Self {
        activity.busy.fetch_add(1, Ordering::SeqCst);
        Busy(activity)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        let now = self.0.touch();
        self.0.free_since.store(now, Ordering::Relaxed);
        self.0.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

/// `from + wait`, or a time too far ahead to matter when that overflows (a budget of
/// u64::MAX ms means "never").
fn later(from: Instant, wait: Duration) -> Instant {
    from.checked_add(wait)
        .unwrap_or_else(|| from + Duration::from_secs(100 * 365 * 86_400))
}

/// A request body with the whole-body deadline and the per-chunk wait.
struct Deadline {
    inner: Incoming,
    budget: Budget,
    /// The end of the request head, where the whole-body deadline runs from.
    start: Instant,
    /// That deadline's timer, made the first time the body is not ready at once (most
    /// requests, a GET among them, never need one).
    total: Option<Pin<Box<Sleep>>>,
    /// Starts when the handler asks for data that is not there yet; made once, then reset.
    idle: Option<Pin<Box<Sleep>>>,
    /// Whether `idle` runs from the current wait (false again after every frame).
    idle_armed: bool,
}

impl Deadline {
    fn new(inner: Incoming, budget: Budget) -> Self {
        Deadline {
            inner,
            budget,
            start: Instant::now(),
            total: None,
            idle: None,
            idle_armed: false,
        }
    }
}

impl hyper::body::Body for Deadline {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            this.idle_armed = false;
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let deadline = later(this.start, this.budget.body);
        let total = this
            .total
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if total.as_mut().poll(cx).is_ready() {
            let ms = this.budget.body.as_millis();
            return Poll::Ready(Some(Err(Box::new(BodyTimeout(format!(
                "the request body took longer than body_timeout_ms = {ms} ms"
            ))))));
        }
        let budget = this.budget.body_idle;
        let wake = later(Instant::now(), budget);
        let idle = this
            .idle
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(wake)));
        if !this.idle_armed {
            // The wait starts when the handler asks again, not when the last frame came.
            idle.as_mut().reset(wake);
            this.idle_armed = true;
        }
        if idle.as_mut().poll(cx).is_ready() {
            let ms = budget.as_millis();
            return Poll::Ready(Some(Err(Box::new(BodyTimeout(format!(
                "the client sent no body data for body_idle_timeout_ms = {ms} ms"
            ))))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// hyper's record of header-name spelling, taken from a request that spells the names as
/// COS does: hyper only exposes that record through requests it parsed itself, and it
/// writes a response's names in the spelling the record it carries says.
async fn cos_spelling() -> Option<http::Extensions> {
    let (mut client, server_end) = tokio::io::duplex(16 * 1024);
    let (tx, rx) = oneshot::channel::<http::Extensions>();
    let tx = Mutex::new(Some(tx));
    let service = service_fn(move |request: http::Request<Incoming>| {
        if let Some(tx) = tx.lock().ok().and_then(|mut tx| tx.take()) {
            let _ = tx.send(request.extensions().clone());
        }
        async { Ok::<_, Infallible>(http::Response::new(Body::empty())) }
    });
    let conn = http1::Builder::new()
        .preserve_header_case(true)
        .serve_connection(Io::hyper(server_end, None), service);
    let mut head = String::from("GET / HTTP/1.1\r\nHost: localhost\r\n");
    for name in COS_SPELLING {
        head.push_str(name);
        head.push_str(": 0\r\n");
    }
    head.push_str("Connection: close\r\n\r\n");
    let spelled = async {
        client.write_all(head.as_bytes()).await.ok()?;
        let (_, extensions) = tokio::join!(conn, rx);
        extensions.ok()
    };
    let spelling = tokio::time::timeout(Duration::from_secs(5), spelled)
        .await
        .ok()
        .flatten();
    if spelling.is_none() {
        tracing::warn!("cannot record COS header spelling; header names will be title-cased");
    }
    spelling
}

/// A tokio stream that records when bytes last moved, for `idle_timeout_ms`. hyper reads it
/// through hyper-util's `TokioIo`, which fills hyper's buffer in place (no copy, no zeroing).
struct Io<T> {
    inner: T,
    activity: Option<Arc<Activity>>,
}

impl<T> Io<T> {
    /// `inner` as hyper's I/O.
    fn hyper(inner: T, activity: Option<Arc<Activity>>) -> TokioIo<Self> {
        TokioIo::new(Io { inner, activity })
    }

    fn moved(&self, n: usize) {
        if n > 0 {
            if let Some(a) = &self.activity {
                a.touch();
            }
        }
    }

    fn wrote(&self, n: usize) {
        if n > 0 {
            if let Some(a) = &self.activity {
                let now = a.touch();
                a.last_write.store(now, Ordering::Relaxed);
            }
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Io<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        this.moved(buf.filled().len() - before);
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Io<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let n = ready!(Pin::new(&mut this.inner).poll_write(cx, buf))?;
        this.wrote(n);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let n = ready!(Pin::new(&mut this.inner).poll_write_vectored(cx, bufs))?;
        this.wrote(n);
        Poll::Ready(Ok(n))
    }
}
