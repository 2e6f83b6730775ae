//! Whether the agent may do something now, and if not why: one function, asked both by each
//! command's guard and by the view's buttons, so a button the view enables is never refused and
//! one it disables always is. A command's arguments (the digits, the date, the campaign) are
//! checked after, by the command. An action already on its way to Neotel is not sent again
//! before its answer.

use crate::command::Command;
use crate::message::{Code, Message};
use crate::view::{Actions, AgentStatus, Primary};

use super::Session;

/// What the agent may be allowed to do (the view's buttons).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Act {
    JoinCampaign,
    LeaveCampaign,
    TakeBreak,
    EndBreak,
    Dial,
    Hangup,
    SendDtmf,
    Transfer,
    EndTransfer,
    StartConference,
    Invite,
    EndConference,
    /// Release with a category.
    Categorize,
    /// Release without one.
    Release,
    Schedule,
    EditDraft,
    Play,
    EndAfterCallWork,
    Monitor,
    EndMonitor,
    SendText,
    Sync,
    PickRecord,
}

impl Act {
    /// An action that changes Neotel's state once: while its call is on its way, the same
    /// action again would only repeat it (a double click, a flood of `takeBreak`).
    fn once_at_a_time(self) -> bool {
        matches!(
            self,
            Self::JoinCampaign
                | Self::LeaveCampaign
                | Self::TakeBreak
                | Self::EndBreak
                | Self::Dial
                | Self::Hangup
                | Self::Transfer
                | Self::EndTransfer
                | Self::StartConference
                | Self::EndConference
                | Self::Monitor
                | Self::EndMonitor
        )
    }

    /// What a command asks; `None` for the settings and the language, always allowed.
    pub(super) fn of(command: &Command) -> Option<Self> {
        Some(match command {
            Command::JoinCampaign { .. } => Self::JoinCampaign,
            Command::LeaveCampaign => Self::LeaveCampaign,
            Command::TakeBreak { .. } => Self::TakeBreak,
            Command::EndBreak => Self::EndBreak,
            Command::Dial { .. } => Self::Dial,
            Command::Hangup => Self::Hangup,
            Command::SendDtmf { .. } => Self::SendDtmf,
            Command::Transfer { .. } => Self::Transfer,
            Command::EndTransfer => Self::EndTransfer,
            Command::StartConference => Self::StartConference,
            Command::Invite { .. } => Self::Invite,
            Command::EndConference => Self::EndConference,
            Command::Release {
                subcategory: Some(_),
                ..
            } => Self::Categorize,
            Command::Release {
                subcategory: None, ..
            } => Self::Release,
            Command::Schedule { .. } => Self::Schedule,
            Command::Draft { .. } => Self::EditDraft,
            Command::Play => Self::Play,
            Command::EndAfterCallWork => Self::EndAfterCallWork,
            Command::Monitor { .. } => Self::Monitor,
            Command::EndMonitor => Self::EndMonitor,
            Command::SendText { .. } => Self::SendText,
            Command::SyncRecord => Self::Sync,
            Command::PickRecord { .. } => Self::PickRecord,
            Command::SaveSettings { .. }
            | Command::SetLanguage { .. }
            | Command::WatchUsers { .. } => return None,
        })
    }
}

fn check(ok: bool, why: Code) -> Result<(), Message> {
    if ok { Ok(()) } else { Err(why.into()) }
}

