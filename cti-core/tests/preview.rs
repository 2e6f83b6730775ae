//! W-PREVIEW: campaign 98 hands the contact to the agent before the customer answers; the
//! connector searches at once, so the record is on screen when the customer speaks.

mod common;

use std::time::Duration;

use common::Harness;
use cti_core::{AgentStatus, Command};

#[test]
fn w_preview_searches_as_soon_as_the_contact_arrives() {
    let mut h = Harness::new("1002");
    h.join(98);
    let delivered = h.deliver(98);
    assert_eq!(h.view().status, AgentStatus::WithContact);
    assert_eq!(h.searches(), 1, "searched before the customer answers");
    assert_eq!(h.pops().len(), 1);
    assert_eq!(h.pops()[0].1["recordId"], delivered.data.as_str());
    assert!(
        h.view().call.as_ref().is_none_or(|c| !c.bridged),
        "the customer has not answered yet"
    );
    assert_eq!(h.count("CRM_ShowingContact"), 1);

    // The agent's phone answers, then the customer is dialed and answers.
    h.neotel.agent_answer(h.wall(), "1002").unwrap();
    h.advance(Duration::from_secs(1));
    h.neotel
        .customer_answer(h.wall(), delivered.call_id)
        .unwrap();
    h.advance(Duration::from_secs(1));
    assert_eq!(
        h.searches(),
        1,
        "no second search when the customer answers"
    );
    h.neotel
        .customer_hangup(h.wall(), delivered.call_id)
        .unwrap();
    h.advance(Duration::from_secs(1));
    h.categorize(29);
    h.command(Command::Play).unwrap();
    h.advance(Duration::from_secs(1));
    assert_eq!(h.view().status, AgentStatus::Available);
    let methods = h.methods();
    let update = methods.iter().position(|m| *m == "UpdateContact").unwrap();
    let available = methods.iter().rposition(|m| *m == "CRM_Available").unwrap();
    assert!(update < available);
}
