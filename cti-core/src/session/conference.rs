//! F-CONF: the call becomes a conference (`JoinConference`), phones and users are invited one
//! at a time (`InviteParticipant`), and it ends (`KickAll` with the id `Position` shows).

use neotel_api::Request;

use crate::io::ApiResult;
use crate::message::{Code, Message};
use crate::view::Participant;

use super::Session;
use super::notices;
use super::outbox::Pending;

impl Session {
    /// The conference the call is in, as `Position` shows it.
    pub(super) fn conference(&self) -> Option<i64> {
        self.calls.call.as_ref().and_then(|c| c.conference)
    }

    pub(super) fn start_conference(&mut self) -> Result<(), Message> {
        let user = self.user();
        self.api(Request::JoinConference { user }, Pending::Command);
        Ok(())
    }

    pub(super) fn invite(&mut self, extension: String) -> Result<(), Message> {
        // A platform user is invited by their number; anything else is a phone: its digits.
        let known_user = self.lists.users.iter().any(|u| u.user == extension.trim());
        let extension = if known_user {
            extension.trim().to_owned()
        } else {
            self.number(&extension)?
        };
        let user = self.user();
        let invited = extension.clone();
        self.api(
            Request::InviteParticipant { user, extension },
            Pending::Invite(invited),
        );
        Ok(())
    }

    /// Neotel took the invitation: the participant is listed, and the agent told.
    pub(super) fn invite_answered(&mut self, extension: String, result: ApiResult) {
        if let Err(e) = result {
            self.notices.error = Some(notices::fault(&e));
            return;
        }
        let name = self
            .lists
            .users
            .iter()
            .find(|u| u.user == extension)
            .map(|u| u.name.clone())
            .unwrap_or_default();
        if let Some(call) = self.calls.call.as_mut() {
            call.participants.push(Participant {
                extension: extension.clone(),
                name,
            });
        }
        self.notify_briefly(Message::new(Code::InviteSent).with("extension", extension));
    }

    pub(super) fn end_conference(&mut self) -> Result<(), Message> {
        // Allowed only with a conference up (permission.rs), whose id `Position` gave.
        let conference = self.conference().unwrap_or_default();
        let user = self.user();
        self.api(Request::KickAll { user, conference }, Pending::Command);
        Ok(())
    }
}
