//! What the stand-in keeps and checks: R1 bodies and enums, minted ids, the `errors` sentence,
//! R2 by id or vendor key, R9, transfer legs, and the headers every call carries.

mod common;

use common::{claims, ended, inbound, r1_json, start, token};
use serde_json::json;
use sf_telephony::{CreateErrors, InitiationMethod, Outcome};
use sf_telephony_standin::Settings;

#[tokio::test]
async fn ids_are_0lq_and_twelve_base62_characters() {
    let h = start(false).await;
    for n in 0..5 {
        let created = h
            .client
            .create_voice_call(&inbound(&format!("neotel-id-{n}")))
            .await
            .accepted()
            .unwrap();
        let id = created.voice_call_id;
        assert_eq!(id.len(), 15, "{id}");
        assert!(id.starts_with("0LQ"), "{id}");
        assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
    }
    h.server.shutdown().await;
}

#[tokio::test]
async fn r1_bodies_outside_the_documented_shape_are_refused() {
    let h = start(false).await;
    let base = r1_json("neotel-bad");
    let change = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut body = base.clone();
        f(&mut body);
        body
    };
    let cases = [
        (
            "Outbound",
            change(&|b| b["initiationMethod"] = json!("Outbound")),
            "Outbound calls aren't supported",
        ),
        (
            "unknown method",
            change(&|b| b["initiationMethod"] = json!("Callback")),
            "initiationMethod",
        ),
        (
            "Transfer without parent",
            change(&|b| b["initiationMethod"] = json!("Transfer")),
            "parentVoiceCallId",
        ),
        (
            "two participants",
            change(
                &|b| b["participants"] = json!([{"participantKey": "a", "type": "END_USER"}, {"participantKey": "b", "type": "END_USER"}]),
            ),
            "exactly one",
        ),
        (
            "agent participant",
            change(&|b| b["participants"] = json!([{"participantKey": "a", "type": "AGENT"}])),
            "END_USER",
        ),
        (
            "no participants",
            change(&|b| {
                b.as_object_mut().unwrap().remove("participants");
            }),
            "participants is required",
        ),
        (
            "attributes as an object",
            change(&|b| b["callAttributes"] = json!({"NeoCallId__c": "1"})),
            "callAttributes must be a string",
        ),
        (
            "attributes not JSON",
            change(&|b| b["callAttributes"] = json!("NeoCallId__c=1")),
            "JSON object",
        ),
        (
            "local time",
            change(&|b| b["startTime"] = json!("2026-11-24T09:00:00-03:00")),
            "not in UTC",
        ),
        (
            "not a time",
            change(&|b| b["startTime"] = json!("yesterday")),
            "ISO-8601",
        ),
        (
            "callOrigin",
            change(&|b| b["callOrigin"] = json!("Predictive")),
            "callOrigin",
        ),
        (
            "callSubtype",
            change(&|b| b["callSubtype"] = json!("SIP")),
            "callSubtype",
        ),
        (
            "misspelt field",
            change(&|b| b["vendorCallId"] = json!("x")),
            "unknown field",
        ),
        (
            "other contact center",
            change(&|b| b["callCenterApiName"] = json!("Other")),
            "contact center",
        ),
        (
            "no vendorCallKey",
            change(&|b| b["vendorCallKey"] = json!("")),
            "vendorCallKey is required",
        ),
        ("not an object", json!(["x"]), "JSON object"),
    ];
    for (case, body, words) in cases {
        let (status, answer) = h
            .raw_create(Some(format!("Bearer {}", token(&claims()))), &body)
            .await;
        assert_eq!(status, 400, "{case}: {answer}");
        let message = answer["message"].as_str().unwrap();
        assert!(message.contains(words), "{case}: {message}");
    }
    let snapshot = h.snapshot().await;
    assert!(snapshot.calls.is_empty());
    assert_eq!(snapshot.refused.invalid, 16);
    h.server.shutdown().await;
}

#[tokio::test]
async fn every_field_the_client_can_send_passes_the_stand_ins_checks() {
    let h = start(false).await;
    let mut full = inbound("neotel-full");
    full.call_origin = Some(sf_telephony::CallOrigin::Preview);
    full.call_subtype = Some(sf_telephony::CallSubtype::WebRtc);
    full.queue = Some("200".into());
    h.client
        .create_voice_call(&full)
        .await
        .accepted()
        .expect("R1 with every field");
    let now = chrono::Utc::now();
    let every = sf_telephony::UpdateVoiceCall {
        start_time: Some(now),
        end_time: Some(now),
        enqueue_time: Some(now),
        accept_time: Some(now),
        from_number: Some("1155550199".into()),
        total_hold_duration: Some(3),
        longest_hold_duration: Some(2),
        number_of_holds: Some(2),
        queue: Some("200".into()),
        agent: Some("agent@example.com".into()),
        agent_interaction_duration: Some(90),
        call_origin: Some(sf_telephony::CallOrigin::Progressive),
        recording_location: Some("https://example.com/rec/1".into()),
        total_recording_duration: Some(80),
        call_attributes: Some("{}".into()),
        is_active_call: Some(false),
        disconnect_reason: Some(sf_telephony::DisconnectReason {
            value: "CALLBACK".into(),
            is_error: false,
        }),
    };
    let outcome = h.client.update_voice_call("neotel-full", &every).await;
    assert!(matches!(outcome, Outcome::Accepted(_)), "{outcome:?}");
    h.server.shutdown().await;
}

