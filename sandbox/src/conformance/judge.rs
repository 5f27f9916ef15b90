//! One case on the protocol: the message written to the testee for a
//! vector, and its answer judged against the vector's `expect`.

use serde_json::{json, Map, Value};

use crate::{vector_set::Vector, vectors::diff};

/// The retry settings every message carries: backoff shortened (the
/// vectors' waits are scripted), `Retry-After` honoured.
fn retry_settings(vector: &Vector) -> Value {
    let mut settings = json!({
        "max_attempts": 3,
        "initial_backoff_ms": 5,
        "max_backoff_ms": 20,
        "honour_retry_after": true,
        "budget": null,
    });
    if let (Some(Value::Object(own)), Some(all)) = (&vector.retry, settings.as_object_mut()) {
        for (key, value) in own {
            all.insert(key.clone(), value.clone());
        }
    }
    settings
}

/// The case's parameters by location: `call.params`, and `call.lb_id` /
/// `call.backend_name` as path values (update_backend's form).
fn params(call: &Value) -> Value {
    let group = |name: &str| -> Map<String, Value> {
        call.get("params")
            .and_then(|p| p.get(name))
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let mut path = group("path");
    for key in ["lb_id", "backend_name"] {
        if let Some(value) = call.get(key) {
            path.insert(key.to_owned(), value.clone());
        }
    }
    json!({"path": path, "query": group("query"), "header": group("header")})
}

/// The line written to the testee for `vector`.
pub(crate) fn message(vector: &Vector, base_url: &str, token: &str) -> Value {
    let mut message = json!({
        "case": vector.id,
        "base_url": base_url,
        "operation": vector.operation,
        "params": params(&vector.call),
        "token": token,
        "retry": retry_settings(vector),
    });
    if let (Some(body), Some(m)) = (vector.call.get("body"), message.as_object_mut()) {
        m.insert("body".to_owned(), body.clone());
    }
    message
}

/// A testee's answer to one case.
#[derive(Debug, PartialEq)]
pub(crate) enum Answer {
    Ok(Value),
    Error(Map<String, Value>),
    Refused(Vec<Value>),
}

/// Reads an answer line for case `id`; `Err` says how it breaks the
/// protocol.
pub(crate) fn answer(line: &str, id: &str) -> Result<Answer, String> {
    let value: Value = serde_json::from_str(line).map_err(|_| "not JSON".to_owned())?;
    let object = value.as_object().ok_or("not a JSON object")?;
    match object.get("case") {
        Some(Value::String(case)) if case == id => {}
        Some(other) => return Err(format!("it answers case {other}, not {id:?}")),
        None => return Err("no \"case\" key".to_owned()),
    }
    let outcomes: Vec<&str> = ["ok", "error", "refused"]
        .into_iter()
        .filter(|k| object.contains_key(*k))
        .collect();
    match (outcomes.as_slice(), object) {
        (["ok"], o) => Ok(Answer::Ok(o["ok"].clone())),
        (["error"], o) => match &o["error"] {
            Value::Object(error) => Ok(Answer::Error(error.clone())),
            _ => Err("\"error\" is not an object".to_owned()),
        },
        (["refused"], o) => match &o["refused"] {
            Value::Array(items) => Ok(Answer::Refused(items.clone())),
            _ => Err("\"refused\" is not a list".to_owned()),
        },
        ([], _) => Err("none of \"ok\", \"error\", \"refused\"".to_owned()),
        _ => Err(format!("more than one outcome: {}", outcomes.join(", "))),
    }
}

/// Every way `answer` differs from the vector's `expect`; empty when it
/// agrees. `token` must appear nowhere in it.
pub(crate) fn judge(vector: &Vector, answer: &Answer, token: &str) -> Vec<String> {
    let mut out = Vec::new();
    let expect = &vector.expect;
    match (expect.outcome.as_str(), answer) {
        ("ok", Answer::Ok(got)) => {
            let mut diffs = Vec::new();
            diff("", got, &expect.value, &mut diffs);
            let total = diffs.len();
            out.extend(
                diffs
                    .into_iter()
                    .take(4)
                    .map(|d| format!("value: {}", d.replacen("body ", "", 1))),
            );
            if total > 4 {
                out.push(format!("and {} more value differences", total - 4));
            }
        }
        ("error", Answer::Error(got)) => {
            let want = expect.error.as_ref().and_then(Value::as_object);
            error(want, got, expect.attempts, &mut out);
        }
        ("refused", Answer::Refused(got)) => refused(&expect.refused, got, &mut out),
        (want, got) => out.push(format!("expected outcome {want}, the testee {}", told(got))),
    }
    let text = match answer {
        Answer::Ok(v) => v.to_string(),
        Answer::Error(e) => Value::Object(e.clone()).to_string(),
        Answer::Refused(r) => Value::Array(r.clone()).to_string(),
    };
    if !token.is_empty() && text.contains(token) {
        out.push("the answer carries the token (it must never be shown)".to_owned());
    }
    out
}

/// What the testee answered, in a few words.
fn told(answer: &Answer) -> String {
    match answer {
        Answer::Ok(_) => "answered ok".to_owned(),
        Answer::Error(e) => format!(
            "answered an error (class {}, status {}, message {})",
            e.get("class").unwrap_or(&Value::Null),
            e.get("status").unwrap_or(&Value::Null),
            e.get("message").unwrap_or(&Value::Null)
        ),
        Answer::Refused(r) => format!("refused the call ({} problem(s))", r.len()),
    }
}

fn error(
    want: Option<&Map<String, Value>>,
    got: &Map<String, Value>,
    attempts: usize,
    out: &mut Vec<String>,
) {
    let empty = Map::new();
    let want = want.unwrap_or(&empty);
    let null = Value::Null;
    for key in ["class", "status", "message", "request_id"] {
        if let Some(expected) = want.get(key) {
            let given = got.get(key).unwrap_or(&null);
            if given != expected {
                out.push(format!("error {key} is {given}, expected {expected}"));
            }
        }
    }
    if let Some(Value::String(part)) = want.get("excerpt_contains") {
        match got.get("excerpt").and_then(Value::as_str) {
            Some(excerpt) if excerpt.contains(part.as_str()) => {}
            Some(excerpt) => out.push(format!(
                "error excerpt {:?} lacks {part:?}",
                excerpt.chars().take(120).collect::<String>()
            )),
            None => out.push(format!("error has no excerpt, expected one with {part:?}")),
        }
    }
    if let Some(Value::Bool(spent)) = want.get("retry_budget_exhausted") {
        let said = got.get("retry_budget_exhausted") == Some(&Value::Bool(true));
        if said != *spent {
            out.push(format!(
                "error says retry budget exhausted: {said}, expected {spent}"
            ));
        }
    }
    match got.get("attempts") {
        Some(n) if n.as_u64() == Some(attempts as u64) => {}
        Some(n) => out.push(format!("error says {n} attempt(s), expected {attempts}")),
        None => out.push("error does not say how many attempts it made".to_owned()),
    }
}

/// The refused problems in order: each field path, and each value (as
/// JSON) when the testee gives one.
fn refused(want: &[Value], got: &[Value], out: &mut Vec<String>) {
    let fields = |items: &[Value]| -> Vec<String> {
        items
            .iter()
            .map(|i| match i {
                Value::String(field) => field.clone(),
                other => other
                    .get("field")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_owned(),
            })
            .collect()
    };
    let (want_fields, got_fields) = (fields(want), fields(got));
    if want_fields != got_fields {
        out.push(format!(
            "refused fields {got_fields:?}, expected {want_fields:?}"
        ));
        return;
    }
    for (w, g) in want.iter().zip(got) {
        let Some(given) = g.get("value") else {
            continue;
        };
        let expected = match w.get("value") {
            Some(Value::String(text)) => {
                serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.clone()))
            }
            Some(other) => other.clone(),
            None => continue,
        };
        if *given != expected {
            out.push(format!(
                "refused {} with value {given}, expected {expected}",
                g["field"].as_str().unwrap_or("?")
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector(more: Value) -> Vector {
        let mut base = json!({
            "id": "v", "category": "c",
            "call": {"lb_id": "42", "backend_name": "b", "body": {"port": 1}},
            "expect": {"outcome": "ok", "attempts": 1, "value": {"port": 1}}
        });
        for (k, v) in more.as_object().unwrap() {
            base[k] = v.clone();
        }
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn a_message_carries_the_call_and_the_retry_settings() {
        let v = vector(json!({"retry": {"budget": {"capacity": 5}}}));
        assert_eq!(
            message(&v, "http://h/__vectors/v", "<token>"),
            json!({
                "case": "v", "base_url": "http://h/__vectors/v", "operation": "update_backend",
                "params": {"path": {"lb_id": "42", "backend_name": "b"}, "query": {}, "header": {}},
                "body": {"port": 1}, "token": "<token>",
                "retry": {"max_attempts": 3, "initial_backoff_ms": 5, "max_backoff_ms": 20,
                          "honour_retry_after": true, "budget": {"capacity": 5}}
            })
        );
        let v = vector(json!({
            "operation": "list",
            "call": {"params": {"path": {"lb_id": "7"}, "query": {"limit": 2}, "header": {"K": "x"}}}
        }));
        let m = message(&v, "u", "sekret");
        assert_eq!(
            m["params"],
            json!({"path": {"lb_id": "7"}, "query": {"limit": 2}, "header": {"K": "x"}})
        );
        assert!(m.get("body").is_none());
        assert_eq!(m["retry"]["budget"], Value::Null);
    }

    #[test]
    fn answers_follow_the_protocol_or_say_how_not() {
        assert_eq!(
            answer(r#"{"case": "v", "ok": null}"#, "v"),
            Ok(Answer::Ok(Value::Null))
        );
        assert_eq!(
            answer(r#"{"case": "v", "refused": ["a"]}"#, "v"),
            Ok(Answer::Refused(vec![json!("a")]))
        );
        assert_eq!(
            answer(r#"{"case": "v", "error": {"class": "status"}}"#, "v"),
            Ok(Answer::Error(
                json!({"class": "status"}).as_object().unwrap().clone()
            ))
        );
        for (line, why) in [
            ("garbage", "not JSON"),
            ("[1]", "not a JSON object"),
            (r#"{"ok": 1}"#, "no \"case\" key"),
            (
                r#"{"case": "w", "ok": 1}"#,
                "it answers case \"w\", not \"v\"",
            ),
            (r#"{"case": "v"}"#, "none of \"ok\", \"error\", \"refused\""),
            (
                r#"{"case": "v", "ok": 1, "error": {}}"#,
                "more than one outcome: ok, error",
            ),
            (
                r#"{"case": "v", "error": "x"}"#,
                "\"error\" is not an object",
            ),
            (
                r#"{"case": "v", "refused": {}}"#,
                "\"refused\" is not a list",
            ),
        ] {
            assert_eq!(answer(line, "v"), Err(why.to_owned()), "{line}");
        }
    }

    #[test]
    fn values_are_compared_as_json() {
        let v = vector(json!({}));
        assert!(judge(&v, &Answer::Ok(json!({"port": 1})), "sekret").is_empty());
        assert_eq!(
            judge(&v, &Answer::Ok(json!({"port": "1"})), "sekret"),
            ["value: at /port is \"1\", expected 1"]
        );
        let many = json!({"a": 1, "b": 2, "c": 3, "d": 4, "e": 5});
        let problems = judge(&v, &Answer::Ok(many), "sekret");
        assert_eq!(problems.len(), 5, "{problems:?}");
        assert_eq!(problems[4], "and 2 more value differences");
        assert_eq!(
            judge(&v, &Answer::Refused(vec![]), "sekret"),
            ["expected outcome ok, the testee refused the call (0 problem(s))"]
        );
        let e = json!({"class": "status", "status": 503})
            .as_object()
            .unwrap()
            .clone();
        assert_eq!(
            judge(&v, &Answer::Error(e), "sekret"),
            ["expected outcome ok, the testee answered an error (class \"status\", status 503, message null)"]
        );
        let secret = vector(json!({"expect": {"outcome": "ok", "attempts": 1, "value": "<tok>"}}));
        assert_eq!(
            judge(&secret, &Answer::Ok(json!("<tok>")), "<tok>"),
            ["the answer carries the token (it must never be shown)"]
        );
        assert!(judge(&secret, &Answer::Ok(json!("<tok>")), "").is_empty());
    }

    #[test]
    fn errors_are_compared_field_by_field() {
        let v = vector(
            json!({"expect": {"outcome": "error", "attempts": 2, "error": {
            "class": "status", "status": 503, "message": "busy", "request_id": "r-1",
            "excerpt_contains": "<title>", "retry_budget_exhausted": true}}}),
        );
        let good = json!({"class": "status", "status": 503, "message": "busy", "request_id": "r-1",
                          "excerpt": "<html><title>", "attempts": 2, "retry_budget_exhausted": true});
        let object = |v: Value| Answer::Error(v.as_object().unwrap().clone());
        assert!(judge(&v, &object(good), "sekret").is_empty());
        assert_eq!(
            judge(
                &v,
                &object(
                    json!({"class": "transport", "status": 502, "excerpt": "<p>", "attempts": 3})
                ),
                "sekret"
            ),
            [
                "error class is \"transport\", expected \"status\"",
                "error status is 502, expected 503",
                "error message is null, expected \"busy\"",
                "error request_id is null, expected \"r-1\"",
                "error excerpt \"<p>\" lacks \"<title>\"",
                "error says retry budget exhausted: false, expected true",
                "error says 3 attempt(s), expected 2",
            ]
        );
        assert_eq!(
            judge(
                &v,
                &object(json!({"class": "status", "status": 503, "message": "busy",
                                      "request_id": "r-1", "retry_budget_exhausted": true})),
                "sekret"
            ),
            [
                "error has no excerpt, expected one with \"<title>\"",
                "error does not say how many attempts it made",
            ]
        );
        // What the vector leaves out is not compared.
        let bare = vector(json!({"expect": {"outcome": "error", "attempts": 1, "error": {}}}));
        assert!(judge(
            &bare,
            &object(json!({"class": "x", "attempts": 1})),
            "sekret"
        )
        .is_empty());
        let unspent = vector(json!({"expect": {"outcome": "error", "attempts": 1,
                                               "error": {"retry_budget_exhausted": false}}}));
        assert!(judge(&unspent, &object(json!({"attempts": 1})), "sekret").is_empty());
    }

    #[test]
    fn refusals_name_fields_in_order_and_values_as_json() {
        let v = vector(
            json!({"expect": {"outcome": "refused", "attempts": 0, "refused": [
            {"field": "name", "value": "\"\""}, {"field": "port", "value": "0"},
            {"field": "x", "value": "not json"}]}}),
        );
        let refused = |v: Value| Answer::Refused(v.as_array().unwrap().clone());
        assert!(judge(&v, &refused(json!(["name", "port", "x"])), "sekret").is_empty());
        assert!(judge(
            &v,
            &refused(
                json!([{"field": "name", "value": ""}, {"field": "port", "value": 0},
                            {"field": "x", "value": "not json"}])
            ),
            "sekret"
        )
        .is_empty());
        assert_eq!(
            judge(&v, &refused(json!(["port", "name", "x"])), "sekret"),
            ["refused fields [\"port\", \"name\", \"x\"], expected [\"name\", \"port\", \"x\"]"]
        );
        assert_eq!(
            judge(
                &v,
                &refused(
                    json!([{"field": "name", "value": "\"\""}, {"field": "port", "value": "0"}, {}])
                ),
                "sekret"
            ),
            ["refused fields [\"name\", \"port\", \"?\"], expected [\"name\", \"port\", \"x\"]"]
        );
        assert_eq!(
            judge(
                &v,
                &refused(
                    json!([{"field": "name", "value": "\"\""}, {"field": "port", "value": "0"}, "x"])
                ),
                "sekret"
            ),
            [
                "refused name with value \"\\\"\\\"\", expected \"\"",
                "refused port with value \"0\", expected 0",
            ]
        );
    }
}
