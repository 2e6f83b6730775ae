//! Every key, defined once: a field of [`Keys`], whose place in the struct is its dotted name
//! in the file, whose doc is its flag's help, and whose flag and environment variable are
//! derived from it (`layers.rs`). Tables (`lists`, `tasks`,
//! `callcenter.options`) are file-only. The defaults are in [`defaults`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;
use serde::{Deserialize, Deserializer, Serialize};

use super::model::TaskCall;

/// Every key of the configuration, each optional (an absent key takes its default).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Args)]
#[serde(default, deny_unknown_fields)]
pub struct Keys {
    /// The main listener, e.g. 0.0.0.0:443.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// The server's public base URL (its origin), e.g. `https://cti.example.com`.
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// How often Position is polled, in milliseconds.
    #[arg(long, value_name = "MS")]
    pub poll_interval_ms: Option<u64>,
    /// Origins allowed to frame the softphone (Salesforce's), comma-separated.
    #[arg(long, value_name = "ORIGINS", value_delimiter = ',')]
    #[serde(deserialize_with = "comma_list")]
    pub allowed_origins: Option<Vec<String>>,
    /// The most agents logged in at once this install is sized for.
    #[arg(long, value_name = "N")]
    pub max_agents: Option<u32>,
    /// Where the server keeps what must survive a restart.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Where NeoApi is (`[neoapi]`).
    #[command(flatten)]
    pub neoapi: NeoApiKeys,
    /// HTTPS on the main listener: both files or neither.
    #[command(flatten)]
    pub tls: Option<TlsKeys>,
    /// How long sessions and tokens live (`[session]`).
    #[command(flatten)]
    pub session: SessionKeys,
    /// The login and message limits, and who may speak for a client (`[security]`).
    #[command(flatten)]
    pub security: SecurityKeys,
    /// Deadlines, timeouts and caps of connections and commands (`[limits]`).
    #[command(flatten)]
    pub limits: LimitsKeys,
    /// Where `/metrics` is served and who may read it (`[metrics]`).
    #[command(flatten)]
    pub metrics: MetricsKeys,
    /// The Neotel server (`[neotel]`).
    #[command(flatten)]
    pub neotel: NeotelKeys,
    /// The call center options fallback (`[callcenter]`).
    #[command(flatten)]
    pub callcenter: CallCenterKeys,
    /// The embedded demo (`[demo]`).
    #[command(flatten)]
    pub demo: DemoKeys,
    /// Where sessions are kept across restarts (`[store]`).
    #[command(flatten)]
    pub store: StoreKeys,
    /// Salesforce Voice partner telephony (`[voice]`).
    #[command(flatten)]
    pub voice: VoiceKeys,
    /// Where the lists the agent picks from come from (file only).
    #[arg(skip)]
    pub lists: ListKeys,
    /// The per-install tasks (file only).
    #[arg(skip)]
    pub tasks: TaskKeys,
}

/// `[neoapi]`: where NeoApi is; without `url` the demo runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Args)]
#[serde(default, deny_unknown_fields)]
pub struct NeoApiKeys {
    /// NeoApi's base URL; without it the demo runs.
    #[arg(long = "neoapi-url", value_name = "URL")]
    pub url: Option<String>,
    /// How calls are encoded: form, get or soap.
    #[arg(long = "neoapi-binding", value_name = "BINDING")]
    pub binding: Option<String>,
    /// The service path under the base URL.
    #[arg(long = "neoapi-path", value_name = "PATH")]
    pub path: Option<String>,
    /// Timeout of one NeoApi call, in milliseconds.
    #[arg(long = "neoapi-timeout-ms", value_name = "MS")]
    pub timeout_ms: Option<u64>,
    /// The most NeoApi requests per second the server makes, shared among the agents' polls
    /// by urgency (commands and writes are never delayed); default: one per logged-in agent
    /// per poll interval.
    #[arg(long = "neoapi-max-requests-per-sec", value_name = "N")]
    pub max_requests_per_sec: Option<u32>,
}

