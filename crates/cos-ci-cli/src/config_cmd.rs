//! `cos-ci config set | unset | show | path`.

use std::collections::BTreeMap;

use serde_json::json;

use crate::args::{ConfigAction, Global};
use crate::exit::Failure;
use crate::profile::{self, ConfigFile};
use crate::settings::{self, Settings};

/// Runs one `config` action; `flags` are the settings given as flags (for `show`).
pub fn run(
    action: ConfigAction,
    global: &Global,
    flags: &BTreeMap<&'static str, String>,
) -> Result<(), Failure> {
    let (path, _) = settings::config_path(global.config.as_deref())?;
    let (profile, explicit_profile) = settings::profile_name(global.profile.as_deref());
    let json = global.json;
    match action {
        ConfigAction::Path => {
            if json {
                println!(
                    "{}",
                    json!({ "Path": path.display().to_string(), "Exists": path.is_file() })
                );
            } else {
                println!("{}", path.display());
            }
        }
        ConfigAction::Show => {
            // `show` explains a configuration: a file named but missing is shown as such
            // rather than refused.
            let resolved = Settings::resolve(flags, (path, false), (profile, explicit_profile))?;
            if json {
                println!("{}", resolved.show_json());
            } else {
                print!("{}", resolved.show_text());
            }
        }
        ConfigAction::Set { key, value } => {
            let setting = settings::setting(&key).ok_or_else(|| {
                Failure::Usage(format!(
                    "{key:?} is not a setting (known: {})",
                    settings::keys()
                ))
            })?;
            setting
                .kind
                .check(&value)
                .map_err(|reason| Failure::Usage(format!("{key}: {reason}")))?;
            let mut file = ConfigFile::load(&path)?.unwrap_or_default();
            file.set(&profile, &key, Some(profile::stored(setting, &value)));
            file.save(&path)?;
            let shown = if setting.kind == settings::Kind::Secret {
                "********".to_string()
            } else {
                value
            };
            if json {
                println!(
                    "{}",
                    json!({ "Path": path.display().to_string(), "Profile": profile, "Key": key, "Value": shown })
                );
            } else {
                eprintln!("{key} = {shown} in profile {profile} of {}", path.display());
            }
        }
        ConfigAction::Unset { key } => {
            if settings::setting(&key).is_none() {
                return Err(Failure::Usage(format!(
                    "{key:?} is not a setting (known: {})",
                    settings::keys()
                )));
            }
            let Some(mut file) = ConfigFile::load(&path)? else {
                return Err(Failure::Config(format!(
                    "config file {} does not exist",
                    path.display()
                )));
            };
            file.set(&profile, &key, None);
            file.save(&path)?;
            if json {
                println!(
                    "{}",
                    json!({ "Path": path.display().to_string(), "Profile": profile, "Key": key, "Value": null })
                );
            } else {
                eprintln!("{key} removed from profile {profile} of {}", path.display());
            }
        }
    }
    Ok(())
}
