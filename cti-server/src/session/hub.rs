//! What every session task shares with the connections: NeoApi and its budget, the registry,
//! the tokens, the session store, the metrics, the machine factory, and the shutdown signal
//! with the tracker that awaits the tasks.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::budget::Budget;
use super::leases::{LeaseState, Leases, instance_name};
use super::machine::MachineFactory;
use super::registry::Registry;
use crate::clock;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::neoapi::{NeoApi, SharedReads};
use crate::security::{Tokens, token_hash};
use crate::store::{Generation, Queued, SessionRow, Store, StoreError, TokenRow};

/// The session layer's shared services (one per server, behind an `Arc`).
pub(crate) struct Sessions {
    pub(crate) config: Config,
    /// The call center options used until Salesforce sends its own.
    pub(crate) callcenter: sf_callcenter::Config,
    pub(crate) neoapi: NeoApi,
    /// The list reads sessions share.
    pub(crate) reads: SharedReads,
    pub(crate) machines: MachineFactory,
    pub(crate) registry: Registry,
    pub(crate) tokens: Tokens,
    /// Where sessions survive a restart; `None` keeps them in memory only (the crate's tests
    /// with scripted machines).
    pub(crate) store: Option<Store>,
    /// Which sessions this instance holds in the store, until when.
    pub(crate) leases: Leases,
    pub(crate) metrics: Metrics,
    /// The NeoApi budget the sessions' polls share (issue 28).
    pub(crate) budget: Arc<Budget>,
    pub(crate) shutdown: CancellationToken,
    pub(crate) tracker: TaskTracker,
    /// Since when each agent's oldest pending write waits (only agents that have one).
    pending_since: Mutex<HashMap<Arc<str>, Instant>>,
    /// When a store failure was last logged.
    store_failures: Quiet,
    /// The Telephony Integration API, when VoiceCall records are written.
    pub(crate) telephony: Option<crate::telephony::Telephony>,
}

fn unix_at(at: Instant) -> i64 {
    clock::wall_at(at).timestamp()
}

/// What became of a store write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stored {
    Done,
    /// It failed: try again later.
    Failed,
    /// The session is another instance's now: write nothing more.
    Fenced,
}

/// Store failures are logged at most once a second: when the database is down every session
/// fails at every turn (the metric counts each).
#[derive(Default)]
struct Quiet {
    last: Mutex<Option<Instant>>,
    unsaid: std::sync::atomic::AtomicU64,
}

impl Quiet {
    /// Whether to log now, and how many went unsaid since the last line.
    fn say(&self) -> Option<u64> {
        use std::sync::atomic::Ordering;
        let now = clock::now();
        let mut last = self.last.lock().expect("never poisoned");
        if last.is_some_and(|at| now.duration_since(at) < Duration::from_secs(1)) {
            self.unsaid.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        *last = Some(now);
        Some(self.unsaid.swap(0, Ordering::Relaxed))
    }
}

impl Sessions {
    fn stored(&self, result: Result<(), StoreError>, what: &str) -> Stored {
        match result {
            Ok(()) => Stored::Done,
            Err(StoreError::Fenced { .. }) => Stored::Fenced,
            Err(e) => {
                self.metrics.store_errors.inc();
                if let Some(more) = self.store_failures.say() {
                    tracing::error!(error = %e, more_since_last = more, "cannot store {what}");
                }
                Stored::Failed
            }
        }
    }
}

impl Sessions {
    /// Sessions of `config`'s agents through `neoapi`, each driving a machine `machines` makes,
    /// kept in `store`.
    pub(crate) fn new(
        config: Config,
        neoapi: NeoApi,
        callcenter: sf_callcenter::Config,
        machines: MachineFactory,
        store: Option<Store>,
        telephony: Option<crate::telephony::Telephony>,
    ) -> Arc<Self> {
        let metrics = Metrics::new();
        let budget = Budget::new(
            config.poll_interval,
            config.neoapi_max_requests_per_sec,
            &metrics,
        );
        Arc::new(Self {
            tokens: Tokens::new(config.token_ttl),
            leases: Leases::new(instance_name(config.listen), config.store_lease),
            config,
            callcenter,
            neoapi,
            reads: SharedReads::default(),
            machines,
            registry: Registry::default(),
            store,
            metrics,
            budget,
            shutdown: CancellationToken::new(),
            tracker: TaskTracker::new(),
            pending_since: Mutex::new(HashMap::new()),
            store_failures: Quiet::default(),
            telephony,
        })
    }

