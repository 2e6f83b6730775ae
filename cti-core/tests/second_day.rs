//! Issue 24: the paths a second agent's day took, in the core. Each test failed on the code
//! before the fix: an agent outside a campaign stuck after an inbound call (F-PLAY), a call
//! made during wrap-up rewriting the previous call's Task (W-ACTIVITY, F-MANUAL), numbers typed
//! anyhow reaching NeoApi as typed (W-CLICK2DIAL's rule for every number), the smaller points
//! of item 6, and `campaignEntityName` acted on (X-CAMPAIGN-ENTITY).

mod common;

use std::time::Duration;

use common::Harness;
use cti_core::{
    AgentStatus, Code, Command, MonitorMode, SessionError, TextChannel, TransferTarget,
};
use neotel_api::Request;
use serde_json::{Value, json};
use sf_opencti::SalesforceAction;

fn refused(r: Result<(), SessionError>) -> Code {
    match r {
        Err(SessionError::Refused(m)) => m.code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn categorize(h: &mut Harness) {
    h.command(Command::Release {
        subcategory: Some(26),
        notes: String::new(),
        contact: None,
    })
    .expect("the contact can be categorized");
    h.advance(Duration::from_secs(2));
}

/// Item 1: an inbound call reaches an agent in no campaign; once categorized, Play frees the
/// agent (Neotel held it in ShowingContact; the next call stayed queued).
#[test]
fn f_play_an_agent_in_no_campaign_gets_back_to_available_after_an_inbound_call() {
    let mut h = Harness::new("1001");
    assert_eq!(h.view().status, AgentStatus::NoCampaign);
    h.inbound("1144455556", Some("0038d0000000002AAA".into()));
    h.advance(Duration::from_secs(1));
    assert_eq!(h.view().status, AgentStatus::WithContact);
    h.command(Command::Hangup).unwrap();
    h.advance(Duration::from_secs(2));
    categorize(&mut h);
    assert_eq!(h.view().status, AgentStatus::Released);
    assert!(
        h.view().actions.play,
        "Play is the way back, campaign or not"
    );
    assert_eq!(h.view().primary, Some(cti_core::Primary::Play));
    h.command(Command::Play).unwrap();
    h.advance(Duration::from_secs(2));
    assert_eq!(h.neotel.applied("CRM_Available"), 1);
    assert_eq!(h.view().status, AgentStatus::NoCampaign);
    assert!(h.view().actions.join_campaign && h.view().actions.take_break);

    // The next inbound call reaches the agent.
    h.inbound("1144455557", None);
    assert_eq!(h.view().status, AgentStatus::WithContact);
}

/// Item 2: a predictive contact's call ends (its Task is made), the agent dials another number
/// from the wrap-up and hangs up: that call gets its own Task, with "Llamado manual", and the
/// first Task is never rewritten for it.
#[test]
fn w_activity_a_call_made_during_wrap_up_has_its_own_task() {
    let mut h = Harness::new("1001");
    h.join(97);
    let delivered = h.deliver(97);
    h.neotel.agent_answer(h.wall(), "1001").unwrap();
    h.advance(Duration::from_secs(2));
    h.command(Command::Hangup).unwrap();
    h.advance(Duration::from_secs(2));
    assert_eq!(h.view().status, AgentStatus::WrapUp);
    assert_eq!(h.tasks.len(), 1, "call A's Task");
    let task_a = h.tasks[0]["Id"].as_str().unwrap().to_owned();

    h.command(Command::Dial {
        number: "1155556666".into(),
    })
    .unwrap();
    h.advance(Duration::from_secs(3));
    let call_b = h.view().call.as_ref().expect("call B is up").id;
    assert_ne!(call_b, delivered.call_id);
    h.command(Command::Hangup).unwrap();
    h.advance(Duration::from_secs(2));
    categorize(&mut h);

    assert_eq!(
        h.tasks.len(),
        2,
        "every call keeps its own Task: {:?}",
        h.tasks
    );
    let a = h.tasks.iter().find(|t| t["Id"] == task_a.as_str()).unwrap();
    assert_eq!(a["CallObject"], json!(delivered.call_id.to_string()));
    assert!(
        a["CallDisposition"].is_string(),
        "the contact's Task gets its disposition"
    );
    let b = h.tasks.iter().find(|t| t["Id"] != task_a.as_str()).unwrap();
    assert_eq!(b["CallObject"], json!(call_b.to_string()));
    assert_eq!(b["Subject"], "Llamada saliente 1155556666");
    assert!(
        b["Description"]
            .as_str()
            .is_some_and(|d| d.starts_with("Llamado manual al 1155556666")),
        "{b:?}"
    );
    assert!(
        h.task_updates
            .iter()
            .all(|(id, call)| h.task_calls[id] == *call),
        "a Task saved for another call: {:?}",
        h.task_updates
    );
}

/// Item 4: every number the agent types reaches NeoApi as digits; one with no digits is refused
/// before anything is sent.
#[test]
fn every_number_the_agent_types_reaches_neotel_as_digits() {
    let mut h = Harness::new("1001");
    h.join(97);
    h.inbound("1144445555", Some("0038d0000000002AAA".into()));
    // A transfer to a phone typed anyhow; an invitation to a phone.
    h.command(Command::Transfer {
        target: TransferTarget::Phone("11-4000-1000 int. 3".into()),
        attended: true,
    })
    .unwrap();
    h.advance(Duration::from_secs(1));
    h.command(Command::EndTransfer).unwrap();
    h.advance(Duration::from_secs(1));
    h.command(Command::StartConference).unwrap();
    h.advance(Duration::from_secs(1));
    h.command(Command::Invite {
        extension: "+54 11 5555-0000".into(),
    })
    .unwrap();
    assert_eq!(
        refused(h.command(Command::Invite {
            extension: "nadie".into()
        })),
        Code::NoDigits
    );
    h.advance(Duration::from_secs(1));
    h.command(Command::EndConference).unwrap();
    h.command(Command::Hangup).unwrap();
    h.advance(Duration::from_secs(2));

    // The schedule's other phone.
    let at = h.wall() + chrono::Duration::hours(3);
    let schedule = |phone: &str| Command::Schedule {
        at: Some(at),
        agent_offset_minutes: 0,
        subcategory: Some(28),
        phone: phone.into(),
        notes: "llamar".into(),
        contact: None,
    };
    assert_eq!(refused(h.command(schedule("-- --"))), Code::NoDigits);
    assert_eq!(
        h.count("UpdateContact"),
        0,
        "refused before anything is sent"
    );
    assert_eq!(
        h.view().contact.as_ref().unwrap().draft.schedule_phone,
        "-- --",
        "what was typed is kept"
    );
    h.command(schedule("11-5555-0000 int. 3")).unwrap();
    h.advance(Duration::from_secs(2));

    let numbers: Vec<(&str, String)> = h
        .requests
        .iter()
        .filter_map(|r| match r {
            Request::AttendedTransfer { extension, .. } => Some(("transfer", extension.clone())),
            Request::InviteParticipant { extension, .. } => Some(("invite", extension.clone())),
            Request::UpdateContact {
                schedule: Some(s), ..
            } => Some(("schedule", s.phone.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        numbers,
        [
            ("transfer", "1140001000 3".replace(' ', "")),
            ("invite", "541155550000".into()),
            ("schedule", "1155550000 3".replace(' ', "")),
        ]
    );
}

/// Item 4, the text message: the typed number as digits, none refused.
#[test]
fn f_sms_the_typed_number_reaches_neotel_as_digits() {
    let mut h = Harness::with_install("1001", {
        let mut install = sf_callcenter::Install::default();
        install.options.allow_text_message = true;
        install
    });
    h.join(97);
    h.inbound("1144445555", Some("0038d0000000002AAA".into()));
    let text = |phone: &str| Command::SendText {
        channel: TextChannel::Whatsapp,
        phone: phone.into(),
        text: "hola".into(),
    };
    assert_eq!(refused(h.command(text("sin número"))), Code::NoDigits);
    h.command(text("11 5555-0000")).unwrap();
    let sent: Vec<String> = h
        .requests
        .iter()
        .filter(|r| r.method().starts_with("ExecuteTask"))
        .map(|r| {
            r.params()
                .iter()
                .map(|p| p.value.to_string())
                .collect::<Vec<_>>()
        })
        .filter(|p| p.first().is_some_and(|id| id == "5"))
        .map(|p| p[2].clone())
        .collect();
    assert_eq!(sent, ["1155550000"]);
}

/// Item 6: a width of −5 is refused with the allowed range; a refused DTMF does not show next
/// to the last batch's "sent"; the Task is worded in the agent's language; a queue call of no
/// campaign offers no campaign's transfer phones; a supervisor's line says whom they monitor.
#[test]
fn item_6_the_smaller_points() {
    let mut h = Harness::new("1001");
    let bad = h.command(Command::SaveSettings {
        width_px: -5,
        height_px: 420,
        minimize_on_no_match: false,
        minimize_on_several: false,
    });
    assert_eq!(refused(bad), Code::BadSize);

    h.command(Command::SetLanguage {
        language: "en".into(),
    })
    .unwrap();
    // A queue call of no campaign reaches the agent, who is in campaign 97 by the time the
    // session sees it: the transfer phones are the call's campaign's, so none.
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
    let join = [("USUARIO", "1001"), ("CAMPAÑA", "97")].map(|(k, v)| (k.to_owned(), v.to_owned()));
    let wall = h.wall();
    h.neotel.call(wall, "Login_Campaign", &join).unwrap();
    h.advance(Duration::from_secs(2));
    assert!(h.view().contact.is_some());
    assert!(
        h.view().lists.transfer_phones.is_empty(),
        "a queue call of no campaign: {:?}",
        h.view().lists.transfer_phones
    );
    h.neotel.agent_answer(h.wall(), "1001").unwrap();
    h.advance(Duration::from_secs(1));
    h.command(Command::SendDtmf {
        digits: "12".into(),
    })
    .unwrap();
    h.advance(Duration::from_secs(1));
    assert!(h.view().warnings.iter().any(|w| w.code == Code::DtmfSent));
    assert_eq!(
        refused(h.command(Command::SendDtmf {
            digits: "1x".into()
        })),
        Code::BadDtmf
    );
    assert!(
        !h.view().warnings.iter().any(|w| w.code == Code::DtmfSent),
        "the last batch's notice is not about these digits"
    );
    h.command(Command::Hangup).unwrap();
    h.advance(Duration::from_secs(2));
    assert_eq!(h.tasks[0]["Subject"], "Inbound call 1144445555");
}

#[test]
fn item_6_a_supervisors_line_says_whom_they_monitor() {
    let mut h = Harness::new("9000");
    let params = [
        ("DEVICE", "SIP/1001"),
        ("USUARIO", "1001"),
        ("CLAVE", "1001"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    let wall = h.wall();
    h.neotel.call(wall, "Login", &params).unwrap();
    h.advance(Duration::from_secs(1));
    h.command(Command::WatchUsers { watching: true }).unwrap();
    h.advance(Duration::from_secs(1));
    h.command(Command::Monitor {
        user: "1001".into(),
        mode: MonitorMode::Assist,
    })
    .unwrap();
    h.advance(Duration::from_secs(1));
    let label = &h.view().status_label;
    assert_eq!(label.code, Code::StatusAssisting);
    assert!(
        label.param("user").is_some_and(|u| !u.is_empty()),
        "{label:?}"
    );
}

/// Item 7, X-CAMPAIGN-ENTITY: with `campaignEntityName` set, the call's Task is related to the
/// record of that object whose Neotel campaign id is the call's campaign.
#[test]
fn x_campaign_entity_relates_the_task_to_the_campaigns_record() {
    let mut install = sf_callcenter::Install::default();
    install.options.campaign_entity = Some("Campaign".into());
    let mut h = Harness::with_install("1001", install);
    h.records
        .push(json!({"Id": "701000000000097AAA", "type": "Campaign",
        "Name": "SALESFORCE", "neoCampaignId__c": "97"}));
    h.join(97);
    h.deliver(97);
    h.neotel.agent_answer(h.wall(), "1001").unwrap();
    h.advance(Duration::from_secs(2));
    h.command(Command::Hangup).unwrap();
    h.advance(Duration::from_secs(2));
    categorize(&mut h);
    let lookups = h
        .effects
        .iter()
        .filter(|e| {
            matches!(&e.action, SalesforceAction::RunApex { method_name, .. }
            if method_name == "getRecordByNeotelCampaign")
        })
        .count();
    assert_eq!(lookups, 1);
    assert_eq!(h.tasks.len(), 1);
    assert_eq!(h.tasks[0]["WhatId"], "701000000000097AAA");
    assert_eq!(h.tasks[0]["WhoId"], "0038d0000000001AAA");

    // A second contact of the same campaign: the record is known, not asked again.
    h.command(Command::Play).unwrap();
    h.advance(Duration::from_secs(2));
    h.deliver(97);
    let again = h
        .effects
        .iter()
        .filter(|e| {
            matches!(&e.action, SalesforceAction::RunApex { method_name, .. }
            if method_name == "getRecordByNeotelCampaign")
        })
        .count();
    assert_eq!(again, 1);
}

/// Item 7, without the option (`false`, the seed's value): nothing is looked up, the Task is
/// related to the call's record only.
#[test]
fn x_campaign_entity_off_relates_nothing_more() {
    let mut h = Harness::new("1001");
    h.join(97);
    h.deliver(97);
    h.neotel.agent_answer(h.wall(), "1001").unwrap();
    h.advance(Duration::from_secs(2));
    h.command(Command::Hangup).unwrap();
    h.advance(Duration::from_secs(2));
    assert!(!h.effects.iter().any(|e| matches!(&e.action,
        SalesforceAction::RunApex { method_name, .. } if method_name == "getRecordByNeotelCampaign")));
    assert_eq!(h.tasks[0].get("WhatId"), None::<&Value>);
}

/// Item 6: several matches under the search-page rule; Salesforce shows its search page and
/// the softphone lists the same records, so the agent may pick one there too.
#[test]
fn item_6_several_matches_are_listed_beside_the_search_page() {
    let mut h = Harness::new("1001");
    h.inbound("1144475558", Some("1144475558".into()));
    h.advance(Duration::from_secs(2));
    let pops = h.pops();
    assert!(
        pops.iter().any(|(kind, _)| *kind == "search"),
        "the search page: {pops:?}"
    );
    let candidates = h.view().contact.as_ref().unwrap().candidates.clone();
    assert_eq!(candidates.len(), 2, "{candidates:?}");
    h.command(Command::PickRecord {
        id: candidates[1].id.clone(),
    })
    .unwrap();
    h.advance(Duration::from_secs(1));
    let c = h.view().contact.clone().unwrap();
    assert_eq!(c.record.map(|r| r.id), Some(candidates[1].id.clone()));
    assert!(c.candidates.is_empty(), "picked: the list goes");
}

/// Item 6: a queue call reaching an agent already in campaign 97 shows `CAMPAÑA=97` (the
/// agent's, as the real 44-key sample shows), yet it is no call of that campaign: no transfer
/// phones of 97, and its Task is related to no campaign's record.
#[test]
fn item_6_a_queue_call_is_not_the_agents_campaigns_call() {
    let mut install = sf_callcenter::Install::default();
    install.options.campaign_entity = Some("Campaign".into());
    let mut h = Harness::with_install("1001", install);
    h.records
        .push(json!({"Id": "701000000000097AAA", "type": "Campaign",
        "Name": "SALESFORCE", "neoCampaignId__c": "97"}));
    h.join(97);
    h.inbound("1144445555", Some("0038d0000000002AAA".into()));
    let p = neotel_api::Position::parse(&h.neotel.position("1001").unwrap()).unwrap();
    assert_eq!((p.campaign(), p.queue()), (Some(97), Some(200)));
    assert!(h.view().contact.is_some());
    assert!(
        h.view().lists.transfer_phones.is_empty(),
        "{:?}",
        h.view().lists.transfer_phones
    );
    h.neotel.agent_answer(h.wall(), "1001").unwrap();
    h.advance(Duration::from_secs(1));
    h.command(Command::Hangup).unwrap();
    h.advance(Duration::from_secs(2));
    assert_eq!(h.tasks[0].get("WhatId"), None, "{:?}", h.tasks[0]);
}
