//! Whole-server helpers: the server in demo mode (simulator in-process) on loopback port 0, and a
//! real WebSocket client.
#![allow(dead_code, unreachable_pub)]

pub mod cluster;
pub mod faults;
pub mod floor;
pub mod process;
pub mod voice;

use std::net::SocketAddr;
use std::time::Duration;

use cti_server::config::Config;
use futures::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

/// A running server (demo mode) and its simulator.
pub struct TestServer {
    pub addr: SocketAddr,
    pub public_url: String,
    pub standin: SocketAddr,
    /// The metrics listener (`metrics.listen`), when configured.
    pub metrics_addr: Option<SocketAddr>,
    pub sim: String,
    pub http: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), cti_server::ServeError>>>,
    /// The server's data directory (its session store), removed with it.
    _data: Option<tempfile::TempDir>,
}

/// The defaults on free loopback ports, fast polling.
pub fn config() -> Config {
    let mut config = Config::defaults();
    config.listen = "127.0.0.1:0".parse().expect("an address");
    config.standin_listen = "127.0.0.1:0".parse().expect("an address");
    config.poll_interval = Duration::from_millis(200);
    config
}

/// The body of a GET that must succeed.
pub async fn get_text(http: &reqwest::Client, url: &str) -> String {
    http.get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
        .text()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
}

impl TestServer {
    /// The server's Prometheus text.
    pub async fn metrics(&self) -> String {
        get_text(&self.http, &self.url("/metrics")).await
    }

    pub async fn start() -> Self {
        Self::start_with(config()).await
    }

    /// A server of `config`; without a `data_dir` of the test's own, one in a temporary folder.
    pub async fn start_with(mut config: Config) -> Self {
        let data = (config.data_dir == Config::defaults().data_dir).then(|| {
            let dir = tempfile::tempdir().expect("a temporary data directory");
            config.data_dir = dir.path().to_owned();
            dir
        });
        let server = cti_server::Server::bind(config)
            .await
            .expect("the server binds");
        let addr = server.local_addr();
        let public_url = server.state().public_url().to_owned();
        let standin = server.standin_addr().expect("demo mode has a stand-in");
        let metrics_addr = server.metrics_addr();
        let sim = server.sim_url().expect("demo mode has a simulator");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async move {
            let _ = stopped.await;
        }));
        Self {
            addr,
            public_url,
            standin,
            metrics_addr,
            sim,
            http: reqwest::Client::new(),
            stop: Some(stop),
            task: Some(task),
            _data: data,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.public_url)
    }

    /// A WebSocket from the server's own origin (the softphone page).
    pub async fn ws(&self) -> Ws {
        self.ws_from(&self.public_url.clone())
            .await
            .expect("the upgrade is accepted")
    }

    /// A WebSocket whose page claims `origin`.
    pub async fn ws_from(&self, origin: &str) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
        self.ws_with(&[("origin", origin)]).await
    }

    /// A WebSocket upgrade with these request headers (`origin` among them, a proxy's).
    pub async fn ws_with(
        &self,
        headers: &[(&str, &str)],
    ) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
        let mut request = format!("ws://{}/ws", self.addr)
            .into_client_request()
            .expect("a valid URL");
        for (name, value) in headers {
            let name: tokio_tungstenite::tungstenite::http::HeaderName =
                name.parse().expect("a header name");
            request
                .headers_mut()
                .append(name, value.parse().expect("a header value"));
        }
        let (socket, _) = tokio_tungstenite::connect_async(request).await?;
        Ok(Ws { socket })
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

    /// The journal's method names.
    pub async fn methods(&self) -> Vec<String> {
        self.journal()
            .await
            .iter()
            .filter_map(|e| e["method"].as_str().map(str::to_owned))
            .collect()
    }

    /// POSTs JSON to the simulator's control API.
    pub async fn sim_post(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(format!("{}{path}", self.sim))
            .json(&body)
            .send()
            .await
            .expect("the simulator answers");
        let status = response.status();
        let value: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path} → {status}: {value}");
        value
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await
                .expect("the server task")
                .expect("the server ran");
        }
    }
}

