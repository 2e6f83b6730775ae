//! The call center definition, through `sf-callcenter`: generating it for this server, checking a
//! file, and the options fallback used when Salesforce does not send its settings; and the
//! Salesforce Voice partner-telephony contact center, generated with the server's certificate
//! and checked.

use std::fmt::Write as _;
use std::path::Path;

use base64::Engine as _;
use sf_callcenter::{CallCenter, CompatibilityMode, Install, Item, OPTIONS_SECTION, VoiceInstall};
use sha2::Digest as _;

use crate::config::Config;

/// The call center XML for a softphone at `adapter_url`, checked before it is returned.
///
/// # Errors
/// A bad `mode`, or every problem the generated file has (an `http` adapter URL, a size out of
/// range, …), in words.
pub fn generate(
    adapter_url: &str,
    width: Option<u32>,
    height: Option<u32>,
    mode: Option<&str>,
) -> Result<String, Vec<String>> {
    let mut install = Install {
        adapter_url: adapter_url.to_owned(),
        ..Install::default()
    };
    if let Some(w) = width {
        install.width = w;
    }
    if let Some(h) = height {
        install.height = h;
    }
    if let Some(m) = mode {
        install.mode = match m {
            "Lightning" => CompatibilityMode::Lightning,
            "Classic_and_Lightning" => CompatibilityMode::ClassicAndLightning,
            "Classic" => CompatibilityMode::Classic,
            other => {
                return Err(vec![format!(
                    "--mode `{other}` is not one of Lightning, Classic_and_Lightning, Classic"
                )]);
            }
        };
    }
    let xml = sf_callcenter::generate(&install).to_xml();
    sf_callcenter::check(&xml)
        .map_err(|problems| problems.iter().map(ToString::to_string).collect::<Vec<_>>())?;
    Ok(xml)
}

/// Checks call center XML: its typed configuration as JSON, or every problem in words.
///
/// # Errors
/// Every problem, each with its line, section and item.
pub fn check(xml: &str) -> Result<String, Vec<String>> {
    let config = sf_callcenter::check(xml)
        .map_err(|problems| problems.iter().map(ToString::to_string).collect::<Vec<_>>())?;
    Ok(serde_json::to_string_pretty(&config).expect("the typed configuration serializes"))
}

/// What the Salesforce Voice contact center says beyond the server's certificate; `None` keeps
/// the template's value (`NeotelContactCenter`, `Neotel`, `NeotelVendor`, no prefix).
#[derive(Debug, Clone, Default)]
pub struct VoiceNames {
    /// `reqInternalName`: the contact center's API name, which must be the one the server's
    /// configuration names (its tokens' `sub`).
    pub internal_name: Option<String>,
    /// `reqDisplayName`.
    pub display_name: Option<String>,
    /// `reqVendorInfoApiName` (`neotel__NeotelVendor` from a namespaced package).
    pub vendor_info_api_name: Option<String>,
    /// `reqLongDistPrefix`.
    pub long_distance_prefix: Option<String>,
}

/// The partner-telephony contact center XML (Salesforce Voice) holding the certificate in
/// `certificate` (PEM; the first certificate of a chain), checked before it is returned.
///
/// # Errors
/// The file cannot be read or holds no usable certificate (a private key is refused without
/// being quoted), or every problem the generated file has, in words.
pub fn generate_voice(certificate: &Path, names: VoiceNames) -> Result<String, Vec<String>> {
    let text = std::fs::read_to_string(certificate)
        .map_err(|e| vec![format!("cannot read {}: {e}", certificate.display())])?;
    let cert = Certificate::parse(&text)
        .map_err(|why| vec![format!("{}: {why}", certificate.display())])?;
    let template = VoiceInstall::default();
    let install = VoiceInstall {
        internal_name: names.internal_name.unwrap_or(template.internal_name),
        display_name: names.display_name.unwrap_or(template.display_name),
        vendor_info_api_name: names
            .vendor_info_api_name
            .unwrap_or(template.vendor_info_api_name),
        certificate_pem: cert.pem,
        long_distance_prefix: names
            .long_distance_prefix
            .unwrap_or(template.long_distance_prefix),
    };
    let xml = sf_callcenter::generate_voice(&install).to_xml();
    sf_callcenter::check_voice(&xml)
        .map_err(|problems| problems.iter().map(ToString::to_string).collect::<Vec<_>>())?;
    Ok(xml)
}

