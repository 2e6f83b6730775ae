//! Issue 13, black-box: the built server as its own process against the simulator, stopped
//! (SIGTERM), killed (SIGKILL) and started again on the same data directory while Neotel (the
//! simulator) goes on. Nothing the agent entered is lost, nothing is written twice, and nobody is
//! locked out of Neotel.

mod common;

use std::time::Duration;

use common::process::{ServerProcess, Sim};
use common::{Ws, contact_in_wrap_up, until_view};
use serde_json::{Value, json};

fn command(c: Value) -> Value {
    json!({"v":1,"type":"command","command":c})
}

/// Categorizes the contact `view` shows (subcategory 26, `notes`) and waits until it is
/// released.
async fn categorize(tab: &mut Ws, view: &Value, notes: &str) {
    let mut seen = Vec::new();
    let handle = view["contact"]["handle"].clone();
    tab.send(command(
        json!({"command":"release","subcategory":26,"notes":notes,"contact":handle}),
    ))
    .await;
    until_view(tab, &mut seen, "the contact released", |v| {
        v["contact"]["released"] == true
    })
    .await;
}

/// A tab attached with `token` gets its session, then a view that satisfies `pred`.
async fn reattached(
    server: &ServerProcess,
    token: &str,
    what: &str,
    pred: impl Fn(&Value) -> bool,
) -> (Ws, Value) {
    let (mut tab, first) = server.attached(token).await;
    assert_eq!(
        first["type"], "session",
        "the old token still opens the session: {first}"
    );
    let view = until_view(&mut tab, &mut Vec::new(), what, pred).await;
    (tab, view)
}

#[tokio::test]
async fn sigterm_keeps_the_contact_and_neotel_is_not_logged_out() {
    let sim = Sim::start().await;
    let data = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::start(&sim, data.path(), &[]).await;
    let (mut tab, token) = server.logged_in("1001").await;
    let contact = contact_in_wrap_up(&mut tab, &sim, "1001").await["info"]["contactId"].clone();

    server.terminate();
    assert_eq!(
        tab.recv_type("bye").await["reason"],
        "shutdown",
        "the page is told the server stops"
    );
    assert!(
        !sim.calls_of("1001").await.contains(&"Logout".to_owned()),
        "a stop does not log the agent out of Neotel"
    );

    server.spawn().await;
    let (mut tab, view) = reattached(&server, &token, "the same contact", |v| {
        v["info"]["contactId"] == contact && v["actions"]["categorize"] == true
    })
    .await;
    categorize(&mut tab, &view, "after the deploy").await;
    let outcomes = sim.outcomes().await;
    assert_eq!(outcomes.len(), 1, "{outcomes:?}");
    assert_eq!(outcomes[0]["contact_id"], contact);
    assert_eq!(outcomes[0]["notes"], "after the deploy");
    assert_eq!(sim.applied("UpdateContact").await, 1);
}

#[tokio::test]
async fn sigkill_resumes_every_session_and_a_password_login_takes_it_over() {
    let sim = Sim::start().await;
    let data = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::start(&sim, data.path(), &[]).await;
    let (mut first, first_token) = server.logged_in("1001").await;
    let (_idle, idle_token) = server.logged_in("1002").await;
    let contact = contact_in_wrap_up(&mut first, &sim, "1001").await["info"]["contactId"].clone();

    server.kill();
    server.spawn().await;
    // Every agent is back, with or without a contact: their tokens open their sessions.
    let _idle = reattached(&server, &idle_token, "agent 1002's view", |v| {
        v["user"] == "1002"
    })
    .await;
    let (mut old, _) = reattached(&server, &first_token, "the contact", |v| {
        v["info"]["contactId"] == contact
    })
    .await;

    // Another browser (its storage empty): a wrong password is refused without a word about
    // the running session, and Neotel is not asked.
    let logins = sim.applied("Login").await;
    let mut other = server.tab().await;
    let refused = other.login("1001", "wrong", "SIP/1001").await;
    assert_eq!(refused["code"], "loginFailed", "{refused}");
    // The right one takes the session over: no positionNotFree, the contact is there.
    let session = other.login("1001", "1001", "SIP/1001").await;
    assert_eq!(session["type"], "session", "{session}");
    assert_eq!(
        sim.applied("Login").await,
        logins,
        "Neotel was not asked again"
    );
    let view = until_view(&mut other, &mut Vec::new(), "the contact", |v| {
        v["info"]["contactId"] == contact
    })
    .await;
    assert_eq!(old.recv_type("bye").await["reason"], "takenOver");
    let (_, dead) = server.attached(&first_token).await;
    assert_eq!(dead["code"], "invalidToken", "the old tab's token died");
    categorize(&mut other, &view, "taken over").await;
    assert_eq!(sim.applied("UpdateContact").await, 1);
}

