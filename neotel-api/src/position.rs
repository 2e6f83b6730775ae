//! The `Position` string: the user's state snapshot, and the agent state derived from it.
//!
//! Wire form: `KEY=VALUE|KEY=VALUE|…|` with a trailing `|`, no escaping, each item split
//! on its **first** `=` (the IVR data in `CLAVE` holds `=`), keys possibly with `Ñ`,
//! values possibly empty. Two layouts exist (52 keys, current; 44 keys, older), so
//! everything is read by key and unknown keys are kept in order.
//!
//! [`Position::parse`] checks every value it knows the type of (numbers and dates), so
//! the typed accessors cannot fail afterwards.

use std::fmt;
use std::str::FromStr;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

use crate::error::excerpt;

/// Why a `Position` string was refused. Each variant names the key (and value) at fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PositionError {
    /// An item between two `|` has no `=`.
    #[error("Position item {item:?} is not KEY=VALUE")]
    NotKeyValue {
        /// The item (cut to 80 characters).
        item: String,
    },
    /// A key the agent state rule needs is absent.
    #[error("Position has no {key} key")]
    MissingKey {
        /// The missing key.
        key: &'static str,
    },
    /// A numeric key holds something else.
    #[error("Position key {key} is {value:?}, not a whole number")]
    NotANumber {
        /// The key.
        key: &'static str,
        /// Its value (cut to 80 characters).
        value: String,
    },
    /// A date key holds something that is neither `dd/MM/yyyy hh:mm:ss a.m.|p.m.` nor `dd/MM/yyyy HH:mm:ss`.
    #[error("Position key {key} is {value:?}, not a dd/MM/yyyy hh:mm:ss date")]
    NotADate {
        /// The key.
        key: &'static str,
        /// Its value (cut to 80 characters).
        value: String,
    },
}

/// The dialer↔CRM handshake state (`ESTADO_CRM`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CrmState {
    /// `Available`: the CRM is free, the dialer may deliver the next contact.
    Available,
    /// `GetContact`: the dialer delivered a contact; the CRM must show it and call `CRM_ShowingContact`.
    GetContact,
    /// `ShowingContact`: the CRM acknowledged it shows the contact.
    ShowingContact,
    /// `Unavailable`: set by `CRM_Unavailable`.
    Unavailable,
    /// Any other value, kept as sent.
    Other(String),
}

impl CrmState {
    /// Reads an `ESTADO_CRM` value (known names match regardless of case).
    #[must_use]
    pub fn parse(value: &str) -> Self {
        let v = value.trim();
        if v.eq_ignore_ascii_case("Available") {
            Self::Available
        } else if v.eq_ignore_ascii_case("GetContact") {
            Self::GetContact
        } else if v.eq_ignore_ascii_case("ShowingContact") {
            Self::ShowingContact
        } else if v.eq_ignore_ascii_case("Unavailable") {
            Self::Unavailable
        } else {
            Self::Other(value.to_owned())
        }
    }

    /// The wire value.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Available => "Available",
            Self::GetContact => "GetContact",
            Self::ShowingContact => "ShowingContact",
            Self::Unavailable => "Unavailable",
            Self::Other(v) => v,
        }
    }
}

/// The dial mode of the outbound campaign the user is in (`SAL_TIPO_DISCADOR`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DialerType {
    /// `NotSet`: no campaign.
    NotSet,
    /// `Manual`: the agent dials.
    Manual,
    /// `Predictive`: the customer is reached first, then the agent's phone rings.
    Predictive,
    /// `Preview`: the agent sees the contact before the call is placed.
    Preview,
    /// `Progressive`: like preview, dialed automatically once the agent is free.
    Progressive,
    /// Any other value, kept as sent.
    Other(String),
}

impl DialerType {
    /// Reads a `SAL_TIPO_DISCADOR` value (known names match regardless of case; empty is `NotSet`).
    #[must_use]
    pub fn parse(value: &str) -> Self {
        let v = value.trim();
        if v.is_empty() || v.eq_ignore_ascii_case("NotSet") {
            Self::NotSet
        } else if v.eq_ignore_ascii_case("Manual") {
            Self::Manual
        } else if v.eq_ignore_ascii_case("Predictive") {
            Self::Predictive
        } else if v.eq_ignore_ascii_case("Preview") {
            Self::Preview
        } else if v.eq_ignore_ascii_case("Progressive") {
            Self::Progressive
        } else {
            Self::Other(value.to_owned())
        }
    }

