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
//! The decisions are pure functions of what was read, one file per group of checks (each
//! unit-tested there); [`run`] does the I/O.

mod https;
mod install;
mod neotel;
mod report;
mod voice;

use std::path::PathBuf;

use neotel_api::Password;

pub use https::{CERT_MIN_DAYS_LEFT, PublicUrl, certificate, public_url};
pub use install::{
    OPEN_FILES_PER_AGENT, OPEN_FILES_RESERVE, allowed_origins, callcenter, data_dir, open_files,
    open_files_needed, raise_open_files_limit,
};
pub use neotel::{
    LoginProbe, PASSWORD_ENV, PROBE_USER, operations, position_probe, required_operations,
    wsdl_operations,
};
pub use report::{Check, Report, Status};

use crate::config::{self, Sources};

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
    checks.extend(https::tls_checks(
        &config,
        public.host.as_deref(),
        unix_now(),
    ));
    match &config.neoapi {
        None => checks.push(Check::fail(
            "neoapi",
            "neoapi.url is not set: the server would run its demo (simulator and stand-in)",
            "set neoapi.url to the NeoApi base URL, e.g. http://neotel.internal",
        )),
        Some(neo) => {
            checks.extend(neotel::neoapi_checks(neo, &config, options.login.as_ref()).await);
        }
    }
    checks.extend(install::callcenter_checks(
        options
            .callcenter
            .as_ref()
            .or(config.callcenter.file.as_ref()),
        config.public_url.as_deref(),
    ));
    checks.push(allowed_origins(&config.allowed_origins));
    checks.push(data_dir(&config.data_dir));
    checks.push(install::open_files_check(&config));
    checks.extend(voice::voice_checks(&config));
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
