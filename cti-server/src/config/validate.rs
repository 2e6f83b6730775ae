//! From the merged [`Keys`] to a [`Config`]: every value checked, defaults filled in, and every
//! problem reported at once, each naming its key and where its value came from.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::keys::{
    Keys, LimitsKeys, ListKey, MetricsKeys, NeoApiKeys, SecurityKeys, TlsKeys, VoiceKeys, defaults,
    defaults as d,
};
use super::model::{
    CallCenterFallback, ClientAddressHeader, Config, ConfigError, DemoSurface, Limits, ListSource,
    Lists, MetricsConfig, NeoApiConfig, Problem, ScrtSettings, TaskCall, Tasks, TlsConfig,
    TrustedProxies, VoiceSettings, choice,
};
use neotel_api::Binding;

/// The problems found so far, and where each key's value came from.
struct Checks<F> {
    problems: Vec<Problem>,
    source: F,
}

impl<F: Fn(&str) -> String> Checks<F> {
    fn bad(&mut self, key: &str, message: impl Into<String>) {
        let source = (self.source)(key);
        self.problems.push(Problem {
            key: key.to_owned(),
            source,
            message: message.into(),
        });
    }

    /// `value` (or `default`) when it is at least `min`.
    fn at_least<T: PartialOrd + Display + Copy>(
        &mut self,
        key: &str,
        value: Option<T>,
        default: T,
        min: T,
    ) -> T {
        let value = value.unwrap_or(default);
        if value < min {
            self.bad(key, format!("{value} is less than {min}"));
        }
        value
    }

    /// `value` (or `default`) when it is within `low..=high`.
    fn within<T: PartialOrd + Display + Copy>(
        &mut self,
        key: &str,
        value: Option<T>,
        default: T,
        (low, high): (T, T),
    ) -> T {
        let value = value.unwrap_or(default);
        if value < low || value > high {
            self.bad(key, format!("{value} is outside {low}..={high}"));
        }
        value
    }

    fn address(&mut self, key: &str, text: Option<String>, default: &str) -> SocketAddr {
        let text = text.unwrap_or_else(|| default.to_owned());
        text.parse().unwrap_or_else(|_| {
            self.bad(
                key,
                format!("`{text}` is not an address like 127.0.0.1:8080"),
            );
            SocketAddr::from(([127, 0, 0, 1], 0))
        })
    }

    fn readable(&mut self, key: &str, file: &Path) {
        if !file.is_file() {
            self.bad(key, format!("{} is not a readable file", file.display()));
        }
    }

    /// `[voice]`: the Telephony Integration API needs its URL, key, certificate, org and
    /// contact center together (the files are loaded and matched at start).
    fn voice(&mut self, keys: VoiceKeys) -> VoiceSettings {
        let text = |v: Option<String>| v.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        let organization_id = text(keys.organization_id);
        let call_center = text(keys.call_center);
        let scrt = match (text(keys.scrt_url), keys.key, keys.certificate) {
            (None, None, None) => None,
            (Some(url), Some(key), Some(certificate)) => {
                if let Err(m) = check_http_url(&url, false) {
                    self.bad("voice.scrt_url", m);
                }
                self.readable("voice.key", &key);
                self.readable("voice.certificate", &certificate);
                for (name, set) in [
                    ("voice.organization_id", organization_id.is_some()),
                    ("voice.call_center", call_center.is_some()),
                ] {
                    if !set {
                        self.bad(name, "needed with voice.scrt_url (the tokens name it)");
                    }
                }
                Some(ScrtSettings {
                    url: url.trim_end_matches('/').to_owned(),
                    key,
                    certificate,
                    provider_name: text(keys.provider_name).unwrap_or_else(|| "c".into()),
                })
            }
            _ => {
                self.bad(
                    "voice.scrt_url",
                    "voice.scrt_url, voice.key and voice.certificate go together",
                );
                None
            }
        };
        let mut break_statuses = Vec::new();
        for (subtype, status) in keys.break_statuses {
            match subtype.parse::<i64>() {
                Ok(b) if !status.trim().is_empty() => {
                    break_statuses.push((b, status.trim().to_owned()));
                }
                _ => self.bad(
                    "voice.break_statuses",
                    format!("`{subtype} = {status}`: a break subtype (a number) = a status id"),
                ),
            }
        }
        VoiceSettings {
            organization_id,
            call_center,
            scrt,
            contact_center_number: text(keys.contact_center_number),
            after_call_work: keys.after_call_work.unwrap_or(true),
            available_status: text(keys.available_status),
            no_campaign_status: text(keys.no_campaign_status),
            break_statuses,
            label_namespace: text(keys.label_namespace).unwrap_or_else(|| "c".into()),
        }
    }

