//! Bad input gets the right COS error, stores nothing, and the server keeps serving:
//! malformed Pic-Operations, too many rules, bad fileids, bad parameters, and images that are
//! truncated, not images at all, or declare 100000 x 100000 pixels — in every mode.

// Helpers outside #[test] functions too: a panic is how they report a failure.
#![allow(clippy::unwrap_used)]

use cos_ci_client::{Mode, OPERATIONS, Source};
use cos_ci_mock::MockServer;
use cos_ci_tests::{dimensions, sample_jpeg, sample_png};
use cos_ci_validate::Output;

use crate::mock_support::{Answer, Req, owner, required_values, service};

/// CRC-32 (IEEE), as PNG chunks carry it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A well-formed small PNG whose header declares `w` x `h` (with a correct CRC).
fn png_declaring(w: u32, h: u32) -> Vec<u8> {
    let mut png = sample_png(4, 4);
    assert_eq!(&png[12..16], b"IHDR");
    png[16..20].copy_from_slice(&w.to_be_bytes());
    png[20..24].copy_from_slice(&h.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

#[test]
fn the_crafted_png_header_is_valid() {
    // The check value of CRC-32.
    assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    // Patching back the real size gives the original file, CRC included.
    assert_eq!(png_declaring(4, 4), sample_png(4, 4));
}

fn upload_req(server: &MockServer, key: &str, body: Vec<u8>, ops: &str) -> Req {
    Req::new(server, "PUT", key)
        .header("Pic-Operations", ops)
        .body(body)
}

fn cloud_req(server: &MockServer, key: &str, ops: &str) -> Req {
    Req::new(server, "POST", key)
        .query("image_process", "")
        .header("Pic-Operations", ops)
}

fn one_rule(fileid: &str, rule: &str) -> String {
    serde_json::json!({ "rules": [{ "fileid": fileid, "rule": rule }] }).to_string()
}

/// The server is still well: it answers a good request, and never answered 5xx.
async fn still_serving(server: &MockServer) {
    let client = owner(server);
    let out = client
        .ai_super_resolution(
            "src/in.png",
            &cos_ci_client::ai_super_resolution::AiSuperResolution::new(),
        )
        .await
        .unwrap();
    assert_eq!(dimensions(&out.bytes).map(|d| (d.0, d.1)), Some((128, 96)));
    let errors: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.status >= 500)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[tokio::test]
async fn malformed_pic_operations_are_refused_and_store_nothing() {
    let server = MockServer::start().await.unwrap();
    owner(&server)
        .put_object("src/in.png", sample_png(32, 24))
        .await
        .unwrap();
    let colour = "ci-process=AIImageColoring";
    let six = serde_json::json!({
        "rules": (0..6)
            .map(|i| serde_json::json!({ "fileid": format!("o{i}.png"), "rule": colour }))
            .collect::<Vec<_>>()
    })
    .to_string();
    let cases: Vec<(String, u16, &str)> = vec![
        ("{\"rules\": [".into(), 400, "InvalidPicOperations"),
        ("not json".into(), 400, "InvalidPicOperations"),
        (String::new(), 400, "InvalidPicOperations"),
        (
            format!(r#"{{"rules": {{"fileid": "a.png", "rule": "{colour}"}}}}"#),
            400,
            "InvalidPicOperations",
        ),
        (
            r#"{"rules": [{"fileid": "a.png"}]}"#.into(),
            400,
            "InvalidPicOperations",
        ),
        (
            format!(r#"{{"rules": [{{"fileid": 7, "rule": "{colour}"}}]}}"#),
            400,
            "InvalidPicOperations",
        ),
        (
            format!(r#"{{"is_pic_info": 2, "rules": [{{"fileid": "a.png", "rule": "{colour}"}}]}}"#),
            400,
            "InvalidPicOperations",
        ),
        (
            format!(r#"{{"rules": [{{"fileid": "a.png", "rule": "{colour}", "size": 1}}]}}"#),
            400,
            "InvalidPicOperations",
        ),
        (six, 400, "InvalidPicOperations"),
        (one_rule("out/", colour), 400, "InvalidPicOperations"),
        (one_rule("/out/", colour), 400, "InvalidPicOperations"),
        (one_rule("../escape.png", colour), 400, "InvalidPicOperations"),
        (one_rule("a/../../escape.png", colour), 400, "InvalidPicOperations"),
        (one_rule("/../escape.png", colour), 400, "InvalidPicOperations"),
        (one_rule("./here.png", colour), 400, "InvalidPicOperations"),
        (one_rule("", colour), 400, "InvalidPicOperations"),
        (one_rule("/", colour), 400, "InvalidPicOperations"),
        (
            one_rule("a.png", "ci-process=NoSuchOperation"),
            400,
            "InvalidPicOperations",
        ),
        (one_rule("a.png", "denoise=1"), 400, "InvalidPicOperations"),
        (
            one_rule("a.png", "ci-process=AISuperResolution&magnify=3"),
            400,
            "InvalidArgument",
        ),
        (
            one_rule("a.png", "ci-process=AIEnhanceImage&denoise=9"),
            400,
            "InvalidArgument",
        ),
        (
            one_rule("a.png", "ci-process=AIPicMatting&padding-layout=1001x0"),
            400,
            "InvalidArgument",
        ),
        (
            serde_json::json!({ "rules": [{ "bucket": "nosuchbucket-1250000000", "fileid": "a.png", "rule": colour }] })
                .to_string(),
            404,
            "NoSuchBucket",
        ),
    ];
    for (ops, status, code) in &cases {
        for mode in ["upload", "cloud"] {
            let req = if mode == "upload" {
                upload_req(&server, "up/in.png", sample_png(32, 24), ops)
            } else {
                cloud_req(&server, "src/in.png", ops)
            };
            let answer = req.send(&server).await;
            let doc = answer.expect_error(*status, code);
            assert!(!doc.message.is_empty());
            assert_eq!(
                server.storage().list_keys(server.bucket()).await.unwrap(),
                ["src/in.png"],
                "{mode} {ops}: something was stored"
            );
        }
    }
    // The messages say what is wrong.
    let answer = cloud_req(&server, "src/in.png", &cases[8].0)
        .send(&server)
        .await;
    let message = answer.error().message;
    assert!(message.contains('6') && message.contains('5'), "{message}");
    let answer = cloud_req(&server, "src/in.png", &one_rule("../escape.png", colour))
        .send(&server)
        .await;
    assert!(answer.error().message.contains("../escape.png"));
    let answer = cloud_req(
        &server,
        "src/in.png",
        &one_rule("a.png", "ci-process=AISuperResolution&magnify=3"),
    )
    .send(&server)
    .await;
    assert!(answer.error().message.contains("magnify"));

    // Five rules is the limit, and fine.
    let five = serde_json::json!({
        "rules": (0..5)
            .map(|i| serde_json::json!({ "fileid": format!("/five/o{i}.png"), "rule": colour }))
            .collect::<Vec<_>>()
    })
    .to_string();
    let answer = cloud_req(&server, "src/in.png", &five).send(&server).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.text().matches("<Object>").count(), 5);
    assert_eq!(
        server
            .storage()
            .list_keys(server.bucket())
            .await
            .unwrap()
            .len(),
        6
    );

    // Cloud processing without a Pic-Operations header, and processing the bucket root.
    let answer = Req::new(&server, "POST", "src/in.png")
        .query("image_process", "")
        .send(&server)
        .await;
    answer.expect_error(400, "InvalidPicOperations");
    let answer = upload_req(&server, "", sample_png(4, 4), &one_rule("/a.png", colour))
        .path("/")
        .send(&server)
        .await;
    answer.expect_error(400, "InvalidArgument");

    let out = owner(&server)
        .ai_image_coloring(
            "src/in.png",
            &cos_ci_client::ai_image_coloring::AiImageColoring::new(),
        )
        .await
        .unwrap();
    assert_eq!(dimensions(&out.bytes).map(|d| (d.0, d.1)), Some((32, 24)));
    assert!(server.requests().iter().all(|r| r.status < 500));
}

#[tokio::test]
async fn bad_parameters_and_requests_are_refused() {
    let server = MockServer::start().await.unwrap();
    owner(&server)
        .put_object("src/in.png", sample_png(64, 48))
        .await
        .unwrap();
    let download = |query: &[(&str, &str)], key: &str| {
        let mut req = Req::new(&server, "GET", key);
        for (k, v) in query {
            req = req.query(k, v);
        }
        req
    };
    let cases: Vec<(Req, u16, &str)> = vec![
        (
            download(
                &[("ci-process", "AISuperResolution"), ("magnify", "3")],
                "src/in.png",
            ),
            400,
            "InvalidArgument",
        ),
        (
            download(
                &[("ci-process", "AIEnhanceImage"), ("denoise", "abc")],
                "src/in.png",
            ),
            400,
            "InvalidArgument",
        ),
        (
            download(
                &[("ci-process", "AIPicMatting"), ("padding-layout", "1001x0")],
                "src/in.png",
            ),
            400,
            "InvalidArgument",
        ),
        (
            download(
                &[("ci-process", "AIPicMatting"), ("padding-layout", "10")],
                "src/in.png",
            ),
            400,
            "InvalidArgument",
        ),
        (
            download(&[("ci-process", "NoSuchOperation")], "src/in.png"),
            400,
            "InvalidArgument",
        ),
        (
            download(&[("ci-process", "AISuperResolution")], "src/missing.png"),
            404,
            "NoSuchKey",
        ),
        (
            download(&[("ci-process", "AISuperResolution")], "").path("/"),
            400,
            "InvalidArgument",
        ),
        (
            Req::new(&server, "GET", "").path("/bad%FF.png"),
            400,
            "InvalidURI",
        ),
        (
            Req::new(&server, "PUT", &"k".repeat(900)).body("x"),
            400,
            "KeyTooLong",
        ),
        (
            Req::new(&server, "PATCH", "src/in.png"),
            405,
            "MethodNotAllowed",
        ),
    ];
    for (req, status, code) in cases {
        req.send(&server).await.expect_error(status, code);
    }
    assert_eq!(
        server.storage().list_keys(server.bucket()).await.unwrap(),
        ["src/in.png"]
    );
    still_serving(&server).await;
}

/// Bad images, and the code each must get.
fn bad_images() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let png = sample_png(64, 48);
    let jpeg = sample_jpeg(64, 48);
    vec![
        (
            "truncated png",
            png[..png.len() / 2].to_vec(),
            "InvalidImageFormat",
        ),
        (
            "truncated jpeg",
            jpeg[..jpeg.len() * 2 / 3].to_vec(),
            "InvalidImageFormat",
        ),
        (
            "png declaring 100000x100000",
            png_declaring(100_000, 100_000),
            "ImageResolutionExceed",
        ),
        (
            "not an image",
            b"%PDF-1.4 this is not an image at all".to_vec(),
            "InvalidImageFormat",
        ),
        ("empty", Vec::new(), "InvalidImageFormat"),
    ]
}

#[tokio::test]
async fn bad_images_get_image_errors_in_every_mode() {
    let server = MockServer::start().await.unwrap();
    let client = owner(&server);
    client
        .put_object("src/in.png", sample_png(64, 48))
        .await
        .unwrap();
    let mut checked = 0;
    for (n, (what, bytes, code)) in bad_images().into_iter().enumerate() {
        let key = format!("bad/{n}.img");
        client.put_object(&key, bytes.clone()).await.unwrap();
        for spec in OPERATIONS {
            // Operations answering a document (XML or JSON) read only the header; a truncated
            // body is theirs to ignore. Every other case must fail for every operation.
            let document = matches!(spec.output, Output::Xml { .. } | Output::Json { .. });
            if what.starts_with("truncated") && document {
                continue;
            }
            // An operation without an input reads no image at all.
            if spec.input == cos_ci_client::Input::None {
                continue;
            }
            let values = required_values(spec);
            for &mode in spec.modes {
                let what = format!("{} {mode} on {what}", spec.name);
                let dest = format!("bad/out-{n}-{}-{mode}.png", spec.file);
                let answer: Answer = match mode {
                    Mode::Download => {
                        let mut req = Req::new(&server, "GET", &key);
                        for (k, v) in spec.encode_pairs(&values) {
                            req = req.query(k, &v);
                        }
                        req.send(&server).await
                    }
                    Mode::Upload => {
                        let ops = one_rule(&format!("/{dest}"), &spec.encode_rule(&values));
                        upload_req(&server, &format!("bad/up-{n}.img"), bytes.clone(), &ops)
                            .send(&server)
                            .await
                    }
                    Mode::Cloud => {
                        let ops = one_rule(&format!("/{dest}"), &spec.encode_rule(&values));
                        cloud_req(&server, &key, &ops).send(&server).await
                    }
                    Mode::UploadQuery => {
                        let mut req = Req::new(&server, "PUT", &format!("bad/up-{n}.img"));
                        for (k, v) in spec.encode_pairs(&values) {
                            req = req.query(k, &v);
                        }
                        req.body(bytes.clone()).send(&server).await
                    }
                };
                assert_eq!(
                    (answer.status, answer.error().code.as_str()),
                    (400, code),
                    "{what}: {}",
                    answer.text()
                );
                checked += 1;
                for gone in [dest.clone(), format!("bad/up-{n}.img")] {
                    assert!(
                        server.storage().head(server.bucket(), &gone).await.is_err(),
                        "{what}: {gone} was stored"
                    );
                }
            }
        }
    }
    assert!(checked > OPERATIONS.len() * 3, "{checked}");

    // Through the client too: the typed error carries the code.
    let err = client
        .ai_super_resolution(
            Source::key("bad/2.img"),
            &cos_ci_client::ai_super_resolution::AiSuperResolution::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(service(&err), (400, "ImageResolutionExceed"));
    still_serving(&server).await;
}
