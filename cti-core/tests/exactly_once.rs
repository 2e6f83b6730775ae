//! Issue 13: the release and Play reach Neotel exactly once, whatever NeoApi does (a lost
//! answer after the write was applied, a transient fault, a long outage, a refusal) and across
//! a restart of the server (the session restored from its snapshot). The simulator counts what
//! it applied; the view says what is true at every step.

mod common;

use std::time::Duration;

use common::Harness;
use cti_core::{AgentStatus, Code, Command, Draft, Input};

const TIMEOUT_EXPIRED: &str = "Timeout expired.  The timeout period elapsed prior to \
    completion of the operation or the server is not responding.";

/// An agent whose inbound call ended: the contact awaits its disposition.
fn wrap_up() -> Harness {
    let mut h = Harness::new("1007");
    h.join(97);
    h.inbound("1144445555", None);
    h.command(Command::Hangup).unwrap();
    h.advance(Duration::from_secs(1));
    assert_eq!(h.view().status, AgentStatus::WrapUp);
    h
}

fn release(h: &mut Harness, subcategory: i64, notes: &str) {
    h.command(Command::Release {
        subcategory: Some(subcategory),
        notes: notes.into(),
        contact: None,
    })
    .expect("the contact can be released");
}

fn schedule(h: &mut Harness) -> chrono::NaiveDateTime {
    let at = h.wall() + chrono::Duration::hours(3);
    h.command(Command::Schedule {
        at: Some(at),
        agent_offset_minutes: 0,
        subcategory: Some(28),
        phone: String::new(),
        notes: "volver a llamar".into(),
        contact: None,
    })
    .expect("the contact can be scheduled");
    at
}

fn says(h: &Harness, code: Code) -> bool {
    h.view().warnings.iter().any(|m| m.code == code)
}

#[test]
fn a_release_whose_answer_is_lost_is_applied_once() {
    let mut h = wrap_up();
    h.lose.push(("UpdateContact".into(), 1));
    release(&mut h, 26, "cliente conforme");
    h.advance(Duration::from_secs(5));
    assert_eq!(h.neotel.applied("UpdateContact"), 1, "once, not twice");
    assert_eq!(
        h.count("UpdateContact"),
        1,
        "Neotel was asked, not written again"
    );
    assert_eq!(h.view().status, AgentStatus::Released);
    assert!(!says(&h, Code::Retrying), "nothing is being retried");
    assert!(h.view().error.is_none());
}

#[test]
fn a_schedule_whose_answer_is_lost_is_booked_once() {
    let mut h = wrap_up();
    h.lose.push(("UpdateContact".into(), 1));
    let at = schedule(&mut h);
    h.advance(Duration::from_secs(5));
    let outcomes = h.neotel.outcomes();
    assert_eq!(outcomes.len(), 1, "one callback for one customer");
    assert_eq!(outcomes[0].schedule, Some(at));
    assert_eq!(h.neotel.applied("CRM_Available"), 1);
    assert_eq!(h.view().status, AgentStatus::Available);
}

#[test]
fn a_play_whose_answer_is_lost_is_applied_once() {
    let mut h = wrap_up();
    release(&mut h, 26, "");
    h.advance(Duration::from_secs(1));
    h.lose.push(("CRM_Available".into(), 1));
    h.command(Command::Play).unwrap();
    h.advance(Duration::from_secs(5));
    assert_eq!(h.count("CRM_Available"), 1);
    assert_eq!(h.neotel.applied("CRM_Available"), 1);
    assert_eq!(h.view().status, AgentStatus::Available);
    assert!(h.view().contact.is_none());
}

#[test]
fn timeout_expired_is_retried_and_said_truthfully() {
    let mut h = wrap_up();
    h.fault
        .push(("UpdateContact".into(), 2, TIMEOUT_EXPIRED.into()));
    release(&mut h, 26, "");
    assert!(
        says(&h, Code::Retrying),
        "the view says it is being retried"
    );
    assert!(
        h.view().error.is_none(),
        "a fault that may pass is no error"
    );
    h.advance(Duration::from_secs(10));
    assert_eq!(h.count("UpdateContact"), 3);
    assert_eq!(h.neotel.applied("UpdateContact"), 1);
    assert!(
        !says(&h, Code::Retrying),
        "and stops saying so once Neotel has it"
    );
    assert_eq!(h.view().status, AgentStatus::Released);
}

#[test]
fn a_five_minute_outage_delivers_the_disposition_once_unprompted() {
    let mut h = wrap_up();
    h.fail.push(("UpdateContact".into(), u32::MAX));
    h.fail.push(("ExecuteTask02".into(), u32::MAX));
    release(&mut h, 26, "llamar el lunes");
    for _ in 0..30 {
        h.advance(Duration::from_secs(10));
        assert!(says(&h, Code::Retrying), "retrying, for as long as it is");
        assert!(h.view().error.is_none());
        assert!(
            !h.view().actions.release,
            "nothing to press: it is on its way"
        );
    }
    assert_eq!(h.neotel.applied("UpdateContact"), 0);
    h.fail.clear();
    h.advance(Duration::from_secs(61));
    assert_eq!(h.neotel.applied("UpdateContact"), 1);
    assert_eq!(h.neotel.outcomes()[0].notes, "llamar el lunes");
    assert!(!says(&h, Code::Retrying));
    assert_eq!(h.view().status, AgentStatus::Released);
}

