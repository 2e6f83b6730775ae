//! Issue 14, black-box: two `cti-server` processes on one throwaway PostgreSQL behind a
//! throwaway HAProxy (both started by the test in temporary folders), the simulator as Neotel,
//! 50 agents over WebSocket through the load balancer: some mid-call, some in wrap-up, some
//! with a disposition Neotel has not accepted yet. One server is killed with SIGKILL. Every
//! agent is served again through the load balancer within 10 s and sees its contact, every
//! disposition entered before and after the kill reaches Neotel exactly once, and the store's
//! history shows no session owned by two instances at any moment.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::cluster::{Haproxy, Postgres, assert_never_owned_twice};
use common::process::{ServerProcess, Sim, free_port};
use common::{Polled, Ws, effect_result};
use cti_server::store::{LeaseRecord, Store};
use neotel_sim::Scenario;
use serde_json::{Value, json};
use tokio::sync::mpsc;

const AGENTS: usize = 50;

/// The two tests run one after the other: each has servers of its own on a 2-core machine.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// What one agent's client saw.
#[derive(Default)]
struct Seen {
    view: Value,
    /// When each `session` greeting came (one per connection that attached).
    sessions: Vec<Instant>,
    /// When its connection last dropped.
    dropped: Option<Instant>,
    /// Problems a page would show (a dead token, a login refused).
    problems: Vec<String>,
}

struct Agent {
    user: String,
    seen: Arc<Mutex<Seen>>,
    commands: mpsc::UnboundedSender<Value>,
}

impl Agent {
    fn view(&self) -> Value {
        self.seen.lock().unwrap().view.clone()
    }

    fn command(&self, c: Value) {
        let _ = self
            .commands
            .send(json!({"v":1,"type":"command","command":c}));
    }

