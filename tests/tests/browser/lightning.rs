//! Neotel's Lightning components in the Salesforce Voice stand-in host: the server in demo mode
//! with `demo.surface = voice` (both listeners over HTTPS with a certificate made at start, the
//! simulator and the Telephony Integration API stand-in in-process), Chromium mapping the host's
//! Salesforce name to loopback and taking that certificate, the host page
//! (`cti-server/web/standin-voice/`) framing the real connector page and running the real
//! components (`lightning-standin/`) over the stand-in org.
//!
//! The agent acts as a person does: keys in the connector's login form, clicks and keys in the
//! components' own controls (reached through their shadow roots, as WebDriver reaches them), and
//! the console's new-record modal. Assertions read the simulator's journal, the Telephony
//! Integration API stand-in's records (`/_standin/calls`) and the stand-in org.

use std::ops::Deref;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use super::{Driver, Stack, TICK, WAIT, binary, free_port};

/// The stand-in host's Salesforce host name (`cti-server/src/demo.rs`).
pub const VOICE_HOST: &str = "standin.lightning.force.com";

/// A scenario's world: everything [`Stack`] has (journal, simulator, screenshots), the host
/// open, and the Telephony Integration API stand-in's URL.
pub struct LightningStack {
    stack: Stack,
    /// The Telephony Integration API stand-in (`…/_standin/calls`).
    pub scrt: String,
}

impl Deref for LightningStack {
    type Target = Stack;

    fn deref(&self) -> &Stack {
        &self.stack
    }
}

/// Chromium for the Voice host: the Salesforce name mapped to loopback, the demo's certificate
/// taken, its own profile.
async fn open_voice_browser(name: &str, chromium: &Path, chromedriver: &Path) -> (Driver, Client) {
    use std::os::unix::process::CommandExt as _;
    let port = free_port();
    let profile = std::env::temp_dir().join(format!(
        "cti-browser-lightning-{name}-{}-{port}",
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
    let mut caps = serde_json::Map::new();
    caps.insert("acceptInsecureCerts".into(), json!(true));
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage", "--window-size=1500,1000",
                "--lang=en-US",
                format!("--host-resolver-rules=MAP {VOICE_HOST} 127.0.0.1"),
                "--ignore-certificate-errors",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
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
            return (driver, c);
        }
        tokio::time::sleep(TICK).await;
    }
    panic!("chromedriver accepts a session within 10 s");
}

