//! The seed's call center file and broken variants of it: every problem, all at once.

use std::collections::BTreeMap;

use proptest::prelude::*;
use sf_callcenter::{
    CallCenter, CompatibilityMode, DialingOptions, FieldMap, Install, NeotelData, ObjectType,
    Options, ProblemKind, check, generate,
};

fn seed() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/fixtures/seed-callcenter.xml"
    ))
    .expect("the seed's call center XML sits in shared/fixtures")
}

/// The seed with its adapter URL on https (it is), and one edit.
fn variant(from: &str, to: &str) -> String {
    let s = seed();
    assert!(s.contains(from), "the seed contains {from}");
    s.replacen(from, to, 1)
}

#[test]
fn the_seed_parses_with_exactly_its_values() {
    let cc = CallCenter::parse_xml(&seed()).unwrap();
    assert_eq!(cc.sections.len(), 2);
    let g = &cc.sections[0];
    assert_eq!(
        (g.name.as_str(), g.label.as_str(), g.sort_order),
        ("reqGeneralInfo", "General Information", 0)
    );
    let names: Vec<&str> = g.items.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "reqInternalName",
            "reqDisplayName",
            "reqAdapterUrl",
            "reqUseApi",
            "reqSoftphoneHeight",
            "reqSoftphoneWidth",
            "reqSalesforceCompatibilityMode"
        ]
    );
    assert_eq!(
        cc.value("reqGeneralInfo", "reqAdapterUrl"),
        Some("https://demo.neotel.us/Callcenter/OpenCTI/SFOpenCTI.html")
    );
    let o = &cc.sections[1];
    assert_eq!(
        (o.name.as_str(), o.label.as_str()),
        ("neotelConfigOptions", "Opciones")
    );
    assert_eq!(o.items.len(), 11);
    assert_eq!(o.items[0].label, "Prioridad de búsqueda");
    assert_eq!(o.items[0].value, "");
    assert_eq!(
        o.items[2].value,
        "neoContactId__c-contactId|neoBaseId__c-contactBaseId|neoCrmId__c-crmId|Phone-phoneNumber|"
    );
    assert_eq!(o.items[10].sort_order, 10);
    assert_eq!(o.items[4].line, Some(16), "lines are kept for problems");

    let config = check(&seed()).unwrap();
    assert_eq!(config.general.internal_name, "NeotelCTI");
    assert_eq!((config.general.width, config.general.height), (620, 420));
    assert_eq!(config.general.mode, CompatibilityMode::Lightning);
    assert_eq!(
        config.options,
        Options::default(),
        "the seed's values are the defaults"
    );
    let o = &config.options;
    assert!(o.search_priority.is_empty());
    assert_eq!(
        o.external_data.pairs()[0],
        ("neoContactId__c".to_owned(), NeotelData::ContactId)
    );
    assert_eq!(o.default_new_row.pairs().len(), 4);
    assert!(
        o.allow_categorization
            && o.allow_click_to_dial_search
            && o.use_task_description
            && o.allow_contact_release
            && o.save_activity_log
    );
    assert_eq!(o.automatic_release, None);
    assert!(!o.allow_text_message);
    assert_eq!(o.campaign_entity, None);
}

fn kinds(xml: &str) -> Vec<(ProblemKind, Option<String>)> {
    check(xml)
        .unwrap_err()
        .into_iter()
        .map(|p| (p.kind, p.item))
        .collect()
}

#[test]
fn a_missing_required_item_is_named() {
    let xml = seed().replace(
        "<item sortOrder=\"3\" name=\"reqUseApi\" label=\"Use CTI API\">true</item>\n",
        "",
    );
    let problems = check(&xml).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.kind == ProblemKind::Missing && p.item.as_deref() == Some("reqUseApi")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.kind == ProblemKind::SortOrder),
        "and the gap it leaves: {problems:?}"
    );
}

#[test]
fn a_gap_in_sort_order_is_reported_with_its_line() {
    let problems = check(&variant(
        "sortOrder=\"6\" name=\"allowContactRelease\"",
        "sortOrder=\"16\" name=\"allowContactRelease\"",
    ))
    .unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].kind, ProblemKind::SortOrder);
    assert_eq!(problems[0].section.as_deref(), Some("neotelConfigOptions"));
    assert!(problems[0].line.is_some());
}

#[test]
fn x_categorize_a_bad_boolean_is_a_value_problem() {
    assert_eq!(
        kinds(&variant("(true/false)\">true<", "(true/false)\">yes<")),
        vec![(ProblemKind::Value, Some("allowCategorization".into()))]
    );
}

#[test]
fn x_external_data_an_unknown_datum_names_the_valid_ones() {
    let problems = check(&variant(
        "neoCrmId__c-crmId</item>",
        "neoCrmId__c-crmIdd</item>",
    ))
    .unwrap_err();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].item.as_deref(), Some("externalData"));
    assert!(
        problems[0].message.contains("\"crmIdd\"") && problems[0].message.contains("callCampaing"),
        "{}",
        problems[0]
    );
}

