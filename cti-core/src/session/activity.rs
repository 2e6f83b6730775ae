//! W-ACTIVITY: each call's log (`saveActivityLog`; a Task under Open CTI), created when the
//! call ends and updated with the release; one log per call. A save the surface refused is
//! tried again while its contact is on screen; a creation whose answer was lost is looked up
//! (the surface finds a call's log by its call id) before it is made again, and only once it
//! can no longer land.

use serde::{Deserialize, Serialize};

use std::time::{Duration, Instant};

use sf_callcenter::{CallType, NeotelData};

use crate::crm::{
    Answer, Ask, CallClosed, CallLog, ClosedContact, CrmError, CrmResult, Outcome, RecordRef,
};
use crate::message::{Code, Message};

use super::contact::{LastCall, ReleaseSent};
use super::notices::Scope;
use super::outbox::{Purpose, SentRequest};
use super::timer::Timer;
use super::{RETRY_LIMIT, Session};

/// How long after a page got a log's creation it may still land: the page gives up on a
/// request after 10 s (its `TIMEOUT` answer), so a page that went away without answering may
/// have it landing until then.
pub(super) const LOG_SETTLE: Duration = Duration::from_secs(10);

/// A log creation whose answer was lost, to look up once it can no longer land.
#[derive(Debug, Clone)]
pub(super) struct LostLog {
    /// When it can be looked up.
    pub(super) due: Instant,
    /// The contact it was for, if any.
    pub(super) contact: Option<u64>,
    /// The creation, made once the surface says it did not happen.
    pub(super) create: Box<CallLog>,
}

/// Where the call's Task stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum TaskSave {
    NotSaved,
    /// A creation is on its way.
    Creating,
    /// A creation's answer was lost: Salesforce is asked whether it happened.
    LookingUp,
    Saved(String),
    /// Whether the Task exists cannot be known: nothing more is written (the agent is told).
    Unknown,
}

impl Session {
    /// The log of a call that ended, before anything of its contact goes in.
    fn log_of(&self, call: &LastCall) -> CallLog {
        let (call_type, subject) = if call.inbound {
            (CallType::Inbound, Code::TaskInbound)
        } else {
            (CallType::Outbound, Code::TaskOutbound)
        };
        let described = self.options.use_task_description;
        CallLog {
            subject: Message::new(subject).with("phone", &call.phone),
            call_type,
            call_id: call.id,
            phone: call.phone.clone(),
            duration_secs: call.duration_secs,
            category: None,
            callback: None,
            manual: (described && call.manual)
                .then(|| Message::new(Code::TaskManual).with("phone", &call.phone)),
            notes: None,
            record: None,
            campaign_record: None,
            date: self.today(),
        }
    }

    /// The contact's call's log as it stands, or `None` before the call ended.
    fn call_log(&self) -> Option<CallLog> {
        let c = self.contact.as_ref()?;
        let described = self.options.use_task_description;
        Some(CallLog {
            category: c.category_name.clone(),
            // The log says when the customer is called back, whatever the description setting.
            callback: c
                .callback
                .map(|at| Message::new(Code::TaskCallback).with("at", at.format("%d/%m/%Y %H:%M"))),
            notes: described.then(|| c.draft.notes.clone()),
            record: c.record.as_ref().map(|r| RecordRef {
                id: r.id.clone(),
                object_type: r.object_type.clone(),
                name: None,
            }),
            campaign_record: c.campaign_record.clone(),
            ..self.log_of(c.last_call.as_ref()?)
        })
    }

    /// Creates the call's log, or updates it once created.
    pub(super) fn save_task(&mut self) {
        if !self.options.save_activity_log {
            return;
        }
        let Some(log) = self.call_log() else {
            return;
        };
        let Some(c) = self.contact.as_mut() else {
            return;
        };
        let existing = match &c.task {
            TaskSave::Saved(id) => Some(id.clone()),
            // The answer of the creation (or of its look-up) brings the id, then the update.
            TaskSave::Creating | TaskSave::LookingUp | TaskSave::Unknown => return,
            TaskSave::NotSaved => {
                c.task = TaskSave::Creating;
                None
            }
        };
        self.request(
            Ask::LogCall {
                log: Box::new(log),
                existing,
            },
            Purpose::Log,
        );
    }