    /// The wire value.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::NotSet => "NotSet",
            Self::Manual => "Manual",
            Self::Predictive => "Predictive",
            Self::Preview => "Preview",
            Self::Progressive => "Progressive",
            Self::Other(v) => v,
        }
    }
}

/// Direction of the current call (`DIRECCION`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Direction {
    /// `ENTRANTE`.
    Inbound,
    /// `SALIENTE`.
    Outbound,
    /// Any other non-empty value, kept as sent.
    Other(String),
}

/// The contact the dialer named in a `Position` (`CRM`, `BASE`, `IDCONTACTO`, `DATA`):
/// what `CRM_ShowingContact` and `UpdateContact` send back.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ContactRef {
    /// `CRM`: the CRM id (`-1` is seen in the field; meaning unknown).
    pub crm: i64,
    /// `BASE`: the contact base.
    pub base: i64,
    /// `IDCONTACTO`: the contact within the base.
    pub id: i64,
    /// `DATA`: the integrator's key (`Clave_1`, e.g. a Salesforce Id).
    pub data: String,
}

/// The timestamps a `Position` carries, by meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PositionDate {
    /// `INICIO_LOGIN` (older layout: `TIEMPO_LOGIN`): when the user logged in.
    Login,
    /// `INICIO_LOGIN_CAMPAÑA`: when the user joined the outbound campaign.
    CampaignLogin,
    /// `RINGING`: when the agent's phone started ringing.
    Ringing,
    /// `DIALING`: when dialing started.
    Dialing,
    /// `AGENT`: when the call was bridged to the agent.
    Agent,
    /// `TIEMPO_LLAMADA`: start of the current (or last) call state.
    CallState,
    /// `INICIO_DESCANSO`: when the break started.
    BreakStart,
    /// `TIEMPO_DESCANSO`: break time.
    BreakTime,
    /// `INICIO_CRM`: when `ESTADO_CRM` took its value.
    CrmState,
}

impl PositionDate {
    const ALL: [Self; 9] = [
        Self::Login,
        Self::CampaignLogin,
        Self::Ringing,
        Self::Dialing,
        Self::Agent,
        Self::CallState,
        Self::BreakStart,
        Self::BreakTime,
        Self::CrmState,
    ];

    /// The key in the current layout.
    #[must_use]
    pub const fn key(self) -> &'static str {
        match self {
            Self::Login => "INICIO_LOGIN",
            Self::CampaignLogin => "INICIO_LOGIN_CAMPAÑA",
            Self::Ringing => "RINGING",
            Self::Dialing => "DIALING",
            Self::Agent => "AGENT",
            Self::CallState => "TIEMPO_LLAMADA",
            Self::BreakStart => "INICIO_DESCANSO",
            Self::BreakTime => "TIEMPO_DESCANSO",
            Self::CrmState => "INICIO_CRM",
        }
    }

    /// The key the older 44-key layout uses instead, if any.
    const fn older_key(self) -> Option<&'static str> {
        match self {
            Self::Login => Some("TIEMPO_LOGIN"),
            _ => None,
        }
    }
}

/// The typed values, checked once at parse time.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Typed {
    outbound_campaign: i64,
    break_subtype: i64,
    crm_state: CrmState,
    call_id: i64,
    call_id_last: i64,
    campaign: i64,
    campaign_last: i64,
    queue: i64,
    queue_last: i64,
    crm: i64,
    base: i64,
    contact_id: i64,
    conference: Option<i64>,
    schedule_id: Option<i64>,
    outbound_crm: i64,
    outbound_base: i64,
    port: Option<i64>,
    dialer_type: DialerType,
    dates: [Option<NaiveDateTime>; PositionDate::ALL.len()],
}

/// A parsed `Position` reply.
///
/// Built only by [`Position::parse`] (or `str::parse`), which checks the numbers and
/// dates it knows, so the accessors below never fail. String accessors return `""`
/// for an absent key; use [`Position::get`] to tell absent from empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    fields: Fields,
    typed: Typed,
}

/// The items of a `Position`, as spans of one string (one allocation, not two per key).
#[derive(Clone, PartialEq, Eq)]
struct Fields {
    text: String,
    spans: Vec<Span>,
}

/// Where one item's key (trimmed) and value sit in the text.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Span {
    key: std::ops::Range<usize>,
    value: std::ops::Range<usize>,
}

