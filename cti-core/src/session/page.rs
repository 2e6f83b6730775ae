//! The page's Salesforce side: the call center settings and the softphone layout Salesforce
//! sends at start, what the page must have set for the session (click-to-dial, the panel's
//! size, the utility label), and a new page taking over from one that went away.

use std::collections::BTreeMap;

use serde_json::Value;
use sf_callcenter::{CallCenter, SoftphoneLayout};

use crate::effect::SalesforceAction;
use crate::message::{Code, Message};
use crate::view::{AgentStatus, PanelSettings, View};

use super::Session;
use super::activity::is_task_creation;
use super::notices::Scope;
use super::outbox::PendingEffect;

#[derive(Debug, Clone, Default)]
pub(super) struct Page {
    /// The last view sent (a view is sent only when it changes).
    pub(super) last_view: Option<View>,
    /// The state and label the utility bar says.
    pub(super) last_status: Option<(AgentStatus, Message)>,
    /// Contacts shown so far (each contact's handle).
    pub(super) contacts_seen: u64,
}

impl Session {
    /// Salesforce's call center settings (the connector's options) and softphone layout.
    pub(super) fn ask_salesforce_settings(&mut self) {
        self.effect(
            SalesforceAction::GetCallCenterSettings,
            PendingEffect::Settings,
        );
        self.effect(SalesforceAction::GetSoftphoneLayout, PendingEffect::Layout);
    }

    pub(super) fn settings_answered(&mut self, v: &Value) {
        let map: BTreeMap<String, String> = v
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        // Only the connector's sections matter here: Salesforce already accepted the rest.
        match CallCenter::from_settings(&map).and_then(|cc| cc.connector_options()) {
            Ok((options, dialing)) => {
                self.options = options;
                self.config.dialing = dialing;
            }
            Err(problems) => self.notify(
                Message::new(Code::SettingsProblems).with("count", problems.len()),
                Scope::Session,
            ),
        }
    }

    pub(super) fn layout_answered(&mut self, v: &Value) {
        match SoftphoneLayout::from_json(v) {
            Ok(layout) => self.layout = layout,
            Err(e) => self.notify(
                Message::new(Code::BadLayout).with("error", e.to_string()),
                Scope::Session,
            ),
        }
    }

    /// What the page's Salesforce side must have set for this session: phone fields dial
    /// through the softphone, the panel has the agent's size, the utility bar says the state
    /// (on the next view). Sent at start and again to every new page.
    pub(super) fn page_state(&mut self) {
        self.effect(SalesforceAction::EnableClickToDial, PendingEffect::Other);
        let defaults = PanelSettings::default();
        if self.settings.width_px != defaults.width_px {
            let width_px = self.settings.width_px;
            self.effect(
                SalesforceAction::SetSoftphonePanelWidth { width_px },
                PendingEffect::Other,
            );
        }
        if self.settings.height_px != defaults.height_px {
            let height_px = self.settings.height_px;
            self.effect(
                SalesforceAction::SetSoftphonePanelHeight { height_px },
                PendingEffect::Other,
            );
        }
        self.page.last_status = None;
    }

    /// Signed out: phone fields stop dialing through the softphone, the utility bar says so.
    pub(super) fn page_signed_out(&mut self) {
        self.effect(SalesforceAction::DisableClickToDial, PendingEffect::Other);
        let label = Message::new(Code::StatusSignedOut);
        self.effect(
            SalesforceAction::SetSoftphoneItemLabel { label },
            PendingEffect::Other,
        );
    }

    /// Another page runs the effects now: what the last one left unanswered runs again there,
    /// except what [`Self::page_state`] sets anew and a Task creation, which runs again only
    /// once Salesforce says it did not happen.
    pub(super) fn page_changed(&mut self) {
        let current = self.contact_handle();
        for e in self.out.lose_effects() {
            match (&e.why, e.action) {
                (_, a) if a.is_page_state() => {}
                (_, SalesforceAction::SaveLog { value }) if is_task_creation(&value) => {
                    self.look_up_task(e.contact, value);
                }
                // Updates by Id can always run again; they may be a finished contact's last
                // words (its Task's disposition).
                (_, action @ SalesforceAction::SaveLog { .. })
                | (PendingEffect::Settings | PendingEffect::Layout, action) => {
                    self.effect(action, e.why);
                }
                // A pop or a read for a contact no longer on screen has nothing left to do.
                (_, action) if e.contact == current => self.effect(action, e.why),
                _ => {}
            }
        }
        self.page_state();
    }
}
