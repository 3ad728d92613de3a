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
    },
    /// Download KEY to FILE.
    Get {
        /// The object key.
        key: String,
        /// The local file.
        file: PathBuf,
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
}
