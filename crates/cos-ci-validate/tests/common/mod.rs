//! Shared helpers of the integration tests: sample values and proptest strategies built from
//! each operation's [`ParamKind`], so every test covers every operation in
//! [`cos_ci_validate::OPERATIONS`], including operations added later by YAML alone.

#![allow(dead_code, clippy::unwrap_used)]

use cos_ci_validate::{
    DEFAULT_LIMITS, HostKind, Mode, OPERATIONS, OpSpec, Output, ParamKind, ParamSpec, ParamValues,
    TextEncoding, ValidationError, Value,
};
use proptest::prelude::*;
use proptest::strategy::Union;

const fn param(
    name: &'static str,
    kind: ParamKind,
    default: Option<&'static str>,
    required: bool,
) -> ParamSpec {
    ParamSpec {
        name,
        doc: "A synthetic parameter.",
        kind,
        default,
        required,
        ignore_error: false,
    }
}

/// An operation no YAML declares (yet), with every kind of parameter the spec can describe, so
/// the generic properties also cover kinds no current operation uses (numbers, free text with a
/// short limit, a required flag, another separator, the whole `i64` range).
pub static SYNTHETIC: OpSpec = OpSpec {
    name: "SyntheticAllKinds",
    file: "synthetic-all-kinds",
    source_path: Some("crates/cos-ci-validate/tests/common/mod.rs"),
    module: "synthetic_all_kinds",
    summary: "Every parameter kind (test only).",
    doc_url: None,
    modes: &[Mode::Download, Mode::Upload, Mode::Cloud],
    input: cos_ci_validate::Input::Object,
    detect_url: None,
    hosts: &[HostKind::Cos],
    permissions: &[],
    permission_aliases: &[],
    alias_query: None,
    params: &[
        param(
            "int",
            ParamKind::Integer { min: -10, max: 10 },
            Some("0"),
            false,
        ),
        param(
            "any-int",
            ParamKind::Integer {
                min: i64::MIN,
                max: i64::MAX,
            },
            None,
            false,
        ),
        param("set", ParamKind::IntegerSet(&[1, 3, 9]), Some("3"), false),
        param(
            "num",
            ParamKind::Number {
                min: -1.5,
                max: 2.5,
            },
            Some("1"),
            false,
        ),
        param("flag", ParamKind::Flag, None, true),
        param(
            "mode",
            ParamKind::Text {
                values: &["fast", "slow"],
                max_len: 16,
                encoding: TextEncoding::Plain,
            },
            Some("fast"),
            false,
        ),
        param(
            "note",
            ParamKind::Text {
                values: &[],
                max_len: 12,
                encoding: TextEncoding::Plain,
            },
            None,
            false,
        ),
        param(
            "pad",
            ParamKind::Pair {
                separator: ',',
                min: 1,
                max: 50,
                names: ["a", "b"],
            },
            None,
            false,
        ),
        param(
            "words",
            ParamKind::List {
                values: &["red", "green", "blue-ish"],
                separator: ',',
            },
            Some("green"),
            false,
        ),
    ],
    output: Output::Image { png: true },
    limits: DEFAULT_LIMITS,
    processor: cos_ci_validate::Processor {
        kind: cos_ci_validate::ProcessorKind::Passthrough,
        inputs: &[],
        flat_image_error: None,
    },
    errors: &[],
    rule_form: cos_ci_validate::RuleForm::Query,
    upload_result: None,
    max_rules: cos_ci_validate::MAX_RULES,
    relations: &[],
};

/// Every operation of the spec and the synthetic one, as an owned list (for
/// `proptest::sample::select`).
pub fn operations() -> Vec<&'static OpSpec> {
    let mut all = OPERATIONS.to_vec();
    all.push(&SYNTHETIC);
    all
}

/// Operations with at least one parameter that has out-of-range values.
pub fn operations_with_params() -> Vec<&'static OpSpec> {
    operations()
        .into_iter()
        .filter(|s| s.params.iter().any(|p| has_invalid(&p.kind)))
        .collect()
}

