//! Salesforce Voice ends the after-call work its own ways (WRAP_UP_CALL when the agent closes
//! the VoiceCall, then SET_AGENT_STATUS available a moment later): each is
//! `Command::EndAfterCallWork`, accepted however many times and whenever, and Neotel gets one
//! Play.

mod common;

use std::time::Duration;

use common::Harness;
use cti_core::{AgentStatus, Command};

fn released_contact() -> Harness {
    let mut h = Harness::new("1001");
    h.join(97);
    h.deliver(97);
    h.neotel.agent_answer(h.wall(), "1001").unwrap();
    h.advance(Duration::from_secs(1));
    h.command(Command::Hangup).unwrap();
    h.advance(Duration::from_secs(2));
    h.categorize(26);
    h.advance(Duration::from_secs(2));
    assert_eq!(h.view().status, AgentStatus::Released);
    h
}

#[test]
fn the_after_call_work_ended_twice_while_play_is_on_its_way_sends_one_play() {
    let mut h = released_contact();
    // Neotel is slow to answer the Play.
    h.unanswered.push(("CRM_Available".into(), 1));
    h.command(Command::EndAfterCallWork).expect("the first end");
    h.command(Command::EndAfterCallWork)
        .expect("the second, with the Play on its way");
    assert_eq!(h.count("CRM_Available"), 1);
}

#[test]
fn the_after_call_work_ended_after_it_is_over_is_accepted() {
    let mut h = released_contact();
    h.command(Command::EndAfterCallWork).expect("the end");
    h.advance(Duration::from_secs(2));
    h.command(Command::EndAfterCallWork).expect("once more");
    h.advance(Duration::from_secs(2));
    assert_eq!(h.count("CRM_Available"), 1);
}
