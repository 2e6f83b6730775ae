//! The CRM side: the contact on the agent's screen, the `ESTADO_CRM` handshake
//! (`CRM_ShowingContact`, `CRM_Available`, `CRM_Unavailable`), dispositions
//! (`UpdateContact`, `CloseContact`) and the CRM bases.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::agents::CrmState;
use super::{Fault, Params, Platform, fault};
use crate::scenario::ContactRecord;

/// A contact's identity in Neotel's CRM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactKey {
    /// `BASE`.
    pub base: i64,
    /// `IDCONTACTO`.
    pub id: i64,
}

/// The contact a call brings to the agent's screen (`CRM`, `BASE`, `IDCONTACTO`, `DATA`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(super) struct OnScreen {
    pub(super) crm: i64,
    pub(super) base: i64,
    pub(super) id: i64,
    pub(super) data: String,
    /// `CLAVE`: the key the queue hands over (inbound: the `CLAVESF`).
    pub(super) clave: String,
    /// `CAMPO_BUSQUEDA`: the field that key is searched by.
    pub(super) search_field: String,
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

impl Platform {
    pub(super) fn showing_contact(&mut self, p: &Params<'_>, with_base: bool) -> Result<(), Fault> {
        let id = p.int("IDCONTACTO")?;
        let base = if with_base {
            Some(p.int("BASE")?)
        } else {
            None
        };
        let (agent, now) = self.agent_now(p)?;
        let user = agent.user.clone();
        match &agent.contact {
            Some(c) if c.id == id && base.is_none_or(|b| b == c.base) => {
                agent.set_crm(CrmState::ShowingContact, now);
                Ok(())
            }
            _ => fault(format!("Contact {id} is not assigned to user {user}")),
        }
    }

    pub(super) fn crm_available(&mut self, p: &Params<'_>) -> Result<(), Fault> {
        let (agent, now) = self.agent_now(p)?;
        agent.set_crm(CrmState::Available, now);
        // The contact leaves the agent once the CRM is free again (the call, if any, stays).
        if agent.call.is_none() {
            agent.contact = None;
            agent.schedule_id = None;
        }
        Ok(())
    }

    pub(super) fn crm_unavailable(&mut self, p: &Params<'_>) -> Result<(), Fault> {
        let (agent, now) = self.agent_now(p)?;
        if agent.crm_state == CrmState::Available {
            agent.set_crm(CrmState::Unavailable, now);
        }
        Ok(())
    }

    /// A contact of the CRM bases, or the fault NeoApi answers for an unknown one.
    pub(super) fn known_contact(&self, key: ContactKey) -> Result<(), Fault> {
        let ContactKey { base, id } = key;
        if self.contacts.contains_key(&(base, id)) {
            Ok(())
        } else {
            fault(format!("Contact {id} not found in base {base}"))
        }
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

    pub(super) fn update_contact(&mut self, p: &Params<'_>) -> Result<(), Fault> {
        let crm = p.int("CRM")?;
        let key = p.contact_key()?;
        let sub = p.int("SUBCATEGORIA")?;
        let agenda = p.boolean("AGENDA")?;
        let when = p.date("FECHA_AGENDA")?;
        let user = p.text("USUARIO");
        self.agent(&user)?;
        self.known_contact(key)?;
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
        let phone = p.non_empty("TEL_AGENDA");
        if let Some(at) = schedule {
            let sched_user = p.non_empty("USUARIO_AGENDA");
            let campaign = self.agents.get(&user).map_or(0, |a| a.outbound_campaign);
            let campaign = if campaign == 0 {
                self.campaign_of_base(key.base).unwrap_or(0)
            } else {
                campaign
            };
            self.book_schedule(at, key, sched_user, phone.clone(), campaign);
        }
        self.outcomes.push(Outcome {
            base: key.base,
            contact_id: key.id,
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

    pub(super) fn close_contact(&mut self, p: &Params<'_>) -> Result<(), Fault> {
        let key = p.contact_key()?;
        self.known_contact(key)?;
        self.closed.insert((key.base, key.id));
        self.outcomes.push(Outcome {
            base: key.base,
            contact_id: key.id,
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

    pub(super) fn crm_bases(&self, crm: i64) -> Vec<i64> {
        let s = &self.scenario;
        let campaigns = s.campaigns.iter().map(|c| (c.crm, c.base));
        let queues = s.queues.iter().map(|q| (q.crm, q.base));
        campaigns
            .chain(queues)
            .filter(|(c, _)| *c == crm)
            .map(|(_, base)| base)
            .collect()
    }

    /// What each categorized or closed contact ended with, in order.
    pub fn outcomes(&self) -> &[Outcome] {
        &self.outcomes
    }

    /// A contact of the CRM bases.
    pub fn contact(&self, base: i64, id: i64) -> Option<&ContactRecord> {
        self.contacts.get(&(base, id))
    }
}
