//! The codecs' unit tests: every binding, reply kind and fault shape, and byte soup.

use serde::Deserialize;

use super::xml::Element;
use super::*;
use crate::error::{DecodeError, Error, FaultKind, TransportError};
use crate::password::Password;
use crate::request::{Reply, Request};

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

/// What the form binding makes of an HTTP 500 with this text body.
fn form_fault(request: &Request, body: &str) -> Error {
    Binding::Form
        .decode(request, 500, body.as_bytes())
        .expect_err("a 500 is a fault")
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
    let e = form_fault(&position(), body);
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
    let xml =
        "<?xml version=\"1.0\"?><string xmlns=\"http://tempuri.org/\">User 7 not logged.</string>";
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
    let e = form_fault(&login(), body);
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
    let rows = decode_table(r#"{"Table":[{"ID":1,"NOMBRE":"Baño"},{"ID":2,"NOMBRE":"Almuerzo"}]}"#)
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
