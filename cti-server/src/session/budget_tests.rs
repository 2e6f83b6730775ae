//! Issue 28: the NeoApi budget holds over a window with agents in every state, counted where
//! the requests arrive. Real cti-core sessions in their drivers, NeoApi the simulator's engine
//! behind a counting transport, time paused: the only thing measured is how many requests
//! reach Neotel over the window.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use neotel_api::{Fault, Reply, Request};
use neotel_sim::{DeliverRequest, Platform, Scenario};

use super::driver;
use super::hub::Sessions;
use super::machine::MachineStart;
use super::registry::SessionHandle;
use crate::clock;
use crate::config::Config;
use crate::neoapi::NeoApi;

/// NeoApi as the simulator's engine, in memory, counting every request it answers.
#[derive(Debug)]
struct Counted {
    neotel: Mutex<Platform>,
    wall0: NaiveDateTime,
    start: Instant,
    requests: AtomicU64,
}

impl Counted {
    fn new() -> Arc<Self> {
        let mut scenario = Scenario::default_scenario();
        scenario.settings.agent_answer_ms = 0;
        let wall0 = chrono::NaiveDate::from_ymd_opt(2026, 11, 24)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        Arc::new(Self {
            neotel: Mutex::new(Platform::new(scenario, wall0)),
            wall0,
            start: clock::now(),
            requests: AtomicU64::new(0),
        })
    }

    fn wall(&self) -> NaiveDateTime {
        self.wall0 + chrono::Duration::from_std(clock::now() - self.start).unwrap()
    }

    /// `request` applied to the platform, not counted (what the agents do on their phones and
    /// Neotel's own consoles).
    fn apply(&self, request: &Request) -> Result<Reply, neotel_api::Error> {
        let params: Vec<(String, String)> = request
            .params()
            .iter()
            .map(|p| (p.name.to_owned(), p.value.to_string()))
            .collect();
        let method = request.method();
        let reply = self
            .neotel
            .lock()
            .unwrap()
            .call(self.wall(), method, &params);
        match reply {
            Ok(neotel_sim::Reply::Void) => Ok(Reply::Void),
            Ok(neotel_sim::Reply::String(s)) => Ok(Reply::String(s)),
            Ok(neotel_sim::Reply::Boolean(b)) => Ok(Reply::Boolean(b)),
            Err(f) => Err(neotel_api::Error::Platform(Fault::classify(
                method, f.message,
            ))),
        }
    }
}

#[async_trait::async_trait]
impl neotel_api::Transport for Counted {
    async fn call(&self, request: &Request) -> Result<Reply, neotel_api::Error> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.apply(request)
    }
}

const AGENTS: [&str; 10] = [
    "1001", "1002", "1003", "1004", "1005", "1006", "1007", "1008", "1009", "1010",
];

/// Every agent logged in to Neotel with a session driven by cti-core's machine.
fn log_in(sessions: &Arc<Sessions>, neotel: &Counted) -> Vec<SessionHandle> {
    AGENTS
        .iter()
        .map(|user| {
            neotel
                .apply(&Request::Login {
                    device: format!("SIP/{user}"),
                    user: (*user).to_owned(),
                    password: neotel_api::Password::new((*user).to_owned()),
                })
                .expect("a Neotel login");
            let core = (sessions.machines)(MachineStart {
                config: &sessions.config,
                callcenter: &sessions.callcenter,
                user,
                device: "",
                settings: None,
                now: clock::now(),
                wall: clock::wall(),
                snapshot: None,
                records: None,
            })
            .expect("a machine");
            driver::spawn(
                sessions,
                driver::Start {
                    user,
                    device: "",
                    verifier: "",
                    generation: 0,
                    core,
                    now: clock::now(),
                },
            )
        })
        .collect()
}

