//! The JWT over real HTTP: the stand-in accepts the client's tokens and refuses every forged,
//! stale or replayed one, as Salesforce documents it does (spec §3.2, §3.5).

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use common::{CENTER, claims, ended, inbound, pairs, r1_json, start, token};
use sf_telephony::{Claims, Outcome, Refusal};

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn with(change: impl FnOnce(&mut Claims)) -> Claims {
    let mut c = claims();
    change(&mut c);
    c
}

#[tokio::test]
async fn the_clients_tokens_are_accepted_for_create_update_and_clear_routing() {
    let h = start(false).await;
    let Outcome::Accepted(created) = h.client.create_voice_call(&inbound("neotel-1")).await else {
        panic!("create refused: {:?}", h.snapshot().await.refused);
    };
    assert!(created.errors.is_empty());
    let updated = h
        .client
        .update_voice_call(&created.voice_call_id, &ended())
        .await;
    assert_eq!(
        updated.accepted().unwrap().status.as_deref(),
        Some("pending")
    );
    assert!(matches!(
        h.client.clear_routing("neotel-1").await,
        Outcome::Accepted(_)
    ));
    let snapshot = h.snapshot().await;
    assert!(snapshot.refused.auth.is_empty(), "{:?}", snapshot.refused);
    assert_eq!(snapshot.calls.len(), 1);
    assert_eq!(snapshot.calls[0].updates.len(), 1);
    assert_eq!(snapshot.calls[0].clear_routing, 1);
    h.server.shutdown().await;
}

#[tokio::test]
async fn forged_stale_and_foreign_tokens_are_refused_and_nothing_is_written() {
    let h = start(false).await;
    let good = token(&claims());
    let [header, payload, signature] = good.split('.').collect::<Vec<_>>()[..] else {
        panic!("three parts");
    };
    let other_payload = b64(&serde_json::to_vec(&with(|c| c.sub = "Other".into())).unwrap());
    let mut flipped = signature.to_owned();
    let last = if flipped.ends_with('A') { "B" } else { "A" };
    flipped.replace_range(flipped.len() - 1.., last);
    let none_header = b64(br#"{"alg":"none","typ":"JWT"}"#);
    let hs256 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims(),
        // the classic confusion: the public certificate used as an HMAC secret
        &jsonwebtoken::EncodingKey::from_secret(pairs().0.certificate_pem().as_bytes()),
    )
    .unwrap();
    let stranger = pairs().1.key_material().unwrap();
    let t = now();
    let cases: Vec<(&str, Option<String>, &str)> = vec![
        ("no header", None, "missing"),
        ("not bearer", Some(format!("Basic {good}")), "notBearer"),
        ("not a JWT", Some("Bearer hello".into()), "malformed"),
        (
            "payload swapped",
            Some(format!("Bearer {header}.{other_payload}.{signature}")),
            "signature",
        ),
        (
            "signature altered",
            Some(format!("Bearer {header}.{payload}.{flipped}")),
            "signature",
        ),
        (
            "alg none",
            Some(format!("Bearer {none_header}.{payload}.")),
            "algorithm",
        ),
        ("HS256", Some(format!("Bearer {hs256}")), "algorithm"),
        (
            "signed by another key",
            Some(format!("Bearer {}", stranger.sign(&claims()).unwrap())),
            "signature",
        ),
        (
            "expired",
            Some(format!(
                "Bearer {}",
                token(&with(|c| {
                    c.iat = t - 600;
                    c.exp = t - 1;
                }))
            )),
            "expired",
        ),
        (
            "wrong issuer",
            Some(format!(
                "Bearer {}",
                token(&with(|c| c.iss = "00D000000000002".into()))
            )),
            "issuer",
        ),
        (
            "wrong subject",
            Some(format!(
                "Bearer {}",
                token(&with(|c| c.sub = "OtherCenter".into()))
            )),
            "subject",
        ),
        (
            "valid for more than 24 hours",
            Some(format!(
                "Bearer {}",
                token(&with(|c| {
                    c.iat = t;
                    c.exp = t + 25 * 3600;
                }))
            )),
            "tooLong",
        ),
        (
            "issued an hour ahead",
            Some(format!(
                "Bearer {}",
                token(&with(|c| {
                    c.iat = t + 3600;
                    c.exp = t + 3900;
                }))
            )),
            "fromTheFuture",
        ),
    ];
    for (case, authorization, reason) in &cases {
        let (status, body) = h
            .raw_create(authorization.clone(), &r1_json("neotel-forged"))
            .await;
        assert_eq!(status, 401, "{case}: {body}");
        let refused = h.snapshot().await.refused.auth;
        assert!(
            refused.get(*reason).is_some_and(|n| *n > 0),
            "{case}: {refused:?} {body}"
        );
    }
    let snapshot = h.snapshot().await;
    assert!(snapshot.calls.is_empty(), "no forged token wrote anything");
    assert_eq!(
        snapshot.refused.auth.values().sum::<u32>(),
        u32::try_from(cases.len()).unwrap()
    );
    h.server.shutdown().await;
}

#[tokio::test]
async fn a_replayed_token_is_refused() {
    let h = start(false).await;
    let once = format!("Bearer {}", token(&claims()));
    let (first, _) = h.raw_create(Some(once.clone()), &r1_json("neotel-2")).await;
    assert_eq!(first, 200);
    let (second, body) = h.raw_create(Some(once), &r1_json("neotel-3")).await;
    assert_eq!(second, 401, "{body}");
    assert_eq!(h.snapshot().await.refused.auth["replayed"], 1);
    assert_eq!(h.snapshot().await.calls.len(), 1);
    h.server.shutdown().await;
}

#[tokio::test]
async fn a_client_configured_for_another_org_is_refused_as_such() {
    let h = start(false).await;
    let mut config =
        sf_telephony::ClientConfig::new(h.server.base_url(), "00D000000000002", CENTER, "neotel");
    config.token_lifetime = Duration::from_secs(60);
    let client = sf_telephony::TelephonyClient::new(config, common::keys()).unwrap();
    let mut r1 = inbound("neotel-4");
    r1.call_center_api_name = CENTER.into();
    match client.create_voice_call(&r1).await {
        Outcome::Refused(Refusal { status: 401, body }) => {
            assert!(body.contains("issuer"), "{body}");
        }
        other => panic!("{other:?}"),
    }
    h.server.shutdown().await;
}
