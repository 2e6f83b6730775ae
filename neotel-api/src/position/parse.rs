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
    /// `=`, looked for from the item's start (a key is a word or two); a known key's first item
    /// fills its slot. `|` and `=` are ASCII, so never part of another character. (The items
    /// are short: `str::find` or `memchr` cost more to set up than these words to read.)
    #[inline(never)] // apart from `Typed::read`: together they run out of registers
    fn split(text: &str) -> Result<Self, PositionError> {
        let mut fields = Self {
            text: text.to_owned(),
            spans: Vec::with_capacity(52),
            slots: [ABSENT; Key::COUNT],
        };
        let bytes = text.as_bytes();
        let mut start = 0;
        let mut words = bytes.chunks_exact(8);
        let mut base = 0;
        for word in words.by_ref() {
            let mut pipes = marks(
                u64::from_le_bytes(word.try_into().unwrap_or_default()),
                b'|',
            );
            while pipes != 0 {
                let end = base + offset(pipes);
                fields.push(start, end)?;
                start = end + 1;
                pipes &= pipes - 1;
            }
            base += 8;
        }
        for (i, &b) in words.remainder().iter().enumerate() {
            if b == b'|' {
                fields.push(start, base + i)?;
                start = base + i + 1;
            }
        }
        fields.push(start, text.len())?;
        Ok(fields)
    }

    /// Adds the item `text[start..end]` (nothing when it is empty).
    #[inline(always)] // once per item: a call would cost more than the item
    fn push(&mut self, start: usize, end: usize) -> Result<(), PositionError> {
        if start == end {
            return Ok(());
        }
        let Some(eq) = find(self.text.as_bytes(), b'=', start..end) else {
            return Err(not_key_value(&self.text[start..end]));
        };
        let key = trimmed(&self.text, start..eq);
        if let Some(k) = Key::of(&self.text[key.clone()]) {
            let slot = &mut self.slots[k as usize];
            if *slot == ABSENT {
                *slot = self.spans.len().min(FAR.into()) as u8; // at most `FAR`: fits
            }
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
    #[inline]
    fn value(&self, key: Key) -> Option<&str> {
        self.first(key)
            .or_else(|| key.folded().and_then(|k| self.first(k)))
    }

    /// A known key's first item's value, from its slot.
    #[inline]
    fn first(&self, key: Key) -> Option<&str> {
        let i = match self.slots[key as usize] {
            ABSENT => return None,
            FAR => self.far(key)?,
            i => i.into(),
        };
        Some(&self.text[self.spans[i].value.clone()])
    }

    /// The index of a known key's first item, `FAR` or further: by a search from there.
    #[cold]
    fn far(&self, key: Key) -> Option<usize> {
        let mut far = self.spans[FAR.into()..].iter();
        Some(usize::from(FAR) + far.position(|s| self.text[s.key.clone()] == *key.name())?)
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

/// A slot holds the index of its key's first item, in a byte to keep a `Position` small, or
/// `ABSENT`. A first item at `FAR` or further (only in a string of more than 254 items) is
/// stored as `FAR` and found by a search of the items from there.
const ABSENT: u8 = u8::MAX;
const FAR: u8 = u8::MAX - 1;

/// Where `byte` first is in `bytes[range]`, eight bytes at a time.
#[inline(always)]
fn find(bytes: &[u8], byte: u8, range: Range<usize>) -> Option<usize> {
    let mut at = range.start;
    while at < range.end {
        let word = match bytes.get(at..at + 8) {
            Some(word) => word.try_into().unwrap_or_default(),
            None => {
                let mut last = [0; 8]; // zeros are neither `|` nor `=`
                last[..bytes.len() - at].copy_from_slice(&bytes[at..]);
                last
            }
        };
        let found = marks(u64::from_le_bytes(word), byte);
        if found != 0 {
            return Some(at + offset(found)).filter(|&i| i < range.end);
        }
        at += 8;
    }
    None
}

/// The error for an item with no `=` (out of the loop, which stays small).
#[cold]
fn not_key_value(item: &str) -> PositionError {
    PositionError::NotKeyValue {
        item: excerpt(item),
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
        let int = |key: Key| fields.value(key).map_or(Ok(None), |v| number(key, v));
        let zero = |key: Key| Ok(int(key)?.unwrap_or(0));
        let present = |key: Key| {
            fields
                .value(key)
                .ok_or(PositionError::MissingKey { key: key.name() })
        };
        let required = |key: Key| Ok(number(key, present(key)?)?.unwrap_or(0));
        let crm_state = present(Key::CrmState)?;
        let mut dates = [None; PositionDate::ALL.len()];
        for which in PositionDate::ALL {
            let at = &mut dates[which as usize];
            date(fields, which.slot(), at)?;
            if let (None, Some(older)) = (*at, which.older_slot()) {
                date(fields, older, at)?;
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

/// A numeric key's value: `None` when empty. Plain digits (nearly always) are read directly.
#[inline(always)]
fn number(key: Key, value: &str) -> Result<Option<i64>, PositionError> {
    if (1..=18).contains(&value.len()) {
        let n = value.bytes().try_fold(0, |n: i64, b| {
            b.is_ascii_digit().then(|| n * 10 + i64::from(b - b'0'))
        });
        if n.is_some() {
            return Ok(n);
        }
    }
    match value.trim() {
        "" => Ok(None),
        v => v.parse().map(Some).map_err(|_| PositionError::NotANumber {
            key: key.name(),
            value: excerpt(v),
        }),
    }
}

/// A date key, into `at` unless absent, empty or a sentinel. (Written in place: returned, an
/// `Option` took a stall of the store on every sentinel, most of a `Position`'s dates.)
#[inline(always)]
fn date(fields: &Fields, key: Key, at: &mut Option<NaiveDateTime>) -> Result<(), PositionError> {
    if let Some(v) = fields.value(key) {
        match parse_date(v) {
            Ok(None) => {}
            Ok(some) => *at = some,
            Err(()) => {
                return Err(PositionError::NotADate {
                    key: key.name(),
                    value: excerpt(v),
                });
            }
        }
    }
    Ok(())
}