/// Checks a partner-telephony contact center file: its configuration as JSON (the certificate
/// summarized: subject, SHA-256 fingerprint, expiry, key size), or every problem in words.
///
/// # Errors
/// Every problem, each with its line, section and item; a certificate that is not an RSA X.509
/// certificate.
pub fn check_voice(xml: &str) -> Result<String, Vec<String>> {
    let config = sf_callcenter::check_voice(xml)
        .map_err(|problems| problems.iter().map(ToString::to_string).collect::<Vec<_>>())?;
    let cert = Certificate::parse(&config.certificate_pem).map_err(|why| {
        vec![format!(
            "{}/reqTelephonyIntegrationCertificate: {why}",
            sf_callcenter::HVCC_SECTION
        )]
    })?;
    let report = serde_json::json!({
        "internalName": config.internal_name,
        "displayName": config.display_name,
        "vendorInfoApiName": config.vendor_info_api_name,
        "longDistancePrefix": config.long_distance_prefix,
        "universalCallRecordingAccess": config.universal_call_recording_access,
        "certificate": {
            "subject": cert.subject,
            "sha256": cert.sha256,
            "notAfter": cert.not_after,
            "rsaBits": cert.rsa_bits,
        },
    });
    Ok(serde_json::to_string_pretty(&report).expect("the report serializes"))
}

/// The certificate a partner-telephony contact center holds: the public half of the key pair
/// the server signs Salesforce's tokens with (RS256, so RSA).
struct Certificate {
    /// Re-encoded from its DER: one block, 64-character lines.
    pem: String,
    subject: String,
    /// Lowercase hex with colons.
    sha256: String,
    /// RFC 3339.
    not_after: String,
    rsa_bits: usize,
}

impl Certificate {
    fn parse(text: &str) -> Result<Self, String> {
        if text.contains("PRIVATE KEY-----") {
            // Refused before any parser sees it, so no parser's message can quote it.
            return Err("the file holds a private key: give the server's certificate; its private key stays on the server".into());
        }
        let block = x509_parser::pem::Pem::iter_from_buffer(text.as_bytes())
            .filter_map(Result::ok)
            .find(|pem| pem.label == "CERTIFICATE")
            .ok_or("no PEM `CERTIFICATE` block")?;
        let cert = block
            .parse_x509()
            .map_err(|_| "the `CERTIFICATE` block is not a valid X.509 certificate")?;
        let x509_parser::public_key::PublicKey::RSA(rsa) = cert
            .public_key()
            .parsed()
            .map_err(|_| "the certificate's public key does not parse")?
        else {
            return Err(
                "the certificate's public key is not RSA: Salesforce verifies RS256 tokens".into(),
            );
        };
        let sha256 = sha2::Sha256::digest(&block.contents)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":");
        let not_after = chrono::DateTime::from_timestamp(cert.validity().not_after.timestamp(), 0)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default();
        let body = base64::engine::general_purpose::STANDARD.encode(&block.contents);
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .filter_map(|c| std::str::from_utf8(c).ok())
            .collect();
        Ok(Self {
            pem: format!(
                "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----",
                lines.join("\n")
            ),
            subject: cert.subject().to_string(),
            sha256,
            not_after,
            rsa_bits: rsa.key_size(),
        })
    }
}

/// The demo's call center for the softphone at `adapter_url`, with the server's options. Not
/// checked: the demo's adapter URL is plain `http` on loopback, which Salesforce would refuse.
pub(crate) fn demo_xml(adapter_url: &str, options: &sf_callcenter::Config) -> String {
    let install = Install {
        adapter_url: adapter_url.to_owned(),
        display_name: "Neotel CTI (demo)".into(),
        options: options.options.clone(),
        dialing: options.dialing.clone(),
        ..Install::default()
    };
    sf_callcenter::generate(&install).to_xml()
}

/// The call center options used when Salesforce does not send its settings: `callcenter.file`
/// if set (checked in full), else the seed's options, with `callcenter.options` written over.
///
/// # Errors
/// Every problem, each naming the configuration key.
pub fn fallback(config: &Config) -> Result<sf_callcenter::Config, Vec<String>> {
    let (mut callcenter, key) = match &config.callcenter.file {
        Some(path) => {
            let key = format!("callcenter.file ({})", path.display());
            let text = std::fs::read_to_string(path).map_err(|e| vec![format!("{key}: {e}")])?;
            let parsed = CallCenter::parse_xml(&text).map_err(|problems| {
                problems
                    .iter()
                    .map(|p| format!("{key}: {p}"))
                    .collect::<Vec<_>>()
            })?;
            (parsed, key)
        }
        None => {
            // A placeholder https URL: only the options matter here.
            let install = Install {
                adapter_url: "https://connector.invalid/softphone/".into(),
                ..Install::default()
            };
            (
                sf_callcenter::generate(&install),
                "callcenter.options".to_owned(),
            )
        }
    };
    if !config.callcenter.options.is_empty() {
        set_options(&mut callcenter, &config.callcenter.options);
    }
    callcenter.validate().map_err(|problems| {
        problems
            .iter()
            .map(|p| {
                let mut line = String::new();
                let inline = p
                    .item
                    .as_ref()
                    .is_some_and(|i| config.callcenter.options.contains_key(i));
                if inline {
                    let _ = write!(
                        line,
                        "callcenter.options.{}: ",
                        p.item.as_deref().unwrap_or_default()
                    );
                } else {
                    let _ = write!(line, "{key}: ");
                }
                let _ = write!(line, "{p}");
                line
            })
            .collect()
    })
}

