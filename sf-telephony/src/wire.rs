//! The request and answer bodies of the calls this crate makes, with Salesforce's wire names
//! (spec `scv.md` §3.3, evidence E32, E37).
//!
//! Plain structs: fill the fields, leave the optional ones `None` (they are then left out of
//! the JSON, not sent as `null`). Times are UTC and go out as ISO-8601 with milliseconds and a
//! `Z` (`2026-11-24T12:00:00.000Z`), as Salesforce's own samples send them.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize, Serializer};

/// R1, `POST /telephony/v1/voiceCalls`: creates the VoiceCall of a call as it starts.
///
/// Salesforce: "Only use this API in real time … only when a call is initiated." Whether a
/// second R1 with the same [`vendor_call_key`](Self::vendor_call_key) returns the first record
/// or creates another is **not documented** (spec §3.3, §7.7 question 6): never re-send one
/// whose outcome is unknown without deciding that explicitly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateVoiceCall {
    /// The contact center's API name (its `reqInternalName`, also the JWT's `sub`). Required.
    pub call_center_api_name: String,
    /// The call's key in the telephony system, unique per call and stable for it (the plan:
    /// `neotel-<callId>`). Later calls may name the VoiceCall by it. Required.
    pub vendor_call_key: String,
    /// The number called: the DNIS or the contact center's number. Required.
    pub to: String,
    /// The caller's number (the ANI). Required.
    pub from: String,
    /// Why the record is created: an inbound call or a transfer leg. Outbound calls are
    /// created by Salesforce itself and refused here. Required.
    pub initiation_method: InitiationMethod,
    /// When the call started. Required.
    #[serde(serialize_with = "utc_millis", deserialize_with = "deserialize_utc")]
    pub start_time: DateTime<Utc>,
    /// The end user: exactly one participant of type [`ParticipantType::EndUser`]. Required.
    pub participants: Vec<Participant>,
    /// Transfers only (required with [`InitiationMethod::Transfer`]): the parent leg's
    /// `voiceCallId` or `vendorCallKey`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_voice_call_id: Option<String>,
    /// Transfers only: the Salesforce queue id, or the vendor's queue id that Salesforce
    /// resolves through its CallCenterRoutingMap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// How a dialer placed the call: preview, progressive (predictive) or voicemail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_origin: Option<CallOrigin>,
    /// The line's kind (API 62.0 and later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_subtype: Option<CallSubtype>,
    /// Standard and custom VoiceCall fields, as a **string** holding a JSON object
    /// (`"{\"NeoCallId__c\":\"42\"}"`); build it with [`call_attributes`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_attributes: Option<String>,
}

/// Why R1 creates a VoiceCall (`initiationMethod`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum InitiationMethod {
    /// A call coming in (dialer calls handed to the agent are inbound too).
    Inbound,
    /// A transfer leg: `parentVoiceCallId` names the leg it comes from.
    Transfer,
}

/// One participant of R1 (`participants[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Participant {
    /// The end user's unique key in the telephony system (the plan: the ANI, or `private`).
    pub participant_key: String,
    /// Always [`ParticipantType::EndUser`]: the only type R1 takes.
    #[serde(rename = "type")]
    pub participant_type: ParticipantType,
}

impl Participant {
    /// The end user `key`.
    pub fn end_user(key: impl Into<String>) -> Self {
        Self {
            participant_key: key.into(),
            participant_type: ParticipantType::EndUser,
        }
    }
}

/// A participant's type (`participants[].type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ParticipantType {
    /// `END_USER`: the customer on the line.
    #[serde(rename = "END_USER")]
    EndUser,
}

/// How a dialer placed the call (`callOrigin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CallOrigin {
    /// A preview dialer: the agent saw the contact before the call.
    Preview,
    /// A progressive or predictive dialer.
    Progressive,
    /// A voicemail.
    Voicemail,
}

/// The line's kind (`callSubtype`, API 62.0 and later).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CallSubtype {
    /// The public telephone network.
    #[serde(rename = "PSTN")]
    Pstn,
    /// A browser call.
    #[serde(rename = "WebRTC")]
    WebRtc,
}

