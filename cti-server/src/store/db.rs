//! The store's tables of sessions, tokens and settings, and opening it.

use std::fs::File;
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor as _, Row as _};
use tokio::sync::{mpsc, oneshot};

/// A session's lease generation: bumped at every change of owner, named by every write.
pub type Generation = i64;

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
    /// Another process holds this SQLite store.
    #[error(
        "another cti-server uses the SQLite store {path}: one server per SQLite file (several \
         servers share a PostgreSQL store)"
    )]
    Locked {
        /// The database file.
        path: String,
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
    /// PostgreSQL did not answer in time (down, unreachable, or too slow): given up, the write
    /// may or may not have been made.
    #[error("the session store did not answer within {0:?}")]
    TimedOut(Duration),
    /// The session has another generation now (another instance owns it) or is gone: this
    /// write was refused.
    #[error("the session of {agent} is no longer held under generation {generation}")]
    Fenced {
        /// `USUARIO`.
        agent: String,
        /// The generation the write named.
        generation: Generation,
    },
}

/// One stored session (its columns by name).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
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

/// The database behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Sqlite,
    Postgres,
}

/// The session store (a pool and its snapshot writer: cheap to clone).
#[derive(Debug, Clone)]
pub struct Store {
    pub(super) pool: AnyPool,
    pub(super) kind: Kind,
    /// How long an operation on PostgreSQL may take before it is given up (none on SQLite).
    deadline: Option<Duration>,
    /// The lease renewals' own connections (PostgreSQL), idle between renewals.
    pub(super) renewers: Arc<std::sync::Mutex<Vec<super::lease::Renewer>>>,
    /// How many of them are open (idle or renewing).
    pub(super) renewers_open: Arc<std::sync::atomic::AtomicUsize>,
    /// SQLite: the lock that keeps a second server off this file, held while the store lives.
    _lock: Option<Arc<File>>,
    /// The group commit's queue.
    group: mpsc::UnboundedSender<Put>,
}

/// A write waiting for the next group commit, and who waits for it.
#[derive(Debug)]
struct Put {
    write: Write,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// The writes the group commit carries: the frequent, small ones of every session.
#[derive(Debug)]
pub(super) enum Write {
    Snapshot {
        agent: String,
        generation: Generation,
        snapshot: String,
        pending_writes: i64,
    },
    Token {
        token: TokenRow,
        generation: Generation,
    },
    Settings {
        agent: String,
        settings: String,
    },
    /// A login attempt that did not fail gives its charge back; one that succeeded makes its
    /// device and address (`known`, their keyed hash) known to the account.
    LoginSettled {
        account: String,
        leak_ms: i64,
        known: Option<String>,
    },
}

/// `work`, given up after `deadline` when there is one.
pub(super) async fn bounded<T>(
    deadline: Option<Duration>,
    work: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    match deadline {
        Some(d) => tokio::time::timeout(d, work)
            .await
            .map_err(|_| StoreError::TimedOut(d))?,
        None => work.await,
    }
}

/// A write handed to the group commit; [`Queued::done`] waits for its commit.
#[derive(Debug)]
pub struct Queued(oneshot::Receiver<Result<(), StoreError>>);

impl Queued {
    /// Its outcome, once committed.
    ///
    /// # Errors
    /// [`StoreError::Fenced`] for a write the session's generation no longer allows; the
    /// commit failed.
    pub async fn done(&mut self) -> Result<(), StoreError> {
        (&mut self.0).await.map_err(|_| writer_gone())?
    }

