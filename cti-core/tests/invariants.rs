//! Random sequences of agent commands, Neotel changes, Salesforce events and faults against the
//! session's invariants.
//!
//! Steps: commands (with drafts and releases typed for this contact, the last one or one that
//! does not exist), deliveries and inbound calls (a key, several matches, a private number),
//! the phone and the customer, NeoApi faults, Salesforce refusing Task saves (or saving and
//! losing the answer), navigation to arbitrary records, the new-record window saved or
//! cancelled, effects answered late, failed or never, the page changing, and a poll or a write
//! answered after a later call's answer.
//!
//! Invariants: no panic; no `Dial` during a call; no `UpdateContact` without a contact; a
//! shown contact is finished before `CRM_Available` and never shown again; at most one Task per
//! call, and a Task that names a call is never saved for another; every number reaching NeoApi
//! is digits only (the agent types them anyhow); whenever Neotel holds the agent for a contact
//! and the session has settled, some command the view allows leads back to available (a
//! release, a schedule or Play, campaign or not); Neotel data and Tasks are written only to a record the contact was matched to (one of
//! its search's results) or synced to (the record carrying its pre-filled `neoSyncId__c`); what
//! an `UpdateContact` carries was entered for that contact, and a contact's outcome reaches
//! Neotel at most once per time Neotel handed it over; every effect the page loses runs
//! again on the next page at most once, and exactly once for a Salesforce write; only polls,
//! list reads, the search, the page's state and views leave before the snapshot that says they were asked is
//! stored (a restart right after them loses it); and after every step, an action the view
//! enables is accepted and one it disables is refused (one rule).
//!
//! Every sequence also runs through the Salesforce Voice adapter (`sf-voice`): a voice page is
//! open beside the Open CTI page (which leads), and Salesforce's softphone calls the connector
//! among the steps (accept, decline and end a call, set the agent's status, dial, end the
//! wrap-up), its iframe reloads, and the Telephony Integration API loses, refuses, delays or
//! fails the VoiceCall writes. Invariants: every call the core announced got exactly one
//! CALL_STARTED and at most one HANGUP, in that order, and nothing of a call it never
//! announced; the core tells a call's outcome (`CallEvent::Closed`) at most once, after the
//! call ended; a VoiceCall is created at most once, and its end is sent again only until
//! Salesforce took it.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use common::{Harness, TelFault};
use cti_core::{Command, Input, TextChannel, TransferTarget};
use neotel_api::Request;
use neotel_sim::DeliverRequest;
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use sf_opencti::{SalesforceAction, SalesforceEffect};

/// Which contact a command about a contact names.
#[derive(Debug, Clone, Copy)]
enum Whose {
    This,
    Last,
    Unknown,
    Unsaid,
}

