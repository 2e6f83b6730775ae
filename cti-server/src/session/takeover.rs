//! Taking sessions from the store (issue 14): at start, every round of the lease keeper (the
//! sessions nobody holds: a stopped instance's, a dead one's once its lease ran out), and for a
//! browser that reached this instance for a session it does not run ([`acquire`], asking the
//! owner to hand it over). The keeper also renews this instance's leases, tells the sessions
//! that lost theirs, and hands over those another instance asks for.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::driver;
use super::hub::Sessions;
use super::registry::{SessionHandle, ToSession};
use super::resume::machine;
use crate::clock;
use crate::store::{Claim, Claimed, Generation, Store, StoreError};

/// How many free sessions one keeper round adopts at most (the rest, the next rounds).
const ADOPT_PER_ROUND: i64 = 200;

/// Runs a session this instance just claimed: its tokens and settings from the store, its
/// machine from the snapshot, its task. `None` when it cannot run (logged, and let go).
pub(crate) async fn adopt(
    sessions: &Arc<Sessions>,
    claimed: Claimed,
    asked: Instant,
) -> Option<SessionHandle> {
    let Claimed { row, generation } = claimed;
    let store = sessions.store.as_ref()?;
    sessions.leases.granted(&row.agent, generation, asked);
    let now_unix = clock::wall().timestamp();
    let now = clock::now();
    // What this instance remembered of the agent's tokens may be stale (revoked elsewhere).
    sessions.tokens.revoke_user(&row.agent);
    match store.tokens_of(&row.agent, now_unix).await {
        Ok(tokens) => {
            for t in tokens {
                let left = u64::try_from(t.expires_at - now_unix).unwrap_or_default();
                sessions
                    .tokens
                    .restore(&t.hash, &t.agent, now + Duration::from_secs(left));
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot read the session's tokens"),
    }
    if let Ok(Some(settings)) = store.settings_of(&row.agent).await
        && let Ok(settings) = serde_json::from_str(&settings)
    {
        sessions.registry.keep_settings(&row.agent, &settings);
    }
    let Some(core) = machine(sessions, &row) else {
        sessions.leases.forget(&row.agent, generation);
        let _ = store.release(&row.agent, generation).await;
        return None;
    };
    let handle = driver::spawn(
        sessions,
        driver::Start {
            user: &row.agent,
            device: &row.device,
            verifier: &row.verifier,
            generation,
            core,
            now: clock::now(),
        },
    );
    sessions.registry.resume(handle.clone());
    tracing::info!(agent = %row.agent, generation, "session taken from the store");
    Some(handle)
}

/// Why [`acquire`] gives no session.
#[derive(Debug)]
pub(crate) enum AcquireError {
    /// There is no such session (it ended).
    Absent,
    /// Its owner did not let go in time: try again.
    Busy,
    /// The store failed.
    Store(StoreError),
}

/// `user`'s session on this instance: the running one, or the stored one taken over (at once
/// when nobody holds it, else asking its owner to hand it over and waiting, at most about two
/// leases).
pub(crate) async fn acquire(
    sessions: &Arc<Sessions>,
    user: &str,
) -> Result<SessionHandle, AcquireError> {
    let Some(store) = &sessions.store else {
        return sessions.registry.get(user).ok_or(AcquireError::Absent);
    };
    let leases = &sessions.leases;
    let deadline = clock::now() + leases.lease * 2 + sessions.neoapi_timeout();
    let mut asked_owner = None;
    loop {
        if let Some(running) = sessions.registry.get(user) {
            return Ok(running);
        }
        if let Some(reservation) = sessions.registry.reserve(user) {
            let asked = clock::now();
            match store.claim(user, &leases.owner, leases.lease).await {
                Ok(Claim::Claimed(claimed)) => {
                    // Reserved until it runs, so the keeper does not take it for an orphan.
                    let handle = adopt(sessions, claimed, asked).await;
                    drop(reservation);
                    return handle.ok_or(AcquireError::Absent);
                }
                Ok(Claim::Absent) => return Err(AcquireError::Absent),
                // This instance holds it: the keeper is starting it (found free a moment ago)
                // or lets a stale lease go; the session shows in the registry, or frees, soon.
                Ok(Claim::Held { owner }) if owner == leases.owner => {}
                Ok(Claim::Held { owner }) => {
                    if asked_owner.as_ref() != Some(&owner) {
                        tracing::info!(user, %owner, "asking the owner to hand the session over");
                        store
                            .want(user, &leases.owner)
                            .await
                            .map_err(AcquireError::Store)?;
                        asked_owner = Some(owner);
                    }
                }
                Err(e) => return Err(AcquireError::Store(e)),
            }
        }
        if clock::now() >= deadline {
            return Err(AcquireError::Busy);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The keeper: every fifth of the lease, renews this instance's leases, tells the sessions
/// that lost theirs and hands over those another instance wants; beside it, as often, adopts
/// the sessions nobody holds (a dead instance's, once their lease ran out). A renewal is what
/// every session here waits for when the database is slow: it never waits for a round of
/// adoptions (each session's tokens and settings read from the store), nor for the previous
/// renewal's answer.
pub(crate) async fn keep(sessions: Arc<Sessions>) {
    let Some(store) = sessions.store.clone() else {
        return;
    };
    // A SQLite store is this process's alone: renewing every session's lease would rewrite
    // every row each round (2,000 rows a second at 2,000 agents, on its one connection)
    // to prove what the lock proves, and nobody else can free or take a session.
    let purged = Mutex::new(clock::now());
    if store.is_sole() {
        let minute = Duration::from_secs(60);
        every_round(&sessions, minute, || purge_now_and_then(&store, &purged)).await;
        return;
    }
    let every = sessions.leases.every();
    let renewing = Arc::new(AtomicUsize::new(0));
    let renewals = || {
        // On time, whether the last one has come back or not (a slow database answers each
        // late; a renewal's lease counts from when it was asked), but never many at once.
        if renewing.fetch_add(1, Ordering::SeqCst) < RENEWALS_AT_ONCE {
            let (sessions, store, renewing) = (sessions.clone(), store.clone(), renewing.clone());
            sessions.tracker.clone().spawn(async move {
                renew(&sessions, &store).await;
                renewing.fetch_sub(1, Ordering::SeqCst);
            });
        } else {
            renewing.fetch_sub(1, Ordering::SeqCst);
        }
        std::future::ready(())
    };
    tokio::join!(
        every_round(&sessions, every, renewals),
        every_round(&sessions, every, || adopt_free(&sessions, &store, &purged)),
    );
}

/// The most renewals on their way at once.
const RENEWALS_AT_ONCE: usize = 3;

/// Runs `round` every `every` (a late round delays the next) until shutdown.
async fn every_round<F: Future<Output = ()>>(
    sessions: &Sessions,
    every: Duration,
    mut round: impl FnMut() -> F,
) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = sessions.shutdown.cancelled() => break,
        }
        round().await;
    }
}

/// One renewal: the leases this instance still holds run on, the sessions that lost theirs
/// stop, the ones another instance asks for are handed over, and a lease held for no session
/// running here is let go.
async fn renew(sessions: &Arc<Sessions>, store: &Store) {
    let leases = &sessions.leases;
    let asked = clock::now();
    let held = match store.renew(&leases.owner, leases.lease).await {
        Ok(held) => held,
        Err(e) => {
            sessions.metrics.store_errors.inc();
            tracing::error!(error = %e, "cannot renew the session leases");
            return;
        }
    };
    for (agent, generation) in leases.renewed(&held, asked) {
        tracing::warn!(%agent, generation, "the session's lease was lost: another instance runs it");
        tell(sessions, &agent, generation, ToSession::LeaseLost);
    }
    for h in &held {
        let running = sessions
            .registry
            .get(&h.agent)
            .is_some_and(|r| r.generation() == h.generation);
        if running {
            if h.wanted {
                tell(sessions, &h.agent, h.generation, ToSession::HandOff);
            }
        } else if !leases.knows(&h.agent, h.generation) && !sessions.registry.reserved(&h.agent) {
            // Held in the store but run nowhere here: let another take it.
            let _ = store.release(&h.agent, h.generation).await;
        }
    }
}

/// One look for sessions nobody holds, each adopted; now and then, the purge.
async fn adopt_free(sessions: &Arc<Sessions>, store: &Store, purged: &Mutex<Instant>) {
    let leases = &sessions.leases;
    // A connection ready for each renewal that may be on its way at once.
    if let Err(e) = store.ready_renewals(RENEWALS_AT_ONCE).await {
        tracing::warn!(error = %e, "cannot open a connection for the lease renewals");
    }
    if !leases.may_adopt(clock::now()) {
        return;
    }
    let asked = clock::now();
    match store
        .claim_free(&leases.owner, leases.lease, ADOPT_PER_ROUND, false)
        .await
    {
        Ok(free) => {
            for claimed in free {
                adopt(sessions, claimed, asked).await;
            }
        }
        Err(e) => {
            sessions.metrics.store_errors.inc();
            tracing::warn!(error = %e, "cannot look for sessions nobody holds");
        }
    }
    purge_now_and_then(store, purged).await;
}

/// Every ten minutes: dead tokens and old history go.
async fn purge_now_and_then(store: &Store, purged_at: &Mutex<Instant>) {
    let now = clock::now();
    {
        let mut at = purged_at
            .lock()
            .expect("the purge's time is never poisoned");
        if now.duration_since(*at) <= Duration::from_secs(600) {
            return;
        }
        *at = now;
    }
    let _ = store.purge(clock::wall().timestamp()).await;
}

/// Sends `message` to `agent`'s running session if it is at `generation`, without waiting: a
/// session waiting for its lease reads no messages (a lost lease it finds by itself; a hand-over
/// is asked again at the next renewal).
fn tell(sessions: &Sessions, agent: &str, generation: Generation, message: ToSession) {
    if let Some(running) = sessions
        .registry
        .get(agent)
        .filter(|r| r.generation() == generation)
    {
        running.try_send(message);
    }
}

/// Why a token opens no session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenError {
    /// Unknown, expired or revoked, or its session ended.
    Invalid,
    /// Its session runs on another instance that did not let go in time, or the store did not
    /// answer: connect again.
    Busy,
}

/// The session `token` opens: running here, or taken from the store (the token checked there:
/// another instance may have issued or revoked it).
pub(crate) async fn by_token(
    sessions: &Arc<Sessions>,
    token: &str,
) -> Result<SessionHandle, TokenError> {
    // An instance whose store has not renewed its leases lately can run no session (its own
    // wait, another's it could not take): the page connects again, and the load balancer,
    // which sees `/readyz` fail, sends it to an instance that can.
    if !sessions.store_ready() {
        return Err(TokenError::Busy);
    }
    if let Some(grant) = sessions.tokens.check(token, clock::now())
        && let Some(running) = sessions.registry.get(&grant.user)
    {
        return Ok(running);
    }
    let Some(store) = &sessions.store else {
        return Err(TokenError::Invalid);
    };
    let hash = crate::security::token_hash(token).ok_or(TokenError::Invalid)?;
    let row = match store.token(&hash, clock::wall().timestamp()).await {
        Ok(Some(row)) => row,
        Ok(None) => return Err(TokenError::Invalid),
        Err(e) => {
            tracing::warn!(error = %e, "cannot check a token in the store");
            return Err(TokenError::Busy);
        }
    };
    // A session running here knows its own tokens: what this instance refused stays refused.
    if sessions.registry.get(&row.agent).is_some() {
        return Err(TokenError::Invalid);
    }
    match acquire(sessions, &row.agent).await {
        Ok(running) => Ok(running),
        Err(AcquireError::Absent) => Err(TokenError::Invalid),
        Err(AcquireError::Busy | AcquireError::Store(_)) => Err(TokenError::Busy),
    }
}

/// At start, the sessions the store kept that nobody holds (this server stopped or died; on
/// PostgreSQL, another instance stopped, or died and its lease ran out) come back: their
/// tokens, the agents' panel settings, and each session from its snapshot. The agents stay
/// logged in to Neotel meanwhile; each resumed session reads `Position` again, reconciles, and
/// sends the writes Neotel has not accepted. A SQLite store is this server's alone (it is
/// locked): every session in it comes back. How many.
///
/// # Errors
/// The store cannot be read.
pub(crate) async fn resume(sessions: &Arc<Sessions>) -> Result<usize, StoreError> {
    let Some(store) = &sessions.store else {
        return Ok(0);
    };
    store.purge(clock::wall().timestamp()).await?;
    let leases = &sessions.leases;
    let asked = clock::now();
    let claimed = store
        .claim_free(&leases.owner, leases.lease, i64::MAX, store.is_sole())
        .await?;
    let mut resumed = 0;
    for c in claimed {
        if adopt(sessions, c, asked).await.is_some() {
            resumed += 1;
        }
    }
    if resumed > 0 {
        tracing::info!(resumed, "sessions resumed from the store");
    }
    // A first renewal before the first page: `/readyz` can say yes from the start.
    let asked = clock::now();
    let held = store.renew(&leases.owner, leases.lease).await?;
    leases.renewed(&held, asked);
    Ok(resumed)
}
