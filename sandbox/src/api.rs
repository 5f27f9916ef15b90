//! The API itself: `PUT /v1/lbs/{lb_id}/backends/{backend_name}`, checked in
//! this order, each failure answered with the spec's error body and nothing
//! stored:
//!
//! | check | status |
//! | --- | --- |
//! | a route of the spec | 404 |
//! | method `PUT` | 405, with `Allow: PUT` |
//! | `Authorization: Bearer <token>`, token accepted | 401, with `WWW-Authenticate: Bearer` |
//! | path values percent-decode to UTF-8, not empty, not `.` or `..` | 400 |
//! | `Content-Type: application/json` | 415 |
//! | body at most 1 MiB | 413 |
//! | body arrives within 30 s | 408 |
//! | body is JSON | 400 |
//! | body matches the spec's `Backend` schema | 422, every violation with its JSON Pointer |
//! | the backend is stored | 404 |
//! | a rename does not land on another stored backend | 409 |
//!
//! Then the backend is replaced and the answer is 200 with it. Faults and
//! latency (if set) come first, after the body is read.

use std::{sync::Arc, time::Duration};

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{header, request::Parts, HeaderMap, HeaderValue, Method, Response, StatusCode},
};
use bytes::BytesMut;
use http_body_util::BodyExt;
use percent_encoding::percent_decode_str;
use serde_json::{json, Value};

use crate::{
    faults::Fault,
    journal::{Record, Validation},
    server::{self, lock, RequestId, Shared},
    store::{self, Refusal},
};

/// The largest body the API takes.
pub const MAX_BODY: usize = 1024 * 1024;
/// How long a body may take to arrive.
const BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// The route of the spec, for messages.
const ROUTE: &str = "/v1/lbs/{lb_id}/backends/{backend_name}";

/// Everything no other route takes: vector mode, then the API.
pub(crate) async fn fallback(
    State(shared): State<Arc<Shared>>,
    request: Request,
) -> Response<Body> {
    if request.uri().path().starts_with("/__vectors/") {
        return crate::vectors::serve(&shared, request).await;
    }
    if request.uri().path().starts_with("/__sandbox") {
        return server::error(
            StatusCode::NOT_FOUND,
            format!(
                "no admin route {}: see /__sandbox/health, /__sandbox/state, /__sandbox/requests, /__sandbox/faults",
                request.uri().path()
            ),
        );
    }
    api(&shared, request).await
}

/// Why a body could not be read.
pub(crate) enum BodyError {
    TooLarge,
    TimedOut,
    Broken(String),
}

/// Reads a body of at most `limit` bytes within [`BODY_TIMEOUT`]. A longer
/// body is read on and dropped (up to [`DRAIN_MAX`] bytes) so that the client
/// reads the 413 rather than a reset connection.
pub(crate) async fn read_body(body: Body, limit: usize) -> Result<Bytes, BodyError> {
    match tokio::time::timeout(BODY_TIMEOUT, read_frames(body, limit)).await {
        Err(_) => Err(BodyError::TimedOut),
        Ok(result) => result,
    }
}

/// How much of a too-large body is read and dropped.
const DRAIN_MAX: usize = 16 * 1024 * 1024;

async fn read_frames(mut body: Body, limit: usize) -> Result<Bytes, BodyError> {
    let mut kept = BytesMut::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| BodyError::Broken(e.to_string()))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        total = total.saturating_add(data.len());
        if total > limit {
            if total > DRAIN_MAX {
                return Err(BodyError::TooLarge);
            }
            continue;
        }
        kept.extend_from_slice(&data);
    }
    if total > limit {
        Err(BodyError::TooLarge)
    } else {
        Ok(kept.freeze())
    }
}

