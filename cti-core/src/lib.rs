#![doc = include_str!("../README.md")]
//!
//! # The server's loop
//!
//! The server owns one [`Session`] per logged-in agent and drives it:
//!
//! ```no_run
//! use std::time::Instant;
//! use cti_core::{Config, Input, NeotelTasks, Output, SalesforceEvent, Session};
//!
//! /// The server's loop for one agent of the install whose task ids are `tasks`; `clock` is its
//! /// one clock read.
//! fn drive(tasks: NeotelTasks, clock: impl Fn() -> Instant, mut next_input: impl FnMut(Option<Instant>) -> Input) {
//!     let start = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap().and_hms_opt(9, 0, 0).unwrap();
//!     let mut session = Session::new(Config::new("1001", tasks, start), clock());
//!     // A page of the agent's Salesforce surface attaches and runs the requests.
//!     let _ = session.handle_input(Input::Salesforce(clock(), SalesforceEvent::PageChanged));
//!     loop {
//!         while let Some(out) = session.poll_output() {
//!             match out {
//!                 Output::NeoApi(_id, _request) => { /* run on NeoApi, later feed Input::NeoApi(now, id, result) */ }
//!                 Output::Crm(_request) => { /* the surface's adapter words it for the page; feed Input::Answered(now, id, answer) */ }
//!                 Output::Surface(_update) => { /* what the surface shows: its adapter sets it */ }
//!                 Output::Call(_event) => { /* for a surface that follows calls (Salesforce Voice) */ }
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
//! Salesforce is behind a surface-neutral boundary (`crm` in the source, docs/surfaces.md in the
//! repository): the core asks for what the agent's work needs ([`Ask`]: find the records for a
//! key, show a record, a new one or the search page, read or write a record's Neotel fields,
//! log a call, find a call's log, the record shown, the settings and the pop rules) and takes
//! typed [`Answer`]s; what the surface shows continuously is one latest-wins state
//! ([`SurfaceSet`]); and the core announces the calls ([`CallEvent`]) at the transitions it
//! knows. Each surface has its adapter crate (one for Open CTI); the core is the one
//! owner of the requests not answered yet, and of what a new page runs again.
//!
//! Time comes in with every input; the session never reads a clock. Every output that expects
//! an answer carries an id the answer echoes. A command the state does not allow is refused
//! with a [`Message`] (a [`Code`] and its parameters): the words are in one catalog per
//! language, outside the core. Whether a command is allowed is decided in one place, which the
//! view's buttons ask too. Nothing from outside panics.
//!
//! What it decides: how urgently each session needs its next `Position` ([`Urgency`]: a contact
//! or call may come, a call is up, nothing can come) and the poll intervals at each
//! ([`Cadence`], which the server's NeoApi budget slows alike when it must); lists from
//! per-install tasks (F-BREAK, F-CAMPAIGN, categories, transfer phones, users kept fresh while
//! offered); joining and leaving campaigns, breaks (F-CAMPAIGN, F-BREAK);
//! dialing and hanging up with click-to-dial numbers normalized (F-DIAL, F-MANUAL); DTMF one
//! digit at a time (F-DTMF); transfers, conferences, monitoring, text messages (F-XFER, F-CONF,
//! F-MONITOR, F-SMS); when a delivered contact is searched (W-PREDICTIVE on answer, W-PREVIEW and
//! inbound at once), CLAVESF split and private numbers (W-INBOUND, W-PRIVATE), which record pops
//! (W-SCREENPOP), the record's Neotel data (W-EXTERNAL), the new record's link by its
//! `neoSyncId__c` (W-SYNC), the click-to-dial contact search (W-CLICK2DIAL), one Task per call
//! (W-ACTIVITY), `CRM_ShowingContact`, each contact's release draft, release and categorization
//! with retries, the automatic release, schedules that need no Play, and Play (F-RELEASE,
//! F-AGENDA, F-PLAY), panel settings and the language (F-CONFIG), F-INFO, and what a new page
//! must run again when the last one went away.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod command;
mod config;
mod crm;
mod io;
mod message;
mod session;
mod user;
mod view;

// The crates whose types the session's API takes, so an integrator names the very versions the
// core was built with.
pub use neotel_api;
pub use neotel_api::{Reply, Request};
pub use sf_callcenter;
pub use sf_callcenter::{CallType, DialingOptions, Options, Problem, SearchMatch, SoftphoneLayout};

pub use command::{Command, MonitorMode, TextChannel, TransferTarget};
pub use config::{Cadence, Config, ListSource, NeotelTasks, TaskCall, Tasks, Urgency};
pub use crm::{
    Answer, Ask, CallClosed, CallEvent, CallLog, CallOrigin, CallStart, ClosedContact, CrmError,
    CrmRequest, CrmResult, Outcome, RecordRef, RequestId, SalesforceEvent, SurfaceSet,
    SurfaceUpdate, WordedLog,
};
pub use io::{ApiId, ApiResult, Input, Output, SessionError};
pub use message::{Code, Message};
pub use session::{MAX_DTMF_DIGITS, PendingWrites, Session, Snapshot, SnapshotError};
pub use user::user_name;
pub use view::{
    Actions, AgentChoice, AgentStatus, CallPhase, CallView, Choice, ContactView, Draft, InfoView,
    Lists, MonitorView, PanelSettings, Participant, Primary, RecordView, SyncView, TransferView,
    Users, View,
};