    fn neoapi(&mut self, keys: NeoApiKeys) -> Option<NeoApiConfig> {
        let Some(url) = keys.url else {
            for (key, set) in [
                ("neoapi.binding", keys.binding.is_some()),
                ("neoapi.path", keys.path.is_some()),
                ("neoapi.timeout_ms", keys.timeout_ms.is_some()),
            ] {
                if set {
                    tracing::warn!(key, "ignored: neoapi.url is not set (demo mode)");
                }
            }
            return None;
        };
        if let Err(m) = check_http_url(&url, false) {
            self.bad("neoapi.url", m);
        }
        let binding = keys
            .binding
            .as_deref()
            .unwrap_or(defaults::NEOAPI_BINDING)
            .parse::<Binding>()
            .unwrap_or_else(|e| {
                self.bad("neoapi.binding", e.to_string());
                Binding::Form
            });
        let path = keys
            .path
            .unwrap_or_else(|| defaults::NEOAPI_PATH.to_owned());
        if !path.starts_with('/') {
            self.bad("neoapi.path", format!("`{path}` must start with `/`"));
        }
        let timeout_ms = self.at_least(
            "neoapi.timeout_ms",
            keys.timeout_ms,
            defaults::NEOAPI_TIMEOUT_MS,
            1,
        );
        Some(NeoApiConfig {
            url: url.trim_end_matches('/').to_owned(),
            binding,
            path,
            timeout: Duration::from_millis(timeout_ms),
        })
    }

    fn tls(&mut self, keys: Option<TlsKeys>) -> Option<TlsConfig> {
        match keys? {
            TlsKeys {
                cert: Some(cert),
                key: Some(key),
            } => {
                self.readable("tls.cert", &cert);
                self.readable("tls.key", &key);
                Some(TlsConfig { cert, key })
            }
            TlsKeys { cert, .. } => {
                let missing = if cert.is_none() {
                    "tls.cert"
                } else {
                    "tls.key"
                };
                self.bad(missing, "tls.cert and tls.key go together");
                None
            }
        }
    }