impl Fields {
    fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.spans
            .iter()
            .map(|s| (&self.text[s.key.clone()], &self.text[s.value.clone()]))
    }

    fn len(&self) -> usize {
        self.spans.len()
    }
}

impl fmt::Debug for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Position {
    /// Parses a `Position` string (the text inside `<string>`), checking every known
    /// numeric and date value. Fails naming the key when a value is malformed or when a
    /// key the agent state rule needs (`SAL_CAMPAÑA_DEFAULT`, `SUBTIPO_DESCANSO`,
    /// `ESTADO_CRM`, `IDLLAMADA`) is absent.
    pub fn parse(text: &str) -> Result<Self, PositionError> {
        let text = text.trim();
        let mut spans = Vec::with_capacity(52);
        let mut start = 0;
        for item in text.split('|') {
            let end = start + item.len();
            if !item.is_empty() {
                // an empty item is the trailing '|'
                let Some(eq) = item.find('=') else {
                    return Err(PositionError::NotKeyValue {
                        item: excerpt(item),
                    });
                };
                let key = &item[..eq];
                let key_start = start + (key.len() - key.trim_start().len());
                let key_end = (start + key.trim_end().len()).max(key_start);
                spans.push(Span {
                    key: key_start..key_end,
                    value: start + eq + 1..end,
                });
            }
            start = end + 1;
        }
        let fields = Fields {
            text: text.to_owned(),
            spans,
        };
        let typed = Typed::read(&fields)?;
        Ok(Self { fields, typed })
    }