#[tokio::test]
async fn after_a_crash_that_lost_the_store_a_login_recovers_the_position() {
    let sim = Sim::start().await;
    let data = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::start(&sim, data.path(), &[]).await;
    let (_tab, _) = server.logged_in("1003").await;
    server.kill();
    // The data directory is gone too (a new machine): Neotel still holds the position.
    std::fs::remove_dir_all(data.path()).unwrap();
    server.spawn().await;
    let mut tab = server.tab().await;
    let session = tab.login("1003", "1003", "SIP/1003").await;
    assert_eq!(session["type"], "session", "no positionNotFree: {session}");
    let calls = sim.calls_of("1003").await;
    assert!(
        calls
            .windows(3)
            .any(|w| w == ["Position", "Logout", "Login"]),
        "read Position, then Logout and Login: {calls:?}"
    );
}

#[tokio::test]
async fn a_login_whose_answer_is_lost_is_recovered() {
    let sim = Sim::start().await;
    let data = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(&sim, data.path(), &[]).await;
    sim.post("/sim/faults", json!({"method":"Login","lose_next":1}))
        .await;
    let mut tab = server.tab().await;
    let session = tab.login("1004", "1004", "SIP/1004").await;
    assert_eq!(session["type"], "session", "{session}");
    let calls = sim.calls_of("1004").await;
    assert!(
        calls
            .windows(4)
            .any(|w| w == ["Login", "Position", "Logout", "Login"]),
        "{calls:?}"
    );
    // A wrong password is still refused when the answer is lost: the second Login checks it.
    sim.post("/sim/faults", json!({"method":"Login","lose_next":1}))
        .await;
    let mut intruder = server.tab().await;
    let refused = intruder.login("1005", "wrong", "SIP/1005").await;
    assert_ne!(refused["type"], "session", "{refused}");
}

#[tokio::test]
async fn a_session_holding_a_write_outlives_its_idle_timeout_and_sends_it() {
    let sim = Sim::start().await;
    let data = tempfile::tempdir().unwrap();
    let server =
        ServerProcess::start(&sim, data.path(), &["--session-idle-timeout-secs", "1"]).await;
    let (mut tab, _) = server.logged_in("1006").await;
    let view = contact_in_wrap_up(&mut tab, &sim, "1006").await;
    let contact = view["info"]["contactId"].clone();
    // Neotel's database is overloaded: every UpdateContact times out for now.
    sim.post(
        "/sim/faults",
        json!({"method":"UpdateContact","error_rate":1.0,"message":"Timeout expired."}),
    )
    .await;
    let mut seen = Vec::new();
    tab.send(command(json!({"command":"release","subcategory":26,"notes":"pendiente","contact":view["contact"]["handle"]})))
        .await;
    until_view(&mut tab, &mut seen, "retrying", |v| {
        v["warnings"]
            .as_array()
            .is_some_and(|w| w.iter().any(|m| m["code"] == "retrying"))
    })
    .await;
    // The agent closes the browser; well past the idle timeout the session still holds it.
    drop(tab);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(!sim.calls_of("1006").await.contains(&"Logout".to_owned()));
    sim.clear_faults().await;
    // Unprompted, once; then, with nothing left to hold, the idle timeout ends the session.
    for _ in 0..150 {
        if sim.calls_of("1006").await.contains(&"Logout".to_owned()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let outcomes = sim.outcomes().await;
    assert_eq!(outcomes.len(), 1, "{outcomes:?}");
    assert_eq!(outcomes[0]["contact_id"], contact);
    assert_eq!(outcomes[0]["notes"], "pendiente");
    assert!(
        sim.calls_of("1006").await.contains(&"Logout".to_owned()),
        "the session ends once nothing is owed"
    );
}
