//! Which record wins (W-SCREENPOP, W-PRIVATE): the matches of a Salesforce search, the
//! softphone layout the admin chose, and `searchTypePriority`, decide what to pop.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::options::ObjectType;

/// Direction of a call, as Salesforce names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CallType {
    /// A customer called in.
    Inbound,
    /// The platform or the agent called out.
    Outbound,
    /// Between platform users.
    Internal,
}

/// One record a search found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchMatch {
    /// Record Id.
    pub id: String,
    /// Object API name (`Contact`, `Account`, …).
    pub object_type: String,
    /// Display name.
    pub name: String,
}

/// What to do for one case (no match, one match, several matches).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum PopRule {
    /// Nothing.
    DoNotPop,
    /// No match: a new record of this object. One match: its detail page.
    PopToEntity(String),
    /// The search page.
    PopToSearch,
    /// A Visualforce page (Lightning ignores it: treated as nothing).
    PopToVisualforce(String),
    /// A flow (treated as nothing by this connector).
    PopToFlow(String),
}

/// The three rules of one call type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PopRules {
    /// No record found.
    pub no_match: PopRule,
    /// Exactly one record found.
    pub single_match: PopRule,
    /// Several records found.
    pub multiple_matches: PopRule,
}

impl Default for PopRules {
    fn default() -> Self {
        Self {
            no_match: PopRule::DoNotPop,
            single_match: PopRule::DoNotPop,
            multiple_matches: PopRule::DoNotPop,
        }
    }
}

/// The record pop rules for each call type (W-SCREENPOP): what the admin chose in the softphone
/// layout (Open CTI), or in the configuration (Salesforce Voice). Only what screen pops need.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct SoftphoneLayout {
    inbound: PopRules,
    outbound: PopRules,
    internal: PopRules,
}

impl SoftphoneLayout {
    /// The rules for each call type (the surface's own format is its adapter's to read).
    #[must_use]
    pub fn new(inbound: PopRules, outbound: PopRules, internal: PopRules) -> Self {
        Self {
            inbound,
            outbound,
            internal,
        }
    }

    /// A layout with the same rules for every call type.
    pub fn uniform(rules: PopRules) -> Self {
        Self {
            inbound: rules.clone(),
            outbound: rules.clone(),
            internal: rules,
        }
    }

    /// The rules for a call type.
    pub fn rules(&self, t: CallType) -> &PopRules {
        match t {
            CallType::Inbound => &self.inbound,
            CallType::Outbound => &self.outbound,
            CallType::Internal => &self.internal,
        }
    }
}

/// What to pop.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", tag = "pop")]
pub enum ScreenPop {
    /// Nothing.
    Nothing,
    /// A record's detail page.
    Record {
        /// Record Id.
        id: String,
        /// Its object.
        #[serde(rename = "objectType")]
        object_type: String,
    },
    /// The new-record modal of an object, pre-filled.
    NewRecord {
        /// The object.
        #[serde(rename = "objectType")]
        object_type: String,
        /// Pre-filled values (`defaultNewRowData` and `neoSyncId__c`).
        fields: Map<String, Value>,
    },
    /// The search page.
    SearchPage {
        /// What to search.
        search: String,
    },
    /// Several records and no rule to choose: the agent picks one in the softphone.
    AgentPicks(Vec<SearchMatch>),
}

/// W-SCREENPOP. Same-type multiple matches follow the layout; with `priority` set, matches of
/// several types resolve to the first type in that order that has matches (one record of it:
/// pop it; several: the layout's multiple-matches rule).
pub fn decide_screen_pop(
    matches: &[SearchMatch],
    layout: &SoftphoneLayout,
    call_type: CallType,
    priority: &[ObjectType],
    search: &str,
    new_record_fields: &Map<String, Value>,
) -> ScreenPop {
    let rules = layout.rules(call_type);
    match matches {
        [] => pop_without_search(layout, call_type, new_record_fields),
        [one] => match &rules.single_match {
            PopRule::DoNotPop | PopRule::PopToVisualforce(_) | PopRule::PopToFlow(_) => {
                ScreenPop::Nothing
            }
            // Any other rule for a single match means its detail page.
            _ => ScreenPop::Record {
                id: one.id.clone(),
                object_type: one.object_type.clone(),
            },
        },
        several => {
            let mixed = several
                .iter()
                .any(|m| m.object_type != several[0].object_type);
            let winners: Vec<&SearchMatch> = if mixed {
                priority
                    .iter()
                    .map(|t| {
                        several
                            .iter()
                            .filter(|m| t.matches(&m.object_type))
                            .collect::<Vec<_>>()
                    })
                    .find(|w| !w.is_empty())
                    .unwrap_or_default()
            } else {
                Vec::new()
            };
            match winners.as_slice() {
                [one] => ScreenPop::Record {
                    id: one.id.clone(),
                    object_type: one.object_type.clone(),
                },
                _ => match &rules.multiple_matches {
                    PopRule::PopToSearch => ScreenPop::SearchPage {
                        search: search.to_owned(),
                    },
                    // The seed's layouts only offer search or nothing; the connector lets the agent pick
                    // rather than drop a call's record when the layout asks for "nothing".
                    _ => ScreenPop::AgentPicks(if winners.is_empty() {
                        several.to_vec()
                    } else {
                        winners.into_iter().cloned().collect()
                    }),
                },
            }
        }
    }
}

