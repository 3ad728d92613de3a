//! Who may do what: every operation in every mode it supports under a policy that grants
//! exactly the spec's actions (allowed) and under policies lacking one of them (denied);
//! explicit deny, resource scoping, aliases, plain object actions, and the signature checks
//! (wrong secret, unknown SecretId, expired or tampered pre-signed URLs, anonymous, skew).

// Helpers outside #[test] functions too: a panic is how they report a failure.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cos_ci_client::ai_image_coloring::AiImageColoring;
use cos_ci_client::ai_super_resolution::{AiSuperResolution, Magnify};
use cos_ci_client::{
    Client, Credentials, Error, Mode, OPERATIONS, OpSpec, ParamValues, PicOperations, PicRule,
    RetryPolicy, Source,
};
use cos_ci_mock::policy::{Effect, Policy, Statement};
use cos_ci_mock::{Account, Config, MockServer};
use cos_ci_tests::{dimensions, sample_png};

use crate::mock_support::{Req, bounded, client_as, config, http, owner, required_values, service};

fn statement(effect: Effect, actions: &[&str], resources: &[&str]) -> Statement {
    Statement {
        effect,
        action: actions.iter().map(|a| format!("name/{a}")).collect(),
        resource: resources.iter().map(|r| r.to_string()).collect(),
        condition: None,
    }
}

fn sub_user(id: &str, statements: Vec<Statement>) -> Account {
    Account {
        secret_id: id.to_string(),
        secret_key: format!("{id}-secret"),
        name: Some(id.to_string()),
        policy: Some(Policy {
            version: "2.0".into(),
            statement: statements,
        }),
        ..Account::default()
    }
}

/// A client signing as the sub-user `id` made by [`sub_user`].
fn as_user(server: &MockServer, id: &str) -> Client {
    client_as(server, id, &format!("{id}-secret"))
}

/// Asserts that a call was refused with 403 AccessDenied.
#[track_caller]
fn denied<T>(result: Result<T, Error>) {
    let err = result.err().expect("should be denied");
    assert_eq!(service(&err), (403, "AccessDenied"), "{err}");
}

/// One case of the matrix: an operation, a mode, and the actions the policy grants.
struct Case {
    spec: &'static OpSpec,
    mode: Mode,
    granted: Vec<&'static str>,
    /// The action left out, for a denied case.
    missing: Option<&'static str>,
    account: String,
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for spec in OPERATIONS {
        for &mode in spec.modes {
            let required = spec.actions(mode);
            assert!(!required.is_empty(), "{} {mode} needs no action", spec.name);
            let id = |what: &str| format!("AKID-{}-{mode}-{what}", spec.file);
            cases.push(Case {
                spec,
                mode,
                granted: required.to_vec(),
                missing: None,
                account: id("all"),
            });
            for (i, &missing) in required.iter().enumerate() {
                cases.push(Case {
                    spec,
                    mode,
                    granted: required.iter().copied().filter(|&a| a != missing).collect(),
                    missing: Some(missing),
                    account: id(&format!("without{i}")),
                });
            }
        }
    }
    cases
}

/// Runs the case's operation as its account; on success, the key of what it wrote (if any).
async fn run(
    client: &Client,
    case: &Case,
    values: &ParamValues,
    source: &str,
    body: &[u8],
    fileid: &str,
) -> Result<Option<String>, Error> {
    match case.mode {
        Mode::Download => {
            let answer = client
                .process_values(
                    case.spec,
                    values,
                    &crate::mock_support::source_of(case.spec, source),
                )
                .await?;
            assert!(!answer.bytes.is_empty());
            Ok(None)
        }
        // The body is stored at the destination, where the other writing modes put results.
        Mode::UploadQuery => {
            let dir = source.rsplit_once('/').map_or("", |(dir, _)| dir);
            let key = format!("{dir}/{fileid}");
            let answer = client
                .upload_query_values(case.spec, values, &key, body.to_vec().into())
                .await?;
            assert!(!answer.bytes.is_empty());
            Ok(Some(key))
        }
        Mode::Upload | Mode::Cloud => {
            let mut ops = PicOperations::new();
            ops.rules.push(PicRule {
                bucket: None,
                fileid: fileid.to_string(),
                rule: case.spec.encode_rule(values),
            });
            let result = if case.mode == Mode::Upload {
                client
                    .put_object_with(source, body.to_vec().into(), &ops)
                    .await?
            } else {
                client.image_process(source, &ops).await?
            };
            let object = &result.process_results.unwrap().object[0];
            Ok(Some(object.key.clone()))
        }
    }
}

