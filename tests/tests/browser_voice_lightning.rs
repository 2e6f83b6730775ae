//! Browser scenarios of Neotel's Lightning components under Salesforce Voice (issue 27): the
//! stand-in host with the real components, the real connector page, the server in Voice demo
//! mode, the simulator and the Telephony Integration API stand-in. The agent clicks and types in
//! the components as a person does; what Neotel got (the simulator's journal), what Salesforce
//! holds (the API stand-in's VoiceCalls, the stand-in org) is asserted.

mod browser;

use browser::lightning::LightningStack;
use serde_json::{Value, json};

/// The contact's draft in the last view the components got.
const DRAFT: &str = "((standin.lightning.bridgeLog().filter(function (b) { return b.payload.type === 'view'; }).pop() || {payload: {view: {}}}).payload.view.contact || {}).draft || {}";

/// The last view the components got.
const VIEW: &str = "(standin.lightning.bridgeLog().filter(function (b) { return b.payload.type === 'view'; }).pop() || {payload: {view: {}}}).payload.view";

/// The agent logs in in Omni's connector frame and joins campaign 97 from `neotelCampaigns`.
async fn logged_in_and_joined(s: &LightningStack) {
    s.login("1001").await;
    s.wait_host(
        "the campaigns component drawn",
        "standin.lightning.text('neotelCampaigns', 'status') !== ''",
    )
    .await;
    s.choose("neotelCampaigns", "campaign", "97").await;
    s.press("neotelCampaigns", "join").await;
    s.wait_journal("Login_Campaign2", |e| e["params"]["USUARIO"] == "1001")
        .await;
    // Joined: leaving is offered now.
    s.control("neotelCampaigns", "leave").await;
}

/// Every request of the core the bridge ran was done: none answered with an error (the
/// stand-in's Salesforce APIs cover what the components call).
async fn no_failed_requests(s: &LightningStack) {
    let failed = s
        .host_js("standin.lightning.bridgeLog().filter(function (b) { return b.payload.type === 'answer' && !b.payload.ok; })")
        .await;
    assert_eq!(failed, json!([]), "requests answered with an error");
}

/// The journal entries of `method` that Neotel took (HTTP 200).
async fn taken(s: &LightningStack, method: &str) -> Vec<Value> {
    s.calls_of(method)
        .await
        .into_iter()
        .filter(|e| e["status"] == 200)
        .collect()
}

