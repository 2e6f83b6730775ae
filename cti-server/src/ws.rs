//! One browser connection: decodes the page's messages, authenticates it (login or token) and
//! relays between the page and its agent's session task.
//!
//! Generic over `Sink`/`Stream` so unit tests drive it with channels.

use std::net::IpAddr;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message};
use futures::{Sink, SinkExt as _, Stream, StreamExt as _};
use tokio::sync::mpsc;

use crate::clock;
use crate::protocol::{self, ByeReason, Down, ErrorCode, Up};
use crate::security::AccountRefusal;
use crate::session::{self, Attachment, SessionHandle, ToSession};
use crate::state::AppState;

/// Bad messages a connection may send before it is closed as abusive.
const MAX_BAD_MESSAGES: u32 = 20;

/// How often the server pings a connection; three intervals of silence close it.
const HEARTBEAT: Duration = Duration::from_secs(20);

/// Close codes (RFC 6455).
const CLOSE_NORMAL: u16 = 1000;
const CLOSE_GOING_AWAY: u16 = 1001;
const CLOSE_POLICY: u16 = 1008;

/// What the connection is attached to, once logged in or attached.
struct Attached {
    session: SessionHandle,
    conn: u64,
    /// The session dropped this connection (see [`Attachment::dropped`]).
    dropped: tokio_util::sync::CancellationToken,
}

