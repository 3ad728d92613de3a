//! The example's own operation, generated from `spec/`, called through the client's
//! extension trait against cos-ci-mock.

use cos_ci_client::{Client, Credentials, Error};
use cos_ci_downstream_example::ai_image_gray;
use cos_ci_downstream_example::{AiImageGrayExt, OPERATIONS, ai_image_gray::AiImageGray};
use cos_ci_mock::processors::ProcessError;
use cos_ci_mock::{MockOperation, MockServer, StandInInput};
use cos_ci_validate::Operation;

/// `src/generated/` is what the spec generates (stale, missing and extra files fail it).
#[test]
fn generated_code_is_fresh() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let generator = cos_ci_codegen::Generator::new(dir.join("spec"), dir.join("src/generated"));
    if let Err(e) = generator.check() {
        panic!("{e}\nrun `cos-ci-codegen --spec spec --out src/generated`");
    }
}

/// A client for `server`, as a test of any crate builds one.
fn client_for(server: &MockServer) -> Client {
    Client::builder()
        .region(server.region())
        .bucket(server.bucket())
        .credentials(Credentials::new(server.secret_id(), server.secret_key()))
        .endpoint(server.endpoint())
        .build()
        .expect("client for the mock")
}

#[test]
fn the_operation_encodes_and_validates_its_parameters() {
    let params = AiImageGray::new().with_strength(40).with_ignore_error(true);
    assert_eq!(
        params.to_query().expect("valid"),
        "ci-process=AIImageGray&strength=40&ignore-error=1"
    );
    let err = AiImageGray::new()
        .with_strength(101)
        .validate()
        .expect_err("101 is out of range");
    assert_eq!(err.violations[0].param, "strength");
    assert_eq!(err.violations[0].allowed, "an integer in 0..=100");
    assert_eq!(OPERATIONS.len(), 1);
    assert_eq!(OPERATIONS[0].name, "AIImageGray");
    // Not one of the built-in operations: the client knows it only through this crate.
    assert!(cos_ci_validate::find_operation("AIImageGray").is_none());
}

#[tokio::test]
async fn an_out_of_range_parameter_is_refused_before_anything_is_sent() {
    let server = MockServer::start().await.expect("mock");
    let client = client_for(&server);
    let before = server.requests().len();
    let err = client
        .ai_image_gray("photos/in.png", &AiImageGray::new().with_strength(101))
        .await
        .expect_err("strength 101 is out of range");
    assert!(matches!(err, Error::Validation(_)), "{err}");
    assert!(err.to_string().contains("strength"), "{err}");
    assert_eq!(server.requests().len(), before, "nothing reached the mock");
}

#[tokio::test]
async fn a_presigned_url_runs_the_operation() {
    let server = MockServer::start().await.expect("mock");
    let client = client_for(&server);
    let url = client
        .presign_process(
            "photos/in.png",
            &AiImageGray::new().with_strength(0),
            std::time::Duration::from_secs(60),
        )
        .expect("url");
    assert!(url.starts_with(&server.endpoint()), "{url}");
    assert!(url.contains("ci-process=AIImageGray"), "{url}");
    assert!(url.contains("strength=0"), "{url}");
    assert!(url.contains("q-signature="), "{url}");
}

/// The futures of the extension trait are `Send`, so they can be spawned.
#[tokio::test]
async fn the_trait_futures_can_be_spawned() {
    let server = MockServer::start().await.expect("mock");
    let client = client_for(&server);
    let task = tokio::spawn(async move {
        client
            .ai_image_gray("photos/in.png", &AiImageGray::new().with_strength(500))
            .await
    });
    let result = task.await.expect("task");
    assert!(matches!(result, Err(Error::Validation(_))));
}

/// The operation's stand-in in the mock: a real grey conversion, `strength` percent of the way.
fn grey(input: StandInInput<'_>) -> Result<Vec<u8>, ProcessError> {
    let invalid = |e: image::ImageError| ProcessError {
        code: ProcessError::INVALID_IMAGE_FORMAT,
        message: e.to_string(),
    };
    let strength = input.params.int("strength").unwrap_or(100) as f32 / 100.0;
    let mut image = image::load_from_memory(input.input)
        .map_err(invalid)?
        .to_rgb8();
    for pixel in image.pixels_mut() {
        let [r, g, b] = pixel.0.map(f32::from);
        let luma = 0.299 * r + 0.587 * g + 0.114 * b;
        pixel.0 = [r, g, b].map(|c| (c + (luma - c) * strength).round() as u8);
    }
    let mut png = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut png, image::ImageFormat::Png)
        .map_err(invalid)?;
    Ok(png.into_inner())
}

