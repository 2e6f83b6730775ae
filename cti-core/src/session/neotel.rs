//! Neotel's side: the `Position` poll (Neotel's documented flow polls it; how often follows the
//! session's [`Urgency`], at the [`Cadence`] the server's NeoApi budget gives) and what each
//! snapshot says. The agent's state follows `neotel_api::AgentState::of`, the one rule for it.

use std::time::{Duration, Instant};

use neotel_api::{AgentState, CrmState, FaultKind, Position, PositionDate, Reply, Request};

use crate::config::{Cadence, Urgency};
use crate::io::ApiResult;
use crate::message::{Code, Message};

use super::Session;
use super::notices::Scope;
use super::outbox::Pending;
use super::timer::Timer;

#[derive(Debug, Clone, Default)]
pub(super) struct Neotel {
    /// The outbound campaign joined.
    pub(super) campaign: Option<i64>,
    /// The break state, when Neotel's rule says the agent is in a break.
    pub(super) break_id: Option<i64>,
    /// Since when (Neotel's wall time: `INICIO_DESCANSO`, else when first seen).
    pub(super) break_since: Option<chrono::NaiveDateTime>,
    /// Neotel's CRM holds the agent (`ESTADO_CRM` is not `Available`): Play frees it.
    pub(super) crm_holds: bool,
    /// A snapshot has been read.
    pub(super) seen: bool,
    /// When the poll on its way left.
    poll_sent: Option<Instant>,
    /// When the last poll left (the next keeps its distance from it).
    last_poll: Option<Instant>,
    /// The poll intervals the server's budget gives; `None`: [`Cadence::alone`].
    cadence: Option<Cadence>,
    /// The grid this session's polls keep to (see [`poll_at`]); set by the first poll, and
    /// again at the last poll whenever the interval changes.
    poll_anchor: Option<Instant>,
    /// The interval the grid was laid for.
    grid_every: Option<Duration>,
    /// Neotel accepted a write while the poll was on its way: the poll may have been read
    /// before the write was applied (the write's answer overtook it), so it is not read.
    poll_outdated: bool,
}

/// Where in the poll interval this user's polls fall: a fraction of it taken from the user's
/// name, so thousands of sessions (logged in, or resumed after a restart, at one instant) poll
/// spread over the interval instead of in bursts, and each stays at its place.
fn poll_offset(user: &str, interval: Duration) -> Duration {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    user.hash(&mut h);
    let nanos = interval.as_nanos().max(1);
    Duration::from_nanos(u64::try_from(u128::from(h.finish()) % nanos).unwrap_or_default())
}

/// When the poll after one sent at `sent` goes: the first point of the grid `anchor + k·delay`
/// no sooner than half a delay after `sent`, nor than `now` (an answer later than the delay
/// waits for the next point: never more than one poll a delay, and never out of place). Polls
/// keep their rate and their place whatever NeoApi's latency: one per interval, not one per
/// interval plus latency.
fn poll_at(anchor: Instant, delay: Duration, sent: Instant, now: Instant) -> Instant {
    let earliest = (sent + delay / 2).max(now);
    let d = delay.as_nanos().max(1);
    let step = |k: u128| Duration::from_nanos(u64::try_from(k * d).unwrap_or(u64::MAX));
    if earliest >= anchor {
        anchor + step((earliest - anchor).as_nanos().div_ceil(d))
    } else {
        anchor
            .checked_sub(step((anchor - earliest).as_nanos() / d))
            .unwrap_or(earliest)
    }
}

impl Session {
    /// How urgently the session needs its next look at Neotel, from its state: the one rule
    /// (the server shares its NeoApi budget by it, and the poll interval follows it).
    #[must_use]
    pub fn urgency(&self) -> Urgency {
        let call = self.calls.call.as_ref();
        let setting_up = call.is_some_and(|c| !c.bridged)
            || self.transfer.is_some()
            || self.contact.as_ref().is_some_and(|c| !c.searched);
        if setting_up || !self.neotel.seen {
            Urgency::Delivery
        } else if call.is_some() {
            Urgency::Call
        } else if self.contact.is_some() || self.neotel.break_id.is_some() || self.neotel.crm_holds
        {
            // Not "no campaign": a queue's call reaches an agent in none (W-INBOUND).
            Urgency::Quiet
        } else {
            Urgency::Delivery
        }
    }

