//! SOAP 1.1: the request envelope and `SOAPAction`, and the response or `soap:Fault`.

use quick_xml::escape;

use super::NAMESPACE;
use super::fault::fault_message;
use super::plain::parse_bool;
use super::xml::Element;
use crate::error::{DecodeError, Error, Fault};
use crate::request::{Reply, Request, ReturnKind};

/// The `SOAPAction` header value for a method, quotes included.
#[must_use]
pub fn soap_action(method: &str) -> String {
    format!("\"{NAMESPACE}{method}\"")
}

/// A SOAP 1.1 envelope: `<{Method} xmlns="http://tempuri.org/">` with one child per parameter.
#[must_use]
pub fn encode_soap(request: &Request) -> String {
    let method = request.method();
    let mut out = String::with_capacity(512);
    out.push_str(concat!(
        r#"<?xml version="1.0" encoding="utf-8"?>"#,
        r#"<soap:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance""#,
        r#" xmlns:xsd="http://www.w3.org/2001/XMLSchema""#,
        r#" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>"#
    ));
    out.push_str(&format!("<{method} xmlns=\"{NAMESPACE}\">"));
    for p in request.params() {
        out.push_str(&format!(
            "<{0}>{1}</{0}>",
            p.name,
            escape::escape(&*p.value)
        ));
    }
    out.push_str(&format!("</{method}></soap:Body></soap:Envelope>"));
    out
}

/// A SOAP body: `<{Method}Response>` (with `<{Method}Result>` for values) or a `soap:Fault`,
/// which comes back as `Err(Error::Platform(..))`.
pub fn decode_soap(method: &str, kind: ReturnKind, body: &[u8]) -> Result<Reply, Error> {
    let what = format!("{method} SOAP reply");
    let envelope = Element::parse(body, &what)?;
    envelope.expect_name("Envelope", &what)?;
    let soap_body = envelope
        .child("Body")
        .ok_or_else(|| DecodeError::Unexpected {
            what: what.clone(),
            expected: "a soap:Body".into(),
            found: envelope.describe_children(),
        })?;
    let Some(payload) = soap_body.children.first() else {
        return Err(DecodeError::Unexpected {
            what,
            expected: format!("<{method}Response>"),
            found: "an empty soap:Body".into(),
        }
        .into());
    };
    if payload.name == "Fault" {
        // SOAP 1.1 faultstring; SOAP 1.2 Reason/Text
        let text = payload
            .child("faultstring")
            .or_else(|| payload.child("Reason").and_then(|r| r.child("Text")))
            .map_or("", |e| e.text.as_str());
        return Err(Error::Platform(Fault::classify(
            method,
            fault_message(text),
        )));
    }
    payload.expect_name(&format!("{method}Response"), &what)?;
    let result = payload.child(&format!("{method}Result"));
    match kind {
        ReturnKind::Void => Ok(Reply::Void),
        // ASMX leaves out the Result element for a null string
        ReturnKind::String => Ok(Reply::String(
            result.map(|r| r.text.clone()).unwrap_or_default(),
        )),
        ReturnKind::Boolean => {
            let result = result.ok_or_else(|| DecodeError::Unexpected {
                what: what.clone(),
                expected: format!("<{method}Result>"),
                found: payload.describe_children(),
            })?;
            Ok(Reply::Boolean(parse_bool(&result.text, &what)?))
        }
    }
}
