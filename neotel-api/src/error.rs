//! The crate's one error type, keeping apart "the platform said no", "the network or
//! HTTP broke", "the body made no sense" and "it took too long".

use serde::{Deserialize, Serialize};

use crate::position::PositionError;
use crate::request::RequestError;

/// Longest excerpt of outside text an error message carries.
const EXCERPT: usize = 80;

/// The start of outside text, cut on a character boundary, for an error message.
pub(crate) fn excerpt(text: &str) -> String {
    match text.char_indices().nth(EXCERPT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// An error and every error it wraps, `outer: inner: …`: what a network failure says in full
/// (a reqwest or hyper error's own text leaves out its causes).
#[must_use]
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// What a NeoApi fault means, recognised by message fragment (NeoApi has no codes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FaultKind {
    /// `not logged`: the user is not logged in.
    NotLogged,
    /// `not free` on `Login`: the position is taken (often a stale session of the same user).
    PositionNotFree,
    /// `not found` on `Login` (`Position {DEVICE} not found`): unknown device.
    DeviceNotFound,
    /// `No more API licenses.`
    NoLicenses,
    /// `Cannot convert …`: a parameter the server could not read.
    BadParameter,
    /// `Request format is unrecognized`: the install has no such method.
    UnknownMethod,
    /// Any other `Login` fault: wrong user or password, disabled user, …
    LoginFailed,
    /// A failure that says "try again later", not "never" (general ASP.NET / SQL Server
    /// behaviour, neoapi.md's list): `Timeout expired.`, a deadlock, SQL Server unreachable,
    /// `Thread was being aborted.`. Nothing was applied.
    Transient,
    /// Any other fault.
    Other,
}

/// The fragments of a fault that says "try again later" (kept in one place: neoapi.md,
/// "Errors"). Matched lower-case.
const TRANSIENT: &[&str] = &[
    "timeout expired",
    "deadlocked on lock resources",
    "rerun the transaction",
    "a network-related or instance-specific error",
    "thread was being aborted",
];

/// Whether a failed call may be sent again, and how safely.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Retry {
    /// Neotel would answer the same again (a refusal, a bad request): do not repeat it; the
    /// agent must see why.
    Never,
    /// Nothing reached Neotel (the connection was refused): safe to send again.
    NotSent,
    /// Neotel failed this time and applied nothing (an overloaded database, an application
    /// restart, HTTP 503): send again later.
    Transient,
    /// The request may have reached Neotel and been applied; only its answer was lost (a
    /// timeout, a connection cut mid-answer): read Neotel's state before repeating a write.
    Unknown,
}

/// A fault NeoApi answered, with its message as the server wrote it
/// (exception type and stack trace removed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("NeoApi {method} failed: {message}")]
pub struct Fault {
    /// What it means.
    pub kind: FaultKind,
    /// The method that failed.
    pub method: String,
    /// The server's message, e.g. `User 1001 not logged.`.
    pub message: String,
}

impl Fault {
    /// Classifies a server message by the fragments real clients look for.
    #[must_use]
    pub fn classify(method: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let lower = message.to_lowercase();
        let login = method.eq_ignore_ascii_case("Login");
        let kind = if TRANSIENT.iter().any(|t| lower.contains(t)) {
            FaultKind::Transient
        } else if lower.contains("not logged") {
            FaultKind::NotLogged
        } else if lower.contains("no more api licenses") {
            FaultKind::NoLicenses
        } else if lower.contains("request format is unrecognized") {
            FaultKind::UnknownMethod
        } else if lower.contains("cannot convert") {
            FaultKind::BadParameter
        } else if login && lower.contains("not free") {
            FaultKind::PositionNotFree
        } else if login && lower.contains("not found") {
            FaultKind::DeviceNotFound
        } else if login {
            FaultKind::LoginFailed
        } else {
            FaultKind::Other
        };
        Self {
            kind,
            method: method.to_owned(),
            message,
        }
    }
}

/// A body that could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The body is not well-formed XML (or not UTF-8).
    #[error("{what}: not well-formed XML: {detail}")]
    Xml {
        /// What was being decoded.
        what: String,
        /// The parser's complaint.
        detail: String,
    },
    /// The XML is well-formed but not the expected shape.
    #[error("{what}: expected {expected}, found {found}")]
    Unexpected {
        /// What was being decoded.
        what: String,
        /// What should have been there.
        expected: String,
        /// What was there (cut to 80 characters).
        found: String,
    },
    /// A `Position` reply that does not parse.
    #[error("Position reply: {0}")]
    Position(#[from] PositionError),
    /// A per-install task's result is not `{"Table":[…]}`, or a row does not fit.
    #[error("task result: {0}")]
    Table(String),
}

/// The network or HTTP layer failed (anything but a NeoApi fault).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// An HTTP status other than 200 (and other than 500, which carries faults).
    #[error("HTTP status {status}: {excerpt}")]
    Status {
        /// The status code.
        status: u16,
        /// The start of the body (cut to 80 characters).
        excerpt: String,
    },
    /// The body is bigger than the configured limit; it was not read to the end.
    #[error("response body over the {limit}-byte limit")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The transport's configuration is unusable (bad base URL, TLS setup).
    #[error("transport configuration: {0}")]
    Config(String),
    /// The connection could not be made: nothing reached NeoApi.
    #[error("network (not sent): {0}")]
    NotSent(String),
    /// Sending or receiving failed once connected: the request may have reached NeoApi.
    #[error("network: {0}")]
    Network(String),
}

