//! The Salesforce Voice (partner telephony) adapter of the Neotel ↔ Salesforce connector:
//! sans-IO translation between the core's surface-neutral terms and the connector page on
//! `@salesforce/scv-connector-base` 3.6.2 (`scv-connector/`), plus the bridge to the package's
//! Lightning components. It decides nothing the core decides: the core says what happened to
//! the calls ([`cti_core::CallEvent`]) and whether a command is allowed; this crate words it as
//! the base's events and results, and turns Salesforce's method calls into the core's commands.
//!
//! Neotel is a desk phone in Salesforce Voice's terms: audio stays on the agent's SIP phone,
//! NeoApi cannot answer, mute, hold or record, and the connector publishes the call events
//! itself from what `Position` shows.
//!
//! ```
//! use std::sync::Arc;
//! use cti_core::{CallEvent, CallOrigin, CallStart};
//! use sf_voice::{Out, PageMessage, Presence, VoiceConfig, VoiceSession};
//!
//! let config = VoiceConfig {
//!     user: "1001".into(),
//!     device: "SIP/1001".into(),
//!     presence: Presence { available: Some("0N5000000000001".into()), ..Presence::default() },
//!     label_namespace: "neotel".into(),
//!     after_call_work: true,
//!     options: Default::default(),
//!     dialing: Default::default(),
//!     pop_rules: Default::default(),
//!     catalogs: Arc::default(),
//!     records: None,
//! };
//! let mut voice = VoiceSession::new(config);
//! let start = CallStart {
//!     id: 1159450, phone: "1144445555".into(), direction: sf_callcenter::CallType::Inbound,
//!     origin: CallOrigin::Queue, dialer: None, campaign: None, queue: Some(200),
//!     contact_id: Some(31), key: Some(String::new()),
//! };
//! let now = chrono::Utc::now();
//! let out = voice.event(&CallEvent::Started(start), now, &|m| m.to_string());
//! // The calls first (the base reads them), then CALL_STARTED for every voice page.
//! assert!(matches!(&out[0], Out::To(None, PageMessage::Calls(calls)) if calls.len() == 1));
//! assert!(matches!(&out[1], Out::To(None, PageMessage::Publish { event_type: "CALL_STARTED", .. })));
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod bridge;
mod describe;
mod records;
mod session;

pub use bridge::{BRIDGE_VERSION, FromComponents, read as read_message};
pub use records::{Noted, Records, RecordsConfig, Write, Written};
pub use session::{Asked, Out, PageMessage, Presence, Then, VoiceConfig, VoiceSession};

/// A component's answer to a request of the core, read against what the core asked.
///
/// # Errors
/// A [`cti_core::CrmError`] for a failure the component reported, or an answer not of the
/// shape asked.
pub fn read_answer(ask: &cti_core::Ask, message: &serde_json::Value) -> cti_core::CrmResult {
    bridge::answer(ask, message)
}
