//! The named timers, in a fixed table (quinn's `TimerTable`): `poll_timeout` is the earliest,
//! and a timeout fires every timer that is due.

use std::collections::BTreeMap;
use std::time::Instant;

use super::write::WriteKind;

/// What a timer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Timer {
    /// The next `Position` poll.
    Poll,
    /// F-RELEASE: `automaticContactRelease` after the call ends.
    AutoRelease,
    /// A write that failed for a reason that may pass is sent (or checked) again.
    Write(WriteKind),
    /// A Task Salesforce did not save is saved again.
    RetryTask,
    /// Log creations whose answer was lost are looked up, once they can no longer land.
    LookUpLogs,
    /// The users list is read again while a list of users is offered.
    Users,
    /// Lists Neotel failed to give are asked for again.
    Lists,
    /// A brief notice expires.
    Notices,
}

#[derive(Debug, Clone, Default)]
pub(super) struct TimerTable {
    at: BTreeMap<Timer, Instant>,
}

impl TimerTable {
    pub(super) fn set(&mut self, timer: Timer, at: Instant) {
        self.at.insert(timer, at);
    }

    pub(super) fn stop(&mut self, timer: Timer) {
        self.at.remove(&timer);
    }

    pub(super) fn get(&self, timer: Timer) -> Option<Instant> {
        self.at.get(&timer).copied()
    }

    pub(super) fn clear(&mut self) {
        self.at.clear();
    }

    /// The earliest deadline.
    pub(super) fn next(&self) -> Option<Instant> {
        self.at.values().min().copied()
    }

    /// The timers due at `now`, stopped.
    pub(super) fn expired(&mut self, now: Instant) -> Vec<Timer> {
        let due: Vec<Timer> = self
            .at
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(t, _)| *t)
            .collect();
        for t in &due {
            self.at.remove(t);
        }
        due
    }
}
