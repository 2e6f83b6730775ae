//! NeoApi as the server uses it: one client for every session, each call measured.

use neotel_api::{FaultKind, Reply, Request};

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
