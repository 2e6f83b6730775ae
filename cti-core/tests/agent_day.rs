//! An agent's day, as the paths that once wrote wrong data: the new-record window cancelled
//! over an existing record (W-SYNC), several contacts in a row (each with its own draft), a
//! manual call, the users lists going stale, the page reloading or going away with effects
//! unanswered, the agent's language, and the notices that must leave when they no longer apply.

mod common;

use std::time::Duration;

use common::Harness;
use cti_core::{AgentStatus, Code, Command, SalesforceEvent, SessionError};
use serde_json::{Value, json};
use sf_opencti::SalesforceAction;

const MARIA: &str = "0038d0000000001AAA";

fn saves_to(h: &Harness, id: &str) -> usize {
    h.effects
        .iter()
        .filter(|e| matches!(&e.action, SalesforceAction::SaveLog { value } if value.get("Id") == Some(&json!(id))))
        .count()
}

/// W-SYNC: a private number opens the new-record window over María's record; the agent
/// cancels it. Nothing links to María: no Neotel data on her record, no Task under her, and the
/// sync button says no record has that id yet. Saving the window afterwards links the new one.
#[test]
fn w_sync_a_cancelled_new_record_links_nothing() {
    let mut h = Harness::new("1004");
    h.join(97);
    h.navigate(MARIA, "Contact", "María González");
    let placed = h.inbound("", None);
    let sync = h.view().sync.clone().expect("a new record was popped");
    // Cancel: the window closes over the page behind, María's.
    h.navigate(MARIA, "Contact", "María González");
    let contact = h.view().contact.clone().unwrap();
    assert!(contact.record.is_none(), "María is not the caller's record");
    assert_eq!(
        saves_to(&h, MARIA),
        0,
        "nothing written into María's record"
    );

    // The sync button: no record carries the pre-filled neoSyncId__c yet.
    h.command(Command::SyncRecord).unwrap();
    let warning = h
        .view()
        .warnings
        .iter()
        .find(|w| w.code == "noSyncRecord")
        .cloned()
        .expect("the sync button says why nothing was synced");
    assert_eq!(
        warning.param("id"),
        Some(sync.sync_id.as_str()),
        "{warning:?}"
    );
    assert!(h.view().contact.as_ref().unwrap().record.is_none());

    // The call ends: its Task is filed under nobody.
    h.neotel.customer_hangup(h.wall(), placed.call_id).unwrap();
    h.advance(Duration::from_secs(1));
    assert_eq!(h.tasks.len(), 1);
    assert!(h.tasks[0].get("WhoId").is_none(), "{:?}", h.tasks[0]);

    // The agent opens the window again and saves it: that record is linked, and the Task
    // follows it.
    let saved = h.save_new_record("Contact");
    let record = h.view().contact.as_ref().unwrap().record.clone();
    assert_eq!(record.map(|r| r.id), Some(saved.clone()));
    assert!(saves_to(&h, &saved) >= 1, "its Neotel data is written");
    assert_eq!(
        h.tasks[0]["WhoId"],
        json!(saved),
        "the Task follows the linked record"
    );
    assert_eq!(saves_to(&h, MARIA), 0);
    assert!(!h.view().warnings.iter().any(|w| w.code == "noSyncRecord"));
}

