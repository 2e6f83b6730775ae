//! W-ACTIVITY under Open CTI: the call's log is a Task, written with `saveLog`.

use cti_core::{Ask, CallLog, Message};
use serde_json::{Map, Value, json};
use sf_callcenter::CallType;

/// Task `CallType` picklist value.
fn task_call_type(call_type: CallType) -> &'static str {
    match call_type {
        CallType::Inbound => "Inbound",
        CallType::Outbound => "Outbound",
        CallType::Internal => "Internal",
    }
}

/// A person (`WhoId`) rather than anything else (`WhatId`: Salesforce refuses an Account as
/// `WhoId`).
fn is_person(object_type: &str) -> bool {
    object_type == "Contact" || object_type == "Lead"
}

/// The `saveLog` value of a call's Task: a creation (`entityApiName` Task), or the update of
/// the Task `existing`; `words` words the log's messages in the agent's language.
#[must_use]
pub fn task_fields(
    log: &CallLog,
    existing: Option<&str>,
    words: &dyn Fn(&Message) -> String,
) -> Map<String, Value> {
    let worded = log.worded(words);
    let mut m = Map::new();
    match existing {
        Some(id) => m.insert("Id".into(), json!(id)),
        None => m.insert("entityApiName".into(), json!("Task")),
    };
    m.insert("Subject".into(), json!(worded.subject));
    m.insert("CallType".into(), json!(task_call_type(log.call_type)));
    // The call id finds the Task again (`getTaskByCallObject`) after a lost answer.
    m.insert("CallObject".into(), json!(log.call_id.to_string()));
    m.insert("CallDurationInSeconds".into(), json!(log.duration_secs));
    m.insert("Status".into(), json!("Completed"));
    m.insert("TaskSubtype".into(), json!("Call"));
    m.insert(
        "ActivityDate".into(),
        json!(log.date.format("%Y-%m-%d").to_string()),
    );
    if let Some(d) = &worded.disposition {
        m.insert("CallDisposition".into(), json!(d));
    }
    if let Some(d) = &worded.description {
        m.insert("Description".into(), json!(d));
    }
    if let Some(r) = &log.record {
        let key = if is_person(&r.object_type) {
            "WhoId"
        } else {
            "WhatId"
        };
        m.insert(key.into(), json!(r.id));
    }
    // X-CAMPAIGN-ENTITY: the campaign's record takes `WhatId`, unless the call's own record
    // does (an Account or an Opportunity).
    if let Some(c) = &log.campaign_record
        && !m.contains_key("WhatId")
    {
        m.insert("WhatId".into(), json!(c.id));
    }
    m
}

/// A request that creates a Task (not an update by Id, not a record's Neotel fields).
#[must_use]
pub fn is_task_creation(ask: &Ask) -> bool {
    ask.creates_log()
}

#[cfg(test)]
mod tests {
    use cti_core::{Code, CrmRequest, RecordRef, RequestId};
    use sf_callcenter::{NeotelData, NeotelValues, Options};

    use super::*;

    /// The words of the softphone's Spanish catalog (the server words logs with it).
    fn spanish(m: &Message) -> String {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../cti-server/web/softphone/i18n/es.json"
        );
        let catalog: Map<String, Value> =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut text = catalog[&format!("msg.{}", m.code.as_str())]
            .as_str()
            .unwrap()
            .to_owned();
        for (k, v) in &m.params {
            text = text.replace(&format!("{{{k}}}"), v);
        }
        text
    }

    fn record(id: &str, object: &str) -> RecordRef {
        RecordRef {
            id: id.into(),
            object_type: object.into(),
            name: None,
        }
    }

    fn log(object: &str) -> CallLog {
        CallLog {
            subject: Message::new(Code::TaskOutbound).with("phone", "1144445555"),
            call_type: CallType::Outbound,
            call_id: 1_159_449,
            phone: "1144445555".into(),
            duration_secs: 95,
            category: Some("Venta / Venta concretada".into()),
            callback: None,
            manual: Some(Message::new(Code::TaskManual).with("phone", "1144445555")),
            notes: Some("quiere factura A".into()),
            record: Some(record("003A", object)),
            campaign_record: None,
            date: chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
        }
    }

    fn create(object: &str) -> Map<String, Value> {
        task_fields(&log(object), None, &spanish)
    }

    #[test]
    fn w_activity_task_carries_the_call_fields() {
        let t = create("Contact");
        assert_eq!(t["entityApiName"], "Task");
        assert_eq!(t["Subject"], "Llamada saliente 1144445555");
        assert_eq!(t["CallType"], "Outbound");
        assert_eq!(t["CallDisposition"], "Venta / Venta concretada");
        assert_eq!(t["CallObject"], "1159449");
        assert_eq!(t["CallDurationInSeconds"], 95);
        assert_eq!(t["Status"], "Completed");
        assert_eq!(t["TaskSubtype"], "Call");
        assert_eq!(t["ActivityDate"], "2026-11-24");
        assert_eq!(t["WhoId"], "003A");
        assert!(t.get("WhatId").is_none());
        assert_eq!(
            t["Description"],
            "Llamado manual al 1144445555\nquiere factura A"
        );
    }

    #[test]
    fn w_activity_accounts_and_opportunities_go_to_what_id() {
        for object in ["Account", "Opportunity", "Case"] {
            let t = create(object);
            assert_eq!(t["WhatId"], "003A", "{object}");
            assert!(t.get("WhoId").is_none());
        }
        let u = task_fields(&log("Lead"), Some("00T1"), &spanish);
        assert_eq!(u["Id"], "00T1");
        assert!(u.get("entityApiName").is_none());
        assert_eq!(u["WhoId"], "003A");
    }

    #[test]
    fn x_campaign_entity_relates_the_task_to_the_campaigns_record() {
        let with = |object: &str| CallLog {
            campaign_record: Some(record("701C", "Campaign")),
            ..log(object)
        };
        let t = task_fields(&with("Contact"), None, &spanish);
        assert_eq!(
            (t["WhoId"].as_str(), t["WhatId"].as_str()),
            (Some("003A"), Some("701C"))
        );
        // An Account needs WhatId itself: the call's own record wins.
        let t = task_fields(&with("Account"), None, &spanish);
        assert_eq!(t["WhatId"], "003A");
        let no_record = CallLog {
            record: None,
            ..with("Contact")
        };
        assert_eq!(task_fields(&no_record, None, &spanish)["WhatId"], "701C");
    }

    #[test]
    fn w_external_writes_the_mapped_data_on_the_record() {
        let values: NeotelValues = [
            (NeotelData::ContactId, "7".to_owned()),
            (NeotelData::ContactBaseId, "134".to_owned()),
            (NeotelData::CrmId, "4".to_owned()),
        ]
        .into();
        let fields = Options::default().external_data.apply(&values);
        let request = CrmRequest {
            id: RequestId(1),
            ask: Ask::WriteRecord {
                id: "003A".into(),
                fields,
            },
        };
        let crate::SalesforceAction::SaveLog { value: u } =
            crate::effect(&request, &spanish).action
        else {
            panic!("a record's Neotel data is a saveLog");
        };
        assert_eq!(u["Id"], "003A");
        assert_eq!(
            (
                u["neoContactId__c"].as_str(),
                u["neoBaseId__c"].as_str(),
                u["neoCrmId__c"].as_str()
            ),
            (Some("7"), Some("134"), Some("4"))
        );
        assert!(
            Options::default()
                .external_data
                .apply(&NeotelValues::new())
                .is_empty()
        );
    }
}
