//! The validated configuration, and why one could not be loaded.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use neotel_api::Binding;
use serde::{Deserialize, Serialize};

/// A configuration that could not be loaded: each problem names its key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file named by `--config` could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has a key of the wrong type.
    #[error("config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// toml's message (it names the key and the line).
        message: String,
    },
    /// One or more keys have invalid values.
    #[error("invalid configuration:\n{}", .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Problem>),
}

/// One invalid key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The dotted key, e.g. `neoapi.timeout_ms`.
    pub key: String,
    /// Where the value came from (`file`, `CTI_…`, `--flag`, `default`).
    pub source: String,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (from {}): {}", self.key, self.source, self.message)
    }
}

/// Where NeoApi is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeoApiConfig {
    /// Base URL (scheme, host, port), e.g. `https://neotel.example.com`.
    pub url: String,
    /// The encoding of calls.
    pub binding: Binding,
    /// Path of the service under the base URL.
    pub path: String,
    /// Timeout of one call.
    pub timeout: Duration,
}

/// Certificate and key files (PEM) to serve HTTPS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsConfig {
    /// Certificate chain, PEM.
    pub cert: PathBuf,
    /// Private key, PEM.
    pub key: PathBuf,
}

/// Where one list shown to the agent comes from (NeoApi has no list methods).
#[derive(Debug, Clone, PartialEq)]
pub enum ListSource {
    /// Items written in the configuration.
    Static(Vec<serde_json::Value>),
    /// A per-install `ExecuteTaskNN` whose answer is `{"Table":[…]}`.
    Task(TaskCall),
}

/// A per-install `ExecuteTaskNN`: its id and the names of its parameters, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskCall {
    /// The task id (`idTask`).
    pub task: u32,
    /// Parameter names or literal values, in order (`param1`, `param2`, …).
    #[serde(default)]
    pub params: Vec<String>,
}

/// The lists the agent picks from.
#[derive(Debug, Clone, PartialEq)]
pub struct Lists {
    /// Break states (`Pause` subtypes).
    pub breaks: ListSource,
    /// Campaigns the agent may join.
    pub campaigns: ListSource,
    /// Queues (transfer targets).
    pub queues: ListSource,
    /// Users (transfer, conference and monitoring targets).
    pub users: ListSource,
    /// A campaign's transfer phones.
    pub transfer_phones: ListSource,
    /// A CRM's categories and subcategories.
    pub categories: ListSource,
}

/// The per-install tasks behind monitoring, text messages and the click-to-dial contact search:
/// the core's own type, whose default is the mapping the server falls back on.
pub use cti_core::Tasks;

/// The call center options used when Salesforce does not send them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallCenterFallback {
    /// A call center definition file (XML) whose `neotelConfigOptions` apply.
    pub file: Option<PathBuf>,
    /// Options written inline (item name → value, as in the XML).
    pub options: BTreeMap<String, String>,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// NeoApi; `None` runs the embedded demo (simulator + Lightning stand-in).
    pub neoapi: Option<NeoApiConfig>,
    /// Main listener.
    pub listen: SocketAddr,
    /// The server's public origin and base URL (e.g. `https://cti.example.com`); defaults to the
    /// listen address.
    pub public_url: Option<String>,
    /// How often `Position` is polled: a call's look at its quickest (a delivery awaited ten
    /// times as often, a quiet agent a third as often), and one agent's share of the default
    /// NeoApi budget.
    pub poll_interval: Duration,
    /// The NeoApi budget in requests per second (`neoapi.max_requests_per_sec`); `None`: one
    /// per logged-in agent per `poll_interval`.
    pub neoapi_max_requests_per_sec: Option<u32>,
    /// Origins allowed to frame the pages and open the WebSocket, besides the server's own.
    pub allowed_origins: Vec<String>,
    /// HTTPS on the main listener.
    pub tls: Option<TlsConfig>,
    /// A session with no browser connection for this long ends (NeoApi `Logout`).
    pub idle_timeout: Duration,
    /// A session token dies after this long without use.
    pub token_ttl: Duration,
    /// Failed logins allowed per minute for one user from one client address.
    pub login_attempts_per_minute: u32,
    /// Failed logins allowed per minute from one client address, whatever the users.
    pub login_failures_per_address_per_minute: u32,
    /// Failed logins reaching NeoApi in any hour for one user, whatever the addresses.
    pub login_failures_per_account_per_hour: u32,
    /// The proxies whose forwarding header names the client's address.
    pub trusted_proxies: TrustedProxies,
    /// What connections, addresses and sessions may hold and send.
    pub limits: Limits,
    /// Where `/metrics` is served and who may read it.
    pub metrics: MetricsConfig,
    /// Largest browser message accepted, in bytes.
    pub max_message_bytes: usize,
    /// The Neotel server's time zone (NeoApi dates carry no offset).
    pub timezone: chrono_tz::Tz,
    /// Where the lists come from.
    pub lists: Lists,
    /// The per-install tasks.
    pub tasks: Tasks,
    /// Call center options fallback.
    pub callcenter: CallCenterFallback,
    /// Listener of the Lightning stand-in (demo mode only).
    pub standin_listen: SocketAddr,
    /// The most agents logged in at once this install is sized for (the open-files limit must
    /// fit it; see `cti-server doctor`).
    pub max_agents: u32,
    /// Where the server keeps what must survive a restart.
    pub data_dir: PathBuf,
    /// The session store's URL (`sqlite://…` or `postgres://…`); `None`: SQLite in `data_dir`.
    pub store_url: Option<String>,
    /// How long an instance owns a session without renewing it (`store.lease_ms`).
    pub store_lease: Duration,
    /// Log agents out of Neotel when the server stops (otherwise the next start resumes them).
    pub logout_on_shutdown: bool,
    /// Demo mode: a simulator already running at this URL instead of an embedded one.
    pub demo_sim_url: Option<String>,
    /// Demo mode: which Salesforce the stand-in plays.
    pub demo_surface: DemoSurface,
    /// Salesforce Voice partner telephony.
    pub voice: VoiceSettings,
}

