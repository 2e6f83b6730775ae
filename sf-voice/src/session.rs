//! One agent's Salesforce Voice side: what Salesforce's softphone was told of the calls, the
//! methods Salesforce calls turned into the core's commands and answered, the core's call
//! events turned into the base's events, and the core's requests sent to our Lightning
//! components (or answered from the server's configuration).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use cti_core::{
    AgentStatus, Answer, Ask, CallEvent, CallOrigin, CallStart, Command, CrmError, CrmRequest,
    CrmResult, Message, MonitorMode, Outcome, RecordRef, RequestId, SalesforceEvent,
    TransferTarget, TransferView, View,
};
use serde_json::{Value, json};
use sf_callcenter::{CallType, DialingOptions, Options, SoftphoneLayout};

use crate::bridge::{self, FromComponents};
use crate::describe::{self, class};
use crate::records::{Noted, RecordOut, Records, RecordsConfig, Write, Written};

/// Whether Salesforce is told of a call as inbound: a call coming in, or one a dialer hands
/// the agent connected (progressive/predictive: "the inbound flow"); a preview contact is the
/// agent's outbound call (`scv.md` §5.4). Salesforce makes an outbound call's VoiceCall itself.
fn told_inbound(s: &CallStart) -> bool {
    s.direction == CallType::Inbound
        || (s.origin == CallOrigin::Dialer && s.dialer.as_deref() != Some("Preview"))
}

/// What the adapter needs from the server's configuration.
#[derive(Debug, Clone)]
pub struct VoiceConfig {
    /// The Neotel user (`USUARIO`): part of every call's key.
    pub user: String,
    /// The agent's desk phone (`DEVICE`), Salesforce's selected phone.
    pub device: String,
    /// Omni-Channel presence statuses ↔ Neotel's states (F-BREAK).
    pub presence: Presence,
    /// The namespace of the package's Custom Labels for refusals (`c`: the package as shipped).
    pub label_namespace: String,
    /// The contact center allows after-call work (`isACWAllowed`): the wrap-up is announced.
    pub after_call_work: bool,
    /// The connector's options and dialing prefixes: under Salesforce Voice no call center
    /// settings map reaches the connector, the server's configuration holds them.
    pub options: Options,
    /// The dialing prefixes (W-CLICK2DIAL).
    pub dialing: DialingOptions,
    /// The record pop rules per call type (Salesforce Voice has no softphone layout).
    pub pop_rules: SoftphoneLayout,
    /// The words the components word the view with, by language (the softphone's catalogs,
    /// shared by every session).
    pub catalogs: Arc<BTreeMap<String, Arc<Value>>>,
    /// VoiceCall records through the Telephony Integration API (`None`: the server writes
    /// none; Salesforce Voice runs without them).
    pub records: Option<RecordsConfig>,
}

/// Omni-Channel presence statuses (their ids, as the org has them) for Neotel's states.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Presence {
    /// Ready for Neotel's calls.
    pub available: Option<String>,
    /// Logged in to Neotel, in no campaign.
    pub no_campaign: Option<String>,
    /// One per Neotel break subtype.
    pub breaks: Vec<(i64, String)>,
}

impl Presence {
    fn of(&self, status: AgentStatus, break_id: Option<i64>) -> Option<&str> {
        match (status, break_id) {
            (AgentStatus::OnBreak, Some(b)) => self
                .breaks
                .iter()
                .find(|(id, _)| *id == b)
                .map(|(_, s)| s.as_str()),
            (AgentStatus::Available, _) => self.available.as_deref(),
            (AgentStatus::NoCampaign, _) => self.no_campaign.as_deref(),
            // On a call, in wrap-up: Salesforce's own handling.
            _ => None,
        }
    }

    fn break_of(&self, status_id: &str) -> Option<i64> {
        self.breaks
            .iter()
            .find(|(_, s)| crate::same_id(s, status_id))
            .map(|(b, _)| *b)
    }
}

/// A method Salesforce called on a page: its page and the id its result echoes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asked {
    /// The voice page (the server's connection id).
    pub page: u64,
    /// The call's id.
    pub id: u64,
}

/// What to send a page (`cti-server/docs/protocol.md`, "Server → page").
#[derive(Debug, Clone, PartialEq)]
pub enum PageMessage {
    /// The agent's phone, the capabilities, the calls in progress (after a login or attach).
    Setup {
        /// An `AgentConfigResult` description.
        agent_config: Value,
        /// A `CapabilitiesResult` description.
        capabilities: Value,
        /// `PhoneCall` descriptions.
        active_calls: Vec<Value>,
        /// What was published while no page was attached, in order: a page that had told the
        /// base of the calls before (it reattaches after a server restart or a reconnect)
        /// publishes it; a new one learns the calls from `active_calls`.
        missed: Vec<(&'static str, Value)>,
    },
    /// The calls in progress now.
    Calls(Vec<Value>),
    /// `publishEvent({eventType, payload})`.
    Publish {
        /// The base's event type.
        event_type: &'static str,
        /// A description, or plain JSON.
        payload: Value,
    },
    /// The result of a method call: a description (or nothing), or the error to reject with.
    Result {
        /// The call's id.
        id: u64,
        /// `Ok` to resolve, `Err` to reject.
        result: Result<Option<Value>, Value>,
    },
}

/// What the adapter wants done.
#[derive(Debug, Clone, PartialEq)]
pub enum Out {
    /// Send a voice page this (`None`: every voice page of the session).
    To(Option<u64>, PageMessage),
    /// Give the core this command, then tell [`VoiceSession::commanded`] how it went.
    Command(Command, Then),
    /// Give the core this answer to its request.
    Answer(RequestId, CrmResult),
    /// A component answered request `id`: read it with [`crate::read_answer`] against the
    /// request the core keeps, and give the core the result.
    ComponentAnswer(RequestId, Value),
    /// Give the core this event.
    Event(SalesforceEvent),
    /// Give the core this click-to-dial, then tell [`VoiceSession::commanded`] how it went (as
    /// for a command: the call it makes, or Neotel's refusal, answers Salesforce's DIAL).
    ClickToDial(SalesforceEvent, Then),
    /// Log the agent out (Salesforce's `logout`): answer `asked` before the goodbye.
    LogOut(Asked),
    /// Send this to the Telephony Integration API; tell [`VoiceSession::written`] what became
    /// of it with `id`.
    Telephony {
        /// Echoed with the outcome.
        id: u64,
        /// The write.
        write: Write,
    },
    /// A VoiceCall record's news, for the logs and the metrics.
    Noted(Noted),
}

/// What follows a command's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Then {
    asked: Option<Asked>,
    kind: ThenKind,
}

