//! The exact request of every operation in every mode, with a fixed clock: method, URL,
//! signed headers and Authorization. Generic over the spec, so new operations are covered.

#![allow(clippy::unwrap_used)]

use cos_ci_client::{
    Client, Credentials, Input, Mode, OPERATIONS, OpSpec, ParamValues, PicOperations, PicRule,
    Source,
};
use cos_ci_validate::{JsonValue, ParamKind, Value};

/// 2023-11-14T22:13:20Z, the instant the official SDK vectors were made at.
const NOW: u64 = 1_700_000_000;

fn client() -> Client {
    Client::builder()
        .region("ap-guangzhou")
        .bucket("examplebucket-1250000000")
        .credentials(Credentials::new("AKIDEXAMPLE", "example-secret"))
        .fixed_time(NOW)
        .build()
        .unwrap()
}

/// Every parameter set to its largest allowed value (pairs and sets included).
fn sample(spec: &OpSpec) -> ParamValues {
    let mut values = ParamValues::new();
    for p in spec.params {
        let value = match p.kind {
            ParamKind::Integer { max, .. } => Value::Int(max),
            ParamKind::IntegerSet(set) => Value::Int(set.last().copied().unwrap_or(0)),
            ParamKind::Number { max, .. } => Value::Number(max),
            ParamKind::Flag => Value::Flag(true),
            ParamKind::Text { values, .. } => {
                Value::Text(values.first().unwrap_or(&"text value").to_string())
            }
            ParamKind::Pair { max, .. } => Value::Pair(max, max / 2),
            // Every word, last first, so the separator shows in the query and the rule.
            ParamKind::List { values, .. } => Value::list(values.iter().rev().copied()),
            // Every member set, as the longest text the SDKs write.
            ParamKind::Json { fields, .. } => Value::Json(
                fields
                    .iter()
                    .map(|f| (f.name.to_string(), JsonValue::Bool(true)))
                    .collect(),
            ),
        };
        values.set(p.name, value);
    }
    values
}

#[test]
fn every_operation_in_every_mode() {
    let client = client();
    for spec in OPERATIONS {
        let values = sample(spec);
        let mut out = String::new();
        // An operation without an input runs on the bucket.
        let source = match spec.input {
            Input::Object => Source::key("input/photo 1.png"),
            Input::None => Source::Bucket,
        };
        if spec.supports(Mode::Download) {
            let request = client
                .prepare_download_values(spec, &values, &source)
                .unwrap();
            out.push_str(&format!("# download\n{request}\n"));
            if spec.detect_url.is_some() {
                let request = client
                    .prepare_download_values(
                        spec,
                        &values,
                        &Source::url("https://example.com/a b.jpg?x=1&y=2"),
                    )
                    .unwrap();
                out.push_str(&format!("# download, detect-url\n{request}\n"));
            }
            let url = client
                .presign_values(spec, &values, &source, std::time::Duration::from_secs(300))
                .unwrap();
            out.push_str(&format!("# pre-signed\n{url}\n\n"));
        }
        let mut ops = PicOperations::new().with_pic_info(true);
        ops.rules.push(PicRule {
            bucket: None,
            fileid: "out/result.png".to_string(),
            rule: spec.encode_rule(&values),
        });
        if spec.supports(Mode::Upload) {
            let request = client
                .prepare_upload("input/photo 1.png", 160, &ops)
                .unwrap();
            out.push_str(&format!("# upload\n{request}\n"));
        }
        if spec.supports(Mode::Cloud) {
            let request = client.prepare_cloud("input/photo 1.png", &ops).unwrap();
            out.push_str(&format!("# cloud\n{request}\n"));
        }
        if spec.supports(Mode::UploadQuery) {
            let request = client
                .prepare_upload_query(spec, &values, "input/photo 1.png", 160)
                .unwrap();
            out.push_str(&format!("# upload_query\n{request}\n"));
        }
        insta::assert_snapshot!(spec.file, out);
    }
}

#[test]
fn matches_the_official_sdk_vector() {
    // conformance vector `get-superres-magnify4`, signed by cos-python-sdk-v5 at 1699999940..1700003600.
    let client = Client::builder()
        .region("ap-guangzhou")
        .bucket("examplebucket-1250000000")
        .credentials(Credentials::new("AKIDEXAMPLE", "example-secret"))
        .signature_validity(std::time::Duration::from_secs(3600))
        .fixed_time(NOW)
        .build()
        .unwrap();
    let params = cos_ci_client::ai_super_resolution::AiSuperResolution::new()
        .with_magnify(cos_ci_client::ai_super_resolution::Magnify::X4);
    let request = client
        .prepare_download(&Source::key("input/photo.png"), &params)
        .unwrap();
    assert_eq!(
        request.url,
        "https://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/input/photo.png?ci-process=AISuperResolution&magnify=4"
    );
    assert_eq!(
        request.header("authorization"),
        Some(
            "q-sign-algorithm=sha1&q-ak=AKIDEXAMPLE&q-sign-time=1699999940;1700003600&q-key-time=1699999940;1700003600&q-header-list=host&q-url-param-list=ci-process;magnify&q-signature=f9e22822a2b83e49e93abb5d1c262f1ff6941ab4"
        )
    );
}

