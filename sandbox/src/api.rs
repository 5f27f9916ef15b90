//! The API: every operation of the served spec, each request checked in
//! this order, each failure answered with the spec's error body and
//! nothing stored:
//!
//! | check | status |
//! | --- | --- |
//! | a path of the spec (templates matched segment by segment) | 404 naming the spec's operations; 400 for a malformed `%` escape |
//! | a method of that path | 405, with `Allow` from the spec |
//! | `Authorization: Bearer <token>`, token accepted (where the spec asks for it) | 401, with `WWW-Authenticate: Bearer` |
//! | path, query and header parameters (see `params`) | 400, every problem naming its parameter |
//! | `Content-Type: application/json` (operations with a body) | 415 |
//! | body at most 1 MiB, arriving within 30 s | 413, 408 |
//! | body is JSON | 400 |
//! | body matches the operation's schema | 422, every violation with its JSON Pointer |
//!
//! Then `resources` does what the operation does. Faults and latency (if
//! set) come first, after the body is read.

use std::sync::Arc;

use axum::{
    body::{Body, Bytes},
    extract::Request,
    http::{header, request::Parts, HeaderMap, HeaderValue, Method, Response, StatusCode},
};
use serde_json::Value;

use crate::{
    body::{self, BodyError, JsonBody, MAX_BODY},
    faults::Fault,
    journal::{Record, Validation},
    params, resources, respond,
    routes::{self, Found},
    shared::{RequestId, Shared},
    spec::{Operation, Spec},
};

/// Bodies at least this large are checked on a blocking thread, so that a
/// few large requests cannot hold up the runtime's workers (and with them
/// the health route).
const CHECK_APART_FROM: usize = 64 * 1024;

/// Handles one API request, recording it in the journal.
pub(crate) async fn handle(shared: Arc<Shared>, request: Request) -> Response<Body> {
    let id = request
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let target = request
        .uri()
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_owned();
    let mut record = Record::new(&id, request.method().as_str(), &target, request.headers());
    let (parts, body) = request.into_parts();
    let body = body::read(body, MAX_BODY).await;
    if let Ok(bytes) = &body {
        record.set_body(bytes);
    }

    let faults = shared.faults();
    if !faults.latency.is_zero() {
        tokio::time::sleep(faults.latency).await;
    }
    if let Some(fault) = faults.pick(shared.next_fault_draw()) {
        record.fault = Some(fault.to_string());
        let response = match fault {
            Fault::Reset => respond::reset(),
            Fault::Status(status) => {
                let status =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                let mut response = respond::error(
                    status,
                    format!("injected fault: {} (sandbox --faults)", status.as_u16()),
                );
                if status == StatusCode::TOO_MANY_REQUESTS {
                    response
                        .headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(faults.retry_after));
                }
                record.status = Some(status.as_u16());
                response
            }
        };
        shared.finish(record);
        return response;
    }

    let large = body.as_ref().is_ok_and(|b| b.len() >= CHECK_APART_FROM);
    let (response, mut record) = if large {
        let apart = Arc::clone(&shared);
        let checked = tokio::task::spawn_blocking(move || {
            let response = answer(&apart, &parts, body, &mut record);
            (response, record)
        })
        .await;
        match checked {
            Ok(done) => done,
            // Only a panic in the checks gets here; the journal has nothing.
            Err(_) => {
                return respond::error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the sandbox failed to check this request",
                )
            }
        }
    } else {
        let response = answer(&shared, &parts, body, &mut record);
        (response, record)
    };
    record.status = Some(response.status().as_u16());
    shared.finish(record);
    response
}

fn answer(
    shared: &Shared,
    parts: &Parts,
    body: Result<Bytes, BodyError>,
    record: &mut Record,
) -> Response<Body> {
    let spec = &*shared.spec;
    let raw_path = parts.uri.path();
    let (path, raw_values) = match routes::find(spec, raw_path) {
        Found::Path(path, values) => (path, values),
        Found::Unknown => return unknown_path(spec, &parts.method, raw_path),
    };
    let Some(op) = spec.operation(path, &parts.method) else {
        return method_not_allowed(spec, path, &parts.method);
    };
    record.operation = Some(op.id.clone());
    if op.bearer {
        if let Err(why) = authorize(&shared.tokens, &parts.headers) {
            let mut response = respond::error(StatusCode::UNAUTHORIZED, why);
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return response;
        }
    }
    let values = match params::check(spec, op, &raw_values, parts.uri.query(), &parts.headers) {
        Ok(values) => values,
        Err(problems) => {
            record.validation = Some(Validation {
                valid: false,
                violations: Vec::new(),
                parameters: problems.clone(),
            });
            return respond::problems(StatusCode::BAD_REQUEST, "", &problems);
        }
    };
    let checked = match check_body(spec, op, &parts.headers, body, record) {
        Ok(checked) => checked,
        Err(response) => return *response,
    };
    resources::answer(shared, op, &values, parts, checked.as_ref(), record)
}

