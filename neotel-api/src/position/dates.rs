//! Neotel dates: which timestamps a `Position` carries, and reading and writing them in
//! either server culture.

use std::ops::Range;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use serde::{Deserialize, Serialize};

use super::keys::Key;

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
        self.slot().name()
    }

    /// The key in the current layout, as a slot.
    pub(super) const fn slot(self) -> Key {
        match self {
            Self::Login => Key::Login,
            Self::CampaignLogin => Key::CampaignLogin,
            Self::Ringing => Key::Ringing,
            Self::Dialing => Key::Dialing,
            Self::Agent => Key::Agent,
            Self::CallState => Key::CallState,
            Self::BreakStart => Key::BreakStart,
            Self::BreakTime => Key::BreakTime,
            Self::CrmState => Key::CrmStart,
        }
    }

    /// The key the older 44-key layout uses instead, if any.
    pub(super) const fn older_slot(self) -> Option<Key> {
        match self {
            Self::Login => Some(Key::LoginOlder),
            _ => None,
        }
    }
}

/// Parses a Neotel date in either server culture: `dd/MM/yyyy hh:mm:ss a.m.|p.m.`
/// (es-AR; `AM`/`PM` and spaced `a. m.` too) or `dd/MM/yyyy HH:mm:ss`.
/// Empty text and the sentinels `01/01/2000 …` / `01/01/0001 …` give `Ok(None)`.
#[allow(clippy::result_unit_err)] // the caller names the key; there is nothing else to say
#[inline(always)] // most dates of a `Position` are sentinels: a comparison, and no call
pub fn parse_date(text: &str) -> Result<Option<NaiveDateTime>, ()> {
    if ["01/01/2000 ", "01/01/0001 "]
        .iter()
        .any(|s| text.starts_with(s))
    {
        return Ok(None);
    }
    if let Some((date, time, marker)) = usual(text) {
        return instant(date, || Ok(time), marker);
    }
    let Some((date, time, marker)) = parts(text)? else {
        return Ok(None);
    };
    instant(three(date, '/')?, || three(time, ':'), marker)
}

/// The usual shape, `dd/MM/yyyy hh:mm:ss` alone or with a blank and a marker that ends in a
/// visible character, read by position; `None` for any other (read by `parts` and `three`).
fn usual(text: &str) -> Option<([u32; 3], [u32; 3], &str)> {
    let b = text.as_bytes();
    let marker = match b.get(19) {
        None => "",
        Some(b' ') if b.last().is_some_and(u8::is_ascii_graphic) => text.get(20..)?,
        Some(_) => return None,
    };
    let head: &[u8; 19] = b.get(..19)?.try_into().ok()?;
    if [head[2], head[5], head[10], head[13], head[16]] != *b"// ::" {
        return None;
    }
    let number = |digits: Range<usize>| {
        head[digits].iter().try_fold(0, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let date = [number(0..2)?, number(3..5)?, number(6..10)?];
    let time = [number(11..13)?, number(14..16)?, number(17..19)?];
    Some((date, time, marker))
}

/// The instant of a date's day, month and year, its time's hours, minutes and seconds and its
/// 12-hour marker; `None` for the sentinel days (whose time is not read).
fn instant(
    [d, m, y]: [u32; 3],
    time: impl FnOnce() -> Result<[u32; 3], ()>,
    marker: &str,
) -> Result<Option<NaiveDateTime>, ()> {
    let y = i32::try_from(y).map_err(|_| ())?;
    if (d, m) == (1, 1) && (y == 2000 || y == 1) {
        return Ok(None);
    }
    let date = NaiveDate::from_ymd_opt(y, m, d).ok_or(())?;
    let [h, min, s] = time()?;
    let h = match meridiem(marker) {
        Some(Meridiem::None) if h < 24 => h,
        Some(Meridiem::Am) if (1..=12).contains(&h) => h % 12,
        Some(Meridiem::Pm) if (1..=12).contains(&h) => h % 12 + 12,
        _ => return Err(()),
    };
    let time = NaiveTime::from_hms_opt(h, min, s).ok_or(())?;
    Ok(Some(date.and_time(time)))
}

/// A date's text cut into date, time and marker (`None` when empty), on its first blank and
/// the next, blanks around it ignored.
pub(super) fn parts(text: &str) -> Result<Option<(&str, &str, &str)>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let (date, rest) = text.split_once(char::is_whitespace).ok_or(())?;
    let rest = rest.trim_start();
    let (time, marker) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    Ok(Some((date, time, marker)))
}

/// The three numbers of `d/M/y` or `H:m:s` (`sep` between them), by `str::parse`, which also
/// takes one digit, a `+` or leading zeros.
fn three(text: &str, sep: char) -> Result<[u32; 3], ()> {
    let mut parts = text.split(sep).map(|p| p.parse::<u32>().map_err(|_| ()));
    let (Some(x), Some(y), Some(z), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(());
    };
    Ok([x?, y?, z?])
}

/// The 12-hour marker after the time.
enum Meridiem {
    None,
    Am,
    Pm,
}

/// Reads the marker by its letters only, in any case (`a.m.`, `a. m.`, `AM`, `p.m.`…);
/// `None` for anything else. A letter outside ASCII cannot be one of `a`, `m`, `p` in any
/// case, so it makes the marker unknown.
fn meridiem(marker: &str) -> Option<Meridiem> {
    match marker {
        // the usual spellings, at once
        "" => return Some(Meridiem::None),
        "a.m." => return Some(Meridiem::Am),
        "p.m." => return Some(Meridiem::Pm),
        _ => {}
    }
    let mut letters = [0u8; 2];
    let mut n = 0;
    for c in marker.chars().filter(|c| c.is_alphabetic()) {
        if !c.is_ascii() || n == letters.len() {
            return None;
        }
        letters[n] = c.to_ascii_lowercase() as u8;
        n += 1;
    }
    match &letters[..n] {
        b"" => Some(Meridiem::None),
        b"am" => Some(Meridiem::Am),
        b"pm" => Some(Meridiem::Pm),
        _ => None,
    }
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
