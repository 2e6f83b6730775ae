//! NeoApi faults in the middle of a flow: each is named to the agent in words, the state stays
//! what Neotel says it is, and nothing the agent decided is lost.

mod common;

use std::time::Duration;

use common::Harness;
use cti_core::{AgentStatus, Command};

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
    let delivered = h.deliver(97);
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
        contact: None,
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

/// W-PREVIEW: `CRM_ShowingContact` is lost; the record is still on screen and its disposition
/// still reaches Neotel.
#[test]
fn a_lost_showing_contact_keeps_the_preview_contact() {
    let mut h = Harness::new("1007");
    h.join(98);
    h.fail.push(("CRM_ShowingContact".into(), 1));
    let delivered = h.deliver(98);
    assert!(h.view().error.is_some(), "the agent is told");
    assert_eq!(h.view().info.contact_id, delivered.contact_id);
    assert_eq!(h.pops().len(), 1, "the record popped all the same");
    // A release waits for the end of the call (the view offers it only then).
    h.command(Command::Hangup).unwrap();
    h.advance(Duration::from_secs(1));
    h.categorize(29);
    assert_eq!(
        h.neotel.outcomes().last().map(|o| o.contact_id),
        Some(delivered.contact_id)
    );
}

/// F-AGENDA: the schedule's `UpdateContact` times out before Neotel applied it; Neotel is
/// asked (twice, the second time once the attempt could have arrived), then it is sent again
/// with the same date, and the agent is freed once Neotel has it.
#[test]
fn a_schedule_that_times_out_is_sent_again_with_its_date() {
    let mut h = Harness::new("1007");
    h.join(97);
    h.inbound("1144445555", None);
    h.command(Command::Hangup).unwrap();
    h.advance(Duration::from_secs(1));
    h.fail.push(("UpdateContact".into(), 1));
    let at = h.wall() + chrono::Duration::hours(3);
    h.command(Command::Schedule {
        at: Some(at),
        agent_offset_minutes: 0,
        subcategory: Some(28),
        phone: String::new(),
        notes: "volver a llamar".into(),
        contact: None,
    })
    .unwrap();
    // Checked, checked again once the lost attempt could have arrived, then sent.
    h.advance(Duration::from_secs(12));
    assert_eq!(h.count("UpdateContact"), 2, "checked, then sent again");
    let outcome = h.neotel.outcomes().last().cloned().expect("sent again");
    assert_eq!(
        (outcome.schedule, outcome.notes.as_str()),
        (Some(at), "volver a llamar")
    );
    assert_eq!(h.neotel.outcomes().len(), 1);
    assert_eq!(h.count("CRM_Available"), 1);
    assert_eq!(h.view().status, AgentStatus::Available);
}

/// F-RELEASE with `automaticContactRelease`: the automatic release times out and is retried.
#[test]
fn an_automatic_release_that_times_out_is_retried() {
    let mut install = sf_callcenter::Install::default();
    install.options.automatic_release = Some(5);
    let mut h = Harness::with_install("1007", install);
    h.join(97);
    let placed = h.inbound("1144445555", None);
    h.command(Command::Hangup).unwrap();
    h.fail.push(("UpdateContact".into(), 1));
    h.advance(Duration::from_secs(30));
    assert_eq!(h.count("UpdateContact"), 2, "tried, then retried");
    assert_eq!(
        h.neotel.outcomes().last().map(|o| o.contact_id),
        Some(placed.contact_id)
    );
    assert_eq!(h.view().status, AgentStatus::Released);
}

/// F-BREAK: a refused `Pause` leaves the agent where Neotel says, with the reason.
#[test]
fn a_failed_break_leaves_the_agent_available() {
    let mut h = Harness::new("1007");
    h.join(97);
    h.fail.push(("Pause".into(), 1));
    let break_id = h.view().lists.breaks[0].id;
    h.command(Command::TakeBreak { break_id }).unwrap();
    h.advance(Duration::from_secs(1));
    assert_eq!(h.view().status, AgentStatus::Available);
    assert!(h.view().break_id.is_none());
    assert!(h.view().error.is_some());
    assert!(h.view().actions.take_break, "the agent can try again");
    h.command(Command::TakeBreak { break_id }).unwrap();
    h.advance(Duration::from_secs(1));
    assert_eq!(h.view().break_id, Some(break_id));
}

/// F-CONF: a failed conference start keeps the call as it was.
#[test]
fn a_failed_conference_keeps_the_call() {
    let mut h = Harness::new("1007");
    h.join(97);
    h.inbound("1144445555", None);
    h.fail.push(("JoinConference".into(), 1));
    h.command(Command::StartConference).unwrap();
    h.advance(Duration::from_secs(1));
    let call = h.view().call.clone().expect("the call goes on");
    assert!(call.conference.is_none());
    assert!(h.view().error.is_some());
    assert!(h.view().actions.start_conference);
}

/// F-PLAY: a `CRM_Available` that timed out before Neotel applied it is checked against
/// `Position` and sent again by itself; the disposition is not repeated.
#[test]
fn a_play_that_times_out_is_sent_again() {
    let mut h = Harness::new("1007");
    h.join(97);
    h.inbound("1144445555", None);
    h.command(Command::Hangup).unwrap();
    h.advance(Duration::from_secs(1));
    h.categorize(26);
    h.fail.push(("CRM_Available".into(), 1));
    h.command(Command::Play).unwrap();
    h.advance(Duration::from_secs(12));
    assert_eq!(h.view().status, AgentStatus::Available);
    assert!(h.view().error.is_none());
    assert_eq!(h.count("CRM_Available"), 2);
    assert_eq!(h.neotel.applied("CRM_Available"), 1);
    assert_eq!(h.count("UpdateContact"), 1, "no second disposition");
}

