//! Admin routes under `/__sandbox/`. Without `--admin-token` they need no
//! token (the sandbox binds loopback unless told otherwise, and refuses a
//! non-loopback `--host` without one); with it, every one but health needs
//! `Authorization: Bearer <admin token>`.
//!
//! | route | what |
//! | --- | --- |
//! | `GET /__sandbox/health` | `{"status": "ok", "version", "spec_sha256"}` |
//! | `GET /__sandbox/state` | the stored items: `{lb_id: {backend_name: backend}}` |
//! | `PUT /__sandbox/state` | replaces them (each must validate and carry its key as its key field) |
//! | `DELETE /__sandbox/state` | empties them |
//! | `GET /__sandbox/requests` | the journal: `{"capacity", "dropped", "requests": [...]}`, oldest first |
//! | `DELETE /__sandbox/requests` | empties it |
//! | `GET /__sandbox/faults` | `{"faults": "503=0.1,..."}` |
//! | `PUT /__sandbox/faults` | sets them from `{"faults": "..."}` |
//! | `DELETE /__sandbox/faults` | turns them off |

use std::sync::Arc;

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{header, Response, StatusCode},
};
use serde_json::{json, Value};

use crate::{
    body,
    faults::Faults,
    ordered::Json,
    respond,
    shared::{lock, Shared},
    store::Store,
};

/// The largest admin body (a state document).
pub const MAX_ADMIN_BODY: usize = 16 * 1024 * 1024;

/// The 401 to answer an admin request that lacks the admin token, if
/// the sandbox has one.
pub(crate) fn refuse(shared: &Shared, request: &Request) -> Option<Response<Body>> {
    let token = shared.admin_token.as_ref()?;
    let sent = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim());
    if sent == Some(token.as_str()) {
        return None;
    }
    let mut response = respond::error(
        StatusCode::UNAUTHORIZED,
        "admin routes need Authorization: Bearer <admin token> (the sandbox was started with --admin-token)",
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer"),
    );
    Some(response)
}

pub(crate) async fn health(State(shared): State<Arc<Shared>>) -> Response<Body> {
    respond::json_response(
        StatusCode::OK,
        &json!({
            "status": "ok",
            "version": crate::VERSION,
            "spec_sha256": shared.spec.sha256(),
        }),
    )
}

pub(crate) async fn get_state(State(shared): State<Arc<Shared>>) -> Response<Body> {
    let document = lock(&shared.data).store.document(&shared.spec);
    respond::json_bytes(StatusCode::OK, Bytes::from(document.to_text()))
}

pub(crate) async fn put_state(
    State(shared): State<Arc<Shared>>,
    request: Request,
) -> Response<Body> {
    let document = match json_body(request).await {
        Ok(value) => value,
        Err(response) => return response,
    };
    match Store::from_document(&shared.spec, &document) {
        Ok(store) => {
            let answer = store.document(&shared.spec).to_text();
            shared.set_store(store);
            respond::json_bytes(StatusCode::OK, Bytes::from(answer))
        }
        Err(violations) => respond::problems(StatusCode::BAD_REQUEST, "state refused", &violations),
    }
}

pub(crate) async fn delete_state(State(shared): State<Arc<Shared>>) -> Response<Body> {
    shared.set_store(Store::empty(&shared.spec));
    respond::json_response(StatusCode::OK, &json!({}))
}

pub(crate) async fn get_requests(State(shared): State<Arc<Shared>>) -> Response<Body> {
    let journal = lock(&shared.journal);
    let body = json!({
        "capacity": journal.capacity(),
        "dropped": journal.dropped(),
        "requests": journal.entries(),
    });
    drop(journal);
    respond::json_response(StatusCode::OK, &body)
}

pub(crate) async fn delete_requests(State(shared): State<Arc<Shared>>) -> Response<Body> {
    let mut journal = lock(&shared.journal);
    journal.clear();
    let body = json!({ "capacity": journal.capacity(), "dropped": 0, "requests": [] });
    drop(journal);
    respond::json_response(StatusCode::OK, &body)
}

pub(crate) async fn get_faults(State(shared): State<Arc<Shared>>) -> Response<Body> {
    respond::json_response(
        StatusCode::OK,
        &json!({ "faults": shared.faults().to_string() }),
    )
}

pub(crate) async fn put_faults(
    State(shared): State<Arc<Shared>>,
    request: Request,
) -> Response<Body> {
    let document = match json_body(request).await {
        Ok(value) => value.to_value(),
        Err(response) => return response,
    };
    let Some(text) = document.get("faults").and_then(Value::as_str) else {
        return respond::error(
            StatusCode::BAD_REQUEST,
            "faults body must be {\"faults\": \"503=0.1,...\"}",
        );
    };
    match text.parse::<Faults>() {
        Ok(faults) => {
            let body = json!({ "faults": faults.to_string() });
            shared.set_faults(faults);
            respond::json_response(StatusCode::OK, &body)
        }
        Err(why) => respond::error(StatusCode::BAD_REQUEST, why),
    }
}

pub(crate) async fn delete_faults(State(shared): State<Arc<Shared>>) -> Response<Body> {
    shared.set_faults(Faults::none());
    respond::json_response(StatusCode::OK, &json!({ "faults": "" }))
}

/// An admin request's body as JSON (keys in order), or the answer saying
/// why not.
async fn json_body(request: Request) -> Result<Json, Response<Body>> {
    let bytes = body::read(request.into_body(), MAX_ADMIN_BODY)
        .await
        .map_err(|e| respond::unreadable(&e, MAX_ADMIN_BODY))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| respond::error(StatusCode::BAD_REQUEST, format!("body is not JSON: {e}")))
}