async fn api(shared: &Shared, request: Request) -> Response<Body> {
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
    let body = read_body(body, MAX_BODY).await;
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
            Fault::Reset => server::reset(),
            Fault::Status(status) => {
                let status =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                let mut response = server::error(
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

    let response = answer(shared, &parts, body, &mut record);
    record.status = Some(response.status().as_u16());
    shared.finish(record);
    response
}

/// The raw `lb_id` and `backend_name` of a path of the spec's route.
fn route(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/v1/lbs/")?;
    let (lb_id, rest) = rest.split_once('/')?;
    let backend_name = rest.strip_prefix("backends/")?;
    if backend_name.contains('/') {
        return None;
    }
    Some((lb_id, backend_name))
}

fn answer(
    shared: &Shared,
    parts: &Parts,
    body: Result<Bytes, BodyError>,
    record: &mut Record,
) -> Response<Body> {
    let Some((lb_raw, name_raw)) = route(parts.uri.path()) else {
        return server::error(
            StatusCode::NOT_FOUND,
            format!(
                "no route for {} {}: the API has PUT {ROUTE}",
                parts.method,
                parts.uri.path()
            ),
        );
    };
    if parts.method != Method::PUT {
        let mut response = server::error(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("method {} is not allowed on {ROUTE}: use PUT", parts.method),
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("PUT"));
        return response;
    }
    if let Err(why) = authorize(&shared.tokens, &parts.headers) {
        let mut response = server::error(StatusCode::UNAUTHORIZED, why);
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    }
    let lb_id = match path_value("lb_id", lb_raw) {
        Ok(v) => v,
        Err(why) => return server::error(StatusCode::BAD_REQUEST, why),
    };
    let backend_name = match path_value("backend_name", name_raw) {
        Ok(v) => v,
        Err(why) => return server::error(StatusCode::BAD_REQUEST, why),
    };
    if let Err(why) = json_content_type(&parts.headers) {
        return server::error(StatusCode::UNSUPPORTED_MEDIA_TYPE, why);
    }
    let bytes = match body {
        Ok(bytes) => bytes,
        Err(BodyError::TooLarge) => {
            return server::error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("body is larger than the limit of {MAX_BODY} bytes"),
            )
        }
        Err(BodyError::TimedOut) => {
            return server::error(
                StatusCode::REQUEST_TIMEOUT,
                format!("body did not arrive within {} s", BODY_TIMEOUT.as_secs()),
            )
        }
        Err(BodyError::Broken(why)) => {
            return server::error(
                StatusCode::BAD_REQUEST,
                format!("body could not be read: {why}"),
            )
        }
    };
    let backend: Value = match serde_json::from_slice(&bytes) {
        Ok(value) => value,
        Err(e) => return server::error(StatusCode::BAD_REQUEST, format!("body is not JSON: {e}")),
    };
    let violations = shared.spec.check_backend(&backend);
    record.validation = Some(Validation {
        valid: violations.is_empty(),
        violations: violations.clone(),
    });
    if !violations.is_empty() {
        return server::violations(
            StatusCode::UNPROCESSABLE_ENTITY,
            "body does not match the Backend schema",
            &violations,
        );
    }
    // The answer is the backend as stored: serialized before it moves in.
    let answer = backend.to_string();
    let outcome = store::update(&mut lock(&shared.state), &lb_id, &backend_name, backend);
    match outcome {
        Ok(()) => server::json_text(StatusCode::OK, answer),
        Err(Refusal::NotFound) => server::error_with(
            StatusCode::NOT_FOUND,
            format!("backend_name {backend_name:?} not found on lb_id {lb_id:?}"),
            json!({ "lb_id": lb_id, "backend_name": backend_name }),
        ),
        Err(Refusal::Conflict(name)) => server::error_with(
            StatusCode::CONFLICT,
            format!(
                "cannot rename backend_name {backend_name:?} to name {name:?}: lb_id {lb_id:?} already has a backend {name:?}"
            ),
            json!({ "lb_id": lb_id, "backend_name": backend_name, "name": name }),
        ),
    }
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

/// One path segment, percent-decoded.
fn path_value(field: &str, raw: &str) -> Result<String, String> {
    let decoded = percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| format!("{field} {raw:?} is not UTF-8 once percent-decoded"))?;
    match decoded.as_ref() {
        "" => Err(format!("{field} is empty")),
        "." | ".." => Err(format!("{field} {decoded:?} is a dot segment")),
        _ => Ok(decoded.into_owned()),
    }
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

    #[test]
    fn route_takes_exactly_two_raw_segments() {
        assert_eq!(route("/v1/lbs/42/backends/b"), Some(("42", "b")));
        assert_eq!(
            route("/v1/lbs/4%2F2/backends/%252F"),
            Some(("4%2F2", "%252F"))
        );
        assert_eq!(route("/v1/lbs//backends/b"), Some(("", "b")));
        assert_eq!(route("/v1/lbs/42/backends/b/"), None);
        assert_eq!(route("/v1/lbs/42/b"), None);
        assert_eq!(route("/v1/lbs/42/other/b"), None);
        assert_eq!(route("/v2/lbs/42/backends/b"), None);
    }

    #[test]
    fn path_values_decode_once() {
        assert_eq!(path_value("lb_id", "50%25").unwrap(), "50%");
        assert_eq!(path_value("lb_id", "%252F").unwrap(), "%2F");
        assert_eq!(path_value("lb_id", "a%20b").unwrap(), "a b");
        assert_eq!(path_value("lb_id", "%C3%A9").unwrap(), "é");
        assert!(path_value("lb_id", "%FF")
            .unwrap_err()
            .contains("not UTF-8"));
        assert_eq!(
            path_value("backend_name", "").unwrap_err(),
            "backend_name is empty"
        );
        assert!(path_value("lb_id", "%2E%2E")
            .unwrap_err()
            .contains("dot segment"));
    }

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
    }
}
