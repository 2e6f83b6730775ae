//! The connector's options (the `neotelConfigOptions` section, X-* ids), the Neotel data
//! names, the `externalData`/`defaultNewRowData` field maps and the dialing options.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::{Problem, ProblemKind};

/// A Salesforce object the connector searches and pops (`searchTypePriority`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum ObjectType {
    /// `Contact`.
    Contact,
    /// `Account`.
    Account,
    /// `Lead`.
    Lead,
    /// `Opportunity`.
    Opportunity,
    /// `Company`: the seed's name for business accounts; it matches `Account` records.
    Company,
}

impl ObjectType {
    /// Every value, in the seed's order.
    pub const ALL: [Self; 5] = [
        Self::Contact,
        Self::Account,
        Self::Lead,
        Self::Opportunity,
        Self::Company,
    ];

    /// As written in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Contact => "Contact",
            Self::Account => "Account",
            Self::Lead => "Lead",
            Self::Opportunity => "Opportunity",
            Self::Company => "Company",
        }
    }

    /// Whether a Salesforce record of `object_type` (its API name) is of this type.
    pub fn matches(self, object_type: &str) -> bool {
        match self {
            Self::Company => object_type.eq_ignore_ascii_case("Account"),
            other => object_type.eq_ignore_ascii_case(other.as_str()),
        }
    }
}

fn one_of<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str) -> String {
    all.iter().map(|t| name(*t)).collect::<Vec<_>>().join(", ")
}

impl FromStr for ObjectType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!(
                    "unknown object \"{s}\" (valid: {})",
                    one_of(&Self::ALL, Self::as_str)
                )
            })
    }
}

/// A datum Neotel gives the connector, by the name the call center file uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum NeotelData {
    /// `callCampaing` (the seed's spelling): campaign id of the call.
    CallCampaign,
    /// `callDialer`: dialer type.
    CallDialer,
    /// `callId`: Neotel call id.
    CallId,
    /// `callQueue`: queue id.
    CallQueue,
    /// `callReason`: why the contact came (schedule, not processed, …).
    CallReason,
    /// `phoneNumber`: the call's phone number.
    PhoneNumber,
    /// `contactBaseId`: the contact's base.
    ContactBaseId,
    /// `campaignCrmId`: the outbound campaign's CRM.
    CampaignCrmId,
    /// `campaignBaseId`: the outbound campaign's base.
    CampaignBaseId,
    /// `userOutCampaign`: the outbound campaign the user is logged in.
    UserOutCampaign,
    /// `crmId`: the contact's CRM.
    CrmId,
    /// `contactId`: Neotel contact id.
    ContactId,
    /// `crmKey`: the contact's key value (what was searched).
    CrmKey,
    /// `SearchBy`: the Salesforce field the match was found by.
    SearchBy,
    /// `SearchData`: the value of `SearchBy`.
    SearchData,
}

impl NeotelData {
    /// Every datum, in the seed's table order.
    pub const ALL: [Self; 15] = [
        Self::CallCampaign,
        Self::CallDialer,
        Self::CallId,
        Self::CallQueue,
        Self::CallReason,
        Self::PhoneNumber,
        Self::ContactBaseId,
        Self::CampaignCrmId,
        Self::CampaignBaseId,
        Self::UserOutCampaign,
        Self::CrmId,
        Self::ContactId,
        Self::CrmKey,
        Self::SearchBy,
        Self::SearchData,
    ];

    /// The name on the wire (the seed's spelling, `callCampaing` included).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CallCampaign => "callCampaing",
            Self::CallDialer => "callDialer",
            Self::CallId => "callId",
            Self::CallQueue => "callQueue",
            Self::CallReason => "callReason",
            Self::PhoneNumber => "phoneNumber",
            Self::ContactBaseId => "contactBaseId",
            Self::CampaignCrmId => "campaignCrmId",
            Self::CampaignBaseId => "campaignBaseId",
            Self::UserOutCampaign => "userOutCampaign",
            Self::CrmId => "crmId",
            Self::ContactId => "contactId",
            Self::CrmKey => "crmKey",
            Self::SearchBy => "SearchBy",
            Self::SearchData => "SearchData",
        }
    }
}

