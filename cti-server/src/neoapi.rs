//! NeoApi as the server uses it: one client for every session, each call measured, and the
//! list reads every session makes alike shared between them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use neotel_api::{FaultKind, Reply, Request};
use tokio::sync::watch;

use crate::clock;
use crate::config::NeoApiConfig;
use crate::metrics::Metrics;

/// One transport for every session, and its endpoint for probes.
#[derive(Clone)]
pub(crate) struct NeoApi {
    client: neotel_api::Client,
    endpoint: String,
}

impl NeoApi {
    pub(crate) fn new(config: &NeoApiConfig) -> Result<Self, String> {
        let transport = neotel_api::HttpTransportBuilder::new(config.url.clone())
            .path(config.path.clone())
            .timeout(config.timeout)
            .build(config.binding)
            .map_err(|e| e.to_string())?;
        Ok(Self {
            client: neotel_api::Client::new(transport),
            endpoint: format!("{}{}", config.url, config.path),
        })
    }

    /// NeoApi through `transport` (the crate's tests: one over the simulator's engine).
    #[cfg(test)]
    pub(crate) fn with_transport(transport: std::sync::Arc<dyn neotel_api::Transport>) -> Self {
        Self {
            client: neotel_api::Client::new(transport),
            endpoint: "test:".to_owned(),
        }
    }

    /// The service URL (`{base}{path}`).
    pub(crate) fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// One call, measured.
    pub(crate) async fn call(
        &self,
        metrics: &Metrics,
        request: &Request,
    ) -> Result<Reply, neotel_api::Error> {
        let started = clock::now();
        let result = self.client.call(request).await;
        let kind = result.as_ref().err().map(error_kind);
        let seconds = clock::now().duration_since(started).as_secs_f64();
        metrics.neoapi_call(request.method(), seconds, kind);
        result
    }
}

/// How long one session's list read answers the same read of every other session. Lists
/// change by the minute (who is logged in by the second, but each session asks again only every
/// 15 s while it offers them): 2,000 sessions make one read, not 2,000.
const SHARED_FOR: Duration = Duration::from_secs(5);

/// The list reads on their way or answered lately, by request (a per-install task and its
/// parameters: the same for every session, see `cti_core::Session::shared_read`).
#[derive(Default)]
pub(crate) struct SharedReads {
    /// By the request as its journal writes it (method and parameters).
    reads: Mutex<HashMap<String, Read>>,
}

struct Read {
    started: Instant,
    /// `None` while on its way; then the reply, or `Some(None)` when it failed (each session
    /// then asks on its own: an error is not shared, its retry is the session's).
    answer: watch::Receiver<Option<Option<Reply>>>,
}

impl SharedReads {
    /// `request`'s answer: a read on its way or answered in the last [`SHARED_FOR`], else a
    /// new call through `neoapi` that later readers share.
    pub(crate) async fn read(
        &self,
        neoapi: &NeoApi,
        metrics: &Metrics,
        request: &Request,
    ) -> Result<Reply, neotel_api::Error> {
        let Ok(key) = serde_json::to_string(request) else {
            return neoapi.call(metrics, request).await;
        };
        let now = clock::now();
        let (mut answer, leader) = {
            let mut reads = self.reads.lock().expect("never poisoned");
            let usable = reads.get(&key).filter(|r| {
                let failed = matches!(*r.answer.borrow(), Some(None));
                !failed && now.duration_since(r.started) < SHARED_FOR
            });
            match usable {
                Some(r) => (r.answer.clone(), None),
                None => {
                    if reads.len() > 1024 {
                        reads.retain(|_, r| now.duration_since(r.started) < SHARED_FOR);
                    }
                    let (tx, rx) = watch::channel(None);
                    let read = Read {
                        started: now,
                        answer: rx.clone(),
                    };
                    reads.insert(key, read);
                    (rx, Some(tx))
                }
            }
        };
        if let Some(tx) = leader {
            let result = neoapi.call(metrics, request).await;
            tx.send_replace(Some(result.as_ref().ok().cloned()));
            return result;
        }
        let shared = match answer.wait_for(Option::is_some).await {
            Ok(a) => a.clone().flatten(),
            // The reader that asked went away before its answer: ask.
            Err(_) => None,
        };
        match shared {
            Some(reply) => {
                metrics.shared_read();
                Ok(reply)
            }
            None => neoapi.call(metrics, request).await,
        }
    }
}

/// The metric label of a NeoApi error.
fn error_kind(e: &neotel_api::Error) -> &'static str {
    match e {
        neotel_api::Error::Platform(f) => match f.kind {
            FaultKind::NotLogged => "notLogged",
            FaultKind::PositionNotFree => "positionNotFree",
            FaultKind::DeviceNotFound => "deviceNotFound",
            FaultKind::NoLicenses => "noLicenses",
            FaultKind::BadParameter => "badParameter",
            FaultKind::UnknownMethod => "unknownMethod",
            FaultKind::LoginFailed => "loginFailed",
            FaultKind::Transient => "transient",
            FaultKind::Other => "fault",
        },
        neotel_api::Error::Transport(_) => "transport",
        neotel_api::Error::Decode(_) => "decode",
        neotel_api::Error::Timeout => "timeout",
        _ => "other",
    }
}
