//! The Salesforce Voice partner-telephony contact center: the file an admin imports in Setup →
//! Partner Telephony Contact Centers (spec `scv.md` §4.3), checked and generated. Its internal
//! name is the contact center's API name: the subject (`sub`) of every token the server signs
//! for Salesforce's Telephony Integration API, and `callCenterApiName` of the VoiceCalls it
//! creates. Its certificate is the public half of the server's key pair; the private key never
//! appears here.

use base64::Engine as _;
use serde::Serialize;

use crate::model::{CallCenter, Item, Problem, ProblemKind, Section};
use crate::options::parse_bool;
use crate::validate::{GENERAL_SECTION, check_label, check_name, check_orders, is_alphanumeric};

/// Salesforce Voice's required section of contact center configuration.
pub const HVCC_SECTION: &str = "reqHvcc";

/// What the template ships in place of the certificate: the admin generates the file with the
/// server's certificate (`cti-server callcenter generate --voice --certificate FILE`).
pub const CERTIFICATE_PLACEHOLDER: &str = "-----BEGIN CERTIFICATE-----\nPASTE THE SERVER CERTIFICATE HERE, OR GENERATE THIS FILE WITH: cti-server callcenter generate --voice --certificate FILE\n-----END CERTIFICATE-----";

/// `req*` names a partner-telephony contact center defines (sections and items), from
/// Salesforce's samples (scv-evidence E40).
const VOICE_REQ: [&str; 10] = [
    "reqGeneralInfo",
    "reqInternalName",
    "reqDisplayName",
    "reqVendorInfoApiName",
    "reqHvcc",
    "reqTelephonyIntegrationCertificate",
    "reqLongDistPrefix",
    "reqRelayState",
    "reqIdentityUrl",
    "reqUniversalCallRecordingAccess",
];

/// Open CTI's own settings: in a partner-telephony file they say the admin took the wrong file.
const OPEN_CTI_ONLY: [&str; 11] = [
    "reqAdapterUrl",
    "reqUseApi",
    "reqSoftphoneHeight",
    "reqSoftphoneWidth",
    "reqSalesforceCompatibilityMode",
    "reqStandbyUrl",
    "reqTimeout",
    "reqCanvasNamespace",
    "reqCanvasApiName",
    "reqDialingOptions",
    "reqOutsidePrefix",
];

const CERT_BEGIN: &str = "-----BEGIN CERTIFICATE-----";
const CERT_END: &str = "-----END CERTIFICATE-----";

/// A partner-telephony contact center definition, typed and checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VoiceConfig {
    /// `reqInternalName`: the contact center's API name, the JWT's `sub`.
    pub internal_name: String,
    /// `reqDisplayName`.
    pub display_name: String,
    /// `reqVendorInfoApiName`: the ConversationVendorInfo's API name (`NeotelVendor`, or
    /// `neotel__NeotelVendor` from a namespaced package).
    pub vendor_info_api_name: String,
    /// `reqTelephonyIntegrationCertificate`: one PEM X.509 certificate, as written.
    pub certificate_pem: String,
    /// `reqLongDistPrefix` (may be empty).
    pub long_distance_prefix: String,
    /// `reqUniversalCallRecordingAccess` (absent: false).
    pub universal_call_recording_access: bool,
}

/// What an install's partner-telephony contact center says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoiceInstall {
    /// `reqInternalName`: must be the server's configured contact center name (its JWTs' `sub`).
    pub internal_name: String,
    /// `reqDisplayName`.
    pub display_name: String,
    /// `reqVendorInfoApiName`.
    pub vendor_info_api_name: String,
    /// The server's certificate, PEM.
    pub certificate_pem: String,
    /// `reqLongDistPrefix`.
    pub long_distance_prefix: String,
}

impl Default for VoiceInstall {
    /// The template: Neotel's names, the certificate placeholder, no long-distance prefix.
    fn default() -> Self {
        Self {
            internal_name: "NeotelContactCenter".into(),
            display_name: "Neotel".into(),
            vendor_info_api_name: "NeotelVendor".into(),
            certificate_pem: CERTIFICATE_PLACEHOLDER.into(),
            long_distance_prefix: String::new(),
        }
    }
}

/// Reads and checks a partner-telephony contact center file: every problem at once, or the
/// typed configuration.
pub fn check_voice(xml: &str) -> Result<VoiceConfig, Vec<Problem>> {
    CallCenter::parse_xml(xml)?.validate_voice()
}

