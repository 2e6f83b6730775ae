//! The one task per agent that owns its state machine by value.
//!
//! Its loop: store the machine's snapshot when it changed (before anything leaves that a
//! resumed session would not ask for again: what the agent is told is done is on disk; after
//! the rest), drain the machine's outputs (spawn NeoApi calls, send effects to the leader
//! connection, send the view to every connection), then wait for the earliest of the
//! machine's timer, a browser message, a finished NeoApi call, the idle deadline, the tokens'
//! keepalive and shutdown, and feed it in. Before each input the machine gets the poll cadence
//! of the NeoApi budget when it changed, after it the budget counts its urgency (issue 28).
//! Every instant comes from [`crate::clock`], so paused-time tests drive it.
//!
//! Nothing leaves while the session's lease is not known to run (issue 14): a lapsed lease
//! waits for the next renewal; a lost one (another instance took the session) stops the task
//! at once, writing nothing more.

use std::sync::Arc;
use std::time::{Duration, Instant};

use neotel_api::{Reply, Request};
use tokio::sync::mpsc;

use super::budget::Share;
use super::hub::{Sessions, Stored};
use super::leases::LeaseState;
use super::machine::{Core, CoreInput, CoreOutput, PendingWrites, Refused};
use super::registry::{Attachment, SessionHandle, ToSession, next_connection_id};
use crate::clock;
use crate::protocol::{ByeReason, Down, ErrorCode, Surface};
use crate::store::Queued;

/// A NeoApi call's answer, for the call `id` (boxed: see [`Attachment::tx`]).
type Answer = Box<(u64, Result<Reply, neotel_api::Error>)>;

struct Conn {
    id: u64,
    tx: mpsc::Sender<Box<Down>>,
    dropped: tokio_util::sync::CancellationToken,
    token: String,
    expires_at: String,
    /// The page's Salesforce surface.
    surface: Surface,
}

/// How long the leader may leave an effect unanswered before another connection takes over.
/// The page answers every effect within 10 s itself (a timeout is an answer), so silence past
/// this means the page is gone or frozen.
const EFFECT_TIMEOUT: Duration = Duration::from_secs(15);

struct Driver {
    sessions: Arc<Sessions>,
    user: Arc<str>,
    session: u64,
    /// The lease generation every store write names.
    generation: i64,
    /// NeoApi calls sent whose answer has not come back.
    in_flight: usize,
    /// Another instance owns the session now: nothing more is written or sent.
    fenced: bool,
    core: Box<dyn Core>,
    /// The snapshot last stored.
    stored: Option<String>,
    /// A newer snapshot handed to the store, its commit not seen yet.
    storing: Option<(String, Queued)>,
    /// The snapshot taken after the last input, compared with the one stored (a buffer kept
    /// from turn to turn: it is taken thousands of times a second).
    taken: Vec<u8>,
    /// The pending writes last reported to the metrics.
    pending_writes: PendingWrites,
    /// The panel settings last stored.
    settings: Option<serde_json::Value>,
    /// Settings a view showed that differ from those stored: stored on the next turn.
    settings_changed: Option<serde_json::Value>,
    /// When the attached tabs' tokens are renewed next.
    keepalive_at: Option<Instant>,
    /// The attached connections; the first is the leader, which runs the effects (the
    /// machine keeps the book of them: which went to a page, which it must run again).
    conns: Vec<Conn>,
    api_tx: mpsc::Sender<Answer>,
    /// What became of the VoiceCall writes on their way.
    tel_tx: mpsc::Sender<(u64, sf_voice::Written)>,
    /// Since when the session has had no connection.
    idle_since: Option<Instant>,
    /// Neotel says the user is no longer logged in (no `Logout` needed).
    neotel_gone: bool,
    /// When the input being handled arrived: the loop's one clock read.
    now: Instant,
    /// The `Position` polls on their way (their call ids).
    polls: Vec<u64>,
    /// The input being handled is a `Position` answer: a pop it brings is timed from `now`.
    position_answer: bool,
    /// The session's part in the NeoApi budget: its urgency counted, its cadence given.
    share: Share,
}

/// What woke the loop up.
enum Wake {
    Shutdown,
    Timer,
    Api(u64, Result<Reply, neotel_api::Error>),
    Telephony(u64, sf_voice::Written),
    Message(Option<ToSession>),
    /// The NeoApi budget lets the polls go much faster: the cadence is taken at once.
    Faster,
}

