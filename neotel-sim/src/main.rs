//! `neotel-sim`: the Neotel platform simulated, on a socket.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use neotel_sim::{Scenario, SimServer};

/// The Neotel contact-center platform simulated: NeoApi over HTTP (form POST, GET, SOAP 1.1)
/// at /neoapi/webservice.asmx, and a JSON control API under /sim/.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090", env = "NEOTEL_SIM_LISTEN")]
    listen: SocketAddr,
    /// A scenario JSON file (default: the shipped scenario, agents 1001..1010).
    #[arg(long, env = "NEOTEL_SIM_SCENARIO")]
    scenario: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let scenario = match &args.scenario {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read scenario {}: {e}", path.display()))?;
            Scenario::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => Scenario::default_scenario(),
    };
    let sim = SimServer::start(args.listen, scenario)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    tracing::info!(
        neoapi = %format!("{}/neoapi/webservice.asmx", sim.base_url()),
        wsdl = %format!("{}/neoapi/webservice.asmx?WSDL", sim.base_url()),
        control = %format!("{}/sim/", sim.base_url()),
        "neotel-sim ready (Ctrl-C stops it)"
    );
    tokio::signal::ctrl_c().await?;
    tracing::info!("stopping");
    sim.shutdown().await;
    Ok(())
}
