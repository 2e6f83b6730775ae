//! NeoApi: the WSDL at `neoapi.path`, every operation the connector calls in the binding it
//! uses, a real `Position` call, and optionally a test `Login`/`Logout`.

use std::collections::BTreeSet;

use neotel_api::{FaultKind, Password, Request, error_chain};

use super::report::Check;
use crate::config::{Binding, Config, ListSource, NeoApiConfig};
use crate::metrics::Metrics;
use crate::neoapi::NeoApi;

/// The user the NeoApi probe asks `Position` for: no agent has this name, so a real NeoApi
/// answers its "not logged" fault, which proves the endpoint is NeoApi.
pub const PROBE_USER: &str = "cti-doctor-probe";

/// The environment variable `--login` reads the agent's password from (never a flag value,
/// so it stays out of shell history and process lists).
pub const PASSWORD_ENV: &str = "CTI_DOCTOR_PASSWORD";

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
        ListSource::Task(t) => Some((i64::from(t.task), &t.params)),
        ListSource::Static(_) => None,
    })
    .chain(
        [
            &tasks.monitor_start,
            &tasks.monitor_stop,
            &tasks.send_text,
            &tasks.find_contact,
            &tasks.contact_outcome,
        ]
        .map(|t| (t.id, &t.params)),
    );
    for (id, params) in task_calls {
        if let Ok(r) = Request::execute_task(id, params.clone()) {
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

pub(super) async fn neoapi_checks(
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
    let neoapi = match NeoApi::new(neo) {
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
    let metrics = Metrics::new();
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

async fn login_probe(neoapi: &NeoApi, metrics: &Metrics, probe: &LoginProbe) -> Check {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::report::Status;

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
}