/// Answers every effect the leader gets like an empty org would; returns the effects seen.
pub async fn answer(ws: &mut Ws, m: &Value, seen: &mut Vec<Value>) {
    if m["type"] != "effect" {
        return;
    }
    seen.push(m["effect"].clone());
    ws.send(effect_result(&m["effect"])).await;
}

/// The `effectResult` an empty org gives `effect`.
pub fn effect_result(effect: &Value) -> Value {
    let value = match effect["kind"].as_str().unwrap_or_default() {
        "saveLog" => json!("00T000000000001AAA"),
        "searchAndScreenPop" | "getCallCenterSettings" | "getSoftphoneLayout" => json!({}),
        "runApex" => json!({"runApex": "[]"}),
        _ => Value::Null,
    };
    json!({"v":1,"type":"effectResult","id":effect["id"],"ok":true,"value":value})
}

/// What [`Ws::poll`] found.
#[derive(Debug)]
pub enum Polled {
    Message(Value),
    Nothing,
    Closed,
}

/// Reads messages (answering effects) until a view satisfies `pred` (15 s).
pub async fn until_view(
    ws: &mut Ws,
    seen: &mut Vec<Value>,
    what: &str,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let m = ws
            .try_recv(left)
            .await
            .unwrap_or_else(|| panic!("no view with {what} within 15 s"));
        answer(ws, &m, seen).await;
        if m["type"] == "view" && pred(&m["view"]) {
            return m["view"].clone();
        }
    }
}

/// Joins campaign 97, gets a contact from the dialer, answers, and the customer hangs up: the
/// contact awaits its disposition. The view then.
pub async fn contact_in_wrap_up(tab: &mut Ws, sim: &process::Sim, user: &str) -> Value {
    let mut seen = Vec::new();
    tab.send(json!({"v":1,"type":"command","command":{"command":"joinCampaign","campaign":97}}))
        .await;
    until_view(tab, &mut seen, "campaign 97", |v| v["campaign"] == 97).await;
    let delivered = sim
        .post("/sim/dialer/deliver", json!({"campaign":97,"user":user}))
        .await;
    until_view(tab, &mut seen, "a bridged call", |v| {
        v["call"]["bridged"] == true
    })
    .await;
    sim.post(
        &format!("/sim/calls/{}/hangup", delivered["call_id"]),
        json!({}),
    )
    .await;
    let view = until_view(
        tab,
        &mut seen,
        "the contact awaiting its disposition",
        |v| v["actions"]["categorize"] == true,
    )
    .await;
    assert_eq!(view["info"]["contactId"], delivered["contact_id"]);
    view
}

