//! The simulation harness (quinn's `Pair` style): one [`Session`], Neotel's engine in-process,
//! a fake Salesforce answering from the dataset, and fake time. No sockets, no sleeps.

#![allow(dead_code)] // each scenario file uses part of it

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use cti_core::{
    CallEvent, Command, Config, Input, NeotelTasks, Output, RequestId, SalesforceEvent, Session,
    SessionError, Snapshot, View,
};
use neotel_api::{Fault, Reply, Request};
use neotel_sim::{Platform, Scenario};
use serde_json::{Map, Value, json};
use sf_opencti::{SalesforceAction, SalesforceEffect, SalesforceError};

pub struct Harness {
    pub session: Session,
    pub neotel: Platform,
    pub user: String,
    start: Instant,
    pub now: Instant,
    wall0: NaiveDateTime,
    pub records: Vec<Value>,
    pub tasks: Vec<Map<String, Value>>,
    /// Task updates Salesforce applied, with the call each named (`CallObject`), in order.
    pub task_updates: Vec<(String, String)>,
    /// The call each Task named when it was created, by Task Id.
    pub task_calls: std::collections::HashMap<String, String>,
    pub views: Vec<View>,
    pub effects: Vec<SalesforceEffect>,
    /// The call events, in order.
    pub calls: Vec<CallEvent>,
    pub requests: Vec<Request>,
    pub ended: bool,
    /// NeoApi methods to fail (timeout, not applied) the next N times.
    pub fail: Vec<(String, u32)>,
    /// NeoApi methods applied, then answered with a timeout (the answer lost), the next N times.
    pub lose: Vec<(String, u32)>,
    /// NeoApi methods answered with this fault (not applied) the next N times.
    pub fault: Vec<(String, u32, String)>,
    /// NeoApi methods applied whose answer never comes (the server dies first), next N times.
    pub unanswered: Vec<(String, u32)>,
    /// NeoApi methods that time out and reach Neotel this much later (a slow IIS), next N times.
    pub late: Vec<(String, u32, Duration)>,
    /// Late calls on their way: when Neotel applies each, the method and its parameters.
    arriving: Vec<Arriving>,
    /// NeoApi methods whose answer (what Neotel had when it was sent) comes only after the
    /// answer of the next call sent: a later call overtakes them, the next N times.
    pub overtaken: Vec<(String, u32)>,
    /// An overtaken answer, waiting for the next call's.
    overtaking: Option<(cti_core::ApiId, Result<Reply, neotel_api::Error>)>,
    config: Config,
    /// Error codes the next `saveLog` calls of a Task fail with, in order; `TIMEOUT_APPLIED`
    /// saves it and then answers `TIMEOUT` (the answer lost, the write done).
    pub fail_save_log: VecDeque<&'static str>,
    /// The org's `NeotelDataRetrieval` has `getTaskByCallObject` (the package's, not the seed's).
    pub apex_task_lookup: bool,
    /// The next N effects are held unanswered (the page is slow, or about to go away).
    pub hold_next: u32,
    /// Effects held unanswered, in the order sent.
    pub held: Vec<SalesforceEffect>,
    /// What Salesforce shows (`getAppViewInfo`).
    pub shown: Value,
    pub layout: Value,
    /// What Salesforce's getCallCenterSettings answers.
    pub install: sf_callcenter::Install,
    inputs: VecDeque<Input>,
    /// What the store holds, kept as the server keeps it: before a batch of outputs that must
    /// not leave first, and after one that may ([`Session::outputs_repeatable`]).
    stored: Vec<u8>,
    /// The snapshot stored after the last batch, not on disk yet: a restart now loses it.
    storing: Option<Vec<u8>>,
    /// What left before its snapshot was stored: NeoApi methods and effect kinds.
    pub left_before_stored: Vec<String>,
    /// Every message bound for the page, in order, as the server sends it: `{"effect": …}`
    /// and `{"view": …}` (the wire the Open CTI page sees).
    pub wire: Vec<Value>,
    /// A page is attached (the server's greet: until then requests wait, views go nowhere).
    attached: bool,
}

