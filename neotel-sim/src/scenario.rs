//! What a simulated Neotel install holds: users, devices, campaigns, queues, CRM bases,
//! break states, categories and the per-install task mapping. One JSON file, shared with
//! the Salesforce stand-in (its `salesforce` object, which the platform ignores).

use serde::{Deserialize, Serialize};

/// The shipped default scenario, as the raw JSON text (the stand-in serves it too).
pub const DEFAULT_SCENARIO_JSON: &str = include_str!("../scenarios/default.json");

/// A whole simulated install.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Scenario {
    /// Platform-wide behaviour.
    #[serde(default)]
    pub settings: Settings,
    /// Users (agents and supervisors) with their `CLAVE`.
    pub users: Vec<User>,
    /// Positions (Asterisk peers) agents may log in on, e.g. `SIP/1001`.
    pub devices: Vec<String>,
    /// Outbound campaigns with their dialer type.
    pub campaigns: Vec<Campaign>,
    /// Inbound queues.
    #[serde(default)]
    pub queues: Vec<Queue>,
    /// Break ("descanso") states, custom ones included.
    pub breaks: Vec<BreakState>,
    /// Categories and their subcategories, per CRM.
    #[serde(default)]
    pub categories: Vec<Category>,
    /// The CRM bases' contacts.
    #[serde(default)]
    pub contacts: Vec<ContactRecord>,
    /// Which `ExecuteTaskNN` id does what.
    #[serde(default)]
    pub tasks: TaskMapping,
    /// The Salesforce side of the dataset (read by the stand-in; opaque here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salesforce: Option<serde_json::Value>,
}

/// Platform-wide behaviour of the simulator.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Settings {
    /// `"52"` (current) or `"44"` (older installs) keys in `Position`.
    pub position_layout: PositionLayout,
    /// How dates are written in `Position`.
    pub date_culture: DateCulture,
    /// API licenses: logins beyond this answer `No more API licenses.`
    pub licenses: usize,
    /// The `SERVER` value of `Position`.
    pub server: String,
    /// After the agent's phone starts ringing, it answers by itself after this long
    /// (a SIP softphone on auto-answer); `0` waits for `/sim/agents/{user}/answer`.
    #[serde(alias = "auto_answer_ms")]
    pub agent_answer_ms: u64,
    /// After the platform dials a customer (manual, preview, transfers), the customer
    /// answers after this long; `0` waits for `/sim/calls/{id}/answer`.
    pub customer_answer_ms: u64,
    /// The consulted party of an attended transfer answers after this long.
    pub consult_answer_ms: u64,
    /// What the agent's phone dials to reach a campaign's transfer phone `N` (`*12` + N).
    pub transfer_phone_prefix: String,
    /// The Neotel server's time zone (IANA name, e.g. `America/Argentina/Buenos_Aires`) for
    /// the server's real clock; absent: the machine's local time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// The journal keeps at least this many of the latest calls (`0`: all of them).
    pub journal_limit: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            position_layout: PositionLayout::Current,
            date_culture: DateCulture::EsAr12h,
            licenses: 50,
            server: "NEO1".into(),
            agent_answer_ms: 1500,
            customer_answer_ms: 4000,
            consult_answer_ms: 3000,
            transfer_phone_prefix: "*12".into(),
            time_zone: None,
            journal_limit: 100_000,
        }
    }
}

/// Which `Position` layout the platform emits.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
pub enum PositionLayout {
    /// The 52-key layout of current installs (2014 on).
    #[default]
    #[serde(rename = "52")]
    Current,
    /// The 44-key layout of older installs.
    #[serde(rename = "44")]
    Older,
}

/// The server culture `Position` dates follow.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
pub enum DateCulture {
    /// `28/05/2019 02:30:34 p.m.` (es-AR, 12-hour).
    #[default]
    #[serde(rename = "es-AR-12h")]
    EsAr12h,
    /// `12/08/2021 13:59:09` (24-hour).
    #[serde(rename = "24h")]
    H24,
}

/// A platform user.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct User {
    /// `USUARIO`.
    pub user: String,
    /// `CLAVE`.
    pub password: String,
    /// Display name.
    pub name: String,
    /// Supervisors may monitor.
    #[serde(default)]
    pub supervisor: bool,
}

/// How a campaign's dialer reaches customers.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum Dialer {
    /// The customer is reached first, then handed to the agent.
    Predictive,
    /// The agent gets the contact first; the customer is dialed after.
    Preview,
    /// Like preview, paced by the platform.
    Progressive,
    /// The agent dials by hand.
    Manual,
}

