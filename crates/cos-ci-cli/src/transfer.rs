//! `put`, `get` and `cp`: multipart uploads and parallel ranged downloads with progress bars
//! that follow the bytes.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use cos_ci_client::{Cleanup, Client, CopyOptions, CopySource, Progress, TransferOptions};

use serde_json::json;

use crate::progress;
use crate::remote::{self, Location};
use crate::run::{Clients, Failure, local};
use crate::settings::Settings;

/// How files are cut up, as resolved from flags, environment, profile and defaults.
#[derive(Clone, Copy, Debug)]
pub struct Transfer {
    /// Files at least this large go in parts.
    pub multipart_threshold: u64,
    /// Part and range size.
    pub part_size: u64,
    /// Parts in flight.
    pub concurrency: usize,
}

impl Transfer {
    /// The transfer settings.
    pub fn from_settings(settings: &Settings) -> Self {
        Transfer {
            multipart_threshold: settings.size("multipart_threshold"),
            part_size: settings.size("part_size"),
            concurrency: settings.concurrency(),
        }
    }
}

fn options(args: &Transfer, cleanup: &Cleanup) -> TransferOptions {
    TransferOptions {
        multipart_threshold: args.multipart_threshold,
        part_size: args.part_size,
        concurrency: args.concurrency,
        cleanup: Some(cleanup.clone()),
        ..TransferOptions::default()
    }
}

/// A bar the transfer's progress reports move, made at the first report (a download learns
/// its total from HEAD).
#[derive(Clone)]
struct Bar(Arc<OnceLock<indicatif::ProgressBar>>);

impl Bar {
    fn new() -> Self {
        Bar(Arc::new(OnceLock::new()))
    }

    fn progress(&self, label: &'static str) -> Progress {
        let cell = self.0.clone();
        Progress::new(move |done, total| {
            cell.get_or_init(|| progress::bar(Some(total), label))
                .set_position(done);
        })
    }

    fn finish(&self) {
        if let Some(bar) = self.0.get() {
            bar.finish_and_clear();
        }
    }
}

/// Uploads `file` to `key`.
pub async fn put(
    client: &Client,
    file: &Path,
    key: &str,
    args: &Transfer,
    cleanup: &Cleanup,
    json: bool,
) -> Result<(), Failure> {
    let bar = Bar::new();
    let opts = TransferOptions {
        progress: Some(bar.progress("put")),
        ..options(args, cleanup)
    };
    let out = client.upload_file(file, key, &opts).await;
    bar.finish();
    let out = out.map_err(|e| local(e, file))?;
    if json {
        println!(
            "{}",
            json!({
                "Bucket": client.config().bucket,
                "Key": key,
                "File": file.display().to_string(),
                "Size": out.size,
                "ETag": out.etag,
                "Parts": out.parts,
            })
        );
        return Ok(());
    }
    let how = if out.parts > 0 {
        format!(" in {} parts", out.parts)
    } else {
        String::new()
    };
    eprintln!(
        "stored {} bytes at {key}{how} (ETag {})",
        out.size,
        out.etag.unwrap_or_default()
    );
    Ok(())
}

/// Downloads `key` to `file` (or into `file` when it is a folder).
pub async fn get(
    client: &Client,
    key: &str,
    file: &Path,
    args: &Transfer,
    cleanup: &Cleanup,
    json: bool,
) -> Result<(), Failure> {
    let dest = into_folder(file, key).await;
    let bar = Bar::new();
    let opts = TransferOptions {
        progress: Some(bar.progress("get")),
        ..options(args, cleanup)
    };
    let out = client.download_file(key, &dest, &opts).await;
    bar.finish();
    let out = out.map_err(|e| local(e, &dest))?;
    if json {
        println!(
            "{}",
            json!({
                "Bucket": client.config().bucket,
                "Key": key,
                "File": dest.display().to_string(),
                "Size": out.size,
                "ETag": out.etag,
                "Ranges": out.ranges,
            })
        );
        return Ok(());
    }
    eprintln!("wrote {} bytes to {}", out.size, dest.display());
    Ok(())
}

/// `file`, or `file/<key's name>` when `file` is an existing folder or ends in a separator.
async fn into_folder(file: &Path, key: &str) -> PathBuf {
    let is_dir = file
        .as_os_str()
        .to_string_lossy()
        .ends_with(std::path::MAIN_SEPARATOR)
        || tokio::fs::metadata(file).await.is_ok_and(|m| m.is_dir());
    if is_dir {
        file.join(remote::base_name(key))
    } else {
        file.to_path_buf()
    }
}

/// `cp SRC DST` in any direction but local to local.
pub async fn cp(
    clients: &Clients,
    src: &str,
    dst: &str,
    args: &Transfer,
    cleanup: &Cleanup,
    json: bool,
) -> Result<(), Failure> {
    let src = remote::parse(src).map_err(Failure::Usage)?;
    let dst = remote::parse(dst).map_err(Failure::Usage)?;
    match (src, dst) {
        (Location::Local(_), Location::Local(_)) => Err(Failure::Usage(
            "cp copies to or from COS: write remote objects as cos://<name>-<APPID>/<key>"
                .to_string(),
        )),
        (Location::Local(file), Location::Remote { bucket, key }) => {
            let key = if key.is_empty() || key.ends_with('/') {
                let name = file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .ok_or_else(|| {
                        Failure::Usage(format!("{} has no file name", file.display()))
                    })?;
                format!("{key}{name}")
            } else {
                key
            };
            put(
                &clients.for_bucket(&bucket)?,
                &file,
                &key,
                args,
                cleanup,
                json,
            )
            .await
        }
        (Location::Remote { bucket, key }, Location::Local(file)) => {
            get(
                &clients.for_bucket(&bucket)?,
                &key,
                &file,
                args,
                cleanup,
                json,
            )
            .await
        }
        (
            Location::Remote {
                bucket: src_bucket,
                key: src_key,
            },
            Location::Remote { bucket, key },
        ) => {
            let key = if key.is_empty() || key.ends_with('/') {
                format!("{key}{}", remote::base_name(&src_key))
            } else {
                key
            };
            let client = clients.for_bucket(&bucket)?;
            let out = client
                .copy_object(
                    &CopySource::in_bucket(src_bucket.clone(), src_key.clone()),
                    &key,
                    &CopyOptions::default(),
                )
                .await?;
            if json {
                println!(
                    "{}",
                    json!({
                        "Source": format!("cos://{src_bucket}/{src_key}"),
                        "Destination": format!("cos://{bucket}/{key}"),
                        "ETag": out.etag,
                    })
                );
            } else {
                eprintln!(
                    "copied cos://{src_bucket}/{src_key} to cos://{bucket}/{key} (ETag {})",
                    out.etag.unwrap_or_default()
                );
            }
            Ok(())
        }
    }
}
