//! Salesforce Voice's VoiceCall records, written by the server through the Telephony Integration
//! API (its stand-in, over real HTTP, checking every token): one per call Neotel hands the agent,
//! created before Salesforce hears of the call (CALL_STARTED carries its id), ended once with the
//! call's outcome; a creation whose answer was lost is never sent again; a key that does not
//! match its certificate stops the server from starting. Issue 27.

mod common;

use std::path::Path;
use std::time::Duration;

use common::TestServer;
use common::voice::{AVAILABLE, Page, applied};
use cti_server::config::{Config, ScrtSettings};
use serde_json::{Value, json};
use sf_telephony_standin::{
    Fault, FaultKind, FaultPlan, StandIn, StandInConfig, StandInServer, Target,
};

const ORG: &str = "00D000000000001";
const CALL_CENTER: &str = "NeotelContactCenter";

/// The API's stand-in, and the key files the server signs with (in `dir`).
async fn api(dir: &Path) -> (StandInServer, ScrtSettings) {
    let pair = sf_telephony::DemoKeyPair::generate("voice-calls test").unwrap();
    let key = dir.join("key.pem");
    let certificate = dir.join("cert.pem");
    std::fs::write(&key, pair.private_key_pem()).unwrap();
    std::fs::write(&certificate, pair.certificate_pem()).unwrap();
    let stand_in =
        StandIn::new(StandInConfig::new(ORG, CALL_CENTER, pair.certificate_pem())).unwrap();
    let server = StandInServer::start("127.0.0.1:0".parse().unwrap(), stand_in)
        .await
        .unwrap();
    let scrt = ScrtSettings {
        url: server.base_url(),
        key,
        certificate,
        provider_name: "neotel".into(),
    };
    (server, scrt)
}

fn config(scrt: ScrtSettings) -> Config {
    let mut config = common::config();
    config.voice.available_status = Some(AVAILABLE.into());
    config.voice.organization_id = Some(ORG.into());
    config.voice.call_center = Some(CALL_CENTER.into());
    config.voice.contact_center_number = Some("08005550100".into());
    config.voice.scrt = Some(scrt);
    config
}

/// A predictive contact for `user`, who joined campaign 97: its Neotel call id once Salesforce
/// was told of it, and CALL_STARTED's payload.
async fn predictive(s: &TestServer, page: &mut Page, user: &str) -> (i64, Value) {
    page.ws
        .send(json!({"v":1,"type":"command","command":{"command":"joinCampaign","campaign":97}}))
        .await;
    page.until("available", |m| {
        m["eventType"] == "SET_AGENT_STATUS" && m["payload"]["statusId"] == AVAILABLE
    })
    .await;
    let delivered = s
        .sim_post("/sim/dialer/deliver", json!({"campaign":97,"user":user}))
        .await;
    let started = page
        .until("CALL_STARTED", |m| m["eventType"] == "CALL_STARTED")
        .await;
    (
        delivered["call_id"].as_i64().unwrap(),
        started["payload"].clone(),
    )
}

/// The customer hangs up; the agent categorizes the contact in the components (Volver a
/// llamar, with notes) and goes available in Omni.
async fn hang_up_and_release(s: &TestServer, page: &mut Page, call: i64) {
    s.sim_post(&format!("/sim/calls/{call}/hangup"), json!({}))
        .await;
    page.until("AFTER_CALL_WORK_STARTED", |m| {
        m["eventType"] == "AFTER_CALL_WORK_STARTED"
    })
    .await;
    page.ws
        .send(
            json!({"v":1,"type":"command","command":{"command":"release",
            "subcategory":27,"notes":"no atiende, probar a la tarde"}}),
        )
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
}

