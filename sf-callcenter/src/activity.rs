//! What a call's log says (W-ACTIVITY): one call as the connector records it, worded by its
//! rules (subject, disposition, the notes with `useTaskDescriptionField`). Writing it in a
//! Salesforce object's fields is the surface adapter's job.

use serde::{Deserialize, Serialize};

use crate::options::Options;
use crate::screenpop::CallType;

/// The Salesforce record a call is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// What a call's log says (W-ACTIVITY), as the connector's rules word it, whatever Salesforce
/// object keeps it: a Task under Open CTI, a VoiceCall under Salesforce Voice (each surface's
/// adapter writes it in its object's fields).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallLog {
    /// `Llamada entrante 1144445555`, …
    pub subject: String,
    /// Direction.
    pub call_type: CallType,
    /// Neotel call id (`IDLLAMADA`): what finds the log again.
    pub call_id: i64,
    /// The customer's number.
    pub phone: String,
    /// How long the call lasted.
    pub duration_secs: u64,
    /// `Category / Subcategory` (and when the customer is called back), at most 255 characters.
    pub disposition: Option<String>,
    /// With `useTaskDescriptionField` (X-TASK-DESC): the manual call (F-MANUAL) and the notes.
    pub description: Option<String>,
    /// The record it is about.
    pub record: Option<LinkedRecord>,
    /// The call's date (agent's local date).
    pub date: chrono::NaiveDate,
}

impl CallRecord {
    /// W-ACTIVITY: what this call's log says under `options`.
    #[must_use]
    pub fn log(&self, options: &Options) -> CallLog {
        let subject = match self.call_type {
            CallType::Inbound => format!("Llamada entrante {}", self.phone),
            CallType::Outbound => format!("Llamada saliente {}", self.phone),
            CallType::Internal => format!("Llamada interna {}", self.phone),
        };
        let description = options.use_task_description.then(|| {
            let mut text = String::new();
            if self.manual {
                text.push_str(&format!("Llamado manual al {}", self.phone));
            }
            if !self.notes.trim().is_empty() {
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(self.notes.trim());
            }
            cut(&text, DESCRIPTION_MAX)
        });
        CallLog {
            subject: subject.trim_end().to_owned(),
            call_type: self.call_type,
            call_id: self.call_id,
            phone: self.phone.clone(),
            duration_secs: self.duration_secs,
            disposition: self.disposition.as_deref().map(|d| cut(d, DISPOSITION_MAX)),
            description: description.filter(|d| !d.is_empty()),
            record: self.record.clone(),
            date: self.date,
        }
    }
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn w_activity_the_log_says_the_call() {
        let log = call("Contact").log(&Options::default());
        assert_eq!(log.subject, "Llamada saliente 1144445555");
        assert_eq!(log.disposition.as_deref(), Some("Venta / Venta concretada"));
        assert_eq!((log.call_id, log.duration_secs), (1_159_449, 95));
        let long = CallRecord {
            disposition: Some("x".repeat(300)),
            ..call("Contact")
        };
        assert_eq!(
            long.log(&Options::default()).disposition.unwrap().len(),
            255
        );
    }

    #[test]
    fn x_task_desc_and_f_manual_notes_only_with_the_option() {
        let log = call("Contact").log(&Options::default());
        assert_eq!(
            log.description.as_deref(),
            Some("Llamado manual al 1144445555\nquiere factura A")
        );
        let off = Options {
            use_task_description: false,
            ..Options::default()
        };
        assert!(call("Contact").log(&off).description.is_none());
        let quiet = CallRecord {
            manual: false,
            notes: "  ".into(),
            ..call("Contact")
        };
        assert!(quiet.log(&Options::default()).description.is_none());
    }
}
