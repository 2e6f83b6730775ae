//! What the Salesforce admin deploys (`salesforce/`): every metadata file well-formed and of the
//! Metadata API's shape for its type, the custom fields on the four objects, the permission set,
//! the call center definition passing the connector's checks, and the Apex class written safely.
//! And the Salesforce Voice part (`salesforce/voice-app/`, deployed only to orgs with Salesforce
//! Voice): the vendor record (ConversationVendorInfo) with spec `scv.md` §4.2's settings, the
//! VoiceCall fields of §4.4, its permission set, the Lightning components and their message
//! channel, the Apex they call written safely, and the partner-telephony contact center template
//! (§4.3) checked by the connector.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use quick_xml::Reader;
use quick_xml::events::Event;

const METADATA_NS: &str = "http://soap.sforce.com/2006/04/metadata";
const OBJECTS: [&str; 4] = ["Contact", "Account", "Lead", "Opportunity"];
const FIELDS: [&str; 5] = [
    "neoSyncId__c",
    "neoContactId__c",
    "neoBaseId__c",
    "neoCrmId__c",
    "neoCrmData__c",
];

/// The fields of the ConversationVendorInfo type (Metadata API reference, API 67.0), but the
/// deprecated ones and those of Amazon Connect's own flavour.
const CVI_FIELDS: [&str; 24] = [
    "agentSSOSupported",
    "bridgeComponent",
    "clientAuthMode",
    "connectorUrl",
    "customConfig",
    "customIcon",
    "customLoginUrl",
    "developerName",
    "einsteinConversationInsightsSupported",
    "integrationClass",
    "intelligenceSupported",
    "keyProvisioningSupported",
    "masterLabel",
    "namedCredential",
    "namedCredentialSupported",
    "partnerContactCenterListSupported",
    "partnerPhoneNumbersSupported",
    "partnerTransferDestinationsSupported",
    "queueManagementSupported",
    "telephonySettingsComponent",
    "unifiedRoutingSupported",
    "universalCallRecordingAccessSupported",
    "userSyncingSupported",
    "vendorType",
];

/// The Neotel fields on VoiceCall (spec `scv.md` §4.4) and their types.
const VOICE_CALL_FIELDS: [(&str, &str); 14] = [
    ("NeoCallId__c", "Number"),
    ("NeoContactId__c", "Number"),
    ("NeoBaseId__c", "Number"),
    ("NeoCampaignId__c", "Number"),
    ("NeoCrmId__c", "Number"),
    ("NeoSearchKey__c", "Text"),
    ("NeoSearchBy__c", "Text"),
    ("NeoDialer__c", "Text"),
    ("NeoQueue__c", "Number"),
    ("NeoCategory__c", "Text"),
    ("NeoSubcategory__c", "Text"),
    ("NeoNotes__c", "LongTextArea"),
    ("NeoScheduledAt__c", "DateTime"),
    ("NeoReleasedAt__c", "DateTime"),
];

/// The Lightning components an admin places (the bridge is Salesforce's to place).
const COMPONENTS: [&str; 7] = [
    "neotelBridge",
    "neotelCampaigns",
    "neotelAfterCallWork",
    "neotelTextMessage",
    "neotelInfo",
    "neotelRecordPicker",
    "neotelSync",
];

/// The components' shared modules (no UI, not placed).
const MODULES: [&str; 2] = ["neotelProtocol", "neotelElement"];

fn package() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../salesforce")
}

fn default_dir() -> PathBuf {
    package().join("force-app/main/default")
}

/// The Salesforce Voice package directory (deployed beside `force-app` in Voice orgs only).
fn voice_dir() -> PathBuf {
    package().join("voice-app/main/default")
}

/// A small element tree: enough to check shapes.
#[derive(Debug, Default)]
struct Element {
    name: String,
    xmlns: Option<String>,
    text: String,
    children: Vec<Self>,
}

impl Element {
    fn child(&self, name: &str) -> Option<&Self> {
        self.children.iter().find(|c| c.name == name)
    }
    fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.trim())
    }
    fn all(&self, name: &str) -> impl Iterator<Item = &Self> {
        self.children.iter().filter(move |c| c.name == name)
    }
}

