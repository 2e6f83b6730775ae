//! `cti-server doctor`: checks an install before an agent finds its problems.
//!
//! It reads the same configuration as the server (file, `CTI_…` environment, flags) and answers
//! one [`Check`] per line: `ok`, `warn`, `FAIL` (with what to do) or `skip` (an optional check
//! not asked for). Any `FAIL` makes the command exit with status 1.
//!
//! The checks: the configuration loads; `public_url` is https; the TLS certificate and key
//! load and match, name `public_url`'s host, are not self-signed and do not expire within 30
//! days; NeoApi answers its WSDL at the configured path, the WSDL's binding offers every
//! operation the connector calls, and a real `Position` call through that binding is answered
//! by NeoApi; optionally a `Login`/`Logout` with an agent's credentials; a call center file
//! checks clean and its adapter URL is `{public_url}/softphone/`; `allowed_origins` are an
//! org's Lightning and My Domain origins; the data directory is writable; the open-files limit
//! fits `max_agents`.
//!
//! The decisions are pure functions of what was read (unit-tested below); [`run`] does the I/O.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use neotel_api::{FaultKind, Password, Request};

use crate::config::{self, Binding, Config, ListSource, NeoApiConfig, Sources, TlsConfig};
use crate::tls::{self, LeafCertificate};

/// A certificate expiring sooner than this fails the check (time to renew it).
pub const CERT_MIN_DAYS_LEFT: i64 = 30;

/// File descriptors one agent may hold: its leader WebSocket, a second tab or reconnect in
/// progress, and up to two NeoApi connections in flight (a `Position` poll and a command).
pub const OPEN_FILES_PER_AGENT: u64 = 4;

/// File descriptors the server holds whatever the agents: listeners, the runtime's event
/// queues, logs, TLS files, the data directory, handshakes in progress.
pub const OPEN_FILES_RESERVE: u64 = 256;

/// The user the NeoApi probe asks `Position` for: no agent has this name, so a real NeoApi
/// answers its "not logged" fault, which proves the endpoint is NeoApi.
pub const PROBE_USER: &str = "cti-doctor-probe";

/// The environment variable `--login` reads the agent's password from (never a flag value,
/// so it stays out of shell history and process lists).
pub const PASSWORD_ENV: &str = "CTI_DOCTOR_PASSWORD";

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Fine.
    Ok,
    /// Works, but something deserves a look.
    Warn,
    /// Agents will hit this: the command exits with status 1.
    Fail,
    /// An optional check that was not asked for.
    Skip,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Warn => "warn",
            Self::Fail => "FAIL",
            Self::Skip => "skip",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What was checked, e.g. `tls expiry`.
    pub name: &'static str,
    /// How it went.
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// What to do about it (for `FAIL` and `warn`).
    pub fix: Option<String>,
}

impl Check {
    fn ok(name: &'static str, detail: impl Into<String>) -> Self {
        Self {
            name,
            status: Status::Ok,
            detail: detail.into(),
            fix: None,
        }
    }

    fn warn(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            name,
            status: Status::Warn,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    fn fail(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            name,
            status: Status::Fail,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    fn skip(name: &'static str, detail: impl Into<String>) -> Self {
        Self {
            name,
            status: Status::Skip,
            detail: detail.into(),
            fix: None,
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<4} {}: {}",
            self.status.label(),
            self.name,
            self.detail
        )?;
        if let Some(fix) = &self.fix {
            write!(f, " — fix: {fix}")?;
        }
        Ok(())
    }
}

/// Every check, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The checks.
    pub checks: Vec<Check>,
}

impl Report {
    /// Whether any check failed.
    #[must_use]
    pub fn failed(&self) -> bool {
        self.checks.iter().any(|c| c.status == Status::Fail)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for check in &self.checks {
            writeln!(f, "{check}")?;
        }
        let count = |s| self.checks.iter().filter(|c| c.status == s).count();
        write!(
            f,
            "{} ok, {} warn, {} failed",
            count(Status::Ok),
            count(Status::Warn),
            count(Status::Fail)
        )
    }
}

/// A test login: `Login` then `Logout` as a real agent.
#[derive(Debug, Clone)]
pub struct LoginProbe {
    /// `DEVICE`, e.g. `SIP/1001`.
    pub device: String,
    /// `USUARIO`.
    pub user: String,
    /// `CLAVE` (redacted in every print).
    pub password: Password,
}

/// What the doctor checks besides the configuration.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// A call center definition file to check (default: `callcenter.file`).
    pub callcenter: Option<PathBuf>,
    /// A test login, or why there cannot be one (no password given).
    pub login: Option<Result<LoginProbe, String>>,
}

/// The password for `--login`: [`PASSWORD_ENV`], else a prompt without echo on a terminal.
///
/// # Errors
/// Neither is available (no variable and no terminal), or the terminal cannot be read.
pub fn read_password(user: &str) -> Result<Password, String> {
    use std::io::IsTerminal as _;
    if let Ok(p) = std::env::var(PASSWORD_ENV) {
        return Ok(Password::new(p));
    }
    if !std::io::stdin().is_terminal() {
        return Err(format!(
            "no password: set {PASSWORD_ENV} or run the doctor from a terminal"
        ));
    }
    rpassword::prompt_password(format!("NeoApi password of {user}: "))
        .map(Password::new)
        .map_err(|e| format!("cannot read the password: {e}"))
}

/// Runs every check against the configuration `sources` give.
pub async fn run(sources: &Sources, options: &Options) -> Report {
    let mut checks = Vec::new();
    let config = match config::load(sources) {
        Ok(c) => c,
        Err(e) => {
            checks.extend(config_problems(&e));
            return Report { checks };
        }
    };
    checks.push(Check::ok(
        "configuration",
        match &sources.file {
            Some(path) => format!("{} loads", path.display()),
            None => "loads (no --config file: defaults, environment and flags)".to_owned(),
        },
    ));
    let public = public_url(config.public_url.as_deref());
    checks.push(public.check.clone());
    checks.extend(tls_checks(&config, public.host.as_deref(), unix_now()));
    match &config.neoapi {
        None => checks.push(Check::fail(
            "neoapi",
            "neoapi.url is not set: the server would run its demo (simulator and stand-in)",
            "set neoapi.url to the NeoApi base URL, e.g. http://neotel.internal",
        )),
        Some(neo) => checks.extend(neoapi_checks(neo, &config, options.login.as_ref()).await),
    }
    checks.extend(callcenter_checks(
        options
            .callcenter
            .as_ref()
            .or(config.callcenter.file.as_ref()),
        config.public_url.as_deref(),
    ));
    checks.push(allowed_origins(&config.allowed_origins));
    checks.push(data_dir(&config.data_dir));
    checks.push(open_files_check(&config));
    Report { checks }
}

