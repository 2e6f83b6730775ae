//! The platform engine: agents, positions, calls, dialers, queues, CRM bases, schedules,
//! transfers, conferences and per-install tasks. Pure: no sockets, no clock; every call
//! takes `now` (the Neotel server's local time).

use std::collections::{BTreeMap, VecDeque};

use chrono::{Duration, NaiveDateTime};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::position::{PositionView, render};
use crate::scenario::{Campaign, ContactRecord, Dialer, Scenario};

/// A successful NeoApi answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// A void method.
    Void,
    /// A `string` result.
    String(String),
    /// A `boolean` result.
    Boolean(bool),
}

/// The platform said no: the .NET exception message, as clients see it inside the fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Fault {
    /// The exception message, e.g. `User 1001 not logged.`
    pub message: String,
}

fn fault<T>(message: impl Into<String>) -> Result<T, Fault> {
    Err(Fault {
        message: message.into(),
    })
}

/// A control operation (the `/sim/` API) that cannot be done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ControlError(pub String);

/// How a NeoApi call reached the platform (for the journal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Binding {
    /// HTTP POST with a form body.
    Post,
    /// HTTP GET with a query string.
    Get,
    /// SOAP 1.1.
    Soap,
    /// In-process, through [`Platform::call`].
    Direct,
}

/// One NeoApi call the platform received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// Order of arrival, from 1.
    pub seq: u64,
    /// Platform time.
    pub at: NaiveDateTime,
    /// How it came.
    pub binding: Binding,
    /// The method as called.
    pub method: String,
    /// Its parameters; `CLAVE` is redacted.
    pub params: BTreeMap<String, String>,
    /// 200 for success, 500 for a fault (0: the connection was dropped, injected).
    pub status: u16,
    /// The value or the fault message.
    pub reply: String,
}

/// What a contact ended with (`UpdateContact`, `CloseContact`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// `BASE`.
    pub base: i64,
    /// `IDCONTACTO`.
    pub contact_id: i64,
    /// Who categorized it.
    pub user: String,
    /// Category name, when the subcategory is known.
    pub category: Option<String>,
    /// Subcategory name.
    pub subcategory: Option<String>,
    /// `SUBCATEGORIA` id (0 = none).
    pub subcategory_id: i64,
    /// The callback, when scheduled.
    pub schedule: Option<NaiveDateTime>,
    /// Phone for the callback (`TEL_AGENDA`).
    pub schedule_phone: Option<String>,
    /// `XML_UPDATE` (management notes).
    pub notes: String,
    /// The contact was closed (no more dialing).
    pub closed: bool,
    /// Platform time.
    pub at: NaiveDateTime,
}

/// A text message sent through the per-install task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextMessage {
    /// Sender.
    pub user: String,
    /// Destination.
    pub phone: String,
    /// `sms` or `whatsapp`.
    pub channel: String,
    /// Body.
    pub text: String,
    /// Platform time.
    pub at: NaiveDateTime,
}

/// `/sim/dialer/deliver`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeliverRequest {
    /// Campaign whose dialer delivers.
    pub campaign: i64,
    /// Deliver to this agent (else the first available one of the campaign).
    #[serde(default)]
    pub user: Option<String>,
    /// Deliver this contact (else the next one of the campaign's base).
    #[serde(default)]
    pub contact: Option<ContactKey>,
}

/// A contact's identity in Neotel's CRM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactKey {
    /// `BASE`.
    pub base: i64,
    /// `IDCONTACTO`.
    pub id: i64,
}

/// What a delivery did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivered {
    /// The agent.
    pub user: String,
    /// `IDLLAMADA`.
    pub call_id: i64,
    /// `BASE`.
    pub base: i64,
    /// `IDCONTACTO`.
    pub contact_id: i64,
    /// `DATA` as the agent sees it.
    pub data: String,
}

/// `/sim/inbound`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InboundRequest {
    /// `COLA`.
    pub queue: i64,
    /// The caller's number.
    #[serde(default)]
    pub ani: String,
    /// What the IVR collected (`@DATA`); absent or empty for a private number.
    #[serde(default)]
    pub data: Option<String>,
}

/// What an inbound call did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboundPlaced {
    /// `IDLLAMADA`.
    pub call_id: i64,
    /// The base of the contact (the queue's base, unless found in another base of its CRM).
    pub base: i64,
    /// The contact found or inserted by `CONTACTO_INSERT_SALESFORCE`.
    pub contact_id: i64,
    /// `idContacto-Data`.
    pub clavesf: String,
    /// The agent it was routed to, if one was available.
    pub user: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
enum CrmState {
    Available,
    GetContact,
    ShowingContact,
    Unavailable,
}

impl CrmState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Available => "Available",
            Self::GetContact => "GetContact",
            Self::ShowingContact => "ShowingContact",
            Self::Unavailable => "Unavailable",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
