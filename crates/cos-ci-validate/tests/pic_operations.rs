//! The Pic-Operations header: parse, build, rule count, fileid rules and resolution against the
//! source key, and resolving rules to operations.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use cos_ci_validate::ai_enhance_image::AiEnhanceImage;
use cos_ci_validate::ai_image_coloring::AiImageColoring;
use cos_ci_validate::ai_super_resolution::{AiSuperResolution, Magnify};
use cos_ci_validate::{
    ErrorCode, MAX_KEY_BYTES, MAX_RULES, OPERATIONS, PIC_OPERATIONS_HEADER, PicOperations,
    PicOperationsError, PicRule, check_fileid, find_operation, resolve_fileid, rule_operation,
};
use proptest::prelude::*;

fn rule(fileid: &str, rule: &str) -> PicRule {
    PicRule {
        bucket: None,
        fileid: fileid.to_string(),
        rule: rule.to_string(),
    }
}

fn with_rules(count: usize) -> PicOperations {
    PicOperations {
        is_pic_info: false,
        rules: (0..count)
            .map(|i| rule(&format!("out/{i}.png"), "ci-process=AIImageColoring"))
            .collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// Known answers: what the SDKs send

#[test]
fn python_sdk_header_parses() {
    assert_eq!(PIC_OPERATIONS_HEADER, "Pic-Operations");
    let header = r#"{"is_pic_info":1,"rules":[{"fileid":"/output/result.png","rule":"ci-process=AIImageColoring","bucket":"examplebucket-1250000000"}]}"#;
    let ops = PicOperations::parse(header).unwrap();
    assert!(ops.is_pic_info);
    assert_eq!(ops.rules.len(), 1);
    assert_eq!(
        ops.rules[0].bucket.as_deref(),
        Some("examplebucket-1250000000")
    );
    assert_eq!(ops.rules[0].fileid, "/output/result.png");
    assert_eq!(ops.rules[0].rule, "ci-process=AIImageColoring");
    assert_eq!(rule_operation(&ops.rules[0].rule), Some("AIImageColoring"));
    assert_eq!(
        resolve_fileid("input/photo.png", &ops.rules[0].fileid).unwrap(),
        "output/result.png"
    );
    let resolved = ops.resolve_rules(OPERATIONS).unwrap();
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].0.name, "AIImageColoring");
    assert!(resolved[0].1.is_empty());
    // Our own writer puts `bucket` first; the value is the same.
    assert_eq!(PicOperations::parse(&ops.to_json()).unwrap(), ops);
    assert_eq!(
        ops.to_json(),
        r#"{"is_pic_info":1,"rules":[{"bucket":"examplebucket-1250000000","fileid":"/output/result.png","rule":"ci-process=AIImageColoring"}]}"#
    );
}

#[test]
fn captured_headers_parse_and_resolve() {
    let cases = [
        (
            r#"{"is_pic_info":1,"rules":[{"fileid":"sr.png","rule":"ci-process=AISuperResolution&magnify=2"}]}"#,
            "AISuperResolution",
            "input/sr.png",
        ),
        (
            r#"{"is_pic_info":1,"rules":[{"fileid":"/output/result.png","rule":"ci-process=AIEnhanceImage&denoise=1&sharpen=2"}]}"#,
            "AIEnhanceImage",
            "output/result.png",
        ),
        (
            r#"{"is_pic_info":0,"rules":[{"fileid":"/output/matting.png","rule":"ci-process=AIPicMatting&center-layout=1&padding-layout=20x10"}]}"#,
            "AIPicMatting",
            "output/matting.png",
        ),
        (
            r#"{"is_pic_info":1,"rules":[{"fileid":"out.png","rule":"ci-process=AIImageColoring"}]}"#,
            "AIImageColoring",
            "input/out.png",
        ),
    ];
    for (header, operation, key) in cases {
        let ops = PicOperations::parse(header).unwrap();
        let resolved = ops.resolve_rules(OPERATIONS).unwrap();
        assert_eq!(resolved[0].0.name, operation);
        assert_eq!(
            resolve_fileid("input/photo.png", &ops.rules[0].fileid).unwrap(),
            key
        );
        // Our JSON is the same JSON (no bucket given, so none written).
        assert_eq!(ops.to_json(), header);
    }
    let ops = PicOperations::parse(cases[1].0).unwrap();
    let values = &ops.resolve_rules(OPERATIONS).unwrap()[0].1;
    assert_eq!(values.int("denoise"), Some(1));
    assert_eq!(values.int("sharpen"), Some(2));
}

