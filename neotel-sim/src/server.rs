//! The HTTP server around the engine: NeoApi in its three bindings on
//! `…/webservice.asmx[/{Method}]`, the `?WSDL`, and the JSON control API under `/sim/`.
//! It reads the clock in one place ([`SimState::now`]).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::platform::{Binding, DeliverRequest, InboundRequest, Platform};
use crate::scenario::Scenario;
use crate::wire;

/// Faults injected into one method (or `*`) through `/sim/faults`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultRule {
    /// Method name, case-insensitive, or `*` for all.
    pub method: String,
    /// Added before answering.
    pub latency_ms: u64,
    /// Share of calls answered with HTTP 500 (0.0–1.0).
    pub error_rate: f64,
    /// Share of calls whose connection is dropped without an answer, before the call is
    /// applied (0.0–1.0).
    pub drop_rate: f64,
    /// Share of calls applied whose answer is then lost (the connection is dropped after the
    /// write): the ambiguous case a client must not repeat blindly (0.0–1.0).
    pub lose_answer_rate: f64,
    /// The next N calls fail with HTTP 500 whatever the rates say.
    pub fail_next: u32,
    /// The next N calls are applied and their answers lost, whatever the rates say.
    pub lose_next: u32,
    /// The exception message of injected errors.
    pub message: Option<String>,
    /// Seed of the rule's own pseudo-random sequence: the same rule over the same calls
    /// fails the same ones (default: a fixed seed).
    pub seed: Option<u64>,
}

/// A fault rule with the state of its pseudo-random sequence.
#[derive(Debug, Clone)]
struct ActiveRule {
    rule: FaultRule,
    rng: u64,
}

impl ActiveRule {
    fn new(rule: FaultRule) -> Self {
        // xorshift must not start at 0
        let rng = rule.seed.unwrap_or(0x9E37_79B9_7F4A_7C15).max(1);
        Self { rule, rng }
    }

    /// The next draw in `[0, 1)` (xorshift64*: enough to spread injected faults).
    fn next_random(&mut self) -> f64 {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        (self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Debug, Clone, Copy)]
enum Clock {
    Real,
    /// Manual time: moves only through `/sim/clock`.
    Manual(NaiveDateTime),
}

/// Shared state of a running simulator.
#[derive(Debug)]
pub struct SimState {
    platform: Platform,
    clock: Clock,
    /// Injected faults by lower-case method name (or `*`).
    faults: BTreeMap<String, ActiveRule>,
}

/// The one clock read of the simulator: the Neotel server's local time, in the scenario's
/// time zone when it names one, else the machine's.
fn wall_clock(scenario: &Scenario) -> NaiveDateTime {
    match scenario.time_zone() {
        Some(zone) => chrono::Utc::now().with_timezone(&zone).naive_local(),
        None => chrono::Local::now().naive_local(),
    }
}

impl SimState {
    /// The simulator's time: the wall clock, or the manual one.
    fn now(&self) -> NaiveDateTime {
        match self.clock {
            Clock::Real => wall_clock(self.platform.scenario()),
            Clock::Manual(at) => at,
        }
    }
}

/// Cheap handle to the simulator's state, for the router and for embedding.
#[derive(Debug, Clone)]
pub struct Shared(Arc<Mutex<SimState>>);

impl Shared {
    /// A simulator on this scenario, on the real clock.
    pub fn new(scenario: Scenario) -> Self {
        let now = wall_clock(&scenario);
        Self(Arc::new(Mutex::new(SimState {
            platform: Platform::new(scenario, now),
            clock: Clock::Real,
            faults: BTreeMap::new(),
        })))
    }

