//! `cos-ci-mock`: run the COS + CI emulator.
//!
//! ```text
//! cos-ci-mock [--listen ADDR] [--secret-id ID --secret-key KEY] [--bucket NAME-APPID]...
//!             [--data-dir DIR] [--config FILE]
//!             [--admin on|off] [--admin-token TOKEN] [--i-know-this-is-public]
//!             [--spec DIR]...
//! ```
//! Flags override the configuration file. On start it prints `listening on http://HOST:PORT`
//! as the first line of stdout, then on stderr which accounts and which test API are live.
//! It refuses a non-loopback address while a published key is an account or `/_mock/` is on
//! without a token, unless `--i-know-this-is-public`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use clap::builder::TypedValueParser as _;
use cos_ci_mock::config::AdminToken;
use cos_ci_mock::{Config, MockOperation, MockServer};

/// A local emulator of Tencent COS + CI image processing, for tests.
#[derive(Debug, Parser)]
#[command(name = "cos-ci-mock", version, about, long_about = None)]
struct Args {
    /// Address to listen on (port 0 picks a free port) [default: 127.0.0.1:9000].
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// SecretId of the account (the bucket owner) [default: AKIDEXAMPLE]. Own credentials
    /// replace the published AKIDEXAMPLE / example-secret account, also one from --config.
    #[arg(long, value_name = "ID", requires = "secret_key")]
    secret_id: Option<String>,
    /// SecretKey of the account [default: example-secret].
    #[arg(long, value_name = "KEY", requires = "secret_id")]
    secret_key: Option<String>,
    /// A bucket, `<name>-<APPID>`; repeat for more. The first is the default bucket for Hosts
    /// that carry none [default: examplebucket-1250000000].
    #[arg(long = "bucket", value_name = "NAME-APPID")]
    buckets: Vec<String>,
    /// Persist objects in this directory (in memory when absent).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// JSON configuration: accounts with policies, detect-url hosts, limits
    /// (see crates/cos-ci-mock/examples/config.json).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Serve the operations described by the YAML files (`<kebab-name>.yaml`, the format of
    /// spec/operations/) in this folder too; repeatable. Each answers with the stand-in its
    /// `mock.processor` names.
    #[cfg(feature = "runtime-spec")]
    #[arg(long = "spec", value_name = "DIR")]
    specs: Vec<PathBuf>,

    // ---- test API and public exposure ----
    /// Serve the test API under /_mock/ (request log, reset, faults) [default: on only while
    /// listening on a loopback address].
    #[arg(long, value_name = "on|off", value_parser = clap::builder::PossibleValuesParser::new(["on", "off"]).map(|s| s == "on"))]
    admin: Option<bool>,
    /// Require `Authorization: Bearer TOKEN` on /_mock/.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "COS_CI_MOCK_ADMIN_TOKEN",
        hide_env_values = true
    )]
    admin_token: Option<String>,
    /// Start on a non-loopback --listen address even while a published key (the default
    /// AKIDEXAMPLE) is an account or /_mock/ is on without a token.
    #[arg(long)]
    i_know_this_is_public: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let operations = match operations(&args) {
        Ok(operations) => operations,
        Err(message) => {
            eprintln!("cos-ci-mock: {message}");
            return ExitCode::from(2);
        }
    };
    let config = match configure(args) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("cos-ci-mock: {message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cos-ci-mock: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(config, operations))
}

/// The operations of every `--spec DIR`, each answered by its spec's stand-in.
#[cfg(feature = "runtime-spec")]
fn operations(args: &Args) -> Result<Vec<MockOperation>, String> {
    if args.specs.is_empty() {
        return Ok(Vec::new());
    }
    let specs = cos_ci_validate::runtime::load_operations(&args.specs)
        .map_err(|e| format!("--spec:\n{e}"))?;
    Ok(specs.into_iter().map(MockOperation::new).collect())
}

#[cfg(not(feature = "runtime-spec"))]
fn operations(_: &Args) -> Result<Vec<MockOperation>, String> {
    Ok(Vec::new())
}

fn configure(args: Args) -> Result<Config, String> {
    let mut config = match &args.config {
        Some(path) => Config::load(path).map_err(|e| e.to_string())?,
        None => Config::default(),
    };
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    // Own credentials replace the published development key, which would otherwise stay
    // usable by anyone with full owner rights.
    if let (Some(id), Some(key)) = (args.secret_id, args.secret_key) {
        config.set_owner(id, key);
    }
    if !args.buckets.is_empty() {
        config.buckets = args.buckets;
    }
    if args.data_dir.is_some() {
        config.data_dir = args.data_dir;
    }

    if let Some(admin) = args.admin {
        config.admin = Some(admin);
    }
    if let Some(token) = args.admin_token {
        config.admin_token = Some(AdminToken::new(token));
    }
    if args.i_know_this_is_public {
        config.allow_public = true;
    }
    config.validate().map_err(|e| e.to_string())?;
    config.check_public_exposure()?;
    Ok(config)
}

async fn run(config: Config, operations: Vec<MockOperation>) -> ExitCode {
    let extra: Vec<String> = operations
        .iter()
        .map(|op| format!("{} ({})", op.spec().name, op.spec().source()))
        .collect();
    let server = match MockServer::builder()
        .config(config)
        .operations(operations)
        .start()
        .await
    {
        Ok(server) => server,
        Err(e) => {
            eprintln!("cos-ci-mock: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("listening on {}", server.endpoint());
    // The first stdout line is the contract; what is live goes to stderr.
    for line in server
        .config()
        .startup_lines(server.addr(), server.admin_enabled())
    {
        eprintln!("cos-ci-mock: {line}");
    }
    if !extra.is_empty() {
        eprintln!("cos-ci-mock: operations from --spec: {}", extra.join(", "));
    }
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("cos-ci-mock: {e}");
    }
    drop(server);
    ExitCode::SUCCESS
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn configured(args: &[&str]) -> Config {
        let args = Args::try_parse_from(std::iter::once("cos-ci-mock").chain(args.iter().copied()))
            .unwrap();
        configure(args).unwrap()
    }

    #[test]
    fn own_credentials_replace_the_published_key() {
        let defaults = configured(&[]);
        assert!(defaults.accounts.iter().any(|a| a.uses_published_key()));

        let own = configured(&["--secret-id", "AKIDMINE", "--secret-key", "mine"]);
        assert_eq!(own.accounts.len(), 1);
        assert_eq!(own.accounts[0].secret_id, "AKIDMINE");
        assert_eq!(own.accounts[0].secret_key, "mine");
        assert!(own.accounts[0].policy.is_none());
        assert!(own.account("AKIDEXAMPLE").is_none());

        // With a config file that lists the published key too (as the example does), it goes;
        // its sub-users stay.
        let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/config.json");
        let from_file = configured(&[
            "--config",
            example,
            "--secret-id",
            "AKIDMINE",
            "--secret-key",
            "mine",
        ]);
        assert_eq!(from_file.accounts[0].secret_id, "AKIDMINE");
        assert!(from_file.account("AKIDEXAMPLE").is_none());
        assert!(!from_file.accounts.iter().any(|a| a.uses_published_key()));
        assert!(from_file.account("AKIDREADEREXAMPLE").is_some());
        assert!(
            configured(&["--config", example])
                .account("AKIDEXAMPLE")
                .is_some()
        );
    }
}
