//! What every session task shares with the connections: NeoApi, the registry, the tokens, the
//! metrics, the machine factory, and the shutdown signal with the tracker that awaits the tasks.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::machine::MachineFactory;
use super::registry::Registry;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::neoapi::NeoApi;
use crate::security::Tokens;

/// The session layer's shared services (one per server, behind an `Arc`).
pub(crate) struct Sessions {
    pub(crate) config: Config,
    /// The call center options used until Salesforce sends its own.
    pub(crate) callcenter: sf_callcenter::Config,
    pub(crate) neoapi: NeoApi,
    pub(crate) machines: MachineFactory,
    pub(crate) registry: Registry,
    pub(crate) tokens: Tokens,
    pub(crate) metrics: Metrics,
    pub(crate) shutdown: CancellationToken,
    pub(crate) tracker: TaskTracker,
}

impl Sessions {
    /// Sessions of `config`'s agents through `neoapi`, each driving a machine `machines` makes.
    pub(crate) fn new(
        config: Config,
        neoapi: NeoApi,
        callcenter: sf_callcenter::Config,
        machines: MachineFactory,
    ) -> Arc<Self> {
        Arc::new(Self {
            tokens: Tokens::new(config.token_ttl),
            config,
            callcenter,
            neoapi,
            machines,
            registry: Registry::default(),
            metrics: Metrics::new(),
            shutdown: CancellationToken::new(),
            tracker: TaskTracker::new(),
        })
    }
}
