//! Browser end-to-end scenarios: a person's clicks in the softphone inside the Lightning
//! stand-in, asserted on what the stand-in shows and on what the simulator's NeoApi journal got.

mod browser;

use browser::Stack;
use serde_json::json;

/// W-PREDICTIVE, F-RELEASE, W-ACTIVITY, F-PLAY: the demo's main path.
#[tokio::test]
async fn predictive_call_pops_the_record_and_the_disposition_reaches_both_sides() {
    let Some(s) = Stack::start("predictive").await else {
        return;
    };
    s.login_and_join("1001", 97).await;
    let delivered = s
        .sim_post(
            "/sim/dialer/deliver",
            json!({"campaign": 97, "user": "1001"}),
        )
        .await;
    let record = delivered["data"]
        .as_str()
        .expect("the contact's key")
        .to_owned();

    // The agent's phone answers; the record pops in the console.
    let pop = s
        .wait_standin("lastPop()", |p| p["params"]["recordId"] == json!(record))
        .await;
    assert_eq!(pop["type"], "sobject", "{pop}");
    s.softphone().await;
    s.wait_status("En llamado").await;
    s.screenshot("predictive-popped").await;

    // The customer hangs up; the agent categorizes as "Venta concretada" and presses Play.
    s.sim_post(
        &format!("/sim/calls/{}/hangup", delivered["call_id"]),
        json!({}),
    )
    .await;
    s.softphone().await;
    s.wait_status("Fin de llamado").await;
    s.select("[data-testid=category]", "26").await;
    s.fill("[data-testid=notes]", "Vendido plan anual").await;
    s.act("categorize").await;
    let update = s
        .wait_journal("UpdateContact", |e| e["params"]["SUBCATEGORIA"] == "26")
        .await;
    assert_eq!(update["params"]["USUARIO"], "1001", "{update}");
    let tasks = s
        .wait_standin("tasks()", |t| {
            t.as_array().is_some_and(|t| {
                t.iter().any(|t| {
                    t["CallDisposition"]
                        .as_str()
                        .is_some_and(|d| d.contains("Venta concretada"))
                })
            })
        })
        .await;
    let tasks = tasks.as_array().expect("tasks");
    assert_eq!(tasks.len(), 1, "one Task per call: {tasks:?}");
    assert_eq!(tasks[0]["WhoId"], json!(record));
    s.softphone().await;
    s.wait_status("presione Play").await;
    s.axe("released").await;
    s.act("play").await;
    s.wait_status("Disponible").await;
    s.wait_journal("CRM_Available", |_| true).await;
    let journal = s.journal().await;
    let at = |m: &str| journal.iter().rposition(|e| e["method"] == m);
    assert!(
        at("UpdateContact") < at("CRM_Available"),
        "UpdateContact comes before CRM_Available"
    );
    s.console().await;
    s.wait_element("[data-testid=timeline]").await;
    s.screenshot("predictive-categorized").await;
    s.stop().await;
}

/// Delivers a predictive contact to `user` and waits for its record to pop; returns the
/// delivery (`call_id`, `contact_id`, `data`).
async fn predictive_call(s: &Stack, user: &str) -> serde_json::Value {
    let delivered = s
        .sim_post("/sim/dialer/deliver", json!({"campaign": 97, "user": user}))
        .await;
    let record = delivered["data"].clone();
    s.wait_standin("lastPop()", |p| p["params"]["recordId"] == record)
        .await;
    s.softphone().await;
    s.wait_status("En llamado").await;
    delivered
}

/// The customer hangs up; the softphone offers the release.
async fn customer_hangs_up(s: &Stack, delivered: &serde_json::Value) {
    s.sim_post(
        &format!("/sim/calls/{}/hangup", delivered["call_id"]),
        json!({}),
    )
    .await;
    s.softphone().await;
    s.wait_status("Fin de llamado").await;
}

