//! The command line: `serve` (the default), `doctor`, `callcenter generate`, `callcenter check`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory as _, FromArgMatches as _, Parser, Subcommand, ValueEnum};
use cti_server::config::{self, Keys, Sources};

/// The Neotel ↔ Salesforce Open CTI connector server.
///
/// Configuration: a TOML file (--config), CTI_… environment variables (CTI_NEOAPI_URL for
/// neoapi.url, …) and these flags (each names its key and variable); flags win over the
/// environment, which wins over the file. Without neoapi.url the server runs the demo: the
/// Neotel simulator and a local Lightning stand-in.
#[derive(Debug, Parser)]
#[command(name = "cti-server", version, about, long_about)]
struct Cli {
    /// TOML configuration file (see config.example.toml).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Log format; the level comes from RUST_LOG (default `info`).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human, env = "CTI_LOG_FORMAT")]
    log_format: LogFormat,
    #[command(flatten)]
    serve: Keys,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve(Box<Keys>),
    /// Check this install (same configuration as the server): one line per check, ok, warn or
    /// FAIL with what to do; exit status 1 on any FAIL.
    ///
    /// Checks the configuration, public_url, the TLS certificate and key (match, name, issuer,
    /// 30 days left), NeoApi (WSDL at neoapi.path, every operation the connector calls, a real
    /// call through neoapi.binding), optionally a test Login/Logout, a call center file and its
    /// adapter URL, allowed_origins, data_dir and the open-files limit for max_agents.
    Doctor(Box<DoctorArgs>),
    /// Salesforce call center definition files.
    #[command(subcommand)]
    Callcenter(CallCenterCommand),
}

#[derive(Debug, Subcommand)]
enum CallCenterCommand {
    /// Print a call center definition (XML) for this connector: the Open CTI call center, or
    /// with --voice the Salesforce Voice partner-telephony contact center.
    Generate {
        /// The softphone's URL (https, ends in /softphone/). Open CTI only.
        #[arg(long, required_unless_present = "voice")]
        adapter_url: Option<String>,
        /// Softphone width in pixels (200–1920). Open CTI only.
        #[arg(long, conflicts_with = "voice")]
        width: Option<u32>,
        /// Softphone height in pixels (240–2560). Open CTI only.
        #[arg(long, conflicts_with = "voice")]
        height: Option<u32>,
        /// Salesforce compatibility mode (Lightning or Classic_and_Lightning). Open CTI only.
        #[arg(long, conflicts_with = "voice")]
        mode: Option<String>,
        /// The Salesforce Voice partner-telephony contact center (Setup → Partner Telephony
        /// Contact Centers → Import) instead of the Open CTI call center.
        #[arg(long, conflicts_with = "adapter_url")]
        voice: bool,
        /// --voice: the server's certificate (PEM), the public half of the key pair it signs
        /// Salesforce's tokens with. Never the private key.
        #[arg(
            long,
            value_name = "FILE",
            requires = "voice",
            required_if_eq("voice", "true")
        )]
        certificate: Option<PathBuf>,
        /// --voice: the contact center's internal name (default NeotelContactCenter): the one
        /// the server's configuration names, the subject of its tokens.
        #[arg(long, value_name = "NAME", requires = "voice")]
        internal_name: Option<String>,
        /// --voice: the name Salesforce shows (default Neotel).
        #[arg(long, value_name = "NAME", requires = "voice")]
        display_name: Option<String>,
        /// --voice: the vendor's API name (default NeotelVendor; neotel__NeotelVendor when the
        /// package has the neotel namespace).
        #[arg(long, value_name = "NAME", requires = "voice")]
        vendor_info: Option<String>,
        /// --voice: the long-distance prefix (default none).
        #[arg(long, value_name = "DIGITS", requires = "voice")]
        long_distance_prefix: Option<String>,
    },
    /// Check a call center definition: prints its options, or every problem (exit 1).
    Check {
        /// The XML file.
        file: PathBuf,
        /// A Salesforce Voice partner-telephony contact center (prints its names and its
        /// certificate's subject, SHA-256 fingerprint and expiry).
        #[arg(long)]
        voice: bool,
    },
}

/// `doctor`: the server's flags and what else to check.
#[derive(Debug, Clone, Args)]
struct DoctorArgs {
    #[command(flatten)]
    serve: Keys,
    /// A call center definition (XML) to check; default: callcenter.file.
    #[arg(long, value_name = "FILE")]
    callcenter: Option<PathBuf>,
    /// Test Login then Logout as this agent; the password comes from CTI_DOCTOR_PASSWORD or is
    /// asked on the terminal (never a flag, never logged).
    #[arg(long, num_args = 2, value_names = ["DEVICE", "USER"])]
    login: Option<Vec<String>>,
}

/// Every configuration flag's help starts with its key and its environment variable.
fn with_keys(command: clap::Command) -> clap::Command {
    let command = command.mut_args(|arg| {
        let long = arg.get_long().map(|l| format!("--{l}"));
        let Some(key) = config::keys().find(|key| config::flag(key) == long.as_deref()) else {
            return arg;
        };
        let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
        arg.help(format!("{key} ({}): {help}", config::env_name(key)))
    });
    let names: Vec<String> = command
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect();
    names.iter().fold(command, |command, name| {
        command.mut_subcommand(name, with_keys)
    })
}

