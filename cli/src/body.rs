//! From a document and flags to an [`openscaler::Backend`], with every
//! problem found at once.
//!
//! Two passes. The first walks the JSON value against the body's shape (the
//! fields of `openapi.yaml`): unknown fields (typos), missing required
//! fields, wrong types and enum values this version does not know. Where a
//! value is wrong it puts a harmless stand-in in its place, so that the
//! second pass, the SDK's own checks (`Backend::validate`), can still run on
//! the rest; its problems under a place already reported are dropped. Each
//! problem keeps its path, so it can be told against the flag that set the
//! value, or the file and line it came from.

use std::collections::BTreeMap;

use openscaler::{
    Backend, BalancingMethod, HealthCheckType, Mode, ProxyProtocol, StickySessionType,
};
use serde_json::{json, Map, Value};

use crate::doc::{join, Doc};

/// One problem with the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Where, as a path into the body (`servers.computer_ids[1]`), or a path
    /// parameter (`lb_id`).
    pub path: String,
    /// The offending value, as JSON text, when there is one.
    pub value: Option<String>,
    pub message: String,
}

impl Problem {
    pub fn new(path: impl Into<String>, value: Option<&Value>, message: impl Into<String>) -> Self {
        Problem {
            path: path.into(),
            value: value.map(Value::to_string),
            message: message.into(),
        }
    }

    /// `port: 0 must be from 1 to 65535`, or `name is required`.
    fn describe(&self, path: &str) -> String {
        match &self.value {
            Some(value) if path.is_empty() => format!("{value} {}", self.message),
            Some(value) => format!("{path}: {value} {}", self.message),
            None if path.is_empty() => self.message.clone(),
            None => format!("{path} {}", self.message),
        }
    }
}

/// Where the values of a body came from, to say where a problem is.
pub struct Origins<'a> {
    /// The file, when there is one.
    pub doc: Option<&'a Doc>,
    /// Where the body sits in the file (`backends[3].backend`), or `""`.
    pub prefix: String,
    /// The flag that set each path.
    pub flags: BTreeMap<String, &'static str>,
}

impl Origins<'_> {
    /// The problem in one line, naming the flag, or the file's field and
    /// line: `--port: 0 must be from 1 to 65535`,
    /// `backend.yaml:4: port: 0 must be from 1 to 65535`.
    pub fn render(&self, problem: &Problem) -> String {
        self.render_at(problem).1
    }

    /// Every problem rendered, in the order of the file's lines (problems
    /// with flags first).
    pub fn render_all(&self, problems: &[Problem]) -> Vec<String> {
        let mut lines: Vec<_> = problems.iter().map(|p| self.render_at(p)).collect();
        lines.sort_by_key(|(line, _)| *line);
        lines.into_iter().map(|(_, text)| text).collect()
    }

    /// The problem's line in the file (0 for none) and its rendering.
    fn render_at(&self, problem: &Problem) -> (usize, String) {
        let mut at = Some(problem.path.as_str());
        while let Some(path) = at {
            if let Some(flag) = self.flags.get(path) {
                let shown = if path == problem.path {
                    ""
                } else {
                    &problem.path
                };
                return (0, format!("{flag}: {}", problem.describe(shown)));
            }
            at = crate::doc::parent(path);
        }
        let full = if problem.path.is_empty() {
            self.prefix.clone()
        } else {
            join(&self.prefix, &problem.path)
        };
        match self.doc {
            Some(doc) => {
                let described = problem.describe(&full);
                match doc.line_of(&full) {
                    Some(line) => (line, format!("{}:{line}: {described}", doc.name)),
                    None => (0, format!("{}: {described}", doc.name)),
                }
            }
            None => (0, problem.describe(&full)),
        }
    }
}

/// The shape of a value in the body.
#[derive(Clone, Copy)]
enum Kind {
    Str,
    Enum(&'static [&'static str]),
    Bool,
    /// The backend's port: an integer or a string.
    Port,
    /// An integer port (the health check's).
    IntPort,
    /// A list of strings; integers are taken as their decimal text.
    Ids,
    /// A list of strings.
    Strings,
    /// A string; an integer is taken as its decimal text.
    Code,
    Object(&'static [Field]),
    Servers,
}

