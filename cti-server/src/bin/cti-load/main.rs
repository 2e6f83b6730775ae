//! `cti-load`: N simulated agents over WebSocket against a server and its simulator.
//!
//! By default it starts both in-process (demo mode, the simulator's scenario grown to N agents);
//! `--processes` runs them as child processes (the `cti-server` and `neotel-sim` binaries next
//! to this one) so the server's own CPU and memory are measured. Each agent logs in, joins the
//! campaign and, once every agent is in, loops: the simulator's dialer delivers it a contact, its
//! leader connection receives the search-and-pop effect (the screen-pop latency runs from the
//! delivery request to that message), the phone answers, the customer hangs up, the agent
//! categorizes and presses Play (`--idle`: it stays idle; `--rhythm`: it talks, wraps up and
//! waits for random whiles as a contact center's agents do, see `rhythm.rs`). `--bare` runs no
//! server: only the same `Position` polls for the same agents with the neotel-api client. At
//! the end it prints the latency percentiles, NeoApi requests per agent per second, and each
//! process's CPU time over the measured window and its memory.
#![forbid(unsafe_code)]

mod agent;
mod bare;
mod measure;
mod rhythm;
mod scenario;
mod stack;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;

use measure::{Meter, Proc};
use stack::Stack;

/// Load test for cti-server: N agents over WebSocket, screen-pop latency, NeoApi rate, CPU, RSS.
#[derive(Debug, Parser)]
#[command(name = "cti-load", version)]
struct Args {
    /// Agents to log in.
    #[arg(long, default_value_t = 20)]
    agents: usize,
    /// How long the measured window runs once every agent is in, in seconds.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// A running server's base URL (e.g. http://127.0.0.1:8080); default: start one.
    #[arg(long, requires = "sim", conflicts_with_all = ["processes", "bare"])]
    server: Option<String>,
    /// The running server's simulator base URL (with --server).
    #[arg(long, requires = "server")]
    sim: Option<String>,
    /// Run the server and the simulator as child processes (`cti-server` and `neotel-sim` from
    /// --bin-dir), so the server's own CPU and memory are measured.
    #[arg(long)]
    processes: bool,
    /// No server: the simulator as a child process, and this process polling `Position` for
    /// every agent at the poll interval with the neotel-api client, nothing else (the floor
    /// the server's CPU is compared with).
    #[arg(long, conflicts_with = "idle")]
    bare: bool,
    /// The agents log in, join the campaign and stay idle (no calls): the server's cost of
    /// idle agents, to compare with --bare.
    #[arg(long)]
    idle: bool,
    /// Where the `cti-server` and `neotel-sim` binaries are; default: this binary's directory.
    #[arg(long, value_name = "DIR")]
    bin_dir: Option<PathBuf>,
    /// Logins started per second (0: all at once); a real floor logs in over minutes.
    #[arg(long, default_value_t = 100)]
    login_rate: u32,
    /// The campaign the agents join.
    #[arg(long, default_value_t = 97)]
    campaign: i64,
    /// The started server's idle `Position` poll interval (with --bare: the loop's), in
    /// milliseconds (the pop waits for the next poll after the dialer delivers).
    #[arg(long, default_value_t = 1000)]
    poll_ms: u64,
    /// Idle time before each delivery, drawn uniformly up to this many milliseconds, so
    /// deliveries fall anywhere between two polls as a real dialer's do.
    #[arg(long, default_value_t = 2000)]
    idle_ms: u64,
    /// A contact center's rhythm instead of back-to-back calls: each agent talks, wraps up,
    /// then waits for the dialer's next contact, for random whiles in the ranges below (each
    /// agent placed at a random point of its cycle before the window starts). Reports the
    /// occupancy and the time from the customer's hang-up to the wrap-up on screen too.
    #[arg(long, conflicts_with_all = ["idle", "bare"])]
    rhythm: bool,
    /// With --rhythm: how long a call lasts, in seconds (`MIN-MAX`).
    #[arg(long, value_name = "SECS", default_value = "60-180", value_parser = rhythm::Span::parse)]
    talk_secs: rhythm::Span,
    /// With --rhythm: how long the wrap-up lasts (the contact on screen, the call gone), in
    /// seconds (`MIN-MAX`).
    #[arg(long, value_name = "SECS", default_value = "5-20", value_parser = rhythm::Span::parse)]
    wrap_secs: rhythm::Span,
    /// With --rhythm: how long an available agent waits for the dialer's next contact, in
    /// seconds (`MIN-MAX`).
    #[arg(long, value_name = "SECS", default_value = "1-10", value_parser = rhythm::Span::parse)]
    wait_secs: rhythm::Span,
}

