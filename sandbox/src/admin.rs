//! Admin routes under `/__sandbox/` (no token needed; the sandbox binds
//! loopback unless told otherwise):
//!
//! | route | what |
//! | --- | --- |
//! | `GET /__sandbox/health` | `{"status": "ok", "version", "spec_sha256"}` |
//! | `GET /__sandbox/state` | the stored backends: `{lb_id: {backend_name: backend}}` |
//! | `PUT /__sandbox/state` | replaces them (each backend must validate and carry its key as `name`) |
//! | `DELETE /__sandbox/state` | empties them |
//! | `GET /__sandbox/requests` | the journal: `{"capacity", "dropped", "requests": [...]}`, oldest first |
//! | `DELETE /__sandbox/requests` | empties it |
//! | `GET /__sandbox/faults` | `{"faults": "503=0.1,..."}` |
//! | `PUT /__sandbox/faults` | sets them from `{"faults": "..."}` |
//! | `DELETE /__sandbox/faults` | turns them off |

use std::sync::Arc;

use axum::{
    body::Body,
    extract::{Request, State},
    http::{Response, StatusCode},
};
use serde_json::{json, Value};

use crate::{
    api::{read_body, BodyError},
    faults::Faults,
    server::{self, lock, Shared},
    store,
};

/// The largest admin body (a state document).
pub const MAX_ADMIN_BODY: usize = 16 * 1024 * 1024;

pub(crate) async fn health(State(shared): State<Arc<Shared>>) -> Response<Body> {
    server::json_response(
        StatusCode::OK,
        &json!({
            "status": "ok",
            "version": crate::VERSION,
            "spec_sha256": shared.spec.sha256(),
        }),
    )
}

pub(crate) async fn get_state(State(shared): State<Arc<Shared>>) -> Response<Body> {
    let state = lock(&shared.state).clone();
    server::json_response(StatusCode::OK, &json!(state))
}

pub(crate) async fn put_state(
    State(shared): State<Arc<Shared>>,
    request: Request,
) -> Response<Body> {
    let document = match json_body(request).await {
        Ok(value) => value,
        Err(response) => return response,
    };
    match store::parse_state(shared.spec, &document) {
        Ok(state) => {
            *lock(&shared.state) = state;
            server::json_response(StatusCode::OK, &document)
        }
        Err(violations) => {
            server::violations(StatusCode::BAD_REQUEST, "state refused", &violations)
        }
    }
}

pub(crate) async fn delete_state(State(shared): State<Arc<Shared>>) -> Response<Body> {
    lock(&shared.state).clear();
    server::json_response(StatusCode::OK, &json!({}))
}

pub(crate) async fn get_requests(State(shared): State<Arc<Shared>>) -> Response<Body> {
    let journal = lock(&shared.journal);
    let body = json!({
        "capacity": journal.capacity(),
        "dropped": journal.dropped(),
        "requests": journal.entries(),
    });
    drop(journal);
    server::json_response(StatusCode::OK, &body)
}

pub(crate) async fn delete_requests(State(shared): State<Arc<Shared>>) -> Response<Body> {
    let mut journal = lock(&shared.journal);
    journal.clear();
    let body = json!({ "capacity": journal.capacity(), "dropped": 0, "requests": [] });
    drop(journal);
    server::json_response(StatusCode::OK, &body)
}

pub(crate) async fn get_faults(State(shared): State<Arc<Shared>>) -> Response<Body> {
    server::json_response(
        StatusCode::OK,
        &json!({ "faults": shared.faults().to_string() }),
    )
}

pub(crate) async fn put_faults(
    State(shared): State<Arc<Shared>>,
    request: Request,
) -> Response<Body> {
    let document = match json_body(request).await {
        Ok(value) => value,
        Err(response) => return response,
    };
    let Some(text) = document.get("faults").and_then(Value::as_str) else {
        return server::error(
            StatusCode::BAD_REQUEST,
            "faults body must be {\"faults\": \"503=0.1,...\"}",
        );
    };
    match text.parse::<Faults>() {
        Ok(faults) => {
            let body = json!({ "faults": faults.to_string() });
            shared.set_faults(faults);
            server::json_response(StatusCode::OK, &body)
        }
        Err(why) => server::error(StatusCode::BAD_REQUEST, why),
    }
}

pub(crate) async fn delete_faults(State(shared): State<Arc<Shared>>) -> Response<Body> {
    shared.set_faults(Faults::none());
    server::json_response(StatusCode::OK, &json!({ "faults": "" }))
}

pub(crate) async fn method_not_allowed(request: Request) -> Response<Body> {
    server::error(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "method {} is not allowed on {}",
            request.method(),
            request.uri().path()
        ),
    )
}

/// An admin request's body as JSON, or the answer saying why not.
async fn json_body(request: Request) -> Result<Value, Response<Body>> {
    let bytes = read_body(request.into_body(), MAX_ADMIN_BODY)
        .await
        .map_err(|e| match e {
            BodyError::TooLarge => server::error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("body is larger than the limit of {MAX_ADMIN_BODY} bytes"),
            ),
            BodyError::TimedOut => {
                server::error(StatusCode::REQUEST_TIMEOUT, "body did not arrive in time")
            }
            BodyError::Broken(why) => server::error(
                StatusCode::BAD_REQUEST,
                format!("body could not be read: {why}"),
            ),
        })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| server::error(StatusCode::BAD_REQUEST, format!("body is not JSON: {e}")))
}