    fn lock(&self) -> MutexGuard<'_, SimState> {
        // A panic while holding the lock is a bug; the state is still usable for inspection.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the engine at the current simulator time.
    pub fn with_platform<T>(&self, f: impl FnOnce(&mut Platform, NaiveDateTime) -> T) -> T {
        let mut state = self.lock();
        let now = state.now();
        f(&mut state.platform, now)
    }
}

/// The largest scenario `POST /sim/scenario` takes.
pub const SCENARIO_MAX_BYTES: usize = 64 << 20;

/// The router: NeoApi and the `/sim/` control API.
pub fn app(state: Shared) -> Router {
    Router::new()
        // A scenario is a whole install (a load test's holds thousands of agents and contacts).
        .route(
            "/sim/scenario",
            post(load_scenario).layer(axum::extract::DefaultBodyLimit::max(SCENARIO_MAX_BYTES)),
        )
        .route("/sim/dialer/deliver", post(deliver))
        .route("/sim/inbound", post(inbound))
        .route("/sim/calls/{id}/answer", post(customer_answer))
        .route("/sim/calls/{id}/hangup", post(customer_hangup))
        .route("/sim/agents/{user}/answer", post(agent_answer))
        .route("/sim/agents/{user}", get(agent))
        .route("/sim/clock", post(clock))
        .route(
            "/sim/faults",
            post(add_fault).delete(clear_faults).get(list_faults),
        )
        .route("/sim/journal", get(journal))
        .route("/sim/outcomes", get(outcomes))
        .route("/sim/applied", get(applied))
        .route("/sim/texts", get(texts))
        .fallback(neoapi)
        .with_state(state)
}

type ControlResult = Result<Json<Value>, (StatusCode, Json<Value>)>;

fn bad(status: StatusCode, message: impl std::fmt::Display) -> (StatusCode, Json<Value>) {
    (status, Json(json!({ "error": message.to_string() })))
}

async fn load_scenario(State(s): State<Shared>, body: Bytes) -> ControlResult {
    let text = std::str::from_utf8(&body)
        .map_err(|_| bad(StatusCode::BAD_REQUEST, "the scenario is not UTF-8"))?;
    let scenario =
        Scenario::from_json(text).map_err(|e| bad(StatusCode::UNPROCESSABLE_ENTITY, e))?;
    let mut state = s.lock();
    let now = match state.clock {
        Clock::Real => wall_clock(&scenario),
        Clock::Manual(at) => at,
    };
    state.platform = Platform::new(scenario, now);
    Ok(Json(json!({ "loaded": true })))
}

async fn deliver(State(s): State<Shared>, Json(req): Json<DeliverRequest>) -> ControlResult {
    s.with_platform(|p, now| p.deliver_contact(now, &req))
        .map(|d| Json(json!(d)))
        .map_err(|e| bad(StatusCode::CONFLICT, e))
}

async fn inbound(State(s): State<Shared>, Json(req): Json<InboundRequest>) -> ControlResult {
    s.with_platform(|p, now| p.place_inbound_call(now, &req))
        .map(|d| Json(json!(d)))
        .map_err(|e| bad(StatusCode::CONFLICT, e))
}

async fn customer_answer(State(s): State<Shared>, Path(id): Path<i64>) -> ControlResult {
    s.with_platform(|p, now| p.customer_answer(now, id))
        .map(|()| Json(json!({ "call_id": id, "answered": true })))
        .map_err(|e| bad(StatusCode::CONFLICT, e))
}

async fn customer_hangup(State(s): State<Shared>, Path(id): Path<i64>) -> ControlResult {
    s.with_platform(|p, now| p.customer_hangup(now, id))
        .map(|()| Json(json!({ "call_id": id, "hung_up": true })))
        .map_err(|e| bad(StatusCode::CONFLICT, e))
}

async fn agent_answer(State(s): State<Shared>, Path(user): Path<String>) -> ControlResult {
    s.with_platform(|p, now| p.agent_answer(now, &user))
        .map(|()| Json(json!({ "user": user, "answered": true })))
        .map_err(|e| bad(StatusCode::CONFLICT, e))
}

async fn agent(State(s): State<Shared>, Path(user): Path<String>) -> ControlResult {
    s.with_platform(|p, now| {
        p.advance(now);
        p.agent_json(&user)
    })
    .map(Json)
    .ok_or_else(|| {
        bad(
            StatusCode::NOT_FOUND,
            format!("user {user} is not logged in"),
        )
    })
}

#[derive(Debug, Deserialize)]
struct ClockRequest {
    #[serde(default)]
    advance_ms: Option<u64>,
    #[serde(default)]
    mode: Option<String>,
}

async fn clock(State(s): State<Shared>, Json(req): Json<ClockRequest>) -> ControlResult {
    let mut state = s.lock();
    match req.mode.as_deref() {
        Some("manual") => state.clock = Clock::Manual(state.now()),
        Some("real") => state.clock = Clock::Real,
        Some(other) => {
            return Err(bad(
                StatusCode::BAD_REQUEST,
                format!("clock mode {other} not valid (manual, real)"),
            ));
        }
        None => {}
    }
    if let Some(ms) = req.advance_ms {
        let Clock::Manual(at) = state.clock else {
            return Err(bad(
                StatusCode::CONFLICT,
                "the clock is real: set {\"mode\":\"manual\"} first",
            ));
        };
        let next = at + chrono::Duration::milliseconds(i64::try_from(ms).unwrap_or(i64::MAX / 2));
        state.clock = Clock::Manual(next);
    }
    let now = state.now();
    state.platform.advance(now);
    let mode = if matches!(state.clock, Clock::Real) {
        "real"
    } else {
        "manual"
    };
    Ok(Json(json!({ "mode": mode, "now": now })))
}

async fn add_fault(State(s): State<Shared>, Json(rule): Json<FaultRule>) -> ControlResult {
    if rule.method.is_empty() {
        return Err(bad(
            StatusCode::BAD_REQUEST,
            "a fault rule needs a method (or \"*\")",
        ));
    }
    let share = |r: f64| (0.0..=1.0).contains(&r);
    if !share(rule.error_rate)
        || !share(rule.drop_rate)
        || !share(rule.lose_answer_rate)
        || rule.error_rate + rule.drop_rate + rule.lose_answer_rate > 1.0
    {
        return Err(bad(
            StatusCode::BAD_REQUEST,
            "error_rate and drop_rate are shares between 0 and 1",
        ));
    }
    s.lock().faults.insert(
        rule.method.to_ascii_lowercase(),
        ActiveRule::new(rule.clone()),
    );
    Ok(Json(json!(rule)))
}

async fn clear_faults(State(s): State<Shared>) -> ControlResult {
    s.lock().faults.clear();
    Ok(Json(json!({ "cleared": true })))
}

async fn list_faults(State(s): State<Shared>) -> ControlResult {
    let state = s.lock();
    let rules: Vec<&FaultRule> = state.faults.values().map(|a| &a.rule).collect();
    Ok(Json(json!(rules)))
}

async fn journal(State(s): State<Shared>) -> ControlResult {
    Ok(Json(json!(s.lock().platform.journal())))
}

async fn outcomes(State(s): State<Shared>) -> ControlResult {
    Ok(Json(json!(s.lock().platform.outcomes())))
}

/// Calls applied by method (lower case), e.g. `{"updatecontact": 3, "crm_available": 3}`.
async fn applied(State(s): State<Shared>) -> ControlResult {
    Ok(Json(json!(s.lock().platform.applied_counts())))
}

async fn texts(State(s): State<Shared>) -> ControlResult {
    Ok(Json(json!(s.lock().platform.texts())))
}

/// What an injected fault does to one call.
enum Injected {
    None,
    Error(String),
    Drop,
    /// Applied, then the answer lost.
    Lose,
}

/// A response whose body fails: hyper aborts the connection and the client sees it dropped.
fn dropped() -> Response {
    let stream = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "dropped by neotel-sim",
        ))
    });
    Response::builder()
        .status(StatusCode::OK)
        .body(Body::from_stream(stream))
        .expect("valid response")
}

