//! The routes: the admin routes under `/__sandbox/`, vector mode under
//! `/__vectors`, and every other path to the API, which routes it by the
//! spec. The layer below the accept loop: it imports the handlers, and no
//! handler imports it.

use std::sync::Arc;

use axum::{
    body::Body,
    extract::{Request, State},
    http::{Response, StatusCode},
    middleware::{self, Next},
    routing::{delete, get},
    Router,
};

use crate::{admin, api, respond, shared::Shared, vectors};

/// Every route of the sandbox.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let guarded = Router::new()
        .route(
            "/__sandbox/state",
            get(admin::get_state)
                .put(admin::put_state)
                .delete(admin::delete_state),
        )
        .route(
            "/__sandbox/requests",
            get(admin::get_requests).delete(admin::delete_requests),
        )
        .route(
            "/__sandbox/faults",
            get(admin::get_faults)
                .put(admin::put_faults)
                .delete(admin::delete_faults),
        )
        .route_layer(middleware::from_fn_with_state(Arc::clone(&shared), admit));
    Router::new()
        .route("/__sandbox/health", get(admin::health))
        .merge(guarded)
        .route("/__vectors", get(vectors::list).delete(vectors::reset_all))
        .route("/__vectors/", get(vectors::list))
        .route("/__vectors/{id}", delete(vectors::reset))
        .route("/__vectors/{id}/verdict", get(vectors::verdict))
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(shared)
}

/// The admin token, where the sandbox has one.
async fn admit(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response<Body> {
    match admin::refuse(&shared, &request) {
        None => next.run(request).await,
        Some(response) => response,
    }
}

/// Everything no other route takes: a vector, an unknown admin route, or
/// the API.
async fn fallback(State(shared): State<Arc<Shared>>, request: Request) -> Response<Body> {
    let path = request.uri().path();
    if path.starts_with("/__vectors/") {
        return vectors::serve(&shared, request).await;
    }
    if path.starts_with("/__sandbox") {
        return respond::error(
            StatusCode::NOT_FOUND,
            format!(
                "no admin route {path}: see /__sandbox/health, /__sandbox/state, /__sandbox/requests, /__sandbox/faults"
            ),
        );
    }
    api::handle(shared, request).await
}

async fn method_not_allowed(request: Request) -> Response<Body> {
    respond::error(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "method {} is not allowed on {}",
            request.method(),
            request.uri().path()
        ),
    )
}
