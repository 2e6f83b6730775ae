//! Key material: what loads, what is refused and why, and that the private key never shows.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use sf_telephony::{Claims, ClientConfig, DemoKeyPair, KeyError, KeyMaterial, TelephonyClient};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}/{name}")).expect("fixture")
}

/// Two generated pairs, shared by the tests of this file (RSA generation is slow unoptimized).
fn pairs() -> &'static (DemoKeyPair, DemoKeyPair) {
    static PAIRS: OnceLock<(DemoKeyPair, DemoKeyPair)> = OnceLock::new();
    PAIRS.get_or_init(|| {
        (
            DemoKeyPair::generate("sf-telephony test A").expect("pair A"),
            DemoKeyPair::generate("sf-telephony test B").expect("pair B"),
        )
    })
}

/// Fragments of a private key PEM that must never be shown: every 16-character run of its
/// base64 and every 16-hex-digit run of its DER (those that happen to be in its public
/// certificate too excepted), and the PEM's opening line.
fn fragments(private_key_pem: &str, certificate_pem: &str) -> Vec<String> {
    let base64: String = private_key_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(&base64)
        .expect("PEM body is base64");
    let hex: String = der.iter().map(|b| format!("{b:02x}")).collect();
    let mut out: Vec<String> = base64
        .as_bytes()
        .chunks(16)
        .filter(|c| c.len() == 16)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect();
    out.extend(
        hex.as_bytes()
            .chunks(16)
            .filter(|c| c.len() == 16)
            .map(|c| String::from_utf8(c.to_vec()).unwrap()),
    );
    out.retain(|f| !certificate_pem.contains(f.as_str()));
    out.push("BEGIN PRIVATE KEY".into());
    out.push("BEGIN RSA PRIVATE KEY".into());
    out
}

fn assert_no_key_in(text: &str, private_key_pem: &str, certificate_pem: &str) {
    for fragment in fragments(private_key_pem, certificate_pem) {
        assert!(
            !text.contains(&fragment),
            "key material {fragment:?} shown in: {text}"
        );
    }
}