/// W-PRIVATE (and no match): the layout's no-match rule, without searching.
pub fn pop_without_search(
    layout: &SoftphoneLayout,
    call_type: CallType,
    new_record_fields: &Map<String, Value>,
) -> ScreenPop {
    match &layout.rules(call_type).no_match {
        PopRule::PopToEntity(object) => ScreenPop::NewRecord {
            object_type: object.clone(),
            fields: new_record_fields.clone(),
        },
        PopRule::PopToSearch => ScreenPop::SearchPage {
            search: String::new(),
        },
        _ => ScreenPop::Nothing,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn m(id: &str, t: &str) -> SearchMatch {
        SearchMatch {
            id: id.into(),
            object_type: t.into(),
            name: format!("{t} {id}"),
        }
    }

    /// The same rules inbound and outbound, none for internal calls.
    fn layout(
        no_match: PopRule,
        single_match: PopRule,
        multiple_matches: PopRule,
    ) -> SoftphoneLayout {
        let rules = PopRules {
            no_match,
            single_match,
            multiple_matches,
        };
        SoftphoneLayout::new(rules.clone(), rules, PopRules::default())
    }

    /// What pops for a call from `114`, with no defaults for a new record.
    fn pop(
        matches: &[SearchMatch],
        layout: &SoftphoneLayout,
        call_type: CallType,
        priority: &[ObjectType],
    ) -> ScreenPop {
        decide_screen_pop(matches, layout, call_type, priority, "114", &Map::new())
    }

    /// Salesforce's search page for `114`.
    fn search_114() -> ScreenPop {
        ScreenPop::SearchPage {
            search: "114".into(),
        }
    }

    fn recommended() -> SoftphoneLayout {
        layout(
            PopRule::PopToEntity("Contact".into()),
            PopRule::PopToEntity(String::new()),
            PopRule::PopToSearch,
        )
    }

    #[test]
    fn w_screenpop_one_match_pops_its_detail_page_or_nothing() {
        let one = [m("003A", "Contact")];
        assert_eq!(
            pop(&one, &recommended(), CallType::Outbound, &[]),
            ScreenPop::Record {
                id: "003A".into(),
                object_type: "Contact".into()
            }
        );
        let quiet = layout(PopRule::DoNotPop, PopRule::DoNotPop, PopRule::DoNotPop);
        assert_eq!(
            pop(&one, &quiet, CallType::Outbound, &[]),
            ScreenPop::Nothing
        );
    }

    #[test]
    fn w_screenpop_no_match_opens_a_new_record_with_defaults() {
        let mut fields = Map::new();
        fields.insert("neoSyncId__c".into(), json!("900000000000000001"));
        let pop = decide_screen_pop(&[], &recommended(), CallType::Inbound, &[], "114", &fields);
        assert_eq!(
            pop,
            ScreenPop::NewRecord {
                object_type: "Contact".into(),
                fields: fields.clone()
            }
        );
        assert_eq!(
            decide_screen_pop(
                &[],
                &SoftphoneLayout::default(),
                CallType::Inbound,
                &[],
                "114",
                &fields
            ),
            ScreenPop::Nothing
        );
    }

    #[test]
    fn w_screenpop_same_type_several_matches_follow_the_layout() {
        let two = [m("003A", "Contact"), m("003B", "Contact")];
        let contact = [ObjectType::Contact];
        assert_eq!(
            pop(&two, &recommended(), CallType::Inbound, &contact),
            search_114()
        );
        let nothing = layout(PopRule::DoNotPop, PopRule::DoNotPop, PopRule::DoNotPop);
        assert_eq!(
            pop(&two, &nothing, CallType::Inbound, &[]),
            ScreenPop::AgentPicks(two.to_vec())
        );
    }

    #[test]
    fn x_search_priority_resolves_mixed_types_in_order() {
        let mixed = [
            m("001A", "Account"),
            m("003A", "Contact"),
            m("00QA", "Lead"),
        ];
        let l = recommended();
        let pick = |prio: &[ObjectType]| pop(&mixed, &l, CallType::Inbound, prio);
        assert_eq!(
            pick(&[ObjectType::Contact, ObjectType::Account]),
            ScreenPop::Record {
                id: "003A".into(),
                object_type: "Contact".into()
            }
        );
        assert_eq!(
            pick(&[ObjectType::Opportunity, ObjectType::Lead]),
            ScreenPop::Record {
                id: "00QA".into(),
                object_type: "Lead".into()
            }
        );
        assert_eq!(
            pick(&[ObjectType::Company]),
            ScreenPop::Record {
                id: "001A".into(),
                object_type: "Account".into()
            }
        );
        // the seed: an empty priority → several matches follow the layout
        assert_eq!(pick(&[]), search_114());
        // several of the winning type → the layout's multiple-matches rule
        let two_contacts = [
            m("003A", "Contact"),
            m("003B", "Contact"),
            m("001A", "Account"),
        ];
        assert_eq!(
            pop(&two_contacts, &l, CallType::Inbound, &[ObjectType::Contact]),
            search_114()
        );
    }

    #[test]
    fn w_private_follows_the_no_match_rule_without_searching() {
        let fields = Map::new();
        assert!(matches!(
            pop_without_search(&recommended(), CallType::Inbound, &fields),
            ScreenPop::NewRecord { .. }
        ));
        let search = layout(PopRule::PopToSearch, PopRule::DoNotPop, PopRule::DoNotPop);
        assert_eq!(
            pop_without_search(&search, CallType::Inbound, &fields),
            ScreenPop::SearchPage {
                search: String::new()
            }
        );
        assert_eq!(
            pop_without_search(&SoftphoneLayout::default(), CallType::Inbound, &fields),
            ScreenPop::Nothing
        );
    }
}
