//! Hostile requests against the mock's authentication and authorization, over real HTTP:
//! explicit denies reached through another name of the action, the published key left working
//! beside own credentials, huge signed-name lists, expired signatures inside the clock skew,
//! unknown or expired security tokens, unsigned Host / Pic-Operations in strict mode, and faults
//! used up by requests that fail authentication.

// Helpers outside #[test] functions too: a panic is how they report a failure.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cos_ci_client::ai_image_coloring::AiImageColoring;
use cos_ci_client::ai_super_resolution::AiSuperResolution;
use cos_ci_client::{Client, Credentials, PicOperations, RetryPolicy};
use cos_ci_mock::config::{DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, SessionToken};
use cos_ci_mock::policy::{Effect, Policy, Statement};
use cos_ci_mock::{Account, Config, Fault, MockServer};
use cos_ci_sign::{KeyTime, SignInput, Signer};
use cos_ci_tests::sample_png;

use crate::mock_support::{Req, bounded, bucket_host, client_as, config, http, owner, service};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn sub_user(id: &str, statements: Vec<(Effect, &str)>) -> Account {
    Account {
        secret_id: id.to_string(),
        secret_key: format!("{id}-secret"),
        name: Some(id.to_string()),
        policy: Some(Policy {
            version: "2.0".into(),
            statement: statements
                .into_iter()
                .map(|(effect, action)| Statement {
                    effect,
                    action: vec![action.to_string()],
                    resource: vec!["*".to_string()],
                    condition: None,
                })
                .collect(),
        }),
        ..Account::default()
    }
}

/// A server whose accounts are the owner plus `extra`, under `base`.
async fn server_with(base: Config, extra: Vec<Account>) -> MockServer {
    let mut accounts = base.accounts.clone();
    accounts.extend(extra);
    MockServer::start_with(Config { accounts, ..base })
        .await
        .unwrap()
}

/// An `Authorization` value signing exactly `headers` (names as sent) and `params`.
fn authorization(
    id: &str,
    key: &str,
    method: &str,
    object_key: &str,
    params: &[(String, String)],
    headers: &[(String, String)],
    key_time: KeyTime,
) -> String {
    Signer {
        secret_id: id,
        secret_key: key,
    }
    .sign(
        key_time,
        &SignInput {
            method,
            path: &cos_ci_sign::key_to_path(object_key),
            params,
            headers,
        },
    )
    .to_header_value()
}

// ---- finding 4: an explicit deny of any name of the action wins ----

