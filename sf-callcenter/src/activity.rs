//! What the connector writes into Salesforce: the call's Task (W-ACTIVITY) and the Neotel
//! data on the matched record (W-EXTERNAL), as `saveLog` values.

use serde_json::{Map, Value, json};

use crate::options::{FieldMap, NeotelValues, Options};
use crate::screenpop::CallType;

/// The Salesforce record a call is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedRecord {
    /// Record Id.
    pub id: String,
    /// Object API name.
    pub object_type: String,
}

/// One call, as the Task records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    /// Direction.
    pub call_type: CallType,
    /// Neotel call id (`IDLLAMADA`).
    pub call_id: i64,
    /// The customer's number.
    pub phone: String,
    /// How long the call lasted.
    pub duration_secs: u64,
    /// `Category / Subcategory`, when categorized.
    pub disposition: Option<String>,
    /// The agent's management notes.
    pub notes: String,
    /// The agent dialed it by hand (F-MANUAL).
    pub manual: bool,
    /// The record it is about.
    pub record: Option<LinkedRecord>,
    /// The call's date (agent's local date).
    pub date: chrono::NaiveDate,
}

const DISPOSITION_MAX: usize = 255;
const DESCRIPTION_MAX: usize = 32_000;

fn cut(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

fn fields(call: &CallRecord, options: &Options) -> Map<String, Value> {
    let subject = match call.call_type {
        CallType::Inbound => format!("Llamada entrante {}", call.phone),
        CallType::Outbound => format!("Llamada saliente {}", call.phone),
        CallType::Internal => format!("Llamada interna {}", call.phone),
    };
    let mut m = Map::new();
    m.insert("Subject".into(), json!(subject.trim_end()));
    m.insert("CallType".into(), json!(call.call_type.task_value()));
    m.insert("CallObject".into(), json!(call.call_id.to_string()));
    m.insert("CallDurationInSeconds".into(), json!(call.duration_secs));
    m.insert("Status".into(), json!("Completed"));
    m.insert("TaskSubtype".into(), json!("Call"));
    m.insert(
        "ActivityDate".into(),
        json!(call.date.format("%Y-%m-%d").to_string()),
    );
    if let Some(d) = &call.disposition {
        m.insert("CallDisposition".into(), json!(cut(d, DISPOSITION_MAX)));
    }
    if options.use_task_description {
        let mut text = String::new();
        if call.manual {
            text.push_str(&format!("Llamado manual al {}", call.phone));
        }
        if !call.notes.trim().is_empty() {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(call.notes.trim());
        }
        if !text.is_empty() {
            m.insert("Description".into(), json!(cut(&text, DESCRIPTION_MAX)));
        }
    }
    if let Some(r) = &call.record {
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

/// W-ACTIVITY: the `saveLog` value that creates the call's Task.
pub fn task_create(call: &CallRecord, options: &Options) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("entityApiName".into(), json!("Task"));
    m.extend(fields(call, options));
    m
}

/// W-ACTIVITY: the `saveLog` value that updates the call's existing Task.
pub fn task_update(task_id: &str, call: &CallRecord, options: &Options) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("Id".into(), json!(task_id));
    m.extend(fields(call, options));
    m
}

/// W-EXTERNAL: the `saveLog` value writing the call's Neotel data on the matched record;
/// `None` when the map writes nothing for these values.
pub fn record_update(
    record_id: &str,
    map: &FieldMap,
    values: &NeotelValues,
) -> Option<Map<String, Value>> {
    let data = map.apply(values);
    if data.is_empty() {
        return None;
    }
    let mut m = Map::new();
    m.insert("Id".into(), json!(record_id));
    m.extend(data);
    Some(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::NeotelData;

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

    #[test]
    fn w_activity_task_carries_the_call_fields() {
        let t = task_create(&call("Contact"), &Options::default());
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
            let t = task_create(&call(object), &Options::default());
            assert_eq!(t["WhatId"], "003A", "{object}");
            assert!(t.get("WhoId").is_none());
        }
        let u = task_update("00T1", &call("Lead"), &Options::default());
        assert_eq!(u["Id"], "00T1");
        assert!(u.get("entityApiName").is_none());
        assert_eq!(u["WhoId"], "003A");
    }

    #[test]
    fn x_task_desc_and_f_manual_notes_only_with_the_option() {
        let t = task_create(&call("Contact"), &Options::default());
        assert_eq!(
            t["Description"],
            "Llamado manual al 1144445555\nquiere factura A"
        );
        let off = Options {
            use_task_description: false,
            ..Options::default()
        };
        assert!(
            task_create(&call("Contact"), &off)
                .get("Description")
                .is_none()
        );
    }

    #[test]
    fn w_external_writes_the_mapped_data_on_the_record() {
        let values: NeotelValues = [
            (NeotelData::ContactId, "7".to_owned()),
            (NeotelData::ContactBaseId, "134".to_owned()),
            (NeotelData::CrmId, "4".to_owned()),
        ]
        .into();
        let u = record_update("003A", &Options::default().external_data, &values).unwrap();
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
            record_update(
                "003A",
                &Options::default().external_data,
                &NeotelValues::new()
            )
            .is_none()
        );
    }
}
