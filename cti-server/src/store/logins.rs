//! What the login gate keeps (issue 29): each account's bucket of failed logins, the keyed
//! hashes of the devices and addresses each account logged in from, and the key of those
//! hashes. Judged on the database's clock, like the leases: the instances' clocks may disagree.
//!
//! A charge reads the bucket, lets the caller judge it, and writes the new one only if the row
//! is still what was read (compare and set): two instances charging one account at once cannot
//! both take its last room, on PostgreSQL as on SQLite, and no SQL dialect is needed for it.

use sqlx::{Any, Row as _, Transaction};

use super::db::{Queued, Store, StoreError, Write};

/// One account's bucket of failed logins, as two times (milliseconds, database clock).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoginBucket {
    /// When it will have leaked empty.
    pub empty_at: i64,
    /// When it was last charged.
    pub last_at: i64,
}

/// Known devices and addresses are forgotten this long after their last login (milliseconds).
const KNOWN_FOR_MS: i64 = 90 * 24 * 3600 * 1000;

/// Charges that lost a race this many times in a row give up (each loss is another's charge).
const MOST_TRIES: usize = 100;

impl Store {
    /// Charges one login attempt to `account`'s bucket: `judge` gets the bucket as it is, whether
    /// `pair` (a keyed hash of the account, device and address) logged in before, and the
    /// database's now; it answers the bucket charged, or why not (which is handed back).
    ///
    /// # Errors
    /// The store failed.
    pub async fn charge_login<E>(
        &self,
        account: &str,
        pair: &str,
        judge: impl Fn(LoginBucket, bool, i64) -> Result<LoginBucket, E>,
    ) -> Result<Result<(), E>, StoreError> {
        for _ in 0..MOST_TRIES {
            let mut tx = self.pool.begin().await?;
            let now = self.db_now(&mut tx).await?;
            let known = sqlx::query("SELECT account FROM login_known WHERE pair = $1")
                .bind(pair)
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
            let row = sqlx::query("SELECT empty_at, last_at FROM login_buckets WHERE account = $1")
                .bind(account)
                .fetch_optional(&mut *tx)
                .await?;
            let was = match &row {
                Some(r) => Some(LoginBucket {
                    empty_at: r.try_get(0)?,
                    last_at: r.try_get(1)?,
                }),
                None => None,
            };
            let charged = match judge(was.unwrap_or_default(), known, now) {
                Ok(charged) => charged,
                Err(why) => return Ok(Err(why)),
            };
            let done = match was {
                Some(was) => sqlx::query(
                    "UPDATE login_buckets SET empty_at = $1, last_at = $2 \
                     WHERE account = $3 AND empty_at = $4 AND last_at = $5",
                )
                .bind(charged.empty_at)
                .bind(charged.last_at)
                .bind(account)
                .bind(was.empty_at)
                .bind(was.last_at),
                None => sqlx::query(
                    "INSERT INTO login_buckets (account, empty_at, last_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (account) DO NOTHING",
                )
                .bind(account)
                .bind(charged.empty_at)
                .bind(charged.last_at),
            }
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 1 {
                tx.commit().await?;
                return Ok(Ok(()));
            }
        }
        Err(StoreError::Commit(format!(
            "the login bucket of {account} changed under {MOST_TRIES} charges in a row"
        )))
    }

    /// Settles a login attempt in the next group commit (a login writes its token and settings
    /// there too): the charge given back (`leak_ms`, the time one failure takes to leak out) for
    /// an attempt that did not fail, and, for one that succeeded, `known` (the keyed hash of its
    /// device and address) remembered.
    pub fn queue_login_settled(&self, account: &str, leak_ms: i64, known: Option<&str>) -> Queued {
        self.queue(Write::LoginSettled {
            account: account.to_owned(),
            leak_ms,
            known: known.map(str::to_owned),
        })
    }

    /// The key of the known pairs' hashes: the one stored, or `fresh` if none was (the first
    /// instance to ask makes it; every other reads it).
    ///
    /// # Errors
    /// The store failed.
    pub async fn login_secret(&self, fresh: &str) -> Result<String, StoreError> {
        sqlx::query(
            "INSERT INTO login_secret (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
        )
        .bind(fresh)
        .execute(&self.pool)
        .await?;
        let row = sqlx::query("SELECT secret FROM login_secret WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get(0)?)
    }

    /// Deletes the buckets empty at `now_ms` and the known pairs not used for 90 days (both on
    /// the caller's clock: a bucket a few seconds from empty may go a few seconds early).
    pub(super) async fn purge_logins(&self, now_ms: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_buckets WHERE empty_at <= $1")
            .bind(now_ms)
            .execute(&self.pool)
            .await?;
        sqlx::query("DELETE FROM login_known WHERE last_login < $1")
            .bind(now_ms - KNOWN_FOR_MS)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// [`Store::queue_login_settled`]'s writes, in the group commit's transaction.
pub(super) async fn settle(
    tx: &mut Transaction<'_, Any>,
    account: &str,
    leak_ms: i64,
    known: Option<&str>,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE login_buckets SET empty_at = empty_at - $1 WHERE account = $2")
        .bind(leak_ms)
        .bind(account)
        .execute(&mut **tx)
        .await?;
    if let Some(pair) = known {
        sqlx::query(
            "INSERT INTO login_known (pair, account, last_login) VALUES ($1, $2, $3) \
             ON CONFLICT (pair) DO UPDATE SET last_login = excluded.last_login",
        )
        .bind(pair)
        .bind(account)
        .bind(now_ms)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
