//! Who owns each session: a lease in the `sessions` row (owner, generation, until when),
//! judged on the database's clock only (the instances' clocks may disagree), and its history.
//!
//! Every change of owner happens in one transaction that reads the database's clock once and
//! bumps the generation under the row's lock: two instances claiming the same session at once
//! cannot both win (PostgreSQL re-checks the row after the other's commit; SQLite has one
//! writer), and the loser's later writes name a generation the row no longer has.

use std::time::Duration;

use sqlx::{Any, Row as _, Transaction};

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

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Store {
    /// The database's clock, milliseconds since the epoch.
    pub(super) async fn db_now(&self, tx: &mut Transaction<'_, Any>) -> Result<i64, StoreError> {
        let sql = match self.kind {
            Kind::Sqlite => "SELECT CAST((julianday('now') - 2440587.5) * 86400000.0 AS BIGINT)",
            Kind::Postgres => "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
        };
        Ok(sqlx::query(sql).fetch_one(&mut **tx).await?.try_get(0)?)
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
        let done = sqlx::query(
            "INSERT INTO sessions (agent, device, verifier, snapshot, pending_writes, started_at, \
             updated_at, owner, generation, lease_until, wanted_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '') \
             ON CONFLICT (agent) DO UPDATE SET device = excluded.device, \
             verifier = excluded.verifier, snapshot = excluded.snapshot, \
             pending_writes = excluded.pending_writes, started_at = excluded.started_at, \
             updated_at = excluded.updated_at, owner = excluded.owner, \
             generation = excluded.generation, lease_until = excluded.lease_until, \
             wanted_by = '' WHERE sessions.generation = $11",
        )
        .bind(&row.agent)
        .bind(&row.device)
        .bind(&row.verifier)
        .bind(&row.snapshot)
        .bind(row.pending_writes)
        .bind(row.started_at)
        .bind(now / 1000)
        .bind(owner)
        .bind(generation)
        .bind(now + millis(lease))
        .bind(previous)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            // Another instance created or claimed it meanwhile.
            return Ok(None);
        }
        record(
            &mut tx,
            &row.agent,
            generation,
            owner,
            now,
            now + millis(lease),
        )
        .await?;
        tx.commit().await?;
        Ok(Some(generation))
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
            .take(&mut tx, agent, generation, owner, now, lease)
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
                .take(&mut tx, &agent, generation, owner, now, lease)
                .await?
            {
                claimed.push(c);
            }
        }
        tx.commit().await?;
        Ok(claimed)
    }

    /// Moves the session from `generation` to the next, owned by `owner` from `now`.
    async fn take(
        &self,
        tx: &mut Transaction<'_, Any>,
        agent: &str,
        generation: Generation,
        owner: &str,
        now: i64,
        lease: Duration,
    ) -> Result<Option<Claimed>, StoreError> {
        let until = now + millis(lease);
        let row = sqlx::query(&format!(
            "UPDATE sessions SET owner = $1, generation = generation + 1, lease_until = $2, \
             wanted_by = '' WHERE agent = $3 AND generation = $4 RETURNING {SESSION_COLUMNS}"
        ))
        .bind(owner)
        .bind(until)
        .bind(agent)
        .bind(generation)
        .fetch_optional(&mut **tx)
        .await?;
        let Some(row) = row else { return Ok(None) };
        record(tx, agent, generation + 1, owner, now, until).await?;
        Ok(Some(Claimed {
            row: session_row(&row)?,
            generation: generation + 1,
        }))
    }

    /// Renews every lease `owner` holds, for `lease` from now; what it still holds.
    ///
    /// # Errors
    /// The store failed: nothing was renewed.
    pub async fn renew(&self, owner: &str, lease: Duration) -> Result<Vec<Held>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let now = self.db_now(&mut tx).await?;
        let until = now + millis(lease);
        let rows = sqlx::query(
            "UPDATE sessions SET lease_until = $1 WHERE owner = $2 \
             RETURNING agent, generation, wanted_by",
        )
        .bind(until)
        .bind(owner)
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE lease_history SET held_until = $1 WHERE owner = $2 AND released_at IS NULL \
             AND EXISTS (SELECT 1 FROM sessions s WHERE s.agent = lease_history.agent \
             AND s.generation = lease_history.generation AND s.owner = $2)",
        )
        .bind(until)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
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
    }

    /// Asks whoever owns `agent`'s session to hand it to `by`.
    ///
    /// # Errors
    /// The write failed.
    pub async fn want(&self, agent: &str, by: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sessions SET wanted_by = $1 WHERE agent = $2 AND owner <> $1 AND owner <> ''",
        )
        .bind(by)
        .bind(agent)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Lets go of the session (a stop, a hand-over): any instance may take it at once, but for
    /// a lease [`Self::claim_free`] leaves it to the instance that asked for it, if one did.
    ///
    /// # Errors
    /// [`StoreError::Fenced`] when the session is no longer at `generation`; the write failed.
    pub async fn release(&self, agent: &str, generation: Generation) -> Result<(), StoreError> {
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
    }

    /// Every ownership kept (a week), by agent and generation.
    ///
    /// # Errors
    /// The read failed.
    pub async fn history(&self) -> Result<Vec<LeaseRecord>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT agent, generation, owner, acquired_at, held_until, released_at \
             FROM lease_history ORDER BY agent, generation",
        )
        .fetch_all(&self.pool)
        .await?)
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
