//! The accept loop: hyper directly (so that a fault can reset a
//! connection), each request given its `x-request-id` and handed to the
//! router. The top layer: nothing imports it but the crate root.

use std::{
    convert::Infallible,
    io,
    pin::Pin,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    task::{Context, Poll},
    time::Duration,
};

use axum::http::{HeaderValue, Request};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::oneshot,
    task::JoinSet,
};
use tower::ServiceExt;

use crate::{
    router,
    shared::{RequestId, ResetConnection, Shared},
};

/// Serves `listener` until `shutdown` fires; dropping the future ends every
/// connection.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: oneshot::Receiver<()>,
) {
    let app = router::router(Arc::clone(&shared));
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
