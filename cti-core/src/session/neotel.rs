//! Neotel's side: the `Position` poll (Neotel's documented flow polls it; the session's
//! cadence is faster while a call is set up and slower in a break) and what each snapshot says.
//! The agent's state follows `neotel_api::AgentState::of`, the one rule for it.

use std::time::{Duration, Instant};

use neotel_api::{AgentState, CrmState, FaultKind, Position, PositionDate, Reply, Request};

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
    /// The grid this session's polls keep to (see [`poll_at`]); set by the first poll.
    poll_anchor: Option<Instant>,
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
    /// Asks for the next `Position` now, unless one is on its way.
    pub(super) fn poll(&mut self) {
        if self.neotel.poll_sent.is_none() {
            let now = self.now();
            self.neotel.poll_sent = Some(now);
            if self.neotel.poll_anchor.is_none() {
                let offset = poll_offset(&self.config.user, self.config.poll_interval);
                self.neotel.poll_anchor = Some(now + offset);
            }
            let user = self.user();
            self.api(Request::Position { user }, Pending::Poll);
        }
        self.timers.stop(Timer::Poll);
    }

    /// Neotel applied a write: a poll on its way may show what was true before it (a contact
    /// released and freed, shown again as delivered), so its answer is not read and another
    /// poll goes at once.
    pub(super) fn outdate_poll(&mut self) {
        self.neotel.poll_outdated = self.neotel.poll_sent.is_some();
    }

    /// The poll cadence: faster while a call is being set up, slower in a break.
    fn poll_delay(&self) -> Duration {
        let base = self.config.poll_interval;
        if self.calls.call.as_ref().is_some_and(|c| !c.bridged)
            || self.contact.as_ref().is_some_and(|c| !c.searched)
        {
            base / 2
        } else if self.neotel.break_id.is_some() {
            base * 3
        } else {
            base
        }
    }

    pub(super) fn position_answered(&mut self, result: ApiResult) {
        let now = self.now();
        let sent = self.neotel.poll_sent.take().unwrap_or(now);
        if std::mem::take(&mut self.neotel.poll_outdated) {
            self.poll();
            return;
        }
        let anchor = self.neotel.poll_anchor.unwrap_or(now);
        self.timers
            .set(Timer::Poll, poll_at(anchor, self.poll_delay(), sent, now));
        // Each poll's trouble lasts until a poll goes through: nothing stale stays on screen.
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
