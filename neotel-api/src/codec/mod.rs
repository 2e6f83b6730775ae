//! Pure wire codecs: a [`Request`] to an HTTP request in each binding, and an HTTP
//! status and body back to a [`Reply`] or an [`Error`]. No I/O; no body, however
//! malformed, panics.
//!
//! [`Binding::encode`] and [`Binding::decode`] pick the codec; each binding's own lives in
//! one file (`form`, `soap`, `plain`), with faults, the XML tree and task tables beside them.
//!
//! [`Request`]: crate::Request
//! [`Reply`]: crate::Reply
//! [`Error`]: crate::Error

mod binding;
mod fault;
mod form;
mod plain;
mod soap;
mod table;
mod xml;

#[cfg(test)]
mod tests;

pub use binding::{Binding, EncodedRequest, HttpMethod, UnknownBinding};
pub use fault::{fault_message, text_fault};
pub use form::encode_form;
pub use plain::decode_plain;
pub use soap::{decode_soap, encode_soap, soap_action};
pub use table::{decode_rows, decode_table};

/// The ASMX service namespace.
pub const NAMESPACE: &str = "http://tempuri.org/";

/// The path most installs serve NeoApi at.
pub const DEFAULT_PATH: &str = "/neoapi/webservice.asmx";
