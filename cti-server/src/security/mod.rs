//! Who the browser is and what it may hold: session tokens, allowed origins, the client's
//! address behind trusted proxies, the login and command limits, and the connection caps.
//!
//! NeoApi has no authentication (every call just names `USUARIO`), so the server is the only
//! gate: after a successful NeoApi `Login` it issues a token bound to that user, and every later
//! message acts as the token's user. A browser can never name another user.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, header};
use base64::Engine as _;
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
    Some(hex(&digest(&decode(text)?)))
}

/// `bytes` in lower-case hex.
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
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

/// Whether a request carries more than one `Origin` header. A browser sends one at most (RFC
/// 6454); with two, the one a check reads and the one a proxy or a browser goes by may differ,
/// so such a request (a page, a WebSocket upgrade) is refused whole.
#[must_use]
pub fn several_origins(headers: &HeaderMap) -> bool {
    headers.get_all(header::ORIGIN).iter().nth(1).is_some()
}

/// `scheme://host[:port]` of a URL, lower-cased.
fn origin_of(url: &str) -> String {
    let lower = url.trim().to_ascii_lowercase();
    let (scheme, rest) = lower.split_once("://").unwrap_or(("http", &lower));
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    format!("{scheme}://{host}")
}

mod account;
mod address;
mod limits;

