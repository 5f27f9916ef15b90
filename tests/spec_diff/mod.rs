//! The wire contract's diff: what changed between two versions of
//! `openapi.yaml`, in words, split into changes that break a client and
//! compatible additions.
//!
//! Written here rather than taken from a registry: none of the spec-diff
//! tools in the registries this project reaches ran here (CHANGELOG.md's
//! preamble says which and why). It covers what this spec uses: server URLs, paths and methods,
//! parameters, the request body, responses, and schemas (`$ref`, `type`,
//! `enum`, `properties`, `required`, numeric and length bounds, `pattern`,
//! `format`, `additionalProperties`, `nullable`, `oneOf`/`anyOf` variants,
//! `items`). Descriptions, examples and `x-` extensions are documentation and
//! are not compared.

use std::collections::BTreeSet;

use serde_json::Value;

/// One difference, in words.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    /// Whether a client written against the old spec can break.
    pub breaking: bool,
    pub text: String,
}

impl Change {
    /// The line the changelog lists it as.
    pub fn line(&self) -> String {
        let kind = if self.breaking {
            "breaking"
        } else {
            "compatible"
        };
        format!("- {kind}: {}", self.text)
    }
}

/// Parses a spec (YAML or JSON) for [`diff`].
pub fn parse(text: &str) -> Value {
    serde_yaml::from_str(text).expect("the spec is YAML")
}

/// Every change from `old` to `new`, breaking ones first.
pub fn diff(old: &Value, new: &Value) -> Vec<Change> {
    let mut d = Diff::default();
    d.servers(old, new);
    d.paths(old, new);
    d.components(old, new);
    let mut changes = d.changes;
    changes.sort_by(|a, b| b.breaking.cmp(&a.breaking).then(a.text.cmp(&b.text)));
    changes.dedup();
    changes
}

/// The changes as Markdown list lines.
pub fn report(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "- no change to the wire contract\n".into();
    }
    changes.iter().map(|c| c.line() + "\n").collect()
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

#[derive(Default)]
struct Diff {
    changes: Vec<Change>,
}

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| a.iter().map(short).collect())
        .unwrap_or_default()
}

/// A JSON value as a short piece of text (`"first"`, `8080`).
fn short(value: &Value) -> String {
    value.to_string()
}

impl Diff {
    fn breaking(&mut self, text: String) {
        self.changes.push(Change {
            breaking: true,
            text,
        });
    }

    fn compatible(&mut self, text: String) {
        self.changes.push(Change {
            breaking: false,
            text,
        });
    }

