//! Open CTI's answers, read: `getCallCenterSettings`'s flat map, `getSoftphoneLayout`'s pop
//! settings, `searchAndScreenPop`'s matches, and the records `runApex` returns.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use sf_callcenter::{
    CallCenter, DialingOptions, Options, PopRule, PopRules, Problem, SearchMatch, SoftphoneLayout,
};

/// A search result or layout that is not of Salesforce's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeError(pub String);

impl std::fmt::Display for ShapeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ShapeError {}

/// `getCallCenterSettings`' map (`/section/item` → text): the connector's options and dialing
/// prefixes, or every problem of the definition (only the connector's sections are read:
/// Salesforce already accepted the rest).
pub(crate) fn settings(value: &Value) -> Result<(Options, DialingOptions), Vec<Problem>> {
    let map: BTreeMap<String, String> = value
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    CallCenter::from_settings(&map).and_then(|cc| cc.connector_options())
}

/// Reads `searchAndScreenPop`'s `returnValue`: an object keyed by record Id, each with `Id`,
/// `Name`, `RecordType` (or the older `object`/`displayName`); `SCREEN_POP_DATA` is skipped.
///
/// # Errors
/// [`ShapeError`] for an answer not of that shape.
pub fn parse_search_result(value: &Value) -> Result<Vec<SearchMatch>, ShapeError> {
    let Some(map) = value.as_object() else {
        return match value {
            Value::Null => Ok(Vec::new()),
            _ => Err(ShapeError(format!(
                "a search result is an object keyed by record Id, not {value}"
            ))),
        };
    };
    let mut out = Vec::new();
    for (key, entry) in map {
        if key == "SCREEN_POP_DATA" {
            continue;
        }
        let text = |k: &str| entry.get(k).and_then(Value::as_str).map(str::to_owned);
        let object_type = text("RecordType")
            .or_else(|| text("object"))
            .ok_or_else(|| ShapeError(format!("search result {key} has no RecordType")))?;
        let name = text("Name")
            .or_else(|| text("displayName"))
            .unwrap_or_default();
        let id = text("Id").unwrap_or_else(|| key.clone());
        out.push(SearchMatch {
            id,
            object_type,
            name,
        });
    }
    Ok(out)
}

/// Reads `getSoftphoneLayout`'s `{Inbound: {screenPopSettings: {NoMatch: {screenPopType,
/// screenPopData}, …}}, …}`; a missing setting is `DoNotPop`.
///
/// # Errors
/// [`ShapeError`] for a layout not of that shape, or naming an unknown pop type.
pub fn layout_from_json(v: &Value) -> Result<SoftphoneLayout, ShapeError> {
    if !v.is_object() {
        return Err(ShapeError(format!(
            "a softphone layout is an object, not {v}"
        )));
    }
    let rules = |call: &str| -> Result<PopRules, ShapeError> {
        let settings = &v[call]["screenPopSettings"];
        let rule = |case: &str| -> Result<PopRule, ShapeError> {
            let s = &settings[case];
            let data = s["screenPopData"].as_str().unwrap_or_default().to_owned();
            Ok(match s["screenPopType"].as_str() {
                None | Some("DoNotPop") => PopRule::DoNotPop,
                Some("PopToEntity") if data.is_empty() && case == "NoMatch" => {
                    return Err(ShapeError(format!(
                        "{call}/{case}: PopToEntity names no object"
                    )));
                }
                Some("PopToEntity") => PopRule::PopToEntity(data),
                Some("PopToSearch") => PopRule::PopToSearch,
                Some("PopToVisualforce") => PopRule::PopToVisualforce(data),
                Some("PopToFlow") => PopRule::PopToFlow(data),
                Some(other) => {
                    return Err(ShapeError(format!(
                        "{call}/{case}: unknown screenPopType {other}"
                    )));
                }
            })
        };
        Ok(PopRules {
            no_match: rule("NoMatch")?,
            single_match: rule("SingleMatch")?,
            multiple_matches: rule("MultipleMatches")?,
        })
    };
    Ok(SoftphoneLayout::new(
        rules("Inbound")?,
        rules("Outbound")?,
        rules("Internal")?,
    ))
}

/// The records a `runApex` of `NeotelDataRetrieval` answered (`{"runApex": "[{…}]"}`, the
/// list as JSON text or as JSON).
#[must_use]
pub fn apex_records(v: &Value) -> Vec<Map<String, Value>> {
    let list = match &v["runApex"] {
        Value::String(s) => serde_json::from_str::<Value>(s).unwrap_or_default(),
        other => other.clone(),
    };
    list.as_array()
        .map(|rows| rows.iter().filter_map(|r| r.as_object().cloned()).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn w_screenpop_search_results_strip_screen_pop_data() {
        let v = json!({
            "003A": {"Id": "003A", "Name": "María", "RecordType": "Contact"},
            "001B": {"object": "Account", "displayName": "Grupo Andino"},
            "SCREEN_POP_DATA": {"type": "sobject", "params": {"recordId": "003A"}}
        });
        let found = parse_search_result(&v).unwrap();
        assert_eq!(found.len(), 2);
        assert!(found.contains(&SearchMatch {
            id: "001B".into(),
            object_type: "Account".into(),
            name: "Grupo Andino".into()
        }));
        assert!(parse_search_result(&json!([1])).is_err());
        assert_eq!(parse_search_result(&Value::Null).unwrap(), vec![]);
    }

    #[test]
    fn layouts_that_are_not_salesforces_shape_are_errors() {
        assert!(layout_from_json(&json!("x")).is_err());
        let bad =
            json!({"Inbound": {"screenPopSettings": {"NoMatch": {"screenPopType": "Teleport"}}}});
        assert!(layout_from_json(&bad).unwrap_err().0.contains("Teleport"));
    }

    #[test]
    fn a_layout_reads_each_call_types_rules() {
        let pop = json!({
            "NoMatch": {"screenPopType": "PopToEntity", "screenPopData": "Contact"},
            "SingleMatch": {"screenPopType": "PopToEntity"},
            "MultipleMatches": {"screenPopType": "PopToSearch"}
        });
        let layout = layout_from_json(
            &json!({"Inbound": {"screenPopSettings": pop}, "Outbound": {}, "Internal": {}}),
        )
        .unwrap();
        let inbound = layout.rules(sf_callcenter::CallType::Inbound);
        assert_eq!(inbound.no_match, PopRule::PopToEntity("Contact".into()));
        assert_eq!(inbound.multiple_matches, PopRule::PopToSearch);
        assert_eq!(
            layout.rules(sf_callcenter::CallType::Outbound),
            &PopRules::default()
        );
    }

    #[test]
    fn apex_records_come_as_text_or_as_json() {
        let text = json!({"runApex": "[{\"Id\":\"003A\"}]"});
        let list = json!({"runApex": [{"Id": "003A"}]});
        assert_eq!(apex_records(&text), apex_records(&list));
        assert_eq!(apex_records(&text)[0]["Id"], "003A");
        assert!(apex_records(&json!({"runApex": "not json"})).is_empty());
    }
}
