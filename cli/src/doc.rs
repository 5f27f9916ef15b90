//! Reading a YAML or JSON document into a JSON value, remembering the line
//! each value came from, so that problems can point at the file.
//!
//! YAML is read with `serde-saphyr` into a tree of `Spanned` nodes; JSON is
//! YAML too, so one reader serves both. A document the YAML reader refuses
//! but that looks like JSON is read again with `serde_json`, for its error.

use std::{collections::BTreeMap, fmt};

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use serde_saphyr::Spanned;

/// A document read from a file or standard input.
#[derive(Debug)]
pub struct Doc {
    /// What to call it in messages: the path, or `<stdin>`.
    pub name: String,
    pub value: Value,
    /// Line (1-based) of each value, by path (`servers.computer_ids[1]`;
    /// the root is `""`).
    lines: BTreeMap<String, usize>,
}

impl Doc {
    /// The line of the value at `path`, or of the nearest enclosing value.
    pub fn line_of(&self, path: &str) -> Option<usize> {
        let mut path = path;
        loop {
            if let Some(line) = self.lines.get(path) {
                return Some(*line).filter(|l| *l > 0);
            }
            path = parent(path)?;
        }
    }

    /// A document made in code (no lines).
    pub fn from_value(name: impl Into<String>, value: Value) -> Doc {
        Doc {
            name: name.into(),
            value,
            lines: BTreeMap::new(),
        }
    }
}

/// `a.b[2]` -> `a.b` -> `a` -> `""` -> `None`.
pub fn parent(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    let cut = path.rfind(['.', '[']).unwrap_or(0);
    Some(&path[..cut])
}

/// Joins a path and a key: `("", "a")` -> `a`, `("a", "b")` -> `a.b`.
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Reads `text` (YAML or JSON) named `name`.
///
/// # Errors
///
/// One line naming the document, the line and column, and what is wrong.
pub fn parse(name: &str, text: &str) -> Result<Doc, String> {
    if text.trim().is_empty() {
        return Err(format!("{name}: the document is empty"));
    }
    // A `.json` file is held to JSON's rules (YAML would let a trailing
    // comma pass); its lines still come from the YAML reader.
    let strict_json = if name.ends_with(".json") {
        Some(serde_json::from_str::<Value>(text).map_err(|e| json_message(name, &e))?)
    } else {
        None
    };
    match serde_saphyr::from_str::<Spanned<Node>>(text) {
        Ok(root) => {
            let mut lines = BTreeMap::new();
            let value = flatten(root, String::new(), &mut lines);
            Ok(Doc {
                name: name.to_owned(),
                value,
                lines,
            })
        }
        Err(_) if strict_json.is_some() => {
            Ok(Doc::from_value(name, strict_json.unwrap_or_default()))
        }
        Err(yaml_error) => {
            let looks_like_json = matches!(text.trim_start().chars().next(), Some('{' | '['));
            if looks_like_json {
                return match serde_json::from_str::<Value>(text) {
                    Ok(value) => Ok(Doc::from_value(name, value)),
                    Err(e) => Err(json_message(name, &e)),
                };
            }
            Err(yaml_message(name, &yaml_error))
        }
    }
}

fn json_message(name: &str, error: &serde_json::Error) -> String {
    format!(
        "{name}:{}:{}: not valid JSON: {}",
        error.line(),
        error.column(),
        strip_position(&error.to_string())
    )
}

fn strip_position(message: &str) -> &str {
    message
        .rfind(" at line ")
        .map_or(message, |cut| &message[..cut])
}

/// serde-saphyr's error as one line: `name:line:column: message`.
fn yaml_message(name: &str, error: &serde_saphyr::Error) -> String {
    let text = error.to_string();
    // The message may come with a snippet of the source on later lines.
    let first = text.lines().next().unwrap_or("").trim();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let first = strip_position(first);
    match error.location() {
        Some(at) if at.line() > 0 => {
            format!(
                "{name}:{}:{}: not valid YAML: {first}",
                at.line(),
                at.column()
            )
        }
        _ => format!("{name}: not valid YAML: {first}"),
    }
}

