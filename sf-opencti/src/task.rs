//! W-ACTIVITY under Open CTI: the call's log is a Task, written with `saveLog`.

use cti_core::Ask;
use serde_json::{Map, Value, json};
use sf_callcenter::{CallLog, CallType};

/// Task `CallType` picklist value.
fn task_call_type(call_type: CallType) -> &'static str {
    match call_type {
        CallType::Inbound => "Inbound",
        CallType::Outbound => "Outbound",
        CallType::Internal => "Internal",
    }
}

/// The `saveLog` value of a call's Task: a creation (`entityApiName` Task), or the update of
/// the Task `existing`.
#[must_use]
pub fn task_fields(log: &CallLog, existing: Option<&str>) -> Map<String, Value> {
    let mut m = Map::new();
    match existing {
        Some(id) => m.insert("Id".into(), json!(id)),
        None => m.insert("entityApiName".into(), json!("Task")),
    };
    m.insert("Subject".into(), json!(log.subject));
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
    if let Some(d) = &log.disposition {
        m.insert("CallDisposition".into(), json!(d));
    }
    if let Some(d) = &log.description {
        m.insert("Description".into(), json!(d));
    }
    if let Some(r) = &log.record {
        // WhoId takes people; anything else goes to WhatId (Salesforce refuses an Account as WhoId).
        let key = if r.object_type == "Contact" || r.object_type == "Lead" {
            "WhoId"
        } else {
            "WhatId"
        };
        m.insert(key.into(), json!(r.id));
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
    use cti_core::Ask;
    use sf_callcenter::{CallRecord, LinkedRecord, NeotelData, NeotelValues, Options};

    use super::*;

    fn call(object: &str) -> CallRecord {
        CallRecord {
            call_type: CallType::Outbound,
            call_id: 1_159_449,
            phone: "1144445555".into(),
            duration_secs: 95,
            disposition: Some("Venta / Venta concretada".into()),
            notes: "quiere factura A".into(),
            manual: true,
            record: Some(LinkedRecord {
                id: "003A".into(),
                object_type: object.into(),
            }),
            date: chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
        }
    }

    fn create(object: &str, options: &Options) -> Map<String, Value> {
        task_fields(&call(object).log(options), None)
    }

    #[test]
    fn w_activity_task_carries_the_call_fields() {
        let t = create("Contact", &Options::default());
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
    }

    #[test]
    fn w_activity_accounts_and_opportunities_go_to_what_id() {
        for object in ["Account", "Opportunity", "Case"] {
            let t = create(object, &Options::default());
            assert_eq!(t["WhatId"], "003A", "{object}");
            assert!(t.get("WhoId").is_none());
        }
        let u = task_fields(&call("Lead").log(&Options::default()), Some("00T1"));
        assert_eq!(u["Id"], "00T1");
        assert!(u.get("entityApiName").is_none());
        assert_eq!(u["WhoId"], "003A");
    }

    #[test]
    fn x_task_desc_and_f_manual_notes_only_with_the_option() {
        let t = create("Contact", &Options::default());
        assert_eq!(
            t["Description"],
            "Llamado manual al 1144445555\nquiere factura A"
        );
        let off = Options {
            use_task_description: false,
            ..Options::default()
        };
        assert!(create("Contact", &off).get("Description").is_none());
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
        let request = cti_core::CrmRequest {
            id: cti_core::RequestId(1),
            ask: Ask::WriteRecord {
                id: "003A".into(),
                fields,
            },
        };
        let crate::SalesforceAction::SaveLog { value: u } = crate::effect(&request).action else {
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