/// One `FAIL` line per configuration problem.
fn config_problems(e: &config::ConfigError) -> Vec<Check> {
    let fix = "correct it (cti-server --help and config.example.toml list every key)";
    match e {
        config::ConfigError::Invalid(problems) => problems
            .iter()
            .map(|p| Check::fail("configuration", p.to_string(), fix))
            .collect(),
        other => vec![Check::fail("configuration", other.to_string(), fix)],
    }
}

fn unix_now() -> i64 {
    crate::clock::wall().timestamp()
}

fn date(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0).map_or_else(
        || unix.to_string(),
        |d| d.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

// ---------------------------------------------------------------------------------------------
// public_url and TLS

/// The `public_url` check and the host it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    /// The check.
    pub check: Check,
    /// The host (a name, or an IP address without brackets), when `public_url` is https.
    pub host: Option<String>,
}

/// `public_url` must be set and https: Lightning frames only https pages.
#[must_use]
pub fn public_url(url: Option<&str>) -> PublicUrl {
    const NAME: &str = "public_url";
    let Some(url) = url else {
        return PublicUrl {
            check: Check::fail(
                NAME,
                "not set: the softphone's address would be the listen address",
                "set public_url to the https origin agents' browsers use, e.g. https://cti.example.com",
            ),
            host: None,
        };
    };
    let parsed = reqwest::Url::parse(url).ok();
    // An IPv6 host comes in brackets; certificates name it without.
    let host = parsed.as_ref().and_then(|u| {
        u.host_str()
            .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_owned())
    });
    match (parsed.as_ref().map(reqwest::Url::scheme), host) {
        (Some("https"), Some(host)) => PublicUrl {
            check: Check::ok(NAME, format!("{url} (https)")),
            host: Some(host),
        },
        _ => PublicUrl {
            check: Check::fail(
                NAME,
                format!("{url} is not https: Salesforce Lightning frames only https pages"),
                "set public_url to https://… and serve HTTPS (tls.cert and tls.key, or a reverse proxy)",
            ),
            host: None,
        },
    }
}

/// The TLS lines: the pair, the name, the issuer, the expiry.
fn tls_checks(config: &Config, host: Option<&str>, now: i64) -> Vec<Check> {
    let Some(tls) = &config.tls else {
        return vec![tls_absent(config, host.is_some())];
    };
    let mut checks = vec![key_pair(tls)];
    // When the certificate cannot be read, the pair check has already failed naming the file.
    if let Ok(leaf) = LeafCertificate::load(&tls.cert) {
        checks.extend(certificate(&leaf, host, now));
    }
    checks
}

fn tls_absent(config: &Config, public_https: bool) -> Check {
    const NAME: &str = "tls";
    if !public_https {
        return Check::skip(NAME, "not configured (see public_url)");
    }
    if config.listen.ip().is_loopback() {
        Check::ok(
            NAME,
            "not served here: a reverse proxy in front terminates HTTPS for public_url",
        )
    } else {
        Check::warn(
            NAME,
            format!(
                "not served here, and listen = {} is reachable from other machines in plain HTTP",
                config.listen
            ),
            "behind a reverse proxy keep listen on loopback (127.0.0.1:8080); or set tls.cert and tls.key",
        )
    }
}

/// The certificate and key load as the server loads them, and match.
fn key_pair(tls: &TlsConfig) -> Check {
    const NAME: &str = "tls certificate and key";
    match tls::server_config(tls) {
        Ok(_) => Check::ok(
            NAME,
            format!(
                "{} and {} load and match",
                tls.cert.display(),
                tls.key.display()
            ),
        ),
        Err(tls::TlsError::Rustls(rustls::Error::InconsistentKeys(_))) => Check::fail(
            NAME,
            format!(
                "the key in {} does not match the certificate in {}",
                tls.key.display(),
                tls.cert.display()
            ),
            "use the private key the certificate was issued for (fullchain.pem goes with privkey.pem)",
        ),
        Err(e) => Check::fail(
            NAME,
            e.to_string(),
            "tls.cert must be the PEM chain (server certificate first) and tls.key its PEM private key, both readable by the server's user",
        ),
    }
}

/// The name, issuer and expiry of the served certificate, at `now` (Unix seconds).
#[must_use]
pub fn certificate(leaf: &LeafCertificate, host: Option<&str>, now: i64) -> Vec<Check> {
    let mut checks = Vec::new();
    let names = if leaf.names.is_empty() {
        "no subject alternative name".to_owned()
    } else {
        leaf.names.join(", ")
    };
    checks.push(match host {
        Some(host) if leaf.is_valid_for(host) => {
            Check::ok("tls name", format!("valid for {host} ({names})"))
        }
        Some(host) => Check::fail(
            "tls name",
            format!("not valid for {host}, public_url's host: it names {names}"),
            format!(
                "get a certificate for {host}, or set public_url to a name the certificate has"
            ),
        ),
        None => Check::skip("tls name", "public_url is not https (see public_url)"),
    });
    checks.push(if leaf.self_issued {
        Check::warn(
            "tls issuer",
            "self-signed: browsers refuse it unless every agent's machine trusts it",
            "use a certificate from a CA the agents' browsers trust",
        )
    } else {
        Check::ok("tls issuer", format!("issued by {}", leaf.issuer))
    });
    let days_left = (leaf.not_after - now).div_euclid(86_400);
    let renew = "renew the certificate, then restart the server (it reads the files at start)";
    checks.push(if leaf.not_after <= now {
        Check::fail(
            "tls expiry",
            format!("expired on {}", date(leaf.not_after)),
            renew,
        )
    } else if leaf.not_before > now {
        Check::fail(
            "tls expiry",
            format!("not valid before {}", date(leaf.not_before)),
            "check this machine's clock, or use a certificate valid now",
        )
    } else if days_left < CERT_MIN_DAYS_LEFT {
        Check::fail(
            "tls expiry",
            format!(
                "expires on {}, in {days_left} days (less than {CERT_MIN_DAYS_LEFT})",
                date(leaf.not_after)
            ),
            renew,
        )
    } else {
        Check::ok(
            "tls expiry",
            format!("valid until {} ({days_left} days)", date(leaf.not_after)),
        )
    });
    checks
}

// ---------------------------------------------------------------------------------------------
// NeoApi

