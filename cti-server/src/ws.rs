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
    let (down_tx, mut down_rx) = mpsc::channel::<Down>(256);
    let mut attached: Option<Attached> = None;
    let mut bad = 0u32;
    // A tab that vanished without closing (sleep, network loss) must not stay leader: ping it
    // and drop it when nothing comes back.
    let mut last_seen = clock::now();
    let mut heartbeat = tokio::time::interval_at((last_seen + HEARTBEAT).into(), HEARTBEAT);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let close = loop {
        tokio::select! {
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
                let bye = match down {
                    Down::Bye { reason: ByeReason::Shutdown } => Some((CLOSE_GOING_AWAY, "server shutting down")),
                    Down::Bye { reason: ByeReason::Abuse } => Some((CLOSE_POLICY, "too many bad messages")),
                    Down::Bye { reason: ByeReason::Logout } => Some((CLOSE_NORMAL, "logged out")),
                    Down::Bye { reason: ByeReason::SessionEnded } => Some((CLOSE_NORMAL, "session ended")),
                    _ => None,
                };
                if send(&mut sink, &down).await.is_err() {
                    break None;
                }
                if bye.is_some() {
                    // The session dropped this connection already.
                    attached = None;
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
                    Step::Reply(down) => {
                        if matches!(&down, Down::Error { code: ErrorCode::BadMessage, .. }) {
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
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), sink.close()).await;
    sessions.metrics.connections.dec();
}

enum Step {
    Continue,
    Reply(Down),
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
    down_tx: &mpsc::Sender<Down>,
    attached: &mut Option<Attached>,
    up: Up,
) -> Step {
    let sessions = state.sessions();
    match up {
        Up::Login {
            device,
            user,
            password,
        } => {
            if attached.is_some() {
                return Step::Reply(error(
                    ErrorCode::AlreadyInSession,
                    "this connection already has a session",
                ));
            }
            if let Err(m) = check_name("device", &device).and(check_name("user", &user)) {
                return Step::Reply(error(ErrorCode::BadMessage, &m));
            }
            if !state.inner.limiter.allow(&user, client) {
                sessions.metrics.login("rateLimited");
                tracing::warn!(%user, %client, "login refused: rate limited");
                return Step::Reply(error(
                    ErrorCode::RateLimited,
                    "too many login attempts; wait a minute",
                ));
            }
            match session::login(sessions, &device, &user, password.0.into()).await {
                Ok(session) => {
                    sessions.metrics.login("ok");
                    attach(state, down_tx, attached, session).await
                }
                Err(e) => {
                    sessions.metrics.login(e.outcome());
                    tracing::info!(%user, %device, %client, error = %e, "login refused");
                    Step::Reply(error(e.code(), &e.to_string()))
                }
            }
        }
        Up::Attach { token } => {
            if attached.is_some() {
                return Step::Reply(error(
                    ErrorCode::AlreadyInSession,
                    "this connection already has a session",
                ));
            }
            let session = sessions
                .tokens
                .check(&token, clock::now())
                .and_then(|grant| sessions.registry.get(&grant.user));
            match session {
                Some(session) => attach(state, down_tx, attached, session).await,
                None => {
                    tracing::info!(%client, "attach refused: invalid token");
                    Step::Reply(error(
                        ErrorCode::InvalidToken,
                        "the session token is unknown or expired; log in again",
                    ))
                }
            }
        }
        Up::Command { command } => {
            forward(attached, |conn| ToSession::Command { conn, command }).await
        }
        Up::EffectResult(result) => {
            forward(attached, |conn| ToSession::EffectResult { conn, result }).await
        }
        Up::Event { event } => forward(attached, |conn| ToSession::Event { conn, event }).await,
        Up::Logout => forward(attached, |conn| ToSession::Logout { conn }).await,
    }
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
    down_tx: &mpsc::Sender<Down>,
    attached: &mut Option<Attached>,
    session: SessionHandle,
) -> Step {
    // A fresh token for every connection; the page keeps the newest.
    let (token, expires) = state.sessions().issue_token(session.user()).await;
    let expires_at = clock::wall_at(expires);
    let conn = session::next_connection_id();
    let attachment = Attachment {
        conn,
        tx: down_tx.clone(),
        token,
        expires_at: expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    if session.send(ToSession::Attach(attachment)).await {
        *attached = Some(Attached { session, conn });
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
        let sessions = crate::session::scripted::sessions(Config::defaults());
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
        let state = state();
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

    #[tokio::test]
    async fn a_login_flood_is_refused_before_neoapi() {
        let state = state();
        let mut page = open(&state);
        // NeoApi is a closed port here: the first five attempts reach it and fail as
        // unavailable; the sixth is refused by the limiter without trying.
        for _ in 0..5 {
            page.send(r#"{"v":1,"type":"login","device":"SIP/1001","user":"1001","password":"x"}"#);
            assert_eq!(page.json().await["code"], "neoApiUnavailable");
        }
        page.send(r#"{"v":1,"type":"login","device":"SIP/1001","user":"1001","password":"x"}"#);
        assert_eq!(page.json().await["code"], "rateLimited");
        let text = state.metrics().render();
        assert!(
            text.contains("cti_logins_total{outcome=\"rateLimited\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("cti_logins_total{outcome=\"unavailable\"} 5"),
            "{text}"
        );
    }
}
