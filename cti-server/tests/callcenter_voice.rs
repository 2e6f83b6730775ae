//! `cti-server callcenter generate --voice` and `check --voice`, as an admin runs them: the
//! Salesforce Voice partner-telephony contact center holding the server's certificate, its
//! check, and what is refused (a private key, the template's placeholder, an Open CTI file).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sf-telephony/tests/fixtures")
        .join(name)
}

fn cti_server(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cti-server"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

#[test]
fn generate_voice_then_check_it_and_every_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let certificate = fixture("test-only-pkcs1-cert.pem");
    let out = cti_server(&[
        "callcenter",
        "generate",
        "--voice",
        "--certificate",
        certificate.to_str().unwrap(),
        "--internal-name",
        "AcmeContactCenter",
        "--vendor-info",
        "neotel__NeotelVendor",
        "--long-distance-prefix",
        "0",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let xml = text(&out.stdout);
    for needle in [
        "name=\"reqInternalName\" label=\"Internal Name\">AcmeContactCenter<",
        "name=\"reqVendorInfoApiName\" label=\"Vendor Info API Name\">neotel__NeotelVendor<",
        "name=\"reqTelephonyIntegrationCertificate\" label=\"Telephony Integration Certificate\">-----BEGIN CERTIFICATE-----",
        "name=\"reqLongDistPrefix\" label=\"Long Distance Prefix\">0<",
    ] {
        assert!(xml.contains(needle), "{needle} missing in:\n{xml}");
    }
    let good = dir.path().join("voice.xml");
    std::fs::write(&good, &xml).unwrap();

    let out = cti_server(&["callcenter", "check", "--voice", good.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["internalName"], "AcmeContactCenter");
    assert_eq!(report["longDistancePrefix"], "0");
    assert_eq!(
        report["certificate"]["subject"],
        "CN=sf-telephony test only (PKCS#1)"
    );

    // The Open CTI check of the same file: every Voice item named, exit 1.
    let out = cti_server(&["callcenter", "check", good.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));

    // A broken file: every problem, one per line, each with its line.
    let bad = dir.path().join("bad.xml");
    std::fs::write(
        &bad,
        xml.replace(">AcmeContactCenter<", ">Acme Contact Center<")
            .replace(">neotel__NeotelVendor<", "><"),
    )
    .unwrap();
    let out = cti_server(&["callcenter", "check", "--voice", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let problems = text(&out.stdout);
    assert_eq!(problems.lines().count(), 2, "{problems}");
    assert!(
        problems
            .lines()
            .all(|l| l.starts_with(&format!("{}: line ", bad.display()))),
        "{problems}"
    );

    // The shipped template: only its certificate placeholder is wrong.
    let template =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../salesforce/callcenter/NeotelVoice.xml");
    let out = cti_server(&["callcenter", "check", "--voice", template.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let problems = text(&out.stdout);
    assert_eq!(problems.lines().count(), 1, "{problems}");
    assert!(problems.contains("placeholder"), "{problems}");

    // The private key given as the certificate: refused, never printed.
    let key = fixture("test-only-pkcs1-key.pem");
    let out = cti_server(&[
        "callcenter",
        "generate",
        "--voice",
        "--certificate",
        key.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(said.contains("private key stays on the server"), "{said}");
    let secret = std::fs::read_to_string(&key).unwrap();
    assert!(!said.contains(secret.lines().nth(1).unwrap()));
    assert!(out.stdout.is_empty(), "no XML for a private key");

    // --voice needs its certificate, and Open CTI's flags do not mix with it.
    let out = cti_server(&["callcenter", "generate", "--voice"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--certificate"));
    let out = cti_server(&[
        "callcenter",
        "generate",
        "--voice",
        "--certificate",
        certificate.to_str().unwrap(),
        "--width",
        "700",
    ]);
    assert_eq!(out.status.code(), Some(2));
}
