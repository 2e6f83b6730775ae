//! Faults: the server's message out of a .NET exception text (form/GET bodies and SOAP
//! `faultstring`s), and the password scrubbed from any text that reaches an error.

use super::xml::Element;
use crate::error::{DecodeError, Error, Fault, TransportError};

/// Longest fault message kept.
const MAX_MESSAGE: usize = 1000;

/// A fault from a text body (form/GET HTTP 500: `System.Exception: … not logged.   at …`).
#[must_use]
pub fn text_fault(method: &str, body: &[u8]) -> Fault {
    let text = String::from_utf8_lossy(body);
    // some proxies and installs wrap the message in XML: read its text
    let text = match Element::parse(body, "fault") {
        Ok(root) if text.trim_start().starts_with('<') => {
            let fault = root
                .child("Body")
                .and_then(|b| b.child("Fault"))
                .and_then(|f| f.child("faultstring"));
            match fault {
                Some(f) => f.text.clone(),
                None => root.all_text(),
            }
        }
        _ => text.into_owned(),
    };
    Fault::classify(method, fault_message(&text))
}

/// The server's message out of a .NET exception text: without the exception type,
/// the SOAP wrapper sentence and the stack trace.
#[must_use]
pub fn fault_message(text: &str) -> String {
    let mut msg = strip_exception_type(text.trim());
    for wrapper in ["Server was unable to process request.", "--->"] {
        if let Some(rest) = msg.strip_prefix(wrapper) {
            msg = strip_exception_type(rest.trim_start());
        }
    }
    let msg = cut_stack_trace(msg).trim();
    if msg.is_empty() {
        return "(no message)".into();
    }
    match msg.char_indices().nth(MAX_MESSAGE) {
        Some((cut, _)) => format!("{}…", &msg[..cut]),
        None => msg.to_owned(),
    }
}

/// `System.InvalidOperationException: text` → `text`.
fn strip_exception_type(text: &str) -> &str {
    match text.split_once(": ") {
        Some((head, rest))
            if head.ends_with("Exception") && !head.contains(char::is_whitespace) =>
        {
            rest
        }
        _ => text,
    }
}

/// Cuts at the first `at Some.Method(` frame, on its own line or not.
fn cut_stack_trace(text: &str) -> &str {
    for (i, _) in text.match_indices("at ") {
        let before_ok = text[..i]
            .chars()
            .next_back()
            .is_none_or(char::is_whitespace);
        let frame = &text[i + 3..];
        let is_frame = frame.split_once('(').is_some_and(|(name, _)| {
            !name.is_empty() && name.contains('.') && !name.contains(char::is_whitespace)
        });
        if before_ok && is_frame {
            return &text[..i];
        }
    }
    text
}

/// `error` with every occurrence of `secret` in its outside text replaced by `***`.
pub(super) fn scrub(error: Error, secret: &str) -> Error {
    if secret.is_empty() {
        return error;
    }
    let clean = |s: &mut String| {
        if s.contains(secret) {
            *s = s.replace(secret, "***");
        }
    };
    match error {
        Error::Platform(mut f) => {
            clean(&mut f.message);
            Error::Platform(f)
        }
        Error::Transport(TransportError::Status {
            status,
            mut excerpt,
        }) => {
            clean(&mut excerpt);
            Error::Transport(TransportError::Status { status, excerpt })
        }
        // the XML parser's complaint may quote the body (a tag name, an entity)
        Error::Decode(DecodeError::Xml { what, mut detail }) => {
            clean(&mut detail);
            Error::Decode(DecodeError::Xml { what, detail })
        }
        Error::Decode(DecodeError::Unexpected {
            what,
            expected,
            mut found,
        }) => {
            clean(&mut found);
            Error::Decode(DecodeError::Unexpected {
                what,
                expected,
                found,
            })
        }
        other => other,
    }
}