impl FromStr for NeotelData {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
            // `callCampaign` (the correct spelling) is accepted too: admins will type it.
            .or((s == "callCampaign").then_some(Self::CallCampaign))
            .ok_or_else(|| {
                format!(
                    "unknown Neotel datum \"{s}\" (valid: {})",
                    one_of(&Self::ALL, Self::as_str)
                )
            })
    }
}

impl fmt::Display for NeotelData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The Neotel values of one call, by datum.
pub type NeotelValues = BTreeMap<NeotelData, String>;

/// `sfField-neotelDatum|…`: which Salesforce field takes which Neotel datum
/// (`externalData`, X-EXTERNAL-DATA; `defaultNewRowData`, X-DEFAULT-NEW).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct FieldMap {
    pairs: Vec<(String, NeotelData)>,
}

impl FieldMap {
    /// Reads the syntax; a trailing `|` and empty segments are fine. Salesforce API names and
    /// Neotel names contain no `-`, so a pair with other than one `-` is a problem naming it.
    pub fn parse(text: &str) -> Result<Self, Vec<Problem>> {
        let mut pairs = Vec::new();
        let mut problems = Vec::new();
        for segment in text.split('|').map(str::trim).filter(|s| !s.is_empty()) {
            let parts: Vec<&str> = segment.split('-').collect();
            let [field, datum] = parts.as_slice() else {
                problems.push(Problem::new(
                    ProblemKind::Value,
                    format!("\"{segment}\" is not sfField-neotelDatum (exactly one '-')"),
                ));
                continue;
            };
            let field = field.trim();
            if field.is_empty() || !field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                problems.push(Problem::new(
                    ProblemKind::Value,
                    format!("\"{segment}\": \"{field}\" is not a Salesforce field API name"),
                ));
                continue;
            }
            match datum.parse::<NeotelData>() {
                Ok(d) => pairs.push((field.to_owned(), d)),
                Err(e) => problems.push(Problem::new(
                    ProblemKind::Value,
                    format!("\"{segment}\": {e}"),
                )),
            }
        }
        if problems.is_empty() {
            Ok(Self { pairs })
        } else {
            Err(problems)
        }
    }

    /// `(Salesforce field, Neotel datum)` pairs, in file order.
    pub fn pairs(&self) -> &[(String, NeotelData)] {
        &self.pairs
    }

    /// Whether the map writes nothing.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The Salesforce field values for a call's Neotel values; a field whose datum is
    /// absent is left out (never overwritten with nothing).
    pub fn apply(&self, values: &NeotelValues) -> Map<String, Value> {
        self.pairs
            .iter()
            .filter_map(|(field, datum)| {
                values
                    .get(datum)
                    .map(|v| (field.clone(), Value::String(v.clone())))
            })
            .collect()
    }

    /// Written back in the file's syntax.
    pub fn to_text(&self) -> String {
        self.pairs
            .iter()
            .map(|(f, d)| format!("{f}-{}", d.as_str()))
            .collect::<Vec<_>>()
            .join("|")
    }
}

