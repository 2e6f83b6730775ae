//! The call center definition, through `sf-callcenter`: generating it for this server, checking a
//! file, and the options fallback used when Salesforce does not send its settings.

use std::fmt::Write as _;

use sf_callcenter::{CallCenter, CompatibilityMode, Install, Item, OPTIONS_SECTION};

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

    fn fallback_problems(config: &Config) -> Vec<String> {
        fallback(config).unwrap_err()
    }
}
