//! F-SMS: with `allowTextMessage`, a text goes to the customer through the per-install task.

mod common;

use std::time::Duration;

use common::Harness;
use cti_core::{Command, SessionError, TextChannel};

fn with_texts(user: &str) -> Harness {
    let mut install = sf_callcenter::Install::default();
    install.options.allow_text_message = true;
    Harness::with_install(user, install)
}

#[test]
fn f_sms_a_text_to_the_caller_by_whatsapp() {
    let mut h = with_texts("1001");
    h.join(97);
    h.inbound("1144445555", Some("0038d0000000002AAA".into()));
    assert!(h.view().actions.send_text);
    h.command(Command::SendText {
        channel: TextChannel::Whatsapp,
        phone: String::new(),
        text: "Le enviamos el presupuesto".into(),
    })
    .unwrap();
    h.advance(Duration::from_secs(1));
    let sent = h
        .requests
        .iter()
        .rfind(|r| r.method() == "ExecuteTask04")
        .expect("ExecuteTask04 sent");
    let params: Vec<String> = sent.params().iter().map(|p| p.value.to_string()).collect();
    assert_eq!(
        params,
        [
            "5",
            "1001",
            "1144445555",
            "whatsapp",
            "Le enviamos el presupuesto"
        ],
        "the call's number when none is typed"
    );
    assert!(h.view().warnings.iter().any(|w| w.code == "textSent"));
}

#[test]
fn f_sms_off_by_default_and_empty_texts_refused() {
    let mut h = Harness::new("1001");
    h.join(97);
    h.inbound("1144445555", Some("0038d0000000002AAA".into()));
    assert!(!h.view().actions.send_text);
    assert!(matches!(
        h.command(Command::SendText { channel: TextChannel::Sms, phone: String::new(), text: "hola".into() }),
        Err(SessionError::Refused(m)) if m.code == "textOff"
    ));
    let mut h = with_texts("1002");
    h.join(97);
    h.inbound("1144445555", Some("0038d0000000002AAA".into()));
    assert!(matches!(
        h.command(Command::SendText { channel: TextChannel::Sms, phone: String::new(), text: "  ".into() }),
        Err(SessionError::Refused(m)) if m.code == "textIncomplete"
    ));
    assert_eq!(h.count("ExecuteTask04"), 0);
}

/// A text NeoApi does not take is named, and the agent can send it again.
#[test]
fn f_sms_a_fault_is_named_and_sending_again_works() {
    let mut h = with_texts("1001");
    h.join(97);
    h.inbound("1144445555", None);
    h.fail.push(("ExecuteTask04".into(), 1));
    let text = || Command::SendText {
        channel: TextChannel::Sms,
        phone: String::new(),
        text: "Su turno es el lunes".into(),
    };
    h.command(text()).unwrap();
    h.advance(Duration::from_secs(1));
    assert!(h.view().error.is_some());
    assert!(!h.view().warnings.iter().any(|w| w.code == "textSent"));
    h.command(text()).unwrap();
    h.advance(Duration::from_secs(1));
    assert!(h.view().warnings.iter().any(|w| w.code == "textSent"));
    assert_eq!(h.count("ExecuteTask04"), 2);
}
