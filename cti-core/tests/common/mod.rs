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

/// The Omni-Channel presence statuses of the voice side: ready, no campaign, break `n` (its id
/// is this followed by `n`).
pub const PRESENCE_AVAILABLE: &str = "0N5000000000001";
/// Logged in to Neotel, in no campaign.
pub const PRESENCE_NO_CAMPAIGN: &str = "0N5000000000002";
/// Neotel break `n`'s status: this followed by `n`.
pub const PRESENCE_BREAK: &str = "0N50000000001B";

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
    /// The Salesforce Voice side's VoiceCalls stored beside it (`voiceCalls`, as the server
    /// stores them), when there is a voice side.
    stored_voice: Option<sf_voice::Records>,
    /// The snapshot stored after the last batch, not on disk yet: a restart now loses it.
    storing: Option<(Vec<u8>, Option<sf_voice::Records>)>,
    /// What left before its snapshot was stored: NeoApi methods and effect kinds.
    pub left_before_stored: Vec<String>,
    /// Every message bound for the page, in order, as the server sends it: `{"effect": …}`
    /// and `{"view": …}` (the wire the Open CTI page sees).
    pub wire: Vec<Value>,
    /// A page is attached (the server's greet: until then requests wait, views go nowhere).
    attached: bool,
    /// The Salesforce Voice side, once a voice page attached beside the Open CTI page (which
    /// leads: the core's requests go to it), made as `cti-server`'s `CoreSession` makes it.
    pub voice: Option<sf_voice::VoiceSession>,
    /// The voice page now (its connection id), if one is open.
    voice_page: Option<u64>,
    /// What the voice side made that leaves only once the snapshot that knows of it is
    /// stored: page messages, Telephony Integration API writes, notes (the server's `ready`).
    voice_ready: VecDeque<sf_voice::Out>,
    /// Salesforce's side of the voice page: what the base published and its method calls.
    pub host: Host,
    /// The Telephony Integration API.
    pub scrt: Scrt,
}

/// The connector page's user: Salesforce, through the unmodified base (`scv.md` §1.4: what the
/// base publishes itself once a method settles).
#[derive(Default)]
pub struct Host {
    /// Every message the voice pages got, with the page, in order.
    pub messages: Vec<(u64, sf_voice::PageMessage)>,
    /// The call events Salesforce's softphone got, in order: the connector's publishes and
    /// what the base publishes after a method's result (DIAL → CALL_STARTED; END_CALL,
    /// DECLINE_CALL, a blind ADD_PARTICIPANT → HANGUP).
    pub events: Vec<Told>,
    /// Server restarts so far.
    pub restarts: usize,
    /// Method calls on their way: id → method, args, when asked.
    asked: std::collections::HashMap<u64, (String, Value, Instant)>,
    /// The last method call's id.
    next: u64,
    /// Method results that came after the page's 10 s wait (the base had rejected them).
    pub late_results: usize,
    /// Calls Salesforce was told of and not of their end (callId), in order.
    pub up: Vec<String>,
    /// VoiceCall news the server logged and counted.
    pub noted: Vec<sf_voice::Noted>,
    /// Voice pages that reattach (their iframe stayed: the base heard of the calls before), so
    /// they publish what their setup says they missed; a new page learns the calls from it.
    pub reattaching: std::collections::BTreeSet<u64>,
}