#[derive(Debug, Clone)]
enum Step {
    Do(Command),
    Draft(Whose, Option<i64>),
    Release(Whose, Option<i64>),
    /// A schedule, to the customer's number or to another typed anyhow.
    Schedule(Whose, &'static str),
    Deliver,
    Inbound(Option<&'static str>),
    AgentAnswer,
    CustomerHangup,
    Wait(u64),
    Fail(&'static str),
    /// Salesforce refuses the next Task save with this code.
    FailTask(&'static str),
    /// Salesforce shows record `n` of the org (the agent opened it, or a window closed over it).
    Navigate(usize),
    /// The agent saves the new-record window.
    SaveNewRecord,
    /// The next effects stay unanswered.
    Hold(u32),
    /// The held effects are answered now, late.
    AnswerHeld,
    /// The page goes away with the held effects; another takes over.
    ChangePage,
    /// NeoApi applies the next call of this method, then its answer is lost.
    Lose(&'static str),
    /// NeoApi answers the next call of this method with a fault that may pass.
    Transient(&'static str),
    /// The next call of this method times out and reaches Neotel this many seconds later.
    Late(&'static str, u64),
    /// The next call of this method is applied and the server dies before its answer.
    Crash(&'static str),
    /// The server stops and starts again: the session comes back from its snapshot.
    Restart,
    /// The next call of this method is answered after the next call sent (read or applied
    /// first, answered last).
    Overtaken(&'static str),
    /// Salesforce's softphone calls a method of the connector.
    Host(HostStep),
    /// The Telephony Integration API's next write meets this.
    Tel(TelFault),
    /// The Telephony Integration API's held answers arrive.
    TelAnswer,
    /// The connector's iframe reloads.
    ReloadVoice,
}

/// A method Salesforce calls on the connector (`scv.md` §1.4).
#[derive(Debug, Clone, Copy)]
enum HostStep {
    Accept(Which),
    Decline(Which),
    End(Which),
    /// An Omni-Channel status: ready, no campaign, a break's, one Neotel does not know.
    SetStatus(&'static str),
    Dial(&'static str),
    WrapUp(Which),
}

/// The call Salesforce names.
#[derive(Debug, Clone, Copy)]
enum Which {
    /// The last one it was told of (or one it never was, when none is up).
    Up,
    /// A partial call: only its participant type (3.6.2 pitfall P5).
    Partial,
    /// The consulted party's leg.
    ThirdParty,
}

fn which() -> impl Strategy<Value = Which> {
    prop_oneof![
        3 => Just(Which::Up),
        1 => Just(Which::Partial),
        1 => Just(Which::ThirdParty),
    ]
}

fn host_step() -> impl Strategy<Value = HostStep> {
    prop_oneof![
        1 => which().prop_map(HostStep::Accept),
        1 => which().prop_map(HostStep::Decline),
        2 => which().prop_map(HostStep::End),
        2 => prop_oneof![
            Just(common::PRESENCE_AVAILABLE),
            Just(common::PRESENCE_NO_CAMPAIGN),
            Just("0N50000000001B1"),
            Just("0N50000000001B2"),
            Just("0N5000000000999"),
        ]
        .prop_map(HostStep::SetStatus),
        1 => prop_oneof![Just("1144445555"), Just("+54 9 11 4444-5555"), Just("sin número")]
            .prop_map(HostStep::Dial),
        1 => which().prop_map(HostStep::WrapUp),
    ]
}

fn tel_fault() -> impl Strategy<Value = TelFault> {
    prop_oneof![
        Just(TelFault::Lost),
        Just(TelFault::ServerError),
        Just(TelFault::Refused),
        Just(TelFault::NotSent),
        Just(TelFault::Slow),
        Just(TelFault::Crash),
        Just(TelFault::NoId),
    ]
}

/// The call `which` names, as Salesforce sends it.
fn host_call(h: &Harness, which: Which) -> Value {
    let up = h
        .host
        .up
        .last()
        .cloned()
        .unwrap_or_else(|| "neotel-1001-0".into());
    match which {
        Which::Up => json!({
            "callId": up, "callType": "Inbound", "state": "connected",
            "callAttributes": { "participantType": "Initial_Caller" }
        }),
        Which::Partial => json!({ "callAttributes": { "participantType": "Initial_Caller" } }),
        Which::ThirdParty => json!({
            "callId": format!("{up}-consult"), "callType": "AddParticipant",
            "callAttributes": { "participantType": "Third_Party" }
        }),
    }
}

/// Salesforce calls the connector's method for `step` (a call's button only while it shows
/// a call).
fn host(h: &mut Harness, step: HostStep) {
    let shows_a_call = !h.host.up.is_empty();
    let (method, args) = match step {
        HostStep::Accept(_) | HostStep::Decline(_) | HostStep::End(_) if !shows_a_call => return,
        HostStep::Accept(w) => ("acceptCall", json!({ "call": host_call(h, w) })),
        HostStep::Decline(w) => ("declineCall", json!({ "call": host_call(h, w) })),
        HostStep::End(w) => (
            "endCall",
            json!({ "call": host_call(h, w), "agentStatus": "Available" }),
        ),
        HostStep::SetStatus(id) => (
            "setAgentStatus",
            json!({ "agentStatus": "Available", "statusInfo": { "statusId": id } }),
        ),
        HostStep::Dial(number) => ("dial", json!({ "contact": { "phoneNumber": number } })),
        HostStep::WrapUp(w) => ("wrapUpCall", json!({ "call": host_call(h, w) })),
    };
    h.voice_method(method, args);
}

fn whose() -> impl Strategy<Value = Whose> {
    prop_oneof![
        4 => Just(Whose::This),
        1 => Just(Whose::Last),
        1 => Just(Whose::Unknown),
        1 => Just(Whose::Unsaid),
    ]
}

fn subcategory() -> impl Strategy<Value = Option<i64>> {
    prop_oneof![Just(None), Just(Some(26)), Just(Some(27))]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        1 => Just(Step::Do(Command::JoinCampaign { campaign: 97 })),
        1 => Just(Step::Do(Command::LeaveCampaign)),
        1 => (1i64..4).prop_map(|b| Step::Do(Command::TakeBreak { break_id: b })),
        1 => Just(Step::Do(Command::EndBreak)),
        1 => prop_oneof![Just("1144445555"), Just("(011) 4444-5555"), Just("+54 9 11 4444-5555")]
            .prop_map(|n| Step::Do(Command::Dial { number: n.into() })),
        1 => prop_oneof![Just("11 5555-0000"), Just("1002"), Just("sin número")]
            .prop_map(|n| Step::Do(Command::Invite { extension: n.into() })),
        1 => Just(Step::Do(Command::Hangup)),
        1 => (whose(), subcategory()).prop_map(|(w, s)| Step::Draft(w, s)),
        2 => (whose(), subcategory()).prop_map(|(w, s)| Step::Release(w, s)),
        1 => (whose(), prop_oneof![Just(""), Just("11-5555-0000 int. 3"), Just("--")])
            .prop_map(|(w, phone)| Step::Schedule(w, phone)),
        2 => Just(Step::Do(Command::Play)),
        1 => "[0-9a#*]{0,3}".prop_map(|d| Step::Do(Command::SendDtmf { digits: d })),
        1 => (any::<bool>(), prop_oneof![Just("1140001000"), Just("11-4000-1000 int. 3")])
            .prop_map(|(attended, phone)| Step::Do(Command::Transfer {
                target: cti_core::TransferTarget::Phone(phone.into()),
                attended
            })),
        1 => Just(Step::Do(Command::EndTransfer)),
        1 => Just(Step::Do(Command::StartConference)),
        1 => Just(Step::Do(Command::EndConference)),
        1 => Just(Step::Do(Command::SyncRecord)),
        1 => any::<bool>().prop_map(|watching| Step::Do(Command::WatchUsers { watching })),
        1 => prop_oneof![Just(""), Just("11 5555-0000"), Just("+54 11 5555-0000")]
            .prop_map(|phone| Step::Do(Command::SendText {
                channel: cti_core::TextChannel::Sms,
                phone: phone.into(),
                text: "hola".into()
            })),
        2 => Just(Step::Deliver),
        2 => prop_oneof![
            Just(Some("0038d0000000002AAA")),
            Just(Some("1144475558")),
            Just(None)
        ]
        .prop_map(Step::Inbound),
        2 => Just(Step::AgentAnswer),
        2 => Just(Step::CustomerHangup),
        2 => (100u64..20_000).prop_map(Step::Wait),
        1 => prop_oneof![
            Just("UpdateContact"),
            Just("Position"),
            Just("CRM_Available"),
            Just("Dial")
        ]
        .prop_map(Step::Fail),
        1 => prop_oneof![Just("SERVER_ERROR"), Just("TIMEOUT"), Just("TIMEOUT_APPLIED")]
            .prop_map(Step::FailTask),
        2 => (0usize..34).prop_map(Step::Navigate),
        1 => Just(Step::SaveNewRecord),
        1 => (1u32..4).prop_map(Step::Hold),
        1 => Just(Step::AnswerHeld),
        1 => Just(Step::ChangePage),
        1 => prop_oneof![Just("UpdateContact"), Just("CRM_Available")].prop_map(Step::Lose),
        1 => prop_oneof![Just("UpdateContact"), Just("CRM_Available")].prop_map(Step::Transient),
        1 => (prop_oneof![Just("UpdateContact"), Just("CRM_Available")], 1u64..9)
            .prop_map(|(m, secs)| Step::Late(m, secs)),
        1 => prop_oneof![Just("UpdateContact"), Just("CRM_Available")].prop_map(Step::Crash),
        1 => Just(Step::Restart),
        1 => prop_oneof![Just("Position"), Just("UpdateContact"), Just("CRM_Available")]
            .prop_map(Step::Overtaken),
        6 => host_step().prop_map(Step::Host),
        2 => tel_fault().prop_map(Step::Tel),
        1 => Just(Step::TelAnswer),
        1 => Just(Step::ReloadVoice),
    ]
}

/// What the harness knows of the contacts, apart from the session.
#[derive(Default)]
struct Truth {
    /// Contact handle → (base, contact id), as the views showed them.
    contact_of_handle: HashMap<u64, (i64, i64)>,
    /// Neotel call id → contact id.
    contact_of_call: HashMap<i64, i64>,
    /// The last handle seen.
    last_handle: Option<u64>,
    next_note: u32,
}

/// `saveLog` writes of the org's records and Tasks: (whose contact, which record).
fn writes(h: &Harness, truth: &Truth) -> Vec<(Option<i64>, String, Map<String, Value>)> {
    let mut out = Vec::new();
    for e in &h.effects {
        let SalesforceAction::SaveLog { value } = &e.action else {
            continue;
        };
        let text = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_owned);
        if let Some(call) = text("CallObject") {
            let contact = call
                .parse::<i64>()
                .ok()
                .and_then(|c| truth.contact_of_call.get(&c).copied());
            if let Some(target) = text("WhoId").or_else(|| text("WhatId")) {
                out.push((contact, target, value.clone()));
            }
        } else if let Some(target) = text("Id") {
            let contact = text("neoContactId__c").and_then(|c| c.parse().ok());
            out.push((contact, target, value.clone()));
        }
    }
    out
}

/// The records each contact was matched to (its searches' results) or synced to.
fn allowed(h: &Harness) -> HashMap<i64, HashSet<String>> {
    let mut allowed: HashMap<i64, HashSet<String>> = HashMap::new();
    let contact_of = |fields: &Value| {
        fields["neoContactId__c"]
            .as_str()
            .and_then(|c| c.parse::<i64>().ok())
    };
    for e in &h.effects {
        match &e.action {
            SalesforceAction::SearchAndScreenPop {
                search_params,
                default_field_values,
                ..
            } => {
                let Some(contact) = contact_of(&Value::Object(default_field_values.clone())) else {
                    continue;
                };
                let found = h.records.iter().filter(|r| {
                    r["Id"] == search_params.as_str()
                        || r["Phone"] == search_params.as_str()
                        || r["neoCrmData__c"] == search_params.as_str()
                });
                allowed
                    .entry(contact)
                    .or_default()
                    .extend(found.filter_map(|r| r["Id"].as_str().map(str::to_owned)));
            }
            SalesforceAction::ScreenPop {
                pop_type: "newRecord",
                params,
            } => {
                let fields = &params["defaultFieldValues"];
                let (Some(contact), Some(sync)) =
                    (contact_of(fields), fields["neoSyncId__c"].as_str())
                else {
                    continue;
                };
                let synced = h
                    .records
                    .iter()
                    .filter(|r| r["neoSyncId__c"].as_str() == Some(sync));
                allowed
                    .entry(contact)
                    .or_default()
                    .extend(synced.filter_map(|r| r["Id"].as_str().map(str::to_owned)));
            }
            _ => {}
        }
    }
    allowed
}

/// Every button of the view, with a command that presses it (valid arguments), and whether
/// the view enables it.
fn buttons(h: &Harness) -> Vec<(&'static str, bool, Command)> {
    let v = h.view();
    let a = v.actions;
    let contact = v.contact.as_ref().map(|c| c.handle);
    let campaign = v.join_targets.first().copied().unwrap_or(97);
    vec![
        (
            "joinCampaign",
            a.join_campaign,
            Command::JoinCampaign { campaign },
        ),
        ("leaveCampaign", a.leave_campaign, Command::LeaveCampaign),
        (
            "takeBreak",
            a.take_break,
            Command::TakeBreak { break_id: 1 },
        ),
        ("endBreak", a.end_break, Command::EndBreak),
        (
            "dial",
            a.dial,
            Command::Dial {
                number: "1144445555".into(),
            },
        ),
        ("hangup", a.hangup, Command::Hangup),
        ("dtmf", a.dtmf, Command::SendDtmf { digits: "1".into() }),
        (
            "transfer",
            a.transfer,
            Command::Transfer {
                target: TransferTarget::Phone("1140001000".into()),
                attended: false,
            },
        ),
        ("endTransfer", a.end_transfer, Command::EndTransfer),
        (
            "startConference",
            a.start_conference,
            Command::StartConference,
        ),
        (
            "invite",
            a.invite,
            Command::Invite {
                extension: "1140002000".into(),
            },
        ),
        ("endConference", a.end_conference, Command::EndConference),
        (
            "categorize",
            a.categorize,
            Command::Release {
                subcategory: Some(26),
                notes: String::new(),
                contact,
            },
        ),
        (
            "release",
            a.release,
            Command::Release {
                subcategory: None,
                notes: String::new(),
                contact,
            },
        ),
        (
            "schedule",
            a.schedule,
            Command::Schedule {
                at: Some(h.wall() + chrono::Duration::hours(2)),
                agent_offset_minutes: 0,
                subcategory: Some(28),
                phone: String::new(),
                notes: String::new(),
                contact,
            },
        ),
        ("play", a.play, Command::Play),
        (
            "monitor",
            a.monitor,
            Command::Monitor {
                user: "1002".into(),
                mode: cti_core::MonitorMode::Listen,
            },
        ),
        ("endMonitor", a.end_monitor, Command::EndMonitor),
        (
            "sendText",
            a.send_text,
            Command::SendText {
                channel: TextChannel::Sms,
                phone: "1144445555".into(),
                text: "hola".into(),
            },
        ),
        ("sync", a.sync, Command::SyncRecord),
    ]
}

/// What a lost effect's new run looks like on the next page.
fn lost_call(lost: &SalesforceEffect) -> Option<&Value> {
    match &lost.action {
        SalesforceAction::SaveLog { value } => value.get("CallObject"),
        _ => None,
    }
}

fn reruns(lost: &SalesforceEffect, sent: &[SalesforceEffect]) -> usize {
    match &lost.action {
        SalesforceAction::SaveLog { value }
            if !value.contains_key("Id")
                && value.get("entityApiName").and_then(Value::as_str) == Some("Task") =>
        {
            let call = value["CallObject"].as_str().unwrap_or_default();
            // Its look-up, before the creation it may lead to (which, lost or failed in its
            // turn, is looked up again: that is another loss). The creation carries what the
            // agent typed since, so it is found by its call, not by its fields.
            let again = sent.iter().position(|e| {
                matches!(&e.action, SalesforceAction::SaveLog { value }
                    if !value.contains_key("Id")
                        && value.get("CallObject") == lost_call(lost))
            });
            sent[..again.unwrap_or(sent.len())]
                .iter()
                .filter(|e| {
                    matches!(&e.action,
                    SalesforceAction::RunApex { method_name, method_params, .. }
                        if method_name == "getTaskByCallObject"
                            && *method_params == format!("CallObject={call}"))
                })
                .count()
        }
        action => sent.iter().filter(|e| e.action == *action).count(),
    }
}

proptest! {
    // 256 by default keeps the suite quick; PROPTEST_CASES=5000 for a longer hunt.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256),
        ..ProptestConfig::default()
    })]

    #[test]
    fn invariants_hold_under_random_sequences(steps in prop::collection::vec(step(), 1..40)) {
        run(steps)?;
    }
}

/// Found under load (2,000 agents): a `Position` read before Play reached Neotel and answered
/// after it brought the freed contact back on screen, and the next release wrote its outcome a
/// second time.
#[test]
fn a_position_overtaken_by_play_then_a_release() {
    run(vec![
        Step::Do(Command::JoinCampaign { campaign: 97 }),
        Step::Wait(1000),
        Step::Inbound(None),
        Step::Wait(1000),
        Step::Do(Command::Hangup),
        Step::Wait(1000),
        Step::Release(Whose::This, Some(26)),
        Step::Wait(300),
        Step::Overtaken("Position"),
        Step::Wait(1500),
        Step::Do(Command::Play),
        Step::Wait(300),
        Step::Release(Whose::Unsaid, Some(27)),
        Step::Wait(1000),
    ])
    .unwrap();
}

/// The server restarted during an inbound call, the customer hung up, and the first `Position`
/// after the restart was overtaken: the session still learns the call ended.
#[test]
fn a_restart_in_an_inbound_call_then_a_lost_position() {
    run(vec![
        Step::Inbound(Some("0038d0000000002AAA")),
        Step::Restart,
        Step::CustomerHangup,
        Step::Overtaken("Position"),
    ])
    .unwrap();
}

/// A Task creation that timed out (perhaps saved), a page held, then a new page: the Task is
/// looked up or created once on the new page, never twice.
#[test]
fn a_timed_out_task_then_a_held_page_then_a_new_one() {
    run(vec![
        Step::Inbound(Some("0038d0000000002AAA")),
        Step::Do(Command::JoinCampaign { campaign: 97 }),
        Step::CustomerHangup,
        Step::FailTask("TIMEOUT"),
        Step::Hold(1),
        Step::Do(Command::StartConference),
        Step::Draft(Whose::This, None),
        Step::ChangePage,
    ])
    .unwrap();
}

/// A regression the helper's run found (several Tasks for one call), kept as a fixed sequence.
#[test]
fn a_lost_play_then_the_same_customer_calling_again() {
    run(vec![
        Step::Inbound(Some("0038d0000000002AAA")),
        Step::Wait(1000),
        Step::Hold(3),
        Step::Fail("CRM_Available"),
        Step::CustomerHangup,
        Step::Schedule(Whose::This, ""),
        Step::Inbound(Some("0038d0000000002AAA")),
        Step::Do(Command::StartConference),
        Step::Do(Command::Play),
        Step::CustomerHangup,
        Step::Wait(1000),
        Step::ChangePage,
    ])
    .unwrap();
}

/// Salesforce Voice's invariants, once settled: Salesforce heard of each call the core
/// announced once and of its end at most once, after its start; the core told each call's
/// outcome at most once, after its end; each VoiceCall was created at most once and its end
/// sent again only until taken.
fn voice_invariants(h: &Harness, tolerate_known_bugs: bool) -> Result<(), TestCaseError> {
    let key = |id: i64| format!("neotel-{}-{id}", h.user);
    let mut announced: Vec<i64> = Vec::new();
    let mut ended: HashSet<i64> = HashSet::new();
    let mut closed: HashMap<i64, usize> = HashMap::new();
    for e in &h.calls {
        match e {
            cti_core::CallEvent::Started(s) if !announced.contains(&s.id) => announced.push(s.id),
            cti_core::CallEvent::Ended { id, .. } => {
                ended.insert(*id);
            }
            cti_core::CallEvent::Closed(c) => {
                prop_assert!(
                    ended.contains(&c.id),
                    "call {} closed before it ended: {:?}",
                    c.id,
                    h.calls
                );
                *closed.entry(c.id).or_default() += 1;
            }
            _ => {}
        }
    }
    for (id, n) in &closed {
        prop_assert_eq!(*n, 1, "call {} closed {} times: {:?}", id, n, &h.calls);
    }
    // Known bug (`a_restart_while_a_calls_voicecall_is_being_created_loses_its_start`): a
    // call whose VoiceCall creation was on its way when the server restarted is never told.
    let untold_at_restart: HashSet<&str> = h
        .host
        .noted
        .iter()
        .filter_map(|n| match n {
            sf_voice::Noted::Unlinked { key, why } if why.contains("restarted") => {
                Some(key.as_str())
            }
            _ => None,
        })
        .collect();
    for id in &announced {
        let events = h.host.events_of(&key(*id));
        let starts = events.iter().filter(|e| **e == "CALL_STARTED").count();
        if tolerate_known_bugs && starts == 0 && untold_at_restart.contains(key(*id).as_str()) {
            continue;
        }
        let hangups = events.iter().filter(|e| **e == "HANGUP").count();
        prop_assert_eq!(
            starts,
            1,
            "call {} got {} CALL_STARTED: {:?}; calls {:?}",
            id,
            starts,
            &events,
            &h.calls
        );
        prop_assert!(
            hangups <= 1,
            "call {id} got {hangups} HANGUP: {events:?}; calls {:?}",
            &h.calls
        );
        prop_assert!(
            events.first() == Some(&"CALL_STARTED"),
            "call {id}'s first event is not CALL_STARTED: {events:?}"
        );
        // A call Salesforce was told of and Neotel ended is not left up in Salesforce.
        prop_assert!(
            !ended.contains(id) || hangups >= 1,
            "call {id} ended and got no HANGUP: {events:?}; calls {:?}",
            &h.calls
        );
    }
    // (A HANGUP may echo a call Salesforce names that is over already: its own.)
    for told in &h.host.events {
        prop_assert!(
            told.event != "CALL_STARTED" || announced.iter().any(|id| key(*id) == told.call),
            "Salesforce heard of {}, which the core never announced",
            told.call
        );
    }
    for (call, r) in &h.scrt.calls {
        prop_assert!(
            r.creates <= 1,
            "VoiceCall {call} created {} times",
            r.creates
        );
        prop_assert_eq!(
            r.after_taken,
            0,
            "VoiceCall {}'s end sent again after it was taken",
            call
        );
    }
    Ok(())
}

/// Found by the run (Salesforce Voice): a call's VoiceCall creation was on its way (Salesforce
/// hears of the call once it is answered) when the server died. The resumed session marks the
/// creation unknown (unlinked, as it should), but takes the call in progress for one Salesforce
/// was told of (`VoiceSession::known_call` from the core's `current_call`): the deferred
/// CALL_STARTED is lost with the process, and the reconnected page gets only the active calls
/// in its `voiceSetup` (which publishes nothing on a page already set up). Salesforce's softphone
/// never shows the call, nor its end.
#[test]
#[ignore = "bug in sf-voice (reported to the lead): run with --ignored"]
fn a_restart_while_a_calls_voicecall_is_being_created_loses_its_start() {
    let mut h = Harness::new("1001");
    h.open_voice();
    h.neotel
        .place_inbound_call(
            h.wall(),
            &neotel_sim::InboundRequest {
                queue: 200,
                ani: "1144445555".into(),
                data: Some("0038d0000000002AAA".into()),
            },
        )
        .unwrap();
    // The creation reaches Salesforce; the server dies before its answer.
    h.scrt.faults.push_back(TelFault::Crash);
    h.advance(Duration::from_millis(1262));
    assert!(h.scrt.crashed, "the creation was sent");
    h.restart();
    h.advance(Duration::from_secs(5));
    let key = h.host.up.first().cloned();
    let call = h
        .view()
        .call
        .as_ref()
        .map(|c| c.id)
        .expect("the call is up");
    assert_eq!(
        h.host.events_of(&format!("neotel-1001-{call}")),
        vec!["CALL_STARTED"],
        "Salesforce was told of the call in progress ({key:?})"
    );
}

/// Found by the voice soak (`cti-server/tests/soak_voice.rs`): a call's VoiceCall creation
/// answered slowly while the call ended and a second one came and ended. The voice side holds
/// the call events until the creation is answered, then tells them in order; the second call's
/// start, waiting for its own creation, went back to the end of the queue, behind its own
/// connection and end: Salesforce heard the second call start after its end (so it stayed up),
/// and when its record had been ended meanwhile, a second creation followed (two VoiceCalls).
#[test]
fn a_second_call_while_the_first_ones_voicecall_is_slow_is_told_in_order() {
    let call = |n: i64| {
        vec![
            Step::Deliver,
            Step::Wait(1000),
            Step::AgentAnswer,
            Step::Wait(1000),
            Step::CustomerHangup,
            Step::Wait(1000),
            Step::Release(Whose::This, Some(26 + n)),
            Step::Wait(1000),
            Step::Do(Command::Play),
            Step::Wait(1000),
        ]
    };
    let mut steps = vec![
        Step::Do(Command::JoinCampaign { campaign: 97 }),
        Step::Wait(1000),
        Step::Tel(TelFault::Slow),
    ];
    steps.extend(call(0));
    steps.extend(call(1));
    steps.extend([Step::TelAnswer, Step::Wait(5000)]);
    run_checked(steps, false).unwrap();
}

/// Found by the voice soak (`cti-server/tests/soak_voice.rs`), the general case of
/// `a_restart_while_a_calls_voicecall_is_being_created_loses_its_start`: the call events the
/// voice side holds until a creation is answered are not in the snapshot. A call that ended
/// while its VoiceCall's creation was slow, then a second call, then the server restarts: the
/// resumed session takes the second call for one Salesforce was told of (it is the core's
/// call in progress), so it is never told, and its VoiceCall is never created (nor logged
/// unlinked); the first call's end (`Closed`, held too) never ends its VoiceCall.
#[test]
#[ignore = "bug in sf-voice (reported to the lead): run with --ignored"]
fn a_restart_while_call_events_wait_for_a_slow_creation_loses_them() {
    run_checked(
        vec![
            Step::Do(Command::JoinCampaign { campaign: 97 }),
            Step::Wait(1000),
            Step::Tel(TelFault::Slow),
            Step::Deliver,
            Step::Wait(1000),
            Step::AgentAnswer,
            Step::Wait(1000),
            Step::CustomerHangup,
            Step::Wait(1000),
            Step::Release(Whose::This, Some(26)),
            Step::Wait(1000),
            Step::Do(Command::Play),
            Step::Wait(1000),
            Step::Deliver,
            Step::Wait(1000),
            Step::AgentAnswer,
            Step::Wait(1000),
            Step::Restart,
            Step::Wait(1000),
            Step::CustomerHangup,
            Step::Wait(1000),
        ],
        false,
    )
    .unwrap();
}

/// Found by the run (Salesforce Voice): Salesforce declined (or ended) a call, the base
/// published its HANGUP; the server restarted before Neotel's end reached the session. The
/// resumed voice side took the call in progress afresh (`known_call`), without "Salesforce
/// ended it" (then kept only in memory), and published a second HANGUP when Neotel's end came.
/// Now kept with the VoiceCalls in the snapshot: one HANGUP.
#[test]
fn a_restart_after_salesforce_ended_a_call_tells_its_end_again() {
    run_checked(
        vec![
            Step::Host(HostStep::Dial("1144445555")),
            Step::Overtaken("Position"),
            Step::Host(HostStep::Decline(Which::Up)),
            Step::Restart,
        ],
        false,
    )
    .unwrap();
}

/// One random sequence against every invariant (the known bugs of the voice side aside).
fn run(steps: Vec<Step>) -> Result<(), TestCaseError> {
    run_checked(steps, true)
}

/// One random sequence against every invariant; the known bugs of the voice side tolerated
/// or not.
fn run_checked(steps: Vec<Step>, tolerate_known_bugs: bool) -> Result<(), TestCaseError> {
    let mut h = Harness::new("1001");
    h.open_voice();
    let mut truth = Truth::default();
    // Notes typed, by the handle they were typed for.
    let mut notes_for: HashMap<String, u64> = HashMap::new();
    // Notes of every release and schedule the session accepted.
    let mut released: Vec<String> = Vec::new();
    // A crash armed: the server dies as soon as that call has gone out.
    let mut crash_armed = false;
    // How many times Neotel handed each contact (base, id) over.
    let mut deliveries: HashMap<(String, String), usize> = HashMap::new();
    let mut delivered = |base: i64, id: i64| {
        *deliveries
            .entry((base.to_string(), id.to_string()))
            .or_default() += 1;
    };
    for s in steps {
        let before = h.requests.len();
        let in_call = h.view().call.is_some();
        let has_contact = h.view().contact.is_some();
        let this = h.view().contact.as_ref().map(|c| c.handle);
        let pick = |w: Whose| match w {
            Whose::This | Whose::Unsaid => this,
            Whose::Last => truth.last_handle.filter(|l| Some(*l) != this),
            Whose::Unknown => Some(9_999),
        };
        let mut note = |handle: Option<u64>, truth: &mut Truth| {
            truth.next_note += 1;
            let text = format!("n{}-{}", handle.unwrap_or(0), truth.next_note);
            if let Some(h) = handle {
                notes_for.insert(text.clone(), h);
            }
            text
        };
        match s.clone() {
            Step::Do(c) => {
                let _ = h.command(c);
            }
            Step::Draft(w, subcategory) => {
                if let Some(contact) = pick(w) {
                    let notes = note(Some(contact), &mut truth);
                    let _ = h.command(Command::Draft {
                        contact,
                        subcategory,
                        notes,
                        at: None,
                        phone: String::new(),
                    });
                }
            }
            Step::Release(w, subcategory) => {
                // The page always names the contact; `Unsaid` is an older client's command.
                let handle = pick(w);
                if handle.is_some() || matches!(w, Whose::Unsaid) {
                    let notes = note(handle, &mut truth);
                    let contact = if matches!(w, Whose::Unsaid) {
                        None
                    } else {
                        handle
                    };
                    let accepted = h.command(Command::Release {
                        subcategory,
                        notes: notes.clone(),
                        contact,
                    });
                    if accepted.is_ok() {
                        released.push(notes);
                    }
                }
            }
            Step::Schedule(w, phone) if pick(w).is_some() || matches!(w, Whose::Unsaid) => {
                let handle = pick(w);
                let notes = note(handle, &mut truth);
                let contact = if matches!(w, Whose::Unsaid) {
                    None
                } else {
                    handle
                };
                let at = Some(h.wall() + chrono::Duration::hours(2));
                let accepted = h.command(Command::Schedule {
                    at,
                    agent_offset_minutes: 0,
                    subcategory: Some(28),
                    phone: phone.into(),
                    notes: notes.clone(),
                    contact,
                });
                if accepted.is_ok() {
                    released.push(notes);
                }
            }
            Step::Schedule(..) => {}
            Step::Deliver => {
                if let Ok(d) = h.neotel.deliver_contact(
                    h.wall(),
                    &DeliverRequest {
                        campaign: 97,
                        ..Default::default()
                    },
                ) {
                    delivered(d.base, d.contact_id);
                }
            }
            Step::Inbound(data) => {
                if let Ok(p) = h.neotel.place_inbound_call(
                    h.wall(),
                    &neotel_sim::InboundRequest {
                        queue: 200,
                        ani: "1144445555".into(),
                        data: data.map(str::to_owned),
                    },
                ) {
                    delivered(p.base, p.contact_id);
                }
            }
            Step::AgentAnswer => {
                let _ = h.neotel.agent_answer(h.wall(), "1001");
            }
            Step::CustomerHangup => {
                if let Some(call) = h.view().call.as_ref().map(|c| c.id) {
                    let _ = h.neotel.customer_hangup(h.wall(), call);
                }
            }
            Step::Wait(ms) => h.advance(Duration::from_millis(ms)),
            Step::Fail(m) => h.fail.push((m.to_string(), 1)),
            Step::FailTask(code) => h.fail_save_log.push_back(code),
            Step::Navigate(n) => {
                let r = h.records[n % h.records.len()].clone();
                h.navigate(
                    r["Id"].as_str().unwrap(),
                    r["type"].as_str().unwrap(),
                    r["Name"].as_str().unwrap_or_default(),
                );
            }
            Step::SaveNewRecord => {
                if h.pops().iter().any(|(t, _)| *t == "newRecord") {
                    h.save_new_record("Contact");
                }
            }
            Step::Lose(m) => h.lose.push((m.to_string(), 1)),
            Step::Transient(m) => h.fault.push((m.to_string(), 1, "Timeout expired.".into())),
            Step::Late(m, secs) => h.late.push((m.to_string(), 1, Duration::from_secs(secs))),
            Step::Crash(m) => {
                h.unanswered = vec![(m.to_string(), 1)];
                crash_armed = true;
            }
            Step::Restart => h.restart(),
            Step::Overtaken(m) => h.overtaken = vec![(m.to_string(), 1)],
            Step::Host(step) => host(&mut h, step),
            Step::Tel(fault) => h.scrt.faults.push_back(fault),
            Step::TelAnswer => h.answer_telephony(),
            Step::ReloadVoice => h.reload_voice(),
            Step::Hold(n) => h.hold_next = n,
            Step::AnswerHeld => h.answer_held(),
            Step::ChangePage => {
                let (lost, mut sent) = h.change_page();
                // A lost Task creation is looked up only once it can no longer land (10 s after
                // it went to the old page): what the new page runs includes that look-up.
                let before = h.effects.len();
                h.advance(Duration::from_secs(11));
                sent.extend(h.effects[before..].iter().cloned());
                let lost: Vec<&SalesforceEffect> =
                    lost.iter().filter(|e| !e.action.is_page_state()).collect();
                for e in &lost {
                    // The same call may have been lost more than once (two presses).
                    let times = lost.iter().filter(|l| l.action == e.action).count();
                    let n = reruns(e, &sent);
                    let write = matches!(e.action, SalesforceAction::SaveLog { .. });
                    prop_assert!(
                        n <= times,
                        "{:?} lost {times} times ran {n} times on the new page: {sent:?}",
                        e.action
                    );
                    prop_assert!(
                        !write || n == times,
                        "a lost Salesforce write did not run again: {:?}",
                        e.action
                    );
                }
            }
        }
        if crash_armed && h.unanswered.iter().all(|(_, n)| *n == 0) {
            crash_armed = false;
            h.unanswered.clear();
            h.restart();
        }
        // A VoiceCall write applied whose answer never comes: the server died.
        if h.scrt.crashed {
            h.restart();
        }
        // What Neotel and the views say now.
        if let Some(c) = h.view().contact.as_ref() {
            truth
                .contact_of_handle
                .insert(c.handle, (h.view().info.base_id, h.view().info.contact_id));
            if Some(c.handle) != truth.last_handle.filter(|_| true) && Some(c.handle) != this {
                truth.last_handle = this.or(truth.last_handle);
            }
            if let Some(call) = h.view().call.as_ref() {
                truth
                    .contact_of_call
                    .entry(call.id)
                    .or_insert(h.view().info.contact_id);
            }
        }
        if let Ok(p) = h
            .neotel
            .position("1001")
            .map(|p| neotel_api::Position::parse(&p))
            && let Ok(p) = p
            && let (Some(call), Some(contact)) = (p.call_id(), p.contact())
        {
            truth.contact_of_call.insert(call, contact.id);
        }

        // One rule: what the view enables is accepted, what it disables is refused.
        for (button, enabled, command) in buttons(&h) {
            let mut probe = h.session.clone();
            let accepted = probe.handle_input(Input::Command(h.now, command));
            prop_assert_eq!(
                accepted.is_ok(),
                enabled,
                "the view says {} is {}, the session answers {:?}",
                button,
                if enabled { "enabled" } else { "disabled" },
                accepted
            );
        }

        let new: Vec<&str> = h.requests[before..].iter().map(|r| r.method()).collect();
        if in_call {
            prop_assert!(!new.contains(&"Dial"), "a Dial during a call: {new:?}");
        }
        if !has_contact && matches!(s, Step::Do(_)) {
            prop_assert!(
                !new.contains(&"UpdateContact"),
                "an UpdateContact without a contact: {new:?}"
            );
        }
    }
    // Nothing lost, nothing twice: once NeoApi behaves, every release and schedule the session
    // accepted reaches Neotel, each exactly once (the notes typed for it name it).
    h.fail.clear();
    h.lose.clear();
    h.fault.clear();
    h.unanswered.clear();
    h.scrt.faults.clear();
    h.answer_telephony();
    h.advance(Duration::from_secs(180));
    voice_invariants(&h, tolerate_known_bugs)?;
    prop_assert_eq!(h.session.pending_writes().count, 0, "writes still pending");
    for notes in &released {
        let applied = h
            .neotel
            .outcomes()
            .iter()
            .filter(|o| o.notes == *notes)
            .count();
        prop_assert_eq!(
            applied,
            1,
            "the release with notes {} reached Neotel {} times",
            notes,
            applied
        );
    }
    // What Neotel accepted (the journal holds only calls that reached it): a contact shown
    // (CRM_ShowingContact) is updated, closed or scheduled before CRM_Available, and not shown
    // again once finished.
    let mut finished: HashSet<(String, String)> = HashSet::new();
    let mut open: HashSet<(String, String)> = HashSet::new();
    let accepted: Vec<&str> = h
        .neotel
        .journal()
        .iter()
        .filter(|e| e.status == 200)
        .map(|e| e.method.as_str())
        .collect();
    for e in h.neotel.journal().iter().filter(|e| e.status == 200) {
        let key = || {
            let p = |n: &str| e.params.get(n).cloned().unwrap_or_default();
            (p("BASE"), p("IDCONTACTO"))
        };
        if matches!(
            e.method.as_str(),
            "CRM_ShowingContact" | "UpdateContact" | "CloseContact" | "AddScheduleCall"
        ) {
            prop_assert!(!key().1.is_empty(), "the journal names the contact: {e:?}");
        }
        match e.method.as_str() {
            "CRM_ShowingContact" => {
                prop_assert!(
                    !finished.contains(&key()),
                    "CRM_ShowingContact after the contact was finished: {accepted:?}"
                );
                open.insert(key());
            }
            "UpdateContact" | "CloseContact" | "AddScheduleCall" => {
                open.remove(&key());
                finished.insert(key());
            }
            "CRM_Available" => {
                prop_assert!(
                    open.is_empty(),
                    "CRM_Available before the contact's UpdateContact: {accepted:?}"
                );
                // Neotel may deliver the same contact again (the customer calls back); the
                // simulator accepts CRM_ShowingContact only for a contact it assigned.
                finished.clear();
            }
            _ => {}
        }
    }
    // A contact's outcome is written once per time Neotel handed it over: a contact released
    // and freed never comes back on screen to be released again (a stale `Position`).
    let mut updates: HashMap<(String, String), usize> = HashMap::new();
    for e in h.neotel.journal().iter().filter(|e| e.status == 200) {
        if e.method == "UpdateContact" {
            let p = |n: &str| e.params.get(n).cloned().unwrap_or_default();
            *updates.entry((p("BASE"), p("IDCONTACTO"))).or_default() += 1;
        }
    }
    for (contact, n) in &updates {
        let handed = deliveries.get(contact).copied().unwrap_or(0);
        prop_assert!(
            *n <= handed,
            "contact {:?} updated {} times, handed over {} times: {:?}",
            contact,
            n,
            handed,
            accepted
        );
    }
    // A Task, once it names a call, is never saved for another (issue 24).
    for (id, call) in &h.task_updates {
        let made_for = h.task_calls.get(id);
        prop_assert_eq!(
            made_for,
            Some(call),
            "Task {} was made for call {:?} and saved for call {}",
            id,
            made_for,
            call
        );
    }
    // Every number reaching NeoApi is digits only (the harness's call center has no prefixes).
    let digits = |n: &str| {
        !n.is_empty()
            && n.chars()
                .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
    };
    for r in &h.requests {
        let number = match r {
            Request::Dial { phone, .. } => Some(phone.as_str()),
            Request::BlindTransfer { extension, .. }
            | Request::AttendedTransfer { extension, .. }
            | Request::InviteParticipant { extension, .. } => Some(extension.as_str()),
            Request::UpdateContact {
                schedule: Some(s), ..
            } if !s.phone.is_empty() => Some(s.phone.as_str()),
            _ => None,
        };
        if let Some(n) = number {
            prop_assert!(
                digits(n),
                "{} reached NeoApi with the number {:?}",
                r.method(),
                n
            );
        }
    }
    // Settled, Neotel holding the agent for a contact (no call): a way back to available.
    let position = h.neotel.position("1001").ok();
    let held = position
        .as_deref()
        .and_then(|p| neotel_api::Position::parse(p).ok())
        .is_some_and(|p| {
            p.call_id().is_none()
                && matches!(
                    p.crm_state(),
                    neotel_api::CrmState::ShowingContact
                        | neotel_api::CrmState::GetContact
                        | neotel_api::CrmState::Unavailable
                )
        });
    if held {
        let a = h.view().actions;
        prop_assert!(
            a.play || a.categorize || a.release || a.schedule,
            "Neotel holds the agent and nothing leads back to available: {:?}",
            h.view()
        );
    }
    // At most one Task per call.
    let mut per_call: HashMap<String, usize> = HashMap::new();
    for t in &h.tasks {
        let call = t
            .get("CallObject")
            .map(ToString::to_string)
            .unwrap_or_default();
        *per_call.entry(call).or_default() += 1;
    }
    prop_assert!(
        per_call.values().all(|n| *n <= 1),
        "several Tasks for one call: {per_call:?}"
    );

    // Neotel data and Tasks only on a record the contact was matched or synced to.
    let allowed = allowed(&h);
    for (contact, target, value) in writes(&h, &truth) {
        let ok = contact.is_some_and(|c| allowed.get(&c).is_some_and(|a| a.contains(&target)));
        prop_assert!(
            ok,
            "a write to {target} for contact {contact:?}, which was matched or synced to {:?}: {value:?}",
            contact.and_then(|c| allowed.get(&c))
        );
    }

    // Only what a resumed session asks for again leaves before its snapshot is stored.
    for left in &h.left_before_stored {
        let repeatable = ["Position", "searchAndScreenPop", "page state", "view"]
            .contains(&left.as_str())
            || left.starts_with("ExecuteTask");
        prop_assert!(
            repeatable,
            "{} left before the snapshot that says it was asked was stored",
            left
        );
    }

    // What UpdateContact carries was entered for that contact.
    for r in &h.requests {
        if let Request::UpdateContact {
            base,
            contact_id,
            xml_update,
            ..
        } = r
        {
            if xml_update.is_empty() {
                continue;
            }
            let typed_for = notes_for
                .get(xml_update)
                .and_then(|h| truth.contact_of_handle.get(h));
            // bound first: Rust 1.88 (rust-version) does not extend a temporary's life here
            let contact = (*base, *contact_id);
            prop_assert_eq!(
                typed_for,
                Some(&contact),
                "notes {} reached contact {}/{}",
                xml_update,
                base,
                contact_id
            );
        }
    }
    Ok(())
}

/// Found by the run: a release whose answer was lost while the search was still out; the
/// search's late answer must not show the contact again (Neotel has moved past it).
#[test]
fn a_late_search_during_a_release_in_doubt() {
    run(vec![
        Step::Inbound(Some("0038d0000000002AAA")),
        Step::Lose("UpdateContact"),
        Step::Hold(1),
        Step::Wait(1000),
        Step::CustomerHangup,
        Step::Wait(1000),
        Step::Release(Whose::This, None),
        Step::AnswerHeld,
    ])
    .unwrap();
}

/// Found by the run: a restart between a call and a schedule whose answer was lost (the date
/// on the wire has whole seconds; the check must compare it so).
#[test]
fn a_restart_then_a_schedule_whose_answer_is_lost() {
    run(vec![
        Step::Inbound(Some("0038d0000000002AAA")),
        Step::Restart,
        Step::CustomerHangup,
        Step::Lose("UpdateContact"),
        Step::Wait(1001),
        Step::Schedule(Whose::This, ""),
    ])
    .unwrap();
}

/// Found by the run: a release that timed out and reaches Neotel a second later, then two
/// restarts at once. The first restart's check said "not applied" and the second took that for
/// the check after the settle wait, so the release went again: twice in Neotel.
/// Found by the run: a contactless call's Task creation lost with its page, looked up on the
/// next page, created again, and that creation answered with a timeout too: looked up again
/// (another loss), never two Tasks.
#[test]
fn a_lost_task_creation_made_again_and_lost_again() {
    run(vec![
        Step::Do(Command::Dial {
            number: "1144445555".into(),
        }),
        Step::AgentAnswer,
        Step::Hold(1),
        Step::Do(Command::Transfer {
            target: TransferTarget::Phone("1140001000".into()),
            attended: false,
        }),
        Step::FailTask("TIMEOUT"),
        Step::ChangePage,
    ])
    .unwrap();
}

#[test]
fn two_restarts_while_a_late_release_is_on_its_way() {
    run(vec![
        Step::Inbound(Some("0038d0000000002AAA")),
        Step::Do(Command::JoinCampaign { campaign: 97 }),
        Step::Do(Command::Hangup),
        Step::Late("UpdateContact", 1),
        Step::Release(Whose::Unsaid, None),
        Step::Restart,
        Step::Restart,
        Step::Do(Command::JoinCampaign { campaign: 97 }),
    ])
    .unwrap();
}
