//! The per-account bound on failed logins (issue 29): however many addresses a guesser uses,
//! the failures of one account that reach NeoApi are bounded, strangers wait longer and longer
//! before the bound, and the agent's own device and address are not held back by their guesses.
//!
//! One bucket per account, kept in the session store so that neither a restart nor a second
//! instance resets it. It holds half of `per_hour` failures and leaks half of them an hour, so
//! no hour sees more than `per_hour` (OWASP ASVS 2.2.1): at most what the bucket holds when the
//! hour starts, plus what leaks out during it. Within that bound:
//! - a stranger (a device and address that never logged in to this account) may fail
//!   [`FREE_FAILURES`] times in a row; then each attempt waits after the last one 1 s, 2 s,
//!   4 s… (twice as long per failure still in the bucket, at most 15 minutes), served by the
//!   gate without asking NeoApi; and strangers fill at most four fifths of the bucket;
//! - a device and address that logged in to this account before waits for nothing but the
//!   bucket's last fifth, which strangers cannot reach: the agent at the desk logs in while the
//!   account is under attack.
//!
//! An attempt is charged when it starts (concurrent guesses cannot slip through together) and
//! refunded unless it failed, like the per-address limits.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac as _};
use rand::TryRngCore as _;
use sha2::Sha256;

use super::address::address_key;
use crate::clock;
use crate::store::{LoginBucket, Store, StoreError};

/// An hour in milliseconds: the bucket holds an hour of leaking.
const HOUR_MS: i64 = 3_600_000;

/// Failures in a row that cost a stranger no wait: an agent mistyping on a new computer.
const FREE_FAILURES: f64 = 10.0;

/// The longest wait the growing delay asks.
const MAX_DELAY_MS: f64 = 15.0 * 60.0 * 1000.0;

/// The bound itself, pure: judges one account's bucket at a time given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountLimit {
    /// How long one failure takes to leak out of the bucket, in milliseconds.
    leak_ms: i64,
}

impl AccountLimit {
    /// At most `per_hour` failures of one account in any hour.
    #[must_use]
    pub fn new(per_hour: u32) -> Self {
        // Rounded up: the bucket leaks a little slower, never faster than the bound.
        let leak_ms = (2 * HOUR_MS.unsigned_abs()).div_ceil(u64::from(per_hour.max(2)));
        Self {
            leak_ms: i64::try_from(leak_ms).unwrap_or(HOUR_MS),
        }
    }

    /// How long one failure takes to leak out, in milliseconds (what a refund gives back).
    #[must_use]
    pub fn leak_ms(self) -> i64 {
        self.leak_ms
    }

    /// Charges one attempt at `now` (milliseconds) to `bucket`, from a device and address that
    /// logged in to this account before (`known`) or not.
    ///
    /// # Errors
    /// How long until this caller may try again.
    pub fn charge(
        self,
        bucket: LoginBucket,
        known: bool,
        now: i64,
    ) -> Result<LoginBucket, Duration> {
        let level = (bucket.empty_at - now).max(0);
        // Strangers leave the last fifth of the bucket to the agent's own devices and addresses.
        let room = if known { HOUR_MS } else { HOUR_MS / 5 * 4 };
        let mut wait = level + self.leak_ms - room;
        if !known {
            // The failures in the bucket right after the last charge.
            let failures = (bucket.empty_at - bucket.last_at) as f64 / self.leak_ms as f64;
            wait = wait.max(bucket.last_at + delay_ms(failures) - now);
        }
        if wait > 0 {
            return Err(Duration::from_millis(wait.unsigned_abs()));
        }
        Ok(LoginBucket {
            empty_at: bucket.empty_at.max(now) + self.leak_ms,
            last_at: now,
        })
    }
}

/// A stranger's wait after a charge that left `failures` in the bucket: none for the first
/// [`FREE_FAILURES`], then 1 s doubling with each failure, at most 15 minutes.
fn delay_ms(failures: f64) -> i64 {
    if failures < FREE_FAILURES {
        return 0;
    }
    ((failures - FREE_FAILURES).exp2() * 1000.0).min(MAX_DELAY_MS) as i64
}

