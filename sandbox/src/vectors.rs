//! Vector mode: each conformance vector of `tests/vectors/` (embedded at
//! build time, or `--vectors DIR`) as a scripted server that judges what it
//! receives.
//!
//! | route | what |
//! | --- | --- |
//! | `GET /__vectors` | the ids, categories and descriptions |
//! | any method, `/__vectors/<id>/<path>` | the vector's next scripted response; the request (method, path, query, headers, body) is checked against the vector's `request` |
//! | `GET /__vectors/<id>/verdict` | `{"id", "pass", "received", "attempts_expected", "mismatches", "elapsed_ms", "min_elapsed_ms"}` |
//! | `DELETE /__vectors/<id>` | resets it (and answers its empty verdict) |
//! | `DELETE /__vectors` | resets every vector |
//!
//! A request beyond the script gets status 599 (not a real status, so no
//! client mistakes it for the API's) and fails the verdict. A vector names
//! the spec's `operation` it calls (default `update_backend`); a set whose
//! vectors name an operation the served spec lacks is refused at start.

use std::{collections::BTreeMap, sync::Arc, time::Instant};

use axum::{
    body::Body,
    extract::{Path, Request, State},
    http::{HeaderName, HeaderValue, Response, StatusCode},
};
use serde_json::{json, Value};

use crate::{
    body::{self, MAX_BODY},
    journal::redact,
    respond,
    routes::decode,
    shared::{lock, Shared},
    spec::escape,
    vector_set::{Expected, QueryValue, Scripted},
};

/// Differences named per body.
const MAX_BODY_DIFFS: usize = 8;

pub(crate) async fn list(State(shared): State<Arc<Shared>>) -> Response<Body> {
    let vectors: Vec<Value> = shared
        .vectors
        .vectors
        .values()
        .map(|v| {
            json!({
                "id": v.id,
                "category": v.category,
                "operation": v.operation,
                "description": v.description,
                "attempts": v.expect.attempts,
            })
        })
        .collect();
    respond::json_response(StatusCode::OK, &json!({ "vectors": vectors }))
}

fn unknown(id: &str) -> Response<Body> {
    respond::error(
        StatusCode::NOT_FOUND,
        format!("no vector {id:?}: GET /__vectors lists them"),
    )
}

