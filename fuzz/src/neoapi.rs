//! NeoApi's answers: form/GET bodies (`<string>`, `<boolean>`, empty), SOAP envelopes, faults
//! in both shapes (.NET exception text and `soap:Fault`) and per-install `{"Table":[…]}`.
//!
//! A decoded reply has the kind asked for and decodes again from the canonical body the real
//! server writes; an error names the method; a fault keeps the method, a message and its
//! classification; and no error text ever holds the `Login` password, whatever the body echoes.

use std::path::Path;

use neotel_api::codec::{decode_plain, decode_soap, fault_message, text_fault};
use neotel_api::{
    Binding, DecodeError, Error, Fault, Password, Reply, Request, ReturnKind, decode_rows,
    decode_table,
};

use neotel_sim::wire;
use neotel_sim::{Fault as SimFault, Reply as SimReply};

use crate::{Rng, Target, same_json};

/// Form and GET bodies, and .NET fault texts.
pub const PLAIN: Target = Target {
    name: "neoapi_plain",
    check: check_plain,
    generate: generate_plain,
    dictionary: WORDS,
    project_seeds: plain_seeds,
};

/// SOAP 1.1 (and 1.2 fault) envelopes.
pub const SOAP: Target = Target {
    name: "neoapi_soap",
    check: check_soap,
    generate: generate_soap,
    dictionary: WORDS,
    project_seeds: soap_seeds,
};

/// `{"Table":[…]}` task results.
pub const TABLE: Target = Target {
    name: "neoapi_table",
    check: check_table,
    generate: generate_table,
    dictionary: &[
        "{\"Table\":[",
        "]}",
        "{}",
        "\"Table\"",
        "\"id\"",
        "\"name\"",
        "null",
        "1e308",
    ],
    project_seeds: no_seeds,
};

/// The `Login` password the checks look for in every error.
const SECRET: &str = "Cl4ve-s3creta";

const WORDS: &[&str] = &[
    "<string xmlns=\"http://tempuri.org/\">",
    "</string>",
    "<boolean xmlns=\"http://tempuri.org/\">",
    "</boolean>",
    "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">",
    "</soap:Envelope>",
    "<soap:Body>",
    "</soap:Body>",
    "<soap:Fault>",
    "<faultstring>",
    "</faultstring>",
    "<soap:Reason><soap:Text>",
    "<PositionResponse xmlns=\"http://tempuri.org/\">",
    "<PositionResult>",
    "</PositionResult>",
    "<DialResponse>",
    "<DialResult>",
    "<LoginResponse/>",
    "System.Exception: ",
    "Server was unable to process request. ---> ",
    "   at Neotel.Api.Login(String DEVICE) in c:\\x.cs:line 1",
    " not logged.",
    "not free",
    "not found",
    "No more API licenses.",
    "Cannot convert",
    "Request format is unrecognized",
    SECRET,
    "true",
    "false",
];

/// `(method, kind)` pairs as the connector asks them.
const CALLS: [(&str, ReturnKind); 4] = [
    ("Logout", ReturnKind::Void),
    ("Position", ReturnKind::String),
    ("Dial", ReturnKind::Boolean),
    ("Login", ReturnKind::Void),
];

/// The simulator's escape (the server's), with `\r` as a reference: generated bodies carry
/// references the decoder must resolve, where a raw `\r` would only read as `\n`.
fn escape(text: &str) -> String {
    wire::escape(text).replace('\r', "&#13;")
}

/// The same reply in the simulator's type, to write it with the simulator's wire writer
/// (the bodies and envelopes of the real server).
fn sim_reply(reply: &Reply) -> SimReply {
    match reply {
        Reply::Void => SimReply::Void,
        Reply::String(s) => SimReply::String(s.clone()),
        Reply::Boolean(b) => SimReply::Boolean(*b),
    }
}

/// The body the real server writes for a form/GET reply.
fn plain_body(reply: &Reply) -> String {
    wire::plain_reply(&sim_reply(reply)).unwrap_or_default()
}

/// The envelope the real server writes for a SOAP reply.
fn soap_body(method: &str, reply: &Reply) -> String {
    wire::soap_reply(method, &sim_reply(reply))
}

/// The reply a reader gets back from the server's body: the server writes `\r` raw in text
/// (.NET's `XmlTextWriter` does), and XML reads a raw `\r\n` or `\r` as `\n`.
fn read_back(reply: Reply) -> Reply {
    match reply {
        Reply::String(s) => Reply::String(s.replace("\r\n", "\n").replace('\r', "\n")),
        other => other,
    }
}

