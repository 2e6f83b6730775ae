//! The browser protocol: versioned JSON messages over one WebSocket (`docs/protocol.md`).
//!
//! Every message is an object `{"v":1,"type":…}`. The page sends [`Up`] messages and receives
//! [`Down`] messages. The session token travels here, never in a cookie: the page is a
//! cross-site iframe inside Salesforce.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The protocol version this server speaks.
pub const VERSION: u8 = 1;

/// A message from the page to the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
#[serde(rename_all_fields = "camelCase")]
pub enum Up {
    /// Log in to Neotel: DEVICE, USUARIO and CLAVE. Answered by `session` or `error`.
    Login {
        /// The agent's SIP device (`DEVICE`).
        device: String,
        /// The Neotel user (`USUARIO`).
        user: String,
        /// The password (`CLAVE`); never logged.
        password: Secret,
        /// The page's Salesforce surface (the Open CTI softphone when absent).
        #[serde(default, skip_serializing_if = "Surface::is_open_cti")]
        surface: Surface,
        /// Who Salesforce Voice says is asking (the voice connector page's).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        voice: Option<VoiceIdentity>,
    },
    /// Join the running session of the token's user (a reload or another tab).
    Attach {
        /// The token from `session`.
        token: String,
        /// The page's Salesforce surface (the Open CTI softphone when absent).
        #[serde(default, skip_serializing_if = "Surface::is_open_cti")]
        surface: Surface,
        /// Who Salesforce Voice says is asking (the voice connector page's).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        voice: Option<VoiceIdentity>,
    },
    /// A method Salesforce Voice called on the connector page; answered by `voiceResult`.
    VoiceCall {
        /// Echoed by the result.
        id: u64,
        /// The base's method name (`dial`, `endCall`, …).
        method: String,
        /// Its arguments by name, as plain JSON.
        #[serde(default)]
        args: serde_json::Value,
    },
    /// An agent command for the session (the core's command vocabulary).
    Command {
        /// The command, as cti-core serializes it.
        command: serde_json::Value,
    },
    /// The answer to an `effect`.
    EffectResult(EffectResult),
    /// Something Salesforce told the page (click-to-dial, navigation).
    Event {
        /// The event.
        event: PageEvent,
    },
    /// End the session: NeoApi `Logout`, the token dies, every tab gets `bye`.
    Logout,
}

/// Which Salesforce surface a page is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Surface {
    /// The Open CTI softphone (`/softphone/`).
    #[default]
    OpenCti,
    /// The Salesforce Voice connector (`/scv/`).
    Voice,
}

impl Surface {
    /// The default: the Open CTI softphone.
    #[must_use]
    pub fn is_open_cti(&self) -> bool {
        *self == Self::OpenCti
    }
}

/// Who Salesforce Voice says is asking: the page's `connectorConfig` values, which the server
/// only compares with its own configuration (it never uses them for its own calls).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VoiceIdentity {
    /// The org id.
    #[serde(default)]
    pub organization_id: Option<String>,
    /// The contact center's internal name.
    #[serde(default)]
    pub call_center: Option<String>,
    /// The Salesforce user's id.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The Salesforce user's name.
    #[serde(default)]
    pub user_name: Option<String>,
}

/// A text that never reaches a log: its `Debug` is redacted.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The page's answer to one effect (CONTRACTS.md section 4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EffectResult {
    /// The effect's id.
    pub id: u64,
    /// Whether `sforce.opencti` reported success.
    pub ok: bool,
    /// The `returnValue`, when `ok`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
    /// The first of `errors`, when not `ok`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<EffectError>,
}

/// What the core said, as a code and its parameters (cti-core's `Message`): the page words it
/// from its language's catalog (`msg.{code}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentMessage {
    /// The message's code, for the catalogs and for tests.
    pub code: String,
    /// The values its words name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
}

/// An Open CTI error (`{code, description}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectError {
    /// `INVALID_PARAM`, `GENERIC_ERROR`, `SERVER_ERROR`, `SOFTPHONE_CONTAINER_ERROR`, or the page's
    /// own `TIMEOUT`.
    pub code: String,
    /// Salesforce's text.
    #[serde(default)]
    pub description: String,
}

/// What Salesforce told the page, forwarded as is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "camelCase")]
#[serde(rename_all_fields = "camelCase")]
pub enum PageEvent {
    /// The agent clicked a phone number in Salesforce.
    ClickToDial {
        /// The number as Salesforce shows it (free text).
        number: String,
        /// The record the number belongs to.
        #[serde(flatten)]
        record: PageRecord,
    },
    /// The agent moved to another page (a saved new record shows here).
    NavigationChange {
        /// The page's URL.
        url: String,
        /// The record on the page, when there is one.
        #[serde(flatten)]
        record: PageRecord,
    },
}

/// The Salesforce record an event names, as far as Salesforce said.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageRecord {
    /// Its id.
    #[serde(default)]
    pub record_id: Option<String>,
    /// Its name.
    #[serde(default)]
    pub record_name: Option<String>,
    /// Its object type (`Contact`, `Account`, …).
    #[serde(default)]
    pub object_type: Option<String>,
}