/// Waits until the stand-in holds what `pred` wants (15 s).
async fn wait_api(
    api: &StandInServer,
    what: &str,
    pred: impl Fn(&sf_telephony_standin::Snapshot) -> bool,
) -> sf_telephony_standin::Snapshot {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let snapshot = api.shared().lock().snapshot();
        if pred(&snapshot) {
            return snapshot;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: the API holds {:?}",
            snapshot.calls
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_predictive_call_has_one_voicecall_ended_once_with_its_category() {
    let dir = tempfile::tempdir().unwrap();
    let (api, scrt) = api(dir.path()).await;
    let s = TestServer::start_with(config(scrt)).await;
    let mut page = Page::login(&s, "1001").await;
    let (call, started) = predictive(&s, &mut page, "1001").await;
    let key = format!("neotel-1001-{call}");

    // Created before Salesforce heard of the call: CALL_STARTED names it.
    let made = api.shared().lock().snapshot();
    let [record] = made.by_key(&key)[..] else {
        panic!("one VoiceCall for {key}: {:?}", made.calls)
    };
    assert_eq!(
        started["call"]["callAttributes"]["voiceCallId"], record.voice_call_id,
        "{started}"
    );
    assert_eq!(record.initiation_method, "Inbound");
    assert_eq!(record.created_with["callOrigin"], "Progressive");
    assert_eq!(record.created_with["to"], "08005550100");
    assert_eq!(record.fields["NeoCallId__c"], call.to_string());
    assert_eq!(record.fields["NeoCampaignId__c"], "97");

    s.sim_post("/sim/agents/1001/answer", json!({})).await;
    hang_up_and_release(&s, &mut page, call).await;
    let ended = wait_api(&api, "the VoiceCall ended", |a| {
        a.by_key(&key)
            .first()
            .is_some_and(|r| !r.updates.is_empty())
    })
    .await;
    let record = ended.by_key(&key)[0];
    assert_eq!(record.updates.len(), 1, "ended once: {:?}", record.updates);
    assert_eq!(record.fields["isActiveCall"], false);
    assert_eq!(record.fields["NeoSubcategory__c"], "No contesta");
    assert_eq!(
        record.fields["NeoNotes__c"],
        "no atiende, probar a la tarde"
    );
    assert!(record.fields.contains_key("NeoReleasedAt__c"), "{record:?}");
    // Neotel's contact data, known once it was shown: the simulator's base and CRM.
    assert!(record.fields.contains_key("NeoBaseId__c"), "{record:?}");
    assert!(record.fields.contains_key("NeoCrmId__c"), "{record:?}");
    assert_eq!(applied(&s, "UpdateContact").await, 1);
    assert_eq!(ended.calls.len(), 1, "one VoiceCall in all");
    assert_eq!(
        ended.refused.auth.values().sum::<u32>(),
        0,
        "every token taken"
    );
}

#[tokio::test]
async fn a_creation_whose_answer_was_lost_is_not_sent_again_and_the_call_goes_on_unlinked() {
    let dir = tempfile::tempdir().unwrap();
    let (api, scrt) = api(dir.path()).await;
    // R1 reaches Salesforce's records, its answer does not reach the server.
    let mut drop = Fault::new(FaultKind::Drop);
    drop.on = Target::Create;
    drop.after_write = true;
    api.shared().lock().set_faults(FaultPlan {
        next: vec![drop],
        ..FaultPlan::default()
    });
    let s = TestServer::start_with(config(scrt)).await;
    let mut page = Page::login(&s, "1002").await;
    let (call, started) = predictive(&s, &mut page, "1002").await;
    let key = format!("neotel-1002-{call}");
    assert!(
        started["call"]["callAttributes"]["voiceCallId"].is_null(),
        "unlinked: {started}"
    );
    s.sim_post("/sim/agents/1002/answer", json!({})).await;
    hang_up_and_release(&s, &mut page, call).await;
    // Its end goes by our key: the record the lost creation made is ended all the same.
    let ended = wait_api(&api, "the VoiceCall ended by key", |a| {
        a.by_key(&key)
            .first()
            .is_some_and(|r| !r.updates.is_empty())
    })
    .await;
    let [record] = ended.by_key(&key)[..] else {
        panic!("{:?}", ended.calls)
    };
    assert_eq!(record.create_requests, 1, "R1 never sent twice");
    assert_eq!(record.updates.len(), 1);
    let metrics = s
        .http
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("cti_voicecalls_total{kind=\"unlinked\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_key_that_does_not_match_its_certificate_stops_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let (_api, mut scrt) = api(dir.path()).await;
    let other = sf_telephony::DemoKeyPair::generate("another").unwrap();
    let certificate = dir.path().join("other-cert.pem");
    std::fs::write(&certificate, other.certificate_pem()).unwrap();
    scrt.certificate = certificate;
    let mut config = config(scrt);
    config.data_dir = dir.path().join("data");
    let refused = cti_server::Server::bind(config).await;
    let Err(e) = refused else {
        panic!("the server started with a key its certificate does not hold")
    };
    let text = e.to_string();
    assert!(text.contains("voice.key"), "{text}");
    assert!(!text.contains("PRIVATE KEY"), "no key material: {text}");
}