/// The connector's options: the `neotelConfigOptions` section, typed. `Default` is the seed's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Options {
    /// X-SEARCH-PRIORITY: which object wins when several types match (empty: none).
    pub search_priority: Vec<ObjectType>,
    /// X-EXTERNAL-DATA: fields of the matched record overwritten on every arrival.
    pub external_data: FieldMap,
    /// X-DEFAULT-NEW: defaults of a new record.
    pub default_new_row: FieldMap,
    /// X-CATEGORIZE: category/subcategory screen on release.
    pub allow_categorization: bool,
    /// X-C2D-SEARCH: click-to-dial with no contact held takes the record's Neotel contact.
    pub allow_click_to_dial_search: bool,
    /// X-TASK-DESC: management notes (and manual dials) in the Task's Description.
    pub use_task_description: bool,
    /// X-RELEASE: release without a category.
    pub allow_contact_release: bool,
    /// X-AUTO-RELEASE: release this many seconds after the call ends; `None` = never (-1).
    pub automatic_release: Option<u32>,
    /// X-ACTIVITY: save a Task per call.
    pub save_activity_log: bool,
    /// X-TEXT: SMS / WhatsApp.
    pub allow_text_message: bool,
    /// X-CAMPAIGN-ENTITY: the object to associate the Neotel campaign id with.
    pub campaign_entity: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        let map = |t: &str| FieldMap::parse(t).expect("the seed's field maps are valid");
        Self {
            search_priority: Vec::new(),
            external_data: map(
                "neoContactId__c-contactId|neoBaseId__c-contactBaseId|neoCrmId__c-crmId",
            ),
            default_new_row: map(
                "neoContactId__c-contactId|neoBaseId__c-contactBaseId|neoCrmId__c-crmId|Phone-phoneNumber|",
            ),
            allow_categorization: true,
            allow_click_to_dial_search: true,
            use_task_description: true,
            allow_contact_release: true,
            automatic_release: None,
            save_activity_log: true,
            allow_text_message: false,
            campaign_entity: None,
        }
    }
}

/// The option items, by name in the file.
pub(crate) const OPTION_ITEMS: [&str; 11] = [
    "searchTypePriority",
    "externalData",
    "defaultNewRowData",
    "allowCategorization",
    "allowClickToDialSearch",
    "useTaskDescriptionField",
    "allowContactRelease",
    "automaticContactRelease",
    "saveActivityLog",
    "allowTextMessage",
    "campaignEntityName",
];

/// `true`/`false`, any case.
pub(crate) fn parse_bool(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(format!("\"{other}\" is not true or false")),
    }
}

/// One option item's value into `options`; the message says what is wrong.
pub(crate) fn set_option(
    options: &mut Options,
    item: &str,
    value: &str,
) -> Result<(), Vec<String>> {
    let one = |e: String| vec![e];
    match item {
        "searchTypePriority" => {
            let mut order = Vec::new();
            let mut errors = Vec::new();
            for name in value.split('|').map(str::trim).filter(|s| !s.is_empty()) {
                match name.parse::<ObjectType>() {
                    Ok(t) if order.contains(&t) => {
                        errors.push(format!("{} appears twice", t.as_str()));
                    }
                    Ok(t) => order.push(t),
                    Err(e) => errors.push(e),
                }
            }
            if !errors.is_empty() {
                return Err(errors);
            }
            options.search_priority = order;
        }
        "externalData" => {
            options.external_data = FieldMap::parse(value)
                .map_err(|ps| ps.into_iter().map(|p| p.message).collect::<Vec<_>>())?;
        }
        "defaultNewRowData" => {
            options.default_new_row = FieldMap::parse(value)
                .map_err(|ps| ps.into_iter().map(|p| p.message).collect::<Vec<_>>())?;
        }
        "allowCategorization" => {
            options.allow_categorization = parse_bool(value).map_err(one)?;
        }
        "allowClickToDialSearch" => {
            options.allow_click_to_dial_search = parse_bool(value).map_err(one)?;
        }
        "useTaskDescriptionField" => {
            options.use_task_description = parse_bool(value).map_err(one)?;
        }
        "allowContactRelease" => {
            options.allow_contact_release = parse_bool(value).map_err(one)?;
        }
        "saveActivityLog" => {
            options.save_activity_log = parse_bool(value).map_err(one)?;
        }
        "allowTextMessage" => {
            options.allow_text_message = parse_bool(value).map_err(one)?;
        }
        "automaticContactRelease" => {
            let n: i64 = value.trim().parse().map_err(|_| {
                one(format!(
                    "\"{}\" is not a number of seconds (-1 for never)",
                    value.trim()
                ))
            })?;
            options.automatic_release = match n {
                -1 => None,
                0.. => Some(u32::try_from(n).map_err(|_| one(format!("{n} seconds is too long")))?),
                _ => {
                    return Err(one(format!(
                        "{n} is not a number of seconds (-1 for never)"
                    )));
                }
            };
        }
        "campaignEntityName" => {
            let v = value.trim();
            options.campaign_entity = if v.is_empty() || v.eq_ignore_ascii_case("false") {
                None
            } else if v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                Some(v.to_owned())
            } else {
                return Err(one(format!(
                    "\"{v}\" is not false or a Salesforce object API name"
                )));
            };
        }
        _ => {
            return Err(one(format!(
                "unknown option (known: {})",
                OPTION_ITEMS.join(", ")
            )));
        }
    }
    Ok(())
}

