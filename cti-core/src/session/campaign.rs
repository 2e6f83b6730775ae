//! F-CAMPAIGN (join or leave the outbound campaign) and F-BREAK (a break state, and back to
//! work). Whether they are allowed now is `permission.rs`'s; this is what they send.

use neotel_api::Request;

use crate::message::{Code, Message};

use super::Session;
use super::outbox::Pending;

impl Session {
    /// The campaigns the agent may join now: every listed one but the one it is in.
    pub(super) fn join_targets(&self) -> Vec<i64> {
        self.lists
            .lists
            .campaigns
            .iter()
            .map(|c| c.id)
            .filter(|id| Some(*id) != self.neotel.campaign)
            .collect()
    }

    pub(super) fn join_campaign(&mut self, campaign: i64) -> Result<(), Message> {
        if Some(campaign) == self.neotel.campaign {
            return Err(Code::AlreadyInCampaign.into());
        }
        let listed = &self.lists.lists.campaigns;
        if !listed.is_empty() && !listed.iter().any(|c| c.id == campaign) {
            return Err(Message::new(Code::UnknownCampaign).with("campaign", campaign));
        }
        let user = self.user();
        self.api(Request::LoginCampaign { user, campaign }, Pending::Command);
        Ok(())
    }

    pub(super) fn leave_campaign(&mut self) -> Result<(), Message> {
        let user = self.user();
        self.api(Request::LogoutCampaign { user }, Pending::Command);
        Ok(())
    }

    pub(super) fn take_break(&mut self, break_id: i64) -> Result<(), Message> {
        let user = self.user();
        self.api(
            Request::Pause {
                user,
                break_subtype: break_id,
            },
            Pending::Command,
        );
        Ok(())
    }

    pub(super) fn end_break(&mut self) -> Result<(), Message> {
        let user = self.user();
        self.api(Request::Unpause { user }, Pending::Command);
        Ok(())
    }
}
