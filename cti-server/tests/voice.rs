//! Salesforce Voice through the server: a WebSocket client plays the connector page (what the
//! base publishes is what the page is told to publish) and its Lightning components (it answers
//! the core's requests over the MESSAGE bridge), the simulator plays Neotel. Issue 26.

mod common;

use std::time::Duration;

use common::TestServer;
use common::voice::{AVAILABLE, Page, applied};
use serde_json::{Value, json};
const LUNCH: &str = "0N5000000000002";

async fn server() -> TestServer {
    let mut config = common::config();
    config.voice.available_status = Some(AVAILABLE.into());
    config.voice.break_statuses = vec![(12, LUNCH.into())];
    config.voice.organization_id = Some("00D000000000001".into());
    config.voice.call_center = Some("NeotelContactCenter".into());
    TestServer::start_with(config).await
}

#[tokio::test]
async fn a_predictive_call_then_the_after_call_work_ended_from_salesforce() {
    let s = server().await;
    let mut page = Page::login(&s, "1001").await;
    page.ws
        .send(json!({"v":1,"type":"command","command":{"command":"joinCampaign","campaign":97}}))
        .await;
    page.until("available", |m| {
        m["type"] == "voicePublish"
            && m["eventType"] == "SET_AGENT_STATUS"
            && m["payload"]["statusId"] == AVAILABLE
    })
    .await;
    let delivered = s
        .sim_post("/sim/dialer/deliver", json!({"campaign":97,"user":"1001"}))
        .await;
    let key = format!("neotel-1001-{}", delivered["call_id"]);
    page.until("CALL_STARTED", |m| m["eventType"] == "CALL_STARTED")
        .await;
    assert_eq!(page.calls.len(), 1, "the calls come before the event");
    assert_eq!(page.calls[0]["callId"], key.as_str());
    assert_eq!(page.calls[0]["callInfo"]["isSoftphoneCall"], false);
    s.sim_post("/sim/agents/1001/answer", json!({})).await;
    page.until("CALL_CONNECTED", |m| m["eventType"] == "CALL_CONNECTED")
        .await;
    // W-SCREENPOP through the components: the one match pops.
    page.until("the pop", |m| {
        m["eventType"] == "MESSAGE" && m["payload"]["ask"] == "showRecord"
    })
    .await;
    s.sim_post(
        &format!("/sim/calls/{}/hangup", delivered["call_id"]),
        json!({}),
    )
    .await;
    page.until("HANGUP", |m| m["eventType"] == "HANGUP").await;
    page.until("AFTER_CALL_WORK_STARTED", |m| {
        m["eventType"] == "AFTER_CALL_WORK_STARTED"
    })
    .await;
    // The rep goes available in Omni: the after-call work ends, Neotel frees the agent once.
    let result = page
        .call(
            "setAgentStatus",
            json!({"agentStatus":"Available","statusInfo":{"statusId":AVAILABLE}}),
        )
        .await;
    assert_eq!(result["ok"], true, "{result}");
    page.until("WRAP_UP_ENDED", |m| m["eventType"] == "WRAP_UP_ENDED")
        .await;
    assert_eq!(applied(&s, "UpdateContact").await, 1);
    assert_eq!(applied(&s, "CRM_Available").await, 1);
    let kinds = page.kinds();
    assert_eq!(
        kinds.iter().filter(|k| **k == "CALL_STARTED").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "HANGUP").count(),
        1,
        "{kinds:?}"
    );
}

/// An org without Neotel's Lightning components (or an agent's page without them): the core's
/// requests are refused at once, so the call and its outcome go on without the pop.
#[tokio::test]
async fn without_the_lightning_components_calls_go_on_without_the_pop() {
    let s = server().await;
    let mut page = Page::login_with(&s, "1003", false).await;
    page.ws
        .send(json!({"v":1,"type":"command","command":{"command":"joinCampaign","campaign":97}}))
        .await;
    page.until("available", |m| {
        m["type"] == "voicePublish"
            && m["eventType"] == "SET_AGENT_STATUS"
            && m["payload"]["statusId"] == AVAILABLE
    })
    .await;
    let delivered = s
        .sim_post("/sim/dialer/deliver", json!({"campaign":97,"user":"1003"}))
        .await;
    page.until("CALL_STARTED", |m| m["eventType"] == "CALL_STARTED")
        .await;
    // The search refused at once: Neotel hears the contact is on screen all the same.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while applied(&s, "CRM_ShowingContact").await == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no CRM_ShowingContact"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    s.sim_post(
        &format!("/sim/calls/{}/hangup", delivered["call_id"]),
        json!({}),
    )
    .await;
    page.until("AFTER_CALL_WORK_STARTED", |m| {
        m["eventType"] == "AFTER_CALL_WORK_STARTED"
    })
    .await;
    let result = page
        .call(
            "setAgentStatus",
            json!({"agentStatus":"Available","statusInfo":{"statusId":AVAILABLE}}),
        )
        .await;
    assert_eq!(result["ok"], true, "{result}");
    page.until("WRAP_UP_ENDED", |m| m["eventType"] == "WRAP_UP_ENDED")
        .await;
    assert_eq!(applied(&s, "UpdateContact").await, 1);
    assert_eq!(applied(&s, "CRM_Available").await, 1);
    assert!(
        !page
            .published
            .iter()
            .any(|(k, p)| k == "MESSAGE" && p["type"] == "request"),
        "no request went to components nobody runs"
    );
}

