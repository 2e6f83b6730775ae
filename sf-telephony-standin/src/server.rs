//! The HTTP layer: routes, the control API, and carrying out what `script` decided (answer,
//! hold the answer, or drop the connection).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use tokio::sync::oneshot;

use crate::script::{ApiRequest, Delivery, FaultPlan, Op, Reply, Settings, Snapshot, StandIn};

/// The stand-in shared between requests (and with a test in the same process).
#[derive(Debug, Clone)]
pub struct Shared(Arc<Mutex<StandIn>>);

impl Shared {
    /// Shares `stand_in`.
    pub fn new(stand_in: StandIn) -> Self {
        Self(Arc::new(Mutex::new(stand_in)))
    }

    /// Locks the stand-in (to read a [`Snapshot`] or set faults in-process).
    pub fn lock(&self) -> MutexGuard<'_, StandIn> {
        // A panic while holding the lock leaves plain data behind: keep serving it.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The routes: the API under `/telephony/v1`, the control API under `/_standin`.
pub fn app(shared: Shared) -> Router {
    Router::new()
        .route("/telephony/v1/voiceCalls", post(create))
        .route("/telephony/v1/voiceCalls/{id}", patch(update))
        .route(
            "/telephony/v1/voiceCalls/{id}/clearRouting",
            patch(clear_routing),
        )
        .route("/_standin/calls", get(calls))
        .route(
            "/_standin/faults",
            get(faults).post(set_faults).delete(clear_faults),
        )
        .route("/_standin/settings", get(settings).post(set_settings))
        .route("/_standin/reset", post(reset))
        .fallback(|| async {
            reply(&Reply {
                status: 404,
                body: serde_json::json!({"errorCode": "NOT_FOUND", "message": "no such endpoint"}),
            })
        })
        .with_state(shared)
}

async fn create(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    api(&s, Op::Create, &headers, &body).await
}

async fn update(
    State(s): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    api(&s, Op::Update(id), &headers, &body).await
}

async fn clear_routing(
    State(s): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    api(&s, Op::ClearRouting(id), &headers, &body).await
}

async fn api(s: &Shared, op: Op, headers: &HeaderMap, body: &[u8]) -> Response {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let request = ApiRequest {
        op,
        authorization: text(header::AUTHORIZATION.as_str()),
        content_type: text(header::CONTENT_TYPE.as_str()),
        provider: text("telephony-provider-name"),
        body,
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    let delivery = s.lock().handle(&request, now);
    tracing::debug!(op = ?request.op, ?delivery, "stand-in: API request");
    match delivery {
        Delivery::Answer(answer) => reply(&answer),
        Delivery::AnswerAfter(hold, answer) => {
            tokio::time::sleep(hold).await;
            reply(&answer)
        }
        Delivery::Drop => dropped(),
    }
}

fn reply(answer: &Reply) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(&answer.body)).into_response()
}

/// A response whose body fails at once: hyper aborts the connection before the head is
/// flushed, so the client sees the connection closed without an answer.
fn dropped() -> Response {
    let failing = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "dropped by the stand-in",
        ))
    });
    Response::builder()
        .status(StatusCode::OK)
        .body(Body::from_stream(failing))
        .expect("a status and a body make a valid response")
}

async fn calls(State(s): State<Shared>) -> Json<Snapshot> {
    Json(s.lock().snapshot())
}

async fn faults(State(s): State<Shared>) -> Json<FaultPlan> {
    Json(s.lock().faults().clone())
}

async fn set_faults(State(s): State<Shared>, Json(plan): Json<FaultPlan>) -> Json<FaultPlan> {
    tracing::info!(?plan, "stand-in: fault plan set");
    s.lock().set_faults(plan.clone());
    Json(plan)
}

async fn clear_faults(State(s): State<Shared>) -> StatusCode {
    s.lock().set_faults(FaultPlan::default());
    StatusCode::NO_CONTENT
}

async fn settings(State(s): State<Shared>) -> Json<Settings> {
    Json(s.lock().settings().clone())
}

async fn set_settings(State(s): State<Shared>, Json(settings): Json<Settings>) -> Json<Settings> {
    s.lock().set_settings(settings.clone());
    Json(settings)
}

async fn reset(State(s): State<Shared>) -> StatusCode {
    s.lock().reset();
    StatusCode::NO_CONTENT
}

/// The stand-in listening on a socket, for tests and the demo.
#[derive(Debug)]
pub struct StandInServer {
    addr: SocketAddr,
    shared: Shared,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl StandInServer {
    /// Binds `addr` (`127.0.0.1:0` in tests), serves `stand_in`, returns at once.
    pub async fn start(addr: SocketAddr, stand_in: StandIn) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Shared::new(stand_in);
        let router = app(shared.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, router).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(e) = served.await {
                tracing::error!(error = %e, "the Telephony API stand-in failed");
            }
        });
        tracing::info!(%addr, "Telephony API stand-in listening");
        Ok(Self {
            addr,
            shared,
            stop: Some(stop),
            task,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`: the base URL a client is configured with (the API is under
    /// `/telephony/v1`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The running stand-in (to read a [`Snapshot`] or set faults in-process).
    pub fn shared(&self) -> &Shared {
        &self.shared
    }

    /// Stops serving and waits for the server task (a held answer is not waited for).
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Graceful shutdown waits for open connections; a held answer must not hold it.
        let _ = tokio::time::timeout(Duration::from_secs(2), &mut self.task).await;
        self.task.abort();
    }
}
