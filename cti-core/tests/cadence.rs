//! Issue 28: how urgently each session needs its next look at Neotel, from its state alone, and
//! the poll that follows it: the next `Position` moves as soon as an input changes the urgency,
//! at the interval the cadence (the server's share of its NeoApi budget) gives that urgency.
//! Fake time: polls are counted over windows, nothing is timed.

mod common;

use std::time::Duration;

use common::Harness;
use cti_core::{Cadence, Command, TransferTarget, Urgency};
use neotel_api::Request;
use neotel_sim::DeliverRequest;

/// The cadence these tests give: a delivery looked for every 100 ms, a call every second, a
/// quiet agent every 3 s.
fn cadence() -> Cadence {
    Cadence::quickest(Duration::from_secs(1))
}

/// `Position` polls sent while fake time moves `by`.
fn polls_in(h: &mut Harness, by: Duration) -> usize {
    let before = h.count("Position");
    h.advance(by);
    h.count("Position") - before
}

fn delivered_contact(h: &mut Harness, user: &str) {
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
}

#[test]
fn the_urgency_follows_the_agents_state_through_a_day() {
    let mut h = Harness::new("1001");
    assert_eq!(
        h.session.urgency(),
        Urgency::Delivery,
        "no campaign: a queue's call reaches an agent in none (W-INBOUND)"
    );

    h.join(97);
    assert_eq!(
        h.session.urgency(),
        Urgency::Delivery,
        "available in a campaign: a contact may come any moment"
    );

    // W-PREDICTIVE: delivered, the agent's phone rings; no search until it answers.
    delivered_contact(&mut h, "1001");
    assert!(h.view().call.as_ref().is_some_and(|c| !c.bridged));
    assert_eq!(
        h.session.urgency(),
        Urgency::Delivery,
        "a call being set up"
    );
    h.neotel.agent_answer(h.wall(), "1001").unwrap();
    h.advance(Duration::from_secs(1));
    assert!(h.view().call.as_ref().is_some_and(|c| c.bridged));
    assert_eq!(h.session.urgency(), Urgency::Call, "talking");

    // F-XFER: a consult leg is a call being set up.
    h.command(Command::Transfer {
        target: TransferTarget::Phone("1140001000".into()),
        attended: true,
    })
    .unwrap();
    h.advance(Duration::from_secs(4));
    assert!(h.view().transfer.is_some());
    assert_eq!(h.session.urgency(), Urgency::Delivery, "consulting");
    h.command(Command::EndTransfer).unwrap();
    h.advance(Duration::from_secs(2));
    assert!(h.view().transfer.is_none());
    assert_eq!(h.session.urgency(), Urgency::Call, "back with the customer");

    // The customer hangs up: wrap-up, then released, hold the agent until Play.
    let call = h.view().call.as_ref().unwrap().id;
    h.neotel.customer_hangup(h.wall(), call).unwrap();
    h.advance(Duration::from_secs(1));
    assert_eq!(h.view().status, cti_core::AgentStatus::WrapUp);
    assert_eq!(h.session.urgency(), Urgency::Quiet, "wrap-up");
    h.categorize(26);
    assert_eq!(h.view().status, cti_core::AgentStatus::Released);
    assert_eq!(h.session.urgency(), Urgency::Quiet, "released");
    h.command(Command::Play).unwrap();
    h.advance(Duration::from_secs(1));
    assert_eq!(h.view().status, cti_core::AgentStatus::Available);
    assert_eq!(h.session.urgency(), Urgency::Delivery, "available again");

    // F-BREAK.
    h.command(Command::TakeBreak { break_id: 1 }).unwrap();
    h.advance(Duration::from_secs(1));
    assert_eq!(h.view().status, cti_core::AgentStatus::OnBreak);
    assert_eq!(h.session.urgency(), Urgency::Quiet, "on a break");
    h.command(Command::EndBreak).unwrap();
    h.advance(Duration::from_secs(1));
    assert_eq!(h.session.urgency(), Urgency::Delivery);

    // F-MANUAL: dialing is a call being set up; no contact.
    h.command(Command::Dial {
        number: "1140001000".into(),
    })
    .unwrap();
    h.advance(Duration::from_millis(500));
    assert!(h.view().call.as_ref().is_some_and(|c| !c.bridged));
    assert_eq!(h.session.urgency(), Urgency::Delivery, "dialing");
}

