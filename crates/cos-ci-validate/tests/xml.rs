//! The XML documents both sides share: UploadResult and the COS error document (quick-xml,
//! parse and write, escaping), and the bounded element tree under them.

#![allow(clippy::unwrap_used)]

use cos_ci_validate::xml::{Element, XmlError};
use cos_ci_validate::{
    ErrorCode, ErrorDocument, ImageInfo, OriginalInfo, ProcessResults, ProcessedObject,
    UploadResult, XmlDocument,
};
use proptest::prelude::*;

/// The response body of seed 001 (upload and cloud processing), byte for byte.
const SEED_UPLOAD_RESULT: &str = r#"<UploadResult>
<OriginalInfo>
<Key>ObjectKey</Key>
<Location>examplebucket-1250000000.cos.ap-chengdu.myqcloud.com/filename.jpg</Location>
<ETag>"ed60e3598e6862d8c8443a06acfb2153"</ETag>
</OriginalInfo>
<ProcessResults>
<Object>
<Key>exampleobject</Key>
<Location>examplebucket-1250000000.cos.ap-chengdu.myqcloud.com/exampleobject</Location>
<Format/>
<Size>354256</Size>
<ETag>"521451f63c331becf533e466732c1091"</ETag>
</Object>
</ProcessResults>
</UploadResult>"#;

/// The body cos-go-sdk-v5's own test (`TestCIService_ImageProcess`) answers with.
const GO_SDK_UPLOAD_RESULT: &str = r#"<UploadResult>
    <OriginalInfo>
        <Key>test.jpg</Key>
        <Location>example-1250000000.cos.ap-guangzhou.myqcloud.com/test.jpg</Location>
        <ETag>&quot;8894dbe5e3ebfaf761e39b9d619c28f3327b8d85&quot;</ETag>
        <ImageInfo>
            <Format>PNG</Format>
            <Width>103</Width>
            <Height>99</Height>
            <Quality>100</Quality>
            <Ave>0xa08162</Ave>
            <Orientation>0</Orientation>
        </ImageInfo>
    </OriginalInfo>
    <ProcessResults>
        <Object>
            <Key>format.jpg</Key>
            <Location>example-1250000000.cos.ap-guangzhou.myqcloud.com/format.jpg</Location>
            <Format>PNG</Format>
            <Width>103</Width>
            <Height>99</Height>
            <Size>21351</Size>
            <Quality>100</Quality>
            <ETag>&quot;8894dbe5e3ebfaf761e39b9d619c28f3327b8d85&quot;</ETag>
        </Object>
    </ProcessResults>
</UploadResult>"#;

fn object(key: &str, size: i64) -> ProcessedObject {
    let mut o = ProcessedObject::default();
    o.key = key.to_string();
    o.location = format!("examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/{key}");
    o.size = size;
    o.etag = "\"d41d8cd98f00b204e9800998ecf8427e\"".to_string();
    o
}

fn error(
    code: &str,
    message: &str,
    resource: &str,
    request_id: &str,
    trace_id: Option<&str>,
) -> ErrorDocument {
    let mut e = ErrorDocument::default();
    e.code = code.to_string();
    e.message = message.to_string();
    e.resource = Some(resource.to_string());
    e.request_id = request_id.to_string();
    e.trace_id = trace_id.map(str::to_string);
    e
}

// ---------------------------------------------------------------------------------------------
// Known answers

#[test]
fn seed_upload_result_parses() {
    let result = UploadResult::from_xml(SEED_UPLOAD_RESULT).unwrap();
    let original = result.original_info.as_ref().unwrap();
    assert_eq!(original.key, "ObjectKey");
    assert_eq!(
        original.location,
        "examplebucket-1250000000.cos.ap-chengdu.myqcloud.com/filename.jpg"
    );
    assert_eq!(original.etag, "\"ed60e3598e6862d8c8443a06acfb2153\"");
    assert_eq!(original.image_info, None);
    let objects = &result.process_results.as_ref().unwrap().object;
    assert_eq!(objects.len(), 1);
    let o = &objects[0];
    assert_eq!(o.key, "exampleobject");
    assert_eq!(
        o.location,
        "examplebucket-1250000000.cos.ap-chengdu.myqcloud.com/exampleobject"
    );
    // `<Format/>`: present and empty.
    assert_eq!(o.format.as_deref(), Some(""));
    assert_eq!((o.width, o.height, o.quality), (None, None, None));
    assert_eq!(o.size, 354256);
    assert_eq!(o.etag, "\"521451f63c331becf533e466732c1091\"");
    // Written back and read again: the same value.
    assert_eq!(UploadResult::from_xml(&result.to_xml()).unwrap(), result);
}

