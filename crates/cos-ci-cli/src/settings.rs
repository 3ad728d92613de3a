//! Every setting of the CLI, where it comes from and how it is read: the one place that
//! resolves flags > environment > profile (config file) > defaults.
//!
//! [`SETTINGS`] is the table; the README's "Configuration" table and the flags' help list the
//! same names, and unit tests hold them to it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cos_ci_client::config::env as client_env;
use cos_ci_client::credentials::{EnvironmentProvider, ProfileFileProvider};
use cos_ci_client::{ClientBuilder, Credentials, Domain, RetryPolicy, Timeouts};
use serde_json::{Map, Value, json};

use crate::exit::Failure;
use crate::profile::ConfigFile;

/// The environment variable naming the config file.
pub const CONFIG_ENV: &str = "COS_CI_CONFIG";
/// The environment variable naming the profile (shared with the client's credentials file).
pub const PROFILE_ENV: &str = client_env::PROFILE;

/// How a setting's value is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Any text, checked by the client when it is built.
    Text,
    /// Text never printed (SecretKey, security token).
    Secret,
    /// Whole seconds, more than 0.
    Secs,
    /// Whole seconds, or `0` / `none` for no limit.
    OptSecs,
    /// A count from 1 to 256.
    Count,
    /// A byte count with an optional K, M or G suffix.
    Size,
}

impl Kind {
    /// Whether `text` is a valid value; the reason when it is not.
    pub fn check(self, text: &str) -> Result<(), String> {
        match self {
            Kind::Text | Kind::Secret => Ok(()),
            Kind::Secs => match text.trim().parse::<u64>() {
                Ok(n) if n > 0 => Ok(()),
                _ => Err(format!("{text:?} is not a number of seconds above 0")),
            },
            Kind::OptSecs => opt_secs(text).map(|_| ()),
            Kind::Count => match text.trim().parse::<u16>() {
                Ok(n) if (1..=256).contains(&n) => Ok(()),
                _ => Err(format!("{text:?} is not a number from 1 to 256")),
            },
            Kind::Size => parse_size(text).map(|_| ()),
        }
    }

    /// Whether a profile stores the value as a TOML integer (when it is one).
    pub fn numeric(self) -> bool {
        matches!(self, Kind::Secs | Kind::OptSecs | Kind::Count)
    }
}

/// One setting: its profile key, flag, environment variables (first set wins) and default.
#[derive(Debug)]
pub struct Setting {
    /// The key in a profile of the config file (and in `cos-ci config set KEY`).
    pub key: &'static str,
    /// The flag.
    pub flag: &'static str,
    /// Environment variables, in the order they are read.
    pub env: &'static [&'static str],
    /// The default, `None` when there is none (required, or unset means "none").
    pub default: Option<&'static str>,
    /// How its value is read.
    pub kind: Kind,
}

