//! The catalogs (`web/softphone/i18n/*.json`) word everything: every code the core can say,
//! every `error` code of the protocol, every label the page uses; and every catalog has the
//! same keys, so adding a language is one new file that this test checks.

use std::collections::BTreeSet;

use cti_server::i18n;
use cti_server::protocol::ErrorCode;
use strum::IntoEnumIterator as _;

const PAGE: &[&str] = &[
    include_str!("../web/softphone/index.html"),
    include_str!("../web/softphone/app.js"),
];

/// The page's own labels: `data-t="x"`, `data-t-label="x"` and `t('x')`.
fn page_keys() -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for text in PAGE {
        for marker in ["data-t=\"", "data-t-label=\"", "t('"] {
            for piece in text.split(marker).skip(1) {
                let key: String = piece
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !key.is_empty() {
                    keys.insert(format!("ui.{key}"));
                }
            }
        }
    }
    keys
}

#[test]
fn every_catalog_words_every_code_and_label() {
    let languages = i18n::languages();
    assert!(
        languages.contains(&"es".to_owned()) && languages.contains(&"en".to_owned()),
        "{languages:?}"
    );
    let mut needed: BTreeSet<String> = cti_core::Code::all()
        .map(|c| format!("msg.{}", c.as_str()))
        .collect();
    for code in ErrorCode::iter() {
        let name = serde_json::to_value(code).unwrap();
        needed.insert(format!("error.{}", name.as_str().unwrap()));
    }
    needed.extend(page_keys());
    needed.insert("language.name".into());
    let first = i18n::catalog(&languages[0]).expect("a catalog");
    for language in &languages {
        let catalog = i18n::catalog(language).expect("it parses as a flat map of texts");
        let missing: Vec<&String> = needed
            .iter()
            .filter(|k| !catalog.contains_key(*k))
            .collect();
        assert!(missing.is_empty(), "{language}.json lacks {missing:?}");
        let keys: BTreeSet<&String> = catalog.keys().collect();
        let others: BTreeSet<&String> = first.keys().collect();
        assert_eq!(
            keys, others,
            "{language}.json and {}.json differ",
            languages[0]
        );
        assert!(
            catalog.values().all(|v| !v.trim().is_empty()),
            "{language}.json has an empty text"
        );
    }
}

#[test]
fn a_parameter_in_the_words_is_one_the_code_gives() {
    // Every `{name}` in a text must be filled: no catalog may name a parameter its code lacks.
    for language in i18n::languages() {
        let catalog = i18n::catalog(&language).unwrap();
        for (key, text) in catalog.iter().filter(|(k, _)| k.starts_with("msg.")) {
            for piece in text.split('{').skip(1) {
                let name = piece.split('}').next().unwrap_or_default();
                assert!(
                    name.chars().all(|c| c.is_ascii_alphabetic()) && !name.is_empty(),
                    "{language}: {key} names a strange parameter {{{name}}}"
                );
            }
        }
    }
}

/// The Salesforce Voice package's Custom Labels (`salesforce/voice-app/.../labels/`): a refusal
/// reaches Salesforce as a `CustomError` naming `Neotel_<code>` (sf-voice), so the package has
/// a label for every code and for the adapter's own refusals (`voice.*`), worded as the
/// catalogs word them: English the label's value, Spanish its translation. The files are made
/// from the catalogs; `BLESS_LABELS=1` writes them again after a catalog changed.
#[test]
fn the_voice_package_has_a_custom_label_for_every_refusal() {
    let package = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../salesforce/voice-app/main/default"
    );
    let labels_path = format!("{package}/labels/CustomLabels.labels-meta.xml");
    let spanish_path = format!("{package}/translations/es.translation-meta.xml");
    let (en, es) = (
        i18n::catalog("en").expect("English"),
        i18n::catalog("es").expect("Spanish"),
    );
    // Label name, catalog key.
    let mut names: Vec<(String, String)> = cti_core::Code::all()
        .map(|c| {
            (
                format!("Neotel_{}", c.as_str()),
                format!("msg.{}", c.as_str()),
            )
        })
        .collect();
    for key in en.keys().filter_map(|k| k.strip_prefix("voice.")) {
        let mut label = String::from("Neotel_");
        label.push_str(&key[..1].to_ascii_uppercase());
        label.push_str(&key[1..]);
        names.push((label, format!("voice.{key}")));
    }
    // A label has no parameters: the worded message rides beside it in the CustomError.
    let plain = |text: &str| {
        let mut out = String::new();
        let mut rest = text;
        while let Some((before, after)) = rest.split_once('{') {
            out.push_str(before);
            out.push('…');
            rest = after.split_once('}').map_or("", |(_, a)| a);
        }
        out.push_str(rest);
        quick_xml::escape::escape(out).into_owned()
    };
    let mut labels = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <CustomLabels xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n",
    );
    let mut spanish = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <Translations xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n",
    );
    for (name, key) in &names {
        labels.push_str(&format!(
            "    <labels>\n        <fullName>{name}</fullName>\n        \
             <categories>Neotel</categories>\n        <language>en_US</language>\n        \
             <protected>false</protected>\n        <shortDescription>{name}</shortDescription>\n        \
             <value>{}</value>\n    </labels>\n",
            plain(&en[key])
        ));
        spanish.push_str(&format!(
            "    <customLabels>\n        <label>{}</label>\n        <name>{name}</name>\n    \
             </customLabels>\n",
            plain(&es[key])
        ));
    }
    labels.push_str("</CustomLabels>\n");
    spanish.push_str("</Translations>\n");
    if std::env::var_os("BLESS_LABELS").is_some() {
        for (path, text) in [(&labels_path, &labels), (&spanish_path, &spanish)] {
            let dir = std::path::Path::new(path).parent().expect("a folder");
            std::fs::create_dir_all(dir).expect("the folder");
            std::fs::write(path, text).expect("written");
        }
    }
    for (path, text) in [(&labels_path, &labels), (&spanish_path, &spanish)] {
        let shipped = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            shipped == *text,
            "{path} is not made from the catalogs: run BLESS_LABELS=1 cargo test -p cti-server \
             --test catalogs"
        );
    }
}