#[test]
fn documented_pretty_header_parses() {
    // The COS documentation's example, newlines and indentation included.
    let header = "{\n\"is_pic_info\": 1,\n\"rules\": [{\n\"fileid\": \"exampleobject\",\n\"rule\": \"ci-process=AIImageColoring\"\n}]\n}";
    let ops = PicOperations::parse(header).unwrap();
    assert!(ops.is_pic_info);
    assert_eq!(
        ops.rules,
        vec![rule("exampleobject", "ci-process=AIImageColoring")]
    );
    // Cloud example: no is_pic_info.
    let ops = PicOperations::parse(
        r#"{ "rules": [{ "fileid": "exampleobject", "rule": "ci-process=AIImageColoring" }] }"#,
    )
    .unwrap();
    assert!(!ops.is_pic_info);
}

#[test]
fn headers_without_rules_parse() {
    // Android SDK with no rules; Go SDK `PicOperations{IsPicInfo: 1}` (its "rules,omitemtpy" tag
    // is misspelt, so a nil slice is written as null).
    for header in [
        "{}",
        r#"{"is_pic_info":1}"#,
        r#"{"rules":[]}"#,
        r#"{"is_pic_info":1,"rules":null}"#,
    ] {
        let ops = PicOperations::parse(header).unwrap_or_else(|e| panic!("{header}: {e}"));
        assert!(ops.rules.is_empty(), "{header}");
        assert!(ops.resolve_rules(OPERATIONS).unwrap().is_empty());
    }
    assert_eq!(
        PicOperations::new().to_json(),
        r#"{"is_pic_info":0,"rules":[]}"#
    );
}

#[test]
fn malformed_headers_are_json_errors() {
    for header in [
        "",
        "not json",
        "[]",
        "null",
        "1",
        r#""rules""#,
        r#"[1,[]]"#,
        r#"{"rules":[["examplebucket-1250000000","a.png","ci-process=AIImageColoring"]]}"#,
        r#"{"rules":[null]}"#,
        r#"{"is_pic_info":2,"rules":[]}"#,
        r#"{"is_pic_info":-1}"#,
        r#"{"is_pic_info":"1"}"#,
        r#"{"rules":{}}"#,
        r#"{"rules":[{"fileid":"a.png"}]}"#,
        r#"{"rules":[{"rule":"ci-process=AIImageColoring"}]}"#,
        r#"{"rules":[{"fileid":1,"rule":"ci-process=AIImageColoring"}]}"#,
        r#"{"rules":[{"fileid":"a.png","rule":"ci-process=AIImageColoring"}]"#,
    ] {
        let err = PicOperations::parse(header).unwrap_err();
        assert!(
            matches!(err, PicOperationsError::Json(_)),
            "{header}: {err:?}"
        );
        assert_eq!(err.code(), ErrorCode::InvalidPicOperations);
        assert_eq!(err.code().status(), 400);
    }
}

// ---------------------------------------------------------------------------------------------
// Rule count

#[test]
fn five_rules_pass_six_do_not() {
    assert_eq!(MAX_RULES, 5);
    let five = with_rules(MAX_RULES);
    assert_eq!(PicOperations::parse(&five.to_json()).unwrap(), five);
    assert_eq!(five.resolve_rules(OPERATIONS).unwrap().len(), 5);

    let six = with_rules(MAX_RULES + 1);
    let err = PicOperations::parse(&six.to_json()).unwrap_err();
    assert_eq!(err, PicOperationsError::TooManyRules { count: 6, max: 5 });
    assert_eq!(err.code(), ErrorCode::InvalidPicOperations);
    assert_eq!(
        err.to_string(),
        "Pic-Operations has 6 rules; at most 5 are allowed"
    );

    let err = PicOperations::parse(&with_rules(100).to_json()).unwrap_err();
    assert_eq!(err, PicOperationsError::TooManyRules { count: 100, max: 5 });
}

