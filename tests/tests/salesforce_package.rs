//! What the Salesforce admin deploys (`salesforce/`): every metadata file well-formed and of the
//! Metadata API's shape for its type, the custom fields on the four objects, the permission set,
//! the call center definition passing the connector's checks, and the Apex class written safely.

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

fn package() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../salesforce")
}

fn default_dir() -> PathBuf {
    package().join("force-app/main/default")
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
    ]
    .into_iter()
    .find(|(suffix, _)| name.ends_with(suffix))
    .map(|(_, t)| t)
}

#[test]
fn every_metadata_file_is_well_formed_and_of_its_types_shape() {
    let files = files_under(&default_dir());
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
            _ => unreachable!(),
        };
        for r in required {
            assert!(
                root.child(r).is_some_and(|c| !c.text.trim().is_empty()),
                "{}: <{r}> is required",
                path.display()
            );
        }
    }
    assert_eq!(seen.get("ApexClass"), Some(&2));
    // Five on each of the four objects, and the Neotel campaign id on Campaign.
    assert_eq!(seen.get("CustomField"), Some(&21));
    assert_eq!(seen.get("PermissionSet"), Some(&1));
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
    let classes = default_dir().join("classes");
    for path in files_under(&classes)
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