#[derive(Debug, Clone, PartialEq)]
enum ThenKind {
    /// Resolve with this (or nothing).
    Resolve(Option<Value>),
    /// A dial: the call answers it (or Neotel's refusal).
    Dial,
    /// The agent ended a leg: resolve with it ended, and the base publishes the hang-up.
    EndLeg {
        leg: Value,
        third_party: bool,
        call: i64,
    },
    /// A transfer: resolve with the participant; a blind one ends the call in Salesforce.
    Transfer {
        result: Value,
        blind: bool,
        call: i64,
    },
    /// A conference: the base publishes it.
    Conference { call: i64 },
    /// A component's command: a refusal is told to it.
    Component { command: String },
}

/// A call as Salesforce's softphone was told of it.
#[derive(Debug, Clone)]
struct Leg {
    start: CallStart,
    connected: bool,
    consult: Option<TransferView>,
    /// Since when it is in its state.
    since: DateTime<Utc>,
    /// Salesforce ended it (END_CALL): the base published its hang-up; it is not shown.
    ended_by_salesforce: bool,
    /// Salesforce ended the consultation (END_CALL of the third party).
    consult_ended_by_salesforce: bool,
    /// Salesforce added the consulted party (ADD_PARTICIPANT): the base published it.
    consult_by_salesforce: bool,
    /// Salesforce asked for the conference: the base published it.
    conference_by_salesforce: bool,
}

/// One agent's Salesforce Voice side.
#[derive(Debug, Clone)]
pub struct VoiceSession {
    config: VoiceConfig,
    calls: BTreeMap<i64, Leg>,
    /// A dial Salesforce asked for, waiting for its call.
    dialing: Option<Asked>,
    /// What the core showed last: its lists (phone contacts), state and language.
    view: Option<View>,
    /// The state last published (or set by Salesforce): not published again.
    presence: Option<String>,
    /// The voice page whose components run the core's requests.
    leader: Option<u64>,
    /// The pages whose components said hello (they get the views).
    components: BTreeSet<u64>,
    /// Neotel's Lightning components answered on some page of this session: the core's
    /// requests go to them. Without them (not installed, or not on the agent's pages) a request
    /// is refused at once rather than left waiting: calls go on without the pop.
    components_seen: bool,
    /// The last view, as the components get it.
    view_json: Option<Value>,
    /// The VoiceCalls not ended yet.
    records: Records,
    /// The call whose VoiceCall is being created: Salesforce hears of it (and of what follows)
    /// once its id is known, so CALL_STARTED carries it.
    awaiting: Option<String>,
    /// The call events that wait for it, with their times.
    deferred: std::collections::VecDeque<(CallEvent, DateTime<Utc>)>,
    /// The voice pages attached now.
    pages: BTreeSet<u64>,
    /// What was published while no page was attached (the server restarted mid-call, the
    /// connection was down): the next page to attach gets it, or Salesforce would keep
    /// showing a call Neotel ended, or never hear of one it started.
    unheard: Vec<(&'static str, Value)>,
}

/// Why a request of the core is refused when no Neotel component answered the roll call.
pub const NO_COMPONENTS: &str = "Neotel's Lightning components are not on this Salesforce page \
     (the Neotel bridge belongs in the Service Console's utility bar: \
     docs/salesforce-voice-install.md)";

impl VoiceSession {
    /// The Salesforce Voice side of `config.user`'s session.
    #[must_use]
    pub fn new(config: VoiceConfig) -> Self {
        Self {
            config,
            calls: BTreeMap::new(),
            dialing: None,
            view: None,
            presence: None,
            leader: None,
            components: BTreeSet::new(),
            components_seen: false,
            view_json: None,
            records: Records::default(),
            awaiting: None,
            deferred: std::collections::VecDeque::new(),
            pages: BTreeSet::new(),
            unheard: Vec::new(),
        }
    }

    /// The VoiceCalls not ended yet, for the session's snapshot.
    #[must_use]
    pub fn records(&self) -> &Records {
        &self.records
    }

    /// A resumed session's VoiceCalls: what was on its way got no answer (an R1 is not sent
    /// again; an R2 is).
    pub fn resume_records(&mut self, records: Records) -> Vec<Out> {
        self.records = records;
        // The call in progress Salesforce ended itself: its end is not told again.
        for (id, leg) in &mut self.calls {
            leg.ended_by_salesforce |= self.records.salesforce_ended(*id);
        }
        let outs = self.records.resumed();
        self.record_outs(outs)
    }

