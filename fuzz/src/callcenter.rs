//! The Salesforce call center definition an admin imports (`<callCenter>` XML).
//!
//! A definition that parses writes back (`to_xml`) to one that parses equal; one that also
//! validates generates (`generate`, from the typed configuration) a definition that validates
//! to the same configuration, and reads back from the flat map `getCallCenterSettings()`
//! returns. Every problem says what is wrong, and a syntax problem says where (line and column
//! inside the text).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use sf_callcenter::{
    CallCenter, CompatibilityMode, Config, DialingOptions, FieldMap, Install, NeotelData,
    ObjectType, Options, Problem, ProblemKind, check as check_xml, generate as generate_cc,
};

use crate::{Rng, Target};

/// The `callcenter` target.
pub const TARGET: Target = Target {
    name: "callcenter",
    check,
    generate,
    dictionary: &[
        "<callCenter>",
        "</callCenter>",
        "<section ",
        "</section>",
        "<item ",
        "</item>",
        "/>",
        "sortOrder=\"",
        "name=\"",
        "label=\"",
        "reqGeneralInfo",
        "neotelConfigOptions",
        "reqDialingOptions",
        "reqInternalName",
        "reqAdapterUrl",
        "reqSoftphoneHeight",
        "reqSalesforceCompatibilityMode",
        "reqStandbyUrl",
        "reqTimeout",
        "externalData",
        "searchTypePriority",
        "automaticContactRelease",
        "campaignEntityName",
        "https://",
        "Lightning",
        "Classic",
        "Classic_and_Lightning",
    ],
    project_seeds,
};

/// What an install built from a checked configuration says (the typed configuration back).
fn install_of(config: &Config) -> Install {
    let g = &config.general;
    Install {
        internal_name: g.internal_name.clone(),
        display_name: g.display_name.clone(),
        adapter_url: g.adapter_url.clone(),
        width: g.width,
        height: g.height,
        mode: g.mode,
        standby: g.standby.clone(),
        options: config.options.clone(),
        dialing: config.dialing.clone(),
    }
}

/// The flat map `sforce.opencti.getCallCenterSettings()` returns for a definition.
fn settings(cc: &CallCenter) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for s in &cc.sections {
        map.insert(format!("/{}/label", s.name), s.label.clone());
        map.insert(
            format!("/{}/sortOrder", s.name),
            format!("{}.0", s.sort_order),
        );
        for i in &s.items {
            map.insert(format!("/{}/{}", s.name, i.name), i.value.clone());
            map.insert(format!("/{}/{}/label", s.name, i.name), i.label.clone());
            map.insert(
                format!("/{}/{}/sortOrder", s.name, i.name),
                format!("{}.0", i.sort_order),
            );
        }
    }
    map
}

fn check_problems(text: &str, problems: &[Problem]) {
    assert!(!problems.is_empty(), "a refusal has at least one problem");
    let lines = u32::try_from(text.lines().count() + 1).unwrap_or(u32::MAX);
    for p in problems {
        assert!(
            !p.message.trim().is_empty(),
            "a problem says what is wrong: {p:?}"
        );
        if let Some(line) = p.line {
            assert!(
                (1..=lines).contains(&line),
                "line {line} is inside the text: {p}"
            );
        }
        match p.kind {
            // an empty text has no place to point at
            ProblemKind::Syntax if p.message.starts_with("no <callCenter>") => {}
            ProblemKind::Syntax => {
                assert!(
                    p.line.is_some() && p.column.is_some(),
                    "a syntax problem has line and column: {p}"
                );
            }
            ProblemKind::SortOrder => {
                assert!(p.line.is_some(), "a sortOrder problem has a line: {p}");
            }
            _ => {}
        }
    }
}

/// Parses, writes back, validates, generates and reads the settings map.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let cc = match CallCenter::parse_xml(text) {
        Ok(cc) => cc,
        Err(problems) => {
            check_problems(text, &problems);
            assert!(check_xml(text).is_err());
            return;
        }
    };
    let xml = cc.to_xml();
    let again = CallCenter::parse_xml(&xml)
        .unwrap_or_else(|p| panic!("the written definition does not parse: {p:?}\n{xml}"));
    assert_eq!(again, cc, "a definition survives to_xml: {xml}");

    match cc.validate() {
        Err(problems) => {
            check_problems(text, &problems);
            for p in &problems {
                // read from XML, every problem of a section or item says which line
                assert!(
                    p.line.is_some() || p.section.is_none(),
                    "a problem of a section that was read has a line: {p}"
                );
            }
        }
        Ok(config) => {
            assert_eq!(check_xml(text).as_ref(), Ok(&config));
            assert_ne!(config.general.mode, CompatibilityMode::Classic);
            let generated = generate_cc(&install_of(&config)).to_xml();
            let mut back = check_xml(&generated).unwrap_or_else(|p| {
                panic!("a generated definition is refused: {p:?}\n{generated}")
            });
            // a generated definition always turns the API on
            back.general.use_api = config.general.use_api;
            assert_eq!(
                back, config,
                "the configuration survives generate: {generated}"
            );

            let names: BTreeSet<&str> = cc.sections.iter().map(|s| s.name.as_str()).collect();
            if names.len() == cc.sections.len() {
                let mut sorted = cc.clone();
                sorted.sections.sort_by_key(|s| s.sort_order);
                for s in &mut sorted.sections {
                    s.items.sort_by_key(|i| i.sort_order);
                }
                let from_map = CallCenter::from_settings(&settings(&cc))
                    .unwrap_or_else(|p| panic!("its settings map is refused: {p:?}"));
                assert_eq!(
                    from_map, sorted,
                    "the settings map reads back to the definition"
                );
            }
        }
    }
}