/// Free text used by the deterministic samples: characters that all need encoding.
pub const SAMPLE_TEXT: &str = "a b&c=d/é+%?#[1,2]";

/// Cuts `s` to at most `max` bytes on a character boundary.
pub fn truncate(s: &str, max: usize) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if out.len() + c.len_utf8() > max {
            break;
        }
        out.push(c);
    }
    out
}

/// The smallest allowed value of a kind (first of a set, `0` of a flag).
pub fn low_value(kind: &ParamKind) -> Value {
    match *kind {
        ParamKind::Integer { min, .. } => Value::Int(min),
        ParamKind::IntegerSet(set) => Value::Int(*set.iter().min().unwrap()),
        ParamKind::Number { min, .. } => Value::Number(min),
        ParamKind::Flag => Value::Flag(false),
        ParamKind::Text {
            values: [],
            max_len,
            ..
        } => Value::Text(truncate("a", max_len.max(1))),
        ParamKind::Text { values, .. } => Value::Text(values[0].to_string()),
        ParamKind::Pair { min, .. } => Value::Pair(min, min),
        ParamKind::List { values, .. } => Value::list([values[0]]),
        ParamKind::Json { .. } => Value::Json(Vec::new()),
    }
}

/// The largest allowed value of a kind (last of a set, `1` of a flag, free text with
/// characters that need encoding).
pub fn high_value(kind: &ParamKind) -> Value {
    match *kind {
        ParamKind::Integer { max, .. } => Value::Int(max),
        ParamKind::IntegerSet(set) => Value::Int(*set.iter().max().unwrap()),
        ParamKind::Number { max, .. } => Value::Number(max),
        ParamKind::Flag => Value::Flag(true),
        ParamKind::Text {
            values: [],
            max_len,
            ..
        } => Value::Text(truncate(SAMPLE_TEXT, max_len)),
        ParamKind::Text { values, .. } => Value::Text(values[values.len() - 1].to_string()),
        ParamKind::Pair { max, .. } => Value::Pair(max, max),
        // Every word, last first: order is kept.
        ParamKind::List { values, .. } => Value::list(values.iter().rev().copied()),
        ParamKind::Json { fields, .. } => json_members(fields, |_| true),
    }
}

/// A deterministic out-of-range wire value of a kind.
pub fn bad_wire(kind: &ParamKind) -> String {
    match *kind {
        ParamKind::Integer { min, max } => match (max.checked_add(1), min.checked_sub(1)) {
            (Some(v), _) | (None, Some(v)) => v.to_string(),
            (None, None) => "99999999999999999999".to_string(),
        },
        ParamKind::IntegerSet(set) => {
            let min = *set.iter().min().unwrap();
            let max = *set.iter().max().unwrap();
            // The first gap inside the set's span, else one past its end.
            (min..=max)
                .find(|v| !set.contains(v))
                .unwrap_or(max + 1)
                .to_string()
        }
        ParamKind::Number { max, .. } => format!("{}", max + max.abs().max(1.0)),
        ParamKind::Flag => "2".to_string(),
        ParamKind::Text {
            values: [],
            max_len,
            ..
        } => "x".repeat(max_len + 1),
        ParamKind::Text { .. } => "no-such-value".to_string(),
        ParamKind::Pair {
            separator,
            min,
            max,
            ..
        } => format!("{}{separator}{min}", u64::from(max) + 1),
        // A word given twice.
        ParamKind::List { values, separator } => format!("{0}{separator}{0}", values[0]),
        // A member the object does not have.
        ParamKind::Json { .. } => r#"{"NoSuchMember":true}"#.to_string(),
    }
}

/// A parameter's server default as a value, when it has one.
pub fn default_value(spec: &ParamSpec) -> Option<Value> {
    spec.default
        .map(|d| OpSpec::parse_value(spec, d).expect("a spec default is a valid value"))
}