/// The session's snapshot as the server stores it ([`Session::write_snapshot`]), checked to be
/// the JSON of [`Session::snapshot`].
fn stored_form(session: &Session) -> Vec<u8> {
    let mut out = Vec::new();
    session.write_snapshot(&mut out);
    let owned = serde_json::to_vec(&session.snapshot()).expect("a snapshot is JSON");
    assert_eq!(out, owned, "the stored form is the snapshot's JSON");
    out
}

/// The words of the softphone's catalog for `language` (the server words a call's Task with it).
pub fn words(language: &str) -> impl Fn(&cti_core::Message) -> String {
    let path = format!(
        "{}/../cti-server/web/softphone/i18n/{language}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let catalog: Map<String, Value> =
        serde_json::from_str(&std::fs::read_to_string(path).expect("a catalog")).expect("JSON");
    move |m: &cti_core::Message| {
        let mut text = catalog
            .get(&format!("msg.{}", m.code.as_str()))
            .and_then(Value::as_str)
            .map_or_else(|| m.to_string(), str::to_owned);
        for (k, v) in &m.params {
            text = text.replace(&format!("{{{k}}}"), v);
        }
        text
    }
}

/// A late NeoApi call: when Neotel applies it, the method and its parameters.
type Arriving = (Instant, String, Vec<(String, String)>);

/// A `saveLog` of the call's Task (not of a record's Neotel fields).
fn is_task(value: &Map<String, Value>) -> bool {
    value.get("entityApiName").and_then(Value::as_str) == Some("Task")
        || value
            .get("Id")
            .and_then(Value::as_str)
            .is_some_and(|id| id.starts_with("00T"))
}

pub fn recommended_layout() -> Value {
    let pop = json!({
        "NoMatch": {"screenPopType": "PopToEntity", "screenPopData": "Contact"},
        "SingleMatch": {"screenPopType": "PopToEntity"},
        "MultipleMatches": {"screenPopType": "PopToSearch"}
    });
    json!({"Inbound": {"screenPopSettings": pop}, "Outbound": {"screenPopSettings": pop}, "Internal": {}})
}

impl Harness {
    pub fn new(user: &str) -> Self {
        Self::with_install(user, sf_callcenter::Install::default())
    }

    /// A session whose call center says what `install` says.
    pub fn with_install(user: &str, install: sf_callcenter::Install) -> Self {
        Self::with_config(user, install, |_| {})
    }

    /// A session whose Neotel server runs `minutes` east of UTC.
    pub fn with_neotel_offset(user: &str, minutes: i64) -> Self {
        Self::with_config(user, sf_callcenter::Install::default(), |c| {
            c.neotel_utc_offset_minutes = minutes;
        })
    }

    /// A session with its configuration adjusted by `adjust`.
    pub fn with_config(
        user: &str,
        install: sf_callcenter::Install,
        adjust: impl FnOnce(&mut Config),
    ) -> Self {
        let mut scenario = Scenario::default_scenario();
        scenario.settings.agent_answer_ms = 0;
        scenario.settings.customer_answer_ms = 0;
        let wall0 = chrono::NaiveDate::from_ymd_opt(2026, 11, 24)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        let records = scenario.salesforce.as_ref().unwrap()["records"]
            .as_array()
            .unwrap()
            .clone();
        let mut neotel = Platform::new(scenario, wall0);
        let p = |kv: &[(&str, &str)]| {
            kv.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<Vec<_>>()
        };
        neotel
            .call(
                wall0,
                "Login",
                &p(&[
                    ("DEVICE", &format!("SIP/{user}")),
                    ("USUARIO", user),
                    ("CLAVE", user),
                ]),
            )
            .expect("login");
        let start = Instant::now();
        let mut config = Config::new(user, NeotelTasks::simulator(), wall0);
        adjust(&mut config);
        let session = Session::new(config.clone(), start);
        let stored = stored_form(&session);
        let mut h = Self {
            session,
            neotel,
            user: user.into(),
            start,
            now: start,
            wall0,
            records,
            tasks: Vec::new(),
            task_updates: Vec::new(),
            task_calls: std::collections::HashMap::new(),
            views: Vec::new(),
            effects: Vec::new(),
            calls: Vec::new(),
            requests: Vec::new(),
            ended: false,
            fail: Vec::new(),
            lose: Vec::new(),
            fault: Vec::new(),
            unanswered: Vec::new(),
            late: Vec::new(),
            arriving: Vec::new(),
            overtaken: Vec::new(),
            overtaking: None,
            config,
            fail_save_log: VecDeque::new(),
            apex_task_lookup: true,
            hold_next: 0,
            held: Vec::new(),
            shown: Value::Null,
            layout: recommended_layout(),
            install,
            inputs: VecDeque::new(),
            stored,
            storing: None,
            left_before_stored: Vec::new(),
            wire: Vec::new(),
            attached: false,
        };
        h.drive();
        h.attach();
        h
    }

    /// The page attaches (the server's greet): the last view, then the requests no page had.
    fn attach(&mut self) {
        self.attached = true;
        if let Some(v) = self.views.last() {
            self.wire.push(json!({ "view": v }));
        }
        let _ = self
            .session
            .handle_input(Input::Salesforce(self.now, SalesforceEvent::PageChanged));
        self.drive();
    }

    /// The server is replaced by a build that finds `stored` (a snapshot another build wrote)
    /// in the store, and resumes the session from it.
    pub fn upgrade_from(&mut self, stored: &str) {
        self.stored = stored.as_bytes().to_vec();
        self.restart();
    }

    /// The server dies and starts again, right after the last outputs left: the session is
    /// restored from what the store holds (the snapshot stored after outputs that may leave
    /// first is lost); answers on their way are lost.
    pub fn restart(&mut self) {
        self.storing = None;
        let snapshot: Snapshot = serde_json::from_slice(&self.stored).expect("a snapshot is JSON");
        self.inputs.clear();
        self.held.clear();
        self.overtaking = None;
        let mut config = self.config.clone();
        config.neotel_time_at_start = self.wall();
        self.session = Session::restore(config, snapshot, self.now).expect("same format");
        self.stored = stored_form(&self.session);
        self.drive();
        // The page attaches again to the resumed session.
        self.event(SalesforceEvent::PageChanged);
    }

    pub fn wall(&self) -> NaiveDateTime {
        self.wall0 + chrono::Duration::from_std(self.now - self.start).unwrap()
    }

    pub fn view(&self) -> &View {
        self.views.last().expect("a view")
    }

    /// Runs outputs and feeds their answers until the session is idle.
    pub fn drive(&mut self) {
        let mut rounds = 0;
        loop {
            rounds += 1;
            assert!(
                rounds < 10_000,
                "the session never goes idle; last requests: {:?}",
                &self.requests[self.requests.len().saturating_sub(6)..]
            );
            // The server's store: the snapshot of the last batch is on disk by now; this one's
            // goes first unless its outputs may leave before it.
            if let Some(s) = self.storing.take() {
                self.stored = s;
            }
            let store_first = !self.session.outputs_repeatable();
            if store_first {
                self.stored = stored_form(&self.session);
            }
            while let Some(out) = self.session.poll_output() {
                // Call events go nowhere on Open CTI (its page follows the views).
                if !store_first && !matches!(out, Output::Call(_)) {
                    self.left_before_stored.push(match &out {
                        Output::NeoApi(_, r) => r.method().to_owned(),
                        Output::Surface(_) => "page state".into(),
                        Output::Crm(r) => sf_opencti::effect(r, &|m| m.to_string())
                            .action
                            .kind()
                            .to_owned(),
                        Output::Call(_) => unreachable!("not counted"),
                        Output::View(_) => "view".to_owned(),
                        Output::Ended => "ended".to_owned(),
                    });
                }
                match out {
                    Output::NeoApi(id, request) => {
                        let result = self.neoapi(&request);
                        let method = request.method();
                        self.requests.push(request);
                        if let Some(f) = self
                            .unanswered
                            .iter_mut()
                            .find(|(m, n)| m == method && *n > 0)
                        {
                            f.1 -= 1;
                            continue;
                        }
                        if let Some(f) = self
                            .overtaken
                            .iter_mut()
                            .find(|(m, n)| m == method && *n > 0)
                            && self.overtaking.is_none()
                        {
                            f.1 -= 1;
                            self.overtaking = Some((id, result));
                            continue;
                        }
                        self.inputs.push_back(Input::NeoApi(self.now, id, result));
                        if let Some((id, result)) = self.overtaking.take() {
                            self.inputs.push_back(Input::NeoApi(self.now, id, result));
                        }
                    }
                    Output::Crm(request) => {
                        let effect = sf_opencti::effect(&request, &words(self.session.language()));
                        self.run_effect(effect, Some(&request.ask));
                    }
                    Output::Surface(update) => {
                        self.run_effect(sf_opencti::surface_effect(&update), None);
                    }
                    Output::Call(event) => self.calls.push(event),
                    Output::View(v) => {
                        if self.attached {
                            self.wire.push(json!({ "view": v }));
                        }
                        self.views.push(*v);
                    }
                    Output::Ended => self.ended = true,
                }
            }
            if !store_first {
                self.storing = Some(stored_form(&self.session));
            }
            let Some(input) = self.inputs.pop_front() else {
                break;
            };
            let _ = self.session.handle_input(input);
        }
    }

    /// The page gets an effect: held, or run and answered (a surface update needs no answer).
    fn run_effect(&mut self, effect: SalesforceEffect, ask: Option<&cti_core::Ask>) {
        self.wire.push(json!({ "effect": effect }));
        self.effects.push(effect.clone());
        if self.hold_next > 0 {
            self.hold_next -= 1;
            self.held.push(effect);
        } else if let Some(ask) = ask {
            let result = self.salesforce(&effect);
            let answer = sf_opencti::answer(ask, result);
            self.inputs
                .push_back(Input::Answered(self.now, effect.id, answer));
        }
    }

    /// An answer for request `id` comes now (late, perhaps from a page gone away): read by
    /// the adapter if the session still waits for it, as the server does.
    pub fn answer_late(&mut self, id: RequestId, value: Value) {
        if let Some(ask) = self.session.ask_of(id).cloned() {
            let answer = sf_opencti::answer(&ask, Ok(value));
            let _ = self
                .session
                .handle_input(Input::Answered(self.now, id, answer));
        }
        self.drive();
    }

    fn neoapi(&mut self, request: &Request) -> Result<Reply, neotel_api::Error> {
        let method = request.method();
        if let Some(f) = self.fail.iter_mut().find(|(m, n)| m == method && *n > 0) {
            f.1 -= 1;
            return Err(neotel_api::Error::Timeout);
        }
        if let Some(f) = self
            .fault
            .iter_mut()
            .find(|(m, n, _)| m == method && *n > 0)
        {
            f.1 -= 1;
            return Err(neotel_api::Error::Platform(Fault::classify(
                method,
                f.2.clone(),
            )));
        }
        if let Some(f) = self.late.iter_mut().find(|(m, n, _)| m == method && *n > 0) {
            f.1 -= 1;
            let params = request
                .params()
                .iter()
                .map(|p| (p.name.to_owned(), p.value.to_string()))
                .collect();
            self.arriving
                .push((self.now + f.2, method.to_owned(), params));
            return Err(neotel_api::Error::Timeout);
        }
        let lost = match self.lose.iter_mut().find(|(m, n)| m == method && *n > 0) {
            Some(f) => {
                f.1 -= 1;
                true
            }
            None => false,
        };
        let params: Vec<(String, String)> = request
            .params()
            .iter()
            .map(|p| (p.name.to_owned(), p.value.to_string()))
            .collect();
        let result = self.neotel.call(self.wall(), method, &params);
        if lost {
            return Err(neotel_api::Error::Timeout);
        }
        match result {
            Ok(neotel_sim::Reply::Void) => Ok(Reply::Void),
            Ok(neotel_sim::Reply::String(s)) => Ok(Reply::String(s)),
            Ok(neotel_sim::Reply::Boolean(b)) => Ok(Reply::Boolean(b)),
            Err(f) => Err(neotel_api::Error::Platform(Fault::classify(
                method, f.message,
            ))),
        }
    }

    fn salesforce(&mut self, effect: &SalesforceEffect) -> Result<Value, SalesforceError> {
        match &effect.action {
            SalesforceAction::GetSoftphoneLayout => Ok(self.layout.clone()),
            SalesforceAction::GetCallCenterSettings => {
                let cc = sf_callcenter::generate(&self.install);
                let mut map = Map::new();
                for s in &cc.sections {
                    for i in &s.items {
                        map.insert(format!("/{}/{}", s.name, i.name), json!(i.value));
                        map.insert(
                            format!("/{}/{}/sortOrder", s.name, i.name),
                            json!(format!("{}.0", i.sort_order)),
                        );
                    }
                    map.insert(
                        format!("/{}/sortOrder", s.name),
                        json!(format!("{}.0", s.sort_order)),
                    );
                }
                Ok(Value::Object(map))
            }
            SalesforceAction::SearchAndScreenPop { search_params, .. } => {
                let mut out = Map::new();
                for r in &self.records {
                    let phone = r["Phone"].as_str().unwrap_or_default();
                    if r["Id"] == search_params.as_str()
                        || phone == search_params
                        || r["neoCrmData__c"] == search_params.as_str()
                    {
                        out.insert(
                            r["Id"].as_str().unwrap().into(),
                            json!({"Id": r["Id"], "Name": r["Name"], "RecordType": r["type"]}),
                        );
                    }
                }
                Ok(Value::Object(out))
            }
            SalesforceAction::SaveLog { value }
                if is_task(value) && !self.fail_save_log.is_empty() =>
            {
                let mut code = self.fail_save_log.pop_front().unwrap();
                if code == "TIMEOUT_APPLIED" {
                    let _ = self.save_log(value);
                    code = "TIMEOUT";
                }
                Err(SalesforceError {
                    code: code.into(),
                    description: "Salesforce said no".into(),
                })
            }
            SalesforceAction::SaveLog { value } => Ok(self.save_log(value)),
            SalesforceAction::RunApex {
                method_name,
                method_params,
                ..
            } if method_name == "getTaskByCallObject" => {
                if !self.apex_task_lookup {
                    return Err(SalesforceError {
                        code: "SERVER_ERROR".into(),
                        description: "No such method getTaskByCallObject".into(),
                    });
                }
                let call = method_params
                    .strip_prefix("CallObject=")
                    .unwrap_or_default();
                let list: Vec<&Map<String, Value>> = self
                    .tasks
                    .iter()
                    .filter(|t| t.get("CallObject").and_then(Value::as_str) == Some(call))
                    .collect();
                Ok(json!({ "runApex": serde_json::to_string(&list).unwrap() }))
            }

            SalesforceAction::RunApex {
                method_name,
                method_params,
                ..
            } if method_name == "getRecordByNeotelCampaign" => {
                let param = |name: &str| {
                    method_params
                        .split('&')
                        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                        .unwrap_or_default()
                        .to_owned()
                };
                let (object, campaign) = (param("objectName"), param("campaignId"));
                let list: Vec<&Value> = self
                    .records
                    .iter()
                    .filter(|r| r["type"] == object.as_str())
                    .filter(|r| r["neoCampaignId__c"] == campaign.as_str())
                    .collect();
                Ok(json!({ "runApex": serde_json::to_string(&list).unwrap() }))
            }
            SalesforceAction::RunApex {
                method_name,
                method_params,
                ..
            } => {
                let id = method_params.strip_prefix("Id=").unwrap_or_default();
                let object = method_name
                    .strip_prefix("get")
                    .and_then(|m| m.strip_suffix("ById"))
                    .unwrap_or_default();
                let list: Vec<&Value> = self
                    .records
                    .iter()
                    .filter(|r| r["Id"] == id && r["type"] == object)
                    .collect();
                Ok(json!({ "runApex": serde_json::to_string(&list).unwrap() }))
            }
            SalesforceAction::GetAppViewInfo => Ok(self.shown.clone()),
            _ => Ok(Value::Null),
        }
    }

    /// Salesforce's `saveLog`: updates by Id, creates a Task otherwise; answers the Id.
    fn save_log(&mut self, value: &Map<String, Value>) -> Value {
        if let Some(id) = value.get("Id").and_then(Value::as_str) {
            if let Some(t) = self.tasks.iter_mut().find(|t| t["Id"] == id) {
                let call = value.get("CallObject").and_then(Value::as_str);
                self.task_updates
                    .push((id.to_owned(), call.unwrap_or_default().to_owned()));
                t.extend(value.clone());
            } else if let Some(r) = self.records.iter_mut().find(|r| r["Id"] == id) {
                for (k, v) in value {
                    r[k] = v.clone();
                }
            }
            json!(id)
        } else {
            let id = format!("00T{:015}", self.tasks.len() + 1);
            let call = value.get("CallObject").and_then(Value::as_str);
            self.task_calls
                .insert(id.clone(), call.unwrap_or_default().to_owned());
            let mut t = value.clone();
            t.insert("Id".into(), json!(id));
            self.tasks.push(t);
            json!(id)
        }
    }

    /// Answers the held effects now (late), as Salesforce would.
    pub fn answer_held(&mut self) {
        for effect in std::mem::take(&mut self.held) {
            let Some(ask) = self.session.ask_of(effect.id).cloned() else {
                continue;
            };
            let result = self.salesforce(&effect);
            let answer = sf_opencti::answer(&ask, result);
            let _ = self
                .session
                .handle_input(Input::Answered(self.now, effect.id, answer));
            self.drive();
        }
    }

    /// The page holding the held effects goes away; another takes over (the server says so).
    /// Returns what was lost and what the session sent to the new page.
    pub fn change_page(&mut self) -> (Vec<SalesforceEffect>, Vec<SalesforceEffect>) {
        let lost = std::mem::take(&mut self.held);
        // What the change itself sends (not what its answers lead to) is held, then answered.
        self.hold_next = u32::MAX;
        self.event(SalesforceEvent::PageChanged);
        self.hold_next = 0;
        let sent = self.held.clone();
        self.answer_held();
        (lost, sent)
    }

    /// The agent saves the new-record window the last pop opened (W-SYNC): Salesforce creates
    /// the record with its pre-filled values and shows it. Returns its Id.
    pub fn save_new_record(&mut self, object: &str) -> String {
        let (_, params) = self
            .pops()
            .into_iter()
            .rev()
            .find(|(t, _)| *t == "newRecord")
            .expect("a new-record window was opened");
        let id = format!("003SI{:013}AAA", self.records.len() + 1);
        let mut record = params["defaultFieldValues"].clone();
        record["Id"] = json!(id);
        record["type"] = json!(object);
        record["Name"] = json!("Nuevo Cliente");
        self.records.push(record);
        self.navigate(&id, object, "Nuevo Cliente");
        id
    }

    /// Salesforce shows `id` (the agent opened it, or a window closed over it).
    pub fn navigate(&mut self, id: &str, object: &str, name: &str) {
        self.shown = json!({"recordId": id, "objectType": object, "recordName": name});
        self.event(SalesforceEvent::Navigation {
            record_id: Some(id.into()),
            object_type: Some(object.into()),
            record_name: Some(name.into()),
        });
    }

    /// The agent logs out: the session's last words to the page.
    pub fn log_out(&mut self) {
        self.session.log_out(self.now);
        self.drive();
    }

    pub fn command(&mut self, c: Command) -> Result<(), SessionError> {
        let r = self.session.handle_input(Input::Command(self.now, c));
        self.drive();
        r
    }

    pub fn event(&mut self, e: SalesforceEvent) {
        let _ = self.session.handle_input(Input::Salesforce(self.now, e));
        self.drive();
    }

    /// Moves fake time forward, firing the session's timers on the way. An answer held for
    /// the next call's comes now if no call followed (an answer never waits forever).
    pub fn advance(&mut self, by: Duration) {
        self.release_overtaken();
        let target = self.now + by;
        let mut fired = 0;
        loop {
            let Some(at) = self.session.poll_timeout().filter(|at| *at <= target) else {
                // An overtaken answer no later call came to overtake arrives in the end (the
                // session may be waiting for it to poll again).
                if self.release_overtaken() {
                    continue;
                }
                break;
            };
            fired += 1;
            assert!(
                fired < 10_000,
                "timers keep firing at {:?}",
                at - self.start
            );
            self.now = at.max(self.now);
            let wall = self.wall();
            self.neotel.advance(wall);
            self.arrive();
            let _ = self.session.handle_input(Input::Timeout(self.now));
            self.drive();
        }
        self.now = target;
        let wall = self.wall();
        self.neotel.advance(wall);
        self.arrive();
    }

    /// The overtaken answer held, if any, arrives now; whether there was one.
    fn release_overtaken(&mut self) -> bool {
        let Some((id, result)) = self.overtaking.take() else {
            return false;
        };
        let _ = self
            .session
            .handle_input(Input::NeoApi(self.now, id, result));
        self.drive();
        true
    }

    /// Late calls whose time has come reach Neotel.
    fn arrive(&mut self) {
        let now = self.now;
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.arriving)
            .into_iter()
            .partition(|(at, _, _)| *at <= now);
        self.arriving = later;
        for (_, method, params) in due {
            let _ = self.neotel.call(self.wall(), &method, &params);
        }
    }

    /// F-CAMPAIGN: joins a campaign and lets the poll see it.
    pub fn join(&mut self, campaign: i64) {
        self.command(Command::JoinCampaign { campaign })
            .expect("joining a campaign");
        self.advance(Duration::from_secs(1));
    }

    /// F-RELEASE: categorizes the contact with `subcategory`, no notes, and lets Neotel answer.
    pub fn categorize(&mut self, subcategory: i64) {
        self.command(Command::Release {
            subcategory: Some(subcategory),
            notes: String::new(),
            contact: None,
        })
        .expect("the contact can be categorized");
        self.advance(Duration::from_secs(1));
    }

    /// The campaign's dialer hands this agent a contact, and the session sees it.
    pub fn deliver(&mut self, campaign: i64) -> neotel_sim::Delivered {
        let delivered = self
            .neotel
            .deliver_contact(
                self.wall(),
                &neotel_sim::DeliverRequest {
                    campaign,
                    ..Default::default()
                },
            )
            .expect("a contact to deliver");
        self.advance(Duration::from_secs(1));
        delivered
    }

    /// An inbound call to queue 200 reaches this agent and the session sees it.
    pub fn inbound(&mut self, ani: &str, data: Option<String>) -> neotel_sim::InboundPlaced {
        let placed = self
            .neotel
            .place_inbound_call(
                self.wall(),
                &neotel_sim::InboundRequest {
                    queue: 200,
                    ani: ani.into(),
                    data,
                },
            )
            .expect("an inbound call");
        self.advance(Duration::from_secs(1));
        placed
    }

    pub fn methods(&self) -> Vec<&'static str> {
        self.requests.iter().map(Request::method).collect()
    }

    pub fn count(&self, method: &str) -> usize {
        self.requests
            .iter()
            .filter(|r| r.method() == method)
            .count()
    }

    pub fn pops(&self) -> Vec<(&'static str, Value)> {
        self.effects
            .iter()
            .filter_map(|e| match &e.action {
                SalesforceAction::ScreenPop { pop_type, params } => {
                    Some((*pop_type, params.clone()))
                }
                _ => None,
            })
            .collect()
    }

    pub fn searches(&self) -> usize {
        self.effects
            .iter()
            .filter(|e| matches!(e.action, SalesforceAction::SearchAndScreenPop { .. }))
            .count()
    }
}
