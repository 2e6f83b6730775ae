//! The embedded demo: the Neotel simulator in-process and, on a second listener so the page
//! Salesforce frames is cross-site as inside Salesforce, a stand-in of Salesforce: Lightning
//! with the Open CTI softphone (`demo.surface = "opencti"`), or Salesforce Voice's host with
//! the connector page (`"voice"`, both listeners over HTTPS).
//!
//! Never started beside a real NeoApi.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{any, get};
use neotel_sim::{Scenario, SimServer};

use crate::assets;
use crate::config::{Config, DemoSurface};
use crate::error::{AppError, ServeError};
use crate::listener::Bound;
use crate::tls::TlsListener;

/// The stand-in's files under `web/`.
pub(crate) const STANDIN_ROOT: &str = "standin";
/// The Salesforce Voice stand-in host's files under `web/`.
const VOICE_ROOT: &str = "standin-voice";
/// The Salesforce host name the Voice stand-in is opened on: the base (3.6.2) takes its
/// SETUP_CONNECTOR only from an https origin on one of Salesforce's domains, so a browser maps
/// this name to loopback (README.md).
pub(crate) const VOICE_HOST: &str = "standin.lightning.force.com";

/// The names the Voice demo's certificate covers: the stand-in's Salesforce host name and the
/// main listener's loopback names.
pub(crate) fn certificate_names() -> Vec<String> {
    [VOICE_HOST, "localhost", "127.0.0.1", "::1"]
        .map(str::to_owned)
        .to_vec()
}
/// The Voice stand-in's Omni-Channel presence statuses (its `userPresenceStatuses`, in
/// `web/standin-voice/host-scripts.js`): "Available" and "Break - Lunch".
const VOICE_AVAILABLE: &str = "0N5000000000001";
const VOICE_LUNCH: &str = "0N5000000000002";
/// The simulator's break "Almuerzo", which the stand-in's "Break - Lunch" stands for.
const SIM_LUNCH_BREAK: i64 = 12;

/// The Voice demo's presence table when the configuration sets none (`[voice]`
/// `available_status`, `break_statuses`): the stand-in's statuses mapped onto the simulator's
/// states, so going available ends a wrap-up or a break and a break reaches the other side,
/// as with a real org's table. A table the configuration sets is kept as it is.
pub(crate) fn voice_defaults(config: &mut Config) {
    if !config.demo() || config.demo_surface != DemoSurface::Voice {
        return;
    }
    let voice = &mut config.voice;
    if voice.available_status.is_none() && voice.break_statuses.is_empty() {
        voice.available_status = Some(VOICE_AVAILABLE.into());
        voice.break_statuses = vec![(SIM_LUNCH_BREAK, VOICE_LUNCH.into())];
    }
}

/// The files the stand-in's page loads from `/support/` (under `web/`).
const SUPPORT_ROOT: &str = "standin/support";

/// A running simulator (ours, or one `demo.sim_url` names) and the bound (not yet serving)
/// stand-in listener.
pub(crate) struct Demo {
    /// The embedded simulator; `None` when `demo.sim_url` names one already running.
    sim: Option<SimServer>,
    sim_url: String,
    listener: Bound,
    standin_addr: SocketAddr,
    router: Router,
    surface: DemoSurface,
    /// The Salesforce Voice demo's Telephony Integration API stand-in, and the client of it
    /// the sessions write their VoiceCalls through.
    scrt: Option<(
        sf_telephony_standin::StandInServer,
        crate::telephony::Telephony,
    )>,
}

/// The org and contact center the Voice stand-in host says it is (`host-scripts.js`).
const VOICE_ORG: &str = "00D000000000001";
const VOICE_CALL_CENTER: &str = "NeotelContactCenter";

/// The Telephony Integration API stand-in on a free loopback port, with a key pair made now,
/// and the client that signs with it.
async fn start_scrt() -> Result<
    (
        sf_telephony_standin::StandInServer,
        crate::telephony::Telephony,
    ),
    ServeError,
> {
    let demo = |e: &dyn std::fmt::Display| ServeError::Demo(format!("Telephony API stand-in: {e}"));
    let pair = sf_telephony::DemoKeyPair::generate("Neotel demo").map_err(|e| demo(&e))?;
    let config = sf_telephony_standin::StandInConfig::new(
        VOICE_ORG,
        VOICE_CALL_CENTER,
        pair.certificate_pem(),
    );
    let stand_in = sf_telephony_standin::StandIn::new(config).map_err(|e| demo(&e))?;
    let server =
        sf_telephony_standin::StandInServer::start(SocketAddr::from(([127, 0, 0, 1], 0)), stand_in)
            .await?;
    let keys = pair.key_material().map_err(|e| demo(&e))?;
    let telephony = crate::telephony::Telephony::new(
        &server.base_url(),
        VOICE_ORG,
        VOICE_CALL_CENTER,
        "neotel",
        keys,
        None,
    )?;
    Ok((server, telephony))
}

