//! Reading the wire form in one pass, into spans of one string, a slot per known key and
//! typed values checked up front; and writing it back (`Display`, `Serialize`).

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use chrono::NaiveDateTime;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::keys::Key;
use super::{
    CrmState, DialerType, Fields, Position, PositionDate, PositionError, Span, Typed, parse_date,
};
use crate::error::excerpt;

impl Fields {
    /// Splits the text in one pass, eight bytes at a time: each item ends at the next `|` (an
    /// empty item, such as the one after the trailing `|`, is skipped) and splits on its first
    /// `=`; a known key's first item fills its slot. `|` and `=` are ASCII, so never part of
    /// another character. (The items are short: a search that restarts at each one, such as
    /// `str::find`, costs more than this whole scan.)
    fn split(text: &str) -> Result<Self, PositionError> {
        let mut fields = Self {
            text: text.to_owned(),
            spans: Vec::with_capacity(52),
            slots: [None; Key::COUNT],
        };
        let mut item = Item::default();
        let mut words = text.as_bytes().chunks_exact(8);
        let mut base = 0;
        for word in words.by_ref() {
            item.scan(
                &mut fields,
                u64::from_le_bytes(word.try_into().unwrap_or_default()),
                base,
            )?;
            base += 8;
        }
        let mut last = [0; 8]; // zeros are neither `|` nor `=`
        last[..words.remainder().len()].copy_from_slice(words.remainder());
        item.scan(&mut fields, u64::from_le_bytes(last), base)?;
        fields.push(item.start, item.eq, text.len())?;
        Ok(fields)
    }

    /// Adds the item `text[start..end]` whose first `=` is at `eq`.
    fn push(&mut self, start: usize, eq: Option<usize>, end: usize) -> Result<(), PositionError> {
        if start == end {
            return Ok(());
        }
        let Some(eq) = eq else {
            return Err(PositionError::NotKeyValue {
                item: excerpt(&self.text[start..end]),
            });
        };
        let key = trimmed(&self.text, start..eq);
        if let Some(k) = Key::of(&self.text[key.clone()]) {
            self.slots[k as usize].get_or_insert(self.spans.len());
        }
        self.spans.push(Span {
            key,
            value: eq + 1..end,
        });
        Ok(())
    }

    fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.spans.iter().map(|s| self.item(s))
    }

    fn item(&self, s: &Span) -> (&str, &str) {
        (&self.text[s.key.clone()], &self.text[s.value.clone()])
    }

    fn len(&self) -> usize {
        self.spans.len()
    }

    /// A known key's value: its first item, else its `N` spelling's.
    fn value(&self, key: Key) -> Option<&str> {
        let slot = |k: Key| self.slots[k as usize].map(|i| &self.text[self.spans[i].value.clone()]);
        slot(key).or_else(|| key.folded().and_then(slot))
    }

    /// Any key's value, by name: a known key from its slot, another by a search of the items
    /// (with `Ñ` read as `N` when the `Ñ` spelling is absent).
    fn lookup(&self, key: &str) -> Option<&str> {
        if let Some(known) = Key::of(key) {
            return self.value(known);
        }
        let find = |same: &dyn Fn(&str) -> bool| self.iter().find(|(k, _)| same(k)).map(|kv| kv.1);
        find(&|k| k == key).or_else(|| {
            let folded = || key.chars().map(|c| if c == 'Ñ' { 'N' } else { c });
            key.contains('Ñ')
                .then(|| find(&|k| k.chars().eq(folded())))
                .flatten()
        })
    }
}

/// The item being split: where it starts and its first `=`, once seen.
#[derive(Default)]
struct Item {
    start: usize,
    eq: Option<usize>,
}

impl Item {
    /// Reads the eight bytes starting at `base`, ending the items whose `|` is among them.
    #[inline(always)] // once per word: a call would cost more than the scan
    fn scan(&mut self, fields: &mut Fields, word: u64, base: usize) -> Result<(), PositionError> {
        let (mut pipes, mut equals) = (marks(word, b'|'), marks(word, b'='));
        loop {
            let pipe = pipes & pipes.wrapping_neg(); // the first `|` left, or 0
            let before = pipe.wrapping_sub(1); // the bits under it (all of them when none)
            if self.eq.is_none() && equals & before != 0 {
                self.eq = Some(base + offset(equals & before));
            }
            if pipe == 0 {
                return Ok(());
            }
            let end = base + offset(pipe);
            fields.push(self.start, self.eq, end)?;
            (self.start, self.eq) = (end + 1, None);
            equals &= !(pipe | before);
            pipes ^= pipe;
        }
    }
}