    /// What the sessions' VoiceCall records name, when they are written.
    pub(crate) fn records(&self) -> Option<sf_voice::RecordsConfig> {
        self.telephony.as_ref().map(|t| t.records().clone())
    }

    /// Issues a token for `user`'s session at `generation` and keeps its hash in the store.
    pub(crate) async fn issue_token(
        &self,
        user: &str,
        generation: Generation,
    ) -> (String, Instant) {
        let (token, expires) = self.tokens.issue(user, clock::now());
        if let (Some(store), Some(hash)) = (&self.store, token_hash(&token)) {
            let row = TokenRow {
                hash,
                agent: user.to_owned(),
                expires_at: unix_at(expires),
            };
            self.stored(
                store.put_token(&row, generation).await,
                "a session token: a restart will ask for a login",
            );
        }
        (token, expires)
    }

    /// Keeps `user`'s tokens alive (a tab is open), in memory and in the store.
    pub(crate) async fn renew_tokens(&self, user: &str, generation: Generation, now: Instant) {
        self.tokens.touch_user(user, now);
        if let Some(store) = &self.store {
            let expires = unix_at(now + self.tokens.ttl());
            if let Err(e) = store.renew_tokens(user, generation, expires).await {
                tracing::warn!(error = %e, "cannot renew the stored tokens");
            }
        }
    }

    /// Kills `user`'s tokens, in memory and in the store.
    pub(crate) async fn revoke_tokens(&self, user: &str, generation: Generation) {
        self.tokens.revoke_user(user);
        if let Some(store) = &self.store
            && let Err(e) = store.remove_tokens(user, generation).await
        {
            tracing::warn!(error = %e, "cannot forget the stored tokens");
        }
    }

    /// Stores a new session (a login) whole, owned by this instance: its generation (0
    /// without a store), or `Err(true)` when another instance holds a session of `user`,
    /// `Err(false)` when the store failed.
    pub(crate) async fn store_session(
        &self,
        user: &str,
        device: &str,
        verifier: &str,
        snapshot: Option<&str>,
    ) -> Result<Generation, bool> {
        let Some(store) = &self.store else {
            return Ok(0);
        };
        let row = SessionRow {
            agent: user.to_owned(),
            device: device.to_owned(),
            verifier: verifier.to_owned(),
            snapshot: snapshot.unwrap_or("null").to_owned(),
            pending_writes: 0,
            started_at: clock::wall().timestamp(),
        };
        let asked = clock::now();
        match store
            .create_session(&row, &self.leases.owner, self.leases.lease)
            .await
        {
            Ok(Some(generation)) => {
                self.leases.granted(user, generation, asked);
                Ok(generation)
            }
            Ok(None) => Err(true),
            Err(e) => {
                self.metrics.store_errors.inc();
                tracing::error!(error = %e, "cannot store the new session");
                Err(false)
            }
        }
    }

    /// Hands a session's snapshot to the store's next group commit; `None` without a store.
    pub(crate) fn queue_snapshot(
        &self,
        user: &str,
        generation: Generation,
        snapshot: &str,
        pending: usize,
    ) -> Option<Queued> {
        let pending = i64::try_from(pending).unwrap_or(i64::MAX);
        let store = self.store.as_ref()?;
        Some(store.queue_snapshot(user, generation, snapshot, pending))
    }

    /// What became of a snapshot handed to the store (a failure is counted and logged).
    pub(crate) fn snapshot_stored(&self, result: Result<(), StoreError>) -> Stored {
        self.stored(result, "the session: it would not survive a restart")
    }

