//! One simulated agent over WebSocket: logs in, joins the campaign, then takes calls (or stays
//! idle) until told to stop, answering every Salesforce effect as an org does.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// The longest wait for a connection or an HTTP answer.
pub(crate) const WAIT: Duration = Duration::from_secs(30);

/// The HTTP client of the tool (the simulator's control API, the server's metrics).
pub(crate) fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(WAIT)
        .build()
        .expect("a default HTTP client")
}

pub(crate) type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// What all the agents measured.
#[derive(Debug, Default)]
pub(crate) struct Report {
    /// Screen-pop latencies: delivery request → `searchAndScreenPop` at the leader connection.
    pub pops: Vec<Duration>,
    /// How long each delivery request to the simulator took (counted in its pop: the delivery
    /// happened somewhere within it).
    pub deliveries: Vec<Duration>,
    /// Calls completed (delivered, popped, hung up, categorized, Play).
    pub calls: u64,
    /// `--rhythm`: the customer's hang-up → the wrap-up in the view.
    pub hangups: Vec<Duration>,
    /// `--rhythm`: each call's talk, from its pop to the customer's hang-up.
    pub talks: Vec<(Instant, Instant)>,
    /// One line per agent that stopped on an error.
    pub errors: Vec<String>,
}

/// What every agent shares.
pub(crate) struct Ctx {
    pub http: reqwest::Client,
    pub server: String,
    pub sim: String,
    pub campaign: i64,
    pub idle_ms: u64,
    /// No calls: log in, join, stay idle.
    pub idle: bool,
    /// Agents logged in and in the campaign.
    pub joined: AtomicUsize,
    /// Agents joined, or failed before.
    pub settled: AtomicUsize,
    /// Set when every agent settled: the measured window starts.
    pub go: tokio::sync::watch::Receiver<bool>,
    /// Cleared when the window ends.
    pub running: AtomicBool,
    pub report: Mutex<Report>,
    /// `--rhythm`: the ranges of the cycle.
    pub rhythm: Option<crate::rhythm::Rhythm>,
    /// `--rhythm`: agents placed in their cycle, or failed before.
    pub placed: AtomicUsize,
    /// `--rhythm`: set while the window runs (what starts then is measured).
    pub measuring: AtomicBool,
    /// Set when the window ends: an agent's wait is cut short.
    pub stop: tokio::sync::watch::Receiver<bool>,
}

/// How far an agent got before the window.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    /// Logged in and in the campaign (or failed before).
    pub settled: bool,
    /// `--rhythm`: placed in its cycle.
    pub placed: bool,
}

/// One agent's life, logging in `after` a while; an error ends it and is reported.
pub(crate) async fn agent(ctx: Arc<Ctx>, user: String, after: Duration) {
    tokio::time::sleep(after).await;
    let mut progress = Progress::default();
    if let Err(e) = run(&ctx, &user, &mut progress).await {
        ctx.report
            .lock()
            .expect("the report lock")
            .errors
            .push(format!("{user}: {e}"));
    }
    if !progress.settled {
        ctx.settled.fetch_add(1, Ordering::Relaxed);
    }
    if !progress.placed {
        ctx.placed.fetch_add(1, Ordering::Relaxed);
    }
}

async fn run(ctx: &Ctx, user: &str, progress: &mut Progress) -> Result<(), String> {
    let mut socket = connect(&ctx.server).await?;
    send(
        &mut socket,
        json!({"v":1,"type":"login","device":format!("SIP/{user}"),"user":user,"password":user}),
    )
    .await?;
    expect(&mut socket, "session", Duration::from_secs(60)).await?;
    send(&mut socket, script::join_campaign(ctx.campaign)).await?;
    wait_answering(&mut socket, Duration::from_secs(60), script::in_campaign).await?;
    ctx.joined.fetch_add(1, Ordering::Relaxed);
    ctx.settled.fetch_add(1, Ordering::Relaxed);
    progress.settled = true;
    let mut go = ctx.go.clone();
    while !*go.borrow_and_update() {
        tokio::select! {
            changed = go.changed() => changed.map_err(|_| "the run ended before it began")?,
            m = recv(&mut socket, Duration::from_secs(3600)) => answer_any(&mut socket, &m?).await?,
        }
    }
    if let Some(rhythm) = &ctx.rhythm {
        crate::rhythm::run(ctx, rhythm, user, &mut socket, progress).await?;
    }
    while ctx.rhythm.is_none() && ctx.running.load(Ordering::Relaxed) {
        if ctx.idle {
            idle_answering(&mut socket, Duration::from_millis(250)).await?;
        } else {
            call(ctx, user, &mut socket).await?;
        }
    }
    send(&mut socket, json!({"v":1,"type":"logout"})).await?;
    let _ = expect(&mut socket, "bye", Duration::from_secs(10)).await;
    Ok(())
}