#[derive(Clone)]
struct StandinState {
    /// The page Salesforce frames: the softphone, or the Voice connector page.
    adapter_url: Arc<str>,
    sim_url: Arc<str>,
    callcenter_xml: Arc<str>,
    http: reqwest::Client,
}

impl Demo {
    /// Starts the simulator on a free loopback port with its default scenario and binds the
    /// stand-in's listener (over `tls` when given: the Voice demo's); `public_url` is the main
    /// listener's (the framed page's) base URL.
    pub(crate) async fn start(
        config: &Config,
        public_url: &str,
        callcenter: &sf_callcenter::Config,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> Result<Self, ServeError> {
        let sim = match &config.demo_sim_url {
            Some(_) => None,
            None => Some(
                SimServer::start(
                    SocketAddr::from(([127, 0, 0, 1], 0)),
                    Scenario::default_scenario(),
                )
                .await
                .map_err(|e| ServeError::Demo(format!("cannot start the simulator: {e}")))?,
            ),
        };
        let sim_url = config
            .demo_sim_url
            .clone()
            .or_else(|| sim.as_ref().map(SimServer::base_url))
            .unwrap_or_default();
        let tcp = ServeError::listen("demo.standin_listen", config.standin_listen).await?;
        let standin_addr = tcp.local_addr()?;
        let listener = match tls {
            Some(tls) => Bound::Tls(TlsListener::new(tcp, tls)?),
            None => Bound::Plain(tcp),
        };
        let surface = config.demo_surface;
        let adapter_url = match surface {
            DemoSurface::OpenCti => format!("{public_url}/softphone/"),
            DemoSurface::Voice => format!("{public_url}/scv/"),
        };
        let callcenter_xml = crate::callcenter::demo_xml(&adapter_url, callcenter);
        let state = StandinState {
            adapter_url: adapter_url.into(),
            sim_url: sim_url.clone().into(),
            callcenter_xml: callcenter_xml.into(),
            http: reqwest::Client::new(),
        };
        let router = match surface {
            DemoSurface::OpenCti => standin_app(state),
            DemoSurface::Voice => voice_app(state),
        };
        // VoiceCall records go to a stand-in of the API unless the configuration names one.
        let scrt = if surface == DemoSurface::Voice && config.voice.scrt.is_none() {
            Some(start_scrt().await?)
        } else {
            None
        };
        Ok(Self {
            router,
            sim,
            sim_url,
            listener,
            standin_addr,
            surface,
            scrt,
        })
    }

    pub(crate) fn sim_url(&self) -> String {
        self.sim_url.clone()
    }

    pub(crate) fn standin_addr(&self) -> SocketAddr {
        self.standin_addr
    }

    /// What a person opens: another site than the main listener's `127.0.0.1`, so the framed
    /// page is cross-site as inside Salesforce (`localhost`, or the Voice host's Salesforce name).
    pub(crate) fn standin_url(&self) -> String {
        let port = self.standin_addr.port();
        match self.surface {
            DemoSurface::OpenCti => format!("http://localhost:{port}/"),
            DemoSurface::Voice => format!("https://{VOICE_HOST}:{port}/"),
        }
    }

    /// The one line telling a person what to open.
    pub(crate) fn open_line(&self) -> String {
        match self.surface {
            DemoSurface::OpenCti => format!(
                "Open {} — log in as 1001 / 1001 on SIP/1001",
                self.standin_url()
            ),
            DemoSurface::Voice => format!(
                "Open {} in Chromium started with --host-resolver-rules=\"MAP {VOICE_HOST} \
                 127.0.0.1\" --ignore-certificate-errors (the demo's certificate is made at \
                 start) — log in as 1001 / 1001 on SIP/1001",
                self.standin_url()
            ),
        }
    }

    /// The stand-in's origins, allowed to frame the page.
    pub(crate) fn origins(&self) -> Vec<String> {
        let port = self.standin_addr.port();
        match self.surface {
            DemoSurface::OpenCti => vec![
                format!("http://localhost:{port}"),
                format!("http://127.0.0.1:{port}"),
            ],
            DemoSurface::Voice => vec![format!("https://{VOICE_HOST}:{port}")],
        }
    }

    /// The client of the demo's Telephony Integration API stand-in, if it runs one.
    pub(crate) fn telephony(&self) -> Option<crate::telephony::Telephony> {
        self.scrt.as_ref().map(|(_, t)| t.clone())
    }

    /// The demo's Telephony Integration API stand-in's base URL (its `/_standin/calls` lists
    /// the VoiceCalls).
    pub(crate) fn scrt_url(&self) -> Option<String> {
        self.scrt.as_ref().map(|(s, _)| s.base_url())
    }

    pub(crate) fn into_parts(
        self,
    ) -> (
        Bound,
        Router,
        Option<SimServer>,
        Option<sf_telephony_standin::StandInServer>,
    ) {
        (
            self.listener,
            self.router,
            self.sim,
            self.scrt.map(|(s, _)| s),
        )
    }
}

fn standin_app(state: StandinState) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/standin/dataset.json", get(dataset))
        .route("/standin/callcenter.xml", get(callcenter))
        .route("/standin/{*path}", assets::folder(STANDIN_ROOT))
        .route("/support/{*path}", assets::folder(SUPPORT_ROOT))
        .route("/sim/{*path}", any(proxy_sim))
        .fallback(|| async { AppError::NotFound })
        .with_state(state)
}