    /// The session ended for good: it and its tokens leave the store.
    pub(crate) async fn forget_session(&self, user: &str, generation: Generation) -> Stored {
        self.tokens.revoke_user(user);
        self.leases.forget(user, generation);
        let Some(store) = &self.store else {
            return Stored::Done;
        };
        self.stored(
            store.remove_session(user, generation).await,
            "the end of the session",
        )
    }

    /// The session goes on elsewhere (a stop, a hand-over): another instance may take it at
    /// once.
    pub(crate) async fn release_session(&self, user: &str, generation: Generation) {
        self.leases.forget(user, generation);
        if let Some(store) = &self.store {
            self.stored(
                store.release(user, generation).await,
                "the release of the session's lease",
            );
        }
    }

    /// Whether `user`'s session at `generation` may act now (always without a store or with
    /// one only this process can open).
    pub(crate) fn lease_state(&self, user: &str, generation: Generation) -> LeaseState {
        if !self.shared_store() {
            return LeaseState::Valid;
        }
        self.leases.state(user, generation, clock::now())
    }

    /// The store renewed this instance's leases lately (always without a shared store).
    pub(crate) fn store_ready(&self) -> bool {
        !self.shared_store() || self.leases.ready(clock::now())
    }

    /// Other instances may run sessions from this store. A SQLite store is locked to this
    /// process: no other can take a session, so its leases prove nothing, and a renewal late
    /// behind a shift's logins on its one connection must not stop every session.
    fn shared_store(&self) -> bool {
        self.store.as_ref().is_some_and(|s| !s.is_sole())
    }

    /// How long one NeoApi call may take.
    pub(crate) fn neoapi_timeout(&self) -> Duration {
        self.config
            .neoapi
            .as_ref()
            .map_or(Duration::from_secs(5), |n| n.timeout)
    }

    /// `user`'s panel settings: from this instance's memory, else from the store.
    pub(crate) async fn settings_of(&self, user: &str) -> Option<serde_json::Value> {
        if let Some(kept) = self.registry.settings(user) {
            return Some(kept);
        }
        let text = self.store.as_ref()?.settings_of(user).await.ok()??;
        let settings: serde_json::Value = serde_json::from_str(&text).ok()?;
        self.registry.keep_settings(user, &settings);
        Some(settings)
    }

    /// Keeps `user`'s panel settings across sessions and restarts.
    pub(crate) async fn store_settings(&self, user: &str, settings: &serde_json::Value) {
        self.registry.keep_settings(user, settings);
        if let Some(store) = &self.store
            && let Err(e) = store.put_settings(user, &settings.to_string()).await
        {
            tracing::warn!(error = %e, "cannot store the panel settings");
        }
    }

    /// `user`'s pending writes changed: `count` of them, the oldest sent `oldest` ago.
    pub(crate) fn pending_writes(
        &self,
        user: &Arc<str>,
        before: usize,
        count: usize,
        oldest: Option<Duration>,
    ) {
        let delta =
            i64::try_from(count).unwrap_or(i64::MAX) - i64::try_from(before).unwrap_or(i64::MAX);
        self.metrics.pending_writes.inc_by(delta);
        let mut since = self
            .pending_since
            .lock()
            .expect("pending map lock is never poisoned");
        match oldest {
            Some(age) if count > 0 => {
                let at = clock::now().checked_sub(age).unwrap_or_else(clock::now);
                since.insert(user.clone(), at);
            }
            _ => {
                since.remove(user);
            }
        }
    }

    /// Sets the oldest pending write's age on the metrics (the server does every few seconds).
    pub(crate) fn refresh_pending_age(&self) {
        let oldest = self
            .pending_since
            .lock()
            .expect("pending map lock is never poisoned")
            .values()
            .min()
            .copied();
        let age = oldest.map_or(0.0, |at| {
            clock::now().saturating_duration_since(at).as_secs_f64()
        });
        self.metrics.pending_write_oldest_age.set(age);
    }
}
