//! The mock as an object store over HTTP: buckets, listing, copy, multi-delete, metadata and
//! conditional requests, signed as the SDKs sign.

use cos_ci_mock::MockServer;
use cos_ci_validate::xml::Element;

use crate::mock_support::{Req, bounded, config};

fn xml(text: &str) -> Element {
    Element::parse(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn texts(root: &Element, parent: &str, child: &str) -> Vec<String> {
    root.children
        .iter()
        .filter(|c| c.name == parent)
        .filter_map(|c| c.child(child).map(|k| k.text.clone()))
        .collect()
}

async fn put(server: &MockServer, key: &str, body: &str) {
    let a = Req::new(server, "PUT", key).body(body).send(server).await;
    assert_eq!(a.status, 200, "{}", a.text());
}

#[tokio::test]
async fn get_bucket_lists_with_prefix_delimiter_and_pages() {
    let server = bounded(MockServer::start_with(config())).await.unwrap();
    for key in [
        "photos/2.jpg",
        "photos/1.jpg",
        "a b.txt",
        "docs/x/y",
        "z",
        "é",
    ] {
        put(&server, key, key).await;
    }
    let a = Req::new(&server, "GET", "").send(&server).await;
    assert_eq!(a.status, 200, "{}", a.text());
    let root = xml(&a.text());
    assert_eq!(root.name, "ListBucketResult");
    assert_eq!(
        texts(&root, "Contents", "Key"),
        [
            "a b.txt",
            "docs/x/y",
            "photos/1.jpg",
            "photos/2.jpg",
            "z",
            "é"
        ]
    );
    assert_eq!(root.child("MaxKeys").unwrap().text, "1000");
    assert_eq!(root.child("IsTruncated").unwrap().text, "false");
    let first = root.children.iter().find(|c| c.name == "Contents").unwrap();
    assert_eq!(first.child("Size").unwrap().text, "7");
    assert!(first.child("LastModified").unwrap().text.ends_with(".000Z"));

    let a = Req::new(&server, "GET", "")
        .query("delimiter", "/")
        .send(&server)
        .await;
    let root = xml(&a.text());
    assert_eq!(texts(&root, "Contents", "Key"), ["a b.txt", "z", "é"]);
    assert_eq!(
        texts(&root, "CommonPrefixes", "Prefix"),
        ["docs/", "photos/"]
    );

    let a = Req::new(&server, "GET", "")
        .query("prefix", "photos/")
        .query("max-keys", "1")
        .send(&server)
        .await;
    let root = xml(&a.text());
    assert_eq!(texts(&root, "Contents", "Key"), ["photos/1.jpg"]);
    assert_eq!(root.child("IsTruncated").unwrap().text, "true");
    assert_eq!(root.child("NextMarker").unwrap().text, "photos/1.jpg");
    let a = Req::new(&server, "GET", "")
        .query("prefix", "photos/")
        .query("marker", "photos/1.jpg")
        .send(&server)
        .await;
    assert_eq!(texts(&xml(&a.text()), "Contents", "Key"), ["photos/2.jpg"]);

    let a = Req::new(&server, "GET", "")
        .query("encoding-type", "url")
        .query("prefix", "a ")
        .send(&server)
        .await;
    let root = xml(&a.text());
    assert_eq!(texts(&root, "Contents", "Key"), ["a%20b.txt"]);
    assert_eq!(root.child("EncodingType").unwrap().text, "url");

    Req::new(&server, "GET", "")
        .query("max-keys", "many")
        .send(&server)
        .await
        .expect_error(400, "InvalidArgument");
}

#[tokio::test]
async fn buckets_are_created_listed_and_deleted_only_when_empty() {
    let server = bounded(MockServer::start_with(config())).await.unwrap();
    let host = format!("newbucket-1250000000.cos.{}.myqcloud.com", server.region());
    let on_new = |method: &str, key: &str| Req::new(&server, method, key).host(host.clone());
    assert_eq!(on_new("HEAD", "").send(&server).await.status, 404);
    assert_eq!(on_new("PUT", "").send(&server).await.status, 200);
    on_new("PUT", "")
        .send(&server)
        .await
        .expect_error(409, "BucketAlreadyExists");
    let a = on_new("HEAD", "").send(&server).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.header("x-cos-bucket-region"), Some(server.region()));

    let a = Req::new(&server, "GET", "")
        .host("service.cos.myqcloud.com")
        .send(&server)
        .await;
    assert_eq!(a.status, 200, "{}", a.text());
    let root = xml(&a.text());
    assert_eq!(root.name, "ListAllMyBucketsResult");
    let names: Vec<String> = root
        .child("Buckets")
        .unwrap()
        .children
        .iter()
        .map(|b| b.child("Name").unwrap().text.clone())
        .collect();
    assert_eq!(names, [server.bucket(), "newbucket-1250000000"]);

    let a = on_new("PUT", "k").body("x").send(&server).await;
    assert_eq!(a.status, 200);
    on_new("DELETE", "")
        .send(&server)
        .await
        .expect_error(409, "BucketNotEmpty");
    assert_eq!(on_new("DELETE", "k").send(&server).await.status, 204);
    assert_eq!(on_new("DELETE", "").send(&server).await.status, 204);
    on_new("GET", "")
        .send(&server)
        .await
        .expect_error(404, "NoSuchBucket");
}

#[tokio::test]
async fn copy_keeps_or_replaces_metadata() {
    let server = bounded(MockServer::start_with(config())).await.unwrap();
    let a = Req::new(&server, "PUT", "src.txt")
        .header("Content-Type", "text/plain")
        .header("Cache-Control", "max-age=5")
        .header("x-cos-meta-who", "me")
        .body("hello")
        .send(&server)
        .await;
    assert_eq!(a.status, 200);
    let source = format!(
        "{}.cos.{}.myqcloud.com/src.txt",
        server.bucket(),
        server.region()
    );
    let a = Req::new(&server, "PUT", "copy.txt")
        .header("x-cos-copy-source", &source)
        .send(&server)
        .await;
    assert_eq!(a.status, 200, "{}", a.text());
    let root = xml(&a.text());
    assert_eq!(root.name, "CopyObjectResult");
    let a = Req::new(&server, "GET", "copy.txt").send(&server).await;
    assert_eq!(a.body, b"hello");
    assert_eq!(a.header("content-type"), Some("text/plain"));
    assert_eq!(a.header("cache-control"), Some("max-age=5"));
    assert_eq!(a.header("x-cos-meta-who"), Some("me"));

    let a = Req::new(&server, "PUT", "replaced.txt")
        .header("x-cos-copy-source", &source)
        .header("x-cos-metadata-directive", "Replaced")
        .header("Content-Type", "application/x-new")
        .send(&server)
        .await;
    assert_eq!(a.status, 200, "{}", a.text());
    let a = Req::new(&server, "HEAD", "replaced.txt")
        .send(&server)
        .await;
    assert_eq!(a.header("content-type"), Some("application/x-new"));
    assert_eq!(a.header("x-cos-meta-who"), None);

    Req::new(&server, "PUT", "x")
        .header("x-cos-copy-source", &source.replace("src", "missing"))
        .send(&server)
        .await
        .expect_error(404, "NoSuchKey");
}

#[tokio::test]
async fn multi_delete_reports_each_key() {
    let server = bounded(MockServer::start_with(config())).await.unwrap();
    put(&server, "a", "1").await;
    put(&server, "b", "2").await;
    let body = "<Delete><Quiet>false</Quiet><Object><Key>a</Key></Object><Object><Key>b</Key></Object><Object><Key>never</Key></Object><Object><Key></Key></Object></Delete>";
    let a = Req::new(&server, "POST", "")
        .query("delete", "")
        .body(body)
        .send(&server)
        .await;
    assert_eq!(a.status, 200, "{}", a.text());
    let root = xml(&a.text());
    assert_eq!(root.name, "DeleteResult");
    assert_eq!(texts(&root, "Deleted", "Key"), ["a", "b", "never"]);
    assert_eq!(texts(&root, "Error", "Code"), ["InvalidArgument"]);
    assert!(
        server
            .storage()
            .list_keys(server.bucket())
            .await
            .unwrap()
            .is_empty()
    );

    put(&server, "c", "3").await;
    let a = Req::new(&server, "POST", "")
        .query("delete", "")
        .body("<Delete><Quiet>true</Quiet><Object><Key>c</Key></Object></Delete>")
        .send(&server)
        .await;
    let root = xml(&a.text());
    assert!(root.children.is_empty(), "{}", a.text());
    Req::new(&server, "POST", "")
        .query("delete", "")
        .body("<Delete>")
        .send(&server)
        .await
        .expect_error(400, "MalformedXML");
}

#[tokio::test]
async fn conditional_get_and_content_md5() {
    let server = bounded(MockServer::start_with(config())).await.unwrap();
    let a = Req::new(&server, "PUT", "photo.jpg")
        .body("pixels")
        .send(&server)
        .await;
    let etag = a.header("etag").unwrap().to_string();
    let a = Req::new(&server, "HEAD", "photo.jpg").send(&server).await;
    assert_eq!(a.header("content-type"), Some("image/jpeg"));
    let modified = a.header("last-modified").unwrap().to_string();

    let get = |name: &str, value: &str| Req::new(&server, "GET", "photo.jpg").header(name, value);
    assert_eq!(get("If-None-Match", &etag).send(&server).await.status, 304);
    assert_eq!(
        get("If-None-Match", "\"other\"").send(&server).await.status,
        200
    );
    assert_eq!(
        get("If-Modified-Since", &modified)
            .send(&server)
            .await
            .status,
        304
    );
    get("If-Match", "\"other\"")
        .send(&server)
        .await
        .expect_error(412, "PreconditionFailed");
    assert_eq!(get("If-Match", &etag).send(&server).await.status, 200);
    get("If-Unmodified-Since", "Thu, 01 Jan 1970 00:00:00 GMT")
        .send(&server)
        .await
        .expect_error(412, "PreconditionFailed");

    // base64(md5("pixels")) must match; a wrong one stores nothing.
    Req::new(&server, "PUT", "photo.jpg")
        .header("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg==")
        .body("changed")
        .send(&server)
        .await
        .expect_error(400, "BadDigest");
    Req::new(&server, "PUT", "photo.jpg")
        .header("Content-MD5", "not base64!")
        .body("changed")
        .send(&server)
        .await
        .expect_error(400, "InvalidDigest");
    let a = Req::new(&server, "GET", "photo.jpg").send(&server).await;
    assert_eq!(a.body, b"pixels");
}
