//! Who the browser is: session tokens, allowed origins and the login rate limit.
//!
//! NeoApi has no authentication (every call just names `USUARIO`), so the server is the only
//! gate: after a successful NeoApi `Login` it issues a token bound to that user, and every later
//! message acts as the token's user. A browser can never name another user.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use rand::TryRngCore as _;
use subtle::ConstantTimeEq as _;

/// A live token: its SHA-256 (the token itself is kept nowhere), whose it is and when it dies
/// unless used.
#[derive(Debug, Clone)]
struct Entry {
    hash: [u8; 32],
    user: String,
    expires: Instant,
}

/// A token's SHA-256, lower-case hex: what the store keeps (`None` for a malformed token).
#[must_use]
pub fn token_hash(text: &str) -> Option<String> {
    use std::fmt::Write as _;
    let hash = digest(&decode(text)?);
    Some(hash.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    }))
}

fn digest(token: &[u8; 32]) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(token).into()
}

/// The issued session tokens, by hash. Lookups compare every live hash in constant time.
#[derive(Debug)]
pub struct Tokens {
    ttl: Duration,
    live: Mutex<Vec<Entry>>,
}

/// A token that was found and renewed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The user it is bound to.
    pub user: String,
    /// Its new expiry.
    pub expires: Instant,
}

impl Tokens {
    /// An empty store whose tokens live `ttl` after their last use.
    #[must_use]
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            live: Mutex::new(Vec::new()),
        }
    }

    /// How long a token lives after its last use.
    #[must_use]
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Issues a new token for `user` (32 random bytes from the OS generator, base64url).
    pub fn issue(&self, user: &str, now: Instant) -> (String, Instant) {
        let mut token = [0u8; 32];
        rand::rngs::OsRng
            .try_fill_bytes(&mut token)
            .expect("the OS random generator is available");
        let expires = now + self.ttl;
        let mut live = self
            .live
            .lock()
            .expect("token store lock is never poisoned");
        live.retain(|e| e.expires > now);
        live.push(Entry {
            hash: digest(&token),
            user: user.to_owned(),
            expires,
        });
        (encode(&token), expires)
    }

    /// Takes back a token the store kept (by its hex hash) after a restart; a malformed hash
    /// is skipped.
    pub fn restore(&self, hash_hex: &str, user: &str, expires: Instant) {
        let bytes: Option<Vec<u8>> = (0..hash_hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(hash_hex.get(i..i + 2)?, 16).ok())
            .collect();
        let Some(hash) = bytes.and_then(|b| <[u8; 32]>::try_from(b).ok()) else {
            tracing::warn!("a stored token hash is malformed: skipped");
            return;
        };
        self.live
            .lock()
            .expect("token store lock is never poisoned")
            .push(Entry {
                hash,
                user: user.to_owned(),
                expires,
            });
    }

    /// Checks a token and renews it; `None` when unknown, malformed or expired.
    pub fn check(&self, text: &str, now: Instant) -> Option<Grant> {
        let candidate = digest(&decode(text)?);
        let mut live = self
            .live
            .lock()
            .expect("token store lock is never poisoned");
        live.retain(|e| e.expires > now);
        // Compare against every token without stopping early.
        let mut found = None;
        for (i, e) in live.iter().enumerate() {
            if bool::from(e.hash.ct_eq(&candidate)) {
                found = Some(i);
            }
        }
        let entry = &mut live[found?];
        entry.expires = now + self.ttl;
        Some(Grant {
            user: entry.user.clone(),
            expires: entry.expires,
        })
    }

    /// Kills every token of `user` (logout, session end).
    pub fn revoke_user(&self, user: &str) {
        let mut live = self
            .live
            .lock()
            .expect("token store lock is never poisoned");
        live.retain(|e| e.user != user);
    }

    /// Renews every token of `user` (the session is in use).
    pub fn touch_user(&self, user: &str, now: Instant) {
        let mut live = self
            .live
            .lock()
            .expect("token store lock is never poisoned");
        for e in live
            .iter_mut()
            .filter(|e| e.user == user && e.expires > now)
        {
            e.expires = now + self.ttl;
        }
    }
}

fn encode(token: &[u8; 32]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(token)
}

fn decode(text: &str) -> Option<[u8; 32]> {
    if text.len() != 43 {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .ok()?;
    bytes.try_into().ok()
}

/// The origins allowed to open the WebSocket and to frame the pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origins {
    own: String,
    allowed: Vec<String>,
}

impl Origins {
    /// The server's own public origin and the configured others.
    #[must_use]
    pub fn new(own: &str, allowed: &[String]) -> Self {
        Self {
            own: origin_of(own),
            allowed: allowed.iter().map(|o| origin_of(o)).collect(),
        }
    }

    /// The server's own origin.
    #[must_use]
    pub fn own(&self) -> &str {
        &self.own
    }

    /// Whether a WebSocket upgrade with this `Origin` header is accepted: only the server's own
    /// origin and the allowed ones (a missing header is refused: browsers always send it).
    #[must_use]
    pub fn accepts(&self, origin: Option<&str>) -> bool {
        let Some(origin) = origin else { return false };
        let origin = origin.trim_end_matches('/').to_ascii_lowercase();
        origin == self.own || self.allowed.contains(&origin)
    }

