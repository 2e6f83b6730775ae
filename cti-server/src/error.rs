//! The errors: [`AppError`], the one HTTP error type (each variant maps to a status; internal
//! details are logged here and never sent to the client), and [`ServeError`], why the server
//! (or its demo) could not start.

use std::net::SocketAddr;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::tls;

/// Every error an HTTP handler can answer with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No such page or file.
    #[error("not found")]
    NotFound,
    /// The request's origin is not allowed (WebSocket upgrades from a foreign page).
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// The request itself is malformed.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A dependency (NeoApi, the simulator) cannot be reached.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Something failed inside the server.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// The status this error answers with.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = match &self {
            Self::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                "internal error".to_owned()
            }
            Self::Unavailable(detail) => {
                tracing::warn!(%detail, "dependency unavailable");
                self.to_string()
            }
            other => {
                tracing::debug!(error = %other, "request refused");
                other.to_string()
            }
        };
        (status, body).into_response()
    }
}

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A listener could not be bound.
    #[error("cannot listen on {addr} ({key}): {source}")]
    Bind {
        /// The configuration key of the listener.
        key: &'static str,
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// TLS could not be set up.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// The NeoApi client could not be built.
    #[error("NeoApi client: {0}")]
    NeoApi(String),
    /// The demo (simulator or stand-in) could not start.
    #[error("demo: {0}")]
    Demo(String),
    /// The call center options fallback is invalid.
    #[error("invalid call center options:\n{}", .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    CallCenter(Vec<String>),
    /// A listener failed while serving.
    #[error("serving: {0}")]
    Io(#[from] std::io::Error),
    /// The session store cannot be opened or read.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// VoiceCall records cannot be written as configured (`[voice]`).
    #[error(transparent)]
    Telephony(#[from] crate::telephony::TelephonyError),
}

impl ServeError {
    /// Binds the listener of configuration key `key` on `addr`; a failure names both.
    pub(crate) async fn listen(
        key: &'static str,
        addr: SocketAddr,
    ) -> Result<tokio::net::TcpListener, Self> {
        tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| Self::Bind { key, addr, source })
    }
}
