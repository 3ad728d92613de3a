//! The HTTP/1 accept loop, with response header names spelled as COS spells them.
//!
//! `axum::serve` writes every header name in lower case. HTTP says case does not matter, but
//! the official Python SDK copies the response headers into a plain `dict` and looks some up
//! case-sensitively: `ci_process` (and so every `cos_ai_*` download helper) returns an empty
//! body unless `'Content-Type' in response`, and callers write `response['ETag']` after
//! `put_object`. So the mock serves connections itself with hyper, writing the names COS
//! sends in COS's spelling (`ETag`, `x-cos-request-id`) and every other name title-cased.

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};

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
    tokio::pin!(shutdown);
    loop {
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
            let service = service_fn(move |request: http::Request<Incoming>| {
                let state = state.clone();
                let spelling = spelling.clone();
                async move {
                    let mut response = server::handle(State(state), request.map(Body::new)).await;
                    if let Some(spelling) = spelling {
                        response.extensions_mut().extend(spelling);
                    }
                    Ok::<_, Infallible>(response)
                }
            });
            let conn = http1::Builder::new()
                .title_case_headers(true)
                .serve_connection(Io(stream), service);
            tokio::pin!(conn);
            let result = tokio::select! {
                result = conn.as_mut() => result,
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    conn.as_mut().await
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
        .serve_connection(Io(server_end), service);
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

/// A tokio stream as hyper's I/O (hyper-util's `TokioIo`, without the dependency).
struct Io<T>(T);

impl<T: AsyncRead + Unpin> hyper::rt::Read for Io<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        // Through a buffer of our own: filling hyper's uninitialised one directly needs unsafe.
        let mut chunk = [0u8; 16 * 1024];
        let len = buf.remaining().min(chunk.len());
        let mut read = tokio::io::ReadBuf::new(&mut chunk[..len]);
        ready!(Pin::new(&mut self.get_mut().0).poll_read(cx, &mut read))?;
        buf.put_slice(read.filled());
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> hyper::rt::Write for Io<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write_vectored(cx, bufs)
    }
}
