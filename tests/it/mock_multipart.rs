//! Multipart upload over HTTP: initiate, parts, list, complete with its checks, abort, part
//! copy, and an upload that survives a restart with `--data-dir`.

use cos_ci_mock::{Config, MockServer};
use cos_ci_validate::xml::Element;
use md5::{Digest, Md5};

use crate::mock_support::{Req, bounded, config};

const MIB: usize = 1024 * 1024;

fn xml(text: &str) -> Element {
    Element::parse(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(7).wrapping_add(seed))
        .collect()
}

async fn initiate(server: &MockServer, key: &str) -> String {
    let a = Req::new(server, "POST", key)
        .query("uploads", "")
        .header("Content-Type", "image/png")
        .send(server)
        .await;
    assert_eq!(a.status, 200, "{}", a.text());
    let root = xml(&a.text());
    assert_eq!(root.name, "InitiateMultipartUploadResult");
    assert_eq!(root.child("Key").unwrap().text, key);
    root.child("UploadId").unwrap().text.clone()
}

async fn part(server: &MockServer, key: &str, id: &str, n: u32, body: &[u8]) -> String {
    let a = Req::new(server, "PUT", key)
        .query("partNumber", &n.to_string())
        .query("uploadId", id)
        .body(body.to_vec())
        .send(server)
        .await;
    assert_eq!(a.status, 200, "{}", a.text());
    a.header("etag").unwrap().to_string()
}

fn complete_doc(parts: &[(u32, &str)]) -> String {
    let parts: String = parts
        .iter()
        .map(|(n, e)| format!("<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>"))
        .collect();
    format!("<CompleteMultipartUpload>{parts}</CompleteMultipartUpload>")
}

async fn complete(
    server: &MockServer,
    key: &str,
    id: &str,
    parts: &[(u32, &str)],
) -> crate::mock_support::Answer {
    Req::new(server, "POST", key)
        .query("uploadId", id)
        .body(complete_doc(parts))
        .send(server)
        .await
}

fn multipart_etag(parts: &[&[u8]]) -> String {
    let mut md5 = Md5::new();
    for p in parts {
        md5.update(Md5::digest(p));
    }
    format!("\"{}-{}\"", hex::encode(md5.finalize()), parts.len())
}

#[tokio::test]
async fn upload_list_and_complete() {
    let server = bounded(MockServer::start_with(config())).await.unwrap();
    let id = initiate(&server, "big.png").await;
    let (one, two) = (data(MIB, 1), data(1000, 2));
    let e2 = part(&server, "big.png", &id, 2, &two).await;
    let e1 = part(&server, "big.png", &id, 1, &one).await;

    let a = Req::new(&server, "GET", "big.png")
        .query("uploadId", &id)
        .send(&server)
        .await;
    let root = xml(&a.text());
    assert_eq!(root.name, "ListPartsResult");
    let numbers: Vec<String> = root
        .children
        .iter()
        .filter(|c| c.name == "Part")
        .map(|p| p.child("PartNumber").unwrap().text.clone())
        .collect();
    assert_eq!(numbers, ["1", "2"]);
    let a = Req::new(&server, "GET", "")
        .query("uploads", "")
        .send(&server)
        .await;
    let root = xml(&a.text());
    assert_eq!(root.name, "ListMultipartUploadsResult");
    let upload = root.child("Upload").unwrap();
    assert_eq!(upload.child("UploadId").unwrap().text, id);

    complete(&server, "big.png", &id, &[(2, &e2), (1, &e1)])
        .await
        .expect_error(400, "InvalidPartOrder");
    complete(&server, "big.png", &id, &[(1, &e2), (2, &e2)])
        .await
        .expect_error(400, "InvalidPart");
    complete(&server, "big.png", &id, &[(1, &e1), (3, &e2)])
        .await
        .expect_error(400, "InvalidPart");
    let a = complete(&server, "big.png", &id, &[(1, &e1), (2, &e2)]).await;
    assert_eq!(a.status, 200, "{}", a.text());
    let root = xml(&a.text());
    assert_eq!(root.name, "CompleteMultipartUploadResult");
    let etag = multipart_etag(&[&one, &two]);
    assert_eq!(root.child("ETag").unwrap().text, etag);
    let a = Req::new(&server, "GET", "big.png").send(&server).await;
    assert_eq!(a.body, [one, two].concat());
    assert_eq!(a.header("etag"), Some(etag.as_str()));
    assert_eq!(a.header("content-type"), Some("image/png"));
    complete(&server, "big.png", &id, &[(1, &e1)])
        .await
        .expect_error(404, "NoSuchUpload");
}

