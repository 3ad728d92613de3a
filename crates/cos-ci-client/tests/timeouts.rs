//! Timeouts against a raw TCP server that answers slowly, stalls, or never reads: a transfer
//! that keeps moving outlives every timeout it is not meant to hit, a stalled one fails fast
//! with the timeout that fired named.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use cos_ci_client::{Client, Credentials, Error, RetryPolicy, Timeout, TimeoutKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How the raw server answers once it has read a request's head.
#[derive(Clone, Copy)]
enum Answer {
    /// `chunks` chunks of `size` bytes, one every `every`.
    Trickle {
        chunks: usize,
        size: usize,
        every: Duration,
    },
    /// Half the announced body, then nothing.
    StallBody,
    /// No answer at all.
    Silent,
    /// Reads nothing more (the request body piles up), answers nothing.
    NoRead,
}

/// A one-connection-at-a-time raw HTTP server; returns its endpoint.
async fn serve(answer: Answer) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(handle(socket, answer));
        }
    });
    format!("http://{addr}")
}

async fn handle(mut socket: TcpStream, answer: Answer) {
    if matches!(answer, Answer::NoRead) {
        tokio::time::sleep(Duration::from_secs(30)).await;
        return;
    }
    // Read the request head only; these tests send no body unless the server never reads.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match socket.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    match answer {
        Answer::Trickle {
            chunks,
            size,
            every,
        } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nx-cos-request-id: slow-1\r\n\r\n",
                chunks * size
            );
            socket.write_all(head.as_bytes()).await.unwrap();
            for i in 0..chunks {
                tokio::time::sleep(every).await;
                let chunk = vec![b'a' + (i % 26) as u8; size];
                if socket.write_all(&chunk).await.is_err() {
                    return;
                }
            }
        }
        Answer::StallBody => {
            let head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
            socket.write_all(head.as_bytes()).await.unwrap();
            socket.write_all(&[b'x'; 50]).await.unwrap();
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
        Answer::Silent | Answer::NoRead => tokio::time::sleep(Duration::from_secs(30)).await,
    }
}

fn client(endpoint: &str, read: Duration) -> Client {
    Client::builder()
        .region("ap-guangzhou")
        .bucket("examplebucket-1250000000")
        .credentials(Credentials::new("AKIDEXAMPLE", "example-secret"))
        .endpoint(endpoint)
        .retry(RetryPolicy::none())
        .connect_timeout(Duration::from_millis(200))
        .read_timeout(read)
        .build()
        .unwrap()
}

/// Fails the test instead of hanging it.
async fn bounded<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), f)
        .await
        .expect("the call hung")
}

fn fired(err: &Error) -> Timeout {
    err.timeout()
        .unwrap_or_else(|| panic!("expected a timeout, got {err}"))
}

/// 30 chunks, one every 100 ms: about 3 s, six times the read timeout and fifteen times the
/// connect timeout.
const TRICKLE: Answer = Answer::Trickle {
    chunks: 30,
    size: 10,
    every: Duration::from_millis(100),
};

#[tokio::test]
async fn a_transfer_that_keeps_moving_completes() {
    let endpoint = serve(TRICKLE).await;
    let client = client(&endpoint, Duration::from_millis(500));
    let object = bounded(client.get_object("big.bin")).await.unwrap();
    assert_eq!(object.bytes.len(), 300);
    assert_eq!(&object.bytes[..10], b"aaaaaaaaaa");
    assert_eq!(&object.bytes[290..], b"dddddddddd");
    assert_eq!(object.info.request_id.as_deref(), Some("slow-1"));

    let mut stream = bounded(client.get_object_stream("big.bin")).await.unwrap();
    let mut total = 0;
    while let Some(chunk) = bounded(stream.next_chunk()).await {
        total += chunk.unwrap().len();
    }
    assert_eq!(total, 300);
}

#[tokio::test]
async fn a_stalled_body_fails_with_the_read_timeout() {
    let endpoint = serve(Answer::StallBody).await;
    let read = Duration::from_millis(300);
    let client = client(&endpoint, read);
    let err = bounded(client.get_object("stalled.bin")).await.unwrap_err();
    let timeout = fired(&err);
    assert_eq!(timeout.kind, TimeoutKind::Read);
    assert_eq!(timeout.limit, Some(read));
    assert!(err.to_string().contains("read timeout"), "{err}");

    // Streamed: the chunk that arrived comes through, then the timeout, then the end.
    let mut stream = bounded(client.get_object_stream("stalled.bin"))
        .await
        .unwrap();
    assert_eq!(
        bounded(stream.next_chunk()).await.unwrap().unwrap().len(),
        50
    );
    let err = bounded(stream.next_chunk()).await.unwrap().unwrap_err();
    assert_eq!(fired(&err).kind, TimeoutKind::Read);
    assert!(bounded(stream.next_chunk()).await.is_none());
}