#[test]
fn go_sdk_golden_upload_result_parses() {
    let result = UploadResult::from_xml(GO_SDK_UPLOAD_RESULT).unwrap();
    let etag = "\"8894dbe5e3ebfaf761e39b9d619c28f3327b8d85\"";
    let original = result.original_info.as_ref().unwrap();
    assert_eq!(original.key, "test.jpg");
    assert_eq!(
        original.location,
        "example-1250000000.cos.ap-guangzhou.myqcloud.com/test.jpg"
    );
    assert_eq!(original.etag, etag);
    let info = original.image_info.as_ref().unwrap();
    assert_eq!(info.format, "PNG");
    assert_eq!((info.width, info.height), (103, 99));
    assert_eq!(info.quality, Some(100));
    assert_eq!(info.ave.as_deref(), Some("0xa08162"));
    assert_eq!(info.orientation, Some(0));
    let o = &result.process_results.as_ref().unwrap().object[0];
    assert_eq!(o.key, "format.jpg");
    assert_eq!(o.format.as_deref(), Some("PNG"));
    assert_eq!(
        (o.width, o.height, o.size, o.quality),
        (Some(103), Some(99), 21351, Some(100))
    );
    assert_eq!(o.etag, etag);
    assert_eq!(UploadResult::from_xml(&result.to_xml()).unwrap(), result);
}