/// A 4×2 PNG with saturated colours.
fn colour_png() -> Vec<u8> {
    let image = image::RgbImage::from_fn(4, 2, |x, y| match (x + y) % 3 {
        0 => image::Rgb([255, 0, 0]),
        1 => image::Rgb([0, 200, 0]),
        _ => image::Rgb([10, 20, 250]),
    });
    let mut png = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut png, image::ImageFormat::Png)
        .expect("png");
    png.into_inner()
}

/// A server that serves this crate's operation next to the built-in ones.
async fn server_with_grey() -> MockServer {
    MockServer::builder()
        .operation(MockOperation::with_stand_in(&ai_image_gray::SPEC, grey))
        .start()
        .await
        .expect("mock")
}

#[tokio::test]
async fn the_mock_serves_the_operation_in_download_and_cloud_modes() {
    let server = server_with_grey().await;
    let client = client_for(&server);
    client
        .put_object("photos/in.png", colour_png())
        .await
        .expect("put");

    let image = client
        .ai_image_gray("photos/in.png", &AiImageGray::new())
        .await
        .expect("download mode");
    let grey = image::load_from_memory(&image.bytes)
        .expect("png")
        .to_rgb8();
    assert_eq!(grey.dimensions(), (4, 2));
    assert!(
        grey.pixels().all(|p| p[0] == p[1] && p[1] == p[2]),
        "all grey"
    );

    // strength 0 leaves the image as it was.
    let same = client
        .ai_image_gray("photos/in.png", &AiImageGray::new().with_strength(0))
        .await
        .expect("strength 0");
    let same = image::load_from_memory(&same.bytes).expect("png").to_rgb8();
    assert_eq!(same.get_pixel(0, 0).0, [255, 0, 0]);

    let stored = client
        .cloud_with("photos/in.png", "/photos/grey.png", &AiImageGray::new())
        .await
        .expect("cloud mode");
    let key = &stored.process_results.expect("results").object[0].key;
    assert_eq!(key, "photos/grey.png");
    let saved = client.get_object("photos/grey.png").await.expect("saved");
    let saved = image::load_from_memory(&saved.bytes)
        .expect("png")
        .to_rgb8();
    assert!(saved.pixels().all(|p| p[0] == p[1] && p[1] == p[2]));

    // The query the spec describes, signed as the mock checks it.
    let request = server
        .requests()
        .into_iter()
        .find(|r| r.method == "GET" && r.query.contains("strength=0"))
        .expect("the GET reached the mock");
    assert_eq!(request.query, "ci-process=AIImageGray&strength=0");
}

// Multi-threaded: the CLI runs as a blocking child process while the mock serves it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_runs_the_operation_from_this_crates_spec() {
    // `cargo xtask downstream` builds the cos-ci binary of the crates under test.
    let Some(cli) = std::env::var_os("COS_CI_BIN") else {
        panic!("set COS_CI_BIN to a cos-ci binary (`cargo xtask downstream` does)");
    };
    let server = server_with_grey().await;
    let client = client_for(&server);
    client
        .put_object("photos/in.png", colour_png())
        .await
        .expect("put");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = tempfile::tempdir().expect("temp dir");
    let cos_ci = |args: &[&str]| {
        let out = std::process::Command::new(&cli)
            .current_dir(work.path())
            .env_clear()
            .env("HOME", work.path())
            .args(["--endpoint", &server.endpoint(), "--scheme", "http"])
            .args(["--region", server.region(), "--bucket", server.bucket()])
            .args(["--secret-id", server.secret_id()])
            .args(["--secret-key", server.secret_key()])
            .arg("--spec")
            .arg(dir.join("spec"))
            .args(args)
            .output()
            .expect("run cos-ci");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "cos-ci {args:?}: {stderr}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(cos_ci(&["ops"]).contains("AIImageGray"));
    cos_ci(&["process", "AIImageGray", "photos/in.png", "-o", "out.png"]);
    let out = image::open(work.path().join("out.png"))
        .expect("png")
        .to_rgb8();
    assert!(
        out.pixels().all(|p| p[0] == p[1] && p[1] == p[2]),
        "all grey"
    );
}
