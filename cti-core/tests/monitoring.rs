//! F-MONITOR: a supervisor lists the users, listens or assists one, and ends; an agent cannot.

mod common;

use std::time::Duration;

use common::Harness;
use cti_core::{Command, MonitorMode, SessionError};
use neotel_api::Request;

fn tasks(h: &Harness) -> Vec<Request> {
    h.requests
        .iter()
        .filter(|r| r.method().starts_with("ExecuteTask"))
        .cloned()
        .collect()
}

/// Another agent logs into Neotel (the supervisor monitors someone working).
fn agent_logged_in(h: &mut Harness, user: &str) {
    let params = [
        ("DEVICE", format!("SIP/{user}")),
        ("USUARIO", user.into()),
        ("CLAVE", user.into()),
    ]
    .map(|(k, v)| (k.to_owned(), v));
    let wall = h.wall();
    h.neotel
        .call(wall, "Login", &params)
        .expect("the agent logs in");
}

#[test]
fn f_monitor_a_supervisor_listens_then_ends() {
    let mut h = Harness::new("9000");
    agent_logged_in(&mut h, "1001");
    h.advance(Duration::from_secs(1));
    // The supervisor opens the monitoring panel: the users are read again and listed.
    h.command(Command::WatchUsers { watching: true }).unwrap();
    h.advance(Duration::from_secs(1));
    let users = &h.view().lists.users;
    assert!(users.iter().any(|u| u.user == "1001"), "{users:?}");
    assert!(h.view().actions.monitor, "a supervisor may monitor");
    let before = tasks(&h).len();
    h.command(Command::Monitor {
        user: "1001".into(),
        mode: MonitorMode::Listen,
    })
    .unwrap();
    h.advance(Duration::from_secs(1));
    let sent = tasks(&h);
    assert_eq!(sent.len(), before + 1);
    let params: Vec<String> = sent[before]
        .params()
        .iter()
        .map(|p| p.value.to_string())
        .collect();
    assert_eq!(
        params,
        ["2", "9000", "1001", "listen"],
        "idTask then the parameters"
    );
    let monitoring = h
        .view()
        .monitoring
        .clone()
        .unwrap_or_else(|| panic!("monitoring: {:?}", h.view().error));
    assert_eq!(
        (monitoring.user.as_str(), monitoring.mode),
        ("1001", MonitorMode::Listen)
    );
    assert!(h.view().actions.end_monitor && !h.view().actions.monitor);

    h.command(Command::EndMonitor).unwrap();
    h.advance(Duration::from_secs(1));
    assert!(h.view().monitoring.is_none());
    let last: Vec<String> = tasks(&h)
        .last()
        .unwrap()
        .params()
        .iter()
        .map(|p| p.value.to_string())
        .collect();
    assert_eq!(last, ["3", "9000"]);
}

#[test]
fn f_monitor_an_agent_is_refused_and_nothing_is_sent() {
    let mut h = Harness::new("1001");
    h.advance(Duration::from_secs(1));
    assert!(!h.view().actions.monitor);
    let before = tasks(&h).len();
    assert!(matches!(
        h.command(Command::Monitor { user: "1002".into(), mode: MonitorMode::Assist }),
        Err(SessionError::Refused(m)) if m.code == "notSupervisor"
    ));
    assert_eq!(tasks(&h).len(), before);
}

#[test]
fn f_monitor_a_user_not_logged_in_is_named_and_nothing_is_monitored() {
    let mut h = Harness::new("9000");
    h.advance(Duration::from_secs(1));
    h.command(Command::Monitor {
        user: "1003".into(),
        mode: MonitorMode::Listen,
    })
    .unwrap();
    h.advance(Duration::from_secs(1));
    assert!(h.view().monitoring.is_none());
    let error = h.view().error.clone().expect("the supervisor is told");
    assert_eq!(error.code, "monitoredNotLogged", "{error:?}");
    assert!(!h.ended, "the supervisor's own session goes on");
}

#[test]
fn f_monitor_a_fault_is_shown_and_nothing_is_monitored() {
    let mut h = Harness::new("9000");
    agent_logged_in(&mut h, "1001");
    h.advance(Duration::from_secs(1));
    h.fail.push(("ExecuteTask03".into(), 1));
    h.command(Command::Monitor {
        user: "1001".into(),
        mode: MonitorMode::Assist,
    })
    .unwrap();
    h.advance(Duration::from_secs(1));
    assert!(h.view().monitoring.is_none());
    assert!(h.view().error.is_some(), "the supervisor is told");
    assert!(h.view().actions.monitor, "and may try again");
}