impl Host {
    fn call_id(call: &Value) -> Option<String> {
        call.get("callId")
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    fn told(&mut self, event: &'static str, call: &Value) {
        self.told_by(event, call, false);
    }

    fn told_by(&mut self, event: &'static str, call: &Value, by_base: bool) {
        let Some(id) = Self::call_id(call) else {
            return;
        };
        match event {
            "CALL_STARTED" => self.up.push(id.clone()),
            "HANGUP" => self.up.retain(|c| *c != id),
            _ => {}
        }
        self.events.push(Told {
            event,
            call: id,
            by_base,
            restarts: self.restarts,
        });
    }

    /// A message reaches voice page `page` at `now`.
    fn deliver(&mut self, page: u64, message: sf_voice::PageMessage, now: Instant) {
        use sf_voice::PageMessage;
        if let PageMessage::Setup { missed, .. } = &message
            && self.reattaching.remove(&page)
        {
            for (event_type, payload) in missed.clone() {
                let publish = PageMessage::Publish {
                    event_type,
                    payload,
                };
                self.deliver(page, publish, now);
            }
        }
        match &message {
            PageMessage::Publish {
                event_type: "CALL_STARTED",
                payload,
            } => self.told("CALL_STARTED", &payload["call"]),
            PageMessage::Publish {
                event_type: "HANGUP",
                payload,
            } => {
                for call in payload["calls"].as_array().into_iter().flatten() {
                    self.told("HANGUP", call);
                }
            }
            PageMessage::Result { id, result } => {
                if let Some((method, args, at)) = self.asked.remove(id) {
                    if now.duration_since(at) > Duration::from_secs(10) {
                        // The page rejected it after its wait: the base published nothing.
                        self.late_results += 1;
                    } else if let Ok(Some(value)) = result {
                        match method.as_str() {
                            "dial" => self.told_by("CALL_STARTED", &value["call"], true),
                            "declineCall" => self.told_by("HANGUP", &value["call"], true),
                            "endCall" => {
                                for call in value["calls"].as_array().into_iter().flatten() {
                                    self.told_by("HANGUP", call, true);
                                }
                            }
                            "addParticipant" if args["isBlindTransfer"] == true => {
                                self.told_by("HANGUP", &args["call"], true);
                            }
                            _ => {}
                        }
                    }
                }
            }
            _ => {}
        }
        self.messages.push((page, message));
    }

    /// The events of call `key`, in order.
    pub fn events_of(&self, key: &str) -> Vec<&'static str> {
        self.told_of(key).map(|t| t.event).collect()
    }

    /// What Salesforce was told of call `key`, in order.
    pub fn told_of(&self, key: &str) -> impl Iterator<Item = &Told> + '_ {
        let key = key.to_owned();
        self.events.iter().filter(move |t| t.call == key)
    }
}

/// A call event Salesforce's softphone got.
#[derive(Debug, Clone)]
pub struct Told {
    /// CALL_STARTED or HANGUP.
    pub event: &'static str,
    /// The call's `callId`.
    pub call: String,
    /// Published by the base after a method's result, not by the connector.
    pub by_base: bool,
    /// Server restarts before it.
    pub restarts: usize,
}

/// What the Telephony Integration API does with the next write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TelFault {
    /// Applied, its answer lost (a timeout, a dropped connection).
    Lost,
    /// Not applied: a 5xx (an outcome unknown to the server).
    ServerError,
    /// Not applied: a 4xx.
    Refused,
    /// Never left the server.
    NotSent,
    /// Applied, answered later (held until [`Harness::answer_telephony`]).
    Slow,
    /// Applied, and the server dies before its answer.
    Crash,
    /// A creation applied, answered without the VoiceCall's id.
    NoId,
}

/// A write's answer on its way: the write's id, its outcome, and the VoiceCall an R2 named.
type Answering = (u64, sf_voice::Written, Option<String>);

/// One VoiceCall in the org.
#[derive(Debug, Clone, Default)]
pub struct VoiceCallRecord {
    /// Its id.
    pub id: String,
    /// Salesforce made it (a call it was told of as outbound), not our R1.
    pub by_salesforce: bool,
    /// R1s applied for its key.
    pub creates: u32,
    /// R2s applied.
    pub updates: u32,
    /// The server was answered that an R2 was taken.
    pub taken: bool,
    /// R2s applied after the server was answered one was taken.
    pub after_taken: u32,
    /// The last R2 applied: duration and outcome.
    pub ended: Option<(Option<u32>, Option<String>)>,
}

/// The Telephony Integration API (`scv.md` §3.5) as the tests need it: mints ids, keeps the
/// VoiceCalls by key, applies or fails each write as told.
#[derive(Default)]
pub struct Scrt {
    /// By `vendorCallKey`.
    pub calls: std::collections::BTreeMap<String, VoiceCallRecord>,
    /// What befalls the next writes, in order (none left: applied and answered).
    pub faults: VecDeque<TelFault>,
    /// Answers on their way, with the VoiceCall an R2 named.
    answers: VecDeque<Answering>,
    /// Answers held ([`TelFault::Slow`]).
    held: Vec<Answering>,
    /// A write was applied and the server must die before its answer.
    pub crashed: bool,
    /// Faults injected.
    pub injected: usize,
}

impl Scrt {
    /// Salesforce makes the VoiceCall of a call it was told of as outbound (`scv.md` §3.4).
    fn salesforce_made(&mut self, key: &str) {
        let n = self.calls.len() + 1;
        self.calls
            .entry(key.to_owned())
            .or_insert_with(|| VoiceCallRecord {
                id: format!("0LQSF{n:010}"),
                by_salesforce: true,
                ..VoiceCallRecord::default()
            });
    }

