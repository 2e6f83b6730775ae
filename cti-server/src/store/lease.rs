//! Who owns each session: a lease in the `sessions` row (owner, generation, until when),
//! judged on the database's clock only (the instances' clocks may disagree), and its history.
//!
//! Every change of owner happens in one transaction that reads the database's clock once and
//! bumps the generation under the row's lock: two instances claiming the same session at once
//! cannot both win (PostgreSQL re-checks the row after the other's commit; SQLite has one
//! writer), and the loser's later writes name a generation the row no longer has.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sqlx::{Any, AnyConnection, Connection as _, Row as _, Transaction};

use super::db::{Generation, Kind, SessionRow, Store, StoreError, fenced, session_row};

/// A stored session this instance now owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// The session as last written by its previous owner.
    pub row: SessionRow,
    /// The generation its writes name from now on.
    pub generation: Generation,
}

/// What claiming one session found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// It is this instance's now.
    Claimed(Claimed),
    /// Another instance holds it, its lease still running.
    Held {
        /// The owner.
        owner: String,
    },
    /// There is no such session.
    Absent,
}

/// A session an instance still holds after renewing its leases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// `USUARIO`.
    pub agent: String,
    /// Its generation.
    pub generation: Generation,
    /// Another instance asks for it (a browser of this agent reached that one).
    pub wanted: bool,
}

/// One ownership of a session, from the history (its columns by name).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LeaseRecord {
    /// `USUARIO`.
    pub agent: String,
    /// The generation.
    pub generation: Generation,
    /// The instance.
    pub owner: String,
    /// When it took the session (milliseconds, database clock).
    pub acquired_at: i64,
    /// Until when its last renewal held it.
    pub held_until: i64,
    /// When it let go (released, logged out), if it did.
    pub released_at: Option<i64>,
}

const SESSION_COLUMNS: &str = "agent, device, verifier, snapshot, pending_writes, started_at";

/// The lease renewal on PostgreSQL: one statement, one round trip (the renewal is what a slow
/// database must still get through in time). The rows are locked in the agents' order, as the
/// group commit writes them: neither waits for the other in a circle.
const RENEW: &str = "WITH locked AS MATERIALIZED (SELECT agent FROM sessions \
     WHERE owner = $2 ORDER BY agent FOR UPDATE), \
     renewed AS (UPDATE sessions s SET lease_until = (SELECT \
     CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)) + $1 \
     FROM locked WHERE s.agent = locked.agent AND s.owner = $2 \
     RETURNING s.agent, s.generation, s.wanted_by, s.lease_until), \
     history AS (UPDATE lease_history h SET held_until = r.lease_until \
     FROM renewed r WHERE h.agent = r.agent AND h.generation = r.generation \
     AND h.owner = $2 AND h.released_at IS NULL) \
     SELECT agent, generation, wanted_by FROM renewed";

/// A connection of the lease renewals (PostgreSQL), counted while open.
#[derive(Debug)]
pub(crate) struct Renewer {
    conn: AnyConnection,
    open: Arc<AtomicUsize>,
}