impl Dialer {
    /// As written in `Position`'s `SAL_TIPO_DISCADOR`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Predictive => "Predictive",
            Self::Preview => "Preview",
            Self::Progressive => "Progressive",
            Self::Manual => "Manual",
        }
    }
}

/// An outbound campaign.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Campaign {
    /// `CAMPAÑA` id.
    pub id: i64,
    /// Name, e.g. "SALESFORCE".
    pub name: String,
    /// Dialer type.
    pub dialer: Dialer,
    /// The CRM the campaign's base belongs to.
    pub crm: i64,
    /// The base ("database") the dialer takes contacts from.
    pub base: i64,
    /// Whether calls are recorded.
    #[serde(default)]
    pub record: bool,
    /// External transfer phones configured on the campaign (Callcenter → Campañas → Telefonía).
    #[serde(default)]
    pub transfer_phones: Vec<TransferPhone>,
}

/// One external transfer phone of a campaign.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TransferPhone {
    /// The number.
    pub phone: String,
    /// What it is.
    pub label: String,
}

/// An inbound queue; its calls run `CONTACTO_INSERT_SALESFORCE` on `base`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Queue {
    /// `COLA` id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// CRM of the base.
    pub crm: i64,
    /// Where unknown callers are inserted (the seed's `IDDATABASE`).
    pub base: i64,
    /// The number customers dial (`DNIS`).
    #[serde(default)]
    pub dnis: String,
}

/// A break state (`SUBTIPO_DESCANSO`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BreakState {
    /// Subtype id.
    pub id: i64,
    /// Name, e.g. "Almuerzo".
    pub name: String,
}

/// A category of a CRM with its subcategories (`SUBCATEGORIA` ids).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Category {
    /// The CRM it belongs to.
    pub crm: i64,
    /// Category id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Its subcategories.
    pub subcategories: Vec<Subcategory>,
}

/// A subcategory: what `UpdateContact`'s `SUBCATEGORIA` names.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Subcategory {
    /// `SUBCATEGORIA` id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Whether this disposition asks for a schedule.
    #[serde(default)]
    pub schedules: bool,
}

/// A contact of a CRM base.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ContactRecord {
    /// `BASE`.
    pub base: i64,
    /// `IDCONTACTO`.
    pub id: i64,
    /// The key field (`Clave_1`): the Salesforce record Id in this integration.
    pub clave_1: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Phones to dial, first first.
    #[serde(default)]
    pub phones: Vec<String>,
}

/// Which `ExecuteTaskNN` id (`idTask`) does what in this install.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct TaskMapping {
    /// `(name[, id])` → `{"Table":[…]}`: `breaks`, `campaigns`, `queues`, `users`,
    /// `transferPhones` + campaign id, `categories` + CRM id.
    pub lists: i64,
    /// `(supervisor, user, listen|assist)` → text.
    pub monitor_start: i64,
    /// `(supervisor)` → text.
    pub monitor_stop: i64,
    /// `(user, phone, sms|whatsapp, text)` → text.
    pub send_text: i64,
    /// `(crm, clave_1)` → `{"Table":[{"BASE","IDCONTACTO","DATA"}]}`, empty when none.
    pub find_contact: i64,
    /// `(base, idcontacto)` → the contact's last outcome, `{"Table":[{"IDSUBCATEGORIA",
    /// "XML_UPDATE","AGENDA","FECHA_AGENDA","FECHA"}]}` (dates `yyyy-MM-ddTHH:mm:ss`, Neotel's
    /// time), empty when it has none: how a client tells whether an `UpdateContact` whose
    /// answer was lost was applied (NeoApi has no way to ask).
    pub contact_outcome: i64,
}

impl Default for TaskMapping {
    fn default() -> Self {
        Self {
            lists: 1,
            monitor_start: 2,
            monitor_stop: 3,
            send_text: 5,
            find_contact: 6,
            contact_outcome: 7,
        }
    }
}

/// A scenario that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// Not JSON of the scenario's shape.
    #[error("scenario is not valid: {0}")]
    Json(#[from] serde_json::Error),
    /// JSON of the right shape that contradicts itself.
    #[error("scenario is inconsistent: {0}")]
    Inconsistent(String),
}

