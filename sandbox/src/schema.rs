//! OpenAPI 3.0 schemas as JSON Schema 2020-12 validators, and their errors
//! as [`Violation`]s that name the place (a JSON Pointer) and the problem.
//!
//! OpenAPI 3.0 schemas are not plain JSON Schema; the conversion drops
//! `discriminator`, turns `example` into `examples`, `nullable` into a type
//! list, and boolean `exclusiveMinimum`/`exclusiveMaximum` into numbers. Two
//! kinds of `oneOf` are rewritten so that errors land inside the branch that
//! applies instead of "matches no branch":
//! - a `oneOf` with a `discriminator` (`servers`): the property (`type`) must
//!   be one of the mapping's keys, and the branch its value names is applied;
//! - a `oneOf` whose branches each have a different JSON `type` (`port`): the
//!   branch of the value's own type is applied.
//!
//! Every step is linear in the size of the value checked: a body of 1 MiB
//! with 100,000 items, repeated or not, is judged in milliseconds.

use std::collections::HashSet;

use jsonschema::{error::ValidationErrorKind, ValidationError, Validator};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// At most this many violations are reported for one body; the rest are
/// counted in a last entry.
pub const MAX_VIOLATIONS: usize = 50;

/// The longest a value is quoted in a violation message, in characters.
const MAX_QUOTE: usize = 60;

/// One way a JSON document breaks the spec.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// JSON Pointer (RFC 6901) to the offending value, `""` for the root.
    pub pointer: String,
    /// What is wrong, for a person to read.
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pointer = if self.pointer.is_empty() {
            "(body)"
        } else {
            &self.pointer
        };
        write!(f, "{pointer}: {}", self.message)
    }
}

/// The known values of each discriminator of a spec, to name an unknown one.
#[derive(Debug, Default)]
pub(crate) struct Describer {
    pub discriminators: Vec<(String, Vec<Value>)>,
}

impl Describer {
    /// Every way `body` breaks `validator`'s schema (empty: valid), at most
    /// [`MAX_VIOLATIONS`] and a count of the rest.
    pub fn check(&self, validator: &Validator, body: &Value) -> Vec<Violation> {
        // The fast path: no error objects are built for a valid body.
        if validator.is_valid(body) {
            return Vec::new();
        }
        let mut out: Vec<Violation> = Vec::new();
        let mut more = 0usize;
        for error in validator.iter_errors(body) {
            let violation = self.describe(&error);
            if out.contains(&violation) {
                continue;
            }
            if out.len() == MAX_VIOLATIONS {
                more += 1;
            } else {
                out.push(violation);
            }
        }
        if more > 0 {
            out.push(Violation {
                pointer: String::new(),
                message: format!("and {more} more violations not listed"),
            });
        }
        out
    }

