//! NeoApi on the wire, server side: decoding requests of the three bindings and writing
//! the bodies and faults an ASP.NET ASMX service answers.

use percent_encoding::percent_decode_str;
use quick_xml::Reader;
use quick_xml::events::Event;

use crate::platform::{Fault, Reply};

const SOAP_ENV: &str = "http://schemas.xmlsoap.org/soap/envelope/";

/// A request that could not be read as NeoApi at all (answered as a fault).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadRequest(pub String);

/// Parses `a=1&b=%C3%91` (query strings and form bodies), `+` as space.
pub fn parse_urlencoded(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| {
                percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(k), decode(v))
        })
        .collect()
}

/// A decoded SOAP 1.1 call: the method (the Body's first element) and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoapCall {
    /// Method name.
    pub method: String,
    /// Parameters by element name, in order.
    pub params: Vec<(String, String)>,
}

/// Reads a SOAP 1.1 request envelope.
pub fn parse_soap(body: &[u8]) -> Result<SoapCall, BadRequest> {
    let text = std::str::from_utf8(body)
        .map_err(|_| BadRequest("the SOAP request is not UTF-8".into()))?;
    let mut reader = Reader::from_str(text);
    let mut depth_in_body: Option<usize> = None;
    let mut method: Option<String> = None;
    let mut params = Vec::new();
    let mut current: Option<(String, String)> = None;
    let mut saw_envelope = false;
    loop {
        let event = reader.read_event().map_err(|e| {
            BadRequest(format!(
                "malformed SOAP request at byte {}: {e}",
                reader.error_position()
            ))
        })?;
        match event {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                match depth_in_body {
                    None if name == "Envelope" => saw_envelope = true,
                    None if name == "Body" && saw_envelope => depth_in_body = Some(0),
                    None => {}
                    Some(d) => {
                        depth_in_body = Some(d + 1);
                        match d {
                            0 => method = Some(name),
                            1 => current = Some((name, String::new())),
                            _ => {}
                        }
                    }
                }
            }
            Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                match depth_in_body {
                    Some(0) => method = Some(name),
                    Some(1) => params.push((name, String::new())),
                    _ => {}
                }
            }
            Event::Text(t) => {
                if let Some((_, value)) = current.as_mut() {
                    let decoded = t
                        .decode()
                        .map_err(|e| BadRequest(format!("bad text in SOAP request: {e}")))?;
                    let unescaped = quick_xml::escape::unescape(&decoded)
                        .map_err(|e| BadRequest(format!("bad entity in SOAP request: {e}")))?;
                    value.push_str(&unescaped);
                }
            }
            Event::GeneralRef(r) => {
                if let Some((_, value)) = current.as_mut() {
                    let name = r
                        .decode()
                        .map_err(|e| BadRequest(format!("bad entity in SOAP request: {e}")))?;
                    let entity = format!("&{name};");
                    let unescaped = quick_xml::escape::unescape(&entity)
                        .map_err(|e| BadRequest(format!("bad entity in SOAP request: {e}")))?;
                    value.push_str(&unescaped);
                }
            }
            Event::CData(c) => {
                if let Some((_, value)) = current.as_mut() {
                    value.push_str(&String::from_utf8_lossy(&c));
                }
            }
            Event::End(_) => {
                if let Some(d) = depth_in_body {
                    if d == 0 {
                        break;
                    }
                    if d == 2
                        && let Some(p) = current.take()
                    {
                        params.push(p);
                    }
                    depth_in_body = Some(d - 1);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let method = method.ok_or_else(|| {
        BadRequest("the SOAP request has no soap:Body element with a method".into())
    })?;
    Ok(SoapCall { method, params })
}

/// XML-escapes a text node as .NET's serializer does: `&`, `<` and `>` only (quotes stay,
/// so a JSON result reads as JSON in the raw body).
pub fn escape(text: &str) -> String {
    quick_xml::escape::partial_escape(text).into_owned()
}

/// The body of a successful form/GET answer (`None` for a void method: empty body).
pub fn plain_reply(reply: &Reply) -> Option<String> {
    let (tag, value) = match reply {
        Reply::Void => return None,
        Reply::String(s) => ("string", escape(s)),
        Reply::Boolean(b) => ("boolean", b.to_string()),
    };
    Some(format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<{tag} xmlns=\"http://tempuri.org/\">{value}</{tag}>"
    ))
}

/// The SOAP 1.1 envelope the service writes around a `soap:Body`'s content.
pub fn envelope(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"{SOAP_ENV}\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">\
         <soap:Body>{body}</soap:Body></soap:Envelope>"
    )
}