#[tokio::test]
async fn a_denied_action_is_not_reached_through_its_alias() {
    let server = server_with(
        config(),
        vec![
            // The issue's policy: every ci action but super-resolution (by its current name).
            sub_user(
                "AKID-no-sr",
                vec![
                    (Effect::Allow, "name/ci:*"),
                    (Effect::Allow, "name/cos:GetObject"),
                    (Effect::Deny, "name/ci:CreateSuperResolutionJob"),
                ],
            ),
            // The same, denying the older name.
            sub_user(
                "AKID-no-sr-old",
                vec![
                    (Effect::Allow, "name/ci:*"),
                    (Effect::Allow, "name/cos:GetObject"),
                    (Effect::Deny, "name/ci:CreateAISuperResolutionJob"),
                ],
            ),
        ],
    )
    .await;
    owner(&server)
        .put_object("in.png", sample_png(16, 12))
        .await
        .unwrap();
    let sr = AiSuperResolution::new();
    for id in ["AKID-no-sr", "AKID-no-sr-old"] {
        let user = client_as(&server, id, &format!("{id}-secret"));
        let err = user.ai_super_resolution("in.png", &sr).await.unwrap_err();
        assert_eq!(service(&err), (403, "AccessDenied"), "{id}");
        let message = &err.service().unwrap().message;
        assert!(message.contains("explicit deny"), "{id}: {message}");
        // The same request, signed by hand (the one the issue sent), is refused as well.
        Req::new(&server, "GET", "in.png")
            .creds(id, &format!("{id}-secret"))
            .query("ci-process", "AISuperResolution")
            .send(&server)
            .await
            .expect_error(403, "AccessDenied");
        // Every other ci action is still allowed.
        user.ai_image_coloring("in.png", &AiImageColoring::new())
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_denied_head_object_is_not_reached_as_get_object() {
    let server = server_with(
        config(),
        vec![sub_user(
            "AKID-no-head",
            vec![
                (Effect::Allow, "name/cos:*"),
                (Effect::Deny, "name/cos:HeadObject"),
            ],
        )],
    )
    .await;
    let png = sample_png(8, 8);
    owner(&server)
        .put_object("in.png", png.clone())
        .await
        .unwrap();
    let head = Req::new(&server, "HEAD", "in.png")
        .creds("AKID-no-head", "AKID-no-head-secret")
        .send(&server)
        .await;
    assert_eq!(head.status, 403, "HEAD must be refused");
    assert!(head.body.is_empty());
    assert_eq!(
        server.requests().last().unwrap().error_code.as_deref(),
        Some("AccessDenied")
    );
    // GET is what the policy allows.
    let get = Req::new(&server, "GET", "in.png")
        .creds("AKID-no-head", "AKID-no-head-secret")
        .send(&server)
        .await;
    assert_eq!((get.status, get.body), (200, png));
}

// ---- finding 5: own credentials replace the published key ----

#[tokio::test]
async fn own_credentials_replace_the_published_key() {
    let mut own = config();
    own.set_owner("AKIDMINE", "my-secret");
    assert!(own.account(DEFAULT_SECRET_ID).is_none());
    let server = MockServer::start_with(own).await.unwrap();
    assert_eq!(server.secret_id(), "AKIDMINE");
    owner(&server)
        .put_object("in.png", sample_png(8, 8))
        .await
        .unwrap();

    let published = Req::new(&server, "GET", "in.png")
        .creds(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)
        .send(&server)
        .await;
    published.expect_error(403, "InvalidAccessKeyId");
    let delete = Req::new(&server, "DELETE", "in.png")
        .creds(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)
        .send(&server)
        .await;
    delete.expect_error(403, "InvalidAccessKeyId");
    assert_eq!(
        server.storage().list_keys(server.bucket()).await.unwrap(),
        ["in.png"]
    );
    let mine = Req::new(&server, "GET", "in.png").send(&server).await;
    assert_eq!(mine.status, 200);
}

// ---- finding 6: signed-name lists are capped (and matched in linear time) ----

#[tokio::test]
async fn huge_signed_name_lists_are_refused_naming_the_limit() {
    let server = MockServer::start().await.unwrap();
    owner(&server)
        .put_object("in.png", sample_png(8, 8))
        .await
        .unwrap();
    // The issue's request: thousands of listed names and as many parameters, each compared
    // with every other before. Refused, naming the limit.
    let n = 5000;
    let names: Vec<String> = (0..n).map(|i| format!("n{i}")).collect();
    let value = format!(
        "q-sign-algorithm=sha1&q-ak={}&q-sign-time={now};{end}&q-key-time={now};{end}&\
         q-header-list=host&q-url-param-list={}&q-signature={}",
        server.secret_id(),
        names.join(";"),
        "0".repeat(40),
        now = now() - 60,
        end = now() + 600,
    );
    let mut req = Req::new(&server, "GET", "in.png")
        .anonymous()
        .header("Authorization", &value);
    for name in &names {
        req = req.query(name, "");
    }
    let doc = req.send(&server).await.expect_error(403, "AccessDenied");
    assert!(
        doc.message.contains("q-url-param-list")
            && doc.message.contains("max_signed_names = 64")
            && doc.message.contains(&n.to_string()),
        "{}",
        doc.message
    );

    // At the default limit a request still verifies; one over it does not.
    let mut at_limit = Req::new(&server, "GET", "in.png");
    for i in 0..cos_ci_mock::config::DEFAULT_MAX_SIGNED_NAMES {
        at_limit = at_limit.query(&format!("p{i}"), "v");
    }
    assert_eq!(at_limit.send(&server).await.status, 200);
    let mut over = Req::new(&server, "GET", "in.png");
    for i in 0..=cos_ci_mock::config::DEFAULT_MAX_SIGNED_NAMES {
        over = over.query(&format!("p{i}"), "v");
    }
    over.send(&server).await.expect_error(403, "AccessDenied");
}

#[tokio::test]
async fn max_signed_names_is_configurable() {
    let server = MockServer::start_with(Config {
        max_signed_names: 3,
        ..config()
    })
    .await
    .unwrap();
    owner(&server)
        .put_object("in.png", sample_png(8, 8))
        .await
        .unwrap();
    // Req signs host plus every signable header: host + 2 = 3 headers is the limit.
    let ok = Req::new(&server, "GET", "in.png")
        .header("x-cos-meta-a", "1")
        .header("x-cos-meta-b", "2")
        .query("a", "1")
        .query("b", "2")
        .query("c", "3")
        .send(&server)
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    let doc = Req::new(&server, "GET", "in.png")
        .header("x-cos-meta-a", "1")
        .header("x-cos-meta-b", "2")
        .header("x-cos-meta-c", "3")
        .send(&server)
        .await
        .expect_error(403, "AccessDenied");
    assert!(
        doc.message.contains("q-header-list") && doc.message.contains("max_signed_names = 3"),
        "{}",
        doc.message
    );
    // One listed parameter sent four times: every copy is signed, so every copy counts.
    let doc = Req::new(&server, "GET", "in.png")
        .query("a", "1")
        .query("a", "2")
        .query("a", "3")
        .query("a", "4")
        .send(&server)
        .await
        .expect_error(403, "AccessDenied");
    assert!(
        doc.message.contains("max_signed_names = 3"),
        "{}",
        doc.message
    );
    let zero = Config::from_json(r#"{"max_signed_names": 0}"#).unwrap_err();
    assert!(zero.to_string().contains("max_signed_names"), "{zero}");
}

// ---- finding 9: the end time is strict; security tokens are checked ----

fn client_at(server: &MockServer, unix_seconds: u64) -> Client {
    Client::builder()
        .region(server.region())
        .bucket(server.bucket())
        .credentials(Credentials::new(server.secret_id(), server.secret_key()))
        .endpoint(server.endpoint())
        .retry(RetryPolicy::none())
        .fixed_time(unix_seconds)
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_signature_expires_at_its_end_time_not_a_skew_later() {
    let server = MockServer::start().await.unwrap();
    owner(&server)
        .put_object("in.png", sample_png(8, 8))
        .await
        .unwrap();
    // A URL pre-signed for one second, ten seconds ago: well inside the 900 s skew.
    let url = client_at(&server, now() - 10)
        .presign_get_object("in.png", Duration::from_secs(1))
        .unwrap();
    let answer = bounded(http().get(&url).send()).await.unwrap();
    assert_eq!(answer.status().as_u16(), 403, "{url}");
    let body = answer.text().await.unwrap();
    assert!(
        body.contains("<Code>AccessDenied</Code>") && body.contains("expired"),
        "{body}"
    );
    // The same with an Authorization header that ended a second ago.
    let t = now();
    let value = authorization(
        server.secret_id(),
        server.secret_key(),
        "GET",
        "in.png",
        &[],
        &[("host".to_string(), bucket_host(&server))],
        KeyTime::new(t - 60, t - 1),
    );
    Req::new(&server, "GET", "in.png")
        .anonymous()
        .header("Authorization", &value)
        .send(&server)
        .await
        .expect_error(403, "AccessDenied");
    // The skew still tolerates a start in the (near) future.
    let ahead = client_at(&server, now() + 120);
    assert!(ahead.get_object("in.png").await.is_ok());
}

#[tokio::test]
async fn declared_session_tokens_are_required_and_checked() {
    let t = now();
    let temporary = Account {
        secret_id: "AKIDTEMP".to_string(),
        secret_key: "temp-secret".to_string(),
        name: Some("temporary".to_string()),
        session_tokens: vec![
            SessionToken {
                token: "good-token".to_string(),
                expires_at: t + 3600,
            },
            SessionToken {
                token: "old-token".to_string(),
                expires_at: t - 10,
            },
        ],
        ..Account::default()
    };
    let server = server_with(config(), vec![temporary]).await;
    owner(&server)
        .put_object("in.png", sample_png(8, 8))
        .await
        .unwrap();
    let as_temp = |token: Option<&str>| {
        let mut credentials = Credentials::new("AKIDTEMP", "temp-secret");
        if let Some(token) = token {
            credentials = credentials.with_token(token);
        }
        Client::builder()
            .region(server.region())
            .bucket(server.bucket())
            .credentials(credentials)
            .endpoint(server.endpoint())
            .retry(RetryPolicy::none())
            .build()
            .unwrap()
    };

    // Header x-cos-security-token (signed, as Python sends it).
    as_temp(Some("good-token"))
        .get_object("in.png")
        .await
        .unwrap();
    let err = as_temp(Some("made-up"))
        .get_object("in.png")
        .await
        .unwrap_err();
    assert_eq!(service(&err), (403, "InvalidAccessKeyId"));
    let err = as_temp(Some("old-token"))
        .get_object("in.png")
        .await
        .unwrap_err();
    assert_eq!(service(&err), (400, "ExpiredToken"));
    assert!(err.service().unwrap().message.contains("expired"));
    let err = as_temp(None).get_object("in.png").await.unwrap_err();
    assert_eq!(service(&err), (403, "InvalidAccessKeyId"));
    assert!(
        err.service()
            .unwrap()
            .message
            .contains("x-cos-security-token")
    );
    // An unsigned header token (as Node sends it) is checked the same way.
    let host_only = authorization(
        "AKIDTEMP",
        "temp-secret",
        "GET",
        "in.png",
        &[],
        &[("host".to_string(), bucket_host(&server))],
        KeyTime::new(t - 60, t + 600),
    );
    for (token, status) in [("good-token", 200), ("made-up", 403), ("old-token", 400)] {
        let answer = Req::new(&server, "GET", "in.png")
            .anonymous()
            .header("Authorization", &host_only)
            .header("x-cos-security-token", token)
            .send(&server)
            .await;
        assert_eq!(answer.status, status, "{token}: {}", answer.text());
    }

    // Pre-signed URLs carry the token in the query.
    for (token, expected) in [
        ("good-token", None),
        ("made-up", Some((403, "InvalidAccessKeyId"))),
        ("old-token", Some((400, "ExpiredToken"))),
    ] {
        let url = as_temp(Some(token))
            .presign_get_object("in.png", Duration::from_secs(300))
            .unwrap();
        assert!(url.contains("x-cos-security-token"), "{url}");
        let answer = bounded(http().get(&url).send()).await.unwrap();
        let status = answer.status().as_u16();
        let body = answer.text().await.unwrap();
        match expected {
            None => assert_eq!(status, 200, "{token}: {body}"),
            Some((code_status, code)) => {
                assert_eq!(status, code_status, "{token}: {body}");
                assert!(body.contains(&format!("<Code>{code}</Code>")), "{body}");
            }
        }
    }

    // Without declared tokens (the owner here) any token is accepted, as before.
    let answer = Req::new(&server, "GET", "in.png")
        .header("x-cos-security-token", "anything")
        .send(&server)
        .await;
    assert_eq!(answer.status, 200);
}

#[tokio::test]
async fn session_tokens_in_a_config_file_are_checked() {
    let err = Config::from_json(
        r#"{"accounts": [{"secret_id": "A", "secret_key": "k",
            "session_tokens": [{"token": "", "expires_at": 1}]}]}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("session_tokens"), "{err}");
    let err = Config::from_json(
        r#"{"accounts": [{"secret_id": "A", "secret_key": "k",
            "session_tokens": [{"token": "t", "expires_at": 1}, {"token": "t", "expires_at": 2}]}]}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("listed twice"), "{err}");
    let c = Config::from_json(
        r#"{"accounts": [{"secret_id": "A", "secret_key": "k",
            "session_tokens": [{"token": "t", "expires_at": 1700000000}]}]}"#,
    )
    .unwrap();
    assert_eq!(c.accounts[0].session_tokens[0].expires_at, 1_700_000_000);
    assert!(!format!("{c:?}").contains("\"t\""), "tokens are redacted");
}