#[test]
fn each_urgency_is_polled_at_its_interval() {
    let mut h = Harness::new("1001");
    h.session.set_cadence(cadence(), h.now);
    h.advance(Duration::from_secs(1));
    h.join(97);
    let delivery = polls_in(&mut h, Duration::from_secs(3));
    assert!((29..=31).contains(&delivery), "{delivery} polls in 3 s");

    // On a break: every 3 s (10 ± the grid's edge in 30 s).
    h.command(Command::TakeBreak { break_id: 1 }).unwrap();
    h.advance(Duration::from_secs(1));
    let quiet = polls_in(&mut h, Duration::from_secs(30));
    assert!((9..=11).contains(&quiet), "{quiet} polls in 30 s, quiet");
    h.command(Command::EndBreak).unwrap();
    h.advance(Duration::from_secs(1));

    delivered_contact(&mut h, "1001");
    h.neotel.agent_answer(h.wall(), "1001").unwrap();
    h.advance(Duration::from_secs(1));
    assert_eq!(h.session.urgency(), Urgency::Call);
    let call = polls_in(&mut h, Duration::from_secs(10));
    assert!((9..=11).contains(&call), "{call} polls in 10 s, on a call");
}

#[test]
fn the_next_poll_moves_when_the_urgency_changes() {
    let mut h = Harness::new("1001");
    h.session.set_cadence(cadence(), h.now);
    h.join(97);
    h.command(Command::TakeBreak { break_id: 1 }).unwrap();
    h.advance(Duration::from_secs(4));
    assert_eq!(h.session.urgency(), Urgency::Quiet);

    // A supervisor ends the break in Neotel: the quiet poll (within 3 s) sees it, and the
    // next one comes a delivery's interval later, not a quiet one's.
    h.neotel
        .call(
            h.wall(),
            "Unpause",
            &[("USUARIO".to_owned(), "1001".to_owned())],
        )
        .unwrap();
    let mut waited = Duration::ZERO;
    while h.session.urgency() == Urgency::Quiet {
        h.advance(Duration::from_millis(50));
        waited += Duration::from_millis(50);
        assert!(
            waited <= Duration::from_secs(3),
            "a quiet agent looks every 3 s"
        );
    }
    let after = polls_in(&mut h, Duration::from_secs(1));
    assert!(
        (9..=11).contains(&after),
        "{after} polls in the second after"
    );

    // The customer hangs up: from a call's interval to a quiet one's at once.
    delivered_contact(&mut h, "1001");
    h.neotel.agent_answer(h.wall(), "1001").unwrap();
    h.advance(Duration::from_secs(1));
    let call = h.view().call.as_ref().unwrap().id;
    h.neotel.customer_hangup(h.wall(), call).unwrap();
    h.advance(Duration::from_secs(1));
    assert_eq!(h.session.urgency(), Urgency::Quiet);
    let wrap_up = polls_in(&mut h, Duration::from_secs(9));
    assert!(
        (2..=4).contains(&wrap_up),
        "{wrap_up} polls in 9 s of wrap-up"
    );
}

#[test]
fn a_new_cadence_moves_the_next_poll_at_once() {
    let mut h = Harness::new("1001");
    h.join(97);
    // Alone (no share given yet), an available agent looks once a second.
    let alone = polls_in(&mut h, Duration::from_secs(10));
    assert!((9..=11).contains(&alone), "{alone} polls in 10 s alone");
    // The server's budget allows its quickest: the next poll within 100 ms, not the second.
    h.session.set_cadence(cadence(), h.now);
    let quick = polls_in(&mut h, Duration::from_millis(150));
    assert!(quick >= 1, "the next poll moved to the new interval");
    // Then a short budget slows every urgency alike, the next poll too.
    h.session.set_cadence(cadence().slowed(5.0), h.now);
    let every = cadence().slowed(5.0).interval(Urgency::Delivery);
    assert_eq!(every.as_millis(), 500);
    let slowed = polls_in(&mut h, Duration::from_secs(10));
    assert!((19..=21).contains(&slowed), "{slowed} polls in 10 s slowed");
    // Only polls: the cadence sends nothing else.
    assert!(
        h.requests[h.requests.len() - slowed..]
            .iter()
            .all(|r| matches!(r, Request::Position { .. }))
    );
}

#[test]
fn the_urgencies_keep_their_ratios_whatever_the_slowdown() {
    let base = Duration::from_secs(1);
    let quickest = Cadence::quickest(base);
    assert_eq!(
        Urgency::ALL.map(|u| quickest.interval(u).as_micros()),
        [100_000, 1_000_000, 3_000_000]
    );
    let alone = Cadence::alone(base);
    assert_eq!(
        Urgency::ALL.map(|u| alone.interval(u)),
        [base, base, Duration::from_secs(3)],
        "alone, never more than one poll per interval"
    );
    for times in [1.0, 1.37, 4.0, 20.0] {
        let c = quickest.slowed(times);
        let ratio = |u| c.interval(u).as_secs_f64() / c.interval(Urgency::Call).as_secs_f64();
        assert!((ratio(Urgency::Delivery) - 0.1).abs() < 1e-6);
        assert!((ratio(Urgency::Quiet) - 3.0).abs() < 1e-6);
    }
    // A slowdown is never a speed-up, and never past the most.
    assert_eq!(quickest.slowed(0.5), quickest);
    assert_eq!(
        quickest.slowed(1e9).interval(Urgency::Call),
        base.mul_f64(Cadence::MAX_SLOWDOWN)
    );
}
