//! Credential providers and the client's cache: single flight, refresh ahead of expiry,
//! failed refreshes, the profile file, the environment, pre-signing with a lazy provider.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use cos_ci_client::credentials::{
    EnvironmentProvider, ProfileFileProvider, provide_credentials_fn,
};
use cos_ci_client::{Client, ConfigError, Credentials, CredentialsError, Error};

fn client(provider: impl cos_ci_client::ProvideCredentials + 'static) -> Client {
    Client::builder()
        .region("ap-guangzhou")
        .bucket("examplebucket-1250000000")
        .credentials_provider(provider)
        .credentials_refresh_before(Duration::from_secs(300))
        .build()
        .unwrap()
}

#[tokio::test]
async fn concurrent_callers_share_one_refresh() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let client = client(provide_credentials_fn(move || {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok::<_, std::io::Error>(
                Credentials::new(format!("AKID{n}"), "k")
                    .with_expiry(SystemTime::now() + Duration::from_secs(3600)),
            )
        }
    }));
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.load_credentials().await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().secret_id, "AKID0");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn credentials_are_refreshed_ahead_of_expiry() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let client = client(provide_credentials_fn(move || {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        // The first pair expires in 4 minutes, inside the 5-minute window; later ones in an hour.
        let lifetime = if n == 0 { 240 } else { 3600 };
        async move {
            Ok::<_, std::io::Error>(
                Credentials::new(format!("AKID{n}"), "k")
                    .with_token(format!("token{n}"))
                    .with_expiry(SystemTime::now() + Duration::from_secs(lifetime)),
            )
        }
    }));
    assert_eq!(client.load_credentials().await.unwrap().secret_id, "AKID0");
    // Still valid, but due: fetched again before use.
    let second = client.load_credentials().await.unwrap();
    assert_eq!(second.secret_id, "AKID1");
    assert_eq!(second.token.as_deref(), Some("token1"));
    // An hour left: from the cache.
    assert_eq!(client.load_credentials().await.unwrap().secret_id, "AKID1");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_failed_refresh_keeps_valid_credentials_and_fails_expired_ones() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let client = client(provide_credentials_fn(move || {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        async move {
            match n {
                // Due for refresh (1 minute left) but valid.
                0 => Ok(Credentials::new("AKIDvalid", "k")
                    .with_expiry(SystemTime::now() + Duration::from_secs(60))),
                _ => Err(std::io::Error::other("STS is down")),
            }
        }
    }));
    assert_eq!(
        client.load_credentials().await.unwrap().secret_id,
        "AKIDvalid"
    );
    assert_eq!(
        client.load_credentials().await.unwrap().secret_id,
        "AKIDvalid"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2, "the refresh was tried");

    let expired = client_with_expired();
    let err = expired.load_credentials().await.unwrap_err();
    assert!(
        matches!(&err, Error::Credentials(CredentialsError::Expired { secret_id }) if secret_id == "AKIDold"),
        "{err}"
    );
    let err = expired.load_credentials().await.unwrap_err();
    assert!(
        matches!(err, Error::Credentials(CredentialsError::Provider(_))),
        "{err}"
    );
    assert!(err.to_string().contains("STS is down"), "{err}");
}

fn client_with_expired() -> Client {
    let calls = Arc::new(AtomicUsize::new(0));
    client(provide_credentials_fn(move || {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        async move {
            match n {
                0 => Ok(Credentials::new("AKIDold", "k")
                    .with_expiry(SystemTime::now() - Duration::from_secs(1))),
                _ => Err(std::io::Error::other("STS is down")),
            }
        }
    }))
}

#[tokio::test]
async fn presigning_with_a_lazy_provider_needs_the_credentials_loaded() {
    let client = client(provide_credentials_fn(|| async {
        Ok::<_, std::io::Error>(
            Credentials::new("AKIDlazy", "k")
                .with_token("tok")
                .with_expiry(SystemTime::now() + Duration::from_secs(3600)),
        )
    }));
    let err = client
        .presign_get_object("a.png", Duration::from_secs(60))
        .unwrap_err();
    assert!(
        matches!(err, Error::Credentials(CredentialsError::NotLoaded)),
        "{err}"
    );
    client.load_credentials().await.unwrap();
    let url = client
        .presign_get_object("a.png", Duration::from_secs(60))
        .unwrap();
    assert!(url.contains("q-ak=AKIDlazy"), "{url}");
    assert!(url.contains("x-cos-security-token=tok"), "{url}");
}

#[test]
fn profiles_are_read_from_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials");
    std::fs::write(
        &path,
        "[default]\nsecret_id = \"AKIDdefault\"\nsecret_key = \"dk\"\n\n[temp]\nsecret_id = \"AKIDtemp\"\nsecret_key = \"tk\"\ntoken = \"tt\"\n\n[broken]\nsecret_id = \"AKIDbroken\"\n",
    )
    .unwrap();
    let default = ProfileFileProvider::new(&path, "default").load().unwrap();
    assert_eq!(
        (default.secret_id.as_str(), default.secret_key.as_str()),
        ("AKIDdefault", "dk")
    );
    assert_eq!(default.token, None);
    let temp = ProfileFileProvider::new(&path, "temp").load().unwrap();
    assert_eq!(temp.token.as_deref(), Some("tt"));

    let missing = ProfileFileProvider::new(&path, "nope").load().unwrap_err();
    assert!(
        matches!(&missing, CredentialsError::InvalidProfile { profile, .. } if profile == "nope"),
        "{missing}"
    );
    let broken = ProfileFileProvider::new(&path, "broken")
        .load()
        .unwrap_err();
    assert!(broken.to_string().contains("secret_key"), "{broken}");

    std::fs::write(&path, "[default]\nsecret_id = 12\n").unwrap();
    let err = ProfileFileProvider::new(&path, "default")
        .load()
        .unwrap_err();
    assert!(
        matches!(err, CredentialsError::InvalidProfileFile { .. }),
        "{err}"
    );
    std::fs::write(&path, "#".repeat(65 * 1024)).unwrap();
    let err = ProfileFileProvider::new(&path, "default")
        .load()
        .unwrap_err();
    assert!(err.to_string().contains("larger than"), "{err}");
}