/// Values in spec order from `(param, value)` choices.
pub fn values_of(spec: &OpSpec, chosen: &[Option<Value>]) -> ParamValues {
    let mut values = ParamValues::new();
    for (param, value) in spec.params.iter().zip(chosen) {
        values.set_opt(param.name, value.clone());
    }
    values
}

/// Whether two value sets hold the same values, whatever their order.
pub fn same_values(spec: &OpSpec, a: &ParamValues, b: &ParamValues) -> bool {
    a.iter().count() == b.iter().count()
        && spec.params.iter().all(|p| a.get(p.name) == b.get(p.name))
}

/// The sample sets of an operation: `(label, values)`, deterministic.
///
/// `low` and `high` set every parameter to the end of its range, `defaults` sets every parameter
/// with a server default to it, `required` sets only the required parameters (their low value).
pub fn samples(spec: &OpSpec) -> Vec<(&'static str, ParamValues)> {
    let all = |f: fn(&ParamKind) -> Value| {
        let chosen: Vec<Option<Value>> = spec.params.iter().map(|p| Some(f(&p.kind))).collect();
        values_of(spec, &chosen)
    };
    let defaults: Vec<Option<Value>> = spec
        .params
        .iter()
        .map(|p| default_value(p).or_else(|| p.required.then(|| low_value(&p.kind))))
        .collect();
    let required: Vec<Option<Value>> = spec
        .params
        .iter()
        .map(|p| p.required.then(|| low_value(&p.kind)))
        .collect();
    vec![
        ("low", all(low_value)),
        ("high", all(high_value)),
        ("defaults", with_relations(spec, values_of(spec, &defaults))),
        ("required", with_relations(spec, values_of(spec, &required))),
    ]
}

/// `values` with what the operation's relations need besides: the first parameter of an
/// `at_least_one` set none of whose members is given, and a parameter another one's value
/// requires (each at its low value).
pub fn with_relations(spec: &OpSpec, mut values: ParamValues) -> ParamValues {
    for relation in spec.relations {
        let needed = match *relation {
            cos_ci_validate::Relation::AtLeastOne { params, .. }
                if params.iter().all(|p| values.get(p).is_none()) =>
            {
                params.first().copied()
            }
            cos_ci_validate::Relation::RequiredWhen {
                param,
                other,
                values: when,
            } => spec.param(other).and_then(|o| {
                let given = values.get(other)?.to_wire(&o.kind);
                when.contains(&given.as_str()).then_some(param)
            }),
            _ => None,
        };
        if let Some(p) = needed.and_then(|name| spec.param(name)) {
            if values.get(p.name).is_none() {
                values.set(p.name, low_value(&p.kind));
            }
        }
    }
    // Back in parameter order, the order decoding gives.
    let mut ordered = ParamValues::new();
    for p in spec.params {
        if let Some(v) = values.get(p.name) {
            ordered.set(p.name, v.clone());
        }
    }
    ordered
}

/// Asserts that `err` has a violation of `param` with `value`, the kind's allowed range and the
/// parameter error code.
pub fn assert_names(err: &ValidationError, spec: &ParamSpec, value: &str) {
    let found = err
        .violations
        .iter()
        .find(|v| v.param == spec.name)
        .unwrap_or_else(|| panic!("no violation names {}: {err}", spec.name));
    assert_eq!(found.value, value, "{err}");
    assert_eq!(found.allowed, spec.kind.allowed(), "{err}");
    assert_eq!(
        found.code,
        cos_ci_validate::ErrorCode::InvalidArgument,
        "{err}"
    );
    assert_eq!(found.code, cos_ci_validate::PARAM_ERROR_CODE, "{err}");
    assert_eq!(
        err.code(),
        cos_ci_validate::ErrorCode::InvalidArgument,
        "{err}"
    );
    assert!(err.names(spec.name));
    assert!(err.to_string().contains(spec.name), "{err}");
}

