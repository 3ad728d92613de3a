//! Every operation in every mode, cos-ci-client against cos-ci-mock.

use cos_ci_client::ai_enhance_image::AiEnhanceImage;
use cos_ci_client::ai_image_coloring::AiImageColoring;
use cos_ci_client::ai_pic_matting::{AiPicMatting, PaddingLayout};
use cos_ci_client::ai_super_resolution::{AiSuperResolution, Magnify};
use cos_ci_client::{Client, Credentials, Error, PicOperations};
use cos_ci_mock::MockServer;
use cos_ci_tests::{dimensions, sample_jpeg, sample_png};

fn client(server: &MockServer) -> Client {
    Client::builder()
        .region(server.region())
        .bucket(server.bucket())
        .credentials(Credentials::new(server.secret_id(), server.secret_key()))
        .endpoint(server.endpoint())
        .scheme("http")
        .build()
        .unwrap()
}

#[tokio::test]
async fn objects_round_trip() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let png = sample_png(32, 24);
    let put = client
        .put_object("dir/a b+c.png", png.clone())
        .await
        .unwrap();
    assert!(put.etag.is_some());
    let got = client.get_object("dir/a b+c.png").await.unwrap();
    assert_eq!(got.bytes.as_ref(), png.as_slice());
    assert_eq!(got.info.etag, put.etag);
    let head = client.head_object("dir/a b+c.png").await.unwrap();
    assert_eq!(head.size, png.len() as u64);
    client.delete_object("dir/a b+c.png").await.unwrap();
    let err = client.get_object("dir/a b+c.png").await.unwrap_err();
    assert_eq!(err.code(), Some("NoSuchKey"));
    assert!(err.request_id().is_some());
}

#[tokio::test]
async fn download_mode_every_operation() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    client
        .put_object("in.png", sample_png(40, 30))
        .await
        .unwrap();

    let out = client
        .ai_super_resolution(
            "in.png",
            &AiSuperResolution::new().with_magnify(Magnify::X4),
        )
        .await
        .unwrap();
    assert_eq!(out.content_type, "image/png");
    assert_eq!(dimensions(&out.bytes).map(|d| (d.0, d.1)), Some((160, 120)));

    let out = client
        .ai_enhance_image("in.png", &AiEnhanceImage::new().with_denoise(2))
        .await
        .unwrap();
    assert_eq!(dimensions(&out.bytes).map(|d| (d.0, d.1)), Some((40, 30)));

    let out = client
        .ai_image_coloring("in.png", &AiImageColoring::new())
        .await
        .unwrap();
    assert_eq!(dimensions(&out.bytes).map(|d| (d.0, d.1)), Some((40, 30)));

    let params = AiPicMatting::new().with_padding_layout(PaddingLayout::new(5, 3));
    let out = client.ai_pic_matting("in.png", &params).await.unwrap();
    assert_eq!(out.content_type, "image/png");
    assert_eq!(dimensions(&out.bytes), Some((50, 36, true)));
}

#[tokio::test]
async fn upload_and_cloud_modes() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let jpeg = sample_jpeg(20, 10);
    let result = client
        .upload_with(
            "photos/in.jpg",
            jpeg.clone(),
            "big/out.jpg",
            &AiSuperResolution::new(),
        )
        .await
        .unwrap();
    let objects = result.process_results.unwrap().object;
    assert_eq!(objects[0].key, "photos/big/out.jpg");
    assert_eq!((objects[0].width, objects[0].height), (Some(40), Some(20)));
    let stored = client.get_object("photos/big/out.jpg").await.unwrap();
    assert_eq!(stored.bytes.len() as i64, objects[0].size);
    assert_eq!(stored.info.etag.as_deref(), Some(objects[0].etag.as_str()));
    assert_eq!(
        client
            .get_object("photos/in.jpg")
            .await
            .unwrap()
            .bytes
            .as_ref(),
        jpeg.as_slice()
    );

    let ops = PicOperations::new()
        .with_pic_info(true)
        .with_rule("/c/colored.jpg", &AiImageColoring::new())
        .unwrap()
        .with_rule("/c/cut.png", &AiPicMatting::new().with_center_layout(true))
        .unwrap();
    let result = client.image_process("photos/in.jpg", &ops).await.unwrap();
    let info = result.original_info.unwrap();
    assert_eq!(info.image_info.map(|i| (i.width, i.height)), Some((20, 10)));
    let keys: Vec<String> = result
        .process_results
        .unwrap()
        .object
        .into_iter()
        .map(|o| o.key)
        .collect();
    assert_eq!(keys, ["c/colored.jpg", "c/cut.png"]);
}

#[tokio::test]
async fn wrong_secret_is_signature_does_not_match() {
    let server = MockServer::start().await.unwrap();
    let client = Client::builder()
        .region(server.region())
        .bucket(server.bucket())
        .credentials(Credentials::new(server.secret_id(), "wrong"))
        .endpoint(server.endpoint())
        .build()
        .unwrap();
    let err = client.get_object("x.png").await.unwrap_err();
    let Error::Service(e) = &err else {
        panic!("{err}")
    };
    assert_eq!(e.code, "SignatureDoesNotMatch");
    assert_eq!(e.status, 403);
    assert!(e.request_id.is_some());
    assert!(!err.is_retryable());
}
