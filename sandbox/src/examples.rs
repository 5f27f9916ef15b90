//! Values for answers the sandbox has nothing stored for: the schema's
//! `example` where the spec gives one, else a value built from the schema
//! (the first `enum` value, the first `oneOf` branch, every property of an
//! object, one item of an array, the lowest number allowed, a string of the
//! format or length asked). Objects keep the spec's property order.

use serde_json::Number;

use crate::ordered::Json;

/// How deep a built value goes (a schema may refer to itself).
const MAX_DEPTH: usize = 8;

/// The example of `schema`, or a value built from it.
pub(crate) fn value(doc: &Json, schema: &Json) -> Json {
    build(doc, schema, 0)
}

fn build(doc: &Json, schema: &Json, depth: usize) -> Json {
    let Some(schema) = doc.resolve(schema) else {
        return Json::Null;
    };
    if let Some(example) = schema.get("example") {
        return example.clone();
    }
    if let Some(Json::Array(values)) = schema.get("enum") {
        if let Some(first) = values.first() {
            return first.clone();
        }
    }
    if depth >= MAX_DEPTH {
        return Json::Null;
    }
    if let Some(Json::Array(parts)) = schema.get("allOf") {
        let mut merged = Json::Object(Vec::new());
        for part in parts {
            if let Json::Object(members) = build(doc, part, depth + 1) {
                for (k, v) in members {
                    merged.set(&k, v);
                }
            }
        }
        return merged;
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(Json::Array(branches)) = schema.get(key) {
            if let Some(first) = branches.first() {
                return build(doc, first, depth + 1);
            }
        }
    }
    let number = |key: &str| schema.get(key).map(Json::to_value).and_then(|v| v.as_f64());
    match schema.get("type").and_then(Json::as_str) {
        Some("object") | None if schema.get("properties").is_some() => {
            let mut out = Vec::new();
            if let Some(Json::Object(properties)) = schema.get("properties") {
                for (name, property) in properties {
                    out.push((name.clone(), build(doc, property, depth + 1)));
                }
            }
            Json::Object(out)
        }
        Some("object") => Json::Object(Vec::new()),
        Some("array") => match schema.get("items") {
            Some(items) => Json::Array(vec![build(doc, items, depth + 1)]),
            None => Json::Array(Vec::new()),
        },
        Some("integer") => {
            let exclusive = schema.get("exclusiveMinimum") == Some(&Json::Bool(true));
            let mut n = number("minimum").map_or(0.0, f64::ceil) + f64::from(u8::from(exclusive));
            if let Some(max) = number("maximum") {
                n = n.min(max.floor());
            }
            Json::Number(Number::from(n as i64))
        }
        Some("number") => {
            let low = number("minimum").unwrap_or(0.0);
            Number::from_f64(low).map_or(Json::Null, Json::Number)
        }
        Some("boolean") => Json::Bool(false),
        Some("string") => Json::String(string(schema)),
        _ => Json::Null,
    }
}

fn string(schema: &Json) -> String {
    let format = schema
        .get("format")
        .and_then(Json::as_str)
        .unwrap_or_default();
    let text = match format {
        "ipv4" => "192.0.2.1",
        "ipv6" => "2001:db8::1",
        "date-time" => "1970-01-01T00:00:00Z",
        "date" => "1970-01-01",
        "uuid" => "00000000-0000-4000-8000-000000000000",
        "email" => "user@example.com",
        "uri" | "url" => "https://example.com/",
        "hostname" => "example.com",
        _ => "string",
    };
    let min = schema
        .get("minLength")
        .map(Json::to_value)
        .and_then(|v| v.as_u64())
        .unwrap_or(0) as usize;
    if text.len() >= min {
        text.to_owned()
    } else {
        "x".repeat(min)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(yaml: &str) -> Json {
        yaml_serde::from_str(yaml).unwrap()
    }

    #[test]
    fn examples_come_first_then_the_schema_decides() {
        let d = doc(r##"
components:
  schemas:
    Thing:
      type: object
      properties:
        z_id: {type: string, minLength: 9}
        state: {type: string, enum: [on, off]}
        count: {type: integer, minimum: 3}
        above: {type: integer, minimum: 3, exclusiveMinimum: true}
        ratio: {type: number, minimum: 0.5}
        ip: {type: string, format: ipv4}
        flags: {type: array, items: {type: boolean}}
        kind: {oneOf: [{$ref: "#/components/schemas/Named"}, {type: integer}]}
        both: {allOf: [{$ref: "#/components/schemas/Named"}, {type: object, properties: {n: {type: integer}}}]}
        free: {type: object}
        negative: {type: integer, maximum: -4}
    Named:
      type: object
      properties:
        name: {type: string, example: the-name}
"##);
        let schema = doc("$ref: '#/components/schemas/Thing'");
        assert_eq!(
            value(&d, &schema).to_text(),
            r#"{"z_id":"xxxxxxxxx","state":"on","count":3,"above":4,"ratio":0.5,"ip":"192.0.2.1","flags":[false],"kind":{"name":"the-name"},"both":{"name":"the-name","n":0},"free":{},"negative":-4}"#
        );
        assert_eq!(value(&d, &doc("{type: string}")).to_text(), "\"string\"");
        assert_eq!(value(&d, &doc("{type: array}")).to_text(), "[]");
        assert_eq!(value(&d, &doc("{}")).to_text(), "null");
        assert_eq!(value(&d, &doc("$ref: '#/nowhere'")).to_text(), "null");
    }

    #[test]
    fn a_schema_that_refers_to_itself_stops() {
        let d = doc(r##"
components:
  schemas:
    Node: {type: object, properties: {next: {$ref: "#/components/schemas/Node"}}}
"##);
        let text = value(&d, &doc("$ref: '#/components/schemas/Node'")).to_text();
        assert_eq!(text.matches("next").count(), MAX_DEPTH);
    }
}
