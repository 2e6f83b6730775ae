//! The core's boundary with Salesforce is surface-neutral (issue 25):
//!
//! - its source names nothing of Open CTI (methods, arguments, error codes): each surface's
//!   adapter does;
//! - a second surface, made here for the tests and speaking the core's typed terms directly
//!   (no JSON, no Open CTI), drives whole calls: a predictive call, an inbound private call with
//!   W-SYNC, a click-to-dial with its contact search, and a page that goes away;
//! - the call events come once each, in order.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use cti_core::{
    AgentStatus, Answer, Ask, CallEvent, CallLog, CallOrigin, Command, Config, CrmRequest, Input,
    NeotelTasks, Output, RecordRef, SalesforceEvent, Session, SurfaceSet,
};
use neotel_api::{Fault, Reply};
use neotel_sim::{Platform, Scenario};
use serde_json::{Map, Value, json};
use sf_callcenter::{DialingOptions, Options, PopRule, PopRules, SearchMatch, SoftphoneLayout};

/// Open CTI's words, which only its adapter may say.
const OPEN_CTI: &[&str] = &[
    "sforce.",
    "opencti",
    "saveLog",
    "screenPop",
    "runApex",
    "NeotelDataRetrieval",
    "heightPX",
    "widthPX",
    "getAppViewInfo",
    "entityApiName",
    "SOFTPHONE_CONTAINER_ERROR",
    "INVALID_PARAM",
    "GENERIC_ERROR",
    "SERVER_ERROR",
    "searchAndScreenPop",
    "getCallCenterSettings",
    "getSoftphoneLayout",
    "getTaskByCallObject",
    "setSoftphone",
    "enableClickToDial",
    "disableClickToDial",
    "onClickToDial",
    "onNavigationChange",
    "defaultFieldValues",
    "CallObject",
];

