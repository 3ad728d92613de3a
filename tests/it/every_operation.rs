//! Every operation in the spec, in every mode its YAML declares, client against mock — written
//! over `OPERATIONS`, so an operation added by YAML alone is covered with no change here.

use cos_ci_client::{
    Client, Credentials, Mode, OPERATIONS, OpSpec, ParamValues, PicOperations, PicRule, Source,
};
use cos_ci_mock::MockServer;
use cos_ci_tests::{dimensions, sample_png};
use cos_ci_validate::Output;
use cos_ci_validate::xml::Element;
use cos_ci_validate::{ParamKind, Value};

fn client(server: &MockServer) -> Client {
    Client::builder()
        .region(server.region())
        .bucket(server.bucket())
        .credentials(Credentials::new(server.secret_id(), server.secret_key()))
        .endpoint(server.endpoint())
        .build()
        .unwrap()
}

/// Valid values: the default where there is one, else the smallest allowed value; required
/// parameters always set.
fn values(spec: &OpSpec) -> ParamValues {
    let mut values = ParamValues::new();
    for p in spec.params {
        if p.default.is_some() && !p.required {
            continue;
        }
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
    crate::mock_support::satisfy_relations(spec, &mut values);
    values
}

/// Checks a download answer: an image of plausible size, or the operation's XML document.
fn check_answer(spec: &OpSpec, content_type: &str, bytes: &[u8]) {
    match spec.output {
        Output::Image { png } => {
            assert!(
                content_type.starts_with("image/"),
                "{}: {content_type}",
                spec.name
            );
            if png {
                assert_eq!(content_type, "image/png", "{}", spec.name);
            }
            let (w, h, _) =
                dimensions(bytes).unwrap_or_else(|| panic!("{}: not an image", spec.name));
            assert!(w > 0 && h > 0);
        }
        Output::Xml { root, .. } => {
            assert_eq!(content_type, "application/xml", "{}", spec.name);
            let doc = Element::parse(std::str::from_utf8(bytes).unwrap()).unwrap();
            assert_eq!(doc.name, root, "{}", spec.name);
        }
        Output::Json { nodes } => {
            assert_eq!(content_type, "application/json", "{}", spec.name);
            let doc: serde_json::Map<String, serde_json::Value> =
                serde_json::from_slice(bytes).unwrap();
            // Every member the spec requires is there.
            for n in nodes.iter().filter(|n| !n.optional) {
                assert!(doc.contains_key(n.name), "{}: no {}", spec.name, n.name);
            }
        }
    }
}

#[tokio::test]
async fn every_operation_in_every_declared_mode() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let png = sample_png(64, 48);
    client.put_object("src/in.png", png.clone()).await.unwrap();
    for spec in OPERATIONS {
        let values = values(spec);
        for mode in spec.modes {
            match mode {
                Mode::Download => {
                    let image = client
                        .process_values(
                            spec,
                            &values,
                            &crate::mock_support::source_of(spec, "src/in.png"),
                        )
                        .await
                        .unwrap_or_else(|e| panic!("{} download: {e}", spec.name));
                    check_answer(spec, &image.content_type, &image.bytes);
                }
                Mode::UploadQuery => {
                    let key = format!("out/{}-{mode}.png", spec.file);
                    let answer = client
                        .upload_query_values(spec, &values, &key, png.clone().into())
                        .await
                        .unwrap_or_else(|e| panic!("{} {mode}: {e}", spec.name));
                    check_answer(spec, &answer.content_type, &answer.bytes);
                    // The body is stored as it was sent.
                    let stored = client.get_object(&key).await.unwrap();
                    assert_eq!(stored.bytes.as_ref(), png.as_slice(), "{}", spec.name);
                }
                Mode::Upload | Mode::Cloud => {
                    let fileid = format!("/out/{}-{mode}", spec.file);
                    let mut ops = PicOperations::new().with_pic_info(true);
                    ops.rules.push(PicRule {
                        bucket: None,
                        fileid: fileid.clone(),
                        rule: spec.encode_rule(&values),
                    });
                    let result = if *mode == Mode::Upload {
                        client
                            .put_object_with("src/up.png", png.clone().into(), &ops)
                            .await
                    } else {
                        client.image_process("src/in.png", &ops).await
                    }
                    .unwrap_or_else(|e| panic!("{} {mode}: {e}", spec.name));
                    let object = &result.process_results.unwrap().object[0];
                    assert_eq!(object.key, fileid.trim_start_matches('/'));
                    let stored = client.get_object(&object.key).await.unwrap();
                    assert_eq!(stored.bytes.len() as i64, object.size, "{}", spec.name);
                    assert_eq!(stored.info.etag.as_deref(), Some(object.etag.as_str()));
                    // What is stored is an image: the processed one, or, for an operation
                    // answering a document, the picture its findings are about.
                    let (w, h, _) = dimensions(&stored.bytes)
                        .unwrap_or_else(|| panic!("{} {mode}: not an image", spec.name));
                    assert!(w > 0 && h > 0);
                    if let Output::Image { .. } = spec.output {
                        check_answer(
                            spec,
                            stored.info.content_type.as_deref().unwrap_or(""),
                            &stored.bytes,
                        );
                    }
                }
            }
        }
    }
    // Nothing went wrong on the server side either.
    assert!(server.requests().iter().all(|r| r.status < 400));
}

