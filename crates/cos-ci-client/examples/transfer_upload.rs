//! Uploads one file through the client and prints how long the upload took, for `cargo xtask
//! bench` (its transfer section) to compare a multipart upload with a single PUT.
//!
//! ```text
//! transfer_upload --endpoint http://127.0.0.1:9000 --file PATH --key KEY (--multipart | --single)
//!
//! --multipart   Client::upload_file with TransferOptions::default() (parts and concurrency
//!               as the client's defaults; the file must be at least the multipart threshold)
//! --single      Client::put_object with Body::from_file: one PUT, the file streamed
//! ```
//!
//! Prints one line `TRANSFER_JSON {...}`: mode, bytes, seconds (the upload call only), part
//! size, concurrency, parts, and the ETag; then checks the stored size with HEAD Object
//! (outside the timing) and fails when it differs. Default bucket and credentials of the mock.

use std::process::ExitCode;
use std::time::Instant;

use cos_ci_client::{Body, Client, Credentials, TransferOptions};

const USAGE: &str =
    "usage: transfer_upload --endpoint URL --file PATH --key KEY (--multipart | --single)";

#[tokio::main]
async fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()).await {
        Ok(line) => {
            println!("TRANSFER_JSON {line}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("transfer_upload: {message}\n{USAGE}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Vec<String>) -> Result<String, String> {
    let (mut endpoint, mut file, mut key, mut multipart) = (None, None, None, None);
    let mut rest = args.into_iter();
    while let Some(arg) = rest.next() {
        let mut value = |name: &str| rest.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--endpoint" => endpoint = Some(value("--endpoint")?),
            "--file" => file = Some(value("--file")?),
            "--key" => key = Some(value("--key")?),
            "--multipart" => multipart = Some(true),
            "--single" => multipart = Some(false),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let endpoint = endpoint.ok_or("--endpoint is required")?;
    let file = file.ok_or("--file is required")?;
    let key = key.ok_or("--key is required")?;
    let multipart = multipart.ok_or("--multipart or --single is required")?;
    let client = Client::builder()
        .region("ap-guangzhou")
        .bucket("examplebucket-1250000000")
        .credentials(Credentials::new("AKIDEXAMPLE", "example-secret"))
        .endpoint(endpoint)
        .build()
        .map_err(|e| e.to_string())?;
    let options = TransferOptions::default();
    let bytes = std::fs::metadata(&file)
        .map_err(|e| format!("{file}: {e}"))?
        .len();
    if multipart && bytes < options.multipart_threshold {
        return Err(format!(
            "{file} has {bytes} bytes, below the multipart threshold of {}",
            options.multipart_threshold
        ));
    }
    let started = Instant::now();
    let (etag, parts) = if multipart {
        let out = client
            .upload_file(&file, &key, &options)
            .await
            .map_err(|e| format!("upload_file: {e}"))?;
        (out.etag, out.parts)
    } else {
        let body = Body::from_file(&file)
            .await
            .map_err(|e| format!("{file}: {e}"))?;
        let out = client
            .put_object(&key, body)
            .await
            .map_err(|e| format!("put_object: {e}"))?;
        (out.etag, 0)
    };
    let seconds = started.elapsed().as_secs_f64();
    let stored = client
        .head_object(&key)
        .await
        .map_err(|e| format!("head_object: {e}"))?;
    if stored.size != bytes {
        return Err(format!("stored {} bytes of {bytes}", stored.size));
    }
    Ok(format!(
        "{{\"mode\":\"{}\",\"bytes\":{bytes},\"seconds\":{seconds},\"part_size\":{},\
         \"concurrency\":{},\"parts\":{parts},\"etag\":\"{}\"}}",
        if multipart { "multipart" } else { "single" },
        options.part_size,
        options.concurrency,
        etag.unwrap_or_default().replace('"', "")
    ))
}
