//! Transfers: blind (the call leaves the agent for a user, queue or campaign) and
//! attended (a consultation first, cut by `Hangup`).

use chrono::NaiveDateTime;
use serde::Serialize;

use super::calls::{Call, Leg};
use super::params::campaign_param;
use super::{Fault, Params, Platform, fault, ms};

/// Where a transfer goes: an extension (or user), a queue, a campaign.
#[derive(Debug, Clone, Copy)]
pub(super) enum Target {
    Extension,
    Queue,
    Campaign,
}

/// The consulted party of an attended transfer, until it answers or is cut.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct Consult {
    pub(super) target: String,
    pub(super) answer_at: Option<NaiveDateTime>,
    pub(super) answered: bool,
}

impl Platform {
    fn transfer_target(&self, p: &Params<'_>, target: Target) -> Result<String, Fault> {
        match target {
            Target::Extension => {
                let ext = p.text("EXTENSION");
                if ext.trim().is_empty() {
                    return fault("Missing parameter: EXTENSION.");
                }
                Ok(ext)
            }
            Target::Queue => {
                let q = p.int("COLA")?;
                self.scenario
                    .queues
                    .iter()
                    .any(|x| x.id == q)
                    .then(|| format!("COLA {q}"))
                    .map_or_else(|| fault(format!("Queue {q} not found")), Ok)
            }
            Target::Campaign => {
                let id = campaign_param(p)?;
                self.campaign(id)
                    .map(|_| format!("CAMPAÑA {id}"))
                    .map_or_else(|| fault(format!("Campaign {id} not found")), Ok)
            }
        }
    }

    pub(super) fn blind_transfer(&mut self, p: &Params<'_>, target: Target) -> Result<(), Fault> {
        // Parameters bind before the method runs, as in ASP.NET.
        let to = self.transfer_target(p, target)?;
        let call_id = self.current_call(p)?;
        let call = self.calls.get_mut(&call_id).expect("current call exists");
        call.transferred_to = Some(to.clone());
        // The agent leaves the call; it goes on elsewhere.
        let snapshot = call.clone();
        self.end_call(call_id);
        let agent_answer = self.agent_answer_at();
        let onward = |queue: i64, campaign: i64, route_campaign: Option<i64>| Call {
            user: None,
            queue,
            campaign,
            route_campaign,
            transferred_by: snapshot.user.clone(),
            agent_leg: Leg::Ringing(agent_answer),
            dtmf: Vec::new(),
            started_at: self.now,
            ..snapshot.clone()
        };
        match target {
            // A platform user (by USUARIO or device) gets the call with its contact; any
            // other extension or number is outside the platform: the call just leaves.
            Target::Extension => {
                let receiver = self
                    .agents
                    .values()
                    .find(|a| {
                        (a.user == to || a.device.eq_ignore_ascii_case(&to))
                            && a.is_available()
                            && snapshot.user.as_ref() != Some(&a.user)
                    })
                    .map(|a| a.user.clone());
                if let Some(receiver) = receiver {
                    let id = self.new_call(onward(snapshot.queue, snapshot.campaign, None));
                    self.attach_call(&receiver, id);
                }
            }
            // The queue's next free agent; the campaign's next free agent of that campaign.
            Target::Queue => {
                let queue = p.int("COLA")?;
                let id = self.new_call(onward(queue, snapshot.campaign, None));
                self.waiting.push_back(id);
            }
            Target::Campaign => {
                let campaign = campaign_param(p)?;
                let id = self.new_call(onward(0, campaign, Some(campaign)));
                self.waiting.push_back(id);
            }
        }
        self.route_waiting();
        Ok(())
    }

    pub(super) fn attended_transfer(
        &mut self,
        p: &Params<'_>,
        target: Target,
    ) -> Result<(), Fault> {
        let to = self.transfer_target(p, target)?;
        self.current_call(p)?;
        let answer_at = ms(self.scenario.settings.consult_answer_ms).map(|d| self.now + d);
        let agent = self.agent_mut(p)?;
        if agent.consult.is_some() {
            return fault(format!("User {} is already in a consultation", agent.user));
        }
        agent.consult = Some(Consult {
            target: to,
            answer_at,
            answered: answer_at.is_none(),
        });
        Ok(())
    }
}
