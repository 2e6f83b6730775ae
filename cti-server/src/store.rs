//! The session store: what a session must not lose, written before the agent is told it is
//! done (issue 13). SQLite in the data directory by default (nothing to install); PostgreSQL
//! for an active/standby pair. One code path for both: sqlx's `Any` driver, portable SQL and
//! `$n` placeholders (both accept them), versioned migrations run at start.
//!
//! sqlx rather than a driver per database: it is the field's usual async SQL crate, speaks both
//! databases behind one pool type, runs the same migration files on both, and needs no server at
//! build time (no compile-time checked queries here).

use std::path::Path;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor as _, Row as _};
use tokio::sync::{mpsc, oneshot};

/// The store could not be opened or answered with an error.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be opened (the URL names which; a password in it is not shown).
    #[error("cannot open the session store {url}: {source}")]
    Open {
        /// The URL, its password hidden.
        url: String,
        /// Why.
        source: sqlx::Error,
    },
    /// A migration failed.
    #[error("cannot migrate the session store: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A read or a write failed.
    #[error("session store: {0}")]
    Query(#[from] sqlx::Error),
    /// The group commit a snapshot was part of failed (or the writer is gone).
    #[error("session store: {0}")]
    Commit(String),
}

/// One stored session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// `USUARIO`.
    pub agent: String,
    /// The Neotel device (position) it logged in on.
    pub device: String,
    /// The password's argon2id verifier (PHC string).
    pub verifier: String,
    /// cti-core's snapshot, JSON.
    pub snapshot: String,
    /// Writes Neotel has not accepted (for operators reading the table).
    pub pending_writes: i64,
    /// When the session started (Unix seconds).
    pub started_at: i64,
}

/// One stored token: its SHA-256 (hex), whose, until when (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    /// SHA-256 of the token, lower-case hex.
    pub hash: String,
    /// `USUARIO`.
    pub agent: String,
    /// Unix seconds.
    pub expires_at: i64,
}

/// The session store (a pool and its snapshot writer: cheap to clone).
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    snapshots: mpsc::UnboundedSender<Put>,
}

/// A snapshot waiting for the next group commit, and who waits for it.
#[derive(Debug)]
struct Put {
    agent: String,
    snapshot: String,
    pending_writes: i64,
    done: oneshot::Sender<Result<(), String>>,
}

/// The most snapshots one commit carries.
const MOST_PER_COMMIT: usize = 512;

/// Snapshots change on every step of every session and each must be durable before the
/// session goes on: committed one by one, thousands of agents would wait on one disk flush
/// each. The writer commits whatever is waiting in one transaction, and answers each.
async fn write_snapshots(pool: AnyPool, mut puts: mpsc::UnboundedReceiver<Put>) {
    while let Some(first) = puts.recv().await {
        let mut batch = vec![first];
        while batch.len() < MOST_PER_COMMIT {
            match puts.try_recv() {
                Ok(put) => batch.push(put),
                Err(_) => break,
            }
        }
        let result = commit(&pool, &batch).await.map_err(|e| e.to_string());
        for put in batch {
            let _ = put.done.send(result.clone());
        }
    }
}

