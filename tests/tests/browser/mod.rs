//! The browser end-to-end harness: the server in demo mode (simulator in-process) on loopback,
//! Debian's Chromium driven through chromedriver (WebDriver, `fantoccini`), the Lightning
//! stand-in opened on `localhost` so the softphone (on `127.0.0.1`) is a cross-site iframe as in
//! Salesforce.
//!
//! Waits poll the DOM or the simulator until a condition holds (20 s), and fail with what they
//! last saw; nothing sleeps and hopes. Each scenario saves a screenshot of its key screen under
//! `target/browser-artifacts/`.
#![allow(dead_code, unreachable_pub)]

pub mod voice;

use std::net::{SocketAddr, TcpListener};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(20);
const TICK: Duration = Duration::from_millis(100);

/// WebDriver's Tab key.
pub const TAB: &str = "\u{E004}";
/// WebDriver's Enter key.
pub const ENTER: &str = "\u{E007}";

/// A scenario's world: server, simulator, stand-in, browser.
pub struct Stack {
    name: String,
    pub client: Client,
    pub standin_url: String,
    /// The server's main listener (`http://127.0.0.1:port`).
    pub server_url: String,
    pub sim: String,
    http: reqwest::Client,
    driver: Driver,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), cti_server::ServeError>>>,
    /// The server as its own process (a scenario that kills it), with its simulator.
    process: Option<ServerProcess>,
    /// The server's data directory (its session store).
    _data: tempfile::TempDir,
}

/// The built `cti-server` binary in demo mode against a simulator in the test's process (it
/// outlives the server), restartable on the same ports and data directory.
struct ServerProcess {
    child: Option<Child>,
    args: Vec<String>,
    health: String,
    _sim: neotel_sim::SimServer,
}

impl ServerProcess {
    /// The binary beside this test's (`target/<profile>/`), built first when missing.
    fn binary() -> PathBuf {
        let exe = std::env::current_exe().expect("the test binary's path");
        let bin = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>/deps")
            .join("cti-server");
        if !bin.exists() {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let built = Command::new(cargo)
                .args(["build", "-p", "cti-server", "--bin", "cti-server"])
                .status()
                .expect("cargo runs");
            assert!(built.success(), "cti-server builds");
        }
        bin
    }

    async fn spawn(&mut self) {
        let child = Command::new(Self::binary())
            .args(&self.args)
            .env_remove("CTI_NEOAPI_URL")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the server binary starts");
        self.child = Some(child);
        // The Salesforce Voice demo's listener is HTTPS with a certificate made at start.
        let http = reqwest::Client::builder()
            .danger_accept_invalid_certs(true)
            .build()
            .expect("an HTTP client");
        for _ in 0..400 {
            if http
                .get(&self.health)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server did not answer {} within 20 s", self.health);
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// chromedriver and the Chromium it starts, killed on drop (a failed test must not leave them
/// running). chromedriver leads its own process group, which Chromium inherits.
struct Driver {
    child: Child,
    profile: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn binary(env: &str, candidates: &[&str]) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env) {
        return Some(PathBuf::from(p));
    }
    candidates.iter().map(PathBuf::from).find(|p| p.exists())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// axe-core's script, when `scripts/install-test-deps` fetched it into `target/npm`.
fn axe_source() -> Option<String> {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    );
    std::fs::read_to_string(target.join("npm/node_modules/axe-core/axe.min.js")).ok()
}

/// Where screenshots go: `target/browser-artifacts/` of the workspace.
pub fn artifacts() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    );
    let dir = target.join("browser-artifacts");
    std::fs::create_dir_all(&dir).expect("the artifacts folder");
    dir
}

/// A Chromium of its own (its own profile: storage, cookies, a Salesforce of its own) driven by
/// its own chromedriver, as a second person or a second browser profile is.
async fn open_browser(name: &str, chromium: &Path, chromedriver: &Path) -> (Driver, Client) {
    let port = free_port();
    let profile =
        std::env::temp_dir().join(format!("cti-browser-{name}-{}-{port}", std::process::id()));
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
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage", "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    let webdriver = format!("http://127.0.0.1:{port}");
    // fantoccini's connector is rustls; the process picks its crypto once (ring, as the server).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut client = None;
    for _ in 0..100 {
        match ClientBuilder::rustls()
            .expect("rustls")
            .capabilities(caps.clone())
            .connect(&webdriver)
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(TICK).await,
        }
    }
    let client = client.expect("chromedriver accepts a session within 10 s");
    (driver, client)
}