/// A message from the server to the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
#[serde(rename_all_fields = "camelCase")]
pub enum Down {
    /// The connection is now part of the user's session; keep the token to reattach.
    Session {
        /// The session token (32 random bytes, base64url).
        token: String,
        /// The Neotel user the session acts as.
        user: String,
        /// When the token dies if unused (RFC 3339, UTC); every use renews it.
        expires_at: String,
        /// Whether this connection executes the Salesforce effects (the first tab).
        leader: bool,
    },
    /// What to draw, sent on every change and on attach.
    View {
        /// The core's view, as it serializes it (shared by every tab it goes to).
        view: std::sync::Arc<serde_json::Value>,
    },
    /// A Salesforce effect to execute (only the leader connection gets these).
    Effect {
        /// The effect, tagged by `kind`, with its `id`.
        effect: serde_json::Value,
    },
    /// A message was refused or something failed; the connection stays open.
    Error {
        /// A stable code (see [`ErrorCode`]).
        code: ErrorCode,
        /// A human text (never a password, never an internal detail).
        message: String,
        /// For a refused command: why, as the core said it (the page words it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<AgentMessage>,
    },
    /// To a Salesforce Voice page after `session`: the agent's phone, the capabilities, the
    /// calls in progress (descriptions of the base's classes).
    VoiceSetup {
        /// An `AgentConfigResult`.
        agent_config: serde_json::Value,
        /// A `CapabilitiesResult`.
        capabilities: serde_json::Value,
        /// `PhoneCall`s.
        active_calls: Vec<serde_json::Value>,
        /// What was published while no page was attached, in order: a page that told the base
        /// of the calls before (a reattach) publishes it; a new page does not.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        missed: Vec<VoiceEvent>,
    },
    /// The calls in progress now.
    VoiceCalls {
        /// `PhoneCall`s.
        active_calls: Vec<serde_json::Value>,
    },
    /// `publishEvent({eventType, payload})` on the page.
    VoicePublish {
        /// The base's event type.
        event_type: String,
        /// A description, or plain JSON.
        payload: serde_json::Value,
    },
    /// The result of a `voiceCall`.
    VoiceResult {
        /// The call's id.
        id: u64,
        /// Resolved or rejected.
        ok: bool,
        /// What it resolves with (a description), when `ok`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        result: Option<serde_json::Value>,
        /// What it is rejected with, when not `ok`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<serde_json::Value>,
    },
    /// The server is closing this connection.
    Bye {
        /// Why (see [`ByeReason`]).
        reason: ByeReason,
    },
}

/// One event the base is to publish (`publishEvent({eventType, payload})`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VoiceEvent {
    /// The base's event type.
    pub event_type: String,
    /// A description, or plain JSON.
    pub payload: serde_json::Value,
}

/// The codes of `error` messages (the page words each from its catalog, `error.{code}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::EnumIter)]
#[serde(rename_all = "camelCase")]
pub enum ErrorCode {
    /// Not JSON, not an object, or not one of the known messages.
    BadMessage,
    /// The message is over the size limit (`security.max_message_bytes`).
    MessageTooLarge,
    /// `v` is not the version this server speaks.
    UnsupportedVersion,
    /// The message needs a session and the connection has none (send `login` or `attach`).
    NotLoggedIn,
    /// The connection already has a session.
    AlreadyInSession,
    /// The token is unknown, expired or dead.
    InvalidToken,
    /// NeoApi refused the user or password.
    LoginFailed,
    /// NeoApi says the position (device) is taken.
    PositionNotFree,
    /// NeoApi does not know the device.
    UnknownDevice,
    /// A login for this user is already in progress.
    AlreadyLoggedIn,
    /// The agent's session runs on another device: log in with that one, or log out there.
    OtherDevice,
    /// The server runs its configured maximum of agents (`max_agents`): a new login waits
    /// until an agent logs out, or goes to another server.
    ServerFull,
    /// Too many failed logins for this user from this address (or from this address); wait.
    RateLimited,
    /// The session's commands come faster than `limits.commands_per_second`; slow down.
    TooManyCommands,
    /// NeoApi could not be reached or failed.
    NeoApiUnavailable,
    /// The server's session store did not answer: the login is not started (it would not
    /// survive a restart); try again.
    StoreUnavailable,
    /// An effect result came from a connection that is not the leader, or for an unknown id.
    NotLeader,
    /// The command was refused by the session.
    CommandRefused,
    /// A Salesforce Voice page's org or contact center is not the one the server is set up
    /// for (`voice.organization_id`, `voice.call_center`).
    VoiceMismatch,
    /// Something failed inside the server.
    Internal,
}

