//! The view: what the page draws after every input (sent only when it changed), and the
//! utility bar's label and icon, which follow the agent's state.

use crate::effect::SalesforceAction;
use crate::io::Output;
use crate::view::{AgentStatus, CallView, ContactView, InfoView, SyncView, View};

use super::Session;
use super::outbox::PendingEffect;
use super::timer::Timer;

impl Session {
    /// The agent's state, from the contact on screen, the call and Neotel's rule.
    fn status(&self) -> AgentStatus {
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

    pub(super) fn refresh_view(&mut self) {
        let status = self.status();
        if self.page.last_status != Some(status) {
            self.page.last_status = Some(status);
            let label = status.label();
            self.effect(
                SalesforceAction::SetSoftphoneItemLabel { label },
                PendingEffect::Other,
            );
            let key = status.icon();
            self.effect(
                SalesforceAction::SetSoftphoneItemIcon { key },
                PendingEffect::Other,
            );
        }
        let view = self.view(status);
        let a = view.actions;
        self.keep_users_fresh(a.transfer || a.invite || a.monitor);
        if self.page.last_view.as_ref() != Some(&view) {
            self.page.last_view = Some(view.clone());
            self.out.push(Output::View(Box::new(view)));
        }
    }

    fn view(&self, status: AgentStatus) -> View {
        let c = self.contact.as_ref();
        let call = self.calls.call.as_ref();
        View {
            user: self.config.user.clone(),
            status,
            status_label: status.label(),
            campaign: self.neotel.campaign,
            break_id: self.neotel.break_id,
            call: call.map(|call| CallView {
                id: call.id,
                phone: call.phone.clone(),
                direction: if call.inbound { "inbound" } else { "outbound" },
                bridged: call.bridged,
                conference: call.conference,
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
            actions: self.actions(),
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
            warnings: self.notices.messages(),
            error: self.notices.error.clone(),
        }
    }
}
