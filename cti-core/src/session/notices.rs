//! What the agent is told: the last thing that went wrong, and notices that last while they
//! apply (while their contact is on screen, for the session, or briefly).

use std::time::{Duration, Instant};

use neotel_api::FaultKind;

use crate::message::{Code, Message};

use super::Session;
use super::timer::Timer;

/// How long a confirmation stays on screen.
pub(super) const BRIEF: Duration = Duration::from_secs(8);

/// How long a notice stays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    Contact,
    Session,
    Until(Instant),
}

#[derive(Debug, Clone)]
struct Notice {
    message: Message,
    scope: Scope,
}

#[derive(Debug, Clone, Default)]
pub(super) struct Notices {
    /// The last thing that went wrong (cleared by the agent's next command).
    pub(super) error: Option<Message>,
    list: Vec<Notice>,
}

impl Notices {
    pub(super) fn messages(&self) -> Vec<Message> {
        self.list.iter().map(|n| n.message.clone()).collect()
    }

    pub(super) fn expire(&mut self, now: Instant) {
        self.list
            .retain(|n| !matches!(n.scope, Scope::Until(t) if t <= now));
    }

    fn next_expiry(&self) -> Option<Instant> {
        self.list
            .iter()
            .filter_map(|n| match n.scope {
                Scope::Until(t) => Some(t),
                _ => None,
            })
            .min()
    }
}

/// A NeoApi failure, as the agent is told it.
pub(super) fn fault(e: &neotel_api::Error) -> Message {
    match e.fault_kind() {
        Some(FaultKind::NotLogged) => Message::new(Code::NeotelNotLogged),
        Some(FaultKind::BadParameter) => Message::new(Code::NeotelBadParameter),
        Some(_) => Message::new(Code::NeotelRefused).with(
            "text",
            e.fault().map(|f| f.message.clone()).unwrap_or_default(),
        ),
        None => Message::new(Code::NeotelUnavailable),
    }
}

impl Session {
    /// Shows `message` (replacing any with its code) for as long as `scope` says.
    pub(super) fn notify(&mut self, message: impl Into<Message>, scope: Scope) {
        let message = message.into();
        self.notices.list.retain(|n| n.message.code != message.code);
        self.notices.list.push(Notice { message, scope });
        self.schedule_expiry();
    }

    /// Shows `message` briefly (a confirmation, a passing warning).
    pub(super) fn notify_briefly(&mut self, message: impl Into<Message>) {
        let until = Scope::Until(self.now() + BRIEF);
        self.notify(message, until);
    }

    pub(super) fn forget(&mut self, code: Code) {
        self.notices.list.retain(|n| n.message.code != code);
    }

    /// The contact left the screen: so do its notices.
    pub(super) fn forget_contact_notices(&mut self) {
        self.notices.list.retain(|n| n.scope != Scope::Contact);
    }

    pub(super) fn expire_notices(&mut self) {
        self.notices.expire(self.now());
        self.schedule_expiry();
    }

    fn schedule_expiry(&mut self) {
        match self.notices.next_expiry() {
            Some(at) => self.timers.set(Timer::Notices, at),
            None => self.timers.stop(Timer::Notices),
        }
    }
}
