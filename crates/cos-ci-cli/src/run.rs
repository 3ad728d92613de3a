//! Running a parsed command.

use std::time::Duration;

use cos_ci_client::{
    Body, Cleanup, Client, ClientBuilder, Credentials, Error, OpSpec, ParamValues, PicOperations,
    PicRule, Source,
};

use crate::args::{Cli, Command, Global};
use crate::{listing, ops, output, transfer};

/// Why a command failed.
#[derive(Debug)]
pub enum Failure {
    /// A call failed.
    Client(Error),
    /// Arguments that cannot work.
    Usage(String),
    /// Some of many items failed (each reported as it happened).
    Partial(String),
    /// Ctrl-C: the transfer was stopped and cleaned up.
    Interrupted,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Client(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Client(Error::Io(e))
    }
}

/// The configured bucket's client, and clients for others named with `cos://BUCKET/...`.
pub struct Clients {
    /// The client of `--bucket`.
    pub default: Client,
}

impl Clients {
    /// A client for `bucket`, otherwise configured as the default one.
    pub fn for_bucket(&self, bucket: &str) -> Result<Client, Error> {
        if bucket == self.default.config().bucket {
            return Ok(self.default.clone());
        }
        let mut config = self.default.config().clone();
        config.bucket = bucket.to_string();
        Client::new(config)
    }
}

/// Runs every command but `ops`; Ctrl-C stops it, removes a partial download and aborts a
/// multipart upload (waiting up to 10 s for the abort).
pub async fn run(cli: Cli) -> Result<(), Failure> {
    let cleanup = Cleanup::new();
    let result = tokio::select! {
        result = run_command(cli, &cleanup) => result,
        _ = tokio::signal::ctrl_c() => Err(Failure::Interrupted),
    };
    if !cleanup.wait(Duration::from_secs(10)).await {
        eprintln!("warning: an interrupted multipart upload could not be aborted in time");
    }
    result
}

async fn run_command(cli: Cli, cleanup: &Cleanup) -> Result<(), Failure> {
    let json = cli.global.json;
    let client = client(cli.global)?;
    let clients = Clients {
        default: client.clone(),
    };
    match cli.command {
        Command::Put {
            file,
            key,
            transfer: t,
        } => transfer::put(&client, &file, &key, t, cleanup).await,
        Command::Get {
            key,
            file,
            transfer: t,
        } => transfer::get(&client, &key, &file, t, cleanup).await,
        Command::Cp {
            src,
            dst,
            transfer: t,
        } => transfer::cp(&clients, &src, &dst, t, cleanup).await,
        Command::Ls { prefix, recursive } => listing::ls(&clients, &prefix, recursive, json).await,
        Command::Rm {
            keys,
            recursive,
            dry_run,
        } => listing::rm(&clients, &keys, recursive, dry_run).await,
        Command::Process {
            op,
            key,
            detect_url,
            output,
            params,
        } => {
            let (spec, values) = decode(&op, &params)?;
            let source = match (key, detect_url) {
                (_, Some(url)) => Source::url(url),
                (Some(key), None) => Source::key(key),
                (None, None) => {
                    return Err(Failure::Usage("give an object key or --detect-url".into()));
                }
            };
            let image = client.process_values(spec, &values, &source).await?;
            tokio::fs::write(&output, &image.bytes).await?;
            eprintln!(
                "wrote {} bytes ({}) to {}",
                image.bytes.len(),
                image.content_type,
                output.display()
            );
            Ok(())
        }
        Command::Upload {
            op,
            file,
            key,
            fileid,
            params,
        } => {
            let ops = rule(&op, &fileid, &params)?;
            let body = Body::from_file(&file).await?;
            let result = client.put_object_with(&key, body, &ops).await?;
            println!("{:#}", output::upload_result_json(&result));
            Ok(())
        }
        Command::Cloud {
            op,
            key,
            fileid,
            params,
        } => {
            let ops = rule(&op, &fileid, &params)?;
            let result = client.image_process(&key, &ops).await?;
            println!("{:#}", output::upload_result_json(&result));
            Ok(())
        }
        Command::Presign {
            op,
            key,
            params,
            expires,
        } => {
            let (spec, values) = decode(&op, &params)?;
            let url = client.presign_values(
                spec,
                &values,
                &Source::key(key),
                Duration::from_secs(expires),
            )?;
            println!("{url}");
            Ok(())
        }
        Command::Ops => Ok(()),
        Command::Batch(args) => crate::batch::run(&client, args).await,
    }
}

fn client(global: Global) -> Result<Client, Error> {
    let mut builder = ClientBuilder::from_env();
    if let Some(region) = global.region {
        builder = builder.region(region);
    }
    if let Some(bucket) = global.bucket {
        builder = builder.bucket(bucket);
    }
    if let (Some(id), Some(key)) = (global.secret_id, global.secret_key) {
        let mut credentials = Credentials::new(id, key);
        if let Some(token) = global.token {
            credentials = credentials.with_token(token);
        }
        builder = builder.credentials(credentials);
    }
    if let Some(endpoint) = global.endpoint {
        builder = builder.endpoint(endpoint);
    }
    builder.build()
}

/// `-p NAME=VALUE` pairs checked against the operation's spec.
pub(crate) fn decode(op: &str, params: &[String]) -> Result<(&'static OpSpec, ParamValues), Error> {
    let spec = ops::find(op).map_err(|reason| Error::InvalidArgument {
        argument: "OP",
        reason,
    })?;
    let mut pairs = Vec::new();
    for p in params {
        let (name, value) = p.split_once('=').ok_or_else(|| Error::InvalidArgument {
            argument: "-p",
            reason: format!("parameter {p:?} is not NAME=VALUE"),
        })?;
        pairs.push((name, value));
    }
    let values = spec.decode_pairs(pairs, true)?;
    Ok((spec, values))
}

fn rule(op: &str, fileid: &str, params: &[String]) -> Result<PicOperations, Error> {
    let (spec, values) = decode(op, params)?;
    cos_ci_validate::check_fileid(fileid)?;
    let mut ops = PicOperations::new();
    ops.rules.push(PicRule {
        bucket: None,
        fileid: fileid.to_string(),
        rule: spec.encode_rule(&values),
    });
    Ok(ops)
}