#[test]
fn upload_result_is_written_in_node_order_with_escaping() {
    let mut info = ImageInfo::default();
    info.format = "png".to_string();
    info.width = 640;
    info.height = 480;
    info.quality = Some(100);
    let mut original = OriginalInfo::default();
    original.key = "input/a&b <c>.png".to_string();
    original.location =
        "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/input/a&b <c>.png".to_string();
    original.etag = "\"abc\"".to_string();
    original.image_info = Some(info);
    let mut results = ProcessResults::default();
    results.object = vec![object("out/1.png", 1), object("out/2.png", 2)];
    let mut result = UploadResult::default();
    result.original_info = Some(original);
    result.process_results = Some(results);
    let xml = result.to_xml();
    assert_eq!(
        xml,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<UploadResult><OriginalInfo><Key>input/a&amp;b &lt;c&gt;.png</Key>\
         <Location>examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/input/a&amp;b &lt;c&gt;.png</Location>\
         <ETag>&quot;abc&quot;</ETag><ImageInfo><Format>png</Format><Width>640</Width><Height>480</Height>\
         <Quality>100</Quality></ImageInfo></OriginalInfo><ProcessResults><Object><Key>out/1.png</Key>\
         <Location>examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/out/1.png</Location><Size>1</Size>\
         <ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag></Object><Object><Key>out/2.png</Key>\
         <Location>examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/out/2.png</Location><Size>2</Size>\
         <ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag></Object></ProcessResults></UploadResult>"
    );
    assert_eq!(UploadResult::from_xml(&xml).unwrap(), result);
    // Empty answers are documents too.
    let empty = UploadResult::default();
    assert_eq!(
        empty.to_xml(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<UploadResult></UploadResult>"
    );
    assert_eq!(UploadResult::from_xml(&empty.to_xml()).unwrap(), empty);
    assert_eq!(UploadResult::from_xml("<UploadResult/>").unwrap(), empty);
}

#[test]
fn error_documents_with_and_without_trace_id() {
    // COS 436/7730, single-quoted declaration.
    let xml = "<?xml version='1.0' encoding='utf-8' ?>\n<Error>\n  <Code>NoSuchKey</Code>\n  <Message>The specified key does not exist.</Message>\n  <Resource>examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/missing.png</Resource>\n  <RequestId>NWFjMzQ0MDZfOTBmYTUwXzZkZV8z****</RequestId>\n  <TraceId>OGVmYzZiMmQzYjA2OWNhODk0NTRkMTBiOWVmMDAxODc0OWRkZjk0ZDM1NmI1M2E2MTRlY2MzZDhmNmI5MWI1OTBjYzE2MjAxN2M1MzJiOTdkZjMxMDVlYTZjN2FiMmI0NTk3NWFiNjAyMzdhM2RlMmVmOWZmNDNjM2VhNzE0ZjM=</TraceId>\n</Error>";
    let doc = ErrorDocument::from_xml(xml).unwrap();
    assert_eq!(doc.code, "NoSuchKey");
    assert_eq!(ErrorCode::from_code(&doc.code), Some(ErrorCode::NoSuchKey));
    assert_eq!(doc.message, ErrorCode::NoSuchKey.message());
    assert_eq!(
        doc.resource.as_deref(),
        Some("examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/missing.png")
    );
    assert_eq!(doc.request_id, "NWFjMzQ0MDZfOTBmYTUwXzZkZV8z****");
    assert!(doc.trace_id.as_deref().unwrap().starts_with("OGVm"));
    assert_eq!(ErrorDocument::from_xml(&doc.to_xml()).unwrap(), doc);

    let without = xml.replace(
        &format!(
            "  <TraceId>{}</TraceId>\n",
            doc.trace_id.as_deref().unwrap()
        ),
        "",
    );
    let doc = ErrorDocument::from_xml(&without).unwrap();
    assert_eq!(doc.trace_id, None);
    assert_eq!(
        doc.to_xml(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>\
         <Resource>examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/missing.png</Resource>\
         <RequestId>NWFjMzQ0MDZfOTBmYTUwXzZkZV8z****</RequestId></Error>"
    );
    assert_eq!(ErrorDocument::from_xml(&doc.to_xml()).unwrap(), doc);

    // The documented empty shape: every node present, empty.
    let doc = ErrorDocument::from_xml(
        "<Error><Code/><Message/><Resource/><RequestId/><TraceId/></Error>",
    )
    .unwrap();
    assert_eq!(doc, error("", "", "", "", Some("")));
    assert_eq!(ErrorDocument::from_xml(&doc.to_xml()).unwrap(), doc);
}

#[test]
fn error_documents_escape_messages() {
    let doc = error(
        "InvalidArgument",
        "invalid parameters for AIEnhanceImage: sharpen: \"6\" is not allowed, expected an integer in 0..=5 & <more> 'quoted'",
        "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/a&b.png?ci-process=AIEnhanceImage&sharpen=6",
        "id",
        Some("trace"),
    );
    let xml = doc.to_xml();
    assert!(xml.contains("&quot;6&quot;"), "{xml}");
    assert!(xml.contains("&amp; &lt;more&gt;"), "{xml}");
    assert!(
        xml.contains("a&amp;b.png?ci-process=AIEnhanceImage&amp;sharpen=6"),
        "{xml}"
    );
    assert!(!xml.contains("<more>"), "{xml}");
    assert_eq!(ErrorDocument::from_xml(&xml).unwrap(), doc);
}

#[test]
fn error_codes_are_consistent() {
    for code in ErrorCode::ALL {
        assert_eq!(ErrorCode::from_code(code.as_str()), Some(*code));
        assert_eq!(code.to_string(), code.as_str());
        assert!((400..600).contains(&code.status()), "{code}");
        assert!(!code.message().is_empty());
    }
    assert_eq!(ErrorCode::InvalidArgument.status(), 400);
    assert_eq!(ErrorCode::InvalidPicOperations.status(), 400);
    assert_eq!(ErrorCode::AccessDenied.status(), 403);
    assert_eq!(ErrorCode::NoSuchKey.status(), 404);
    assert_eq!(ErrorCode::SlowDown.status(), 503);
    assert_eq!(ErrorCode::from_code("invalidargument"), None);
}

#[test]
fn readers_accept_what_servers_send() {
    // Namespaces, attributes, comments, CDATA, processing instructions, a BOM-less declaration.
    let xml = r#"<?xml version="1.0"?>
<!-- a comment -->
<s3:Error xmlns:s3="http://example.com/doc" lang="en">
  <s3:Code>AccessDenied</s3:Code>
  <Message><![CDATA[Access <denied> & "more"]]></Message>
  <Resource>r</Resource><?pi data?>
  <RequestId>id</RequestId>
  <Unknown><Nested>ignored</Nested></Unknown>
</s3:Error>
<!-- trailing comment -->
"#;
    let doc = ErrorDocument::from_xml(xml).unwrap();
    assert_eq!(doc.code, "AccessDenied");
    assert_eq!(doc.message, "Access <denied> & \"more\"");
    assert_eq!(doc.trace_id, None);
    // Character references.
    let doc = ErrorDocument::from_xml(
        "<Error><Code>&#65;&#x42;</Code><Message>&lt;&gt;&amp;&apos;&quot;</Message><Resource/><RequestId/></Error>",
    )
    .unwrap();
    assert_eq!(doc.code, "AB");
    assert_eq!(doc.message, "<>&'\"");
}

// ---------------------------------------------------------------------------------------------
// Failures are errors, never panics

#[test]
fn malformed_documents_are_errors() {
    for xml in [
        "",
        "   ",
        "not xml",
        "<Error>",
        "<Error><Code>x</Error>",
        "<Error></Code></Error>",
        "</Error>",
        "<Error><Code>x</Code><Message>m</Message><Resource>r</Resource><RequestId>i</RequestId></Error><Error/>",
        "<Error/>trailing text",
        "<Error><Code>&bogus;</Code></Error>",
        "<Error><Code>&#xFFFFFFFF;</Code></Error>",
        "<Error><Code>&amp</Code></Error>",
        "<Error attr=\"unterminated><Code/></Error>",
    ] {
        let err = ErrorDocument::from_xml(xml).unwrap_err();
        assert!(matches!(err, XmlError::Malformed(_)), "{xml:?}: {err:?}");
        assert!(UploadResult::from_xml(xml).is_err(), "{xml:?}");
    }
    // quick-xml does not check names; such input is still refused, as a wrong root.
    assert!(ErrorDocument::from_xml("<<Error/>").is_err());
    assert!(ErrorDocument::from_xml("<Error ").is_err());
}

#[test]
fn wrong_roots_missing_nodes_and_bad_numbers_are_errors() {
    let err = ErrorDocument::from_xml(SEED_UPLOAD_RESULT).unwrap_err();
    assert_eq!(
        err,
        XmlError::WrongRoot {
            expected: "Error".to_string(),
            found: "UploadResult".to_string()
        }
    );
    assert_eq!(
        err.to_string(),
        "expected root <Error>, found <UploadResult>"
    );
    assert!(matches!(
        UploadResult::from_xml("<Error/>").unwrap_err(),
        XmlError::WrongRoot { .. }
    ));
    assert!(matches!(
        UploadResult::from_xml("<uploadresult/>").unwrap_err(),
        XmlError::WrongRoot { .. }
    ));

    // Resource is optional (the CI variant of the document omits it); RequestId is not.
    let doc =
        ErrorDocument::from_xml("<Error><Code>x</Code><Message/><RequestId/></Error>").unwrap();
    assert_eq!(doc.resource, None);
    let err =
        ErrorDocument::from_xml("<Error><Code>x</Code><Message/><Resource/></Error>").unwrap_err();
    assert_eq!(
        err,
        XmlError::Missing {
            node: "RequestId".to_string(),
            parent: "Error".to_string()
        }
    );

    let no_size = SEED_UPLOAD_RESULT.replace("<Size>354256</Size>", "");
    assert_eq!(
        UploadResult::from_xml(&no_size).unwrap_err(),
        XmlError::Missing {
            node: "Size".to_string(),
            parent: "Object".to_string()
        }
    );
    for bad in ["abc", "1.5", "99999999999999999999", "0x10"] {
        let xml = SEED_UPLOAD_RESULT.replace("354256", bad);
        let err = UploadResult::from_xml(&xml).unwrap_err();
        assert!(
            matches!(&err, XmlError::Invalid { node, value, .. } if node == "Size" && value == bad),
            "{err:?}"
        );
        let xml = GO_SDK_UPLOAD_RESULT.replace(
            "<Quality>100</Quality>",
            &format!("<Quality>{bad}</Quality>"),
        );
        assert!(matches!(
            UploadResult::from_xml(&xml).unwrap_err(),
            XmlError::Invalid { .. }
        ));
    }
    // An optional number that is empty is absent.
    let xml = GO_SDK_UPLOAD_RESULT.replace("<Quality>100</Quality>", "<Quality/>");
    let result = UploadResult::from_xml(&xml).unwrap();
    assert_eq!(
        result.original_info.unwrap().image_info.unwrap().quality,
        None
    );
}

#[test]
fn depth_bombs_are_refused() {
    for depth in [33, 100, 100_000] {
        let xml = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
        assert_eq!(
            Element::parse(&xml).unwrap_err(),
            XmlError::TooLarge,
            "{depth}"
        );
        let unclosed = "<a>".repeat(depth);
        assert!(Element::parse(&unclosed).is_err());
        let empty_at_bottom = format!("{}<b/>{}", "<a>".repeat(depth), "</a>".repeat(depth));
        assert_eq!(
            Element::parse(&empty_at_bottom).unwrap_err(),
            XmlError::TooLarge
        );
    }
    // Deep enough for any COS document.
    let xml = format!("{}{}", "<a>".repeat(32), "</a>".repeat(32));
    let mut element = Element::parse(&xml).unwrap();
    let mut depth = 1;
    while let Some(child) = element.children.pop() {
        element = child;
        depth += 1;
    }
    assert_eq!(depth, 32);
    let xml = format!(
        "<UploadResult>{}{}</UploadResult>",
        "<x>".repeat(40),
        "</x>".repeat(40)
    );
    assert_eq!(
        UploadResult::from_xml(&xml).unwrap_err(),
        XmlError::TooLarge
    );
}

#[test]
fn huge_element_counts_are_refused() {
    // 100 000 elements is the limit; empty elements count like the others.
    for child in ["<a/>", "<a></a>", "<a>x</a>"] {
        let xml = format!("<r>{}</r>", child.repeat(100_000));
        let parsed = Element::parse(&xml).map(|e| e.children.len());
        assert_eq!(parsed, Err(XmlError::TooLarge), "{child}");
        let xml = format!("<r>{}</r>", child.repeat(99_999));
        assert_eq!(
            Element::parse(&xml).unwrap().children.len(),
            99_999,
            "{child}"
        );
    }
    let objects =
        "<Object><Key>k</Key><Location>l</Location><Size>1</Size><ETag/></Object>".repeat(25_000);
    let xml = format!("<UploadResult><ProcessResults>{objects}</ProcessResults></UploadResult>");
    assert_eq!(
        UploadResult::from_xml(&xml).unwrap_err(),
        XmlError::TooLarge
    );
}

#[test]
fn entity_expansion_is_not_performed() {
    let bomb = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
]>
<Error><Code>&lol2;</Code><Message/><Resource/><RequestId/></Error>"#;
    assert!(matches!(
        ErrorDocument::from_xml(bomb).unwrap_err(),
        XmlError::Malformed(_)
    ));
}

// ---------------------------------------------------------------------------------------------
// Keys and text survive write -> parse

#[test]
fn keys_with_edge_characters_survive() {
    for key in [
        " leading and trailing spaces ",
        "\ttab",
        "line\nbreak",
        "carriage\r\nreturn",
        "lone\rcr",
        "目录/My Photo+(1)&x=y~!*'.png",
        "<Key>&amp;</Key>",
        "]]>",
        "\"'",
        "😀/é/\u{a0}",
        "",
        " ",
    ] {
        let mut results = ProcessResults::default();
        results.object = vec![object(key, 7)];
        let mut result = UploadResult::default();
        result.process_results = Some(results);
        let xml = result.to_xml();
        assert_eq!(
            UploadResult::from_xml(&xml).unwrap(),
            result,
            "{key:?}: {xml}"
        );
        let doc = error("NoSuchKey", key, key, key, Some(key));
        assert_eq!(
            ErrorDocument::from_xml(&doc.to_xml()).unwrap(),
            doc,
            "{key:?}"
        );
        // Every conforming XML reader turns a literal CR into LF; ours must be written as a
        // character reference to survive them.
        assert!(!xml.contains('\r'), "{xml:?}");
    }
}

/// Text XML 1.0 can carry: every char but the C0 controls other than tab, LF and CR (and the
/// U+FFFE / U+FFFF non-characters).
fn xml_text() -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        4 => any::<char>(),
        2 => proptest::sample::select(vec!['&', '<', '>', '"', '\'', ';', '#', ' ', '\t', '\n', '\r', ']', 'é', '腾', '😀']),
        1 => proptest::char::range('a', 'z'),
    ]
    .prop_filter("XML 1.0 Char", |c| {
        matches!(*c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
    });
    proptest::collection::vec(ch, 0..40).prop_map(|chars| chars.into_iter().collect())
}