/// Every setting, in the order `config show` and the README list them.
pub const SETTINGS: &[Setting] = &[
    Setting {
        key: "region",
        flag: "--region",
        env: &[client_env::TENCENTCLOUD_REGION, client_env::REGION],
        default: None,
        kind: Kind::Text,
    },
    Setting {
        key: "bucket",
        flag: "--bucket",
        env: &[client_env::BUCKET],
        default: None,
        kind: Kind::Text,
    },
    Setting {
        key: "endpoint",
        flag: "--endpoint",
        env: &[client_env::ENDPOINT],
        default: None,
        kind: Kind::Text,
    },
    Setting {
        key: "domain",
        flag: "--domain",
        env: &[client_env::DOMAIN],
        default: Some("myqcloud"),
        kind: Kind::Text,
    },
    Setting {
        key: "scheme",
        flag: "--scheme",
        env: &["COS_SCHEME"],
        default: Some("https"),
        kind: Kind::Text,
    },
    Setting {
        key: "secret_id",
        flag: "--secret-id",
        env: &[client_env::SECRET_ID, client_env::COS_SECRET_ID],
        default: None,
        kind: Kind::Text,
    },
    Setting {
        key: "secret_key",
        flag: "--secret-key",
        env: &[client_env::SECRET_KEY, client_env::COS_SECRET_KEY],
        default: None,
        kind: Kind::Secret,
    },
    Setting {
        key: "token",
        flag: "--token",
        env: &[
            client_env::SESSION_TOKEN,
            client_env::TOKEN,
            client_env::COS_SECURITY_TOKEN,
        ],
        default: None,
        kind: Kind::Secret,
    },
    Setting {
        key: "connect_timeout",
        flag: "--connect-timeout",
        env: &["COS_CI_CONNECT_TIMEOUT"],
        default: Some("10"),
        kind: Kind::Secs,
    },
    Setting {
        key: "read_timeout",
        flag: "--read-timeout",
        env: &["COS_CI_READ_TIMEOUT"],
        default: Some("60"),
        kind: Kind::OptSecs,
    },
    Setting {
        key: "deadline",
        flag: "--deadline",
        env: &["COS_CI_DEADLINE"],
        default: Some("120"),
        kind: Kind::OptSecs,
    },
    Setting {
        key: "transfer_deadline",
        flag: "--transfer-deadline",
        env: &["COS_CI_TRANSFER_DEADLINE"],
        default: Some("none"),
        kind: Kind::OptSecs,
    },
    Setting {
        key: "max_attempts",
        flag: "--max-attempts",
        env: &["COS_CI_MAX_ATTEMPTS"],
        default: Some("3"),
        kind: Kind::Count,
    },
    Setting {
        key: "multipart_threshold",
        flag: "--multipart-threshold",
        env: &["COS_CI_MULTIPART_THRESHOLD"],
        default: Some("16M"),
        kind: Kind::Size,
    },
    Setting {
        key: "part_size",
        flag: "--part-size",
        env: &["COS_CI_PART_SIZE"],
        default: Some("8M"),
        kind: Kind::Size,
    },
    Setting {
        key: "concurrency",
        flag: "--concurrency",
        env: &["COS_CI_CONCURRENCY"],
        default: Some("4"),
        kind: Kind::Count,
    },
];

/// The setting with profile key `key`.
pub fn setting(key: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.key == key)
}

/// Every profile key, for error messages.
pub fn keys() -> String {
    SETTINGS
        .iter()
        .map(|s| s.key)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where a resolved value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A command-line flag.
    Flag,
    /// This environment variable.
    Env(&'static str),
    /// The profile of the config file.
    Profile,
    /// The client's credentials file (`~/.config/cos-ci/credentials`).
    CredentialsFile(PathBuf),
    /// The built-in default.
    Default,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Flag => f.write_str("flag"),
            Source::Env(name) => write!(f, "env:{name}"),
            Source::Profile => f.write_str("profile"),
            Source::CredentialsFile(path) => write!(f, "credentials-file:{}", path.display()),
            Source::Default => f.write_str("default"),
        }
    }
}

