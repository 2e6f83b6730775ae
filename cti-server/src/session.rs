//! Agent sessions: the registry, login, and the one task per agent that drives its state
//! machine.
//!
//! The task owns the machine by value and is the only place the clock is read
//! (`tokio::time::Instant::now()`, so paused-time tests work). Its loop: drain the machine's
//! outputs (spawn NeoApi calls, send effects to the leader connection, send the view to every
//! connection), then wait for the earliest of the machine's timer, a browser message, a
//! finished NeoApi call, the idle deadline and shutdown, and feed it in.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use neotel_api::{FaultKind, Password, Reply, Request};
use tokio::sync::mpsc;

use crate::config::NeoApiConfig;
use crate::http::AppState;
use crate::metrics::Metrics;
use crate::protocol::{ByeReason, Down, EffectResult, ErrorCode, PageEvent};

/// NeoApi as the server uses it: one transport for every session, and its endpoint for probes.
#[derive(Clone)]
pub(crate) struct NeoApi {
    client: neotel_api::Client,
    endpoint: String,
}

impl NeoApi {
    pub(crate) fn new(config: &NeoApiConfig) -> Result<Self, String> {
        let binding = match config.binding {
            crate::config::Binding::Form => neotel_api::Binding::Form,
            crate::config::Binding::Get => neotel_api::Binding::Get,
            crate::config::Binding::Soap => neotel_api::Binding::Soap,
        };
        let transport = neotel_api::HttpTransportBuilder::new(config.url.clone())
            .path(config.path.clone())
            .timeout(config.timeout)
            .build(binding)
            .map_err(|e| e.to_string())?;
        Ok(Self {
            client: neotel_api::Client::new(transport),
            endpoint: format!("{}{}", config.url, config.path),
        })
    }

    /// The service URL (`{base}{path}`).
    pub(crate) fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// One call, measured.
    pub(crate) async fn call(
        &self,
        metrics: &Metrics,
        request: &Request,
    ) -> Result<Reply, neotel_api::Error> {
        let started = tokio::time::Instant::now();
        let result = self.client.call(request).await;
        let kind = result.as_ref().err().map(error_kind);
        metrics.neoapi_call(request.method(), started.elapsed().as_secs_f64(), kind);
        result
    }
}

/// The metric label of a NeoApi error.
fn error_kind(e: &neotel_api::Error) -> &'static str {
    match e {
        neotel_api::Error::Platform(f) => match f.kind {
            FaultKind::NotLogged => "notLogged",
            FaultKind::PositionNotFree => "positionNotFree",
            FaultKind::DeviceNotFound => "deviceNotFound",
            FaultKind::NoLicenses => "noLicenses",
            FaultKind::BadParameter => "badParameter",
            FaultKind::UnknownMethod => "unknownMethod",
            FaultKind::LoginFailed => "loginFailed",
            FaultKind::Transient => "transient",
            FaultKind::Other => "fault",
        },
        neotel_api::Error::Transport(_) => "transport",
        neotel_api::Error::Decode(_) => "decode",
        neotel_api::Error::Timeout => "timeout",
        _ => "other",
    }
}

// ---------------------------------------------------------------------------------------------
// Registry and handles

/// The running sessions, by USUARIO, the users whose login is in progress, and each user's
/// panel settings (F-CONFIG: kept per user, across sessions).
#[derive(Default)]
pub(crate) struct Registry {
    sessions: Mutex<HashMap<String, SessionHandle>>,
    logging_in: Mutex<HashSet<String>>,
    settings: Mutex<HashMap<String, serde_json::Value>>,
}

impl Registry {
    /// The settings `user`'s last view had (`settings` of the view), if any.
    pub(crate) fn settings(&self, user: &str) -> Option<serde_json::Value> {
        self.settings
            .lock()
            .expect("registry lock is never poisoned")
            .get(user)
            .cloned()
    }

    fn keep_settings(&self, user: &str, settings: &serde_json::Value) {
        let mut map = self
            .settings
            .lock()
            .expect("registry lock is never poisoned");
        if map.get(user) != Some(settings) {
            map.insert(user.to_owned(), settings.clone());
        }
    }

    pub(crate) fn get(&self, user: &str) -> Option<SessionHandle> {
        self.sessions
            .lock()
            .expect("registry lock is never poisoned")
            .get(user)
            .filter(|h| !h.tx.is_closed())
            .cloned()
    }

    /// Reserves `user` for a login; `None` when it has a session or a login in progress.
    fn reserve(&self, user: &str) -> Option<Reservation<'_>> {
        if self.get(user).is_some() {
            return None;
        }
        let mut set = self
            .logging_in
            .lock()
            .expect("registry lock is never poisoned");
        set.insert(user.to_owned()).then(|| Reservation {
            registry: self,
            user: user.to_owned(),
        })
    }

    fn remove(&self, user: &str, session: u64) {
        let mut map = self
            .sessions
            .lock()
            .expect("registry lock is never poisoned");
        if map.get(user).is_some_and(|h| h.session == session) {
            map.remove(user);
        }
    }
}

