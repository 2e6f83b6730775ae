//! Where each NeoApi answer, Salesforce answer or event, and timer goes: to the feature that
//! asked (its `Pending` says which) or that the timer belongs to.

use serde_json::Value;

use crate::effect::EffectId;
use crate::io::{ApiId, ApiResult, SalesforceError, SalesforceEvent};
use crate::message::{Code, Message};

use super::Session;
use super::notices;
use super::outbox::{Pending, PendingEffect};
use super::timer::Timer;

impl Session {
    pub(super) fn neoapi_done(&mut self, id: ApiId, result: ApiResult) {
        let Some(why) = self.out.answered(id) else {
            return;
        };
        match why {
            Pending::Poll => self.position_answered(result),
            Pending::List(read) => self.list_answered(read, result),
            Pending::Command => {
                if let Err(e) = result {
                    self.notices.error = Some(notices::fault(&e));
                }
                self.poll();
            }
            Pending::Confirm(done) => {
                match result {
                    Ok(_) => self.notify_briefly(done),
                    Err(e) => self.notices.error = Some(notices::fault(&e)),
                }
                self.poll();
            }
            Pending::Invite(extension) => self.invite_answered(extension, result),
            Pending::Consult(transfer) => self.consult_answered(transfer, result),
            Pending::Monitor(next) => self.monitor_answered(next, result),
            Pending::Text => self.text_answered(result),
            Pending::Dtmf => self.digit_answered(result),
            Pending::FindContact {
                number,
                record,
                crm,
            } => self.contact_found(number, record, crm, &result),
            Pending::Showing => {
                if let Err(e) = result {
                    self.notices.error = Some(notices::fault(&e));
                }
            }
            Pending::Write(kind) => self.write_answered(kind, result),
            Pending::Check(kind) => self.check_answered(kind, result),
        }
    }

    pub(super) fn effect_done(&mut self, id: EffectId, result: Result<Value, SalesforceError>) {
        let Some(sent) = self.out.effect_answered(id) else {
            return;
        };
        // An answer about a contact no longer on screen (a search, a sync read) is not about
        // the one on screen now.
        if sent.why.is_about_the_contact() && sent.contact != self.contact_handle() {
            return;
        }
        if self.task_creation_lost(&sent, &result) {
            return;
        }
        match (sent.why.clone(), result) {
            (PendingEffect::Settings, Ok(v)) => self.settings_answered(&v),
            (PendingEffect::Layout, Ok(v)) => self.layout_answered(&v),
            (PendingEffect::Search, Ok(v)) => self.search_answered(&v),
            (PendingEffect::SyncPage, Ok(v)) => self.sync_page_answered(&v),
            (PendingEffect::SyncRecord { record, by_hand }, Ok(v)) => {
                self.sync_record_answered(record, by_hand, &v);
            }
            (PendingEffect::ClickedRecord { number, record }, Ok(v)) => {
                self.clicked_record_answered(number, record, &v);
            }
            // The search is a nicety: the click still dials.
            (PendingEffect::ClickedRecord { number, .. }, Err(_)) => self.dial_clicked(number),
            (PendingEffect::Task, Ok(v)) => self.task_saved(&sent, &v),
            (PendingEffect::Task, Err(e)) => self.task_failed(&e, &sent),
            (PendingEffect::TaskLookup { create }, result) => {
                self.task_looked_up(result, &sent, create);
            }
            (PendingEffect::Pop | PendingEffect::Other, Ok(_)) => {}
            (why, Err(e)) => {
                if matches!(why, PendingEffect::Search) {
                    self.showing();
                }
                let code = if matches!(why, PendingEffect::Search) {
                    Code::SearchFailed
                } else {
                    Code::SalesforceFailed
                };
                self.notices.error = Some(Message::new(code).with("error", e.description));
            }
        }
    }

    pub(super) fn salesforce_event(&mut self, e: SalesforceEvent) -> Result<(), Message> {
        match e {
            SalesforceEvent::ClickToDial {
                number,
                record_id,
                object_type,
                record_name,
            } => self.clicked(number, record_id, object_type, record_name),
            SalesforceEvent::Navigation {
                record_id: Some(id),
                object_type: Some(object_type),
                record_name,
            } => {
                self.navigated(id, object_type, record_name);
                Ok(())
            }
            SalesforceEvent::Navigation { .. } => Ok(()),
            SalesforceEvent::PageChanged => {
                self.page_changed();
                Ok(())
            }
        }
    }

    pub(super) fn timeouts(&mut self) {
        for t in self.timers.expired(self.clock.now) {
            match t {
                Timer::Poll => self.poll(),
                Timer::AutoRelease => self.auto_release(),
                Timer::Write(kind) => self.drive_write(kind),
                Timer::RetryTask => self.save_task(),
                Timer::Users => self.read_users(),
                Timer::Lists => self.read_failed_lists(),
                Timer::Notices => self.expire_notices(),
            }
        }
    }
}