/// `[tls]`: certificate and key files (PEM).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Args)]
#[serde(default, deny_unknown_fields)]
pub struct TlsKeys {
    /// Certificate chain (PEM) to serve HTTPS.
    #[arg(long = "tls-cert", value_name = "FILE")]
    pub cert: Option<PathBuf>,
    /// Private key (PEM) to serve HTTPS.
    #[arg(long = "tls-key", value_name = "FILE")]
    pub key: Option<PathBuf>,
}

/// `[session]`: how long sessions and tokens live.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Args)]
#[serde(default, deny_unknown_fields)]
pub struct SessionKeys {
    /// A session with no browser connection this long ends, in seconds.
    #[arg(
        long = "session-idle-timeout-secs",
        visible_alias = "idle-timeout-secs",
        value_name = "SECS"
    )]
    pub idle_timeout_secs: Option<u64>,
    /// A token unused this long dies, in seconds (at least 60).
    #[arg(
        long = "session-token-ttl-secs",
        visible_alias = "token-ttl-secs",
        value_name = "SECS"
    )]
    pub token_ttl_secs: Option<u64>,
    /// Log every agent out of Neotel when the server stops (default: no, the next start resumes
    /// them; an agent's own logout always logs out).
    #[arg(
        long = "session-logout-on-shutdown",
        value_name = "BOOL",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub logout_on_shutdown: Option<bool>,
}

/// `[store]`: the database sessions are kept in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Args)]
#[serde(default, deny_unknown_fields)]
pub struct StoreKeys {
    /// `sqlite://FILE` or `postgres://USER:PASSWORD@HOST/DB`; default: SQLite in data_dir.
    #[arg(id = "store_url", long = "store-url", value_name = "URL")]
    pub url: Option<String>,
    /// How long an instance owns a session without renewing it, in milliseconds (at least
    /// 1000): a dead instance's sessions are taken over after this.
    #[arg(id = "store_lease_ms", long = "store-lease-ms", value_name = "MS")]
    pub lease_ms: Option<u64>,
}

/// `[security]`: the login limits, the message size limit, and the proxies trusted to name the
/// client's address.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Args)]
#[serde(default, deny_unknown_fields)]
pub struct SecurityKeys {
    /// Failed logins allowed per minute for one user from one client address.
    #[arg(long = "security-login-attempts-per-minute", value_name = "N")]
    pub login_attempts_per_minute: Option<u32>,
    /// Failed logins allowed per minute from one client address, whatever the users.
    #[arg(
        long = "security-login-failures-per-address-per-minute",
        value_name = "N"
    )]
    pub login_failures_per_address_per_minute: Option<u32>,
    /// Failed logins reaching NeoApi per hour for one user, whatever the addresses (10..=1000).
    #[arg(
        long = "security-login-failures-per-account-per-hour",
        value_name = "N"
    )]
    pub login_failures_per_account_per_hour: Option<u32>,
    /// Largest browser message accepted, in bytes.
    #[arg(long = "security-max-message-bytes", value_name = "BYTES")]
    pub max_message_bytes: Option<usize>,
    /// Reverse proxies (addresses or CIDR blocks, comma-separated) whose forwarding header
    /// names the client's address.
    #[arg(
        long = "security-trusted-proxies",
        value_name = "CIDRS",
        value_delimiter = ','
    )]
    #[serde(deserialize_with = "comma_list")]
    pub trusted_proxies: Option<Vec<String>>,
    /// The header the trusted proxies set: x-forwarded-for or forwarded.
    #[arg(long = "security-client-address-header", value_name = "HEADER")]
    pub client_address_header: Option<String>,
}

