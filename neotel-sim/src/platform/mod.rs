//! The platform engine: agents, positions, calls, dialers, queues, CRM bases, schedules,
//! transfers, conferences and per-install tasks. Pure: no sockets, no clock; every call
//! takes `now` (the Neotel server's local time).
//!
//! This file holds the platform's state and the NeoApi method table ([`Platform::call_via`]
//! dispatches by name); each feature's types and rules live in its own file: `agents`
//! (sessions, campaigns, breaks), `crm` (the contact handshake and dispositions),
//! `schedules`, `calls`, `dialer`, `inbound` (queues), `transfers`, `conference`, `tasks`
//! (per-install tasks), `position` (the `Position` snapshot), `time` and `journal`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use chrono::{Duration, NaiveDateTime};

use crate::scenario::{Campaign, ContactRecord, Scenario};

mod agents;
mod calls;
mod conference;
mod crm;
mod dialer;
mod inbound;
mod journal;
mod params;
mod position;
mod schedules;
mod tasks;
mod time;
mod transfers;

use agents::Agent;
use calls::Call;
use params::Params;
use schedules::PendingSchedule;
use transfers::Target;

pub use crm::{ContactKey, Outcome};
pub use dialer::{DeliverRequest, Delivered};
pub use inbound::{InboundPlaced, InboundRequest};
pub use journal::{Binding, JournalEntry};
pub use tasks::TextMessage;

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

/// What ASP.NET answers for a method the service does not have.
fn unknown_method<T>(method: &str) -> Result<T, Fault> {
    fault(format!(
        "Request format is unrecognized for URL unexpectedly ending in '/{method}'."
    ))
}

/// A control operation (the `/sim/` API) that cannot be done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ControlError(pub String);

/// The simulated platform.
#[derive(Debug, Clone)]
pub struct Platform {
    scenario: Scenario,
    contacts: BTreeMap<(i64, i64), ContactRecord>,
    closed: BTreeSet<(i64, i64)>,
    agents: BTreeMap<String, Agent>,
    calls: BTreeMap<i64, Call>,
    waiting: VecDeque<i64>,
    schedules: Vec<PendingSchedule>,
    outcomes: Vec<Outcome>,
    journal: Vec<JournalEntry>,
    journal_seq: u64,
    /// Calls applied, by method (lower case): never trimmed, unlike the journal.
    applied: BTreeMap<String, u64>,
    texts: Vec<TextMessage>,
    /// Per campaign, the id of the last contact its dialer delivered.
    dialer_cursor: BTreeMap<i64, i64>,
    next_call: i64,
    next_contact: i64,
    next_conference: i64,
    next_schedule: i64,
    now: NaiveDateTime,
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
            applied: BTreeMap::new(),
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
        if result.is_ok() {
            *self.applied.entry(method.to_ascii_lowercase()).or_default() += 1;
        }
        self.record(now, binding, method, params, status, reply);
        result
    }

    /// How many calls of `method` (any case) the platform applied: what a test compares with
    /// what the agents did, to see a write made once and not twice.
    pub fn applied(&self, method: &str) -> u64 {
        self.applied
            .get(&method.to_ascii_lowercase())
            .copied()
            .unwrap_or_default()
    }

    /// Every method's applied count (lower-case names).
    pub fn applied_counts(&self) -> &BTreeMap<String, u64> {
        &self.applied
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
            "logout_campaign" | "logout_campaña" => {
                void(self.agent_mut(p).map(|a| a.set_campaign(0, None)))
            }
            "pause" => void(self.pause(p)),
            // The old toggles: a break of the install's "Descanso" / "Tiempo Administrativo".
            "descanso" => void(self.toggle_break(p, "DESCANSO", "Descanso", 1)),
            "tiempo_administrativo" => {
                void(self.toggle_break(p, "TIEMPO_ADM", "Tiempo Administrativo", 2))
            }
            "unpause" => void(self.agent_mut(p).map(|a| a.set_break(0, None))),
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
                self.current_call_mut(p)?.recording = start;
                Ok(Reply::Void)
            }
            _ => unknown_method(method),
        }
    }

    fn campaign(&self, id: i64) -> Option<&Campaign> {
        self.scenario.campaigns.iter().find(|c| c.id == id)
    }
}

fn ms(n: u64) -> Option<Duration> {
    (n > 0).then(|| Duration::milliseconds(i64::try_from(n).unwrap_or(i64::MAX / 2)))
}
