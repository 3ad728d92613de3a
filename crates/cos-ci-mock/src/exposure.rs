//! What a server others can reach exposes: the problems `cos-ci-mock` refuses to start with on
//! a non-loopback address (unless told `--i-know-this-is-public`), and the startup lines that
//! say which credentials and which test API are live.

use std::net::SocketAddr;

use crate::config::{Account, Config, DEFAULT_SECRET_ID, is_loopback};

/// SecretKeys published with this project (the default account and `examples/config.json`):
/// anyone can sign with them.
pub const PUBLISHED_SECRET_KEYS: &[&str] = &[
    "example-secret",
    "reader-secret",
    "uploader-secret",
    "temporary-secret",
];

impl Config {
    /// Whether `account` signs with a key published with this project.
    pub fn is_published_key(account: &Account) -> bool {
        PUBLISHED_SECRET_KEYS.contains(&account.secret_key.as_str())
    }

    /// Why listening on [`listen`](Config::listen) would expose this server to others: one
    /// sentence per problem, each saying what to change; empty on a loopback address. Problems:
    /// an account signs with a published key (the default `AKIDEXAMPLE` / `example-secret`
    /// among them), or the test API `/_mock/` is on without `admin_token`. `allow_public`
    /// does not hide them; [`Config::check_public_exposure`] honours it.
    pub fn public_exposure_problems(&self) -> Vec<String> {
        if is_loopback(self.listen.ip()) {
            return Vec::new();
        }
        let mut problems = Vec::new();
        let published: Vec<&str> = self
            .accounts
            .iter()
            .filter(|a| Config::is_published_key(a))
            .map(|a| a.secret_id.as_str())
            .collect();
        if !published.is_empty() {
            problems.push(format!(
                "account {} signs with a SecretKey published with cos-ci, so anyone can sign \
                 requests; give your own --secret-id/--secret-key (or accounts in --config)",
                published.join(", ")
            ));
        }
        if self.admin_enabled_on(self.listen) && self.admin_token.is_none() {
            problems.push(
                "the test API /_mock/ is on without a token, so anyone who can reach the server \
                 could wipe every object and inject faults; pass --admin off or --admin-token TOKEN"
                    .to_string(),
            );
        }
        problems
    }

    /// `Ok` unless [`Config::public_exposure_problems`] finds any and `allow_public` is off;
    /// the error is the whole message to print.
    pub fn check_public_exposure(&self) -> Result<(), String> {
        let problems = self.public_exposure_problems();
        if problems.is_empty() || self.allow_public {
            return Ok(());
        }
        let mut message = format!(
            "refusing to listen on {}, an address other machines can reach:",
            self.listen
        );
        for p in &problems {
            message.push_str("\n  - ");
            message.push_str(p);
        }
        message.push_str(
            "\nListen on 127.0.0.1 instead, fix the above, or pass --i-know-this-is-public \
             (config \"allow_public\": true) to start anyway.",
        );
        Err(message)
    }

