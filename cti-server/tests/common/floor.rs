//! A contact center's floor for the database-fault tests (issue 30): agents whose pages reach
//! the servers through the load balancer (`/ws?agent=…`, as the softphone does), each taking
//! calls from the simulator's dialer one after the other and entering a disposition whose notes
//! name the call, reconnecting as the page does (500 ms doubling to 10 s) whenever the server
//! closes. Each page keeps what it saw: its views, greetings and goodbyes, with their times,
//! and flags what a page must never show (a contact released that Neotel does not have, a
//! goodbye that ends the session, a dead token). At the end the simulator's record is compared
//! with what the agents entered: lost, twice, wrong.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{Polled, Ws};

/// What one delivered call must end with in Neotel.
#[derive(Debug, Clone)]
pub struct Expected {
    pub user: String,
    pub contact_id: i64,
    pub subcategory: i64,
}

/// What one agent's page saw.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// When each view came.
    pub views: Vec<Instant>,
    /// When each `session` greeting came (one per connection that got its session).
    pub sessions: Vec<Instant>,
    /// Each `bye`, with its reason.
    pub byes: Vec<(Instant, String)>,
    /// When a connection was refused or closed without a goodbye (the load balancer had no
    /// server for it, or the server went away).
    pub drops: Vec<Instant>,
    /// The last view.
    pub last_view: Value,
    /// The last steps, for a failed run.
    pub trace: Vec<String>,
}

impl Seen {
    /// The longest time between two views from `from` on (a view just before `from` counts
    /// as the start), and the view count after it.
    pub fn longest_wait(&self, from: Instant, until: Instant) -> Duration {
        let mut last = self
            .views
            .iter()
            .rev()
            .find(|t| **t <= from)
            .copied()
            .unwrap_or(from);
        let mut longest = Duration::ZERO;
        for t in self.views.iter().filter(|t| **t > from && **t <= until) {
            longest = longest.max(*t - last);
            last = *t;
        }
        longest.max(until.saturating_duration_since(last))
    }

    /// The first view after `t`.
    pub fn first_view_after(&self, t: Instant) -> Option<Instant> {
        self.views.iter().find(|v| **v > t).copied()
    }

    /// Greetings after `t` (each a new connection that got its session).
    pub fn reconnects_after(&self, t: Instant) -> usize {
        self.sessions.iter().filter(|s| **s > t).count()
    }
}

/// The record compared with what the agents entered.
#[derive(Debug, Default)]
pub struct Tally {
    pub calls: usize,
    pub lost: Vec<i64>,
    pub twice: Vec<i64>,
    pub wrong: Vec<(i64, Value)>,
    /// Outcomes no agent entered.
    pub strangers: Vec<Value>,
}

impl Tally {
    pub fn assert_exact(&self) {
        assert!(self.lost.is_empty(), "lost: {:?}", self.lost);
        assert!(self.twice.is_empty(), "twice: {:?}", self.twice);
        assert!(self.wrong.is_empty(), "wrong: {:?}", self.wrong);
        assert!(
            self.strangers.is_empty(),
            "outcomes nobody entered: {:?}",
            self.strangers
        );
        assert!(self.calls > 0, "the agents took calls");
    }
}

struct Ctx {
    sim: String,
    http: reqwest::Client,
    lb: u16,
    /// Agents ask the dialer for their next call while this holds.
    taking_calls: AtomicBool,
    stop: AtomicBool,
    expected: Mutex<BTreeMap<i64, Expected>>,
    seen: Mutex<HashMap<String, Seen>>,
    /// What no page may show, as it was seen.
    problems: Mutex<Vec<String>>,
}

impl Ctx {
    fn with<T>(&self, user: &str, f: impl FnOnce(&mut Seen) -> T) -> T {
        f(self
            .seen
            .lock()
            .unwrap()
            .entry(user.to_owned())
            .or_default())
    }

