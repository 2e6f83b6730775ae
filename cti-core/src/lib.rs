//! One agent's connector session as a sans-IO state machine: every decision the connector
//! makes for an agent, and no I/O (no sockets, no clock, no runtime).
//!
//! The server owns one [`Session`] per logged-in agent and drives it:
//!
//! ```no_run
//! use std::time::Instant;
//! use cti_core::{Config, Input, Output, Session};
//!
//! /// The server's loop for one agent; `clock` is its one clock read.
//! fn drive(clock: impl Fn() -> Instant, mut next_input: impl FnMut(Option<Instant>) -> Input) {
//!     let start = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap().and_hms_opt(9, 0, 0).unwrap();
//!     let mut session = Session::new(Config::new("1001", start), clock());
//!     loop {
//!         while let Some(out) = session.poll_output() {
//!             match out {
//!                 Output::Api(_id, _request) => { /* run on NeoApi, later feed Input::Api(now, id, result) */ }
//!                 Output::Crm(_effect) => { /* send to the leader page, later feed Input::Crm(now, id, result) */ }
//!                 Output::View(_view) => { /* send to every page of the agent */ }
//!                 Output::Ended => return,
//!             }
//!         }
//!         // wait for the earliest of: the session's timeout, a page message, a NeoApi answer
//!         let input = next_input(session.poll_timeout());
//!         let _refused = session.handle_input(input);
//!     }
//! }
//! ```
//!
//! Time comes in with every input; the session never reads a clock. Every output that expects
//! an answer carries an id the answer echoes. A command the state does not allow is refused
//! with a reason in Spanish and English ([`SessionError::Refused`]); nothing from outside panics.
//!
//! What it decides today: the `Position` poll cadence (faster while a call is set up, slower in a
//! break); lists from per-install tasks (F-BREAK, F-CAMPAIGN, categories, transfer phones); joining
//! and leaving campaigns, breaks (F-CAMPAIGN, F-BREAK); dialing and hanging up with click-to-dial
//! numbers normalized (F-DIAL, F-MANUAL, W-CLICK2DIAL dial part); DTMF one digit at a time (F-DTMF);
//! transfers and conferences (F-XFER, F-CONF); when a delivered contact is searched (W-PREDICTIVE
//! on answer, W-PREVIEW and inbound at once), CLAVESF split and private numbers (W-INBOUND,
//! W-PRIVATE), which record pops (W-SCREENPOP), the record's Neotel data (W-EXTERNAL), the new
//! record's `neoSyncId__c` and its link from navigation (W-SYNC, in part), one Task per call
//! (W-ACTIVITY), `CRM_ShowingContact`, release and categorization with retries, the automatic
//! release, schedules that need no Play, and Play (F-RELEASE, F-AGENDA, F-PLAY), F-INFO.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod effect;
mod session;
mod view;

pub use effect::{CrmAction, CrmEffect, EffectId};
pub use session::{
    ApiId, ApiResult, Command, Config, CrmError, Input, ListSource, MonitorMode, Output,
    SalesforceEvent, Session, SessionError, TaskCall, Tasks, TextChannel, TransferTarget,
};
pub use view::{
    Actions, AgentChoice, AgentStatus, CallView, Choice, ContactView, Draft, InfoView, Language,
    Lists, Message, MonitorView, PanelSettings, RecordView, SyncView, TransferView, View,
};