#[test]
fn the_builder_refuses_a_sixth_rule() {
    let mut ops = PicOperations::new().with_pic_info(true);
    for i in 0..MAX_RULES {
        ops = ops
            .with_rule(&format!("out/{i}.jpg"), &AiImageColoring::new())
            .unwrap();
    }
    let err = ops
        .clone()
        .with_rule("out/6.jpg", &AiImageColoring::new())
        .unwrap_err();
    assert_eq!(err, PicOperationsError::TooManyRules { count: 6, max: 5 });
    let err = ops
        .with_rule_in("other-1250000000", "out/6.jpg", &AiImageColoring::new())
        .unwrap_err();
    assert!(matches!(err, PicOperationsError::TooManyRules { .. }));
}

#[test]
fn the_builder_writes_what_the_sdks_write() {
    let ops = PicOperations::new()
        .with_pic_info(true)
        .with_rule_in(
            "examplebucket-1250000000",
            "/output/result.png",
            &AiImageColoring::new(),
        )
        .unwrap()
        .with_rule(
            "sr.png",
            &AiSuperResolution::new().with_magnify(Magnify::X4),
        )
        .unwrap();
    assert_eq!(
        ops.to_json(),
        r#"{"is_pic_info":1,"rules":[{"bucket":"examplebucket-1250000000","fileid":"/output/result.png","rule":"ci-process=AIImageColoring"},{"fileid":"sr.png","rule":"ci-process=AISuperResolution&magnify=4"}]}"#
    );
    assert_eq!(PicOperations::parse(&ops.to_json()).unwrap(), ops);
    let resolved = ops.resolve_rules(OPERATIONS).unwrap();
    assert_eq!(resolved[1].0.name, "AISuperResolution");
    assert_eq!(resolved[1].1.int("magnify"), Some(4));
}

#[test]
fn the_builder_validates_parameters_and_fileids() {
    let err = PicOperations::new()
        .with_rule("out.png", &AiEnhanceImage::new().with_sharpen(6))
        .unwrap_err();
    let PicOperationsError::Params(inner) = &err else {
        panic!("{err:?}");
    };
    assert!(inner.names("sharpen"));
    assert_eq!(err.code(), ErrorCode::InvalidArgument);
    assert!(err.to_string().contains("sharpen"), "{err}");

    let err = PicOperations::new()
        .with_rule("out/", &AiImageColoring::new())
        .unwrap_err();
    assert!(matches!(err, PicOperationsError::FileId { .. }), "{err:?}");
    assert_eq!(err.code(), ErrorCode::InvalidPicOperations);
}

// ---------------------------------------------------------------------------------------------
// fileid rules and resolution

const BAD_FILEIDS: &[&str] = &[
    "",
    "/",
    "//",
    "out/",
    "/out/",
    "a/b/",
    "../x.png",
    "a/../x.png",
    "a/..",
    "..",
    "/../x.png",
    "./x.png",
    "a/./x.png",
    ".",
    "/.",
    "a\0b.png",
    "\0",
];

const GOOD_FILEIDS: &[&str] = &[
    "x.png",
    "/x.png",
    "a/b/c.png",
    "/a/b/c.png",
    "a..b.png",
    "...png",
    ".hidden.png",
    "a/.b/c.png",
    "..a/b.png",
    "目录/My Photo+(1)&x=y~!*'.png",
    "a b/c d.png",
];

#[test]
fn fileid_rules() {
    for fileid in BAD_FILEIDS {
        let err = check_fileid(fileid).unwrap_err();
        assert!(
            matches!(err, PicOperationsError::FileId { .. }),
            "{fileid:?}: {err:?}"
        );
        assert_eq!(err.code(), ErrorCode::InvalidPicOperations);
        assert!(
            resolve_fileid("input/photo.png", fileid).is_err(),
            "{fileid:?}"
        );
        // The same fileid inside a header.
        let header = PicOperations {
            is_pic_info: false,
            rules: vec![rule(fileid, "ci-process=AIImageColoring")],
        }
        .to_json();
        let err = PicOperations::parse(&header).unwrap_err();
        assert!(
            matches!(err, PicOperationsError::FileId { .. }),
            "{header}: {err:?}"
        );
        assert_eq!(err.code(), ErrorCode::InvalidPicOperations);
    }
    for fileid in GOOD_FILEIDS {
        check_fileid(fileid).unwrap_or_else(|e| panic!("{fileid:?}: {e}"));
        resolve_fileid("input/photo.png", fileid).unwrap();
    }
    let err = check_fileid("out/").unwrap_err();
    assert!(err.to_string().contains("ends with '/'"), "{err}");
    let err = check_fileid("../x.png").unwrap_err();
    assert!(err.to_string().contains(".."), "{err}");
    let err = check_fileid("a\0b").unwrap_err();
    assert!(err.to_string().contains("NUL"), "{err}");
}