    fn note(&self, user: &str, what: String) {
        self.with(user, |s| {
            s.trace.push(what);
            if s.trace.len() > 30 {
                s.trace.remove(0);
            }
        });
    }

    fn problem(&self, user: &str, what: String) {
        self.note(user, format!("PROBLEM {what}"));
        self.problems
            .lock()
            .unwrap()
            .push(format!("{user}: {what}"));
    }

    async fn sim_post(&self, path: &str, body: Value) -> Option<Value> {
        let r = self
            .http
            .post(format!("{}{path}", self.sim))
            .json(&body)
            .send()
            .await
            .ok()?;
        if !r.status().is_success() {
            return None;
        }
        r.json().await.ok()
    }

    async fn outcomes(&self) -> Vec<Value> {
        let Ok(r) = self
            .http
            .get(format!("{}/sim/outcomes", self.sim))
            .send()
            .await
        else {
            return Vec::new();
        };
        r.json::<Vec<Value>>().await.unwrap_or_default()
    }
}

/// The notes an agent types for call `call`: they name the call, so each outcome says whose it
/// is.
pub fn notes(user: &str, call: i64) -> String {
    format!("db-fault {user} call {call}")
}

/// The call's category: 26, 27 or 29 by turns.
fn category(call: i64) -> i64 {
    [26, 27, 29][usize::try_from(call % 3).unwrap_or(0)]
}

fn command(c: Value) -> Value {
    json!({"v":1,"type":"command","command":c})
}

/// Agents at work.
pub struct Floor {
    ctx: Arc<Ctx>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    pub users: Vec<String>,
}

impl Floor {
    /// `users` log in through the load balancer on `lb` (password = name, device
    /// `SIP/{name}`), join campaign 97 and take calls from the simulator at `sim`.
    pub fn start(sim: &str, lb: u16, users: &[String]) -> Self {
        let ctx = Arc::new(Ctx {
            sim: sim.to_owned(),
            http: reqwest::Client::new(),
            lb,
            taking_calls: AtomicBool::new(true),
            stop: AtomicBool::new(false),
            expected: Mutex::new(BTreeMap::new()),
            seen: Mutex::new(HashMap::new()),
            problems: Mutex::new(Vec::new()),
        });
        let tasks = users
            .iter()
            .map(|u| tokio::spawn(agent(ctx.clone(), u.clone())))
            .collect();
        Self {
            ctx,
            tasks,
            users: users.to_vec(),
        }
    }

    /// What each page saw so far.
    pub fn seen(&self) -> HashMap<String, Seen> {
        self.ctx.seen.lock().unwrap().clone()
    }

    /// Calls delivered so far.
    pub fn delivered(&self) -> usize {
        self.ctx.expected.lock().unwrap().len()
    }

    /// What no page may show, as seen so far.
    pub fn problems(&self) -> Vec<String> {
        self.ctx.problems.lock().unwrap().clone()
    }

