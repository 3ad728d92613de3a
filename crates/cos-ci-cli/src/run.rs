//! Running a parsed command that talks to COS.

use std::time::Duration;

use cos_ci_client::{
    Body, Cleanup, Client, Error, OpSpec, ParamValues, PicOperations, PicRule, Source,
};
use serde_json::json;

use crate::args::{Cli, Command};
pub use crate::exit::Failure;
use crate::settings::Settings;
use crate::transfer::Transfer;
use crate::{listing, ops, output, remote, transfer};

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

    /// The client for a `ls`/`rm`/`head` argument (a key, or `cos://BUCKET/KEY`) and its key.
    pub fn for_key(&self, arg: &str) -> Result<(Client, String), Failure> {
        let (bucket, key) = remote::parse_key(arg).map_err(Failure::Usage)?;
        let client = match &bucket {
            Some(b) => self.for_bucket(b)?,
            None => self.default.clone(),
        };
        Ok((client, key))
    }
}

/// Runs every command that needs a client; Ctrl-C stops it, removes a partial download and
/// aborts a multipart upload (waiting up to 10 s for the abort).
pub async fn run(cli: Cli, settings: Settings) -> Result<(), Failure> {
    let cleanup = Cleanup::new();
    let result = tokio::select! {
        result = run_command(cli, &settings, &cleanup) => result,
        _ = tokio::signal::ctrl_c() => Err(Failure::Interrupted),
    };
    if !cleanup.wait(Duration::from_secs(10)).await {
        tracing::warn!("an interrupted multipart upload could not be aborted in time");
        eprintln!("warning: an interrupted multipart upload could not be aborted in time");
    }
    result
}

async fn run_command(cli: Cli, settings: &Settings, cleanup: &Cleanup) -> Result<(), Failure> {
    let json = cli.global.json;
    let client = settings.client_builder()?.build()?;
    tracing::info!(host = %client.host(), endpoint = ?client.config().endpoint, "client ready");
    let clients = Clients {
        default: client.clone(),
    };
    let t = Transfer::from_settings(settings);
    match cli.command {
        Command::Put { file, key, .. } => {
            transfer::put(&client, &file, &key, &t, cleanup, json).await
        }
        Command::Get { key, file, .. } => {
            transfer::get(&client, &key, &file, &t, cleanup, json).await
        }
        Command::Cp { src, dst, .. } => transfer::cp(&clients, &src, &dst, &t, cleanup, json).await,
        Command::Ls { prefix, recursive } => listing::ls(&clients, &prefix, recursive, json).await,
        Command::Rm {
            keys,
            recursive,
            dry_run,
        } => listing::rm(&clients, &keys, recursive, dry_run, json).await,
        Command::Head { key } => {
            let (client, key) = clients.for_key(&key)?;
            if key.is_empty() {
                return Err(Failure::Usage("head needs an object key".into()));
            }
            let info = client.head_object(&key).await?;
            let value = json!({
                "Bucket": client.config().bucket,
                "Key": key,
                "Size": info.size,
                "ETag": info.etag,
                "ContentType": info.content_type,
                "LastModified": info.last_modified,
                "RequestId": info.request_id,
            });
            if json {
                println!("{value}");
            } else {
                println!("key:           {key}");
                println!("size:          {}", info.size);
                println!("etag:          {}", info.etag.unwrap_or_default());
                println!("content-type:  {}", info.content_type.unwrap_or_default());
                println!("last-modified: {}", info.last_modified.unwrap_or_default());
            }
            Ok(())
        }
        Command::Process {
            op,
            key,
            detect_url,
            upload,
            output,
            params,
        } => {
            let (spec, values) = decode(&op, &params)?;
            let source = match (key, detect_url) {
                (_, Some(url)) => Source::url(url),
                (Some(key), None) => Source::key(key),
                // An operation without an input runs on the bucket.
                (None, None) if spec.input == cos_ci_client::Input::None => Source::Bucket,
                (None, None) => {
                    return Err(Failure::Usage("give an object key or --detect-url".into()));
                }
            };
            let image = match (upload, &source) {
                (Some(file), Source::Key(key)) => {
                    let body = Body::from_file(&file)
                        .await
                        .map_err(|e| Failure::Io(format!("{}: {e}", file.display())))?;
                    client.upload_query_values(spec, &values, key, body).await?
                }
                _ => client.process_values(spec, &values, &source).await?,
            };
            tokio::fs::write(&output, &image.bytes)
                .await
                .map_err(|e| Failure::Io(format!("{}: {e}", output.display())))?;
            if json {
                println!(
                    "{}",
                    json!({
                        "Operation": spec.name,
                        "File": output.display().to_string(),
                        "Size": image.bytes.len(),
                        "ContentType": image.content_type,
                    })
                );
            } else {
                eprintln!(
                    "wrote {} bytes ({}) to {}",
                    image.bytes.len(),
                    image.content_type,
                    output.display()
                );
            }
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
            let body = Body::from_file(&file)
                .await
                .map_err(|e| Failure::Io(format!("{}: {e}", file.display())))?;
            let answer = client.put_object_with_as(&key, body, &ops).await?;
            print_document(&upload_json(&answer, &op)?, json);
            Ok(())
        }
        Command::Cloud {
            op,
            key,
            fileid,
            params,
        } => {
            let ops = rule(&op, &fileid, &params)?;
            let answer = client.image_process_as(&key, &ops).await?;
            print_document(&upload_json(&answer, &op)?, json);
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
                &Source::key(key.clone()),
                Duration::from_secs(expires),
            )?;
            if json {
                println!(
                    "{}",
                    json!({ "Operation": spec.name, "Key": key, "Url": url, "Expires": expires })
                );
            } else {
                println!("{url}");
            }
            Ok(())
        }
        Command::Batch(args) => crate::batch::run(&client, args, json).await,
        // Handled before any configuration is read.
        Command::Ops | Command::Completions { .. } | Command::Config { .. } => Ok(()),
    }
}

/// A document: one line with `--json` (JSON lines), indented for people otherwise (what
/// `upload` and `cloud` always printed).
/// The answer of an upload or cloud rule of `op` as JSON, with what the operation adds.
fn upload_json(answer: &output::UploadAnswer, op: &str) -> Result<serde_json::Value, Error> {
    let spec = ops::find(op).map_err(|reason| Error::InvalidArgument {
        argument: "OP",
        reason,
    })?;
    output::upload_answer_json(answer, spec).map_err(|e| Error::Decode {
        detail: e.to_string(),
        request_id: None,
    })
}

fn print_document(value: &serde_json::Value, json: bool) {
    if json {
        println!("{value}");
    } else {
        println!("{value:#}");
    }
}

/// A local file error: I/O (exit 5) with the path, even when the client reported it.
pub fn local(e: Error, path: &std::path::Path) -> Failure {
    match e {
        Error::Io(io) => Failure::Io(format!("{}: {io}", path.display())),
        other => Failure::Client(other),
    }
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