#[test]
fn a_refusal_says_what_was_not_saved_and_keeps_the_draft() {
    let mut h = wrap_up();
    h.fault.push((
        "UpdateContact".into(),
        1,
        "Cannot convert 'x' to System.Int32.".into(),
    ));
    release(&mut h, 26, "notas del agente");
    let error = h.view().error.clone().expect("the agent is told");
    assert_eq!(error.code, Code::ReleaseRefused);
    assert!(error.param("error").unwrap().contains("Cannot convert"));
    assert!(!says(&h, Code::Retrying), "a refusal is not retried");
    assert!(h.view().actions.categorize, "the agent may send it again");
    let draft = &h.view().contact.as_ref().unwrap().draft;
    assert_eq!(draft.notes, "notas del agente", "nothing typed is lost");
    release(&mut h, 26, "notas del agente");
    assert_eq!(h.neotel.applied("UpdateContact"), 1);
}

#[test]
fn neotel_unreachable_is_said_while_it_lasts_and_then_not() {
    let mut h = wrap_up();
    h.fail.push(("Position".into(), 3));
    // In wrap-up nothing can come: Neotel is looked at every 3 s (issue 28).
    h.advance(Duration::from_secs(4));
    assert!(says(&h, Code::NeotelUnreachable));
    h.advance(Duration::from_secs(10));
    assert!(
        !says(&h, Code::NeotelUnreachable),
        "no stale trouble on screen"
    );
    assert!(h.view().error.is_none());
}

#[test]
fn a_restart_keeps_the_contact_and_its_draft() {
    let mut h = wrap_up();
    let contact = h.view().info.contact_id;
    h.command(Command::Draft {
        contact: h.view().contact.as_ref().unwrap().handle,
        subcategory: Some(26),
        notes: "a medio escribir".into(),
        at: None,
        phone: String::new(),
    })
    .unwrap();
    h.restart();
    h.advance(Duration::from_secs(2));
    let view = h.view().clone();
    assert_eq!(view.info.contact_id, contact, "the contact is back");
    assert_eq!(view.status, AgentStatus::WrapUp);
    let c = view.contact.expect("on screen");
    assert_eq!(
        c.draft,
        Draft {
            subcategory: Some(26),
            notes: "a medio escribir".into(),
            schedule_at: None,
            schedule_phone: String::new(),
        }
    );
    assert!(
        !view.lists.categories.is_empty(),
        "its categories are read again"
    );
    release(&mut h, 26, "a medio escribir");
    h.advance(Duration::from_secs(1));
    assert_eq!(h.neotel.applied("UpdateContact"), 1);
    assert_eq!(h.neotel.outcomes()[0].contact_id, contact);
}

#[test]
fn a_release_in_flight_when_the_server_dies_is_applied_once() {
    let mut h = wrap_up();
    h.unanswered.push(("UpdateContact".into(), 1));
    release(&mut h, 26, "");
    assert_eq!(
        h.neotel.applied("UpdateContact"),
        1,
        "Neotel has it; the answer died"
    );
    h.restart();
    h.advance(Duration::from_secs(5));
    assert_eq!(
        h.neotel.applied("UpdateContact"),
        1,
        "checked, not written again"
    );
    assert_eq!(h.view().status, AgentStatus::Released);
    assert!(!says(&h, Code::Retrying));
}

#[test]
fn a_release_waiting_out_an_outage_when_the_server_dies_is_sent_after_the_restart() {
    let mut h = wrap_up();
    h.fail.push(("UpdateContact".into(), u32::MAX));
    release(&mut h, 26, "");
    h.advance(Duration::from_secs(10));
    assert_eq!(h.neotel.applied("UpdateContact"), 0);
    h.restart();
    assert!(
        says(&h, Code::Retrying),
        "the restored view says what is pending"
    );
    h.fail.clear();
    // Checked, checked again once the last attempt could have arrived, then sent.
    h.advance(Duration::from_secs(15));
    assert_eq!(h.neotel.applied("UpdateContact"), 1);
    assert_eq!(h.view().status, AgentStatus::Released);
}

#[test]
fn a_play_in_flight_when_the_server_dies_is_applied_once() {
    let mut h = wrap_up();
    release(&mut h, 26, "");
    h.advance(Duration::from_secs(1));
    h.unanswered.push(("CRM_Available".into(), 1));
    h.command(Command::Play).unwrap();
    h.restart();
    h.advance(Duration::from_secs(3));
    assert_eq!(h.neotel.applied("CRM_Available"), 1);
    assert_eq!(h.count("CRM_Available"), 1);
    assert_eq!(h.view().status, AgentStatus::Available);
    assert!(h.view().contact.is_none());
}

