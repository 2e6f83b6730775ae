//! The Lightning bridge: the core's requests to our Lightning components and their answers,
//! through scv-connector-base's MESSAGE events (`publishEvent(MESSAGE)` one way, the host's
//! `MESSAGE` → `handleMessage` the other). The components execute what the core asks with
//! Salesforce's standard APIs (search, navigation, record updates, the record shown) and render
//! its view; they decide nothing. Protocol: `cti-server/docs/protocol.md`, "Lightning bridge".

use cti_core::{Answer, Ask, CrmError, CrmRequest, CrmResult, Outcome, RecordRef, RequestId};
use serde_json::{Map, Value, json};
use sf_callcenter::{CallType, SearchMatch};

/// The protocol's version, in every payload.
pub const BRIDGE_VERSION: u64 = 1;

/// `{"neotel": 1, "type": kind, …fields}`.
pub(crate) fn message(kind: &str, fields: Value) -> Value {
    let mut out = Map::new();
    out.insert("neotel".into(), json!(BRIDGE_VERSION));
    out.insert("type".into(), json!(kind));
    if let Value::Object(map) = fields {
        out.extend(map);
    }
    Value::Object(out)
}

fn direction(d: CallType) -> &'static str {
    match d {
        CallType::Inbound => "Inbound",
        CallType::Outbound => "Outbound",
        CallType::Internal => "Internal",
    }
}

/// The request for the components, in their words; `words` words the log's messages.
pub(crate) fn request(r: &CrmRequest, words: &dyn Fn(&cti_core::Message) -> String) -> Value {
    let ask = match &r.ask {
        Ask::FindRecords {
            key, direction: d, ..
        } => {
            json!({ "ask": "findRecords", "key": key, "direction": direction(*d) })
        }
        Ask::ShowRecord { id } => json!({ "ask": "showRecord", "recordId": id }),
        Ask::ShowNewRecord {
            object_type,
            fields,
        } => json!({ "ask": "showNewRecord", "objectType": object_type, "fields": fields }),
        Ask::ShowSearch { text } => json!({ "ask": "showSearch", "text": text }),
        Ask::ReadRecord { record } => json!({
            "ask": "readRecord", "recordId": record.id, "objectType": record.object_type,
        }),
        Ask::WriteRecord { id, fields } => {
            json!({ "ask": "writeRecord", "recordId": id, "fields": fields })
        }
        Ask::LogCall { log, existing } => {
            let worded = log.worded(words);
            let record = |r: &RecordRef| json!({ "id": r.id, "objectType": r.object_type });
            json!({
                "ask": "logCall",
                "existing": existing,
                "log": {
                    "subject": worded.subject,
                    "callType": direction(log.call_type),
                    "callId": log.call_id,
                    "phone": log.phone,
                    "durationSecs": log.duration_secs,
                    "disposition": worded.disposition,
                    "description": worded.description,
                    "record": log.record.as_ref().map(record),
                    "related": log.campaign_record.as_ref().map(record),
                    "date": log.date.format("%Y-%m-%d").to_string(),
                },
            })
        }
        Ask::FindCallLog { call_id } => json!({ "ask": "findCallLog", "callId": call_id }),
        Ask::CurrentRecord => json!({ "ask": "currentRecord" }),
        Ask::FindCampaignRecord {
            object_type,
            campaign,
        } => json!({
            "ask": "findCampaignRecord", "objectType": object_type, "campaign": campaign,
        }),
        // Answered by the adapter itself, never sent.
        Ask::Settings | Ask::PopRules | Ask::Minimize => json!({ "ask": "none" }),
    };
    let mut fields = ask;
    fields["id"] = json!(r.id.0);
    message("request", fields)
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn record_ref(v: &Value) -> Option<RecordRef> {
    Some(RecordRef {
        id: text(v, "id")?,
        object_type: text(v, "objectType").unwrap_or_default(),
        name: text(v, "name"),
    })
}

/// A component's answer to request `id`, read for the core as `ask` expects it.
///
/// # Errors
/// A [`CrmError`] for a failure the component reported, or an answer not of the shape asked.
pub(crate) fn answer(ask: &Ask, m: &Value) -> CrmResult {
    if m.get("ok").and_then(Value::as_bool) != Some(true) {
        let e = m.get("error").cloned().unwrap_or_default();
        return Err(CrmError {
            outcome: if e.get("unknown").and_then(Value::as_bool) == Some(true) {
                Outcome::Unknown
            } else {
                Outcome::NotApplied
            },
            description: text(&e, "description")
                .or_else(|| text(&e, "code"))
                .unwrap_or_else(|| "the component failed".into()),
        });
    }
    let a = m.get("answer").cloned().unwrap_or_default();
    let unreadable = || CrmError {
        outcome: Outcome::NotApplied,
        description: format!("an answer not of the shape asked: {a}"),
    };
    Ok(match ask {
        Ask::FindRecords { .. } | Ask::FindCampaignRecord { .. } => {
            let rows = a
                .get("records")
                .and_then(Value::as_array)
                .ok_or_else(unreadable)?;
            Answer::Records(
                rows.iter()
                    .filter_map(|r| {
                        Some(SearchMatch {
                            id: text(r, "id")?,
                            object_type: text(r, "objectType")?,
                            name: text(r, "name").unwrap_or_default(),
                        })
                    })
                    .collect(),
            )
        }
        Ask::ReadRecord { .. } => {
            Answer::Record(a.get("record").and_then(Value::as_object).cloned())
        }
        Ask::LogCall { .. } => Answer::Logged(text(&a, "logId")),
        Ask::FindCallLog { .. } => Answer::LogFound(text(&a, "logId")),
        Ask::CurrentRecord => Answer::Current(a.get("record").and_then(record_ref)),
        _ => Answer::Done,
    })
}

/// What a component sent (`handleMessage`'s message).
#[derive(Debug, Clone, PartialEq)]
pub enum FromComponents {
    /// A component rendered: it wants the words and the latest view.
    Hello,
    /// The agent acted (a core command, as the Open CTI page sends it).
    Command(Value),
    /// The answer to a request.
    Answer(RequestId, Value),
    /// The agent moved to a record (W-SYNC).
    Navigation(Option<RecordRef>),
    /// Not ours, or not of the protocol's shape.
    Unknown,
}

/// Reads a component's message.
#[must_use]
pub fn read(m: &Value) -> FromComponents {
    if m.get("neotel").and_then(Value::as_u64) != Some(BRIDGE_VERSION) {
        return FromComponents::Unknown;
    }
    match m.get("type").and_then(Value::as_str) {
        Some("hello") => FromComponents::Hello,
        Some("command") => m
            .get("command")
            .cloned()
            .map_or(FromComponents::Unknown, FromComponents::Command),
        Some("answer") => m
            .get("id")
            .and_then(Value::as_u64)
            .map_or(FromComponents::Unknown, |id| {
                FromComponents::Answer(RequestId(id), m.clone())
            }),
        Some("event") => {
            let e = m.get("event").cloned().unwrap_or_default();
            match e.get("event").and_then(Value::as_str) {
                Some("navigation") => {
                    FromComponents::Navigation(text(&e, "recordId").map(|id| RecordRef {
                        id,
                        object_type: text(&e, "objectType").unwrap_or_default(),
                        name: text(&e, "recordName"),
                    }))
                }
                _ => FromComponents::Unknown,
            }
        }
        _ => FromComponents::Unknown,
    }
}
