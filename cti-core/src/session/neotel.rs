//! Neotel's side: the `Position` poll (Neotel's documented flow polls it; the session's
//! cadence is faster while a call is set up and slower in a break) and what each snapshot says.
//! The agent's state follows `neotel_api::AgentState::of`, the one rule for it.

use std::time::Duration;

use neotel_api::{AgentState, CrmState, FaultKind, Position, PositionDate, Reply, Request};

use crate::io::ApiResult;
use crate::message::{Code, Message};

use super::Session;
use super::notices::Scope;
use super::outbox::Pending;
use super::timer::Timer;

#[derive(Debug, Clone, Default)]
pub(super) struct Neotel {
    /// The outbound campaign joined.
    pub(super) campaign: Option<i64>,
    /// The break state, when Neotel's rule says the agent is in a break.
    pub(super) break_id: Option<i64>,
    /// Since when (Neotel's wall time: `INICIO_DESCANSO`, else when first seen).
    pub(super) break_since: Option<chrono::NaiveDateTime>,
    /// Neotel's CRM holds the agent (`ESTADO_CRM` is not `Available`): Play frees it.
    pub(super) crm_holds: bool,
    /// A snapshot has been read.
    pub(super) seen: bool,
    poll_in_flight: bool,
}

impl Session {
    /// Asks for the next `Position` now, unless one is on its way.
    pub(super) fn poll(&mut self) {
        if !self.neotel.poll_in_flight {
            self.neotel.poll_in_flight = true;
            let user = self.user();
            self.api(Request::Position { user }, Pending::Poll);
        }
        self.timers.stop(Timer::Poll);
    }

    /// The poll cadence: faster while a call is being set up, slower in a break.
    fn poll_delay(&self) -> Duration {
        let base = self.config.poll_interval;
        if self.calls.call.as_ref().is_some_and(|c| !c.bridged)
            || self.contact.as_ref().is_some_and(|c| !c.searched)
        {
            base / 2
        } else if self.neotel.break_id.is_some() {
            base * 3
        } else {
            base
        }
    }

    pub(super) fn position_answered(&mut self, result: ApiResult) {
        self.neotel.poll_in_flight = false;
        let delay = self.poll_delay();
        self.timers.set(Timer::Poll, self.now() + delay);
        // Each poll's trouble lasts until a poll goes through: nothing stale stays on screen.
        let trouble = match result {
            Ok(Reply::String(text)) => match Position::parse(&text) {
                Ok(p) => {
                    self.on_position(&p);
                    None
                }
                Err(e) => Some(Message::new(Code::BadPosition).with("error", e.to_string())),
            },
            Ok(other) => Some(Message::new(Code::BadPosition).with("error", format!("{other:?}"))),
            Err(e) if e.fault_kind() == Some(FaultKind::NotLogged) => {
                self.signed_out_by_neotel();
                return;
            }
            Err(_) => Some(Message::new(Code::NeotelUnreachable)),
        };
        self.forget(Code::BadPosition);
        self.forget(Code::NeotelUnreachable);
        if let Some(m) = trouble {
            self.notify(m, Scope::Session);
        }
    }

    fn on_position(&mut self, p: &Position) {
        self.neotel.seen = true;
        self.neotel.campaign = p.outbound_campaign();
        let break_id = match AgentState::of(p) {
            AgentState::Paused { break_subtype } => Some(break_subtype),
            _ => None,
        };
        if break_id.is_none() {
            self.neotel.break_since = None;
        } else if self.neotel.break_id != break_id {
            let wall = self.wall();
            let started = p.date(PositionDate::BreakStart).filter(|at| *at <= wall);
            self.neotel.break_since = Some(started.unwrap_or(wall));
        }
        self.neotel.break_id = break_id;
        self.neotel.crm_holds = !matches!(p.crm_state(), CrmState::Available);
        self.track_call(p);
        self.contact_from_position(p);
        self.search_when_due(p);
    }
}