fn parse(path: &Path) -> Element {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = Reader::from_str(&text);
    let mut stack: Vec<Element> = vec![Element::default()];
    loop {
        match reader.read_event() {
            Err(e) => panic!(
                "{} is not well-formed XML at byte {}: {e}",
                path.display(),
                reader.error_position()
            ),
            Ok(Event::Start(e)) => {
                let xmlns = e
                    .attributes()
                    .flatten()
                    .find(|a| a.key.as_ref() == b"xmlns")
                    .map(|a| String::from_utf8_lossy(&a.value).into_owned());
                stack.push(Element {
                    name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                    xmlns,
                    ..Element::default()
                });
            }
            Ok(Event::Empty(e)) => {
                let el = Element {
                    name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                    ..Element::default()
                };
                stack.last_mut().expect("a parent").children.push(el);
            }
            Ok(Event::Text(t)) => stack
                .last_mut()
                .expect("a parent")
                .text
                .push_str(&t.decode().expect("UTF-8 text")),
            Ok(Event::GeneralRef(_)) => {}
            Ok(Event::End(_)) => {
                let done = stack.pop().expect("balanced tags");
                stack.last_mut().expect("a parent").children.push(done);
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
        }
    }
    assert_eq!(stack.len(), 1, "{}: unclosed elements", path.display());
    let mut root = stack.pop().expect("the document");
    assert_eq!(
        root.children.len(),
        1,
        "{}: exactly one root element",
        path.display()
    );
    root.children.pop().expect("one root")
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The Metadata API type a source file holds, by its suffix.
fn metadata_type(path: &Path) -> Option<&'static str> {
    let name = path.file_name()?.to_str()?;
    [
        (".cls-meta.xml", "ApexClass"),
        (".field-meta.xml", "CustomField"),
        (".permissionset-meta.xml", "PermissionSet"),
        (".js-meta.xml", "LightningComponentBundle"),
        (".messageChannel-meta.xml", "LightningMessageChannel"),
        (".labels-meta.xml", "CustomLabels"),
        (".translation-meta.xml", "Translations"),
        (
            ".ConversationVendorInformation-meta.xml",
            "ConversationVendorInfo",
        ),
    ]
    .into_iter()
    .find(|(suffix, _)| name.ends_with(suffix))
    .map(|(_, t)| t)
}

/// Every metadata file under `dir`, checked for its type's shape: how many of each type.
fn check_metadata_files(dir: &Path) -> BTreeMap<&'static str, usize> {
    let files = files_under(dir);
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for path in files
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(".xml"))
    {
        let kind = metadata_type(path).unwrap_or_else(|| {
            panic!("{}: not a metadata type this package ships", path.display())
        });
        *seen.entry(kind).or_default() += 1;
        let root = parse(path);
        assert_eq!(root.name, kind, "{}", path.display());
        assert_eq!(
            root.xmlns.as_deref(),
            Some(METADATA_NS),
            "{}",
            path.display()
        );
        let required: &[&str] = match kind {
            "ApexClass" => &["apiVersion", "status"],
            "CustomField" => &["fullName", "label", "type"],
            "PermissionSet" => &["label", "hasActivationRequired"],
            "LightningComponentBundle" => &["apiVersion", "isExposed", "masterLabel"],
            "LightningMessageChannel" => &["masterLabel", "isExposed"],
            // Lists of entries, not fields with text: `allowed` below checks them.
            "CustomLabels" | "Translations" => &[],
            "ConversationVendorInfo" => {
                &["developerName", "masterLabel", "vendorType", "connectorUrl"]
            }
            _ => unreachable!(),
        };
        for r in required {
            assert!(
                root.child(r).is_some_and(|c| !c.text.trim().is_empty()),
                "{}: <{r}> is required",
                path.display()
            );
        }
        let allowed: &[&str] = match kind {
            "LightningComponentBundle" => &[
                "apiVersion",
                "capabilities",
                "description",
                "isExposed",
                "masterLabel",
                "targetConfigs",
                "targets",
            ],
            "LightningMessageChannel" => &[
                "description",
                "isExposed",
                "lightningMessageFields",
                "masterLabel",
            ],
            "ConversationVendorInfo" => &CVI_FIELDS,
            "CustomLabels" => &["labels"],
            "Translations" => &["customLabels"],
            _ => &[],
        };
        if !allowed.is_empty() {
            for c in &root.children {
                assert!(
                    allowed.contains(&c.name.as_str()),
                    "{}: <{}> is not a field of {kind}",
                    path.display(),
                    c.name
                );
            }
        }
    }
    seen
}

