//! The typed client of Salesforce's Telephony Integration REST API (Salesforce Voice partner
//! telephony, "SCRT"), for the Neotel connector's server: VoiceCall records created and
//! updated by the server, with RS256 JWTs signed by a key that never leaves it (spec
//! `scv.md` §3).
//!
//! It decides nothing about *when* to call; it makes each call well and says exactly what
//! became of it:
//!
//! - [`wire`]: the bodies with Salesforce's names, R1 [`CreateVoiceCall`] → [`VoiceCallCreated`],
//!   R2 [`UpdateVoiceCall`] → [`Pending`], R9 (no body) → [`Pending`].
//! - [`KeyMaterial`]: the private key and the certificate Salesforce holds, checked at load
//!   (RSA, ≥ 2048 bits, the two halves match); [`Claims`] and [`KeyMaterial::sign`] make the
//!   tokens (`iss` org id, `sub` contact center, `iat`, `exp`, a fresh `jti`, no `aud`).
//!   [`DemoKeyPair`] makes a throwaway pair for the demo and tests.
//! - [`TelephonyClient`]: one method per call, each returning an [`Outcome`] that keeps apart
//!   *accepted*, *refused* (Salesforce said no), *unknown* (it may have been applied) and
//!   *not sent*. The client never retries: resending R2 after an unknown outcome is safe (it
//!   overwrites by id), resending R1 is not known to be (spec §7.7 question 6), and that
//!   choice belongs to the caller.
//!
//! The private key never appears in `Debug`, errors or logs; the token is sent as a sensitive
//! header and never logged.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use sf_telephony::{Claims, DemoKeyPair};
//!
//! let pair = DemoKeyPair::generate("neotel demo")?; // the demo's throwaway pair
//! let keys = pair.key_material()?;
//! let claims = Claims::new("00DHs00000Kmpyr", "NeotelContactCenter", SystemTime::now(), Duration::from_secs(300));
//! let token = keys.sign(&claims)?;
//! assert_eq!(token.split('.').count(), 3);
//! assert!(!format!("{keys:?}").contains("PRIVATE KEY"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ```no_run
//! use std::sync::Arc;
//! use sf_telephony::{ClientConfig, CreateVoiceCall, InitiationMethod, KeyMaterial, Outcome, Participant, TelephonyClient};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let keys = KeyMaterial::load("scrt-key.pem".as_ref(), "scrt-cert.pem".as_ref())?;
//! let config = ClientConfig::new("https://acme.my.salesforce-scrt.com", "00DHs00000Kmpyr", "NeotelContactCenter", "neotel");
//! let client = TelephonyClient::new(config, Arc::new(keys))?;
//! let create = CreateVoiceCall {
//!     call_center_api_name: "NeotelContactCenter".into(),
//!     vendor_call_key: "neotel-4711".into(),
//!     to: "8005550100".into(),
//!     from: "1155550199".into(),
//!     initiation_method: InitiationMethod::Inbound,
//!     start_time: chrono::Utc::now(),
//!     participants: vec![Participant::end_user("1155550199")],
//!     parent_voice_call_id: None,
//!     queue: None,
//!     call_origin: None,
//!     call_subtype: None,
//!     call_attributes: Some(sf_telephony::call_attributes([("NeoCallId__c", "4711")])),
//! };
//! match client.create_voice_call(&create).await {
//!     Outcome::Accepted(created) => println!("VoiceCall {}", created.voice_call_id),
//!     Outcome::Unknown(why) => println!("maybe created ({why}): do not resend blindly"),
//!     other => println!("not created: {other}"),
//! }
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod client;
mod keys;
pub mod wire;

pub use client::{ClientConfig, ConfigError, NotSent, Outcome, Refusal, TelephonyClient, Unknown};
pub use keys::{
    Claims, DemoKeyPair, KeyError, KeyFile, KeyMaterial, MAX_TOKEN_LIFETIME, MIN_KEY_BITS,
    SignError,
};
pub use wire::{
    CallOrigin, CallSubtype, CreateErrors, CreateVoiceCall, DisconnectReason, InitiationMethod,
    Participant, ParticipantType, Pending, UpdateVoiceCall, VoiceCallCreated, call_attributes,
};

/// The README's examples, run as doctests so it cannot drift.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