/// Runs one connection until the page closes it, the session ends or the server shuts down.
pub(crate) async fn run<S, R, E>(state: AppState, client: IpAddr, mut sink: S, mut stream: R)
where
    S: Sink<Message> + Unpin,
    R: Stream<Item = Result<Message, E>> + Unpin,
    E: std::fmt::Display,
{
    let sessions = state.sessions().clone();
    sessions.metrics.connections.inc();
    let shutdown = sessions.shutdown.clone();
    let (down_tx, mut down_rx) = mpsc::channel::<Box<Down>>(256);
    let mut attached: Option<Attached> = None;
    let mut bad = 0u32;
    // A tab that vanished without closing (sleep, network loss) must not stay leader: ping it
    // and drop it when nothing comes back.
    let mut last_seen = clock::now();
    let mut heartbeat = tokio::time::interval_at((last_seen + HEARTBEAT).into(), HEARTBEAT);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // A connection without a session has this long to get one: idle sockets cannot pile up.
    let deadline = sessions.config.limits.login_deadline;
    let mut login_by = Some(last_seen + deadline);
    let close = loop {
        match (&attached, login_by) {
            (Some(_), _) => login_by = None,
            (None, None) => login_by = Some(clock::now() + deadline),
            (None, Some(_)) => {}
        }
        let login_timer =
            tokio::time::sleep_until(login_by.unwrap_or(last_seen + HEARTBEAT).into());
        let dropped = attached.as_ref().map(|a| a.dropped.clone());
        tokio::select! {
            () = async {
                match &dropped {
                    Some(d) => d.cancelled().await,
                    None => std::future::pending().await,
                }
            } => {
                tracing::warn!(%client, "dropped by its session for not keeping up: closing");
                attached = None;
                break Some((CLOSE_GOING_AWAY, "not keeping up"));
            }
            () = login_timer, if login_by.is_some() => {
                tracing::debug!(%client, "no login in time: closing");
                sessions.metrics.refused("loginDeadline");
                let _ = send(&mut sink, &Down::Bye { reason: ByeReason::LoginTimeout }).await;
                break Some((CLOSE_POLICY, "no login or attach in time"));
            }
            _ = heartbeat.tick() => {
                if clock::now().duration_since(last_seen) > HEARTBEAT * 3 {
                    tracing::debug!(%client, "no answer to pings: closing");
                    break Some((CLOSE_GOING_AWAY, "no heartbeat"));
                }
                if sink.send(Message::Ping(Default::default())).await.is_err() {
                    break None;
                }
            }
            () = shutdown.cancelled() => {
                let _ = send(&mut sink, &Down::Bye { reason: ByeReason::Shutdown }).await;
                break Some((CLOSE_GOING_AWAY, "server shutting down"));
            }
            down = down_rx.recv() => {
                // The connection holds a sender itself, so the channel never closes here.
                let Some(down) = down else { break None };
                let down = *down;
                let bye = match down {
                    Down::Bye { reason: ByeReason::Shutdown } => Some((CLOSE_GOING_AWAY, "server shutting down")),
                    Down::Bye { reason: ByeReason::Abuse } => Some((CLOSE_POLICY, "too many bad messages")),
                    Down::Bye { reason: ByeReason::Logout } => Some((CLOSE_NORMAL, "logged out")),
                    Down::Bye { reason: ByeReason::SessionEnded } => Some((CLOSE_NORMAL, "session ended")),
                    Down::Bye { reason: ByeReason::Moved } => Some((CLOSE_GOING_AWAY, "session moved")),
                    _ => None,
                };
                let let_go = matches!(down, Down::Bye { .. });
                if send(&mut sink, &down).await.is_err() {
                    break None;
                }
                if let_go {
                    // The session dropped this connection already: it is free again (a tab
                    // taken over stays open, and may log in again, as any user).
                    attached = None;
                }
                if bye.is_some() {
                    break bye;
                }
            }
            incoming = stream.next() => {
                last_seen = clock::now();
                let text = match incoming {
                    None | Some(Ok(Message::Close(_))) => break None,
                    Some(Err(e)) => {
                        // tungstenite reports oversized messages here; the socket is unusable.
                        tracing::debug!(%client, error = %e, "connection error");
                        break None;
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Binary(_))) => {
                        bad += 1;
                        let _ = send(&mut sink, &error(ErrorCode::BadMessage, "binary messages are not part of the protocol")).await;
                        if bad > MAX_BAD_MESSAGES { break abusive(&mut sink).await; }
                        continue;
                    }
                    Some(Ok(Message::Text(text))) => text,
                };
                let limit = sessions.config.max_message_bytes;
                if text.len() > limit {
                    bad += 1;
                    let message = format!("messages are limited to {limit} bytes");
                    let _ = send(&mut sink, &error(ErrorCode::MessageTooLarge, &message)).await;
                    if bad > MAX_BAD_MESSAGES { break abusive(&mut sink).await; }
                    continue;
                }
                let up = match protocol::decode_up(text.as_str()) {
                    Ok(up) => up,
                    Err(e) => {
                        bad += 1;
                        let _ = send(&mut sink, &error(e.code(), &e.to_string())).await;
                        if bad > MAX_BAD_MESSAGES { break abusive(&mut sink).await; }
                        continue;
                    }
                };
                match handle(&state, client, &down_tx, &mut attached, up).await {
                    Step::Continue => {}
                    Step::Bye(reason) => {
                        let _ = send(&mut sink, &Down::Bye { reason }).await;
                        break Some((CLOSE_GOING_AWAY, "session moved"));
                    }
                    Step::Reply(down) => {
                        if matches!(&down, Down::Error { code: ErrorCode::BadMessage | ErrorCode::TooManyCommands, .. }) {
                            bad += 1;
                        }
                        if send(&mut sink, &down).await.is_err() { break None; }
                        if bad > MAX_BAD_MESSAGES { break abusive(&mut sink).await; }
                    }
                }
            }
        }
    };
    if let Some(a) = attached.take() {
        a.session.send(ToSession::Detach { conn: a.conn }).await;
    }
    if let Some((code, reason)) = close {
        let _ = sink
            .send(Message::Close(Some(CloseFrame {
                code,
                reason: reason.into(),
            })))
            .await;
        // The closing handshake: what the page still sends is read and dropped until its own
        // close (a second at most), so the socket is not reset with the reason unread.
        let _ = tokio::time::timeout(Duration::from_secs(1), async {
            while let Some(Ok(m)) = stream.next().await {
                if matches!(m, Message::Close(_)) {
                    break;
                }
            }
        })
        .await;
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), sink.close()).await;
    sessions.metrics.connections.dec();
}