/// A non-empty environment variable (an empty one counts as unset, as in the client).
fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Where the config file is: `--config`, else `$COS_CI_CONFIG`, else
/// `$XDG_CONFIG_HOME/cos-ci/config.toml`, else `~/.config/cos-ci/config.toml`; and whether it
/// was named explicitly (then it must exist to be read).
pub fn config_path(flag: Option<&Path>) -> Result<(PathBuf, bool), Failure> {
    if let Some(path) = flag {
        return Ok((path.to_path_buf(), true));
    }
    if let Some(path) = var(CONFIG_ENV) {
        return Ok((PathBuf::from(path), true));
    }
    let base = var("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|h| Path::new(&h).join(".config")))
        .ok_or_else(|| {
            Failure::Config(format!(
                "no config file path: set HOME, XDG_CONFIG_HOME or {CONFIG_ENV}, or give --config"
            ))
        })?;
    Ok((base.join("cos-ci").join("config.toml"), false))
}

/// The profile: `--profile`, else `$COS_CI_PROFILE`, else `default`; and whether it was named.
pub fn profile_name(flag: Option<&str>) -> (String, bool) {
    match flag.map(str::to_string).or_else(|| var(PROFILE_ENV)) {
        Some(p) => (p, true),
        None => ("default".to_string(), false),
    }
}

/// Every setting resolved once: its value (if any) and where it came from.
#[derive(Debug)]
pub struct Settings {
    /// The config file consulted.
    pub path: PathBuf,
    /// Whether it exists.
    pub file_exists: bool,
    /// The profile read from it.
    pub profile: String,
    values: BTreeMap<&'static str, (String, Source)>,
}

impl Settings {
    /// Resolves every setting from `flags` (profile key -> value given on the command
    /// line), the environment and profile `profile` of the config file at `path`.
    /// `explicit_path` / `explicit_profile`: the file / profile was named, so it must exist.
    pub fn resolve(
        flags: &BTreeMap<&'static str, String>,
        (path, explicit_path): (PathBuf, bool),
        (profile, explicit_profile): (String, bool),
    ) -> Result<Self, Failure> {
        let file = ConfigFile::load(&path)?;
        let file_exists = file.is_some();
        if explicit_path && !file_exists {
            return Err(Failure::Config(format!(
                "config file {} does not exist",
                path.display()
            )));
        }
        let section = match file.as_ref().map(|f| f.profile(&profile)).transpose()? {
            Some(Some(section)) => section,
            // A profile named only for the client's credentials file (COS_CI_PROFILE is
            // shared with it) is not an error.
            Some(None) | None if explicit_profile && !in_credentials_file(&profile) => {
                return Err(Failure::Config(format!(
                    "profile {profile:?} is not in {}{}",
                    path.display(),
                    file.as_ref()
                        .map(|f| format!(" (it has: {})", f.profile_names().join(", ")))
                        .unwrap_or_default()
                )));
            }
            _ => BTreeMap::new(),
        };
        let mut values = BTreeMap::new();
        for s in SETTINGS {
            if matches!(s.key, "secret_id" | "secret_key" | "token") {
                continue;
            }
            let found = flags
                .get(s.key)
                .map(|v| (v.clone(), Source::Flag))
                .or_else(|| {
                    s.env
                        .iter()
                        .find_map(|name| var(name).map(|v| (v, Source::Env(name))))
                })
                .or_else(|| section.get(s.key).map(|v| (v.clone(), Source::Profile)))
                .or_else(|| s.default.map(|d| (d.to_string(), Source::Default)));
            if let Some((value, source)) = found {
                s.kind.check(&value).map_err(|reason| {
                    Failure::Config(format!("{} (from {source}): {reason}", s.key))
                })?;
                values.insert(s.key, (value, source));
            }
        }
        if let Some(credentials) = credentials(flags, &section, &profile)? {
            values.extend(credentials);
        }
        Ok(Settings {
            path,
            file_exists,
            profile,
            values,
        })
    }

    /// The value of `key`, if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(|(v, _)| v.as_str())
    }

    fn required(&self, key: &str) -> Result<String, Failure> {
        self.get(key).map(str::to_string).ok_or_else(|| {
            let (flag, env) = setting(key)
                .map(|s| (s.flag, s.env.join(" or ")))
                .unwrap_or_default();
            Failure::Config(format!(
                "no {key}: give {flag}, set {env}, or run `cos-ci config set {key} VALUE`"
            ))
        })
    }

    fn secs(&self, key: &str) -> Option<Duration> {
        self.get(key)
            .and_then(|v| opt_secs(v).ok().flatten())
            .map(Duration::from_secs)
    }

    fn number(&self, key: &str) -> Option<u64> {
        self.get(key).and_then(|v| v.trim().parse().ok())
    }

    /// The size setting `key` in bytes (always set: they have defaults).
    pub fn size(&self, key: &str) -> u64 {
        self.get(key)
            .and_then(|v| parse_size(v).ok())
            .unwrap_or(8 << 20)
    }

    /// `concurrency`.
    pub fn concurrency(&self) -> usize {
        self.number("concurrency")
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(4)
    }

    /// A client builder with every connection setting.
    pub fn client_builder(&self) -> Result<ClientBuilder, Failure> {
        let region = self.required("region")?;
        let bucket = self.required("bucket")?;
        let (Some(id), Some(key)) = (self.get("secret_id"), self.get("secret_key")) else {
            return Err(Failure::Config(
                "no credentials: give --secret-id and --secret-key, set TENCENTCLOUD_SECRET_ID and \
                 TENCENTCLOUD_SECRET_KEY, or run `cos-ci config set secret_id ID` and \
                 `cos-ci config set secret_key KEY`"
                    .to_string(),
            ));
        };
        let mut credentials = Credentials::new(id, key);
        if let Some(token) = self.get("token") {
            credentials = credentials.with_token(token);
        }
        let timeouts = Timeouts::default()
            .with_read(self.secs("read_timeout"))
            .with_deadline(self.secs("deadline"))
            .with_transfer_deadline(self.secs("transfer_deadline"));
        let retry = RetryPolicy {
            max_attempts: self
                .number("max_attempts")
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(3),
            ..RetryPolicy::default()
        };
        let mut builder = ClientBuilder::default()
            .region(region)
            .bucket(bucket)
            .credentials(credentials)
            .timeouts(timeouts)
            .retry(retry);
        if let Some(endpoint) = self.get("endpoint") {
            builder = builder.endpoint(endpoint);
        }
        if let Some(domain) = self.get("domain") {
            builder = builder.domain(Domain::parse(domain));
        }
        if let Some(scheme) = self.get("scheme") {
            builder = builder.scheme(scheme);
        }
        if let Some(t) = self.secs("connect_timeout") {
            builder = builder.connect_timeout(t);
        }
        Ok(builder)
    }

    /// `value` as `config show` prints it: secrets masked.
    fn shown(setting: &Setting, value: &str) -> String {
        if setting.kind == Kind::Secret {
            "********".to_string()
        } else {
            value.to_string()
        }
    }

    /// What `config show --json` prints.
    pub fn show_json(&self) -> Value {
        let mut settings = Map::new();
        for s in SETTINGS {
            let entry = match self.values.get(s.key) {
                Some((v, source)) => {
                    json!({ "Value": Self::shown(s, v), "Source": source.to_string() })
                }
                None => json!({ "Value": null, "Source": null }),
            };
            settings.insert(s.key.to_string(), entry);
        }
        json!({
            "Path": self.path.display().to_string(),
            "Exists": self.file_exists,
            "Profile": self.profile,
            "Settings": settings,
        })
    }

    /// What `config show` prints.
    pub fn show_text(&self) -> String {
        let mut out = format!(
            "config file: {}{}\nprofile: {}\n",
            self.path.display(),
            if self.file_exists { "" } else { " (not found)" },
            self.profile
        );
        for s in SETTINGS {
            let line = match self.values.get(s.key) {
                Some((v, source)) => {
                    format!("{:<20} {:<40} ({source})\n", s.key, Self::shown(s, v))
                }
                None => format!("{:<20} -\n", s.key),
            };
            out.push_str(&line);
        }
        out
    }

    /// One line per setting for `-v`: values (secrets masked) and sources.
    pub fn log(&self) {
        for s in SETTINGS {
            if let Some((v, source)) = self.values.get(s.key) {
                tracing::info!(setting = s.key, value = %Self::shown(s, v), %source, "resolved");
            }
        }
    }
}