/// The partner-telephony contact center file for an install: `reqGeneralInfo` then `reqHvcc`,
/// labelled as Salesforce's samples label them.
pub fn generate_voice(install: &VoiceInstall) -> CallCenter {
    let sections = [
        (
            GENERAL_SECTION,
            "General Information",
            vec![
                ("reqInternalName", "Internal Name", &install.internal_name),
                ("reqDisplayName", "Display Name", &install.display_name),
                (
                    "reqVendorInfoApiName",
                    "Vendor Info API Name",
                    &install.vendor_info_api_name,
                ),
            ],
        ),
        (
            HVCC_SECTION,
            "Contact Center Configuration",
            vec![
                (
                    "reqTelephonyIntegrationCertificate",
                    "Telephony Integration Certificate",
                    &install.certificate_pem,
                ),
                (
                    "reqLongDistPrefix",
                    "Long Distance Prefix",
                    &install.long_distance_prefix,
                ),
            ],
        ),
    ];
    let order = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    CallCenter {
        sections: sections
            .into_iter()
            .enumerate()
            .map(|(n, (name, label, items))| Section {
                name: name.into(),
                label: label.into(),
                sort_order: order(n),
                items: items
                    .into_iter()
                    .enumerate()
                    .map(|(n, (name, label, value))| Item {
                        name: name.into(),
                        label: label.into(),
                        sort_order: order(n),
                        value: value.trim().to_owned(),
                        line: None,
                    })
                    .collect(),
                line: None,
            })
            .collect(),
    }
}

impl CallCenter {
    /// Checks Salesforce's rules for a partner-telephony contact center and the connector's;
    /// all problems at once.
    pub fn validate_voice(&self) -> Result<VoiceConfig, Vec<Problem>> {
        let mut problems = Vec::new();
        check_orders(
            self.sections.iter().map(|s| (s.sort_order, s.line)),
            None,
            &mut problems,
        );
        for s in &self.sections {
            voice_name(&s.name, s, None, &mut problems);
            check_label(&s.label, Some(s), None, &mut problems);
            check_orders(
                s.items.iter().map(|i| (i.sort_order, i.line)),
                Some(s),
                &mut problems,
            );
            let mut seen = std::collections::BTreeSet::new();
            for i in &s.items {
                voice_name(&i.name, s, Some(i), &mut problems);
                check_label(&i.label, Some(s), Some(i), &mut problems);
                if !seen.insert(&i.name) {
                    problems.push(
                        Problem::new(ProblemKind::Name, "this item appears twice")
                            .at(Some(s), Some(i)),
                    );
                }
            }
        }
        let general = self.voice_general(&mut problems);
        let hvcc = self.hvcc(&mut problems);
        match (general, hvcc) {
            (Some((internal_name, display_name, vendor_info_api_name)), Some(hvcc))
                if problems.is_empty() =>
            {
                Ok(VoiceConfig {
                    internal_name,
                    display_name,
                    vendor_info_api_name,
                    certificate_pem: hvcc.0,
                    long_distance_prefix: hvcc.1,
                    universal_call_recording_access: hvcc.2,
                })
            }
            _ => Err(problems),
        }
    }

    /// `reqGeneralInfo`: internal name, display name, vendor info API name.
    fn voice_general(&self, problems: &mut Vec<Problem>) -> Option<(String, String, String)> {
        let s = required_section(self, GENERAL_SECTION, problems)?;
        let internal = required_item(s, "reqInternalName", problems);
        let display = required_item(s, "reqDisplayName", problems);
        let vendor = required_item(s, "reqVendorInfoApiName", problems);
        let before = problems.len();
        let bad =
            |i: &Item, msg: String| Problem::new(ProblemKind::Value, msg).at(Some(s), Some(i));
        for (item, order) in [(internal, 0), (display, 1)] {
            if let Some(i) = item.filter(|i| i.sort_order != order) {
                problems.push(
                    Problem::new(
                        ProblemKind::SortOrder,
                        format!("{} must have sortOrder {order}", i.name),
                    )
                    .at(Some(s), Some(i)),
                );
            }
        }
        if let Some(i) = internal {
            let v = i.value.trim();
            if v.is_empty()
                || v.len() > 40
                || !is_alphanumeric(v)
                || !v.starts_with(|c: char| c.is_ascii_alphabetic())
            {
                problems.push(bad(i, format!("\"{v}\": the internal name is 1 to 40 letters and digits, starting with a letter (the server signs its tokens with it as their subject)")));
            }
        }
        if let Some(i) = display
            && (i.value.trim().is_empty() || i.value.chars().count() > 1000)
        {
            problems.push(bad(i, "the display name is 1 to 1000 characters".into()));
        }
        if let Some(i) = vendor
            && !is_vendor_info_api_name(i.value.trim())
        {
            problems.push(bad(i, format!("\"{}\": the vendor info API name is the ConversationVendorInfo's developer name (NeotelVendor), with its package's namespace when it has one (neotel__NeotelVendor)", i.value.trim())));
        }
        if problems.len() > before {
            return None;
        }
        Some((
            internal?.value.trim().to_owned(),
            display?.value.trim().to_owned(),
            vendor?.value.trim().to_owned(),
        ))
    }

