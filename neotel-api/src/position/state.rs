//! The agent-state rule: what the agent is doing, from one `Position`, in one place.

use serde::{Deserialize, Serialize};

use super::{CrmState, Position};

/// What the agent is doing, derived from one `Position`.
///
/// The rule lives in [`AgentState::of`] only. `NotLogged` never comes from a
/// `Position`: it is what a `not logged` fault of the `Position` call means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AgentState {
    /// The `Position` call failed with `not logged`.
    NotLogged,
    /// Logged in, in no outbound campaign (`SAL_CAMPAÑA_DEFAULT=0`).
    NoCampaign,
    /// In a break (`SUBTIPO_DESCANSO` ≠ 0).
    Paused {
        /// The break state id.
        break_subtype: i64,
    },
    /// The dialer delivered a contact (`ESTADO_CRM=GetContact`): show the record named
    /// by BASE/IDCONTACTO/DATA, then call `CRM_ShowingContact`. A predictive call may be up already.
    ContactDelivered,
    /// On a call (`IDLLAMADA` ≠ 0).
    OnCall {
        /// The call is bridged to the agent (`SUB_ESTADO=AGENT`); false while ringing or dialing.
        bridged: bool,
    },
    /// Showing the delivered contact, no call (`ESTADO_CRM=ShowingContact`).
    Showing,
    /// The call is gone and `ESTADO_CRM` is not `Available` (until `CRM_Available`).
    AfterCall,
    /// Free for the next contact (`ESTADO_CRM=Available`, no call).
    Available,
}

impl AgentState {
    /// The agent state rule (neoapi.md, "Position"). First match wins:
    ///
    /// | # | condition | state |
    /// |---|---|---|
    /// | 1 | `ESTADO_CRM=GetContact` | `ContactDelivered` (a contact waiting to be shown beats a call already up) |
    /// | 2 | `IDLLAMADA` ≠ 0 | `OnCall { bridged: SUB_ESTADO=AGENT }` |
    /// | 3 | `SUBTIPO_DESCANSO` ≠ 0 | `Paused` |
    /// | 4 | `SAL_CAMPAÑA_DEFAULT=0` | `NoCampaign` |
    /// | 5 | `ESTADO_CRM=ShowingContact` | `Showing` |
    /// | 6 | `ESTADO_CRM=Available` | `Available` |
    /// | 7 | anything else (`Unavailable`, unknown) | `AfterCall` |
    ///
    /// A `Position` cannot tell "showing before the call" from "showing after it" (both
    /// `ShowingContact`, no call); the caller that saw the call go tells them apart.
    #[must_use]
    pub fn of(position: &Position) -> Self {
        let t = &position.typed;
        if t.crm_state == CrmState::GetContact {
            Self::ContactDelivered
        } else if t.call_id != 0 {
            Self::OnCall {
                bridged: position.is_bridged(),
            }
        } else if t.break_subtype != 0 {
            Self::Paused {
                break_subtype: t.break_subtype,
            }
        } else if t.outbound_campaign == 0 {
            Self::NoCampaign
        } else {
            match t.crm_state {
                CrmState::ShowingContact => Self::Showing,
                CrmState::Available => Self::Available,
                CrmState::GetContact | CrmState::Unavailable | CrmState::Other(_) => {
                    Self::AfterCall
                }
            }
        }
    }
}

impl Position {
    /// The agent state, by [`AgentState::of`].
    #[must_use]
    pub fn agent_state(&self) -> AgentState {
        AgentState::of(self)
    }
}