    /// Write `id` arrives.
    fn write(&mut self, id: u64, write: &sf_voice::Write) {
        use sf_voice::{Write, Written};
        let fault = self.faults.pop_front();
        self.injected += usize::from(fault.is_some());
        let not_applied = match fault {
            Some(TelFault::ServerError) => Some(Written::Unknown("HTTP 503".into())),
            Some(TelFault::Refused) => Some(Written::Refused("HTTP 400".into())),
            Some(TelFault::NotSent) => Some(Written::NotSent("unreachable".into())),
            _ => None,
        };
        let named = match write {
            Write::Update { call, .. } => Some(call.clone()),
            Write::Create(_) => None,
        };
        if let Some(w) = not_applied {
            self.answers.push_back((id, w, named));
            return;
        }
        let written = match write {
            Write::Create(body) => {
                let n = self.calls.len() + 1;
                let r = self
                    .calls
                    .entry(body.vendor_call_key.clone())
                    .or_insert_with(|| VoiceCallRecord {
                        id: format!("0LQ{n:013}"),
                        ..VoiceCallRecord::default()
                    });
                r.creates += 1;
                if fault == Some(TelFault::NoId) {
                    Written::Done(None)
                } else {
                    Written::Done(Some(r.id.clone()))
                }
            }
            Write::Update { call, body } => {
                match self
                    .calls
                    .iter_mut()
                    .find(|(key, r)| *key == call || r.id == *call)
                {
                    Some((_, r)) => {
                        r.updates += 1;
                        r.after_taken += u32::from(r.taken);
                        r.ended = Some((
                            body.agent_interaction_duration,
                            body.call_attributes.clone(),
                        ));
                        Written::Done(None)
                    }
                    None => {
                        self.answers
                            .push_back((id, Written::Refused("HTTP 404".into()), named));
                        return;
                    }
                }
            }
        };
        match fault {
            Some(TelFault::Lost) => {
                self.answers
                    .push_back((id, Written::Unknown("timed out".into()), named));
            }
            Some(TelFault::Slow) => self.held.push((id, written, named)),
            Some(TelFault::Crash) => self.crashed = true,
            _ => self.answers.push_back((id, written, named)),
        }
    }