    /// What became of Telephony Integration API write `id`, at `now`: the calls that waited
    /// for their VoiceCall are told to Salesforce.
    pub fn written(
        &mut self,
        id: u64,
        written: Written,
        now: DateTime<Utc>,
        words: &dyn Fn(&Message) -> String,
    ) -> Vec<Out> {
        let outs = self.records.written(id, written, now);
        let mut out = self.record_outs(outs);
        if self
            .awaiting
            .as_deref()
            .is_some_and(|key| !self.records.creating(key))
        {
            self.awaiting = None;
            while self.awaiting.is_none()
                && let Some((event, at)) = self.deferred.pop_front()
            {
                out.extend(self.event(&event, at, words));
            }
        }
        out
    }

    /// When a VoiceCall's end is due again (an earlier attempt got no answer).
    #[must_use]
    pub fn next_retry(&self) -> Option<DateTime<Utc>> {
        self.records.next_retry()
    }

    /// The VoiceCall ends due at `now`.
    pub fn due(&mut self, now: DateTime<Utc>) -> Vec<Out> {
        let outs = self.records.due(now);
        self.record_outs(outs)
    }

    fn record_outs(&self, outs: Vec<RecordOut>) -> Vec<Out> {
        outs.into_iter()
            .map(|o| match o {
                RecordOut::Send { id, write } => Out::Telephony { id, write },
                RecordOut::Note(n) => Out::Noted(n),
            })
            .collect()
    }

    /// The key Salesforce knows call `id` by (`callId`, the VoiceCall's `vendorCallKey`): the
    /// user is in it, so a supervisor's `superviseCall` names whom to monitor.
    #[must_use]
    pub fn call_key(&self, id: i64) -> String {
        format!("neotel-{}-{id}", self.config.user)
    }

    fn consult_key(&self, id: i64) -> String {
        format!("{}-consult", self.call_key(id))
    }

    /// A call in progress when the session (re)starts: Salesforce was told of it already.
    pub fn known_call(&mut self, start: CallStart, connected: bool, now: DateTime<Utc>) {
        self.calls.insert(
            start.id,
            Leg {
                start,
                connected,
                consult: None,
                since: now,
                ended_by_salesforce: false,
                consult_ended_by_salesforce: false,
                consult_by_salesforce: false,
                conference_by_salesforce: false,
            },
        );
    }

    /// The customer's leg of call `leg` as a `PhoneCall`.
    fn phone_call(&self, leg: &Leg, state: &str) -> Value {
        let s = &leg.start;
        let call_type = if told_inbound(s) {
            "Inbound"
        } else {
            "Outbound"
        };
        let mut attributes = json!({ "participantType": "Initial_Caller" });
        if s.dialer.as_deref() == Some("Preview") {
            attributes["dialerType"] = json!("OutboundPreview");
        }
        // The VoiceCall the server made for it: Salesforce links the call to it.
        if let Some(id) = self.records.voice_call_id(&self.call_key(s.id)) {
            attributes["voiceCallId"] = json!(id);
        }
        let mut call = json!({
            "callId": self.call_key(s.id),
            "callType": call_type,
            "phoneNumber": s.phone,
            "state": state,
            "contact": describe::contact(&s.phone),
            "callAttributes": attributes,
            "callInfo": describe::call_info(leg.since),
        });
        if state == "ended" {
            call["reason"] = json!("ended");
        }
        class("PhoneCall", call)
    }

    /// The consulted party's leg.
    fn third_party(&self, leg: &Leg, target: &TransferView, state: &str) -> Value {
        class(
            "PhoneCall",
            json!({
                "callId": self.consult_key(leg.start.id),
                "callType": "AddParticipant",
                "phoneNumber": target.value,
                "state": state,
                "contact": describe::contact(&target.value),
                "callAttributes": { "participantType": "Third_Party" },
                "callInfo": describe::call_info(leg.since),
            }),
        )
    }

    /// The calls Salesforce's softphone has now.
    fn active_calls(&self) -> Vec<Value> {
        let mut out = Vec::new();
        for leg in self.calls.values().filter(|l| !l.ended_by_salesforce) {
            let state = if leg.connected {
                "connected"
            } else {
                "ringing"
            };
            out.push(self.phone_call(leg, state));
            if let Some(t) = leg
                .consult
                .as_ref()
                .filter(|_| !leg.consult_ended_by_salesforce)
            {
                out.push(self.third_party(leg, t, "transferring"));
            }
        }
        out
    }

    fn calls_now(&self) -> Out {
        Out::To(None, PageMessage::Calls(self.active_calls()))
    }

    fn publish(event_type: &'static str, payload: Value) -> Out {
        Out::To(
            None,
            PageMessage::Publish {
                event_type,
                payload,
            },
        )
    }

    fn resolve(asked: Asked, value: Option<Value>) -> Out {
        Out::To(
            Some(asked.page),
            PageMessage::Result {
                id: asked.id,
                result: Ok(value),
            },
        )
    }

    fn reject(asked: Asked, error: Value) -> Out {
        Out::To(
            Some(asked.page),
            PageMessage::Result {
                id: asked.id,
                result: Err(error),
            },
        )
    }

    /// The agent's language (Spanish until the core's first view says).
    fn language(&self) -> &str {
        self.view
            .as_ref()
            .map_or("es", |v| v.settings.language.as_str())
    }