/// Every NeoApi operation the connector calls with `config`: one request of each kind, plus
/// the `ExecuteTaskNN` of every configured list and task (NN = its parameter count).
#[must_use]
pub fn required_operations(config: &Config) -> BTreeSet<&'static str> {
    let user = String::new;
    let mut ops: BTreeSet<&'static str> = [
        Request::Login {
            device: user(),
            user: user(),
            password: Password::new(""),
        },
        Request::Logout { user: user() },
        Request::LoginCampaign {
            user: user(),
            campaign: 0,
        },
        Request::LogoutCampaign { user: user() },
        Request::Pause {
            user: user(),
            break_subtype: 0,
        },
        Request::Unpause { user: user() },
        Request::Position { user: user() },
        Request::CrmShowingContact {
            user: user(),
            base: 0,
            contact_id: 0,
            data: user(),
        },
        Request::CrmAvailable { user: user() },
        Request::CrmUnavailable { user: user() },
        Request::UpdateContact {
            crm: 0,
            user: user(),
            base: 0,
            contact_id: 0,
            data: user(),
            subcategory: 0,
            xml_update: user(),
            schedule: None,
        },
        Request::CloseContact {
            base: 0,
            contact_id: 0,
        },
        Request::AddScheduleCall {
            user: user(),
            base: 0,
            contact_id: 0,
            data: user(),
            phone: user(),
            at: chrono::NaiveDateTime::default(),
        },
        Request::Dial {
            user: user(),
            phone: user(),
        },
        Request::Hangup { user: user() },
        Request::SendDtmf {
            user: user(),
            digits: user(),
        },
        Request::BlindTransfer {
            user: user(),
            extension: user(),
        },
        Request::AttendedTransfer {
            user: user(),
            extension: user(),
        },
        Request::BlindTransferQueue {
            user: user(),
            queue: 0,
        },
        Request::AttendedTransferQueue {
            user: user(),
            queue: 0,
        },
        Request::BlindTransferCampaign {
            user: user(),
            campaign: 0,
        },
        Request::JoinConference { user: user() },
        Request::InviteParticipant {
            user: user(),
            extension: user(),
        },
        Request::CancelInvitation { user: user() },
        Request::KickAll {
            user: user(),
            conference: 0,
        },
        Request::StartMonitor { user: user() },
        Request::StopMonitor { user: user() },
    ]
    .iter()
    .map(Request::method)
    .collect();
    let lists = &config.lists;
    let tasks = &config.tasks;
    let task_calls = [
        &lists.breaks,
        &lists.campaigns,
        &lists.queues,
        &lists.users,
        &lists.transfer_phones,
        &lists.categories,
    ]
    .into_iter()
    .filter_map(|l| match l {
        ListSource::Task(t) => Some(t),
        ListSource::Static(_) => None,
    })
    .chain([
        &tasks.monitor_start,
        &tasks.monitor_stop,
        &tasks.send_text,
        &tasks.find_contact,
    ]);
    for t in task_calls {
        if let Ok(r) = Request::execute_task(i64::from(t.task), t.params.clone()) {
            ops.insert(r.method());
        }
    }
    ops
}

// Lists every kind of request without a wildcard: when neotel-api gains one, this stops
// compiling, and `required_operations` above must learn it.
const _: fn(&Request) = |r| match r {
    Request::Login { .. }
    | Request::Logout { .. }
    | Request::LoginCampaign { .. }
    | Request::LogoutCampaign { .. }
    | Request::Pause { .. }
    | Request::Unpause { .. }
    | Request::Position { .. }
    | Request::CrmShowingContact { .. }
    | Request::CrmAvailable { .. }
    | Request::CrmUnavailable { .. }
    | Request::UpdateContact { .. }
    | Request::CloseContact { .. }
    | Request::AddScheduleCall { .. }
    | Request::Dial { .. }
    | Request::Hangup { .. }
    | Request::SendDtmf { .. }
    | Request::BlindTransfer { .. }
    | Request::AttendedTransfer { .. }
    | Request::BlindTransferQueue { .. }
    | Request::AttendedTransferQueue { .. }
    | Request::BlindTransferCampaign { .. }
    | Request::JoinConference { .. }
    | Request::InviteParticipant { .. }
    | Request::CancelInvitation { .. }
    | Request::KickAll { .. }
    | Request::StartMonitor { .. }
    | Request::StopMonitor { .. }
    | Request::ExecuteTask(_) => {}
};

const WSDL_NS: &[u8] = b"http://schemas.xmlsoap.org/wsdl/";
const WSDL_HTTP_NS: &[u8] = b"http://schemas.xmlsoap.org/wsdl/http/";
const WSDL_SOAP_NS: &[u8] = b"http://schemas.xmlsoap.org/wsdl/soap/";

fn binding_name(binding: Binding) -> &'static str {
    match binding {
        Binding::Form => "HTTP POST (form)",
        Binding::Get => "HTTP GET",
        Binding::Soap => "SOAP 1.1",
    }
}