impl Stack {
    /// Starts everything and opens the stand-in, or `None` (with a note) when Chromium is not
    /// installed outside CI. In CI (`CI` set) a missing browser fails the test.
    pub async fn start(name: &str) -> Option<Self> {
        Self::launch(name, false, |_| {}).await
    }

    /// [`start`](Self::start) with the server's configuration changed by `tweak` first.
    pub async fn start_with(
        name: &str,
        tweak: impl FnOnce(&mut cti_server::config::Config),
    ) -> Option<Self> {
        Self::launch(name, false, tweak).await
    }

    /// As [`Stack::start`], the server as its own process, so the scenario can kill it
    /// ([`Stack::kill_server`]) and start it again ([`Stack::restart_server`]).
    pub async fn start_process(name: &str) -> Option<Self> {
        Self::launch(name, true, |_| {}).await
    }

    /// `tweak` changes the in-process server's configuration (a process takes its flags).
    async fn launch(
        name: &str,
        process: bool,
        tweak: impl FnOnce(&mut cti_server::config::Config),
    ) -> Option<Self> {
        let chromium = binary(
            "CHROMIUM",
            &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
        );
        let chromedriver = binary("CHROMEDRIVER", &["/usr/bin/chromedriver"]);
        let (Some(chromium), Some(chromedriver)) = (chromium, chromedriver) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "Chromium or chromedriver is missing: scripts/install-test-deps installs them"
            );
            eprintln!("skipping {name}: no Chromium (run scripts/install-test-deps)");
            return None;
        };

        let data = tempfile::tempdir().expect("a temporary data directory");
        let (standin, sim, server_url, stop, task, process) = if process {
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
                health: format!("http://127.0.0.1:{listen}/healthz"),
                _sim: sim_server,
            };
            server.spawn().await;
            let standin = SocketAddr::from(([127, 0, 0, 1], standin));
            let server_url = format!("http://127.0.0.1:{listen}");
            (standin, sim, server_url, None, None, Some(server))
        } else {
            let mut config = cti_server::config::Config::defaults();
            config.listen = "127.0.0.1:0".parse().expect("an address");
            config.standin_listen = "127.0.0.1:0".parse().expect("an address");
            config.poll_interval = Duration::from_millis(200);
            config.data_dir = data.path().to_owned();
            tweak(&mut config);
            let server = cti_server::Server::bind(config)
                .await
                .expect("the server binds");
            let standin: SocketAddr = server.standin_addr().expect("demo mode has a stand-in");
            let sim = server.sim_url().expect("demo mode has a simulator");
            let server_url = format!("http://{}", server.local_addr());
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let task = tokio::spawn(server.run(async move {
                let _ = stopped.await;
            }));
            (standin, sim, server_url, Some(stop), Some(task), None)
        };

        let (driver, client) = open_browser(name, &chromium, &chromedriver).await;
        let stack = Self {
            name: name.to_owned(),
            client,
            standin_url: format!("http://localhost:{}/", standin.port()),
            server_url,
            sim,
            http: reqwest::Client::new(),
            driver,
            stop,
            task,
            process,
            _data: data,
        };
        stack.open_standin().await;
        Some(stack)
    }

    /// Another browser profile (another person's Chromium, or the agent's second one) on the
    /// same server and stand-in URL: its own storage, so its own softphone token and its own
    /// Salesforce console. Stop it with [`Stack::stop`] before the stack that started the server.
    pub async fn second_profile(&self, name: &str) -> Self {
        let chromium = binary(
            "CHROMIUM",
            &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
        )
        .expect("the first profile found Chromium");
        let chromedriver =
            binary("CHROMEDRIVER", &["/usr/bin/chromedriver"]).expect("and chromedriver");
        let (driver, client) = open_browser(name, &chromium, &chromedriver).await;
        let stack = Self {
            name: name.to_owned(),
            client,
            standin_url: self.standin_url.clone(),
            server_url: self.server_url.clone(),
            sim: self.sim.clone(),
            http: reqwest::Client::new(),
            driver,
            stop: None,
            task: None,
            process: None,
            _data: tempfile::tempdir().expect("a temporary directory"),
        };
        stack.open_standin().await;
        stack
    }

    /// Opens the console and waits for its org and the softphone's login form.
    pub async fn open_standin(&self) {
        self.client
            .goto(&self.standin_url)
            .await
            .expect("the stand-in opens");
        self.console().await;
        self.wait_js(
            "the stand-in's org",
            "return window.standin && window.standin.ready === true",
            |v| v == &json!(true),
        )
        .await;
    }

    /// Works in the console (the Salesforce page): softphone frames are one level deep, and
    /// the parent of the top frame is itself.
    pub async fn console(&self) {
        self.client
            .enter_parent_frame()
            .await
            .expect("the top frame");
    }

    /// Works inside softphone frame `n` (0: the utility bar's; 1: a second tab's).
    pub async fn softphone_n(&self, n: usize) {
        self.console().await;
        let selector = format!("[data-testid=softphone-frame-{n}]");
        let frame = self.wait_element(&selector).await;
        frame.enter_frame().await.expect("the softphone frame");
    }

    /// Works inside the utility bar's softphone.
    pub async fn softphone(&self) {
        self.softphone_n(0).await;
    }

    /// Waits for an element of the current frame.
    pub async fn wait_element(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(WAIT)
            .every(TICK)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("[{}] no `{css}` within 20 s: {e}", self.name))
    }

    /// Runs `script` (a function body; `arguments` are `args`) in the current frame.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("[{}] script failed: {script}: {e}", self.name))
    }

    /// Polls `script` in the current frame until `pred` holds; returns the value.
    pub async fn wait_js(&self, what: &str, script: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut last = Value::Null;
        while tokio::time::Instant::now() < deadline {
            if let Ok(v) = self.client.execute(script, vec![]).await {
                if pred(&v) {
                    return v;
                }
                last = v;
            }
            tokio::time::sleep(TICK).await;
        }
        self.screenshot(&format!("{}-failed", self.name)).await;
        panic!("[{}] {what}: not within 20 s; last seen {last}", self.name);
    }

    /// Text of the first element matching `css` in the current frame ("" when absent/hidden).
    pub async fn text(&self, css: &str) -> String {
        self.js(
            "var e = document.querySelector(arguments[0]); return e && !e.closest('[hidden]') ? e.textContent : '';",
            vec![json!(css)],
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// Waits until the text of `css` (current frame) satisfies `pred`.
    pub async fn wait_text(&self, css: &str, pred: impl Fn(&str) -> bool) -> String {
        let script = format!(
            "var e = document.querySelector({}); return e && !e.closest('[hidden]') ? e.textContent : '';",
            json!(css)
        );
        self.wait_js(&format!("text of `{css}`"), &script, |v| {
            pred(v.as_str().unwrap_or_default())
        })
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// Opens the softphone panel `name` (its tool's icon), unless it is open.
    pub async fn open_panel(&self, name: &str) {
        let open = self
            .js(
                "var p = document.getElementById('panel-' + arguments[0]); return !!p && !p.hidden;",
                vec![json!(name)],
            )
            .await;
        if open != json!(true) {
            self.click(&format!("[data-panel={name}]")).await;
        }
    }

    /// The agent opens the panel `css` is in, if it is in a closed one (its tool's icon).
    async fn reveal(&self, css: &str) {
        let panel = self
            .js(
                "var e = document.querySelector(arguments[0]); var p = e && e.closest('.panel');
                 return p && p.hidden ? p.id.replace('panel-', '') : null;",
                vec![json!(css)],
            )
            .await;
        if let Some(name) = panel.as_str() {
            self.open_panel(name).await;
        }
    }

    /// Clicks `css` (current frame) once it is enabled, as a person would.
    pub async fn click(&self, css: &str) {
        if !css.starts_with("[data-panel=") {
            Box::pin(self.reveal(css)).await;
        }
        let script = format!(
            "var e = document.querySelector({}); return !!e && !e.disabled && e.getClientRects().length > 0;",
            json!(css)
        );
        self.wait_js(&format!("`{css}` enabled"), &script, |v| v == &json!(true))
            .await;
        self.wait_element(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("[{}] click on `{css}`: {e}", self.name));
    }

    /// Clicks the softphone button `data-act=act`.
    pub async fn act(&self, act: &str) {
        self.click(&format!("[data-act={act}]")).await;
    }

    /// Types into `css` (current frame) once it is shown, replacing what was there.
    pub async fn fill(&self, css: &str, text: &str) {
        self.reveal(css).await;
        let script = format!(
            "var e = document.querySelector({}); return !!e && e.getClientRects().length > 0;",
            json!(css)
        );
        self.wait_js(&format!("`{css}` shown"), &script, |v| v == &json!(true))
            .await;
        let e = self.wait_element(css).await;
        e.clear().await.expect("the field clears");
        e.send_keys(text).await.expect("the field takes keys");
    }

    /// Picks `value` in the select `css` once it is shown and that option exists.
    pub async fn select(&self, css: &str, value: &str) {
        self.reveal(css).await;
        let script = format!(
            "var e = document.querySelector({}); return !!e && e.getClientRects().length > 0 && Array.prototype.some.call(e.options, function (o) {{ return o.value === {}; }});",
            json!(css),
            json!(value)
        );
        self.wait_js(&format!("option {value} in `{css}`"), &script, |v| {
            v == &json!(true)
        })
        .await;
        self.wait_element(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("[{}] select {value} in `{css}`: {e}", self.name));
    }

    /// Types `keys` (WebDriver key codes allowed: `TAB`, `ENTER`) into whatever has the focus.
    pub async fn keys(&self, keys: &str) {
        self.client
            .active_element()
            .await
            .unwrap_or_else(|e| panic!("[{}] no focused element: {e}", self.name))
            .send_keys(keys)
            .await
            .unwrap_or_else(|e| panic!("[{}] keys {keys:?}: {e}", self.name));
    }

    /// Presses Tab until `css` has the focus (at most 20 times); every stop on the way must be
    /// a visible, enabled control, or the keyboard would land somewhere the agent cannot see.
    pub async fn tab_to(&self, css: &str) {
        for _ in 0..20 {
            let at = self
                .js(
                    "const e = document.activeElement;
                     return { here: !!e && e.matches(arguments[0]),
                              what: e ? e.outerHTML.slice(0, 80) : '',
                              visible: !!e && (e === document.body || e.getClientRects().length > 0),
                              enabled: !!e && !e.disabled };",
                    vec![json!(css)],
                )
                .await;
            if at["here"] == json!(true) {
                return;
            }
            assert!(
                at["visible"] == json!(true) && at["enabled"] == json!(true),
                "[{}] Tab stopped on a hidden or disabled control: {at}",
                self.name
            );
            self.keys(TAB).await;
        }
        panic!("[{}] 20 Tabs never reached `{css}`", self.name);
    }

    pub async fn login(&self, device: &str, user: &str, password: &str) {
        self.softphone().await;
        self.fill("[data-testid=login-device]", device).await;
        self.fill("[data-testid=login-user]", user).await;
        self.fill("[data-testid=login-password]", password).await;
        self.click("[data-testid=login-submit]").await;
        self.wait_js(
            "the agent's screen after login",
            "return !document.getElementById('agent').hidden",
            |v| v == &json!(true),
        )
        .await;
    }

    /// Logs in as 1001 and joins `campaign`; stays in the softphone frame.
    pub async fn login_and_join(&self, user: &str, campaign: i64) {
        self.login(&format!("SIP/{user}"), user, user).await;
        self.select("[data-testid=campaign]", &campaign.to_string())
            .await;
        self.act("join").await;
        self.wait_status("Disponible").await;
    }

    /// Sets a call center setting in the stand-in (read by the next login); leaves the console
    /// frame current.
    pub async fn set_setting(&self, path: &str, value: &str) {
        self.console().await;
        self.js(
            "window.standin.setSetting(arguments[0], arguments[1]);",
            vec![json!(path), json!(value)],
        )
        .await;
    }

    /// Waits for the softphone's status line to contain `text` (current frame: the softphone).
    pub async fn wait_status(&self, text: &str) -> String {
        self.wait_text("[data-testid=status]", |s| s.contains(text))
            .await
    }

    /// `window.standin.{expr}` in the console; switches to the console.
    pub async fn standin(&self, expr: &str) -> Value {
        self.console().await;
        self.js(&format!("return window.standin.{expr};"), vec![])
            .await
    }

    /// Waits in the console until `window.standin.{expr}` satisfies `pred`.
    pub async fn wait_standin(&self, expr: &str, pred: impl Fn(&Value) -> bool) -> Value {
        self.console().await;
        self.wait_js(
            &format!("standin.{expr}"),
            &format!("return JSON.parse(JSON.stringify(window.standin.{expr}));"),
            pred,
        )
        .await
    }

    /// POSTs to the simulator's control API; panics with its answer on failure.
    pub async fn sim_post(&self, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}{path}", self.sim))
            .json(&body)
            .send()
            .await
            .expect("the simulator answers");
        let status = r.status();
        let value: Value = r.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path} → {status}: {value}");
        value
    }

    /// GET on the simulator's control API (`/sim/agents/1001`, `/sim/outcomes`…).
    pub async fn sim_get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.sim))
            .send()
            .await
            .expect("the simulator answers")
            .json()
            .await
            .expect("the simulator answers JSON")
    }

    /// The server's `/metrics` value of `name` (a sample without labels).
    pub async fn metric(&self, name: &str) -> f64 {
        let text = self
            .http
            .get(format!("{}/metrics", self.server_url))
            .send()
            .await
            .expect("the server answers")
            .text()
            .await
            .expect("metrics text");
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in /metrics:\n{text}"))
    }

    /// Waits until the server counts `n` open page connections.
    pub async fn wait_connections(&self, n: f64) {
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut seen = self.metric("cti_connections").await;
        while seen != n && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(TICK).await;
            seen = self.metric("cti_connections").await;
        }
        assert_eq!(seen, n, "[{}] page connections", self.name);
    }

    /// Waits until Neotel has been polled `n` more times for `user` (the session has read
    /// what the simulator did since).
    pub async fn wait_polls(&self, user: &str, n: usize) {
        let polls = |journal: Vec<Value>| {
            journal
                .iter()
                .filter(|e| e["method"] == "Position" && e["params"]["USUARIO"] == user)
                .count()
        };
        let from = polls(self.journal().await);
        let deadline = tokio::time::Instant::now() + WAIT;
        while polls(self.journal().await) < from + n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "[{}] no {n} Position polls for {user} within 20 s",
                self.name
            );
            tokio::time::sleep(TICK).await;
        }
    }

    /// DELETE on the simulator's control API.
    pub async fn sim_delete(&self, path: &str) {
        let r = self
            .http
            .delete(format!("{}{path}", self.sim))
            .send()
            .await
            .expect("the simulator answers");
        assert!(r.status().is_success(), "DELETE {path} → {}", r.status());
    }

    /// Logs `user` into Neotel from outside the softphone (another agent's own softphone).
    pub async fn neoapi_login(&self, user: &str) {
        let r = self
            .http
            .post(format!("{}/neoapi/webservice.asmx/Login", self.sim))
            .form(&[
                ("DEVICE", format!("SIP/{user}")),
                ("USUARIO", user.into()),
                ("CLAVE", user.into()),
            ])
            .send()
            .await
            .expect("the simulator answers");
        assert!(r.status().is_success(), "Login {user} → {}", r.status());
    }

    /// The simulator's journal of NeoApi calls.
    pub async fn journal(&self) -> Vec<Value> {
        self.http
            .get(format!("{}/sim/journal", self.sim))
            .send()
            .await
            .expect("the simulator answers")
            .json()
            .await
            .expect("the journal is JSON")
    }

    /// Journal entries of `method`.
    pub async fn calls_of(&self, method: &str) -> Vec<Value> {
        self.journal()
            .await
            .into_iter()
            .filter(|e| e["method"] == method)
            .collect()
    }

    /// Waits until the journal has an entry of `method` satisfying `pred`; returns it.
    pub async fn wait_journal(&self, method: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        while tokio::time::Instant::now() < deadline {
            if let Some(e) = self.calls_of(method).await.into_iter().find(|e| pred(e)) {
                return e;
            }
            tokio::time::sleep(TICK).await;
        }
        let methods: Vec<Value> = self
            .journal()
            .await
            .iter()
            .rev()
            .take(30)
            .map(|e| json!([e["method"], e["params"], e["status"]]))
            .collect();
        self.screenshot(&format!("{}-failed", self.name)).await;
        panic!(
            "[{}] no {method} as expected in the journal within 20 s; latest: {}",
            self.name,
            json!(methods)
        );
    }

    /// Saves a PNG of the stand-in's softphone panel alone (the utility bar's panel, at its
    /// size) as `{name}.png`; the frame stays.
    pub async fn screenshot_panel(&self, name: &str) {
        self.console().await;
        let panel = self
            .client
            .find(Locator::Css("#panel"))
            .await
            .unwrap_or_else(|e| panic!("[{}] the stand-in's panel: {e}", self.name));
        if let Ok(png) = panel.screenshot().await {
            let _ = std::fs::write(artifacts().join(format!("{name}.png")), png);
        }
        self.softphone().await;
    }

    /// Runs axe-core (the accessibility checker `scripts/install-test-deps` fetches) on the
    /// softphone as it is now and fails naming every violation (WCAG 2 A and AA rules, labels
    /// and contrast included). Leaves the softphone frame current.
    pub async fn axe(&self, screen: &str) {
        let Some(axe) = axe_source() else {
            assert!(
                std::env::var_os("CI").is_none(),
                "axe-core is missing: scripts/install-test-deps fetches it"
            );
            eprintln!("[{}] no axe-core: {screen} not checked", self.name);
            return;
        };
        self.softphone().await;
        let loaded = self
            .js("return typeof window.axe !== 'undefined';", vec![])
            .await;
        if loaded != json!(true) {
            self.js(&format!("{axe}\nreturn true;"), vec![]).await;
        }
        let found = self
            .client
            .execute_async(
                "var done = arguments[arguments.length - 1];
                 axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }, resultTypes: ['violations'] })
                   .then(function (r) { done(r.violations.map(function (v) {
                     return v.id + ' (' + v.impact + '): ' + v.nodes.map(function (n) { return n.target.join(' ') + ' ' + (n.failureSummary || ''); }).join(' | ');
                   })); })
                   .catch(function (e) { done(['axe failed: ' + e]); });",
                vec![],
            )
            .await
            .unwrap_or_else(|e| panic!("[{}] axe on {screen}: {e}", self.name));
        let violations: Vec<String> = serde_json::from_value(found).unwrap_or_default();
        if !violations.is_empty() {
            self.screenshot(&format!("{}-axe-{screen}", self.name))
                .await;
        }
        assert!(
            violations.is_empty(),
            "[{}] axe finds on {screen}:\n{}",
            self.name,
            violations.join("\n")
        );
    }

    /// Saves a PNG of the whole window (console and softphone) as `{name}.png`; WebDriver
    /// captures the top-level page whatever frame is current, so the frame stays.
    pub async fn screenshot(&self, name: &str) {
        if let Ok(png) = self.client.screenshot().await {
            let _ = std::fs::write(artifacts().join(format!("{name}.png")), png);
        }
    }

    /// SIGKILL to the server process: nothing of it runs on (a crash, `kill -9`).
    pub fn kill_server(&mut self) {
        self.process
            .as_mut()
            .expect("a stack started with start_process")
            .kill();
    }

    /// Starts the server process again on the same ports and data directory.
    pub async fn restart_server(&mut self) {
        self.process
            .as_mut()
            .expect("a stack started with start_process")
            .spawn()
            .await;
    }

    /// Closes the browser and stops the server.
    pub async fn stop(mut self) {
        let _ = self.client.clone().close().await;
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
        drop(self.driver);
    }
}
