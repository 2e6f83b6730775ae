//! F-RELEASE, F-AGENDA, F-PLAY: what the agent enters for the contact (its draft), the release
//! with or without a category or with a schedule (`UpdateContact`), the automatic release, and
//! Play (`CRM_Available`; a scheduled contact needs none). Both are writes Neotel gets exactly
//! once (`write.rs`).

use chrono::NaiveDateTime;
use neotel_api::{Request, Schedule};

use crate::message::{Code, Message};
use crate::view::Draft;

use super::Session;
use super::contact::ReleaseSent;
use super::permission::Act;
use super::timer::Timer;
use super::write::{Write, WriteKind};

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
        // Another phone for the callback: Neotel dials it, so its digits only.
        let phone = if phone.trim().is_empty() {
            String::new()
        } else {
            self.number(&phone)?
        };
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
        let category = subcategory
            .and_then(|id| self.lists.lists.categories.iter().find(|ch| ch.id == id))
            .map(|ch| (ch.group.clone(), ch.name.clone()));
        let callback_utc = schedule.as_ref().map(|(s, _)| self.utc(s.at));
        let c = self.contact_for(None)?;
        c.category_name = category_name;
        c.outcome = Some(ReleaseSent {
            category,
            notes: notes.clone(),
            callback: callback_utc,
        });
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
        self.timers.stop(Timer::AutoRelease);
        self.send_write(WriteKind::Release, request, callback);
        Ok(())
    }

    /// Neotel has the release.
    pub(super) fn released(&mut self, w: &Write) {
        let Some(c) = self
            .contact
            .as_mut()
            .filter(|c| w.contact == Some(c.handle))
        else {
            return;
        };
        let schedule = w.callback.is_some();
        let play = schedule || c.play_on_release;
        c.released = true;
        c.scheduled = schedule;
        c.callback = w.callback;
        if let Some(at) = w.callback {
            let at = at.format("%d/%m/%Y %H:%M").to_string();
            self.notify_briefly(Message::new(Code::ScheduleAccepted).with("at", at));
        }
        self.save_task();
        self.close_contact_call();
        // A scheduled contact needs no Play (F-AGENDA, F-PLAY): the core frees the agent; nor
        // does one whose after-call work the surface ended.
        if play {
            self.play_now();
        }
    }

    /// `automaticContactRelease`: a plain release, with the notes the agent typed for this
    /// contact; a refusal (a category is required) is said.
    pub(super) fn auto_release(&mut self) {
        let notes = self
            .contact
            .as_ref()
            .filter(|c| !self.releasing(c))
            .map(|c| c.draft.notes.clone());
        let Some(notes) = notes else {
            return;
        };
        let allowed = self.may(Act::Release);
        if let Err(m) = allowed.and_then(|()| self.release(None, notes, None)) {
            self.notices.error = Some(m);
        }
    }

    /// The surface ended the after-call work: released plainly (with the notes typed) if not
    /// yet, Play once Neotel has the release.
    pub(super) fn end_after_call_work(&mut self) -> Result<(), Message> {
        let on_its_way = self
            .contact
            .as_ref()
            .is_some_and(|c| self.writes.releasing(c.handle));
        let over = self.after_call_work_over();
        let playing = self.playing();
        match self.contact.as_mut() {
            Some(c) if !c.released && on_its_way => {
                c.play_on_release = true;
                Ok(())
            }
            Some(c) if !c.released => {
                c.play_on_release = true;
                let notes = c.draft.notes.clone();
                self.release(None, notes, None)
            }
            None if over => Ok(()),
            // A Play on its way ends it already (WRAP_UP_CALL, then the agent goes available).
            _ if playing => Ok(()),
            _ => self.play(),
        }
    }

    /// A Play (`CRM_Available`) is on its way to Neotel.
    pub(super) fn playing(&self) -> bool {
        self.writes.get(WriteKind::Available).is_some()
    }

    /// No contact, and Neotel holds the agent for none (or a Play is on its way): the after-call
    /// work is over.
    pub(super) fn after_call_work_over(&self) -> bool {
        self.playing() || !self.neotel.crm_holds
    }

    pub(super) fn play(&mut self) -> Result<(), Message> {
        self.play_now();
        Ok(())
    }

    fn play_now(&mut self) {
        let user = self.user();
        self.send_write(WriteKind::Available, Request::CrmAvailable { user }, None);
    }

    /// Neotel freed the agent: the contact Play was for leaves the screen.
    pub(super) fn freed(&mut self, w: &Write) {
        if self.contact_handle() == w.contact {
            // Freed without a release (Play with no campaign): the outcome is final as it is.
            self.close_contact_call();
            self.contact = None;
            self.forget_contact_notices();
            self.clear_contact_lists();
        }
        self.poll();
    }
}
