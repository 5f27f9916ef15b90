//! The server: shared state, the accept loop (hyper directly, so that a
//! fault can reset a connection), and the routes.

use std::{
    convert::Infallible,
    io,
    pin::Pin,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex, MutexGuard, PoisonError, RwLock,
    },
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    body::Body,
    http::{header, HeaderValue, Request, Response, StatusCode},
    routing::get,
    Router,
};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{json, Value};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::oneshot,
    task::JoinSet,
};
use tower::ServiceExt;

use crate::{
    admin, api,
    faults::{self, Faults},
    journal::{Journal, Record},
    spec::{Spec, Violation},
    store::State,
    vectors::Vectors,
};

/// Everything the handlers share.
pub(crate) struct Shared {
    pub spec: &'static Spec,
    /// Accepted tokens; empty: any non-empty token.
    pub tokens: Vec<String>,
    pub seed: u64,
    pub faults: RwLock<Arc<Faults>>,
    pub state: Mutex<State>,
    pub journal: Mutex<Journal>,
    pub vectors: Vectors,
    requests: AtomicU64,
    api_requests: AtomicU64,
}

/// Locks a mutex, recovering from a poisoned one (no handler panics while
/// holding a lock, but a stand-in server must not stop over it).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    pub fn new(
        spec: &'static Spec,
        tokens: Vec<String>,
        seed: u64,
        faults: Faults,
        state: State,
        journal_capacity: usize,
        vectors: Vectors,
    ) -> Shared {
        Shared {
            spec,
            tokens,
            seed,
            faults: RwLock::new(Arc::new(faults)),
            state: Mutex::new(state),
            journal: Mutex::new(Journal::new(journal_capacity)),
            vectors,
            requests: AtomicU64::new(0),
            api_requests: AtomicU64::new(0),
        }
    }

    /// The next `x-request-id`: reproducible for a given `--seed` and order
    /// of arrival.
    fn next_request_id(&self) -> String {
        let n = self.requests.fetch_add(1, Ordering::Relaxed);
        format!("sbx-{:016x}", faults::mix(self.seed, n.wrapping_mul(2)))
    }

    /// The next API request's fault draw, in `[0, 1)`.
    pub fn next_fault_draw(&self) -> f64 {
        let n = self.api_requests.fetch_add(1, Ordering::Relaxed);
        faults::unit(self.seed, n.wrapping_mul(2).wrapping_add(1))
    }

    pub fn faults(&self) -> Arc<Faults> {
        Arc::clone(&self.faults.read().unwrap_or_else(PoisonError::into_inner))
    }

    pub fn set_faults(&self, faults: Faults) {
        *self.faults.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(faults);
    }

    /// Adds a finished record to the journal.
    pub fn finish(&self, mut record: Record) {
        // Microsecond precision: enough, and readable.
        record.duration_ms = (record.started.elapsed().as_secs_f64() * 1e6).round() / 1000.0;
        lock(&self.journal).push(record);
    }
}

/// The `x-request-id` of the request being handled.
#[derive(Clone, Debug)]
pub(crate) struct RequestId(pub String);

/// Marks a response that must not be sent: the connection is reset instead.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ResetConnection;

/// A response that resets the connection.
pub(crate) fn reset() -> Response<Body> {
    let mut response = Response::new(Body::empty());
    response.extensions_mut().insert(ResetConnection);
    response
}

/// The spec's error body, `{"message": ...}`, with more fields if given.
pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Response<Body> {
    error_with(status, message, json!({}))
}

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

/// Violations as the spec's error body: the message lists them all, and
/// `errors` has each with its pointer.
pub(crate) fn violations(status: StatusCode, what: &str, list: &[Violation]) -> Response<Body> {
    let message = format!(
        "{what}: {}",
        list.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    );
    error_with(status, message, json!({ "errors": list }))
}

pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response<Body> {
    json_text(status, body.to_string())
}

/// A JSON text already serialized.
pub(crate) fn json_text(status: StatusCode, body: String) -> Response<Body> {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The routes: admin under `/__sandbox/`, vectors under `/__vectors/`,
/// everything else goes to the API handler.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/__sandbox/health", get(admin::health))
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
        .route(
            "/__vectors",
            get(crate::vectors::list).delete(crate::vectors::reset_all),
        )
        .route("/__vectors/", get(crate::vectors::list))
        .route(
            "/__vectors/{id}",
            axum::routing::delete(crate::vectors::reset),
        )
        .route("/__vectors/{id}/verdict", get(crate::vectors::verdict))
        .fallback(api::fallback)
        .method_not_allowed_fallback(admin::method_not_allowed)
        .with_state(shared)
}

/// Serves `listener` until `shutdown` fires; dropping the future ends every
/// connection.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: oneshot::Receiver<()>,
) {
    let app = router(Arc::clone(&shared));
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(_) => {
                        // Out of descriptors or similar: wait, do not spin.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let reset_flag = Arc::new(AtomicBool::new(false));
                let io = TokioIo::new(Connection { stream, reset: Arc::clone(&reset_flag) });
                let app = app.clone();
                let shared = Arc::clone(&shared);
                let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
                    let app = app.clone();
                    let shared = Arc::clone(&shared);
                    let reset_flag = Arc::clone(&reset_flag);
                    async move {
                        let id = shared.next_request_id();
                        request.extensions_mut().insert(RequestId(id.clone()));
                        let mut response = app
                            .oneshot(request)
                            .await
                            .unwrap_or_else(|never: Infallible| match never {});
                        if response.extensions().get::<ResetConnection>().is_some() {
                            reset_flag.store(true, Ordering::SeqCst);
                            return Err(io::Error::new(io::ErrorKind::ConnectionReset, "fault: reset"));
                        }
                        // A vector's scripted x-request-id is kept.
                        if !response.headers().contains_key("x-request-id") {
                            if let Ok(value) = HeaderValue::from_str(&id) {
                                response.headers_mut().insert("x-request-id", value);
                            }
                        }
                        Ok(response)
                    }
                });
                connections.spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(Duration::from_secs(10))
                        .serve_connection(io, service)
                        .await;
                });
            }
        }
    }
}

/// A TCP connection that, when a fault asked for it, closes with a reset
/// (SO_LINGER 0) instead of a clean end.
struct Connection {
    stream: TcpStream,
    reset: Arc<AtomicBool>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        if self.reset.load(Ordering::SeqCst) {
            let _ = self.stream.set_zero_linger();
        }
    }
}

impl AsyncRead for Connection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}