impl Drop for Renewer {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::SeqCst);
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Store {
    /// The database's clock, milliseconds since the epoch, as an SQL expression (read when
    /// the statement gets to it, not when its transaction began).
    fn clock(&self) -> &'static str {
        match self.kind {
            Kind::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000.0 AS BIGINT)",
            Kind::Postgres => "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
        }
    }

    /// The database's clock, milliseconds since the epoch.
    pub(super) async fn db_now(&self, tx: &mut Transaction<'_, Any>) -> Result<i64, StoreError> {
        let sql = format!("SELECT {}", self.clock());
        Ok(sqlx::query(&sql).fetch_one(&mut **tx).await?.try_get(0)?)
    }

    /// Stores a new session (a login) owned by `owner` for `lease`; its generation, or `None`
    /// when another instance holds a session of this agent.
    ///
    /// # Errors
    /// The write failed.
    pub async fn create_session(
        &self,
        row: &SessionRow,
        owner: &str,
        lease: Duration,
    ) -> Result<Option<Generation>, StoreError> {
        self.bounded(async {
            let mut tx = self.pool.begin().await?;
            let now = self.db_now(&mut tx).await?;
            let existing =
                sqlx::query("SELECT owner, lease_until, generation FROM sessions WHERE agent = $1")
                    .bind(&row.agent)
                    .fetch_optional(&mut *tx)
                    .await?;
            let mut previous = -1;
            if let Some(r) = &existing {
                let (holder, until): (String, i64) = (r.try_get(0)?, r.try_get(1)?);
                if !holder.is_empty() && holder != owner && until >= now {
                    return Ok(None);
                }
                previous = r.try_get(2)?;
            }
            let last: i64 = sqlx::query(
                "SELECT CAST(COALESCE(MAX(generation), 0) AS BIGINT) FROM lease_history \
                 WHERE agent = $1",
            )
            .bind(&row.agent)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
            let generation = last.max(previous) + 1;
            // The lease judged again as the row is written (see `take`): an owner's renewal
            // committed since the read keeps the session its own.
            let clock = self.clock();
            let done = sqlx::query(&format!(
                "INSERT INTO sessions (agent, device, verifier, snapshot, pending_writes, started_at, \
                 updated_at, owner, generation, lease_until, wanted_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, {clock} + $10, '') \
                 ON CONFLICT (agent) DO UPDATE SET device = excluded.device, \
                 verifier = excluded.verifier, snapshot = excluded.snapshot, \
                 pending_writes = excluded.pending_writes, started_at = excluded.started_at, \
                 updated_at = excluded.updated_at, owner = excluded.owner, \
                 generation = excluded.generation, lease_until = excluded.lease_until, \
                 wanted_by = '' WHERE sessions.generation = $11 AND (sessions.owner = '' \
                 OR sessions.owner = $8 OR sessions.lease_until < {clock}) \
                 RETURNING lease_until"
            ))
            .bind(&row.agent)
            .bind(&row.device)
            .bind(&row.verifier)
            .bind(&row.snapshot)
            .bind(row.pending_writes)
            .bind(row.started_at)
            .bind(now / 1000)
            .bind(owner)
            .bind(generation)
            .bind(millis(lease))
            .bind(previous)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(done) = done else {
                // Another instance created or claimed it meanwhile, or renewed its lease.
                return Ok(None);
            };
            let until: i64 = done.try_get(0)?;
            record(
                &mut tx,
                &row.agent,
                generation,
                owner,
                until - millis(lease),
                until,
            )
            .await?;
            tx.commit().await?;
            Ok(Some(generation))
        })
        .await
    }

    /// Takes `agent`'s session for `owner` if nobody holds it (released, or its lease ran
    /// out). A session `owner` holds itself is [`Claim::Held`] by it: taking it again would
    /// run it twice.
    ///
    /// # Errors
    /// The store failed.
    pub async fn claim(
        &self,
        agent: &str,
        owner: &str,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        self.bounded(async {
            let mut tx = self.pool.begin().await?;
            let now = self.db_now(&mut tx).await?;
            let row =
                sqlx::query("SELECT owner, lease_until, generation FROM sessions WHERE agent = $1")
                    .bind(agent)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(row) = row else {
                return Ok(Claim::Absent);
            };
            let (holder, until, generation): (String, i64, i64) =
                (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            // Held by the asker itself too: it runs (or is starting) the session under that
            // generation; a second claim would start it twice on one instance.
            if !holder.is_empty() && until >= now {
                return Ok(Claim::Held { owner: holder });
            }
            match self
                .take(&mut tx, agent, generation, owner, lease, false)
                .await?
            {
                Some(claimed) => {
                    tx.commit().await?;
                    Ok(Claim::Claimed(claimed))
                }
                None => {
                    // Another instance took it between the read and the write: say which.
                    drop(tx);
                    Ok(match self.session(agent).await? {
                        Some((_, owner)) => Claim::Held { owner },
                        None => Claim::Absent,
                    })
                }
            }
        })
        .await
    }

    /// Takes for `owner` up to `limit` sessions nobody holds (their owner released them or
    /// stopped renewing; never `owner`'s own, which it renews; one handed over to another
    /// instance that asked for it, only once that one had a lease's time to take it); with
    /// `all`, every session whatever its lease (a SQLite store at start: the lock proves its
    /// last owner is gone).
    ///
    /// # Errors
    /// The store failed.
    pub async fn claim_free(
        &self,
        owner: &str,
        lease: Duration,
        limit: i64,
        all: bool,
    ) -> Result<Vec<Claimed>, StoreError> {
        self.bounded(async {
            let mut tx = self.pool.begin().await?;
            let now = self.db_now(&mut tx).await?;
            let free = sqlx::query(
                "SELECT agent, generation FROM sessions \
                 WHERE ($1 = 1 OR owner = '' OR lease_until < $2) AND owner <> $4 \
                 AND ($1 = 1 OR wanted_by = '' OR wanted_by = $4 OR lease_until < $5) \
                 ORDER BY agent LIMIT $3",
            )
            .bind(i64::from(all))
            .bind(now)
            .bind(limit)
            .bind(owner)
            // A session handed over to the instance that asked is that one's for a lease: the
            // others (the one that let it go included) leave it unless the asker never comes.
            .bind(now - millis(lease))
            .fetch_all(&mut *tx)
            .await?;
            let mut claimed = Vec::new();
            for r in free {
                let (agent, generation): (String, i64) = (r.try_get(0)?, r.try_get(1)?);
                // Another instance may have taken it since the read: the generation says.
                if let Some(c) = self
                    .take(&mut tx, &agent, generation, owner, lease, all)
                    .await?
                {
                    claimed.push(c);
                }
            }
            tx.commit().await?;
            Ok(claimed)
        })
        .await
    }

    /// Moves the session from `generation` to the next, owned by `owner` from `now`.
    async fn take(
        &self,
        tx: &mut Transaction<'_, Any>,
        agent: &str,
        generation: Generation,
        owner: &str,
        lease: Duration,
        all: bool,
    ) -> Result<Option<Claimed>, StoreError> {
        // The lease is judged again in the update itself, on the database's clock as it gets
        // there: the owner's renewal may have committed since the session was read free (a
        // renewal delayed on its way, or one this update waited for: PostgreSQL reads the row
        // again after the lock's holder commits). A renewed lease stays its owner's, and the
        // history says when the session really changed hands.
        let clock = self.clock();
        let row = sqlx::query(&format!(
            "UPDATE sessions SET owner = $1, generation = generation + 1, \
             lease_until = {clock} + $2, wanted_by = '' \
             WHERE agent = $3 AND generation = $4 \
             AND ($5 = 1 OR owner = '' OR lease_until < {clock}) \
             RETURNING {SESSION_COLUMNS}, lease_until"
        ))
        .bind(owner)
        .bind(millis(lease))
        .bind(agent)
        .bind(generation)
        .bind(i64::from(all))
        .fetch_optional(&mut **tx)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let until: i64 = row.try_get("lease_until")?;
        let from = until - millis(lease);
        record(tx, agent, generation + 1, owner, from, until).await?;
        Ok(Some(Claimed {
            row: session_row(&row)?,
            generation: generation + 1,
        }))
    }

    /// A new connection for the renewals, the renewal prepared on it.
    async fn open_renewer(&self) -> Result<Renewer, StoreError> {
        let mut conn = AnyConnection::connect_with(&self.pool.connect_options()).await?;
        sqlx::Executor::prepare(&mut conn, RENEW).await?;
        self.renewers_open.fetch_add(1, Ordering::SeqCst);
        Ok(Renewer {
            conn,
            open: self.renewers_open.clone(),
        })
    }

    /// Opens connections for the lease renewals until `at_once` are open (PostgreSQL), so
    /// that as many renewals on their way at once (a slow database answers each late) each
    /// find one ready: a renewal then costs one round trip, never the opening of a connection.
    ///
    /// # Errors
    /// A connection cannot be opened.
    pub async fn ready_renewals(&self, at_once: usize) -> Result<(), StoreError> {
        if self.kind != Kind::Postgres {
            return Ok(());
        }
        self.bounded_twice(async {
            while self.renewers_open.load(Ordering::SeqCst) < at_once {
                let renewer = self.open_renewer().await?;
                self.renewers.lock().expect("never poisoned").push(renewer);
            }
            Ok(())
        })
        .await
    }

    /// Renews every lease `owner` holds, for `lease` from now; what it still holds.
    ///
    /// # Errors
    /// The store failed: nothing was renewed.
    pub async fn renew(&self, owner: &str, lease: Duration) -> Result<Vec<Held>, StoreError> {
        // Its answer counts from when it was asked, whenever it comes (and it may have to open
        // its connection through a slow database): it is waited for longer than a write.
        self.bounded_twice(async {
            let rows = match self.kind {
                Kind::Postgres => {
                    // Renewals have connections of their own, ready beforehand
                    // ([`Self::ready_renewals`]): they never wait behind the sessions' writes
                    // for one of the pool's, and each costs one round trip. One is kept only
                    // after an answer: one given up mid-statement (the deadline) or broken is
                    // dropped.
                    let idle = self.renewers.lock().expect("never poisoned").pop();
                    let mut renewer = match idle {
                        Some(renewer) => renewer,
                        None => self.open_renewer().await?,
                    };
                    let rows = sqlx::query(RENEW)
                        .bind(millis(lease))
                        .bind(owner)
                        .fetch_all(&mut renewer.conn)
                        .await?;
                    self.renewers.lock().expect("never poisoned").push(renewer);
                    rows
                }
                Kind::Sqlite => {
                    let mut tx = self.pool.begin().await?;
                    let until = self.db_now(&mut tx).await? + millis(lease);
                    let rows = sqlx::query(
                        "UPDATE sessions SET lease_until = $1 WHERE owner = $2 \
                         RETURNING agent, generation, wanted_by",
                    )
                    .bind(until)
                    .bind(owner)
                    .fetch_all(&mut *tx)
                    .await?;
                    sqlx::query(
                        "UPDATE lease_history SET held_until = $1 WHERE owner = $2 \
                         AND released_at IS NULL AND EXISTS (SELECT 1 FROM sessions s \
                         WHERE s.agent = lease_history.agent \
                         AND s.generation = lease_history.generation AND s.owner = $2)",
                    )
                    .bind(until)
                    .bind(owner)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    rows
                }
            };
            rows.iter()
                .map(|r| {
                    let wanted: String = r.try_get(2)?;
                    Ok(Held {
                        agent: r.try_get(0)?,
                        generation: r.try_get(1)?,
                        wanted: !wanted.is_empty(),
                    })
                })
                .collect()
        })
        .await
    }

    /// Asks whoever owns `agent`'s session to hand it to `by`.
    ///
    /// # Errors
    /// The write failed.
    pub async fn want(&self, agent: &str, by: &str) -> Result<(), StoreError> {
        self.bounded(async {
            sqlx::query(
                "UPDATE sessions SET wanted_by = $1 WHERE agent = $2 AND owner <> $1 AND owner <> ''",
            )
            .bind(by)
            .bind(agent)
            .execute(&self.pool)
            .await?;
            Ok(())
        })
        .await
    }

    /// Lets go of the session (a stop, a hand-over): any instance may take it at once, but for
    /// a lease [`Self::claim_free`] leaves it to the instance that asked for it, if one did.
    ///
    /// # Errors
    /// [`StoreError::Fenced`] when the session is no longer at `generation`; the write failed.
    pub async fn release(&self, agent: &str, generation: Generation) -> Result<(), StoreError> {
        self.bounded(async {
            let mut tx = self.pool.begin().await?;
            let now = self.db_now(&mut tx).await?;
            let done = sqlx::query(
                "UPDATE sessions SET owner = '', lease_until = $3 WHERE agent = $1 AND generation = $2",
            )
            .bind(agent)
            .bind(generation)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            fenced(done.rows_affected(), agent, generation)?;
            released(&mut tx, agent, generation, now).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// Forgets a session and its tokens (it ended: logout, Neotel logged it out, idle).
    ///
    /// # Errors
    /// [`StoreError::Fenced`] when the session is no longer at `generation`; the write failed.
    pub async fn remove_session(
        &self,
        agent: &str,
        generation: Generation,
    ) -> Result<(), StoreError> {
        self.bounded(async {
            let mut tx = self.pool.begin().await?;
            let now = self.db_now(&mut tx).await?;
            let done = sqlx::query("DELETE FROM sessions WHERE agent = $1 AND generation = $2")
                .bind(agent)
                .bind(generation)
                .execute(&mut *tx)
                .await?;
            fenced(done.rows_affected(), agent, generation)?;
            sqlx::query("DELETE FROM tokens WHERE agent = $1")
                .bind(agent)
                .execute(&mut *tx)
                .await?;
            released(&mut tx, agent, generation, now).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// Every ownership kept (a week), by agent and generation.
    ///
    /// # Errors
    /// The read failed.
    pub async fn history(&self) -> Result<Vec<LeaseRecord>, StoreError> {
        self.bounded(async {
            Ok(sqlx::query_as(
                "SELECT agent, generation, owner, acquired_at, held_until, released_at \
                 FROM lease_history ORDER BY agent, generation",
            )
            .fetch_all(&self.pool)
            .await?)
        })
        .await
    }
}

async fn record(
    tx: &mut Transaction<'_, Any>,
    agent: &str,
    generation: Generation,
    owner: &str,
    now: i64,
    until: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO lease_history (agent, generation, owner, acquired_at, held_until) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(agent)
    .bind(generation)
    .bind(owner)
    .bind(now)
    .bind(until)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn released(
    tx: &mut Transaction<'_, Any>,
    agent: &str,
    generation: Generation,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE lease_history SET released_at = $1 WHERE agent = $2 AND generation = $3")
        .bind(now)
        .bind(agent)
        .bind(generation)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
