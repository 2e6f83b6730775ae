//! An agent's day in the browser, on the paths that once wrote wrong data into Salesforce or
//! Neotel: a new-record window cancelled over an existing record, two contacts in a row, the
//! Salesforce tab navigating elsewhere, a click-to-dial search, a manual call, a users list
//! that must refresh, and a reload that must keep the agent's size and language.

mod browser;

use browser::Stack;
use serde_json::{Value, json};

const MARIA: &str = "0038d0000000001AAA";
const JOSE: &str = "0038d0000000002AAA";

/// Delivers a predictive contact to 1001 and waits for its pop; returns the delivery.
async fn predictive_call(s: &Stack) -> Value {
    let delivered = s
        .sim_post(
            "/sim/dialer/deliver",
            json!({"campaign": 97, "user": "1001"}),
        )
        .await;
    let record = delivered["data"].clone();
    s.wait_standin("lastPop()", |p| p["params"]["recordId"] == record)
        .await;
    s.softphone().await;
    s.wait_status("En llamado").await;
    delivered
}

async fn hang_up(s: &Stack, delivered: &Value) {
    s.sim_post(
        &format!("/sim/calls/{}/hangup", delivered["call_id"]),
        json!({}),
    )
    .await;
    s.softphone().await;
    s.wait_status("Fin de llamado").await;
}

/// The record `id` as the stand-in's org holds it.
async fn record(s: &Stack, id: &str) -> Value {
    let records = s.standin("records()").await;
    records
        .as_array()
        .and_then(|r| r.iter().find(|r| r["Id"] == id).cloned())
        .expect("the record exists")
}

/// The softphone server's `/metrics` value of `name` (the frame's origin is the server's).
async fn metric(s: &Stack, name: &str) -> f64 {
    s.console().await;
    let src = s
        .js(
            "return document.querySelector('[data-testid=softphone-frame-0]').src;",
            vec![],
        )
        .await;
    let origin = reqwest::Url::parse(src.as_str().expect("the frame's URL"))
        .expect("a URL")
        .origin()
        .ascii_serialization();
    let text = reqwest::get(format!("{origin}/metrics"))
        .await
        .expect("the server answers")
        .text()
        .await
        .expect("metrics text");
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in /metrics:\n{text}"))
}

/// W-SYNC: the new-record window opens over María's record and the agent cancels it. María's
/// record is untouched, the caller's Task is not filed under her, and the sync button says no
/// record has the pre-filled id yet.
#[tokio::test]
async fn w_sync_cancel_over_an_existing_record_links_nothing() {
    let Some(s) = Stack::start("agent-day-cancel").await else {
        return;
    };
    s.login_and_join("1001", 97).await;
    s.standin(&format!("navigateTo('{MARIA}')")).await;
    let before = record(&s, MARIA).await;
    let inbound = s
        .sim_post(
            "/sim/inbound",
            json!({"queue": 200, "ani": "1155554444", "data": ""}),
        )
        .await;
    let modal = s.wait_standin("modal()", |m| !m.is_null()).await;
    let sync_id = modal["values"]["neoSyncId__c"]
        .as_str()
        .expect("a fresh neoSyncId__c")
        .to_owned();
    s.console().await;
    s.click("[data-modal=cancel]").await;
    s.wait_standin("modal()", |m| m.is_null()).await;
    // The window closed over María's page: Salesforce tells the softphone so.
    s.wait_standin("view()", |v| v["recordId"] == MARIA).await;

    s.softphone().await;
    s.wait_text("[data-testid=sync-text]", |t| t.contains("sin sincronizar"))
        .await;
    s.act("sync").await;
    s.wait_text("[data-testid=notice]", |t| {
        t.contains("Todavía no hay un registro") && t.contains(&sync_id)
    })
    .await;
    s.screenshot("agent-day-cancel-sync").await;
    assert_eq!(s.text("[data-testid=record]").await, "", "no record linked");

    s.sim_post(
        &format!("/sim/calls/{}/hangup", inbound["call_id"]),
        json!({}),
    )
    .await;
    s.softphone().await;
    s.wait_status("Fin de llamado").await;
    s.act("release").await;
    s.wait_journal("UpdateContact", |_| true).await;
    let tasks = s
        .wait_standin("tasks()", |t| t.as_array().is_some_and(|t| !t.is_empty()))
        .await;
    assert!(
        tasks
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["WhoId"] != MARIA && t["WhatId"] != MARIA),
        "the caller's Task is not María's: {tasks}"
    );
    assert_eq!(
        record(&s, MARIA).await,
        before,
        "María's record is untouched"
    );
    s.stop().await;
}

