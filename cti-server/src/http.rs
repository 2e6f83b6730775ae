//! The main listener's routes.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, RawQuery, Request, State, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::serve::IncomingStream;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::AppError;
use crate::state::AppState;
use crate::{assets, security, ws};

/// The client's address, from the TCP or TLS listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub SocketAddr);

impl Connected<IncomingStream<'_, tokio::net::TcpListener>> for ClientAddr {
    fn connect_info(stream: IncomingStream<'_, tokio::net::TcpListener>) -> Self {
        Self(*stream.remote_addr())
    }
}

impl Connected<IncomingStream<'_, crate::tls::TlsListener>> for ClientAddr {
    fn connect_info(stream: IncomingStream<'_, crate::tls::TlsListener>) -> Self {
        Self(*stream.remote_addr())
    }
}

/// The main listener's router: the softphone page, the Salesforce Voice connector page
/// (`/scv/`), `/ws`, `/healthz`, `/readyz`, and
/// `/metrics` unless `metrics.listen` gives it a listener of its own ([`metrics_app`]).
///
/// Every response carries the Content-Security-Policy (framing allowed only by this origin and
/// the allowed ones), and, when the public URL is `https://`, Strict-Transport-Security; a
/// request with more than one `Origin` header is refused (400). Serve it with
/// `into_make_service_with_connect_info::<ClientAddr>()`.
pub fn app(state: AppState) -> Router {
    let csp = state.inner.csp.clone();
    let own_metrics = state.sessions().config.metrics.listen.is_none();
    let mut router = Router::new()
        .route("/", get(to_softphone))
        .route("/softphone", get(to_softphone))
        .route("/softphone/", get(softphone_index))
        .route("/softphone/i18n/languages.json", get(languages))
        .route("/softphone/{*path}", assets::folder("softphone"))
        .route("/scv", get(|| async { Redirect::to("/scv/") }))
        .route("/scv/", get(scv_index))
        .route("/scv/{*path}", assets::folder("scv"))
        .route("/ws", get(ws_upgrade))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz));
    if own_metrics {
        router = router.route("/metrics", get(metrics));
    }
    let router = router
        .fallback(|| async { AppError::NotFound })
        .layer(middleware::from_fn_with_state(state.clone(), one_origin))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            csp,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ));
    // Browsers take HSTS only over HTTPS, so it is sent whenever the public URL is HTTPS:
    // the server's own TLS, or a TLS proxy in front of it.
    let router = if state.public_url().starts_with("https://") {
        router.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        ))
    } else {
        router
    };
    router.with_state(state)
}

/// The metrics listener's router (`metrics.listen`): `/metrics`, `/healthz` and `/readyz`.
pub fn metrics_app(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .fallback(|| async { AppError::NotFound })
        .with_state(state)
}

/// Refuses a request with more than one `Origin` header, whatever it asks (a page, the
/// WebSocket): which of them a check reads is not the sender's to choose.
async fn one_origin(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if security::several_origins(request.headers()) {
        state.metrics().refused("severalOrigins");
        tracing::warn!(
            path = request.uri().path(),
            "request refused: more than one Origin header"
        );
        return AppError::BadRequest("more than one Origin header".into()).into_response();
    }
    next.run(request).await
}

/// `/` and `/softphone` to the softphone, the query kept (Salesforce's adapter URL may carry one).
async fn to_softphone(RawQuery(query): RawQuery) -> Redirect {
    match query {
        Some(q) => Redirect::to(&format!("/softphone/?{q}")),
        None => Redirect::to("/softphone/"),
    }
}

async fn softphone_index() -> Result<Response, AppError> {
    assets::serve("softphone", "")
}

/// The Salesforce Voice connector page (the contact center's adapter URL under Voice).
async fn scv_index() -> Result<Response, AppError> {
    assets::serve("scv", "")
}

