//! `cti-load`: N simulated agents over WebSocket against a server and its simulator.
//!
//! By default it starts both in-process (demo mode, the simulator's scenario grown to N agents).
//! Each agent logs in, joins the campaign and loops: the simulator's dialer delivers it a contact,
//! its leader connection receives the search-and-pop effect (the screen-pop latency runs from the
//! delivery request to that message), the phone answers, the customer hangs up, the agent
//! categorizes and presses Play. At the end it prints the latency percentiles, NeoApi requests per
//! agent per second, and the process's CPU time and peak RSS (server, simulator and clients
//! together when in-process).
#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use futures::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

/// Load test for cti-server: N agents over WebSocket, screen-pop latency, NeoApi rate, CPU, RSS.
#[derive(Debug, Parser)]
#[command(name = "cti-load", version)]
struct Args {
    /// Agents to log in.
    #[arg(long, default_value_t = 20)]
    agents: usize,
    /// How long the call loop runs, in seconds.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// A running server's base URL (e.g. http://127.0.0.1:8080); default: start one in-process.
    #[arg(long, requires = "sim")]
    server: Option<String>,
    /// The running server's simulator base URL (with --server).
    #[arg(long)]
    sim: Option<String>,
    /// The campaign the agents join.
    #[arg(long, default_value_t = 97)]
    campaign: i64,
    /// The in-process server's idle `Position` poll interval, in milliseconds (the pop waits
    /// for the next poll after the dialer delivers).
    #[arg(long, default_value_t = 1000)]
    poll_ms: u64,
    /// Idle time before each delivery, drawn uniformly up to this many milliseconds, so
    /// deliveries fall anywhere between two polls as a real dialer's do.
    #[arg(long, default_value_t = 2000)]
    idle_ms: u64,
}

/// Contacts added to the campaign's base per agent (each call closes one).
const CONTACTS_PER_AGENT: usize = 40;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

#[derive(Debug, Default)]
struct AgentReport {
    pops: Vec<Duration>,
    calls: u64,
    errors: Vec<String>,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    match runtime.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cti-load: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let http = reqwest::Client::new();
    let (server_url, sim_url, stop) = match (&args.server, &args.sim) {
        (Some(server), Some(sim)) => (server.trim_end_matches('/').to_owned(), sim.clone(), None),
        _ => {
            let mut config = cti_server::config::Config::defaults();
            config.listen = "127.0.0.1:0".parse().expect("an address");
            config.standin_listen = "127.0.0.1:0".parse().expect("an address");
            // Every simulated agent connects from loopback: one address, held to the total only.
            config.limits.max_connections_per_address = config.limits.max_connections;
            config.poll_interval = Duration::from_millis(args.poll_ms);
            let server = cti_server::Server::bind(config)
                .await
                .map_err(|e| e.to_string())?;
            let url = server.state().public_url().to_owned();
            let sim = server.sim_url().expect("demo mode has a simulator");
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            let task = tokio::spawn(server.run(async move {
                let _ = rx.await;
            }));
            (url, sim, Some((tx, task)))
        }
    };
    let users = grow_scenario(&http, &sim_url, args.agents, args.campaign).await?;
    eprintln!(
        "cti-load: {} agents against {server_url} (simulator {sim_url}), {} s",
        users.len(),
        args.seconds
    );

