//! The status line says what is happening (ringing, dialing, talking, inbound from which
//! queue, consulting, in a conference, on break *name*, wrap-up) and for how long; every action
//! says it went through, briefly.

mod common;

use std::time::Duration;

use common::Harness;
use cti_core::{CallPhase, Code, Command, TransferTarget};

fn label(h: &Harness) -> (Code, Vec<(&'static str, String)>) {
    let l = &h.view().status_label;
    (
        l.code,
        l.params.iter().map(|(k, v)| (*k, v.clone())).collect(),
    )
}

fn told(h: &Harness, code: Code) -> bool {
    h.view().warnings.iter().any(|w| w.code == code)
}

#[test]
fn a_predictive_call_rings_then_talks_with_a_timer() {
    let mut h = Harness::new("1001");
    h.join(97);
    let delivered = h.deliver(97);
    assert_eq!(h.view().call.as_ref().unwrap().phase, CallPhase::Ringing);
    assert_eq!(label(&h).0, Code::StatusRinging);
    h.neotel.agent_answer(h.wall(), "1001").unwrap();
    h.advance(Duration::from_secs(1));
    assert_eq!(h.view().call.as_ref().unwrap().phase, CallPhase::Talking);
    let (code, params) = label(&h);
    assert_eq!(code, Code::StatusTalking);
    assert!(params.contains(&("phone", h.view().call.as_ref().unwrap().phone.clone())));
    h.advance(Duration::from_secs(30));
    // A fresh view (any change) tells the time in the call; the page counts on from there.
    h.command(Command::SaveSettings {
        width_px: 640,
        height_px: 420,
        minimize_on_no_match: false,
        minimize_on_several: false,
    })
    .unwrap();
    assert!(
        h.view().since_secs.is_some_and(|s| s >= 30),
        "{:?}",
        h.view().since_secs
    );
    assert!(told(&h, Code::SettingsSaved));
    h.neotel
        .customer_hangup(h.wall(), delivered.call_id)
        .unwrap();
    h.advance(Duration::from_secs(1));
    assert_eq!(label(&h).0, Code::StatusWrapUp);
    assert_eq!(h.view().since_secs, Some(0));
}

#[test]
fn an_inbound_call_names_its_queue() {
    let mut h = Harness::new("1001");
    h.join(97);
    h.inbound("1144445555", Some("0038d0000000002AAA".into()));
    assert_eq!(label(&h).0, Code::StatusRinging);
    h.neotel.agent_answer(h.wall(), "1001").unwrap();
    h.advance(Duration::from_secs(1));
    let (code, params) = label(&h);
    assert_eq!(code, Code::StatusInbound, "{params:?}");
    let queue = params
        .iter()
        .find(|(k, _)| *k == "queue")
        .unwrap()
        .1
        .clone();
    assert!(
        !queue.is_empty() && queue != "200",
        "the queue's name: {queue}"
    );
}

#[test]
fn a_break_says_its_name_and_since_when() {
    let mut h = Harness::new("1001");
    h.join(97);
    h.command(Command::TakeBreak { break_id: 1 }).unwrap();
    h.advance(Duration::from_secs(4));
    let (code, params) = label(&h);
    assert_eq!(code, Code::StatusOnBreak);
    assert_eq!(params, [("name", "Descanso".to_owned())]);
    assert!(h.view().since_secs.is_some());
}

#[test]
fn a_consultation_and_a_conference_say_so_and_list_who_was_invited() {
    let mut h = Harness::new("1001");
    h.join(97);
    h.inbound("1144445555", Some("0038d0000000002AAA".into()));
    h.command(Command::Transfer {
        target: TransferTarget::Phone("1140001000".into()),
        attended: true,
    })
    .unwrap();
    h.advance(Duration::from_secs(1));
    assert_eq!(
        label(&h),
        (
            Code::StatusConsulting,
            vec![("target", "1140001000".to_owned())]
        )
    );
    h.command(Command::EndTransfer).unwrap();
    h.advance(Duration::from_secs(1));
    h.command(Command::StartConference).unwrap();
    h.advance(Duration::from_secs(1));
    h.command(Command::Invite {
        extension: "1140002000".into(),
    })
    .unwrap();
    h.advance(Duration::from_secs(1));
    assert!(told(&h, Code::InviteSent));
    let call = h.view().call.clone().unwrap();
    assert_eq!(call.participants.len(), 1);
    assert_eq!(call.participants[0].extension, "1140002000");
    assert_eq!(
        label(&h),
        (Code::StatusConference, vec![("count", "1".to_owned())])
    );
}

#[test]
fn digits_a_schedule_and_a_transfer_are_confirmed() {
    let mut h = Harness::new("1001");
    h.join(97);
    h.inbound("1144445555", Some("0038d0000000002AAA".into()));
    h.command(Command::SendDtmf {
        digits: "12#".into(),
    })
    .unwrap();
    let sent = h
        .view()
        .warnings
        .iter()
        .find(|w| w.code == Code::DtmfSent)
        .cloned()
        .expect("the digits are confirmed");
    assert_eq!(sent.param("digits"), Some("12#"));
    h.advance(Duration::from_secs(10));
    assert!(!told(&h, Code::DtmfSent), "a confirmation leaves");

    h.command(Command::Transfer {
        target: TransferTarget::Queue(200),
        attended: false,
    })
    .unwrap();
    h.advance(Duration::from_secs(1));
    assert!(told(&h, Code::TransferDone), "{:?}", h.view().warnings);

    h.advance(Duration::from_secs(2));
    let at = h.wall() + chrono::Duration::hours(2);
    h.command(Command::Schedule {
        at: Some(at),
        agent_offset_minutes: 0,
        subcategory: Some(28),
        phone: String::new(),
        notes: String::new(),
        contact: None,
    })
    .unwrap();
    h.advance(Duration::from_secs(1));
    let accepted = h
        .view()
        .warnings
        .iter()
        .find(|w| w.code == Code::ScheduleAccepted)
        .cloned()
        .expect("the schedule is confirmed");
    assert_eq!(
        accepted.param("at"),
        Some(at.format("%d/%m/%Y %H:%M").to_string().as_str())
    );
}
