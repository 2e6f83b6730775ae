//! The view: what the page draws after every input (sent only when it changed), and the
//! utility bar's label and icon, which follow the agent's state.

use crate::io::Output;
use crate::message::{Code, Message};
use crate::view::{AgentStatus, CallPhase, CallView, ContactView, InfoView, SyncView, View};

use super::Session;
use super::timer::Timer;

impl Session {
    /// Brings the surface to the session's state now (outside an input: the logout).
    pub(super) fn show_now(&mut self) {
        let status = self.status();
        let label = self.status_label(status);
        self.show(status, &label);
    }

    /// The agent's state, from the contact on screen, the call and Neotel's rule.
    pub(super) fn status(&self) -> AgentStatus {
        match (&self.contact, &self.calls.call) {
            (Some(c), _) if c.released => AgentStatus::Released,
            (Some(_), Some(_)) => AgentStatus::WithContact,
            (Some(_), None) => AgentStatus::WrapUp,
            (None, Some(_)) => AgentStatus::OnCall,
            (None, None) if self.neotel.break_id.is_some() => AgentStatus::OnBreak,
            (None, None) if self.neotel.campaign.is_none() => AgentStatus::NoCampaign,
            (None, None) => AgentStatus::Available,
        }
    }

    /// What the status line says: the state, with what is happening in it (the call's phase,
    /// the queue, the consulted party, the conference, the break's name).
    fn status_label(&self, status: AgentStatus) -> Message {
        let name_of = |list: &[crate::view::Choice], id: i64| {
            list.iter()
                .find(|c| c.id == id)
                .map_or_else(|| id.to_string(), |c| c.name.clone())
        };
        let lists = &self.lists.lists;
        if let (AgentStatus::WithContact | AgentStatus::OnCall, Some(call)) =
            (status, &self.calls.call)
        {
            let phone = call.phone.clone();
            return match (&self.transfer, call.conference, call.phase(), call.queue) {
                (Some(t), ..) => Message::new(Code::StatusConsulting).with("target", &t.value),
                (None, Some(_), ..) => {
                    Message::new(Code::StatusConference).with("count", call.participants.len())
                }
                (None, None, CallPhase::Ringing, _) => {
                    Message::new(Code::StatusRinging).with("phone", phone)
                }
                (None, None, CallPhase::Dialing, _) => {
                    Message::new(Code::StatusDialing).with("phone", phone)
                }
                (None, None, CallPhase::Talking, Some(queue)) if call.inbound => {
                    Message::new(Code::StatusInbound)
                        .with("phone", phone)
                        .with("queue", name_of(&lists.queues, queue))
                }
                (None, None, CallPhase::Talking, _) => {
                    Message::new(Code::StatusTalking).with("phone", phone)
                }
            };
        }
        if let Some(m) = &self.monitoring {
            // A supervisor's line says whom they monitor (by name when listed).
            let user = self
                .lists
                .users
                .iter()
                .find(|u| u.user == m.user)
                .map_or_else(|| m.user.clone(), |u| u.name.clone());
            let code = match m.mode {
                crate::MonitorMode::Listen => Code::StatusListening,
                crate::MonitorMode::Assist => Code::StatusAssisting,
            };
            return Message::new(code).with("user", user);
        }
        match (status, self.neotel.break_id) {
            (AgentStatus::OnBreak, Some(id)) => {
                Message::new(Code::StatusOnBreak).with("name", name_of(&lists.breaks, id))
            }
            _ => status.label(),
        }
    }

    /// Seconds in the current state: the call's, the break's, the wrap-up's.
    fn since_secs(&self, status: AgentStatus) -> Option<u64> {
        let secs = |from| self.secs_since(from);
        match status {
            AgentStatus::WithContact | AgentStatus::OnCall => {
                self.calls.call.as_ref().map(|c| secs(c.started))
            }
            AgentStatus::WrapUp => self
                .contact
                .as_ref()
                .and_then(|c| c.last_call.as_ref())
                .map(|l| secs(l.ended)),
            AgentStatus::OnBreak => self.neotel.break_since.map(secs),
            _ => None,
        }
    }

    pub(super) fn refresh_view(&mut self) {
        let status = self.status();
        let mut view = self.view(status);
        // The utility says what the status line says, in the agent's language (the page words
        // it), whenever that changes.
        self.show(status, &view.status_label);
        let a = view.actions;
        self.keep_users_fresh(a.transfer || a.invite || a.monitor);
        // A view is sent when something but the clocks changed: the page counts seconds itself.
        // Compared with the last one's clocks in place (no copies: this runs on every poll).
        let clocks = (view.since_secs, view.auto_release_in_secs);
        let changed = match &self.page.last_view {
            None => true,
            Some(last) => {
                view.since_secs = last.since_secs;
                view.auto_release_in_secs = last.auto_release_in_secs;
                *last != view
            }
        };
        (view.since_secs, view.auto_release_in_secs) = clocks;
        if changed {
            self.page.last_view = Some(view.clone());
            self.out.push(Output::View(Box::new(view)));
        }
    }

    fn view(&self, status: AgentStatus) -> View {
        let actions = self.actions();
        let c = self.contact.as_ref();
        let call = self.calls.call.as_ref();
        View {
            user: self.config.user.clone(),
            status,
            status_label: self.status_label(status),
            campaign: self.neotel.campaign,
            break_id: self.neotel.break_id,
            call: call.map(|call| CallView {
                id: call.id,
                phone: call.phone.clone(),
                direction: if call.inbound { "inbound" } else { "outbound" },
                phase: call.phase(),
                bridged: call.bridged,
                queue: call.queue,
                conference: call.conference,
                participants: call.participants.clone(),
            }),
            contact: c.map(|c| ContactView {
                handle: c.handle,
                draft: c.draft.clone(),
                record: c.record.clone(),
                candidates: c.candidates.clone(),
                private: c.private,
                released: c.released,
                scheduled: c.scheduled,
            }),
            info: InfoView {
                last_call_id: call.map_or(0, |c| c.id),
                contact_id: c.map_or(0, |c| c.contact.id),
                base_id: c.map_or(0, |c| c.contact.base),
                crm_id: c.map_or(0, |c| c.contact.crm),
                search_key: c.map(|c| c.key.clone()).unwrap_or_default(),
            },
            lists: self.lists.lists.clone(),
            actions,
            sending: self.out.sending(),
            primary: self.primary(status, &actions),
            join_targets: self.join_targets(),
            transfer: self.transfer.clone(),
            monitoring: self.monitoring.clone(),
            settings: self.settings.clone(),
            sync: c.and_then(|c| {
                c.sync_id.as_ref().map(|id| SyncView {
                    sync_id: id.clone(),
                    linked: c.record.is_some(),
                })
            }),
            auto_release_in_secs: self
                .timers
                .get(Timer::AutoRelease)
                .map(|at| at.saturating_duration_since(self.now()).as_secs()),
            since_secs: self.since_secs(status),
            warnings: self.notices.messages(),
            error: self.notices.error.clone(),
        }
    }
}