/// Several contacts in a row: each starts with an empty draft; what was typed for one never
/// reaches the next, and a release typed for the last contact is refused for the new one.
#[test]
fn each_contact_starts_with_an_empty_draft() {
    let mut h = Harness::new("1001");
    h.join(97);
    let first = h.deliver(97);
    h.neotel.agent_answer(h.wall(), "1001").unwrap();
    h.advance(Duration::from_secs(1));
    let handle = h.view().contact.as_ref().unwrap().handle;
    let at = h.wall() + chrono::Duration::days(1);
    h.command(Command::Draft {
        contact: handle,
        subcategory: Some(26),
        notes: "Pide que lo llamen mañana a las 10:30".into(),
        at: Some(at),
        phone: "1155550000".into(),
    })
    .unwrap();
    let draft = h.view().contact.as_ref().unwrap().draft.clone();
    assert_eq!(draft.notes, "Pide que lo llamen mañana a las 10:30");
    assert_eq!(draft.schedule_at, Some(at));
    assert_eq!(draft.schedule_phone, "1155550000");

    h.neotel.customer_hangup(h.wall(), first.call_id).unwrap();
    h.advance(Duration::from_secs(1));
    h.command(Command::Release {
        subcategory: None,
        notes: "Pide que lo llamen mañana a las 10:30".into(),
        contact: Some(handle),
    })
    .unwrap();
    h.advance(Duration::from_secs(1));
    h.command(Command::Play).unwrap();
    h.advance(Duration::from_secs(1));

    let second = h.deliver(97);
    h.neotel.agent_answer(h.wall(), "1001").unwrap();
    h.advance(Duration::from_secs(1));
    let contact = h.view().contact.clone().unwrap();
    assert_ne!(contact.handle, handle);
    assert_eq!(contact.draft, cti_core::Draft::default(), "an empty draft");

    // A release still meant for the first contact (a second tab, a late click) is refused.
    h.neotel.customer_hangup(h.wall(), second.call_id).unwrap();
    h.advance(Duration::from_secs(1));
    let stale = h.command(Command::Release {
        subcategory: Some(26),
        notes: "Pide que lo llamen mañana a las 10:30".into(),
        contact: Some(handle),
    });
    assert!(
        matches!(&stale, Err(SessionError::Refused(m)) if m.code == "otherContact"),
        "{stale:?}"
    );
    h.command(Command::Release {
        subcategory: Some(27),
        notes: String::new(),
        contact: Some(contact.handle),
    })
    .unwrap();
    h.advance(Duration::from_secs(1));
    let outcomes = h.neotel.outcomes();
    assert_eq!(outcomes.len(), 2);
    assert_eq!(outcomes[1].contact_id, second.contact_id);
    assert_eq!(
        outcomes[1].notes, "",
        "the second customer gets none of the first's notes"
    );
    let second_task = h
        .tasks
        .iter()
        .find(|t| t["CallObject"] == json!(second.call_id.to_string()))
        .expect("the second call's Task");
    assert!(
        !second_task
            .get("Description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .contains("mañana"),
        "{second_task:?}"
    );
}

/// F-AGENDA: an empty date is said in words; the scheduled contact's Task says when.
#[test]
fn f_agenda_an_empty_date_is_said_and_the_task_says_when() {
    let mut h = Harness::new("1005");
    h.join(97);
    let placed = h.inbound("1144445555", Some("0038d0000000002AAA".into()));
    h.neotel.customer_hangup(h.wall(), placed.call_id).unwrap();
    h.advance(Duration::from_secs(1));
    let handle = h.view().contact.as_ref().unwrap().handle;
    let empty = h.command(Command::Schedule {
        at: None,
        agent_offset_minutes: 0,
        subcategory: Some(28),
        phone: String::new(),
        notes: String::new(),
        contact: Some(handle),
    });
    match empty {
        Err(SessionError::Refused(m)) => {
            assert_eq!(m.code, "noScheduleDate");
            assert!(m.params.is_empty(), "{m:?}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let at = (h.wall() + chrono::Duration::days(1))
        .date()
        .and_hms_opt(10, 30, 0)
        .unwrap();
    h.command(Command::Schedule {
        at: Some(at),
        agent_offset_minutes: 0,
        subcategory: Some(28),
        phone: String::new(),
        notes: String::new(),
        contact: Some(handle),
    })
    .unwrap();
    h.advance(Duration::from_secs(1));
    let task = h.tasks.last().unwrap();
    let when = at.format("%d/%m/%Y 10:30").to_string();
    assert!(
        task["CallDisposition"]
            .as_str()
            .is_some_and(|d| d.contains(&when)),
        "{task:?}"
    );
}

/// F-MANUAL: a manual call without a contact is a call: the state says so, and neither a
/// break nor leaving the campaign is offered or accepted during it.
#[test]
fn f_manual_a_manual_call_is_on_a_call() {
    let mut h = Harness::new("1001");
    h.join(97);
    h.command(Command::Dial {
        number: "1144445555".into(),
    })
    .unwrap();
    h.advance(Duration::from_secs(2));
    let view = h.view().clone();
    assert!(view.call.is_some());
    assert_eq!(view.status, AgentStatus::OnCall);
    assert!(
        !view.actions.take_break && !view.actions.leave_campaign,
        "{:?}",
        view.actions
    );
    assert!(matches!(
        h.command(Command::TakeBreak { break_id: 1 }),
        Err(SessionError::Refused(m)) if m.code == "endCallFirst"
    ));
    assert!(matches!(
        h.command(Command::LeaveCampaign),
        Err(SessionError::Refused(m)) if m.code == "endCallFirst"
    ));
    h.command(Command::Hangup).unwrap();
    h.advance(Duration::from_secs(2));
    assert_eq!(h.view().status, AgentStatus::Available);
    assert!(h.view().actions.take_break);
}

/// F-XFER, F-CONF, F-MONITOR: the users lists are read again while offered and the agent
/// looks at them (a panel listing them is open): a user who logs in later is offered, an
/// offline one is not, the session's own user never is, and states are words.
#[test]
fn the_users_list_refreshes_while_offered() {
    let mut h = Harness::new("1001");
    h.join(97);
    let delivered = h.deliver(97);
    h.neotel.agent_answer(h.wall(), "1001").unwrap();
    h.advance(Duration::from_secs(1));
    assert!(
        h.view().lists.users.is_empty(),
        "no panel lists them: the view carries none"
    );
    h.command(Command::WatchUsers { watching: true }).unwrap();
    let users = h.view().lists.users.clone();
    assert!(
        users.iter().all(|u| u.user != "1001"),
        "never the agent itself"
    );
    let u1002 = users.iter().find(|u| u.user == "1002").unwrap();
    assert!(!u1002.transfer, "1002 is offline: {u1002:?}");
    assert_eq!(u1002.state.code, Code::UserOffline);
    h.command(Command::WatchUsers { watching: false }).unwrap();
    assert!(h.view().lists.users.is_empty(), "the panel closed");

    // 1002 logs in on its own softphone.
    let p = |kv: &[(&str, &str)]| {
        kv.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<Vec<_>>()
    };
    let wall = h.wall();
    h.neotel
        .call(
            wall,
            "Login",
            &p(&[
                ("DEVICE", "SIP/1002"),
                ("USUARIO", "1002"),
                ("CLAVE", "1002"),
            ]),
        )
        .unwrap();
    let reads = |h: &Harness| {
        h.requests
            .iter()
            .filter(|r| r.params().iter().any(|p| p.value == "users"))
            .count()
    };
    let unwatched = reads(&h);
    h.advance(Duration::from_secs(20));
    assert_eq!(reads(&h), unwatched, "no panel lists them: not read again");
    h.command(Command::WatchUsers { watching: true }).unwrap();
    h.advance(Duration::from_secs(1));
    assert_eq!(
        reads(&h),
        unwatched + 1,
        "a panel opened reads them at once"
    );
    let u1002 = h
        .view()
        .lists
        .users
        .iter()
        .find(|u| u.user == "1002")
        .cloned()
        .unwrap();
    assert!(u1002.transfer && u1002.invite, "{u1002:?}");
    assert_eq!(u1002.state.code, Code::UserFree);
    h.advance(Duration::from_secs(20));
    assert_eq!(reads(&h), unwatched + 2, "and again while it stays open");

    // Once nothing offers the list, it is no longer read.
    h.neotel
        .customer_hangup(h.wall(), delivered.call_id)
        .unwrap();
    h.advance(Duration::from_secs(1));
    let before = reads(&h);
    h.advance(Duration::from_secs(60));
    assert_eq!(reads(&h), before, "not read while nothing offers it");
}

/// The language the agent picks is kept, and the utility bar's label is sent again so the
/// page words it in that language; a language without a catalog is refused.
#[test]
fn the_utility_label_follows_the_agents_language() {
    let mut h = Harness::new("1001");
    let labels = |h: &Harness| {
        h.effects
            .iter()
            .filter(|e| matches!(e.action, SalesforceAction::SetSoftphoneItemLabel { .. }))
            .count()
    };
    let before = labels(&h);
    h.command(Command::SetLanguage {
        language: "en".into(),
    })
    .unwrap();
    assert_eq!(labels(&h), before + 1, "the label is sent again");
    assert_eq!(h.view().settings.language, "en");
    let label = h.effects.iter().rev().find_map(|e| match &e.action {
        SalesforceAction::SetSoftphoneItemLabel { label } => Some(label.code),
        _ => None,
    });
    assert_eq!(label, Some(Code::StatusNoCampaign));
    assert!(matches!(
        h.command(Command::SetLanguage { language: "xx".into() }),
        Err(SessionError::Refused(m)) if m.code == Code::UnknownLanguage
    ));
}

/// A confirmation leaves after a while; a contact's notices leave with it.
#[test]
fn notices_leave_when_they_no_longer_apply() {
    let mut h = Harness::with_install("1001", {
        let mut i = sf_callcenter::Install::default();
        i.options.allow_text_message = true;
        i
    });
    h.join(97);
    let placed = h.inbound("1144445555", None);
    assert!(h.view().warnings.iter().any(|w| w.code == "newRecord"));
    h.command(Command::SendText {
        channel: cti_core::TextChannel::Sms,
        phone: String::new(),
        text: "hola".into(),
    })
    .unwrap();
    assert!(h.view().warnings.iter().any(|w| w.code == "textSent"));
    h.advance(Duration::from_secs(10));
    assert!(
        !h.view().warnings.iter().any(|w| w.code == "textSent"),
        "{:?}",
        h.view().warnings
    );
    h.neotel.customer_hangup(h.wall(), placed.call_id).unwrap();
    h.advance(Duration::from_secs(1));
    h.command(Command::Release {
        subcategory: None,
        notes: String::new(),
        contact: None,
    })
    .unwrap();
    h.advance(Duration::from_secs(1));
    h.command(Command::Play).unwrap();
    h.advance(Duration::from_secs(1));
    assert!(h.view().contact.is_none());
    assert!(h.view().warnings.is_empty(), "{:?}", h.view().warnings);
}

/// The page reloads (or navigates away) while a search and the Task's creation are
/// unanswered: the new page runs the search again once, the Task creation only after looking
/// it up (it had happened: no second Task), and click-to-dial and the panel size are set again.
#[test]
fn a_new_page_runs_what_the_last_left_unanswered_once() {
    let mut h = Harness::new("1001");
    h.command(Command::SaveSettings {
        width_px: 800,
        height_px: 500,
        minimize_on_no_match: false,
        minimize_on_several: false,
    })
    .unwrap();
    h.join(97);
    h.hold_next = 1;
    h.inbound("1144445555", Some("0038d0000000002AAA".into()));
    assert!(matches!(
        h.held.as_slice(),
        [e] if matches!(e.action, SalesforceAction::SearchAndScreenPop { .. })
    ));
    let (lost, sent) = h.change_page();
    assert_eq!(lost.len(), 1);
    let searches = sent.iter().filter(|e| e.action == lost[0].action).count();
    assert_eq!(searches, 1, "the search runs again, once: {sent:?}");
    for needed in [
        SalesforceAction::EnableClickToDial,
        SalesforceAction::SetSoftphonePanelWidth { width_px: 800 },
        SalesforceAction::SetSoftphonePanelHeight { height_px: 500 },
    ] {
        assert!(
            sent.iter().any(|e| e.action == needed),
            "{needed:?} in {sent:?}"
        );
    }
    assert_eq!(h.pops().last().unwrap().1["recordId"], "0038d0000000002AAA");

    // The Task's creation reaches Salesforce but the page goes away before answering.
    h.fail_save_log.push_back("TIMEOUT_APPLIED");
    h.hold_next = 0;
    h.command(Command::Hangup).unwrap();
    h.advance(Duration::from_secs(1));
    assert_eq!(h.tasks.len(), 1);
    h.categorize(26);
    assert_eq!(h.tasks.len(), 1, "one Task per call");
    assert!(h.tasks[0]["CallDisposition"].is_string());

    // A late answer from the old page changes nothing.
    let late = lost[0].id;
    h.answer_late(
        late,
        json!({"0038d0000000001AAA": {"Id": "0038d0000000001AAA", "Name": "María", "RecordType": "Contact"}}),
    );
    assert_eq!(
        h.view()
            .contact
            .as_ref()
            .unwrap()
            .record
            .as_ref()
            .unwrap()
            .id,
        "0038d0000000002AAA"
    );
}

/// W-CLICK2DIAL search: the record's name shows, and no `CRM_ShowingContact` is sent for a
/// contact Neotel did not deliver (Neotel refuses it).
#[test]
fn w_click2dial_search_takes_the_contact_by_name_without_showing_it() {
    let mut h = Harness::new("1001");
    h.join(97);
    h.event(SalesforceEvent::ClickToDial {
        number: "1144455556".into(),
        record_id: Some("0038d0000000002AAA".into()),
        object_type: Some("Contact".into()),
        record_name: Some("José Rodríguez".into()),
    });
    h.advance(Duration::from_secs(1));
    let view = h.view().clone();
    let record = view.contact.as_ref().unwrap().record.clone().unwrap();
    assert_eq!(record.name, "José Rodríguez");
    assert_eq!(h.count("CRM_ShowingContact"), 0);
    assert!(view.error.is_none(), "{:?}", view.error);
}
