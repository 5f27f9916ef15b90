//! JSON that keeps its keys in the order they arrived. `serde_json`'s
//! `Value` sorts them (its `preserve_order` feature would change the SDK's
//! `serde_json` too, as cargo unifies features across the workspace), so
//! bodies are also read into [`Json`], whose text is what the sandbox
//! answers, stores and journals: the key order the client sent.

use std::fmt;

use serde::{
    de::{MapAccess, SeqAccess, Visitor},
    ser::{SerializeMap, SerializeSeq},
    Deserialize, Deserializer, Serialize, Serializer,
};
use serde_json::{Number, Value};

/// A JSON value whose objects keep their members in document order.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// The member `key` of an object (the last one, as `serde_json` reads
    /// a repeated key).
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Sets the member `key` of an object, in place if it is there, last if not.
    pub fn set(&mut self, key: &str, value: Json) {
        if let Json::Object(members) = self {
            match members.iter_mut().rev().find(|(k, _)| k == key) {
                Some((_, v)) => *v = value,
                None => members.push((key.to_owned(), value)),
            }
        }
    }

    /// The member `key` of an object, added as `{}` if it is not there.
    pub fn entry(&mut self, key: &str) -> Option<&mut Json> {
        let Json::Object(members) = self else {
            return None;
        };
        let index = match members.iter().position(|(k, _)| k == key) {
            Some(index) => index,
            None => {
                members.push((key.to_owned(), Json::Object(Vec::new())));
                members.len() - 1
            }
        };
        Some(&mut members[index].1)
    }

    /// The value a JSON Pointer (`/components/schemas/Backend`) names.
    pub fn pointer(&self, path: &str) -> Option<&Json> {
        let mut node = self;
        for segment in path.split('/').skip(1) {
            node = node.get(&segment.replace("~1", "/").replace("~0", "~"))?;
        }
        Some(node)
    }

    /// `node` (a part of this document), following local `$ref`s (at most
    /// 32 deep): `{"$ref": "#/components/schemas/Backend"}` is that schema.
    pub fn resolve<'a>(&'a self, mut node: &'a Json) -> Option<&'a Json> {
        for _ in 0..32 {
            match node.get("$ref").and_then(Json::as_str) {
                Some(target) => node = self.pointer(target.strip_prefix('#')?)?,
                None => return Some(node),
            }
        }
        None
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// The same value as a `serde_json::Value` (keys sorted).
    pub fn to_value(&self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Number(n.clone()),
            Json::String(s) => Value::String(s.clone()),
            Json::Array(items) => Value::Array(items.iter().map(Json::to_value).collect()),
            Json::Object(members) => Value::Object(
                members
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_value()))
                    .collect(),
            ),
        }
    }

    /// Compact JSON text, members in order.
    pub fn to_text(&self) -> String {
        // Writing into a String cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A JSON text without the whitespace between its tokens: the same
/// members in the same order (for a text already known to be JSON). A text
/// that has none is returned as it is, without a copy.
pub(crate) fn compact(text: &bytes::Bytes) -> bytes::Bytes {
    let blank = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    if !text.iter().any(blank) {
        return text.clone();
    }
    let mut out = Vec::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for &b in text.iter() {
        if in_string {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
            out.push(b);
        } else if !blank(&b) {
            out.push(b);
        }
    }
    bytes::Bytes::from(out)
}

impl From<&Value> for Json {
    fn from(value: &Value) -> Json {
        match value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number(n) => Json::Number(n.clone()),
            Value::String(s) => Json::String(s.clone()),
            Value::Array(items) => Json::Array(items.iter().map(Json::from).collect()),
            Value::Object(map) => Json::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), Json::from(v)))
                    .collect(),
            ),
        }
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => serializer.serialize_unit(),
            Json::Bool(b) => serializer.serialize_bool(*b),
            Json::Number(n) => n.serialize(serializer),
            Json::String(s) => serializer.serialize_str(s),
            Json::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Json::Object(members) => {
                let mut map = serializer.serialize_map(Some(members.len()))?;
                for (k, v) in members {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
        Ok(Json::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Json, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Json, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Json, E> {
        Ok(Number::from_f64(n).map_or(Json::Null, Json::Number))
    }

    fn visit_str<E>(self, s: &str) -> Result<Json, E> {
        Ok(Json::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Json, E> {
        Ok(Json::String(s))
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        Json::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members = Vec::new();
        while let Some((key, value)) = map.next_entry::<JsonKey, Json>()? {
            members.push((key.0, value));
        }
        Ok(Json::Object(members))
    }
}

/// A map key: YAML allows non-string keys (`200:`); JSON text has strings.
struct JsonKey(String);

impl<'de> Deserialize<'de> for JsonKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<JsonKey, D::Error> {
        Ok(JsonKey(match Json::deserialize(deserializer)? {
            Json::String(s) => s,
            Json::Null => "null".to_owned(),
            other => other.to_text(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_their_order_and_values_their_form() {
        let text = r#"{ "z": 1, "a": [true, null, -2, 1.5, "s"], "m": {"y": {}, "b": []} }"#;
        let json: Json = serde_json::from_str(text).unwrap();
        assert_eq!(
            json.to_text(),
            r#"{"z":1,"a":[true,null,-2,1.5,"s"],"m":{"y":{},"b":[]}}"#
        );
        let value: Value = serde_json::from_str(text).unwrap();
        assert_eq!(json.to_value(), value);
        assert_eq!(Json::from(&value).to_value(), value);
        assert_eq!(json.get("z"), Some(&Json::Number(1.into())));
        assert_eq!(json.get("q"), None);
        assert_eq!(Json::Null.get("z"), None);
    }

    #[test]
    fn compact_text_drops_only_the_blanks_between_tokens() {
        let text =
            bytes::Bytes::from_static(b"{ \"a b\" : [ 1 ,\t\"x \\\" \\\\ y\" ],\r\n \"c\":{} }");
        let got = compact(&text);
        assert_eq!(&got[..], &br#"{"a b":[1,"x \" \\ y"],"c":{}}"#[..]);
        let value: Value = serde_json::from_slice(&text).unwrap();
        assert_eq!(serde_json::from_slice::<Value>(&got).unwrap(), value);
        let tight = bytes::Bytes::from_static(br#"{"z":1,"a":2}"#);
        assert_eq!(
            compact(&tight).as_ptr(),
            tight.as_ptr(),
            "copied a compact text"
        );
    }

    #[test]
    fn set_replaces_in_place_or_appends() {
        let mut json: Json = serde_json::from_str(r#"{"a": 1, "b": 2}"#).unwrap();
        json.set("a", Json::String("x".into()));
        json.set("c", Json::Bool(false));
        assert_eq!(json.to_text(), r#"{"a":"x","b":2,"c":false}"#);
        assert_eq!(json.get("a").and_then(Json::as_str), Some("x"));
        json.entry("d").unwrap().set("e", Json::Null);
        json.entry("d").unwrap().set("f", Json::Null);
        assert_eq!(
            json.to_text(),
            r#"{"a":"x","b":2,"c":false,"d":{"e":null,"f":null}}"#
        );
        assert_eq!(Json::Null.entry("x"), None);
    }

    #[test]
    fn pointers_and_refs_resolve_within_the_document() {
        let doc: Json = serde_json::from_str(
            r##"{"a/b": {"~c": 1}, "r": {"$ref": "#/s"}, "s": {"$ref": "#/a~1b/~0c"}, "loop": {"$ref": "#/loop"}, "far": {"$ref": "elsewhere.yaml#/x"}}"##,
        )
        .unwrap();
        assert_eq!(doc.pointer("/a~1b/~0c"), Some(&Json::Number(1.into())));
        assert_eq!(doc.pointer(""), Some(&doc));
        assert_eq!(doc.pointer("/nope"), None);
        let r = doc.get("r").unwrap();
        assert_eq!(doc.resolve(r), Some(&Json::Number(1.into())));
        assert_eq!(doc.resolve(doc.get("loop").unwrap()), None);
        assert_eq!(doc.resolve(doc.get("far").unwrap()), None);
        assert_eq!(doc.resolve(&Json::Null), Some(&Json::Null));
    }

    #[test]
    fn yaml_maps_keep_their_order_and_keys_become_text() {
        let json: Json = yaml_serde::from_str("b: 1\na: {200: x, true: y}\n").unwrap();
        assert_eq!(json.to_text(), r#"{"b":1,"a":{"200":"x","true":"y"}}"#);
    }
}