    /// The poll intervals the server's NeoApi budget gives this session at `now`; the next
    /// poll moves to them at once (to the next point of the session's own grid, so sessions
    /// given a cadence together do not poll together).
    pub fn set_cadence(&mut self, cadence: Cadence, now: Instant) {
        self.clock.now = self.clock.now.max(now);
        self.neotel.cadence = Some(cadence);
        self.plan_poll();
    }

    fn cadence(&self) -> Cadence {
        self.neotel
            .cadence
            .unwrap_or_else(|| Cadence::alone(self.config.poll_interval))
    }

    /// Asks for the next `Position` now. One on its way may have left before what asks for
    /// this one (a command Neotel took, a write): its answer is not read, and another goes as
    /// soon as it is back.
    pub(super) fn poll(&mut self) {
        if self.neotel.poll_sent.is_some() {
            self.neotel.poll_outdated = true;
        } else {
            let now = self.now();
            self.neotel.poll_sent = Some(now);
            self.neotel.last_poll = Some(now);
            if self.neotel.poll_anchor.is_none() {
                let offset = poll_offset(&self.config.user, self.config.poll_interval);
                self.neotel.poll_anchor = Some(now + offset);
            }
            let user = self.user();
            self.api(Request::Position { user }, Pending::Poll);
        }
        self.timers.stop(Timer::Poll);
    }

    /// Places the next poll on the session's grid at its urgency's interval (after every input:
    /// a state that changed moves it at once, sooner or later). Nothing while a poll is on its
    /// way (its answer places the next), and a poll already due stays due.
    pub(super) fn plan_poll(&mut self) {
        if self.ended || self.neotel.poll_sent.is_some() {
            return;
        }
        let (Some(anchor), Some(last)) = (self.neotel.poll_anchor, self.neotel.last_poll) else {
            return;
        };
        let now = self.now();
        if self.timers.get(Timer::Poll).is_some_and(|at| at <= now) {
            return;
        }
        let every = self.cadence().interval(self.urgency());
        // A new interval lays its grid from the last poll: the next keeps its distance from
        // it and the session its place among the others. (Points of a grid laid long ago move
        // anywhere in the interval when it changes by 1 %.)
        let anchor = match self.neotel.grid_every.replace(every) {
            Some(before) if before != every => {
                self.neotel.poll_anchor = Some(last);
                last
            }
            _ => anchor,
        };
        self.timers
            .set(Timer::Poll, poll_at(anchor, every, last, now));
    }

    /// Neotel applied a write: a poll on its way may show what was true before it (a contact
    /// released and freed, shown again as delivered), so its answer is not read and another
    /// poll goes at once.
    pub(super) fn outdate_poll(&mut self) {
        self.neotel.poll_outdated = self.neotel.poll_sent.is_some();
    }

    pub(super) fn position_answered(&mut self, result: ApiResult) {
        self.neotel.poll_sent = None;
        if std::mem::take(&mut self.neotel.poll_outdated) {
            self.poll();
            return;
        }
        // The next poll is placed once the input is handled, at the urgency this answer leaves
        // (`plan_poll`). Each poll's trouble lasts until a poll goes through: nothing stale stays on screen.
        let trouble = match result {
            Ok(Reply::String(text)) => match Position::parse(&text) {
                Ok(p) => {
                    self.on_position(&p);
                    None
                }
                Err(e) => Some(Message::new(Code::BadPosition).with("error", e.to_string())),
            },
            Ok(other) => Some(Message::new(Code::BadPosition).with("error", format!("{other:?}"))),
            Err(e) if e.fault_kind() == Some(FaultKind::NotLogged) => {
                self.signed_out_by_neotel();
                return;
            }
            Err(_) => Some(Message::new(Code::NeotelUnreachable)),
        };
        self.forget(Code::BadPosition);
        self.forget(Code::NeotelUnreachable);
        if let Some(m) = trouble {
            self.notify(m, Scope::Session);
        }
    }

