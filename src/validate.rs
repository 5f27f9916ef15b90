//! Checks on what we send: every problem at once, each with its field path
//! and the offending value. Nothing is sent while any problem remains.
//!
//! The rules mirror the constraints in `openapi.yaml` (`minLength`, `pattern`,
//! `minimum`, `maximum`, `minItems`, `uniqueItems`, `format`), which the
//! generated types deliberately leave unchecked so that responses are read
//! leniently (see `build.rs`).

use std::{
    collections::{btree_map::Entry, BTreeMap},
    fmt,
    net::IpAddr,
};

use crate::{Backend, HealthCheck, Port, Servers, StickySession};

/// One problem with a value that was about to be sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    field: String,
    value: String,
    message: String,
}

impl Problem {
    /// Where the value sits, as a path into the request: `port`,
    /// `servers.computer_ids[1]`, `options.health_check.path`, or the name of a
    /// path parameter (`lb_id`).
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The offending value, as JSON (strings in quotes).
    pub fn value(&self) -> &str {
        &self.value
    }

    /// What is wrong with it.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} {}", self.field, self.value, self.message)
    }
}

/// Input refused before sending, with every [`Problem`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationError {
    problems: Vec<Problem>,
}

impl ValidationError {
    /// The problems, in field order; never empty.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationError {}

/// The checks a type's values get before they are sent as a request body.
///
/// The generated methods call [`Check::check`] on every body alike: this is
/// the one place where hand-written rules plug in, for any operation that
/// sends the type. A type listed in the generator's `CHECKED`
/// (`build/generator/mod.rs`) implements it here, by hand; every other body
/// type gets the default, written by the generator, which checks nothing
/// (the server still does).
pub(crate) trait Check {
    /// Adds the problems of `self` to `checker`.
    fn check(&self, checker: &mut Checker) {
        let _ = checker;
    }
}

impl Check for Backend {
    fn check(&self, checker: &mut Checker) {
        checker.backend(self);
    }
}

/// Collects problems; `finish` turns them into a result.
#[derive(Default)]
pub(crate) struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    pub(crate) fn refuse(
        &mut self,
        field: impl Into<String>,
        value: impl serde::Serialize,
        message: impl Into<String>,
    ) {
        let value = serde_json::to_string(&value).unwrap_or_else(|_| "?".to_owned());
        self.problems.push(Problem {
            field: field.into(),
            value,
            message: message.into(),
        });
    }

    fn non_empty(&mut self, field: &str, value: &str) {
        if value.is_empty() {
            self.refuse(field, value, "must not be empty");
        }
    }

    /// A path parameter: it must stay one path segment, so it cannot be empty
    /// or a dot segment (which URL parsing would resolve away). Every other
    /// character is percent-encoded by the generated client.
    pub(crate) fn path_segment(&mut self, field: &str, value: &str) {
        match value {
            "" => self.refuse(field, value, "must not be empty"),
            "." | ".." => self.refuse(
                field,
                value,
                "is a dot segment and would leave its path segment",
            ),
            _ => {}
        }
    }

    pub(crate) fn backend(&mut self, backend: &Backend) {
        self.non_empty("name", &backend.name);
        self.port(&backend.port);
        self.servers(&backend.servers);
        if let Some(options) = &backend.options {
            if let Some(sticky) = &options.sticky_session {
                self.sticky_session(sticky);
            }
            if let Some(check) = &options.health_check {
                self.health_check(check);
            }
        }
    }

    fn port(&mut self, port: &Port) {
        match port {
            _ if port.number().is_some() => {}
            Port::Number(n) => self.refuse("port", n, "must be from 1 to 65535"),
            Port::Text(text) => self.refuse(
                "port",
                text,
                "must be a port from 1 to 65535 in decimal digits",
            ),
        }
    }

    fn servers(&mut self, servers: &Servers) {
        match servers {
            Servers::Computer { computer_ids, .. } => {
                self.list("servers.computer_ids", computer_ids, "computer id", |id| {
                    (!id.is_empty())
                        .then_some(id.as_str())
                        .ok_or("must not be empty")
                })
            }
            Servers::Ip { ips, .. } => self.list("servers.ips", ips, "address", |ip| {
                ip.parse::<IpAddr>()
                    .map_err(|_| "is not an IPv4 or IPv6 address")
            }),
            Servers::Unknown(_) => {}
        }
    }