#[tokio::test]
async fn permission_matrix_every_operation_mode_and_policy() {
    let cases = cases();
    let mut accounts = Config::default().accounts;
    for case in &cases {
        // A policy with no statement grants nothing.
        let statements = if case.granted.is_empty() {
            Vec::new()
        } else {
            vec![statement(Effect::Allow, &case.granted, &["*"])]
        };
        accounts.push(sub_user(&case.account, statements));
    }
    let server = MockServer::start_with(Config {
        accounts,
        ..config()
    })
    .await
    .unwrap();
    let admin = owner(&server);
    let png = sample_png(48, 32);
    let (mut allowed, mut denied) = (0, 0);
    for (n, case) in cases.iter().enumerate() {
        let what = format!(
            "{} {} without {:?}",
            case.spec.name, case.mode, case.missing
        );
        let dir = format!("m{n}");
        let source = format!("{dir}/in.png");
        // Download and cloud read a stored source; upload stores it.
        if case.mode != Mode::Upload {
            admin.put_object(&source, png.clone()).await.unwrap();
        }
        let client = as_user(&server, &case.account);
        let values = required_values(case.spec);
        let result = bounded(run(&client, case, &values, &source, &png, "out.png")).await;
        let dest = format!("{dir}/out.png");
        match (case.missing, result) {
            (None, Ok(written)) => {
                allowed += 1;
                if case.mode != Mode::Download {
                    assert_eq!(written.as_deref(), Some(dest.as_str()), "{what}");
                    let stored = admin.get_object(&dest).await.unwrap();
                    assert!(!stored.bytes.is_empty(), "{what}");
                }
                if case.mode == Mode::Upload {
                    let original = admin.get_object(&source).await.unwrap();
                    assert_eq!(original.bytes.as_ref(), png.as_slice(), "{what}");
                }
            }
            (Some(_), Err(err)) => {
                denied += 1;
                assert_eq!(service(&err), (403, "AccessDenied"), "{what}");
                let message = &err.service().unwrap().message;
                assert!(message.contains(&case.account), "{what}: {message}");
                // A denied request writes nothing: no result, and no upload of the source.
                let gone = admin.get_object(&dest).await.unwrap_err();
                assert_eq!(service(&gone), (404, "NoSuchKey"), "{what}");
                if case.mode == Mode::Upload {
                    let gone = admin.get_object(&source).await.unwrap_err();
                    assert_eq!(service(&gone), (404, "NoSuchKey"), "{what}");
                }
                let logged = server.requests();
                let last = logged
                    .iter()
                    .rev()
                    .find(|r| r.status == 403)
                    .expect("the denied request is logged");
                assert_eq!(last.error_code.as_deref(), Some("AccessDenied"));
                assert_eq!(last.mode.as_deref(), Some(case.mode.as_str()), "{what}");
                assert_eq!(last.operations, [case.spec.name], "{what}");
            }
            (None, Err(err)) => panic!("{what}: should be allowed, got {err}"),
            (Some(_), Ok(_)) => panic!("{what}: should be denied"),
        }
    }
    assert!(
        allowed >= OPERATIONS.len() && denied > allowed,
        "{allowed} {denied}"
    );
}