/// Idle for a random while, then one whole predictive call.
async fn call(ctx: &Ctx, user: &str, socket: &mut Socket) -> Result<(), String> {
    let idle = rand::random_range(0..=ctx.idle_ms);
    idle_answering(socket, Duration::from_millis(idle)).await?;
    let call = deliver(ctx, user, socket, true).await?;
    if !call.is_null() {
        let _ = post(
            &ctx.http,
            &format!("{}/sim/calls/{}/hangup", ctx.sim, plain(&call)),
            json!({}),
        )
        .await;
    }
    let stage = |what: &'static str| move |e: String| format!("waiting for {what}: {e}");
    wait_answering(socket, Duration::from_secs(20), script::can_release)
        .await
        .map_err(stage("the release"))?;
    release_and_play(socket).await?;
    ctx.report.lock().expect("the report lock").calls += 1;
    Ok(())
}

/// The dialer delivers this agent a predictive contact and its phone answers at once (the
/// simulator would after `agent_answer_ms`); every effect is answered until the
/// search-and-pop arrives. With `measured`, the pop's latency is recorded: from the delivery
/// request to the pop at the leader connection. The call's id.
pub(crate) async fn deliver(
    ctx: &Ctx,
    user: &str,
    socket: &mut Socket,
    measured: bool,
) -> Result<Value, String> {
    let delivered = Instant::now();
    let contact = post(
        &ctx.http,
        &format!("{}/sim/dialer/deliver", ctx.sim),
        json!({"campaign": ctx.campaign, "user": user}),
    )
    .await?;
    let delivery = delivered.elapsed();
    let _ = post(
        &ctx.http,
        &format!("{}/sim/agents/{user}/answer", ctx.sim),
        json!({}),
    )
    .await;
    loop {
        let m = recv(socket, Duration::from_secs(20))
            .await
            .map_err(|e| format!("waiting for the pop: {e}"))?;
        if m["type"] == "effect" {
            let kind = m["effect"]["kind"].as_str().unwrap_or_default().to_owned();
            if kind == "searchAndScreenPop" && measured {
                let mut report = ctx.report.lock().expect("the report lock");
                report.pops.push(delivered.elapsed());
                report.deliveries.push(delivery);
            }
            answer(socket, &m["effect"]).await?;
            if kind == "searchAndScreenPop" {
                return Ok(contact["call_id"].clone());
            }
        }
    }
}

/// The agent categorizes the contact (the last view offered it), presses Play once the view
/// offers it, and waits until it is available again.
pub(crate) async fn release_and_play(socket: &mut Socket) -> Result<(), String> {
    let stage = |what: &'static str| move |e: String| format!("waiting for {what}: {e}");
    send(socket, script::release()).await?;
    wait_answering(socket, Duration::from_secs(20), script::can_play)
        .await
        .map_err(stage("Play"))?;
    send(socket, script::play()).await?;
    wait_answering(socket, Duration::from_secs(20), script::available)
        .await
        .map_err(stage("available"))?;
    Ok(())
}

/// Answers `m` when it is an effect.
async fn answer_any(socket: &mut Socket, m: &Value) -> Result<(), String> {
    if m["type"] == "effect" {
        answer(socket, &m["effect"]).await?;
    }
    Ok(())
}