    /// Its outcome if committed by now, without waiting.
    pub fn try_done(&mut self) -> Option<Result<(), StoreError>> {
        match self.0.try_recv() {
            Ok(result) => Some(result),
            Err(oneshot::error::TryRecvError::Empty) => None,
            Err(oneshot::error::TryRecvError::Closed) => Some(Err(writer_gone())),
        }
    }
}

fn writer_gone() -> StoreError {
    StoreError::Commit("the store's writer stopped".into())
}

/// The most writes one commit carries.
const MOST_PER_COMMIT: usize = 512;

/// Snapshots change on every step of every session, and every login writes a token, the
/// agent's settings and its attempt's settlement (the gate's bucket): committed one by one, thousands of agents would wait on one disk flush
/// each (at 200 agents through SQLite's one connection, 2-7 s). The writer commits whatever is
/// waiting at once ([`commit`]), and answers each (a fenced one is refused alone). A commit
/// PostgreSQL does not answer within `deadline` is given up: each of its writes is answered
/// failed (the session stores its snapshot again before anything leaves). The deadline is the
/// store's twice: a slow database's commit takes a round trip to test the connection, one to
/// prepare the statement and one to run it, and a session waiting for it sends nothing
/// meanwhile anyway.
async fn write_groups(
    pool: AnyPool,
    kind: Kind,
    deadline: Option<Duration>,
    mut puts: mpsc::UnboundedReceiver<Put>,
) {
    while let Some(first) = puts.recv().await {
        let mut batch = vec![first];
        while batch.len() < MOST_PER_COMMIT {
            match puts.try_recv() {
                Ok(put) => batch.push(put),
                Err(_) => break,
            }
        }
        match bounded(deadline, async { Ok(commit(&pool, kind, &batch).await?) }).await {
            Ok(results) => {
                for (put, result) in batch.into_iter().zip(results) {
                    let _ = put.done.send(result);
                }
            }
            Err(e) => {
                // `Commit` says "session store:" itself.
                let why = match e {
                    StoreError::Query(e) => e.to_string(),
                    e => e.to_string(),
                };
                for put in batch {
                    let _ = put.done.send(Err(StoreError::Commit(why.clone())));
                }
            }
        }
    }
}

/// Writes the batch; what became of each put.
async fn commit(
    pool: &AnyPool,
    kind: Kind,
    batch: &[Put],
) -> Result<Vec<Result<(), StoreError>>, sqlx::Error> {
    match kind {
        Kind::Sqlite => commit_in_transaction(pool, batch).await,
        Kind::Postgres => commit_in_statements(pool, batch).await,
    }
}

/// SQLite: each put in one transaction (one disk flush for all).
async fn commit_in_transaction(
    pool: &AnyPool,
    batch: &[Put],
) -> Result<Vec<Result<(), StoreError>>, sqlx::Error> {
    let now = unix(crate::clock::wall());
    let mut tx = pool.begin().await?;
    let mut results = Vec::with_capacity(batch.len());
    for put in batch {
        let result = match &put.write {
            Write::Snapshot {
                agent,
                generation,
                snapshot,
                pending_writes,
            } => {
                let done = sqlx::query(
                    "UPDATE sessions SET snapshot = $1, pending_writes = $2, updated_at = $3 \
                     WHERE agent = $4 AND generation = $5",
                )
                .bind(snapshot)
                .bind(*pending_writes)
                .bind(now)
                .bind(agent)
                .bind(*generation)
                .execute(&mut *tx)
                .await?;
                fenced(done.rows_affected(), agent, *generation)
            }
            Write::Token { token, generation } => write_token(&mut *tx, token, *generation).await?,
            Write::Settings { agent, settings } => {
                write_settings(&mut *tx, agent, settings).await?;
                Ok(())
            }
            Write::LoginSettled {
                account,
                leak_ms,
                known,
            } => {
                super::logins::settle(&mut tx, account, *leak_ms, known.as_deref(), now * 1000)
                    .await?;
                Ok(())
            }
        };
        results.push(result);
    }
    tx.commit().await?;
    Ok(results)
}

/// PostgreSQL: every snapshot of the batch in one statement (one round trip, one WAL flush),
/// then each token and each agent's settings (logins: few). No transaction spans round trips:
/// a session's row is locked only while PostgreSQL runs the statement, never while an answer
/// travels, so a slow or distant database never holds the lease renewal (which locks the same
/// rows) behind the sessions' writes.
async fn commit_in_statements(
    pool: &AnyPool,
    batch: &[Put],
) -> Result<Vec<Result<(), StoreError>>, sqlx::Error> {
    let snapshots: Vec<(&str, Generation, &str, i64)> = batch
        .iter()
        .filter_map(|put| match &put.write {
            Write::Snapshot {
                agent,
                generation,
                snapshot,
                pending_writes,
            } => Some((
                agent.as_str(),
                *generation,
                snapshot.as_str(),
                *pending_writes,
            )),
            _ => None,
        })
        .collect();
    let written = write_snapshots(pool, &snapshots).await?;
    let mut results = Vec::with_capacity(batch.len());
    for put in batch {
        results.push(match &put.write {
            // A session's later snapshot in the batch stands for its earlier ones.
            Write::Snapshot {
                agent, generation, ..
            } => {
                if written.iter().any(|w| w == agent) {
                    Ok(())
                } else {
                    fenced(0, agent, *generation)
                }
            }
            Write::Token { token, generation } => write_token(pool, token, *generation).await?,
            Write::Settings { agent, settings } => {
                write_settings(pool, agent, settings).await?;
                Ok(())
            }
            // Its own short transaction: it locks only the account's bucket, never a session.
            Write::LoginSettled {
                account,
                leak_ms,
                known,
            } => {
                let now_ms = unix(crate::clock::wall()) * 1000;
                let mut tx = pool.begin().await?;
                super::logins::settle(&mut tx, account, *leak_ms, known.as_deref(), now_ms).await?;
                tx.commit().await?;
                Ok(())
            }
        });
    }
    Ok(results)
}

/// Each session's last snapshot of `snapshots` (agent, generation, snapshot, pending writes),
/// written where the session still has that generation, in one statement that locks the rows
/// in the agents' order (as the lease renewal does); the agents written. The rows are padded
/// to a power of two with rows that match no session, so a few statements serve every batch
/// size (each prepared once per connection).
async fn write_snapshots(
    pool: &AnyPool,
    snapshots: &[(&str, Generation, &str, i64)],
) -> Result<Vec<String>, sqlx::Error> {
    let mut last: Vec<&(&str, Generation, &str, i64)> = Vec::new();
    for s in snapshots.iter().rev() {
        if !last.iter().any(|l| l.0 == s.0) {
            last.push(s);
        }
    }
    if last.is_empty() {
        return Ok(Vec::new());
    }
    let rows = last.len().next_power_of_two();
    let values: Vec<String> = (0..rows)
        .map(|i| {
            let n = 4 * i + 2;
            format!(
                "(${n}, CAST(${} AS BIGINT), ${}, CAST(${} AS BIGINT))",
                n + 1,
                n + 2,
                n + 3
            )
        })
        .collect();
    let sql = format!(
        "WITH v (agent, generation, snapshot, pending_writes) AS (VALUES {}), \
         locked AS MATERIALIZED (SELECT s.agent FROM sessions s JOIN v ON s.agent = v.agent \
         AND s.generation = v.generation ORDER BY s.agent FOR UPDATE OF s) \
         UPDATE sessions s SET snapshot = v.snapshot, pending_writes = v.pending_writes, \
         updated_at = $1 FROM v, locked WHERE s.agent = v.agent \
         AND s.generation = v.generation AND locked.agent = s.agent RETURNING s.agent",
        values.join(", ")
    );
    let mut query = sqlx::query(&sql).bind(unix(crate::clock::wall()));
    for i in 0..rows {
        // Padding: no session has an empty agent.
        let (agent, generation, snapshot, pending) = last.get(i).map_or(("", -1, "", 0), |s| **s);
        query = query
            .bind(agent.to_owned())
            .bind(generation)
            .bind(snapshot.to_owned())
            .bind(pending);
    }
    query
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect()
}

/// Keeps a token if its session still has `generation`.
async fn write_token<'c>(
    e: impl sqlx::Executor<'c, Database = sqlx::Any>,
    token: &TokenRow,
    generation: Generation,
) -> Result<Result<(), StoreError>, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO tokens (hash, agent, expires_at) SELECT $1, $2, $3 \
         WHERE EXISTS (SELECT 1 FROM sessions WHERE agent = $2 AND generation = $4) \
         ON CONFLICT (hash) DO UPDATE SET expires_at = excluded.expires_at",
    )
    .bind(&token.hash)
    .bind(&token.agent)
    .bind(token.expires_at)
    .bind(generation)
    .execute(e)
    .await?;
    Ok(fenced(done.rows_affected(), &token.agent, generation))
}

