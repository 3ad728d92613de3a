//! Hostile input over real HTTP: generated requests that reach every parser a request goes
//! through (path and query decoding, the signature, ci-process parameters, detect-url,
//! Pic-Operations, Range, request bodies), signed so that they get past authentication.
//! Each must get an answer (never a dropped connection or a 5xx) within a bound, and the
//! server must go on serving afterwards. The parsers' own property tests live beside them
//! (cos-ci-sign, cos-ci-validate, the mock's config, policy and range modules).

use std::time::{Duration, Instant};

use cos_ci_mock::MockServer;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use cos_ci_tests::sample_png;

use crate::mock_support::{Req, config};

/// No single hostile request may take longer than this to be answered. Generous: it is a
/// "does not hang" bound, not a speed measurement.
const BOUND: Duration = Duration::from_secs(10);

/// Cases per property; every case is one request against one shared server.
const CASES: u32 = 64;

/// Runs of escapes thousands deep once overflowed the server's stack (issue 12). A `%` is
/// sent as three bytes, so 20,000 keep the URL under the 64 KiB an `http::Uri` can hold.
const LONG_RUN: usize = 20_000;

/// Runs short enough that several fit in one request.
const SHORT_RUN: usize = 2_000;

/// Text made of the characters parsers trip on: percent signs, escapes, separators, quotes,
/// non-ASCII and control characters.
fn hostile_text(max_run: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        "[%25a-zA-Z0-9:/?#&=;,+*.\\-_~'\"<>{}\\[\\] ]{0,64}",
        any::<String>().prop_map(|s| s.chars().take(64).collect()),
        // Long runs of one escape, as in the recursion that once killed the server.
        (1usize..max_run).prop_map(|n| format!("http%{}3A%2F%2Fa%2Fb.png", "25".repeat(n))),
        (1usize..max_run).prop_map(|n| "%".repeat(n)),
    ]
}

fn operation_name() -> impl Strategy<Value = String> {
    let names: Vec<String> = cos_ci_validate::OPERATIONS
        .iter()
        .map(|op| op.name.to_string())
        .collect();
    prop_oneof![
        proptest::sample::select(names),
        "[A-Za-z-]{0,24}".prop_map(String::from),
    ]
}

fn param_name() -> impl Strategy<Value = String> {
    let mut names: Vec<String> = cos_ci_validate::OPERATIONS
        .iter()
        .flat_map(|op| op.params.iter().map(|p| p.name.to_string()))
        .collect();
    names.sort();
    names.dedup();
    names.push("detect-url".to_string());
    prop_oneof![proptest::sample::select(names), "[a-z-]{1,16}"]
}

/// A Pic-Operations header: sometimes well-formed JSON with hostile rules, sometimes deep
/// nesting, sometimes anything.
fn pic_operations() -> impl Strategy<Value = String> {
    prop_oneof![
        (
            operation_name(),
            proptest::collection::vec((param_name(), hostile_text(SHORT_RUN)), 0..4),
            hostile_text(SHORT_RUN),
            any::<bool>()
        )
            .prop_map(|(op, params, fileid, rich)| {
                let mut rule = format!("ci-process={op}");
                for (k, v) in params {
                    rule.push('&');
                    rule.push_str(&k);
                    rule.push('=');
                    rule.push_str(&v);
                }
                let rules = serde_json::json!([{ "fileid": fileid, "rule": rule }]);
                serde_json::json!({ "is_pic_info": if rich { 1 } else { 0 }, "rules": rules })
                    .to_string()
            }),
        (1usize..5000).prop_map(|n| format!("{}{}", "[".repeat(n), "]".repeat(n))),
        (1usize..5000).prop_map(|n| "{\"rules\":".repeat(n)),
        "[ -~]{0,200}".prop_map(String::from),
    ]
}

/// A Range header value.
fn range() -> impl Strategy<Value = String> {
    prop_oneof![
        "bytes=[0-9]{0,25}-[0-9]{0,25}",
        "bytes=-[0-9]{0,25}",
        "(bytes=)?[0-9,-]{0,40}",
        hostile_text(SHORT_RUN),
    ]
}

/// One request that gets past authentication into the parsers.
#[derive(Debug, Clone)]
enum Hostile {
    Download {
        op: String,
        params: Vec<(String, String)>,
    },
    Upload {
        pic_operations: String,
        body: Vec<u8>,
    },
    Cloud {
        pic_operations: String,
    },
    Ranged {
        range: String,
    },
    Path {
        raw: String,
    },
    Authorization {
        value: String,
    },
}

fn hostile() -> impl Strategy<Value = Hostile> {
    prop_oneof![
        (
            operation_name(),
            proptest::collection::vec((param_name(), hostile_text(SHORT_RUN)), 0..5)
        )
            .prop_map(|(op, params)| Hostile::Download { op, params }),
        (operation_name(), hostile_text(LONG_RUN)).prop_map(|(op, url)| Hostile::Download {
            op,
            params: vec![("detect-url".to_string(), url)],
        }),
        (
            pic_operations(),
            proptest::collection::vec(any::<u8>(), 0..256)
        )
            .prop_map(|(pic_operations, body)| Hostile::Upload {
                pic_operations,
                body
            }),
        pic_operations().prop_map(|pic_operations| Hostile::Cloud { pic_operations }),
        range().prop_map(|range| Hostile::Ranged { range }),
        "/[%/a-zA-Z0-9._~-]{0,300}".prop_map(|raw| Hostile::Path { raw }),
        prop_oneof![
            "q-sign-algorithm=sha1&q-ak=[A-Z]{0,8}&q-sign-time=[0-9;]{0,30}&q-key-time=[0-9;]{0,30}&q-header-list=[a-z;]{0,60}&q-url-param-list=[a-z;]{0,60}&q-signature=[0-9a-f]{0,40}",
            (1usize..20_000).prop_map(|n| format!(
                "q-sign-algorithm=sha1&q-ak=AKIDEXAMPLE&q-sign-time=1;9999999999&q-key-time=1;9999999999&q-header-list={}&q-url-param-list=&q-signature=00",
                "host;".repeat(n)
            )),
            hostile_text(SHORT_RUN),
        ]
        .prop_map(|value| Hostile::Authorization { value }),
    ]
}

