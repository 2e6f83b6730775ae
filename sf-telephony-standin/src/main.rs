//! `sf-telephony-standin`: the Telephony Integration API stand-in, on a socket.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::Parser;
use sf_telephony_standin::{StandIn, StandInConfig, StandInServer};

/// A stand-in of Salesforce's Telephony Integration REST API (VoiceCall create/update) for
/// the demo and tests: the API under /telephony/v1, a JSON control API under /_standin/.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on.
    #[arg(
        long,
        default_value = "127.0.0.1:8095",
        env = "SF_TELEPHONY_STANDIN_LISTEN"
    )]
    listen: SocketAddr,
    /// The org id tokens must carry as `iss`.
    #[arg(
        long,
        default_value = "00D000000000001",
        env = "SF_TELEPHONY_STANDIN_ORG_ID"
    )]
    org_id: String,
    /// The contact center's API name: tokens' `sub` and R1's `callCenterApiName`.
    #[arg(
        long,
        default_value = "NeotelContactCenter",
        env = "SF_TELEPHONY_STANDIN_CALL_CENTER"
    )]
    call_center: String,
    /// The certificate (PEM) whose key verifies the tokens.
    #[arg(
        long,
        env = "SF_TELEPHONY_STANDIN_CERTIFICATE",
        required_unless_present = "generate_keys"
    )]
    certificate: Option<PathBuf>,
    /// Demo only: make a fresh key pair in this directory (private-key.pem, readable by the
    /// owner only, and certificate.pem) and verify tokens with it.
    #[arg(
        long,
        env = "SF_TELEPHONY_STANDIN_GENERATE_KEYS",
        conflicts_with = "certificate"
    )]
    generate_keys: Option<PathBuf>,
    /// A repeated vendorCallKey in R1 returns the existing record instead of a new one.
    #[arg(long, env = "SF_TELEPHONY_STANDIN_DEDUPE")]
    dedupe: bool,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let certificate_pem = match (&args.certificate, &args.generate_keys) {
        (Some(path), _) => std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the certificate {}: {e}", path.display()))?,
        (None, Some(dir)) => generate_keys(dir)?,
        (None, None) => unreachable!("clap requires one of them"),
    };
    let mut config = StandInConfig::new(&args.org_id, &args.call_center, certificate_pem);
    config.dedupe = args.dedupe;
    let stand_in = StandIn::new(config)?;
    let server = StandInServer::start(args.listen, stand_in)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    tracing::info!(
        api = %format!("{}/telephony/v1", server.base_url()),
        control = %format!("{}/_standin/", server.base_url()),
        org_id = %args.org_id,
        call_center = %args.call_center,
        dedupe = args.dedupe,
        "Telephony API stand-in ready (Ctrl-C stops it)"
    );
    tokio::signal::ctrl_c().await?;
    tracing::info!("stopping");
    server.shutdown().await;
    Ok(())
}

/// Writes a fresh demo pair into `dir`; returns the certificate.
fn generate_keys(dir: &Path) -> Result<String, Box<dyn std::error::Error>> {
    let pair = sf_telephony::DemoKeyPair::generate("Neotel connector demo")?;
    std::fs::create_dir_all(dir)?;
    let key_path = dir.join("private-key.pem");
    write_private(&key_path, pair.private_key_pem())?;
    let cert_path = dir.join("certificate.pem");
    std::fs::write(&cert_path, pair.certificate_pem())?;
    tracing::info!(
        private_key = %key_path.display(),
        certificate = %cert_path.display(),
        "demo key pair written"
    );
    Ok(pair.certificate_pem().to_owned())
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?
        .write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}
