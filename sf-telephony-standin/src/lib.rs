//! A stand-in of Salesforce's Telephony Integration REST API (spec `scv.md` §3.5) for the
//! demo and tests: it checks tokens as Salesforce documents it does, keeps VoiceCall records,
//! counts the writes each one receives, and injects the faults a client must survive.
//!
//! - [`StandIn`] (in `script`): every decision — token checks, body checks, ids, the
//!   `dedupe` switch, faults, answers — in one place, with what it copies from Salesforce's
//!   documentation and what it had to choose (only a real org can settle those; spec §7.1,
//!   §7.7).
//! - [`StandInServer`] / [`app`]: the HTTP server around it.
//!
//! | endpoint | what |
//! | --- | --- |
//! | `POST /telephony/v1/voiceCalls` | R1: creates a VoiceCall, answers `{"voiceCallId":"0LQ…","errors":[]}` |
//! | `PATCH /telephony/v1/voiceCalls/{id}` | R2, by `voiceCallId` or `vendorCallKey`: `{"status":"pending"}` |
//! | `PATCH /telephony/v1/voiceCalls/{id}/clearRouting` | R9: `{"status":"pending"}` |
//! | `GET /_standin/calls` | everything held: [`Snapshot`] |
//! | `GET`/`POST`/`DELETE /_standin/faults` | the [`FaultPlan`]: latency, one-shot faults, random rates |
//! | `GET`/`POST /_standin/settings` | [`Settings`]: `dedupe`, `knownCallAttributes` |
//! | `POST /_standin/reset` | forgets records, counts and faults |
//!
//! Faults (`POST /_standin/faults`), each one-shot or at a random rate, for API requests that
//! passed the token and body checks: `serverError` (a 5xx), `drop` (the connection closed
//! without an answer), both **before or after the write** (`afterWrite`: the request reached
//! the records, and its answer is what is lost), and `delay` (the write applied, the answer
//! held past a client's timeout).
//!
//! ```
//! use sf_telephony_standin::{ApiRequest, Delivery, Op, StandIn, StandInConfig};
//!
//! let pair = sf_telephony::DemoKeyPair::generate("stand-in doc")?;
//! let mut stand_in = StandIn::new(StandInConfig::new("00DHs00000Kmpyr", "NeotelContactCenter", pair.certificate_pem()))?;
//! let unsigned = ApiRequest { op: Op::Create, authorization: None, content_type: Some("application/json"), provider: Some("neotel"), body: b"{}" };
//! let Delivery::Answer(reply) = stand_in.handle(&unsigned, 1_800_000_000) else { unreachable!() };
//! assert_eq!(reply.status, 401);
//! assert_eq!(stand_in.snapshot().refused.auth["missing"], 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod script;
mod server;

pub use script::{
    ApiRequest, Delivery, Fault, FaultKind, FaultPlan, FaultRates, Op, Refusals, Reply, Settings,
    Snapshot, StandIn, StandInConfig, StandInError, StoredCall, Target,
};
pub use server::{Shared, StandInServer, app};

/// The README's examples, run as doctests so it cannot drift.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
