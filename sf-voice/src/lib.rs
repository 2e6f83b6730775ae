#![doc = include_str!("../README.md")]
//!
//! Neotel is a desk phone in Salesforce Voice's terms: audio stays on the agent's SIP phone,
//! NeoApi cannot answer, mute, hold or record, and the connector publishes the call events
//! itself from what `Position` shows.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod bridge;
mod describe;
mod records;
mod session;

// The core whose terms this adapter words and the Telephony Integration API client its records
// take, so an integrator names the very versions it was built with.
pub use cti_core;
pub use sf_telephony;

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