// ---------------------------------------------------------------------------------------------
// proptest strategies

fn union<T: std::fmt::Debug + 'static>(options: Vec<BoxedStrategy<T>>) -> BoxedStrategy<T> {
    assert!(!options.is_empty());
    Union::new(options).boxed()
}

/// Free text of `1..=max_len` bytes (never empty: an empty value is "absent" on the wire).
fn free_text(max_len: usize) -> BoxedStrategy<String> {
    let cap = max_len.min(48);
    prop_oneof![
        // Anything printable, unicode included.
        proptest::string::string_regex(&format!("\\PC{{1,{cap}}}")).unwrap(),
        // The characters that matter to the two wire forms.
        proptest::string::string_regex(&format!("[ &=+%/?#a;,\\[\\]\"'<>é腾]{{1,{cap}}}")).unwrap(),
        // Anything at all: controls, NUL, whitespace only.
        any::<String>(),
    ]
    .prop_map(move |s| truncate(&s, max_len))
    .prop_filter("not empty", |s| !s.is_empty())
    .boxed()
}

/// Any allowed value of a kind, ends of ranges included.
pub fn valid_value(kind: &ParamKind) -> BoxedStrategy<Value> {
    match *kind {
        ParamKind::Integer { min, max } => prop_oneof![Just(min), Just(max), min..=max]
            .prop_map(Value::Int)
            .boxed(),
        ParamKind::IntegerSet(set) => proptest::sample::select(set.to_vec())
            .prop_map(Value::Int)
            .boxed(),
        ParamKind::Number { min, max } => prop_oneof![Just(min), Just(max), min..=max]
            .prop_map(Value::Number)
            .boxed(),
        ParamKind::Flag => any::<bool>().prop_map(Value::Flag).boxed(),
        ParamKind::Text {
            values: [],
            max_len,
            ..
        } => free_text(max_len).prop_map(Value::Text).boxed(),
        ParamKind::Text { values, .. } => {
            // An empty allowed value is "absent" on the wire; it cannot survive a round trip.
            let values: Vec<&'static str> =
                values.iter().copied().filter(|v| !v.is_empty()).collect();
            proptest::sample::select(values)
                .prop_map(|s| Value::Text(s.to_string()))
                .boxed()
        }
        ParamKind::Pair { min, max, .. } => {
            let one = || prop_oneof![Just(min), Just(max), min..=max];
            (one(), one()).prop_map(|(a, b)| Value::Pair(a, b)).boxed()
        }
        // Distinct words in any order, at least one.
        ParamKind::List { values, .. } => {
            proptest::sample::subsequence(values.to_vec(), 1..=values.len())
                .prop_shuffle()
                .prop_map(Value::list)
                .boxed()
        }
        ParamKind::Json { fields, .. } => proptest::collection::vec(any::<bool>(), fields.len())
            .prop_map(move |set| json_members(fields, |i| set[i]))
            .boxed(),
    }
}

/// The JSON-object value with the members `set` picks (true), in member order: the form a
/// request reads back.
pub fn json_members(fields: &[cos_ci_validate::JsonField], set: impl Fn(usize) -> bool) -> Value {
    Value::Json(
        fields
            .iter()
            .enumerate()
            .filter(|(i, _)| set(*i))
            .map(|(_, f)| (f.name.to_string(), cos_ci_validate::JsonValue::Bool(true)))
            .collect(),
    )
}

/// Any valid value set of `spec`: each optional parameter set or not, required ones always set,
/// and what the operation's relations need added.
pub fn valid_values(spec: &'static OpSpec) -> BoxedStrategy<ParamValues> {
    let choices: Vec<BoxedStrategy<Option<Value>>> = spec
        .params
        .iter()
        .map(|p| {
            if p.required {
                valid_value(&p.kind).prop_map(Some).boxed()
            } else {
                proptest::option::of(valid_value(&p.kind)).boxed()
            }
        })
        .collect();
    choices
        .prop_map(move |chosen| with_relations(spec, values_of(spec, &chosen)))
        .boxed()
}