/// Whether the client's credentials file has `profile`.
fn in_credentials_file(profile: &str) -> bool {
    ProfileFileProvider::from_env()
        .filter(|p| p.path().is_file())
        .is_some_and(|p| ProfileFileProvider::new(p.path(), profile).load().is_ok())
}

type Resolved = Vec<(&'static str, (String, Source))>;

/// Credentials a provider loaded, each field named with where it came from.
fn resolved(c: Credentials, source: Source) -> Resolved {
    let mut out = vec![
        ("secret_id", (c.secret_id, source.clone())),
        ("secret_key", (c.secret_key, source.clone())),
    ];
    if let Some(t) = c.token {
        out.push(("token", (t, source)));
    }
    out
}

/// The credentials, taken whole from the first source that has a SecretId: flags, the
/// environment, the profile, the client's credentials file. A pair is never mixed from two
/// sources, so a SecretKey cannot end up signing for someone else's SecretId.
fn credentials(
    flags: &BTreeMap<&'static str, String>,
    section: &BTreeMap<String, String>,
    profile: &str,
) -> Result<Option<Resolved>, Failure> {
    let whole = |id: Option<&String>,
                 key: Option<&String>,
                 token: Option<&String>,
                 source: Source,
                 what: &str|
     -> Result<Option<Resolved>, Failure> {
        match (id, key) {
            (None, None) => Ok(None),
            (Some(id), Some(key)) => {
                let mut out = vec![
                    ("secret_id", (id.clone(), source.clone())),
                    ("secret_key", (key.clone(), source.clone())),
                ];
                if let Some(t) = token {
                    out.push(("token", (t.clone(), source)));
                }
                Ok(Some(out))
            }
            _ => Err(Failure::Config(format!(
                "{what} only half of the credentials: secret_id and secret_key go together"
            ))),
        }
    };
    if let Some(found) = whole(
        flags.get("secret_id"),
        flags.get("secret_key"),
        flags.get("token"),
        Source::Flag,
        "the flags give",
    )? {
        return Ok(Some(found));
    }
    if flags.contains_key("token") {
        return Err(Failure::Config(
            "--token goes with --secret-id and --secret-key".to_string(),
        ));
    }
    if let Ok(c) = EnvironmentProvider.load() {
        // The client's provider picks the family; name the variable it read.
        let name = [client_env::SECRET_ID, client_env::COS_SECRET_ID]
            .into_iter()
            .find(|n| var(n).as_deref() == Some(c.secret_id.as_str()))
            .unwrap_or(client_env::SECRET_ID);
        return Ok(Some(resolved(c, Source::Env(name))));
    }
    if let Some(found) = whole(
        section.get("secret_id"),
        section.get("secret_key"),
        section.get("token"),
        Source::Profile,
        "the profile gives",
    )? {
        return Ok(Some(found));
    }
    // The client's credentials file, same profile name: kept so that a set-up made for the
    // library keeps working for the CLI.
    if let Some(p) = ProfileFileProvider::from_env().filter(|p| p.path().is_file()) {
        let provider = ProfileFileProvider::new(p.path(), profile);
        if let Ok(c) = provider.load() {
            let source = Source::CredentialsFile(p.path().to_path_buf());
            return Ok(Some(resolved(c, source)));
        }
    }
    Ok(None)
}

/// Seconds, or `0` / `none` for no limit.
fn opt_secs(text: &str) -> Result<Option<u64>, String> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    match t.parse::<u64>() {
        Ok(0) => Ok(None),
        Ok(n) => Ok(Some(n)),
        Err(_) => Err(format!("{text:?} is not a number of seconds (or none)")),
    }
}