#[test]
fn fileid_resolution() {
    let cases = [
        // The documentation's examples (source /p1/test1.jpg).
        ("/p1/test1.jpg", "/p2/test2.jpg", "p2/test2.jpg"),
        ("/p1/test1.jpg", "p2/test2.jpg", "p1/p2/test2.jpg"),
        ("p1/test1.jpg", "/p2/test2.jpg", "p2/test2.jpg"),
        ("p1/test1.jpg", "p2/test2.jpg", "p1/p2/test2.jpg"),
        // Overwriting the source.
        ("p1/test1.jpg", "/p1/test1.jpg", "p1/test1.jpg"),
        ("p1/test1.jpg", "test1.jpg", "p1/test1.jpg"),
        // Nested and root-level sources.
        ("a/b/c/photo.png", "out.png", "a/b/c/out.png"),
        ("a/b/c/photo.png", "d/e.png", "a/b/c/d/e.png"),
        ("a/b/c/photo.png", "/d/e.png", "d/e.png"),
        ("photo.png", "out.png", "out.png"),
        ("photo.png", "x/y.png", "x/y.png"),
        ("/photo.png", "x/y.png", "x/y.png"),
        ("photo.png", "/x/y.png", "x/y.png"),
        // Unicode and characters that need encoding elsewhere.
        (
            "目录/My Photo+(1)&x=y~!*'.png",
            "结果 1.png",
            "目录/结果 1.png",
        ),
    ];
    for (source, fileid, key) in cases {
        assert_eq!(
            resolve_fileid(source, fileid).unwrap(),
            key,
            "{source} + {fileid}"
        );
    }
}

#[test]
fn resolved_keys_are_at_most_850_bytes() {
    assert_eq!(MAX_KEY_BYTES, 850);
    let absolute = format!("/{}", "a".repeat(850));
    assert_eq!(resolve_fileid("photo.png", &absolute).unwrap().len(), 850);
    let absolute = format!("/{}", "a".repeat(851));
    let err = resolve_fileid("photo.png", &absolute).unwrap_err();
    assert!(matches!(err, PicOperationsError::FileId { .. }));
    assert_eq!(err.code(), ErrorCode::InvalidPicOperations);
    assert!(err.to_string().contains("850"), "{err}");

    // Bytes, not characters: "é" is two bytes.
    assert_eq!(
        resolve_fileid("p.png", &format!("/{}", "é".repeat(425)))
            .unwrap()
            .len(),
        850
    );
    assert!(resolve_fileid("p.png", &format!("/{}a", "é".repeat(425))).is_err());

    // Relative fileids count the source folder too: "dir/" is 4 bytes.
    let fits = "b".repeat(846);
    assert_eq!(resolve_fileid("dir/photo.png", &fits).unwrap().len(), 850);
    let over = "b".repeat(847);
    assert!(resolve_fileid("dir/photo.png", &over).is_err());
    assert!(resolve_fileid("photo.png", &over).is_ok());
}

// ---------------------------------------------------------------------------------------------
// Rules against operations

