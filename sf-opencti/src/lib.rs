#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod action;
mod read;
mod task;

use cti_core::{
    AgentStatus, Answer, Ask, CrmError, CrmRequest, CrmResult, Message, Outcome, RecordRef,
    SurfaceSet, SurfaceUpdate,
};
use serde_json::{Map, Value, json};
use sf_callcenter::{CallType, SearchMatch};

// The core whose terms this adapter words, so an integrator names the very version it was built
// with.
pub use cti_core;

pub use action::{SalesforceAction, SalesforceEffect, SalesforceError};
pub use read::{ShapeError, apex_records, layout_from_json, parse_search_result};
pub use task::{is_task_creation, task_fields};

/// The Apex class of the connector's package the page calls through `runApex`.
pub const APEX_CLASS: &str = "NeotelDataRetrieval";

/// `sforce.opencti.CALL_TYPE`'s value for a direction.
#[must_use]
pub fn call_type(direction: CallType) -> &'static str {
    match direction {
        CallType::Inbound => "inbound",
        CallType::Outbound => "outbound",
        CallType::Internal => "internal",
    }
}

/// The utility item's icon for the agent's state (SLDS utility icons).
#[must_use]
pub fn icon(status: AgentStatus) -> &'static str {
    match status {
        AgentStatus::NoCampaign => "offline",
        AgentStatus::Available => "call",
        AgentStatus::OnBreak => "away",
        AgentStatus::OnCall => "end_call",
        AgentStatus::WithContact => "user",
        AgentStatus::WrapUp | AgentStatus::Released => "clock",
    }
}

/// The `sforce.opencti` call that does what the core asks; `words` words the core's messages
/// in the agent's language (a call's Task is written in it).
#[must_use]
pub fn effect(request: &CrmRequest, words: &dyn Fn(&Message) -> String) -> SalesforceEffect {
    SalesforceEffect {
        id: request.id,
        action: action(&request.ask, words),
    }
}

fn action(ask: &Ask, words: &dyn Fn(&Message) -> String) -> SalesforceAction {
    let apex = |method_name: String, method_params: String| SalesforceAction::RunApex {
        apex_class: APEX_CLASS,
        method_name,
        method_params,
    };
    let pop = |pop_type, params| SalesforceAction::ScreenPop { pop_type, params };
    match ask {
        Ask::Settings => SalesforceAction::GetCallCenterSettings,
        Ask::PopRules => SalesforceAction::GetSoftphoneLayout,
        // Open CTI searches without popping (`deferred`): the core decides what pops.
        Ask::FindRecords {
            key,
            direction,
            new_record,
        } => SalesforceAction::SearchAndScreenPop {
            search_params: key.clone(),
            call_type: call_type(*direction),
            default_field_values: new_record.clone(),
            deferred: true,
        },
        Ask::ShowRecord { id } => pop("sobject", json!({ "recordId": id })),
        Ask::ShowNewRecord {
            object_type,
            fields,
        } => pop(
            "newRecord",
            json!({ "entityName": object_type, "defaultFieldValues": fields }),
        ),
        Ask::ShowSearch { text } => pop("search", json!({ "searchString": text })),
        Ask::Minimize => SalesforceAction::SetSoftphonePanelVisibility { visible: false },
        Ask::ReadRecord { record } => apex(
            format!("get{}ById", record.object_type),
            format!("Id={}", record.id),
        ),
        Ask::WriteRecord { id, fields } => {
            let mut value = Map::new();
            value.insert("Id".into(), json!(id));
            value.extend(fields.clone());
            SalesforceAction::SaveLog { value }
        }
        Ask::LogCall { log, existing } => SalesforceAction::SaveLog {
            value: task_fields(log, existing.as_deref(), words),
        },
        Ask::FindCallLog { call_id } => apex(
            "getTaskByCallObject".into(),
            format!("CallObject={call_id}"),
        ),
        Ask::CurrentRecord => SalesforceAction::GetAppViewInfo,
        Ask::FindCampaignRecord {
            object_type,
            campaign,
        } => apex(
            "getRecordByNeotelCampaign".into(),
            format!("objectName={object_type}&campaignId={campaign}"),
        ),
    }
}

/// The `sforce.opencti` call that sets what the surface shows.
#[must_use]
pub fn surface_effect(update: &SurfaceUpdate) -> SalesforceEffect {
    let action = match &update.set {
        SurfaceSet::ClickToDial(true) => SalesforceAction::EnableClickToDial,
        SurfaceSet::ClickToDial(false) => SalesforceAction::DisableClickToDial,
        SurfaceSet::PanelWidth(width_px) => SalesforceAction::SetSoftphonePanelWidth {
            width_px: *width_px,
        },
        SurfaceSet::PanelHeight(height_px) => SalesforceAction::SetSoftphonePanelHeight {
            height_px: *height_px,
        },
        SurfaceSet::Label(label) => SalesforceAction::SetSoftphoneItemLabel {
            label: label.clone(),
        },
        SurfaceSet::Icon(status) => SalesforceAction::SetSoftphoneItemIcon { key: icon(*status) },
    };
    SalesforceEffect {
        id: update.id,
        action,
    }
}

/// The page's result of the call made for `ask`, read back in the core's terms. An answer
/// that is not of Open CTI's shape is a failure that did not apply; the page's `TIMEOUT` (no
/// answer from Salesforce within 10 s) is one whose outcome is unknown.
///
/// # Errors
/// [`CrmError`] for a call that failed, with whether it may have happened anyway.
pub fn answer(ask: &Ask, result: Result<Value, SalesforceError>) -> CrmResult {
    let value = result.map_err(|e| CrmError {
        outcome: if e.code == "TIMEOUT" {
            Outcome::Unknown
        } else {
            Outcome::NotApplied
        },
        description: e.description,
    })?;
    let unreadable = |why: String| CrmError {
        outcome: Outcome::NotApplied,
        description: why,
    };
    Ok(match ask {
        Ask::Settings => Answer::Settings(Box::new(read::settings(&value))),
        Ask::PopRules => Answer::PopRules(Box::new(
            layout_from_json(&value).map_err(|e| e.to_string()),
        )),
        Ask::FindRecords { .. } => {
            Answer::Records(parse_search_result(&value).map_err(|e| unreadable(e.to_string()))?)
        }
        Ask::ReadRecord { .. } => Answer::Record(apex_records(&value).into_iter().next()),
        Ask::FindCampaignRecord { object_type, .. } => Answer::Records(
            apex_records(&value)
                .into_iter()
                .filter_map(|r| {
                    let text = |k: &str| r.get(k).and_then(Value::as_str).map(str::to_owned);
                    Some(SearchMatch {
                        id: text("Id")?,
                        object_type: object_type.clone(),
                        name: text("Name").unwrap_or_default(),
                    })
                })
                .collect(),
        ),
        Ask::LogCall { .. } => Answer::Logged(value.as_str().map(str::to_owned)),
        Ask::FindCallLog { .. } => Answer::LogFound(
            apex_records(&value)
                .into_iter()
                .find_map(|r| r.get("Id").and_then(Value::as_str).map(str::to_owned)),
        ),
        Ask::CurrentRecord => {
            let text = |k: &str| value[k].as_str().map(str::to_owned);
            Answer::Current(text("recordId").map(|id| RecordRef {
                id,
                object_type: text("objectType").unwrap_or_default(),
                name: text("recordName"),
            }))
        }
        Ask::ShowRecord { .. }
        | Ask::ShowNewRecord { .. }
        | Ask::ShowSearch { .. }
        | Ask::Minimize
        | Ask::WriteRecord { .. } => Answer::Done,
    })
}
