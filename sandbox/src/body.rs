//! Reading a request body: at most a limit, within a time. The bottom
//! layer: it imports no handler.

use std::time::Duration;

use axum::body::{Body, Bytes};
use bytes::BytesMut;
use http_body_util::BodyExt;

/// The largest body the API takes.
pub const MAX_BODY: usize = 1024 * 1024;
/// How long a body may take to arrive.
pub(crate) const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// How much of a too-large body is read and dropped.
const DRAIN_MAX: usize = 16 * 1024 * 1024;

/// A request body that passed its checks: the bytes and the JSON value.
pub(crate) struct JsonBody {
    pub bytes: Bytes,
    pub value: serde_json::Value,
}

/// Why a body could not be read.
#[derive(Debug)]
pub(crate) enum BodyError {
    TooLarge,
    TimedOut,
    Broken(String),
}

/// Reads a body of at most `limit` bytes within [`BODY_TIMEOUT`]. A longer
/// body is read on and dropped (up to [`DRAIN_MAX`] bytes) so that the client
/// reads the 413 rather than a reset connection.
pub(crate) async fn read(body: Body, limit: usize) -> Result<Bytes, BodyError> {
    match tokio::time::timeout(BODY_TIMEOUT, read_frames(body, limit)).await {
        Err(_) => Err(BodyError::TimedOut),
        Ok(result) => result,
    }
}

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