enum Step {
    Continue,
    Reply(Down),
    /// Say goodbye and close (the page connects again).
    Bye(ByeReason),
}

fn error(code: ErrorCode, message: &str) -> Down {
    Down::Error {
        code,
        message: message.to_owned(),
        text: None,
    }
}

async fn abusive<S: Sink<Message> + Unpin>(sink: &mut S) -> Option<(u16, &'static str)> {
    let _ = send(
        sink,
        &Down::Bye {
            reason: ByeReason::Abuse,
        },
    )
    .await;
    Some((CLOSE_POLICY, "too many bad messages"))
}

async fn send<S: Sink<Message> + Unpin>(sink: &mut S, down: &Down) -> Result<(), ()> {
    sink.send(Message::Text(protocol::encode_down(down).into()))
        .await
        .map_err(|_| ())
}

async fn handle(
    state: &AppState,
    client: IpAddr,
    down_tx: &mpsc::Sender<Box<Down>>,
    attached: &mut Option<Attached>,
    up: Up,
) -> Step {
    let sessions = state.sessions();
    match up {
        Up::Login {
            device,
            user,
            password,
            surface,
            voice,
        } => {
            if attached.is_some() {
                return Step::Reply(error(
                    ErrorCode::AlreadyInSession,
                    "this connection already has a session",
                ));
            }
            if let Some(refused) = voice_mismatch(state, surface, voice.as_ref()) {
                return refused;
            }
            // The user as Neotel and every limit know it, however it was typed.
            let user = cti_core::user_name(&user);
            if let Err(m) = check_name("device", &device).and(check_name("user", &user)) {
                return Step::Reply(error(ErrorCode::BadMessage, &m));
            }
            let attempt = match state.inner.limiter.begin(&user, client, clock::now()) {
                Ok(attempt) => attempt,
                Err(wait) => {
                    sessions.metrics.login("rateLimited");
                    tracing::warn!(%user, %client, "login refused: too many failures");
                    let message = format!(
                        "too many failed logins for this user from this address; try again in {} s",
                        wait.as_secs().max(1)
                    );
                    return Step::Reply(error(ErrorCode::RateLimited, &message));
                }
            };
            // Then the account's own bound, whatever the address (a distributed guesser).
            let account = match state.inner.accounts.begin(&user, &device, client).await {
                Ok(account) => account,
                Err(throttled @ AccountRefusal::Throttled(_)) => {
                    sessions.metrics.login("throttled");
                    tracing::warn!(%user, %client, "login refused: too many failures for this user");
                    return Step::Reply(error(ErrorCode::RateLimited, &throttled.to_string()));
                }
                Err(AccountRefusal::Store(e)) => {
                    sessions.metrics.login("storeUnavailable");
                    tracing::error!(error = %e, "login refused: the session store did not answer");
                    let message = "the session store is unavailable";
                    return Step::Reply(error(ErrorCode::StoreUnavailable, message));
                }
            };
            match session::login(sessions, &device, &user, password.0.into()).await {
                Ok(session) => {
                    attempt.succeeded();
                    account.succeeded().await;
                    sessions.metrics.login("ok");
                    attach(state, down_tx, attached, session, surface).await
                }
                Err(e) => {
                    // Only a wrong user or password counts against the limits.
                    if e.code() == ErrorCode::LoginFailed {
                        attempt.failed();
                        account.failed();
                    }
                    sessions.metrics.login(e.outcome());
                    tracing::info!(%user, %device, %client, error = ?e, "login refused");
                    Step::Reply(error(e.code(), &e.answer()))
                }
            }
        }
        Up::Attach {
            token,
            surface,
            voice,
        } => {
            if attached.is_some() {
                return Step::Reply(error(
                    ErrorCode::AlreadyInSession,
                    "this connection already has a session",
                ));
            }
            if let Some(refused) = voice_mismatch(state, surface, voice.as_ref()) {
                return refused;
            }
            // The session may run on another instance, or on none: it is taken over here.
            match session::by_token(sessions, &token).await {
                Ok(session) => attach(state, down_tx, attached, session, surface).await,
                Err(session::TokenError::Busy) => {
                    tracing::info!(%client, "attach deferred: the session is not free yet");
                    Step::Bye(ByeReason::Moved)
                }
                Err(session::TokenError::Invalid) => {
                    tracing::info!(%client, "attach refused: invalid token");
                    Step::Reply(error(
                        ErrorCode::InvalidToken,
                        "the session token is unknown or expired; log in again",
                    ))
                }
            }
        }
        Up::Command { command } => {
            if let Some(refused) = over_command_limit(state, attached.as_ref()) {
                return refused;
            }
            forward(attached, |conn| ToSession::Command { conn, command }).await
        }
        Up::EffectResult(result) => {
            forward(attached, |conn| ToSession::EffectResult { conn, result }).await
        }
        Up::Event { event } => {
            if let Some(refused) = over_command_limit(state, attached.as_ref()) {
                return refused;
            }
            forward(attached, |conn| ToSession::Event { conn, event }).await
        }
        Up::Logout => forward(attached, |conn| ToSession::Logout { conn }).await,
        Up::VoiceCall { id, method, args } => {
            // An error about a method call must answer it: a bare `error` names no call.
            let refuse = |code: ErrorCode, message: String| {
                Step::Reply(Down::VoiceResult {
                    id,
                    ok: false,
                    result: None,
                    error: Some(serde_json::json!({
                        "type": "GENERIC_ERROR",
                        "message": format!("{}: {message}", serde_json::json!(code)),
                    })),
                })
            };
            if attached.is_none() {
                return refuse(ErrorCode::NotLoggedIn, "log in or attach first".into());
            }
            if let Some(Step::Reply(Down::Error { code, message, .. })) =
                over_command_limit(state, attached.as_ref())
            {
                return refuse(code, message);
            }
            forward(attached, |conn| ToSession::VoiceCall {
                conn,
                id,
                method,
                args,
            })
            .await
        }
    }
}