/// `[limits]`: what one connection, one address and one session may hold or send.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Args)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsKeys {
    /// A new WebSocket that neither logs in nor attaches within this is closed, in seconds.
    #[arg(long = "limits-login-deadline-secs", value_name = "SECS")]
    pub login_deadline_secs: Option<u64>,
    /// A request's headers must arrive within this, in seconds (idle keep-alive included).
    #[arg(long = "limits-header-read-timeout-secs", value_name = "SECS")]
    pub header_read_timeout_secs: Option<u64>,
    /// A request's body must arrive, and its answer be ready, within this, in seconds.
    #[arg(long = "limits-body-timeout-secs", value_name = "SECS")]
    pub body_timeout_secs: Option<u64>,
    /// Open connections on the main listener (at most the open-files limit less 256).
    #[arg(long = "limits-max-connections", value_name = "N")]
    pub max_connections: Option<usize>,
    /// Open connections from one client address (trusted proxies are not limited).
    #[arg(long = "limits-max-connections-per-address", value_name = "N")]
    pub max_connections_per_address: Option<usize>,
    /// Commands one agent's session takes per second, sustained.
    #[arg(long = "limits-commands-per-second", value_name = "N")]
    pub commands_per_second: Option<u32>,
    /// Commands one agent's session takes in a burst.
    #[arg(long = "limits-command-burst", value_name = "N")]
    pub command_burst: Option<u32>,
}

/// `[metrics]`: `/metrics` on its own listener, and who may read it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Args)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsKeys {
    /// A listener of its own for /metrics, /healthz and /readyz (off the main listener).
    #[arg(id = "metrics_listen", long = "metrics-listen", value_name = "ADDR")]
    pub listen: Option<String>,
    /// Client addresses or CIDR blocks allowed to read /metrics, comma-separated (none: any).
    #[arg(
        long = "metrics-allowed-clients",
        value_name = "CIDRS",
        value_delimiter = ','
    )]
    #[serde(deserialize_with = "comma_list")]
    pub allowed_clients: Option<Vec<String>>,
}

/// `[neotel]`: the Neotel server itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Args)]
#[serde(default, deny_unknown_fields)]
pub struct NeotelKeys {
    /// The Neotel server's IANA time zone.
    #[arg(
        long = "neotel-timezone",
        visible_alias = "timezone",
        value_name = "TZ"
    )]
    pub timezone: Option<String>,
}

/// `[callcenter]`: the call center options used when Salesforce does not send them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Args)]
#[serde(default, deny_unknown_fields)]
pub struct CallCenterKeys {
    /// A call center definition file (XML) whose options apply.
    #[arg(long = "callcenter-file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Options written inline, item name → value (file only; they win over the file's).
    #[arg(skip)]
    pub options: BTreeMap<String, serde_json::Value>,
}

/// `[demo]`: the embedded demo.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Args)]
#[serde(default, deny_unknown_fields)]
pub struct DemoKeys {
    /// The demo's Lightning stand-in listener.
    #[arg(
        long = "demo-standin-listen",
        visible_alias = "standin-listen",
        value_name = "ADDR"
    )]
    pub standin_listen: Option<String>,
    /// A Neotel simulator already running, instead of starting one (the demo survives a restart
    /// of the server).
    #[arg(long = "demo-sim-url", value_name = "URL")]
    pub sim_url: Option<String>,
    /// Which Salesforce the demo stands in for: `opencti` (the softphone in Lightning's
    /// utility bar) or `voice` (Salesforce Voice's host with the connector page, over HTTPS).
    #[arg(long = "demo-surface", value_name = "SURFACE")]
    pub surface: Option<String>,
}

