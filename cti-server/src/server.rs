//! Binding the listeners, running them, and shutting down in order.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::config::{Binding, Config, DemoSurface, NeoApiConfig, defaults};
use crate::demo::Demo;
use crate::error::ServeError;
use crate::http::{app, metrics_app};
use crate::listener::{self, Bound, Gate};
use crate::neoapi::NeoApi;
use crate::security::ConnectionLimits;
use crate::session::{self, MachineFactory, Sessions};
use crate::state::AppState;
use crate::store::Store;
use crate::tls::{self, TlsListener};

/// A bound server, ready to [`run`](Self::run).
pub struct Server {
    state: AppState,
    main: Bound,
    local_addr: SocketAddr,
    /// `metrics.listen`, bound.
    metrics: Option<TcpListener>,
    /// The main listener's connection caps (the open-files limit fitted).
    limits: Arc<ConnectionLimits>,
    demo: Option<Demo>,
}

/// `limits.max_connections`, lowered to fit the open-files limit (which the binary raised to
/// its hard limit at start) less what the server holds whatever the agents, so it always has a
/// descriptor left to answer a refusal, `/healthz` and a login instead of failing `accept`.
fn connection_cap(configured: usize) -> usize {
    let Ok((soft, _)) = rlimit::Resource::NOFILE.get() else {
        return configured;
    };
    let room = soft
        .saturating_sub(crate::doctor::OPEN_FILES_RESERVE)
        .max(16);
    let room = usize::try_from(room).unwrap_or(usize::MAX);
    if room < configured {
        tracing::warn!(
            configured,
            open_files = soft,
            cap = room,
            "limits.max_connections lowered to fit the open-files limit"
        );
    }
    configured.min(room)
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("local_addr", &self.local_addr)
            .field("public_url", &self.state.public_url())
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Binds every listener (and, in demo mode, starts the simulator) without serving yet.
    ///
    /// # Errors
    /// A listener cannot be bound, TLS files are unusable, or the simulator cannot start.
    pub async fn bind(config: Config) -> Result<Self, ServeError> {
        Self::bind_with(config, session::core_machines()).await
    }

    /// [`bind`](Self::bind), each agent's session driving a machine `machines` makes.
    pub(crate) async fn bind_with(
        mut config: Config,
        machines: MachineFactory,
    ) -> Result<Self, ServeError> {
        crate::demo::voice_defaults(&mut config);
        let callcenter = crate::callcenter::fallback(&config).map_err(ServeError::CallCenter)?;
        let tcp = ServeError::listen("listen", config.listen).await?;
        let metrics = match config.metrics.listen {
            Some(addr) => Some(ServeError::listen("metrics.listen", addr).await?),
            None => None,
        };
        let limits = ConnectionLimits::new(
            connection_cap(config.limits.max_connections),
            config.limits.max_connections_per_address,
            config.trusted_proxies.clone(),
        );
        let local_addr = tcp.local_addr()?;
        // The Salesforce Voice demo is HTTPS on both listeners: the base accepts only an https
        // host, and an https host frames only an https page.
        let demo_tls = if config.demo() && config.demo_surface == DemoSurface::Voice {
            Some(tls::demo_config(&crate::demo::certificate_names())?)
        } else {
            None
        };
        let scheme = if config.tls.is_some() || demo_tls.is_some() {
            "https"
        } else {
            "http"
        };
        let public_url = config.public_url.clone().unwrap_or_else(|| {
            let mut addr = local_addr;
            if addr.ip().is_unspecified() {
                addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
            }
            format!("{scheme}://{addr}")
        });
        let main = match (&config.tls, &demo_tls) {
            (Some(t), _) => Bound::Tls(TlsListener::new(tcp, tls::server_config(t)?)?),
            (None, Some(demo)) => Bound::Tls(TlsListener::new(tcp, demo.clone())?),
            (None, None) => Bound::Plain(tcp),
        };

        let (neoapi_config, demo) = match &config.neoapi {
            Some(n) => (n.clone(), None),
            None => {
                let demo = Demo::start(&config, &public_url, &callcenter, demo_tls).await?;
                let neoapi = NeoApiConfig {
                    url: demo.sim_url(),
                    binding: Binding::Form,
                    path: defaults::NEOAPI_PATH.to_owned(),
                    timeout: Duration::from_millis(defaults::NEOAPI_TIMEOUT_MS),
                };
                (neoapi, Some(demo))
            }
        };
        let neoapi = NeoApi::new(&neoapi_config).map_err(ServeError::NeoApi)?;
        // VoiceCall records: the configured API (its key matched to its certificate now), or
        // the Voice demo's stand-in.
        let telephony = match crate::telephony::Telephony::from_config(&config)? {
            Some(t) => Some(t),
            None => demo.as_ref().and_then(Demo::telephony),
        };
        let extra_origins = demo.as_ref().map(Demo::origins).unwrap_or_default();
        // The expiry is also a metric, so an alert fires before the certificate runs out.
        let cert_expiry = config
            .tls
            .as_ref()
            .and_then(|t| tls::LeafCertificate::load(&t.cert).ok())
            .map(|leaf| leaf.not_after);
        let store_url = config
            .store_url
            .clone()
            .unwrap_or_else(|| crate::store::sqlite_url(&config.data_dir));
        // A statement PostgreSQL has not answered within a lease is given up (the session
        // or the keeper tries again): a connection that hangs never holds the server.
        let store = Store::open_with(&store_url, config.store_lease).await?;
        let sessions = Sessions::new(config, neoapi, callcenter, machines, Some(store), telephony);
        // The sessions a stop or a crash left in the store come back before the first page.
        session::resume(&sessions).await?;
        // Leases renewed, sessions handed over or adopted from dead instances, until shutdown.
        sessions
            .tracker
            .spawn(session::keep_leases(sessions.clone()));
        let ages = sessions.clone();
        sessions.tracker.spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(5));
            loop {
                tokio::select! {
                    _ = every.tick() => ages.refresh_pending_age(),
                    () = ages.shutdown.cancelled() => break,
                }
            }
        });
        let state = AppState::new(sessions, public_url, &extra_origins);
        if let Some(expiry) = cert_expiry {
            state.metrics().tls_cert_expiry.set(expiry);
        }
        Ok(Self {
            state,
            main,
            local_addr,
            metrics,
            limits,
            demo,
        })
    }

    /// The metrics listener's address (`metrics.listen`).
    #[must_use]
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// The main listener's address.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The stand-in's address (demo mode only).
    #[must_use]
    pub fn standin_addr(&self) -> Option<SocketAddr> {
        self.demo.as_ref().map(Demo::standin_addr)
    }

    /// The Voice demo's Telephony Integration API stand-in (its `/_standin/calls` lists the
    /// VoiceCalls the sessions wrote).
    #[must_use]
    pub fn scrt_url(&self) -> Option<String> {
        self.demo.as_ref().and_then(Demo::scrt_url)
    }

    /// The simulator's base URL (demo mode only).
    #[must_use]
    pub fn sim_url(&self) -> Option<String> {
        self.demo.as_ref().map(Demo::sim_url)
    }

    /// The shared state (metrics, public URL).
    #[must_use]
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The one line telling a person what to open.
    #[must_use]
    pub fn open_line(&self) -> String {
        match &self.demo {
            Some(demo) => demo.open_line(),
            None => format!(
                "Softphone at {}/softphone/ (the adapter URL of the call center)",
                self.state.public_url()
            ),
        }
    }

    /// Serves until `shutdown` completes, then closes every WebSocket with a close frame, waits
    /// for the connection and session tasks (at most 10 s) and stops the simulator.
    ///
    /// # Errors
    /// A listener failed while serving.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let Self {
            state,
            main,
            metrics,
            limits,
            demo,
            ..
        } = self;
        let cancel = state.sessions().shutdown.clone();
        let router = app(state.clone());
        let gate = |limits: Arc<ConnectionLimits>| {
            let l = &state.sessions().config.limits;
            Gate {
                limits,
                header_read_timeout: l.header_read_timeout,
                body_timeout: l.body_timeout,
                state: state.clone(),
            }
        };
        // The other listeners are for operators and the demo: their own caps, so a flood of
        // the main one cannot reach them.
        let own_caps = || {
            let l = &state.sessions().config.limits;
            ConnectionLimits::new(
                l.max_connections_per_address,
                l.max_connections_per_address,
                state.sessions().config.trusted_proxies.clone(),
            )
        };
        let main_task = main.spawn(router, gate(limits), cancel.clone());
        let metrics_task = metrics.map(|l| {
            let router = metrics_app(state.clone());
            tokio::spawn(listener::serve(l, router, gate(own_caps()), cancel.clone()))
        });
        let (standin_task, sim, scrt) = match demo {
            Some(demo) => {
                let (standin, router, sim, scrt) = demo.into_parts();
                let task = standin.spawn(router, gate(own_caps()), cancel.clone());
                (Some(task), sim, scrt)
            }
            None => (None, None, None),
        };
        tokio::select! {
            () = shutdown => tracing::info!("shutting down"),
            () = cancel.cancelled() => {}
        }
        cancel.cancel();
        let mut result = Ok(());
        for task in std::iter::once(main_task)
            .chain(metrics_task)
            .chain(standin_task)
        {
            match task.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => result = Err(ServeError::Io(e)),
                Err(e) => tracing::error!(error = %e, "listener task failed"),
            }
        }
        // axum's graceful shutdown does not wait for upgraded sockets: wait for them here.
        let tracker = state.sessions().tracker.clone();
        tracker.close();
        if tokio::time::timeout(Duration::from_secs(10), tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                remaining = tracker.len(),
                "some connections or sessions did not end within 10 s"
            );
        }
        if let Some(sim) = sim {
            sim.shutdown().await;
        }
        if let Some(scrt) = scrt {
            scrt.shutdown().await;
        }
        result
    }
}

/// Binds and serves `config` until `shutdown` completes (see [`Server`]).
///
/// # Errors
/// See [`Server::bind`] and [`Server::run`].
pub async fn serve(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let server = Server::bind(config).await?;
    tracing::info!(addr = %server.local_addr(), public_url = server.state().public_url(), "{}", server.open_line());
    server.run(shutdown).await
}

/// A future that completes on Ctrl-C or SIGTERM. The handlers are installed when this is
/// called (inside a runtime), so a signal arriving before the future is first polled is not lost.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let terminate = signal(SignalKind::terminate());
        let interrupt = signal(SignalKind::interrupt());
        async move {
            match (terminate, interrupt) {
                (Ok(mut terminate), Ok(mut interrupt)) => {
                    tokio::select! {
                        _ = terminate.recv() => {}
                        _ = interrupt.recv() => {}
                    }
                }
                (Err(e), _) | (_, Err(e)) => {
                    tracing::error!(error = %e, "cannot listen for SIGTERM; Ctrl-C only");
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
