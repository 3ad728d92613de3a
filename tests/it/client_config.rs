//! The client's configuration against the mock: credentials rotated under concurrent
//! requests, each attempt signed with the credentials current at its start, User-Agent,
//! domain styles, a caller's own HTTP client.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use cos_ci_client::credentials::{ProvideFuture, provide_credentials_fn};
use cos_ci_client::{
    Client, ClientBuilder, Credentials, Domain, ProvideCredentials, RetryPolicy, USER_AGENT,
};
use cos_ci_mock::{Account, Config, Fault, MockServer, RecordedRequest};

/// A mock with two bucket-owner accounts, `AKIDFIRST` and `AKIDSECOND`.
async fn two_accounts() -> MockServer {
    let account = |id: &str, key: &str| Account {
        secret_id: id.to_string(),
        secret_key: key.to_string(),
        ..Account::default()
    };
    MockServer::start_with(Config {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        accounts: vec![
            account("AKIDFIRST", "first-secret"),
            account("AKIDSECOND", "second-secret"),
        ],
        ..Config::default()
    })
    .await
    .unwrap()
}

fn builder(server: &MockServer) -> ClientBuilder {
    Client::builder()
        .region(server.region())
        .bucket(server.bucket())
        .endpoint(server.endpoint())
        .scheme("http")
}

/// The SecretId a recorded request was signed with.
fn signed_by(request: &RecordedRequest) -> String {
    let auth = request
        .headers
        .iter()
        .find(|(k, _)| k == "authorization")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    // The log redacts q-signature (so the header no longer parses) but keeps q-ak.
    auth.split('&')
        .find_map(|field| field.strip_prefix("q-ak="))
        .unwrap_or_default()
        .to_string()
}

fn header<'a>(request: &'a RecordedRequest, name: &str) -> Option<&'a str> {
    request
        .headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Hands out the first account's pair for its first `switch_after` calls, the second's
/// after; each pair expires within the refresh window, so every request asks again.
#[derive(Debug)]
struct Rotating {
    calls: AtomicUsize,
    switch_after: usize,
}

impl ProvideCredentials for Rotating {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        let expires = SystemTime::now() + Duration::from_secs(60);
        let credentials = if call < self.switch_after {
            Credentials::new("AKIDFIRST", "first-secret")
        } else {
            Credentials::new("AKIDSECOND", "second-secret")
        };
        Box::pin(async move {
            // A provider takes a while: concurrent callers pile up behind it.
            tokio::time::sleep(Duration::from_millis(2)).await;
            Ok(credentials.with_token("t").with_expiry(expires))
        })
    }
}

#[tokio::test]
async fn credentials_rotate_under_concurrent_requests() {
    let server = two_accounts().await;
    let provider = Arc::new(Rotating {
        calls: AtomicUsize::new(0),
        switch_after: 3,
    });
    let client = builder(&server)
        .shared_credentials_provider(provider.clone())
        // Five minutes > the pairs' 60 s: every pair is due for refresh at once.
        .credentials_refresh_before(Duration::from_secs(300))
        .build()
        .unwrap();
    client
        .put_object("seed.txt", "x".to_string())
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..6 {
                let key = format!("w{worker}/{i}.txt");
                client.put_object(&key, format!("{worker}-{i}")).await?;
                client.head_object(&key).await?;
            }
            Ok::<_, cos_ci_client::Error>(())
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let log = server.requests();
    assert_eq!(log.len(), 1 + 8 * 6 * 2);
    assert!(
        log.iter().all(|r| r.status == 200),
        "every request succeeded"
    );
    let ids: Vec<String> = log.iter().map(signed_by).collect();
    assert!(ids.iter().any(|id| id == "AKIDFIRST"), "{ids:?}");
    assert!(ids.iter().any(|id| id == "AKIDSECOND"), "{ids:?}");
    let calls = provider.calls.load(Ordering::SeqCst);
    assert!(calls > 3, "the provider was asked again: {calls}");
    // The log shows the token as a fingerprint: the same one on every request.
    let token = header(&log[0], "x-cos-security-token");
    assert!(token.is_some_and(|t| t != "t"), "{token:?}");
    assert!(
        log.iter()
            .all(|r| header(r, "x-cos-security-token") == token),
        "the token goes with every pair"
    );
}