/// Any path that is not `/sim/`: NeoApi at `…/webservice.asmx[/{Method}]`, case-insensitive,
/// under any prefix (`/neoapi/…`, `/NEOAPI/…`, `/neotel/neoapi/…`).
async fn neoapi(
    State(s): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path();
    let lower = path.to_ascii_lowercase();
    let Some(at) = lower.find("webservice.asmx") else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let tail = &path[at + "webservice.asmx".len()..];
    let op = percent_encoding::percent_decode_str(tail.trim_start_matches('/'))
        .decode_utf8_lossy()
        .into_owned();
    let op = op.as_str();
    let query = uri.query().unwrap_or_default();

    if op.is_empty() && method == Method::GET {
        if query.eq_ignore_ascii_case("wsdl") {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost");
            let location = format!("http://{host}{path}");
            return (
                [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
                crate::wsdl::wsdl(&location),
            )
                .into_response();
        }
        return (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "NeoApi WebService (neotel-sim). Append ?WSDL for the description.\n",
        )
            .into_response();
    }

    let (binding, op, params) = if op.is_empty() && method == Method::POST {
        match wire::parse_soap(&body) {
            Ok(call) => {
                let action = headers
                    .get("soapaction")
                    .and_then(|h| h.to_str().ok())
                    .map(|a| a.trim_matches('"').to_owned());
                if let Some(action) = action
                    && !action.is_empty()
                    && !action
                        .rsplit('/')
                        .next()
                        .is_some_and(|a| a.eq_ignore_ascii_case(&call.method))
                {
                    let f = crate::platform::Fault {
                        message: format!(
                            "Server did not recognize the value of HTTP Header SOAPAction: {action}."
                        ),
                    };
                    return soap_response(StatusCode::INTERNAL_SERVER_ERROR, wire::soap_fault(&f));
                }
                (Binding::Soap, call.method, call.params)
            }
            Err(e) => {
                let f = crate::platform::Fault { message: e.0 };
                return soap_response(StatusCode::BAD_REQUEST, wire::soap_fault(&f));
            }
        }
    } else if method == Method::GET {
        (Binding::Get, op.to_owned(), wire::parse_urlencoded(query))
    } else if method == Method::POST {
        (
            Binding::Post,
            op.to_owned(),
            wire::parse_urlencoded(&String::from_utf8_lossy(&body)),
        )
    } else {
        return (StatusCode::METHOD_NOT_ALLOWED, "GET or POST").into_response();
    };

    let (injected, latency) = {
        let mut state = s.lock();
        let lower = op.to_ascii_lowercase();
        let key = if state.faults.contains_key(&lower) {
            lower
        } else {
            "*".to_owned()
        };
        match state.faults.get_mut(&key) {
            None => (Injected::None, 0),
            Some(active) => {
                let message = active
                    .rule
                    .message
                    .clone()
                    .unwrap_or_else(|| "Simulated failure (neotel-sim)".into());
                let injected = if active.rule.fail_next > 0 {
                    active.rule.fail_next -= 1;
                    Injected::Error(message)
                } else if active.rule.lose_next > 0 {
                    active.rule.lose_next -= 1;
                    Injected::Lose
                } else {
                    let roll = active.next_random();
                    let rule = &active.rule;
                    if roll < rule.drop_rate {
                        Injected::Drop
                    } else if roll < rule.drop_rate + rule.error_rate {
                        Injected::Error(message)
                    } else if roll < rule.drop_rate + rule.error_rate + rule.lose_answer_rate {
                        Injected::Lose
                    } else {
                        Injected::None
                    }
                };
                (injected, active.rule.latency_ms)
            }
        }
    };
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let result = match injected {
        Injected::Drop => {
            tracing::debug!(method = %op, "dropping the connection (injected)");
            s.with_platform(|p, now| {
                p.journal_injected(
                    now,
                    binding,
                    &op,
                    &params,
                    0,
                    "connection dropped (injected)",
                );
            });
            return dropped();
        }
        Injected::Lose => {
            tracing::debug!(method = %op, "applying, then losing the answer (injected)");
            s.with_platform(|p, now| {
                let _ = p.call_via(now, binding, &op, &params);
                p.journal_injected(
                    now,
                    binding,
                    &op,
                    &params,
                    0,
                    "answer lost after the call was applied (injected)",
                );
            });
            return dropped();
        }
        Injected::Error(message) => {
            s.with_platform(|p, now| p.journal_injected(now, binding, &op, &params, 500, &message));
            Err(crate::platform::Fault { message })
        }
        Injected::None => s.with_platform(|p, now| p.call_via(now, binding, &op, &params)),
    };
    tracing::debug!(method = %op, ?binding, ok = result.is_ok(), "neoapi call");
    match (binding, result) {
        (Binding::Soap, Ok(reply)) => soap_response(StatusCode::OK, wire::soap_reply(&op, &reply)),
        (Binding::Soap, Err(f)) => {
            soap_response(StatusCode::INTERNAL_SERVER_ERROR, wire::soap_fault(&f))
        }
        (_, Ok(reply)) => match wire::plain_reply(&reply) {
            None => StatusCode::OK.into_response(),
            Some(body) => {
                ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
            }
        },
        (_, Err(f)) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            wire::plain_fault(&op, &f),
        )
            .into_response(),
    }
}