/// Bit 7 of each byte of `word` that is `byte`, exactly (no carry crosses a byte).
fn marks(word: u64, byte: u8) -> u64 {
    const LOW7: u64 = u64::from_ne_bytes([0x7f; 8]);
    let x = word ^ u64::from_ne_bytes([byte; 8]);
    !(((x & LOW7) + LOW7) | x) & !LOW7
}

/// The byte offset in a word of its lowest marked byte.
fn offset(marks: u64) -> usize {
    marks.trailing_zeros() as usize / 8
}

/// `text[range]` without the whitespace around it, as a range; a key's ends are nearly
/// always visible ASCII, so the Unicode trim runs only when they are not.
#[inline]
fn trimmed(text: &str, range: Range<usize>) -> Range<usize> {
    let bytes = &text.as_bytes()[range.clone()];
    let plain = |b: Option<&u8>| b.is_some_and(u8::is_ascii_graphic);
    if plain(bytes.first()) && plain(bytes.last()) {
        return range;
    }
    let key = &text[range.clone()];
    let start = range.start + (key.len() - key.trim_start().len());
    start..start + key.trim().len()
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
        let fields = Fields::split(text.trim())?;
        let typed = Typed::read(&fields)?;
        Ok(Self { fields, typed })
    }

    /// The raw value of a key, `None` when absent. A key with `Ñ` also matches its
    /// `N` spelling (some installs and proxies fold it).
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.lookup(key)
    }

    /// A known key's raw value (the accessors' way to [`Position::get`]).
    pub(super) fn value(&self, key: Key) -> Option<&str> {
        self.fields.value(key)
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
    /// The typed values from the slots; the first malformed value (in this order) is the error.
    fn read(fields: &Fields) -> Result<Self, PositionError> {
        let int = |key: Key| int(fields, key);
        let required = |key: Key| -> Result<i64, PositionError> {
            fields
                .value(key)
                .ok_or(PositionError::MissingKey { key: key.name() })?;
            Ok(int(key)?.unwrap_or(0))
        };
        let zero = |key: Key| -> Result<i64, PositionError> { Ok(int(key)?.unwrap_or(0)) };
        let crm_state = fields
            .value(Key::CrmState)
            .ok_or(PositionError::MissingKey {
                key: Key::CrmState.name(),
            })?;
        let mut dates = [None; PositionDate::ALL.len()];
        for which in PositionDate::ALL {
            dates[which as usize] = date(fields, which.slot())?;
            if let (None, Some(older)) = (dates[which as usize], which.older_slot()) {
                dates[which as usize] = date(fields, older)?;
            }
        }
        Ok(Self {
            outbound_campaign: required(Key::OutboundCampaign)?,
            break_subtype: required(Key::BreakSubtype)?,
            crm_state: CrmState::parse(crm_state),
            call_id: required(Key::CallId)?,
            call_id_last: zero(Key::CallIdLast)?,
            campaign: zero(Key::Campaign)?,
            campaign_last: zero(Key::CampaignLast)?,
            queue: zero(Key::Queue)?,
            queue_last: zero(Key::QueueLast)?,
            crm: zero(Key::Crm)?,
            base: zero(Key::Base)?,
            contact_id: zero(Key::ContactId)?,
            conference: int(Key::Conference)?,
            schedule_id: int(Key::ScheduleId)?,
            outbound_crm: zero(Key::OutboundCrm)?,
            outbound_base: zero(Key::OutboundBase)?,
            port: int(Key::Port)?,
            dialer_type: DialerType::parse(fields.value(Key::DialerType).unwrap_or("")),
            dates,
        })
    }
}

/// A numeric key: `None` when absent or empty. Plain digits (nearly always) are read directly.
fn int(fields: &Fields, key: Key) -> Result<Option<i64>, PositionError> {
    let value = fields.value(key);
    if let Some(v) = value.filter(|v| (1..=18).contains(&v.len())) {
        let n = v.bytes().try_fold(0, |n: i64, b| {
            b.is_ascii_digit().then(|| n * 10 + i64::from(b - b'0'))
        });
        if n.is_some() {
            return Ok(n);
        }
    }
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| PositionError::NotANumber {
            key: key.name(),
            value: excerpt(v),
        }),
    }
}

/// A date key: `None` when absent, empty or a sentinel.
fn date(fields: &Fields, key: Key) -> Result<Option<NaiveDateTime>, PositionError> {
    match fields.value(key) {
        None => Ok(None),
        Some(v) => parse_date(v).map_err(|()| PositionError::NotADate {
            key: key.name(),
            value: excerpt(v),
        }),
    }
}