#[tokio::test]
async fn specific_permission_cases() {
    let region = "ap-guangzhou";
    let bucket = "examplebucket-1250000000";
    let photos = format!("qcs::cos:{region}:uid/1250000000:{bucket}/photos/*");
    let ci = format!("qcs::ci:{region}:uid/1250000000:bucket/{bucket}/*");
    let other_ci = format!("qcs::ci:{region}:uid/1250000000:bucket/otherbucket-1250000000/*");
    let mut accounts = Config::default().accounts;
    accounts.extend([
        // Everything but ci:*, by an explicit deny that beats the allow.
        sub_user(
            "AKID-deny-ci",
            vec![
                statement(Effect::Allow, &["*"], &["*"]),
                statement(Effect::Deny, &["ci:*"], &["*"]),
            ],
        ),
        // Read and write under photos/ only, and every ci action on this bucket.
        sub_user(
            "AKID-photos",
            vec![
                statement(
                    Effect::Allow,
                    &["cos:GetObject", "cos:PutObject"],
                    &[photos.as_str()],
                ),
                statement(Effect::Allow, &["ci:*"], &[ci.as_str()]),
            ],
        ),
        // The older name of the super-resolution action.
        sub_user(
            "AKID-sr-alias",
            vec![statement(
                Effect::Allow,
                &["cos:GetObject", "ci:CreateAISuperResolutionJob"],
                &["*"],
            )],
        ),
        // The ci action granted on another bucket only.
        sub_user(
            "AKID-other-ci",
            vec![
                statement(Effect::Allow, &["cos:GetObject"], &["*"]),
                statement(Effect::Allow, &["ci:*"], &[other_ci.as_str()]),
            ],
        ),
        sub_user(
            "AKID-head",
            vec![statement(Effect::Allow, &["cos:HeadObject"], &["*"])],
        ),
        sub_user(
            "AKID-delete",
            vec![statement(Effect::Allow, &["cos:DeleteObject"], &["*"])],
        ),
        sub_user(
            "AKID-ci-only",
            vec![statement(Effect::Allow, &["ci:*"], &["*"])],
        ),
    ]);
    let server = MockServer::start_with(Config {
        accounts,
        ..config()
    })
    .await
    .unwrap();
    let admin = owner(&server);
    let png = sample_png(20, 10);
    admin.put_object("photos/a.png", png.clone()).await.unwrap();
    admin.put_object("docs/a.png", png.clone()).await.unwrap();
    let sr = AiSuperResolution::new();

    // Explicit deny wins over the allow of "*".
    let deny_ci = as_user(&server, "AKID-deny-ci");
    denied(deny_ci.ai_super_resolution("photos/a.png", &sr).await);
    assert_eq!(
        deny_ci
            .get_object("photos/a.png")
            .await
            .unwrap()
            .bytes
            .as_ref(),
        png.as_slice()
    );
    // Upload and cloud modes need no ci action, so the deny does not touch them.
    let result = deny_ci
        .cloud_with("photos/a.png", "big.png", &sr)
        .await
        .unwrap();
    assert_eq!(result.process_results.unwrap().object[0].width, Some(40));

    // Resource scoping: photos/ only, for the source and every destination.
    let photos_user = as_user(&server, "AKID-photos");
    let out = photos_user
        .ai_super_resolution("photos/a.png", &sr)
        .await
        .unwrap();
    assert_eq!(dimensions(&out.bytes).map(|d| (d.0, d.1)), Some((40, 20)));
    denied(photos_user.ai_super_resolution("docs/a.png", &sr).await);
    denied(photos_user.get_object("docs/a.png").await);
    denied(
        photos_user
            .upload_with("docs/b.png", png.clone(), "/photos/b2.png", &sr)
            .await,
    );
    denied(
        photos_user
            .upload_with("photos/b.png", png.clone(), "/docs/b2.png", &sr)
            .await,
    );
    for key in ["docs/b.png", "photos/b.png", "photos/b2.png", "docs/b2.png"] {
        let err = admin.get_object(key).await.unwrap_err();
        assert_eq!(service(&err), (404, "NoSuchKey"), "{key}");
    }
    // Two rules, the second writing outside photos/: the whole request is refused and the
    // first rule's result is not stored either.
    let ops = PicOperations::new()
        .with_rule("ok.png", &sr)
        .unwrap()
        .with_rule("/docs/not-ok.png", &AiImageColoring::new())
        .unwrap();
    denied(photos_user.image_process("photos/a.png", &ops).await);
    for key in ["photos/ok.png", "docs/not-ok.png"] {
        let err = admin.get_object(key).await.unwrap_err();
        assert_eq!(service(&err), (404, "NoSuchKey"), "{key}");
    }
    let ops = PicOperations::new()
        .with_rule("ok.png", &sr)
        .unwrap()
        .with_rule("/photos/colored.png", &AiImageColoring::new())
        .unwrap();
    let result = photos_user
        .image_process("photos/a.png", &ops)
        .await
        .unwrap();
    let keys: Vec<String> = result
        .process_results
        .unwrap()
        .object
        .into_iter()
        .map(|o| o.key)
        .collect();
    assert_eq!(keys, ["photos/ok.png", "photos/colored.png"]);

    // Either name of the super-resolution action is accepted.
    let alias = as_user(&server, "AKID-sr-alias");
    let out = alias
        .ai_super_resolution("docs/a.png", &sr.clone().with_magnify(Magnify::X4))
        .await
        .unwrap();
    assert_eq!(dimensions(&out.bytes).map(|d| (d.0, d.1)), Some((80, 40)));
    denied(
        alias
            .ai_image_coloring("docs/a.png", &AiImageColoring::new())
            .await,
    );

    // A ci grant on another bucket is no grant here.
    let other = as_user(&server, "AKID-other-ci");
    denied(other.ai_super_resolution("docs/a.png", &sr).await);
    assert!(other.get_object("docs/a.png").await.is_ok());

    // Plain object actions.
    let head = as_user(&server, "AKID-head");
    assert_eq!(
        head.head_object("docs/a.png").await.unwrap().size,
        png.len() as u64
    );
    denied(head.get_object("docs/a.png").await);
    denied(head.put_object("docs/h.png", png.clone()).await);
    denied(head.delete_object("docs/a.png").await);
    let delete = as_user(&server, "AKID-delete");
    denied(delete.get_object("docs/a.png").await);
    delete.delete_object("docs/a.png").await.unwrap();
    let err = admin.get_object("docs/a.png").await.unwrap_err();
    assert_eq!(service(&err), (404, "NoSuchKey"));
    denied(
        as_user(&server, "AKID-photos")
            .delete_object("photos/a.png")
            .await,
    );
    assert!(admin.head_object("photos/a.png").await.is_ok());

    // The ci action alone does not read objects.
    denied(
        as_user(&server, "AKID-ci-only")
            .ai_super_resolution("photos/a.png", &sr)
            .await,
    );
}

