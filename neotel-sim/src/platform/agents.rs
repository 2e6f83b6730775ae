//! Agent sessions: login and logout on a position, outbound campaigns and breaks.

use chrono::NaiveDateTime;
use serde::Serialize;
use serde_json::{Value, json};

use super::calls::LastCall;
use super::conference::Conference;
use super::crm::OnScreen;
use super::transfers::Consult;
use super::{Fault, Params, Platform, fault};

/// `ESTADO_CRM`: the dialer↔CRM handshake, as the platform keeps it per agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(super) enum CrmState {
    Available,
    GetContact,
    ShowingContact,
    Unavailable,
}

impl CrmState {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Available => "Available",
            Self::GetContact => "GetContact",
            Self::ShowingContact => "ShowingContact",
            Self::Unavailable => "Unavailable",
        }
    }
}

/// A logged-in user: its position, campaign, break, CRM state and current call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct Agent {
    pub(super) user: String,
    pub(super) device: String,
    pub(super) login_at: NaiveDateTime,
    pub(super) outbound_campaign: i64,
    pub(super) campaign_login_at: Option<NaiveDateTime>,
    pub(super) break_subtype: i64,
    pub(super) break_at: Option<NaiveDateTime>,
    pub(super) crm_state: CrmState,
    pub(super) crm_at: Option<NaiveDateTime>,
    pub(super) call: Option<i64>,
    pub(super) contact: Option<OnScreen>,
    pub(super) schedule_id: Option<i64>,
    pub(super) last: LastCall,
    pub(super) call_state_at: Option<NaiveDateTime>,
    pub(super) consult: Option<Consult>,
    pub(super) conference: Option<Conference>,
    pub(super) monitoring: Option<String>,
}

impl Agent {
    /// A session just opened on `device`: available, in no campaign, no call yet.
    fn logged_in(user: String, device: String, now: NaiveDateTime) -> Self {
        Self {
            user,
            device,
            login_at: now,
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
        }
    }

    /// Free for the next call or contact: no break, the CRM free, no call.
    pub(super) fn is_available(&self) -> bool {
        self.break_subtype == 0 && self.crm_state == CrmState::Available && self.call.is_none()
    }

    /// `SAL_CAMPAÑA_DEFAULT` and when it was set (`0`: none).
    pub(super) fn set_campaign(&mut self, id: i64, at: Option<NaiveDateTime>) {
        self.outbound_campaign = id;
        self.campaign_login_at = at;
    }

    /// `SUBTIPO_DESCANSO` and when the break started (`0`: none).
    pub(super) fn set_break(&mut self, subtype: i64, at: Option<NaiveDateTime>) {
        self.break_subtype = subtype;
        self.break_at = at;
    }

    /// `ESTADO_CRM` and `INICIO_CRM`.
    pub(super) fn set_crm(&mut self, state: CrmState, at: NaiveDateTime) {
        self.crm_state = state;
        self.crm_at = Some(at);
    }
}

impl Platform {
    pub(super) fn login(&mut self, p: &Params<'_>) -> Result<(), Fault> {
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
        let agent = Agent::logged_in(user.clone(), device, self.now);
        self.agents.insert(user, agent);
        Ok(())
    }

    pub(super) fn logout(&mut self, p: &Params<'_>) -> Result<(), Fault> {
        let user = p.text("USUARIO");
        if let Some(call) = self.agent(&user)?.call {
            self.end_call(call);
        }
        self.agents.remove(&user);
        Ok(())
    }

    /// The `USUARIO` agent, or the `not logged` fault.
    pub(super) fn agent_mut(&mut self, p: &Params<'_>) -> Result<&mut Agent, Fault> {
        self.agent_named_mut(&p.text("USUARIO"))
    }

    /// The `USUARIO` agent and the platform time, to stamp what it changes.
    pub(super) fn agent_now(
        &mut self,
        p: &Params<'_>,
    ) -> Result<(&mut Agent, NaiveDateTime), Fault> {
        let now = self.now;
        Ok((self.agent_mut(p)?, now))
    }

    /// That agent, or the `not logged` fault.
    pub(super) fn agent_named_mut(&mut self, user: &str) -> Result<&mut Agent, Fault> {
        self.agents
            .get_mut(user)
            .map_or_else(|| fault(not_logged(user)), Ok)
    }

    /// That agent, or the `not logged` fault.
    pub(super) fn agent(&self, user: &str) -> Result<&Agent, Fault> {
        self.agents
            .get(user)
            .map_or_else(|| fault(not_logged(user)), Ok)
    }

    pub(super) fn login_campaign(&mut self, p: &Params<'_>, param: &str) -> Result<(), Fault> {
        let id = p.int(param)?;
        if self.campaign(id).is_none() {
            return fault(format!("Campaign {id} not found"));
        }
        let (agent, now) = self.agent_now(p)?;
        agent.set_campaign(id, Some(now));
        Ok(())
    }

    pub(super) fn pause(&mut self, p: &Params<'_>) -> Result<(), Fault> {
        let subtype = p.int("SUBTIPO_DESCANSO")?;
        if !self.scenario.breaks.iter().any(|b| b.id == subtype) {
            return fault(format!("Break subtype {subtype} not found"));
        }
        let (agent, now) = self.agent_now(p)?;
        agent.set_break(subtype, Some(now));
        Ok(())
    }

    pub(super) fn toggle_break(
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
        let (agent, now) = self.agent_now(p)?;
        if on {
            agent.set_break(subtype, Some(now));
        } else if agent.break_subtype == subtype {
            agent.set_break(0, None);
        }
        Ok(())
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
}

fn not_logged(user: &str) -> String {
    format!("User {user} not logged.")
}
