//! Encoding and decoding of the two wire forms (download query, Pic-Operations rule string) and
//! validation, for every operation in `OPERATIONS`, driven by each parameter's `ParamKind`.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use cos_ci_validate::ai_enhance_image::AiEnhanceImage;
use cos_ci_validate::ai_pic_matting::{AiPicMatting, PaddingLayout};
use cos_ci_validate::ai_super_resolution::{AiSuperResolution, Magnify};
use cos_ci_validate::{
    CI_PROCESS, ErrorCode, OPERATIONS, OpSpec, Operation, ParamKind, ParamValues, Value,
    find_operation,
};
use proptest::prelude::*;

/// The spec named `name`; panics when the spec no longer has it.
fn op(name: &str) -> &'static OpSpec {
    find_operation(name).unwrap_or_else(|| panic!("no operation {name}"))
}

/// `name=value` pairs joined with `&`, each piece COS-encoded.
fn join_encoded(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", cos_ci_sign::encode(k), cos_ci_sign::encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The wire pairs of `values` as owned strings.
fn pairs_of(spec: &OpSpec, values: &ParamValues) -> Vec<(String, String)> {
    spec.encode_pairs(values)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// A value of `kind` as `check` sees it, when `raw` can be typed at all (and is its wire form).
fn typed(kind: &ParamKind, raw: &str) -> Option<Value> {
    let value = match *kind {
        ParamKind::Integer { .. } | ParamKind::IntegerSet(_) => raw.parse().ok().map(Value::Int),
        ParamKind::Number { .. } => raw.parse().ok().map(Value::Number),
        // Refused JSON text has no typed form (an unknown member is refused as text too).
        ParamKind::Flag | ParamKind::Json { .. } => None,
        ParamKind::Text { .. } => Some(Value::Text(raw.to_string())),
        ParamKind::Pair { separator, .. } => {
            let (a, b) = raw.split_once(separator)?;
            Some(Value::Pair(a.parse().ok()?, b.parse().ok()?))
        }
        ParamKind::List { separator, .. } => Some(Value::list(raw.split(separator))),
    }?;
    (value.to_wire(kind) == raw).then_some(value)
}

// ---------------------------------------------------------------------------------------------
// Deterministic, generic over OPERATIONS (and the synthetic operation with every kind)

#[test]
fn every_operation_is_findable_and_consistent() {
    assert!(!OPERATIONS.is_empty());
    for spec in OPERATIONS {
        assert_eq!(find_operation(spec.name), Some(*spec));
        assert_eq!(find_operation(spec.file), Some(*spec));
        assert_eq!(spec.module, spec.file.replace('-', "_"));
        let mut names: Vec<&str> = spec.params.iter().map(|p| p.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(
            names.len(),
            spec.params.len(),
            "{}: duplicate parameter",
            spec.name
        );
        for param in spec.params {
            assert_ne!(param.name, CI_PROCESS);
            assert!(!param.kind.allowed().is_empty());
            if let Some(default) = param.default {
                assert!(
                    OpSpec::parse_value(param, default).is_ok(),
                    "{}: default {default:?} of {} is not allowed",
                    spec.name,
                    param.name
                );
            }
        }
        assert!(spec.params.iter().filter(|p| p.ignore_error).count() <= 1);
    }
}

#[test]
fn samples_survive_both_wire_forms() {
    for spec in operations() {
        for (label, values) in samples(spec) {
            let ctx = format!("{} {label}", spec.name);
            spec.check(&values).unwrap_or_else(|e| panic!("{ctx}: {e}"));
            let query = spec.encode_query(&values);
            assert!(
                query.starts_with(&format!("ci-process={}", spec.name)),
                "{ctx}: {query}"
            );
            assert_eq!(spec.decode_query(&query).unwrap(), values, "{ctx}: {query}");
            let rule = spec.encode_rule(&values);
            assert_eq!(spec.decode_rule(&rule).unwrap(), values, "{ctx}: {rule}");
            let pairs = spec.encode_pairs(&values);
            let borrowed = pairs.iter().map(|(k, v)| (*k, v.as_str()));
            assert_eq!(spec.decode_pairs(borrowed, true).unwrap(), values, "{ctx}");
        }
    }
}

#[test]
fn absent_parameters_are_left_to_the_server() {
    for spec in operations() {
        // Relations add violations of their own (tests/it/relations.rs covers them).
        if !spec.relations.is_empty() {
            continue;
        }
        let bare = format!("ci-process={}", spec.name);
        let required: Vec<&str> = spec
            .params
            .iter()
            .filter(|p| p.required)
            .map(|p| p.name)
            .collect();
        for decoded in [spec.decode_query(&bare), spec.decode_rule(&bare)] {
            match decoded {
                Ok(values) => {
                    assert!(required.is_empty());
                    assert!(values.is_empty(), "{}", spec.name);
                }
                Err(err) => {
                    // Only the required parameters may be missing, each reported with no value.
                    assert_eq!(err.violations.len(), required.len(), "{err}");
                    for param in spec.params.iter().filter(|p| p.required) {
                        assert_names(&err, param, "");
                    }
                }
            }
        }
    }
}

#[test]
fn empty_values_count_as_absent() {
    for spec in operations() {
        // Relations add violations of their own (tests/it/relations.rs covers them).
        if !spec.relations.is_empty() {
            continue;
        }
        // What the Go SDK sends: every known field, empty when unset, detect-url included.
        let mut query = format!("ci-process={}&detect-url=", spec.name);
        let mut rule = format!("ci-process={}", spec.name);
        let mut expected = ParamValues::new();
        for param in spec.params {
            if param.required {
                let value = low_value(&param.kind);
                let wire = cos_ci_sign::encode(&value.to_wire(&param.kind));
                query.push_str(&format!("&{}={wire}", param.name));
                rule.push_str(&format!("&{}={wire}", param.name));
                expected.set(param.name, value);
            } else {
                query.push_str(&format!("&{}=", param.name));
                rule.push_str(&format!("&{}=", param.name));
            }
        }
        assert!(
            same_values(spec, &spec.decode_query(&query).unwrap(), &expected),
            "{query}"
        );
        assert!(
            same_values(spec, &spec.decode_rule(&rule).unwrap(), &expected),
            "{rule}"
        );
    }
}

#[test]
fn out_of_range_samples_are_rejected_naming_the_parameter() {
    for spec in operations() {
        let required = samples(spec)
            .into_iter()
            .find(|(label, _)| *label == "required")
            .unwrap()
            .1;
        for param in spec.params.iter().filter(|p| has_invalid(&p.kind)) {
            let bad = bad_wire(&param.kind);
            let mut pairs = pairs_of(spec, &required);
            pairs.retain(|(k, _)| k != param.name);
            pairs.push((param.name.to_string(), bad.clone()));
            let wire = join_encoded(&pairs);

            let err = spec.decode_query(&wire).unwrap_err();
            assert_names(&err, param, &bad);
            assert_eq!(err.violations.len(), 1, "{err}");
            assert_eq!(err.operation, spec.name);

            let err = spec.decode_rule(&wire).unwrap_err();
            assert_names(&err, param, &bad);
            assert_eq!(err.violations.len(), 1, "{err}");

            let err = OpSpec::parse_value(param, &bad).unwrap_err();
            assert_eq!(err.param, param.name);
            assert_eq!(err.allowed, param.kind.allowed());
            assert_eq!(err.code, ErrorCode::InvalidArgument);
            assert!(err.to_string().contains(param.name), "{err}");

            if let Some(value) = typed(&param.kind, &bad) {
                let mut values = required.clone();
                values.set(param.name, value);
                let err = spec.check(&values).unwrap_err();
                assert_names(&err, param, &bad);
            }
        }
    }
}

#[test]
fn every_violation_is_reported_at_once() {
    for spec in operations() {
        // Relations add violations of their own (tests/it/relations.rs covers them).
        if !spec.relations.is_empty() {
            continue;
        }
        let bad: Vec<_> = spec
            .params
            .iter()
            .filter(|p| has_invalid(&p.kind))
            .collect();
        if bad.is_empty() {
            continue;
        }
        let pairs: Vec<(String, String)> = bad
            .iter()
            .map(|p| (p.name.to_string(), bad_wire(&p.kind)))
            .collect();
        let mut wire = format!("ci-process={}", spec.name);
        for (k, v) in &pairs {
            wire.push_str(&format!("&{}={}", k, cos_ci_sign::encode(v)));
        }
        for err in [
            spec.decode_query(&wire).unwrap_err(),
            spec.decode_rule(&wire).unwrap_err(),
        ] {
            assert_eq!(err.violations.len(), bad.len(), "{err}");
            for (param, (_, raw)) in bad.iter().zip(&pairs) {
                assert_names(&err, param, raw);
            }
        }
        // check(): every value typed, in parameter order.
        let mut values = ParamValues::new();
        for param in &bad {
            if let Some(v) = typed(&param.kind, &bad_wire(&param.kind)) {
                values.set(param.name, v);
            }
        }
        if let Err(err) = spec.check(&values) {
            let named: Vec<&str> = err.violations.iter().map(|v| v.param.as_str()).collect();
            let expected: Vec<&str> = spec
                .params
                .iter()
                .filter(|p| values.get(p.name).is_some() || p.required)
                .map(|p| p.name)
                .collect();
            let mut sorted_named = named.clone();
            sorted_named.sort_unstable();
            let mut sorted_expected = expected.clone();
            sorted_expected.sort_unstable();
            assert_eq!(sorted_named, sorted_expected, "{err}");
        } else {
            assert!(values.is_empty() && spec.params.iter().all(|p| !p.required));
        }
    }
}

#[test]
fn required_parameters_must_be_present() {
    for spec in operations() {
        for param in spec.params.iter().filter(|p| p.required) {
            let mut values = samples(spec).remove(1).1; // "high": everything set
            let mut rest = ParamValues::new();
            for (name, value) in values.iter() {
                if name != param.name {
                    rest.set(name, value.clone());
                }
            }
            values = rest;
            let err = spec.check(&values).unwrap_err();
            assert_names(&err, param, "");
            let err = spec.decode_query(&spec.encode_query(&values)).unwrap_err();
            assert_names(&err, param, "");
            let err = spec.decode_rule(&spec.encode_rule(&values)).unwrap_err();
            assert_names(&err, param, "");
            assert!(err.to_string().contains("missing"), "{err}");
        }
    }
}

#[test]
fn ci_process_must_name_the_operation() {
    for spec in operations() {
        let required = samples(spec).remove(3).1;
        let tail: String = spec
            .encode_pairs(&required)
            .into_iter()
            .skip(1)
            .map(|(k, v)| format!("&{k}={}", cos_ci_sign::encode(&v)))
            .collect();
        let other = format!("ci-process=NotAnOperation{tail}");
        for err in [
            spec.decode_query(&other).unwrap_err(),
            spec.decode_rule(&other).unwrap_err(),
        ] {
            assert_eq!(err.violations.len(), 1, "{err}");
            let v = &err.violations[0];
            assert_eq!(v.param, CI_PROCESS);
            assert_eq!(v.value, "NotAnOperation");
            assert_eq!(v.allowed, spec.name);
            assert_eq!(v.code, ErrorCode::InvalidArgument);
        }
        // The rule string must say which operation it is; the query's route already does.
        let without = tail.trim_start_matches('&').to_string();
        let err = spec.decode_rule(&without).unwrap_err();
        assert!(err.names(CI_PROCESS), "{err}");
        assert_eq!(err.code(), ErrorCode::InvalidArgument);
        assert!(same_values(
            spec,
            &spec.decode_query(&without).unwrap(),
            &required
        ));
        // Case matters.
        let lower = format!("ci-process={}{tail}", spec.name.to_lowercase());
        if spec.name.to_lowercase() != spec.name {
            assert!(spec.decode_query(&lower).unwrap_err().names(CI_PROCESS));
        }
    }
}

#[test]
fn unknown_names_are_errors_in_rules_only() {
    for spec in operations() {
        let required = samples(spec).remove(3).1;
        let base = spec.encode_query(&required);
        let noisy = format!(
            "{base}&no-such-param=1&detect-url=https%3A%2F%2Fexample.com%2Fa.png&q-sign-algorithm=sha1&response-content-type=image%2Fpng&image_process"
        );
        assert!(
            same_values(spec, &spec.decode_query(&noisy).unwrap(), &required),
            "{noisy}"
        );
        let err = spec
            .decode_rule(&format!("{base}&no-such-param=1"))
            .unwrap_err();
        assert_eq!(err.violations.len(), 1, "{err}");
        assert_eq!(err.violations[0].param, "no-such-param");
        assert_eq!(err.violations[0].value, "1");
        assert_eq!(err.violations[0].allowed, "no such parameter");
        assert_eq!(err.code(), ErrorCode::InvalidArgument);
    }
}

#[test]
fn a_parameter_given_twice_is_rejected() {
    for spec in operations() {
        let high = samples(spec).remove(1).1;
        for param in spec.params {
            let wire = cos_ci_sign::encode(&high.get(param.name).unwrap().to_wire(&param.kind));
            let query = format!("{}&{}={wire}", spec.encode_query(&high), param.name);
            let err = spec.decode_query(&query).unwrap_err();
            assert!(err.names(param.name), "{err}");
            assert_eq!(err.code(), ErrorCode::InvalidArgument);
            // An empty repeat is just "absent".
            let query = format!("{}&{}=", spec.encode_query(&high), param.name);
            assert_eq!(spec.decode_query(&query).unwrap(), high);
        }
    }
}

#[test]
fn values_of_the_wrong_type_are_rejected() {
    for spec in operations() {
        for param in spec.params {
            let wrong = match param.kind {
                ParamKind::Text { .. } => Value::Int(1),
                ParamKind::Flag => Value::Int(1),
                _ => Value::Text("1".to_string()),
            };
            let mut values = samples(spec).remove(3).1;
            values.set(param.name, wrong);
            let err = spec.check(&values).unwrap_err();
            assert!(err.names(param.name), "{err}");
            assert_eq!(err.code(), ErrorCode::InvalidArgument);
        }
        let mut values = ParamValues::new();
        values.set("no-such-param", Value::Int(1));
        assert!(spec.check(&values).unwrap_err().names("no-such-param"));
    }
}

// ---------------------------------------------------------------------------------------------
// Known answers: what real clients send (../conformance/captures), typed structs

/// `(operation, raw query, expected values)`.
type QueryCase = (&'static str, &'static str, &'static [(&'static str, Value)]);

#[test]
fn captured_client_queries_decode() {
    let cases: &[QueryCase] = &[
        ("AIImageColoring", "ci-process=AIImageColoring", &[]),
        (
            "AIImageColoring",
            "ci-process=AIImageColoring&detect-url=https%3A%2F%2Fexample.com%2Fimg%2Fa+b.jpg%3Fx%3D1%26y%3D2",
            &[],
        ),
        (
            "AISuperResolution",
            "ci-process=AISuperResolution&magnify=4",
            &[("magnify", Value::Int(4))],
        ),
        (
            "AISuperResolution",
            "q-sign-algorithm=sha1&q-ak=AKIDEXAMPLE&q-sign-time=1699999940%3B1700000300&q-key-time=1699999940%3B1700000300&q-header-list=host&q-url-param-list=ci-process%3Bmagnify&q-signature=a2a4df0e3b3d16a4ece7f8944e80e95c2f9a13d3&ci-process=AISuperResolution&magnify=2",
            &[("magnify", Value::Int(2))],
        ),
        (
            "AIEnhanceImage",
            "ci-process=AIEnhanceImage&denoise=3&sharpen=3",
            &[("denoise", Value::Int(3)), ("sharpen", Value::Int(3))],
        ),
        (
            "AIEnhanceImage",
            "ci-process=AIEnhanceImage&denoise=5&sharpen=0&ignore-error=1",
            &[
                ("denoise", Value::Int(5)),
                ("sharpen", Value::Int(0)),
                ("ignore-error", Value::Flag(true)),
            ],
        ),
        (
            "AIPicMatting",
            "ci-process=AIPicMatting&center-layout=1&padding-layout=20x10",
            &[
                ("center-layout", Value::Flag(true)),
                ("padding-layout", Value::Pair(20, 10)),
            ],
        ),
        (
            "AIPicMatting",
            "ci-process=AIPicMatting&detect-url=https%3A%2F%2Fexample.com%2Fimg%2Fa+b.jpg%3Fx%3D1%26y%3D2&center-layout=0",
            &[("center-layout", Value::Flag(false))],
        ),
        // The Go SDK's " omitempty" tags: every field, empty when unset.
        (
            "AIPicMatting",
            "ci-process=AIPicMatting&detect-url=&center-layout=0&padding-layout=",
            &[("center-layout", Value::Flag(false))],
        ),
        // Node: detect-url first after ci-process, %20 spaces.
        (
            "AIPicMatting",
            "ci-process=AIPicMatting&detect-url=https%3A%2F%2Fexample.com%2Fa%20b.jpg&padding-layout=20x10",
            &[("padding-layout", Value::Pair(20, 10))],
        ),
        // Any order, lower-case escapes.
        (
            "AIEnhanceImage",
            "sharpen=5&ignore-error=0&ci-process=AIEnhanceImage&denoise=%31",
            &[
                ("sharpen", Value::Int(5)),
                ("ignore-error", Value::Flag(false)),
                ("denoise", Value::Int(1)),
            ],
        ),
        (
            "AIPicMatting",
            "padding-layout=0x1000&ci-process=AIPicMatting",
            &[("padding-layout", Value::Pair(0, 1000))],
        ),
    ];
    for (name, query, expected) in cases {
        let Some(spec) = find_operation(name) else {
            panic!("{name} is gone from the spec");
        };
        let mut values = ParamValues::new();
        for (k, v) in *expected {
            values.set(k, v.clone());
        }
        let decoded = spec
            .decode_query(query)
            .unwrap_or_else(|e| panic!("{query}: {e}"));
        assert!(same_values(spec, &decoded, &values), "{query}: {decoded:?}");
    }
}

#[test]
fn go_sdk_empty_values_decode_to_the_typed_struct() {
    let decoded = AiPicMatting::from_query(
        "ci-process=AIPicMatting&detect-url=&center-layout=0&padding-layout=",
    )
    .unwrap();
    assert_eq!(decoded, AiPicMatting::new().with_center_layout(false));
    let decoded = AiEnhanceImage::from_query(
        "ci-process=AIEnhanceImage&detect-url=&denoise=&sharpen=&ignore-error=",
    )
    .unwrap();
    assert_eq!(decoded, AiEnhanceImage::new());
}

#[test]
fn typed_validate_reports_every_violation() {
    let err = AiEnhanceImage::new()
        .with_denoise(-1)
        .with_sharpen(6)
        .with_ignore_error(true)
        .validate()
        .unwrap_err();
    assert_eq!(err.operation, "AIEnhanceImage");
    assert_eq!(err.violations.len(), 2, "{err}");
    assert_eq!(err.violations[0].param, "denoise");
    assert_eq!(err.violations[0].value, "-1");
    assert_eq!(err.violations[0].allowed, "an integer in 0..=5");
    assert_eq!(err.violations[0].code, ErrorCode::InvalidArgument);
    assert_eq!(err.violations[1].param, "sharpen");
    assert_eq!(err.violations[1].value, "6");
    assert_eq!(
        err.to_string(),
        "invalid parameters for AIEnhanceImage: denoise: \"-1\" is not allowed, expected an integer in 0..=5; \
         sharpen: \"6\" is not allowed, expected an integer in 0..=5"
    );
    let bad = AiEnhanceImage::new().with_sharpen(6);
    assert_eq!(bad.to_query().unwrap_err(), bad.to_rule().unwrap_err());

    let err = AiPicMatting::new()
        .with_padding_layout(PaddingLayout::new(1001, 0))
        .validate()
        .unwrap_err();
    assert_eq!(err.violations.len(), 1);
    assert_eq!(err.violations[0].param, "padding-layout");
    assert_eq!(err.violations[0].value, "1001x0");
    assert_eq!(err.violations[0].allowed, "<dx>x<dy> with each in 0..=1000");

    for magnify in [Magnify::X2, Magnify::X4] {
        let params = AiSuperResolution::new().with_magnify(magnify);
        params.validate().unwrap();
        assert_eq!(
            AiSuperResolution::from_query(&params.to_query().unwrap()).unwrap(),
            params
        );
        assert_eq!(
            AiSuperResolution::from_rule(&params.to_rule().unwrap()).unwrap(),
            params
        );
    }
    let err = AiSuperResolution::from_query("ci-process=AISuperResolution&magnify=3").unwrap_err();
    assert_eq!(err.violations[0].allowed, "one of 2, 4");
}

#[test]
fn violations_carry_the_value_as_received() {
    let spec = op("AIEnhanceImage");
    for (query, received) in [
        ("ci-process=AIEnhanceImage&sharpen=%2B7", "+7"),
        ("ci-process=AIEnhanceImage&sharpen=+7", " 7"),
        ("ci-process=AIEnhanceImage&sharpen=007", "007"),
        ("ci-process=AIEnhanceImage&sharpen=seven", "seven"),
    ] {
        let err = spec.decode_query(query).unwrap_err();
        assert_eq!(err.violations[0].value, received, "{query}");
    }
    let err = spec
        .decode_rule("ci-process=AIEnhanceImage&denoise=+9")
        .unwrap_err();
    assert_eq!(err.violations[0].value, "+9");
    let err = op("AIPicMatting")
        .decode_query("ci-process=AIPicMatting&padding-layout=1001x%200")
        .unwrap_err();
    assert_eq!(err.violations[0].value, "1001x 0");
}

#[test]
fn typed_structs_round_trip_through_values() {
    let enhance = AiEnhanceImage::new()
        .with_denoise(0)
        .with_sharpen(5)
        .with_ignore_error(false);
    assert_eq!(AiEnhanceImage::from_values(&enhance.to_values()), enhance);
    assert_eq!(
        AiEnhanceImage::from_query(&enhance.to_query().unwrap()).unwrap(),
        enhance
    );
    assert_eq!(
        AiEnhanceImage::from_rule(&enhance.to_rule().unwrap()).unwrap(),
        enhance
    );
    assert_eq!(
        enhance.to_query().unwrap(),
        "ci-process=AIEnhanceImage&denoise=0&sharpen=5&ignore-error=0"
    );
    let matting = AiPicMatting::new().with_padding_layout(PaddingLayout::new(0, 1000));
    assert_eq!(
        AiPicMatting::from_rule(&matting.to_rule().unwrap()).unwrap(),
        matting
    );
}

#[test]
fn rule_strings_tolerate_spaces_and_empty_pieces() {
    let spec = op("AIEnhanceImage");
    let values = spec
        .decode_rule(" ci-process = AIEnhanceImage && denoise = 2 &sharpen=%34&")
        .unwrap();
    assert_eq!(values.int("denoise"), Some(2));
    assert_eq!(values.int("sharpen"), Some(4));
    // A rule names parameters exactly; a query would ignore an unknown one.
    assert!(
        spec.decode_rule("ci-process=AIEnhanceImage&Denoise=2")
            .unwrap_err()
            .names("Denoise")
    );
}

// ---------------------------------------------------------------------------------------------
// Properties

fn noise() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec(
        prop_oneof![
            Just(("detect-url".to_string(), String::new())),
            "[ -~]{1,30}".prop_map(|url| ("detect-url".to_string(), url)),
            Just(("q-sign-algorithm".to_string(), "sha1".to_string())),
            Just((
                "q-url-param-list".to_string(),
                "ci-process;magnify".to_string()
            )),
            Just(("response-content-type".to_string(), "image/png".to_string())),
            Just(("x-cos-security-token".to_string(), "token+/=".to_string())),
        ],
        0..4,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Any valid value set survives encode -> decode unchanged, in both wire forms.
    #[test]
    fn valid_values_survive_encode_decode((spec, values) in any_operation_values()) {
        spec.check(&values).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let query = spec.encode_query(&values);
        prop_assert_eq!(&spec.decode_query(&query).unwrap(), &values, "{}", query);
        let rule = spec.encode_rule(&values);
        prop_assert_eq!(&spec.decode_rule(&rule).unwrap(), &values, "{}", rule);
        let pairs = spec.encode_pairs(&values);
        prop_assert_eq!(&pairs[0], &(CI_PROCESS, spec.name.to_string()));
        let decoded = spec.decode_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())), true).unwrap();
        prop_assert_eq!(&decoded, &values);
        // Each value alone parses back from its wire form.
        for (name, value) in values.iter() {
            let param = spec.param(name).unwrap();
            prop_assert_eq!(&OpSpec::parse_value(param, &value.to_wire(&param.kind)).unwrap(), value);
        }
    }

    /// What real clients send decodes: any order, empty values for unset parameters, `+` for
    /// spaces, and fields the operation does not own (detect-url, signature fields).
    #[test]
    fn shuffled_queries_with_empty_values_and_noise_decode(
        (spec, values, plus, order) in any_operation_values()
            .prop_flat_map(|(spec, values)| (Just(spec), Just(values), noise(), any::<bool>()))
            .prop_flat_map(|(spec, values, extra, plus)| {
                let mut pairs = pairs_of(spec, &values);
                for param in spec.params {
                    if values.get(param.name).is_none() {
                        pairs.push((param.name.to_string(), String::new()));
                    }
                }
                pairs.extend(extra);
                (Just(spec), Just(values), Just(plus), Just(pairs).prop_shuffle())
            })
    ) {
        // `+` for spaces is how Python's urlencode writes a query.
        let encode = |s: &str| if plus { cos_ci_sign::form_encode(s) } else { cos_ci_sign::encode(s) };
        let query = order
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let decoded = spec.decode_query(&query).map_err(|e| TestCaseError::fail(format!("{query}: {e}")))?;
        prop_assert!(same_values(spec, &decoded, &values), "{}: {:?} vs {:?}", query, decoded, values);
    }

    /// Rule strings decode in any order, with empty values for unset parameters.
    #[test]
    fn shuffled_rules_with_empty_values_decode(
        (spec, values, order) in any_operation_values().prop_flat_map(|(spec, values)| {
            let mut pairs = pairs_of(spec, &values);
            for param in spec.params {
                if values.get(param.name).is_none() {
                    pairs.push((param.name.to_string(), String::new()));
                }
            }
            (Just(spec), Just(values), Just(pairs).prop_shuffle())
        })
    ) {
        let rule = join_encoded(&order);
        let decoded = spec.decode_rule(&rule).map_err(|e| TestCaseError::fail(format!("{rule}: {e}")))?;
        prop_assert!(same_values(spec, &decoded, &values), "{}", rule);
    }

    /// Any out-of-range value is rejected, naming that parameter (and only it), with the value,
    /// the allowed range and InvalidArgument, in both wire forms and in `check`.
    #[test]
    fn out_of_range_values_are_rejected((spec, index, raw, values) in any_invalid_param()) {
        let param = &spec.params[index];
        let mut pairs = pairs_of(spec, &values);
        pairs.retain(|(k, _)| k != param.name);
        pairs.push((param.name.to_string(), raw.clone()));
        let wire = join_encoded(&pairs);
        for err in [spec.decode_query(&wire).unwrap_err(), spec.decode_rule(&wire).unwrap_err()] {
            assert_names(&err, param, &raw);
            prop_assert_eq!(err.violations.len(), 1, "{}", err);
        }
        prop_assert!(OpSpec::parse_value(param, &raw).is_err());
        if let Some(value) = typed(&param.kind, &raw) {
            let mut values = values.clone();
            values.set(param.name, value);
            let err = spec.check(&values).unwrap_err();
            assert_names(&err, param, &raw);
            prop_assert_eq!(err.violations.len(), 1, "{}", err);
        }
    }

    /// Decoding never panics, whatever arrives.
    #[test]
    fn decoding_arbitrary_strings_never_panics(
        raw in prop_oneof![
            any::<String>(),
            "[a-z=&%+ 0-9xA-F._-]{0,60}",
            "(ci-process=[A-Za-z]{0,20}&)?([a-z-]{1,14}=[0-9x%.e+-]{0,8}&){0,6}",
        ]
    ) {
        for spec in operations() {
            let _ = spec.decode_query(&raw);
            let _ = spec.decode_rule(&raw);
            let prefixed = format!("ci-process={}&{raw}", spec.name);
            let _ = spec.decode_query(&prefixed);
            let _ = spec.decode_rule(&prefixed);
            for param in spec.params {
                let _ = OpSpec::parse_value(param, &raw);
            }
        }
    }
}
