//! Pure wire codecs: a [`Request`] to an HTTP request in each binding, and an HTTP
//! status and body back to a [`Reply`] or an [`Error`]. No I/O; no body, however
//! malformed, panics.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use quick_xml::events::Event;
use quick_xml::{Reader, escape};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{DecodeError, Error, Fault, TransportError};
use crate::position::excerpt;
use crate::request::{Reply, Request, ReturnKind};

/// The ASMX service namespace.
pub const NAMESPACE: &str = "http://tempuri.org/";

/// The path most installs serve NeoApi at.
pub const DEFAULT_PATH: &str = "/neoapi/webservice.asmx";

/// Everything but RFC 3986 unreserved characters is percent-encoded (UTF-8), so
/// `CAMPAÑA` goes as `CAMPA%C3%91A` and a space as `%20`.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Deepest XML nesting accepted in a reply (NeoApi's go three levels deep).
const MAX_DEPTH: usize = 32;

/// Longest fault message kept.
const MAX_MESSAGE: usize = 1000;

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

/// `application/x-www-form-urlencoded` body (also the GET query): `NAME=value&…`,
/// names and values percent-encoded as UTF-8.
#[must_use]
pub fn encode_form(request: &Request) -> String {
    let mut out = String::new();
    for (i, p) in request.params().iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.extend(utf8_percent_encode(p.name, COMPONENT));
        out.push('=');
        out.extend(utf8_percent_encode(&p.value, COMPONENT));
    }
    out
}

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