    /// The raw value of a key, `None` when absent. A key with `Ñ` also matches its
    /// `N` spelling (some installs and proxies fold it).
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        lookup(&self.fields, key)
    }

    /// Every `(key, value)` in the order sent, unknown keys included.
    pub fn fields(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.fields.iter()
    }

    /// How many keys were sent (52 in the current layout, 44 in the older one).
    #[must_use]
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether no key was sent (never true for a parsed `Position`).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.fields.len() == 0
    }

    fn text(&self, key: &str) -> &str {
        self.get(key).unwrap_or("")
    }

    /// `DEVICE`: the position (Asterisk peer) the user is logged on, e.g. `SIP/6000`.
    #[must_use]
    pub fn device(&self) -> &str {
        self.text("DEVICE")
    }

    /// `USUARIO`: the agent.
    #[must_use]
    pub fn user(&self) -> &str {
        self.text("USUARIO")
    }

    /// `STATUS`: `OK` when the position is usable (SIP phone registered).
    #[must_use]
    pub fn status(&self) -> &str {
        self.text("STATUS")
    }

    /// `SERVER`: the Neotel node.
    #[must_use]
    pub fn server(&self) -> &str {
        self.text("SERVER")
    }

    /// `IP`: the SIP phone's address (`0.0.0.0` when not registered).
    #[must_use]
    pub fn ip(&self) -> &str {
        self.text("IP")
    }

    /// `PORT`: the SIP phone's port (`0` when not registered).
    #[must_use]
    pub fn port(&self) -> Option<i64> {
        self.typed.port
    }

    /// `CHANNEL`: the agent's current Asterisk channel.
    #[must_use]
    pub fn channel(&self) -> &str {
        self.text("CHANNEL")
    }

    /// `SAL_CAMPAÑA_DEFAULT`: the outbound campaign the user is logged into (`None` for 0).
    #[must_use]
    pub fn outbound_campaign(&self) -> Option<i64> {
        non_zero(self.typed.outbound_campaign)
    }

    /// `SUBTIPO_DESCANSO`: the break state id while paused (`None` for 0).
    #[must_use]
    pub fn break_subtype(&self) -> Option<i64> {
        non_zero(self.typed.break_subtype)
    }

    /// `ESTADO_CRM`.
    #[must_use]
    pub fn crm_state(&self) -> &CrmState {
        &self.typed.crm_state
    }

    /// `SUB_ESTADO`: the call leg state (`AGENT` once bridged to the agent).
    #[must_use]
    pub fn sub_state(&self) -> &str {
        self.text("SUB_ESTADO")
    }

    /// Whether the call is bridged to the agent (`SUB_ESTADO=AGENT`).
    #[must_use]
    pub fn is_bridged(&self) -> bool {
        self.sub_state().trim().eq_ignore_ascii_case("AGENT")
    }

    /// `IDLLAMADA`: the current call (`None` for 0: no call).
    #[must_use]
    pub fn call_id(&self) -> Option<i64> {
        non_zero(self.typed.call_id)
    }

    /// `IDLLAMADA_ULT`: the last call (`None` for 0).
    #[must_use]
    pub fn call_id_last(&self) -> Option<i64> {
        non_zero(self.typed.call_id_last)
    }

    /// `CAMPAÑA`: the campaign of the current call (`None` for 0).
    #[must_use]
    pub fn campaign(&self) -> Option<i64> {
        non_zero(self.typed.campaign)
    }

    /// `CAMPAÑA_ULT`: the campaign of the last call (`None` for 0).
    #[must_use]
    pub fn campaign_last(&self) -> Option<i64> {
        non_zero(self.typed.campaign_last)
    }

    /// `COLA`: the inbound queue of the current call (`None` for 0).
    #[must_use]
    pub fn queue(&self) -> Option<i64> {
        non_zero(self.typed.queue)
    }

    /// `COLA_ULT`: the queue of the last call (`None` for 0).
    #[must_use]
    pub fn queue_last(&self) -> Option<i64> {
        non_zero(self.typed.queue_last)
    }

    /// `ANI`: the calling number of an inbound call.
    #[must_use]
    pub fn ani(&self) -> &str {
        self.text("ANI")
    }

    /// `DNIS`: the called number of an inbound call.
    #[must_use]
    pub fn dnis(&self) -> &str {
        self.text("DNIS")
    }

    /// `TELEFONO`: the number dialed on an outbound call.
    #[must_use]
    pub fn phone(&self) -> &str {
        self.text("TELEFONO")
    }

    /// `ANI_TELEFONO_ULT`: the remote number of the last call.
    #[must_use]
    pub fn phone_last(&self) -> &str {
        self.text("ANI_TELEFONO_ULT")
    }

    /// The customer's number: `TELEFONO` on an outbound call, `ANI` on an inbound one.
    #[must_use]
    pub fn customer_phone(&self) -> &str {
        match self.direction() {
            Some(Direction::Inbound) => self.ani(),
            _ if self.phone().is_empty() => self.ani(),
            _ => self.phone(),
        }
    }

    /// `TIPO_LLAMADA`: `NotSet`, `Manual`, `OriginateExt` (a dialer call), …
    #[must_use]
    pub fn call_type(&self) -> &str {
        self.text("TIPO_LLAMADA")
    }

    /// `ORIGEN_LLAMADA`: the call's reason/classification.
    #[must_use]
    pub fn origin(&self) -> &str {
        self.text("ORIGEN_LLAMADA")
    }

    /// `DIRECCION`: `None` when empty.
    #[must_use]
    pub fn direction(&self) -> Option<Direction> {
        let v = self.text("DIRECCION").trim();
        if v.is_empty() {
            None
        } else if v.eq_ignore_ascii_case("ENTRANTE") {
            Some(Direction::Inbound)
        } else if v.eq_ignore_ascii_case("SALIENTE") {
            Some(Direction::Outbound)
        } else {
            Some(Direction::Other(v.to_owned()))
        }
    }

    /// `CRM`.
    #[must_use]
    pub fn crm(&self) -> i64 {
        self.typed.crm
    }

    /// `BASE`: the contact base of the delivered contact.
    #[must_use]
    pub fn base(&self) -> i64 {
        self.typed.base
    }

    /// `IDCONTACTO`: the delivered contact (0 when none).
    #[must_use]
    pub fn contact_id(&self) -> i64 {
        self.typed.contact_id
    }

    /// `DATA`: the delivered contact's key (`Clave_1`; inbound: the `CLAVESF`).
    #[must_use]
    pub fn data(&self) -> &str {
        self.text("DATA")
    }

    /// The delivered contact, when `IDCONTACTO` is not 0.
    #[must_use]
    pub fn contact(&self) -> Option<ContactRef> {
        (self.typed.contact_id != 0).then(|| ContactRef {
            crm: self.typed.crm,
            base: self.typed.base,
            id: self.typed.contact_id,
            data: self.data().to_owned(),
        })
    }

    /// `CLAVE`: data keyed in the IVR (e.g. `RUT=6007453;ANI=223126917;DV=4;`). Not a password.
    #[must_use]
    pub fn clave(&self) -> &str {
        self.text("CLAVE")
    }

    /// `IDAGENDA`: the schedule (callback) this call comes from, if any.
    #[must_use]
    pub fn schedule_id(&self) -> Option<i64> {
        self.typed.schedule_id.and_then(non_zero)
    }

    /// `CONFERENCIA`: the conference the agent is in (`None` when empty or 0).
    #[must_use]
    pub fn conference(&self) -> Option<i64> {
        self.typed.conference.and_then(non_zero)
    }

    /// `GRABANDO=SI`: the call is being recorded.
    #[must_use]
    pub fn is_recording(&self) -> bool {
        self.text("GRABANDO").trim().eq_ignore_ascii_case("SI")
    }

    /// `GRABACION`: the recording's file name, when not empty.
    #[must_use]
    pub fn recording_file(&self) -> Option<&str> {
        Some(self.text("GRABACION")).filter(|f| !f.is_empty())
    }

    /// `SAL_TIPO_DISCADOR`: the dial mode of the outbound campaign.
    #[must_use]
    pub fn dialer_type(&self) -> &DialerType {
        &self.typed.dialer_type
    }

    /// `SAL_CRM`: the CRM of the outbound campaign.
    #[must_use]
    pub fn outbound_crm(&self) -> i64 {
        self.typed.outbound_crm
    }

    /// `SAL_BASE`: the contact base of the outbound campaign.
    #[must_use]
    pub fn outbound_base(&self) -> i64 {
        self.typed.outbound_base
    }

    /// `CANALES_ASOCIADOS`: the call's other legs, each sent prefixed by `¦¦`.
    pub fn associated_channels(&self) -> impl Iterator<Item = &str> {
        self.text("CANALES_ASOCIADOS")
            .split("\u{a6}\u{a6}")
            .map(str::trim)
            .filter(|c| !c.is_empty())
    }

    /// A timestamp (Neotel server local time); `None` when absent or unset (`01/01/2000 …`, `01/01/0001 …`).
    #[must_use]
    pub fn date(&self, which: PositionDate) -> Option<NaiveDateTime> {
        self.typed.dates[which as usize]
    }

    /// The agent state, by [`AgentState::of`].
    #[must_use]
    pub fn agent_state(&self) -> AgentState {
        AgentState::of(self)
    }
}

