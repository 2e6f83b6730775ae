//! What the handlers and connections share: the session layer and the main listener's own
//! security (origins, the framing policy, the login and command limiters).

use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderValue;

use crate::security::{AccountLimiter, CommandLimiter, LoginLimiter, Origins};
use crate::session::Sessions;

/// Everything the handlers, connections and sessions share (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) sessions: Arc<Sessions>,
    pub(crate) public_url: String,
    pub(crate) origins: Origins,
    pub(crate) csp: HeaderValue,
    pub(crate) limiter: LoginLimiter,
    /// Failed logins per account, whatever the addresses (in the session store).
    pub(crate) accounts: AccountLimiter,
    pub(crate) commands: CommandLimiter,
    pub(crate) probe: reqwest::Client,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("public_url", &self.inner.public_url)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State for a server whose public base URL is `public_url`, running `sessions`.
    ///
    /// `extra_origins` are added to the configured `allowed_origins` (the demo's stand-in).
    pub(crate) fn new(
        sessions: Arc<Sessions>,
        public_url: String,
        extra_origins: &[String],
    ) -> Self {
        let config = &sessions.config;
        let mut allowed = config.allowed_origins.clone();
        allowed.extend(extra_origins.iter().cloned());
        let origins = Origins::new(&public_url, &allowed);
        let csp = HeaderValue::from_str(&origins.content_security_policy())
            .expect("origins were validated as plain URLs");
        let probe = reqwest::Client::builder()
            .timeout(Duration::from_secs(3))
            .build()
            .expect("a plain reqwest client builds");
        Self {
            inner: Arc::new(Inner {
                limiter: LoginLimiter::new(
                    config.login_attempts_per_minute,
                    config.login_failures_per_address_per_minute,
                ),
                accounts: AccountLimiter::new(
                    config.login_failures_per_account_per_hour,
                    sessions.store.clone(),
                ),
                commands: CommandLimiter::new(
                    config.limits.commands_per_second,
                    config.limits.command_burst,
                ),
                sessions,
                public_url,
                origins,
                csp,
                probe,
            }),
        }
    }

    /// The server's metrics.
    #[must_use]
    pub fn metrics(&self) -> &crate::metrics::Metrics {
        &self.inner.sessions.metrics
    }

    /// The server's public base URL (`http://127.0.0.1:8080`).
    #[must_use]
    pub fn public_url(&self) -> &str {
        &self.inner.public_url
    }

    /// The session layer.
    pub(crate) fn sessions(&self) -> &Arc<Sessions> {
        &self.inner.sessions
    }
}
