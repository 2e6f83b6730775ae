//! Configuration: a TOML file, `CTI_…` environment variables and command-line flags,
//! merged in that order (flags > env > file > defaults), then validated into [`Config`].
//!
//! Every key is listed in [`KEYS`]; its environment variable is `CTI_` followed by the key in
//! upper case with dots turned into underscores (`neoapi.timeout_ms` → `CTI_NEOAPI_TIMEOUT_MS`).
//! Errors name the key (and where the bad value came from), and validation reports every
//! problem at once.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// Every scalar or list key the server reads, by its dotted path.
///
/// Tables (`lists.*`, `tasks.*`, `callcenter.options`) are file-only; everything here can also
/// come from the environment.
pub const KEYS: &[&str] = &[
    "neoapi.url",
    "neoapi.binding",
    "neoapi.path",
    "neoapi.timeout_ms",
    "listen",
    "public_url",
    "poll_interval_ms",
    "allowed_origins",
    "tls.cert",
    "tls.key",
    "session.idle_timeout_secs",
    "session.token_ttl_secs",
    "security.login_attempts_per_minute",
    "security.max_message_bytes",
    "neotel.timezone",
    "callcenter.file",
    "demo.standin_listen",
    "max_agents",
    "data_dir",
];

/// The environment variable that sets `key`.
#[must_use]
pub fn env_name(key: &str) -> String {
    format!("CTI_{}", key.to_ascii_uppercase().replace('.', "_"))
}

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

pub use neotel_api::Binding;

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
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
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

/// The per-install tasks behind monitoring, text messages and the click-to-dial contact search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tasks {
    /// Start monitoring (supervisor, monitored user, mode).
    pub monitor_start: TaskCall,
    /// Stop monitoring (supervisor).
    pub monitor_stop: TaskCall,
    /// Send an SMS or WhatsApp message (user, phone, channel, text).
    pub send_text: TaskCall,
    /// Find a Neotel contact by CRM id and key.
    pub find_contact: TaskCall,
}

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
    /// How often `Position` is polled.
    pub poll_interval: Duration,
    /// Origins allowed to frame the pages and open the WebSocket, besides the server's own.
    pub allowed_origins: Vec<String>,
    /// HTTPS on the main listener.
    pub tls: Option<TlsConfig>,
    /// A session with no browser connection for this long ends (NeoApi `Logout`).
    pub idle_timeout: Duration,
    /// A session token dies after this long without use.
    pub token_ttl: Duration,
    /// Login attempts allowed per minute, per user and per client address.
    pub login_attempts_per_minute: u32,
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
}

impl Config {
    /// True when no NeoApi is configured: the server runs the simulator and the stand-in.
    #[must_use]
    pub fn demo(&self) -> bool {
        self.neoapi.is_none()
    }

    /// The defaults alone (demo mode on loopback); what tests start from.
    #[must_use]
    pub fn defaults() -> Self {
        load(&Sources::default()).expect("the defaults are valid")
    }
}

/// The raw inputs of [`load`]: a file, environment variables and flags.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    /// `--config FILE`.
    pub file: Option<PathBuf>,
    /// The environment (only `CTI_…` variables are read).
    pub env: Vec<(String, String)>,
    /// Values from command-line flags, by key (`neoapi.url` → `https://…`).
    pub flags: Vec<(String, String)>,
}

impl Sources {
    /// The process's environment.
    #[must_use]
    pub fn from_process_env(file: Option<PathBuf>, flags: Vec<(String, String)>) -> Self {
        let env = std::env::vars()
            .filter(|(k, _)| k.starts_with("CTI_"))
            .collect();
        Self { file, env, flags }
    }
}