impl FromStr for Position {
    type Err = PositionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

/// The wire form: `KEY=VALUE|…|`.
impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, v) in self.fields.iter() {
            write!(f, "{k}={v}|")?;
        }
        Ok(())
    }
}

/// Serialized as a map of the keys in the order sent.
impl Serialize for Position {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.fields.len()))?;
        for (k, v) in self.fields.iter() {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl Typed {
    fn read(fields: &Fields) -> Result<Self, PositionError> {
        let required = |key: &'static str| -> Result<i64, PositionError> {
            lookup(fields, key).ok_or(PositionError::MissingKey { key })?;
            Ok(int(fields, key)?.unwrap_or(0))
        };
        let zero = |key: &'static str| -> Result<i64, PositionError> {
            Ok(int(fields, key)?.unwrap_or(0))
        };
        let crm_state =
            lookup(fields, "ESTADO_CRM").ok_or(PositionError::MissingKey { key: "ESTADO_CRM" })?;
        let mut dates = [None; PositionDate::ALL.len()];
        for which in PositionDate::ALL {
            dates[which as usize] = date(fields, which.key())?;
            if let (None, Some(older)) = (dates[which as usize], which.older_key()) {
                dates[which as usize] = date(fields, older)?;
            }
        }
        Ok(Self {
            outbound_campaign: required("SAL_CAMPAÑA_DEFAULT")?,
            break_subtype: required("SUBTIPO_DESCANSO")?,
            crm_state: CrmState::parse(crm_state),
            call_id: required("IDLLAMADA")?,
            call_id_last: zero("IDLLAMADA_ULT")?,
            campaign: zero("CAMPAÑA")?,
            campaign_last: zero("CAMPAÑA_ULT")?,
            queue: zero("COLA")?,
            queue_last: zero("COLA_ULT")?,
            crm: zero("CRM")?,
            base: zero("BASE")?,
            contact_id: zero("IDCONTACTO")?,
            conference: int(fields, "CONFERENCIA")?,
            schedule_id: int(fields, "IDAGENDA")?,
            outbound_crm: zero("SAL_CRM")?,
            outbound_base: zero("SAL_BASE")?,
            port: int(fields, "PORT")?,
            dialer_type: DialerType::parse(lookup(fields, "SAL_TIPO_DISCADOR").unwrap_or("")),
            dates,
        })
    }
}

fn lookup<'a>(fields: &'a Fields, key: &str) -> Option<&'a str> {
    let find = |k: &str| fields.iter().find(|(name, _)| *name == k).map(|(_, v)| v);
    find(key).or_else(|| {
        key.contains('Ñ')
            .then(|| find(&key.replace('Ñ', "N")))
            .flatten()
    })
}

