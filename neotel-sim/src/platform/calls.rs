//! Calls: the two legs (agent and customer), dialing by hand, hanging up, DTMF,
//! recording, and the control API's answers and hangups.

use chrono::{Duration, NaiveDateTime};
use serde::Serialize;

use super::agents::CrmState;
use super::crm::OnScreen;
use super::{ControlError, Fault, Params, Platform, fault, ms};
use crate::scenario::Dialer;

/// One side of a call: ringing, or up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(super) enum Leg {
    /// Ringing; answers by itself at the instant when set.
    Ringing(Option<NaiveDateTime>),
    Up,
}

/// A call the platform is carrying, from the first ring to its end.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct Call {
    pub(super) id: i64,
    pub(super) user: Option<String>,
    pub(super) dialer: Option<Dialer>,
    pub(super) inbound: bool,
    pub(super) phone: String,
    pub(super) dnis: String,
    pub(super) campaign: i64,
    pub(super) queue: i64,
    pub(super) contact: Option<OnScreen>,
    pub(super) origin: String,
    pub(super) call_type: String,
    pub(super) agent_leg: Leg,
    /// `None` until the platform starts dialing the customer.
    pub(super) customer_leg: Option<Leg>,
    pub(super) started_at: NaiveDateTime,
    pub(super) recording: bool,
    pub(super) dtmf: Vec<String>,
    pub(super) transferred_to: Option<String>,
    /// A call waiting for an agent of this campaign only (a transfer to a campaign).
    pub(super) route_campaign: Option<i64>,
    /// The agent who transferred the call away (it does not come back to them).
    pub(super) transferred_by: Option<String>,
}

impl Call {
    /// `DIRECCION`.
    pub(super) fn direction(&self) -> &'static str {
        if self.inbound { "ENTRANTE" } else { "SALIENTE" }
    }

    /// The agent's phone answers; a customer not yet dialed is dialed now, and answers
    /// by itself after `customer_delay` (when set).
    pub(super) fn agent_answers(&mut self, now: NaiveDateTime, customer_delay: Option<Duration>) {
        self.agent_leg = Leg::Up;
        if self.customer_leg.is_none() {
            self.customer_leg = Some(Leg::Ringing(customer_delay.map(|d| now + d)));
        }
    }
}

/// What `_ULT` keys tell of an agent's last call.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(super) struct LastCall {
    pub(super) call_id: i64,
    pub(super) campaign: i64,
    pub(super) queue: i64,
    pub(super) phone: String,
    pub(super) call_type: String,
    pub(super) origin: String,
    pub(super) direction: String,
    pub(super) sub_state: String,
}

impl Platform {
    /// A new call ringing the agent's phone (which answers by itself after
    /// `agent_answer_ms`, when set), nothing else known yet: what every call starts from.
    pub(super) fn ringing_call(&self, phone: String, call_type: &str) -> Call {
        Call {
            id: 0,
            user: None,
            dialer: None,
            inbound: false,
            phone,
            dnis: String::new(),
            campaign: 0,
            queue: 0,
            contact: None,
            origin: String::new(),
            call_type: call_type.into(),
            agent_leg: Leg::Ringing(self.agent_answer_at()),
            customer_leg: None,
            started_at: self.now,
            recording: false,
            dtmf: Vec::new(),
            transferred_to: None,
            route_campaign: None,
            transferred_by: None,
        }
    }

    /// When a phone ringing now answers by itself (`agent_answer_ms`), if it does.
    pub(super) fn agent_answer_at(&self) -> Option<NaiveDateTime> {
        ms(self.scenario.settings.agent_answer_ms).map(|d| self.now + d)
    }

    /// The agent's call, for the methods that act on it.
    pub(super) fn current_call_mut(&mut self, p: &Params<'_>) -> Result<&mut Call, Fault> {
        let id = self.current_call(p)?;
        Ok(self.calls.get_mut(&id).expect("current call exists"))
    }

    pub(super) fn current_call(&self, p: &Params<'_>) -> Result<i64, Fault> {
        let user = p.text("USUARIO");
        self.agent(&user)?
            .call
            .map_or_else(|| fault(format!("User {user} has no active call")), Ok)
    }

    pub(super) fn dial(&mut self, p: &Params<'_>) -> Result<(), Fault> {
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
        let id = self.new_call(Call {
            user: Some(user.clone()),
            dialer: Some(Dialer::Manual),
            campaign,
            recording,
            ..self.ringing_call(phone, "Manual")
        });
        self.attach_call(&user, id);
        Ok(())
    }

    pub(super) fn new_call(&mut self, mut call: Call) -> i64 {
        let id = self.next_call;
        self.next_call += 1;
        call.id = id;
        self.calls.insert(id, call);
        id
    }

    /// Gives a call to an agent: `IDLLAMADA` set, the contact (if any) on screen.
    pub(super) fn attach_call(&mut self, user: &str, call_id: i64) {
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
            agent.set_crm(CrmState::GetContact, now);
        }
    }

    pub(super) fn hangup(&mut self, p: &Params<'_>) -> Result<(), Fault> {
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
    pub(super) fn end_call(&mut self, call_id: i64) {
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
            direction: call.direction().into(),
            sub_state: sub_state(&call).into(),
        };
        agent.call = None;
        agent.consult = None;
        agent.conference = None;
        agent.call_state_at = Some(self.now);
    }

    pub(super) fn send_dtmf(&mut self, p: &Params<'_>) -> Result<(), Fault> {
        let digits = p.text("DIGITOS");
        if digits.is_empty()
            || !digits
                .chars()
                .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
        {
            return fault(format!("Invalid DTMF digits {digits}"));
        }
        self.current_call_mut(p)?.dtmf.push(digits);
        Ok(())
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
        call.agent_answers(now, ms(self.scenario.settings.customer_answer_ms));
        Ok(())
    }

    /// DTMF digits sent on a call still up, in order.
    pub fn dtmf(&self, call_id: i64) -> Option<&[String]> {
        self.calls.get(&call_id).map(|c| c.dtmf.as_slice())
    }
}

/// `SUB_ESTADO` of a call leg: ringing at the agent, dialing the customer, or bridged.
pub(super) fn sub_state(call: &Call) -> &'static str {
    match (call.agent_leg, call.customer_leg) {
        (Leg::Ringing(_), _) => "RINGING",
        (Leg::Up, Some(Leg::Up)) => "AGENT",
        (Leg::Up, _) => "DIALING",
    }
}