pub(crate) async fn reset(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Response<Body> {
    if !shared.vectors.reset(&id) {
        return unknown(&id);
    }
    verdict(State(shared), Path(id)).await
}

pub(crate) async fn reset_all(State(shared): State<Arc<Shared>>) -> Response<Body> {
    for id in shared.vectors.vectors.keys() {
        shared.vectors.reset(id);
    }
    respond::json_response(
        StatusCode::OK,
        &json!({ "reset": shared.vectors.vectors.len() }),
    )
}

pub(crate) async fn verdict(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Response<Body> {
    match shared.vectors.verdict(&id) {
        Some(verdict) => respond::json_response(StatusCode::OK, &verdict),
        None => unknown(&id),
    }
}

/// A request to `/__vectors/<id>/...`: checked, then answered from the script.
pub(crate) async fn serve(shared: &Shared, request: Request) -> Response<Body> {
    let arrived = Instant::now();
    let full = request.uri().path();
    let rest = full.strip_prefix("/__vectors/").unwrap_or_default();
    let (id, path) = match rest.find('/') {
        Some(at) => (rest[..at].to_owned(), rest[at..].to_owned()),
        None => (rest.to_owned(), "/".to_owned()),
    };
    let Some(vector) = shared.vectors.vectors.get(&id) else {
        return unknown(&id);
    };
    let Some(run) = shared.vectors.runs.get(&id) else {
        return unknown(&id);
    };
    let query = request.uri().query().map(str::to_owned);
    let target = match &query {
        Some(query) => format!("{path}?{query}"),
        None => path.clone(),
    };
    let (parts, body) = request.into_parts();
    let body = body::read(body, MAX_BODY).await;

    let mut run = lock(run);
    run.received += 1;
    let attempt = run.received;
    run.first.get_or_insert(arrived);
    run.last = Some(arrived);
    match &vector.request {
        None => run.mismatch(format!(
            "attempt {attempt}: {} {target} arrived, but this call must be refused before sending",
            parts.method
        )),
        Some(expected) => {
            let body =
                body.map_err(|_| "the body could not be read (too large or too slow)".to_owned());
            let sent = Sent {
                method: parts.method.as_str(),
                path: &path,
                query: query.as_deref(),
                headers: &parts.headers,
            };
            for what in compare(expected, &sent, body) {
                run.mismatch(format!("attempt {attempt}: {what}"));
            }
        }
    }
    let Some(scripted) = vector.responses.get(attempt - 1) else {
        run.mismatch(format!(
            "attempt {attempt}: beyond the script of {} response(s)",
            vector.responses.len()
        ));
        drop(run);
        return respond::error(
            StatusCode::from_u16(599).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            format!(
                "vector {id}: attempt {attempt} is beyond the script of {} response(s)",
                vector.responses.len()
            ),
        );
    };
    drop(run);
    scripted_response(scripted)
}

fn scripted_response(scripted: &Scripted) -> Response<Body> {
    let status = StatusCode::from_u16(scripted.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = match (&scripted.body, &scripted.text) {
        (Some(body), _) => respond::json_response(status, body),
        (None, Some(text)) => {
            let mut r = Response::new(Body::from(text.clone()));
            *r.status_mut() = status;
            r
        }
        (None, None) => {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = status;
            r
        }
    };
    for (name, value) in &scripted.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

/// The head of a request as it arrived at a vector.
struct Sent<'a> {
    method: &'a str,
    /// The raw path below the vector's base URL.
    path: &'a str,
    query: Option<&'a str>,
    headers: &'a axum::http::HeaderMap,
}

/// Every way a request differs from the vector's `request`.
fn compare(
    expected: &Expected,
    sent: &Sent<'_>,
    body: Result<bytes::Bytes, String>,
) -> Vec<String> {
    let mut out = Vec::new();
    let headers = sent.headers;
    if sent.method != expected.method {
        out.push(format!(
            "method {}, expected {}",
            sent.method, expected.method
        ));
    }
    if sent.path != expected.path {
        out.push(format!(
            "path {:?}, expected {:?}",
            sent.path, expected.path
        ));
    }
    compare_query(&expected.query, sent.query.unwrap_or_default(), &mut out);
    for (name, want) in &expected.headers {
        let values: Vec<&[u8]> = headers
            .get_all(name.as_str())
            .iter()
            .map(HeaderValue::as_bytes)
            .collect();
        let show = |v: &[u8]| {
            if name.eq_ignore_ascii_case("authorization") {
                redact(v)
            } else {
                String::from_utf8_lossy(v).into_owned()
            }
        };
        match values.as_slice() {
            [] => out.push(format!("header {name} is missing, expected {want:?}")),
            [one] if *one == want.as_bytes() => {}
            [one] => out.push(format!(
                "header {name} is {:?}, expected {want:?}",
                show(one)
            )),
            many => out.push(format!(
                "header {name} is sent {} times, expected once as {want:?}",
                many.len()
            )),
        }
    }
    for name in &expected.forbidden_headers {
        if headers.contains_key(name.as_str()) {
            out.push(format!("header {name} is present, expected absent"));
        }
    }
    match (body, &expected.body) {
        (Err(why), _) => out.push(why),
        (Ok(bytes), None) if bytes.is_empty() => {}
        (Ok(bytes), None) => out.push(format!("body of {} bytes, expected none", bytes.len())),
        (Ok(bytes), Some(want)) => match serde_json::from_slice::<Value>(&bytes) {
            Err(e) => out.push(format!("body is not JSON: {e}")),
            Ok(got) => {
                let mut diffs = Vec::new();
                diff("", &got, want, &mut diffs);
                let total = diffs.len();
                out.extend(diffs.into_iter().take(MAX_BODY_DIFFS));
                if total > MAX_BODY_DIFFS {
                    out.push(format!(
                        "and {} more body differences",
                        total - MAX_BODY_DIFFS
                    ));
                }
            }
        },
    }
    out
}

/// The query's parameters against the expected ones: decoded (`+` is a
/// space), in any order, each value as often as expected.
fn compare_query(expected: &BTreeMap<String, QueryValue>, query: &str, out: &mut Vec<String>) {
    let mut got: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match (
            decode(&key.replace('+', " ")),
            decode(&value.replace('+', " ")),
        ) {
            (Ok(k), Ok(v)) => got.entry(k).or_default().push(v),
            _ => out.push(format!("query {pair:?} does not percent-decode")),
        }
    }
    for (name, want) in expected {
        let want = want.values();
        match got.remove(name) {
            None => out.push(format!("query lacks {name}, expected {want:?}")),
            Some(values) if values == want => {}
            Some(values) => out.push(format!("query {name} is {values:?}, expected {want:?}")),
        }
    }
    for (name, values) in got {
        out.push(format!(
            "query has {name} = {values:?}, expected nothing there"
        ));
    }
}

/// The JSON Pointers where `got` and `want` differ, with both values.
pub(crate) fn diff(pointer: &str, got: &Value, want: &Value, out: &mut Vec<String>) {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            for (key, w_value) in w {
                let at = format!("{pointer}/{}", escape(key));
                match g.get(key) {
                    Some(g_value) => diff(&at, g_value, w_value, out),
                    None => out.push(format!("body lacks {at}, expected {}", short(w_value))),
                }
            }
            for (key, g_value) in g {
                if !w.contains_key(key) {
                    let at = format!("{pointer}/{}", escape(key));
                    out.push(format!(
                        "body has {at} = {}, expected nothing there",
                        short(g_value)
                    ));
                }
            }
        }
        (Value::Array(g), Value::Array(w)) if g.len() == w.len() => {
            for (i, (g_item, w_item)) in g.iter().zip(w).enumerate() {
                diff(&format!("{pointer}/{i}"), g_item, w_item, out);
            }
        }
        _ if got == want => {}
        _ => {
            let at = if pointer.is_empty() {
                "(root)"
            } else {
                pointer
            };
            out.push(format!(
                "body at {at} is {}, expected {}",
                short(got),
                short(want)
            ));
        }
    }
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= 80 {
        text
    } else {
        format!("{}…", text.chars().take(80).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_differences_are_named_by_pointer() {
        let mut out = Vec::new();
        diff(
            "",
            &json!({"a": 1, "b": [1, 2], "c": {"x~/": true}, "extra": null}),
            &json!({"a": 2, "b": [1, 3], "c": {}, "d": "x"}),
            &mut out,
        );
        assert_eq!(
            out,
            [
                "body at /a is 1, expected 2",
                "body at /b/1 is 2, expected 3",
                "body has /c/x~0~1 = true, expected nothing there",
                "body lacks /d, expected \"x\"",
                "body has /extra = null, expected nothing there",
            ]
        );
        let mut out = Vec::new();
        diff("", &json!([1]), &json!([1, 2]), &mut out);
        assert_eq!(out, ["body at (root) is [1], expected [1,2]"]);
    }

    #[test]
    fn queries_compare_decoded_in_any_order() {
        let expected: BTreeMap<String, QueryValue> = serde_json::from_value(json!({
            "limit": "2", "cursor": "a b", "tag": ["1", "2"]
        }))
        .unwrap();
        let run = |query: &str| {
            let mut out = Vec::new();
            compare_query(&expected, query, &mut out);
            out
        };
        assert!(run("cursor=a+b&tag=1&limit=2&tag=2").is_empty());
        assert!(run("tag=1&tag=2&cursor=a%20b&limit=2").is_empty());
        assert_eq!(
            run("limit=3&tag=2&tag=1&x=y&%zz"),
            [
                "query \"%zz\" does not percent-decode",
                "query lacks cursor, expected [\"a b\"]",
                "query limit is [\"3\"], expected [\"2\"]",
                "query tag is [\"2\", \"1\"], expected [\"1\", \"2\"]",
                "query has x = [\"y\"], expected nothing there",
            ]
        );
        let mut out = Vec::new();
        compare_query(&BTreeMap::new(), "", &mut out);
        assert!(out.is_empty());
    }
}
