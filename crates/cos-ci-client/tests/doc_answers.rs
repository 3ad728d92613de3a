//! The documentation's own example answers (`tests/doc-answers/`), served by a local server and
//! decoded by the typed client field by field; and the documented node spellings that have no
//! example answer, with documents written for the test.

#![allow(clippy::unwrap_used)]

use axum::response::Response;
use cos_ci_client::{Client, Credentials};

/// Serves `body` as an XML answer to every request; returns the endpoint.
async fn answering(body: &'static str) -> String {
    let app = axum::Router::new().fallback(move || async move {
        Response::builder()
            .header("content-type", "application/xml")
            .header("x-cos-request-id", "doc-answer")
            .body(axum::body::Body::from(body))
            .unwrap()
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

fn client(endpoint: &str) -> Client {
    Client::builder()
        .region("ap-guangzhou")
        .bucket("examplebucket-1250000000")
        .credentials(Credentials::new("AKIDEXAMPLE", "example-secret"))
        .endpoint(endpoint)
        .build()
        .unwrap()
}

#[tokio::test]
async fn assess_quality_doc_answer_decodes_field_by_field() {
    let endpoint = answering(include_str!("doc-answers/assess-quality.xml")).await;
    let params = cos_ci_client::assess_quality::AssessQuality::new();
    let answer = client(&endpoint)
        .assess_quality("photo.jpg", &params)
        .await
        .unwrap();
    // TRUE/FALSE on the wire (460/63228), bool in Rust.
    assert!(!answer.long_image);
    assert!(!answer.black_and_white);
    assert!(!answer.small_image);
    assert!(answer.big_image);
    assert!(!answer.pure_image);
    assert_eq!(answer.clarity_score, Some(89));
    assert_eq!(answer.aesthetic_score, Some(70));
    assert_eq!(answer.low_quality_score, Some(40));
    // Sent empty in the doc's example: present, and empty.
    assert_eq!(answer.request_id.as_deref(), Some(""));
}

#[tokio::test]
async fn detect_face_doc_answer_decodes_field_by_field() {
    let endpoint = answering(include_str!("doc-answers/detect-face.xml")).await;
    let params = cos_ci_client::detect_face::DetectFace::new();
    let answer = client(&endpoint)
        .detect_face("photo.jpg", &params)
        .await
        .unwrap();
    assert_eq!(answer.image_width, 616);
    assert_eq!(answer.image_height, 442);
    assert_eq!(answer.face_model_version, "4.0");
    assert_eq!(
        answer.request_id.as_deref(),
        Some("NjEzZjBlZGRfOTBmYTUwNjRfZWUx****")
    );
    assert_eq!(answer.status, None);
    assert_eq!(answer.face_infos.len(), 1);
    let face = &answer.face_infos[0];
    // A face box may start above the image: the doc's own example has Y = -5.
    assert_eq!(
        (face.x, face.y, face.width, face.height),
        (312, -5, 117, 173)
    );
}

/// Not Tencent's example (none could be retrieved, see doc-answers/README.md): the node
/// spelling of 460/79736's table, `Sorce`, must reach the field `score`.
#[tokio::test]
async fn recognize_logo_reads_the_documented_sorce_spelling() {
    let endpoint = answering(
        "<RecognitionResult><Status>1</Status><LogoInfo><Name>Brand</Name><Sorce>99</Sorce>\
         <Location><Point>1,2</Point><Point>3,4</Point></Location></LogoInfo></RecognitionResult>",
    )
    .await;
    let params = cos_ci_client::recognize_logo::RecognizeLogo::new();
    let answer = client(&endpoint)
        .recognize_logo("photo.jpg", &params)
        .await
        .unwrap();
    assert_eq!(answer.status, 1);
    assert_eq!(answer.logo_info.len(), 1);
    assert_eq!(answer.logo_info[0].name, "Brand");
    assert_eq!(answer.logo_info[0].score, 99);
    assert_eq!(answer.logo_info[0].location.point, ["1,2", "3,4"]);
}

/// Not Tencent's example: 460/83196 spells the score `Score`, 436/83728 `Sorce`; both read.
#[tokio::test]
async fn body_recognition_reads_both_documented_score_spellings() {
    for node in ["Score", "Sorce"] {
        let body: &'static str = Box::leak(
            format!(
                "<RecognitionResult><Status>1</Status><PedestrianInfo><Name>person</Name>\
                 <{node}>87</{node}><Location><Point>0,0</Point></Location></PedestrianInfo>\
                 </RecognitionResult>"
            )
            .into_boxed_str(),
        );
        let endpoint = answering(body).await;
        let params = cos_ci_client::ai_body_recognition::AiBodyRecognition::new();
        let answer = client(&endpoint)
            .ai_body_recognition("photo.jpg", &params)
            .await
            .unwrap();
        assert_eq!(answer.pedestrian_info.len(), 1, "{node}");
        assert_eq!(answer.pedestrian_info[0].score, 87, "{node}");
    }
}
