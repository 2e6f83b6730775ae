//! A session stored by the build before the surface-neutral core (snapshot format 1, the
//! fixtures in `fixtures/`, written by that build) resumes in this one: the contact on screen,
//! its draft, its record and Task, and the writes Neotel has not confirmed, all intact; nothing
//! is written twice (issue 25).

mod common;

use std::time::Duration;

use common::Harness;
use cti_core::{AgentStatus, Command, Draft};

const WRAP_UP_DRAFT: &str = include_str!("fixtures/snapshot-v1-wrap-up-draft.json");
const RELEASE_PENDING: &str = include_str!("fixtures/snapshot-v1-release-pending.json");

/// A predictive contact in wrap-up with a draft typed, as the fixture's build left it.
#[test]
fn a_contact_in_wrap_up_with_its_draft_resumes_from_the_format_1_snapshot() {
    // Neotel as it was when the old build stored the snapshot.
    let mut h = Harness::new("1001");
    h.join(97);
    h.deliver(97);
    h.advance(Duration::from_secs(3));
    h.command(Command::Hangup).unwrap();
    h.advance(Duration::from_secs(2));
    let tasks_before = h.tasks.len();

    h.upgrade_from(WRAP_UP_DRAFT);
    h.advance(Duration::from_secs(2));
    let view = h.view().clone();
    assert_eq!(view.status, AgentStatus::WrapUp);
    assert_eq!(view.info.contact_id, 1, "the contact is back");
    let contact = view.contact.expect("on screen");
    assert_eq!(
        contact.record.as_ref().map(|r| r.id.as_str()),
        Some("0038d0000000001AAA"),
        "its record"
    );
    assert_eq!(
        contact.draft,
        Draft {
            subcategory: Some(28),
            notes: "llamar por la tarde".into(),
            schedule_at: chrono::NaiveDateTime::parse_from_str(
                "2026-11-24T11:00:07",
                "%Y-%m-%dT%H:%M:%S"
            )
            .ok(),
            schedule_phone: "1155550000".into(),
        },
        "its draft"
    );

    // Released from the draft: Neotel gets it once, and the Task stored by the old build is
    // updated, not created again.
    h.command(Command::Release {
        subcategory: contact.draft.subcategory,
        notes: contact.draft.notes.clone(),
        contact: Some(contact.handle),
    })
    .unwrap();
    h.advance(Duration::from_secs(2));
    assert_eq!(h.neotel.applied("UpdateContact"), 1);
    assert_eq!(h.tasks.len(), tasks_before, "no second Task");
    assert!(
        h.effects.iter().any(|e| matches!(&e.action,
            sf_opencti::SalesforceAction::SaveLog { value }
                if value.get("Id").and_then(|v| v.as_str()) == Some("00T000000000000001"))),
        "the Task the old build saved gets the disposition"
    );
    assert_eq!(h.view().status, AgentStatus::Released);
}

/// An inbound contact whose release was on its way when the old build stopped: the new one
/// asks Neotel whether it was applied and does not send it again.
#[test]
fn a_release_pending_in_the_format_1_snapshot_is_not_sent_twice() {
    let mut h = Harness::new("1007");
    h.join(97);
    h.inbound("1144445555", None);
    h.command(Command::Hangup).unwrap();
    h.advance(Duration::from_secs(1));
    h.unanswered.push(("UpdateContact".into(), 1));
    h.command(Command::Release {
        subcategory: Some(26),
        notes: "cliente conforme".into(),
        contact: None,
    })
    .unwrap();
    assert_eq!(h.neotel.applied("UpdateContact"), 1);

    h.upgrade_from(RELEASE_PENDING);
    let view = h.view().clone();
    assert!(view.contact.is_some(), "the contact is back");
    h.advance(Duration::from_secs(30));
    assert_eq!(h.neotel.applied("UpdateContact"), 1, "applied once");
    assert_eq!(h.view().status, AgentStatus::Released);
    h.command(Command::Play).unwrap();
    h.advance(Duration::from_secs(2));
    assert_eq!(h.view().status, AgentStatus::Available);
    assert_eq!(h.neotel.applied("CRM_Available"), 1);
}