/// A decode error names what was being decoded (the method) and says what was wrong.
fn check_decode_error(method: &str, e: &DecodeError) {
    let text = e.to_string();
    assert!(text.contains(method), "the error names the method: {text}");
    match e {
        DecodeError::Xml { detail, .. } => assert!(!detail.is_empty(), "{text}"),
        DecodeError::Unexpected {
            expected, found, ..
        } => assert!(!expected.is_empty() && !found.is_empty(), "{text}"),
        other => panic!("a reply decoder gave {other:?}"),
    }
}

/// A fault keeps its method, has a message, and is classified from that message.
fn check_fault(method: &str, f: &Fault) {
    assert_eq!(f.method, method);
    assert!(!f.message.trim().is_empty(), "a fault has a message");
    assert!(
        f.message.chars().count() <= 1001,
        "the message is cut at 1000 characters"
    );
    assert_eq!(f.kind, Fault::classify(method, f.message.clone()).kind);
}

/// The `Login` request carrying [`SECRET`].
fn login() -> Request {
    Request::Login {
        device: "SIP/6000".into(),
        user: "1001".into(),
        password: Password::new(SECRET),
    }
}

/// Whatever the body and status, no error of a `Login` holds its password.
fn check_scrubbed(binding: Binding, body: &[u8]) {
    for status in [200, 500, 404] {
        if let Err(e) = binding.decode(&login(), status, body) {
            let (shown, debug) = (e.to_string(), format!("{e:?}"));
            assert!(
                !shown.contains(SECRET) && !debug.contains(SECRET),
                "HTTP {status} {}: the password reaches the error: {shown}",
                binding.as_str()
            );
        }
    }
}

/// Form/GET bodies of every kind, as text faults, and through the binding with its status.
pub fn check_plain(data: &[u8]) {
    for (method, kind) in CALLS {
        match decode_plain(method, kind, data) {
            Ok(reply) => {
                assert_eq!(reply.kind(), kind);
                let body = plain_body(&reply);
                assert_eq!(
                    decode_plain(method, kind, body.as_bytes()),
                    Ok(read_back(reply)),
                    "the canonical body decodes to the same reply: {body:?}"
                );
            }
            Err(e) => check_decode_error(method, &e),
        }
        check_fault(method, &text_fault(method, data));
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let message = fault_message(text);
        let kept = message.strip_suffix('…').unwrap_or(&message);
        assert!(
            message == "(no message)" || text.contains(kept),
            "the fault message is a part of the text: {message:?}"
        );
    }
    check_scrubbed(Binding::Form, data);
    check_scrubbed(Binding::Get, data);
}

/// SOAP envelopes of every kind and faults.
pub fn check_soap(data: &[u8]) {
    for (method, kind) in CALLS {
        match decode_soap(method, kind, data) {
            Ok(reply) => {
                assert_eq!(reply.kind(), kind);
                let body = soap_body(method, &reply);
                assert_eq!(
                    decode_soap(method, kind, body.as_bytes()).ok(),
                    Some(read_back(reply)),
                    "the canonical envelope decodes to the same reply: {body:?}"
                );
            }
            Err(Error::Platform(f)) => {
                check_fault(method, &f);
                // a fault written back as the server writes it (wrapper sentence and all)
                // reads to the same kind
                let again = wire::soap_fault(&SimFault {
                    message: f.message.clone(),
                });
                match decode_soap(method, kind, again.as_bytes()) {
                    Err(Error::Platform(g)) => assert_eq!(g.kind, f.kind, "{again:?}"),
                    other => panic!("a written fault reads as {other:?}: {again:?}"),
                }
            }
            Err(Error::Decode(e)) => check_decode_error(method, &e),
            Err(other) => panic!("decode_soap gave {other:?}"),
        }
    }
    check_scrubbed(Binding::Soap, data);
}

/// A task row of the caller's own type.
#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)] // read only by Debug: the point is that decoding it never panics
struct Row {
    id: i64,
    name: Option<String>,
}