/// The Salesforce Voice stand-in: its host page at `/` (redirected to carry the connector
/// page's URL), the simulator's control API for its demo panel.
fn voice_app(state: StandinState) -> Router {
    Router::new()
        .route("/", get(voice_index))
        .route("/standin-voice/", get(voice_index))
        .route("/standin/dataset.json", get(dataset))
        .route("/standin-voice/{*path}", assets::folder(VOICE_ROOT))
        .route("/sim/{*path}", any(proxy_sim))
        .fallback(|| async { AppError::NotFound })
        .with_state(state)
}

/// The host page (`/standin-voice/`, its files beside it); without `?connector=` it redirects
/// there with the connector page's URL.
async fn voice_index(
    State(state): State<StandinState>,
    uri: Uri,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let has_connector = query
        .as_deref()
        .is_some_and(|q| q.split('&').any(|kv| kv.starts_with("connector=")));
    if !has_connector || uri.path() == "/" {
        let encoded = url_encode(&state.adapter_url);
        let query = match query.filter(|_| has_connector) {
            Some(q) => q,
            None => format!("connector={encoded}"),
        };
        return Ok(Redirect::to(&format!("/standin-voice/?{query}")).into_response());
    }
    assets::serve(VOICE_ROOT, "index.html")
}

/// The console page; without `?adapter=` it redirects to itself with the softphone's URL.
async fn index(
    State(state): State<StandinState>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let has_adapter = query
        .as_deref()
        .is_some_and(|q| q.split('&').any(|kv| kv.starts_with("adapter=")));
    if !has_adapter {
        let encoded = url_encode(&state.adapter_url);
        return Ok(Redirect::to(&format!("/?adapter={encoded}")).into_response());
    }
    assets::serve(STANDIN_ROOT, "index.html")
}

fn url_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

async fn dataset() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        neotel_sim::DEFAULT_SCENARIO_JSON,
    )
        .into_response()
}

async fn callcenter(State(state): State<StandinState>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/xml")],
        state.callcenter_xml.to_string(),
    )
        .into_response()
}

/// `/sim/*` forwarded to the simulator's control API, so the demo panel is same-origin.
async fn proxy_sim(
    State(state): State<StandinState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str());
    let url = format!("{}{path_and_query}", state.sim_url);
    let mut request = state.http.request(method, &url).body(body);
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        request = request.header(header::CONTENT_TYPE, ct);
    }
    let response = request
        .send()
        .await
        .map_err(|e| AppError::Unavailable(format!("simulator: {e}")))?;
    let status = StatusCode::from_u16(response.status().as_u16())
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let content_type = response.headers().get(header::CONTENT_TYPE).cloned();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| AppError::Unavailable(format!("simulator: {e}")))?;
    let mut out = (status, bytes).into_response();
    if let Some(ct) = content_type {
        out.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The demo's presence table names the stand-in host's statuses and a break the
    /// simulator has: the two sides of the Voice demo map each other's states.
    #[test]
    fn the_voice_demo_maps_the_stand_in_presence_onto_the_simulator() {
        let mut config = Config::defaults();
        config.demo_surface = DemoSurface::Voice;
        voice_defaults(&mut config);
        let host = include_str!("../web/standin-voice/host-scripts.js");
        let available = config.voice.available_status.clone().expect("a default");
        assert!(host.contains(&format!(r#""{available}":{{"statusName":"Available""#)));
        let [(subtype, lunch)] = config.voice.break_statuses.as_slice() else {
            panic!("one break: {:?}", config.voice.break_statuses);
        };
        assert!(host.contains(&format!(r#""{lunch}":{{"statusName":"Break - Lunch""#)));
        let breaks = Scenario::default_scenario().breaks;
        assert!(
            breaks
                .iter()
                .any(|b| b.id == *subtype && b.name == "Almuerzo"),
            "{breaks:?}"
        );

        // An operator's table stays; the Open CTI demo gets none.
        let mut config = Config::defaults();
        config.demo_surface = DemoSurface::Voice;
        config.voice.available_status = Some("0N5OWN".into());
        voice_defaults(&mut config);
        assert!(config.voice.break_statuses.is_empty());
        let mut config = Config::defaults();
        voice_defaults(&mut config);
        assert_eq!(config.voice.available_status, None);
    }

    #[test]
    fn url_encoding() {
        assert_eq!(
            url_encode("http://127.0.0.1:8080/softphone/"),
            "http%3A%2F%2F127%2E0%2E0%2E1%3A8080%2Fsoftphone%2F"
        );
    }
}