/// What a session task starts from.
pub(crate) struct Start<'a> {
    pub(crate) user: &'a str,
    pub(crate) device: &'a str,
    /// The password's verifier (a password login takes the session over with it).
    pub(crate) verifier: &'a str,
    /// The lease generation (0 without a store).
    pub(crate) generation: i64,
    /// The machine, new or resumed.
    pub(crate) core: Box<dyn Core>,
    /// When it was made.
    pub(crate) now: Instant,
}

/// How often the attached tabs' tokens are renewed (a fraction of their life, so an open tab
/// never loses its token, also across a restart).
fn keepalive_every(ttl: Duration) -> Duration {
    (ttl / 4).min(Duration::from_secs(15 * 60))
}

/// Starts the task of a session.
pub(crate) fn spawn(sessions: &Arc<Sessions>, start: Start<'_>) -> SessionHandle {
    let Start {
        user,
        device,
        verifier,
        generation,
        core,
        now,
    } = start;
    let (tx, rx) = mpsc::channel(64);
    let (api_tx, api_rx) = mpsc::channel(64);
    let (tel_tx, tel_rx) = mpsc::channel(16);
    let session = next_connection_id();
    let user: Arc<str> = user.into();
    let handle = SessionHandle {
        user: user.clone(),
        device: device.into(),
        verifier: verifier.into(),
        generation,
        session,
        tx,
    };
    let driver = Driver {
        sessions: sessions.clone(),
        user: user.clone(),
        session,
        generation,
        in_flight: 0,
        fenced: false,
        stored: core.snapshot(),
        storing: None,
        taken: Vec::new(),
        pending_writes: PendingWrites::default(),
        settings: None,
        settings_changed: None,
        keepalive_at: None,
        core,
        conns: Vec::new(),
        api_tx,
        tel_tx,
        idle_since: Some(now),
        neotel_gone: false,
        now,
        polls: Vec::new(),
        position_answer: false,
        share: sessions.budget.share(),
    };
    let span = tracing::info_span!("session", user = %user);
    sessions.tracker.spawn(tracing::Instrument::instrument(
        driver.run(rx, api_rx, tel_rx),
        span,
    ));
    handle
}