#[test]
fn pending_writes_are_counted_for_operators() {
    let mut h = wrap_up();
    assert_eq!(h.session.pending_writes().count, 0);
    h.fail.push(("UpdateContact".into(), u32::MAX));
    release(&mut h, 26, "");
    h.advance(Duration::from_secs(20));
    // The age as of now (the session knows the time its inputs bring).
    h.session.handle_input(Input::Timeout(h.now)).unwrap();
    let pending = h.session.pending_writes();
    assert_eq!(pending.count, 1);
    assert!(pending.oldest.unwrap() >= Duration::from_secs(19));
    assert_eq!(h.session.snapshot().pending_writes(), 1);
}

/// The Play a schedule makes is on its way when the agent clicks Play (the button a reload or a
/// slow Neotel leaves in sight): it is not sent a second time, which, arriving after Neotel
/// delivered the next contact, would free the agent from that contact.
#[test]
fn play_on_its_way_is_not_sent_again_by_the_agent() {
    let mut h = wrap_up();
    h.fault
        .push(("CRM_Available".into(), 1, TIMEOUT_EXPIRED.into()));
    schedule(&mut h);
    h.advance(Duration::from_millis(200));
    assert!(
        h.view().contact.as_ref().is_some_and(|c| c.released),
        "Neotel has the callback"
    );
    assert!(
        !h.view().actions.play,
        "Play is on its way: no button for it"
    );
    assert!(h.command(Command::Play).is_err(), "and no second Play");
    h.advance(Duration::from_secs(5));
    assert_eq!(h.neotel.applied("CRM_Available"), 1);
    assert_eq!(
        h.count("CRM_Available"),
        2,
        "the failed one, then its retry"
    );
    // The next contact stays on screen: nothing late frees the agent from it.
    let next = h.deliver(97);
    h.advance(Duration::from_secs(5));
    assert_eq!(h.view().info.contact_id, next.contact_id);
    assert_eq!(h.count("CRM_Available"), 2);
}

/// A release that timed out at the connector but reaches Neotel seconds later (a slow IIS does
/// not stop the request when the client gives up): the first check finds nothing, and the
/// release is not sent again on that word alone; the second check finds it.
#[test]
fn a_release_that_reaches_neotel_after_its_timeout_is_applied_once() {
    let mut h = wrap_up();
    h.late
        .push(("UpdateContact".into(), 1, Duration::from_secs(4)));
    release(&mut h, 26, "llegó tarde");
    h.advance(Duration::from_secs(30));
    assert_eq!(h.neotel.applied("UpdateContact"), 1, "once, not twice");
    assert_eq!(h.count("UpdateContact"), 1, "never sent again");
    assert_eq!(h.view().status, AgentStatus::Released);
    assert!(!says(&h, Code::Retrying));
}

/// A release that timed out and never reached Neotel is sent again once two checks (the second
/// after the request could have arrived) find nothing.
#[test]
fn a_release_that_timed_out_unapplied_is_sent_again_after_two_checks() {
    let mut h = wrap_up();
    h.fail.push(("UpdateContact".into(), 1));
    release(&mut h, 26, "no llegó");
    h.advance(Duration::from_secs(30));
    assert_eq!(h.neotel.applied("UpdateContact"), 1);
    assert_eq!(h.count("UpdateContact"), 2, "the lost one, then one more");
    assert_eq!(h.view().status, AgentStatus::Released);
}

/// A `Position` read before Play reached Neotel, answered after Play's own answer (two calls
/// on their way at once; the later one came back first): the contact it still shows was
/// released and freed already. It is not taken for a new delivery: no second pop of it, and
/// no second release of it written to Neotel.
#[test]
fn a_position_overtaken_by_play_does_not_bring_the_contact_back() {
    let mut h = wrap_up();
    release(&mut h, 26, "cliente conforme");
    h.advance(Duration::from_millis(200));
    assert_eq!(h.view().status, AgentStatus::Released);
    let searches = h.searches();
    // The next poll leaves; its answer is on its way when the agent presses Play.
    h.overtaken.push(("Position".into(), 1));
    h.advance(Duration::from_secs(2));
    h.command(Command::Play).expect("Play");
    h.advance(Duration::from_millis(100));
    assert!(h.view().contact.is_none(), "the freed contact stays gone");
    assert_eq!(h.view().status, AgentStatus::Available);
    assert_eq!(h.searches(), searches, "no second pop of it");
    assert!(!h.view().actions.release, "nothing to release");
    h.advance(Duration::from_secs(5));
    assert!(h.view().contact.is_none());
    assert_eq!(h.neotel.applied("UpdateContact"), 1);
    assert_eq!(
        h.count("UpdateContact"),
        1,
        "its release is not written again"
    );
}