#[tokio::test]
async fn no_answer_fails_with_the_read_timeout() {
    let endpoint = serve(Answer::Silent).await;
    let read = Duration::from_millis(300);
    let err = bounded(client(&endpoint, read).head_object("k"))
        .await
        .unwrap_err();
    assert_eq!(fired(&err).kind, TimeoutKind::Read);
    assert!(err.is_retryable(), "a stalled attempt may be retried");
}

#[tokio::test]
async fn an_upload_the_server_stops_reading_fails_with_the_read_timeout() {
    let endpoint = serve(Answer::NoRead).await;
    let read = Duration::from_millis(300);
    // Larger than the loopback socket buffers, so the body must stall.
    let body = vec![7u8; 64 * 1024 * 1024];
    let err = bounded(client(&endpoint, read).put_object("up.bin", body))
        .await
        .unwrap_err();
    assert_eq!(fired(&err).kind, TimeoutKind::Read, "{err}");
}

#[tokio::test]
async fn a_transfer_deadline_stops_a_transfer_that_keeps_moving() {
    let endpoint = serve(TRICKLE).await;
    let client = Client::builder()
        .region("ap-guangzhou")
        .bucket("examplebucket-1250000000")
        .credentials(Credentials::new("AKIDEXAMPLE", "example-secret"))
        .endpoint(&endpoint)
        .transfer_deadline(Duration::from_millis(700))
        .build()
        .unwrap();
    let err = bounded(client.get_object("big.bin")).await.unwrap_err();
    let timeout = fired(&err);
    assert_eq!(timeout.kind, TimeoutKind::Deadline);
    assert_eq!(timeout.limit, Some(Duration::from_millis(700)));
    assert!(!err.is_retryable());

    // The streamed form carries the deadline into the body.
    let mut stream = bounded(client.get_object_stream("big.bin")).await.unwrap();
    let mut result = Ok(());
    while let Some(chunk) = bounded(stream.next_chunk()).await {
        if let Err(e) = chunk {
            result = Err(e);
        }
    }
    assert_eq!(fired(&result.unwrap_err()).kind, TimeoutKind::Deadline);
}

#[tokio::test]
async fn timeouts_are_overridden_per_call() {
    let endpoint = serve(TRICKLE).await;
    // 50 ms without a byte is too short for a chunk every 100 ms…
    let impatient = client(&endpoint, Duration::from_millis(50));
    let err = bounded(impatient.get_object("big.bin")).await.unwrap_err();
    assert_eq!(fired(&err).kind, TimeoutKind::Read);
    // …unless this call says otherwise.
    let patient = impatient.with_timeouts(
        impatient
            .timeouts()
            .with_read(Some(Duration::from_millis(600))),
    );
    let object = bounded(patient.get_object("big.bin")).await.unwrap();
    assert_eq!(object.bytes.len(), 300);
    // The original client keeps its own.
    assert_eq!(impatient.timeouts().read, Some(Duration::from_millis(50)));
}

#[tokio::test]
async fn a_non_transfer_call_has_a_deadline_a_transfer_has_not() {
    let endpoint = serve(TRICKLE).await;
    let client = Client::builder()
        .region("ap-guangzhou")
        .bucket("examplebucket-1250000000")
        .credentials(Credentials::new("AKIDEXAMPLE", "example-secret"))
        .endpoint(&endpoint)
        .deadline(Duration::from_millis(600))
        .build()
        .unwrap();
    // Cloud processing is not a transfer: its answer is small, 600 ms is its deadline.
    let ops = cos_ci_client::PicOperations::new();
    let err = bounded(client.image_process("k.png", &ops))
        .await
        .unwrap_err();
    assert_eq!(fired(&err).kind, TimeoutKind::Deadline);
    // A download is, and has no deadline by default.
    assert_eq!(client.timeouts().transfer_deadline, None);
    let object = bounded(client.get_object("big.bin")).await.unwrap();
    assert_eq!(object.bytes.len(), 300);
}