/// `{"Table":[…]}`: rows that decode write back and decode again to the same rows.
pub fn check_table(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match decode_table(text) {
        Ok(rows) => {
            let written = serde_json::json!({ "Table": rows }).to_string();
            let again = decode_table(&written)
                .unwrap_or_else(|e| panic!("written rows do not decode: {e}: {written}"));
            let (a, b) = (serde_json::json!(rows), serde_json::json!(again));
            assert!(same_json(&a, &b), "rows survive a round trip: {written}");
        }
        Err(DecodeError::Table(m)) => assert!(m.starts_with("not {\"Table\":[…]}: "), "{m}"),
        Err(other) => panic!("decode_table gave {other:?}"),
    }
    match decode_rows::<Row>(text) {
        Ok(rows) => assert!(decode_table(text).is_ok_and(|t| t.len() == rows.len())),
        Err(DecodeError::Table(m)) => {
            assert!(m.starts_with("not {") || m.starts_with("row "), "{m}");
        }
        Err(other) => panic!("decode_rows gave {other:?}"),
    }
}

fn no_seeds(_: &Path) -> Vec<Vec<u8>> {
    Vec::new()
}

/// What the simulator answers, as its wire writer writes it: the real `Position` strings of
/// `shared/fixtures`, booleans, and the faults the platform raises.
fn sim_replies(root: &Path) -> Vec<(&'static str, SimReply)> {
    let mut out: Vec<(&'static str, SimReply)> = (crate::position::TARGET.project_seeds)(root)
        .into_iter()
        .map(|p| {
            (
                "Position",
                SimReply::String(String::from_utf8_lossy(&p).into_owned()),
            )
        })
        .collect();
    out.push(("Dial", SimReply::Boolean(true)));
    out.push(("CRM_Unavailable", SimReply::Boolean(false)));
    out.push(("Logout", SimReply::Void));
    out.push((
        "ExecuteTask2",
        SimReply::String("{\"Table\":[{\"ID\":1,\"NOMBRE\":\"Baño\"}]}".into()),
    ));
    out
}

const SIM_FAULTS: [(&str, &str); 6] = [
    ("Position", "User 1001 not logged."),
    ("Login", "Position SIP/6000 not free"),
    ("Login", "Position Externo6001 not found"),
    ("Dial", "No more API licenses."),
    ("Pause", "Cannot convert abc to System.Int32."),
    (
        "Foo",
        "Request format is unrecognized for URL unexpectedly ending in '/Foo'.",
    ),
];

fn plain_seeds(root: &Path) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = sim_replies(root)
        .iter()
        .map(|(_, r)| wire::plain_reply(r).unwrap_or_default().into_bytes())
        .collect();
    out.extend(SIM_FAULTS.iter().map(|(method, message)| {
        wire::plain_fault(
            method,
            &SimFault {
                message: (*message).to_owned(),
            },
        )
        .into_bytes()
    }));
    out
}

fn soap_seeds(root: &Path) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = sim_replies(root)
        .iter()
        .map(|(method, r)| wire::soap_reply(method, r).into_bytes())
        .collect();
    out.extend(SIM_FAULTS.iter().map(|(_, message)| {
        wire::soap_fault(&SimFault {
            message: (*message).to_owned(),
        })
        .into_bytes()
    }));
    out
}

/// A .NET exception text as NeoApi writes it on HTTP 500.
fn dotnet_fault(rng: &mut Rng) -> String {
    let message = match rng.below(8) {
        0 => format!("User {} not logged.", rng.int(1000, 9999)),
        1 => format!("Position SIP/{} not free", rng.int(6000, 6999)),
        2 => format!("Position Externo{} not found", rng.int(1, 99)),
        3 => "No more API licenses.".into(),
        4 => format!("Cannot convert {} to System.Int32.", rng.word(6)),
        5 => format!("Invalid user or password {SECRET}"),
        6 => format!(
            "Request format is unrecognized for URL unexpectedly ending in '/{}'.",
            rng.word(8)
        ),
        _ => rng.text(40),
    };
    let ty = rng.pick(&[
        "System.Exception",
        "System.InvalidOperationException",
        "System.Web.Services.Protocols.SoapException",
        "",
    ]);
    let head = if ty.is_empty() {
        String::new()
    } else {
        format!("{ty}: ")
    };
    let wrapper = if rng.chance(1, 3) {
        "Server was unable to process request. ---> "
    } else {
        ""
    };
    let stack = match rng.below(3) {
        0 => String::new(),
        1 => "\r\n   at Neotel.Api.WebService.Position(String USUARIO) in c:\\src\\Api.cs:line 120\r\n   at System.Web.Services.Protocols.LogicalMethodInfo.Invoke(Object target)".into(),
        _ => " at Neotel.Api.X(".into(),
    };
    format!("{wrapper}{head}{message}{stack}")
}