/// Why an account's attempt was not let through.
#[derive(Debug, thiserror::Error)]
pub enum AccountRefusal {
    /// The account failed too often lately: how long until this caller may try again.
    #[error("too many failed logins for this user; try again in {} s", .0.as_secs().max(1))]
    Throttled(Duration),
    /// The session store, which keeps the buckets, did not answer.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where the buckets and the known devices and addresses are kept.
#[derive(Debug, Clone)]
enum Ledger {
    Store(Store),
    /// Without a session store (the crate's tests with scripted sessions).
    Memory(Arc<Mutex<Memory>>),
}

#[derive(Debug)]
struct Memory {
    /// Its times count from here, on the server's clock (which tests may pause).
    since: Instant,
    buckets: HashMap<String, LoginBucket>,
    known: HashSet<String>,
}

/// Buckets kept in memory before the empty ones are forgotten.
const BUCKETS_KEPT: usize = 10_000;

impl Memory {
    fn now_ms(&self) -> i64 {
        i64::try_from(clock::now().duration_since(self.since).as_millis()).unwrap_or(i64::MAX)
    }

    fn refund(&mut self, account: &str, leak_ms: i64) {
        if let Some(b) = self.buckets.get_mut(account) {
            b.empty_at -= leak_ms;
        }
    }
}

/// The per-account bound as the gate applies it: each account's bucket in the session store,
/// and which devices and addresses logged in to it before, as keyed hashes.
#[derive(Debug)]
pub struct AccountLimiter {
    limit: AccountLimit,
    ledger: Ledger,
    /// The key of the known pairs' hashes: the store's, shared by every instance.
    secret: tokio::sync::OnceCell<String>,
}

/// One attempt charged to its account: refunded when dropped, unless it
/// [`failed`](Self::failed) (a wrong user or password).
#[must_use = "an attempt is refunded when dropped"]
#[derive(Debug)]
pub struct AccountAttempt {
    ledger: Ledger,
    leak_ms: i64,
    account: String,
    pair: String,
    settled: bool,
}

impl AccountLimiter {
    /// At most `per_hour` failures an hour per account, kept in `store` (in memory without one).
    #[must_use]
    pub fn new(per_hour: u32, store: Option<Store>) -> Self {
        Self {
            limit: AccountLimit::new(per_hour),
            ledger: match store {
                Some(store) => Ledger::Store(store),
                None => Ledger::Memory(Arc::new(Mutex::new(Memory {
                    since: clock::now(),
                    buckets: HashMap::new(),
                    known: HashSet::new(),
                }))),
            },
            secret: tokio::sync::OnceCell::new(),
        }
    }

    /// Lets an attempt of `user` (already in its normal form) on `device` from `address`
    /// through, or says how long to wait. The bucket ignores case, as the per-address ones.
    ///
    /// # Errors
    /// The account failed too often lately; the store did not answer.
    pub async fn begin(
        &self,
        user: &str,
        device: &str,
        address: IpAddr,
    ) -> Result<AccountAttempt, AccountRefusal> {
        let account = user.to_lowercase();
        let pair = self.pair(&account, device, address).await?;
        let limit = self.limit;
        match &self.ledger {
            Ledger::Store(store) => store
                .charge_login(&account, &pair, |bucket, known, now| {
                    limit.charge(bucket, known, now)
                })
                .await?
                .map_err(AccountRefusal::Throttled)?,
            Ledger::Memory(memory) => {
                let mut m = memory.lock().expect("the ledger lock is never poisoned");
                let now = m.now_ms();
                let bucket = m.buckets.get(&account).copied().unwrap_or_default();
                let known = m.known.contains(&pair);
                let charged = limit
                    .charge(bucket, known, now)
                    .map_err(AccountRefusal::Throttled)?;
                if m.buckets.len() >= BUCKETS_KEPT {
                    m.buckets.retain(|_, b| b.empty_at > now);
                }
                m.buckets.insert(account.clone(), charged);
            }
        }
        Ok(AccountAttempt {
            ledger: self.ledger.clone(),
            leak_ms: limit.leak_ms(),
            account,
            pair,
            settled: false,
        })
    }

