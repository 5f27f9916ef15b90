//! The answers every handler builds: the spec's error body
//! (`{"message": ...}`, with more fields where useful), JSON texts, and a
//! connection reset. The bottom layer: it imports no handler.

use axum::{
    body::{Body, Bytes},
    http::{header, HeaderValue, Response, StatusCode},
};
use serde::Serialize;
use serde_json::{json, Value};

use crate::shared::ResetConnection;

/// A response that resets the connection.
pub(crate) fn reset() -> Response<Body> {
    let mut response = Response::new(Body::empty());
    response.extensions_mut().insert(ResetConnection);
    response
}

/// The spec's error body, `{"message": ...}`.
pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Response<Body> {
    error_with(status, message, json!({}))
}

/// The error body with more fields.
pub(crate) fn error_with(
    status: StatusCode,
    message: impl Into<String>,
    extra: Value,
) -> Response<Body> {
    let mut body = json!({ "message": message.into() });
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    json_response(status, &body)
}

/// Problems as the spec's error body: the message lists them all, and
/// `errors` has each (with its pointer or its parameter).
pub(crate) fn problems<T: Serialize + std::fmt::Display>(
    status: StatusCode,
    what: &str,
    list: &[T],
) -> Response<Body> {
    let joined = list
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    let message = if what.is_empty() {
        joined
    } else {
        format!("{what}: {joined}")
    };
    error_with(status, message, json!({ "errors": list }))
}

pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response<Body> {
    json_bytes(status, Bytes::from(body.to_string()))
}

/// A JSON text already serialized.
pub(crate) fn json_bytes(status: StatusCode, body: Bytes) -> Response<Body> {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A status with no body.
pub(crate) fn empty(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

/// The answer to a body that could not be read.
pub(crate) fn unreadable(why: &crate::body::BodyError, limit: usize) -> Response<Body> {
    use crate::body::{BodyError, BODY_TIMEOUT};
    match why {
        BodyError::TooLarge => error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("body is larger than the limit of {limit} bytes"),
        ),
        BodyError::TimedOut => error(
            StatusCode::REQUEST_TIMEOUT,
            format!("body did not arrive within {} s", BODY_TIMEOUT.as_secs()),
        ),
        BodyError::Broken(broken) => error(
            StatusCode::BAD_REQUEST,
            format!("body could not be read: {broken}"),
        ),
    }
}
