//! Random sequences of agent commands, platform changes and NeoApi faults against the
//! invariants: no panic, no `Dial` while a call is up, no `UpdateContact` without a contact,
//! a shown contact is updated or released before `CRM_Available`, at most one Task per call.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use common::Harness;
use cti_core::Command;
use neotel_sim::DeliverRequest;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Step {
    Do(Command),
    Deliver,
    AgentAnswer,
    CustomerHangup,
    Wait(u64),
    Fail(&'static str),
    /// Salesforce refuses the next Task save with this code.
    FailTask(&'static str),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        Just(Step::Do(Command::JoinCampaign { campaign: 97 })),
        Just(Step::Do(Command::LeaveCampaign)),
        (1i64..4).prop_map(|b| Step::Do(Command::Pause { break_id: b })),
        Just(Step::Do(Command::Unpause)),
        Just(Step::Do(Command::Dial {
            number: "1144445555".into()
        })),
        Just(Step::Do(Command::Hangup)),
        prop_oneof![Just(None), Just(Some(26)), Just(Some(27))].prop_map(|s| Step::Do(
            Command::Release {
                subcategory: s,
                notes: String::new()
            }
        )),
        Just(Step::Do(Command::Play)),
        "[0-9a#*]{0,3}".prop_map(|d| Step::Do(Command::SendDtmf { digits: d })),
        any::<bool>().prop_map(|attended| Step::Do(Command::Transfer {
            target: cti_core::TransferTarget::Phone("1140001000".into()),
            attended
        })),
        Just(Step::Do(Command::EndTransfer)),
        Just(Step::Do(Command::StartConference)),
        Just(Step::Do(Command::Invite {
            extension: "1140002000".into()
        })),
        Just(Step::Do(Command::EndConference)),
        Just(Step::Do(Command::SyncRecord)),
        Just(Step::Do(Command::SendText {
            channel: cti_core::TextChannel::Sms,
            phone: String::new(),
            text: "hola".into()
        })),
        Just(Step::Deliver),
        Just(Step::AgentAnswer),
        Just(Step::CustomerHangup),
        (100u64..20_000).prop_map(Step::Wait),
        prop_oneof![
            Just("UpdateContact"),
            Just("Position"),
            Just("CRM_Available"),
            Just("Dial")
        ]
        .prop_map(Step::Fail),
        prop_oneof![Just("SERVER_ERROR"), Just("TIMEOUT")].prop_map(Step::FailTask),
    ]
}

proptest! {
    // 256 by default keeps the suite quick; PROPTEST_CASES=5000 for a longer hunt.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256),
        ..ProptestConfig::default()
    })]

    #[test]
    fn invariants_hold_under_random_sequences(steps in prop::collection::vec(step(), 1..40)) {
        let mut h = Harness::new("1001");
        for s in steps {
            let before = h.requests.len();
            let in_call = h.view().call.is_some();
            let has_contact = h.view().contact.is_some();
            match s.clone() {
                Step::Do(c) => { let _ = h.command(c); }
                Step::Deliver => {
                    let _ = h.neotel.deliver_contact(
                        h.wall(),
                        &DeliverRequest { campaign: 97, ..Default::default() },
                    );
                }
                Step::AgentAnswer => { let _ = h.neotel.agent_answer(h.wall(), "1001"); }
                Step::CustomerHangup => {
                    if let Some(call) = h.view().call.as_ref().map(|c| c.id) {
                        let _ = h.neotel.customer_hangup(h.wall(), call);
                    }
                }
                Step::Wait(ms) => h.advance(Duration::from_millis(ms)),
                Step::Fail(m) => h.fail.push((m.to_string(), 1)),
                Step::FailTask(code) => h.fail_save_log.push_back(code),
            }
            let new: Vec<&str> = h.requests[before..].iter().map(|r| r.method()).collect();
            if in_call {
                prop_assert!(!new.contains(&"Dial"), "a Dial during a call: {new:?}");
            }
            if !has_contact && matches!(s, Step::Do(_)) {
                prop_assert!(
                    !new.contains(&"UpdateContact"),
                    "an UpdateContact without a contact: {new:?}"
                );
            }
        }
        // What Neotel accepted (the journal holds only calls that reached it): a contact shown
        // (CRM_ShowingContact) is updated, closed or scheduled before CRM_Available, and never
        // shown again once finished.
        let mut finished: HashSet<(String, String)> = HashSet::new();
        let mut open: HashSet<(String, String)> = HashSet::new();
        let accepted: Vec<&str> = h
            .neotel
            .journal()
            .iter()
            .filter(|e| e.status == 200)
            .map(|e| e.method.as_str())
            .collect();
        for e in h.neotel.journal().iter().filter(|e| e.status == 200) {
            let key = || {
                let p = |n: &str| e.params.get(n).cloned().unwrap_or_default();
                (p("BASE"), p("IDCONTACTO"))
            };
            if matches!(
                e.method.as_str(),
                "CRM_ShowingContact" | "UpdateContact" | "CloseContact" | "AddScheduleCall"
            ) {
                prop_assert!(!key().1.is_empty(), "the journal names the contact: {e:?}");
            }
            match e.method.as_str() {
                "CRM_ShowingContact" => {
                    prop_assert!(
                        !finished.contains(&key()),
                        "CRM_ShowingContact after the contact was finished: {accepted:?}"
                    );
                    open.insert(key());
                }
                "UpdateContact" | "CloseContact" | "AddScheduleCall" => {
                    open.remove(&key());
                    finished.insert(key());
                }
                "CRM_Available" => prop_assert!(
                    open.is_empty(),
                    "CRM_Available before the contact's UpdateContact: {accepted:?}"
                ),
                _ => {}
            }
        }
        // At most one Task per call.
        let mut per_call: HashMap<String, usize> = HashMap::new();
        for t in &h.tasks {
            let call = t.get("CallObject").map(ToString::to_string).unwrap_or_default();
            *per_call.entry(call).or_default() += 1;
        }
        prop_assert!(per_call.values().all(|n| *n <= 1), "several Tasks for one call: {per_call:?}");
    }
}