/// How long the agents may take to log in and join, after the last login started, before the
/// window starts anyway.
const LOGIN_LIMIT: Duration = Duration::from_secs(120);

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
    // Interrupted, the run is dropped: the child processes are killed and the server's data
    // directory removed.
    let interrupted = async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("a SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    };
    let outcome = runtime.block_on(async {
        tokio::select! {
            outcome = run(args) => outcome,
            () = interrupted => Err("interrupted".to_owned()),
        }
    });
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cti-load: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    // Every agent holds sockets in this process (and in the children, which inherit the limit).
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => eprintln!("cti-load: open-files limit {limit}"),
        Err(e) => eprintln!("cti-load: cannot raise the open-files limit: {e}"),
    }
    let poll = Duration::from_millis(args.poll_ms);
    let stack = match (&args.server, &args.sim) {
        (Some(server), Some(sim)) => Stack::remote(server, sim),
        _ if args.processes || args.bare => {
            let dir = match &args.bin_dir {
                Some(dir) => dir.clone(),
                None => std::env::current_exe()
                    .ok()
                    .and_then(|exe| exe.parent().map(PathBuf::from))
                    .ok_or("cannot tell this binary's directory: pass --bin-dir")?,
            };
            Stack::children(&dir, poll, args.agents, args.bare).await?
        }
        _ => Stack::in_process(poll, args.agents).await?,
    };
    let result = if args.bare {
        bare(&args, &stack).await
    } else {
        agents(&args, &stack).await
    };
    stack.stop().await;
    result
}

/// The processes whose cost is read, each with its label.
fn meters(stack: &Stack) -> Vec<(&'static str, Meter)> {
    let mut meters = Vec::new();
    match stack.server_proc {
        Some(Proc::This) => meters.push(("server + simulator + clients", Meter::empty(Proc::This))),
        Some(p) => meters.push(("server", Meter::empty(p))),
        None => {}
    }
    if let Some(p) = stack.sim_proc {
        meters.push(("simulator", Meter::empty(p)));
    }
    if !matches!(stack.server_proc, Some(Proc::This)) {
        let label = if stack.server.is_some() {
            "clients"
        } else {
            "bare loop"
        };
        meters.push((label, Meter::empty(Proc::This)));
    }
    meters
}