fn any_image_info() -> impl Strategy<Value = ImageInfo> {
    (
        xml_text(),
        any::<i64>(),
        any::<i64>(),
        any::<Option<i64>>(),
        proptest::option::of(xml_text()),
        any::<Option<i64>>(),
    )
        .prop_map(|(format, width, height, quality, ave, orientation)| {
            let mut i = ImageInfo::default();
            i.format = format;
            i.width = width;
            i.height = height;
            i.quality = quality;
            i.ave = ave;
            i.orientation = orientation;
            i
        })
}

fn any_object() -> impl Strategy<Value = ProcessedObject> {
    (
        (xml_text(), xml_text(), proptest::option::of(xml_text())),
        (
            any::<Option<i64>>(),
            any::<Option<i64>>(),
            any::<i64>(),
            any::<Option<i64>>(),
        ),
        xml_text(),
    )
        .prop_map(
            |((key, location, format), (width, height, size, quality), etag)| {
                let mut o = ProcessedObject::default();
                o.key = key;
                o.location = location;
                o.format = format;
                o.width = width;
                o.height = height;
                o.size = size;
                o.quality = quality;
                o.etag = etag;
                o
            },
        )
}

fn any_upload_result() -> impl Strategy<Value = UploadResult> {
    let original = (
        xml_text(),
        xml_text(),
        xml_text(),
        proptest::option::of(any_image_info()),
    )
        .prop_map(|(key, location, etag, image_info)| {
            let mut o = OriginalInfo::default();
            o.key = key;
            o.location = location;
            o.etag = etag;
            o.image_info = image_info;
            o
        });
    let results = proptest::collection::vec(any_object(), 0..6).prop_map(|object| {
        let mut r = ProcessResults::default();
        r.object = object;
        r
    });
    (
        proptest::option::of(original),
        proptest::option::of(results),
    )
        .prop_map(|(original_info, process_results)| {
            let mut u = UploadResult::default();
            u.original_info = original_info;
            u.process_results = process_results;
            u
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// UploadResult survives write -> parse for arbitrary keys and values.
    #[test]
    fn upload_results_survive_write_parse(result in any_upload_result()) {
        let xml = result.to_xml();
        prop_assert_eq!(UploadResult::from_xml(&xml).map_err(|e| TestCaseError::fail(format!("{e}: {xml}")))?, result);
    }

    /// The error document survives write -> parse for arbitrary text.
    #[test]
    fn error_documents_survive_write_parse(
        code in xml_text(), message in xml_text(), resource in xml_text(), request_id in xml_text(),
        trace_id in proptest::option::of(xml_text()),
    ) {
        let doc = error(&code, &message, &resource, &request_id, trace_id.as_deref());
        let xml = doc.to_xml();
        prop_assert_eq!(ErrorDocument::from_xml(&xml).map_err(|e| TestCaseError::fail(format!("{e}: {xml}")))?, doc);
    }

    /// Whatever arrives, reading is an answer, never a panic.
    #[test]
    fn arbitrary_input_never_panics(
        raw in prop_oneof![
            any::<String>(),
            "[<>/a-c &;#x0-9!\\[\\]CDATA?\"'=-]{0,120}",
            "(<[a-zA-Z:]{1,6}( [a-z]{1,3}=\"[^\"]{0,4}\")?/?>|</[a-zA-Z:]{1,6}>|&[a-z#0-9]{1,5};|[a-z ]{1,5}){0,30}",
        ]
    ) {
        let _ = Element::parse(&raw);
        let _ = Element::parse_root(&raw, "Error");
        let _ = UploadResult::from_xml(&raw);
        let _ = ErrorDocument::from_xml(&raw);
    }
}
