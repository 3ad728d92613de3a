//! Snapshots of the wire forms of every operation (one snapshot per operation, named after its
//! spec file): the download query and rule string of deterministic samples (each parameter at
//! the low end, the high end, its default, only the required ones), the refusal of out-of-range
//! values with the COS error document a server answers with, a Pic-Operations header carrying
//! the samples, and the UploadResult answering it.
//!
//! Every rendered value is also checked to read back, so a snapshot only ever shows output that
//! round-trips. New operations get a new snapshot: review it with `cargo insta review`.
//!
//! Operations without an upload or cloud mode have no Pic-Operations rule, so their snapshot stops
//! after the download query. In a snapshot, `x{N}` stands for N letters `x` (the too-long text
//! values).

#![allow(clippy::unwrap_used)]

mod common;

use std::fmt::Write as _;

use common::*;
use cos_ci_validate::{
    ErrorCode, ErrorDocument, ImageInfo, Mode, OPERATIONS, OpSpec, OriginalInfo, Output,
    PicOperations, PicRule, ProcessResults, ProcessedObject, UploadResult, XmlDocument,
    bucket_host, resolve_fileid,
};

const BUCKET: &str = "examplebucket-1250000000";
const REGION: &str = "ap-guangzhou";
const SOURCE_KEY: &str = "input/photo.png";
const REQUEST_ID: &str = "NWFjMzQ0MDZfOTBmYTUwXzZkZV8z****";

