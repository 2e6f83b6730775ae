//! Each fault the stand-in injects gives the client's matching typed outcome, and the
//! stand-in's counts show what was really written: the client never resends on its own, an
//! R2 resent after an unknown outcome lands once more, an R1 whose answer was lost exists once.

mod common;

use std::time::Duration;

use common::{client, ended, inbound, start};
use serde_json::json;
use sf_telephony::{NotSent, Outcome, Refusal, Unknown};

#[tokio::test]
async fn a_5xx_before_the_write_is_unknown_and_nothing_was_written() {
    let h = start(false).await;
    h.faults(json!({"next": [{"kind": "serverError", "status": 503}]}))
        .await;
    let outcome = h.client.create_voice_call(&inbound("neotel-10")).await;
    assert!(
        matches!(
            outcome,
            Outcome::Unknown(Unknown::ServerError { status: 503, .. })
        ),
        "{outcome:?}"
    );
    assert!(outcome.may_have_applied());
    let snapshot = h.snapshot().await;
    assert!(snapshot.calls.is_empty());
    assert_eq!(snapshot.faults_injected["serverError"], 1);
    h.server.shutdown().await;
}

#[tokio::test]
async fn a_5xx_after_the_write_is_unknown_and_the_record_exists_once() {
    let h = start(false).await;
    h.faults(json!({"next": [{"kind": "serverError", "afterWrite": true, "status": 500}]}))
        .await;
    let outcome = h.client.create_voice_call(&inbound("neotel-11")).await;
    assert!(
        matches!(
            outcome,
            Outcome::Unknown(Unknown::ServerError { status: 500, .. })
        ),
        "{outcome:?}"
    );
    let snapshot = h.snapshot().await;
    assert_eq!(snapshot.by_key("neotel-11").len(), 1);
    assert_eq!(
        snapshot.calls[0].create_requests, 1,
        "the client did not resend"
    );
    h.server.shutdown().await;
}

#[tokio::test]
async fn a_connection_dropped_before_the_write_is_unknown_and_nothing_was_written() {
    let h = start(false).await;
    h.faults(json!({"next": [{"kind": "drop", "on": "create"}]}))
        .await;
    let outcome = h.client.create_voice_call(&inbound("neotel-12")).await;
    assert!(
        matches!(outcome, Outcome::Unknown(Unknown::ConnectionLost { .. })),
        "{outcome:?}"
    );
    assert!(h.snapshot().await.calls.is_empty());
    h.server.shutdown().await;
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_exists_once_and_is_not_resent_by_the_client() {
    let h = start(false).await;
    h.faults(json!({"next": [{"kind": "drop", "on": "create", "afterWrite": true}]}))
        .await;
    let outcome = h.client.create_voice_call(&inbound("neotel-13")).await;
    let Outcome::Unknown(Unknown::ConnectionLost { detail }) = &outcome else {
        panic!("{outcome:?}");
    };
    assert!(!detail.is_empty());
    let snapshot = h.snapshot().await;
    let records = snapshot.by_key("neotel-13");
    assert_eq!(records.len(), 1, "applied, answer lost");
    assert_eq!(records[0].create_requests, 1, "the client did not resend");
    assert_eq!(snapshot.faults_injected["dropAfterWrite"], 1);
    h.server.shutdown().await;
}

#[tokio::test]
async fn an_answer_held_past_the_timeout_is_unknown_and_the_write_was_applied() {
    let h = start(false).await;
    let impatient = client(&h.server.base_url(), |c| {
        c.timeout = Duration::from_millis(300);
    });
    let created = h
        .client
        .create_voice_call(&inbound("neotel-14"))
        .await
        .accepted()
        .unwrap();
    h.faults(json!({"next": [{"kind": "delay", "ms": 60000}]}))
        .await;
    let outcome = impatient
        .update_voice_call(&created.voice_call_id, &ended())
        .await;
    assert!(
        matches!(outcome, Outcome::Unknown(Unknown::TimedOut { .. })),
        "{outcome:?}"
    );
    let snapshot = h.snapshot().await;
    assert_eq!(
        snapshot
            .by_id(&created.voice_call_id)
            .unwrap()
            .updates
            .len(),
        1
    );
    h.server.shutdown().await;
}

#[tokio::test]
async fn an_update_resent_after_an_unknown_outcome_lands_once_more_with_the_same_body() {
    let h = start(false).await;
    let created = h
        .client
        .create_voice_call(&inbound("neotel-15"))
        .await
        .accepted()
        .unwrap();
    h.faults(json!({"next": [{"kind": "drop", "on": "update", "afterWrite": true}]}))
        .await;
    let end = ended();
    let first = h.client.update_voice_call("neotel-15", &end).await;
    assert!(matches!(first, Outcome::Unknown(_)), "{first:?}");
    // The caller's decision (R2 overwrites by id): send the same body again.
    let again = h.client.update_voice_call("neotel-15", &end).await;
    assert!(matches!(again, Outcome::Accepted(_)), "{again:?}");
    let snapshot = h.snapshot().await;
    let call = snapshot.by_id(&created.voice_call_id).unwrap();
    assert_eq!(
        call.updates.len(),
        2,
        "the lost answer's write and the resend"
    );
    assert_eq!(call.updates[0], call.updates[1], "the same body twice");
    assert_eq!(call.fields["isActiveCall"], false);
    assert_eq!(call.fields["agentInteractionDuration"], 42);
    h.server.shutdown().await;
}

#[tokio::test]
async fn a_repeated_vendor_call_key_gets_the_same_record_or_another_per_the_dedupe_switch() {
    for dedupe in [true, false] {
        let h = start(dedupe).await;
        let first = h
            .client
            .create_voice_call(&inbound("neotel-16"))
            .await
            .accepted()
            .unwrap();
        let second = h
            .client
            .create_voice_call(&inbound("neotel-16"))
            .await
            .accepted()
            .unwrap();
        let snapshot = h.snapshot().await;
        if dedupe {
            assert_eq!(first.voice_call_id, second.voice_call_id);
            assert_eq!(snapshot.calls.len(), 1);
            assert_eq!(snapshot.calls[0].create_requests, 2);
        } else {
            assert_ne!(first.voice_call_id, second.voice_call_id);
            assert_eq!(snapshot.by_key("neotel-16").len(), 2);
        }
        h.server.shutdown().await;
    }
}

#[tokio::test]
async fn refusals_are_refused_with_salesforces_words() {
    let h = start(false).await;
    let outcome = h.client.update_voice_call("neotel-nobody", &ended()).await;
    match &outcome {
        Outcome::Refused(Refusal { status: 404, body }) => assert!(body.contains("neotel-nobody")),
        other => panic!("{other:?}"),
    }
    assert!(!outcome.may_have_applied());
    let mut no_number = inbound("neotel-17");
    no_number.to = String::new();
    match h.client.create_voice_call(&no_number).await {
        Outcome::Refused(Refusal { status: 400, body }) => assert!(body.contains("to is required")),
        other => panic!("{other:?}"),
    }
    assert!(h.snapshot().await.calls.is_empty());
    h.server.shutdown().await;
}

#[tokio::test]
async fn nothing_listening_is_not_sent() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let nobody = client(&format!("http://127.0.0.1:{port}"), |_| {});
    let outcome = nobody.create_voice_call(&inbound("neotel-18")).await;
    assert!(
        matches!(outcome, Outcome::NotSent(NotSent::Unreachable { .. })),
        "{outcome:?}"
    );
    assert!(!outcome.may_have_applied());
}

