//! Reading a YAML or JSON document into a JSON value, remembering the line
//! each value came from, so that problems can point at the file.
//!
//! YAML is read with `serde-saphyr` into a tree of `Spanned` nodes; JSON is
//! YAML too, so one reader serves both. A document the YAML reader refuses
//! but that looks like JSON is read again with `serde_json`, for its error.
//!
//! [`parse`] reads a whole document (one backend). [`stream_list`] reads a
//! large one (`apply`'s) as it goes: the items of its list are handed on one
//! at a time, each with its own lines, and not kept, so memory follows the
//! largest item rather than the file.

use std::{
    collections::BTreeMap,
    fmt,
    io::{BufReader, Read},
    path::{Path, PathBuf},
};

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
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

    /// A document that knows only the line of `path` (for a message about
    /// a place of a document no longer held).
    pub fn with_line(name: impl Into<String>, path: &str, line: usize) -> Doc {
        Doc {
            name: name.into(),
            value: Value::Null,
            lines: BTreeMap::from([(path.to_owned(), line)]),
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
    if name.ends_with(".json") {
        serde_json::from_str::<de::IgnoredAny>(text).map_err(|e| json_message(name, &e))?;
    }
    match serde_saphyr::from_str_with_options::<Spanned<Node>>(text, options(text.len() as u64)) {
        Ok(root) => {
            let mut lines = BTreeMap::new();
            let value = flatten(root, String::new(), &mut lines);
            Ok(Doc {
                name: name.to_owned(),
                value,
                lines,
            })
        }
        Err(yaml_error) => {
            // JSON that the YAML reader refuses (a key of over 1,024
            // characters) is read without lines; JSON that is not, with
            // JSON's own message.
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
    // An input error ("IO error") says what it was only in its source: the
    // reader meets bytes that are not UTF-8 as one.
    let first = match std::error::Error::source(error) {
        Some(cause) => format!("{first}: {cause}"),
        None => first.to_owned(),
    };
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

/// The YAML reader's limits for a document of `len` bytes.
///
/// serde-saphyr's defaults (250,000 nodes, 1,000,000 events, 64 MiB of
/// scalars, 256 MiB read) refuse an `apply` file of more than about 4,500
/// entries. They are there to stop a small document from costing much, and
/// without aliases a document costs in proportion to its size: every node
/// but an implicit null has at least a byte of its own, and an implicit null
/// comes with an indicator (`-`, `?`, `:`) that brings at most two, so a
/// document has at most 2 nodes per byte, 2 events per node (start and end)
/// and no more scalar bytes than bytes. The limits are set from the size
/// (the defaults as a floor); what makes a small document large, aliases
/// and anchors, keeps serde-saphyr's default limits, as does the depth.
fn options(len: u64) -> serde_saphyr::Options {
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = budget.max_nodes.max(len.saturating_mul(2));
    budget.max_events = budget
        .max_events
        .max(len.saturating_mul(4).saturating_add(8));
    budget.max_total_scalar_bytes = budget.max_total_scalar_bytes.max(len);
    budget.max_reader_input_bytes = budget.max_reader_input_bytes.map(|cap| cap.max(len));
    serde_saphyr::options! { budget: Some(budget) }
}

/// Where a document comes from: a file, read as often as needed, or bytes
/// already read (standard input, which cannot be read twice).
pub struct Source {
    name: String,
    data: Data,
}

enum Data {
    File(PathBuf),
    Bytes(Vec<u8>),
}

impl Source {
    /// The file at `path`, or standard input for `-` (read whole). What is
    /// not a regular file (a pipe) is read whole too.
    ///
    /// # Errors
    ///
    /// A file that cannot be read, in one line naming it.
    pub fn open(path: &Path) -> Result<Source, String> {
        if path == Path::new("-") {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| format!("cannot read standard input: {e}"))?;
            return Ok(Source::bytes("<stdin>", bytes));
        }
        let name = path.display().to_string();
        let cannot = |e: std::io::Error| format!("cannot read {name}: {e}");
        let meta = std::fs::metadata(path).map_err(cannot)?;
        if meta.is_file() {
            return Ok(Source {
                name,
                data: Data::File(path.to_owned()),
            });
        }
        let bytes = std::fs::read(path).map_err(cannot)?;
        Ok(Source::bytes(name, bytes))
    }

    /// Bytes named `name`.
    pub fn bytes(name: impl Into<String>, bytes: Vec<u8>) -> Source {
        Source {
            name: name.into(),
            data: Data::Bytes(bytes),
        }
    }

    /// What to call it in messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn reader(&self) -> Result<Box<dyn Read + '_>, String> {
        match &self.data {
            Data::File(path) => std::fs::File::open(path)
                .map(|file| Box::new(BufReader::new(file)) as Box<dyn Read>)
                .map_err(|e| format!("cannot read {}: {e}", self.name)),
            Data::Bytes(bytes) => Ok(Box::new(bytes.as_slice())),
        }
    }

    fn len(&self) -> Result<u64, String> {
        match &self.data {
            Data::File(path) => std::fs::metadata(path)
                .map(|meta| meta.len())
                .map_err(|e| format!("cannot read {}: {e}", self.name)),
            Data::Bytes(bytes) => Ok(bytes.len() as u64),
        }
    }

    /// The first character that is not white space, if any.
    fn first_char(&self) -> Result<Option<u8>, String> {
        let mut reader = self.reader()?;
        let mut buf = [0u8; 4096];
        loop {
            let n = reader
                .read(&mut buf)
                .map_err(|e| format!("cannot read {}: {e}", self.name))?;
            if n == 0 {
                return Ok(None);
            }
            if let Some(b) = buf[..n].iter().find(|b| !b.is_ascii_whitespace()) {
                return Ok(Some(*b));
            }
        }
    }

    /// JSON's verdict on the whole source, without keeping it.
    fn check_json(&self) -> Result<(), String> {
        let reader = self.reader()?;
        serde_json::from_reader::<_, de::IgnoredAny>(reader)
            .map(|_| ())
            .map_err(|e| json_message(&self.name, &e))
    }
}

/// What is left of a document once [`stream_list`] has handed on its list.
#[derive(Debug)]
pub struct Rest {
    /// The document, the list's value emptied when it was a list (and kept
    /// when it was something else).
    pub doc: Doc,
    /// How many items the list had, when it was a list.
    pub items: Option<usize>,
}

/// Reads `source` (YAML or JSON) and hands each item of the list under the
/// root mapping's `key` to `each` as soon as it is read: its index and a
/// [`Doc`] of the item alone, its paths and lines those of the whole
/// document (`key[3].name`). The items are not kept.
///
/// The root's line is that of its first key (a mapping's own line is not
/// given to a visitor that streams it); a root that is not a mapping has no
/// line.
///
/// # Errors
///
/// One line naming the document, the line and column, and what is wrong.
/// Items may have been handed on before an error further down the file.
pub fn stream_list(
    source: &Source,
    key: &str,
    each: &mut dyn FnMut(usize, Doc),
) -> Result<Rest, String> {
    let name = source.name();
    let first = source.first_char()?;
    if first.is_none() {
        return Err(format!("{name}: the document is empty"));
    }
    // A `.json` file is held to JSON's rules (YAML would let a trailing
    // comma pass); its lines still come from the YAML reader.
    if name.ends_with(".json") {
        source.check_json()?;
    }
    let seed = RootSeed { name, key, each };
    let read = serde_saphyr::with_deserializer_from_reader_with_options(
        source.reader()?,
        options(source.len()?),
        |de| seed.deserialize(de),
    );
    match read {
        Ok(rest) => Ok(rest),
        Err(yaml_error) => {
            if matches!(first, Some(b'{' | b'[')) && !name.ends_with(".json") {
                source.check_json()?;
            }
            Err(yaml_message(name, &yaml_error))
        }
    }
}

/// The root of a streamed document.
struct RootSeed<'a> {
    name: &'a str,
    key: &'a str,
    each: &'a mut dyn FnMut(usize, Doc),
}

impl<'de> DeserializeSeed<'de> for RootSeed<'_> {
    type Value = Rest;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Rest, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// The visits of a value that is not the one streamed: the node is made
/// as [`NodeVisitor`] makes it, and handed to the seed's `other`.
macro_rules! other_nodes {
    () => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            NodeVisitor.visit_unit().map(|node| self.other(node))
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            NodeVisitor.visit_none().map(|node| self.other(node))
        }
        fn visit_bool<E: de::Error>(self, b: bool) -> Result<Self::Value, E> {
            NodeVisitor.visit_bool(b).map(|node| self.other(node))
        }
        fn visit_i64<E: de::Error>(self, n: i64) -> Result<Self::Value, E> {
            NodeVisitor.visit_i64(n).map(|node| self.other(node))
        }
        fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
            NodeVisitor.visit_u64(n).map(|node| self.other(node))
        }
        fn visit_f64<E: de::Error>(self, f: f64) -> Result<Self::Value, E> {
            NodeVisitor.visit_f64(f).map(|node| self.other(node))
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
            NodeVisitor.visit_str(s).map(|node| self.other(node))
        }
        fn visit_string<E: de::Error>(self, s: String) -> Result<Self::Value, E> {
            NodeVisitor.visit_string(s).map(|node| self.other(node))
        }
    };
}

