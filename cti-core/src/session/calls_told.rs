//! The call events ([`CallEvent`]): what happened to the calls, announced once, at the end of
//! the input that changed it and in a fixed order, from the state the session keeps (never
//! from views, which coalesce). A surface that follows calls (Salesforce Voice) publishes
//! them; the others ignore them.
//!
//! A resumed session starts from what it restored (the contact's call, its wrap-up, the state):
//! a call its snapshot kept is not announced again; one it did not keep may be, and a surface
//! takes a call it knows once.

use chrono::NaiveDateTime;
use neotel_api::DialerType;
use serde::{Deserialize, Serialize};
use sf_callcenter::{CallType, NeotelData};

use crate::crm::{CallEvent, CallOrigin, CallStart};
use crate::io::Output;
use crate::view::AgentStatus;

use super::Session;

/// A call as last announced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Told {
    id: i64,
    started: NaiveDateTime,
    connected: bool,
    consulting: bool,
    conference: bool,
}

/// What the surface was last told (kept in the snapshot: a resumed session does not tell it
/// again).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Announced {
    call: Option<Told>,
    /// The call whose wrap-up is on.
    wrap_up: Option<i64>,
    status: Option<(AgentStatus, Option<i64>)>,
}

impl Session {
    /// What there is to tell now.
    fn to_tell(&self) -> Announced {
        let call = self.calls.call.as_ref().map(|c| Told {
            id: c.id,
            started: c.started,
            connected: c.bridged,
            consulting: self.transfer.is_some(),
            conference: c.conference.is_some(),
        });
        let wrap_up = self
            .contact
            .as_ref()
            .filter(|_| self.calls.call.is_none())
            .and_then(|c| c.last_call.as_ref())
            .map(|l| l.id);
        Announced {
            call,
            wrap_up,
            status: Some((self.status(), self.neotel.break_id)),
        }
    }

    /// A resumed session takes what its snapshot says was told; a snapshot of a build that
    /// told nothing, what it restored.
    pub(super) fn told_as_restored(&mut self, stored: Option<Announced>) {
        self.announced = stored.unwrap_or_else(|| self.to_tell());
    }

    /// What was last announced, for the snapshot.
    pub(super) fn announced(&self) -> &Announced {
        &self.announced
    }

    /// The call in progress as the surface was told of it: how it started and whether it is
    /// connected (for a surface page that attaches while it is up).
    #[must_use]
    pub fn current_call(&self) -> Option<(CallStart, bool)> {
        let told = self.announced.call.as_ref()?;
        Some((self.call_start(told.id), told.connected))
    }

    fn tell(&mut self, event: CallEvent) {
        self.out.push(Output::Call(event));
    }

    /// Announces what changed since the last announcement (once Neotel has said where the
    /// agent stands: nothing is announced from the defaults).
    pub(super) fn announce_calls(&mut self) {
        if !self.neotel.seen {
            return;
        }
        let now = self.to_tell();
        if now == self.announced {
            self.tell_closed();
            return;
        }
        let before = std::mem::replace(&mut self.announced, now.clone());
        let same = |a: &Told, b: &Told| a.id == b.id;
        match (&before.call, &now.call) {
            (Some(old), Some(new)) if same(old, new) => {
                if !old.connected && new.connected {
                    self.tell(CallEvent::Connected { id: new.id });
                }
                if old.consulting && !new.consulting {
                    self.tell(CallEvent::ConsultEnded { id: new.id });
                }
                if !old.consulting && new.consulting {
                    self.consult_started(new.id);
                }
                if !old.conference && new.conference {
                    self.tell(CallEvent::Conferenced { id: new.id });
                }
            }
            (old, new) => {
                if let Some(old) = old {
                    if old.consulting {
                        self.tell(CallEvent::ConsultEnded { id: old.id });
                    }
                    let duration_secs = self.secs_since(old.started);
                    self.tell(CallEvent::Ended {
                        id: old.id,
                        duration_secs,
                    });
                }
                if let Some(new) = new {
                    let start = self.call_start(new.id);
                    self.tell(CallEvent::Started(start));
                    if new.connected {
                        self.tell(CallEvent::Connected { id: new.id });
                    }
                    if new.consulting {
                        self.consult_started(new.id);
                    }
                    if new.conference {
                        self.tell(CallEvent::Conferenced { id: new.id });
                    }
                }
            }
        }
        if before.wrap_up != now.wrap_up {
            if let Some(id) = before.wrap_up {
                self.tell(CallEvent::WrapUpEnded { id });
            }
            if let Some(id) = now.wrap_up {
                self.tell(CallEvent::WrapUpStarted { id });
            }
        }
        self.tell_closed();
        if before.status != now.status
            && let Some((status, break_id)) = now.status
        {
            self.tell(CallEvent::Status { status, break_id });
        }
    }

    /// The calls whose outcome became final, after their `Ended`.
    fn tell_closed(&mut self) {
        for closed in std::mem::take(&mut self.closing) {
            self.tell(CallEvent::Closed(Box::new(closed)));
        }
    }

    fn consult_started(&mut self, id: i64) {
        if let Some(target) = self.transfer.clone() {
            self.tell(CallEvent::ConsultStarted { id, target });
        }
    }

    /// The call `id` as it starts: where it came from, and the contact it came with.
    fn call_start(&self, id: i64) -> CallStart {
        let call = self.calls.call.as_ref().filter(|c| c.id == id);
        let contact = self
            .contact
            .as_ref()
            .filter(|c| c.call.as_ref().is_some_and(|cc| cc.id == id));
        let value = |datum| contact.and_then(|c| c.values.get(&datum).cloned());
        let inbound = call.is_some_and(|c| c.inbound);
        let origin = match (contact, call) {
            (_, Some(c)) if c.inbound && c.queue.is_some() => CallOrigin::Queue,
            (Some(c), _) if c.delivered => CallOrigin::Dialer,
            _ => CallOrigin::Agent,
        };
        let dialer = value(NeotelData::CallDialer)
            .filter(|d| *d != DialerType::NotSet.as_str() && origin == CallOrigin::Dialer);
        CallStart {
            id,
            phone: call.map(|c| c.phone.clone()).unwrap_or_default(),
            direction: if inbound {
                CallType::Inbound
            } else {
                CallType::Outbound
            },
            origin,
            dialer,
            campaign: value(NeotelData::CallCampaign).and_then(|v| v.parse().ok()),
            queue: call.and_then(|c| c.queue),
            contact_id: contact.map(|c| c.contact.id),
            key: contact.map(|c| c.key.clone()),
        }
    }
}