#[tokio::test]
async fn each_attempt_signs_with_the_credentials_current_at_its_start() {
    let server = two_accounts().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let provider = provide_credentials_fn(move || {
        let call = counter.fetch_add(1, Ordering::SeqCst);
        async move {
            let pair = if call == 0 {
                Credentials::new("AKIDFIRST", "first-secret")
            } else {
                Credentials::new("AKIDSECOND", "second-secret")
            };
            // Already inside the refresh window: the next attempt fetches again.
            Ok::<_, std::io::Error>(pair.with_expiry(SystemTime::now() + Duration::from_secs(120)))
        }
    });
    let client = builder(&server)
        .credentials_provider(provider)
        .retry(RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            max_elapsed: Duration::from_secs(10),
        })
        .build()
        .unwrap();
    server.inject_fault(Fault::error(Some("PutObject"), 503, "ServiceUnavailable"));
    client
        .put_object("retried.txt", "body".to_string())
        .await
        .unwrap();
    let log = server.requests();
    assert_eq!(log.len(), 2, "one failed attempt, one retry");
    assert_eq!(log[0].status, 503);
    assert_eq!(log[1].status, 200);
    assert_eq!(signed_by(&log[0]), "AKIDFIRST");
    assert_eq!(signed_by(&log[1]), "AKIDSECOND");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn requests_carry_the_user_agent() {
    let server = MockServer::start().await.unwrap();
    let client = builder(&server)
        .credentials(Credentials::new(server.secret_id(), server.secret_key()))
        .build()
        .unwrap();
    client.put_object("ua.txt", "x".to_string()).await.unwrap();
    assert_eq!(USER_AGENT, format!("cos-ci/{}", env!("CARGO_PKG_VERSION")));
    assert_eq!(
        header(&server.requests()[0], "user-agent"),
        Some(USER_AGENT)
    );
}

#[tokio::test]
async fn a_callers_http_client_is_used_with_its_own_user_agent() {
    let server = MockServer::start().await.unwrap();
    let http = reqwest::Client::builder()
        .user_agent("my-app/1.0")
        .no_proxy()
        .build()
        .unwrap();
    let client = builder(&server)
        .credentials(Credentials::new(server.secret_id(), server.secret_key()))
        .http_client(http)
        .build()
        .unwrap();
    client
        .put_object("mine.txt", "x".to_string())
        .await
        .unwrap();
    assert_eq!(client.get_object("mine.txt").await.unwrap().bytes, "x");
    assert_eq!(
        header(&server.requests()[0], "user-agent"),
        Some("my-app/1.0")
    );
}

#[tokio::test]
async fn every_domain_style_reaches_the_bucket_through_an_endpoint() {
    let server = MockServer::start().await.unwrap();
    let bucket = server.bucket().to_string();
    let region = server.region().to_string();
    let cases = [
        (
            Domain::MyQcloud,
            format!("{bucket}.cos.{region}.myqcloud.com"),
        ),
        (
            Domain::TencentCos,
            format!("{bucket}.cos.{region}.tencentcos.cn"),
        ),
        (
            Domain::Accelerate,
            format!("{bucket}.cos.accelerate.myqcloud.com"),
        ),
        (
            Domain::Custom("images.example.com".into()),
            "images.example.com".to_string(),
        ),
    ];
    for (i, (domain, host)) in cases.into_iter().enumerate() {
        let client = builder(&server)
            .credentials(Credentials::new(server.secret_id(), server.secret_key()))
            .domain(domain.clone())
            .build()
            .unwrap();
        assert_eq!(client.host(), host);
        let key = format!("styles/{i}.txt");
        client.put_object(&key, "styled".to_string()).await.unwrap();
        let recorded = server.requests().pop().unwrap();
        assert_eq!(recorded.status, 200, "{domain:?}");
        // The Host is signed: the mock verified it.
        assert_eq!(header(&recorded, "host"), Some(host.as_str()), "{domain:?}");
        assert_eq!(recorded.bucket, bucket, "{domain:?}");
    }
}
