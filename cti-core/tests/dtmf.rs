//! F-DTMF: digits go to Neotel one `SendDtmf` per digit, and anything but `0-9*#` is refused
//! before a single request leaves the session.

mod common;

use std::time::Duration;

use common::Harness;
use cti_core::{Command, Input, Output, SessionError};
use neotel_api::{Reply, Request};

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
    assert!(matches!(refused, Err(SessionError::Refused(m)) if m.code == "noCall"));
    assert!(dtmf_sent(&h).is_empty());
}

/// The agent on a predictive call.
fn on_a_call() -> Harness {
    let mut h = Harness::new("1001");
    h.join(97);
    h.deliver(97);
    h.neotel.agent_answer(h.wall(), "1001").unwrap();
    h.advance(Duration::from_secs(1));
    h
}

#[test]
fn f_dtmf_one_request_per_digit_and_bad_digits_refused() {
    let mut h = on_a_call();

    for bad in ["12a", "", "1 2", "+5"] {
        let refused = h.command(Command::SendDtmf { digits: bad.into() });
        assert!(
            matches!(&refused, Err(SessionError::Refused(m)) if m.code == "badDtmf"),
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

/// NeoApi calls run concurrently at the edge, so a digit leaves only once the previous one
/// was answered: an IVR gets the digits in the order typed.
#[test]
fn f_dtmf_each_digit_waits_for_the_previous_answer() {
    let mut h = on_a_call();
    let now = h.now;
    h.session
        .handle_input(Input::Command(
            now,
            Command::SendDtmf {
                digits: "47".into(),
            },
        ))
        .unwrap();
    let mut sent = Vec::new();
    for expected in ["4", "7"] {
        let mut out = Vec::new();
        while let Some(o) = h.session.poll_output() {
            if let Output::NeoApi(id, Request::SendDtmf { digits, .. }) = o {
                out.push((id, digits));
            }
        }
        assert_eq!(out.len(), 1, "one digit at a time: {out:?}");
        let (id, digit) = out.remove(0);
        assert_eq!(digit, expected);
        sent.push(digit);
        h.session
            .handle_input(Input::NeoApi(now, id, Ok(Reply::Void)))
            .unwrap();
    }
    assert!(
        h.session
            .poll_output()
            .is_none_or(|o| !matches!(o, Output::NeoApi(_, Request::SendDtmf { .. })))
    );
    assert_eq!(sent, ["4", "7"]);
}

/// A digit NeoApi does not take stops the rest and says which were not sent.
#[test]
fn f_dtmf_a_fault_names_the_digits_not_sent() {
    let mut h = on_a_call();
    h.fail.push(("SendDTMF".into(), 1));
    h.command(Command::SendDtmf {
        digits: "123".into(),
    })
    .unwrap();
    assert_eq!(dtmf_sent(&h), ["1"], "nothing after the failed digit");
    let error = h.view().error.clone().expect("the agent is told");
    assert_eq!(error.code, "dtmfNotSent");
    assert_eq!(error.param("digits"), Some("23"), "{error:?}");
    // Typing again works.
    h.command(Command::SendDtmf {
        digits: "23".into(),
    })
    .unwrap();
    assert_eq!(dtmf_sent(&h), ["1", "2", "3"]);
}

/// One message of thousands of digits must not become thousands of `SendDtmf`: at most
/// `MAX_DTMF_DIGITS` are on their way at once, and more are refused with that number.
#[test]
fn f_dtmf_at_most_max_digits_at_a_time() {
    let mut h = on_a_call();
    let too_many = "1".repeat(cti_core::MAX_DTMF_DIGITS + 1);
    let refused = h.command(Command::SendDtmf {
        digits: too_many.clone(),
    });
    match &refused {
        Err(SessionError::Refused(m)) => {
            assert_eq!(m.code, "dtmfTooLong");
            assert_eq!(m.param("max"), Some("32"));
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(dtmf_sent(&h).is_empty(), "nothing sent");
    h.command(Command::SendDtmf {
        digits: "1".repeat(cti_core::MAX_DTMF_DIGITS),
    })
    .unwrap();
    assert_eq!(dtmf_sent(&h).len(), cti_core::MAX_DTMF_DIGITS);

    // Digits still queued count: of 30 typed, one leaves and 29 wait; 4 more are too many.
    let mut h = on_a_call();
    let now = h.now;
    h.session
        .handle_input(Input::Command(
            now,
            Command::SendDtmf {
                digits: "1".repeat(30),
            },
        ))
        .unwrap();
    let refused = h.session.handle_input(Input::Command(
        now,
        Command::SendDtmf {
            digits: "1234".into(),
        },
    ));
    assert!(
        matches!(&refused, Err(SessionError::Refused(m)) if m.code == "dtmfTooLong"),
        "{refused:?}"
    );
    h.session
        .handle_input(Input::Command(
            now,
            Command::SendDtmf {
                digits: "123".into(),
            },
        ))
        .unwrap();
}
