//! Simulated time: phones answer, consultations connect, schedules come due and queued
//! calls find agents as `now` moves forward.

use chrono::NaiveDateTime;

use super::calls::Leg;
use super::schedules::PendingSchedule;
use super::{Platform, ms};

impl Platform {
    /// Moves simulated time: phones answer, schedules come back, queued calls find agents.
    pub fn advance(&mut self, now: NaiveDateTime) {
        if now > self.now {
            self.now = now;
        }
        let now = self.now;
        let customer_delay = ms(self.scenario.settings.customer_answer_ms);
        for call in self.calls.values_mut() {
            if let Leg::Ringing(Some(at)) = call.agent_leg
                && at <= now
            {
                // Preview, progressive and manual calls dial the customer once the agent is on.
                call.agent_answers(now, customer_delay);
            }
            if let Some(Leg::Ringing(Some(at))) = call.customer_leg
                && at <= now
            {
                call.customer_leg = Some(Leg::Up);
            }
        }
        for agent in self.agents.values_mut() {
            if let Some(c) = agent.consult.as_mut()
                && c.answer_at.is_some_and(|at| at <= now)
            {
                c.answered = true;
                c.answer_at = None;
            }
        }
        let due: Vec<PendingSchedule> = {
            let (due, later) = std::mem::take(&mut self.schedules)
                .into_iter()
                .partition(|s| s.at <= now);
            self.schedules = later;
            due
        };
        for s in due {
            if self.deliver_schedule(&s).is_err() {
                // Nobody to take it yet: try again on a later tick.
                self.schedules.push(s);
            }
        }
        self.route_waiting();
    }

    /// The earliest timed event, for harnesses that jump time forward.
    pub fn next_event_at(&self) -> Option<NaiveDateTime> {
        let legs = self.calls.values().flat_map(|c| {
            let agent = match c.agent_leg {
                Leg::Ringing(at) => at,
                Leg::Up => None,
            };
            let customer = match c.customer_leg {
                Some(Leg::Ringing(at)) => at,
                _ => None,
            };
            agent.into_iter().chain(customer)
        });
        let consults = self
            .agents
            .values()
            .filter_map(|a| a.consult.as_ref().and_then(|c| c.answer_at));
        let schedules = self
            .schedules
            .iter()
            .map(|s| s.at)
            .filter(|at| *at > self.now);
        legs.chain(consults).chain(schedules).min()
    }

    /// Current platform time.
    pub fn now(&self) -> NaiveDateTime {
        self.now
    }
}