impl Session {
    /// May the agent do `act` now? If not, why.
    pub(super) fn may(&self, act: Act) -> Result<(), Message> {
        if act.once_at_a_time() && self.out.asked(act) {
            return Err(Code::AlreadySent.into());
        }
        let call = self.calls.call.is_some();
        let contact = self.contact.as_ref();
        let free = || {
            check(!call, Code::EndCallFirst)?;
            check(contact.is_none(), Code::ContactOnScreen)
        };
        let releasable = || {
            let c = contact.ok_or(Code::NoContact)?;
            check(!c.released, Code::AlreadyReleased)?;
            check(!self.writes.releasing(c.handle), Code::Releasing)?;
            check(!call, Code::EndCallFirst)
        };
        match act {
            Act::JoinCampaign => free(),
            Act::LeaveCampaign => {
                free()?;
                check(self.neotel.campaign.is_some(), Code::NotInCampaign)
            }
            Act::TakeBreak => {
                free()?;
                check(self.neotel.break_id.is_none(), Code::AlreadyOnBreak)
            }
            Act::EndBreak => check(self.neotel.break_id.is_some(), Code::NotOnBreak),
            Act::Dial => check(!call, Code::CallInProgress),
            Act::Hangup | Act::SendDtmf => check(call, Code::NoCall),
            Act::Transfer => {
                check(call, Code::NoCall)?;
                check(self.transfer.is_none(), Code::Consulting)
            }
            Act::EndTransfer => check(self.transfer.is_some(), Code::NoTransfer),
            Act::StartConference => {
                check(call, Code::NoCall)?;
                check(self.conference().is_none(), Code::ConferenceUp)
            }
            Act::Invite | Act::EndConference => {
                check(self.conference().is_some(), Code::NoConference)
            }
            Act::Categorize => {
                releasable()?;
                check(self.options.allow_categorization, Code::CategorizationOff)
            }
            Act::Release => {
                releasable()?;
                check(self.options.allow_contact_release, Code::CategoryRequired)
            }
            Act::Schedule => releasable(),
            Act::EditDraft => {
                let c = contact.ok_or(Code::NoContact)?;
                check(!self.releasing(c), Code::AlreadyReleased)
            }
            // Whenever Neotel holds the agent for a contact, Play frees it, campaign or not
            // (an inbound call reaches an agent outside any campaign too).
            Act::Play => {
                // A Play on its way (the agent's, or the one a schedule makes) is not sent twice:
                // a second one arriving late would free the agent from the next contact.
                let playing = self
                    .writes
                    .get(super::write::WriteKind::Available)
                    .is_some();
                check(!playing, Code::RetryingAvailable)?;
                match contact {
                    Some(c) => check(c.released, Code::NotReleased),
                    // After a reload Neotel may still hold the agent: Play frees it.
                    None => check(self.neotel.crm_holds, Code::NothingToResume),
                }
            }
            // Released: Play; not yet: a plain release first, where allowed; a release on its
            // way (the agent categorized in the components): Play follows it. Over already
            // (Salesforce ends it twice: WRAP_UP_CALL, then the agent goes available): done.
            Act::EndAfterCallWork => match contact {
                Some(c) if !c.released && self.writes.releasing(c.handle) => Ok(()),
                Some(c) if !c.released => {
                    releasable()?;
                    check(self.options.allow_contact_release, Code::CategoryRequired)
                }
                None if self.after_call_work_over() => Ok(()),
                _ if self.playing() => Ok(()),
                _ => self.may(Act::Play),
            },
            Act::Monitor => {
                check(self.lists.supervisor, Code::NotSupervisor)?;
                check(self.monitoring.is_none(), Code::CannotMonitor)?;
                check(!call, Code::EndCallFirst)
            }
            Act::EndMonitor => check(self.monitoring.is_some(), Code::NotMonitoring),
            Act::SendText => {
                check(self.options.allow_text_message, Code::TextOff)?;
                check(call || contact.is_some(), Code::NoCall)
            }
            Act::Sync => check(self.awaiting_sync(), Code::NothingToSync),
            Act::PickRecord => {
                let c = contact.ok_or(Code::NoContact)?;
                check(!c.candidates.is_empty(), Code::NothingToPick)
            }
        }
    }

    /// The state's main action, if the agent may take it now.
    pub(super) fn primary(&self, status: AgentStatus, a: &Actions) -> Option<Primary> {
        let wrap_up = || {
            [
                (a.categorize, Primary::Categorize),
                (a.release, Primary::Release),
                (a.schedule, Primary::Schedule),
            ]
            .into_iter()
            .find_map(|(ok, p)| ok.then_some(p))
        };
        match status {
            // Neotel still holding the agent (after a reload): Play first.
            AgentStatus::NoCampaign if a.play => Some(Primary::Play),
            AgentStatus::NoCampaign => a.join_campaign.then_some(Primary::JoinCampaign),
            AgentStatus::OnBreak => a.end_break.then_some(Primary::EndBreak),
            AgentStatus::WithContact | AgentStatus::OnCall if a.end_transfer => {
                Some(Primary::EndTransfer)
            }
            AgentStatus::WithContact | AgentStatus::OnCall => a.hangup.then_some(Primary::Hangup),
            AgentStatus::WrapUp => wrap_up(),
            AgentStatus::Released => a.play.then_some(Primary::Play),
            AgentStatus::Available => a.play.then_some(Primary::Play),
        }
    }

    /// The view's buttons: exactly what [`Self::may`] allows.
    pub(super) fn actions(&self) -> Actions {
        let may = |act| self.may(act).is_ok();
        Actions {
            join_campaign: may(Act::JoinCampaign) && !self.join_targets().is_empty(),
            leave_campaign: may(Act::LeaveCampaign),
            take_break: may(Act::TakeBreak),
            end_break: may(Act::EndBreak),
            dial: may(Act::Dial),
            hangup: may(Act::Hangup),
            dtmf: may(Act::SendDtmf),
            categorize: may(Act::Categorize),
            release: may(Act::Release),
            schedule: may(Act::Schedule),
            play: may(Act::Play),
            transfer: may(Act::Transfer),
            end_transfer: may(Act::EndTransfer),
            start_conference: may(Act::StartConference),
            invite: may(Act::Invite),
            end_conference: may(Act::EndConference),
            monitor: may(Act::Monitor),
            end_monitor: may(Act::EndMonitor),
            send_text: may(Act::SendText),
            sync: may(Act::Sync),
        }
    }
}