#[test]
fn every_metadata_file_is_well_formed_and_of_its_types_shape() {
    let seen = check_metadata_files(&default_dir());
    assert_eq!(seen.get("ApexClass"), Some(&2));
    // Five on each of the four objects, and the Neotel campaign id on Campaign.
    assert_eq!(seen.get("CustomField"), Some(&21));
    assert_eq!(seen.get("PermissionSet"), Some(&1));
    assert_eq!(
        seen.len(),
        3,
        "the Open CTI package holds nothing of Salesforce Voice: {seen:?}"
    );

    let voice = check_metadata_files(&voice_dir());
    let expected: BTreeMap<&str, usize> = [
        ("ApexClass", 2),
        ("ConversationVendorInfo", 1),
        ("CustomField", VOICE_CALL_FIELDS.len()),
        // The refusals' words (their contents: cti-server's catalogs test), and in Spanish.
        ("CustomLabels", 1),
        ("Translations", 1),
        ("LightningComponentBundle", COMPONENTS.len() + MODULES.len()),
        ("LightningMessageChannel", 1),
        ("PermissionSet", 1),
    ]
    .into_iter()
    .collect();
    assert_eq!(voice, expected);
}

#[test]
fn each_neotel_field_exists_on_the_four_objects_with_its_type() {
    for object in OBJECTS {
        for field in FIELDS {
            let path =
                default_dir().join(format!("objects/{object}/fields/{field}.field-meta.xml"));
            assert!(path.exists(), "{object}.{field} is missing");
            let f = parse(&path);
            assert_eq!(f.text_of("fullName"), Some(field), "{}", path.display());
            match f.text_of("type") {
                Some("Number") => {
                    assert_eq!(
                        (f.text_of("precision"), f.text_of("scale")),
                        (Some("18"), Some("0")),
                        "{object}.{field} is Number(18,0)"
                    );
                }
                Some("Text") => assert!(
                    f.text_of("length")
                        .is_some_and(|l| l.parse::<u32>().is_ok_and(|n| (1..=255).contains(&n)))
                ),
                other => panic!("{object}.{field}: unexpected type {other:?}"),
            }
        }
        let sync = parse(&default_dir().join(format!(
            "objects/{object}/fields/neoSyncId__c.field-meta.xml"
        )));
        assert_eq!(
            sync.text_of("type"),
            Some("Number"),
            "neoSyncId__c is a Number(18,0)"
        );
        assert_eq!(
            sync.text_of("externalId"),
            Some("true"),
            "neoSyncId__c is an External ID"
        );
        assert_eq!(
            sync.text_of("unique"),
            Some("true"),
            "neoSyncId__c is Unique"
        );
    }
}