    /// An answer reaches the server: an R2 taken is known to be.
    fn answered(&mut self, written: &sf_voice::Written, named: Option<&String>) {
        if let (sf_voice::Written::Done(_), Some(call)) = (written, named)
            && let Some((_, r)) = self
                .calls
                .iter_mut()
                .find(|(key, r)| *key == call || r.id == *call)
        {
            r.taken = true;
        }
    }
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
            stored_voice: None,
            voice: None,
            voice_page: None,
            voice_ready: VecDeque::new(),
            host: Host::default(),
            scrt: Scrt::default(),
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
        self.stored_voice = None;
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
        self.voice_ready.clear();
        self.scrt.answers.clear();
        self.scrt.held.clear();
        self.scrt.crashed = false;
        self.host.restarts += 1;
        let mut config = self.config.clone();
        config.neotel_time_at_start = self.wall();
        self.session = Session::restore(config, snapshot, self.now).expect("same format");
        // A snapshot with VoiceCalls makes the voice side at once: their writes go on.
        self.voice = None;
        if let Some(records) = self.stored_voice.clone() {
            self.voice = Some(self.make_voice());
            let outs = self.voice.as_mut().expect("made").resume_records(records);
            self.run_voice(outs);
        }
        self.stored = stored_form(&self.session);
        self.stored_voice = self.voice.as_ref().map(|v| v.records().clone());
        // Until the pages attach again, what the resumed session publishes reaches none.
        let page = self.voice_page.take();
        self.drive();
        // The pages attach again to the resumed session: the voice page gets its setup.
        if let Some(page) = page {
            self.host.reattaching.insert(page + 1);
            self.attach_voice(page + 1);
        }
        self.event(SalesforceEvent::PageChanged);
    }

    /// The Salesforce Voice side's configuration (the Neotel breaks 1 to 3 have presence
    /// statuses; VoiceCall records are written).
    pub fn voice_config(&self) -> sf_voice::VoiceConfig {
        sf_voice::VoiceConfig {
            user: self.user.clone(),
            device: format!("SIP/{}", self.user),
            presence: sf_voice::Presence {
                available: Some(PRESENCE_AVAILABLE.into()),
                no_campaign: Some(PRESENCE_NO_CAMPAIGN.into()),
                breaks: (1..=3)
                    .map(|b| (b, format!("{PRESENCE_BREAK}{b}")))
                    .collect(),
            },
            label_namespace: "neotel".into(),
            after_call_work: true,
            options: self.config.options.clone(),
            dialing: self.config.dialing.clone(),
            pop_rules: sf_callcenter::SoftphoneLayout::default(),
            catalogs: std::sync::Arc::default(),
            records: Some(sf_voice::RecordsConfig {
                call_center: "NeotelContactCenter".into(),
                contact_center_number: "08005550100".into(),
            }),
        }
    }

    /// The voice side as the server makes it: told of the call in progress.
    fn make_voice(&self) -> sf_voice::VoiceSession {
        let mut voice = sf_voice::VoiceSession::new(self.voice_config());
        if let Some((start, connected)) = self.session.current_call() {
            voice.known_call(start, connected, self.utc());
        }
        voice
    }

    /// A Salesforce Voice page opens beside the Open CTI page (which keeps leading).
    pub fn open_voice(&mut self) {
        self.attach_voice(1);
    }

    /// Voice page `page` attaches (a first one makes the voice side): it gets its setup.
    fn attach_voice(&mut self, page: u64) {
        if let Some(old) = self.voice_page
            && let Some(voice) = self.voice.as_mut()
        {
            voice.page_gone(old);
        }
        self.voice_page = Some(page);
        if self.voice.is_none() {
            self.voice = Some(self.make_voice());
        }
        let outs = self.voice.as_mut().expect("made").setup(page);
        self.run_voice(outs);
        self.drive();
    }

    /// The connector's iframe reloads: a new voice page attaches.
    pub fn reload_voice(&mut self) {
        if let Some(page) = self.voice_page {
            self.attach_voice(page + 1);
        }
    }

    /// Salesforce calls `method` on the voice page (a host message), as the server takes it.
    pub fn voice_method(&mut self, method: &str, args: Value) {
        let wall = self.utc();
        let (Some(page), Some(voice)) = (self.voice_page, self.voice.as_mut()) else {
            return;
        };
        self.host.next += 1;
        let id = self.host.next;
        self.host
            .asked
            .insert(id, (method.to_owned(), args.clone(), self.now));
        let asked = sf_voice::Asked { page, id };
        let outs = voice.method(asked, method, &args, wall);
        self.run_voice(outs);
        self.drive();
    }

    /// The Telephony Integration API's held answers arrive now.
    pub fn answer_telephony(&mut self) {
        let held = std::mem::take(&mut self.scrt.held);
        self.scrt.answers.extend(held);
        self.drive();
    }

    /// Salesforce Voice's timestamps: the wall time now, as UTC (the harness's Neotel runs at
    /// UTC unless told otherwise).
    fn utc(&self) -> chrono::DateTime<chrono::Utc> {
        self.utc_at(self.now)
    }

    fn utc_at(&self, at: Instant) -> chrono::DateTime<chrono::Utc> {
        (self.wall0 + chrono::Duration::from_std(at - self.start).unwrap()).and_utc()
    }

    /// The instant of wall time `at` (the voice side plans its retries in wall time).
    fn instant_of(&self, at: chrono::DateTime<chrono::Utc>) -> Instant {
        self.start + (at - self.wall0.and_utc()).to_std().unwrap_or_default()
    }

    /// Carries out what the voice side wants, as the server's `CoreSession::run_voice` does:
    /// commands and answers to the core at once (their outcomes told back), the rest kept
    /// until the store took the snapshot.
    fn run_voice(&mut self, outs: Vec<sf_voice::Out>) {
        use sf_voice::Out;
        let mut outs: VecDeque<Out> = outs.into();
        while let Some(out) = outs.pop_front() {
            match out {
                Out::Command(command, then) => {
                    let outcome = match self.session.handle_input(Input::Command(self.now, command))
                    {
                        Ok(()) => Ok(()),
                        Err(SessionError::Refused(m)) => Err(m),
                        Err(SessionError::Ended) => {
                            Err(cti_core::Message::new(cti_core::Code::NeotelNotLogged))
                        }
                    };
                    let words = |m: &cti_core::Message| m.to_string();
                    let voice = self.voice.as_mut().expect("its outputs");
                    outs.extend(voice.commanded(then, outcome, &words));
                }
                Out::Answer(id, result) => {
                    let _ = self
                        .session
                        .handle_input(Input::Answered(self.now, id, result));
                }
                Out::ComponentAnswer(id, message) => {
                    if let Some(ask) = self.session.ask_of(id).cloned() {
                        let result = sf_voice::read_answer(&ask, &message);
                        let _ = self
                            .session
                            .handle_input(Input::Answered(self.now, id, result));
                    }
                }
                Out::Event(event) => {
                    let _ = self
                        .session
                        .handle_input(Input::Salesforce(self.now, event));
                }
                Out::LogOut(_) => {}
                other => self.voice_ready.push_back(other),
            }
        }
    }

    /// The voice side's page messages, writes and notes leave (their snapshot is stored).
    fn deliver_voice(&mut self) {
        use sf_voice::{Out, PageMessage};
        while let Some(out) = self.voice_ready.pop_front() {
            match out {
                Out::To(page, message) => {
                    let Some(open) = self.voice_page else {
                        continue;
                    };
                    if page.is_some_and(|p| p != open) {
                        continue;
                    }
                    // Salesforce makes the VoiceCall of a call it is told of as outbound.
                    fn outbound_start(m: &PageMessage) -> Option<&str> {
                        match m {
                            PageMessage::Publish {
                                event_type: "CALL_STARTED",
                                payload,
                            } => Some(&payload["call"]),
                            PageMessage::Result {
                                result: Ok(Some(v)),
                                ..
                            } if v["call"]["state"] == "ringing" => Some(&v["call"]),
                            _ => None,
                        }
                        .filter(|c| c["callType"] == "Outbound")
                        .and_then(|c| c["callId"].as_str())
                    }
                    if let Some(key) = outbound_start(&message) {
                        self.scrt.salesforce_made(key);
                    }
                    self.host.deliver(open, message, self.now);
                }
                Out::Telephony { id, write } => self.scrt.write(id, &write),
                Out::Noted(noted) => self.host.noted.push(noted),
                _ => unreachable!("run at once"),
            }
        }
    }

    /// A Telephony Integration API answer reaches the voice side.
    fn voice_written(&mut self, (id, written, named): Answering) {
        self.scrt.answered(&written, named.as_ref());
        let wall = self.utc();
        let words = |m: &cti_core::Message| m.to_string();
        if let Some(voice) = self.voice.as_mut() {
            let outs = voice.written(id, written, wall, &words);
            self.run_voice(outs);
        }
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
            if let Some((s, voice)) = self.storing.take() {
                self.stored = s;
                self.stored_voice = voice;
            }
            // As the server's `CoreSession::handle`: the voice side takes the call events and
            // views first, so what they lead to (page messages, VoiceCall writes) is known
            // before the store is decided; those leave only once their snapshot is stored.
            let repeatable = self.session.outputs_repeatable() && self.voice_ready.is_empty();
            let batch: Vec<Output> = std::iter::from_fn(|| self.session.poll_output()).collect();
            if self.voice.is_some() {
                let wall = self.utc();
                let words = |m: &cti_core::Message| m.to_string();
                for out in &batch {
                    let voice = self.voice.as_mut().expect("checked");
                    let outs = match out {
                        Output::Call(event) => voice.event(event, wall, &words),
                        Output::View(v) => voice.view(v, &Value::Null),
                        _ => continue,
                    };
                    self.run_voice(outs);
                }
            }
            let store_first = !repeatable
                || self
                    .voice_ready
                    .iter()
                    .any(|o| !matches!(o, sf_voice::Out::Noted(_)));
            if store_first {
                self.stored = stored_form(&self.session);
                self.stored_voice = self.voice.as_ref().map(|v| v.records().clone());
            }
            for out in batch {
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
            self.deliver_voice();
            if !store_first {
                let voice = self.voice.as_ref().map(|v| v.records().clone());
                self.storing = Some((stored_form(&self.session), voice));
            }
            let Some(input) = self.inputs.pop_front() else {
                // The Telephony Integration API's answers, once the session's own are in.
                if let Some(answer) = self.scrt.answers.pop_front() {
                    self.voice_written(answer);
                    continue;
                }
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
            // The voice side's VoiceCall ends due again share the session's timer (the server's
            // `CoreSession::poll_timeout`).
            let retry = self
                .voice
                .as_ref()
                .and_then(sf_voice::VoiceSession::next_retry)
                .map(|at| self.instant_of(at));
            let next = match (self.session.poll_timeout(), retry) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let Some(at) = next.filter(|at| *at <= target) else {
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
            if self.voice.is_some() {
                let wall = self.utc();
                let outs = self.voice.as_mut().expect("checked").due(wall);
                self.run_voice(outs);
            }
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
