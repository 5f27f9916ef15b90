//! Vector mode (to come): scripted answers per conformance vector.

use std::sync::Arc;

use axum::{
    body::Body,
    extract::{Path, Request, State},
    http::{Response, StatusCode},
};

use crate::server::{self, Shared};

/// The loaded vectors.
#[derive(Debug, Default)]
pub(crate) struct Vectors;

pub(crate) async fn list(State(_shared): State<Arc<Shared>>) -> Response<Body> {
    server::json_response(StatusCode::OK, &serde_json::json!({ "vectors": [] }))
}

pub(crate) async fn reset(Path(id): Path<String>) -> Response<Body> {
    server::error(StatusCode::NOT_FOUND, format!("no vector {id:?}"))
}

pub(crate) async fn verdict(Path(id): Path<String>) -> Response<Body> {
    server::error(StatusCode::NOT_FOUND, format!("no vector {id:?}"))
}

pub(crate) async fn serve(_shared: &Shared, request: Request) -> Response<Body> {
    server::error(
        StatusCode::NOT_FOUND,
        format!("no vector at {}", request.uri().path()),
    )
}
