//! What goes in and out of a session: one input enum, one output enum, and the ids that tie an
//! answer to its request.

use std::time::Instant;

use neotel_api::{Reply, Request};
use serde_json::Value;

use crate::command::Command;
use crate::effect::{EffectId, SalesforceEffect};
use crate::message::Message;
use crate::view::View;

/// The id a NeoApi answer echoes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiId(pub u64);

/// A NeoApi call's answer, as the core sees it.
pub type ApiResult = Result<Reply, neotel_api::Error>;

/// A Salesforce effect's failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesforceError {
    /// `INVALID_PARAM`, `GENERIC_ERROR`, `SERVER_ERROR`, `SOFTPHONE_CONTAINER_ERROR`, `TIMEOUT`.
    pub code: String,
    /// Salesforce's words.
    pub description: String,
}

/// Something Salesforce reported through the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SalesforceEvent {
    /// A phone field was clicked (W-CLICK2DIAL).
    ClickToDial {
        /// The number as shown.
        number: String,
        /// The record it belongs to.
        record_id: Option<String>,
        /// Its object.
        object_type: Option<String>,
        /// Its name.
        record_name: Option<String>,
    },
    /// The agent moved to another page (W-SYNC).
    Navigation {
        /// The record shown, if any.
        record_id: Option<String>,
        /// Its object.
        object_type: Option<String>,
        /// Its name.
        record_name: Option<String>,
    },
    /// Another page now runs the effects (the last one reloaded, navigated away, closed or
    /// stopped answering). Effects it left unanswered are lost and run again there, a Task
    /// creation only once Salesforce says it did not happen; the new page's Salesforce side
    /// (click-to-dial, panel size, utility label) starts from its defaults and is set again.
    PageChanged,
}

/// Everything that can happen to a session; each carries `now`.
#[derive(Debug)]
pub enum Input {
    /// The agent's command.
    Command(Instant, Command),
    /// A NeoApi call finished.
    NeoApi(Instant, ApiId, ApiResult),
    /// A Salesforce effect finished.
    EffectDone(Instant, EffectId, Result<Value, SalesforceError>),
    /// Salesforce reported something.
    Salesforce(Instant, SalesforceEvent),
    /// Time passed (at or after [`Session::poll_timeout`]).
    Timeout(Instant),
}

/// What the session asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Run this NeoApi call; answer with [`Input::NeoApi`] and the same id.
    NeoApi(ApiId, Request),
    /// Run this Salesforce effect on the leader page; answer with [`Input::EffectDone`].
    Salesforce(SalesforceEffect),
    /// Draw this (boxed: it is much larger than the other outputs).
    View(Box<View>),
    /// Neotel says the user is no longer logged in: the session is over.
    Ended,
}

/// Misuse of the session, or a command its state does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// The command is not possible now; the message says why (the catalogs word it).
    #[error("refused: {0}")]
    Refused(Message),
    /// The session ended.
    #[error("the session is over")]
    Ended,
}