#[test]
fn the_core_names_nothing_of_open_cti() {
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut files = vec![std::path::PathBuf::from(src)];
    let mut found = Vec::new();
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        // Unit tests at the end of a file may quote anything.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (n, line) in code.lines().enumerate() {
            for word in OPEN_CTI {
                // As a word of its own (`Salesforce.` does not say `sforce.`).
                let named = line.match_indices(word).any(|(at, _)| {
                    !line[..at]
                        .chars()
                        .next_back()
                        .is_some_and(|c| c.is_alphanumeric() || c == '_')
                });
                if named {
                    found.push(format!("{}:{}: {word}", path.display(), n + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "Open CTI named in the core:\n{}",
        found.join("\n")
    );
}

/// A Salesforce surface of the tests' own: records in memory, answers in the core's types.
struct TestSurface {
    records: Vec<Map<String, Value>>,
    logs: BTreeMap<String, CallLog>,
    shown: Option<RecordRef>,
    popped: Vec<Ask>,
    written: Vec<(String, Map<String, Value>)>,
    state: Vec<SurfaceSet>,
    /// Requests held unanswered (the page is about to go away).
    hold: bool,
    held: Vec<CrmRequest>,
}

impl TestSurface {
    fn new() -> Self {
        let records = [
            json!({"Id": "0038d0000000001AAA", "type": "Contact", "Name": "María González",
                "Phone": "1141007000", "neoCrmId__c": 4, "neoCrmData__c": "0038d0000000001AAA"}),
            json!({"Id": "0038d0000000002AAA", "type": "Contact", "Name": "José Rodríguez",
                "Phone": "1144455556", "neoCrmId__c": 4, "neoCrmData__c": "0038d0000000002AAA"}),
        ];
        Self {
            records: records
                .into_iter()
                .map(|r| r.as_object().unwrap().clone())
                .collect(),
            logs: BTreeMap::new(),
            shown: None,
            popped: Vec::new(),
            written: Vec::new(),
            state: Vec::new(),
            hold: false,
            held: Vec::new(),
        }
    }

    fn answer(&mut self, ask: &Ask) -> Answer {
        let record = |r: &Map<String, Value>| SearchMatch {
            id: r["Id"].as_str().unwrap().into(),
            object_type: r["type"].as_str().unwrap().into(),
            name: r["Name"].as_str().unwrap().into(),
        };
        match ask {
            Ask::Settings => Answer::Settings(Box::new(Ok((
                Options::default(),
                DialingOptions::default(),
            )))),
            Ask::PopRules => {
                let rules = PopRules {
                    no_match: PopRule::PopToEntity("Contact".into()),
                    single_match: PopRule::PopToEntity(String::new()),
                    multiple_matches: PopRule::PopToSearch,
                };
                Answer::PopRules(Box::new(Ok(SoftphoneLayout::uniform(rules))))
            }
            Ask::FindRecords { key, .. } => Answer::Records(
                self.records
                    .iter()
                    .filter(|r| r["Id"] == key.as_str() || r["Phone"] == key.as_str())
                    .map(record)
                    .collect(),
            ),
            Ask::ReadRecord { record } => Answer::Record(
                self.records
                    .iter()
                    .find(|r| r["Id"] == record.id.as_str())
                    .cloned(),
            ),
            Ask::WriteRecord { id, fields } => {
                self.written.push((id.clone(), fields.clone()));
                Answer::Done
            }
            Ask::LogCall { log, existing } => {
                let id = existing
                    .clone()
                    .unwrap_or_else(|| format!("LOG{}", self.logs.len() + 1));
                self.logs.insert(id.clone(), (**log).clone());
                Answer::Logged(Some(id))
            }
            Ask::FindCallLog { call_id } => Answer::LogFound(
                self.logs
                    .iter()
                    .find(|(_, l)| l.call_id == *call_id)
                    .map(|(id, _)| id.clone()),
            ),
            Ask::CurrentRecord => Answer::Current(self.shown.clone()),
            Ask::FindCampaignRecord { .. } => Answer::Records(Vec::new()),
            pop @ (Ask::ShowRecord { .. }
            | Ask::ShowNewRecord { .. }
            | Ask::ShowSearch { .. }
            | Ask::Minimize) => {
                self.popped.push(pop.clone());
                Answer::Done
            }
        }
    }
}

/// One session on the test surface, Neotel's engine in-process, fake time.
struct Desk {
    session: Session,
    neotel: Platform,
    surface: TestSurface,
    calls: Vec<CallEvent>,
    start: Instant,
    now: Instant,
    wall0: chrono::NaiveDateTime,
    inputs: Vec<Input>,
}

impl Desk {
    fn new(user: &str) -> Self {
        let mut scenario = Scenario::default_scenario();
        scenario.settings.agent_answer_ms = 0;
        scenario.settings.customer_answer_ms = 0;
        let wall0 = chrono::NaiveDate::from_ymd_opt(2026, 11, 24)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        let mut neotel = Platform::new(scenario, wall0);
        let login = [
            ("DEVICE", format!("SIP/{user}")),
            ("USUARIO", user.into()),
            ("CLAVE", user.into()),
        ];
        let params: Vec<(String, String)> = login
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        neotel.call(wall0, "Login", &params).expect("login");
        let start = Instant::now();
        let mut d = Self {
            session: Session::new(Config::new(user, NeotelTasks::simulator(), wall0), start),
            neotel,
            surface: TestSurface::new(),
            calls: Vec::new(),
            start,
            now: start,
            wall0,
            inputs: Vec::new(),
        };
        d.input(Input::Salesforce(start, SalesforceEvent::PageChanged));
        d
    }

    fn wall(&self) -> chrono::NaiveDateTime {
        self.wall0 + chrono::Duration::from_std(self.now - self.start).unwrap()
    }

    fn input(&mut self, input: Input) {
        let _ = self.session.handle_input(input);
        self.drive();
    }

    fn drive(&mut self) {
        loop {
            while let Some(out) = self.session.poll_output() {
                match out {
                    Output::NeoApi(id, request) => {
                        let params: Vec<(String, String)> = request
                            .params()
                            .iter()
                            .map(|p| (p.name.to_owned(), p.value.to_string()))
                            .collect();
                        let method = request.method();
                        let result = match self.neotel.call(self.wall(), method, &params) {
                            Ok(neotel_sim::Reply::Void) => Ok(Reply::Void),
                            Ok(neotel_sim::Reply::String(s)) => Ok(Reply::String(s)),
                            Ok(neotel_sim::Reply::Boolean(b)) => Ok(Reply::Boolean(b)),
                            Err(f) => Err(neotel_api::Error::Platform(Fault::classify(
                                method, f.message,
                            ))),
                        };
                        self.inputs.push(Input::NeoApi(self.now, id, result));
                    }
                    Output::Crm(request) if self.surface.hold => self.surface.held.push(request),
                    Output::Crm(request) => {
                        let answer = self.surface.answer(&request.ask);
                        self.inputs
                            .push(Input::Answered(self.now, request.id, Ok(answer)));
                    }
                    Output::Surface(update) => self.surface.state.push(update.set),
                    Output::Call(event) => self.calls.push(event),
                    Output::View(_) | Output::Ended => {}
                }
            }
            if self.inputs.is_empty() {
                break;
            }
            for input in std::mem::take(&mut self.inputs) {
                let _ = self.session.handle_input(input);
            }
        }
    }

    fn advance(&mut self, by: Duration) {
        let target = self.now + by;
        while let Some(at) = self.session.poll_timeout().filter(|at| *at <= target) {
            self.now = at.max(self.now);
            let wall = self.wall();
            self.neotel.advance(wall);
            self.input(Input::Timeout(self.now));
        }
        self.now = target;
        let wall = self.wall();
        self.neotel.advance(wall);
    }

    fn command(&mut self, c: Command) {
        self.input(Input::Command(self.now, c));
    }

    fn status(&self) -> AgentStatus {
        self.session.last_view().expect("a view").status
    }

    /// The call events, without the agent's state changes.
    fn call_events(&self) -> Vec<&CallEvent> {
        self.calls
            .iter()
            .filter(|e| !matches!(e, CallEvent::Status { .. }))
            .collect()
    }
}

#[test]
fn a_predictive_call_through_a_surface_that_is_not_open_cti() {
    let mut d = Desk::new("1001");
    d.command(Command::JoinCampaign { campaign: 97 });
    d.advance(Duration::from_secs(1));
    assert_eq!(d.status(), AgentStatus::Available);
    assert!(d.surface.state.contains(&SurfaceSet::ClickToDial(true)));

    let delivered = d
        .neotel
        .deliver_contact(
            d.wall(),
            &neotel_sim::DeliverRequest {
                campaign: 97,
                ..Default::default()
            },
        )
        .unwrap();
    d.advance(Duration::from_secs(1));
    d.neotel.agent_answer(d.wall(), "1001").unwrap();
    d.advance(Duration::from_secs(2));
    assert_eq!(
        d.surface.popped,
        [Ask::ShowRecord {
            id: delivered.data.clone()
        }],
        "W-SCREENPOP: the one match pops"
    );
    assert_eq!(
        d.surface.written.len(),
        1,
        "W-EXTERNAL: the record took the Neotel data"
    );
    assert_eq!(
        d.surface.written[0].1["neoContactId__c"],
        json!(delivered.contact_id.to_string())
    );

    d.command(Command::Hangup);
    d.advance(Duration::from_secs(2));
    assert_eq!(d.status(), AgentStatus::WrapUp);
    d.command(Command::Release {
        subcategory: Some(26),
        notes: "cliente conforme".into(),
        contact: None,
    });
    d.advance(Duration::from_secs(1));
    d.command(Command::Play);
    d.advance(Duration::from_secs(2));
    assert_eq!(d.status(), AgentStatus::Available);

    // W-ACTIVITY: one log for the call, with its disposition and record.
    assert_eq!(d.surface.logs.len(), 1);
    let log = d.surface.logs.values().next().unwrap();
    assert_eq!(log.call_id, delivered.call_id);
    assert!(log.category.is_some(), "{log:?}");
    assert_eq!(
        log.record.as_ref().map(|r| r.id.as_str()),
        Some(delivered.data.as_str())
    );
    assert_eq!(d.neotel.applied("UpdateContact"), 1);
    assert_eq!(d.neotel.applied("CRM_Available"), 1);

    // The call events: once each, in order.
    let events = d.call_events();
    assert!(
        matches!(events.as_slice(), [
            CallEvent::Started(start),
            CallEvent::Connected { .. },
            CallEvent::Ended { .. },
            CallEvent::WrapUpStarted { .. },
            CallEvent::Closed(closed),
            CallEvent::WrapUpEnded { .. },
        ] if start.id == delivered.call_id && start.origin == CallOrigin::Dialer
            && start.dialer.as_deref() == Some("Predictive") && start.campaign == Some(97)
            && closed.id == delivered.call_id && closed.released.is_some()
            && closed.category.as_ref().map(|c| c.1.as_str()) == Some("Venta concretada")
            && closed.notes.as_deref() == Some("cliente conforme")),
        "{events:?}"
    );
    assert!(d.calls.iter().any(|e| matches!(
        e,
        CallEvent::Status {
            status: AgentStatus::WrapUp,
            ..
        }
    )));
}

#[test]
fn an_inbound_private_call_and_w_sync_through_a_surface_that_is_not_open_cti() {
    let mut d = Desk::new("1004");
    d.command(Command::JoinCampaign { campaign: 97 });
    d.advance(Duration::from_secs(1));
    d.neotel
        .place_inbound_call(
            d.wall(),
            &neotel_sim::InboundRequest {
                queue: 200,
                ani: String::new(),
                data: None,
            },
        )
        .unwrap();
    d.advance(Duration::from_secs(1));
    // W-PRIVATE: no search; the no-match rule opens a new record pre-filled with a sync id.
    let Some(Ask::ShowNewRecord {
        object_type,
        fields,
    }) = d.surface.popped.first().cloned()
    else {
        panic!("a new record popped: {:?}", d.surface.popped);
    };
    assert_eq!(object_type, "Contact");
    let sync_id = fields["neoSyncId__c"].as_str().unwrap().to_owned();

    // Another record shown is not linked; the saved new one is.
    d.surface.records.push(
        json!({"Id": "003OTHER", "type": "Contact", "Name": "Otro", "neoSyncId__c": "999"})
            .as_object()
            .unwrap()
            .clone(),
    );
    d.input(Input::Salesforce(
        d.now,
        SalesforceEvent::Navigation {
            record_id: Some("003OTHER".into()),
            object_type: Some("Contact".into()),
            record_name: Some("Otro".into()),
        },
    ));
    assert!(
        d.session
            .last_view()
            .unwrap()
            .contact
            .as_ref()
            .unwrap()
            .record
            .is_none()
    );
    d.surface.records.push(
        json!({"Id": "003NEW", "type": "Contact", "Name": "Nuevo", "neoSyncId__c": sync_id})
            .as_object()
            .unwrap()
            .clone(),
    );
    d.surface.shown = Some(RecordRef {
        id: "003NEW".into(),
        object_type: "Contact".into(),
        name: Some("Nuevo".into()),
    });
    d.command(Command::SyncRecord);
    let view = d.session.last_view().unwrap();
    assert_eq!(
        view.contact
            .as_ref()
            .unwrap()
            .record
            .as_ref()
            .map(|r| r.id.as_str()),
        Some("003NEW"),
        "W-SYNC: linked by its neoSyncId__c"
    );
    assert!(
        d.surface.written.iter().all(|(id, _)| id == "003NEW"),
        "nothing written elsewhere"
    );

    d.command(Command::Hangup);
    d.advance(Duration::from_secs(2));
    d.command(Command::Release {
        subcategory: Some(26),
        notes: String::new(),
        contact: None,
    });
    d.advance(Duration::from_secs(2));
    let log = d.surface.logs.values().next().expect("the call's log");
    assert_eq!(log.record.as_ref().map(|r| r.id.as_str()), Some("003NEW"));
    let events = d.call_events();
    assert!(
        matches!(events.first(), Some(CallEvent::Started(start))
            if start.origin == CallOrigin::Queue && start.queue == Some(200) && start.key.as_deref() == Some("")),
        "{events:?}"
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, CallEvent::Ended { .. }))
            .count(),
        1
    );
}

#[test]
fn a_click_to_dial_search_through_a_surface_that_is_not_open_cti() {
    let mut d = Desk::new("1001");
    d.command(Command::JoinCampaign { campaign: 99 });
    d.advance(Duration::from_secs(1));
    d.input(Input::Salesforce(
        d.now,
        SalesforceEvent::ClickToDial {
            number: "(011) 4100-7000".into(),
            record_id: Some("0038d0000000001AAA".into()),
            object_type: Some("Contact".into()),
            record_name: Some("María González".into()),
        },
    ));
    d.advance(Duration::from_secs(3));
    let view = d.session.last_view().unwrap();
    let record = view.contact.as_ref().and_then(|c| c.record.clone());
    assert_eq!(
        record.map(|r| r.id),
        Some("0038d0000000001AAA".into()),
        "W-CLICK2DIAL: the record's Neotel fields found the contact"
    );
    let events = d.call_events();
    assert!(
        matches!(events.first(), Some(CallEvent::Started(start)) if start.origin == CallOrigin::Agent),
        "{events:?}"
    );
}

/// A page that goes away with the log's creation unanswered, which Salesforce saves a few
/// seconds later: the next page asks whether it exists only once it can no longer land, and the
/// call keeps one log (issue 24, item 5).
#[test]
fn a_log_creation_left_by_a_page_that_went_away_is_looked_up_once_it_cannot_land() {
    let mut d = Desk::new("1007");
    d.command(Command::JoinCampaign { campaign: 97 });
    d.advance(Duration::from_secs(1));
    d.neotel
        .place_inbound_call(
            d.wall(),
            &neotel_sim::InboundRequest {
                queue: 200,
                ani: "1144445555".into(),
                data: Some("0038d0000000002AAA".into()),
            },
        )
        .unwrap();
    d.advance(Duration::from_secs(1));
    d.surface.hold = true;
    d.command(Command::Hangup);
    d.advance(Duration::from_secs(1));
    let creation = d
        .surface
        .held
        .iter()
        .find(|r| r.ask.creates_log())
        .cloned()
        .expect("the log's creation went to the page");
    d.surface.held.clear();
    d.surface.hold = false;
    // The page goes away; another takes over.
    d.input(Input::Salesforce(d.now, SalesforceEvent::PageGone));
    d.advance(Duration::from_secs(1));
    d.input(Input::Salesforce(d.now, SalesforceEvent::PageChanged));
    d.advance(Duration::from_secs(4));
    assert!(
        d.surface.logs.is_empty(),
        "not created again while it may still land"
    );
    // What the old page sent lands now.
    d.surface.answer(&creation.ask);
    d.advance(Duration::from_secs(15));
    d.command(Command::Release {
        subcategory: Some(26),
        notes: String::new(),
        contact: None,
    });
    d.advance(Duration::from_secs(2));
    assert_eq!(d.surface.logs.len(), 1, "one log per call");
    assert!(d.surface.logs.values().next().unwrap().category.is_some());
}