pub use account::{AccountAttempt, AccountLimit, AccountLimiter, AccountRefusal};
pub use address::{address_key, client_address};
pub use limits::{
    Admission, CommandLimiter, ConnectionLimits, LoginAttempt, LoginLimiter, Refusal, RefusalSlot,
    Slot,
};

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;
    use crate::config::{ClientAddressHeader, TrustedProxies};

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
    fn one_origin_header_at_most() {
        use axum::http::HeaderValue;
        let mut h = HeaderMap::new();
        assert!(!several_origins(&h));
        h.append(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8080"),
        );
        assert!(!several_origins(&h));
        h.append(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8080"),
        );
        assert!(several_origins(&h), "the same one twice is two");
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn only_failures_count_per_user_and_address() {
        let l = LoginLimiter::new(5, 60);
        let (a, b) = (ip("10.0.0.1"), ip("10.0.0.2"));
        let now = crate::clock::now();
        // 200 agents from one address log in at once.
        for i in 0..200 {
            l.begin(&format!("{}", 1000 + i), a, now)
                .unwrap()
                .succeeded();
        }
        // Five wrong passwords for 1001 from a: the sixth attempt from a waits ...
        for _ in 0..5 {
            l.begin("1001", a, now).unwrap().failed();
        }
        let wait = l.begin("1001", a, now).unwrap_err();
        assert!(
            wait >= Duration::from_secs(11) && wait <= Duration::from_secs(13),
            "{wait:?}"
        );
        // ... the same name however cased, but 1001 from b, and others from a, do not.
        assert!(l.begin("1001", a, now).is_err());
        l.begin("1001", b, now).unwrap().succeeded();
        l.begin("1002", a, now).unwrap().succeeded();
        // A failure drains at 5 a minute.
        let later = now + Duration::from_secs(13);
        l.begin("1001", a, later).unwrap().failed();
        assert!(l.begin("1001", a, later).is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn an_attempt_in_progress_counts_until_it_ends() {
        let l = LoginLimiter::new(2, 60);
        let a = ip("10.0.0.1");
        let now = crate::clock::now();
        let first = l.begin("u", a, now).unwrap();
        let second = l.begin("u", a, now).unwrap();
        assert!(l.begin("u", a, now).is_err(), "two on their way fill it");
        drop(first);
        second.failed();
        assert!(
            l.begin("U", a, now).is_ok(),
            "the one not failed was refunded"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_spray_of_users_from_one_address_is_cut() {
        let l = LoginLimiter::new(5, 10);
        let a = ip("2001:db8::1");
        let neighbour = ip("2001:db8::2");
        let now = crate::clock::now();
        for i in 0..10 {
            l.begin(&format!("u{i}"), a, now).unwrap().failed();
        }
        assert!(l.begin("u99", a, now).is_err());
        assert!(l.begin("u99", neighbour, now).is_err(), "one /64");
        assert!(l.begin("u99", ip("2001:db9::1"), now).is_ok());
    }

    #[test]
    fn the_client_address_comes_from_trusted_proxies_only() {
        use axum::http::HeaderValue;
        let proxies = TrustedProxies {
            networks: vec!["10.0.0.0/8".parse().unwrap()],
            header: ClientAddressHeader::XForwardedFor,
        };
        let mut h = HeaderMap::new();
        h.append(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 203.0.113.9"),
        );
        h.append("x-forwarded-for", HeaderValue::from_static("10.1.1.1"));
        // From a trusted proxy: the rightmost address it did not add itself.
        assert_eq!(
            client_address(ip("10.0.0.5"), &h, &proxies),
            ip("203.0.113.9")
        );
        // From anyone else: the header is the client's word, ignored.
        assert_eq!(
            client_address(ip("198.51.100.7"), &h, &proxies),
            ip("198.51.100.7")
        );
        // No header: the proxy itself.
        let none = HeaderMap::new();
        assert_eq!(
            client_address(ip("10.0.0.5"), &none, &proxies),
            ip("10.0.0.5")
        );
        // Forwarded (RFC 7239), with ports, quotes and brackets; a garbage hop stops the walk.
        let forwarded = TrustedProxies {
            header: ClientAddressHeader::Forwarded,
            ..proxies
        };
        let mut h = HeaderMap::new();
        h.append(
            "forwarded",
            HeaderValue::from_static(
                "for=6.6.6.6, for=\"[2001:db8:cafe::17]:4711\";proto=https, For=10.2.2.2:80",
            ),
        );
        assert_eq!(
            client_address(ip("10.0.0.5"), &h, &forwarded),
            ip("2001:db8:cafe::17")
        );
        let mut h = HeaderMap::new();
        h.append(
            "forwarded",
            HeaderValue::from_static("for=6.6.6.6, for=unknown"),
        );
        assert_eq!(
            client_address(ip("10.0.0.5"), &h, &forwarded),
            ip("10.0.0.5")
        );
        // X-Forwarded-For is not read when Forwarded is configured.
        let mut h = HeaderMap::new();
        h.append("x-forwarded-for", HeaderValue::from_static("6.6.6.6"));
        assert_eq!(
            client_address(ip("10.0.0.5"), &h, &forwarded),
            ip("10.0.0.5")
        );
    }

    #[test]
    fn connections_are_capped_in_total_and_per_address() {
        let proxies = TrustedProxies {
            networks: vec!["10.0.0.5/32".parse().unwrap()],
            ..TrustedProxies::default()
        };
        let limits = ConnectionLimits::new(4, 2, proxies);
        let one = limits.admit(ip("192.0.2.1"));
        let two = limits.admit(ip("192.0.2.1"));
        assert!(matches!(one, Admission::Admitted(_)) && matches!(two, Admission::Admitted(_)));
        assert!(matches!(
            limits.admit(ip("192.0.2.1")),
            Admission::Refused(Refusal::AddressFull, _)
        ));
        drop(one);
        let three = limits.admit(ip("192.0.2.1"));
        assert!(
            matches!(three, Admission::Admitted(_)),
            "a closed one frees its slot"
        );
        let proxy = [limits.admit(ip("10.0.0.5")), limits.admit(ip("10.0.0.5"))];
        assert!(
            proxy.iter().all(|a| matches!(a, Admission::Admitted(_))),
            "{proxy:?}"
        );
        assert_eq!(limits.open(), 4);
        assert!(matches!(
            limits.admit(ip("10.0.0.5")),
            Admission::Refused(Refusal::Full, _)
        ));
        // Refusals being answered are bounded too.
        let refusing: Vec<_> = (0..limits::MAX_REFUSING)
            .map(|_| limits.admit(ip("198.51.100.1")))
            .collect();
        assert!(refusing.iter().all(|a| matches!(a, Admission::Refused(..))));
        assert!(matches!(
            limits.admit(ip("198.51.100.1")),
            Admission::Dropped
        ));
        drop(refusing);
        assert!(matches!(
            limits.admit(ip("198.51.100.1")),
            Admission::Refused(..)
        ));
        drop((two, three, proxy));
        assert_eq!(limits.open(), 0);
    }

    #[test]
    fn commands_are_limited_per_session() {
        let l = CommandLimiter::new(1, 3);
        assert!((0..3).all(|_| l.allow("1001")));
        assert!(!l.allow("1001"));
        assert!(l.allow("1002"), "another session has its own");
    }
}