#[test]
fn an_http_adapter_url_is_refused_for_lightning() {
    assert_eq!(
        kinds(&variant("https://demo.neotel.us", "http://demo.neotel.us")),
        vec![(ProblemKind::Value, Some("reqAdapterUrl".into()))]
    );
}

#[test]
fn a_width_out_of_range_is_refused() {
    assert_eq!(
        kinds(&variant(">620<", ">100<")),
        vec![(ProblemKind::Value, Some("reqSoftphoneWidth".into()))]
    );
    assert_eq!(
        kinds(&variant(">420<", ">9999<")),
        vec![(ProblemKind::Value, Some("reqSoftphoneHeight".into()))]
    );
}

#[test]
fn malformed_xml_gives_line_and_column() {
    let problems = check(&variant("</section>\n<section", "</sectio>\n<section")).unwrap_err();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].kind, ProblemKind::Syntax);
    assert_eq!(problems[0].line, Some(10), "{}", problems[0]);
    assert!(problems[0].column.is_some());
    assert!(
        check("").unwrap_err()[0]
            .message
            .contains("no <callCenter>")
    );
    assert!(
        check("<calls/>").unwrap_err()[0]
            .message
            .contains("root element")
    );
}

#[test]
fn a_self_closing_item_with_a_gt_in_its_label_closes() {
    // `>` may stand in an attribute value; the tag's end is the parser's to find
    let xml = r#"<callCenter><section sortOrder="0" name="s" label="S"><item sortOrder="0" name="a" label="x>y"/><item sortOrder="1" name="b" label="B">v</item></section></callCenter>"#;
    let cc = CallCenter::parse_xml(xml).expect("well-formed");
    let items = &cc.sections[0].items;
    assert_eq!((items.len(), items[0].label.as_str()), (2, "x>y"));
    assert_eq!(
        (items[1].name.as_str(), items[1].value.as_str()),
        ("b", "v")
    );
}

#[test]
fn x_search_priority_duplicates_and_unknown_objects() {
    let problems = check(&variant(
        "label=\"Prioridad de búsqueda\"></item>",
        "label=\"Prioridad de búsqueda\">Contact|Lead|Contact|Case</item>",
    ))
    .unwrap_err();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[1]
            .message
            .contains("valid: Contact, Account, Lead, Opportunity, Company")
    );
}

#[test]
fn reserved_and_malformed_names() {
    let problems = check(&variant(
        "name=\"campaignEntityName\"",
        "name=\"reqSecret\"",
    ))
    .unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.kind == ProblemKind::Name && p.message.contains("reserved")),
        "{problems:?}"
    );
    let problems = check(&variant(
        "name=\"campaignEntityName\"",
        "name=\"campaign-entity\"",
    ))
    .unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.message.contains("letters and digits only")),
        "{problems:?}"
    );
    let problems = check(&variant(
        "name=\"campaignEntityName\"",
        "name=\"somethingElse\"",
    ))
    .unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.message.contains("not an option of the connector")),
        "{problems:?}"
    );
}

#[test]
fn x_auto_release_must_be_seconds_or_minus_one() {
    assert_eq!(
        kinds(&variant(">-1</item>", ">soon</item>")),
        vec![(ProblemKind::Value, Some("automaticContactRelease".into()))]
    );
    assert_eq!(
        check(&variant(">-1</item>", ">45</item>"))
            .unwrap()
            .options
            .automatic_release,
        Some(45)
    );
}

#[test]
fn standby_url_and_timeout_go_together() {
    let xml = variant(
        "<item sortOrder=\"6\"",
        "<item sortOrder=\"7\" name=\"reqStandbyUrl\" label=\"Standby\">https://x/standby</item>\n<item sortOrder=\"6\"",
    );
    let problems = check(&xml).unwrap_err();
    assert!(
        problems.iter().any(|p| p.message.contains("go together")),
        "{problems:?}"
    );
}

#[test]
fn classic_mode_is_refused_by_this_lightning_connector() {
    let problems = check(&variant(">Lightning<", ">Classic<")).unwrap_err();
    assert!(
        problems[0]
            .message
            .contains("Lightning or Classic_and_Lightning")
    );
}

#[test]
fn three_faults_are_three_problems_at_once() {
    let xml = seed()
        .replacen("https://demo", "http://demo", 1)
        .replacen(">620<", ">5000<", 1)
        .replacen("(true/false)\">true<", "(true/false)\">maybe<", 1);
    let problems = check(&xml).unwrap_err();
    assert_eq!(problems.len(), 3, "{problems:#?}");
}