/// Everything a NeoApi call can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The platform said no (a .NET exception), classified.
    #[error(transparent)]
    Platform(Fault),
    /// Network or HTTP failure.
    #[error(transparent)]
    Transport(TransportError),
    /// The body could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// No complete answer within the configured timeout.
    #[error("NeoApi call timed out")]
    Timeout,
    /// The request could not be built.
    #[error(transparent)]
    Request(#[from] RequestError),
}

impl Error {
    /// The fault, when the platform said no.
    #[must_use]
    pub fn fault(&self) -> Option<&Fault> {
        match self {
            Self::Platform(f) => Some(f),
            _ => None,
        }
    }

    /// The fault's kind, when the platform said no.
    #[must_use]
    pub fn fault_kind(&self) -> Option<FaultKind> {
        self.fault().map(|f| f.kind)
    }

    /// Whether the call may be sent again (the one place that decides which failures are
    /// transient, from neoapi.md's evidence).
    #[must_use]
    pub fn retry(&self) -> Retry {
        match self {
            Self::Platform(f) if f.kind == FaultKind::Transient => Retry::Transient,
            Self::Platform(_) | Self::Request(_) => Retry::Never,
            // IIS answers 503 while the application pool is stopped: nothing ran.
            Self::Transport(TransportError::Status { status: 503, .. }) => Retry::Transient,
            Self::Transport(TransportError::NotSent(_)) => Retry::NotSent,
            Self::Transport(TransportError::Config(_)) => Retry::Never,
            // A gateway's timeout, a cut answer, an answer too big or unreadable: Neotel may
            // have done it.
            Self::Transport(_) | Self::Timeout | Self::Decode(_) => Retry::Unknown,
        }
    }
}

impl From<Fault> for Error {
    fn from(fault: Fault) -> Self {
        Self::Platform(fault)
    }
}

impl From<TransportError> for Error {
    fn from(e: TransportError) -> Self {
        Self::Transport(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_fragment() {
        let k = |m: &str, t: &str| Fault::classify(m, t).kind;
        assert_eq!(k("Position", "User 1001 not logged."), FaultKind::NotLogged);
        assert_eq!(
            k("Login", "Position SIP/6000 not free"),
            FaultKind::PositionNotFree
        );
        assert_eq!(
            k("Login", "Position Externo6001 not found"),
            FaultKind::DeviceNotFound
        );
        assert_eq!(k("Dial", "No more API licenses."), FaultKind::NoLicenses);
        assert_eq!(
            k("Pause", "Cannot convert abc to System.Int32."),
            FaultKind::BadParameter
        );
        assert_eq!(
            k(
                "Foo",
                "Request format is unrecognized for URL unexpectedly ending in '/Foo'."
            ),
            FaultKind::UnknownMethod
        );
        assert_eq!(
            k("Login", "Invalid user or password"),
            FaultKind::LoginFailed
        );
        assert_eq!(k("Dial", "Contact not found"), FaultKind::Other);
        assert_eq!(k("Dial", "whatever"), FaultKind::Other);
    }

    #[test]
    fn which_failures_may_be_sent_again() {
        let fault = |t: &str| Error::Platform(Fault::classify("UpdateContact", t));
        // Transient: SQL Server's timeout and deadlock, its connection, IIS recycling.
        for t in [
            "Timeout expired.  The timeout period elapsed prior to completion of the operation or the server is not responding.",
            "Transaction (Process ID 66) was deadlocked on lock resources with another process and has been chosen as the deadlock victim. Rerun the transaction.",
            "A network-related or instance-specific error occurred while establishing a connection to SQL Server.",
            "Thread was being aborted.",
        ] {
            assert_eq!(fault(t).retry(), Retry::Transient, "{t}");
        }
        let status = |status| {
            Error::Transport(TransportError::Status {
                status,
                excerpt: String::new(),
            })
        };
        assert_eq!(status(503).retry(), Retry::Transient);
        // Never: what Neotel says no to, it will say no to again.
        for t in [
            "User 1001 not logged.",
            "Cannot convert abc to System.Int32.",
            "Subcategory 99 not found",
        ] {
            assert_eq!(fault(t).retry(), Retry::Never, "{t}");
        }
        assert_eq!(
            Error::Transport(TransportError::Config("bad URL".into())).retry(),
            Retry::Never
        );
        // Not sent: the connection was refused.
        assert_eq!(
            Error::Transport(TransportError::NotSent("refused".into())).retry(),
            Retry::NotSent
        );
        // Unknown: it may have happened.
        assert_eq!(Error::Timeout.retry(), Retry::Unknown);
        assert_eq!(
            Error::Transport(TransportError::Network("reset".into())).retry(),
            Retry::Unknown
        );
        assert_eq!(status(504).retry(), Retry::Unknown);
    }

    #[test]
    fn excerpt_cuts_on_char_boundaries() {
        let long = "ñ".repeat(200);
        assert_eq!(excerpt(&long).chars().count(), EXCERPT + 1);
    }
}