/// The languages there is a catalog for, each with its own name (the page's language button).
async fn languages() -> axum::Json<serde_json::Value> {
    let list: Vec<serde_json::Value> = crate::i18n::languages()
        .into_iter()
        .map(|code| {
            let name = crate::i18n::catalog(&code)
                .and_then(|c| c.get("language.name").cloned())
                .unwrap_or_else(|| code.clone());
            serde_json::json!({ "code": code, "name": name })
        })
        .collect();
    axum::Json(serde_json::Value::Array(list))
}

/// The metrics, to the allowed clients only when `metrics.allowed_clients` names some.
async fn metrics(
    State(state): State<AppState>,
    ConnectInfo(ClientAddr(peer)): ConnectInfo<ClientAddr>,
    headers: HeaderMap,
) -> Response {
    let config = &state.sessions().config;
    let allowed = &config.metrics.allowed_clients;
    let client = security::client_address(peer.ip(), &headers, &config.trusted_proxies);
    if !allowed.is_empty() && !allowed.iter().any(|n| n.contains(&client.to_canonical())) {
        state.metrics().refused("metricsClient");
        tracing::warn!(%client, "metrics refused: client not allowed");
        return AppError::Forbidden("this address may not read the metrics").into_response();
    }
    // What `/readyz` says of the store, as of this scrape (an alert fires on it).
    let store_ready = state.sessions().store_ready();
    state.metrics().store_ready.set(i64::from(store_ready));
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics().render(),
    )
        .into_response()
}

/// Ready when this instance can serve: it is not stopping, the session store renewed its
/// leases within the lease (a load balancer stops sending pages to an instance cut off from
/// the database), and NeoApi answers its service description (`?WSDL`: a plain HTTP check that
/// names no user and changes nothing).
async fn readyz(State(state): State<AppState>) -> Result<&'static str, AppError> {
    if state.sessions().shutdown.is_cancelled() {
        return Err(AppError::Unavailable("shutting down".into()));
    }
    if !state.sessions().store_ready() {
        return Err(AppError::Unavailable(
            "the session store has not renewed this instance's leases".into(),
        ));
    }
    let url = format!("{}?WSDL", state.sessions().neoapi.endpoint());
    let response = state
        .inner
        .probe
        .get(&url)
        .send()
        .await
        .map_err(|e| AppError::Unavailable(format!("NeoApi unreachable: {e}")))?;
    if response.status().is_success() {
        Ok("ready")
    } else {
        Err(AppError::Unavailable(format!(
            "NeoApi answered {}",
            response.status()
        )))
    }
}

/// The WebSocket read buffer, and how much is written out at once: an agent's messages are
/// a few hundred bytes, and every idle tab holds the read buffer.
const WS_BUFFER: usize = 4 * 1024;

async fn ws_upgrade(
    State(state): State<AppState>,
    ConnectInfo(ClientAddr(peer)): ConnectInfo<ClientAddr>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Result<Response, AppError> {
    let proxies = &state.sessions().config.trusted_proxies;
    let client = security::client_address(peer.ip(), &headers, proxies);
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    if !state.inner.origins.accepts(origin) {
        tracing::warn!(?origin, %client, "WebSocket refused: origin not allowed");
        return Err(AppError::Forbidden("origin not allowed"));
    }
    let sessions = state.sessions();
    if sessions.shutdown.is_cancelled() {
        return Err(AppError::Unavailable("shutting down".into()));
    }
    // tungstenite's own limit sits above ours, so a message a little too big gets a typed
    // error and only a huge one drops the connection.
    let limit = sessions.config.max_message_bytes.saturating_mul(4);
    let tracker = sessions.tracker.clone();
    // An agent's messages are a few KiB: tungstenite's 128 KiB read buffer per connection
    // would be most of an idle agent's memory (thousands of tabs on one server).
    Ok(upgrade
        .read_buffer_size(WS_BUFFER)
        .write_buffer_size(WS_BUFFER)
        .max_message_size(limit)
        .max_frame_size(limit)
        .on_upgrade(move |socket| {
            tracker.track_future(async move {
                use futures::StreamExt as _;
                let (sink, stream) = socket.split();
                ws::run(state, client, sink, stream).await;
            })
        }))
}
