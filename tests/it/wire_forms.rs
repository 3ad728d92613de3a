//! Wire forms over `OPERATIONS` (no operation named): list parameters read with the separator
//! percent-encoded or raw and refused for an unknown or repeated word, empty values read as
//! absent (service.yaml `empty_values`), and each operation served on its own host kinds
//! (`hosts:`) and refused on the others; answer parts present per list word (`present_when`).

use cos_ci_client::{OPERATIONS, Source};
use cos_ci_mock::MockServer;
use cos_ci_tests::sample_png;
use cos_ci_validate::{EMPTY_VALUES, EmptyValues, HostKind, Input, Mode, OpSpec, ParamKind};

use crate::mock_support::{Req, owner, required_values};

const KEY: &str = "src/in.png";

async fn server_with_input() -> MockServer {
    let server = MockServer::start().await.unwrap();
    owner(&server)
        .put_object(KEY, sample_png(40, 30))
        .await
        .unwrap();
    server
}

/// A download of `spec` on `KEY` with its required values and `extra` raw query pairs.
fn download(server: &MockServer, spec: &OpSpec, extra: &[(&str, &str)]) -> Req {
    // An operation without an input runs on the bucket.
    let key = match spec.input {
        Input::Object => KEY,
        Input::None => "",
    };
    let mut req = Req::new(server, "GET", key).query("ci-process", spec.name);
    for (name, value) in spec.encode_pairs(&required_values(spec)) {
        if name != "ci-process" && !extra.iter().any(|(n, _)| *n == name) {
            req = req.query(name, &value);
        }
    }
    for (name, value) in extra {
        req = req.query(name, value);
    }
    req
}

fn downloads() -> impl Iterator<Item = &'static &'static OpSpec> {
    OPERATIONS.iter().filter(|s| s.supports(Mode::Download))
}

#[tokio::test]
async fn a_list_is_read_with_its_separator_encoded_or_raw_and_refused_with_a_bad_word() {
    let server = server_with_input().await;
    let mut tried = 0;
    for spec in downloads() {
        for p in spec.params {
            let ParamKind::List { values, separator } = p.kind else {
                continue;
            };
            let (first, last) = (values[0], values[values.len() - 1]);
            // Req percent-encodes each value it signs: the separator goes as %2C.
            let joined = format!("{last}{separator}{first}");
            let answer = download(&server, spec, &[(p.name, &joined)])
                .send(&server)
                .await;
            assert_eq!(answer.status, 200, "{} {}={joined}", spec.name, p.name);
            for bad in [
                format!("{first}{separator}no-such-word"),
                format!("{first}{separator}{first}"),
                format!("{first}{separator}"),
            ] {
                let doc = download(&server, spec, &[(p.name, &bad)])
                    .send(&server)
                    .await
                    .expect_error(400, "InvalidArgument");
                assert!(
                    doc.message.contains(p.name) && doc.message.contains(last),
                    "{}: {bad}: {}",
                    spec.name,
                    doc.message
                );
            }
            // The client sends the words it is given and the mock reads them back.
            let mut values = required_values(spec);
            values.set(p.name, cos_ci_validate::Value::list([last, first]));
            owner(&server)
                .process_values(spec, &values, &Source::key(KEY))
                .await
                .unwrap_or_else(|e| panic!("{} {}: {e}", spec.name, p.name));
            tried += 1;
        }
    }
    assert!(tried > 0, "no operation has a list parameter");
}

#[tokio::test]
async fn an_empty_value_is_read_as_the_service_says() {
    let server = server_with_input().await;
    let mut tried = 0;
    for spec in downloads().filter(|s| s.relations.is_empty()) {
        let optional: Vec<(&str, &str)> = spec
            .params
            .iter()
            .filter(|p| !p.required)
            .map(|p| (p.name, ""))
            .collect();
        if optional.is_empty() {
            continue;
        }
        let answer = download(&server, spec, &optional).send(&server).await;
        match EMPTY_VALUES {
            EmptyValues::Absent => assert_eq!(answer.status, 200, "{}", spec.name),
            EmptyValues::Refused => assert_eq!(answer.status, 400, "{}", spec.name),
        }
        tried += 1;
    }
    assert!(tried > 0, "no operation has an optional parameter");
}

#[tokio::test]
async fn each_operation_is_served_on_its_host_kinds_only() {
    let server = server_with_input().await;
    let host = |kind: HostKind| {
        format!(
            "{}.{}.{}.myqcloud.com",
            server.bucket(),
            kind.as_str(),
            server.region()
        )
    };
    let (mut served, mut refused) = (0, 0);
    for spec in downloads() {
        for kind in HostKind::ALL {
            let answer = download(&server, spec, &[])
                .host(host(kind))
                .send(&server)
                .await;
            if spec.hosts.contains(&kind) {
                assert_eq!(answer.status, 200, "{} on {kind:?}", spec.name);
                served += 1;
            } else {
                let doc = answer.expect_error(400, "InvalidRequest");
                assert!(doc.message.contains(spec.name), "{}", doc.message);
                refused += 1;
            }
        }
    }
    assert!(
        served > 0 && refused > 0,
        "{served} served, {refused} refused"
    );
    assert!(
        OPERATIONS.iter().any(|s| s.hosts.contains(&HostKind::Ci)),
        "no operation is served on the .ci. host"
    );
}

#[tokio::test]
async fn an_answer_part_is_present_only_when_its_word_is_asked_for() {
    let server = server_with_input().await;
    let mut tried = 0;
    for spec in downloads() {
        let cos_ci_validate::Output::Xml { nodes, .. } = spec.output else {
            continue;
        };
        let parts: Vec<(&str, &str, &str)> = nodes
            .iter()
            .filter_map(|n| n.present_when.map(|(p, w)| (n.name, p, w)))
            .collect();
        for (name, param, word) in &parts {
            let answer = download(&server, spec, &[(param, word)])
                .send(&server)
                .await;
            assert_eq!(answer.status, 200, "{} {param}={word}", spec.name);
            let text = answer.text();
            assert!(text.contains(&format!("<{name}>")), "{}: {text}", spec.name);
            for (other, other_param, other_word) in &parts {
                if other_param == param && other_word != word {
                    assert!(
                        !text.contains(&format!("<{other}>")),
                        "{} answers <{other}> for {param}={word}: {text}",
                        spec.name
                    );
                }
            }
            tried += 1;
        }
    }
    assert!(tried > 0, "no answer part is present per word");
}