    /// `reqHvcc`: the certificate, the long-distance prefix, call recording access.
    fn hvcc(&self, problems: &mut Vec<Problem>) -> Option<(String, String, bool)> {
        let s = required_section(self, HVCC_SECTION, problems)?;
        let certificate = required_item(s, "reqTelephonyIntegrationCertificate", problems);
        let before = problems.len();
        let bad =
            |i: &Item, msg: String| Problem::new(ProblemKind::Value, msg).at(Some(s), Some(i));
        if let Some(i) = certificate
            && let Err(why) = check_certificate(&i.value)
        {
            problems.push(bad(i, why));
        }
        let prefix = s
            .item("reqLongDistPrefix")
            .map(|i| (i, i.value.trim()))
            .map_or(String::new(), |(i, v)| {
                let digits = v.strip_prefix('+').unwrap_or(v);
                if !v.is_empty()
                    && (digits.is_empty()
                        || digits.len() > 10
                        || !digits.chars().all(|c| c.is_ascii_digit()))
                {
                    problems.push(bad(
                        i,
                        format!("\"{v}\": the long-distance prefix is digits (a leading + allowed), or empty"),
                    ));
                }
                v.to_owned()
            });
        let recording = s.item("reqUniversalCallRecordingAccess").is_some_and(|i| {
            parse_bool(&i.value).unwrap_or_else(|e| {
                problems.push(bad(i, e));
                false
            })
        });
        if problems.len() > before {
            return None;
        }
        Some((certificate?.value.trim().to_owned(), prefix, recording))
    }
}

fn required_section<'a>(
    cc: &'a CallCenter,
    name: &str,
    problems: &mut Vec<Problem>,
) -> Option<&'a Section> {
    let s = cc.section(name);
    if s.is_none() {
        problems.push(Problem::new(
            ProblemKind::Missing,
            format!("the required section {name} is missing"),
        ));
    }
    s
}

fn required_item<'a>(s: &'a Section, name: &str, problems: &mut Vec<Problem>) -> Option<&'a Item> {
    let i = s.item(name);
    if i.is_none() {
        let mut p = Problem::new(
            ProblemKind::Missing,
            format!("the required item {name} is missing"),
        )
        .at(Some(s), None);
        p.item = Some(name.to_owned());
        problems.push(p);
    }
    i
}

/// A name in a partner-telephony file: an Open CTI setting is named as such, the rest follows
/// Salesforce's naming rules.
fn voice_name(name: &str, s: &Section, item: Option<&Item>, problems: &mut Vec<Problem>) {
    if OPEN_CTI_ONLY.contains(&name) {
        problems.push(
            Problem::new(
                ProblemKind::Name,
                format!("\"{name}\" is an Open CTI call center setting: a partner telephony contact center (Salesforce Voice) has none (generate the file with --voice)"),
            )
            .at(Some(s), item),
        );
    } else {
        check_name(name, Some(s), item, &VOICE_REQ, problems);
    }
}