/// W-INBOUND: the IVR's CLAVESF is split at its first `-`; the key finds the record.
#[tokio::test]
async fn inbound_call_with_clavesf_pops_the_record_its_key_names() {
    let Some(s) = Stack::start("inbound").await else {
        return;
    };
    s.login_and_join("1001", 97).await;
    let inbound = s
        .sim_post(
            "/sim/inbound",
            json!({"queue": 200, "ani": "1144445555", "data": "0038d0000000002AAA"}),
        )
        .await;
    assert_eq!(inbound["user"], "1001", "{inbound}");
    let pop = s
        .wait_standin("lastPop()", |p| {
            p["params"]["recordId"] == "0038d0000000002AAA"
        })
        .await;
    assert_eq!(pop["type"], "sobject");
    s.softphone().await;
    s.open_panel("info").await;
    s.wait_text("[data-testid=info-searchKey]", |t| {
        t == "0038d0000000002AAA"
    })
    .await;
    let contact = s.text("[data-testid=info-contactId]").await;
    assert_eq!(contact, inbound["contact_id"].to_string(), "{inbound}");
    assert!(
        inbound["clavesf"]
            .as_str()
            .is_some_and(|c| c == format!("{contact}-0038d0000000002AAA")),
        "{inbound}"
    );
    s.wait_journal("CRM_ShowingContact", |e| e["params"]["USUARIO"] == "1001")
        .await;
    s.screenshot("inbound-clavesf").await;
    s.stop().await;
}

/// W-SCREENPOP: a phone on a Contact and an Account resolves by `searchTypePriority`.
#[tokio::test]
async fn several_matches_resolve_by_search_type_priority() {
    let Some(s) = Stack::start("priority").await else {
        return;
    };
    s.set_setting("/neotelConfigOptions/searchTypePriority", "Account|Contact")
        .await;
    s.login_and_join("1001", 97).await;
    s.sim_post(
        "/sim/inbound",
        json!({"queue": 200, "ani": "1141007000", "data": "1141007000"}),
    )
    .await;
    let pop = s
        .wait_standin("lastPop()", |p| p["type"] == "sobject")
        .await;
    assert_eq!(
        pop["params"]["recordId"], "0018d0000000001AAA",
        "the Account wins: {pop}"
    );
    s.screenshot("several-matches-priority").await;
    s.stop().await;
}

/// W-SCREENPOP: with no priority, several matches follow the layout (the search page).
#[tokio::test]
async fn several_matches_without_priority_open_the_search_page() {
    let Some(s) = Stack::start("several").await else {
        return;
    };
    s.login_and_join("1001", 97).await;
    s.sim_post(
        "/sim/inbound",
        json!({"queue": 200, "ani": "1144475558", "data": "1144475558"}),
    )
    .await;
    let pop = s.wait_standin("lastPop()", |p| p["type"] == "search").await;
    assert!(pop["params"].to_string().contains("1144475558"), "{pop}");
    s.wait_element("[data-testid=search-page]").await;
    s.screenshot("several-matches-search").await;
    // The agent opens one of the results in Salesforce: it becomes the contact's record.
    s.client
        .find(fantoccini::Locator::LinkText("Juan López"))
        .await
        .expect("the result's link")
        .click()
        .await
        .expect("the link opens");
    s.wait_element("[data-testid=record-page]").await;
    s.softphone().await;
    s.wait_text("[data-testid=record]", |t| t.contains("Juan López"))
        .await;
    s.stop().await;
}