/// A byte count with an optional K, M or G suffix (powers of 1024).
pub fn parse_size(s: &str) -> Result<u64, String> {
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

/// Flag value parsers: the same checks as every other source, at parse time (exit 2).
pub mod check {
    use super::Kind;

    fn with(kind: Kind, s: &str) -> Result<String, String> {
        kind.check(s).map(|()| s.to_string())
    }

    /// Seconds above 0.
    pub fn secs(s: &str) -> Result<String, String> {
        with(Kind::Secs, s)
    }

    /// Seconds or `none`.
    pub fn opt_secs(s: &str) -> Result<String, String> {
        with(Kind::OptSecs, s)
    }

    /// 1 to 256.
    pub fn count(s: &str) -> Result<String, String> {
        with(Kind::Count, s)
    }

    /// A size.
    pub fn size(s: &str) -> Result<String, String> {
        with(Kind::Size, s)
    }
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

    #[test]
    fn seconds_and_counts() {
        assert_eq!(opt_secs("none"), Ok(None));
        assert_eq!(opt_secs("0"), Ok(None));
        assert_eq!(opt_secs("30"), Ok(Some(30)));
        assert!(Kind::Secs.check("0").is_err());
        assert!(Kind::Count.check("257").is_err());
        assert!(Kind::Count.check("8").is_ok());
    }

    #[test]
    fn every_default_is_valid() {
        for s in SETTINGS {
            if let Some(d) = s.default {
                assert!(s.kind.check(d).is_ok(), "{}", s.key);
            }
        }
    }

    /// The README's configuration table has one row per setting naming its flag, every
    /// environment variable and its profile key.
    #[test]
    fn readme_table_lists_every_setting() {
        let readme = include_str!("../../../README.md");
        for s in SETTINGS {
            let row = readme
                .lines()
                .find(|l| l.starts_with('|') && l.contains(&format!("`{}`", s.flag)))
                .unwrap_or_else(|| panic!("README has no row for {}", s.flag));
            assert!(row.contains(&format!("`{}`", s.key)), "{row}");
            for e in s.env {
                assert!(row.contains(&format!("`{e}`")), "{row} lacks {e}");
            }
            if let Some(d) = s.default {
                assert!(row.contains(&format!("`{d}`")), "{row} lacks {d}");
            }
        }
    }
}