/// An operation and a valid value set of it.
pub fn any_operation_values() -> BoxedStrategy<(&'static OpSpec, ParamValues)> {
    proptest::sample::select(operations())
        .prop_flat_map(|spec| (Just(spec), valid_values(spec)))
        .boxed()
}

/// Wire strings that are not numbers at all.
fn not_a_number() -> BoxedStrategy<String> {
    prop_oneof![
        proptest::string::string_regex("[a-wyzA-Z_!*]{1,6}").unwrap(),
        Just("1.5.2".to_string()),
        Just("0x10".to_string()),
        Just("--1".to_string()),
        Just("1e".to_string()),
    ]
    .boxed()
}

/// Any wire value that a parameter of `kind` must refuse (never empty: empty means absent).
pub fn invalid_wire(kind: &ParamKind) -> BoxedStrategy<String> {
    let mut options: Vec<BoxedStrategy<String>> = Vec::new();
    match *kind {
        ParamKind::Integer { min, max } => {
            if min > i64::MIN {
                options.push((i64::MIN..min).prop_map(|v| v.to_string()).boxed());
            }
            if max < i64::MAX {
                options.push((max + 1..=i64::MAX).prop_map(|v| v.to_string()).boxed());
            }
            options.push(Just("99999999999999999999999".to_string()).boxed());
            options.push(Just("1.5".to_string()).boxed());
            options.push(not_a_number());
        }
        ParamKind::IntegerSet(set) => {
            let set = set.to_vec();
            options.push(
                any::<i64>()
                    .prop_filter("outside the set", move |v| !set.contains(v))
                    .prop_map(|v| v.to_string())
                    .boxed(),
            );
            options.push(not_a_number());
        }
        ParamKind::Number { min, max } => {
            options.push(
                (1e-3f64..1e9)
                    .prop_map(move |d| min - d)
                    .prop_filter("below", move |v| *v < min)
                    .prop_map(|v| v.to_string())
                    .boxed(),
            );
            options.push(
                (1e-3f64..1e9)
                    .prop_map(move |d| max + d)
                    .prop_filter("above", move |v| *v > max)
                    .prop_map(|v| v.to_string())
                    .boxed(),
            );
            options.push(
                proptest::sample::select(vec!["NaN", "inf", "-inf", "infinity"])
                    .prop_map(str::to_string)
                    .boxed(),
            );
            options.push(not_a_number());
        }
        ParamKind::Flag => {
            options.push(
                proptest::string::string_regex("[0-9a-z-]{1,4}")
                    .unwrap()
                    .prop_filter("not a flag", |s| s != "0" && s != "1")
                    .boxed(),
            );
            options.push(
                proptest::sample::select(vec!["true", "false", "01", "2", "-1", "yes"])
                    .prop_map(str::to_string)
                    .boxed(),
            );
        }
        ParamKind::Text {
            values: [],
            max_len,
            ..
        } => {
            if max_len < 64 * 1024 {
                options.push(
                    (1usize..16)
                        .prop_map(move |extra| "y".repeat(max_len + extra))
                        .boxed(),
                );
                options.push(
                    (1usize..8)
                        .prop_map(move |extra| {
                            format!("{}{}", "é".repeat(max_len / 2 + 1), "z".repeat(extra))
                        })
                        .boxed(),
                );
            }
        }
        ParamKind::Text { values, .. } => {
            let allowed: Vec<&'static str> = values.to_vec();
            options.push(
                proptest::string::string_regex("\\PC{1,24}")
                    .unwrap()
                    .prop_filter("not allowed", move |s| !allowed.contains(&s.as_str()))
                    .boxed(),
            );
            // Case matters.
            let upper: Vec<String> = values
                .iter()
                .map(|v| v.to_uppercase())
                .filter(|v| !values.contains(&v.as_str()))
                .collect();
            if !upper.is_empty() {
                options.push(proptest::sample::select(upper).boxed());
            }
        }
        ParamKind::List { values, separator } => {
            let allowed: Vec<&'static str> = values.to_vec();
            // An unknown word beside a known one, a word twice, an empty word.
            let first = values[0];
            options.push(
                proptest::string::string_regex("[a-z]{1,8}")
                    .unwrap()
                    .prop_filter("not allowed", move |s| !allowed.contains(&s.as_str()))
                    .prop_map(move |s| format!("{first}{separator}{s}"))
                    .boxed(),
            );
            options.push(Just(format!("{first}{separator}{first}")).boxed());
            options.push(Just(format!("{first}{separator}")).boxed());
        }
        ParamKind::Json { fields, max_len } => {
            let names: Vec<&'static str> = fields.iter().map(|f| f.name).collect();
            // Not JSON, not an object, a member of the wrong type, an unknown member, and a
            // text over the budget.
            options.push(
                proptest::sample::select(vec!["{", "true", "[]", "{\"a\"：true}", "null"])
                    .prop_map(str::to_string)
                    .boxed(),
            );
            options.push(
                (proptest::sample::select(names.clone()), "[0-9a-z\"]{1,5}")
                    .prop_filter("not a boolean", |(_, v)| v != "true" && v != "false")
                    .prop_map(|(n, v)| format!("{{\"{n}\":{v}}}"))
                    .boxed(),
            );
            options.push(
                "[A-Za-z]{1,12}"
                    .prop_filter("not a member", move |n| !names.contains(&n.as_str()))
                    .prop_map(|n| format!("{{\"{n}\":true}}"))
                    .boxed(),
            );
            options.push(Just(format!("{{{}}}", " ".repeat(max_len))).boxed());
        }
        ParamKind::Pair {
            separator,
            min,
            max,
            ..
        } => {
            let ok = move || min..=max;
            if max < u32::MAX {
                let big = u64::from(max) + 1..=u64::from(u32::MAX) + 10;
                options.push(
                    (big.clone(), ok())
                        .prop_map(move |(a, b)| format!("{a}{separator}{b}"))
                        .boxed(),
                );
                options.push(
                    (ok(), big)
                        .prop_map(move |(a, b)| format!("{a}{separator}{b}"))
                        .boxed(),
                );
            }
            if min > 0 {
                options.push(
                    (0..min, ok())
                        .prop_map(move |(a, b)| format!("{a}{separator}{b}"))
                        .boxed(),
                );
            }
            // No separator, one side missing, not numbers, negative.
            options.push(ok().prop_map(|a| a.to_string()).boxed());
            options.push(ok().prop_map(move |a| format!("{a}{separator}")).boxed());
            options.push(ok().prop_map(move |b| format!("{separator}{b}")).boxed());
            options.push(Just(format!("a{separator}b")).boxed());
            options.push(Just(format!("-1{separator}0")).boxed());
        }
    }
    union(options)
}

/// Whether a kind has out-of-range wire values at all.
pub fn has_invalid(kind: &ParamKind) -> bool {
    !matches!(kind, ParamKind::Text { values: [], max_len, .. } if *max_len >= 64 * 1024)
}

/// An operation with parameters, the index of one parameter, an invalid wire value for it and
/// valid values for the others.
pub fn any_invalid_param() -> BoxedStrategy<(&'static OpSpec, usize, String, ParamValues)> {
    proptest::sample::select(operations_with_params())
        .prop_flat_map(|spec| {
            let indices: Vec<usize> = (0..spec.params.len())
                .filter(|&i| has_invalid(&spec.params[i].kind))
                .collect();
            (
                Just(spec),
                proptest::sample::select(indices),
                valid_values(spec),
            )
        })
        .prop_flat_map(|(spec, i, values)| {
            (
                Just(spec),
                Just(i),
                invalid_wire(&spec.params[i].kind),
                Just(values),
            )
        })
        .boxed()
}
