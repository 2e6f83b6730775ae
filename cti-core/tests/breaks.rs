//! F-BREAK: into a break state (custom ones too) and back; no contact is delivered meanwhile,
//! and a break is refused while a contact is on screen.

mod common;

use std::time::Duration;

use common::Harness;
use cti_core::{AgentStatus, Command, SessionError};
use neotel_api::Request;

#[test]
fn f_break_a_custom_break_and_back_to_work() {
    let mut h = Harness::new("1003");
    h.join(97);
    assert!(
        h.view().lists.breaks.iter().any(|b| b.id == 21),
        "custom break states are listed"
    );
    h.command(Command::TakeBreak { break_id: 21 }).unwrap();
    h.advance(Duration::from_secs(2));
    assert_eq!(
        (h.view().status, h.view().break_id),
        (AgentStatus::OnBreak, Some(21))
    );
    assert!(h.requests.iter().any(|r| matches!(
        r,
        Request::Pause {
            break_subtype: 21,
            ..
        }
    )));
    assert!(h.view().actions.end_break && !h.view().actions.take_break);

    h.command(Command::EndBreak).unwrap();
    h.advance(Duration::from_secs(2));
    assert_eq!(h.view().status, AgentStatus::Available);
    assert_eq!(h.view().break_id, None);
}

#[test]
fn f_break_refused_with_a_contact_on_screen() {
    let mut h = Harness::new("1003");
    h.join(97);
    h.deliver(97);
    assert!(!h.view().actions.take_break);
    assert!(matches!(
        h.command(Command::TakeBreak { break_id: 1 }),
        Err(SessionError::Refused(_))
    ));
    assert_eq!(h.count("Pause"), 0);
}
