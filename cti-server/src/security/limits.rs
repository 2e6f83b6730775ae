//! The login and command limits and the connection caps: what a browser may ask, how often,
//! and how many connections an address or the whole server holds.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::address::{address_key, trusted};
use crate::config::TrustedProxies;

/// Failures per key as a leaky bucket: `per_minute` fit at once and drain at that rate.
///
/// governor counts by consuming a cell on each check; here an attempt is charged when it
/// starts (so concurrent attempts cannot all slip through) and refunded unless it failed.
#[derive(Debug)]
struct Failures<K> {
    per_minute: f64,
    buckets: Mutex<HashMap<K, (f64, Instant)>>,
}

/// Buckets kept before the drained ones are forgotten.
const BUCKETS_KEPT: usize = 10_000;

impl<K: std::hash::Hash + Eq + Clone> Failures<K> {
    fn new(per_minute: u32) -> Self {
        Self {
            per_minute: f64::from(per_minute.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn level(&self, (level, at): (f64, Instant), now: Instant) -> f64 {
        let drained = now.saturating_duration_since(at).as_secs_f64() * self.per_minute / 60.0;
        (level - drained).max(0.0)
    }

    /// `Err(wait)` when one more failure would not fit.
    fn room(
        &self,
        buckets: &HashMap<K, (f64, Instant)>,
        key: &K,
        now: Instant,
    ) -> Result<f64, Duration> {
        let level = buckets.get(key).map_or(0.0, |b| self.level(*b, now));
        if level + 1.0 > self.per_minute {
            let wait = (level + 1.0 - self.per_minute) * 60.0 / self.per_minute;
            return Err(Duration::from_secs_f64(wait).max(Duration::from_secs(1)));
        }
        Ok(level)
    }

    /// Whether one more failure fits, without counting one.
    fn check(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let buckets = self.buckets.lock().expect("limiter lock is never poisoned");
        self.room(&buckets, key, now).map(|_| ())
    }

    /// Counts one, when it fits; `Err(wait)` when the bucket is full.
    fn charge(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().expect("limiter lock is never poisoned");
        let level = self.room(&buckets, key, now)?;
        if buckets.len() >= BUCKETS_KEPT {
            buckets.retain(|_, b| self.level(*b, now) > 0.0);
        }
        buckets.insert(key.clone(), (level + 1.0, now));
        Ok(())
    }

    fn refund(&self, key: &K, now: Instant) {
        let mut buckets = self.buckets.lock().expect("limiter lock is never poisoned");
        if let Some(b) = buckets.get_mut(key) {
            *b = ((self.level(*b, now) - 1.0).max(0.0), now);
        }
    }

    fn forget(&self, key: &K) {
        let mut buckets = self.buckets.lock().expect("limiter lock is never poisoned");
        buckets.remove(key);
    }
}

/// Failed logins, per user and client address pair, and per client address: only failures
/// count, so a shift of agents behind one office address logs in at once, and a wrong password
/// from one address never locks the user out from another.
///
/// A pair's attempt counts from its start (concurrent guesses at one password cannot slip
/// through together); the address's only once it failed, so hundreds of agents logging in at
/// once from one address are never held up by each other.
#[derive(Debug)]
pub struct LoginLimiter {
    by_pair: Failures<(String, IpAddr)>,
    by_address: Failures<IpAddr>,
}

/// A login attempt that was let through; refunded when dropped, unless it [`failed`](Self::failed).
#[must_use = "an attempt is refunded when dropped"]
#[derive(Debug)]
pub struct LoginAttempt<'a> {
    limiter: &'a LoginLimiter,
    pair: (String, IpAddr),
    failed: bool,
}

impl LoginLimiter {
    /// `per_pair` failures a minute for one user from one address, `per_address` from one
    /// address whatever the users.
    #[must_use]
    pub fn new(per_pair: u32, per_address: u32) -> Self {
        Self {
            by_pair: Failures::new(per_pair),
            by_address: Failures::new(per_address),
        }
    }

    /// Lets an attempt of `user` (already in its normal form) from `address` through, or says
    /// how long to wait. The bucket ignores case: Neotel may compare user names without it.
    ///
    /// # Errors
    /// The pair or the address failed too often lately: how long until one more may be tried.
    pub fn begin(
        &self,
        user: &str,
        address: IpAddr,
        now: Instant,
    ) -> Result<LoginAttempt<'_>, Duration> {
        let address = address_key(address);
        let pair = (user.to_lowercase(), address);
        self.by_address.check(&address, now)?;
        self.by_pair.charge(&pair, now)?;
        Ok(LoginAttempt {
            limiter: self,
            pair,
            failed: false,
        })
    }
}

impl LoginAttempt<'_> {
    /// NeoApi refused the user or password: the attempt stays counted, and counts against the
    /// address too.
    pub fn failed(mut self) {
        self.failed = true;
        // Over the address's limit already (concurrent failures): it stays full.
        let _ = self
            .limiter
            .by_address
            .charge(&self.pair.1, crate::clock::now());
    }