    /// A refusal of this adapter's own (what Neotel cannot do under Salesforce Voice): the
    /// package's label `Neotel_<Key>`, worded from the agent's catalog (`voice.<key>`).
    fn own_refusal(&self, key: &str) -> Value {
        let words = self
            .config
            .catalogs
            .get(self.language())
            .and_then(|c| c[format!("voice.{key}")].as_str().map(str::to_owned))
            .unwrap_or_else(|| key.to_owned());
        let mut label = String::from("Neotel_");
        let mut chars = key.chars();
        label.extend(chars.next().map(|c| c.to_ascii_uppercase()));
        label.extend(chars);
        describe::custom_error(&self.config.label_namespace, &label, &words)
    }

    /// A refusal the agent reads in Salesforce: the package's label for the core's code.
    fn refusal(&self, message: &Message, words: &dyn Fn(&Message) -> String) -> Value {
        let label = format!("Neotel_{}", message.code.as_str());
        describe::custom_error(&self.config.label_namespace, &label, &words(message))
    }

    /// A page logged in or attached: its phone, what it can do, the calls in progress; and a
    /// roll call of the Lightning components (their hellos sent before the connector was up
    /// were lost: Salesforce delivers the bridge's messages only once it is).
    /// What no page heard goes with the setup.
    #[must_use]
    pub fn setup(&mut self, page: u64) -> Vec<Out> {
        self.pages.insert(page);
        let mut out = vec![Out::To(
            Some(page),
            PageMessage::Setup {
                agent_config: describe::agent_config(&self.config.device),
                capabilities: describe::capabilities(),
                active_calls: self.active_calls(),
                missed: std::mem::take(&mut self.unheard),
            },
        )];
        out.push(Out::To(
            Some(page),
            PageMessage::Publish {
                event_type: "MESSAGE",
                payload: bridge::message("roll", json!({})),
            },
        ));
        out
    }

    /// A voice page went away.
    pub fn page_gone(&mut self, page: u64) {
        self.pages.remove(&page);
        self.components.remove(&page);
        if self.dialing.is_some_and(|a| a.page == page) {
            self.dialing = None;
        }
        if self.leader == Some(page) {
            self.leader = None;
        }
    }

    /// The voice page `page` runs the core's requests now (`None`: no voice page does).
    pub fn leads(&mut self, page: Option<u64>) {
        self.leader = page;
    }

    /// The core's new view: kept for what Salesforce asks (the phone contacts, the state), and
    /// sent to the components as `view` is to the Open CTI page.
    pub fn view(&mut self, view: &View, json: &Value) -> Vec<Out> {
        self.view = Some(view.clone());
        self.view_json = Some(json.clone());
        let message = bridge::message("view", json!({ "view": json }));
        self.components
            .iter()
            .map(|page| {
                Out::To(
                    Some(*page),
                    PageMessage::Publish {
                        event_type: "MESSAGE",
                        payload: message.clone(),
                    },
                )
            })
            .collect()
    }

    /// A request of the core, when a voice page leads: the configuration answers the
    /// connector's options and pop rules; the components, the rest.
    pub fn request(&mut self, r: &CrmRequest, words: &dyn Fn(&Message) -> String) -> Vec<Out> {
        let answer = |a| vec![Out::Answer(r.id, Ok(a))];
        match &r.ask {
            Ask::Settings => answer(Answer::Settings(Box::new(Ok((
                self.config.options.clone(),
                self.config.dialing.clone(),
            ))))),
            Ask::PopRules => answer(Answer::PopRules(Box::new(Ok(self
                .config
                .pop_rules
                .clone())))),
            // Salesforce owns the softphone's panel.
            Ask::Minimize => answer(Answer::Done),
            _ if !self.components_seen => vec![Out::Answer(
                r.id,
                Err(CrmError {
                    outcome: Outcome::NotApplied,
                    description: NO_COMPONENTS.into(),
                }),
            )],
            _ => vec![Out::To(
                self.leader,
                PageMessage::Publish {
                    event_type: "MESSAGE",
                    payload: bridge::request(r, words),
                },
            )],
        }
    }

    /// A call event of the core, as Salesforce's softphone is told of it.
    pub fn event(
        &mut self,
        event: &CallEvent,
        now: DateTime<Utc>,
        words: &dyn Fn(&Message) -> String,
    ) -> Vec<Out> {
        let out = self.told(event, now, words);
        self.heard(out)
    }

    /// Keeps what no page hears (none is attached) for the next one: the base's events, not
    /// the components' messages (they get the view when they say hello).
    fn heard(&mut self, out: Vec<Out>) -> Vec<Out> {
        if self.pages.is_empty() {
            for o in &out {
                if let Out::To(
                    None,
                    PageMessage::Publish {
                        event_type,
                        payload,
                    },
                ) = o
                    && *event_type != "MESSAGE"
                {
                    self.unheard.push((event_type, payload.clone()));
                }
            }
        }
        out
    }

