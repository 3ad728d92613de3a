//! The documentation's own example answers (`tests/doc-answers/`, each with its source URL),
//! served by a local server and decoded by the typed client field by field. Where no complete
//! example could be retrieved, the fixture says so and holds the most complete one found; the
//! documented node spellings without any example are checked with documents written for the test.

#![allow(clippy::unwrap_used)]

use axum::response::Response;
use cos_ci_client::{Client, Credentials};

/// Serves `body` with `content_type` to every request; returns the endpoint.
async fn serving(body: &'static str, content_type: &'static str) -> String {
    let app = axum::Router::new().fallback(move || async move {
        Response::builder()
            .header("content-type", content_type)
            .header("x-cos-request-id", "doc-answer")
            .body(axum::body::Body::from(body))
            .unwrap()
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// Serves `body` as an XML answer to every request; returns the endpoint.
async fn answering(body: &'static str) -> String {
    serving(body, "application/xml").await
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

/// Every operation that answers XML has its documentation's example in `doc-answers/`, or the
/// README's table says why not: a new XML operation cannot arrive without one.
#[test]
fn every_xml_operation_has_a_doc_answer_or_says_why_not() {
    let readme = include_str!("doc-answers/README.md");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/doc-answers");
    for op in cos_ci_validate::OPERATIONS {
        if !matches!(op.output, cos_ci_validate::Output::Xml { .. }) {
            continue;
        }
        let row = readme
            .lines()
            .find(|line| line.starts_with(&format!("| {} |", op.name)));
        let Some(row) = row else {
            panic!(
                "{} answers XML but doc-answers/README.md has no row for it",
                op.name
            );
        };
        let fixture = format!("{}.xml", op.file);
        assert!(
            dir.join(&fixture).is_file() || row.contains("| none:"),
            "{}: no {fixture} and the README does not say why",
            op.name
        );
    }
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

#[tokio::test]
async fn recognize_logo_doc_answer_decodes_field_by_field() {
    let endpoint = answering(include_str!("doc-answers/recognize-logo.xml")).await;
    let params = cos_ci_client::recognize_logo::RecognizeLogo::new();
    let answer = client(&endpoint)
        .recognize_logo("photo.jpg", &params)
        .await
        .unwrap();
    assert_eq!(answer.status, 1);
    assert_eq!(answer.logo_info.len(), 2);
    let (first, second) = (&answer.logo_info[0], &answer.logo_info[1]);
    assert_eq!(first.name, "xxxxxxxx");
    // The wire spells it `Sorce` (sic, 460/79736); the field is `score`.
    assert_eq!((first.score, second.score), (99, 95));
    assert_eq!(
        first.location.point,
        ["100,100", "100,200", "200,200", "200,100"]
    );
    assert_eq!(
        second.location.point,
        ["1000,1000", "1000,2000", "2000,2000", "2000,1000"]
    );
}

#[tokio::test]
async fn ai_game_rec_doc_answer_decodes_field_by_field() {
    let endpoint = answering(include_str!("doc-answers/ai-game-rec.xml")).await;
    let params = cos_ci_client::ai_game_rec::AiGameRec::new();
    let answer = client(&endpoint)
        .ai_game_rec("shot.png", &params)
        .await
        .unwrap();
    let labels = answer.game_labels.unwrap();
    assert_eq!(labels.confidence, 100);
    assert_eq!(labels.first_category, "游戏");
    assert_eq!(labels.second_category, "游戏");
    assert_eq!(labels.game_name, "王者荣耀");
}

/// The start of the doc's example (two `<IdInfo>` of it, closed by us: see the fixture's comment).
#[tokio::test]
async fn ai_license_rec_doc_answer_start_decodes_field_by_field() {
    let endpoint = answering(include_str!("doc-answers/ai-license-rec.xml")).await;
    let params = cos_ci_client::ai_license_rec::AiLicenseRec::new(
        cos_ci_client::ai_license_rec::CardType::IdCard,
    );
    let answer = client(&endpoint)
        .ai_license_rec("card.jpg", &params)
        .await
        .unwrap();
    assert_eq!(answer.status, 1);
    assert_eq!(answer.id_info.len(), 2);
    let (name, sex) = (&answer.id_info[0], &answer.id_info[1]);
    assert_eq!(
        (name.name.as_str(), name.detected_text.as_str()),
        ("姓名", "xxx")
    );
    assert_eq!(
        (sex.name.as_str(), sex.detected_text.as_str()),
        ("性别", "男")
    );
    assert_eq!((name.score, sex.score), (99, 98));
    assert_eq!(
        name.location.point,
        ["553,439", "553,576", "989,576", "989,439"]
    );
    assert_eq!(
        sex.location.point,
        ["541,597", "541,723", "798,723", "798,597"]
    );
}

/// Not the documentation's answer (none could be retrieved): the one cos-go-sdk-v5's own test
/// serves, the most complete found (see the fixture's comment).
#[tokio::test]
async fn ai_body_recognition_sdk_answer_decodes_field_by_field() {
    let endpoint = answering(include_str!("doc-answers/ai-body-recognition.xml")).await;
    let params = cos_ci_client::ai_body_recognition::AiBodyRecognition::new();
    let answer = client(&endpoint)
        .ai_body_recognition("street.jpg", &params)
        .await
        .unwrap();
    assert_eq!(answer.status, 1);
    assert_eq!(answer.pedestrian_info.len(), 1);
    let person = &answer.pedestrian_info[0];
    assert_eq!(person.name, "person");
    assert_eq!(person.score, 91);
    assert_eq!(
        person.location.point,
        ["77,37", "77,346", "522,346", "522,37"]
    );
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

/// Not Tencent's example (none could be retrieved for 460/97979): its table spells the score
/// `Sorce`, cos-go-sdk-v5 and cos-java-sdk-v5 read `Confidence`; both must reach `confidence`.
#[tokio::test]
async fn object_detect_reads_both_documented_score_spellings() {
    for node in ["Confidence", "Sorce"] {
        let body: &'static str = Box::leak(
            format!(
                "<RecognitionResult><Status>1</Status><DetectMultiObj><Name>cup</Name>\
                 <{node}>76</{node}><Location><X>3</X><Y>8</Y><Width>40</Width>\
                 <Height>50</Height></Location></DetectMultiObj></RecognitionResult>"
            )
            .into_boxed_str(),
        );
        let endpoint = answering(body).await;
        let params = cos_ci_client::ai_object_detect::AiObjectDetect::new();
        let answer = client(&endpoint)
            .ai_object_detect("desk.jpg", &params)
            .await
            .unwrap();
        assert_eq!(answer.detect_multi_obj.len(), 1, "{node}");
        let object = &answer.detect_multi_obj[0];
        assert_eq!(object.confidence, 76, "{node}");
        assert_eq!((object.location.x, object.location.y), (3, 8), "{node}");
    }
}

/// Serves `body` as a JSON answer to every request; returns the endpoint.
async fn answering_json(body: &'static str) -> String {
    serving(body, "application/json").await
}

#[tokio::test]
async fn image_inspect_doc_answer_decodes_field_by_field() {
    let endpoint = answering_json(include_str!("doc-answers/image-inspect.json")).await;
    let params = cos_ci_client::image_inspect::ImageInspect::new();
    let answer = client(&endpoint)
        .image_inspect("photo.png", &params)
        .await
        .unwrap();
    assert_eq!(answer.pic_size, 1_097_476);
    assert_eq!(answer.pic_type, "PNG");
    assert!(answer.suspicious);
    assert_eq!(answer.suspicious_begin_byte, Some(120));
    assert_eq!(answer.suspicious_end_byte, Some(1_097_475));
    assert_eq!(answer.suspicious_size, Some(1_097_356));
    assert_eq!(answer.suspicious_type.as_deref(), Some("MPEG-TS"));
}

#[tokio::test]
async fn image_inspect_reads_numbers_written_as_strings() {
    // 436/75071 types the sizes as String; the same answer with quoted numbers reads the same.
    let endpoint = answering_json(
        r#"{"picSize":"1097476","picType":"PNG","suspicious":false,"suspiciousBeginByte":"0"}"#,
    )
    .await;
    let params = cos_ci_client::image_inspect::ImageInspect::new();
    let answer = client(&endpoint)
        .image_inspect("photo.png", &params)
        .await
        .unwrap();
    assert_eq!(answer.pic_size, 1_097_476);
    assert!(!answer.suspicious);
    assert_eq!(answer.suspicious_begin_byte, Some(0));
    assert_eq!(answer.suspicious_end_byte, None);
}

/// The page's example keeps placeholder text where base64 goes; the text is read as it is.
#[tokio::test]
async fn face_effect_doc_answer_decodes_field_by_field() {
    let endpoint = answering(include_str!("doc-answers/face-effect.xml")).await;
    let params =
        cos_ci_client::face_effect::FaceEffect::new(cos_ci_client::face_effect::Type::FaceBeautify);
    let answer = client(&endpoint)
        .face_effect("face.png", &params)
        .await
        .unwrap();
    // The text is kept as received; decoding it is the caller's choice, and this one fails.
    let image = answer.result_image.expect("ResultImage");
    assert_eq!(image.as_str(), "base64编码的图片");
    assert!(image.decode().is_err());
    assert_eq!(answer.result_mask, None);
}

/// The page's example: a front side (no `Authority`, `ValidDate`), and placeholder text where
/// the crops' base64 goes, kept as it is.
#[tokio::test]
async fn id_card_ocr_doc_answer_decodes_field_by_field() {
    use cos_ci_client::id_card_ocr::{CardSide, Config, IdCardOcr};
    let endpoint = answering(include_str!("doc-answers/id-card-ocr.xml")).await;
    let params = IdCardOcr::new()
        .with_card_side(CardSide::Front)
        .with_config(
            Config::new()
                .with_crop_id_card(true)
                .with_crop_portrait(true),
        );
    let answer = client(&endpoint)
        .id_card_ocr("card.png", &params)
        .await
        .unwrap();
    let info = answer.id_info.expect("IdInfo");
    assert_eq!(info.name.as_deref(), Some("张明"));
    assert_eq!(info.sex.as_deref(), Some("男"));
    assert_eq!(info.nation.as_deref(), Some("汉"));
    assert_eq!(info.birth.as_deref(), Some("1987/1/1"));
    assert_eq!(
        info.address.as_deref(),
        Some("北京市石景山区高新技术园腾讯大楼")
    );
    assert_eq!(info.id_num.as_deref(), Some("440524198701010014"));
    assert_eq!(info.authority, None);
    assert_eq!(info.valid_date, None);
    let advanced = answer.advanced_info.expect("AdvancedInfo");
    let card = advanced.id_card.expect("IdCard");
    assert_eq!(card.as_str(), "裁剪后身份证照片的 Base64 编码");
    assert!(card.decode().is_err());
    let portrait = advanced.portrait.expect("Portrait");
    assert_eq!(portrait.as_str(), "身份证头像照片的 Base64 编码");
    assert_eq!(advanced.quality, None);
    assert_eq!(advanced.border_code_value, None);
    assert!(advanced.warn_infos.is_empty());
}

/// The page's example: nodes in another order than the table, `Angel` (sic) a float.
#[tokio::test]
async fn ocr_doc_answer_decodes_field_by_field() {
    let endpoint = answering(include_str!("doc-answers/ocr.xml")).await;
    let params = cos_ci_client::ocr::Ocr::new();
    let answer = client(&endpoint).ocr("page.png", &params).await.unwrap();
    assert!((answer.angle - 359.99).abs() < 1e-9);
    assert_eq!(answer.language, "mix");
    assert_eq!(answer.pdf_page_size, 0);
    assert_eq!(
        answer.request_id.as_deref(),
        Some("NTk0MjdmODlfMjQ4OGY3XzYzYzhf****")
    );
    let texts: Vec<&str> = answer
        .text_detections
        .iter()
        .map(|t| t.detected_text.as_str())
        .collect();
    assert_eq!(texts, ["你好", "再见"]);
    let first = &answer.text_detections[0];
    assert_eq!(first.confidence, 99);
    let item = first.item_polygon.as_ref().expect("ItemPolygon");
    assert_eq!(
        (item.x, item.y, item.width, item.height),
        (140, 167, 123, 64)
    );
    let corners: Vec<(i64, i64)> = first.polygon.iter().map(|p| (p.x, p.y)).collect();
    assert_eq!(corners, [(140, 167), (263, 167), (263, 231), (140, 231)]);
    let chars: Vec<&str> = first.words.iter().map(|w| w.character.as_str()).collect();
    assert_eq!(chars, ["你", "好"]);
    let last = first.words[1]
        .word_coord_point
        .as_ref()
        .expect("WordCoordPoint");
    let last_corner = last.word_coordinate.last().expect("a corner");
    assert_eq!((last_corner.x, last_corner.y), (341, 230));
    assert!(first.word_polygon.is_empty());
    let second = &answer.text_detections[1];
    assert_eq!(second.item_polygon.as_ref().map(|p| p.y), Some(1444));
    assert_eq!(second.words[1].character, "见");
}
