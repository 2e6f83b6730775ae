//! Inbound calls and the waiting line: a call reaches a queue (`/sim/inbound`),
//! `CONTACTO_INSERT_SALESFORCE` finds or inserts its contact, and queued calls (inbound
//! or transferred) go to the first free agent each may reach.

use std::collections::VecDeque;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::calls::{Call, Leg};
use super::crm::OnScreen;
use super::{ControlError, Platform};
use crate::scenario::ContactRecord;

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

impl Platform {
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
        let call_id = self.new_call(Call {
            inbound: true,
            dnis: queue.dnis.clone(),
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
            customer_leg: Some(Leg::Up),
            ..self.ringing_call(req.ani.clone(), "NotSet")
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

    /// Queued calls go, in order, to the first free agent each may reach.
    pub(super) fn route_waiting(&mut self) {
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
}
