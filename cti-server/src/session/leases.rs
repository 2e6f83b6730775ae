//! What this instance knows of the leases it holds (issue 14): which sessions, under which
//! generation, until when it may act for them.
//!
//! The database judges leases on its own clock; this instance trusts a lease only until its
//! own clock says the lease minus a margin has passed since it asked (so a lease it believes
//! in has not run out in the database either). A session whose lease this instance cannot
//! vouch for sends nothing until a renewal comes back or the lease is lost.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::store::{Generation, Held};

/// What this instance knows of one lease it holds.
#[derive(Debug, Clone, Copy)]
struct Entry {
    generation: Generation,
    /// Until when this instance may act for the session (its own clock).
    valid_until: Instant,
    /// When it was known granted (a renewal asked before this may not have seen it).
    since: Instant,
}

/// Whether a session may act now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LeaseState {
    /// The lease is this instance's and runs.
    Valid,
    /// No renewal came back in time: wait for the next.
    Lapsed,
    /// Another instance has the session, or it is gone.
    Lost,
}

/// This instance's leases.
pub(crate) struct Leases {
    /// This instance's name in the store (host, port, process, a random part: unique).
    pub(crate) owner: String,
    /// How long the database grants a lease.
    pub(crate) lease: Duration,
    held: Mutex<HashMap<String, Entry>>,
    /// Bumped after every renewal: sessions waiting for a lapsed lease look again.
    renewed: watch::Sender<u64>,
    /// When the last renewal that came back was asked for.
    last_renewal: Mutex<Option<Instant>>,
    /// When renewals came back after this instance could not vouch for its leases (at start,
    /// after the store failed).
    back_since: Mutex<Option<Instant>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().expect("lease lock is never poisoned")
}

impl Leases {
    pub(crate) fn new(owner: String, lease: Duration) -> Self {
        Self {
            owner,
            lease,
            held: Mutex::new(HashMap::new()),
            renewed: watch::Sender::new(0),
            last_renewal: Mutex::new(None),
            back_since: Mutex::new(None),
        }
    }

    /// How often leases are renewed, and how much sooner than the database this instance
    /// stops trusting one (a fifth each: three renewals may fail before a session waits).
    pub(crate) fn every(&self) -> Duration {
        self.lease / 5
    }

    /// The lease of `agent` at `generation` was granted by a request sent at `asked` (and
    /// committed by now: a renewal asked from now on sees it).
    pub(crate) fn granted(&self, agent: &str, generation: Generation, asked: Instant) {
        let valid_until = asked + self.lease - self.every();
        lock(&self.held).insert(
            agent.to_owned(),
            Entry {
                generation,
                valid_until,
                since: crate::clock::now(),
            },
        );
    }

    pub(crate) fn state(&self, agent: &str, generation: Generation, now: Instant) -> LeaseState {
        match lock(&self.held).get(agent) {
            Some(e) if e.generation == generation && now < e.valid_until => LeaseState::Valid,
            Some(e) if e.generation == generation => LeaseState::Lapsed,
            _ => LeaseState::Lost,
        }
    }

    /// The session ended here: its lease is no longer this instance's concern.
    pub(crate) fn forget(&self, agent: &str, generation: Generation) {
        let mut held = lock(&self.held);
        if held.get(agent).is_some_and(|e| e.generation == generation) {
            held.remove(agent);
        }
    }

    /// A renewal asked at `asked` came back with `held`: those run on; the leases known from
    /// before `asked` and missing from it are lost (returned).
    pub(crate) fn renewed(&self, held: &[Held], asked: Instant) -> Vec<(String, Generation)> {
        let mut map = lock(&self.held);
        let valid_until = asked + self.lease - self.every();
        let mut lost = Vec::new();
        map.retain(|agent, e| {
            let still = held
                .iter()
                .any(|h| h.agent == *agent && h.generation == e.generation);
            if still {
                e.valid_until = e.valid_until.max(valid_until);
            } else if e.since < asked {
                lost.push((agent.clone(), e.generation));
                return false;
            }
            true
        });
        drop(map);
        // Renewals may overlap (a slow database): the latest asked counts.
        let mut last = lock(&self.last_renewal);
        if !last.is_some_and(|at| asked < at + self.lease - self.every()) {
            *lock(&self.back_since) = Some(asked);
        }
        *last = Some(last.map_or(asked, |at| at.max(asked)));
        drop(last);
        self.renewed.send_modify(|n| *n += 1);
        lost
    }

    /// Whether `generation` of `agent` is one this instance knows (claimed, not yet running).
    pub(crate) fn knows(&self, agent: &str, generation: Generation) -> bool {
        lock(&self.held)
            .get(agent)
            .is_some_and(|e| e.generation == generation)
    }

    /// Wakes on the next renewal.
    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.renewed.subscribe()
    }

    /// The store renewed this instance's leases within the lease: it can serve.
    pub(crate) fn ready(&self, now: Instant) -> bool {
        lock(&self.last_renewal).is_some_and(|at| now < at + self.lease - self.every())
    }

    /// This instance may take the sessions whose lease ran out as its dead owners': it can
    /// serve, and has for a lease. Right after the store failed every instance's leases have
    /// run out though none died: the others get a lease to renew theirs first, so an outage
    /// moves no session.
    pub(crate) fn may_adopt(&self, now: Instant) -> bool {
        self.ready(now) && lock(&self.back_since).is_none_or(|at| now >= at + self.lease)
    }
}

/// The instance's name in the store: host, port, process id and a random part, so a restart
/// (or a second process by mistake) is never taken for the instance it replaces.
pub(crate) fn instance_name(listen: std::net::SocketAddr) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "cti-server".to_owned());
    let random: u16 = rand::random();
    format!(
        "{host}:{}/{}.{random:04x}",
        listen.port(),
        std::process::id()
    )
}
