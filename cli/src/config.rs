//! Settings: flag, then environment (the SDK's `OPENSCALER_*` names), then
//! the profile in `$XDG_CONFIG_HOME/openscaler/config.toml`, then defaults.
//!
//! ```toml
//! [profiles.default]
//! base_url = "https://api.alpha.openscaler.net"
//! token = "..."
//! timeout_secs = 30
//! ```
//!
//! A config file holding a token is refused when its group or others can
//! read it, as ssh refuses such keys.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    time::Duration,
};

use openscaler::{ENV_BASE_URL, ENV_TIMEOUT_SECS, ENV_TOKEN};
use serde::Deserialize;

use crate::args::Global;

/// Environment variable naming the profile (not the SDK's: only the CLI
/// has profiles).
pub const ENV_PROFILE: &str = "OPENSCALER_PROFILE";

/// What the client is made from.
#[derive(Default)]
pub struct Settings {
    pub base_url: Option<String>,
    pub token: Option<String>,
    pub timeout: Option<Duration>,
    /// Where the token came from, for the "no token" message.
    pub config_path: PathBuf,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Profile {
    base_url: Option<String>,
    token: Option<String>,
    timeout_secs: Option<f64>,
}

/// The config file's path: `$XDG_CONFIG_HOME/openscaler/config.toml`, or
/// `~/.config/openscaler/config.toml` when it is unset or empty.
pub fn config_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let base = match env("XDG_CONFIG_HOME") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env("HOME")?).join(".config"),
    };
    Some(base.join("openscaler").join("config.toml"))
}

/// Resolves the settings. `env` reads a variable (empty counts as unset).
///
/// # Errors
///
/// One line for exit code 3: an unreadable or unsafe config file, a
/// profile that is not there, a timeout that is not a duration.
pub fn resolve(global: &Global, env: &dyn Fn(&str) -> Option<String>) -> Result<Settings, String> {
    let path = config_path(env).unwrap_or_else(|| PathBuf::from("config.toml"));
    let named = global.profile.clone().or_else(|| env(ENV_PROFILE));
    let profile = load_profile(&path, named.as_deref())?;

    let timeout = match (&global.timeout, env(ENV_TIMEOUT_SECS)) {
        (Some(flag), _) => Some(parse_duration(flag).map_err(|e| format!("--timeout: {e}"))?),
        (None, Some(secs)) => {
            Some(parse_seconds(&secs).map_err(|e| format!("{ENV_TIMEOUT_SECS}: {e}"))?)
        }
        (None, None) => match profile.timeout_secs {
            Some(secs) => Some(seconds(secs).ok_or_else(|| {
                format!(
                    "{}: timeout_secs: {secs} is not a positive number of seconds",
                    path.display()
                )
            })?),
            None => None,
        },
    };
    Ok(Settings {
        base_url: global
            .base_url
            .clone()
            .or_else(|| env(ENV_BASE_URL))
            .or(profile.base_url),
        token: global
            .token
            .clone()
            .or_else(|| env(ENV_TOKEN))
            .or(profile.token),
        timeout,
        config_path: path,
    })
}

/// The named profile, or `default` (which may be absent) when none is named.
fn load_profile(path: &Path, named: Option<&str>) -> Result<Profile, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return match named {
                Some(name) if name != "default" => Err(format!(
                    "profile {name:?} not found: {} does not exist",
                    path.display()
                )),
                _ => Ok(Profile::default()),
            };
        }
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let mut config: ConfigFile = toml::from_str(&text).map_err(|e| {
        let first = e.message().lines().next().unwrap_or("").to_owned();
        match e.span().map(|s| line_of(&text, s.start)) {
            Some(line) => format!("{}:{line}: {first}", path.display()),
            None => format!("{}: {first}", path.display()),
        }
    })?;
    if config.profiles.values().any(|p| p.token.is_some()) {
        check_private(path)?;
    }
    let name = named.unwrap_or("default");
    match config.profiles.remove(name) {
        Some(profile) => Ok(profile),
        None if named.is_none() => Ok(Profile::default()),
        None => {
            let known: Vec<_> = config.profiles.keys().map(String::as_str).collect();
            Err(format!(
                "profile {name:?} not found in {} (profiles: {})",
                path.display(),
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ))
        }
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Refuses a file holding a token that group or others may read.
#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(format!(
            "{} holds a token and others can read it (mode {:03o}): run chmod 600 {}",
            path.display(),
            mode & 0o777,
            path.display()
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &Path) -> Result<(), String> {
    Ok(())
}

/// A duration: plain seconds (`30`, `1.5`) or with a unit (`500ms`, `30s`,
/// `2m`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| c.is_ascii_alphabetic()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let scale = match unit {
        "ms" => 0.001,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => {
            return Err(format!(
                "{text:?} is not a duration such as 30s, 500ms or 2m"
            ))
        }
    };
    number
        .parse::<f64>()
        .ok()
        .and_then(|n| seconds(n * scale))
        .ok_or_else(|| format!("{text:?} is not a positive duration such as 30s, 500ms or 2m"))
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .and_then(seconds)
        .ok_or_else(|| format!("{text:?} is not a positive number of seconds"))
}

fn seconds(secs: f64) -> Option<Duration> {
    Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|d| !d.is_zero())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_seconds_or_a_unit() {
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        for bad in ["0", "-1", "abc", "5x", "", "0s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_config_path_follows_xdg() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(
            config_path(&env(&[("XDG_CONFIG_HOME", "/x"), ("HOME", "/h")])),
            Some(PathBuf::from("/x/openscaler/config.toml"))
        );
        assert_eq!(
            config_path(&env(&[("HOME", "/h")])),
            Some(PathBuf::from("/h/.config/openscaler/config.toml"))
        );
        assert_eq!(config_path(&env(&[])), None);
    }
}