async fn agents(args: &Args, stack: &Stack) -> Result<(), String> {
    let server = stack.server.clone().ok_or("no server to load")?;
    let http = crate::agent::http();
    let mut meters = meters(stack);
    let users = scenario::grow(&http, &stack.sim, args.agents, args.campaign).await?;
    eprintln!(
        "cti-load: {} agents against {server} (simulator {}), {} s{}",
        users.len(),
        stack.sim,
        args.seconds,
        match (args.idle, args.rhythm) {
            (true, _) => ", idle",
            (_, true) => ", a contact center's rhythm",
            _ => "",
        }
    );
    let (go, go_rx) = tokio::sync::watch::channel(false);
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let rhythm = args.rhythm.then_some(rhythm::Rhythm {
        talk: args.talk_secs,
        wrap: args.wrap_secs,
        wait: args.wait_secs,
    });
    let ctx = Arc::new(agent::Ctx {
        http: http.clone(),
        server: server.clone(),
        sim: stack.sim.clone(),
        campaign: args.campaign,
        idle_ms: args.idle_ms,
        idle: args.idle,
        joined: AtomicUsize::new(0),
        settled: AtomicUsize::new(0),
        go: go_rx,
        running: AtomicBool::new(true),
        report: std::sync::Mutex::default(),
        rhythm,
        placed: AtomicUsize::new(0),
        measuring: AtomicBool::new(false),
        stop: stop_rx,
    });
    let login_started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let start_of = |i: usize| match args.login_rate {
        0 => Duration::ZERO,
        rate => Duration::from_secs(1) * u32::try_from(i).unwrap_or(u32::MAX) / rate,
    };
    let limit = start_of(users.len()) + LOGIN_LIMIT;
    for (i, user) in users.iter().cloned().enumerate() {
        tasks.spawn(agent::agent(ctx.clone(), user, start_of(i)));
    }
    let mut shown = Instant::now();
    while ctx.settled.load(Ordering::Relaxed) < users.len() && login_started.elapsed() < limit {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if shown.elapsed() >= Duration::from_secs(5) {
            shown = Instant::now();
            eprintln!(
                "cti-load: {} of {} agents in after {:.0} s",
                ctx.joined.load(Ordering::Relaxed),
                users.len(),
                login_started.elapsed().as_secs_f64()
            );
        }
    }
    let logins = login_started.elapsed().as_secs_f64();
    let joined = ctx.joined.load(Ordering::Relaxed);

    if args.rhythm {
        // Every agent takes its place in its cycle before the window starts.
        let _ = go.send(true);
        eprintln!("cti-load: {joined} agents in after {logins:.1} s; placing them");
        let placing = Instant::now();
        while ctx.placed.load(Ordering::Relaxed) < users.len() && placing.elapsed() < LOGIN_LIMIT {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let requests_start = neoapi_requests(&http, &server).await?;
    let metrics_start = metrics_text(&http, &server).await.unwrap_or_default();
    let urgencies_start = polls_by_urgency(&http, &server).await;
    for (_, meter) in &mut meters {
        meter.start();
    }
    let started = Instant::now();
    ctx.measuring.store(true, Ordering::Relaxed);
    let _ = go.send(true);
    eprintln!("cti-load: {joined} agents in after {logins:.1} s; measuring");
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    ctx.measuring.store(false, Ordering::Relaxed);
    let ended = Instant::now();
    let costs: Vec<_> = meters.iter().map(|(l, m)| (*l, m.end())).collect();
    let requests = neoapi_requests(&http, &server).await? - requests_start;
    let urgencies_end = polls_by_urgency(&http, &server).await;
    let window = started.elapsed().as_secs_f64();
    ctx.running.store(false, Ordering::Relaxed);
    let _ = stop.send(true);
    // Agents finish the call in hand and log out; the ones still busy after the grace are cut
    // (what they measured is already in the report).
    let grace = tokio::time::timeout(Duration::from_secs(30), async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    let cut = if grace.is_err() { tasks.len() } else { 0 };
    tasks.abort_all();
    let agent::Report {
        mut pops,
        mut deliveries,
        calls,
        mut errors,
        mut hangups,
        talks,
    } = std::mem::take(&mut *ctx.report.lock().expect("the report lock"));
    if cut > 0 {
        errors.push(format!("{cut} agents did not stop within 30 s"));
    }

    println!(
        "agents                       {joined} in of {}",
        users.len()
    );
    println!("logins                       {logins:.1} s for all");
    println!("measured window              {window:.1} s");
    if args.rhythm {
        let occupancy = rhythm::occupancy(&talks, (started, ended), joined);
        println!("occupancy (talking)          {:.1}%", occupancy * 100.0);
    }
    if !args.idle {
        println!("calls completed              {calls}");
        println!("screen pops measured         {}", pops.len());
        measure::print_percentiles("screen-pop latency", &mut pops);
        measure::print_percentiles("of it, delivery request", &mut deliveries);
        print_server_side(&http, &server, &metrics_start).await;
    }
    if args.rhythm {
        println!("hang-ups measured            {}", hangups.len());
        measure::print_percentiles("hang-up to wrap-up", &mut hangups);
    }
    #[allow(clippy::cast_precision_loss)]
    let per_agent = requests as f64 / joined.max(1) as f64 / window;
    println!("NeoApi requests              {requests} ({per_agent:.2} per agent per second)");
    let polls: Vec<String> = urgencies_end
        .iter()
        .map(|(urgency, n)| {
            let before = urgencies_start
                .iter()
                .find(|(u, _)| u == urgency)
                .map_or(0.0, |(_, b)| *b);
            format!("{urgency} {:.0}/s", (n - before) / window)
        })
        .collect();
    if !polls.is_empty() {
        println!("Position polls by urgency    {}", polls.join(", "));
    }
    if costs.is_empty() {
        println!("CPU and RSS                  n/a (the server runs elsewhere)");
    }
    for (label, cost) in &costs {
        measure::print_cost(label, cost, window, joined);
    }
    print_errors(&errors);
    Ok(())
}

async fn bare(args: &Args, stack: &Stack) -> Result<(), String> {
    let http = crate::agent::http();
    let mut meters = meters(stack);
    let users = scenario::grow(&http, &stack.sim, args.agents, args.campaign).await?;
    eprintln!(
        "cti-load: bare Position loop, {} agents against {}, {} s",
        users.len(),
        stack.sim,
        args.seconds
    );
    let mut report = bare::Report::default();
    let login_started = Instant::now();
    let bare = bare::Bare::login(&stack.sim, &users, args.campaign, &mut report).await?;
    let logins = login_started.elapsed().as_secs_f64();
    for (_, meter) in &mut meters {
        meter.start();
    }
    let started = Instant::now();
    let polling = bare.start(Duration::from_millis(args.poll_ms));
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    let costs: Vec<_> = meters.iter().map(|(l, m)| (*l, m.end())).collect();
    let polls = polling.polls();
    let window = started.elapsed().as_secs_f64();
    polling.stop(&mut report).await;
    bare.logout().await;

    println!(
        "agents                       {} in of {}",
        report.agents,
        users.len()
    );
    println!("logins                       {logins:.1} s for all");
    println!("measured window              {window:.1} s");
    #[allow(clippy::cast_precision_loss)]
    let per_agent = polls as f64 / report.agents.max(1) as f64 / window;
    println!("Position polls               {polls} ({per_agent:.2} per agent per second)");
    for (label, cost) in &costs {
        measure::print_cost(label, cost, window, report.agents);
    }
    print_errors(&report.errors);
    Ok(())
}

fn print_errors(errors: &[String]) {
    println!("errors                       {}", errors.len());
    for e in errors.iter().take(10) {
        println!("  {e}");
    }
}

async fn metrics_text(http: &reqwest::Client, server: &str) -> Result<String, String> {
    http.get(format!("{server}/metrics"))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())
}

/// NeoApi requests the server made so far: the sum of its latency histogram's counts.
async fn neoapi_requests(http: &reqwest::Client, server: &str) -> Result<u64, String> {
    Ok(metrics_text(http, server)
        .await?
        .lines()
        .filter(|l| l.starts_with("cti_neoapi_request_duration_seconds_count"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum())
}

/// `Position` polls the server sent so far, by the session's urgency
/// (`cti_position_polls_by_urgency_total`); none from a server that does not count them.
async fn polls_by_urgency(http: &reqwest::Client, server: &str) -> Vec<(String, f64)> {
    let Ok(text) = metrics_text(http, server).await else {
        return Vec::new();
    };
    let mut polls: Vec<(String, f64)> = text
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("cti_position_polls_by_urgency_total{urgency=\"")?;
            let (urgency, value) = rest.split_once("\"} ")?;
            Some((urgency.to_owned(), value.parse().ok()?))
        })
        .collect();
    polls.sort_by(|a, b| a.0.cmp(&b.0));
    polls
}

/// A histogram of the server's `/metrics` (`name`, the samples whose labels hold `labels`):
/// its buckets (upper bound, count so far), sum and count.
#[derive(Debug, Default)]
struct Histogram {
    buckets: Vec<(f64, f64)>,
    sum: f64,
    count: f64,
}

impl Histogram {
    fn read(text: &str, name: &str, labels: &str) -> Self {
        let value = |l: &str| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok());
        let mut h = Self::default();
        for line in text.lines().filter(|l| l.contains(labels)) {
            if let Some(rest) = line.strip_prefix(&format!("{name}_bucket{{")) {
                let Some(le) = rest.split("le=\"").nth(1).and_then(|r| r.split('"').next()) else {
                    continue;
                };
                let le = if le == "+Inf" {
                    f64::INFINITY
                } else {
                    le.parse().unwrap_or(f64::NAN)
                };
                h.buckets.extend(value(line).map(|n| (le, n)));
            } else if line.starts_with(&format!("{name}_sum")) {
                h.sum = value(line).unwrap_or_default();
            } else if line.starts_with(&format!("{name}_count")) {
                h.count = value(line).unwrap_or_default();
            }
        }
        h
    }

    /// What was observed since `before` (the same histogram read earlier).
    fn since(mut self, before: &Self) -> Self {
        for (le, n) in &mut self.buckets {
            if let Some((_, b)) = before.buckets.iter().find(|(l, _)| l == le) {
                *n -= b;
            }
        }
        self.sum -= before.sum;
        self.count -= before.count;
        self
    }

    /// Its mean, and the bucket bounds its p50 and p99 fall under.
    fn summary(&self) -> Option<String> {
        if self.count <= 0.0 {
            return None;
        }
        let under = |q: f64| {
            self.buckets
                .iter()
                .find(|(_, n)| *n >= q * self.count)
                .map_or(f64::INFINITY, |(le, _)| *le)
        };
        Some(format!(
            "mean {:.1} ms, p50 ≤ {} ms, p99 ≤ {} ms ({} samples)",
            self.sum / self.count * 1000.0,
            under(0.5) * 1000.0,
            under(0.99) * 1000.0,
            self.count
        ))
    }
}

/// The server's own part of the pops (`cti_pop_latency_seconds`: the `Position` answer to the
/// search sent to the page) and NeoApi's `Position` round trip as the server saw it, over the
/// window (`start` is `/metrics` when it began).
async fn print_server_side(http: &reqwest::Client, server: &str, start: &str) {
    let Ok(text) = metrics_text(http, server).await else {
        return;
    };
    let pops = Histogram::read(&text, "cti_pop_latency_seconds", "");
    let before = Histogram::read(start, "cti_pop_latency_seconds", "");
    if let Some(s) = pops.since(&before).summary() {
        println!("server's part of a pop       {s}");
    }
    let (name, labels) = ("cti_neoapi_request_duration_seconds", "method=\"Position\"");
    let polls = Histogram::read(&text, name, labels).since(&Histogram::read(start, name, labels));
    if let Some(s) = polls.summary() {
        println!("Position round trip          {s}");
    }
}
