//! Configuration: a TOML file, `CTI_…` environment variables and command-line flags, merged by
//! figment in that order (flags > env > file > defaults), then validated into [`Config`].
//!
//! Every key is one field of [`Keys`] (`keys.rs`); its flag is derived from it and its
//! environment variable is `CTI_` followed by the key in upper case with dots turned into
//! underscores (`neoapi.timeout_ms` → `CTI_NEOAPI_TIMEOUT_MS`). Errors name the key and where
//! the bad value came from (`layers.rs`), and validation reports every problem at once
//! (`validate.rs`), static lists included.

mod keys;
mod layers;
mod model;
#[cfg(test)]
mod tests;
mod validate;

pub use keys::{
    CallCenterKeys, DemoKeys, Keys, LimitsKeys, ListKey, ListKeys, MetricsKeys, NeoApiKeys,
    NeotelKeys, SecurityKeys, SessionKeys, TaskKeys, TlsKeys, defaults,
};
pub use layers::{Sources, env_name};
pub(crate) use model::choice;
pub use model::{
    CallCenterFallback, ClientAddressHeader, Config, ConfigError, DemoSurface, Limits, ListSource,
    Lists, MetricsConfig, NeoApiConfig, Problem, ScrtSettings, TaskCall, Tasks, TlsConfig,
    TrustedProxies, VoiceSettings,
};
pub use neotel_api::Binding;

/// Every key a flag or an environment variable can set, by its dotted path (tables such as
/// `lists.*`, `tasks.*` and `callcenter.options` are file-only).
pub fn keys() -> impl Iterator<Item = &'static str> {
    layers::flag_keys().iter().map(|(key, _)| key.as_str())
}

/// The flag that sets `key` (`neoapi.url` → `--neoapi-url`), if a flag does.
#[must_use]
pub fn flag(key: &str) -> Option<&'static str> {
    layers::flag_keys()
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, flag)| flag.as_str())
}

/// Loads and validates the configuration (flags > env > file > defaults).
///
/// # Errors
/// The file cannot be read or parsed, or any key is invalid: every problem is reported.
pub fn load(sources: &Sources) -> Result<Config, ConfigError> {
    let merged = layers::merge(sources)?;
    validate::validate(merged.keys.clone(), |key| merged.source(key))
}

impl Config {
    /// The defaults alone (demo mode on loopback); what tests start from.
    #[must_use]
    pub fn defaults() -> Self {
        load(&Sources::default()).expect("the defaults are valid")
    }
}