#[test]
fn out_of_range_is_refused_before_sending() {
    let client = client();
    let spec = cos_ci_client::find_operation("AIEnhanceImage").unwrap();
    let mut values = ParamValues::new();
    values.set("denoise", Value::Int(6));
    let err = client
        .prepare_download_values(spec, &values, &Source::key("a.png"))
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidArgument"));
    let text = err.to_string();
    assert!(text.contains("denoise") && text.contains("0..=5"), "{text}");
}

#[test]
fn endpoint_keeps_the_virtual_hosted_host() {
    let client = Client::builder()
        .region("ap-beijing")
        .bucket("b-1250000000")
        .credentials(Credentials::new("id", "key").with_token("tok"))
        .endpoint("http://127.0.0.1:9000/")
        .fixed_time(NOW)
        .build()
        .unwrap();
    let request = client
        .prepare_cloud("k.png", &PicOperations::new())
        .unwrap();
    assert!(
        request
            .url
            .starts_with("http://127.0.0.1:9000/k.png?image_process")
    );
    assert_eq!(
        request.header("host"),
        Some("b-1250000000.cos.ap-beijing.myqcloud.com")
    );
    // The token is signed, as the Python SDK signs it.
    assert_eq!(request.header("x-cos-security-token"), Some("tok"));
    assert!(
        request
            .header("authorization")
            .unwrap()
            .contains("x-cos-security-token")
    );
}

/// The Python SDK's own cloud-processing request (capture 15): same bytes signed, same
/// Authorization, when the client signs for the SDK's 10000-second validity.
#[test]
fn matches_the_python_sdk_capture_of_cloud_processing() {
    use cos_ci_client::ai_enhance_image::AiEnhanceImage;
    let client = Client::builder()
        .region("ap-guangzhou")
        .bucket("examplebucket-1250000000")
        .credentials(Credentials::new("AKIDEXAMPLE", "example-secret"))
        .signature_validity(std::time::Duration::from_secs(10_000))
        .fixed_time(NOW)
        .build()
        .unwrap();
    let ops = PicOperations::new()
        .with_pic_info(true)
        .with_rule(
            "/output/result.png",
            &AiEnhanceImage::new().with_denoise(1).with_sharpen(2),
        )
        .unwrap();
    let request = client.prepare_cloud("input/photo.png", &ops).unwrap();
    assert_eq!(
        request.header("pic-operations"),
        Some(
            r#"{"is_pic_info":1,"rules":[{"fileid":"/output/result.png","rule":"ci-process=AIEnhanceImage&denoise=1&sharpen=2"}]}"#
        )
    );
    assert_eq!(
        request.header("authorization"),
        Some(
            "q-sign-algorithm=sha1&q-ak=AKIDEXAMPLE&q-sign-time=1699999940;1700010000&q-key-time=1699999940;1700010000&q-header-list=content-length;host;pic-operations&q-url-param-list=image_process&q-signature=6babd741d4dcb9153930c5937e168dc75219ec3e"
        )
    );
}

#[test]
fn presigned_put_url_signs_put_on_the_endpoint_host() {
    let client = Client::builder()
        .region("ap-guangzhou")
        .bucket("examplebucket-1250000000")
        .credentials(Credentials::new("AKIDEXAMPLE", "example-secret"))
        .endpoint("http://127.0.0.1:9000")
        .fixed_time(NOW)
        .build()
        .unwrap();
    let url = client
        .presign_put_object("input/photo 1.png", std::time::Duration::from_secs(600))
        .unwrap();
    let (path, query) = url
        .strip_prefix("http://127.0.0.1:9000")
        .and_then(|rest| rest.split_once('?'))
        .unwrap();
    assert_eq!(path, "/input/photo%201.png");
    let pairs = cos_ci_sign::parse_query(query);
    let auth = cos_ci_sign::Authorization::from_query(&pairs)
        .unwrap()
        .unwrap();
    let host = [("host".to_string(), "127.0.0.1:9000".to_string())];
    cos_ci_sign::verify(&auth, "example-secret", "PUT", path, &pairs, &host).unwrap();
    // A PUT URL is no GET URL, and the reverse.
    assert!(cos_ci_sign::verify(&auth, "example-secret", "GET", path, &pairs, &host).is_err());
    let get = client
        .presign_get_object("input/photo 1.png", std::time::Duration::from_secs(600))
        .unwrap();
    assert_ne!(get, url);
}