#[test]
fn missing_settings_are_typed_config_errors() {
    let base = || {
        Client::builder()
            .region("ap-guangzhou")
            .bucket("examplebucket-1250000000")
            .credentials(Credentials::new("a", "b"))
    };
    type Expect = fn(&ConfigError) -> bool;
    let cases: Vec<(cos_ci_client::ClientBuilder, Expect)> = vec![
        (
            Client::builder()
                .bucket("examplebucket-1250000000")
                .credentials(Credentials::new("a", "b")),
            |e| matches!(e, ConfigError::MissingRegion),
        ),
        (
            Client::builder()
                .region("ap-guangzhou")
                .credentials(Credentials::new("a", "b")),
            |e| matches!(e, ConfigError::MissingBucket),
        ),
        (
            Client::builder()
                .region("ap-guangzhou")
                .bucket("examplebucket-1250000000"),
            |e| matches!(e, ConfigError::MissingCredentials),
        ),
        (base().endpoint("ftp://x"), |e| {
            matches!(e, ConfigError::InvalidEndpoint { .. })
        }),
        (base().bucket("nope"), |e| {
            matches!(e, ConfigError::InvalidBucket { .. })
        }),
        (
            base().domain(cos_ci_client::Domain::Custom("bad host/x".into())),
            |e| matches!(e, ConfigError::InvalidDomain { .. }),
        ),
    ];
    for (builder, expected) in cases {
        match builder.build() {
            Err(Error::Config(e)) => assert!(expected(&e), "{e}"),
            other => panic!("expected a config error, got {other:?}"),
        }
    }
}

/// Runs this test binary again with `vars` set (a test may not change its own environment)
/// and only the test `name`, which checks what it sees.
fn in_child(name: &str, vars: &[(&str, &str)]) {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command.args([name, "--exact", "--nocapture"]);
    for var in [
        "TENCENTCLOUD_SECRET_ID",
        "TENCENTCLOUD_SECRET_KEY",
        "TENCENTCLOUD_SESSION_TOKEN",
        "TENCENTCLOUD_TOKEN",
        "TENCENTCLOUD_REGION",
        "COS_SECRET_ID",
        "COS_SECRET_KEY",
        "COS_SECURITY_TOKEN",
        "COS_REGION",
        "COS_BUCKET",
        "COS_CI_CREDENTIALS_FILE",
    ] {
        command.env_remove(var);
    }
    command
        .env("COS_CI_ENV_CHILD", "1")
        .envs(vars.iter().copied());
    let output = command.output().unwrap();
    assert!(
        output.status.success() && String::from_utf8_lossy(&output.stdout).contains("1 passed"),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_environment_is_read_tencent_names_first() {
    in_child(
        "env_child_tencent_names_win",
        &[
            ("TENCENTCLOUD_SECRET_ID", "AKIDtencent"),
            ("TENCENTCLOUD_SECRET_KEY", "tk"),
            ("TENCENTCLOUD_TOKEN", "tccli-token"),
            ("TENCENTCLOUD_REGION", "ap-beijing"),
            ("COS_SECRET_ID", "AKIDcos"),
            ("COS_SECRET_KEY", "ck"),
            ("COS_REGION", "ap-shanghai"),
            ("COS_BUCKET", "examplebucket-1250000000"),
        ],
    );
    in_child(
        "env_child_cos_aliases",
        &[
            ("COS_SECRET_ID", "AKIDcos"),
            ("COS_SECRET_KEY", "ck"),
            ("COS_SECURITY_TOKEN", "cos-token"),
            ("COS_REGION", "ap-shanghai"),
        ],
    );
}

#[test]
fn env_child_tencent_names_win() {
    if std::env::var_os("COS_CI_ENV_CHILD").is_none() {
        return;
    }
    let c = EnvironmentProvider.load().unwrap();
    assert_eq!(c.secret_id, "AKIDtencent");
    assert_eq!(c.secret_key, "tk");
    assert_eq!(c.token.as_deref(), Some("tccli-token"));
    let client = cos_ci_client::ClientBuilder::from_env().build().unwrap();
    assert_eq!(client.config().region, "ap-beijing");
}

#[test]
fn env_child_cos_aliases() {
    if std::env::var_os("COS_CI_ENV_CHILD").is_none() {
        return;
    }
    let c = EnvironmentProvider.load().unwrap();
    assert_eq!(c.secret_id, "AKIDcos");
    assert_eq!(c.token.as_deref(), Some("cos-token"));
    let err = cos_ci_client::ClientBuilder::from_env()
        .build()
        .unwrap_err();
    assert!(
        matches!(err, Error::Config(ConfigError::MissingBucket)),
        "{err}"
    );
}
