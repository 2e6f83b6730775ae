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