/// R1's answer: `{"voiceCallId": "0LQ…", "errors": []}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VoiceCallCreated {
    /// The new record's id (`0LQ…`).
    pub voice_call_id: String,
    /// Problems Salesforce met *after* creating the record (triggers, flows, validation of
    /// `callAttributes`): the record exists all the same. Empty when there were none.
    #[serde(default)]
    pub errors: CreateErrors,
}

/// R1's `errors`: an array, or a sentence ("We created your voice call but there were some
/// errors : …"), both seen in Salesforce's documentation (E32).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CreateErrors {
    /// The array form (`[]` when all went well); items kept as Salesforce sent them.
    List(Vec<serde_json::Value>),
    /// The sentence form.
    Text(String),
}

impl Default for CreateErrors {
    fn default() -> Self {
        Self::List(Vec::new())
    }
}

impl CreateErrors {
    /// True when Salesforce reported no problem.
    pub fn is_empty(&self) -> bool {
        match self {
            Self::List(items) => items.is_empty(),
            Self::Text(text) => text.trim().is_empty(),
        }
    }

    /// Each problem as one line of text, for logs.
    pub fn messages(&self) -> Vec<String> {
        match self {
            Self::List(items) => items
                .iter()
                .map(|item| match item {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect(),
            Self::Text(text) if text.trim().is_empty() => Vec::new(),
            Self::Text(text) => vec![text.clone()],
        }
    }
}

/// R2, `PATCH /telephony/v1/voiceCalls/{CALL ID}`: updates a VoiceCall (typically once, when
/// the call ends). Every field is optional; only those set are sent.
///
/// Salesforce overwrites by id: a repeated R2 with the same body leaves the same record
/// (`totalHoldDuration`, `numberOfHolds` and `agentInteractionDuration` take the latest
/// values, E37), so resending one whose outcome is unknown is safe. Durations are whole
/// seconds (inferred: the documentation says only `int32`; Amazon's reference integration
/// sends seconds).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateVoiceCall {
    /// When the call started. `CallDurationInSeconds` is computed only when both start and
    /// end times are sent.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "opt_utc_millis",
        deserialize_with = "deserialize_opt_utc"
    )]
    pub start_time: Option<DateTime<Utc>>,
    /// When the call ended.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "opt_utc_millis",
        deserialize_with = "deserialize_opt_utc"
    )]
    pub end_time: Option<DateTime<Utc>>,
    /// When the call entered a queue.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "opt_utc_millis",
        deserialize_with = "deserialize_opt_utc"
    )]
    pub enqueue_time: Option<DateTime<Utc>>,
    /// When the agent accepted the call.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "opt_utc_millis",
        deserialize_with = "deserialize_opt_utc"
    )]
    pub accept_time: Option<DateTime<Utc>>,
    /// The number the call came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_number: Option<String>,
    /// Seconds the call spent on hold in all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_hold_duration: Option<u32>,
    /// Seconds of the longest hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longest_hold_duration: Option<u32>,
    /// How many times the call was put on hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_of_holds: Option<u32>,
    /// The queue the call went through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// The agent's Salesforce username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// Seconds the agent spent on the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_interaction_duration: Option<u32>,
    /// How a dialer placed the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_origin: Option<CallOrigin>,
    /// Where the call's recording is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_location: Option<String>,
    /// Seconds of recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_recording_duration: Option<u32>,
    /// Custom VoiceCall fields, as a **string** holding a JSON object; build it with
    /// [`call_attributes`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_attributes: Option<String>,
    /// `false` closes the conversation: pending routing is cleared and the record's
    /// `CallDisposition` becomes `completed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_active_call: Option<bool>,
    /// Why the call ended, for missed, abandoned and declined calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disconnect_reason: Option<DisconnectReason>,
}

/// R2's `disconnectReason`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DisconnectReason {
    /// The reason, e.g. `CALLBACK` when the customer hung up after asking for a callback
    /// (without it Salesforce counts the call as abandoned).
    pub value: String,
    /// Whether the call ended in error.
    pub is_error: bool,
}