/// F-AGENDA, F-RELEASE under Salesforce Voice (issue 27): a predictive call's record pops in the
/// console; once the customer hangs up, the agent picks "Volver a llamar", a date, an hour and
/// notes in the after-call work component and presses Schedule. Neotel gets one UpdateContact
/// with the schedule; the call's one VoiceCall is ended with the category.
#[tokio::test]
async fn predictive_call_scheduled_in_the_after_call_work_component_reaches_neotel_and_its_voice_call_once()
 {
    let Some(s) = LightningStack::start("lightning-schedule", "/").await else {
        return;
    };
    logged_in_and_joined(&s).await;
    s.screenshot("lightning-joined").await;

    let delivered = s
        .sim_post(
            "/sim/dialer/deliver",
            json!({"campaign": 97, "user": "1001"}),
        )
        .await;
    let call_id = delivered["call_id"].clone();
    let record = delivered["data"].as_str().expect("the contact's key");
    s.wait_host(
        "the contact's record popped in the console",
        &format!(
            "standin.shown().kind === 'record' && standin.shown().recordId === {}",
            json!(record)
        ),
    )
    .await;
    // Salesforce was told of the call with its VoiceCall, made before.
    let created = s
        .wait_voice_calls("the call's VoiceCall", &call_id, |c| !c.is_empty())
        .await;
    let voice_call_id = created[0]["voiceCallId"]
        .as_str()
        .filter(|id| !id.is_empty())
        .expect("the VoiceCall's id");
    let events = s.host_js("standin.events()").await;
    assert!(
        events.as_array().is_some_and(|e| e.iter().any(|e| {
            e["telephonyEventType"] == "CALL_STARTED" && e.to_string().contains(voice_call_id)
        })),
        "CALL_STARTED carries {voice_call_id}: {events}"
    );
    s.screenshot("lightning-popped").await;

    // The customer hangs up: the release form.
    s.sim_post(&format!("/sim/calls/{call_id}/hangup"), json!({}))
        .await;
    s.choose("neotelAfterCallWork", "category", "28").await;
    s.wait_host(
        "the category in the draft",
        &format!("({DRAFT}).subcategory === 28"),
    )
    .await;
    // Tomorrow, in the agent's (the browser's) wall time, typed as Chromium's en-US date field
    // takes it (month, day, year); then the hour.
    let tomorrow = s
        .host_js(
            "(function () { var d = new Date(Date.now() + 86400000); return [d.getFullYear(), d.getMonth() + 1, d.getDate()]; })()",
        )
        .await;
    let (y, m, d) = (&tomorrow[0], &tomorrow[1], &tomorrow[2]);
    let date = format!(
        "{y}-{:02}-{:02}",
        m.as_u64().unwrap_or_default(),
        d.as_u64().unwrap_or_default()
    );
    s.type_in(
        "neotelAfterCallWork",
        "date",
        &format!(
            "{:02}{:02}{y}",
            m.as_u64().unwrap_or_default(),
            d.as_u64().unwrap_or_default()
        ),
    )
    .await;
    s.type_in("neotelAfterCallWork", "time", "1030AM").await;
    s.wait_host(
        "the callback in the draft",
        &format!(
            "String(({DRAFT}).scheduleAt || '').indexOf({}) === 0",
            json!(format!("{date}T10:30"))
        ),
    )
    .await;
    s.type_in("neotelAfterCallWork", "notes", "Llamar por la mañana")
        .await;
    s.wait_host(
        "the notes in the draft",
        &format!("({DRAFT}).notes === 'Llamar por la mañana'"),
    )
    .await;
    s.screenshot("lightning-after-call-work").await;
    s.press("neotelAfterCallWork", "schedule").await;

    let update = s
        .wait_journal("UpdateContact", |e| {
            e["params"]["SUBCATEGORIA"] == "28" && e["status"] == 200
        })
        .await;
    assert_eq!(
        update["params"]["AGENDA"]
            .as_str()
            .map(str::to_lowercase)
            .as_deref(),
        Some("true"),
        "{update}"
    );
    let when = update["params"]["FECHA_AGENDA"]
        .as_str()
        .unwrap_or_default();
    assert!(
        !when.is_empty() && !when.starts_with("2000-"),
        "a callback time: {update}"
    );

    // The VoiceCall is ended once, with Neotel's category and the callback.
    let ended = s
        .wait_voice_calls("the VoiceCall ended with the category", &call_id, |c| {
            c.iter()
                .any(|c| c["fields"]["NeoSubcategory__c"] == "Volver a llamar")
        })
        .await;
    assert_eq!(ended.len(), 1, "one VoiceCall for the call: {ended:?}");
    let voice_call = &ended[0];
    assert_eq!(voice_call["createRequests"], 1, "{voice_call}");
    assert_eq!(
        voice_call["updates"].as_array().map(Vec::len),
        Some(1),
        "ended once: {voice_call}"
    );
    assert_eq!(
        voice_call["fields"]["NeoCategory__c"], "Agenda",
        "{voice_call}"
    );
    assert_eq!(
        voice_call["fields"]["NeoNotes__c"], "Llamar por la mañana",
        "{voice_call}"
    );
    assert!(
        voice_call["fields"]["NeoScheduledAt__c"]
            .as_str()
            .is_some_and(|at| !at.is_empty()),
        "the callback on the VoiceCall: {voice_call}"
    );
    // Neotel got the disposition once (the VoiceCall's end came after it).
    let updates = taken(&s, "UpdateContact").await;
    assert_eq!(updates.len(), 1, "one UpdateContact: {updates:?}");
    no_failed_requests(&s).await;
    s.screenshot("lightning-scheduled").await;
    s.stop().await;
}