impl Hostile {
    fn request(&self, server: &MockServer) -> Req {
        match self {
            Hostile::Download { op, params } => {
                let mut req = Req::new(server, "GET", "fuzz/in.png").query("ci-process", op);
                for (k, v) in params {
                    req = req.query(k, v);
                }
                req
            }
            Hostile::Upload {
                pic_operations,
                body,
            } => Req::new(server, "PUT", "fuzz/up.png")
                .header("Pic-Operations", pic_operations)
                .body(body.clone()),
            Hostile::Cloud { pic_operations } => Req::new(server, "POST", "fuzz/in.png")
                .query("image_process", "")
                .header("Pic-Operations", pic_operations),
            Hostile::Ranged { range } => {
                Req::new(server, "GET", "fuzz/in.png").header("Range", range)
            }
            Hostile::Path { raw } => Req::new(server, "GET", "fuzz/in.png").path(raw.clone()),
            Hostile::Authorization { value } => Req::new(server, "GET", "fuzz/in.png")
                .anonymous()
                .header("Authorization", value),
        }
    }
}

/// Whether the server still answers an ordinary signed request correctly.
async fn still_serving(server: &MockServer) {
    let answer = Req::new(server, "HEAD", "fuzz/in.png").send(server).await;
    assert_eq!(answer.status, 200, "the server stopped serving objects");
}

#[test]
fn hostile_requests_get_an_answer_and_the_server_survives() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(async {
        let server = MockServer::start_with(config()).await.unwrap();
        let put = Req::new(&server, "PUT", "fuzz/in.png")
            .body(sample_png(16, 12))
            .send(&server)
            .await;
        assert_eq!(put.status, 200);
        server
    });
    let mut runner = TestRunner::new(ProptestConfig {
        cases: CASES * 4,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    runner
        .run(&hostile(), |input| {
            let started = Instant::now();
            let answer = rt.block_on(async {
                tokio::time::timeout(BOUND, input.request(&server).send(&server)).await
            });
            let elapsed = started.elapsed();
            let Ok(answer) = answer else {
                return Err(TestCaseError::fail(format!("no answer within {BOUND:?}")));
            };
            prop_assert!(
                answer.status < 500,
                "{} answered {} after {elapsed:?}: {}",
                brief(&format!("{input:?}")),
                answer.status,
                brief(&answer.text())
            );
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{}", brief(&e.to_string())));
    rt.block_on(still_serving(&server));
}

/// At most 300 characters of `text`: failing inputs can be megabytes long.
fn brief(text: &str) -> String {
    let mut out: String = text.chars().take(300).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

/// Bytes that are not HTTP at all, or HTTP cut short, straight onto a TCP connection: the
/// server answers 400 or closes, and keeps serving others.
#[test]
fn garbage_on_the_wire_does_not_hurt_the_server() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(async {
        let server = MockServer::start_with(config()).await.unwrap();
        let put = Req::new(&server, "PUT", "fuzz/in.png")
            .body(sample_png(16, 12))
            .send(&server)
            .await;
        assert_eq!(put.status, 200);
        server
    });
    let wire = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..2048),
        "[ -~\r\n]{0,512}".prop_map(String::into_bytes),
        (1usize..2000).prop_map(|n| format!("GET /{} HTTP/1.1\r\n", "a".repeat(n)).into_bytes()),
        (1usize..500).prop_map(|n| {
            let mut head = String::from("GET / HTTP/1.1\r\nHost: x\r\n");
            for i in 0..n {
                head.push_str(&format!("X-{i}: {}\r\n", "v".repeat(16)));
            }
            head.push_str("\r\n");
            head.into_bytes()
        }),
        "[0-9a-fA-F]{1,20}".prop_map(|size| format!(
            "PUT /k HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{size}\r\nabc\r\n"
        )
        .into_bytes()),
    ];
    let mut runner = TestRunner::new(ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let addr = server.addr();
    runner
        .run(&wire, |bytes| {
            rt.block_on(async {
                let exchange = async {
                    let mut stream = tokio::net::TcpStream::connect(addr).await?;
                    stream.write_all(&bytes).await?;
                    stream.shutdown().await?;
                    let mut answer = Vec::new();
                    stream.read_to_end(&mut answer).await?;
                    Ok::<_, std::io::Error>(answer)
                };
                // The server may close without answering (reset included); it must not hang.
                let outcome = tokio::time::timeout(BOUND, exchange).await;
                prop_assert!(outcome.is_ok(), "no answer and no close within {BOUND:?}");
                if let Ok(Ok(answer)) = outcome {
                    if let Some(status) = answer
                        .strip_prefix(b"HTTP/1.1 ")
                        .and_then(|rest| rest.get(..3))
                        .and_then(|s| std::str::from_utf8(s).ok())
                        .and_then(|s| s.parse::<u16>().ok())
                    {
                        prop_assert!(status < 500, "answered {status}");
                    }
                }
                Ok(())
            })
        })
        .unwrap_or_else(|e| panic!("{}", brief(&e.to_string())));
    rt.block_on(still_serving(&server));
}
