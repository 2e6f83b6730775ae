//! F-RELEASE, F-AGENDA, F-PLAY: what the agent enters for the contact (its draft), the release
//! with or without a category or with a schedule (`UpdateContact`, sent again while it fails
//! for a reason that may pass), the automatic release, and Play (`CRM_Available`; a scheduled
//! contact needs none).

use std::time::Duration;

use chrono::NaiveDateTime;
use neotel_api::{Request, Schedule};

use crate::io::ApiResult;
use crate::message::{Code, Message};
use crate::view::Draft;

use super::notices::{self, Scope};
use super::outbox::Pending;
use super::permission::Act;
use super::timer::Timer;
use super::{RETRY_LIMIT, Session};

impl Session {
    pub(super) fn edit_draft(
        &mut self,
        contact: u64,
        subcategory: Option<i64>,
        notes: String,
        at: Option<NaiveDateTime>,
        phone: String,
    ) -> Result<(), Message> {
        let c = self.contact_for(Some(contact))?;
        c.draft = Draft {
            subcategory,
            notes,
            schedule_at: at,
            schedule_phone: phone,
        };
        Ok(())
    }

    pub(super) fn release_command(
        &mut self,
        contact: Option<u64>,
        subcategory: Option<i64>,
        notes: String,
    ) -> Result<(), Message> {
        let c = self.contact_for(contact)?;
        c.draft.subcategory = subcategory;
        c.draft.notes.clone_from(&notes);
        self.release(subcategory, notes, None)
    }

    pub(super) fn schedule(
        &mut self,
        contact: Option<u64>,
        at: Option<NaiveDateTime>,
        agent_offset_minutes: i64,
        subcategory: Option<i64>,
        phone: String,
        notes: String,
    ) -> Result<(), Message> {
        let c = self.contact_for(contact)?;
        c.draft = Draft {
            subcategory,
            notes: notes.clone(),
            schedule_at: at,
            schedule_phone: phone.clone(),
        };
        let agent_at = at.ok_or(Code::NoScheduleDate)?;
        // The agent's wall time → UTC → Neotel's wall time, which `FECHA_AGENDA` is in.
        let neotel_at = agent_at - chrono::Duration::minutes(agent_offset_minutes)
            + chrono::Duration::minutes(self.config.neotel_utc_offset_minutes);
        if neotel_at <= self.wall() {
            return Err(Code::PastSchedule.into());
        }
        let schedule = Schedule {
            at: neotel_at,
            user: self.user(),
            phone,
        };
        self.release(subcategory, notes, Some((schedule, agent_at)))
    }

    /// `UpdateContact` with the category (0: none), the notes and the schedule, if any.
    fn release(
        &mut self,
        subcategory: Option<i64>,
        notes: String,
        schedule: Option<(Schedule, NaiveDateTime)>,
    ) -> Result<(), Message> {
        let user = self.user();
        let category_name = subcategory
            .and_then(|id| self.lists.lists.categories.iter().find(|ch| ch.id == id))
            .map(|ch| match &ch.group {
                Some(g) => format!("{g} / {}", ch.name),
                None => ch.name.clone(),
            });
        let c = self.contact_for(None)?;
        c.category_name = category_name;
        let (schedule, callback) = schedule.unzip();
        let request = Request::UpdateContact {
            crm: c.contact.crm,
            user,
            base: c.contact.base,
            contact_id: c.contact.id,
            data: c.contact.data.clone(),
            subcategory: subcategory.unwrap_or(0),
            xml_update: notes,
            schedule,
        };
        c.last_update = Some((request.clone(), callback));
        c.retries = 0;
        self.timers.stop(Timer::AutoRelease);
        self.api(request, Pending::Update { callback });
        Ok(())
    }

    pub(super) fn update_answered(&mut self, result: ApiResult, callback: Option<NaiveDateTime>) {
        let schedule = callback.is_some();
        let Some(c) = self.contact.as_mut() else {
            return;
        };
        match result {
            Ok(_) => {
                c.released = true;
                c.scheduled = schedule;
                c.callback = callback;
                c.last_update = None;
                self.forget(Code::Retrying);
                if let Some(at) = callback {
                    let at = at.format("%d/%m/%Y %H:%M").to_string();
                    self.notify_briefly(Message::new(Code::ScheduleAccepted).with("at", at));
                }
                self.save_task();
                // A scheduled contact needs no Play (F-AGENDA, F-PLAY): the core frees the agent.
                if schedule {
                    let user = self.user();
                    self.api(Request::CrmAvailable { user }, Pending::Available);
                }
            }
            Err(e) => {
                let retryable = e.fault().is_none();
                if retryable && c.retries < RETRY_LIMIT {
                    c.retries += 1;
                    let backoff = Duration::from_secs(1 << c.retries);
                    self.timers.set(Timer::RetryRelease, self.now() + backoff);
                    self.notify(Code::Retrying, Scope::Contact);
                } else {
                    // Nothing is dropped: the contact stays, the agent sees why and can retry.
                    c.last_update = None;
                    self.notices.error = Some(notices::fault(&e));
                }
            }
        }
    }

    pub(super) fn retry_release(&mut self) {
        let request = self.contact.as_ref().and_then(|c| c.last_update.clone());
        if let Some((r, callback)) = request {
            self.api(r, Pending::Update { callback });
        }
    }

    /// `automaticContactRelease`: a plain release, with the notes the agent typed for this
    /// contact; a refusal (a category is required) is said.
    pub(super) fn auto_release(&mut self) {
        let notes = self
            .contact
            .as_ref()
            .filter(|c| !c.releasing())
            .map(|c| c.draft.notes.clone());
        let Some(notes) = notes else {
            return;
        };
        let allowed = self.may(Act::Release);
        if let Err(m) = allowed.and_then(|()| self.release(None, notes, None)) {
            self.notices.error = Some(m);
        }
    }

    pub(super) fn play(&mut self) -> Result<(), Message> {
        let user = self.user();
        self.api(Request::CrmAvailable { user }, Pending::Available);
        Ok(())
    }

    pub(super) fn available_answered(&mut self, result: ApiResult) {
        match result {
            Ok(_) => {
                self.contact = None;
                self.forget_contact_notices();
                self.clear_contact_lists();
                self.poll();
            }
            Err(e) => self.notices.error = Some(notices::fault(&e)),
        }
    }
}
