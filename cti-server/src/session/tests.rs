//! The driver with a scripted machine: routing, leadership, idle end. NeoApi is a closed port,
//! so calls fail fast; nothing here needs cti-core.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;

use super::driver;
use super::hub::Sessions;
use super::registry::{Attachment, SessionHandle, ToSession, next_connection_id};
use super::scripted::{self, Scripted};
use crate::clock;
use crate::config::Config;
use crate::protocol::{ByeReason, Down, EffectResult, ErrorCode, PageEvent, PageRecord};

fn state() -> Arc<Sessions> {
    let mut config = Config::defaults();
    config.idle_timeout = Duration::from_secs(30);
    scripted::sessions(config)
}

fn start(state: &Arc<Sessions>) -> (SessionHandle, Arc<Mutex<Vec<String>>>) {
    let core = Scripted::new("1001");
    let seen = core.seen.clone();
    let handle = driver::spawn(
        state,
        driver::Start {
            user: "1001",
            device: "SIP/1001",
            verifier: "",
            generation: 0,
            core: Box::new(core),
            now: clock::now(),
        },
    );
    (handle, seen)
}

async fn connect(handle: &SessionHandle) -> (u64, mpsc::Receiver<Box<Down>>) {
    let (tx, rx) = mpsc::channel(16);
    let conn = next_connection_id();
    assert!(
        handle
            .send(ToSession::Attach(Attachment {
                conn,
                tx,
                dropped: tokio_util::sync::CancellationToken::new(),
                token: format!("token{conn}"),
                expires_at: "2030-01-01T00:00:00Z".into(),
                surface: crate::protocol::Surface::OpenCti,
            }))
            .await
    );
    (conn, rx)
}

async fn next(rx: &mut mpsc::Receiver<Box<Down>>) -> Down {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("a message within 5 s")
        .map(|down| *down)
        .expect("the session keeps the channel")
}

/// `conn` answers an effect with `result` and is told it does not lead (or nothing waits).
async fn refused_as_not_leader(
    handle: &SessionHandle,
    conn: u64,
    rx: &mut mpsc::Receiver<Box<Down>>,
    result: EffectResult,
) {
    handle.send(ToSession::EffectResult { conn, result }).await;
    assert!(matches!(
        next(rx).await,
        Down::Error {
            code: ErrorCode::NotLeader,
            ..
        }
    ));
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
    refused_as_not_leader(&handle, b, &mut rx_b, result.clone()).await;

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
    refused_as_not_leader(&handle, b, &mut rx_b, result.clone()).await;
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
    let metrics = state.metrics.render();
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
        record: PageRecord::default(),
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
        .registry
        .reserve("1001")
        .unwrap()
        .register(handle.clone());
    handle.send(ToSession::Detach { conn: a }).await;
    tokio::time::sleep(Duration::from_secs(29)).await;
    assert!(
        state.registry.get("1001").is_some(),
        "still inside the idle timeout"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    // The driver ends: unregistered, NeoApi Logout attempted.
    state.tracker.close();
    state.tracker.wait().await;
    assert!(state.registry.get("1001").is_none());
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
    state.tracker.close();
    state.tracker.wait().await;
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
    state.tracker.close();
    state.tracker.wait().await;
    assert!(!seen.lock().unwrap().contains(&"logout".to_owned()));
}

/// An open tab keeps its token alive however long the agent leaves it idle (issue 13): the
/// reload after a quiet hour still attaches.
#[tokio::test(start_paused = true)]
async fn an_open_tab_keeps_its_token_alive() {
    let mut config = Config::defaults();
    config.token_ttl = Duration::from_secs(60);
    let state = scripted::sessions(config);
    let (token, _) = state.issue_token("1001", 0).await;
    let (handle, _seen) = start(&state);
    let (_tab, mut rx) = connect(&handle).await;
    next(&mut rx).await;
    // An hour of nothing from the tab but its open socket.
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
    assert!(
        state.tokens.check(&token, clock::now()).is_some(),
        "the open tab's token is alive"
    );
    // Once no tab is open, the token dies after its life.
    let other = state.issue_token("1002", 0).await.0;
    tokio::time::sleep(Duration::from_secs(61)).await;
    assert!(state.tokens.check(&other, clock::now()).is_none());
}

/// A tab that stops reading (its queue full) is dropped by its session, and told to close:
/// no `bye` can reach it through the full queue, and a tab left open would wait forever.
#[tokio::test]
async fn a_tab_that_does_not_keep_up_is_dropped_and_closed() {
    let state = state();
    let (handle, _) = start(&state);
    let (tx, _rx) = mpsc::channel(1);
    let dropped = tokio_util::sync::CancellationToken::new();
    assert!(
        handle
            .send(ToSession::Attach(Attachment {
                conn: next_connection_id(),
                tx,
                dropped: dropped.clone(),
                token: "slow".into(),
                expires_at: "2030-01-01T00:00:00Z".into(),
                surface: crate::protocol::Surface::OpenCti,
            }))
            .await
    );
    let (_fast, mut fast_rx) = connect(&handle).await;
    for _ in 0..4 {
        handle
            .send(ToSession::Command {
                conn: 0,
                command: serde_json::json!({"emit": "view"}),
            })
            .await;
    }
    tokio::time::timeout(Duration::from_secs(5), dropped.cancelled())
        .await
        .expect("the slow tab is dropped and told to close");
    // The other tab goes on.
    let _ = next(&mut fast_rx).await;
}