    /// Addresses and CIDR blocks (`10.0.0.5`, `10.0.0.0/8`, `::1`).
    fn networks(&mut self, key: &str, items: Option<Vec<String>>) -> Vec<ipnet::IpNet> {
        let mut out = Vec::new();
        for item in items.unwrap_or_default() {
            let parsed = item
                .parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from));
            match parsed {
                Ok(net) => out.push(net.trunc()),
                Err(_) => self.bad(
                    key,
                    format!("`{item}` is not an address or a CIDR block like 10.0.0.0/8"),
                ),
            }
        }
        out
    }

    fn trusted_proxies(&mut self, keys: &SecurityKeys) -> TrustedProxies {
        let networks = self.networks("security.trusted_proxies", keys.trusted_proxies.clone());
        let header = keys
            .client_address_header
            .as_deref()
            .unwrap_or(defaults::CLIENT_ADDRESS_HEADER);
        let header = match header.to_ascii_lowercase().as_str() {
            "x-forwarded-for" => ClientAddressHeader::XForwardedFor,
            "forwarded" => ClientAddressHeader::Forwarded,
            other => {
                self.bad(
                    "security.client_address_header",
                    format!("`{other}` is neither x-forwarded-for nor forwarded"),
                );
                ClientAddressHeader::XForwardedFor
            }
        };
        TrustedProxies { networks, header }
    }

    fn limits(&mut self, keys: LimitsKeys) -> Limits {
        let secs = |c: &mut Self, key: &str, value, default| {
            Duration::from_secs(c.within(key, value, default, (1, 3600)))
        };
        Limits {
            login_deadline: secs(
                self,
                "limits.login_deadline_secs",
                keys.login_deadline_secs,
                d::LOGIN_DEADLINE_SECS,
            ),
            header_read_timeout: secs(
                self,
                "limits.header_read_timeout_secs",
                keys.header_read_timeout_secs,
                d::HEADER_READ_TIMEOUT_SECS,
            ),
            body_timeout: secs(
                self,
                "limits.body_timeout_secs",
                keys.body_timeout_secs,
                d::BODY_TIMEOUT_SECS,
            ),
            max_connections: self.at_least(
                "limits.max_connections",
                keys.max_connections,
                d::MAX_CONNECTIONS,
                1,
            ),
            max_connections_per_address: self.at_least(
                "limits.max_connections_per_address",
                keys.max_connections_per_address,
                d::MAX_CONNECTIONS_PER_ADDRESS,
                1,
            ),
            commands_per_second: self.at_least(
                "limits.commands_per_second",
                keys.commands_per_second,
                d::COMMANDS_PER_SECOND,
                1,
            ),
            command_burst: self.at_least(
                "limits.command_burst",
                keys.command_burst,
                d::COMMAND_BURST,
                1,
            ),
        }
    }

    fn metrics(&mut self, keys: MetricsKeys) -> MetricsConfig {
        let listen = keys
            .listen
            .map(|text| self.address("metrics.listen", Some(text), defaults::LISTEN));
        let allowed_clients = self.networks("metrics.allowed_clients", keys.allowed_clients);
        MetricsConfig {
            listen,
            allowed_clients,
        }
    }

    /// `lists.NAME` as the file gives it; absent, the simulator's (the demo only).
    fn list(&mut self, name: &str, keys: Option<ListKey>, demo: bool) -> ListSource {
        let key = format!("lists.{name}");
        match keys {
            None => {
                if !demo {
                    let why = format!(
                        "required with neoapi.url: this install's `{{ task = N, params = [...] }}` \
                         or `{{ static = [...] }}` (task {} is the simulator's)",
                        defaults::LIST_TASK
                    );
                    self.bad(&key, why);
                }
                ListSource::Task(TaskCall {
                    task: defaults::LIST_TASK,
                    params: default_list_params(name),
                })
            }
            Some(ListKey {
                items: Some(items),
                task: None,
                params,
            }) if params.is_empty() => {
                for (n, item) in items.iter().enumerate() {
                    if let Err(why) = choice(item) {
                        self.bad(&key, format!("item {}: {why}", n + 1));
                    }
                }
                ListSource::Static(items)
            }
            Some(ListKey {
                items: None,
                task: Some(task),
                params,
            }) => ListSource::Task(TaskCall { task, params }),
            Some(_) => {
                self.bad(
                    &key,
                    "write either `{ static = [...] }` or `{ task = N, params = [...] }`",
                );
                ListSource::Static(Vec::new())
            }
        }
    }

    /// `tasks.NAME` as the file gives it; absent, the simulator's (the demo only).
    fn task(
        &mut self,
        name: &str,
        keys: Option<TaskCall>,
        simulator: cti_core::TaskCall,
        demo: bool,
    ) -> cti_core::TaskCall {
        if keys.is_none() && !demo {
            let why = format!(
                "required with neoapi.url: this install's `{{ task = N, params = [...] }}` \
                 (task {} is the simulator's)",
                simulator.id
            );
            self.bad(&format!("tasks.{name}"), why);
        }
        let task = keys.map_or(simulator, |k| cti_core::TaskCall {
            id: i64::from(k.task),
            params: k.params,
        });
        if task.params.len() > 20 {
            self.bad(
                &format!("tasks.{name}"),
                "ExecuteTask takes at most 20 parameters",
            );
        }
        task
    }

    fn options(
        &mut self,
        options: BTreeMap<String, serde_json::Value>,
    ) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (name, value) in options {
            let text = match value {
                serde_json::Value::String(s) => s,
                serde_json::Value::Bool(b) => b.to_string(),
                serde_json::Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
                other => {
                    let kind = match other {
                        serde_json::Value::Number(_) => "a float",
                        serde_json::Value::Array(_) => "a list",
                        _ => "a table",
                    };
                    self.bad(
                        &format!("callcenter.options.{name}"),
                        format!("expected a string, number or boolean, got {kind}"),
                    );
                    continue;
                }
            };
            out.insert(name, text);
        }
        out
    }
}