/// A form/GET success body: empty (void), `<string>` or `<boolean>`.
pub fn decode_plain(method: &str, kind: ReturnKind, body: &[u8]) -> Result<Reply, DecodeError> {
    let what = || format!("{method} reply");
    match kind {
        ReturnKind::Void if is_blank(body) => Ok(Reply::Void),
        ReturnKind::Void => Err(DecodeError::Unexpected {
            what: what(),
            expected: "an empty body".into(),
            found: excerpt(&String::from_utf8_lossy(body)),
        }),
        ReturnKind::String => {
            let root = Element::parse(body, &what())?;
            root.expect_name("string", &what())?;
            Ok(Reply::String(root.text))
        }
        ReturnKind::Boolean => {
            let root = Element::parse(body, &what())?;
            root.expect_name("boolean", &what())?;
            parse_bool(&root.text, &what()).map(Reply::Boolean)
        }
    }
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

/// A fault from a text body (form/GET HTTP 500: `System.Exception: … not logged.   at …`).
#[must_use]
pub fn text_fault(method: &str, body: &[u8]) -> Fault {
    let text = String::from_utf8_lossy(body);
    // some proxies and installs wrap the message in XML: read its text
    let text = match Element::parse(body, "fault") {
        Ok(root) if text.trim_start().starts_with('<') => {
            let fault = root
                .child("Body")
                .and_then(|b| b.child("Fault"))
                .and_then(|f| f.child("faultstring"));
            match fault {
                Some(f) => f.text.clone(),
                None => root.all_text(),
            }
        }
        _ => text.into_owned(),
    };
    Fault::classify(method, fault_message(&text))
}

/// The server's message out of a .NET exception text: without the exception type,
/// the SOAP wrapper sentence and the stack trace.
#[must_use]
pub fn fault_message(text: &str) -> String {
    let mut msg = strip_exception_type(text.trim());
    for wrapper in ["Server was unable to process request.", "--->"] {
        if let Some(rest) = msg.strip_prefix(wrapper) {
            msg = strip_exception_type(rest.trim_start());
        }
    }
    let msg = cut_stack_trace(msg).trim();
    if msg.is_empty() {
        return "(no message)".into();
    }
    match msg.char_indices().nth(MAX_MESSAGE) {
        Some((cut, _)) => format!("{}…", &msg[..cut]),
        None => msg.to_owned(),
    }
}

/// `System.InvalidOperationException: text` → `text`.
fn strip_exception_type(text: &str) -> &str {
    match text.split_once(": ") {
        Some((head, rest))
            if head.ends_with("Exception") && !head.contains(char::is_whitespace) =>
        {
            rest
        }
        _ => text,
    }
}

/// Cuts at the first `at Some.Method(` frame, on its own line or not.
fn cut_stack_trace(text: &str) -> &str {
    for (i, _) in text.match_indices("at ") {
        let before_ok = text[..i]
            .chars()
            .next_back()
            .is_none_or(char::is_whitespace);
        let frame = &text[i + 3..];
        let is_frame = frame.split_once('(').is_some_and(|(name, _)| {
            !name.is_empty() && name.contains('.') && !name.contains(char::is_whitespace)
        });
        if before_ok && is_frame {
            return &text[..i];
        }
    }
    text
}

fn scrub(error: Error, secret: &str) -> Error {
    if secret.is_empty() {
        return error;
    }
    let clean = |s: &mut String| {
        if s.contains(secret) {
            *s = s.replace(secret, "***");
        }
    };
    match error {
        Error::Platform(mut f) => {
            clean(&mut f.message);
            Error::Platform(f)
        }
        Error::Transport(TransportError::Status {
            status,
            mut excerpt,
        }) => {
            clean(&mut excerpt);
            Error::Transport(TransportError::Status { status, excerpt })
        }
        Error::Decode(DecodeError::Unexpected {
            what,
            expected,
            mut found,
        }) => {
            clean(&mut found);
            Error::Decode(DecodeError::Unexpected {
                what,
                expected,
                found,
            })
        }
        other => other,
    }
}

fn is_blank(body: &[u8]) -> bool {
    body.iter().all(u8::is_ascii_whitespace)
}

fn parse_bool(text: &str, what: &str) -> Result<bool, DecodeError> {
    match text.trim() {
        t if t.eq_ignore_ascii_case("true") || t == "1" => Ok(true),
        t if t.eq_ignore_ascii_case("false") || t == "0" => Ok(false),
        t => Err(DecodeError::Unexpected {
            what: what.to_owned(),
            expected: "true or false".into(),
            found: excerpt(t),
        }),
    }
}

/// A tiny read-only XML tree: local names, direct text (entities decoded), children.
#[derive(Debug, Default)]
struct Element {
    name: String,
    text: String,
    children: Vec<Self>,
}

impl Element {
    fn parse(body: &[u8], what: &str) -> Result<Self, DecodeError> {
        let xml_err = |detail: String| DecodeError::Xml {
            what: what.to_owned(),
            detail,
        };
        let text = std::str::from_utf8(body).map_err(|e| xml_err(e.to_string()))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader = Reader::from_str(text);
        let mut stack: Vec<Self> = Vec::new();
        let mut root: Option<Self> = None;
        let mut attach = |el: Self, stack: &mut Vec<Self>| -> Result<(), DecodeError> {
            match stack.last_mut() {
                Some(parent) => parent.children.push(el),
                None if root.is_none() => root = Some(el),
                None => return Err(xml_err("more than one root element".into())),
            }
            Ok(())
        };
        let push_text = |stack: &mut Vec<Self>, s: &str| -> Result<(), DecodeError> {
            match stack.last_mut() {
                Some(top) => top.text.push_str(s),
                None if s.trim().is_empty() => {}
                None => return Err(xml_err("text outside the root element".into())),
            }
            Ok(())
        };
        loop {
            let event = reader.read_event().map_err(|e| xml_err(e.to_string()))?;
            match event {
                Event::Start(e) => {
                    if stack.len() >= MAX_DEPTH {
                        return Err(xml_err(format!("nested deeper than {MAX_DEPTH}")));
                    }
                    stack.push(Self::named(e.local_name().as_ref()));
                }
                Event::Empty(e) => attach(Self::named(e.local_name().as_ref()), &mut stack)?,
                Event::End(_) => {
                    let el = stack
                        .pop()
                        .ok_or_else(|| xml_err("closing tag without opening".into()))?;
                    attach(el, &mut stack)?;
                }
                Event::Text(t) => {
                    let s = t.xml10_content().map_err(|e| xml_err(e.to_string()))?;
                    push_text(&mut stack, &s)?;
                }
                Event::CData(c) => {
                    let s = c.decode().map_err(|e| xml_err(e.to_string()))?;
                    push_text(&mut stack, &s)?;
                }
                Event::GeneralRef(r) => {
                    let resolved: Cow<'_, str> = match r.resolve_char_ref() {
                        Ok(Some(ch)) => ch.to_string().into(),
                        Ok(None) => {
                            let name = r.decode().map_err(|e| xml_err(e.to_string()))?;
                            escape::resolve_predefined_entity(&name)
                                .ok_or_else(|| xml_err(format!("unknown entity &{name};")))?
                                .into()
                        }
                        Err(e) => return Err(xml_err(e.to_string())),
                    };
                    push_text(&mut stack, &resolved)?;
                }
                Event::Eof => break,
                Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
            }
        }
        if !stack.is_empty() {
            return Err(xml_err("unclosed element".into()));
        }
        root.ok_or_else(|| xml_err("no root element".into()))
    }

    fn named(name: &[u8]) -> Self {
        Self {
            name: String::from_utf8_lossy(name).into_owned(),
            ..Self::default()
        }
    }

    /// The text of this element and all below it, in document order (roughly).
    fn all_text(&self) -> String {
        let mut out = self.text.clone();
        for c in &self.children {
            out.push(' ');
            out.push_str(&c.all_text());
        }
        out
    }

    fn child(&self, name: &str) -> Option<&Self> {
        self.children.iter().find(|c| c.name == name)
    }

    fn expect_name(&self, name: &str, what: &str) -> Result<(), DecodeError> {
        if self.name == name {
            Ok(())
        } else {
            Err(DecodeError::Unexpected {
                what: what.to_owned(),
                expected: format!("<{name}>"),
                found: format!("<{}>", excerpt(&self.name)),
            })
        }
    }

    fn describe_children(&self) -> String {
        let names: Vec<String> = self
            .children
            .iter()
            .map(|c| format!("<{}>", c.name))
            .collect();
        excerpt(&if names.is_empty() {
            format!("nothing inside <{}>", self.name)
        } else {
            names.join(", ")
        })
    }
}

