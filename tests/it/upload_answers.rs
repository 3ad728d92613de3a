//! What operations add to the upload and cloud answer (`output.upload_result`): the typed
//! `<Op>UploadResult` the client's `upload_with` / `cloud_with` return, filled by the mock.

use cos_ci_client::image_target_rec::{DetectType, ImageTargetRec};
use cos_ci_client::qrcode::Qrcode;
use cos_ci_client::{Client, Credentials, Error, Operation, PicOperations, Source, UploadResult};
use cos_ci_mock::MockServer;
use cos_ci_tests::{dimensions, sample_png};

fn client(server: &MockServer) -> Client {
    Client::builder()
        .region(server.region())
        .bucket(server.bucket())
        .credentials(Credentials::new(server.secret_id(), server.secret_key()))
        .endpoint(server.endpoint())
        .build()
        .unwrap()
}

/// The Pic-Operations header of the last request the mock logged.
fn last_pic_operations(server: &MockServer) -> String {
    let logged = server.requests();
    let last = logged.last().expect("a request");
    let found = last
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("pic-operations"));
    found
        .map(|(_, v)| v.clone())
        .expect("a Pic-Operations header")
}

/// QRcode's nodes inside its rule's `<Object>`, the download answer's types; the object stored
/// is an image of the input's size.
#[tokio::test]
async fn qrcode_adds_its_findings_to_its_rules_object() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let png = sample_png(48, 24);
    let answer = client
        .upload_with("in/code.png", png.clone(), "/out/code.png", &Qrcode::new())
        .await
        .unwrap();
    // The path rule on the wire.
    let header = last_pic_operations(&server);
    assert!(header.contains("\"rule\":\"QRcode\""), "{header}");
    let objects = answer.process_results.expect("ProcessResults").object;
    let [object] = objects.as_slice() else {
        panic!("one rule, one object: {objects:?}")
    };
    assert_eq!(object.key, "out/code.png");
    assert_eq!(object.code_status, 1, "the spec's sample");
    let [info] = object.qrcode_info.as_slice() else {
        panic!("{:?}", object.qrcode_info)
    };
    assert_eq!(info.code_url, "https://www.example.com");
    assert_eq!(info.code_location.point, ["100,100"]);
    assert_eq!(
        answer.original_info.expect("OriginalInfo").key,
        "in/code.png"
    );
    let stored = client.get_object("out/code.png").await.unwrap();
    assert_eq!(
        dimensions(&stored.bytes).map(|d| (d.0, d.1)),
        Some((48, 24))
    );

    // The generic call still reads the standard nodes.
    let ops = PicOperations::new()
        .with_rule("/out/again.png", &Qrcode::new())
        .unwrap();
    let generic: UploadResult = client
        .put_object_with("in/again.png", png.into(), &ops)
        .await
        .unwrap();
    assert_eq!(
        generic.process_results.unwrap().object[0].key,
        "out/again.png"
    );
}

/// ImageTargetRec has no download mode; it adds a root node with one container per requested
/// kind, in upload and in cloud mode.
#[tokio::test]
async fn image_target_rec_adds_a_root_node_per_requested_kind() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let png = sample_png(32, 32);
    let params = ImageTargetRec::new()
        .with_detect_type(vec![DetectType::Car, DetectType::Face])
        .with_cover(true);
    let uploaded = client
        .upload_with("in/street.png", png.clone(), "/out/street.png", &params)
        .await
        .unwrap();
    let found = uploaded.img_target_rec_result;
    let cars = found
        .car_detail_infos
        .expect("asked for cars")
        .car_detail_info;
    assert_eq!(cars.len(), 1);
    assert_eq!((cars[0].x.as_str(), cars[0].width.as_str()), ("10", "100"));
    assert!(found.face_detail_infos.is_some());
    assert!(found.body_detail_infos.is_none() && found.plate_detail_infos.is_none());
    // The rule writes the list's commas raw, as the page does.
    let header = last_pic_operations(&server);
    assert!(header.contains("detect-type=car,face&cover=1"), "{header}");

    let clouded = client
        .cloud_with(
            "in/street.png",
            "/out/cloud.png",
            &ImageTargetRec::new().with_detect_type(vec![DetectType::Plate]),
        )
        .await
        .unwrap();
    let found = clouded.img_target_rec_result;
    assert!(found.plate_detail_infos.is_some() && found.car_detail_infos.is_none());
    let stored = client.get_object("out/cloud.png").await.unwrap();
    assert_eq!(
        stored.bytes.as_ref(),
        png.as_slice(),
        "the stand-in stores the input"
    );

    // No download mode: the client refuses a download before sending one.
    let spec = <ImageTargetRec as Operation>::SPEC;
    let err = client
        .process_values(spec, &params.to_values(), &Source::key("in/street.png"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidArgument { argument: "OP", .. }),
        "{err}"
    );
}