impl Options {
    /// The options as the file's items (name → value), in the seed's order.
    pub fn to_items(&self) -> Vec<(&'static str, String)> {
        let b = |v: bool| v.to_string();
        vec![
            (
                "searchTypePriority",
                self.search_priority
                    .iter()
                    .map(|t| t.as_str())
                    .collect::<Vec<_>>()
                    .join("|"),
            ),
            ("externalData", self.external_data.to_text()),
            ("defaultNewRowData", self.default_new_row.to_text()),
            ("allowCategorization", b(self.allow_categorization)),
            ("allowClickToDialSearch", b(self.allow_click_to_dial_search)),
            ("useTaskDescriptionField", b(self.use_task_description)),
            ("allowContactRelease", b(self.allow_contact_release)),
            (
                "automaticContactRelease",
                self.automatic_release
                    .map_or_else(|| "-1".to_owned(), |s| s.to_string()),
            ),
            ("saveActivityLog", b(self.save_activity_log)),
            ("allowTextMessage", b(self.allow_text_message)),
            (
                "campaignEntityName",
                self.campaign_entity
                    .clone()
                    .unwrap_or_else(|| "false".into()),
            ),
        ]
    }
}

/// The call center's dialing options (`reqDialingOptions`), applied before `Dial`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DialingOptions {
    /// `reqOutsidePrefix`: dialed first to get an outside line.
    pub outside_prefix: String,
    /// `reqLongDistPrefix`.
    pub long_distance_prefix: String,
    /// `reqInternationalPrefix`: replaces a leading `+`.
    pub international_prefix: String,
}

/// A phone number that cannot be dialed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialError {
    /// Nothing to dial.
    #[error("\"{0}\" has no digits to dial")]
    NoDigits(String),
}