fn generate_plain(rng: &mut Rng) -> Vec<u8> {
    let body = match rng.below(7) {
        0 => plain_body(&Reply::String(rng.text(60))),
        1 => plain_body(&Reply::Boolean(rng.chance(1, 2))),
        2 => format!(
            "<boolean xmlns=\"http://tempuri.org/\">{}</boolean>",
            rng.pick(&[" TRUE ", "1", "0", "False", "yes", "", "&#116;rue"])
        ),
        3 => dotnet_fault(rng),
        4 => format!(
            "<?xml version=\"1.0\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><soap:Fault><faultstring>{}</faultstring></soap:Fault></soap:Body></soap:Envelope>",
            escape(&dotnet_fault(rng))
        ),
        5 => format!(
            "<html><head><title>Runtime Error</title></head><body><h1>{}</h1><p>{}</p></body></html>",
            rng.text(20).replace(['<', '&'], ""),
            escape(&dotnet_fault(rng))
        ),
        _ => format!(
            "<string xmlns=\"http://tempuri.org/\"><![CDATA[{}]]>{}&amp;&#x{:x};</string>",
            rng.text(20).replace("]]>", ""),
            escape(&rng.text(10)),
            rng.int(1, 0x10_ffff)
        ),
    };
    body.into_bytes()
}

fn generate_soap(rng: &mut Rng) -> Vec<u8> {
    let (method, _) = *rng.pick(&CALLS);
    let method = if rng.chance(1, 10) { "Other" } else { method };
    let body = match rng.below(6) {
        0 => soap_body(method, &Reply::Void),
        1 => soap_body(method, &Reply::String(rng.text(60))),
        2 => soap_body(method, &Reply::Boolean(rng.chance(1, 2))),
        3 => wire::envelope(&format!(
            "<soap:Fault><faultcode>soap:Server</faultcode><faultstring>{}</faultstring><detail /></soap:Fault>",
            escape(&dotnet_fault(rng))
        )),
        4 => format!(
            "<env:Envelope xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\"><env:Body><env:Fault><env:Code><env:Value>env:Receiver</env:Value></env:Code><env:Reason><env:Text xml:lang=\"en\">{}</env:Text></env:Reason></env:Fault></env:Body></env:Envelope>",
            escape(&dotnet_fault(rng))
        ),
        _ => {
            // a header, nesting and odd prefixes
            let depth = rng.below(40);
            format!(
                "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Header><x>{}</x></s:Header><s:Body><{method}Response>{}<{method}Result>{}</{method}Result>{}</{method}Response></s:Body></s:Envelope>",
                escape(&rng.text(10)),
                "<a>".repeat(depth),
                escape(&rng.text(20)),
                "</a>".repeat(depth)
            )
        }
    };
    body.into_bytes()
}

/// A JSON value of bounded depth.
pub(crate) fn json(rng: &mut Rng, depth: usize) -> serde_json::Value {
    use serde_json::Value;
    match rng.below(if depth == 0 { 5 } else { 7 }) {
        0 => Value::Null,
        1 => Value::Bool(rng.chance(1, 2)),
        2 => Value::from(rng.edgy()),
        3 => {
            serde_json::Number::from_f64(rng.edgy() as f64 / 7.0).map_or(Value::Null, Value::Number)
        }
        4 => Value::String(rng.text(16)),
        5 => Value::Array((0..rng.below(4)).map(|_| json(rng, depth - 1)).collect()),
        _ => Value::Object(
            (0..rng.below(4))
                .map(|_| (rng.word(8), json(rng, depth - 1)))
                .collect(),
        ),
    }
}

fn generate_table(rng: &mut Rng) -> Vec<u8> {
    let rows: Vec<serde_json::Value> = (0..rng.below(5))
        .map(|_| {
            let mut row = serde_json::Map::new();
            row.insert("id".into(), serde_json::Value::from(rng.edgy()));
            if rng.chance(1, 2) {
                row.insert("name".into(), serde_json::Value::String(rng.text(12)));
            }
            for _ in 0..rng.below(3) {
                row.insert(rng.word(6), json(rng, 2));
            }
            serde_json::Value::Object(row)
        })
        .collect();
    let text = match rng.below(5) {
        0 => String::new(),
        1 => "{}".into(),
        2 => serde_json::json!({ "Table1": rows }).to_string(),
        _ => serde_json::json!({ "Table": rows }).to_string(),
    };
    text.into_bytes()
}
