//! Serving one listener: every connection admitted by the caps or refused with a 503 and a
//! text, HTTP/1.1 by hyper with its header-read timeout (an idle keep-alive connection
//! included), each request's body and answer timed out by tower-http, and a graceful close on
//! shutdown. A WebSocket keeps its connection's slot until it closes.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use axum::serve::Listener;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt as _;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};

use crate::http::ClientAddr;
use crate::security::{Admission, ConnectionLimits, Refusal, Slot};
use crate::state::AppState;

/// The largest request head (request line and headers) read, in bytes; a bigger one is
/// answered 431. hyper's default (about 400 KiB) times the connection cap would let a few
/// addresses hold gigabytes in half-read headers; a browser's request to this server is about
/// 1 KiB, a proxy's additions included.
const MAX_REQUEST_HEAD: usize = 16 * 1024;

/// How long a refused connection may take to send its request before it is closed unanswered:
/// a browser sends it at once, and an idle crowd must not keep the few refusals answered at a
/// time (`MAX_REFUSING`) busy.
const REFUSAL_READ_TIMEOUT: Duration = Duration::from_secs(1);

/// What every connection of a listener is held to.
pub(crate) struct Gate {
    /// The caps on open connections.
    pub(crate) limits: Arc<ConnectionLimits>,
    /// A request's headers must arrive within this.
    pub(crate) header_read_timeout: Duration,
    /// A request's body must arrive, and its answer be ready, within this.
    pub(crate) body_timeout: Duration,
    /// Where refusals are counted.
    pub(crate) state: AppState,
}

/// Serves `router` on `listener` until `cancel`, then waits for its HTTP connections (upgraded
/// WebSockets are the sessions' to close).
/// A bound listener, plain or TLS.
pub(crate) enum Bound {
    /// HTTP.
    Plain(tokio::net::TcpListener),
    /// HTTPS.
    Tls(crate::tls::TlsListener),
}

impl Bound {
    /// [`serve`]s it in a task of its own.
    pub(crate) fn spawn(
        self,
        router: Router,
        gate: Gate,
        cancel: CancellationToken,
    ) -> tokio::task::JoinHandle<io::Result<()>> {
        match self {
            Self::Plain(l) => tokio::spawn(serve(l, router, gate, cancel)),
            Self::Tls(l) => tokio::spawn(serve(l, router, gate, cancel)),
        }
    }
}

pub(crate) async fn serve<L>(
    mut listener: L,
    router: Router,
    gate: Gate,
    cancel: CancellationToken,
) -> io::Result<()>
where
    L: Listener<Addr = SocketAddr>,
{
    let connections = TaskTracker::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(gate.header_read_timeout)
        .max_buf_size(MAX_REQUEST_HEAD);
    let mut refusing = http.clone();
    refusing
        .keep_alive(false)
        .header_read_timeout(REFUSAL_READ_TIMEOUT);
    let service = tower::ServiceBuilder::new()
        .layer(RequestBodyTimeoutLayer::new(gate.body_timeout))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            gate.body_timeout,
        ))
        .service(router);
    loop {
        let (io, peer) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = cancel.cancelled() => break,
        };
        match gate.limits.admit(peer.ip()) {
            Admission::Admitted(slot) => {
                let service = service.clone();
                let service = service_fn(move |mut request: Request<Incoming>| {
                    request
                        .extensions_mut()
                        .insert(ConnectInfo(ClientAddr(peer)));
                    service.clone().oneshot(request)
                });
                let io = TokioIo::new(Held { io, _slot: slot });
                let connection = http.serve_connection(io, service).with_upgrades();
                let cancel = cancel.clone();
                connections.spawn(async move {
                    tokio::pin!(connection);
                    let result = tokio::select! {
                        result = connection.as_mut() => result,
                        () = cancel.cancelled() => {
                            connection.as_mut().graceful_shutdown();
                            connection.await
                        }
                    };
                    if let Err(e) = result {
                        tracing::debug!(%peer, error = %e, "connection ended");
                    }
                });
            }
            Admission::Refused(why, slot) => {
                gate.state.metrics().refused(why.kind());
                tracing::warn!(%peer, refused = why.kind(), "connection refused");
                let service = service_fn(move |_: Request<Incoming>| async move {
                    Ok::<_, Infallible>(refusal(why))
                });
                let connection = refusing.serve_connection(TokioIo::new(io), service);
                let cancel = cancel.clone();
                connections.spawn(async move {
                    let _slot = slot;
                    tokio::select! {
                        _ = connection => {}
                        () = cancel.cancelled() => {}
                    }
                });
            }
            Admission::Dropped => {
                gate.state.metrics().refused("dropped");
                tracing::debug!(%peer, "connection dropped: too many refusals at once");
            }
        }
    }
    drop(listener);
    connections.close();
    connections.wait().await;
    Ok(())
}

/// 503 with the refusal's text; the connection closes after it.
fn refusal(why: Refusal) -> Response<String> {
    let mut response = Response::new(why.text().to_owned());
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    response
}

/// A connection's stream holding its slot: dropped with the stream, which an upgraded
/// WebSocket keeps, so a WebSocket counts as long as it is open.
struct Held<T> {
    io: T,
    _slot: Slot,
}

impl<T: AsyncRead + Unpin> AsyncRead for Held<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Held<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}