impl Driver {
    async fn run(
        mut self,
        mut rx: mpsc::Receiver<Box<ToSession>>,
        mut api_rx: mpsc::Receiver<Answer>,
        mut tel_rx: mpsc::Receiver<(u64, sf_voice::Written)>,
    ) {
        let inner = self.sessions.clone();
        inner.metrics.sessions.inc();
        tracing::info!("session started");
        let shutdown = inner.shutdown.clone();
        let idle_timeout = inner.config.idle_timeout;
        let reason = loop {
            self.share.count(self.core.urgency());
            // What must survive a restart is stored before anything leaves, unless all that
            // leaves now would be asked for again by a session resumed without it (a pop's
            // search, polls, list reads, the view): then it is stored right after, off the
            // pop's path.
            let store_first = !self.core.outputs_repeatable();
            let stored = if store_first {
                self.persist(true).await
            } else {
                Stored::Done
            };
            let lease = inner.lease_state(&self.user, self.generation);
            if stored == Stored::Fenced || lease == LeaseState::Lost {
                self.fenced = true;
                break ByeReason::Moved;
            }
            // Nothing leaves that the store has not taken first, nor while this instance
            // cannot vouch for the lease: wait for the next renewal, then try again.
            if stored == Stored::Failed || lease == LeaseState::Lapsed {
                if lease == LeaseState::Lapsed {
                    self.lapsed();
                }
                let mut renewed = inner.leases.subscribe();
                tokio::select! {
                    _ = renewed.changed() => {}
                    () = tokio::time::sleep(inner.leases.every()) => {}
                    () = shutdown.cancelled() => break ByeReason::Shutdown,
                }
                continue;
            }
            if let Some(reason) = self.drain() {
                break reason;
            }
            if !store_first && self.persist(false).await == Stored::Fenced {
                self.fenced = true;
                break ByeReason::Moved;
            }
            // A session holding work (a write Neotel has not accepted, a contact awaiting its
            // disposition) outlives its tabs: it still sends what it owes.
            let idle_deadline = self
                .idle_since
                .filter(|_| !self.core.holds_work())
                .map(|t| t + idle_timeout);
            let effect_deadline = self.effect_deadline();
            let keepalive = self.keepalive_at.filter(|_| !self.conns.is_empty());
            let deadline = [
                self.core.poll_timeout(),
                idle_deadline,
                effect_deadline,
                keepalive,
            ]
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
                Some(answer) = api_rx.recv() => Wake::Api(answer.0, answer.1),
                Some((id, written)) = tel_rx.recv() => Wake::Telephony(id, written),
                message = rx.recv() => Wake::Message(message.map(|m| *m)),
                () = self.share.faster() => Wake::Faster,
            };
            self.now = clock::now();
            if let Some(cadence) = self.share.cadence(self.now) {
                self.core.set_cadence(cadence, self.now);
            }
            match wake {
                Wake::Shutdown => break ByeReason::Shutdown,
                Wake::Faster => {}
                Wake::Timer => {
                    if idle_deadline.is_some_and(|d| d <= self.now) {
                        tracing::info!("no connection for {idle_timeout:?}: ending the session");
                        break ByeReason::SessionEnded;
                    }
                    if effect_deadline.is_some_and(|d| d <= self.now) {
                        self.leader_silent();
                    }
                    if keepalive.is_some_and(|d| d <= self.now) {
                        self.keep_tokens_alive().await;
                    }
                    self.feed(CoreInput::Timeout);
                }
                Wake::Api(id, result) => {
                    self.in_flight = self.in_flight.saturating_sub(1);
                    if let Some(at) = self.polls.iter().position(|p| *p == id) {
                        self.polls.swap_remove(at);
                        self.position_answer = true;
                    }
                    self.feed(CoreInput::Api { id, result });
                }
                Wake::Telephony(id, written) => self.feed(CoreInput::Telephony { id, written }),
                // The registry holds a sender while the session is registered.
                Wake::Message(None) => break ByeReason::SessionEnded,
                Wake::Message(Some(ToSession::TakeOver)) => self.taken_over().await,
                Wake::Message(Some(ToSession::HandOff)) => break self.hand_off(&mut api_rx).await,
                Wake::Message(Some(ToSession::LeaseLost)) => {
                    self.fenced = true;
                    break ByeReason::Moved;
                }
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

    /// The lease is not renewed (the store does not answer): the session waits, and its tabs
    /// are told to connect again (`moved`), so the load balancer sends them to an instance that
    /// can serve them; this one again once its store answers.
    fn lapsed(&mut self) {
        if self.conns.is_empty() {
            return;
        }
        tracing::warn!("the session's lease is not renewed: waiting, its tabs sent away");
        for (conn, tx) in self.senders() {
            self.deliver(
                conn,
                &tx,
                Down::Bye {
                    reason: ByeReason::Moved,
                },
            );
        }
        self.conns.clear();
        self.idle_since = Some(clock::now());
    }

    /// Another instance asks for the session: the tabs are told to connect again, the answers
    /// of the NeoApi calls in flight are awaited (at most a call's timeout) so the next owner
    /// starts from them, and the session is stored once more; [`Self::end`] lets it go.
    async fn hand_off(&mut self, api_rx: &mut mpsc::Receiver<Answer>) -> ByeReason {
        tracing::info!(
            in_flight = self.in_flight,
            "another instance asks for the session: handing it over"
        );
        for (conn, tx) in self.senders() {
            self.deliver(
                conn,
                &tx,
                Down::Bye {
                    reason: ByeReason::Moved,
                },
            );
        }
        self.conns.clear();
        let until = clock::now() + self.sessions.neoapi_timeout() + Duration::from_secs(1);
        while self.in_flight > 0 {
            let Ok(Some(answer)) = tokio::time::timeout_at(until.into(), api_rx.recv()).await
            else {
                break;
            };
            let (id, result) = *answer;
            self.in_flight -= 1;
            self.now = clock::now();
            self.feed(CoreInput::Api { id, result });
        }
        if self.persist(true).await == Stored::Fenced {
            self.fenced = true;
        }
        ByeReason::Moved
    }

    /// Hands the machine's snapshot to the store if it changed since last handed over, and with
    /// `wait`, waits until the store has it (else only looks whether it has by now). A failed
    /// write is handed over again on the next turn; the store writes a session's snapshots in
    /// order, so the newest one's commit says the older ones' too.
    async fn persist(&mut self, wait: bool) -> Stored {
        let pending = self.core.pending_writes();
        if pending != self.pending_writes {
            let before = self.pending_writes.count;
            self.sessions
                .pending_writes(&self.user, before, pending.count, pending.oldest);
            self.pending_writes = pending;
        }
        if let Some(settings) = self.settings_changed.take() {
            self.sessions.store_settings(&self.user, &settings).await;
            self.settings = Some(settings);
        }
        if self.core.write_snapshot(&mut self.taken) {
            let latest = match &self.storing {
                Some((handed, _)) => Some(handed.as_bytes()),
                None => self.stored.as_deref().map(str::as_bytes),
            };
            if latest != Some(self.taken.as_slice()) {
                let snapshot = String::from_utf8(self.taken.clone()).expect("JSON is UTF-8");
                let queued = self.sessions.queue_snapshot(
                    &self.user,
                    self.generation,
                    &snapshot,
                    pending.count,
                );
                match queued {
                    Some(queued) => self.storing = Some((snapshot, queued)),
                    None => self.stored = Some(snapshot),
                }
            }
        }
        let Some((_, queued)) = self.storing.as_mut() else {
            return Stored::Done;
        };
        let result = if wait {
            queued.done().await
        } else {
            match queued.try_done() {
                Some(result) => result,
                None => return Stored::Done,
            }
        };
        let (snapshot, _) = self.storing.take().expect("seen above");
        let stored = self.sessions.snapshot_stored(result);
        if stored == Stored::Done {
            self.stored = Some(snapshot);
        }
        stored
    }

    /// Renews the attached tabs' tokens (in the store too) and sets the next renewal.
    async fn keep_tokens_alive(&mut self) {
        self.sessions
            .renew_tokens(&self.user, self.generation, self.now)
            .await;
        self.keepalive_at = Some(self.now + keepalive_every(self.sessions.tokens.ttl()));
    }

    /// A password login took the session over: every tab attached until now is told so and
    /// loses its token; the new login's tab attaches next.
    async fn taken_over(&mut self) {
        for (conn, tx) in self.senders() {
            self.deliver(
                conn,
                &tx,
                Down::Bye {
                    reason: ByeReason::TakenOver,
                },
            );
        }
        self.no_leader();
        self.sessions
            .revoke_tokens(&self.user, self.generation)
            .await;
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
                CoreOutput::Api {
                    id,
                    request,
                    shared,
                } => self.run_api(id, request, shared),
                CoreOutput::Effect { id, kind, effect } => {
                    self.sessions.metrics.effect(&kind);
                    // The pop's own latency: from the `Position` that showed the contact to
                    // the search leaving for the page (stored first); the poll's wait is not ours.
                    if self.position_answer
                        && matches!(kind.as_str(), "searchAndScreenPop" | "screenPop")
                        && !self.conns.is_empty()
                    {
                        let took = clock::now().duration_since(self.now);
                        self.sessions
                            .metrics
                            .pop_latency
                            .observe(took.as_secs_f64());
                    }
                    // The machine sends effects only while a connection leads.
                    match self.conns.first().map(|c| (c.id, c.tx.clone())) {
                        Some((conn, tx)) => self.deliver(conn, &tx, Down::Effect { effect }),
                        None => tracing::error!(id, "an effect with no connection to run it"),
                    }
                }
                CoreOutput::View { mut view, lists } => {
                    if let Some(settings) = view.get("settings")
                        && self.settings.as_ref() != Some(settings)
                    {
                        self.settings_changed = Some(settings.clone());
                    }
                    // Lists (hundreds of users on a big install) travel only when they change;
                    // a tab that attaches gets them with its first view.
                    if let Some(changed) = lists {
                        view["lists"] = changed;
                    }
                    // The Salesforce Voice pages draw nothing.
                    let view = Arc::new(view);
                    for (id, tx) in self.senders_of(Surface::OpenCti) {
                        let view = view.clone();
                        self.deliver(id, &tx, Down::View { view });
                    }
                }
                CoreOutput::Ended => {
                    self.neotel_gone = true;
                    return Some(ByeReason::SessionEnded);
                }
                CoreOutput::Voice { conn, down } => {
                    let to: Vec<_> = match conn {
                        Some(c) => self
                            .conns
                            .iter()
                            .filter(|x| x.id == c)
                            .map(|x| (x.id, x.tx.clone()))
                            .collect(),
                        None => self.senders_of(Surface::Voice),
                    };
                    for (id, tx) in to {
                        self.deliver(id, &tx, down.clone());
                    }
                }
                CoreOutput::Telephony { id, write } => self.run_telephony(id, write),
                CoreOutput::VoiceCallNoted(noted) => self.voicecall_noted(&noted),
                CoreOutput::LogOut { conn, down } => {
                    tracing::info!(conn, "logout requested by Salesforce Voice");
                    self.reply(conn, down);
                    self.core.log_out(self.now);
                    let _ = self.drain();
                    return Some(ByeReason::Logout);
                }
            }
        }
        self.position_answer = false;
        None
    }

