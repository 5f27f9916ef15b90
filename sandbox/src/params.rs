//! Path, query and header parameters, checked against the operation's
//! declared parameters: required ones present, each value turned into the
//! JSON its schema describes (`"20"` into `20` for an integer) and judged
//! by that schema (type, enum, ranges, length, pattern). Every problem is
//! reported at once, each naming the parameter. Query parameters the spec
//! does not declare are ignored, as most servers do.
//!
//! The sandbox's own rules for path values (the vendor's page is silent):
//! a value percent-decodes once, strictly, to UTF-8, and is neither empty
//! nor a dot segment (`.`, `..`), which a client would normalise away.

use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};

use crate::{
    routes::{decode, Undecodable},
    spec::{Coerce, Location, Operation, Param, Spec},
};

/// One parameter that breaks the spec.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParameterViolation {
    /// The parameter's name, as in the spec.
    pub parameter: String,
    /// `path`, `query` or `header`.
    #[serde(rename = "in")]
    pub location: String,
    /// What is wrong, naming the parameter.
    pub message: String,
}

impl std::fmt::Display for ParameterViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The parameters of a request that passed: the decoded path values in
/// the template's order, and the decoded query pairs.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Checked {
    pub path: Vec<String>,
    pub query: Vec<(String, String)>,
}

impl Checked {
    /// The first value of query parameter `name`.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Checks every parameter of `op`; the decoded values if all are fine.
pub(crate) fn check(
    spec: &Spec,
    op: &Operation,
    raw_path: &[(&str, &str)],
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Checked, Vec<ParameterViolation>> {
    let mut problems = Vec::new();
    let decoded: Vec<Option<String>> = raw_path
        .iter()
        .map(|(name, raw)| match path_value(name, raw) {
            Ok(value) => Some(value),
            Err(message) => {
                problems.push(violation(name, Location::Path, message));
                None
            }
        })
        .collect();
    let pairs = query_pairs(query.unwrap_or_default(), &mut problems);
    for param in &op.params {
        let texts: Vec<String> = match param.location {
            Location::Path => match raw_path
                .iter()
                .position(|(n, _)| *n == param.name)
                .and_then(|i| decoded[i].clone())
            {
                Some(value) => vec![value],
                None => continue,
            },
            Location::Query => pairs
                .iter()
                .filter(|(k, _)| *k == param.name)
                .map(|(_, v)| v.clone())
                .collect(),
            Location::Header => {
                let mut texts = Vec::new();
                for value in headers.get_all(param.name.as_str()) {
                    match value.to_str() {
                        Ok(text) => texts.push(text.trim().to_owned()),
                        Err(_) => problems.push(violation(
                            &param.name,
                            param.location,
                            format!("header {} is not visible ASCII text", param.name),
                        )),
                    }
                }
                texts
            }
        };
        if let Some(message) = judge(spec, param, &texts) {
            problems.push(violation(&param.name, param.location, message));
        }
    }
    if problems.is_empty() {
        Ok(Checked {
            path: decoded.into_iter().flatten().collect(),
            query: pairs,
        })
    } else {
        Err(problems)
    }
}

fn violation(name: &str, location: Location, message: String) -> ParameterViolation {
    ParameterViolation {
        parameter: name.to_owned(),
        location: location.as_str().to_owned(),
        message,
    }
}

/// One path segment, percent-decoded once.
fn path_value(name: &str, raw: &str) -> Result<String, String> {
    let decoded = decode(raw).map_err(|e| match e {
        Undecodable::Malformed(at) => {
            format!("{name} {raw:?} has a malformed percent-escape at byte {at}")
        }
        Undecodable::NotUtf8 => format!("{name} {raw:?} is not UTF-8 once percent-decoded"),
    })?;
    match decoded.as_str() {
        "" => Err(format!("{name} is empty")),
        "." | ".." => Err(format!("{name} {decoded:?} is a dot segment")),
        _ => Ok(decoded),
    }
}

/// `a=1&b=x+y` as decoded pairs (`+` is a space, as HTML forms and most
/// clients send it); an undecodable pair is a problem of its own.
fn query_pairs(query: &str, problems: &mut Vec<ParameterViolation>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key_text = key.replace('+', " ");
        match (decode(&key_text), decode(&value.replace('+', " "))) {
            (Ok(k), Ok(v)) => out.push((k, v)),
            (k, _) => {
                let name = k.unwrap_or_else(|_| key.to_owned());
                problems.push(violation(
                    &name,
                    Location::Query,
                    format!("query {pair:?} has a malformed percent-escape or is not UTF-8"),
                ));
            }
        }
    }
    out
}

/// What is wrong with a parameter's values, if anything.
fn judge(spec: &Spec, param: &Param, texts: &[String]) -> Option<String> {
    let name = &param.name;
    let place = param.location.as_str();
    if texts.is_empty() {
        return param
            .required
            .then(|| format!("{place} parameter {name} is required"));
    }
    let value = match &param.coerce {
        Coerce::Array(item) => {
            let items: Vec<&str> = if param.location == Location::Query {
                texts.iter().map(String::as_str).collect()
            } else {
                texts
                    .iter()
                    .flat_map(|t| t.split(','))
                    .map(str::trim)
                    .collect()
            };
            let mut values = Vec::with_capacity(items.len());
            for text in items {
                match coerce(item, text) {
                    Ok(v) => values.push(v),
                    Err(what) => return Some(format!("{place} parameter {name}: {what}")),
                }
            }
            Value::Array(values)
        }
        scalar => {
            if texts.len() > 1 {
                return Some(format!(
                    "{place} parameter {name} is sent {} times, expected once",
                    texts.len()
                ));
            }
            match coerce(scalar, &texts[0]) {
                Ok(v) => v,
                Err(what) => return Some(format!("{place} parameter {name}: {what}")),
            }
        }
    };
    let found = spec.check(param.validator, &value);
    if found.is_empty() {
        return None;
    }
    let list: Vec<String> = found
        .iter()
        .map(|v| match v.pointer.as_str() {
            "" => v.message.clone(),
            at => format!("{at}: {}", v.message),
        })
        .collect();
    Some(format!("{place} parameter {name}: {}", list.join("; ")))
}

/// A parameter's text as the JSON its schema's type describes.
fn coerce(kind: &Coerce, text: &str) -> Result<Value, String> {
    let fail = |what: &str| format!("{text:?} is not {what}");
    match kind {
        Coerce::String | Coerce::Array(_) => Ok(Value::String(text.to_owned())),
        Coerce::Integer => text
            .parse::<i64>()
            .map(Value::from)
            .or_else(|_| text.parse::<u64>().map(Value::from))
            .map_err(|_| fail("an integer")),
        Coerce::Number => text
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| fail("a number")),
        Coerce::Boolean => match text {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(fail("true or false")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const SPEC: &str = r#"
paths:
  /things/{id}:
    get:
      operationId: get_thing
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer, minimum: 1}}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 100}}
        - {name: ratio, in: query, schema: {type: number}}
        - {name: deep, in: query, schema: {type: boolean}}
        - {name: mode, in: query, required: true, schema: {type: string, enum: [a, b]}}
        - {name: tag, in: query, schema: {type: array, items: {type: integer}}}
        - {name: X-Trace, in: header, schema: {type: string, maxLength: 4}}
        - {name: X-Ids, in: header, schema: {type: array, items: {type: integer}}}
        - {name: Authorization, in: header, required: true, schema: {type: string}}