impl<'de> Visitor<'de> for RootSeed<'_> {
    type Value = Rest;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }

    other_nodes!();

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Rest, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Rest, A::Error> {
        let node = NodeVisitor.visit_seq(seq)?;
        let line = match &node {
            Node::Seq(items) => items.first().map_or(0, |i| i.referenced.line() as usize),
            _ => 0,
        };
        Ok(self.not_a_mapping(node, line))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Rest, A::Error> {
        let mut value = Map::new();
        let mut lines = BTreeMap::new();
        let mut root_line = 0;
        let mut items = None;
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            // (The reader refuses a repeated key itself.)
            let (key, line) = (key.value, key.referenced.line() as usize);
            if root_line == 0 {
                root_line = line;
            }
            let item = if key == self.key {
                let list = map.next_value_seed(ListSeed {
                    name: self.name,
                    key: &key,
                    each: &mut *self.each,
                })?;
                match list {
                    Listed::Items(count) => {
                        items = Some(count);
                        lines.insert(key.clone(), line);
                        Value::Array(Vec::new())
                    }
                    Listed::Other(node) => flatten_at(node, line, key.clone(), &mut lines),
                }
            } else {
                let node = map.next_value::<Spanned<Node>>()?;
                flatten(node, key.clone(), &mut lines)
            };
            value.insert(key, item);
        }
        lines.insert(String::new(), root_line);
        Ok(Rest {
            doc: Doc {
                name: self.name.to_owned(),
                value: Value::Object(value),
                lines,
            },
            items,
        })
    }
}