/// Checks every key of `keys`; `source` says where a key's value came from.
///
/// # Errors
/// Every invalid value, in the order of the keys.
pub(crate) fn validate(keys: Keys, source: impl Fn(&str) -> String) -> Result<Config, ConfigError> {
    let mut c = Checks {
        problems: Vec::new(),
        source,
    };
    // The budget holds for the demo's simulator too: it is read apart from `neoapi.url`.
    let max_requests = keys.neoapi.max_requests_per_sec;
    let neoapi_max_requests_per_sec =
        max_requests.map(|n| c.at_least("neoapi.max_requests_per_sec", Some(n), 1, 1));
    let neoapi = c.neoapi(keys.neoapi);
    let listen = c.address("listen", keys.listen, defaults::LISTEN);
    let standin_listen = c.address(
        "demo.standin_listen",
        keys.demo.standin_listen,
        defaults::STANDIN_LISTEN,
    );
    let public_url = keys.public_url.map(|u| u.trim_end_matches('/').to_owned());
    if let Some(url) = &public_url
        && let Err(m) = check_http_url(url, true)
    {
        c.bad("public_url", m);
    }
    let poll_ms = c.within(
        "poll_interval_ms",
        keys.poll_interval_ms,
        defaults::POLL_INTERVAL_MS,
        (100, 60_000),
    );
    let allowed_origins = keys.allowed_origins.unwrap_or_default();
    for o in &allowed_origins {
        if let Err(m) = check_http_url(o, true) {
            c.bad("allowed_origins", format!("`{o}`: {m}"));
        }
    }
    let tls = c.tls(keys.tls);
    let (session, security) = (keys.session, keys.security);
    let idle = session.idle_timeout_secs;
    let idle = c.at_least("session.idle_timeout_secs", idle, d::IDLE_TIMEOUT_SECS, 1);
    let ttl = session.token_ttl_secs;
    let ttl = c.at_least("session.token_ttl_secs", ttl, d::TOKEN_TTL_SECS, 60);
    let attempts = security.login_attempts_per_minute;
    let attempts = c.at_least(
        "security.login_attempts_per_minute",
        attempts,
        d::LOGIN_ATTEMPTS_PER_MINUTE,
        1,
    );
    let per_address = c.at_least(
        "security.login_failures_per_address_per_minute",
        security.login_failures_per_address_per_minute,
        d::LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE,
        1,
    );
    let per_account = c.within(
        "security.login_failures_per_account_per_hour",
        security.login_failures_per_account_per_hour,
        d::LOGIN_FAILURES_PER_ACCOUNT_PER_HOUR,
        (10, 1000),
    );
    let trusted_proxies = c.trusted_proxies(&security);
    let limits = c.limits(keys.limits);
    let metrics = c.metrics(keys.metrics);
    let bytes = security.max_message_bytes;
    let max_message_bytes = c.within(
        "security.max_message_bytes",
        bytes,
        d::MAX_MESSAGE_BYTES,
        (1024, 16 * 1024 * 1024),
    );
    let tz_name = keys
        .neotel
        .timezone
        .unwrap_or_else(|| defaults::TIMEZONE.to_owned());
    let timezone = tz_name.parse::<chrono_tz::Tz>().unwrap_or_else(|_| {
        c.bad(
            "neotel.timezone",
            format!("`{tz_name}` is not an IANA time zone name"),
        );
        chrono_tz::UTC
    });
    // Each install numbers its tasks: the simulator's numbers are for the demo alone.
    let demo = neoapi.is_none();
    let l = keys.lists;
    let lists = Lists {
        breaks: c.list("breaks", l.breaks, demo),
        campaigns: c.list("campaigns", l.campaigns, demo),
        queues: c.list("queues", l.queues, demo),
        users: c.list("users", l.users, demo),
        transfer_phones: c.list("transfer_phones", l.transfer_phones, demo),
        categories: c.list("categories", l.categories, demo),
    };
    let (t, s) = (keys.tasks, Tasks::simulator());
    let tasks = Tasks {
        monitor_start: c.task("monitor_start", t.monitor_start, s.monitor_start, demo),
        monitor_stop: c.task("monitor_stop", t.monitor_stop, s.monitor_stop, demo),
        send_text: c.task("send_text", t.send_text, s.send_text, demo),
        find_contact: c.task("find_contact", t.find_contact, s.find_contact, demo),
        contact_outcome: c.task(
            "contact_outcome",
            t.contact_outcome,
            s.contact_outcome,
            demo,
        ),
    };
    let options = c.options(keys.callcenter.options);
    if let Some(file) = &keys.callcenter.file {
        c.readable("callcenter.file", file);
    }
    let callcenter = CallCenterFallback {
        file: keys.callcenter.file,
        options,
    };
    let max_agents = c.at_least("max_agents", keys.max_agents, defaults::MAX_AGENTS, 1);
    let data_dir = keys
        .data_dir
        .unwrap_or_else(|| PathBuf::from(defaults::DATA_DIR));
    if data_dir.as_os_str().is_empty() {
        c.bad("data_dir", "must not be empty");
    }
    let store_url = keys.store.url.filter(|u| !u.trim().is_empty());
    if let Some(url) = &store_url
        && !["sqlite:", "postgres://", "postgresql://"]
            .iter()
            .any(|p| url.starts_with(p))
    {
        c.bad("store.url", "must start with sqlite: or postgres://");
    }
    let lease_ms = c.at_least(
        "store.lease_ms",
        keys.store.lease_ms,
        defaults::STORE_LEASE_MS,
        1_000,
    );
    let demo_sim_url = keys
        .demo
        .sim_url
        .map(|u| u.trim_end_matches('/').to_owned());
    if let Some(url) = &demo_sim_url
        && let Err(m) = check_http_url(url, false)
    {
        c.bad("demo.sim_url", m);
    }
    let demo_surface = keys
        .demo
        .surface
        .as_deref()
        .unwrap_or(defaults::DEMO_SURFACE)
        .parse::<DemoSurface>()
        .unwrap_or_else(|m| {
            c.bad("demo.surface", m);
            DemoSurface::OpenCti
        });
    let voice = c.voice(keys.voice);
    if !c.problems.is_empty() {
        return Err(ConfigError::Invalid(c.problems));
    }
    Ok(Config {
        neoapi,
        listen,
        public_url,
        poll_interval: Duration::from_millis(poll_ms),
        neoapi_max_requests_per_sec,
        allowed_origins: allowed_origins
            .into_iter()
            .map(|o| o.trim_end_matches('/').to_owned())
            .collect(),
        tls,
        idle_timeout: Duration::from_secs(idle),
        token_ttl: Duration::from_secs(ttl),
        login_attempts_per_minute: attempts,
        login_failures_per_address_per_minute: per_address,
        login_failures_per_account_per_hour: per_account,
        trusted_proxies,
        limits,
        metrics,
        max_message_bytes,
        timezone,
        lists,
        tasks,
        callcenter,
        standin_listen,
        max_agents,
        data_dir,
        store_url,
        store_lease: Duration::from_millis(lease_ms),
        logout_on_shutdown: session.logout_on_shutdown.unwrap_or(false),
        demo_sim_url,
        demo_surface,
        voice,
    })
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
