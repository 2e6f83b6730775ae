//! F-DIAL, F-MANUAL, F-DTMF: the call in progress as `Position` shows it, dialing and hanging
//! up (click-to-dial numbers normalized), and DTMF digits one at a time, in the order typed.

use serde::{Deserialize, Serialize};

use std::collections::VecDeque;
use std::time::Duration;

use chrono::NaiveDateTime;
use neotel_api::{Direction, Position, Request};
use sf_callcenter::normalize_number;

use crate::io::ApiResult;
use crate::message::{Code, Message};
use crate::view::{CallPhase, Participant};

use super::Session;
use super::contact::{ContactState, LastCall};
use super::notices;
use super::outbox::Pending;
use super::timer::Timer;

/// The call in progress.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct CallState {
    pub(super) id: i64,
    pub(super) phone: String,
    pub(super) inbound: bool,
    pub(super) bridged: bool,
    /// The agent's phone rings (`SUB_ESTADO=RINGING`).
    pub(super) ringing: bool,
    /// The queue an inbound call came through.
    pub(super) queue: Option<i64>,
    /// No contact came with it: the agent dialed it (F-MANUAL).
    pub(super) manual: bool,
    pub(super) conference: Option<i64>,
    /// F-CONF: who Neotel took an invitation for, while the conference lasts.
    pub(super) participants: Vec<Participant>,
    /// Neotel's wall time (kept across a restart).
    pub(super) started: NaiveDateTime,
}

impl CallState {
    pub(super) fn phase(&self) -> CallPhase {
        if self.bridged {
            CallPhase::Talking
        } else if self.ringing || self.inbound {
            CallPhase::Ringing
        } else {
            CallPhase::Dialing
        }
    }
}

/// The most DTMF digits on their way at once: an IVR's longest entry (a card number, an
/// account) fits; one message of thousands of digits must not become thousands of NeoApi calls.
pub const MAX_DTMF_DIGITS: usize = 32;

#[derive(Debug, Clone, Default)]
pub(super) struct Calls {
    pub(super) call: Option<CallState>,
    /// F-DTMF: digits typed but not sent yet. NeoApi calls run concurrently, so each digit
    /// waits for the previous one's answer to keep their order.
    dtmf: VecDeque<char>,
    /// The digits of the batch sent so far (confirmed once the last is).
    dtmf_sent: String,
}

impl Session {
    /// A number the agent typed or clicked, as NeoApi takes it: its digits, a leading `+` as
    /// the international prefix, the outside prefix first (W-CLICK2DIAL's rule, for every
    /// number: a call, a transfer, an invitation, a schedule's other phone, a text message).
    pub(super) fn number(&self, typed: &str) -> Result<String, Message> {
        normalize_number(typed, &self.config.dialing).map_err(|_| Message::new(Code::NoDigits))
    }

    pub(super) fn dial(&mut self, number: &str) -> Result<(), Message> {
        let phone = self.number(number)?;
        let user = self.user();
        self.api(Request::Dial { user, phone }, Pending::Dial);
        self.poll();
        Ok(())
    }

    pub(super) fn hangup(&mut self) -> Result<(), Message> {
        let user = self.user();
        self.api(Request::Hangup { user }, Pending::Command);
        self.poll();
        Ok(())
    }

    pub(super) fn send_dtmf(&mut self, digits: &str) -> Result<(), Message> {
        // The last batch's "sent" is not about these digits, sent or refused.
        self.forget(Code::DtmfSent);
        if digits.is_empty()
            || !digits
                .chars()
                .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
        {
            return Err(Code::BadDtmf.into());
        }
        // Digits are ASCII here: bytes are digits. Those still queued count too.
        if self.calls.dtmf.len() + digits.len() > MAX_DTMF_DIGITS {
            return Err(Message::new(Code::DtmfTooLong).with("max", MAX_DTMF_DIGITS));
        }
        // Sent one by one, as the seed asks, in the order typed.
        if self.calls.dtmf.is_empty() && !self.out.waiting(|p| matches!(p, Pending::Dtmf)) {
            self.calls.dtmf_sent.clear();
        }
        self.calls.dtmf.extend(digits.chars());
        self.send_next_digit();
        Ok(())
    }

    /// Sends the next typed digit unless one is on its way.
    fn send_next_digit(&mut self) {
        let in_flight = self.out.waiting(|p| matches!(p, Pending::Dtmf));
        if in_flight || self.calls.call.is_none() {
            return;
        }
        if let Some(d) = self.calls.dtmf.pop_front() {
            self.calls.dtmf_sent.push(d);
            let user = self.user();
            self.api(
                Request::SendDtmf {
                    user,
                    digits: d.to_string(),
                },
                Pending::Dtmf,
            );
        }
    }