#[tokio::test]
async fn a_dial_from_salesforce_and_a_number_without_digits() {
    let s = server().await;
    let mut page = Page::login(&s, "1002").await;
    let refused = page
        .call("dial", json!({"contact":{"phoneNumber":"sin número"}}))
        .await;
    assert_eq!(refused["ok"], false);
    assert_eq!(
        refused["error"]["customError"]["labelName"], "Neotel_noDigits",
        "{refused}"
    );
    let dialed = page
        .call("dial", json!({"contact":{"phoneNumber":"(011) 4444-5555"}}))
        .await;
    assert_eq!(dialed["ok"], true, "{dialed}");
    assert_eq!(dialed["result"]["$class"], "CallResult");
    assert_eq!(dialed["result"]["call"]["callType"], "Outbound");
    let dials: Vec<Value> = s
        .journal()
        .await
        .into_iter()
        .filter(|e| e["method"] == "Dial")
        .collect();
    assert_eq!(dials.len(), 1, "only the number with digits reached Neotel");
    assert_eq!(dials[0]["params"]["TELEFONO"], "01144445555");
    // The base published CALL_STARTED itself from the result: the server does not again.
    assert!(
        !page.kinds().contains(&"CALL_STARTED"),
        "{:?}",
        page.kinds()
    );
    // DTMF and the end of the call, from Salesforce.
    assert_eq!(
        page.call("sendDigits", json!({"digits":"1"})).await["ok"],
        true
    );
    let ended = page
        .call(
            "endCall",
            json!({"call":{"callAttributes":{"participantType":"Initial_Caller"}}}),
        )
        .await;
    assert_eq!(ended["ok"], true, "{ended}");
    assert!(page.calls.is_empty(), "no call left when endCall answers");
    assert_eq!(applied(&s, "Hangup").await, 1);
}

#[tokio::test]
async fn a_break_set_in_salesforce_reaches_neotel_and_one_from_neotel_reaches_salesforce() {
    let s = server().await;
    let mut page = Page::login(&s, "1003").await;
    let r = page
        .call(
            "setAgentStatus",
            json!({"agentStatus":"Break","statusInfo":{"statusId":LUNCH}}),
        )
        .await;
    assert_eq!(r["ok"], true);
    let pauses: Vec<Value> = s
        .journal()
        .await
        .into_iter()
        .filter(|e| e["method"] == "Pause")
        .collect();
    assert_eq!(pauses.len(), 1);
    assert_eq!(pauses[0]["params"]["SUBTIPO_DESCANSO"], "12");
    // From Neotel's side (another screen ends the break): Salesforce is told.
    page.ws
        .send(json!({"v":1,"type":"command","command":{"command":"endBreak"}}))
        .await;
    page.ws
        .send(json!({"v":1,"type":"command","command":{"command":"joinCampaign","campaign":97}}))
        .await;
    page.until("available", |m| {
        m["eventType"] == "SET_AGENT_STATUS" && m["payload"]["statusId"] == AVAILABLE
    })
    .await;
}

#[tokio::test]
async fn a_page_of_another_org_is_refused() {
    let s = server().await;
    let mut ws = s.ws().await;
    ws.send(json!({"v":1,"type":"login","device":"SIP/1004","user":"1004","password":"1004",
        "surface":"voice","voice":{"organizationId":"00DOTHER","callCenter":"NeotelContactCenter"}}))
        .await;
    let m = ws.recv_type("error").await;
    assert_eq!(m["code"], "voiceMismatch");
    assert!(s.journal().await.iter().all(|e| e["method"] != "Login"));
}

/// Salesforce gives an org id in either form: its 18 characters name the same org as the
/// configured 15.
#[tokio::test]
async fn the_org_id_in_its_18_character_form_is_the_same_org() {
    let s = server().await;
    let mut ws = s.ws().await;
    ws.send(json!({"v":1,"type":"login","device":"SIP/1006","user":"1006","password":"1006",
        "surface":"voice","voice":{"organizationId":"00D000000000001AAA","callCenter":"NeotelContactCenter"}}))
        .await;
    let m = ws
        .recv_until("the setup or an error", |m| {
            m["type"] == "voiceSetup" || m["type"] == "error"
        })
        .await;
    assert_eq!(m["type"], "voiceSetup", "{m}");
}