/// W-PRIVATE + W-SYNC: a private number opens the new-record modal pre-filled with
/// `defaultNewRowData` and a fresh `neoSyncId__c`; once saved, the call's Task goes to it.
#[tokio::test]
async fn private_number_opens_a_new_record_that_is_linked_once_saved() {
    let Some(s) = Stack::start("private").await else {
        return;
    };
    s.login_and_join("1001", 97).await;
    let inbound = s
        .sim_post(
            "/sim/inbound",
            json!({"queue": 200, "ani": "1155554444", "data": ""}),
        )
        .await;
    let modal = s.wait_standin("modal()", |m| !m.is_null()).await;
    let values = &modal["values"];
    assert_eq!(values["Phone"], "1155554444", "{modal}");
    assert_eq!(
        values["neoContactId__c"],
        inbound["contact_id"].to_string(),
        "{modal}"
    );
    let sync_id = values["neoSyncId__c"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        !sync_id.is_empty() && sync_id.chars().all(|c| c.is_ascii_digit()),
        "{modal}"
    );
    s.softphone().await;
    s.wait_text("[data-testid=contact]", |t| t.contains("Número privado"))
        .await;
    s.axe("private-new-record").await;
    s.screenshot("private-new-record").await;

    // A person fills the name and saves.
    let id = s.standin("saveModal({LastName: 'Pérez'})").await;
    let id = id.as_str().expect("the new record's Id").to_owned();
    let records = s.standin("records()").await;
    assert!(
        records.as_array().is_some_and(|r| r
            .iter()
            .any(|r| r["Id"] == id.as_str() && r["neoSyncId__c"].to_string().contains(&sync_id))),
        "the saved record carries the sync id"
    );
    s.softphone().await;
    s.wait_text("[data-testid=record]", |t| {
        t.contains(&id) || t.contains("Pérez")
    })
    .await;

    // The call's Task lands on the new record.
    s.sim_post(
        &format!("/sim/calls/{}/hangup", inbound["call_id"]),
        json!({}),
    )
    .await;
    s.softphone().await;
    s.select("[data-testid=category]", "26").await;
    s.act("categorize").await;
    s.wait_standin("tasks()", |t| {
        t.as_array().is_some_and(|t| {
            t.iter()
                .any(|t| t["WhoId"] == id.as_str() && !t["CallDisposition"].is_null())
        })
    })
    .await;
    s.stop().await;
}

/// F-BREAK: into a break state and back to work.
#[tokio::test]
async fn break_and_back_to_work() {
    let Some(s) = Stack::start("break").await else {
        return;
    };
    s.login_and_join("1001", 97).await;
    s.select("[data-testid=break]", "1").await;
    s.act("takeBreak").await;
    s.wait_status("En descanso").await;
    s.wait_journal("Pause", |e| e["params"]["USUARIO"] == "1001")
        .await;
    s.console().await;
    s.wait_text("[data-testid=utility-label]", |t| t.contains("En descanso"))
        .await;
    s.screenshot("break").await;
    s.softphone().await;
    s.act("endBreak").await;
    s.wait_status("Disponible").await;
    s.wait_journal("Unpause", |_| true).await;
    s.stop().await;
}