/// Writes `options` into the `neotelConfigOptions` section (adding missing items at its end).
fn set_options(callcenter: &mut CallCenter, options: &std::collections::BTreeMap<String, String>) {
    if !callcenter
        .sections
        .iter()
        .any(|s| s.name == OPTIONS_SECTION)
    {
        let sort_order = u32::try_from(callcenter.sections.len()).unwrap_or(u32::MAX);
        callcenter.sections.push(sf_callcenter::Section {
            name: OPTIONS_SECTION.to_owned(),
            label: "Opciones".to_owned(),
            sort_order,
            ..sf_callcenter::Section::default()
        });
    }
    let section = callcenter
        .sections
        .iter_mut()
        .find(|s| s.name == OPTIONS_SECTION)
        .expect("the options section exists: added above when missing");
    for (name, value) in options {
        match section.items.iter_mut().find(|i| &i.name == name) {
            Some(item) => item.value.clone_from(value),
            None => {
                let sort_order = u32::try_from(section.items.len()).unwrap_or(u32::MAX);
                section.items.push(Item {
                    name: name.clone(),
                    label: name.clone(),
                    sort_order,
                    value: value.clone(),
                    line: None,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generate_checks_what_it_makes() {
        let xml = generate("https://cti.example.com/softphone/", Some(700), None, None).unwrap();
        assert!(xml.contains("https://cti.example.com/softphone/"));
        assert!(
            check(&xml)
                .unwrap()
                .contains("\"allowCategorization\": true")
        );
        let problems =
            generate("http://cti.example.com/softphone/", Some(5000), None, None).unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(generate("https://x/softphone/", None, None, Some("Mobile")).is_err());
    }

    #[test]
    fn the_seed_file_checks() {
        let seed = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/fixtures/seed-callcenter.xml"
        ))
        .unwrap();
        // The seed is the customer's real file; whatever it says, check answers in full.
        match check(&seed) {
            Ok(json) => assert!(json.contains("options")),
            Err(problems) => assert!(!problems.is_empty()),
        }
    }

    #[test]
    fn inline_options_override_the_seed_and_bad_ones_name_their_key() {
        let mut config = Config::defaults();
        config
            .callcenter
            .options
            .insert("allowCategorization".into(), "false".into());
        let fallback = fallback(&config).unwrap();
        assert!(!fallback.options.allow_categorization);

        config
            .callcenter
            .options
            .insert("automaticContactRelease".into(), "soon".into());
        let problems = fallback_problems(&config);
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("callcenter.options.automaticContactRelease")),
            "{problems:?}"
        );
    }

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../sf-telephony/tests/fixtures")
            .join(name)
    }

    #[test]
    fn the_voice_contact_center_holds_the_servers_certificate_and_checks() {
        let xml = generate_voice(
            &fixture("test-only-pkcs1-cert.pem"),
            VoiceNames {
                internal_name: Some("AcmeVoice".into()),
                ..VoiceNames::default()
            },
        )
        .unwrap();
        assert!(xml.contains(">AcmeVoice</item>"));
        assert!(xml.contains("-----BEGIN CERTIFICATE-----\nMII"));
        let report: serde_json::Value = serde_json::from_str(&check_voice(&xml).unwrap()).unwrap();
        assert_eq!(report["internalName"], "AcmeVoice");
        assert_eq!(report["vendorInfoApiName"], "NeotelVendor");
        assert_eq!(report["certificate"]["rsaBits"], 2048);
        // As `openssl x509 -noout -fingerprint -sha256` prints it (lowercased).
        assert_eq!(
            report["certificate"]["sha256"],
            "39:42:49:68:76:34:38:fc:ce:28:5f:e6:4e:86:b2:d1:0d:2f:35:92:94:9d:77:61:c6:a3:e2:89:80:ae:b8:ca"
        );
        assert!(
            report["certificate"]["notAfter"]
                .as_str()
                .unwrap()
                .ends_with('Z')
        );
        // The Open CTI check keeps refusing it: the two kinds are told apart by the flag.
        assert!(check(&xml).is_err());
    }

    #[test]
    fn a_private_key_or_a_non_rsa_certificate_is_refused_without_quoting_the_file() {
        let key = fixture("test-only-pkcs1-key.pem");
        let secret = std::fs::read_to_string(&key).unwrap();
        let problems = generate_voice(&key, VoiceNames::default()).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert!(problems[0].contains("private key stays on the server"));
        let body = secret.lines().nth(1).unwrap();
        assert!(!problems[0].contains(body), "the key is never quoted");

        let problems =
            generate_voice(&fixture("test-only-ec-cert.pem"), VoiceNames::default()).unwrap_err();
        assert!(problems[0].contains("not RSA"), "{problems:?}");

        let problems = generate_voice(
            &fixture("test-only-pkcs1-cert.pem"),
            VoiceNames {
                vendor_info_api_name: Some("Neotel Vendor".into()),
                ..VoiceNames::default()
            },
        )
        .unwrap_err();
        assert!(problems[0].contains("reqVendorInfoApiName"), "{problems:?}");
    }

    fn fallback_problems(config: &Config) -> Vec<String> {
        fallback(config).unwrap_err()
    }
}