fn flatten(node: Spanned<Node>, path: String, lines: &mut BTreeMap<String, usize>) -> Value {
    lines.insert(path.clone(), node.referenced.line() as usize);
    match node.value {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Bool(b),
        Node::Number(n) => Value::Number(n),
        // NaN and infinities have no JSON form; keep their text.
        Node::Float(f) => Value::String(f.to_string()),
        Node::Str(s) => Value::String(s),
        Node::Seq(items) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| flatten(item, format!("{path}[{i}]"), lines))
                .collect(),
        ),
        Node::Map(entries) => {
            let mut map = Map::new();
            for (key, item) in entries {
                let child = join(&path, &key);
                let value = flatten(item, child, lines);
                map.insert(key, value);
            }
            Value::Object(map)
        }
    }
}

/// A YAML node; children carry their positions.
enum Node {
    Null,
    Bool(bool),
    Number(Number),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(String, Spanned<Node>)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        Node::deserialize(deserializer)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Node, E> {
        Ok(Node::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Node, E> {
        Ok(Node::Number(n.into()))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Node, E> {
        Ok(Node::Number(n.into()))
    }

    fn visit_i128<E: de::Error>(self, n: i128) -> Result<Node, E> {
        Ok(Node::Str(n.to_string()))
    }

    fn visit_u128<E: de::Error>(self, n: u128) -> Result<Node, E> {
        Ok(Node::Str(n.to_string()))
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Node, E> {
        Ok(Number::from_f64(f).map_or(Node::Float(f), Node::Number))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Node, E> {
        Ok(Node::Str(s.to_owned()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Node, E> {
        Ok(Node::Str(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Node>>()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries: Vec<(String, Spanned<Node>)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value::<Spanned<Node>>()?;
            if entries.iter().any(|(k, _)| *k == key) {
                return Err(de::Error::custom(format!("duplicate key {key:?}")));
            }
            entries.push((key, value));
        }
        Ok(Node::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_values_and_their_lines() {
        let doc = parse(
            "b.yaml",
            "name: web\nport: 8080\nservers:\n  type: computer\n  computer_ids:\n    - \"23\"\n    - 24\nopt: ~\n",
        )
        .unwrap();
        assert_eq!(
            doc.value,
            json!({"name": "web", "port": 8080, "servers": {"type": "computer", "computer_ids": ["23", 24]}, "opt": null})
        );
        assert_eq!(doc.line_of("name"), Some(1));
        assert_eq!(doc.line_of("port"), Some(2));
        assert_eq!(doc.line_of("servers.type"), Some(4));
        assert_eq!(doc.line_of("servers.computer_ids[1]"), Some(7));
        // A missing child points at its parent.
        assert_eq!(doc.line_of("servers.ips"), doc.line_of("servers"));
    }

    #[test]
    fn json_is_read_with_lines_too() {
        let doc = parse(
            "b.json",
            "{\n  \"name\": \"web\",\n  \"port\": \"8080\"\n}\n",
        )
        .unwrap();
        assert_eq!(doc.value, json!({"name": "web", "port": "8080"}));
        assert_eq!(doc.line_of("port"), Some(3));
    }

    #[test]
    fn broken_documents_name_the_line() {
        let error = parse("b.yaml", "name: web\nport: [8080\nmode: http\n").unwrap_err();
        assert!(error.starts_with("b.yaml:"), "{error}");
        assert!(!error.contains('\n'), "{error}");
        let error = parse("b.json", "{\n  \"name\": \"web\",\n}\n").unwrap_err();
        assert!(error.starts_with("b.json:3:"), "{error}");
        let error = parse("b.yaml", "a: 1\na: 2\n").unwrap_err();
        assert!(error.contains("duplicate"), "{error}");
        assert_eq!(
            parse("e.yaml", " \n").unwrap_err(),
            "e.yaml: the document is empty"
        );
    }

    #[test]
    fn paths_climb_to_their_parents() {
        assert_eq!(parent("a.b[2]"), Some("a.b"));
        assert_eq!(parent("a.b"), Some("a"));
        assert_eq!(parent("a"), Some(""));
        assert_eq!(parent(""), None);
        assert_eq!(join("", "a"), "a");
        assert_eq!(join("a[1]", "b"), "a[1].b");
    }
}