/// The body's checks, for an operation that takes one.
fn check_body(
    spec: &Spec,
    op: &Operation,
    headers: &HeaderMap,
    body: Result<Bytes, BodyError>,
    record: &mut Record,
) -> Result<Option<JsonBody>, Box<Response<Body>>> {
    let Some(declared) = &op.body else {
        return Ok(None);
    };
    let empty = body.as_ref().is_ok_and(Bytes::is_empty);
    if empty && !declared.required {
        return Ok(None);
    }
    if let Err(why) = json_content_type(headers) {
        return Err(Box::new(respond::error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            why,
        )));
    }
    let bytes = body.map_err(|e| respond::unreadable(&e, MAX_BODY))?;
    let value: Value = serde_json::from_slice(&bytes)
        .map_err(|e| respond::error(StatusCode::BAD_REQUEST, format!("body is not JSON: {e}")))?;
    let violations = spec.check(declared.validator, &value);
    let valid = violations.is_empty();
    record.validation = Some(Validation {
        valid,
        violations: violations.clone(),
        parameters: Vec::new(),
    });
    if !valid {
        return Err(Box::new(respond::problems(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("body does not match the {} schema", declared.name),
            &violations,
        )));
    }
    Ok(Some(JsonBody { bytes, value }))
}

/// 404 for a path of no template (400 if it has a malformed escape).
fn unknown_path(spec: &Spec, method: &Method, raw: &str) -> Response<Body> {
    if let Some(at) = routes::malformed(raw) {
        return respond::error(
            StatusCode::BAD_REQUEST,
            format!("path {raw:?} has a malformed percent-escape at byte {at}"),
        );
    }
    let known: Vec<String> = spec
        .operations()
        .into_iter()
        .map(|op| format!("{} {}", op.method, op.path))
        .collect();
    respond::error(
        StatusCode::NOT_FOUND,
        format!(
            "no route for {method} {raw}: the spec has {}",
            if known.is_empty() {
                "no operation".to_owned()
            } else {
                known.join(", ")
            }
        ),
    )
}

/// 405 with the path's methods in `Allow`.
fn method_not_allowed(spec: &Spec, path: usize, method: &Method) -> Response<Body> {
    let item = &spec.paths[path];
    let methods: Vec<&str> = item.methods.iter().map(|(m, _)| m.as_str()).collect();
    let mut response = respond::error(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "method {method} is not allowed on {}: use {}",
            item.template,
            methods.join(" or ")
        ),
    );
    if let Ok(allow) = HeaderValue::from_str(&methods.join(", ")) {
        response.headers_mut().insert(header::ALLOW, allow);
    }
    response
}

/// Checks `Authorization: Bearer <token>`; the message never shows the value.
pub(crate) fn authorize(tokens: &[String], headers: &HeaderMap) -> Result<(), String> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Err("missing authorization header: send Authorization: Bearer <token>".into());
    };
    if values.next().is_some() {
        return Err("more than one authorization header: send one".into());
    }
    let malformed = || "malformed authorization header: expected Bearer and a token".to_owned();
    let text = value.to_str().map_err(|_| malformed())?;
    let (scheme, token) = text.split_once(' ').ok_or_else(malformed)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() || token.contains(' ') {
        return Err(malformed());
    }
    if !tokens.is_empty() && !tokens.iter().any(|t| t == token) {
        return Err("token not accepted: the sandbox was started with --token".into());
    }
    Ok(())
}

fn json_content_type(headers: &HeaderMap) -> Result<(), String> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Err("missing content-type: send application/json".into());
    };
    let text = String::from_utf8_lossy(value.as_bytes());
    let essence = text.split(';').next().unwrap_or_default().trim();
    if essence.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(format!("content-type {text:?} is not application/json"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(value: &[u8]) -> Result<(), String> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_bytes(value).unwrap(),
        );
        authorize(&[], &headers)
    }

    #[test]
    fn authorization_needs_a_bearer_token() {
        assert_eq!(auth(b"Bearer t"), Ok(()));
        assert_eq!(auth(b"bearer <token>"), Ok(()));
        for bad in [
            &b"Bearer"[..],
            b"Bearer ",
            b"Basic dXNlcg==",
            b"t",
            b"Bearer a b",
            b"Bearer \xff",
        ] {
            assert!(auth(bad).unwrap_err().starts_with("malformed"), "{bad:?}");
        }
        assert!(authorize(&[], &HeaderMap::new())
            .unwrap_err()
            .starts_with("missing"));
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert!(authorize(&["y".into()], &headers)
            .unwrap_err()
            .starts_with("token not accepted"));
        assert_eq!(authorize(&["x".into()], &headers), Ok(()));
        headers.append(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert!(authorize(&[], &headers)
            .unwrap_err()
            .starts_with("more than one"));
    }

    #[test]
    fn the_media_type_is_json_with_any_parameters() {
        let mut headers = HeaderMap::new();
        assert!(json_content_type(&headers)
            .unwrap_err()
            .starts_with("missing"));
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("Application/JSON ; charset=utf-8"),
        );
        assert_eq!(json_content_type(&headers), Ok(()));
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/jsonx"),
        );
        assert!(json_content_type(&headers).is_err());
    }
}