pub(crate) fn main() -> ExitCode {
    let matches = with_keys(Cli::command()).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    init_tracing(cli.log_format);
    match cli.command {
        Some(Command::Callcenter(c)) => callcenter(c),
        Some(Command::Serve(args)) => serve(cli.config, *args),
        Some(Command::Doctor(args)) => doctor(cli.config, *args),
        None => serve(cli.config, cli.serve),
    }
}

fn init_tracing(format: LogFormat) {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;

    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let fmt = match format {
        LogFormat::Human => fmt.boxed(),
        LogFormat::Json => fmt.json().boxed(),
    };
    tracing_subscriber::registry()
        .with(
            fmt.with_filter(filter)
                .with_filter(tracing_subscriber::filter::filter_fn(|meta| {
                    !dumps_frames(meta)
                })),
        )
        .init();
}

/// The WebSocket library traces every frame it receives, and the login frame holds the
/// password: whatever `RUST_LOG` says, those lines are never written.
fn dumps_frames(meta: &tracing::Metadata<'_>) -> bool {
    *meta.level() == tracing::Level::TRACE && meta.target().starts_with("tungstenite")
}

fn serve(file: Option<PathBuf>, keys: Keys) -> ExitCode {
    let config = match config::load(&Sources::from_process_env(file, keys)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cti-server: {e}");
            return ExitCode::from(2);
        }
    };
    // Each agent holds a few sockets: use all the descriptors the hard limit allows.
    match cti_server::doctor::raise_open_files_limit() {
        Ok(limit) if limit < cti_server::doctor::open_files_needed(config.max_agents) => {
            tracing::warn!(
                limit,
                needed = cti_server::doctor::open_files_needed(config.max_agents),
                max_agents = config.max_agents,
                "the open-files limit (its hard limit) is too low for max_agents: raise LimitNOFILE= or lower max_agents"
            );
        }
        Ok(limit) => tracing::debug!(limit, "open-files limit"),
        Err(e) => tracing::warn!(error = %e, "cannot raise the open-files limit"),
    }
    let Some(runtime) = runtime() else {
        return ExitCode::FAILURE;
    };
    runtime.block_on(async {
        let server = match cti_server::Server::bind(config).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("cti-server: {e}");
                return ExitCode::FAILURE;
            }
        };
        let shutdown = cti_server::shutdown_signal();
        // The one line a person reads, on stdout whatever the log format.
        println!("{}", server.open_line());
        match server.run(shutdown).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("cti-server: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

fn runtime() -> Option<tokio::runtime::Runtime> {
    tokio::runtime::Runtime::new()
        .inspect_err(|e| eprintln!("cti-server: cannot start the runtime: {e}"))
        .ok()
}

fn doctor(file: Option<PathBuf>, args: DoctorArgs) -> ExitCode {
    let login = args.login.map(|pair| {
        let [device, user] = <[String; 2]>::try_from(pair).expect("clap takes exactly 2 values");
        cti_server::doctor::read_password(&user).map(|password| cti_server::doctor::LoginProbe {
            device,
            user,
            password,
        })
    });
    let options = cti_server::doctor::Options {
        callcenter: args.callcenter,
        login,
    };
    let sources = Sources::from_process_env(file, args.serve);
    let Some(runtime) = runtime() else {
        return ExitCode::FAILURE;
    };
    let report = runtime.block_on(cti_server::doctor::run(&sources, &options));
    println!("{report}");
    if report.failed() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn callcenter(command: CallCenterCommand) -> ExitCode {
    match command {
        CallCenterCommand::Generate {
            adapter_url,
            width,
            height,
            mode,
            voice,
            certificate,
            internal_name,
            display_name,
            vendor_info,
            long_distance_prefix,
        } => {
            let xml = match (voice, certificate, adapter_url) {
                (true, Some(certificate), _) => cti_server::callcenter::generate_voice(
                    &certificate,
                    cti_server::callcenter::VoiceNames {
                        internal_name,
                        display_name,
                        vendor_info_api_name: vendor_info,
                        long_distance_prefix,
                    },
                ),
                (false, _, Some(adapter_url)) => {
                    cti_server::callcenter::generate(&adapter_url, width, height, mode.as_deref())
                }
                // clap requires --certificate with --voice and --adapter-url without it.
                _ => Err(vec![
                    "give --adapter-url (Open CTI) or --voice --certificate FILE".to_owned(),
                ]),
            };
            match xml {
                Ok(xml) => {
                    print!("{xml}");
                    ExitCode::SUCCESS
                }
                Err(problems) => {
                    for p in problems {
                        eprintln!("cti-server: {p}");
                    }
                    ExitCode::from(2)
                }
            }
        }
        CallCenterCommand::Check { file, voice } => match std::fs::read_to_string(&file) {
            Err(e) => {
                eprintln!("cti-server: cannot read {}: {e}", file.display());
                ExitCode::FAILURE
            }
            Ok(text) => {
                let checked = if voice {
                    cti_server::callcenter::check_voice(&text)
                } else {
                    cti_server::callcenter::check(&text)
                };
                match checked {
                    Ok(report) => {
                        println!("{report}");
                        ExitCode::SUCCESS
                    }
                    Err(problems) => {
                        for p in problems {
                            println!("{}: {p}", file.display());
                        }
                        ExitCode::FAILURE
                    }
                }
            }
        },
    }
}