/// `[voice]`: Salesforce Voice partner telephony (the connector page `/scv/`, and VoiceCall
/// records through the Telephony Integration API).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Args)]
#[serde(default, deny_unknown_fields)]
pub struct VoiceKeys {
    /// The Salesforce org id (the JWT's issuer; a connector page of another org is refused).
    #[arg(
        id = "voice_organization_id",
        long = "voice-organization-id",
        value_name = "ID"
    )]
    pub organization_id: Option<String>,
    /// The contact center's internal name (`reqInternalName`: the JWT's subject; a page of
    /// another contact center is refused).
    #[arg(
        id = "voice_call_center",
        long = "voice-call-center",
        value_name = "NAME"
    )]
    pub call_center: Option<String>,
    /// The Telephony Integration API's base URL (`https://MyDomain.my.salesforce-scrt.com`);
    /// without it no VoiceCall record is written.
    #[arg(id = "voice_scrt_url", long = "voice-scrt-url", value_name = "URL")]
    pub scrt_url: Option<String>,
    /// The private key (PEM) signing the API's tokens; never leaves the server.
    #[arg(id = "voice_key", long = "voice-key", value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// The certificate (PEM) whose public key the contact center holds
    /// (`reqTelephonyIntegrationCertificate`).
    #[arg(
        id = "voice_certificate",
        long = "voice-certificate",
        value_name = "FILE"
    )]
    pub certificate: Option<PathBuf>,
    /// The number Neotel's calls are said to be made to in their VoiceCall (`to`): the
    /// contact center's public number.
    #[arg(
        id = "voice_contact_center_number",
        long = "voice-contact-center-number",
        value_name = "NUMBER"
    )]
    pub contact_center_number: Option<String>,
    /// The `Telephony-Provider-Name` the API is told.
    #[arg(
        id = "voice_provider_name",
        long = "voice-provider-name",
        value_name = "NAME"
    )]
    pub provider_name: Option<String>,
    /// Whether the contact center allows after-call work (`isACWAllowed`).
    #[arg(
        id = "voice_after_call_work",
        long = "voice-after-call-work",
        value_name = "BOOL",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub after_call_work: Option<bool>,
    /// The Omni-Channel presence status (its id) meaning available for Neotel's calls.
    #[arg(
        id = "voice_available_status",
        long = "voice-available-status",
        value_name = "ID"
    )]
    pub available_status: Option<String>,
    /// The Omni-Channel presence status (its id) of an agent in no Neotel campaign.
    #[arg(
        id = "voice_no_campaign_status",
        long = "voice-no-campaign-status",
        value_name = "ID"
    )]
    pub no_campaign_status: Option<String>,
    /// The namespace of the package's Custom Labels for refusals (default `c`: the package
    /// as shipped has none).
    #[arg(
        id = "voice_label_namespace",
        long = "voice-label-namespace",
        value_name = "NS"
    )]
    pub label_namespace: Option<String>,
    /// Neotel break subtype → Omni-Channel presence status id (file only).
    #[arg(skip)]
    pub break_statuses: BTreeMap<String, String>,
}

/// `[lists]`: each list is `{ static = [...] }` or `{ task = N, params = [...] }`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ListKeys {
    /// Break states (`Pause` subtypes).
    pub breaks: Option<ListKey>,
    /// Campaigns the agent may join.
    pub campaigns: Option<ListKey>,
    /// Queues (transfer targets).
    pub queues: Option<ListKey>,
    /// Users (transfer, conference and monitoring targets).
    pub users: Option<ListKey>,
    /// A campaign's transfer phones.
    pub transfer_phones: Option<ListKey>,
    /// A CRM's categories and subcategories.
    pub categories: Option<ListKey>,
}

/// One list as written: items, or a task and its parameters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ListKey {
    /// The items, each with a numeric `id` and a `name`.
    #[serde(rename = "static")]
    pub items: Option<Vec<serde_json::Value>>,
    /// The `ExecuteTaskNN` id.
    pub task: Option<u32>,
    /// Its parameters.
    pub params: Vec<String>,
}

/// `[tasks]`: the per-install tasks behind monitoring, text messages and the contact search.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TaskKeys {
    /// Start monitoring (supervisor, monitored user, mode).
    pub monitor_start: Option<TaskCall>,
    /// Stop monitoring (supervisor).
    pub monitor_stop: Option<TaskCall>,
    /// Send an SMS or WhatsApp message (user, phone, channel, text).
    pub send_text: Option<TaskCall>,
    /// Find a Neotel contact by CRM id and key.
    pub find_contact: Option<TaskCall>,
    /// A contact's last outcome by base and contact id: how a release whose answer was lost
    /// is checked before it is sent again.
    pub contact_outcome: Option<TaskCall>,
}