/// A JSON value as a URL's path segment.
pub(crate) fn plain(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

/// The agent's side of cti-core's vocabulary, in one place.
pub(crate) mod script {
    use serde_json::{Value, json};

    pub(crate) fn join_campaign(campaign: i64) -> Value {
        json!({"v":1,"type":"command","command":{"command":"joinCampaign","campaign":campaign}})
    }
    /// Categorized as the default scenario's "Venta concretada".
    pub(crate) fn release() -> Value {
        json!({"v":1,"type":"command","command":{"command":"release","subcategory":26,"notes":"load"}})
    }
    pub(crate) fn play() -> Value {
        json!({"v":1,"type":"command","command":{"command":"play"}})
    }
    pub(crate) fn in_campaign(view: &Value) -> bool {
        !view["campaign"].is_null()
    }
    pub(crate) fn can_release(view: &Value) -> bool {
        view["actions"]["release"] == true
    }
    pub(crate) fn can_play(view: &Value) -> bool {
        view["actions"]["play"] == true
    }
    pub(crate) fn available(view: &Value) -> bool {
        view["status"] == "available" && view["contact"].is_null()
    }
    /// The call gone, the contact on screen: it may be released.
    pub(crate) fn wrap_up(view: &Value) -> bool {
        view["status"] == "wrapUp" && can_release(view)
    }
}

/// What an org answers: the searched contact as one match, an id for saves, null otherwise.
async fn answer(socket: &mut Socket, effect: &Value) -> Result<(), String> {
    let id = effect["id"].clone();
    let value = match effect["kind"].as_str().unwrap_or_default() {
        "searchAndScreenPop" => {
            let key = effect["searchParams"].as_str().unwrap_or_default();
            let record = format!("003{key:0>15}");
            json!({ record.clone(): {"Id": record, "Name": key, "RecordType": "Contact"} })
        }
        "saveLog" => json!("00T000000000001AAA"),
        "getCallCenterSettings" => json!({}),
        "getSoftphoneLayout" => json!({}),
        _ => Value::Null,
    };
    send(
        socket,
        json!({"v":1,"type":"effectResult","id":id,"ok":true,"value":value}),
    )
    .await
}

async fn connect(server: &str) -> Result<Socket, String> {
    let ws_url = server
        .replacen("https://", "wss://", 1)
        .replacen("http://", "ws://", 1);
    let mut request = format!("{ws_url}/ws")
        .into_client_request()
        .map_err(|e| e.to_string())?;
    request.headers_mut().insert(
        "origin",
        server.parse().map_err(|_| "bad server URL".to_owned())?,
    );
    // Small buffers (the library's default is 128 KiB each way): thousands of clients share
    // the machine with the server they measure.
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let connecting = tokio_tungstenite::connect_async_with_config(request, Some(config), true);
    let (socket, _) = tokio::time::timeout(WAIT, connecting)
        .await
        .map_err(|_| format!("connect: no answer within {WAIT:?}"))?
        .map_err(|e| format!("connect: {e}"))?;
    Ok(socket)
}

pub(crate) async fn send(socket: &mut Socket, message: Value) -> Result<(), String> {
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .map_err(|e| format!("send: {e}"))
}

async fn recv(socket: &mut Socket, wait: Duration) -> Result<Value, String> {
    loop {
        let next = tokio::time::timeout(wait, socket.next())
            .await
            .map_err(|_| format!("nothing from the server for {wait:?}"))?;
        match next {
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(t.as_str()).map_err(|e| e.to_string())?;
                if v["type"] == "error" {
                    return Err(format!("server error: {v}"));
                }
                return Ok(v);
            }
            Some(Ok(Message::Close(_))) | None => return Err("the server closed".into()),
            Some(Err(e)) => return Err(e.to_string()),
            Some(Ok(_)) => {}
        }
    }
}

async fn expect(socket: &mut Socket, kind: &str, wait: Duration) -> Result<Value, String> {
    loop {
        let m = recv(socket, wait).await?;
        if m["type"] == kind {
            return Ok(m);
        }
    }
}

/// Stays idle for `wait`, answering any effect meanwhile.
pub(crate) async fn idle_answering(socket: &mut Socket, wait: Duration) -> Result<(), String> {
    let until = tokio::time::Instant::now() + wait;
    while let Ok(next) =
        tokio::time::timeout_at(until, recv(socket, Duration::from_secs(3600))).await
    {
        answer_any(socket, &next?).await?;
    }
    Ok(())
}

/// Waits for a view satisfying `pred`, answering any effect on the way.
pub(crate) async fn wait_answering(
    socket: &mut Socket,
    wait: Duration,
    pred: fn(&Value) -> bool,
) -> Result<(), String> {
    loop {
        let m = recv(socket, wait).await?;
        match m["type"].as_str() {
            Some("view") if pred(&m["view"]) => return Ok(()),
            Some("effect") => answer(socket, &m["effect"]).await?,
            _ => {}
        }
    }
}

/// POSTs JSON; the answer's JSON (null when none), or an error naming the URL and status.
pub(crate) async fn post(http: &reqwest::Client, url: &str, body: Value) -> Result<Value, String> {
    let response = http
        .post(url)
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let status = response.status();
    let value = response.json::<Value>().await.unwrap_or(Value::Null);
    if status.is_success() {
        Ok(value)
    } else {
        Err(format!("{url} → {status}: {value}"))
    }
}