async fn commit(pool: &AnyPool, batch: &[Put]) -> Result<(), sqlx::Error> {
    let now = unix(crate::clock::wall());
    let mut tx = pool.begin().await?;
    for put in batch {
        sqlx::query(
            "UPDATE sessions SET snapshot = $1, pending_writes = $2, updated_at = $3 \
             WHERE agent = $4",
        )
        .bind(&put.snapshot)
        .bind(put.pending_writes)
        .bind(now)
        .bind(&put.agent)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// The embedded default: `sessions.db` in `data_dir`.
#[must_use]
pub fn sqlite_url(data_dir: &Path) -> String {
    format!(
        "sqlite://{}?mode=rwc",
        data_dir.join("sessions.db").display()
    )
}

/// `url` with its password, if any, replaced by `***`.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

fn unix(at: chrono::DateTime<chrono::Utc>) -> i64 {
    at.timestamp()
}

impl Store {
    /// Opens the database at `url` (`sqlite://…`, `postgres://…`) and runs the migrations.
    ///
    /// # Errors
    /// The database cannot be opened or migrated.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        install_default_drivers();
        let sqlite = url.starts_with("sqlite:");
        if sqlite && let Some(path) = url.strip_prefix("sqlite://") {
            let file = path.split('?').next().unwrap_or_default();
            if let Some(dir) = Path::new(file)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
            {
                std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
                    url: redacted(url),
                    source: sqlx::Error::Io(e),
                })?;
            }
        }
        let options = AnyPoolOptions::new()
            // SQLite has one writer: one connection never waits on a lock.
            .max_connections(if sqlite { 1 } else { 8 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if sqlite {
                        // Durable at every commit, readers beside the writer, waits for a lock.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = FULL").await?;
                        conn.execute("PRAGMA busy_timeout = 5000").await?;
                        // Notes are personal data: what is deleted is overwritten, not left in
                        // free pages of the file.
                        conn.execute("PRAGMA secure_delete = ON").await?;
                    }
                    Ok(())
                })
            });
        let pool = options
            .connect(url)
            .await
            .map_err(|source| StoreError::Open {
                url: redacted(url),
                source,
            })?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        let (snapshots, puts) = mpsc::unbounded_channel();
        tokio::spawn(write_snapshots(pool.clone(), puts));
        Ok(Self { pool, snapshots })
    }

    /// Writes a session whole (a login, a takeover).
    ///
    /// # Errors
    /// The write failed.
    pub async fn put_session(&self, row: &SessionRow) -> Result<(), StoreError> {
        let now = unix(crate::clock::wall());
        sqlx::query(
            "INSERT INTO sessions (agent, device, verifier, snapshot, pending_writes, started_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (agent) DO UPDATE SET \
             device = excluded.device, verifier = excluded.verifier, snapshot = excluded.snapshot, \
             pending_writes = excluded.pending_writes, started_at = excluded.started_at, \
             updated_at = excluded.updated_at",
        )
        .bind(&row.agent)
        .bind(&row.device)
        .bind(&row.verifier)
        .bind(&row.snapshot)
        .bind(row.pending_writes)
        .bind(row.started_at)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Writes a session's new snapshot, in the next group commit.
    ///
    /// # Errors
    /// The write failed.
    pub async fn put_snapshot(
        &self,
        agent: &str,
        snapshot: &str,
        pending_writes: i64,
    ) -> Result<(), StoreError> {
        let (done, answer) = oneshot::channel();
        let put = Put {
            agent: agent.to_owned(),
            snapshot: snapshot.to_owned(),
            pending_writes,
            done,
        };
        let gone = || StoreError::Commit("the snapshot writer stopped".into());
        self.snapshots.send(put).map_err(|_| gone())?;
        answer
            .await
            .map_err(|_| gone())?
            .map_err(StoreError::Commit)
    }

    /// Forgets a session and its tokens (it ended: logout, Neotel logged it out, idle).
    ///
    /// # Errors
    /// The write failed.
    pub async fn remove_session(&self, agent: &str) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM tokens WHERE agent = $1")
            .bind(agent)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE agent = $1")
            .bind(agent)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every stored session.
    ///
    /// # Errors
    /// The read failed.
    pub async fn sessions(&self) -> Result<Vec<SessionRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT agent, device, verifier, snapshot, pending_writes, started_at FROM sessions \
             ORDER BY agent",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SessionRow {
                    agent: r.try_get(0)?,
                    device: r.try_get(1)?,
                    verifier: r.try_get(2)?,
                    snapshot: r.try_get(3)?,
                    pending_writes: r.try_get(4)?,
                    started_at: r.try_get(5)?,
                })
            })
            .collect()
    }

    /// Keeps a token (by its hash).
    ///
    /// # Errors
    /// The write failed.
    pub async fn put_token(&self, token: &TokenRow) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO tokens (hash, agent, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (hash) DO UPDATE SET expires_at = excluded.expires_at",
        )
        .bind(&token.hash)
        .bind(&token.agent)
        .bind(token.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every token of `agent` lives until `expires_at` (the session is in use).
    ///
    /// # Errors
    /// The write failed.
    pub async fn renew_tokens(&self, agent: &str, expires_at: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE tokens SET expires_at = $1 WHERE agent = $2")
            .bind(expires_at)
            .bind(agent)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Forgets every token of `agent` (a takeover: the old tabs' tokens die).
    ///
    /// # Errors
    /// The write failed.
    pub async fn remove_tokens(&self, agent: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM tokens WHERE agent = $1")
            .bind(agent)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every token still alive at `now` (Unix seconds); the dead ones are deleted.
    ///
    /// # Errors
    /// The read failed.
    pub async fn tokens(&self, now: i64) -> Result<Vec<TokenRow>, StoreError> {
        sqlx::query("DELETE FROM tokens WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        let rows = sqlx::query("SELECT hash, agent, expires_at FROM tokens")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(TokenRow {
                    hash: r.try_get(0)?,
                    agent: r.try_get(1)?,
                    expires_at: r.try_get(2)?,
                })
            })
            .collect()
    }

    /// Keeps `agent`'s panel settings.
    ///
    /// # Errors
    /// The write failed.
    pub async fn put_settings(&self, agent: &str, settings: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO agent_settings (agent, settings) VALUES ($1, $2) \
             ON CONFLICT (agent) DO UPDATE SET settings = excluded.settings",
        )
        .bind(agent)
        .bind(settings)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every agent's kept settings.
    ///
    /// # Errors
    /// The read failed.
    pub async fn settings(&self) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query("SELECT agent, settings FROM agent_settings")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(agent: &str) -> SessionRow {
        SessionRow {
            agent: agent.into(),
            device: format!("SIP/{agent}"),
            verifier: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            snapshot: "{}".into(),
            pending_writes: 0,
            started_at: 1_764_000_000,
        }
    }

    #[tokio::test]
    async fn sessions_and_tokens_survive_a_reopen() {
        let dir = std::env::temp_dir().join(format!("cti-store-{}", std::process::id()));
        let url = sqlite_url(&dir);
        {
            let store = Store::open(&url).await.unwrap();
            store.put_session(&row("1001")).await.unwrap();
            store.put_session(&row("1002")).await.unwrap();
            store.put_snapshot("1001", r#"{"v":1}"#, 1).await.unwrap();
            let token = TokenRow {
                hash: "ab".repeat(32),
                agent: "1001".into(),
                expires_at: 2_000_000_000,
            };
            store.put_token(&token).await.unwrap();
            store
                .put_token(&TokenRow {
                    hash: "cd".repeat(32),
                    expires_at: 1,
                    ..token
                })
                .await
                .unwrap();
            store
                .put_settings("1001", r#"{"widthPx":300}"#)
                .await
                .unwrap();
            store.remove_session("1002").await.unwrap();
        }
        // Opened again (a restart): the migrations are already there, the rows too.
        let store = Store::open(&url).await.unwrap();
        let sessions = store.sessions().await.unwrap();
        assert_eq!(sessions.len(), 1);
        assert_eq!(sessions[0].snapshot, r#"{"v":1}"#);
        assert_eq!(sessions[0].pending_writes, 1);
        let tokens = store.tokens(1_764_000_000).await.unwrap();
        assert_eq!(tokens.len(), 1, "the expired token is gone: {tokens:?}");
        assert_eq!(tokens[0].hash, "ab".repeat(32));
        assert_eq!(store.settings().await.unwrap().len(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_password_in_the_url_is_never_shown() {
        assert_eq!(
            redacted("postgres://cti:s3cret@db:5432/cti"),
            "postgres://cti:***@db:5432/cti"
        );
        assert_eq!(
            redacted("sqlite://data/sessions.db"),
            "sqlite://data/sessions.db"
        );
    }

    #[tokio::test]
    async fn a_database_that_cannot_be_created_is_a_clear_error() {
        let e = Store::open("sqlite:///proc/cti-nope/sessions.db?mode=rwc")
            .await
            .unwrap_err();
        let text = e.to_string();
        assert!(text.contains("cannot open the session store"), "{text}");
        assert!(
            text.contains("/proc/cti-nope"),
            "it names the database: {text}"
        );
    }
}
