//! `cti-server doctor` as an operator runs it: the binary against the Neotel simulator over
//! real HTTP, with generated certificates and call center files in a temp dir.
//!
//! By default it runs the binary cargo built. `scripts/test-deb` runs the same cases against
//! the installed package: `CTI_TEST_DOCTOR_BIN` names the binary, `CTI_TEST_DOCTOR_CONFIG` the
//! configuration file (the package's, whose `data_dir` is `/var/lib/cti-server`) and
//! `CTI_TEST_DOCTOR_USER` the user to run it as (the service's, through `runuser`).

use std::path::{Path, PathBuf};
use std::process::Output;

use neotel_sim::{Scenario, SimServer};

/// A throwaway directory, removed on drop; readable by the service's user when the doctor runs
/// as that user.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("cti-doctor-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("a temp dir");
        Self(path)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("a temp file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A CA and certificates it signs.
struct Ca(rcgen::CertifiedIssuer<'static, rcgen::KeyPair>);

impl Ca {
    fn new() -> Self {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Doctor Test CA");
        let key = rcgen::KeyPair::generate().expect("a key");
        Self(rcgen::CertifiedIssuer::self_signed(params, key).expect("a CA"))
    }

    /// A certificate for `host`, valid from `from` to `until` (year, month, day); PEM cert and key.
    fn issue(&self, host: &str, from: (i32, u8, u8), until: (i32, u8, u8)) -> (String, String) {
        let mut params = rcgen::CertificateParams::new(vec![host.to_owned()]).expect("params");
        params.not_before = rcgen::date_time_ymd(from.0, from.1, from.2);
        params.not_after = rcgen::date_time_ymd(until.0, until.1, until.2);
        let key = rcgen::KeyPair::generate().expect("a key");
        let cert = params.signed_by(&key, &self.0).expect("signed");
        (cert.pem(), key.serialize_pem())
    }
}

/// Everything a case needs: the simulator, the files, and how to run the doctor.
struct Install {
    sim: SimServer,
    dir: TempDir,
    cert: PathBuf,
    key: PathBuf,
    callcenter: PathBuf,
}

const PUBLIC_URL: &str = "https://localhost:8443";
const ORIGINS: &str = "https://acme.lightning.force.com,https://acme.my.salesforce.com";

impl Install {
    async fn new(name: &str) -> Self {
        let sim = SimServer::start(
            "127.0.0.1:0".parse().expect("an address"),
            Scenario::default_scenario(),
        )
        .await
        .expect("the simulator starts");
        let dir = TempDir::new(name);
        let (cert, key) = Ca::new().issue("localhost", (2024, 1, 1), (4000, 1, 1));
        let cert = dir.write("fullchain.pem", &cert);
        let key = dir.write("privkey.pem", &key);
        let xml =
            cti_server::callcenter::generate(&format!("{PUBLIC_URL}/softphone/"), None, None, None)
                .expect("a call center file");
        let callcenter = dir.write("callcenter.xml", &xml);
        std::fs::create_dir_all(dir.0.join("data")).expect("a data dir");
        Self {
            sim,
            dir,
            cert,
            key,
            callcenter,
        }
    }

    /// The flags of a healthy install, by flag.
    fn flags(&self) -> Vec<(&'static str, Vec<String>)> {
        let mut flags = vec![
            ("--neoapi-url", vec![self.sim.base_url()]),
            ("--public-url", vec![PUBLIC_URL.to_owned()]),
            ("--allowed-origins", vec![ORIGINS.to_owned()]),
            ("--tls-cert", vec![path(&self.cert)]),
            ("--tls-key", vec![path(&self.key)]),
            ("--callcenter", vec![path(&self.callcenter)]),
        ];
        match std::env::var("CTI_TEST_DOCTOR_CONFIG") {
            Ok(config) => flags.push(("--config", vec![config])),
            Err(_) => {
                // the example's lists and tasks are the simulator's (NeoApi's URL needs them)
                let example = concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.toml");
                flags.push(("--config", vec![example.to_owned()]));
                flags.push(("--data-dir", vec![path(&self.dir.0.join("data"))]));
            }
        }
        flags
    }

    /// Runs `doctor` with the healthy flags, `changes` replacing or adding some.
    async fn doctor(&self, changes: &[(&'static str, &[&str])], password: Option<&str>) -> Run {
        let mut flags = self.flags();
        for (flag, values) in changes {
            let values = values.iter().map(|v| (*v).to_owned()).collect();
            match flags.iter_mut().find(|(f, _)| f == flag) {
                Some(entry) => entry.1 = values,
                None => flags.push((flag, values)),
            }
        }
        let mut args = vec!["doctor".to_owned()];
        for (flag, values) in flags {
            args.push(flag.to_owned());
            args.extend(values);
        }
        doctor(&args, password).await
    }
}

fn path(p: &Path) -> String {
    p.to_str().expect("temp paths are UTF-8").to_owned()
}

/// One run of the doctor.
struct Run {
    output: Output,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The line of check `name` (after its status).
    fn line(&self, name: &str) -> &str {
        self.stdout
            .lines()
            .find(|l| {
                l.get(5..)
                    .is_some_and(|rest| rest.starts_with(&format!("{name}:")))
            })
            .unwrap_or_else(|| panic!("no `{name}` line in\n{}", self.stdout))
    }

    fn assert_line(&self, name: &str, status: &str, needle: &str) {
        let line = self.line(name);
        assert!(
            line.starts_with(status) && line.contains(needle),
            "expected `{status} {name}: …{needle}…`, got\n{line}\nin\n{}",
            self.stdout
        );
    }

    fn assert_failed(&self) {
        assert_eq!(
            self.output.status.code(),
            Some(1),
            "the doctor must exit 1 on a FAIL:\n{}\n{}",
            self.stdout,
            self.stderr
        );
    }
}

async fn doctor(args: &[String], password: Option<&str>) -> Run {
    let bin = std::env::var("CTI_TEST_DOCTOR_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_cti-server").to_owned());
    let mut command = match std::env::var("CTI_TEST_DOCTOR_USER") {
        Ok(user) => {
            let mut c = tokio::process::Command::new("runuser");
            c.args(["-u", &user, "--", &bin]);
            c
        }
        Err(_) => tokio::process::Command::new(&bin),
    };
    command
        .args(args)
        .env_remove("CTI_DOCTOR_PASSWORD")
        .env("RUST_LOG", "debug")
        .stdin(std::process::Stdio::null());
    if let Some(p) = password {
        command.env("CTI_DOCTOR_PASSWORD", p);
    }
    let output = command.output().await.expect("the doctor runs");
    Run {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        output,
    }
}

#[tokio::test]
async fn a_healthy_install_passes_every_check() {
    let install = Install::new("healthy").await;
    let run = install
        .doctor(&[("--login", &["SIP/1001", "1001"])], Some("1001"))
        .await;
    assert_eq!(
        run.output.status.code(),
        Some(0),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    for line in run.stdout.lines().filter(|l| !l.ends_with("failed")) {
        assert!(line.starts_with("ok "), "not ok: {line}\n{}", run.stdout);
    }
    run.assert_line("configuration", "ok", "loads");
    run.assert_line("public_url", "ok", PUBLIC_URL);
    run.assert_line("tls certificate and key", "ok", "load and match");
    run.assert_line("tls name", "ok", "valid for localhost");
    run.assert_line("tls issuer", "ok", "Doctor Test CA");
    run.assert_line("tls expiry", "ok", "valid until 4000-01-01");
    run.assert_line(
        "neoapi reachable",
        "ok",
        &format!("{}/neoapi/webservice.asmx?WSDL", install.sim.base_url()),
    );
    run.assert_line(
        "neoapi operations",
        "ok",
        "HTTP POST (form) binding offers all",
    );
    run.assert_line("neoapi call", "ok", "not logged");
    run.assert_line("neoapi login", "ok", "Login and Logout as 1001 on SIP/1001");
    run.assert_line("call center", "ok", "checks clean");
    run.assert_line(
        "call center adapter URL",
        "ok",
        "https://localhost:8443/softphone/",
    );
    run.assert_line("allowed_origins", "ok", "acme");
    run.assert_line("data_dir", "ok", "is writable");
    run.assert_line("open files", "ok", "max_agents = 2000");

    // The probe and the login reached NeoApi, in the form binding.
    let journal: Vec<serde_json::Value> =
        reqwest::get(format!("{}/sim/journal", install.sim.base_url()))
            .await
            .expect("the journal")
            .json()
            .await
            .expect("JSON");
    let calls: Vec<(&str, &str)> = journal
        .iter()
        .map(|e| {
            (
                e["method"].as_str().unwrap_or_default(),
                e["binding"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        calls,
        [("Position", "post"), ("Login", "post"), ("Logout", "post")],
        "{journal:?}"
    );
}

#[tokio::test]
async fn the_soap_binding_is_checked_in_its_own_binding() {
    let install = Install::new("soap").await;
    let run = install
        .doctor(&[("--neoapi-binding", &["soap"])], None)
        .await;
    run.assert_line("neoapi operations", "ok", "SOAP 1.1 binding");
    run.assert_line("neoapi call", "ok", "through SOAP 1.1");
    run.assert_line("neoapi login", "skip", "--login");
}

#[tokio::test]
async fn a_wrong_neoapi_path_fails_naming_neoapi_path() {
    let install = Install::new("path").await;
    // A typo: the simulator, like IIS, answers 404 for a path that is not the service.
    let run = install
        .doctor(&[("--neoapi-path", &["/neoapi/webservices.asmx"])], None)
        .await;
    run.assert_failed();
    run.assert_line("neoapi reachable", "FAIL", "answered 404");
    run.assert_line("neoapi reachable", "FAIL", "neoapi.path is probably wrong");
}

#[tokio::test]
async fn an_unreachable_neoapi_fails_naming_the_url() {
    let install = Install::new("unreachable").await;
    // A port nobody listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let run = install.doctor(&[("--neoapi-url", &[&url])], None).await;
    run.assert_failed();
    run.assert_line("neoapi reachable", "FAIL", &format!("cannot reach {url}"));
}

#[tokio::test]
async fn an_expired_certificate_fails_naming_its_date() {
    let install = Install::new("expired").await;
    let (cert, key) = Ca::new().issue("localhost", (2020, 1, 1), (2021, 6, 30));
    let cert = install.dir.write("expired.pem", &cert);
    let key = install.dir.write("expired-key.pem", &key);
    let run = install
        .doctor(
            &[
                ("--tls-cert", &[&path(&cert)]),
                ("--tls-key", &[&path(&key)]),
            ],
            None,
        )
        .await;
    run.assert_failed();
    run.assert_line("tls expiry", "FAIL", "expired on 2021-06-30");
    run.assert_line("tls name", "ok", "localhost");
}

#[tokio::test]
async fn a_certificate_for_another_host_or_key_fails() {
    let install = Install::new("otherhost").await;
    let ca = Ca::new();
    let (cert, key) = ca.issue("cti.example.com", (2024, 1, 1), (4000, 1, 1));
    let cert = install.dir.write("other.pem", &cert);
    let key_path = install.dir.write("other-key.pem", &key);
    let run = install
        .doctor(
            &[
                ("--tls-cert", &[&path(&cert)]),
                ("--tls-key", &[&path(&key_path)]),
            ],
            None,
        )
        .await;
    run.assert_failed();
    run.assert_line("tls name", "FAIL", "not valid for localhost");
    run.assert_line("tls name", "FAIL", "cti.example.com");

    // The right certificate with another certificate's key.
    let run = install
        .doctor(&[("--tls-key", &[&path(&key_path)])], None)
        .await;
    run.assert_failed();
    run.assert_line("tls certificate and key", "FAIL", "does not match");
}

#[tokio::test]
async fn a_wrong_adapter_url_fails_naming_the_expected_one() {
    let install = Install::new("adapter").await;
    let xml =
        cti_server::callcenter::generate("https://cti.example.com/softphone/", None, None, None)
            .expect("a call center file");
    let file = install.dir.write("wrong-adapter.xml", &xml);
    let run = install
        .doctor(&[("--callcenter", &[&path(&file)])], None)
        .await;
    run.assert_failed();
    run.assert_line("call center", "ok", "checks clean");
    run.assert_line(
        "call center adapter URL",
        "FAIL",
        "https://cti.example.com/softphone/ is not https://localhost:8443/softphone/",
    );
}

#[tokio::test]
async fn a_wrong_password_fails_and_is_never_printed() {
    let install = Install::new("password").await;
    let secret = "s3cret-not-1001";
    let run = install
        .doctor(&[("--login", &["SIP/1002", "1002"])], Some(secret))
        .await;
    run.assert_failed();
    run.assert_line("neoapi login", "FAIL", "Invalid user or password");
    assert!(
        !run.stdout.contains(secret) && !run.stderr.contains(secret),
        "the password leaked:\n{}\n{}",
        run.stdout,
        run.stderr
    );

    // No variable and no terminal: the login check says how to give it.
    let run = install
        .doctor(&[("--login", &["SIP/1002", "1002"])], None)
        .await;
    run.assert_line("neoapi login", "FAIL", "CTI_DOCTOR_PASSWORD");
}

#[tokio::test]
async fn origins_of_another_site_and_a_bad_config_fail() {
    let install = Install::new("origins").await;
    let run = install
        .doctor(
            &[(
                "--allowed-origins",
                &["https://acme.lightning.force.com,https://intranet.example.com"],
            )],
            None,
        )
        .await;
    run.assert_failed();
    run.assert_line(
        "allowed_origins",
        "FAIL",
        "https://intranet.example.com is not a Salesforce domain",
    );

    let run = install
        .doctor(&[("--poll-interval-ms", &["5"])], None)
        .await;
    run.assert_failed();
    run.assert_line("configuration", "FAIL", "poll_interval_ms");
}