/// F-DTMF: digits go one by one.
#[tokio::test]
async fn dtmf_digits_go_one_by_one() {
    let Some(s) = Stack::start("dtmf").await else {
        return;
    };
    s.login_and_join("1001", 97).await;
    predictive_call(&s, "1001").await;
    s.fill("[data-testid=digits]", "12#").await;
    s.act("dtmf").await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut digits = Vec::new();
    while tokio::time::Instant::now() < deadline {
        digits = s
            .calls_of("SendDTMF")
            .await
            .iter()
            .map(|e| {
                e["params"]["DIGITOS"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect();
        if digits.len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(digits, ["1", "2", "#"]);
    s.stop().await;
}

/// W-CLICK2DIAL: a phone clicked in Salesforce is dialed with its digits.
#[tokio::test]
async fn click_to_dial_dials_the_clicked_phone() {
    let Some(s) = Stack::start("click-to-dial").await else {
        return;
    };
    s.login("SIP/1001", "1001", "1001").await;
    s.wait_standin("clickToDialEnabled()", |v| v == &json!(true))
        .await;
    s.console().await;
    s.click("[data-testid='phone-0038d0000000001AAA-MobilePhone']")
        .await;
    let dial = s.wait_journal("Dial", |_| true).await;
    let number = dial["params"]["TELEFONO"].as_str().unwrap_or_default();
    assert!(number.ends_with("91160001000"), "{dial}");
    s.softphone().await;
    s.wait_text("[data-testid=status]", |t| {
        t.contains("60001000") || t.contains("En llamado")
    })
    .await;
    s.screenshot("click-to-dial").await;
    s.stop().await;
}

/// F-AGENDA: a schedule goes to Neotel with its date, and no Play is needed afterwards.
#[tokio::test]
async fn a_schedule_needs_no_play() {
    let Some(s) = Stack::start("schedule").await else {
        return;
    };
    s.login_and_join("1001", 97).await;
    let delivered = predictive_call(&s, "1001").await;
    customer_hangs_up(&s, &delivered).await;
    s.select("[data-testid=category]", "28").await;
    // Tomorrow at 10:30, the agent's wall time (the browser runs in the machine's zone).
    s.js(
        "var d = new Date(Date.now() + 86400000); var p = function (n) { return String(n).padStart(2, '0'); };
         var e = document.querySelector('[data-testid=when]');
         e.value = d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + 'T10:30';
         e.dispatchEvent(new Event('input', {bubbles: true}));",
        vec![],
    )
    .await;
    s.act("schedule").await;
    let update = s
        .wait_journal("UpdateContact", |e| e["params"]["SUBCATEGORIA"] == "28")
        .await;
    assert_eq!(
        update["params"]["AGENDA"]
            .as_str()
            .map(str::to_lowercase)
            .as_deref(),
        Some("true"),
        "{update}"
    );
    assert!(
        update["params"]["FECHA_AGENDA"]
            .as_str()
            .is_some_and(|f| !f.is_empty()),
        "{update}"
    );
    // Available again without Play.
    s.wait_journal("CRM_Available", |_| true).await;
    s.softphone().await;
    s.wait_status("Disponible").await;
    s.screenshot("schedule").await;
    s.stop().await;
}

/// A reload mid-call keeps the call and the contact; a second tab pops nothing more.
#[tokio::test]
async fn reload_mid_call_and_a_second_tab_keep_one_pop_and_one_task() {
    let Some(s) = Stack::start("reload").await else {
        return;
    };
    s.login_and_join("1001", 97).await;
    let delivered = predictive_call(&s, "1001").await;
    s.console().await;
    s.client.refresh().await.expect("the console reloads");
    s.open_standin().await;
    s.softphone().await;
    s.wait_status("En llamado").await;
    let contact = delivered["contact_id"].to_string();
    s.open_panel("info").await;
    s.wait_text("[data-testid=info-contactId]", |t| t == contact)
        .await;
    assert_eq!(s.standin("openSecondTab()").await, json!(2));
    s.softphone_n(1).await;
    s.wait_status("En llamado").await;
    s.screenshot("reload-second-tab").await;
    customer_hangs_up(&s, &delivered).await;
    s.select("[data-testid=category]", "26").await;
    s.act("categorize").await;
    s.wait_journal("UpdateContact", |_| true).await;
    s.softphone_n(1).await;
    s.wait_status("presione Play").await;
    let calls = s.standin("calls()").await;
    let count = |m: &str| {
        calls
            .as_array()
            .map_or(0, |c| c.iter().filter(|c| c["methodName"] == m).count())
    };
    assert_eq!(
        count("searchAndScreenPop"),
        0,
        "the reloaded console got no second search"
    );
    let tasks = s.standin("tasks()").await;
    assert_eq!(tasks.as_array().map_or(0, Vec::len), 1, "{tasks}");
    assert_eq!(s.calls_of("UpdateContact").await.len(), 1);
    s.stop().await;
}

/// A NeoApi refusal during the release shows Neotel's words and loses nothing: the contact
/// and its category stay on screen and the agent's second try goes. That try meets an
/// overloaded Neotel ("Timeout expired."): the page says it is being sent again, and it
/// reaches Neotel once, unprompted.
#[tokio::test]
async fn a_neoapi_fault_shows_a_message_and_the_disposition_is_not_lost() {
    let Some(s) = Stack::start("fault").await else {
        return;
    };
    s.login_and_join("1001", 97).await;
    let delivered = predictive_call(&s, "1001").await;
    customer_hangs_up(&s, &delivered).await;
    s.sim_post(
        "/sim/faults",
        json!({"method": "UpdateContact", "fail_next": 1, "message": "Cannot convert 'x' to System.Int32."}),
    )
    .await;
    s.select("[data-testid=category]", "26").await;
    s.act("categorize").await;
    s.wait_journal("UpdateContact", |e| e["status"] == 500)
        .await;
    s.softphone().await;
    let text = "return ['error', 'notice'].map(function (k) { var e = document.querySelector('[data-testid=' + k + ']'); return e.hidden ? '' : e.textContent; }).join(' ');";
    let shown = s
        .wait_js("a message about the refused release", text, |t| {
            t.as_str().unwrap_or_default().contains("Cannot convert")
        })
        .await;
    s.axe("neoapi-fault").await;
    s.screenshot("neoapi-fault").await;
    // The contact and the chosen category are still there: the agent tries again, and Neotel
    // is overloaded for two tries.
    s.sim_post(
        "/sim/faults",
        json!({"method": "UpdateContact", "fail_next": 2, "message": "Timeout expired."}),
    )
    .await;
    s.act("categorize").await;
    s.softphone().await;
    s.wait_js("the page saying it is sent again", text, |t| {
        t.as_str().unwrap_or_default().contains("se reenvía")
    })
    .await;
    s.screenshot("neoapi-retrying").await;
    let ok = s
        .wait_journal("UpdateContact", |e| {
            e["status"] == 200 && e["params"]["SUBCATEGORIA"] == "26"
        })
        .await;
    assert_eq!(
        ok["params"]["IDCONTACTO"],
        delivered["contact_id"].to_string(),
        "{ok} after: {shown}"
    );
    s.softphone().await;
    s.wait_status("presione Play").await;
    let applied = s
        .calls_of("UpdateContact")
        .await
        .iter()
        .filter(|e| e["status"] == 200)
        .count();
    assert_eq!(applied, 1, "Neotel got the disposition once");
    s.stop().await;
}

/// F-XFER: an attended transfer to one of the campaign's phones, then end of transfer: the
/// agent is back with the customer.
#[tokio::test]
async fn attended_transfer_then_end_of_transfer() {
    let Some(s) = Stack::start("transfer").await else {
        return;
    };
    s.login_and_join("1001", 97).await;
    let delivered = predictive_call(&s, "1001").await;
    s.open_panel("transfer").await;
    s.select("[data-testid=xfer-to]", "phone").await;
    // The campaign's transfer phones are listed; the agent takes "Mesa de ayuda".
    s.wait_js(
        "the campaign's transfer phones",
        "return Array.prototype.map.call(document.querySelectorAll('#xfer-phones [data-phone]'), function (o) { return o.textContent; });",
        |v| v.as_array().is_some_and(|a| a.iter().any(|p| p.as_str().is_some_and(|p| p.contains("Mesa de ayuda")))),
    )
    .await;
    s.click("#xfer-phones [data-phone='1140001000']").await;
    let picked = s
        .js(
            "return document.querySelector('[data-testid=xfer-phone]').value;",
            vec![],
        )
        .await;
    assert_eq!(picked, json!("1140001000"));
    s.act("attendedTransfer").await;
    let transfer = s.wait_journal("AttendedTransfer", |_| true).await;
    assert_eq!(transfer["params"]["EXTENSION"], "1140001000", "{transfer}");
    s.wait_text("[data-testid=xfer-state]", |t| t.contains("1140001000"))
        .await;
    s.screenshot("attended-transfer").await;
    s.act("endTransfer").await;
    s.wait_text("[data-testid=xfer-state]", str::is_empty).await;
    s.wait_journal("Hangup", |_| true).await;
    // Still on the customer's call.
    s.wait_status("En llamado").await;
    s.open_panel("info").await;
    let call = delivered["call_id"].to_string();
    s.wait_text("[data-testid=info-lastCall]", |t| t == call)
        .await;
    s.stop().await;
}

/// F-CONF: start a conference, invite a phone and a user, end it.
#[tokio::test]
async fn conference_invite_a_phone_and_a_user() {
    let Some(s) = Stack::start("conference").await else {
        return;
    };
    s.login_and_join("1001", 97).await;
    predictive_call(&s, "1001").await;
    s.open_panel("conference").await;
    s.act("startConference").await;
    s.wait_journal("JoinConference", |_| true).await;
    s.fill("[data-testid=conf-phone]", "1140002000").await;
    s.act("invitePhone").await;
    s.wait_journal("InviteParticipant", |e| {
        e["params"]["EXTENSION"] == "1140002000"
    })
    .await;
    s.screenshot("conference").await;
    s.act("endConference").await;
    s.wait_journal("KickAll", |_| true).await;
    s.stop().await;
}

/// F-MONITOR: a supervisor listens to an agent, then ends.
#[tokio::test]
async fn a_supervisor_monitors_an_agent() {
    let Some(s) = Stack::start("monitoring").await else {
        return;
    };
    s.neoapi_login("1002").await;
    s.login("SIP/9000", "9000", "9000").await;
    s.open_panel("monitor").await;
    s.select("[data-testid=monitor-user]", "1002").await;
    s.act("listen").await;
    let start = s
        .wait_journal("ExecuteTask03", |e| e["params"]["param2"] == "1002")
        .await;
    assert_eq!(start["params"]["param3"], "listen", "{start}");
    s.wait_text("[data-testid=monitor-state]", |t| t.contains("1002"))
        .await;
    s.axe("monitoring").await;
    s.screenshot("monitoring").await;
    s.act("endMonitor").await;
    s.wait_journal("ExecuteTask01", |e| e["params"]["idTask"] == "3")
        .await;
    s.wait_text("[data-testid=monitor-state]", str::is_empty)
        .await;
    s.stop().await;
}

/// F-SMS and F-CONFIG: with `allowTextMessage` a WhatsApp goes to the caller; the panel's size
/// follows the agent's settings.
#[tokio::test]
async fn a_text_to_the_caller_and_the_panel_settings() {
    let Some(s) = Stack::start("sms-settings").await else {
        return;
    };
    s.set_setting("/neotelConfigOptions/allowTextMessage", "true")
        .await;
    s.login_and_join("1001", 97).await;
    s.open_panel("settings").await;
    s.fill("[data-testid=set-width]", "700").await;
    s.act("saveSettings").await;
    s.wait_standin("panel()", |p| p["width"] == 700).await;

    predictive_call(&s, "1001").await;
    s.open_panel("sms").await;
    s.select("[data-testid=sms-channel]", "whatsapp").await;
    s.fill("[data-testid=sms-text]", "Le envío el presupuesto")
        .await;
    s.act("sendText").await;
    let sent = s
        .wait_journal("ExecuteTask04", |e| e["params"]["idTask"] == "5")
        .await;
    assert_eq!(sent["params"]["param3"], "whatsapp", "{sent}");
    assert_eq!(
        sent["params"]["param4"], "Le envío el presupuesto",
        "{sent}"
    );
    s.softphone().await;
    s.wait_text("[data-testid=notice]", |t| t.contains("Mensaje enviado"))
        .await;
    s.axe("text-message").await;
    s.screenshot("text-message").await;
    s.stop().await;
}

/// F-CONFIG: at the seed's 620×420 and at Salesforce's smallest panel, 200×240, a call on screen
/// still fits across (nothing runs off the side), the state stays in sight while the agent
/// scrolls, and the hang-up button is there.
#[tokio::test]
async fn the_softphone_fits_the_seed_size_and_the_smallest_panel() {
    let Some(s) = Stack::start("sizes").await else {
        return;
    };
    s.login_and_join("1001", 97).await;
    predictive_call(&s, "1001").await;
    for (width, height, shot) in [(620, 420, "size-620x420"), (200, 240, "size-200x240")] {
        s.open_panel("settings").await;
        s.fill("[data-testid=set-width]", &width.to_string()).await;
        s.fill("[data-testid=set-height]", &height.to_string())
            .await;
        s.act("saveSettings").await;
        s.wait_standin("panel()", |p| p["width"] == width && p["height"] == height)
            .await;
        s.softphone().await;
        // Close the settings again, as the agent would.
        s.open_panel("settings").await;
        let fit = s
            .wait_js(
                "the page fits across the panel",
                "window.scrollTo(0, 1e6);
                 const d = document.documentElement;
                 const hang = document.querySelector('[data-act=hangup]');
                 const wide = [...document.querySelectorAll('body *')]
                   .filter(e => e.getClientRects().length && e.getBoundingClientRect().right > d.clientWidth + 1)
                   .map(e => e.tagName + '.' + e.className + '[' + (e.dataset.testid || '') + ']');
                 const head = document.querySelector('header').getBoundingClientRect();
                 return { viewport: d.clientWidth, scroll: d.scrollWidth, wide: wide.slice(0, 5),
                          scrolled: window.scrollY > 0, headerTop: head.top,
                          hangup: !!hang && !hang.disabled && hang.getClientRects().length > 0 };",
                |v| v["viewport"].as_i64().is_some_and(|w| w > 0),
            )
            .await;
        assert!(
            fit["scroll"].as_i64() <= fit["viewport"].as_i64(),
            "{width}×{height}: the page scrolls sideways: {fit}"
        );
        assert_eq!(fit["wide"], json!([]), "{width}×{height}: {fit}");
        assert_eq!(fit["hangup"], true, "{width}×{height}: {fit}");
        // Neither height holds every section of a call: the page scrolls, the header stays.
        assert_eq!(fit["scrolled"], true, "{width}×{height}: {fit}");
        assert_eq!(
            fit["headerTop"], 0,
            "{width}×{height}: the state scrolled away: {fit}"
        );
        s.js("window.scrollTo(0, 0);", vec![]).await;
        s.screenshot(shot).await;
    }
    s.stop().await;
}

/// The seed's screens without a mouse: log in, join the campaign and dial with Tab and Enter,
/// every Tab stop a control the agent can see.
#[tokio::test]
async fn keyboard_only_login_join_and_dial() {
    use browser::{ENTER, TAB};
    let Some(s) = Stack::start("keyboard").await else {
        return;
    };
    s.softphone().await;
    s.wait_element("[data-testid=login-device]").await;
    s.tab_to("[data-testid=login-device]").await;
    s.keys(&format!("SIP/1001{TAB}1001{TAB}1001{ENTER}")).await;
    s.wait_js(
        "the agent's screen after login",
        "return !document.getElementById('agent').hidden",
        |v| v == &json!(true),
    )
    .await;
    // The campaign's icon opens its panel, the campaign takes the focus.
    s.tab_to("[data-panel=campaign]").await;
    s.keys(ENTER).await;
    s.tab_to("[data-testid=campaign]").await;
    s.keys("97").await;
    s.tab_to("#panel-campaign [data-act=join]").await;
    s.keys(ENTER).await;
    s.wait_status("Disponible").await;
    // KEYBOARD: the icon opens the dialer with the number field focused.
    s.tab_to("[data-panel=dialer]").await;
    s.keys(ENTER).await;
    s.tab_to("[data-testid=number]").await;
    s.keys(&format!("1141007000{ENTER}")).await;
    let dial = s.wait_journal("Dial", |_| true).await;
    assert_eq!(dial["params"]["TELEFONO"], "1141007000", "{dial}");
    s.screenshot("keyboard-dial").await;
    s.stop().await;
}

/// What a newcomer does after `cargo run`: only the demo panel's buttons play the Neotel side
/// of a predictive call, and the softphone takes it end to end.
#[tokio::test]
async fn the_demo_panel_alone_walks_a_predictive_call() {
    let Some(s) = Stack::start("demo-panel").await else {
        return;
    };
    s.login_and_join("1001", 97).await;
    s.console().await;
    s.click("#demo-toggle").await;
    s.click("[data-testid=demo-panel] [data-act=predictive]")
        .await;
    let out = s
        .wait_text("[data-testid=demo-out]", |t| t.contains("call_id"))
        .await;
    let delivered: serde_json::Value = serde_json::from_str(&out).expect("the panel shows JSON");
    let pop = s.wait_standin("lastPop()", |p| !p.is_null()).await;
    assert_eq!(pop["params"]["recordId"], delivered["data"], "{pop}");

    s.click("[data-testid=demo-panel] [data-act=hangup]").await;
    s.softphone().await;
    s.wait_status("Fin de llamado").await;
    s.select("[data-testid=category]", "26").await;
    s.act("categorize").await;
    s.wait_status("presione Play").await;
    s.act("play").await;
    s.wait_status("Disponible").await;
    s.console().await;
    s.wait_text("[data-testid=demo-journal]", |t| {
        t.contains("UpdateContact") && t.contains("CRM_Available")
    })
    .await;
    s.screenshot("demo-panel").await;
    s.stop().await;
}

/// Errors in the agent's words and language: a wrong password in Spanish, then in English.
#[tokio::test]
async fn a_wrong_password_is_told_in_the_agents_language() {
    let Some(s) = Stack::start("wrong-password").await else {
        return;
    };
    s.softphone().await;
    s.fill("[data-testid=login-device]", "SIP/1001").await;
    s.fill("[data-testid=login-user]", "1001").await;
    s.fill("[data-testid=login-password]", "equivocada").await;
    s.click("[data-testid=login-submit]").await;
    s.wait_text("[data-testid=error]", |t| {
        t == "Usuario o contraseña incorrectos."
    })
    .await;
    s.click("[data-testid=lang]").await;
    s.fill("[data-testid=login-password]", "wrong").await;
    s.click("[data-testid=login-submit]").await;
    s.wait_text("[data-testid=error]", |t| t == "Wrong user or password.")
        .await;
    s.axe("wrong-password").await;
    s.screenshot("wrong-password").await;
    s.stop().await;
}

/// Issue 13: the server is killed (SIGKILL) while a contact awaits its disposition and started
/// again: the page reattaches by itself, shows the same contact, the agent categorizes, and
/// Neotel gets the disposition once, Salesforce one Task.
#[tokio::test]
async fn a_crash_while_a_contact_awaits_its_disposition_loses_nothing() {
    let Some(mut s) = Stack::start_process("crash").await else {
        return;
    };
    s.login_and_join("1001", 97).await;
    let delivered = predictive_call(&s, "1001").await;
    customer_hangs_up(&s, &delivered).await;
    s.screenshot("crash-before").await;

    s.kill_server();
    s.softphone().await;
    s.screenshot("crash-server-down").await;
    s.restart_server().await;

    // The same tab, without a login: the contact is back, in wrap-up.
    s.softphone().await;
    s.wait_status("Fin de llamado").await;
    s.wait_element("[data-testid=category]").await;
    s.screenshot("crash-resumed").await;
    s.select("[data-testid=category]", "26").await;
    s.fill("[data-testid=notes]", "Tras el reinicio").await;
    s.act("categorize").await;
    let update = s
        .wait_journal("UpdateContact", |e| e["status"] == 200)
        .await;
    assert_eq!(update["params"]["SUBCATEGORIA"], "26", "{update}");
    assert_eq!(
        update["params"]["IDCONTACTO"],
        delivered["contact_id"].to_string(),
        "{update}"
    );
    s.softphone().await;
    s.wait_status("presione Play").await;
    let tasks = s
        .wait_standin("tasks()", |t| t.as_array().is_some_and(|t| !t.is_empty()))
        .await;
    assert_eq!(
        tasks.as_array().map(Vec::len),
        Some(1),
        "one Task for the call: {tasks}"
    );
    assert_eq!(
        s.calls_of("UpdateContact").await.len(),
        1,
        "Neotel got it once"
    );
    assert!(
        s.calls_of("Login").await.len() == 1,
        "the agent did not log in again"
    );
    s.screenshot("crash-categorized").await;
    s.stop().await;
}