#[tokio::test]
async fn xml_answers_are_typed_and_depend_on_the_input() {
    use cos_ci_client::detect_face::DetectFace;
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    client
        .put_object("face.png", sample_png(30, 20))
        .await
        .unwrap();
    let answer = client
        .detect_face("face.png", &DetectFace::new().with_max_face_num(3))
        .await
        .unwrap();
    assert_eq!((answer.image_width, answer.image_height), (30, 20));
    assert_eq!(answer.face_infos.len(), 1);
    let licence = client
        .ai_license_rec(
            "face.png",
            &cos_ci_client::ai_license_rec::AiLicenseRec::new(
                cos_ci_client::ai_license_rec::CardType::DriverLicense,
            ),
        )
        .await;
    assert!(licence.is_ok_and(|doc| doc.id_info.len() == 1));
}

#[tokio::test]
async fn crop_takes_the_asked_size() {
    use cos_ci_client::ai_image_crop::AiImageCrop;
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    client
        .put_object("in.png", sample_png(64, 48))
        .await
        .unwrap();
    let fixed = client
        .ai_image_crop("in.png", &AiImageCrop::new(30, 20).with_fixed(true))
        .await
        .unwrap();
    assert_eq!(dimensions(&fixed.bytes).map(|d| (d.0, d.1)), Some((30, 20)));
    // Without `fixed`, the largest crop of that ratio.
    let ratio = client
        .ai_image_crop("in.png", &AiImageCrop::new(30, 20))
        .await
        .unwrap();
    assert_eq!(dimensions(&ratio.bytes).map(|d| (d.0, d.1)), Some((64, 42)));
    // Required parameters are arguments, so they cannot be forgotten; their range is checked.
    let err = client
        .ai_image_crop("in.png", &AiImageCrop::new(0, 20))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("width"), "{err}");
}

/// An image of one flat colour: nothing in it for a detector to find.
fn flat_png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb([200, 30, 30]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

#[tokio::test]
async fn an_operations_own_error_is_answered_and_typed() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    client
        .put_object("flat.png", flat_png(32, 24))
        .await
        .unwrap();
    client
        .put_object("busy.png", sample_png(32, 24))
        .await
        .unwrap();
    let mut tried = 0;
    for spec in OPERATIONS.iter().copied() {
        let Some(code) = spec.processor.flat_image_error else {
            continue;
        };
        let declared = spec.error(code).expect("a declared code");
        let values = values(spec);
        let err = client
            .process_values(spec, &values, &Source::key("flat.png"))
            .await
            .expect_err("a flat image has nothing to find");
        let cos_ci_client::Error::Service(service) = &err else {
            panic!("{}: not a service error: {err}", spec.name);
        };
        assert_eq!(service.code.as_str(), code, "{}", spec.name);
        assert_eq!(service.status, declared.status, "{}", spec.name);
        assert_eq!(service.code.operation_error(spec), Some(declared));
        assert_eq!(service.code.known(), None, "{}", spec.name);
        // The same operation finds something in an image that is not flat.
        client
            .process_values(spec, &values, &Source::key("busy.png"))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", spec.name));
        tried += 1;
    }
    assert!(tried > 0, "no operation declares a flat_image_error");
}