    fn senders(&self) -> Vec<(u64, mpsc::Sender<Box<Down>>)> {
        self.conns.iter().map(|c| (c.id, c.tx.clone())).collect()
    }

    fn senders_of(&self, surface: Surface) -> Vec<(u64, mpsc::Sender<Box<Down>>)> {
        self.conns
            .iter()
            .filter(|c| c.surface == surface)
            .map(|c| (c.id, c.tx.clone()))
            .collect()
    }

    /// Sends to one connection; a connection too slow to keep up is dropped.
    fn deliver(&mut self, conn: u64, tx: &mpsc::Sender<Box<Down>>, down: Down) {
        let Some(c) = self.conns.iter().find(|c| c.id == conn) else {
            // Dropped earlier in this turn.
            return;
        };
        if tx.try_send(Box::new(down)).is_err() {
            tracing::warn!(conn, "connection not keeping up: dropping it");
            c.dropped.cancel();
            self.detach(conn);
        }
    }

    fn run_api(&mut self, id: u64, request: Request, shared: bool) {
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
        if matches!(request, Request::Position { .. }) {
            self.polls.push(id);
            self.share.polled();
        }
        let sessions = self.sessions.clone();
        let tx = self.api_tx.clone();
        self.in_flight += 1;
        self.sessions.tracker.spawn(async move {
            let result = if shared {
                let (neoapi, metrics) = (&sessions.neoapi, &sessions.metrics);
                sessions.reads.read(neoapi, metrics, &request).await
            } else {
                sessions.neoapi.call(&sessions.metrics, &request).await
            };
            // The session may have ended meanwhile: nobody needs the answer then.
            let _ = tx.send(Box::new((id, result))).await;
        });
    }