/// A login in progress; dropping it frees the user.
struct Reservation<'a> {
    registry: &'a Registry,
    user: String,
}

impl Reservation<'_> {
    fn register(self, handle: SessionHandle) {
        self.registry
            .sessions
            .lock()
            .expect("registry lock is never poisoned")
            .insert(self.user.clone(), handle);
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        self.registry
            .logging_in
            .lock()
            .expect("registry lock is never poisoned")
            .remove(&self.user);
    }
}

/// A way to talk to one session task.
#[derive(Clone)]
pub(crate) struct SessionHandle {
    user: Arc<str>,
    session: u64,
    tx: mpsc::Sender<ToSession>,
}

impl SessionHandle {
    pub(crate) fn user(&self) -> &str {
        &self.user
    }

    /// Sends a message; `false` when the session has ended.
    pub(crate) async fn send(&self, message: ToSession) -> bool {
        self.tx.send(message).await.is_ok()
    }
}

/// A connection joining a session.
pub(crate) struct Attachment {
    pub(crate) conn: u64,
    pub(crate) tx: mpsc::Sender<Down>,
    pub(crate) token: String,
    pub(crate) expires_at: String,
}

/// What connections tell their session.
pub(crate) enum ToSession {
    Attach(Attachment),
    Detach {
        conn: u64,
    },
    Command {
        conn: u64,
        command: serde_json::Value,
    },
    EffectResult {
        conn: u64,
        result: EffectResult,
    },
    Event {
        conn: u64,
        event: PageEvent,
    },
    Logout {
        conn: u64,
    },
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A process-unique id for a connection or a session.
pub(crate) fn next_connection_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// Why a login was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LoginError {
    /// NeoApi refused the user or password (its text, which never holds the password).
    #[error("login refused: {0}")]
    Refused(String),
    /// The position is taken.
    #[error("the position is not free: {0}")]
    PositionNotFree(String),
    /// The device is unknown.
    #[error("unknown device: {0}")]
    UnknownDevice(String),
    /// The user already has a running session.
    #[error("this user already has a session: attach with its token, or log out there")]
    AlreadyLoggedIn,
    /// NeoApi could not be reached.
    #[error("NeoApi is unavailable")]
    Unavailable(String),
}

/// Logs `user` in to NeoApi and starts the session task.
pub(crate) async fn login(
    state: &AppState,
    device: &str,
    user: &str,
    password: Password,
) -> Result<SessionHandle, LoginError> {
    let inner = &state.inner;
    let reservation = inner
        .sessions
        .reserve(user)
        .ok_or(LoginError::AlreadyLoggedIn)?;
    let request = Request::Login {
        device: device.to_owned(),
        user: user.to_owned(),
        password,
    };
    match inner.neoapi.call(&inner.metrics, &request).await {
        Ok(_) => {}
        Err(neotel_api::Error::Platform(f)) => {
            return Err(match f.kind {
                FaultKind::PositionNotFree => LoginError::PositionNotFree(f.message),
                FaultKind::DeviceNotFound => LoginError::UnknownDevice(f.message),
                FaultKind::LoginFailed => LoginError::Refused(f.message),
                _ => LoginError::Refused(f.message),
            });
        }
        Err(e) => return Err(LoginError::Unavailable(e.to_string())),
    }
    // The crate's own tests run the whole server with the scripted machine; integration tests
    // (tests/) run it with cti-core.
    #[cfg(not(test))]
    let started = crate::core::start(state, device, user, now());
    #[cfg(test)]
    let started = {
        let _ = device;
        Ok::<_, String>(tests::Scripted::new(user))
    };
    let core = match started {
        Ok(core) => core,
        Err(why) => {
            // Logged in to Neotel but no session can run: undo the login.
            tracing::error!(%why, "cannot start the session");
            let logout = Request::Logout {
                user: user.to_owned(),
            };
            if let Err(e) = inner.neoapi.call(&inner.metrics, &logout).await {
                tracing::warn!(error = %e, "NeoApi Logout failed");
            }
            return Err(LoginError::Unavailable(why));
        }
    };
    let handle = spawn(state, user, core);
    reservation.register(handle.clone());
    Ok(handle)
}

/// The one clock read of the sessions (tokio's, so paused-time tests work).
fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

// ---------------------------------------------------------------------------------------------
// The machine seam: cti-core's session seen through the server's vocabulary (`crate::core`
// translates), so the driver below is tested with a scripted machine too.