    /// The contact's call's outcome is final: told once ([`CallClosed`]), after the call ended
    /// (a contact released during its call is closed when the call ends). With the release
    /// Neotel took, if any.
    pub(super) fn close_contact_call(&mut self) {
        let Some(c) = self.contact.as_mut().filter(|c| !c.closed) else {
            return;
        };
        let Some(call) = c.last_call.clone() else {
            return;
        };
        c.closed = true;
        let outcome = c.released.then(|| c.outcome.clone().unwrap_or_default());
        let value = |d: NeotelData| c.values.get(&d).filter(|v| !v.is_empty()).cloned();
        let contact = ClosedContact {
            base_id: value(NeotelData::ContactBaseId),
            crm_id: value(NeotelData::CrmId),
            search_by: value(NeotelData::SearchBy),
        };
        self.close_call(&call, outcome, contact);
    }

    /// Tells that `call`'s outcome is final (with the release Neotel took, if any).
    pub(super) fn close_call(
        &mut self,
        call: &LastCall,
        outcome: Option<ReleaseSent>,
        contact: ClosedContact,
    ) {
        let released = outcome.as_ref().map(|_| self.utc(self.wall()));
        let outcome = outcome.unwrap_or_default();
        self.closing.push(CallClosed {
            id: call.id,
            duration_secs: call.duration_secs,
            ended: self.utc(call.ended),
            category: outcome.category,
            notes: Some(outcome.notes).filter(|n| !n.trim().is_empty()),
            callback: outcome.callback,
            released,
            contact,
        });
    }

    /// A call without a contact (F-MANUAL) still leaves its log.
    pub(super) fn save_task_without_contact(&mut self, call: &LastCall) {
        if self.options.save_activity_log {
            let log = Box::new(self.log_of(call));
            let ask = Ask::LogCall {
                log,
                existing: None,
            };
            self.request(ask, Purpose::Other);
        }
    }

    /// After the contact's record changed: the log, if saved, follows it.
    pub(super) fn update_saved_task(&mut self) {
        if self
            .contact
            .as_ref()
            .is_some_and(|c| matches!(c.task, TaskSave::Saved(_)))
        {
            self.save_task();
        }
    }

    /// A log creation whose answer was lost may have happened: once it can no longer land
    /// (`due`), the surface is asked before `create` runs again. `contact` is the handle of
    /// the contact it was for, if any.
    pub(super) fn look_up_log(&mut self, due: Instant, contact: Option<u64>, create: Box<CallLog>) {
        if let Some(c) = self.contact.as_mut().filter(|c| Some(c.handle) == contact) {
            c.task = TaskSave::LookingUp;
        }
        self.lost_logs.push(LostLog {
            due,
            contact,
            create,
        });
        self.schedule_log_lookups();
    }

    fn schedule_log_lookups(&mut self) {
        match self.lost_logs.iter().map(|l| l.due).min() {
            Some(at) => self.timers.set(Timer::LookUpLogs, at),
            None => self.timers.stop(Timer::LookUpLogs),
        }
    }