    /// Sends a VoiceCall write (the snapshot that knows of it is stored: a creation is never
    /// sent twice) and feeds back what became of it.
    fn run_telephony(&mut self, id: u64, write: sf_voice::Write) {
        let Some(telephony) = self.sessions.telephony.clone() else {
            tracing::error!(id, "a VoiceCall write with no Telephony Integration API");
            return;
        };
        let tx = self.tel_tx.clone();
        let metrics = self.sessions.clone();
        self.sessions.tracker.spawn(async move {
            let kind = match write {
                sf_voice::Write::Create(_) => "create",
                sf_voice::Write::Update { .. } => "update",
            };
            let (outcome, written) = telephony.send(&write).await;
            metrics.metrics.voicecall_write(kind, outcome);
            // The session may have ended meanwhile: a resumed one sends what it still owes.
            let _ = tx.send((id, written)).await;
        });
    }

    /// What became of a VoiceCall record: logged (an unlinked call or a record not ended is
    /// the operator's to look into) and counted.
    fn voicecall_noted(&self, noted: &sf_voice::Noted) {
        use sf_voice::Noted;
        let kind = match noted {
            Noted::Linked { key } => {
                tracing::debug!(key, "VoiceCall created");
                "linked"
            }
            Noted::Unlinked { key, why } => {
                tracing::warn!(key, why, "call not linked to a VoiceCall of ours");
                "unlinked"
            }
            Noted::Ended { key } => {
                tracing::debug!(key, "VoiceCall ended");
                "ended"
            }
            Noted::NotEnded { key, why } => {
                tracing::warn!(key, why, "VoiceCall not ended");
                "notEnded"
            }
        };
        self.sessions.metrics.voicecall(kind);
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
                } else if let Err(refused) = self.core.handle(CoreInput::EffectResult(result), now)
                {
                    // An effect the machine no longer waits for (a page that went away).
                    self.reply_error(conn, ErrorCode::NotLeader, refused.message);
                }
            }
            ToSession::Event { conn, event } => {
                self.touch(now);
                // Every tab forwards Salesforce's events; only the leader's count, once.
                if self.conns.first().map(|c| c.id) == Some(conn) {
                    self.feed(CoreInput::Event(event));
                }
            }
            ToSession::VoiceCall {
                conn,
                id,
                method,
                args,
            } => {
                self.touch(now);
                self.feed(CoreInput::VoiceCall {
                    conn,
                    id,
                    method,
                    args,
                });
            }
            // Handled in the loop (they await the store or end the task).
            ToSession::TakeOver | ToSession::HandOff | ToSession::LeaseLost => {}
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
        let voice = a.surface == Surface::Voice;
        self.conns.push(Conn {
            id: a.conn,
            tx: a.tx.clone(),
            dropped: a.dropped.clone(),
            token: a.token,
            expires_at: a.expires_at,
            surface: a.surface,
        });
        self.idle_since = None;
        if self.keepalive_at.is_none() {
            self.keepalive_at = Some(self.now + keepalive_every(self.sessions.tokens.ttl()));
        }
        if leader {
            self.new_leader();
        } else {
            self.greet(a.conn, false);
        }
        if voice {
            self.feed(CoreInput::VoiceAttached { conn: a.conn });
        }
    }

    /// The first connection leads now: the machine is told (it decides what runs again of
    /// what a page before left unanswered, and sends what no page got yet).
    fn new_leader(&mut self) {
        let Some((conn, surface)) = self.conns.first().map(|c| (c.id, c.surface)) else {
            return;
        };
        tracing::debug!(conn, ?surface, "new leader");
        self.feed(CoreInput::PageChanged { conn, surface });
        self.greet(conn, true);
    }

    /// No connection is left: the machine keeps its effects for the next.
    fn no_leader(&mut self) {
        self.conns.clear();
        self.idle_since = Some(self.now);
        self.feed(CoreInput::PageGone);
    }

    /// When the leader's oldest unanswered effect times out, if another connection could
    /// take over.
    fn effect_deadline(&self) -> Option<Instant> {
        if self.conns.len() < 2 {
            return None;
        }
        self.core.oldest_unanswered().map(|t| t + EFFECT_TIMEOUT)
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

    /// `session` and the view (the machine sends a leader its effects next).
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
        let voice = c.surface == Surface::Voice;
        self.deliver(conn, &tx, session);
        // A Salesforce Voice page gets its setup from the machine instead.
        if let Some(view) = self.core.view().filter(|_| !voice) {
            let view = Arc::new(view);
            self.deliver(conn, &tx, Down::View { view });
        }
    }

    fn detach(&mut self, conn: u64) {
        let Some(index) = self.conns.iter().position(|c| c.id == conn) else {
            return;
        };
        let gone = self.conns.remove(index);
        tracing::debug!(conn, "connection detached");
        if gone.surface == Surface::Voice {
            self.feed(CoreInput::VoiceDetached { conn });
        }
        if self.conns.is_empty() {
            self.no_leader();
        } else if index == 0 {
            self.new_leader();
        }
    }

    async fn end(mut self, reason: ByeReason) {
        tracing::info!(?reason, "session ending");
        let inner = self.sessions.clone();
        // What the next owner resumes from is in the store before the session is let go.
        if !self.fenced && self.persist(true).await == Stored::Fenced {
            self.fenced = true;
        }
        inner.registry.remove(&self.user, self.session);
        let before = self.pending_writes.count;
        inner.pending_writes(&self.user, before, 0, None);
        // A server that stops keeps its sessions (and the agents logged in to Neotel): the next
        // start, or another instance at once, resumes them, unless the operator chose
        // otherwise. A session handed over goes on elsewhere; one whose lease was lost is
        // another instance's already: nothing of it is written here.
        let mut resumes = reason == ByeReason::Moved
            || (reason == ByeReason::Shutdown && !inner.config.logout_on_shutdown);
        if self.fenced {
            inner.leases.forget(&self.user, self.generation);
            resumes = true;
        } else if resumes {
            inner.release_session(&self.user, self.generation).await;
        } else if inner.forget_session(&self.user, self.generation).await == Stored::Fenced {
            // Another instance runs it: that one logs out when it ends.
            resumes = true;
        }
        for (conn, tx) in self.senders() {
            self.deliver(conn, &tx, Down::Bye { reason });
        }
        self.conns.clear();
        // NeoApi Logout, except when Neotel already ended it or the session resumes.
        if !self.neotel_gone && !resumes {
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