    fn describe(&self, error: &ValidationError<'_>) -> Violation {
        let pointer = error.instance_path().as_str().to_owned();
        let instance: &Value = error.instance();
        let value = quote(instance);
        let message = match error.kind() {
            ValidationErrorKind::Required { property } => {
                let name = property.as_str().unwrap_or_default();
                return Violation {
                    pointer: format!("{pointer}/{}", escape(name)),
                    message: "is required".into(),
                };
            }
            ValidationErrorKind::Type { .. } => format!(
                "must be {}, not {}",
                expected_types(error),
                article(json_type(instance))
            ),
            ValidationErrorKind::Enum { options } => {
                let known = options.as_array().cloned().unwrap_or_default();
                let list = known.iter().map(quote).collect::<Vec<_>>().join(", ");
                match self.discriminators.iter().find(|(prop, values)| {
                    pointer.ends_with(&format!("/{prop}")) && *values == known
                }) {
                    Some((prop, _)) => format!("unknown {prop} {value}: expected one of {list}"),
                    None => format!("{value} is not one of {list}"),
                }
            }
            ValidationErrorKind::Constant { expected_value } => {
                format!("{value} is not {}", quote(expected_value))
            }
            ValidationErrorKind::MinLength { limit: 1 }
            | ValidationErrorKind::MinItems { limit: 1 } => "must not be empty".into(),
            ValidationErrorKind::MinLength { limit } => {
                format!("{value} is shorter than {limit} characters")
            }
            ValidationErrorKind::MaxLength { limit } => {
                format!("{value} is longer than {limit} characters")
            }
            ValidationErrorKind::MinItems { limit } => format!("has fewer than {limit} items"),
            ValidationErrorKind::MaxItems { limit } => format!("has more than {limit} items"),
            ValidationErrorKind::UniqueItems => match repeated(instance) {
                Some(item) => format!("has a repeated item {}", quote(item)),
                None => "has repeated items".into(),
            },
            ValidationErrorKind::Minimum { limit } => {
                format!("{value} is less than the minimum {limit}")
            }
            ValidationErrorKind::Maximum { limit } => {
                format!("{value} is greater than the maximum {limit}")
            }
            ValidationErrorKind::ExclusiveMinimum { limit } => {
                format!("{value} is not greater than {limit}")
            }
            ValidationErrorKind::ExclusiveMaximum { limit } => {
                format!("{value} is not less than {limit}")
            }
            ValidationErrorKind::Pattern { pattern } => {
                format!("{value} does not match the pattern {pattern}")
            }
            ValidationErrorKind::Format { format } => format!("{value} is not a valid {format}"),
            ValidationErrorKind::AnyOf { context }
            | ValidationErrorKind::OneOfNotValid { context } => {
                let formats: Vec<&str> = context
                    .iter()
                    .filter_map(|branch| match branch.as_slice() {
                        [only] => match only.kind() {
                            ValidationErrorKind::Format { format } => Some(format.as_str()),
                            _ => None,
                        },
                        _ => None,
                    })
                    .collect();
                // When every branch wants another JSON type, say which types.
                let mut types: Vec<String> = Vec::new();
                for branch in context {
                    if let [only] = branch.as_slice() {
                        if matches!(only.kind(), ValidationErrorKind::Type { .. }) {
                            let wanted = expected_types(only);
                            if !types.contains(&wanted) {
                                types.push(wanted);
                            }
                        }
                    }
                }
                if !formats.is_empty() && formats.len() == context.len() {
                    format!("{value} is not a valid {}", formats.join(" or "))
                } else if types.len() == 1 {
                    format!("must be {}, not {}", types[0], article(json_type(instance)))
                } else {
                    format!("{value} matches none of the allowed forms")
                }
            }
            ValidationErrorKind::OneOfMultipleValid { .. } => {
                format!("{value} matches more than one of the allowed forms")
            }
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                format!("unknown fields {}", unexpected.join(", "))
            }
            _ => error.to_string(),
        };
        Violation { pointer, message }
    }
}

/// "an integer or a string", from the `type` keyword the error comes from.
fn expected_types(error: &ValidationError<'_>) -> String {
    match error.kind() {
        ValidationErrorKind::Type { kind } => {
            let names: Vec<String> = match kind {
                jsonschema::error::TypeKind::Single(t) => vec![t.to_string()],
                jsonschema::error::TypeKind::Multiple(set) => {
                    set.iter().map(|t| t.to_string()).collect()
                }
            };
            names
                .iter()
                .map(|n| article(n))
                .collect::<Vec<_>>()
                .join(" or ")
        }
        _ => String::new(),
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn article(name: &str) -> String {
    match name {
        "null" => "null".into(),
        "integer" | "object" | "array" => format!("an {name}"),
        _ => format!("a {name}"),
    }
}

/// A value as JSON, cut to [`MAX_QUOTE`] characters.
fn quote(value: &Value) -> String {
    let text = match value {
        Value::Object(_) => return "an object".into(),
        Value::Array(_) => return "an array".into(),
        _ => value.to_string(),
    };
    if text.chars().count() <= MAX_QUOTE {
        text
    } else {
        let cut: String = text.chars().take(MAX_QUOTE).collect();
        format!("{cut}…")
    }
}

/// The first item that repeats an earlier one, in one pass: each item's
/// text (keys sorted, so equal values have equal texts) goes in a set.
fn repeated(value: &Value) -> Option<&Value> {
    let items = value.as_array()?;
    let mut seen = HashSet::with_capacity(items.len());
    items.iter().find(|item| !seen.insert(item.to_string()))
}

/// Escapes one JSON Pointer segment (RFC 6901).
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// One OpenAPI 3.0 schema as JSON Schema 2020-12 (see the module docs).
pub(crate) fn convert(schema: &Value, discriminators: &mut Vec<(String, Vec<Value>)>) -> Value {
    let Value::Object(object) = schema else {
        return match schema {
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|item| convert(item, discriminators))
                    .collect(),
            ),
            other => other.clone(),
        };
    };
    let mut out = Map::new();
    for (key, value) in object {
        match key.as_str() {
            "discriminator" => {}
            "example" => {
                out.insert("examples".into(), Value::Array(vec![value.clone()]));
            }
            "nullable" => {}
            "exclusiveMinimum" | "exclusiveMaximum" if value.is_boolean() => {}
            // Property names are not schemas; their values are.
            "properties" => {
                let props = value
                    .as_object()
                    .map(|p| {
                        p.iter()
                            .map(|(k, v)| (k.clone(), convert(v, discriminators)))
                            .collect()
                    })
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Object(props));
            }
            "enum" | "required" | "examples" | "default" | "const" => {
                out.insert(key.clone(), value.clone());
            }
            _ => {
                out.insert(key.clone(), convert(value, discriminators));
            }
        }
    }
    // OpenAPI 3.0's boolean exclusive bounds become JSON Schema numbers.
    for (flag, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if object.get(flag) == Some(&Value::Bool(true)) {
            if let Some(limit) = out.remove(bound) {
                out.insert(flag.into(), limit);
            }
        }
    }
    if object.get("nullable") == Some(&Value::Bool(true)) {
        match out.get_mut("type") {
            Some(Value::String(t)) => {
                let t = t.clone();
                out.insert("type".into(), json!([t, "null"]));
            }
            Some(Value::Array(types)) => types.push("null".into()),
            _ => {}
        }
        if let Some(Value::Array(values)) = out.get_mut("enum") {
            values.push(Value::Null);
        }
    }
    if let Some(Value::Array(branches)) = object.get("oneOf") {
        if let Some(rewritten) = by_discriminator(object, branches, discriminators) {
            out.remove("oneOf");
            out.extend(rewritten);
        } else if let Some(rewritten) = by_json_type(branches, discriminators) {
            out.remove("oneOf");
            out.extend(rewritten);
        }
    }
    Value::Object(out)
}