fn describe(spec: &OpSpec) -> String {
    let mut out = String::new();
    writeln!(out, "operation: {} ({})", spec.name, spec.file).unwrap();
    writeln!(
        out,
        "modes: {}",
        spec.modes
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )
    .unwrap();
    match spec.output {
        Output::Image { png } => writeln!(
            out,
            "download answers: image{}",
            if png { " (png)" } else { "" }
        ),
        Output::Xml { root, .. } => writeln!(out, "download answers: <{root}>"),
        Output::Json { nodes } => writeln!(
            out,
            "download answers: JSON {{{}}}",
            nodes.iter().map(|n| n.name).collect::<Vec<_>>().join(", ")
        ),
    }
    .unwrap();
    writeln!(out, "params:").unwrap();
    if spec.params.is_empty() {
        writeln!(out, "  (none)").unwrap();
    }
    for p in spec.params {
        let mut notes = Vec::new();
        if p.required {
            notes.push("required".to_string());
        }
        if let Some(d) = p.default {
            notes.push(format!("default {d}"));
        }
        if p.ignore_error {
            notes.push("ignore-error".to_string());
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!(" [{}]", notes.join(", "))
        };
        writeln!(out, "  {}: {}{notes}", p.name, p.kind.allowed()).unwrap();
    }

    // Samples: query and rule, each decoded back.
    let persistent = spec.supports(Mode::Upload) || spec.supports(Mode::Cloud);
    let samples = samples(spec);
    for (label, values) in &samples {
        spec.check(values)
            .unwrap_or_else(|e| panic!("{} {label}: {e}", spec.name));
        let query = spec.encode_query(values);
        let rule = spec.encode_rule(values);
        assert_eq!(&spec.decode_query(&query).unwrap(), values, "{query}");
        assert_eq!(&spec.decode_rule(&rule).unwrap(), values, "{rule}");
        writeln!(out, "\n[{label}]").unwrap();
        writeln!(out, "query: GET /{SOURCE_KEY}?{query}").unwrap();
        if persistent {
            writeln!(out, "rule:  {rule}").unwrap();
        }
    }

    // Out of range: every parameter at once, every violation reported.
    let required = &samples[3].1;
    let bad: Vec<_> = spec
        .params
        .iter()
        .filter(|p| has_invalid(&p.kind))
        .collect();
    if !bad.is_empty() {
        let mut pairs = spec.encode_pairs(required);
        pairs.retain(|(k, _)| !bad.iter().any(|p| p.name == *k));
        for p in &bad {
            pairs.push((p.name, bad_wire(&p.kind)));
        }
        let query = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", cos_ci_sign::encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let err = spec.decode_query(&query).unwrap_err();
        assert_eq!(spec.decode_rule(&query).unwrap_err(), err);
        assert_eq!(err.violations.len(), bad.len(), "{err}");
        writeln!(out, "\n[out of range]").unwrap();
        writeln!(out, "query: GET /{SOURCE_KEY}?{query}").unwrap();
        writeln!(out, "violations:").unwrap();
        for v in &err.violations {
            writeln!(
                out,
                "  - {} = {:?}: expected {} -> {}",
                v.param, v.value, v.allowed, v.code
            )
            .unwrap();
        }
        let code = err.code();
        assert_eq!(code, ErrorCode::InvalidArgument);
        let mut doc = ErrorDocument::default();
        doc.code = code.as_str().to_string();
        doc.message = err.to_string();
        doc.resource = Some(format!(
            "{}/{SOURCE_KEY}",
            bucket_host(cos_ci_validate::HostKind::Cos, BUCKET, REGION)
        ));
        doc.request_id = REQUEST_ID.to_string();
        doc.trace_id = Some("trace&<id>".to_string());
        let xml = doc.to_xml();
        assert_eq!(ErrorDocument::from_xml(&xml).unwrap(), doc);
        writeln!(out, "error: HTTP {}", code.status()).unwrap();
        writeln!(out, "{xml}").unwrap();
    }

    if !persistent {
        return abbreviate(&out);
    }

    // Pic-Operations: one rule per sample (COS runs at most five).
    let rules: Vec<PicRule> = samples
        .iter()
        .enumerate()
        .map(|(i, (label, values))| PicRule {
            bucket: (i == 1).then(|| BUCKET.to_string()),
            fileid: if i % 2 == 0 {
                format!("/out/{}/{label}.png", spec.file)
            } else {
                format!("{label}.png")
            },
            rule: spec.encode_rule(values),
        })
        .collect();
    let ops = PicOperations {
        is_pic_info: true,
        rules,
    };
    let json = ops.to_json();
    assert_eq!(PicOperations::parse(&json).unwrap(), ops);
    let resolved = ops.resolve_rules(&operations()).unwrap();
    writeln!(out, "\n[Pic-Operations]").unwrap();
    writeln!(out, "{json}").unwrap();
    writeln!(out, "resolved against {SOURCE_KEY}:").unwrap();
    let mut objects = Vec::new();
    for (i, (rule, (op, values))) in ops.rules.iter().zip(&resolved).enumerate() {
        assert_eq!(op.name, spec.name);
        assert_eq!(values, &samples[i].1);
        let key = resolve_fileid(SOURCE_KEY, &rule.fileid).unwrap();
        writeln!(out, "  {} -> {key}", rule.fileid).unwrap();
        let mut object = ProcessedObject::default();
        object.location = format!(
            "{}/{key}",
            bucket_host(
                cos_ci_validate::HostKind::Cos,
                rule.bucket.as_deref().unwrap_or(BUCKET),
                REGION
            )
        );
        object.key = key;
        object.format = Some(if i == 3 {
            String::new()
        } else {
            "png".to_string()
        });
        object.width = (i != 3).then_some(640);
        object.height = (i != 3).then_some(480);
        object.size = 1000 + i as i64;
        object.quality = (i == 0).then_some(100);
        object.etag = format!("\"{:032x}\"", i + 1);
        objects.push(object);
    }

    // The UploadResult answering the header.
    let mut info = ImageInfo::default();
    info.format = "png".to_string();
    info.width = 640;
    info.height = 480;
    info.quality = Some(100);
    info.ave = Some("0x5a5a5a".to_string());
    info.orientation = Some(0);
    let mut original = OriginalInfo::default();
    original.key = SOURCE_KEY.to_string();
    original.location = format!(
        "{}/{SOURCE_KEY}",
        bucket_host(cos_ci_validate::HostKind::Cos, BUCKET, REGION)
    );
    original.etag = "\"ed60e3598e6862d8c8443a06acfb2153\"".to_string();
    original.image_info = Some(info);
    let mut results = ProcessResults::default();
    results.object = objects;
    let mut result = UploadResult::default();
    result.original_info = Some(original);
    result.process_results = Some(results);
    let xml = result.to_xml();
    assert_eq!(UploadResult::from_xml(&xml).unwrap(), result);
    writeln!(out, "\n[UploadResult]").unwrap();
    writeln!(out, "{xml}").unwrap();
    abbreviate(&out)
}

/// Writes runs of more than 32 letters `x` as `x{N}`.
fn abbreviate(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = 0usize;
    let flush = |out: &mut String, run: usize| {
        if run > 32 {
            write!(out, "x{{{run}}}").unwrap();
        } else {
            out.extend(std::iter::repeat_n('x', run));
        }
    };
    for c in text.chars() {
        if c == 'x' {
            run += 1;
        } else {
            flush(&mut out, run);
            run = 0;
            out.push(c);
        }
    }
    flush(&mut out, run);
    out
}

#[test]
fn every_operation() {
    let mut specs: Vec<&OpSpec> = OPERATIONS.to_vec();
    // Every kind of parameter, including those no operation uses yet.
    specs.push(&SYNTHETIC);
    for spec in specs {
        let mut settings = insta::Settings::clone_current();
        settings.set_omit_expression(true);
        settings.set_description(format!("wire forms of {}", spec.name));
        settings.bind(|| insta::assert_snapshot!(spec.file, describe(spec)));
    }
}