    fn servers(&mut self, old: &Value, new: &Value) {
        let urls = |spec: &Value| -> BTreeSet<String> {
            spec["servers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s["url"].as_str().map(str::to_owned))
                .collect()
        };
        let (old, new) = (urls(old), urls(new));
        for url in old.difference(&new) {
            self.breaking(format!("server URL {url} removed"));
        }
        for url in new.difference(&old) {
            self.compatible(format!("server URL {url} added"));
        }
    }

    fn paths(&mut self, old: &Value, new: &Value) {
        // Operations by "METHOD path", with their operationId.
        let operations = |spec: &Value| -> Vec<(String, String, Option<String>)> {
            let mut found = Vec::new();
            for (path, item) in spec["paths"].as_object().into_iter().flatten() {
                for method in METHODS {
                    if let Some(op) = item.get(method) {
                        let id = op["operationId"].as_str().map(str::to_owned);
                        found.push((method.to_uppercase(), path.clone(), id));
                    }
                }
            }
            found
        };
        let (old_ops, new_ops) = (operations(old), operations(new));
        for (method, path, id) in &old_ops {
            let same = new_ops.iter().find(|(m, p, _)| m == method && p == path);
            if same.is_some() {
                self.operation(old, new, method, path, path);
                continue;
            }
            let moved = id
                .as_ref()
                .and_then(|id| new_ops.iter().find(|(_, _, i)| i.as_ref() == Some(id)));
            match moved {
                Some((m, p, _)) if m == method => {
                    self.breaking(format!("{method} {path} moved to {method} {p}"));
                    self.operation(old, new, method, path, p);
                }
                Some((m, p, _)) => {
                    self.breaking(format!("{method} {path} is now {m} {p}"));
                }
                None => self.breaking(format!("{method} {path} removed")),
            }
        }
        for (method, path, id) in &new_ops {
            let existed = old_ops.iter().any(|(m, p, i)| {
                (m == method && p == path) || (id.is_some() && i.as_ref() == id.as_ref())
            });
            if !existed {
                self.compatible(format!("{method} {path} added"));
            }
        }
    }

    /// One operation, `old_path` in the old spec and `new_path` in the new.
    fn operation(
        &mut self,
        old: &Value,
        new: &Value,
        method: &str,
        old_path: &str,
        new_path: &str,
    ) {
        let lower = method.to_lowercase();
        let (old_item, new_item) = (&old["paths"][old_path], &new["paths"][new_path]);
        let (old_op, new_op) = (&old_item[&lower], &new_item[&lower]);
        let at = format!("{method} {new_path}");

        // Parameters, path-level and operation-level, by (in, name).
        let params = |spec: &Value, item: &Value, op: &Value| -> Vec<(String, Value)> {
            let mut found = Vec::new();
            for list in [&item["parameters"], &op["parameters"]] {
                for p in list.as_array().into_iter().flatten() {
                    let p = resolve(spec, p);
                    let key = format!(
                        "{} parameter {}",
                        p["in"].as_str().unwrap_or("?"),
                        p["name"].as_str().unwrap_or("?")
                    );
                    found.retain(|(k, _)| *k != key);
                    found.push((key, p.clone()));
                }
            }
            found
        };
        let (old_params, new_params) =
            (params(old, old_item, old_op), params(new, new_item, new_op));
        for (key, p) in &old_params {
            match new_params.iter().find(|(k, _)| k == key) {
                None if key.starts_with("path ") && old_path != new_path => {}
                None => self.breaking(format!("{at}: {key} removed")),
                Some((_, q)) => {
                    if q["required"] == true && p["required"] != true {
                        self.breaking(format!("{at}: {key} is now required"));
                    }
                    self.schema(old, new, &p["schema"], &q["schema"], &format!("{at} {key}"));
                }
            }
        }
        for (key, q) in &new_params {
            if old_params.iter().any(|(k, _)| k == key) {
                continue;
            }
            if key.starts_with("path ") && old_path != new_path {
                continue;
            }
            if q["required"] == true {
                self.breaking(format!("{at}: new required {key}"));
            } else {
                self.compatible(format!("{at}: new optional {key}"));
            }
        }

        // The request body.
        let (old_body, new_body) = (
            resolve(old, &old_op["requestBody"]),
            resolve(new, &new_op["requestBody"]),
        );
        if new_body["required"] == true && old_body["required"] != true {
            self.breaking(format!("{at}: the request body is now required"));
        }
        self.content(
            old,
            new,
            &old_body["content"],
            &new_body["content"],
            &format!("{at} request body"),
        );

        // Responses, by status.
        let (old_res, new_res) = (&old_op["responses"], &new_op["responses"]);
        for status in keys(old_res) {
            if new_res.get(&status).is_none() {
                self.breaking(format!("{at}: response {status} removed"));
                continue;
            }
            let (o, n) = (
                resolve(old, &old_res[&status]),
                resolve(new, &new_res[&status]),
            );
            self.content(
                old,
                new,
                &o["content"],
                &n["content"],
                &format!("{at} response {status}"),
            );
        }
        for status in keys(new_res).difference(&keys(old_res)) {
            self.compatible(format!("{at}: response {status} added"));
        }
    }

    fn content(&mut self, old: &Value, new: &Value, o: &Value, n: &Value, at: &str) {
        for media in keys(o) {
            match n.get(&media) {
                None => self.breaking(format!("{at}: media type {media} removed")),
                Some(m) => self.schema(old, new, &o[&media]["schema"], &m["schema"], at),
            }
        }
        for media in keys(n).difference(&keys(o)) {
            self.compatible(format!("{at}: media type {media} added"));
        }
    }

    fn components(&mut self, old: &Value, new: &Value) {
        let (o, n) = (&old["components"]["schemas"], &new["components"]["schemas"]);
        for name in keys(o) {
            match n.get(&name) {
                None => self.breaking(format!("schema {name} removed")),
                Some(schema) => self.schema_body(old, new, &o[&name], schema, &name),
            }
        }
        for name in keys(n).difference(&keys(o)) {
            self.compatible(format!("schema {name} added"));
        }
    }

    /// Two schemas at the same place: `$ref`s are compared by target (the
    /// targets themselves are compared once, under `components`).
    fn schema(&mut self, old: &Value, new: &Value, o: &Value, n: &Value, at: &str) {
        match (o["$ref"].as_str(), n["$ref"].as_str()) {
            (Some(a), Some(b)) if a == b => {}
            (Some(a), Some(b)) => self.breaking(format!(
                "{at} is now {} instead of {}",
                ref_name(b),
                ref_name(a)
            )),
            (Some(a), None) if !n.is_null() => {
                self.schema_body(old, new, resolve(old, o), n, at);
                let _ = a;
            }
            (None, Some(_)) if !o.is_null() => {
                self.schema_body(old, new, o, resolve(new, n), at);
            }
            _ => self.schema_body(old, new, o, n, at),
        }
    }

    fn schema_body(&mut self, old: &Value, new: &Value, o: &Value, n: &Value, at: &str) {
        if o.is_null() || n.is_null() {
            if o.is_null() != n.is_null() {
                self.breaking(format!("{at}: schema changed"));
            }
            return;
        }
        if o["type"] != n["type"] {
            self.breaking(format!(
                "{at}: type changed from {} to {}",
                short(&o["type"]),
                short(&n["type"])
            ));
            return;
        }
        if o["format"] != n["format"] {
            self.breaking(format!(
                "{at}: format changed from {} to {}",
                short(&o["format"]),
                short(&n["format"])
            ));
        }
        if o["nullable"] != n["nullable"] {
            self.breaking(format!(
                "{at}: nullable changed to {}",
                short(&n["nullable"])
            ));
        }

        // enum
        let (oe, ne) = (strings(&o["enum"]), strings(&n["enum"]));
        if !oe.is_empty() || !ne.is_empty() {
            for v in oe.iter().filter(|v| !ne.contains(v)) {
                self.breaking(format!("{at}: enum value {v} removed"));
            }
            for v in ne.iter().filter(|v| !oe.contains(v)) {
                if oe.is_empty() {
                    self.breaking(format!("{at}: now limited to an enum ({})", ne.join(", ")));
                    break;
                }
                self.compatible(format!(
                    "{at}: enum value {v} added (readers with closed enums must accept it)"
                ));
            }
        }

        // bounds: (keyword, whether a larger value narrows)
        for (keyword, larger_narrows) in [
            ("minimum", true),
            ("maximum", false),
            ("minLength", true),
            ("maxLength", false),
            ("minItems", true),
            ("maxItems", false),
            ("minProperties", true),
            ("maxProperties", false),
        ] {
            let (a, b) = (o[keyword].as_f64(), n[keyword].as_f64());
            let narrowed = match (a, b) {
                (None, None) => continue,
                (Some(a), Some(b)) if a == b => continue,
                (None, Some(_)) => true,
                (Some(_), None) => false,
                (Some(a), Some(b)) => (b > a) == larger_narrows,
            };
            let text = format!(
                "{at}: {keyword} {} -> {}",
                a.map_or("none".into(), |v| v.to_string()),
                b.map_or("none".into(), |v| v.to_string())
            );
            if narrowed {
                self.breaking(format!("{text} (narrowed)"));
            } else {
                self.compatible(format!("{text} (widened)"));
            }
        }
        for keyword in ["exclusiveMinimum", "exclusiveMaximum", "uniqueItems"] {
            match (o[keyword] == true, n[keyword] == true) {
                (false, true) => self.breaking(format!("{at}: {keyword} added (narrowed)")),
                (true, false) => self.compatible(format!("{at}: {keyword} dropped (widened)")),
                _ => {}
            }
        }
        match (o["pattern"].as_str(), n["pattern"].as_str()) {
            (a, b) if a == b => {}
            (None, Some(p)) => self.breaking(format!("{at}: pattern {p} added (narrowed)")),
            (Some(_), None) => self.compatible(format!("{at}: pattern dropped (widened)")),
            (Some(a), Some(b)) => self.breaking(format!("{at}: pattern changed from {a} to {b}")),
            _ => {}
        }

        // additionalProperties: absent, true or a schema allow extra fields.
        let allows_extra = |s: &Value| s["additionalProperties"] != false;
        match (allows_extra(o), allows_extra(n)) {
            (true, false) => self.breaking(format!("{at}: extra fields no longer allowed")),
            (false, true) => self.compatible(format!("{at}: extra fields now allowed")),
            _ => {}
        }

        self.properties(old, new, o, n, at);

        if !o["items"].is_null() || !n["items"].is_null() {
            self.schema(old, new, &o["items"], &n["items"], &format!("{at}[]"));
        }
        for keyword in ["oneOf", "anyOf", "allOf"] {
            self.variants(old, new, keyword, &o[keyword], &n[keyword], at);
        }
    }

    fn properties(&mut self, old: &Value, new: &Value, o: &Value, n: &Value, at: &str) {
        let (op, np) = (&o["properties"], &n["properties"]);
        let (ok, nk) = (keys(op), keys(np));
        let (oreq, nreq): (BTreeSet<String>, BTreeSet<String>) = (
            strings(&o["required"])
                .iter()
                .map(|s| s.trim_matches('"').to_owned())
                .collect(),
            strings(&n["required"])
                .iter()
                .map(|s| s.trim_matches('"').to_owned())
                .collect(),
        );
        let removed: Vec<&String> = ok.difference(&nk).collect();
        let added: Vec<&String> = nk.difference(&ok).collect();
        let mut renamed_to = BTreeSet::new();
        for name in &removed {
            // A field removed and one added with the same schema: a rename.
            let twin = added
                .iter()
                .find(|a| np[a.as_str()] == op[name.as_str()] && !renamed_to.contains(*a));
            match twin {
                Some(a) => {
                    renamed_to.insert(*a);
                    self.breaking(format!("{at}.{name} renamed to {a}"));
                }
                None => self.breaking(format!("{at}.{name} removed")),
            }
        }
        for name in &added {
            if renamed_to.contains(name) {
                continue;
            }
            if nreq.contains(name.as_str()) {
                self.breaking(format!("{at}.{name} added, required"));
            } else {
                self.compatible(format!("{at}.{name} added, optional"));
            }
        }
        for name in ok.intersection(&nk) {
            let field = format!("{at}.{name}");
            match (oreq.contains(name), nreq.contains(name)) {
                (false, true) => self.breaking(format!("{field} is now required")),
                (true, false) => self.breaking(format!(
                    "{field} is now optional (responses may leave it out)"
                )),
                _ => {}
            }
            self.schema(old, new, &op[name.as_str()], &np[name.as_str()], &field);
        }
    }

    /// `oneOf`/`anyOf`/`allOf` lists: `$ref` variants by target, inline ones by `type`.
    fn variants(
        &mut self,
        old: &Value,
        new: &Value,
        keyword: &str,
        o: &Value,
        n: &Value,
        at: &str,
    ) {
        if o.is_null() && n.is_null() {
            return;
        }
        let key = |v: &Value| -> String {
            match v["$ref"].as_str() {
                Some(r) => ref_name(r).to_owned(),
                None => match v["format"].as_str() {
                    Some(format) => format!("{} {format}", v["type"].as_str().unwrap_or("untyped")),
                    None => v["type"].as_str().unwrap_or("untyped").to_owned(),
                },
            }
        };
        let (ov, nv) = (
            o.as_array().cloned().unwrap_or_default(),
            n.as_array().cloned().unwrap_or_default(),
        );
        for a in &ov {
            match nv.iter().find(|b| key(b) == key(a)) {
                None => self.breaking(format!("{at}: {keyword} variant {} removed", key(a))),
                Some(b) => {
                    if a["$ref"].is_null() {
                        self.schema(old, new, a, b, &format!("{at} ({})", key(a)));
                    }
                }
            }
        }
        for b in &nv {
            if !ov.iter().any(|a| key(a) == key(b)) {
                self.compatible(format!(
                    "{at}: {keyword} variant {} added (readers must accept it)",
                    key(b)
                ));
            }
        }
    }
}

fn ref_name(reference: &str) -> &str {
    reference.rsplit('/').next().unwrap_or(reference)
}

/// Follows a local `$ref` (`#/components/...`), once or more.
fn resolve<'a>(spec: &'a Value, value: &'a Value) -> &'a Value {
    let mut value = value;
    for _ in 0..8 {
        match value["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
            Some(pointer) => value = spec.pointer(pointer).unwrap_or(&Value::Null),
            None => break,
        }
    }
    value
}