    /// The lost creations whose time has come are looked up.
    pub(super) fn look_up_lost_logs(&mut self) {
        let now = self.now();
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.lost_logs)
            .into_iter()
            .partition(|l| l.due <= now);
        self.lost_logs = later;
        for lost in due {
            let ask = Ask::FindCallLog {
                call_id: lost.create.call_id,
            };
            // About the contact it was for, not the one on screen now.
            let why = Purpose::LogLookup {
                create: lost.create,
            };
            self.request_about(lost.contact, ask, why);
        }
        self.schedule_log_lookups();
    }

    /// The contact's log creation was on its way when the server stopped: the surface is
    /// asked whether it happened (the creation is the same one, rebuilt from the contact), once
    /// the page that had it can no longer land it.
    pub(super) fn look_up_lost_task(&mut self, handle: u64) {
        if let Some(create) = self.call_log() {
            let due = self.now() + LOG_SETTLE;
            self.look_up_log(due, Some(handle), Box::new(create));
        }
    }

    /// A contactless call's log creation timed out: looked up, not repeated blindly.
    pub(super) fn log_creation_lost(&mut self, sent: &SentRequest, result: &CrmResult) -> bool {
        if let (
            Purpose::Other,
            Err(e),
            Ask::LogCall {
                log,
                existing: None,
            },
        ) = (&sent.why, result, &sent.ask)
            && e.outcome == Outcome::Unknown
        {
            // The page waited its 10 s before saying so: nothing of it is on its way.
            self.look_up_log(self.now(), None, log.clone());
            return true;
        }
        false
    }

    pub(super) fn log_saved(&mut self, sent: &SentRequest, answer: &Answer) {
        let mut created = false;
        if let Some(c) = self
            .contact
            .as_mut()
            .filter(|c| Some(c.handle) == sent.contact)
        {
            c.task_retries = 0;
            if c.task == TaskSave::Creating
                && let Answer::Logged(Some(id)) = answer
            {
                c.task = TaskSave::Saved(id.clone());
                created = true;
            }
        }
        self.forget(Code::TaskRetrying);
        // A release made while the log was being created goes in now.
        if created && self.contact.as_ref().is_some_and(|c| c.released) {
            self.save_task();
        }
    }

    /// A log the surface did not save is tried again while its contact is on screen; when
    /// that does not work the agent is told, so the call can be logged by hand.
    pub(super) fn log_failed(&mut self, e: &CrmError, sent: &SentRequest) {
        let Some(c) = self
            .contact
            .as_mut()
            .filter(|c| Some(c.handle) == sent.contact)
        else {
            return;
        };
        let creating = c.task == TaskSave::Creating;
        if creating {
            c.task = TaskSave::NotSaved;
        }
        if let (true, Outcome::Unknown, Ask::LogCall { log, .. }) = (creating, e.outcome, &sent.ask)
        {
            let (handle, log) = (c.handle, log.clone());
            self.look_up_log(self.now(), Some(handle), log);
            return;
        }
        if c.task_retries < RETRY_LIMIT {
            c.task_retries += 1;
            let backoff = Duration::from_secs(1 << c.task_retries);
            self.timers.set(Timer::RetryTask, self.now() + backoff);
            self.notify(Code::TaskRetrying, Scope::Contact);
        } else {
            self.forget(Code::TaskRetrying);
            self.notices.error =
                Some(Message::new(Code::TaskNotSaved).with("error", e.description.clone()));
        }
    }

    /// The look-up of a log creation whose answer was lost.
    pub(super) fn log_looked_up(
        &mut self,
        result: CrmResult,
        sent: &SentRequest,
        create: Box<CallLog>,
    ) {
        let found = match &result {
            Ok(Answer::LogFound(found)) => Some(found.clone()),
            _ => None,
        };
        let Some(c) = self
            .contact
            .as_mut()
            .filter(|c| Some(c.handle) == sent.contact)
        else {
            // Its contact is gone: the creation is made if it never happened, and that is all.
            if found == Some(None) {
                let ask = Ask::LogCall {
                    log: create,
                    existing: None,
                };
                self.request(ask, Purpose::Other);
            }
            return;
        };
        match found {
            Some(Some(id)) => {
                // It happened: that log is the call's; it gets the latest fields.
                c.task = TaskSave::Saved(id);
                self.save_task();
            }
            Some(None) => {
                c.task = TaskSave::NotSaved;
                self.save_task();
            }
            None => {
                c.task = TaskSave::Unknown;
                let why = result.err().map(|e| e.description).unwrap_or_default();
                self.notices.error = Some(Message::new(Code::TaskUnknown).with("error", why));
            }
        }
    }

    /// X-CAMPAIGN-ENTITY: the record the contact's call's log is related to, found by the
    /// call's campaign in the object `campaignEntityName` names (asked once per campaign).
    pub(super) fn find_campaign_record(&mut self, campaign: i64) {
        let Some(object_type) = self.options.campaign_entity.clone() else {
            return;
        };
        let key = (object_type.clone(), campaign);
        if let Some(known) = self.campaign_records.get(&key).cloned() {
            if let Some(c) = self.contact.as_mut() {
                c.campaign_record = known;
            }
            return;
        }
        let ask = Ask::FindCampaignRecord {
            object_type: object_type.clone(),
            campaign,
        };
        self.request(
            ask,
            Purpose::CampaignRecord {
                object_type,
                campaign,
            },
        );
    }

    pub(super) fn campaign_record_found(
        &mut self,
        sent: &SentRequest,
        object_type: String,
        campaign: i64,
        found: Vec<sf_callcenter::SearchMatch>,
    ) {
        // Only the one record of that campaign: none, or several, relates nothing.
        let record = match found.as_slice() {
            [one] => Some(RecordRef {
                id: one.id.clone(),
                object_type: one.object_type.clone(),
                name: Some(one.name.clone()),
            }),
            _ => None,
        };
        self.campaign_records
            .insert((object_type, campaign), record.clone());
        if let Some(c) = self
            .contact
            .as_mut()
            .filter(|c| Some(c.handle) == sent.contact)
        {
            c.campaign_record = record;
        }
        self.update_saved_task();
    }
}