/// Why the server closes a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ByeReason {
    /// The agent logged out (in this tab or another).
    Logout,
    /// The session ended for lack of connections or NeoApi said the user is no longer logged.
    SessionEnded,
    /// The server is shutting down.
    Shutdown,
    /// The client sent too many bad messages.
    Abuse,
    /// The agent logged in again with the password (another browser, or storage cleared):
    /// that tab has the session now, this one's token is dead.
    TakenOver,
    /// This server let go of the session (another instance runs it now, or this one lost
    /// its database): connect again and attach with the same token.
    Moved,
    /// The connection neither logged in nor attached within `limits.login_deadline_secs`.
    LoginTimeout,
}

/// The JSON envelope: `{"v":1, …message}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<M> {
    /// Protocol version.
    pub v: u8,
    /// The message.
    #[serde(flatten)]
    pub message: M,
}

/// Why an incoming text is not a valid message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Not JSON or not a known message (serde's text, which never echoes a password value).
    #[error("bad message: {0}")]
    Bad(String),
    /// Another protocol version.
    #[error("unsupported protocol version {0}; this server speaks {VERSION}")]
    Version(u64),
}

impl DecodeError {
    /// The `error` code to answer with.
    #[must_use]
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Bad(_) => ErrorCode::BadMessage,
            Self::Version(_) => ErrorCode::UnsupportedVersion,
        }
    }
}

/// Parses one message from the page.
///
/// # Errors
/// Not JSON, not an object with `v` = [`VERSION`], or not a known message.
pub fn decode_up(text: &str) -> Result<Up, DecodeError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| DecodeError::Bad(e.to_string()))?;
    match value.get("v").and_then(serde_json::Value::as_u64) {
        Some(v) if v == u64::from(VERSION) => {}
        Some(v) => return Err(DecodeError::Version(v)),
        None => return Err(DecodeError::Bad("missing `v`".into())),
    }
    serde_json::from_value::<Envelope<Up>>(value)
        .map(|e| e.message)
        .map_err(|e| DecodeError::Bad(e.to_string()))
}

/// Serializes one message to the page.
#[must_use]
pub fn encode_down(message: &Down) -> String {
    serde_json::to_string(&Envelope {
        v: VERSION,
        message,
    })
    .expect("protocol types always serialize")
}

/// Serializes one message from the page (for clients: tests and the load tool).
#[must_use]
pub fn encode_up(message: &Up) -> String {
    serde_json::to_string(&Envelope {
        v: VERSION,
        message,
    })
    .expect("protocol types always serialize")
}

/// Parses one message from the server (for clients: tests and the load tool).
///
/// # Errors
/// Not a valid `Down` message.
pub fn decode_down(text: &str) -> Result<Down, DecodeError> {
    serde_json::from_str::<Envelope<Down>>(text)
        .map(|e| e.message)
        .map_err(|e| DecodeError::Bad(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_password_is_redacted_in_debug() {
        let up = decode_up(
            r#"{"v":1,"type":"login","device":"SIP/1001","user":"1001","password":"s3cr=t"}"#,
        )
        .unwrap();
        assert!(!format!("{up:?}").contains("s3cr=t"));
    }

    #[test]
    fn bad_messages_are_typed_errors() {
        assert_eq!(decode_up("nope").unwrap_err().code(), ErrorCode::BadMessage);
        assert_eq!(
            decode_up(r#"{"v":2,"type":"logout"}"#).unwrap_err(),
            DecodeError::Version(2)
        );
        assert_eq!(
            decode_up(r#"{"type":"logout"}"#).unwrap_err().code(),
            ErrorCode::BadMessage
        );
        assert_eq!(
            decode_up(r#"{"v":1,"type":"launchMissiles"}"#)
                .unwrap_err()
                .code(),
            ErrorCode::BadMessage
        );
        assert_eq!(decode_up("[]").unwrap_err().code(), ErrorCode::BadMessage);
    }

    #[test]
    fn a_serde_error_does_not_echo_the_password() {
        // A wrong type for `user` must not put the password in the error text.
        let err =
            decode_up(r#"{"v":1,"type":"login","device":"SIP/1","user":5,"password":"hunter2"}"#)
                .unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn an_events_record_is_read_from_its_camel_case_fields() {
        let up = decode_up(
            r#"{"v":1,"type":"event","event":{"event":"clickToDial","number":"+54 11","recordId":"003A","recordName":"Ana","objectType":"Contact"}}"#,
        )
        .unwrap();
        let Up::Event {
            event: PageEvent::ClickToDial { number, record },
        } = up
        else {
            panic!("expected a click-to-dial, got {up:?}");
        };
        assert_eq!(number, "+54 11");
        assert_eq!(record.record_id.as_deref(), Some("003A"));
        assert_eq!(record.record_name.as_deref(), Some("Ana"));
        assert_eq!(record.object_type.as_deref(), Some("Contact"));
        let up =
            decode_up(r#"{"v":1,"type":"event","event":{"event":"navigationChange","url":"/x"}}"#)
                .unwrap();
        assert!(matches!(
            up,
            Up::Event { event: PageEvent::NavigationChange { record, .. } } if record == PageRecord::default()
        ));
    }
}