/// Loads and validates the configuration (flags > env > file > defaults).
///
/// # Errors
/// The file cannot be read or parsed, or any key is invalid: every problem is reported.
pub fn load(sources: &Sources) -> Result<Config, ConfigError> {
    let mut origin: BTreeMap<String, String> = BTreeMap::new();
    let mut merged = toml::Table::new();
    if let Some(path) = &sources.file {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        let table: toml::Table = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.clone(),
            message: e.to_string(),
        })?;
        // Types and unknown keys are checked on the file alone, so toml's message names the line.
        RawConfig::deserialize(toml::Value::Table(table.clone())).map_err(|e| {
            ConfigError::Parse {
                path: path.clone(),
                message: e.to_string(),
            }
        })?;
        for key in KEYS {
            if lookup(&table, key).is_some() {
                origin.insert((*key).to_owned(), format!("file {}", path.display()));
            }
        }
        merged = table;
    }
    let mut problems = Vec::new();
    let env: BTreeMap<&str, &str> = sources
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    for key in KEYS {
        if let Some(value) = env.get(env_name(key).as_str()) {
            overlay(
                &mut merged,
                key,
                value,
                &env_name(key),
                &mut origin,
                &mut problems,
            );
        }
    }
    for (key, value) in &sources.flags {
        let flag = format!("--{}", key.replace(['.', '_'], "-"));
        if !KEYS.contains(&key.as_str()) {
            problems.push(Problem {
                key: key.clone(),
                source: flag,
                message: "unknown key".into(),
            });
            continue;
        }
        overlay(&mut merged, key, value, &flag, &mut origin, &mut problems);
    }
    if !problems.is_empty() {
        return Err(ConfigError::Invalid(problems));
    }
    let raw = RawConfig::deserialize(toml::Value::Table(merged)).map_err(|e| {
        ConfigError::Invalid(vec![Problem {
            key: "?".into(),
            source: "merged configuration".into(),
            message: e.to_string(),
        }])
    })?;
    raw.validate(&origin)
}

/// Sets one key from a text value (env or flag), checking its type alone so the error names it.
fn overlay(
    merged: &mut toml::Table,
    key: &str,
    text: &str,
    source: &str,
    origin: &mut BTreeMap<String, String>,
    problems: &mut Vec<Problem>,
) {
    let value = scalar_from_text(key, text);
    let mut single = toml::Table::new();
    insert(&mut single, key, value.clone());
    if let Err(e) = RawConfig::deserialize(toml::Value::Table(single)) {
        problems.push(Problem {
            key: key.to_owned(),
            source: source.to_owned(),
            message: e.to_string(),
        });
        return;
    }
    insert(merged, key, value);
    origin.insert(key.to_owned(), source.to_owned());
}

/// Env and flag values are text: lists are comma-separated, numbers are parsed when they look
/// like numbers (the type check then names the key if they don't).
fn scalar_from_text(key: &str, text: &str) -> toml::Value {
    if key == "allowed_origins" {
        let items = text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| toml::Value::String(s.to_owned()))
            .collect();
        return toml::Value::Array(items);
    }
    let numeric = key.ends_with("_ms")
        || key.ends_with("_secs")
        || key.ends_with("_bytes")
        || key.ends_with("_per_minute")
        || key == "max_agents";
    if numeric && let Ok(n) = text.trim().parse::<i64>() {
        return toml::Value::Integer(n);
    }
    toml::Value::String(text.to_owned())
}

fn insert(table: &mut toml::Table, key: &str, value: toml::Value) {
    let mut parts = key.split('.').peekable();
    let mut current = table;
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            current.insert(part.to_owned(), value);
            return;
        }
        let entry = current
            .entry(part.to_owned())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        current = entry.as_table_mut().expect("just made a table");
    }
}

fn lookup<'a>(table: &'a toml::Table, key: &str) -> Option<&'a toml::Value> {
    let mut parts = key.split('.');
    let mut value = table.get(parts.next()?)?;
    for part in parts {
        value = value.as_table()?.get(part)?;
    }
    Some(value)
}