/// Two contacts in a row: what was typed for the first (notes, schedule date, other phone)
/// is not on the second's form, and neither reaches its Task or Neotel.
#[tokio::test]
async fn the_second_contacts_form_is_empty() {
    let Some(s) = Stack::start("agent-day-two-contacts").await else {
        return;
    };
    s.login_and_join("1001", 97).await;
    let first = predictive_call(&s).await;
    hang_up(&s, &first).await;
    s.fill(
        "[data-testid=notes]",
        "Pide que lo llamen mañana a las 10:30",
    )
    .await;
    s.fill("[data-testid=when-phone]", "1155550000").await;
    s.js(
        "var e = document.querySelector('[data-testid=when]'); e.value = '2030-01-02T10:30';
         e.dispatchEvent(new Event('input', {bubbles: true}));",
        vec![],
    )
    .await;
    s.act("release").await;
    s.wait_journal("UpdateContact", |e| {
        e["params"]["XML_UPDATE"] == "Pide que lo llamen mañana a las 10:30"
    })
    .await;
    s.softphone().await;
    s.act("play").await;
    s.wait_status("Disponible").await;

    let second = predictive_call(&s).await;
    hang_up(&s, &second).await;
    for field in ["notes", "when", "when-phone"] {
        let value = s
            .js(
                &format!("return document.querySelector('[data-testid={field}]').value;"),
                vec![],
            )
            .await;
        assert_eq!(value, json!(""), "the second contact's {field} is empty");
    }
    s.screenshot("agent-day-second-contact").await;
    s.act("release").await;
    let second_contact = second["contact_id"].to_string();
    let second_call = second["call_id"].to_string();
    let update = s
        .wait_journal("UpdateContact", |e| {
            e["params"]["IDCONTACTO"] == second_contact.as_str()
        })
        .await;
    assert_eq!(update["params"]["XML_UPDATE"], "", "{update}");
    let tasks = s
        .wait_standin("tasks()", |t| t.as_array().is_some_and(|t| t.len() == 2))
        .await;
    let second_task = tasks
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["CallObject"] == second_call.as_str())
        .cloned()
        .expect("the second call's Task");
    assert!(
        !second_task["Description"]
            .as_str()
            .unwrap_or_default()
            .contains("mañana"),
        "{second_task}"
    );
    s.stop().await;
}

/// The Salesforce tab navigates to another URL while logged in: the next contact pops, its
/// Task is saved, click-to-dial works, and only the open page's connection is left.
#[tokio::test]
async fn after_a_navigation_salesforce_actions_go_on() {
    let Some(s) = Stack::start("agent-day-navigation").await else {
        return;
    };
    s.login_and_join("1001", 97).await;
    for n in 1..=2 {
        s.client
            .goto(&format!("{}?visit={n}", s.standin_url))
            .await
            .expect("the tab navigates");
        s.console().await;
        s.wait_js(
            "the stand-in's org",
            "return window.standin && window.standin.ready === true",
            |v| v == &json!(true),
        )
        .await;
        s.softphone().await;
        s.wait_status("Disponible").await;
    }
    s.wait_standin("clickToDialEnabled()", |v| v == &json!(true))
        .await;
    let delivered = predictive_call(&s).await;
    s.wait_journal("CRM_ShowingContact", |_| true).await;
    hang_up(&s, &delivered).await;
    s.select("[data-testid=category]", "26").await;
    s.act("categorize").await;
    let call = delivered["call_id"].to_string();
    s.wait_standin("tasks()", |t| {
        t.as_array()
            .is_some_and(|t| t.iter().any(|t| t["CallObject"] == call.as_str()))
    })
    .await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut connections = metric(&s, "cti_connections").await;
    while connections != 1.0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        connections = metric(&s, "cti_connections").await;
    }
    assert_eq!(connections, 1.0, "one page open, one connection");
    s.stop().await;
}

/// W-CLICK2DIAL search: clicking José's phone takes his Neotel contact: his name shows, no
/// error, no `CRM_ShowingContact` (Neotel did not deliver that contact), and his Task is his.
#[tokio::test]
async fn click_to_dial_search_shows_the_records_name_and_no_error() {
    let Some(s) = Stack::start("agent-day-click-search").await else {
        return;
    };
    s.login_and_join("1001", 97).await;
    s.wait_standin("clickToDialEnabled()", |v| v == &json!(true))
        .await;
    s.standin(&format!("navigateTo('{JOSE}')")).await;
    s.console().await;
    s.click(&format!("[data-testid='phone-{JOSE}-Phone']"))
        .await;
    s.wait_journal("Dial", |_| true).await;
    s.softphone().await;
    s.wait_text("[data-testid=record]", |t| t.contains("José Rodríguez"))
        .await;
    s.screenshot("agent-day-click-search").await;
    assert_eq!(s.text("[data-testid=error]").await, "");
    assert!(s.calls_of("CRM_ShowingContact").await.is_empty());
    s.act("hangup").await;
    s.wait_status("Fin de llamado").await;
    s.act("release").await;
    s.wait_journal("UpdateContact", |_| true).await;
    s.wait_standin("tasks()", |t| {
        t.as_array()
            .is_some_and(|t| t.iter().any(|t| t["WhoId"] == JOSE))
    })
    .await;
    s.softphone().await;
    assert_eq!(s.text("[data-testid=error]").await, "");
    s.stop().await;
}

