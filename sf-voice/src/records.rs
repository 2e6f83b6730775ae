//! VoiceCall records: Salesforce Voice's call log, which the server writes through the Telephony
//! Integration API (`scv.md` §3.4). A call Neotel hands the agent (a queue's, a dialer's, one
//! coming in to the agent) gets its VoiceCall when it starts (R1, before Salesforce hears of the
//! call, so CALL_STARTED carries its id); a call the agent dials from Salesforce gets the one
//! Salesforce makes itself. Each is ended once its outcome is final (R2: times, duration,
//! Neotel's category, notes, callback).
//!
//! These are writes like NeoApi's, kept in the session's snapshot: an R1 is never sent twice
//! (whether a repeated `vendorCallKey` makes a second VoiceCall is undocumented), so one whose
//! answer was lost leaves the call unlinked, said and counted; an R2 overwrites by key, so it
//! is sent again after a lost answer until Salesforce takes or refuses it. Sans-IO: this module
//! says what to send and reads what became of it; the server sends.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use cti_core::{CallClosed, CallOrigin, CallStart};
use serde::{Deserialize, Serialize};
use sf_telephony::wire::{
    self as scrt, CreateVoiceCall, InitiationMethod, Participant, UpdateVoiceCall,
};

/// How often an R2 whose outcome is unknown is sent before it is given up (about an hour and
/// a half with the back-off below).
const MOST_UPDATES: u32 = 24;
/// The longest wait between two R2 attempts.
const LONGEST_WAIT_SECS: i64 = 300;

/// A write for the Telephony Integration API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// R1: create the VoiceCall of a call as it starts.
    Create(Box<CreateVoiceCall>),
    /// R2: end the VoiceCall `call` names (its `voiceCallId`, or our `vendorCallKey`).
    Update {
        /// The VoiceCall.
        call: String,
        /// What it ends with.
        body: Box<UpdateVoiceCall>,
    },
}

/// What became of a [`Write`], as the server read Salesforce's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// Salesforce took it; an R1's answer brings the VoiceCall's id.
    Done(Option<String>),
    /// Salesforce answered that it did not apply it.
    Refused(String),
    /// It may have been applied: no answer came.
    Unknown(String),
    /// It never left the server.
    NotSent(String),
}

/// What a record's change means for the operator: logged and counted by the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Noted {
    /// The call's VoiceCall exists (R1 taken).
    Linked {
        /// The call's key.
        key: String,
    },
    /// The call has no VoiceCall of ours and goes on without one (the pop and the softphone
    /// work; Salesforce's record of it is missing or unlinked).
    Unlinked {
        /// The call's key.
        key: String,
        /// Why.
        why: String,
    },
    /// The VoiceCall was ended with its outcome (R2 taken).
    Ended {
        /// The call's key.
        key: String,
    },
    /// The VoiceCall could not be ended: Salesforce refused, or never answered in time.
    NotEnded {
        /// The call's key.
        key: String,
        /// Why.
        why: String,
    },
}

/// What to do: send a write (its answer comes back with `id`), or note a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordOut {
    /// Send `write`; its outcome comes back to [`Records::written`] with `id`.
    Send {
        /// Echoed with the outcome.
        id: u64,
        /// What to send.
        write: Write,
    },
    /// For the logs and the metrics.
    Note(Noted),
}

/// Where a call's VoiceCall stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "state")]
enum State {
    /// R1 is on its way.
    Creating,
    /// Ours, with its id.
    Created { id: String },
    /// Salesforce made it (a call it dialed): known to it by our key, perhaps (`scv.md` §3.4).
    BySalesforce,
    /// R1's answer was lost: it may exist; the end is sent by key (a missing one is refused).
    Maybe,
    /// None of ours (R1 refused or never sent).
    None,
}

/// One call's VoiceCall.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    state: State,
    /// When the call started.
    start: DateTime<Utc>,
    /// The R1 or R2 on its way (its id), if any.
    #[serde(default)]
    sending: Option<u64>,
    /// The R2 to send (the outcome is final), until Salesforce takes or refuses it.
    #[serde(default)]
    update: Option<UpdateVoiceCall>,
    /// R2 attempts made.
    #[serde(default)]
    attempts: u32,
    /// When to send the R2 again.
    #[serde(default)]
    retry_at: Option<DateTime<Utc>>,
}

