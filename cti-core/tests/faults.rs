//! NeoApi faults in the middle of a flow: each is named to the agent in words, the state stays
//! what Neotel says it is, and nothing the agent decided is lost.

mod common;

use std::time::Duration;

use common::Harness;
use cti_core::{AgentStatus, Command};
use neotel_sim::DeliverRequest;

#[test]
fn a_failed_join_is_named_and_a_retry_works() {
    let mut h = Harness::new("1007");
    h.fail.push(("Login_Campaign2".into(), 1));
    h.command(Command::JoinCampaign { campaign: 97 }).unwrap();
    h.advance(Duration::from_secs(1));
    assert_eq!(h.view().status, AgentStatus::NoCampaign);
    assert!(h.view().error.is_some());
    h.join(97);
    assert_eq!(h.view().campaign, Some(97));
    assert!(
        h.view().error.is_none(),
        "the next command clears the old error"
    );
}

#[test]
fn a_failed_dial_leaves_no_call_and_says_so() {
    let mut h = Harness::new("1007");
    h.join(99);
    h.fail.push(("Dial".into(), 1));
    h.command(Command::Dial {
        number: "1144445555".into(),
    })
    .unwrap();
    h.advance(Duration::from_secs(1));
    assert!(h.view().call.is_none());
    assert!(h.view().error.is_some());
    assert!(h.view().actions.dial, "the agent can dial again");
}

#[test]
fn a_position_outage_keeps_the_contact_and_its_disposition() {
    let mut h = Harness::new("1007");
    h.join(97);
    let delivered = h
        .neotel
        .deliver_contact(
            h.wall(),
            &DeliverRequest {
                campaign: 97,
                ..Default::default()
            },
        )
        .unwrap();
    h.advance(Duration::from_secs(1));
    h.neotel.agent_answer(h.wall(), "1007").unwrap();
    h.advance(Duration::from_secs(1));
    h.neotel
        .customer_hangup(h.wall(), delivered.call_id)
        .unwrap();
    // NeoApi stops answering Position for a while.
    h.fail.push(("Position".into(), 5));
    h.advance(Duration::from_secs(10));
    assert_eq!(
        h.view().info.contact_id,
        delivered.contact_id,
        "the contact stays"
    );
    h.advance(Duration::from_secs(5));
    h.command(Command::Release {
        subcategory: Some(26),
        notes: "tras el corte".into(),
    })
    .unwrap();
    h.advance(Duration::from_secs(1));
    let outcome = h
        .neotel
        .outcomes()
        .last()
        .cloned()
        .expect("the disposition reached Neotel");
    assert_eq!(
        (outcome.contact_id, outcome.subcategory_id),
        (delivered.contact_id, 26)
    );
}