    fn told(
        &mut self,
        event: &CallEvent,
        now: DateTime<Utc>,
        words: &dyn Fn(&Message) -> String,
    ) -> Vec<Out> {
        let mut out = Vec::new();
        if self.awaiting.is_some() {
            self.deferred.push_back((event.clone(), now));
            return out;
        }
        match event {
            CallEvent::Started(start) => {
                // Known already: a call Salesforce dialed itself, or one the server had told of
                // before a restart.
                if self.calls.contains_key(&start.id) {
                    return out;
                }
                if let Some(config) = &self.config.records {
                    let key = self.call_key(start.id);
                    let outs = self
                        .records
                        .started(config, &key, start, told_inbound(start), now);
                    if self.records.creating(&key) {
                        // Told once its VoiceCall exists (or is known not to), before
                        // whatever followed it (held with it when it is told from the queue).
                        self.awaiting = Some(key);
                        self.deferred.push_front((event.clone(), now));
                        return self.record_outs(outs);
                    }
                    out.extend(self.record_outs(outs));
                }
                self.known_call(start.clone(), false, now);
                let leg = &self.calls[&start.id];
                let call = self.phone_call(leg, "ringing");
                out.push(self.calls_now());
                match self.dialing.take() {
                    // The call Salesforce's DIAL made: its result, and the base publishes it.
                    Some(asked) if start.origin == CallOrigin::Agent => {
                        out.push(Self::resolve(
                            asked,
                            Some(class("CallResult", json!({ "call": call }))),
                        ));
                    }
                    other => {
                        self.dialing = other;
                        out.push(Self::publish(
                            "CALL_STARTED",
                            class("CallResult", json!({ "call": call })),
                        ));
                    }
                }
            }
            CallEvent::Connected { id } => {
                let Some(leg) = self.calls.get_mut(id) else {
                    return out;
                };
                leg.connected = true;
                leg.since = now;
                let call = self.phone_call(&self.calls[id], "connected");
                out.push(self.calls_now());
                out.push(Self::publish(
                    "CALL_CONNECTED",
                    class("CallResult", json!({ "call": call })),
                ));
            }
            CallEvent::ConsultStarted { id, target } => {
                let Some(leg) = self.calls.get_mut(id) else {
                    return out;
                };
                leg.consult = Some(target.clone());
                leg.consult_ended_by_salesforce = false;
                let by_salesforce = std::mem::take(&mut leg.consult_by_salesforce);
                out.push(self.calls_now());
                if !by_salesforce {
                    let participant = self.participant(*id, target, false, now);
                    out.push(Self::publish("PARTICIPANT_ADDED", participant));
                }
            }
            CallEvent::ConsultEnded { id } => {
                let Some(leg) = self.calls.get_mut(id) else {
                    return out;
                };
                let Some(target) = leg.consult.take() else {
                    return out;
                };
                let by_salesforce = std::mem::take(&mut leg.consult_ended_by_salesforce);
                out.push(self.calls_now());
                if !by_salesforce && !self.calls[id].ended_by_salesforce {
                    let third = self.third_party(&self.calls[id], &target, "ended");
                    out.push(Self::publish(
                        "PARTICIPANT_REMOVED",
                        class("CallResult", json!({ "call": third })),
                    ));
                }
            }
            CallEvent::Conferenced { id } => {
                let Some(leg) = self.calls.get_mut(id) else {
                    return out;
                };
                if !std::mem::take(&mut leg.conference_by_salesforce) {
                    out.push(Self::publish(
                        "PARTICIPANTS_CONFERENCED",
                        class(
                            "HoldToggleResult",
                            json!({ "isThirdPartyOnHold": false, "isCustomerOnHold": false }),
                        ),
                    ));
                }
            }
            CallEvent::Ended { id, .. } => {
                self.records.ended_by_salesforce(*id, false);
                let Some(leg) = self.calls.remove(id) else {
                    return out;
                };
                out.push(self.calls_now());
                if !leg.ended_by_salesforce {
                    let call = self.phone_call(&leg, "ended");
                    out.push(Self::publish(
                        "HANGUP",
                        class("HangupResult", json!({ "calls": [call] })),
                    ));
                }
            }
            CallEvent::WrapUpStarted { id } if self.config.after_call_work => {
                out.push(Self::publish(
                    "AFTER_CALL_WORK_STARTED",
                    json!({ "callId": self.call_key(*id) }),
                ));
            }
            CallEvent::WrapUpEnded { id } if self.config.after_call_work => {
                out.push(Self::publish(
                    "WRAP_UP_ENDED",
                    json!({ "callId": self.call_key(*id) }),
                ));
            }
            CallEvent::WrapUpStarted { .. } | CallEvent::WrapUpEnded { .. } => {}
            CallEvent::Closed(closed) => {
                let key = self.call_key(closed.id);
                let outs = self.records.closed(&key, closed);
                out.extend(self.record_outs(outs));
            }
            CallEvent::DialFailed { message } => {
                if let Some(asked) = self.dialing.take() {
                    out.push(Self::reject(asked, self.refusal(message, words)));
                }
            }
            CallEvent::Status { status, break_id } => {
                let Some(id) = self.config.presence.of(*status, *break_id) else {
                    return out;
                };
                if !(self.presence.as_deref()).is_some_and(|p| crate::same_id(p, id)) {
                    self.presence = Some(id.to_owned());
                    out.push(Self::publish(
                        "SET_AGENT_STATUS",
                        class("AgentStatusInfo", json!({ "statusId": id })),
                    ));
                }
            }
        }
        out
    }

    fn participant(
        &self,
        id: i64,
        target: &TransferView,
        ended: bool,
        now: DateTime<Utc>,
    ) -> Value {
        class(
            "ParticipantResult",
            json!({
                "initialCallHasEnded": ended,
                "callInfo": describe::call_info(now),
                "phoneNumber": target.value,
                "callId": self.consult_key(id),
            }),
        )
    }