/// What the driver feeds the agent's state machine.
#[derive(Debug)]
pub(crate) enum CoreInput {
    /// A page command (the core's command JSON).
    Command(serde_json::Value),
    /// The leader's answer to an effect.
    EffectResult(EffectResult),
    /// A Salesforce event.
    Event(PageEvent),
    /// A NeoApi call finished.
    Api {
        id: u64,
        result: Result<Reply, neotel_api::Error>,
    },
    /// The machine's timer fired.
    Timeout,
    /// Another connection runs the effects now: those sent to the last one and unanswered
    /// were lost (the machine decides what runs again).
    PageChanged,
}

/// What the machine asks for.
#[derive(Debug)]
pub(crate) enum CoreOutput {
    /// Run this NeoApi call and feed back its result with `id`.
    Api { id: u64, request: Request },
    /// Send this effect to the leader; its result comes back with `id`.
    Effect {
        id: u64,
        kind: String,
        effect: serde_json::Value,
    },
    /// The new view, without its `lists`; `lists` holds the lists that changed since the last
    /// view (all of them the first time).
    View {
        view: serde_json::Value,
        lists: Option<serde_json::Value>,
    },
    /// Neotel no longer has the user logged in: the session is over.
    Ended,
}

/// A refused command: a text for logs and integrators, and the agent's words when the core
/// gave them.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct Refused {
    pub(crate) message: String,
    pub(crate) text: Option<crate::protocol::AgentMessage>,
}

impl Refused {
    /// A refusal without words for the agent (a malformed command).
    pub(crate) fn plain(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            text: None,
        }
    }
}

/// The agent's state machine, as the driver needs it.
pub(crate) trait Core: Send + 'static {
    /// Feeds one input at `now`; a command the machine cannot take is refused.
    fn handle(&mut self, input: CoreInput, now: Instant) -> Result<(), Refused>;
    /// The next output, until `None`.
    fn poll_output(&mut self) -> Option<CoreOutput>;
    /// When the machine wants [`CoreInput::Timeout`].
    fn poll_timeout(&self) -> Option<Instant>;
    /// The request that logs the agent out of NeoApi.
    fn logout_request(&self) -> Request;
    /// The agent logs out: the machine's last effects say goodbye to the page's Salesforce
    /// side (the driver sends NeoApi `Logout` itself).
    fn log_out(&mut self, now: Instant);
    /// Every list of the last view, for a connection's first view (later views carry only the
    /// lists that changed).
    fn lists(&self) -> serde_json::Value;
}

// ---------------------------------------------------------------------------------------------
// The driver

struct Conn {
    id: u64,
    tx: mpsc::Sender<Down>,
    token: String,
    expires_at: String,
}

/// An effect not answered yet.
struct Pending {
    effect: serde_json::Value,
    /// When it went to the leader; `None` while there was no connection to send it to.
    sent_at: Option<Instant>,
}

/// How long the leader may leave an effect unanswered before another connection takes over.
/// The page answers every effect within 10 s itself (a timeout is an answer), so silence past
/// this means the page is gone or frozen.
const EFFECT_TIMEOUT: Duration = Duration::from_secs(15);

struct Driver<C> {
    state: AppState,
    user: Arc<str>,
    session: u64,
    core: C,
    /// The attached connections; the first is the leader, which runs the effects.
    conns: Vec<Conn>,
    /// Some connection has led this session: a new leader replaces a page.
    led: bool,
    /// Effects not answered yet.
    pending: BTreeMap<u64, Pending>,
    view: Option<serde_json::Value>,
    api_tx: mpsc::Sender<(u64, Result<Reply, neotel_api::Error>)>,
    /// Since when the session has had no connection.
    idle_since: Option<Instant>,
    /// Neotel says the user is no longer logged in (no `Logout` needed).
    neotel_gone: bool,
}

/// Starts the task of `user`'s session around `core`.
pub(crate) fn spawn<C: Core>(state: &AppState, user: &str, core: C) -> SessionHandle {
    let (tx, rx) = mpsc::channel(64);
    let (api_tx, api_rx) = mpsc::channel(64);
    let session = next_connection_id();
    let user: Arc<str> = user.into();
    let handle = SessionHandle {
        user: user.clone(),
        session,
        tx,
    };
    let driver = Driver {
        state: state.clone(),
        user: user.clone(),
        session,
        core,
        conns: Vec::new(),
        led: false,
        pending: BTreeMap::new(),
        view: None,
        api_tx,
        idle_since: Some(now()),
        neotel_gone: false,
    };
    let span = tracing::info_span!("session", user = %user);
    state.inner.tracker.spawn(tracing::Instrument::instrument(
        driver.run(rx, api_rx),
        span,
    ));
    handle
}