/// A JSON-object parameter end to end: the client writes it, the mock answers a crop only when
/// its member asks (a real crop of the input's pixels), and refuses text that is not the
/// object; the upload form stores the body and answers the same document.
#[tokio::test]
async fn json_parameter_asks_for_crops_and_upload_query_stores_the_body() {
    use cos_ci_client::id_card_ocr::{Config, IdCardOcr};
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let png = sample_png(40, 20);
    client.put_object("card.png", png.clone()).await.unwrap();
    let plain = client
        .id_card_ocr("card.png", &IdCardOcr::new())
        .await
        .unwrap();
    let advanced = plain.advanced_info.unwrap_or_default();
    assert!(advanced.id_card.is_none() && advanced.portrait.is_none());
    let asked = IdCardOcr::new().with_config(Config::new().with_crop_portrait(true));
    let answer = client.id_card_ocr("card.png", &asked).await.unwrap();
    let advanced = answer.advanced_info.expect("AdvancedInfo");
    assert!(
        advanced.id_card.is_none(),
        "only the portrait was asked for"
    );
    let portrait = advanced.portrait.expect("Portrait").decode().unwrap();
    let crop = image::load_from_memory(&portrait).unwrap().to_rgba8();
    let input = image::load_from_memory(&png).unwrap().to_rgba8();
    // The spec's portrait crop starts at 62% x 12% of the input.
    let (x0, y0) = (40 * 62 / 100, 20 * 12 / 100);
    assert_eq!(crop.dimensions(), (40 * 30 / 100, 20 * 68 / 100));
    assert_eq!(crop.get_pixel(0, 0), input.get_pixel(x0, y0));
    assert_eq!(crop.get_pixel(3, 2), input.get_pixel(x0 + 3, y0 + 2));

    // The wire form is the SDKs': `Config={"CropPortrait":true}`, percent-encoded.
    let logged = server.requests();
    let last = logged.last().expect("logged");
    assert!(
        last.query
            .contains("Config=%7B%22CropPortrait%22%3Atrue%7D"),
        "{}",
        last.query
    );
    // What a server is sent raw: not JSON, an unknown member, a wrong type, over the budget.
    let spec = cos_ci_validate::find_operation("IDCardOCR").unwrap();
    let long = format!("{{{}}}", " ".repeat(2000));
    for bad in [
        "{\"CropIdCard\"：true}",
        "{\"Crop\":true}",
        "{\"CropIdCard\":1}",
        long.as_str(),
    ] {
        // The client refuses it before sending (typed values cannot hold it; raw text can).
        let mut values = ParamValues::new();
        values.set("Config", Value::Text(bad.to_string()));
        let err = client
            .process_values(spec, &values, &Source::key("card.png"))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("Config"), "{err}");
        // The mock answers InvalidArgument naming the parameter.
        let answer = crate::mock_support::Req::new(&server, "GET", "card.png")
            .query("ci-process", "IDCardOCR")
            .query("Config", bad)
            .send(&server)
            .await;
        let doc = answer.expect_error(400, "InvalidArgument");
        assert!(doc.message.contains("Config"), "{}", doc.message);
    }

    let stored = client
        .id_card_ocr_upload_query("up/card.png", png.clone(), &asked)
        .await
        .unwrap();
    assert!(stored.advanced_info.and_then(|a| a.portrait).is_some());
    let object = client.get_object("up/card.png").await.unwrap();
    assert_eq!(object.bytes.as_ref(), png.as_slice());
}

#[tokio::test]
async fn an_operation_without_input_runs_on_the_bucket_and_draws_from_its_parameters() {
    use cos_ci_client::qrcode_generate::QrcodeGenerate;
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let png = |answer: &cos_ci_client::qrcode_generate::QrcodeGenerateResponse| {
        let bytes = answer.result_image.decode().unwrap();
        let (w, h, _) = dimensions(&bytes).expect("a PNG");
        (bytes, w, h)
    };
    let a = client
        .qrcode_generate(&QrcodeGenerate::new("https://www.example.com", 120))
        .await
        .unwrap();
    let (a_bytes, w, h) = png(&a);
    assert_eq!((w, h), (120, 120));
    let b = client
        .qrcode_generate(&QrcodeGenerate::new("https://www.example.org", 120))
        .await
        .unwrap();
    assert_ne!(png(&b).0, a_bytes, "another text draws another pattern");
    let again = client
        .qrcode_generate(&QrcodeGenerate::new("https://www.example.com", 120))
        .await
        .unwrap();
    assert_eq!(png(&again).0, a_bytes, "deterministic");
    // The request went to `/`, with no object behind it.
    let logged = server.requests();
    assert!(logged.iter().all(|r| r.path == "/"), "{logged:?}");

    // The client refuses a source; the mock answers the COS error to a request naming a key.
    let spec = <QrcodeGenerate as cos_ci_client::Operation>::SPEC;
    let values = cos_ci_client::Operation::to_values(&QrcodeGenerate::new("x", 10));
    let err = client
        .process_values(spec, &values, &Source::key("in.png"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            cos_ci_client::Error::InvalidArgument {
                argument: "source",
                ..
            }
        ),
        "{err}"
    );
    let mut request = crate::mock_support::Req::new(&server, "GET", "in.png");
    for (k, v) in spec.encode_pairs(&values) {
        request = request.query(k, &v);
    }
    request
        .send(&server)
        .await
        .expect_error(400, "InvalidArgument");
}
