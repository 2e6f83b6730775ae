//! Checks a call center definition file the way Salesforce and the connector will read it.
//!
//! `cargo run -p sf-callcenter --example check -- FILE`: prints the typed configuration as
//! JSON and exits 0, or prints every problem (with its line) and exits 1.

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: check FILE.xml");
        return ExitCode::from(2);
    };
    let xml = match std::fs::read_to_string(&path) {
        Ok(xml) => xml,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(2);
        }
    };
    match sf_callcenter::check(&xml) {
        Ok(config) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&config).expect("the configuration serializes")
            );
            ExitCode::SUCCESS
        }
        Err(problems) => {
            for p in &problems {
                eprintln!("{path}: {p}");
            }
            eprintln!("{} problem(s)", problems.len());
            ExitCode::FAILURE
        }
    }
}