// ---- strict_signing ----

#[tokio::test]
async fn strict_signing_refuses_unsigned_host_and_pic_operations() {
    let png = sample_png(16, 12);
    let ops = PicOperations::new()
        .with_rule("out.png", &AiSuperResolution::new())
        .unwrap()
        .to_json();
    for strict in [false, true] {
        let server = MockServer::start_with(Config {
            strict_signing: strict,
            ..config()
        })
        .await
        .unwrap();
        owner(&server)
            .put_object("in.png", png.clone())
            .await
            .unwrap();
        let t = now();
        let window = KeyTime::new(t - 60, t + 600);
        let (id, key) = (
            server.secret_id().to_string(),
            server.secret_key().to_string(),
        );

        // A signature over nothing but the path.
        let no_host = authorization(&id, &key, "GET", "in.png", &[], &[], window);
        let answer = Req::new(&server, "GET", "in.png")
            .anonymous()
            .header("Authorization", &no_host)
            .send(&server)
            .await;
        // An upload whose Pic-Operations is not signed (only Host is).
        let host_only = authorization(
            &id,
            &key,
            "PUT",
            "up.png",
            &[],
            &[("host".to_string(), bucket_host(&server))],
            window,
        );
        let upload = Req::new(&server, "PUT", "up.png")
            .anonymous()
            .header("Pic-Operations", &ops)
            .header("Authorization", &host_only)
            .body(png.clone())
            .send(&server)
            .await;
        if strict {
            let doc = answer.expect_error(403, "AccessDenied");
            assert!(
                doc.message.contains("strict_signing") && doc.message.contains("Host"),
                "{}",
                doc.message
            );
            let doc = upload.expect_error(403, "AccessDenied");
            assert!(
                doc.message.contains("strict_signing") && doc.message.contains("Pic-Operations"),
                "{}",
                doc.message
            );
            assert!(
                server
                    .storage()
                    .get(server.bucket(), "up.png", None)
                    .await
                    .is_err(),
                "nothing stored"
            );
        } else {
            assert_eq!(answer.status, 200, "{}", answer.text());
            assert_eq!(upload.status, 200, "{}", upload.text());
        }
        // A request signed the SDK way passes either way.
        let signed = Req::new(&server, "PUT", "up2.png")
            .header("Pic-Operations", &ops)
            .body(png.clone())
            .send(&server)
            .await;
        assert_eq!(signed.status, 200, "{}", signed.text());
    }
}