    /// A non-empty list whose items each pass `check` and whose checked
    /// values do not repeat.
    fn list<'a, K: Ord>(
        &mut self,
        field: &str,
        items: &'a [String],
        noun: &str,
        check: impl Fn(&'a String) -> Result<K, &'static str>,
    ) {
        if items.is_empty() {
            self.refuse(field, items, format!("must list at least one {noun}"));
        }
        let mut seen = Seen::default();
        for (i, item) in items.iter().enumerate() {
            match check(item) {
                Err(message) => self.refuse(format!("{field}[{i}]"), item, message),
                Ok(key) => {
                    if let Some(first) = seen.insert(key, i) {
                        let message = format!("repeats {field}[{first}]");
                        self.refuse(format!("{field}[{i}]"), item, message);
                    }
                }
            }
        }
    }

    fn sticky_session(&mut self, sticky: &StickySession) {
        self.non_empty("options.sticky_session.cookie", &sticky.cookie);
        if !is_positive_duration(&sticky.ttl) {
            self.refuse(
                "options.sticky_session.ttl",
                &sticky.ttl,
                "must be a whole number above zero followed by ms, s, m, h or d, such as \"5m\"",
            );
        }
    }

    fn health_check(&mut self, check: &HealthCheck) {
        if let Some(path) = &check.path {
            if !path.starts_with('/') {
                self.refuse("options.health_check.path", path, "must start with \"/\"");
            }
        }
        if let Some(method) = &check.method {
            self.non_empty("options.health_check.method", method);
        }
        if check.port == Some(0) {
            self.refuse("options.health_check.port", 0, "must be from 1 to 65535");
        }
        if let Some(code) = &check.expected_code {
            let valid =
                code.len() == 3 && code.parse::<u16>().is_ok_and(|c| (100..=599).contains(&c));
            if !valid {
                self.refuse(
                    "options.health_check.expected_code",
                    code,
                    "must be an HTTP status from \"100\" to \"599\"",
                );
            }
        }
        if let Some(host) = &check.host_header {
            self.non_empty("options.health_check.host_header", host);
        }
    }

    pub(crate) fn finish(self) -> Result<(), ValidationError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(ValidationError {
                problems: self.problems,
            })
        }
    }
}

/// The values a list has shown so far, each with the index it first
/// appeared at. Lists are short: the first [`Seen::INLINE`] values are
/// compared in place, without allocating (the benchmarks measured the
/// allocation on every call); longer lists go to an ordered map, not a
/// hashed one, whose random keys cost more than the comparisons.
struct Seen<K> {
    inline: [Option<(K, usize)>; Seen::<()>::INLINE],
    more: BTreeMap<K, usize>,
}

impl<K> Seen<K> {
    const INLINE: usize = 8;
}

impl<K> Default for Seen<K> {
    fn default() -> Self {
        Seen {
            inline: [const { None }; Seen::<()>::INLINE],
            more: BTreeMap::new(),
        }
    }
}

impl<K: Ord> Seen<K> {
    /// Adds `key`, seen at `index`; returns where it was first seen if it
    /// repeats.
    fn insert(&mut self, key: K, index: usize) -> Option<usize> {
        for slot in &mut self.inline {
            match slot {
                Some((seen, first)) if *seen == key => return Some(*first),
                Some(_) => {}
                None => {
                    *slot = Some((key, index));
                    return None;
                }
            }
        }
        match self.more.entry(key) {
            Entry::Occupied(first) => Some(*first.get()),
            Entry::Vacant(slot) => {
                slot.insert(index);
                None
            }
        }
    }
}

/// `^0*[1-9][0-9]*(ms|s|m|h|d)$`, the spec's pattern for `ttl`.
fn is_positive_duration(text: &str) -> bool {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    number.bytes().any(|b| b != b'0') && matches!(unit, "ms" | "s" | "m" | "h" | "d")
}

impl Backend {
    /// Checks everything this crate checks before sending, and reports every
    /// problem at once: `name` non-empty; `port` from 1 to 65535 in either
    /// form; `servers` non-empty, without repeats, with valid IP addresses;
    /// sticky-session `cookie` non-empty and `ttl` above zero; health-check
    /// `path` starting with `/`, `port` from 1 to 65535, `expected_code` from
    /// 100 to 599, `method` and `host_header` non-empty.
    ///
    /// Values this version does not know (an `Unknown` enum value or
    /// [`Servers::Unknown`]) are not refused: they came from the server.
    ///
    /// # Errors
    ///
    /// A [`ValidationError`] listing each problem with its field and value.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let mut checker = Checker::default();
        checker.backend(self);
        checker.finish()
    }
}