    let cpu_start = cpu_seconds();
    let requests_start = neoapi_requests(&http, &server_url).await?;
    let started = Instant::now();
    let running = Arc::new(AtomicBool::new(true));
    let report = Arc::new(Mutex::new(AgentReport::default()));
    let mut tasks = tokio::task::JoinSet::new();
    for user in users.clone() {
        let ctx = AgentCtx {
            http: http.clone(),
            server: server_url.clone(),
            sim: sim_url.clone(),
            campaign: args.campaign,
            idle_ms: args.idle_ms,
            running: running.clone(),
            report: report.clone(),
        };
        tasks.spawn(agent(ctx, user));
    }
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    running.store(false, Ordering::Relaxed);
    // Agents finish the call in hand and log out; the ones still busy after the grace are cut
    // (what they measured is already in the report).
    let grace = tokio::time::timeout(Duration::from_secs(30), async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    let elapsed = started.elapsed().as_secs_f64();
    let cut = if grace.is_err() { tasks.len() } else { 0 };
    tasks.abort_all();
    let AgentReport {
        mut pops,
        calls,
        mut errors,
    } = std::mem::take(&mut *report.lock().expect("the report lock"));
    if cut > 0 {
        errors.push(format!("{cut} agents did not stop within 30 s"));
    }
    let requests = neoapi_requests(&http, &server_url).await? - requests_start;
    let cpu = cpu_seconds().zip(cpu_start).map(|(end, start)| end - start);

    pops.sort();
    println!("agents                       {}", users.len());
    println!("duration                     {elapsed:.1} s");
    println!("calls completed              {calls}");
    println!("screen pops measured         {}", pops.len());
    for (label, q) in [("p50", 0.50), ("p95", 0.95), ("p99", 0.99)] {
        match percentile(&pops, q) {
            Some(d) => println!(
                "screen-pop latency {label}       {:.1} ms",
                d.as_secs_f64() * 1e3
            ),
            None => println!("screen-pop latency {label}       n/a"),
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let per_agent = requests as f64 / users.len().max(1) as f64 / elapsed;
    println!("NeoApi requests              {requests} ({per_agent:.2} per agent per second)");
    if stop.is_some() {
        match cpu {
            Some(c) => println!(
                "CPU (whole process)          {c:.1} s = {:.0}% of one core",
                c / elapsed * 100.0
            ),
            None => println!("CPU (whole process)          n/a"),
        }
        match peak_rss_kib() {
            Some(k) => println!("peak RSS (VmHWM)             {:.1} MiB", k as f64 / 1024.0),
            None => println!("peak RSS (VmHWM)             n/a"),
        }
    } else {
        println!("CPU and RSS                  n/a (the server runs in another process)");
    }
    if !errors.is_empty() {
        println!("errors                       {}", errors.len());
        for e in errors.iter().take(10) {
            println!("  {e}");
        }
    }
    if let Some((tx, task)) = stop {
        let _ = tx.send(());
        let _ = task.await;
    }
    Ok(())
}

struct AgentCtx {
    http: reqwest::Client,
    server: String,
    sim: String,
    campaign: i64,
    idle_ms: u64,
    running: Arc<AtomicBool>,
    report: Arc<Mutex<AgentReport>>,
}

/// One agent's life; errors end its loop and are reported.
async fn agent(ctx: AgentCtx, user: String) {
    if let Err(e) = agent_loop(&ctx, &user).await {
        ctx.report
            .lock()
            .expect("the report lock")
            .errors
            .push(format!("{user}: {e}"));
    }
}

async fn agent_loop(ctx: &AgentCtx, user: &str) -> Result<(), String> {
    let mut socket = connect(&ctx.server).await?;
    send(
        &mut socket,
        json!({"v":1,"type":"login","device":format!("SIP/{user}"),"user":user,"password":user}),
    )
    .await?;
    expect(&mut socket, "session", Duration::from_secs(20)).await?;
    send(&mut socket, script::join_campaign(ctx.campaign)).await?;
    wait_view(&mut socket, Duration::from_secs(20), script::in_campaign).await?;
    while ctx.running.load(Ordering::Relaxed) {
        let idle = rand::random_range(0..=ctx.idle_ms);
        idle_answering(&mut socket, Duration::from_millis(idle)).await?;
        let delivered = Instant::now();
        let contact = post(
            &ctx.http,
            &format!("{}/sim/dialer/deliver", ctx.sim),
            json!({"campaign": ctx.campaign, "user": user}),
        )
        .await?;
        // The agent's phone answers at once (the simulator would after `agent_answer_ms`).
        let _ = post(
            &ctx.http,
            &format!("{}/sim/agents/{user}/answer", ctx.sim),
            json!({}),
        )
        .await;
        // The pop: answer every effect until the search-and-pop arrives.
        loop {
            let m = recv(&mut socket, Duration::from_secs(20)).await?;
            if m["type"] == "effect" {
                let kind = m["effect"]["kind"].as_str().unwrap_or_default().to_owned();
                if kind == "searchAndScreenPop" {
                    ctx.report
                        .lock()
                        .expect("the report lock")
                        .pops
                        .push(delivered.elapsed());
                }
                answer(&mut socket, &m["effect"]).await?;
                if kind == "searchAndScreenPop" {
                    break;
                }
            }
        }
        let call = contact["call_id"].clone();
        if !call.is_null() {
            let _ = post(
                &ctx.http,
                &format!("{}/sim/calls/{}/hangup", ctx.sim, plain(&call)),
                json!({}),
            )
            .await;
        }
        wait_answering(&mut socket, Duration::from_secs(20), script::can_release).await?;
        send(&mut socket, script::release()).await?;
        wait_answering(&mut socket, Duration::from_secs(20), script::can_play).await?;
        send(&mut socket, script::play()).await?;
        wait_answering(&mut socket, Duration::from_secs(20), script::available).await?;
        ctx.report.lock().expect("the report lock").calls += 1;
    }
    send(&mut socket, json!({"v":1,"type":"logout"})).await?;
    let _ = expect(&mut socket, "bye", Duration::from_secs(10)).await;
    Ok(())
}

fn plain(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

/// The agent's side of cti-core's vocabulary, in one place.
mod script {
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
    let (socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    Ok(socket)
}

async fn send(socket: &mut Socket, message: Value) -> Result<(), String> {
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

async fn wait_view(
    socket: &mut Socket,
    wait: Duration,
    pred: fn(&Value) -> bool,
) -> Result<(), String> {
    wait_answering(socket, wait, pred).await
}

/// Stays idle for `wait`, answering any effect meanwhile.
async fn idle_answering(socket: &mut Socket, wait: Duration) -> Result<(), String> {
    let until = tokio::time::Instant::now() + wait;
    while let Ok(next) =
        tokio::time::timeout_at(until, recv(socket, Duration::from_secs(3600))).await
    {
        let m = next?;
        if m["type"] == "effect" {
            answer(socket, &m["effect"]).await?;
        }
    }
    Ok(())
}

/// Waits for a view satisfying `pred`, answering any effect on the way.
async fn wait_answering(
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

async fn post(http: &reqwest::Client, url: &str, body: Value) -> Result<Value, String> {
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

/// NeoApi requests the server made so far: the sum of its latency histogram's counts.
async fn neoapi_requests(http: &reqwest::Client, server: &str) -> Result<u64, String> {
    let metrics = http
        .get(format!("{server}/metrics"))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    Ok(metrics
        .lines()
        .filter(|l| l.starts_with("cti_neoapi_request_duration_seconds_count"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum())
}

/// The simulator's agents, grown to `n` by copying the first one (user = password, device
/// `SIP/{user}`), loaded with `POST /sim/scenario`.
async fn grow_scenario(
    http: &reqwest::Client,
    sim: &str,
    n: usize,
    campaign: i64,
) -> Result<Vec<String>, String> {
    let mut scenario: Value =
        serde_json::from_str(neotel_sim::DEFAULT_SCENARIO_JSON).map_err(|e| e.to_string())?;
    let users = scenario["users"]
        .as_array()
        .ok_or("the scenario has no `users` list")?;
    let template = users.first().cloned().ok_or("the scenario has no user")?;
    let mut names: Vec<String> = users
        .iter()
        .filter(|u| u["supervisor"] != json!(true))
        .filter_map(|u| u["user"].as_str().map(str::to_owned))
        .collect();
    let mut added = Vec::new();
    let mut next = 2001;
    while names.len() < n {
        let name = next.to_string();
        let mut user = template.clone();
        user["user"] = json!(name);
        user["password"] = json!(name);
        user["name"] = json!(format!("Agente {name}"));
        added.push(user);
        names.push(name);
        next += 1;
    }
    for user in added {
        let name = user["user"].as_str().unwrap_or_default().to_owned();
        if let Some(list) = scenario["users"].as_array_mut() {
            list.push(user);
        }
        if let Some(list) = scenario["devices"].as_array_mut() {
            list.push(json!(format!("SIP/{name}")));
        }
    }
    // Enough contacts in the campaign's base that the dialer never runs dry: an UpdateContact
    // closes the contact it categorizes.
    let base = scenario["campaigns"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == json!(campaign)))
        .and_then(|c| c["base"].as_i64())
        .ok_or(format!("the scenario has no campaign {campaign}"))?;
    if let Some(contacts) = scenario["contacts"].as_array_mut() {
        let first = contacts
            .iter()
            .filter_map(|c| c["id"].as_i64())
            .max()
            .unwrap_or(0)
            + 1;
        for i in 0..n * CONTACTS_PER_AGENT {
            let id = first + i64::try_from(i).unwrap_or(i64::MAX - first);
            contacts.push(json!({
                "base": base,
                "id": id,
                "clave_1": format!("LOAD{id:08}"),
                "name": format!("Cliente {id}"),
                "phones": [format!("11{:08}", id % 100_000_000)],
            }));
        }
    }
    if let Some(settings) = scenario["settings"].as_object_mut() {
        // The journal is for tests; keep the simulator's memory out of the server's figures.
        settings.insert("journal_limit".into(), json!(2000));
        // Every agent holds an API license.
        settings.insert("licenses".into(), json!(n + 10));
    }
    names.truncate(n);
    post(http, &format!("{sim}/sim/scenario"), scenario).await?;
    Ok(names)
}

fn percentile(sorted: &[Duration], q: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted.get(index).copied()
}

/// User + system CPU seconds of this process (`/proc/self/stat`, clock ticks at 100 Hz).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start at state (field 3).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Peak resident set size in KiB (`VmHWM` of `/proc/self/status`).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}
