//! The server's NeoApi budget (issue 28): at most `neoapi.max_requests_per_sec` requests a
//! second, by default one per logged-in agent per `poll_interval` (the load of one poll each),
//! shared among the sessions' `Position` polls by how urgently each needs its next look.
//!
//! The rule is one number. Every session polls at its urgency's quickest interval
//! ([`Cadence::quickest`]: a delivery awaited ten times as often as a call, a quiet agent a
//! third as often) when those polls fit in the budget; when they do not, all are slowed alike,
//! by the one factor that makes them fit what the budget leaves after the other requests
//! (commands, writes, list reads: never delayed, only counted). The sessions are counted by
//! urgency as they change; each gets the cadence at its next input (all are woken when the
//! polls may go much faster: a burst of logins or writes is over) and keeps its own grid, so
//! polls stay spread evenly over their interval. The driver holds a session's [`Share`].

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cti_core::{Cadence, Urgency};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;

use crate::clock;
use crate::metrics::Metrics;

/// The part of the budget polls leave free: the polls a command or a write asks for at once,
/// off their grid (about two per call), are counted as polls, not planned.
const HEADROOM: f64 = 0.03;

/// How often the other requests' rate is measured.
const MEASURE_EVERY: Duration = Duration::from_secs(1);

/// Slowdowns go up in steps of 1 % (rounded up, so polls never plan past the budget): the
/// sessions get a new cadence when the load moves a step, not at every change of one agent.
const STEP: f64 = 1.01;

/// A session takes a new cadence at its next input. When the polls may go this much faster
/// than when they were last woken (the end of a burst of logins or writes), every session is
/// woken to take it at once: one waiting a slow cadence's interval would look late.
const WAKE_AT: f64 = 0.75;

/// The budget and what shares it (one per server, in [`super::Sessions`]).
pub(crate) struct Budget {
    /// The base interval (`poll_interval`).
    every: Duration,
    /// `neoapi.max_requests_per_sec`; `None`: one per session per `every`.
    fixed: Option<f64>,
    /// Sessions counted, by urgency (in [`Urgency::ALL`]'s order).
    sessions: [AtomicUsize; 3],
    /// The slowdown in force (`f64` bits): every session's cadence is
    /// `Cadence::quickest(every).slowed(slowdown)`.
    slowdown: AtomicU64,
    /// Changed to wake every session when the polls may go much faster ([`WAKE_AT`]).
    faster: tokio::sync::watch::Sender<()>,
    /// The other requests' rate and the counters it was last measured from.
    measure: Mutex<Measure>,
    /// When the next measure is due, in nanoseconds after `origin` (read without the lock on
    /// every input).
    measure_due: AtomicU64,
    origin: Instant,
    requests: Counter,
    polls: Counter,
    gauge: Gauge<f64, AtomicU64>,
    /// Per urgency: polls sent, sessions, interval in force.
    by_urgency: [(Counter, Gauge, Gauge<f64, AtomicU64>); 3],
}

#[derive(Default)]
struct Measure {
    at: Option<Instant>,
    requests: u64,
    polls: u64,
    /// Requests a second that are not polls.
    others: f64,
    /// The highest slowdown since the sessions were last woken.
    peak: f64,
}

impl Budget {
    /// The budget of a server polling every `every` at most `fixed` requests a second (`None`:
    /// one per agent per `every`), counted on `metrics`.
    pub(crate) fn new(every: Duration, fixed: Option<u32>, metrics: &Metrics) -> Arc<Self> {
        let budget = Arc::new(Self {
            every,
            fixed: fixed.map(f64::from),
            sessions: Default::default(),
            slowdown: AtomicU64::new(1.0_f64.to_bits()),
            faster: tokio::sync::watch::Sender::new(()),
            measure: Mutex::default(),
            measure_due: AtomicU64::new(0),
            origin: clock::now(),
            requests: metrics.requests.clone(),
            polls: metrics.polls.clone(),
            gauge: metrics.budget.clone(),
            by_urgency: Urgency::ALL.map(|u| metrics.by_urgency(u.as_str())),
        });
        budget.recompute(&mut budget.measure.lock().expect("never poisoned"));
        budget
    }

    /// A new session's share (counted from its first urgency on).
    pub(crate) fn share(self: &Arc<Self>) -> Share {
        Share {
            budget: self.clone(),
            urgency: None,
            given: 0,
            faster: self.faster.subscribe(),
        }
    }

    /// The cadence every session polls at now.
    pub(crate) fn cadence(&self) -> Cadence {
        Cadence::quickest(self.every).slowed(f64::from_bits(self.slowdown.load(Ordering::Relaxed)))
    }

    /// A session moved from one urgency to another (`None`: it started, or ended).
    fn moved(&self, from: Option<Urgency>, to: Option<Urgency>) {
        for (urgency, delta) in [(from, -1_i64), (to, 1)] {
            let Some(u) = urgency else { continue };
            let count = &self.sessions[u as usize];
            if delta > 0 {
                count.fetch_add(1, Ordering::Relaxed);
            } else {
                count.fetch_sub(1, Ordering::Relaxed);
            }
            self.by_urgency[u as usize].1.inc_by(delta);
        }
        self.recompute(&mut self.measure.lock().expect("never poisoned"));
    }