struct OnScreen {
    crm: i64,
    base: i64,
    id: i64,
    data: String,
    /// `CLAVE`: the key the queue hands over (inbound: the `CLAVESF`).
    clave: String,
    /// `CAMPO_BUSQUEDA`: the field that key is searched by.
    search_field: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
struct LastCall {
    call_id: i64,
    campaign: i64,
    queue: i64,
    phone: String,
    call_type: String,
    origin: String,
    direction: String,
    sub_state: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct Consult {
    target: String,
    answer_at: Option<NaiveDateTime>,
    answered: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct Conference {
    id: i64,
    participants: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct Agent {
    user: String,
    device: String,
    login_at: NaiveDateTime,
    outbound_campaign: i64,
    campaign_login_at: Option<NaiveDateTime>,
    break_subtype: i64,
    break_at: Option<NaiveDateTime>,
    crm_state: CrmState,
    crm_at: Option<NaiveDateTime>,
    call: Option<i64>,
    contact: Option<OnScreen>,
    schedule_id: Option<i64>,
    last: LastCall,
    call_state_at: Option<NaiveDateTime>,
    consult: Option<Consult>,
    conference: Option<Conference>,
    monitoring: Option<String>,
}

impl Agent {
    fn is_available(&self) -> bool {
        self.break_subtype == 0 && self.crm_state == CrmState::Available && self.call.is_none()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
enum Leg {
    /// Ringing; answers by itself at the instant when set.
    Ringing(Option<NaiveDateTime>),
    Up,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct Call {
    id: i64,
    user: Option<String>,
    dialer: Option<Dialer>,
    inbound: bool,
    phone: String,
    dnis: String,
    campaign: i64,
    queue: i64,
    contact: Option<OnScreen>,
    origin: String,
    call_type: String,
    agent_leg: Leg,
    /// `None` until the platform starts dialing the customer.
    customer_leg: Option<Leg>,
    started_at: NaiveDateTime,
    recording: bool,
    dtmf: Vec<String>,
    transferred_to: Option<String>,
    /// A call waiting for an agent of this campaign only (a transfer to a campaign).
    route_campaign: Option<i64>,
    /// The agent who transferred the call away (it does not come back to them).
    transferred_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct PendingSchedule {
    id: i64,
    at: NaiveDateTime,
    key: ContactKey,
    user: Option<String>,
    phone: Option<String>,
    campaign: i64,
}

/// The simulated platform.
#[derive(Debug, Clone)]
pub struct Platform {
    scenario: Scenario,
    contacts: BTreeMap<(i64, i64), ContactRecord>,
    closed: std::collections::BTreeSet<(i64, i64)>,
    agents: BTreeMap<String, Agent>,
    calls: BTreeMap<i64, Call>,
    waiting: VecDeque<i64>,
    schedules: Vec<PendingSchedule>,
    outcomes: Vec<Outcome>,
    journal: Vec<JournalEntry>,
    journal_seq: u64,
    texts: Vec<TextMessage>,
    /// Per campaign, the id of the last contact its dialer delivered.
    dialer_cursor: BTreeMap<i64, i64>,
    next_call: i64,
    next_contact: i64,
    next_conference: i64,
    next_schedule: i64,
    now: NaiveDateTime,
}

/// Parameters by name, case-insensitively, as ASP.NET binds them.
struct Params<'a>(&'a [(String, String)]);

impl Params<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_owned()
    }
    fn required(&self, name: &str) -> Result<&str, Fault> {
        self.get(name)
            .map_or_else(|| fault(format!("Missing parameter: {name}.")), Ok)
    }
    fn int(&self, name: &str) -> Result<i64, Fault> {
        let v = self.required(name)?;
        v.trim()
            .parse()
            .or_else(|_| fault(format!("Cannot convert {v} to System.Int32.")))
    }
    fn boolean(&self, name: &str) -> Result<bool, Fault> {
        let v = self.required(name)?;
        match v.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            _ => fault(format!("Cannot convert {v} to System.Boolean.")),
        }
    }
    fn date(&self, name: &str) -> Result<NaiveDateTime, Fault> {
        let v = self.required(name)?;
        parse_datetime(v).map_or_else(
            || fault(format!("Cannot convert {v} to System.DateTime.")),
            Ok,
        )
    }
}

/// Dates as .NET accepts them from clients: ISO 8601 (with or without fraction and offset,
/// which is ignored: NeoApi dates are the server's local time) or the server's culture.
fn parse_datetime(text: &str) -> Option<NaiveDateTime> {
    let t = text.trim();
    let t = t.strip_suffix('Z').unwrap_or(t);
    let t = match t.rfind(['+', '-']) {
        Some(i) if i > 10 && t[i..].contains(':') => &t[..i],
        _ => t,
    };
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%d/%m/%Y %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
    .or_else(|| {
        chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })
}

fn ms(n: u64) -> Option<Duration> {
    (n > 0).then(|| Duration::milliseconds(i64::try_from(n).unwrap_or(i64::MAX / 2)))
}

impl Platform {
    /// A platform in the scenario's initial state.
    pub fn new(scenario: Scenario, now: NaiveDateTime) -> Self {
        let contacts: BTreeMap<_, _> = scenario
            .contacts
            .iter()
            .map(|c| ((c.base, c.id), c.clone()))
            .collect();
        let next_contact = contacts.keys().map(|(_, id)| *id).max().unwrap_or(0) + 1;
        Self {
            scenario,
            contacts,
            closed: Default::default(),
            agents: BTreeMap::new(),
            calls: BTreeMap::new(),
            waiting: VecDeque::new(),
            schedules: Vec::new(),
            outcomes: Vec::new(),
            journal: Vec::new(),
            journal_seq: 0,
            texts: Vec::new(),
            dialer_cursor: BTreeMap::new(),
            // Call ids look like a live install's (seven digits), contact ids stay small.
            next_call: 1_159_450,
            next_contact,
            next_conference: 501,
            next_schedule: 9001,
            now,
        }
    }

    /// The scenario the platform was built from.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// One NeoApi call made in-process (journaled as [`Binding::Direct`]).
    pub fn call(
        &mut self,
        now: NaiveDateTime,
        method: &str,
        params: &[(String, String)],
    ) -> Result<Reply, Fault> {
        self.call_via(now, Binding::Direct, method, params)
    }

    /// One NeoApi call, already decoded from `binding`: the method name as on the wire
    /// (case-insensitive) and its parameters by WSDL name.
    pub fn call_via(
        &mut self,
        now: NaiveDateTime,
        binding: Binding,
        method: &str,
        params: &[(String, String)],
    ) -> Result<Reply, Fault> {
        self.advance(now);
        let result = self.dispatch(method, &Params(params));
        let (status, reply) = match &result {
            Ok(Reply::Void) => (200, String::new()),
            Ok(Reply::String(s)) => (200, s.clone()),
            Ok(Reply::Boolean(b)) => (200, b.to_string()),
            Err(f) => (500, f.message.clone()),
        };
        self.record(now, binding, method, params, status, reply);
        result
    }

    /// Journals a call the server answered without reaching the engine: an injected fault
    /// (`status` 500) or a dropped connection (`status` 0).
    pub fn journal_injected(
        &mut self,
        now: NaiveDateTime,
        binding: Binding,
        method: &str,
        params: &[(String, String)],
        status: u16,
        reply: &str,
    ) {
        self.record(now, binding, method, params, status, reply.to_owned());
    }

    fn record(
        &mut self,
        at: NaiveDateTime,
        binding: Binding,
        method: &str,
        params: &[(String, String)],
        status: u16,
        reply: String,
    ) {
        self.journal_seq += 1;
        let params = params
            .iter()
            .map(|(k, v)| {
                // The password never leaves the engine.
                let v = if k.eq_ignore_ascii_case("CLAVE") {
                    "***".to_owned()
                } else {
                    v.clone()
                };
                (k.clone(), v)
            })
            .collect();
        self.journal.push(JournalEntry {
            seq: self.journal_seq,
            at,
            binding,
            method: method.to_owned(),
            params,
            status,
            reply,
        });
        // Bounded memory for long demo runs: drop the older half once past the limit.
        let limit = self.scenario.settings.journal_limit;
        if limit > 0 && self.journal.len() >= limit.saturating_mul(2) {
            self.journal.drain(..self.journal.len() - limit);
        }
    }

    fn dispatch(&mut self, method: &str, p: &Params<'_>) -> Result<Reply, Fault> {
        let m = method.to_ascii_lowercase();
        if let Some(n) = m.strip_prefix("executetask") {
            return self.execute_task(method, n, p);
        }
        let void = |r: Result<(), Fault>| r.map(|()| Reply::Void);
        match m.as_str() {
            "login" => void(self.login(p)),
            "logout" => void(self.logout(p)),
            "login_campaign" | "login_campaña" => void(self.login_campaign(p, "CAMPAÑA")),
            "login_campaign2" => void(self.login_campaign(p, "CAMPANA")),
            "logout_campaign" | "logout_campaña" => void(self.agent_mut(p).map(|a| {
                a.outbound_campaign = 0;
                a.campaign_login_at = None;
            })),
            "pause" => void(self.pause(p)),
            // The old toggles: a break of the install's "Descanso" / "Tiempo Administrativo".
            "descanso" => void(self.toggle_break(p, "DESCANSO", "Descanso", 1)),
            "tiempo_administrativo" => {
                void(self.toggle_break(p, "TIEMPO_ADM", "Tiempo Administrativo", 2))
            }
            "unpause" => void(self.agent_mut(p).map(|a| {
                a.break_subtype = 0;
                a.break_at = None;
            })),
            "position" | "posicion" => self.position(&p.text("USUARIO")).map(Reply::String),
            "crm_showingcontact" => void(self.showing_contact(p, true)),
            "crm_mostrando_contacto" => void(self.showing_contact(p, false)),
            "crm_available" | "crm_disponible" => void(self.crm_available(p)),
            "crm_unavailable" => self.crm_unavailable(p).map(|()| Reply::Boolean(true)),
            "crm_no_disponible" => void(self.crm_unavailable(p)),
            "updatecontact" => void(self.update_contact(p)),
            "closecontact" => void(self.close_contact(p)),
            "addschedulecall" => self.add_schedule_call(p).map(Reply::String),
            "dial" => self.dial(p).map(|()| Reply::Boolean(true)),
            "discar" => void(self.dial(p)),
            "hangup" | "cortar" => void(self.hangup(p)),
            "senddtmf" => void(self.send_dtmf(p)),
            "blindtransfer" => void(self.blind_transfer(p, Target::Extension)),
            "blindtransferqueue" => void(self.blind_transfer(p, Target::Queue)),
            "blindtransfercampaign" => void(self.blind_transfer(p, Target::Campaign)),
            "attendedtransfer" => void(self.attended_transfer(p, Target::Extension)),
            "attendedtransferqueue" => void(self.attended_transfer(p, Target::Queue)),
            "joinconference" => void(self.join_conference(p)),
            "inviteparticipant" => void(self.invite_participant(p)),
            "cancelinvitation" => void(self.cancel_invitation(p)),
            "kickall" | "expulsar_todos" => void(self.kick_all(p)),
            "startmonitor" => void(
                self.agent_mut(p)
                    .map(|a| a.monitoring = Some(String::new())),
            ),
            "stopmonitor" => void(self.agent_mut(p).map(|a| a.monitoring = None)),
            "iniciar_grabacion" | "detener_grabacion" => {
                let start = m == "iniciar_grabacion";
                let call = self.current_call(p)?;
                self.calls
                    .get_mut(&call)
                    .expect("current call exists")
                    .recording = start;
                Ok(Reply::Void)
            }
            _ => fault(format!(
                "Request format is unrecognized for URL unexpectedly ending in '/{method}'."
            )),
        }
    }

    // ----- agent session -------------------------------------------------------------

    fn login(&mut self, p: &Params<'_>) -> Result<(), Fault> {
        let device = p.text("DEVICE");
        let user = p.text("USUARIO");
        let password = p.text("CLAVE");
        if !self
            .scenario
            .devices
            .iter()
            .any(|d| d.eq_ignore_ascii_case(&device))
        {
            return fault(format!("Position {device} not found"));
        }
        if self
            .agents
            .values()
            .any(|a| a.device.eq_ignore_ascii_case(&device))
            || self.agents.contains_key(&user)
        {
            return fault(format!("Position {device} not free"));
        }
        match self.scenario.users.iter().find(|u| u.user == user) {
            Some(u) if u.password == password => {}
            _ => return fault("Invalid user or password"),
        }
        if self.agents.len() >= self.scenario.settings.licenses {
            return fault("No more API licenses.");
        }
        self.agents.insert(
            user.clone(),
            Agent {
                user,
                device,
                login_at: self.now,
                outbound_campaign: 0,
                campaign_login_at: None,
                break_subtype: 0,
                break_at: None,
                crm_state: CrmState::Available,
                crm_at: None,
                call: None,
                contact: None,
                schedule_id: None,
                last: LastCall {
                    call_type: "NotSet".into(),
                    ..LastCall::default()
                },
                call_state_at: None,
                consult: None,
                conference: None,
                monitoring: None,
            },
        );
        Ok(())
    }

    fn logout(&mut self, p: &Params<'_>) -> Result<(), Fault> {
        let user = p.text("USUARIO");
        let agent = self
            .agents
            .get(&user)
            .map_or_else(|| fault(not_logged(&user)), Ok)?;
        if let Some(call) = agent.call {
            self.end_call(call);
        }
        self.agents.remove(&user);
        Ok(())
    }

    fn agent_mut(&mut self, p: &Params<'_>) -> Result<&mut Agent, Fault> {
        let user = p.text("USUARIO");
        self.agents
            .get_mut(&user)
            .map_or_else(|| fault(not_logged(&user)), Ok)
    }

    fn agent(&self, user: &str) -> Result<&Agent, Fault> {
        self.agents
            .get(user)
            .map_or_else(|| fault(not_logged(user)), Ok)
    }

    fn login_campaign(&mut self, p: &Params<'_>, param: &str) -> Result<(), Fault> {
        let id = p.int(param)?;
        if !self.scenario.campaigns.iter().any(|c| c.id == id) {
            return fault(format!("Campaign {id} not found"));
        }
        let now = self.now;
        let agent = self.agent_mut(p)?;
        agent.outbound_campaign = id;
        agent.campaign_login_at = Some(now);
        Ok(())
    }

    fn pause(&mut self, p: &Params<'_>) -> Result<(), Fault> {
        let subtype = p.int("SUBTIPO_DESCANSO")?;
        if !self.scenario.breaks.iter().any(|b| b.id == subtype) {
            return fault(format!("Break subtype {subtype} not found"));
        }
        let now = self.now;
        let agent = self.agent_mut(p)?;
        agent.break_subtype = subtype;
        agent.break_at = Some(now);
        Ok(())
    }

    fn toggle_break(
        &mut self,
        p: &Params<'_>,
        param: &str,
        name: &str,
        fallback: i64,
    ) -> Result<(), Fault> {
        let on = p.boolean(param)?;
        let subtype = self
            .scenario
            .breaks
            .iter()
            .find(|b| b.name.eq_ignore_ascii_case(name))
            .map_or(fallback, |b| b.id);
        let now = self.now;
        let agent = self.agent_mut(p)?;
        if on {
            agent.break_subtype = subtype;
            agent.break_at = Some(now);
        } else if agent.break_subtype == subtype {
            agent.break_subtype = 0;
            agent.break_at = None;
        }
        Ok(())
    }

    // ----- CRM handshake -------------------------------------------------------------

    fn showing_contact(&mut self, p: &Params<'_>, with_base: bool) -> Result<(), Fault> {
        let id = p.int("IDCONTACTO")?;
        let base = if with_base {
            Some(p.int("BASE")?)
        } else {
            None
        };
        let now = self.now;
        let agent = self.agent_mut(p)?;
        let user = agent.user.clone();
        match &agent.contact {
            Some(c) if c.id == id && base.is_none_or(|b| b == c.base) => {
                agent.crm_state = CrmState::ShowingContact;
                agent.crm_at = Some(now);
                Ok(())
            }
            _ => fault(format!("Contact {id} is not assigned to user {user}")),
        }
    }

    fn crm_available(&mut self, p: &Params<'_>) -> Result<(), Fault> {
        let now = self.now;
        let agent = self.agent_mut(p)?;
        agent.crm_state = CrmState::Available;
        agent.crm_at = Some(now);
        // The contact leaves the agent once the CRM is free again (the call, if any, stays).
        if agent.call.is_none() {
            agent.contact = None;
            agent.schedule_id = None;
        }
        Ok(())
    }

    fn crm_unavailable(&mut self, p: &Params<'_>) -> Result<(), Fault> {
        let now = self.now;
        let agent = self.agent_mut(p)?;
        if agent.crm_state == CrmState::Available {
            agent.crm_state = CrmState::Unavailable;
            agent.crm_at = Some(now);
        }
        Ok(())
    }

    fn subcategory(&self, crm: i64, id: i64) -> Option<(String, String)> {
        self.scenario
            .categories
            .iter()
            .filter(|c| c.crm == crm || crm <= 0)
            .find_map(|c| {
                c.subcategories
                    .iter()
                    .find(|s| s.id == id)
                    .map(|s| (c.name.clone(), s.name.clone()))
            })
    }

    fn update_contact(&mut self, p: &Params<'_>) -> Result<(), Fault> {
        let crm = p.int("CRM")?;
        let base = p.int("BASE")?;
        let id = p.int("IDCONTACTO")?;
        let sub = p.int("SUBCATEGORIA")?;
        let agenda = p.boolean("AGENDA")?;
        let when = p.date("FECHA_AGENDA")?;
        let user = p.text("USUARIO");
        self.agent(&user)?;
        if !self.contacts.contains_key(&(base, id)) {
            return fault(format!("Contact {id} not found in base {base}"));
        }
        let names = if sub == 0 {
            None
        } else {
            Some(
                self.subcategory(crm, sub)
                    .map_or_else(|| fault(format!("Subcategory {sub} not found")), Ok)?,
            )
        };
        let schedule = if agenda {
            if when <= self.now {
                return fault(format!("Schedule date {when} is in the past"));
            }
            Some(when)
        } else {
            None
        };
        let phone = Some(p.text("TEL_AGENDA")).filter(|s| !s.is_empty());
        if let Some(at) = schedule {
            let sched_user = Some(p.text("USUARIO_AGENDA")).filter(|s| !s.is_empty());
            let campaign = self.agents.get(&user).map_or(0, |a| a.outbound_campaign);
            let campaign = if campaign == 0 {
                self.campaign_of_base(base).unwrap_or(0)
            } else {
                campaign
            };
            self.schedules.push(PendingSchedule {
                id: self.next_schedule,
                at,
                key: ContactKey { base, id },
                user: sched_user,
                phone: phone.clone(),
                campaign,
            });
            self.next_schedule += 1;
        }
        self.outcomes.push(Outcome {
            base,
            contact_id: id,
            user,
            category: names.as_ref().map(|n| n.0.clone()),
            subcategory: names.map(|n| n.1),
            subcategory_id: sub,
            schedule,
            schedule_phone: phone,
            notes: p.text("XML_UPDATE"),
            closed: false,
            at: self.now,
        });
        Ok(())
    }

    fn close_contact(&mut self, p: &Params<'_>) -> Result<(), Fault> {
        let base = p.int("BASE")?;
        let id = p.int("IDCONTACTO")?;
        if !self.contacts.contains_key(&(base, id)) {
            return fault(format!("Contact {id} not found in base {base}"));
        }
        self.closed.insert((base, id));
        self.outcomes.push(Outcome {
            base,
            contact_id: id,
            user: String::new(),
            category: None,
            subcategory: None,
            subcategory_id: 0,
            schedule: None,
            schedule_phone: None,
            notes: String::new(),
            closed: true,
            at: self.now,
        });
        Ok(())
    }

    fn add_schedule_call(&mut self, p: &Params<'_>) -> Result<String, Fault> {
        let base = p.int("BASE")?;
        let id = p.int("IDCONTACTO")?;
        let at = p.date("FECHA_AGENDA")?;
        let user = p.text("USUARIO");
        self.agent(&user)?;
        if !self.contacts.contains_key(&(base, id)) {
            return fault(format!("Contact {id} not found in base {base}"));
        }
        let schedule_id = self.next_schedule;
        self.next_schedule += 1;
        let campaign = self.campaign_of_base(base).unwrap_or(0);
        let phone = Some(p.text("TELEFONO")).filter(|s| !s.is_empty());
        self.schedules.push(PendingSchedule {
            id: schedule_id,
            at,
            key: ContactKey { base, id },
            user: Some(user),
            phone,
            campaign,
        });
        Ok(schedule_id.to_string())
    }

    fn campaign_of_base(&self, base: i64) -> Option<i64> {
        self.scenario
            .campaigns
            .iter()
            .find(|c| c.base == base)
            .map(|c| c.id)
    }

    // ----- calls ----------------------------------------------------------------------

    fn current_call(&self, p: &Params<'_>) -> Result<i64, Fault> {
        let user = p.text("USUARIO");
        self.agent(&user)?
            .call
            .map_or_else(|| fault(format!("User {user} has no active call")), Ok)
    }

    fn dial(&mut self, p: &Params<'_>) -> Result<(), Fault> {
        let user = p.text("USUARIO");
        let phone = p.text("TELEFONO");
        let agent = self.agent(&user)?;
        if agent.call.is_some() {
            return fault(format!("User {user} is busy"));
        }
        if !phone.chars().any(|c| c.is_ascii_digit())
            || !phone
                .chars()
                .all(|c| c.is_ascii_digit() || "*#+".contains(c))
        {
            return fault(format!("Invalid phone number {phone}"));
        }
        let campaign = agent.outbound_campaign;
        let recording = self.campaign(campaign).is_some_and(|c| c.record);
        let answer = ms(self.scenario.settings.agent_answer_ms).map(|d| self.now + d);
        let id = self.new_call(Call {
            id: 0,
            user: Some(user.clone()),
            dialer: Some(Dialer::Manual),
            inbound: false,
            phone,
            dnis: String::new(),
            campaign,
            queue: 0,
            contact: None,
            origin: String::new(),
            call_type: "Manual".into(),
            agent_leg: Leg::Ringing(answer),
            customer_leg: None,
            started_at: self.now,
            recording,
            dtmf: Vec::new(),
            transferred_to: None,
            route_campaign: None,
            transferred_by: None,
        });
        self.attach_call(&user, id);
        Ok(())
    }

    fn new_call(&mut self, mut call: Call) -> i64 {
        let id = self.next_call;
        self.next_call += 1;
        call.id = id;
        self.calls.insert(id, call);
        id
    }

    /// Gives a call to an agent: `IDLLAMADA` set, the contact (if any) on screen.
    fn attach_call(&mut self, user: &str, call_id: i64) {
        let now = self.now;
        let call = self.calls.get_mut(&call_id).expect("attached call exists");
        call.user = Some(user.to_owned());
        let contact = call.contact.clone();
        let agent = self
            .agents
            .get_mut(user)
            .expect("attached agent is logged in");
        agent.call = Some(call_id);
        agent.call_state_at = Some(now);
        if contact.is_some() {
            agent.contact = contact;
            agent.crm_state = CrmState::GetContact;
            agent.crm_at = Some(now);
        }
    }

    fn hangup(&mut self, p: &Params<'_>) -> Result<(), Fault> {
        let call = self.current_call(p)?;
        let agent = self.agent_mut(p)?;
        // In an attended transfer, Hangup cuts only the consulted leg.
        if agent.consult.take().is_some() {
            return Ok(());
        }
        self.end_call(call);
        Ok(())
    }

    /// The call is over for its agent: `IDLLAMADA` back to 0, its values kept in `_ULT`.
    fn end_call(&mut self, call_id: i64) {
        let Some(call) = self.calls.remove(&call_id) else {
            return;
        };
        self.waiting.retain(|c| *c != call_id);
        let Some(agent) = call.user.as_ref().and_then(|u| self.agents.get_mut(u)) else {
            return;
        };
        if agent.call != Some(call_id) {
            return;
        }
        agent.last = LastCall {
            call_id,
            campaign: call.campaign,
            queue: call.queue,
            phone: call.phone.clone(),
            call_type: call.call_type.clone(),
            origin: call.origin.clone(),
            direction: if call.inbound { "ENTRANTE" } else { "SALIENTE" }.into(),
            sub_state: sub_state(&call).into(),
        };
        agent.call = None;
        agent.consult = None;
        agent.conference = None;
        agent.call_state_at = Some(self.now);
    }

    fn send_dtmf(&mut self, p: &Params<'_>) -> Result<(), Fault> {
        let call = self.current_call(p)?;
        let digits = p.text("DIGITOS");
        if digits.is_empty()
            || !digits
                .chars()
                .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
        {
            return fault(format!("Invalid DTMF digits {digits}"));
        }
        self.calls
            .get_mut(&call)
            .expect("current call exists")
            .dtmf
            .push(digits);
        Ok(())
    }

    fn transfer_target(&self, p: &Params<'_>, target: Target) -> Result<String, Fault> {
        match target {
            Target::Extension => {
                let ext = p.text("EXTENSION");
                if ext.trim().is_empty() {
                    return fault("Missing parameter: EXTENSION.");
                }
                Ok(ext)
            }
            Target::Queue => {
                let q = p.int("COLA")?;
                self.scenario
                    .queues
                    .iter()
                    .any(|x| x.id == q)
                    .then(|| format!("COLA {q}"))
                    .map_or_else(|| fault(format!("Queue {q} not found")), Ok)
            }
            Target::Campaign => {
                let id = campaign_param(p)?;
                self.campaign(id)
                    .map(|_| format!("CAMPAÑA {id}"))
                    .map_or_else(|| fault(format!("Campaign {id} not found")), Ok)
            }
        }
    }

    fn blind_transfer(&mut self, p: &Params<'_>, target: Target) -> Result<(), Fault> {
        // Parameters bind before the method runs, as in ASP.NET.
        let to = self.transfer_target(p, target)?;
        let call_id = self.current_call(p)?;
        let call = self.calls.get_mut(&call_id).expect("current call exists");
        call.transferred_to = Some(to.clone());
        // The agent leaves the call; it goes on elsewhere.
        let snapshot = call.clone();
        self.end_call(call_id);
        let agent_answer = ms(self.scenario.settings.agent_answer_ms).map(|d| self.now + d);
        let onward = |queue: i64, campaign: i64, route_campaign: Option<i64>| Call {
            user: None,
            queue,
            campaign,
            route_campaign,
            transferred_by: snapshot.user.clone(),
            agent_leg: Leg::Ringing(agent_answer),
            dtmf: Vec::new(),
            started_at: self.now,
            ..snapshot.clone()
        };
        match target {
            // A platform user (by USUARIO or device) gets the call with its contact; any
            // other extension or number is outside the platform: the call just leaves.
            Target::Extension => {
                let receiver = self
                    .agents
                    .values()
                    .find(|a| {
                        (a.user == to || a.device.eq_ignore_ascii_case(&to))
                            && a.is_available()
                            && snapshot.user.as_ref() != Some(&a.user)
                    })
                    .map(|a| a.user.clone());
                if let Some(receiver) = receiver {
                    let id = self.new_call(onward(snapshot.queue, snapshot.campaign, None));
                    self.attach_call(&receiver, id);
                }
            }
            // The queue's next free agent; the campaign's next free agent of that campaign.
            Target::Queue => {
                let queue = p.int("COLA")?;
                let id = self.new_call(onward(queue, snapshot.campaign, None));
                self.waiting.push_back(id);
            }
            Target::Campaign => {
                let campaign = campaign_param(p)?;
                let id = self.new_call(onward(0, campaign, Some(campaign)));
                self.waiting.push_back(id);
            }
        }
        self.route_waiting();
        Ok(())
    }

    /// Queued calls go, in order, to the first free agent each may reach.
    fn route_waiting(&mut self) {
        let mut still = VecDeque::new();
        while let Some(call_id) = self.waiting.pop_front() {
            let Some(call) = self.calls.get(&call_id) else {
                continue;
            };
            let user = self
                .agents
                .values()
                .find(|a| {
                    a.is_available()
                        && call.route_campaign.is_none_or(|c| c == a.outbound_campaign)
                        && call.transferred_by.as_ref() != Some(&a.user)
                })
                .map(|a| a.user.clone());
            match user {
                Some(user) => {
                    let campaign = self.agents[&user].outbound_campaign;
                    let call = self.calls.get_mut(&call_id).expect("queued call exists");
                    // An inbound call counts for the campaign its agent works in.
                    if call.inbound && call.campaign == 0 {
                        call.campaign = campaign;
                    }
                    self.attach_call(&user, call_id);
                }
                None => still.push_back(call_id),
            }
        }
        self.waiting = still;
    }

    fn attended_transfer(&mut self, p: &Params<'_>, target: Target) -> Result<(), Fault> {
        let to = self.transfer_target(p, target)?;
        self.current_call(p)?;
        let answer_at = ms(self.scenario.settings.consult_answer_ms).map(|d| self.now + d);
        let agent = self.agent_mut(p)?;
        if agent.consult.is_some() {
            return fault(format!("User {} is already in a consultation", agent.user));
        }
        agent.consult = Some(Consult {
            target: to,
            answer_at,
            answered: answer_at.is_none(),
        });
        Ok(())
    }

    fn join_conference(&mut self, p: &Params<'_>) -> Result<(), Fault> {
        self.current_call(p)?;
        let id = self.next_conference;
        let agent = self.agent_mut(p)?;
        if agent.conference.is_some() {
            return fault(format!("User {} is already in a conference", agent.user));
        }
        // During an attended consultation the consulted party joins: a three-way call.
        let participants = agent.consult.take().map(|c| c.target).into_iter().collect();
        agent.conference = Some(Conference { id, participants });
        self.next_conference += 1;
        Ok(())
    }

    fn invite_participant(&mut self, p: &Params<'_>) -> Result<(), Fault> {
        let ext = p.text("EXTENSION");
        if ext.trim().is_empty() {
            return fault("Missing parameter: EXTENSION.");
        }
        let agent = self.agent_mut(p)?;
        let user = agent.user.clone();
        let conf = agent
            .conference
            .as_mut()
            .map_or_else(|| fault(format!("User {user} is not in a conference")), Ok)?;
        conf.participants.push(ext);
        Ok(())
    }

    fn cancel_invitation(&mut self, p: &Params<'_>) -> Result<(), Fault> {
        let agent = self.agent_mut(p)?;
        let user = agent.user.clone();
        let conf = agent
            .conference
            .as_mut()
            .map_or_else(|| fault(format!("User {user} is not in a conference")), Ok)?;
        conf.participants
            .pop()
            .map(|_| ())
            .map_or_else(|| fault("No pending invitation"), Ok)
    }

    fn kick_all(&mut self, p: &Params<'_>) -> Result<(), Fault> {
        let id = p.int("CONFERENCIA")?;
        let agent = self.agent_mut(p)?;
        match &agent.conference {
            Some(c) if c.id == id => {
                agent.conference = None;
                Ok(())
            }
            _ => fault(format!("Conference {id} not found")),
        }
    }

    fn campaign(&self, id: i64) -> Option<&Campaign> {
        self.scenario.campaigns.iter().find(|c| c.id == id)
    }

    // ----- per-install tasks ----------------------------------------------------------

    fn execute_task(&mut self, method: &str, n: &str, p: &Params<'_>) -> Result<Reply, Fault> {
        let Ok(count) = n.parse::<usize>() else {
            return fault(format!(
                "Request format is unrecognized for URL unexpectedly ending in '/{method}'."
            ));
        };
        if count > 20 || n.len() != 2 {
            return fault(format!(
                "Request format is unrecognized for URL unexpectedly ending in '/{method}'."
            ));
        }
        // NN is the number of paramN: a paramK beyond it means the wrong method was called.
        if let Some(k) = p.0.iter().find_map(|(name, _)| {
            let lower = name.to_ascii_lowercase();
            let k: usize = lower.strip_prefix("param")?.parse().ok()?;
            (k == 0 || k > count).then_some(k)
        }) {
            return fault(format!(
                "{method} takes {count} parameters (param1..param{count}), not param{k}."
            ));
        }
        let task = p.int("idTask")?;
        let args: Vec<String> = (1..=count).map(|i| p.text(&format!("param{i}"))).collect();
        let tasks = self.scenario.tasks;
        let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or_default();
        let needs = |k: usize| -> Result<(), Fault> {
            if count < k {
                fault(format!(
                    "Task {task} needs {k} parameters, ExecuteTask{n} gives {count}"
                ))
            } else {
                Ok(())
            }
        };
        let text = if task == tasks.lists {
            needs(1)?;
            self.list(arg(0), arg(1))?
        } else if task == tasks.monitor_start {
            needs(3)?;
            self.monitor_start(arg(0), arg(1), arg(2))?
        } else if task == tasks.monitor_stop {
            needs(1)?;
            let sup = self
                .agents
                .get_mut(arg(0))
                .map_or_else(|| fault(not_logged(arg(0))), Ok)?;
            match sup.monitoring.take() {
                Some(t) => format!("OK: fin del monitoreo de {t}"),
                None => return fault(format!("User {} is not monitoring", arg(0))),
            }
        } else if task == tasks.send_text {
            needs(4)?;
            self.send_text(arg(0), arg(1), arg(2), arg(3))?
        } else if task == tasks.find_contact {
            needs(2)?;
            let crm: i64 = arg(0)
                .parse()
                .or_else(|_| fault(format!("Cannot convert {} to System.Int32.", arg(0))))?;
            let bases: Vec<i64> = self.crm_bases(crm);
            let rows: Vec<Value> = self
                .contacts
                .values()
                .filter(|c| bases.contains(&c.base) && c.clave_1 == arg(1))
                .map(|c| json!({"BASE": c.base, "IDCONTACTO": c.id, "DATA": c.clave_1}))
                .collect();
            json!({ "Table": rows }).to_string()
        } else {
            return fault(format!("Task {task} not found"));
        };
        Ok(Reply::String(text))
    }

    fn crm_bases(&self, crm: i64) -> Vec<i64> {
        let campaigns = self
            .scenario
            .campaigns
            .iter()
            .filter(|c| c.crm == crm)
            .map(|c| c.base);
        let queues = self
            .scenario
            .queues
            .iter()
            .filter(|q| q.crm == crm)
            .map(|q| q.base);
        campaigns.chain(queues).collect()
    }

    fn list(&self, name: &str, id: &str) -> Result<String, Fault> {
        let s = &self.scenario;
        let rows: Vec<Value> = match name {
            "breaks" => s.breaks.iter().map(|b| json!({"ID": b.id, "NOMBRE": b.name})).collect(),
            "campaigns" => s
                .campaigns
                .iter()
                .map(|c| json!({"ID": c.id, "NOMBRE": c.name, "DISCADOR": c.dialer.as_str(), "CRM": c.crm, "BASE": c.base}))
                .collect(),
            "queues" => s.queues.iter().map(|q| json!({"ID": q.id, "NOMBRE": q.name})).collect(),
            "users" => s
                .users
                .iter()
                .map(|u| {
                    let state = match self.agents.get(&u.user) {
                        None => "Desconectado",
                        Some(a) if a.call.is_some() => "EnLlamada",
                        Some(a) if a.break_subtype != 0 => "Descanso",
                        Some(_) => "Conectado",
                    };
                    json!({"USUARIO": u.user, "NOMBRE": u.name, "SUPERVISOR": u.supervisor, "ESTADO": state})
                })
                .collect(),
            "transferPhones" => {
                let c: i64 = id.parse().or_else(|_| fault(format!("Cannot convert {id} to System.Int32.")))?;
                let campaign = self.campaign(c).map_or_else(|| fault(format!("Campaign {c} not found")), Ok)?;
                campaign
                    .transfer_phones
                    .iter()
                    .enumerate()
                    .map(|(i, t)| json!({"INDICE": i + 1, "TELEFONO": t.phone, "NOMBRE": t.label}))
                    .collect()
            }
            "categories" => {
                let crm: i64 = id.parse().or_else(|_| fault(format!("Cannot convert {id} to System.Int32.")))?;
                s.categories
                    .iter()
                    .filter(|c| c.crm == crm)
                    .flat_map(|c| {
                        c.subcategories.iter().map(move |sc| {
                            json!({"IDCATEGORIA": c.id, "CATEGORIA": c.name, "IDSUBCATEGORIA": sc.id, "SUBCATEGORIA": sc.name, "AGENDA": sc.schedules})
                        })
                    })
                    .collect()
            }
            other => return fault(format!("List {other} not found")),
        };
        Ok(json!({ "Table": rows }).to_string())
    }

    fn monitor_start(&mut self, supervisor: &str, user: &str, mode: &str) -> Result<String, Fault> {
        if !matches!(mode, "listen" | "assist") {
            return fault(format!("Monitoring mode {mode} not valid (listen, assist)"));
        }
        if !self
            .scenario
            .users
            .iter()
            .any(|u| u.user == supervisor && u.supervisor)
        {
            return fault(format!("User {supervisor} is not a supervisor"));
        }
        self.agent(user)?;
        let sup = self
            .agents
            .get_mut(supervisor)
            .map_or_else(|| fault(not_logged(supervisor)), Ok)?;
        sup.monitoring = Some(format!("{user} ({mode})"));
        Ok(format!("OK: monitoreando a {user} ({mode})"))
    }

    fn send_text(
        &mut self,
        user: &str,
        phone: &str,
        channel: &str,
        text: &str,
    ) -> Result<String, Fault> {
        self.agent(user)?;
        if !matches!(channel, "sms" | "whatsapp") {
            return fault(format!("Channel {channel} not valid (sms, whatsapp)"));
        }
        if !phone.chars().any(|c| c.is_ascii_digit()) {
            return fault(format!("Invalid phone number {phone}"));
        }
        if text.trim().is_empty() {
            return fault("Empty message");
        }
        self.texts.push(TextMessage {
            user: user.into(),
            phone: phone.into(),
            channel: channel.into(),
            text: text.into(),
            at: self.now,
        });
        Ok(format!("OK: mensaje {} enviado", self.texts.len()))
    }

    // ----- Position -------------------------------------------------------------------

    /// The agent's `Position` string, as the platform would answer it.
    pub fn position(&self, user: &str) -> Result<String, Fault> {
        let settings = &self.scenario.settings;
        Ok(render(
            &self.position_view(user)?,
            settings.position_layout,
            settings.date_culture,
        ))
    }

    /// The typed snapshot behind [`Platform::position`].
    pub fn position_view(&self, user: &str) -> Result<PositionView, Fault> {
        let a = self.agent(user)?;
        let outbound = self.campaign(a.outbound_campaign);
        let call = a.call.and_then(|id| self.calls.get(&id));
        let mut v = PositionView {
            device: a.device.clone(),
            ip: "127.0.0.1".into(),
            port: 5060,
            status: "OK".into(),
            server: settings_server(&self.scenario),
            user: a.user.clone(),
            login_at: Some(a.login_at),
            outbound_campaign: a.outbound_campaign,
            campaign_login_at: a.campaign_login_at,
            sub_state_last: a.last.sub_state.clone(),
            call_state_at: a.call_state_at,
            break_subtype: a.break_subtype,
            break_at: a.break_at,
            crm_state: a.crm_state.as_str().into(),
            crm_at: a.crm_at,
            campaign_last: a.last.campaign,
            queue_last: a.last.queue,
            phone_last: a.last.phone.clone(),
            call_type: "NotSet".into(),
            call_type_last: a.last.call_type.clone(),
            origin_last: a.last.origin.clone(),
            direction_last: a.last.direction.clone(),
            schedule_id: a.schedule_id,
            call_id_last: a.last.call_id,
            conference: a.conference.as_ref().map(|c| c.id),
            dialer: outbound.map_or("NotSet", |c| c.dialer.as_str()).into(),
            outbound_crm: outbound.map_or(0, |c| c.crm),
            outbound_base: outbound.map_or(0, |c| c.base),
            ..PositionView::default()
        };
        if let Some(c) = &a.contact {
            v.crm = c.crm;
            v.base = c.base;
            v.contact_id = c.id;
            v.data = c.data.clone();
            v.clave = c.clave.clone();
            v.search_field = c.search_field.clone();
        }
        if let Some(call) = call {
            v.call_id = call.id;
            v.channel = format!("{}-{:08x}", a.device, call.id);
            v.sub_state = sub_state(call).into();
            v.campaign = call.campaign;
            v.queue = call.queue;
            v.call_type = call.call_type.clone();
            v.origin = call.origin.clone();
            v.direction = if call.inbound { "ENTRANTE" } else { "SALIENTE" }.into();
            if call.inbound {
                v.ani = call.phone.clone();
                v.dnis = call.dnis.clone();
            } else {
                v.phone = call.phone.clone();
            }
            v.phone_last = call.phone.clone();
            v.ringing_at = Some(call.started_at);
            if call.customer_leg.is_some() {
                v.associated_channels
                    .push(format!("SIP/TRONCAL-{:08x}", call.id));
            }
            if let Some(consult) = &a.consult {
                v.associated_channels
                    .push(format!("SIP/{}-consulta", consult.target.replace(' ', "")));
            }
            if let Some(conf) = &a.conference {
                v.associated_channels
                    .extend(conf.participants.iter().map(|p| format!("SIP/{p}-conf")));
            }
            if call.recording {
                v.recording = true;
                v.recording_file = format!(
                    "{}-{}-{}.mp3",
                    call.phone,
                    call.id,
                    call.started_at.format("%Y%m%d%H%M%S")
                );
            }
        }
        Ok(v)
    }

    // ----- time -----------------------------------------------------------------------

    /// Moves simulated time: phones answer, schedules come back, queued calls find agents.
    pub fn advance(&mut self, now: NaiveDateTime) {
        if now > self.now {
            self.now = now;
        }
        let now = self.now;
        let customer_delay = ms(self.scenario.settings.customer_answer_ms);
        for call in self.calls.values_mut() {
            if let Leg::Ringing(Some(at)) = call.agent_leg
                && at <= now
            {
                call.agent_leg = Leg::Up;
                // Preview, progressive and manual calls dial the customer once the agent is on.
                if call.customer_leg.is_none() {
                    call.customer_leg = Some(Leg::Ringing(customer_delay.map(|d| now + d)));
                }
            }
            if let Some(Leg::Ringing(Some(at))) = call.customer_leg
                && at <= now
            {
                call.customer_leg = Some(Leg::Up);
            }
        }
        for agent in self.agents.values_mut() {
            if let Some(c) = agent.consult.as_mut()
                && c.answer_at.is_some_and(|at| at <= now)
            {
                c.answered = true;
                c.answer_at = None;
            }
        }
        let due: Vec<PendingSchedule> = {
            let (due, later) = std::mem::take(&mut self.schedules)
                .into_iter()
                .partition(|s| s.at <= now);
            self.schedules = later;
            due
        };
        for s in due {
            if self.deliver_schedule(&s).is_err() {
                // Nobody to take it yet: try again on a later tick.
                self.schedules.push(s);
            }
        }
        self.route_waiting();
    }

    /// The earliest timed event, for harnesses that jump time forward.
    pub fn next_event_at(&self) -> Option<NaiveDateTime> {
        let legs = self.calls.values().flat_map(|c| {
            let agent = match c.agent_leg {
                Leg::Ringing(at) => at,
                Leg::Up => None,
            };
            let customer = match c.customer_leg {
                Some(Leg::Ringing(at)) => at,
                _ => None,
            };
            agent.into_iter().chain(customer)
        });
        let consults = self
            .agents
            .values()
            .filter_map(|a| a.consult.as_ref().and_then(|c| c.answer_at));
        let schedules = self
            .schedules
            .iter()
            .map(|s| s.at)
            .filter(|at| *at > self.now);
        legs.chain(consults).chain(schedules).min()
    }

    fn deliver_schedule(&mut self, s: &PendingSchedule) -> Result<(), ControlError> {
        let user = match &s.user {
            Some(u) if self.agents.get(u).is_some_and(Agent::is_available) => u.clone(),
            _ => self.available_agent(s.campaign)?,
        };
        let delivered = self.deliver(s.campaign, &user, s.key, "AGENDA", s.phone.clone())?;
        if let Some(a) = self.agents.get_mut(&delivered.user) {
            a.schedule_id = Some(s.id);
        }
        Ok(())
    }

    // ----- control (the /sim/ API) ----------------------------------------------------

    fn available_agent(&self, campaign: i64) -> Result<String, ControlError> {
        self.agents
            .values()
            .find(|a| a.outbound_campaign == campaign && a.is_available())
            .map(|a| a.user.clone())
            .ok_or_else(|| ControlError(format!("no available agent in campaign {campaign}")))
    }

    /// The campaign's dialer hands a contact to an agent (`/sim/dialer/deliver`).
    pub fn deliver_contact(
        &mut self,
        now: NaiveDateTime,
        req: &DeliverRequest,
    ) -> Result<Delivered, ControlError> {
        self.advance(now);
        let campaign = self
            .campaign(req.campaign)
            .cloned()
            .ok_or_else(|| ControlError(format!("campaign {} not found", req.campaign)))?;
        if campaign.dialer == Dialer::Manual {
            return Err(ControlError(format!(
                "campaign {} is manual: its agents dial by hand",
                campaign.id
            )));
        }
        let user = match &req.user {
            Some(u) => {
                let a = self
                    .agents
                    .get(u)
                    .ok_or_else(|| ControlError(format!("user {u} is not logged in")))?;
                if a.outbound_campaign != campaign.id || !a.is_available() {
                    return Err(ControlError(format!(
                        "user {u} is not available in campaign {}",
                        campaign.id
                    )));
                }
                u.clone()
            }
            None => self.available_agent(campaign.id)?,
        };
        let key = match req.contact {
            Some(k) => {
                if !self.contacts.contains_key(&(k.base, k.id)) {
                    return Err(ControlError(format!(
                        "contact {} not found in base {}",
                        k.id, k.base
                    )));
                }
                k
            }
            None => self.next_contact_of(&campaign)?,
        };
        self.deliver(campaign.id, &user, key, "NO PROCESADO", None)
    }

    fn next_contact_of(&mut self, campaign: &Campaign) -> Result<ContactKey, ControlError> {
        // A set: with a thousand agents on calls, a list made every delivery quadratic.
        let busy: std::collections::BTreeSet<(i64, i64)> = self
            .calls
            .values()
            .filter_map(|c| c.contact.as_ref().map(|o| (o.base, o.id)))
            .collect();
        // Round robin over the base: the first free contact after the last one delivered,
        // found by walking the ordered map from there (no list of every candidate).
        let base = campaign.base;
        let after = self.dialer_cursor.get(&campaign.id).copied();
        let eligible = |(&(b, id), _): (&(i64, i64), &ContactRecord)| {
            (b == base && !self.closed.contains(&(b, id)) && !busy.contains(&(b, id)))
                .then_some(ContactKey { base: b, id })
        };
        let from = after.map_or(i64::MIN, |id| id.saturating_add(1));
        let key = self
            .contacts
            .range((base, from)..=(base, i64::MAX))
            .find_map(eligible)
            .or_else(|| {
                self.contacts
                    .range((base, i64::MIN)..=(base, i64::MAX))
                    .find_map(eligible)
            })
            .ok_or_else(|| {
                ControlError(format!(
                    "base {} of campaign {} has no contact left to dial",
                    campaign.base, campaign.id
                ))
            })?;
        self.dialer_cursor.insert(campaign.id, key.id);
        Ok(key)
    }

    fn deliver(
        &mut self,
        campaign: i64,
        user: &str,
        key: ContactKey,
        origin: &str,
        phone: Option<String>,
    ) -> Result<Delivered, ControlError> {
        let c = self
            .campaign(campaign)
            .cloned()
            .ok_or_else(|| ControlError(format!("campaign {campaign} not found")))?;
        let contact = self
            .contacts
            .get(&(key.base, key.id))
            .cloned()
            .ok_or_else(|| ControlError(format!("contact {} not found", key.id)))?;
        let phone = phone
            .or_else(|| contact.phones.first().cloned())
            .unwrap_or_default();
        let agent_answer = ms(self.scenario.settings.agent_answer_ms).map(|d| self.now + d);
        let predictive = c.dialer == Dialer::Predictive;
        let id = self.new_call(Call {
            id: 0,
            user: None,
            dialer: Some(c.dialer),
            inbound: false,
            phone,
            dnis: String::new(),
            campaign: c.id,
            queue: 0,
            contact: Some(OnScreen {
                crm: c.crm,
                base: key.base,
                id: key.id,
                data: contact.clave_1.clone(),
                ..OnScreen::default()
            }),
            origin: origin.into(),
            call_type: "OriginateExt".into(),
            agent_leg: Leg::Ringing(agent_answer),
            // Predictive: the customer is already on the line when the agent's phone rings.
            customer_leg: predictive.then_some(Leg::Up),
            started_at: self.now,
            recording: c.record,
            dtmf: Vec::new(),
            transferred_to: None,
            route_campaign: None,
            transferred_by: None,
        });
        self.attach_call(user, id);
        Ok(Delivered {
            user: user.into(),
            call_id: id,
            base: key.base,
            contact_id: key.id,
            data: contact.clave_1,
        })
    }

    /// An inbound call reaches a queue (`/sim/inbound`): `CONTACTO_INSERT_SALESFORCE` finds
    /// the caller by `Clave_1` = DATA or inserts one, and the call goes to an available agent.
    pub fn place_inbound_call(
        &mut self,
        now: NaiveDateTime,
        req: &InboundRequest,
    ) -> Result<InboundPlaced, ControlError> {
        self.advance(now);
        let queue = self
            .scenario
            .queues
            .iter()
            .find(|q| q.id == req.queue)
            .cloned()
            .ok_or_else(|| ControlError(format!("queue {} not found", req.queue)))?;
        let data = req.data.clone().unwrap_or_default();
        // CONTACTO_INSERT_SALESFORCE searches the whole CRM by Clave_1 (the queue's own base
        // first) and inserts into the queue's base (the seed's IDDATABASE) when missing.
        let bases = self.crm_bases(queue.crm);
        let found = (!data.is_empty())
            .then(|| {
                self.contacts
                    .values()
                    .filter(|c| {
                        c.clave_1 == data && (c.base == queue.base || bases.contains(&c.base))
                    })
                    .min_by_key(|c| (c.base != queue.base, c.base, c.id))
                    .map(|c| (c.base, c.id))
            })
            .flatten();
        let (base, contact_id) = match found {
            Some(key) => key,
            None => {
                let id = self.next_contact;
                self.next_contact += 1;
                // An empty DATA is completed with the new contact's id (the seed's private-number case).
                let clave_1 = if data.is_empty() {
                    id.to_string()
                } else {
                    data.clone()
                };
                let phones = if req.ani.is_empty() {
                    vec![]
                } else {
                    vec![req.ani.clone()]
                };
                self.contacts.insert(
                    (queue.base, id),
                    ContactRecord {
                        base: queue.base,
                        id,
                        clave_1,
                        name: String::new(),
                        phones,
                    },
                );
                (queue.base, id)
            }
        };
        let clavesf = format!("{contact_id}-{data}");
        let agent_answer = ms(self.scenario.settings.agent_answer_ms).map(|d| self.now + d);
        let call_id = self.new_call(Call {
            id: 0,
            user: None,
            dialer: None,
            inbound: true,
            phone: req.ani.clone(),
            dnis: queue.dnis.clone(),
            campaign: 0,
            queue: queue.id,
            // The queue hands the agent the CLAVESF as DATA and as CLAVE, searched by Clave_1.
            contact: Some(OnScreen {
                crm: queue.crm,
                base,
                id: contact_id,
                data: clavesf.clone(),
                clave: clavesf.clone(),
                search_field: "Clave_1".into(),
            }),
            origin: String::new(),
            call_type: "NotSet".into(),
            agent_leg: Leg::Ringing(agent_answer),
            customer_leg: Some(Leg::Up),
            started_at: self.now,
            recording: false,
            dtmf: Vec::new(),
            transferred_to: None,
            route_campaign: None,
            transferred_by: None,
        });
        self.waiting.push_back(call_id);
        self.route_waiting();
        let user = self.calls.get(&call_id).and_then(|c| c.user.clone());
        Ok(InboundPlaced {
            call_id,
            base,
            contact_id,
            clavesf,
            user,
        })
    }

    /// The customer answers (`/sim/calls/{id}/answer`).
    pub fn customer_answer(
        &mut self,
        now: NaiveDateTime,
        call_id: i64,
    ) -> Result<(), ControlError> {
        self.advance(now);
        let call = self
            .calls
            .get_mut(&call_id)
            .ok_or_else(|| ControlError(format!("call {call_id} not found")))?;
        match call.customer_leg {
            Some(Leg::Up) => Err(ControlError(format!(
                "call {call_id}: the customer is already on the line"
            ))),
            Some(Leg::Ringing(_)) => {
                call.customer_leg = Some(Leg::Up);
                Ok(())
            }
            None => Err(ControlError(format!(
                "call {call_id}: the customer is not being dialed yet"
            ))),
        }
    }

    /// The customer hangs up (`/sim/calls/{id}/hangup`).
    pub fn customer_hangup(
        &mut self,
        now: NaiveDateTime,
        call_id: i64,
    ) -> Result<(), ControlError> {
        self.advance(now);
        if !self.calls.contains_key(&call_id) {
            return Err(ControlError(format!("call {call_id} not found")));
        }
        self.end_call(call_id);
        Ok(())
    }

    /// The agent's SIP phone answers (`/sim/agents/{user}/answer`).
    pub fn agent_answer(&mut self, now: NaiveDateTime, user: &str) -> Result<(), ControlError> {
        self.advance(now);
        let call_id = self
            .agents
            .get(user)
            .and_then(|a| a.call)
            .ok_or_else(|| ControlError(format!("user {user} has no call ringing")))?;
        let call = self.calls.get_mut(&call_id).expect("agent's call exists");
        if call.agent_leg == Leg::Up {
            return Err(ControlError(format!("user {user} already answered")));
        }
        call.agent_leg = Leg::Up;
        if call.customer_leg.is_none() {
            let delay = ms(self.scenario.settings.customer_answer_ms);
            call.customer_leg = Some(Leg::Ringing(delay.map(|d| now + d)));
        }
        Ok(())
    }

    /// Every NeoApi call received, in order.
    pub fn journal(&self) -> &[JournalEntry] {
        &self.journal
    }

    /// What each categorized or closed contact ended with, in order.
    pub fn outcomes(&self) -> &[Outcome] {
        &self.outcomes
    }

    /// Text messages sent.
    pub fn texts(&self) -> &[TextMessage] {
        &self.texts
    }

    /// DTMF digits sent on a call still up, in order.
    pub fn dtmf(&self, call_id: i64) -> Option<&[String]> {
        self.calls.get(&call_id).map(|c| c.dtmf.as_slice())
    }

    /// The agent's state as JSON (for `/sim/agents/{user}`), with its `Position` string.
    pub fn agent_json(&self, user: &str) -> Option<Value> {
        let agent = self.agents.get(user)?;
        let call = agent.call.and_then(|id| self.calls.get(&id));
        Some(json!({
            "agent": agent,
            "call": call,
            "position": self.position(user).ok(),
        }))
    }

    /// A contact of the CRM bases.
    pub fn contact(&self, base: i64, id: i64) -> Option<&ContactRecord> {
        self.contacts.get(&(base, id))
    }

    /// Current platform time.
    pub fn now(&self) -> NaiveDateTime {
        self.now
    }
}

#[derive(Debug, Clone, Copy)]
enum Target {
    Extension,
    Queue,
    Campaign,
}

/// `CAMPAÑA` (or its Ñ-free twin `CAMPANA`) as an int.
fn campaign_param(p: &Params<'_>) -> Result<i64, Fault> {
    if p.get("CAMPAÑA").is_some() {
        p.int("CAMPAÑA")
    } else {
        p.int("CAMPANA").map_err(|_| Fault {
            message: "Missing parameter: CAMPAÑA.".into(),
        })
    }
}

fn not_logged(user: &str) -> String {
    format!("User {user} not logged.")
}

fn settings_server(s: &Scenario) -> String {
    s.settings.server.clone()
}

/// `SUB_ESTADO` of a call leg: ringing at the agent, dialing the customer, or bridged.
fn sub_state(call: &Call) -> &'static str {
    match (call.agent_leg, call.customer_leg) {
        (Leg::Ringing(_), _) => "RINGING",
        (Leg::Up, Some(Leg::Up)) => "AGENT",
        (Leg::Up, _) => "DIALING",
    }
}
