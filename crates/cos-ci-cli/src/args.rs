//! The command line, exactly as `DESIGN.md` fixes it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Tencent Cloud COS "Cloud Infinite" image processing: transfer objects and run ci-process
/// operations during download, upon upload and in the cloud.
///
/// Connection settings come from the flags or the environment (COS_ENDPOINT, COS_REGION,
/// COS_BUCKET, COS_SECRET_ID, COS_SECRET_KEY, COS_SECURITY_TOKEN). OP is an operation's
/// ci-process name (AISuperResolution) or its file name (ai-super-resolution); `cos-ci ops`
/// lists them with their parameters.
#[derive(Debug, Parser)]
#[command(name = "cos-ci", version)]
pub struct Cli {
    /// Connection settings.
    #[command(flatten)]
    pub global: Global,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Where to connect and as whom.
#[derive(Debug, Args)]
pub struct Global {
    /// Connect to this URL (e.g. http://127.0.0.1:9000) but keep the bucket's virtual-hosted
    /// Host, as the official SDKs' IP mode does.
    #[arg(long, global = true, env = "COS_ENDPOINT", value_name = "URL")]
    pub endpoint: Option<String>,
    /// Region, e.g. ap-guangzhou.
    #[arg(long, global = true, env = "COS_REGION", value_name = "R")]
    pub region: Option<String>,
    /// Bucket, <name>-<APPID>.
    #[arg(long, global = true, env = "COS_BUCKET", value_name = "NAME-APPID")]
    pub bucket: Option<String>,
    /// SecretId.
    #[arg(long, global = true, env = "COS_SECRET_ID", value_name = "ID")]
    pub secret_id: Option<String>,
    /// SecretKey.
    #[arg(
        long,
        global = true,
        env = "COS_SECRET_KEY",
        value_name = "KEY",
        hide_env_values = true
    )]
    pub secret_key: Option<String>,
    /// Security token of temporary credentials.
    #[arg(
        long,
        global = true,
        env = "COS_SECURITY_TOKEN",
        value_name = "T",
        hide_env_values = true
    )]
    pub token: Option<String>,
    /// Print results as JSON (`ls`: one object per line).
    #[arg(long, global = true)]
    pub json: bool,
}

/// How files are cut up for transfer.
#[derive(Debug, Args, Clone, Copy)]
pub struct TransferArgs {
    /// Files (and objects) at least this large go in parallel parts (ranges); e.g. 16M.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "16M")]
    pub multipart_threshold: u64,
    /// Part (and range) size, 1M to 5G.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "8M")]
    pub part_size: u64,
    /// Parts or ranges in flight at once.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
}

/// A byte count with an optional K, M or G suffix (powers of 1024).
fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (digits, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => s.split_at(i),
        None => (s, ""),
    };
    let shift = match unit
        .to_ascii_uppercase()
        .trim_end_matches("IB")
        .trim_end_matches('B')
    {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        _ => return Err(format!("{s:?}: use a number with K, M or G")),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{s:?}: use a number with K, M or G"))?;
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("{s:?} is too large"))
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Upload FILE to KEY.
    Put {
        /// The local file.
        file: PathBuf,
        /// The object key.
        key: String,
        /// Part size and concurrency.
        #[command(flatten)]
        transfer: TransferArgs,
    },
    /// Download KEY to FILE (through a temporary file renamed into place).
    Get {
        /// The object key.
        key: String,
        /// The local file.
        file: PathBuf,
        /// Range size and concurrency.
        #[command(flatten)]
        transfer: TransferArgs,
    },
    /// List keys under PREFIX: folders (PRE) and objects with size, date and key.
    Ls {
        /// Key prefix, or cos://BUCKET/PREFIX for another bucket.
        #[arg(default_value = "")]
        prefix: String,
        /// Every key under PREFIX, not just the first folder level.
        #[arg(short, long)]
        recursive: bool,
    },
    /// Copy SRC to DST: a local path, or cos://BUCKET/KEY (both may be remote: a server-side copy).
    Cp {
        /// Source: a local file or cos://BUCKET/KEY.
        src: String,
        /// Destination: a local file or folder, or cos://BUCKET/KEY (a KEY ending in / takes the source's name).
        dst: String,
        /// Part size and concurrency.
        #[command(flatten)]
        transfer: TransferArgs,
    },
    /// Delete objects (KEY or cos://BUCKET/KEY).
    Rm {
        /// The keys (prefixes with --recursive).
        #[arg(required = true)]
        keys: Vec<String>,
        /// Delete every key under each KEY taken as a prefix.
        #[arg(short, long)]
        recursive: bool,
        /// Print what would be deleted; delete nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Process an object (or a detect-url) during download and save the result.
    Process {
        /// The operation.
        op: String,
        /// The object key (omit with --detect-url).
        #[arg(required_unless_present = "detect_url", conflicts_with = "detect_url")]
        key: Option<String>,
        /// Process the image at this URL instead of an object.
        #[arg(long, value_name = "URL")]
        detect_url: Option<String>,
        /// Where to save the result.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
        /// A processing parameter, NAME=VALUE (repeatable).
        #[arg(short = 'p', long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
    },
    /// Upload FILE to KEY and store the processed result at FILEID; prints UploadResult as JSON.
    Upload {
        /// The operation.
        op: String,
        /// The local file.
        file: PathBuf,
        /// The object key of the original.
        key: String,
        /// Where the result goes: /absolute/key or relative to KEY's folder.
        #[arg(long, value_name = "FILEID")]
        fileid: String,
        /// A processing parameter, NAME=VALUE (repeatable).
        #[arg(short = 'p', long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
    },
    /// Process the stored KEY in the cloud and store the result at FILEID; prints UploadResult as JSON.
    Cloud {
        /// The operation.
        op: String,
        /// The object key.
        key: String,
        /// Where the result goes: /absolute/key or relative to KEY's folder.
        #[arg(long, value_name = "FILEID")]
        fileid: String,
        /// A processing parameter, NAME=VALUE (repeatable).
        #[arg(short = 'p', long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
    },
    /// Print a pre-signed URL that processes KEY when fetched.
    Presign {
        /// The operation.
        op: String,
        /// The object key.
        key: String,
        /// A processing parameter, NAME=VALUE (repeatable).
        #[arg(short = 'p', long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// How long the URL stays valid, in seconds.
        #[arg(long, value_name = "SECS", default_value_t = 3600)]
        expires: u64,
    },
    /// List the operations with their modes and parameters (ranges and defaults).
    Ops,
    /// Process every object under a prefix, in the cloud (--fileid) or during download (--out).
    Batch(crate::batch::BatchArgs),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(parse_size("5M"), Ok(5 << 20));
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("2KiB"), Ok(2048));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert!(parse_size("5X").is_err());
        assert!(parse_size("M").is_err());
        assert!(parse_size("99999999999999G").is_err());
    }
}