    /// Measures the other requests' rate when due (by whichever session's input comes first).
    fn measure(&self, now: Instant) {
        let nanos = |at: Instant| {
            u64::try_from(at.saturating_duration_since(self.origin).as_nanos()).unwrap_or(u64::MAX)
        };
        if nanos(now) < self.measure_due.load(Ordering::Relaxed) {
            return;
        }
        let Ok(mut m) = self.measure.try_lock() else {
            return;
        };
        let (requests, polls) = (self.requests.get(), self.polls.get());
        if let Some(at) = m.at {
            let secs = now.saturating_duration_since(at).as_secs_f64();
            if secs < MEASURE_EVERY.as_secs_f64() {
                return;
            }
            // Read one after the other: a poll counted between the reads is not a request less.
            let others = requests
                .saturating_sub(m.requests)
                .saturating_sub(polls.saturating_sub(m.polls));
            #[allow(clippy::cast_precision_loss)]
            let rate = others as f64 / secs;
            // Smoothed over a few seconds: a burst of writes does not swing every cadence.
            m.others = 0.5 * m.others + 0.5 * rate;
        }
        m.at = Some(now);
        m.requests = requests;
        m.polls = polls;
        self.measure_due
            .store(nanos(now + MEASURE_EVERY), Ordering::Relaxed);
        self.recompute(&mut m);
    }

    /// Sets the slowdown that makes the sessions' polls fit the budget (under the measure's
    /// lock, so the last counts win), and wakes the sessions when it fell far.
    fn recompute(&self, m: &mut Measure) {
        let counts = self.sessions.each_ref().map(|c| c.load(Ordering::Relaxed));
        #[allow(clippy::cast_precision_loss)]
        let agents = counts.iter().sum::<usize>() as f64;
        let budget = self
            .fixed
            .unwrap_or_else(|| agents / self.every.as_secs_f64());
        let quickest = Cadence::quickest(self.every);
        #[allow(clippy::cast_precision_loss)]
        let demand: f64 = Urgency::ALL
            .iter()
            .map(|u| counts[*u as usize] as f64 * quickest.rate(*u))
            .sum();
        let slowdown = share(budget * (1.0 - HEADROOM) - m.others, demand);
        self.slowdown.store(slowdown.to_bits(), Ordering::Relaxed);
        m.peak = m.peak.max(slowdown);
        if slowdown <= m.peak * WAKE_AT {
            m.peak = slowdown;
            self.faster.send_replace(());
        }
        self.gauge.set(budget);
        let cadence = quickest.slowed(slowdown);
        for u in Urgency::ALL {
            self.by_urgency[u as usize]
                .2
                .set(cadence.interval(u).as_secs_f64());
        }
    }
}

/// How much slower than their quickest polls whose quickest `demand` (polls a second) must go
/// to fit in `for_polls` requests a second: at least 1, rounded up to a [`STEP`], at most
/// [`Cadence::MAX_SLOWDOWN`].
fn share(for_polls: f64, demand: f64) -> f64 {
    if demand <= for_polls {
        return 1.0;
    }
    if for_polls <= 0.0 {
        return Cadence::MAX_SLOWDOWN;
    }
    let steps = ((demand / for_polls).ln() / STEP.ln()).ceil();
    STEP.powf(steps).clamp(1.0, Cadence::MAX_SLOWDOWN)
}

/// One session's part in the budget, held by its driver: its urgency counted while it runs,
/// the cadence it was last given.
pub(crate) struct Share {
    budget: Arc<Budget>,
    urgency: Option<Urgency>,
    /// The slowdown (bits) of the cadence given last; 0 before the first.
    given: u64,
    faster: tokio::sync::watch::Receiver<()>,
}

impl Share {
    /// After an input: the session's urgency now.
    pub(crate) fn count(&mut self, urgency: Urgency) {
        if self.urgency != Some(urgency) {
            let from = self.urgency.replace(urgency);
            self.budget.moved(from, Some(urgency));
        }
    }

    /// Before an input at `now`: the cadence to give the session, when it changed since it was
    /// given last.
    pub(crate) fn cadence(&mut self, now: Instant) -> Option<Cadence> {
        self.budget.measure(now);
        let slowdown = self.budget.slowdown.load(Ordering::Relaxed);
        (slowdown != self.given).then(|| {
            self.given = slowdown;
            self.budget.cadence()
        })
    }

