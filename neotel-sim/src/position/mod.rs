//! Rendering an agent's `Position` string: `KEY=VALUE|…|` in the 52-key layout of current
//! installs or the 44-key layout of older ones, with dates in the install's culture.
//!
//! `layouts` lists the keys of each layout, `keys` what each key holds (one table for
//! writing and reading back); this file renders and parses with them.

use chrono::{NaiveDate, NaiveDateTime, Timelike};

use crate::scenario::{DateCulture, PositionLayout};

mod keys;
mod layouts;
#[cfg(feature = "proptest")]
pub mod strategy;
#[cfg(test)]
mod tests;

use keys::{read_key, write_key};
pub use layouts::{KEYS_44, KEYS_52, KEYS_ANY};

/// Everything a `Position` string says, typed. The engine fills it from an agent's state;
/// [`render`] writes it. Unset dates are `None` (written as the platform's sentinels).
#[derive(Debug, Clone, PartialEq, Default)]
#[allow(missing_docs)] // each field is the Position key of the same name
pub struct PositionView {
    pub device: String,
    pub ip: String,
    pub port: i64,
    pub status: String,
    pub server: String,
    pub user: String,
    pub login_at: Option<NaiveDateTime>,
    pub outbound_campaign: i64,
    pub campaign_login_at: Option<NaiveDateTime>,
    pub channel: String,
    pub sub_state: String,
    pub sub_state_last: String,
    pub ringing_at: Option<NaiveDateTime>,
    pub dialing_at: Option<NaiveDateTime>,
    pub agent_at: Option<NaiveDateTime>,
    pub call_state_at: Option<NaiveDateTime>,
    pub break_subtype: i64,
    pub break_at: Option<NaiveDateTime>,
    pub break_time: Option<NaiveDateTime>,
    pub crm_state: String,
    pub crm_at: Option<NaiveDateTime>,
    pub campaign: i64,
    pub campaign_last: i64,
    pub queue: i64,
    pub queue_last: i64,
    pub dnis: String,
    pub ani: String,
    pub phone: String,
    pub phone_last: String,
    pub call_type: String,
    pub call_type_last: String,
    pub origin: String,
    pub origin_last: String,
    pub direction: String,
    pub direction_last: String,
    pub crm: i64,
    pub base: i64,
    pub contact_id: i64,
    pub data: String,
    pub clave: String,
    pub search_field: String,
    pub schedule_id: Option<i64>,
    pub call_id: i64,
    pub call_id_last: i64,
    pub conference: Option<i64>,
    pub recording: bool,
    pub recording_file: String,
    pub forward_phone: String,
    pub dialer: String,
    pub outbound_crm: i64,
    pub outbound_base: i64,
    pub associated_channels: Vec<String>,
}

/// The date the platform writes for "unset": 01/01/`year` 00:00:00, with `year` 2000
/// for `INICIO_*`/`TIEMPO_*` and 1 (.NET's `DateTime.MinValue`) for `RINGING`/`DIALING`/`AGENT`.
fn sentinel(year: i32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(year, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("valid date")
}

/// Writes a date in the install's culture.
pub fn format_date(at: NaiveDateTime, culture: DateCulture) -> String {
    match culture {
        DateCulture::H24 => at.format("%d/%m/%Y %H:%M:%S").to_string(),
        DateCulture::EsAr12h => {
            let (pm, hour) = at.hour12();
            let suffix = if pm { "p.m." } else { "a.m." };
            format!(
                "{}{:02}:{:02}:{:02} {suffix}",
                at.format("%d/%m/%Y "),
                hour,
                at.minute(),
                at.second()
            )
        }
    }
}

/// Renders a `Position` string in the given layout and culture.
pub fn render(view: &PositionView, layout: PositionLayout, culture: DateCulture) -> String {
    let keys: &[&str] = match layout {
        PositionLayout::Current => &KEYS_52,
        PositionLayout::Older => &KEYS_44,
    };
    let mut out = String::with_capacity(1024);
    for key in keys {
        out.push_str(key);
        out.push('=');
        // Neotel does not escape; the engine never puts `|` in a value (see `sanitize`).
        out.push_str(&sanitize(&write_key(view, key, culture)));
        out.push('|');
    }
    out
}

/// The same as [`render`], under the name other crates look for.
pub fn render_position(
    view: &PositionView,
    layout: PositionLayout,
    culture: DateCulture,
) -> String {
    render(view, layout, culture)
}

/// A `Position` string that cannot be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The text holds no `KEY=VALUE|` item.
    #[error("empty Position string")]
    Empty,
    /// An item without `=`.
    #[error("Position item {index} ({item:?}) has no '='")]
    NoEquals {
        /// 0-based position of the item.
        index: usize,
        /// The item as found.
        item: String,
    },
    /// A key's value is not what the key holds (a number, a date of the culture).
    #[error("Position key {key} has an unreadable value {value:?}")]
    BadValue {
        /// The key.
        key: String,
        /// Its value.
        value: String,
    },
}

/// Splits a `Position` string into its items, in order: `|`-separated, trailing `|`, each
/// item split on its first `=` (values may hold `=`).
pub fn parse_items(text: &str) -> Result<Vec<(&str, &str)>, ParseError> {
    let text = text.strip_suffix('|').unwrap_or(text);
    if text.is_empty() {
        return Err(ParseError::Empty);
    }
    text.split('|')
        .enumerate()
        .map(|(index, item)| {
            item.split_once('=').ok_or_else(|| ParseError::NoEquals {
                index,
                item: item.to_owned(),
            })
        })
        .collect()
}

/// Reads a date written by [`format_date`] in either culture; the sentinels read as `None`.
pub fn parse_date(text: &str) -> Option<Option<NaiveDateTime>> {
    let (body, pm) = match text.rsplit_once(' ') {
        Some((body, "p.m.")) => (body, Some(true)),
        Some((body, "a.m.")) => (body, Some(false)),
        _ => (text, None),
    };
    let mut at = NaiveDateTime::parse_from_str(body, "%d/%m/%Y %H:%M:%S").ok()?;
    if let Some(pm) = pm {
        let hour = match (at.hour(), pm) {
            (h, _) if !(1..=12).contains(&h) => return None,
            (12, false) => 0,
            (12, true) => 12,
            (h, false) => h,
            (h, true) => h + 12,
        };
        at = at.with_hour(hour)?;
    }
    Some((at != sentinel(2000) && at != sentinel(1)).then_some(at))
}

/// Reads a `Position` string of either layout and culture back into a [`PositionView`]
/// (keys the layout lacks stay at their defaults; unknown keys are ignored).
pub fn parse_view(text: &str) -> Result<PositionView, ParseError> {
    let mut v = PositionView::default();
    for (key, value) in parse_items(text)? {
        read_key(&mut v, key, value).map_err(|()| ParseError::BadValue {
            key: key.to_owned(),
            value: value.to_owned(),
        })?;
    }
    Ok(v)
}

/// A value must not contain the item separator; the platform has no escaping, so the
/// simulator replaces it rather than emit a string no client could read.
fn sanitize(value: &str) -> std::borrow::Cow<'_, str> {
    if value.contains('|') {
        value.replace('|', "/").into()
    } else {
        value.into()
    }
}
