//! Click-to-dial with NeoApi, the way an integrator would write it.
//!
//! Logs an agent in on its device, joins an outbound campaign, dials a number, polls
//! `Position` until the call is bridged to the agent (bounded wait), hangs up and logs
//! out, printing each step.
//!
//! ```text
//! # against the built-in simulator (started in-process on 127.0.0.1:0)
//! cargo run -p connector-examples --bin click_to_dial
//! cargo run -p connector-examples --bin click_to_dial -- --binding soap --phone 1144445555
//!
//! # against a real Neotel (the password from the environment keeps it out of `ps`)
//! NEOTEL_PASSWORD=… cargo run -p connector-examples --bin click_to_dial -- \
//!     --base-url http://neotel.example:8080 --path /NEOAPI/webservice.asmx \
//!     --device SIP/6000 --user 1001 --campaign 3 --phone 0348715366797
//! ```
//!
//! With the simulator, the program also plays the customer and the agent's phone
//! (through the simulator's `/sim/` control API) so the call comes up; against a real
//! Neotel, the agent answers the SIP phone and the customer picks up.
//! `RUST_LOG=neotel_api=debug` shows one span per NeoApi call.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use neotel_api::{AgentState, Binding, Client, FaultKind, HttpTransportBuilder, Password};
use neotel_sim::{Scenario, SimServer};

/// Log in, join a campaign, dial, wait for the call, hang up, log out.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// NeoApi server, e.g. `http://neotel.example:8080`. Absent: an in-process simulator.
    #[arg(long)]
    base_url: Option<String>,
    /// Binding: form (HTTP POST), get (HTTP GET) or soap (SOAP 1.1).
    #[arg(long, default_value_t = Binding::Form)]
    binding: Binding,
    /// The service path on the server.
    #[arg(long, default_value = "/neoapi/webservice.asmx")]
    path: String,
    /// The agent's device (position).
    #[arg(long, default_value = "SIP/1001")]
    device: String,
    /// The agent (`USUARIO`).
    #[arg(long, default_value = "1001")]
    user: String,
    /// The agent's password (`CLAVE`).
    #[arg(
        long,
        env = "NEOTEL_PASSWORD",
        hide_env_values = true,
        default_value = "1001"
    )]
    password: String,
    /// The outbound campaign to join (the simulator's 99 is a manual campaign).
    #[arg(long, default_value_t = 99)]
    campaign: i64,
    /// The number to dial.
    #[arg(long, default_value = "1144445555")]
    phone: String,
    /// How long to wait for the call to come up (and to go away), in seconds.
    #[arg(long, default_value_t = 30)]
    wait_secs: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let sim = match &args.base_url {
        Some(_) => None,
        None => {
            match SimServer::start(([127, 0, 0, 1], 0).into(), Scenario::default_scenario()).await {
                Ok(sim) => {
                    println!("simulator listening at {}", sim.base_url());
                    Some(sim)
                }
                Err(e) => {
                    eprintln!("cannot start the simulator: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
    };
    let base_url = match (&args.base_url, &sim) {
        (Some(url), _) => url.clone(),
        (None, Some(sim)) => sim.base_url(),
        (None, None) => unreachable!("the simulator starts when no base URL is given"),
    };
    let result = run(&args, &base_url, sim.is_some()).await;
    if let Some(sim) = sim {
        sim.shutdown().await;
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("failed: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(
    args: &Args,
    base_url: &str,
    simulated: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let transport = HttpTransportBuilder::new(base_url)
        .path(&args.path)
        .timeout(Duration::from_secs(10))
        .build(args.binding)?;
    let client = Client::new(transport);
    let control = simulated.then(|| SimControl::new(base_url));
    let user = args.user.as_str();
    let password = Password::new(args.password.clone());
    let wait = Duration::from_secs(args.wait_secs);

    println!("{} binding, {base_url}{}", args.binding, args.path);
    match client.login(&args.device, user, &password).await {
        Ok(()) => println!("logged in {user} on {}", args.device),
        Err(e) if e.fault_kind() == Some(FaultKind::PositionNotFree) => {
            // usually our own stale session: end it and log in again
            println!("{} is taken ({e}); logging out and in again", args.device);
            client.logout(user).await?;
            client.login(&args.device, user, &password).await?;
            println!("logged in {user} on {}", args.device);
        }
        Err(e) => return Err(e.into()),
    }

    client.login_campaign(user, args.campaign).await?;
    let position = client.position(user).await?;
    println!(
        "joined campaign {:?} ({} dialer), state {:?}",
        position.outbound_campaign(),
        position.dialer_type().as_str(),
        position.agent_state()
    );

    let accepted = client.dial(user, &args.phone).await?;
    println!("Dial {} → {accepted}", args.phone);
    if !accepted {
        client.logout(user).await?;
        return Err("the platform refused to dial".into());
    }

    // poll until the call is bridged to the agent
    let started = Instant::now();
    let mut last = None;
    let mut answered = false;
    let call_id = loop {
        let position = client.position(user).await?;
        let state = position.agent_state();
        if last != Some(state) {
            println!(
                "  {:>5} ms  {state:?}  call {:?}  sub-state {:?}",
                started.elapsed().as_millis(),
                position.call_id(),
                position.sub_state()
            );
            last = Some(state);
        }
        match (state, position.call_id()) {
            (AgentState::OnCall { bridged: true }, Some(id)) => break id,
            (_, Some(id)) if !answered => {
                if let Some(control) = &control {
                    // play the agent's phone and the customer
                    control.answer(id, user).await?;
                    answered = true;
                }
            }
            _ => {}
        }
        if started.elapsed() > wait {
            client.hangup(user).await.ok();
            client.logout(user).await?;
            return Err(format!("no call up after {} s", wait.as_secs()).into());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    println!(
        "call {call_id} up with {} after {} ms",
        args.phone,
        started.elapsed().as_millis()
    );

    client.hangup(user).await?;
    let hung_up = Instant::now();
    loop {
        let position = client.position(user).await?;
        if position.call_id().is_none() {
            println!("hung up; state {:?}", position.agent_state());
            break;
        }
        if hung_up.elapsed() > wait {
            return Err(
                format!("call {call_id} still up {} s after Hangup", wait.as_secs()).into(),
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    client.logout(user).await?;
    println!("logged out {user}");
    Ok(())
}

/// The simulator's control API, used only when the program runs its own simulator.
struct SimControl {
    http: reqwest::Client,
    base: String,
}

impl SimControl {
    fn new(base: &str) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    async fn answer(&self, call_id: i64, user: &str) -> Result<(), Box<dyn std::error::Error>> {
        // the agent's phone first: on a manual call the platform dials the customer once
        // the agent answers
        for path in [
            format!("/sim/agents/{user}/answer"),
            format!("/sim/calls/{call_id}/answer"),
        ] {
            let response = self
                .http
                .post(format!("{}{path}", self.base))
                .send()
                .await?;
            println!("  (simulator) POST {path} → {}", response.status());
        }
        Ok(())
    }
}
