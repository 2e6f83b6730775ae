//! Neotel dates: which timestamps a `Position` carries, and reading and writing them in
//! either server culture.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use serde::{Deserialize, Serialize};

/// The timestamps a `Position` carries, by meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PositionDate {
    /// `INICIO_LOGIN` (older layout: `TIEMPO_LOGIN`): when the user logged in.
    Login,
    /// `INICIO_LOGIN_CAMPAÑA`: when the user joined the outbound campaign.
    CampaignLogin,
    /// `RINGING`: when the agent's phone started ringing.
    Ringing,
    /// `DIALING`: when dialing started.
    Dialing,
    /// `AGENT`: when the call was bridged to the agent.
    Agent,
    /// `TIEMPO_LLAMADA`: start of the current (or last) call state.
    CallState,
    /// `INICIO_DESCANSO`: when the break started.
    BreakStart,
    /// `TIEMPO_DESCANSO`: break time.
    BreakTime,
    /// `INICIO_CRM`: when `ESTADO_CRM` took its value.
    CrmState,
}

impl PositionDate {
    /// Every timestamp, in the order `Typed::dates` stores them.
    pub(super) const ALL: [Self; 9] = [
        Self::Login,
        Self::CampaignLogin,
        Self::Ringing,
        Self::Dialing,
        Self::Agent,
        Self::CallState,
        Self::BreakStart,
        Self::BreakTime,
        Self::CrmState,
    ];

    /// The key in the current layout.
    #[must_use]
    pub const fn key(self) -> &'static str {
        match self {
            Self::Login => "INICIO_LOGIN",
            Self::CampaignLogin => "INICIO_LOGIN_CAMPAÑA",
            Self::Ringing => "RINGING",
            Self::Dialing => "DIALING",
            Self::Agent => "AGENT",
            Self::CallState => "TIEMPO_LLAMADA",
            Self::BreakStart => "INICIO_DESCANSO",
            Self::BreakTime => "TIEMPO_DESCANSO",
            Self::CrmState => "INICIO_CRM",
        }
    }

    /// The key the older 44-key layout uses instead, if any.
    pub(super) const fn older_key(self) -> Option<&'static str> {
        match self {
            Self::Login => Some("TIEMPO_LOGIN"),
            _ => None,
        }
    }
}

/// Parses a Neotel date in either server culture: `dd/MM/yyyy hh:mm:ss a.m.|p.m.`
/// (es-AR; `AM`/`PM` and spaced `a. m.` too) or `dd/MM/yyyy HH:mm:ss`.
/// Empty text and the sentinels `01/01/2000 …` / `01/01/0001 …` give `Ok(None)`.
#[allow(clippy::result_unit_err)] // the caller names the key; there is nothing else to say
pub fn parse_date(text: &str) -> Result<Option<NaiveDateTime>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let (date, rest) = text.split_once(char::is_whitespace).ok_or(())?;
    let rest = rest.trim_start();
    let (time, marker) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));

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

/// How a Neotel server writes its dates (its .NET culture).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DateCulture {
    /// `28/05/2019 02:30:34 p.m.` (es-AR and similar).
    Spanish12h,
    /// `12/08/2021 13:59:09`.
    TwentyFourHour,
}

/// Writes a date as a Neotel server of that culture would; `None` writes the
/// `01/01/2000 12:00:00 a.m.` sentinel (in that culture).
#[must_use]
pub fn format_date(at: Option<NaiveDateTime>, culture: DateCulture) -> String {
    let at = at.unwrap_or_else(|| {
        NaiveDate::from_ymd_opt(2000, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .expect("2000-01-01 00:00:00 is a valid date")
    });
    match culture {
        DateCulture::TwentyFourHour => at.format("%d/%m/%Y %H:%M:%S").to_string(),
        DateCulture::Spanish12h => {
            let marker = if at.hour() < 12 { "a.m." } else { "p.m." };
            format!("{} {marker}", at.format("%d/%m/%Y %I:%M:%S"))
        }
    }
}
