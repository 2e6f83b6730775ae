//! The per-poll cost: one agent's session handling one `Position` answer, as the server feeds
//! it every poll interval, when the answer changes nothing (the common case: an idle agent)
//! and when it changes something (the dialer delivered a contact); and the view that change
//! draws, serialized as the server sends it to each tab (`view_encode`).
//!
//! `cargo bench -p cti-core --bench position_change -- --warm-up-time 1 --measurement-time 3`
//!
//! The session is brought to rest by the simulator's engine (in-process) and a Salesforce that
//! answers every effect, agent 1001 in predictive campaign 97, with its `Position` request out;
//! each iteration answers that request on a copy (the copy is not timed) and drains the outputs.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use cti_core::{ApiId, Command, Config, Input, NeotelTasks, Output, SalesforceEvent, Session};
use neotel_api::{Reply, Request};
use neotel_sim::{DeliverRequest, Platform, Scenario};
use serde_json::{Map, Value, json};
use sf_opencti::SalesforceAction;

const USER: &str = "1001";

/// A session and the Neotel engine it talks to, on fake time.
struct Rig {
    session: Session,
    neotel: Platform,
    start: Instant,
    now: Instant,
    wall0: NaiveDateTime,
    /// The `Position` request the session is waiting for, once it sent one.
    position: Option<ApiId>,
}

impl Rig {
    fn new() -> Self {
        let mut scenario = Scenario::default_scenario();
        scenario.settings.agent_answer_ms = 0;
        scenario.settings.customer_answer_ms = 0;
        let wall0 = chrono::NaiveDate::from_ymd_opt(2026, 11, 24)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .expect("a valid date");
        let mut neotel = Platform::new(scenario, wall0);
        let login = [("DEVICE", "SIP/1001"), ("USUARIO", USER), ("CLAVE", USER)]
            .map(|(k, v)| (k.to_owned(), v.to_owned()));
        neotel.call(wall0, "Login", &login).expect("login");
        let start = Instant::now();
        let mut rig = Self {
            session: Session::new(Config::new(USER, NeotelTasks::simulator(), wall0), start),
            neotel,
            start,
            now: start,
            wall0,
            position: None,
        };
        // The softphone page attaches and runs the requests.
        let _ = rig
            .session
            .handle_input(Input::Salesforce(start, SalesforceEvent::PageChanged));
        rig.drive();
        rig
    }

    fn wall(&self) -> NaiveDateTime {
        self.wall0 + chrono::Duration::from_std(self.now - self.start).unwrap_or_default()
    }

    /// Runs the outputs and feeds their answers until the session is idle, except the
    /// `Position` request, which is kept for the caller to answer.
    fn drive(&mut self) {
        loop {
            let mut inputs = Vec::new();
            while let Some(out) = self.session.poll_output() {
                match out {
                    Output::NeoApi(id, Request::Position { .. }) => self.position = Some(id),
                    Output::NeoApi(id, request) => {
                        let params: Vec<(String, String)> = request
                            .params()
                            .iter()
                            .map(|p| (p.name.to_owned(), p.value.to_string()))
                            .collect();
                        let reply = match self.neotel.call(self.wall(), request.method(), &params) {
                            Ok(neotel_sim::Reply::String(s)) => Reply::String(s),
                            Ok(neotel_sim::Reply::Boolean(b)) => Reply::Boolean(b),
                            Ok(neotel_sim::Reply::Void) | Err(_) => Reply::Void,
                        };
                        inputs.push(Input::NeoApi(self.now, id, Ok(reply)));
                    }
                    // Through the Open CTI adapter, as the server does.
                    Output::Crm(request) => {
                        let effect = sf_opencti::effect(&request, &|m| m.to_string());
                        let page = salesforce(&effect.action);
                        let answer = sf_opencti::answer(&request.ask, Ok(page));
                        inputs.push(Input::Answered(self.now, request.id, answer));
                    }
                    Output::Surface(_) | Output::Call(_) | Output::View(_) | Output::Ended => {}
                }
            }
            if inputs.is_empty() {
                return;
            }
            for input in inputs {
                let _ = self.session.handle_input(input);
            }
        }
    }

    /// Answers the waiting `Position` with what Neotel says now, then lets `by` pass.
    fn poll(&mut self, by: Duration) {
        if let Some(id) = self.position.take() {
            let answer = self.position_text();
            let _ =
                self.session
                    .handle_input(Input::NeoApi(self.now, id, Ok(Reply::String(answer))));
            self.drive();
        }
        let target = self.now + by;
        while let Some(at) = self.session.poll_timeout().filter(|at| *at <= target) {
            self.now = at.max(self.now);
            let wall = self.wall();
            self.neotel.advance(wall);
            let _ = self.session.handle_input(Input::Timeout(self.now));
            self.drive();
        }
        self.now = target;
    }

