//! The surface's side: the connector's options and the record pop rules Salesforce sends at
//! start, what the surface shows continuously (click-to-dial, the panel's size, the agent's
//! state in words and as an icon: one latest-wins state, of which a page gets what it lacks),
//! and a new page taking over from one that went away.

use sf_callcenter::{DialingOptions, Options, Problem, SoftphoneLayout};

use crate::crm::{Ask, SurfaceSet};
use crate::message::{Code, Message};
use crate::view::{AgentStatus, PanelSettings, View};

use super::Session;
use super::activity::LOG_SETTLE;
use super::notices::Scope;
use super::outbox::Purpose;

/// What the surface shows continuously.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Shown {
    click_to_dial: bool,
    width_px: u32,
    height_px: u32,
    /// The state in words, and the state its icon is for; `None` before the first.
    status: Option<(AgentStatus, Message)>,
}

impl Shown {
    /// What a new page shows before it is told anything: Salesforce's defaults.
    fn defaults() -> Self {
        let panel = PanelSettings::default();
        Self {
            click_to_dial: false,
            width_px: panel.width_px,
            height_px: panel.height_px,
            status: None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(super) struct Page {
    /// The last view sent (a view is sent only when it changed).
    pub(super) last_view: Option<View>,
    /// What the page that runs the requests shows; `None` while no page does.
    pub(super) shown: Option<Shown>,
    /// Contacts shown so far (each contact's handle).
    pub(super) contacts_seen: u64,
}

impl Session {
    /// Salesforce's call center settings (the connector's options) and record pop rules.
    pub(super) fn ask_salesforce_settings(&mut self) {
        self.request(Ask::Settings, Purpose::Settings);
        self.request(Ask::PopRules, Purpose::PopRules);
    }

    pub(super) fn settings_answered(
        &mut self,
        settings: Result<(Options, DialingOptions), Vec<Problem>>,
    ) {
        match settings {
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

    pub(super) fn pop_rules_answered(&mut self, rules: Result<SoftphoneLayout, String>) {
        match rules {
            Ok(layout) => self.layout = layout,
            Err(e) => self.notify(
                Message::new(Code::BadLayout).with("error", e),
                Scope::Session,
            ),
        }
    }

    /// What the surface must show now, and the state the utility's words and icon are for.
    fn wanted(&self, status: AgentStatus, label: &Message) -> Shown {
        Shown {
            click_to_dial: !self.ended,
            width_px: self.settings.width_px,
            height_px: self.settings.height_px,
            status: Some((status, label.clone())),
        }
    }

    /// Brings the page to what the surface must show: only what changed, in a fixed order.
    /// Signed out, the words say so and the icon stays (the page is going away).
    pub(super) fn show(&mut self, status: AgentStatus, label: &Message) {
        let Some(shown) = self.page.shown.clone() else {
            return;
        };
        let mut wanted = self.wanted(status, label);
        if shown.click_to_dial != wanted.click_to_dial {
            self.surface_set(SurfaceSet::ClickToDial(wanted.click_to_dial));
        }
        if shown.width_px != wanted.width_px {
            self.surface_set(SurfaceSet::PanelWidth(wanted.width_px));
        }
        if shown.height_px != wanted.height_px {
            self.surface_set(SurfaceSet::PanelHeight(wanted.height_px));
        }
        if self.ended {
            let signed_out = Message::new(Code::StatusSignedOut);
            if shown.status.as_ref().map(|(_, l)| l) != Some(&signed_out) {
                self.surface_set(SurfaceSet::Label(signed_out.clone()));
            }
            let status = shown.status.map_or(status, |(s, _)| s);
            wanted.status = Some((status, signed_out));
        } else if shown.status != wanted.status {
            self.surface_set(SurfaceSet::Label(label.clone()));
            self.surface_set(SurfaceSet::Icon(status));
        }
        self.page.shown = Some(wanted);
    }

    /// The utility's words are said again (the agent's language changed).
    pub(super) fn say_status_again(&mut self) {
        if let Some(shown) = self.page.shown.as_mut() {
            shown.status = None;
        }
    }

    /// Another page runs the requests now: what the last one left unanswered runs again
    /// there, except a log's creation, which runs again only once the surface says it did
    /// not happen; what no page got yet goes to it; it is shown the whole state.
    pub(super) fn page_changed(&mut self) {
        let now = self.now();
        let current = self.contact_handle();
        for r in self.out.page_changed(now) {
            match r.why {
                // It may still land until the page would have given up on it.
                _ if r.ask.creates_log() => {
                    if let Ask::LogCall { log, .. } = r.ask {
                        let due = r.sent.unwrap_or(now) + LOG_SETTLE;
                        self.look_up_log(due, r.contact, log);
                    }
                }
                // Updates by Id can always run again; they may be a finished contact's last
                // words (its log's disposition).
                _ if matches!(r.ask, Ask::LogCall { .. } | Ask::WriteRecord { .. }) => {
                    self.request_about(r.contact, r.ask, r.why);
                }
                Purpose::Settings | Purpose::PopRules => {
                    self.request_about(r.contact, r.ask, r.why);
                }
                // A pop or a read for a contact no longer on screen has nothing left to do.
                _ if r.contact == current => self.request_about(r.contact, r.ask, r.why),
                _ => {}
            }
        }
        self.page.shown = Some(Shown::defaults());
    }

    /// No page runs the requests: they wait for the next one.
    pub(super) fn page_gone(&mut self) {
        self.out.page = false;
        self.page.shown = None;
    }
}
