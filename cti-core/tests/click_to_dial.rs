//! W-CLICK2DIAL: a clicked phone is dialed with its digits; with `allowClickToDialSearch` and
//! no contact held, the record's Neotel CRM id and key find the contact first, which is then
//! categorized like a delivered one.

mod common;

use std::time::Duration;

use common::Harness;
use cti_core::{Command, SalesforceEvent};
use neotel_api::Request;
use sf_opencti::SalesforceAction;

fn click(h: &mut Harness, number: &str, record: &str, object: &str) {
    h.event(SalesforceEvent::ClickToDial {
        number: number.into(),
        record_id: Some(record.into()),
        object_type: Some(object.into()),
        record_name: None,
    });
    h.advance(Duration::from_secs(1));
}

/// The parameters of every find-contact task sent (idTask 6 in the default mapping).
fn find_contact(h: &Harness) -> Vec<Vec<String>> {
    h.requests
        .iter()
        .filter(|r| r.method().starts_with("ExecuteTask"))
        .map(|r| {
            r.params()
                .iter()
                .map(|p| p.value.to_string())
                .collect::<Vec<_>>()
        })
        .filter(|p| p.first().is_some_and(|id| id == "6"))
        .collect()
}

fn dialed(h: &Harness) -> Vec<String> {
    h.requests
        .iter()
        .filter_map(|r| match r {
            Request::Dial { phone, .. } => Some(phone.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn w_click2dial_search_takes_the_contact_then_its_disposition_reaches_neotel() {
    let mut h = Harness::new("1001");
    h.join(99);
    click(&mut h, "(011) 4100-7000", "0038d0000000001AAA", "Contact");
    assert!(
        h.effects.iter().any(|e| matches!(&e.action,
            SalesforceAction::RunApex { method_name, method_params, .. }
                if method_name == "getContactById" && method_params == "Id=0038d0000000001AAA")),
        "the record's Neotel fields are read"
    );
    assert_eq!(
        find_contact(&h),
        [vec!["6", "4", "0038d0000000001AAA"]],
        "find_contact(crm, key)"
    );
    assert_eq!(dialed(&h), ["01141007000"]);
    let view = h.view().clone();
    assert_eq!(view.info.contact_id, 1, "contact 1 of base 134 is held");
    assert_eq!(view.info.base_id, 134);
    assert_eq!(
        view.contact
            .as_ref()
            .and_then(|c| c.record.as_ref())
            .map(|r| r.id.as_str()),
        Some("0038d0000000001AAA")
    );

    h.command(Command::Hangup).unwrap();
    h.advance(Duration::from_secs(1));
    h.categorize(26);
    let outcome = h.neotel.outcomes().last().cloned().expect("an outcome");
    assert_eq!((outcome.base, outcome.contact_id), (134, 1));
    assert_eq!(outcome.subcategory_id, 26);
}

#[test]
fn w_click2dial_with_a_contact_held_only_dials() {
    let mut h = Harness::new("1001");
    h.join(97);
    h.inbound("1144445555", Some("0038d0000000002AAA".into()));
    h.command(Command::Hangup).unwrap();
    h.advance(Duration::from_secs(1));
    let before = h.count("ExecuteTask02");
    click(
        &mut h,
        "+54 9 11 6000-1000",
        "0038d0000000001AAA",
        "Contact",
    );
    assert_eq!(
        h.count("ExecuteTask02"),
        before,
        "no search while a contact is held"
    );
    assert_eq!(dialed(&h).len(), 1);
    assert_eq!(
        h.view().info.search_key,
        "0038d0000000002AAA",
        "the held contact stays"
    );
}

#[test]
fn w_click2dial_a_record_without_neotel_data_dials_with_a_warning() {
    let mut h = Harness::new("1001");
    h.join(99);
    click(&mut h, "1144445555", "0038d0000000999AAA", "Contact");
    assert_eq!(dialed(&h).len(), 1, "the click still dials");
    assert!(
        h.view()
            .warnings
            .iter()
            .any(|w| w.code == "contactNotFound")
    );
    assert_eq!(h.view().info.contact_id, 0, "no contact taken");
}

/// NeoApi does not answer the contact lookup: the agent still gets the call, told why it has
/// no contact.
#[test]
fn w_click2dial_a_failed_lookup_still_dials() {
    let mut h = Harness::new("1001");
    h.join(99);
    h.fail.push(("ExecuteTask02".into(), 1));
    click(&mut h, "(011) 4100-7000", "0038d0000000001AAA", "Contact");
    assert_eq!(find_contact(&h).len(), 1, "the lookup was tried");
    assert_eq!(dialed(&h), ["01141007000"]);
    assert!(h.view().contact.is_none());
    assert!(
        h.view()
            .warnings
            .iter()
            .any(|w| w.code == "contactLookupFailed"),
        "{:?}",
        h.view().warnings
    );
}