#[tokio::test]
async fn wrong_secret_in_every_mode_is_signature_does_not_match() {
    let server = MockServer::start().await.unwrap();
    let admin = owner(&server);
    let png = sample_png(16, 16);
    admin.put_object("in.png", png.clone()).await.unwrap();
    let wrong = client_as(&server, server.secret_id(), "not-the-secret");
    let sr = AiSuperResolution::new();
    let results: Vec<(&str, Result<(), Error>)> = vec![
        ("get", wrong.get_object("in.png").await.map(|_| ())),
        ("head", wrong.head_object("in.png").await.map(|_| ())),
        (
            "put",
            wrong.put_object("w.png", png.clone()).await.map(|_| ()),
        ),
        ("delete", wrong.delete_object("in.png").await),
        (
            "download",
            wrong.ai_super_resolution("in.png", &sr).await.map(|_| ()),
        ),
        (
            "upload",
            wrong
                .upload_with("u.png", png.clone(), "u2.png", &sr)
                .await
                .map(|_| ()),
        ),
        (
            "cloud",
            wrong.cloud_with("in.png", "c.png", &sr).await.map(|_| ()),
        ),
    ];
    for (what, result) in results {
        let err = result.err().unwrap_or_else(|| panic!("{what} succeeded"));
        if what == "head" {
            // A HEAD answer has no body, so only the status tells.
            assert_eq!(err.service().map(|e| e.status), Some(403));
            continue;
        }
        assert_eq!(service(&err), (403, "SignatureDoesNotMatch"), "{what}");
        {
            let message = &err.service().unwrap().message;
            assert!(message.contains("StringToSign"), "{what}: {message}");
        }
    }
    assert_eq!(
        server.storage().list_keys(server.bucket()).await.unwrap(),
        ["in.png"],
        "nothing was written or deleted"
    );

    // A signature over other values than those sent does not match either.
    let answer = Req::new(&server, "GET", "in.png")
        .query("ci-process", "AISuperResolution")
        .send(&server)
        .await;
    assert_eq!(answer.status, 200);
    let url = admin
        .presign_process(
            "in.png",
            &AiSuperResolution::new().with_magnify(Magnify::X4),
            Duration::from_secs(600),
        )
        .unwrap();
    assert!(url.contains("magnify=4"), "{url}");
    let tampered = url.replace("magnify=4", "magnify=2");
    let answer = bounded(http().get(&tampered).send()).await.unwrap();
    assert_eq!(answer.status().as_u16(), 403);
    let body = answer.text().await.unwrap();
    assert!(
        body.contains("<Code>SignatureDoesNotMatch</Code>"),
        "{body}"
    );
}