    /// Lines for a server bound to `addr` with `admin` on or off, saying which credentials
    /// (SecretIds only, never keys) and which test API are live.
    pub fn startup_lines(&self, addr: SocketAddr, admin: bool) -> Vec<String> {
        let mut lines = Vec::new();
        for a in &self.accounts {
            let role = match (&a.policy, &a.name) {
                (None, _) => "bucket owner, may do everything".to_string(),
                (Some(_), Some(name)) => format!("{name:?}, limited by its policy"),
                (Some(_), None) => "limited by its policy".to_string(),
            };
            let public = if Config::is_published_key(a) {
                if a.secret_id == DEFAULT_SECRET_ID && a.secret_key == "example-secret" {
                    "; the PUBLIC development key: anyone can sign with it"
                } else {
                    "; a PUBLISHED example key: anyone can sign with it"
                }
            } else {
                ""
            };
            // Without declared tokens any x-cos-security-token passes, as before session_tokens.
            let tokens = if a.session_tokens.is_empty() {
                "; any security token accepted (declare session_tokens to check them)"
            } else {
                "; security tokens checked"
            };
            lines.push(format!("account {} ({role}{public}{tokens})", a.secret_id));
        }
        if !self.verify_signatures {
            lines.push(
                "signatures are NOT verified (verify_signatures: false): any SecretId that exists is accepted"
                    .to_string(),
            );
        }
        let api = match (admin, &self.admin_token) {
            (false, _) => "off (/_mock/ paths are ordinary keys)".to_string(),
            (true, Some(_)) => {
                "on, needs `Authorization: Bearer <token>`; requests with Origin refused"
                    .to_string()
            }
            (true, None) => format!(
                "on without a token, for loopback Hosts only; requests with Origin refused{}",
                if is_loopback(addr.ip()) {
                    "; --admin off turns it off"
                } else {
                    ""
                }
            ),
        };
        lines.push(format!("test API /_mock/: {api}"));
        if !is_loopback(addr.ip()) {
            let problems = self.public_exposure_problems();
            if problems.is_empty() {
                lines.push(format!("reachable from other machines on {addr}"));
            } else {
                let n = problems.len();
                lines.push(format!(
                    "WARNING: reachable from other machines on {addr} with {n} problem{} \
                     (--i-know-this-is-public)",
                    if n == 1 { "" } else { "s" }
                ));
                lines.extend(problems.into_iter().map(|p| format!("WARNING: {p}")));
            }
        }
        lines
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::AdminToken;

    fn on(listen: &str) -> Config {
        Config {
            listen: listen.parse().unwrap(),
            ..Config::default()
        }
    }

    fn own_account(c: &mut Config) {
        c.set_owner("AKIDOWN", "a-real-secret");
    }

    #[test]
    fn loopback_is_never_a_problem() {
        for listen in [
            "127.0.0.1:0",
            "127.0.0.2:9000",
            "[::1]:9000",
            "[::ffff:127.0.0.1]:1",
        ] {
            let c = on(listen);
            assert!(c.public_exposure_problems().is_empty(), "{listen}");
            assert!(c.check_public_exposure().is_ok());
            assert!(
                c.admin_enabled_on(c.listen),
                "{listen}: admin on by default"
            );
        }
    }

    #[test]
    fn public_defaults_are_refused_with_what_to_change() {
        for listen in ["0.0.0.0:0", "[::]:9000", "10.1.2.3:9000"] {
            let c = on(listen);
            assert!(
                !c.admin_enabled_on(c.listen),
                "{listen}: admin off by default"
            );
            let problems = c.public_exposure_problems();
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert!(problems[0].contains("AKIDEXAMPLE") && problems[0].contains("--secret-id"));
            let message = c.check_public_exposure().unwrap_err();
            assert!(message.contains(listen) && message.contains("--i-know-this-is-public"));
            assert!(
                !message.contains("example-secret"),
                "never the key: {message}"
            );
        }
        // The test API on without a token is the other problem.
        let mut c = on("0.0.0.0:0");
        c.admin = Some(true);
        let problems = c.public_exposure_problems();
        assert_eq!(problems.len(), 2);
        assert!(problems[1].contains("/_mock/") && problems[1].contains("--admin-token"));
        own_account(&mut c);
        assert_eq!(c.public_exposure_problems().len(), 1);
        c.admin_token = Some(AdminToken::new("t0ken"));
        assert!(c.public_exposure_problems().is_empty());
        assert!(c.check_public_exposure().is_ok());
        c.admin_token = None;
        c.admin = Some(false);
        assert!(c.check_public_exposure().is_ok());
        // Every key published in the example config counts, under any SecretId.
        c.accounts[0].secret_key = "reader-secret".into();
        assert!(c.check_public_exposure().unwrap_err().contains("AKIDOWN"));
        // The operator may insist.
        c.allow_public = true;
        assert!(c.check_public_exposure().is_ok());
        assert_eq!(c.public_exposure_problems().len(), 1, "still reported");
    }

    #[test]
    fn published_keys_cover_the_example_config() {
        let c = Config::from_json(include_str!("../examples/config.json")).unwrap();
        assert!(c.accounts.iter().all(Config::is_published_key));
        assert!(
            Config::default()
                .accounts
                .iter()
                .all(Config::is_published_key)
        );
    }

    #[test]
    fn startup_lines_name_ids_and_the_test_api_never_keys() {
        let c = on("127.0.0.1:0");
        let lines = c.startup_lines("127.0.0.1:9000".parse().unwrap(), true);
        assert_eq!(
            lines,
            [
                "account AKIDEXAMPLE (bucket owner, may do everything; the PUBLIC development key: anyone can sign with it; any security token accepted (declare session_tokens to check them))",
                "test API /_mock/: on without a token, for loopback Hosts only; requests with Origin refused; --admin off turns it off",
            ]
        );
        let mut c = Config::from_json(include_str!("../examples/config.json")).unwrap();
        c.admin_token = Some(AdminToken::new("t0ken"));
        c.verify_signatures = false;
        let text = c
            .startup_lines("127.0.0.1:9000".parse().unwrap(), true)
            .join("\n");
        assert!(text.contains(
            "account AKIDREADEREXAMPLE (\"reader\", limited by its policy; a PUBLISHED example key"
        ));
        assert!(text.contains("NOT verified"));
        assert!(text.contains("AKIDTEMPORARYEXAMPLE (bucket owner, may do everything; a PUBLISHED example key: anyone can sign with it; security tokens checked)"), "{text}");
        assert!(text.contains("test API /_mock/: on, needs `Authorization: Bearer <token>`"));
        for secret in [
            "example-secret",
            "reader-secret",
            "uploader-secret",
            "temporary-secret",
            "t0ken",
        ] {
            assert!(!text.contains(secret), "{secret}: {text}");
        }
        let mut c = on("0.0.0.0:0");
        c.allow_public = true;
        let text = c
            .startup_lines("0.0.0.0:9000".parse().unwrap(), false)
            .join("\n");
        assert!(text.contains("test API /_mock/: off"), "{text}");
        assert!(
            text.contains("WARNING: reachable from other machines on 0.0.0.0:9000 with 1 problem"),
            "{text}"
        );
        own_account(&mut c);
        let text = c
            .startup_lines("0.0.0.0:9000".parse().unwrap(), false)
            .join("\n");
        assert!(!text.contains("WARNING"), "{text}");
        assert!(
            text.contains("account AKIDOWN (bucket owner, may do everything; any security token"),
            "{text}"
        );
    }
}
