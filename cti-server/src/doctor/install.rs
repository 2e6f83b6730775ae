//! The rest of an install: the call center file and its adapter URL, `allowed_origins`, the
//! data directory and the open-files limit for `max_agents`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::report::Check;
use crate::config::Config;

/// File descriptors one agent may hold: its leader WebSocket, a second tab or reconnect in
/// progress, and up to two NeoApi connections in flight (a `Position` poll and a command).
pub const OPEN_FILES_PER_AGENT: u64 = 4;

/// File descriptors the server holds whatever the agents: listeners, the runtime's event
/// queues, logs, TLS files, the data directory, handshakes in progress.
pub const OPEN_FILES_RESERVE: u64 = 256;

/// The call center file checks clean and points at `{public_url}/softphone/`.
pub(super) fn callcenter_checks(file: Option<&PathBuf>, public_url: Option<&str>) -> Vec<Check> {
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

pub(super) fn open_files_check(config: &Config) -> Check {
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
    use crate::doctor::report::{Status, status_of};

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