/// F-MANUAL: a manual call says so, and offers neither a break nor leaving the campaign.
#[tokio::test]
async fn a_manual_call_is_a_call() {
    let Some(s) = Stack::start("agent-day-manual").await else {
        return;
    };
    s.login_and_join("1001", 97).await;
    s.fill("[data-testid=number]", "1144445555").await;
    s.act("dial").await;
    s.wait_status("1144445555").await;
    for act in ["takeBreak", "leave"] {
        let disabled = s
            .js(
                &format!("return document.querySelector('[data-act={act}]').disabled;"),
                vec![],
            )
            .await;
        assert_eq!(disabled, json!(true), "{act} during a manual call");
    }
    s.screenshot("agent-day-manual-call").await;
    s.act("hangup").await;
    s.wait_status("Disponible").await;
    s.stop().await;
}

/// F-XFER: the users list is read again while offered: a user who logs in later appears, in
/// words, and the agent never lists itself.
#[tokio::test]
async fn the_users_list_refreshes_while_offered() {
    let Some(s) = Stack::start("agent-day-users").await else {
        return;
    };
    s.login_and_join("1001", 97).await;
    predictive_call(&s).await;
    s.open_panel("transfer").await;
    s.select("[data-testid=xfer-to]", "user").await;
    let options = "return Array.prototype.map.call(document.querySelectorAll('[data-testid=xfer-user] option'), function (o) { return o.value + '|' + o.textContent; });";
    let listed = s.js(options, vec![]).await;
    let listed: Vec<String> = serde_json::from_value(listed).unwrap();
    assert!(
        listed
            .iter()
            .all(|o| !o.starts_with("1001|") && !o.starts_with("1002|")),
        "neither the agent nor an offline user: {listed:?}"
    );
    s.neoapi_login("1002").await;
    s.softphone().await;
    let listed = s
        .wait_js("1002 offered once logged in", options, |v| {
            v.as_array().is_some_and(|o| {
                o.iter()
                    .any(|o| o.as_str().is_some_and(|o| o.starts_with("1002|")))
            })
        })
        .await;
    let entry = listed
        .as_array()
        .unwrap()
        .iter()
        .find_map(|o| o.as_str().filter(|o| o.starts_with("1002|")))
        .unwrap()
        .to_owned();
    assert!(entry.contains("Disponible"), "{entry}");
    s.screenshot("agent-day-users").await;
    s.stop().await;
}

/// F-CONFIG and the language: a reload keeps the panel's size and the agent's language,
/// the utility bar's label included.
#[tokio::test]
async fn a_reload_keeps_size_and_language() {
    let Some(s) = Stack::start("agent-day-reload").await else {
        return;
    };
    s.login_and_join("1001", 97).await;
    s.open_panel("settings").await;
    s.fill("[data-testid=set-width]", "800").await;
    s.fill("[data-testid=set-height]", "500").await;
    s.act("saveSettings").await;
    s.wait_standin("panel()", |p| p["width"] == 800 && p["height"] == 500)
        .await;
    s.softphone().await;
    s.click("[data-testid=lang]").await;
    s.wait_status("Available").await;
    s.wait_standin("panel()", |p| p["label"] == "Available")
        .await;

    s.console().await;
    s.client.refresh().await.expect("the tab reloads");
    s.open_standin().await;
    s.softphone().await;
    s.wait_status("Available").await;
    s.wait_standin("panel()", |p| {
        p["width"] == 800 && p["height"] == 500 && p["label"] == "Available"
    })
    .await;
    s.softphone().await;
    s.wait_text("[data-testid=primary]", |t| {
        t.contains("Play") || t.is_empty()
    })
    .await;
    s.open_panel("campaign").await;
    let pause = s.text("[data-act=takeBreak]").await;
    assert_eq!(
        pause, "Take a break",
        "the page speaks English after the reload"
    );
    s.screenshot("agent-day-reload-english").await;
    s.stop().await;
}
