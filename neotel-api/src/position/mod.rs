//! The `Position` string: the user's state snapshot, and the agent state derived from it.
//!
//! Wire form: `KEY=VALUE|KEY=VALUE|…|` with a trailing `|`, no escaping, each item split
//! on its **first** `=` (the IVR data in `CLAVE` holds `=`), keys possibly with `Ñ`,
//! values possibly empty. Two layouts exist (52 keys, current; 44 keys, older), so
//! everything is read by key and unknown keys are kept in order.
//!
//! [`Position::parse`] checks every value it knows the type of (numbers and dates), so
//! the typed accessors cannot fail afterwards. Parsing is in `parse` (one pass over the
//! text, the known keys' slots from the table in `keys`), the accessors in `getters`, the
//! value types in `values`, dates in `dates` and the agent-state rule in `state`; the types
//! they share are here.

use chrono::NaiveDateTime;

mod dates;
mod getters;
mod keys;
mod parse;
mod state;
mod values;

#[cfg(test)]
mod equivalence;
#[cfg(test)]
mod reference;
#[cfg(test)]
mod tests;

pub use dates::{DateCulture, PositionDate, format_date, parse_date};
pub use state::AgentState;
pub use values::{ContactRef, CrmState, DialerType, Direction};

/// Why a `Position` string was refused. Each variant names the key (and value) at fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PositionError {
    /// An item between two `|` has no `=`.
    #[error("Position item {item:?} is not KEY=VALUE")]
    NotKeyValue {
        /// The item (cut to 80 characters).
        item: String,
    },
    /// A key the agent state rule needs is absent.
    #[error("Position has no {key} key")]
    MissingKey {
        /// The missing key.
        key: &'static str,
    },
    /// A numeric key holds something else.
    #[error("Position key {key} is {value:?}, not a whole number")]
    NotANumber {
        /// The key.
        key: &'static str,
        /// Its value (cut to 80 characters).
        value: String,
    },
    /// A date key holds something that is neither `dd/MM/yyyy hh:mm:ss a.m.|p.m.` nor `dd/MM/yyyy HH:mm:ss`.
    #[error("Position key {key} is {value:?}, not a dd/MM/yyyy hh:mm:ss date")]
    NotADate {
        /// The key.
        key: &'static str,
        /// Its value (cut to 80 characters).
        value: String,
    },
}

/// The typed values, checked once at parse time.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Typed {
    outbound_campaign: i64,
    break_subtype: i64,
    crm_state: CrmState,
    call_id: i64,
    call_id_last: i64,
    campaign: i64,
    campaign_last: i64,
    queue: i64,
    queue_last: i64,
    crm: i64,
    base: i64,
    contact_id: i64,
    conference: Option<i64>,
    schedule_id: Option<i64>,
    outbound_crm: i64,
    outbound_base: i64,
    port: Option<i64>,
    dialer_type: DialerType,
    dates: [Option<NaiveDateTime>; PositionDate::ALL.len()],
}

/// A parsed `Position` reply.
///
/// Built only by [`Position::parse`] (or `str::parse`), which checks the numbers and
/// dates it knows, so the accessors below never fail. String accessors return `""`
/// for an absent key; use [`Position::get`] to tell absent from empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    fields: Fields,
    typed: Typed,
}

/// The items of a `Position`, as spans of one string (one allocation, not two per key),
/// and for each known key the index of its first item (see `parse::ABSENT` and `parse::FAR`).
#[derive(Clone, PartialEq, Eq)]
struct Fields {
    text: String,
    spans: Vec<Span>,
    slots: [u8; keys::Key::COUNT],
}

/// Where one item's key (trimmed) and value sit in the text.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Span {
    key: std::ops::Range<usize>,
    value: std::ops::Range<usize>,
}