    /// Waits until every agent has had a view after `t` (within `wait`); the longest any took.
    pub async fn all_served_after(&self, t: Instant, wait: Duration) -> Duration {
        let deadline = Instant::now() + wait;
        loop {
            let seen = self.seen();
            let firsts: Vec<Option<Instant>> = self
                .users
                .iter()
                .map(|u| seen.get(u).and_then(|s| s.first_view_after(t)))
                .collect();
            if firsts.iter().all(Option::is_some) {
                return firsts
                    .into_iter()
                    .flatten()
                    .map(|f| f - t)
                    .max()
                    .unwrap_or_default();
            }
            if Instant::now() >= deadline {
                self.dump(&seen);
                panic!("some agents had no view within {wait:?} after the fault ended");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until `n` more calls than now have their outcome in Neotel (within `wait`).
    pub async fn calls_done(&self, n: usize, wait: Duration) {
        let start = self.ctx.outcomes().await.len();
        let deadline = Instant::now() + wait;
        while self.ctx.outcomes().await.len() < start + n {
            assert!(
                Instant::now() < deadline,
                "fewer than {n} calls done within {wait:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn dump(&self, seen: &HashMap<String, Seen>) {
        for user in &self.users {
            if let Some(s) = seen.get(user) {
                let v = &s.last_view;
                println!(
                    "agent {user}: {} views, {} sessions, byes {:?}; last view status {} call {} \
                     contact {} actions {}; trace {:#?}",
                    s.views.len(),
                    s.sessions.len(),
                    s.byes.iter().map(|(_, r)| r).collect::<Vec<_>>(),
                    v["status"],
                    v["call"],
                    v["contact"],
                    v["actions"],
                    s.trace
                );
            }
        }
    }

    /// Stops asking for calls, waits until every delivered call has its outcome (within
    /// `wait`), stops the pages, and compares the simulator's record with what was entered.
    pub async fn finish(&mut self, wait: Duration) -> Tally {
        self.ctx.taking_calls.store(false, Ordering::SeqCst);
        let deadline = Instant::now() + wait;
        loop {
            let outcomes = self.ctx.outcomes().await;
            let expected = self.ctx.expected.lock().unwrap().clone();
            let missing: Vec<i64> = expected
                .iter()
                .filter(|(call, e)| {
                    let n = notes(&e.user, **call);
                    !outcomes.iter().any(|o| o["notes"] == n.as_str())
                })
                .map(|(c, _)| *c)
                .collect();
            if missing.is_empty() {
                break;
            }
            if Instant::now() >= deadline {
                let seen = self.seen();
                let users: Vec<String> = missing.iter().map(|c| expected[c].user.clone()).collect();
                self.users.retain(|u| users.contains(u));
                self.dump(&seen);
                panic!("calls without their outcome after {wait:?}: {missing:?}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        // Late duplicates would show up now.
        tokio::time::sleep(Duration::from_secs(1)).await;
        self.ctx.stop.store(true, Ordering::SeqCst);
        for t in self.tasks.drain(..) {
            t.abort();
        }
        let outcomes = self.ctx.outcomes().await;
        let expected = self.ctx.expected.lock().unwrap().clone();
        let mut by_call: HashMap<i64, Vec<&Value>> = HashMap::new();
        let mut tally = Tally {
            calls: expected.len(),
            ..Tally::default()
        };
        for o in &outcomes {
            let call = o["notes"]
                .as_str()
                .and_then(|n| n.rsplit(' ').next())
                .and_then(|c| c.parse::<i64>().ok());
            match call.filter(|c| expected.contains_key(c)) {
                Some(c) => by_call.entry(c).or_default().push(o),
                None => tally.strangers.push(o.clone()),
            }
        }
        for (call, e) in &expected {
            match by_call.get(call).map(Vec::as_slice) {
                None | Some([]) => tally.lost.push(*call),
                Some([o]) => {
                    let ok = o["contact_id"] == e.contact_id
                        && o["subcategory_id"] == e.subcategory
                        && o["notes"] == notes(&e.user, *call)
                        && o["user"] == e.user.as_str();
                    if !ok {
                        tally.wrong.push((*call, (*o).clone()));
                    }
                }
                Some(_) => tally.twice.push(*call),
            }
        }
        tally
    }
}

impl Drop for Floor {
    fn drop(&mut self) {
        self.ctx.stop.store(true, Ordering::SeqCst);
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// The page's way back after a close: 500 ms doubling to 10 s, from the first close after a
/// connection that opened (as `connection.js` does).
fn backoff(retry: u32) -> Duration {
    Duration::from_millis(500)
        .saturating_mul(2u32.saturating_pow(retry))
        .min(Duration::from_secs(10))
}

async fn connect(ctx: &Ctx, user: &str) -> Result<Ws, String> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
    let mut request = format!("ws://127.0.0.1:{}/ws?agent={user}", ctx.lb)
        .into_client_request()
        .map_err(|e| e.to_string())?;
    request.headers_mut().insert(
        "origin",
        format!("http://127.0.0.1:{}", ctx.lb)
            .parse()
            .map_err(|_| "origin".to_owned())?,
    );
    Ws::try_connect(request).await.map_err(|e| e.to_string())
}

/// One agent's day: log in once, then take calls, reattaching with its token whenever the
/// connection ends.
async fn agent(ctx: Arc<Ctx>, user: String) {
    let mut token: Option<String> = None;
    let mut retry = 0;
    // Calls whose release a page showed and the check found in Neotel.
    let mut checked: Vec<i64> = Vec::new();
    while !ctx.stop.load(Ordering::Relaxed) {
        let Ok(mut ws) = connect(&ctx, &user).await else {
            ctx.with(&user, |s| s.drops.push(Instant::now()));
            tokio::time::sleep(backoff(retry)).await;
            retry += 1;
            continue;
        };
        retry = 0;
        let hello = match &token {
            Some(t) => json!({"v":1,"type":"attach","token":t}),
            None => json!({"v":1,"type":"login","device":format!("SIP/{user}"),"user":user,
                           "password":user}),
        };
        if ws.try_send(hello).await.is_err() {
            continue;
        }
        // Commands sent on this connection (a new one may need them again).
        let mut sent: Vec<(i64, &'static str)> = Vec::new();
        let mut quiet_since = Instant::now();
        let ended_by_bye = loop {
            if ctx.stop.load(Ordering::Relaxed) {
                return;
            }
            let m = match ws.poll(Duration::from_millis(500)).await {
                Polled::Closed => break false,
                Polled::Nothing => {
                    // An idle agent asks the dialer again now and then (a call may have been
                    // refused while Neotel still held the last one).
                    let last = ctx.with(&user, |s| s.last_view.clone());
                    if quiet_since.elapsed() > Duration::from_secs(1) && last.is_object() {
                        quiet_since = Instant::now();
                        act(&ctx, &user, &mut ws, &last, &mut sent, &mut checked).await;
                    }
                    continue;
                }
                Polled::Message(m) => m,
            };
            quiet_since = Instant::now();
            match m["type"].as_str() {
                Some("session") => {
                    token = m["token"].as_str().map(str::to_owned);
                    ctx.with(&user, |s| s.sessions.push(Instant::now()));
                    ctx.note(&user, "session".into());
                }
                Some("effect") => {
                    let _ = ws.try_send(super::effect_result(&m["effect"])).await;
                }
                Some("view") => {
                    let view = m["view"].clone();
                    ctx.with(&user, |s| {
                        s.views.push(Instant::now());
                        s.last_view = view.clone();
                    });
                    act(&ctx, &user, &mut ws, &view, &mut sent, &mut checked).await;
                }
                Some("bye") => {
                    let reason = m["reason"].as_str().unwrap_or_default().to_owned();
                    ctx.note(&user, format!("bye {reason}"));
                    ctx.with(&user, |s| s.byes.push((Instant::now(), reason.clone())));
                    if reason != "moved" && reason != "shutdown" {
                        ctx.problem(&user, format!("a goodbye that ends the session: {m}"));
                    }
                    break true;
                }
                Some("error") => {
                    ctx.note(&user, format!("error {m}"));
                    if m["code"] == "invalidToken" {
                        ctx.problem(&user, format!("the token died: {m}"));
                        token = None;
                        break true;
                    }
                    if token.is_none() {
                        // A login refused (NeoApi or the store failing at that moment): again.
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        break true;
                    }
                }
                _ => {}
            }
        };
        if !ended_by_bye {
            ctx.with(&user, |s| s.drops.push(Instant::now()));
            ctx.note(&user, "connection closed".into());
        }
        // The page waits before it connects again, as after any close.
        tokio::time::sleep(backoff(retry)).await;
        retry += 1;
    }
}

/// What the agent does on seeing `view`: join the campaign; hang up the call on screen (the
/// customer does, through the simulator); enter its disposition; Play; ask the dialer for the
/// next call.
async fn act(
    ctx: &Ctx,
    user: &str,
    ws: &mut Ws,
    view: &Value,
    sent: &mut Vec<(i64, &'static str)>,
    checked: &mut Vec<i64>,
) {
    let actions = &view["actions"];
    if view["campaign"] != 97 {
        if actions["joinCampaign"] == true && !sent.contains(&(0, "join")) {
            sent.push((0, "join"));
            let _ = ws
                .try_send(command(json!({"command":"joinCampaign","campaign":97})))
                .await;
        }
        return;
    }
    let contact = &view["contact"];
    let idle = contact.is_null() && view["call"].is_null() && view["status"] == "available";
    // The call on screen: this agent's delivered call of the contact on screen (a view may
    // arrive late, so the view decides, not what the agent did last).
    let by_call = view["call"]["id"].as_i64().and_then(|c| {
        let expected = ctx.expected.lock().unwrap();
        let e = expected.get(&c).filter(|e| e.user == user)?;
        Some((c, e.contact_id))
    });
    let known = by_call.or_else(|| {
        let id = view["info"]["contactId"].as_i64().filter(|_| !idle)?;
        let expected = ctx.expected.lock().unwrap();
        expected
            .iter()
            .rev()
            .find(|(_, e)| e.user == user && e.contact_id == id)
            .map(|(call, _)| (*call, id))
    });
    if let Some((call, contact_id)) = known {
        if view["call"]["bridged"] == true && !sent.contains(&(call, "hangup")) {
            if ctx
                .sim_post(&format!("/sim/calls/{call}/hangup"), json!({}))
                .await
                .is_some()
            {
                sent.push((call, "hangup"));
            }
            return;
        }
        if !contact.is_object() || view["info"]["contactId"] != contact_id {
            return;
        }
        if contact["released"] == true && !checked.contains(&call) {
            // The page says Neotel has the disposition: it must.
            let n = notes(user, call);
            if !ctx
                .outcomes()
                .await
                .iter()
                .any(|o| o["notes"] == n.as_str())
            {
                ctx.problem(
                    user,
                    format!("call {call} shown released before Neotel had it"),
                );
            }
            checked.push(call);
        }
        if contact["released"] != true && actions["categorize"] == true {
            if sent.contains(&(call, "release")) {
                return;
            }
            sent.push((call, "release"));
            ctx.note(user, format!("release {call}"));
            let c = json!({"command":"release","subcategory":category(call),
                           "notes":notes(user, call),"contact":contact["handle"]});
            let _ = ws.try_send(command(c)).await;
        } else if contact["released"] == true
            && actions["play"] == true
            && !sent.contains(&(call, "play"))
        {
            sent.push((call, "play"));
            let _ = ws.try_send(command(json!({"command":"play"}))).await;
        }
        return;
    }
    if !idle || !ctx.taking_calls.load(Ordering::SeqCst) {
        return;
    }
    let Some(d) = ctx
        .sim_post("/sim/dialer/deliver", json!({"campaign":97,"user":user}))
        .await
        .filter(|d| d["call_id"].is_i64())
    else {
        // Neotel still holds the agent (its Play not through yet): later.
        return;
    };
    let (call, contact_id) = (
        d["call_id"].as_i64().unwrap_or_default(),
        d["contact_id"].as_i64().unwrap_or_default(),
    );
    ctx.note(user, format!("delivered {call}"));
    ctx.expected.lock().unwrap().insert(
        call,
        Expected {
            user: user.to_owned(),
            contact_id,
            subcategory: category(call),
        },
    );
    ctx.sim_post(&format!("/sim/agents/{user}/answer"), json!({}))
        .await;
}