#[test]
fn the_settings_map_salesforce_returns_reads_like_the_file() {
    let cc = CallCenter::parse_xml(&seed()).unwrap();
    let mut map = BTreeMap::new();
    map.insert("/displayNameLabel".to_owned(), "Display Name".to_owned());
    map.insert("/internalNameLabel".to_owned(), "Internal Name".to_owned());
    for s in &cc.sections {
        map.insert(format!("/{}/label", s.name), s.label.clone());
        map.insert(
            format!("/{}/sortOrder", s.name),
            format!("{}.0", s.sort_order),
        );
        for i in &s.items {
            map.insert(format!("/{}/{}", s.name, i.name), i.value.clone());
            // as in Salesforce's example, the two first items come without label and sortOrder
            if i.name != "reqInternalName" && i.name != "reqDisplayName" {
                map.insert(format!("/{}/{}/label", s.name, i.name), i.label.clone());
                map.insert(
                    format!("/{}/{}/sortOrder", s.name, i.name),
                    format!("{}.0", i.sort_order),
                );
            }
        }
    }
    let from_map = CallCenter::from_settings(&map).unwrap();
    assert_eq!(from_map.validate().unwrap(), check(&seed()).unwrap());
    map.insert(
        "/neotelConfigOptions/externalData/sortOrder".into(),
        "one".into(),
    );
    assert!(CallCenter::from_settings(&map).is_err());
}

fn install() -> impl Strategy<Value = Install> {
    let map = prop::collection::vec(
        (
            "[A-Za-z][A-Za-z0-9_]{0,12}",
            prop::sample::select(NeotelData::ALL.to_vec()),
        ),
        0..4,
    )
    .prop_map(|pairs| {
        FieldMap::parse(
            &pairs
                .iter()
                .map(|(f, d)| format!("{f}-{}", d.as_str()))
                .collect::<Vec<_>>()
                .join("|"),
        )
        .unwrap()
    });
    let priority = prop::sample::subsequence(ObjectType::ALL.to_vec(), 0..=5).prop_shuffle();
    (
        (
            "[A-Za-z][A-Za-z0-9]{0,20}",
            "[^<>&]{1,30}",
            "https://[a-z0-9.]{1,20}/[a-z/]{0,10}",
            200u32..=1920,
            240u32..=2560,
        ),
        (
            priority,
            map.clone(),
            map,
            prop::array::uniform7(any::<bool>()),
            prop::option::of(0u32..600),
            prop::option::of("[A-Z][A-Za-z_]{1,12}"),
        ),
        ("[0-9]{0,2}", "[0-9]{0,2}", "[0-9+]{0,3}"),
    )
        .prop_map(
            |(
                (name, display, url, width, height),
                (prio, ext, new_row, flags, release, entity),
                (out, long, intl),
            )| Install {
                internal_name: name,
                display_name: display.trim().to_owned() + "x",
                adapter_url: url,
                width,
                height,
                mode: CompatibilityMode::Lightning,
                standby: None,
                options: Options {
                    search_priority: prio,
                    external_data: ext,
                    default_new_row: new_row,
                    allow_categorization: flags[0],
                    allow_click_to_dial_search: flags[1],
                    use_task_description: flags[2],
                    allow_contact_release: flags[3],
                    automatic_release: release,
                    save_activity_log: flags[4],
                    allow_text_message: flags[5],
                    campaign_entity: if flags[6] {
                        entity.filter(|e| e != "False")
                    } else {
                        None
                    },
                },
                dialing: DialingOptions {
                    outside_prefix: out,
                    long_distance_prefix: long,
                    international_prefix: intl,
                },
            },
        )
}

proptest! {
    #[test]
    fn generate_then_parse_is_the_identity(i in install()) {
        let cc = generate(&i);
        let xml = cc.to_xml();
        let parsed = CallCenter::parse_xml(&xml).map_err(|p| TestCaseError::fail(format!("{p:?}\n{xml}")))?;
        prop_assert_eq!(&parsed, &cc);
        let config = parsed.validate().map_err(|p| TestCaseError::fail(format!("{p:?}\n{xml}")))?;
        prop_assert_eq!(&config.options, &i.options);
        prop_assert_eq!(&config.dialing, &i.dialing);
        prop_assert_eq!(config.general.adapter_url, i.adapter_url);
        prop_assert_eq!((config.general.width, config.general.height), (i.width, i.height));
    }
}

#[test]
fn the_connector_options_read_even_when_a_general_item_is_off() {
    // e.g. the demo's loopback adapter URL on http: Salesforce's concern, not the softphone's
    let cc =
        CallCenter::parse_xml(&variant("https://demo.neotel.us", "http://127.0.0.1:8080")).unwrap();
    assert!(cc.validate().is_err());
    let (options, _) = cc.connector_options().unwrap();
    assert_eq!(options, Options::default());
    let broken =
        CallCenter::parse_xml(&variant("(true/false)\">true<", "(true/false)\">si<")).unwrap();
    assert!(
        broken.connector_options().is_err(),
        "but the connector's own items are still checked"
    );
}