fn soap_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        body,
    )
        .into_response()
}

/// A simulator listening on a socket, for tests, the demo and integrators.
#[derive(Debug)]
pub struct SimServer {
    addr: SocketAddr,
    state: Shared,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl SimServer {
    /// Binds `addr` (use `127.0.0.1:0` in tests), serves NeoApi and `/sim/`, returns at once.
    pub async fn start(addr: SocketAddr, scenario: Scenario) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Shared::new(scenario);
        let (stop, stopped) = oneshot::channel::<()>();
        let router = app(state.clone());
        let ticker_state = state.clone();
        let task = tokio::spawn(async move {
            // Timed events (phones answering, schedules due) happen even when nobody polls.
            let ticker = tokio::spawn(async move {
                let mut every = tokio::time::interval(Duration::from_millis(200));
                loop {
                    every.tick().await;
                    ticker_state.with_platform(|p, now| p.advance(now));
                }
            });
            let served = axum::serve(listener, router).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(e) = served.await {
                tracing::error!(error = %e, "neotel-sim server failed");
            }
            ticker.abort();
        });
        tracing::info!(%addr, "neotel-sim listening");
        Ok(Self {
            addr,
            state,
            stop: Some(stop),
            task,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`; NeoApi is at `{base_url}/neoapi/webservice.asmx`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The running simulator's state (to drive or inspect it in-process).
    pub fn state(&self) -> &Shared {
        &self.state
    }

    /// Stops serving and waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}