/// A numeric key: `None` when absent or empty.
fn int(fields: &Fields, key: &'static str) -> Result<Option<i64>, PositionError> {
    match lookup(fields, key).map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| PositionError::NotANumber {
            key,
            value: excerpt(v),
        }),
    }
}

/// A date key: `None` when absent, empty or a sentinel.
fn date(fields: &Fields, key: &'static str) -> Result<Option<NaiveDateTime>, PositionError> {
    match lookup(fields, key) {
        None => Ok(None),
        Some(v) => parse_date(v).map_err(|()| PositionError::NotADate {
            key,
            value: excerpt(v),
        }),
    }
}

fn non_zero(v: i64) -> Option<i64> {
    (v != 0).then_some(v)
}

/// Parses a Neotel date in either server culture: `dd/MM/yyyy hh:mm:ss a.m.|p.m.`
/// (es-AR; `AM`/`PM` and spaced `a. m.` too) or `dd/MM/yyyy HH:mm:ss`.
/// Empty text and the sentinels `01/01/2000 …` / `01/01/0001 …` give `Ok(None)`.
#[allow(clippy::result_unit_err)] // the caller names the key; there is nothing else to say
pub fn parse_date(text: &str) -> Result<Option<NaiveDateTime>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let (date, rest) = text.split_once(char::is_whitespace).ok_or(())?;
    let rest = rest.trim_start();
    let (time, marker) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));

    let mut dmy = date.split('/').map(|p| p.parse::<u32>().map_err(|_| ()));
    let (Some(d), Some(m), Some(y), None) = (dmy.next(), dmy.next(), dmy.next(), dmy.next()) else {
        return Err(());
    };
    let (d, m, y) = (d?, m?, i32::try_from(y?).map_err(|_| ())?);
    if (d, m) == (1, 1) && (y == 2000 || y == 1) {
        return Ok(None);
    }
    let date = NaiveDate::from_ymd_opt(y, m, d).ok_or(())?;

    let mut hms = time.split(':').map(|p| p.parse::<u32>().map_err(|_| ()));
    let (Some(h), Some(min), Some(s), None) = (hms.next(), hms.next(), hms.next(), hms.next())
    else {
        return Err(());
    };
    let (h, min, s) = (h?, min?, s?);
    let marker: String = marker
        .chars()
        .filter(|c| c.is_alphabetic())
        .flat_map(char::to_lowercase)
        .collect();
    let h = match marker.as_str() {
        "" if h < 24 => h,
        "am" if (1..=12).contains(&h) => h % 12,
        "pm" if (1..=12).contains(&h) => h % 12 + 12,
        _ => return Err(()),
    };
    let time = NaiveTime::from_hms_opt(h, min, s).ok_or(())?;
    Ok(Some(date.and_time(time)))
}

/// How a Neotel server writes its dates (its .NET culture).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DateCulture {
    /// `28/05/2019 02:30:34 p.m.` (es-AR and similar).
    Spanish12h,
    /// `12/08/2021 13:59:09`.
    TwentyFourHour,
}

/// Writes a date as a Neotel server of that culture would; `None` writes the
/// `01/01/2000 12:00:00 a.m.` sentinel (in that culture).
#[must_use]
pub fn format_date(at: Option<NaiveDateTime>, culture: DateCulture) -> String {
    let at = at.unwrap_or_else(|| {
        NaiveDate::from_ymd_opt(2000, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .expect("2000-01-01 00:00:00 is a valid date")
    });
    match culture {
        DateCulture::TwentyFourHour => at.format("%d/%m/%Y %H:%M:%S").to_string(),
        DateCulture::Spanish12h => {
            let marker = if at.hour() < 12 { "a.m." } else { "p.m." };
            format!("{} {marker}", at.format("%d/%m/%Y %I:%M:%S"))
        }
    }
}

/// What the agent is doing, derived from one `Position`.
///
/// The rule lives in [`AgentState::of`] only. `NotLogged` never comes from a
/// `Position`: it is what a `not logged` fault of the `Position` call means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AgentState {
    /// The `Position` call failed with `not logged`.
    NotLogged,
    /// Logged in, in no outbound campaign (`SAL_CAMPAÑA_DEFAULT=0`).
    NoCampaign,
    /// In a break (`SUBTIPO_DESCANSO` ≠ 0).
    Paused {
        /// The break state id.
        break_subtype: i64,
    },
    /// The dialer delivered a contact (`ESTADO_CRM=GetContact`): show the record named
    /// by BASE/IDCONTACTO/DATA, then call `CRM_ShowingContact`. A predictive call may be up already.
    ContactDelivered,
    /// On a call (`IDLLAMADA` ≠ 0).
    OnCall {
        /// The call is bridged to the agent (`SUB_ESTADO=AGENT`); false while ringing or dialing.
        bridged: bool,
    },
    /// Showing the delivered contact, no call (`ESTADO_CRM=ShowingContact`).
    Showing,
    /// The call is gone and `ESTADO_CRM` is not `Available` (until `CRM_Available`).
    AfterCall,
    /// Free for the next contact (`ESTADO_CRM=Available`, no call).
    Available,
}

