#![doc = include_str!("../README.md")]
//!
//! # What it holds
//!
//! - The file an admin imports ([`CallCenter`]): parsed from XML (every syntax problem with
//!   line and column) or from the flat map `getCallCenterSettings()` returns, checked against
//!   Salesforce's rules and the connector's own all at once ([`check`], [`CallCenter::validate`]),
//!   and generated for an install ([`generate`]).
//! - The connector's options, typed ([`Options`], X-* ids), the Neotel data names
//!   ([`NeotelData`]) and the `externalData` / `defaultNewRowData` field maps ([`FieldMap`]).
//! - Which record wins ([`decide_screen_pop`], W-SCREENPOP; [`pop_without_search`], W-PRIVATE).
//! - Click-to-dial numbers ([`normalize_number`], W-CLICK2DIAL).
//! - The Salesforce Voice partner-telephony contact center ([`VoiceConfig`]): checked
//!   ([`check_voice`]) and generated ([`generate_voice`]) like the Open CTI call center.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod model;
mod options;
mod screenpop;
mod validate;
mod voice;

pub use model::{CallCenter, Item, Problem, ProblemKind, Section};
pub use options::{
    DialError, DialingOptions, FieldMap, NeotelData, NeotelValues, ObjectType, Options,
    normalize_number,
};
pub use screenpop::{
    CallType, PopRule, PopRules, ScreenPop, SearchMatch, SoftphoneLayout, decide_screen_pop,
    pop_without_search,
};
pub use validate::{
    CompatibilityMode, Config, DIALING_SECTION, GENERAL_SECTION, GeneralInfo, Install,
    OPTIONS_SECTION, check, generate,
};
pub use voice::{
    CERTIFICATE_PLACEHOLDER, HVCC_SECTION, VoiceConfig, VoiceInstall, check_voice, generate_voice,
};