// ---- faults are taken only by authenticated requests ----

#[tokio::test]
async fn a_fault_is_not_used_up_by_a_request_that_fails_authentication() {
    let server = MockServer::start().await.unwrap();
    let client = owner(&server);
    client.put_object("in.png", sample_png(8, 8)).await.unwrap();
    server.inject_fault(Fault::error(Some("GetObject"), 503, "SlowDown"));

    Req::new(&server, "GET", "in.png")
        .creds(server.secret_id(), "wrong-secret")
        .send(&server)
        .await
        .expect_error(403, "SignatureDoesNotMatch");
    Req::new(&server, "GET", "in.png")
        .creds("AKIDSTRANGER", "x")
        .send(&server)
        .await
        .expect_error(403, "InvalidAccessKeyId");
    Req::new(&server, "GET", "in.png")
        .anonymous()
        .send(&server)
        .await
        .expect_error(403, "AccessDenied");
    Req::new(&server, "GET", "in.png")
        .host("nosuchbucket-1250000000.cos.ap-guangzhou.myqcloud.com")
        .send(&server)
        .await
        .expect_error(404, "NoSuchBucket");

    // The fault is still there for the owner's request, and used once.
    Req::new(&server, "GET", "in.png")
        .send(&server)
        .await
        .expect_error(503, "SlowDown");
    assert_eq!(
        Req::new(&server, "GET", "in.png")
            .send(&server)
            .await
            .status,
        200
    );
}