#[test]
fn the_permission_set_grants_the_fields_and_the_class_and_nothing_more() {
    let ps = parse(&default_dir().join("permissionsets/Neotel_CTI_Agent.permissionset-meta.xml"));
    let mut granted: Vec<String> = Vec::new();
    for fp in ps.all("fieldPermissions") {
        let field = fp.text_of("field").expect("a field").to_owned();
        // The Neotel campaign id is the admin's to set: agents read it (campaignEntityName).
        let editable = if field == "Campaign.neoCampaignId__c" {
            "false"
        } else {
            "true"
        };
        assert_eq!(
            (fp.text_of("readable"), fp.text_of("editable")),
            (Some("true"), Some(editable)),
            "{fp:?}"
        );
        granted.push(field);
    }
    let mut expected: Vec<String> = OBJECTS
        .iter()
        .flat_map(|o| FIELDS.iter().map(move |f| format!("{o}.{f}")))
        .chain(["Campaign.neoCampaignId__c".to_owned()])
        .collect();
    granted.sort();
    expected.sort();
    assert_eq!(granted, expected);
    let classes: Vec<(&str, &str)> = ps
        .all("classAccesses")
        .map(|c| {
            (
                c.text_of("apexClass").unwrap_or(""),
                c.text_of("enabled").unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(classes, vec![("NeotelDataRetrieval", "true")]);
    let allowed = [
        "classAccesses",
        "description",
        "fieldPermissions",
        "hasActivationRequired",
        "label",
    ];
    for c in &ps.children {
        assert!(
            allowed.contains(&c.name.as_str()),
            "the permission set grants nothing else: <{}>",
            c.name
        );
    }
}

#[test]
fn every_class_has_its_meta_file_and_the_project_file_points_at_the_source() {
    let mut classes = files_under(&default_dir().join("classes"));
    classes.extend(files_under(&voice_dir().join("classes")));
    for path in classes
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "cls"))
    {
        let meta = PathBuf::from(format!("{}-meta.xml", path.display()));
        assert!(meta.exists(), "{} has no -meta.xml", path.display());
        let m = parse(&meta);
        assert_eq!(m.text_of("status"), Some("Active"));
        assert!(
            m.text_of("apiVersion")
                .is_some_and(|v| v.parse::<f64>().is_ok_and(|v| v >= 58.0)),
            "a current API version"
        );
    }
    let project: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(package().join("sfdx-project.json")).expect("sfdx-project.json"),
    )
    .expect("JSON");
    let dirs = project["packageDirectories"]
        .as_array()
        .expect("packageDirectories");
    let default = dirs
        .iter()
        .find(|d| d["default"] == true)
        .expect("a default package directory");
    assert!(
        package()
            .join(default["path"].as_str().expect("a path"))
            .is_dir()
    );
    assert!(project["sourceApiVersion"].as_str().is_some());
    // The Salesforce Voice part is a package directory of its own, not the default: deploying
    // force-app alone (the Open CTI install) never needs Salesforce Voice's licence.
    let voice = dirs
        .iter()
        .find(|d| d["path"] == "voice-app")
        .expect("voice-app is a package directory");
    assert_ne!(voice["default"], true);
}

#[test]
fn the_shipped_call_center_is_what_the_server_generates_and_passes_its_check() {
    let xml = std::fs::read_to_string(package().join("callcenter/NeotelCTI.xml"))
        .expect("the call center definition");
    let config = sf_callcenter::check(&xml).unwrap_or_else(|problems| panic!("{problems:#?}"));
    assert_eq!(config.general.internal_name, "NeotelCTI");
    assert_eq!(
        config.general.mode,
        sf_callcenter::CompatibilityMode::Lightning
    );
    assert!(config.general.adapter_url.starts_with("https://"));
    let generated = sf_callcenter::generate(&sf_callcenter::Install::default()).to_xml();
    assert_eq!(
        xml, generated,
        "regenerate with: cti-server callcenter generate --adapter-url https://YOUR-SERVER/softphone/"
    );
}

fn apex(name: &str) -> String {
    std::fs::read_to_string(default_dir().join(format!("classes/{name}.cls")))
        .expect("the Apex class")
}

#[test]
fn the_apex_class_keeps_the_seeds_signatures_and_is_written_safely() {
    let code = apex("NeotelDataRetrieval");
    assert!(
        code.contains("global with sharing class NeotelDataRetrieval"),
        "sharing rules respected"
    );
    for object in ["Lead", "Contact", "Account", "Opportunity"] {
        assert!(
            code.contains(&format!(
                "webService static String get{object}ById(String Id)"
            )),
            "the seed's signature for {object}"
        );
    }
    // The dynamic queries bind the caller's values (the Id; the campaign id), and build their
    // field list and object from the schema.
    let queries: Vec<&str> = code
        .lines()
        .filter(|l| l.contains("Database.query("))
        .collect();
    assert_eq!(queries.len(), 2);
    let lines: Vec<&str> = code.lines().collect();
    let soqls: Vec<String> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with("String soql"))
        .map(|(i, _)| {
            // A statement may go on over the next line.
            let mut text = lines[i].to_owned();
            if !text.trim_end().ends_with(';') {
                text.push_str(lines[i + 1]);
            }
            text
        })
        .collect();
    assert_eq!(soqls.len(), 2);
    assert!(
        soqls[0].contains("WHERE neoCampaignId__c = :key"),
        "{}",
        soqls[0]
    );
    assert!(soqls[1].contains("WHERE Id = :recordId"), "{}", soqls[1]);
    for soql in &soqls {
        for input in [
            "+ Id",
            "+ value",
            "+ recordId",
            "+Id",
            "+ objectName",
            "+ campaignId",
            "+ key",
        ] {
            assert!(
                !soql.contains(input),
                "caller input concatenated into SOQL: {soql}"
            );
        }
    }
    assert!(
        code.contains("describe.fields.getMap().keySet()"),
        "fields from describe, not from the caller"
    );
    assert!(
        code.contains("Security.stripInaccessible(AccessType.READABLE"),
        "field-level security respected"
    );
    assert!(
        code.contains("getSObjectType() != objectType"),
        "the Id must be of the object asked for"
    );
    // The Task look-up (one Task per call): a bound static query, the user's own Tasks.
    assert!(code.contains("webService static String getTaskByCallObject(String CallObject)"));
    assert!(code.contains("WHERE CallObject = :key AND CreatedById = :me"));
}

