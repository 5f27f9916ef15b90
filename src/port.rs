//! [`Port`]: the backend port, an integer or a string on the wire.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Port that backend servers listen on (`port`).
///
/// The API takes an integer or a string. A `Port` remembers which form it was
/// given and is sent in that form: `Port::from(8080)` goes out as `8080`,
/// `Port::from("8080")` as `"8080"`. Both forms are parsed from responses.
///
/// Before sending, [`Backend::validate`](crate::Backend::validate) checks that
/// either form holds a port from 1 to 65535 (the string form in plain
/// decimal, as the spec's pattern says).
///
/// # Examples
///
/// ```
/// use openscaler::Port;
///
/// assert_eq!(serde_json::to_string(&Port::from(8080))?, "8080");
/// assert_eq!(serde_json::to_string(&Port::from("8080"))?, r#""8080""#);
/// assert_eq!(Port::from("8080").number(), Some(8080));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Port {
    /// The integer form, e.g. `8080`.
    Number(u16),
    /// The string form, e.g. `"8080"`.
    Text(String),
}

impl Port {
    /// The port number, whichever form holds it; `None` when the string form
    /// is not a decimal number from 1 to 65535.
    pub fn number(&self) -> Option<u16> {
        match self {
            Port::Number(n) => Some(*n).filter(|n| *n != 0),
            Port::Text(s) => parse_decimal_port(s),
        }
    }
}

/// A port written as plain decimal digits, 1 to 65535 (leading `+`, spaces
/// and the like are refused, unlike `str::parse`). The empty string and
/// numbers too long for a `u16` fail to parse.
fn parse_decimal_port(text: &str) -> Option<u16> {
    if !text.bytes().all(|b| b.is_ascii_digit()) || text.starts_with('0') {
        return None;
    }
    text.parse().ok().filter(|n| *n != 0)
}

impl From<u16> for Port {
    fn from(number: u16) -> Self {
        Port::Number(number)
    }
}

impl From<&str> for Port {
    fn from(text: &str) -> Self {
        Port::Text(text.to_owned())
    }
}

impl From<String> for Port {
    fn from(text: String) -> Self {
        Port::Text(text)
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Port::Number(n) => write!(f, "{n}"),
            Port::Text(s) => f.write_str(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_form_parses_into_itself() {
        assert_eq!(
            serde_json::from_str::<Port>("443").unwrap(),
            Port::Number(443)
        );
        assert_eq!(
            serde_json::from_str::<Port>("\"443\"").unwrap(),
            Port::Text("443".into())
        );
        assert!(serde_json::from_str::<Port>("70000").is_err());
        assert!(serde_json::from_str::<Port>("true").is_err());
    }

    #[test]
    fn decimal_ports_only() {
        for ok in ["1", "80", "65535"] {
            assert!(parse_decimal_port(ok).is_some(), "{ok}");
        }
        for bad in ["", "0", "080", "+80", " 80", "65536", "8o", "123456"] {
            assert_eq!(parse_decimal_port(bad), None, "{bad}");
        }
    }
}
