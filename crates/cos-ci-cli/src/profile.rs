//! The config file: TOML with a `[default]` profile and named `[profile.NAME]` profiles, each
//! holding settings by their profile key (see [`crate::settings::SETTINGS`]).
//!
//! ```toml
//! [default]
//! region = "ap-guangzhou"
//! bucket = "examplebucket-1250000000"
//! secret_id = "AKIDEXAMPLE"
//! secret_key = "example-secret"
//!
//! [profile.mock]
//! endpoint = "http://127.0.0.1:9000"
//! region = "ap-guangzhou"
//! read_timeout = 30
//! part_size = "16M"
//! ```
//!
//! A named profile does not inherit from `[default]`: what it does not set comes from the
//! defaults, so switching profiles never mixes two accounts.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

use toml::{Table, Value};

use crate::exit::Failure;
use crate::settings;

/// Largest config file read: a few profiles of a few lines; anything larger is not one.
const MAX_BYTES: u64 = 256 * 1024;

/// A parsed config file.
#[derive(Debug, Default)]
pub struct ConfigFile {
    table: Table,
}

fn invalid(path: &Path, reason: impl std::fmt::Display) -> Failure {
    Failure::Config(format!("config file {}: {reason}", path.display()))
}

impl ConfigFile {
    /// Reads and checks the file at `path`; `None` when it does not exist.
    pub fn load(path: &Path) -> Result<Option<Self>, Failure> {
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(invalid(path, e)),
        };
        let mut text = String::new();
        file.take(MAX_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(|e| invalid(path, e))?;
        if text.len() as u64 > MAX_BYTES {
            return Err(invalid(path, format!("larger than {MAX_BYTES} bytes")));
        }
        let table: Table = toml::from_str(&text).map_err(|e| invalid(path, e.message()))?;
        let file = ConfigFile { table };
        file.check().map_err(|reason| invalid(path, reason))?;
        Ok(Some(file))
    }

    /// Every section is a profile, every key a setting with a string or integer value.
    fn check(&self) -> Result<(), String> {
        for (name, value) in &self.table {
            match (name.as_str(), value) {
                ("default", Value::Table(t)) => check_section("[default]", t)?,
                ("profile", Value::Table(profiles)) => {
                    for (p, v) in profiles {
                        let Value::Table(t) = v else {
                            return Err(format!("profile.{p} is not a [profile.{p}] section"));
                        };
                        check_section(&format!("[profile.{p}]"), t)?;
                    }
                }
                _ => {
                    return Err(format!(
                        "{name:?} is not a section this file has: use [default] and [profile.NAME]"
                    ));
                }
            }
        }
        Ok(())
    }

    fn section(&self, profile: &str) -> Option<&Table> {
        let value = if profile == "default" {
            self.table.get("default")
        } else {
            self.table
                .get("profile")
                .and_then(Value::as_table)
                .and_then(|t| t.get(profile))
        };
        value.and_then(Value::as_table)
    }

    /// The settings of `profile` as text (integers written out); `None` when there is no
    /// such profile.
    pub fn profile(&self, profile: &str) -> Result<Option<BTreeMap<String, String>>, Failure> {
        Ok(self.section(profile).map(|t| {
            t.iter()
                .filter_map(|(k, v)| text(v).map(|v| (k.clone(), v)))
                .collect()
        }))
    }

