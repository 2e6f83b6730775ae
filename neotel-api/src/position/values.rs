//! The value types a `Position` carries: the CRM handshake state, the dial mode, the
//! call direction and the delivered contact.

use serde::{Deserialize, Serialize};

/// The name table of an enum of Neotel names with an `Other(String)` for the rest,
/// written once for both directions: `known` (case-insensitive) and `as_str`.
macro_rules! wire_names {
    ($ty:ident { $($variant:ident => $name:literal,)+ }) => {
        impl $ty {
            /// The known variant of that name, regardless of case.
            fn known(value: &str) -> Option<Self> {
                [$((Self::$variant, $name)),+]
                    .into_iter()
                    .find_map(|(v, name)| value.eq_ignore_ascii_case(name).then_some(v))
            }

            /// The wire value.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $name,)+
                    Self::Other(v) => v,
                }
            }
        }
    };
}

/// The dialer↔CRM handshake state (`ESTADO_CRM`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CrmState {
    /// `Available`: the CRM is free, the dialer may deliver the next contact.
    Available,
    /// `GetContact`: the dialer delivered a contact; the CRM must show it and call `CRM_ShowingContact`.
    GetContact,
    /// `ShowingContact`: the CRM acknowledged it shows the contact.
    ShowingContact,
    /// `Unavailable`: set by `CRM_Unavailable`.
    Unavailable,
    /// Any other value, kept as sent.
    Other(String),
}

wire_names!(CrmState {
    Available => "Available",
    GetContact => "GetContact",
    ShowingContact => "ShowingContact",
    Unavailable => "Unavailable",
});

impl CrmState {
    /// Reads an `ESTADO_CRM` value (known names match regardless of case).
    #[must_use]
    pub fn parse(value: &str) -> Self {
        Self::known(value.trim()).unwrap_or_else(|| Self::Other(value.to_owned()))
    }
}

/// The dial mode of the outbound campaign the user is in (`SAL_TIPO_DISCADOR`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DialerType {
    /// `NotSet`: no campaign.
    NotSet,
    /// `Manual`: the agent dials.
    Manual,
    /// `Predictive`: the customer is reached first, then the agent's phone rings.
    Predictive,
    /// `Preview`: the agent sees the contact before the call is placed.
    Preview,
    /// `Progressive`: like preview, dialed automatically once the agent is free.
    Progressive,
    /// Any other value, kept as sent.
    Other(String),
}

wire_names!(DialerType {
    NotSet => "NotSet",
    Manual => "Manual",
    Predictive => "Predictive",
    Preview => "Preview",
    Progressive => "Progressive",
});

impl DialerType {
    /// Reads a `SAL_TIPO_DISCADOR` value (known names match regardless of case; empty is `NotSet`).
    #[must_use]
    pub fn parse(value: &str) -> Self {
        let v = value.trim();
        if v.is_empty() {
            return Self::NotSet;
        }
        Self::known(v).unwrap_or_else(|| Self::Other(value.to_owned()))
    }
}

/// Direction of the current call (`DIRECCION`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Direction {
    /// `ENTRANTE`.
    Inbound,
    /// `SALIENTE`.
    Outbound,
    /// Any other non-empty value, kept as sent.
    Other(String),
}

/// The contact the dialer named in a `Position` (`CRM`, `BASE`, `IDCONTACTO`, `DATA`):
/// what `CRM_ShowingContact` and `UpdateContact` send back.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ContactRef {
    /// `CRM`: the CRM id (`-1` is seen in the field; meaning unknown).
    pub crm: i64,
    /// `BASE`: the contact base.
    pub base: i64,
    /// `IDCONTACTO`: the contact within the base.
    pub id: i64,
    /// `DATA`: the integrator's key (`Clave_1`, e.g. a Salesforce Id).
    pub data: String,
}