#[tokio::test]
async fn unknown_secret_id_is_invalid_access_key_id() {
    let server = MockServer::start().await.unwrap();
    owner(&server)
        .put_object("in.png", sample_png(8, 8))
        .await
        .unwrap();
    let stranger = client_as(&server, "AKIDSTRANGER", "whatever");
    for err in [
        stranger.get_object("in.png").await.unwrap_err(),
        stranger
            .ai_super_resolution("in.png", &AiSuperResolution::new())
            .await
            .unwrap_err(),
        stranger
            .put_object("x.png", sample_png(8, 8))
            .await
            .unwrap_err(),
    ] {
        assert_eq!(service(&err), (403, "InvalidAccessKeyId"));
        assert!(err.service().unwrap().message.contains("AKIDSTRANGER"));
    }
    let url = stranger
        .presign_get_object("in.png", Duration::from_secs(60))
        .unwrap();
    let answer = bounded(http().get(&url).send()).await.unwrap();
    assert_eq!(answer.status().as_u16(), 403);
    assert!(
        answer
            .text()
            .await
            .unwrap()
            .contains("<Code>InvalidAccessKeyId</Code>")
    );
}

#[tokio::test]
async fn presigned_urls_work_until_they_expire() {
    let server = MockServer::start().await.unwrap();
    let admin = owner(&server);
    admin
        .put_object("in.png", sample_png(12, 10))
        .await
        .unwrap();
    let sr = AiSuperResolution::new().with_magnify(Magnify::X4);

    let url = admin
        .presign_process("in.png", &sr, Duration::from_secs(300))
        .unwrap();
    let answer = bounded(http().get(&url).send()).await.unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    let bytes = answer.bytes().await.unwrap();
    assert_eq!(dimensions(&bytes).map(|d| (d.0, d.1)), Some((48, 40)));

    // Signed two hours ago for a minute: expired.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let past = Client::builder()
        .region(server.region())
        .bucket(server.bucket())
        .credentials(Credentials::new(server.secret_id(), server.secret_key()))
        .endpoint(server.endpoint())
        .retry(RetryPolicy::none())
        .fixed_time(now - 7200)
        .build()
        .unwrap();
    for url in [
        past.presign_process("in.png", &sr, Duration::from_secs(60))
            .unwrap(),
        past.presign_get_object("in.png", Duration::from_secs(60))
            .unwrap(),
    ] {
        let answer = bounded(http().get(&url).send()).await.unwrap();
        assert_eq!(answer.status().as_u16(), 403, "{url}");
        let request_id = answer
            .headers()
            .get("x-cos-request-id")
            .map(|v| v.to_str().unwrap().to_string());
        let body = answer.text().await.unwrap();
        assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
        assert!(body.contains("expired"), "{body}");
        assert!(request_id.is_some());
    }
    // A signed header that expired is refused the same way.
    let err = past.get_object("in.png").await.unwrap_err();
    assert_eq!(service(&err), (403, "AccessDenied"));

    // Signed to start an hour from now: outside the allowed skew.
    let future = Client::builder()
        .region(server.region())
        .bucket(server.bucket())
        .credentials(Credentials::new(server.secret_id(), server.secret_key()))
        .endpoint(server.endpoint())
        .retry(RetryPolicy::none())
        .fixed_time(now + 3600)
        .build()
        .unwrap();
    let err = future.get_object("in.png").await.unwrap_err();
    assert_eq!(service(&err), (403, "RequestTimeTooSkewed"));
}

