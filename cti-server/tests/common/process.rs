//! The server as its own process (the built `cti-server` binary) against a simulator in the
//! test's process, so a test can stop it (SIGTERM), kill it (SIGKILL) and start it again on
//! the same ports and data directory while Neotel's state (the simulator) lives on.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use neotel_sim::{Scenario, SimServer};
use serde_json::{Value, json};

use super::Ws;

/// A free loopback port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// The simulator, in the test's process (it outlives every server restart).
pub struct Sim {
    server: SimServer,
    pub http: reqwest::Client,
}

impl Sim {
    pub async fn start() -> Self {
        Self::with(Scenario::default_scenario()).await
    }

    pub async fn with(scenario: Scenario) -> Self {
        let server = SimServer::start("127.0.0.1:0".parse().expect("an address"), scenario)
            .await
            .expect("the simulator starts");
        Self {
            server,
            http: reqwest::Client::new(),
        }
    }

    pub fn url(&self) -> String {
        self.server.base_url()
    }

    pub async fn get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.url()))
            .send()
            .await
            .expect("the simulator answers")
            .json()
            .await
            .expect("JSON")
    }

    /// POSTs JSON to the control API; a 4xx/5xx fails the test.
    pub async fn post(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(format!("{}{path}", self.url()))
            .json(&body)
            .send()
            .await
            .expect("the simulator answers");
        let status = response.status();
        let value: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path} → {status}: {value}");
        value
    }

    pub async fn clear_faults(&self) {
        self.http
            .delete(format!("{}/sim/faults", self.url()))
            .send()
            .await
            .expect("the simulator answers");
    }

    /// Calls of `method` the simulator applied.
    pub async fn applied(&self, method: &str) -> u64 {
        self.get("/sim/applied").await[method.to_ascii_lowercase()]
            .as_u64()
            .unwrap_or_default()
    }

    /// The methods the simulator received for `user`, in order.
    pub async fn calls_of(&self, user: &str) -> Vec<String> {
        self.get("/sim/journal")
            .await
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["params"]["USUARIO"] == user)
            .filter_map(|e| e["method"].as_str().map(str::to_owned))
            .collect()
    }

    pub async fn outcomes(&self) -> Vec<Value> {
        self.get("/sim/outcomes")
            .await
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

/// The `cti-server` binary, run with `args`, restartable on the same ports and data.
pub struct ServerProcess {
    child: Option<Child>,
    args: Vec<String>,
    pub port: u16,
    pub data: PathBuf,
    /// Where every run's log goes (appended), when not to the test's stderr.
    log: Option<PathBuf>,
}

impl ServerProcess {
    /// A server whose NeoApi is `sim`, on a free port, its data in `data`.
    pub async fn start(sim: &Sim, data: &Path, extra: &[&str]) -> Self {
        Self::start_on(&sim.url(), data, extra).await
    }

    /// A server whose NeoApi is at `neoapi` (the simulator, or a relay to it), on a free port,
    /// its data in `data`.
    pub async fn start_on(neoapi: &str, data: &Path, extra: &[&str]) -> Self {
        Self::start_logged(neoapi, data, extra, None).await
    }

    /// As [`Self::start_on`], every run's log appended to `log` (for a test that reads what
    /// the server logged across kills and restarts).
    pub async fn start_logged(
        neoapi: &str,
        data: &Path,
        extra: &[&str],
        log: Option<&Path>,
    ) -> Self {
        let port = free_port();
        let mut args: Vec<String> = [
            // the example's lists and tasks are the simulator's (NeoApi's URL needs them)
            "--config",
            concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.toml"),
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--neoapi-url",
            neoapi,
            "--poll-interval-ms",
            "200",
            "--data-dir",
            &data.display().to_string(),
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        args.extend(extra.iter().map(ToString::to_string));
        let mut server = Self {
            child: None,
            args,
            port,
            data: data.to_owned(),
            log: log.map(Path::to_owned),
        };
        server.spawn().await;
        server
    }

    /// Starts the process and waits until it answers `/healthz`.
    pub async fn spawn(&mut self) {
        let child = Command::new(env!("CARGO_BIN_EXE_cti-server"))
            .args(&self.args)
            // CTI_TEST_LOG=info,cti_server=debug shows what the servers did, to debug a test.
            .env(
                "RUST_LOG",
                std::env::var("CTI_TEST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(Stdio::null())
            .stderr(match &self.log {
                Some(path) => Stdio::from(
                    std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(path)
                        .expect("the server's log file"),
                ),
                None => Stdio::inherit(),
            })
            .spawn()
            .expect("the server binary starts");
        self.child = Some(child);
        let http = reqwest::Client::new();
        for _ in 0..200 {
            if http
                .get(format!("{}/healthz", self.url()))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server did not answer /healthz within 10 s");
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("running").id();
        let status = Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {signal} {pid}");
    }

    /// SIGKILL: the process dies at once, nothing of it runs.
    pub fn kill(&mut self) {
        self.signal("-KILL");
        let mut child = self.child.take().expect("running");
        let _ = child.wait();
    }

    /// SIGTERM (a deploy), waiting for the process to exit.
    pub fn terminate(&mut self) {
        self.signal("-TERM");
        let mut child = self.child.take().expect("running");
        let status = child.wait().expect("it exits");
        assert!(status.success(), "a stop is a clean exit: {status}");
    }

    /// A browser tab of the softphone (the server's own origin).
    pub async fn tab(&self) -> Ws {
        Ws::connect(&format!("ws://127.0.0.1:{}/ws", self.port), &self.url()).await
    }

    /// A tab logged in as `user` (password = user, device `SIP/user`); its token.
    pub async fn logged_in(&self, user: &str) -> (Ws, String) {
        let mut tab = self.tab().await;
        let session = tab.login(user, user, &format!("SIP/{user}")).await;
        assert_eq!(session["type"], "session", "{session}");
        let token = session["token"].as_str().expect("a token").to_owned();
        (tab, token)
    }

    /// A tab attached with `token`; the first message it gets.
    pub async fn attached(&self, token: &str) -> (Ws, Value) {
        let mut tab = self.tab().await;
        tab.send(json!({"v":1,"type":"attach","token":token})).await;
        let first = tab.recv().await;
        (tab, first)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
