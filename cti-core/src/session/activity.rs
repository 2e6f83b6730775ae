//! W-ACTIVITY: each call's Task (`saveActivityLog`), created when the call ends and updated
//! with the release; one Task per call. A save Salesforce refused is tried again while its
//! contact is on screen; a creation whose answer was lost is looked up
//! (`NeotelDataRetrieval.getTaskByCallObject`) before it is made again.

use serde::{Deserialize, Serialize};

use std::time::Duration;

use serde_json::{Map, Value};
use sf_callcenter::{CallRecord, CallType, LinkedRecord, task_create, task_update};

use crate::effect::SalesforceAction;
use crate::io::SalesforceError;
use crate::message::{Code, Message};

use super::contact::LastCall;
use super::notices::Scope;
use super::outbox::{PendingEffect, SentEffect};
use super::sync::apex_records;
use super::timer::Timer;
use super::{RETRY_LIMIT, Session};

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

/// A `saveLog` that creates a Task (not an update by Id, not a record's Neotel fields).
pub(super) fn is_task_creation(value: &Map<String, Value>) -> bool {
    !value.contains_key("Id") && value.get("entityApiName").and_then(Value::as_str) == Some("Task")
}

impl Session {
    fn record_of(&self, call: &LastCall) -> CallRecord {
        CallRecord {
            call_type: if call.inbound {
                CallType::Inbound
            } else {
                CallType::Outbound
            },
            call_id: call.id,
            phone: call.phone.clone(),
            duration_secs: call.duration_secs,
            disposition: None,
            notes: String::new(),
            manual: call.manual,
            record: None,
            date: self.today(),
        }
    }

    /// The contact's call's Task as it stands, or `None` before the call ended.
    fn call_record(&self) -> Option<CallRecord> {
        let c = self.contact.as_ref()?;
        let mut disposition = c.category_name.clone();
        if let Some(at) = c.callback {
            // The Task says when the customer is called back, whatever the description setting.
            let when = format!("Agenda {}", at.format("%d/%m/%Y %H:%M"));
            disposition = Some(match disposition {
                Some(d) => format!("{d} · {when}"),
                None => when,
            });
        }
        Some(CallRecord {
            disposition,
            notes: c.draft.notes.clone(),
            record: c.record.as_ref().map(|r| LinkedRecord {
                id: r.id.clone(),
                object_type: r.object_type.clone(),
            }),
            ..self.record_of(c.last_call.as_ref()?)
        })
    }

    /// Creates the call's Task, or updates it once created.
    pub(super) fn save_task(&mut self) {
        if !self.options.save_activity_log {
            return;
        }
        let Some(record) = self.call_record() else {
            return;
        };
        let Some(c) = self.contact.as_mut() else {
            return;
        };
        let value = match &c.task {
            TaskSave::Saved(id) => task_update(id, &record, &self.options),
            // The answer of the creation (or of its look-up) brings the id, then the update.
            TaskSave::Creating | TaskSave::LookingUp | TaskSave::Unknown => return,
            TaskSave::NotSaved => {
                c.task = TaskSave::Creating;
                task_create(&record, &self.options)
            }
        };
        self.effect(SalesforceAction::SaveLog { value }, PendingEffect::Task);
    }

    /// A call without a contact (F-MANUAL) still leaves its Task.
    pub(super) fn save_task_without_contact(&mut self, call: &LastCall) {
        if self.options.save_activity_log {
            let value = task_create(&self.record_of(call), &self.options);
            self.effect(SalesforceAction::SaveLog { value }, PendingEffect::Other);
        }
    }

    /// After the contact's record changed: the Task, if saved, follows it.
    pub(super) fn update_saved_task(&mut self) {
        if self
            .contact
            .as_ref()
            .is_some_and(|c| matches!(c.task, TaskSave::Saved(_)))
        {
            self.save_task();
        }
    }

    /// A Task creation whose answer was lost may have happened: Salesforce is asked before
    /// `create` runs again. `contact` is the handle of the contact it was for, if any.
    pub(super) fn look_up_task(&mut self, contact: Option<u64>, create: Map<String, Value>) {
        let call = create
            .get("CallObject")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if let Some(c) = self.contact.as_mut().filter(|c| Some(c.handle) == contact) {
            c.task = TaskSave::LookingUp;
        }
        self.effect(
            SalesforceAction::RunApex {
                apex_class: "NeotelDataRetrieval",
                method_name: "getTaskByCallObject".into(),
                method_params: format!("CallObject={call}"),
            },
            PendingEffect::TaskLookup { create },
        );
    }

    /// The contact's Task creation was on its way when the server stopped: Salesforce is asked
    /// whether it happened (the creation is the same one, rebuilt from the contact).
    pub(super) fn look_up_lost_task(&mut self, handle: u64) {
        if let Some(record) = self.call_record() {
            let create = task_create(&record, &self.options);
            self.look_up_task(Some(handle), create);
        }
    }

    /// A contactless call's Task creation timed out: looked up, not repeated blindly.
    pub(super) fn task_creation_lost(
        &mut self,
        sent: &SentEffect,
        result: &Result<Value, SalesforceError>,
    ) -> bool {
        if let (PendingEffect::Other, Err(e), SalesforceAction::SaveLog { value }) =
            (&sent.why, result, &sent.action)
            && e.code == "TIMEOUT"
            && is_task_creation(value)
        {
            self.look_up_task(None, value.clone());
            return true;
        }
        false
    }

    pub(super) fn task_saved(&mut self, sent: &SentEffect, v: &Value) {
        let mut created = false;
        if let Some(c) = self
            .contact
            .as_mut()
            .filter(|c| Some(c.handle) == sent.contact)
        {
            c.task_retries = 0;
            if c.task == TaskSave::Creating
                && let Some(id) = v.as_str()
            {
                c.task = TaskSave::Saved(id.to_owned());
                created = true;
            }
        }
        self.forget(Code::TaskRetrying);
        // A release made while the Task was being created goes in now.
        if created && self.contact.as_ref().is_some_and(|c| c.released) {
            self.save_task();
        }
    }

    /// A Task Salesforce did not save is tried again while its contact is on screen; when
    /// that does not work the agent is told, so the call can be logged by hand.
    pub(super) fn task_failed(&mut self, e: &SalesforceError, sent: &SentEffect) {
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
        if let (true, "TIMEOUT", SalesforceAction::SaveLog { value }) =
            (creating, e.code.as_str(), &sent.action)
        {
            let (handle, value) = (c.handle, value.clone());
            self.look_up_task(Some(handle), value);
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

    /// The look-up of a Task creation whose answer was lost.
    pub(super) fn task_looked_up(
        &mut self,
        result: Result<Value, SalesforceError>,
        sent: &SentEffect,
        create: Map<String, Value>,
    ) {
        let found = result.as_ref().ok().map(|v| {
            apex_records(v)
                .into_iter()
                .find_map(|r| r.get("Id").and_then(Value::as_str).map(str::to_owned))
        });
        let Some(c) = self
            .contact
            .as_mut()
            .filter(|c| Some(c.handle) == sent.contact)
        else {
            // Its contact is gone: the creation is made if it never happened, and that is all.
            if found == Some(None) {
                self.effect(
                    SalesforceAction::SaveLog { value: create },
                    PendingEffect::Other,
                );
            }
            return;
        };
        match found {
            Some(Some(id)) => {
                // It happened: that Task is the call's; it gets the latest fields.
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
}