impl RootSeed<'_> {
    /// A scalar root: no line is known.
    fn other(self, node: Node) -> Rest {
        self.not_a_mapping(node, 0)
    }

    fn not_a_mapping(self, node: Node, line: usize) -> Rest {
        let mut lines = BTreeMap::new();
        let value = flatten_at(node, line, String::new(), &mut lines);
        Rest {
            doc: Doc {
                name: self.name.to_owned(),
                value,
                lines,
            },
            items: None,
        }
    }
}

/// The value under the streamed key.
struct ListSeed<'a> {
    name: &'a str,
    key: &'a str,
    each: &'a mut dyn FnMut(usize, Doc),
}

/// A list, handed on; or another value, kept for the message.
enum Listed {
    Items(usize),
    Other(Node),
}

impl ListSeed<'_> {
    fn other(self, node: Node) -> Listed {
        Listed::Other(node)
    }
}

impl<'de> DeserializeSeed<'de> for ListSeed<'_> {
    type Value = Listed;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Listed, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ListSeed<'_> {
    type Value = Listed;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }

    other_nodes!();

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Listed, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Listed, A::Error> {
        NodeVisitor.visit_map(map).map(Listed::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Listed, A::Error> {
        let mut count = 0;
        while let Some(item) = seq.next_element::<Spanned<Node>>()? {
            let mut lines = BTreeMap::new();
            let value = flatten(item, format!("{}[{count}]", self.key), &mut lines);
            (self.each)(
                count,
                Doc {
                    name: self.name.to_owned(),
                    value,
                    lines,
                },
            );
            count += 1;
        }
        Ok(Listed::Items(count))
    }
}

fn flatten(node: Spanned<Node>, path: String, lines: &mut BTreeMap<String, usize>) -> Value {
    let line = node.referenced.line() as usize;
    flatten_at(node.value, line, path, lines)
}

/// [`flatten`] for a node whose line is known apart from it (0: none).
fn flatten_at(node: Node, line: usize, path: String, lines: &mut BTreeMap<String, usize>) -> Value {
    lines.insert(path.clone(), line);
    match node {
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

    /// Streams `text` as `name`: the items handed on, and what is left.
    fn stream(name: &str, text: &str) -> Result<(Vec<Doc>, Rest), String> {
        let mut items = Vec::new();
        let source = Source::bytes(name, text.as_bytes().to_vec());
        let rest = stream_list(&source, "list", &mut |i, doc| {
            assert_eq!(i, items.len(), "items in order");
            assert_eq!(doc.name, name);
            items.push(doc);
        })?;
        Ok((items, rest))
    }

    fn values(items: &[Doc]) -> Vec<Value> {
        items.iter().map(|d| d.value.clone()).collect()
    }

    /// The line of `list[i].a` in each item.
    fn lines_of_a(items: &[Doc]) -> Vec<Option<usize>> {
        let at = |(i, d): (usize, &Doc)| d.line_of(&format!("list[{i}].a"));
        items.iter().enumerate().map(at).collect()
    }

    #[test]
    fn a_list_is_handed_on_item_by_item_with_its_lines() {
        let text = "other: 1\nlist:\n  - a: x\n    b: [1, 2]\n  - {a: w}\n\n  - a:\n      c: z\nlast: {k: v}\n";
        let (items, rest) = stream("s.yaml", text).unwrap();
        assert_eq!(
            values(&items),
            [
                json!({"a": "x", "b": [1, 2]}),
                json!({"a": "w"}),
                json!({"a": {"c": "z"}})
            ]
        );
        // A block mapping's line is that of its first key.
        assert_eq!(lines_of_a(&items), [Some(3), Some(5), Some(8)]);
        assert_eq!(items[2].line_of("list[2]"), Some(7));
        assert_eq!(items[0].line_of("list[0].b[1]"), Some(4));
        assert_eq!(rest.items, Some(3));
        assert_eq!(
            rest.doc.value,
            json!({"other": 1, "list": [], "last": {"k": "v"}})
        );
        assert_eq!(rest.doc.line_of(""), Some(1), "the first key's line");
        assert_eq!(rest.doc.line_of("list"), Some(2));
        assert_eq!(rest.doc.line_of("last.k"), Some(9));
        assert_eq!(rest.doc.name, "s.yaml");
    }

    #[test]
    fn json_is_streamed_with_lines_and_held_to_json() {
        let text = "{\n  \"list\": [\n    {\"a\": 1},\n    {\n      \"a\": 2\n    }\n  ]\n}\n";
        let (items, rest) = stream("s.json", text).unwrap();
        assert_eq!(values(&items), [json!({"a": 1}), json!({"a": 2})]);
        assert_eq!(lines_of_a(&items), [Some(3), Some(5)]);
        assert_eq!(rest.items, Some(2));
        let error = stream("s.json", "{\"list\": [1,]}\n").unwrap_err();
        assert!(error.starts_with("s.json:1:"), "{error}");
        assert!(error.contains("not valid JSON"), "{error}");
        // The same text as YAML is read (YAML takes the trailing comma).
        assert_eq!(
            values(&stream("s.yaml", "{\"list\": [1,]}\n").unwrap().0),
            [json!(1)]
        );
    }

    #[test]
    fn what_is_not_a_list_is_kept_for_the_message() {
        let (items, rest) = stream("s.yaml", "list: {a: 1}\n").unwrap();
        assert!(items.is_empty());
        assert_eq!(rest.items, None);
        assert_eq!(rest.doc.value, json!({"list": {"a": 1}}));
        assert_eq!(rest.doc.line_of("list"), Some(1));
        assert_eq!(rest.doc.line_of("list.a"), Some(1));
        for (text, value) in [
            ("list: 5\n", json!(5)),
            ("list: -5\n", json!(-5)),
            ("list: 1.5\n", json!(1.5)),
            ("list: true\n", json!(true)),
            ("list: ~\n", Value::Null),
            ("list: text\n", json!("text")),
        ] {
            let (_, rest) = stream("s.yaml", text).unwrap();
            assert_eq!(rest.doc.value, json!({"list": value}), "{text}");
            assert_eq!(rest.items, None, "{text}");
        }
        let (_, rest) = stream("s.yaml", "list: []\n").unwrap();
        assert_eq!((rest.doc.value, rest.items), (json!({"list": []}), Some(0)));
    }

    #[test]
    fn a_root_that_is_not_a_mapping_is_kept_whole() {
        let (items, rest) = stream("s.yaml", "\n- a\n- b\n").unwrap();
        assert!(items.is_empty());
        assert_eq!(rest.doc.line_of(""), Some(2), "the first item's line");
        assert_eq!((rest.doc.value, rest.items), (json!(["a", "b"]), None));
        let (_, rest) = stream("s.yaml", "web\n").unwrap();
        assert_eq!(rest.doc.value, json!("web"));
        assert_eq!(rest.doc.line_of(""), None, "a scalar root has no line");
        assert_eq!(stream("s.yaml", "[]\n").unwrap().1.doc.line_of(""), None);
        for (text, value) in [
            ("7\n", json!(7)),
            ("-7\n", json!(-7)),
            ("0.5\n", json!(0.5)),
            ("false\n", json!(false)),
            ("~\n", Value::Null),
        ] {
            assert_eq!(stream("s.yaml", text).unwrap().1.doc.value, value, "{text}");
        }
    }

    #[test]
    fn broken_streams_name_the_line() {
        assert_eq!(
            stream("e.yaml", " \n\t\n").unwrap_err(),
            "e.yaml: the document is empty"
        );
        let error = stream("s.yaml", "list:\n  - a: 1\nlist: []\n").unwrap_err();
        assert!(error.starts_with("s.yaml:3:1: "), "{error}");
        assert!(error.contains("duplicate mapping key: list"), "{error}");
        let error = stream("s.yaml", "list:\n  - a: [1\n  - b\n").unwrap_err();
        assert!(error.starts_with("s.yaml:"), "{error}");
        assert!(error.contains("not valid YAML"), "{error}");
        // YAML that looks like JSON and is not: JSON's own message.
        let error = stream("-", "{\"list\": [1,,]}").unwrap_err();
        assert!(error.starts_with("-:1:"), "{error}");
        assert!(error.contains("not valid JSON"), "{error}");
        // JSON that the YAML reader refuses (a key over 1,024 characters):
        // the YAML reader's message, with its line.
        let long = "k".repeat(1100);
        let error = stream("s.json", &format!("{{\"{long}\": 1}}")).unwrap_err();
        assert!(error.starts_with("s.json:1:"), "{error}");
        assert!(error.contains("not valid YAML"), "{error}");
    }

    #[test]
    fn json_that_the_yaml_reader_refuses_is_read_without_lines() {
        let long = "k".repeat(1100);
        let doc = parse("b.json", &format!("{{\"{long}\": 1}}")).unwrap();
        assert_eq!(doc.value, json!({ long.clone(): 1 }));
        assert_eq!(doc.line_of(""), None);
        let doc = parse("-", &format!("[{{\"{long}\": 1}}]")).unwrap();
        assert_eq!(doc.value, json!([{ long: 1 }]));
    }

    #[test]
    fn bytes_that_are_not_utf8_are_named() {
        let source = Source::bytes("u.yaml", b"list:\n  - a: \xff\n".to_vec());
        assert_eq!(
            stream_list(&source, "list", &mut |_, _| {}).unwrap_err(),
            "u.yaml: not valid YAML: IO error: invalid UTF-8 leading byte"
        );
    }

    #[test]
    fn sources_read_files_and_say_what_fails() {
        let dir = std::env::temp_dir().join(format!("openscaler-doc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.yaml");
        std::fs::write(&path, "list:\n  - a: 1\n").unwrap();
        let source = Source::open(&path).unwrap();
        assert_eq!(source.name(), path.display().to_string());
        assert!(matches!(source.data, Data::File(_)));
        let mut seen = 0;
        stream_list(&source, "list", &mut |_, _| seen += 1).unwrap();
        assert_eq!(seen, 1);
        assert_eq!(source.len().unwrap(), 15);
        std::fs::remove_file(&path).unwrap();
        // Gone since it was opened.
        assert!(stream_list(&source, "list", &mut |_, _| {})
            .unwrap_err()
            .starts_with(&format!("cannot read {}", path.display())));
        assert!(source.len().is_err());
        let error = Source::open(&path).err().unwrap();
        assert!(
            error.starts_with(&format!("cannot read {}: ", path.display())),
            "{error}"
        );
        // A directory is not a regular file: read whole, which fails.
        let error = Source::open(&dir).err().unwrap();
        assert!(
            error.starts_with(&format!("cannot read {}: ", dir.display())),
            "{error}"
        );
        std::fs::remove_dir(&dir).unwrap();
    }

    #[test]
    fn limits_grow_with_the_document() {
        let budget = |len| options(len).budget.unwrap();
        let small = budget(10);
        let default = serde_saphyr::Budget::default();
        assert_eq!(small.max_nodes, default.max_nodes);
        assert_eq!(small.max_events, default.max_events);
        assert_eq!(small.max_total_scalar_bytes, default.max_total_scalar_bytes);
        assert_eq!(small.max_reader_input_bytes, default.max_reader_input_bytes);
        let large = budget(1 << 30);
        assert_eq!(large.max_nodes, 2 << 30);
        assert_eq!(large.max_events, (4 << 30) + 8);
        assert_eq!(large.max_total_scalar_bytes, 1 << 30);
        assert_eq!(large.max_reader_input_bytes, Some(1 << 30));
        // What amplifies a small document keeps its default limits.
        assert_eq!(large.max_aliases, default.max_aliases);
        assert_eq!(large.max_anchors, default.max_anchors);
        assert_eq!(large.max_depth, default.max_depth);
    }

    #[test]
    fn a_document_of_more_than_the_default_nodes_is_read() {
        // 300,000 nodes in 1.2 MB: over serde-saphyr's default 250,000.
        let mut text = String::from("list:\n");
        for _ in 0..150_000 {
            text.push_str("- 1\n");
        }
        let (items, _) = stream("s.yaml", &text).unwrap();
        assert_eq!(items.len(), 150_000);
        let doc = parse("s.yaml", &text).unwrap();
        assert_eq!(doc.value["list"].as_array().map(Vec::len), Some(150_000));
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
