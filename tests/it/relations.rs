//! Relations between an operation's inputs, over `OPERATIONS` (no operation named): exactly
//! one of object key and detect-url, at least one of a set of parameters, parameters required
//! or applying only for some values of another. The client refuses a request that breaks one
//! before sending it; the mock answers InvalidArgument, and ignores inapplicable parameters.

use cos_ci_client::{Error, OPERATIONS, ParamValues};
use cos_ci_mock::MockServer;
use cos_ci_tests::sample_png;
use cos_ci_validate::{ParamKind, Relation};

use crate::mock_support::{Req, owner, required_values};

#[tokio::test]
async fn a_request_names_the_key_or_a_detect_url_never_both() {
    let server = MockServer::start().await.unwrap();
    owner(&server)
        .put_object("src/in.png", sample_png(32, 24))
        .await
        .unwrap();
    let mut tried = 0;
    for spec in OPERATIONS.iter().filter(|s| s.key_or_detect_url()) {
        let mut req = Req::new(&server, "GET", "src/in.png")
            .query("ci-process", spec.name)
            .query("detect-url", "http://example.com/in.png");
        for (name, value) in spec.encode_pairs(&required_values(spec)) {
            req = req.query(name, &value);
        }
        let doc = req.send(&server).await.expect_error(400, "InvalidArgument");
        assert!(
            doc.message.contains("not both"),
            "{}: {}",
            spec.name,
            doc.message
        );
        tried += 1;
    }
    assert!(tried > 0, "no operation says source.exactly_one");
}

#[tokio::test]
async fn at_least_one_of_a_set_is_needed_by_client_and_mock() {
    let server = MockServer::start().await.unwrap();
    let client = owner(&server);
    client
        .put_object("src/in.png", sample_png(32, 24))
        .await
        .unwrap();
    let mut tried = 0;
    for spec in OPERATIONS {
        for relation in spec.relations {
            let Relation::AtLeastOne { params, .. } = *relation else {
                continue;
            };
            // Every other required value, none of the set.
            let mut values = ParamValues::new();
            for (name, value) in required_values(spec).iter() {
                if !params.contains(&name) {
                    values.set(name, value.clone());
                }
            }
            let before = server.requests().len();
            let err = client
                .process_values(
                    spec,
                    &values,
                    &crate::mock_support::source_of(spec, "src/in.png"),
                )
                .await
                .expect_err("none of the set");
            assert!(matches!(err, Error::Validation(_)), "{}: {err}", spec.name);
            assert!(err.to_string().contains(params[0]), "{err}");
            assert_eq!(server.requests().len(), before, "nothing was sent");
            let mut req = Req::new(&server, "GET", "src/in.png").query("ci-process", spec.name);
            for (name, value) in spec.encode_pairs(&values) {
                req = req.query(name, &value);
            }
            req.send(&server).await.expect_error(400, "InvalidArgument");
            // Any one member of the set is enough.
            for member in params {
                let p = spec.param(member).expect("a parameter");
                let mut one = values.clone();
                one.set(p.name, crate::mock_support::some_value(p));
                client
                    .process_values(
                        spec,
                        &one,
                        &crate::mock_support::source_of(spec, "src/in.png"),
                    )
                    .await
                    .unwrap_or_else(|e| panic!("{} with {member}: {e}", spec.name));
            }
            tried += 1;
        }
    }
    assert!(tried > 0, "no operation has an at_least_one set");
}

#[tokio::test]
async fn a_parameter_required_by_anothers_value_is_needed_and_inapplicable_ones_are_ignored() {
    let server = MockServer::start().await.unwrap();
    let client = owner(&server);
    client
        .put_object("src/in.png", sample_png(32, 24))
        .await
        .unwrap();
    let (mut required, mut ignored) = (0, 0);
    for spec in OPERATIONS {
        for relation in spec.relations {
            match *relation {
                Relation::RequiredWhen {
                    param,
                    other,
                    values: when,
                } => {
                    let other_spec = spec.param(other).expect("a parameter");
                    let mut values = ParamValues::new();
                    for (name, value) in required_values(spec).iter() {
                        if name != param {
                            values.set(name, value.clone());
                        }
                    }
                    values.set(other_spec.name, other_spec.kind.parse(when[0]).unwrap());
                    let err = client
                        .process_values(
                            spec,
                            &values,
                            &crate::mock_support::source_of(spec, "src/in.png"),
                        )
                        .await
                        .expect_err("the required parameter is missing");
                    assert!(matches!(err, Error::Validation(_)), "{}: {err}", spec.name);
                    assert!(err.to_string().contains(param), "{err}");
                    let mut req =
                        Req::new(&server, "GET", "src/in.png").query("ci-process", spec.name);
                    for (name, value) in spec.encode_pairs(&values) {
                        req = req.query(name, &value);
                    }
                    req.send(&server).await.expect_error(400, "InvalidArgument");
                    required += 1;
                }
                Relation::AppliesWhen {
                    param,
                    other,
                    values: when,
                } => {
                    // A value of `other` this parameter does not apply to: still accepted.
                    let other_spec = spec.param(other).expect("a parameter");
                    let ParamKind::Text { values: all, .. } = other_spec.kind else {
                        continue;
                    };
                    let Some(elsewhere) = all.iter().find(|v| !when.contains(v)) else {
                        continue;
                    };
                    let mut values = required_values(spec);
                    values.set(other_spec.name, other_spec.kind.parse(elsewhere).unwrap());
                    crate::mock_support::satisfy_relations(spec, &mut values);
                    let p = spec.param(param).expect("a parameter");
                    values.set(p.name, crate::mock_support::some_value(p));
                    let mut req =
                        Req::new(&server, "GET", "src/in.png").query("ci-process", spec.name);
                    for (name, value) in spec.encode_pairs(&values) {
                        req = req.query(name, &value);
                    }
                    let answer = req.send(&server).await;
                    assert_eq!(
                        answer.status,
                        200,
                        "{} with {param}: {}",
                        spec.name,
                        answer.text()
                    );
                    ignored += 1;
                }
                _ => {}
            }
        }
    }
    assert!(
        required > 0 && ignored > 0,
        "{required} required_when, {ignored} applies_when"
    );
}
