//! Everything the client, the stand-in and the HTTP stack log at TRACE over a run with
//! accepted, refused, unknown and unsent requests, plus the errors a server would log, holds
//! no private key and no token.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{client, ended, inbound, key_fragments, pairs, r1_json, start};
use serde_json::json;
use sf_telephony::KeyMaterial;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Self;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn no_key_material_or_token_reaches_the_logs() {
    let capture = Capture::default();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(capture.clone())
        .try_init()
        .expect("the only subscriber of this test binary");

    let h = start(false).await;
    let created = h.client.create_voice_call(&inbound("neotel-log-1")).await;
    tracing::info!(outcome = %created, "server: create");
    let refused = h
        .raw_create(Some("Bearer not.a.token".into()), &r1_json("neotel-log-2"))
        .await;
    tracing::info!(?refused, "server: forged token");
    h.faults(json!({"next": [{"kind": "drop", "afterWrite": true}]}))
        .await;
    let unknown = h.client.update_voice_call("neotel-log-1", &ended()).await;
    tracing::warn!(outcome = %unknown, ?unknown, "server: update");
    let wrong_org = sf_telephony::TelephonyClient::new(
        sf_telephony::ClientConfig::new(
            h.server.base_url(),
            "00D000000000009",
            common::CENTER,
            "neotel",
        ),
        common::keys(),
    )
    .unwrap();
    let refused = wrong_org.create_voice_call(&inbound("neotel-log-3")).await;
    tracing::warn!(outcome = %refused, ?refused, "server: wrong org");
    let nowhere = client("http://127.0.0.1:9", |_| {});
    let not_sent = nowhere.create_voice_call(&inbound("neotel-log-4")).await;
    tracing::warn!(outcome = %not_sent, "server: nowhere");
    let (a, b) = pairs();
    let mismatch = KeyMaterial::from_pem(a.private_key_pem(), b.certificate_pem()).unwrap_err();
    tracing::error!(error = %mismatch, ?mismatch, "server: keys");
    tracing::debug!(keys = ?common::keys(), pair = ?a, client = ?h.client, "server: state");
    h.server.shutdown().await;

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.lines()
            .any(|l| l.contains("hyper") || l.contains("reqwest")),
        "the HTTP stack's TRACE lines are captured too"
    );
    for expected in [
        "telephony API: create VoiceCall",
        "stand-in: token refused",
        "does not match the certificate",
        "outcome unknown",
    ] {
        assert!(
            logs.contains(expected),
            "the run logged {expected:?}:\n{logs}"
        );
    }
    for fragment in key_fragments(a.private_key_pem(), a.certificate_pem()) {
        assert!(
            !logs.contains(&fragment),
            "key material {fragment:?} in the logs"
        );
    }
    // A signed JWT starts with the base64 of `{"`; none may be logged, nor a bearer header.
    assert!(!logs.contains("eyJ"), "a token in the logs");
    assert!(!logs.contains("Bearer ey"), "a bearer header in the logs");
}