/// W-CLICK2DIAL: a Salesforce phone (free text: `(011) 4555-1234`, `+54 9 11 …`) as the
/// number to `Dial`: digits kept (and `*`/`#`), a leading `+` turned into the international
/// prefix, the outside prefix first.
pub fn normalize_number(raw: &str, dialing: &DialingOptions) -> Result<String, DialError> {
    let trimmed = raw.trim();
    let digits: String = trimmed
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '*' || *c == '#')
        .collect();
    if !digits.chars().any(|c| c.is_ascii_digit()) {
        return Err(DialError::NoDigits(raw.to_owned()));
    }
    let number = if trimmed.starts_with('+') {
        format!("{}{digits}", dialing.international_prefix)
    } else {
        digits
    };
    Ok(format!("{}{number}", dialing.outside_prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x_external_data_reads_the_seeds_syntax_with_a_trailing_bar() {
        let m = FieldMap::parse("neoContactId__c-contactId|neoBaseId__c-contactBaseId|neoCrmId__c-crmId|Phone-phoneNumber|").unwrap();
        assert_eq!(m.pairs().len(), 4);
        assert_eq!(m.pairs()[3], ("Phone".into(), NeotelData::PhoneNumber));
        let values: NeotelValues = [
            (NeotelData::ContactId, "5".to_owned()),
            (NeotelData::PhoneNumber, "1144445555".to_owned()),
        ]
        .into();
        let out = m.apply(&values);
        assert_eq!(out.len(), 2, "absent data are left out: {out:?}");
        assert_eq!(out["neoContactId__c"], "5");
        assert_eq!(out["Phone"], "1144445555");
    }

    #[test]
    fn x_default_new_a_pair_with_other_than_one_dash_is_named() {
        let problems = FieldMap::parse("Phone-phoneNumber|a-b-c|Name|X-nope").unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].message.contains("\"a-b-c\""));
        assert!(problems[1].message.contains("\"Name\""));
        assert!(
            problems[2]
                .message
                .contains("unknown Neotel datum \"nope\"")
                && problems[2].message.contains("callCampaing")
        );
    }

    #[test]
    fn neotel_data_keep_the_seeds_spelling_on_the_wire() {
        assert_eq!(NeotelData::CallCampaign.as_str(), "callCampaing");
        assert_eq!(
            "callCampaing".parse::<NeotelData>().unwrap(),
            NeotelData::CallCampaign
        );
        assert_eq!(
            "SearchBy".parse::<NeotelData>().unwrap(),
            NeotelData::SearchBy
        );
        for d in NeotelData::ALL {
            assert_eq!(d.as_str().parse::<NeotelData>().unwrap(), d);
        }
    }

    #[test]
    fn x_search_priority_is_an_ordered_set() {
        let mut o = Options::default();
        set_option(&mut o, "searchTypePriority", "Lead|contact|Account").unwrap();
        assert_eq!(
            o.search_priority,
            vec![ObjectType::Lead, ObjectType::Contact, ObjectType::Account]
        );
        let errors = set_option(&mut o, "searchTypePriority", "Lead|Lead|Case").unwrap_err();
        assert_eq!(errors.len(), 2);
        assert!(errors[1].contains("valid: Contact, Account, Lead, Opportunity, Company"));
        assert!(ObjectType::Company.matches("Account"));
    }

    #[test]
    fn x_auto_release_and_booleans_and_campaign_entity() {
        let mut o = Options::default();
        set_option(&mut o, "automaticContactRelease", "30").unwrap();
        assert_eq!(o.automatic_release, Some(30));
        set_option(&mut o, "automaticContactRelease", "-1").unwrap();
        assert_eq!(o.automatic_release, None);
        assert!(set_option(&mut o, "automaticContactRelease", "-5").is_err());
        set_option(&mut o, "allowTextMessage", "TRUE").unwrap();
        assert!(o.allow_text_message);
        assert!(set_option(&mut o, "saveActivityLog", "yes").is_err());
        set_option(&mut o, "campaignEntityName", "Campaign").unwrap();
        assert_eq!(o.campaign_entity.as_deref(), Some("Campaign"));
        set_option(&mut o, "campaignEntityName", "false").unwrap();
        assert_eq!(o.campaign_entity, None);
    }

    #[test]
    fn w_click2dial_numbers_keep_digits_and_apply_prefixes() {
        let plain = DialingOptions::default();
        assert_eq!(
            normalize_number("(011) 4555-1234", &plain).unwrap(),
            "01145551234"
        );
        let opts = DialingOptions {
            outside_prefix: "0".into(),
            long_distance_prefix: String::new(),
            international_prefix: "00".into(),
        };
        assert_eq!(
            normalize_number("+54 9 11 6000-1000", &opts).unwrap(),
            "0005491160001000"
        );
        assert_eq!(normalize_number("4555-1234", &opts).unwrap(), "045551234");
        assert!(matches!(
            normalize_number("n/a", &opts),
            Err(DialError::NoDigits(_))
        ));
        assert!(normalize_number("", &plain).is_err());
    }
}
