//! W-SYNC: the new-record pop pre-fills a fresh `neoSyncId__c`; a record is linked to the
//! contact only when its `neoSyncId__c` (read through `NeotelDataRetrieval`, as Salesforce
//! offers nothing else) is that id, or when it is one of the search's matches. Any other record
//! the agent opens is never linked or written. The sync button does the same by hand.

use serde_json::{Map, Value};

use crate::effect::SalesforceAction;
use crate::message::{Code, Message};
use crate::view::RecordView;

use super::Session;
use super::notices::Scope;
use super::outbox::PendingEffect;

/// The `neoSyncId__c` numbers this session hands out, deterministic from its seed.
#[derive(Debug, Clone)]
pub(super) struct SyncIds {
    seed: u64,
    counter: u64,
}

impl SyncIds {
    pub(super) fn new(seed: u64) -> Self {
        Self { seed, counter: 0 }
    }

    /// How many have been handed out.
    pub(super) fn handed_out(&self) -> u64 {
        self.counter
    }

    /// After a restart: the ids handed out before are not handed out again.
    pub(super) fn resume(&mut self, handed_out: u64) {
        self.counter = self.counter.max(handed_out);
    }

    /// The next id: a Number(18, 0), as text.
    pub(super) fn next(&mut self) -> String {
        self.counter += 1;
        let id = self.seed.wrapping_mul(1_000_000).wrapping_add(self.counter)
            % 1_000_000_000_000_000_000;
        id.to_string()
    }
}

/// The objects `NeotelDataRetrieval` reads.
pub(super) fn is_neotel_object(object_type: &str) -> bool {
    matches!(object_type, "Contact" | "Account" | "Lead" | "Opportunity")
}

/// The records a `runApex` of `NeotelDataRetrieval` answered (`{"runApex": "[{…}]"}`).
pub(super) fn apex_records(v: &Value) -> Vec<Map<String, Value>> {
    let list = match &v["runApex"] {
        Value::String(s) => serde_json::from_str::<Value>(s).unwrap_or_default(),
        other => other.clone(),
    };
    list.as_array()
        .map(|rows| rows.iter().filter_map(|r| r.as_object().cloned()).collect())
        .unwrap_or_default()
}

impl Session {
    /// Salesforce shows a record: one of the search's matches is linked at once; while a new
    /// record waits to be synced, any other is read, and linked only if it is that record.
    pub(super) fn navigated(&mut self, id: String, object_type: String, name: Option<String>) {
        let record = RecordView {
            id,
            object_type,
            name: name.unwrap_or_default(),
        };
        let syncing = self.awaiting_sync();
        if self.may_link(&record.id) {
            self.link_record(record);
        } else if syncing && is_neotel_object(&record.object_type) {
            self.read_record(
                &record,
                PendingEffect::SyncRecord {
                    record: record.clone(),
                    by_hand: false,
                },
            );
        }
    }

    /// A new record was popped for the contact and nothing is linked yet.
    pub(super) fn awaiting_sync(&self) -> bool {
        self.contact
            .as_ref()
            .is_some_and(|c| c.record.is_none() && !c.released && c.sync_id.is_some())
    }

    /// The contact may be linked to `record_id` at once: one of the records its search found.
    fn may_link(&self, record_id: &str) -> bool {
        self.contact.as_ref().is_some_and(|c| {
            c.record.is_none() && !c.released && c.matches.iter().any(|(id, _)| id == record_id)
        })
    }

    /// The record becomes the contact's: its Neotel data is written, and the call's Task, if
    /// saved, is filed under it.
    fn link_record(&mut self, record: RecordView) {
        if let Some(c) = self.contact.as_mut() {
            c.candidates.clear();
            c.record = Some(record);
        }
        self.forget(Code::NewRecord);
        self.forget(Code::NoSyncRecord);
        self.write_external();
        self.update_saved_task();
    }

    /// Reads a record's fields through `NeotelDataRetrieval.get{Object}ById`.
    pub(super) fn read_record(&mut self, record: &RecordView, why: PendingEffect) {
        self.effect(
            SalesforceAction::RunApex {
                apex_class: "NeotelDataRetrieval",
                method_name: format!("get{}ById", record.object_type),
                method_params: format!("Id={}", record.id),
            },
            why,
        );
    }

    /// The sync button: what Salesforce shows is read, and linked if it is the new record.
    pub(super) fn sync_by_hand(&mut self) -> Result<(), Message> {
        self.effect(SalesforceAction::GetAppViewInfo, PendingEffect::SyncPage);
        Ok(())
    }

    pub(super) fn sync_page_answered(&mut self, v: &Value) {
        let id = v["recordId"].as_str().unwrap_or_default().to_owned();
        let object_type = v["objectType"].as_str().unwrap_or_default().to_owned();
        if id.is_empty() || !is_neotel_object(&object_type) {
            self.no_sync_record();
            return;
        }
        let record = RecordView {
            id,
            object_type,
            name: v["recordName"].as_str().unwrap_or_default().to_owned(),
        };
        let why = PendingEffect::SyncRecord {
            record: record.clone(),
            by_hand: true,
        };
        self.read_record(&record, why);
    }

    pub(super) fn sync_record_answered(&mut self, record: RecordView, by_hand: bool, v: &Value) {
        let ours = self
            .contact
            .as_ref()
            .filter(|_| self.awaiting_sync())
            .and_then(|c| c.sync_id.clone());
        let theirs = apex_records(v)
            .first()
            .and_then(|r| match &r["neoSyncId__c"] {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => n.as_u64().map(|n| n.to_string()),
                _ => None,
            });
        if ours.is_some() && ours == theirs {
            self.link_record(record);
        } else if by_hand {
            self.no_sync_record();
        }
    }

    /// No saved record carries the pre-filled `neoSyncId__c` yet.
    fn no_sync_record(&mut self) {
        // It says what the new-record notice said, and more.
        self.forget(Code::NewRecord);
        let id = self
            .contact
            .as_ref()
            .and_then(|c| c.sync_id.clone())
            .unwrap_or_default();
        self.notify(
            Message::new(Code::NoSyncRecord).with("id", id),
            Scope::Contact,
        );
    }
}