#[tokio::test]
async fn anonymous_requests_are_access_denied() {
    let server = MockServer::start().await.unwrap();
    owner(&server)
        .put_object("in.png", sample_png(8, 8))
        .await
        .unwrap();
    for req in [
        Req::new(&server, "GET", "in.png"),
        Req::new(&server, "GET", "in.png").query("ci-process", "AISuperResolution"),
        Req::new(&server, "PUT", "anon.png").body(sample_png(4, 4)),
        Req::new(&server, "DELETE", "in.png"),
        Req::new(&server, "GET", "in.png").header("Authorization", ""),
    ] {
        let answer = req.anonymous().send(&server).await;
        let doc = answer.expect_error(403, "AccessDenied");
        assert!(doc.message.contains("anonymous"), "{}", doc.message);
    }
    // A malformed Authorization header is refused, not taken for anonymous or a crash.
    let answer = Req::new(&server, "GET", "in.png")
        .anonymous()
        .header("Authorization", "q-sign-algorithm=md5&q-ak=x")
        .send(&server)
        .await;
    answer.expect_error(403, "AccessDenied");
    assert_eq!(
        server.storage().list_keys(server.bucket()).await.unwrap(),
        ["in.png"]
    );
}

#[tokio::test]
async fn detect_url_needs_only_the_ci_action() {
    let origin =
        crate::mock_support::origin(crate::mock_support::Serve::Body(sample_png(10, 6))).await;
    let mut accounts = Config::default().accounts;
    accounts.extend([
        sub_user(
            "AKID-ci-only",
            vec![statement(
                Effect::Allow,
                &["ci:CreateSuperResolutionJob"],
                &["*"],
            )],
        ),
        sub_user(
            "AKID-get-only",
            vec![statement(Effect::Allow, &["cos:GetObject"], &["*"])],
        ),
    ]);
    let server = MockServer::start_with(Config {
        accounts,
        detect_url_hosts: vec![origin.addr.to_string()],
        ..config()
    })
    .await
    .unwrap();
    let sr = AiSuperResolution::new();
    let url = Source::url(origin.url("/a.png"));
    // No object is read, so the ci action is all it takes.
    let out = as_user(&server, "AKID-ci-only")
        .ai_super_resolution(url.clone(), &sr)
        .await
        .unwrap();
    assert_eq!(dimensions(&out.bytes).map(|d| (d.0, d.1)), Some((20, 12)));
    // Without it, nothing is fetched.
    let hits = origin.hits();
    denied(
        as_user(&server, "AKID-get-only")
            .ai_super_resolution(url, &sr)
            .await,
    );
    assert_eq!(origin.hits(), hits);
    // And the ci action alone still reads no object.
    owner(&server)
        .put_object("in.png", sample_png(10, 6))
        .await
        .unwrap();
    denied(
        as_user(&server, "AKID-ci-only")
            .ai_super_resolution("in.png", &sr)
            .await,
    );
}
