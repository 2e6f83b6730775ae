//! The server's one clock: every instant and every wall time the server uses is read here.
//!
//! Instants are tokio's, so `#[tokio::test(start_paused = true)]` and `tokio::time::advance`
//! move session timers, token expiries, heartbeats and NeoApi latencies together (tokio's pause
//! does not touch `std::time::Instant::now()`). Wall times come from the system clock, read
//! here alone.

use std::time::Instant;

use chrono::{DateTime, Utc};

/// Now, as the session timers and token expiries count it.
#[must_use]
pub fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// Now, as a wall time (UTC).
#[must_use]
pub fn wall() -> DateTime<Utc> {
    Utc::now()
}

/// The wall time `at` will be (or was), counted from now on both clocks.
#[must_use]
pub fn wall_at(at: Instant) -> DateTime<Utc> {
    let now = now();
    let wall = wall();
    let offset = |d| chrono::Duration::from_std(d).unwrap_or_else(|_| chrono::Duration::zero());
    if at >= now {
        wall + offset(at - now)
    } else {
        wall - offset(now - at)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn instants_follow_tokios_paused_time() {
        let before = super::now();
        tokio::time::advance(Duration::from_secs(90)).await;
        assert!(super::now() - before >= Duration::from_secs(90));
        let later = super::wall_at(super::now() + Duration::from_secs(60));
        assert!(later > super::wall() + chrono::Duration::seconds(59));
    }
}