    fn on_position(&mut self, p: &Position) {
        self.neotel.seen = true;
        self.neotel.campaign = p.outbound_campaign();
        let break_id = match AgentState::of(p) {
            AgentState::Paused { break_subtype } => Some(break_subtype),
            _ => None,
        };
        if break_id.is_none() {
            self.neotel.break_since = None;
        } else if self.neotel.break_id != break_id {
            let wall = self.wall();
            let started = p.date(PositionDate::BreakStart).filter(|at| *at <= wall);
            self.neotel.break_since = Some(started.unwrap_or(wall));
        }
        self.neotel.break_id = break_id;
        self.neotel.crm_holds = !matches!(p.crm_state(), CrmState::Available);
        self.track_call(p);
        self.contact_from_position(p);
        self.search_when_due(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn polls_keep_their_rate_and_place_whatever_the_latency() {
        let start = Instant::now();
        // The first poll (at login) is off the grid: the next is the grid's first point at
        // least half an interval later.
        let near = start + Duration::from_millis(370);
        let first = poll_at(near, SECOND, start, start + Duration::from_millis(40));
        assert_eq!(first, near + SECOND);
        let anchor = start + Duration::from_millis(700);
        let first = poll_at(anchor, SECOND, start, start + Duration::from_millis(40));
        assert_eq!(first, anchor);
        // On the grid, 300 ms of latency or 5 ms: the next poll one interval after the last.
        for latency in [5, 300, 990] {
            let next = poll_at(
                anchor,
                SECOND,
                anchor,
                anchor + Duration::from_millis(latency),
            );
            assert_eq!(next, anchor + SECOND, "latency {latency} ms");
        }
        // An answer later than the interval: the next point after it, never two polls at once.
        let late = poll_at(anchor, SECOND, anchor, anchor + Duration::from_millis(1200));
        assert_eq!(late, anchor + 2 * SECOND);
        // A faster cadence (a call being set up) keeps to the same grid, halved.
        let half = poll_at(anchor, SECOND / 2, anchor + SECOND, anchor + SECOND);
        assert_eq!(half, anchor + SECOND + SECOND / 2);
    }

    /// Issue 28: a grid laid at the last poll moves the next poll by what the interval
    /// changed, where one laid long ago moves it anywhere in the interval.
    #[test]
    fn a_grid_laid_at_the_last_poll_keeps_the_next_at_its_distance() {
        let start = Instant::now();
        let last = start + 600 * SECOND + Duration::from_millis(300);
        let longer = SECOND.mul_f64(1.01);
        let answered = last + Duration::from_millis(5);
        assert_eq!(poll_at(last, longer, last, answered), last + longer);
        let from_long_ago = poll_at(start, longer, last, answered);
        assert_ne!(
            from_long_ago,
            last + longer,
            "600 intervals of 1 % moved it"
        );
    }

    #[test]
    fn thousands_of_agents_poll_spread_over_the_interval() {
        let mut per_10ms = [0_u32; 100];
        for user in 1000..3000 {
            let offset = poll_offset(&user.to_string(), SECOND);
            assert!(offset < SECOND);
            per_10ms[usize::try_from(offset.as_millis() / 10).unwrap()] += 1;
        }
        // 2,000 agents over 100 slots of 10 ms: 20 a slot on average, no slot a burst.
        let most = per_10ms.iter().max().unwrap();
        let least = per_10ms.iter().min().unwrap();
        assert!(*most <= 40 && *least >= 5, "{per_10ms:?}");
        // And each user keeps its place.
        assert_eq!(poll_offset("1001", SECOND), poll_offset("1001", SECOND));
    }
}