/// `oneOf` + `discriminator`: check the property against the mapping's
/// keys, then apply the branch it names.
fn by_discriminator(
    object: &Map<String, Value>,
    branches: &[Value],
    discriminators: &mut Vec<(String, Vec<Value>)>,
) -> Option<Map<String, Value>> {
    let discriminator = object.get("discriminator")?;
    let property = discriminator.get("propertyName")?.as_str()?;
    let mut mapping: Vec<(String, String)> = match discriminator.get("mapping") {
        Some(Value::Object(m)) => m
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect(),
        _ => Vec::new(),
    };
    if mapping.is_empty() {
        // Without a mapping, a branch's name is the last segment of its $ref.
        for branch in branches {
            let target = branch.get("$ref")?.as_str()?;
            let name = target.rsplit('/').next()?;
            mapping.push((name.to_owned(), target.to_owned()));
        }
    }
    let values: Vec<Value> = mapping
        .iter()
        .map(|(k, _)| Value::from(k.as_str()))
        .collect();
    discriminators.push((property.to_owned(), values.clone()));
    let rules: Vec<Value> = mapping
        .iter()
        .map(|(value, target)| {
            json!({
                "if": {
                    "type": "object",
                    "required": [property],
                    "properties": { property: { "const": value } },
                },
                "then": { "$ref": target },
            })
        })
        .collect();
    let mut out = Map::new();
    out.insert("type".into(), "object".into());
    out.insert("required".into(), json!([property]));
    out.insert(
        "properties".into(),
        json!({ property: { "type": "string", "enum": values } }),
    );
    out.insert("allOf".into(), Value::Array(rules));
    Some(out)
}

/// `oneOf` whose branches each carry one distinct JSON `type`: apply the
/// branch of the value's type.
fn by_json_type(
    branches: &[Value],
    discriminators: &mut Vec<(String, Vec<Value>)>,
) -> Option<Map<String, Value>> {
    let mut types = Vec::new();
    let mut rules = Vec::new();
    for branch in branches {
        let t = branch.get("type")?.as_str()?.to_owned();
        if types.contains(&t) {
            return None;
        }
        rules.push(json!({
            "if": { "type": t },
            "then": convert(branch, discriminators),
        }));
        types.push(t);
    }
    let mut out = Map::new();
    out.insert("type".into(), json!(types));
    out.insert("allOf".into(), Value::Array(rules));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nullable_and_boolean_exclusive_bounds_are_converted() {
        let mut seen = Vec::new();
        let schema = json!({
            "type": "integer", "nullable": true, "minimum": 1, "exclusiveMinimum": true,
            "example": 2
        });
        assert_eq!(
            convert(&schema, &mut seen),
            json!({"type": ["integer", "null"], "exclusiveMinimum": 1, "examples": [2]})
        );
    }

    #[test]
    fn a_repeat_is_found_in_one_pass() {
        let mut items: Vec<Value> = (0..100_000).map(|i| json!(i.to_string())).collect();
        assert_eq!(repeated(&Value::Array(items.clone())), None);
        items.push(json!("99999"));
        let started = std::time::Instant::now();
        assert_eq!(repeated(&Value::Array(items)), Some(&json!("99999")));
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        assert_eq!(
            repeated(&json!([{"a": 1, "b": 2}, {"b": 2, "a": 1}])),
            Some(&json!({"a": 1, "b": 2}))
        );
        assert_eq!(repeated(&json!("not an array")), None);
    }
}
