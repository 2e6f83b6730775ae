//! `cti-server`: the connector server and its call center tools. See `cti-server --help`.
#![forbid(unsafe_code)]

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