// ---------------------------------------------------------------------------------------------
// The raw shape of the file: every key optional, unknown keys refused.

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    neoapi: RawNeoApi,
    listen: Option<String>,
    public_url: Option<String>,
    poll_interval_ms: Option<u64>,
    allowed_origins: Option<Vec<String>>,
    tls: Option<RawTls>,
    #[serde(default)]
    session: RawSession,
    #[serde(default)]
    security: RawSecurity,
    #[serde(default)]
    neotel: RawNeotel,
    #[serde(default)]
    lists: RawLists,
    #[serde(default)]
    tasks: RawTasks,
    #[serde(default)]
    callcenter: RawCallCenter,
    #[serde(default)]
    demo: RawDemo,
    max_agents: Option<u32>,
    data_dir: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNeoApi {
    url: Option<String>,
    binding: Option<String>,
    path: Option<String>,
    timeout_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTls {
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSession {
    idle_timeout_secs: Option<u64>,
    token_ttl_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSecurity {
    login_attempts_per_minute: Option<u32>,
    max_message_bytes: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNeotel {
    timezone: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLists {
    breaks: Option<RawList>,
    campaigns: Option<RawList>,
    queues: Option<RawList>,
    users: Option<RawList>,
    transfer_phones: Option<RawList>,
    categories: Option<RawList>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawList {
    #[serde(rename = "static")]
    items: Option<Vec<toml::Value>>,
    task: Option<u32>,
    #[serde(default)]
    params: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTasks {
    monitor_start: Option<TaskCall>,
    monitor_stop: Option<TaskCall>,
    send_text: Option<TaskCall>,
    find_contact: Option<TaskCall>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCallCenter {
    file: Option<PathBuf>,
    #[serde(default)]
    options: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDemo {
    standin_listen: Option<String>,
}

/// Defaults; the task ids match the simulator's default scenario.
pub mod defaults {
    /// `listen`.
    pub const LISTEN: &str = "127.0.0.1:8080";
    /// `demo.standin_listen`.
    pub const STANDIN_LISTEN: &str = "127.0.0.1:8081";
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
    /// `neotel.timezone`.
    pub const TIMEZONE: &str = "America/Argentina/Buenos_Aires";
    /// The `ExecuteTask` that answers every list, by list name (the simulator's mapping).
    pub const LIST_TASK: u32 = 1;
    /// `tasks.monitor_start`.
    pub const MONITOR_START_TASK: u32 = 2;
    /// `tasks.monitor_stop`.
    pub const MONITOR_STOP_TASK: u32 = 3;
    /// `tasks.send_text`.
    pub const SEND_TEXT_TASK: u32 = 5;
    /// `tasks.find_contact`.
    pub const FIND_CONTACT_TASK: u32 = 6;
    /// `max_agents`.
    pub const MAX_AGENTS: u32 = 2_000;
    /// `data_dir`: relative, so under the directory the server is started from (the Debian
    /// package's configuration sets `/var/lib/cti-server`).
    pub const DATA_DIR: &str = "data";
}

impl RawConfig {
    fn validate(self, origin: &BTreeMap<String, String>) -> Result<Config, ConfigError> {
        let mut problems = Vec::new();
        let mut bad = |key: &str, message: String| {
            problems.push(Problem {
                key: key.to_owned(),
                source: origin
                    .get(key)
                    .cloned()
                    .unwrap_or_else(|| "file".to_owned()),
                message,
            });
        };

        let neoapi = match self.neoapi.url {
            None => {
                for (key, set) in [
                    ("neoapi.binding", self.neoapi.binding.is_some()),
                    ("neoapi.path", self.neoapi.path.is_some()),
                    ("neoapi.timeout_ms", self.neoapi.timeout_ms.is_some()),
                ] {
                    if set {
                        tracing::warn!(key, "ignored: neoapi.url is not set (demo mode)");
                    }
                }
                None
            }
            Some(url) => {
                if let Err(m) = check_http_url(&url, false) {
                    bad("neoapi.url", m);
                }
                let binding = match self.neoapi.binding.as_deref().unwrap_or("form") {
                    "form" => Binding::Form,
                    "get" => Binding::Get,
                    "soap" => Binding::Soap,
                    other => {
                        bad(
                            "neoapi.binding",
                            format!("`{other}` is not one of form, get, soap"),
                        );
                        Binding::Form
                    }
                };
                let path = self
                    .neoapi
                    .path
                    .unwrap_or_else(|| defaults::NEOAPI_PATH.to_owned());
                if !path.starts_with('/') {
                    bad("neoapi.path", format!("`{path}` must start with `/`"));
                }
                let timeout_ms = self
                    .neoapi
                    .timeout_ms
                    .unwrap_or(defaults::NEOAPI_TIMEOUT_MS);
                if timeout_ms == 0 {
                    bad("neoapi.timeout_ms", "must be greater than 0".into());
                }
                Some(NeoApiConfig {
                    url: url.trim_end_matches('/').to_owned(),
                    binding,
                    path,
                    timeout: Duration::from_millis(timeout_ms),
                })
            }
        };

        let listen = parse_addr(
            "listen",
            self.listen.as_deref().unwrap_or(defaults::LISTEN),
            &mut bad,
        );
        let standin_listen = parse_addr(
            "demo.standin_listen",
            self.demo
                .standin_listen
                .as_deref()
                .unwrap_or(defaults::STANDIN_LISTEN),
            &mut bad,
        );
        let public_url = self.public_url.map(|u| u.trim_end_matches('/').to_owned());
        if let Some(url) = &public_url
            && let Err(m) = check_http_url(url, true)
        {
            bad("public_url", m);
        }
        let poll_ms = self.poll_interval_ms.unwrap_or(defaults::POLL_INTERVAL_MS);
        if !(100..=60_000).contains(&poll_ms) {
            bad(
                "poll_interval_ms",
                format!("{poll_ms} is outside 100..=60000"),
            );
        }
        let allowed_origins = self.allowed_origins.unwrap_or_default();
        for o in &allowed_origins {
            if let Err(m) = check_http_url(o, true) {
                bad("allowed_origins", format!("`{o}`: {m}"));
            }
        }
        let tls = match self.tls {
            None => None,
            Some(RawTls {
                cert: Some(cert),
                key: Some(key),
            }) => {
                for (k, p) in [("tls.cert", &cert), ("tls.key", &key)] {
                    if !Path::new(p).is_file() {
                        bad(k, format!("{} is not a readable file", p.display()));
                    }
                }
                Some(TlsConfig { cert, key })
            }
            Some(RawTls { cert, .. }) => {
                let missing = if cert.is_none() {
                    "tls.cert"
                } else {
                    "tls.key"
                };
                bad(missing, "tls.cert and tls.key go together".into());
                None
            }
        };
        let idle = self
            .session
            .idle_timeout_secs
            .unwrap_or(defaults::IDLE_TIMEOUT_SECS);
        if idle == 0 {
            bad("session.idle_timeout_secs", "must be greater than 0".into());
        }
        let ttl = self
            .session
            .token_ttl_secs
            .unwrap_or(defaults::TOKEN_TTL_SECS);
        if ttl < 60 {
            bad("session.token_ttl_secs", "must be at least 60".into());
        }
        let attempts = self
            .security
            .login_attempts_per_minute
            .unwrap_or(defaults::LOGIN_ATTEMPTS_PER_MINUTE);
        if attempts == 0 {
            bad(
                "security.login_attempts_per_minute",
                "must be greater than 0".into(),
            );
        }
        let max_message_bytes = self
            .security
            .max_message_bytes
            .unwrap_or(defaults::MAX_MESSAGE_BYTES);
        if !(1024..=16 * 1024 * 1024).contains(&max_message_bytes) {
            bad(
                "security.max_message_bytes",
                format!("{max_message_bytes} is outside 1024..=16777216"),
            );
        }
        let tz_name = self
            .neotel
            .timezone
            .unwrap_or_else(|| defaults::TIMEZONE.to_owned());
        let timezone = tz_name.parse::<chrono_tz::Tz>().unwrap_or_else(|_| {
            bad(
                "neotel.timezone",
                format!("`{tz_name}` is not an IANA time zone name"),
            );
            chrono_tz::UTC
        });

        let mut list = |name: &str, raw: Option<RawList>| -> ListSource {
            let key = format!("lists.{name}");
            match raw {
                None => ListSource::Task(TaskCall {
                    task: defaults::LIST_TASK,
                    params: default_list_params(name),
                }),
                Some(RawList {
                    items: Some(items),
                    task: None,
                    params,
                }) if params.is_empty() => {
                    let items = items
                        .into_iter()
                        .filter_map(|v| match serde_json::to_value(&v) {
                            Ok(j) => Some(j),
                            Err(e) => {
                                bad(&key, format!("item not representable: {e}"));
                                None
                            }
                        })
                        .collect();
                    ListSource::Static(items)
                }
                Some(RawList {
                    items: None,
                    task: Some(task),
                    params,
                }) => ListSource::Task(TaskCall { task, params }),
                Some(_) => {
                    bad(
                        &key,
                        "write either `{ static = [...] }` or `{ task = N, params = [...] }`"
                            .into(),
                    );
                    ListSource::Static(Vec::new())
                }
            }
        };
        let lists = Lists {
            breaks: list("breaks", self.lists.breaks),
            campaigns: list("campaigns", self.lists.campaigns),
            queues: list("queues", self.lists.queues),
            users: list("users", self.lists.users),
            transfer_phones: list("transfer_phones", self.lists.transfer_phones),
            categories: list("categories", self.lists.categories),
        };
        let task = |raw: Option<TaskCall>, id: u32, params: &[&str]| {
            raw.unwrap_or_else(|| TaskCall {
                task: id,
                params: params.iter().map(|s| (*s).to_owned()).collect(),
            })
        };
        let tasks = Tasks {
            monitor_start: task(
                self.tasks.monitor_start,
                defaults::MONITOR_START_TASK,
                &["supervisor", "user", "mode"],
            ),
            monitor_stop: task(
                self.tasks.monitor_stop,
                defaults::MONITOR_STOP_TASK,
                &["supervisor"],
            ),
            send_text: task(
                self.tasks.send_text,
                defaults::SEND_TEXT_TASK,
                &["user", "phone", "channel", "text"],
            ),
            find_contact: task(
                self.tasks.find_contact,
                defaults::FIND_CONTACT_TASK,
                &["crm", "key"],
            ),
        };
        for (name, t) in [
            ("tasks.monitor_start", &tasks.monitor_start),
            ("tasks.monitor_stop", &tasks.monitor_stop),
            ("tasks.send_text", &tasks.send_text),
            ("tasks.find_contact", &tasks.find_contact),
        ] {
            if t.params.len() > 20 {
                bad(name, "ExecuteTask takes at most 20 parameters".into());
            }
        }

        let mut options = BTreeMap::new();
        for (name, value) in self.callcenter.options {
            let text = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                other => {
                    bad(
                        &format!("callcenter.options.{name}"),
                        format!(
                            "expected a string, number or boolean, got {}",
                            other.type_str()
                        ),
                    );
                    continue;
                }
            };
            options.insert(name, text);
        }
        if let Some(file) = &self.callcenter.file
            && !file.is_file()
        {
            bad(
                "callcenter.file",
                format!("{} is not a readable file", file.display()),
            );
        }
        let callcenter = CallCenterFallback {
            file: self.callcenter.file,
            options,
        };
        let max_agents = self.max_agents.unwrap_or(defaults::MAX_AGENTS);
        if max_agents == 0 {
            bad("max_agents", "must be greater than 0".into());
        }
        let data_dir = self
            .data_dir
            .unwrap_or_else(|| PathBuf::from(defaults::DATA_DIR));
        if data_dir.as_os_str().is_empty() {
            bad("data_dir", "must not be empty".into());
        }

        if !problems.is_empty() {
            return Err(ConfigError::Invalid(problems));
        }
        Ok(Config {
            neoapi,
            listen,
            public_url,
            poll_interval: Duration::from_millis(poll_ms),
            allowed_origins: allowed_origins
                .into_iter()
                .map(|o| o.trim_end_matches('/').to_owned())
                .collect(),
            tls,
            idle_timeout: Duration::from_secs(idle),
            token_ttl: Duration::from_secs(ttl),
            login_attempts_per_minute: attempts,
            max_message_bytes,
            timezone,
            lists,
            tasks,
            callcenter,
            standin_listen,
            max_agents,
            data_dir,
        })
    }
}

/// The simulator's list task takes the list's name first (`transferPhones` for transfer phones);
/// lists scoped to a campaign or CRM take its id next (filled in by the session).
fn default_list_params(name: &str) -> Vec<String> {
    match name {
        "transfer_phones" => vec!["transferPhones".to_owned(), "campaign".to_owned()],
        "categories" => vec!["categories".to_owned(), "crm".to_owned()],
        other => vec![other.to_owned()],
    }
}

fn parse_addr(key: &str, text: &str, bad: &mut impl FnMut(&str, String)) -> SocketAddr {
    text.parse().unwrap_or_else(|_| {
        bad(
            key,
            format!("`{text}` is not an address like 127.0.0.1:8080"),
        );
        SocketAddr::from(([127, 0, 0, 1], 0))
    })
}

/// An `http(s)://host[:port]` URL; `origin_only` refuses a path.
fn check_http_url(url: &str, origin_only: bool) -> Result<(), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("`{url}` must start with http:// or https://"))?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || host.contains(['?', '#', ' ', '@']) {
        return Err(format!("`{url}` has no valid host"));
    }
    if origin_only && rest.trim_end_matches('/').contains('/') {
        return Err(format!("`{url}` must be an origin (no path)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempdir::Dir, PathBuf) {
        let dir = tempdir::Dir::new();
        let path = dir.0.join("c.toml");
        std::fs::write(&path, text).expect("temp file is writable");
        (dir, path)
    }

    /// A throwaway directory under the target dir, removed on drop.
    mod tempdir {
        pub(super) struct Dir(pub(super) std::path::PathBuf);
        impl Dir {
            pub(super) fn new() -> Self {
                use std::sync::atomic::{AtomicU32, Ordering};
                static N: AtomicU32 = AtomicU32::new(0);
                let p = std::env::temp_dir().join(format!(
                    "cti-config-{}-{}",
                    std::process::id(),
                    N.fetch_add(1, Ordering::Relaxed)
                ));
                std::fs::create_dir_all(&p).expect("temp dir");
                Self(p)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    #[test]
    fn defaults_are_demo_mode_on_loopback() {
        let c = Config::defaults();
        assert!(c.demo());
        assert_eq!(c.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(c.standin_listen, "127.0.0.1:8081".parse().unwrap());
        assert_eq!(c.poll_interval, Duration::from_secs(1));
        assert_eq!(c.max_message_bytes, 65536);
        assert_eq!(c.timezone, chrono_tz::America::Argentina::Buenos_Aires);
        assert_eq!(
            c.lists.breaks,
            ListSource::Task(TaskCall {
                task: 1,
                params: vec!["breaks".into()]
            })
        );
    }

    #[test]
    fn flags_beat_env_beat_file() {
        let (_d, path) = write(
            "listen = \"127.0.0.1:1000\"\npoll_interval_ms = 500\n[neoapi]\nurl = \"http://file\"\ntimeout_ms = 100\n",
        );
        let sources = Sources {
            file: Some(path),
            env: vec![
                ("CTI_LISTEN".into(), "127.0.0.1:2000".into()),
                ("CTI_NEOAPI_TIMEOUT_MS".into(), "200".into()),
                ("UNRELATED".into(), "x".into()),
            ],
            flags: vec![("listen".into(), "127.0.0.1:3000".into())],
        };
        let c = load(&sources).unwrap();
        assert_eq!(c.listen, "127.0.0.1:3000".parse().unwrap());
        let neo = c.neoapi.unwrap();
        assert_eq!(neo.url, "http://file");
        assert_eq!(neo.timeout, Duration::from_millis(200));
        assert_eq!(c.poll_interval, Duration::from_millis(500));
    }

    #[test]
    fn every_problem_is_reported_with_its_key_and_source() {
        let (_d, path) = write(
            "[neoapi]\nurl = \"ftp://x\"\nbinding = \"rest\"\n[neotel]\ntimezone = \"Mars/Base\"\n",
        );
        let sources = Sources {
            file: Some(path),
            env: vec![("CTI_POLL_INTERVAL_MS".into(), "5".into())],
            flags: vec![],
        };
        let err = load(&sources).unwrap_err();
        let ConfigError::Invalid(problems) = &err else {
            panic!("expected Invalid, got {err}");
        };
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "neoapi.url",
                "neoapi.binding",
                "poll_interval_ms",
                "neotel.timezone"
            ]
        );
        assert!(problems[2].source.contains("CTI_POLL_INTERVAL_MS"));
        assert!(err.to_string().contains("Mars/Base"));
    }

    #[test]
    fn a_mistyped_env_value_names_its_variable() {
        let sources = Sources {
            env: vec![("CTI_NEOAPI_TIMEOUT_MS".into(), "soon".into())],
            ..Sources::default()
        };
        let ConfigError::Invalid(problems) = load(&sources).unwrap_err() else {
            panic!("expected Invalid");
        };
        assert_eq!(problems[0].key, "neoapi.timeout_ms");
        assert_eq!(problems[0].source, "CTI_NEOAPI_TIMEOUT_MS");
    }

    #[test]
    fn unknown_file_keys_are_refused_with_the_line() {
        let (_d, path) = write("[neoapi]\nurll = \"http://x\"\n");
        let err = load(&Sources {
            file: Some(path),
            ..Sources::default()
        })
        .unwrap_err();
        assert!(matches!(err, ConfigError::Parse { .. }), "{err}");
        assert!(err.to_string().contains("urll"), "{err}");
    }

    #[test]
    fn lists_are_static_or_a_task() {
        let (_d, path) = write(
            "[lists]\nbreaks = { static = [{ id = 1, name = \"Baño\" }] }\nqueues = { task = 9, params = [\"queues\"] }\nusers = { static = [], task = 3 }\n",
        );
        let ConfigError::Invalid(problems) = load(&Sources {
            file: Some(path.clone()),
            ..Sources::default()
        })
        .unwrap_err() else {
            panic!("expected Invalid");
        };
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].key, "lists.users");

        std::fs::write(
            &path,
            "[lists]\nbreaks = { static = [{ id = 1, name = \"Baño\" }] }\nqueues = { task = 9, params = [\"queues\"] }\n",
        )
        .unwrap();
        let c = load(&Sources {
            file: Some(path),
            ..Sources::default()
        })
        .unwrap();
        assert_eq!(
            c.lists.breaks,
            ListSource::Static(vec![serde_json::json!({"id":1,"name":"Baño"})])
        );
        assert_eq!(
            c.lists.queues,
            ListSource::Task(TaskCall {
                task: 9,
                params: vec!["queues".into()]
            })
        );
    }

    #[test]
    fn max_agents_and_data_dir_come_from_env_and_flags() {
        let c = Config::defaults();
        assert_eq!(c.max_agents, 2000);
        assert_eq!(c.data_dir, PathBuf::from("data"));
        let c = load(&Sources {
            env: vec![("CTI_MAX_AGENTS".into(), "50".into())],
            flags: vec![("data_dir".into(), "/srv/cti".into())],
            ..Sources::default()
        })
        .unwrap();
        assert_eq!(c.max_agents, 50);
        assert_eq!(c.data_dir, PathBuf::from("/srv/cti"));
        let ConfigError::Invalid(problems) = load(&Sources {
            env: vec![("CTI_MAX_AGENTS".into(), "0".into())],
            ..Sources::default()
        })
        .unwrap_err() else {
            panic!("expected Invalid");
        };
        assert_eq!(problems[0].key, "max_agents");
        assert_eq!(problems[0].source, "CTI_MAX_AGENTS");
    }

    #[test]
    fn tls_needs_both_files() {
        let (_d, path) = write("[tls]\ncert = \"/nonexistent.pem\"\n");
        let err = load(&Sources {
            file: Some(path),
            ..Sources::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("tls.key"), "{err}");
    }

    #[test]
    fn the_example_file_is_valid_and_documents_every_key() {
        let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.toml"));
        let text = std::fs::read_to_string(&path).unwrap();
        for key in KEYS {
            let leaf = key.rsplit('.').next().unwrap();
            assert!(
                text.contains(leaf),
                "config.example.toml does not mention {key}"
            );
        }
        for table in [
            "lists",
            "tasks",
            "callcenter",
            "options",
            "monitor_start",
            "find_contact",
        ] {
            assert!(
                text.contains(table),
                "config.example.toml does not mention {table}"
            );
        }
        // Its active lines (comments off) must load: TLS files do not exist here, so drop them.
        let c = load(&Sources {
            file: Some(path),
            ..Sources::default()
        })
        .unwrap();
        assert!(c.demo());
    }
}
