//! W-INBOUND and W-PRIVATE: CLAVESF split at the first '-', a search by the key, and the
//! private number that is not searched but follows the layout's no-match rule (W-SYNC).

mod common;

use std::time::Duration;

use common::Harness;
use cti_core::{AgentStatus, Command};
use serde_json::json;

#[test]
fn w_inbound_clavesf_is_split_and_searched() {
    let mut h = Harness::new("1003");
    h.join(97);
    let known = h
        .neotel
        .scenario()
        .contacts
        .iter()
        .find(|c| c.base == 135)
        .unwrap()
        .clone();
    let placed = h.inbound("1144585569", Some(known.clave_1.clone()));
    assert_eq!(
        h.view().info.search_key,
        known.clave_1,
        "the part after the first '-'"
    );
    assert_eq!(h.view().info.contact_id, placed.contact_id);
    assert_eq!(h.searches(), 1, "inbound: searched at once");
    assert_eq!(h.pops()[0].1["recordId"], known.clave_1.as_str());
    assert_eq!(h.count("CRM_ShowingContact"), 1);
}

#[test]
fn w_private_no_search_new_record_then_sync() {
    let mut h = Harness::new("1004");
    h.join(97);
    let placed = h.inbound("", None);
    assert!(placed.clavesf.ends_with('-'));
    assert_eq!(h.searches(), 0, "W-PRIVATE: no search");
    let pops = h.pops();
    assert_eq!(pops.len(), 1);
    assert_eq!(pops[0].0, "newRecord", "the layout's no-match rule");
    assert_eq!(pops[0].1["entityName"], "Contact");
    let defaults = &pops[0].1["defaultFieldValues"];
    assert_eq!(
        defaults["neoContactId__c"],
        placed.contact_id.to_string(),
        "defaultNewRowData"
    );
    assert!(
        defaults["neoSyncId__c"]
            .as_str()
            .is_some_and(|s| !s.is_empty()),
        "W-SYNC: a fresh neoSyncId__c"
    );
    assert!(h.view().warnings.iter().any(|w| w.code == "newRecord"));

    // the agent saves the new record: Salesforce navigates to it
    let saved = h.save_new_record("Contact");
    assert_eq!(
        h.view()
            .contact
            .as_ref()
            .unwrap()
            .record
            .as_ref()
            .unwrap()
            .id,
        saved
    );
    assert!(h.view().warnings.iter().all(|w| w.code != "newRecord"));

    // it can still be categorized through the contact id
    h.neotel.customer_hangup(h.wall(), placed.call_id).unwrap();
    h.advance(Duration::from_secs(1));
    assert_eq!(h.view().status, AgentStatus::WrapUp);
    h.command(Command::Release {
        subcategory: None,
        notes: String::new(),
        contact: None,
    })
    .unwrap();
    assert_eq!(
        h.neotel.outcomes().last().unwrap().contact_id,
        placed.contact_id
    );
    assert_eq!(h.tasks.last().unwrap()["WhoId"], json!(saved));
}

#[test]
fn f_agenda_a_schedule_needs_no_play() {
    let mut h = Harness::new("1005");
    h.join(97);
    h.inbound("1144445555", None);
    h.command(Command::Hangup).unwrap();
    h.advance(Duration::from_secs(1));
    let past = h.wall() - chrono::Duration::minutes(5);
    assert!(
        h.command(Command::Schedule {
            at: Some(past),
            agent_offset_minutes: 0,
            subcategory: Some(28),
            phone: String::new(),
            notes: String::new(),
            contact: None,
        })
        .is_err(),
        "a schedule in the past is refused"
    );
    let at = h.wall() + chrono::Duration::hours(2);
    h.command(Command::Schedule {
        at: Some(at),
        agent_offset_minutes: 0,
        subcategory: Some(28),
        phone: "1155556666".into(),
        notes: "llamar tarde".into(),
        contact: None,
    })
    .unwrap();
    h.advance(Duration::from_secs(1));
    let outcome = h.neotel.outcomes().last().unwrap().clone();
    assert_eq!(outcome.schedule, Some(at));
    assert_eq!(
        h.count("CRM_Available"),
        1,
        "F-PLAY: not needed after a schedule"
    );
    assert_eq!(h.view().status, AgentStatus::Available);
}

#[test]
fn x_auto_release_releases_n_seconds_after_the_call() {
    let mut install = sf_callcenter::Install::default();
    install.options.automatic_release = Some(20);
    let mut h = Harness::with_install("1006", install);
    h.join(97);
    let placed = h.inbound("1144445555", None);
    h.command(Command::Hangup).unwrap();
    h.advance(Duration::from_secs(5));
    assert_eq!(h.count("UpdateContact"), 0);
    // The view says how long is left when it is drawn; the page counts down from there (a
    // countdown alone sends no new view).
    assert!(
        h.view().auto_release_in_secs.is_some_and(|s| s <= 20),
        "the countdown shows: {:?}",
        h.view().auto_release_in_secs
    );
    h.advance(Duration::from_secs(20));
    assert_eq!(h.count("UpdateContact"), 1, "released by itself");
    let outcome = h.neotel.outcomes().last().unwrap().clone();
    assert_eq!(
        (outcome.contact_id, outcome.subcategory_id),
        (placed.contact_id, 0)
    );
    assert_eq!(h.view().status, AgentStatus::Released, "Play still needed");
}

#[test]
fn x_auto_release_off_by_default() {
    let mut h = Harness::new("1007");
    h.join(97);
    h.inbound("1144445555", None);
    h.command(Command::Hangup).unwrap();
    h.advance(Duration::from_secs(120));
    assert_eq!(
        h.count("UpdateContact"),
        0,
        "the seed's -1: never released by itself"
    );
    assert_eq!(h.view().status, AgentStatus::WrapUp);
}

#[test]
fn f_agenda_a_schedule_picked_in_madrid_is_sent_in_neotel_time() {
    let mut h = Harness::with_neotel_offset("1006", -180); // Buenos Aires
    h.join(97);
    h.inbound("1144445555", None);
    h.command(Command::Hangup).unwrap();
    h.advance(Duration::from_secs(1));
    // The agent in Madrid (UTC+1) picks tomorrow 15:00 on their own clock: 11:00 in Buenos Aires.
    let day = h.wall().date() + chrono::Duration::days(1);
    h.command(Command::Schedule {
        at: Some(day.and_hms_opt(15, 0, 0).unwrap()),
        agent_offset_minutes: 60,
        subcategory: Some(28),
        phone: String::new(),
        notes: String::new(),
        contact: None,
    })
    .unwrap();
    h.advance(Duration::from_secs(1));
    let outcome = h.neotel.outcomes().last().unwrap().clone();
    assert_eq!(outcome.schedule, Some(day.and_hms_opt(11, 0, 0).unwrap()));
}