/// The VoiceCalls of one agent's calls that are not ended yet (kept in the session's snapshot).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Records {
    /// The next write's id.
    next: u64,
    /// By the call's key (its `vendorCallKey`).
    calls: BTreeMap<String, Record>,
    /// Neotel's calls Salesforce ended itself (its base published their HANGUP), until Neotel
    /// shows them ended: kept here so a restart does not tell their end a second time.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    ended_by_salesforce: BTreeSet<i64>,
}

/// Whom the records name: the contact center, and the custom fields' names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordsConfig {
    /// The contact center's API name (R1's `callCenterApiName`).
    pub call_center: String,
    /// The number a call to Neotel's queues is said to be made to (R1's `to`, required): the
    /// contact center's number, when the call brings none.
    pub contact_center_number: String,
}

impl Records {
    /// Nothing is on its way or due.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty() && self.ended_by_salesforce.is_empty()
    }

    /// Salesforce ended call `id` itself (`true`), or Neotel showed it ended (`false`).
    pub(crate) fn ended_by_salesforce(&mut self, id: i64, by_salesforce: bool) {
        if by_salesforce {
            self.ended_by_salesforce.insert(id);
        } else {
            self.ended_by_salesforce.remove(&id);
        }
    }

    /// Whether Salesforce ended call `id` itself.
    pub(crate) fn salesforce_ended(&self, id: i64) -> bool {
        self.ended_by_salesforce.contains(&id)
    }

    fn id(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    /// The VoiceCall id of call `key`, when ours exists.
    #[must_use]
    pub fn voice_call_id(&self, key: &str) -> Option<&str> {
        match &self.calls.get(key)?.state {
            State::Created { id } => Some(id),
            _ => None,
        }
    }

    /// Whether R1 for call `key` is on its way (Salesforce hears of the call once it is
    /// answered).
    #[must_use]
    pub fn creating(&self, key: &str) -> bool {
        self.calls
            .get(key)
            .is_some_and(|r| r.state == State::Creating)
    }

    /// A call started: R1 for a call Salesforce is told of as inbound (a queue's, a
    /// progressive dialer's, one coming in to the agent); nothing for one it is told of as
    /// outbound (the agent's dial, a preview contact): Salesforce makes that VoiceCall itself
    /// (R1 refuses outbound calls).
    pub fn started(
        &mut self,
        config: &RecordsConfig,
        key: &str,
        start: &CallStart,
        inbound: bool,
        at: DateTime<Utc>,
    ) -> Vec<RecordOut> {
        if self.calls.contains_key(key) {
            return Vec::new();
        }
        if !inbound {
            self.calls
                .insert(key.to_owned(), record(State::BySalesforce, at));
            return Vec::new();
        }
        let id = self.id();
        let mut r = record(State::Creating, at);
        r.sending = Some(id);
        self.calls.insert(key.to_owned(), r);
        let from = if start.phone.is_empty() {
            // W-PRIVATE: Salesforce requires a caller; a private number is said as such.
            "private".to_owned()
        } else {
            start.phone.clone()
        };
        let mut fields: Vec<(&str, String)> = vec![("NeoCallId__c", start.id.to_string())];
        let mut add = |name, value: Option<String>| {
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                fields.push((name, v));
            }
        };
        add("NeoContactId__c", start.contact_id.map(|c| c.to_string()));
        add("NeoCampaignId__c", start.campaign.map(|c| c.to_string()));
        add("NeoQueue__c", start.queue.map(|q| q.to_string()));
        add("NeoSearchKey__c", start.key.clone());
        add("NeoDialer__c", start.dialer.clone());
        let body = CreateVoiceCall {
            call_center_api_name: config.call_center.clone(),
            vendor_call_key: key.to_owned(),
            to: config.contact_center_number.clone(),
            from: from.clone(),
            initiation_method: InitiationMethod::Inbound,
            start_time: at,
            participants: vec![Participant::end_user(from)],
            parent_voice_call_id: None,
            queue: None,
            call_origin: match start.dialer.as_deref() {
                Some("Preview") => Some(scrt::CallOrigin::Preview),
                Some(_) if start.origin == CallOrigin::Dialer => {
                    Some(scrt::CallOrigin::Progressive)
                }
                _ => None,
            },
            call_subtype: Some(scrt::CallSubtype::Pstn),
            call_attributes: Some(scrt::call_attributes(fields)),
        };
        vec![RecordOut::Send {
            id,
            write: Write::Create(Box::new(body)),
        }]
    }

    /// The call's outcome is final: its VoiceCall is ended (now, or once R1 is answered).
    pub fn closed(&mut self, key: &str, closed: &CallClosed) -> Vec<RecordOut> {
        let Some(r) = self.calls.get_mut(key) else {
            return Vec::new();
        };
        if r.update.is_some() {
            return Vec::new();
        }
        r.update = Some(ending(r.start, closed));
        self.send_update(key)
    }

    /// The R2 of call `key`, if it is due and nothing is on its way.
    fn send_update(&mut self, key: &str) -> Vec<RecordOut> {
        let id = self.next + 1;
        let Some(r) = self.calls.get_mut(key) else {
            return Vec::new();
        };
        if r.sending.is_some() {
            return Vec::new();
        }
        let Some(body) = r.update.clone() else {
            return Vec::new();
        };
        let call = match &r.state {
            State::Creating => return Vec::new(),
            State::None => {
                self.calls.remove(key);
                return Vec::new();
            }
            State::Created { id } => id.clone(),
            State::BySalesforce | State::Maybe => key.to_owned(),
        };
        r.sending = Some(id);
        r.retry_at = None;
        r.attempts += 1;
        self.next = id;
        vec![RecordOut::Send {
            id,
            write: Write::Update {
                call,
                body: Box::new(body),
            },
        }]
    }

    /// What became of write `id`, at `now`.
    pub fn written(&mut self, id: u64, written: Written, now: DateTime<Utc>) -> Vec<RecordOut> {
        let Some((key, r)) = self.calls.iter_mut().find(|(_, r)| r.sending == Some(id)) else {
            return Vec::new();
        };
        let key = key.clone();
        r.sending = None;
        let mut out = Vec::new();
        if r.state == State::Creating {
            r.state = match written {
                Written::Done(Some(id)) => {
                    out.push(RecordOut::Note(Noted::Linked { key: key.clone() }));
                    State::Created { id }
                }
                Written::Done(None) => {
                    out.push(unlinked(
                        &key,
                        "Salesforce answered without the VoiceCall's id",
                    ));
                    State::Maybe
                }
                Written::Unknown(why) => {
                    out.push(unlinked(&key, &format!("no answer to its creation: {why}")));
                    State::Maybe
                }
                Written::Refused(why) | Written::NotSent(why) => {
                    out.push(unlinked(&key, &why));
                    State::None
                }
            };
            out.extend(self.send_update(&key));
            return out;
        }
        match written {
            Written::Done(_) => {
                self.calls.remove(&key);
                out.push(RecordOut::Note(Noted::Ended { key }));
            }
            Written::Refused(why) => {
                self.calls.remove(&key);
                out.push(RecordOut::Note(Noted::NotEnded { key, why }));
            }
            Written::Unknown(why) | Written::NotSent(why) if r.attempts >= MOST_UPDATES => {
                self.calls.remove(&key);
                let why = format!("no answer after {MOST_UPDATES} attempts: {why}");
                out.push(RecordOut::Note(Noted::NotEnded { key, why }));
            }
            // R2 overwrites by key: sent again, later and later.
            Written::Unknown(_) | Written::NotSent(_) => {
                let wait = (1i64 << r.attempts.min(9)).min(LONGEST_WAIT_SECS);
                r.retry_at = Some(now + chrono::Duration::seconds(wait));
            }
        }
        out
    }

    /// When an R2 is due again.
    #[must_use]
    pub fn next_retry(&self) -> Option<DateTime<Utc>> {
        self.calls.values().filter_map(|r| r.retry_at).min()
    }

    /// The R2s due at `now`.
    pub fn due(&mut self, now: DateTime<Utc>) -> Vec<RecordOut> {
        let due: Vec<String> = self
            .calls
            .iter()
            .filter(|(_, r)| r.retry_at.is_some_and(|at| at <= now))
            .map(|(k, _)| k.clone())
            .collect();
        due.iter().flat_map(|k| self.send_update(k)).collect()
    }

    /// A session resumed from its snapshot: what was on its way got no answer. An R1 may have
    /// been applied (not sent again); an R2 is sent again.
    pub fn resumed(&mut self) -> Vec<RecordOut> {
        let mut out = Vec::new();
        let mut again = Vec::new();
        for (key, r) in &mut self.calls {
            if r.sending.take().is_none() {
                continue;
            }
            if r.state == State::Creating {
                r.state = State::Maybe;
                out.push(unlinked(
                    key,
                    "the server restarted before Salesforce answered",
                ));
            }
            if r.update.is_some() {
                again.push(key.clone());
            }
        }
        for key in again {
            out.extend(self.send_update(&key));
        }
        out
    }
}

