//! The command line, as `DESIGN.md` fixes it (plus `head`, `completions` and `config`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::settings::check;

/// Tencent Cloud COS "Cloud Infinite" image processing: transfer objects and run ci-process
/// operations during download, upon upload and in the cloud.
///
/// Settings come from the flags, then the environment, then a profile of the config file
/// (`cos-ci config path`; `[default]` and `[profile.NAME]` sections), then the defaults. OP is
/// an operation's ci-process name (AISuperResolution) or its file name (ai-super-resolution);
/// `cos-ci ops` lists them with their parameters.
#[derive(Debug, Parser)]
#[command(name = "cos-ci", version, after_help = crate::exit::HELP)]
pub struct Cli {
    /// Connection settings.
    #[command(flatten)]
    pub global: Global,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Where to connect, as whom, how patiently, and how to report.
#[derive(Debug, Args)]
pub struct Global {
    /// Connect to this URL (e.g. http://127.0.0.1:9000) but keep the bucket's virtual-hosted
    /// Host, as the official SDKs' IP mode does [env: COS_ENDPOINT].
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint: Option<String>,
    /// Region, e.g. ap-guangzhou [env: TENCENTCLOUD_REGION, COS_REGION].
    #[arg(long, global = true, value_name = "R")]
    pub region: Option<String>,
    /// Bucket, <name>-<APPID> [env: COS_BUCKET].
    #[arg(long, global = true, value_name = "NAME-APPID")]
    pub bucket: Option<String>,
    /// Host names: myqcloud (default), tencentcos, accelerate, or a custom domain
    /// [env: COS_DOMAIN].
    #[arg(long, global = true, value_name = "DOMAIN")]
    pub domain: Option<String>,
    /// https (default) or http [env: COS_SCHEME].
    #[arg(long, global = true, value_name = "SCHEME")]
    pub scheme: Option<String>,
    /// SecretId [env: TENCENTCLOUD_SECRET_ID, COS_SECRET_ID].
    #[arg(long, global = true, value_name = "ID")]
    pub secret_id: Option<String>,
    /// SecretKey [env: TENCENTCLOUD_SECRET_KEY, COS_SECRET_KEY]. Prefer the environment or
    /// the config file: a flag is visible to other users of the machine.
    #[arg(long, global = true, value_name = "KEY")]
    pub secret_key: Option<String>,
    /// Security token of temporary credentials
    /// [env: TENCENTCLOUD_SESSION_TOKEN, TENCENTCLOUD_TOKEN, COS_SECURITY_TOKEN].
    #[arg(long, global = true, value_name = "T")]
    pub token: Option<String>,
    /// The profile of the config file [env: COS_CI_PROFILE] (default: default).
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// The config file [env: COS_CI_CONFIG] (default: $XDG_CONFIG_HOME/cos-ci/config.toml or
    /// ~/.config/cos-ci/config.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Connect timeout in seconds (default 10) [env: COS_CI_CONNECT_TIMEOUT].
    #[arg(long, global = true, value_name = "SECS", value_parser = check::secs, help_heading = "Timeouts and retries")]
    pub connect_timeout: Option<String>,
    /// Longest wait for the next byte, in seconds; 0 or none: no limit (default 60)
    /// [env: COS_CI_READ_TIMEOUT].
    #[arg(long, global = true, value_name = "SECS", value_parser = check::opt_secs, help_heading = "Timeouts and retries")]
    pub read_timeout: Option<String>,
    /// Deadline of a call that moves no object, retries included; 0 or none: no limit
    /// (default 120) [env: COS_CI_DEADLINE].
    #[arg(long, global = true, value_name = "SECS", value_parser = check::opt_secs, help_heading = "Timeouts and retries")]
    pub deadline: Option<String>,
    /// Deadline of a transfer (default none) [env: COS_CI_TRANSFER_DEADLINE].
    #[arg(long, global = true, value_name = "SECS", value_parser = check::opt_secs, help_heading = "Timeouts and retries")]
    pub transfer_deadline: Option<String>,
    /// Attempts per request, the first included; 1: no retries (default 3)
    /// [env: COS_CI_MAX_ATTEMPTS].
    #[arg(long, global = true, value_name = "N", value_parser = check::count, help_heading = "Timeouts and retries")]
    pub max_attempts: Option<String>,
    /// Print results as JSON, one object per line; errors as one JSON object on stderr.
    #[arg(long, global = true)]
    pub json: bool,
    /// Also know the operations described by the YAML files in this folder (the format of
    /// spec/operations/), e.g. `cos-ci --spec DIR process MyOp KEY -o out.png`; repeatable.
    #[arg(long = "spec", global = true, value_name = "DIR")]
    pub specs: Vec<PathBuf>,
    /// Log to stderr: -v what is done, -vv every call with its attempt and request id.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Same as -vv.
    #[arg(long, global = true)]
    pub debug: bool,
}

/// How files are cut up for transfer.
#[derive(Debug, Args, Clone, Default)]
pub struct TransferArgs {
    /// Files (and objects) at least this large go in parallel parts (ranges); default 16M
    /// [env: COS_CI_MULTIPART_THRESHOLD].
    #[arg(long, value_name = "SIZE", value_parser = check::size)]
    pub multipart_threshold: Option<String>,
    /// Part (and range) size, 1M to 5G; default 8M [env: COS_CI_PART_SIZE].
    #[arg(long, value_name = "SIZE", value_parser = check::size)]
    pub part_size: Option<String>,
    /// Parts or ranges in flight at once, 1 to 256; default 4 [env: COS_CI_CONCURRENCY].
    #[arg(long, value_name = "N", value_parser = check::count)]
    pub concurrency: Option<String>,
}

impl Cli {
    /// The settings given as flags, by profile key (see [`crate::settings::SETTINGS`]).
    pub fn flags(&self) -> BTreeMap<&'static str, String> {
        let g = &self.global;
        let transfer = match &self.command {
            Command::Put { transfer, .. }
            | Command::Get { transfer, .. }
            | Command::Cp { transfer, .. } => transfer.clone(),
            _ => TransferArgs::default(),
        };
        [
            ("region", &g.region),
            ("bucket", &g.bucket),
            ("endpoint", &g.endpoint),
            ("domain", &g.domain),
            ("scheme", &g.scheme),
            ("secret_id", &g.secret_id),
            ("secret_key", &g.secret_key),
            ("token", &g.token),
            ("connect_timeout", &g.connect_timeout),
            ("read_timeout", &g.read_timeout),
            ("deadline", &g.deadline),
            ("transfer_deadline", &g.transfer_deadline),
            ("max_attempts", &g.max_attempts),
            ("multipart_threshold", &transfer.multipart_threshold),
            ("part_size", &transfer.part_size),
            ("concurrency", &transfer.concurrency),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.clone().map(|v| (k, v)))
        .collect()
    }
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
        /// The object key (omit with --detect-url, or for an operation that takes no input).
        #[arg(conflicts_with = "detect_url")]
        key: Option<String>,
        /// Process the image at this URL instead of an object.
        #[arg(long, value_name = "URL")]
        detect_url: Option<String>,
        /// Upload this file to KEY and process it on the way in (`PUT /<KEY>?ci-process=…`,
        /// for operations with the upload_query mode); the answer is saved as with a download.
        #[arg(
            long,
            value_name = "FILE",
            conflicts_with = "detect_url",
            requires = "key"
        )]
        upload: Option<PathBuf>,
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
    /// Show an object's size, ETag, type and date (KEY or cos://BUCKET/KEY).
    #[command(visible_alias = "info")]
    Head {
        /// The object key.
        key: String,
    },
    /// List the operations with their modes and parameters (ranges and defaults).
    Ops,
    /// Process every object under a prefix, in the cloud (--fileid) or during download (--out).
    Batch(crate::batch::BatchArgs),
    /// Print a shell completion script, e.g. `cos-ci completions bash > ~/.local/share/bash-completion/completions/cos-ci`.
    Completions {
        /// bash, zsh, fish, powershell or elvish.
        shell: clap_complete::Shell,
    },
    /// Read and write the config file (`--profile NAME` picks the profile; default: default).
    Config {
        /// What to do with it.
        #[command(subcommand)]
        action: ConfigAction,
    },
}

