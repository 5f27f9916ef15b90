//! How a command fails: the lines to print and the exit code.

use openscaler::{Error, ErrorKind};

/// All done.
pub const OK: u8 = 0;
/// The API refused or failed an update.
pub const API: u8 = 1;
/// Bad usage or input; nothing was sent.
pub const USAGE: u8 = 2;
/// Configuration: no token, an unreadable or unsafe profile.
pub const CONFIG: u8 = 3;
/// The API refused the credentials (401, 403).
pub const AUTH: u8 = 4;

/// A command that did not succeed.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    /// Printed on stderr, each after `error: `.
    pub lines: Vec<String>,
}

impl Failure {
    pub fn usage(line: impl Into<String>) -> Failure {
        Failure {
            code: USAGE,
            lines: vec![line.into()],
        }
    }

    /// Input problems: one line each, then how many, nothing sent.
    pub fn problems(mut lines: Vec<String>) -> Failure {
        let count = lines.len();
        lines.push(match count {
            1 => "1 problem; nothing was sent".to_owned(),
            n => format!("{n} problems; nothing was sent"),
        });
        Failure { code: USAGE, lines }
    }

    pub fn config(line: impl Into<String>) -> Failure {
        Failure {
            code: CONFIG,
            lines: vec![line.into()],
        }
    }

    /// An SDK error, in the SDK's words.
    pub fn api(error: &Error) -> Failure {
        Failure {
            code: exit_code(error),
            lines: vec![error.to_string()],
        }
    }
}

/// The exit code for an SDK error.
pub fn exit_code(error: &Error) -> u8 {
    match error.kind() {
        ErrorKind::Config => CONFIG,
        ErrorKind::InvalidInput => USAGE,
        _ if error.status().is_some_and(|s| s == 401 || s == 403) => AUTH,
        _ => API,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SDK errors the CLI does not expect (it checks input and settings
    /// first) still get the code of their kind.
    #[test]
    fn sdk_errors_map_to_their_exit_codes() {
        let mut backend: openscaler::Backend = serde_json::from_value(serde_json::json!({
            "name": "", "mode": "http", "balancing_method": "first", "port": 80,
            "servers": {"type": "computer", "computer_ids": ["1"]}
        }))
        .unwrap();
        let invalid = Error::from(backend.validate().unwrap_err());
        assert_eq!(exit_code(&invalid), USAGE);
        backend.name = "web".into();
        assert!(backend.validate().is_ok());
        let config = openscaler::Client::builder().build().unwrap_err();
        assert_eq!(exit_code(&config), CONFIG);
        let failure = Failure::api(&config);
        assert_eq!((failure.code, failure.lines.len()), (CONFIG, 1));
    }
}
