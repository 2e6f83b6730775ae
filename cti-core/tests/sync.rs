//! W-SYNC by hand: the sync icon links the contact to the saved new record shown in Salesforce,
//! recognised by the `neoSyncId__c` it was pre-filled with; another record is not linked.

mod common;

use common::Harness;
use cti_core::{Command, SessionError};
use serde_json::json;

#[test]
fn w_sync_the_button_links_the_saved_new_record() {
    let mut h = Harness::new("1004");
    h.join(97);
    h.inbound("", None);
    let sync = h.view().sync.clone().expect("a new record was popped");
    assert!(!sync.linked && h.view().actions.sync);

    // The agent saved it in another tab; Salesforce now shows a Lead that is not it.
    h.records.push(
        json!({"Id": "00Q8d0000000077AAA", "type": "Lead", "Name": "Otro", "neoSyncId__c": "999999"}),
    );
    h.shown = json!({"recordId": "00Q8d0000000077AAA", "objectType": "Lead", "recordName": "Otro"});
    h.command(Command::SyncRecord).unwrap();
    assert!(
        h.view().warnings.iter().any(|w| w.code == "noSyncRecord"),
        "{:?} {:?}",
        h.view().warnings,
        &h.effects[h.effects.len().saturating_sub(3)..]
    );
    assert!(h.view().contact.as_ref().unwrap().record.is_none());

    // Now the saved record itself.
    h.records.push(
        json!({"Id": "0038d0000000077AAA", "type": "Contact", "Name": "Pérez",
        "neoSyncId__c": sync.sync_id.parse::<u64>().unwrap()}),
    );
    h.shown =
        json!({"recordId": "0038d0000000077AAA", "objectType": "Contact", "recordName": "Pérez"});
    h.command(Command::SyncRecord).unwrap();
    let view = h.view();
    assert_eq!(
        view.contact
            .as_ref()
            .unwrap()
            .record
            .as_ref()
            .map(|r| r.id.as_str()),
        Some("0038d0000000077AAA")
    );
    assert!(view.sync.as_ref().is_some_and(|s| s.linked));
    assert!(!view.actions.sync);
}

#[test]
fn w_sync_nothing_to_sync_without_a_new_record() {
    let mut h = Harness::new("1001");
    h.join(97);
    h.inbound("1144445555", Some("0038d0000000002AAA".into()));
    assert!(h.view().sync.is_none());
    assert!(matches!(
        h.command(Command::SyncRecord),
        Err(SessionError::Refused(m)) if m.code == "nothingToSync"
    ));
}