    /// Resolves when the polls may go much faster than when the session was last woken (it
    /// then takes the new cadence at once); never once the budget is gone.
    pub(crate) async fn faster(&mut self) {
        if self.faster.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// A `Position` poll of the session leaves.
    pub(crate) fn polled(&self) {
        if let Some(u) = self.urgency {
            self.budget.by_urgency[u as usize].0.inc();
        }
    }
}

impl Drop for Share {
    fn drop(&mut self) {
        self.budget.moved(self.urgency.take(), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    /// The sessions' planned polls a second at `budget`'s cadence.
    fn planned(budget: &Budget, counts: [usize; 3]) -> f64 {
        let c = budget.cadence();
        Urgency::ALL
            .iter()
            .zip(counts)
            .map(|(u, n)| n as f64 * c.rate(*u))
            .sum()
    }

    fn sessions(budget: &Arc<Budget>, counts: [usize; 3]) -> Vec<Share> {
        let mut shares = Vec::new();
        for (u, n) in Urgency::ALL.iter().zip(counts) {
            for _ in 0..n {
                let mut share = budget.share();
                share.count(*u);
                shares.push(share);
            }
        }
        shares
    }

    #[test]
    fn idle_agents_poll_once_an_interval_within_the_default_budget() {
        let metrics = Metrics::new();
        let budget = Budget::new(SECOND, None, &metrics);
        let _shares = sessions(&budget, [2000, 0, 0]);
        // 2,000 available agents: a delivery is looked for about once a second each.
        let every = budget.cadence().interval(Urgency::Delivery);
        assert!(every > SECOND && every < SECOND * 11 / 10, "{every:?}");
        assert!(planned(&budget, [2000, 0, 0]) <= 2000.0 * (1.0 - HEADROOM));
    }

    #[test]
    fn a_contact_centers_mix_spends_the_budget_on_deliveries() {
        let metrics = Metrics::new();
        let budget = Budget::new(SECOND, None, &metrics);
        // 85 % occupancy: most agents talk, a few wrap up, a few wait for the next contact.
        let mix = [80, 1740, 180];
        let shares = sessions(&budget, mix);
        let c = budget.cadence();
        assert!(planned(&budget, mix) <= 2000.0 * (1.0 - HEADROOM));
        assert!(c.interval(Urgency::Delivery) < Duration::from_millis(150));
        assert!(c.interval(Urgency::Call) < Duration::from_millis(1500));
        // Sessions end: the budget is the agents' left, and so is the cadence.
        drop(shares);
        let _few = sessions(&budget, [1, 1, 1]);
        assert_eq!(metrics.budget.get(), 3.0);
        assert!(planned(&budget, [1, 1, 1]) <= 3.0 * (1.0 - HEADROOM));
        // With a budget to spare, every urgency at its quickest, never faster.
        let roomy = Budget::new(SECOND, Some(1000), &metrics);
        let _spare = sessions(&roomy, [10, 100, 10]);
        assert_eq!(roomy.cadence(), Cadence::quickest(SECOND));
    }

    #[test]
    fn a_fixed_budget_holds_whatever_the_agents() {
        let metrics = Metrics::new();
        let budget = Budget::new(SECOND, Some(100), &metrics);
        for mix in [[500, 0, 0], [10, 300, 50], [0, 0, 150], [1000, 1000, 1000]] {
            let _shares = sessions(&budget, mix);
            let planned = planned(&budget, mix);
            // Within the budget, unless the slowest cadence is above it already.
            let slowest =
                budget.cadence() == Cadence::quickest(SECOND).slowed(Cadence::MAX_SLOWDOWN);
            assert!(planned <= 97.0 || slowest, "{mix:?}: {planned}");
        }
        assert_eq!(metrics.budget.get(), 100.0);
    }

    #[test]
    fn sessions_are_woken_only_when_the_polls_may_go_much_faster() {
        let metrics = Metrics::new();
        let budget = Budget::new(SECOND, Some(100), &metrics);
        let mut share = budget.share();
        share.count(Urgency::Call);
        let mut crowd = sessions(&budget, [50, 0, 0]);
        assert!(
            !share.faster.has_changed().unwrap(),
            "slower: nobody is woken"
        );
        crowd.truncate(48);
        assert!(
            !share.faster.has_changed().unwrap(),
            "4 % faster: taken at the next input"
        );
        crowd.clear();
        assert!(
            share.faster.has_changed().unwrap(),
            "five times faster: woken"
        );
        assert_eq!(share.cadence(clock::now()), Some(budget.cadence()));
        assert_eq!(budget.cadence(), Cadence::quickest(SECOND));
    }

    #[test]
    fn the_slowdown_steps_up_and_never_plans_past_the_budget() {
        for (for_polls, demand) in [(100.0, 99.0), (100.0, 100.5), (97.0, 2600.0), (1.0, 1e9)] {
            let s = share(for_polls, demand);
            assert!((1.0..=Cadence::MAX_SLOWDOWN).contains(&s));
            assert!(
                demand / s <= for_polls || s == Cadence::MAX_SLOWDOWN,
                "{for_polls} {demand} {s}"
            );
        }
        assert_eq!(share(0.0, 10.0), Cadence::MAX_SLOWDOWN);
        assert_eq!(share(10.0, 0.0), 1.0);
    }
}