#[test]
fn the_apex_test_class_calls_every_method_and_asserts_results() {
    let code = apex("NeotelDataRetrievalTest");
    assert!(code.contains("@IsTest"));
    for object in ["Lead", "Contact", "Account", "Opportunity"] {
        assert!(
            code.contains(&format!("NeotelDataRetrieval.get{object}ById(")),
            "{object} is exercised"
        );
    }
    assert!(
        code.matches("Assert.areEqual").count() >= 15,
        "results are asserted, not just covered"
    );
    assert!(
        code.contains("'not-an-id'") && code.contains("delete l"),
        "malformed and unknown Ids are tested"
    );
    assert!(
        code.contains("NeotelDataRetrieval.getTaskByCallObject('1159449')"),
        "the Task look-up is exercised"
    );
}

// ----- Salesforce Voice (voice-app/)

fn voice_file(relative: &str) -> PathBuf {
    voice_dir().join(relative)
}

#[test]
fn the_vendor_record_is_neotels_with_the_recommended_settings() {
    let cvi = parse(&voice_file(
        "ConversationVendorInformation/NeotelVendor.ConversationVendorInformation-meta.xml",
    ));
    assert_eq!(cvi.text_of("developerName"), Some("NeotelVendor"));
    assert_eq!(cvi.text_of("masterLabel"), Some("Neotel"));
    assert_eq!(cvi.text_of("vendorType"), Some("ServiceCloudVoicePartner"));
    assert_eq!(
        cvi.text_of("clientAuthMode"),
        Some("Custom"),
        "Neotel's own login"
    );
    let url = cvi.text_of("connectorUrl").expect("connectorUrl");
    assert!(
        url.starts_with("https://") && url.ends_with("/scv/"),
        "the customer's cti-server connector page: {url}"
    );
    // The bridge is our component, named as Salesforce names components (namespace:name; `c`
    // without a namespace).
    let bridge = cvi.text_of("bridgeComponent").expect("bridgeComponent");
    let (namespace, name) = bridge.split_once(':').expect("namespace:component");
    assert_eq!((namespace, name), ("c", "neotelBridge"));
    assert!(voice_file("lwc/neotelBridge/neotelBridge.js").exists());
    // §4.2: every capability off but the queue mapping; unified routing never (it cannot be
    // turned off again, and Neotel routes its calls).
    let flags: BTreeMap<&str, &str> = cvi
        .children
        .iter()
        .filter(|c| c.name.ends_with("Supported"))
        .map(|c| (c.name.as_str(), c.text.trim()))
        .collect();
    let expected: BTreeMap<&str, &str> = [
        ("agentSSOSupported", "false"),
        ("einsteinConversationInsightsSupported", "false"),
        ("intelligenceSupported", "false"),
        ("keyProvisioningSupported", "false"),
        ("namedCredentialSupported", "false"),
        ("partnerContactCenterListSupported", "false"),
        ("partnerPhoneNumbersSupported", "false"),
        ("partnerTransferDestinationsSupported", "true"),
        ("queueManagementSupported", "false"),
        ("universalCallRecordingAccessSupported", "false"),
        ("userSyncingSupported", "false"),
    ]
    .into_iter()
    .collect();
    assert_eq!(flags, expected);
    assert!(cvi.child("unifiedRoutingSupported").is_none());
}