fn urgency_metric(sessions: &Sessions, family: &str, urgency: &str) -> f64 {
    let line = format!("cti_{family}{{urgency=\"{urgency}\"}} ");
    sessions
        .metrics
        .render()
        .lines()
        .find_map(|l| l.strip_prefix(&line)?.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test(start_paused = true)]
async fn the_budget_holds_over_a_window_of_agents_in_every_state() {
    const BUDGET: u32 = 20;
    let mut config = Config::defaults();
    config.neoapi_max_requests_per_sec = Some(BUDGET);
    config.idle_timeout = Duration::from_secs(3600);
    let neotel = Counted::new();
    let callcenter = crate::callcenter::fallback(&config).expect("the seed's call center");
    let sessions = Sessions::new(
        config,
        NeoApi::with_transport(neotel.clone()),
        callcenter,
        super::core_machines(),
        None,
        None,
    );
    let _handles = log_in(&sessions, &neotel);
    let wall = || neotel.wall();
    let user = |u: &str| u.to_owned();
    // 1001-1003 wait for a contact; 1004-1006 talk to one; 1007-1008 on a break; 1009-1010
    // in no campaign (a queue's call may reach them: they wait as the first three do).
    for u in &AGENTS[..8] {
        let join = Request::LoginCampaign {
            user: user(u),
            campaign: 97,
        };
        neotel.apply(&join).unwrap();
    }
    for u in &AGENTS[3..6] {
        let delivery = DeliverRequest {
            campaign: 97,
            user: Some(user(u)),
            ..Default::default()
        };
        let mut platform = neotel.neotel.lock().unwrap();
        platform.deliver_contact(wall(), &delivery).unwrap();
        platform.agent_answer(wall(), u).unwrap();
    }
    for u in &AGENTS[6..8] {
        let pause = Request::Pause {
            user: user(u),
            break_subtype: 1,
        };
        neotel.apply(&pause).unwrap();
    }
    tokio::time::sleep(Duration::from_secs(10)).await;
    for (urgency, n) in [("delivery", 5.0), ("call", 3.0), ("quiet", 2.0)] {
        assert_eq!(
            urgency_metric(&sessions, "sessions_by_urgency", urgency),
            n,
            "{}",
            sessions.metrics.render()
        );
    }

    // The window: two minutes, the breaks ending halfway (two more agents await a delivery:
    // five then seven, six on average; two quiet then none, one on average).
    let window = Duration::from_secs(120);
    let before = neotel.requests.load(Ordering::Relaxed);
    let polls_before = ["delivery", "call", "quiet"]
        .map(|u| urgency_metric(&sessions, "position_polls_by_urgency_total", u));
    tokio::time::sleep(window / 2).await;
    for u in &AGENTS[6..8] {
        neotel.apply(&Request::Unpause { user: user(u) }).unwrap();
    }
    tokio::time::sleep(window / 2).await;
    let requests = neotel.requests.load(Ordering::Relaxed) - before;

    let allowed = u64::from(BUDGET) * window.as_secs();
    assert!(
        requests <= allowed,
        "{requests} NeoApi requests in {window:?} at {BUDGET} a second"
    );
    // The budget is spent where it buys speed: a session awaiting a delivery looks far more
    // often than one on a call, which looks more often than a quiet one.
    let polls = ["delivery", "call", "quiet"]
        .map(|u| urgency_metric(&sessions, "position_polls_by_urgency_total", u));
    let per_session = |i: usize, sessions: f64| (polls[i] - polls_before[i]) / sessions;
    let (delivery, call, quiet) = (
        per_session(0, 6.0),
        per_session(1, 3.0),
        per_session(2, 1.0),
    );
    assert!(
        delivery > 5.0 * call && call > 2.0 * quiet && quiet > 0.0,
        "polls per session: {delivery} delivery, {call} call, {quiet} quiet"
    );
    assert!(
        requests >= allowed / 2,
        "{requests} NeoApi requests: the budget is used"
    );
    sessions.shutdown.cancel();
    sessions.tracker.close();
    sessions.tracker.wait().await;
}
