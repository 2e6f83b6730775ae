//! The agent's password (`CLAVE`), kept out of every log and error text.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What every redacted secret prints as.
pub(crate) const REDACTED: &str = "***";

/// The password an agent logs in with (`CLAVE` of `Login`).
///
/// `Debug`, `Display` and `Serialize` all print `***`; only [`Password::expose`]
/// gives the text, so a password can travel inside logged or journaled values
/// without leaking. Deserializing reads the real text (a config file or a login
/// form), so a serialized `Password` does not round-trip, by design.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wraps the password text.
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The password text itself; only the wire encoders call this.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl From<String> for Password {
    fn from(text: String) -> Self {
        Self(text)
    }
}

impl From<&str> for Password {
    fn from(text: &str) -> Self {
        Self(text.to_owned())
    }
}

impl Serialize for Password {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
    }
}

impl<'de> Deserialize<'de> for Password {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_text() {
        let p = Password::new("s3cr=t");
        assert_eq!(format!("{p}"), "***");
        assert_eq!(format!("{p:?}"), "***");
        assert_eq!(
            serde_json::to_string(&p).expect("a string serializes"),
            "\"***\""
        );
        assert_eq!(p.expose(), "s3cr=t");
    }

    #[test]
    fn deserializes_the_real_text() {
        let p: Password = serde_json::from_str("\"abc\"").expect("a JSON string");
        assert_eq!(p.expose(), "abc");
    }
}
