//! A call's parameters as ASP.NET binds them: by name, case-insensitively, converted
//! with .NET's own fault messages.

use chrono::NaiveDateTime;

use super::crm::ContactKey;
use super::{Fault, fault};

/// Parameters by name, case-insensitively, as ASP.NET binds them.
pub(super) struct Params<'a>(pub(super) &'a [(String, String)]);

impl Params<'_> {
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub(super) fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_owned()
    }
    /// `BASE` and `IDCONTACTO`: the contact a call names.
    pub(super) fn contact_key(&self) -> Result<ContactKey, Fault> {
        Ok(ContactKey {
            base: self.int("BASE")?,
            id: self.int("IDCONTACTO")?,
        })
    }
    /// The value, `None` when absent or empty.
    pub(super) fn non_empty(&self, name: &str) -> Option<String> {
        Some(self.text(name)).filter(|s| !s.is_empty())
    }
    fn required(&self, name: &str) -> Result<&str, Fault> {
        self.get(name)
            .map_or_else(|| fault(format!("Missing parameter: {name}.")), Ok)
    }
    pub(super) fn int(&self, name: &str) -> Result<i64, Fault> {
        let v = self.required(name)?;
        v.trim()
            .parse()
            .or_else(|_| fault(format!("Cannot convert {v} to System.Int32.")))
    }
    pub(super) fn boolean(&self, name: &str) -> Result<bool, Fault> {
        let v = self.required(name)?;
        match v.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            _ => fault(format!("Cannot convert {v} to System.Boolean.")),
        }
    }
    pub(super) fn date(&self, name: &str) -> Result<NaiveDateTime, Fault> {
        let v = self.required(name)?;
        parse_datetime(v).map_or_else(
            || fault(format!("Cannot convert {v} to System.DateTime.")),
            Ok,
        )
    }
}

/// Dates as .NET accepts them from clients: ISO 8601 (with or without fraction and offset,
/// which is ignored: NeoApi dates are the server's local time) or the server's culture.
fn parse_datetime(text: &str) -> Option<NaiveDateTime> {
    let t = text.trim();
    let t = t.strip_suffix('Z').unwrap_or(t);
    let t = match t.rfind(['+', '-']) {
        Some(i) if i > 10 && t[i..].contains(':') => &t[..i],
        _ => t,
    };
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%d/%m/%Y %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
    .or_else(|| {
        chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })
}

/// `CAMPAÑA` (or its Ñ-free twin `CAMPANA`) as an int.
pub(super) fn campaign_param(p: &Params<'_>) -> Result<i64, Fault> {
    if p.get("CAMPAÑA").is_some() {
        p.int("CAMPAÑA")
    } else {
        p.int("CAMPANA").map_err(|_| Fault {
            message: "Missing parameter: CAMPAÑA.".into(),
        })
    }
}