#[test]
fn rules_naming_no_operation_are_refused() {
    for rule_string in [
        "ci-process=NoSuchOperation",
        "ci-process=",
        "ci-process=aiimagecoloring",
        "imageMogr2/format/png",
        "imageView2/format/png",
        "style/thumbnail",
        "",
        "magnify=2",
    ] {
        let ops = PicOperations {
            is_pic_info: false,
            rules: vec![rule("out.png", rule_string)],
        };
        let err = ops.resolve_rules(OPERATIONS).unwrap_err();
        assert_eq!(
            err,
            PicOperationsError::UnknownOperation {
                rule: rule_string.to_string()
            },
            "{rule_string}"
        );
        assert_eq!(err.code(), ErrorCode::InvalidPicOperations);
    }
    // An operation the server does not offer is unknown too.
    let ops = PicOperations {
        is_pic_info: false,
        rules: vec![rule("out.png", "ci-process=AIImageColoring")],
    };
    let others: Vec<_> = OPERATIONS
        .iter()
        .copied()
        .filter(|s| s.name != "AIImageColoring")
        .collect();
    assert!(matches!(
        ops.resolve_rules(&others).unwrap_err(),
        PicOperationsError::UnknownOperation { .. }
    ));
}

/// A valid rule of the first operation without required parameters.
fn first_ok_rule() -> String {
    let spec = OPERATIONS
        .iter()
        .find(|s| s.params.iter().all(|p| !p.required))
        .unwrap();
    format!("ci-process={}", spec.name)
}

#[test]
fn rules_with_bad_parameters_name_the_parameter() {
    for spec in operations() {
        let required = samples(spec).remove(3).1;
        for param in spec.params.iter().filter(|p| has_invalid(&p.kind)) {
            let mut pairs = spec.encode_pairs(&required);
            pairs.retain(|(k, _)| *k != param.name);
            pairs.push((param.name, bad_wire(&param.kind)));
            let rule_string = pairs
                .iter()
                .map(|(k, v)| format!("{k}={}", cos_ci_sign::encode(v)))
                .collect::<Vec<_>>()
                .join("&");
            let ops = PicOperations::parse(
                &PicOperations {
                    is_pic_info: true,
                    rules: vec![
                        rule("ok.png", &first_ok_rule()),
                        rule("out.png", &rule_string),
                    ],
                }
                .to_json(),
            )
            .unwrap();
            let err = ops.resolve_rules(&operations()).unwrap_err();
            let PicOperationsError::Params(inner) = &err else {
                panic!("{rule_string}: {err:?}");
            };
            assert_names(inner, param, &bad_wire(&param.kind));
            assert_eq!(err.code(), ErrorCode::InvalidArgument);
        }
        // A parameter the operation does not have.
        let ops = PicOperations {
            is_pic_info: false,
            rules: vec![rule(
                "out.png",
                &format!(
                    "{}{}",
                    spec.encode_rule(&required),
                    match spec.rule_form {
                        cos_ci_validate::RuleForm::Query => "&bogus=1",
                        cos_ci_validate::RuleForm::Path => "/bogus/1",
                    }
                ),
            )],
        };
        let PicOperationsError::Params(inner) = ops.resolve_rules(&operations()).unwrap_err()
        else {
            panic!("bogus accepted by {}", spec.name);
        };
        assert!(inner.names("bogus"));
    }
}

#[test]
fn every_operation_resolves_from_a_rule() {
    for spec in operations() {
        let rules: Vec<PicRule> = samples(spec)
            .into_iter()
            .map(|(label, values)| {
                rule(
                    &format!("{}/{label}.png", spec.file),
                    &spec.encode_rule(&values),
                )
            })
            .collect();
        let ops = PicOperations::parse(
            &PicOperations {
                is_pic_info: true,
                rules,
            }
            .to_json(),
        )
        .unwrap();
        let resolved = ops.resolve_rules(&operations()).unwrap();
        for ((resolved_spec, values), (_, expected)) in resolved.iter().zip(samples(spec)) {
            assert_eq!(resolved_spec.name, spec.name);
            assert_eq!(values, &expected);
        }
    }
}

#[test]
fn rule_operation_finds_ci_process_anywhere() {
    assert_eq!(
        rule_operation("ci-process=AIImageColoring"),
        Some("AIImageColoring")
    );
    assert_eq!(
        rule_operation("magnify=4&ci-process=AISuperResolution"),
        Some("AISuperResolution")
    );
    assert_eq!(
        rule_operation(" ci-process = AIEnhanceImage &denoise=1"),
        Some("AIEnhanceImage")
    );
    // A path rule names its operation first (QRcode's form); this one no operation serves.
    assert_eq!(rule_operation("imageMogr2/format/png"), Some("imageMogr2"));
    assert_eq!(rule_operation("QRcode/cover/1"), Some("QRcode"));
    assert_eq!(rule_operation("a=b"), None);
    assert_eq!(rule_operation(""), None);
    assert!(find_operation(rule_operation("ci-process=AIPicMatting").unwrap()).is_some());
}