/// The SOAP 1.1 envelope of a successful answer.
pub fn soap_reply(method: &str, reply: &Reply) -> String {
    let body = match reply {
        Reply::Void => format!("<{method}Response xmlns=\"http://tempuri.org/\" />"),
        Reply::String(s) => format!(
            "<{method}Response xmlns=\"http://tempuri.org/\"><{method}Result>{}</{method}Result></{method}Response>",
            escape(s)
        ),
        Reply::Boolean(b) => format!(
            "<{method}Response xmlns=\"http://tempuri.org/\"><{method}Result>{b}</{method}Result></{method}Response>"
        ),
    };
    envelope(&body)
}

/// The .NET exception type ASP.NET would name for a message.
fn exception_type(message: &str) -> &'static str {
    if message.starts_with("Request format") || message.starts_with("Missing parameter") {
        "System.InvalidOperationException"
    } else if message.starts_with("Cannot convert") {
        "System.ArgumentException"
    } else {
        "System.Exception"
    }
}

/// The HTTP 500 text body of a form/GET fault: the exception and the stack frame that
/// threw it (ASP.NET's own for requests it could not bind, the service's otherwise).
pub fn plain_fault(method: &str, fault: &Fault) -> String {
    let kind = exception_type(&fault.message);
    let frame = if fault.message.starts_with("Request format") {
        "System.Web.Services.Protocols.WebServiceHandlerFactory.CoreGetHandler(Type type, HttpContext context, HttpRequest request, HttpResponse response)".to_owned()
    } else if fault.message.starts_with("Missing parameter") {
        "System.Web.Services.Protocols.HtmlFormParameterReader.Read(HttpRequest request)".to_owned()
    } else if kind == "System.ArgumentException" {
        "System.Web.Services.Protocols.ScalarFormatter.FromString(String value, Type type)"
            .to_owned()
    } else {
        format!("NeoApi.WebService.{method}()")
    };
    format!("{kind}: {}\r\n   at {frame}\r\n", fault.message)
}

/// The HTTP 500 SOAP 1.1 `soap:Fault` envelope.
pub fn soap_fault(fault: &Fault) -> String {
    envelope(&format!(
        "<soap:Fault><faultcode>soap:Server</faultcode><faultstring>{}</faultstring><detail /></soap:Fault>",
        escape(&format!(
            "Server was unable to process request. ---> {}",
            fault.message
        ))
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(kv: &[(&str, &str)]) -> Vec<(String, String)> {
        kv.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn urlencoded_bodies_decode_utf8_names_and_plus() {
        let params = parse_urlencoded("USUARIO=1001&CAMPA%C3%91A=97&DATA=a+b%3Dc&EMPTY=");
        assert_eq!(
            params,
            pairs(&[
                ("USUARIO", "1001"),
                ("CAMPAÑA", "97"),
                ("DATA", "a b=c"),
                ("EMPTY", "")
            ])
        );
    }

    #[test]
    fn soap_requests_decode_with_any_prefix_and_entities() {
        let body = br#"<?xml version="1.0" encoding="utf-8"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header/><s:Body>
  <CRM_ShowingContact xmlns="http://tempuri.org/"><USUARIO>1001</USUARIO><BASE>134</BASE>
  <IDCONTACTO>5</IDCONTACTO><DATA>a &amp; b</DATA><CLAVE/></CRM_ShowingContact></s:Body></s:Envelope>"#;
        let call = parse_soap(body).unwrap();
        assert_eq!(call.method, "CRM_ShowingContact");
        assert_eq!(
            call.params,
            pairs(&[
                ("USUARIO", "1001"),
                ("BASE", "134"),
                ("IDCONTACTO", "5"),
                ("DATA", "a & b"),
                ("CLAVE", "")
            ])
        );
    }

    #[test]
    fn malformed_soap_is_a_clear_error_not_a_panic() {
        for body in [
            &b"<not xml"[..],
            b"",
            b"<Envelope><Body></Body></Envelope>",
            b"\xff\xfe",
        ] {
            assert!(parse_soap(body).is_err());
        }
    }

    #[test]
    fn bodies_are_those_of_an_asmx_service() {
        assert_eq!(plain_reply(&Reply::Void), None);
        assert_eq!(
            plain_reply(&Reply::String("A=1&<|\"'".into())).unwrap(),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<string xmlns=\"http://tempuri.org/\">A=1&amp;&lt;|\"'</string>"
        );
        assert!(
            plain_reply(&Reply::Boolean(true))
                .unwrap()
                .ends_with("<boolean xmlns=\"http://tempuri.org/\">true</boolean>")
        );
        let f = Fault {
            message: "User 1001 not logged.".into(),
        };
        assert!(
            plain_fault("Position", &f).starts_with("System.Exception: User 1001 not logged.\r\n")
        );
        assert!(soap_fault(&f).contains("<faultstring>Server was unable to process request. ---&gt; User 1001 not logged.</faultstring>"));
        assert!(
            soap_reply("Logout", &Reply::Void)
                .contains("<LogoutResponse xmlns=\"http://tempuri.org/\" />")
        );
    }
}
