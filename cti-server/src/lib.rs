//! The connector server: thin I/O around `cti-core`.
//!
//! It serves the softphone page (`/softphone/`), the browser protocol (`/ws`, see
//! `docs/protocol.md`), `/healthz`, `/readyz` and `/metrics`; runs one task per logged-in agent
//! that owns the agent's [`cti_core`] session (the only place the clock is read), polls
//! `Position` on the core's timer, runs NeoApi calls and routes Salesforce effects to the
//! agent's leader browser connection.
//!
//! Without a configured NeoApi it runs the **demo**: the Neotel simulator in-process and the
//! local Lightning stand-in on a second listener.
//!
//! ```no_run
//! # async fn run() -> Result<(), cti_server::ServeError> {
//! let config = cti_server::config::Config::defaults();
//! let server = cti_server::Server::bind(config).await?;
//! println!("{}", server.open_line());
//! server.run(cti_server::shutdown_signal()).await
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod assets;
pub mod callcenter;
pub mod config;
mod core;
mod demo;
pub mod doctor;
pub mod error;
mod http;
pub mod i18n;
pub mod metrics;
pub mod protocol;
pub mod security;
mod server;
#[cfg(test)]
mod server_tests;
mod session;
pub mod tls;
mod ws;

pub use http::{AppState, app};
pub use server::{ServeError, Server, serve, shutdown_signal};
