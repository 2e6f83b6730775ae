//! The connector server: thin I/O around `cti-core`.
//!
//! It serves the softphone page (`/softphone/`), the browser protocol (`/ws`, see
//! `docs/protocol.md`), `/healthz`, `/readyz` and `/metrics`; runs one task per logged-in agent
//! that owns the agent's [`cti_core`] session (made by a factory, so tests inject a scripted
//! machine), polls `Position` on the core's timer, runs NeoApi calls and routes Salesforce
//! effects to the agent's leader browser connection. Every clock read is in [`clock`].
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

// Layers, each importing only those above it: configuration; the clock, NeoApi and the small
// leaves (errors, assets, words, metrics, security, protocol, TLS, call center); the agent
// sessions; the shared state; the WebSocket connection; the HTTP routes; serving a listener
// (its caps and timeouts); the demo; the server.
// `tests/module_graph.rs` keeps the imports one way.
pub mod config;

pub mod assets;
pub mod callcenter;
pub mod clock;
pub mod error;
pub mod i18n;
pub mod metrics;
mod neoapi;
pub mod protocol;
pub mod security;
pub mod store;
pub mod telephony;
pub mod tls;

mod session;

mod state;

mod ws;

mod http;

mod listener;

mod demo;

pub mod doctor;
mod server;
#[cfg(test)]
mod server_tests;

pub use error::ServeError;
pub use http::{app, metrics_app};
pub use server::{Server, serve, shutdown_signal};
pub use state::AppState;