"#;

    fn run(id: &str, query: &str, headers: &[(&str, &str)]) -> Result<Vec<String>, Vec<String>> {
        let spec = Spec::parse(SPEC).unwrap();
        let op = &spec.operations[0];
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_bytes(v.as_bytes()).unwrap(),
            );
        }
        check(&spec, op, &[("id", id)], Some(query), &map)
            .map(|c| c.path)
            .map_err(|v| {
                v.into_iter()
                    .map(|v| format!("{} {}: {}", v.location, v.parameter, v.message))
                    .collect()
            })
    }

    #[test]
    fn good_values_pass_and_path_values_decode() {
        assert_eq!(
            run(
                "7",
                "mode=a&limit=100&ratio=0.5&deep=true&tag=1&tag=2&other=x",
                &[("x-trace", "abcd"), ("x-ids", "1, 2")]
            ),
            Ok(vec!["7".to_owned()])
        );
    }

    #[test]
    fn every_problem_is_named_at_once() {
        assert_eq!(
            run(
                "0",
                "limit=0&limit=5&ratio=x&deep=yes&tag=1&tag=z&mode=c",
                &[("x-trace", "abcde"), ("x-ids", "1,q")]
            )
            .unwrap_err(),
            [
                "path id: path parameter id: 0 is less than the minimum 1",
                "query limit: query parameter limit is sent 2 times, expected once",
                "query ratio: query parameter ratio: \"x\" is not a number",
                "query deep: query parameter deep: \"yes\" is not true or false",
                "query mode: query parameter mode: \"c\" is not one of \"a\", \"b\"",
                "query tag: query parameter tag: \"z\" is not an integer",
                "header X-Trace: header parameter X-Trace: \"abcde\" is longer than 4 characters",
                "header X-Ids: header parameter X-Ids: \"q\" is not an integer",
            ]
        );
        assert_eq!(
            run("x", "", &[]).unwrap_err(),
            [
                "path id: path parameter id: \"x\" is not an integer",
                "query mode: query parameter mode is required",
            ]
        );
        assert_eq!(
            run("1", "mode=a&limit=101", &[]).unwrap_err(),
            ["query limit: query parameter limit: 101 is greater than the maximum 100"]
        );
    }

    #[test]
    fn undecodable_values_are_refused_by_name() {
        assert_eq!(
            run("%G1", "mode=a", &[]).unwrap_err(),
            ["path id: id \"%G1\" has a malformed percent-escape at byte 0"]
        );
        assert_eq!(
            run("%", "mode=%zz", &[]).unwrap_err(),
            [
                "path id: id \"%\" has a malformed percent-escape at byte 0",
                "query mode: query \"mode=%zz\" has a malformed percent-escape or is not UTF-8",
                "query mode: query parameter mode is required",
            ]
        );
        assert_eq!(
            run("%2E%2E", "mode=a", &[]).unwrap_err(),
            ["path id: id \"..\" is a dot segment"]
        );
        assert_eq!(
            run("", "mode=a", &[]).unwrap_err(),
            ["path id: id is empty"]
        );
        assert_eq!(
            run("%FF", "mode=a", &[]).unwrap_err(),
            ["path id: id \"%FF\" is not UTF-8 once percent-decoded"]
        );
        assert_eq!(
            run("1", "mode=b+", &[]).unwrap_err(),
            ["query mode: query parameter mode: \"b \" is not one of \"a\", \"b\""]
        );
        assert_eq!(run("1", "m%6Fde=a", &[]), Ok(vec!["1".to_owned()]));
        assert_eq!(run("1", "mode=a&deep=false", &[]), Ok(vec!["1".to_owned()]));
        assert_eq!(
            run("1", "mode=a", &[("x-trace", "\u{e9}")]).unwrap_err(),
            ["header X-Trace: header X-Trace is not visible ASCII text"]
        );
    }
}
