//! Whole-server agent flows with cti-core and the simulator, over a real WebSocket.

mod common;

use std::time::Duration;

use common::TestServer;
use serde_json::{Value, json};

use common::{answer, until_view};

/// Every message a follower tab got until now (no answers: followers never get effects).
async fn drain(ws: &mut common::Ws) -> Vec<Value> {
    let mut all = Vec::new();
    while let Some(m) = ws.try_recv(Duration::from_millis(200)).await {
        all.push(m);
    }
    all
}

fn command(c: Value) -> Value {
    json!({"v":1,"type":"command","command":c})
}

#[tokio::test]
async fn a_predictive_call_end_to_end_with_two_tabs_a_reload_and_logout() {
    let server = TestServer::start().await;
    let mut leader = server.ws().await;
    let mut seen = Vec::new();
    let session = leader.login("1001", "1001", "SIP/1001").await;
    assert_eq!(session["type"], "session", "{session}");
    assert_eq!(session["leader"], true);
    let token = session["token"].as_str().unwrap().to_owned();

    // A second Salesforce tab mirrors the session.
    let mut follower = server.ws().await;
    follower
        .send(json!({"v":1,"type":"attach","token":token}))
        .await;
    let s = follower.recv().await;
    assert_eq!(
        (s["type"].clone(), s["leader"].clone()),
        (json!("session"), json!(false))
    );

    // F-CAMPAIGN
    leader
        .send(command(json!({"command":"joinCampaign","campaign":97})))
        .await;
    until_view(&mut leader, &mut seen, "campaign 97", |v| {
        v["campaign"] == 97
    })
    .await;

    // W-PREDICTIVE: the dialer delivers, the phone answers, the record is searched once.
    let delivered = server
        .sim_post("/sim/dialer/deliver", json!({"campaign":97,"user":"1001"}))
        .await;
    until_view(&mut leader, &mut seen, "a bridged call", |v| {
        v["call"]["bridged"] == true
    })
    .await;
    for _ in 0..20 {
        if seen.iter().any(|e| e["kind"] == "searchAndScreenPop") {
            break;
        }
        if let Some(m) = leader.try_recv(Duration::from_millis(200)).await {
            answer(&mut leader, &m, &mut seen).await;
        }
    }
    let pops: Vec<_> = seen
        .iter()
        .filter(|e| e["kind"] == "searchAndScreenPop")
        .collect();
    assert_eq!(pops.len(), 1, "{seen:?}");
    assert_eq!(pops[0]["searchParams"], delivered["data"]);
    let mirrored = drain(&mut follower).await;
    assert!(
        mirrored.iter().all(|m| m["type"] != "effect"),
        "the follower got an effect"
    );
    assert!(
        mirrored.iter().any(|m| m["type"] == "view"),
        "the follower mirrors the view"
    );

    // A reload mid-call: the leader tab goes, the follower leads, a new tab attaches and sees
    // the call and the contact.
    drop(leader);
    let s = follower.recv_type("session").await;
    assert_eq!(s["leader"], true);
    let newest = s["token"].as_str().unwrap().to_owned();
    let mut reloaded = server.ws().await;
    reloaded
        .send(json!({"v":1,"type":"attach","token":newest}))
        .await;
    assert_eq!(reloaded.recv().await["type"], "session");
    let view = reloaded.recv_type("view").await;
    assert_eq!(view["view"]["call"]["id"], delivered["call_id"], "{view}");
    assert_eq!(view["view"]["info"]["contactId"], delivered["contact_id"]);
    let mut leader = follower;
    drop(reloaded);

    // The customer hangs up; the agent categorizes (F-RELEASE) and presses Play (F-PLAY).
    server
        .sim_post(
            &format!("/sim/calls/{}/hangup", delivered["call_id"]),
            json!({}),
        )
        .await;
    until_view(&mut leader, &mut seen, "release allowed", |v| {
        v["actions"]["release"] == true
    })
    .await;
    leader
        .send(command(
            json!({"command":"release","subcategory":26,"notes":"vendido"}),
        ))
        .await;
    until_view(&mut leader, &mut seen, "play allowed", |v| {
        v["actions"]["play"] == true
    })
    .await;
    leader.send(command(json!({"command":"play"}))).await;
    let mut methods = Vec::new();
    for _ in 0..50 {
        methods = server.methods().await;
        if methods.iter().any(|m| m == "CRM_Available") {
            break;
        }
        if let Some(m) = leader.try_recv(Duration::from_millis(100)).await {
            answer(&mut leader, &m, &mut seen).await;
        }
    }
    let update = methods
        .iter()
        .position(|m| m == "UpdateContact")
        .expect("UpdateContact sent");
    let available = methods
        .iter()
        .rposition(|m| m == "CRM_Available")
        .expect("CRM_Available sent");
    assert!(update < available, "{methods:?}");
    let journal = server.journal().await;
    let entry = journal
        .iter()
        .find(|e| e["method"] == "UpdateContact")
        .unwrap();
    assert_eq!(entry["params"]["SUBCATEGORIA"], "26", "{entry}");
    assert!(
        journal
            .iter()
            .all(|e| e["params"]["USUARIO"].is_null() || e["params"]["USUARIO"] == "1001")
    );

    // Logout ends the session; the old token is dead.
    leader.send(json!({"v":1,"type":"logout"})).await;
    assert_eq!(leader.recv_type("bye").await["reason"], "logout");
    let mut late = server.ws().await;
    late.send(json!({"v":1,"type":"attach","token":token}))
        .await;
    assert_eq!(late.recv().await["code"], "invalidToken");
    assert!(server.methods().await.contains(&"Logout".to_owned()));
    let metrics = server.metrics().await;
    assert!(
        metrics.contains("cti_effects_total{kind=\"searchAndScreenPop\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("cti_logins_total{outcome=\"ok\"} 1"),
        "{metrics}"
    );
    // The one pop was timed, from its Position answer to the page.
    assert!(
        metrics.contains("cti_pop_latency_seconds_count 1"),
        "{metrics}"
    );
    server.stop().await;
}

#[tokio::test]
async fn commands_cannot_name_another_user_and_a_bad_command_is_refused() {
    let server = TestServer::start().await;
    let mut ws = server.ws().await;
    assert_eq!(
        ws.login("1001", "1001", "SIP/1001").await["type"],
        "session"
    );
    // A command has no user: a `user` field is ignored and the session acts as 1001.
    ws.send(command(
        json!({"command":"joinCampaign","campaign":97,"user":"1002"}),
    ))
    .await;
    ws.send(command(json!({"command":"launch"}))).await;
    let err = ws.recv_type("error").await;
    assert_eq!(err["code"], "commandRefused", "{err}");
    assert!(
        err.get("text").is_none(),
        "a malformed command has no agent words: {err}"
    );
    // A command the core refuses carries why (the page words it from its catalog), and the
    // English words for integrators.
    ws.send(command(json!({"command":"sendDtmf","digits":"1"})))
        .await;
    let err = ws.recv_type("error").await;
    assert_eq!(
        (&err["code"], &err["text"]["code"], &err["message"]),
        (
            &json!("commandRefused"),
            &json!("noCall"),
            &json!("There is no call in progress.")
        ),
        "{err}"
    );
    ws.send(json!({"v":1,"type":"login","device":"SIP/1002","user":"1002","password":"1002"}))
        .await;
    assert_eq!(ws.recv_type("error").await["code"], "alreadyInSession");
    let journal = server.journal().await;
    assert!(
        journal
            .iter()
            .all(|e| e["params"]["USUARIO"].is_null() || e["params"]["USUARIO"] == "1001"),
        "{journal:?}"
    );
    server.stop().await;
}

/// Every tab closed for `session.idle_timeout_secs`: the session ends, NeoApi `Logout` frees the
/// position, and the token is dead.
#[tokio::test]
async fn a_session_without_tabs_ends_after_the_idle_timeout() {
    let mut config = common::config();
    config.idle_timeout = Duration::from_secs(1);
    let server = TestServer::start_with(config).await;
    let mut ws = server.ws().await;
    let session = ws.login("1001", "1001", "SIP/1001").await;
    let token = session["token"].as_str().unwrap().to_owned();
    drop(ws);

    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !server.methods().await.iter().any(|m| m == "Logout") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no Logout after the idle timeout"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut late = server.ws().await;
    late.send(json!({"v":1,"type":"attach","token":token}))
        .await;
    assert_eq!(late.recv().await["code"], "invalidToken");
    // The position is free again: the agent can log in anew.
    let again = late.login("1001", "1001", "SIP/1001").await;
    assert_eq!(again["type"], "session", "{again}");
    server.stop().await;
}

/// The four lists every session loads at login have all come.
fn lists_loaded(lists: &serde_json::Map<String, Value>) -> bool {
    ["breaks", "campaigns", "queues", "users"].iter().all(|k| {
        lists
            .get(*k)
            .and_then(Value::as_array)
            .is_some_and(|v| !v.is_empty())
    })
}

/// A view carries `lists` when they change and to a tab's first view; otherwise it leaves them
/// out, and the page keeps the last.
#[tokio::test]
async fn lists_travel_only_when_they_change() {
    let server = TestServer::start().await;
    let mut ws = server.ws().await;
    let session = ws.login("1001", "1001", "SIP/1001").await;
    let token = session["token"].as_str().unwrap().to_owned();
    // The users travel only while a panel listing them is open.
    ws.send(command(json!({"command":"watchUsers","watching":true})))
        .await;
    // The lists load one by one; each view carries the ones that changed.
    let mut lists = serde_json::Map::new();
    while !lists_loaded(&lists) {
        let view = ws.recv_type("view").await;
        if let Some(changed) = view["view"]["lists"].as_object() {
            lists.extend(changed.clone());
        }
    }

    ws.send(command(json!({"command":"joinCampaign","campaign":97})))
        .await;
    let joined = ws
        .recv_until("the view after joining", |m| {
            m["type"] == "view" && m["view"]["status"] == "available"
        })
        .await;
    assert!(
        joined["view"].get("lists").is_none(),
        "unchanged lists stay home: {joined}"
    );

    let mut tab = server.ws().await;
    tab.send(json!({"v":1,"type":"attach","token":token})).await;
    let view = tab.recv_type("view").await;
    assert_eq!(view["view"]["status"], "available");
    assert_eq!(
        view["view"]["lists"]["campaigns"], lists["campaigns"],
        "a new tab gets the lists with its first view"
    );

    // A contact brings its categories: only they travel.
    server
        .sim_post(
            "/sim/dialer/deliver",
            json!({"campaign": 97, "user": "1001"}),
        )
        .await;
    let with_categories = ws
        .recv_until("the contact's categories", |m| {
            m["type"] == "view" && m["view"]["lists"]["categories"].is_array()
        })
        .await;
    let lists = with_categories["view"]["lists"].as_object().unwrap();
    assert!(
        !lists.contains_key("users") && !lists.contains_key("campaigns"),
        "only what changed: {lists:?}"
    );

    // The panel closes: the users leave the view (and are no longer kept fresh).
    ws.send(command(json!({"command":"watchUsers","watching":false})))
        .await;
    ws.recv_until("the users gone from the view", |m| {
        m["type"] == "view"
            && m["view"]["lists"]["users"]
                .as_array()
                .is_some_and(Vec::is_empty)
    })
    .await;
    server.stop().await;
}

/// The lists every session reads alike are read once for all: a second agent's login asks
/// Neotel for none of them again, and each agent still sees the others, not itself.
#[tokio::test]
async fn a_second_agent_shares_the_first_ones_list_reads() {
    let server = TestServer::start().await;
    let users_of = |lists: &serde_json::Map<String, Value>| -> Vec<String> {
        lists["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["user"].as_str().unwrap().to_owned())
            .collect()
    };
    let mut seen = Vec::new();
    for user in ["1001", "1002"] {
        let mut ws = server.ws().await;
        let session = ws.login(user, user, &format!("SIP/{user}")).await;
        assert_eq!(session["type"], "session", "{session}");
        ws.send(command(json!({"command":"watchUsers","watching":true})))
            .await;
        let mut lists = serde_json::Map::new();
        while !lists_loaded(&lists) {
            let view = ws.recv_type("view").await;
            if let Some(changed) = view["view"]["lists"].as_object() {
                lists.extend(changed.clone());
            }
        }
        let users = users_of(&lists);
        assert!(
            !users.contains(&user.to_owned()),
            "{user} in its own list: {users:?}"
        );
        let tasks = server
            .methods()
            .await
            .iter()
            .filter(|m| m.starts_with("ExecuteTask"))
            .count();
        seen.push((users, tasks, ws));
    }
    assert!(seen[0].1 >= 4, "the first login reads the four lists");
    assert_eq!(seen[1].1, seen[0].1, "the second login reads none again");
    assert!(seen[0].0.contains(&"1002".to_owned()) && seen[1].0.contains(&"1001".to_owned()));
    let metrics = server.metrics().await;
    assert!(
        metrics.contains("cti_neoapi_shared_reads_total 4"),
        "{metrics}"
    );
    server.stop().await;
}

/// Issue 15: Neotel is polled once per interval for the agent, however many tabs show it
/// (the poll is the session's, not a tab's).
#[tokio::test]
async fn polls_do_not_multiply_with_the_agent_tabs() {
    let server = TestServer::start().await;
    let interval = common::config().poll_interval;
    let mut leader = server.ws().await;
    let session = leader.login("1001", "1001", "SIP/1001").await;
    let token = session["token"].as_str().unwrap().to_owned();
    let mut tabs = Vec::new();
    for _ in 0..4 {
        let mut tab = server.ws().await;
        tab.send(json!({"v":1,"type":"attach","token":token})).await;
        assert_eq!(tab.recv_type("session").await["leader"], false);
        tabs.push(tab);
    }
    let polls = || async {
        let metrics = server.metrics().await;
        metrics
            .lines()
            .find(|l| {
                l.starts_with("cti_neoapi_request_duration_seconds_count{method=\"Position\"}")
            })
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|n| n.parse::<u128>().ok())
            .unwrap_or(0)
    };
    let before = polls().await;
    let started = std::time::Instant::now();
    tokio::time::sleep(interval * 10).await;
    let polled = polls().await - before;
    let intervals = started.elapsed().as_millis() / interval.as_millis();
    assert!(polled > 0, "the session polls");
    // A slow machine polls less, never more: one per interval, plus the grid's edges (a poll
    // on its way when counting began, and one at each end of the window).
    assert!(
        polled <= intervals + 2,
        "{polled} polls in {intervals} intervals with five tabs"
    );
}