/// One browser connection.
pub struct Ws {
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl Ws {
    /// A WebSocket to `url` whose page claims `origin`.
    pub async fn connect(url: &str, origin: &str) -> Self {
        let mut request = url.into_client_request().expect("a valid URL");
        request
            .headers_mut()
            .insert("origin", origin.parse().expect("a header value"));
        let (socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("the upgrade is accepted");
        Self { socket }
    }

    /// A WebSocket for `request` (its headers set), or why not.
    pub async fn try_connect(
        request: tokio_tungstenite::tungstenite::handshake::client::Request,
    ) -> Result<Self, tokio_tungstenite::tungstenite::Error> {
        let (socket, _) = tokio_tungstenite::connect_async(request).await?;
        Ok(Self { socket })
    }

    pub async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("the socket is open");
    }

    /// Sends, or says the server closed the socket.
    pub async fn try_send(
        &mut self,
        message: Value,
    ) -> Result<(), tokio_tungstenite::tungstenite::Error> {
        self.socket
            .send(Message::Text(message.to_string().into()))
            .await
    }

    /// The next JSON message within `wait`, nothing, or the socket closed.
    pub async fn poll(&mut self, wait: Duration) -> Polled {
        loop {
            match tokio::time::timeout(wait, self.socket.next()).await {
                Err(_) => return Polled::Nothing,
                Ok(None | Some(Err(_) | Ok(Message::Close(_)))) => return Polled::Closed,
                Ok(Some(Ok(Message::Text(t)))) => {
                    return serde_json::from_str(t.as_str())
                        .map_or(Polled::Closed, Polled::Message);
                }
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    pub async fn send_raw(&mut self, text: String) {
        self.socket
            .send(Message::Text(text.into()))
            .await
            .expect("the socket is open");
    }

    /// The next JSON message (pings skipped); `None` when the server closed.
    pub async fn try_recv(&mut self, wait: Duration) -> Option<Value> {
        loop {
            let next = tokio::time::timeout(wait, self.socket.next())
                .await
                .ok()??;
            match next {
                Ok(Message::Text(t)) => {
                    return Some(serde_json::from_str(t.as_str()).expect("the server sends JSON"));
                }
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    pub async fn recv(&mut self) -> Value {
        self.try_recv(Duration::from_secs(10))
            .await
            .expect("a message within 10 s")
    }

    /// Skips messages until one of `type` (10 s).
    pub async fn recv_type(&mut self, kind: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let m = self
                .try_recv(left)
                .await
                .unwrap_or_else(|| panic!("no `{kind}` message within 10 s"));
            if m["type"] == kind {
                return m;
            }
        }
    }

    /// Skips messages until `pred` holds for one (10 s).
    pub async fn recv_until(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let m = self
                .try_recv(left)
                .await
                .unwrap_or_else(|| panic!("no message with {what} within 10 s"));
            if pred(&m) {
                return m;
            }
        }
    }

    /// The close frame's code, after draining messages (10 s).
    pub async fn closed(&mut self) -> Option<u16> {
        loop {
            let next = tokio::time::timeout(Duration::from_secs(10), self.socket.next())
                .await
                .expect("closed within 10 s");
            match next {
                None | Some(Err(_)) => return None,
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => {}
            }
        }
    }

    pub async fn login(&mut self, user: &str, password: &str, device: &str) -> Value {
        self.send(json!({"v":1,"type":"login","device":device,"user":user,"password":password}))
            .await;
        self.recv().await
    }
}

/// The default scenario with `agents` more agents, named from `first_user` up (password = name,
/// device `SIP/{name}`), and `contacts` more contacts in campaign 97's base, keyed
/// `{prefix}{id:07}`: a crowd for the multi-agent tests. The new agents' names, in order.
pub fn crowd(
    first_user: usize,
    agents: usize,
    contacts: usize,
    prefix: &str,
) -> (neotel_sim::Scenario, Vec<String>) {
    let mut s = neotel_sim::Scenario::default_scenario();
    let mut users = Vec::new();
    for i in 0..agents {
        let name = (first_user + i).to_string();
        s.users.push(neotel_sim::User {
            user: name.clone(),
            password: name.clone(),
            name: format!("Agente {name}"),
            supervisor: false,
        });
        s.devices.push(format!("SIP/{name}"));
        users.push(name);
    }
    let base = s
        .campaigns
        .iter()
        .find(|c| c.id == 97)
        .map(|c| c.base)
        .expect("campaign 97");
    let first = s.contacts.iter().map(|c| c.id).max().unwrap_or(0) + 1;
    for i in 0..contacts {
        let id = first + i64::try_from(i).unwrap_or_default();
        s.contacts.push(neotel_sim::ContactRecord {
            base,
            id,
            clave_1: format!("{prefix}{id:07}"),
            name: format!("Cliente {id}"),
            phones: vec![format!("11{id:08}")],
        });
    }
    (s, users)
}