fn record(state: State, start: DateTime<Utc>) -> Record {
    Record {
        state,
        start,
        sending: None,
        update: None,
        attempts: 0,
        retry_at: None,
    }
}

fn unlinked(key: &str, why: &str) -> RecordOut {
    RecordOut::Note(Noted::Unlinked {
        key: key.to_owned(),
        why: why.to_owned(),
    })
}

/// R2: the call's times and Neotel's outcome, closing the conversation.
fn ending(start: DateTime<Utc>, closed: &CallClosed) -> UpdateVoiceCall {
    let mut fields: Vec<(&str, String)> = Vec::new();
    if let Some((category, subcategory)) = &closed.category {
        if let Some(c) = category {
            fields.push(("NeoCategory__c", c.clone()));
        }
        fields.push(("NeoSubcategory__c", subcategory.clone()));
    }
    if let Some(notes) = &closed.notes {
        fields.push(("NeoNotes__c", notes.clone()));
    }
    let iso = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    if let Some(at) = closed.callback {
        fields.push(("NeoScheduledAt__c", iso(at)));
    }
    if let Some(at) = closed.released {
        fields.push(("NeoReleasedAt__c", iso(at)));
    }
    // Known once the contact was shown, after the creation: on the record at the end.
    let contact = &closed.contact;
    for (field, value) in [
        ("NeoBaseId__c", &contact.base_id),
        ("NeoCrmId__c", &contact.crm_id),
        ("NeoSearchBy__c", &contact.search_by),
    ] {
        if let Some(v) = value {
            fields.push((field, v.clone()));
        }
    }
    let secs = u32::try_from(closed.duration_secs).unwrap_or(u32::MAX);
    UpdateVoiceCall {
        start_time: Some(start),
        end_time: Some(closed.ended.max(start)),
        agent_interaction_duration: Some(secs),
        total_hold_duration: Some(0),
        is_active_call: Some(false),
        call_attributes: (!fields.is_empty()).then(|| scrt::call_attributes(fields)),
        ..UpdateVoiceCall::default()
    }
}

