//! Reading the wire form once, into spans of one string and typed values checked up
//! front; and writing it back (`Display`, `Serialize`).

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDateTime;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::{
    CrmState, DialerType, Fields, Position, PositionDate, PositionError, Span, Typed, parse_date,
};
use crate::error::excerpt;

impl Fields {
    fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.spans
            .iter()
            .map(|s| (&self.text[s.key.clone()], &self.text[s.value.clone()]))
    }

    fn len(&self) -> usize {
        self.spans.len()
    }
}

impl fmt::Debug for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Position {
    /// Parses a `Position` string (the text inside `<string>`), checking every known
    /// numeric and date value. Fails naming the key when a value is malformed or when a
    /// key the agent state rule needs (`SAL_CAMPAÑA_DEFAULT`, `SUBTIPO_DESCANSO`,
    /// `ESTADO_CRM`, `IDLLAMADA`) is absent.
    pub fn parse(text: &str) -> Result<Self, PositionError> {
        let text = text.trim();
        let mut spans = Vec::with_capacity(52);
        let mut start = 0;
        for item in text.split('|') {
            let end = start + item.len();
            if !item.is_empty() {
                // an empty item is the trailing '|'
                let Some(eq) = item.find('=') else {
                    return Err(PositionError::NotKeyValue {
                        item: excerpt(item),
                    });
                };
                let key = &item[..eq];
                let key_start = start + (key.len() - key.trim_start().len());
                let key_end = (start + key.trim_end().len()).max(key_start);
                spans.push(Span {
                    key: key_start..key_end,
                    value: start + eq + 1..end,
                });
            }
            start = end + 1;
        }
        let fields = Fields {
            text: text.to_owned(),
            spans,
        };
        let typed = Typed::read(&fields)?;
        Ok(Self { fields, typed })
    }

    /// The raw value of a key, `None` when absent. A key with `Ñ` also matches its
    /// `N` spelling (some installs and proxies fold it).
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        lookup(&self.fields, key)
    }

    /// Every `(key, value)` in the order sent, unknown keys included.
    pub fn fields(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.fields.iter()
    }

    /// How many keys were sent (52 in the current layout, 44 in the older one).
    #[must_use]
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether no key was sent (never true for a parsed `Position`).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.fields.len() == 0
    }
}

impl FromStr for Position {
    type Err = PositionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

/// The wire form: `KEY=VALUE|…|`.
impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, v) in self.fields.iter() {
            write!(f, "{k}={v}|")?;
        }
        Ok(())
    }
}

/// Serialized as a map of the keys in the order sent.
impl Serialize for Position {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.fields.len()))?;
        for (k, v) in self.fields.iter() {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl Typed {
    fn read(fields: &Fields) -> Result<Self, PositionError> {
        let required = |key: &'static str| -> Result<i64, PositionError> {
            lookup(fields, key).ok_or(PositionError::MissingKey { key })?;
            Ok(int(fields, key)?.unwrap_or(0))
        };
        let zero = |key: &'static str| -> Result<i64, PositionError> {
            Ok(int(fields, key)?.unwrap_or(0))
        };
        let crm_state =
            lookup(fields, "ESTADO_CRM").ok_or(PositionError::MissingKey { key: "ESTADO_CRM" })?;
        let mut dates = [None; PositionDate::ALL.len()];
        for which in PositionDate::ALL {
            dates[which as usize] = date(fields, which.key())?;
            if let (None, Some(older)) = (dates[which as usize], which.older_key()) {
                dates[which as usize] = date(fields, older)?;
            }
        }
        Ok(Self {
            outbound_campaign: required("SAL_CAMPAÑA_DEFAULT")?,
            break_subtype: required("SUBTIPO_DESCANSO")?,
            crm_state: CrmState::parse(crm_state),
            call_id: required("IDLLAMADA")?,
            call_id_last: zero("IDLLAMADA_ULT")?,
            campaign: zero("CAMPAÑA")?,
            campaign_last: zero("CAMPAÑA_ULT")?,
            queue: zero("COLA")?,
            queue_last: zero("COLA_ULT")?,
            crm: zero("CRM")?,
            base: zero("BASE")?,
            contact_id: zero("IDCONTACTO")?,
            conference: int(fields, "CONFERENCIA")?,
            schedule_id: int(fields, "IDAGENDA")?,
            outbound_crm: zero("SAL_CRM")?,
            outbound_base: zero("SAL_BASE")?,
            port: int(fields, "PORT")?,
            dialer_type: DialerType::parse(lookup(fields, "SAL_TIPO_DISCADOR").unwrap_or("")),
            dates,
        })
    }
}

fn lookup<'a>(fields: &'a Fields, key: &str) -> Option<&'a str> {
    let find = |k: &str| fields.iter().find(|(name, _)| *name == k).map(|(_, v)| v);
    find(key).or_else(|| {
        key.contains('Ñ')
            .then(|| find(&key.replace('Ñ', "N")))
            .flatten()
    })
}

/// A numeric key: `None` when absent or empty.
fn int(fields: &Fields, key: &'static str) -> Result<Option<i64>, PositionError> {
    match lookup(fields, key).map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| PositionError::NotANumber {
            key,
            value: excerpt(v),
        }),
    }
}

/// A date key: `None` when absent, empty or a sentinel.
fn date(fields: &Fields, key: &'static str) -> Result<Option<NaiveDateTime>, PositionError> {
    match lookup(fields, key) {
        None => Ok(None),
        Some(v) => parse_date(v).map_err(|()| PositionError::NotADate {
            key,
            value: excerpt(v),
        }),
    }
}