/// A list from the file or the flags, or one comma-separated text from the environment.
fn comma_list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Items {
        Text(String),
        List(Vec<String>),
    }
    Ok(Some(match Items::deserialize(d)? {
        Items::Text(text) => text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        Items::List(list) => list,
    }))
}

/// Defaults; the task ids match the simulator's default scenario.
pub mod defaults {
    /// `listen`.
    pub const LISTEN: &str = "127.0.0.1:8080";
    /// `demo.standin_listen`.
    pub const STANDIN_LISTEN: &str = "127.0.0.1:8081";
    /// `demo.surface`.
    pub const DEMO_SURFACE: &str = "opencti";
    /// `neoapi.binding`.
    pub const NEOAPI_BINDING: &str = "form";
    /// `neoapi.path`.
    pub const NEOAPI_PATH: &str = "/neoapi/webservice.asmx";
    /// `neoapi.timeout_ms`.
    pub const NEOAPI_TIMEOUT_MS: u64 = 5_000;
    /// `poll_interval_ms`.
    pub const POLL_INTERVAL_MS: u64 = 1_000;
    /// `session.idle_timeout_secs`.
    pub const IDLE_TIMEOUT_SECS: u64 = 300;
    /// `session.token_ttl_secs`.
    pub const TOKEN_TTL_SECS: u64 = 12 * 3600;
    /// `security.login_attempts_per_minute`.
    pub const LOGIN_ATTEMPTS_PER_MINUTE: u32 = 5;
    /// `security.max_message_bytes`.
    pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
    /// `security.login_failures_per_address_per_minute`: a shift of agents behind one office
    /// address mistyping now and then stays well under it; a password spray does not.
    pub const LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE: u32 = 60;
    /// `security.login_failures_per_account_per_hour`: OWASP ASVS 2.2.1's most.
    pub const LOGIN_FAILURES_PER_ACCOUNT_PER_HOUR: u32 = 100;
    /// `security.client_address_header`: what nginx's `$proxy_add_x_forwarded_for` sets.
    pub const CLIENT_ADDRESS_HEADER: &str = "x-forwarded-for";
    /// `limits.login_deadline_secs`.
    pub const LOGIN_DEADLINE_SECS: u64 = 30;
    /// `limits.header_read_timeout_secs`.
    pub const HEADER_READ_TIMEOUT_SECS: u64 = 10;
    /// `limits.body_timeout_secs`.
    pub const BODY_TIMEOUT_SECS: u64 = 10;
    /// `limits.max_connections`.
    pub const MAX_CONNECTIONS: usize = 10_000;
    /// `limits.max_connections_per_address`: an office of hundreds of agents behind one
    /// address, a few tabs each, fits.
    pub const MAX_CONNECTIONS_PER_ADDRESS: usize = 1_000;
    /// `limits.commands_per_second`: faster than any agent clicks or types digits.
    pub const COMMANDS_PER_SECOND: u32 = 10;
    /// `limits.command_burst`.
    pub const COMMAND_BURST: u32 = 40;
    /// `neotel.timezone`.
    pub const TIMEZONE: &str = "America/Argentina/Buenos_Aires";
    /// The `ExecuteTask` that answers every list, by list name (the simulator's mapping).
    pub const LIST_TASK: u32 = 1;
    /// `store.lease_ms`.
    pub const STORE_LEASE_MS: u64 = 5_000;
    /// `max_agents`.
    pub const MAX_AGENTS: u32 = 2_000;
    /// `data_dir`: relative, so under the directory the server is started from (the Debian
    /// package's configuration sets `/var/lib/cti-server`).
    pub const DATA_DIR: &str = "data";
}
