//! The Neotel contact-center platform, simulated: NeoApi over real HTTP (the same paths,
//! bodies, faults and WSDL as a real install), dialers, inbound queues with the
//! `CONTACTO_INSERT_SALESFORCE` rule, CRM bases, schedules, transfers, conferences and
//! per-install tasks, plus a JSON control API under `/sim/` for tests and the demo.
//!
//! Two layers:
//!
//! - [`Platform`]: the engine, pure (no sockets, no clock): time comes in as the Neotel
//!   server's local time with every call, so simulation tests couple to it in-process.
//! - [`SimServer`] / [`app`]: the thin HTTP server around it.
//!
//! `Position` is rendered by a pure function of a [`PositionView`] ([`render_position`]) and
//! read back by [`position::parse_view`]; the `proptest` feature adds
//! `position::strategy`, arbitrary agent states for other crates' property tests.
//!
//! ```
//! use neotel_sim::{Platform, Reply, Scenario};
//! let t0 = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap().and_hms_opt(9, 0, 0).unwrap();
//! let mut neotel = Platform::new(Scenario::default_scenario(), t0);
//! let p = |kv: &[(&str, &str)]| kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>();
//! neotel.call(t0, "Login", &p(&[("DEVICE", "SIP/1001"), ("USUARIO", "1001"), ("CLAVE", "1001")]))?;
//! let Reply::String(position) = neotel.call(t0, "Position", &p(&[("USUARIO", "1001")]))? else { unreachable!() };
//! assert!(position.contains("|ESTADO_CRM=Available|"));
//! # Ok::<(), neotel_sim::Fault>(())
//! ```
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! let sim = neotel_sim::SimServer::start("127.0.0.1:0".parse().unwrap(), neotel_sim::Scenario::default_scenario()).await?;
//! println!("NeoApi at {}/neoapi/webservice.asmx", sim.base_url());
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod platform;
pub mod position;
mod scenario;
mod server;
pub mod wire;
mod wsdl;

pub use platform::{
    Binding, ContactKey, ControlError, DeliverRequest, Delivered, Fault, InboundPlaced,
    InboundRequest, JournalEntry, Outcome, Platform, Reply, TextMessage,
};
pub use position::{PositionView, render_position};
pub use scenario::{
    BreakState, Campaign, Category, ContactRecord, DEFAULT_SCENARIO_JSON, DateCulture, Dialer,
    PositionLayout, Queue, Scenario, ScenarioError, Settings, Subcategory, TaskMapping,
    TransferPhone, User,
};
pub use server::{FaultRule, Shared, SimServer, app};
pub use wsdl::wsdl;

/// The README's examples, run as doctests so it cannot drift.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
