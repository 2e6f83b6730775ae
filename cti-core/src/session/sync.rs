//! W-SYNC: the new-record pop pre-fills a fresh `neoSyncId__c`; a record is linked to the
//! contact only when its `neoSyncId__c` (read from the record: the surface reads a record's
//! Neotel fields) is that id, or when it is one of the search's matches. Any other record the
//! agent opens is never linked or written. The sync button does the same by hand.

use serde_json::{Map, Value};

use crate::crm::{Ask, RecordRef};
use crate::message::{Code, Message};
use crate::view::RecordView;

use super::Session;
use super::notices::Scope;
use super::outbox::Purpose;

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

/// The objects whose Neotel fields the surface reads (the package's Apex class reads these).
pub(super) fn is_neotel_object(object_type: &str) -> bool {
    matches!(object_type, "Contact" | "Account" | "Lead" | "Opportunity")
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
                Purpose::SyncRecord {
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

    /// Reads a record's Neotel fields.
    pub(super) fn read_record(&mut self, record: &RecordView, why: Purpose) {
        let record = RecordRef {
            id: record.id.clone(),
            object_type: record.object_type.clone(),
            name: None,
        };
        self.request(Ask::ReadRecord { record }, why);
    }

    /// The sync button: what Salesforce shows is read, and linked if it is the new record.
    pub(super) fn sync_by_hand(&mut self) -> Result<(), Message> {
        self.request(Ask::CurrentRecord, Purpose::SyncPage);
        Ok(())
    }

    pub(super) fn sync_page_answered(&mut self, shown: Option<RecordRef>) {
        let Some(shown) = shown.filter(|r| !r.id.is_empty() && is_neotel_object(&r.object_type))
        else {
            self.no_sync_record();
            return;
        };
        let record = RecordView {
            id: shown.id,
            object_type: shown.object_type,
            name: shown.name.unwrap_or_default(),
        };
        let why = Purpose::SyncRecord {
            record: record.clone(),
            by_hand: true,
        };
        self.read_record(&record, why);
    }

    pub(super) fn sync_record_answered(
        &mut self,
        record: RecordView,
        by_hand: bool,
        fields: Option<&Map<String, Value>>,
    ) {
        let ours = self
            .contact
            .as_ref()
            .filter(|_| self.awaiting_sync())
            .and_then(|c| c.sync_id.clone());
        let theirs = fields.and_then(|r| match &r["neoSyncId__c"] {
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