#[cfg(test)]
mod tests {
    use sf_callcenter::CallType;

    use super::*;

    fn config() -> RecordsConfig {
        RecordsConfig {
            call_center: "NeotelContactCenter".into(),
            contact_center_number: "08005550100".into(),
        }
    }

    fn start(origin: CallOrigin, direction: CallType) -> CallStart {
        CallStart {
            id: 7,
            phone: "1144445555".into(),
            direction,
            origin,
            dialer: Some("Predictive".into()),
            campaign: Some(97),
            queue: None,
            contact_id: Some(31),
            key: Some("0038d0000000001AAA".into()),
        }
    }

    fn closed(released: bool) -> CallClosed {
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-07T15:00:00Z")
            .unwrap()
            .to_utc();
        CallClosed {
            id: 7,
            duration_secs: 42,
            ended: at,
            category: released.then(|| (Some("Agenda".into()), "Volver a llamar".into())),
            notes: released.then(|| "llamar a la tarde".into()),
            callback: released.then(|| at + chrono::Duration::hours(3)),
            released: released.then_some(at),
            contact: cti_core::ClosedContact {
                base_id: Some("134".into()),
                crm_id: Some("4".into()),
                search_by: Some("Id".into()),
            },
        }
    }

    /// The one write `out` sends.
    fn one(out: &[RecordOut]) -> (u64, Write) {
        let mut sent = sent(out);
        assert_eq!(sent.len(), 1, "{out:?}");
        sent.remove(0)
    }

    fn sent(out: &[RecordOut]) -> Vec<(u64, Write)> {
        out.iter()
            .filter_map(|o| match o {
                RecordOut::Send { id, write } => Some((*id, write.clone())),
                RecordOut::Note(_) => None,
            })
            .collect()
    }