/// A Salesforce Voice page of another org or contact center than the server's: refused
/// (the server never uses the browser's values for its own calls; it only compares them).
fn voice_mismatch(
    state: &AppState,
    surface: protocol::Surface,
    voice: Option<&protocol::VoiceIdentity>,
) -> Option<Step> {
    if surface != protocol::Surface::Voice {
        return None;
    }
    let wanted = &state.sessions().config.voice;
    let said = voice.cloned().unwrap_or_default();
    // Only what both sides name is compared; an org id in either of its forms.
    let differs = |ours: &Option<String>, theirs: &Option<String>, same: fn(&str, &str) -> bool| {
        ours.as_ref()
            .is_some_and(|o| theirs.as_ref().is_some_and(|t| !same(o, t)))
    };
    if differs(
        &wanted.organization_id,
        &said.organization_id,
        sf_voice::same_id,
    ) || differs(&wanted.call_center, &said.call_center, |o, t| {
        o.eq_ignore_ascii_case(t)
    }) {
        state.metrics().refused("voiceMismatch");
        tracing::warn!(
            ?said,
            "a Salesforce Voice page of another org or contact center"
        );
        return Some(Step::Reply(error(
            ErrorCode::VoiceMismatch,
            "this Salesforce Voice contact center is not the one this server is set up for",
        )));
    }
    None
}

/// A command or page event over the session's rate: refused before it can become NeoApi calls.
fn over_command_limit(state: &AppState, attached: Option<&Attached>) -> Option<Step> {
    let a = attached?;
    if state.inner.commands.allow(a.session.user()) {
        return None;
    }
    state.metrics().refused("commandRate");
    let limits = &state.sessions().config.limits;
    let message = format!(
        "too many commands: at most {} a second ({} at once); slow down",
        limits.commands_per_second, limits.command_burst
    );
    Some(Step::Reply(error(ErrorCode::TooManyCommands, &message)))
}