impl Scenario {
    /// The shipped default scenario (agents 1001..1010, campaigns 97/98/99, queue 200, …).
    pub fn default_scenario() -> Self {
        Self::from_json(DEFAULT_SCENARIO_JSON)
            .expect("the shipped default scenario is valid (tested)")
    }

    /// The Neotel server's time zone, when the scenario names one (checked on load).
    pub fn time_zone(&self) -> Option<chrono_tz::Tz> {
        self.settings
            .time_zone
            .as_deref()
            .and_then(|z| z.parse().ok())
    }

    /// Reads and checks a scenario.
    pub fn from_json(text: &str) -> Result<Self, ScenarioError> {
        let scenario: Self = serde_json::from_str(text)?;
        scenario.check()?;
        Ok(scenario)
    }

    fn check(&self) -> Result<(), ScenarioError> {
        let bad = |what: String| Err(ScenarioError::Inconsistent(what));
        let mut seen = std::collections::BTreeSet::new();
        for c in &self.contacts {
            if !seen.insert((c.base, c.id)) {
                return bad(format!("contact {} appears twice in base {}", c.id, c.base));
            }
        }
        for u in &self.users {
            if u.user.is_empty() {
                return bad("a user has an empty USUARIO".into());
            }
        }
        if let Some(zone) = &self.settings.time_zone {
            zone.parse::<chrono_tz::Tz>()
                .map_err(|_| ScenarioError::Inconsistent(format!("unknown time zone {zone}")))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_scenario_is_what_the_demo_promises() {
        let s = Scenario::default_scenario();
        assert!(
            s.users
                .iter()
                .any(|u| u.user == "1001" && u.password == "1001")
        );
        assert!(s.users.iter().any(|u| u.user == "9000" && u.supervisor));
        assert!(s.devices.iter().any(|d| d == "SIP/1010"));
        let c97 = s.campaigns.iter().find(|c| c.id == 97).unwrap();
        assert_eq!(
            (c97.name.as_str(), c97.dialer, c97.crm, c97.base),
            ("SALESFORCE", Dialer::Predictive, 4, 134)
        );
        assert_eq!(
            s.campaigns.iter().find(|c| c.id == 98).unwrap().dialer,
            Dialer::Preview
        );
        assert_eq!(
            s.campaigns.iter().find(|c| c.id == 99).unwrap().dialer,
            Dialer::Manual
        );
        assert_eq!(s.queues.iter().find(|q| q.id == 200).unwrap().base, 135);
        let breaks: Vec<i64> = s.breaks.iter().map(|b| b.id).collect();
        for id in [1, 2, 3, 4, 8, 12] {
            assert!(breaks.contains(&id), "break {id}");
        }
        assert!(breaks.len() > 6, "a custom break state");
        assert!(
            s.categories
                .iter()
                .flat_map(|c| &c.subcategories)
                .any(|s| s.schedules)
        );
        assert!(s.contacts.len() >= 30);
        // every contact's key is the Id of a Salesforce record of the same file
        let records = s.salesforce.as_ref().unwrap()["records"]
            .as_array()
            .unwrap();
        for c in &s.contacts {
            assert!(
                records.iter().any(|r| r["Id"] == c.clave_1.as_str()),
                "{}",
                c.clave_1
            );
        }
    }

    #[test]
    fn a_malformed_scenario_is_a_clear_error() {
        let err = Scenario::from_json("{\"users\": 3}").unwrap_err();
        assert!(err.to_string().contains("scenario is not valid"), "{err}");
        let mut s = Scenario::default_scenario();
        s.settings.time_zone = Some("Mars/Olympus".into());
        let text = serde_json::to_string(&s).unwrap();
        let err = Scenario::from_json(&text).unwrap_err();
        assert!(
            err.to_string().contains("unknown time zone Mars/Olympus"),
            "{err}"
        );
    }

    #[test]
    fn auto_answer_ms_names_the_agent_answer_delay() {
        let mut v: serde_json::Value = serde_json::from_str(DEFAULT_SCENARIO_JSON).unwrap();
        v["settings"] =
            serde_json::json!({"auto_answer_ms": 0, "time_zone": "America/Argentina/Buenos_Aires"});
        let s = Scenario::from_json(&v.to_string()).unwrap();
        assert_eq!(s.settings.agent_answer_ms, 0);
        assert_eq!(
            s.time_zone(),
            Some(chrono_tz::America::Argentina::Buenos_Aires)
        );
        assert_eq!(
            s.settings.customer_answer_ms,
            Settings::default().customer_answer_ms
        );
    }
}
