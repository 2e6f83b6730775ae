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

/// Whether two Salesforce ids name the same record: an 18-character id is its 15-character
/// one (case-sensitive) plus a case-insensitive checksum, and an org or the configuration may
/// give either form.
#[must_use]
pub fn same_id(a: &str, b: &str) -> bool {
    stem(a.trim()) == stem(b.trim())
}

fn stem(id: &str) -> &str {
    match id.len() {
        15 | 18 if id.is_ascii() => &id[..15],
        _ => id,
    }
}

#[cfg(test)]
mod tests {
    use super::same_id;

    #[test]
    fn an_id_is_the_same_in_its_15_and_18_character_forms() {
        assert!(same_id("00D000000000001", "00D000000000001AAA"));
        assert!(same_id("00D000000000001AAA", "00D000000000001aaa"));
        assert!(
            !same_id("00D000000000001", "00d000000000001"),
            "15 is case-sensitive"
        );
        assert!(!same_id("00D000000000001", "00D000000000002AAA"));
        assert!(same_id("0N5000000000001", "0N5000000000001"));
        assert!(!same_id("", "00D000000000001"));
    }
}
