//! F-MONITOR: a supervisor listens to or assists a user, and ends it, through the install's
//! monitoring tasks (NeoApi's `StartMonitor` names no target).

use neotel_api::FaultKind;

use crate::command::MonitorMode;
use crate::io::ApiResult;
use crate::message::{Code, Message};
use crate::view::MonitorView;

use super::Session;
use super::notices;
use super::outbox::Pending;

impl Session {
    pub(super) fn monitor(&mut self, monitored: String, mode: MonitorMode) -> Result<(), Message> {
        let user = self.user();
        // The list may be older than who is logged in now: for another user, Neotel decides.
        if monitored == user {
            return Err(Message::new(Code::CannotMonitor).with("user", monitored));
        }
        let tasks = &self.config.tasks;
        let params = tasks.monitor_start.fill(&[
            ("supervisor", &user),
            ("user", &monitored),
            ("mode", mode.as_str()),
        ]);
        let id = tasks.monitor_start.id;
        let next = MonitorView {
            user: monitored,
            mode,
        };
        self.task(id, params, Pending::Monitor(Some(next)));
        Ok(())
    }

    pub(super) fn end_monitor(&mut self) -> Result<(), Message> {
        let user = self.user();
        let tasks = &self.config.tasks;
        let params = tasks.monitor_stop.fill(&[("supervisor", &user)]);
        let id = tasks.monitor_stop.id;
        self.task(id, params, Pending::Monitor(None));
        Ok(())
    }

    pub(super) fn monitor_answered(&mut self, next: Option<MonitorView>, result: ApiResult) {
        match result {
            Ok(_) => self.monitoring = next,
            // The fault names the monitored user, not this session's.
            Err(e) if e.fault_kind() == Some(FaultKind::NotLogged) => {
                self.notices.error = Some(Code::MonitoredNotLogged.into());
            }
            Err(e) => self.notices.error = Some(notices::fault(&e)),
        }
    }
}
