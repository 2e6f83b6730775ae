//! The session store: what a session must not lose, written before the agent is told it is
//! done (issue 13), and who owns each session (issue 14, `lease`). SQLite in the data
//! directory by default (nothing to install; one server); PostgreSQL for several servers. One
//! code path for both: sqlx's `Any` driver, portable SQL and `$n` placeholders (both accept
//! them), versioned migrations run at start.
//!
//! sqlx rather than a driver per database: it is the field's usual async SQL crate, speaks both
//! databases behind one pool type, runs the same migration files on both, and needs no server at
//! build time (no compile-time checked queries here).
//!
//! Every write of a session names its lease generation: a write naming one the session no
//! longer has is refused ([`StoreError::Fenced`]), so an instance that lost a session (it was
//! paused, its lease ran out, another took the session) can never overwrite the new owner.
//!
//! The login gate keeps its buckets of failed logins here too ([`LoginBucket`], issue 29), so a
//! restart or another instance does not reset them.

mod db;
mod lease;
mod logins;

pub use db::{Generation, Queued, SessionRow, Store, StoreError, TokenRow, sqlite_url};
pub use lease::{Claim, Claimed, Held, LeaseRecord};
pub use logins::LoginBucket;

#[cfg(test)]
mod tests;
