//! The one task per agent that owns its state machine by value.
//!
//! Its loop: drain the machine's outputs (spawn NeoApi calls, send effects to the leader
//! connection, send the view to every connection), then wait for the earliest of the machine's
//! timer, a browser message, a finished NeoApi call, the idle deadline and shutdown, and feed
//! it in. Every instant comes from [`crate::clock`], so paused-time tests drive it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use neotel_api::{Reply, Request};
use tokio::sync::mpsc;

use super::hub::Sessions;
use super::machine::{Core, CoreInput, CoreOutput, Refused};
use super::registry::{Attachment, SessionHandle, ToSession, next_connection_id};
use crate::clock;
use crate::protocol::{ByeReason, Down, ErrorCode};

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

struct Driver {
    sessions: Arc<Sessions>,
    user: Arc<str>,
    session: u64,
    core: Box<dyn Core>,
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
    /// When the input being handled arrived: the loop's one clock read.
    now: Instant,
}

/// What woke the loop up.
enum Wake {
    Shutdown,
    Timer,
    Api(u64, Result<Reply, neotel_api::Error>),
    Message(Option<ToSession>),
}

/// Starts the task of `user`'s session around `core`, made at `now`.
pub(crate) fn spawn(
    sessions: &Arc<Sessions>,
    user: &str,
    core: Box<dyn Core>,
    now: Instant,
) -> SessionHandle {
    let (tx, rx) = mpsc::channel(64);
    let (api_tx, api_rx) = mpsc::channel(64);
    let session = next_connection_id();
    let user: Arc<str> = user.into();
    let handle = SessionHandle::new(user.clone(), session, tx);
    let driver = Driver {
        sessions: sessions.clone(),
        user: user.clone(),
        session,
        core,
        conns: Vec::new(),
        led: false,
        pending: BTreeMap::new(),
        view: None,
        api_tx,
        idle_since: Some(now),
        neotel_gone: false,
        now,
    };
    let span = tracing::info_span!("session", user = %user);
    sessions.tracker.spawn(tracing::Instrument::instrument(
        driver.run(rx, api_rx),
        span,
    ));
    handle
}

impl Driver {
    async fn run(
        mut self,
        mut rx: mpsc::Receiver<ToSession>,
        mut api_rx: mpsc::Receiver<(u64, Result<Reply, neotel_api::Error>)>,
    ) {
        let inner = self.sessions.clone();
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
            let wake = tokio::select! {
                () = shutdown.cancelled() => Wake::Shutdown,
                () = sleep => Wake::Timer,
                Some((id, result)) = api_rx.recv() => Wake::Api(id, result),
                message = rx.recv() => Wake::Message(message),
            };
            self.now = clock::now();
            match wake {
                Wake::Shutdown => break ByeReason::Shutdown,
                Wake::Timer => {
                    if idle_deadline.is_some_and(|d| d <= self.now) {
                        tracing::info!("no connection for {idle_timeout:?}: ending the session");
                        break ByeReason::SessionEnded;
                    }
                    if effect_deadline.is_some_and(|d| d <= self.now) {
                        self.leader_silent();
                    }
                    self.feed(CoreInput::Timeout);
                }
                Wake::Api(id, result) => self.feed(CoreInput::Api { id, result }),
                // The registry holds a sender while the session is registered.
                Wake::Message(None) => break ByeReason::SessionEnded,
                Wake::Message(Some(message)) => {
                    if let Some(reason) = self.on_message(message) {
                        break reason;
                    }
                }
            }
        };
        self.end(reason).await;
        inner.metrics.sessions.dec();
    }

    fn feed(&mut self, input: CoreInput) {
        if let Err(e) = self.core.handle(input, self.now) {
            tracing::debug!(error = %e, "input refused");
        }
    }

    /// Drains the machine; `Some` when it says the session is over.
    fn drain(&mut self) -> Option<ByeReason> {
        while let Some(output) = self.core.poll_output() {
            match output {
                CoreOutput::Api { id, request } => self.run_api(id, request),
                CoreOutput::Effect { id, kind, effect } => {
                    self.sessions.metrics.effect(&kind);
                    let leader = self.conns.first().map(|c| (c.id, c.tx.clone()));
                    self.pending.insert(
                        id,
                        Pending {
                            effect: effect.clone(),
                            sent_at: leader.as_ref().map(|_| self.now),
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
                        self.sessions.registry.keep_settings(&self.user, settings);
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
        let sessions = self.sessions.clone();
        let tx = self.api_tx.clone();
        self.sessions.tracker.spawn(async move {
            let result = sessions.neoapi.call(&sessions.metrics, &request).await;
            // The session may have ended meanwhile: nobody needs the answer then.
            let _ = tx.send((id, result)).await;
        });
    }

    fn on_message(&mut self, message: ToSession) -> Option<ByeReason> {
        let now = self.now;
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
                    self.feed(CoreInput::EffectResult(result));
                }
            }
            ToSession::Event { conn, event } => {
                self.touch(now);
                // Every tab forwards Salesforce's events; only the leader's count, once.
                if self.conns.first().map(|c| c.id) == Some(conn) {
                    self.feed(CoreInput::Event(event));
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
        self.sessions.tokens.touch_user(&self.user, now);
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
            self.feed(CoreInput::PageChanged);
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
            let at = self.now;
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
            self.idle_since = Some(self.now);
        } else if index == 0 {
            self.new_leader();
        }
    }

    async fn end(mut self, reason: ByeReason) {
        tracing::info!(?reason, "session ending");
        let inner = self.sessions.clone();
        inner.registry.remove(&self.user, self.session);
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