/// `cos-ci config ...`.
#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Set KEY of the profile to VALUE, creating the file (mode 0600) if needed.
    Set {
        /// A setting: region, bucket, endpoint, domain, scheme, secret_id, secret_key, token,
        /// connect_timeout, read_timeout, deadline, transfer_deadline, max_attempts,
        /// multipart_threshold, part_size or concurrency.
        key: String,
        /// Its value.
        value: String,
    },
    /// Remove KEY from the profile.
    Unset {
        /// The setting.
        key: String,
    },
    /// Every setting as resolved now, with where it came from (secrets masked).
    Show,
    /// The config file's path.
    Path,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;
    use crate::settings::SETTINGS;

    /// Every setting's flag exists and its help names every environment variable it reads.
    #[test]
    fn flags_name_their_environment_variables() {
        let cli = Cli::command();
        let put = cli
            .find_subcommand("put")
            .cloned()
            .unwrap_or_else(|| panic!("put"));
        for s in SETTINGS {
            let long = s.flag.trim_start_matches("--");
            let arg = cli
                .get_arguments()
                .chain(put.get_arguments())
                .find(|a| a.get_long() == Some(long))
                .unwrap_or_else(|| panic!("no flag {}", s.flag));
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            for e in s.env {
                assert!(help.contains(e), "{} help lacks {e}: {help}", s.flag);
            }
        }
        Cli::command().debug_assert();
    }
}
