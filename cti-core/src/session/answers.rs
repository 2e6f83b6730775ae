//! Where each NeoApi answer, Salesforce answer or event, and timer goes: to the feature that
//! asked (its `Pending` says which) or that the timer belongs to.

use crate::crm::{Answer, CrmError, CrmResult, Outcome, RequestId, SalesforceEvent};
use crate::io::{ApiId, ApiResult};
use crate::message::{Code, Message};

use super::Session;
use super::notices;
use super::outbox::{Pending, Purpose};
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
            Pending::Dial => {
                if let Err(e) = result {
                    let message = notices::fault(&e);
                    self.out
                        .push(crate::io::Output::Call(crate::crm::CallEvent::DialFailed {
                            message: message.clone(),
                        }));
                    self.notices.error = Some(message);
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

    pub(super) fn answered(&mut self, id: RequestId, result: CrmResult) {
        let Some(sent) = self.out.request_answered(id) else {
            return;
        };
        // An answer about a contact no longer on screen (a search, a sync read) is not about
        // the one on screen now.
        if sent.why.is_about_the_contact() && sent.contact != self.contact_handle() {
            return;
        }
        if self.log_creation_lost(&sent, &result) {
            return;
        }
        match (sent.why.clone(), result) {
            (Purpose::Settings, Ok(Answer::Settings(settings))) => {
                self.settings_answered(*settings);
            }
            (Purpose::PopRules, Ok(Answer::PopRules(rules))) => self.pop_rules_answered(*rules),
            (Purpose::Search, Ok(Answer::Records(matches))) => self.search_answered(matches),
            (Purpose::SyncPage, Ok(Answer::Current(record))) => self.sync_page_answered(record),
            (Purpose::SyncRecord { record, by_hand }, Ok(Answer::Record(fields))) => {
                self.sync_record_answered(record, by_hand, fields.as_ref());
            }
            (Purpose::ClickedRecord { number, record }, Ok(Answer::Record(fields))) => {
                self.clicked_record_answered(number, record, fields.unwrap_or_default());
            }
            // The search is a nicety: the click still dials.
            (Purpose::ClickedRecord { number, .. }, _) => self.dial_clicked(number),
            (
                Purpose::CampaignRecord {
                    object_type,
                    campaign,
                },
                Ok(Answer::Records(found)),
            ) => self.campaign_record_found(&sent, object_type, campaign, found),
            (Purpose::Log, Ok(answer)) => self.log_saved(&sent, &answer),
            (Purpose::Log, Err(e)) => self.log_failed(&e, &sent),
            (Purpose::LogLookup { create }, result) => {
                self.log_looked_up(result, &sent, create);
            }
            (Purpose::Pop | Purpose::Other, Ok(_)) => {}
            (why, Ok(other)) => {
                // An answer of another kind than asked: the surface's adapter is wrong.
                let e = CrmError {
                    outcome: Outcome::NotApplied,
                    description: format!("an answer of another kind: {other:?}"),
                };
                self.request_failed(&why, e);
            }
            (why, Err(e)) => self.request_failed(&why, e),
        }
    }

    fn request_failed(&mut self, why: &Purpose, e: CrmError) {
        let search = matches!(why, Purpose::Search);
        if search {
            self.showing();
        }
        let code = if search {
            Code::SearchFailed
        } else {
            Code::SalesforceFailed
        };
        self.notices.error = Some(Message::new(code).with("error", e.description));
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
            SalesforceEvent::PageGone => {
                self.page_gone();
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
                Timer::LookUpLogs => self.look_up_lost_logs(),
                Timer::Users => self.read_users(),
                Timer::Lists => self.read_failed_lists(),
                Timer::Notices => self.expire_notices(),
            }
        }
    }
}
