//! W-PREDICTIVE end to end: campaign 97 delivers a contact, the connector searches when the
//! agent answers, pops the record, writes the Task, categorizes (F-RELEASE) and plays (F-PLAY).

mod common;

use std::time::Duration;

use common::Harness;
use cti_core::{AgentStatus, Command};
use neotel_sim::DeliverRequest;

#[test]
fn w_predictive_full_call() {
    let mut h = Harness::new("1001");
    assert_eq!(h.view().status, AgentStatus::NoCampaign);
    assert!(
        !h.view().lists.breaks.is_empty(),
        "F-BREAK: the break states came from the per-install task"
    );
    assert!(
        h.view()
            .lists
            .campaigns
            .iter()
            .any(|c| c.id == 97 && c.name == "SALESFORCE")
    );

    h.join(97);
    assert_eq!(
        (h.view().status, h.view().campaign),
        (AgentStatus::Available, Some(97))
    );
    assert!(!h.view().actions.play, "F-PLAY: nothing to resume yet");

    let delivered = h.deliver(97);
    assert_eq!(h.view().status, AgentStatus::WithContact);
    assert_eq!(
        h.searches(),
        0,
        "W-PREDICTIVE: no search until the agent answers"
    );
    assert_eq!(h.view().info.contact_id, delivered.contact_id, "F-INFO");

    h.neotel.agent_answer(h.wall(), "1001").unwrap();
    h.advance(Duration::from_secs(1));
    assert_eq!(h.searches(), 1, "searched once the call is bridged");
    assert!(
        h.left_before_stored
            .iter()
            .any(|o| o == "searchAndScreenPop"),
        "the search follows Neotel's news alone: it does not wait for the store"
    );
    let pops = h.pops();
    assert_eq!(pops.len(), 1);
    assert_eq!(
        pops[0].0, "sobject",
        "W-SCREENPOP: one match pops its detail page"
    );
    assert_eq!(pops[0].1["recordId"], delivered.data.as_str());
    assert_eq!(h.count("CRM_ShowingContact"), 1, "the contact is on screen");
    assert_eq!(
        h.view().info.last_call_id,
        delivered.call_id,
        "F-INFO: the call id while it is up"
    );
    assert!(h.tasks.is_empty() || h.tasks.iter().all(|t| t.get("entityApiName").is_none()));

    // W-EXTERNAL: the record took the Neotel data
    let external = h.effects.iter().find(|e| matches!(&e.action, sf_opencti::SalesforceAction::SaveLog { value } if value.get("neoContactId__c").is_some()));
    assert!(external.is_some(), "externalData written on arrival");

    h.command(Command::SendDtmf {
        digits: "12#".into(),
    })
    .unwrap();
    assert_eq!(h.count("SendDTMF"), 3, "F-DTMF: one digit at a time");
    assert!(
        h.command(Command::SendDtmf {
            digits: "1a".into()
        })
        .is_err(),
        "anything else is refused before sending"
    );
    assert_eq!(h.count("SendDTMF"), 3);

    h.advance(Duration::from_secs(40));
    h.command(Command::Hangup).unwrap();
    h.advance(Duration::from_secs(1));
    assert_eq!(h.view().status, AgentStatus::WrapUp);
    assert_eq!(
        h.view().info.last_call_id,
        0,
        "F-INFO: 0 once the call ends, the contact still on screen"
    );
    assert_eq!(h.tasks.len(), 1, "W-ACTIVITY: the call's Task");
    assert_eq!(h.tasks[0]["CallType"], "Outbound");
    assert_eq!(h.tasks[0]["WhoId"], delivered.data.as_str());
    assert_eq!(h.tasks[0]["CallObject"], delivered.call_id.to_string());

    assert!(
        h.command(Command::Play).is_err(),
        "F-PLAY: not before the contact is released"
    );
    h.command(Command::Release {
        subcategory: Some(26),
        notes: "cliente conforme".into(),
        contact: None,
    })
    .unwrap();
    h.advance(Duration::from_secs(1));
    let outcome = h.neotel.outcomes().last().unwrap().clone();
    assert_eq!(
        (outcome.contact_id, outcome.subcategory.as_deref()),
        (delivered.contact_id, Some("Venta concretada"))
    );
    assert_eq!(outcome.notes, "cliente conforme");
    assert_eq!(
        h.tasks.len(),
        1,
        "at most one Task per call: the disposition updates it"
    );
    assert_eq!(h.tasks[0]["CallDisposition"], "Venta / Venta concretada");
    assert_eq!(h.view().status, AgentStatus::Released);
    assert_eq!(h.count("CRM_Available"), 0, "CRM_Available only on Play");
    assert!(h.view().actions.play, "F-PLAY: offered once released");

    h.command(Command::Play).unwrap();
    h.advance(Duration::from_secs(1));
    assert_eq!(h.count("CRM_Available"), 1);
    assert_eq!(h.view().status, AgentStatus::Available);
    assert!(h.view().contact.is_none());
    assert!(
        !h.view().actions.play,
        "F-PLAY: not offered while already available"
    );
    let order = h.methods();
    let update = order.iter().position(|m| *m == "UpdateContact").unwrap();
    let available = order.iter().position(|m| *m == "CRM_Available").unwrap();
    assert!(update < available, "UpdateContact before CRM_Available");
}

#[test]
fn f_release_a_failed_update_is_retried_not_dropped() {
    let mut h = Harness::new("1002");
    h.join(97);
    h.neotel
        .deliver_contact(
            h.wall(),
            &DeliverRequest {
                campaign: 97,
                ..Default::default()
            },
        )
        .unwrap();
    h.neotel.agent_answer(h.wall(), "1002").unwrap();
    h.advance(Duration::from_secs(2));
    h.command(Command::Hangup).unwrap();
    h.advance(Duration::from_secs(1));
    h.fail.push(("UpdateContact".into(), 2));
    h.command(Command::Release {
        subcategory: Some(27),
        notes: String::new(),
        contact: None,
    })
    .unwrap();
    assert!(h.neotel.outcomes().is_empty(), "the first try failed");
    assert!(h.view().warnings.iter().any(|w| w.code == "retrying"));
    // Each timed-out attempt is checked twice (ten seconds apart) before it is sent again.
    h.advance(Duration::from_secs(30));
    assert_eq!(h.count("UpdateContact"), 3, "retried until it went through");
    assert_eq!(h.neotel.outcomes().len(), 1);
    assert_eq!(h.view().status, AgentStatus::Released);
}