// ---------------------------------------------------------------------------------------------
// Properties

fn valid_fileid() -> impl Strategy<Value = String> {
    let segment = prop_oneof!["[a-zA-Z0-9_-]{1,12}", "\\PC{1,8}", "[ .&=+%\"'<>é目]{1,6}",]
        .prop_filter("a name", |s: &String| {
            s != "." && s != ".." && !s.contains('/') && !s.contains('\0')
        });
    (any::<bool>(), proptest::collection::vec(segment, 1..5)).prop_map(|(absolute, segments)| {
        format!("{}{}", if absolute { "/" } else { "" }, segments.join("/"))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any header we build (up to five rules, any valid fileids, buckets, rules) parses back to
    /// the same value.
    #[test]
    fn built_headers_parse_back(
        is_pic_info in any::<bool>(),
        rules in proptest::collection::vec(
            (proptest::option::of("[a-z0-9-]{1,20}-[0-9]{10}"), valid_fileid(), any_operation_values()),
            0..=MAX_RULES,
        ),
    ) {
        let ops = PicOperations {
            is_pic_info,
            rules: rules
                .iter()
                .map(|(bucket, fileid, (spec, values))| PicRule {
                    bucket: bucket.clone(),
                    fileid: fileid.clone(),
                    rule: spec.encode_rule(values),
                })
                .collect(),
        };
        let json = ops.to_json();
        prop_assert_eq!(&PicOperations::parse(&json).unwrap(), &ops);
        let resolved = ops.resolve_rules(&operations()).unwrap();
        for ((spec, values), (_, _, (expected_spec, expected))) in resolved.iter().zip(&rules) {
            prop_assert_eq!(spec.name, expected_spec.name);
            prop_assert_eq!(values, expected);
        }
    }

    /// Resolution: absolute fileids are the key, relative ones live in the source's folder, and
    /// no key has a `.` or `..` segment or is longer than 850 bytes.
    #[test]
    fn resolution_properties(source in valid_fileid(), fileid in valid_fileid()) {
        match resolve_fileid(&source, &fileid) {
            Ok(key) => {
                prop_assert!(key.len() <= MAX_KEY_BYTES);
                prop_assert!(!key.split('/').any(|s| s == "." || s == ".."));
                if let Some(absolute) = fileid.strip_prefix('/') {
                    prop_assert_eq!(&key, absolute);
                } else {
                    prop_assert!(key.ends_with(fileid.as_str()));
                    let source = source.trim_start_matches('/');
                    let folder = source.rfind('/').map(|i| &source[..=i]).unwrap_or("");
                    prop_assert_eq!(key, format!("{folder}{fileid}"));
                }
            }
            Err(err) => {
                let is_fileid_error = matches!(err, PicOperationsError::FileId { .. });
                prop_assert!(is_fileid_error, "{:?}", err);
            }
        }
    }

    /// Nothing that arrives in the header makes these panic.
    #[test]
    fn arbitrary_headers_never_panic(
        raw in prop_oneof![
            any::<String>(),
            "[{}\\[\\]\":,0-9a-z_ ]{0,80}",
            ("[0-2]", "[a-z./ ]{0,10}", "[a-z=&-]{0,30}").prop_map(|(i, f, r)| {
                format!(r#"{{"is_pic_info":{i},"rules":[{{"fileid":"{f}","rule":"ci-process={r}"}}]}}"#)
            }),
        ],
        source in any::<String>(),
    ) {
        if let Ok(ops) = PicOperations::parse(&raw) {
            let _ = ops.resolve_rules(&operations());
            let _ = ops.to_json();
            for rule in &ops.rules {
                let _ = resolve_fileid(&source, &rule.fileid);
            }
        }
        let _ = check_fileid(&raw);
        let _ = resolve_fileid(&source, &raw);
        let _ = rule_operation(&raw);
    }
}
