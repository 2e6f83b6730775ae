//! The Salesforce Voice variant of the harness: the server in demo mode with
//! `demo.surface = voice` (both listeners over HTTPS, a certificate made at start), Chromium
//! mapping the stand-in host's Salesforce name to loopback and taking that certificate, the
//! stand-in host (`cti-server/web/standin-voice/`) framing the real connector page `/scv/`.
//!
//! Scenarios act as Salesforce does, through the host's messages (`window.standin`: its
//! buttons' `act`, its scripted sequences' `run`), and as the agent does in the connector's own
//! login form; they assert what the connector published to the host (telephony events, the
//! results of Salesforce's calls) and what reached Neotel (the simulator's journal), never
//! Neotel's Lightning components' pops, so they hold with or without those components.

use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};

use super::{Driver, ServerProcess, Stack, TICK, WAIT, binary, free_port};

/// The stand-in host's Salesforce host name (`cti-server/src/demo.rs`).
pub const VOICE_HOST: &str = "standin.lightning.force.com";
/// The stand-in's presence "Available" (`host-scripts.js`), the demo's `available_status`.
pub const AVAILABLE: &str = "0N5000000000001";
/// The stand-in's presence "Break - Lunch", the demo's status for Neotel's break 12.
pub const LUNCH: &str = "0N5000000000002";
/// Neotel's break "Almuerzo" in the simulator's scenario.
pub const LUNCH_BREAK: i64 = 12;

/// A scenario's world on Salesforce Voice: everything [`Stack`] has (journal, simulator,
/// frames, screenshots, kill and restart), with the stand-in Voice host open.
pub struct VoiceStack {
    stack: Stack,
    /// The stand-in host's port (any `*.lightning.force.com` name reaches it).
    standin_port: u16,
    /// This browser's chromedriver (for what WebDriver has no command for: its logs).
    webdriver: String,
}

impl Deref for VoiceStack {
    type Target = Stack;

    fn deref(&self) -> &Stack {
        &self.stack
    }
}

impl DerefMut for VoiceStack {
    fn deref_mut(&mut self) -> &mut Stack {
        &mut self.stack
    }
}