/// Decodes a per-install task's JSON result `{"Table":[{…},…]}` into its rows. An
/// empty text or `{}` (a .NET `DataSet` without tables) gives no rows.
pub fn decode_table(
    text: &str,
) -> Result<Vec<serde_json::Map<String, serde_json::Value>>, DecodeError> {
    #[derive(Deserialize)]
    struct Tables {
        #[serde(rename = "Table", default)]
        table: Vec<serde_json::Map<String, serde_json::Value>>,
    }
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_str::<Tables>(text)
        .map(|t| t.table)
        .map_err(|e| DecodeError::Table(format!("not {{\"Table\":[…]}}: {e}")))
}

/// Decodes a task's `{"Table":[…]}` result straight into the caller's row type.
pub fn decode_rows<T: DeserializeOwned>(text: &str) -> Result<Vec<T>, DecodeError> {
    decode_table(text)?
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            serde_json::from_value(serde_json::Value::Object(row))
                .map_err(|e| DecodeError::Table(format!("row {i}: {e}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FaultKind;
    use crate::password::Password;

    fn position() -> Request {
        Request::Position {
            user: "1001".into(),
        }
    }

    fn login() -> Request {
        Request::Login {
            device: "SIP/6000".into(),
            user: "1001".into(),
            password: Password::new("pa ss&ñ="),
        }
    }

    #[test]
    fn form_and_query_percent_encode_utf8() {
        let r = Request::BlindTransferCampaign {
            user: "ana maría".into(),
            campaign: 3,
        };
        assert_eq!(encode_form(&r), "USUARIO=ana%20mar%C3%ADa&CAMPA%C3%91A=3");
        let enc = Binding::Form.encode(&login());
        assert_eq!(enc.path, "/Login");
        assert_eq!(
            enc.body,
            "DEVICE=SIP%2F6000&USUARIO=1001&CLAVE=pa%20ss%26%C3%B1%3D"
        );
        assert!(!format!("{enc:?}").contains("pa%20ss"));
        let enc = Binding::Get.encode(&position());
        assert_eq!(enc.http_method, HttpMethod::Get);
        assert_eq!(enc.query.as_deref(), Some("USUARIO=1001"));
    }

    #[test]
    fn soap_envelope_escapes_and_names_the_action() {
        let r = Request::CrmShowingContact {
            user: "1001".into(),
            base: 134,
            contact_id: 5,
            data: "a<b&\"c\"".into(),
        };
        let enc = Binding::Soap.encode(&r);
        assert_eq!(
            enc.soap_action.as_deref(),
            Some("\"http://tempuri.org/CRM_ShowingContact\"")
        );
        assert!(enc.body.contains(
            "<CRM_ShowingContact xmlns=\"http://tempuri.org/\"><USUARIO>1001</USUARIO><BASE>134</BASE><IDCONTACTO>5</IDCONTACTO><DATA>a&lt;b&amp;&quot;c&quot;</DATA></CRM_ShowingContact>"
        ), "{}", enc.body);
        // the envelope is itself well-formed
        let tree = Element::parse(enc.body.as_bytes(), "test").expect("well-formed");
        let data = &tree.children[0].children[0].children[3];
        assert_eq!(data.text, "a<b&\"c\"");
        let enc = Binding::Soap.encode(&Request::BlindTransferCampaign {
            user: "1".into(),
            campaign: 3,
        });
        assert!(enc.body.contains("<CAMPAÑA>3</CAMPAÑA>"));
    }

    #[test]
    fn plain_replies() {
        let body = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<string xmlns=\"http://tempuri.org/\">A=1&amp;2|B=&lt;x&gt;&#209;|</string>";
        assert_eq!(
            Binding::Form
                .decode(&position(), 200, body.as_bytes())
                .expect("string"),
            Reply::String("A=1&2|B=<x>Ñ|".into())
        );
        let empty = "<string xmlns=\"http://tempuri.org/\" />";
        assert_eq!(
            Binding::Get
                .decode(&position(), 200, empty.as_bytes())
                .expect("string"),
            Reply::String(String::new())
        );
        let dial = Request::Dial {
            user: "1".into(),
            phone: "2".into(),
        };
        let t = "<?xml version=\"1.0\"?><boolean xmlns=\"http://tempuri.org/\">true</boolean>";
        assert_eq!(
            Binding::Form
                .decode(&dial, 200, t.as_bytes())
                .expect("bool"),
            Reply::Boolean(true)
        );
        let hangup = Request::Hangup { user: "1".into() };
        assert_eq!(
            Binding::Form.decode(&hangup, 200, b"").expect("void"),
            Reply::Void
        );
        let e = Binding::Form
            .decode(&hangup, 200, b"<html>proxy login</html>")
            .expect_err("void with a body");
        assert!(
            matches!(e, Error::Decode(DecodeError::Unexpected { .. })),
            "{e}"
        );
        let e = Binding::Form
            .decode(&position(), 200, b"<boolean>true</boolean>")
            .expect_err("wrong root");
        assert!(e.to_string().contains("expected <string>"), "{e}");
    }

    #[test]
    fn soap_replies() {
        let env = |inner: &str| {
            format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><soap:Body>{inner}</soap:Body></soap:Envelope>"
            )
        };
        let body = env(
            "<PositionResponse xmlns=\"http://tempuri.org/\"><PositionResult>K=&amp;|</PositionResult></PositionResponse>",
        );
        assert_eq!(
            Binding::Soap
                .decode(&position(), 200, body.as_bytes())
                .expect("string"),
            Reply::String("K=&|".into())
        );
        let body = env("<HangupResponse xmlns=\"http://tempuri.org/\" />");
        assert_eq!(
            Binding::Soap
                .decode(&Request::Hangup { user: "1".into() }, 200, body.as_bytes())
                .expect("void"),
            Reply::Void
        );
        let body = env(
            "<soap:Fault><faultcode>soap:Server</faultcode><faultstring>Server was unable to process request. ---&gt; User 1001 not logged.</faultstring><detail /></soap:Fault>",
        );
        let e = Binding::Soap
            .decode(&position(), 500, body.as_bytes())
            .expect_err("fault");
        let f = e.fault().expect("a platform fault");
        assert_eq!(f.kind, FaultKind::NotLogged);
        assert_eq!(f.message, "User 1001 not logged.");
        assert_eq!(f.method, "Position");
    }

    #[test]
    fn text_faults_lose_type_and_stack() {
        let body = "System.Exception: User 1001 not logged.\r\n   at NeoApi.WebService.Position(String USUARIO) in C:\\x.cs:line 10\r\n";
        let e = Binding::Form
            .decode(&position(), 500, body.as_bytes())
            .expect_err("fault");
        assert_eq!(
            e.fault().map(|f| f.message.as_str()),
            Some("User 1001 not logged.")
        );
        assert_eq!(
            fault_message(
                "System.Exception: Position SIP/6000 not free at NeoApi.WebService.Login(String DEVICE)"
            ),
            "Position SIP/6000 not free"
        );
        assert_eq!(
            fault_message(
                "System.InvalidOperationException: Request format is unrecognized for URL unexpectedly ending in '/Foo'.\r\n   at System.Web.Services.Protocols.WebServiceHandlerFactory.CoreGetHandler(Type type)"
            ),
            "Request format is unrecognized for URL unexpectedly ending in '/Foo'."
        );
        assert_eq!(fault_message("  "), "(no message)");
        let xml = "<?xml version=\"1.0\"?><string xmlns=\"http://tempuri.org/\">User 7 not logged.</string>";
        let f = text_fault("Position", xml.as_bytes());
        assert_eq!(
            (f.kind, f.message.as_str()),
            (FaultKind::NotLogged, "User 7 not logged.")
        );
        assert_eq!(
            fault_message("we meet at noon (sharp)"),
            "we meet at noon (sharp)"
        );
    }

    #[test]
    fn login_faults_never_carry_the_password() {
        let body = "System.Exception: Invalid password pa ss&ñ= for 1001";
        let e = Binding::Form
            .decode(&login(), 500, body.as_bytes())
            .expect_err("fault");
        assert_eq!(e.fault_kind(), Some(FaultKind::LoginFailed));
        assert!(!e.to_string().contains("pa ss&ñ="), "{e}");
        let e = Binding::Form
            .decode(&login(), 403, b"denied pa ss&\xc3\xb1=")
            .expect_err("status");
        assert!(!e.to_string().contains("pa ss&ñ="), "{e}");
    }

    #[test]
    fn other_statuses_are_transport_errors() {
        let e = Binding::Form
            .decode(&position(), 404, b"Not Found")
            .expect_err("404");
        assert!(matches!(
            e,
            Error::Transport(TransportError::Status { status: 404, .. })
        ));
    }

    #[test]
    fn malformed_xml_is_a_decode_error() {
        for body in [
            &b"<string>unclosed"[..],
            b"<string>a</strong>",
            b"<string>&bogus;</string>",
            b"\xff\xfe",
            b"",
            b"<a/><b/>",
            b"text<string/>",
        ] {
            let e = Binding::Form
                .decode(&position(), 200, body)
                .expect_err("bad");
            assert!(matches!(e, Error::Decode(_)), "{e}");
        }
        let deep = "<a>".repeat(100);
        assert!(Element::parse(deep.as_bytes(), "deep").is_err());
    }

    #[test]
    fn tables() {
        let rows =
            decode_table(r#"{"Table":[{"ID":1,"NOMBRE":"Baño"},{"ID":2,"NOMBRE":"Almuerzo"}]}"#)
                .expect("table");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["NOMBRE"], "Baño");
        assert!(decode_table("").expect("empty").is_empty());
        assert!(decode_table("{}").expect("no table").is_empty());
        assert!(decode_table("[1]").is_err());
        #[derive(Deserialize, Debug, PartialEq)]
        struct Brk {
            #[serde(rename = "ID")]
            id: i64,
        }
        let rows: Vec<Brk> = decode_rows(r#"{"Table":[{"ID":7}]}"#).expect("rows");
        assert_eq!(rows, [Brk { id: 7 }]);
        let e = decode_rows::<Brk>(r#"{"Table":[{"ID":"x"}]}"#).expect_err("bad row");
        assert!(e.to_string().contains("row 0"), "{e}");
    }

    fn every_kind() -> [Request; 3] {
        [
            position(),
            Request::Dial {
                user: "1".into(),
                phone: "2".into(),
            },
            login(),
        ]
    }

    proptest::proptest! {
        #[test]
        fn no_byte_soup_panics(
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
            status in proptest::prop_oneof![
                proptest::strategy::Just(200u16),
                proptest::strategy::Just(500u16),
                proptest::prelude::any::<u16>()
            ],
        ) {
            for binding in [Binding::Form, Binding::Get, Binding::Soap] {
                for request in every_kind() {
                    let _ = binding.decode(&request, status, &body);
                }
            }
            let text = String::from_utf8_lossy(&body);
            let _ = decode_table(&text);
            let _ = fault_message(&text);
            let _ = crate::Position::parse(&text);
        }

        #[test]
        fn no_xml_soup_panics(
            body in r#"(<\??[a-zA-Z:]{0,12}( xmlns(:soap)?="[^"]{0,8}")? ?/?>|</[a-zA-Z:]{0,12}>|&[a-z#0-9x]{0,6};|<!\[CDATA\[[^\]]{0,5}\]\]>|[^<&]{0,8}){0,24}"#,
        ) {
            for binding in [Binding::Form, Binding::Soap] {
                for request in every_kind() {
                    let _ = binding.decode(&request, 200, body.as_bytes());
                    let _ = binding.decode(&request, 500, body.as_bytes());
                }
            }
        }

        #[test]
        fn soap_values_round_trip(data in "\\PC{0,40}", user in "[^\\p{C}]{0,12}") {
            let request = Request::CrmShowingContact { user: user.clone(), base: 1, contact_id: 2, data: data.clone() };
            let body = Binding::Soap.encode(&request).body;
            let tree = Element::parse(body.as_bytes(), "round trip").expect("our envelope is well-formed");
            let call = &tree.children[0].children[0];
            proptest::prop_assert_eq!(&call.children[0].text, &user);
            proptest::prop_assert_eq!(&call.children[3].text, &data);
        }
    }

    #[test]
    fn binding_names() {
        assert_eq!("SOAP".parse::<Binding>(), Ok(Binding::Soap));
        assert_eq!("post".parse::<Binding>(), Ok(Binding::Form));
        assert!("rest".parse::<Binding>().is_err());
    }
}