#[test]
fn voice_call_has_the_neotel_fields_with_their_types() {
    let dir = voice_dir().join("objects/VoiceCall/fields");
    let shipped: Vec<String> = files_under(&dir)
        .iter()
        .filter_map(|p| {
            p.file_name()?
                .to_str()?
                .strip_suffix(".field-meta.xml")
                .map(str::to_owned)
        })
        .collect();
    let mut expected: Vec<String> = VOICE_CALL_FIELDS
        .iter()
        .map(|(f, _)| (*f).to_owned())
        .collect();
    expected.sort();
    assert_eq!(shipped, expected, "exactly §4.4's fields");
    for (field, kind) in VOICE_CALL_FIELDS {
        let f = parse(&dir.join(format!("{field}.field-meta.xml")));
        assert_eq!(f.text_of("fullName"), Some(field));
        assert_eq!(f.text_of("type"), Some(kind), "{field}");
        assert!(
            f.text_of("description").is_some_and(|d| !d.is_empty()),
            "{field} says what it is"
        );
        match kind {
            "Number" => assert_eq!(
                (f.text_of("precision"), f.text_of("scale")),
                (Some("18"), Some("0")),
                "{field}: Neotel's ids are integers"
            ),
            "Text" => assert!(
                f.text_of("length")
                    .is_some_and(|l| l.parse::<u32>().is_ok_and(|n| (1..=255).contains(&n))),
                "{field}"
            ),
            "LongTextArea" => {
                assert!(
                    f.text_of("length").is_some_and(|l| l
                        .parse::<u32>()
                        .is_ok_and(|n| (256..=131_072).contains(&n))),
                    "{field}"
                );
                assert!(f.text_of("visibleLines").is_some(), "{field}");
            }
            "DateTime" => assert!(f.child("length").is_none()),
            other => panic!("{field}: unexpected type {other}"),
        }
        // VoiceCall's history tracking is not assumed: nothing asks for it.
        assert_ne!(f.text_of("trackHistory"), Some("true"), "{field}");
    }
    let call_id = parse(&dir.join("NeoCallId__c.field-meta.xml"));
    assert_eq!(
        call_id.text_of("externalId"),
        Some("true"),
        "a VoiceCall is found by Neotel's call id"
    );
}

#[test]
fn the_voice_permission_set_grants_the_neotel_fields_and_the_classes_and_nothing_more() {
    let ps = parse(&voice_file(
        "permissionsets/Neotel_Voice_Agent.permissionset-meta.xml",
    ));
    assert_eq!(ps.text_of("label"), Some("Neotel Voice Agent"));
    let mut granted: Vec<String> = Vec::new();
    for fp in ps.all("fieldPermissions") {
        assert_eq!(
            (fp.text_of("readable"), fp.text_of("editable")),
            (Some("true"), Some("true")),
            "{fp:?}"
        );
        granted.push(fp.text_of("field").expect("a field").to_owned());
    }
    let mut expected: Vec<String> = VOICE_CALL_FIELDS
        .iter()
        .map(|(f, _)| format!("VoiceCall.{f}"))
        .chain(
            OBJECTS
                .iter()
                .flat_map(|o| FIELDS.iter().map(move |f| format!("{o}.{f}"))),
        )
        .collect();
    granted.sort();
    expected.sort();
    assert_eq!(granted, expected);
    let mut classes: Vec<(&str, &str)> = ps
        .all("classAccesses")
        .map(|c| {
            (
                c.text_of("apexClass").unwrap_or(""),
                c.text_of("enabled").unwrap_or(""),
            )
        })
        .collect();
    classes.sort_unstable();
    assert_eq!(
        classes,
        vec![("NeotelDataRetrieval", "true"), ("NeotelLightning", "true")]
    );
    for c in &ps.children {
        assert!(
            [
                "classAccesses",
                "description",
                "fieldPermissions",
                "hasActivationRequired",
                "label"
            ]
            .contains(&c.name.as_str()),
            "the permission set grants nothing else: <{}>",
            c.name
        );
    }
}

#[test]
fn the_message_channel_is_the_one_the_components_use() {
    let channel = parse(&voice_file(
        "messageChannels/ServiceCloudVoiceMessageChannel.messageChannel-meta.xml",
    ));
    assert_eq!(
        channel.text_of("isExposed"),
        Some("false"),
        "only this package's components publish on it"
    );
    let fields: Vec<&str> = channel
        .all("lightningMessageFields")
        .filter_map(|f| f.text_of("fieldName"))
        .collect();
    assert_eq!(fields, ["source", "payload"]);
    let import = "@salesforce/messageChannel/ServiceCloudVoiceMessageChannel__c";
    for module in ["neotelBridge", "neotelElement"] {
        let code = component_js(module);
        assert!(code.contains(import), "{module} imports the channel");
    }
}