struct Field {
    name: &'static str,
    kind: Kind,
    required: bool,
}

const fn field(name: &'static str, kind: Kind, required: bool) -> Field {
    Field {
        name,
        kind,
        required,
    }
}

const BACKEND: &[Field] = &[
    field("name", Kind::Str, true),
    field("mode", Kind::Enum(Mode::KNOWN), true),
    field("balancing_method", Kind::Enum(BalancingMethod::KNOWN), true),
    field("port", Kind::Port, true),
    field("servers", Kind::Servers, true),
    field("options", Kind::Object(OPTIONS), false),
];

const OPTIONS: &[Field] = &[
    field("tls", Kind::Bool, false),
    field("tls_verify", Kind::Bool, false),
    field("forward_for", Kind::Bool, false),
    field("proxy_protocol", Kind::Enum(ProxyProtocol::KNOWN), false),
    field("sticky_session", Kind::Object(STICKY), false),
    field("health_check", Kind::Object(HEALTH), false),
];

const STICKY: &[Field] = &[
    field("type", Kind::Enum(StickySessionType::KNOWN), true),
    field("cookie", Kind::Str, true),
    field("ttl", Kind::Str, true),
];

const HEALTH: &[Field] = &[
    field("type", Kind::Enum(HealthCheckType::KNOWN), true),
    field("path", Kind::Str, false),
    field("method", Kind::Str, false),
    field("port", Kind::IntPort, false),
    field("expected_code", Kind::Code, false),
    field("host_header", Kind::Str, false),
];

const SERVER_TYPES: &[&str] = &["computer", "ip"];

const COMPUTER: &[Field] = &[
    field("type", Kind::Enum(SERVER_TYPES), true),
    field("computer_ids", Kind::Ids, true),
];

const IP: &[Field] = &[
    field("type", Kind::Enum(SERVER_TYPES), true),
    field("ips", Kind::Strings, true),
];

/// Walks a value against its shape, collecting problems and returning the
/// value with stand-ins where it was wrong.
struct Walker {
    problems: Vec<Problem>,
}

impl Walker {
    fn refuse(&mut self, path: &str, value: Option<&Value>, message: impl Into<String>) {
        self.problems.push(Problem::new(path, value, message));
    }

    fn walk(&mut self, path: &str, value: &Value, kind: Kind) -> Value {
        match kind {
            Kind::Str => match value {
                Value::String(_) => value.clone(),
                _ => {
                    self.refuse(path, Some(value), "must be a string (quote it)");
                    json!("\u{0}")
                }
            },
            Kind::Enum(known) => match value.as_str() {
                Some(s) if known.contains(&s) => value.clone(),
                _ => {
                    self.refuse(
                        path,
                        Some(value),
                        format!("must be one of {}", known.join(", ")),
                    );
                    json!(known[0])
                }
            },
            Kind::Bool => match value {
                Value::Bool(_) => value.clone(),
                _ => {
                    self.refuse(path, Some(value), "must be true or false");
                    json!(false)
                }
            },
            Kind::Port => match value {
                Value::String(_) => value.clone(),
                Value::Number(n) if n.as_u64().is_some_and(|p| (1..=65535).contains(&p)) => {
                    value.clone()
                }
                _ => {
                    self.refuse(path, Some(value), "must be a port from 1 to 65535");
                    json!(1)
                }
            },
            Kind::IntPort => match value {
                Value::Number(n) if n.as_u64().is_some_and(|p| (1..=65535).contains(&p)) => {
                    value.clone()
                }
                _ => {
                    self.refuse(path, Some(value), "must be a port from 1 to 65535");
                    json!(1)
                }
            },
            Kind::Code => match value {
                Value::String(_) => value.clone(),
                Value::Number(n) if n.is_u64() => json!(n.to_string()),
                _ => {
                    self.refuse(path, Some(value), "must be an HTTP status such as \"200\"");
                    json!("200")
                }
            },
            Kind::Ids | Kind::Strings => {
                let Value::Array(items) = value else {
                    self.refuse(path, Some(value), "must be a list");
                    return json!(["\u{0}"]);
                };
                let items = items.iter().enumerate().map(|(i, item)| match item {
                    Value::String(_) => item.clone(),
                    Value::Number(n) if n.is_u64() && matches!(kind, Kind::Ids) => {
                        json!(n.to_string())
                    }
                    _ => {
                        self.refuse(&format!("{path}[{i}]"), Some(item), "must be a string");
                        json!(format!("\u{0}{i}"))
                    }
                });
                Value::Array(items.collect())
            }
            Kind::Object(fields) => self.object(path, value, fields),
            Kind::Servers => {
                let fields = match value.get("type").and_then(Value::as_str) {
                    Some("ip") => IP,
                    _ => COMPUTER,
                };
                self.object(path, value, fields)
            }
        }
    }