fn field_map(rng: &mut Rng) -> FieldMap {
    let text: Vec<String> = (0..rng.below(5))
        .map(|_| {
            format!(
                "{}__c-{}",
                rng.word(10),
                rng.pick(&NeotelData::ALL).as_str()
            )
        })
        .collect();
    FieldMap::parse(&text.join("|")).unwrap_or_default()
}

/// A random install's generated definition, sometimes bent out of shape.
fn generate(rng: &mut Rng) -> Vec<u8> {
    let mut priority: Vec<ObjectType> = Vec::new();
    for _ in 0..rng.below(4) {
        let t = *rng.pick(&ObjectType::ALL);
        if !priority.contains(&t) {
            priority.push(t);
        }
    }
    let install = Install {
        internal_name: if rng.chance(1, 10) {
            rng.text(12)
        } else {
            format!("N{}", rng.word(20))
        },
        display_name: rng.text(30),
        adapter_url: format!(
            "{}://{}.example.com/softphone/",
            rng.pick(&["https", "https", "http"]),
            rng.word(10)
        ),
        width: rng.int(150, 2000) as u32,
        height: rng.int(200, 2600) as u32,
        mode: *rng.pick(&[
            CompatibilityMode::Lightning,
            CompatibilityMode::ClassicAndLightning,
            CompatibilityMode::Classic,
        ]),
        standby: rng.chance(1, 3).then(|| {
            (
                format!("https://{}/", rng.word(8)),
                rng.int(0, 60_000) as u32,
            )
        }),
        options: Options {
            search_priority: priority,
            external_data: field_map(rng),
            default_new_row: field_map(rng),
            allow_categorization: rng.chance(1, 2),
            allow_click_to_dial_search: rng.chance(1, 2),
            use_task_description: rng.chance(1, 2),
            allow_contact_release: rng.chance(1, 2),
            automatic_release: rng.chance(1, 2).then(|| rng.int(0, 600) as u32),
            save_activity_log: rng.chance(1, 2),
            allow_text_message: rng.chance(1, 2),
            campaign_entity: rng.chance(1, 3).then(|| format!("{}__c", rng.word(10))),
        },
        dialing: DialingOptions {
            outside_prefix: rng.pick(&["", "0", "9"]).to_string(),
            long_distance_prefix: rng.pick(&["", "1"]).to_string(),
            international_prefix: rng.pick(&["", "00", "011"]).to_string(),
        },
    };
    let mut cc = generate_cc(&install);
    if rng.chance(1, 3) {
        // bend it: an odd sortOrder, a duplicate, a strange value or name
        let s = rng.below(cc.sections.len());
        let section = &mut cc.sections[s];
        match rng.below(4) {
            0 => section.sort_order = rng.int(0, 5) as u32,
            1 if !section.items.is_empty() => {
                let i = rng.below(section.items.len());
                section.items[i].value = rng.text(20);
            }
            2 if !section.items.is_empty() => {
                let i = rng.below(section.items.len());
                let copy = section.items[i].clone();
                section.items.push(copy);
            }
            _ => section.name = rng.text(8),
        }
    }
    let mut xml = cc.to_xml();
    if rng.chance(1, 4) {
        xml = xml.replace("\n", "\r\n");
    }
    if rng.chance(1, 6) {
        xml.insert_str(
            0,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- exported -->\n",
        );
    }
    xml.into_bytes()
}

/// The customer's seed definition (`shared/fixtures/seed-callcenter.xml`).
fn project_seeds(root: &Path) -> Vec<Vec<u8>> {
    let seed = crate::read_text(&root.join("../shared/fixtures/seed-callcenter.xml"));
    if seed.is_empty() {
        Vec::new()
    } else {
        vec![seed.into_bytes()]
    }
}