/// The answer of R2 and R9: `{"status": "pending"}` (the write is asynchronous and cannot be
/// queried afterwards).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// Salesforce's `status`, `pending` in every documented answer; `None` when the 2xx
    /// answer had no readable body (the write was accepted all the same).
    #[serde(default)]
    pub status: Option<String>,
}

/// Builds a `callAttributes` string (a JSON object in a string) from field names and values:
/// `call_attributes([("NeoCallId__c", "42")])` is `{"NeoCallId__c":"42"}`.
pub fn call_attributes<K, V>(fields: impl IntoIterator<Item = (K, V)>) -> String
where
    K: Into<String>,
    V: Into<serde_json::Value>,
{
    let object: serde_json::Map<String, serde_json::Value> = fields
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    serde_json::Value::Object(object).to_string()
}

fn utc_millis<S: Serializer>(time: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&time.to_rfc3339_opts(SecondsFormat::Millis, true))
}

fn opt_utc_millis<S: Serializer>(time: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match time {
        Some(time) => utc_millis(time, s),
        None => s.serialize_none(),
    }
}

fn deserialize_utc<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let text = String::deserialize(d)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(serde::de::Error::custom)
}

fn deserialize_opt_utc<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    deserialize_utc(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn start() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-24T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn create_uses_salesforce_names_and_leaves_unset_fields_out() {
        let body = CreateVoiceCall {
            call_center_api_name: "NeotelContactCenter".into(),
            vendor_call_key: "neotel-42".into(),
            to: "8005550100".into(),
            from: "1155550199".into(),
            initiation_method: InitiationMethod::Inbound,
            start_time: start(),
            participants: vec![Participant::end_user("1155550199")],
            parent_voice_call_id: None,
            queue: None,
            call_origin: Some(CallOrigin::Progressive),
            call_subtype: Some(CallSubtype::Pstn),
            call_attributes: Some(call_attributes([("NeoCallId__c", "42")])),
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({
                "callCenterApiName": "NeotelContactCenter",
                "vendorCallKey": "neotel-42",
                "to": "8005550100",
                "from": "1155550199",
                "initiationMethod": "Inbound",
                "startTime": "2026-11-24T12:00:00.000Z",
                "participants": [{"participantKey": "1155550199", "type": "END_USER"}],
                "callOrigin": "Progressive",
                "callSubtype": "PSTN",
                "callAttributes": "{\"NeoCallId__c\":\"42\"}"
            })
        );
    }

    #[test]
    fn update_sends_only_what_is_set() {
        let body = UpdateVoiceCall {
            end_time: Some(start()),
            agent_interaction_duration: Some(75),
            is_active_call: Some(false),
            disconnect_reason: Some(DisconnectReason {
                value: "CALLBACK".into(),
                is_error: false,
            }),
            ..UpdateVoiceCall::default()
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({
                "endTime": "2026-11-24T12:00:00.000Z",
                "agentInteractionDuration": 75,
                "isActiveCall": false,
                "disconnectReason": {"value": "CALLBACK", "isError": false}
            })
        );
        let back: UpdateVoiceCall =
            serde_json::from_value(serde_json::to_value(&body).unwrap()).expect("round trip");
        assert_eq!(back, body);
    }

    #[test]
    fn create_answer_errors_come_as_an_array_or_a_sentence() {
        let ok: VoiceCallCreated =
            serde_json::from_str(r#"{"voiceCallId":"0LQRM0000006CSz","errors":[]}"#).unwrap();
        assert!(ok.errors.is_empty());
        let with_text: VoiceCallCreated = serde_json::from_str(
            r#"{"voiceCallId":"0LQS70000004YDG","errors":"We created your voice call but there were some errors : Required fields are missing"}"#,
        )
        .unwrap();
        assert_eq!(with_text.voice_call_id, "0LQS70000004YDG");
        assert_eq!(with_text.errors.messages().len(), 1);
        let without: VoiceCallCreated =
            serde_json::from_str(r#"{"voiceCallId":"0LQS70000004YDG"}"#).unwrap();
        assert!(without.errors.is_empty());
    }
}
