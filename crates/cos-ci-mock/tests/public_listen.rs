//! The binary on an address other machines can reach (issue 12): it refuses to start with the
//! public development key or an unauthenticated `/_mock/`, unless told
//! `--i-know-this-is-public`, and says on stderr which credentials and test API are live.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Generous: only a hang can take this long.
const LIMIT: Duration = Duration::from_secs(60);

fn mock(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_cos-ci-mock"))
        .args(args)
        .env_remove("COS_CI_MOCK_ADMIN_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Kills the child when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The exit status and stderr of a child expected to exit by itself.
fn refused(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Running(mock(args));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(start.elapsed() < LIMIT, "cos-ci-mock {args:?} did not exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (status.code(), stderr)
}

/// The first stdout line and the stderr lines up to the one about the test API, of a child
/// expected to start.
fn started(args: &[&str]) -> (Running, String, Vec<String>) {
    let mut child = Running(mock(args));
    let stdout = child.0.stdout.take().unwrap();
    let stderr = child.0.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut first = String::new();
        let _ = BufReader::new(stdout).read_line(&mut first);
        let mut lines = Vec::new();
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            let done = line.contains("test API /_mock/");
            lines.push(line);
            if done {
                break;
            }
        }
        let _ = tx.send((first, lines));
    });
    let (first, lines) = rx
        .recv_timeout(LIMIT)
        .unwrap_or_else(|_| panic!("cos-ci-mock {args:?} printed nothing"));
    (child, first, lines)
}

#[test]
fn a_public_address_with_the_public_key_is_refused_unless_insisted() {
    let (code, stderr) = refused(&["--listen", "0.0.0.0:0"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("refusing to listen on 0.0.0.0:0")
            && stderr.contains("AKIDEXAMPLE")
            && stderr.contains("--secret-id")
            && stderr.contains("--i-know-this-is-public"),
        "{stderr}"
    );
    assert!(!stderr.contains("example-secret"), "never a key: {stderr}");

    // Turning the test API on without a token is named as well.
    let (code, stderr) = refused(&["--listen", "0.0.0.0:0", "--admin", "on"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("/_mock/") && stderr.contains("--admin-token"),
        "{stderr}"
    );

    let (child, first, lines) = started(&["--listen", "0.0.0.0:0", "--i-know-this-is-public"]);
    assert!(
        first.starts_with("listening on http://0.0.0.0:"),
        "{first:?}"
    );
    let text = lines.join("\n");
    assert!(
        text.contains("account AKIDEXAMPLE (bucket owner")
            && text.contains("PUBLIC development key"),
        "{text}"
    );
    assert!(text.contains("test API /_mock/: off"), "{text}");
    assert!(!text.contains("example-secret"), "{text}");
    drop(child);
}

#[test]
fn own_credentials_and_a_token_start_on_a_public_address() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("own.json");
    std::fs::write(
        &config,
        r#"{"accounts": [{"secret_id": "AKIDOWN", "secret_key": "own-secret"}]}"#,
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let (_child, first, lines) = started(&[
        "--listen",
        "0.0.0.0:0",
        "--config",
        config,
        "--admin",
        "on",
        "--admin-token",
        "t0ken",
    ]);
    assert!(
        first.starts_with("listening on http://0.0.0.0:"),
        "{first:?}"
    );
    let text = lines.join("\n");
    assert!(text.contains("account AKIDOWN (bucket owner"), "{text}");
    assert!(
        text.contains("needs `Authorization: Bearer <token>`"),
        "{text}"
    );
    for secret in ["own-secret", "t0ken", "WARNING"] {
        assert!(!text.contains(secret), "{secret}: {text}");
    }

    // On loopback the defaults start as before, and say what is live.
    let (_child, first, lines) = started(&["--listen", "127.0.0.1:0"]);
    assert!(
        first.starts_with("listening on http://127.0.0.1:"),
        "{first:?}"
    );
    let text = lines.join("\n");
    assert!(text.contains("PUBLIC development key"), "{text}");
    assert!(
        text.contains("test API /_mock/: on without a token"),
        "{text}"
    );
}
