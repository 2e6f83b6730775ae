//! Schedules (callbacks): set by `UpdateContact` and `AddScheduleCall`, delivered back
//! through the campaign's dialer when due.

use chrono::NaiveDateTime;
use serde::Serialize;

use super::agents::Agent;
use super::crm::ContactKey;
use super::{ControlError, Fault, Params, Platform};

/// A callback waiting for its time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct PendingSchedule {
    pub(super) id: i64,
    pub(super) at: NaiveDateTime,
    pub(super) key: ContactKey,
    pub(super) user: Option<String>,
    pub(super) phone: Option<String>,
    pub(super) campaign: i64,
}

impl Platform {
    pub(super) fn add_schedule_call(&mut self, p: &Params<'_>) -> Result<String, Fault> {
        let key = p.contact_key()?;
        let at = p.date("FECHA_AGENDA")?;
        let user = p.text("USUARIO");
        self.agent(&user)?;
        self.known_contact(key)?;
        let campaign = self.campaign_of_base(key.base).unwrap_or(0);
        let phone = p.non_empty("TELEFONO");
        let schedule_id = self.book_schedule(at, key, Some(user), phone, campaign);
        Ok(schedule_id.to_string())
    }

    /// Books a callback under a new schedule id (the one `AddScheduleCall` answers).
    pub(super) fn book_schedule(
        &mut self,
        at: NaiveDateTime,
        key: ContactKey,
        user: Option<String>,
        phone: Option<String>,
        campaign: i64,
    ) -> i64 {
        let id = self.next_schedule;
        self.next_schedule += 1;
        self.schedules.push(PendingSchedule {
            id,
            at,
            key,
            user,
            phone,
            campaign,
        });
        id
    }

    pub(super) fn campaign_of_base(&self, base: i64) -> Option<i64> {
        self.scenario
            .campaigns
            .iter()
            .find(|c| c.base == base)
            .map(|c| c.id)
    }

    pub(super) fn deliver_schedule(&mut self, s: &PendingSchedule) -> Result<(), ControlError> {
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
}
