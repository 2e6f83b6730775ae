//! The base's classes as the connector page builds them: JSON descriptions with `"$class"`
//! (`cti-server/docs/protocol.md`, "Class descriptions"). Neotel is a desk phone: what
//! Salesforce's softphone may offer for a call says so (no accept, mute, hold, record, swap).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

/// `{"$class": name, …fields}`.
pub(crate) fn class(name: &str, fields: Value) -> Value {
    let mut out = Map::new();
    out.insert("$class".into(), json!(name));
    if let Value::Object(map) = fields {
        out.extend(map);
    }
    Value::Object(out)
}

/// A `Date`.
pub(crate) fn date(at: DateTime<Utc>) -> Value {
    json!({ "$date": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true) })
}

/// What a Neotel call allows in Salesforce's softphone: audio is on the agent's SIP phone, and
/// NeoApi cannot answer, mute, hold, record or swap.
pub(crate) fn call_info(at: DateTime<Utc>) -> Value {
    class(
        "CallInfo",
        json!({
            "callStateTimestamp": date(at),
            "isSoftphoneCall": false,
            "acceptEnabled": false,
            "declineEnabled": false,
            "muteEnabled": false,
            "holdEnabled": false,
            "recordEnabled": false,
            "swapEnabled": false,
            "showMuteButton": false,
            "showRecordButton": false,
            "showSwapButton": false,
            "conferenceEnabled": true,
            "addCallerEnabled": true,
            "extensionEnabled": true,
            "isReplayable": true,
        }),
    )
}

/// A `Contact` with a number.
pub(crate) fn contact(phone: &str) -> Value {
    class("Contact", json!({ "phoneNumber": phone }))
}

/// The agent's phone: a desk phone, its number the agent's device.
pub(crate) fn agent_config(device: &str) -> Value {
    class(
        "AgentConfigResult",
        json!({
            "phones": ["DESK_PHONE"],
            "selectedPhone": class("Phone", json!({ "type": "DESK_PHONE", "number": device })),
        }),
    )
}

/// What the connector can do: transfers (blind too), conferences, the phone book, supervisor
/// listening; no mute, recording or swap (NeoApi has none), no barge-in (Neotel's assist is a
/// whisper, which barge-in is not).
pub(crate) fn capabilities() -> Value {
    class(
        "CapabilitiesResult",
        json!({
            "hasMute": false,
            "hasRecord": false,
            "hasMerge": true,
            "hasSwap": false,
            "hasSignedRecordingUrl": false,
            "debugEnabled": false,
            "hasContactSearch": true,
            "hasAgentAvailability": false,
            "hasQueueWaitTime": false,
            "supportsMos": false,
            "hasSupervisorListenIn": true,
            "hasSupervisorBargeIn": false,
            "hasBlindTransfer": true,
            "hasTransferToOmniFlow": false,
            "hasPendingStatusChange": false,
            "hasPhoneBook": true,
        }),
    )
}

/// A refusal the agent reads: a custom label of the package (`labelName`), Salesforce falling
/// back to `message` when the org lacks it.
pub(crate) fn custom_error(namespace: &str, label: &str, message: &str) -> Value {
    json!({ "customError": { "labelName": label, "namespace": namespace, "message": message } })
}