/// Which Salesforce surface the demo's stand-in plays (`demo.surface`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DemoSurface {
    /// Lightning with the Open CTI softphone in its utility bar (`opencti`).
    #[default]
    OpenCti,
    /// Salesforce Voice's Omni-Channel host framing the connector page (`voice`): both
    /// listeners serve HTTPS with a certificate made at start, as the base requires.
    Voice,
}

impl std::str::FromStr for DemoSurface {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "opencti" => Ok(Self::OpenCti),
            "voice" => Ok(Self::Voice),
            other => Err(format!("`{other}`: opencti or voice")),
        }
    }
}

/// Salesforce Voice partner telephony (`[voice]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoiceSettings {
    /// The org id: a connector page of another org is refused; the JWT's issuer.
    pub organization_id: Option<String>,
    /// The contact center's internal name: a page of another is refused; the JWT's subject.
    pub call_center: Option<String>,
    /// The Telephony Integration API, when VoiceCall records are written.
    pub scrt: Option<ScrtSettings>,
    /// What a VoiceCall says Neotel's calls were made to (`to`).
    pub contact_center_number: Option<String>,
    /// After-call work is announced (`isACWAllowed`).
    pub after_call_work: bool,
    /// Omni-Channel presence: available for Neotel's calls.
    pub available_status: Option<String>,
    /// Omni-Channel presence: in no Neotel campaign.
    pub no_campaign_status: Option<String>,
    /// Neotel break subtype → Omni-Channel presence status id.
    pub break_statuses: Vec<(i64, String)>,
    /// The package's namespace for custom labels.
    pub label_namespace: String,
}

impl Default for VoiceSettings {
    fn default() -> Self {
        Self {
            organization_id: None,
            call_center: None,
            scrt: None,
            contact_center_number: None,
            after_call_work: true,
            available_status: None,
            no_campaign_status: None,
            break_statuses: Vec::new(),
            label_namespace: "c".into(),
        }
    }
}

/// The Telephony Integration API and the key that signs its tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScrtSettings {
    /// Its base URL.
    pub url: String,
    /// The private key (PEM file).
    pub key: PathBuf,
    /// The certificate (PEM file) the contact center holds.
    pub certificate: PathBuf,
    /// `Telephony-Provider-Name`.
    pub provider_name: String,
}

/// The reverse proxies trusted to name the client's address, and the header they set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrustedProxies {
    /// Their addresses and CIDR blocks (a bare address is a block of one).
    pub networks: Vec<ipnet::IpNet>,
    /// The header they set.
    pub header: ClientAddressHeader,
}

/// A forwarding header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAddressHeader {
    /// `X-Forwarded-For: client, proxy1, …`.
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client, for=proxy1`.
    Forwarded,
}

/// What connections, client addresses and agent sessions may hold and send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// A new WebSocket without a login or an attach within this is closed.
    pub login_deadline: Duration,
    /// A request's headers must arrive within this (an idle keep-alive connection too).
    pub header_read_timeout: Duration,
    /// A request's body must arrive, and its answer be ready, within this.
    pub body_timeout: Duration,
    /// Open connections on the main listener (the server lowers it to fit the open-files limit).
    pub max_connections: usize,
    /// Open connections from one client address; trusted proxies are not limited.
    pub max_connections_per_address: usize,
    /// Commands one session takes per second, sustained.
    pub commands_per_second: u32,
    /// Commands one session takes in a burst.
    pub command_burst: u32,
}

/// Where `/metrics` is served and who may read it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MetricsConfig {
    /// A listener of its own for `/metrics`, `/healthz` and `/readyz`; `None`: the main one.
    pub listen: Option<SocketAddr>,
    /// The client addresses allowed to read `/metrics`; empty: any.
    pub allowed_clients: Vec<ipnet::IpNet>,
}

impl Config {
    /// True when no NeoApi is configured: the server runs the simulator and the stand-in.
    #[must_use]
    pub fn demo(&self) -> bool {
        self.neoapi.is_none()
    }
}

/// A static list item as the core takes it: a numeric `id` and a `name` (and optionally a
/// `group` and whether it `schedules`).
///
/// # Errors
/// What the item lacks.
pub(crate) fn choice(item: &serde_json::Value) -> Result<cti_core::Choice, &'static str> {
    let id = item["id"].as_i64().ok_or("needs a numeric `id`")?;
    let name = item["name"].as_str().ok_or("needs a `name`")?;
    Ok(cti_core::Choice {
        id,
        name: name.to_owned(),
        group: item["group"].as_str().map(str::to_owned),
        schedules: item["schedules"].as_bool().unwrap_or(false),
    })
}