    /// The call Salesforce names (its `callId`), else the one in progress.
    fn call_named(&self, call: &Value) -> Option<i64> {
        let key = call.get("callId").and_then(Value::as_str);
        key.and_then(|k| {
            self.calls
                .keys()
                .find(|id| self.call_key(**id) == k || self.consult_key(**id) == k)
                .copied()
        })
        .or_else(|| self.calls.keys().next_back().copied())
    }

    /// A method Salesforce called on a page.
    pub fn method(
        &mut self,
        asked: Asked,
        method: &str,
        args: &Value,
        now: DateTime<Utc>,
    ) -> Vec<Out> {
        let command = |c: Command, kind: ThenKind| {
            vec![Out::Command(
                c,
                Then {
                    asked: Some(asked),
                    kind,
                },
            )]
        };
        let not_with_neotel = |code: &str| {
            let key = if code == "accept" {
                "answerOnPhone"
            } else {
                "notAvailable"
            };
            vec![Self::reject(asked, self.own_refusal(key))]
        };
        match method {
            "dial" => {
                let contact = &args["contact"];
                let number = contact["phoneNumber"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                let text = |k: &str| contact[k].as_str().filter(|t| !t.is_empty());
                match text("recordId") {
                    // A phone field clicked on a record (W-CLICK2DIAL): the core may look for
                    // that record's Neotel contact first (X-C2D-SEARCH), as under Open CTI.
                    Some(record) => vec![Out::ClickToDial(
                        SalesforceEvent::ClickToDial {
                            number,
                            record_id: Some(record.to_owned()),
                            object_type: object_of(record).map(str::to_owned),
                            record_name: text("name").map(str::to_owned),
                        },
                        Then {
                            asked: Some(asked),
                            kind: ThenKind::Dial,
                        },
                    )],
                    None => command(Command::Dial { number }, ThenKind::Dial),
                }
            }
            "endCall" | "declineCall" => {
                let third_party = args["call"]["callAttributes"]["participantType"].as_str()
                    == Some("Third_Party");
                let Some(call) = self.call_named(&args["call"]) else {
                    // Nothing up: Salesforce's call is over already.
                    let calls = args.get("call").cloned().into_iter().collect::<Vec<_>>();
                    return vec![Self::resolve(
                        asked,
                        Some(class("HangupResult", json!({ "calls": calls }))),
                    )];
                };
                let leg = &self.calls[&call];
                let ended = match (third_party, &leg.consult) {
                    (true, Some(t)) => self.third_party(leg, t, "ended"),
                    _ => self.phone_call(leg, "ended"),
                };
                let (c, result) = if third_party {
                    // The base wants a HangupResult for any END_CALL (else CAN_NOT_END_THE_CALL).
                    (
                        Command::EndTransfer,
                        class("HangupResult", json!({ "calls": [ended] })),
                    )
                } else if method == "declineCall" {
                    (
                        Command::Hangup,
                        class("CallResult", json!({ "call": ended })),
                    )
                } else {
                    (
                        Command::Hangup,
                        class("HangupResult", json!({ "calls": [ended] })),
                    )
                };
                command(
                    c,
                    ThenKind::EndLeg {
                        leg: result,
                        third_party,
                        call,
                    },
                )
            }
            "sendDigits" => {
                let digits = args["digits"].as_str().unwrap_or_default().to_owned();
                command(Command::SendDtmf { digits }, ThenKind::Resolve(None))
            }
            "addParticipant" => {
                let contact = &args["contact"];
                let blind = args["isBlindTransfer"].as_bool().unwrap_or(false);
                let id = contact["id"].as_str().unwrap_or_default();
                let phone = contact["phoneNumber"].as_str().unwrap_or_default();
                // Our own ids (`getPhoneContacts`): a queue of Salesforce's, or any id without a
                // Neotel number, is no Neotel destination, and is refused rather than sent as 0.
                let neotel_id = |prefix: &str| {
                    id.strip_prefix(prefix)
                        .and_then(|n| n.parse::<i64>().ok())
                        .filter(|n| *n > 0)
                };
                let target = match contact["type"].as_str() {
                    Some("Agent") => TransferTarget::User(id.to_owned()),
                    Some("Queue") => match (neotel_id("campaign-"), neotel_id("queue-")) {
                        (Some(c), _) => TransferTarget::Campaign(c),
                        (None, Some(q)) => TransferTarget::Queue(q),
                        (None, None) => {
                            return vec![Self::reject(asked, self.own_refusal("notNeotelQueue"))];
                        }
                    },
                    _ => TransferTarget::Phone(phone.to_owned()),
                };
                let Some(call) = self.call_named(&args["call"]) else {
                    return not_with_neotel("transfer");
                };
                let shown = match &target {
                    TransferTarget::Phone(p) | TransferTarget::User(p) => p.clone(),
                    TransferTarget::Queue(q) | TransferTarget::Campaign(q) => q.to_string(),
                };
                let result = class(
                    "ParticipantResult",
                    json!({
                        "initialCallHasEnded": blind,
                        "callInfo": describe::call_info(now),
                        "phoneNumber": if phone.is_empty() { shown } else { phone.to_owned() },
                        "callId": self.consult_key(call),
                    }),
                );
                command(
                    Command::Transfer {
                        target,
                        attended: !blind,
                    },
                    ThenKind::Transfer {
                        result,
                        blind,
                        call,
                    },
                )
            }
            "conference" => match self.call_named(&Value::Null) {
                Some(call) => command(Command::StartConference, ThenKind::Conference { call }),
                None => not_with_neotel("conference"),
            },
            "setAgentStatus" => self.set_agent_status(asked, args),
            "getAgentStatus" => {
                let id = self.presence.clone().unwrap_or_default();
                vec![Self::resolve(
                    asked,
                    Some(class("AgentVendorStatusInfo", json!({ "statusId": id }))),
                )]
            }
            "wrapUpCall" => command(Command::EndAfterCallWork, ThenKind::Resolve(None)),
            "getPhoneContacts" => vec![Self::resolve(asked, Some(self.phone_contacts(args)))],
            "superviseCall" => {
                let info = &args["supervisedCallInfo"];
                let key = info["callId"].as_str().unwrap_or_default();
                // `neotel-{user}-{call id}`: the user is whom to monitor.
                let user = key
                    .strip_prefix("neotel-")
                    .and_then(|rest| rest.rsplit_once('-'))
                    .map(|(user, _)| user.to_owned())
                    .unwrap_or_default();
                let call = class(
                    "PhoneCall",
                    json!({
                        "callId": key,
                        "callType": info["callType"].as_str().unwrap_or("Inbound"),
                        "callAttributes": { "participantType": "Supervisor" },
                        "callInfo": describe::call_info(now),
                    }),
                );
                command(
                    Command::Monitor {
                        user,
                        mode: MonitorMode::Listen,
                    },
                    ThenKind::Resolve(Some(class("SuperviseCallResult", json!({ "call": call })))),
                )
            }
            "supervisorDisconnect" => {
                let monitoring = self.view.as_ref().is_some_and(|v| v.monitoring.is_some());
                let result = class("SupervisorHangupResult", json!({ "calls": [] }));
                if monitoring {
                    command(Command::EndMonitor, ThenKind::Resolve(Some(result)))
                } else {
                    // The base asks before a call connects while supervising: nothing to end.
                    vec![Self::resolve(asked, Some(result))]
                }
            }
            "setAgentConfig" => vec![Self::resolve(
                asked,
                Some(class("GenericResult", json!({ "success": true }))),
            )],
            "getSignedRecordingUrl" => vec![Self::resolve(
                asked,
                Some(class(
                    "SignedRecordingUrlResult",
                    json!({ "success": false }),
                )),
            )],
            "logout" => vec![Out::LogOut(asked)],
            "handleMessage" => self.component_message(asked, &args["message"]),
            "acceptCall" => not_with_neotel("accept"),
            "mute" | "unmute" | "hold" | "resume" | "swap" | "pauseRecording"
            | "resumeRecording" | "supervisorBargeIn" => not_with_neotel(method),
            _ => vec![Self::reject(
                asked,
                json!({ "type": "GENERIC_ERROR", "message": format!("unknown method {method}") }),
            )],
        }
    }

    /// F-BREAK both ways: a break status takes that break; the available one ends a break, or
    /// the after-call work (Play); others change nothing in Neotel.
    fn set_agent_status(&mut self, asked: Asked, args: &Value) -> Vec<Out> {
        let id = args["statusInfo"]["statusId"].as_str().unwrap_or_default();
        self.presence = Some(id.to_owned());
        let ok = Some(class("GenericResult", json!({ "success": true })));
        let status = self.view.as_ref().map(|v| v.status);
        let command = if let Some(break_id) = self.config.presence.break_of(id) {
            Some(Command::TakeBreak { break_id })
        } else if (self.config.presence.available.as_deref()).is_some_and(|a| crate::same_id(a, id))
        {
            match status {
                Some(AgentStatus::OnBreak) => Some(Command::EndBreak),
                Some(AgentStatus::WrapUp | AgentStatus::Released) => {
                    Some(Command::EndAfterCallWork)
                }
                _ => None,
            }
        } else {
            None
        };
        match command {
            Some(c) => vec![Out::Command(
                c,
                Then {
                    asked: Some(asked),
                    kind: ThenKind::Resolve(ok),
                },
            )],
            None => vec![Self::resolve(asked, ok)],
        }
    }

    /// The transfer targets: the call's campaign's phones, the users, the queues and the
    /// campaigns (F-XFER), `filter.contains` narrowing them.
    fn phone_contacts(&self, args: &Value) -> Value {
        let contains = args["filter"]["contains"]
            .as_str()
            .unwrap_or_default()
            .to_lowercase();
        let fits = |name: &str, number: &str| {
            contains.is_empty()
                || name.to_lowercase().contains(&contains)
                || number.contains(&contains)
        };
        let mut contacts = Vec::new();
        if let Some(v) = &self.view {
            let l = &v.lists;
            for p in &l.transfer_phones {
                let number = p.group.clone().unwrap_or_else(|| p.id.to_string());
                if fits(&p.name, &number) {
                    contacts.push(class(
                        "Contact",
                        json!({ "id": format!("phone-{}", p.id), "type": "PhoneBook",
                            "name": p.name, "phoneNumber": number }),
                    ));
                }
            }
            for u in l.users.iter() {
                if fits(&u.name, &u.user) {
                    contacts.push(class(
                        "Contact",
                        json!({ "id": u.user, "type": "Agent", "name": u.name }),
                    ));
                }
            }
            for q in &l.queues {
                if fits(&q.name, "") {
                    contacts.push(class(
                        "Contact",
                        json!({ "id": format!("queue-{}", q.id), "type": "Queue", "name": q.name }),
                    ));
                }
            }
            for c in &l.campaigns {
                if fits(&c.name, "") {
                    contacts.push(class(
                        "Contact",
                        json!({ "id": format!("campaign-{}", c.id), "type": "Queue",
                            "name": c.name }),
                    ));
                }
            }
        }
        class(
            "PhoneContactsResult",
            json!({ "contacts": contacts, "contactTypes": ["PhoneBook", "Agent", "Queue"] }),
        )
    }

    /// A component's message (`handleMessage`).
    fn component_message(&mut self, asked: Asked, message: &Value) -> Vec<Out> {
        let mut out = vec![Self::resolve(asked, None)];
        match bridge::read(message) {
            FromComponents::Hello => {
                self.components.insert(asked.page);
                self.components_seen = true;
                let language = self.language().to_owned();
                if let Some(messages) = self.config.catalogs.get(&language) {
                    let catalog = bridge::message(
                        "catalog",
                        json!({ "language": language, "messages": messages.as_ref() }),
                    );
                    out.push(Out::To(
                        Some(asked.page),
                        PageMessage::Publish {
                            event_type: "MESSAGE",
                            payload: catalog,
                        },
                    ));
                }
                if let Some(view) = &self.view_json {
                    out.push(Out::To(
                        Some(asked.page),
                        PageMessage::Publish {
                            event_type: "MESSAGE",
                            payload: bridge::message("view", json!({ "view": view })),
                        },
                    ));
                }
            }
            FromComponents::Command(json) => {
                let name = json["command"].as_str().unwrap_or_default().to_owned();
                match serde_json::from_value::<Command>(json) {
                    Ok(c) => out.push(Out::Command(
                        c,
                        Then {
                            asked: Some(asked),
                            kind: ThenKind::Component { command: name },
                        },
                    )),
                    Err(e) => out.push(Out::To(
                        Some(asked.page),
                        PageMessage::Publish {
                            event_type: "MESSAGE",
                            payload: bridge::message(
                                "refused",
                                json!({ "command": name, "error": e.to_string() }),
                            ),
                        },
                    )),
                }
            }
            FromComponents::Answer(id, m) => out.push(Out::ComponentAnswer(id, m)),
            FromComponents::Navigation(record) => {
                out.push(Out::Event(SalesforceEvent::Navigation {
                    record_id: record.as_ref().map(|r| r.id.clone()),
                    object_type: record.as_ref().map(|r| r.object_type.clone()),
                    record_name: record.and_then(|r: RecordRef| r.name),
                }));
            }
            FromComponents::Unknown => {}
        }
        out
    }

    /// How a command given for a method went: its result, or its refusal.
    pub fn commanded(
        &mut self,
        then: Then,
        outcome: Result<(), Message>,
        words: &dyn Fn(&Message) -> String,
    ) -> Vec<Out> {
        let Some(asked) = then.asked else {
            return Vec::new();
        };
        if let Err(message) = outcome {
            if let ThenKind::Component { command } = then.kind {
                // The components show it; the method itself went through.
                let refused =
                    bridge::message("refused", json!({ "command": command, "message": message }));
                return vec![Out::To(
                    Some(asked.page),
                    PageMessage::Publish {
                        event_type: "MESSAGE",
                        payload: refused,
                    },
                )];
            }
            return vec![Self::reject(asked, self.refusal(&message, words))];
        }
        match then.kind {
            ThenKind::Resolve(value) => vec![Self::resolve(asked, value)],
            ThenKind::Component { .. } => Vec::new(),
            ThenKind::Dial => {
                self.dialing = Some(asked);
                Vec::new()
            }
            ThenKind::EndLeg {
                leg,
                third_party,
                call,
            } => {
                if let Some(l) = self.calls.get_mut(&call) {
                    if third_party {
                        l.consult_ended_by_salesforce = true;
                    } else {
                        l.ended_by_salesforce = true;
                        self.records.ended_by_salesforce(call, true);
                    }
                }
                // The base asks for the calls right after: they must not hold the leg ended.
                vec![self.calls_now(), Self::resolve(asked, Some(leg))]
            }
            ThenKind::Transfer {
                result,
                blind,
                call,
            } => {
                if let Some(l) = self.calls.get_mut(&call) {
                    if blind {
                        // The base publishes the hang-up of Salesforce's call itself.
                        l.ended_by_salesforce = true;
                    } else {
                        l.consult_by_salesforce = true;
                    }
                }
                vec![self.calls_now(), Self::resolve(asked, Some(result))]
            }
            ThenKind::Conference { call } => {
                if let Some(l) = self.calls.get_mut(&call) {
                    l.conference_by_salesforce = true;
                }
                vec![Self::resolve(
                    asked,
                    Some(class(
                        "HoldToggleResult",
                        json!({ "isThirdPartyOnHold": false, "isCustomerOnHold": false }),
                    )),
                )]
            }
        }
    }

    /// Salesforce's `logout` went through: its result, to send before the goodbye.
    #[must_use]
    pub fn logged_out(asked: Asked) -> Out {
        Self::resolve(
            asked,
            Some(class(
                "LogoutResult",
                json!({ "success": true, "loginFrameHeight": 350 }),
            )),
        )
    }
}

/// The object a record id names, from its key prefix (what the core needs to read a clicked
/// record's Neotel fields); `None` for objects without them.
fn object_of(record_id: &str) -> Option<&'static str> {
    match record_id.get(..3)? {
        "003" => Some("Contact"),
        "001" => Some("Account"),
        "00Q" => Some("Lead"),
        "006" => Some("Opportunity"),
        _ => None,
    }
}
