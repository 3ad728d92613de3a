//! Every parser a request reaches, fed hostile text: none may panic, and each finishes in time
//! linear in its input (the cases below are large enough that a quadratic or recursive parser
//! would stall the run or overflow its stack). The whole server is fuzzed over HTTP in
//! `tests/it/mock_fuzz.rs`; the config parser in `config.rs`.

use proptest::prelude::*;

use cos_ci_sign::{Authorization, parse_query, verify_limited};
use cos_ci_validate::PicOperations;
use cos_ci_validate::xml::Element;

use crate::storage::ByteRange;
use crate::{addressing, delete_objects, detect_url, multipart};

/// Text made of what parsers trip on, with long runs of one character now and then.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,200}",
        "[%25<>/=&;:,{}\\[\\]\"'a-z0-9 -]{0,400}",
        (1usize..20_000, "[%<\\[{&;=]").prop_map(|(n, c)| c.repeat(n)),
        (1usize..20_000).prop_map(|n| format!("http%{}3A%2F%2Fa%2Fb.png", "25".repeat(n))),
    ]
}

/// XML with deep nesting, many elements, or anything.
fn hostile_xml() -> impl Strategy<Value = String> {
    prop_oneof![
        hostile(),
        (1usize..10_000).prop_map(|n| format!("{}{}", "<Delete>".repeat(n), "</Delete>".repeat(n))),
        (1usize..5_000).prop_map(|n| format!(
            "<CompleteMultipartUpload>{}</CompleteMultipartUpload>",
            "<Part><PartNumber>1</PartNumber><ETag>\"x\"</ETag></Part>".repeat(n)
        )),
        (1usize..5_000).prop_map(|n| format!(
            "<Delete><Quiet>true</Quiet>{}</Delete>",
            "<Object><Key>&amp;&#x1F600;&#0;</Key></Object>".repeat(n)
        )),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn authorization_and_its_verification(value in hostile(), names in 0usize..5_000) {
        if let Ok(auth) = Authorization::parse(&value) {
            let _ = verify_limited(&auth, "secret", "get", "/a", &[], &[], 64);
        }
        let long = format!(
            "q-sign-algorithm=sha1&q-ak=AKID&q-sign-time=1;2&q-key-time=1;2&q-header-list={}&q-url-param-list={}&q-signature={}",
            "host;".repeat(names), "a;".repeat(names), "0".repeat(40)
        );
        if let Ok(auth) = Authorization::parse(&long) {
            let headers = vec![("host".to_string(), "h".to_string()); names];
            prop_assert!(verify_limited(&auth, "secret", "get", "/a", &[], &headers, 64).is_err());
        }
    }

    #[test]
    fn query_and_addressing(raw in hostile(), host in hostile()) {
        let _ = parse_query(&raw);
        let _ = addressing::resolve(Some(&host), &raw, &["examplebucket-1250000000".to_string()]);
        let _ = addressing::is_service_host(&host);
    }

    #[test]
    fn pic_operations_and_detect_url(value in hostile()) {
        let _ = PicOperations::parse(&value);
        let _ = detect_url::normalize(&value);
    }

    #[test]
    fn range(value in hostile()) {
        if let Some(range) = ByteRange::parse(&value) {
            let _ = range.resolve(1_000);
        }
    }

    #[test]
    fn xml_bodies(xml in hostile_xml()) {
        let _ = Element::parse(&xml);
        let _ = delete_objects::parse(&xml);
        let _ = multipart::parse_complete(&xml);
    }
}