#[test]
fn a_generated_pair_loads_and_signs_tokens_with_the_documented_claims() {
    let (a, _) = pairs();
    let keys = a.key_material().expect("a generated pair matches itself");
    assert_eq!(keys.key_bits(), 2048);
    assert!(keys.certificate_subject().contains("sf-telephony test A"));
    assert!(
        keys.certificate_pem()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    assert_eq!(keys.certificate_fingerprint().len(), 32 * 3 - 1);

    let now = SystemTime::now();
    let claims = Claims::new(
        "00DHs00000Kmpyr",
        "NeotelContactCenter",
        now,
        Duration::from_secs(300),
    );
    let token = keys.sign(&claims).expect("signs");
    let [header, payload, _signature] = token.split('.').collect::<Vec<_>>()[..] else {
        panic!("a JWT has three parts: {token}");
    };
    let decode = |part: &str| -> serde_json::Value {
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(part)
                .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(decode(header)["alg"], "RS256");
    let payload = decode(payload);
    assert_eq!(payload["iss"], "00DHs00000Kmpyr");
    assert_eq!(payload["sub"], "NeotelContactCenter");
    assert_eq!(
        payload["exp"].as_u64().unwrap() - payload["iat"].as_u64().unwrap(),
        300
    );
    assert!(payload.get("aud").is_none(), "the current API has no aud");
    assert_eq!(payload["jti"].as_str().unwrap().len(), 32);

    let again = Claims::new(
        "00DHs00000Kmpyr",
        "NeotelContactCenter",
        now,
        Duration::from_secs(300),
    );
    assert_ne!(claims.jti, again.jti, "a fresh jti per token");
    let long = Claims::new(
        "00DHs00000Kmpyr",
        "x",
        now,
        Duration::from_secs(3 * 24 * 3600),
    );
    assert_eq!(long.exp - long.iat, 24 * 3600, "clamped to 24 hours");
}

#[test]
fn a_key_that_does_not_match_the_certificate_is_refused_at_load() {
    let (a, b) = pairs();
    let err = KeyMaterial::from_pem(a.private_key_pem(), b.certificate_pem()).unwrap_err();
    assert!(matches!(err, KeyError::KeyMismatch { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("does not match the certificate"), "{text}");
    assert!(
        text.contains("sf-telephony test B"),
        "names the certificate: {text}"
    );
}

#[test]
fn pkcs1_and_pkcs8_keys_both_load() {
    let keys = KeyMaterial::from_pem(
        &fixture("test-only-pkcs1-key.pem"),
        &fixture("test-only-pkcs1-cert.pem"),
    )
    .expect("PKCS#1");
    assert_eq!(keys.key_bits(), 2048);
    let (a, _) = pairs();
    assert!(a.private_key_pem().contains("BEGIN PRIVATE KEY"), "PKCS#8");
    a.key_material().expect("PKCS#8");
}

#[test]
fn files_load_and_a_missing_one_is_named() {
    let dir = std::path::Path::new(FIXTURES);
    KeyMaterial::load(
        &dir.join("test-only-pkcs1-key.pem"),
        &dir.join("test-only-pkcs1-cert.pem"),
    )
    .expect("loads");
    let err = KeyMaterial::load(&dir.join("nope.pem"), &dir.join("test-only-pkcs1-cert.pem"))
        .unwrap_err();
    assert!(err.to_string().contains("private key file"), "{err}");
    assert!(err.to_string().contains("nope.pem"), "{err}");
}

#[test]
fn unusable_material_is_refused_with_a_reason_that_quotes_nothing() {
    let (a, _) = pairs();
    let pkcs1_key = fixture("test-only-pkcs1-key.pem");
    let pkcs1_cert = fixture("test-only-pkcs1-cert.pem");
    let cases: Vec<(&str, Result<KeyMaterial, KeyError>, &str)> = vec![
        (
            "1024 bits",
            KeyMaterial::from_pem(
                &fixture("test-only-1024-key.pem"),
                &fixture("test-only-1024-cert.pem"),
            ),
            "1024 bits",
        ),
        (
            "encrypted",
            KeyMaterial::from_pem(&fixture("test-only-encrypted-key.pem"), &pkcs1_cert),
            "encrypted",
        ),
        (
            "EC certificate",
            KeyMaterial::from_pem(&pkcs1_key, &fixture("test-only-ec-cert.pem")),
            "not RSA",
        ),
        (
            "paths swapped",
            KeyMaterial::from_pem(&pkcs1_cert, &pkcs1_key),
            "swapped",
        ),
        (
            "the key where the certificate goes",
            KeyMaterial::from_pem(a.private_key_pem(), a.private_key_pem()),
            "swapped",
        ),
        (
            "not PEM",
            KeyMaterial::from_pem("hello", &pkcs1_cert),
            "no PEM",
        ),
        (
            "a certificate where the key goes",
            KeyMaterial::from_pem(&pkcs1_cert, &pkcs1_cert),
            "no PEM",
        ),
        (
            "a damaged key",
            KeyMaterial::from_pem(&pkcs1_key.replacen("MII", "MIX", 1), &pkcs1_cert),
            "not usable",
        ),
    ];
    for (case, result, words) in cases {
        let err = result.expect_err(case);
        let text = format!("{err} / {err:?}");
        assert!(text.contains(words), "{case}: {text}");
        assert_no_key_in(&text, &pkcs1_key, &pkcs1_cert);
        assert_no_key_in(&text, a.private_key_pem(), a.certificate_pem());
    }
}

#[test]
fn debug_of_keys_pairs_and_clients_shows_no_private_key() {
    let (a, _) = pairs();
    let keys = Arc::new(a.key_material().unwrap());
    let client = TelephonyClient::new(
        ClientConfig::new(
            "https://acme.my.salesforce-scrt.com",
            "00DHs00000Kmpyr",
            "NeotelContactCenter",
            "neotel",
        ),
        keys.clone(),
    )
    .unwrap();
    for text in [format!("{keys:?}"), format!("{a:?}"), format!("{client:?}")] {
        assert!(text.contains("[redacted]"), "{text}");
        assert_no_key_in(&text, a.private_key_pem(), a.certificate_pem());
    }
}

#[test]
fn the_client_refuses_a_configuration_it_cannot_use() {
    let (a, _) = pairs();
    let keys = Arc::new(a.key_material().unwrap());
    let base = ClientConfig::new(
        "https://acme.my.salesforce-scrt.com",
        "00DHs00000Kmpyr",
        "NeotelContactCenter",
        "neotel",
    );
    let refused = |change: &dyn Fn(&mut ClientConfig)| {
        let mut config = base.clone();
        change(&mut config);
        TelephonyClient::new(config, keys.clone())
            .unwrap_err()
            .to_string()
    };
    assert!(
        refused(&|c| c.base_url = "http://acme.my.salesforce-scrt.com".into()).contains("https")
    );
    assert!(refused(&|c| c.org_id = "12345".into()).contains("org id"));
    assert!(
        refused(&|c| c.call_center_api_name = "Neotel Center".into()).contains("contact center")
    );
    assert!(refused(&|c| c.provider_name = String::new()).contains("Telephony-Provider-Name"));
    assert!(refused(&|c| c.token_lifetime = Duration::from_secs(25 * 3600)).contains("24 hours"));
    assert!(refused(&|c| c.timeout = Duration::ZERO).contains("timeouts"));
    let mut eighteen = base.clone();
    eighteen.org_id = "00DHs00000KmpyrAAA".into();
    TelephonyClient::new(eighteen, keys).expect("an 18-character org id");
}