    #[test]
    fn a_dialer_call_is_created_then_ended_once_with_its_outcome() {
        let mut r = Records::default();
        let now = Utc::now();
        let out = r.started(
            &config(),
            "neotel-1001-7",
            &start(CallOrigin::Dialer, CallType::Outbound),
            true,
            now,
        );
        let (id, Write::Create(body)) = one(&out) else {
            panic!("{out:?}")
        };
        assert_eq!(body.initiation_method, InitiationMethod::Inbound);
        assert_eq!(body.call_origin, Some(scrt::CallOrigin::Progressive));
        assert!(r.creating("neotel-1001-7"));
        // The outcome is final before R1 is answered: R2 waits for it.
        assert!(r.closed("neotel-1001-7", &closed(true)).is_empty());
        let out = r.written(id, Written::Done(Some("0LQ000000000001".into())), now);
        let (id2, Write::Update { call, body }) = one(&out) else {
            panic!("{out:?}")
        };
        assert_eq!(call, "0LQ000000000001");
        assert_eq!(body.is_active_call, Some(false));
        let attributes: serde_json::Value =
            serde_json::from_str(body.call_attributes.as_deref().unwrap()).unwrap();
        assert_eq!(attributes["NeoSubcategory__c"], "Volver a llamar");
        assert_eq!(attributes["NeoScheduledAt__c"], "2026-12-07T18:00:00.000Z");
        assert_eq!(attributes["NeoBaseId__c"], "134");
        assert_eq!(attributes["NeoCrmId__c"], "4");
        assert_eq!(attributes["NeoSearchBy__c"], "Id");
        let out = r.written(id2, Written::Done(None), now);
        assert!(matches!(&out[..], [RecordOut::Note(Noted::Ended { .. })]));
        assert!(r.is_empty());
    }

    #[test]
    fn a_lost_creation_is_never_sent_again_and_its_end_goes_by_key() {
        let mut r = Records::default();
        let now = Utc::now();
        let out = r.started(
            &config(),
            "k",
            &start(CallOrigin::Queue, CallType::Inbound),
            true,
            now,
        );
        let id = sent(&out)[0].0;
        let out = r.written(id, Written::Unknown("timed out".into()), now);
        assert!(matches!(
            &out[..],
            [RecordOut::Note(Noted::Unlinked { .. })]
        ));
        let out = r.closed("k", &closed(false));
        let (id, Write::Update { call, .. }) = one(&out) else {
            panic!("{out:?}")
        };
        assert_eq!(call, "k");
        // An R2 without an answer is sent again, later.
        assert!(
            r.written(id, Written::Unknown("reset".into()), now)
                .is_empty()
        );
        assert!(r.due(now).is_empty());
        let later = r.next_retry().unwrap();
        let again = sent(&r.due(later));
        assert!(matches!(&again[..], [(_, Write::Update { .. })]));
    }

    #[test]
    fn a_refused_creation_has_no_end_and_an_agents_dial_is_salesforces() {
        let mut r = Records::default();
        let now = Utc::now();
        let id = sent(&r.started(
            &config(),
            "k",
            &start(CallOrigin::Queue, CallType::Inbound),
            true,
            now,
        ))[0]
            .0;
        r.written(id, Written::Refused("HTTP 400".into()), now);
        assert!(r.closed("k", &closed(true)).is_empty());
        assert!(r.is_empty());
        let out = r.started(
            &config(),
            "d",
            &start(CallOrigin::Agent, CallType::Outbound),
            false,
            now,
        );
        assert!(out.is_empty(), "Salesforce made it");
        let out = r.closed("d", &closed(false));
        assert!(matches!(&sent(&out)[..], [(_, Write::Update { call, .. })] if call == "d"));
    }

    #[test]
    fn a_restart_leaves_a_creation_unanswered_and_sends_an_end_again() {
        let mut r = Records::default();
        let now = Utc::now();
        r.started(
            &config(),
            "a",
            &start(CallOrigin::Queue, CallType::Inbound),
            true,
            now,
        );
        let id = sent(&r.started(
            &config(),
            "b",
            &start(CallOrigin::Queue, CallType::Inbound),
            true,
            now,
        ))[0]
            .0;
        r.written(id, Written::Done(Some("0LQ2".into())), now);
        r.closed("b", &closed(true));
        let json = serde_json::to_string(&r).unwrap();
        let mut again: Records = serde_json::from_str(&json).unwrap();
        let out = again.resumed();
        assert!(
            out.iter()
                .any(|o| matches!(o, RecordOut::Note(Noted::Unlinked { key, .. }) if key == "a"))
        );
        assert!(
            matches!(&sent(&out)[..], [(_, Write::Update { call, .. })] if call == "0LQ2"),
            "{out:?}"
        );
    }
}