    /// The password was right: the pair's earlier failures are forgotten.
    pub fn succeeded(self) {
        self.limiter.by_pair.forget(&self.pair);
    }
}

impl Drop for LoginAttempt<'_> {
    fn drop(&mut self) {
        if !self.failed {
            self.limiter.by_pair.refund(&self.pair, crate::clock::now());
        }
    }
}

/// Commands per agent session (governor's GCRA, keyed by user): a page that floods commands
/// is refused before each one becomes a NeoApi call.
#[derive(Debug)]
pub struct CommandLimiter {
    by_user: DefaultKeyedRateLimiter<String>,
}

impl CommandLimiter {
    /// `per_second` sustained, `burst` at once.
    #[must_use]
    pub fn new(per_second: u32, burst: u32) -> Self {
        let rate = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        Self {
            by_user: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
        }
    }

    /// Counts one command of `user`'s session; `false` when over the limit.
    pub fn allow(&self, user: &str) -> bool {
        let ok = self.by_user.check_key(&user.to_owned()).is_ok();
        if self.by_user.len() > BUCKETS_KEPT {
            self.by_user.retain_recent();
        }
        ok
    }
}

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The listener holds its most connections.
    Full,
    /// The client's address holds its most connections.
    AddressFull,
}

impl Refusal {
    /// What the refused client reads (the answer's body).
    #[must_use]
    pub fn text(self) -> &'static str {
        match self {
            Self::Full => "the server is at its connection limit; try again in a moment\n",
            Self::AddressFull => {
                "too many connections from your address; close some and try again\n"
            }
        }
    }

    /// The metric's kind.
    #[must_use]
    pub fn kind(self) -> &'static str {
        match self {
            Self::Full => "connectionLimit",
            Self::AddressFull => "addressLimit",
        }
    }
}

/// The open connections of a listener, in total and per client address.
#[derive(Debug)]
pub struct ConnectionLimits {
    max: usize,
    per_address: usize,
    proxies: TrustedProxies,
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
    refusing: AtomicUsize,
}

/// What to do with a new connection.
#[derive(Debug)]
pub enum Admission {
    /// Serve it; the slot is held as long as the connection (a WebSocket's too).
    Admitted(Slot),
    /// Answer 503 with the refusal's text and close.
    Refused(Refusal, RefusalSlot),
    /// Close at once: too many refusals are being answered already.
    Dropped,
}

/// Refusals answered at once (each waits a second at most for its request).
pub(super) const MAX_REFUSING: usize = 64;

/// One admitted connection; freed on drop.
#[derive(Debug)]
pub struct Slot {
    limits: Arc<ConnectionLimits>,
    address: Option<IpAddr>,
}

/// One refusal being answered; freed on drop.
#[derive(Debug)]
pub struct RefusalSlot(Arc<ConnectionLimits>);

impl ConnectionLimits {
    /// At most `max` connections, `per_address` from one client address (trusted proxies, which
    /// carry many clients, are held to the total only).
    #[must_use]
    pub fn new(max: usize, per_address: usize, proxies: TrustedProxies) -> Arc<Self> {
        Arc::new(Self {
            max,
            per_address,
            proxies,
            open: Mutex::new((0, HashMap::new())),
            refusing: AtomicUsize::new(0),
        })
    }

    /// The connections open now.
    #[must_use]
    pub fn open(&self) -> usize {
        self.open.lock().expect("limits lock is never poisoned").0
    }

    /// Admits a connection from `peer`, or says why not.
    pub fn admit(self: &Arc<Self>, peer: IpAddr) -> Admission {
        let address = (!trusted(&self.proxies, peer)).then(|| address_key(peer));
        let refusal = {
            let mut open = self.open.lock().expect("limits lock is never poisoned");
            let (total, by_address) = &mut *open;
            let from = address.map_or(0, |a| by_address.get(&a).copied().unwrap_or(0));
            if *total >= self.max {
                Refusal::Full
            } else if from >= self.per_address {
                Refusal::AddressFull
            } else {
                *total += 1;
                if let Some(a) = address {
                    *by_address.entry(a).or_default() += 1;
                }
                return Admission::Admitted(Slot {
                    limits: Arc::clone(self),
                    address,
                });
            }
        };
        if self.refusing.fetch_add(1, Ordering::SeqCst) >= MAX_REFUSING {
            self.refusing.fetch_sub(1, Ordering::SeqCst);
            return Admission::Dropped;
        }
        Admission::Refused(refusal, RefusalSlot(Arc::clone(self)))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self
            .limits
            .open
            .lock()
            .expect("limits lock is never poisoned");
        let (total, by_address) = &mut *open;
        *total -= 1;
        if let Some(a) = self.address
            && let Some(n) = by_address.get_mut(&a)
        {
            *n -= 1;
            if *n == 0 {
                by_address.remove(&a);
            }
        }
    }
}

impl Drop for RefusalSlot {
    fn drop(&mut self) {
        self.0.refusing.fetch_sub(1, Ordering::SeqCst);
    }
}