/// Refuses empty, huge or control-character names before they reach NeoApi.
fn check_name(what: &str, value: &str) -> Result<(), String> {
    if value.trim().is_empty() || value.len() > 64 || value.chars().any(char::is_control) {
        return Err(format!("{what} must be 1 to 64 printable characters"));
    }
    Ok(())
}

async fn attach(
    state: &AppState,
    down_tx: &mpsc::Sender<Box<Down>>,
    attached: &mut Option<Attached>,
    session: SessionHandle,
    surface: protocol::Surface,
) -> Step {
    // A fresh token for every connection; the page keeps the newest.
    let (token, expires) = state
        .sessions()
        .issue_token(session.user(), session.generation())
        .await;
    let expires_at = clock::wall_at(expires);
    let conn = session::next_connection_id();
    let dropped = tokio_util::sync::CancellationToken::new();
    let attachment = Attachment {
        conn,
        tx: down_tx.clone(),
        dropped: dropped.clone(),
        token,
        expires_at: expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        surface,
    };
    if session.send(ToSession::Attach(attachment)).await {
        *attached = Some(Attached {
            session,
            conn,
            dropped,
        });
        Step::Continue
    } else {
        Step::Reply(error(
            ErrorCode::InvalidToken,
            "the session has ended; log in again",
        ))
    }
}

async fn forward(attached: &mut Option<Attached>, make: impl FnOnce(u64) -> ToSession) -> Step {
    let Some(a) = attached.as_ref() else {
        return Step::Reply(error(
            ErrorCode::NotLoggedIn,
            "log in or attach with a token first",
        ));
    };
    if a.session.send(make(a.conn)).await {
        Step::Continue
    } else {
        *attached = None;
        Step::Reply(error(ErrorCode::NotLoggedIn, "the session has ended"))
    }
}

#[cfg(test)]
mod tests {
    //! The connection driven through channels (no socket, no NeoApi needed).

    use std::convert::Infallible;

    use futures::channel::mpsc as fmpsc;
    use serde_json::{Value, json};

    use super::*;
    use crate::config::Config;

    struct Page {
        to_server: fmpsc::UnboundedSender<Result<Message, Infallible>>,
        from_server: fmpsc::UnboundedReceiver<Message>,
        task: tokio::task::JoinHandle<()>,
    }

    fn state() -> AppState {
        state_with(Config::defaults())
    }

    fn state_with(config: Config) -> AppState {
        let sessions = crate::session::scripted::sessions(config);
        AppState::new(sessions, "http://127.0.0.1:8080".into(), &[])
    }

    fn open(state: &AppState) -> Page {
        let (to_server, stream) = fmpsc::unbounded();
        let (sink, from_server) = fmpsc::unbounded();
        let task = tokio::spawn(run(
            state.clone(),
            "10.0.0.1".parse().unwrap(),
            sink,
            stream,
        ));
        Page {
            to_server,
            from_server,
            task,
        }
    }

    impl Page {
        fn send(&self, text: impl Into<String>) {
            self.to_server
                .unbounded_send(Ok(Message::Text(text.into().into())))
                .unwrap();
        }
        async fn recv(&mut self) -> Message {
            tokio::time::timeout(Duration::from_secs(5), self.from_server.next())
                .await
                .expect("an answer within 5 s")
                .expect("the connection is open")
        }
        /// The next message is a close frame with `code`, and the connection's task ends.
        async fn closed_with(mut self, code: u16) {
            match self.recv().await {
                Message::Close(Some(frame)) => assert_eq!(frame.code, code),
                other => panic!("expected a close frame, got {other:?}"),
            }
            self.task.await.unwrap();
        }
        async fn json(&mut self) -> Value {
            loop {
                match self.recv().await {
                    Message::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
                    Message::Ping(_) => {}
                    other => panic!("expected text, got {other:?}"),
                }
            }
        }
    }