    /// The keyed hash of `account`, `device` (ignoring case) and `address` (as the limits count
    /// it): what the store keeps of a login's origin, which names no address.
    async fn pair(
        &self,
        account: &str,
        device: &str,
        address: IpAddr,
    ) -> Result<String, StoreError> {
        let secret = self
            .secret
            .get_or_try_init(|| async {
                let mut fresh = [0u8; 32];
                rand::rngs::OsRng
                    .try_fill_bytes(&mut fresh)
                    .expect("the OS random generator is available");
                let fresh = super::hex(&fresh);
                match &self.ledger {
                    Ledger::Store(store) => store.login_secret(&fresh).await,
                    Ledger::Memory(_) => Ok(fresh),
                }
            })
            .await?;
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
            .expect("HMAC takes a key of any length");
        for part in [
            account,
            &device.to_lowercase(),
            &address_key(address).to_string(),
        ] {
            mac.update(part.as_bytes());
            mac.update(&[0]);
        }
        Ok(super::hex(&mac.finalize().into_bytes()))
    }
}

impl AccountAttempt {
    /// NeoApi (or the running session's verifier) refused the user or password: the attempt
    /// stays in the bucket.
    pub fn failed(mut self) {
        self.settled = true;
    }

    /// The password was right: the charge is given back, and this device and address are known
    /// to the account from now on (once stored: the next login from here may come at once).
    pub async fn succeeded(mut self) {
        self.settled = true;
        match &self.ledger {
            Ledger::Store(store) => {
                let mut queued =
                    store.queue_login_settled(&self.account, self.leak_ms, Some(&self.pair));
                if let Err(e) = queued.done().await {
                    tracing::warn!(error = %e, "cannot keep a login's device and address");
                }
            }
            Ledger::Memory(memory) => {
                let mut m = memory.lock().expect("the ledger lock is never poisoned");
                m.refund(&self.account, self.leak_ms);
                m.known.insert(self.pair.clone());
            }
        }
    }
}

impl Drop for AccountAttempt {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        match &self.ledger {
            Ledger::Memory(memory) => memory
                .lock()
                .expect("the ledger lock is never poisoned")
                .refund(&self.account, self.leak_ms),
            // Not awaited: a refund lost with the store is a charge that leaks out in its time.
            Ledger::Store(store) => {
                drop(store.queue_login_settled(&self.account, self.leak_ms, None));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_764_000_000_000;

    /// A guesser who tries again the moment the gate allows, for `hours`: when each failure
    /// reached NeoApi, and the waits the gate answered in between.
    fn patient_guesser(limit: AccountLimit, known: bool, hours: i64) -> (Vec<i64>, Vec<i64>) {
        let mut bucket = LoginBucket::default();
        let (mut now, mut failures, mut waits) = (T0, Vec::new(), Vec::new());
        while now < T0 + hours * HOUR_MS {
            match limit.charge(bucket, known, now) {
                Ok(charged) => {
                    bucket = charged;
                    failures.push(now);
                }
                Err(wait) => {
                    let wait = i64::try_from(wait.as_millis()).unwrap();
                    assert!(wait > 0);
                    waits.push(wait);
                    now += wait;
                }
            }
        }
        (failures, waits)
    }

    /// The most failures in any hour.
    fn most_in_an_hour(failures: &[i64]) -> usize {
        failures
            .iter()
            .map(|t| {
                failures
                    .iter()
                    .filter(|u| (*t..t + HOUR_MS).contains(u))
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn a_stranger_waits_longer_and_longer_and_no_hour_sees_more_than_the_bound() {
        let limit = AccountLimit::new(100);
        let (failures, waits) = patient_guesser(limit, false, 4);
        // Ten at once, then waits that double: 1 s, 2 s, 4 s…
        assert!(failures[..10].iter().all(|t| *t == T0), "{failures:?}");
        assert_eq!(waits[0], 1_000);
        for pair in waits[..6].windows(2) {
            assert!(pair[1] > pair[0] * 3 / 2, "{waits:?}");
        }
        assert!(
            most_in_an_hour(&failures) <= 100,
            "{}",
            most_in_an_hour(&failures)
        );
        // The delays, not only the bound, hold a stranger back: about one a leak (72 s).
        assert!(failures.len() < 4 * 60, "{}", failures.len());
        // Whatever the bound.
        for per_hour in [10, 37, 1000] {
            let (failures, _) = patient_guesser(AccountLimit::new(per_hour), false, 3);
            assert!(
                most_in_an_hour(&failures) <= per_hour as usize,
                "{per_hour}"
            );
        }
    }

    #[test]
    fn the_agents_own_device_and_address_pass_while_strangers_wait() {
        let limit = AccountLimit::new(100);
        let mut bucket = LoginBucket::default();
        let mut now = T0;
        // Strangers fill what they may of the bucket, waiting each time as asked.
        loop {
            match limit.charge(bucket, false, now) {
                Ok(b) => bucket = b,
                Err(wait) if wait > Duration::from_secs(60) => break,
                Err(wait) => now += i64::try_from(wait.as_millis()).unwrap(),
            }
        }
        assert!(limit.charge(bucket, false, now).is_err());
        // The agent at the desk: no wait, several mistypes included.
        for _ in 0..5 {
            bucket = limit
                .charge(bucket, true, now)
                .expect("the agent is let through");
        }
        // Even a guesser at the agent's own desk stays within the bound.
        let (failures, _) = patient_guesser(limit, true, 3);
        assert!(most_in_an_hour(&failures) <= 100);
    }

    #[test]
    fn the_strangers_never_reach_the_agents_fifth() {
        let limit = AccountLimit::new(100);
        // A bucket four fifths full (40 failures at once, as several instances might let in).
        let bucket = LoginBucket {
            empty_at: T0 + 40 * limit.leak_ms(),
            last_at: T0 - HOUR_MS,
        };
        let wait = limit.charge(bucket, false, T0).unwrap_err();
        assert_eq!(wait, Duration::from_millis(72_000), "one leak");
        assert!(limit.charge(bucket, true, T0).is_ok());
        // The whole bucket full: the agent waits for one leak too (the hard bound).
        let full = LoginBucket {
            empty_at: T0 + 50 * limit.leak_ms(),
            ..bucket
        };
        assert!(limit.charge(full, true, T0).is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn attempts_are_refunded_unless_they_failed_and_a_success_makes_a_pair_known() {
        let limiter = AccountLimiter::new(100, None);
        let (desk, elsewhere): (IpAddr, IpAddr) = (
            "192.0.2.7".parse().unwrap(),
            "198.51.100.1".parse().unwrap(),
        );
        // Ten attempts on their way (none answered yet) hold the stranger's free ones.
        let mut open = Vec::new();
        for _ in 0..10 {
            open.push(limiter.begin("1001", "SIP/1001", elsewhere).await.unwrap());
        }
        assert!(matches!(
            limiter.begin("1001", "SIP/1001", elsewhere).await,
            Err(AccountRefusal::Throttled(_))
        ));
        // Answered without a verdict on the password (NeoApi down): given back.
        drop(open);
        let first = limiter.begin("1001", "SIP/1001", desk).await.unwrap();
        first.succeeded().await;
        for _ in 0..10 {
            limiter
                .begin("1001", "sip/1001", elsewhere)
                .await
                .unwrap()
                .failed();
        }
        assert!(limiter.begin("1001", "SIP/1001", elsewhere).await.is_err());
        assert!(
            limiter.begin("1001", "SIP/1002", desk).await.is_err(),
            "another device at the desk is a stranger"
        );
        limiter
            .begin("1001", "sip/1001", desk)
            .await
            .expect("the desk is known")
            .succeeded()
            .await;
        limiter
            .begin("1002", "SIP/1002", elsewhere)
            .await
            .expect("another account is not slowed")
            .failed();
    }
}
