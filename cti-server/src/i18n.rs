//! The words: one catalog per language (`web/softphone/i18n/{language}.json`), shared with the
//! page, which words the core's messages, the server's error codes and its own labels from the
//! same file. The server words messages for its logs and for integrators (English). Adding a
//! language is one new catalog.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use cti_core::Message;

/// Where the catalogs live among the embedded web files.
const DIR: &str = "softphone/i18n";

/// Every catalog, by language code, read once from the embedded files.
static CATALOGS: LazyLock<BTreeMap<String, BTreeMap<String, String>>> = LazyLock::new(|| {
    crate::assets::files_in(DIR)
        .filter_map(|(name, bytes)| {
            let language = name.strip_suffix(".json")?;
            // A catalog that does not parse is caught by the tests; at run time it is skipped.
            let words = serde_json::from_slice(bytes).ok()?;
            Some((language.to_owned(), words))
        })
        .collect()
});

/// Every catalog as JSON, by language, shared (the Lightning components of every Salesforce
/// Voice session are sent the agent's).
static CATALOGS_JSON: LazyLock<
    std::sync::Arc<BTreeMap<String, std::sync::Arc<serde_json::Value>>>,
> = LazyLock::new(|| {
    std::sync::Arc::new(
        CATALOGS
            .iter()
            .map(|(language, words)| {
                let json = serde_json::to_value(words).unwrap_or_default();
                (language.clone(), std::sync::Arc::new(json))
            })
            .collect(),
    )
});

/// Every catalog as JSON, by language.
#[must_use]
pub fn catalogs_json() -> std::sync::Arc<BTreeMap<String, std::sync::Arc<serde_json::Value>>> {
    CATALOGS_JSON.clone()
}

/// The languages there is a catalog for (`en`, `es`).
#[must_use]
pub fn languages() -> Vec<String> {
    CATALOGS.keys().cloned().collect()
}

/// The catalog of `language`, key by key.
#[must_use]
pub fn catalog(language: &str) -> Option<&'static BTreeMap<String, String>> {
    CATALOGS.get(language)
}

/// `message` in `language` (its code when the catalog lacks it), parameters filled in.
#[must_use]
pub fn render(language: &str, message: &Message) -> String {
    let key = format!("msg.{}", message.code.as_str());
    let Some(template) = catalog(language).and_then(|c| c.get(&key)) else {
        return message.to_string();
    };
    let mut text = template.clone();
    for (name, value) in &message.params {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use cti_core::Code;

    #[test]
    fn a_message_is_worded_with_its_parameters() {
        let m = Message::new(Code::NoSyncRecord).with("id", 42);
        assert!(
            render("es", &m).contains("neoSyncId__c 42"),
            "{}",
            render("es", &m)
        );
        assert!(render("en", &m).starts_with("No record has neoSyncId__c 42"));
        assert_eq!(render("xx", &m), "noSyncRecord id=42");
    }
}