/// W-ACTIVITY: Salesforce refuses the Task once; it is saved on the retry, still only one, and
/// the disposition goes into it.
#[test]
fn a_task_salesforce_refuses_is_saved_on_the_retry() {
    let mut h = Harness::new("1007");
    h.join(97);
    h.inbound("1144445555", Some("0038d0000000002AAA".into()));
    h.fail_save_log.push_back("SERVER_ERROR");
    h.command(Command::Hangup).unwrap();
    h.advance(Duration::from_secs(1));
    assert!(h.tasks.is_empty(), "the first save failed");
    assert!(h.view().warnings.iter().any(|w| w.code == "taskRetrying"));
    h.advance(Duration::from_secs(5));
    assert_eq!(h.tasks.len(), 1, "saved on the retry");
    h.categorize(26);
    assert_eq!(h.tasks.len(), 1, "one Task per call");
    assert!(
        h.tasks[0]["CallDisposition"].is_string(),
        "{:?}",
        h.tasks[0]
    );
    assert!(!h.view().warnings.iter().any(|w| w.code == "taskRetrying"));
}

fn task_creations(h: &Harness) -> usize {
    h.effects
        .iter()
        .filter(|e| {
            matches!(&e.action,
                sf_opencti::SalesforceAction::SaveLog { value }
                    if value.get("entityApiName").and_then(|v| v.as_str()) == Some("Task"))
        })
        .count()
}

fn task_lookups(h: &Harness) -> usize {
    h.effects
        .iter()
        .filter(|e| {
            matches!(&e.action,
                sf_opencti::SalesforceAction::RunApex { method_name, .. } if method_name == "getTaskByCallObject")
        })
        .count()
}

/// W-ACTIVITY: a Task creation whose answer was lost after Salesforce saved it is looked up,
/// not repeated: one Task, and it gets the disposition.
#[test]
fn a_task_creation_whose_answer_was_lost_is_looked_up_not_repeated() {
    let mut h = Harness::new("1007");
    h.join(97);
    h.inbound("1144445555", Some("0038d0000000002AAA".into()));
    h.fail_save_log.push_back("TIMEOUT_APPLIED");
    h.command(Command::Hangup).unwrap();
    h.advance(Duration::from_secs(30));
    assert_eq!(task_creations(&h), 1, "not repeated");
    assert_eq!(task_lookups(&h), 1, "looked up once");
    assert_eq!(h.tasks.len(), 1);
    h.categorize(26);
    assert_eq!(h.tasks.len(), 1, "one Task per call");
    assert!(
        h.tasks[0]["CallDisposition"].is_string(),
        "{:?}",
        h.tasks[0]
    );
    assert!(h.view().error.is_none(), "{:?}", h.view().error);
}

/// A Task creation that timed out without happening is made once the look-up finds nothing.
#[test]
fn a_task_creation_that_timed_out_unsaved_is_made_once() {
    let mut h = Harness::new("1007");
    h.join(97);
    h.inbound("1144445555", Some("0038d0000000002AAA".into()));
    h.fail_save_log.push_back("TIMEOUT");
    h.command(Command::Hangup).unwrap();
    h.advance(Duration::from_secs(30));
    assert_eq!(task_lookups(&h), 1);
    assert_eq!(task_creations(&h), 2, "created again, once");
    assert_eq!(h.tasks.len(), 1, "one Task per call");
}

/// An org whose `NeotelDataRetrieval` lacks the look-up (the seed's class): nothing is
/// repeated and the agent is told to check.
#[test]
fn without_the_task_look_up_the_agent_is_told_to_check() {
    let mut h = Harness::new("1007");
    h.apex_task_lookup = false;
    h.join(97);
    h.inbound("1144445555", Some("0038d0000000002AAA".into()));
    h.fail_save_log.push_back("TIMEOUT");
    h.command(Command::Hangup).unwrap();
    h.advance(Duration::from_secs(30));
    assert_eq!(task_creations(&h), 1, "not repeated");
    assert_eq!(
        h.view().error.as_ref().map(|e| e.code.as_str()),
        Some("taskUnknown")
    );
    h.categorize(26);
    assert_eq!(task_creations(&h), 1, "nothing written once unknown");
}

/// A contact's categories that NeoApi failed to give are asked for again: the agent is told,
/// and can categorize once they arrive (without them the wrap-up had nothing to choose).
#[test]
fn categories_neoapi_failed_to_give_are_read_again() {
    use cti_core::Code;
    let mut h = Harness::new("1007");
    h.join(97);
    h.fail.push(("ExecuteTask02".into(), 3));
    h.deliver(97);
    h.advance(Duration::from_millis(300));
    assert!(h.view().lists.categories.is_empty());
    assert!(
        h.view()
            .warnings
            .iter()
            .any(|w| w.code == Code::ListsRetrying),
        "the agent is told the lists are being asked for again: {:?}",
        h.view().warnings
    );
    h.advance(Duration::from_secs(10));
    assert!(
        !h.view().lists.categories.is_empty(),
        "the categories arrive once NeoApi answers"
    );
    assert!(
        !h.view()
            .warnings
            .iter()
            .any(|w| w.code == Code::ListsRetrying),
        "and the notice goes: {:?}",
        h.view().warnings
    );
}
