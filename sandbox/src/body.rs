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

#[cfg(test)]
mod tests {
    use std::sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    };

    use super::*;

    /// A body of `frames` frames of `size` bytes (endless when `None`),
    /// counting the frames read.
    struct Frames {
        chunk: Bytes,
        left: Option<usize>,
        read: Arc<AtomicUsize>,
    }

    impl hyper::body::Body for Frames {
        type Data = Bytes;
        type Error = std::io::Error;

        fn poll_frame(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, std::io::Error>>> {
            if let Some(left) = self.left.as_mut() {
                if *left == 0 {
                    return std::task::Poll::Ready(None);
                }
                *left -= 1;
            }
            self.read.fetch_add(1, Ordering::SeqCst);
            std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(self.chunk.clone()))))
        }
    }

    fn counted(size: usize, frames: Option<usize>, read: Arc<AtomicUsize>) -> Body {
        Body::new(Frames {
            chunk: Bytes::from(vec![b'x'; size]),
            left: frames,
            read,
        })
    }

    #[tokio::test]
    async fn a_body_of_exactly_the_limit_is_whole_and_one_more_byte_is_too_large() {
        let read = Arc::new(AtomicUsize::new(0));
        let body = read_frames(counted(1024, Some(4), Arc::clone(&read)), 4096).await;
        assert_eq!(body.unwrap().len(), 4096);
        let body = Body::from(vec![b'x'; 4097]);
        assert!(matches!(
            read_frames(body, 4096).await,
            Err(BodyError::TooLarge)
        ));
    }

    #[tokio::test]
    async fn a_longer_body_is_read_on_to_its_end_then_refused() {
        // 2 MiB for a limit of 1 MiB: every frame is read, so the client
        // gets to read the 413.
        let read = Arc::new(AtomicUsize::new(0));
        let body = read_frames(counted(64 * 1024, Some(32), Arc::clone(&read)), MAX_BODY).await;
        assert!(matches!(body, Err(BodyError::TooLarge)));
        assert_eq!(read.load(Ordering::SeqCst), 32);
    }

    #[tokio::test]
    async fn an_endless_body_stops_being_read_past_the_drain_limit() {
        let read = Arc::new(AtomicUsize::new(0));
        let body = read_frames(counted(1024 * 1024, None, Arc::clone(&read)), MAX_BODY).await;
        assert!(matches!(body, Err(BodyError::TooLarge)));
        assert_eq!(read.load(Ordering::SeqCst), DRAIN_MAX / (1024 * 1024) + 1);
    }
}
