//! The three bindings NeoApi answers on, and the one place that picks the encoder and
//! decoder for each.

use std::fmt;
use std::str::FromStr;

use percent_encoding::utf8_percent_encode;
use serde::{Deserialize, Serialize};

use super::fault::{scrub, text_fault};
use super::form::{COMPONENT, encode_form};
use super::plain::decode_plain;
use super::soap::{decode_soap, encode_soap, soap_action};
use crate::error::{Error, TransportError, excerpt};
use crate::request::{Reply, Request};

/// How a request travels. All three are real NeoApi bindings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Binding {
    /// `POST …/webservice.asmx/{Method}` with a form body (the default).
    #[default]
    Form,
    /// `GET …/webservice.asmx/{Method}?P=v`. Puts `CLAVE` in the URL: prefer `Form`.
    Get,
    /// SOAP 1.1 `POST …/webservice.asmx`.
    Soap,
}

impl Binding {
    /// The binding's name: `form`, `get` or `soap`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Form => "form",
            Self::Get => "get",
            Self::Soap => "soap",
        }
    }
}

impl fmt::Display for Binding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A binding name that is none of `form`, `get`, `soap`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown NeoApi binding {0:?} (expected form, get or soap)")]
pub struct UnknownBinding(pub String);

impl FromStr for Binding {
    type Err = UnknownBinding;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "form" | "post" => Ok(Self::Form),
            "get" => Ok(Self::Get),
            "soap" => Ok(Self::Soap),
            _ => Err(UnknownBinding(s.to_owned())),
        }
    }
}

/// The HTTP verb of an encoded request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
}

/// A request encoded for one binding, ready for any HTTP client. `Debug` shows no
/// query or body (they may hold `CLAVE`).
#[derive(Clone, PartialEq, Eq)]
pub struct EncodedRequest {
    /// The verb.
    pub http_method: HttpMethod,
    /// What follows the service path: `/{Method}` (form, GET) or empty (SOAP).
    pub path: String,
    /// The query string without `?` (GET).
    pub query: Option<String>,
    /// `Content-Type`, when there is a body.
    pub content_type: Option<&'static str>,
    /// The `SOAPAction` header value, quotes included (SOAP).
    pub soap_action: Option<String>,
    /// The body (empty for GET).
    pub body: String,
}

impl fmt::Debug for EncodedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncodedRequest")
            .field("http_method", &self.http_method)
            .field("path", &self.path)
            .field("soap_action", &self.soap_action)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl Binding {
    /// Encodes `request` for this binding.
    #[must_use]
    pub fn encode(self, request: &Request) -> EncodedRequest {
        let method_path = format!("/{}", utf8_percent_encode(request.method(), COMPONENT));
        match self {
            Self::Form => EncodedRequest {
                http_method: HttpMethod::Post,
                path: method_path,
                query: None,
                content_type: Some("application/x-www-form-urlencoded"),
                soap_action: None,
                body: encode_form(request),
            },
            Self::Get => EncodedRequest {
                http_method: HttpMethod::Get,
                path: method_path,
                query: Some(encode_form(request)),
                content_type: None,
                soap_action: None,
                body: String::new(),
            },
            Self::Soap => EncodedRequest {
                http_method: HttpMethod::Post,
                path: String::new(),
                query: None,
                content_type: Some("text/xml; charset=utf-8"),
                soap_action: Some(soap_action(request.method())),
                body: encode_soap(request),
            },
        }
    }

    /// Decodes the answer to `request` (HTTP status and body) in this binding:
    /// 200 gives the reply, 500 the classified fault, any other status a transport error.
    /// Any text that reaches an error has the request's password scrubbed.
    pub fn decode(self, request: &Request, status: u16, body: &[u8]) -> Result<Reply, Error> {
        let method = request.method();
        let result = match (status, self) {
            (200, Self::Soap) => decode_soap(method, request.returns(), body),
            (200, _) => decode_plain(method, request.returns(), body).map_err(Error::from),
            (500, Self::Soap) => match decode_soap(method, request.returns(), body) {
                Err(Error::Platform(fault)) => Err(Error::Platform(fault)),
                // not a SOAP fault after all: read it as text
                _ => Err(Error::Platform(text_fault(method, body))),
            },
            (500, _) => Err(Error::Platform(text_fault(method, body))),
            (status, _) => Err(Error::Transport(TransportError::Status {
                status,
                excerpt: excerpt(String::from_utf8_lossy(body).trim()),
            })),
        };
        match request.secret() {
            Some(secret) => result.map_err(|e| scrub(e, secret)),
            None => result,
        }
    }
}