    pub(super) fn digit_answered(&mut self, result: ApiResult) {
        match result {
            Ok(_) if self.calls.dtmf.is_empty() => {
                let digits = std::mem::take(&mut self.calls.dtmf_sent);
                self.notify_briefly(Message::new(Code::DtmfSent).with("digits", digits));
            }
            Ok(_) => self.send_next_digit(),
            Err(e) => {
                self.calls.dtmf_sent.clear();
                let unsent: String = self.calls.dtmf.drain(..).collect();
                let why = notices::fault(&e);
                self.notices.error = Some(if unsent.is_empty() {
                    why
                } else {
                    let text = why.param("text").unwrap_or(why.code.as_str()).to_owned();
                    Message::new(Code::DtmfNotSent)
                        .with("digits", unsent)
                        .with("text", text)
                });
            }
        }
    }

    /// The call as `Position` shows it: up (its state kept), or gone.
    pub(super) fn track_call(&mut self, p: &Position) {
        // The contact's call: the one it came with (or the first after the click-to-dial search
        // took it, or a preview contact's once dialed). Any later call while it is on screen
        // (dialed during its wrap-up) is another call, with its own log, whatever `Position`
        // says: Neotel names the held contact during any call of the agent.
        let of_contact = |c: &ContactState, id: i64| {
            c.call.as_ref().is_some_and(|cc| cc.id == id)
                || (c.call.is_none() && c.last_call.is_none())
        };
        match p.call_id() {
            Some(id) => {
                let known = self.calls.call.as_ref().filter(|c| c.id == id);
                let started = known.map_or_else(|| self.wall(), |c| c.started);
                let conference = p.conference();
                // The invited stay listed while the conference lasts.
                let participants = known
                    .filter(|_| conference.is_some())
                    .map(|c| c.participants.clone())
                    .unwrap_or_default();
                // The agent dialed it (F-MANUAL): no contact came with it, or it is a call of its
                // own while a contact is on screen (the contact's own call is not).
                let manual = match self.contact.as_ref() {
                    Some(c) => !of_contact(c, id),
                    None => p.contact().is_none(),
                };
                self.calls.call = Some(CallState {
                    id,
                    phone: p.customer_phone().to_owned(),
                    inbound: matches!(p.direction(), Some(Direction::Inbound)),
                    bridged: p.is_bridged(),
                    ringing: p.sub_state().trim().eq_ignore_ascii_case("RINGING"),
                    queue: p.queue(),
                    manual,
                    conference,
                    participants,
                    started,
                });
            }
            None => {
                self.transfer = None;
                if let Some(ended) = self.calls.call.take() {
                    self.call_ended(ended);
                }
            }
        }
        if let (Some(c), Some(call)) = (self.contact.as_mut(), self.calls.call.as_ref())
            && !c.released
            && of_contact(c, call.id)
        {
            c.call = Some(call.clone());
        }
    }

    fn call_ended(&mut self, call: CallState) {
        // Digits typed for this call are not for the next one.
        self.calls.dtmf.clear();
        let ended = LastCall {
            id: call.id,
            duration_secs: self.secs_since(call.started),
            phone: call.phone.clone(),
            manual: call.manual,
            inbound: call.inbound,
            ended: self.wall(),
        };
        let of_contact = self
            .contact
            .as_ref()
            .is_some_and(|c| c.call.as_ref().is_some_and(|cc| cc.id == call.id));
        if let Some(c) = self.contact.as_mut().filter(|_| of_contact) {
            c.last_call = Some(ended.clone());
            c.call = None;
        }
        if of_contact {
            self.save_task();
            // Released during the call: the outcome is final now the call is over.
            if self.contact.as_ref().is_some_and(|c| c.released) {
                self.close_contact_call();
            }
            if let Some(secs) = self.options.automatic_release {
                let at = self.now() + Duration::from_secs(u64::from(secs));
                self.timers.set(Timer::AutoRelease, at);
            }
        } else {
            // A call of no contact (F-MANUAL, or made during a contact's wrap-up) leaves its
            // own Task: a contact's Task is never rewritten for another call (W-ACTIVITY).
            self.save_task_without_contact(&ended);
            self.close_call(&ended, None, crate::crm::ClosedContact::default());
        }
    }

    /// Whom the customer is: the call's number, else the contact's last call's.
    pub(super) fn customer_phone(&self) -> String {
        self.calls
            .call
            .as_ref()
            .map(|c| c.phone.clone())
            .or_else(|| {
                self.contact
                    .as_ref()
                    .and_then(|c| c.last_call.as_ref().map(|l| l.phone.clone()))
            })
            .unwrap_or_default()
    }
}
