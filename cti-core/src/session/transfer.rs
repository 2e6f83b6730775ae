//! F-XFER: direct (blind) and attended transfers to a phone, a user, a queue or another
//! campaign (direct only), and the end of an attended transfer (Neotel's `Hangup` during a
//! consultation cuts only the consulted leg).

use neotel_api::Request;

use crate::command::TransferTarget;
use crate::io::ApiResult;
use crate::message::{Code, Message};
use crate::view::TransferView;

use super::Session;
use super::notices;
use super::outbox::Pending;

impl Session {
    pub(super) fn transfer(
        &mut self,
        target: TransferTarget,
        attended: bool,
    ) -> Result<(), Message> {
        let user = self.user();
        // A phone is dialed: its digits only. Users, queues and campaigns are Neotel's ids.
        let target = match target {
            TransferTarget::Phone(typed) => TransferTarget::Phone(self.number(&typed)?),
            other => other,
        };
        let consulted = TransferView::of(&target, attended);
        let request = match (target, attended) {
            (TransferTarget::Phone(extension) | TransferTarget::User(extension), false) => {
                Request::BlindTransfer { user, extension }
            }
            (TransferTarget::Phone(extension) | TransferTarget::User(extension), true) => {
                Request::AttendedTransfer { user, extension }
            }
            (TransferTarget::Queue(queue), false) => Request::BlindTransferQueue { user, queue },
            (TransferTarget::Queue(queue), true) => Request::AttendedTransferQueue { user, queue },
            (TransferTarget::Campaign(campaign), false) => {
                Request::BlindTransferCampaign { user, campaign }
            }
            (TransferTarget::Campaign(_), true) => return Err(Code::AttendedCampaign.into()),
        };
        let why = if attended {
            Pending::Consult(consulted)
        } else {
            let done = Message::new(Code::TransferDone).with("target", &consulted.value);
            Pending::Confirm(done)
        };
        self.api(request, why);
        Ok(())
    }

    /// Neotel took the attended transfer: the agent is consulting (while the call lasts).
    pub(super) fn consult_answered(&mut self, transfer: TransferView, result: ApiResult) {
        match result {
            Ok(_) if self.calls.call.is_some() => self.transfer = Some(transfer),
            Ok(_) => {}
            Err(e) => self.notices.error = Some(notices::fault(&e)),
        }
        self.poll();
    }

    pub(super) fn end_transfer(&mut self) -> Result<(), Message> {
        self.transfer = None;
        let user = self.user();
        self.api(Request::Hangup { user }, Pending::Command);
        self.poll();
        Ok(())
    }
}