    fn object(&mut self, path: &str, value: &Value, fields: &'static [Field]) -> Value {
        let names = || fields.iter().map(|f| f.name).collect::<Vec<_>>().join(", ");
        let empty = Map::new();
        let map = match value {
            Value::Object(map) => map,
            _ => {
                let message = format!("must be a mapping with the fields {}", names());
                self.refuse(path, Some(value), message);
                &empty
            }
        };
        for key in map.keys() {
            if !fields.iter().any(|f| f.name == key) {
                let message = match fields.iter().find(|f| resembles(key, f.name)) {
                    Some(f) if !map.contains_key(f.name) => {
                        format!("is not a known field; did you mean {}?", f.name)
                    }
                    _ => format!("is not a known field (known: {})", names()),
                };
                self.refuse(&join(path, key), None, message);
            }
        }
        let mut out = Map::new();
        for field in fields {
            let here = join(path, field.name);
            match map.get(field.name) {
                Some(Value::Null) | None if !field.required => {}
                Some(Value::Null) | None => {
                    // A value that is not a mapping was reported once, above.
                    if value.is_object() {
                        self.refuse(&here, None, "is required");
                    }
                    out.insert(field.name.to_owned(), stand_in(field.kind));
                }
                Some(item) => {
                    out.insert(field.name.to_owned(), self.walk(&here, item, field.kind));
                }
            }
        }
        Value::Object(out)
    }
}

/// Whether an unknown key looks like a slip for `known`: one is the other
/// with a letter or two added, dropped or changed, or a prefix of it.
fn resembles(key: &str, known: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (key.chars().collect(), known.chars().collect());
    if a.len().min(b.len()) >= 4 && (known.starts_with(key) || key.starts_with(known)) {
        return true;
    }
    // Levenshtein distance, one row at a time.
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()] <= 2 && b.len() > 3
}

/// A valid value of a kind, for a missing required field.
fn stand_in(kind: Kind) -> Value {
    match kind {
        Kind::Str => json!("\u{0}"),
        Kind::Enum(known) => json!(known[0]),
        Kind::Bool => json!(false),
        Kind::Port | Kind::IntPort => json!(1),
        Kind::Code => json!("200"),
        Kind::Ids | Kind::Strings => json!(["\u{0}"]),
        Kind::Object(fields) => object_stand_in(fields),
        Kind::Servers => object_stand_in(COMPUTER),
    }
}

fn object_stand_in(fields: &[Field]) -> Value {
    let map = fields
        .iter()
        .filter(|f| f.required)
        .map(|f| (f.name.to_owned(), stand_in(f.kind)))
        .collect();
    Value::Object(map)
}

/// Whether `path` is `under` or inside it.
fn within(path: &str, under: &str) -> bool {
    under.is_empty()
        || path == under
        || path
            .strip_prefix(under)
            .is_some_and(|rest| rest.starts_with(['.', '[']))
}

/// Turns a JSON value into a backend, or every problem with it.
pub fn backend_from_value(value: &Value) -> Result<Backend, Vec<Problem>> {
    let mut walker = Walker {
        problems: Vec::new(),
    };
    let shaped = walker.walk("", value, Kind::Object(BACKEND));
    let mut problems = walker.problems;
    let backend: Backend = match serde_json::from_value(shaped) {
        Ok(backend) => backend,
        Err(e) => {
            // The walk makes a value of the body's shape; this is a bug.
            problems.push(Problem::new("", None, format!("cannot be read: {e}")));
            return Err(problems);
        }
    };
    if let Err(invalid) = backend.validate() {
        for p in invalid.problems() {
            if !problems.iter().any(|known| within(p.field(), &known.path)) {
                problems.push(Problem {
                    path: p.field().to_owned(),
                    value: Some(p.value().to_owned()),
                    message: p.message().to_owned(),
                });
            }
        }
    }
    if problems.is_empty() {
        Ok(backend)
    } else {
        Err(problems)
    }
}

