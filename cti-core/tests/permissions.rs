//! One rule for what the agent may do: the four places where the guard once accepted what the
//! view disabled. Each is now refused, with the reason, and the view agrees (the invariants
//! property test checks every button after every random step).

mod common;

use std::time::Duration;

use common::Harness;
use cti_core::{Code, Command, SessionError};

fn refused(r: Result<(), SessionError>) -> Code {
    match r {
        Err(SessionError::Refused(m)) => m.code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// A release during the call: refused (the view offered it only after the call).
#[test]
fn a_release_waits_for_the_end_of_the_call() {
    let mut h = Harness::new("1001");
    h.join(97);
    h.inbound("1144445555", Some("0038d0000000002AAA".into()));
    assert!(h.view().call.is_some());
    assert!(!h.view().actions.release && !h.view().actions.categorize);
    let r = h.command(Command::Release {
        subcategory: None,
        notes: String::new(),
        contact: None,
    });
    assert_eq!(refused(r), Code::EndCallFirst);
    assert_eq!(h.count("UpdateContact"), 0);
}

/// `allowCategorization` false: categorizing is refused; a plain release still works.
#[test]
fn categorizing_needs_allow_categorization() {
    let mut install = sf_callcenter::Install::default();
    install.options.allow_categorization = false;
    let mut h = Harness::with_install("1001", install);
    h.join(97);
    h.inbound("1144445555", Some("0038d0000000002AAA".into()));
    h.command(Command::Hangup).unwrap();
    h.advance(Duration::from_secs(1));
    assert!(!h.view().actions.categorize && h.view().actions.release);
    let r = h.command(Command::Release {
        subcategory: Some(26),
        notes: String::new(),
        contact: None,
    });
    assert_eq!(refused(r), Code::CategorizationOff);
    h.command(Command::Release {
        subcategory: None,
        notes: String::new(),
        contact: None,
    })
    .unwrap();
    h.advance(Duration::from_secs(1));
    assert_eq!(h.neotel.outcomes().last().unwrap().subcategory_id, 0);
}

/// Inviting needs a conference.
#[test]
fn inviting_needs_a_conference() {
    let mut h = Harness::new("1001");
    h.join(97);
    h.inbound("1144445555", Some("0038d0000000002AAA".into()));
    assert!(!h.view().actions.invite);
    let r = h.command(Command::Invite {
        extension: "1140002000".into(),
    });
    assert_eq!(refused(r), Code::NoConference);
    assert_eq!(h.count("InviteParticipant"), 0);
}

/// Joining a campaign with a contact on screen (it would strand the contact).
#[test]
fn joining_a_campaign_waits_for_the_contact() {
    let mut h = Harness::new("1001");
    h.join(97);
    let delivered = h.deliver(97);
    h.neotel
        .customer_hangup(h.wall(), delivered.call_id)
        .unwrap();
    h.advance(Duration::from_secs(1));
    assert!(h.view().contact.is_some());
    assert!(!h.view().actions.join_campaign);
    let r = h.command(Command::JoinCampaign { campaign: 98 });
    assert_eq!(refused(r), Code::ContactOnScreen);
    // The campaign the agent is in is never a join target.
    h.categorize(26);
    h.command(Command::Play).unwrap();
    h.advance(Duration::from_secs(1));
    assert!(
        !h.view().join_targets.contains(&97),
        "{:?}",
        h.view().join_targets
    );
    assert!(h.view().join_targets.contains(&98));
    assert_eq!(
        refused(h.command(Command::JoinCampaign { campaign: 97 })),
        Code::AlreadyInCampaign
    );
}
