//! Conferences: joining (a consultation becomes a three-way call), inviting and
//! cancelling participants, ending it.

use serde::Serialize;

use super::{Fault, Params, Platform, fault};

/// The conference an agent leads, with the extensions invited into it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct Conference {
    pub(super) id: i64,
    pub(super) participants: Vec<String>,
}

impl Platform {
    /// The conference the `USUARIO` agent is in, or the fault.
    fn conference_mut(&mut self, p: &Params<'_>) -> Result<&mut Conference, Fault> {
        let agent = self.agent_mut(p)?;
        let user = &agent.user;
        match agent.conference.as_mut() {
            Some(conf) => Ok(conf),
            None => fault(format!("User {user} is not in a conference")),
        }
    }

    pub(super) fn join_conference(&mut self, p: &Params<'_>) -> Result<(), Fault> {
        self.current_call(p)?;
        let id = self.next_conference;
        let agent = self.agent_mut(p)?;
        if agent.conference.is_some() {
            return fault(format!("User {} is already in a conference", agent.user));
        }
        // During an attended consultation the consulted party joins: a three-way call.
        let participants = agent.consult.take().map(|c| c.target).into_iter().collect();
        agent.conference = Some(Conference { id, participants });
        self.next_conference += 1;
        Ok(())
    }

    pub(super) fn invite_participant(&mut self, p: &Params<'_>) -> Result<(), Fault> {
        let ext = p.text("EXTENSION");
        if ext.trim().is_empty() {
            return fault("Missing parameter: EXTENSION.");
        }
        let conf = self.conference_mut(p)?;
        conf.participants.push(ext);
        Ok(())
    }

    pub(super) fn cancel_invitation(&mut self, p: &Params<'_>) -> Result<(), Fault> {
        let conf = self.conference_mut(p)?;
        conf.participants
            .pop()
            .map(|_| ())
            .map_or_else(|| fault("No pending invitation"), Ok)
    }

    pub(super) fn kick_all(&mut self, p: &Params<'_>) -> Result<(), Fault> {
        let id = p.int("CONFERENCIA")?;
        let agent = self.agent_mut(p)?;
        match &agent.conference {
            Some(c) if c.id == id => {
                agent.conference = None;
                Ok(())
            }
            _ => fault(format!("Conference {id} not found")),
        }
    }
}