    /// The profiles in the file.
    pub fn profile_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .table
            .get("default")
            .map(|_| "default".to_string())
            .into_iter()
            .collect();
        if let Some(p) = self.table.get("profile").and_then(Value::as_table) {
            names.extend(p.keys().cloned());
        }
        names
    }

    /// Sets (`Some`) or removes (`None`) `key` of `profile`.
    pub fn set(&mut self, profile: &str, key: &str, value: Option<Value>) {
        let section = if profile == "default" {
            section_mut(&mut self.table, "default")
        } else {
            section_mut(section_mut(&mut self.table, "profile"), profile)
        };
        match value {
            Some(v) => {
                section.insert(key.to_string(), v);
            }
            None => {
                section.remove(key);
            }
        }
    }

    /// Writes the file, readable by its owner only (it may hold a SecretKey): a temporary
    /// file in the same folder, made 0600 before anything is written, renamed into place.
    pub fn save(&self, path: &Path) -> Result<(), Failure> {
        let text = toml::to_string(&self.table).map_err(|e| invalid(path, e))?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        create_private_dir(dir).map_err(|e| Failure::Io(format!("{}: {e}", dir.display())))?;
        let io = |e: std::io::Error| Failure::Io(format!("{}: {e}", path.display()));
        let mut builder = tempfile::Builder::new();
        builder.prefix(".config.toml.");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o600));
        }
        let mut tmp = builder.tempfile_in(dir).map_err(io)?;
        tmp.write_all(header().as_bytes()).map_err(io)?;
        tmp.write_all(text.as_bytes()).map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        tmp.persist(path).map_err(|e| io(e.error))?;
        Ok(())
    }
}

fn header() -> String {
    "# cos-ci configuration: [default] and [profile.NAME] sections; see `cos-ci config --help`.\n\
     # Written by `cos-ci config set` (comments are not kept).\n\n"
        .to_string()
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

fn section_mut<'a>(table: &'a mut Table, name: &str) -> &'a mut Table {
    let entry = table
        .entry(name.to_string())
        .or_insert_with(|| Value::Table(Table::new()));
    if !entry.is_table() {
        *entry = Value::Table(Table::new());
    }
    match entry {
        Value::Table(t) => t,
        // Made a table just above.
        _ => unreachable!("section {name} is a table"),
    }
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Integer(i) => Some(i.to_string()),
        _ => None,
    }
}

fn check_section(name: &str, table: &Table) -> Result<(), String> {
    for (key, value) in table {
        let Some(setting) = settings::setting(key) else {
            return Err(format!(
                "{name}: {key:?} is not a setting (known: {})",
                settings::keys()
            ));
        };
        let Some(v) = text(value) else {
            return Err(format!("{name}: {key} must be a string or an integer"));
        };
        setting
            .kind
            .check(&v)
            .map_err(|reason| format!("{name}: {key}: {reason}"))?;
    }
    Ok(())
}

/// `value` as the profile stores it: an integer for numeric settings, else a string.
pub fn stored(setting: &settings::Setting, value: &str) -> Value {
    match value.trim().parse::<i64>() {
        Ok(i) if setting.kind.numeric() => Value::Integer(i),
        _ => Value::String(value.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_round_trip() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("sub").join("config.toml");
        let mut file = ConfigFile::default();
        let region = settings::setting("region").unwrap_or_else(|| panic!("region"));
        let timeout = settings::setting("read_timeout").unwrap_or_else(|| panic!("timeout"));
        file.set("default", "region", Some(stored(region, "ap-guangzhou")));
        file.set("prod", "read_timeout", Some(stored(timeout, "30")));
        file.save(&path).unwrap_or_else(|e| panic!("{e:?}"));
        let back = ConfigFile::load(&path)
            .unwrap_or_else(|e| panic!("{e:?}"))
            .unwrap_or_else(|| panic!("missing"));
        assert_eq!(back.profile_names(), ["default", "prod"]);
        let prod = back.profile("prod").ok().flatten().unwrap_or_default();
        assert_eq!(prod.get("read_timeout").map(String::as_str), Some("30"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).map(|m| m.permissions().mode());
            assert_eq!(mode.ok().map(|m| m & 0o777), Some(0o600));
        }
    }

    #[test]
    fn unknown_keys_and_sections_are_refused() {
        let t: Table = toml::from_str("[default]\nregoin = \"x\"\n").unwrap_or_default();
        assert!(ConfigFile { table: t }.check().is_err());
        let t: Table = toml::from_str("[prod]\nregion = \"x\"\n").unwrap_or_default();
        assert!(ConfigFile { table: t }.check().is_err());
        let t: Table = toml::from_str("[default]\nconcurrency = 999\n").unwrap_or_default();
        assert!(ConfigFile { table: t }.check().is_err());
    }
}
