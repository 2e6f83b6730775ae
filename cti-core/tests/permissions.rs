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

/// What the agent asked Neotel but Neotel has not answered yet (`Pause` applied, its answer
/// late): the same action again is refused, so a double click or a flood of `takeBreak` is
/// one `Pause`, not thousands.
#[test]
fn an_action_on_its_way_is_not_sent_again() {
    let mut h = Harness::new("1001");
    h.join(97);
    assert!(!h.view().sending, "the join was answered");
    h.unanswered.push(("Pause".into(), 1));
    h.command(Command::TakeBreak { break_id: 21 }).unwrap();
    assert_eq!(h.count("Pause"), 1);
    assert!(!h.view().actions.take_break, "the view agrees");
    assert!(h.view().sending, "and says something is on its way");
    for _ in 0..100 {
        assert_eq!(
            refused(h.command(Command::TakeBreak { break_id: 21 })),
            Code::AlreadySent
        );
    }
    assert_eq!(h.count("Pause"), 1, "refused before NeoApi");
    // Another action is not held up by it.
    h.command(Command::LeaveCampaign).unwrap();
    assert_eq!(h.count("Logout_Campaign"), 1);
    // That one was answered: now the state says why another is pointless.
    assert_eq!(
        refused(h.command(Command::LeaveCampaign)),
        Code::NotInCampaign
    );
}

/// Every command that the state makes pointless is refused by the one rule (`may`), or by its
/// own argument check, before anything reaches Neotel.
#[test]
fn a_command_the_state_makes_pointless_never_reaches_neotel() {
    let mut h = Harness::new("1001");
    let acting = |h: &Harness| {
        h.methods()
            .into_iter()
            .filter(|m| !matches!(*m, "Position" | "ExecuteTask"))
            .count()
    };
    let before = acting(&h);
    // No campaign, no break, no call, no conference, no transfer, no monitoring.
    for (command, code) in [
        (Command::LeaveCampaign, Code::NotInCampaign),
        (Command::EndBreak, Code::NotOnBreak),
        (Command::Hangup, Code::NoCall),
        (Command::SendDtmf { digits: "1".into() }, Code::NoCall),
        (Command::EndTransfer, Code::NoTransfer),
        (Command::StartConference, Code::NoCall),
        (Command::EndConference, Code::NoConference),
        (Command::EndMonitor, Code::NotMonitoring),
        // Play needs no campaign (issue 24): with nothing held, there is nothing to resume.
        (Command::Play, Code::NothingToResume),
    ] {
        assert_eq!(refused(h.command(command.clone())), code, "{command:?}");
    }
    assert_eq!(acting(&h), before, "nothing reached Neotel");

    // In campaign 97 and on break 21: joining 97 again and another break are refused.
    h.join(97);
    h.command(Command::TakeBreak { break_id: 21 }).unwrap();
    h.advance(Duration::from_secs(1));
    assert_eq!(h.view().break_id, Some(21));
    let before = acting(&h);
    for (command, code) in [
        (
            Command::JoinCampaign { campaign: 97 },
            Code::AlreadyInCampaign,
        ),
        (Command::TakeBreak { break_id: 21 }, Code::AlreadyOnBreak),
        (Command::TakeBreak { break_id: 22 }, Code::AlreadyOnBreak),
    ] {
        assert_eq!(refused(h.command(command.clone())), code, "{command:?}");
    }
    assert_eq!(acting(&h), before, "nothing reached Neotel");
}
