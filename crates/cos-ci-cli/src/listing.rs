//! `ls` and `rm`: listing keys page by page, and deleting them in batches.

use cos_ci_client::{Client, ListEntry, ListObjects, MAX_DELETE_KEYS, ObjectSummary};
use futures_util::TryStreamExt;
use serde_json::json;

use crate::run::{Clients, Failure};

/// Prints the keys under `prefix` as they arrive: folders as `PRE` (unless `recursive`),
/// objects with size, date and key; with `json`, one JSON object per line.
pub async fn ls(
    clients: &Clients,
    prefix: &str,
    recursive: bool,
    json: bool,
) -> Result<(), Failure> {
    let (client, prefix) = clients.for_key(prefix)?;
    let mut request = ListObjects::new().with_prefix(prefix);
    if !recursive {
        request = request.with_delimiter("/");
    }
    let mut entries = client.list_objects(request);
    while let Some(entry) = entries.try_next().await? {
        match (entry, json) {
            (ListEntry::Prefix(p), false) => println!("{:>12}  {:24}  {p}", "PRE", ""),
            (ListEntry::Prefix(p), true) => println!("{}", json!({ "Prefix": p })),
            (ListEntry::Object(o), false) => {
                println!("{:>12}  {:24}  {}", o.size, o.last_modified, o.key)
            }
            (ListEntry::Object(o), true) => println!("{}", object_json(&o)),
        }
    }
    Ok(())
}

fn object_json(o: &ObjectSummary) -> serde_json::Value {
    json!({
        "Key": o.key,
        "Size": o.size,
        "LastModified": o.last_modified,
        "ETag": o.etag,
        "StorageClass": o.storage_class,
    })
}

/// Deletes `keys` (every key under each with `recursive`), or prints them with `dry_run`.
/// Keys go in batches of at most 1000; a key COS could not delete is reported and makes the
/// command fail, after the others are deleted.
pub async fn rm(
    clients: &Clients,
    keys: &[String],
    recursive: bool,
    dry_run: bool,
    json: bool,
) -> Result<(), Failure> {
    let mut failed = 0usize;
    let mut deleted = 0usize;
    for arg in keys {
        let (client, key) = clients.for_key(arg)?;
        if !recursive {
            if key.is_empty() {
                return Err(Failure::Usage(format!(
                    "{arg:?} names no key; use --recursive to delete a whole prefix"
                )));
            }
            let (d, f) = delete_batch(&client, vec![key], dry_run, json).await?;
            deleted += d;
            failed += f;
            continue;
        }
        let mut listing = client.list_objects(ListObjects::new().with_prefix(key));
        let mut batch = Vec::new();
        while let Some(entry) = listing.try_next().await? {
            if let ListEntry::Object(o) = entry {
                batch.push(o.key);
            }
            if batch.len() == MAX_DELETE_KEYS {
                let (d, f) =
                    delete_batch(&client, std::mem::take(&mut batch), dry_run, json).await?;
                deleted += d;
                failed += f;
            }
        }
        if !batch.is_empty() {
            let (d, f) = delete_batch(&client, batch, dry_run, json).await?;
            deleted += d;
            failed += f;
        }
    }
    if dry_run && !json {
        eprintln!("dry run: {deleted} keys would be deleted");
    }
    if failed > 0 {
        return Err(Failure::Partial(format!(
            "{failed} keys could not be deleted ({deleted} were)"
        )));
    }
    Ok(())
}

/// Deletes one batch; returns (deleted, failed). With `json`, one line per key:
/// `{"Key", "Deleted": true}`, `{"Key", "Deleted": false, "DryRun": true}` or
/// `{"Key", "Deleted": false, "Code", "Message"}` (the last on stdout too: it is a result).
async fn delete_batch(
    client: &Client,
    keys: Vec<String>,
    dry_run: bool,
    json: bool,
) -> Result<(usize, usize), Failure> {
    let bucket = &client.config().bucket;
    if dry_run {
        for k in &keys {
            if json {
                println!(
                    "{}",
                    json!({ "Bucket": bucket, "Key": k, "Deleted": false, "DryRun": true })
                );
            } else {
                println!("would delete {k}");
            }
        }
        return Ok((keys.len(), 0));
    }
    let out = client.delete_objects(&keys, true).await?;
    for e in &out.errors {
        if json {
            println!(
                "{}",
                json!({ "Bucket": bucket, "Key": e.key, "Deleted": false, "Code": e.code, "Message": e.message })
            );
        } else {
            eprintln!("error: {}: {}: {}", e.key, e.code, e.message);
        }
    }
    for k in keys
        .iter()
        .filter(|k| !out.errors.iter().any(|e| &e.key == *k))
    {
        if json {
            println!("{}", json!({ "Bucket": bucket, "Key": k, "Deleted": true }));
        } else {
            println!("deleted {k}");
        }
    }
    Ok((keys.len() - out.errors.len(), out.errors.len()))
}
