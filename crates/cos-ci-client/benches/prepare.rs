//! Preparing a download-processing request, for every operation in the spec: build the
//! parameter values, validate them, encode the query, sign, and write the URL
//! (`Client::prepare_download_values`), and the same as a pre-signed URL (`presign_values`).
//!
//! Run by `cargo xtask bench`, which times the official Python SDK preparing the same
//! requests in the same run. With `COS_CI_BENCH_OUT=<dir>` set, the requests are also written
//! to `<dir>/requests.json` (method, bucket, region, key and the query pairs of each
//! operation) for that peer.

use std::hint::black_box;
use std::time::Duration;

use cos_ci_client::{Client, Credentials, OPERATIONS, OpSpec, ParamValues, Source};
use cos_ci_validate::{ParamKind, ParamSpec, Value};
use criterion::Criterion;

const REGION: &str = "ap-guangzhou";
const BUCKET: &str = "examplebucket-1250000000";
const KEY: &str = "photos/2024/in put.png";
const EXPIRES: Duration = Duration::from_secs(3600);

/// A valid value for every parameter: a request that exercises all of the operation's checks
/// and encodings.
fn full_values(spec: &OpSpec) -> ParamValues {
    let mut values = ParamValues::new();
    for p in spec.params {
        values.set(p.name, sample(p));
    }
    values
}

fn sample(p: &ParamSpec) -> Value {
    match p.kind {
        ParamKind::Integer { min, max } => Value::Int(min + (max - min) / 2),
        ParamKind::IntegerSet(set) => Value::Int(set.last().copied().unwrap_or_default()),
        ParamKind::Number { min, max } => Value::Number(min + (max - min) / 2.0),
        ParamKind::Flag => Value::Flag(true),
        ParamKind::Text {
            values: [],
            max_len,
            ..
        } => {
            let text = "[[[10,10],[40,10],[40,40]]]";
            Value::Text(text[..text.len().min(max_len)].to_string())
        }
        ParamKind::Text { values, .. } => Value::Text(values[0].to_string()),
        ParamKind::Pair { min, max, .. } => Value::Pair(min, min + (max - min) / 2),
        ParamKind::List { values, .. } => Value::list(values.iter().copied()),
        // The first member set, as a typical request asks for one thing.
        ParamKind::Json { fields, .. } => Value::Json(
            fields
                .iter()
                .take(1)
                .map(|f| (f.name.to_string(), cos_ci_validate::JsonValue::Bool(true)))
                .collect(),
        ),
    }
}

fn client() -> Client {
    Client::builder()
        .region(REGION)
        .bucket(BUCKET)
        .credentials(Credentials::new("AKIDEXAMPLE", "example-secret"))
        .build()
        .expect("the bench client builds")
}

/// `<dir>/requests.json` for the Python peer.
fn write_requests(dir: &str) {
    let requests: Vec<serde_json::Value> = OPERATIONS
        .iter()
        .map(|spec| {
            let pairs: Vec<[String; 2]> = spec
                .encode_pairs(&full_values(spec))
                .into_iter()
                .map(|(k, v)| [k.to_string(), v])
                .collect();
            serde_json::json!({
                "operation": spec.name,
                "method": "GET",
                "bucket": BUCKET,
                "region": REGION,
                "key": KEY,
                "expires": EXPIRES.as_secs(),
                "params": pairs,
            })
        })
        .collect();
    let path = std::path::Path::new(dir).join("requests.json");
    let text = serde_json::to_string_pretty(&requests).expect("requests serialize");
    std::fs::create_dir_all(dir).expect("COS_CI_BENCH_OUT can be created");
    std::fs::write(&path, text).expect("requests.json can be written");
}

fn prepare(c: &mut Criterion) {
    if let Some(dir) = std::env::var_os("COS_CI_BENCH_OUT") {
        write_requests(&dir.to_string_lossy());
    }
    let client = client();
    let source = Source::key(KEY);

    let mut group = c.benchmark_group("prepare_download");
    for spec in OPERATIONS.iter().copied() {
        group.bench_function(spec.name, |b| {
            b.iter(|| {
                // Building the values is part of preparing a request.
                let values = full_values(black_box(spec));
                client
                    .prepare_download_values(spec, &values, black_box(&source))
                    .expect("valid values")
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("presign");
    for spec in OPERATIONS.iter().copied() {
        group.bench_function(spec.name, |b| {
            b.iter(|| {
                let values = full_values(black_box(spec));
                client
                    .presign_values(spec, &values, black_box(&source), EXPIRES)
                    .expect("valid values")
            })
        });
    }
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    prepare(&mut criterion);
    criterion.final_summary();
}
