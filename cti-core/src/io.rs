//! What goes in and out of a session: one input enum, one output enum, and the ids that tie an
//! answer to its request.

use std::time::Instant;

use neotel_api::{Reply, Request};

use crate::command::Command;
use crate::crm::{CallEvent, CrmRequest, CrmResult, RequestId, SalesforceEvent, SurfaceUpdate};
use crate::message::Message;
use crate::view::View;

/// The id a NeoApi answer echoes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiId(pub u64);

/// A NeoApi call's answer, as the core sees it.
pub type ApiResult = Result<Reply, neotel_api::Error>;

/// Everything that can happen to a session; each carries `now`.
#[derive(Debug)]
pub enum Input {
    /// The agent's command.
    Command(Instant, Command),
    /// A NeoApi call finished.
    NeoApi(Instant, ApiId, ApiResult),
    /// The surface answered a request.
    Answered(Instant, RequestId, CrmResult),
    /// Salesforce reported something.
    Salesforce(Instant, SalesforceEvent),
    /// Time passed (at or after [`Session::poll_timeout`](crate::Session::poll_timeout)).
    Timeout(Instant),
}

/// What the session asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Run this NeoApi call; answer with [`Input::NeoApi`] and the same id.
    NeoApi(ApiId, Request),
    /// Ask the surface (the page that leads); answer with [`Input::Answered`].
    Crm(CrmRequest),
    /// Set what the surface shows (no answer needed).
    Surface(SurfaceUpdate),
    /// A call event, for a surface that follows calls.
    Call(CallEvent),
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