/// Keeps an agent's panel settings.
async fn write_settings<'c>(
    e: impl sqlx::Executor<'c, Database = sqlx::Any>,
    agent: &str,
    settings: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO agent_settings (agent, settings) VALUES ($1, $2) \
         ON CONFLICT (agent) DO UPDATE SET settings = excluded.settings",
    )
    .bind(agent)
    .bind(settings)
    .execute(e)
    .await?;
    Ok(())
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
pub(super) fn redacted(url: &str) -> String {
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

/// Takes `file`'s lock beside it (`FILE.lock`), or says another process has it.
fn lock_sqlite(url: &str, file: &Path) -> Result<Arc<File>, StoreError> {
    let path = format!("{}.lock", file.display());
    let lock = File::create(&path).map_err(|e| StoreError::Open {
        url: redacted(url),
        source: sqlx::Error::Io(e),
    })?;
    match rustix::fs::flock(&lock, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(Arc::new(lock)),
        Err(rustix::io::Errno::WOULDBLOCK) => Err(StoreError::Locked {
            path: file.display().to_string(),
        }),
        Err(e) => Err(StoreError::Open {
            url: redacted(url),
            source: sqlx::Error::Io(e.into()),
        }),
    }
}

/// How long an operation on PostgreSQL may take by default before it is given up.
const DEFAULT_DEADLINE: Duration = Duration::from_secs(10);

impl Store {
    /// Opens the database at `url` (`sqlite://…`, `postgres://…`) and runs the migrations. A
    /// SQLite file is locked for this process (one server per SQLite store). Operations on
    /// PostgreSQL are given up after 10 s (see [`Self::open_with`]).
    ///
    /// # Errors
    /// The database cannot be opened or migrated, or another server holds the SQLite file.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_with(url, DEFAULT_DEADLINE).await
    }

    /// [`Self::open`], each operation on PostgreSQL given up after `deadline` with
    /// [`StoreError::TimedOut`] (a commit of the sessions' writes, and a lease renewal, after
    /// twice that): a database that is down, unreachable (a connection that hangs rather than
    /// fails) or too slow never holds the server longer; the callers try again. A SQLite store
    /// is this process's own file and is always waited for.
    ///
    /// # Errors
    /// The database cannot be opened or migrated, or another server holds the SQLite file.
    pub async fn open_with(url: &str, deadline: Duration) -> Result<Self, StoreError> {
        install_default_drivers();
        let kind = if url.starts_with("sqlite:") {
            Kind::Sqlite
        } else {
            Kind::Postgres
        };
        let sqlite = kind == Kind::Sqlite;
        let mut lock = None;
        if let Some(path) = url.strip_prefix("sqlite://") {
            let file = Path::new(path.split('?').next().unwrap_or_default());
            if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
                    url: redacted(url),
                    source: sqlx::Error::Io(e),
                })?;
            }
            if !file.as_os_str().is_empty() {
                lock = Some(lock_sqlite(url, file)?);
            }
        }
        let deadline = (!sqlite).then_some(deadline);
        let options = AnyPoolOptions::new()
            // SQLite has one writer: one connection never waits on a lock.
            .max_connections(if sqlite { 1 } else { 8 })
            .acquire_timeout(deadline.unwrap_or(DEFAULT_DEADLINE))
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
        let (group, puts) = mpsc::unbounded_channel();
        tokio::spawn(write_groups(
            pool.clone(),
            kind,
            deadline.map(|d| d * 2),
            puts,
        ));
        Ok(Self {
            pool,
            kind,
            deadline,
            renewers: Arc::default(),
            renewers_open: Arc::default(),
            _lock: lock,
            group,
        })
    }

    /// `work`, given up after the store's deadline (PostgreSQL).
    pub(super) async fn bounded<T>(
        &self,
        work: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        bounded(self.deadline, work).await
    }

    /// `work`, given up after twice the store's deadline (PostgreSQL).
    pub(super) async fn bounded_twice<T>(
        &self,
        work: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        bounded(self.deadline.map(|d| d * 2), work).await
    }

    /// Only this process uses the store (SQLite, locked): every session in it is this
    /// server's, whatever its lease says.
    #[must_use]
    pub fn is_sole(&self) -> bool {
        self.kind == Kind::Sqlite
    }

    /// The database answers.
    ///
    /// # Errors
    /// It does not.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.bounded(async {
            sqlx::query("SELECT 1").execute(&self.pool).await?;
            Ok(())
        })
        .await
    }

    pub(super) fn queue(&self, write: Write) -> Queued {
        let (done, answer) = oneshot::channel();
        // A writer gone leaves the answer closed: `Queued` says so.
        let _ = self.group.send(Put { write, done });
        Queued(answer)
    }

    /// Hands a session's new snapshot to the next group commit, to be written if the session
    /// still has `generation`; a later snapshot of the same session is written after it.
    pub fn queue_snapshot(
        &self,
        agent: &str,
        generation: Generation,
        snapshot: &str,
        pending_writes: i64,
    ) -> Queued {
        self.queue(Write::Snapshot {
            agent: agent.to_owned(),
            generation,
            snapshot: snapshot.to_owned(),
            pending_writes,
        })
    }

    /// Writes a session's new snapshot, if the session still has `generation`, in the next
    /// group commit.
    ///
    /// # Errors
    /// [`StoreError::Fenced`] when it does not; the write failed.
    pub async fn put_snapshot(
        &self,
        agent: &str,
        generation: Generation,
        snapshot: &str,
        pending_writes: i64,
    ) -> Result<(), StoreError> {
        self.queue_snapshot(agent, generation, snapshot, pending_writes)
            .done()
            .await
    }

    /// The stored session of `agent`, and the instance that owns it (`""` when none).
    ///
    /// # Errors
    /// The read failed.
    pub async fn session(&self, agent: &str) -> Result<Option<(SessionRow, String)>, StoreError> {
        self.bounded(async {
            let row = sqlx::query(
                "SELECT agent, device, verifier, snapshot, pending_writes, started_at, owner \
                 FROM sessions WHERE agent = $1",
            )
            .bind(agent)
            .fetch_optional(&self.pool)
            .await?;
            row.map(|r| Ok((session_row(&r)?, r.try_get(6)?)))
                .transpose()
        })
        .await
    }

    /// Every stored session.
    ///
    /// # Errors
    /// The read failed.
    pub async fn sessions(&self) -> Result<Vec<SessionRow>, StoreError> {
        self.bounded(async {
            let rows = sqlx::query(
                "SELECT agent, device, verifier, snapshot, pending_writes, started_at FROM sessions \
                 ORDER BY agent",
            )
            .fetch_all(&self.pool)
            .await?;
            Ok(rows.iter().map(session_row).collect::<Result<_, _>>()?)
        })
        .await
    }

    /// Keeps a token (by its hash), if `agent`'s session still has `generation`, in the next
    /// group commit.
    ///
    /// # Errors
    /// [`StoreError::Fenced`] when it does not; the write failed.
    pub async fn put_token(
        &self,
        token: &TokenRow,
        generation: Generation,
    ) -> Result<(), StoreError> {
        self.queue(Write::Token {
            token: token.clone(),
            generation,
        })
        .done()
        .await
    }

    /// Every token of `agent` lives until `expires_at` (the session is in use), if the session
    /// still has `generation`.
    ///
    /// # Errors
    /// The write failed.
    pub async fn renew_tokens(
        &self,
        agent: &str,
        generation: Generation,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        self.bounded(async {
            sqlx::query(
                "UPDATE tokens SET expires_at = $1 WHERE agent = $2 \
                 AND EXISTS (SELECT 1 FROM sessions WHERE agent = $2 AND generation = $3)",
            )
            .bind(expires_at)
            .bind(agent)
            .bind(generation)
            .execute(&self.pool)
            .await?;
            Ok(())
        })
        .await
    }

    /// Forgets every token of `agent` (a takeover: the old tabs' tokens die), if the session
    /// still has `generation`.
    ///
    /// # Errors
    /// The write failed.
    pub async fn remove_tokens(
        &self,
        agent: &str,
        generation: Generation,
    ) -> Result<(), StoreError> {
        self.bounded(async {
            sqlx::query(
                "DELETE FROM tokens WHERE agent = $1 \
                 AND EXISTS (SELECT 1 FROM sessions WHERE agent = $1 AND generation = $2)",
            )
            .bind(agent)
            .bind(generation)
            .execute(&self.pool)
            .await?;
            Ok(())
        })
        .await
    }

    /// The token whose hash is `hash`, if alive at `now` (Unix seconds).
    ///
    /// # Errors
    /// The read failed.
    pub async fn token(&self, hash: &str, now: i64) -> Result<Option<TokenRow>, StoreError> {
        self.bounded(async {
            let row = sqlx::query(
                "SELECT hash, agent, expires_at FROM tokens WHERE hash = $1 AND expires_at > $2",
            )
            .bind(hash)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
            row.as_ref().map(token_row).transpose()
        })
        .await
    }

    /// Every token of `agent` alive at `now` (Unix seconds).
    ///
    /// # Errors
    /// The read failed.
    pub async fn tokens_of(&self, agent: &str, now: i64) -> Result<Vec<TokenRow>, StoreError> {
        self.bounded(async {
            let rows = sqlx::query(
                "SELECT hash, agent, expires_at FROM tokens WHERE agent = $1 AND expires_at > $2",
            )
            .bind(agent)
            .bind(now)
            .fetch_all(&self.pool)
            .await?;
            rows.iter().map(token_row).collect()
        })
        .await
    }

    /// Deletes what has no use any more: tokens dead at `now` (Unix seconds), ownership
    /// records older than a week, empty login buckets and devices unused for 90 days.
    ///
    /// # Errors
    /// The write failed.
    pub async fn purge(&self, now: i64) -> Result<(), StoreError> {
        self.bounded(async {
            sqlx::query("DELETE FROM tokens WHERE expires_at <= $1")
                .bind(now)
                .execute(&self.pool)
                .await?;
            sqlx::query("DELETE FROM lease_history WHERE held_until < $1")
                .bind((now - 7 * 24 * 3600) * 1000)
                .execute(&self.pool)
                .await?;
            self.purge_logins(now * 1000).await
        })
        .await
    }

    /// Keeps `agent`'s panel settings (the agent's, not a session's: not fenced), in the next
    /// group commit.
    ///
    /// # Errors
    /// The write failed.
    pub async fn put_settings(&self, agent: &str, settings: &str) -> Result<(), StoreError> {
        self.queue(Write::Settings {
            agent: agent.to_owned(),
            settings: settings.to_owned(),
        })
        .done()
        .await
    }

    /// `agent`'s kept settings.
    ///
    /// # Errors
    /// The read failed.
    pub async fn settings_of(&self, agent: &str) -> Result<Option<String>, StoreError> {
        self.bounded(async {
            let row = sqlx::query("SELECT settings FROM agent_settings WHERE agent = $1")
                .bind(agent)
                .fetch_optional(&self.pool)
                .await?;
            Ok(row.map(|r| r.try_get(0)).transpose()?)
        })
        .await
    }
}

/// `Ok` when a write touched a row, else the session was not at `generation`.
pub(super) fn fenced(rows: u64, agent: &str, generation: Generation) -> Result<(), StoreError> {
    if rows == 0 {
        Err(StoreError::Fenced {
            agent: agent.to_owned(),
            generation,
        })
    } else {
        Ok(())
    }
}

pub(super) fn session_row(r: &sqlx::any::AnyRow) -> Result<SessionRow, sqlx::Error> {
    sqlx::FromRow::from_row(r)
}

fn token_row(r: &sqlx::any::AnyRow) -> Result<TokenRow, StoreError> {
    Ok(TokenRow {
        hash: r.try_get(0)?,
        agent: r.try_get(1)?,
        expires_at: r.try_get(2)?,
    })
}
