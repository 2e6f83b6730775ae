//! The parser as it was before the one-pass rewrite, kept (tests only) as the reference the
//! new one is compared with: a list of items, each key looked up by a linear search, and
//! the date marker gathered into a `String`.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::dates::parts;
use super::{CrmState, DialerType, PositionDate, PositionError, Typed};
use crate::error::excerpt;

/// The items in the order sent, and the typed values.
pub(super) type Parsed = (Vec<(String, String)>, Typed);

/// The old `Position::parse`.
pub(super) fn parse(text: &str) -> Result<Parsed, PositionError> {
    let text = text.trim();
    let mut fields = Vec::new();
    for item in text.split('|') {
        if !item.is_empty() {
            let Some(eq) = item.find('=') else {
                return Err(PositionError::NotKeyValue {
                    item: excerpt(item),
                });
            };
            fields.push((item[..eq].trim().to_owned(), item[eq + 1..].to_owned()));
        }
    }
    let typed = read(&fields)?;
    Ok((fields, typed))
}

fn read(fields: &[(String, String)]) -> Result<Typed, PositionError> {
    let required = |key: &'static str| -> Result<i64, PositionError> {
        lookup(fields, key).ok_or(PositionError::MissingKey { key })?;
        Ok(int(fields, key)?.unwrap_or(0))
    };
    let zero =
        |key: &'static str| -> Result<i64, PositionError> { Ok(int(fields, key)?.unwrap_or(0)) };
    let crm_state =
        lookup(fields, "ESTADO_CRM").ok_or(PositionError::MissingKey { key: "ESTADO_CRM" })?;
    let mut dates = [None; PositionDate::ALL.len()];
    for which in PositionDate::ALL {
        dates[which as usize] = date(fields, which.key())?;
        if let (None, Some(older)) = (dates[which as usize], older_key(which)) {
            dates[which as usize] = date(fields, older)?;
        }
    }
    Ok(Typed {
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

const fn older_key(which: PositionDate) -> Option<&'static str> {
    match which {
        PositionDate::Login => Some("TIEMPO_LOGIN"),
        _ => None,
    }
}

/// The old `Position::get`.
pub(super) fn lookup<'a>(fields: &'a [(String, String)], key: &str) -> Option<&'a str> {
    let find = |k: &str| {
        fields
            .iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.as_str())
    };
    find(key).or_else(|| {
        key.contains('Ñ')
            .then(|| find(&key.replace('Ñ', "N")))
            .flatten()
    })
}

fn int(fields: &[(String, String)], key: &'static str) -> Result<Option<i64>, PositionError> {
    match lookup(fields, key).map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| PositionError::NotANumber {
            key,
            value: excerpt(v),
        }),
    }
}

fn date(
    fields: &[(String, String)],
    key: &'static str,
) -> Result<Option<NaiveDateTime>, PositionError> {
    match lookup(fields, key) {
        None => Ok(None),
        Some(v) => parse_date(v).map_err(|()| PositionError::NotADate {
            key,
            value: excerpt(v),
        }),
    }
}

/// The old `parse_date` (cutting the text as the new one does where it is not in the usual shape).
pub(super) fn parse_date(text: &str) -> Result<Option<NaiveDateTime>, ()> {
    let Some((date, time, marker)) = parts(text)? else {
        return Ok(None);
    };

    let mut dmy = date.split('/').map(|p| p.parse::<u32>().map_err(|_| ()));
    let (Some(d), Some(m), Some(y), None) = (dmy.next(), dmy.next(), dmy.next(), dmy.next()) else {
        return Err(());
    };
    let (d, m, y) = (d?, m?, i32::try_from(y?).map_err(|_| ())?);
    if (d, m) == (1, 1) && (y == 2000 || y == 1) {
        return Ok(None);
    }
    let date = NaiveDate::from_ymd_opt(y, m, d).ok_or(())?;

    let mut hms = time.split(':').map(|p| p.parse::<u32>().map_err(|_| ()));
    let (Some(h), Some(min), Some(s), None) = (hms.next(), hms.next(), hms.next(), hms.next())
    else {
        return Err(());
    };
    let (h, min, s) = (h?, min?, s?);
    let marker: String = marker
        .chars()
        .filter(|c| c.is_alphabetic())
        .flat_map(char::to_lowercase)
        .collect();
    let h = match marker.as_str() {
        "" if h < 24 => h,
        "am" if (1..=12).contains(&h) => h % 12,
        "pm" if (1..=12).contains(&h) => h % 12 + 12,
        _ => return Err(()),
    };
    let time = NaiveTime::from_hms_opt(h, min, s).ok_or(())?;
    Ok(Some(date.and_time(time)))
}