    /// The `Content-Security-Policy` of every page: scripts and styles from here, connections
    /// to here (and its WebSocket), framing only by this origin and the allowed ones.
    #[must_use]
    pub fn content_security_policy(&self) -> String {
        let ws = self
            .own
            .replacen("https://", "wss://", 1)
            .replacen("http://", "ws://", 1);
        let mut ancestors = String::from("'self'");
        for o in &self.allowed {
            ancestors.push(' ');
            ancestors.push_str(o);
        }
        // The stand-in's and Salesforce's Open CTI library is loaded from the framing origin.
        let mut scripts = String::from("'self'");
        for o in &self.allowed {
            scripts.push(' ');
            scripts.push_str(o);
        }
        format!(
            "default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; connect-src 'self' {ws} {own}; frame-src 'self' {own}; \
             object-src 'none'; base-uri 'self'; frame-ancestors {ancestors}",
            own = self.own,
        )
    }
}

/// `scheme://host[:port]` of a URL, lower-cased.
fn origin_of(url: &str) -> String {
    let lower = url.trim().to_ascii_lowercase();
    let (scheme, rest) = lower.split_once("://").unwrap_or(("http", &lower));
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    format!("{scheme}://{host}")
}

/// Login attempts per user and per client address (governor's GCRA, keyed).
#[derive(Debug)]
pub struct LoginLimiter {
    by_user: DefaultKeyedRateLimiter<String>,
    by_address: DefaultKeyedRateLimiter<IpAddr>,
}

impl LoginLimiter {
    /// `per_minute` attempts per user and per address, as a burst refilled over the minute.
    #[must_use]
    pub fn new(per_minute: u32) -> Self {
        let n = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_minute(n);
        Self {
            by_user: RateLimiter::keyed(quota),
            by_address: RateLimiter::keyed(quota),
        }
    }

    /// Counts one attempt; `false` when either the user or the address is over its quota.
    pub fn allow(&self, user: &str, address: IpAddr) -> bool {
        // Both are counted, so a flood over many users from one address is caught too.
        let user_ok = self.by_user.check_key(&user.to_owned()).is_ok();
        let address_ok = self.by_address.check_key(&address).is_ok();
        self.by_user.retain_recent();
        self.by_address.retain_recent();
        user_ok && address_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_bound_renewed_and_die() {
        let tokens = Tokens::new(Duration::from_secs(60));
        let t0 = crate::clock::now();
        let (a, _) = tokens.issue("1001", t0);
        let (b, _) = tokens.issue("1002", t0);
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert_eq!(tokens.check(&a, t0).unwrap().user, "1001");
        assert_eq!(tokens.check(&b, t0).unwrap().user, "1002");
        // Use renews: 50 s + 50 s is past the first expiry but still alive.
        let t1 = t0 + Duration::from_secs(50);
        assert!(tokens.check(&a, t1).is_some());
        let t2 = t1 + Duration::from_secs(50);
        assert!(tokens.check(&a, t2).is_some());
        assert!(tokens.check(&b, t2).is_none(), "b was not used and expired");
        tokens.revoke_user("1001");
        assert!(tokens.check(&a, t2).is_none());
    }

    #[test]
    fn forged_tokens_are_refused() {
        let tokens = Tokens::new(Duration::from_secs(60));
        let now = crate::clock::now();
        let (real, _) = tokens.issue("1001", now);
        let mut forged = real.clone().into_bytes();
        forged[0] = if forged[0] == b'A' { b'B' } else { b'A' };
        let forged = String::from_utf8(forged).unwrap();
        assert!(tokens.check(&forged, now).is_none());
        assert!(tokens.check("", now).is_none());
        assert!(tokens.check("1001", now).is_none());
        assert!(tokens.check(&"!".repeat(43), now).is_none());
    }

    #[test]
    fn origins() {
        let o = Origins::new(
            "http://127.0.0.1:8080/",
            &[
                "http://localhost:8081".into(),
                "https://acme.lightning.force.com".into(),
            ],
        );
        assert!(o.accepts(Some("http://127.0.0.1:8080")));
        assert!(o.accepts(Some("https://ACME.lightning.force.com")));
        assert!(!o.accepts(Some("https://evil.example")));
        assert!(!o.accepts(Some("null")));
        assert!(!o.accepts(None));
        let csp = o.content_security_policy();
        assert!(csp.ends_with(
            "frame-ancestors 'self' http://localhost:8081 https://acme.lightning.force.com"
        ));
        assert!(csp.contains("connect-src 'self' ws://127.0.0.1:8080"));
    }

    #[test]
    fn login_flood_is_limited_per_user_and_address() {
        let l = LoginLimiter::new(5);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..5 {
            assert!(l.allow("1001", a));
        }
        assert!(!l.allow("1001", a));
        // Same user from elsewhere: still limited by user.
        assert!(!l.allow("1001", b));
        // Many users from one address: limited by address.
        let l = LoginLimiter::new(5);
        for i in 0..5 {
            assert!(l.allow(&format!("u{i}"), a));
        }
        assert!(!l.allow("u9", a));
    }
}
