//! W-CLICK2DIAL: a phone clicked in Salesforce is dialed. With `allowClickToDialSearch` and no
//! contact held, it is first a contact search: the record's Neotel CRM id and key (the
//! surface reads the record's Neotel fields) find the Neotel contact with the install's
//! find-contact task, which is then taken, categorized and scheduled like a delivered one. The
//! call matters more than the contact: it is dialed either way.

use neotel_api::{ContactRef, Reply, decode_table};
use serde_json::{Map, Value};

use crate::io::ApiResult;
use crate::message::{Code, Message};
use crate::view::RecordView;

use super::Session;
use super::lists::{int_of, text_of};
use super::outbox::{Pending, Purpose};
use super::sync::is_neotel_object;

impl Session {
    pub(super) fn clicked(
        &mut self,
        number: String,
        record_id: Option<String>,
        object_type: Option<String>,
        record_name: Option<String>,
    ) -> Result<(), Message> {
        let search = self.options.allow_click_to_dial_search
            && self.contact.is_none()
            && self.calls.call.is_none();
        match (record_id, object_type) {
            (Some(id), Some(object_type)) if search && is_neotel_object(&object_type) => {
                let record = RecordView {
                    id,
                    object_type,
                    name: record_name.unwrap_or_default(),
                };
                let why = Purpose::ClickedRecord {
                    number,
                    record: record.clone(),
                };
                self.read_record(&record, why);
                Ok(())
            }
            _ => self.command(crate::command::Command::Dial { number }),
        }
    }

    /// The clicked record's fields: its Neotel CRM id and key find the contact.
    pub(super) fn clicked_record_answered(
        &mut self,
        number: String,
        record: RecordView,
        fields: Map<String, Value>,
    ) {
        let crm = int_of(&fields, "neoCrmId__c");
        let key = text_of(&fields, "neoCrmData__c").unwrap_or_default();
        match crm {
            Some(crm) if !key.is_empty() => {
                let task = &self.config.tasks.find_contact;
                let params = task.fill(&[("crm", &crm.to_string()), ("key", &key)]);
                let id = task.id;
                self.task(
                    id,
                    params,
                    Pending::FindContact {
                        number,
                        record,
                        crm,
                    },
                );
            }
            _ => {
                self.notify_briefly(Code::ContactNotFound);
                self.dial_clicked(number);
            }
        }
    }

    /// The find-contact task's answer: `{"Table":[{BASE,IDCONTACTO,DATA}]}`, empty when none.
    pub(super) fn contact_found(
        &mut self,
        number: String,
        record: RecordView,
        crm: i64,
        result: &ApiResult,
    ) {
        let found = match result {
            Ok(Reply::String(text)) => decode_table(text)
                .ok()
                .and_then(|rows| rows.into_iter().next())
                .and_then(|row| {
                    Some(ContactRef {
                        crm,
                        base: int_of(&row, "BASE")?,
                        id: int_of(&row, "IDCONTACTO")?,
                        data: text_of(&row, "DATA").unwrap_or_default(),
                    })
                }),
            _ => None,
        };
        match found {
            Some(contact) if self.contact.is_none() => self.take_contact(contact, record),
            _ if result.is_err() => self.notify_briefly(Code::ContactLookupFailed),
            _ => self.notify_briefly(Code::ContactNotFound),
        }
        self.dial_clicked(number);
    }

    /// The number a click (or a click-to-dial search) dials: a refusal is said, not dropped.
    pub(super) fn dial_clicked(&mut self, number: String) {
        if let Err(m) = self.command(crate::command::Command::Dial { number }) {
            self.notices.error = Some(m);
        }
    }
}