/// The operations a WSDL's bindings of kind `binding` offer (HTTP POST for form, HTTP GET,
/// SOAP 1.1), by the namespaces of its elements, not their prefixes.
///
/// # Errors
/// The text is not a WSDL, or has no binding of that kind.
pub fn wsdl_operations(wsdl: &str, binding: Binding) -> Result<BTreeSet<String>, String> {
    use quick_xml::events::Event;
    use quick_xml::name::ResolveResult;

    #[derive(PartialEq)]
    enum Kind {
        Unknown,
        Post,
        Get,
        Soap11,
        Other,
    }
    let wanted = match binding {
        Binding::Form => Kind::Post,
        Binding::Get => Kind::Get,
        Binding::Soap => Kind::Soap11,
    };
    let mut reader = quick_xml::NsReader::from_str(wsdl);
    let mut depth = 0usize;
    let mut definitions = false;
    // The binding being read (its kind and operations) and what the wanted ones offer.
    let mut current: Option<(Kind, Vec<String>)> = None;
    let mut found = false;
    let mut offered = BTreeSet::new();
    loop {
        let (ns, event) = reader
            .read_resolved_event()
            .map_err(|e| format!("not XML: {e}"))?;
        let ns_is = |want: &[u8]| matches!(ns, ResolveResult::Bound(n) if n.as_ref() == want);
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let local = e.local_name();
                let local = local.as_ref();
                let at = depth;
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                }
                if at == 0 {
                    if !(ns_is(WSDL_NS) && local == b"definitions") {
                        return Err("not a WSDL (no wsdl:definitions)".to_owned());
                    }
                    definitions = true;
                } else if at == 1 && ns_is(WSDL_NS) && local == b"binding" {
                    current = Some((Kind::Unknown, Vec::new()));
                } else if let Some((kind, ops)) = current.as_mut() {
                    if at == 2 && local == b"binding" {
                        *kind = if ns_is(WSDL_SOAP_NS) {
                            Kind::Soap11
                        } else if ns_is(WSDL_HTTP_NS) {
                            match e.try_get_attribute("verb").ok().flatten() {
                                Some(v) if v.value.as_ref() == b"POST" => Kind::Post,
                                Some(v) if v.value.as_ref() == b"GET" => Kind::Get,
                                _ => Kind::Other,
                            }
                        } else {
                            Kind::Other
                        };
                    } else if at == 2
                        && ns_is(WSDL_NS)
                        && local == b"operation"
                        && let Some(name) = e.try_get_attribute("name").ok().flatten()
                    {
                        let name = name
                            .unescape_value()
                            .map_err(|e| format!("bad operation name: {e}"))?;
                        ops.push(name.into_owned());
                    }
                }
                if matches!(event, Event::Empty(_)) && at == 1 && current.is_some() {
                    current = None;
                }
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 1
                    && let Some((kind, ops)) = current.take()
                    && kind == wanted
                {
                    found = true;
                    offered.extend(ops);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !definitions {
        return Err("not a WSDL (empty)".to_owned());
    }
    if !found {
        return Err(format!("the WSDL has no {} binding", binding_name(binding)));
    }
    Ok(offered)
}

/// Whether the WSDL offers what the connector calls. A missing `Login` is only a warning: the
/// 2017 WSDL of a real install does not list it, though the install answers it.
#[must_use]
pub fn operations(
    offered: &BTreeSet<String>,
    required: &BTreeSet<&'static str>,
    binding: Binding,
) -> Check {
    const NAME: &str = "neoapi operations";
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|op| !offered.contains(*op))
        .collect();
    let binding = binding_name(binding);
    match missing.as_slice() {
        [] => Check::ok(
            NAME,
            format!(
                "the {binding} binding offers all {} operations the connector calls",
                required.len()
            ),
        ),
        ["Login"] => Check::warn(
            NAME,
            format!(
                "the {binding} binding lists every operation the connector calls but Login (older WSDLs, such as 2017's, omit it although the install answers it)"
            ),
            "confirm with --login DEVICE USER that Login works",
        ),
        _ => Check::fail(
            NAME,
            format!(
                "the {binding} binding lacks {} operation(s) the connector calls: {}",
                missing.len(),
                missing.join(", ")
            ),
            "ask Neotel for a NeoApi version with them, or check neoapi.binding (form, get or soap)",
        ),
    }
}

/// The biggest WSDL read (the 2017 one is about 350 KB).
const MAX_WSDL_BYTES: usize = 8 * 1024 * 1024;

async fn fetch_wsdl(neo: &NeoApiConfig, url: &str) -> Result<String, Check> {
    const NAME: &str = "neoapi reachable";
    let client = reqwest::Client::builder()
        .timeout(neo.timeout)
        .build()
        .map_err(|e| Check::fail(NAME, format!("HTTP client: {e}"), "report this as a bug"))?;
    let mut response = client.get(url).send().await.map_err(|e| {
        Check::fail(
            NAME,
            format!("cannot reach {url}: {}", error_chain(&e)),
            "check neoapi.url (scheme, host, port), DNS and the firewall from this machine; neoapi.timeout_ms if it is slow",
        )
    })?;
    let status = response.status();
    if !status.is_success() {
        return Err(Check::fail(
            NAME,
            format!("{url} answered {status}"),
            "neoapi.path is probably wrong: set it to the service's path (installs differ: /neoapi/webservice.asmx, /NEOAPI/webservice.asmx, /neotel/neoapi/webservice.asmx; open the base URL in a browser to find it)",
        ));
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                body.extend_from_slice(&chunk);
                if body.len() > MAX_WSDL_BYTES {
                    return Err(Check::fail(
                        NAME,
                        format!("{url} answered more than {MAX_WSDL_BYTES} bytes"),
                        "neoapi.path must name NeoApi's .asmx service",
                    ));
                }
            }
            Ok(None) => break,
            Err(e) => {
                return Err(Check::fail(
                    NAME,
                    format!("{url}: the answer broke off: {}", error_chain(&e)),
                    "check the network between this machine and NeoApi",
                ));
            }
        }
    }
    String::from_utf8(body).map_err(|_| {
        Check::fail(
            NAME,
            format!("{url} answered something that is not UTF-8 text"),
            "neoapi.path must name NeoApi's .asmx service",
        )
    })
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

async fn neoapi_checks(
    neo: &NeoApiConfig,
    config: &Config,
    login: Option<&Result<LoginProbe, String>>,
) -> Vec<Check> {
    let url = format!("{}{}?WSDL", neo.url, neo.path);
    let wsdl = match fetch_wsdl(neo, &url).await {
        Ok(w) => w,
        Err(check) => return vec![check],
    };
    let offered = match wsdl_operations(&wsdl, neo.binding) {
        Ok(o) => o,
        Err(why) => {
            return vec![Check::fail(
                "neoapi reachable",
                format!("{url} is not NeoApi's WSDL: {why}"),
                "neoapi.path must name NeoApi's .asmx service; neoapi.binding one it offers (form, get or soap)",
            )];
        }
    };
    let mut checks = vec![
        Check::ok("neoapi reachable", format!("{url} answers NeoApi's WSDL")),
        operations(&offered, &required_operations(config), neo.binding),
    ];
    let neoapi = match crate::neoapi::NeoApi::new(neo) {
        Ok(n) => n,
        Err(e) => {
            checks.push(Check::fail(
                "neoapi call",
                e,
                "check neoapi.url and neoapi.path",
            ));
            return checks;
        }
    };
    let metrics = crate::metrics::Metrics::new();
    let probe = neoapi
        .call(
            &metrics,
            &Request::Position {
                user: PROBE_USER.to_owned(),
            },
        )
        .await;
    checks.push(position_probe(probe.map(|_| ()), neo.binding));
    checks.push(match login {
        None => Check::skip("neoapi login", "not asked (--login DEVICE USER)"),
        Some(Err(why)) => Check::fail("neoapi login", why.clone(), format!("set {PASSWORD_ENV}")),
        Some(Ok(probe)) => login_probe(&neoapi, &metrics, probe).await,
    });
    checks
}

