//! Running a parsed command.

use std::time::Duration;

use cos_ci_client::{
    Body, Client, ClientBuilder, Credentials, Error, OpSpec, ParamValues, PicOperations, PicRule,
    Source,
};
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::args::{Cli, Command, Global};
use crate::{ops, output, progress};

/// Runs every command but `ops`.
pub async fn run(cli: Cli) -> Result<(), Error> {
    let client = client(cli.global)?;
    match cli.command {
        Command::Put { file, key } => put(&client, &file, &key).await,
        Command::Get { key, file } => get(&client, &key, &file).await,
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
                    return Err(Error::InvalidArgument {
                        argument: "KEY",
                        reason: "give an object key or --detect-url".into(),
                    });
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
fn decode(op: &str, params: &[String]) -> Result<(&'static OpSpec, ParamValues), Error> {
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

async fn put(client: &Client, file: &std::path::Path, key: &str) -> Result<(), Error> {
    let body = Body::from_file(file).await?;
    let bar = progress::bar(Some(body.len()), "put");
    let len = body.len();
    let put = client.put_object(key, body).await;
    bar.finish_and_clear();
    let put = put?;
    eprintln!(
        "stored {len} bytes at {key} (ETag {})",
        put.etag.unwrap_or_default()
    );
    Ok(())
}

async fn get(client: &Client, key: &str, file: &std::path::Path) -> Result<(), Error> {
    let mut stream = client.get_object_stream(key).await?;
    let bar = progress::bar(stream.content_length, "get");
    // Write to a temporary file first, so a failed transfer never leaves a partial FILE.
    let tmp = file.with_extension("cos-ci-partial");
    let mut out = tokio::fs::File::create(&tmp).await?;
    let mut written = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => {
                let _ = tokio::fs::remove_file(&tmp).await;
                return Err(e);
            }
        };
        out.write_all(&chunk).await?;
        written += chunk.len() as u64;
        bar.set_position(written);
    }
    out.flush().await?;
    drop(out);
    tokio::fs::rename(&tmp, file).await?;
    bar.finish_and_clear();
    eprintln!("wrote {written} bytes to {}", file.display());
    Ok(())
}