fn component_js(name: &str) -> String {
    std::fs::read_to_string(voice_file(&format!("lwc/{name}/{name}.js")))
        .unwrap_or_else(|e| panic!("{name}.js: {e}"))
}

#[test]
fn each_component_is_placed_where_the_spec_says_and_has_its_jest_test() {
    let voice_extension = "lightning__VoiceExtension";
    for name in COMPONENTS.iter().chain(MODULES.iter()) {
        let dir = voice_file(&format!("lwc/{name}"));
        let meta = parse(&dir.join(format!("{name}.js-meta.xml")));
        assert!(
            meta.text_of("apiVersion")
                .is_some_and(|v| v.parse::<f64>().is_ok_and(|v| v >= 59.0)),
            "{name}: lwc:if needs API 59.0 or later"
        );
        assert!(dir.join(format!("{name}.js")).exists(), "{name}.js");
        let targets: Vec<&str> = meta
            .child("targets")
            .map(|t| t.all("target").map(|t| t.text.trim()).collect())
            .unwrap_or_default();
        for t in &targets {
            assert!(
                [
                    voice_extension,
                    "lightning__UtilityBar",
                    "lightning__RecordPage"
                ]
                .contains(t),
                "{name}: unexpected target {t}"
            );
        }
        // Salesforce's rule for a Voice Extension component: the toolkit capability with it.
        let capabilities: Vec<&str> = meta
            .child("capabilities")
            .map(|c| c.all("capability").map(|c| c.text.trim()).collect())
            .unwrap_or_default();
        assert_eq!(
            targets.contains(&voice_extension),
            capabilities.contains(&"lightning__ServiceCloudVoiceToolkitApi"),
            "{name}"
        );
        if MODULES.contains(name) {
            assert_eq!(meta.text_of("isExposed"), Some("false"), "{name}");
            assert!(targets.is_empty(), "{name} is not placed");
        } else if *name == "neotelBridge" {
            // Salesforce places the bridge itself; it must have no markup of its own.
            assert!(targets.is_empty());
            let html =
                std::fs::read_to_string(dir.join("neotelBridge.html")).expect("its template");
            assert_eq!(html.trim(), "<template></template>");
        } else {
            assert!(
                targets.contains(&voice_extension) && targets.contains(&"lightning__UtilityBar"),
                "{name}: in the Voice Extension and the utility bar"
            );
            assert!(dir.join(format!("{name}.html")).exists(), "{name}.html");
        }
        let test = dir.join(format!("__tests__/{name}.test.js"));
        if *name != "neotelElement" {
            assert!(test.exists(), "{name} has its jest test");
        }
    }
    let forceignore =
        std::fs::read_to_string(package().join(".forceignore")).expect("salesforce/.forceignore");
    assert!(
        forceignore.lines().any(|l| l.trim() == "**/__tests__/**"),
        "the jest tests are never deployed"
    );
}

#[test]
fn the_components_call_only_the_apex_the_package_ships() {
    let apex = std::fs::read_to_string(voice_file("classes/NeotelLightning.cls")).expect("Apex");
    let prefix = "@salesforce/apex/";
    let mut called = 0;
    for name in COMPONENTS.iter().chain(MODULES.iter()) {
        for import in component_js(name).split(prefix).skip(1) {
            let target = import.split(['\'', '"']).next().unwrap_or_default();
            let (class, method) = target.split_once('.').expect("Class.method");
            assert_eq!(class, "NeotelLightning", "{name} calls {target}");
            let lines: Vec<&str> = apex.lines().map(str::trim).collect();
            let declared = lines
                .iter()
                .position(|l| l.starts_with("public static") && l.contains(&format!(" {method}(")));
            assert!(
                declared.is_some_and(|at| at > 0 && lines[at - 1] == "@AuraEnabled"),
                "{name} calls {target}, which NeotelLightning must expose with @AuraEnabled"
            );
            called += 1;
        }
    }
    assert_eq!(
        called, 4,
        "searchRecords, findCampaignRecord, readRecord, findCallLog"
    );
}