/// The `Position` probe for [`PROBE_USER`]: NeoApi's "not logged" fault (or a position) proves
/// the binding and path reach NeoApi.
#[must_use]
pub fn position_probe(result: Result<(), neotel_api::Error>, binding: Binding) -> Check {
    const NAME: &str = "neoapi call";
    let binding = binding_name(binding);
    match result {
        Ok(()) => Check::ok(NAME, format!("Position answered through {binding}")),
        Err(neotel_api::Error::Platform(f)) if f.kind == FaultKind::NotLogged => Check::ok(
            NAME,
            format!(
                "Position through {binding} answered NeoApi's fault for an unknown user (\"{}\")",
                f.message
            ),
        ),
        Err(neotel_api::Error::Platform(f)) => Check::fail(
            NAME,
            format!(
                "Position through {binding} answered an unexpected fault: {}",
                f.message
            ),
            "check neoapi.binding and that the install's NeoApi is current",
        ),
        Err(neotel_api::Error::Timeout) => Check::fail(
            NAME,
            format!("Position through {binding} timed out"),
            "raise neoapi.timeout_ms, or check NeoApi's load",
        ),
        Err(e) => Check::fail(
            NAME,
            format!("Position through {binding} failed: {e}"),
            "the WSDL answers but calls do not: try another neoapi.binding (form, get, soap), check a proxy in between",
        ),
    }
}