impl<C: Core> Driver<C> {
    async fn run(
        mut self,
        mut rx: mpsc::Receiver<ToSession>,
        mut api_rx: mpsc::Receiver<(u64, Result<Reply, neotel_api::Error>)>,
    ) {
        let inner = self.state.inner.clone();
        inner.metrics.sessions.inc();
        tracing::info!("session started");
        let shutdown = inner.shutdown.clone();
        let idle_timeout = inner.config.idle_timeout;
        let reason = loop {
            if let Some(reason) = self.drain() {
                break reason;
            }
            let idle_deadline = self.idle_since.map(|t| t + idle_timeout);
            let effect_deadline = self.effect_deadline();
            let deadline = [self.core.poll_timeout(), idle_deadline, effect_deadline]
                .into_iter()
                .flatten()
                .min();
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => break ByeReason::Shutdown,
                () = sleep => {
                    let now = now();
                    if idle_deadline.is_some_and(|d| d <= now) {
                        tracing::info!("no connection for {idle_timeout:?}: ending the session");
                        break ByeReason::SessionEnded;
                    }
                    if effect_deadline.is_some_and(|d| d <= now) {
                        self.leader_silent();
                    }
                    self.feed(CoreInput::Timeout, now);
                }
                Some((id, result)) = api_rx.recv() => self.feed(CoreInput::Api { id, result }, now()),
                message = rx.recv() => {
                    // The registry holds a sender while the session is registered.
                    let Some(message) = message else { break ByeReason::SessionEnded };
                    if let Some(reason) = self.on_message(message) {
                        break reason;
                    }
                }
            }
        };
        self.end(reason).await;
        inner.metrics.sessions.dec();
    }

    fn feed(&mut self, input: CoreInput, now: Instant) {
        if let Err(e) = self.core.handle(input, now) {
            tracing::debug!(error = %e, "input refused");
        }
    }

    /// Drains the machine; `Some` when it says the session is over.
    fn drain(&mut self) -> Option<ByeReason> {
        while let Some(output) = self.core.poll_output() {
            match output {
                CoreOutput::Api { id, request } => self.run_api(id, request),
                CoreOutput::Effect { id, kind, effect } => {
                    self.state.inner.metrics.effect(&kind);
                    let leader = self.conns.first().map(|c| (c.id, c.tx.clone()));
                    self.pending.insert(
                        id,
                        Pending {
                            effect: effect.clone(),
                            sent_at: leader.as_ref().map(|_| now()),
                        },
                    );
                    if let Some((conn, tx)) = leader {
                        self.deliver(conn, &tx, Down::Effect { effect });
                    }
                }
                CoreOutput::View { view, lists } => {
                    // Lists (hundreds of users on a big install) travel only when they change;
                    // a tab that attaches gets them with its first view.
                    let mut broadcast = view.clone();
                    if let Some(changed) = lists {
                        broadcast["lists"] = changed;
                    }
                    if let Some(settings) = view.get("settings") {
                        self.state
                            .inner
                            .sessions
                            .keep_settings(&self.user, settings);
                    }
                    self.view = Some(view);
                    for (id, tx) in self.senders() {
                        self.deliver(
                            id,
                            &tx,
                            Down::View {
                                view: broadcast.clone(),
                            },
                        );
                    }
                }
                CoreOutput::Ended => {
                    self.neotel_gone = true;
                    return Some(ByeReason::SessionEnded);
                }
            }
        }
        None
    }

    fn senders(&self) -> Vec<(u64, mpsc::Sender<Down>)> {
        self.conns.iter().map(|c| (c.id, c.tx.clone())).collect()
    }

    /// Sends to one connection; a connection too slow to keep up is dropped.
    fn deliver(&mut self, conn: u64, tx: &mpsc::Sender<Down>, down: Down) {
        if tx.try_send(down).is_err() {
            tracing::warn!(conn, "connection not keeping up: dropping it");
            self.detach(conn);
        }
    }

    fn run_api(&self, id: u64, request: Request) {
        // Defence in depth: a session only ever acts as its own user.
        if let Some(user) = request.user()
            && user != &*self.user
        {
            tracing::error!(
                method = request.method(),
                "refused a NeoApi call for another user"
            );
            return;
        }
        let neoapi = self.state.inner.neoapi.clone();
        let state = self.state.clone();
        let tx = self.api_tx.clone();
        self.state.inner.tracker.spawn(async move {
            let result = neoapi.call(&state.inner.metrics, &request).await;
            // The session may have ended meanwhile: nobody needs the answer then.
            let _ = tx.send((id, result)).await;
        });
    }

    fn on_message(&mut self, message: ToSession) -> Option<ByeReason> {
        let now = now();
        match message {
            ToSession::Attach(a) => self.attach(a),
            ToSession::Detach { conn } => self.detach(conn),
            ToSession::Command { conn, command } => {
                self.touch(now);
                if let Err(Refused { message, text }) =
                    self.core.handle(CoreInput::Command(command), now)
                {
                    self.reply(
                        conn,
                        Down::Error {
                            code: ErrorCode::CommandRefused,
                            message,
                            text,
                        },
                    );
                }
            }
            ToSession::EffectResult { conn, result } => {
                if self.conns.first().map(|c| c.id) != Some(conn) {
                    self.reply_error(
                        conn,
                        ErrorCode::NotLeader,
                        "only the leader connection answers effects".into(),
                    );
                } else if self.pending.remove(&result.id).is_none() {
                    self.reply_error(
                        conn,
                        ErrorCode::NotLeader,
                        format!("no effect {} is waiting for an answer", result.id),
                    );
                } else {
                    self.feed(CoreInput::EffectResult(result), now);
                }
            }
            ToSession::Event { conn, event } => {
                self.touch(now);
                // Every tab forwards Salesforce's events; only the leader's count, once.
                if self.conns.first().map(|c| c.id) == Some(conn) {
                    self.feed(CoreInput::Event(event), now);
                }
            }
            ToSession::Logout { conn } => {
                tracing::info!(conn, "logout requested");
                // The machine's last effects reach the leader before the goodbye.
                self.core.log_out(now);
                let _ = self.drain();
                return Some(ByeReason::Logout);
            }
        }
        None
    }

    fn touch(&self, now: Instant) {
        self.state.inner.tokens.touch_user(&self.user, now);
    }

    fn reply_error(&mut self, conn: u64, code: ErrorCode, message: String) {
        self.reply(
            conn,
            Down::Error {
                code,
                message,
                text: None,
            },
        );
    }

    fn reply(&mut self, conn: u64, down: Down) {
        if let Some(tx) = self
            .conns
            .iter()
            .find(|c| c.id == conn)
            .map(|c| c.tx.clone())
        {
            self.deliver(conn, &tx, down);
        }
    }

    fn attach(&mut self, a: Attachment) {
        let leader = self.conns.is_empty();
        tracing::debug!(conn = a.conn, leader, "connection attached");
        self.conns.push(Conn {
            id: a.conn,
            tx: a.tx.clone(),
            token: a.token,
            expires_at: a.expires_at,
        });
        self.idle_since = None;
        if leader {
            self.new_leader();
        } else {
            self.greet(a.conn, false);
        }
    }

    /// The first connection leads now. If another led before, its page is gone: what it left
    /// unanswered is lost and the machine is told (it sends again what must run).
    fn new_leader(&mut self) {
        let Some(conn) = self.conns.first().map(|c| c.id) else {
            return;
        };
        tracing::debug!(conn, "new leader");
        if std::mem::replace(&mut self.led, true) {
            self.pending.retain(|_, p| p.sent_at.is_none());
            self.feed(CoreInput::PageChanged, now());
        }
        self.greet(conn, true);
    }

    /// When the leader's oldest unanswered effect times out, if another connection could
    /// take over.
    fn effect_deadline(&self) -> Option<Instant> {
        if self.conns.len() < 2 {
            return None;
        }
        self.pending
            .values()
            .filter_map(|p| p.sent_at)
            .min()
            .map(|t| t + EFFECT_TIMEOUT)
    }

    /// The leader left an effect unanswered too long: the next connection leads, the silent
    /// one follows (it may come back to life; it gets views).
    fn leader_silent(&mut self) {
        if self.conns.len() < 2 {
            return;
        }
        let silent = self.conns.remove(0);
        tracing::warn!(
            conn = silent.id,
            "the leader left an effect unanswered: another tab leads"
        );
        let id = silent.id;
        self.conns.push(silent);
        self.new_leader();
        self.greet(id, false);
    }

    /// `session`, the view, and for a leader every effect no page has had.
    fn greet(&mut self, conn: u64, leader: bool) {
        let Some(c) = self.conns.iter().find(|c| c.id == conn) else {
            return;
        };
        let tx = c.tx.clone();
        let session = Down::Session {
            token: c.token.clone(),
            user: self.user.to_string(),
            expires_at: c.expires_at.clone(),
            leader,
        };
        self.deliver(conn, &tx, session);
        if let Some(mut view) = self.view.clone() {
            view["lists"] = self.core.lists();
            self.deliver(conn, &tx, Down::View { view });
        }
        if leader {
            let at = now();
            let unsent: Vec<serde_json::Value> = self
                .pending
                .values_mut()
                .filter(|p| p.sent_at.is_none())
                .map(|p| {
                    p.sent_at = Some(at);
                    p.effect.clone()
                })
                .collect();
            for effect in unsent {
                self.deliver(conn, &tx, Down::Effect { effect });
            }
        }
    }

    fn detach(&mut self, conn: u64) {
        let Some(index) = self.conns.iter().position(|c| c.id == conn) else {
            return;
        };
        self.conns.remove(index);
        tracing::debug!(conn, "connection detached");
        if self.conns.is_empty() {
            self.idle_since = Some(now());
        } else if index == 0 {
            self.new_leader();
        }
    }

    async fn end(mut self, reason: ByeReason) {
        tracing::info!(?reason, "session ending");
        let inner = self.state.inner.clone();
        inner.sessions.remove(&self.user, self.session);
        inner.tokens.revoke_user(&self.user);
        for (conn, tx) in self.senders() {
            self.deliver(conn, &tx, Down::Bye { reason });
        }
        self.conns.clear();
        // NeoApi Logout, except when Neotel already ended it.
        if !self.neotel_gone {
            let request = self.core.logout_request();
            let call = inner.neoapi.call(&inner.metrics, &request);
            match tokio::time::timeout(Duration::from_secs(5), call).await {
                Ok(Ok(_)) => tracing::info!("logged out of NeoApi"),
                Ok(Err(e)) => tracing::warn!(error = %e, "NeoApi Logout failed"),
                Err(_) => tracing::warn!("NeoApi Logout timed out"),
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    //! The driver with a scripted machine: routing, leadership, idle end. NeoApi is a closed
    //! port, so calls fail fast; nothing here needs cti-core.

    use super::*;
    use crate::config::{Binding, Config};

    /// Scripted by the commands it gets: `{"emit":"effect"|"view"|"end"}`, `{"refuse":…}`.
    /// Like cti-core, it sends its unanswered effects again (with new ids) to a new page.
    pub(crate) struct Scripted {
        seen: Arc<Mutex<Vec<String>>>,
        out: std::collections::VecDeque<CoreOutput>,
        next_effect: u64,
        unanswered: Vec<u64>,
        user: String,
    }

    impl Scripted {
        /// A machine for `user` whose first output is a view.
        pub(crate) fn new(user: &str) -> Self {
            Self {
                seen: Arc::new(Mutex::new(Vec::new())),
                out: [CoreOutput::View {
                    view: serde_json::json!({"user": user}),
                    lists: None,
                }]
                .into(),
                next_effect: 0,
                unanswered: Vec::new(),
                user: user.to_owned(),
            }
        }
    }

    impl Scripted {
        fn emit_effect(&mut self) {
            self.next_effect += 1;
            let id = self.next_effect;
            self.unanswered.push(id);
            self.out.push_back(CoreOutput::Effect {
                id,
                kind: "screenPop".into(),
                effect: serde_json::json!({"kind":"screenPop","id":id}),
            });
        }
    }

    impl Core for Scripted {
        fn handle(&mut self, input: CoreInput, _now: Instant) -> Result<(), Refused> {
            let label = match &input {
                CoreInput::Command(c) => format!("command {c}"),
                CoreInput::EffectResult(r) => format!("effectResult {}", r.id),
                CoreInput::Event(e) => format!("event {e:?}"),
                CoreInput::Api { id, result } => format!("api {id} ok={}", result.is_ok()),
                CoreInput::Timeout => "timeout".to_owned(),
                CoreInput::PageChanged => "pageChanged".to_owned(),
            };
            self.seen.lock().unwrap().push(label);
            if let CoreInput::EffectResult(r) = &input {
                self.unanswered.retain(|id| *id != r.id);
            }
            if matches!(input, CoreInput::PageChanged) {
                for _ in std::mem::take(&mut self.unanswered) {
                    self.emit_effect();
                }
            }
            if let CoreInput::Command(c) = input {
                if let Some(why) = c.get("refuse") {
                    return Err(Refused::plain(why.to_string()));
                }
                match c.get("emit").and_then(|e| e.as_str()) {
                    Some("effect") => self.emit_effect(),
                    Some("view") => self.out.push_back(CoreOutput::View {
                        view: serde_json::json!({"n": self.seen.lock().unwrap().len()}),
                        lists: None,
                    }),
                    Some("end") => self.out.push_back(CoreOutput::Ended),
                    Some("api") => self.out.push_back(CoreOutput::Api {
                        id: 7,
                        request: Request::Position {
                            user: "1001".into(),
                        },
                    }),
                    Some("api-other-user") => self.out.push_back(CoreOutput::Api {
                        id: 8,
                        request: Request::Position {
                            user: "1002".into(),
                        },
                    }),
                    _ => {}
                }
            }
            Ok(())
        }
        fn poll_output(&mut self) -> Option<CoreOutput> {
            self.out.pop_front()
        }
        fn poll_timeout(&self) -> Option<Instant> {
            None
        }
        fn lists(&self) -> serde_json::Value {
            serde_json::json!({})
        }
        fn logout_request(&self) -> Request {
            self.seen.lock().unwrap().push("logout".into());
            Request::Logout {
                user: self.user.clone(),
            }
        }
        fn log_out(&mut self, _now: Instant) {
            self.seen.lock().unwrap().push("logOut".into());
        }
    }

    fn state() -> AppState {
        let mut config = Config::defaults();
        config.idle_timeout = Duration::from_secs(30);
        let neoapi = NeoApi::new(&NeoApiConfig {
            url: "http://127.0.0.1:9".into(),
            binding: Binding::Form,
            path: "/neoapi/webservice.asmx".into(),
            timeout: Duration::from_millis(200),
        })
        .unwrap();
        AppState::new(
            config,
            "http://127.0.0.1:8080".into(),
            &[],
            neoapi,
            crate::callcenter::fallback_default(),
        )
    }

    fn start(state: &AppState) -> (SessionHandle, Arc<Mutex<Vec<String>>>) {
        let core = Scripted::new("1001");
        let seen = core.seen.clone();
        let handle = spawn(state, "1001", core);
        (handle, seen)
    }

    async fn connect(handle: &SessionHandle) -> (u64, mpsc::Receiver<Down>) {
        let (tx, rx) = mpsc::channel(16);
        let conn = next_connection_id();
        assert!(
            handle
                .send(ToSession::Attach(Attachment {
                    conn,
                    tx,
                    token: format!("token{conn}"),
                    expires_at: "2030-01-01T00:00:00Z".into(),
                }))
                .await
        );
        (conn, rx)
    }

    async fn next(rx: &mut mpsc::Receiver<Down>) -> Down {
        tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("a message within 5 s")
            .expect("the session keeps the channel")
    }

    fn command(conn: u64, emit: &str) -> ToSession {
        ToSession::Command {
            conn,
            command: serde_json::json!({ "emit": emit }),
        }
    }

    #[tokio::test]
    async fn effects_go_to_the_leader_and_move_to_the_next_tab() {
        let state = state();
        let (handle, seen) = start(&state);
        let (a, mut rx_a) = connect(&handle).await;
        assert!(matches!(
            next(&mut rx_a).await,
            Down::Session { leader: true, .. }
        ));
        assert!(matches!(next(&mut rx_a).await, Down::View { .. }));
        let (b, mut rx_b) = connect(&handle).await;
        assert!(matches!(
            next(&mut rx_b).await,
            Down::Session { leader: false, .. }
        ));
        assert!(matches!(next(&mut rx_b).await, Down::View { .. }));

        // An effect reaches the leader only; a view reaches both.
        handle.send(command(b, "effect")).await;
        handle.send(command(b, "view")).await;
        assert!(matches!(next(&mut rx_a).await, Down::Effect { .. }));
        assert!(matches!(next(&mut rx_a).await, Down::View { .. }));
        assert!(matches!(next(&mut rx_b).await, Down::View { .. }));

        // The follower cannot answer it.
        let result = EffectResult {
            id: 1,
            ok: true,
            value: None,
            error: None,
        };
        handle
            .send(ToSession::EffectResult {
                conn: b,
                result: result.clone(),
            })
            .await;
        assert!(matches!(
            next(&mut rx_b).await,
            Down::Error {
                code: ErrorCode::NotLeader,
                ..
            }
        ));

        // The leader leaves unanswered: b leads, the machine hears its page changed and sends
        // the effect again (a new id), to b.
        handle.send(ToSession::Detach { conn: a }).await;
        assert!(matches!(
            next(&mut rx_b).await,
            Down::Session { leader: true, .. }
        ));
        assert!(matches!(next(&mut rx_b).await, Down::View { .. }));
        match next(&mut rx_b).await {
            Down::Effect { effect } => assert_eq!(effect["id"], 2),
            other => panic!("expected the effect again, got {other:?}"),
        }
        assert!(seen.lock().unwrap().contains(&"pageChanged".to_owned()));
        // The old id is no longer waited for.
        handle
            .send(ToSession::EffectResult {
                conn: b,
                result: result.clone(),
            })
            .await;
        assert!(matches!(
            next(&mut rx_b).await,
            Down::Error {
                code: ErrorCode::NotLeader,
                ..
            }
        ));
        let result = EffectResult { id: 2, ..result };
        handle
            .send(ToSession::EffectResult { conn: b, result })
            .await;
        handle.send(command(b, "view")).await;
        assert!(matches!(next(&mut rx_b).await, Down::View { .. }));
        assert!(seen.lock().unwrap().contains(&"effectResult 2".to_owned()));
    }

    #[tokio::test]
    async fn neoapi_results_come_back_with_their_id_and_never_for_another_user() {
        let state = state();
        let (handle, seen) = start(&state);
        let (a, mut rx) = connect(&handle).await;
        next(&mut rx).await;
        handle.send(command(a, "api-other-user")).await;
        handle.send(command(a, "api")).await;
        // NeoApi is a closed port: the call fails and its failure is fed back with its id.
        for _ in 0..100 {
            if seen.lock().unwrap().iter().any(|s| s.starts_with("api 7")) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let seen = seen.lock().unwrap();
        assert!(seen.contains(&"api 7 ok=false".to_owned()), "{seen:?}");
        assert!(!seen.iter().any(|s| s.starts_with("api 8")), "{seen:?}");
        let metrics = state.inner.metrics.render();
        assert!(metrics.contains("cti_position_polls_total 1"), "{metrics}");
        assert!(
            metrics.contains("cti_neoapi_errors_total{kind=\"transport\"} 1"),
            "{metrics}"
        );
    }

    #[tokio::test]
    async fn only_the_leaders_salesforce_events_count() {
        let state = state();
        let (handle, seen) = start(&state);
        let (a, _rx_a) = connect(&handle).await;
        let (b, mut rx_b) = connect(&handle).await;
        next(&mut rx_b).await;
        let event = |url: &str| PageEvent::NavigationChange {
            url: url.into(),
            record_id: None,
            record_name: None,
            object_type: None,
        };
        handle
            .send(ToSession::Event {
                conn: b,
                event: event("/follower"),
            })
            .await;
        handle
            .send(ToSession::Event {
                conn: a,
                event: event("/leader"),
            })
            .await;
        handle.send(command(a, "view")).await;
        next(&mut rx_b).await;
        next(&mut rx_b).await;
        let seen = seen.lock().unwrap();
        let events: Vec<_> = seen.iter().filter(|s| s.starts_with("event")).collect();
        assert_eq!(events.len(), 1, "{seen:?}");
        assert!(events[0].contains("/leader"));
    }

    #[tokio::test]
    async fn a_refused_command_is_a_typed_error_to_its_connection() {
        let state = state();
        let (handle, _seen) = start(&state);
        let (a, mut rx) = connect(&handle).await;
        next(&mut rx).await;
        next(&mut rx).await;
        handle
            .send(ToSession::Command {
                conn: a,
                command: serde_json::json!({"refuse": "not on a call"}),
            })
            .await;
        match next(&mut rx).await {
            Down::Error { code, message, .. } => {
                assert_eq!(code, ErrorCode::CommandRefused);
                assert!(message.contains("not on a call"));
            }
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_session_without_connections_ends_after_the_idle_timeout() {
        let state = state();
        let (handle, seen) = start(&state);
        let (a, mut rx) = connect(&handle).await;
        next(&mut rx).await;
        state
            .inner
            .sessions
            .reserve("1001")
            .unwrap()
            .register(handle.clone());
        handle.send(ToSession::Detach { conn: a }).await;
        tokio::time::sleep(Duration::from_secs(29)).await;
        assert!(
            state.inner.sessions.get("1001").is_some(),
            "still inside the idle timeout"
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
        // The driver ends: unregistered, NeoApi Logout attempted.
        state.inner.tracker.close();
        state.inner.tracker.wait().await;
        assert!(state.inner.sessions.get("1001").is_none());
        assert!(seen.lock().unwrap().contains(&"logout".to_owned()));
    }

    #[tokio::test]
    async fn logout_says_bye_to_every_tab() {
        let state = state();
        let (handle, seen) = start(&state);
        let (a, mut rx_a) = connect(&handle).await;
        let (_b, mut rx_b) = connect(&handle).await;
        handle.send(ToSession::Logout { conn: a }).await;
        for rx in [&mut rx_a, &mut rx_b] {
            loop {
                if let Down::Bye { reason } = next(rx).await {
                    assert_eq!(reason, ByeReason::Logout);
                    break;
                }
            }
        }
        state.inner.tracker.close();
        state.inner.tracker.wait().await;
        assert!(seen.lock().unwrap().contains(&"logout".to_owned()));
    }

    #[tokio::test]
    async fn neotel_ending_the_session_needs_no_logout() {
        let state = state();
        let (handle, seen) = start(&state);
        let (a, mut rx) = connect(&handle).await;
        handle.send(command(a, "end")).await;
        loop {
            if let Down::Bye { reason } = next(&mut rx).await {
                assert_eq!(reason, ByeReason::SessionEnded);
                break;
            }
        }
        state.inner.tracker.close();
        state.inner.tracker.wait().await;
        assert!(!seen.lock().unwrap().contains(&"logout".to_owned()));
    }
}