    /// The agent's `Position` as Neotel renders it now.
    fn position_text(&mut self) -> String {
        let user = [("USUARIO".to_owned(), USER.to_owned())];
        match self.neotel.call(self.wall(), "Position", &user) {
            Ok(neotel_sim::Reply::String(s)) => s,
            other => panic!("Position answers a string, not {other:?}"),
        }
    }
}

/// What an org answers: the call center's settings, a softphone layout that pops the single
/// match, one match for every search, an id for every save.
fn salesforce(action: &SalesforceAction) -> Value {
    match action {
        SalesforceAction::GetCallCenterSettings => {
            let cc = sf_callcenter::generate(&sf_callcenter::Install::default());
            let mut map = Map::new();
            for s in &cc.sections {
                for i in &s.items {
                    map.insert(format!("/{}/{}", s.name, i.name), json!(i.value));
                }
            }
            Value::Object(map)
        }
        SalesforceAction::GetSoftphoneLayout => {
            let pop = json!({
                "NoMatch": {"screenPopType": "PopToEntity", "screenPopData": "Contact"},
                "SingleMatch": {"screenPopType": "PopToEntity"},
                "MultipleMatches": {"screenPopType": "PopToSearch"}
            });
            json!({"Inbound": {"screenPopSettings": pop}, "Outbound": {"screenPopSettings": pop}})
        }
        SalesforceAction::SearchAndScreenPop { .. } => {
            json!({"003000000000001AAA": {"Id": "003000000000001AAA", "Name": "Ana", "RecordType": "Contact"}})
        }
        SalesforceAction::SaveLog { .. } => json!("00T000000000001AAA"),
        _ => Value::Null,
    }
}

fn position_change(c: &mut Criterion) {
    let mut rig = Rig::new();
    rig.session
        .handle_input(Input::Command(
            rig.now,
            Command::JoinCampaign { campaign: 97 },
        ))
        .expect("campaign 97 can be joined");
    rig.drive();
    // a few polls: the campaign is seen, the lists are in, the session is at rest
    for _ in 0..3 {
        rig.poll(Duration::from_secs(1));
    }
    let resting = rig.session.clone();
    let id = rig.position.expect("a Position request is out");
    let now = rig.now;
    let idle = rig.position_text();

    let wall = rig.wall();
    rig.neotel
        .deliver_contact(
            wall,
            &DeliverRequest {
                campaign: 97,
                ..Default::default()
            },
        )
        .expect("a contact to deliver");
    let delivered = rig.position_text();
    assert!(delivered.contains("ESTADO_CRM=GetContact"), "{delivered}");
    assert!(idle.contains("ESTADO_CRM=Available"), "{idle}");

    // what each answer makes the session do (checked once, untimed)
    let outputs = |text: &String| {
        let mut session = resting.clone();
        let answer = Input::NeoApi(now, id, Ok(Reply::String(text.clone())));
        session.handle_input(answer).expect("an answer is taken");
        std::iter::from_fn(|| session.poll_output())
            .filter(|o| !matches!(o, Output::View(_)))
            .count()
    };
    assert_eq!(outputs(&idle), 0, "an idle Position changes nothing");
    assert!(outputs(&delivered) > 0, "a delivery is acted on");

    let mut group = c.benchmark_group("position_change");
    for (name, text) in [("unchanged", &idle), ("contact_delivered", &delivered)] {
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    let input = Input::NeoApi(now, id, Ok(Reply::String(text.clone())));
                    (resting.clone(), input)
                },
                |(mut session, input)| {
                    let _ = session.handle_input(input);
                    let mut outputs = 0;
                    while let Some(out) = session.poll_output() {
                        black_box(&out);
                        outputs += 1;
                    }
                    (session, outputs)
                },
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();

    // The view of the contact on screen, as the server encodes it for the page: the lists
    // travel apart (only when they change), the rest is turned into JSON and then text.
    let mut session = resting.clone();
    let answer = Input::NeoApi(now, id, Ok(Reply::String(delivered.clone())));
    session.handle_input(answer).expect("an answer is taken");
    let mut view = std::iter::from_fn(|| session.poll_output())
        .filter_map(|o| match o {
            Output::View(v) => Some(v),
            _ => None,
        })
        .last()
        .expect("a delivery draws a view");
    assert!(view.contact.is_some(), "the view shows the contact");
    drop(std::mem::take(&mut view.lists));
    c.bench_function("view_encode/contact_delivered", |b| {
        b.iter(|| {
            let mut value = serde_json::to_value(black_box(&*view)).expect("views serialize");
            if let Some(map) = value.as_object_mut() {
                map.remove("lists");
            }
            let text = json!({"v": 1, "type": "view", "view": value}).to_string();
            black_box(text)
        });
    });
}

criterion_group!(benches, position_change);
criterion_main!(benches);