/// W-PRIVATE, W-SYNC under Salesforce Voice (issue 27): a private inbound call (no CLAVESF)
/// opens the new-record page the bridge asks for, pre-filled with a fresh `neoSyncId__c`; the
/// agent names the record and saves it; the core links it by that id. The call has one
/// VoiceCall, ended with the category the agent picks in the after-call work component.
#[tokio::test]
async fn private_inbound_call_new_record_is_linked_by_its_sync_id_and_has_one_voice_call() {
    let Some(s) = LightningStack::start("lightning-private", "/").await else {
        return;
    };
    logged_in_and_joined(&s).await;
    let inbound = s
        .sim_post(
            "/sim/inbound",
            json!({"queue": 200, "ani": "1155554444", "data": ""}),
        )
        .await;
    assert_eq!(inbound["user"], "1001", "{inbound}");
    let call_id = inbound["call_id"].clone();

    s.wait_host("the new-record modal", "standin.shown().kind === 'new'")
        .await;
    let modal = s.host_js("standin.modal()").await;
    let values = &modal["values"];
    let sync_id = values["neoSyncId__c"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        !sync_id.is_empty() && sync_id.chars().all(|c| c.is_ascii_digit()),
        "a fresh neoSyncId__c: {modal}"
    );
    assert_eq!(values["Phone"], "1155554444", "{modal}");
    s.screenshot("lightning-new-record").await;

    // A person names the record and saves it.
    s.fill("[data-testid=new-record-LastName]", "Pérez").await;
    s.click("[data-testid=new-record-save]").await;
    s.wait_host(
        "the saved record's page",
        "standin.shown().kind === 'record'",
    )
    .await;
    let shown = s.host_js("standin.shown()").await;
    let id = shown["recordId"]
        .as_str()
        .expect("the new record's Id")
        .to_owned();
    let saved = s
        .host_js(&format!("standin.org.record({})", json!(id)))
        .await;
    assert_eq!(saved["neoSyncId__c"], sync_id.as_str(), "{saved}");
    assert_eq!(saved["Phone"], "1155554444", "{saved}");

    // The core links it: the contact's record is the new one, the sync says so.
    s.wait_host(
        "the new record linked to the contact",
        &format!(
            "(({VIEW}).contact || {{}}).record && ({VIEW}).contact.record.id === {} && (({VIEW}).sync || {{}}).linked === true",
            json!(id)
        ),
    )
    .await;
    s.wait_host(
        "the sync component says it is linked",
        &format!(
            "standin.lightning.text('neotelSync', 'sync').indexOf({}) >= 0",
            json!(sync_id)
        ),
    )
    .await;
    s.screenshot("lightning-linked").await;

    // The call has its one VoiceCall; the agent categorizes it once the customer hangs up.
    s.wait_voice_calls("the call's VoiceCall", &call_id, |c| c.len() == 1)
        .await;
    s.sim_post(&format!("/sim/calls/{call_id}/hangup"), json!({}))
        .await;
    s.choose("neotelAfterCallWork", "category", "26").await;
    s.wait_host(
        "the category in the draft",
        &format!("({DRAFT}).subcategory === 26"),
    )
    .await;
    s.press("neotelAfterCallWork", "categorize").await;
    s.wait_journal("UpdateContact", |e| {
        e["params"]["SUBCATEGORIA"] == "26" && e["status"] == 200
    })
    .await;
    let ended = s
        .wait_voice_calls("the VoiceCall ended with the category", &call_id, |c| {
            c.iter()
                .any(|c| !c["fields"]["NeoSubcategory__c"].is_null())
        })
        .await;
    assert_eq!(ended.len(), 1, "one VoiceCall for the call: {ended:?}");
    assert_eq!(ended[0]["createRequests"], 1, "{:?}", ended[0]);
    assert_eq!(
        ended[0]["updates"].as_array().map(Vec::len),
        Some(1),
        "ended once: {:?}",
        ended[0]
    );
    assert_eq!(
        ended[0]["fields"]["NeoCategory__c"], "Venta",
        "{:?}",
        ended[0]
    );
    assert_eq!(taken(&s, "UpdateContact").await.len(), 1);
    no_failed_requests(&s).await;
    s.stop().await;
}

/// `?lightning=off`: an org without Neotel's components. The host says so and places none;
/// the agent still logs in through Omni's connector frame.
#[tokio::test]
async fn without_the_components_the_host_places_none_and_the_agent_logs_in() {
    let Some(s) = LightningStack::start("lightning-off", "/?lightning=off").await else {
        return;
    };
    s.wait_host(
        "the host says the components are absent",
        "!!document.querySelector('[data-testid=no-components]') && !standin.lightning.element('neotelBridge') && !document.querySelector('c-neotel-campaigns')",
    )
    .await;
    s.login("1001").await;
    s.wait_journal("Login", |e| e["params"]["USUARIO"] == "1001")
        .await;
    s.screenshot("lightning-off").await;
    s.stop().await;
}