async fn login_probe(
    neoapi: &crate::neoapi::NeoApi,
    metrics: &crate::metrics::Metrics,
    probe: &LoginProbe,
) -> Check {
    const NAME: &str = "neoapi login";
    let login = Request::Login {
        device: probe.device.clone(),
        user: probe.user.clone(),
        password: probe.password.clone(),
    };
    let who = format!("{} on {}", probe.user, probe.device);
    if let Err(e) = neoapi.call(metrics, &login).await {
        let fix = match e.fault_kind() {
            Some(FaultKind::LoginFailed) => "check the user and password in Neotel",
            Some(FaultKind::DeviceNotFound) => "use a device (position) that exists in Neotel",
            Some(FaultKind::PositionNotFree) => {
                "another session holds the position: log it out in Neotel, or test another device"
            }
            Some(FaultKind::NoLicenses) => "Neotel has no free API license: ask Neotel for more",
            _ => "check NeoApi's answer above",
        };
        return Check::fail(NAME, format!("Login as {who} failed: {e}"), fix);
    }
    match neoapi
        .call(
            metrics,
            &Request::Logout {
                user: probe.user.clone(),
            },
        )
        .await
    {
        Ok(_) => Check::ok(NAME, format!("Login and Logout as {who}")),
        Err(e) => Check::fail(
            NAME,
            format!("Login as {who} worked, Logout failed: {e}"),
            "log the user out in Neotel",
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Call center, origins, data directory, open files

/// The call center file checks clean and points at `{public_url}/softphone/`.
fn callcenter_checks(file: Option<&PathBuf>, public_url: Option<&str>) -> Vec<Check> {
    let Some(file) = file else {
        return vec![Check::skip(
            "call center",
            "no file given (--callcenter FILE or callcenter.file)",
        )];
    };
    match std::fs::read_to_string(file) {
        Ok(xml) => callcenter(&file.display().to_string(), &xml, public_url),
        Err(e) => vec![Check::fail(
            "call center",
            format!("cannot read {}: {e}", file.display()),
            "give the call center definition file (XML) Salesforce imports",
        )],
    }
}

/// The call center definition `xml` (read from `file`) checked in full, and its adapter URL
/// against `{public_url}/softphone/`.
#[must_use]
pub fn callcenter(file: &str, xml: &str, public_url: Option<&str>) -> Vec<Check> {
    let mut checks = vec![match sf_callcenter::check(xml) {
        Ok(_) => Check::ok("call center", format!("{file} checks clean")),
        Err(problems) => Check::fail(
            "call center",
            format!(
                "{file} has {} problem(s): {}",
                problems.len(),
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            format!("correct them (cti-server callcenter check {file} lists each with its line)"),
        ),
    }];
    let adapter = sf_callcenter::CallCenter::parse_xml(xml)
        .ok()
        .and_then(|c| {
            c.value(sf_callcenter::GENERAL_SECTION, "reqAdapterUrl")
                .map(str::to_owned)
        });
    const NAME: &str = "call center adapter URL";
    checks.push(match (adapter, public_url) {
        (None, _) => Check::fail(
            NAME,
            format!("{file} has no reqAdapterUrl"),
            "regenerate it: cti-server callcenter generate --adapter-url {public_url}/softphone/",
        ),
        (Some(_), None) => Check::skip(NAME, "public_url is not set (see public_url)"),
        (Some(adapter), Some(public)) => {
            let expected = format!("{public}/softphone/");
            if adapter == expected {
                Check::ok(NAME, expected)
            } else {
                Check::fail(
                    NAME,
                    format!("{adapter} is not {expected}: Salesforce would load the softphone from elsewhere"),
                    format!(
                        "set reqAdapterUrl to {expected} (cti-server callcenter generate --adapter-url {expected}) and import it again in Salesforce"
                    ),
                )
            }
        }
    });
    checks
}

/// Which Salesforce origin a host is: the org's key (`acme`, `acme--uat.sandbox`) and kind.
fn salesforce_origin(host: &str) -> Option<(&str, &'static str)> {
    const KINDS: [(&str, &str); 2] = [
        (".lightning.force.com", "Lightning"),
        (".my.salesforce.com", "My Domain"),
    ];
    KINDS.iter().find_map(|(suffix, kind)| {
        let key = host.strip_suffix(suffix)?;
        let name = key.split('.').next().unwrap_or_default();
        let infix_ok = match key.split_once('.') {
            None => true,
            // Enhanced domains put the org type between the name and the suffix.
            Some((_, infix)) => matches!(
                infix,
                "sandbox" | "develop" | "scratch" | "demo" | "patch" | "trailblaze" | "free"
            ),
        };
        let name_ok =
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        (infix_ok && name_ok).then_some((key, *kind))
    })
}

/// Other Salesforce domains (Visualforce, legacy instance hosts): framing from them is
/// possible, but they are not where Lightning puts the utility bar.
fn other_salesforce_domain(host: &str) -> bool {
    [
        ".force.com",
        ".salesforce.com",
        ".visualforce.com",
        ".my-salesforce.com",
        ".salesforce-sites.com",
    ]
    .iter()
    .any(|s| host.ends_with(s))
}

/// `allowed_origins`: https Salesforce origins, each org's Lightning and My Domain pair.
#[must_use]
pub fn allowed_origins(origins: &[String]) -> Check {
    const NAME: &str = "allowed_origins";
    if origins.is_empty() {
        return Check::fail(
            NAME,
            "empty: Salesforce cannot frame the softphone",
            "list the org's origins, e.g. [\"https://acme.lightning.force.com\", \"https://acme.my.salesforce.com\"]",
        );
    }
    let mut bad = Vec::new();
    let mut other = Vec::new();
    let mut orgs: BTreeMap<&str, BTreeSet<&'static str>> = BTreeMap::new();
    for origin in origins {
        let host = origin
            .strip_prefix("https://")
            .map(|rest| rest.split([':', '/']).next().unwrap_or_default());
        match host {
            None => bad.push(format!("{origin} is not https")),
            Some(host) => match salesforce_origin(host) {
                Some((key, kind)) => {
                    orgs.entry(key).or_default().insert(kind);
                }
                None if other_salesforce_domain(host) => other.push(origin.as_str()),
                None => bad.push(format!("{origin} is not a Salesforce domain")),
            },
        }
    }
    if !bad.is_empty() {
        return Check::fail(
            NAME,
            bad.join("; "),
            "list only the org's https origins: https://MYDOMAIN.lightning.force.com and https://MYDOMAIN.my.salesforce.com (sandboxes: MYDOMAIN--NAME.sandbox.…)",
        );
    }
    let mut missing = Vec::new();
    for (key, kinds) in &orgs {
        if !kinds.contains("Lightning") {
            missing.push(format!("https://{key}.lightning.force.com"));
        }
        if !kinds.contains("My Domain") {
            missing.push(format!("https://{key}.my.salesforce.com"));
        }
    }
    let orgs_text = orgs.keys().copied().collect::<Vec<_>>().join(", ");
    if !missing.is_empty() {
        return Check::warn(
            NAME,
            format!(
                "an org's Lightning and My Domain origins go together; missing {}",
                missing.join(", ")
            ),
            "add them, unless you know the org never frames the softphone from there",
        );
    }
    if orgs.is_empty() || !other.is_empty() {
        return Check::warn(
            NAME,
            format!(
                "{} {} Salesforce but not a Lightning or My Domain origin",
                other.join(", "),
                if other.len() == 1 { "is" } else { "are" }
            ),
            "Lightning frames the softphone from https://MYDOMAIN.lightning.force.com; list that and https://MYDOMAIN.my.salesforce.com",
        );
    }
    Check::ok(
        NAME,
        format!("Lightning and My Domain origins of {orgs_text}"),
    )
}

/// The data directory exists and this process can create and remove a file in it.
#[must_use]
pub fn data_dir(dir: &Path) -> Check {
    use std::os::unix::fs::MetadataExt as _;
    const NAME: &str = "data_dir";
    let shown = dir.display();
    let Ok(meta) = std::fs::metadata(dir) else {
        return Check::fail(
            NAME,
            format!("{shown} does not exist"),
            format!(
                "create it, owned by the server's user: install -d -o cti-server {shown} (the package creates /var/lib/cti-server)"
            ),
        );
    };
    if !meta.is_dir() {
        return Check::fail(
            NAME,
            format!("{shown} is not a directory"),
            "set data_dir to a directory",
        );
    }
    let probe = dir.join(format!(".cti-doctor-{}", std::process::id()));
    let written = std::fs::File::create_new(&probe)
        .and_then(|_| std::fs::remove_file(&probe))
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&probe);
        });
    if let Err(e) = written {
        return Check::fail(
            NAME,
            format!("{shown} is not writable: {e}"),
            format!("make it writable by the server's user: chown cti-server {shown}"),
        );
    }
    // Root writes anywhere: that proves nothing about the service's user.
    let me = std::fs::metadata("/proc/self").map(|m| m.uid()).ok();
    if me == Some(0) && meta.uid() != 0 {
        return Check::warn(
            NAME,
            format!("{shown} is writable by root, which says nothing of the service's user"),
            "run the doctor as that user: sudo -u cti-server cti-server doctor …",
        );
    }
    Check::ok(NAME, format!("{shown} is writable"))
}

/// File descriptors the server needs for `max_agents` agents.
#[must_use]
pub fn open_files_needed(max_agents: u32) -> u64 {
    u64::from(max_agents) * OPEN_FILES_PER_AGENT + OPEN_FILES_RESERVE
}

/// Raises this process's soft open-files limit to its hard limit; the server does it at start,
/// so the hard limit is what counts. Returns the new soft limit.
///
/// # Errors
/// The limit cannot be read or set.
pub fn raise_open_files_limit() -> std::io::Result<u64> {
    rlimit::increase_nofile_limit(u64::MAX)
}

fn open_files_check(config: &Config) -> Check {
    match rlimit::Resource::NOFILE.get() {
        Ok((soft, hard)) => open_files(config.max_agents, soft, hard),
        Err(e) => Check::warn(
            "open files",
            format!("cannot read the open-files limit: {e}"),
            "check it by hand: ulimit -Hn",
        ),
    }
}

/// The open-files limit (soft, hard) against what `max_agents` agents need.
#[must_use]
pub fn open_files(max_agents: u32, soft: u64, hard: u64) -> Check {
    const NAME: &str = "open files";
    let need = open_files_needed(max_agents);
    let sizing = format!(
        "{need} needed for max_agents = {max_agents} ({OPEN_FILES_PER_AGENT} per agent + {OPEN_FILES_RESERVE})"
    );
    if hard < need {
        let most = hard.saturating_sub(OPEN_FILES_RESERVE) / OPEN_FILES_PER_AGENT;
        return Check::fail(
            NAME,
            format!("the hard limit is {hard}, {sizing}"),
            format!(
                "raise it (LimitNOFILE= in the service, the package sets 65536; ulimit -Hn from a shell), or lower max_agents to {most}"
            ),
        );
    }
    if soft < need {
        return Check::ok(
            NAME,
            format!(
                "the hard limit {hard} fits ({sizing}); the server raises its soft limit {soft} to it at start"
            ),
        );
    }
    Check::ok(NAME, format!("limit {soft} fits ({sizing})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_prints_one_line_per_check_and_fails_on_any_fail() {
        let report = Report {
            checks: vec![
                Check::ok("a", "fine"),
                Check::warn("b", "hmm", "look"),
                Check::skip("c", "not asked"),
            ],
        };
        assert!(!report.failed());
        let text = report.to_string();
        assert_eq!(
            text,
            "ok   a: fine\nwarn b: hmm — fix: look\nskip c: not asked\n1 ok, 1 warn, 0 failed"
        );
        let failed = Report {
            checks: vec![Check::fail("d", "broken", "mend it")],
        };
        assert!(failed.failed());
        assert!(
            failed
                .to_string()
                .starts_with("FAIL d: broken — fix: mend it")
        );
    }

    #[test]
    fn public_url_must_be_https() {
        let p = public_url(Some("https://cti.example.com:8443"));
        assert_eq!(p.check.status, Status::Ok);
        assert_eq!(p.host.as_deref(), Some("cti.example.com"));
        assert_eq!(
            public_url(Some("https://[::1]")).host.as_deref(),
            Some("::1")
        );
        let p = public_url(Some("http://cti.example.com"));
        assert_eq!(p.check.status, Status::Fail);
        assert!(p.check.detail.contains("not https"), "{}", p.check);
        assert_eq!(public_url(None).check.status, Status::Fail);
    }

    fn leaf(names: &[&str], not_before: i64, not_after: i64, self_signed: bool) -> LeafCertificate {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "cti-doctor-leaf-{}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let mut params = rcgen::CertificateParams::new(
            names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>(),
        )
        .unwrap();
        let (y, m, d) = ymd(not_before);
        params.not_before = rcgen::date_time_ymd(y, m, d);
        let (y, m, d) = ymd(not_after);
        params.not_after = rcgen::date_time_ymd(y, m, d);
        let key = rcgen::KeyPair::generate().unwrap();
        let pem = if self_signed {
            params.self_signed(&key).unwrap().pem()
        } else {
            let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
            ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
            ca.distinguished_name
                .push(rcgen::DnType::CommonName, "Test CA");
            let ca = rcgen::CertifiedIssuer::self_signed(ca, rcgen::KeyPair::generate().unwrap())
                .unwrap();
            params.signed_by(&key, &ca).unwrap().pem()
        };
        let path = dir.join("cert.pem");
        std::fs::write(&path, pem).unwrap();
        let leaf = LeafCertificate::load(&path).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        leaf
    }

    /// rcgen takes dates by day: every time here is a midnight.
    fn ymd(unix: i64) -> (i32, u8, u8) {
        use chrono::Datelike as _;
        let d = chrono::DateTime::from_timestamp(unix, 0).unwrap();
        (
            d.year(),
            u8::try_from(d.month()).unwrap(),
            u8::try_from(d.day()).unwrap(),
        )
    }

    const DAY: i64 = 86_400;
    /// 2027-01-01 00:00 UTC.
    const NOW: i64 = 1_798_761_600;

    fn status_of(checks: &[Check], name: &str) -> (Status, String) {
        let c = checks
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no {name} in {checks:?}"));
        (c.status, c.to_string())
    }

    #[test]
    fn a_certificate_for_the_host_valid_long_enough_passes() {
        let cert = leaf(&["cti.example.com"], NOW - DAY, NOW + 90 * DAY, false);
        let checks = certificate(&cert, Some("cti.example.com"), NOW);
        assert_eq!(status_of(&checks, "tls name").0, Status::Ok);
        assert_eq!(status_of(&checks, "tls issuer").0, Status::Ok);
        let (status, line) = status_of(&checks, "tls expiry");
        assert_eq!(status, Status::Ok, "{line}");
        assert!(line.contains("90 days"), "{line}");
    }

    #[test]
    fn wildcards_follow_the_browsers_rules() {
        let cert = leaf(&["*.example.com"], NOW - DAY, NOW + 90 * DAY, false);
        assert!(cert.is_valid_for("cti.example.com"));
        assert!(!cert.is_valid_for("a.cti.example.com"));
        assert!(!cert.is_valid_for("example.com"));
    }

    #[test]
    fn another_host_an_expiry_within_30_days_and_self_signed_are_named() {
        let cert = leaf(&["other.example.com"], NOW - DAY, NOW + 10 * DAY, true);
        let checks = certificate(&cert, Some("cti.example.com"), NOW);
        let (status, line) = status_of(&checks, "tls name");
        assert_eq!(status, Status::Fail);
        assert!(line.contains("not valid for cti.example.com"), "{line}");
        assert!(line.contains("other.example.com"), "{line}");
        let (status, line) = status_of(&checks, "tls expiry");
        assert_eq!(status, Status::Fail);
        assert!(line.contains("in 10 days"), "{line}");
        assert_eq!(status_of(&checks, "tls issuer").0, Status::Warn);
    }

    #[test]
    fn an_expired_or_future_certificate_fails() {
        let cert = leaf(&["cti.example.com"], NOW - 400 * DAY, NOW - DAY, false);
        let (status, line) = status_of(
            &certificate(&cert, Some("cti.example.com"), NOW),
            "tls expiry",
        );
        assert_eq!(status, Status::Fail);
        assert!(line.contains("expired on"), "{line}");
        let cert = leaf(&["cti.example.com"], NOW + DAY, NOW + 400 * DAY, false);
        let (status, line) = status_of(
            &certificate(&cert, Some("cti.example.com"), NOW),
            "tls expiry",
        );
        assert_eq!(status, Status::Fail);
        assert!(line.contains("not valid before"), "{line}");
    }

    fn sim_wsdl() -> String {
        neotel_sim::wsdl("http://127.0.0.1:1/neoapi/webservice.asmx")
    }

    fn wsdl_2017() -> String {
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/fixtures/neoapi-2017.wsdl"
        ))
        .unwrap()
    }

    #[test]
    fn the_wsdl_is_read_per_binding() {
        let wsdl = sim_wsdl();
        for binding in [Binding::Form, Binding::Get, Binding::Soap] {
            let ops = wsdl_operations(&wsdl, binding).unwrap();
            assert!(ops.contains("Position"), "{binding:?}");
            assert!(ops.contains("Login"), "{binding:?}");
            assert!(ops.contains("ExecuteTask20"), "{binding:?}");
        }
        let ops = wsdl_operations(&wsdl_2017(), Binding::Form).unwrap();
        assert!(ops.contains("Position") && !ops.contains("Login"));
        assert!(wsdl_operations("<html><body>IIS</body></html>", Binding::Form).is_err());
        assert!(wsdl_operations("not xml at all <", Binding::Form).is_err());
        // Only the SOAP binding: form is not offered.
        let soap_only = "<wsdl:definitions xmlns:wsdl=\"http://schemas.xmlsoap.org/wsdl/\" \
            xmlns:soap=\"http://schemas.xmlsoap.org/wsdl/soap/\"><wsdl:binding name=\"S\">\
            <soap:binding/><wsdl:operation name=\"Position\"/></wsdl:binding></wsdl:definitions>";
        assert_eq!(
            wsdl_operations(soap_only, Binding::Soap).unwrap(),
            BTreeSet::from(["Position".to_owned()])
        );
        let err = wsdl_operations(soap_only, Binding::Form).unwrap_err();
        assert!(err.contains("no HTTP POST (form) binding"), "{err}");
    }

    #[test]
    fn the_connector_needs_what_the_simulator_offers_and_2017_lacks_only_login() {
        let config = Config::defaults();
        let required = required_operations(&config);
        assert!(required.contains("Login_Campaign2") && required.contains("ExecuteTask02"));
        let sim = wsdl_operations(&sim_wsdl(), Binding::Soap).unwrap();
        assert_eq!(
            operations(&sim, &required, Binding::Soap).status,
            Status::Ok
        );
        let old = wsdl_operations(&wsdl_2017(), Binding::Form).unwrap();
        let check = operations(&old, &required, Binding::Form);
        assert_eq!(check.status, Status::Warn, "{check}");
        assert!(check.detail.contains("but Login"), "{check}");
        let mut few = old.clone();
        few.remove("UpdateContact");
        let check = operations(&few, &required, Binding::Form);
        assert_eq!(check.status, Status::Fail);
        assert!(check.detail.contains("Login, UpdateContact"), "{check}");
    }

    #[test]
    fn the_probe_accepts_a_not_logged_fault_only() {
        let fault = |message: &str| {
            neotel_api::Error::Platform(neotel_api::Fault::classify("Position", message))
        };
        assert_eq!(
            position_probe(
                Err(fault("User cti-doctor-probe not logged.")),
                Binding::Form
            )
            .status,
            Status::Ok
        );
        assert_eq!(position_probe(Ok(()), Binding::Form).status, Status::Ok);
        assert_eq!(
            position_probe(Err(fault("Object reference not set")), Binding::Form).status,
            Status::Fail
        );
        assert_eq!(
            position_probe(Err(neotel_api::Error::Timeout), Binding::Get).status,
            Status::Fail
        );
    }

    fn generated(adapter: &str) -> String {
        crate::callcenter::generate(adapter, None, None, None).unwrap()
    }

    #[test]
    fn the_call_center_must_point_at_public_url() {
        let xml = generated("https://cti.example.com/softphone/");
        let checks = callcenter("cc.xml", &xml, Some("https://cti.example.com"));
        assert!(checks.iter().all(|c| c.status == Status::Ok), "{checks:?}");
        let checks = callcenter("cc.xml", &xml, Some("https://cti.other.com"));
        let (status, line) = status_of(&checks, "call center adapter URL");
        assert_eq!(status, Status::Fail);
        assert!(
            line.contains(
                "https://cti.example.com/softphone/ is not https://cti.other.com/softphone/"
            ),
            "{line}"
        );
        let broken = xml.replace(
            "https://cti.example.com/softphone/",
            "http://cti.example.com/softphone/",
        );
        let checks = callcenter("cc.xml", &broken, Some("https://cti.example.com"));
        assert_eq!(status_of(&checks, "call center").0, Status::Fail);
        assert_eq!(
            status_of(&checks, "call center adapter URL").0,
            Status::Fail
        );
        let checks = callcenter("cc.xml", "<nope", Some("https://cti.example.com"));
        assert!(
            checks.iter().all(|c| c.status == Status::Fail),
            "{checks:?}"
        );
    }

    fn origins(list: &[&str]) -> Check {
        allowed_origins(&list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn origins_are_an_orgs_lightning_and_my_domain_pair() {
        let ok = origins(&[
            "https://acme.lightning.force.com",
            "https://acme.my.salesforce.com",
        ]);
        assert_eq!(ok.status, Status::Ok, "{ok}");
        let sandbox = origins(&[
            "https://acme--uat.sandbox.lightning.force.com",
            "https://acme--uat.sandbox.my.salesforce.com",
        ]);
        assert_eq!(sandbox.status, Status::Ok, "{sandbox}");
        let half = origins(&["https://acme.lightning.force.com"]);
        assert_eq!(half.status, Status::Warn);
        assert!(
            half.detail.contains("https://acme.my.salesforce.com"),
            "{half}"
        );
        let vf = origins(&["https://acme--c.vf.force.com"]);
        assert_eq!(vf.status, Status::Warn, "{vf}");
        let plain = origins(&[
            "http://acme.lightning.force.com",
            "https://acme.my.salesforce.com",
        ]);
        assert_eq!(plain.status, Status::Fail);
        assert!(plain.detail.contains("not https"), "{plain}");
        let foreign = origins(&["https://evil.example.com"]);
        assert_eq!(foreign.status, Status::Fail);
        assert!(
            foreign.detail.contains("not a Salesforce domain"),
            "{foreign}"
        );
        let lookalike = origins(&["https://acme.lightning.force.com.evil.com"]);
        assert_eq!(lookalike.status, Status::Fail);
        assert_eq!(origins(&[]).status, Status::Fail);
    }

    #[test]
    fn the_data_dir_must_exist_and_take_a_file() {
        let dir = std::env::temp_dir().join(format!("cti-doctor-data-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let missing = data_dir(&dir);
        assert_eq!(missing.status, Status::Fail);
        assert!(missing.detail.contains("does not exist"), "{missing}");
        std::fs::create_dir_all(&dir).unwrap();
        let check = data_dir(&dir);
        assert_ne!(check.status, Status::Fail, "{check}");
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            0,
            "the probe is removed"
        );
        let file = dir.join("f");
        std::fs::write(&file, "").unwrap();
        assert_eq!(data_dir(&file).status, Status::Fail);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_open_files_limit_is_sized_by_max_agents() {
        assert_eq!(open_files_needed(2000), 8256);
        assert_eq!(open_files(2000, 65536, 65536).status, Status::Ok);
        let raised = open_files(2000, 1024, 524_288);
        assert_eq!(raised.status, Status::Ok);
        assert!(
            raised.detail.contains("raises its soft limit 1024"),
            "{raised}"
        );
        let low = open_files(2000, 1024, 4096);
        assert_eq!(low.status, Status::Fail);
        assert!(low.to_string().contains("lower max_agents to 960"), "{low}");
    }
}