#[tokio::test]
async fn small_parts_abort_and_part_copy() {
    let server = bounded(MockServer::start_with(config())).await.unwrap();
    let id = initiate(&server, "k").await;
    let e1 = part(&server, "k", &id, 1, b"small").await;
    let e2 = part(&server, "k", &id, 2, b"last").await;
    complete(&server, "k", &id, &[(1, &e1), (2, &e2)])
        .await
        .expect_error(400, "EntityTooSmall");
    Req::new(&server, "PUT", "k")
        .query("partNumber", "0")
        .query("uploadId", &id)
        .send(&server)
        .await
        .expect_error(400, "InvalidArgument");

    // Part copy from an object, a range of it.
    Req::new(&server, "PUT", "src")
        .body("0123456789")
        .send(&server)
        .await;
    let a = Req::new(&server, "PUT", "k")
        .query("partNumber", "3")
        .query("uploadId", &id)
        .header(
            "x-cos-copy-source",
            &format!(
                "{}.cos.{}.myqcloud.com/src",
                server.bucket(),
                server.region()
            ),
        )
        .header("x-cos-copy-source-range", "bytes=2-5")
        .send(&server)
        .await;
    assert_eq!(a.status, 200, "{}", a.text());
    let root = xml(&a.text());
    assert_eq!(root.name, "CopyPartResult");
    let e3 = root.child("ETag").unwrap().text.clone();
    assert_eq!(e3, format!("\"{}\"", hex::encode(Md5::digest(b"2345"))));

    let a = Req::new(&server, "DELETE", "k")
        .query("uploadId", &id)
        .send(&server)
        .await;
    assert_eq!(a.status, 204);
    Req::new(&server, "GET", "k")
        .query("uploadId", &id)
        .send(&server)
        .await
        .expect_error(404, "NoSuchUpload");
    Req::new(&server, "PUT", "k")
        .query("partNumber", "1")
        .query("uploadId", &id)
        .body("x")
        .send(&server)
        .await
        .expect_error(404, "NoSuchUpload");
}

#[tokio::test]
async fn an_upload_survives_a_restart_with_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let disk = || Config {
        data_dir: Some(dir.path().to_path_buf()),
        ..config()
    };
    let server = bounded(MockServer::start_with(disk())).await.unwrap();
    let id = initiate(&server, "resumed").await;
    let (one, two) = (data(MIB, 3), data(10, 4));
    let e1 = part(&server, "resumed", &id, 1, &one).await;
    let e2 = part(&server, "resumed", &id, 2, &two).await;
    drop(server);

    let server = bounded(MockServer::start_with(disk())).await.unwrap();
    let a = Req::new(&server, "GET", "resumed")
        .query("uploadId", &id)
        .send(&server)
        .await;
    assert_eq!(a.status, 200, "{}", a.text());
    let root = xml(&a.text());
    let etags: Vec<String> = root
        .children
        .iter()
        .filter(|c| c.name == "Part")
        .map(|p| p.child("ETag").unwrap().text.clone())
        .collect();
    assert_eq!(etags, [e1.clone(), e2.clone()]);
    let a = complete(&server, "resumed", &id, &[(1, &e1), (2, &e2)]).await;
    assert_eq!(a.status, 200, "{}", a.text());
    drop(server);
    let server = bounded(MockServer::start_with(disk())).await.unwrap();
    let a = Req::new(&server, "GET", "resumed").send(&server).await;
    assert_eq!(a.body, [one, two].concat());
}
