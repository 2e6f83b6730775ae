//! The outbound dialers: a campaign's dialer hands a contact to an available agent
//! (`/sim/dialer/deliver`), round-robin over its base.

use std::collections::BTreeSet;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::calls::{Call, Leg};
use super::crm::{ContactKey, OnScreen};
use super::{ControlError, Platform};
use crate::scenario::{Campaign, ContactRecord, Dialer};

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

impl Platform {
    pub(super) fn available_agent(&self, campaign: i64) -> Result<String, ControlError> {
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
        let busy: BTreeSet<(i64, i64)> = self
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

    pub(super) fn deliver(
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
        let predictive = c.dialer == Dialer::Predictive;
        let id = self.new_call(Call {
            dialer: Some(c.dialer),
            campaign: c.id,
            contact: Some(OnScreen {
                crm: c.crm,
                base: key.base,
                id: key.id,
                data: contact.clave_1.clone(),
                ..OnScreen::default()
            }),
            origin: origin.into(),
            // Predictive: the customer is already on the line when the agent's phone rings.
            customer_leg: predictive.then_some(Leg::Up),
            recording: c.record,
            ..self.ringing_call(phone, "OriginateExt")
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
}