    async fn until(&self, what: &str, wait: Duration, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + wait;
        loop {
            let view = self.view();
            if pred(&view) {
                return view;
            }
            assert!(
                Instant::now() < deadline,
                "agent {}: no view with {what} within {wait:?}; last: {view}; problems: {:?}",
                self.user,
                self.seen.lock().unwrap().problems
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A page's life through the load balancer: log in once, then attach with the newest token
/// whenever the connection drops, answering effects and sending the test's commands.
async fn page(
    lb: u16,
    user: String,
    seen: Arc<Mutex<Seen>>,
    mut commands: mpsc::UnboundedReceiver<Value>,
    stop: Arc<AtomicBool>,
) {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
    let mut token: Option<String> = None;
    while !stop.load(Ordering::Relaxed) {
        let mut request = format!("ws://127.0.0.1:{lb}/ws?agent={user}")
            .into_client_request()
            .expect("a URL");
        request.headers_mut().insert(
            "origin",
            format!("http://127.0.0.1:{lb}").parse().expect("a header"),
        );
        let Ok(mut ws) = Ws::try_connect(request).await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let hello = match &token {
            Some(t) => json!({"v":1,"type":"attach","token":t}),
            None => {
                json!({"v":1,"type":"login","device":format!("SIP/{user}"),"user":user,"password":user})
            }
        };
        if ws.try_send(hello).await.is_err() {
            continue;
        }
        loop {
            while let Ok(c) = commands.try_recv() {
                let _ = ws.try_send(c).await;
            }
            match ws.poll(Duration::from_millis(50)).await {
                Polled::Nothing => {}
                Polled::Closed => break,
                Polled::Message(m) => match m["type"].as_str() {
                    Some("session") => {
                        token = m["token"].as_str().map(str::to_owned);
                        seen.lock().unwrap().sessions.push(Instant::now());
                    }
                    Some("view") => seen.lock().unwrap().view = m["view"].clone(),
                    Some("effect") => {
                        let _ = ws.try_send(effect_result(&m["effect"])).await;
                    }
                    Some("error") => seen.lock().unwrap().problems.push(m.to_string()),
                    Some("bye") => {
                        if m["reason"] != "moved" && m["reason"] != "shutdown" {
                            seen.lock().unwrap().problems.push(m.to_string());
                        }
                        break;
                    }
                    _ => {}
                },
            }
            if stop.load(Ordering::Relaxed) {
                return;
            }
        }
        seen.lock().unwrap().dropped = Some(Instant::now());
    }
}

/// The default scenario with `AGENTS` more agents and contacts for them; the agents answer
/// fast.
fn scenario() -> (Scenario, Vec<String>) {
    let (mut s, users) = common::crowd(4001, AGENTS, AGENTS * 2, "FO");
    s.settings.agent_answer_ms = 200;
    (s, users)
}

/// What the test does with an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Categorized before the kill; Neotel has it.
    Done,
    /// Categorized before the kill while Neotel failed every disposition: still owed.
    Owed,
    /// The call ended before the kill; categorized after.
    WrapUp,
    /// On the call at the kill; it ends and is categorized after.
    MidCall,
    Idle,
}

/// Roles for one server's agents: an eighth done, an eighth owed, a quarter in wrap-up, a
/// quarter mid-call, the rest idle (each at least one when there are enough).
fn roles(n: usize) -> Vec<Role> {
    let part = |share: usize| (n / share).max(usize::from(n >= 5));
    let mut roles = Vec::new();
    roles.extend(std::iter::repeat_n(Role::Done, part(8)));
    roles.extend(std::iter::repeat_n(Role::Owed, part(8)));
    roles.extend(std::iter::repeat_n(Role::WrapUp, part(4)));
    roles.extend(std::iter::repeat_n(Role::MidCall, part(4)));
    roles.resize(n.max(roles.len()), Role::Idle);
    roles.truncate(n);
    roles
}

fn notes(user: &str) -> String {
    format!("failover {user}")
}

/// Categorizes the contact `view` shows.
fn categorize(agent: &Agent, view: &Value) {
    agent.command(
        json!({"command":"release","subcategory":26,"notes":notes(&agent.user),
                         "contact":view["contact"]["handle"]}),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_drops_no_agent_behind_the_load_balancer() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let pg = Postgres::start().await;
    let (scenario, users) = scenario();
    let sim = Sim::with(scenario).await;
    let lb_port = free_port();
    let lb_url = format!("http://127.0.0.1:{lb_port}");
    let args = [
        "--store-url",
        pg.url.as_str(),
        "--public-url",
        lb_url.as_str(),
        "--max-agents",
        "500",
    ];
    let data = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let mut servers = [
        ServerProcess::start(&sim, data[0].path(), &args).await,
        ServerProcess::start(&sim, data[1].path(), &args).await,
    ];
    let ports: Vec<u16> = servers.iter().map(|s| s.port).collect();
    let _lb = Haproxy::start(lb_port, &ports).await;
    let store = Store::open(&pg.url).await.unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let mut agents = Vec::new();
    let mut tasks = Vec::new();
    for user in &users {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let (tx, rx) = mpsc::unbounded_channel();
        tasks.push(tokio::spawn(page(
            lb_port,
            user.clone(),
            seen.clone(),
            rx,
            stop.clone(),
        )));
        agents.push(Agent {
            user: user.clone(),
            seen,
            commands: tx,
        });
    }
    for a in &agents {
        a.until("a session", Duration::from_secs(60), |v| {
            v["user"] == a.user.as_str()
        })
        .await;
        a.command(json!({"command":"joinCampaign","campaign":97}));
    }
    for a in &agents {
        a.until("campaign 97", Duration::from_secs(30), |v| {
            v["campaign"] == 97
        })
        .await;
    }

    // Who runs whom: the store says (the owner's name holds its port).
    let mut by_server: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, a) in agents.iter().enumerate() {
        let (_, owner) = store.session(&a.user).await.unwrap().expect("stored");
        let server = ports
            .iter()
            .position(|p| owner.contains(&format!(":{p}/")))
            .unwrap_or_else(|| panic!("{owner} is neither server"));
        by_server.entry(server).or_default().push(i);
    }
    let victim = *by_server
        .iter()
        .max_by_key(|(_, list)| list.len())
        .map(|(s, _)| s)
        .unwrap();
    let mut role = [Role::Idle; AGENTS];
    for list in by_server.values() {
        for (i, r) in list.iter().zip(roles(list.len())) {
            role[*i] = r;
        }
    }
    println!(
        "failover: {} agents on server {victim} (killed), {} on the other",
        by_server[&victim].len(),
        AGENTS - by_server[&victim].len()
    );

    // Calls for everyone but the idle ones.
    let mut calls: HashMap<usize, (i64, i64)> = HashMap::new();
    for (i, a) in agents.iter().enumerate() {
        if role[i] == Role::Idle {
            continue;
        }
        let d = sim
            .post("/sim/dialer/deliver", json!({"campaign":97,"user":a.user}))
            .await;
        calls.insert(
            i,
            (
                d["call_id"].as_i64().unwrap(),
                d["contact_id"].as_i64().unwrap(),
            ),
        );
    }
    for (i, (call, contact)) in &calls {
        let a = &agents[*i];
        a.until("the bridged call", Duration::from_secs(30), |v| {
            v["call"]["bridged"] == true && v["info"]["contactId"] == *contact
        })
        .await;
        if role[*i] != Role::MidCall {
            sim.post(&format!("/sim/calls/{call}/hangup"), json!({}))
                .await;
        }
    }
    let awaiting = |v: &Value, contact: i64| {
        v["info"]["contactId"] == contact && v["actions"]["categorize"] == true
    };
    for (i, (_, contact)) in &calls {
        if role[*i] == Role::MidCall {
            continue;
        }
        let a = &agents[*i];
        let view = a
            .until(
                "the contact awaiting its disposition",
                Duration::from_secs(30),
                |v| awaiting(v, *contact),
            )
            .await;
        if role[*i] == Role::Done {
            categorize(a, &view);
        }
    }
    let done = calls.keys().filter(|i| role[**i] == Role::Done).count();
    for _ in 0..300 {
        if sim.outcomes().await.len() >= done {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        sim.outcomes().await.len(),
        done,
        "the early dispositions are in"
    );
    // Neotel's database fails every disposition for now: these stay owed across the kill.
    sim.post(
        "/sim/faults",
        json!({"method":"UpdateContact","error_rate":1.0,"message":"Timeout expired."}),
    )
    .await;
    for (i, (_, contact)) in &calls {
        if role[*i] == Role::Owed {
            let view = agents[*i].view();
            assert!(awaiting(&view, *contact), "{view}");
            categorize(&agents[*i], &view);
        }
    }
    for (i, _) in calls.iter().filter(|(i, _)| role[**i] == Role::Owed) {
        agents[*i]
            .until(
                "the disposition being retried",
                Duration::from_secs(20),
                |v| {
                    v["warnings"]
                        .as_array()
                        .is_some_and(|w| w.iter().any(|m| m["code"] == "retrying"))
                },
            )
            .await;
    }

    // SIGKILL.
    let killed_at = Instant::now();
    servers[victim].kill();
    let moved: Vec<usize> = by_server[&victim].clone();
    let mut worst = Duration::ZERO;
    for i in &moved {
        let a = &agents[*i];
        let sessions_before = 1;
        let contact = calls.get(i).map(|(_, c)| *c);
        // Served again: a new session greeting after the kill, and the contact on screen.
        a.until("its session again", Duration::from_secs(10), |_| {
            a.seen.lock().unwrap().sessions.len() > sessions_before
        })
        .await;
        let view = a
            .until(
                "its contact after the kill",
                Duration::from_secs(10),
                |v| match contact {
                    Some(c) if role[*i] != Role::Done => v["info"]["contactId"] == c,
                    _ => v["user"] == a.user.as_str(),
                },
            )
            .await;
        let took = a.seen.lock().unwrap().sessions.last().copied().unwrap() - killed_at;
        worst = worst.max(took);
        if role[*i] == Role::MidCall {
            assert_eq!(view["call"]["bridged"], true, "still on the call: {view}");
        }
    }
    println!(
        "failover: {} agents served again through the load balancer, the last {:.1} s after the SIGKILL",
        moved.len(),
        worst.as_secs_f64()
    );
    assert!(
        worst <= Duration::from_secs(10),
        "every agent back within 10 s (the last took {worst:?})"
    );
    for (i, a) in agents.iter().enumerate() {
        if !moved.contains(&i) {
            assert_eq!(
                a.seen.lock().unwrap().sessions.len(),
                1,
                "agent {} on the surviving server kept its connection",
                a.user
            );
        }
    }

    // Neotel takes dispositions again: what was owed goes once; the rest are entered now.
    sim.clear_faults().await;
    for (i, (call, contact)) in &calls {
        let a = &agents[*i];
        match role[*i] {
            Role::MidCall => {
                sim.post(&format!("/sim/calls/{call}/hangup"), json!({}))
                    .await;
                let view = a
                    .until(
                        "the contact awaiting its disposition",
                        Duration::from_secs(30),
                        |v| awaiting(v, *contact),
                    )
                    .await;
                categorize(a, &view);
            }
            Role::WrapUp => categorize(a, &a.view()),
            _ => {}
        }
    }
    let expected: BTreeMap<i64, String> = calls
        .iter()
        .map(|(i, (_, contact))| (*contact, agents[*i].user.clone()))
        .collect();
    for _ in 0..600 {
        if sim.outcomes().await.len() >= expected.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Late duplicates would show up now.
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.abort();
    }

    let outcomes = sim.outcomes().await;
    let mut per_contact: BTreeMap<i64, Vec<&Value>> = BTreeMap::new();
    for o in &outcomes {
        per_contact
            .entry(o["contact_id"].as_i64().unwrap_or_default())
            .or_default()
            .push(o);
    }
    for (contact, user) in &expected {
        let got = per_contact
            .get(contact)
            .map(Vec::as_slice)
            .unwrap_or_default();
        assert_eq!(got.len(), 1, "contact {contact} of {user}: {got:?}");
        assert_eq!(got[0]["notes"], notes(user).as_str(), "{got:?}");
        assert_eq!(got[0]["user"], user.as_str());
    }
    assert_eq!(outcomes.len(), expected.len(), "{outcomes:?}");
    assert_eq!(
        sim.applied("UpdateContact").await,
        u64::try_from(expected.len()).unwrap()
    );
    for a in &agents {
        let problems = &a.seen.lock().unwrap().problems;
        assert!(problems.is_empty(), "agent {}: {problems:?}", a.user);
    }

    // The store's history: every moved session changed owner once, and no session was ever
    // owned by two instances at once.
    let history = store.history().await.unwrap();
    assert_never_owned_twice(&history);
    for i in &moved {
        let owners: Vec<&LeaseRecord> = history
            .iter()
            .filter(|r| r.agent == agents[*i].user)
            .collect();
        assert!(owners.len() >= 2, "{owners:?}");
        assert!(
            owners
                .last()
                .unwrap()
                .owner
                .contains(&format!(":{}/", ports[1 - victim]))
        );
    }
    println!(
        "failover: {} dispositions, each once in Neotel; {} ownerships in the history",
        expected.len(),
        history.len()
    );
}

/// A page that reaches the instance not running its session (no load balancer here: the test
/// picks the instance) is served there: the owner hands the session over with what it holds,
/// and a password login on the first instance takes it back without a second NeoApi `Login`.
#[tokio::test]
async fn a_page_reaching_the_other_server_is_handed_its_session() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let pg = Postgres::start().await;
    let sim = Sim::start().await;
    let args = ["--store-url", pg.url.as_str()];
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = ServerProcess::start(&sim, d1.path(), &args).await;
    let b = ServerProcess::start(&sim, d2.path(), &args).await;
    let (mut on_a, token) = a.logged_in("1001").await;
    let mut seen = Vec::new();
    let contact =
        common::contact_in_wrap_up(&mut on_a, &sim, "1001").await["info"]["contactId"].clone();

    // The same token on B: A hands the session over, its tab is told to reconnect.
    let (mut on_b, first) = b.attached(&token).await;
    assert_eq!(first["type"], "session", "{first}");
    assert_eq!(on_a.recv_type("bye").await["reason"], "moved");
    let view = common::until_view(&mut on_b, &mut seen, "the same contact on B", |v| {
        v["info"]["contactId"] == contact && v["actions"]["categorize"] == true
    })
    .await;
    on_b.send(
        json!({"v":1,"type":"command","command":{"command":"release","subcategory":26,
                     "notes":"on B","contact":view["contact"]["handle"]}}),
    )
    .await;
    common::until_view(&mut on_b, &mut seen, "the contact released", |v| {
        v["contact"]["released"] == true
    })
    .await;
    let outcomes = sim.outcomes().await;
    assert_eq!(outcomes.len(), 1, "{outcomes:?}");
    assert_eq!(outcomes[0]["notes"], "on B");

    // A password login on A takes it back from B, without asking Neotel again.
    let logins = sim.applied("Login").await;
    let mut again = a.tab().await;
    let session = again.login("1001", "1001", "SIP/1001").await;
    assert_eq!(session["type"], "session", "{session}");
    assert_eq!(sim.applied("Login").await, logins, "no second NeoApi Login");
    assert_eq!(on_b.recv_type("bye").await["reason"], "moved");
    assert_eq!(sim.applied("UpdateContact").await, 1);

    let store = Store::open(&pg.url).await.unwrap();
    let history: Vec<LeaseRecord> = store.history().await.unwrap();
    assert_eq!(history.len(), 3, "A, B, A again: {history:?}");
    assert!(history[0].released_at.is_some() && history[1].released_at.is_some());
    assert_never_owned_twice(&history);
}