/// Chromium for the Voice host: every `*.lightning.force.com` name mapped to loopback (the
/// stand-in's, and a foreign org's for the framing check), the demo's certificate taken (the
/// flag and WebDriver's `acceptInsecureCerts`), its own profile, the network log kept (what the
/// pages' WebSockets carried). `one_process`: the connector's frame in the console's process
/// (Chromium isolates a cross-site frame, and logs the network of the console's process only).
/// Returns the chromedriver's URL too.
async fn open_voice_browser(
    name: &str,
    chromium: &Path,
    chromedriver: &Path,
    one_process: bool,
) -> (Driver, Client, String) {
    use std::os::unix::process::CommandExt as _;
    let port = free_port();
    let profile = std::env::temp_dir().join(format!(
        "cti-browser-voice-{name}-{}-{port}",
        std::process::id()
    ));
    let child = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{} does not start: {e}", chromedriver.display()));
    let driver = Driver {
        child,
        profile: profile.clone(),
    };
    let mut args = vec![
        "--headless".to_owned(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--disable-dev-shm-usage".into(),
        "--window-size=1500,1000".into(),
        "--host-resolver-rules=MAP *.lightning.force.com 127.0.0.1".into(),
        "--ignore-certificate-errors".into(),
        format!("--user-data-dir={}", profile.display()),
    ];
    if one_process {
        args.push("--disable-site-isolation-trials".into());
        args.push("--disable-features=IsolateOrigins,site-per-process".into());
    }
    let mut caps = serde_json::Map::new();
    caps.insert("acceptInsecureCerts".into(), json!(true));
    caps.insert("goog:loggingPrefs".into(), json!({"performance": "ALL"}));
    caps.insert(
        "goog:chromeOptions".into(),
        json!({"binary": chromium, "args": args}),
    );
    let webdriver = format!("http://127.0.0.1:{port}");
    let _ = rustls::crypto::ring::default_provider().install_default();
    for _ in 0..100 {
        if let Ok(c) = ClientBuilder::rustls()
            .expect("rustls")
            .capabilities(caps.clone())
            .connect(&webdriver)
            .await
        {
            return (driver, c, webdriver);
        }
        tokio::time::sleep(TICK).await;
    }
    panic!("chromedriver accepts a session within 10 s");
}

/// The harness's own HTTP client: the Voice demo's listeners have a certificate made at start.
fn insecure_http() -> reqwest::Client {
    reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .expect("an HTTP client")
}

/// The stand-in host's page on `host:port` framing the connector page of the server at
/// `server_url`, without Neotel's Lightning components (the scenarios assert what the connector
/// publishes, with or without them; a host that has no such switch ignores the parameter).
fn host_url(host: &str, port: u16, server_url: &str) -> String {
    let connector = format!("{server_url}/scv/")
        .replace(':', "%3A")
        .replace('/', "%2F");
    format!("https://{host}:{port}/standin-voice/?connector={connector}&lightning=off")
}

fn browsers() -> Option<(PathBuf, PathBuf)> {
    let chromium = binary(
        "CHROMIUM",
        &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
    );
    let chromedriver = binary("CHROMEDRIVER", &["/usr/bin/chromedriver"]);
    chromium.zip(chromedriver)
}

impl VoiceStack {
    /// The server in this process on Salesforce Voice, the host open (the connector shows its
    /// login form), or `None` (with a note) when Chromium is not installed outside CI.
    pub async fn start(name: &str) -> Option<Self> {
        Self::launch(name, false, false).await
    }

    /// As [`VoiceStack::start`], the connector's frame in the console's process, so that
    /// [`VoiceStack::network_log`] holds its WebSocket too.
    pub async fn start_logging_network(name: &str) -> Option<Self> {
        Self::launch(name, false, true).await
    }

    /// As [`VoiceStack::start`], the server as its own process (`kill_server`,
    /// `restart_server` on the same ports and data directory).
    pub async fn start_process(name: &str) -> Option<Self> {
        Self::launch(name, true, false).await
    }

    async fn launch(name: &str, process: bool, one_process: bool) -> Option<Self> {
        let Some((chromium, chromedriver)) = browsers() else {
            assert!(
                std::env::var_os("CI").is_none(),
                "Chromium or chromedriver is missing: scripts/install-test-deps installs them"
            );
            eprintln!("skipping {name}: no Chromium (run scripts/install-test-deps)");
            return None;
        };
        let data = tempfile::tempdir().expect("a temporary data directory");
        let (standin_port, sim, server_url, stop, task, process) = if process {
            let sim_server = neotel_sim::SimServer::start(
                "127.0.0.1:0".parse().expect("an address"),
                neotel_sim::Scenario::default_scenario(),
            )
            .await
            .expect("the simulator starts");
            let sim = sim_server.base_url();
            let (listen, standin) = (free_port(), free_port());
            let args = [
                "--listen",
                &format!("127.0.0.1:{listen}"),
                "--standin-listen",
                &format!("127.0.0.1:{standin}"),
                "--demo-surface",
                "voice",
                "--demo-sim-url",
                &sim,
                "--poll-interval-ms",
                "200",
                "--data-dir",
                &data.path().display().to_string(),
            ]
            .iter()
            .map(ToString::to_string)
            .collect();
            let mut server = ServerProcess {
                child: None,
                args,
                health: format!("https://127.0.0.1:{listen}/healthz"),
                _sim: sim_server,
            };
            server.spawn().await;
            let server_url = format!("https://127.0.0.1:{listen}");
            (standin, sim, server_url, None, None, Some(server))
        } else {
            let mut config = cti_server::config::Config::defaults();
            config.listen = "127.0.0.1:0".parse().expect("an address");
            config.standin_listen = "127.0.0.1:0".parse().expect("an address");
            config.poll_interval = Duration::from_millis(200);
            config.data_dir = data.path().to_owned();
            config.demo_surface = cti_server::config::DemoSurface::Voice;
            let server = cti_server::Server::bind(config)
                .await
                .expect("the server binds");
            let standin = server.standin_addr().expect("demo mode has a stand-in");
            let sim = server.sim_url().expect("demo mode has a simulator");
            let server_url = format!("https://{}", server.local_addr());
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let task = tokio::spawn(server.run(async move {
                let _ = stopped.await;
            }));
            (
                standin.port(),
                sim,
                server_url,
                Some(stop),
                Some(task),
                None,
            )
        };
        let (driver, client, webdriver) =
            open_voice_browser(name, &chromium, &chromedriver, one_process).await;
        let stack = Stack {
            name: name.to_owned(),
            client,
            standin_url: host_url(VOICE_HOST, standin_port, &server_url),
            server_url,
            sim,
            http: insecure_http(),
            driver,
            stop,
            task,
            process,
            _data: data,
        };
        let voice = Self {
            stack,
            standin_port,
            webdriver,
        };
        voice.open_host().await;
        Some(voice)
    }

    /// Another person's Chromium (its own profile, so its own connector token) on the same
    /// server, with the host open. Stop it with [`VoiceStack::stop`] before this stack.
    pub async fn second_browser(&self, name: &str) -> Self {
        let (chromium, chromedriver) = browsers().expect("the first browser found Chromium");
        let (driver, client, webdriver) =
            open_voice_browser(name, &chromium, &chromedriver, false).await;
        let stack = Stack {
            name: name.to_owned(),
            client,
            standin_url: self.standin_url.clone(),
            server_url: self.server_url.clone(),
            sim: self.sim.clone(),
            http: insecure_http(),
            driver,
            stop: None,
            task: None,
            process: None,
            _data: tempfile::tempdir().expect("a temporary directory"),
        };
        let voice = Self {
            stack,
            standin_port: self.standin_port,
            webdriver,
        };
        voice.open_host().await;
        voice
    }

    /// The host page as an org on `host` (a `*.lightning.force.com` name) would frame the
    /// connector.
    pub fn host_url_as(&self, host: &str) -> String {
        host_url(host, self.standin_port, &self.server_url)
    }

    /// Waits until the connector says it is connected again (its status line empties when
    /// its WebSocket opens; what it sends after goes after its attach) and the server counts
    /// the page's connection.
    pub async fn wait_reconnected(&self) {
        self.connector_frame().await;
        self.wait_text("[data-testid=status]", str::is_empty).await;
        self.console().await;
        self.wait_connections(1.0).await;
    }

    /// The `frame-ancestors` sources of the connector page's `Content-Security-Policy`.
    pub async fn framing_policy(&self) -> Vec<String> {
        let page = self
            .http
            .get(format!("{}/scv/", self.server_url))
            .send()
            .await
            .expect("the server answers");
        assert!(page.status().is_success(), "/scv/ → {}", page.status());
        let csp = page.headers()["content-security-policy"]
            .to_str()
            .expect("an ASCII policy")
            .to_owned();
        csp.split(';')
            .find_map(|d| d.trim().strip_prefix("frame-ancestors "))
            .unwrap_or_else(|| panic!("no frame-ancestors in {csp}"))
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    }

    /// What Chromium's network log holds so far (and forgets): each entry's DevTools message.
    pub async fn network_log(&self) -> Vec<Value> {
        let session = self
            .client
            .session_id()
            .await
            .ok()
            .flatten()
            .expect("a WebDriver session");
        let log: Value = reqwest::Client::new()
            .post(format!("{}/session/{session}/se/log", self.webdriver))
            .json(&json!({"type": "performance"}))
            .send()
            .await
            .expect("chromedriver answers")
            .json()
            .await
            .expect("chromedriver's log as JSON");
        log["value"]
            .as_array()
            .expect("log entries")
            .iter()
            .filter_map(|e| serde_json::from_str::<Value>(e["message"].as_str()?).ok())
            .map(|m| m["message"].clone())
            .collect()
    }

    /// Opens the host and waits until the connector answered its handshake: the login form
    /// (SHOW_LOGIN) or, with a session kept, CONNECTOR_READY.
    pub async fn open_host(&self) {
        self.client
            .goto(&self.standin_url)
            .await
            .expect("the stand-in host opens");
        self.console().await;
        self.wait_js(
            "the connector's answer to SETUP_CONNECTOR",
            "return !!window.standin && (!!window.standin.ready() || window.standin.events().some(function (e) { return e.telephonyEventType === 'SHOW_LOGIN'; }));",
            |v| v == &json!(true),
        )
        .await;
    }

    /// Evaluates `expr` in the host page (its value as JSON; `undefined` is `null`).
    pub async fn host(&self, expr: &str) -> Value {
        self.console().await;
        self.js(
            &format!(
                "var v = ({expr}); return v === undefined ? null : JSON.parse(JSON.stringify(v));"
            ),
            vec![],
        )
        .await
    }

    /// Evaluates `expr` (a promise) in the host page: its value, or the rejection's words.
    pub async fn host_promise(&self, expr: &str) -> Result<Value, String> {
        self.console().await;
        let out = self
            .client
            .execute_async(
                &format!(
                    "var done = arguments[arguments.length - 1];
                     Promise.resolve().then(function () {{ return ({expr}); }}).then(
                       function (v) {{ done({{ ok: v === undefined ? null : JSON.parse(JSON.stringify(v)) }}); }},
                       function (e) {{ done({{ error: String(e && e.message || e) }}); }});"
                ),
                vec![],
            )
            .await
            .unwrap_or_else(|e| panic!("[{}] {expr}: {e}", self.name));
        match out.get("error") {
            Some(e) => Err(e.as_str().unwrap_or_default().to_owned()),
            None => Ok(out["ok"].clone()),
        }
    }

    /// Works inside the connector's frame (its login form).
    pub async fn connector_frame(&self) {
        self.console().await;
        let frame = self.wait_element("[data-testid=connector-frame]").await;
        frame.enter_frame().await.expect("the connector's frame");
    }

    /// An index of what the connector posted so far, to look for events from.
    pub async fn mark(&self) -> usize {
        let at = self.host("window.standin.mark()").await;
        usize::try_from(at.as_u64().expect("an index")).expect("an index")
    }

    /// The telephony events (and CONNECTOR_READY) posted from `from` on, the Lightning
    /// bridge's MESSAGEs left out (they come with Neotel's components, or not).
    pub async fn since(&self, from: usize) -> Vec<String> {
        let kinds = self.host(&format!("window.standin.since({from})")).await;
        serde_json::from_value::<Vec<String>>(kinds)
            .unwrap_or_default()
            .into_iter()
            .filter(|k| k != "MESSAGE")
            .collect()
    }

    /// The payloads of the ERROR events posted so far (what Salesforce would show).
    pub async fn errors(&self) -> Value {
        self.host(
            "window.standin.events().filter(function (e) { return e.telephonyEventType === 'ERROR'; }).map(function (e) { return e.telephonyEventPayload; })",
        )
        .await
    }

    /// How many `kind` events the connector posted, across every load of its frame.
    pub async fn count(&self, kind: &str) -> usize {
        self.since(0).await.iter().filter(|k| *k == kind).count()
    }

    /// Waits for the first `kind` event (or CONNECTOR_READY) at index `from` or later whose
    /// payload satisfies `pred`; returns its payload and index. Fails naming what came.
    pub async fn wait_event_where(
        &self,
        kind: &str,
        from: usize,
        pred: impl Fn(&Value) -> bool,
    ) -> (Value, usize) {
        let script = format!(
            "var s = window.standin.seen, out = [];
             for (var i = {from}; i < s.length; i++) {{
               var m = s[i], tel = m.type === 'TELEPHONY_EVENT_DISPATCHED';
               var t = tel ? m.payload.telephonyEventType : m.type;
               if (t === {kind}) {{ out.push({{ index: i, payload: JSON.parse(JSON.stringify((tel ? m.payload.telephonyEventPayload : m.payload) || null)) }}); }}
             }}
             return out;",
            kind = json!(kind)
        );
        let deadline = tokio::time::Instant::now() + WAIT;
        self.console().await;
        while tokio::time::Instant::now() < deadline {
            if let Ok(Value::Array(found)) = self.client.execute(&script, vec![]).await
                && let Some(hit) = found.iter().find(|h| pred(&h["payload"]))
            {
                let index = hit["index"].as_u64().unwrap_or_default();
                return (
                    hit["payload"].clone(),
                    usize::try_from(index).unwrap_or_default(),
                );
            }
            tokio::time::sleep(TICK).await;
        }
        let came = self.since(from).await;
        let errors = self.errors().await;
        self.screenshot(&format!("{}-failed", self.name)).await;
        panic!(
            "[{}] no {kind} as expected within 20 s; since {from}: {came:?}; errors: {errors}",
            self.name
        );
    }

    /// Waits for a `kind` event at index `from` or later; its payload.
    pub async fn wait_event(&self, kind: &str, from: usize) -> Value {
        self.wait_event_where(kind, from, |_| true).await.0
    }

    /// Salesforce sends host message `kind`, worded by `host-scripts.js` from `params`; the
    /// message as sent.
    pub async fn act(&self, kind: &str, params: Value) -> Value {
        self.console().await;
        self.js(
            "var m = window.standin.act(arguments[0], arguments[1]); return JSON.parse(JSON.stringify(m));",
            vec![json!(kind), params],
        )
        .await
    }

    /// Salesforce sends host message `kind` with exactly `fields`.
    pub async fn send(&self, kind: &str, fields: Value) {
        self.console().await;
        self.js(
            "window.standin.send(arguments[0], arguments[1]); return true;",
            vec![json!(kind), fields],
        )
        .await;
    }

    /// Runs the named host sequence of `host-scripts.js`; the payloads it waited for.
    pub async fn run(&self, sequence: &str, params: Value) -> Vec<Value> {
        let expr = format!("window.standin.run({}, {params})", json!(sequence));
        match self.host_promise(&expr).await {
            Ok(Value::Array(payloads)) => payloads,
            Ok(other) => panic!("[{}] {sequence}: {other}", self.name),
            Err(e) => {
                self.screenshot(&format!("{}-failed", self.name)).await;
                let came = self.since(0).await;
                let errors = self.errors().await;
                panic!(
                    "[{}] sequence {sequence:?}: {e}; events: {came:?}; errors: {errors}",
                    self.name
                );
            }
        }
    }

    /// The agent logs in through the connector's own form (DEVICE, USUARIO, PASSWORD); the
    /// form stays the current frame.
    pub async fn fill_login(&self, device: &str, user: &str, password: &str) {
        self.connector_frame().await;
        self.fill("[data-testid=login-device]", device).await;
        self.fill("[data-testid=login-user]", user).await;
        self.fill("[data-testid=login-password]", password).await;
        self.click("[data-testid=login-submit]").await;
    }

    /// Logs `user` in (`SIP/{user}`, the simulator's password is the user) through the
    /// connector's form, and waits for CONNECTOR_READY.
    pub async fn login(&self, user: &str) {
        let from = self.mark().await;
        self.fill_login(&format!("SIP/{user}"), user, user).await;
        self.wait_event("CONNECTOR_READY", from).await;
    }

    /// Joins `campaign` as the agent does in Neotel's campaign component, which sends the
    /// core's command over the MESSAGE bridge (the host's MESSAGE, as the component's publish
    /// reaches the connector); Omni is told the agent is available.
    pub async fn join_campaign(&self, campaign: i64) {
        let from = self.mark().await;
        self.act(
            "MESSAGE",
            json!({"message": {"neotel": 1, "type": "command",
                "command": {"command": "joinCampaign", "campaign": campaign}}}),
        )
        .await;
        self.wait_event_where("SET_AGENT_STATUS", from, |p| p["statusId"] == AVAILABLE)
            .await;
    }

    /// Logs `user` in and joins `campaign`.
    pub async fn login_and_join(&self, user: &str, campaign: i64) {
        self.login(user).await;
        self.join_campaign(campaign).await;
    }

    /// How many times Neotel applied `method` (answered 200).
    pub async fn applied(&self, method: &str) -> usize {
        self.calls_of(method)
            .await
            .iter()
            .filter(|e| e["status"] == 200)
            .count()
    }

    /// Calls NeoApi `method` on the simulator as another Neotel screen would (the agent's
    /// own Neotel desk, a supervisor's console).
    pub async fn neoapi(&self, method: &str, params: &[(&str, &str)]) {
        let r = self
            .http
            .post(format!("{}/neoapi/webservice.asmx/{method}", self.sim))
            .form(params)
            .send()
            .await
            .expect("the simulator answers");
        assert!(r.status().is_success(), "{method} → {}", r.status());
    }

    /// Closes the browser and stops the server.
    pub async fn stop(self) {
        self.stack.stop().await;
    }
}
