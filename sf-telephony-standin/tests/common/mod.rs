//! The shared harness: one demo key pair per test binary, a stand-in on loopback, the client
//! configured for it, raw requests for what the client would never send.
#![allow(dead_code, reason = "each test file uses part of the harness")]

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use sf_telephony::{
    Claims, ClientConfig, CreateVoiceCall, DemoKeyPair, InitiationMethod, KeyMaterial, Participant,
    TelephonyClient, UpdateVoiceCall,
};
use sf_telephony_standin::{FaultPlan, Snapshot, StandIn, StandInConfig, StandInServer};

pub const ORG: &str = "00DHs00000Kmpyr";
pub const CENTER: &str = "NeotelContactCenter";

/// The pair Salesforce would hold the certificate of, and another one it does not know.
pub fn pairs() -> &'static (DemoKeyPair, DemoKeyPair) {
    static PAIRS: OnceLock<(DemoKeyPair, DemoKeyPair)> = OnceLock::new();
    PAIRS.get_or_init(|| {
        (
            DemoKeyPair::generate("stand-in test: the contact center's").expect("pair"),
            DemoKeyPair::generate("stand-in test: a stranger's").expect("pair"),
        )
    })
}

pub fn keys() -> Arc<KeyMaterial> {
    Arc::new(pairs().0.key_material().expect("the pair matches"))
}

pub struct Harness {
    pub server: StandInServer,
    pub client: TelephonyClient,
    pub http: reqwest::Client,
}

/// A stand-in on 127.0.0.1 (`dedupe` as given) and a client for it.
pub async fn start(dedupe: bool) -> Harness {
    let mut config = StandInConfig::new(ORG, CENTER, pairs().0.certificate_pem());
    config.dedupe = dedupe;
    let server = StandInServer::start(
        "127.0.0.1:0".parse().unwrap(),
        StandIn::new(config).expect("stand-in"),
    )
    .await
    .expect("listens");
    let client = client(&server.base_url(), |_| {});
    Harness {
        server,
        client,
        http: reqwest::Client::new(),
    }
}

/// A client of `base_url`, its configuration changed by `change`.
pub fn client(base_url: &str, change: impl FnOnce(&mut ClientConfig)) -> TelephonyClient {
    let mut config = ClientConfig::new(base_url, ORG, CENTER, "neotel");
    change(&mut config);
    TelephonyClient::new(config, keys()).expect("client")
}

/// An inbound call's R1.
pub fn inbound(vendor_call_key: &str) -> CreateVoiceCall {
    CreateVoiceCall {
        call_center_api_name: CENTER.into(),
        vendor_call_key: vendor_call_key.into(),
        to: "8005550100".into(),
        from: "1155550199".into(),
        initiation_method: InitiationMethod::Inbound,
        start_time: chrono::Utc::now(),
        participants: vec![Participant::end_user("1155550199")],
        parent_voice_call_id: None,
        queue: None,
        call_origin: None,
        call_subtype: None,
        call_attributes: Some(sf_telephony::call_attributes([(
            "NeoCallId__c",
            vendor_call_key,
        )])),
    }
}

/// A call's end: R2.
pub fn ended() -> UpdateVoiceCall {
    UpdateVoiceCall {
        end_time: Some(chrono::Utc::now()),
        agent_interaction_duration: Some(42),
        total_hold_duration: Some(0),
        is_active_call: Some(false),
        call_attributes: Some(sf_telephony::call_attributes([("NeoCategory__c", "Venta")])),
        ..UpdateVoiceCall::default()
    }
}

/// A token signed by the contact center's key, with `claims`.
pub fn token(claims: &Claims) -> String {
    keys().sign(claims).expect("signs")
}

/// Valid claims for now.
pub fn claims() -> Claims {
    Claims::new(ORG, CENTER, SystemTime::now(), Duration::from_secs(300))
}

pub fn r1_json(vendor_call_key: &str) -> serde_json::Value {
    serde_json::to_value(inbound(vendor_call_key)).unwrap()
}

impl Harness {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base_url())
    }

    /// What the stand-in holds, read through `GET /_standin/calls`.
    pub async fn snapshot(&self) -> Snapshot {
        self.http
            .get(self.url("/_standin/calls"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Sets the fault plan through `POST /_standin/faults`.
    pub async fn faults(&self, plan: serde_json::Value) {
        let plan: FaultPlan = serde_json::from_value(plan).expect("a fault plan");
        let status = self
            .http
            .post(self.url("/_standin/faults"))
            .json(&plan)
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_success(), "{status}");
    }

    /// A raw R1 with `authorization` (none if `None`) and `body`: `(status, body)`.
    pub async fn raw_create(
        &self,
        authorization: Option<String>,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let mut request = self
            .http
            .post(self.url("/telephony/v1/voiceCalls"))
            .header("Telephony-Provider-Name", "neotel")
            .json(body);
        if let Some(authorization) = authorization {
            request = request.header("Authorization", authorization);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or_default())
    }
}

/// Fragments of a private key that must never be shown: every 16-character run of its PEM's
/// base64 and every 16-hex-digit run of its DER (those also in its public certificate
/// excepted), and the PEM's opening lines.
pub fn key_fragments(private_key_pem: &str, certificate_pem: &str) -> Vec<String> {
    use base64::Engine as _;
    let base64: String = private_key_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(&base64)
        .expect("PEM body is base64");
    let hex: String = der.iter().map(|b| format!("{b:02x}")).collect();
    let runs = |text: &str| -> Vec<String> {
        text.as_bytes()
            .chunks(16)
            .filter(|c| c.len() == 16)
            .map(|c| String::from_utf8(c.to_vec()).unwrap())
            .collect()
    };
    let mut out = runs(&base64);
    out.extend(runs(&hex));
    out.retain(|f| !certificate_pem.contains(f.as_str()));
    out.push("BEGIN PRIVATE KEY".into());
    out.push("BEGIN RSA PRIVATE KEY".into());
    out
}