impl LightningStack {
    /// The server in this process on Salesforce Voice and the host open at `path` (`/`, or
    /// `/?lightning=off`), with its org loaded and the connector's login form shown; `None`
    /// (with a note) when Chromium is not installed outside CI.
    pub async fn start(name: &str, path: &str) -> Option<Self> {
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
        let scrt = server
            .scrt_url()
            .expect("the Voice demo runs the Telephony Integration API stand-in");
        let server_url = format!("https://{}", server.local_addr());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async move {
            let _ = stopped.await;
        }));
        let (driver, client) = open_voice_browser(name, &chromium, &chromedriver).await;
        let stack = Stack {
            name: name.to_owned(),
            client,
            standin_url: format!("https://{VOICE_HOST}:{}{path}", standin.port()),
            server_url,
            sim,
            http: reqwest::Client::builder()
                .danger_accept_invalid_certs(true)
                .build()
                .expect("an HTTP client"),
            driver,
            stop: Some(stop),
            task: Some(task),
            process: None,
            _data: data,
        };
        let s = Self { stack, scrt };
        s.client.goto(&s.standin_url).await.expect("the host opens");
        s.wait_host(
            "the org and the connector's login form",
            "standin.consoleReady === true && standin.events().some(function (e) { return e.telephonyEventType === 'SHOW_LOGIN'; })",
        )
        .await;
        Some(s)
    }

    /// Works in the host page (leaves the connector's frame).
    pub async fn host(&self) {
        self.client
            .enter_parent_frame()
            .await
            .expect("the top frame");
    }

    /// `window.{expr}` in the host page, as JSON.
    pub async fn host_js(&self, expr: &str) -> Value {
        self.host().await;
        self.js(
            &format!("return JSON.parse(JSON.stringify({expr}) || 'null');"),
            vec![],
        )
        .await
    }

    /// Waits in the host page until `condition` (a JavaScript expression) is true.
    pub async fn wait_host(&self, what: &str, condition: &str) {
        self.host().await;
        self.wait_js(what, &format!("return !!({condition});"), |v| {
            v == &json!(true)
        })
        .await;
    }

    /// The agent logs in with the connector's own form (in Omni-Channel's frame), until the
    /// connector is ready.
    pub async fn login(&self, user: &str) {
        self.host().await;
        self.wait_element("[data-testid=connector-frame]")
            .await
            .enter_frame()
            .await
            .expect("the connector's frame");
        self.fill("[data-testid=login-device]", &format!("SIP/{user}"))
            .await;
        self.fill("[data-testid=login-user]", user).await;
        self.fill("[data-testid=login-password]", user).await;
        self.click("[data-testid=login-submit]").await;
        self.wait_host("CONNECTOR_READY", "standin.ready()").await;
    }

    /// The native control (button, select, input, textarea) of the base component `data_id`
    /// in component `component` (`neotelAfterCallWork`), once it is shown and enabled; leaves
    /// the host page current.
    pub async fn control(&self, component: &str, data_id: &str) -> Element {
        let found = format!(
            "(function () {{ var c = standin.lightning.control({c}, {d}); return !!c && !c.disabled && c.getClientRects().length > 0; }})()",
            c = json!(component),
            d = json!(data_id)
        );
        self.wait_host(&format!("{component} {data_id} shown and enabled"), &found)
            .await;
        let tag = self
            .host_js(&format!("StandinLightning.tag({})", json!(component)))
            .await;
        let tag = tag.as_str().expect("a component's tag");
        let component_root = self
            .client
            .find(Locator::Css(tag))
            .await
            .unwrap_or_else(|e| panic!("[{}] no {tag}: {e}", self.name))
            .shadow_root()
            .await
            .unwrap_or_else(|e| panic!("[{}] {tag}'s shadow root: {e}", self.name));
        let base = component_root
            .find(Locator::Css(&format!("[data-id={data_id}]")))
            .await
            .unwrap_or_else(|e| panic!("[{}] no {data_id} in {tag}: {e}", self.name));
        let control = base
            .shadow_root()
            .await
            .unwrap_or_else(|e| panic!("[{}] {data_id}'s shadow root: {e}", self.name))
            .find(Locator::Css("button, select, input, textarea"))
            .await
            .unwrap_or_else(|e| panic!("[{}] {data_id}'s control: {e}", self.name));
        // The agent scrolls the utility bar's panel to it (WebDriver's own scrolling leaves a
        // control at the foot of a scrolled panel under the page's next section).
        self.js(
            "arguments[0].scrollIntoView({block: 'center'});",
            vec![serde_json::to_value(&control).expect("an element reference")],
        )
        .await;
        control
    }

    /// Clicks the button `data_id` of `component`, as a person does.
    pub async fn press(&self, component: &str, data_id: &str) {
        if let Err(e) = self.control(component, data_id).await.click().await {
            self.screenshot(&format!("{}-failed", self.name)).await;
            let layout = self
                .host_js("{scrollY: window.scrollY, utility: document.querySelector('.utility').getBoundingClientRect(), desk: document.querySelector('.desk').getBoundingClientRect(), columns: document.querySelector('.columns').getBoundingClientRect()}")
                .await;
            panic!("[{}] click {component} {data_id}: {e}; {layout}", self.name);
        }
    }

    /// Picks the option `value` in the combobox `data_id` of `component`.
    pub async fn choose(&self, component: &str, data_id: &str, value: &str) {
        let has = format!(
            "(function () {{ var s = standin.lightning.control({c}, {d}); return !!s && Array.prototype.some.call(s.options, function (o) {{ return o.value === {v}; }}); }})()",
            c = json!(component),
            d = json!(data_id),
            v = json!(value)
        );
        self.wait_host(&format!("option {value} in {component} {data_id}"), &has)
            .await;
        self.control(component, data_id)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("[{}] pick {value} in {data_id}: {e}", self.name));
    }

    /// Types `text` into the field `data_id` of `component` (replacing what was there).
    pub async fn type_in(&self, component: &str, data_id: &str, text: &str) {
        let field = self.control(component, data_id).await;
        field.clear().await.expect("the field clears");
        field
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("[{}] keys in {data_id}: {e}", self.name));
    }

    /// The VoiceCalls the Telephony Integration API stand-in holds for Neotel call `call_id`.
    pub async fn voice_calls(&self, call_id: &Value) -> Vec<Value> {
        let snapshot: Value = self
            .http
            .get(format!("{}/_standin/calls", self.scrt))
            .send()
            .await
            .expect("the API stand-in answers")
            .json()
            .await
            .expect("its state is JSON");
        let id = call_id.to_string();
        snapshot["calls"]
            .as_array()
            .expect("the VoiceCalls")
            .iter()
            .filter(|c| c["fields"]["NeoCallId__c"].as_str() == Some(id.trim_matches('"')))
            .cloned()
            .collect()
    }

    /// Waits until the API stand-in's VoiceCalls for `call_id` satisfy `pred`; returns them.
    pub async fn wait_voice_calls(
        &self,
        what: &str,
        call_id: &Value,
        pred: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let calls = self.voice_calls(call_id).await;
            if pred(&calls) {
                return calls;
            }
            if tokio::time::Instant::now() > deadline {
                self.screenshot(&format!("{}-failed", self.name)).await;
                panic!(
                    "[{}] {what}: not within 20 s; VoiceCalls {calls:?}",
                    self.name
                );
            }
            tokio::time::sleep(TICK).await;
        }
    }

    /// Closes the browser and stops the server.
    pub async fn stop(self) {
        self.stack.stop().await;
    }
}