/// The checks the SDK makes on a path value, made here too so that an
/// `apply` file's entries are all checked before anything is sent.
pub fn check_path_value(field: &str, value: &str, problems: &mut Vec<Problem>) {
    let message = match value {
        "" => "must not be empty",
        "." | ".." => "is a dot segment and would leave its path segment",
        _ => return,
    };
    problems.push(Problem::new(field, Some(&json!(value)), message));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The page's example body (the repository's copy of its curl body).
    fn page() -> Value {
        let case: Value =
            serde_json::from_str(include_str!("../../tests/fixtures/update-backend.json")).unwrap();
        case["body"].clone()
    }

    fn paths(problems: &[Problem]) -> Vec<String> {
        problems.iter().map(|p| p.path.clone()).collect()
    }

    #[test]
    fn the_page_example_reads_unchanged() {
        let backend = backend_from_value(&page()).unwrap();
        assert_eq!(serde_json::to_value(&backend).unwrap(), page());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut body = page();
        body["mode"] = json!("quic");
        body["port"] = json!(0);
        body["balancing"] = json!("first");
        body["servers"]["computer_ids"] = json!(["23", "", true]);
        body["options"]["tls"] = json!("yes");
        body["options"]["health_check"]["path"] = json!("health");
        body["options"]["sticky_session"]
            .as_object_mut()
            .unwrap()
            .remove("ttl");
        let problems = backend_from_value(&body).unwrap_err();
        let mut found = paths(&problems);
        found.sort();
        assert_eq!(
            found,
            [
                "balancing",
                "mode",
                "options.health_check.path",
                "options.sticky_session.ttl",
                "options.tls",
                "port",
                "servers.computer_ids[1]",
                "servers.computer_ids[2]",
            ]
        );
        let mode = problems.iter().find(|p| p.path == "mode").unwrap();
        assert_eq!(mode.value.as_deref(), Some("\"quic\""));
        assert_eq!(mode.message, "must be one of http, tcp");
    }

    #[test]
    fn integers_are_taken_where_the_api_wants_their_text() {
        let mut body = page();
        body["servers"]["computer_ids"] = json!([23, 24]);
        body["options"]["health_check"]["expected_code"] = json!(200);
        let backend = backend_from_value(&body).unwrap();
        assert_eq!(serde_json::to_value(&backend).unwrap(), page());
    }

    #[test]
    fn missing_fields_are_named_and_a_non_mapping_once() {
        let problems = backend_from_value(&json!({"name": "web"})).unwrap_err();
        assert_eq!(
            paths(&problems),
            ["mode", "balancing_method", "port", "servers"]
        );
        assert!(problems.iter().all(|p| p.message == "is required"));
        let problems = backend_from_value(&json!("web")).unwrap_err();
        assert_eq!(paths(&problems), [""]);
        assert!(problems[0].message.starts_with("must be a mapping"));
    }

    #[test]
    fn a_slip_in_a_field_name_is_named() {
        let mut body = page();
        let servers = body.as_object_mut().unwrap().remove("servers").unwrap();
        body["server"] = servers;
        body["optoins"] = body["options"].take();
        body.as_object_mut().unwrap().remove("options");
        body["colour"] = json!("red");
        let problems = backend_from_value(&body).unwrap_err();
        let said: Vec<_> = problems
            .iter()
            .map(|p| format!("{} {}", p.path, p.message))
            .collect();
        assert!(
            said.contains(&"server is not a known field; did you mean servers?".to_owned()),
            "{said:?}"
        );
        assert!(
            said.contains(&"optoins is not a known field; did you mean options?".to_owned()),
            "{said:?}"
        );
        assert!(
            said.iter()
                .any(|s| s.starts_with("colour is not a known field (known: name,")),
            "{said:?}"
        );
        assert!(resembles("balancing", "balancing_method"));
        assert!(resembles("tls_verfy", "tls_verify"));
        assert!(!resembles("tls", "tls_verify"));
        assert!(!resembles("mode", "name"));
        assert!(!resembles("xyzport", "port"), "three leading letters");
        assert!(
            !resembles("tsl", "tls"),
            "names of three letters are not guessed"
        );
        assert!(resembles("prot", "port"));
    }

    /// Each kind's accepted forms, and the message for the others.
    #[test]
    fn each_kind_takes_its_forms_and_names_the_rest() {
        let problem = |set: &dyn Fn(&mut Value)| {
            let mut body = page();
            set(&mut body);
            backend_from_value(&body).err().map(|p| {
                format!(
                    "{} {} {}",
                    p[0].path,
                    p[0].value.clone().unwrap_or_default(),
                    p[0].message
                )
            })
        };
        assert_eq!(
            problem(&|b| b["port"] = json!("8080")),
            None,
            "a string port"
        );
        assert_eq!(
            problem(&|b| b["options"]["health_check"]["port"] = json!(70000)),
            Some("options.health_check.port 70000 must be a port from 1 to 65535".into())
        );
        assert_eq!(
            problem(&|b| b["options"]["health_check"]["expected_code"] = json!(2.5)),
            Some(
                "options.health_check.expected_code 2.5 must be an HTTP status such as \"200\""
                    .into()
            )
        );
        assert_eq!(
            problem(&|b| b["servers"] = json!({"type": "ip", "ips": [1]})),
            Some("servers.ips[0] 1 must be a string".into())
        );
        assert_eq!(
            problem(&|b| b["servers"]["computer_ids"] = json!([-1])),
            Some("servers.computer_ids[0] -1 must be a string".into())
        );
        // With the field itself present, no suggestion: the list.
        let said = problem(&|b| b["server"] = json!(1)).unwrap();
        assert!(
            said.starts_with("server  is not a known field (known: name,"),
            "{said}"
        );
    }

    #[test]
    fn a_root_that_is_not_a_mapping_renders_without_a_path() {
        let doc = crate::doc::parse("b.yaml", "web\n").unwrap();
        let origins = Origins {
            doc: Some(&doc),
            prefix: String::new(),
            flags: BTreeMap::new(),
        };
        let problems = backend_from_value(&doc.value).unwrap_err();
        assert_eq!(
            origins.render(&problems[0]),
            "b.yaml:1: \"web\" must be a mapping with the fields name, mode, balancing_method, port, servers, options"
        );
    }

    #[test]
    fn ip_servers_are_read_by_their_type() {
        let mut body = page();
        body["servers"] = json!({"type": "ip", "ips": ["10.0.0.5", "nope"]});
        let problems = backend_from_value(&body).unwrap_err();
        assert_eq!(paths(&problems), ["servers.ips[1]"]);
        body["servers"] = json!({"type": "disk", "computer_ids": ["1"]});
        let problems = backend_from_value(&body).unwrap_err();
        assert_eq!(paths(&problems), ["servers.type"]);
    }

    #[test]
    fn rendering_names_the_flag_or_the_file_line() {
        let doc = crate::doc::parse("b.yaml", "name: web\nport: 0\n").unwrap();
        let mut origins = Origins {
            doc: Some(&doc),
            prefix: String::new(),
            flags: BTreeMap::new(),
        };
        let port = Problem::new("port", Some(&json!(0)), "must be from 1 to 65535");
        assert_eq!(
            origins.render(&port),
            "b.yaml:2: port: 0 must be from 1 to 65535"
        );
        let missing = Problem::new("mode", None, "is required");
        assert_eq!(origins.render(&missing), "b.yaml:1: mode is required");
        origins.flags.insert("port".into(), "--port");
        origins.flags.insert("servers".into(), "--computer");
        assert_eq!(origins.render(&port), "--port: 0 must be from 1 to 65535");
        let id = Problem::new(
            "servers.computer_ids[1]",
            Some(&json!("")),
            "must not be empty",
        );
        assert_eq!(
            origins.render(&id),
            "--computer: servers.computer_ids[1]: \"\" must not be empty"
        );
        let entry = Origins {
            doc: Some(&doc),
            prefix: "backends[3].backend".into(),
            flags: BTreeMap::new(),
        };
        assert_eq!(
            entry.render(&port),
            "b.yaml:1: backends[3].backend.port: 0 must be from 1 to 65535"
        );
    }
}