impl AgentState {
    /// The agent state rule (neoapi.md, "Position"). First match wins:
    ///
    /// | # | condition | state |
    /// |---|---|---|
    /// | 1 | `ESTADO_CRM=GetContact` | `ContactDelivered` (a contact waiting to be shown beats a call already up) |
    /// | 2 | `IDLLAMADA` ≠ 0 | `OnCall { bridged: SUB_ESTADO=AGENT }` |
    /// | 3 | `SUBTIPO_DESCANSO` ≠ 0 | `Paused` |
    /// | 4 | `SAL_CAMPAÑA_DEFAULT=0` | `NoCampaign` |
    /// | 5 | `ESTADO_CRM=ShowingContact` | `Showing` |
    /// | 6 | `ESTADO_CRM=Available` | `Available` |
    /// | 7 | anything else (`Unavailable`, unknown) | `AfterCall` |
    ///
    /// A `Position` cannot tell "showing before the call" from "showing after it" (both
    /// `ShowingContact`, no call); the caller that saw the call go tells them apart.
    #[must_use]
    pub fn of(position: &Position) -> Self {
        let t = &position.typed;
        if t.crm_state == CrmState::GetContact {
            Self::ContactDelivered
        } else if t.call_id != 0 {
            Self::OnCall {
                bridged: position.is_bridged(),
            }
        } else if t.break_subtype != 0 {
            Self::Paused {
                break_subtype: t.break_subtype,
            }
        } else if t.outbound_campaign == 0 {
            Self::NoCampaign
        } else {
            match t.crm_state {
                CrmState::ShowingContact => Self::Showing,
                CrmState::Available => Self::Available,
                CrmState::GetContact | CrmState::Unavailable | CrmState::Other(_) => {
                    Self::AfterCall
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .and_then(|x| x.and_hms_opt(h, mi, s))
            .expect("test dates are valid")
    }

    const MINIMAL: &str =
        "SAL_CAMPAÑA_DEFAULT=3|SUBTIPO_DESCANSO=0|ESTADO_CRM=Available|IDLLAMADA=0|";

    #[test]
    fn dates_in_both_cultures() {
        assert_eq!(
            parse_date("28/05/2019 02:30:34 p.m."),
            Ok(Some(dt(2019, 5, 28, 14, 30, 34)))
        );
        assert_eq!(
            parse_date("28/05/2019 12:05:00 a.m."),
            Ok(Some(dt(2019, 5, 28, 0, 5, 0)))
        );
        assert_eq!(
            parse_date("28/05/2019 12:05:00 p. m."),
            Ok(Some(dt(2019, 5, 28, 12, 5, 0)))
        );
        assert_eq!(
            parse_date("12/08/2021 13:59:09"),
            Ok(Some(dt(2021, 8, 12, 13, 59, 9)))
        );
        assert_eq!(
            parse_date("12/08/2021 01:59:09 PM"),
            Ok(Some(dt(2021, 8, 12, 13, 59, 9)))
        );
        assert_eq!(parse_date("01/01/2000 12:00:00 a.m."), Ok(None));
        assert_eq!(parse_date("01/01/0001 12:00:00 a.m."), Ok(None));
        assert_eq!(parse_date("01/01/0001 00:00:00"), Ok(None));
        assert_eq!(parse_date(""), Ok(None));
        for bad in [
            "31/02/2019 10:00:00",
            "2019-05-28T10:00:00",
            "28/05/2019 13:00:00 p.m.",
            "28/05/2019 10:00",
            "28/05/2019",
            "28/05/2019 10:00:00 xx",
        ] {
            assert_eq!(parse_date(bad), Err(()), "{bad}");
        }
    }

    #[test]
    fn formats_round_trip() {
        let at = dt(2019, 5, 28, 14, 30, 34);
        for culture in [DateCulture::Spanish12h, DateCulture::TwentyFourHour] {
            assert_eq!(parse_date(&format_date(Some(at), culture)), Ok(Some(at)));
            assert_eq!(parse_date(&format_date(None, culture)), Ok(None));
        }
        assert_eq!(
            format_date(Some(at), DateCulture::Spanish12h),
            "28/05/2019 02:30:34 p.m."
        );
    }

    #[test]
    fn splits_on_first_equals_and_keeps_unknown_keys() {
        let p = Position::parse(&format!("{MINIMAL}CLAVE=RUT=1;DV=4;|NUEVA=x=y|VACIO=|"))
            .expect("valid");
        assert_eq!(p.clave(), "RUT=1;DV=4;");
        assert_eq!(p.get("NUEVA"), Some("x=y"));
        assert_eq!(p.get("VACIO"), Some(""));
        assert_eq!(p.get("AUSENTE"), None);
        assert_eq!(p.fields().last(), Some(("VACIO", "")));
        assert_eq!(p.to_string().parse::<Position>(), Ok(p));
    }

    #[test]
    fn errors_name_the_key() {
        let e = Position::parse("SAL_CAMPAÑA_DEFAULT=3|SUBTIPO_DESCANSO=0|ESTADO_CRM=Available|")
            .expect_err("no IDLLAMADA");
        assert_eq!(e, PositionError::MissingKey { key: "IDLLAMADA" });
        let e = Position::parse(&format!("{MINIMAL}IDLLAMADA_ULT=12a|")).expect_err("bad number");
        assert_eq!(
            e,
            PositionError::NotANumber {
                key: "IDLLAMADA_ULT",
                value: "12a".into()
            }
        );
        let e = Position::parse(&format!("{MINIMAL}RINGING=ayer|")).expect_err("bad date");
        assert!(e.to_string().contains("RINGING"), "{e}");
        let e = Position::parse("garbage").expect_err("no '='");
        assert!(matches!(e, PositionError::NotKeyValue { .. }));
    }

    #[test]
    fn folded_enye_keys_still_match() {
        let p = Position::parse(
            "SAL_CAMPANA_DEFAULT=7|SUBTIPO_DESCANSO=0|ESTADO_CRM=Available|IDLLAMADA=0|",
        )
        .expect("valid");
        assert_eq!(p.outbound_campaign(), Some(7));
    }

    #[test]
    fn state_rule_precedence() {
        let state = |extra: &str| {
            let mut keys: Vec<(String, String)> = [
                ("SAL_CAMPAÑA_DEFAULT", "3"),
                ("SUBTIPO_DESCANSO", "0"),
                ("ESTADO_CRM", "Available"),
                ("IDLLAMADA", "0"),
                ("SUB_ESTADO", ""),
            ]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
            for item in extra.split('|').filter(|i| !i.is_empty()) {
                let (k, v) = item.split_once('=').expect("test items are KEY=VALUE");
                keys.retain(|(name, _)| name != k);
                keys.push((k.to_owned(), v.to_owned()));
            }
            let text: String = keys.iter().map(|(k, v)| format!("{k}={v}|")).collect();
            Position::parse(&text).expect("valid").agent_state()
        };
        assert_eq!(state(""), AgentState::Available);
        assert_eq!(state("SAL_CAMPAÑA_DEFAULT=0"), AgentState::NoCampaign);
        assert_eq!(
            state("SUBTIPO_DESCANSO=8"),
            AgentState::Paused { break_subtype: 8 }
        );
        assert_eq!(
            state("ESTADO_CRM=GetContact|IDLLAMADA=5"),
            AgentState::ContactDelivered
        );
        assert_eq!(state("ESTADO_CRM=ShowingContact"), AgentState::Showing);
        assert_eq!(
            state("ESTADO_CRM=ShowingContact|IDLLAMADA=5|SUB_ESTADO=AGENT"),
            AgentState::OnCall { bridged: true }
        );
        assert_eq!(
            state("IDLLAMADA=5|SUB_ESTADO=RINGING"),
            AgentState::OnCall { bridged: false }
        );
        assert_eq!(state("ESTADO_CRM=Unavailable"), AgentState::AfterCall);
        assert_eq!(state("ESTADO_CRM=Wrapup"), AgentState::AfterCall);
    }
}
