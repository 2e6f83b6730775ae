#![doc = include_str!("../README.md")]
//!
//! # The pure layer
//!
//! ```
//! use neotel_api::{AgentState, Binding, Position, Reply, Request};
//!
//! let position: Position = "DEVICE=SIP/6000|USUARIO=1001|SAL_CAMPAÑA_DEFAULT=97|\
//!     SUBTIPO_DESCANSO=0|ESTADO_CRM=GetContact|IDLLAMADA=0|BASE=134|IDCONTACTO=5|DATA=003A|"
//!     .parse()?;
//! assert_eq!(position.agent_state(), AgentState::ContactDelivered);
//! let contact = position.contact().expect("IDCONTACTO is not 0");
//!
//! // acknowledge it, in the SOAP binding
//! let request = Request::CrmShowingContact {
//!     user: position.user().to_owned(),
//!     base: contact.base,
//!     contact_id: contact.id,
//!     data: contact.data,
//! };
//! let http = Binding::Soap.encode(&request);
//! assert_eq!(http.soap_action.as_deref(), Some("\"http://tempuri.org/CRM_ShowingContact\""));
//! let reply = Binding::Soap.decode(&request, 200, b"<soap:Envelope \
//!     xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>\
//!     <CRM_ShowingContactResponse xmlns=\"http://tempuri.org/\" /></soap:Body></soap:Envelope>")?;
//! assert_eq!(reply, Reply::Void);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Errors keep apart the platform saying no ([`Error::Platform`] with a classified
//! [`Fault`]), the network or HTTP failing ([`Error::Transport`]), a body that makes no
//! sense ([`Error::Decode`]) and [`Error::Timeout`]. The password (`CLAVE`) never
//! reaches a log line, a `Debug` print, a serialized request or an error text.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub)]

pub mod codec;
mod error;
mod password;
mod position;
mod request;

#[cfg(feature = "http")]
mod client;
#[cfg(feature = "http")]
mod transport;

pub use codec::{Binding, EncodedRequest, HttpMethod, UnknownBinding, decode_rows, decode_table};
pub use error::{DecodeError, Error, Fault, FaultKind, Retry, TransportError, error_chain};
pub use password::Password;
pub use position::{
    AgentState, ContactRef, CrmState, DateCulture, DialerType, Direction, Position, PositionDate,
    PositionError, format_date, parse_date,
};
pub use request::{
    MAX_TASK_PARAMS, NO_SCHEDULE_DATE, Param, Reply, Request, RequestError, ReturnKind, Schedule,
    Task,
};

#[cfg(feature = "http")]
pub use client::Client;
#[cfg(feature = "http")]
pub use transport::{
    DEFAULT_MAX_RESPONSE_SIZE, DEFAULT_TIMEOUT, FormTransport, GetTransport, HttpTransportBuilder,
    SoapTransport, Transport,
};