/// X-C2D-SEARCH under Salesforce Voice: a phone clicked on a record dials as under Open CTI
/// (the core reads the record for its Neotel contact first), and the DIAL is answered by the
/// call it made.
#[tokio::test]
async fn a_click_to_dial_on_a_record_looks_for_its_neotel_contact_then_dials() {
    let s = server().await;
    let mut page = Page::login(&s, "1007").await;
    // The components answer the roll call (before the click, as on a loaded Salesforce page).
    page.until("the roll call", |m| m["payload"]["type"] == "roll")
        .await;
    let dialed = page
        .call(
            "dial",
            json!({"contact":{"phoneNumber":"11-4100-7000","recordId":"0038d0000000001AAA",
                "name":"María González"}}),
        )
        .await;
    assert_eq!(dialed["ok"], true, "{dialed}");
    assert_eq!(dialed["result"]["call"]["callType"], "Outbound");
    assert!(
        page.requests
            .iter()
            .any(|r| r["ask"] == "readRecord" && r["recordId"] == "0038d0000000001AAA"),
        "the clicked record was read: {:?}",
        page.requests
    );
    let dials: Vec<Value> = s
        .journal()
        .await
        .into_iter()
        .filter(|e| e["method"] == "Dial")
        .collect();
    assert_eq!(dials.len(), 1);
    assert_eq!(dials[0]["params"]["TELEFONO"], "1141007000");
}

/// A transfer to a queue of Salesforce's own (not one of ours from `getPhoneContacts`) is
/// refused in words, and nothing reaches Neotel (it used to go as queue 0).
#[tokio::test]
async fn a_transfer_to_a_destination_neotel_does_not_know_is_refused() {
    let s = server().await;
    let mut page = Page::login(&s, "1008").await;
    let dialed = page
        .call("dial", json!({"contact":{"phoneNumber":"1141007000"}}))
        .await;
    assert_eq!(dialed["ok"], true, "{dialed}");
    for id in ["00G000000000001AAA", "queue-x", "campaign-0"] {
        let r = page
            .call(
                "addParticipant",
                json!({"contact":{"type":"Queue","id":id},"call":dialed["result"]["call"],
                    "isBlindTransfer":true}),
            )
            .await;
        assert_eq!(r["ok"], false, "{id}: {r}");
        assert_eq!(
            r["error"]["customError"]["labelName"], "Neotel_NotNeotelQueue",
            "{r}"
        );
        assert_eq!(r["error"]["customError"]["namespace"], "c");
    }
    let methods = s.methods().await;
    assert!(
        !methods.iter().any(|m| m.contains("Transfer")),
        "{methods:?}"
    );
}

/// The end of an attended transfer from Salesforce (END_CALL of the third party) is answered as
/// the base wants any END_CALL answered, a HangupResult (else it says CAN_NOT_END_THE_CALL),
/// and the customer stays.
#[tokio::test]
async fn the_end_of_an_attended_transfer_answers_a_hangup_result() {
    let s = server().await;
    let mut page = Page::login(&s, "1009").await;
    let dialed = page
        .call("dial", json!({"contact":{"phoneNumber":"1141007000"}}))
        .await;
    assert_eq!(dialed["ok"], true, "{dialed}");
    let key = dialed["result"]["call"]["callId"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = key.rsplit('-').next().unwrap();
    // The agent's phone rings first, then the customer's.
    s.sim_post("/sim/agents/1009/answer", json!({})).await;
    s.sim_post(&format!("/sim/calls/{id}/answer"), json!({}))
        .await;
    page.until("connected", |m| m["eventType"] == "CALL_CONNECTED")
        .await;
    let consulted = page
        .call(
            "addParticipant",
            json!({"contact":{"type":"PhoneNumber","phoneNumber":"1140001000"},
                "call":dialed["result"]["call"],"isBlindTransfer":false}),
        )
        .await;
    assert_eq!(consulted["ok"], true, "{consulted}");
    let third = consulted["result"]["callId"].clone();
    let ended = page
        .call(
            "endCall",
            json!({"call":{"callId":third,"callAttributes":{"participantType":"Third_Party"}}}),
        )
        .await;
    assert_eq!(ended["ok"], true, "{ended}");
    assert_eq!(ended["result"]["$class"], "HangupResult", "{ended}");
    assert_eq!(
        ended["result"]["calls"][0]["callAttributes"]["participantType"],
        "Third_Party"
    );
    // Neotel ends a consultation with the agent's Hangup; the customer's call stays.
    assert_eq!(applied(&s, "Hangup").await, 1);
    assert!(
        page.calls.iter().any(|c| c["callId"] == key.as_str()),
        "{:?}",
        page.calls
    );
}