#[test]
fn the_lightning_apex_is_written_safely_on_top_of_neotel_data_retrieval() {
    let code = std::fs::read_to_string(voice_file("classes/NeotelLightning.cls")).expect("Apex");
    assert!(
        code.contains("public with sharing class NeotelLightning"),
        "sharing rules respected"
    );
    for method in [
        "public static List<Match> searchRecords(String key)",
        "public static Map<String, Object> readRecord(String recordId, String objectType)",
        "public static String findCallLog(String callId)",
    ] {
        let at = code.find(method).unwrap_or_else(|| panic!("{method}"));
        assert!(
            code[..at].trim_end().ends_with("@AuraEnabled"),
            "{method} is callable from Lightning"
        );
        assert!(
            !code[..at]
                .trim_end()
                .ends_with("@AuraEnabled(cacheable=true)"),
            "never cached: a record just saved must be found"
        );
    }
    // No dynamic query at all: the SOSL key is bound and escaped, the Id queries are static.
    for dynamic in [
        "Database.query",
        "Search.query",
        "Search.find",
        "Database.countQuery",
    ] {
        assert!(!code.contains(dynamic), "no {dynamic}");
    }
    assert!(code.contains("FIND :term IN ALL FIELDS RETURNING"));
    assert!(code.contains("String term = soslPhrase(text);"));
    assert!(
        code.contains(r#"String reserved = '\\?&|!{}[]()^~*:"\'+-';"#),
        "every SOSL reserved character is escaped"
    );
    assert!(code.contains("WHERE Id = :recordId"));
    assert!(
        code.contains("Security.stripInaccessible(AccessType.READABLE"),
        "field-level security"
    );
    assert!(code.contains(".isAccessible()"), "object-level security");
    // The reads are the Open CTI softphone's: the same class, the same rules.
    for read in [
        "NeotelDataRetrieval.getContactById(recordId)",
        "NeotelDataRetrieval.getAccountById(recordId)",
        "NeotelDataRetrieval.getLeadById(recordId)",
        "NeotelDataRetrieval.getOpportunityById(recordId)",
        "NeotelDataRetrieval.getTaskByCallObject(callId)",
    ] {
        assert!(code.contains(read), "{read}");
    }
    // Numbers as text: an 18-digit neoSyncId__c keeps every digit in JavaScript.
    assert!(code.contains("((Decimal) value).toPlainString()"));

    let test =
        std::fs::read_to_string(voice_file("classes/NeotelLightningTest.cls")).expect("its test");
    assert!(test.contains("@IsTest"));
    for call in [
        "NeotelLightning.searchRecords(",
        "NeotelLightning.readRecord(",
        "NeotelLightning.findCallLog(",
        "NeotelLightning.soslPhrase(",
        "Test.setFixedSearchResults(",
    ] {
        assert!(test.contains(call), "{call} is exercised");
    }
    assert!(
        test.contains("'706452004931707777', r.get('neoSyncId__c')"),
        "the 18 digits come back as text"
    );
    assert!(
        test.matches("Assert.").count() >= 25,
        "results are asserted, not just covered"
    );
}

#[test]
fn the_partner_telephony_contact_center_template_is_generated_and_checked() {
    let xml = std::fs::read_to_string(package().join("callcenter/NeotelVoice.xml"))
        .expect("the contact center template");
    let generated = sf_callcenter::generate_voice(&sf_callcenter::VoiceInstall::default()).to_xml();
    assert_eq!(
        xml, generated,
        "regenerate with sf-callcenter's generate_voice(&VoiceInstall::default())"
    );
    // Everything checks but the certificate, which is the server's: the admin generates the
    // file with `cti-server callcenter generate --voice --certificate FILE`.
    let problems = sf_callcenter::check_voice(&xml).unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(
        problems[0].item.as_deref(),
        Some("reqTelephonyIntegrationCertificate")
    );
    assert!(xml.contains(sf_callcenter::CERTIFICATE_PLACEHOLDER));
    // The vendor it names is the package's.
    let cc = sf_callcenter::CallCenter::parse_xml(&xml).expect("it parses");
    let cvi = parse(&voice_file(
        "ConversationVendorInformation/NeotelVendor.ConversationVendorInformation-meta.xml",
    ));
    assert_eq!(
        cc.value("reqGeneralInfo", "reqVendorInfoApiName"),
        cvi.text_of("developerName")
    );
    assert_eq!(
        cc.value("reqGeneralInfo", "reqInternalName"),
        Some("NeotelContactCenter")
    );
    // And the Open CTI check tells it is not an Open CTI call center.
    assert!(sf_callcenter::check(&xml).is_err());
}
