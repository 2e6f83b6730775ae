//! F-DTMF: digits go to Neotel one `SendDtmf` per digit, and anything but `0-9*#` is refused
//! before a single request leaves the session.

mod common;

use std::time::Duration;

use common::Harness;
use cti_core::{Command, SessionError};
use neotel_api::Request;
use neotel_sim::DeliverRequest;

fn dtmf_sent(h: &Harness) -> Vec<String> {
    h.requests
        .iter()
        .filter_map(|r| match r {
            Request::SendDtmf { digits, .. } => Some(digits.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn f_dtmf_refused_without_a_call() {
    let mut h = Harness::new("1001");
    h.join(97);
    let refused = h.command(Command::SendDtmf { digits: "1".into() });
    assert!(matches!(refused, Err(SessionError::Refused(m)) if m.key == "noCall"));
    assert!(dtmf_sent(&h).is_empty());
}

#[test]
fn f_dtmf_one_request_per_digit_and_bad_digits_refused() {
    let mut h = Harness::new("1001");
    h.join(97);
    h.neotel
        .deliver_contact(
            h.wall(),
            &DeliverRequest {
                campaign: 97,
                ..Default::default()
            },
        )
        .unwrap();
    h.advance(Duration::from_secs(1));
    h.neotel.agent_answer(h.wall(), "1001").unwrap();
    h.advance(Duration::from_secs(1));

    for bad in ["12a", "", "1 2", "+5"] {
        let refused = h.command(Command::SendDtmf { digits: bad.into() });
        assert!(
            matches!(&refused, Err(SessionError::Refused(m)) if m.key == "badDtmf"),
            "{bad:?} must be refused, got {refused:?}"
        );
    }
    assert!(dtmf_sent(&h).is_empty(), "nothing sent for refused digits");

    h.command(Command::SendDtmf {
        digits: "9*#".into(),
    })
    .unwrap();
    assert_eq!(dtmf_sent(&h), ["9", "*", "#"], "one SendDtmf per digit");
}
