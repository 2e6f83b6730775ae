//! F-XFER and F-CONF against the simulator's engine: direct transfers leave the call, an
//! attended one consults and ends with the agent back on the customer, a conference starts,
//! invites and ends; a fault in the middle names what failed and leaves the call as it was.

mod common;

use std::time::Duration;

use common::Harness;
use cti_core::{Command, SessionError, TransferTarget};
use neotel_api::Request;
use neotel_sim::DeliverRequest;

/// 1001 joined campaign 97 and talking to a predictive contact.
fn on_a_call(user: &str) -> Harness {
    let mut h = Harness::new(user);
    h.join(97);
    h.neotel
        .deliver_contact(
            h.wall(),
            &DeliverRequest {
                campaign: 97,
                user: Some(user.into()),
                ..Default::default()
            },
        )
        .unwrap();
    h.advance(Duration::from_secs(1));
    h.neotel.agent_answer(h.wall(), user).unwrap();
    h.advance(Duration::from_secs(1));
    assert!(
        h.view().call.as_ref().is_some_and(|c| c.bridged),
        "on a call"
    );
    assert!(h.view().actions.transfer);
    h
}

#[test]
fn f_xfer_attended_then_end_of_transfer_returns_to_the_customer() {
    let mut h = on_a_call("1001");
    let call = h.view().call.as_ref().unwrap().id;
    h.command(Command::Transfer {
        target: TransferTarget::Phone("1140001000".into()),
        attended: true,
    })
    .unwrap();
    h.advance(Duration::from_secs(4)); // the consulted party answers
    let consulting = h.view().transfer.clone().expect("consulting");
    assert_eq!(
        (consulting.to, consulting.value.as_str()),
        ("phone", "1140001000")
    );
    assert!(h.view().actions.end_transfer && !h.view().actions.transfer);
    assert!(matches!(
        h.command(Command::Transfer { target: TransferTarget::Queue(200), attended: false }),
        Err(SessionError::Refused(m)) if m.code == "consulting"
    ));

    h.command(Command::EndTransfer).unwrap();
    h.advance(Duration::from_secs(1));
    assert_eq!(h.count("AttendedTransfer"), 1);
    assert!(
        h.requests
            .iter()
            .any(|r| matches!(r, Request::Hangup { .. }))
    );
    let view = h.view();
    assert!(view.transfer.is_none());
    assert_eq!(
        view.call.as_ref().map(|c| c.id),
        Some(call),
        "back on the customer's call"
    );
    assert!(view.actions.transfer, "another transfer is possible");
}

#[test]
fn f_xfer_direct_to_a_queue_leaves_the_call() {
    let mut h = on_a_call("1001");
    h.command(Command::Transfer {
        target: TransferTarget::Queue(201),
        attended: false,
    })
    .unwrap();
    h.advance(Duration::from_secs(1));
    assert_eq!(h.count("BlindTransferQueue"), 1);
    assert!(h.view().call.is_none(), "the agent left the call");
    assert!(
        h.view().contact.is_some(),
        "the contact waits for its release"
    );
    assert!(matches!(
        h.command(Command::EndTransfer),
        Err(SessionError::Refused(m)) if m.code == "noTransfer"
    ));
}

#[test]
fn f_xfer_to_a_campaign_is_direct_only() {
    let mut h = on_a_call("1001");
    assert!(matches!(
        h.command(Command::Transfer { target: TransferTarget::Campaign(98), attended: true }),
        Err(SessionError::Refused(m)) if m.code == "attendedCampaign"
    ));
    assert_eq!(h.count("AttendedTransfer"), 0);
}

#[test]
fn f_conf_start_invite_and_end() {
    let mut h = on_a_call("1001");
    assert!(h.view().actions.start_conference && !h.view().actions.invite);
    h.command(Command::StartConference).unwrap();
    h.advance(Duration::from_secs(1));
    let conference = h.view().call.as_ref().and_then(|c| c.conference);
    assert!(conference.is_some(), "Position shows the conference");
    assert!(h.view().actions.invite && h.view().actions.end_conference);
    h.command(Command::Invite {
        extension: "1140002000".into(),
    })
    .unwrap();
    h.command(Command::Invite {
        extension: "1002".into(),
    })
    .unwrap();
    h.advance(Duration::from_secs(1));
    assert_eq!(h.count("InviteParticipant"), 2);
    h.command(Command::EndConference).unwrap();
    h.advance(Duration::from_secs(1));
    assert!(
        h.requests
            .iter()
            .any(|r| matches!(r, Request::KickAll { conference: c, .. } if Some(*c) == conference))
    );
}

#[test]
fn a_transfer_fault_names_it_and_keeps_the_call() {
    let mut h = on_a_call("1001");
    h.fail.push(("AttendedTransfer".into(), 1)); // NeoApi does not answer in time
    h.command(Command::Transfer {
        target: TransferTarget::Phone("1140009999".into()),
        attended: true,
    })
    .unwrap();
    h.advance(Duration::from_secs(1));
    let view = h.view();
    assert!(view.transfer.is_none(), "nothing is consulting");
    assert!(view.call.is_some(), "the customer is still on the line");
    let error = view.error.as_ref().expect("the agent is told");
    assert_eq!(error.code, "neotelUnavailable", "{error:?}");
    assert!(view.actions.transfer, "the agent can try again");
}