#[tokio::test]
async fn unknown_call_attributes_create_the_record_with_the_errors_sentence() {
    let h = start(false).await;
    let settings = Settings {
        dedupe: false,
        known_call_attributes: Some(["NeoCallId__c".to_owned()].into()),
    };
    h.http
        .post(h.url("/_standin/settings"))
        .json(&settings)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let mut body = inbound("neotel-attrs");
    body.call_attributes = Some(sf_telephony::call_attributes([
        ("NeoCallId__c", "1"),
        ("NeoTypo__c", "2"),
        ("SourceType", "Service"),
    ]));
    let created = h.client.create_voice_call(&body).await.accepted().unwrap();
    let CreateErrors::Text(sentence) = &created.errors else {
        panic!("{:?}", created.errors);
    };
    assert!(sentence.starts_with("We created your voice call but there were some errors"));
    assert!(
        sentence.contains("NeoTypo__c") && !sentence.contains("SourceType"),
        "{sentence}"
    );
    assert_eq!(
        h.snapshot()
            .await
            .by_id(&created.voice_call_id)
            .unwrap()
            .vendor_call_key,
        "neotel-attrs"
    );
    h.server.shutdown().await;
}

#[tokio::test]
async fn updates_find_the_call_by_id_or_vendor_key_and_clear_routing_is_counted() {
    let h = start(false).await;
    let created = h
        .client
        .create_voice_call(&inbound("neotel-30"))
        .await
        .accepted()
        .unwrap();
    assert!(
        h.client
            .update_voice_call("neotel-30", &ended())
            .await
            .accepted()
            .is_some()
    );
    let mut later = ended();
    later.call_attributes = Some(sf_telephony::call_attributes([(
        "NeoCategory__c",
        "No contesta",
    )]));
    assert!(
        h.client
            .update_voice_call(&created.voice_call_id, &later)
            .await
            .accepted()
            .is_some()
    );
    assert!(matches!(
        h.client.clear_routing(&created.voice_call_id).await,
        Outcome::Accepted(_)
    ));
    assert!(matches!(
        h.client.clear_routing("neotel-nobody").await,
        Outcome::Refused(sf_telephony::Refusal { status: 404, .. })
    ));
    let snapshot = h.snapshot().await;
    let call = snapshot.by_id(&created.voice_call_id).unwrap();
    assert_eq!(call.updates.len(), 2);
    assert_eq!(call.clear_routing, 1);
    assert_eq!(
        call.fields["NeoCategory__c"], "No contesta",
        "the latest write wins"
    );
    assert_eq!(
        call.fields["NeoCallId__c"], "neotel-30",
        "R1's custom fields stay"
    );
    assert!(
        call.fields.get("callAttributes").is_none(),
        "spread out by name"
    );
    assert_eq!(
        call.fields["vendorCallKey"], "neotel-30",
        "R1's fields stay"
    );
    assert_eq!(snapshot.refused.unknown_call, 1);
    h.server.shutdown().await;
}

#[tokio::test]
async fn a_transfer_leg_names_its_parent() {
    let h = start(false).await;
    let parent = h
        .client
        .create_voice_call(&inbound("neotel-40"))
        .await
        .accepted()
        .unwrap();
    let mut leg = inbound("neotel-40-2");
    leg.initiation_method = InitiationMethod::Transfer;
    leg.parent_voice_call_id = Some(parent.voice_call_id.clone());
    leg.queue = Some("200".into());
    let leg = h.client.create_voice_call(&leg).await.accepted().unwrap();
    let mut orphan = inbound("neotel-41-2");
    orphan.initiation_method = InitiationMethod::Transfer;
    orphan.parent_voice_call_id = Some("neotel-never".into());
    h.client
        .create_voice_call(&orphan)
        .await
        .accepted()
        .unwrap();
    let snapshot = h.snapshot().await;
    let stored = snapshot.by_id(&leg.voice_call_id).unwrap();
    assert_eq!(stored.initiation_method, "Transfer");
    assert_eq!(stored.parent_found, Some(true));
    assert_eq!(snapshot.by_key("neotel-41-2")[0].parent_found, Some(false));
    assert_eq!(
        snapshot.by_id(&parent.voice_call_id).unwrap().parent_found,
        None
    );
    h.server.shutdown().await;
}

#[tokio::test]
async fn calls_without_json_content_type_or_provider_name_are_refused() {
    let h = start(false).await;
    let url = h.url("/telephony/v1/voiceCalls");
    let body = serde_json::to_vec(&r1_json("neotel-50")).unwrap();
    let no_type = h
        .http
        .post(&url)
        .header("Authorization", format!("Bearer {}", token(&claims())))
        .header("Telephony-Provider-Name", "neotel")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(no_type.status(), 415);
    let no_provider = h
        .http
        .post(&url)
        .header("Authorization", format!("Bearer {}", token(&claims())))
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(no_provider.status(), 400);
    assert!(
        no_provider
            .text()
            .await
            .unwrap()
            .contains("Telephony-Provider-Name")
    );
    assert!(h.snapshot().await.calls.is_empty());
    h.server.shutdown().await;
}

#[tokio::test]
async fn reset_forgets_records_counts_and_faults() {
    let h = start(false).await;
    h.client
        .create_voice_call(&inbound("neotel-60"))
        .await
        .accepted()
        .unwrap();
    h.faults(json!({"next": [{"kind": "drop"}]})).await;
    h.http
        .post(h.url("/_standin/reset"))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let snapshot = h.snapshot().await;
    assert!(snapshot.calls.is_empty());
    assert_eq!(snapshot.requests, 0);
    assert!(
        h.client
            .create_voice_call(&inbound("neotel-61"))
            .await
            .accepted()
            .is_some(),
        "the fault went with the reset"
    );
    h.server.shutdown().await;
}