    #[tokio::test]
    async fn nothing_works_before_login_and_bad_input_is_a_typed_error() {
        let state = state();
        let mut page = open(&state);
        page.send(r#"{"v":1,"type":"command","command":{"command":"dial","number":"1"}}"#);
        assert_eq!(page.json().await["code"], "notLoggedIn");
        page.send(r#"{"v":1,"type":"logout"}"#);
        assert_eq!(page.json().await["code"], "notLoggedIn");
        page.send("{not json");
        assert_eq!(page.json().await["code"], "badMessage");
        page.send(r#"{"v":7,"type":"logout"}"#);
        assert_eq!(page.json().await["code"], "unsupportedVersion");
        page.send("x".repeat(70 * 1024));
        assert_eq!(page.json().await["code"], "messageTooLarge");
        page.send(json!({"v":1,"type":"attach","token":"A".repeat(43)}).to_string());
        assert_eq!(page.json().await["code"], "invalidToken");
        page.send(r#"{"v":1,"type":"login","device":"","user":"1001","password":"x"}"#);
        assert_eq!(page.json().await["code"], "badMessage");
        // Still open.
        page.send(r#"{"v":1,"type":"logout"}"#);
        assert_eq!(page.json().await["code"], "notLoggedIn");
    }

    #[tokio::test]
    async fn an_abusive_connection_is_closed_with_a_policy_code() {
        let state = state();
        let mut page = open(&state);
        for _ in 0..=MAX_BAD_MESSAGES {
            page.send("nope");
        }
        for _ in 0..=MAX_BAD_MESSAGES {
            assert_eq!(page.json().await["code"], "badMessage");
        }
        assert_eq!(page.json().await["reason"], "abuse");
        page.closed_with(CLOSE_POLICY).await;
    }

    #[tokio::test]
    async fn shutdown_says_bye_and_closes_with_going_away() {
        let state = state();
        let mut page = open(&state);
        state.sessions().shutdown.cancel();
        assert_eq!(page.json().await["reason"], "shutdown");
        page.closed_with(CLOSE_GOING_AWAY).await;
        assert_eq!(state.metrics().connections.get(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_connection_is_pinged_then_closed() {
        let mut config = Config::defaults();
        config.limits.login_deadline = HEARTBEAT * 10;
        let state = state_with(config);
        let mut page = open(&state);
        tokio::time::sleep(HEARTBEAT * 4 + Duration::from_secs(1)).await;
        assert!(matches!(page.recv().await, Message::Ping(_)));
        loop {
            match page.recv().await {
                Message::Ping(_) => {}
                Message::Close(Some(frame)) => {
                    assert_eq!(frame.code, CLOSE_GOING_AWAY);
                    break;
                }
                other => panic!("expected pings then a close, got {other:?}"),
            }
        }
        page.task.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_without_a_login_is_closed_at_the_deadline() {
        let state = state();
        let mut page = open(&state);
        page.send(r#"{"v":1,"type":"logout"}"#);
        assert_eq!(
            page.json().await["code"],
            "notLoggedIn",
            "a message is no login"
        );
        tokio::time::sleep(state.sessions().config.limits.login_deadline).await;
        assert_eq!(page.json().await["reason"], "loginTimeout");
        page.closed_with(CLOSE_POLICY).await;
        let text = state.metrics().render();
        assert!(
            text.contains("cti_refused_total{kind=\"loginDeadline\"} 1"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn only_a_refused_password_counts_against_the_login_limit() {
        let state = state();
        let mut page = open(&state);
        // NeoApi is a closed port here: every attempt reaches it and fails as unavailable,
        // which says nothing about the password, so none is refused by the limiter.
        for _ in 0..8 {
            page.send(r#"{"v":1,"type":"login","device":"SIP/1001","user":"1001","password":"x"}"#);
            assert_eq!(page.json().await["code"], "neoApiUnavailable");
        }
        let text = state.metrics().render();
        assert!(
            text.contains("cti_logins_total{outcome=\"unavailable\"} 8"),
            "{text}"
        );
        assert!(!text.contains("rateLimited"), "{text}");
    }
}