#[tokio::test]
async fn a_failed_tls_handshake_is_not_sent() {
    let h = start(false).await;
    // https to the stand-in's plain HTTP port: the handshake fails before any request.
    let tls = client(&format!("https://{}", h.server.addr()), |_| {});
    let outcome = tls.create_voice_call(&inbound("neotel-19")).await;
    assert!(
        matches!(outcome, Outcome::NotSent(NotSent::Unreachable { .. })),
        "{outcome:?}"
    );
    let snapshot = h.snapshot().await;
    assert_eq!(snapshot.requests, 0, "no request reached the stand-in");
    h.server.shutdown().await;
}

#[tokio::test]
async fn a_request_the_api_would_refuse_is_not_sent() {
    let h = start(false).await;
    let mut two = inbound("neotel-20");
    two.participants
        .push(sf_telephony::Participant::end_user("other"));
    let mut orphan = inbound("neotel-21");
    orphan.initiation_method = sf_telephony::InitiationMethod::Transfer;
    let mut attributes = inbound("neotel-22");
    attributes.call_attributes = Some("[1, 2]".into());
    for body in [two, orphan, attributes] {
        let outcome = h.client.create_voice_call(&body).await;
        assert!(
            matches!(outcome, Outcome::NotSent(NotSent::Invalid { .. })),
            "{outcome:?}"
        );
    }
    assert!(matches!(
        h.client.update_voice_call(" ", &ended()).await,
        Outcome::NotSent(NotSent::Invalid { .. })
    ));
    assert_eq!(h.snapshot().await.requests, 0);
    h.server.shutdown().await;
}

#[tokio::test]
async fn random_faults_are_reproducible_and_every_write_is_accounted_for() {
    let mut tallies = Vec::new();
    for _ in 0..2 {
        let h = start(false).await;
        let created = h
            .client
            .create_voice_call(&inbound("neotel-23"))
            .await
            .accepted()
            .unwrap();
        h.faults(json!({
            "rates": {"serverError": 0.2, "serverErrorAfterWrite": 0.1, "drop": 0.1, "dropAfterWrite": 0.1},
            "seed": 7
        }))
        .await;
        let mut kinds = Vec::new();
        for _ in 0..30 {
            kinds.push(
                h.client
                    .update_voice_call(&created.voice_call_id, &ended())
                    .await
                    .kind(),
            );
        }
        let snapshot = h.snapshot().await;
        let written = snapshot
            .by_id(&created.voice_call_id)
            .unwrap()
            .updates
            .len();
        let injected = |k: &str| snapshot.faults_injected.get(k).copied().unwrap_or(0) as usize;
        let accepted = kinds.iter().filter(|k| **k == "accepted").count();
        assert_eq!(
            written,
            accepted + injected("serverErrorAfterWrite") + injected("dropAfterWrite"),
            "every write is an accepted answer or a fault after the write"
        );
        assert!(
            kinds.contains(&"unknown") && kinds.contains(&"accepted"),
            "{kinds:?}"
        );
        tallies.push(kinds);
        h.server.shutdown().await;
    }
    assert_eq!(
        tallies[0], tallies[1],
        "the same seed fails the same requests"
    );
}
