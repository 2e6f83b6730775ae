//! Inputs the fuzz targets (`fuzz/`, README "Fuzzing") found breaking a property, kept as tests.

use neotel_api::{Binding, DecodeError, Error, Password, Request, ReturnKind};

fn login(password: &str) -> Request {
    Request::Login {
        device: "SIP/6000".into(),
        user: "1001".into(),
        password: Password::new(password),
    }
}

/// `neoapi_soap`: a body that echoes the password into a tag name made quick-xml quote it in
/// its complaint, and that text reached the error unscrubbed.
#[test]
fn an_xml_error_that_quotes_the_password_is_scrubbed() {
    let body = "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>\
        <soap:Fault><Cl4ve-s3cretafaultcode>soap:Server</faultcode></soap:Fault></soap:Body></soap:Envelope>";
    let e = Binding::Soap
        .decode(&login("Cl4ve-s3creta"), 200, body.as_bytes())
        .expect_err("not well-formed");
    assert!(matches!(e, Error::Decode(DecodeError::Xml { .. })), "{e:?}");
    let (shown, debug) = (e.to_string(), format!("{e:?}"));
    assert!(!shown.contains("Cl4ve-s3creta"), "{shown}");
    assert!(!debug.contains("Cl4ve-s3creta"), "{debug}");
    assert!(
        shown.contains("`</***faultcode>`"),
        "the complaint is kept, scrubbed: {shown}"
    );
}

/// `neoapi_plain`: an empty `<boolean/>` said "expected true or false, found " (nothing after it).
#[test]
fn an_empty_boolean_says_it_found_nothing() {
    let e = neotel_api::codec::decode_plain(
        "Dial",
        ReturnKind::Boolean,
        b"<boolean xmlns=\"http://tempuri.org/\"></boolean>",
    )
    .expect_err("no value");
    assert_eq!(
        e.to_string(),
        "Dial reply: expected true or false, found nothing"
    );
}