/// A developer name (a letter first; letters, digits and single underscores; no underscore
/// last; at most 40), optionally after a namespace and `__`.
fn is_vendor_info_api_name(value: &str) -> bool {
    let developer_name = |n: &str| {
        !n.is_empty()
            && n.len() <= 40
            && n.starts_with(|c: char| c.is_ascii_alphabetic())
            && !n.ends_with('_')
            && !n.contains("__")
            && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    match value.split_once("__") {
        Some((namespace, name)) => {
            namespace.len() <= 15
                && is_alphanumeric(namespace)
                && namespace.starts_with(|c: char| c.is_ascii_alphabetic())
                && developer_name(name)
        }
        None => developer_name(value),
    }
}

/// One PEM X.509 certificate: its block's body is base64 of a DER `SEQUENCE`. Whether it is
/// RSA and matches the server's private key is the server's check (it holds the key); what
/// is refused here is said without quoting the text, which may be a private key pasted by
/// mistake.
fn check_certificate(value: &str) -> Result<(), String> {
    let text = value.trim();
    if text.is_empty() {
        return Err("the certificate is empty: generate the file with `cti-server callcenter generate --voice --certificate FILE`".into());
    }
    if text == CERTIFICATE_PLACEHOLDER {
        return Err("the certificate is still the template's placeholder: generate the file with `cti-server callcenter generate --voice --certificate FILE` (the server's certificate, never its private key)".into());
    }
    if text.contains("PRIVATE KEY") {
        return Err("this is a private key, not a certificate: the private key stays on the server; give its certificate".into());
    }
    if text.matches(CERT_BEGIN).count() != 1 || text.matches(CERT_END).count() != 1 {
        return Err(format!(
            "the certificate must be exactly one PEM block from {CERT_BEGIN} to {CERT_END}"
        ));
    }
    let body = text
        .strip_prefix(CERT_BEGIN)
        .and_then(|rest| rest.strip_suffix(CERT_END))
        .ok_or_else(|| format!("nothing may come before {CERT_BEGIN} or after {CERT_END}"))?;
    let base64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    match base64::engine::general_purpose::STANDARD.decode(base64) {
        Ok(der) if der.first() == Some(&0x30) && der.len() > 64 => Ok(()),
        _ => Err("the certificate's PEM body is not a base64 X.509 certificate".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed certificate's PEM (the body only has to be a DER SEQUENCE here).
    fn certificate() -> String {
        let der: Vec<u8> = [0x30, 0x82, 0x01, 0x0a]
            .into_iter()
            .chain((0..266u16).map(|n| (n % 251) as u8))
            .collect();
        let body = base64::engine::general_purpose::STANDARD.encode(der);
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!("{CERT_BEGIN}\n{}\n{CERT_END}\n", lines.join("\n"))
    }

    fn install() -> VoiceInstall {
        VoiceInstall {
            certificate_pem: certificate(),
            ..VoiceInstall::default()
        }
    }

    fn problems(xml: &str) -> Vec<Problem> {
        check_voice(xml).unwrap_err()
    }

    #[test]
    fn a_generated_file_passes_its_own_check_with_exactly_its_values() {
        let xml = generate_voice(&install()).to_xml();
        let config = check_voice(&xml).unwrap();
        assert_eq!(config.internal_name, "NeotelContactCenter");
        assert_eq!(config.display_name, "Neotel");
        assert_eq!(config.vendor_info_api_name, "NeotelVendor");
        assert_eq!(config.certificate_pem, certificate().trim());
        assert_eq!(config.long_distance_prefix, "");
        assert!(!config.universal_call_recording_access);
        // §4.3's shape: two sections, in this order, these items.
        let cc = CallCenter::parse_xml(&xml).unwrap();
        let shape: Vec<(&str, Vec<&str>)> = cc
            .sections
            .iter()
            .map(|s| {
                (
                    s.name.as_str(),
                    s.items.iter().map(|i| i.name.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            [
                (
                    "reqGeneralInfo",
                    vec!["reqInternalName", "reqDisplayName", "reqVendorInfoApiName"]
                ),
                (
                    "reqHvcc",
                    vec!["reqTelephonyIntegrationCertificate", "reqLongDistPrefix"]
                ),
            ]
        );
    }

    #[test]
    fn the_template_fails_only_on_its_certificate_placeholder() {
        let xml = generate_voice(&VoiceInstall::default()).to_xml();
        let found = problems(&xml);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(
            found[0].item.as_deref(),
            Some("reqTelephonyIntegrationCertificate")
        );
        assert!(found[0].message.contains("placeholder"), "{}", found[0]);
        assert!(found[0].message.contains("--voice --certificate"));
    }

    #[test]
    fn a_namespaced_vendor_and_a_prefix_are_kept() {
        let xml = generate_voice(&VoiceInstall {
            vendor_info_api_name: "neotel__NeotelVendor".into(),
            long_distance_prefix: "0".into(),
            internal_name: "AcmeVoice2".into(),
            ..install()
        })
        .to_xml();
        let config = check_voice(&xml).unwrap();
        assert_eq!(config.vendor_info_api_name, "neotel__NeotelVendor");
        assert_eq!(config.long_distance_prefix, "0");
        assert_eq!(config.internal_name, "AcmeVoice2");
    }

    #[test]
    fn every_bad_value_is_reported_at_once() {
        let xml = generate_voice(&VoiceInstall {
            internal_name: "Neotel Contact Center".into(),
            display_name: " ".into(),
            vendor_info_api_name: "Neotel__Vendor__X".into(),
            long_distance_prefix: "0-11".into(),
            ..install()
        })
        .to_xml();
        let found = problems(&xml);
        let items: Vec<&str> = found.iter().filter_map(|p| p.item.as_deref()).collect();
        assert_eq!(
            items,
            [
                "reqInternalName",
                "reqDisplayName",
                "reqVendorInfoApiName",
                "reqLongDistPrefix"
            ],
            "{found:#?}"
        );
        assert!(found.iter().all(|p| p.kind == ProblemKind::Value));
        assert!(found.iter().all(|p| p.line.is_some()), "each with its line");
    }

    #[test]
    fn vendor_info_api_names_follow_salesforces_developer_names() {
        for good in ["NeotelVendor", "neotel__NeotelVendor", "Neotel_Vendor_2"] {
            assert!(is_vendor_info_api_name(good), "{good}");
        }
        for bad in [
            "",
            "_Neotel",
            "Neotel_",
            "2Neotel",
            "Neotel Vendor",
            "a__b__c",
            "neotel__",
            "toolongnamespace1__Vendor",
            "Neotel-Vendor",
            &"N".repeat(41),
        ] {
            assert!(!is_vendor_info_api_name(bad), "{bad}");
        }
    }

    #[test]
    fn a_private_key_is_refused_without_quoting_it() {
        let key = "-----BEGIN PRIVATE KEY-----\nMIIEvSECRETSECRETSECRET\n-----END PRIVATE KEY-----";
        let xml = generate_voice(&VoiceInstall {
            certificate_pem: key.into(),
            ..VoiceInstall::default()
        })
        .to_xml();
        let found = problems(&xml);
        assert_eq!(found.len(), 1);
        assert!(found[0].message.contains("private key stays on the server"));
        assert!(!found[0].to_string().contains("SECRET"));
    }

    #[test]
    fn certificates_that_are_not_one_pem_block_are_refused() {
        let one = certificate();
        let two = format!("{one}{one}");
        let not_base64 = format!("{CERT_BEGIN}\nnot base64 at all!\n{CERT_END}");
        let not_der = format!("{CERT_BEGIN}\naGVsbG8gd29ybGQ=\n{CERT_END}");
        let trailing = format!("{}\nextra", one.trim());
        for (value, words) in [
            ("", "empty"),
            (two.as_str(), "exactly one PEM block"),
            (not_base64.as_str(), "not a base64 X.509"),
            (not_der.as_str(), "not a base64 X.509"),
            (trailing.as_str(), "nothing may come"),
        ] {
            let err = check_certificate(value).unwrap_err();
            assert!(err.contains(words), "{value:?}: {err}");
        }
        assert_eq!(check_certificate(&one), Ok(()));
    }

    #[test]
    fn missing_sections_and_items_are_named() {
        let xml = "<callCenter>\n  <section sortOrder=\"0\" name=\"reqGeneralInfo\" label=\"General\">\n    <item sortOrder=\"0\" name=\"reqInternalName\" label=\"Internal Name\">NeotelContactCenter</item>\n  </section>\n</callCenter>\n";
        let found = problems(xml);
        let messages: Vec<String> = found.iter().map(|p| p.message.clone()).collect();
        assert_eq!(
            messages,
            [
                "the required item reqDisplayName is missing",
                "the required item reqVendorInfoApiName is missing",
                "the required section reqHvcc is missing",
            ]
        );
    }

    #[test]
    fn an_open_cti_file_is_told_apart() {
        let open_cti = crate::generate(&crate::Install::default()).to_xml();
        let found = problems(&open_cti);
        assert!(
            found
                .iter()
                .any(|p| p.item.as_deref() == Some("reqAdapterUrl")
                    && p.message.contains("Open CTI call center setting")),
            "{found:#?}"
        );
        // And the other way round: the Open CTI check keeps its own words for Voice items.
        let voice = generate_voice(&install()).to_xml();
        let open_cti_problems = crate::check(&voice).unwrap_err();
        assert!(
            open_cti_problems
                .iter()
                .any(|p| p.message.contains("reqVendorInfoApiName")
                    && p.message.contains("reserved by Salesforce"))
        );
    }

    #[test]
    fn salesforces_optional_items_are_accepted_and_typed() {
        let mut cc = generate_voice(&install());
        let hvcc = &mut cc.sections[1];
        for (n, (name, value)) in [
            ("reqRelayState", "https://idp.example.com/relay"),
            ("reqIdentityUrl", "https://idp.example.com/sso"),
            ("reqUniversalCallRecordingAccess", "true"),
        ]
        .into_iter()
        .enumerate()
        {
            hvcc.items.push(Item {
                name: name.into(),
                label: name.into(),
                sort_order: u32::try_from(n + 2).unwrap(),
                value: value.into(),
                line: None,
            });
        }
        assert!(cc.validate_voice().unwrap().universal_call_recording_access);
        cc.sections[1].items[4].value = "sometimes".into();
        let found = cc.validate_voice().unwrap_err();
        assert_eq!(found.len(), 1);
        assert!(found[0].message.contains("not true or false"));
    }

    proptest::proptest! {
        #[test]
        fn generate_then_check_gives_back_the_install(
            internal in "[A-Za-z][A-Za-z0-9]{0,39}",
            display in "[^<>&\u{0}-\u{1f}]{1,60}",
            namespace in proptest::option::of("[a-z][a-z0-9]{0,14}"),
            vendor in "[A-Z][A-Za-z0-9]{0,20}(_[A-Za-z0-9]{1,5}){0,2}",
            prefix in "(\\+?[0-9]{1,4})?",
        ) {
            let display = display.trim().to_owned();
            proptest::prop_assume!(!display.is_empty());
            let vendor = namespace.map_or(vendor.clone(), |ns| format!("{ns}__{vendor}"));
            let install = VoiceInstall {
                internal_name: internal.clone(),
                display_name: display.clone(),
                vendor_info_api_name: vendor.clone(),
                long_distance_prefix: prefix.clone(),
                ..install()
            };
            let xml = generate_voice(&install).to_xml();
            let config = check_voice(&xml).map_err(|p| proptest::test_runner::TestCaseError::fail(format!("{p:#?}\n{xml}")))?;
            proptest::prop_assert_eq!(
                (config.internal_name, config.display_name, config.vendor_info_api_name, config.long_distance_prefix),
                (internal, display, vendor, prefix)
            );
        }

        #[test]
        fn any_edit_of_a_good_file_is_checked_without_panicking(
            at in 0usize..2000,
            cut in 0usize..40,
            insert in "[<>/=\"a-zA-Z0-9 \n-]{0,20}",
        ) {
            let xml = generate_voice(&install()).to_xml();
            let at = (0..=at.min(xml.len())).rev().find(|i| xml.is_char_boundary(*i)).unwrap_or(0);
            let end = (at..=(at + cut).min(xml.len())).rev().find(|i| xml.is_char_boundary(*i)).unwrap_or(at);
            let edited = format!("{}{insert}{}", &xml[..at], &xml[end..]);
            if let Err(problems) = check_voice(&edited) {
                proptest::prop_assert!(!problems.is_empty());
                let lines = u32::try_from(edited.lines().count() + 1).unwrap();
                for p in &problems {
                    proptest::prop_assert!(!p.message.trim().is_empty());
                    if let Some(line) = p.line {
                        proptest::prop_assert!((1..=lines).contains(&line), "{p}");
                    }
                }
            }
        }
    }

    #[test]
    fn sort_orders_and_duplicates_follow_salesforces_rules() {
        let xml = generate_voice(&install())
            .to_xml()
            .replace(
                "<item sortOrder=\"1\" name=\"reqDisplayName\"",
                "<item sortOrder=\"3\" name=\"reqDisplayName\"",
            )
            .replace(
                "name=\"reqLongDistPrefix\"",
                "name=\"reqTelephonyIntegrationCertificate\"",
            );
        let kinds: Vec<ProblemKind> = problems(&xml).iter().map(|p| p.kind).collect();
        assert!(kinds.contains(&ProblemKind::SortOrder), "{kinds:?}");
        assert!(kinds.contains(&ProblemKind::Name), "{kinds:?}");
    }
}
